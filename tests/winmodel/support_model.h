/* An access-check model of NTFS for cordon's Windows plans (tests only).
 *
 * It follows Microsoft's documented algorithm ("How DACLs Control Access
 * to an Object", "Order of ACEs in a DACL", "ACE Inheritance Rules",
 * "Restricted Tokens", "File Security and Access Rights", "Generic Access
 * Rights") and nothing else: ACEs read in order until every requested
 * right is granted or one is denied; inherit-only ACEs skipped; generic
 * rights mapped with the file mapping; a restricted token checked a second
 * time against its restricting SIDs (for a write-restricted token, only
 * for the rights the chosen model_write_set calls write). Delete needs
 * DELETE on the object or FILE_DELETE_CHILD on its parent; rename needs
 * that plus the right to add an entry to the destination directory.
 * Alternate data streams have no security descriptor of their own: the
 * file's DACL decides.
 *
 * Paths are Windows spellings, read with core/winpath.h: case-insensitive,
 * trailing dots and spaces stripped outside \\?\, \\?\ and
 * \\localhost\C$ spellings reaching the same node as C:\, junctions
 * followed when a path is opened through them. */
#ifndef CORDON_TESTS_WINMODEL_SUPPORT_MODEL_H
#define CORDON_TESTS_WINMODEL_SUPPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "windows/plan/acl_plan.h"
#include "windows/plan/sid.h"
#include "windows/plan/token_plan.h"

/* Which rights a write-restricted token re-checks against its
 * restricting SIDs. Microsoft's documentation says only "write access";
 * see docs/windows.md. */
typedef enum model_write_set {
	/* What GENERIC_WRITE maps to for files, less READ_CONTROL and
	 * SYNCHRONIZE (which GENERIC_READ also maps to): write data, append,
	 * write attributes, write EA. The narrowest reading, so the most
	 * permissive for the sandbox. */
	MODEL_WRITE_GENERIC_MAPPING,
	/* The above plus DELETE, WRITE_DAC, WRITE_OWNER, FILE_DELETE_CHILD. */
	MODEL_WRITE_WITH_STANDARD,
} model_write_set;

uint32_t model_write_rights(model_write_set set);

typedef struct model_node {
	char *path; /* canonical */
	bool is_directory;
	char *reparse_target; /* junction: canonical target, else NULL */
	char *gitdir;	      /* a worktree's .git file: the gitdir it names */
	cordon_sid owner;
	bool dacl_present;   /* false: NULL DACL */
	bool dacl_protected; /* SE_DACL_PROTECTED: inherits nothing */
	cordon_ace *aces;    /* explicit first, then inherited (INHERITED flag) */
	size_t ace_count;
	uint32_t writes; /* how many times its data was written (tests read it) */
} model_node;

typedef struct model_tree {
	model_node *nodes;
	size_t count;
	size_t capacity;
	size_t descriptors_written; /* security descriptors set by model_apply_plan */
} model_tree;

typedef struct model_token {
	cordon_sid user;
	cordon_sid groups[12]; /* enabled groups */
	size_t group_count;
	cordon_sid deny_only[4]; /* SE_GROUP_USE_FOR_DENY_ONLY */
	size_t deny_only_count;
	cordon_sid restricting[8];
	size_t restricting_count;
	bool write_restricted;
	model_write_set write_set;
} model_token;

void model_tree_init(model_tree *tree);
void model_tree_free(model_tree *tree);
/* Adds a node with these explicit ACEs; inherited ACEs come from its
 * parent when the parent is in the tree. */
model_node *model_add(model_tree *tree, const char *path, bool is_directory, const cordon_sid *owner,
		      const cordon_ace *explicit_aces, size_t count);
model_node *model_add_junction(model_tree *tree, const char *path, const char *target,
			       const cordon_sid *owner);
model_node *model_find(model_tree *tree, const char *canonical_path);

/* The documented evaluation of one DACL for one token (both passes). */
bool model_access_check(const model_node *node, const model_token *token, uint32_t desired);

/* The inherited ACEs a new child of parent receives ("ACE Inheritance
 * Rules"). Returns the count; out must hold 2 * parent->ace_count. */
size_t model_inherit(const model_node *parent, bool child_is_directory, cordon_ace *out);

typedef enum model_verdict {
	MODEL_ALLOWED,
	MODEL_DENIED,  /* the access check failed */
	MODEL_REFUSED, /* the spelling names no file (device, pipe, invalid) */
	MODEL_MISSING, /* a parent directory does not exist */
} model_verdict;

const char *model_verdict_name(model_verdict verdict);

/* Operations a command performs, by Windows spelling. Successful
 * creations add nodes (inheriting from their parent). */
model_verdict model_write(model_tree *tree, const model_token *token, const char *path);
model_verdict model_append(model_tree *tree, const model_token *token, const char *path);
model_verdict model_mkdir(model_tree *tree, const model_token *token, const char *path);
model_verdict model_delete(model_tree *tree, const model_token *token, const char *path);
model_verdict model_rename(model_tree *tree, const model_token *token, const char *from, const char *to);
model_verdict model_write_dac(model_tree *tree, const model_token *token, const char *path);

/* A snapshot of the whole tree in the plan's terms. Free with
 * model_snapshot_free. */
cordon_win_snapshot model_snapshot(const model_tree *tree);
void model_snapshot_free(cordon_win_snapshot *snapshot);

/* Applies every change as SetNamedSecurityInfo would: the explicit ACEs
 * change, then inherited ACEs are recomputed below (junctions are not
 * followed, protected DACLs are left alone). Returns false when a change
 * names a path not in the tree. */
bool model_apply_plan(model_tree *tree, const cordon_acl_plan *plan);

/* The user's token restricted as the token plan says. */
model_token model_token_from_plan(const cordon_token_plan *plan, const cordon_sid *user,
				  const cordon_sid *groups, size_t group_count, model_write_set write_set);

#endif
