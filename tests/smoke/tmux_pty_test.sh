#!/bin/bash
# cordon --pty inside a real terminal emulator (tmux): the terminal size is
# passed on and follows resizes (with SIGWINCH reaching the command), Ctrl-C
# reaches the command and not cordon, and the command's exit status comes
# back through cordon. Then, without --pty, in an interactive bash: Ctrl-Z
# stops cordon and the command (the shell reports the job stopped), fg
# resumes both, Ctrl-C ends the run with 130.
#   tmux_pty_test.sh PATH-TO-CORDON
# Exit 0 all passed, 1 something failed, 77 skipped (tmux missing).
set -u

cordon=${1:?usage: tmux_pty_test.sh PATH-TO-CORDON}
cordon=$(readlink -f "$cordon")
passed=0
failed=0
n=0

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	echo "#   $2" | head -c 2000; echo
}

if ! command -v tmux >/dev/null 2>&1; then
	echo "ok 1 - tmux_pty # SKIP tmux is not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cordon-tmux-XXXXXX")
mkdir -p "$work/ws" "$work/tmp"
sock="$work/tmux.sock"
jobs_sock="$work/tmux-jobs.sock"
status_file="$work/status"
cleanup() {
	tmux -S "$sock" kill-server >/dev/null 2>&1
	tmux -S "$jobs_sock" kill-server >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

# The pane runs this wrapper, so cordon's own exit status is visible after it
# returns (STATUS=...) and the pane stays open to be read.
cat >"$work/pane.sh" <<EOF
#!/bin/sh
cd "$work/ws"
TMPDIR="$work/tmp" PS1='smoke\$ ' "$cordon" run --pty -C "$work/ws" -- sh -i
s=\$?
echo "STATUS=\$s"
echo "\$s" > "$status_file"
sleep 600
EOF
chmod +x "$work/pane.sh"

# The pane the helpers below read and type into.
tsock=$sock
target=smoke:0
pane() { tmux -S "$tsock" capture-pane -p -J -t "$target" -S -200 2>/dev/null; }
type_line() {
	tmux -S "$tsock" send-keys -t "$target" -l "$1"
	tmux -S "$tsock" send-keys -t "$target" Enter
}
# Waits until the pane shows a line matching the extended regex $1.
wait_for() {
	local i
	for i in $(seq 1 "${2:-50}"); do
		if pane | grep -Eq "$1"; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

if ! tmux -S "$sock" -f /dev/null new-session -d -s smoke -x 100 -y 30 "$work/pane.sh"; then
	not_ok "tmux session starts" "tmux new-session failed"
	echo "$passed passed, $failed failed"
	exit 1
fi
tmux -S "$sock" set-option -g window-size manual >/dev/null 2>&1

# Typed text is echoed, so every check looks for the EXPANDED result of an
# arithmetic expression, which only the shell's output can contain.
# Typed-ahead input may be flushed when cordon switches the terminal to raw
# mode, so the first line is retyped until the shell answers.
ready=no
for attempt in 1 2 3 4 5 6 7 8; do
	type_line 'echo READY-$((40+2))'
	if wait_for '^READY-42$' 10; then
		ready=yes
		break
	fi
	[ -e "$status_file" ] && break # cordon already returned
done
if [ "$ready" = yes ]; then
	ok "cordon --pty runs an interactive shell in tmux"
else
	not_ok "cordon --pty runs an interactive shell in tmux" "$(pane | grep -v "^$" | head -n 8 | tr '\n' '|')"
	echo "$passed passed, $failed failed"
	exit 1
fi

type_line 'stty size; echo SIZE1-$((1+1))'
if wait_for '^SIZE1-2$' && pane | grep -Eq '^30 100$'; then
	ok "initial size 30x100 is passed on (stty size)"
else
	not_ok "initial size 30x100 is passed on (stty size)" "$(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
fi

type_line 'echo "TTY-$(tty)-$((1+2))"'
if wait_for '^TTY-/dev/pts/[0-9]+-3$'; then
	ok "the command names its terminal: tty prints /dev/pts/N"
else
	not_ok "the command names its terminal: tty prints /dev/pts/N" "$(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
fi

type_line "trap 'echo WINCH-\$((2+3))' WINCH"
sleep 0.5
tmux -S "$sock" resize-window -t smoke:0 -x 120 -y 40
sleep 1
type_line 'stty size; echo SIZE2-$((2+2))'
if wait_for '^SIZE2-4$' && pane | grep -Eq '^40 120$'; then
	ok "resize to 40x120 is passed on (stty size)"
else
	not_ok "resize to 40x120 is passed on (stty size)" "$(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
fi
if wait_for '^WINCH-5$' 10; then
	ok "the command's WINCH trap fired on resize"
else
	not_ok "the command's WINCH trap fired on resize" "$(pane | grep -v "^$" | tail -n 8 | tr '\n' '|')"
fi

type_line "sh -c 'trap \"echo GOT-INT-\$((3+4)); exit 0\" INT; echo SLEEPING-\$((5+5)); sleep 100 & wait'"
if wait_for '^SLEEPING-10$'; then
	sleep 0.3
	tmux -S "$sock" send-keys -t smoke:0 C-c
	if wait_for 'GOT-INT-7$' 25; then
		ok "Ctrl-C reaches the command (its INT trap printed)"
	else
		not_ok "Ctrl-C reaches the command (its INT trap printed)" "$(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
	fi
else
	not_ok "Ctrl-C reaches the command (its INT trap printed)" "the trap command never started: $(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
fi

type_line 'echo ALIVE-$((4+5))'
if wait_for '^ALIVE-9$' 25 && ! pane | grep -q '^STATUS='; then
	ok "cordon survives Ctrl-C (the shell prompt comes back)"
else
	not_ok "cordon survives Ctrl-C (the shell prompt comes back)" "$(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
fi

type_line 'exit 3'
if wait_for '^STATUS=' 50 && [ "$(cat "$status_file" 2>/dev/null)" = 3 ]; then
	ok "cordon returns the command's exit status (3)"
else
	not_ok "cordon returns the command's exit status (3)" \
		"status file: $(cat "$status_file" 2>/dev/null); pane: $(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
fi

# ------------------------------------------- job control without --pty

# A server of its own: tmux 3.3a crashes on new-session -x -y once
# window-size is manual, as it is on the first server.
tsock=$jobs_sock
target=jobs:0
ticks() { cat "$work/ws/ticks" 2>/dev/null; }

# Bracketed paste off: bash would otherwise write its own escape sequence
# between a typed line and the command's output.
printf 'set enable-bracketed-paste off\n' >"$work/inputrc"
tmux -S "$jobs_sock" -f /dev/null new-session -d -s jobs -x 200 -y 30 "env PS1='jobs\$ ' TMPDIR='$work/tmp' INPUTRC='$work/inputrc' bash --norc --noprofile -i"
type_line 'echo JOBS-$((6+6))'
if wait_for '^JOBS-12$'; then
	# The exact bytes the terminal gets from a --pty run, with Ctrl-D
	# typed while cordon starts: nothing but the command's own output
	# (an end-of-file typed before raw mode once arrived as a NUL, shown
	# as ^@). The command waits a second before it prints, so the Ctrl-D
	# lands while cordon runs (early: the case above; later: relayed to
	# the command, which does not read it) and never reaches bash after
	# cordon is gone, which would end the shell and the session.
	tmux -S "$tsock" pipe-pane -o -t "$target" "cat >> '$work/raw'"
	type_line "'$cordon' run -q --pty -C '$work/ws' -- sh -c 'sleep 1; echo BYTES-\$((6*7))'"
	tmux -S "$tsock" send-keys -t "$target" C-d
	if wait_for '^BYTES-42$'; then
		sleep 0.3
		tmux -S "$tsock" pipe-pane -t "$target"
		after_line=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); i = d.find(b"BYTES-$((6*7))"); j = d.find(b"\n", i); print(repr(d[j + 1:d.find(b"BYTES-42", j) + 10]))' "$work/raw")
		if [ "$after_line" = "b'BYTES-42\r\n'" ]; then
			ok "the terminal gets exactly the command's bytes (no ^@ from an early Ctrl-D)"
		else
			not_ok "the terminal gets exactly the command's bytes (no ^@ from an early Ctrl-D)" "after the typed line: $after_line"
		fi
	else
		not_ok "the terminal gets exactly the command's bytes (no ^@ from an early Ctrl-D)" "$(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
	fi
	type_line "cd '$work/ws' && '$cordon' run -q -C '$work/ws' -- sh -c 'i=0; while :; do i=\$((i+1)); echo \$i >ticks.new && mv ticks.new ticks; sleep 0.05; done'"
	for _ in $(seq 1 50); do [ -n "$(ticks)" ] && break; sleep 0.1; done
	sleep 0.3
	tmux -S "$tsock" send-keys -t "$target" C-z
	if wait_for 'Stopped' 25; then
		# The command's stop is sent just before cordon's own: give it
		# a moment to land before reading the counter.
		sleep 0.3
		a=$(ticks)
		sleep 0.6
		b=$(ticks)
		if [ -n "$a" ] && [ "$a" = "$b" ]; then
			ok "Ctrl-Z without --pty: the shell reports the job stopped and the command stands still"
		else
			not_ok "Ctrl-Z without --pty: the shell reports the job stopped and the command stands still" "ticks $a then $b"
		fi
		type_line 'fg'
		sleep 0.8
		c=$(ticks)
		if [ -n "$c" ] && [ "$c" -gt "${b:-0}" ]; then
			ok "fg resumes the command"
		else
			not_ok "fg resumes the command" "ticks $b then $c"
		fi
		tmux -S "$tsock" send-keys -t "$target" C-c
		sleep 0.5
		type_line 'echo RUN-STATUS-$?'
		if wait_for '^RUN-STATUS-130$' 25; then
			ok "Ctrl-C then ends the run (status 130)"
		else
			not_ok "Ctrl-C then ends the run (status 130)" "$(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
		fi
	else
		not_ok "Ctrl-Z without --pty: the shell reports the job stopped and the command stands still" \
			"no 'Stopped' in the pane: $(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
		tmux -S "$tsock" send-keys -t "$target" C-c
	fi
else
	not_ok "an interactive bash starts in tmux" "$(pane | grep -v "^$" | tail -n 6 | tr '\n' '|')"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
