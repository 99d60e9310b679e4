/* Windows path algebra (src/core/winpath.c): every spelling trick a
 * sandboxed command could use to name a path outside its roots or a
 * protected entry inside them. Table rows live in winpath_cases.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winpath_cases.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int failures;

#define CHECK(cond, ...)                                                                                     \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			print_message(__VA_ARGS__);                                                          \
			failures++;                                                                          \
		}                                                                                            \
	} while (0)

static const char *kind_name(winpath_kind kind)
{
	static const char *const names[] = {"DRIVE_ABSOLUTE", "DRIVE_RELATIVE", "ROOTED", "RELATIVE", "UNC",
					    "DEVICE",	      "PIPE",		"INVALID"};
	return (unsigned)kind < COUNT(names) ? names[kind] : "?";
}

static void test_classify(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < COUNT(classify_cases); i++) {
		const classify_case *c = &classify_cases[i];
		winpath_info info = winpath_classify(c->path);
		CHECK(info.kind == c->kind, "classify row %zu \"%s\": kind %s, want %s\n", i, c->path,
		      kind_name(info.kind), kind_name(c->kind));
		if (info.kind != c->kind)
			continue;
		CHECK(info.extended == !!(c->flags & X), "classify row %zu \"%s\": extended %d\n", i, c->path,
		      info.extended);
		if (c->kind == K_BAD)
			continue;
		CHECK(info.has_stream == !!(c->flags & S), "classify row %zu \"%s\": has_stream %d\n", i,
		      c->path, info.has_stream);
		CHECK(info.is_default_stream == !!(c->flags & D),
		      "classify row %zu \"%s\": default stream %d\n", i, c->path, info.is_default_stream);
		CHECK(info.maybe_short_name == !!(c->flags & N), "classify row %zu \"%s\": short name %d\n",
		      i, c->path, info.maybe_short_name);
		CHECK(info.reserved_dos_name == !!(c->flags & R), "classify row %zu \"%s\": reserved %d\n", i,
		      c->path, info.reserved_dos_name);
		CHECK(info.nt_namespace == !!(c->flags & T), "classify row %zu \"%s\": nt_namespace %d\n", i,
		      c->path, info.nt_namespace);
		CHECK(info.drive == c->drive, "classify row %zu \"%s\": drive '%c'\n", i, c->path,
		      info.drive ? info.drive : '0');
	}
	assert_int_equal(failures, 0);
}

static void test_classify_null(void **state)
{
	(void)state;
	assert_int_equal(winpath_classify(NULL).kind, WINPATH_INVALID);
}

static bool same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void test_canonical(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < COUNT(canonical_cases); i++) {
		const canonical_case *c = &canonical_cases[i];
		char *stream = (char *)"untouched";
		char *out = winpath_canonical(c->path, c->cwd, &stream);
		CHECK(same_string(out, c->expected),
		      "canonical row %zu \"%s\" in \"%s\": got \"%s\", want \"%s\"\n", i, c->path,
		      c->cwd ? c->cwd : "(null)", out ? out : "(null)", c->expected ? c->expected : "(null)");
		CHECK(same_string(stream, c->stream),
		      "canonical row %zu \"%s\": stream \"%s\", want \"%s\"\n", i, c->path,
		      stream ? stream : "(null)", c->stream ? c->stream : "(null)");
		/* Canonical output is a fixed point (outside \\?\, whose
		 * trailing dots a second pass would strip). */
		if (out != NULL && strncmp(c->path, "\\\\?\\", 4) != 0) {
			char *again = winpath_canonical(out, NULL, NULL);
			CHECK(same_string(again, out),
			      "canonical row %zu: not idempotent: \"%s\" -> \"%s\"\n", i, out,
			      again ? again : "(null)");
			CHECK(winpath_is_within(out, out), "canonical row %zu: \"%s\" not within itself\n", i,
			      out);
			free(again);
		}
		free(out);
		if (stream != NULL)
			free(stream);
	}
	assert_int_equal(failures, 0);
}

