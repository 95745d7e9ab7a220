# amzprof and libamorsize. Everything builds out of tree into $(BUILD); `make V=1` shows the
# full commands. `make check` runs every test; `make run` traces an example workload.

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SANITIZE ?=

ifneq ($(SANITIZE),)
BUILD := build/sanitize
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-9s %s\n' $(1) $(2);
endif

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/')
SOVERSION := 0

NO_CONFIG_GOALS := clean format
ifeq ($(filter-out $(NO_CONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
else
include $(BUILD)/config.mk
endif

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) -fPIC -fvisibility=hidden -MMD -MP \
	-Iuser -Ibpf -I$(BUILD) $(DEPS_CFLAGS) \
	-DAMZ_BUILD_DIR='"$(abspath $(BUILD))"' -DAMZ_SOURCE_DIR='"$(CURDIR)"'
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)
LIBS := $(DEPS_LIBS) -lpthread -lm

BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-I/usr/include/$(MULTIARCH) -Ibpf

CLI_SRCS := user/main.c user/cli.c $(wildcard user/cmd_*.c)
LIB_SRCS := $(filter-out $(CLI_SRCS),$(wildcard user/*.c))
LIB_OBJS := $(LIB_SRCS:user/%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:user/%.c=$(BUILD)/obj/%.o)
SKEL := $(BUILD)/amz.skel.h

WORKLOAD_SRCS := $(wildcard tools/workloads/*.c)
WORKLOADS := $(WORKLOAD_SRCS:tools/workloads/%.c=$(BUILD)/workloads/%)

BENCH_SRCS := $(wildcard tools/bench/*.c)
BENCHES := $(BENCH_SRCS:tools/bench/%.c=$(BUILD)/bench/%)

TESTLIB_SRCS := $(wildcard tests/lib/*.c)
TESTLIB_OBJS := $(TESTLIB_SRCS:tests/lib/%.c=$(BUILD)/obj/testlib/%.o)
TEST_SRCS := $(wildcard tests/unit/test_*.c tests/integration/test_*.c)
TESTS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)

# Fuzzing: each tests/fuzz/fuzz_NAME.c is a libFuzzer target (`make fuzz`, clang). `make check`
# replays every file of tests/fuzz/corpus/NAME/ through it, built with ASan and UBSan. Targets
# reach the library and the commands' option parsers: everything but main.c.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
SANITIZERS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZED_SRCS := $(LIB_SRCS) $(filter-out user/main.c,$(CLI_SRCS))
REPLAY_OBJS := $(FUZZED_SRCS:user/%.c=$(BUILD)/replay/obj/%.o)
REPLAY_LIB := $(BUILD)/replay/libamorsize.a
REPLAYS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/test_replay_%)
FUZZ_OBJS := $(FUZZED_SRCS:user/%.c=build/fuzz/obj/%.o)
FUZZERS := $(FUZZ_NAMES:%=build/fuzz/fuzz_%)

STATIC_LIB := $(BUILD)/libamorsize.a
SHARED_LIB := $(BUILD)/libamorsize.so.$(SOVERSION)
AMZPROF := $(BUILD)/amzprof

.PHONY: all run check install clean format tests workloads fuzz bench
.DELETE_ON_ERROR:
.SECONDARY:

all: $(AMZPROF) $(STATIC_LIB) $(SHARED_LIB) workloads bench

workloads: $(WORKLOADS)

tests: $(TESTS) $(REPLAYS)

fuzz: $(FUZZERS)

$(BUILD)/config.mk: tools/configure.sh tools/install-deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)tools/configure.sh > $@.tmp && mv $@.tmp $@

# The BPF object and its skeleton.
$(BUILD)/bpf/amz.bpf.o: bpf/amz.bpf.c $(wildcard bpf/*.h) | $(BUILD)/config.mk
	$(call say,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BUILD)/bpf/amz.bpf.o
	$(call say,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name amz_bpf > $@.tmp && mv $@.tmp $@

# The library and the command.
$(BUILD)/obj/%.o: user/%.c | $(SKEL)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(STATIC_LIB): $(LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,libamorsize.so.$(SOVERSION) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
	$(Q)ln -sf libamorsize.so.$(SOVERSION) $(BUILD)/libamorsize.so

$(AMZPROF): $(CLI_OBJS) $(STATIC_LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(STATIC_LIB) $(LIBS)

# Every function of amorsize(3) finds that page under its own name.
MAN3_LINKS := amz_map amz_map_stream amz_pool_new amz_pool_map amz_pool_map_stream amz_pool_free \
	amz_optimize amz_map_auto amz_recommendation_free amz_set_logger

# Written at install time, since it names the PREFIX and LIBDIR of that install.
VERSION := $(shell sed -n 's/.*AMZ_VERSION "\(.*\)"/\1/p' user/amorsize.h)
define pkgconfig_file
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		amorsize.pc.in > $(1)
endef

# Example workloads, built on the library. Sanitized, they keep ASan and UBSan but not
# LeakSanitizer, whose exit-time check runs in a task of its own that tracing would count.
WORKLOAD_SAN_OBJ := $(if $(SAN_FLAGS),$(BUILD)/obj/workload_san_options.o)

$(BUILD)/obj/workload_san_options.o:
	$(Q)mkdir -p $(@D)
	$(Q)printf 'const char *__asan_default_options(void);\nconst char *%s\n{\n\treturn "%s";\n}\n' \
		'__asan_default_options(void)' 'detect_leaks=0' | $(CC) -x c -c -o $@ -

$(BUILD)/workloads/%: tools/workloads/%.c $(wildcard tools/workloads/*.h) $(STATIC_LIB) $(WORKLOAD_SAN_OBJ)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(WORKLOAD_SAN_OBJ) $(STATIC_LIB) $(LIBS)

# Benchmarks: set against gcc's OpenMP (libgomp comes with gcc), and free to use the test
# helpers (the pool simulation among them). Built with `all`, so that they never rot.
bench: $(BENCHES)

$(BUILD)/bench/%: tools/bench/%.c $(TESTLIB_OBJS) $(STATIC_LIB)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fopenmp $(CMOCKA_CFLAGS) -Itests/lib $(ALL_LDFLAGS) -o $@ $< \
		$(TESTLIB_OBJS) $(STATIC_LIB) $(CMOCKA_LIBS) $(LIBS)

# Tests: cmocka programs linked against the static library and the test helpers.
$(BUILD)/obj/testlib/%.o: tests/lib/%.c | $(SKEL)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -Itests/lib -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(TESTLIB_OBJS) $(STATIC_LIB)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) $(XML_CFLAGS) -Itests/lib $(ALL_LDFLAGS) -o $@ $< \
		$(TESTLIB_OBJS) $(STATIC_LIB) $(CMOCKA_LIBS) $(XML_LIBS) $(LIBS)

$(BUILD)/replay/obj/%.o: user/%.c | $(SKEL)
	$(call say,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SANITIZERS) -c $< -o $@

$(REPLAY_LIB): $(REPLAY_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/tests/fuzz/test_replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(wildcard tests/fuzz/*.h) \
		$(TESTLIB_OBJS) $(REPLAY_LIB)
	$(call say,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SANITIZERS) $(CMOCKA_CFLAGS) -Itests/lib -Itests/fuzz \
		-DFUZZ_NAME='"$*"' -DFUZZ_CORPUS='"$(CURDIR)/tests/fuzz/corpus/$*"' -o $@ \
		tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(TESTLIB_OBJS) $(REPLAY_LIB) \
		$(CMOCKA_LIBS) $(LIBS)

build/fuzz/obj/%.o: user/%.c | $(SKEL)
	$(call say,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(ALL_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-fno-omit-frame-pointer -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_OBJS)
	$(call say,FUZZER,$@)
	$(Q)$(CLANG) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -Itests/fuzz \
		-fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -o $@ $< $(FUZZ_OBJS) $(LIBS)

check: all tests
	$(Q)tools/install-deps.sh --tests || echo "make: the tests that need it will skip" >&2
	$(Q)tests/run.sh $(BUILD)

run: all
	$(Q)tools/run-example.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(AMZPROF) $(DESTDIR)$(PREFIX)/bin/amzprof
	install -m 0644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/libamorsize.a
	install -m 0755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/libamorsize.so.$(SOVERSION)
	ln -sf libamorsize.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libamorsize.so
	install -m 0644 user/amorsize.h user/amorsize_usdt.h $(DESTDIR)$(PREFIX)/include/
	$(call pkgconfig_file,$(DESTDIR)$(LIBDIR)/pkgconfig/amorsize.pc)
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 man/amzprof.1 $(DESTDIR)$(MANDIR)/man1/amzprof.1
	install -m 0644 man/amorsize.3 $(DESTDIR)$(MANDIR)/man3/amorsize.3
	for f in $(MAN3_LINKS); do ln -sf amorsize.3 $(DESTDIR)$(MANDIR)/man3/$$f.3; done
	install -m 0644 completions/amzprof $(DESTDIR)$(COMPLETIONDIR)/amzprof

clean:
	rm -rf build

format:
	clang-format -i $(wildcard bpf/*.c bpf/*.h user/*.c user/*.h tests/*/*.c tests/*/*.h \
		tools/workloads/*.c tools/workloads/*.h tools/bench/*.c)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TESTLIB_OBJS:.o=.d) $(REPLAY_OBJS:.o=.d) \
	$(FUZZ_OBJS:.o=.d)
