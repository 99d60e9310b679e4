/* The read-grant helper's progress (src/windows/plan/grant_progress.c):
 * the file round trip, what is left after a partial run (resume), a plan
 * that changed since, a corrupt file (a clean error and an empty
 * progress, never a crash), and whether a working directory is ready. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "windows/plan/grant_progress.h"

#define PROFILE "C:\\Users\\alice"

/* The shape setup's record gives: the profile and a split directory
 * listed, profile children and a root granted as trees, in the plan's
 * (sorted) order, not the order the helper applies them in. */
static const cordon_read_grant_state wanted[] = {
	{PROFILE, CORDON_READ_GRANT_LIST, true},
	{PROFILE "\\.config", CORDON_READ_GRANT_LIST, true},
	{PROFILE "\\.config\\git", CORDON_READ_GRANT_TREE, true},
	{PROFILE "\\Documents", CORDON_READ_GRANT_TREE, true},
	{PROFILE "\\source", CORDON_READ_GRANT_TREE, true},
	{"D:\\work", CORDON_READ_GRANT_TREE, true},
};
#define WANTED_COUNT (sizeof(wanted) / sizeof(wanted[0]))
static const char *const roots[] = {PROFILE "\\source\\proj", "D:\\work"};

static void build(const cordon_grant_progress *progress, cordon_grant_work *work)
{
	cordon_error err = {0};

	assert_int_equal(cordon_grant_work_build(wanted, WANTED_COUNT, roots, 2, progress, work, &err),
			 CORDON_OK);
}

/* Applies the first k steps of work to progress, as the helper does. */
static void apply_steps(cordon_grant_progress *progress, const cordon_grant_work *work, size_t k)
{
	for (size_t i = 0; i < k && i < work->step_count; i++)
		assert_true(cordon_grant_progress_mark(progress, &work->steps[i], true, NULL));
}

static void test_fresh_order_roots_then_lists_then_profile(void **state)
{
	cordon_grant_work work;

	(void)state;
	build(NULL, &work);
	assert_int_equal(work.step_count, 6);
	assert_int_equal(work.wanted_count, 6);
	assert_int_equal(work.wanted_done, 0);
	/* What makes the roots readable first (source holds the root
	 * source\proj; D:\work is one), in the record's order; then the
	 * list grants; then the other profile trees. */
	assert_string_equal(work.steps[0].grant.path, PROFILE "\\source");
	assert_int_equal(work.steps[0].grant.source, CORDON_READ_GRANT_ROOT);
	assert_string_equal(work.steps[1].grant.path, "D:\\work");
	assert_int_equal(work.steps[1].grant.source, CORDON_READ_GRANT_ROOT);
	assert_string_equal(work.steps[2].grant.path, PROFILE);
	assert_int_equal(work.steps[2].grant.kind, CORDON_READ_GRANT_LIST);
	assert_string_equal(work.steps[3].grant.path, PROFILE "\\.config");
	assert_string_equal(work.steps[4].grant.path, PROFILE "\\.config\\git");
	assert_int_equal(work.steps[4].grant.source, CORDON_READ_GRANT_PROFILE);
	assert_string_equal(work.steps[5].grant.path, PROFILE "\\Documents");
	for (size_t i = 0; i < work.step_count; i++)
		assert_false(work.steps[i].remove);
	cordon_grant_work_free(&work);
}

