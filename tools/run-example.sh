#!/bin/sh
# `make run`: traces an example workload at a naive configuration and shows what amzprof makes
# of it: where the parallel time went, and the workers and chunk size it recommends instead.
# Profiles go to a store in the build directory, not the user's own.
set -eu
build=${1:-build}
store=$build/example-store

if [ "$(id -u)" -ne 0 ]; then
	echo "(amzprof loads BPF programs: run 'make run' as root, or with CAP_BPF and" \
		"CAP_PERFMON; without them it says why and reports what user space sees)" >&2
fi

# Heterogeneous items (log-normal cost, coefficient of variation 2), split the way
# Python's Pool.map would: ceil(N / 4n) items per chunk.
set -- "$build/workloads/hetero" --items 4000 --cv 2 --jobs 2 --chunksize 500
echo "\$ amzprof --store $store -- $*" >&2
exec "$build/amzprof" --store "$store" -- "$@"
