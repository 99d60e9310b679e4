/* Every Windows smoke case with a filesystem meaning, decided by the
 * access-check model after the ACL plan has been applied to a modelled
 * machine. Then the same cases against deliberately broken plans: each
 * breakage must turn at least the cases it is meant to open into
 * "allowed", which shows the model can catch the mistake.
 *
 * Case numbers refer to /work/shared/reference/smoke-cases.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support_model.h"

#define ALICE "S-1-5-21-1-2-3-1001"
#define LOGON "S-1-5-5-0-999"
#define OICI  (CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT)

#define HOME	"C:\\Users\\alice"
#define PROJ	HOME "\\proj"
#define OUTSIDE HOME "\\outside"
#define TEMP	HOME "\\AppData\\Local\\Temp"
#define STATE	HOME "\\AppData\\Local\\cordon"
#define EXTRA	"C:\\extra"

enum breakage {
	BREAK_NONE = 0,
	BREAK_DELETE_CHILD = 1 << 0,		/* root allow also grants FILE_DELETE_CHILD */
	BREAK_NO_EVERYONE_DENY = 1 << 1,	/* no deny on Everyone-writable directories */
	BREAK_PROTECTED_NOT_INHERITED = 1 << 2, /* protected deny on the name only */
	BREAK_CASE_SENSITIVE = 1 << 3,		/* protected names matched byte for byte */
	BREAK_NO_STATE_DENY = 1 << 4,		/* cordon's state not denied */
	BREAK_NO_GITDIR_DENY = 1 << 5,		/* a worktree's gitdir not denied */
	BREAK_ROOT_CAN_BE_DELETED = 1 << 6,	/* the root's own ACE carries DELETE */
};

static const struct {
	enum breakage flag;
	const char *name;
} breakages[] = {
	{BREAK_DELETE_CHILD, "allow ACE with FILE_DELETE_CHILD"},
	{BREAK_NO_EVERYONE_DENY, "no deny on Everyone-writable directories"},
	{BREAK_PROTECTED_NOT_INHERITED, "protected deny not inheritable"},
	{BREAK_CASE_SENSITIVE, "protected names matched case-sensitively"},
	/* BREAK_NO_STATE_DENY: the default roots leave the state outside, so
	 * test_state_inside_a_root checks that one. */
	{BREAK_NO_GITDIR_DENY, "worktree gitdir not denied"},
	{BREAK_ROOT_CAN_BE_DELETED, "root ACE grants DELETE on the root itself"},
};

typedef enum op {
	OP_WRITE,
	OP_APPEND,
	OP_MKDIR_WRITE, /* mkdir path, then write path\file.txt */
	OP_DEEP_WRITE,	/* mkdir path\d1\d2\d3, then write a file there */
	OP_MKDIR,
	OP_DELETE,
	OP_RENAME,
	OP_WRITE_DAC,
} op;

typedef struct smoke_case {
	const char *name;
	cordon_mode mode;
	op op;
	const char *path;
	const char *path2;
	model_verdict expected;
	/* Breakages that must turn this case into "allowed". */
	unsigned caught_by;
	/* Allowed under the narrow reading of "write access" (DELETE,
	 * WRITE_DAC and FILE_DELETE_CHILD not re-checked): the exposure
	 * docs/windows.md lists. */
	bool narrow_exposed;
} smoke_case;

#define RO CORDON_MODE_READ_ONLY
#define WS CORDON_MODE_WORKSPACE_WRITE

