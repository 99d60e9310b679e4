/* Would a Low integrity level help restricted-token mode? (issue 9 item 4,
 * Token; docs/windows.md "Integrity level: investigated, not adopted").
 *
 * The model's mandatory check (support_model.h) is the documented
 * no-write-up policy: a token below an object's level keeps at most
 * generic read and execute on it. This file runs the cases the decision
 * rests on, for the write-restricted token of restricted-token mode under
 * Forshaw's reading, once at Medium (today) and once at Low with the
 * roots labelled Low and .git labelled Medium. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support_model.h"
#include "windows/plan/token_plan.h"

#define ALICE	"S-1-5-21-1-2-3-1001"
#define LOGON	"S-1-5-5-0-999"
#define OICI	(CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT)
#define HOME	"C:\\Users\\alice"
#define PROJ	HOME "\\proj"
#define OUTSIDE HOME "\\outside"

static cordon_sid sid_of(const char *text)
{
	cordon_sid sid;
	assert_true(cordon_sid_parse(text, &sid));
	return sid;
}

typedef struct world {
	model_tree tree;
	model_token token;
} world;

/* The user's profile (full control for the user), a workspace granted to
 * the workspace SID, .git denied to the sandbox SID, an outside file, and
 * an Everyone-writable directory that got no deny. */
static void world_init(world *w, uint32_t token_level, bool label)
{
	cordon_sid user = sid_of(ALICE), logon = sid_of(LOGON), system = cordon_sid_local_system();
	cordon_sid everyone = cordon_sid_everyone();
	cordon_sid workspace = sid_of("S-1-5-21-11-12-13-14"), sandbox = sid_of("S-1-5-21-21-22-23-24");
	cordon_sid groups[] = {everyone, sid_of("S-1-5-32-545"), cordon_sid_authenticated_users(), logon};
	cordon_token_inputs in;
	cordon_token_plan plan;
	cordon_error err;
	model_tree *t = &w->tree;

	model_tree_init(t);
	cordon_ace profile[] = {cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &user),
				cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &system)};
	cordon_ace root[] = {cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_ROOT_ALLOW_RIGHTS, &workspace)};
	cordon_ace git[] = {cordon_ace_make(CORDON_ACE_DENY, OICI, CORDON_WRITE_RIGHTS, &sandbox)};
	cordon_ace drop[] = {cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &everyone)};
	model_add(t, "C:\\", true, &system, profile + 1, 1);
	model_add(t, "C:\\Drop", true, &system, drop, 1);
	model_add(t, HOME, true, &user, profile, 2);
	model_add(t, PROJ, true, &user, root, 1);
	model_add(t, PROJ "\\a.txt", false, &user, NULL, 0);
	model_add(t, PROJ "\\.git", true, &user, git, 1);
	model_add(t, PROJ "\\.git\\config", false, &user, NULL, 0);
	model_add(t, OUTSIDE, true, &user, NULL, 0);
	model_add(t, OUTSIDE "\\secret.txt", false, &user, NULL, 0);
	if (label) {
		model_set_label(t, PROJ, MODEL_INTEGRITY_LOW);
		model_set_label(t, PROJ "\\.git", MODEL_INTEGRITY_MEDIUM);
	}
	memset(&in, 0, sizeof(in));
	in.mode = CORDON_MODE_WORKSPACE_WRITE;
	in.user = user;
	in.logon = logon;
	in.workspace = workspace;
	in.sandbox = sandbox;
	in.shared = sid_of("S-1-5-21-31-32-33-34");
	in.readonly = sid_of("S-1-5-21-41-42-43-44");
	/* This run's own SID (random in cordon; fixed here). */
	in.run = model_run_sid();
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_OK);
	w->token = model_token_from_plan(&plan, &user, groups, 4, MODEL_READING_FORSHAW);
	w->token.integrity = token_level;
}

static model_verdict run(uint32_t token_level, bool label, int which)
{
	world w;
	model_verdict verdict = MODEL_REFUSED;
	world_init(&w, token_level, label);
	switch (which) {
	case 0: verdict = model_delete(&w.tree, &w.token, OUTSIDE "\\secret.txt"); break;
	case 1: verdict = model_rename(&w.tree, &w.token, OUTSIDE "\\secret.txt", PROJ "\\stolen.txt"); break;
	case 2: verdict = model_write(&w.tree, &w.token, "C:\\Drop\\x.txt"); break;
	case 3: verdict = model_write(&w.tree, &w.token, PROJ "\\a.txt"); break;
	case 4: verdict = model_write(&w.tree, &w.token, PROJ "\\new.txt"); break;
	case 5: verdict = model_rename(&w.tree, &w.token, PROJ "\\.git", PROJ "\\git-away"); break;
	case 6: verdict = model_delete(&w.tree, &w.token, PROJ "\\.git\\config"); break;
	case 7: verdict = model_write(&w.tree, &w.token, PROJ "\\.git\\config"); break;
	case 8: verdict = model_delete(&w.tree, &w.token, PROJ "\\a.txt"); break;
	}
	model_tree_free(&w.tree);
	return verdict;
}

static void test_low_integrity_closes_deletes_outside_the_roots(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		model_verdict medium; /* today: Medium token, no labels */
		model_verdict low;    /* Low token, roots Low, .git Medium */
	} cases[] = {
		{"delete a file outside the roots", MODEL_ALLOWED, MODEL_DENIED},
		{"move a file from outside into the workspace", MODEL_ALLOWED, MODEL_DENIED},
		{"write in an Everyone-writable directory with no deny", MODEL_ALLOWED, MODEL_DENIED},
		{"write a workspace file", MODEL_ALLOWED, MODEL_ALLOWED},
		{"create a workspace file", MODEL_ALLOWED, MODEL_ALLOWED},
		/* the parent is the Low root: delete-child there is the DACL's
		 * and the token's business, and the label of .git is not read */
		{"rename .git away through the root's delete-child", MODEL_ALLOWED, MODEL_ALLOWED},
		{"delete a file inside .git", MODEL_ALLOWED, MODEL_DENIED},
		{"write a file inside .git", MODEL_DENIED, MODEL_DENIED},
		{"delete a workspace file", MODEL_ALLOWED, MODEL_ALLOWED},
	};
	for (int i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		model_verdict medium = run(MODEL_INTEGRITY_MEDIUM, false, i);
		model_verdict low = run(MODEL_INTEGRITY_LOW, true, i);
		printf("# %-55s Medium: %-7s Low: %s\n", cases[i].what, model_verdict_name(medium),
		       model_verdict_name(low));
		if (medium != cases[i].medium || low != cases[i].low)
			fail_msg("%s: Medium %s (want %s), Low %s (want %s)", cases[i].what,
				 model_verdict_name(medium), model_verdict_name(cases[i].medium),
				 model_verdict_name(low), model_verdict_name(cases[i].low));
	}
}

/* Without the roots labelled Low, a Low token cannot work at all: the
 * workspace is Medium like everything unlabelled. */
static void test_low_token_needs_low_roots(void **state)
{
	(void)state;
	assert_int_equal(run(MODEL_INTEGRITY_LOW, false, 3), MODEL_DENIED);
	assert_int_equal(run(MODEL_INTEGRITY_LOW, false, 4), MODEL_DENIED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_low_integrity_closes_deletes_outside_the_roots),
		cmocka_unit_test(test_low_token_needs_low_roots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
