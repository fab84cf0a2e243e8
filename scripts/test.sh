#!/usr/bin/env bash
# The test command: installs what is missing, then builds and runs the whole
# suite three times: a normal build, an AddressSanitizer+UBSan build and a
# ThreadSanitizer build (the relays run a thread per stream; a race aborts
# the process, so a reflector with one fails its test).
# Warnings are errors in all three. Exit status is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test || exit 1

jobs=$(nproc)
total_pass=0
total_fail=0
status=0
for variant in normal asan tsan; do
	dir=build/test-$variant
	flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
	[ $variant = asan ] && flags+=(-DPP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
	[ $variant = tsan ] && flags+=(-DPP_TSAN=ON -DCMAKE_BUILD_TYPE=Debug)
	echo "=== $variant build"
	if ! cmake -S . -B "$dir" "${flags[@]}" >/dev/null ||
	   ! cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1; then
		cat "$dir.build.log" 2>/dev/null | tail -50
		echo "=== $variant build FAILED"
		status=1
		total_fail=$((total_fail + 1))
		continue
	fi
	echo "=== $variant tests"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export TSAN_OPTIONS="halt_on_error=1 abort_on_error=1 second_deadlock_stack=1"
	(cd "$dir" && ctest --output-on-failure -j"$jobs" 2>&1) | tee "$dir.ctest.log"
	[ "${PIPESTATUS[0]}" -ne 0 ] && status=1
	line=$(grep -E 'tests passed, [0-9]+ tests failed out of' "$dir.ctest.log" | tail -1)
	n_total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
	n_fail=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
	n_skip=$(grep -c -- '\*\*\*Skipped' "$dir.ctest.log" || true)
	total_pass=$((total_pass + ${n_total:-0} - ${n_fail:-0} - n_skip))
	total_fail=$((total_fail + ${n_fail:-1}))
done
echo
echo "tests: $total_pass passed, $total_fail failed"
exit $status
