/* Applying the Windows ACL plan once: snapshot, plan, apply, record.
 *
 * Portable C (built natively and with mingw). Everything that touches a
 * file goes through a port (cordon_fs_port): on Windows the thin Win32
 * port in src/windows/acl_port_win32.c, in the native tests a port backed
 * by the access-check model (tests/winmodel/support_model_port.c). So the
 * order of operations, the reparse-point rules and the record are tested
 * without Windows.
 *
 * The order, and why:
 * 1. Snapshot. Each root, each protected name found below a root, each
 *    worktree's gitdir, cordon's state directory and the audited
 *    directories outside the roots are opened by canonical path without
 *    following a reparse point in the last component; directories are
 *    listed through the handle that was opened (not by name again) and
 *    walked while every ancestor's handle stays open, so an ancestor
 *    cannot be renamed away and swapped for a junction during the walk
 *    (the Win32 port opens without FILE_SHARE_DELETE). A reparse point
 *    is recorded, never descended into; its target is never opened. Each
 *    entry keeps the identity of the object opened (volume and file id).
 * 2. Plan. cordon_acl_plan_build with the record of the previous run.
 * 3. Apply. Each change: the path is opened again without following a
 *    reparse point, the object must be the one the snapshot saw (same
 *    identity, still not a reparse point unless the snapshot saw one),
 *    its DACL is read through that handle, the change is merged in, and
 *    the result is written through the same handle: one security
 *    descriptor per change, none when the DACL already holds the ACEs. A
 *    path that now reaches another object (a component swapped for a
 *    junction after the snapshot) stops the run: nothing is written to
 *    that object, and the record is not updated.
 * 4. Record. Per-root fingerprints and the overall fingerprint, written
 *    to the state directory through the state port (temporary file, then
 *    rename over the old one), read back by the next run. A record that
 *    is missing or unreadable means a full plan, never an error.
 *
 * Why reopen and check identity rather than keep every snapshot handle
 * open until apply: the snapshot holds tens of thousands of entries when
 * the audit runs, and a handle open without FILE_SHARE_DELETE blocks
 * every delete and rename of that object for as long as cordon holds it;
 * a change touches a handful of objects. Reopening and comparing the
 * identity through the new handle gives the same guarantee (the object
 * written is the object planned for, and the object read is the object
 * written) at the cost of one open per change. */
#ifndef CORDON_WINDOWS_PLAN_ACL_APPLY_H
#define CORDON_WINDOWS_PLAN_ACL_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordon.h"
#include "windows/plan/acl_plan.h"
#include "windows/plan/sid.h"

/* ------------------------------------------------------ the file port */

/* Which object a handle reaches: equal identities are the same file. */
typedef struct cordon_fs_identity {
	uint64_t volume;
	uint64_t file_id_high;
	uint64_t file_id_low;
} cordon_fs_identity;

typedef struct cordon_fs_info {
	bool is_directory;
	bool is_reparse_point; /* the object opened is itself a junction or symbolic link */
	cordon_fs_identity identity;
} cordon_fs_info;

typedef enum cordon_fs_intent {
	CORDON_FS_INSPECT,     /* read the DACL, list a directory, read a .git file */
	CORDON_FS_CHANGE_DACL, /* read and write the DACL */
} cordon_fs_intent;

/* A DACL as read from, or written to, one object. */
typedef struct cordon_fs_dacl {
	bool present;	     /* false: NULL DACL */
	bool dacl_protected; /* SE_DACL_PROTECTED: inherits nothing from the parent */
	/* The DACL held an ACE type cordon does not model (object or
	 * callback ACEs): it is never rewritten, since writing it back
	 * would drop them. */
	bool has_unknown_aces;
	cordon_ace *aces; /* in order; allocated by the port, free() */
	size_t ace_count;
} cordon_fs_dacl;

typedef struct cordon_fs_handle cordon_fs_handle;

/* Every function returns CORDON_OK or fills err. Paths are canonical
 * (core/winpath.h), UTF-8. */
