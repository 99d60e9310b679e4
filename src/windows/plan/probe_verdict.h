/* The delete-child probe's decision and its cache (issue 9 item 2).
 *
 * Which rights a write-restricted token re-checks against its
 * restricting SIDs decides what restricted-token mode protects: if
 * FILE_DELETE_CHILD is not re-checked (Forshaw's reading), a command can
 * delete and rename away files wherever the user's own SIDs grant
 * delete-child on the parent. The Win32 side (src/windows/probe.c) tries
 * four things in a scratch directory under a token of the runs' shape
 * and reports what happened to each; this file decides what that means,
 * and keeps the result per OS build. Portable C, unit-tested natively
 * (tests/unit/test_probe_verdict.c). */
#ifndef CORDON_WINDOWS_PLAN_PROBE_VERDICT_H
#define CORDON_WINDOWS_PLAN_PROBE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum cordon_probe_outcome {
	CORDON_PROBE_ALLOWED,
	CORDON_PROBE_DENIED, /* ERROR_ACCESS_DENIED, and nothing else */
	CORDON_PROBE_FAILED, /* any other error: the attempt says nothing */
} cordon_probe_outcome;

typedef struct cordon_probe_attempt {
	cordon_probe_outcome outcome;
	unsigned long error; /* the Windows error when FAILED */
} cordon_probe_attempt;

/* What the restricted token did, each from a fresh scratch directory
 * whose DACL grants the token's restricting SIDs nothing but what is
 * named here. */
typedef struct cordon_probe_observations {
	/* (a) delete a file whose own DACL grants the capability SID
	 * nothing, in a directory granting the user delete-child */
	cordon_probe_attempt delete_file;
	/* (b) rename such a file into a directory that grants the capability
	 * SID add-file (the destination check is re-checked under every
	 * reading, so it must pass for the source check to be seen) */
	cordon_probe_attempt rename_file;
	/* (c) rewrite the DACL of a file the user owns (WRITE_DAC is
	 * re-checked under every reading: allowed means the host enforces no
	 * restricted token at all) */
	cordon_probe_attempt rewrite_dacl;
	/* control: create a file where the capability SID may add files;
	 * denied means the token or the scratch setup is not what the probe
	 * assumes, and the other answers mean nothing */
	cordon_probe_attempt control_create;
} cordon_probe_observations;

typedef enum cordon_probe_reading {
	CORDON_PROBE_RECHECKED,	    /* delete-child is re-checked: (a), (b) denied */
	CORDON_PROBE_NOT_RECHECKED, /* Forshaw's reading: (a) or (b) allowed */
	CORDON_PROBE_UNKNOWN,	    /* cannot tell: treated as the worst case */
} cordon_probe_reading;

typedef struct cordon_probe_verdict {
	cordon_probe_reading reading;
	/* Why, for UNKNOWN (and a mixed NOT_RECHECKED): one clause, no
	 * trailing period. Empty otherwise. */
	char reason[192];
	/* Whether the observations said something stable about this OS
	 * build (worth caching). A FAILED attempt is not: it may be
	 * transient, so the next run probes again. */
	bool cacheable;
} cordon_probe_verdict;

/* The decision, in this order: any FAILED attempt -> UNKNOWN (which one,
 * which error); (c) allowed -> UNKNOWN (no restricted token enforced);
 * control denied -> UNKNOWN; (a) and (b) denied -> RECHECKED; otherwise
 * NOT_RECHECKED (naming which one, when only one was allowed). */
cordon_probe_verdict cordon_probe_decide(const cordon_probe_observations *observed);

/* "re-checked", "not re-checked", "unknown". */
const char *cordon_probe_reading_name(cordon_probe_reading reading);

/* The value of doctor's contract line (docs/windows.md, "The probe and
 * `cordon doctor`"): "re-checked", "not re-checked" or
 * "not re-checked (reason)", "unknown (reason)". */
void cordon_probe_verdict_text(const cordon_probe_verdict *verdict, char *out, size_t size);

/* ------------------------------------------------------------ the cache */

#define CORDON_PROBE_CACHE_FILE "delete-child-probe"

/* The cache file's text for build: a version line, the build, the
 * reading and the reason. */
void cordon_probe_cache_format(unsigned long build, const cordon_probe_verdict *verdict, char *out,
			       size_t size);
/* The verdict cached for build, or false when text is not a well-formed
 * cache or was written on another build (then the caller probes again). */
bool cordon_probe_cache_parse(const char *text, size_t length, unsigned long build,
			      cordon_probe_verdict *verdict);

#endif
