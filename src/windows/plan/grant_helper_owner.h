/* Whether the read-grant helper is running, as the unelevated side can
 * tell (elevated.h, win_grant_helper_running).
 *
 * The helper serialises itself with a mutex in a private namespace whose
 * boundary and DACL admit only Administrators (grant_helper.c), so a
 * user's unelevated `cordon run` or `doctor` cannot look at that mutex.
 * Instead the helper that holds it writes its process id and creation
 * time to <user SID>.helper.json in %ProgramData%\cordon\grants (writable
 * by SYSTEM and Administrators only, readable by that user), and the
 * user's side checks that a process with that id and that creation time
 * is alive. A sandboxed command can neither write the file nor give a
 * process of its own another's creation time. This file holds the pure
 * parts: the file's text and the decision. Portable C, unit-tested
 * natively (tests/unit/test_grant_helper_owner.c). */
#ifndef CORDON_WINDOWS_PLAN_GRANT_HELPER_OWNER_H
#define CORDON_WINDOWS_PLAN_GRANT_HELPER_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CORDON_HELPER_OWNER_SUFFIX ".helper.json"

/* The helper that holds the mutex: its process id and its creation time
 * (GetProcessTimes, 100 ns units since 1601: a FILETIME as one number). */
typedef struct cordon_helper_owner {
	uint32_t pid;
	uint64_t created;
} cordon_helper_owner;

/* {"version":1,"pid":N,"created":"N"} (allocated; NULL when out of
 * memory). The creation time is a string of digits: a JSON number is a
 * double, which cannot hold every FILETIME exactly. */
char *cordon_helper_owner_render(const cordon_helper_owner *owner);
/* false when text is not exactly such a file (pid 0 and time 0 refused). */
bool cordon_helper_owner_parse(const char *text, size_t length, cordon_helper_owner *out);

/* What the OS side saw when it looked for the owner's process. */
typedef enum cordon_helper_probe_outcome {
	CORDON_HELPER_PROBE_OPENED,	   /* OpenProcess and GetProcessTimes worked */
	CORDON_HELPER_PROBE_NO_PROCESS,	   /* no process has that id */
	CORDON_HELPER_PROBE_ACCESS_DENIED, /* a process has that id; it cannot be queried */
	CORDON_HELPER_PROBE_FAILED,	   /* any other error */
} cordon_helper_probe_outcome;

typedef struct cordon_helper_probe {
	cordon_helper_probe_outcome outcome;
	uint64_t created; /* OPENED: the process's creation time */
	bool exited;	  /* OPENED: it has exited (a handle keeps it listed) */
} cordon_helper_probe;

typedef enum cordon_helper_liveness {
	CORDON_HELPER_RUNNING,	   /* the owner's process, alive */
	CORDON_HELPER_NOT_RUNNING, /* no file, a bad file, no process, another process, exited */
	CORDON_HELPER_UNKNOWN,	   /* a process has that id and cannot be checked */
} cordon_helper_liveness;

/* The decision. owner NULL: no file, or one that cannot be parsed (only
 * SYSTEM and Administrators can write it: a bad one is not a helper's).
 * A process that cannot be opened is UNKNOWN, never RUNNING: the user is
 * told to try again and, if that persists, to run setup again, which
 * starts a helper that exits at once when one is running. */
cordon_helper_liveness cordon_helper_liveness_of(const cordon_helper_owner *owner,
						 const cordon_helper_probe *probe);

const char *cordon_helper_liveness_name(cordon_helper_liveness liveness);

#endif
