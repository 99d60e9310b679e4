/* cordon: the command-line front of libcordon. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>

#ifdef __linux__
#include "linux/prefault.h"
#endif
#ifdef CORDON_STATIC_EXECUTABLE
#include "core/name_services.h"
#include "linux/getent.h"
#endif

static const char top_usage[] = "Usage: cordon run [options] -- PROGRAM [ARG...]\n"
				"       cordon --sandbox-policy-cwd DIR POLICY -- PROGRAM [ARG...]\n"
				"       cordon doctor | setup | version | --help\n"
				"\n"
				"Runs PROGRAM under an operating-system sandbox: by default it may write\n"
				"only in the working directory and the temp directory, never in .git,\n"
				".codex, .agents or .cordon, and has no network.\n"
				"\n"
				"Commands:\n"
				"  run       run a command in the sandbox ('cordon run --help' for options)\n"
				"  doctor    show what this host can enforce, and what to do about the rest\n"
				"  setup     one-time setup (Windows); nothing to do on Linux\n"
				"            --plan prints the plan as JSON and changes nothing\n"
				"            (--profile DIR, --root DIR; --uninstall for the removal)\n"
				"  version   print cordon's version\n"
				"\n"
				"Compatibility form: POLICY is read-only, workspace-write or a JSON object;\n"
				"DIR is the working directory and workspace root.\n"
				"\n"
				"Exit status: the command's own; 124 timeout; 125 cordon could not do what\n"
				"was asked; 126 not executable; 127 not found; 128+N killed by signal N.\n";

static const char run_usage[] =
	"Usage: cordon run [options] -- PROGRAM [ARG...]\n"
	"\n"
	"  -C, --cwd DIR           working directory, and the workspace root (default .)\n"
	"  -m, --mode MODE         read-only, workspace-write (default) or full-access\n"
	"                          (full-access: no sandbox at all)\n"
	"  -w, --writable DIR      one more writable root (repeatable)\n"
	"      --protect NAME      keep NAME read-only in every writable root (repeatable;\n"
	"                          adds to .git .codex .agents .cordon)\n"
	"      --deny-read PATH    a path the command may not read (repeatable)\n"
	"      --allow-read-credential NAME\n"
	"                          let the command read a credential store that is\n"
	"                          hidden by default (~/.ssh, ~/.aws, ...: see\n"
	"                          docs/cli.md); all: every one (repeatable)\n"
	"  -n, --network MODE      off (default), on, or proxy\n"
	"      --allow-domain NAME with --network proxy: a host the command may reach\n"
	"                          (*.example.org allowed; repeatable)\n"
	"  -t, --timeout SEC       kill every process of the run after SEC seconds\n"
	"                          (decimals allowed); exit 124\n"
	"      --pty               run on a pseudo-terminal (interactive programs)\n"
	"      --no-tmp            workspace-write without a writable temp directory\n"
	"      --best-effort       run with what this host can enforce, saying what is\n"
	"                          missing (default: refuse)\n"
	"      --policy FILE       read settings from a cordon policy JSON file first;\n"
	"                          options on the command line then override or add\n"
	"      --print-policy      print the resolved policy as JSON and run nothing\n"
	"  -q, --quiet             no summary lines on stderr\n"
	"  -h, --help              this help\n"
	"\n"
	"The first argument that is not an option starts the command; '--' makes\n"
	"that explicit.\n";

void cli_say(const char *format, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("cordon: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	/* In raw mode the terminal no longer turns "\n" into a new line. */
	fputs(cli_terminal_is_raw() ? "\r\n" : "\n", stderr);
	fflush(stderr);
}

static int print_and_exit(const char *text)
{
	fputs(text, stdout);
	return fflush(stdout) == 0 ? 0 : CLI_EXIT_CORDON_ERROR;
}

static int dispatch(const cli_args *args)
{
	switch (args->command) {
	case CLI_COMMAND_RUN:
	case CLI_COMMAND_COMPAT: return cli_run(args);
	case CLI_COMMAND_DOCTOR: return cli_doctor();
	case CLI_COMMAND_SETUP: return cli_setup(args);
	case CLI_COMMAND_VERSION: return print_and_exit("cordon " CORDON_VERSION "\n");
	case CLI_COMMAND_HELP: return print_and_exit(top_usage);
	case CLI_COMMAND_RUN_HELP: return print_and_exit(run_usage);
	case CLI_COMMAND_OPTIONS: return cli_print_options();
	}
	return CLI_EXIT_CORDON_ERROR;
}

#ifdef _WIN32
#include <windows.h>

#include <shellapi.h>
#include <stdlib.h>
#include <string.h>

#include "windows/elevated.h"

/* The library takes UTF-8 on Windows; main's argv is in the ANSI code
 * page, which cannot hold every name. Allocates a UTF-8 argv from the
 * UTF-16 command line (kept for the life of the process), or returns
 * argv unchanged when that fails. */
static char **utf8_arguments(int argc, char **argv)
{
	int count = 0;
	wchar_t **wide = CommandLineToArgvW(GetCommandLineW(), &count);
	if (wide == NULL || count != argc)
		return argv;
	char **utf8 = calloc((size_t)count + 1, sizeof(*utf8));
	for (int i = 0; utf8 != NULL && i < count; i++) {
		int bytes = WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, NULL, 0, NULL, NULL);
		utf8[i] = bytes > 0 ? malloc((size_t)bytes) : NULL;
		if (utf8[i] == NULL ||
		    WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, utf8[i], bytes, NULL, NULL) != bytes)
			return argv;
	}
	LocalFree(wide);
	return utf8 != NULL ? utf8 : argv;
}
#endif

int main(int argc, char **argv)
{
	char message[CLI_MESSAGE_MAX];
	cli_args args;
	int status;

#ifdef _WIN32
	argv = utf8_arguments(argc, argv);
	/* The elevated-mode runner (started by cordon itself as the sandbox
	 * account): not a command for people, so not in the parser. */
	if (argc >= 2 && strcmp(argv[1], "__runner") == 0)
		return win_runner_main(argc, argv);
	/* Started by 'cordon setup', detached: not a command for users, so
	 * not in the parser's table or the help. */
	if (argc >= 2 && strcmp(argv[1], WIN_GRANT_HELPER_COMMAND) == 0)
		return win_grant_helper_main(argc, argv);
#endif
#ifdef __linux__
	/* What a run touches of stack and heap, mapped in two calls rather
	 * than page fault by page fault (src/linux/prefault.h). */
	linux_prefault_stack(64u * 1024u);
	linux_prefault_heap(128u * 1024u);
#endif
#ifdef CORDON_STATIC_EXECUTABLE
	/* Linked statically (cmake/static-cli.cmake): no NSS module may be
	 * loaded into this process. */
	cordon_name_services_pin_builtin(linux_getent_home);
#endif

	switch (cli_args_parse(argc, argv, &args, message)) {
	case CLI_PARSE_OK: status = dispatch(&args); break;
	case CLI_PARSE_ERROR:
		cli_say("%s", message);
		status = CLI_EXIT_CORDON_ERROR;
		break;
	case CLI_PARSE_NOMEM:
	default:
		cli_say("out of memory while reading the command line: the system is short of memory; "
			"free some and retry");
		status = CLI_EXIT_CORDON_ERROR;
		break;
	}
	cli_args_free(&args);
	return status;
}
