/* Every Windows smoke case with a filesystem meaning, decided by the
 * access-check model after the ACL plan has been applied to a modelled
 * machine, in two token shapes and under both readings of what a
 * write-restricted token re-checks (support_model.h, model_reading):
 *
 * - restricted-token mode: the user's own token, write-restricted;
 * - the elevated mode's shape: the command runs as a separate sandbox
 *   account whose SIDs the user's folders grant nothing, under a
 *   write-restricted token made from the account's own token plus the
 *   capability SIDs (token_plan.h with the account's user and logon SIDs,
 *   as the runner builds it), after the elevated variant of the ACL plan
 *   (acl_plan.h, sandbox_group_present: the roots also granted to the
 *   sandbox group, Everyone-writable entries also denied to it) and the
 *   read grant setup gives the group on the profile.
 *
 * Each case states its four verdicts explicitly: V(restricted-token under
 * Forshaw's reading, restricted-token with delete-child re-checked,
 * elevated under Forshaw's, elevated with delete-child re-checked).
 * Where the first column says allowed and the second denied, the case is
 * a delete or rename through a parent's FILE_DELETE_CHILD that the user's
 * own SIDs grant: what restricted-token mode does not stop if Forshaw's
 * reading holds on the host (docs/windows.md lists them).
 *
 * Then the same cases against deliberately broken plans: each breakage
 * must turn at least the cases it is meant to open into "allowed", which
 * shows the model can catch the mistake.
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
/* The elevated mode's sandbox account (issue 10), its group and logon. */
#define SANDBOX_ACCOUNT "S-1-5-21-1-2-3-1010"
#define SANDBOX_GROUP	"S-1-5-21-1-2-3-1100"
#define SANDBOX_LOGON	"S-1-5-5-0-1234"
#define OICI		(CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT)

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
	/* Elevated-mode plans (sandbox account shape): */
	BREAK_NO_GROUP_EVERYONE_DENY = 1 << 7, /* Everyone-writable deny names no group */
	BREAK_GROUP_DELETE_CHILD = 1 << 8,     /* the group's root allow grants FILE_DELETE_CHILD */
	BREAK_NO_GROUP_ROOT_ALLOW = 1 << 9,    /* roots granted to the capability SIDs only */
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

typedef enum token_shape {
	SHAPE_RESTRICTED_TOKEN, /* the user's own token, write-restricted */
	SHAPE_SANDBOX_ACCOUNT,	/* elevated mode: a separate account */
} token_shape;

#define SHAPE_COUNT 2

typedef struct smoke_case {
	const char *name;
	cordon_mode mode;
	op op;
	const char *path;
	const char *path2;
	/* expected[shape][reading] */
	model_verdict expected[SHAPE_COUNT][MODEL_READING_COUNT];
	/* Breakages that must turn this case into "allowed" (restricted
	 * token, delete-child re-checked: the reading under which every
	 * protection the plan writes is effective). */
	unsigned caught_by;
} smoke_case;

#define RO CORDON_MODE_READ_ONLY
#define WS CORDON_MODE_WORKSPACE_WRITE
#define A  MODEL_ALLOWED
#define D  MODEL_DENIED
#define X  MODEL_REFUSED
/* restricted-token: Forshaw, delete-child re-checked; elevated: the same */
#define V(rf, rd, ef, ed)                                                                                    \
	{                                                                                                    \
		{rf, rd},                                                                                    \
		{                                                                                            \
			ef, ed                                                                               \
		}                                                                                            \
	}

