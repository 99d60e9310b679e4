/* The cordon command-line parser (src/cli/args.c): every option, the
 * repeatable ones, '--', the compatibility form, and the exact line a user
 * reads for each mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The CLI is not part of libcordon, and every unit test links only the
 * library, so the parser is compiled into this test directly. */
#include "cli/args.c"

#include <cmocka.h>

#define MAX_ARGS 32

typedef struct parsed {
	cli_args args;
	cli_parse_result result;
	char message[CLI_MESSAGE_MAX];
	char *argv[MAX_ARGS + 1];
} parsed;

/* Parses the NULL-terminated words after "cordon". */
static parsed *parse_words(const char *first, ...)
{
	parsed *p = calloc(1, sizeof(*p));
	va_list ap;
	int argc = 0;

	assert_non_null(p);
	p->argv[argc++] = (char *)"cordon";
	va_start(ap, first);
	for (const char *word = first; word != NULL; word = va_arg(ap, const char *)) {
		assert_true(argc < MAX_ARGS);
		p->argv[argc++] = (char *)word;
	}
	va_end(ap);
	p->argv[argc] = NULL;
	p->result = cli_args_parse(argc, p->argv, &p->args, p->message);
	return p;
}

#define PARSE(...) parse_words(__VA_ARGS__, (const char *)NULL)

static void release(parsed *p)
{
	cli_args_free(&p->args);
	free(p);
}

static void expect_error(parsed *p, const char *message)
{
	assert_int_equal(p->result, CLI_PARSE_ERROR);
	assert_string_equal(p->message, message);
	assert_null(strchr(p->message, '\n'));
	release(p);
}

