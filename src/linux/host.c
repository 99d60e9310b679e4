/* What this host can enforce, found by trying each feature. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/error.h"

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif

/* How far a namespace probe got: each stage is a step cordon_spawn takes. */
typedef enum ns_stage {
	NS_STAGE_USER = 1, /* unshare(CLONE_NEWUSER) */
	NS_STAGE_MAP,	   /* write uid_map / gid_map */
	NS_STAGE_MOUNT,	   /* unshare(CLONE_NEWNS) and make / private */
	NS_STAGE_PID,	   /* unshare(CLONE_NEWPID) */
	NS_STAGE_IPC_UTS,  /* unshare(CLONE_NEWIPC | CLONE_NEWUTS) */
	NS_STAGE_NET,	   /* unshare(CLONE_NEWNET) */
	NS_STAGE_DONE,
} ns_stage;

typedef struct ns_probe {
	int reached; /* the first stage that failed, or NS_STAGE_DONE */
	int errnum;
} ns_probe;

static const char *ns_stage_call(int stage)
{
	switch (stage) {
	case NS_STAGE_USER: return "unshare(CLONE_NEWUSER)";
	case NS_STAGE_MAP: return "writing uid_map/gid_map";
	case NS_STAGE_MOUNT: return "unshare(CLONE_NEWNS) + private /";
	case NS_STAGE_PID: return "unshare(CLONE_NEWPID)";
	case NS_STAGE_IPC_UTS: return "unshare(CLONE_NEWIPC|CLONE_NEWUTS)";
	case NS_STAGE_NET: return "unshare(CLONE_NEWNET)";
	}
	return "namespaces";
}

static bool write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text);
}

static void ns_probe_child(int report_fd, uid_t uid, gid_t gid)
{
	ns_probe result = {.reached = NS_STAGE_USER};
	char map[64];
	if (unshare(CLONE_NEWUSER) < 0)
		goto out;
	result.reached = NS_STAGE_MAP;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (!write_text("/proc/self/uid_map", map))
		goto out;
	if (!write_text("/proc/self/setgroups", "deny") && errno != ENOENT)
		goto out;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if (!write_text("/proc/self/gid_map", map))
		goto out;
	result.reached = NS_STAGE_MOUNT;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		goto out;
	result.reached = NS_STAGE_PID;
	if (unshare(CLONE_NEWPID) < 0)
		goto out;
	result.reached = NS_STAGE_IPC_UTS;
	if (unshare(CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		goto out;
	result.reached = NS_STAGE_NET;
	if (unshare(CLONE_NEWNET) < 0)
		goto out;
	result.reached = NS_STAGE_DONE;
out:
	result.errnum = result.reached == NS_STAGE_DONE ? 0 : errno;
	ssize_t ignored = write(report_fd, &result, sizeof(result));
	(void)ignored;
	_exit(0);
}

/* Tries, in a throw-away child, every namespace step a sandboxed run takes:
 * distributions that restrict user namespaces (sysctls, AppArmor) only
 * show it when it is tried. */
static ns_probe probe_namespaces(uid_t uid, gid_t gid)
{
	ns_probe result = {.reached = 0, .errnum = 0};
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		result.errnum = errno;
		return result;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		ns_probe_child(fds[1], uid, gid);
	}
	close(fds[1]);
	if (pid < 0) {
		result.errnum = errno;
		close(fds[0]);
		return result;
	}
	ssize_t n;
	do {
		n = read(fds[0], &result, sizeof(result));
	} while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n != (ssize_t)sizeof(result))
		result = (ns_probe){.reached = 0, .errnum = EIO};
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return result;
}

static int probe_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi > 0 ? (int)abi : 0;
}

static int probe_landlock_errno(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) < 0 ? errno : 0;
}

/* A NULL filter program: EFAULT when seccomp filters exist, EINVAL or
 * ENOSYS when they don't. Nothing is installed either way. */
static bool probe_seccomp(void)
{
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
		return false;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL) < 0 && errno == EFAULT;
}

