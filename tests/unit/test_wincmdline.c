/* Windows command lines (src/core/wincmdline.c): every argument vector
 * comes back unchanged through an independent parser of the
 * CommandLineToArgvW rules, and no attack string from the BatBadBut class
 * (CVE-2024-24576) reaches cmd.exe outside quotes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/wincmdline.h"

#define MAX_ARGS 16
#define MAX_ARG	 256

typedef struct parsed {
	size_t count;
	char args[MAX_ARGS][MAX_ARG];
} parsed;

static void append(parsed *out, size_t *length, char c)
{
	assert_true(*length + 1 < MAX_ARG);
	out->args[out->count][(*length)++] = c;
	out->args[out->count][*length] = '\0';
}

/* The parsing rules of CommandLineToArgvW and the C runtime, written
 * from their documentation ("Parsing C command-line arguments"): the
 * program name has no escapes; afterwards 2n backslashes before a quote
 * give n and the quote toggles quoting, 2n+1 give n and a literal quote,
 * "" inside quotes is a literal quote, other backslashes are literal. */
static void parse_command_line(const char *line, parsed *out)
{
	const char *p = line;
	size_t length = 0;

	memset(out, 0, sizeof(*out));
	if (*p == '"') {
		p++;
		while (*p != '\0' && *p != '"')
			append(out, &length, *p++);
		if (*p == '"')
			p++;
	} else {
		while (*p != '\0' && *p != ' ' && *p != '\t')
			append(out, &length, *p++);
	}
	out->count = 1;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return;
		bool quoted = false;
		length = 0;
		out->args[out->count][0] = '\0';
		while (*p != '\0' && (quoted || (*p != ' ' && *p != '\t'))) {
			size_t backslashes = 0;
			while (*p == '\\') {
				backslashes++;
				p++;
			}
			if (*p == '"') {
				for (size_t i = 0; i < backslashes / 2; i++)
					append(out, &length, '\\');
				if (backslashes % 2 == 1) {
					append(out, &length, '"');
					p++;
				} else if (quoted && p[1] == '"') {
					append(out, &length, '"');
					p += 2;
				} else {
					quoted = !quoted;
					p++;
				}
				continue;
			}
			for (size_t i = 0; i < backslashes; i++)
				append(out, &length, '\\');
			if (*p != '\0' && (quoted || (*p != ' ' && *p != '\t')))
				append(out, &length, *p++);
		}
		out->count++;
		assert_true(out->count < MAX_ARGS);
	}
}

static void assert_round_trip(const char *const *argv)
{
	cordon_error err = {0};
	char *line = cordon_win_command_line(argv, &err);
	parsed back;
	size_t n = 0;

	assert_non_null(line);
	parse_command_line(line, &back);
	while (argv[n] != NULL)
		n++;
	if (back.count != n)
		print_message("line [%s]: %zu arguments back, %zu given\n", line, back.count, n);
	assert_int_equal(back.count, n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(back.args[i], argv[i]) != 0)
			print_message("line [%s]: argument %zu [%s] came back as [%s]\n", line, i, argv[i],
				      back.args[i]);
		assert_string_equal(back.args[i], argv[i]);
	}
	free(line);
}

static void assert_line(const char *const *argv, const char *expected)
{
	cordon_error err = {0};
	char *line = cordon_win_command_line(argv, &err);
	assert_non_null(line);
	assert_string_equal(line, expected);
	free(line);
}

static void test_known_lines(void **state)
{
	(void)state;
	assert_line((const char *const[]){"prog", "a", "b c", NULL}, "prog a \"b c\"");
	assert_line((const char *const[]){"prog", "", NULL}, "prog \"\"");
	assert_line((const char *const[]){"prog", "a\"b", NULL}, "prog \"a\\\"b\"");
	assert_line((const char *const[]){"prog", "a\\\"b", NULL}, "prog \"a\\\\\\\"b\"");
	/* backslashes not before a quote stay single; trailing ones double */
	assert_line((const char *const[]){"prog", "C:\\dir\\", NULL}, "prog C:\\dir\\");
	assert_line((const char *const[]){"prog", "C:\\my dir\\", NULL}, "prog \"C:\\my dir\\\\\"");
	assert_line((const char *const[]){"C:\\Program Files\\x.exe", "1", NULL},
		    "\"C:\\Program Files\\x.exe\" 1");
}