static const smoke_case cases[] = {
	/* 1-9: where writes land. */
	{"01 ro create in cwd", RO, OP_WRITE, PROJ "\\new.txt", NULL, MODEL_DENIED, 0, false},
	{"02 ws create in cwd", WS, OP_WRITE, PROJ "\\new.txt", NULL, MODEL_ALLOWED, 0, false},
	{"03 ws create outside", WS, OP_WRITE, OUTSIDE "\\new.txt", NULL, MODEL_DENIED, 0, false},
	{"03 ws overwrite outside", WS, OP_WRITE, OUTSIDE "\\secret.txt", NULL, MODEL_DENIED, 0, false},
	{"03 ws create in drive root", WS, OP_WRITE, "C:\\evil.txt", NULL, MODEL_DENIED, 0, false},
	{"03 ws create in system dir", WS, OP_WRITE, "C:\\Windows\\System32\\evil.dll", NULL, MODEL_DENIED, 0,
	 false},
	{"04 ws write extra root", WS, OP_WRITE, EXTRA "\\new.txt", NULL, MODEL_ALLOWED, 0, false},
	{"05 ro write extra root", RO, OP_WRITE, EXTRA "\\new.txt", NULL, MODEL_DENIED, 0, false},
	{"06 ws write temp", WS, OP_WRITE, TEMP "\\t.txt", NULL, MODEL_ALLOWED, 0, false},
	{"07 ro write temp", RO, OP_WRITE, TEMP "\\t.txt", NULL, MODEL_DENIED, 0, false},
	{"08 ws append", WS, OP_APPEND, PROJ "\\src\\a.txt", NULL, MODEL_ALLOWED, 0, false},
	{"09 ro append", RO, OP_APPEND, PROJ "\\src\\a.txt", NULL, MODEL_DENIED, 0, false},
	{"12 ws mkdir then write", WS, OP_MKDIR_WRITE, PROJ "\\newdir", NULL, MODEL_ALLOWED, 0, false},
	{"13 ws rename", WS, OP_RENAME, PROJ "\\src\\a.txt", PROJ "\\src\\b.txt", MODEL_ALLOWED, 0, false},
	{"14 ws delete", WS, OP_DELETE, PROJ "\\src\\a.txt", NULL, MODEL_ALLOWED, 0, false},
	{"27 ws deep mkdir and write", WS, OP_DEEP_WRITE, PROJ "\\deep", NULL, MODEL_ALLOWED, 0, false},
	{"28 ws move within", WS, OP_RENAME, PROJ "\\src\\a.txt", PROJ "\\moved.txt", MODEL_ALLOWED, 0,
	 false},
	{"28 ws move out of the workspace", WS, OP_RENAME, PROJ "\\src\\a.txt", OUTSIDE "\\a.txt",
	 MODEL_DENIED, 0, false},
	{"28 ws move an outside file in", WS, OP_RENAME, OUTSIDE "\\secret.txt", PROJ "\\secret.txt",
	 MODEL_DENIED, 0, true},
	{"ws delete an outside file", WS, OP_DELETE, OUTSIDE "\\secret.txt", NULL, MODEL_DENIED, 0, true},
	{"ws rewrite an outside DACL", WS, OP_WRITE_DAC, OUTSIDE "\\secret.txt", NULL, MODEL_DENIED, 0, true},
	/* The roots themselves. */
	{"ws rename the workspace root", WS, OP_RENAME, PROJ, HOME "\\proj2", MODEL_DENIED, 0, false},
	{"ws delete an empty dir in a root", WS, OP_DELETE, EXTRA "\\empty", NULL, MODEL_ALLOWED, 0, false},
	{"ws delete the temp root itself", WS, OP_DELETE, HOME "\\AppData\\Local\\Temp", NULL, MODEL_DENIED,
	 BREAK_ROOT_CAN_BE_DELETED, true},
	/* 31, 41, 44: links inside the workspace. */
	{"31 junction into System32", WS, OP_WRITE, PROJ "\\sysjunction\\evil.dll", NULL, MODEL_DENIED, 0,
	 false},
	{"31 junction to an outside dir", WS, OP_WRITE, PROJ "\\outjunction\\secret.txt", NULL, MODEL_DENIED,
	 0, false},
	{"41 junction to an Everyone-writable dir", WS, OP_WRITE, PROJ "\\dropjunction\\x.txt", NULL,
	 MODEL_DENIED, BREAK_NO_EVERYONE_DENY, false},
	{"44 junction to another drive", WS, OP_WRITE, PROJ "\\djunction\\x.txt", NULL, MODEL_DENIED, 0,
	 false},
	/* 32, 33: not files. */
	{"32 raw disk device", WS, OP_WRITE, "\\\\.\\PhysicalDrive0", NULL, MODEL_REFUSED, 0, false},
	{"32 volume device", WS, OP_WRITE, "\\\\.\\C:", NULL, MODEL_REFUSED, 0, false},
	{"33 named pipe spelling", WS, OP_WRITE, "\\\\.\\pipe\\cordon-test", NULL, MODEL_REFUSED, 0, false},
	/* 34: streams. */
	{"34 stream of an outside file", WS, OP_WRITE, OUTSIDE "\\secret.txt:payload", NULL, MODEL_DENIED, 0,
	 false},
	{"34 default stream of an outside file", WS, OP_WRITE, OUTSIDE "\\secret.txt::$DATA", NULL,
	 MODEL_DENIED, 0, false},
	{"34 stream of an outside directory", WS, OP_WRITE, OUTSIDE ":payload", NULL, MODEL_DENIED, 0, false},
	{"34 stream of a workspace file", WS, OP_WRITE, PROJ "\\src\\a.txt:meta", NULL, MODEL_ALLOWED, 0,
	 false},
	{"34 stream of a protected file", WS, OP_WRITE, PROJ "\\.git\\HEAD:payload", NULL, MODEL_DENIED,
	 BREAK_PROTECTED_NOT_INHERITED, false},
	{"34 ro stream in the workspace", RO, OP_WRITE, PROJ "\\src\\a.txt:meta", NULL, MODEL_DENIED, 0,
	 false},
	/* 35, 43: other spellings of outside paths. */
	{"35 extended-length outside", WS, OP_WRITE, "\\\\?\\" OUTSIDE "\\x.txt", NULL, MODEL_DENIED, 0,
	 false},
	{"35 extended-length inside", WS, OP_WRITE, "\\\\?\\" PROJ "\\y.txt", NULL, MODEL_ALLOWED, 0, false},
	{"35 forward slashes and dot-dot", WS, OP_WRITE, "C:/Users/alice/proj/../outside/x.txt", NULL,
	 MODEL_DENIED, 0, false},
	{"43 admin share outside", WS, OP_WRITE, "\\\\localhost\\C$\\Users\\alice\\outside\\x.txt", NULL,
	 MODEL_DENIED, 0, false},
	{"43 admin share to Everyone-writable", WS, OP_WRITE, "\\\\localhost\\C$\\Drop\\x.txt", NULL,
	 MODEL_DENIED, BREAK_NO_EVERYONE_DENY, false},
	{"43 admin share inside", WS, OP_WRITE, "\\\\127.0.0.1\\c$\\Users\\alice\\proj\\z.txt", NULL,
	 MODEL_ALLOWED, 0, false},
	/* 36, 38: protected names and their spellings. */
	{"36 .git file", WS, OP_WRITE, PROJ "\\.git\\config", NULL, MODEL_DENIED,
	 BREAK_PROTECTED_NOT_INHERITED, false},
	{"36 .GiT case variant", WS, OP_WRITE, PROJ "\\.GiT\\config", NULL, MODEL_DENIED,
	 BREAK_PROTECTED_NOT_INHERITED, false},
	{"36 .git. trailing dot", WS, OP_WRITE, PROJ "\\.git.\\HEAD", NULL, MODEL_DENIED,
	 BREAK_PROTECTED_NOT_INHERITED, false},
	{"36 extended-length .GIT", WS, OP_WRITE, "\\\\?\\" PROJ "\\.GIT\\config", NULL, MODEL_DENIED,
	 BREAK_PROTECTED_NOT_INHERITED, false},
	{"36 new hook in .git", WS, OP_WRITE, PROJ "\\.git\\hooks-post-checkout", NULL, MODEL_DENIED, 0,
	 false},
	{"36 mkdir in .GIT", WS, OP_MKDIR, PROJ "\\.GIT\\hooks", NULL, MODEL_DENIED, 0, false},
	{"36 nested repo stored as .GIT", WS, OP_WRITE, PROJ "\\sub\\.GIT\\config", NULL, MODEL_DENIED,
	 BREAK_CASE_SENSITIVE | BREAK_PROTECTED_NOT_INHERITED, false},
	{"36 rename .git away", WS, OP_RENAME, PROJ "\\.git", PROJ "\\.git-old", MODEL_DENIED,
	 BREAK_DELETE_CHILD, true},
	{"36 rename .GIT away by case", WS, OP_RENAME, PROJ "\\.GIT", PROJ "\\old", MODEL_DENIED,
	 BREAK_DELETE_CHILD, true},
	{"36 delete a file in .git", WS, OP_DELETE, PROJ "\\.git\\HEAD", NULL, MODEL_DENIED,
	 BREAK_PROTECTED_NOT_INHERITED, true},
	{"36 rewrite the DACL of .git", WS, OP_WRITE_DAC, PROJ "\\.git", NULL, MODEL_DENIED, 0, true},
	{"36 worktree .git file", WS, OP_WRITE, PROJ "\\wt\\.git", NULL, MODEL_DENIED, 0, false},
	{"36 worktree .git file deleted", WS, OP_DELETE, PROJ "\\wt\\.Git", NULL, MODEL_DENIED,
	 BREAK_DELETE_CHILD, true},
	{"36 worktree gitdir", WS, OP_WRITE, EXTRA "\\gitdirs\\wt\\HEAD", NULL, MODEL_DENIED,
	 BREAK_NO_GITDIR_DENY, false},
	{"38 .codex policy file", WS, OP_WRITE, PROJ "\\.codex\\config.toml", NULL, MODEL_DENIED,
	 BREAK_PROTECTED_NOT_INHERITED, false},
	{"38 .codex policy file moved out", WS, OP_RENAME, PROJ "\\.codex\\config.toml", PROJ "\\stolen.toml",
	 MODEL_DENIED, BREAK_PROTECTED_NOT_INHERITED, true},
	{"38 .CODEX. spelled with case and dot", WS, OP_APPEND, PROJ "\\.CODEX.\\config.toml", NULL,
	 MODEL_DENIED, BREAK_PROTECTED_NOT_INHERITED, false},
	/* A name that does not exist cannot carry an ACE (reported by the
	 * plan as missing_protected; see docs/windows.md). */
	{"gap: create a missing protected name", WS, OP_MKDIR, PROJ "\\.agents", NULL, MODEL_ALLOWED, 0,
	 false},
	/* \\?\ keeps the trailing dot: a different object that Win32 paths,
	 * and so git, can never reach as .git. */
	{"extended .git. is another name", WS, OP_MKDIR, "\\\\?\\" PROJ "\\.git.", NULL, MODEL_ALLOWED, 0,
	 false},
	/* 37: cordon's state. */
	{"37 state outside the roots", WS, OP_WRITE, STATE "\\capsid", NULL, MODEL_DENIED, 0, false},
	{"37 ro state", RO, OP_WRITE, STATE "\\capsid", NULL, MODEL_DENIED, 0, false},
	/* 41: Everyone-writable directories outside the roots. */
	{"41 Everyone-writable dir", WS, OP_WRITE, "C:\\Drop\\x.txt", NULL, MODEL_DENIED,
	 BREAK_NO_EVERYONE_DENY, false},
	{"41 Everyone-writable subdir", WS, OP_WRITE, "C:\\Drop\\sub\\x.txt", NULL, MODEL_DENIED,
	 BREAK_NO_EVERYONE_DENY, false},
	{"41 Everyone-writable file", WS, OP_APPEND, "C:\\Drop\\shared.log", NULL, MODEL_DENIED,
	 BREAK_NO_EVERYONE_DENY, false},
	{"41 logon-SID-writable file", WS, OP_WRITE, "C:\\ProgramData\\session.dat", NULL, MODEL_DENIED,
	 BREAK_NO_EVERYONE_DENY, false},
	{"41 ro Everyone-writable dir", RO, OP_WRITE, "C:\\Drop\\x.txt", NULL, MODEL_DENIED,
	 BREAK_NO_EVERYONE_DENY, false},
	{"41 ro stream on Everyone-writable file", RO, OP_WRITE, "C:\\Drop\\shared.log:x", NULL, MODEL_DENIED,
	 BREAK_NO_EVERYONE_DENY, false},
};

