#!/bin/sh
# Installs, from Debian's packages, whatever amzprof needs to build and test that is missing.
# Idempotent: a package already installed is left alone, and nothing runs when all are present.
# With --tests it also installs what only the tests use: Chromium, which renders the SVG plots.
set -eu

packages="clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libcmocka-dev pkg-config \
systemtap-sdt-dev libjson-c-dev make gcc libclang-rt-14-dev valgrind libxml2-dev groff-base \
man-db"
if [ "${1:-}" = "--tests" ]; then
	packages="$packages chromium"
fi

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run this script as root (sudo $0)" >&2
	exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null; then
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