static void test_round_trip(void **state)
{
	cordon_grant_progress progress, back;
	cordon_grant_work work;
	cordon_read_grant_step failing = {
		.grant = {.path = "C:\\Users\\alice\\Documents", .is_directory = true}};
	cordon_error err = {0};
	char *text, *again;

	(void)state;
	cordon_grant_progress_init(&progress);
	build(&progress, &work);
	apply_steps(&progress, &work, 3);
	assert_true(
		cordon_grant_progress_mark(&progress, &failing, false, "cannot open it: Windows error 5"));
	memset(progress.finished_fingerprint, 'a', 64);
	progress.descriptors_written = 3;
	text = cordon_grant_progress_render(&progress);
	assert_non_null(text);
	assert_int_equal(cordon_grant_progress_parse(text, strlen(text), &back, &err), CORDON_OK);
	assert_int_equal(back.done_count, 3);
	assert_int_equal(back.failed_count, 1);
	assert_int_equal(back.descriptors_written, 3);
	assert_string_equal(back.done[1].path, "D:\\work");
	assert_string_equal(back.done[2].path, PROFILE);
	assert_string_equal(back.failed[0].error, "cannot open it: Windows error 5");
	assert_memory_equal(back.finished_fingerprint, progress.finished_fingerprint, 65);
	again = cordon_grant_progress_render(&back);
	assert_string_equal(text, again);
	free(text);
	free(again);
	cordon_grant_progress_free(&back);
	cordon_grant_progress_free(&progress);
	cordon_grant_work_free(&work);
}

static void test_resume_applies_each_step_once(void **state)
{
	cordon_grant_progress progress, reread;
	cordon_grant_work first, second, third;
	cordon_error err = {0};
	char *text;
	size_t applied = 0;

	(void)state;
	cordon_grant_progress_init(&progress);
	build(&progress, &first);
	/* Stopped (killed) after 4 steps: the file holds those 4. */
	apply_steps(&progress, &first, 4);
	applied += 4;
	text = cordon_grant_progress_render(&progress);
	assert_int_equal(cordon_grant_progress_parse(text, strlen(text), &reread, &err), CORDON_OK);
	free(text);
	build(&reread, &second);
	assert_int_equal(second.wanted_done, 4);
	assert_int_equal(second.step_count, 2);
	for (size_t i = 0; i < second.step_count; i++)
		for (size_t j = 0; j < 4; j++)
			assert_string_not_equal(second.steps[i].grant.path, first.steps[j].grant.path);
	apply_steps(&reread, &second, second.step_count);
	applied += second.step_count;
	assert_int_equal(applied, WANTED_COUNT);
	build(&reread, &third);
	assert_int_equal(third.step_count, 0);
	assert_int_equal(third.wanted_done, WANTED_COUNT);
	cordon_grant_work_free(&first);
	cordon_grant_work_free(&second);
	cordon_grant_work_free(&third);
	cordon_grant_progress_free(&progress);
	cordon_grant_progress_free(&reread);
}

static void test_changed_plan_keeps_what_is_still_wanted(void **state)
{
	cordon_grant_progress progress;
	cordon_grant_work work, changed;
	cordon_error err = {0};
	/* Setup ran again: a new root E:\new, and .config\git is now a
	 * credential store (its grant must go); "Documents" spelled in
	 * another case stays the same grant. */
	const cordon_read_grant_state later[] = {
		{PROFILE, CORDON_READ_GRANT_LIST, true},
		{PROFILE "\\.config", CORDON_READ_GRANT_LIST, true},
		{PROFILE "\\DOCUMENTS", CORDON_READ_GRANT_TREE, true},
		{PROFILE "\\source", CORDON_READ_GRANT_TREE, true},
		{"D:\\work", CORDON_READ_GRANT_TREE, true},
		{"E:\\new", CORDON_READ_GRANT_TREE, true},
	};
	const char *const later_roots[] = {PROFILE "\\source\\proj", "D:\\work", "E:\\new"};

	(void)state;
	cordon_grant_progress_init(&progress);
	build(&progress, &work);
	apply_steps(&progress, &work, work.step_count);
	assert_int_equal(cordon_grant_work_build(later, 6, later_roots, 3, &progress, &changed, &err),
			 CORDON_OK);
	assert_int_equal(changed.step_count, 2);
	assert_true(changed.steps[0].remove);
	assert_string_equal(changed.steps[0].grant.path, PROFILE "\\.config\\git");
	assert_false(changed.steps[1].remove);
	assert_string_equal(changed.steps[1].grant.path, "E:\\new");
	assert_int_equal(changed.wanted_done, 5);
	apply_steps(&progress, &changed, changed.step_count);
	assert_int_equal(progress.done_count, 6);
	cordon_grant_work_free(&work);
	cordon_grant_work_free(&changed);
	cordon_grant_progress_free(&progress);
}

