/* What the files of `cordon setup` on Windows share. elevated.h is the
 * contract with the rest of the backend; this is the inside of the setup
 * part:
 *
 *   setup_store.c     the setup folder, its DACL, the record, the passwords
 *   setup_accounts.c  the accounts and group: read them, apply account steps
 *   setup_wfp.c       cordon's WFP objects: read them by key, apply in one
 *                     transaction
 *   setup_apply.c     `cordon setup` and `--uninstall` (setup_apply.h)
 *   setup_status.c    win_setup_status_read
 *
 * Only those files include this. */
#ifndef CORDON_WINDOWS_SETUP_INTERNAL_H
#define CORDON_WINDOWS_SETUP_INTERNAL_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "windows/elevated.h"

/* ------------------------------------------------------- setup_store.c */

/* Allocates <state>\setup (name NULL) or <state>\setup\name, UTF-16. */
wchar_t *win_setup_path(const char *state_dir, const char *name);

/* Makes <state> (owned by the user when cordon creates it) and
 * <state>\setup: owner the user, a protected DACL granting full control
 * to the user, SYSTEM and Administrators only, set again when the folder
 * exists, so the sandbox group never reads it. */
cordon_code win_setup_dir_make(const char *state_dir, cordon_error *err);

/* Writes record.json through a temporary file and one replacing rename. */
cordon_code win_setup_record_save(const char *state_dir, const cordon_setup_record *record,
				  cordon_error *err);
/* Removes record.json; a missing record is not an error. */
cordon_code win_setup_record_remove(const char *state_dir, cordon_error *err);

/* Protects password (UTF-16) with DPAPI for the calling user (user scope)
 * into <state>\setup\<offline|online>.dpapi. */
cordon_code win_setup_password_store(const char *state_dir, cordon_sandbox_account which,
				     const wchar_t *password, cordon_error *err);
bool win_setup_password_stored(const char *state_dir, cordon_sandbox_account which);
/* Deletes the .dpapi file; a missing file is not an error. */
cordon_code win_setup_password_forget(const char *state_dir, cordon_sandbox_account which, cordon_error *err);

/* Uninstall: removes this user's copy of the record's grants, the
 * helper's progress and its owner file under %ProgramData%\cordon\grants
 * (machine_dir.h), so a running helper grants nothing more for this user;
 * missing files are not an error. */
cordon_code win_setup_forget_grant_copies(cordon_error *err);

/* The name of the account's .dpapi file ("offline.dpapi"). */
const char *win_setup_password_file(cordon_sandbox_account which);

/* The calling process's user SID as a string (allocated, LocalFree). */
char *win_setup_user_sid(cordon_error *err);

/* ---------------------------------------------------- setup_accounts.c */

/* The accounts and group as they are now. The strings the state points
 * to are owned here. */
typedef struct win_accounts_read {
	cordon_accounts_state state;
	char *group_sid;
	char *account_sids[CORDON_ACCOUNT_COUNT];
} win_accounts_read;

/* Reads the group, both accounts (flags, SIDs, memberships), the hiding
 * value and whether cordon's credential file is there. Works without
 * administrator rights (NetUserGetInfo level 1, NetLocalGroupGetMembers
 * and the HKLM value are readable by every local user). */
cordon_code win_accounts_read_now(const char *state_dir, win_accounts_read *out, cordon_error *err);
void win_accounts_read_free(win_accounts_read *read);
/* Refuses (CORDON_E_STATE, one line naming the group) a sandbox account
 * that exists and belongs to any local group but BUILTIN\Users and the
 * sandbox group, directly or nested; also when its groups cannot be
 * read. Setup and the status of runs and doctor check it; uninstall does
 * not, so such an account can still be removed. */
cordon_code win_accounts_check_groups(const win_accounts_read *read, cordon_error *err);

/* Applies one setup or uninstall step. `progress` gets the step's line. */
cordon_code win_account_step_apply(const char *state_dir, const cordon_account_step *step, cordon_error *err);

/* ------------------------------------------------ setup_grant_removal.c */

/* Uninstall's read-grant steps: removes from each path's DACL the
 * explicit ACEs naming group_sid (the sandbox group). A path that is gone
 * is skipped; group_sid NULL (the group is gone) skips them all, saying
 * so, since no ACE can then be told apart as cordon's. */
cordon_code win_setup_read_grants_remove(const cordon_read_grant_plan *plan, const char *group_sid,
					 FILE *progress, cordon_error *err);

/* ---------------------------------------------------------- setup_wfp.c */

/* A session to the filter engine (FwpmEngineOpen0, not dynamic: cordon's
 * objects are persistent). */
cordon_code win_wfp_open(HANDLE *engine, cordon_error *err);
void win_wfp_close(HANDLE engine);

/* cordon's WFP objects as they are now, looked up by key: the provider,
 * the sublayer and each key given (the plan's and the record's). The
 * filter states are owned here. *readable is false when this process may
 * not read them (a standard user: the engine's default DACL grants
 * Everyone only FWPM_ACTRL_OPEN and FWPM_ACTRL_CLASSIFY); then state is
 * empty and nothing is claimed. */
typedef struct win_wfp_read {
	cordon_wfp_state state;
	cordon_wfp_filter_state *filters;
	bool readable;
} win_wfp_read;

cordon_code win_wfp_read_now(HANDLE engine, const cordon_guid *keys, size_t key_count, win_wfp_read *out,
			     cordon_error *err);
void win_wfp_read_free(win_wfp_read *read);

/* Applies every step of plan in one transaction, aborted on the first
 * failure (nothing of it then remains). offline_sid is the account's SID
 * now; every added filter stores its fingerprint in providerData. */
cordon_code win_wfp_apply(HANDLE engine, const cordon_wfp_plan *plan, const char *offline_sid,
			  cordon_error *err);

#endif
