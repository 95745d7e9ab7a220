#!/bin/sh
# Runs every test program under BUILD/tests, reads their TAP output, prints one line per test
# and a closing "N passed, N failed, N skipped"; exits 1 when any test failed.
# A program that crashes or runs past its time limit fails every test it did not report; one
# that fails at exit after every test passed (LeakSanitizer's check, say) counts one failure.
set -u

build=${1:-build}
limit=${AMZ_TEST_TIMEOUT:-600}
passed=0
failed=0
skipped=0
log=$(mktemp)
# Profiles that tests save go to a store of their own, never the user's.
AMZ_STORE=$(mktemp -d)
export AMZ_STORE
trap 'rm -rf "$log" "$AMZ_STORE"' EXIT

for prog in $(find "$build/tests" -type f -name 'test_*' ! -name '*.d' -perm -u+x | sort); do
	name=${prog#"$build/tests/"}
	CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 "$limit" "$prog" >"$log" 2>&1
	status=$?

	counts=$(awk -v name="$name" -v status="$status" '
		/^1\.\.[0-9]+/ { split($0, p, "."); plan = p[3] + 0; next }
		/^(not )?ok [0-9]+/ {
			seen++
			if ($0 ~ /# SKIP/) { s++; sub(/^.*# SKIP */, ""); printf "  skip  %s: %s\n", name, $0 > "/dev/stderr" }
			else if ($0 ~ /^not ok/) { f++; sub(/^not ok [0-9]+ - /, ""); printf "  FAIL  %s: %s\n", name, $0 > "/dev/stderr" }
			else { p2++; sub(/^ok [0-9]+ - /, ""); printf "  ok    %s: %s\n", name, $0 > "/dev/stderr" }
			next
		}
		END {
			lost = plan - seen
			if (plan == 0 && status != 0) lost = 1
			if (lost > 0) {
				f += lost
				printf "  FAIL  %s: %d test(s) never reported (exit status %d%s)\n", name, lost, status, status == 124 ? ", timed out" : "" > "/dev/stderr"
			} else if (status != 0 && f + 0 == 0) {
				f = 1
				printf "  FAIL  %s: exited with status %d after every test passed (a leak or a crash at exit)\n", name, status > "/dev/stderr"
			}
			printf "%d %d %d\n", p2 + 0, f + 0, s + 0
		}' "$log")
	set -- $counts
	passed=$((passed + $1))
	failed=$((failed + $2))
	skipped=$((skipped + $3))
	if [ "$2" -gt 0 ] || [ "$3" -gt 0 ]; then
		sed -e '/^\(not \)\{0,1\}ok [0-9]/d' -e '/^1\.\./d' -e 's/^/        /' "$log" >&2
	fi
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
