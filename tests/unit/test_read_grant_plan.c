/* The read-grant plan (src/windows/plan/read_grant_plan.c) on a typical
 * profile: which entries get the group's read ACE and how, what stays
 * out (credential stores, the registry hive, links), split directories,
 * roots, the diff against what is granted, and uninstall. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/winpath.h"
#include "windows/plan/read_grant_plan.h"

#define PROFILE "C:\\Users\\alice"

/* A stand-in for the shared credential-store list. */
static const char *const excluded[] = {".ssh", ".aws", ".config/gh", ".docker/config.json",
				       "AppData/Roaming/Microsoft/Credentials"};

static const cordon_profile_entry entries[] = {
	{".ssh", true, false},
	{".aws", true, false},
	{".config", true, false},
	{".config/gh", true, false},
	{".config/git", true, false},
	{".docker", true, false},
	{".docker/config.json", false, false},
	{".docker/contexts", true, false},
	{".gitconfig", false, false},
	{"AppData", true, false},
	{"AppData/Local", true, false},
	{"AppData/Roaming", true, false},
	{"AppData/Roaming/Microsoft", true, false},
	{"AppData/Roaming/Microsoft/Credentials", true, false},
	{"AppData/Roaming/Microsoft/Windows", true, false},
	{"Application Data", true, true}, /* the legacy junction to AppData\Roaming */
	{"Documents", true, false},
	{"source", true, false},
	{"NTUSER.DAT", false, false},
	{"ntuser.dat.LOG1", false, false},
	{"ntuser.ini", false, false},
	{"AppData/Local/Temp/deep", true, false}, /* below a granted child: covered, ignored */
};

static const char *const roots[] = {"C:\\Users\\alice\\source\\proj", "D:\\work"};
static const char *const system_dirs[] = {"C:\\Windows", "C:\\Program Files"};

static void typical(cordon_read_grant_inputs *in)
{
	memset(in, 0, sizeof(*in));
	in->profile_dir = PROFILE;
	in->entries = entries;
	in->entry_count = sizeof(entries) / sizeof(entries[0]);
	in->excluded = excluded;
	in->excluded_count = sizeof(excluded) / sizeof(excluded[0]);
	in->roots = roots;
	in->root_count = 2;
	in->system_dirs = system_dirs;
	in->system_dir_count = 2;
}

static const cordon_read_grant *grant(const cordon_read_grant_plan *plan, const char *path)
{
	for (size_t i = 0; i < plan->grant_count; i++)
		if (strcmp(plan->grants[i].path, path) == 0)
			return &plan->grants[i];
	return NULL;
}

static bool excluded_found(const cordon_read_grant_plan *plan, const char *path)
{
	for (size_t i = 0; i < plan->excluded_found_count; i++)
		if (strcmp(plan->excluded_found[i], path) == 0)
			return true;
	return false;
}

static void assert_grant(const cordon_read_grant_plan *plan, const char *path, cordon_read_grant_kind kind)
{
	const cordon_read_grant *g = grant(plan, path);

	if (!g)
		fail_msg("no grant on %s", path);
	assert_int_equal(g->kind, kind);
}

