#include "windows/plan/token_plan.h"

#include <string.h>

#include "core/error.h"

static void add_restricting(cordon_token_plan *plan, const cordon_sid *sid)
{
	plan->restricting[plan->restricting_count++] = *sid;
}

static void add_default_ace(cordon_token_plan *plan, const cordon_sid *sid)
{
	cordon_ace *ace = &plan->default_dacl[plan->default_dacl_count++];

	memset(ace, 0, sizeof(*ace));
	ace->type = CORDON_ACE_ALLOW;
	ace->mask = CORDON_GENERIC_ALL;
	ace->sid = *sid;
}

cordon_code cordon_token_plan_build(const cordon_token_inputs *inputs, cordon_token_plan *plan,
				    cordon_error *err)
{
	cordon_sid everyone = cordon_sid_everyone();
	cordon_sid system = cordon_sid_local_system();

	if (!inputs || !plan)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan the Windows token: no inputs");
	memset(plan, 0, sizeof(*plan));
	if (inputs->mode != CORDON_MODE_READ_ONLY && inputs->mode != CORDON_MODE_WORKSPACE_WRITE)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot plan a restricted token for this mode: only read-only "
				   "and workspace-write runs are sandboxed");
	if (!cordon_sid_is_logon(&inputs->logon))
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot plan the Windows token: the logon SID is not of the "
				   "form S-1-5-5-X-Y; report this as a bug");
	if (inputs->run.sub_count == 0 || cordon_sid_equal(&inputs->run, &inputs->workspace) ||
	    cordon_sid_equal(&inputs->run, &inputs->shared) ||
	    cordon_sid_equal(&inputs->run, &inputs->sandbox) ||
	    cordon_sid_equal(&inputs->run, &inputs->readonly) ||
	    cordon_sid_equal(&inputs->run, &inputs->user))
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot plan the Windows token: the run's own SID is missing or is "
				   "another SID of the run; report this as a bug");
	plan->write_restricted = true;
	plan->disable_max_privilege = true;
	plan->kept_privilege = "SeChangeNotifyPrivilege";

	if (inputs->mode == CORDON_MODE_WORKSPACE_WRITE) {
		add_restricting(plan, &inputs->workspace);
		/* Only with shared roots: another run may have granted the
		 * shared SID on its temp or extra roots. */
		if (inputs->has_shared_roots)
			add_restricting(plan, &inputs->shared);
	} else {
		add_restricting(plan, &inputs->readonly);
	}
	add_restricting(plan, &inputs->run);
	add_restricting(plan, &inputs->sandbox);
	add_restricting(plan, &inputs->logon);
	add_restricting(plan, &everyone);

	add_default_ace(plan, &inputs->user);
	add_default_ace(plan, &system);
	add_default_ace(plan, &inputs->run);
	return CORDON_OK;
}
