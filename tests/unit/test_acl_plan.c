/* The Windows ACL plan (src/windows/plan/acl_plan.c) and token plan, on
 * snapshots built by hand: what is asked for, that a second plan asks for
 * nothing, that one changed root is re-planned alone, and the audit's
 * limits. Whether the result is safe is for tests/winmodel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "windows/plan/acl_plan.h"
#include "windows/plan/token_plan.h"

#define OICI (CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT)

/* ------------------------------------------------- a mutable snapshot */

typedef struct tree {
	cordon_win_entry *entries;
	cordon_ace **aces; /* owned copy per entry */
	char **paths;
	size_t count, capacity;
} tree;

static cordon_sid sid_of(const char *text)
{
	cordon_sid sid;

	assert_true(cordon_sid_parse(text, &sid));
	return sid;
}

static cordon_win_entry *add(tree *t, const char *path, bool is_directory, const cordon_ace *aces,
			     size_t count)
{
	cordon_win_entry *e;

	if (t->count == t->capacity) {
		t->capacity = t->capacity ? 2 * t->capacity : 64;
		t->entries = realloc(t->entries, t->capacity * sizeof(*t->entries));
		t->aces = realloc(t->aces, t->capacity * sizeof(*t->aces));
		t->paths = realloc(t->paths, t->capacity * sizeof(*t->paths));
		assert_non_null(t->entries);
	}
	t->paths[t->count] = strdup(path);
	t->aces[t->count] = malloc((count + 1) * sizeof(cordon_ace));
	if (count)
		memcpy(t->aces[t->count], aces, count * sizeof(cordon_ace));
	e = &t->entries[t->count];
	memset(e, 0, sizeof(*e));
	e->path = t->paths[t->count];
	e->is_directory = is_directory;
	e->dacl_present = true;
	e->aces = t->aces[t->count];
	e->ace_count = count;
	t->count++;
	return e;
}

static void tree_free(tree *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->paths[i]);
		free(t->aces[i]);
	}
	free(t->entries);
	free(t->aces);
	free(t->paths);
	memset(t, 0, sizeof(*t));
}

static cordon_win_snapshot snap(const tree *t)
{
	cordon_win_snapshot s = {t->entries, t->count};

	return s;
}

static size_t index_of(const tree *t, const char *path)
{
	for (size_t i = 0; i < t->count; i++)
		if (strcmp(t->paths[i], path) == 0)
			return i;
	fail_msg("no entry %s", path);
	return 0;
}

/* Writes each change's DACL, as the Windows layer would. */
static size_t apply(tree *t, const cordon_acl_plan *plan)
{
	size_t written = 0;

	for (size_t c = 0; c < plan->change_count; c++) {
		size_t i = index_of(t, plan->changes[c].path);
		cordon_ace *result;
		size_t count;

		assert_true(cordon_dacl_apply_change(t->aces[i], t->entries[i].ace_count, &plan->changes[c],
						     &result, &count));
		free(t->aces[i]);
		t->aces[i] = result;
		t->entries[i].aces = result;
		t->entries[i].ace_count = count;
		written++;
	}
	return written;
}

/* ------------------------------------------------------------ fixture */

static cordon_sid workspace_sid, shared_sid, sandbox_sid, readonly_sid, user_sid;
static const char *const names[] = {".git", ".codex", ".agents", ".cordon"};

static void sids(void)
{
	workspace_sid = sid_of("S-1-5-21-11-22-33-44");
	shared_sid = sid_of("S-1-5-21-55-66-77-88");
	sandbox_sid = sid_of("S-1-5-21-99-98-97-96");
	readonly_sid = sid_of("S-1-5-21-12-13-14-15");
	user_sid = sid_of("S-1-5-21-1-2-3-1001");
}

static void inputs(cordon_acl_inputs *in, cordon_mode mode, const cordon_acl_root *roots, size_t root_count)
{
	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->roots = roots;
	in->root_count = root_count;
	in->protected_names = names;
	in->protected_count = 4;
	in->state_dir = "C:\\state";
	in->workspace_sid = workspace_sid;
	in->shared_sid = shared_sid;
	in->sandbox_sid = sandbox_sid;
	in->readonly_sid = readonly_sid;
}