/* Spellings stitched from tricky pieces (a fixed pseudo-random sequence):
 * whatever canonical accepts outside \\?\ must come back as an absolute
 * path that canonicalises to itself, so a caller can re-check it later
 * and get the same answer. */
static void test_canonical_properties(void **state)
{
	static const char *const atoms[] = {
		"\\",	   "/",	  ".",	  "..",	   " ",	      ":",    "C:",    "c",	  "?",	 "\\\\?\\",
		"\\\\.\\", "UNC", "pipe", "$DATA", "::$DATA", ".git", "GIT~1", "NUL",	  "con", "\xc3\xa9",
		"\xff",	   "a",	  "srv",  "~",	   "*",	      "$I30", "COM1",  "\xc2\xb9"};
	static const char *const names[] = {".git"};
	uint32_t seed = 12345;
	unsigned accepted = 0;

	(void)state;
	for (int iter = 0; iter < 50000; iter++) {
		char spelling[256] = "";
		seed = seed * 1103515245u + 12345u;
		int n = (int)((seed >> 16) % 10);
		for (int i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			strcat(spelling, atoms[(seed >> 16) % COUNT(atoms)]);
		}
		winpath_info info = winpath_classify(spelling);
		char *stream = NULL;
		char *out = winpath_canonical(spelling, (iter & 1) ? "C:\\ws" : "\\\\s\\h\\d", &stream);
		free(stream);
		if (out == NULL)
			continue;
		accepted++;
		if (!info.extended) {
			winpath_kind kind = winpath_classify(out).kind;
			char *again = winpath_canonical(out, NULL, NULL);
			if ((kind != WINPATH_DRIVE_ABSOLUTE && kind != WINPATH_UNC) || again == NULL ||
			    strcmp(again, out) != 0)
				fail_msg("\"%s\" -> \"%s\" (%s) -> \"%s\"", spelling, out, kind_name(kind),
					 again ? again : "(null)");
			free(again);
		}
		size_t end = 0;
		int match = winpath_protected_match(out, "C:\\ws", names, 1, &end);
		if (match == 0 && end > strlen(out))
			fail_msg("component_end %zu past \"%s\"", end, out);
		free(out);
	}
	/* The generator must reach the interesting part. */
	assert_true(accepted > 5000);
}

static void test_canonical_without_stream_pointer(void **state)
{
	(void)state;
	char *out = winpath_canonical("C:\\ws\\f:s:$DATA", NULL, NULL);
	assert_non_null(out);
	assert_string_equal(out, "C:\\ws\\f");
	free(out);
}

static void test_is_within(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < COUNT(within_cases); i++) {
		const within_case *c = &within_cases[i];
		bool got = winpath_is_within(c->path, c->root);
		CHECK(got == c->expected, "is_within row %zu \"%s\" in \"%s\": got %d\n", i, c->path, c->root,
		      got);
	}
	assert_false(winpath_is_within(NULL, "C:\\"));
	assert_false(winpath_is_within("C:\\", NULL));
	assert_int_equal(failures, 0);
}

static void test_protected_match(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < COUNT(protected_cases); i++) {
		const protected_case *c = &protected_cases[i];
		size_t end = 12345;
		int got = winpath_protected_match(c->path, c->root, protected_names, COUNT(protected_names),
						  &end);
		CHECK(got == c->expected, "protected row %zu \"%s\" under \"%s\": got %d, want %d\n", i,
		      c->path, c->root, got, c->expected);
		if (got >= 0 && got == c->expected)
			CHECK(end == c->end, "protected row %zu \"%s\": end %zu, want %zu\n", i, c->path, end,
			      c->end);
		if (got < 0)
			CHECK(end == 12345, "protected row %zu: end written on no match\n", i);
	}
	assert_int_equal(failures, 0);
}