static void expect_program(const parsed *p, int argc, ...)
{
	va_list ap;
	assert_int_equal(p->result, CLI_PARSE_OK);
	assert_int_equal(p->args.program_argc, argc);
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		assert_string_equal(p->args.program_argv[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(p->args.program_argv[argc]);
}

static void test_no_command(void **state)
{
	(void)state;
	parsed *p = calloc(1, sizeof(*p));
	char *argv[] = {(char *)"cordon", NULL};
	assert_int_equal(cli_args_parse(1, argv, &p->args, p->message), CLI_PARSE_ERROR);
	assert_string_equal(p->message, "no command given: use 'cordon run [options] -- PROGRAM [ARG...]', "
					"or see 'cordon --help'");
	release(p);
}

static void test_simple_commands(void **state)
{
	(void)state;
	static const struct {
		const char *word;
		cli_command command;
	} cases[] = {
		{"version", CLI_COMMAND_VERSION}, {"--version", CLI_COMMAND_VERSION},
		{"doctor", CLI_COMMAND_DOCTOR},	  {"setup", CLI_COMMAND_SETUP},
		{"--help", CLI_COMMAND_HELP},	  {"-h", CLI_COMMAND_HELP},
		{"help", CLI_COMMAND_HELP},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parsed *p = PARSE(cases[i].word);
		assert_int_equal(p->result, CLI_PARSE_OK);
		assert_int_equal(p->args.command, cases[i].command);
		release(p);
	}
}

static void test_simple_command_extra_argument(void **state)
{
	(void)state;
	expect_error(PARSE("doctor", "now"),
		     "unexpected argument 'now' after 'doctor': it takes none; see 'cordon --help'");
	expect_error(PARSE("version", "-x"),
		     "unexpected argument '-x' after 'version': it takes none; see 'cordon --help'");
}

static void test_unknown_command_and_top_option(void **state)
{
	(void)state;
	expect_error(PARSE("rnu", "--", "true"),
		     "unknown command 'rnu': use run, doctor, setup or version; see 'cordon --help'");
	expect_error(PARSE("--frob"), "unknown option '--frob': see 'cordon --help'");
	expect_error(PARSE("--sandbox-policy-cwdX", "/", "read-only", "true"),
		     "unknown option '--sandbox-policy-cwdX': see 'cordon --help'");
}

static void test_run_defaults(void **state)
{
	(void)state;
	parsed *p = PARSE("run", "--", "make", "test");
	expect_program(p, 2, "make", "test");
	assert_int_equal(p->args.command, CLI_COMMAND_RUN);
	assert_null(p->args.cwd);
	assert_false(p->args.mode_set);
	assert_false(p->args.network_set);
	assert_false(p->args.timeout_set);
	assert_false(p->args.pty);
	assert_false(p->args.no_tmp);
	assert_false(p->args.best_effort);
	assert_false(p->args.print_policy);
	assert_false(p->args.quiet);
	assert_null(p->args.policy_file);
	assert_int_equal(p->args.writable.count, 0);
	assert_int_equal(p->args.protected_names.count, 0);
	assert_int_equal(p->args.deny_read.count, 0);
	assert_int_equal(p->args.allowed_domains.count, 0);
	release(p);
}

static void test_run_every_long_option(void **state)
{
	(void)state;
	parsed *p = PARSE("run", "--cwd", "/w", "--mode", "workspace-write", "--writable", "/a", "--protect",
			  ".secret", "--deny-read", "/home/u/.ssh", "--allow-read-credential", ".ssh",
			  "--allow-read-credential=~/.aws", "--network", "proxy", "--allow-domain",
			  "*.example.org", "--timeout", "2.5", "--pty", "--no-tmp", "--best-effort",
			  "--policy", "p.json", "--print-policy", "--quiet", "--", "prog", "arg");
	expect_program(p, 2, "prog", "arg");
	assert_string_equal(p->args.cwd, "/w");
	assert_true(p->args.mode_set);
	assert_int_equal(p->args.mode, CORDON_MODE_WORKSPACE_WRITE);
	assert_int_equal(p->args.writable.count, 1);
	assert_string_equal(p->args.writable.items[0], "/a");
	assert_int_equal(p->args.protected_names.count, 1);
	assert_string_equal(p->args.protected_names.items[0], ".secret");
	assert_int_equal(p->args.deny_read.count, 1);
	assert_string_equal(p->args.deny_read.items[0], "/home/u/.ssh");
	assert_int_equal(p->args.credential_lifts.count, 2);
	assert_string_equal(p->args.credential_lifts.items[0], ".ssh");
	assert_string_equal(p->args.credential_lifts.items[1], "~/.aws");
	assert_true(p->args.network_set);
	assert_int_equal(p->args.network, CORDON_NETWORK_PROXY);
	assert_int_equal(p->args.allowed_domains.count, 1);
	assert_string_equal(p->args.allowed_domains.items[0], "*.example.org");
	assert_true(p->args.timeout_set);
	assert_int_equal(p->args.timeout_ms, 2500);
	assert_true(p->args.timeout_seconds > 2.49 && p->args.timeout_seconds < 2.51);
	assert_true(p->args.pty);
	assert_true(p->args.no_tmp);
	assert_true(p->args.best_effort);
	assert_string_equal(p->args.policy_file, "p.json");
	assert_true(p->args.print_policy);
	assert_true(p->args.quiet);
	release(p);
}

static void test_run_short_options_and_equals(void **state)
{
	(void)state;
	parsed *p = PARSE("run", "-C", "/w", "-m", "read-only", "-n", "on", "-t", "3", "-q", "--deny-read=/s",
			  "--cwd=/v", "true");
	expect_program(p, 1, "true");
	assert_string_equal(p->args.cwd, "/v"); /* the last one wins */
	assert_int_equal(p->args.mode, CORDON_MODE_READ_ONLY);
	assert_int_equal(p->args.network, CORDON_NETWORK_ON);
	assert_int_equal(p->args.timeout_ms, 3000);
	assert_true(p->args.quiet);
	assert_string_equal(p->args.deny_read.items[0], "/s");
	release(p);

	/* Bundled short options, the last one taking the next word. */
	p = PARSE("run", "-qC", "/x", "true");
	expect_program(p, 1, "true");
	assert_true(p->args.quiet);
	assert_string_equal(p->args.cwd, "/x");
	release(p);

	p = PARSE("run", "-mfull-access", "true");
	expect_program(p, 1, "true");
	assert_int_equal(p->args.mode, CORDON_MODE_FULL_ACCESS);
	release(p);
}

static void test_run_repeatable_options_keep_order(void **state)
{
	(void)state;
	parsed *p = PARSE("run", "-w", "/a", "--writable", "/b", "-w", "/c", "--protect", "x", "--protect",
			  "y", "--deny-read", "/1", "--deny-read", "/2", "-n", "proxy", "--allow-domain",
			  "a.org", "--allow-domain", "b.org", "--", "true");
	expect_program(p, 1, "true");
	assert_int_equal(p->args.writable.count, 3);
	assert_string_equal(p->args.writable.items[0], "/a");
	assert_string_equal(p->args.writable.items[1], "/b");
	assert_string_equal(p->args.writable.items[2], "/c");
	assert_int_equal(p->args.protected_names.count, 2);
	assert_string_equal(p->args.protected_names.items[1], "y");
	assert_int_equal(p->args.deny_read.count, 2);
	assert_string_equal(p->args.deny_read.items[0], "/1");
	assert_int_equal(p->args.allowed_domains.count, 2);
	assert_string_equal(p->args.allowed_domains.items[1], "b.org");
	release(p);
}

static void test_run_stops_at_program(void **state)
{
	(void)state;
	/* Without '--' the first non-option starts the command, and the
	 * command's own options are left alone. */
	parsed *p = PARSE("run", "-q", "ls", "-la", "--mode", "x", "--");
	expect_program(p, 5, "ls", "-la", "--mode", "x", "--");
	assert_true(p->args.quiet);
	assert_false(p->args.mode_set);
	release(p);

	/* Only the first '--' belongs to cordon. */
	p = PARSE("run", "--", "--", "x");
	expect_program(p, 2, "--", "x");
	release(p);

	p = PARSE("run", "--", "-q");
	expect_program(p, 1, "-q");
	assert_false(p->args.quiet);
	release(p);
}

static void test_run_missing_program(void **state)
{
	(void)state;
	const char *message = "no program to run: give one after '--', e.g. cordon run -- make test";
	expect_error(PARSE("run"), message);
	expect_error(PARSE("run", "--"), message);
	expect_error(PARSE("run", "-q", "--"), message);
}

static void test_print_policy_needs_no_program(void **state)
{
	(void)state;
	parsed *p = PARSE("run", "--print-policy");
	expect_program(p, 0);
	assert_true(p->args.print_policy);
	release(p);
}

static void test_run_help_wins(void **state)
{
	(void)state;
	parsed *p = PARSE("run", "--help");
	assert_int_equal(p->result, CLI_PARSE_OK);
	assert_int_equal(p->args.command, CLI_COMMAND_RUN_HELP);
	release(p);
	p = PARSE("run", "-q", "-h");
	assert_int_equal(p->result, CLI_PARSE_OK);
	assert_int_equal(p->args.command, CLI_COMMAND_RUN_HELP);
	release(p);
}

static void test_bad_mode_and_network(void **state)
{
	(void)state;
	expect_error(PARSE("run", "-m", "rw", "--", "true"),
		     "unknown mode 'rw': use read-only, workspace-write or full-access");
	expect_error(PARSE("run", "--mode=Read-Only", "true"),
		     "unknown mode 'Read-Only': use read-only, workspace-write or full-access");
	expect_error(PARSE("run", "-n", "yes", "--", "true"),
		     "unknown network mode 'yes': use off, on or proxy");
}

static void test_unknown_options(void **state)
{
	(void)state;
	expect_error(PARSE("run", "--frobnicate", "--", "true"),
		     "unknown option '--frobnicate': see 'cordon run --help'");
	expect_error(PARSE("run", "--frobnicate=3", "true"),
		     "unknown option '--frobnicate': see 'cordon run --help'");
	expect_error(PARSE("run", "-x", "--", "true"), "unknown option '-x': see 'cordon run --help'");
	/* An unknown letter in the middle of a bundle after a long option. */
	expect_error(PARSE("run", "--quiet", "-zq", "true"), "unknown option '-z': see 'cordon run --help'");
	expect_error(PARSE("run", "--pty=yes", "true"),
		     "option '--pty' takes no value: write it as --pty alone");
}

static void test_missing_option_values(void **state)
{
	(void)state;
	expect_error(PARSE("run", "--cwd"), "option '--cwd' needs a value: see 'cordon run --help'");
	expect_error(PARSE("run", "-C"), "option '-C' needs a value: see 'cordon run --help'");
	expect_error(PARSE("run", "-qt"), "option '-t' needs a value: see 'cordon run --help'");
	expect_error(PARSE("run", "--policy"), "option '--policy' needs a value: see 'cordon run --help'");
	expect_error(PARSE("run", "--allow-domain"),
		     "option '--allow-domain' needs a value: see 'cordon run --help'");
}

static void test_timeout_values(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		unsigned ms;
	} good[] = {
		{"30", 30000}, {"2.5", 2500},	{".5", 500},
		{"1.", 1000},  {"0.001", 1},	{"0.0001", 1},
		{"0.0011", 2}, {"0.1000", 100}, {"2147483", 2147483000u},
	};
	static const char *const bad[] = {
		"0",	"0.0", "-1",  "abc",  "",   ".",       "1e3",
		"0x10", "inf", "nan", "1.5s", " 1", "2147484", "99999999999999999999"};
	double seconds;
	unsigned ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 0;
		assert_true(cli_timeout_parse(good[i].text, &seconds, &ms));
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(cli_timeout_parse(bad[i], &seconds, &ms));

	expect_error(PARSE("run", "-t", "0", "--", "true"),
		     "bad timeout '0': give seconds greater than 0 (at most 2147483), "
		     "e.g. --timeout 30 or --timeout 2.5");
	expect_error(PARSE("run", "--timeout=-3", "true"),
		     "bad timeout '-3': give seconds greater than 0 (at most 2147483), "
		     "e.g. --timeout 30 or --timeout 2.5");
}

static void test_conflicting_options(void **state)
{
	(void)state;
	expect_error(PARSE("run", "-m", "read-only", "-w", "/a", "--", "true"),
		     "extra writable roots need workspace-write mode: use --mode workspace-write, or drop "
		     "--writable");
	expect_error(PARSE("run", "--allow-domain", "example.org", "--", "true"),
		     "--allow-domain needs --network proxy: add --network proxy, or drop --allow-domain");
	expect_error(PARSE("run", "-n", "on", "--allow-domain", "example.org", "--", "true"),
		     "--allow-domain needs --network proxy: add --network proxy, or drop --allow-domain");

	/* Allowed combinations. */
	parsed *p = PARSE("run", "-m", "read-only", "--no-tmp", "--", "true");
	expect_program(p, 1, "true");
	release(p);
	p = PARSE("run", "-m", "full-access", "-w", "/a", "--", "true");
	expect_program(p, 1, "true");
	release(p);
	p = PARSE("run", "-n", "proxy", "--allow-domain", "example.org", "--", "true");
	expect_program(p, 1, "true");
	release(p);
	/* A policy file may set the mode or network: checked once it is read. */
	p = PARSE("run", "--policy", "p.json", "--allow-domain", "example.org", "--", "true");
	expect_program(p, 1, "true");
	release(p);
}

static void test_check_combination_after_policy_file(void **state)
{
	(void)state;
	char message[CLI_MESSAGE_MAX];
	parsed *p = PARSE("run", "--policy", "p.json", "-w", "/a", "--allow-domain", "a.org", "--", "true");
	assert_int_equal(p->result, CLI_PARSE_OK);
	assert_int_equal(
		cli_check_combination(&p->args, CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_PROXY, message),
		CLI_PARSE_OK);
	assert_int_equal(
		cli_check_combination(&p->args, CORDON_MODE_READ_ONLY, CORDON_NETWORK_PROXY, message),
		CLI_PARSE_ERROR);
	assert_string_equal(message, "extra writable roots need workspace-write mode: "
				     "use --mode workspace-write, or drop --writable");
	assert_int_equal(
		cli_check_combination(&p->args, CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_OFF, message),
		CLI_PARSE_ERROR);
	assert_string_equal(
		message, "--allow-domain needs --network proxy: add --network proxy, or drop --allow-domain");
	release(p);
}

static void test_compat_form(void **state)
{
	(void)state;
	parsed *p = PARSE("--sandbox-policy-cwd", "/w", "read-only", "--", "ls", "-l");
	expect_program(p, 2, "ls", "-l");
	assert_int_equal(p->args.command, CLI_COMMAND_COMPAT);
	assert_string_equal(p->args.cwd, "/w");
	assert_string_equal(p->args.compat_policy, "read-only");
	release(p);

	p = PARSE("--sandbox-policy-cwd", "/w", "{\"type\":\"workspace-write\"}", "sh", "-c", "true");
	expect_program(p, 3, "sh", "-c", "true");
	assert_string_equal(p->args.compat_policy, "{\"type\":\"workspace-write\"}");
	release(p);

	p = PARSE("--sandbox-policy-cwd=/v", "workspace-write", "--", "true");
	expect_program(p, 1, "true");
	assert_string_equal(p->args.cwd, "/v");
	assert_string_equal(p->args.compat_policy, "workspace-write");
	release(p);
}

static void test_compat_errors(void **state)
{
	(void)state;
	const char *needs = "--sandbox-policy-cwd needs a directory and a policy: "
			    "cordon --sandbox-policy-cwd DIR POLICY -- PROGRAM [ARG...]";
	const char *no_program = "no program to run: give one after '--', "
				 "e.g. cordon --sandbox-policy-cwd DIR POLICY -- make test";
	expect_error(PARSE("--sandbox-policy-cwd"), needs);
	expect_error(PARSE("--sandbox-policy-cwd", "/w"), needs);
	expect_error(PARSE("--sandbox-policy-cwd="), needs);
	expect_error(PARSE("--sandbox-policy-cwd", "/w", "read-only"), no_program);
	expect_error(PARSE("--sandbox-policy-cwd", "/w", "read-only", "--"), no_program);
}

static void test_parse_twice_resets_getopt(void **state)
{
	(void)state;
	/* getopt keeps global state; a second parse must start afresh. */
	for (int round = 0; round < 3; round++) {
		parsed *p = PARSE("run", "-qC", "/x", "-m", "read-only", "--", "true");
		expect_program(p, 1, "true");
		assert_string_equal(p->args.cwd, "/x");
		assert_int_equal(p->args.mode, CORDON_MODE_READ_ONLY);
		release(p);
	}
}

static void test_name_tables(void **state)
{
	(void)state;
	cordon_mode mode;
	cordon_network network;
	assert_true(cli_mode_from_name("workspace-write", &mode));
	assert_int_equal(mode, CORDON_MODE_WORKSPACE_WRITE);
	assert_false(cli_mode_from_name("", &mode));
	assert_false(cli_mode_from_name("read-only ", &mode));
	assert_true(cli_network_from_name("off", &network));
	assert_int_equal(network, CORDON_NETWORK_OFF);
	assert_false(cli_network_from_name("OFF", &network));
}

static void test_setup_options(void **state)
{
	(void)state;
	parsed *p = PARSE("setup");
	assert_int_equal(p->result, CLI_PARSE_OK);
	assert_int_equal(p->args.command, CLI_COMMAND_SETUP);
	assert_false(p->args.setup_plan);
	assert_false(p->args.setup_uninstall);
	release(p);

	p = PARSE("setup", "--plan", "--profile", "/p/alice", "--root", "D:\\a", "--root=E:\\b",
		  "--uninstall");
	assert_int_equal(p->result, CLI_PARSE_OK);
	assert_int_equal(p->args.command, CLI_COMMAND_SETUP);
	assert_true(p->args.setup_plan);
	assert_true(p->args.setup_uninstall);
	assert_string_equal(p->args.setup_profile, "/p/alice");
	assert_int_equal(p->args.setup_roots.count, 2);
	assert_string_equal(p->args.setup_roots.items[0], "D:\\a");
	assert_string_equal(p->args.setup_roots.items[1], "E:\\b");
	release(p);

	expect_error(PARSE("setup", "--profile", "/p/alice"),
		     "--profile goes with --plan: setup itself uses the profile of the user who runs it; add "
		     "--plan, or drop --profile");
	expect_error(
		PARSE("setup", "--frob"),
		"unknown option '--frob' for setup: use --plan, --uninstall, --profile DIR or --root DIR");
	expect_error(PARSE("setup", "--plan=yes"),
		     "option '--plan' takes no value: write it as --plan alone");
	expect_error(PARSE("setup", "--root"), "option '--root' needs a value: see 'cordon --help'");
	expect_error(PARSE("setup", "now"),
		     "unexpected argument 'now' after 'setup': give options only; see 'cordon --help'");
}

/* The listing the completions are generated from and the man page is
 * checked against (cordon __options) is the parser's own table: every
 * option it lists parses, in both spellings, every choice it offers is
 * accepted, and every command word it lists is a command. */
static void test_option_listing_matches_the_parser(void **state)
{
	(void)state;
	cli_option_info option;
	size_t count = 0;
	char long_form[64];
	char short_form[3];

	for (; cli_run_option_at(count, &option); count++) {
		snprintf(long_form, sizeof(long_form), "--%s", option.name);
		snprintf(short_form, sizeof(short_form), "-%c", option.short_name);
		const char *value = option.choices != NULL ? option.choices[0] : "1";
		for (int spelling = 0; spelling < (option.short_name != '\0' ? 2 : 1); spelling++) {
			const char *word = spelling == 0 ? long_form : short_form;
			/* With the proxy, so that --allow-domain is allowed too. */
			parsed *p = option.placeholder != NULL
					    ? PARSE("run", "-n", "proxy", word, value, "--print-policy")
					    : PARSE("run", "-n", "proxy", word, "--print-policy");
			if (p->result != CLI_PARSE_OK)
				fail_msg("%s %s: %s", word, option.placeholder != NULL ? value : "",
					 p->message);
			release(p);
		}
		for (size_t i = 0; option.choices != NULL && option.choices[i] != NULL; i++) {
			parsed *p = PARSE("run", long_form, option.choices[i], "--print-policy");
			if (p->result != CLI_PARSE_OK)
				fail_msg("%s %s: %s", long_form, option.choices[i], p->message);
			release(p);
		}
		/* An option listed with a value really needs one. */
		if (option.placeholder != NULL) {
			parsed *p = PARSE("run", long_form);
			assert_int_equal(p->result, CLI_PARSE_ERROR);
			assert_non_null(strstr(p->message, "needs a value"));
			release(p);
		}
	}
	assert_int_equal(count, sizeof(run_long_options) / sizeof(run_long_options[0]) - 1);

	const char *word;
	size_t words = 0;
	for (; (word = cli_command_word_at(words)) != NULL; words++) {
		parsed *p = PARSE(word);
		assert_true(p->result == CLI_PARSE_OK || strstr(p->message, "unknown") == NULL);
		release(p);
		assert_true(strcmp(word, "__options") != 0); /* hidden */
	}
	assert_true(words >= 6);
	parsed *p = PARSE("__options");
	assert_int_equal(p->result, CLI_PARSE_OK);
	assert_int_equal(p->args.command, CLI_COMMAND_OPTIONS);
	release(p);

	/* setup's options, listed for its completions, parse too. */
	size_t setup_count = 0;
	for (; cli_setup_option_at(setup_count, &option); setup_count++) {
		snprintf(long_form, sizeof(long_form), "--%s", option.name);
		if (strcmp(option.name, "help") == 0)
			continue;
		p = option.placeholder != NULL ? PARSE("setup", "--plan", long_form, "/p/alice")
					       : PARSE("setup", "--plan", long_form);
		if (p->result != CLI_PARSE_OK)
			fail_msg("setup %s: %s", long_form, p->message);
		release(p);
	}
	assert_int_equal(setup_count, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_command),
		cmocka_unit_test(test_simple_commands),
		cmocka_unit_test(test_simple_command_extra_argument),
		cmocka_unit_test(test_unknown_command_and_top_option),
		cmocka_unit_test(test_run_defaults),
		cmocka_unit_test(test_run_every_long_option),
		cmocka_unit_test(test_run_short_options_and_equals),
		cmocka_unit_test(test_run_repeatable_options_keep_order),
		cmocka_unit_test(test_run_stops_at_program),
		cmocka_unit_test(test_run_missing_program),
		cmocka_unit_test(test_print_policy_needs_no_program),
		cmocka_unit_test(test_run_help_wins),
		cmocka_unit_test(test_bad_mode_and_network),
		cmocka_unit_test(test_unknown_options),
		cmocka_unit_test(test_missing_option_values),
		cmocka_unit_test(test_timeout_values),
		cmocka_unit_test(test_conflicting_options),
		cmocka_unit_test(test_check_combination_after_policy_file),
		cmocka_unit_test(test_compat_form),
		cmocka_unit_test(test_compat_errors),
		cmocka_unit_test(test_parse_twice_resets_getopt),
		cmocka_unit_test(test_name_tables),
		cmocka_unit_test(test_setup_options),
		cmocka_unit_test(test_option_listing_matches_the_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