static void small_tree(tree *t)
{
	cordon_sid everyone = cordon_sid_everyone();
	cordon_ace user_full = cordon_ace_make(CORDON_ACE_ALLOW, OICI | CORDON_ACE_INHERITED,
					       CORDON_FILE_ALL_ACCESS, &user_sid);
	cordon_ace everyone_full = cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &everyone);
	cordon_ace everyone_read = cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_READ, &everyone);
	cordon_win_entry *e;

	memset(t, 0, sizeof(*t));
	add(t, "C:\\", true, &everyone_read, 1);
	add(t, "C:\\w", true, &user_full, 1);
	add(t, "C:\\w\\src", true, &user_full, 1);
	add(t, "C:\\w\\src\\a.c", false, &user_full, 1);
	add(t, "C:\\w\\.git", true, &user_full, 1);
	add(t, "C:\\w\\.git\\HEAD", false, &user_full, 1);
	add(t, "C:\\w\\lib\\.GiT", true, &user_full, 1);
	add(t, "C:\\w\\.codex.", true, &user_full, 1);
	e = add(t, "C:\\w\\wt\\.git", false, &user_full, 1);
	e->gitdir = "C:\\repo\\.git\\worktrees\\wt";
	add(t, "C:\\repo\\.git\\worktrees\\wt", true, &user_full, 1);
	e = add(t, "C:\\w\\link", true, &user_full, 1);
	e->is_reparse_point = true;
	e->reparse_target = "C:\\Windows";
	add(t, "C:\\tmp", true, &user_full, 1);
	add(t, "C:\\x1", true, &user_full, 1);
	add(t, "C:\\x2", true, &user_full, 1);
	add(t, "C:\\x3", true, &user_full, 1);
	add(t, "C:\\drop", true, &everyone_full, 1);
	add(t, "C:\\drop\\inner", false, &everyone_full, 1);
	add(t, "C:\\w\\public", true, &everyone_full, 1);
	add(t, "C:\\state", true, &user_full, 1);
}

static const cordon_acl_root roots3[] = {
	{"C:\\w", CORDON_ROOT_WORKSPACE},
	{"C:\\tmp", CORDON_ROOT_TMP},
	{"C:\\x1", CORDON_ROOT_EXTRA},
};

static const cordon_acl_change *find_change(const cordon_acl_plan *plan, const char *path,
					    cordon_acl_reason reason)
{
	for (size_t i = 0; i < plan->change_count; i++)
		if (strcmp(plan->changes[i].path, path) == 0 && plan->changes[i].reason == reason)
			return &plan->changes[i];
	return NULL;
}

static size_t count_reason(const cordon_acl_plan *plan, cordon_acl_reason reason)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->change_count; i++)
		n += plan->changes[i].reason == reason;
	return n;
}

/* ----------------------------------------------------------- the plan */

static void test_first_plan_asks_for_the_right_aces(void **state)
{
	tree t;
	cordon_acl_inputs in;
	cordon_acl_plan plan;
	cordon_win_snapshot s;
	cordon_error err;
	const cordon_acl_change *c;

	(void)state;
	sids();
	small_tree(&t);
	s = snap(&t);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, roots3, 3);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_OK);

	/* Roots: the root's own ACE has no DELETE; the inherited one has
	 * DELETE; neither has FILE_DELETE_CHILD, WRITE_DAC or WRITE_OWNER. */
	assert_int_equal(count_reason(&plan, CORDON_ACL_ROOT_ALLOW), 3);
	c = find_change(&plan, "C:\\w", CORDON_ACL_ROOT_ALLOW);
	assert_non_null(c);
	assert_int_equal(c->ace_count, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_true(cordon_sid_equal(&c->aces[i].sid, &workspace_sid));
		assert_int_equal(c->aces[i].type, CORDON_ACE_ALLOW);
		assert_int_equal(c->aces[i].mask &
					 (CORDON_FILE_DELETE_CHILD | CORDON_WRITE_DAC | CORDON_WRITE_OWNER |
					  CORDON_GENERIC_ALL | CORDON_GENERIC_WRITE),
				 0);
	}
	assert_int_equal(c->aces[0].flags, 0);
	assert_int_equal(c->aces[0].mask & CORDON_DELETE, 0);
	assert_int_equal(c->aces[1].flags, OICI | CORDON_ACE_INHERIT_ONLY);
	assert_int_equal(c->aces[1].mask & CORDON_DELETE, CORDON_DELETE);
	c = find_change(&plan, "C:\\tmp", CORDON_ACL_ROOT_ALLOW);
	assert_non_null(c);
	assert_true(cordon_sid_equal(&c->aces[0].sid, &shared_sid));

	/* Protected names, any case, trailing dots, any depth; worktree. */
	assert_int_equal(count_reason(&plan, CORDON_ACL_PROTECTED_DENY), 4);
	assert_non_null(find_change(&plan, "C:\\w\\.git", CORDON_ACL_PROTECTED_DENY));
	assert_non_null(find_change(&plan, "C:\\w\\lib\\.GiT", CORDON_ACL_PROTECTED_DENY));
	assert_non_null(find_change(&plan, "C:\\w\\.codex.", CORDON_ACL_PROTECTED_DENY));
	c = find_change(&plan, "C:\\w\\wt\\.git", CORDON_ACL_PROTECTED_DENY);
	assert_non_null(c);
	assert_int_equal(c->aces[0].flags, 0); /* a file: nothing to inherit */
	c = find_change(&plan, "C:\\w\\.git", CORDON_ACL_PROTECTED_DENY);
	assert_int_equal(c->aces[0].type, CORDON_ACE_DENY);
	assert_int_equal(c->aces[0].flags, OICI);
	assert_int_equal(c->aces[0].mask, CORDON_WRITE_RIGHTS);
	assert_true(cordon_sid_equal(&c->aces[0].sid, &sandbox_sid));
	assert_null(find_change(&plan, "C:\\w\\.git\\HEAD", CORDON_ACL_PROTECTED_DENY));
	assert_non_null(find_change(&plan, "C:\\repo\\.git\\worktrees\\wt", CORDON_ACL_GITDIR_DENY));
	assert_int_equal(plan.protected_found, 5);

	/* .agents and .cordon are absent from every root; .git and .codex
	 * from the temp and extra roots. ".codex." on disk (made through
	 * \\?\) is denied, but Win32 ".codex" names another, missing object. */
	assert_int_equal(plan.missing_count, 3 + 4 + 4);
	assert_string_equal(plan.missing_protected[0], "C:\\w\\.codex");
	assert_string_equal(plan.missing_protected[1], "C:\\w\\.agents");

	/* Everyone-writable outside the roots, not inside. */
	assert_int_equal(count_reason(&plan, CORDON_ACL_EVERYONE_WRITABLE_DENY), 2);
	c = find_change(&plan, "C:\\drop", CORDON_ACL_EVERYONE_WRITABLE_DENY);
	assert_non_null(c);
	assert_true(cordon_sid_equal(&c->aces[0].sid, &workspace_sid));
	assert_int_equal(c->aces[0].flags, OICI);
	c = find_change(&plan, "C:\\drop\\inner", CORDON_ACL_EVERYONE_WRITABLE_DENY);
	assert_int_equal(c->aces[0].flags, 0);
	assert_null(find_change(&plan, "C:\\w\\public", CORDON_ACL_EVERYONE_WRITABLE_DENY));
	assert_int_equal(plan.audit.stop, CORDON_AUDIT_COMPLETE);

	c = find_change(&plan, "C:\\state", CORDON_ACL_STATE_DENY);
	assert_non_null(c);
	assert_true(cordon_sid_equal(&c->aces[0].sid, &sandbox_sid));
	assert_int_equal(plan.change_count, 3 + 5 + 2 + 1);
	assert_int_equal(plan.root_count, 3);
	assert_int_equal(plan.roots_replanned, 3);
	assert_int_equal(strlen(plan.fingerprint), 64);
	cordon_acl_plan_free(&plan);
	tree_free(&t);
}

