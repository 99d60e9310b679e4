/* The account plan (src/windows/plan/account_plan.c): what a fresh
 * machine needs, nothing once applied, exactly the missing pieces of a
 * partial state, and an uninstall limited to what setup recorded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "windows/plan/account_plan.h"

static size_t count_kind(const cordon_account_plan *plan, cordon_account_step_kind kind, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->step_count; i++)
		n += plan->steps[i].kind == kind && (!name || strcmp(plan->steps[i].name, name) == 0);
	return n;
}

/* The state an applied plan leaves. */
static void applied(cordon_accounts_state *state)
{
	static const char *const sids[] = {"S-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-1002"};

	memset(state, 0, sizeof(*state));
	state->group_exists = true;
	state->group_sid = "S-1-5-21-1-2-3-1000";
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		cordon_account_state *a = &state->accounts[i];

		a->exists = true;
		a->sid = sids[i];
		a->flags = CORDON_ACCOUNT_FLAGS;
		a->hidden = true;
		a->in_group = true;
		a->in_users = true;
		a->credential_stored = true;
	}
}

static void test_specs(void **state)
{
	(void)state;
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		const cordon_account_spec *spec = cordon_account_spec_of((cordon_sandbox_account)i);

		assert_int_equal(spec->which, i);
		assert_true(strlen(spec->name) <= 20); /* SAM account name limit */
		assert_true(strlen(spec->description) > 0);
		assert_int_equal(spec->flags & CORDON_UF_DONT_EXPIRE_PASSWD, CORDON_UF_DONT_EXPIRE_PASSWD);
		assert_int_equal(spec->flags & CORDON_UF_PASSWD_CANT_CHANGE, CORDON_UF_PASSWD_CANT_CHANGE);
		assert_int_equal(spec->flags & CORDON_UF_NORMAL_ACCOUNT, CORDON_UF_NORMAL_ACCOUNT);
	}
	assert_string_equal(cordon_account_spec_of(CORDON_ACCOUNT_OFFLINE)->name, CORDON_OFFLINE_ACCOUNT);
	assert_string_equal(cordon_account_spec_of(CORDON_ACCOUNT_ONLINE)->name, CORDON_ONLINE_ACCOUNT);
	assert_string_not_equal(CORDON_OFFLINE_ACCOUNT, CORDON_ONLINE_ACCOUNT);
}

static void test_fresh_machine(void **state)
{
	cordon_accounts_state fresh = {0};
	cordon_account_plan plan;

	(void)state;
	cordon_account_plan_build(&fresh, &plan);
	assert_int_equal(plan.step_count, 9);
	assert_int_equal(plan.steps[0].kind, CORDON_ACCOUNT_CREATE_GROUP);
	assert_string_equal(plan.steps[0].name, CORDON_SANDBOX_GROUP);
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		const char *name = cordon_account_spec_of((cordon_sandbox_account)i)->name;

		assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_CREATE, name), 1);
		assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_ADD_TO_GROUP, name), 1);
		assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_ADD_TO_USERS, name), 1);
		assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_HIDE, name), 1);
	}
	assert_true(plan.offline_sid_changes);
}

static void test_applied_state_plans_nothing(void **state)
{
	cordon_accounts_state now;
	cordon_account_plan plan;

	(void)state;
	applied(&now);
	cordon_account_plan_build(&now, &plan);
	assert_int_equal(plan.step_count, 0);
	assert_false(plan.offline_sid_changes);
}