static const smoke_case cases[] = {
	/* 1-9: where writes land. */
	{"01 ro create in cwd", RO, OP_WRITE, PROJ "\\new.txt", NULL, V(D, D, D, D), 0},
	{"02 ws create in cwd", WS, OP_WRITE, PROJ "\\new.txt", NULL, V(A, A, A, A), 0},
	{"03 ws create outside", WS, OP_WRITE, OUTSIDE "\\new.txt", NULL, V(D, D, D, D), 0},
	{"03 ws overwrite outside", WS, OP_WRITE, OUTSIDE "\\secret.txt", NULL, V(D, D, D, D), 0},
	{"03 ws create in drive root", WS, OP_WRITE, "C:\\evil.txt", NULL, V(D, D, D, D), 0},
	{"03 ws create in system dir", WS, OP_WRITE, "C:\\Windows\\System32\\evil.dll", NULL, V(D, D, D, D),
	 0},
	{"04 ws write extra root", WS, OP_WRITE, EXTRA "\\new.txt", NULL, V(A, A, A, A), 0},
	{"05 ro write extra root", RO, OP_WRITE, EXTRA "\\new.txt", NULL, V(D, D, D, D), 0},
	{"06 ws write temp", WS, OP_WRITE, TEMP "\\t.txt", NULL, V(A, A, A, A), 0},
	{"07 ro write temp", RO, OP_WRITE, TEMP "\\t.txt", NULL, V(D, D, D, D), 0},
	{"08 ws append", WS, OP_APPEND, PROJ "\\src\\a.txt", NULL, V(A, A, A, A), 0},
	{"09 ro append", RO, OP_APPEND, PROJ "\\src\\a.txt", NULL, V(D, D, D, D), 0},
	{"12 ws mkdir then write", WS, OP_MKDIR_WRITE, PROJ "\\newdir", NULL, V(A, A, A, A), 0},
	{"13 ws rename", WS, OP_RENAME, PROJ "\\src\\a.txt", PROJ "\\src\\b.txt", V(A, A, A, A), 0},
	{"14 ws delete", WS, OP_DELETE, PROJ "\\src\\a.txt", NULL, V(A, A, A, A), 0},
	{"27 ws deep mkdir and write", WS, OP_DEEP_WRITE, PROJ "\\deep", NULL, V(A, A, A, A), 0},
	{"28 ws move within", WS, OP_RENAME, PROJ "\\src\\a.txt", PROJ "\\moved.txt", V(A, A, A, A), 0},
	{"28 ws move out of the workspace", WS, OP_RENAME, PROJ "\\src\\a.txt", OUTSIDE "\\a.txt",
	 V(D, D, D, D), 0},
	{"28 ws move an outside file in", WS, OP_RENAME, OUTSIDE "\\secret.txt", PROJ "\\secret.txt",
	 V(A, D, D, D), 0},
	{"ws delete an outside file", WS, OP_DELETE, OUTSIDE "\\secret.txt", NULL, V(A, D, D, D), 0},
	/* WRITE_DAC is re-checked under both readings, and the user's
	 * implicit owner rights do not hold: the user is not a restricting
	 * SID. */
	{"ws rewrite an outside DACL", WS, OP_WRITE_DAC, OUTSIDE "\\secret.txt", NULL, V(D, D, D, D), 0},
	/* The roots themselves. */
	{"ws rename the workspace root", WS, OP_RENAME, PROJ, HOME "\\proj2", V(D, D, D, D), 0},
	{"ws delete an empty dir in a root", WS, OP_DELETE, EXTRA "\\empty", NULL, V(A, A, A, A), 0},
	{"ws delete the temp root itself", WS, OP_DELETE, HOME "\\AppData\\Local\\Temp", NULL, V(A, D, D, D),
	 BREAK_ROOT_CAN_BE_DELETED},
	/* 31, 41, 44: links inside the workspace. */
	{"31 junction into System32", WS, OP_WRITE, PROJ "\\sysjunction\\evil.dll", NULL, V(D, D, D, D), 0},
	{"31 junction to an outside dir", WS, OP_WRITE, PROJ "\\outjunction\\secret.txt", NULL, V(D, D, D, D),
	 0},
	{"41 junction to an Everyone-writable dir", WS, OP_WRITE, PROJ "\\dropjunction\\x.txt", NULL,
	 V(D, D, D, D), BREAK_NO_EVERYONE_DENY},
	{"44 junction to another drive", WS, OP_WRITE, PROJ "\\djunction\\x.txt", NULL, V(D, D, D, D), 0},
	/* 32, 33: not files. */
	{"32 raw disk device", WS, OP_WRITE, "\\\\.\\PhysicalDrive0", NULL, V(X, X, X, X), 0},
	{"32 volume device", WS, OP_WRITE, "\\\\.\\C:", NULL, V(X, X, X, X), 0},
	{"33 named pipe spelling", WS, OP_WRITE, "\\\\.\\pipe\\cordon-test", NULL, V(X, X, X, X), 0},
	/* 34: streams. */
	{"34 stream of an outside file", WS, OP_WRITE, OUTSIDE "\\secret.txt:payload", NULL, V(D, D, D, D),
	 0},
	{"34 default stream of an outside file", WS, OP_WRITE, OUTSIDE "\\secret.txt::$DATA", NULL,
	 V(D, D, D, D), 0},
	{"34 stream of an outside directory", WS, OP_WRITE, OUTSIDE ":payload", NULL, V(D, D, D, D), 0},
	{"34 stream of a workspace file", WS, OP_WRITE, PROJ "\\src\\a.txt:meta", NULL, V(A, A, A, A), 0},
	{"34 stream of a protected file", WS, OP_WRITE, PROJ "\\.git\\HEAD:payload", NULL, V(D, D, D, D),
	 BREAK_PROTECTED_NOT_INHERITED},
	{"34 ro stream in the workspace", RO, OP_WRITE, PROJ "\\src\\a.txt:meta", NULL, V(D, D, D, D), 0},
	/* 35, 43: other spellings of outside paths. */
	{"35 extended-length outside", WS, OP_WRITE, "\\\\?\\" OUTSIDE "\\x.txt", NULL, V(D, D, D, D), 0},
	{"35 extended-length inside", WS, OP_WRITE, "\\\\?\\" PROJ "\\y.txt", NULL, V(A, A, A, A), 0},
	{"35 forward slashes and dot-dot", WS, OP_WRITE, "C:/Users/alice/proj/../outside/x.txt", NULL,
	 V(D, D, D, D), 0},
	{"43 admin share outside", WS, OP_WRITE, "\\\\localhost\\C$\\Users\\alice\\outside\\x.txt", NULL,
	 V(D, D, D, D), 0},
	{"43 admin share to Everyone-writable", WS, OP_WRITE, "\\\\localhost\\C$\\Drop\\x.txt", NULL,
	 V(D, D, D, D), BREAK_NO_EVERYONE_DENY},
	{"43 admin share inside", WS, OP_WRITE, "\\\\127.0.0.1\\c$\\Users\\alice\\proj\\z.txt", NULL,
	 V(A, A, A, A), 0},
	/* 36, 38: protected names and their spellings. */
	{"36 .git file", WS, OP_WRITE, PROJ "\\.git\\config", NULL, V(D, D, D, D),
	 BREAK_PROTECTED_NOT_INHERITED},
	{"36 .GiT case variant", WS, OP_WRITE, PROJ "\\.GiT\\config", NULL, V(D, D, D, D),
	 BREAK_PROTECTED_NOT_INHERITED},
	{"36 .git. trailing dot", WS, OP_WRITE, PROJ "\\.git.\\HEAD", NULL, V(D, D, D, D),
	 BREAK_PROTECTED_NOT_INHERITED},
	{"36 extended-length .GIT", WS, OP_WRITE, "\\\\?\\" PROJ "\\.GIT\\config", NULL, V(D, D, D, D),
	 BREAK_PROTECTED_NOT_INHERITED},
	{"36 new hook in .git", WS, OP_WRITE, PROJ "\\.git\\hooks-post-checkout", NULL, V(D, D, D, D), 0},
	{"36 mkdir in .GIT", WS, OP_MKDIR, PROJ "\\.GIT\\hooks", NULL, V(D, D, D, D), 0},
	{"36 nested repo stored as .GIT", WS, OP_WRITE, PROJ "\\sub\\.GIT\\config", NULL, V(D, D, D, D),
	 BREAK_CASE_SENSITIVE | BREAK_PROTECTED_NOT_INHERITED},
	{"36 rename .git away", WS, OP_RENAME, PROJ "\\.git", PROJ "\\.git-old", V(A, D, D, D),
	 BREAK_DELETE_CHILD},
	{"36 rename .GIT away by case", WS, OP_RENAME, PROJ "\\.GIT", PROJ "\\old", V(A, D, D, D),
	 BREAK_DELETE_CHILD},
	{"36 delete a file in .git", WS, OP_DELETE, PROJ "\\.git\\HEAD", NULL, V(A, D, D, D),
	 BREAK_PROTECTED_NOT_INHERITED},
	{"36 rewrite the DACL of .git", WS, OP_WRITE_DAC, PROJ "\\.git", NULL, V(D, D, D, D), 0},
	{"36 worktree .git file", WS, OP_WRITE, PROJ "\\wt\\.git", NULL, V(D, D, D, D), 0},
	{"36 worktree .git file deleted", WS, OP_DELETE, PROJ "\\wt\\.Git", NULL, V(A, D, D, D),
	 BREAK_DELETE_CHILD},
	{"36 worktree gitdir", WS, OP_WRITE, EXTRA "\\gitdirs\\wt\\HEAD", NULL, V(D, D, D, D),
	 BREAK_NO_GITDIR_DENY},
	{"38 .codex policy file", WS, OP_WRITE, PROJ "\\.codex\\config.toml", NULL, V(D, D, D, D),
	 BREAK_PROTECTED_NOT_INHERITED},
	{"38 .codex policy file moved out", WS, OP_RENAME, PROJ "\\.codex\\config.toml", PROJ "\\stolen.toml",
	 V(A, D, D, D), BREAK_PROTECTED_NOT_INHERITED},
	{"38 .CODEX. spelled with case and dot", WS, OP_APPEND, PROJ "\\.CODEX.\\config.toml", NULL,
	 V(D, D, D, D), BREAK_PROTECTED_NOT_INHERITED},
	/* A name that does not exist cannot carry an ACE (reported by the
	 * plan as missing_protected; see docs/windows.md). */
	{"gap: create a missing protected name", WS, OP_MKDIR, PROJ "\\.agents", NULL, V(A, A, A, A), 0},
	/* \\?\ keeps the trailing dot: a different object that Win32 paths,
	 * and so git, can never reach as .git. */
	{"extended .git. is another name", WS, OP_MKDIR, "\\\\?\\" PROJ "\\.git.", NULL, V(A, A, A, A), 0},
	/* 37: cordon's state. */
	{"37 state outside the roots", WS, OP_WRITE, STATE "\\capsid", NULL, V(D, D, D, D), 0},
	{"37 ro state", RO, OP_WRITE, STATE "\\capsid", NULL, V(D, D, D, D), 0},
	/* 41: Everyone-writable directories outside the roots. */
	{"41 Everyone-writable dir", WS, OP_WRITE, "C:\\Drop\\x.txt", NULL, V(D, D, D, D),
	 BREAK_NO_EVERYONE_DENY},
	{"41 Everyone-writable subdir", WS, OP_WRITE, "C:\\Drop\\sub\\x.txt", NULL, V(D, D, D, D),
	 BREAK_NO_EVERYONE_DENY},
	{"41 Everyone-writable file", WS, OP_APPEND, "C:\\Drop\\shared.log", NULL, V(D, D, D, D),
	 BREAK_NO_EVERYONE_DENY},
	{"41 logon-SID-writable file", WS, OP_WRITE, "C:\\ProgramData\\session.dat", NULL, V(D, D, D, D),
	 BREAK_NO_EVERYONE_DENY},
	{"41 ro Everyone-writable dir", RO, OP_WRITE, "C:\\Drop\\x.txt", NULL, V(D, D, D, D),
	 BREAK_NO_EVERYONE_DENY},
	{"41 ro stream on Everyone-writable file", RO, OP_WRITE, "C:\\Drop\\shared.log:x", NULL,
	 V(D, D, D, D), BREAK_NO_EVERYONE_DENY},
	/* Deletes and renames through a parent's delete-child right the
	 * user's own SIDs grant (Forshaw's reading leaves FILE_DELETE_CHILD
	 * out of the re-check): outside files, the temp root, .git, cordon's
	 * state. A rename also adds an entry to the destination, which is
	 * re-checked: moving away works only into a root. */
	{"28 ws move an outside file into temp", WS, OP_RENAME, OUTSIDE "\\secret.txt", TEMP "\\secret.txt",
	 V(A, D, D, D), 0},
	{"28 ws rename an outside file in place", WS, OP_RENAME, OUTSIDE "\\secret.txt",
	 OUTSIDE "\\renamed.txt", V(D, D, D, D), 0},
	{"ws delete an empty outside directory", WS, OP_DELETE, OUTSIDE "\\emptydir", NULL, V(A, D, D, D), 0},
	{"ro delete an outside file", RO, OP_DELETE, OUTSIDE "\\secret.txt", NULL, V(A, D, D, D), 0},
	{"ro delete a workspace file", RO, OP_DELETE, PROJ "\\src\\a.txt", NULL, V(A, D, D, D), 0},
	{"ws delete a system file", WS, OP_DELETE, "C:\\Windows\\System32\\kernel32.dll", NULL, V(D, D, D, D),
	 0},
	{"36 move .git into temp", WS, OP_RENAME, PROJ "\\.git", TEMP "\\stolen-git", V(A, D, D, D),
	 BREAK_DELETE_CHILD},
	{"36 delete .git's config", WS, OP_DELETE, PROJ "\\.git\\config", NULL, V(A, D, D, D),
	 BREAK_PROTECTED_NOT_INHERITED},
	{"37 delete the state file", WS, OP_DELETE, STATE "\\capsid", NULL, V(A, D, D, D), 0},
	{"37 move the state directory into temp", WS, OP_RENAME, STATE, TEMP "\\cordon", V(A, D, D, D), 0},
	{"37 rewrite the state DACL", WS, OP_WRITE_DAC, STATE, NULL, V(D, D, D, D), 0},
	/* An Everyone-writable directory grants delete-child to Everyone,
	 * which the sandbox account has too: only a deny naming a SID of the
	 * account's normal token (the elevated plan's group deny) stops it
	 * under Forshaw's reading; the capability SID's deny is seen only by
	 * the re-check. */
	{"41 delete in an Everyone-writable dir", WS, OP_DELETE, "C:\\Drop\\shared.log", NULL, V(A, D, D, D),
	 BREAK_NO_EVERYONE_DENY},
	{"41 move out of an Everyone-writable dir", WS, OP_RENAME, "C:\\Drop\\shared.log",
	 PROJ "\\shared.log", V(A, D, D, D), BREAK_NO_EVERYONE_DENY},
	/* Spellings: \??\ reaches the same file as C:\ (cordon refuses it
	 * for roots; a command may still use it); COM0 is a file, NUL the
	 * device; U+0131 does not fold, so .g<U+0131>t is another name. */
	{"35 NT-namespace spelling outside", WS, OP_WRITE, "\\??\\" OUTSIDE "\\x.txt", NULL, V(D, D, D, D),
	 0},
	{"35 NT-namespace spelling inside", WS, OP_WRITE, "\\??\\" PROJ "\\y.txt", NULL, V(A, A, A, A), 0},
	{"36 NT-namespace spelling of .git", WS, OP_WRITE, "\\??\\" PROJ "\\.GIT\\config", NULL,
	 V(D, D, D, D), BREAK_PROTECTED_NOT_INHERITED},
	{"ws COM0 outside is a file", WS, OP_WRITE, OUTSIDE "\\COM0", NULL, V(D, D, D, D), 0},
	{"ws COM0 in the workspace is a file", WS, OP_WRITE, PROJ "\\com0.txt", NULL, V(A, A, A, A), 0},
	{"32 NUL is the device", WS, OP_WRITE, OUTSIDE "\\NUL", NULL, V(X, X, X, X), 0},
	{"36 .g\xc4\xb1t is not .git", WS, OP_MKDIR, PROJ "\\.g\xc4\xb1t", NULL, V(A, A, A, A), 0},
};

