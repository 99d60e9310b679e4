/* Applying the mount plan inside the new user + mount namespace, and the
 * host-side placeholders for missing protected names.
 *
 * Inside (linux_mounts_apply, in the supervisor):
 *   1. "/" becomes rprivate, so nothing done here reaches the host;
 *   2. a scratch tmpfs is mounted on /tmp (in this namespace only) and
 *      becomes the root by pivot_root; the host tree is then at /oldroot,
 *      and - because pivot_root moved the scratch tmpfs away from /tmp -
 *      /oldroot/tmp is the host's /tmp again, so binding /oldroot
 *      recursively at /newroot does not take the scratch along;
 *   3. /newroot is made read-only, nosuid, nodev recursively;
 *   4. the plan's operations, every target resolved inside /newroot
 *      (openat2 RESOLVE_IN_ROOT: a symlink planted in a writable root
 *      cannot point a mount outside the new tree) and every source inside
 *      /oldroot; each bind is a detached clone of the source, restricted
 *      and then moved onto the target (open_tree, mount_setattr,
 *      move_mount), or on kernels without those, mount(2) through
 *      /proc/self/fd magic links;
 *   5. a minimal /dev and a fresh /proc;
 *   6. pivot_root into /newroot; the scratch and the host tree are detached.
 * A writable root that is read-only on the host stays read-only: binds keep
 * the host mount's flags, and cordon does not fight that.
 *
 * Outside (linux_plan_prepare_host / linux_plan_cleanup_host): see the
 * comment above placeholders_lock().
 */
#include "mount_plan_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../core/error.h"
#include "../core/strlist.h"
#include "../core/strset.h"

#define SCRATCH_MOUNT "/tmp"
#define NEWROOT	      "/newroot"
#define OLDROOT	      "/oldroot"
#define EMPTY_FILE    "/empty"

typedef struct apply_ctx {
	int newroot_fd;
	int oldroot_fd;
	bool have_openat2;
	bool have_setattr;
	/* The directory (inside /newroot) the last protected name was in:
	 * a root's names come one after another, so it is opened once. */
	char parent[PATH_MAX];
	int parent_fd;
	cordon_error *err;
} apply_ctx;

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
#define cleanup_fd __attribute__((cleanup(close_fd)))

/* ------------------------------------------------------------ helpers */

/* An O_PATH descriptor for path (absolute, host spelling) resolved inside
 * the tree at root_fd; -1 with errno. Without openat2 (Linux < 5.6) the
 * path is joined to prefix and resolved normally. */
