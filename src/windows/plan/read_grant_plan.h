/* The read-grant plan of elevated mode: where the sandbox group gets an
 * allow ACE for read and execute, so the sandbox accounts can read what a
 * build needs — the profile's children except the credential stores, and
 * the writable roots. Pure data, portable C; the Windows layer writes
 * each step as one security-descriptor change (cordon_read_grant_change
 * gives it in acl_plan.h's terms), in the background helper that item 2
 * of the elevated-mode issue describes.
 *
 * - The profile directory itself: read without inheritance (list it,
 *   traverse it), so tools that look at ~ work; its children one by one.
 * - Each child of the profile: read and execute, inherited below
 *   (object and container inherit), unless it is excluded: a credential
 *   store (the shared list, given by the caller), or the user's registry
 *   hive files (NTUSER.*), or a junction/symbolic link (its target is
 *   granted where it lies, if at all).
 * - A child that holds an excluded path deeper down (".config" for
 *   ".config/gh") is split: read without inheritance on it, and its own
 *   children granted one by one, the excluded one left out. The Windows
 *   layer lists the directories cordon_read_grant_split_dirs names.
 * - Each writable root not already inside a granted profile child: read
 *   and execute, inherited.
 * - System and program directories (C:\Windows, Program Files, ...): no
 *   ACE. Windows grants BUILTIN\Users read and execute there and the
 *   accounts are members (account_plan.h); those directories belong to
 *   TrustedInstaller, so writing their DACL would mean taking ownership,
 *   and would propagate to hundreds of thousands of files. The plan lists
 *   them as read through Users. */
#ifndef CORDON_WINDOWS_PLAN_READ_GRANT_PLAN_H
#define CORDON_WINDOWS_PLAN_READ_GRANT_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"
#include "windows/plan/acl_plan.h"
#include "windows/plan/sid.h"

#define CORDON_READ_GRANT_RIGHTS (CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_EXECUTE)

typedef enum cordon_read_grant_kind {
	CORDON_READ_GRANT_TREE, /* the entry and everything below it (inherited) */
	CORDON_READ_GRANT_LIST, /* the directory itself only: list and traverse */
} cordon_read_grant_kind;

typedef enum cordon_read_grant_source {
	CORDON_READ_GRANT_PROFILE,
	CORDON_READ_GRANT_ROOT,
} cordon_read_grant_source;

/* One entry of the profile as the Windows layer listed it: the profile's
 * children, and the children of each split directory. */
typedef struct cordon_profile_entry {
	const char *relative; /* "AppData", ".config\\git" ('/' accepted too) */
	bool is_directory;
	bool is_reparse_point;
} cordon_profile_entry;

typedef struct cordon_read_grant_inputs {
	const char *profile_dir; /* canonical, "C:\\Users\\alice" */
	const cordon_profile_entry *entries;
	size_t entry_count;
	/* Profile-relative paths never granted: the shared credential-store
	 * list plus any Windows-only additions ('/' or '\\' separators). */
	const char *const *excluded;
	size_t excluded_count;
	const char *const *roots; /* canonical writable roots */
	size_t root_count;
	const char *const *system_dirs; /* canonical; read through BUILTIN\Users */
	size_t system_dir_count;
} cordon_read_grant_inputs;

typedef struct cordon_read_grant {
	char *path; /* canonical */
	cordon_read_grant_kind kind;
	bool is_directory;
	cordon_read_grant_source source;
} cordon_read_grant;

/* A path cordon's group ACE is on now (read back from the DACL, or from
 * the helper's progress record). */
typedef struct cordon_read_grant_state {
	const char *path;
	cordon_read_grant_kind kind;
	bool is_directory;
} cordon_read_grant_state;

typedef struct cordon_read_grant_step {
	bool remove; /* remove cordon's ACE (kind says which) instead of adding it */
	cordon_read_grant grant;
} cordon_read_grant_step;

typedef struct cordon_read_grant_plan {
	cordon_read_grant *grants; /* what setup wants in place, in a stable order */
	size_t grant_count;
	cordon_read_grant_step *steps; /* removals first, then additions */
	size_t step_count;
	char **excluded_found; /* profile entries left out (credential stores, hives) */
	size_t excluded_found_count;
	size_t links_skipped; /* junctions and symbolic links among the listed entries */
	size_t roots_covered; /* roots inside a granted profile child: no ACE of their own */
	char **system_dirs;   /* read through BUILTIN\Users, no ACE (copies of the inputs) */
	size_t system_dir_count;
} cordon_read_grant_plan;

/* The directories the Windows layer must list besides the profile
 * itself: every ancestor, below the profile, of an excluded path.
 * Allocates *dirs (canonical paths; free each, then the array). */
cordon_code cordon_read_grant_split_dirs(const char *profile_dir, const char *const *excluded,
					 size_t excluded_count, char ***dirs, size_t *dir_count,
					 cordon_error *err);

/* Plans the grants against the paths that carry one now (state may be
 * NULL when state_count is 0). Release with cordon_read_grant_plan_free. */
cordon_code cordon_read_grant_plan_build(const cordon_read_grant_inputs *inputs,
					 const cordon_read_grant_state *state, size_t state_count,
					 cordon_read_grant_plan *plan, cordon_error *err);

/* Plans uninstall: removes exactly the grants given (setup's record). */
cordon_code cordon_read_grant_plan_uninstall(const cordon_read_grant_state *recorded, size_t recorded_count,
					     cordon_read_grant_plan *plan, cordon_error *err);

void cordon_read_grant_plan_free(cordon_read_grant_plan *plan);

/* The ACE a grant stands for, naming the group's SID. */
cordon_ace cordon_read_grant_ace(const cordon_read_grant *grant, const cordon_sid *group);

/* The step as one ACL change (reason CORDON_ACL_SANDBOX_READ_GRANT), for
 * cordon_dacl_apply_change and the Windows layer. change->path is
 * allocated (free()); false on out of memory. */
bool cordon_read_grant_change(const cordon_read_grant_step *step, const cordon_sid *group,
			      cordon_acl_change *change);

const char *cordon_read_grant_kind_name(cordon_read_grant_kind kind);

#endif
