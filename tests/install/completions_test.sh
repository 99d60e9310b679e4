#!/usr/bin/env bash
# The generated shell completions, driven the way the shells drive them,
# and the drift check's teeth: an option the parser gains shows up in the
# completions by itself and fails the man page check until documented.
# Usage: completions_test.sh CORDON COMPLETION_DIR CLI_OPTIONS_PY MAN_PAGE
set -euo pipefail
cordon=$1
completions=$2
generator=$3
man_page=$4
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cordon-completions-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failures=0
ok() { echo "ok   $*"; }
fail() {
	echo "FAIL $*"
	failures=$((failures + 1))
}

# Completes LINE (the cursor at its end) in a fresh bash with the cordon
# completion loaded, from a directory holding a subdirectory "alpha" and a
# file "afile"; prints the candidates one per line. Words split as
# readline splits them: at blanks, and "=" is a word of its own.
mkdir -p "$scratch/cwd/alpha"
: >"$scratch/cwd/afile"
complete_bash() { # complete_bash WITH_BASH_COMPLETION LINE
	(cd "$scratch/cwd" && bash --norc --noprofile -c '
		[ "$1" = yes ] && . /usr/share/bash-completion/bash_completion
		. "$2"
		line=${3//=/ = }
		read -ra COMP_WORDS <<<"$line"
		[[ $3 == *" " || $3 == *= ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$3 COMP_POINT=${#3}
		_cordon cordon "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' complete_bash "$1" "$completions/cordon" "$2")
}
expect() { # expect WITH LINE exact|has|lacks WORD...
	local with=$1 line=$2 how=$3
	shift 3
	local got
	got=$(complete_bash "$with" "$line" | sort -u | tr '\n' ' ')
	local want
	want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
	local good=true word
	case $how in
	exact) [ "$got" = "$want" ] || good=false ;;
	has) for word; do [[ " $got" == *" $word "* ]] || good=false; done ;;
	lacks) for word; do [[ " $got" != *" $word "* ]] || good=false; done ;;
	esac
	if $good; then ok "bash ($with bash-completion): '$line' $how: $*"; else fail "bash ($with bash-completion): '$line' $how: $* (got: $got)"; fi
}

mapfile -t long_options < <("$cordon" __options | awk -F'\t' '$1 == "option" { print $3 }')
mapfile -t short_options < <("$cordon" __options | awk -F'\t' '$1 == "option" && $4 != "" { print $4 }')
withs=(no)
if [ -r /usr/share/bash-completion/bash_completion ]; then withs+=(yes); fi
for with in "${withs[@]}"; do
	expect "$with" "cordon " has run doctor setup version --sandbox-policy-cwd
	expect "$with" "cordon d" exact doctor
	expect "$with" "cordon run --" has "${long_options[@]}"
	expect "$with" "cordon run -" has "${short_options[@]}"
	expect "$with" "cordon run --mo" exact --mode
	expect "$with" "cordon run --mode " exact read-only workspace-write full-access
	expect "$with" "cordon run -q --network=" exact off on proxy
	expect "$with" "cordon run -n o" exact off on
	expect "$with" "cordon run -C " exact alpha
	expect "$with" "cordon run --policy a" has afile alpha
	expect "$with" "cordon run --timeout " exact
	expect "$with" "cordon run --pty -- ls a" has afile
	expect "$with" "cordon run -- ls --" lacks --mode --cwd
	expect "$with" "cordon run --mode=read-only -C alpha sh -c --" lacks --mode
	expect "$with" "cordon run -q bas" has bash
	expect "$with" "cordon --sandbox-policy-cwd alpha " exact read-only workspace-write danger-full-access
done

# zsh: the file parses, and compinit binds it to the cordon command.
if command -v zsh >/dev/null; then
	if zsh -n "$completions/_cordon"; then ok "zsh parses _cordon"; else fail "zsh cannot parse _cordon"; fi
	bound=$(HOME=$scratch zsh -f -c "fpath=('$completions' \$fpath); autoload -Uz compinit; compinit -u -d '$scratch/zcompdump'; print -r -- \$_comps[cordon]")
	if [ "$bound" = _cordon ]; then ok "zsh compinit binds cordon to _cordon"; else fail "zsh compinit binds cordon to '$bound', not _cordon"; fi
else
	echo "SKIP zsh checks: zsh is not installed (scripts/setup-debian.sh installs it)"
fi

# A cordon whose parser gained an option nobody documented yet.
cat >"$scratch/cordon-with-new-option" <<WRAPPER
#!/bin/sh
"$cordon" "\$@" || exit \$?
if [ "\$1" = __options ]; then printf 'option\trun\t--brand-new\t\tFILE\t\n'; fi
WRAPPER
chmod +x "$scratch/cordon-with-new-option"
python3 "$generator" completions "$scratch/cordon-with-new-option" "$scratch/new.bash" "$scratch/_new"
if grep -q -- '--brand-new' "$scratch/new.bash" && grep -q -- '--brand-new' "$scratch/_new"; then
	ok "an option added to the parser's table reaches both completions with no other change"
else
	fail "an option added to the parser's table is missing from the generated completions"
fi
status=0
python3 "$generator" check "$scratch/cordon-with-new-option" "$man_page" >"$scratch/check.out" 2>&1 || status=$?
if [ "$status" = 1 ] && grep -q "does not document '--brand-new'" "$scratch/check.out" &&
	grep -q "'cordon run --help' does not list '--brand-new'" "$scratch/check.out"; then
	ok "the man page check fails, naming it, for an option the man page and --help lack"
else
	fail "the man page check did not fail for an undocumented option (status $status): $(cat "$scratch/check.out")"
fi

if [ "$failures" -gt 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all completion checks passed"
