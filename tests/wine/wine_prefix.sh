# Sourced by the Wine plumbing scripts: one Wine prefix, booted once and
# shared by concurrent runs of the same script (they wait on a lock).
#
# wine_prefix_use PREFIX LOCK_FILE FAILURE_LINE
#   exports WINEPREFIX=PREFIX and the quiet Wine settings, takes the lock
#   (descriptor 9, held until the script ends), runs `wineboot -i` once
#   per prefix, and on failure prints FAILURE_LINE and exits 1.
wine_prefix_use() {
	export WINEPREFIX=$1 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
	unset DISPLAY WAYLAND_DISPLAY
	exec 9>"$2"
	flock 9
	if [ ! -f "$WINEPREFIX/.cordon-booted" ]; then
		echo "== wineboot -i (once per prefix)"
		mkdir -p "$WINEPREFIX"
		if ! { timeout 300 wineboot -i >/dev/null 2>&1 && timeout 120 wineserver -w; }; then
			echo "$3"
			exit 1
		fi
		touch "$WINEPREFIX/.cordon-booted"
	fi
}
