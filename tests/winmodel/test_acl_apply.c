/* The code that applies the Windows ACL plan (src/windows/plan/acl_apply.c)
 * run against a file port backed by the access-check model: ACE order,
 * inheritance, zero writes on a warm run, one root re-planned alone,
 * junctions never followed (also when swapped in between snapshot and
 * apply), the record's round trip, the per-install secret, and the
 * access verdicts the applied plan gives a write-restricted token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support_model.h"
#include "support_model_port.h"
#include "windows/plan/acl_apply.h"
#include "windows/plan/token_plan.h"

#define ALICE "S-1-5-21-1-2-3-1001"
#define LOGON "S-1-5-5-0-999"
#define OICI  (CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT)

#define HOME	 "C:\\Users\\alice"
#define PROJ	 HOME "\\proj"
#define OUTSIDE	 HOME "\\outside"
#define OUTSIDE2 HOME "\\elsewhere"
#define TEMP	 HOME "\\AppData\\Local\\Temp"
#define STATE	 HOME "\\AppData\\Local\\cordon"
#define EXTRA	 "C:\\extra"

typedef struct world {
	model_tree tree;
	model_port port;
	cordon_fs_port fs;
	memory_state state;
	cordon_state_port state_port;
	cordon_sid user, workspace, shared, sandbox, readonly, logon;
	cordon_sid groups[6];
	size_t group_count;
} world;

static const char *const protected_names[] = {".git", ".codex", ".agents"};
static const cordon_acl_root default_roots[] = {
	{PROJ, CORDON_ROOT_WORKSPACE},
	{TEMP, CORDON_ROOT_TMP},
	{EXTRA, CORDON_ROOT_EXTRA},
};
/* Outside the roots, for the Everyone-writable audit. OUTSIDE is left
 * out so that "never read" means never read. */
static const char *const audit_dirs[] = {"C:\\Drop", "C:\\Null"};

static cordon_sid sid_of(const char *text)
{
	cordon_sid sid;

	assert_true(cordon_sid_parse(text, &sid));
	return sid;
}

static const uint8_t secret[CORDON_CAPSID_SECRET_BYTES] = "acl apply test secret, not rand";

