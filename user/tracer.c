/* Loading the BPF object through its skeleton, choosing tp_btf or raw_tp attachment, and
 * reading the kernel's aggregates back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "amz.h"
#include "amz.skel.h"
#include "tracer.h"

struct tracer {
	struct amz_bpf *skel;
	bool btf_attach;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	if (level == LIBBPF_DEBUG && !amz_log_enabled(AMZ_LOG_DEBUG))
		return 0;
	if (!amz_log_enabled(AMZ_LOG_DEBUG))
		return 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	amz_log(AMZ_LOG_DEBUG, "libbpf: %s", msg);
	return 0;
}

static bool is_btf_program(const struct bpf_program *prog)
{
	return strncmp(bpf_program__section_name(prog), "tp_btf/", 7) == 0;
}

static void choose_programs(struct amz_bpf *skel, bool btf)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, is_btf_program(prog) == btf);
}

static int load_and_attach(struct tracer *t, bool btf)
{
	int r;

	t->skel = amz_bpf__open();
	if (!t->skel)
		return -errno;

	choose_programs(t->skel, btf);
	r = amz_bpf__load(t->skel);
	if (!r)
		r = amz_bpf__attach(t->skel);
	if (r) {
		amz_bpf__destroy(t->skel);
		t->skel = NULL;
		return r;
	}
	t->btf_attach = btf;
	return 0;
}

static int explain_failure(struct amz_err *err, int r)
{
	int code = r < 0 ? -r : r;

	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		return amz_fail(err, ENOENT,
				"cannot load the BPF programs: the kernel has no BTF "
				"(/sys/kernel/btf/vmlinux missing)");
	if (code == EPERM || code == EACCES)
		return amz_fail(err, code,
				"cannot load the BPF programs: permission denied "
				"(run as root, or with CAP_BPF and CAP_PERFMON)");
	return amz_fail(err, code, "cannot load the BPF programs: %s", amz_reason(code));
}

int tracer_open(struct tracer **out, struct amz_err *err)
{
	struct tracer *t;
	int r;

	libbpf_set_print(libbpf_print);

	t = calloc(1, sizeof(*t));
	if (!t)
		return amz_fail(err, ENOMEM, "cannot allocate the tracer: out of memory");

	r = load_and_attach(t, true);
	if (r) {
		amz_log(AMZ_LOG_INFO, "tp_btf programs did not load (%s); trying raw_tp",
			amz_reason(-r));
		r = load_and_attach(t, false);
	}
	if (r) {
		free(t);
		return explain_failure(err, r);
	}

	amz_log(AMZ_LOG_INFO, "BPF programs attached as %s", t->btf_attach ? "tp_btf" : "raw_tp");
	*out = t;
	return 0;
}

int tracer_follow(struct tracer *t, pid_t tgid, struct amz_err *err)
{
	__u32 key = (__u32)tgid;
	__u8 one = 1;

	if (bpf_map__update_elem(t->skel->maps.tracked, &key, sizeof(key), &one, sizeof(one),
				 BPF_ANY) < 0)
		return amz_fail(err, errno, "cannot follow process %d: %s", (int)tgid,
				amz_reason(errno));
	return 0;
}

void tracer_read(struct tracer *t, struct amz_trace *trace)
{
	const struct amz_counters *c = &t->skel->bss->counters;

	memset(trace, 0, sizeof(*trace));
	trace->attach_mode = t->btf_attach ? "tp_btf" : "raw_tp";
	trace->processes = c->processes;
	trace->threads = c->threads;
	trace->process_exits = c->process_exits;
	trace->untracked = c->track_full;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	amz_bpf__destroy(t->skel);
	free(t);
}