static void test_typical_profile(void **state)
{
	cordon_read_grant_inputs in;
	cordon_read_grant_plan plan;
	cordon_error err = {0};

	(void)state;
	typical(&in);
	assert_int_equal(cordon_read_grant_plan_build(&in, NULL, 0, &plan, &err), CORDON_OK);

	assert_grant(&plan, PROFILE, CORDON_READ_GRANT_LIST);
	/* .config holds an excluded entry: split, its other children granted. */
	assert_grant(&plan, PROFILE "\\.config", CORDON_READ_GRANT_LIST);
	assert_grant(&plan, PROFILE "\\.config\\git", CORDON_READ_GRANT_TREE);
	assert_null(grant(&plan, PROFILE "\\.config\\gh"));
	assert_grant(&plan, PROFILE "\\.docker", CORDON_READ_GRANT_LIST);
	assert_grant(&plan, PROFILE "\\.docker\\contexts", CORDON_READ_GRANT_TREE);
	assert_null(grant(&plan, PROFILE "\\.docker\\config.json"));
	/* Two levels of splitting for AppData\Roaming\Microsoft\Credentials. */
	assert_grant(&plan, PROFILE "\\AppData", CORDON_READ_GRANT_LIST);
	assert_grant(&plan, PROFILE "\\AppData\\Local", CORDON_READ_GRANT_TREE);
	assert_grant(&plan, PROFILE "\\AppData\\Roaming", CORDON_READ_GRANT_LIST);
	assert_grant(&plan, PROFILE "\\AppData\\Roaming\\Microsoft", CORDON_READ_GRANT_LIST);
	assert_grant(&plan, PROFILE "\\AppData\\Roaming\\Microsoft\\Windows", CORDON_READ_GRANT_TREE);
	assert_null(grant(&plan, PROFILE "\\AppData\\Roaming\\Microsoft\\Credentials"));
	/* Below a tree grant: covered by inheritance, no ACE of its own. */
	assert_null(grant(&plan, PROFILE "\\AppData\\Local\\Temp\\deep"));
	assert_grant(&plan, PROFILE "\\.gitconfig", CORDON_READ_GRANT_TREE);
	assert_false(grant(&plan, PROFILE "\\.gitconfig")->is_directory);
	assert_grant(&plan, PROFILE "\\Documents", CORDON_READ_GRANT_TREE);
	assert_grant(&plan, PROFILE "\\source", CORDON_READ_GRANT_TREE);
	/* Credential stores, the registry hive, the junction: nothing. */
	assert_null(grant(&plan, PROFILE "\\.ssh"));
	assert_null(grant(&plan, PROFILE "\\.aws"));
	assert_null(grant(&plan, PROFILE "\\NTUSER.DAT"));
	assert_null(grant(&plan, PROFILE "\\ntuser.dat.LOG1"));
	assert_null(grant(&plan, PROFILE "\\ntuser.ini"));
	assert_null(grant(&plan, PROFILE "\\Application Data"));
	assert_true(excluded_found(&plan, PROFILE "\\.ssh"));
	assert_true(excluded_found(&plan, PROFILE "\\.config\\gh"));
	assert_true(excluded_found(&plan, PROFILE "\\NTUSER.DAT"));
	assert_int_equal(plan.excluded_found_count, 8);
	assert_int_equal(plan.links_skipped, 1);
	/* The root under ~\source is covered; D:\work gets its own grant. */
	assert_int_equal(plan.roots_covered, 1);
	assert_null(grant(&plan, "C:\\Users\\alice\\source\\proj"));
	assert_grant(&plan, "D:\\work", CORDON_READ_GRANT_TREE);
	assert_int_equal(grant(&plan, "D:\\work")->source, CORDON_READ_GRANT_ROOT);
	/* System directories: listed, no ACE. */
	assert_int_equal(plan.system_dir_count, 2);
	assert_string_equal(plan.system_dirs[0], "C:\\Windows");
	assert_null(grant(&plan, "C:\\Windows"));

	assert_int_equal(plan.grant_count, 14);
	assert_int_equal(plan.step_count, plan.grant_count);
	for (size_t i = 0; i < plan.step_count; i++)
		assert_false(plan.steps[i].remove);
	/* A stable order, whatever order the listing came in. */
	for (size_t i = 1; i < plan.grant_count; i++)
		assert_true(winpath_compare(plan.grants[i - 1].path, plan.grants[i].path) < 0);
	cordon_read_grant_plan_free(&plan);
}

static void to_state(const cordon_read_grant_plan *plan, cordon_read_grant_state *out)
{
	for (size_t i = 0; i < plan->grant_count; i++) {
		out[i].path = plan->grants[i].path;
		out[i].kind = plan->grants[i].kind;
		out[i].is_directory = plan->grants[i].is_directory;
	}
}

static void test_applied_then_empty_and_changes(void **state)
{
	cordon_read_grant_inputs in;
	cordon_read_grant_plan plan, again;
	cordon_read_grant_state now[32];
	cordon_error err = {0};
	const char *const more_excluded[] = {".ssh",
					     ".aws",
					     ".config/gh",
					     ".docker/config.json",
					     "AppData/Roaming/Microsoft/Credentials",
					     ".gitconfig"};
	const char *const more_roots[] = {"C:\\Users\\alice\\source\\proj", "D:\\work", "E:\\new"};

	(void)state;
	typical(&in);
	assert_int_equal(cordon_read_grant_plan_build(&in, NULL, 0, &plan, &err), CORDON_OK);
	to_state(&plan, now);

	assert_int_equal(cordon_read_grant_plan_build(&in, now, plan.grant_count, &again, &err), CORDON_OK);
	assert_int_equal(again.step_count, 0);
	cordon_read_grant_plan_free(&again);

	/* Someone reset one DACL: exactly that grant comes back. */
	now[3] = now[plan.grant_count - 1];
	assert_int_equal(cordon_read_grant_plan_build(&in, now, plan.grant_count - 1, &again, &err),
			 CORDON_OK);
	assert_int_equal(again.step_count, 1);
	assert_false(again.steps[0].remove);
	assert_string_equal(again.steps[0].grant.path, plan.grants[3].path);
	cordon_read_grant_plan_free(&again);
	to_state(&plan, now);

	/* A new root: one grant for it, nothing else. */
	in.roots = more_roots;
	in.root_count = 3;
	assert_int_equal(cordon_read_grant_plan_build(&in, now, plan.grant_count, &again, &err), CORDON_OK);
	assert_int_equal(again.step_count, 1);
	assert_string_equal(again.steps[0].grant.path, "E:\\new");
	assert_int_equal(again.steps[0].grant.source, CORDON_READ_GRANT_ROOT);
	cordon_read_grant_plan_free(&again);
	in.roots = roots;
	in.root_count = 2;

	/* A store newly on the list: its grant is removed. */
	in.excluded = more_excluded;
	in.excluded_count = sizeof(more_excluded) / sizeof(more_excluded[0]);
	assert_int_equal(cordon_read_grant_plan_build(&in, now, plan.grant_count, &again, &err), CORDON_OK);
	assert_int_equal(again.step_count, 1);
	assert_true(again.steps[0].remove);
	assert_string_equal(again.steps[0].grant.path, PROFILE "\\.gitconfig");
	cordon_read_grant_plan_free(&again);
	cordon_read_grant_plan_free(&plan);
}

