/* Parsing the cordon command line into a cli_args. Nothing here touches the
 * filesystem or prints; main.c decides what to do with the result. */
#include "args.h"

#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long-only options get codes outside the range of short option letters. */
enum {
	OPT_PROTECT = 256,
	OPT_DENY_READ,
	OPT_ALLOW_READ_CREDENTIAL,
	OPT_ALLOW_DOMAIN,
	OPT_PTY,
	OPT_NO_TMP,
	OPT_BEST_EFFORT,
	OPT_POLICY,
	OPT_PRINT_POLICY,
};

/* Indexed by the enums, so the names a user types and the ones the option
 * listing offers are the same strings. */
static const char *const mode_names[] = {
	[CORDON_MODE_READ_ONLY] = "read-only",
	[CORDON_MODE_WORKSPACE_WRITE] = "workspace-write",
	[CORDON_MODE_FULL_ACCESS] = "full-access",
	NULL,
};

static const char *const network_names[] = {
	[CORDON_NETWORK_OFF] = "off",
	[CORDON_NETWORK_ON] = "on",
	[CORDON_NETWORK_PROXY] = "proxy",
	NULL,
};

/* "+" stops at the first non-option so the command's own arguments are
 * never parsed; ":" makes a missing value distinguishable from an unknown
 * option. */
static const char run_short_options[] = "+:C:m:w:n:t:qh";

static const struct option run_long_options[] = {
	{"cwd", required_argument, NULL, 'C'},
	{"mode", required_argument, NULL, 'm'},
	{"writable", required_argument, NULL, 'w'},
	{"protect", required_argument, NULL, OPT_PROTECT},
	{"deny-read", required_argument, NULL, OPT_DENY_READ},
	{"allow-read-credential", required_argument, NULL, OPT_ALLOW_READ_CREDENTIAL},
	{"network", required_argument, NULL, 'n'},
	{"allow-domain", required_argument, NULL, OPT_ALLOW_DOMAIN},
	{"timeout", required_argument, NULL, 't'},
	{"pty", no_argument, NULL, OPT_PTY},
	{"no-tmp", no_argument, NULL, OPT_NO_TMP},
	{"best-effort", no_argument, NULL, OPT_BEST_EFFORT},
	{"policy", required_argument, NULL, OPT_POLICY},
	{"print-policy", no_argument, NULL, OPT_PRINT_POLICY},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* What the value of each run option is, for the option listing the shell
 * completions are generated from. An option missing here is still listed
 * (as taking a VALUE), so a new option is never left out of them. */
static const struct run_option_value {
	const char *name;
	const char *placeholder;
	const char *const *choices;
} run_option_values[] = {
	{"cwd", "DIR", NULL},		{"mode", "MODE", mode_names}, {"writable", "DIR", NULL},
	{"protect", "NAME", NULL},	{"deny-read", "PATH", NULL},  {"network", "MODE", network_names},
	{"allow-domain", "NAME", NULL}, {"timeout", "SEC", NULL},     {"policy", "FILE", NULL},
};

static const char compat_option[] = "--sandbox-policy-cwd";

/* The words that may follow "cordon" besides "run" and the compatibility
 * form; a word marked alone takes no further argument. */
static const struct command_word {
	const char *word;
	cli_command command;
	bool alone;
} command_words[] = {
	{"doctor", CLI_COMMAND_DOCTOR, true},	{"setup", CLI_COMMAND_SETUP, true},
	{"version", CLI_COMMAND_VERSION, true}, {"--version", CLI_COMMAND_VERSION, true},
	{"help", CLI_COMMAND_HELP, false},	{"--help", CLI_COMMAND_HELP, false},
	{"-h", CLI_COMMAND_HELP, false},	{"__options", CLI_COMMAND_OPTIONS, true},
};

static cli_parse_result parse_error(char message[CLI_MESSAGE_MAX], const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static cli_parse_result parse_error(char message[CLI_MESSAGE_MAX], const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(message, CLI_MESSAGE_MAX, format, ap);
	va_end(ap);
	return CLI_PARSE_ERROR;
}

static bool name_index(const char *const *names, const char *name, int *out)
{
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], name) == 0) {
			*out = i;
			return true;
		}
	}
	return false;
}