/* -------------------------------------------------------------- world */

typedef struct world {
	model_tree tree;
	cordon_sid user, workspace, shared, sandbox, readonly, logon;
	cordon_sid groups[6];
	size_t group_count;
	/* The elevated mode's sandbox account: its own SID, its group, its
	 * own logon session. The user's folders name none of them. */
	cordon_sid account, account_group, account_logon;
	cordon_sid account_groups[6];
	size_t account_group_count;
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
	w->account = sid_of(SANDBOX_ACCOUNT);
	w->account_group = sid_of(SANDBOX_GROUP);
	w->account_logon = sid_of(SANDBOX_LOGON);
	w->account_groups[w->account_group_count++] = everyone;
	w->account_groups[w->account_group_count++] = users;
	w->account_groups[w->account_group_count++] = au;
	w->account_groups[w->account_group_count++] = w->account_group;
	w->account_groups[w->account_group_count++] = w->account_logon;

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
		model_add(t, OUTSIDE "\\emptydir", true, &w->user, NULL, 0);
		model_add(t, "C:\\Windows\\System32\\kernel32.dll", false, &trusted, NULL, 0);
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
		if (c->reason == CORDON_ACL_EVERYONE_WRITABLE_DENY &&
		    (breakage & BREAK_NO_GROUP_EVERYONE_DENY))
			c->ace_count = 1; /* the capability SID's deny alone */
		if (c->reason == CORDON_ACL_ROOT_ALLOW && (breakage & BREAK_NO_GROUP_ROOT_ALLOW))
			c->ace_count = 2;
		if (c->reason == CORDON_ACL_ROOT_ALLOW && (breakage & BREAK_GROUP_DELETE_CHILD))
			for (size_t j = 2; j < c->ace_count; j++)
				c->aces[j].mask |= CORDON_FILE_DELETE_CHILD;
		if (drop) {
			free(c->path);
			continue;
		}
		plan->changes[kept++] = *c;
	}
	plan->change_count = kept;
}

