/* The string set behind cordon's per-mount lookups. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "core/strset.h"

static void test_membership_follows_additions(void **state)
{
	(void)state;
	cordon_strset set = {0};
	assert_false(cordon_strset_contains(&set, "/w/.git"));
	assert_true(cordon_strset_add(&set, "/w/.git"));
	assert_true(cordon_strset_add(&set, "/w/.git")); /* again: no duplicate */
	assert_int_equal(set.count, 1);
	assert_true(cordon_strset_contains(&set, "/w/.git"));
	assert_false(cordon_strset_contains(&set, "/w/.gi"));
	assert_false(cordon_strset_contains(&set, "/w/.git/"));
	assert_false(cordon_strset_contains(&set, ""));
	cordon_strset_clear(&set);
	assert_false(cordon_strset_contains(&set, "/w/.git"));
}

static void test_many_values_survive_growth(void **state)
{
	(void)state;
	enum { COUNT = 5000 };
	static char values[COUNT][32];
	cordon_strset set = {0};
	for (int i = 0; i < COUNT; i++) {
		snprintf(values[i], sizeof(values[i]), "/roots/r%04d/.git", i);
		assert_true(cordon_strset_add(&set, values[i]));
	}
	assert_int_equal(set.count, COUNT);
	for (int i = 0; i < COUNT; i++)
		assert_true(cordon_strset_contains(&set, values[i]));
	char absent[32];
	for (int i = 0; i < COUNT; i++) {
		snprintf(absent, sizeof(absent), "/roots/r%04d/.codex", i);
		assert_false(cordon_strset_contains(&set, absent));
	}
	cordon_strset_clear(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_membership_follows_additions),
		cmocka_unit_test(test_many_values_survive_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
