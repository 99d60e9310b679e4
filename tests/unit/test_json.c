/* The strict JSON reader and the writer: what is accepted, what is refused
 * and exactly where and why, and the exact text the writer produces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

/* ------------------------------------------------------------- helpers */

static cordon_json *parse_n(const char *text, size_t length)
{
	cordon_json *value = NULL;
	cordon_json_error err;
	if (!cordon_json_parse(text, length, &value, &err))
		fail_msg("unexpected parse error at %zu:%zu: %s", err.line, err.column, err.message);
	assert_non_null(value);
	return value;
}

static cordon_json *parse(const char *text)
{
	return parse_n(text, strlen(text));
}

static void expect_error_n(const char *text, size_t length, size_t line, size_t column, const char *message)
{
	cordon_json *value = (cordon_json *)(uintptr_t)1;
	cordon_json_error err;
	memset(&err, 0x55, sizeof(err));
	assert_false(cordon_json_parse(text, length, &value, &err));
	assert_null(value);
	assert_string_equal(err.message, message);
	assert_int_equal(err.line, line);
	assert_int_equal(err.column, column);
}

static void expect_error(const char *text, size_t line, size_t column, const char *message)
{
	expect_error_n(text, strlen(text), line, column, message);
}

/* Parses text, writes the tree back, and returns the writer's text. */
static char *rewrite(const char *text, bool pretty)
{
	cordon_json *v = parse(text);
	cordon_json_writer w;
	cordon_json_writer_init(&w, pretty);
	cordon_json_value(&w, v);
	cordon_json_free(v);
	char *out = cordon_json_writer_finish(&w);
	assert_non_null(out);
	return out;
}

static void expect_rewrite(const char *text, const char *expected)
{
	char *out = rewrite(text, false);
	assert_string_equal(out, expected);
	free(out);
}

/* Writes one string value and returns the JSON text. */
static char *write_string_n(const char *s, size_t n)
{
	cordon_json_writer w;
	cordon_json_writer_init(&w, false);
	cordon_json_string_n(&w, s, n);
	char *out = cordon_json_writer_finish(&w);
	assert_non_null(out);
	return out;
}

static void expect_string_bytes(const char *text, const char *bytes, size_t length)
{
	cordon_json *v = parse(text);
	assert_int_equal(v->type, CORDON_JSON_STRING);
	assert_int_equal(v->string_length, length);
	assert_memory_equal(v->string, bytes, length);
	assert_int_equal(v->string[length], '\0');
	cordon_json_free(v);
}

static char *nested_arrays(int depth)
{
	char *text = malloc((size_t)depth * 2 + 1);
	assert_non_null(text);
	for (int i = 0; i < depth; i++) {
		text[i] = '[';
		text[depth * 2 - 1 - i] = ']';
	}
	text[depth * 2] = '\0';
	return text;
}

/* --------------------------------------------------------- valid input */

static void test_scalars(void **state)
{
	(void)state;
	cordon_json *v = parse("null");
	assert_int_equal(v->type, CORDON_JSON_NULL);
	cordon_json_free(v);

	v = parse(" true ");
	assert_int_equal(v->type, CORDON_JSON_BOOL);
	assert_true(v->boolean);
	assert_int_equal(v->column, 2);
	cordon_json_free(v);

	v = parse("\t\r\nfalse");
	assert_int_equal(v->type, CORDON_JSON_BOOL);
	assert_false(v->boolean);
	assert_int_equal(v->line, 2);
	assert_int_equal(v->column, 1);
	cordon_json_free(v);

	v = parse("\"hi\"");
	assert_int_equal(v->type, CORDON_JSON_STRING);
	assert_string_equal(v->string, "hi");
	assert_int_equal(v->string_length, 2);
	assert_null(v->key);
	cordon_json_free(v);
}

static void test_numbers(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		double value;
	} cases[] = {
		{"0", 0.0},	 {"-0", -0.0},
		{"7", 7.0},	 {"-12", -12.0},
		{"1.5", 1.5},	 {"-0.25", -0.25},
		{"1e3", 1000.0}, {"1E3", 1000.0},
		{"1e+2", 100.0}, {"25e-2", 0.25},
		{"0.0", 0.0},	 {"123456789012345", 123456789012345.0},
		{"1e-400", 0.0}, {"1.7976931348623157e308", 1.7976931348623157e308},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cordon_json *v = parse(cases[i].text);
		assert_int_equal(v->type, CORDON_JSON_NUMBER);
		assert_true(v->number == cases[i].value);
		assert_int_equal(signbit(v->number) != 0, signbit(cases[i].value) != 0);
		cordon_json_free(v);
	}
}