/* What `cordon setup` gives the sandbox accounts' group outside the ACL
 * plan: read access to the user's profile (the read-grant helper,
 * read_grant_plan.h). The roots' grants come from the elevated ACL plan
 * itself. */
static void grant_sandbox_account(world *w)
{
	cordon_acl_change change;
	cordon_acl_plan grants;

	memset(&change, 0, sizeof(change));
	memset(&grants, 0, sizeof(grants));
	change.path = (char *)HOME;
	change.aces[0] =
		cordon_ace_make(CORDON_ACE_ALLOW, OICI,
				CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_EXECUTE, &w->account_group);
	change.ace_count = 1;
	grants.changes = &change;
	grants.change_count = 1;
	assert_true(model_apply_plan(&w->tree, &grants));
}

/* Plans, breaks as asked, applies to the world, and returns the token of
 * the shape asked for. */
static model_token plan_and_apply(world *w, cordon_mode mode, const cordon_acl_root *roots, size_t root_count,
				  unsigned breakage, token_shape shape, model_reading reading)
{
	cordon_acl_inputs in;
	cordon_acl_plan plan;
	cordon_win_snapshot snapshot = model_snapshot(&w->tree);
	cordon_token_inputs token_in;
	cordon_token_plan token_plan;
	cordon_error err;
	bool account = shape == SHAPE_SANDBOX_ACCOUNT;

	world_inputs(w, mode, roots, root_count, &in);
	if (account) {
		in.sandbox_group_present = true;
		in.sandbox_group_sid = w->account_group;
	}
	assert_int_equal(cordon_acl_plan_build(&in, &snapshot, &plan, &err), CORDON_OK);
	model_snapshot_free(&snapshot);
	break_plan(&plan, breakage);
	assert_true(model_apply_plan(&w->tree, &plan));
	cordon_acl_plan_free(&plan);
	if (account)
		grant_sandbox_account(w);

	memset(&token_in, 0, sizeof(token_in));
	token_in.mode = mode;
	token_in.has_shared_roots = true;
	token_in.user = account ? w->account : w->user;
	token_in.logon = account ? w->account_logon : w->logon;
	token_in.workspace = w->workspace;
	token_in.shared = w->shared;
	token_in.sandbox = w->sandbox;
	token_in.readonly = w->readonly;
	/* This run's own SID (random in cordon; fixed here). */
	token_in.run = model_run_sid();
	assert_int_equal(cordon_token_plan_build(&token_in, &token_plan, &err), CORDON_OK);
	if (account)
		return model_token_from_plan(&token_plan, &w->account, w->account_groups,
					     w->account_group_count, reading);
	return model_token_from_plan(&token_plan, &w->user, w->groups, w->group_count, reading);
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
static model_verdict verdict_for(const smoke_case *c, unsigned breakage, token_shape shape,
				 model_reading reading)
{
	world w;
	model_token t;
	model_verdict v;

	build_world(&w, PROJ);
	t = plan_and_apply(&w, c->mode, default_roots, 3, breakage, shape, reading);
	v = run_case(&w, &t, c);
	model_tree_free(&w.tree);
	return v;
}

static const char *const shape_names[] = {"restricted-token", "sandbox account"};

#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

/* ------------------------------------------------------------- tests */

/* Every case, in both shapes, under both readings: the verdict the table
 * states. */
static void test_every_case_in_every_shape_and_reading(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < CASE_COUNT; i++)
		for (int sh = 0; sh < SHAPE_COUNT; sh++)
			for (int r = 0; r < MODEL_READING_COUNT; r++) {
				model_verdict v =
					verdict_for(&cases[i], BREAK_NONE, (token_shape)sh, (model_reading)r);
				model_verdict want = cases[i].expected[sh][r];

				if (v != want) {
					print_error(
						"case '%s' (%s, %s reading): model says %s, expected %s\n",
						cases[i].name, shape_names[sh],
						model_reading_name((model_reading)r), model_verdict_name(v),
						model_verdict_name(want));
					failures++;
				}
			}
	print_message("%zu smoke cases x %d shapes x %d readings evaluated with the good plan\n", CASE_COUNT,
		      SHAPE_COUNT, MODEL_READING_COUNT);
	assert_int_equal(failures, 0);
}

