/* The environment a command gets in Windows restricted-token mode.
 *
 * ADVISORY ONLY. Restricted-token mode has no firewall: these variables
 * make well-behaved tools fail closed (proxy variables pointing at a dead
 * port, git's ssh replaced by a command that fails, package managers told
 * to stay offline, cordon's ssh/scp stubs first on PATH), but any program
 * that opens a socket itself, ignores the variables, or runs a tool by full
 * path still reaches the network. Only elevated mode (WFP filters on the
 * sandbox account) enforces network policy on Windows.
 *
 * Pure C, no Windows API: built and tested on every platform. */
#ifndef CORDON_WINDOWS_PLAN_ENV_PLAN_H
#define CORDON_WINDOWS_PLAN_ENV_PLAN_H

#include <stddef.h>

#include "cordon.h"

/* Nothing listens on the discard port: connections through it fail. */
#define CORDON_ENV_DEAD_PROXY "http://127.0.0.1:9"
/* What GIT_SSH_COMMAND and GIT_PROXY_COMMAND run: exits 1 at once. */
#define CORDON_ENV_FAILING_COMMAND "cmd /c exit 1"
/* The stubs in the stub directory are ssh.exe and scp.exe: CreateProcess
 * appends only ".exe" to a bare name, so a .cmd stub would be missed by
 * programs (git, Node, Rust) that spawn "ssh" without a shell. */
#define CORDON_ENV_STUB_EXTENSION ".EXE"

typedef struct cordon_env_plan_input {
	const char *const *environment; /* the caller's "NAME=value" entries, NULL-terminated; NULL: none */
	const char *path;		/* a caller-supplied PATH that replaces the environment's, or NULL */
	const char *stub_dir;		/* cordon's stub directory (absolute drive or UNC path) */
	cordon_network network;		/* OFF and PROXY are rewritten; ON passes through */
	const char *proxy_url;		/* PROXY: cordon's allowlist proxy, e.g. "http://127.0.0.1:8123" */
} cordon_env_plan_input;

typedef struct cordon_env_plan {
	char **entries; /* "NAME=value", sorted by name as CreateProcess requires */
	size_t count;
} cordon_env_plan;

/* Computes the child's environment into *out (allocated; release with
 * cordon_env_plan_free). Names are case-insensitive, as on Windows: of
 * entries whose names differ only in case the first is kept ("Path" and
 * "PATH" become one). With network OFF or PROXY:
 *   - HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, FTP_PROXY (and the same names in
 *     lower case, for MSYS2/Cygwin programs that look them up
 *     case-sensitively), GIT_HTTP_PROXY and GIT_HTTPS_PROXY are set to the
 *     dead port (OFF) or proxy_url (PROXY); NO_PROXY is removed;
 *   - GIT_SSH_COMMAND and GIT_PROXY_COMMAND run a failing command; GIT_SSH
 *     is removed;
 *   - OFF only: npm_config_offline=true, PIP_NO_INDEX=1, UV_OFFLINE=1,
 *     CARGO_NET_OFFLINE=true, GOPROXY=off;
 *   - PATH is stub_dir, then the caller-supplied PATH (or the environment's),
 *     without empty entries or another copy of stub_dir: the stubs come first
 *     even when the caller put a workspace directory first;
 *   - PATHEXT starts with .EXE, then the caller's extensions, then whichever
 *     of .COM .BAT .CMD were missing;
 *   - NoDefaultCurrentDirectoryInExePath=1, so cmd.exe does not search the
 *     current (workspace) directory before PATH.
 * With network ON only the caller-supplied PATH is applied. */
cordon_code cordon_env_plan_build(const cordon_env_plan_input *input, cordon_env_plan *out,
				  cordon_error *err);

/* The value of name in plan (case-insensitive), or NULL. */
const char *cordon_env_plan_get(const cordon_env_plan *plan, const char *name);

/* Allocates the block CreateProcess takes (in UTF-8; the Windows layer
 * converts it to UTF-16 for CREATE_UNICODE_ENVIRONMENT): every entry
 * followed by NUL, then one more NUL. *length (if not NULL) counts every
 * byte including the final NULs. NULL when out of memory. */
char *cordon_env_plan_block(const cordon_env_plan *plan, size_t *length);

void cordon_env_plan_free(cordon_env_plan *plan);

#endif