/* -------------------------------------------------------------- world */

typedef struct world {
	model_tree tree;
	cordon_sid user, workspace, shared, sandbox, readonly, logon;
	cordon_sid groups[6];
	size_t group_count;
} world;

static cordon_sid sid_of(const char *text)
{
	cordon_sid sid;

	assert_true(cordon_sid_parse(text, &sid));
	return sid;
}

static const uint8_t secret[CORDON_CAPSID_SECRET_BYTES] = "winacl test secret, not random!";

static void build_world(world *w, const char *workspace_path)
{
	cordon_sid system = cordon_sid_local_system(), admins = cordon_sid_administrators();
	cordon_sid users = sid_of("S-1-5-32-545"), au = cordon_sid_authenticated_users();
	cordon_sid everyone = cordon_sid_everyone();
	cordon_sid trusted = sid_of("S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464");
	model_tree *t = &w->tree;
	model_node *n;

	memset(w, 0, sizeof(*w));
	model_tree_init(t);
	w->user = sid_of(ALICE);
	w->logon = sid_of(LOGON);
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_WORKSPACE, workspace_path,
					 &w->workspace));
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_SHARED, NULL, &w->shared));
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_SANDBOX, NULL, &w->sandbox));
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_READONLY, NULL, &w->readonly));
	w->groups[w->group_count++] = everyone;
	w->groups[w->group_count++] = users;
	w->groups[w->group_count++] = au;
	w->groups[w->group_count++] = sid_of("S-1-5-4"); /* INTERACTIVE */
	w->groups[w->group_count++] = w->logon;

	{
		/* A drive root as Windows installs it, simplified. */
		cordon_ace root[] = {
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &admins),
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &system),
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_READ | CORDON_GENERIC_EXECUTE,
					&users),
			cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_SUBDIRECTORY, &au),
		};
		cordon_ace profile[] = {
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &w->user),
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &system),
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &admins),
		};
		cordon_ace drop[] = {cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &everyone)};
		cordon_ace session[] = {
			cordon_ace_make(CORDON_ACE_ALLOW, 0,
					CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_WRITE, &w->logon),
		};
		cordon_ace system32[] = {
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &trusted),
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_READ | CORDON_GENERIC_EXECUTE,
					&users),
		};
		cordon_ace user_owned[] = {
			cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &w->user)};

		model_add(t, "C:\\", true, &trusted, root, 4);
		model_add(t, "C:\\Windows", true, &trusted, NULL, 0);
		n = model_add(t, "C:\\Windows\\System32", true, &trusted, system32, 2);
		n->dacl_protected = true;
		model_add(t, "C:\\Users", true, &system, NULL, 0);
		n = model_add(t, HOME, true, &w->user, profile, 3);
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
		model_add_junction(t, PROJ "\\sysjunction", "C:\\Windows\\System32", &w->user);
		model_add_junction(t, PROJ "\\outjunction", OUTSIDE, &w->user);
		model_add_junction(t, PROJ "\\dropjunction", "C:\\Drop", &w->user);
		model_add_junction(t, PROJ "\\djunction", "D:\\data", &w->user);
		model_add(t, OUTSIDE, true, &w->user, NULL, 0);
		model_add(t, OUTSIDE "\\secret.txt", false, &w->user, NULL, 0);
		model_add(t, HOME "\\AppData", true, &w->user, NULL, 0);
		model_add(t, HOME "\\AppData\\Local", true, &w->user, NULL, 0);
		model_add(t, TEMP, true, &w->user, NULL, 0);
		model_add(t, STATE, true, &w->user, NULL, 0);
		model_add(t, STATE "\\capsid", false, &w->user, NULL, 0);
		model_add_junction(t, HOME "\\projlink", OUTSIDE, &w->user);
		model_add_junction(t, HOME "\\rootlink", "C:\\", &w->user);
		n = model_add(t, EXTRA, true, &w->user, user_owned, 1);
		model_add(t, EXTRA "\\empty", true, &w->user, NULL, 0);
		model_add(t, EXTRA "\\gitdirs", true, &w->user, NULL, 0);
		model_add(t, EXTRA "\\gitdirs\\wt", true, &w->user, NULL, 0);
		model_add(t, EXTRA "\\gitdirs\\wt\\HEAD", false, &w->user, NULL, 0);
		model_add(t, "C:\\Drop", true, &admins, drop, 1);
		model_add(t, "C:\\Drop\\sub", true, &admins, NULL, 0);
		model_add(t, "C:\\Drop\\shared.log", false, &admins, NULL, 0);
		model_add(t, "C:\\ProgramData", true, &system, NULL, 0);
		model_add(t, "C:\\ProgramData\\session.dat", false, &system, session, 1);
		model_add(t, "D:\\", true, &w->user, user_owned, 1);
		model_add(t, "D:\\data", true, &w->user, NULL, 0);
	}
}

