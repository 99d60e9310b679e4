/* The junction stand-in's pure parts (src/windows/plan/cwd_junction.c):
 * its name and place, the target it stores, the folder's DACL, and the
 * check that nobody but the user, SYSTEM and Administrators can change a
 * junction. Creating one is Windows-host only (Wine: error 50). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "windows/plan/cwd_junction.h"

static cordon_sid sid_of(const char *text)
{
	cordon_sid sid;

	assert_true(cordon_sid_parse(text, &sid));
	return sid;
}

static void test_name_is_stable_and_case_folded(void **state)
{
	char a[CORDON_JUNCTION_NAME_CHARS + 1], b[CORDON_JUNCTION_NAME_CHARS + 1],
		c[CORDON_JUNCTION_NAME_CHARS + 1];

	(void)state;
	assert_true(cordon_junction_name("C:\\Users\\alice\\src\\proj", a));
	assert_true(cordon_junction_name("c:\\USERS\\Alice\\SRC\\proj", b));
	assert_true(cordon_junction_name("C:\\Users\\alice\\src\\proj2", c));
	assert_int_equal(strlen(a), CORDON_JUNCTION_NAME_CHARS);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	for (size_t i = 0; i < CORDON_JUNCTION_NAME_CHARS; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_false(cordon_junction_name("", a));
	assert_false(cordon_junction_name(NULL, a));
}

static void test_path_under_program_data(void **state)
{
	char name[CORDON_JUNCTION_NAME_CHARS + 1];
	char *path, *dir, expected[128];

	(void)state;
	assert_true(cordon_junction_name("D:\\work", name));
	path = cordon_junction_path("C:\\ProgramData\\", "D:\\work");
	dir = cordon_junction_dir("C:\\ProgramData");
	snprintf(expected, sizeof(expected), "C:\\ProgramData\\cordon\\junctions\\%s", name);
	assert_string_equal(path, expected);
	assert_string_equal(dir, "C:\\ProgramData\\cordon\\junctions");
	free(path);
	free(dir);
	assert_null(cordon_junction_path("", "D:\\work"));
}

static void test_substitute_and_target_check(void **state)
{
	char *substitute = cordon_junction_substitute("C:\\Users\\alice\\proj");

	(void)state;
	assert_string_equal(substitute, "\\??\\C:\\Users\\alice\\proj");
	assert_true(cordon_junction_points_to(substitute, "C:\\Users\\alice\\proj"));
	assert_true(cordon_junction_points_to("\\??\\c:\\users\\ALICE\\proj\\", "C:\\Users\\alice\\proj"));
	/* Redirected elsewhere, a prefix, or not a mount-point spelling. */
	assert_false(cordon_junction_points_to("\\??\\C:\\Users\\alice\\.ssh", "C:\\Users\\alice\\proj"));
	assert_false(cordon_junction_points_to("\\??\\C:\\Users\\alice", "C:\\Users\\alice\\proj"));
	assert_false(cordon_junction_points_to("C:\\Users\\alice\\proj", "C:\\Users\\alice\\proj"));
	assert_false(cordon_junction_points_to(NULL, "C:\\Users\\alice\\proj"));
	free(substitute);
	/* A junction cannot reach a share or a device. */
	assert_null(cordon_junction_substitute("\\\\server\\share\\proj"));
	assert_null(cordon_junction_substitute("proj"));
}