static void test_protected_names_with_trailing_dots(void **state)
{
	(void)state;
	static const char *const names[] = {"secret. "};
	size_t end = 0;
	assert_int_equal(winpath_protected_match("C:\\ws\\SECRET", "C:\\ws", names, 1, &end), 0);
	assert_int_equal(end, 12);
	assert_int_equal(winpath_protected_match("C:\\ws\\x", "C:\\ws", names, 0, &end), -1);
	assert_int_equal(winpath_protected_match(NULL, "C:\\ws", names, 1, &end), -1);
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_compare(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < COUNT(compare_cases); i++) {
		const compare_case *c = &compare_cases[i];
		int got = sign(winpath_compare(c->a, c->b));
		int back = sign(winpath_compare(c->b, c->a));
		CHECK(got == c->sign, "compare row %zu: got %d, want %d\n", i, got, c->sign);
		CHECK(back == -c->sign, "compare row %zu reversed: got %d, want %d\n", i, back, -c->sign);
	}
	assert_int_equal(failures, 0);
}

static void test_upcase(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < COUNT(upcase_cases); i++) {
		unsigned got = winpath_upcase(upcase_cases[i].in);
		CHECK(got == upcase_cases[i].out, "upcase U+%04X: got U+%04X, want U+%04X\n",
		      upcase_cases[i].in, got, upcase_cases[i].out);
	}
	assert_int_equal(failures, 0);
}

/* Properties over whole blocks, so a range typo in the table shows up. */
static void test_upcase_blocks(void **state)
{
	(void)state;
	for (unsigned c = 'a'; c <= 'z'; c++)
		assert_int_equal(winpath_upcase(c), c - 32);
	for (unsigned c = 0; c < 0x10000; c++) {
		unsigned u = winpath_upcase(c);
		/* Upper-casing is idempotent. */
		assert_int_equal(winpath_upcase(u), u);
	}
	for (unsigned c = 0x0430; c <= 0x044F; c++)
		assert_int_equal(winpath_upcase(c), c - 0x20);
	for (unsigned c = 0x0450; c <= 0x045F; c++)
		assert_int_equal(winpath_upcase(c), c - 0x50);
	for (unsigned c = 0xFF41; c <= 0xFF5A; c++)
		assert_int_equal(winpath_upcase(c), c - 0x20);
	for (unsigned c = 0x0561; c <= 0x0586; c++)
		assert_int_equal(winpath_upcase(c), c - 0x30);
	for (unsigned c = 0x0100; c <= 0x012F; c += 2) {
		assert_int_equal(winpath_upcase(c + 1), c);
		assert_int_equal(winpath_upcase(c), c);
	}
	/* Nothing in the ASCII range but a-z changes, and nothing folds
	 * into ASCII from outside it (NTFS keeps dotless i and long s). */
	for (unsigned c = 0; c < 0x80; c++)
		if (c < 'a' || c > 'z')
			assert_int_equal(winpath_upcase(c), c);
	unsigned into_ascii = 0;
	for (unsigned c = 0x80; c < 0x10000; c++)
		if (winpath_upcase(c) < 0x80)
			into_ascii++;
	assert_int_equal(into_ascii, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_classify_null),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_canonical_properties),
		cmocka_unit_test(test_canonical_without_stream_pointer),
		cmocka_unit_test(test_is_within),
		cmocka_unit_test(test_protected_match),
		cmocka_unit_test(test_protected_names_with_trailing_dots),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_upcase),
		cmocka_unit_test(test_upcase_blocks),
	};
	print_message("winpath: %zu classify, %zu canonical, %zu is_within, %zu protected, %zu compare, %zu "
		      "upcase rows\n",
		      COUNT(classify_cases), COUNT(canonical_cases), COUNT(within_cases),
		      COUNT(protected_cases), COUNT(compare_cases), COUNT(upcase_cases));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
