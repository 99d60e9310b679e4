/* The Windows ACL plan: from a resolved policy and a snapshot of the
 * relevant part of the filesystem, the exact ACEs cordon must add (or
 * remove) so that a write-restricted token carrying cordon's capability
 * SIDs can write inside the roots and nowhere else.
 *
 * Pure computation, portable C (built natively and with mingw). The
 * Windows layer takes the snapshot (names, DACLs, reparse points, the
 * gitdir a worktree's .git file names) and applies plan->changes; the
 * tests apply them to the access-check model in tests/winmodel instead.
 *
 * What the plan asks for, and why:
 * - each root: an allow ACE for its capability SID (workspace SID for the
 *   workspace, shared SID for temp and extra roots). Never
 *   FILE_DELETE_CHILD: a parent's delete-child grant lets a child be
 *   deleted or renamed away whatever the child's own DACL says, which
 *   would defeat the deny on a protected name. The root itself gets no
 *   DELETE (the root cannot be removed or renamed from inside); what is
 *   below it inherits DELETE.
 * - every protected name found below a root (case-insensitively, trailing
 *   dots and spaces ignored, at any depth), and the gitdir a worktree's
 *   .git file points to: an explicit deny ACE for the sandbox SID (in
 *   every sandboxed token, so one ACE covers every workspace), inherited
 *   by everything inside. Explicit ACEs precede inherited ones,
 *   so the deny is read before the root's inherited allow.
 * - every entry outside the roots whose DACL lets Everyone or a logon SID
 *   write (both SIDs must stay in the token): a deny ACE for the SID this
 *   run is identified by (workspace SID, or the read-only SID in
 *   read-only runs, whose audit covers everything). The audit is bounded in entries and time and says when it
 *   stopped early.
 * - cordon's state directory: a deny for the sandbox SID, which every
 *   sandboxed token carries.
 *
 * Elevated mode (sandbox_group_present): the command runs as a sandbox
 * account, not as the user, so its *normal* access check must pass too.
 * Each root's allow ACEs are then doubled for the sandbox accounts' group
 * (same rights, same shape: never FILE_DELETE_CHILD, no DELETE on the root
 * itself), and each Everyone-writable entry's deny also names the group:
 * the account is in Everyone, and a deny naming a capability SID is seen
 * only by the write re-check, which FILE_DELETE_CHILD may not be part of
 * (docs/windows.md, "Which rights a write-restricted token re-checks").
 * The protected names and the state directory need nothing more: DELETE
 * and the write rights on the object are re-checked, and the group gets
 * no delete-child anywhere. */
#ifndef CORDON_WINDOWS_PLAN_ACL_PLAN_H
#define CORDON_WINDOWS_PLAN_ACL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordon.h"
#include "windows/plan/sid.h"

/* Access rights for files and directories (winnt.h values). */
#define CORDON_FILE_READ_DATA	     0x00000001u /* dir: FILE_LIST_DIRECTORY */
#define CORDON_FILE_WRITE_DATA	     0x00000002u /* dir: FILE_ADD_FILE */
#define CORDON_FILE_APPEND_DATA	     0x00000004u /* dir: FILE_ADD_SUBDIRECTORY */
#define CORDON_FILE_READ_EA	     0x00000008u
#define CORDON_FILE_WRITE_EA	     0x00000010u
#define CORDON_FILE_EXECUTE	     0x00000020u /* dir: FILE_TRAVERSE */
#define CORDON_FILE_DELETE_CHILD     0x00000040u
#define CORDON_FILE_READ_ATTRIBUTES  0x00000080u
#define CORDON_FILE_WRITE_ATTRIBUTES 0x00000100u
#define CORDON_FILE_ADD_FILE	     CORDON_FILE_WRITE_DATA
#define CORDON_FILE_ADD_SUBDIRECTORY CORDON_FILE_APPEND_DATA
#define CORDON_DELETE		     0x00010000u
#define CORDON_READ_CONTROL	     0x00020000u
#define CORDON_WRITE_DAC	     0x00040000u
#define CORDON_WRITE_OWNER	     0x00080000u
#define CORDON_SYNCHRONIZE	     0x00100000u
#define CORDON_GENERIC_ALL	     0x10000000u
#define CORDON_GENERIC_EXECUTE	     0x20000000u
#define CORDON_GENERIC_WRITE	     0x40000000u
#define CORDON_GENERIC_READ	     0x80000000u

#define CORDON_FILE_GENERIC_READ                                                                             \
	(CORDON_READ_CONTROL | CORDON_FILE_READ_DATA | CORDON_FILE_READ_ATTRIBUTES | CORDON_FILE_READ_EA |   \
	 CORDON_SYNCHRONIZE)
