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

/* `cordon.exe __runner ...`: the runner's entry point, run as the sandbox
 * account. Returns the process exit code. */
int win_runner_main(int argc, char **argv);

#endif
