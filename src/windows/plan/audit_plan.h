/* The Everyone-writable audit (DESIGN.md "Both modes"): a bounded walk
 * of well-known places outside the roots that finds directories whose
 * DACL lets a broad group (Everyone, Authenticated Users, Users,
 * INTERACTIVE, a logon SID) add files or subdirectories, delete children,
 * or rewrite the DACL or owner. Its findings are the ACL plan's audited
 * directories (cordon_acl_inputs.audit_dirs_listed_only): each is
 * snapshotted itself on every run and gets the plan's deny when its DACL
 * lets Everyone or a logon SID write (acl_plan.h), so a warm run costs one
 * open per finding, not a walk of the machine.
 *
 * Portable C: the walk goes through the same file port the ACL engine
 * uses (acl_apply.h), so it runs natively against the access-check
 * model's port (tests/winmodel/test_audit_walk.c) and on Windows against
 * the Win32 port (src/windows/audit.c). Reparse points are never
 * followed: a junction or symbolic link is counted and skipped. */
#ifndef CORDON_WINDOWS_PLAN_AUDIT_PLAN_H
#define CORDON_WINDOWS_PLAN_AUDIT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordon.h"
#include "windows/plan/acl_apply.h"
#include "windows/plan/acl_plan.h"

/* Which broad groups an allow ACE hands a write right to. */
#define CORDON_AUDIT_EVERYONE		 0x01u
#define CORDON_AUDIT_AUTHENTICATED_USERS 0x02u
#define CORDON_AUDIT_USERS		 0x04u
#define CORDON_AUDIT_INTERACTIVE	 0x08u
#define CORDON_AUDIT_LOGON		 0x10u

/* What counts as writable for a directory: planting or removing entries,
 * or taking over its protection. */
#define CORDON_AUDIT_WRITE_RIGHTS                                                                            \
	(CORDON_FILE_ADD_FILE | CORDON_FILE_ADD_SUBDIRECTORY | CORDON_FILE_DELETE_CHILD | CORDON_WRITE_DAC | \
	 CORDON_WRITE_OWNER)

/* The broad groups (CORDON_AUDIT_* bits) the DACL gives a write right to
 * on the directory itself; every bit for a NULL DACL. Inherit-only ACEs
 * do not count; a deny in front of the allow is ignored (the audit errs
 * towards finding). */
uint32_t cordon_audit_broad_writers(bool dacl_present, const cordon_ace *aces, size_t count);

/* ------------------------------------------------------------- the places */

/* A place to audit: the directory and depth levels below it (0: the
 * directory alone). */
typedef struct cordon_audit_place {
	char path[300];
	unsigned depth;
} cordon_audit_place;

/* Canonical spellings of the machine's well-known directories; NULL or ""
 * for one this machine does not have. */
typedef struct cordon_audit_known_dirs {
	const char *windows;	       /* C:\Windows; its drive is the system drive */
	const char *program_data;      /* C:\ProgramData */
	const char *public_profile;    /* C:\Users\Public */
	const char *program_files;     /* C:\Program Files */
	const char *program_files_x86; /* C:\Program Files (x86) */
} cordon_audit_known_dirs;

#define CORDON_AUDIT_PLACES_MAX 16

/* The places for these directories, into out (at least
 * CORDON_AUDIT_PLACES_MAX); returns how many. Why each: docs/windows.md,
 * "The Everyone-writable audit". */
size_t cordon_audit_places(const cordon_audit_known_dirs *dirs, cordon_audit_place *out);

/* --------------------------------------------------------------- the walk */

typedef struct cordon_audit_bounds {
	size_t max_checks;	      /* objects opened, at most (0: no limit) */
	double max_seconds;	      /* 0: no limit */
	double (*now)(void *context); /* monotonic seconds; NULL: clock() */
	void *now_context;
} cordon_audit_bounds;

typedef struct cordon_audit_finding {
	char *path;
	uint32_t writers; /* CORDON_AUDIT_* */
} cordon_audit_finding;

typedef struct cordon_audit_result {
	cordon_audit_finding *found;
	size_t found_count;
	size_t checks;	       /* objects opened */
	size_t reparse_points; /* seen, never followed */
	size_t unreadable;     /* could not be opened or their DACL read */
	cordon_audit_stop stop;
	double seconds;
} cordon_audit_result;

/* Walks the places within bounds. Only out of memory is an error: a
 * place that is missing or cannot be read is counted and skipped. Fills
 * *out (release with cordon_audit_result_free). */
cordon_code cordon_audit_walk(const cordon_fs_port *fs, const cordon_audit_place *places, size_t place_count,
			      const cordon_audit_bounds *bounds, cordon_audit_result *out, cordon_error *err);
void cordon_audit_result_free(cordon_audit_result *result);

/* ------------------------------------------------------------- the record */

#define CORDON_AUDIT_RECORD_FILE "everyone-writable.audit"
/* A run re-audits when the record is older than this (software installed
 * since may have made new writable directories); doctor always does. */
#define CORDON_AUDIT_MAX_AGE_SECONDS (7LL * 24 * 3600)

/* The record as text (allocated), written at unix time when. */
char *cordon_audit_record_format(const cordon_audit_result *result, long long when);
/* Strict: false on anything malformed (the caller then audits again).
 * Fills result (found, checks, stop) and *when. */
bool cordon_audit_record_parse(const char *text, size_t length, cordon_audit_result *result, long long *when);
/* Whether a record written at when is still used at now. A record from
 * the future (clock changed) is stale. */
bool cordon_audit_record_fresh(long long when, long long now);

const char *cordon_audit_stop_name(cordon_audit_stop stop);

#endif
