/* cordon — run untrusted commands under an operating-system sandbox.
 *
 * The library never prints and never exits. Every fallible call returns a
 * cordon_code and, when given a cordon_error, fills it with a one-line
 * message meant for a person: what went wrong, why, and what to do.
 *
 * Typical use:
 *
 *   cordon_policy *p = cordon_policy_new();
 *   cordon_policy_set_cwd(p, "/work/project", &err);
 *   cordon_resolved *r;
 *   if (cordon_policy_resolve(p, &r, &err) != CORDON_OK) ...
 *   cordon_spawn_options o = { .argv = argv, .stdio = CORDON_STDIO_INHERIT };
 *   cordon_child *c;
 *   if (cordon_spawn(r, &o, &c, &err) != CORDON_OK) ...
 *   cordon_exit e;
 *   cordon_child_wait(c, -1, &e, &err);
 *   int status = cordon_exit_status(&e);
 *
 * Strings are UTF-8 on every platform (on Windows the backend converts
 * them to UTF-16 for the system).
 *
 * Ownership: functions named *_new, *_resolve, cordon_spawn and those
 * documented as "allocates" hand the caller an object it must release with
 * the matching *_free (or free() for plain strings).
 */
#ifndef CORDON_H
#define CORDON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CORDON_VERSION "0.1.0"

/* ---------------------------------------------------------------- errors */

typedef enum cordon_code {
	CORDON_OK = 0,
	CORDON_E_INVALID,	 /* a bad argument or policy value */
	CORDON_E_PARSE,		 /* a policy document is not valid JSON */
	CORDON_E_NOMEM,		 /* out of memory */
	CORDON_E_NOT_FOUND,	 /* a path the policy names does not exist */
	CORDON_E_UNTRUSTED_LINK, /* a path goes through a link the user could have planted */
	CORDON_E_UNSUPPORTED,	 /* this host cannot enforce what was asked */
	CORDON_E_SYSTEM,	 /* a system call failed */
	CORDON_E_TIMEOUT,	 /* a wait or read gave up; from cordon_spawn: the spawn
				    timeout passed during set-up and nothing ran */
	CORDON_E_STATE,		 /* a call made in the wrong order */
} cordon_code;

#define CORDON_ERROR_MESSAGE_MAX 1024

typedef struct cordon_error {
	cordon_code code;
	int sys_errno;				/* errno behind CORDON_E_SYSTEM, else 0 */
	char message[CORDON_ERROR_MESSAGE_MAX]; /* one line, no "cordon: " prefix */
} cordon_error;

/* A stable lower-case name for a code, e.g. "unsupported". */
const char *cordon_code_name(cordon_code code);

/* ---------------------------------------------------------------- policy */

typedef enum cordon_mode {
	CORDON_MODE_READ_ONLY,
	CORDON_MODE_WORKSPACE_WRITE,
	CORDON_MODE_FULL_ACCESS, /* no sandbox at all; the CLI says so out loud */
} cordon_mode;

typedef enum cordon_network {
	CORDON_NETWORK_OFF,
	CORDON_NETWORK_ON,
	CORDON_NETWORK_PROXY, /* only through cordon's allowlist proxy */
} cordon_network;

/* What the caller asked for, before any path is looked at. */
typedef struct cordon_policy cordon_policy;

/* Allocates a policy with the defaults: workspace-write, cwd ".", protected
 * names .git .codex .agents .cordon, network off, temp directory writable,
 * best-effort off. */
cordon_policy *cordon_policy_new(void);
void cordon_policy_free(cordon_policy *policy);

cordon_code cordon_policy_set_mode(cordon_policy *policy, cordon_mode mode);
cordon_code cordon_policy_set_cwd(cordon_policy *policy, const char *dir, cordon_error *err);
cordon_code cordon_policy_add_writable_root(cordon_policy *policy, const char *dir, cordon_error *err);
/* The first explicit protected name replaces the defaults only if
 * cordon_policy_clear_protected_names was called; otherwise names add up. */