#define CORDON_FILE_GENERIC_WRITE                                                                            \
	(CORDON_READ_CONTROL | CORDON_FILE_WRITE_DATA | CORDON_FILE_WRITE_ATTRIBUTES |                       \
	 CORDON_FILE_WRITE_EA | CORDON_FILE_APPEND_DATA | CORDON_SYNCHRONIZE)
#define CORDON_FILE_GENERIC_EXECUTE                                                                          \
	(CORDON_READ_CONTROL | CORDON_FILE_READ_ATTRIBUTES | CORDON_FILE_EXECUTE | CORDON_SYNCHRONIZE)
#define CORDON_FILE_ALL_ACCESS 0x001f01ffu

/* Every right that changes an object or its directory listing: what the
 * deny ACEs name, and what the audit calls "writable". */
#define CORDON_WRITE_RIGHTS                                                                                  \
	(CORDON_FILE_WRITE_DATA | CORDON_FILE_APPEND_DATA | CORDON_FILE_WRITE_EA |                           \
	 CORDON_FILE_WRITE_ATTRIBUTES | CORDON_FILE_DELETE_CHILD | CORDON_DELETE | CORDON_WRITE_DAC |        \
	 CORDON_WRITE_OWNER)
/* What the capability SIDs are allowed below a root: read, write,
 * execute, delete; never delete-child, never WRITE_DAC or WRITE_OWNER. */
#define CORDON_ROOT_ALLOW_RIGHTS                                                                             \
	(CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_WRITE | CORDON_FILE_GENERIC_EXECUTE | CORDON_DELETE)

/* Maps GENERIC_* bits through the file object's generic mapping. */
uint32_t cordon_file_map_generic(uint32_t mask);

typedef enum cordon_ace_type {
	CORDON_ACE_ALLOW = 0, /* ACCESS_ALLOWED_ACE_TYPE */
	CORDON_ACE_DENY = 1,  /* ACCESS_DENIED_ACE_TYPE */
} cordon_ace_type;

/* ACE flags (winnt.h values). */
#define CORDON_ACE_OBJECT_INHERIT	0x01u
#define CORDON_ACE_CONTAINER_INHERIT	0x02u
#define CORDON_ACE_NO_PROPAGATE_INHERIT 0x04u
#define CORDON_ACE_INHERIT_ONLY		0x08u
#define CORDON_ACE_INHERITED		0x10u

typedef struct cordon_ace {
	cordon_ace_type type;
	uint8_t flags;
	uint32_t mask;
	cordon_sid sid;
} cordon_ace;

bool cordon_ace_equal(const cordon_ace *a, const cordon_ace *b);
/* Whether two ACE lists hold the same ACEs in the same order. */
bool cordon_ace_lists_equal(const cordon_ace *a, size_t a_count, const cordon_ace *b, size_t b_count);

/* An ACE with every field given (padding zeroed, so two equal ACEs also
 * compare equal byte for byte). */
cordon_ace cordon_ace_make(cordon_ace_type type, uint8_t flags, uint32_t mask, const cordon_sid *sid);

/* One filesystem object as the Windows layer saw it. Strings belong to
 * the caller and must outlive the plan call. */
typedef struct cordon_win_entry {
	const char *path; /* canonical (core/winpath.h) */
	bool is_directory;
	bool is_reparse_point;	    /* junction or symbolic link: never followed by the plan */
	const char *reparse_target; /* canonical target when known, else NULL */
	const char *gitdir;	    /* a worktree's ".git" file: the canonical gitdir it names */
	bool dacl_present;	    /* false: NULL DACL (everyone has full access) */
	const cordon_ace *aces;	    /* the DACL in order, inherited ACEs flagged */
	size_t ace_count;
} cordon_win_entry;

typedef struct cordon_win_snapshot {
	const cordon_win_entry *entries;
	size_t count;
} cordon_win_snapshot;

typedef struct cordon_acl_root {
	const char *path; /* canonical */
	cordon_root_kind kind;
} cordon_acl_root;

/* What a previous plan applied to one root, kept by the Windows layer
 * next to cordon's state. */
typedef struct cordon_acl_root_record {
	char *path;
	cordon_root_kind kind;
	char fingerprint[65];
} cordon_acl_root_record;