bool cli_mode_from_name(const char *name, cordon_mode *out)
{
	int index;
	if (!name_index(mode_names, name, &index))
		return false;
	*out = (cordon_mode)index;
	return true;
}

bool cli_network_from_name(const char *name, cordon_network *out)
{
	int index;
	if (!name_index(network_names, name, &index))
		return false;
	*out = (cordon_network)index;
	return true;
}

/* The longest timeout whose milliseconds still fit an int, which is what
 * the library's wait takes. */
#define CLI_TIMEOUT_MAX_SECONDS 2147483UL

/* Parsed by hand rather than with strtod so that "0.001" is exactly 1 ms
 * and hex, exponents, "inf" and "nan" are refused. */
bool cli_timeout_parse(const char *text, double *seconds, unsigned *milliseconds)
{
	unsigned long whole = 0;
	unsigned long fraction_ms = 0;
	bool round_up = false;
	size_t digits = 0;
	const char *p = text;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		whole = whole * 10 + (unsigned long)(*p - '0');
		if (whole > CLI_TIMEOUT_MAX_SECONDS)
			return false;
	}
	if (*p == '.') {
		unsigned long scale = 100;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (scale > 0)
				fraction_ms += scale * (unsigned long)(*p - '0');
			else if (*p != '0')
				round_up = true;
			scale /= 10;
		}
	}
	if (*p != '\0' || digits == 0)
		return false;
	unsigned long total = whole * 1000 + fraction_ms + (round_up ? 1 : 0);
	if (total == 0 || total > (unsigned long)INT_MAX)
		return false;
	*milliseconds = (unsigned)total;
	*seconds = strtod(text, NULL);
	return true;
}

static bool list_push(cli_list *list, const char *value)
{
	const char **grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return false;
	grown[list->count++] = value;
	list->items = grown;
	return true;
}

void cli_args_free(cli_args *args)
{
	free(args->writable.items);
	free(args->protected_names.items);
	free(args->deny_read.items);
	free(args->credential_lifts.items);
	free(args->allowed_domains.items);
	free(args->setup_roots.items);
	memset(args, 0, sizeof(*args));
}

cli_parse_result cli_check_combination(const cli_args *args, cordon_mode mode, cordon_network network,
				       char message[CLI_MESSAGE_MAX])
{
	if (args->writable.count > 0 && mode == CORDON_MODE_READ_ONLY)
		return parse_error(message, "extra writable roots need workspace-write mode: "
					    "use --mode workspace-write, or drop --writable");
	if (args->allowed_domains.count > 0 && network != CORDON_NETWORK_PROXY)
		return parse_error(message, "--allow-domain needs --network proxy: "
					    "add --network proxy, or drop --allow-domain");
	return CLI_PARSE_OK;
}

static bool is_short_run_option(int c)
{
	return c > 0 && c < 256 && c != ':' && c != '+' && strchr(run_short_options, c) != NULL;
}

/* Copies the option as the user wrote it, without any "=value". */
static void option_spelling(const char *arg, char *out, size_t size)
{
	size_t length = strcspn(arg, "=");
	if (length >= size)
		length = size - 1;
	memcpy(out, arg, length);
	out[length] = '\0';
}

static cli_parse_result unknown_option(int argc, char *const *argv, char message[CLI_MESSAGE_MAX])
{
	char name[128];
	const char *last = optind > 0 && optind <= argc ? argv[optind - 1] : "";

	/* getopt sets optopt to an unknown short letter, and to 0 or the
	 * option's own code when a long option was the problem. */
	if (optopt != 0 && optopt < 256 && !is_short_run_option(optopt))
		return parse_error(message, "unknown option '-%c': see 'cordon run --help'", optopt);
	option_spelling(last, name, sizeof(name));
	if (strchr(last, '=') != NULL && strncmp(last, "--", 2) == 0 && optopt != 0)
		return parse_error(message, "option '%s' takes no value: write it as %s alone", name, name);
	return parse_error(message, "unknown option '%s': see 'cordon run --help'", name);
}

