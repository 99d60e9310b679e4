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
 *   setup\grants.json       the read-grant helper's progress
 *
 * Only src/windows includes this. */
#ifndef CORDON_WINDOWS_ELEVATED_H
#define CORDON_WINDOWS_ELEVATED_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"
#include "windows/plan/account_plan.h"
#include "windows/plan/setup_plan.h"

#define WIN_SETUP_DIR		  "setup"
#define WIN_SETUP_RECORD_FILE	  "record.json"
#define WIN_SETUP_GRANTS_FILE	  "grants.json"
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