static const char *const protected_names[] = {".git", ".codex", ".agents", ".cordon"};

static void world_inputs(const world *w, cordon_mode mode, const cordon_acl_root *roots, size_t root_count,
			 cordon_acl_inputs *in)
{
	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->roots = mode == CORDON_MODE_READ_ONLY ? NULL : roots;
	in->root_count = mode == CORDON_MODE_READ_ONLY ? 0 : root_count;
	in->protected_names = protected_names;
	in->protected_count = 4;
	in->state_dir = STATE;
	in->workspace_sid = w->workspace;
	in->shared_sid = w->shared;
	in->sandbox_sid = w->sandbox;
	in->readonly_sid = w->readonly;
	in->audit_max_entries = 100000;
}

static const cordon_acl_root default_roots[] = {
	{PROJ, CORDON_ROOT_WORKSPACE},
	{TEMP, CORDON_ROOT_TMP},
	{EXTRA, CORDON_ROOT_EXTRA},
};

static bool last_component_is_exactly_a_name(const char *path)
{
	const char *last = strrchr(path, '\\');

	last = last ? last + 1 : path;
	for (size_t i = 0; i < 4; i++)
		if (strcmp(last, protected_names[i]) == 0)
			return true;
	return false;
}

static void break_plan(cordon_acl_plan *plan, unsigned breakage)
{
	size_t kept = 0;

	for (size_t i = 0; i < plan->change_count; i++) {
		cordon_acl_change *c = &plan->changes[i];
		bool drop = false;

		if (c->reason == CORDON_ACL_ROOT_ALLOW && (breakage & BREAK_DELETE_CHILD))
			for (size_t j = 0; j < c->ace_count; j++)
				c->aces[j].mask |= CORDON_FILE_DELETE_CHILD;
		if (c->reason == CORDON_ACL_ROOT_ALLOW && (breakage & BREAK_ROOT_CAN_BE_DELETED))
			c->aces[0].mask |= CORDON_DELETE;
		if (c->reason == CORDON_ACL_PROTECTED_DENY && (breakage & BREAK_PROTECTED_NOT_INHERITED))
			c->aces[0].flags = 0;
		if (c->reason == CORDON_ACL_PROTECTED_DENY && (breakage & BREAK_CASE_SENSITIVE) &&
		    !last_component_is_exactly_a_name(c->path))
			drop = true;
		if (c->reason == CORDON_ACL_EVERYONE_WRITABLE_DENY && (breakage & BREAK_NO_EVERYONE_DENY))
			drop = true;
		if (c->reason == CORDON_ACL_STATE_DENY && (breakage & BREAK_NO_STATE_DENY))
			drop = true;
		if (c->reason == CORDON_ACL_GITDIR_DENY && (breakage & BREAK_NO_GITDIR_DENY))
			drop = true;
		if (drop) {
			free(c->path);
			continue;
		}
		plan->changes[kept++] = *c;
	}
	plan->change_count = kept;
}