static void test_round_trips(void **state)
{
	(void)state;
	static const char *const cases[][6] = {
		{"p", "plain", NULL},
		{"p", "", "", "x", NULL},
		{"p", "two words", "tab\there", NULL},
		{"p", "\"", "\"\"", "\\\"", NULL},
		{"p", "\\", "\\\\", "a\\", "a\\\\", NULL},
		{"p", "a b\\", "\\\\server\\share\\", "end\\\"", NULL},
		{"p", "new\nline", "vt\vx", "&|<>^%!", NULL},
		{"C:\\with space\\p.exe", "x y", NULL},
		{"C:\\trail\\", "\\\"\\\"", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_round_trip(cases[i]);
}

/* Every string of up to 6 characters over an alphabet of the characters
 * the rules treat specially. */
static void test_exhaustive_small_arguments(void **state)
{
	(void)state;
	static const char alphabet[] = {'a', ' ', '\t', '"', '\\'};
	const size_t k = sizeof(alphabet);
	char arg[8];
	size_t checked = 0;

	for (size_t length = 0; length <= 6; length++) {
		size_t total = 1;
		for (size_t i = 0; i < length; i++)
			total *= k;
		for (size_t n = 0; n < total; n++) {
			size_t v = n;
			for (size_t i = 0; i < length; i++) {
				arg[i] = alphabet[v % k];
				v /= k;
			}
			arg[length] = '\0';
			const char *argv[] = {"prog", arg, "next", NULL};
			assert_round_trip(argv);
			checked++;
		}
	}
	assert_int_equal(checked, 1 + 5 + 25 + 125 + 625 + 3125 + 15625);
}

static void test_refusals(void **state)
{
	(void)state;
	cordon_error err = {0};
	assert_null(cordon_win_command_line((const char *const[]){"a\"b", NULL}, &err));
	assert_int_equal(err.code, CORDON_E_INVALID);
	assert_non_null(strstr(err.message, "cannot contain '\"'"));
	assert_null(cordon_win_command_line((const char *const[]){"", NULL}, &err));
	assert_null(cordon_win_command_line((const char *const[]){NULL}, &err));

	size_t big = CORDON_WIN_COMMAND_LINE_MAX;
	char *huge = malloc(big + 1);
	assert_non_null(huge);
	memset(huge, 'x', big);
	huge[big] = '\0';
	assert_null(cordon_win_command_line((const char *const[]){"p", huge, NULL}, &err));
	assert_non_null(strstr(err.message, "more than Windows accepts"));
	huge[big - 2] = '\0'; /* "p " + the argument fits exactly */
	char *line = cordon_win_command_line((const char *const[]){"p", huge, NULL}, &err);
	assert_non_null(line);
	assert_int_equal(strlen(line), CORDON_WIN_COMMAND_LINE_MAX);
	free(line);
	free(huge);
}

static void test_batch_detection(void **state)
{
	(void)state;
	assert_true(cordon_win_is_batch_file("C:\\ws\\run.bat"));
	assert_true(cordon_win_is_batch_file("C:\\ws\\RUN.BaT"));
	assert_true(cordon_win_is_batch_file("x.cmd"));
	assert_true(cordon_win_is_batch_file("x.CMD. . "));
	assert_true(cordon_win_is_batch_file("x.bat..."));
	assert_false(cordon_win_is_batch_file("x.bat.exe"));
	assert_false(cordon_win_is_batch_file("x.batch"));
	assert_false(cordon_win_is_batch_file("bat"));
	assert_false(cordon_win_is_batch_file("x.exe"));
	assert_false(cordon_win_is_batch_file(NULL));
}

#define CMD "C:\\Windows\\system32\\cmd.exe"
#define BAT "C:\\ws\\run.bat"

/* What cmd.exe sees after /s strips the outer quotes: every character it
 * treats as a command separator, redirection or escape must be inside
 * quotes, and nothing may start an expansion. Quote state toggles at each
 * '"' (cmd.exe has no escape for it). */
static void assert_cmd_cannot_split(const char *line)
{
	const char *body = strstr(line, "/s /c \"");
	assert_non_null(body);
	body += strlen("/s /c \"");
	size_t length = strlen(body);
	assert_true(length > 0 && body[length - 1] == '"');
	bool quoted = false;
	for (size_t i = 0; i + 1 < length; i++) {
		char c = body[i];
		if (c == '"')
			quoted = !quoted;
		else if (c == '%' || c == '\r' || c == '\n')
			fail_msg("expansion or line break reaches cmd.exe in [%s]", line);
		else if (!quoted && strchr("&|<>^()", c) != NULL)
			fail_msg("'%c' outside quotes in [%s]", c, line);
	}
	assert_false(quoted);
}

static void test_batch_known_line(void **state)
{
	(void)state;
	cordon_error err = {0};
	char *line = cordon_win_batch_command_line(
		CMD, BAT, (const char *const[]){"plain", "two words", "", NULL}, &err);
	assert_non_null(line);
	assert_string_equal(line,
			    "\"" CMD "\" /d /e:ON /v:OFF /s /c \"\"" BAT "\" plain \"two words\" \"\"\"");
	free(line);
	line = cordon_win_batch_command_line(CMD, "C:\\my dir & co\\run.cmd", NULL, &err);
	assert_non_null(line);
	assert_cmd_cannot_split(line);
	free(line);
}

/* Strings from the BatBadBut advisory and its follow-ups: each is refused
 * with a reason, or passed with every special character quoted. */
static void test_batch_attack_strings(void **state)
{
	(void)state;
	static const char *const refused[] = {
		"\"&calc.exe",
		"\\\"&calc.exe",
		"\"\"&whoami",
		"a\" & whoami & \"b",
		"%CMDCMDLINE:~-1%&calc.exe",
		"%PATH%",
		"100%",
		"x\r\nwhoami",
		"x\nwhoami",
		"\"^&calc",
		"\"|calc",
		"\\\\\"&calc",
	};
	static const char *const quoted[] = {
		"&calc.exe", "|calc",	">out",	  "<in",       "^&calc", "(calc)", "a & b",
		"!PATH!",    "a,b;c=d", "tab\tx", "trail\\ x", "^",	 "'&'",
	};
	cordon_error err = {0};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *args[] = {"ok", refused[i], NULL};
		char *line = cordon_win_batch_command_line(CMD, BAT, args, &err);
		if (line != NULL)
			fail_msg("attack string %zu [%s] was not refused: [%s]", i, refused[i], line);
		assert_int_equal(err.code, CORDON_E_INVALID);
		assert_non_null(strstr(err.message, "argument 2"));
		assert_non_null(strstr(err.message, "safely"));
	}
	for (size_t i = 0; i < sizeof(quoted) / sizeof(quoted[0]); i++) {
		const char *args[] = {quoted[i], NULL};
		char *line = cordon_win_batch_command_line(CMD, BAT, args, &err);
		if (line == NULL)
			fail_msg("[%s] refused: %s", quoted[i], err.message);
		assert_cmd_cannot_split(line);
		/* the argument appears whole, inside one pair of quotes */
		char expected[64];
		snprintf(expected, sizeof(expected), " \"%s\"\"", quoted[i]);
		if (strstr(line, expected) == NULL)
			fail_msg("[%s] not found whole in [%s]", quoted[i], line);
		free(line);
	}
	assert_null(cordon_win_batch_command_line(CMD, "C:\\ws\\100%.bat", NULL, &err));
	assert_non_null(strstr(err.message, "its path"));
	assert_null(cordon_win_batch_command_line(CMD, "C:\\ws\\a\".bat", NULL, &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_lines),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_exhaustive_small_arguments),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_batch_detection),
		cmocka_unit_test(test_batch_known_line),
		cmocka_unit_test(test_batch_attack_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