static world *world_new(void)
{
	world *w = calloc(1, sizeof(*w));
	cordon_sid system = cordon_sid_local_system(), admins = cordon_sid_administrators();
	cordon_sid everyone = cordon_sid_everyone();
	model_tree *t;
	model_node *n;

	assert_non_null(w);
	t = &w->tree;
	model_tree_init(t);
	w->user = sid_of(ALICE);
	w->logon = sid_of(LOGON);
	assert_true(
		cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_WORKSPACE, PROJ, &w->workspace));
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_SHARED, NULL, &w->shared));
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_SANDBOX, NULL, &w->sandbox));
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_READONLY, NULL, &w->readonly));
	w->groups[w->group_count++] = everyone;
	w->groups[w->group_count++] = sid_of("S-1-5-32-545");
	w->groups[w->group_count++] = cordon_sid_authenticated_users();
	w->groups[w->group_count++] = w->logon;
	{
		cordon_ace root[] = {
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &admins),
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &system),
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_READ | CORDON_GENERIC_EXECUTE,
					&w->groups[1]),
		};
		cordon_ace profile[] = {
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &w->user),
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &system),
		};
		cordon_ace drop[] = {cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &everyone)};
		cordon_ace user_owned[] = {
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &w->user)};

		model_add(t, "C:\\", true, &system, root, 3);
		model_add(t, "C:\\Users", true, &system, NULL, 0);
		n = model_add(t, HOME, true, &w->user, profile, 2);
		n->dacl_protected = true;
		model_add(t, PROJ, true, &w->user, NULL, 0);
		model_add(t, PROJ "\\src", true, &w->user, NULL, 0);
		model_add(t, PROJ "\\src\\a.txt", false, &w->user, NULL, 0);
		model_add(t, PROJ "\\.git", true, &w->user, NULL, 0);
		model_add(t, PROJ "\\.git\\HEAD", false, &w->user, NULL, 0);
		model_add(t, PROJ "\\.git\\config", false, &w->user, NULL, 0);
		model_add(t, PROJ "\\.codex", true, &w->user, NULL, 0);
		model_add(t, PROJ "\\.codex\\config.toml", false, &w->user, NULL, 0);
		model_add(t, PROJ "\\sub", true, &w->user, NULL, 0);
		model_add(t, PROJ "\\sub\\.GIT", true, &w->user, NULL, 0);
		model_add(t, PROJ "\\sub\\.GIT\\config", false, &w->user, NULL, 0);
		model_add(t, PROJ "\\wt", true, &w->user, NULL, 0);
		n = model_add(t, PROJ "\\wt\\.git", false, &w->user, NULL, 0);
		n->gitdir = strdup(EXTRA "\\gitdirs\\wt");
		/* Links inside the workspace, pointing out. */
		model_add_junction(t, PROJ "\\outjunction", OUTSIDE, &w->user);
		model_add(t, PROJ "\\lib", true, &w->user, NULL, 0);
		model_add_junction(t, PROJ "\\lib\\.agents", OUTSIDE2, &w->user);
		model_add(t, OUTSIDE, true, &w->user, NULL, 0);
		model_add(t, OUTSIDE "\\secret.txt", false, &w->user, NULL, 0);
		model_add(t, OUTSIDE "\\.git", true, &w->user, NULL, 0);
		model_add(t, OUTSIDE "\\.git\\config", false, &w->user, NULL, 0);
		model_add(t, OUTSIDE2, true, &w->user, NULL, 0);
		model_add(t, OUTSIDE2 "\\.GIT", true, &w->user, NULL, 0);
		model_add(t, OUTSIDE2 "\\.GIT\\config", false, &w->user, NULL, 0);
		model_add_junction(t, HOME "\\projlink", OUTSIDE, &w->user);
		model_add(t, HOME "\\AppData", true, &w->user, NULL, 0);
		model_add(t, HOME "\\AppData\\Local", true, &w->user, NULL, 0);
		model_add(t, TEMP, true, &w->user, NULL, 0);
		model_add(t, STATE, true, &w->user, NULL, 0);
		model_add(t, EXTRA, true, &w->user, user_owned, 1);
		model_add(t, EXTRA "\\gitdirs", true, &w->user, NULL, 0);
		model_add(t, EXTRA "\\gitdirs\\wt", true, &w->user, NULL, 0);
		model_add(t, EXTRA "\\gitdirs\\wt\\HEAD", false, &w->user, NULL, 0);
		model_add(t, "C:\\Drop", true, &admins, drop, 1);
		model_add(t, "C:\\Drop\\sub", true, &admins, NULL, 0);
		model_add(t, "C:\\Drop\\shared.log", false, &admins, NULL, 0);
		model_add_junction(t, "C:\\Drop\\link", OUTSIDE, &admins);
		n = model_add(t, "C:\\Null", true, &admins, NULL, 0);
		n->dacl_present = false;
	}
	model_port_init(&w->port, &w->tree);
	w->fs = model_port_fs(&w->port);
	memory_state_init(&w->state);
	w->state_port = memory_state_port(&w->state);
	return w;
}

static void world_free(world *w)
{
	model_port_free(&w->port);
	memory_state_free(&w->state);
	model_tree_free(&w->tree);
	free(w);
}

static void inputs_for(const world *w, const cordon_acl_root *roots, size_t root_count, cordon_acl_inputs *in)
{
	memset(in, 0, sizeof(*in));
	in->mode = CORDON_MODE_WORKSPACE_WRITE;
	in->roots = roots;
	in->root_count = root_count;
	in->protected_names = protected_names;
	in->protected_count = 3;
	in->state_dir = STATE;
	in->workspace_sid = w->workspace;
	in->shared_sid = w->shared;
	in->sandbox_sid = w->sandbox;
	in->readonly_sid = w->readonly;
	in->audit_max_entries = 1000;
}

static cordon_code run_once(world *w, cordon_acl_apply_result *result, cordon_error *err)
{
	cordon_acl_inputs in;

	inputs_for(w, default_roots, 3, &in);
	return cordon_acl_apply_once(&w->fs, &w->state_port, &in, audit_dirs, 2, result, err);
}

static void run_ok(world *w, cordon_acl_apply_result *result)
{
	cordon_error err;
	cordon_code code = run_once(w, result, &err);

	if (code != CORDON_OK)
		fail_msg("apply failed: %s", err.message);
}

static model_node *node(world *w, const char *path)
{
	model_node *n = model_find(&w->tree, path);

	if (!n)
		fail_msg("no node %s", path);
	return n;
}