/* Elevated mode: the command runs as a sandbox account, so each root's
 * allow is doubled for the accounts' group (the normal access check),
 * with the same shape; Everyone-writable entries are denied to the group
 * too; protected names and the state need nothing more. Idempotent, and
 * switching a workspace from restricted-token to elevated re-plans it. */
static void test_elevated_plan_grants_and_denies_the_sandbox_group(void **state)
{
	cordon_sid group = sid_of("S-1-5-21-1-2-3-1100");
	tree t;
	cordon_acl_inputs in;
	cordon_acl_plan unelevated, plan, again;
	cordon_win_snapshot s;
	cordon_error err;
	const cordon_acl_change *c;

	(void)state;
	sids();
	small_tree(&t);
	s = snap(&t);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, roots3, 3);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &unelevated, &err), CORDON_OK);
	in.sandbox_group_present = true;
	in.sandbox_group_sid = group;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_OK);

	c = find_change(&plan, "C:\\w", CORDON_ACL_ROOT_ALLOW);
	assert_non_null(c);
	assert_int_equal(c->ace_count, 4);
	assert_true(cordon_sid_equal(&c->aces[2].sid, &group));
	assert_true(cordon_sid_equal(&c->aces[3].sid, &group));
	/* The group's pair mirrors the capability SID's: no delete-child,
	 * no DELETE on the root itself. */
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(c->aces[i + 2].mask, c->aces[i].mask);
		assert_int_equal(c->aces[i + 2].flags, c->aces[i].flags);
		assert_int_equal(c->aces[i + 2].mask & CORDON_FILE_DELETE_CHILD, 0);
	}
	assert_int_equal(c->aces[2].mask & CORDON_DELETE, 0);
	c = find_change(&plan, "C:\\tmp", CORDON_ACL_ROOT_ALLOW);
	assert_true(cordon_sid_equal(&c->aces[0].sid, &shared_sid));
	assert_true(cordon_sid_equal(&c->aces[2].sid, &group));

	c = find_change(&plan, "C:\\drop", CORDON_ACL_EVERYONE_WRITABLE_DENY);
	assert_non_null(c);
	assert_int_equal(c->ace_count, 2);
	assert_true(cordon_sid_equal(&c->aces[1].sid, &group));
	assert_int_equal(c->aces[1].type, CORDON_ACE_DENY);
	assert_int_equal(c->aces[1].mask, CORDON_WRITE_RIGHTS);
	assert_int_equal(c->aces[1].flags, OICI);

	/* Nothing else changes: the same count of descriptor writes. */
	c = find_change(&plan, "C:\\w\\.git", CORDON_ACL_PROTECTED_DENY);
	assert_int_equal(c->ace_count, 1);
	assert_int_equal(plan.change_count, unelevated.change_count);
	assert_string_not_equal(plan.roots[0].fingerprint, unelevated.roots[0].fingerprint);
	assert_string_not_equal(plan.fingerprint, unelevated.fingerprint);

	/* Applied, then planned again: nothing to write. */
	apply(&t, &plan);
	s = snap(&t);
	in.previous = plan.roots;
	in.previous_count = plan.root_count;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &again, &err), CORDON_OK);
	assert_int_equal(again.change_count, 0);
	assert_int_equal(again.roots_unchanged, 3);
	cordon_acl_plan_free(&again);

	/* The extra root dropped: its shared and group allows both go. */
	in.root_count = 2;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &again, &err), CORDON_OK);
	c = find_change(&again, "C:\\x1", CORDON_ACL_STALE_ROOT_REMOVE);
	assert_non_null(c);
	assert_true(c->remove);
	assert_int_equal(c->ace_count, 4);
	assert_true(cordon_sid_equal(&c->aces[3].sid, &group));
	cordon_acl_plan_free(&again);
	cordon_acl_plan_free(&plan);
	cordon_acl_plan_free(&unelevated);
	tree_free(&t);
}

