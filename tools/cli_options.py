#!/usr/bin/env python3
"""cordon's command line as data: shell completions and the man page check.

`cordon __options` lists every command word and every option of
`cordon run`, straight from the parser's tables in src/cli/args.c. This
script turns that listing into the bash and zsh completions (at build time,
so they cannot drift), and checks that the man page and the --help texts
name every option (a test, so a new option fails loudly until documented).

  cli_options.py completions CORDON BASH_OUT ZSH_OUT
  cli_options.py check CORDON MAN_PAGE [MARKDOWN...]
"""
import re
import subprocess
import sys

# Values of the compatibility form's POLICY argument besides a JSON object.
COMPAT_POLICIES = ["read-only", "workspace-write", "danger-full-access"]

# Placeholders whose values are directories or paths; any other value
# without choices completes as a file name.
DIRECTORY_PLACEHOLDERS = {"DIR"}
FREE_TEXT_PLACEHOLDERS = {"NAME", "SEC"}


class Option:
    def __init__(self, fields):
        self.long = fields[2]
        self.short = fields[3]
        self.placeholder = fields[4]
        self.choices = fields[5].split() if fields[5] else []
        self.help = ""
        self.repeatable = False

    @property
    def takes_value(self):
        return self.placeholder != ""

    @property
    def spellings(self):
        return [s for s in (self.short, self.long) if s]


