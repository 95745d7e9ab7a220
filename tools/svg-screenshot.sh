#!/bin/sh
# Renders SVG files to PNG with headless Chromium, as a browser shows them, and fails when one
# does not render: Chromium exits non-zero, reports an XML error in the page (a parsererror
# element), or leaves no PNG of the picture's size. Chromium is not a build dependency: it is
# installed from Debian's packages when missing (as root), unless NO_INSTALL=1.
#
# Usage: tools/svg-screenshot.sh [-o OUTDIR] FILE.svg...
#   Each FILE.svg becomes OUTDIR/FILE.png (default: beside it). Exit status 0 when all rendered,
#   1 when one did not, 2 on a usage error, 77 when Chromium is missing and cannot be installed.
set -eu

outdir=""
if [ "${1:-}" = "-o" ]; then
	[ $# -ge 2 ] || { echo "svg-screenshot: -o needs a directory" >&2; exit 2; }
	outdir=$2
	shift 2
fi
[ $# -ge 1 ] || { echo "usage: tools/svg-screenshot.sh [-o OUTDIR] FILE.svg..." >&2; exit 2; }

find_chromium() {
	command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true
}

chromium=$(find_chromium)
if [ -z "$chromium" ] && [ "${NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
	echo "svg-screenshot: installing Debian's chromium package" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
		>/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends chromium >/dev/null 2>&1; } || true
	chromium=$(find_chromium)
fi
if [ -z "$chromium" ]; then
	echo "svg-screenshot: chromium is not installed (apt-get install chromium, as root)" >&2
	exit 77
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM

# Flags that keep a headless Chromium quiet and off the network, in a fresh profile.
run_chromium() {
	"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--hide-scrollbars --user-data-dir="$profile" "$@" 2>"$profile/stderr"
}

# The picture's size in pixels, from the width and height of its <svg> element.
svg_size() {
	tr '\n' ' ' <"$1" | sed -n 's/.*<svg[^>]* width="\([0-9.]*\)"[^>]* height="\([0-9.]*\)".*/\1 \2/p' |
		awk '{ printf "%d %d\n", $1 + 0.5, $2 + 0.5 }'
}

# A PNG's width and height, from its IHDR chunk (bytes 16 to 23, big-endian).
png_size() {
	od -A n -t u1 -j 16 -N 8 "$1" |
		awk '{ printf "%d %d\n", $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

status=0
for svg in "$@"; do
	abs=$(cd "$(dirname "$svg")" && pwd)/$(basename "$svg")
	png=${outdir:-$(dirname "$svg")}/$(basename "$svg" .svg).png
	size=$(svg_size "$svg")
	if [ -z "$size" ]; then
		echo "svg-screenshot: $svg: no <svg> element with a width and a height" >&2
		status=1
		continue
	fi
	w=${size% *}
	h=${size#* }

	if run_chromium --dump-dom "file://$abs" | grep -q parsererror; then
		echo "svg-screenshot: $svg: Chromium cannot parse it as XML" >&2
		status=1
		continue
	fi
	rm -f "$png"
	if ! run_chromium --window-size="$w,$h" --screenshot="$png" "file://$abs" >/dev/null; then
		echo "svg-screenshot: $svg: Chromium failed: $(tail -n 1 "$profile/stderr")" >&2
		status=1
		continue
	fi
	if [ ! -s "$png" ] || [ "$(png_size "$png")" != "$w $h" ]; then
		echo "svg-screenshot: $svg: no PNG of ${w}x${h} was written" >&2
		status=1
		continue
	fi
	echo "$png: ${w}x${h}, $(wc -c <"$png") bytes"
done
exit $status