cordon_code cordon_policy_add_protected_name(cordon_policy *policy, const char *name, cordon_error *err);
void cordon_policy_clear_protected_names(cordon_policy *policy);
cordon_code cordon_policy_add_deny_read(cordon_policy *policy, const char *path, cordon_error *err);
/* Lets the command read one of the credential stores that every sandboxed
 * run hides by default (README "Credential stores"). name is an entry of
 * the list relative to the home (".ssh", also "~/.ssh"), an absolute
 * spelling of one under the home (checked by cordon_policy_resolve), or
 * "all" for the whole default set. Anything else is CORDON_E_INVALID with
 * the valid names. */
cordon_code cordon_policy_allow_read_credential(cordon_policy *policy, const char *name, cordon_error *err);
cordon_code cordon_policy_set_network(cordon_policy *policy, cordon_network network);
cordon_code cordon_policy_add_allowed_domain(cordon_policy *policy, const char *domain, cordon_error *err);
void cordon_policy_set_tmp_writable(cordon_policy *policy, bool writable);
void cordon_policy_set_best_effort(cordon_policy *policy, bool best_effort);

/* Applies a cordon policy document (see README, "Policy JSON") on top of
 * what the policy already holds. Unknown keys and wrong types are errors
 * naming the key; parse errors give line and column. */
cordon_code cordon_policy_merge_json(cordon_policy *policy, const char *text, size_t length,
				     cordon_error *err);
/* As cordon_policy_merge_json, for a document read from a file in
 * base_dir (absolute): the relative paths it gives for cwd,
 * writable_roots/workspace_roots and deny_read are taken from base_dir,
 * not from the process's working directory. base_dir NULL: the same as
 * cordon_policy_merge_json. */
cordon_code cordon_policy_merge_json_from(cordon_policy *policy, const char *text, size_t length,
					  const char *base_dir, cordon_error *err);

/* Applies the compatibility POLICY argument: "read-only", "workspace-write",
 * or a JSON object in either the cordon shape ({"mode":...,
 * "workspace_roots":[...]}) or the seeds' shape ({"type":...,
 * "writable_roots":[...], "network_access":bool, ...}). */
cordon_code cordon_policy_merge_compat(cordon_policy *policy, const char *argument, cordon_error *err);

cordon_mode cordon_policy_mode(const cordon_policy *policy);
cordon_network cordon_policy_network(const cordon_policy *policy);

/* The policy after every path was canonicalised against the real
 * filesystem: what will actually be enforced. */
typedef struct cordon_resolved cordon_resolved;

typedef enum cordon_root_kind {
	CORDON_ROOT_WORKSPACE, /* the working directory */
	CORDON_ROOT_TMP,       /* the temp directory (workspace-write, unless --no-tmp) */
	CORDON_ROOT_EXTRA,     /* a root the caller added */
} cordon_root_kind;

/* Allocates *out. Fails (and allocates nothing) on a missing or
 * non-directory cwd or root, a path through an untrusted link, or an
 * invalid combination (allowed domains without proxy network). */
cordon_code cordon_policy_resolve(const cordon_policy *policy, cordon_resolved **out, cordon_error *err);
void cordon_resolved_free(cordon_resolved *resolved);

cordon_mode cordon_resolved_mode(const cordon_resolved *resolved);
cordon_network cordon_resolved_network(const cordon_resolved *resolved);
bool cordon_resolved_best_effort(const cordon_resolved *resolved);
const char *cordon_resolved_cwd(const cordon_resolved *resolved);
const char *cordon_resolved_state_dir(const cordon_resolved *resolved);
size_t cordon_resolved_root_count(const cordon_resolved *resolved);
const char *cordon_resolved_root(const cordon_resolved *resolved, size_t index, cordon_root_kind *kind);
size_t cordon_resolved_protected_count(const cordon_resolved *resolved);
const char *cordon_resolved_protected(const cordon_resolved *resolved, size_t index);
size_t cordon_resolved_deny_read_count(const cordon_resolved *resolved);
const char *cordon_resolved_deny_read(const cordon_resolved *resolved, size_t index);
/* The credential stores this run hides: canonical paths of entries of the
 * default list that exist under the invoking user's home(s) and were not
 * allowed; empty in full-access. Kept apart from the deny-read paths the
 * caller gave, and masked the same way. */
size_t cordon_resolved_credential_count(const cordon_resolved *resolved);
const char *cordon_resolved_credential(const cordon_resolved *resolved, size_t index);
size_t cordon_resolved_domain_count(const cordon_resolved *resolved);
const char *cordon_resolved_domain(const cordon_resolved *resolved, size_t index);