static cli_parse_result missing_value(int argc, char *const *argv, char message[CLI_MESSAGE_MAX])
{
	char name[128];
	const char *last = optind > 0 && optind <= argc ? argv[optind - 1] : "";

	if (strncmp(last, "--", 2) != 0) {
		snprintf(name, sizeof(name), "-%c", optopt);
		return parse_error(message, "option '%s' needs a value: see 'cordon run --help'", name);
	}
	option_spelling(last, name, sizeof(name));
	/* A value was given, so the option takes none: the BSD-derived
	 * getopt_long of mingw-w64 reports "--pty=x" here, glibc's as an
	 * unknown option. */
	if (strchr(last, '=') != NULL)
		return parse_error(message, "option '%s' takes no value: write it as %s alone", name, name);
	return parse_error(message, "option '%s' needs a value: see 'cordon run --help'", name);
}

static cli_parse_result add_to(cli_list *list, const char *value)
{
	return list_push(list, value) ? CLI_PARSE_OK : CLI_PARSE_NOMEM;
}

static cli_parse_result apply_run_option(int c, cli_args *out, char message[CLI_MESSAGE_MAX])
{
	switch (c) {
	case 'C': out->cwd = optarg; return CLI_PARSE_OK;
	case 'm':
		if (!cli_mode_from_name(optarg, &out->mode))
			return parse_error(message,
					   "unknown mode '%s': use read-only, workspace-write or full-access",
					   optarg);
		out->mode_set = true;
		return CLI_PARSE_OK;
	case 'w': return add_to(&out->writable, optarg);
	case OPT_PROTECT: return add_to(&out->protected_names, optarg);
	case OPT_DENY_READ: return add_to(&out->deny_read, optarg);
	case OPT_ALLOW_READ_CREDENTIAL: return add_to(&out->credential_lifts, optarg);
	case 'n':
		if (!cli_network_from_name(optarg, &out->network))
			return parse_error(message, "unknown network mode '%s': use off, on or proxy",
					   optarg);
		out->network_set = true;
		return CLI_PARSE_OK;
	case OPT_ALLOW_DOMAIN: return add_to(&out->allowed_domains, optarg);
	case 't':
		if (!cli_timeout_parse(optarg, &out->timeout_seconds, &out->timeout_ms))
			return parse_error(message,
					   "bad timeout '%s': give seconds greater than 0 (at most %lu), "
					   "e.g. --timeout 30 or --timeout 2.5",
					   optarg, CLI_TIMEOUT_MAX_SECONDS);
		out->timeout_set = true;
		return CLI_PARSE_OK;
	case OPT_PTY: out->pty = true; return CLI_PARSE_OK;
	case OPT_NO_TMP: out->no_tmp = true; return CLI_PARSE_OK;
	case OPT_BEST_EFFORT: out->best_effort = true; return CLI_PARSE_OK;
	case OPT_POLICY: out->policy_file = optarg; return CLI_PARSE_OK;
	case OPT_PRINT_POLICY: out->print_policy = true; return CLI_PARSE_OK;
	case 'q': out->quiet = true; return CLI_PARSE_OK;
	default: return parse_error(message, "internal error: option %d has no handler; please report it", c);
	}
}

/* argv[0] is "run". */
static cli_parse_result parse_run(int argc, char *const *argv, cli_args *out, char message[CLI_MESSAGE_MAX])
{
	cli_parse_result result = CLI_PARSE_OK;
	int c;

	out->command = CLI_COMMAND_RUN;
	optind = 0; /* glibc: 0 also resets getopt's internal state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, run_short_options, run_long_options, NULL)) != -1) {
		if (c == 'h') {
			out->command = CLI_COMMAND_RUN_HELP;
			return CLI_PARSE_OK;
		}
		if (c == '?')
			result = unknown_option(argc, argv, message);
		else if (c == ':')
			result = missing_value(argc, argv, message);
		else
			result = apply_run_option(c, out, message);
		if (result != CLI_PARSE_OK)
			return result;
	}
	out->program_argv = (const char *const *)&argv[optind];
	out->program_argc = argc - optind;
	if (out->program_argc == 0 && !out->print_policy)
		return parse_error(message,
				   "no program to run: give one after '--', e.g. cordon run -- make test");
	/* With a policy file the final mode and network are only known once
	 * it is read; run.c checks again then. */
	if (out->policy_file == NULL)
		return cli_check_combination(out, out->mode_set ? out->mode : CORDON_MODE_WORKSPACE_WRITE,
					     out->network_set ? out->network : CORDON_NETWORK_OFF, message);
	return CLI_PARSE_OK;
}

