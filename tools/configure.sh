#!/bin/sh
# Finds amzprof's dependencies (pkg-config for libraries, PATH for tools), runs
# tools/install-deps.sh when something is missing, and prints the make variables to build with.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
pkgs="libbpf libelf zlib json-c cmocka libxml-2.0"
cc=${CC:-cc}

find_tool() {
	command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true
}

missing() {
	for p in $pkgs; do
		pkg-config --exists "$p" 2>/dev/null || echo "pkg-config cannot find $p"
	done
	command -v pkg-config >/dev/null 2>&1 || echo "pkg-config is not installed"
	for t in clang bpftool; do
		[ -n "$(find_tool $t)" ] || echo "$t is not installed"
	done
	echo '#include <sys/sdt.h>' | $cc -E -x c - >/dev/null 2>&1 || echo "sys/sdt.h is missing"
}

why=$(missing | head -n 1)
if [ -n "$why" ]; then
	echo "amzprof: $why; installing the dependencies with tools/install-deps.sh" >&2
	"$here/install-deps.sh" >&2
	why=$(missing | head -n 1)
	if [ -n "$why" ]; then
		echo "amzprof: $why even after tools/install-deps.sh; see README.md" >&2
		exit 1
	fi
fi

echo "BPFTOOL := $(find_tool bpftool)"
echo "CLANG := $(find_tool clang)"
echo "DEPS_CFLAGS := $(pkg-config --cflags libbpf libelf zlib json-c)"
echo "DEPS_LIBS := $(pkg-config --libs libbpf libelf zlib json-c)"
echo "CMOCKA_CFLAGS := $(pkg-config --cflags cmocka)"
echo "CMOCKA_LIBS := $(pkg-config --libs cmocka)"
echo "XML_CFLAGS := $(pkg-config --cflags libxml-2.0)"
echo "XML_LIBS := $(pkg-config --libs libxml-2.0)"
echo "MULTIARCH := $($cc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH)"
