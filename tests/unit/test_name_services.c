/* Home directories from the account database (src/core/name_services.c),
 * the lookup a static cordon pins to /etc/passwd plus getent(1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "core/name_services.h"

static void test_passwd_line_gives_the_sixth_field(void **state)
{
	(void)state;
	char home[64];
	assert_true(
		cordon_passwd_line_home("ann:x:1000:1000:Ann,,,:/home/ann:/bin/bash\n", home, sizeof(home)));
	assert_string_equal(home, "/home/ann");
	/* no shell field, and no newline */
	assert_true(cordon_passwd_line_home("svc:x:999:999::/var/lib/svc", home, sizeof(home)));
	assert_string_equal(home, "/var/lib/svc");
}

static void test_passwd_line_without_an_absolute_home_is_refused(void **state)
{
	(void)state;
	char home[16];
	strcpy(home, "unchanged");
	assert_false(cordon_passwd_line_home("ann:x:1000:1000:Ann::/bin/sh", home, sizeof(home)));
	assert_false(cordon_passwd_line_home("ann:x:1000:1000:Ann:home/ann:/bin/sh", home, sizeof(home)));
	assert_false(cordon_passwd_line_home("ann:x:1000", home, sizeof(home)));
	assert_false(cordon_passwd_line_home("", home, sizeof(home)));
	/* a home longer than the buffer is not cut short */
	assert_false(
		cordon_passwd_line_home("ann:x:1:1::/home/a-very-long-name:/bin/sh", home, sizeof(home)));
	assert_string_equal(home, "unchanged");
}

static void test_home_agrees_with_the_account_database(void **state)
{
	(void)state;
	struct passwd *entry = getpwuid(getuid());
	if (entry == NULL || entry->pw_dir == NULL || entry->pw_dir[0] != '/')
		skip(); /* this uid has no account with a home here: nothing to compare */
	char expected[PATH_MAX];
	strcpy(expected, entry->pw_dir);
	char home[PATH_MAX];
	assert_true(cordon_name_services_home(getuid(), home, sizeof(home)));
	assert_string_equal(home, expected);
	/* one byte too small: refused, not truncated */
	assert_false(cordon_name_services_home(getuid(), home, strlen(expected)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwd_line_gives_the_sixth_field),
		cmocka_unit_test(test_passwd_line_without_an_absolute_home_is_refused),
		cmocka_unit_test(test_home_agrees_with_the_account_database),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