/* Allocates the resolved policy as pretty JSON (caller frees with free()). */
char *cordon_resolved_to_json(const cordon_resolved *resolved);
/* Lower-case hex SHA-256 of the compact canonical JSON; owned by resolved. */
const char *cordon_resolved_digest(const cordon_resolved *resolved);

/* ------------------------------------------------------ credential stores */

/* The one list of well-known credential stores hidden by default: names
 * relative to a home directory with '/' between components (".ssh",
 * ".docker/config.json"), each with the reason it is on the list. On
 * Windows the same names apply under %USERPROFILE%. NULL past the end. */
size_t cordon_credential_store_count(void);
const char *cordon_credential_store_name(size_t index);
const char *cordon_credential_store_reason(size_t index);

/* ---------------------------------------------------------------- spawn */

typedef enum cordon_stdio {
	CORDON_STDIO_INHERIT, /* the command shares the caller's 0, 1, 2 */
	CORDON_STDIO_PIPES,   /* separate pipes for stdin, stdout and stderr */
	CORDON_STDIO_PTY,     /* a new pseudo-terminal, the command's controlling terminal */
} cordon_stdio;

typedef struct cordon_spawn_options {
	const char *const *argv; /* argv[0] is searched in PATH; required */
	const char *const *envp; /* NULL: the caller's environment */
	cordon_stdio stdio;
	unsigned timeout_ms; /* 0: none; when it passes the whole tree is killed */
	unsigned short rows; /* PTY size; 0 means 24 */
	unsigned short cols; /* PTY size; 0 means 80 */
} cordon_spawn_options;

typedef struct cordon_child cordon_child;

/* The one and only way cordon starts a process, sandboxed per the resolved
 * policy whatever the stdio mode. Returns once the sandbox is in place and
 * the command was handed to execve; a sandbox that cannot be built fails
 * here (CORDON_E_UNSUPPORTED / CORDON_E_SYSTEM) and nothing runs. The
 * spawn timeout counts from this call: if it passes while the sandbox is
 * being set up, everything of the run is killed and this returns
 * CORDON_E_TIMEOUT (a timeout, status 124, though nothing ran). With
 * CORDON_STDIO_PTY the pty is opened inside the sandbox, so the command's
 * terminal is /dev/pts/N of the sandbox's own devpts. Allocates *out. */
cordon_code cordon_spawn(const cordon_resolved *policy, const cordon_spawn_options *options,
			 cordon_child **out, cordon_error *err);

typedef enum cordon_stream {
	CORDON_STREAM_STDIN,
	CORDON_STREAM_STDOUT,
	CORDON_STREAM_STDERR,
	CORDON_STREAM_PTY, /* the pty master: read output, write input */
} cordon_stream;

/* The parent's end of a stream, or -1 when the stdio mode has none. The
 * descriptor stays owned by the child object; use it for poll(). On
 * Windows always -1 (the pipes are handles): read with cordon_child_read,
 * which takes a timeout. */
int cordon_child_fd(const cordon_child *child, cordon_stream stream);
/* The command's process id (on Windows the process id of the root; pid_t
 * is 64 bits wide there under mingw-w64, and ssize_t likewise). */
pid_t cordon_child_pid(const cordon_child *child);

/* Input to the command (stdin pipe or pty). Returns bytes written or -1. */
ssize_t cordon_child_write(cordon_child *child, const void *data, size_t length);
/* Closes the command's stdin (pipes) or sends EOF (pty, VEOF). */
cordon_code cordon_child_close_stdin(cordon_child *child, cordon_error *err);
/* Reads what is available from a stream, waiting up to timeout_ms (-1:
 * forever). Returns bytes read, 0 at end of stream, -1 with errno
 * ETIMEDOUT when nothing came in time. */
ssize_t cordon_child_read(cordon_child *child, cordon_stream stream, void *buffer, size_t length,
			  int timeout_ms);
/* Resizes the command's terminal (pty mode). On Windows
 * CORDON_E_UNSUPPORTED where ResizePseudoConsole is not implemented
 * (Wine); the session goes on. */
cordon_code cordon_child_resize(cordon_child *child, unsigned short rows, unsigned short cols,
				cordon_error *err);