static int open_inside(apply_ctx *a, int root_fd, const char *prefix, const char *path)
{
	const char *relative = path[1] ? path + 1 : ".";
	if (a->have_openat2) {
		struct open_how how = {
			.flags = O_PATH | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		int fd = (int)syscall(SYS_openat2, root_fd, relative, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		a->have_openat2 = false;
	}
	char full[PATH_MAX];
	if ((size_t)snprintf(full, sizeof(full), "%s%s", prefix, path) >= sizeof(full)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(full, O_PATH | O_CLOEXEC);
}

/* The magic link that names fd's exact file, for mount(2). */
static void fd_link(char *buf, size_t size, int fd)
{
	snprintf(buf, size, OLDROOT "/proc/self/fd/%d", fd);
}

static unsigned long parse_locked_flags(const char *options, bool *readonly)
{
	unsigned long flags = 0;
	char copy[512];
	snprintf(copy, sizeof(copy), "%s", options);
	char *save = NULL;
	for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (strcmp(opt, "ro") == 0)
			*readonly = true;
		else if (strcmp(opt, "noexec") == 0)
			flags |= MS_NOEXEC;
		else if (strcmp(opt, "noatime") == 0)
			flags |= MS_NOATIME;
		else if (strcmp(opt, "nodiratime") == 0)
			flags |= MS_NODIRATIME;
		else if (strcmp(opt, "relatime") == 0)
			flags |= MS_RELATIME;
		else if (strcmp(opt, "strictatime") == 0)
			flags |= MS_STRICTATIME;
	}
	return flags;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as octal. */
static void unescape_mountinfo(char *s)
{
	char *out = s;
	for (char *in = s; *in; in++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '7' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 3;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

static bool path_within(const char *path, const char *dir)
{
	size_t length = strlen(dir);
	if (strncmp(path, dir, length) != 0)
		return false;
	return path[length] == '\0' || path[length] == '/';
}

/* Without mount_setattr (Linux < 5.12): remount every mount at or below
 * top one by one, keeping the flags a less privileged namespace may not
 * clear (noexec, atime), adding nosuid and nodev (and ro). A mount hidden
 * under another at the same place is not reached; it is locked to the one
 * above it and cannot be uncovered from inside. */
static cordon_code remount_line(apply_ctx *a, char *line, const char *top, bool readonly)
{
	char mount_point[PATH_MAX], options[512];
	if (sscanf(line, "%*s %*s %*s %*s %4095s %511s", mount_point, options) != 2)
		return CORDON_OK;
	unescape_mountinfo(mount_point);
	if (!path_within(mount_point, top))
		return CORDON_OK;
	bool was_readonly = false;
	unsigned long flags = parse_locked_flags(options, &was_readonly);
	flags |= MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;
	if (readonly || was_readonly)
		flags |= MS_RDONLY;
	if (mount(NULL, mount_point, NULL, flags, NULL) != 0)
		return cordon_fail_errno(a->err, errno, "cannot restrict the mount at %s in the sandbox",
					 mount_point + strlen(NEWROOT));
	return CORDON_OK;
}

/* Read with read(2) into a fixed buffer, line by line, not with stdio:
 * the supervisor must not allocate (it is cloned from a caller that may
 * have other threads, whose allocator locks it does not share). */
static cordon_code remount_walk(apply_ctx *a, const char *top, bool readonly)
{
	int fd cleanup_fd = open(OLDROOT "/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cordon_fail_errno(
			a->err, errno,
			"cannot make %s read-only in the sandbox: reading /proc/self/mountinfo failed",
			top + strlen(NEWROOT));
	char buffer[3 * PATH_MAX];
	size_t used = 0;
	bool end = false;
	cordon_code code = CORDON_OK;
	while (code == CORDON_OK) {
		char *newline = memchr(buffer, '\n', used);
		if (newline == NULL && !end && used < sizeof(buffer) - 1) {
			ssize_t n = read(fd, buffer + used, sizeof(buffer) - 1 - used);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return cordon_fail_errno(a->err, errno,
							 "cannot make %s read-only in the sandbox: reading "
							 "/proc/self/mountinfo failed",
							 top + strlen(NEWROOT));
			end = n == 0;
			used += (size_t)n;
			continue;
		}
		if (newline == NULL && used == 0)
			break;
		if (newline == NULL && !end)
			return cordon_fail(a->err, CORDON_E_SYSTEM,
					   "cannot make %s read-only in the sandbox: a line of "
					   "/proc/self/mountinfo is longer than %zu bytes",
					   top + strlen(NEWROOT), sizeof(buffer) - 1);
		size_t length = newline != NULL ? (size_t)(newline - buffer) : used;
		buffer[length] = '\0';
		code = remount_line(a, buffer, top, readonly);
		size_t consumed = newline != NULL ? length + 1 : used;
		memmove(buffer, buffer + consumed, used - consumed);
		used -= consumed;
	}
	return code;
}

/* Makes the mount tree at path (inside /newroot) nosuid, nodev, and
 * read-only when asked, recursively. */
static cordon_code restrict_tree(apply_ctx *a, const char *path, bool readonly)
{
	int fd cleanup_fd = open_inside(a, a->newroot_fd, NEWROOT, path);
	if (fd < 0)
		return cordon_fail_errno(a->err, errno,
					 "cannot make %s read-only in the sandbox: opening it failed", path);
	if (a->have_setattr) {
		struct mount_attr attr = {
			.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (readonly ? MOUNT_ATTR_RDONLY : 0),
		};
		if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) ==
		    0)
			return CORDON_OK;
		if (errno != ENOSYS)
			return cordon_fail_errno(
				a->err, errno,
				"cannot make %s read-only in the sandbox: mount_setattr failed", path);
		a->have_setattr = false;
	}
	char link[64], real[PATH_MAX];
	fd_link(link, sizeof(link), fd);
	ssize_t length = readlink(link, real, sizeof(real) - 1);
	if (length < 0)
		return cordon_fail_errno(a->err, errno,
					 "cannot make %s read-only in the sandbox: readlink failed", path);
	real[length] = '\0';
	return remount_walk(a, real, readonly);
}

/* ------------------------------------------------------------ plan ops */

/* With the mount API (Linux 5.2; present wherever mount_setattr is):
 * clone the tree at (from_dir, from_name), restrict the clone, and attach
 * it at (to_dir, to_name). Three calls on descriptors already open, where
 * mount(2) would walk two /proc magic links and the restriction would look
 * the target up again: with hundreds of roots and protected names this is
 * most of the sandbox's mount work. An empty name means the descriptor
 * itself; a name is a single component and is not followed if it is a
 * link. */
static cordon_code attach_clone(apply_ctx *a, const char *action, int from_dir, const char *from_name,
				int to_dir, const char *to_name, bool readonly)
{
	unsigned int from_flags = from_name[0] != '\0' ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;
	int tree cleanup_fd = (int)syscall(SYS_open_tree, from_dir, from_name,
					   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | from_flags);
	if (tree < 0)
		return cordon_fail_errno(a->err, errno, "cannot %s: cloning the mount failed", action);
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (readonly ? MOUNT_ATTR_RDONLY : 0),
	};
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) != 0)
		return cordon_fail_errno(a->err, errno, "cannot %s: mount_setattr failed", action);
	unsigned int move_flags =
		MOVE_MOUNT_F_EMPTY_PATH | (to_name[0] != '\0' ? 0 : MOVE_MOUNT_T_EMPTY_PATH);
	if (syscall(SYS_move_mount, tree, "", to_dir, to_name, move_flags) != 0)
		return cordon_fail_errno(a->err, errno, "cannot %s: attaching the mount failed", action);
	return CORDON_OK;
}

/* A read-only bind of a name over itself, with the mount API: cloned
 * from where the new tree already shows the host's object (through its
 * root's bind) and moved back onto the same name, both relative to the
 * name's directory, which is looked up once for all the names in it. The
 * name itself is not followed if it is a link. */
static cordon_code protect_in_place(apply_ctx *a, const char *action, const char *target)
{
	const char *slash = strrchr(target, '/');
	size_t parent_length = slash == target ? 1 : (size_t)(slash - target);
	const char *name = slash + 1;
	if (parent_length >= sizeof(a->parent) || name[0] == '\0')
		return cordon_fail(a->err, CORDON_E_INVALID, "cannot %s: not a name inside a directory",
				   action);
	if (a->parent_fd < 0 || strncmp(a->parent, target, parent_length) != 0 ||
	    a->parent[parent_length] != '\0') {
		close_fd(&a->parent_fd);
		memcpy(a->parent, target, parent_length);
		a->parent[parent_length] = '\0';
		a->parent_fd = open_inside(a, a->newroot_fd, NEWROOT, a->parent);
		if (a->parent_fd < 0)
			return cordon_fail_errno(a->err, errno, "cannot %s: opening %s failed", action,
						 a->parent);
	}
	return attach_clone(a, action, a->parent_fd, name, a->parent_fd, name, true);
}