static void test_a_granted_child_becomes_split(void **state)
{
	const cordon_profile_entry listing[] = {
		{".config", true, false}, {".config/gh", true, false}, {".config/git", true, false}};
	const char *const before[] = {".ssh"};
	const char *const after[] = {".ssh", ".config/gh"};
	cordon_read_grant_inputs in;
	cordon_read_grant_plan plan, again;
	cordon_read_grant_state now[8];
	cordon_error err = {0};

	(void)state;
	memset(&in, 0, sizeof(in));
	in.profile_dir = PROFILE;
	in.entries = listing;
	in.entry_count = 1; /* .config not split yet: only the profile's children are listed */
	in.excluded = before;
	in.excluded_count = 1;
	assert_int_equal(cordon_read_grant_plan_build(&in, NULL, 0, &plan, &err), CORDON_OK);
	assert_grant(&plan, PROFILE "\\.config", CORDON_READ_GRANT_TREE);
	to_state(&plan, now);

	in.entry_count = 3;
	in.excluded = after;
	in.excluded_count = 2;
	assert_int_equal(cordon_read_grant_plan_build(&in, now, plan.grant_count, &again, &err), CORDON_OK);
	/* The inherited grant comes off .config, a list grant goes on, and
	 * .config\git gets its own; .config\gh nothing. */
	assert_int_equal(again.step_count, 3);
	assert_true(again.steps[0].remove);
	assert_string_equal(again.steps[0].grant.path, PROFILE "\\.config");
	assert_int_equal(again.steps[0].grant.kind, CORDON_READ_GRANT_TREE);
	assert_false(again.steps[1].remove);
	assert_string_equal(again.steps[1].grant.path, PROFILE "\\.config");
	assert_int_equal(again.steps[1].grant.kind, CORDON_READ_GRANT_LIST);
	assert_string_equal(again.steps[2].grant.path, PROFILE "\\.config\\git");
	cordon_read_grant_plan_free(&again);
	cordon_read_grant_plan_free(&plan);
}

static void test_split_dirs(void **state)
{
	char **dirs;
	size_t count;
	cordon_error err = {0};

	(void)state;
	assert_int_equal(cordon_read_grant_split_dirs(PROFILE, excluded,
						      sizeof(excluded) / sizeof(excluded[0]), &dirs, &count,
						      &err),
			 CORDON_OK);
	assert_int_equal(count, 5);
	assert_string_equal(dirs[0], PROFILE "\\.config");
	assert_string_equal(dirs[1], PROFILE "\\.docker");
	assert_string_equal(dirs[2], PROFILE "\\AppData\\Roaming\\Microsoft");
	assert_string_equal(dirs[3], PROFILE "\\AppData\\Roaming");
	assert_string_equal(dirs[4], PROFILE "\\AppData");
	for (size_t i = 0; i < count; i++)
		free(dirs[i]);
	free(dirs);
}

static void test_case_insensitive_match(void **state)
{
	const cordon_profile_entry listing[] = {{".SSH", true, false}, {"appdata", true, false}};
	const char *const stores[] = {".ssh", "AppData/Roaming/GitHub CLI"};
	cordon_read_grant_inputs in;
	cordon_read_grant_plan plan;
	cordon_error err = {0};

	(void)state;
	memset(&in, 0, sizeof(in));
	in.profile_dir = PROFILE;
	in.entries = listing;
	in.entry_count = 2;
	in.excluded = stores;
	in.excluded_count = 2;
	assert_int_equal(cordon_read_grant_plan_build(&in, NULL, 0, &plan, &err), CORDON_OK);
	assert_null(grant(&plan, PROFILE "\\.SSH"));
	assert_grant(&plan, PROFILE "\\appdata", CORDON_READ_GRANT_LIST);
	cordon_read_grant_plan_free(&plan);
}