static void test_object_members_in_order(void **state)
{
	(void)state;
	cordon_json *v = parse("{\"mode\": \"workspace-write\",\n \"roots\": [\"/a\", \"/b\"],\n \"tmp\": "
			       "true, \"n\": null}");
	assert_int_equal(v->type, CORDON_JSON_OBJECT);
	assert_int_equal(v->count, 4);
	assert_string_equal(v->items[0]->key, "mode");
	assert_string_equal(v->items[1]->key, "roots");
	assert_string_equal(v->items[2]->key, "tmp");
	assert_string_equal(v->items[3]->key, "n");

	const cordon_json *roots = cordon_json_get(v, "roots");
	assert_ptr_equal(roots, v->items[1]);
	assert_int_equal(roots->type, CORDON_JSON_ARRAY);
	assert_int_equal(roots->count, 2);
	assert_string_equal(roots->items[1]->string, "/b");
	assert_null(roots->items[1]->key);
	/* positions point at the value, not the key */
	assert_int_equal(roots->line, 2);
	assert_int_equal(roots->column, 11);
	assert_int_equal(roots->items[1]->column, 18);
	assert_int_equal(cordon_json_get(v, "tmp")->line, 3);
	assert_int_equal(cordon_json_get(v, "tmp")->column, 9);

	assert_null(cordon_json_get(v, "missing"));
	assert_null(cordon_json_get(roots, "mode"));
	assert_null(cordon_json_get(NULL, "mode"));
	cordon_json_free(v);
}

static void test_empty_containers(void **state)
{
	(void)state;
	cordon_json *v = parse("[ {}, [], { } ,[ ] ]");
	assert_int_equal(v->count, 4);
	assert_int_equal(v->items[0]->type, CORDON_JSON_OBJECT);
	assert_int_equal(v->items[0]->count, 0);
	assert_int_equal(v->items[1]->type, CORDON_JSON_ARRAY);
	assert_int_equal(v->items[1]->count, 0);
	cordon_json_free(v);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(cordon_json_type_name(CORDON_JSON_NULL), "null");
	assert_string_equal(cordon_json_type_name(CORDON_JSON_BOOL), "boolean");
	assert_string_equal(cordon_json_type_name(CORDON_JSON_NUMBER), "number");
	assert_string_equal(cordon_json_type_name(CORDON_JSON_STRING), "string");
	assert_string_equal(cordon_json_type_name(CORDON_JSON_ARRAY), "array");
	assert_string_equal(cordon_json_type_name(CORDON_JSON_OBJECT), "object");
}

