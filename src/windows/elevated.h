/* Elevated mode on Windows: what `cordon setup` leaves behind and how a
 * run uses it. Three parts, each in its own files under src/windows/:
 *
 * - setup (setup_apply.c, setup_store.c): applies the setup plan
 *   (src/windows/plan/setup_plan.h) as an administrator, keeps the record
 *   and the sandbox accounts' passwords, says whether setup is ready or
 *   stale.
 * - read grants (grant_helper.c): the long-lived background helper that
 *   applies the plan's read grants one at a time, and the junction that
 *   stands in for a working directory whose grants are not done yet.
 * - runner (runner.c): a run in elevated mode starts a runner as the
 *   sandbox account and talks to it over a named pipe; the runner starts
 *   the command through cordon_spawn with a write-restricted token made
 *   from its own token plus the capability SIDs.
 *
 * What setup keeps, under the user's state directory (%LOCALAPPDATA%\cordon,
 * cordon_resolved_state_dir), in a folder whose DACL is protected and
 * names only the user, SYSTEM and Administrators (never the sandbox group):
 *
 *   setup\record.json       cordon_setup_record_render of what was applied
 *   setup\offline.dpapi     the offline account's password, CryptProtectData
 *   setup\online.dpapi      the online account's password, CryptProtectData
 *                           (user scope: only the installing user can
 *                           recover it)
 *
 * The read-grant helper runs elevated, so what it trusts and writes is
 * not here (the user's unelevated programs can write here) but under
 * %ProgramData%\cordon\grants: a copy of the record's grants, and the
 * helper's progress (machine_dir.h).
 *
 * Only src/windows includes this. */
#ifndef CORDON_WINDOWS_ELEVATED_H
#define CORDON_WINDOWS_ELEVATED_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"
#include "windows/plan/account_plan.h"
#include "windows/plan/grant_helper_owner.h"
#include "windows/plan/grant_progress.h"
#include "windows/plan/setup_plan.h"

#define WIN_SETUP_DIR		  "setup"
#define WIN_SETUP_RECORD_FILE	  "record.json"
#define WIN_SETUP_PASSWORD_SUFFIX ".dpapi"

/* ------------------------------------------------- setup_store.c (setup) */

/* Reads <state>\setup\record.json. *found is false (and CORDON_OK) when
 * there is none; a record that cannot be parsed is an error naming the
 * file and what to do. Release with cordon_setup_record_free. */
cordon_code win_setup_record_load(const char *state_dir, cordon_setup_record *record, bool *found,
				  cordon_error *err);

/* Recovers one sandbox account's password (CryptUnprotectData of its
 * .dpapi file). Allocates *password; release with
 * win_setup_password_free, which wipes it first. */
cordon_code win_setup_password_load(const char *state_dir, cordon_sandbox_account which, wchar_t **password,
				    cordon_error *err);
void win_setup_password_free(wchar_t *password);

/* Whether elevated mode can run this policy now: setup recorded, its
 * accounts there, the record's fingerprint equal to a fresh plan's for
 * this machine. reason is one line for the user when it cannot
 * ("not set up: run 'cordon setup' once, as administrator" or what
 * changed, from cordon_setup_stale_reasons, plus "run 'cordon setup'
 * again"). Never prompts, never elevates. */
typedef struct win_setup_status {
	bool recorded; /* a record exists */
	bool ready;    /* recorded and not stale */
	char reason[768];
} win_setup_status;

cordon_code win_setup_status_read(const cordon_resolved *policy, win_setup_status *status, cordon_error *err);

/* ------------------------------------- grant_helper.c (read grants) */

/* The background helper, `cordon.exe __grant-helper`: applies the read
 * grants every user's setup wants (the copies of their records under
 * %ProgramData%\cordon\grants, machine_dir.h) one at a time, records
 * each in that user's <SID>.progress.json (grant_progress.h; temp file +
 * MoveFileEx), resumes from it, and loops until a pass finds nothing
 * left, picking up a record that setup rewrote meanwhile. One at a time
 * machine-wide: the mutex WIN_GRANT_HELPER_MUTEX inside the private
 * namespace WIN_GRANT_HELPER_NAMESPACE, whose boundary names
 * Administrators (only a token with BUILTIN\Administrators enabled, an
 * elevated one, can create it) and whose DACL admits SYSTEM and
 * Administrators only (so no one else can open it either): a name in
 * Global\ any user can create first and hold. It logs one line per event
 * to helper.log in that folder (and to stderr when it has one). */
