/* %ProgramData%\cordon: the machine-wide folder `cordon setup` makes,
 * and what the read-grant helper and the junction code share about it.
 *
 *   %ProgramData%\cordon             SYSTEM, Administrators full; Users read
 *   %ProgramData%\cordon\grants      SYSTEM, Administrators only (protected):
 *       <user SID>.record.json       the wanted read grants, copied there by
 *                                    setup from its record (the user may read)
 *       <user SID>.progress.json     the helper's progress (the user may read)
 *       <user SID>.helper.json       the running helper's pid and creation
 *                                    time (grant_helper_owner.h; the user may
 *                                    read)
 *       helper.log                   the helper's log
 *   %ProgramData%\cordon\junctions   cwd_junction.h's DACL
 *
 * Why there and not in the user's state directory: the helper runs
 * elevated. What it trusts (which paths to grant) and where it writes
 * must be out of reach of the unelevated user's processes, or any program
 * of the user could make the helper grant the sandbox group read on
 * another user's files, or redirect its writes through a junction.
 * Every folder is created with its final DACL and owner Administrators;
 * one someone else made first is refused. Only src/windows includes
 * this. */
#ifndef CORDON_WINDOWS_MACHINE_DIR_H
#define CORDON_WINDOWS_MACHINE_DIR_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"
#include "windows/plan/acl_plan.h"
#include "windows/plan/sid.h"

#define WIN_MACHINE_GRANTS_SUBDIR   "grants"
#define WIN_MACHINE_RECORD_SUFFIX   ".record.json"
#define WIN_MACHINE_PROGRESS_SUFFIX ".progress.json"
#define WIN_MACHINE_HELPER_LOG	    "helper.log"
/* Test hook (the Wine tests; only in a CORDON_TEST_HOOKS build): the
 * grants folder to use instead. */
#define WIN_MACHINE_TEST_GRANTS_DIR "CORDON_TEST_GRANTS_DIR"

/* %ProgramData% (SHGetKnownFolderPath), allocated UTF-8. */
cordon_code win_program_data(char **out, cordon_error *err);
/* %ProgramData%\cordon (allocated UTF-8). */
cordon_code win_machine_dir(char **dir, cordon_error *err);
/* %ProgramData%\cordon\grants, or the test hook's (allocated). */
cordon_code win_machine_grants_dir(char **dir, cordon_error *err);

/* Makes (elevated) %ProgramData%\cordon, its grants folder and its
 * junctions folder, or checks and repairs them. */
cordon_code win_machine_dirs_prepare(cordon_error *err);

cordon_code win_current_user_sid(cordon_sid *out, cordon_error *err);
cordon_code win_sid_from_native(PSID native, cordon_sid *out, cordon_error *err);
/* SYSTEM, Administrators, or user. */
bool win_trusted_owner(const cordon_sid *owner, const cordon_sid *user);

/* Opens path itself (a link in the last component is not followed). */
HANDLE win_open_no_follow(const char *path, DWORD access);
/* Whether the object is a reparse point (true when that cannot be read). */
bool win_is_link(HANDLE file);
cordon_code win_owner_of(HANDLE file, const char *path, cordon_sid *owner, cordon_error *err);

/* "O:BA" and the protected DACL of aces, as a security descriptor
 * (LocalFree); *dacl_sddl (allocated, may be NULL) the DACL's SDDL. */
cordon_code win_descriptor_of(const cordon_ace *aces, size_t count, PSECURITY_DESCRIPTOR *descriptor,
			      char **dacl_sddl, cordon_error *err);
/* A file readable by user, writable by SYSTEM and Administrators only. */
cordon_code win_user_readable_descriptor(const cordon_sid *user, PSECURITY_DESCRIPTOR *descriptor,
					 cordon_error *err);

#endif
