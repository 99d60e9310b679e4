/* The runner protocol (src/windows/plan/runner_protocol.c): what cordon
 * and its runner say over the pipe in elevated mode. Round trips, then
 * malformed input of every kind the pipe could bring -- every truncation,
 * trailing bytes, lengths past the end and over their limits, bad UTF-8,
 * NUL inside strings, unknown versions and enums, frames of the wrong
 * direction, and many thousands of random corruptions -- each refused
 * with one line (CORDON_E_PARSE), never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "windows/plan/runner_protocol.h"

static char *env_entries[] = {"PATH=C:\\Users\\\xc3\xbc\\cordon\\stubs;C:\\Windows",
			      "HTTP_PROXY=http://127.0.0.1:9", "=C:=C:\\ws", "EMPTY="};

static cordon_runner_request sample_request(void)
{
	cordon_runner_request r;

	memset(&r, 0, sizeof(r));
	r.application = "C:\\Program Files\\Git\\bin\\git.exe";
	r.command_line = "\"C:\\Program Files\\Git\\bin\\git.exe\" status \"a b\" \xe2\x82\xac";
	r.cwd = "C:\\Users\\alice\\proj";
	r.environment = env_entries;
	r.environment_count = 4;
	r.stdio = CORDON_STDIO_PTY;
	r.rows = 40;
	r.cols = 120;
	r.timeout_ms = 3000;
	r.mode = CORDON_MODE_WORKSPACE_WRITE;
	r.has_shared_roots = true;
	assert_true(cordon_sid_parse("S-1-5-21-1-2-3-4", &r.workspace_sid));
	assert_true(cordon_sid_parse("S-1-5-21-5-6-7-8", &r.shared_sid));
	assert_true(cordon_sid_parse("S-1-5-21-9-10-11-12", &r.sandbox_sid));
	assert_true(cordon_sid_parse("S-1-5-21-13-14-15-16", &r.readonly_sid));
	r.inherit_handles[0] = 0x44;
	r.inherit_handles[1] = 0xFFFFFFFF00000048ull;
	r.inherit_handles[2] = 0;
	return r;
}

static void encode_sample(uint8_t **bytes, size_t *length)
{
	cordon_runner_request r = sample_request();
	cordon_error err;

	assert_int_equal(cordon_runner_request_encode(&r, bytes, length, &err), CORDON_OK);
}

/* Decodes and expects a refusal of kind code, with a one-line message. */
static void expect_refused(const uint8_t *bytes, size_t length, cordon_code code)
{
	cordon_runner_request back;
	cordon_error err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(cordon_runner_request_decode(bytes, length, &back, &err), code);
	assert_null(strchr(err.message, '\n'));
	assert_true(strlen(err.message) > 20);
	/* Nothing left allocated, nothing half filled. */
	assert_null(back.application);
	assert_null(back.environment);
	assert_int_equal(back.environment_count, 0);
}