/* Applying and planning again with the same policy and tree: zero
 * security descriptors to write, the same fingerprint. */
static void test_second_plan_writes_nothing(void **state)
{
	tree t;
	cordon_acl_inputs in;
	cordon_acl_plan first, second;
	cordon_win_snapshot s;
	cordon_error err;

	(void)state;
	sids();
	small_tree(&t);
	s = snap(&t);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, roots3, 3);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &first, &err), CORDON_OK);
	assert_int_equal(apply(&t, &first), 11);
	s = snap(&t);
	in.previous = first.roots;
	in.previous_count = first.root_count;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &second, &err), CORDON_OK);
	assert_int_equal(second.change_count, 0);
	assert_int_equal(second.roots_unchanged, 3);
	assert_int_equal(second.roots_replanned, 0);
	assert_string_equal(first.fingerprint, second.fingerprint);
	cordon_acl_plan_free(&second);
	/* Without the record, the DACLs alone show nothing is missing. */
	in.previous = NULL;
	in.previous_count = 0;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &second, &err), CORDON_OK);
	assert_int_equal(second.change_count, 0);
	assert_int_equal(second.roots_replanned, 3);
	cordon_acl_plan_free(&second);
	/* Someone strips the deny from .git: the next plan puts it back. */
	{
		size_t i = index_of(&t, "C:\\w\\.git");

		t.entries[i].ace_count = 1;
		t.aces[i][0] = cordon_ace_make(CORDON_ACE_ALLOW, OICI | CORDON_ACE_INHERITED,
					       CORDON_FILE_ALL_ACCESS, &user_sid);
	}
	in.previous = first.roots;
	in.previous_count = first.root_count;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &second, &err), CORDON_OK);
	assert_int_equal(second.change_count, 1);
	assert_non_null(find_change(&second, "C:\\w\\.git", CORDON_ACL_PROTECTED_DENY));
	cordon_acl_plan_free(&second);
	cordon_acl_plan_free(&first);
	tree_free(&t);
}

/* One extra root replaced by another: that root is re-planned alone, and
 * the shared SID's allow on the dropped root is removed. */
static void test_changing_one_root_replans_it_alone(void **state)
{
	tree t;
	cordon_acl_inputs in;
	cordon_acl_plan first, second;
	cordon_win_snapshot s;
	cordon_error err;
	const cordon_acl_root roots_a[] = {
		{"C:\\w", CORDON_ROOT_WORKSPACE},
		{"C:\\x1", CORDON_ROOT_EXTRA},
		{"C:\\x2", CORDON_ROOT_EXTRA},
	};
	const cordon_acl_root roots_b[] = {
		{"C:\\w", CORDON_ROOT_WORKSPACE},
		{"C:\\x1", CORDON_ROOT_EXTRA},
		{"C:\\x3", CORDON_ROOT_EXTRA},
	};

	(void)state;
	sids();
	small_tree(&t);
	s = snap(&t);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, roots_a, 3);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &first, &err), CORDON_OK);
	apply(&t, &first);
	s = snap(&t);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, roots_b, 3);
	in.previous = first.roots;
	in.previous_count = first.root_count;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &second, &err), CORDON_OK);
	assert_int_equal(second.roots_replanned, 1);
	assert_int_equal(second.roots_unchanged, 2);
	assert_int_equal(second.change_count, 2);
	assert_int_equal(second.changes[0].reason, CORDON_ACL_ROOT_ALLOW);
	assert_string_equal(second.changes[0].path, "C:\\x3");
	assert_int_equal(second.changes[0].root_index, 2);
	assert_int_equal(second.changes[1].reason, CORDON_ACL_STALE_ROOT_REMOVE);
	assert_string_equal(second.changes[1].path, "C:\\x2");
	assert_true(second.changes[1].remove);
	assert_string_equal(first.roots[0].fingerprint, second.roots[0].fingerprint);
	assert_string_not_equal(first.fingerprint, second.fingerprint);
	apply(&t, &second);
	{
		size_t i = index_of(&t, "C:\\x2");

		for (size_t k = 0; k < t.entries[i].ace_count; k++)
			assert_false(cordon_sid_equal(&t.entries[i].aces[k].sid, &shared_sid));
	}
	cordon_acl_plan_free(&second);
	cordon_acl_plan_free(&first);
	tree_free(&t);
}

