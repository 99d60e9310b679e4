/* The delete-child probe's scratch directory (src/windows/probe.c) and
 * token, run through the access-check model under each reading: the four
 * attempts come out as the probe expects, and cordon_probe_decide turns
 * them into that reading. So the probe's layout can tell the readings
 * apart, as far as the model goes; whether Windows agrees is what the
 * probe finds out on a host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "support_model.h"
#include "windows/plan/probe_verdict.h"
#include "windows/plan/token_plan.h"

#define ALICE	"S-1-5-21-1-2-3-1001"
#define LOGON	"S-1-5-5-0-999"
#define OICI	(CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT)
#define SCRATCH "C:\\Users\\alice\\AppData\\Local\\cordon\\probe-42"

static cordon_sid sid_of(const char *text)
{
	cordon_sid sid;
	assert_true(cordon_sid_parse(text, &sid));
	return sid;
}

static cordon_probe_attempt attempt_of(model_verdict verdict)
{
	cordon_probe_attempt attempt = {CORDON_PROBE_FAILED, 0};
	if (verdict == MODEL_ALLOWED)
		attempt.outcome = CORDON_PROBE_ALLOWED;
	else if (verdict == MODEL_DENIED)
		attempt.outcome = CORDON_PROBE_DENIED;
	return attempt;
}

static void test_scratch_tells_the_readings_apart(void **state)
{
	(void)state;
	cordon_sid user = sid_of(ALICE), logon = sid_of(LOGON), system = cordon_sid_local_system();
	cordon_sid everyone = cordon_sid_everyone();
	/* fresh random capability SIDs in probe.c; any unnamed ones here */
	cordon_sid workspace = sid_of("S-1-5-21-901-902-903-904"),
		   sandbox = sid_of("S-1-5-21-911-912-913-914");
	cordon_sid groups[] = {everyone, sid_of("S-1-5-32-545"), cordon_sid_authenticated_users(), logon};
	/* "D:P(A;OICI;FA;;;<user>)(A;OICI;FA;;;SY)", and dest adds
	 * "(A;OICI;0x1301bf;;;<workspace SID>)" */
	cordon_ace scratch[] = {cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_FILE_ALL_ACCESS, &user),
				cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_FILE_ALL_ACCESS, &system)};
	cordon_ace dest[] = {cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_FILE_ALL_ACCESS, &user),
			     cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_FILE_ALL_ACCESS, &system),
			     cordon_ace_make(CORDON_ACE_ALLOW, OICI, 0x1301bfu, &workspace)};
	cordon_token_inputs in;
	cordon_token_plan plan;
	cordon_error err;

	/* 0x1301bf is what a root's allow grants: no delete-child */
	assert_int_equal(0x1301bfu, CORDON_ROOT_ALLOW_RIGHTS);
	memset(&in, 0, sizeof(in));
	in.mode = CORDON_MODE_WORKSPACE_WRITE;
	in.user = user;
	in.logon = logon;
	in.workspace = workspace;
	in.sandbox = sandbox;
	in.shared = sid_of("S-1-5-21-921-922-923-924");
	in.readonly = sid_of("S-1-5-21-931-932-933-934");
	/* This run's own SID (random in cordon; fixed here). */
	in.run = model_run_sid();
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_OK);

	for (int reading = 0; reading < MODEL_READING_COUNT; reading++) {
		model_tree tree;
		model_token token = model_token_from_plan(&plan, &user, groups, 4, (model_reading)reading);
		cordon_probe_observations observed;

		model_tree_init(&tree);
		model_node *n = model_add(&tree, SCRATCH, true, &user, scratch, 2);
		n->dacl_protected = true;
		n = model_add(&tree, SCRATCH "\\victim", true, &user, scratch, 2);
		n->dacl_protected = true;
		n = model_add(&tree, SCRATCH "\\dest", true, &user, dest, 3);
		n->dacl_protected = true;
		model_add(&tree, SCRATCH "\\victim\\delete-me", false, &user, NULL, 0);
		model_add(&tree, SCRATCH "\\victim\\rename-me", false, &user, NULL, 0);
		model_add(&tree, SCRATCH "\\victim\\dacl", false, &user, NULL, 0);

		/* the order probe.c tries them in */
		observed.control_create = attempt_of(model_write(&tree, &token, SCRATCH "\\dest\\control"));
		observed.rewrite_dacl = attempt_of(model_write_dac(&tree, &token, SCRATCH "\\victim\\dacl"));
		observed.delete_file = attempt_of(model_delete(&tree, &token, SCRATCH "\\victim\\delete-me"));
		observed.rename_file = attempt_of(model_rename(&tree, &token, SCRATCH "\\victim\\rename-me",
							       SCRATCH "\\dest\\renamed"));

		cordon_probe_verdict verdict = cordon_probe_decide(&observed);
		cordon_probe_reading want = reading == MODEL_READING_FORSHAW ? CORDON_PROBE_NOT_RECHECKED
									     : CORDON_PROBE_RECHECKED;
		if (verdict.reading != want)
			fail_msg("%s: control %d dacl %d delete %d rename %d gave %s",
				 model_reading_name((model_reading)reading), observed.control_create.outcome,
				 observed.rewrite_dacl.outcome, observed.delete_file.outcome,
				 observed.rename_file.outcome, cordon_probe_reading_name(verdict.reading));
		assert_string_equal(verdict.reason, ""); /* both routes agree */
		model_tree_free(&tree);
	}
}

/* A host that enforces no restricted token (Wine): the same attempts by
 * the user's plain token are all allowed, which the decision calls
 * unknown, never "not re-checked". */
static void test_unrestricted_host_is_unknown(void **state)
{
	(void)state;
	cordon_sid user = sid_of(ALICE), system = cordon_sid_local_system();
	cordon_ace scratch[] = {cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_FILE_ALL_ACCESS, &user),
				cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_FILE_ALL_ACCESS, &system)};
	model_tree tree;
	model_token plain;
	cordon_probe_observations observed;

	memset(&plain, 0, sizeof(plain));
	plain.user = user;
	model_tree_init(&tree);
	model_add(&tree, SCRATCH, true, &user, scratch, 2);
	model_add(&tree, SCRATCH "\\victim", true, &user, NULL, 0);
	model_add(&tree, SCRATCH "\\dest", true, &user, NULL, 0);
	model_add(&tree, SCRATCH "\\victim\\delete-me", false, &user, NULL, 0);
	model_add(&tree, SCRATCH "\\victim\\rename-me", false, &user, NULL, 0);
	model_add(&tree, SCRATCH "\\victim\\dacl", false, &user, NULL, 0);
	observed.control_create = attempt_of(model_write(&tree, &plain, SCRATCH "\\dest\\control"));
	observed.rewrite_dacl = attempt_of(model_write_dac(&tree, &plain, SCRATCH "\\victim\\dacl"));
	observed.delete_file = attempt_of(model_delete(&tree, &plain, SCRATCH "\\victim\\delete-me"));
	observed.rename_file = attempt_of(
		model_rename(&tree, &plain, SCRATCH "\\victim\\rename-me", SCRATCH "\\dest\\renamed"));
	cordon_probe_verdict verdict = cordon_probe_decide(&observed);
	assert_int_equal(verdict.reading, CORDON_PROBE_UNKNOWN);
	assert_non_null(strstr(verdict.reason, "DACL rewrite was allowed"));
	model_tree_free(&tree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scratch_tells_the_readings_apart),
		cmocka_unit_test(test_unrestricted_host_is_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