/* Plans, breaks as asked, applies to the world, and returns the token. */
static model_token plan_and_apply(world *w, cordon_mode mode, const cordon_acl_root *roots, size_t root_count,
				  unsigned breakage, model_write_set write_set)
{
	cordon_acl_inputs in;
	cordon_acl_plan plan;
	cordon_win_snapshot snapshot = model_snapshot(&w->tree);
	cordon_token_inputs token_in;
	cordon_token_plan token_plan;
	cordon_error err;

	world_inputs(w, mode, roots, root_count, &in);
	assert_int_equal(cordon_acl_plan_build(&in, &snapshot, &plan, &err), CORDON_OK);
	model_snapshot_free(&snapshot);
	break_plan(&plan, breakage);
	assert_true(model_apply_plan(&w->tree, &plan));
	cordon_acl_plan_free(&plan);

	memset(&token_in, 0, sizeof(token_in));
	token_in.mode = mode;
	token_in.has_shared_roots = true;
	token_in.user = w->user;
	token_in.logon = w->logon;
	token_in.workspace = w->workspace;
	token_in.shared = w->shared;
	token_in.sandbox = w->sandbox;
	token_in.readonly = w->readonly;
	assert_int_equal(cordon_token_plan_build(&token_in, &token_plan, &err), CORDON_OK);
	return model_token_from_plan(&token_plan, &w->user, w->groups, w->group_count, write_set);
}

