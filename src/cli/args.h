/* The cordon command line, parsed into a plain struct. Pure: no file is
 * opened and nothing is printed, so every rule (and every message a user
 * can read) is checked by tests/unit/test_args.c. */
#ifndef CORDON_CLI_ARGS_H
#define CORDON_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"

#define CLI_MESSAGE_MAX 512

typedef enum cli_command {
	CLI_COMMAND_RUN,
	CLI_COMMAND_COMPAT, /* cordon --sandbox-policy-cwd DIR POLICY -- PROGRAM ... */
	CLI_COMMAND_DOCTOR,
	CLI_COMMAND_SETUP,
	CLI_COMMAND_VERSION,
	CLI_COMMAND_HELP,     /* cordon --help */
	CLI_COMMAND_RUN_HELP, /* cordon run --help */
	CLI_COMMAND_OPTIONS,  /* cordon __options: the option listing, for tools */
} cli_command;

/* Strings point into the argv that was parsed (never copied); the lists
 * are allocated and released by cli_args_free. */
typedef struct cli_list {
	const char **items;
	size_t count;
} cli_list;

typedef struct cli_args {
	cli_command command;

	const char *cwd; /* -C; NULL: the policy's (".") */
	bool mode_set;
	cordon_mode mode;
	cli_list writable;
	cli_list protected_names;
	cli_list deny_read;
	cli_list credential_lifts; /* --allow-read-credential */
	bool network_set;
	cordon_network network;
	cli_list allowed_domains;
	bool timeout_set;
	double timeout_seconds; /* as given, for the summary line */
	unsigned timeout_ms;	/* rounded up, never 0 when set */
	bool pty;
	bool no_tmp;
	bool best_effort;
	const char *policy_file;
	bool print_policy;
	bool quiet;

	const char *compat_policy; /* CLI_COMMAND_COMPAT: the POLICY argument */

	/* cordon setup */
	bool setup_plan;	   /* --plan: print the plan as JSON, change nothing */
	bool setup_uninstall;	   /* --uninstall */
	const char *setup_profile; /* --profile DIR (with --plan) */
	cli_list setup_roots;	   /* --root DIR, repeatable */

	/* The command to run: NULL-terminated, points into argv. */
	const char *const *program_argv;
	int program_argc;
} cli_args;

typedef enum cli_parse_result {
	CLI_PARSE_OK,
	CLI_PARSE_ERROR, /* message holds one line without the "cordon: " prefix */
	CLI_PARSE_NOMEM,
} cli_parse_result;

/* Parses argv (argv[0] is the program name) into *out, which the caller
 * releases with cli_args_free whatever the result. Uses getopt_long, so it
 * resets getopt's global state itself; not thread-safe. */
cli_parse_result cli_args_parse(int argc, char *const *argv, cli_args *out, char message[CLI_MESSAGE_MAX]);
void cli_args_free(cli_args *args);

/* Rules between options that only hold once the final mode and network
 * are known (after a --policy file was merged): --writable needs a
 * writable mode, --allow-domain needs the proxy. */
cli_parse_result cli_check_combination(const cli_args *args, cordon_mode mode, cordon_network network,
				       char message[CLI_MESSAGE_MAX]);

/* "read-only" / "workspace-write" / "full-access" -> mode; false if unknown. */
bool cli_mode_from_name(const char *name, cordon_mode *out);
/* "off" / "on" / "proxy" -> network; false if unknown. */
bool cli_network_from_name(const char *name, cordon_network *out);
/* Parses a timeout in seconds (decimal allowed, > 0) into milliseconds,
 * rounded up; false for anything else or a value too large for a run. */
bool cli_timeout_parse(const char *text, double *seconds, unsigned *milliseconds);

/* One option of 'cordon run', as the shell completions and the check of
 * the man page see it. */
typedef struct cli_option_info {
	const char *name;	    /* without "--" */
	char short_name;	    /* '\0' when there is none */
	const char *placeholder;    /* "DIR", "MODE", ...; NULL for a flag */
	const char *const *choices; /* NULL-terminated when the value is one of a set */
} cli_option_info;

/* The index-th option of 'cordon run', from the parser's own table; false
 * past the last. */
bool cli_run_option_at(size_t index, cli_option_info *out);
/* The index-th option of 'cordon setup', likewise. */
bool cli_setup_option_at(size_t index, cli_option_info *out);
/* The index-th word that may follow "cordon" (commands, --help, ...), NULL
 * past the last. Hidden words are left out. */
const char *cli_command_word_at(size_t index);

#endif