static void test_protected_names_change_the_fingerprint(void **state)
{
	tree t;
	cordon_acl_inputs in;
	cordon_acl_plan a, b;
	cordon_win_snapshot s;
	cordon_error err;

	(void)state;
	sids();
	small_tree(&t);
	s = snap(&t);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, roots3, 3);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &a, &err), CORDON_OK);
	in.protected_count = 3;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &b, &err), CORDON_OK);
	for (size_t r = 0; r < 3; r++)
		assert_string_not_equal(a.roots[r].fingerprint, b.roots[r].fingerprint);
	cordon_acl_plan_free(&b);
	/* A new nested repository changes the workspace's fingerprint only. */
	{
		cordon_sid user = user_sid;
		cordon_ace full = cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_FILE_ALL_ACCESS, &user);

		add(&t, "C:\\w\\vendor\\.git", true, &full, 1);
	}
	s = snap(&t);
	in.protected_count = 4;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &b, &err), CORDON_OK);
	assert_string_not_equal(a.roots[0].fingerprint, b.roots[0].fingerprint);
	assert_string_equal(a.roots[1].fingerprint, b.roots[1].fingerprint);
	assert_non_null(find_change(&b, "C:\\w\\vendor\\.git", CORDON_ACL_PROTECTED_DENY));
	cordon_acl_plan_free(&b);
	cordon_acl_plan_free(&a);
	tree_free(&t);
}

static void test_refusals(void **state)
{
	tree t;
	cordon_acl_inputs in;
	cordon_acl_plan plan;
	cordon_win_snapshot s;
	cordon_error err;
	const cordon_acl_root link_root[] = {{"C:\\w\\link", CORDON_ROOT_EXTRA}};
	const cordon_acl_root missing_root[] = {{"C:\\nowhere", CORDON_ROOT_EXTRA}};
	const cordon_acl_root file_root[] = {{"C:\\w\\src\\a.c", CORDON_ROOT_EXTRA}};

	(void)state;
	sids();
	small_tree(&t);
	s = snap(&t);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, link_root, 1);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_E_UNTRUSTED_LINK);
	assert_string_equal(err.message,
			    "cannot make C:\\w\\link writable: it is a junction or symbolic link "
			    "(to C:\\Windows), and granting it would grant its target; name the "
			    "target directory itself");
	assert_int_equal(plan.change_count, 0);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, missing_root, 1);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_E_NOT_FOUND);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, file_root, 1);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_E_INVALID);
	assert_int_equal(cordon_acl_plan_build(NULL, &s, &plan, &err), CORDON_E_INVALID);
	/* Full access: no sandbox, nothing to apply. */
	inputs(&in, CORDON_MODE_FULL_ACCESS, roots3, 3);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_OK);
	assert_int_equal(plan.change_count, 0);
	cordon_acl_plan_free(&plan);
	tree_free(&t);
}

/* Read-only: nothing granted; every Everyone-writable entry denied for
 * the read-only SID, inside the workspace too. */
static void test_read_only_plan(void **state)
{
	tree t;
	cordon_acl_inputs in;
	cordon_acl_plan plan;
	cordon_win_snapshot s;
	cordon_error err;

	(void)state;
	sids();
	small_tree(&t);
	s = snap(&t);
	inputs(&in, CORDON_MODE_READ_ONLY, NULL, 0);
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_OK);
	assert_int_equal(count_reason(&plan, CORDON_ACL_ROOT_ALLOW), 0);
	assert_int_equal(count_reason(&plan, CORDON_ACL_EVERYONE_WRITABLE_DENY), 3);
	assert_true(cordon_sid_equal(
		&find_change(&plan, "C:\\w\\public", CORDON_ACL_EVERYONE_WRITABLE_DENY)->aces[0].sid,
		&readonly_sid));
	assert_non_null(find_change(&plan, "C:\\state", CORDON_ACL_STATE_DENY));
	assert_int_equal(plan.audit.examined, t.count);
	cordon_acl_plan_free(&plan);
	tree_free(&t);
}