static bool is_delete_or_rename(const smoke_case *c)
{
	return c->op == OP_DELETE || c->op == OP_RENAME;
}

/* The readings differ only on FILE_DELETE_CHILD, so wherever a case's
 * verdict depends on the reading it must be a delete or a rename, allowed
 * under Forshaw's reading and denied under the other. Prints the list
 * docs/windows.md gives for restricted-token mode. */
static void test_reading_dependent_cases_are_delete_child_routes(void **state)
{
	size_t failures = 0, exposed = 0;

	(void)state;
	for (size_t i = 0; i < CASE_COUNT; i++) {
		const smoke_case *c = &cases[i];

		for (int sh = 0; sh < SHAPE_COUNT; sh++) {
			model_verdict forshaw = c->expected[sh][MODEL_READING_FORSHAW];
			model_verdict rechecked = c->expected[sh][MODEL_READING_DELETE_CHILD_RECHECKED];

			if (forshaw == rechecked)
				continue;
			if (!is_delete_or_rename(c) || forshaw != MODEL_ALLOWED ||
			    rechecked != MODEL_DENIED) {
				print_error("case '%s' (%s): depends on the reading but is no delete-child "
					    "route\n",
					    c->name, shape_names[sh]);
				failures++;
			}
			if (sh == SHAPE_RESTRICTED_TOKEN) {
				print_message("restricted-token, Forshaw's reading, allowed: %s\n", c->name);
				exposed++;
			}
		}
	}
	print_message("%zu cases allowed in restricted-token mode only under Forshaw's reading\n", exposed);
	assert_true(exposed > 0);
	assert_int_equal(failures, 0);
}

