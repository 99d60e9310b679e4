/* seccomp: the system calls a sandboxed command has no business making,
 * written with libseccomp and exported as classic BPF.
 *
 * Default allow; what is listed fails with EPERM (not a kill), so tools
 * report an error and go on. On x86_64 the i386 ABI (int $0x80) gets the
 * same rules, and the x32 ABI and any other architecture are killed
 * outright, so a 32-bit syscall number cannot slip past a 64-bit rule.
 *
 * Only the build runs this (tools/seccomp_programs_gen.c generates the
 * programs seccomp_filter.c hands to the kernel), and the test that checks
 * those programs against a fresh compile: it is kept out of libcordon, so
 * the cordon binary does not load libseccomp.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <unistd.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "confine_internal.h"
#include "../core/error.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

#define DENY SCMP_ACT_ERRNO(EPERM)

/* Escapes and kernel attack surface a command never needs: debugging other
 * processes, mounts and namespaces, keyrings, io_uring (bypasses seccomp
 * for its operations), BPF and perf, modules, kexec and reboot, raw I/O
 * ports, handles that skip path checks. kcmp stays allowed: the kernel
 * already demands ptrace read access to both processes, which Landlock's
 * ptrace scoping confines to the sandbox. */
static const char *const denied_syscalls[] = {
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"process_madvise",
	"pidfd_getfd",
	"mount",
	"umount",
	"umount2",
	"pivot_root",
	"move_mount",
	"open_tree",
	"fsopen",
	"fsconfig",
	"fsmount",
	"fspick",
	"mount_setattr",
	"chroot",
	"setns",
	"add_key",
	"request_key",
	"keyctl",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"bpf",
	"perf_event_open",
	"init_module",
	"finit_module",
	"delete_module",
	"kexec_load",
	"kexec_file_load",
	"reboot",
	"swapon",
	"swapoff",
	"acct",
	"quotactl",
	"quotactl_fd",
	"syslog",
	"userfaultfd",
	"open_by_handle_at",
	"name_to_handle_at",
	"lookup_dcookie",
	"nfsservctl",
	"iopl",
	"ioperm",
	"vhangup",
	"uselib",
	"vm86",
	"vm86old",
};

/* clone(2) carries the exit signal in its low byte, where CLONE_NEWTIME
 * would sit; the kernel refuses that bit in clone() anyway. */
static const uint64_t clone_namespace_flags[] = {
	CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP,
};

/* Terminal input injection into whatever reads the terminal after the
 * command (TIOCSTI), and the console's selection/paste (TIOCLINUX). */
static const uint64_t denied_ioctls[] = {TIOCSTI, TIOCLINUX};

#define AF_LIMIT 64 /* above every AF_* the kernel knows (AF_MAX is 46) */

/* libseccomp's SCMP_A* macros leave datum_b unnamed, which clang's
 * -Wmissing-field-initializers rejects; spell every field out. */
static struct scmp_arg_cmp arg_cmp(unsigned int arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp cmp = {.arg = arg, .op = op, .datum_a = a, .datum_b = b};
	return cmp;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned count,
		    const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return -ENOENT;
	return seccomp_rule_add_array(ctx, action, nr, count, args);
}

static bool socket_family_allowed(bool inet, int family)
{
	switch (family) {
	case AF_UNIX: return true;
	case AF_INET:
	case AF_INET6:
	case AF_NETLINK: return inet;
	default: return false; /* AF_PACKET, AF_VSOCK (reaches the hypervisor), AF_ALG, ... */
	}
}

static int add_socket_rules(scmp_filter_ctx ctx, bool inet, const char *name)
{
	int rc;
	for (int family = 0; family < AF_LIMIT; family++) {
		if (socket_family_allowed(inet, family))
			continue;
		struct scmp_arg_cmp arg = arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)family, 0);
		if ((rc = add_rule(ctx, DENY, name, 1, &arg)) != 0)
			return rc;
	}
	/* Every larger value (and a negative int, sign-extended). */
	struct scmp_arg_cmp above = arg_cmp(0, SCMP_CMP_GE, AF_LIMIT, 0);
	return add_rule(ctx, DENY, name, 1, &above);
}

static int add_namespace_rules(scmp_filter_ctx ctx)
{
	int rc;
	for (size_t i = 0; i < sizeof(clone_namespace_flags) / sizeof(clone_namespace_flags[0]); i++) {
		uint64_t flag = clone_namespace_flags[i];
		struct scmp_arg_cmp arg = arg_cmp(0, SCMP_CMP_MASKED_EQ, flag, flag);
		if ((rc = add_rule(ctx, DENY, "clone", 1, &arg)) != 0)
			return rc;
		if ((rc = add_rule(ctx, DENY, "unshare", 1, &arg)) != 0)
			return rc;
	}
	struct scmp_arg_cmp newtime = arg_cmp(0, SCMP_CMP_MASKED_EQ, CLONE_NEWTIME, CLONE_NEWTIME);
	if ((rc = add_rule(ctx, DENY, "unshare", 1, &newtime)) != 0)
		return rc;
	/* clone3 passes its flags in memory where seccomp cannot look: say it
	 * does not exist, and libc falls back to clone(). */
	return add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
}