typedef struct cordon_acl_inputs {
	cordon_mode mode; /* FULL_ACCESS plans nothing */
	const cordon_acl_root *roots;
	size_t root_count;
	const char *const *protected_names;
	size_t protected_count;
	const char *state_dir; /* canonical; NULL or absent from the snapshot: nothing to deny */
	cordon_sid workspace_sid;
	cordon_sid shared_sid;
	cordon_sid sandbox_sid;
	cordon_sid readonly_sid;
	/* Elevated mode: the sandbox accounts' group (CordonSandboxUsers). */
	bool sandbox_group_present;
	cordon_sid sandbox_group_sid;
	/* The audit of entries outside the roots stops after this many
	 * entries (0: no limit) or this many seconds (0: no limit). */
	size_t audit_max_entries;
	double audit_max_seconds;
	/* For cordon_acl_apply_once: the audit dirs are an audit's findings,
	 * snapshotted one by one, never walked (cordon_acl_targets). */
	bool audit_dirs_listed_only;
	/* Monotonic seconds; NULL uses clock(). Tests pass a fake clock. */
	double (*now)(void *context);
	void *now_context;
	/* The record of the previous plan for this workspace (may be NULL):
	 * roots whose fingerprint is unchanged are not compared again, and
	 * shared roots no longer in the policy get their allow removed. */
	const cordon_acl_root_record *previous;
	size_t previous_count;
} cordon_acl_inputs;

typedef enum cordon_acl_reason {
	CORDON_ACL_ROOT_ALLOW,
	CORDON_ACL_PROTECTED_DENY,
	CORDON_ACL_GITDIR_DENY,
	CORDON_ACL_EVERYONE_WRITABLE_DENY,
	CORDON_ACL_STATE_DENY,
	CORDON_ACL_STALE_ROOT_REMOVE,
	CORDON_ACL_SANDBOX_READ_GRANT, /* elevated mode: read_grant_plan.h */
} cordon_acl_reason;

#define CORDON_ACL_CHANGE_MAX_ACES 4
#define CORDON_ACL_NO_ROOT	   ((size_t)-1)

/* One security descriptor write: add these explicit ACEs to path's DACL
 * (in canonical order), or remove them. */
typedef struct cordon_acl_change {
	char *path;
	cordon_acl_reason reason;
	bool remove;
	size_t root_index; /* index into inputs->roots, or CORDON_ACL_NO_ROOT */
	cordon_ace aces[CORDON_ACL_CHANGE_MAX_ACES];
	size_t ace_count;
} cordon_acl_change;

typedef enum cordon_audit_stop {
	CORDON_AUDIT_COMPLETE,
	CORDON_AUDIT_COUNT_LIMIT, /* audit_max_entries reached: entries were not examined */
	CORDON_AUDIT_TIME_LIMIT,  /* audit_max_seconds passed: entries were not examined */
} cordon_audit_stop;

typedef struct cordon_acl_plan {
	cordon_acl_change *changes;
	size_t change_count;
	size_t change_capacity;
	/* One record per input root, to be stored for the next plan. */
	cordon_acl_root_record *roots;
	size_t root_count;
	char fingerprint[65];	/* over every root's fingerprint, the mode and the state directory */
	size_t roots_replanned; /* roots whose allow ACEs were compared against the snapshot */
	size_t roots_unchanged; /* roots skipped thanks to an unchanged fingerprint */
	size_t protected_found; /* protected entries and gitdirs denied (already or by a change) */
	/* "root\name" for each protected name absent from the top of a
	 * root: a DACL cannot protect a name that does not exist, so the
	 * command could create it. */
	char **missing_protected;
	size_t missing_count;
	size_t dacls_compared; /* how many snapshot DACLs were inspected */
	struct {
		size_t examined;       /* entries outside the roots looked at */
		size_t writable_found; /* of those, writable through Everyone or a logon SID */
		cordon_audit_stop stop;
		double seconds;
	} audit;
} cordon_acl_plan;

/* Computes the plan into *plan (zeroed first; release with
 * cordon_acl_plan_free). Fails with CORDON_E_NOT_FOUND when a root is not
 * in the snapshot, CORDON_E_UNTRUSTED_LINK when a root is a reparse point
 * (granting it would grant its target), CORDON_E_INVALID on bad inputs. */
cordon_code cordon_acl_plan_build(const cordon_acl_inputs *inputs, const cordon_win_snapshot *snapshot,
				  cordon_acl_plan *plan, cordon_error *err);
void cordon_acl_plan_free(cordon_acl_plan *plan);

/* The DACL that results from applying change to current: added ACEs go
 * in canonical order (explicit denies, explicit allows, then the
 * inherited ACEs unchanged); removed ACEs are dropped from the explicit
 * part. ACEs already present are not duplicated. Allocates *result
 * (free()); false on out of memory. */
bool cordon_dacl_apply_change(const cordon_ace *current, size_t current_count,
			      const cordon_acl_change *change, cordon_ace **result, size_t *result_count);

/* Whether the DACL lets Everyone or a logon SID have one of
 * CORDON_WRITE_RIGHTS on the object itself (a NULL DACL does). Any such
 * allow counts, even behind a deny: the audit errs towards denying. */
bool cordon_dacl_everyone_writable(bool dacl_present, const cordon_ace *aces, size_t count);

const char *cordon_acl_reason_name(cordon_acl_reason reason);

#endif
