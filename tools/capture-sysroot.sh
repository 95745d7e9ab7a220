#!/bin/sh
# Copies the files `amzprof host` reads on this machine into DIR, laid out as on the machine, so
# that `amzprof host --sysroot DIR` gives this machine's answer anywhere: a fixture from any host.
# Usage: tools/capture-sysroot.sh [--pid PID] DIR   (PID: whose cgroups and affinity; default
# this shell, whose children inherit both)
set -eu

usage() {
	echo "usage: $0 [--pid PID] DIR" >&2
	exit 2
}

pid=$$
if [ "${1:-}" = "--pid" ]; then
	[ $# -ge 2 ] || usage
	pid=$2
	shift 2
fi
[ $# -eq 1 ] || usage
out=$1
proc=/proc/$pid
rootfs=$proc/root
[ -r "$proc/cgroup" ] || {
	echo "capture-sysroot: cannot read $proc/cgroup: no such process, or no permission" >&2
	exit 1
}

cgroup_files="cgroup.controllers cpu.max cpu.stat cpu.weight cpu.cfs_quota_us cpu.cfs_period_us
cpu.shares cpuset.cpus cpuset.cpus.effective cpuset.effective_cpus memory.max memory.high
memory.swap.max memory.current memory.stat memory.limit_in_bytes memory.memsw.limit_in_bytes
memory.usage_in_bytes"
copied=0

# copy SRC DEST: DEST is the path as on the machine; files that cannot be read are left out.
copy() {
	[ -f "$1" ] && [ -r "$1" ] || return 0
	mkdir -p "$(dirname "$out$2")"
	if cat "$1" >"$out$2" 2>/dev/null; then
		copied=$((copied + 1))
	else
		rm -f "$out$2"
	fi
}

# mountinfo escapes space, tab, newline and backslash as three octal digits.
unescape() {
	printf '%b' "$(printf '%s' "$1" | sed 's/\\\([0-7][0-7][0-7]\)/\\0\1/g')"
}

copy_cgroup_dir() {
	mkdir -p "$out$1"
	for f in $cgroup_files; do
		copy "$rootfs$1/$f" "$1/$f"
	done
}

# capture_chain MOUNT REL: the process's directory (trimmed as amzprof trims a path that does
# not exist) and every directory above it up to the mount point.
capture_chain() {
	point=$1
	rel=$2
	while [ -n "$rel" ] && [ "$rel" != "/" ]; do
		case "$rel" in
		*/../* | */..) ;;
		*) [ -d "$rootfs$point$rel" ] && break ;;
		esac
		next=${rel#/*/}
		if [ "$next" = "$rel" ]; then rel=""; else rel="/$next"; fi
	done
	[ "$rel" = "/" ] && rel=""
	d=$point$rel
	while :; do
		copy_cgroup_dir "$d"
		[ "$d" = "$point" ] && break
		d=${d%/*}
	done
}

# relative PATH ROOT: the part of PATH below the mount's ROOT, or PATH when it is not below.
relative() {
	if [ "$2" = "/" ]; then
		printf '%s' "$1"
	elif [ "$1" = "$2" ]; then
		printf ''
	else
		case "$1" in
		"$2"/*) printf '%s' "${1#"$2"}" ;;
		*) printf '%s' "$1" ;;
		esac
	fi
}

has_controller() {
	for c in $(printf '%s' "$1" | tr ',' ' '); do
		case ",$2," in *",$c,"*) return 0 ;; esac
	done
	return 1
}

# The process's own view, then the machine's.
copy "$proc/cgroup" /proc/self/cgroup
copy "$proc/mountinfo" /proc/self/mountinfo
copy "$proc/status" /proc/self/status
copy "$proc/limits" /proc/self/limits
for f in /proc/meminfo /proc/cpuinfo /proc/sys/kernel/osrelease /sys/devices/system/cpu/online \
	/sys/devices/system/cpu/possible /sys/devices/system/cpu/present \
	/sys/devices/cpu_core/cpus /sys/devices/cpu_atom/cpus; do
	copy "$rootfs$f" "$f"
done
for cpu in "$rootfs"/sys/devices/system/cpu/cpu[0-9]*; do
	[ -d "$cpu" ] || continue
	rel=${cpu#"$rootfs"}
	copy "$cpu/online" "$rel/online"
	copy "$cpu/cpu_capacity" "$rel/cpu_capacity"
	for t in core_cpus_list thread_siblings_list core_id physical_package_id; do
		copy "$cpu/topology/$t" "$rel/topology/$t"
	done
done

# Every cgroup hierarchy the process is in, from its directory up to the mount point.
awk '{ for (i = 7; i <= NF && $i != "-"; i++) ; if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2")
	print $(i + 1), $4, $5, $(i + 3) }' "$out/proc/self/mountinfo" |
	while read -r fs mroot mpoint opts; do
		mroot=$(unescape "$mroot")
		mpoint=$(unescape "$mpoint")
		while IFS= read -r line; do
			id=${line%%:*}
			rest=${line#*:}
			ctrls=${rest%%:*}
			path=${rest#*:}
			if [ "$fs" = cgroup2 ]; then
				[ "$id" = 0 ] && [ -z "$ctrls" ] || continue
			else
				[ -n "$ctrls" ] && has_controller "$ctrls" "$opts" || continue
			fi
			capture_chain "$mpoint" "$(relative "$path" "$mroot")"
		done <"$out/proc/self/cgroup"
	done

copied=$(find "$out" -type f | wc -l)
echo "capture-sysroot: $copied files in $out; add expected.json and a README line" \
	"saying what system it is, then run: amzprof host --sysroot $out" >&2
