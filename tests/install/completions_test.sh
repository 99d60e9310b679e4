#!/usr/bin/env bash
# The generated shell completions, driven the way the shells drive them
# (bash through COMP_WORDS and _cordon, zsh typed into on a pty),
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

# Completes each case's LINE (the cursor at its end) in one bash with the
# cordon completion loaded, from a directory holding a subdirectory "alpha"
# and a file "afile". Words split as readline splits them: at blanks, and
# "=" is a word of its own. Prints one line per case: the sorted candidates.
mkdir -p "$scratch/cwd/alpha"
: >"$scratch/cwd/afile"
complete_bash() { # complete_bash WITH_BASH_COMPLETION LINE...
	(cd "$scratch/cwd" && bash --norc --noprofile -c '
		[ "$1" = yes ] && . /usr/share/bash-completion/bash_completion
		. "$2"
		shift 2
		for line; do
			split=${line//=/ = }
			read -ra COMP_WORDS <<<"$split"
			[[ $line == *" " || $line == *= ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMP_LINE=$line COMP_POINT=${#line}
			COMPREPLY=()
			_cordon cordon "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}" | sort -u | tr "\n" " "
			echo
		done
	' complete_bash "$1" "$completions/cordon" "${@:2}" 2>/dev/null)
}

# Each case: LINE, how (exact|has|lacks), then the words, separated by "|".
mapfile -t long_options < <("$cordon" __options | awk -F'\t' '$1 == "option" && $2 == "run" { print $3 }')
mapfile -t short_options < <("$cordon" __options | awk -F'\t' '$1 == "option" && $2 == "run" && $4 != "" { print $4 }')
cases=(
	"cordon |has|run doctor setup version --sandbox-policy-cwd"
	"cordon d|exact|doctor"
	"cordon run --|has|${long_options[*]}"
	"cordon run -|has|${short_options[*]}"
	"cordon run --mo|exact|--mode"
	"cordon run --mode |exact|read-only workspace-write full-access"
	"cordon run -q --network=|exact|off on proxy"
	"cordon run -n o|exact|off on"
	"cordon run -C |exact|alpha"
	"cordon run --policy a|has|afile alpha"
	"cordon run --timeout |exact|"
	"cordon run --pty -- ls a|has|afile"
	"cordon run -- ls --|lacks|--mode --cwd"
	"cordon run --mode=read-only -C alpha sh -c --|lacks|--mode"
	"cordon run -q bas|has|bash"
	"cordon --sandbox-policy-cwd alpha |exact|read-only workspace-write danger-full-access"
	"cordon setup --|has|--plan --uninstall --profile --root"
	"cordon setup --plan --root |exact|alpha"
)
lines=()
for case in "${cases[@]}"; do lines+=("${case%%|*}"); done
withs=(no)
if [ -r /usr/share/bash-completion/bash_completion ]; then withs+=(yes); fi
for with in "${withs[@]}"; do
	mapfile -t results < <(complete_bash "$with" "${lines[@]}")
	for i in "${!cases[@]}"; do
		IFS='|' read -r line how words <<<"${cases[i]}"
		got=" ${results[i]:-}"
		# shellcheck disable=SC2086 # the words are a blank-separated list
		want=$(printf '%s\n' $words | sort -u | tr '\n' ' ')
		good=true
		case $how in
		exact) [ "$got" = " $want" ] || good=false ;;
		has) for word in $words; do [[ $got == *" $word "* ]] || good=false; done ;;
		lacks) for word in $words; do [[ $got != *" $word "* ]] || good=false; done ;;
		esac
		if $good; then
			ok "bash ($with bash-completion): '$line' $how: $words"
		else
			fail "bash ($with bash-completion): '$line' $how: $words (got:$got)"
		fi
	done
done

# zsh: the file parses, compinit binds it to cordon, and completion works
# when typed: an interactive zsh on a pseudo-terminal (zsh/zpty) gets each
# line and a TAB, then prints the edited line back.
if command -v zsh >/dev/null; then
	if zsh -n "$completions/_cordon"; then ok "zsh parses _cordon"; else fail "zsh cannot parse _cordon"; fi
	cat >"$scratch/type.zsh" <<'ZSH'
zmodload zsh/zpty
completions=$1 dir=$2
shift 2
zpty z zsh -f -i
zpty -w z "bindkey -e; PS1='%% '; cd ${(q)dir}; fpath=(${(q)completions} \$fpath); autoload -Uz compinit; compinit -u -d ${(q)dir}/../zcompdump; print -r -- BOUND-\$_comps[cordon]-RE''ADY"
zpty -r -m z out '*READY*% *' || exit 1
print -r -- "${${out##*BOUND-}%%-READY*}"
for line; do
	zpty -w -n z "$line"$'\t\C-a'"print -r -- 'TYPED<"$'\C-e'">'"$'\n'
	zpty -r -m z out $'*\nTYPED<*>*' || exit 1
	out=${out##*$'\n'TYPED<}
	out=${out%%>*}
	print -r -- "${out%% #}"
done
zpty -d z
ZSH
	zsh_cases=(
		"cordon do|cordon doctor"
		"cordon run --mo|cordon run --mode"
		"cordon run --network pr|cordon run --network proxy"
		"cordon run --pty -q --best|cordon run --pty -q --best-effort"
		"cordon run -C a|cordon run -C alpha"
		"cordon run --policy af|cordon run --policy afile"
		"cordon --sandbox-policy-cwd alpha danger|cordon --sandbox-policy-cwd alpha danger-full-access"
		"cordon setup --un|cordon setup --uninstall"
	)
	zsh_lines=()
	for case in "${zsh_cases[@]}"; do zsh_lines+=("${case%%|*}"); done
	mapfile -t typed < <(HOME=$scratch timeout 120 zsh -f "$scratch/type.zsh" "$completions" "$scratch/cwd" "${zsh_lines[@]}")
	if [ "${typed[0]:-}" = _cordon ]; then
		ok "zsh compinit binds cordon to _cordon"
	else
		fail "zsh compinit binds cordon to '${typed[0]:-}', not _cordon"
	fi
	for i in "${!zsh_cases[@]}"; do
		want=${zsh_cases[i]#*|}
		got=${typed[i + 1]:-}
		if [ "$got" = "$want" ]; then
			ok "zsh: '${zsh_lines[i]}' TAB gives '$want'"
		else
			fail "zsh: '${zsh_lines[i]}' TAB gives '$got', not '$want'"
		fi
	done
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
python3 "$generator" check "$scratch/cordon-with-new-option" "$man_page" "$(dirname "$man_page")/cli.md" \
	>"$scratch/check.out" 2>&1 || status=$?
if [ "$status" = 1 ] && grep -q "does not document '--brand-new'" "$scratch/check.out" &&
	grep -q "'cordon run --help' does not list '--brand-new'" "$scratch/check.out" &&
	grep -q "cli.md does not document '--brand-new'" "$scratch/check.out"; then
	ok "the man page check fails, naming it, for an option the man page and --help lack"
else
	fail "the man page check did not fail for an undocumented option (status $status): $(cat "$scratch/check.out")"
fi

if [ "$failures" -gt 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all completion checks passed"
