#include "windows/plan/account_plan.h"

#include <string.h>

static const cordon_account_spec specs[CORDON_ACCOUNT_COUNT] = {
	[CORDON_ACCOUNT_OFFLINE] =
		{
			.which = CORDON_ACCOUNT_OFFLINE,
			.name = CORDON_OFFLINE_ACCOUNT,
			.full_name = "cordon sandbox (offline)",
			.description = "Runs cordon's sandboxed commands with network off or through "
				       "cordon's proxy; firewall-filtered. Created by 'cordon setup'.",
			.flags = CORDON_ACCOUNT_FLAGS,
		},
	[CORDON_ACCOUNT_ONLINE] =
		{
			.which = CORDON_ACCOUNT_ONLINE,
			.name = CORDON_ONLINE_ACCOUNT,
			.full_name = "cordon sandbox (online)",
			.description = "Runs cordon's sandboxed commands with network on. Created by "
				       "'cordon setup'.",
			.flags = CORDON_ACCOUNT_FLAGS,
		},
};

const cordon_account_spec *cordon_account_spec_of(cordon_sandbox_account which)
{
	return &specs[which];
}

const char *cordon_group_description(void)
{
	return "cordon's sandbox accounts: what cordon's read grants name. Created by 'cordon setup'.";
}

const char *cordon_account_step_name(cordon_account_step_kind kind)
{
	switch (kind) {
	case CORDON_ACCOUNT_CREATE_GROUP: return "create-group";
	case CORDON_ACCOUNT_CREATE: return "create-account";
	case CORDON_ACCOUNT_RESET_PASSWORD: return "reset-password";
	case CORDON_ACCOUNT_SET_FLAGS: return "set-account-flags";
	case CORDON_ACCOUNT_ADD_TO_GROUP: return "add-to-group";
	case CORDON_ACCOUNT_ADD_TO_USERS: return "add-to-users";
	case CORDON_ACCOUNT_HIDE: return "hide-from-sign-in";
	case CORDON_ACCOUNT_UNHIDE: return "unhide";
	case CORDON_ACCOUNT_FORGET_CREDENTIAL: return "forget-credential";
	case CORDON_ACCOUNT_DELETE: return "delete-account";
	case CORDON_ACCOUNT_DELETE_GROUP: return "delete-group";
	}
	return "unknown";
}

static void push(cordon_account_plan *plan, cordon_account_step_kind kind, const char *name,
		 cordon_sandbox_account which)
{
	if (plan->step_count == CORDON_ACCOUNT_MAX_STEPS)
		return; /* cannot happen: the step lists below are bounded */
	plan->steps[plan->step_count].kind = kind;
	plan->steps[plan->step_count].name = name;
	plan->steps[plan->step_count].which = which;
	plan->step_count++;
}

void cordon_account_plan_build(const cordon_accounts_state *state, cordon_account_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	if (!state->group_exists)
		push(plan, CORDON_ACCOUNT_CREATE_GROUP, CORDON_SANDBOX_GROUP, CORDON_ACCOUNT_OFFLINE);
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		const cordon_account_state *now = &state->accounts[i];
		const cordon_account_spec *spec = &specs[i];
		cordon_sandbox_account which = spec->which;

		if (!now->exists) {
			/* A new account: created with the right flags, and
			 * nothing it could already be a member of. */
			push(plan, CORDON_ACCOUNT_CREATE, spec->name, which);
			push(plan, CORDON_ACCOUNT_ADD_TO_GROUP, spec->name, which);
			push(plan, CORDON_ACCOUNT_ADD_TO_USERS, spec->name, which);
			if (!now->hidden)
				push(plan, CORDON_ACCOUNT_HIDE, spec->name, which);
			if (which == CORDON_ACCOUNT_OFFLINE)
				plan->offline_sid_changes = true;
			continue;
		}
		if (!now->credential_stored)
			push(plan, CORDON_ACCOUNT_RESET_PASSWORD, spec->name, which);
		if ((now->flags & spec->flags) != spec->flags)
			push(plan, CORDON_ACCOUNT_SET_FLAGS, spec->name, which);
		if (!now->in_group || !state->group_exists)
			push(plan, CORDON_ACCOUNT_ADD_TO_GROUP, spec->name, which);
		if (!now->in_users)
			push(plan, CORDON_ACCOUNT_ADD_TO_USERS, spec->name, which);
		if (!now->hidden)
			push(plan, CORDON_ACCOUNT_HIDE, spec->name, which);
	}
}

void cordon_account_plan_uninstall(const cordon_accounts_record *record, cordon_account_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		if (!record->accounts[i])
			continue;
		push(plan, CORDON_ACCOUNT_UNHIDE, specs[i].name, specs[i].which);
		push(plan, CORDON_ACCOUNT_FORGET_CREDENTIAL, specs[i].name, specs[i].which);
		push(plan, CORDON_ACCOUNT_DELETE, specs[i].name, specs[i].which);
	}
	if (record->group)
		push(plan, CORDON_ACCOUNT_DELETE_GROUP, CORDON_SANDBOX_GROUP, CORDON_ACCOUNT_OFFLINE);
}