#define WIN_GRANT_HELPER_COMMAND   "__grant-helper"
#define WIN_GRANT_HELPER_BOUNDARY  L"CordonReadGrants" /* the boundary descriptor's name */
#define WIN_GRANT_HELPER_NAMESPACE L"CordonReadGrants" /* the namespace's alias */
#define WIN_GRANT_HELPER_MUTEX	   L"CordonReadGrants\\Helper"

/* The helper's exit statuses (nobody waits for a detached helper; the
 * tests and a helper run by hand read them). */
#define WIN_GRANT_HELPER_EXIT_DONE   0	 /* nothing left, or only failures recorded */
#define WIN_GRANT_HELPER_EXIT_BUSY   3	 /* another helper holds the mutex: it does the work */
#define WIN_GRANT_HELPER_EXIT_FAILED 125 /* no record, no group, no lock, bad usage */

/* Test hooks, read from the environment by the helper only, and only in
 * a library built with CORDON_TEST_HOOKS (win_test_hook): the helper runs
 * elevated, and the environment it starts with can come from the user's
 * HKCU\Environment, which any unelevated program of the user may write.
 * The group SID to grant instead of looking up CordonSandboxUsers (Wine
 * has no local groups), a step count after which the helper exits as
 * if killed (right after recording that step), and a plain mutex name to
 * use instead of the private namespace (Wine 8 has no private namespaces:
 * CreateBoundaryDescriptorW is a stub, CreatePrivateNamespaceW missing;
 * without the hook the helper fails closed there). A release build reads
 * none of them. */
#define WIN_GRANT_HELPER_TEST_GROUP_SID	 "CORDON_TEST_GRANT_GROUP_SID"
#define WIN_GRANT_HELPER_TEST_STOP_AFTER "CORDON_TEST_GRANT_STOP_AFTER"
#define WIN_GRANT_HELPER_TEST_MUTEX	 "CORDON_TEST_GRANT_MUTEX"

/* The helper's lock: the namespace (kept open while the mutex is used:
 * by Microsoft's "Object Namespaces", once its creator has closed it no
 * one can open it again) and the mutex in it. */
typedef struct win_grant_helper_lock {
	HANDLE namespace_handle; /* NULL with the test hook */
	HANDLE mutex;
	bool created; /* this process made the namespace (the hook: the mutex) */
} win_grant_helper_lock;

typedef enum win_grant_lock_result {
	WIN_GRANT_LOCK_TAKEN,  /* this process holds the mutex */
	WIN_GRANT_LOCK_BUSY,   /* another helper holds it */
	WIN_GRANT_LOCK_FAILED, /* no namespace or no mutex: line says which call failed */
} win_grant_lock_result;

/* Creates (or opens) the namespace and the mutex and waits for the mutex
 * with timeout 0: an abandoned mutex (a helper killed) is taken. Never
 * falls back to an unprotected name. On BUSY and FAILED nothing is held
 * (line, one sentence, says what failed). */
win_grant_lock_result win_grant_helper_lock_take(win_grant_helper_lock *lock, char *line, size_t size);
/* Closes what lock_take opened (the mutex released first when held and
 * release is true; false leaves it to be abandoned, as a kill would). */
void win_grant_helper_lock_close(win_grant_helper_lock *lock, bool release);

/* Writes <user SID>.helper.json (windows/plan/grant_helper_owner.h),
 * naming this process, for every user whose record copy is in
 * grants_dir: what win_grant_helper_running reads. The helper calls it
 * after taking the lock and each time it reads the record copies again. */
cordon_code win_grant_helper_publish_owner(const char *grants_dir, cordon_error *err);

/* Called by `cordon setup` (elevated) after it wrote the record: makes
 * %ProgramData%\cordon with its grants and junctions folders (or checks
 * them), copies the record's grants there for this user, and starts the
 * helper detached (no console, no
 * inherited handles, out of setup's job where Windows allows it, current
 * directory the system directory), and returns at once. A helper already
 * running picks the new record up; the one started here then exits
 * with WIN_GRANT_HELPER_EXIT_BUSY. */
cordon_code win_grant_helper_start(const char *state_dir, cordon_error *err);
/* The same from the record setup holds in memory: preferred, since
 * win_grant_helper_start reads back a file the user's unelevated programs
 * could have replaced in the moment since setup wrote it. */
cordon_code win_grant_helper_start_with(const cordon_setup_record *record, cordon_error *err);

/* Starts `cordon.exe __grant-helper` detached (spawn_grant_helper.c);
 * win_grant_helper_start calls it after handing the record over. */
cordon_code win_grant_helper_spawn(cordon_error *err);