static model_verdict run_case(world *w, const model_token *t, const smoke_case *c)
{
	char buffer[512];
	model_verdict v;

	switch (c->op) {
	case OP_WRITE: return model_write(&w->tree, t, c->path);
	case OP_APPEND: return model_append(&w->tree, t, c->path);
	case OP_MKDIR: return model_mkdir(&w->tree, t, c->path);
	case OP_MKDIR_WRITE:
		v = model_mkdir(&w->tree, t, c->path);
		if (v != MODEL_ALLOWED)
			return v;
		snprintf(buffer, sizeof(buffer), "%s\\file.txt", c->path);
		return model_write(&w->tree, t, buffer);
	case OP_DEEP_WRITE: {
		const char *parts[] = {"", "\\d1", "\\d2", "\\d3"};

		buffer[0] = '\0';
		snprintf(buffer, sizeof(buffer), "%s", c->path);
		for (size_t i = 0; i < 4; i++) {
			strncat(buffer, parts[i], sizeof(buffer) - strlen(buffer) - 1);
			v = model_mkdir(&w->tree, t, buffer);
			if (v != MODEL_ALLOWED)
				return v;
		}
		strncat(buffer, "\\f.txt", sizeof(buffer) - strlen(buffer) - 1);
		return model_write(&w->tree, t, buffer);
	}
	case OP_DELETE: return model_delete(&w->tree, t, c->path);
	case OP_RENAME: return model_rename(&w->tree, t, c->path, c->path2);
	case OP_WRITE_DAC: return model_write_dac(&w->tree, t, c->path);
	}
	return MODEL_REFUSED;
}

/* Each case on a fresh world, so one case's writes never help another. */
static model_verdict verdict_for(const smoke_case *c, unsigned breakage, model_write_set set)
{
	world w;
	model_token t;
	model_verdict v;

	build_world(&w, PROJ);
	t = plan_and_apply(&w, c->mode, default_roots, 3, breakage, set);
	v = run_case(&w, &t, c);
	model_tree_free(&w.tree);
	return v;
}

/* ------------------------------------------------------------- tests */

static void test_good_plan_defeats_every_case(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		model_verdict v = verdict_for(&cases[i], BREAK_NONE, MODEL_WRITE_WITH_STANDARD);

		if (v != cases[i].expected) {
			print_error("case '%s': model says %s, expected %s\n", cases[i].name,
				    model_verdict_name(v), model_verdict_name(cases[i].expected));
			failures++;
		}
	}
	print_message("%zu smoke cases evaluated with the good plan\n", sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(failures, 0);
}

/* Under the narrow reading (only FILE_GENERIC_WRITE's specific rights
 * re-checked), exactly the cases marked narrow_exposed change: they rely
 * on DELETE, WRITE_DAC or FILE_DELETE_CHILD being re-checked, which no
 * ACE naming a capability SID can otherwise enforce. */