/* cordon --sandbox-policy-cwd DIR POLICY [--] PROGRAM [ARG...], also with
 * --sandbox-policy-cwd=DIR. */
static cli_parse_result parse_compat(int argc, char *const *argv, cli_args *out,
				     char message[CLI_MESSAGE_MAX])
{
	int next = 2;

	out->command = CLI_COMMAND_COMPAT;
	if (argv[1][strlen(compat_option)] == '=') {
		out->cwd = argv[1] + strlen(compat_option) + 1;
	} else if (next < argc) {
		out->cwd = argv[next++];
	}
	if (out->cwd == NULL || out->cwd[0] == '\0' || next >= argc)
		return parse_error(message,
				   "%s needs a directory and a policy: "
				   "cordon --sandbox-policy-cwd DIR POLICY -- PROGRAM [ARG...]",
				   compat_option);
	out->compat_policy = argv[next++];
	if (next < argc && strcmp(argv[next], "--") == 0)
		next++;
	out->program_argv = (const char *const *)&argv[next];
	out->program_argc = argc - next;
	if (out->program_argc == 0)
		return parse_error(message, "no program to run: give one after '--', "
					    "e.g. cordon --sandbox-policy-cwd DIR POLICY -- make test");
	return CLI_PARSE_OK;
}

static cli_parse_result expect_no_more(int argc, char *const *argv, cli_args *out, cli_command command,
				       char message[CLI_MESSAGE_MAX])
{
	out->command = command;
	if (argc > 2)
		return parse_error(message,
				   "unexpected argument '%s' after '%s': it takes none; see 'cordon --help'",
				   argv[2], argv[1]);
	return CLI_PARSE_OK;
}

/* cordon setup [--plan] [--uninstall] [--profile DIR] [--root DIR]... */
enum {
	OPT_SETUP_PLAN = 512,
	OPT_SETUP_UNINSTALL,
	OPT_SETUP_PROFILE,
	OPT_SETUP_ROOT,
};

static const char setup_short_options[] = "+:h";

static const struct option setup_long_options[] = {
	{"plan", no_argument, NULL, OPT_SETUP_PLAN},
	{"uninstall", no_argument, NULL, OPT_SETUP_UNINSTALL},
	{"profile", required_argument, NULL, OPT_SETUP_PROFILE},
	{"root", required_argument, NULL, OPT_SETUP_ROOT},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* argv[0] is "setup". */
static cli_parse_result parse_setup(int argc, char *const *argv, cli_args *out, char message[CLI_MESSAGE_MAX])
{
	char name[128];
	int c;

	out->command = CLI_COMMAND_SETUP;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, setup_short_options, setup_long_options, NULL)) != -1) {
		const char *last = optind > 0 && optind <= argc ? argv[optind - 1] : "";

		switch (c) {
		case 'h': out->command = CLI_COMMAND_HELP; return CLI_PARSE_OK;
		case OPT_SETUP_PLAN: out->setup_plan = true; break;
		case OPT_SETUP_UNINSTALL: out->setup_uninstall = true; break;
		case OPT_SETUP_PROFILE: out->setup_profile = optarg; break;
		case OPT_SETUP_ROOT:
			if (add_to(&out->setup_roots, optarg) != CLI_PARSE_OK)
				return CLI_PARSE_NOMEM;
			break;
		case ':':
			option_spelling(last, name, sizeof(name));
			return parse_error(message, "option '%s' needs a value: see 'cordon --help'", name);
		default:
			option_spelling(last, name, sizeof(name));
			/* getopt names the option in optopt when it was
			 * given a value it does not take. */
			if (optopt >= OPT_SETUP_PLAN && strchr(last, '=') != NULL)
				return parse_error(message,
						   "option '%s' takes no value: write it as %s alone", name,
						   name);
			return parse_error(
				message,
				"unknown option '%s' for setup: use --plan, --uninstall, --profile DIR "
				"or --root DIR",
				name);
		}
	}
	if (optind < argc)
		return parse_error(message,
				   "unexpected argument '%s' after 'setup': give options only; see "
				   "'cordon --help'",
				   argv[optind]);
	if (out->setup_profile != NULL && !out->setup_plan)
		return parse_error(message,
				   "--profile goes with --plan: setup itself uses the profile of the "
				   "user who runs it; add --plan, or drop --profile");
	return CLI_PARSE_OK;
}