static void test_partial_states(void **state)
{
	cordon_accounts_state now;
	cordon_account_plan plan;

	(void)state;
	/* The offline account was deleted by someone. */
	applied(&now);
	memset(&now.accounts[CORDON_ACCOUNT_OFFLINE], 0, sizeof(now.accounts[0]));
	cordon_account_plan_build(&now, &plan);
	assert_int_equal(plan.step_count, 4);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_CREATE, CORDON_OFFLINE_ACCOUNT), 1);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_ADD_TO_GROUP, CORDON_OFFLINE_ACCOUNT), 1);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_ADD_TO_USERS, CORDON_OFFLINE_ACCOUNT), 1);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_HIDE, CORDON_OFFLINE_ACCOUNT), 1);
	assert_true(plan.offline_sid_changes);

	/* The online account shows on the sign-in screen again. */
	applied(&now);
	now.accounts[CORDON_ACCOUNT_ONLINE].hidden = false;
	cordon_account_plan_build(&now, &plan);
	assert_int_equal(plan.step_count, 1);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_HIDE, CORDON_ONLINE_ACCOUNT), 1);
	assert_false(plan.offline_sid_changes);

	/* cordon lost its stored password: a new one, same account (SID kept). */
	applied(&now);
	now.accounts[CORDON_ACCOUNT_OFFLINE].credential_stored = false;
	cordon_account_plan_build(&now, &plan);
	assert_int_equal(plan.step_count, 1);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_RESET_PASSWORD, CORDON_OFFLINE_ACCOUNT), 1);
	assert_false(plan.offline_sid_changes);

	/* Someone let the password expire. */
	applied(&now);
	now.accounts[CORDON_ACCOUNT_ONLINE].flags &= ~CORDON_UF_DONT_EXPIRE_PASSWD;
	cordon_account_plan_build(&now, &plan);
	assert_int_equal(plan.step_count, 1);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_SET_FLAGS, CORDON_ONLINE_ACCOUNT), 1);

	/* The group was deleted: recreated, both accounts put back in it. */
	applied(&now);
	now.group_exists = false;
	now.group_sid = NULL;
	now.accounts[0].in_group = now.accounts[1].in_group = false;
	cordon_account_plan_build(&now, &plan);
	assert_int_equal(plan.step_count, 3);
	assert_int_equal(plan.steps[0].kind, CORDON_ACCOUNT_CREATE_GROUP);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_ADD_TO_GROUP, NULL), 2);
}

static void test_uninstall_follows_the_record(void **state)
{
	cordon_accounts_record record = {0};
	cordon_account_plan plan;

	(void)state;
	record.group = true;
	record.accounts[CORDON_ACCOUNT_OFFLINE] = true;
	record.accounts[CORDON_ACCOUNT_ONLINE] = true;
	cordon_account_plan_uninstall(&record, &plan);
	assert_int_equal(plan.step_count, 7);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_UNHIDE, NULL), 2);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_FORGET_CREDENTIAL, NULL), 2);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_DELETE, NULL), 2);
	/* The group goes after its members. */
	assert_int_equal(plan.steps[6].kind, CORDON_ACCOUNT_DELETE_GROUP);

	memset(&record, 0, sizeof(record));
	record.accounts[CORDON_ACCOUNT_ONLINE] = true;
	cordon_account_plan_uninstall(&record, &plan);
	assert_int_equal(plan.step_count, 3);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_DELETE, CORDON_ONLINE_ACCOUNT), 1);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_DELETE, CORDON_OFFLINE_ACCOUNT), 0);
	assert_int_equal(count_kind(&plan, CORDON_ACCOUNT_DELETE_GROUP, NULL), 0);

	memset(&record, 0, sizeof(record));
	cordon_account_plan_uninstall(&record, &plan);
	assert_int_equal(plan.step_count, 0);
}

static void test_step_names(void **state)
{
	(void)state;
	assert_string_equal(cordon_account_step_name(CORDON_ACCOUNT_CREATE), "create-account");
	assert_string_equal(cordon_account_step_name(CORDON_ACCOUNT_HIDE), "hide-from-sign-in");
	assert_string_equal(cordon_account_step_name(CORDON_ACCOUNT_DELETE_GROUP), "delete-group");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_fresh_machine),
		cmocka_unit_test(test_applied_state_plans_nothing),
		cmocka_unit_test(test_partial_states),
		cmocka_unit_test(test_uninstall_follows_the_record),
		cmocka_unit_test(test_step_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