static bool probe_mount_setattr(void)
{
	return syscall(SYS_mount_setattr, -1, "", 0, NULL, 0) < 0 && errno != ENOSYS;
}

static bool push_socket(linux_host *host, size_t *capacity, const char *path)
{
	for (size_t i = 0; i < host->host_socket_count; i++)
		if (strcmp(host->host_sockets[i], path) == 0)
			return true;
	if (host->host_socket_count == *capacity) {
		size_t grown_capacity = *capacity ? *capacity * 2 : 16;
		char **grown = realloc(host->host_sockets, grown_capacity * sizeof(*grown));
		if (grown == NULL)
			return false;
		host->host_sockets = grown;
		*capacity = grown_capacity;
	}
	char *copy = strdup(path);
	if (copy == NULL)
		return false;
	host->host_sockets[host->host_socket_count++] = copy;
	return true;
}

/* /proc/net/unix: "Num RefCount Protocol Flags Type St Inode [Path]".
 * Kept: pathname sockets the invoking user can reach (write permission).
 * Unnamed sockets have no path; abstract ones start with '@' and are not
 * files (Landlock scoping and the network namespace handle those). */
static cordon_code read_host_sockets(linux_host *host, cordon_error *err)
{
	FILE *f = fopen("/proc/net/unix", "re");
	if (f == NULL)
		return CORDON_OK;
	char line[4096 + 128];
	size_t capacity = 0;
	bool header = true;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (header) {
			header = false;
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		char *field = line;
		for (int skip = 0; skip < 7 && field != NULL; skip++) {
			field += strspn(field, " ");
			field = strchr(field, ' ');
		}
		if (field == NULL)
			continue;
		field += strspn(field, " ");
		/* Only what the invoking user could connect to needs hiding;
		 * stale entries and sockets behind closed directories are
		 * already out of reach (and could not be masked anyway). */
		if (field[0] != '/' || access(field, W_OK) != 0)
			continue;
		if (!push_socket(host, &capacity, field)) {
			fclose(f);
			return cordon_fail(err, CORDON_E_NOMEM,
					   "cannot list the host's unix sockets: out of memory");
		}
	}
	fclose(f);
	return CORDON_OK;
}

