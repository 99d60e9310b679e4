/* The Linux backend's internal boundaries. cordon_spawn (spawn.c) is the
 * only code that creates processes; it drives these steps:
 *
 *   parent:      linux_host_probe -> linux_plan_build (pure) -> clone(plan flags)
 *                -> write uid/gid maps -> release the supervisor
 *   supervisor:  (pid 1 of the new pid namespace, or a subreaper in
 *                full-access mode) linux_mounts_apply(plan) -> fork command
 *   command:     stdio + session/ctty -> linux_confine_self(plan) -> execve
 *   parent:      after the run, linux_plan_cleanup_host(plan)
 *
 * Each step fails closed: it returns an error with a user-facing message
 * and the command never runs.
 */
#ifndef CORDON_LINUX_SANDBOX_H
#define CORDON_LINUX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cordon.h"
#include "../core/policy_internal.h"

/* Facts about this host gathered once, before planning (impure). */
typedef struct linux_host {
	int landlock_abi;      /* 0: Landlock unavailable */
	bool userns_available; /* clone(CLONE_NEWUSER) works for this caller */
	bool seccomp_available;
	bool mount_setattr_available;
	uid_t uid; /* the invoking user */
	gid_t gid;
	/* Pathname unix sockets bound on the host (from /proc/net/unix),
	 * masked inside the sandbox when network is not on. */
	char **host_sockets;
	size_t host_socket_count;
} linux_host;

/* Fills *host; frees with linux_host_free. Never fails for a missing
 * feature (that is recorded); fails only on out of memory. */
cordon_code linux_host_probe(linux_host *host, cordon_error *err);
void linux_host_free(linux_host *host);

typedef enum linux_mount_op_kind {
	LINUX_MOUNT_BIND_RW,	 /* bind source at target, writable */
	LINUX_MOUNT_BIND_RO,	 /* bind source at target, read-only (recursive) */
	LINUX_MOUNT_MASK_DIR,	 /* empty read-only tmpfs over a directory (deny-read) */
	LINUX_MOUNT_MASK_FILE,	 /* empty read-only file over a file or socket */
	LINUX_MOUNT_PLACEHOLDER, /* missing protected name: created on the host for the run, bound read-only,
				    removed after */
} linux_mount_op_kind;

typedef struct linux_mount_op {
	linux_mount_op_kind kind;
	char *source; /* host path (NULL for masks) */
	char *target; /* path inside the sandbox (same spelling as on the host) */
} linux_mount_op;

typedef struct linux_plan {
	const cordon_resolved *policy;
	bool sandboxed;	  /* false only in full-access mode */
	bool use_userns;  /* false: best-effort Landlock + seccomp only */
	bool use_netns;	  /* network off or proxy */
	int clone_flags;  /* CLONE_NEW* for the supervisor */
	int landlock_abi; /* the ABI landlock.c will use; 0 = none */
	/* Mount operations in order, applied after the host tree is bound
	 * read-only at the new root. O(protected entries + masks). */
	linux_mount_op *mounts;
	size_t mount_count;
	/* What is not enforced (best-effort), one line each, for stderr. */
	char **not_enforced;
	size_t not_enforced_count;
} linux_plan;

/* Pure: policy + host facts -> plan. Fails closed with CORDON_E_UNSUPPORTED
 * when the host lacks something the policy needs and best_effort is off. */
cordon_code linux_plan_build(const cordon_resolved *policy, const linux_host *host, linux_plan **out,
			     cordon_error *err);
void linux_plan_free(linux_plan *plan);

/* In the supervisor, inside the new user+mount namespace: build the new
 * root (host tree read-only, roots writable, protections, masks, minimal
 * /dev, fresh /proc), pivot into it. */
cordon_code linux_mounts_apply(const linux_plan *plan, cordon_error *err);

/* Host side, before clone: create placeholders for missing protected
 * names (recorded in the state dir so a crashed run is cleaned next
 * time). After the run: remove them if they are still the empty
 * directories cordon made. */
cordon_code linux_plan_prepare_host(linux_plan *plan, cordon_error *err);
void linux_plan_cleanup_host(const linux_plan *plan);

/* In the command process just before execve: no_new_privs, Landlock
 * (best ABI, degrading one step at a time, explicitly), every capability
 * dropped (bounding, ambient, effective, permitted, inheritable, securebits
 * locked), seccomp filter. Must be async-signal-safe enough to run after
 * fork in a multi-threaded caller: no malloc after the plan was built
 * (landlock/seccomp state is prepared by linux_confine_prepare). */
typedef struct linux_confine linux_confine;
cordon_code linux_confine_prepare(const linux_plan *plan, linux_confine **out, cordon_error *err);
cordon_code linux_confine_self(const linux_confine *confine, cordon_error *err);
void linux_confine_free(linux_confine *confine);

#endif