static cordon_code bind_op(apply_ctx *a, const linux_mount_op *op)
{
	bool readonly = op->kind != LINUX_MOUNT_BIND_RW;
	const char *verb = op->kind == LINUX_MOUNT_BIND_RW	 ? "make"
			   : op->kind == LINUX_MOUNT_PLACEHOLDER ? "hold the place of"
								 : "protect";
	const char *how = op->kind == LINUX_MOUNT_BIND_RW ? " writable" : "";
	char action[PATH_MAX + 64];
	snprintf(action, sizeof(action), "%s %s%s in the sandbox", verb, op->target, how);

	/* A root's own bind cannot be cloned from the new tree like a
	 * protected name's: there it is still read-only. */
	if (a->have_setattr && a->have_openat2 && readonly && strcmp(op->source, op->target) == 0 &&
	    strcmp(op->target, "/") != 0)
		return protect_in_place(a, action, op->target);
	/* Any other mount may cover the remembered directory. */
	close_fd(&a->parent_fd);
	int target cleanup_fd = open_inside(a, a->newroot_fd, NEWROOT, op->target);
	if (target < 0)
		return cordon_fail_errno(a->err, errno, "cannot %s: opening the mount point failed", action);
	int source cleanup_fd = open_inside(a, a->oldroot_fd, OLDROOT, op->source);
	if (source < 0)
		return cordon_fail_errno(a->err, errno, "cannot %s: opening %s failed", action, op->source);
	if (a->have_setattr)
		return attach_clone(a, action, source, "", target, "", readonly);
	char source_link[64], target_link[64];
	fd_link(source_link, sizeof(source_link), source);
	fd_link(target_link, sizeof(target_link), target);
	if (mount(source_link, target_link, NULL, MS_BIND | MS_REC, NULL) != 0)
		return cordon_fail_errno(a->err, errno, "cannot %s: bind mount failed", action);
	return restrict_tree(a, op->target, readonly);
}

