/* Two runs of the same workspace at once: can one write into the other's
 * processes? (docs/windows.md, "The run's own SID").
 *
 * A process (and a thread, a pipe made without a descriptor) gets its
 * DACL from its creator's default DACL, which the token plan sets. In
 * elevated mode two concurrent runs are the same account, so the
 * ordinary check passes on the account's ACE and only the restricting
 * SIDs decide. If the default DACL names the workspace SID, every run of
 * that workspace passes the second check too: a --network off run could
 * start a thread in a --network proxy run and use that run's proxy (which
 * admits only its own job's processes). With the run's own SID instead,
 * only the run itself passes.
 *
 * The model evaluates DACLs with the file type's rights, so this asks for
 * the two process rights whose bits the file type's re-checked write set
 * shares: PROCESS_CREATE_THREAD (0x2, FILE_WRITE_DATA's bit; what code
 * injection needs) and PROCESS_SET_QUOTA (0x100, FILE_WRITE_ATTRIBUTES'). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "support_model.h"
#include "windows/plan/token_plan.h"

#define PROCESS_CREATE_THREAD 0x0002u
#define PROCESS_SET_QUOTA     0x0100u
#define READ_CONTROL	      0x00020000u /* a standard right: the same in every type */

#define sid_of model_sid

typedef struct run {
	cordon_token_plan plan;
	cordon_sid logon;
} run;

/* A run of the sandbox account in the one workspace, as the runner plans
 * it: the account's own user SID, a logon SID of its own (each runner is
 * a new logon), the workspace's capability SIDs, and a fresh run SID. */
static run plan_run(cordon_mode mode, const char *logon)
{
	run r;
	cordon_token_inputs in;
	cordon_error err;

	memset(&in, 0, sizeof(in));
	in.mode = mode;
	in.user = sid_of("S-1-5-21-1-2-3-1010"); /* CordonSandboxOffline */
	in.logon = r.logon = sid_of(logon);
	in.workspace = sid_of("S-1-5-21-11-12-13-14");
	in.shared = sid_of("S-1-5-21-31-32-33-34");
	in.sandbox = sid_of("S-1-5-21-21-22-23-24");
	in.readonly = sid_of("S-1-5-21-41-42-43-44");
	in.run = model_run_sid();
	assert_int_equal(cordon_token_plan_build(&in, &r.plan, &err), CORDON_OK);
	return r;
}

static model_token token_of(const run *r, model_reading reading)
{
	cordon_sid account = sid_of("S-1-5-21-1-2-3-1010");
	cordon_sid groups[] = {cordon_sid_everyone(), sid_of("S-1-5-32-545"),
			       cordon_sid_authenticated_users(), r->logon,
			       sid_of("S-1-5-21-1-2-3-1100") /* CordonSandboxUsers */};
	return model_token_from_plan(&r->plan, &account, groups, sizeof(groups) / sizeof(groups[0]), reading);
}

/* A process of run owner: its DACL is the owner's default DACL. */
static model_node *process_of(model_tree *tree, const run *owner, const char *name)
{
	return model_add(tree, name, false, &owner->plan.default_dacl[0].sid, owner->plan.default_dacl,
			 owner->plan.default_dacl_count);
}

/* Whether who gets desired on process, the same under every reading
 * (fails the test when the readings disagree). */
static bool granted_under_every_reading(const model_node *process, const run *who, uint32_t desired)
{
	bool first = false;
	for (int reading = 0; reading < MODEL_READING_COUNT; reading++) {
		model_token token = token_of(who, (model_reading)reading);
		bool granted = model_access_check(process, &token, desired);
		if (reading == 0)
			first = granted;
		else
			assert_int_equal(granted, first);
	}
	return first;
}

static void test_a_concurrent_run_of_the_workspace_cannot_write_into_another(void **state)
{
	(void)state;
	run proxy_run = plan_run(CORDON_MODE_WORKSPACE_WRITE, "S-1-5-5-0-5001");
	run off_run = plan_run(CORDON_MODE_WORKSPACE_WRITE, "S-1-5-5-0-5002");
	run read_only_run = plan_run(CORDON_MODE_READ_ONLY, "S-1-5-5-0-5003");
	model_tree tree;
	model_tree_init(&tree);
	model_node *process = process_of(&tree, &proxy_run, "P:\\proxy-run-command");

	/* The run manages its own processes. */
	assert_true(
		granted_under_every_reading(process, &proxy_run, PROCESS_CREATE_THREAD | PROCESS_SET_QUOTA));
	/* Another run of the same workspace and account: no thread, no quota
	 * change; a read-only run neither. */
	assert_false(granted_under_every_reading(process, &off_run, PROCESS_CREATE_THREAD));
	assert_false(granted_under_every_reading(process, &off_run, PROCESS_SET_QUOTA));
	assert_false(granted_under_every_reading(process, &read_only_run, PROCESS_CREATE_THREAD));
	/* Reading is not re-checked: the account's ACE allows it (the control
	 * that the refusals above come from the restricting pass). */
	assert_true(granted_under_every_reading(process, &off_run, READ_CONTROL));
	model_tree_free(&tree);
}

static void test_control_a_default_dacl_naming_the_workspace_let_them_in(void **state)
{
	(void)state;
	/* The plan before the run SID: the default DACL's third ACE was the
	 * workspace SID. The same check then lets the other run in, which
	 * is what the run SID closes. */
	run proxy_run = plan_run(CORDON_MODE_WORKSPACE_WRITE, "S-1-5-5-0-5001");
	run off_run = plan_run(CORDON_MODE_WORKSPACE_WRITE, "S-1-5-5-0-5002");
	run old_shape = proxy_run;
	old_shape.plan.default_dacl[2].sid = sid_of("S-1-5-21-11-12-13-14");
	model_tree tree;
	model_tree_init(&tree);
	model_node *process = process_of(&tree, &old_shape, "P:\\old-shape-command");
	assert_true(granted_under_every_reading(process, &off_run, PROCESS_CREATE_THREAD));
	model_tree_free(&tree);
}

static void test_every_run_gets_its_own_sid(void **state)
{
	(void)state;
	run a = plan_run(CORDON_MODE_WORKSPACE_WRITE, "S-1-5-5-0-5001");
	run b = plan_run(CORDON_MODE_WORKSPACE_WRITE, "S-1-5-5-0-5001");
	/* Same everything but the run SID (even the logon SID, as in
	 * restricted-token mode, where every run shares the user's session):
	 * still apart. */
	model_tree tree;
	model_tree_init(&tree);
	model_node *process = process_of(&tree, &a, "P:\\a-command");
	assert_false(granted_under_every_reading(process, &b, PROCESS_CREATE_THREAD));
	assert_false(cordon_sid_equal(&a.plan.default_dacl[2].sid, &b.plan.default_dacl[2].sid));
	model_tree_free(&tree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_concurrent_run_of_the_workspace_cannot_write_into_another),
		cmocka_unit_test(test_control_a_default_dacl_naming_the_workspace_let_them_in),
		cmocka_unit_test(test_every_run_gets_its_own_sid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
