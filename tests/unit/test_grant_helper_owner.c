/* The read-grant helper's owner file (pid and creation time) and the
 * decision whether it names a running helper (grant_helper_owner.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "windows/plan/grant_helper_owner.h"

/* A creation time above 2^53, which a JSON number (a double) would round. */
#define CREATED 133761234567890123ULL

static bool parse_text(const char *text, cordon_helper_owner *out)
{
	return cordon_helper_owner_parse(text, strlen(text), out);
}

static void round_trip_keeps_every_bit(void **state)
{
	cordon_helper_owner owner = {.pid = 4242, .created = CREATED}, back;
	char *text = cordon_helper_owner_render(&owner);

	(void)state;
	assert_non_null(text);
	assert_non_null(strstr(text, "\"created\":\"133761234567890123\""));
	assert_true(parse_text(text, &back));
	assert_int_equal(back.pid, 4242);
	assert_true(back.created == CREATED);
	free(text);

	owner.pid = UINT32_MAX;
	owner.created = UINT64_MAX;
	text = cordon_helper_owner_render(&owner);
	assert_true(parse_text(text, &back));
	assert_true(back.pid == UINT32_MAX && back.created == UINT64_MAX);
	free(text);
}

static void bad_files_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"\0\0\0\0",
		"[]",
		"{\"version\":1,\"pid\":5}",
		"{\"version\":2,\"pid\":5,\"created\":\"7\"}",
		"{\"version\":1,\"pid\":0,\"created\":\"7\"}",
		"{\"version\":1,\"pid\":-5,\"created\":\"7\"}",
		"{\"version\":1,\"pid\":5.5,\"created\":\"7\"}",
		"{\"version\":1,\"pid\":4294967296,\"created\":\"7\"}",
		"{\"version\":1,\"pid\":\"5\",\"created\":\"7\"}",
		"{\"version\":1,\"pid\":5,\"created\":7}",
		"{\"version\":1,\"pid\":5,\"created\":\"0\"}",
		"{\"version\":1,\"pid\":5,\"created\":\"\"}",
		"{\"version\":1,\"pid\":5,\"created\":\"07\"}",
		"{\"version\":1,\"pid\":5,\"created\":\"-7\"}",
		"{\"version\":1,\"pid\":5,\"created\":\"7x\"}",
		"{\"version\":1,\"pid\":5,\"created\":\"18446744073709551616\"}",
		"{\"version\":1,\"pid\":5,\"created\":\"7\",\"extra\":1}",
		"{\"version\":1,\"pid\":5,\"created\":\"7\"} trailing",
	};
	cordon_helper_owner out;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out.pid = 99;
		assert_false(parse_text(bad[i], &out));
		assert_int_equal(out.pid, 0); /* nothing half-filled */
	}
	assert_false(cordon_helper_owner_parse(NULL, 0, &out));
	assert_true(parse_text("{\"version\":1,\"pid\":5,\"created\":\"7\"}", &out));
	assert_true(out.pid == 5 && out.created == 7);
}

static cordon_helper_probe probe(cordon_helper_probe_outcome outcome, uint64_t created, bool exited)
{
	cordon_helper_probe p = {.outcome = outcome, .created = created, .exited = exited};
	return p;
}

static void liveness_of_every_observation(void **state)
{
	cordon_helper_owner owner = {.pid = 77, .created = CREATED};
	cordon_helper_probe p;

	(void)state;
	p = probe(CORDON_HELPER_PROBE_OPENED, CREATED, false);
	assert_int_equal(cordon_helper_liveness_of(&owner, &p), CORDON_HELPER_RUNNING);
	/* The id reused by another process: its creation time differs. */
	p = probe(CORDON_HELPER_PROBE_OPENED, CREATED + 1, false);
	assert_int_equal(cordon_helper_liveness_of(&owner, &p), CORDON_HELPER_NOT_RUNNING);
	p = probe(CORDON_HELPER_PROBE_OPENED, CREATED - 1, false);
	assert_int_equal(cordon_helper_liveness_of(&owner, &p), CORDON_HELPER_NOT_RUNNING);
	/* The helper itself, exited, still listed because a handle is open. */
	p = probe(CORDON_HELPER_PROBE_OPENED, CREATED, true);
	assert_int_equal(cordon_helper_liveness_of(&owner, &p), CORDON_HELPER_NOT_RUNNING);
	p = probe(CORDON_HELPER_PROBE_NO_PROCESS, 0, false);
	assert_int_equal(cordon_helper_liveness_of(&owner, &p), CORDON_HELPER_NOT_RUNNING);
	/* Cannot be checked: never counted as running. */
	p = probe(CORDON_HELPER_PROBE_ACCESS_DENIED, 0, false);
	assert_int_equal(cordon_helper_liveness_of(&owner, &p), CORDON_HELPER_UNKNOWN);
	p = probe(CORDON_HELPER_PROBE_FAILED, CREATED, false);
	assert_int_equal(cordon_helper_liveness_of(&owner, &p), CORDON_HELPER_UNKNOWN);
	/* No owner file, or a bad one. */
	p = probe(CORDON_HELPER_PROBE_OPENED, CREATED, false);
	assert_int_equal(cordon_helper_liveness_of(NULL, &p), CORDON_HELPER_NOT_RUNNING);
	assert_string_equal(cordon_helper_liveness_name(CORDON_HELPER_UNKNOWN), "unknown");
	assert_string_equal(cordon_helper_liveness_name(CORDON_HELPER_RUNNING), "running");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_keeps_every_bit),
		cmocka_unit_test(bad_files_are_refused),
		cmocka_unit_test(liveness_of_every_observation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
