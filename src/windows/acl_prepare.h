/* The one call the Windows spawn path makes before it builds the token:
 * load (or make) the per-install secret, derive the capability SIDs, and
 * apply the ACL plan once through the Win32 file port
 * (src/windows/acl_port_win32.c; the engine is windows/plan/acl_apply.h).
 *
 * Declared without <windows.h> so any file can include it; defined only
 * in the mingw build. */
#ifndef CORDON_WINDOWS_ACL_PREPARE_H
#define CORDON_WINDOWS_ACL_PREPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"
#include "windows/plan/acl_apply.h"
#include "windows/plan/acl_plan.h"
#include "windows/plan/sid.h"

typedef struct cordon_win_acl_request {
	cordon_mode mode;
	/* Canonical spellings, already resolved by the caller with
	 * GetFinalPathNameByHandleW (a root that is still a link is refused
	 * by the plan). */
	const char *workspace; /* the workspace SID and the record's name come from it */
	const cordon_acl_root *roots;
	size_t root_count;
	const char *const *protected_names;
	size_t protected_count;
	const char *state_dir; /* created (owner-only) when missing */
	const char *const *audit_dirs;
	size_t audit_dir_count;
	size_t audit_max_entries;
	double audit_max_seconds;
	bool audit_dirs_listed_only; /* an audit's findings: snapshot each, walk none */
	/* Elevated mode: the roots are also granted to, and Everyone-writable
	 * entries also denied to, the sandbox accounts' group (acl_plan.h). */
	bool sandbox_group_present;
	cordon_sid sandbox_group_sid;
} cordon_win_acl_request;

typedef struct cordon_win_acl_outcome {
	cordon_acl_apply_result applied; /* descriptors_written goes into the run log */
	bool secret_created;
	/* For the token plan (restricting SIDs). */
	cordon_sid workspace_sid;
	cordon_sid shared_sid;
	cordon_sid sandbox_sid;
	cordon_sid readonly_sid;
} cordon_win_acl_outcome;

/* Fills *out (release with cordon_win_acl_outcome_free). Fails closed:
 * any error means the command must not start. */
cordon_code cordon_win_acl_prepare(const cordon_win_acl_request *request, cordon_win_acl_outcome *out,
				   cordon_error *err);
void cordon_win_acl_outcome_free(cordon_win_acl_outcome *out);

/* The Win32 file port the engine runs on (objects opened without
 * following reparse points, DACLs read and written through the handle
 * with GetSecurityInfo / SetSecurityInfo). The read-grant helper applies
 * its steps through it too, and the Everyone-writable audit
 * (src/windows/audit.c) walks with it. */
cordon_fs_port cordon_win_fs_port(void);

/* Plumbing check and diagnostics: builds the ACL the Win32 port would
 * write for these ACEs (protected DACL), has Windows render it as SDDL
 * (*sddl, allocated) and parse that SDDL back into a security
 * descriptor, and reads its DACL into *back as the port reads DACLs.
 * back equal to aces shows that the bytes cordon writes say what the plan
 * says. */
cordon_code cordon_win_dacl_round_trip(const cordon_ace *aces, size_t count, char **sddl,
				       cordon_fs_dacl *back, cordon_error *err);

/* One file of cordon's state directory (made owner-only when missing)
 * through the Win32 state port: read whole (allocated; CORDON_E_NOT_FOUND
 * when missing), or replaced atomically (temporary file, then rename). */
cordon_code cordon_win_state_read(const char *state_dir, const char *name, char **data, size_t *length,
				  cordon_error *err);
cordon_code cordon_win_state_replace(const char *state_dir, const char *name, const void *data, size_t length,
				     cordon_error *err);

#endif