static int add_ioctl_rules(scmp_filter_ctx ctx)
{
	int rc;
	for (size_t i = 0; i < sizeof(denied_ioctls) / sizeof(denied_ioctls[0]); i++) {
		/* The kernel reads the request as unsigned int: compare the
		 * low 32 bits only, so high garbage cannot dodge the rule. */
		struct scmp_arg_cmp arg = arg_cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffu, denied_ioctls[i]);
		if ((rc = add_rule(ctx, DENY, "ioctl", 1, &arg)) != 0)
			return rc;
	}
	return 0;
}

/* personality(): PER_LINUX (0) and the query (0xffffffff) only; the other
 * personalities change the address-space layout or the ABI. libseccomp
 * allows one comparison per argument in a rule, so "neither all zeros nor
 * all ones" is spelled out: such a 32-bit value, read as a ring of bits,
 * has some bit set whose neighbour is clear; one rule per position. */
static int add_personality_rules(scmp_filter_ctx ctx)
{
	int rc;
	for (unsigned bit = 0; bit < 32; bit++) {
		uint64_t set = 1ull << bit;
		uint64_t next = 1ull << ((bit + 1) % 32);
		struct scmp_arg_cmp arg = arg_cmp(0, SCMP_CMP_MASKED_EQ, set | next, set);
		if ((rc = add_rule(ctx, DENY, "personality", 1, &arg)) != 0)
			return rc;
	}
	struct scmp_arg_cmp above = arg_cmp(0, SCMP_CMP_GT, 0xffffffffu, 0);
	return add_rule(ctx, DENY, "personality", 1, &above);
}

static cordon_code build_filter(scmp_filter_ctx ctx, bool inet, cordon_error *err)
{
	int rc;
	const char *what = "an attribute";

	/* cordon sets no_new_privs itself, before Landlock. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0)
		goto fail;
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) != 0)
		goto fail;
	/* A binary search over the syscall numbers instead of a linear
	 * list: every syscall of the command runs this filter, and the list
	 * is long (about 500 instructions per architecture). */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) != 0)
		goto fail;
	what = "the i386 architecture";
	if (seccomp_arch_native() == SCMP_ARCH_X86_64 && (rc = seccomp_arch_add(ctx, SCMP_ARCH_X86)) != 0)
		goto fail;

	for (size_t i = 0; i < sizeof(denied_syscalls) / sizeof(denied_syscalls[0]); i++) {
		what = denied_syscalls[i];
		rc = add_rule(ctx, DENY, what, 0, NULL);
		if (rc == -ENOENT)
			continue; /* unknown to this libseccomp: not on any architecture here */
		if (rc != 0)
			goto fail;
	}
	what = "clone/unshare";
	if ((rc = add_namespace_rules(ctx)) != 0)
		goto fail;
	what = "ioctl";
	if ((rc = add_ioctl_rules(ctx)) != 0)
		goto fail;
	what = "personality";
	if ((rc = add_personality_rules(ctx)) != 0)
		goto fail;
	what = "socket";
	if ((rc = add_socket_rules(ctx, inet, "socket")) != 0)
		goto fail;
	what = "socketpair";
	if ((rc = add_socket_rules(ctx, inet, "socketpair")) != 0)
		goto fail;
	return CORDON_OK;
fail:
	return cordon_fail_errno(err, -rc, "cannot build the seccomp filter (rule for %s)", what);
}

/* Allocates prog->filter from what libseccomp writes into a memfd. */
static cordon_code export_filter(scmp_filter_ctx ctx, struct sock_fprog *prog, cordon_error *err)
{
	int fd = memfd_create("cordon-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return cordon_fail_errno(err, errno, "cannot create a memfd for the seccomp filter");

	cordon_code code = CORDON_OK;
	struct stat st;
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc != 0) {
		code = cordon_fail_errno(err, -rc, "cannot export the seccomp filter");
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		code = cordon_fail_errno(err, errno, "cannot size the exported seccomp filter");
		goto out;
	}
	size_t size = (size_t)st.st_size;
	if (size == 0 || size % sizeof(struct sock_filter) != 0 ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		code = cordon_fail(err, CORDON_E_SYSTEM,
				   "the exported seccomp filter has an impossible size (%zu bytes)", size);
		goto out;
	}
	struct sock_filter *filter = malloc(size);
	if (filter == NULL) {
		code = cordon_fail(err, CORDON_E_NOMEM, "out of memory for the seccomp filter");
		goto out;
	}
	ssize_t n = pread(fd, filter, size, 0);
	if (n < 0 || (size_t)n != size) {
		code = cordon_fail_errno(err, n < 0 ? errno : EIO, "cannot read back the seccomp filter");
		free(filter);
		goto out;
	}
	prog->filter = filter;
	prog->len = (unsigned short)(size / sizeof(struct sock_filter));
out:
	close(fd);
	return code;
}

cordon_code linux_seccomp_compile(bool inet, struct sock_fprog *prog, cordon_error *err)
{
	prog->filter = NULL;
	prog->len = 0;

	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL)
		return cordon_fail(err, CORDON_E_NOMEM,
				   "cannot start a seccomp filter (libseccomp: out of memory)");
	cordon_code code = build_filter(ctx, inet, err);
	if (code == CORDON_OK)
		code = export_filter(ctx, prog, err);
	seccomp_release(ctx);
	return code;
}
