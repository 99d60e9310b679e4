/* Landlock: write only beneath the writable roots, read and execute
 * everywhere, TCP and scoping where the ABI has them.
 *
 * The ruleset is built in the parent (linux_landlock_prepare) and enforced
 * in the command process (linux_landlock_enforce). Rules bind to inodes, not
 * to spellings, so a rule added for a root in the parent still applies after
 * the supervisor re-binds that root into the new mount namespace.
 *
 * Landlock only adds rights, it cannot take them away beneath a granted
 * directory: cordon's state directory inside a writable root and the
 * protected names (.git, ...) are made read-only by the mounts
 * (linux_mounts_apply), not here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/landlock.h>

#include "confine_internal.h"
#include "../core/error.h"

/* Debian 12's <linux/landlock.h> stops at ABI 2. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#endif
#ifndef LANDLOCK_RULE_NET_PORT
#define LANDLOCK_RULE_NET_PORT 2 /* ABI 4; cordon adds no port rules */
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1) /* ABI 6 */
#endif

/* The newest ABI whose rights cordon knows; ABI 7 only added logging. */
#define LANDLOCK_ABI_KNOWN 7

/* The kernel's struct landlock_ruleset_attr as of ABI 6. Older kernels
 * reject a size with non-zero fields they do not know, so the size passed
 * is the prefix the ABI in use understands (see ruleset_attr_size). */
struct cordon_landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;	     /* ABI 6 */
};

static size_t ruleset_attr_size(int abi)
{
	if (abi >= 6)
		return sizeof(struct cordon_landlock_ruleset_attr);
	if (abi >= 4)
		return offsetof(struct cordon_landlock_ruleset_attr, scoped);
	return offsetof(struct cordon_landlock_ruleset_attr, handled_access_net);
}

/* Device nodes a command may write whatever the mode: output sinks and
 * terminals. MAKE_CHAR and MAKE_BLOCK are never granted anywhere. */
static const char *const writable_dev_nodes[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx", "/dev/pts",
};

/* Rights on the writable device nodes: file rights only, as the kernel
 * requires for rules on non-directories. */
static uint64_t dev_file_rights(int abi)
{
	uint64_t access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE;
	if (abi >= 3)
		access |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		access |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return access;
}

/* Each step of this function adds exactly what one ABI introduced, so
 * reading it top to bottom is reading the degradation ladder. */
linux_landlock_rights linux_landlock_rights_for(const linux_plan *plan, int abi)
{
	linux_landlock_rights r = {0};

	if (abi <= 0)
		return r;
	if (abi > LANDLOCK_ABI_KNOWN)
		abi = LANDLOCK_ABI_KNOWN;

	/* ABI 1 */
	r.read_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	r.write_fs = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
		     LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |
		     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
		     LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM;
	r.dev_file_fs = dev_file_rights(abi);
	r.handled_fs = r.read_fs | r.write_fs | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK;

	/* ABI 2: moving and linking across directories. Unhandled in ABI 1,
	 * where the kernel then refuses every reparenting outright. */
	if (abi >= 2) {
		r.handled_fs |= LANDLOCK_ACCESS_FS_REFER;
		r.write_fs |= LANDLOCK_ACCESS_FS_REFER;
	}
	/* ABI 3: truncate(2) and O_TRUNC. */
	if (abi >= 3) {
		r.handled_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
		r.write_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	}
	/* ABI 4: TCP. With a network namespace there is nothing to reach, so
	 * TCP is only handled (and then denied wholesale, no port rules) when
	 * the network is off and the namespace is missing (best-effort). */
	if (abi >= 4 && !plan->use_netns && plan->policy->network != CORDON_NETWORK_ON)
		r.handled_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	/* ABI 5: ioctl on device files; terminals need it (job control,
	 * window size), so it is granted with read access. */
	if (abi >= 5) {
		r.handled_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
		r.read_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	}
	/* ABI 6: no signals out of the sandbox's domain; no abstract unix
	 * sockets of the host unless the network is on. */
	if (abi >= 6) {
		r.scoped = LANDLOCK_SCOPE_SIGNAL;
		if (plan->policy->network != CORDON_NETWORK_ON)
			r.scoped |= LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
	}

	r.write_fs |= r.read_fs;
	return r;
}

