#!/bin/sh
# The process-per-chunk workload: `xargs -P n -n k` starts build/workloads/chunk once per chunk
# of k items, as shell pipelines parallelise. Prints the suite's line:
#   workload=xargs items=N jobs=n chunksize=k kind=processes schedule=fixed checksum=C seconds=S
#   items_per_s=R
# (on one line; the checksum is cksum(1) of the results in item order).
# AMZ_CHUNK_PROGRAM overrides where the chunk program is; AMZ_JOBS and AMZ_CHUNKSIZE set the
# defaults of --jobs and --chunksize.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
chunk=${AMZ_CHUNK_PROGRAM:-$here/../../build/workloads/chunk}
items=10000
jobs=${AMZ_JOBS:-$(nproc)}
chunksize=${AMZ_CHUNKSIZE:-100}
work=600
verify=0

fail() {
	echo "xargs-chunks: $1" >&2
	exit "${2:-1}"
}

count() {
	case $2 in
	'' | *[!0-9]*) fail "$1 '$2' is not a whole number (see 'xargs-chunks.sh --help')" 2 ;;
	esac
	[ "$2" -ge "$3" ] || fail "$1 '$2' is not a whole number of at least $3" 2
	echo "$2"
}

while [ $# -gt 0 ]; do
	case $1 in
	--items | --jobs | --chunksize | --work)
		[ $# -ge 2 ] || fail "$1 needs a value" 2
		case $1 in
		--items) items=$(count "$1" "$2" 0) ;;
		--jobs) jobs=$(count "$1" "$2" 1) ;;
		--chunksize) chunksize=$(count "$1" "$2" 1) ;;
		--work) work=$(count "$1" "$2" 0) ;;
		esac
		shift 2
		;;
	--verify)
		verify=1
		shift
		;;
	-h | --help)
		echo "usage: xargs-chunks.sh [--items N] [--jobs n] [--chunksize k] [--work W] [--verify]"
		exit 0
		;;
	*) fail "unknown option '$1' (see 'xargs-chunks.sh --help')" 2 ;;
	esac
done
[ -x "$chunk" ] || fail "$chunk is missing; run 'make' first"

out=$(mktemp)
trap 'rm -f "$out" "$out.serial"' EXIT

start=$(date +%s%N)
seq 0 $((items - 1)) | xargs -r -P "$jobs" -n "$chunksize" "$chunk" --work "$work" >"$out"
end=$(date +%s%N)

got=$(wc -l <"$out")
[ "$got" -eq "$items" ] || fail "$got results came back for $items items"
if [ "$verify" -eq 1 ]; then
	seq 0 $((items - 1)) | xargs -r "$chunk" --work "$work" >"$out.serial"
	sort -n "$out" | cmp -s - "$out.serial" || fail "the results differ from a serial run"
fi

sum=$(sort -n "$out" | cksum | cut -d' ' -f1)
awk -v n="$items" -v c="$sum" -v j="$jobs" -v k="$chunksize" -v ns=$((end - start)) 'BEGIN {
	s = ns / 1e9
	printf "workload=xargs items=%d jobs=%d chunksize=%d kind=processes schedule=fixed checksum=%s seconds=%.6f items_per_s=%.1f\n", n, j, k, c, s, (s > 0 ? n / s : 0)
}'