static double fake_now(void *context)
{
	double *clock_value = context;

	*clock_value += 1.0;
	return *clock_value;
}

static void test_audit_limits_are_reported(void **state)
{
	tree t;
	cordon_acl_inputs in;
	cordon_acl_plan plan;
	cordon_win_snapshot s;
	cordon_error err;
	cordon_sid everyone = cordon_sid_everyone();
	cordon_ace open = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_WRITE_DATA, &everyone);
	char path[64];
	double clock_value = 0;

	(void)state;
	sids();
	memset(&t, 0, sizeof(t));
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "C:\\open%d", i);
		add(&t, path, true, &open, 1);
	}
	s = snap(&t);
	inputs(&in, CORDON_MODE_READ_ONLY, NULL, 0);
	in.audit_max_entries = 10;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_OK);
	assert_int_equal(plan.audit.stop, CORDON_AUDIT_COUNT_LIMIT);
	assert_int_equal(plan.audit.examined, 10);
	assert_int_equal(plan.audit.writable_found, 10);
	cordon_acl_plan_free(&plan);

	in.audit_max_entries = 0;
	in.audit_max_seconds = 2.5;
	in.now = fake_now;
	in.now_context = &clock_value;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_OK);
	assert_int_equal(plan.audit.stop, CORDON_AUDIT_TIME_LIMIT);
	assert_true(plan.audit.examined < 1000);
	cordon_acl_plan_free(&plan);

	in.audit_max_seconds = 0;
	assert_int_equal(cordon_acl_plan_build(&in, &s, &plan, &err), CORDON_OK);
	assert_int_equal(plan.audit.stop, CORDON_AUDIT_COMPLETE);
	assert_int_equal(plan.audit.examined, 1000);
	assert_int_equal(plan.change_count, 1000);
	cordon_acl_plan_free(&plan);
	tree_free(&t);
}

static void test_everyone_writable_predicate(void **state)
{
	cordon_sid everyone = cordon_sid_everyone(), au = cordon_sid_authenticated_users();
	cordon_sid logon = sid_of("S-1-5-5-0-1234");
	cordon_ace a;

	(void)state;
	assert_true(cordon_dacl_everyone_writable(false, NULL, 0));
	assert_false(cordon_dacl_everyone_writable(true, NULL, 0));
	a = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_GENERIC_WRITE, &everyone);
	assert_true(cordon_dacl_everyone_writable(true, &a, 1));
	a = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_GENERIC_READ, &everyone);
	assert_false(cordon_dacl_everyone_writable(true, &a, 1));
	a = cordon_ace_make(CORDON_ACE_ALLOW, OICI | CORDON_ACE_INHERIT_ONLY, CORDON_GENERIC_ALL, &everyone);
	assert_false(cordon_dacl_everyone_writable(true, &a, 1));
	a = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_DELETE, &logon);
	assert_true(cordon_dacl_everyone_writable(true, &a, 1));
	a = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_GENERIC_ALL, &au);
	assert_false(cordon_dacl_everyone_writable(true, &a, 1));
	a = cordon_ace_make(CORDON_ACE_DENY, 0, CORDON_GENERIC_ALL, &everyone);
	assert_false(cordon_dacl_everyone_writable(true, &a, 1));
}

static void test_dacl_apply_change_order(void **state)
{
	cordon_sid x = sid_of("S-1-5-21-1-1-1-1"), y = sid_of("S-1-5-21-2-2-2-2");
	cordon_ace current[] = {
		cordon_ace_make(CORDON_ACE_DENY, 0, CORDON_FILE_WRITE_DATA, &x),
		cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_READ_DATA, &x),
		cordon_ace_make(CORDON_ACE_DENY, CORDON_ACE_INHERITED, CORDON_DELETE, &y),
		cordon_ace_make(CORDON_ACE_ALLOW, CORDON_ACE_INHERITED, CORDON_FILE_ALL_ACCESS, &y),
	};
	cordon_acl_change change;
	cordon_ace *out;
	size_t n;

	(void)state;
	memset(&change, 0, sizeof(change));
	change.aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_FILE_GENERIC_WRITE, &y);
	change.aces[1] = cordon_ace_make(CORDON_ACE_DENY, OICI, CORDON_WRITE_RIGHTS, &y);
	change.aces[2] = current[0]; /* already there */
	change.ace_count = 3;
	assert_true(cordon_dacl_apply_change(current, 4, &change, &out, &n));
	assert_int_equal(n, 6);
	assert_true(cordon_ace_equal(&out[0], &current[0]));
	assert_true(cordon_ace_equal(&out[1], &change.aces[1]));
	assert_true(cordon_ace_equal(&out[2], &current[1]));
	assert_true(cordon_ace_equal(&out[3], &change.aces[0]));
	assert_true(cordon_ace_equal(&out[4], &current[2]));
	assert_true(cordon_ace_equal(&out[5], &current[3]));
	free(out);
	/* Removing takes explicit ACEs only, never inherited ones. */
	change.remove = true;
	change.aces[0] = current[1];
	change.aces[1] = current[3];
	change.ace_count = 2;
	assert_true(cordon_dacl_apply_change(current, 4, &change, &out, &n));
	assert_int_equal(n, 3);
	assert_true(cordon_ace_equal(&out[0], &current[0]));
	assert_true(cordon_ace_equal(&out[1], &current[2]));
	assert_true(cordon_ace_equal(&out[2], &current[3]));
	free(out);
}

