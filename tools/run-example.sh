#!/bin/sh
# `make run`: traces the bundled example workload and shows what amzprof reports about it.
set -eu
build=${1:-build}

echo "amzprof -- spawn --procs 16 --threads 8 --sleep-ms 5" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "(amzprof loads BPF programs: run 'make run' as root, or with CAP_BPF and CAP_PERFMON)" >&2
fi
exec "$build/amzprof" -- "$build/workloads/spawn" --procs 16 --threads 8 --sleep-ms 5