static void test_narrow_reading_exposes_exactly_the_marked_cases(void **state)
{
	size_t failures = 0, exposed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		model_verdict v = verdict_for(&cases[i], BREAK_NONE, MODEL_WRITE_GENERIC_MAPPING);
		model_verdict want = cases[i].narrow_exposed ? MODEL_ALLOWED : cases[i].expected;

		if (v != want) {
			print_error("case '%s' (narrow reading): model says %s, expected %s\n", cases[i].name,
				    model_verdict_name(v), model_verdict_name(want));
			failures++;
		}
		exposed += cases[i].narrow_exposed;
	}
	print_message("narrow reading: %zu cases exposed, as docs/windows.md lists\n", exposed);
	assert_int_equal(failures, 0);
}

static void test_broken_plans_are_caught(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t b = 0; b < sizeof(breakages) / sizeof(breakages[0]); b++) {
		size_t caught = 0, flipped_elsewhere = 0;

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const smoke_case *c = &cases[i];
			model_verdict v = verdict_for(c, breakages[b].flag, MODEL_WRITE_WITH_STANDARD);

			if (c->caught_by & breakages[b].flag) {
				if (v == MODEL_ALLOWED) {
					caught++;
				} else {
					print_error("breakage '%s' should open case '%s', model says %s\n",
						    breakages[b].name, c->name, model_verdict_name(v));
					failures++;
				}
			} else if (v != c->expected) {
				flipped_elsewhere++;
			}
		}
		print_message("breakage '%s': %zu case(s) caught, %zu other case(s) changed\n",
			      breakages[b].name, caught, flipped_elsewhere);
		/* A breakage that changed other cases too would mean the case
		 * table mislabels what protects what. */
		if (caught == 0 || flipped_elsewhere != 0)
			failures++;
	}
	assert_int_equal(failures, 0);
}

/* 30 and 42: a root that is a junction is refused by the plan, so
 * nothing is granted and the command does not run. */
static void test_root_that_is_a_junction_is_refused(void **state)
{
	const char *links[] = {HOME "\\projlink", HOME "\\rootlink"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		world w;
		cordon_acl_root roots[] = {{links[i], CORDON_ROOT_WORKSPACE}};
		cordon_acl_inputs in;
		cordon_acl_plan plan;
		cordon_win_snapshot snapshot;
		cordon_error err;

		build_world(&w, links[i]);
		snapshot = model_snapshot(&w.tree);
		world_inputs(&w, CORDON_MODE_WORKSPACE_WRITE, roots, 1, &in);
		assert_int_equal(cordon_acl_plan_build(&in, &snapshot, &plan, &err), CORDON_E_UNTRUSTED_LINK);
		assert_non_null(strstr(err.message, "junction"));
		assert_int_equal(plan.change_count, 0);
		model_snapshot_free(&snapshot);
		model_tree_free(&w.tree);
	}
}

/* 37 with the state directory inside a writable root: only the deny
 * keeps it read-only, and dropping the deny is caught. */
static void test_state_inside_a_root(void **state)
{
	const cordon_acl_root roots[] = {
		{PROJ, CORDON_ROOT_WORKSPACE},
		{HOME "\\AppData\\Local", CORDON_ROOT_EXTRA},
	};

	(void)state;
	for (int broken = 0; broken < 2; broken++) {
		world w;
		model_token t;

		build_world(&w, PROJ);
		t = plan_and_apply(&w, CORDON_MODE_WORKSPACE_WRITE, roots, 2,
				   broken ? BREAK_NO_STATE_DENY : BREAK_NONE, MODEL_WRITE_WITH_STANDARD);
		assert_int_equal(model_write(&w.tree, &t, HOME "\\AppData\\Local\\other.txt"), MODEL_ALLOWED);
		assert_int_equal(model_write(&w.tree, &t, STATE "\\capsid"),
				 broken ? MODEL_ALLOWED : MODEL_DENIED);
		/* Denied means the bytes were never touched. */
		assert_int_equal(model_find(&w.tree, STATE "\\capsid")->writes, broken ? 1 : 0);
		assert_int_equal(model_write(&w.tree, &t, STATE "\\new"),
				 broken ? MODEL_ALLOWED : MODEL_DENIED);
		model_tree_free(&w.tree);
	}
}

/* Per-workspace SIDs: after two workspaces are planned, each run can
 * write its own workspace and not the other's. */