static void test_folder_dacl_is_safe_and_minimal(void **state)
{
	cordon_sid user = sid_of("S-1-5-21-1-2-3-1001"), group = sid_of("S-1-5-21-1-2-3-1010");
	cordon_sid admins = cordon_sid_administrators();
	cordon_ace aces[CORDON_JUNCTION_DIR_ACES];

	(void)state;
	cordon_junction_dir_aces(&user, &group, aces);
	/* The user may add a junction; nobody but SYSTEM and Administrators
	 * may add files or delete other entries. */
	assert_true(aces[2].mask & CORDON_FILE_ADD_SUBDIRECTORY);
	assert_false(aces[2].mask & (CORDON_FILE_ADD_FILE | CORDON_FILE_DELETE_CHILD | CORDON_DELETE |
				     CORDON_WRITE_DAC | CORDON_WRITE_OWNER));
	assert_int_equal(aces[2].flags, 0);
	/* The sandbox group reads and goes through, never changes. */
	assert_true(cordon_sid_equal(&aces[4].sid, &group));
	assert_int_equal(aces[4].mask & CORDON_WRITE_RIGHTS, 0);
	assert_true(cordon_junction_dacl_safe(true, aces, CORDON_JUNCTION_DIR_ACES, &admins, &user, 1));
	/* Without the user trusted, the user's add-subfolder ACE is a change right. */
	assert_false(cordon_junction_dacl_safe(true, aces, CORDON_JUNCTION_DIR_ACES, &admins, NULL, 0));
}

static void test_unsafe_dacls_are_caught(void **state)
{
	cordon_sid user = sid_of("S-1-5-21-1-2-3-1001"), group = sid_of("S-1-5-21-1-2-3-1010");
	cordon_sid users = sid_of("S-1-5-32-545"), everyone = cordon_sid_everyone();
	cordon_sid creator = sid_of("S-1-3-0");
	cordon_ace junction[3];

	(void)state;
	/* A junction the user made: owner user, SYSTEM, Administrators, group read. */
	junction[0] = cordon_ace_make(CORDON_ACE_ALLOW, CORDON_ACE_INHERITED, CORDON_FILE_ALL_ACCESS, &user);
	junction[1] = cordon_ace_make(CORDON_ACE_ALLOW, CORDON_ACE_INHERITED,
				      CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_EXECUTE, &group);
	junction[2] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_GENERIC_READ, &users);
	assert_true(cordon_junction_dacl_safe(true, junction, 3, &user, NULL, 0));
	/* The sandbox group with delete, Users with write, Everyone with
	 * WRITE_DAC, a CREATOR OWNER ACE that applies to the object itself,
	 * a NULL DACL: each unsafe. */
	junction[1].mask |= CORDON_DELETE;
	assert_false(cordon_junction_dacl_safe(true, junction, 3, &user, NULL, 0));
	junction[1].mask &= ~CORDON_DELETE;
	junction[2].mask = CORDON_FILE_GENERIC_WRITE;
	assert_false(cordon_junction_dacl_safe(true, junction, 3, &user, NULL, 0));
	junction[2] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_WRITE_DAC, &everyone);
	assert_false(cordon_junction_dacl_safe(true, junction, 3, &user, NULL, 0));
	junction[2] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_ALL_ACCESS, &creator);
	assert_false(cordon_junction_dacl_safe(true, junction, 3, &user, NULL, 0));
	junction[2] =
		cordon_ace_make(CORDON_ACE_ALLOW, CORDON_ACE_INHERIT_ONLY | CORDON_ACE_CONTAINER_INHERIT,
				CORDON_FILE_ALL_ACCESS, &creator);
	assert_true(cordon_junction_dacl_safe(true, junction, 3, &user, NULL, 0));
	/* A deny naming anyone is never a change right. */
	junction[2] = cordon_ace_make(CORDON_ACE_DENY, 0, CORDON_FILE_ALL_ACCESS, &everyone);
	assert_true(cordon_junction_dacl_safe(true, junction, 3, &user, NULL, 0));
	assert_false(cordon_junction_dacl_safe(false, NULL, 0, &user, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_is_stable_and_case_folded),
		cmocka_unit_test(test_path_under_program_data),
		cmocka_unit_test(test_substitute_and_target_check),
		cmocka_unit_test(test_folder_dacl_is_safe_and_minimal),
		cmocka_unit_test(test_unsafe_dacls_are_caught),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