static cordon_code mask_dir_at(apply_ctx *a, int target, const char *path)
{
	char link[64];
	fd_link(link, sizeof(link), target);
	if (mount("cordon-mask", link, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0555,size=4k,nr_inodes=1") != 0)
		return cordon_fail_errno(
			a->err, errno, "cannot hide %s in the sandbox: mounting an empty tmpfs failed", path);
	return CORDON_OK;
}

static cordon_code mask_file_at(apply_ctx *a, int target, const char *path)
{
	char link[64];
	fd_link(link, sizeof(link), target);
	if (mount(EMPTY_FILE, link, NULL, MS_BIND, NULL) != 0)
		return cordon_fail_errno(a->err, errno,
					 "cannot hide %s in the sandbox: binding an empty file failed", path);
	int masked cleanup_fd = open_inside(a, a->newroot_fd, NEWROOT, path);
	if (masked < 0)
		return cordon_fail_errno(a->err, errno, "cannot hide %s in the sandbox: reopening it failed",
					 path);
	fd_link(link, sizeof(link), masked);
	if (mount(NULL, link, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) != 0)
		return cordon_fail_errno(
			a->err, errno,
			"cannot hide %s in the sandbox: making the empty file read-only failed", path);
	return CORDON_OK;
}

/* A mask over something that is not there has nothing to hide: the plan
 * was made from a slightly older view (a socket from /proc/net/unix that
 * lives in another mount namespace, a file deleted since), or the path is
 * out of the user's reach. The kind is taken from what is there now. */
static cordon_code mask_op(apply_ctx *a, const linux_mount_op *op)
{
	int target cleanup_fd = open_inside(a, a->newroot_fd, NEWROOT, op->target);
	if (target < 0) {
		/* EACCES: the invoking user cannot reach it, and the command
		 * (same uid, every capability dropped) cannot either. */
		if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
			return CORDON_OK;
		return cordon_fail_errno(a->err, errno, "cannot hide %s in the sandbox: opening it failed",
					 op->target);
	}
	struct stat st;
	if (fstat(target, &st) != 0)
		return cordon_fail_errno(a->err, errno, "cannot hide %s in the sandbox: stat failed",
					 op->target);
	if (S_ISDIR(st.st_mode))
		return mask_dir_at(a, target, op->target);
	return mask_file_at(a, target, op->target);
}

/* ------------------------------------------------------------ /dev, /proc */

static cordon_code dev_fail(apply_ctx *a, const char *what)
{
	return cordon_fail_errno(a->err, errno, "cannot build /dev in the sandbox: %s failed", what);
}

static cordon_code bind_device(apply_ctx *a, const char *name)
{
	char source[64], target[64];
	snprintf(source, sizeof(source), OLDROOT "/dev/%s", name);
	snprintf(target, sizeof(target), NEWROOT "/dev/%s", name);
	struct stat st;
	if (stat(source, &st) != 0 || !S_ISCHR(st.st_mode))
		return CORDON_OK; /* the host lacks it: so does the sandbox */
	int fd = open(target, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
	if (fd < 0)
		return dev_fail(a, target);
	close(fd);
	if (mount(source, target, NULL, MS_BIND, NULL) != 0)
		return cordon_fail_errno(a->err, errno,
					 "cannot build /dev in the sandbox: binding /dev/%s failed", name);
	return CORDON_OK;
}

static cordon_code setup_dev(apply_ctx *a)
{
	if (mount("cordon-dev", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") != 0)
		return dev_fail(a, "mounting a tmpfs on /dev");
	static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		cordon_code code = bind_device(a, devices[i]);
		if (code != CORDON_OK)
			return code;
	}
	if (mkdir(NEWROOT "/dev/pts", 0755) != 0)
		return dev_fail(a, "mkdir /dev/pts");
	if (mount("devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620") != 0)
		return dev_fail(a, "mounting a new devpts instance");
	if (symlink("pts/ptmx", NEWROOT "/dev/ptmx") != 0)
		return dev_fail(a, "symlink /dev/ptmx");
	if (mkdir(NEWROOT "/dev/shm", 0755) != 0)
		return dev_fail(a, "mkdir /dev/shm");
	if (mount("cordon-shm", NEWROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
		return dev_fail(a, "mounting a tmpfs on /dev/shm");
	static const char *const links[][2] = {
		{"/proc/self/fd", NEWROOT "/dev/fd"},
		{"/proc/self/fd/0", NEWROOT "/dev/stdin"},
		{"/proc/self/fd/1", NEWROOT "/dev/stdout"},
		{"/proc/self/fd/2", NEWROOT "/dev/stderr"},
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) != 0)
			return dev_fail(a, links[i][1] + strlen(NEWROOT));
	/* Nothing new may appear in /dev; the devices and /dev/shm are
	 * their own mounts and keep their own flags. */
	if (mount(NULL, NEWROOT "/dev", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
		  NULL) != 0)
		return dev_fail(a, "making /dev read-only");
	return CORDON_OK;
}

static cordon_code proc_fail(apply_ctx *a, const char *what)
{
	return cordon_fail_errno(a->err, errno, "cannot build /proc in the sandbox: %s failed", what);
}

static cordon_code setup_proc(apply_ctx *a)
{
	if (mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return cordon_fail_errno(
			a->err, errno,
			"cannot build /proc in the sandbox: mounting a fresh proc failed (a "
			"container that masks parts of /proc prevents it); run 'cordon doctor'");
	/* Kernel knobs stay readable but not writable. */
	static const char *const read_only[] = {"sys", "sysrq-trigger", "irq", "bus"};
	for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), NEWROOT "/proc/%s", read_only[i]);
		if (access(path, F_OK) != 0)
			continue;
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0)
			return proc_fail(a, path + strlen(NEWROOT));
		if (mount(NULL, path, NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
			return proc_fail(a, path + strlen(NEWROOT));
	}
	/* Kernel memory and timing side channels read as empty. */
	static const char *const hidden[] = {"kcore",	      "kmsg", "timer_list", "sched_debug",
					     "latency_stats", "acpi", "scsi"};
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%s", hidden[i]);
		linux_mount_op op = {.kind = LINUX_MOUNT_MASK_FILE, .target = path};
		cordon_code code = mask_op(a, &op);
		if (code != CORDON_OK)
			return code;
	}
	return CORDON_OK;
}

/* ------------------------------------------------------------ apply */

static cordon_code scratch_fail(apply_ctx *a, const char *what)
{
	return cordon_fail_errno(a->err, errno, "cannot build the sandbox's root: %s failed", what);
}

static cordon_code enter_scratch(apply_ctx *a)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return scratch_fail(a, "making / private");
	if (mount("cordon-root", SCRATCH_MOUNT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0)
		return scratch_fail(a, "mounting a scratch tmpfs on " SCRATCH_MOUNT);
	if (mkdir(SCRATCH_MOUNT NEWROOT, 0755) != 0 || mkdir(SCRATCH_MOUNT OLDROOT, 0755) != 0)
		return scratch_fail(a, "mkdir in the scratch tmpfs");
	int fd = open(SCRATCH_MOUNT EMPTY_FILE, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
	if (fd < 0)
		return scratch_fail(a, "creating the empty mask file");
	close(fd);
	if (syscall(SYS_pivot_root, SCRATCH_MOUNT, SCRATCH_MOUNT OLDROOT) != 0)
		return scratch_fail(a, "pivot_root into the scratch tmpfs");
	if (chdir("/") != 0)
		return scratch_fail(a, "chdir /");
	if (mount(OLDROOT, NEWROOT, NULL, MS_BIND | MS_REC, NULL) != 0)
		return scratch_fail(a, "binding the host tree");
	a->newroot_fd = open(NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	a->oldroot_fd = open(OLDROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (a->newroot_fd < 0 || a->oldroot_fd < 0)
		return scratch_fail(a, "opening the new and old roots");
	return restrict_tree(a, "/", true);
}

static cordon_code leave_scratch(apply_ctx *a)
{
	close_fd(&a->parent_fd);
	close_fd(&a->newroot_fd);
	close_fd(&a->oldroot_fd);
	/* The host tree stays mounted at /oldroot inside the scratch until
	 * the one lazy unmount below takes both: every unmount waits for an
	 * RCU grace period. */
	if (chdir(NEWROOT) != 0)
		return scratch_fail(a, "chdir into the new root");
	/* pivot_root(".", "."): the new root needs no put_old directory (it
	 * is read-only); the old root (the scratch, with the host tree in it)
	 * ends up stacked on it and is detached with everything below it. */
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		return scratch_fail(a, "pivot_root into the new root");
	if (umount2(".", MNT_DETACH) != 0)
		return scratch_fail(a, "detaching the scratch root");
	if (chdir("/") != 0)
		return scratch_fail(a, "chdir /");
	return CORDON_OK;
}

cordon_code linux_mounts_apply(const linux_plan *plan, cordon_error *err)
{
	if (!plan->sandboxed || !plan->use_userns)
		return CORDON_OK;
	apply_ctx a = {
		.newroot_fd = -1,
		.oldroot_fd = -1,
		.have_openat2 = true,
		.have_setattr = linux_plan_storage_of(plan)->mount_setattr_available,
		.parent_fd = -1,
		.err = err,
	};
	mode_t old_umask = umask(022);
	cordon_code code = enter_scratch(&a);
	for (size_t i = 0; code == CORDON_OK && i < plan->mount_count; i++) {
		const linux_mount_op *op = &plan->mounts[i];
		if (op->kind == LINUX_MOUNT_MASK_DIR || op->kind == LINUX_MOUNT_MASK_FILE) {
			close_fd(&a.parent_fd);
			code = mask_op(&a, op);
		} else {
			code = bind_op(&a, op);
		}
	}
	if (code == CORDON_OK)
		code = setup_dev(&a);
	if (code == CORDON_OK)
		code = setup_proc(&a);
	if (code == CORDON_OK)
		code = leave_scratch(&a);
	close_fd(&a.parent_fd);
	close_fd(&a.newroot_fd);
	close_fd(&a.oldroot_fd);
	umask(old_umask);
	return code;
}

/* ------------------------------------------------------------ placeholders */

/* A missing protected name is held by an empty directory (mode 0755) that
 * cordon creates on the host before the run and binds read-only over
 * itself inside; afterwards it is removed if it is still the same empty
 * directory.
 *
 * Bookkeeping in the state directory:
 *   placeholders        one path per line: every placeholder cordon made
 *                       and has not removed yet (a crashed run's too);
 *   placeholders.lock   held exclusively while the list or any
 *                       placeholder is created or removed;
 *
 * Every live run that relies on a placeholder holds a shared flock on the
 * placeholder directory itself. It is removed only by whoever gets it
 * exclusively, i.e. when no live run holds it - so concurrent runs on one
 * workspace share placeholders safely, and the next run cleans up after a
 * crashed one. Every open-and-lock and every removal happens under
 * placeholders.lock, so no run is ever between opening a placeholder and
 * locking it while another removes it. (Lock files beside the record cost
 * an inode created and deleted per placeholder per run; with many roots
 * that churn made ext4's inode allocation the slowest part of a run.)
 */

static int open_lock(const char *state_dir, const char *name)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, name) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

/* The placeholder directory, opened to be locked: never through a link. */
static int open_placeholder(const char *placeholder)
{
	return open(placeholder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int mkdir_parents(const char *path, mode_t mode)
{
	char copy[PATH_MAX];
	if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *slash = copy + 1; (slash = strchr(slash, '/')) != NULL; slash++) {
		*slash = '\0';
		if (mkdir(copy, mode) != 0 && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	if (mkdir(copy, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Each record line is "<fnv1a-64 hex> <path>": the record is rewritten
 * in place (a new file and a rename per write cost two inodes per run),
 * so a line torn by a power cut fails its checksum and is ignored rather
 * than naming some other directory to remove. record_line_path gives the
 * path of a line whose checksum holds, else NULL. */
static const char *record_line_path(char *line)
{
	char *space = strchr(line, ' ');
	if (space == NULL || space - line != 16)
		return NULL;
	*space = '\0';
	char *end;
	unsigned long long hash = strtoull(line, &end, 16);
	const char *path = space + 1;
	if (*end != '\0' || path[0] != '/' || hash != cordon_fnv1a64(path))
		return NULL;
	return path;
}

static bool read_record(const char *state_dir, cordon_strlist *list)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/placeholders", state_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT;
	FILE *file = fdopen(fd, "r");
	if (file == NULL) {
		close(fd);
		return false;
	}
	char *line = NULL;
	size_t capacity = 0;
	ssize_t length;
	bool ok = true;
	cordon_strset seen = {0}; /* borrowed from list: a record can hold thousands */
	for (size_t i = 0; ok && i < list->count; i++)
		ok = cordon_strset_add(&seen, list->items[i]);
	while (ok && (length = getline(&line, &capacity, file)) > 0) {
		if (line[length - 1] == '\n')
			line[length - 1] = '\0';
		const char *recorded = record_line_path(line);
		if (recorded == NULL || cordon_strset_contains(&seen, recorded))
			continue;
		ok = cordon_strlist_push(list, recorded) &&
		     cordon_strset_add(&seen, list->items[list->count - 1]);
	}
	cordon_strset_clear(&seen);
	free(line);
	fclose(file);
	return ok;
}

static bool write_record(const char *state_dir, const cordon_strlist *list)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/placeholders", state_dir);
	/* Rewritten in place under placeholders.lock, which every reader
	 * holds too. No fsync: it cost a journal commit on every run, and a
	 * record lost to a power cut leaves at worst empty directories. */
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return false;
	FILE *file = fdopen(fd, "w");
	if (file == NULL) {
		close(fd);
		return false;
	}
	for (size_t i = 0; i < list->count; i++)
		fprintf(file, "%016llx %s\n", (unsigned long long)cordon_fnv1a64(list->items[i]),
			list->items[i]);
	bool ok = fflush(file) == 0 && ftruncate(fd, ftell(file)) == 0;
	ok = (fclose(file) == 0) && ok;
	return ok;
}

static void record_remove(cordon_strlist *list, const char *path)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i], path) == 0) {
			free(list->items[i]);
			list->items[i] = list->items[--list->count];
			return;
		}
	}
}

/* With the global lock held: removes the recorded placeholders no live
 * run holds, if they are still empty directories. */
static void recover_crashed(cordon_strlist *record)
{
	for (size_t i = 0; i < record->count;) {
		const char *path = record->items[i];
		int lock = open_placeholder(path);
		/* Gone, or replaced by something that is not a directory
		 * (so not a placeholder): nothing left to remove. */
		if (lock < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)) {
			record_remove(record, path);
			continue;
		}
		if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0) {
			/* rmdir removes only an empty directory, never a link. */
			(void)rmdir(path);
			close(lock);
			record_remove(record, path);
			continue;
		}
		if (lock >= 0)
			close(lock);
		i++;
	}
}

/* The placeholder pool: <state>/placeholder-pool holds empty directories
 * that earlier runs used. A placeholder is renamed out of the pool into
 * place and back again after the run, so back-to-back runs reuse inodes
 * instead of creating and deleting them: with many roots, that churn made
 * ext4's inode allocator step around thousands of freshly deleted inodes
 * and dominate the run (300 roots: over a second per run). The pool is
 * split into POOL_SHARDS subdirectories by inode number: adding an entry
 * to one directory of a thousand cost ext4 almost twice what adding it to
 * a small one does. It is read with a small buffer, so a run that needs
 * three placeholders does not list a pool of thousands. Where a root is
 * on another filesystem than the state directory, rename fails with EXDEV
 * and the placeholder is made and removed as before. The pool holds at
 * most as many directories as the most placeholders runs ever held at
 * once. All of this happens under placeholders.lock. */
#define POOL_SHARDS 64
_Static_assert(POOL_SHARDS <= 64, "the listed shards are kept in a uint64_t");

typedef struct placeholder_pool {
	int fd;			    /* <state>/placeholder-pool, or -1: no pool */
	int shard_fds[POOL_SHARDS]; /* opened on first use, -1 before */
	bool other_filesystem;	    /* a rename gave EXDEV: stop trying */
	/* Taking: the directory being listed (-1: the top level, where
	 * pools before the shards kept their entries), and its listing. */
	int reading;
	bool exhausted;
	uint64_t shards_listed; /* bit i: the top level lists shard i */
	long listed, offset;
	char listing[2048];
} placeholder_pool;

static void pool_open(placeholder_pool *pool, const char *state_dir)
{
	*pool = (placeholder_pool){.fd = -1, .reading = -1};
	for (int i = 0; i < POOL_SHARDS; i++)
		pool->shard_fds[i] = -1;
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/placeholder-pool", state_dir) >= sizeof(path))
		return;
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return;
	pool->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void pool_close(placeholder_pool *pool)
{
	for (int i = 0; i < POOL_SHARDS; i++)
		close_fd(&pool->shard_fds[i]);
	close_fd(&pool->fd);
}

/* The shard's directory, opened (and made, when create) on first use. */
static int pool_shard(placeholder_pool *pool, int shard, bool create)
{
	if (pool->shard_fds[shard] >= 0)
		return pool->shard_fds[shard];
	char name[8];
	snprintf(name, sizeof(name), "%02x", shard);
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	pool->shard_fds[shard] = openat(pool->fd, name, flags);
	if (pool->shard_fds[shard] < 0 && errno == ENOENT && create &&
	    (mkdirat(pool->fd, name, 0700) == 0 || errno == EEXIST))
		pool->shard_fds[shard] = openat(pool->fd, name, flags);
	return pool->shard_fds[shard];
}

/* Shards are named by two lower-case hex digits (pool_shard). */
static void note_shard(placeholder_pool *pool, const char *name)
{
	static const char digits[] = "0123456789abcdef";
	const char *high = name[0] != '\0' ? strchr(digits, name[0]) : NULL;
	const char *low = high != NULL && name[1] != '\0' ? strchr(digits, name[1]) : NULL;
	if (low == NULL || name[2] != '\0')
		return;
	int shard = (int)(high - digits) * 16 + (int)(low - digits);
	if (shard < POOL_SHARDS)
		pool->shards_listed |= UINT64_C(1) << shard;
}

/* The next pooled entry's name, from the top level (only entries that are
 * not shards) and then shard by shard; NULL when the pool is empty.
 * *dir_fd receives the directory it is in. */
static const char *pool_next(placeholder_pool *pool, int *dir_fd)
{
	while (!pool->exhausted) {
		*dir_fd = pool->reading < 0 ? pool->fd : pool->shard_fds[pool->reading];
		while (pool->offset < pool->listed) {
			const struct dirent64 *entry =
				(const struct dirent64 *)(pool->listing + pool->offset);
			pool->offset += entry->d_reclen;
			/* Pooled directories are named "<dev>-<ino>"; at the
			 * top level everything else is a shard (whatever
			 * d_type says: some filesystems leave it unknown). */
			if (pool->reading < 0)
				note_shard(pool, entry->d_name);
			if (entry->d_name[0] == '.' ||
			    (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) ||
			    strchr(entry->d_name, '-') == NULL)
				continue;
			struct stat st;
			if (entry->d_type == DT_UNKNOWN &&
			    (fstatat(*dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
			     !S_ISDIR(st.st_mode)))
				continue;
			return entry->d_name;
		}
		long n = *dir_fd < 0 ? 0
				     : syscall(SYS_getdents64, *dir_fd, pool->listing, sizeof(pool->listing));
		if (n > 0) {
			pool->listed = n;
			pool->offset = 0;
			continue;
		}
		pool->listed = pool->offset = 0;
		/* Only the shards the top level listed (it is read whole
		 * before the first shard): no open that can only fail. */
		if (++pool->reading >= POOL_SHARDS)
			pool->exhausted = true;
		else if ((pool->shards_listed & (UINT64_C(1) << pool->reading)) != 0)
			(void)pool_shard(pool, pool->reading, false);
	}
	return NULL;
}

/* Moves a pooled directory to target. 0, or -1 with errno (EEXIST: target
 * exists; anything else: make one instead). */
static int pool_take(placeholder_pool *pool, const char *target)
{
	if (pool->fd < 0 || pool->other_filesystem) {
		errno = ENOENT;
		return -1;
	}
	int dir_fd;
	const char *name;
	while ((name = pool_next(pool, &dir_fd)) != NULL) {
		if (renameat2(dir_fd, name, AT_FDCWD, target, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EXDEV)
			pool->other_filesystem = true;
		if (errno != ENOENT)
			return -1;
	}
	errno = ENOENT;
	return -1;
}

/* Makes the placeholder directory at target, from the pool if it can. */
static int make_placeholder(placeholder_pool *pool, const char *target)
{
	if (pool_take(pool, target) == 0)
		return 0;
	if (errno == EEXIST)
		return -1;
	/* Readable, so tools inside that list the root (git status walks it)
	 * do not warn; writable by its owner, because moving a directory to
	 * another parent (into and out of the pool) needs that. Inside the
	 * sandbox the read-only bind keeps it empty whatever its mode. */
	return mkdir(target, 0755);
}

static bool directory_is_empty(int dir_fd)
{
	char buffer[512];
	long n = syscall(SYS_getdents64, dir_fd, buffer, sizeof(buffer));
	if (n < 0)
		return false;
	for (long offset = 0; offset < n;) {
		const struct dirent64 *entry = (const struct dirent64 *)(buffer + offset);
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			return false;
		offset += entry->d_reclen;
	}
	return true;
}

/* After the run, with the placeholder locked exclusively: back into the
 * pool if it is still empty, else (another filesystem, no pool) removed
 * by rmdir, which also only takes an empty directory. True if it is gone
 * from its place. */
static bool retire_placeholder(placeholder_pool *pool, linux_placeholder *p)
{
	if (pool->fd >= 0 && !pool->other_filesystem && directory_is_empty(p->lock_fd)) {
		int shard = pool_shard(pool, (int)(p->ino % POOL_SHARDS), true);
		char pooled[64];
		snprintf(pooled, sizeof(pooled), "%llx-%llx", (unsigned long long)p->dev,
			 (unsigned long long)p->ino);
		if (shard >= 0 && renameat2(AT_FDCWD, p->path, shard, pooled, RENAME_NOREPLACE) == 0)
			return true;
		if (errno == EXDEV)
			pool->other_filesystem = true;
	}
	return rmdir(p->path) == 0;
}

static int placeholders_lock(const char *state_dir)
{
	int fd = open_lock(state_dir, "placeholders.lock");
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Sets *unneeded when the name cannot be created at all: the root lies on
 * a mount that is read-only on the host, which the sandbox's bind keeps
 * read-only too. (EACCES is not such a case: the owner of a directory can
 * chmod it and then create the name.) */
static cordon_code hold_placeholder(linux_plan_storage *s, const char *state_dir, placeholder_pool *pool,
				    const linux_mount_op *op, cordon_strlist *record,
				    const cordon_strset *recorded_set, bool *unneeded, cordon_error *err)
{
	*unneeded = false;
	linux_placeholder *p = &s->placeholders[s->placeholder_count];
	*p = (linux_placeholder){.lock_fd = -1};
	p->path = strdup(op->target);
	if (p->path == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot prepare the sandbox: out of memory");
	s->placeholder_count++;
	if (state_dir != NULL && strcmp(op->target, state_dir) == 0) {
		/* cordon's own state directory: made once, kept. */
		p->is_state = true;
		if (mkdir_parents(op->target, 0700) != 0 && errno == EROFS) {
			*unneeded = true;
			return CORDON_OK;
		}
		if (access(op->target, F_OK) != 0)
			return cordon_fail_errno(err, errno, "cannot create cordon's state directory %s",
						 op->target);
		return CORDON_OK;
	}
	if (state_dir == NULL)
		return cordon_fail(err, CORDON_E_STATE,
				   "cannot hold the place of %s: the policy has no state directory",
				   op->target);
	bool recorded = cordon_strset_contains(recorded_set, op->target);
	if (make_placeholder(pool, op->target) == 0) {
		p->created = true;
		/* On record at once: should anything below fail, the next run
		 * still finds it and removes it. */
		if (!recorded && strchr(op->target, '\n') == NULL && !cordon_strlist_push(record, op->target))
			return cordon_fail(err, CORDON_E_NOMEM, "cannot prepare the sandbox: out of memory");
	} else if (errno == EROFS) {
		*unneeded = true;
		return CORDON_OK;
	} else if (errno != EEXIST) {
		return cordon_fail_errno(
			err, errno,
			"cannot keep %s from being created in the sandbox: making a placeholder "
			"directory failed",
			op->target);
	}
	/* Opened without following a link and only if a directory: what
	 * the run locks is what sits at the name. */
	p->lock_fd = open_placeholder(op->target);
	if (p->lock_fd < 0 && errno == ELOOP)
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"cannot protect %s: it appeared as a symbolic link while the sandbox was being "
			"prepared; remove it and run again",
			op->target);
	/* Something the user created since the plan was made is protected
	 * like any existing name but is not ours to remove. */
	if ((p->lock_fd < 0 && errno == ENOTDIR) || (p->lock_fd >= 0 && !p->created && !recorded)) {
		close_fd(&p->lock_fd);
		p->created = false;
		return CORDON_OK;
	}
	p->created = true; /* ours: made now, or by a run that still holds it */
	struct stat held;
	if (p->lock_fd < 0 || fstat(p->lock_fd, &held) != 0 || flock(p->lock_fd, LOCK_SH) != 0)
		return cordon_fail_errno(err, errno, "cannot hold the place of %s: locking it failed",
					 op->target);
	p->dev = held.st_dev;
	p->ino = held.st_ino;
	return CORDON_OK;
}

/* Whether op is a placeholder this run holds: a PLACEHOLDER, or a
 * read-only bind over a placeholder that a crashed or still running run
 * left (the plan saw it as an existing directory). */
static bool holds_placeholder(const linux_mount_op *op, const cordon_strset *recorded)
{
	if (op->kind == LINUX_MOUNT_PLACEHOLDER)
		return true;
	return op->kind == LINUX_MOUNT_BIND_RO && cordon_strset_contains(recorded, op->target);
}

/* The set of strings in list (borrowed); false on out of memory. */
static bool set_of(cordon_strset *set, const cordon_strlist *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (!cordon_strset_add(set, list->items[i]))
			return false;
	return true;
}

static void recover_unheld(const linux_plan *plan, cordon_strlist *record)
{
	cordon_strset recorded = {0}, held = {0}, still_held = {0};
	cordon_strlist orphans = {0};
	bool ok = set_of(&recorded, record);
	for (size_t m = 0; m < plan->mount_count && ok; m++)
		if (holds_placeholder(&plan->mounts[m], &recorded))
			ok = cordon_strset_add(&held, plan->mounts[m].target);
	for (size_t i = 0; i < record->count && ok; i++)
		if (!cordon_strset_contains(&held, record->items[i]))
			ok = cordon_strlist_push(&orphans, record->items[i]);
	if (ok) {
		/* Left in orphans: the placeholders a live run still holds. */
		recover_crashed(&orphans);
		ok = set_of(&still_held, &orphans);
	}
	for (size_t i = 0; i < record->count && ok;) {
		const char *path = record->items[i];
		if (!cordon_strset_contains(&still_held, path) && !cordon_strset_contains(&held, path)) {
			record_remove(record, path);
			continue;
		}
		i++;
	}
	cordon_strset_clear(&recorded);
	cordon_strset_clear(&held);
	cordon_strset_clear(&still_held);
	cordon_strlist_clear(&orphans);
}

cordon_code linux_plan_prepare_host(linux_plan *plan, cordon_error *err)
{
	linux_plan_storage *s = linux_plan_storage_of(plan);
	const char *state_dir = plan->policy ? plan->policy->state_dir : NULL;
	if (!plan->sandboxed || !plan->use_userns || s->placeholders != NULL)
		return CORDON_OK;
	size_t candidates = 0;
	for (size_t i = 0; i < plan->mount_count; i++)
		if (plan->mounts[i].kind == LINUX_MOUNT_PLACEHOLDER ||
		    plan->mounts[i].kind == LINUX_MOUNT_BIND_RO)
			candidates++;
	bool wanted = false;
	for (size_t i = 0; i < plan->mount_count; i++)
		wanted = wanted || plan->mounts[i].kind == LINUX_MOUNT_PLACEHOLDER;
	struct stat st;
	if (state_dir == NULL || (!wanted && stat(state_dir, &st) != 0)) {
		if (!wanted)
			return CORDON_OK;
		return cordon_fail(
			err, CORDON_E_STATE,
			"cannot prepare placeholders for missing protected names: the policy has no "
			"state directory");
	}
	if (mkdir_parents(state_dir, 0700) != 0)
		return cordon_fail_errno(err, errno, "cannot create cordon's state directory %s", state_dir);
	s->placeholders = calloc(candidates ? candidates : 1, sizeof(*s->placeholders));
	if (s->placeholders == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot prepare the sandbox: out of memory");

	int lock cleanup_fd = placeholders_lock(state_dir);
	if (lock < 0)
		return cordon_fail_errno(err, errno, "cannot lock cordon's placeholder list in %s",
					 state_dir);
	cordon_strlist record = {0};
	if (!read_record(state_dir, &record)) {
		cordon_strlist_clear(&record);
		return cordon_fail_errno(err, errno, "cannot read %s/placeholders", state_dir);
	}
	recover_unheld(plan, &record);
	cordon_code code = CORDON_OK;
	size_t kept = 0;
	placeholder_pool pool;
	pool_open(&pool, state_dir);
	/* Borrowed from record; hold_placeholder only appends to it. */
	cordon_strset recorded = {0};
	if (!set_of(&recorded, &record))
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot prepare the sandbox: out of memory");
	for (size_t i = 0; i < plan->mount_count; i++) {
		bool unneeded = false;
		if (code == CORDON_OK && holds_placeholder(&plan->mounts[i], &recorded))
			code = hold_placeholder(s, state_dir, &pool, &plan->mounts[i], &record, &recorded,
						&unneeded, err);
		if (unneeded) {
			free(plan->mounts[i].source);
			free(plan->mounts[i].target);
			continue;
		}
		plan->mounts[kept++] = plan->mounts[i];
	}
	plan->mount_count = kept;
	pool_close(&pool);
	cordon_strset_clear(&recorded);
	if (!write_record(state_dir, &record) && code == CORDON_OK)
		code = cordon_fail_errno(err, errno, "cannot write %s/placeholders", state_dir);
	cordon_strlist_clear(&record);
	if (code != CORDON_OK) {
		close_fd(&lock);
		linux_plan_cleanup_host(plan);
	}
	return code;
}

void linux_plan_cleanup_host(const linux_plan *plan)
{
	linux_plan_storage *s = linux_plan_storage_of(plan);
	const char *state_dir = plan->policy ? plan->policy->state_dir : NULL;
	if (s->placeholders == NULL || state_dir == NULL) {
		linux_plan_release_placeholders((linux_plan *)plan);
		return;
	}
	int lock cleanup_fd = placeholders_lock(state_dir);
	cordon_strlist record = {0};
	cordon_strset gone_set = {0}; /* placeholders removed now (borrowed paths) */
	bool have_record = lock >= 0 && read_record(state_dir, &record);
	placeholder_pool pool;
	pool_open(&pool, state_dir);
	for (size_t i = 0; i < s->placeholder_count; i++) {
		linux_placeholder *p = &s->placeholders[i];
		if (p->is_state || p->lock_fd < 0)
			continue;
		if (!p->created || lock < 0) {
			close_fd(&p->lock_fd);
			continue;
		}
		/* Shared to exclusive: succeeds only when no other live run
		 * holds it (conversion is not atomic, but placeholders.lock
		 * keeps every other run from locking it meanwhile). */
		if (flock(p->lock_fd, LOCK_EX | LOCK_NB) != 0) {
			close_fd(&p->lock_fd);
			continue; /* another live run still relies on it */
		}
		/* Not ours any more (moved away or replaced by the user):
		 * nothing to retire, and nothing to keep on record. */
		struct stat st;
		bool ours = lstat(p->path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == p->dev &&
			    st.st_ino == p->ino;
		bool gone = !ours || retire_placeholder(&pool, p);
		close_fd(&p->lock_fd);
		if (gone && !cordon_strset_add(&gone_set, p->path))
			have_record = false; /* out of memory: keep the record as it was */
	}
	if (have_record) {
		size_t kept = 0;
		for (size_t i = 0; i < record.count; i++) {
			if (cordon_strset_contains(&gone_set, record.items[i]))
				free(record.items[i]);
			else
				record.items[kept++] = record.items[i];
		}
		record.count = kept;
		(void)write_record(state_dir, &record);
	}
	cordon_strset_clear(&gone_set);
	pool_close(&pool);
	cordon_strlist_clear(&record);
	linux_plan_release_placeholders((linux_plan *)plan);
}

void linux_plan_release_placeholders(linux_plan *plan)
{
	linux_plan_storage *s = linux_plan_storage_of(plan);
	for (size_t i = 0; i < s->placeholder_count; i++) {
		close_fd(&s->placeholders[i].lock_fd);
		free(s->placeholders[i].path);
	}
	free(s->placeholders);
	s->placeholders = NULL;
	s->placeholder_count = 0;
}