cli_parse_result cli_args_parse(int argc, char *const *argv, cli_args *out, char message[CLI_MESSAGE_MAX])
{
	memset(out, 0, sizeof(*out));
	message[0] = '\0';
	if (argc < 2)
		return parse_error(message,
				   "no command given: use 'cordon run [options] -- PROGRAM [ARG...]', "
				   "or see 'cordon --help'");

	const char *word = argv[1];
	if (strcmp(word, "run") == 0)
		return parse_run(argc - 1, argv + 1, out, message);
	if (strncmp(word, compat_option, strlen(compat_option)) == 0 &&
	    (word[strlen(compat_option)] == '\0' || word[strlen(compat_option)] == '='))
		return parse_compat(argc, argv, out, message);
	for (size_t i = 0; i < sizeof(command_words) / sizeof(command_words[0]); i++) {
		if (strcmp(word, command_words[i].word) != 0)
			continue;
		if (command_words[i].command == CLI_COMMAND_SETUP)
			return parse_setup(argc - 1, argv + 1, out, message);
		if (command_words[i].alone)
			return expect_no_more(argc, argv, out, command_words[i].command, message);
		out->command = command_words[i].command;
		return CLI_PARSE_OK;
	}
	if (word[0] == '-')
		return parse_error(message, "unknown option '%s': see 'cordon --help'", word);
	return parse_error(message,
			   "unknown command '%s': use run, doctor, setup or version; see 'cordon --help'",
			   word);
}

bool cli_setup_option_at(size_t index, cli_option_info *out)
{
	if (index >= sizeof(setup_long_options) / sizeof(setup_long_options[0]) - 1)
		return false;
	const struct option *option = &setup_long_options[index];
	memset(out, 0, sizeof(*out));
	out->name = option->name;
	/* -h is the one short option setup_short_options has. */
	out->short_name = option->val == 'h' ? 'h' : '\0';
	/* Both of setup's values are directories (--profile, --root). */
	out->placeholder = option->has_arg == no_argument ? NULL : "DIR";
	return true;
}

/* The listing is made from the tables the parser itself uses, so it cannot
 * name an option the parser lacks or miss one it has. */
bool cli_run_option_at(size_t index, cli_option_info *out)
{
	if (index >= sizeof(run_long_options) / sizeof(run_long_options[0]) - 1)
		return false;
	const struct option *option = &run_long_options[index];
	memset(out, 0, sizeof(*out));
	out->name = option->name;
	out->short_name = option->flag == NULL && is_short_run_option(option->val) ? (char)option->val : '\0';
	if (option->has_arg == no_argument)
		return true;
	out->placeholder = "VALUE";
	for (size_t i = 0; i < sizeof(run_option_values) / sizeof(run_option_values[0]); i++) {
		if (strcmp(run_option_values[i].name, option->name) == 0) {
			out->placeholder = run_option_values[i].placeholder;
			out->choices = run_option_values[i].choices;
		}
	}
	return true;
}

const char *cli_command_word_at(size_t index)
{
	/* "run" and the compatibility form are parsed apart from the table. */
	static const char *const first[] = {"run", compat_option};
	size_t first_count = sizeof(first) / sizeof(first[0]);
	if (index < first_count)
		return first[index];
	index -= first_count;
	for (size_t i = 0; i < sizeof(command_words) / sizeof(command_words[0]); i++) {
		if (command_words[i].command == CLI_COMMAND_OPTIONS)
			continue;
		if (index-- == 0)
			return command_words[i].word;
	}
	return NULL;
}
