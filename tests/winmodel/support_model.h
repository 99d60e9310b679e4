/* An access-check model of NTFS for cordon's Windows plans (tests only).
 *
 * It follows Microsoft's documented algorithm ("How DACLs Control Access
 * to an Object", "Order of ACEs in a DACL", "ACE Inheritance Rules",
 * "Restricted Tokens", "File Security and Access Rights", "Generic Access
 * Rights") and nothing else: ACEs read in order until every requested
 * right is granted or one is denied; inherit-only ACEs skipped; generic
 * rights mapped with the file mapping; a restricted token checked a second
 * time against its restricting SIDs (for a write-restricted token, only
 * for the rights the token's model_reading says are re-checked); the
 * owner's implicit READ_CONTROL | WRITE_DAC only when no OWNER RIGHTS ACE
 * is present and, for a restricted token, only when the owner SID is both
 * in the token and among its restricting SIDs (Windows Security Internals,
 * the owner check; ReactOS SepTokenIsOwner). Delete needs DELETE on the
 * object or FILE_DELETE_CHILD on its parent; rename needs that plus
 * FILE_ADD_FILE | SYNCHRONIZE (FILE_ADD_SUBDIRECTORY | SYNCHRONIZE for a
 * directory) on the destination directory. Alternate data streams have no
 * security descriptor of their own: the file's DACL decides.
 *
 * Paths are Windows spellings, read with core/winpath.h: case-insensitive,
 * trailing dots and spaces stripped outside \\?\, \\?\ and
 * \\localhost\C$ and \??\ spellings reaching the same node as C:\, junctions
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
 * no Windows host has confirmed either reading, and cordon's probe
 * (docs/windows.md, "The probe") picks one on each host. */
typedef enum model_reading {
	/* James Forshaw's (NtObjectManager's write-restricted mask, Windows
	 * Security Internals ch. 7): GenericWrite & ~(GenericRead |
	 * GenericExecute), plus DELETE, WRITE_DAC, WRITE_OWNER and
	 * ACCESS_SYSTEM_SECURITY; for files 0x010D0116. FILE_DELETE_CHILD is
	 * not re-checked. The reading docs and verdicts are judged by. */
	MODEL_READING_FORSHAW,
	/* The alternative the probe can find: the same set plus
	 * FILE_DELETE_CHILD. */
	MODEL_READING_DELETE_CHILD_RECHECKED,
} model_reading;

#define MODEL_READING_COUNT 2

#define MODEL_ACCESS_SYSTEM_SECURITY 0x01000000u

uint32_t model_rechecked_rights(model_reading reading);
const char *model_reading_name(model_reading reading);

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
	/* Mandatory label: an integrity RID (0x1000 Low, 0x2000 Medium), with
	 * the default no-write-up policy; 0: no label, which Windows treats
	 * as Medium. */
	uint32_t integrity;
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
	model_reading reading;
	uint32_t integrity; /* the token's integrity RID; 0: Medium */
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

#define MODEL_INTEGRITY_LOW    0x1000u
#define MODEL_INTEGRITY_MEDIUM 0x2000u

/* Labels path and everything below it with an inheritable no-write-up
 * label of this integrity RID (as icacls /setintegritylevel (OI)(CI)
 * would); nodes added below it later inherit it. */
void model_set_label(model_tree *tree, const char *path, uint32_t integrity);

/* The mandatory integrity check, then the documented evaluation of one
 * DACL for one token (both passes). A token below the object's level
 * gets at most FILE_GENERIC_READ | FILE_GENERIC_EXECUTE (no-write-up:
 * "Mandatory Integrity Control"; which rights survive, from
 * microsoft/terminal#11222 and a public decompilation of
 * SepMandatoryIntegrityCheck: generic read and execute, READ_CONTROL,
 * SYNCHRONIZE; so neither DELETE nor FILE_DELETE_CHILD). */
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

/* The token restricted as the token plan says: user and groups are the
 * user's own (restricted-token mode) or the sandbox account's (the
 * elevated mode's shape). */
model_token model_token_from_plan(const cordon_token_plan *plan, const cordon_sid *user,
				  const cordon_sid *groups, size_t group_count, model_reading reading);
/* A SID from its string form; aborts the test when malformed. */
cordon_sid model_sid(const char *text);
/* A run's own SID for token inputs (cordon makes a random one per run);
 * each call gives a different one. */
cordon_sid model_run_sid(void);

#endif
