/* The pieces of linux_confine (confine.c): Landlock, capabilities and
 * seccomp. Each has a *_prepare half that runs in the parent before fork
 * (may allocate, may fail with a message) and a half that runs in the
 * command process just before execve (system calls only: no malloc, no
 * stdio), returning 0 or a negative errno.
 */
#ifndef CORDON_LINUX_CONFINE_INTERNAL_H
#define CORDON_LINUX_CONFINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/filter.h>

#include "sandbox.h"

/* ------------------------------------------------------------- landlock */

/* The rights cordon uses, computed from the ABI alone (pure). */
typedef struct linux_landlock_rights {
	uint64_t handled_fs;  /* every FS right the ABI knows */
	uint64_t read_fs;     /* granted beneath "/" */
	uint64_t write_fs;    /* granted beneath writable roots (plus read_fs) */
	uint64_t dev_file_fs; /* granted on /dev/null, /dev/tty, ... */
	uint64_t handled_net; /* TCP bind/connect when denied without netns */
	uint64_t scoped;      /* signal / abstract unix socket scoping */
} linux_landlock_rights;

/* Pure: what a ruleset for this plan at this ABI handles and grants. */
linux_landlock_rights linux_landlock_rights_for(const linux_plan *plan, int abi);

/* Parent: creates the ruleset with every rule that binds to host inodes
 * ("/" and the writable roots, the /dev nodes). *ruleset_fd is -1 when the
 * plan runs without Landlock (best-effort on a host without it). */
cordon_code linux_landlock_prepare(const linux_plan *plan, int *ruleset_fd, cordon_error *err);

/* Command process: adds rules for the /dev nodes as seen from its own mount
 * namespace (a fresh /dev has new inodes), then enforces the ruleset. */
int linux_landlock_enforce(int ruleset_fd, int abi);

/* --------------------------------------------------------- capabilities */

/* Parent: the highest capability number of this kernel. */
cordon_code linux_caps_prepare(int *cap_last, cordon_error *err);

/* Command process: securebits locked, bounding and ambient sets emptied,
 * effective/permitted/inheritable cleared. Returns 0 or -errno; *step names
 * the call that failed. */
int linux_caps_drop_all(int cap_last, const char **step);

/* --------------------------------------------------------------- seccomp */

/* Parent: the filter for this plan as classic BPF (allocates
 * prog->filter; release with free()): the build's precompiled program. */
cordon_code linux_seccomp_prepare(const linux_plan *plan, struct sock_fprog *prog, cordon_error *err);

/* The one bit of the plan the filter depends on. */
bool linux_seccomp_inet_allowed(const linux_plan *plan);

/* Compiles the filter with libseccomp (allocates prog->filter): used by
 * the build to generate the precompiled programs, and by the test that
 * checks them. */
cordon_code linux_seccomp_compile(bool inet_allowed, struct sock_fprog *prog, cordon_error *err);

/* Command process: loads the filter (no_new_privs must already be set). */
int linux_seccomp_load(const struct sock_fprog *prog);

#endif
