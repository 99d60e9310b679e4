/* The delete-child probe's decision (every combination of the four
 * attempts' outcomes) and its per-build cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "windows/plan/probe_verdict.h"

enum { A = CORDON_PROBE_ALLOWED, D = CORDON_PROBE_DENIED, F = CORDON_PROBE_FAILED };

static cordon_probe_observations observations(int del, int ren, int dacl, int control)
{
	cordon_probe_observations o;
	memset(&o, 0, sizeof(o));
	o.delete_file.outcome = (cordon_probe_outcome)del;
	o.rename_file.outcome = (cordon_probe_outcome)ren;
	o.rewrite_dacl.outcome = (cordon_probe_outcome)dacl;
	o.control_create.outcome = (cordon_probe_outcome)control;
	o.delete_file.error = 1001;
	o.rename_file.error = 1002;
	o.rewrite_dacl.error = 1003;
	o.control_create.error = 1004;
	return o;
}

/* The expected reading, written as the brief states it rather than as
 * the code orders it: a trustworthy probe (nothing failed, the control
 * allowed, the DACL rewrite denied) gives re-checked when both delete
 * routes were denied and not re-checked when either was allowed;
 * anything else is unknown. */
static cordon_probe_reading expected(int del, int ren, int dacl, int control)
{
	bool trustworthy = del != F && ren != F && dacl == D && control == A;
	if (!trustworthy)
		return CORDON_PROBE_UNKNOWN;
	return (del == D && ren == D) ? CORDON_PROBE_RECHECKED : CORDON_PROBE_NOT_RECHECKED;
}

static void every_combination(void **state)
{
	(void)state;
	size_t counts[3] = {0};
	for (int del = A; del <= F; del++)
		for (int ren = A; ren <= F; ren++)
			for (int dacl = A; dacl <= F; dacl++)
				for (int control = A; control <= F; control++) {
					cordon_probe_observations o = observations(del, ren, dacl, control);
					cordon_probe_verdict v = cordon_probe_decide(&o);
					cordon_probe_reading want = expected(del, ren, dacl, control);
					if (v.reading != want)
						fail_msg("delete %d rename %d dacl %d control %d: got %s, "
							 "want %s",
							 del, ren, dacl, control,
							 cordon_probe_reading_name(v.reading),
							 cordon_probe_reading_name(want));
					counts[v.reading]++;
					/* unknown always says why; a failure is never cached */
					if (v.reading == CORDON_PROBE_UNKNOWN)
						assert_true(v.reason[0] != '\0');
					bool failed = del == F || ren == F || dacl == F || control == F;
					assert_int_equal(v.cacheable, !failed);
				}
	assert_int_equal(counts[CORDON_PROBE_RECHECKED], 1);
	assert_int_equal(counts[CORDON_PROBE_NOT_RECHECKED], 3);
	assert_int_equal(counts[CORDON_PROBE_UNKNOWN], 81 - 4);
}

static void reasons_say_what_happened(void **state)
{
	(void)state;
	char text[256];
	cordon_probe_observations o = observations(A, A, A, A);
	cordon_probe_verdict v = cordon_probe_decide(&o);
	cordon_probe_verdict_text(&v, text, sizeof(text));
	/* Wine's answer: everything allowed, the DACL rewrite named */
	assert_string_equal(text, "unknown (the DACL rewrite was allowed: this host does not enforce "
				  "write-restricted tokens (as under Wine))");

	o = observations(D, F, D, A);
	v = cordon_probe_decide(&o);
	assert_non_null(strstr(v.reason, "rename attempt ended with Windows error 1002"));

	o = observations(D, D, D, D);
	v = cordon_probe_decide(&o);
	assert_non_null(strstr(v.reason, "control write"));

	o = observations(D, D, D, A);
	v = cordon_probe_decide(&o);
	cordon_probe_verdict_text(&v, text, sizeof(text));
	assert_string_equal(text, "re-checked");

	o = observations(A, A, D, A);
	v = cordon_probe_decide(&o);
	cordon_probe_verdict_text(&v, text, sizeof(text));
	assert_string_equal(text, "not re-checked");

	o = observations(A, D, D, A);
	v = cordon_probe_decide(&o);
	cordon_probe_verdict_text(&v, text, sizeof(text));
	assert_string_equal(text, "not re-checked (delete allowed, rename denied)");
	o = observations(D, A, D, A);
	v = cordon_probe_decide(&o);
	cordon_probe_verdict_text(&v, text, sizeof(text));
	assert_string_equal(text, "not re-checked (rename allowed, delete denied)");
}

