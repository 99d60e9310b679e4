#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz and runs each for
# FUZZ_SECONDS (default 30) over the seed corpus. Exits non-zero if any
# target finds a crash, leak or sanitizer report.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-30}
seeds=$root/tests/fuzz/seeds

if ! command -v clang >/dev/null; then
	echo "fuzz: clang is not installed; libFuzzer needs it (apt-get install clang)" >&2
	exit 1
fi

mkdir -p "$build"
CC=clang cmake -S "$root" -B "$build" -DCORDON_FUZZ=ON -DCMAKE_C_COMPILER=clang \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >"$build/configure.log" 2>&1 || {
	cat "$build/configure.log" >&2
	exit 1
}

# fuzz_policy exists only once src/core/policy.c does.
known=$(cmake --build "$build" --target help)
targets=()
for target in fuzz_json fuzz_policy; do
	if grep -qw "$target" <<<"$known"; then
		targets+=("$target")
	fi
done
cmake --build "$build" -j2 --target "${targets[@]}" >"$build/build.log" 2>&1 || {
	tail -n 40 "$build/build.log" >&2
	exit 1
}

failed=0
for target in "${targets[@]}"; do
	corpus=$build/corpus/$target
	artifacts=$build/artifacts/$target
	log=$build/$target.log
	mkdir -p "$corpus" "$artifacts"
	status=0
	"$build/tests/fuzz/$target" -max_len=4096 -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$artifacts/" "$corpus" "$seeds" >"$log" 2>&1 || status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	files=$(find "$corpus" -type f | wc -l)
	if [ "$status" -eq 0 ]; then
		echo "$target: ok, ${execs:-?} execs in ${seconds}s, corpus $files inputs"
	else
		failed=1
		crash=$(find "$artifacts" -type f | head -n 1)
		echo "$target: FAILED (exit $status) after ${execs:-?} execs; input ${crash:-none}; log $log"
		grep -m 3 -E 'ERROR|SUMMARY|fuzz_' "$log" | sed 's/^/    /' || true
	fi
done
exit "$failed"