static long read_sysctl(const char *path)
{
	char text[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	return n > 0 ? strtol(text, NULL, 10) : -1;
}

static bool userns_sysctls_allow(uid_t uid)
{
	if (read_sysctl("/proc/sys/user/max_user_namespaces") == 0)
		return false;
	if (uid != 0 && read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0)
		return false;
	/* Ubuntu 24.04+: unshare succeeds but the namespace holds no
	 * capabilities, so the mounts would fail later with EPERM. */
	if (uid != 0 && read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
		return false;
	return true;
}

cordon_code linux_host_probe(linux_host *host, cordon_error *err)
{
	memset(host, 0, sizeof(*host));
	host->uid = getuid();
	host->gid = getgid();
	host->landlock_abi = probe_landlock_abi();
	host->seccomp_available = probe_seccomp();
	host->mount_setattr_available = probe_mount_setattr();
	/* Per run, only the sysctls that forbid user namespaces outright are
	 * read: forking a throw-away child to try them cost more than the
	 * whole sandbox setup. The real attempt is the clone that starts the
	 * supervisor; if it fails, cordon_spawn plans again without user
	 * namespaces (and refuses unless best-effort). `cordon doctor`
	 * still tries every step for real. */
	host->userns_available = userns_sysctls_allow(host->uid);
	cordon_code code = read_host_sockets(host, err);
	if (code != CORDON_OK)
		linux_host_free(host);
	return code;
}

void linux_host_free(linux_host *host)
{
	if (host == NULL)
		return;
	for (size_t i = 0; i < host->host_socket_count; i++)
		free(host->host_sockets[i]);
	free(host->host_sockets);
	host->host_sockets = NULL;
	host->host_socket_count = 0;
}

/* ------------------------------------------------------------- doctor */

static const char userns_hint[] =
	"allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 or, on Ubuntu "
	"24.04+, kernel.apparmor_restrict_unprivileged_userns=0; check user.max_user_namespaces > 0";

/* Never NULL: the list of features is fixed and shorter than the report's
 * room; were it ever longer, the extra ones land in a discarded slot. */
static cordon_host_feature *add_feature(cordon_host_report *report, const char *name, bool available)
{
	static cordon_host_feature discarded;
	cordon_host_feature *f = report->feature_count < CORDON_HOST_FEATURES_MAX
					 ? &report->features[report->feature_count++]
					 : &discarded;
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->state = available ? CORDON_FEATURE_AVAILABLE : CORDON_FEATURE_MISSING;
	return f;
}

static void set_missing(cordon_host_feature *f, const char *lost, const char *hint)
{
	if (f == NULL || f->state == CORDON_FEATURE_AVAILABLE)
		return;
	snprintf(f->lost, sizeof(f->lost), "%s", lost);
	snprintf(f->hint, sizeof(f->hint), "%s", hint);
}

static void describe_ns_step(cordon_host_feature *f, const ns_probe *ns, int stage)
{
	if (f == NULL)
		return;
	if (ns->reached > stage) {
		snprintf(f->detail, sizeof(f->detail), "%s works", ns_stage_call(stage));
	} else if (ns->reached == stage) {
		const char *why = "";
		if (stage == NS_STAGE_USER && ns->errnum == ENOSPC)
			why = " (user.max_user_namespaces is 0 or used up)";
		else if (stage == NS_STAGE_USER && ns->errnum == EPERM)
			why = " (restricted by a sysctl or security module)";
		snprintf(f->detail, sizeof(f->detail), "%s failed: %s%s", ns_stage_call(stage),
			 strerror(ns->errnum), why);
	} else {
		snprintf(f->detail, sizeof(f->detail), "not tried: %s failed first",
			 ns_stage_call(ns->reached));
	}
}

static void report_namespaces(cordon_host_report *report, const ns_probe *ns)
{
	cordon_host_feature *f = add_feature(report, "user namespaces", ns->reached > NS_STAGE_MAP);
	describe_ns_step(f, ns, ns->reached == NS_STAGE_MAP ? NS_STAGE_MAP : NS_STAGE_USER);
	set_missing(f,
		    "no private mount tree, pid namespace or network namespace: protected names, deny-read "
		    "masks, whole-tree kill and network isolation rest on Landlock and seccomp alone",
		    userns_hint);

	f = add_feature(report, "mount namespaces", ns->reached > NS_STAGE_MOUNT);
	describe_ns_step(f, ns, NS_STAGE_MOUNT);
	set_missing(f, "no read-only host tree, protected-name binds or deny-read masks", userns_hint);

	f = add_feature(report, "pid namespaces", ns->reached > NS_STAGE_PID);
	describe_ns_step(f, ns, NS_STAGE_PID);
	set_missing(f,
		    "the command can see and signal host processes; the tree is killed by a subreaper "
		    "instead of the kernel",
		    userns_hint);

	/* Past the user namespace, a failure is the kernel's configuration. */
	bool userns_failed = ns->reached <= NS_STAGE_MAP;
	f = add_feature(report, "ipc/uts namespaces", ns->reached > NS_STAGE_IPC_UTS);
	describe_ns_step(f, ns, NS_STAGE_IPC_UTS);
	set_missing(f, "the command shares System V IPC and the hostname with the host",
		    userns_failed ? userns_hint : "enable CONFIG_IPC_NS and CONFIG_UTS_NS in the kernel");

	f = add_feature(report, "network namespaces", ns->reached > NS_STAGE_NET);
	describe_ns_step(f, ns, NS_STAGE_NET);
	set_missing(f, "network off cannot be enforced by isolation; only seccomp socket rules remain",
		    userns_failed ? userns_hint : "enable CONFIG_NET_NS in the kernel");
}

static void report_landlock(cordon_host_report *report, int abi)
{
	cordon_host_feature *f = add_feature(report, "landlock", abi > 0);
	if (abi > 0) {
		snprintf(f->detail, sizeof(f->detail), "ABI %d", abi);
	} else {
		int errnum = probe_landlock_errno();
		snprintf(f->detail, sizeof(f->detail), "landlock_create_ruleset failed: %s",
			 errnum == EOPNOTSUPP ? "not enabled at boot (EOPNOTSUPP)"
			 : errnum == ENOSYS   ? "not built into this kernel (ENOSYS)"
					      : strerror(errnum));
	}
	set_missing(f, "no kernel-enforced write rules: without user namespaces nothing restricts writes",
		    "boot with lsm=landlock,... (CONFIG_LSM must include landlock; kernel 5.13 or later)");

	f = add_feature(report, "landlock network rules", abi >= 4);
	if (f != NULL)
		snprintf(f->detail, sizeof(f->detail),
			 abi >= 4 ? "TCP bind/connect rules (ABI %d)" : "needs ABI 4, have %d", abi);
	set_missing(f, "TCP connections are limited only by the network namespace and seccomp",
		    "use Linux 6.7 or later with Landlock enabled");

	f = add_feature(report, "landlock scoping", abi >= 6);
	if (f != NULL)
		snprintf(f->detail, sizeof(f->detail),
			 abi >= 6 ? "abstract unix sockets and signals scoped (ABI %d)"
				  : "needs ABI 6, have %d",
			 abi);
	set_missing(f,
		    "abstract unix sockets and signals to outside processes are blocked only by the "
		    "namespaces",
		    "use Linux 6.12 or later with Landlock enabled");
}

cordon_code cordon_probe_host(cordon_host_report *out, cordon_error *err)
{
	if (out == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cordon_probe_host needs a report to fill");
	memset(out, 0, sizeof(*out));
	struct utsname name;
	snprintf(out->platform, sizeof(out->platform), "Linux");
	if (uname(&name) == 0) {
		size_t used = strlen(out->platform);
		out->platform[used++] = ' ';
		size_t room = sizeof(out->platform) - used - 1;
		size_t length = strnlen(name.release, room);
		memcpy(out->platform + used, name.release, length);
		out->platform[used + length] = '\0';
	}

	ns_probe ns = probe_namespaces(getuid(), getgid());
	report_namespaces(out, &ns);
	report_landlock(out, probe_landlock_abi());

	bool seccomp = probe_seccomp();
	cordon_host_feature *f = add_feature(out, "seccomp", seccomp);
	snprintf(f->detail, sizeof(f->detail),
		 seccomp ? "filter mode available" : "seccomp filters unavailable");
	set_missing(f,
		    "no system-call filter: ptrace, mount, keyring, TIOCSTI, io_uring and BPF stay reachable",
		    "use a kernel built with CONFIG_SECCOMP_FILTER");

	bool setattr = probe_mount_setattr();
	f = add_feature(out, "mount_setattr", setattr);
	snprintf(f->detail, sizeof(f->detail),
		 setattr ? "recursive read-only binds in one call" : "mount_setattr is missing (ENOSYS)");
	set_missing(f, "read-only binds are remounted one mount at a time (slower, same protection)",
		    "use Linux 5.12 or later");
	f->speed_only = true;

	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	int pidfd_errno = errno;
	f = add_feature(out, "pidfd", pidfd >= 0);
	if (pidfd >= 0) {
		close(pidfd);
		snprintf(f->detail, sizeof(f->detail), "pidfd_open works");
	} else {
		snprintf(f->detail, sizeof(f->detail), "pidfd_open failed: %s", strerror(pidfd_errno));
	}
	set_missing(f, "cordon cannot hold its supervisor safely and refuses to run commands",
		    "use Linux 5.3 or later");
	return CORDON_OK;
}