static void test_token_plan(void **state)
{
	cordon_token_inputs in;
	cordon_token_plan plan;
	cordon_error err;
	cordon_sid everyone = cordon_sid_everyone();
	cordon_sid logon = sid_of("S-1-5-5-0-777");
	cordon_sid run = sid_of("S-1-5-21-501-502-503-504");

	(void)state;
	sids();
	memset(&in, 0, sizeof(in));
	in.run = run;
	in.mode = CORDON_MODE_WORKSPACE_WRITE;
	in.has_shared_roots = true;
	in.user = user_sid;
	in.logon = logon;
	in.workspace = workspace_sid;
	in.shared = shared_sid;
	in.sandbox = sandbox_sid;
	in.readonly = readonly_sid;
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_OK);
	assert_true(plan.write_restricted);
	assert_true(plan.disable_max_privilege);
	assert_string_equal(plan.kept_privilege, "SeChangeNotifyPrivilege");
	assert_int_equal(plan.restricting_count, 6);
	assert_true(cordon_sid_equal(&plan.restricting[0], &workspace_sid));
	assert_true(cordon_sid_equal(&plan.restricting[1], &shared_sid));
	assert_true(cordon_sid_equal(&plan.restricting[2], &run));
	assert_true(cordon_sid_equal(&plan.restricting[3], &sandbox_sid));
	assert_true(cordon_sid_equal(&plan.restricting[4], &logon));
	assert_true(cordon_sid_equal(&plan.restricting[5], &everyone));
	/* The default DACL: user, SYSTEM and this run alone. The workspace
	 * SID (every run of the workspace holds it) is not there. */
	assert_int_equal(plan.default_dacl_count, 3);
	assert_true(cordon_sid_equal(&plan.default_dacl[0].sid, &user_sid));
	assert_true(cordon_sid_equal(&plan.default_dacl[2].sid, &run));
	for (size_t i = 0; i < plan.default_dacl_count; i++) {
		assert_false(cordon_sid_equal(&plan.default_dacl[i].sid, &workspace_sid));
		assert_false(cordon_sid_equal(&plan.default_dacl[i].sid, &shared_sid));
		assert_false(cordon_sid_equal(&plan.default_dacl[i].sid, &logon));
		assert_false(cordon_sid_equal(&plan.default_dacl[i].sid, &everyone));
	}

	in.has_shared_roots = false;
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_OK);
	assert_int_equal(plan.restricting_count, 5);
	for (size_t i = 0; i < plan.restricting_count; i++)
		assert_false(cordon_sid_equal(&plan.restricting[i], &shared_sid));

	in.mode = CORDON_MODE_READ_ONLY;
	in.has_shared_roots = true;
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_OK);
	assert_int_equal(plan.restricting_count, 5);
	assert_true(cordon_sid_equal(&plan.default_dacl[2].sid, &run));
	for (size_t i = 0; i < plan.restricting_count; i++) {
		assert_false(cordon_sid_equal(&plan.restricting[i], &workspace_sid));
		assert_false(cordon_sid_equal(&plan.restricting[i], &shared_sid));
	}
	assert_true(cordon_sid_equal(&plan.restricting[0], &readonly_sid));

	/* The elevated shape (the runner): the same plan from the sandbox
	 * account's own user and logon SIDs. The account's SID is never a
	 * restricting SID, so the command cannot open the runner's process
	 * (whose DACL names only the account and SYSTEM) for writing; its
	 * default DACL names the account, not the user. */
	cordon_sid account = sid_of("S-1-5-21-1-2-3-1010"), account_logon = sid_of("S-1-5-5-0-1234");
	in.mode = CORDON_MODE_WORKSPACE_WRITE;
	in.user = account;
	in.logon = account_logon;
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_OK);
	assert_int_equal(plan.restricting_count, 6);
	assert_true(cordon_sid_equal(&plan.restricting[4], &account_logon));
	for (size_t i = 0; i < plan.restricting_count; i++) {
		assert_false(cordon_sid_equal(&plan.restricting[i], &account));
		assert_false(cordon_sid_equal(&plan.restricting[i], &user_sid));
	}
	assert_true(cordon_sid_equal(&plan.default_dacl[0].sid, &account));
	for (size_t i = 0; i < plan.default_dacl_count; i++)
		assert_false(cordon_sid_equal(&plan.default_dacl[i].sid, &user_sid));
	in.user = user_sid;
	in.logon = logon;

	in.mode = CORDON_MODE_FULL_ACCESS;
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_E_INVALID);
	in.mode = CORDON_MODE_WORKSPACE_WRITE;
	in.logon = user_sid;
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_E_INVALID);
	in.logon = logon;

	/* No run SID, or one that is another SID of the run: refused, so a
	 * caller that forgot to make one cannot fall back to sharing. */
	const cordon_sid *not_a_run_sid[] = {&workspace_sid, &shared_sid, &sandbox_sid, &readonly_sid,
					     &user_sid};
	for (size_t i = 0; i < sizeof(not_a_run_sid) / sizeof(not_a_run_sid[0]); i++) {
		in.run = *not_a_run_sid[i];
		assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_E_INVALID);
		assert_non_null(strstr(err.message, "run's own SID"));
	}
	memset(&in.run, 0, sizeof(in.run));
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_E_INVALID);
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Planning cost on a synthetic 100,000-entry tree. Prints the time;
 * asserts only what the plan contains, never how fast it was. */
