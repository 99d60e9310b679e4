#!/usr/bin/env bash
# The whole test suite: native build with gcc (warnings are errors), every
# ctest case (unit, Windows model, CLI, smoke, install and package), the
# clang build, the mingw-w64 cross-build and its install, the format check
# and a bounded fuzz run.
# Usage: scripts/test.sh            (from the repository root)
# Env:   FUZZ_SECONDS=60  BUILD_ROOT=build-test  SKIP_FUZZ=1  SKIP_CROSS=1
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_root=${BUILD_ROOT:-$root/build-test}
jobs=$(nproc)
step() { printf '\n== %s\n' "$*"; }

step "format check (clang-format, .clang-format)"
mapfile -t sources < <(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests examples bench -name '*.[ch]')
unformatted=()
for f in "${sources[@]}"; do
	[ -f "$f" ] || continue
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		unformatted+=("$f")
	fi
done
if [ "${#unformatted[@]}" -gt 0 ]; then
	echo "not formatted (run: clang-format -i FILE): ${unformatted[*]}" >&2
	exit 1
fi
echo "all ${#sources[@]} C files follow .clang-format"

step "native build (gcc, -Werror)"
cmake -S . -B "$build_root/gcc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
	-DCORDON_WINE_MINGW_DIR="$build_root/mingw" >/dev/null
cmake --build "$build_root/gcc" -j"$jobs"

step "tests (ctest, all but the Wine plumbing tests, which run after the cross-build)"
ctest --test-dir "$build_root/gcc" --output-on-failure -j1 -LE wine

step "clang build (-Werror)"
cmake -S . -B "$build_root/clang" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DBUILD_TESTING=ON >/dev/null
cmake --build "$build_root/clang" -j"$jobs"

if [ "${SKIP_CROSS:-0}" != 1 ]; then
	# With the Wine tests' hooks (CORDON_TEST_HOOKS): this tree is what the
	# Wine plumbing tests run; the Windows workflow builds without them.
	step "Windows cross-build (mingw-w64, -Werror, test hooks on)"
	cmake -S . -B "$build_root/mingw" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
		-DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DCORDON_TEST_HOOKS=ON >/dev/null
	cmake --build "$build_root/mingw" -j"$jobs"
	ls -l "$build_root/mingw/cordon.exe"
	# The folder the Windows workflow zips: the same install rules.
	rm -rf "$build_root/mingw-install"
	DESTDIR="$build_root/mingw-install" cmake --install "$build_root/mingw" --prefix /cordon >/dev/null
	for f in bin/cordon.exe lib/libcordon.a include/cordon.h lib/pkgconfig/cordon.pc share/doc/cordon/README.md; do
		[ -s "$build_root/mingw-install/cordon/$f" ] || {
			echo "the mingw-w64 install lacks $f" >&2
			exit 1
		}
	done
	echo "mingw-w64 install: $(cd "$build_root/mingw-install/cordon" && find . -type f | sort | tr '\n' ' ')"

	step "Wine plumbing tests of the Windows build (ctest -L wine; proves plumbing, never confinement)"
	if command -v wine >/dev/null 2>&1; then
		ctest --test-dir "$build_root/gcc" --output-on-failure -j1 -L wine
	else
		echo "SKIPPED: wine is not installed (scripts/setup-debian.sh installs it)"
	fi
else
	step "Wine plumbing tests: SKIPPED (they need the mingw-w64 cross-build; SKIP_CROSS=1)"
fi

if [ "${SKIP_FUZZ:-0}" != 1 ] && [ -x tests/fuzz/run.sh ]; then
	step "fuzzing (libFuzzer, ${FUZZ_SECONDS:-30} s per target)"
	BUILD_DIR="$build_root/fuzz" FUZZ_SECONDS="${FUZZ_SECONDS:-30}" tests/fuzz/run.sh
fi

step "all test steps passed"