static bool has_ace(const model_node *n, cordon_ace_type type, const cordon_sid *sid, bool inherited)
{
	for (size_t i = 0; i < n->ace_count; i++)
		if (n->aces[i].type == type && cordon_sid_equal(&n->aces[i].sid, sid) &&
		    ((n->aces[i].flags & CORDON_ACE_INHERITED) != 0) == inherited)
			return true;
	return false;
}

/* Explicit denies, then explicit allows, then inherited ACEs. */
static bool canonical_order(const cordon_ace *aces, size_t count)
{
	int stage = 0;

	for (size_t i = 0; i < count; i++) {
		int this_stage = (aces[i].flags & CORDON_ACE_INHERITED) ? 2
				 : aces[i].type == CORDON_ACE_DENY	? 0
									: 1;

		if (this_stage < stage)
			return false;
		stage = this_stage;
	}
	return true;
}

/* ------------------------------------------------------------------ tests */

static void test_first_run_writes_canonical_dacls(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;

	(void)state;
	run_ok(w, &r);
	/* Three root allows, .git, .codex, sub\.GIT, wt\.git, the gitdir,
	 * the state directory, the junction named .agents (its own DACL),
	 * and the audit's Drop, Drop\sub, Drop\shared.log, Null. */
	assert_int_equal(r.descriptors_written, r.changes_planned);
	assert_int_equal(r.descriptors_written, w->port.write_count);
	assert_int_equal(w->tree.descriptors_written, w->port.write_count);
	assert_true(r.descriptors_written >= 12);
	for (size_t i = 0; i < w->port.write_count; i++) {
		const model_port_write *write = &w->port.writes[i];

		if (!canonical_order(write->aces, write->ace_count))
			fail_msg("DACL written to %s is not in canonical order", write->path);
	}
	for (size_t i = 0; i < w->tree.count; i++)
		if (!canonical_order(w->tree.nodes[i].aces, w->tree.nodes[i].ace_count))
			fail_msg("DACL of %s is not in canonical order", w->tree.nodes[i].path);
	/* The explicit deny on .git comes before the inherited allow. */
	{
		model_node *git = node(w, PROJ "\\.git");

		assert_int_equal(git->aces[0].type, CORDON_ACE_DENY);
		assert_true(cordon_sid_equal(&git->aces[0].sid, &w->sandbox));
		assert_false(git->aces[0].flags & CORDON_ACE_INHERITED);
		assert_true(has_ace(git, CORDON_ACE_ALLOW, &w->workspace, true));
	}
	assert_true(r.record_written);
	assert_false(r.record_found);
	assert_false(r.audit_truncated);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

static void test_inheritance_below_roots(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;

	(void)state;
	run_ok(w, &r);
	assert_true(has_ace(node(w, PROJ), CORDON_ACE_ALLOW, &w->workspace, false));
	assert_true(has_ace(node(w, PROJ "\\src"), CORDON_ACE_ALLOW, &w->workspace, true));
	assert_true(has_ace(node(w, PROJ "\\src\\a.txt"), CORDON_ACE_ALLOW, &w->workspace, true));
	assert_true(has_ace(node(w, PROJ "\\.git\\HEAD"), CORDON_ACE_DENY, &w->sandbox, true));
	assert_true(has_ace(node(w, PROJ "\\sub\\.GIT\\config"), CORDON_ACE_DENY, &w->sandbox, true));
	assert_true(has_ace(node(w, TEMP), CORDON_ACE_ALLOW, &w->shared, false));
	assert_true(has_ace(node(w, EXTRA "\\gitdirs\\wt\\HEAD"), CORDON_ACE_DENY, &w->sandbox, true));
	assert_true(has_ace(node(w, "C:\\Drop\\sub"), CORDON_ACE_DENY, &w->workspace, false));
	/* Nothing outside the roots got an allow for a capability SID. */
	assert_false(has_ace(node(w, OUTSIDE), CORDON_ACE_ALLOW, &w->workspace, true));
	assert_false(has_ace(node(w, HOME), CORDON_ACE_ALLOW, &w->workspace, false));
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

static void test_warm_run_writes_nothing(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;
	size_t writes_after_first, replaces_after_first;

	(void)state;
	run_ok(w, &r);
	cordon_acl_apply_result_free(&r);
	writes_after_first = w->port.write_count;
	replaces_after_first = w->state.replaces;
	print_message("first run: %lu security descriptors written\n", (unsigned long)writes_after_first);
	run_ok(w, &r);
	assert_int_equal(r.descriptors_written, 0);
	assert_int_equal(r.changes_planned, 0);
	assert_int_equal(w->port.write_count, writes_after_first);
	assert_int_equal(w->tree.descriptors_written, writes_after_first);
	assert_true(r.record_found);
	assert_false(r.record_written);
	assert_int_equal(w->state.replaces, replaces_after_first);
	assert_int_equal(r.roots_unchanged, 3);
	assert_int_equal(r.roots_replanned, 0);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

/* Elevated mode through the engine: the group's allows land on the
 * roots and are inherited below them, the group's deny on the
 * Everyone-writable directory, the DACLs stay canonical, and the warm run
 * writes nothing. Then the same workspace run in restricted-token mode
 * is re-planned (the fingerprint names the group) but writes nothing. */
static void test_elevated_variant_through_the_engine(void **state)
{
	world *w = world_new();
	cordon_sid group = sid_of("S-1-5-21-1-2-3-1100");
	cordon_acl_inputs in;
	cordon_acl_apply_result r;
	cordon_error err;

	(void)state;
	inputs_for(w, default_roots, 3, &in);
	in.sandbox_group_present = true;
	in.sandbox_group_sid = group;
	assert_int_equal(cordon_acl_apply_once(&w->fs, &w->state_port, &in, audit_dirs, 2, &r, &err),
			 CORDON_OK);
	assert_true(r.descriptors_written > 0);
	cordon_acl_apply_result_free(&r);
	assert_true(has_ace(node(w, PROJ), CORDON_ACE_ALLOW, &group, false));
	assert_true(has_ace(node(w, TEMP), CORDON_ACE_ALLOW, &group, false));
	assert_true(has_ace(node(w, EXTRA), CORDON_ACE_ALLOW, &group, false));
	assert_true(has_ace(node(w, PROJ "\\src"), CORDON_ACE_ALLOW, &group, true));
	assert_true(has_ace(node(w, "C:\\Drop"), CORDON_ACE_DENY, &group, false));
	assert_false(has_ace(node(w, PROJ "\\.git"), CORDON_ACE_ALLOW, &group, false));
	for (size_t i = 0; i < w->tree.count; i++)
		assert_true(canonical_order(w->tree.nodes[i].aces, w->tree.nodes[i].ace_count));
	assert_int_equal(cordon_acl_apply_once(&w->fs, &w->state_port, &in, audit_dirs, 2, &r, &err),
			 CORDON_OK);
	assert_int_equal(r.descriptors_written, 0);
	assert_int_equal(r.roots_unchanged, 3);
	cordon_acl_apply_result_free(&r);
	in.sandbox_group_present = false;
	assert_int_equal(cordon_acl_apply_once(&w->fs, &w->state_port, &in, audit_dirs, 2, &r, &err),
			 CORDON_OK);
	assert_int_equal(r.roots_replanned, 3);
	assert_int_equal(r.descriptors_written, 0);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

static void test_one_changed_root_replanned_alone(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;
	size_t before;

	(void)state;
	run_ok(w, &r);
	cordon_acl_apply_result_free(&r);
	model_add(&w->tree, EXTRA "\\vendor", true, &w->user, NULL, 0);
	model_add(&w->tree, EXTRA "\\vendor\\.git", true, &w->user, NULL, 0);
	before = w->port.write_count;
	run_ok(w, &r);
	assert_int_equal(r.roots_replanned, 1);
	assert_int_equal(r.roots_unchanged, 2);
	assert_int_equal(r.descriptors_written, 1);
	assert_int_equal(w->port.write_count, before + 1);
	assert_string_equal(w->port.writes[before].path, EXTRA "\\vendor\\.git");
	assert_true(r.record_written);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

/* Someone resets .git's DACL between runs: the warm run puts the deny
 * back with one write. */
static void test_reset_dacl_is_restored(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;
	model_node *git;
	size_t kept = 0;

	(void)state;
	run_ok(w, &r);
	cordon_acl_apply_result_free(&r);
	git = node(w, PROJ "\\.git");
	for (size_t i = 0; i < git->ace_count; i++)
		if (git->aces[i].flags & CORDON_ACE_INHERITED)
			git->aces[kept++] = git->aces[i];
	git->ace_count = kept;
	run_ok(w, &r);
	assert_int_equal(r.descriptors_written, 1);
	assert_true(has_ace(node(w, PROJ "\\.git"), CORDON_ACE_DENY, &w->sandbox, false));
	assert_true(has_ace(node(w, PROJ "\\.git\\HEAD"), CORDON_ACE_DENY, &w->sandbox, true));
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

/* A DACL with ACEs cordon cannot represent is refused, not rewritten. */
static void test_unknown_ace_types_are_not_rewritten(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;
	cordon_error err;

	(void)state;
	w->port.unknown_aces_path = PROJ "\\.codex";
	assert_int_equal(run_once(w, &r, &err), CORDON_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, PROJ "\\.codex"));
	assert_int_equal(model_port_writes_of(&w->port, PROJ "\\.codex", false), 0);
	assert_int_equal(w->state.replaces, 0);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

static void test_junction_inside_a_root_is_not_followed(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;

	(void)state;
	run_ok(w, &r);
	/* PROJ\outjunction -> OUTSIDE (holding a .git), PROJ\lib\.agents ->
	 * OUTSIDE2 (holding a .GIT), C:\Drop\link -> OUTSIDE: no target's
	 * DACL was read or written, nor anything below one. */
	assert_int_equal(model_port_reads_of(&w->port, OUTSIDE, true), 0);
	assert_int_equal(model_port_writes_of(&w->port, OUTSIDE, true), 0);
	assert_int_equal(model_port_reads_of(&w->port, OUTSIDE2, true), 0);
	assert_int_equal(model_port_writes_of(&w->port, OUTSIDE2, true), 0);
	assert_false(has_ace(node(w, OUTSIDE "\\.git"), CORDON_ACE_DENY, &w->sandbox, false));
	assert_false(has_ace(node(w, OUTSIDE2 "\\.GIT"), CORDON_ACE_DENY, &w->sandbox, false));
	assert_false(has_ace(node(w, OUTSIDE2), CORDON_ACE_DENY, &w->sandbox, false));
	/* A protected name that is a junction gets its deny on the link
	 * itself (read and written through a handle on the link). */
	assert_int_equal(model_port_writes_of(&w->port, PROJ "\\lib\\.agents", false), 1);
	assert_true(has_ace(node(w, PROJ "\\lib\\.agents"), CORDON_ACE_DENY, &w->sandbox, false));
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

static void test_root_that_is_a_junction_is_refused(void **state)
{
	world *w = world_new();
	cordon_acl_root roots[] = {{HOME "\\projlink", CORDON_ROOT_WORKSPACE}};
	cordon_acl_inputs in;
	cordon_acl_apply_result r;
	cordon_error err;

	(void)state;
	inputs_for(w, roots, 1, &in);
	assert_int_equal(cordon_acl_apply_once(&w->fs, &w->state_port, &in, NULL, 0, &r, &err),
			 CORDON_E_UNTRUSTED_LINK);
	assert_non_null(strstr(err.message, "junction"));
	assert_int_equal(w->port.write_count, 0);
	assert_int_equal(model_port_reads_of(&w->port, OUTSIDE, true), 0);
	assert_int_equal(w->state.replaces, 0);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

/* Between snapshot and apply, PROJ\sub is renamed away and a junction to
 * OUTSIDE2 (which holds a .GIT) put in its place. */
static void swap_sub_for_junction(model_port *port, void *context)
{
	world *w = context;

	model_port_move(port, PROJ "\\sub", PROJ "\\sub-old");
	model_add_junction(&w->tree, PROJ "\\sub", OUTSIDE2, &w->user);
}

static void test_path_swapped_for_junction_is_not_followed(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;
	cordon_error err;

	(void)state;
	w->port.before_first_change = swap_sub_for_junction;
	w->port.before_first_change_context = w;
	assert_int_equal(run_once(w, &r, &err), CORDON_E_UNTRUSTED_LINK);
	assert_non_null(strstr(err.message, PROJ "\\sub\\.GIT"));
	/* The path PROJ\sub\.GIT now reaches OUTSIDE2\.GIT: refused before
	 * its DACL was read, and never written. */
	assert_int_equal(model_port_reads_of(&w->port, OUTSIDE2, true), 0);
	assert_int_equal(model_port_writes_of(&w->port, OUTSIDE2, true), 0);
	assert_false(has_ace(node(w, OUTSIDE2 "\\.GIT"), CORDON_ACE_DENY, &w->sandbox, false));
	/* Not recorded: the next run compares everything again. */
	assert_int_equal(w->state.replaces, 0);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

/* The last component swapped: PROJ\.codex becomes a junction. */
static void swap_codex_for_junction(model_port *port, void *context)
{
	world *w = context;

	model_port_move(port, PROJ "\\.codex", PROJ "\\codex-old");
	model_add_junction(&w->tree, PROJ "\\.codex", OUTSIDE2, &w->user);
}

static void test_last_component_swapped_is_refused(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;
	cordon_error err;

	(void)state;
	w->port.before_first_change = swap_codex_for_junction;
	w->port.before_first_change_context = w;
	assert_int_equal(run_once(w, &r, &err), CORDON_E_UNTRUSTED_LINK);
	assert_int_equal(model_port_writes_of(&w->port, PROJ "\\.codex", false), 0);
	assert_int_equal(model_port_reads_of(&w->port, OUTSIDE2, true), 0);
	assert_int_equal(model_port_writes_of(&w->port, OUTSIDE2, true), 0);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

static void test_record_round_trip(void **state)
{
	cordon_acl_root_record roots[2] = {
		{.path = PROJ, .kind = CORDON_ROOT_WORKSPACE},
		{.path = "C:\\extra dir\\x y", .kind = CORDON_ROOT_EXTRA},
	};
	cordon_acl_record record = {.roots = roots, .root_count = 2}, back;
	char *text;

	(void)state;
	memset(record.fingerprint, 'a', 64);
	record.fingerprint[64] = '\0';
	memset(roots[0].fingerprint, '0', 64);
	memset(roots[1].fingerprint, 'f', 64);
	roots[0].fingerprint[64] = roots[1].fingerprint[64] = '\0';
	text = cordon_acl_record_format(&record);
	assert_non_null(text);
	assert_true(cordon_acl_record_parse(text, strlen(text), &back));
	assert_string_equal(back.fingerprint, record.fingerprint);
	assert_int_equal(back.root_count, 2);
	assert_string_equal(back.roots[1].path, "C:\\extra dir\\x y");
	assert_int_equal(back.roots[1].kind, CORDON_ROOT_EXTRA);
	assert_string_equal(back.roots[1].fingerprint, roots[1].fingerprint);
	cordon_acl_record_free(&back);
	/* Every truncation and a few corruptions are refused, not crashed on. */
	for (size_t cut = 0; cut < strlen(text); cut++)
		if (cordon_acl_record_parse(text, cut, &back)) {
			/* A cut exactly after a whole line is a valid shorter record. */
			assert_true(cut > 0 && text[cut - 1] == '\n');
			cordon_acl_record_free(&back);
		}
	{
		const char *bad[] = {
			"",
			"cordon-acl-record 2\n",
			"cordon-acl-record 1\nfingerprint xyz\n",
			"cordon-acl-record 1\nfingerprint "
			"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
			"cordon-acl-record 1\nfingerprint "
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nroot nowhere "
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa C:\\x\n",
			"cordon-acl-record 1\nfingerprint "
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nroot extra "
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \n",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			assert_false(cordon_acl_record_parse(bad[i], strlen(bad[i]), &back));
	}
	free(text);
}

static void test_corrupt_or_missing_record_means_full_plan(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;
	char name[256];
	struct memory_file *file;

	(void)state;
	run_ok(w, &r);
	cordon_acl_apply_result_free(&r);
	cordon_acl_record_name(&w->workspace, name, sizeof(name));
	file = memory_state_find(&w->state, name);
	assert_non_null(file);
	/* Corrupt: garbage in place of the record. */
	memory_state_put(&w->state, name, "\x01garbage\n\n", 10, true);
	run_ok(w, &r);
	assert_false(r.record_found);
	assert_int_equal(r.roots_replanned, 3);
	assert_int_equal(r.descriptors_written, 0); /* the DACLs are still right */
	assert_true(r.record_written);
	cordon_acl_apply_result_free(&r);
	/* and it is whole again */
	file = memory_state_find(&w->state, name);
	{
		cordon_acl_record back;

		assert_true(cordon_acl_record_parse(file->data, file->length, &back));
		assert_int_equal(back.root_count, 3);
		cordon_acl_record_free(&back);
	}
	/* Truncated mid-line. */
	memory_state_put(&w->state, name, file->data, file->length / 2, true);
	run_ok(w, &r);
	assert_false(r.record_found);
	assert_int_equal(r.roots_replanned, 3);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

static void test_secret_made_once_and_reused(void **state)
{
	memory_state s;
	cordon_state_port port;
	uint8_t first[CORDON_CAPSID_SECRET_BYTES], again[CORDON_CAPSID_SECRET_BYTES];
	bool created = false;
	cordon_error err;
	struct memory_file *file;

	(void)state;
	memory_state_init(&s);
	port = memory_state_port(&s);
	assert_int_equal(cordon_capsid_secret_load(&port, first, &created, &err), CORDON_OK);
	assert_true(created);
	assert_int_equal(s.random_calls, 1);
	assert_int_equal(s.creates, 1);
	file = memory_state_find(&s, CORDON_CAPSID_SECRET_FILE);
	assert_non_null(file);
	assert_true(file->owner_only);
	assert_memory_equal(file->data, first, sizeof(first));
	assert_int_equal(cordon_capsid_secret_load(&port, again, &created, &err), CORDON_OK);
	assert_false(created);
	assert_memory_equal(first, again, sizeof(first));
	assert_int_equal(s.random_calls, 1);
	assert_int_equal(s.creates, 1);
	/* Readable by others: refused, not replaced. */
	file->owner_only = false;
	assert_int_equal(cordon_capsid_secret_load(&port, again, &created, &err), CORDON_E_STATE);
	assert_non_null(strstr(err.message, "others"));
	assert_int_equal(s.creates, 1);
	/* The wrong size: refused, not replaced. */
	memory_state_put(&s, CORDON_CAPSID_SECRET_FILE, "short", 5, true);
	assert_int_equal(cordon_capsid_secret_load(&port, again, &created, &err), CORDON_E_STATE);
	assert_int_equal(s.creates, 1);
	memory_state_free(&s);
}

static void test_secret_race_uses_the_winner(void **state)
{
	memory_state s;
	cordon_state_port port;
	uint8_t got[CORDON_CAPSID_SECRET_BYTES];
	bool created = true;
	cordon_error err;

	(void)state;
	memory_state_init(&s);
	port = memory_state_port(&s);
	s.race_create = true;
	memset(s.race_data, 0x5a, sizeof(s.race_data));
	assert_int_equal(cordon_capsid_secret_load(&port, got, &created, &err), CORDON_OK);
	assert_false(created);
	assert_memory_equal(got, s.race_data, sizeof(got));
	assert_int_equal(s.creates, 0);
	memory_state_free(&s);
}

static model_token restricted_token(world *w)
{
	cordon_token_inputs in;
	cordon_token_plan plan;
	cordon_error err;

	memset(&in, 0, sizeof(in));
	in.mode = CORDON_MODE_WORKSPACE_WRITE;
	in.has_shared_roots = true;
	in.user = w->user;
	in.logon = w->logon;
	in.workspace = w->workspace;
	in.shared = w->shared;
	in.sandbox = w->sandbox;
	in.readonly = w->readonly;
	/* This run's own SID (random in cordon; fixed here). */
	in.run = model_run_sid();
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_OK);
	return model_token_from_plan(&plan, &w->user, w->groups, w->group_count, MODEL_READING_FORSHAW);
}

static void test_verdicts_after_apply(void **state)
{
	world *w = world_new();
	cordon_acl_apply_result r;
	model_token token;

	(void)state;
	token = restricted_token(w);
	/* Before: the restricting SIDs are granted nothing anywhere. */
	assert_int_equal(model_write(&w->tree, &token, PROJ "\\src\\a.txt"), MODEL_DENIED);
	run_ok(w, &r);
	assert_int_equal(model_write(&w->tree, &token, PROJ "\\src\\a.txt"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w->tree, &token, PROJ "\\new.txt"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w->tree, &token, TEMP "\\t.txt"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w->tree, &token, EXTRA "\\x.txt"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w->tree, &token, PROJ "\\.git\\config"), MODEL_DENIED);
	assert_int_equal(model_write(&w->tree, &token, PROJ "\\.GIT\\hooks-x"), MODEL_DENIED);
	assert_int_equal(model_write(&w->tree, &token, PROJ "\\sub\\.GIT\\config"), MODEL_DENIED);
	assert_int_equal(model_write(&w->tree, &token, PROJ "\\.codex\\config.toml"), MODEL_DENIED);
	assert_int_equal(model_write(&w->tree, &token, EXTRA "\\gitdirs\\wt\\HEAD"), MODEL_DENIED);
	assert_int_equal(model_write(&w->tree, &token, OUTSIDE "\\secret.txt"), MODEL_DENIED);
	assert_int_equal(model_write(&w->tree, &token, OUTSIDE "\\new.txt"), MODEL_DENIED);
	assert_int_equal(model_write(&w->tree, &token, PROJ "\\outjunction\\new.txt"), MODEL_DENIED);
	assert_int_equal(model_write(&w->tree, &token, STATE "\\runs.jsonl"), MODEL_DENIED);
	assert_int_equal(model_write(&w->tree, &token, "C:\\Drop\\x.txt"), MODEL_DENIED);
	/* The NULL DACL became "deny the workspace SID, allow everyone":
	 * the sandbox is kept out, everybody else still gets in. */
	assert_int_equal(model_write(&w->tree, &token, "C:\\Null\\x.txt"), MODEL_DENIED);
	{
		model_token plain;

		memset(&plain, 0, sizeof(plain));
		plain.user = w->user;
		plain.groups[0] = cordon_sid_everyone();
		plain.group_count = 1;
		assert_int_equal(model_write(&w->tree, &plain, "C:\\Null\\y.txt"), MODEL_ALLOWED);
	}
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

static void test_gitdir_from_file(void **state)
{
	char *gitdir;

	(void)state;
	gitdir = cordon_gitdir_from_file("gitdir: C:/repo/.git/worktrees/wt\n", 34, PROJ "\\wt\\.git");
	assert_string_equal(gitdir, "C:\\repo\\.git\\worktrees\\wt");
	free(gitdir);
	gitdir = cordon_gitdir_from_file("gitdir: ../main/.git/worktrees/x\r\n", 34, PROJ "\\wt\\.git");
	assert_string_equal(gitdir, PROJ "\\main\\.git\\worktrees\\x");
	free(gitdir);
	assert_null(cordon_gitdir_from_file("ref: refs/heads/main\n", 21, PROJ "\\.git"));
	assert_null(cordon_gitdir_from_file("gitdir: \n", 9, PROJ "\\.git"));
	assert_null(cordon_gitdir_from_file("gitdir: \\\\.\\pipe\\x\n", 19, PROJ "\\.git"));
}

static void test_audit_stops_at_its_limit(void **state)
{
	world *w = world_new();
	cordon_acl_inputs in;
	cordon_acl_apply_result r;
	cordon_error err;

	(void)state;
	inputs_for(w, default_roots, 3, &in);
	in.audit_max_entries = 2;
	assert_int_equal(cordon_acl_apply_once(&w->fs, &w->state_port, &in, audit_dirs, 2, &r, &err),
			 CORDON_OK);
	assert_true(r.audit_truncated);
	assert_int_equal(model_port_reads_of(&w->port, "C:\\Null", true), 0);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

/* A clock that moves one second per reading. */
static double ticking_clock(void *context)
{
	double *now = context;

	*now += 1.0;
	return *now;
}

static void test_audit_stops_at_its_time_limit(void **state)
{
	world *w = world_new();
	cordon_acl_inputs in;
	cordon_acl_apply_result r;
	cordon_error err;
	double now = 0.0;

	(void)state;
	inputs_for(w, default_roots, 3, &in);
	in.audit_max_seconds = 1.5;
	in.now = ticking_clock;
	in.now_context = &now;
	assert_int_equal(cordon_acl_apply_once(&w->fs, &w->state_port, &in, audit_dirs, 2, &r, &err),
			 CORDON_OK);
	assert_true(r.audit_truncated);
	/* The second audited directory was never reached. */
	assert_int_equal(model_port_reads_of(&w->port, "C:\\Null", true), 0);
	cordon_acl_apply_result_free(&r);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_run_writes_canonical_dacls),
		cmocka_unit_test(test_inheritance_below_roots),
		cmocka_unit_test(test_warm_run_writes_nothing),
		cmocka_unit_test(test_elevated_variant_through_the_engine),
		cmocka_unit_test(test_one_changed_root_replanned_alone),
		cmocka_unit_test(test_reset_dacl_is_restored),
		cmocka_unit_test(test_unknown_ace_types_are_not_rewritten),
		cmocka_unit_test(test_junction_inside_a_root_is_not_followed),
		cmocka_unit_test(test_root_that_is_a_junction_is_refused),
		cmocka_unit_test(test_path_swapped_for_junction_is_not_followed),
		cmocka_unit_test(test_last_component_swapped_is_refused),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_corrupt_or_missing_record_means_full_plan),
		cmocka_unit_test(test_secret_made_once_and_reused),
		cmocka_unit_test(test_secret_race_uses_the_winner),
		cmocka_unit_test(test_verdicts_after_apply),
		cmocka_unit_test(test_gitdir_from_file),
		cmocka_unit_test(test_audit_stops_at_its_limit),
		cmocka_unit_test(test_audit_stops_at_its_time_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