static void test_string_escapes(void **state)
{
	(void)state;
	expect_string_bytes("\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7);
	expect_string_bytes("\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5);
	expect_string_bytes("\"\\u0041\\u00e9\\u20AC\"", "A\xC3\xA9\xE2\x82\xAC", 6);
	expect_string_bytes("\"\\u0001\"", "\x01", 1);
	/* surrogate pairs: U+1F600 and the highest code point U+10FFFF */
	expect_string_bytes("\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80", 4);
	expect_string_bytes("\"\\udbff\\udfff\"", "\xF4\x8F\xBF\xBF", 4);
	expect_string_bytes("\"\\uD800\\uDC00x\"", "\xF0\x90\x80\x80x", 5);
}

static void test_utf8_valid_edges(void **state)
{
	(void)state;
	static const char *const valid[] = {
		"\x7F",		    /* U+007F */
		"\xC2\x80",	    /* U+0080, shortest two-byte */
		"\xDF\xBF",	    /* U+07FF */
		"\xE0\xA0\x80",	    /* U+0800, shortest three-byte */
		"\xED\x9F\xBF",	    /* U+D7FF, just below the surrogates */
		"\xEE\x80\x80",	    /* U+E000, just above them */
		"\xEF\xBF\xBF",	    /* U+FFFF */
		"\xF0\x90\x80\x80", /* U+10000, shortest four-byte */
		"\xF4\x8F\xBF\xBF", /* U+10FFFF, the last code point */
	};
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char text[16];
		snprintf(text, sizeof(text), "\"%s\"", valid[i]);
		expect_string_bytes(text, valid[i], strlen(valid[i]));
	}
}

static void test_round_trip_compact(void **state)
{
	(void)state;
	expect_rewrite(" { \"a\" : [ 1 , 2.5 , -3e2 , true , false , null , \"x\" ] , \"b\" : { } }",
		       "{\"a\":[1,2.5,-300,true,false,null,\"x\"],\"b\":{}}");
	expect_rewrite("[]", "[]");
	expect_rewrite("\"\\u00e9\\n\"", "\"\xC3\xA9\\n\"");
	expect_rewrite("[0.1, 1e300, -0, 5e-324, 123456789012345678]",
		       "[0.1,1e+300,-0,5e-324,1.2345678901234568e+17]");

	/* Writing a parsed document and parsing it again yields the same text. */
	const char *doc =
		"{\"mode\":\"workspace-write\",\"cwd\":\".\",\"writable_roots\":[\"/tmp/a b\",\"/\xC3\xA9\"],"
		"\"protected_names\":[\".git\"],\"network\":\"proxy\",\"allowed_domains\":[],"
		"\"tmp_writable\":true,\"best_effort\":false,\"n\":[0.30000000000000004,1e-7]}";
	char *once = rewrite(doc, false);
	char *twice = rewrite(once, false);
	assert_string_equal(once, twice);
	free(once);
	free(twice);
}

static void test_pretty_output(void **state)
{
	(void)state;
	char *out = rewrite("{\"mode\":\"read-only\",\"roots\":[\"/a\",\"/b\"],\"empty\":[],\"obj\":{},"
			    "\"nested\":{\"n\":1,\"list\":[[true]]}}",
			    true);
	assert_string_equal(out, "{\n"
				 "  \"mode\": \"read-only\",\n"
				 "  \"roots\": [\n"
				 "    \"/a\",\n"
				 "    \"/b\"\n"
				 "  ],\n"
				 "  \"empty\": [],\n"
				 "  \"obj\": {},\n"
				 "  \"nested\": {\n"
				 "    \"n\": 1,\n"
				 "    \"list\": [\n"
				 "      [\n"
				 "        true\n"
				 "      ]\n"
				 "    ]\n"
				 "  }\n"
				 "}");
	/* and pretty output parses back to the compact form */
	char *compact = rewrite(out, false);
	assert_string_equal(compact,
			    "{\"mode\":\"read-only\",\"roots\":[\"/a\",\"/b\"],\"empty\":[],\"obj\":{},"
			    "\"nested\":{\"n\":1,\"list\":[[true]]}}");
	free(out);
	free(compact);

	out = rewrite("42", true);
	assert_string_equal(out, "42");
	free(out);
}

/* ----------------------------------------------------- rejected input */

static void test_reject_empty_and_garbage(void **state)
{
	(void)state;
	expect_error("", 1, 1, "expected a value but found end of input");
	expect_error("  \n   ", 2, 4, "expected a value but found end of input");
	expect_error("True", 1, 1, "expected a value but found 'T'");
	expect_error("[\x01]", 1, 2, "expected a value but found byte 0x01");
	expect_error_n("[\0]", 3, 1, 2, "expected a value but found byte 0x00");
	expect_error("'single'", 1, 1, "strings must use double quotes, not single quotes");
	expect_error("\xEF\xBB\xBF{}", 1, 1, "a byte order mark is not allowed at the start of JSON");
	expect_error("\xEF{}", 1, 1, "expected a value but found byte 0xEF");
	expect_error_n(NULL, 0, 1, 1, "expected a value but found end of input");
}

static void test_reject_trailing_commas(void **state)
{
	(void)state;
	expect_error("{\"a\":1,}", 1, 7, "trailing comma before '}' is not allowed");
	expect_error("[1,2,]", 1, 5, "trailing comma before ']' is not allowed");
	expect_error("[1,\n  2,\n]", 2, 4, "trailing comma before ']' is not allowed");
	expect_error("[,1]", 1, 2, "expected a value but found ','");
	expect_error("[1,,2]", 1, 4, "expected a value but found ','");
}

static void test_reject_structure(void **state)
{
	(void)state;
	expect_error("{\"a\":1 \"b\":2}", 1, 8, "expected ',' or '}' after object member");
	expect_error("{\"a\":1", 1, 7, "expected ',' or '}' after object member");
	expect_error("[1 2]", 1, 4, "expected ',' or ']' after array element");
	expect_error("[1", 1, 3, "expected ',' or ']' after array element");
	expect_error("{\"a\" 1}", 1, 6, "expected ':' after object key");
	expect_error("{\"a\"", 1, 5, "expected ':' after object key");
	expect_error("{\"a\":}", 1, 6, "expected a value but found '}'");
	expect_error("{mode:1}", 1, 2, "expected a double-quoted key or '}' after '{'");
	expect_error("{\"a\":1,b:2}", 1, 8, "expected a double-quoted key after ','");
	expect_error("{\"a\":1]", 1, 7, "expected ',' or '}' after object member");
	expect_error("[1}", 1, 3, "expected ',' or ']' after array element");
	expect_error("{\n  \"mode\": \"x\"\n  \"cwd\": \".\"\n}", 3, 3,
		     "expected ',' or '}' after object member");
}

static void test_reject_after_top_level(void **state)
{
	(void)state;
	expect_error("{}x", 1, 3, "unexpected 'x' after the top-level value");
	expect_error("1 2", 1, 3, "unexpected '2' after the top-level value");
	expect_error("{}\n\n  {}", 3, 3, "unexpected '{' after the top-level value");
	expect_error_n("{}\0", 3, 1, 3, "unexpected byte 0x00 after the top-level value");
	expect_error("\"a\"\"b\"", 1, 4, "unexpected '\"' after the top-level value");
}

static void test_reject_comments(void **state)
{
	(void)state;
	expect_error("// note\n{}", 1, 1, "comments are not allowed in JSON");
	expect_error("{} /* trailing */", 1, 4, "comments are not allowed in JSON");
	expect_error("[1 /* c */]", 1, 4, "comments are not allowed in JSON");
	expect_error("{\"a\":1, // c\n\"b\":2}", 1, 9, "comments are not allowed in JSON");
	expect_error("{\"a\": /* c */ 1}", 1, 7, "comments are not allowed in JSON");
	expect_error("{\"a\" // c\n: 1}", 1, 6, "comments are not allowed in JSON");
	expect_error("{ # c\n}", 1, 3, "expected a double-quoted key or '}' after '{'");
}

static void test_reject_duplicate_keys(void **state)
{
	(void)state;
	expect_error("{\"mode\":\"a\",\n \"mode\":\"b\"}", 2, 2, "duplicate key \"mode\"");
	/* keys are compared after unescaping */
	expect_error("{\"ab\":1,\"a\\u0062\":2}", 1, 9, "duplicate key \"ab\"");
	/* awkward key text is escaped in the message */
	expect_error("{\"a\\\"\\n\":1,\"a\\\"\\n\":2}", 1, 12, "duplicate key \"a\\\"\\u000A\"");
	/* the same key in sibling and nested objects is fine */
	cordon_json *v = parse("{\"a\":{\"a\":1},\"b\":{\"a\":2}}");
	cordon_json_free(v);

	/* many keys (the hashed path), the duplicate at the very end */
	char text[8192];
	size_t used = (size_t)snprintf(text, sizeof(text), "{");
	for (int i = 0; i < 300; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "\"k%d\":%d,", i, i);
	size_t dup_column = used + 1;
	snprintf(text + used, sizeof(text) - used, "\"k137\":0}");
	expect_error(text, 1, dup_column, "duplicate key \"k137\"");
	text[used - 1] = '}';
	text[used] = '\0';
	v = parse(text);
	assert_int_equal(v->count, 300);
	assert_int_equal((int)cordon_json_get(v, "k299")->number, 299);
	cordon_json_free(v);

	/* a very long duplicate key is shortened in the message */
	char long_key[400];
	memset(long_key, 'k', 200);
	long_key[200] = '\0';
	snprintf(text, sizeof(text), "{\"%s\":1,\"%s\":2}", long_key, long_key);
	char expected[128];
	snprintf(expected, sizeof(expected), "duplicate key \"%.48s...\"", long_key);
	expect_error(text, 1, 207, expected);
}

static void test_reject_literals(void **state)
{
	(void)state;
	expect_error("tru", 1, 1, "invalid literal; expected true, false or null");
	expect_error("nulll", 1, 1, "invalid literal; expected true, false or null");
	expect_error("[truex]", 1, 2, "invalid literal; expected true, false or null");
	expect_error("[1, fals]", 1, 5, "invalid literal; expected true, false or null");
	expect_error("NaN", 1, 1, "NaN and Infinity are not allowed in JSON");
	expect_error("[Infinity]", 1, 2, "NaN and Infinity are not allowed in JSON");
	expect_error("-Infinity", 1, 1, "NaN and Infinity are not allowed in JSON");
}

static void test_reject_numbers(void **state)
{
	(void)state;
	expect_error("01", 1, 1, "leading zeros are not allowed in numbers");
	expect_error("[-007]", 1, 3, "leading zeros are not allowed in numbers");
	expect_error("+1", 1, 1, "'+' is not allowed before a number");
	expect_error(".5", 1, 1, "numbers must start with a digit, not '.'");
	expect_error("1.", 1, 3, "expected a digit after '.' in number");
	expect_error("1.e5", 1, 3, "expected a digit after '.' in number");
	expect_error("1e", 1, 3, "expected a digit in the exponent of number");
	expect_error("[1e+]", 1, 5, "expected a digit in the exponent of number");
	expect_error("-", 1, 2, "expected a digit after '-'");
	expect_error("- 1", 1, 2, "expected a digit after '-'");
	expect_error("0x1F", 1, 1, "hexadecimal numbers are not allowed in JSON");
	expect_error("[-0X1]", 1, 2, "hexadecimal numbers are not allowed in JSON");
	expect_error("[1.5.3]", 1, 5, "unexpected '.' in number");
	expect_error("12abc", 1, 3, "unexpected 'a' in number");
	expect_error("1e400", 1, 1, "number is too large to represent");
	expect_error("[1, -1e999]", 1, 5, "number is too large to represent");
}

static void test_reject_strings(void **state)
{
	(void)state;
	expect_error("\"abc", 1, 1, "unterminated string (no closing '\"' before the end of input)");
	expect_error("[\"a\\\"]", 1, 2, "unterminated string (no closing '\"' before the end of input)");
	expect_error("\"abc\\", 1, 5, "unterminated escape sequence in string");
	expect_error("\"a\tb\"", 1, 3, "control character U+0009 in string must be escaped");
	expect_error("{\"k\":\"line\nbreak\"}", 1, 11, "control character U+000A in string must be escaped");
	expect_error_n("\"a\0b\"", 5, 1, 3, "control character U+0000 in string must be escaped");
	expect_error("\"\\x41\"", 1, 2, "invalid escape sequence '\\' followed by 'x' in string");
	expect_error("\"\\'\"", 1, 2, "invalid escape sequence '\\' followed by ''' in string");
	expect_error("\"\\U0041\"", 1, 2, "invalid escape sequence '\\' followed by 'U' in string");
	expect_error("\"\\u12\"", 1, 2, "invalid \\u escape in string: expected four hex digits");
	expect_error("\"\\u12g4\"", 1, 2, "invalid \\u escape in string: expected four hex digits");
	expect_error("\"\\u", 1, 2, "invalid \\u escape in string: expected four hex digits");
}

static void test_reject_nul_and_surrogate_escapes(void **state)
{
	(void)state;
	expect_error("\"\\u0000\"", 1, 2, "\\u0000 is not allowed in strings");
	expect_error("[\"ok\", \"a\\u0000\"]", 1, 10, "\\u0000 is not allowed in strings");
	expect_error("\"\\uD800\"", 1, 2,
		     "lone high surrogate \\uD800 in string (a \\uDC00-\\uDFFF must follow)");
	expect_error("\"x\\ud83dy\"", 1, 3,
		     "lone high surrogate \\uD83D in string (a \\uDC00-\\uDFFF must follow)");
	expect_error("\"\\uD800\\u0041\"", 1, 2,
		     "lone high surrogate \\uD800 in string (a \\uDC00-\\uDFFF must follow)");
	expect_error("\"\\uD800\\uD800\"", 1, 2,
		     "lone high surrogate \\uD800 in string (a \\uDC00-\\uDFFF must follow)");
	expect_error("\"\\uD800\\n\"", 1, 2,
		     "lone high surrogate \\uD800 in string (a \\uDC00-\\uDFFF must follow)");
	expect_error("\"\\uD800\\u00\"", 1, 8, "invalid \\u escape in string: expected four hex digits");
	expect_error("\"\\uDC00\"", 1, 2, "lone low surrogate \\uDC00 in string");
	expect_error("\"\\uDE00\\uD83D\"", 1, 2, "lone low surrogate \\uDE00 in string");
}

static void test_reject_invalid_utf8(void **state)
{
	(void)state;
	/* overlong encodings */
	expect_error("\"\xC0\xAF\"", 1, 2, "overlong UTF-8 encoding in string");
	expect_error("\"\xC1\xBF\"", 1, 2, "overlong UTF-8 encoding in string");
	expect_error("\"ab\xE0\x80\xAF\"", 1, 4, "overlong UTF-8 encoding in string");
	expect_error("\"\xE0\x9F\xBF\"", 1, 2, "overlong UTF-8 encoding in string");
	expect_error("\"\xF0\x8F\xBF\xBF\"", 1, 2, "overlong UTF-8 encoding in string");
	/* surrogates encoded directly in UTF-8 (CESU-8 style) */
	expect_error("\"\xED\xA0\x80\"", 1, 2, "UTF-8-encoded surrogate (U+D800-U+DFFF) in string");
	expect_error("\"\xED\xBF\xBF\"", 1, 2, "UTF-8-encoded surrogate (U+D800-U+DFFF) in string");
	expect_error("\"\xED\xA0\xBD\xED\xB8\x80\"", 1, 2,
		     "UTF-8-encoded surrogate (U+D800-U+DFFF) in string");
	/* beyond U+10FFFF */
	expect_error("\"\xF4\x90\x80\x80\"", 1, 2, "UTF-8 sequence beyond U+10FFFF in string");
	expect_error("\"\xF7\xBF\xBF\xBF\"", 1, 2, "UTF-8 sequence beyond U+10FFFF in string");
	/* bytes that never start a sequence */
	expect_error("\"\x80\"", 1, 2, "invalid UTF-8 byte in string");
	expect_error("\"a\xBF\"", 1, 3, "invalid UTF-8 byte in string");
	expect_error("\"\xF8\x88\x80\x80\x80\"", 1, 2, "invalid UTF-8 byte in string");
	expect_error("\"\xFF\"", 1, 2, "invalid UTF-8 byte in string");
	expect_error("\"\xFE\"", 1, 2, "invalid UTF-8 byte in string");
	/* sequences cut short */
	expect_error("\"\xC3\"", 1, 2, "truncated UTF-8 sequence in string");
	expect_error("\"a\xE2\x82\"", 1, 3, "truncated UTF-8 sequence in string");
	expect_error("\"\xF0\x9F\x98\"", 1, 2, "truncated UTF-8 sequence in string");
	expect_error_n("\"\xE2\x82", 3, 1, 2, "truncated UTF-8 sequence in string");
	expect_error("\"\xC3\x41\"", 1, 2, "truncated UTF-8 sequence in string");
	/* invalid bytes in keys are refused the same way */
	expect_error("{\"\xFF\":1}", 1, 3, "invalid UTF-8 byte in string");
	/* and outside strings they are just unexpected */
	expect_error("[\xC3\xA9]", 1, 2, "expected a value but found byte 0xC3");
}

static void test_depth_limit(void **state)
{
	(void)state;
	char *text = nested_arrays(CORDON_JSON_MAX_DEPTH);
	cordon_json *v = parse(text);
	int depth = 1;
	for (const cordon_json *cur = v; cur->count == 1; cur = cur->items[0]) {
		assert_int_equal(cur->items[0]->type, CORDON_JSON_ARRAY);
		depth++;
	}
	assert_int_equal(depth, CORDON_JSON_MAX_DEPTH);
	cordon_json_free(v);
	free(text);

	text = nested_arrays(CORDON_JSON_MAX_DEPTH + 1);
	expect_error(text, 1, CORDON_JSON_MAX_DEPTH + 1, "nesting is deeper than 64 levels");
	free(text);

	/* objects count toward the same limit */
	char buf[1024];
	size_t used = 0;
	for (int i = 0; i < CORDON_JSON_MAX_DEPTH; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "{\"a\":");
	size_t deepest = used + 1;
	snprintf(buf + used, sizeof(buf) - used, "[1]");
	expect_error(buf, 1, deepest, "nesting is deeper than 64 levels");
	buf[used] = '1';
	used++;
	for (int i = 0; i < CORDON_JSON_MAX_DEPTH; i++)
		buf[used++] = '}';
	buf[used] = '\0';
	v = parse(buf);
	cordon_json_free(v);

	/* a very deep document fails cleanly instead of exhausting the stack */
	text = nested_arrays(100000);
	expect_error(text, 1, CORDON_JSON_MAX_DEPTH + 1, "nesting is deeper than 64 levels");
	free(text);
}

static void test_size_limit(void **state)
{
	(void)state;
	size_t size = CORDON_JSON_MAX_BYTES;
	char *text = malloc(size + 2);
	assert_non_null(text);
	/* a string value that fills the limit exactly */
	memset(text, 'x', size);
	text[0] = '"';
	text[size - 1] = '"';
	text[size] = '\0';
	cordon_json *v = parse_n(text, size);
	assert_int_equal(v->string_length, size - 2);
	cordon_json_free(v);

	text[size - 1] = 'x';
	text[size] = '"';
	text[size + 1] = '\0';
	expect_error_n(text, size + 1, 1, 1, "document is larger than the 1048576-byte limit");
	free(text);
}

static void test_error_without_err(void **state)
{
	(void)state;
	cordon_json *v = (cordon_json *)(uintptr_t)1;
	assert_false(cordon_json_parse("[1,]", 4, &v, NULL));
	assert_null(v);
	/* length, not NUL, ends the input */
	assert_true(cordon_json_parse("[1]garbage", 3, &v, NULL));
	assert_int_equal(v->count, 1);
	cordon_json_free(v);
	cordon_json_free(NULL);
}

/* ------------------------------------------------------------- writer */

static void test_writer_escapes(void **state)
{
	(void)state;
	char *out = write_string_n("q\"b\\s/\b\f\n\r\t\x01\x1F\x7F", 14);
	assert_string_equal(out, "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\"");
	free(out);

	/* valid UTF-8 is kept as is */
	out = write_string_n("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9);
	assert_string_equal(out, "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
	free(out);

	/* invalid bytes become \u00XX each; NUL is escaped too */
	out = write_string_n("a\xFF"
			     "b\xC0\xAF"
			     "c\xED\xA0\x80"
			     "\xE2\x82"
			     "\0z",
			     13);
	assert_string_equal(out, "\"a\\u00ffb\\u00c0\\u00afc\\u00ed\\u00a0\\u0080\\u00e2\\u0082\\u0000z\"");
	free(out);

	/* what the writer produces from valid text parses back to the same bytes */
	const char original[] = "tab\there \"quoted\" back\\slash \x01 \xE2\x82\xAC";
	out = write_string_n(original, sizeof(original) - 1);
	expect_string_bytes(out, original, sizeof(original) - 1);
	free(out);

	/* the lossy case reads back as the Latin-1 reading of each byte */
	out = write_string_n("\xFF", 1);
	expect_string_bytes(out, "\xC3\xBF", 2);
	free(out);
}

static void test_writer_keys_and_numbers(void **state)
{
	(void)state;
	cordon_json_writer w;
	cordon_json_writer_init(&w, false);
	cordon_json_begin_object(&w);
	cordon_json_key(&w, "we\"ird\n");
	cordon_json_int(&w, LLONG_MIN);
	cordon_json_key(&w, "max");
	cordon_json_int(&w, LLONG_MAX);
	cordon_json_key(&w, "d");
	cordon_json_begin_array(&w);
	cordon_json_double(&w, 0.1);
	cordon_json_double(&w, 1.0 / 3.0);
	cordon_json_double(&w, -2.5e-8);
	cordon_json_double(&w, 1e21);
	cordon_json_double(&w, NAN);
	cordon_json_double(&w, INFINITY);
	cordon_json_double(&w, 3.0);
	cordon_json_end_array(&w);
	cordon_json_key(&w, "s");
	cordon_json_string(&w, "v");
	cordon_json_key(&w, "b");
	cordon_json_bool(&w, false);
	cordon_json_key(&w, "n");
	cordon_json_null(&w);
	cordon_json_end_object(&w);
	char *out = cordon_json_writer_finish(&w);
	assert_non_null(out);
	assert_string_equal(out, "{\"we\\\"ird\\n\":-9223372036854775808,\"max\":9223372036854775807,"
				 "\"d\":[0.1,0.3333333333333333,-2.5e-08,1e+21,null,null,3],"
				 "\"s\":\"v\",\"b\":false,\"n\":null}");
	cordon_json *v = parse(out);
	assert_true(cordon_json_get(v, "d")->items[1]->number == 1.0 / 3.0);
	cordon_json_free(v);
	free(out);
}

static void test_writer_depth_and_misuse(void **state)
{
	(void)state;
	cordon_json_writer w;
	cordon_json_writer_init(&w, true);
	for (int i = 0; i < CORDON_JSON_MAX_DEPTH; i++)
		cordon_json_begin_array(&w);
	for (int i = 0; i < CORDON_JSON_MAX_DEPTH; i++)
		cordon_json_end_array(&w);
	char *out = cordon_json_writer_finish(&w);
	assert_non_null(out);
	free(out);

	cordon_json_writer_init(&w, false);
	for (int i = 0; i < CORDON_JSON_MAX_DEPTH + 1; i++)
		cordon_json_begin_array(&w);
	for (int i = 0; i < CORDON_JSON_MAX_DEPTH + 1; i++)
		cordon_json_end_array(&w);
	assert_true(w.failed);
	assert_null(cordon_json_writer_finish(&w));

	/* unbalanced documents are reported, not returned half-written */
	cordon_json_writer_init(&w, false);
	cordon_json_begin_object(&w);
	assert_null(cordon_json_writer_finish(&w));
	cordon_json_writer_init(&w, false);
	cordon_json_end_array(&w);
	assert_null(cordon_json_writer_finish(&w));
	cordon_json_writer_init(&w, false);
	cordon_json_begin_object(&w);
	cordon_json_key(&w, "dangling");
	cordon_json_end_object(&w);
	cordon_json_begin_array(&w);
	assert_null(cordon_json_writer_finish(&w));

	/* an empty writer gives an empty string */
	cordon_json_writer_init(&w, false);
	out = cordon_json_writer_finish(&w);
	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
}

static void test_locale_independent(void **state)
{
	(void)state;
	static const char *const comma_locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
						    "fr_FR.utf8",  "de_DE",	 "fr_FR"};
	const char *chosen = NULL;
	for (size_t i = 0; i < sizeof(comma_locales) / sizeof(comma_locales[0]) && chosen == NULL; i++) {
		if (setlocale(LC_NUMERIC, comma_locales[i]) != NULL)
			chosen = comma_locales[i];
	}
	if (chosen == NULL || strcmp(localeconv()->decimal_point, ",") != 0) {
		setlocale(LC_NUMERIC, "C");
		print_message("no locale with a ',' decimal point is installed here (locale -a)\n");
		skip();
		return;
	}
	cordon_json *v = parse("[1.5, -2.25e1]");
	assert_true(v->items[0]->number == 1.5);
	assert_true(v->items[1]->number == -22.5);
	cordon_json_free(v);
	char *out = rewrite("[1.5,0.1]", false);
	setlocale(LC_NUMERIC, "C");
	assert_string_equal(out, "[1.5,0.1]");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_object_members_in_order),
		cmocka_unit_test(test_empty_containers),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_utf8_valid_edges),
		cmocka_unit_test(test_round_trip_compact),
		cmocka_unit_test(test_pretty_output),
		cmocka_unit_test(test_reject_empty_and_garbage),
		cmocka_unit_test(test_reject_trailing_commas),
		cmocka_unit_test(test_reject_structure),
		cmocka_unit_test(test_reject_after_top_level),
		cmocka_unit_test(test_reject_comments),
		cmocka_unit_test(test_reject_duplicate_keys),
		cmocka_unit_test(test_reject_literals),
		cmocka_unit_test(test_reject_numbers),
		cmocka_unit_test(test_reject_strings),
		cmocka_unit_test(test_reject_nul_and_surrogate_escapes),
		cmocka_unit_test(test_reject_invalid_utf8),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_error_without_err),
		cmocka_unit_test(test_writer_escapes),
		cmocka_unit_test(test_writer_keys_and_numbers),
		cmocka_unit_test(test_writer_depth_and_misuse),
		cmocka_unit_test(test_locale_independent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