static void test_aces_and_acl_changes(void **state)
{
	cordon_sid group;
	cordon_read_grant tree = {(char *)"C:\\Users\\alice\\Documents", CORDON_READ_GRANT_TREE, true,
				  CORDON_READ_GRANT_PROFILE};
	cordon_read_grant file = {(char *)"C:\\Users\\alice\\.gitconfig", CORDON_READ_GRANT_TREE, false,
				  CORDON_READ_GRANT_PROFILE};
	cordon_read_grant list = {(char *)"C:\\Users\\alice", CORDON_READ_GRANT_LIST, true,
				  CORDON_READ_GRANT_PROFILE};
	cordon_read_grant_step step = {false, tree};
	cordon_acl_change change;
	cordon_ace *dacl, *again;
	size_t count, again_count;
	cordon_ace ace;

	(void)state;
	assert_true(cordon_sid_parse("S-1-5-21-1-2-3-1000", &group));
	ace = cordon_read_grant_ace(&tree, &group);
	assert_int_equal(ace.type, CORDON_ACE_ALLOW);
	assert_int_equal(ace.flags, CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT);
	assert_int_equal(ace.mask, CORDON_READ_GRANT_RIGHTS);
	/* Read and execute, nothing that writes. */
	assert_int_equal(ace.mask & CORDON_WRITE_RIGHTS, 0);
	assert_true(cordon_sid_equal(&ace.sid, &group));
	assert_int_equal(cordon_read_grant_ace(&file, &group).flags, 0);
	assert_int_equal(cordon_read_grant_ace(&list, &group).flags, 0);

	assert_true(cordon_read_grant_change(&step, &group, &change));
	assert_int_equal(change.reason, CORDON_ACL_SANDBOX_READ_GRANT);
	assert_string_equal(cordon_acl_reason_name(change.reason), "sandbox-read-grant");
	assert_true(cordon_dacl_apply_change(NULL, 0, &change, &dacl, &count));
	assert_int_equal(count, 1);
	assert_true(cordon_ace_equal(&dacl[0], &ace));
	/* Applying it twice adds nothing. */
	assert_true(cordon_dacl_apply_change(dacl, count, &change, &again, &again_count));
	assert_int_equal(again_count, 1);
	free(again);
	free(change.path);
	step.remove = true;
	assert_true(cordon_read_grant_change(&step, &group, &change));
	assert_true(cordon_dacl_apply_change(dacl, count, &change, &again, &again_count));
	assert_int_equal(again_count, 0);
	free(again);
	free(change.path);
	free(dacl);
}

static void test_uninstall_removes_exactly_the_record(void **state)
{
	const cordon_read_grant_state recorded[] = {
		{PROFILE, CORDON_READ_GRANT_LIST, true},
		{PROFILE "\\Documents", CORDON_READ_GRANT_TREE, true},
		{"D:\\work", CORDON_READ_GRANT_TREE, true},
	};
	cordon_read_grant_plan plan;
	cordon_error err = {0};

	(void)state;
	assert_int_equal(cordon_read_grant_plan_uninstall(recorded, 3, &plan, &err), CORDON_OK);
	assert_int_equal(plan.step_count, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_true(plan.steps[i].remove);
		assert_string_equal(plan.steps[i].grant.path, recorded[i].path);
		assert_int_equal(plan.steps[i].grant.kind, recorded[i].kind);
	}
	cordon_read_grant_plan_free(&plan);
}

static void test_bad_profile(void **state)
{
	cordon_read_grant_inputs in;
	cordon_read_grant_plan plan;
	cordon_error err = {0};

	(void)state;
	typical(&in);
	in.profile_dir = "Users\\alice";
	assert_int_equal(cordon_read_grant_plan_build(&in, NULL, 0, &plan, &err), CORDON_E_INVALID);
	assert_non_null(strstr(err.message, "not a drive path"));
	in.profile_dir = "\\\\server\\share\\alice";
	assert_int_equal(cordon_read_grant_plan_build(&in, NULL, 0, &plan, &err), CORDON_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typical_profile),
		cmocka_unit_test(test_applied_then_empty_and_changes),
		cmocka_unit_test(test_a_granted_child_becomes_split),
		cmocka_unit_test(test_split_dirs),
		cmocka_unit_test(test_case_insensitive_match),
		cmocka_unit_test(test_aces_and_acl_changes),
		cmocka_unit_test(test_uninstall_removes_exactly_the_record),
		cmocka_unit_test(test_bad_profile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