/* `cordon.exe __grant-helper ...`: the helper's entry point. Returns the
 * process exit status. */
int win_grant_helper_main(int argc, char **argv);

/* The sandbox group's SID (CordonSandboxUsers, which must be a local
 * group: SidTypeAlias), or WIN_GRANT_HELPER_TEST_GROUP_SID's. */
cordon_code win_sandbox_group_sid(cordon_sid *out, cordon_error *err);

/* Whether a helper is running now, as the user (unelevated) can tell:
 * the user's <SID>.helper.json names a process that is alive and was
 * created at the time recorded (grant_helper_owner.h). UNKNOWN when a
 * process has that id and cannot be queried. */
cordon_helper_liveness win_grant_helper_liveness_for(const char *grants_dir, const char *user_sid);
/* The same for this user, in the grants folder; true only when RUNNING. */
bool win_grant_helper_running(void);

/* Whether the sandbox accounts can use path (a canonical working
 * directory) yet, from this user's record copy and progress file, as the
 * user, never elevated (state_dir is not read: the files are under
 * %ProgramData%\cordon\grants; the parameter stays for the run path). readiness is grant_progress.h's. line
 * is one line for the user when it is not CORDON_GRANT_READY, e.g. "the read grants for the sandbox accounts
 * are still being applied (12 of 41 done): try again in a moment". A progress file that cannot be read counts
 * as nothing done; a missing or unreadable record is an error (setup's status says what to do). */
typedef struct win_grant_status {
	cordon_grant_readiness readiness;
	size_t done;
	size_t total;
	bool helper_running;	       /* helper == CORDON_HELPER_RUNNING */
	cordon_helper_liveness helper; /* win_grant_helper_liveness_for */
	char line[512];
} win_grant_status;

cordon_code win_grants_status_for(const char *state_dir, const char *path, win_grant_status *status,
				  cordon_error *err);

/* The same, as a yes/no: path's grant and the list grants above it are
 * applied. */
bool win_grants_done_for(const char *state_dir, const char *path);

/* ------------------------------------------ junction.c (read grants) */

/* The junction that stands in for a working directory while the list
 * grants above it are not done (readiness CORDON_GRANT_ANCESTORS_PENDING):
 * %ProgramData%\cordon\junctions\<name> (windows/plan/cwd_junction.h).
 * Run as the user, unelevated, before the runner starts: creates the
 * junction, or reuses it after checking it is a mount point to
 * canonical_dir whose owner is the user (or Administrators/SYSTEM) and
 * whose DACL, like its folder's, lets no one else change it; replaces
 * one that fails the check if the user may, else refuses. Allocates
 * *junction (UTF-8). CORDON_E_UNSUPPORTED where junctions cannot be made
 * (Wine: error 50), CORDON_E_STATE when setup has not made the folder. */
cordon_code win_cwd_junction(const char *canonical_dir, char **junction, cordon_error *err);

/* ------------------------------------------------ runner.c (runner) */

/* `cordon.exe __runner PIPE SERVER_PID`: the runner's entry point, run
 * as the sandbox account (started by spawn_elevated.c). Connects to the
 * pipe, checks that its server is process SERVER_PID, says hello, takes
 * one request (windows/plan/runner_protocol.h), starts the command
 * through win_launch_start with a write-restricted token made from its
 * own token plus the request's capability SIDs, relays, reports the
 * exit. Returns the process exit code (0 once the exit was reported). */
int win_runner_main(int argc, char **argv);

/* Tests only (tests/wine/runner_plumbing.c): what the user side uses
 * instead of the sandbox account. Never set by cordon.exe, whose CLI has
 * no way to reach it: a runner started as_self runs the command as the
 * user (under the same write-restricted token shape), which is exactly
 * what elevated mode exists to avoid. */
typedef struct win_runner_test {
	bool as_self;		       /* CreateProcessW as this user, no logon */
	const char *expected_user;     /* the SID the runner must carry; NULL: this user's */
	const char *group_sid;	       /* instead of looking up the sandbox group */
	const char *account;	       /* instead of the sandbox account (with password) */
	const wchar_t *password;       /* instead of the stored one */
	const wchar_t *runner_program; /* instead of cordon.exe */
	bool runner_outside_job;       /* leave the runner out of the user side's job */
} win_runner_test;

/* cordon_spawn in elevated mode, with test's substitutions (spawn.c):
 * the mode is not chosen, it is elevated. */
cordon_code win_spawn_elevated_for_tests(const cordon_resolved *policy, const cordon_spawn_options *options,
					 const win_runner_test *test, cordon_child **out, cordon_error *err);

#endif
