/* The read-grant helper's progress: what it has applied, what is left,
 * and whether a given path can be read by the sandbox accounts yet.
 * Pure, portable C (unit-tested natively); the Windows layer
 * (src/windows/grant_helper.c) reads and writes the file and applies the
 * steps.
 *
 * Two files per user, two writers (src/windows/machine_dir.h says where):
 * - the record (setup_plan.h's, copied there by `cordon setup`) holds the
 *   wanted grants: every grant of the plan's end state.
 * - the progress (this file's format, written only by the helper, which
 *   a machine-wide mutex makes the only one running) holds the grants
 *   applied so far and the ones that failed.
 * What is left is the difference: grants wanted and not done are added,
 * grants done and no longer wanted are removed. A changed plan (a new
 * root, a store newly excluded, a child that became split) therefore
 * needs no special case: what is still wanted stays done, the rest is
 * planned again. A progress file that cannot be read is not an error the
 * helper stops on: it starts from an empty progress (adding an ACE that
 * is already there writes nothing). */
#ifndef CORDON_WINDOWS_PLAN_GRANT_PROGRESS_H
#define CORDON_WINDOWS_PLAN_GRANT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"
#include "windows/plan/read_grant_plan.h"

#define CORDON_GRANT_ERROR_MAX 400

/* One grant that failed, with the line saying why. */
typedef struct cordon_grant_failure {
	cordon_read_grant_state grant; /* path owned */
	char error[CORDON_GRANT_ERROR_MAX];
} cordon_grant_failure;

typedef struct cordon_grant_progress {
	/* The record fingerprint of the last pass that left nothing to do
	 * ("" when none has): the helper's "finished" marker. */
	char finished_fingerprint[65];
	cordon_read_grant_state *done; /* applied, in the order applied; paths owned */
	size_t done_count;
	cordon_grant_failure *failed;
	size_t failed_count;
	size_t descriptors_written; /* over every pass, for the log and the tests */
} cordon_grant_progress;

void cordon_grant_progress_init(cordon_grant_progress *progress);
void cordon_grant_progress_free(cordon_grant_progress *progress);

/* The progress as JSON (allocated, free()) and back. Parsing is strict:
 * anything malformed is CORDON_E_INVALID with one line, and *progress is
 * left empty (the caller starts from scratch). */
char *cordon_grant_progress_render(const cordon_grant_progress *progress);
cordon_code cordon_grant_progress_parse(const char *text, size_t length, cordon_grant_progress *progress,
					cordon_error *err);

/* What is left to do. */
typedef struct cordon_grant_work {
	/* Removals first (grants done and no longer wanted), then additions
	 * in the order that makes runs usable soonest: the tree grants that
	 * make a root readable (the root's own, or the profile child holding
	 * it), so a run can start, through the junction if need be; then the
	 * list grants (the profile and split directories, which the real
	 * path's ancestors need); then the other tree grants. source is
	 * CORDON_READ_GRANT_ROOT for the first kind. */
	cordon_read_grant_step *steps; /* paths owned */
	size_t step_count;
	size_t wanted_count; /* M of "N of M" */
	size_t wanted_done;  /* N: wanted grants already done */
} cordon_grant_work;

/* wanted: the record's grants; roots: the record's roots. */
cordon_code cordon_grant_work_build(const cordon_read_grant_state *wanted, size_t wanted_count,
				    const char *const *roots, size_t root_count,
				    const cordon_grant_progress *progress, cordon_grant_work *work,
				    cordon_error *err);
void cordon_grant_work_free(cordon_grant_work *work);

/* Records the outcome of one step: an addition that succeeded joins the
 * done list (and leaves the failed one), a removal that succeeded leaves
 * the done list, a step that failed is put on the failed list with
 * error (replacing an earlier failure of the same grant). false on out of
 * memory (progress unchanged). */
bool cordon_grant_progress_mark(cordon_grant_progress *progress, const cordon_read_grant_step *step,
				bool succeeded, const char *error);

/* Whether the sandbox accounts can use path (a canonical working
 * directory) yet. */
typedef enum cordon_grant_readiness {
	CORDON_GRANT_READY,		/* its tree grant and every list grant above it are done */
	CORDON_GRANT_ANCESTORS_PENDING, /* its tree grant is done, a list grant above it is not */
	CORDON_GRANT_PENDING,		/* its tree grant is not done yet */
	CORDON_GRANT_FAILED,		/* its tree grant failed (failure says why) */
	CORDON_GRANT_NOT_PLANNED,	/* no wanted tree grant covers it */
} cordon_grant_readiness;

typedef struct cordon_grant_coverage {
	cordon_grant_readiness readiness;
	const char *grant_path; /* the covering tree grant (points into wanted), or NULL */
	const char *failure;	/* FAILED: the recorded line (points into progress) */
	size_t done;		/* wanted grants done */
	size_t total;		/* wanted grants */
} cordon_grant_coverage;

/* progress may be NULL (nothing done). Never allocates. */
cordon_grant_coverage cordon_grant_coverage_of(const cordon_read_grant_state *wanted, size_t wanted_count,
					       const cordon_grant_progress *progress, const char *path);

const char *cordon_grant_readiness_name(cordon_grant_readiness readiness);

#endif