static void test_workspaces_are_isolated(void **state)
{
	world w;
	model_token first, second;
	cordon_acl_root other_roots[] = {{HOME "\\other", CORDON_ROOT_WORKSPACE}};
	cordon_acl_root proj_roots[] = {{PROJ, CORDON_ROOT_WORKSPACE}};
	cordon_sid proj_sid;

	(void)state;
	build_world(&w, PROJ);
	proj_sid = w.workspace;
	model_add(&w.tree, HOME "\\other", true, &w.user, NULL, 0);
	first = plan_and_apply(&w, CORDON_MODE_WORKSPACE_WRITE, proj_roots, 1, BREAK_NONE,
			       MODEL_WRITE_WITH_STANDARD);
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_WORKSPACE, HOME "\\other",
					 &w.workspace));
	assert_false(cordon_sid_equal(&proj_sid, &w.workspace));
	second = plan_and_apply(&w, CORDON_MODE_WORKSPACE_WRITE, other_roots, 1, BREAK_NONE,
				MODEL_WRITE_WITH_STANDARD);
	assert_int_equal(model_write(&w.tree, &first, PROJ "\\a.txt"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w.tree, &first, HOME "\\other\\a.txt"), MODEL_DENIED);
	assert_int_equal(model_write(&w.tree, &second, HOME "\\other\\b.txt"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w.tree, &second, PROJ "\\b.txt"), MODEL_DENIED);
	/* The user, outside any sandbox, keeps every right. */
	{
		model_token plain;

		memset(&plain, 0, sizeof(plain));
		plain.user = w.user;
		memcpy(plain.groups, w.groups, sizeof(w.groups));
		plain.group_count = w.group_count;
		assert_int_equal(model_write(&w.tree, &plain, PROJ "\\.git\\config"), MODEL_ALLOWED);
		assert_int_equal(model_write(&w.tree, &plain, "C:\\Drop\\mine.txt"), MODEL_ALLOWED);
		assert_int_equal(model_rename(&w.tree, &plain, PROJ "\\.codex", PROJ "\\.codex2"),
				 MODEL_ALLOWED);
	}
	model_tree_free(&w.tree);
}

/* Files created later inherit the protections: a new file in .git made
 * by the user is still denied to the sandbox. */
static void test_protection_reaches_files_created_later(void **state)
{
	world w;
	model_token t, plain;

	(void)state;
	build_world(&w, PROJ);
	t = plan_and_apply(&w, CORDON_MODE_WORKSPACE_WRITE, default_roots, 3, BREAK_NONE,
			   MODEL_WRITE_WITH_STANDARD);
	memset(&plain, 0, sizeof(plain));
	plain.user = w.user;
	memcpy(plain.groups, w.groups, sizeof(w.groups));
	plain.group_count = w.group_count;
	assert_int_equal(model_mkdir(&w.tree, &plain, PROJ "\\.git\\refs"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w.tree, &plain, PROJ "\\.git\\refs\\main"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w.tree, &t, PROJ "\\.git\\refs\\main"), MODEL_DENIED);
	assert_int_equal(model_write(&w.tree, &t, PROJ "\\.git\\refs\\other"), MODEL_DENIED);
	assert_int_equal(model_mkdir(&w.tree, &plain, "C:\\Drop\\later"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\later\\x"), MODEL_DENIED);
	model_tree_free(&w.tree);
}

/* A workspace inside an Everyone-writable directory: the deny the audit
 * puts on the directory is inherited into the workspace, after the
 * workspace's own allow, so the workspace stays writable and the rest of
 * the directory does not. */
static void test_workspace_inside_an_everyone_writable_dir(void **state)
{
	const cordon_acl_root roots[] = {{"C:\\Drop\\proj", CORDON_ROOT_WORKSPACE}};
	world w;
	model_token t;

	(void)state;
	build_world(&w, "C:\\Drop\\proj");
	model_add(&w.tree, "C:\\Drop\\proj", true, &w.user, NULL, 0);
	model_add(&w.tree, "C:\\Drop\\proj\\old.txt", false, &w.user, NULL, 0);
	t = plan_and_apply(&w, CORDON_MODE_WORKSPACE_WRITE, roots, 1, BREAK_NONE, MODEL_WRITE_WITH_STANDARD);
	assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\proj\\new.txt"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\proj\\old.txt"), MODEL_ALLOWED);
	assert_int_equal(model_delete(&w.tree, &t, "C:\\Drop\\proj\\old.txt"), MODEL_ALLOWED);
	assert_int_equal(model_mkdir(&w.tree, &t, "C:\\Drop\\proj\\d"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\proj\\d\\f"), MODEL_ALLOWED);
	assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\x.txt"), MODEL_DENIED);
	assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\sub\\x.txt"), MODEL_DENIED);
	assert_int_equal(model_rename(&w.tree, &t, "C:\\Drop\\proj", "C:\\Drop\\moved"), MODEL_DENIED);
	model_tree_free(&w.tree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_plan_defeats_every_case),
		cmocka_unit_test(test_narrow_reading_exposes_exactly_the_marked_cases),
		cmocka_unit_test(test_broken_plans_are_caught),
		cmocka_unit_test(test_root_that_is_a_junction_is_refused),
		cmocka_unit_test(test_state_inside_a_root),
		cmocka_unit_test(test_workspaces_are_isolated),
		cmocka_unit_test(test_protection_reaches_files_created_later),
		cmocka_unit_test(test_workspace_inside_an_everyone_writable_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