static void test_kind_change_is_a_removal_and_an_addition(void **state)
{
	cordon_grant_progress progress;
	cordon_grant_work work, changed;
	cordon_error err = {0};
	/* .config was a tree; it became split: list now. */
	const cordon_read_grant_state before[] = {{PROFILE "\\.config", CORDON_READ_GRANT_TREE, true}};
	const cordon_read_grant_state after[] = {{PROFILE "\\.config", CORDON_READ_GRANT_LIST, true}};

	(void)state;
	cordon_grant_progress_init(&progress);
	assert_int_equal(cordon_grant_work_build(before, 1, NULL, 0, &progress, &work, &err), CORDON_OK);
	apply_steps(&progress, &work, 1);
	assert_int_equal(cordon_grant_work_build(after, 1, NULL, 0, &progress, &changed, &err), CORDON_OK);
	assert_int_equal(changed.step_count, 2);
	assert_true(changed.steps[0].remove);
	assert_int_equal(changed.steps[0].grant.kind, CORDON_READ_GRANT_TREE);
	assert_false(changed.steps[1].remove);
	assert_int_equal(changed.steps[1].grant.kind, CORDON_READ_GRANT_LIST);
	cordon_grant_work_free(&work);
	cordon_grant_work_free(&changed);
	cordon_grant_progress_free(&progress);
}

static void test_corrupt_files_are_clean_errors(void **state)
{
	static const char *const corrupt[] = {
		"",
		"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", /* the zero-filled file a crash can leave */
		"{",
		"[]",
		"{\"version\":1}",
		"{\"version\":2,\"finished_fingerprint\":\"\",\"descriptors_written\":0,\"done\":[],"
		"\"failed\":[]}",
		"{\"version\":1,\"finished_fingerprint\":\"abc\",\"descriptors_written\":0,\"done\":[],"
		"\"failed\":[]}",
		"{\"version\":1,\"finished_fingerprint\":\"\",\"descriptors_written\":-1,\"done\":[],"
		"\"failed\":[]}",
		"{\"version\":1,\"finished_fingerprint\":\"\",\"descriptors_written\":0,\"done\":[{\"path\":"
		"\"C:\\\\x\","
		"\"kind\":\"all\",\"directory\":true}],\"failed\":[]}",
		"{\"version\":1,\"finished_fingerprint\":\"\",\"descriptors_written\":0,\"done\":[{\"path\":"
		"\"C:\\\\x\","
		"\"kind\":\"tree\",\"directory\":true},7],\"failed\":[]}",
		"{\"version\":1,\"finished_fingerprint\":\"\",\"descriptors_written\":0,\"done\":[],"
		"\"failed\":[{\"path\":"
		"\"C:\\\\x\",\"kind\":\"tree\",\"directory\":true}]}",
	};
	const size_t lengths[] = {0, 22};

	(void)state;
	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		cordon_grant_progress progress;
		cordon_error err = {0};
		size_t length = i < 2 ? lengths[i] : strlen(corrupt[i]);

		assert_int_equal(cordon_grant_progress_parse(corrupt[i], length, &progress, &err),
				 CORDON_E_INVALID);
		assert_non_null(strstr(err.message, "starts again from the beginning"));
		assert_null(strchr(err.message, '\n'));
		assert_int_equal(progress.done_count, 0);
		assert_null(progress.done);
		cordon_grant_progress_free(&progress);
	}
}

