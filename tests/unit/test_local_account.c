/* Judging a name lookup's answer (src/windows/plan/local_account.c):
 * only this computer's account or group of the kind asked for is
 * accepted; a domain account of the same name, a name without a domain
 * and a group where an account is wanted (or the reverse) are refused,
 * each with a phrase that says which. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "windows/plan/local_account.h"

static void this_computers_account_of_the_right_kind_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(cordon_local_name_judge("DEVBOX", "DEVBOX", CORDON_NAME_USER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_OK);
	assert_int_equal(cordon_local_name_judge("DEVBOX", "DEVBOX", CORDON_NAME_ALIAS, CORDON_NAME_ALIAS),
			 CORDON_LOCAL_NAME_OK);
}

static void the_domain_compares_without_case(void **state)
{
	(void)state;
	assert_int_equal(cordon_local_name_judge("devbox", "DEVBOX", CORDON_NAME_USER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_OK);
	/* Windows' ordinal upper-casing folds non-ASCII letters too. */
	assert_int_equal(cordon_local_name_judge("ÉTUDE", "étude", CORDON_NAME_USER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_OK);
}

/* The case the qualified lookup guards against: the local account is
 * missing and the name resolves in the machine's domain. */
static void a_domain_account_of_the_same_name_is_refused(void **state)
{
	(void)state;
	assert_int_equal(cordon_local_name_judge("CORP", "DEVBOX", CORDON_NAME_USER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_FOREIGN);
	assert_int_equal(cordon_local_name_judge("CORP", "DEVBOX", CORDON_NAME_GROUP, CORDON_NAME_ALIAS),
			 CORDON_LOCAL_NAME_FOREIGN);
	/* A prefix or a longer name is another domain. */
	assert_int_equal(cordon_local_name_judge("DEVBOX2", "DEVBOX", CORDON_NAME_USER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_FOREIGN);
	assert_int_equal(cordon_local_name_judge("DEV", "DEVBOX", CORDON_NAME_USER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_FOREIGN);
	/* Built-in groups live in BUILTIN, not in the computer's domain. */
	assert_int_equal(cordon_local_name_judge("BUILTIN", "DEVBOX", CORDON_NAME_ALIAS, CORDON_NAME_ALIAS),
			 CORDON_LOCAL_NAME_FOREIGN);
}

static void no_domain_is_never_this_computer(void **state)
{
	(void)state;
	/* Everyone comes back with an empty domain. */
	assert_int_equal(
		cordon_local_name_judge("", "DEVBOX", CORDON_NAME_WELL_KNOWN_GROUP, CORDON_NAME_ALIAS),
		CORDON_LOCAL_NAME_FOREIGN);
	assert_int_equal(cordon_local_name_judge(NULL, "DEVBOX", CORDON_NAME_USER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_FOREIGN);
	assert_int_equal(cordon_local_name_judge("", "", CORDON_NAME_USER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_FOREIGN);
	assert_int_equal(cordon_local_name_judge("DEVBOX", NULL, CORDON_NAME_USER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_FOREIGN);
}

static void another_kind_of_name_is_refused(void **state)
{
	(void)state;
	assert_int_equal(cordon_local_name_judge("DEVBOX", "DEVBOX", CORDON_NAME_ALIAS, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_WRONG_KIND);
	assert_int_equal(cordon_local_name_judge("DEVBOX", "DEVBOX", CORDON_NAME_USER, CORDON_NAME_ALIAS),
			 CORDON_LOCAL_NAME_WRONG_KIND);
	assert_int_equal(cordon_local_name_judge("DEVBOX", "DEVBOX", CORDON_NAME_COMPUTER, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_WRONG_KIND);
	assert_int_equal(cordon_local_name_judge("DEVBOX", "DEVBOX", 0, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_WRONG_KIND);
}

/* A foreign answer is refused as foreign even when its kind is wrong too:
 * the message names the domain, which is what the user must look at. */
static void the_domain_is_judged_before_the_kind(void **state)
{
	(void)state;
	assert_int_equal(cordon_local_name_judge("CORP", "DEVBOX", CORDON_NAME_GROUP, CORDON_NAME_USER),
			 CORDON_LOCAL_NAME_FOREIGN);
}

static void reasons_say_what_was_found(void **state)
{
	char text[256];

	(void)state;
	assert_true(cordon_local_name_reason(CORDON_LOCAL_NAME_FOREIGN, "CORP", "DEVBOX", CORDON_NAME_USER,
					     CORDON_NAME_USER, text, sizeof(text)));
	assert_string_equal(text, "was found in the domain CORP, not on this computer (DEVBOX)");
	assert_true(cordon_local_name_reason(CORDON_LOCAL_NAME_FOREIGN, "", "DEVBOX",
					     CORDON_NAME_WELL_KNOWN_GROUP, CORDON_NAME_ALIAS, text,
					     sizeof(text)));
	assert_string_equal(text, "was found in the domain (none), not on this computer (DEVBOX)");
	assert_true(cordon_local_name_reason(CORDON_LOCAL_NAME_WRONG_KIND, "DEVBOX", "DEVBOX",
					     CORDON_NAME_ALIAS, CORDON_NAME_USER, text, sizeof(text)));
	assert_string_equal(text, "is a local group on this computer, not a user account");
	assert_true(cordon_local_name_reason(CORDON_LOCAL_NAME_WRONG_KIND, "DEVBOX", "DEVBOX", 42,
					     CORDON_NAME_ALIAS, text, sizeof(text)));
	assert_string_equal(text, "is an unknown kind of name on this computer, not a local group");
	assert_true(cordon_local_name_reason(CORDON_LOCAL_NAME_OK, "DEVBOX", "DEVBOX", CORDON_NAME_USER,
					     CORDON_NAME_USER, text, sizeof(text)));
	assert_string_equal(text, "");
	assert_null(strchr(text, '\n'));
}

static void a_short_buffer_is_reported(void **state)
{
	char text[16];

	(void)state;
	assert_false(cordon_local_name_reason(CORDON_LOCAL_NAME_FOREIGN, "CORP", "DEVBOX", CORDON_NAME_USER,
					      CORDON_NAME_USER, text, sizeof(text)));
	assert_int_equal(strlen(text), sizeof(text) - 1);
	assert_false(cordon_local_name_reason(CORDON_LOCAL_NAME_OK, "DEVBOX", "DEVBOX", CORDON_NAME_USER,
					      CORDON_NAME_USER, text, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(this_computers_account_of_the_right_kind_is_accepted),
		cmocka_unit_test(the_domain_compares_without_case),
		cmocka_unit_test(a_domain_account_of_the_same_name_is_refused),
		cmocka_unit_test(no_domain_is_never_this_computer),
		cmocka_unit_test(another_kind_of_name_is_refused),
		cmocka_unit_test(the_domain_is_judged_before_the_kind),
		cmocka_unit_test(reasons_say_what_was_found),
		cmocka_unit_test(a_short_buffer_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
