#!/usr/bin/env bash
# Installs everything cordon needs to build and test on Debian 12, from
# Debian's archive only. Needs root: it re-runs itself through sudo when
# started by another user. CORDON_BENCH=1 adds what bench/ compares against.
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang clang-format
	libseccomp-dev libcmocka-dev
	mingw-w64
	# Wine runs the Windows build's plumbing tests (tests/wine). Debian 12:
	# wine64 is the 64-bit loader and wineserver; wine provides the wine,
	# wineboot and wineserver commands (alternatives). 64-bit only: no
	# i386 architecture, no wine32 (wine64 only recommends it).
	wine wine64
	python3 git curl make tmux procps iproute2 util-linux passwd time
	ripgrep iputils-ping perl
	dpkg-dev file man-db bash-completion zsh
)
if [ "${CORDON_BENCH:-0}" = 1 ]; then
	packages+=(bubblewrap firejail hyperfine)
	# A nodejs from another source (NodeSource) ships its own npm and
	# conflicts with Debian's npm package: ask for them only when missing.
	command -v node >/dev/null 2>&1 || packages+=(nodejs)
	command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo CORDON_BENCH="${CORDON_BENCH:-0}" "$0" "$@"
	fi
	echo "setup-debian.sh: it installs Debian packages: run it as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup-debian.sh: all build and test dependencies are installed"