static void test_failure_is_recorded_then_cleared(void **state)
{
	cordon_grant_progress progress;
	cordon_grant_work work;
	cordon_grant_coverage coverage;

	(void)state;
	cordon_grant_progress_init(&progress);
	build(&progress, &work);
	apply_steps(&progress, &work, 1);
	/* D:\work (step 1) fails: the runner is told why. */
	assert_true(cordon_grant_progress_mark(&progress, &work.steps[1], false,
					       "cannot open D:\\work: Windows error 32"));
	coverage = cordon_grant_coverage_of(wanted, WANTED_COUNT, &progress, "D:\\work\\sub");
	assert_int_equal(coverage.readiness, CORDON_GRANT_FAILED);
	assert_string_equal(coverage.failure, "cannot open D:\\work: Windows error 32");
	assert_true(cordon_grant_progress_mark(&progress, &work.steps[1], true, NULL));
	assert_int_equal(progress.failed_count, 0);
	coverage = cordon_grant_coverage_of(wanted, WANTED_COUNT, &progress, "D:\\work\\sub");
	assert_int_equal(coverage.readiness, CORDON_GRANT_READY);
	cordon_grant_work_free(&work);
	cordon_grant_progress_free(&progress);
}

static void test_coverage_of_a_working_directory(void **state)
{
	cordon_grant_progress progress;
	cordon_grant_work work;
	cordon_grant_coverage coverage;
	const char *proj = PROFILE "\\source\\proj";

	(void)state;
	cordon_grant_progress_init(&progress);
	coverage = cordon_grant_coverage_of(wanted, WANTED_COUNT, &progress, proj);
	assert_int_equal(coverage.readiness, CORDON_GRANT_PENDING);
	assert_string_equal(coverage.grant_path, PROFILE "\\source");
	assert_int_equal(coverage.done, 0);
	assert_int_equal(coverage.total, WANTED_COUNT);
	/* Only the source tree done (say, a run of an older helper): the
	 * profile above it cannot be listed yet. */
	{
		cordon_read_grant_step source = {.grant = {.path = PROFILE "\\source",
							   .kind = CORDON_READ_GRANT_TREE,
							   .is_directory = true}};

		assert_true(cordon_grant_progress_mark(&progress, &source, true, NULL));
	}
	coverage = cordon_grant_coverage_of(wanted, WANTED_COUNT, &progress, proj);
	assert_int_equal(coverage.readiness, CORDON_GRANT_ANCESTORS_PENDING);
	build(&progress, &work);
	apply_steps(&progress, &work, work.step_count);
	coverage =
		cordon_grant_coverage_of(wanted, WANTED_COUNT, &progress, "c:\\users\\ALICE\\Source\\proj");
	assert_int_equal(coverage.readiness, CORDON_GRANT_READY);
	assert_int_equal(coverage.done, WANTED_COUNT);
	/* Not below any tree grant: the profile itself (list only), .config
	 * (split), elsewhere. */
	assert_int_equal(cordon_grant_coverage_of(wanted, WANTED_COUNT, &progress, PROFILE).readiness,
			 CORDON_GRANT_NOT_PLANNED);
	assert_int_equal(
		cordon_grant_coverage_of(wanted, WANTED_COUNT, &progress, PROFILE "\\.config").readiness,
		CORDON_GRANT_NOT_PLANNED);
	assert_int_equal(cordon_grant_coverage_of(wanted, WANTED_COUNT, &progress, "E:\\elsewhere").readiness,
			 CORDON_GRANT_NOT_PLANNED);
	/* D:\workshop is not inside D:\work. */
	assert_int_equal(cordon_grant_coverage_of(wanted, WANTED_COUNT, &progress, "D:\\workshop").readiness,
			 CORDON_GRANT_NOT_PLANNED);
	assert_string_equal(cordon_grant_readiness_name(CORDON_GRANT_ANCESTORS_PENDING), "ancestors-pending");
	cordon_grant_work_free(&work);
	cordon_grant_progress_free(&progress);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_order_roots_then_lists_then_profile),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_resume_applies_each_step_once),
		cmocka_unit_test(test_changed_plan_keeps_what_is_still_wanted),
		cmocka_unit_test(test_kind_change_is_a_removal_and_an_addition),
		cmocka_unit_test(test_corrupt_files_are_clean_errors),
		cmocka_unit_test(test_failure_is_recorded_then_cleared),
		cmocka_unit_test(test_coverage_of_a_working_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