/* Delivers a signal to the command (not to cordon's supervisor). On
 * Windows only SIGTERM and 9 (SIGKILL), which end the whole tree, and
 * SIGINT in pty mode (Ctrl-C typed on its pseudo console); anything else
 * is CORDON_E_UNSUPPORTED. */
cordon_code cordon_child_signal(cordon_child *child, int signal_number, cordon_error *err);
/* Kills the whole process tree of the run now. */
cordon_code cordon_child_terminate(cordon_child *child, cordon_error *err);
/* What this run does not enforce because the policy asked for
 * best-effort and the host lacks a layer: one line each, owned by child.
 * Empty for every run that is not best-effort. */
size_t cordon_child_not_enforced_count(const cordon_child *child);
const char *cordon_child_not_enforced(const cordon_child *child, size_t index);

typedef enum cordon_exit_kind {
	CORDON_EXIT_CODE,	    /* exited with code */
	CORDON_EXIT_SIGNAL,	    /* killed by signal */
	CORDON_EXIT_TIMEOUT,	    /* the spawn timeout passed; the tree was killed */
	CORDON_EXIT_NOT_FOUND,	    /* argv[0] not found (127) */
	CORDON_EXIT_NOT_EXECUTABLE, /* argv[0] found but not executable (126) */
} cordon_exit_kind;

typedef struct cordon_exit {
	cordon_exit_kind kind;
	int code;	   /* CORDON_EXIT_CODE; on Windows the full 32-bit code, e.g. an NTSTATUS */
	int signal_number; /* CORDON_EXIT_SIGNAL */
	double seconds;	   /* wall time from spawn to exit */
	char detail[256];  /* NOT_FOUND / NOT_EXECUTABLE: what and why; Windows CODE: the NTSTATUS named */
	/* Windows sandboxed runs: the ACL layer ran before the command
	 * started and wrote acl_descriptors_written security descriptors
	 * (0 on a warm run whose policy and tree are unchanged). False
	 * everywhere else (Linux has no ACL layer; full access and a
	 * program that was never found apply none), and the run log then
	 * leaves the field out rather than print a 0 that means nothing. */
	bool acls_applied;
	unsigned long acl_descriptors_written;
} cordon_exit;

/* Waits up to timeout_ms (-1: forever) for the run to end; the spawn
 * timeout is enforced here too. When every process of the run is gone,
 * fills *out. CORDON_E_TIMEOUT if timeout_ms passed first. */
cordon_code cordon_child_wait(cordon_child *child, int timeout_ms, cordon_exit *out, cordon_error *err);
/* The shell status: code, 124 timeout, 126, 127, 128+N for signal N. */
int cordon_exit_status(const cordon_exit *exit_info);
/* Kills the tree if it still runs, releases everything. */
void cordon_child_free(cordon_child *child);

/* ---------------------------------------------------------------- host */

typedef enum cordon_feature_state {
	CORDON_FEATURE_AVAILABLE,
	CORDON_FEATURE_MISSING,
	CORDON_FEATURE_NOT_APPLICABLE,
} cordon_feature_state;

#define CORDON_HOST_FEATURES_MAX 16

typedef struct cordon_host_feature {
	char name[48]; /* "user namespaces", "landlock", ... */
	cordon_feature_state state;
	char detail[192]; /* "ABI 7", "clone(CLONE_NEWUSER) failed: EPERM" */
	char lost[256];	  /* when missing: which protection is lost */
	char hint[256];	  /* when missing: how to get it */
	/* When missing, runs are only slower: every protection still holds,
	 * so `cordon doctor` does not count it as missing. */
	bool speed_only;
} cordon_host_feature;

typedef struct cordon_host_report {
	char platform[64]; /* "Linux 6.18.44" */
	size_t feature_count;
	cordon_host_feature features[CORDON_HOST_FEATURES_MAX];
} cordon_host_report;

/* Probes this host by trying each feature (never by guessing). */
cordon_code cordon_probe_host(cordon_host_report *out, cordon_error *err);

/* ---------------------------------------------------------------- run log */

/* Appends one JSON line to runs.jsonl in the resolved state directory:
 * time, cwd, policy digest and mode, program, exit status, duration, and
 * "acl_descriptors_written" when exit_info->acls_applied (Windows). */
cordon_code cordon_runlog_append(const cordon_resolved *policy, const char *program,
				 const cordon_exit *exit_info, cordon_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CORDON_H */