/* The elevated shape closes the delete-child route: every delete or
 * rename restricted-token mode leaves open under Forshaw's reading is
 * denied for the sandbox account under both readings, the
 * Everyone-writable directory included (the plan's group deny). */
static void test_sandbox_account_closes_the_delete_child_route(void **state)
{
	size_t closed = 0;

	(void)state;
	for (size_t i = 0; i < CASE_COUNT; i++) {
		const smoke_case *c = &cases[i];

		if (!is_delete_or_rename(c) ||
		    c->expected[SHAPE_RESTRICTED_TOKEN][MODEL_READING_FORSHAW] != MODEL_ALLOWED)
			continue;
		if (c->expected[SHAPE_RESTRICTED_TOKEN][MODEL_READING_DELETE_CHILD_RECHECKED] ==
		    MODEL_ALLOWED)
			continue; /* allowed by design (inside a root) */
		for (int r = 0; r < MODEL_READING_COUNT; r++) {
			model_verdict v = verdict_for(c, BREAK_NONE, SHAPE_SANDBOX_ACCOUNT, (model_reading)r);

			if (v != MODEL_DENIED)
				fail_msg("case '%s': sandbox account, %s reading: %s", c->name,
					 model_reading_name((model_reading)r), model_verdict_name(v));
			closed++;
		}
	}
	print_message("sandbox account: %zu delete-child verdicts closed, none open\n", closed);
	assert_int_equal(closed, 2 * 18);
}