typedef struct cordon_fs_port {
	void *context;
	/* Opens path. A reparse point in the last component is opened
	 * itself, never followed (Win32: FILE_FLAG_OPEN_REPARSE_POINT |
	 * FILE_FLAG_BACKUP_SEMANTICS). CORDON_E_NOT_FOUND when nothing is
	 * there. */
	cordon_code (*open)(void *context, const char *path, cordon_fs_intent intent, cordon_fs_handle **out,
			    cordon_fs_info *info, cordon_error *err);
	/* The names in an open directory (no "." or ".."), read through the
	 * handle. *names is an allocated array of allocated strings. */
	cordon_code (*list)(void *context, cordon_fs_handle *handle, char ***names, size_t *count,
			    cordon_error *err);
	/* A reparse point's canonical target (allocated), or NULL when it
	 * cannot be told. Only ever used in messages: never opened. */
	char *(*reparse_target)(void *context, cordon_fs_handle *handle);
	/* Up to size bytes from the start of an open file (a worktree's .git
	 * file), through the handle. */
	cordon_code (*read_head)(void *context, cordon_fs_handle *handle, char *buffer, size_t size,
				 size_t *length, cordon_error *err);
	cordon_code (*read_dacl)(void *context, cordon_fs_handle *handle, cordon_fs_dacl *out,
				 cordon_error *err);
	/* One security-descriptor write, through the handle (the protected
	 * bit as given). */
	cordon_code (*write_dacl)(void *context, cordon_fs_handle *handle, const cordon_fs_dacl *dacl,
				  cordon_error *err);
	void (*close)(void *context, cordon_fs_handle *handle);
} cordon_fs_port;

void cordon_fs_dacl_free(cordon_fs_dacl *dacl);

/* ----------------------------------------------------- the state port */

/* Files in cordon's state directory, by plain file name. */
typedef struct cordon_state_port {
	void *context;
	/* The whole file (allocated, NUL-terminated past *length).
	 * CORDON_E_NOT_FOUND when it does not exist. *owner_only (may be
	 * NULL): only the user can read or write it. */
	cordon_code (*read_file)(void *context, const char *name, char **data, size_t *length,
				 bool *owner_only, cordon_error *err);
	/* Writes a temporary file, then renames it over name: a reader sees
	 * the old file or the new one, never half of one. */
	cordon_code (*replace_file)(void *context, const char *name, const void *data, size_t length,
				    cordon_error *err);
	/* Creates name with only the user allowed to read or write it;
	 * CORDON_E_STATE when it already exists (never overwritten). */
	cordon_code (*create_exclusive)(void *context, const char *name, const void *data, size_t length,
					cordon_error *err);
	/* Cryptographically random bytes. */
	cordon_code (*random_bytes)(void *context, uint8_t *buffer, size_t length, cordon_error *err);
} cordon_state_port;

/* ----------------------------------------------------- per-install secret */

#define CORDON_CAPSID_SECRET_FILE "capsid-secret"

/* Reads the per-install secret from the state directory, or makes it
 * (random, owner-only, created exclusively: of two cordons racing, both
 * end up with the one that won). *created says which. A secret file of
 * the wrong size or readable by others is refused, not replaced:
 * replacing it would change every capability SID. */
cordon_code cordon_capsid_secret_load(const cordon_state_port *state,
				      uint8_t secret[CORDON_CAPSID_SECRET_BYTES], bool *created,
				      cordon_error *err);

/* ------------------------------------------------------------- the record */

/* What the previous run applied for one workspace. */
typedef struct cordon_acl_record {
	char fingerprint[65]; /* overall; "" when none */
	cordon_acl_root_record *roots;
	size_t root_count;
} cordon_acl_record;

/* The record's file name in the state directory for a workspace:
 * "acl-<workspace SID>.record" (the SID is per canonical workspace path,
 * case folded). Writes into name (at least 256 bytes). */
void cordon_acl_record_name(const cordon_sid *workspace_sid, char *name, size_t size);
/* The record as text, and back. Parsing is strict: false on anything
 * malformed (the caller then plans everything again). Allocates. */
char *cordon_acl_record_format(const cordon_acl_record *record);
bool cordon_acl_record_parse(const char *text, size_t length, cordon_acl_record *out);
void cordon_acl_record_free(cordon_acl_record *record);

