/* What the files of the Windows backend share. Each concern has its own
 * file (mode, job, token, stubs, stdio, environment, spawn, child); all of
 * them are reached only through cordon_spawn. Only src/windows includes
 * this. */
#ifndef CORDON_WINDOWS_WIN_INTERNAL_H
#define CORDON_WINDOWS_WIN_INTERNAL_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"
#include "windows/acl_prepare.h"
#include "windows/plan/audit_plan.h"
#include "windows/plan/env_plan.h"
#include "windows/plan/local_account.h"
#include "windows/plan/probe_verdict.h"

/* ------------------------------------------------------------ text.c */

/* Allocates the UTF-16 form of a UTF-8 string; NULL on invalid UTF-8 or
 * no memory. */
wchar_t *win_wide(const char *utf8);
/* Allocates the UTF-8 form of a UTF-16 string (length units, or -1 for
 * NUL-terminated); NULL on failure. */
char *win_utf8(const wchar_t *wide, int length);
/* cordon_fail with CORDON_E_SYSTEM and ": <system message> (error N)"
 * appended for GetLastError() value error. */
cordon_code win_fail(cordon_error *err, DWORD error, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* A CORDON_TEST_* environment variable the Wine plumbing tests set, as
 * GetEnvironmentVariableA returns it; always 0 (unset) unless the library
 * was built with CORDON_TEST_HOOKS (CMake option, off by default): the
 * read-grant helper that reads them runs elevated, and a user-level
 * program can choose the environment an elevated process of that user
 * starts with (HKCU\Environment). machine_dir.c. */
DWORD win_test_hook(const char *name, char *value, DWORD size);

/* The start of the two reparse-data layouts that name a target, mount
 * point and symbolic link (REPARSE_DATA_BUFFER, from the DDK's ntifs.h;
 * user-mode headers do not declare it). The names follow: at once for a
 * mount point, after a ULONG of flags for a symbolic link. */
typedef struct win_reparse_names {
	DWORD tag;
	WORD data_length;
	WORD reserved;
	WORD substitute_offset;
	WORD substitute_length;
	WORD print_offset;
	WORD print_length;
} win_reparse_names;

/* ------------------------------------------------------------ mode.c */

typedef enum win_mode {
	WIN_MODE_FULL_ACCESS,	   /* no sandbox: the caller's own token, still in a job */
	WIN_MODE_RESTRICTED_TOKEN, /* --best-effort: a write-restricted token of the user */
	WIN_MODE_ELEVATED,	   /* a sandbox account (cordon setup): through the runner */
} win_mode;

#define WIN_NOTES_MAX 8

/* What a run does not enforce, one line each (copied in: some carry
 * the probe's reason or the audit's counts). */
typedef struct win_notes {
	char lines[WIN_NOTES_MAX][384];
	size_t count;
} win_notes;

/* Picks the mode for this policy, or refuses (CORDON_E_UNSUPPORTED, one
 * line naming 'cordon setup' and --best-effort). Fills *notes with what
 * the chosen mode does not enforce. */
cordon_code win_mode_choose(const cordon_resolved *policy, win_mode *mode, win_notes *notes,
			    cordon_error *err);

/* ------------------------------------------------------------ host.c */

/* This Windows' build number (RtlGetVersion, which does not depend on
 * the executable's manifest); 0 when it cannot be read. */
unsigned long win_os_build(void);

/* ------------------------------------------------------------ probe.c */

typedef struct win_probe_result {
	cordon_probe_verdict verdict;
	unsigned long build;
	bool cached; /* read from the state directory, not probed now */
} win_probe_result;

/* The delete-child reading on this OS build: the cached one, else probe
 * now (impersonating a write-restricted token of the runs' shape in a
 * scratch directory under state_dir, removed afterwards) and cache it
 * unless the probe failed. Never fails: an error ends as UNKNOWN with
 * the reason. */
void win_probe_delete_child(const char *state_dir, win_probe_result *out);

/* ------------------------------------------------------------ audit.c */

typedef struct win_audit_summary {
	bool available; /* a record exists (made now or before) */
	bool audited_now;
	long long when; /* unix time of the record */
	size_t found;
	size_t everyone_or_logon; /* of those, denied by the ACL plan */
	size_t checks;
	cordon_audit_stop stop;
	char error[192]; /* why no record, when !available */
} win_audit_summary;

/* The Everyone-writable audit's record for this machine: read it, or
 * (when missing, unreadable, older than a week, or force) audit the
 * well-known places now and store it. Never fails. */
void win_audit_ensure(const char *state_dir, bool force, win_audit_summary *out);

typedef struct win_audit_found {
	char **dirs;
	size_t count;
} win_audit_found;

/* The directories the record lists (none when there is no record). */
void win_audit_found_load(const char *state_dir, win_audit_found *out);
void win_audit_found_free(win_audit_found *found);

/* ------------------------------------------------------------ job.c */

typedef struct win_job {
	HANDLE job;
	HANDLE port; /* completion port: JOB_OBJECT_MSG_* */
} win_job;

/* A job whose processes die when its last handle closes (so when cordon
 * dies), on an unhandled exception, and cannot break away; UI limits;
 * notifications on a completion port. */
cordon_code win_job_create(win_job *job, cordon_error *err);
/* Whether no process of the job is alive. Drains notifications while
 * waiting up to wait_ms for "no active processes". */
bool win_job_wait_empty(win_job *job, DWORD wait_ms);
void win_job_kill(win_job *job, UINT exit_code);
void win_job_close(win_job *job);

/* ------------------------------------------------------------ desktop.c */

/* The run's private desktop (sandboxed modes; full access has none). */
typedef struct win_desktop {
	HDESK desktop;
	wchar_t *full_name; /* "<window station>\\<desktop>", for STARTUPINFO.lpDesktop */
} win_desktop;

/* Creates a desktop with a random name in cordon's window station whose
 * DACL admits the logon SID of command_token (NULL: cordon's own token)
 * and nothing else. Fails closed: nothing runs without it. */
cordon_code win_desktop_create(HANDLE command_token, win_desktop *desktop, cordon_error *err);
/* Closes cordon's handle; the desktop goes once no thread is left on it.
 * Idempotent. */
void win_desktop_close(win_desktop *desktop);
/* For 'cordon doctor': makes and closes a private desktop for cordon's own
 * token; fills detail with what happened. */
bool win_desktop_works(char *detail, size_t size);

/* ------------------------------------------------------------ mitigation.c */

/* Adds PROC_THREAD_ATTRIBUTE_MITIGATION_POLICY with the sandbox's
 * policies to list; *policy holds the value and must outlive the
 * CreateProcess call. */
cordon_code win_mitigation_attach(LPPROC_THREAD_ATTRIBUTE_LIST list, DWORD64 *policy, cordon_error *err);

/* ------------------------------------------------------------ token.c */

/* The write-restricted token for policy (token plan in
 * src/windows/plan/token_plan.h), as a primary token for
 * CreateProcessAsUserW, carrying the capability SIDs the run's ACLs name
 * (acl_prepare.h). */
cordon_code win_token_restricted(const cordon_resolved *policy, const cordon_win_acl_outcome *acl,
				 HANDLE *token, cordon_error *err);
/* The same token for a mode and the capability SIDs given (the probe
 * passes fresh random ones; the elevated runner those of its request),
 * made from this process's own token: the user's, or in the runner the
 * sandbox account's, whose user and logon SIDs the plan then names. */
cordon_code win_token_from_sids(cordon_mode mode, bool has_shared_roots, const cordon_win_acl_outcome *acl,
				HANDLE *token, cordon_error *err);

/* A random S-1-5-21-a-b-c-d that no ACE on this machine names (the run's
 * own SID, the probe's capability SIDs). False when the system's random
 * number generator fails. */
bool win_random_sid(cordon_sid *out);
/* SID conversions between the plans' form and Windows'; the second
 * allocates (free()). */
cordon_sid win_sid_from_windows(PSID sid);
PSID win_sid_to_windows(const cordon_sid *sid);
/* The token's user SID; whose names the token in the message. */
cordon_code win_token_user(HANDLE token, const char *whose, cordon_sid *user, cordon_error *err);

/* ----------------------------------------------------- local_account.c */

/* What looking up one of cordon's accounts or its group found. */
typedef struct win_local_lookup {
	bool answered;			   /* the name is known, here or elsewhere */
	DWORD error;			   /* when not answered: the lookup's error */
	cordon_local_name_verdict verdict; /* when answered */
	int use;			   /* when answered: its SID_NAME_USE */
	char reason[256];		   /* when refused: cordon_local_name_reason's phrase */
} win_local_lookup;

/* The SID of this computer's account or group NAME (UTF-8), looked up as
 * COMPUTER\NAME and accepted only when the answer's domain is this
 * computer and its kind is `expected` (CORDON_NAME_USER for the sandbox
 * accounts, CORDON_NAME_ALIAS for the sandbox group). True when *sid was
 * filled; otherwise *found says why, for the caller's own message. */
bool win_local_account_sid(const char *name, cordon_name_use expected, cordon_sid *sid,
			   win_local_lookup *found);

/* ----------------------------------------------------------- acl (spawn.c) */

/* The run's ACLs applied once (cordon_win_acl_prepare), then its token.
 * Fails closed: on any error nothing runs. */
cordon_code win_acls_and_token(const cordon_resolved *policy, HANDLE *token, size_t *descriptors_written,
			       cordon_error *err);
/* The run's ACLs alone; sandbox_group non-NULL: the elevated variant of
 * the plan (acl_plan.h, sandbox_group_present). Fills *outcome (release
 * with cordon_win_acl_outcome_free). */
cordon_code win_acls_prepare(const cordon_resolved *policy, const cordon_sid *sandbox_group,
			     cordon_win_acl_outcome *outcome, cordon_error *err);

/* --------------------------------------------------------- state_dir.c */

/* Creates cordon's state directory when it is missing. */
cordon_code win_state_dir_make(const char *state_dir, cordon_error *err);

/* ------------------------------------------------------------ stubs.c */

/* Writes ssh.exe and scp.exe stubs into <state>\stubs when missing or
 * different; allocates *stub_dir (UTF-8). */
cordon_code win_stubs_install(const char *state_dir, char **stub_dir, cordon_error *err);

/* ------------------------------------------------------------ environment.c */

/* Allocates the child's environment plan: the caller's envp (or this
 * process's environment), rewritten by the env plan for a sandboxed mode,
 * passed through for full access. */
cordon_code win_environment_plan(const cordon_resolved *policy, win_mode mode, const char *const *envp,
				 const char *stub_dir, cordon_env_plan *plan, cordon_error *err);
/* Allocates the UTF-16 block for CREATE_UNICODE_ENVIRONMENT. */
wchar_t *win_environment_block(const cordon_env_plan *plan, cordon_error *err);

typedef enum win_search_result {
	WIN_SEARCH_FOUND,
	WIN_SEARCH_NOT_FOUND,
	WIN_SEARCH_NOT_EXECUTABLE,
} win_search_result;

/* Finds program the way the command's own environment would: a name
 * with a path separator or drive relative to cwd, else each PATH entry of
 * the plan with the name, then the name plus each PATHEXT extension. The
 * current directory is not searched (NoDefaultCurrentDirectoryInExePath).
 * Allocates *found (UTF-8) or fills detail. */
win_search_result win_program_search(const cordon_env_plan *plan, const char *cwd, const char *program,
				     char **found, char *detail, size_t detail_size);

/* ------------------------------------------------------------ stdio.c */

/* One stream the parent reads: an overlapped pipe end with a pending read
 * kept across cordon_child_read calls, so a timeout never loses data. */
typedef struct win_reader {
	HANDLE pipe;
	HANDLE event;
	OVERLAPPED overlapped;
	bool pending;
	bool eof;
	DWORD have;   /* bytes in buffer not yet handed out */
	DWORD offset; /* first of them */
	char buffer[65536];
} win_reader;

typedef struct win_stdio {
	/* INHERIT, PIPES: the command's three standard handles, inheritable;
	 * owned here. PTY: none (the command inherits no handle). */
	HANDLE child[3];
	/* PIPES: the parent's ends. PTY: stdin_write is the terminal's input,
	 * readers[0] its output. */
	HANDLE stdin_write;
	win_reader readers[2]; /* stdout, stderr */
	/* PTY: the pseudo console and its ends of the two pipes. */
	void *pseudo_console; /* HPCON */
	HANDLE pty_input_read;
	HANDLE pty_output_write;
	HANDLE pty_closer; /* the thread closing the pseudo console */
} win_stdio;

cordon_code win_stdio_prepare(cordon_stdio mode, unsigned short rows, unsigned short cols, win_stdio *stdio,
			      cordon_error *err);
/* Inherit mode with given handles instead of this process's own (the
 * runner: the user's, duplicated into it by the user side); inheritable
 * copies are made, the given handles stay the caller's. */
cordon_code win_stdio_inherit_given(const HANDLE given[3], win_stdio *stdio, cordon_error *err);
/* An inbound pipe: *reader gets the parent's overlapped read end,
 * *child_end the writing end (inheritable when asked). */
cordon_code win_output_pipe(win_reader *reader, HANDLE *child_end, bool inheritable, cordon_error *err);
/* Closes the command's ends in this process once it has its copies. */
void win_stdio_close_child_ends(win_stdio *stdio);
/* Reads as cordon_child_read does. */
long long win_reader_read(win_reader *reader, void *buffer, size_t length, int timeout_ms);
void win_stdio_close(win_stdio *stdio);

/* ------------------------------------------------------------ paths.c */

/* Refuses (CORDON_E_UNTRUSTED_LINK) a working directory or root whose
 * real path (GetFinalPathNameByHandleW) differs from the resolved one. */
cordon_code win_paths_check(const cordon_resolved *policy, cordon_error *err);

/* ------------------------------------------------------------ conpty.c */

/* PTY mode: the two pipes and the pseudo console, rows x cols (0: 24 x 80). */
cordon_code win_pty_open(win_stdio *stdio, unsigned short rows, unsigned short cols, cordon_error *err);
/* Adds PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE to list. */
cordon_code win_pty_attach(win_stdio *stdio, LPPROC_THREAD_ATTRIBUTE_LIST list, cordon_error *err);
cordon_code win_pty_resize(win_stdio *stdio, unsigned short rows, unsigned short cols, cordon_error *err);
/* Types Ctrl-C (0x03) into the pseudo console: the console host raises
 * CTRL_C_EVENT in the command. */
cordon_code win_pty_interrupt(win_stdio *stdio, cordon_error *err);
/* Closes the pseudo console on a thread of its own; its output pipe then
 * ends once drained. */
void win_pty_close(win_stdio *stdio);
/* Whether cordon's three standard handles are all console handles. */
bool win_own_stdio_is_console(void);
/* Whether a PTY command must be started with STARTF_USESTDHANDLES and
 * NULL standard handles (see conpty.c). */
bool win_pty_needs_null_std_handles(void);

/* ------------------------------------------------------------ spawn.c / child.c */

/* One command, ready to start: what cordon_spawn planned (or, in the
 * runner, what the request said). Strings are allocated; the token is
 * owned. */
typedef struct win_launch {
	wchar_t *application;
	wchar_t *command_line;
	wchar_t *environment;
	wchar_t *cwd;
	cordon_env_plan env; /* the environment plan the block was made from */
	HANDLE token;	     /* NULL: cordon's own token (full access) */
	cordon_stdio stdio;
	unsigned short rows, cols;
	unsigned timeout_ms;
	bool inherit_given; /* inherit mode with these handles, not GetStdHandle's */
	HANDLE inherit[3];
	bool breakaway;			/* CREATE_BREAKAWAY_FROM_JOB (the runner) */
	bool acls_applied;		/* for the run log */
	size_t acl_descriptors_written; /* for the run log */
} win_launch;

void win_launch_free(win_launch *l);
/* Starts l in a job of its own: the one place a command is created
 * (cordon_spawn, and the elevated runner for its command). Allocates
 * *out: a child that ran or, for a program Windows could not run, one
 * that never ran. */
cordon_code win_launch_start(win_launch *l, win_mode mode, const win_notes *notes, cordon_child **out,
			     cordon_error *err);

/* spawn_elevated.c: the user side of an elevated run. Applies the ACLs
 * (elevated variant), starts the runner as the sandbox account, sends it
 * l, and returns a child whose streams, wait and terminate go through
 * the runner. test: a test's substitutions (elevated.h, win_runner_test;
 * NULL: none). */
struct win_runner_test;
cordon_code win_elevated_spawn_with(const cordon_resolved *policy, const win_launch *l,
				    const win_notes *notes, const struct win_runner_test *test,
				    cordon_child **out, cordon_error *err);

/* The user side's view of a run the runner started (spawn_elevated.c). */
typedef struct win_remote win_remote;
cordon_code win_remote_wait(cordon_child *child, int timeout_ms, cordon_exit *out, cordon_error *err);
cordon_code win_remote_terminate(cordon_child *child, cordon_error *err);
cordon_code win_remote_resize(cordon_child *child, unsigned short rows, unsigned short cols,
			      cordon_error *err);
/* Ends the runner (its job) and the relays; child.c calls it first. */
void win_remote_free(win_remote *remote);
/* The command's job, duplicated from the runner with JOB_OBJECT_QUERY
 * (the runner holds the job itself; the proxy lists its processes). */
HANDLE win_remote_command_job(const win_remote *remote);

struct cordon_child {
	cordon_stdio stdio_mode;
	win_mode mode;
	win_stdio stdio;
	win_job job;
	win_desktop desktop;
	HANDLE process;
	DWORD pid;
	ULONGLONG started_ms;
	unsigned timeout_ms;
	bool root_exited;
	DWORD root_code;
	bool timed_out;
	bool terminated;
	bool finished;
	cordon_exit exit;
	win_notes notes;
	bool acls_applied; /* the run log's acl_descriptors_written */
	size_t acl_descriptors_written;
	win_remote *remote;	    /* elevated mode, user side: the runner runs it */
	struct cordon_proxy *proxy; /* --network proxy: stopped when the child is freed */
};

/* Allocates a child that never ran, whose wait reports kind (NOT_FOUND or
 * NOT_EXECUTABLE) with detail. */
cordon_child *win_child_never_ran(cordon_exit_kind kind, const char *detail);

#endif