static void cache_round_trip_per_build(void **state)
{
	(void)state;
	const int cases[][4] = {{D, D, D, A}, {A, A, D, A}, {A, D, D, A}, {A, A, A, A}, {D, D, D, D}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cordon_probe_observations o =
			observations(cases[i][0], cases[i][1], cases[i][2], cases[i][3]);
		cordon_probe_verdict v = cordon_probe_decide(&o), back;
		char text[512];
		cordon_probe_cache_format(19045, &v, text, sizeof(text));
		memset(&back, 0x5a, sizeof(back));
		assert_true(cordon_probe_cache_parse(text, strlen(text), 19045, &back));
		assert_int_equal(back.reading, v.reading);
		assert_string_equal(back.reason, v.reason);
		/* another build's cache is ignored */
		assert_false(cordon_probe_cache_parse(text, strlen(text), 22631, &back));
		assert_false(cordon_probe_cache_parse(text, strlen(text), 1904, &back));
		/* every truncation is refused */
		for (size_t n = 0; n < strlen(text); n++)
			assert_false(cordon_probe_cache_parse(text, n, 19045, &back));
	}
}

static void malformed_caches_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"cordon delete-child probe 2\nbuild 1\nreading re-checked\nreason \n",
		"cordon delete-child probe 1\nbuild x1\nreading re-checked\nreason \n",
		"cordon delete-child probe 1\nbuild 1x\nreading re-checked\nreason \n",
		"cordon delete-child probe 1\nbuild -1\nreading re-checked\nreason \n",
		"cordon delete-child probe 1\nbuild 1\nreading maybe\nreason \n",
		"cordon delete-child probe 1\nbuild 1\nreading not re-checked\nreason \n",
		"cordon delete-child probe 1\nbuild 1\nreading unknown\nreason \n",
		"cordon delete-child probe 1\nbuild 1\nreading re-checked\nreason \nextra\n",
		"cordon delete-child probe 1\nbuild 1\nreason x\nreading re-checked\n",
	};
	cordon_probe_verdict v;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cordon_probe_cache_parse(bad[i], strlen(bad[i]), 1, &v))
			fail_msg("accepted: %s", bad[i]);
	const char good[] = "cordon delete-child probe 1\nbuild 1\nreading re-checked\nreason \n";
	assert_true(cordon_probe_cache_parse(good, strlen(good), 1, &v));
	assert_int_equal(v.reading, CORDON_PROBE_RECHECKED);
}

static void reason_newlines_stay_on_one_line(void **state)
{
	(void)state;
	cordon_probe_verdict v = {.reading = CORDON_PROBE_UNKNOWN, .cacheable = true}, back;
	char text[512];
	snprintf(v.reason, sizeof(v.reason), "two\nlines\r");
	cordon_probe_cache_format(7, &v, text, sizeof(text));
	assert_true(cordon_probe_cache_parse(text, strlen(text), 7, &back));
	assert_string_equal(back.reason, "two lines ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_combination),
		cmocka_unit_test(reasons_say_what_happened),
		cmocka_unit_test(cache_round_trip_per_build),
		cmocka_unit_test(malformed_caches_are_refused),
		cmocka_unit_test(reason_newlines_stay_on_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