/* In elevated mode no verdict depends on the reading; what still
 * differs from restricted-token mode is exactly the delete-child routes
 * (Forshaw's reading), and what is allowed in both modes is the same
 * list, the documented gaps among it. */
static void test_elevated_verdicts_do_not_depend_on_the_reading(void **state)
{
	size_t differ_from_restricted = 0, allowed = 0;

	(void)state;
	for (size_t i = 0; i < CASE_COUNT; i++) {
		const smoke_case *c = &cases[i];
		model_verdict ef = c->expected[SHAPE_SANDBOX_ACCOUNT][MODEL_READING_FORSHAW];
		model_verdict ed = c->expected[SHAPE_SANDBOX_ACCOUNT][MODEL_READING_DELETE_CHILD_RECHECKED];
		model_verdict rf = c->expected[SHAPE_RESTRICTED_TOKEN][MODEL_READING_FORSHAW];
		model_verdict rd = c->expected[SHAPE_RESTRICTED_TOKEN][MODEL_READING_DELETE_CHILD_RECHECKED];

		assert_int_equal(ef, ed);
		/* The elevated shape is the re-checked restricted token's
		 * verdict, case for case. */
		assert_int_equal(ef, rd);
		if (ef != rf) {
			assert_true(is_delete_or_rename(c));
			assert_int_equal(rf, MODEL_ALLOWED);
			differ_from_restricted++;
		}
		if (ef == MODEL_ALLOWED && strncmp(c->name, "gap", 3) == 0)
			print_message("elevated, still allowed (a documented gap): %s\n", c->name);
		allowed += ef == MODEL_ALLOWED;
	}
	print_message("elevated mode: %zu cases closed that restricted-token mode leaves open under "
		      "Forshaw's reading; %zu allowed in both readings\n",
		      differ_from_restricted, allowed);
	assert_int_equal(differ_from_restricted, 18);
}

/* The elevated plan's own parts, broken one at a time: each must change
 * exactly what it protects for the sandbox account under Forshaw's
 * reading (the reading under which the group's ACEs matter most). */
static void test_elevated_breakages_are_caught(void **state)
{
	static const struct {
		enum breakage flag;
		const char *opens;  /* a case that turns allowed */
		const char *closes; /* a case that turns denied */
		size_t changed;
	} elevated_breakages[] = {
		{BREAK_NO_GROUP_EVERYONE_DENY, "41 delete in an Everyone-writable dir", NULL, 2},
		{BREAK_GROUP_DELETE_CHILD, "36 rename .git away", NULL, 0},
		{BREAK_NO_GROUP_ROOT_ALLOW, NULL, "02 ws create in cwd", 0},
	};

	(void)state;
	for (size_t b = 0; b < sizeof(elevated_breakages) / sizeof(elevated_breakages[0]); b++) {
		size_t changed = 0;
		bool opened = elevated_breakages[b].opens == NULL,
		     closed = elevated_breakages[b].closes == NULL;

		for (size_t i = 0; i < CASE_COUNT; i++) {
			const smoke_case *c = &cases[i];
			model_verdict v = verdict_for(c, elevated_breakages[b].flag, SHAPE_SANDBOX_ACCOUNT,
						      MODEL_READING_FORSHAW);
			model_verdict want = c->expected[SHAPE_SANDBOX_ACCOUNT][MODEL_READING_FORSHAW];

			if (v == want)
				continue;
			changed++;
			if (elevated_breakages[b].opens && strcmp(c->name, elevated_breakages[b].opens) == 0)
				opened = v == MODEL_ALLOWED;
			if (elevated_breakages[b].closes &&
			    strcmp(c->name, elevated_breakages[b].closes) == 0)
				closed = v == MODEL_DENIED;
		}
		print_message("elevated breakage %zu: %zu case(s) changed\n", b, changed);
		assert_true(opened);
		assert_true(closed);
		if (elevated_breakages[b].changed != 0)
			assert_int_equal(changed, elevated_breakages[b].changed);
	}
}