static void test_request_round_trip(void **state)
{
	cordon_runner_request want = sample_request(), back;
	cordon_error err;
	uint8_t *bytes;
	size_t length;

	(void)state;
	encode_sample(&bytes, &length);
	assert_int_equal(cordon_runner_request_decode(bytes, length, &back, &err), CORDON_OK);
	assert_string_equal(back.application, want.application);
	assert_string_equal(back.command_line, want.command_line);
	assert_string_equal(back.cwd, want.cwd);
	assert_int_equal(back.environment_count, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(back.environment[i], env_entries[i]);
	assert_int_equal(back.stdio, CORDON_STDIO_PTY);
	assert_int_equal(back.rows, 40);
	assert_int_equal(back.cols, 120);
	assert_int_equal(back.timeout_ms, 3000);
	assert_int_equal(back.mode, CORDON_MODE_WORKSPACE_WRITE);
	assert_true(back.has_shared_roots);
	assert_true(cordon_sid_equal(&back.workspace_sid, &want.workspace_sid));
	assert_true(cordon_sid_equal(&back.shared_sid, &want.shared_sid));
	assert_true(cordon_sid_equal(&back.sandbox_sid, &want.sandbox_sid));
	assert_true(cordon_sid_equal(&back.readonly_sid, &want.readonly_sid));
	assert_true(back.inherit_handles[0] == 0x44);
	assert_true(back.inherit_handles[1] == 0xFFFFFFFF00000048ull);
	assert_true(back.inherit_handles[2] == 0);
	cordon_runner_request_free(&back);
	free(bytes);
}

/* Every prefix of a valid request is refused; so is one more byte. */
static void test_every_truncation_and_trailing_bytes(void **state)
{
	uint8_t *bytes;
	size_t length;

	(void)state;
	encode_sample(&bytes, &length);
	for (size_t cut = 0; cut < length; cut++)
		expect_refused(bytes, cut, CORDON_E_PARSE);
	uint8_t *longer = malloc(length + 1);
	assert_non_null(longer);
	memcpy(longer, bytes, length);
	longer[length] = 0;
	expect_refused(longer, length + 1, CORDON_E_PARSE);
	print_message("%zu truncations and one trailing byte refused\n", length);
	free(longer);
	free(bytes);
}

static void store_u32(uint8_t *at, uint32_t value)
{
	for (int i = 0; i < 4; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

/* Offset of the application string's length field: after the version. */
#define APPLICATION_AT 4

static void test_lengths_past_the_end_or_over_limits(void **state)
{
	uint8_t *bytes;
	size_t length;
	cordon_runner_request back;
	cordon_error err;

	(void)state;
	encode_sample(&bytes, &length);
	/* A string longer than the rest of the frame. */
	store_u32(bytes + APPLICATION_AT, (uint32_t)length);
	expect_refused(bytes, length, CORDON_E_PARSE);
	/* A string longer than any string may be. */
	store_u32(bytes + APPLICATION_AT, 0xFFFFFFFFu);
	assert_int_equal(cordon_runner_request_decode(bytes, length, &back, &err), CORDON_E_PARSE);
	assert_non_null(strstr(err.message, "longer than its limit"));
	free(bytes);

	/* An environment count that the frame cannot hold: refused before
	 * anything is allocated for it. */
	cordon_runner_request r = sample_request();
	r.environment_count = 0;
	assert_int_equal(cordon_runner_request_encode(&r, &bytes, &length, &err), CORDON_OK);
	size_t count_at =
		APPLICATION_AT + 4 + strlen(r.application) + 4 + strlen(r.command_line) + 4 + strlen(r.cwd);
	store_u32(bytes + count_at, 1000000);
	assert_int_equal(cordon_runner_request_decode(bytes, length, &back, &err), CORDON_E_PARSE);
	assert_non_null(strstr(err.message, "environment count"));
	free(bytes);

	/* A request over the whole limit is refused by its size alone. */
	expect_refused((const uint8_t *)"", CORDON_RUNNER_REQUEST_MAX + 1, CORDON_E_PARSE);
}

static void test_bad_utf8_and_nul_are_refused(void **state)
{
	static const char *const bad[] = {
		"\xc0\xaf",	    /* overlong '/' */
		"\xe0\x80\xaf",	    /* overlong, three bytes */
		"\xed\xa0\x80",	    /* a surrogate */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		"\x80",		    /* a lone continuation byte */
		"\xff",
		"abc\xe2\x82", /* cut in the middle of a character */
	};
	cordon_error err;
	uint8_t *bytes;
	size_t length;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* The encoder refuses to send it... */
		cordon_runner_request r = sample_request();
		r.cwd = (char *)bad[i];
		assert_int_equal(cordon_runner_request_encode(&r, &bytes, &length, &err), CORDON_E_INVALID);
		assert_non_null(strstr(err.message, "UTF-8"));
		/* ...and the decoder refuses it when another program sends it:
		 * a valid request of the same length, patched. */
		char placeholder[16];
		memset(placeholder, 'x', strlen(bad[i]));
		placeholder[strlen(bad[i])] = '\0';
		r.cwd = placeholder;
		assert_int_equal(cordon_runner_request_encode(&r, &bytes, &length, &err), CORDON_OK);
		uint8_t *at = (uint8_t *)memmem(bytes, length, placeholder, strlen(placeholder));
		assert_non_null(at);
		memcpy(at, bad[i], strlen(bad[i]));
		expect_refused(bytes, length, CORDON_E_PARSE);
		free(bytes);
	}
	/* A NUL inside a string: "a\0c" would be "a" to C. */
	cordon_runner_request r = sample_request();
	r.cwd = "aXc";
	assert_int_equal(cordon_runner_request_encode(&r, &bytes, &length, &err), CORDON_OK);
	uint8_t *at = (uint8_t *)memmem(bytes, length, "aXc", 3);
	at[1] = 0;
	expect_refused(bytes, length, CORDON_E_PARSE);
	free(bytes);
}

static void test_unknown_values_are_refused(void **state)
{
	cordon_error err;
	uint8_t *bytes;
	size_t length;

	(void)state;
	/* Another protocol version. */
	encode_sample(&bytes, &length);
	store_u32(bytes, CORDON_RUNNER_PROTOCOL_VERSION + 1);
	expect_refused(bytes, length, CORDON_E_PARSE);
	free(bytes);

	/* Full access is never a runner's mode; an unknown stdio mode. */
	cordon_runner_request r = sample_request();
	r.mode = CORDON_MODE_FULL_ACCESS;
	assert_int_equal(cordon_runner_request_encode(&r, &bytes, &length, &err), CORDON_OK);
	expect_refused(bytes, length, CORDON_E_PARSE);
	free(bytes);
	r = sample_request();
	r.stdio = (cordon_stdio)7;
	assert_int_equal(cordon_runner_request_encode(&r, &bytes, &length, &err), CORDON_OK);
	expect_refused(bytes, length, CORDON_E_PARSE);
	free(bytes);

	/* An environment entry without '='; an empty program. */
	r = sample_request();
	char *no_equals[] = {"JUSTANAME"};
	r.environment = no_equals;
	r.environment_count = 1;
	assert_int_equal(cordon_runner_request_encode(&r, &bytes, &length, &err), CORDON_OK);
	expect_refused(bytes, length, CORDON_E_PARSE);
	free(bytes);
	r = sample_request();
	r.application = "";
	assert_int_equal(cordon_runner_request_encode(&r, &bytes, &length, &err), CORDON_OK);
	expect_refused(bytes, length, CORDON_E_PARSE);
	free(bytes);
}

/* Random corruptions: flipped bytes, random lengths, random garbage. The
 * decoder must answer OK or PARSE, and what it accepts must be whole. */
static void test_random_corruption_never_crashes(void **state)
{
	uint8_t *bytes;
	size_t length;
	uint32_t seed = 12345;
	size_t accepted = 0, refused = 0;

	(void)state;
	encode_sample(&bytes, &length);
	uint8_t *copy = malloc(length);
	assert_non_null(copy);
	for (int round = 0; round < 20000; round++) {
		memcpy(copy, bytes, length);
		int flips = 1 + round % 4;
		for (int f = 0; f < flips; f++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % length;
			seed = seed * 1103515245u + 12345u;
			copy[at] = (uint8_t)(seed >> 16);
		}
		seed = seed * 1103515245u + 12345u;
		size_t cut = round % 3 == 0 ? (seed >> 8) % (length + 1) : length;
		cordon_runner_request back;
		cordon_error err;
		cordon_code code = cordon_runner_request_decode(copy, cut, &back, &err);
		if (code == CORDON_OK) {
			assert_non_null(back.application);
			assert_non_null(back.cwd);
			assert_true(back.environment_count <= CORDON_RUNNER_ENV_MAX);
			for (size_t i = 0; i < back.environment_count; i++)
				assert_non_null(strchr(back.environment[i], '='));
			cordon_runner_request_free(&back);
			accepted++;
		} else {
			assert_int_equal(code, CORDON_E_PARSE);
			refused++;
		}
	}
	print_message("random corruption: %zu accepted whole, %zu refused, 0 crashes\n", accepted, refused);
	assert_true(refused > 10000);
	free(copy);
	free(bytes);
}

static void test_headers_are_checked_per_direction(void **state)
{
	uint8_t header[CORDON_RUNNER_HEADER_BYTES];
	cordon_runner_header h;
	cordon_error err;

	(void)state;
	cordon_runner_header_encode(CORDON_RUNNER_STDIN, 100, header);
	assert_int_equal(cordon_runner_header_decode(header, true, &h, &err), CORDON_OK);
	assert_int_equal(h.type, CORDON_RUNNER_STDIN);
	assert_int_equal(h.length, 100);
	/* The runner never sends STDIN; cordon never sends STDOUT. */
	assert_int_equal(cordon_runner_header_decode(header, false, &h, &err), CORDON_E_PARSE);
	cordon_runner_header_encode(CORDON_RUNNER_STDOUT, 10, header);
	assert_int_equal(cordon_runner_header_decode(header, true, &h, &err), CORDON_E_PARSE);
	assert_int_equal(cordon_runner_header_decode(header, false, &h, &err), CORDON_OK);
	/* Oversized frames are refused from the header, before any read. */
	cordon_runner_header_encode(CORDON_RUNNER_STDOUT, CORDON_RUNNER_DATA_MAX + 1, header);
	assert_int_equal(cordon_runner_header_decode(header, false, &h, &err), CORDON_E_PARSE);
	assert_non_null(strstr(err.message, "over its limit"));
	cordon_runner_header_encode(CORDON_RUNNER_REQUEST, CORDON_RUNNER_REQUEST_MAX + 1, header);
	assert_int_equal(cordon_runner_header_decode(header, true, &h, &err), CORDON_E_PARSE);
	cordon_runner_header_encode(CORDON_RUNNER_TERMINATE, 1, header);
	assert_int_equal(cordon_runner_header_decode(header, true, &h, &err), CORDON_E_PARSE);
	cordon_runner_header_encode(CORDON_RUNNER_TERMINATE, 0, header);
	assert_int_equal(cordon_runner_header_decode(header, true, &h, &err), CORDON_OK);
	cordon_runner_header_encode((cordon_runner_frame_type)99, 0, header);
	assert_int_equal(cordon_runner_header_decode(header, true, &h, &err), CORDON_E_PARSE);
	assert_int_equal(cordon_runner_header_decode(header, false, &h, &err), CORDON_E_PARSE);
}

static void test_small_frames(void **state)
{
	cordon_error err;
	uint8_t buffer[16];
	uint8_t *bytes;
	size_t length;

	(void)state;
	cordon_runner_hello hello = {CORDON_RUNNER_PROTOCOL_VERSION, 4242}, hello_back;
	cordon_runner_hello_encode(&hello, buffer);
	assert_int_equal(cordon_runner_hello_decode(buffer, CORDON_RUNNER_HELLO_BYTES, &hello_back, &err),
			 CORDON_OK);
	assert_int_equal(hello_back.pid, 4242);
	assert_int_equal(cordon_runner_hello_decode(buffer, 7, &hello_back, &err), CORDON_E_PARSE);
	hello.version = 99;
	cordon_runner_hello_encode(&hello, buffer);
	assert_int_equal(cordon_runner_hello_decode(buffer, CORDON_RUNNER_HELLO_BYTES, &hello_back, &err),
			 CORDON_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "not the same build"));

	cordon_runner_started started = {31337, 0x7ffe12345678ull}, started_back;
	cordon_runner_started_encode(&started, buffer);
	assert_int_equal(
		cordon_runner_started_decode(buffer, CORDON_RUNNER_STARTED_BYTES, &started_back, &err),
		CORDON_OK);
	assert_int_equal(started_back.pid, 31337);
	assert_true(started_back.job_handle == 0x7ffe12345678ull);
	assert_int_equal(cordon_runner_started_decode(buffer, 4, &started_back, &err), CORDON_E_PARSE);
	assert_int_equal(cordon_runner_started_decode(buffer, 13, &started_back, &err), CORDON_E_PARSE);
	started.job_handle = 0;
	cordon_runner_started_encode(&started, buffer);
	assert_int_equal(
		cordon_runner_started_decode(buffer, CORDON_RUNNER_STARTED_BYTES, &started_back, &err),
		CORDON_E_PARSE);
	assert_non_null(strstr(err.message, "names no job"));

	uint16_t rows, cols;
	cordon_runner_resize_encode(50, 160, buffer);
	assert_int_equal(cordon_runner_resize_decode(buffer, 4, &rows, &cols, &err), CORDON_OK);
	assert_int_equal(rows, 50);
	assert_int_equal(cols, 160);
	assert_int_equal(cordon_runner_resize_decode(buffer, 5, &rows, &cols, &err), CORDON_E_PARSE);

	cordon_exit exit_info;
	memset(&exit_info, 0, sizeof(exit_info));
	exit_info.kind = CORDON_EXIT_CODE;
	exit_info.code = -1073741819;
	exit_info.seconds = 1.25;
	snprintf(exit_info.detail, sizeof(exit_info.detail), "the command ended with NTSTATUS");
	cordon_exit exit_back;
	assert_int_equal(cordon_runner_exit_encode(&exit_info, &bytes, &length, &err), CORDON_OK);
	assert_int_equal(cordon_runner_exit_decode(bytes, length, &exit_back, &err), CORDON_OK);
	assert_int_equal(exit_back.kind, CORDON_EXIT_CODE);
	assert_int_equal(exit_back.code, -1073741819);
	assert_true(exit_back.seconds > 1.24 && exit_back.seconds < 1.26);
	assert_string_equal(exit_back.detail, exit_info.detail);
	for (size_t cut = 0; cut < length; cut++)
		assert_int_equal(cordon_runner_exit_decode(bytes, cut, &exit_back, &err), CORDON_E_PARSE);
	bytes[0] = 9; /* no such kind of exit */
	assert_int_equal(cordon_runner_exit_decode(bytes, length, &exit_back, &err), CORDON_E_PARSE);
	free(bytes);

	/* A detail that is not UTF-8 still crosses, its non-ASCII bytes as '?'. */
	cordon_runner_failed failed = {CORDON_RUNNER_FAILED_ERROR, CORDON_E_SYSTEM, "caf\xe9: access denied"};
	cordon_runner_failed failed_back;
	assert_int_equal(cordon_runner_failed_encode(&failed, &bytes, &length, &err), CORDON_OK);
	assert_int_equal(cordon_runner_failed_decode(bytes, length, &failed_back, &err), CORDON_OK);
	assert_int_equal(failed_back.code, CORDON_E_SYSTEM);
	assert_string_equal(failed_back.message, "caf?: access denied");
	free(bytes);
	/* A long detail is cut on a character boundary. */
	memset(failed.message, 0, sizeof(failed.message));
	for (size_t i = 0; i + 2 < sizeof(failed.message) - 1; i += 2)
		memcpy(failed.message + i, "\xc3\xbc", 2);
	failed.message[sizeof(failed.message) - 1] = '\0';
	failed.failure = CORDON_RUNNER_FAILED_NOT_FOUND;
	assert_int_equal(cordon_runner_failed_encode(&failed, &bytes, &length, &err), CORDON_OK);
	assert_int_equal(cordon_runner_failed_decode(bytes, length, &failed_back, &err), CORDON_OK);
	assert_int_equal(strlen(failed_back.message) % 2, 0);
	free(bytes);
	failed.failure = CORDON_RUNNER_FAILED_ERROR;
	failed.code = CORDON_OK; /* an error that is no error */
	snprintf(failed.message, sizeof(failed.message), "x");
	assert_int_equal(cordon_runner_failed_encode(&failed, &bytes, &length, &err), CORDON_OK);
	assert_int_equal(cordon_runner_failed_decode(bytes, length, &failed_back, &err), CORDON_E_PARSE);
	free(bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_every_truncation_and_trailing_bytes),
		cmocka_unit_test(test_lengths_past_the_end_or_over_limits),
		cmocka_unit_test(test_bad_utf8_and_nul_are_refused),
		cmocka_unit_test(test_unknown_values_are_refused),
		cmocka_unit_test(test_random_corruption_never_crashes),
		cmocka_unit_test(test_headers_are_checked_per_direction),
		cmocka_unit_test(test_small_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