def run_cordon(cordon, *args):
    result = subprocess.run([cordon, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"cli_options.py: '{cordon} {' '.join(args)}' failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def read_listing(cordon, command="run"):
    """The command words, and the options of one command (run or setup)."""
    commands, options = [], []
    for line in run_cordon(cordon, "__options").splitlines():
        fields = line.split("\t")
        if fields[0] == "command" and len(fields) == 2:
            commands.append(fields[1])
        elif fields[0] == "option" and len(fields) == 6 and fields[1] in ("run", "setup"):
            if fields[1] == command:
                options.append(Option(fields))
        else:
            sys.exit(f"cli_options.py: cannot read this line of 'cordon __options': {line!r}")
    if not commands or not options:
        sys.exit("cli_options.py: 'cordon __options' listed no commands or no options")
    return commands, options


def help_entries(text):
    """Maps each option and command word named at the start of a --help line
    to its description (continuation lines joined)."""
    entries, current = {}, None
    for line in text.splitlines():
        option = re.match(r"^\s+(?:(-\w), )?(--[\w-]+)(?: [A-Z]+)?\s+(.*)$", line)
        command = re.match(r"^  ([a-z][\w-]*)\s{2,}(.*)$", line)
        continuation = re.match(r"^\s{20,}(\S.*)$", line)
        if option:
            current = option.group(2)
            entries[current] = option.group(3)
            if option.group(1):
                entries[option.group(1)] = entries[current]
        elif command:
            current = command.group(1)
            entries[current] = command.group(2)
        elif continuation and current:
            entries[current] += " " + continuation.group(1)
        else:
            current = None
    return entries


def describe(cordon, options):
    run_help = help_entries(run_cordon(cordon, "run", "--help"))
    for option in options:
        text = run_help.get(option.long, "")
        option.repeatable = "repeatable" in text
        # Without the asides in parentheses, the first clause is enough
        # for a completion menu.
        text = re.sub(r"\s*\([^()]*\)", "", text)
        option.help = text.split(";")[0].strip()
    return help_entries(run_cordon(cordon, "--help"))


# What the completion menus say for setup's options ('cordon --help' names
# them in one line, not one line each); check() makes sure the man page and
# --help mention every one of them.
SETUP_HELP = {
    "--plan": "print the setup plan as JSON and change nothing",
    "--uninstall": "with --plan: what uninstall removes",
    "--profile": "with --plan: the profile to plan for",
    "--root": "a writable root the sandbox accounts must read",
    "--help": "the command list",
}


def describe_setup(cordon, options):
    for option in options:
        option.help = SETUP_HELP.get(option.long, "")
        option.repeatable = option.long == "--root"


# ------------------------------------------------------------------ bash


def bash_value_action(option):
    if option.choices:
        return f"COMPREPLY=($(compgen -W '{' '.join(option.choices)}' -- \"$cur\"))"
    if option.placeholder in DIRECTORY_PLACEHOLDERS:
        return 'COMPREPLY=($(compgen -d -- "$cur"))'
    if option.placeholder in FREE_TEXT_PLACEHOLDERS:
        return "COMPREPLY=()"
    return 'COMPREPLY=($(compgen -f -- "$cur"))'


def bash_script(commands, options, setup_options):
    setup_value_cases = "".join(
        f"\t\t{'|'.join(o.spellings)}) {bash_value_action(o)}; return ;;\n" for o in setup_options if o.takes_value
    )
    setup_spellings = " ".join(s for o in setup_options for s in o.spellings)
    all_spellings = " ".join(s for o in options for s in o.spellings)
    with_value = "|".join(s for o in options if o.takes_value for s in o.spellings)
    value_cases = "".join(
        f"\t\t{'|'.join(o.spellings)}) {bash_value_action(o)}; return ;;\n" for o in options if o.takes_value
    )
    return f"""# bash completion for cordon.
# Generated from 'cordon __options' by tools/cli_options.py when cordon is
# built: change the option table in src/cli/args.c, not this file.

# Completes the command cordon will run, whose words start at index $1:
# through its own completion when bash-completion is loaded.
_cordon_command() {{
	if declare -F _command_offset >/dev/null; then
		_command_offset "$1"
	elif (( COMP_CWORD == $1 )); then
		COMPREPLY=($(compgen -c -- "${{COMP_WORDS[COMP_CWORD]}}"))
	else
		COMPREPLY=($(compgen -f -- "${{COMP_WORDS[COMP_CWORD]}}"))
	fi
}}

_cordon() {{
	local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
	local i=2
	COMPREPLY=()
	# bash splits "--mode=value" at the "=" (COMP_WORDBREAKS).
	if [[ $cur == = ]]; then
		cur=""
	elif [[ $prev == = ]] && (( COMP_CWORD >= 3 )); then
		prev=${{COMP_WORDS[COMP_CWORD-2]}}
	fi
	if (( COMP_CWORD == 1 )); then
		COMPREPLY=($(compgen -W '{" ".join(commands)}' -- "$cur"))
		return
	fi
	case ${{COMP_WORDS[1]}} in
	run)
		# Where the command to run starts: the first word that is not an
		# option or an option's value, or the word after "--".
		while (( i < COMP_CWORD )); do
			case ${{COMP_WORDS[i]}} in
			--) (( i++ )); break ;;
			{with_value})
				if [[ ${{COMP_WORDS[i+1]}} == = ]]; then (( i += 3 )); else (( i += 2 )); fi ;;
			-*) if [[ ${{COMP_WORDS[i+1]}} == = ]]; then (( i += 3 )); else (( i++ )); fi ;;
			*) break ;;
			esac
		done
		if (( i < COMP_CWORD )); then
			_cordon_command "$i"
			return
		fi
		case $prev in
{value_cases}\t\tesac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '{all_spellings}' -- "$cur"))
		else
			_cordon_command "$COMP_CWORD"
		fi
		;;
	setup)
		case $prev in
{setup_value_cases}\t\tesac
		COMPREPLY=($(compgen -W '{setup_spellings}' -- "$cur"))
		;;
	--sandbox-policy-cwd)
		case $COMP_CWORD in
		2) COMPREPLY=($(compgen -d -- "$cur")) ;;
		3) COMPREPLY=($(compgen -W '{" ".join(COMPAT_POLICIES)}' -- "$cur")) ;;
		*)
			i=4
			[[ ${{COMP_WORDS[4]}} == -- ]] && i=5
			if (( COMP_CWORD >= i )); then _cordon_command "$i"; else COMPREPLY=(-- ); fi
			;;
		esac
		;;
	esac
}}
complete -F _cordon cordon
"""


# ------------------------------------------------------------------- zsh


def zsh_quote(text):
    return text.replace("'", "'\\''")


def zsh_description(text):
    return zsh_quote(text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]"))


def zsh_value_action(option):
    if option.choices:
        return f"({' '.join(option.choices)})"
    if option.placeholder in DIRECTORY_PLACEHOLDERS:
        return "_files -/"
    if option.placeholder in FREE_TEXT_PLACEHOLDERS:
        return " "
    return "_files"


def zsh_spec(option):
    description = zsh_description(option.help)
    if option.long == "--help":
        exclusion = "(- *)"
    elif option.repeatable:
        exclusion = "*"
    else:
        exclusion = f"({' '.join(option.spellings)})"
    suffix = ""
    if option.takes_value:
        suffix = f":{zsh_quote(option.placeholder.lower())}:{zsh_quote(zsh_value_action(option))}"
    names = []
    for spelling in option.spellings:
        if option.takes_value:
            spelling += "+" if len(spelling) == 2 else "="
        names.append(spelling)
    if len(names) == 1:
        return f"'{exclusion}{names[0]}[{description}]{suffix}'"
    return f"'{exclusion}'{{{','.join(names)}}}'[{description}]{suffix}'"


def zsh_script(commands, options, setup_options, top_help):
    command_items = []
    for word in commands:
        description = top_help.get(word, "")
        if not description and word.startswith("-"):
            description = {"--help": "the command list", "-h": "the command list", "--version": "print cordon's version"}.get(word, "")
        if word == "--sandbox-policy-cwd":
            description = "compatibility form: DIR POLICY -- PROGRAM"
        if word == "help":
            description = "the command list"
        command_items.append(f"'{zsh_quote(word.replace(':', chr(92) + ':'))}:{zsh_quote(description.replace(':', ' '))}'")
    specs = " \\\n\t\t\t".join(zsh_spec(o) for o in options)
    setup_specs = " \\\n\t\t\t".join(zsh_spec(o) for o in setup_options)
    return f"""#compdef cordon
# zsh completion for cordon.
# Generated from 'cordon __options' by tools/cli_options.py when cordon is
# built: change the option table in src/cli/args.c, not this file.

_cordon() {{
	local -a cordon_commands
	cordon_commands=(
		{(chr(10) + chr(9) + chr(9)).join(command_items)}
	)
	if (( CURRENT == 2 )); then
		_describe -t commands 'cordon command' cordon_commands
		return
	fi
	case $words[2] in
	run)
		shift words
		(( CURRENT-- ))
		_arguments -s -S : \\
			{specs} \\
			'(-):program:_command_names -e' \\
			'*::program arguments:_normal'
		;;
	setup)
		shift words
		(( CURRENT-- ))
		_arguments -s -S : \\
			{setup_specs}
		;;
	--sandbox-policy-cwd)
		shift words
		(( CURRENT-- ))
		_arguments : \\
			'1:working directory:_files -/' \\
			'2:policy:({" ".join(COMPAT_POLICIES)})' \\
			'3:program:_command_names -e' \\
			'*::program arguments:_normal'
		;;
	esac
}}

_cordon "$@"
"""


# ----------------------------------------------------------------- check


def man_has(man, spelling):
    """True when the man page writes the option or word as roff would:
    every '-' escaped as '\\-'."""
    man = re.sub(r"\\f[BIRP]", "", man)  # font changes: \fB--cwd\fR
    escaped = spelling.replace("-", r"\-")
    return re.search(r"(?<![\w\\-])" + re.escape(escaped) + r"(?![\w-]|\\-)", man) is not None


def check(cordon, man_path, markdown_paths):
    commands, options = read_listing(cordon)
    top_help = run_cordon(cordon, "--help")
    run_help = run_cordon(cordon, "run", "--help")
    with open(man_path, encoding="utf-8") as f:
        man = f.read()
    problems = []
    for word in commands:
        if not man_has(man, word):
            problems.append(f"{man_path} does not mention '{word}' (a word 'cordon __options' lists)")
        if not word.startswith("-") and word != "help" and not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", top_help):
            problems.append(f"'cordon --help' does not mention the command '{word}'")
    for option in options:
        for spelling in option.spellings:
            if not man_has(man, spelling):
                problems.append(f"{man_path} does not document '{spelling}' (an option of 'cordon run')")
            if not re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", run_help):
                problems.append(f"'cordon run --help' does not list '{spelling}'")
        for choice in option.choices:
            if not man_has(man, choice):
                problems.append(f"{man_path} does not name '{choice}', a value of {option.long}")
        for path in markdown_paths:
            with open(path, encoding="utf-8") as f:
                if not re.search(rf"(?<![\w-]){re.escape(option.long)}(?![\w-])", f.read()):
                    problems.append(f"{path} does not document '{option.long}'")
    _, setup_options = read_listing(cordon, "setup")
    for option in setup_options:
        if option.long == "--help":
            continue  # documented as run's and the top level's
        if not man_has(man, option.long):
            problems.append(f"{man_path} does not document '{option.long}' (an option of 'cordon setup')")
        if not re.search(rf"(?<![\w-]){re.escape(option.long)}(?![\w-])", top_help):
            problems.append(f"'cordon --help' does not mention '{option.long}' (an option of 'cordon setup')")
        if option.long not in SETUP_HELP:
            problems.append(f"tools/cli_options.py has no menu text for '{option.long}' of 'cordon setup'")
    for problem in problems:
        print(f"cli_options.py: {problem}", file=sys.stderr)
    if problems:
        print(f"cli_options.py: {len(problems)} problem(s): document them in src/cli/main.c, docs/cordon.1 and the docs named", file=sys.stderr)
        return 1
    print(f"cli_options.py: the man page and --help name all {len(commands)} command words and {len(options)} run options"
          + (f"; {', '.join(markdown_paths)} document every option" if markdown_paths else ""))
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == "completions":
        commands, options = read_listing(argv[2])
        _, setup_options = read_listing(argv[2], "setup")
        top_help = describe(argv[2], options)
        describe_setup(argv[2], setup_options)
        with open(argv[3], "w", encoding="utf-8") as f:
            f.write(bash_script(commands, options, setup_options))
        with open(argv[4], "w", encoding="utf-8") as f:
            f.write(zsh_script(commands, options, setup_options, top_help))
        return 0
    if len(argv) >= 4 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4:])
    print("usage:\n" + "\n".join(__doc__.strip().splitlines()[-2:]), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