static void test_broken_plans_are_caught(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t b = 0; b < sizeof(breakages) / sizeof(breakages[0]); b++) {
		size_t caught = 0, flipped_elsewhere = 0;

		for (size_t i = 0; i < CASE_COUNT; i++) {
			const smoke_case *c = &cases[i];
			model_verdict v = verdict_for(c, breakages[b].flag, SHAPE_RESTRICTED_TOKEN,
						      MODEL_READING_DELETE_CHILD_RECHECKED);
			model_verdict want =
				c->expected[SHAPE_RESTRICTED_TOKEN][MODEL_READING_DELETE_CHILD_RECHECKED];

			if (c->caught_by & breakages[b].flag) {
				if (v == MODEL_ALLOWED) {
					caught++;
				} else {
					print_error("breakage '%s' should open case '%s', model says %s\n",
						    breakages[b].name, c->name, model_verdict_name(v));
					failures++;
				}
			} else if (v != want) {
				print_error("breakage '%s' also changes case '%s' to %s\n", breakages[b].name,
					    c->name, model_verdict_name(v));
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
				   broken ? BREAK_NO_STATE_DENY : BREAK_NONE, SHAPE_RESTRICTED_TOKEN,
				   MODEL_READING_FORSHAW);
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
			       SHAPE_RESTRICTED_TOKEN, MODEL_READING_FORSHAW);
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_WORKSPACE, HOME "\\other",
					 &w.workspace));
	assert_false(cordon_sid_equal(&proj_sid, &w.workspace));
	second = plan_and_apply(&w, CORDON_MODE_WORKSPACE_WRITE, other_roots, 1, BREAK_NONE,
				SHAPE_RESTRICTED_TOKEN, MODEL_READING_FORSHAW);
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
			   SHAPE_RESTRICTED_TOKEN, MODEL_READING_FORSHAW);
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

	(void)state;
	/* Both shapes: in elevated mode the group's allow on the workspace is
	 * explicit and comes before the group deny it inherits. */
	for (int sh = 0; sh < SHAPE_COUNT; sh++) {
		world w;
		model_token t;

		build_world(&w, "C:\\Drop\\proj");
		model_add(&w.tree, "C:\\Drop\\proj", true, &w.user, NULL, 0);
		model_add(&w.tree, "C:\\Drop\\proj\\old.txt", false, &w.user, NULL, 0);
		t = plan_and_apply(&w, CORDON_MODE_WORKSPACE_WRITE, roots, 1, BREAK_NONE, (token_shape)sh,
				   MODEL_READING_FORSHAW);
		assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\proj\\new.txt"), MODEL_ALLOWED);
		assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\proj\\old.txt"), MODEL_ALLOWED);
		assert_int_equal(model_delete(&w.tree, &t, "C:\\Drop\\proj\\old.txt"), MODEL_ALLOWED);
		assert_int_equal(model_mkdir(&w.tree, &t, "C:\\Drop\\proj\\d"), MODEL_ALLOWED);
		assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\proj\\d\\f"), MODEL_ALLOWED);
		assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\x.txt"), MODEL_DENIED);
		assert_int_equal(model_write(&w.tree, &t, "C:\\Drop\\sub\\x.txt"), MODEL_DENIED);
		assert_int_equal(model_rename(&w.tree, &t, "C:\\Drop\\proj", "C:\\Drop\\moved"),
				 MODEL_DENIED);
		/* Forshaw's reading, delete through Everyone's delete-child:
		 * open in restricted-token mode, closed for the account. */
		assert_int_equal(model_delete(&w.tree, &t, "C:\\Drop\\shared.log"),
				 sh == SHAPE_SANDBOX_ACCOUNT ? MODEL_DENIED : MODEL_ALLOWED);
		model_tree_free(&w.tree);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_case_in_every_shape_and_reading),
		cmocka_unit_test(test_reading_dependent_cases_are_delete_child_routes),
		cmocka_unit_test(test_sandbox_account_closes_the_delete_child_route),
		cmocka_unit_test(test_broken_plans_are_caught),
		cmocka_unit_test(test_root_that_is_a_junction_is_refused),
		cmocka_unit_test(test_state_inside_a_root),
		cmocka_unit_test(test_workspaces_are_isolated),
		cmocka_unit_test(test_protection_reaches_files_created_later),
		cmocka_unit_test(test_workspace_inside_an_everyone_writable_dir),
		cmocka_unit_test(test_elevated_verdicts_do_not_depend_on_the_reading),
		cmocka_unit_test(test_elevated_breakages_are_caught),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