static void test_planning_cost_on_100k_entries(void **state)
{
	tree t;
	cordon_acl_inputs in;
	cordon_acl_plan first, second;
	cordon_win_snapshot s;
	cordon_error err;
	cordon_sid everyone = cordon_sid_everyone();
	cordon_ace user_full = cordon_ace_make(CORDON_ACE_ALLOW, OICI | CORDON_ACE_INHERITED,
					       CORDON_FILE_ALL_ACCESS, &user_sid);
	cordon_ace open = cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &everyone);
	char path[128];
	size_t written;
	double start, first_seconds, second_seconds;

	(void)state;
	sids();
	memset(&t, 0, sizeof(t));
	add(&t, "C:\\w", true, &user_full, 1);
	add(&t, "C:\\tmp", true, &user_full, 1);
	add(&t, "C:\\x1", true, &user_full, 1);
	add(&t, "C:\\state", true, &user_full, 1);
	add(&t, "C:\\w\\.git", true, &user_full, 1);
	for (int d = 0; d < 900; d++) {
		snprintf(path, sizeof(path), "C:\\w\\pkg%d", d);
		add(&t, path, true, &user_full, 1);
		if (d % 100 == 0) {
			snprintf(path, sizeof(path), "C:\\w\\pkg%d\\.Git", d);
			add(&t, path, true, &user_full, 1);
		}
		for (int f = 0; f < 99; f++) {
			snprintf(path, sizeof(path), "C:\\w\\pkg%d\\file%d.c", d, f);
			add(&t, path, false, &user_full, 1);
		}
	}
	while (t.count < 100000) {
		snprintf(path, sizeof(path), "C:\\Program Files\\app\\f%zu", t.count);
		add(&t, path, false, t.count % 1000 ? &user_full : &open, 1);
	}
	s = snap(&t);
	inputs(&in, CORDON_MODE_WORKSPACE_WRITE, roots3, 3);
	in.audit_max_entries = 1000000;
	in.audit_max_seconds = 60;

	start = seconds_now();
	assert_int_equal(cordon_acl_plan_build(&in, &s, &first, &err), CORDON_OK);
	first_seconds = seconds_now() - start;
	assert_int_equal(first.protected_found, 10);
	assert_int_equal(count_reason(&first, CORDON_ACL_EVERYONE_WRITABLE_DENY), first.audit.writable_found);
	assert_true(first.audit.writable_found > 0);
	written = apply(&t, &first);
	s = snap(&t);
	in.previous = first.roots;
	in.previous_count = first.root_count;
	start = seconds_now();
	assert_int_equal(cordon_acl_plan_build(&in, &s, &second, &err), CORDON_OK);
	second_seconds = seconds_now() - start;
	assert_int_equal(second.change_count, 0);
	print_message("planning cost, %zu entries: first plan %.3f s (%zu descriptors to write, "
		      "%zu DACLs compared, audit examined %zu), second plan %.3f s (0 to write)\n",
		      t.count, first_seconds, written, first.dacls_compared, first.audit.examined,
		      second_seconds);
	cordon_acl_plan_free(&second);
	cordon_acl_plan_free(&first);
	tree_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_plan_asks_for_the_right_aces),
		cmocka_unit_test(test_second_plan_writes_nothing),
		cmocka_unit_test(test_elevated_plan_grants_and_denies_the_sandbox_group),
		cmocka_unit_test(test_changing_one_root_replans_it_alone),
		cmocka_unit_test(test_protected_names_change_the_fingerprint),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_read_only_plan),
		cmocka_unit_test(test_audit_limits_are_reported),
		cmocka_unit_test(test_everyone_writable_predicate),
		cmocka_unit_test(test_dacl_apply_change_order),
		cmocka_unit_test(test_token_plan),
		cmocka_unit_test(test_planning_cost_on_100k_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