static int sys_landlock_create_ruleset(const struct cordon_landlock_ruleset_attr *attr, size_t size,
				       uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static int sys_landlock_add_rule(int ruleset_fd, int rule_type, const void *attr, uint32_t flags)
{
	return (int)syscall(SYS_landlock_add_rule, ruleset_fd, rule_type, attr, flags);
}

static int sys_landlock_restrict_self(int ruleset_fd, uint32_t flags)
{
	return (int)syscall(SYS_landlock_restrict_self, ruleset_fd, flags);
}

/* Returns 0 or -errno; async-signal-safe. */
static int add_path_rule(int ruleset_fd, const char *path, uint64_t access)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct landlock_path_beneath_attr attr = {
		.allowed_access = access,
		.parent_fd = fd,
	};
	int rc = sys_landlock_add_rule(ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
	int saved = errno;
	close(fd);
	return rc == 0 ? 0 : -saved;
}

static cordon_code add_rules(const linux_plan *plan, const linux_landlock_rights *r, int ruleset_fd,
			     cordon_error *err)
{
	int rc = add_path_rule(ruleset_fd, "/", r->read_fs);
	if (rc != 0)
		return cordon_fail_errno(err, -rc, "cannot add the Landlock read rule for /");

	/* Read-only mode resolves to no roots: nothing below runs. */
	for (size_t i = 0; i < plan->policy->root_count; i++) {
		const char *root = plan->policy->roots[i].path;
		rc = add_path_rule(ruleset_fd, root, r->write_fs);
		if (rc != 0)
			return cordon_fail_errno(
				err, -rc,
				"cannot make %s writable under Landlock; check that it still "
				"exists and is a directory",
				root);
	}
	return CORDON_OK;
}

cordon_code linux_landlock_prepare(const linux_plan *plan, int *ruleset_fd, cordon_error *err)
{
	*ruleset_fd = -1;
	if (plan->landlock_abi <= 0) {
		if (plan->policy->best_effort)
			return CORDON_OK; /* the plan's not_enforced lines say what is lost */
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"cannot restrict writes: Landlock is not available in this kernel "
			"(CONFIG_LSM lacks \"landlock\"); run 'cordon doctor', or pass --best-effort");
	}

	linux_landlock_rights r = linux_landlock_rights_for(plan, plan->landlock_abi);
	struct cordon_landlock_ruleset_attr attr = {
		.handled_access_fs = r.handled_fs,
		.handled_access_net = r.handled_net,
		.scoped = r.scoped,
	};
	int fd = sys_landlock_create_ruleset(&attr, ruleset_attr_size(plan->landlock_abi), 0);
	if (fd < 0)
		return cordon_fail_errno(
			err, errno,
			"cannot create a Landlock ruleset for ABI %d (the host probe said it "
			"is supported); run 'cordon doctor'",
			plan->landlock_abi);

	cordon_code code = add_rules(plan, &r, fd, err);
	if (code != CORDON_OK) {
		close(fd);
		return code;
	}
	*ruleset_fd = fd;
	return CORDON_OK;
}

int linux_landlock_enforce(int ruleset_fd, int abi)
{
	/* The /dev the command sees may be a fresh one built by the mounts,
	 * whose nodes are not the host's inodes: add them from here. The
	 * ruleset is shared with the parent through fork; these rules only
	 * ever name device nodes, so that is harmless. */
	uint64_t access = dev_file_rights(abi);
	for (size_t i = 0; i < sizeof(writable_dev_nodes) / sizeof(writable_dev_nodes[0]); i++) {
		int rc = add_path_rule(ruleset_fd, writable_dev_nodes[i], access);
		if (rc != 0 && rc != -ENOENT && rc != -ENXIO)
			return rc;
	}
	if (sys_landlock_restrict_self(ruleset_fd, 0) != 0)
		return -errno;
	close(ruleset_fd);
	return 0;
}