/* ------------------------------------------------------------- the engine */

typedef struct cordon_acl_snapshot_entry {
	cordon_win_entry entry; /* what the plan reads; strings and ACEs owned here */
	cordon_fs_identity identity;
} cordon_acl_snapshot_entry;

typedef struct cordon_acl_snapshot {
	cordon_acl_snapshot_entry *entries;
	size_t count;
	size_t capacity;
	cordon_win_snapshot view; /* entries as the plan takes them (rebuilt by the engine) */
	cordon_win_entry *view_entries;
	size_t opened;		   /* objects opened */
	size_t reparse_points;	   /* recorded, not followed */
	size_t audit_entries;	   /* entries outside the roots examined */
	bool audit_truncated;	   /* the audit walk stopped at its entry or time limit */
	size_t gitdirs_unreadable; /* .git files whose gitdir line could not be read */
} cordon_acl_snapshot;

typedef struct cordon_acl_targets {
	const cordon_acl_root *roots;
	size_t root_count;
	const char *const *protected_names;
	size_t protected_count;
	const char *state_dir; /* canonical, may be NULL */
	/* Directories outside the roots audited for Everyone-writable
	 * entries, walked to at most audit_max_entries entries in all and
	 * for at most audit_max_seconds (0: no limit), timed with now (NULL:
	 * clock()). The audit is the one walk whose cost grows with the
	 * machine; the roots are walked whole, or a nested protected name
	 * could be missed. */
	const char *const *audit_dirs;
	size_t audit_dir_count;
	size_t audit_max_entries;
	double audit_max_seconds;
	/* The audit dirs are already the findings of a bounded audit
	 * (src/windows/plan/audit_plan.h): each is snapshotted itself, none
	 * is walked, and one inside another is kept. */
	bool audit_dirs_listed_only;
	double (*now)(void *context);
	void *now_context;
} cordon_acl_targets;

/* Step 1. Fills *snapshot (release with cordon_acl_snapshot_free). */
cordon_code cordon_acl_snapshot_take(const cordon_fs_port *fs, const cordon_acl_targets *targets,
				     cordon_acl_snapshot *snapshot, cordon_error *err);
void cordon_acl_snapshot_free(cordon_acl_snapshot *snapshot);

/* Step 3. Applies plan's changes, checking each object against the
 * snapshot. *written counts security descriptors written (also on
 * failure). CORDON_E_UNTRUSTED_LINK when a path reaches another object
 * than the snapshot's; CORDON_E_UNSUPPORTED for a DACL cordon cannot
 * rewrite faithfully. */
cordon_code cordon_acl_apply_changes(const cordon_fs_port *fs, const cordon_acl_snapshot *snapshot,
				     const cordon_acl_plan *plan, size_t *written, cordon_error *err);

typedef struct cordon_acl_apply_result {
	size_t descriptors_written; /* for the run log */
	size_t changes_planned;
	size_t roots_replanned;
	size_t roots_unchanged;
	bool record_found;   /* a readable previous record was used */
	bool record_written; /* the record changed and was stored */
	size_t entries_snapshotted;
	bool audit_truncated;
	char fingerprint[65];
	/* "root\name" per protected name missing at the top of a root (the
	 * plan's missing_protected), for the caller to report. */
	char **missing_protected;
	size_t missing_count;
} cordon_acl_apply_result;

void cordon_acl_apply_result_free(cordon_acl_apply_result *result);

/* Steps 1 to 4. inputs->roots, protected names, state_dir, SIDs and
 * audit bounds as for the plan; inputs->previous is ignored (the record
 * is read from the state port). *result is zeroed first. */
cordon_code cordon_acl_apply_once(const cordon_fs_port *fs, const cordon_state_port *state,
				  const cordon_acl_inputs *inputs, const char *const *audit_dirs,
				  size_t audit_dir_count, cordon_acl_apply_result *result, cordon_error *err);

/* The gitdir a worktree's .git file names ("gitdir: <path>", relative
 * paths taken from the directory holding the file), canonical and
 * allocated; NULL when text holds no such line. */
char *cordon_gitdir_from_file(const char *text, size_t length, const char *git_file_path);

#endif
