/* linux_confine: each test prepares the confinement in this process (as
 * cordon's parent does), forks, confines the child (as the command process
 * does just before execve) and checks what the child can and cannot do.
 * Where a denial could also come from the kernel's own checks, the child
 * first records the unconfined outcome, so a pass means the sandbox did it.
 *
 * The children report through their exit status: 0 when every check held,
 * otherwise an errno (or a TEST_* code below) describing what happened,
 * with a line on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/landlock.h>

#include <cmocka.h>

#include "core/policy_internal.h"
#include "linux/confine_internal.h"
#include "linux/sandbox.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Child exit codes that are not errno values. */
#define TEST_UNEXPECTED_SUCCESS 200 /* a call that had to fail succeeded */
#define TEST_BASELINE_FAILED	201 /* the unconfined control call failed */
#define TEST_WRONG_VALUE	202 /* a value read back is not what it must be */
#define TEST_CONFINE_FAILED	250 /* linux_confine_self failed */
#define TEST_SKIP		251 /* the child found the case cannot run here */

typedef struct fixture {
	char base[64];
	char root[96];	  /* the writable root */
	char outside[96]; /* a directory that is not a root */
	char alias[96];	  /* empty, for a bind mount of the root */
	cordon_root root_entry;
	cordon_resolved policy;
	linux_plan plan;
} fixture;

static int landlock_abi(void)
{
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : abi;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->base, "/tmp/cordon-confine-XXXXXX");
	assert_non_null(mkdtemp(f->base));
	snprintf(f->root, sizeof(f->root), "%s/root", f->base);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
	snprintf(f->alias, sizeof(f->alias), "%s/alias", f->base);
	assert_int_equal(mkdir(f->root, 0755), 0);
	assert_int_equal(mkdir(f->outside, 0755), 0);
	assert_int_equal(mkdir(f->alias, 0755), 0);

	f->root_entry.path = f->root;
	f->root_entry.kind = CORDON_ROOT_WORKSPACE;
	f->policy.mode = CORDON_MODE_WORKSPACE_WRITE;
	f->policy.cwd = f->root;
	f->policy.roots = &f->root_entry;
	f->policy.root_count = 1;
	f->policy.network = CORDON_NETWORK_OFF;
	f->policy.state_dir = f->outside;

	f->plan.policy = &f->policy;
	f->plan.sandboxed = true;
	f->plan.use_userns = false;
	f->plan.use_netns = false;
	f->plan.landlock_abi = landlock_abi();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	nftw(f->base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void set_read_only(fixture *f)
{
	f->policy.mode = CORDON_MODE_READ_ONLY;
	f->policy.roots = NULL;
	f->policy.root_count = 0;
}

static void require_landlock(const fixture *f)
{
	if (f->plan.landlock_abi <= 0) {
		print_message("skipped: Landlock is not available in this kernel\n");
		skip();
	}
}

static int report(int code, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int report(int code, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fprintf(stderr, "child: ");
	vfprintf(stderr, format, args);
	fprintf(stderr, "\n");
	va_end(args);
	return code;
}

/* Expects call_result to be -1 with errno == expected. */
static int expect_errno(long call_result, int expected, const char *what)
{
	int saved = errno;
	if (call_result != -1)
		return report(TEST_UNEXPECTED_SUCCESS, "%s succeeded, expected errno %d", what, expected);
	if (saved != expected)
		return report(saved, "%s failed with errno %d (%s), expected %d", what, saved,
			      strerror(saved), expected);
	return 0;
}

typedef int (*child_fn)(fixture *f, void *arg);

/* before runs unconfined in the child, after runs confined; returns the
 * child's wait status. */
static int run_confined_ex(fixture *f, child_fn before, child_fn after, void *arg)
{
	cordon_error err = {0};
	linux_confine *confine = NULL;
	cordon_code code = linux_confine_prepare(&f->plan, &confine, &err);
	if (code != CORDON_OK)
		fail_msg("linux_confine_prepare: %s", err.message);

	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc = before != NULL ? before(f, arg) : 0;
		if (rc != 0)
			_exit(rc);
		if (linux_confine_self(confine, &err) != CORDON_OK) {
			report(0, "linux_confine_self: %s", err.message);
			_exit(TEST_CONFINE_FAILED);
		}
		fflush(NULL);
		_exit(after(f, arg));
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	linux_confine_free(confine);
	return status;
}

/* Asserts the child exited 0; turns TEST_SKIP into a cmocka skip. */
static void assert_child_ok(int status)
{
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == TEST_SKIP)
		skip();
	if (WEXITSTATUS(status) != 0)
		fail_msg("child exited %d (see its stderr line)", WEXITSTATUS(status));
}

static void run_confined(fixture *f, child_fn after, void *arg)
{
	assert_child_ok(run_confined_ex(f, NULL, after, arg));
}

static bool path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* ------------------------------------------------------------- Landlock */

static int create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int ok = write(fd, "x", 1) == 1;
	close(fd);
	if (!ok)
		return -1;
	return 0;
}

static int child_write_in_root(fixture *f, void *arg)
{
	(void)arg;
	char path[160];
	join(path, sizeof(path), f->root, "created");
	if (create_file(path) != 0)
		return report(errno, "creating %s: %s", path, strerror(errno));
	join(path, sizeof(path), f->root, "sub");
	if (mkdir(path, 0755) != 0)
		return report(errno, "mkdir %s: %s", path, strerror(errno));
	/* The terminal-ish sinks stay writable in every mode. */
	int fd = open("/dev/null", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return report(errno, "open /dev/null for writing: %s", strerror(errno));
	close(fd);
	return 0;
}

static void write_in_root_allowed(void **state)
{
	fixture *f = *state;
	require_landlock(f);
	run_confined(f, child_write_in_root, NULL);
	char path[160];
	join(path, sizeof(path), f->root, "created");
	assert_true(path_exists(path));
	join(path, sizeof(path), f->root, "sub");
	assert_true(path_exists(path));
}

static int child_write_outside(fixture *f, void *arg)
{
	(void)arg;
	char path[160];
	join(path, sizeof(path), f->outside, "escaped");
	int rc = expect_errno(create_file(path), EACCES, "creating a file outside the root");
	if (rc != 0)
		return rc;
	join(path, sizeof(path), f->outside, "escaped-dir");
	rc = expect_errno(mkdir(path, 0755), EACCES, "mkdir outside the root");
	if (rc != 0)
		return rc;
	/* Device nodes can never be made, even inside a root. */
	join(path, sizeof(path), f->root, "null");
	return expect_errno(mknod(path, S_IFCHR | 0666, makedev(1, 3)), EACCES, "mknod in the root");
}

static void write_outside_root_denied(void **state)
{
	fixture *f = *state;
	require_landlock(f);
	run_confined(f, child_write_outside, NULL);
	char path[160];
	join(path, sizeof(path), f->outside, "escaped");
	assert_false(path_exists(path));
	join(path, sizeof(path), f->outside, "escaped-dir");
	assert_false(path_exists(path));
	join(path, sizeof(path), f->root, "null");
	assert_false(path_exists(path));
}

static int child_read_only(fixture *f, void *arg)
{
	(void)arg;
	char path[160];
	join(path, sizeof(path), f->root, "existing");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return report(errno, "reading %s in read-only mode: %s", path, strerror(errno));
	close(fd);
	int rc = expect_errno(open(path, O_WRONLY | O_APPEND | O_CLOEXEC), EACCES,
			      "appending in read-only mode");
	if (rc != 0)
		return rc;
	rc = expect_errno(truncate(path, 0), EACCES, "truncating in read-only mode");
	if (rc != 0)
		return rc;
	join(path, sizeof(path), f->root, "new");
	return expect_errno(create_file(path), EACCES, "creating a file in read-only mode");
}

static void read_only_mode_cannot_write_root(void **state)
{
	fixture *f = *state;
	require_landlock(f);
	char path[160];
	join(path, sizeof(path), f->root, "existing");
	assert_int_equal(create_file(path), 0);
	set_read_only(f);
	run_confined(f, child_read_only, NULL);
	join(path, sizeof(path), f->root, "new");
	assert_false(path_exists(path));
	join(path, sizeof(path), f->root, "existing");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 1);
}

static int child_rename(fixture *f, void *arg)
{
	(void)arg;
	char from[160], to[160];
	join(from, sizeof(from), f->root, "moveme");
	join(to, sizeof(to), f->outside, "moved");
	if (rename(from, to) == 0)
		return report(TEST_UNEXPECTED_SUCCESS, "rename out of the root succeeded");
	if (errno != EACCES && errno != EXDEV)
		return report(errno, "rename out of the root: %s, expected EACCES or EXDEV", strerror(errno));
	/* Control: moving between directories inside the root works (REFER
	 * is granted there). */
	join(to, sizeof(to), f->root, "sub/moved");
	if (rename(from, to) != 0)
		return report(errno, "rename inside the root: %s", strerror(errno));
	return 0;
}

static void rename_out_of_root_denied(void **state)
{
	fixture *f = *state;
	require_landlock(f);
	char path[160];
	join(path, sizeof(path), f->root, "moveme");
	assert_int_equal(create_file(path), 0);
	join(path, sizeof(path), f->root, "sub");
	assert_int_equal(mkdir(path, 0755), 0);
	run_confined(f, child_rename, NULL);
	join(path, sizeof(path), f->outside, "moved");
	assert_false(path_exists(path));
	join(path, sizeof(path), f->root, "sub/moved");
	assert_true(path_exists(path));
}

/* The supervisor builds the sandbox's tree after the ruleset was made:
 * rules must follow the inodes, not the spellings. */
static int child_enter_mount_namespace(fixture *f, void *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return report(TEST_SKIP, "skipped: unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return report(errno, "making / private: %s", strerror(errno));
	if (mount(f->root, f->alias, NULL, MS_BIND, NULL) != 0)
		return report(errno, "bind-mounting the root: %s", strerror(errno));
	if (mount("tmpfs", f->outside, "tmpfs", 0, "size=1m") != 0)
		return report(errno, "mounting a tmpfs: %s", strerror(errno));
	return 0;
}

static int child_write_through_alias(fixture *f, void *arg)
{
	(void)arg;
	char path[160];
	join(path, sizeof(path), f->alias, "via-alias");
	if (create_file(path) != 0)
		return report(errno, "writing through the bind mount of the root: %s", strerror(errno));
	join(path, sizeof(path), f->outside, "on-tmpfs");
	return expect_errno(create_file(path), EACCES, "writing on a tmpfs mounted after prepare");
}

static void rules_follow_inodes_into_mount_namespace(void **state)
{
	fixture *f = *state;
	require_landlock(f);
	assert_child_ok(run_confined_ex(f, child_enter_mount_namespace, child_write_through_alias, NULL));
	char path[160];
	join(path, sizeof(path), f->root, "via-alias");
	assert_true(path_exists(path));
	join(path, sizeof(path), f->outside, "on-tmpfs");
	assert_false(path_exists(path));
}

static void landlock_missing_fails_closed(void **state)
{
	fixture *f = *state;
	f->plan.landlock_abi = 0;
	cordon_error err = {0};
	linux_confine *confine = NULL;
	assert_int_equal(linux_confine_prepare(&f->plan, &confine, &err), CORDON_E_UNSUPPORTED);
	assert_null(confine);
	assert_non_null(strstr(err.message, "Landlock"));

	f->policy.best_effort = true;
	assert_int_equal(linux_confine_prepare(&f->plan, &confine, &err), CORDON_OK);
	assert_non_null(confine);
	linux_confine_free(confine);
}

static void landlock_rights_per_abi(void **state)
{
	fixture *f = *state;
	const uint64_t make_dev = LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK;
	const uint64_t truncate_right = 1ull << 14, ioctl_dev = 1ull << 15;
	uint64_t previous = 0;
	for (int abi = 1; abi <= 7; abi++) {
		linux_landlock_rights r = linux_landlock_rights_for(&f->plan, abi);
		/* Every step keeps what the previous one handled. */
		assert_int_equal(r.handled_fs & previous, previous);
		previous = r.handled_fs;
		assert_int_equal(r.handled_fs & make_dev, make_dev);
		assert_int_equal((r.write_fs | r.read_fs | r.dev_file_fs) & make_dev, 0);
		assert_int_equal(r.write_fs & r.read_fs, r.read_fs);
		assert_int_equal(r.read_fs & LANDLOCK_ACCESS_FS_WRITE_FILE, 0);
		assert_int_equal((r.handled_fs & truncate_right) != 0, abi >= 3);
		assert_int_equal((r.handled_fs & ioctl_dev) != 0, abi >= 5);
		assert_int_equal(r.handled_net != 0, abi >= 4); /* network off, no netns */
		assert_int_equal(r.scoped != 0, abi >= 6);
	}
	/* Unknown future ABIs get what cordon knows, nothing invented. */
	linux_landlock_rights seven = linux_landlock_rights_for(&f->plan, 7);
	linux_landlock_rights nine = linux_landlock_rights_for(&f->plan, 9);
	assert_int_equal(seven.handled_fs, nine.handled_fs);
	/* Network off: both scopes, signals and abstract unix sockets. */
	assert_int_equal(linux_landlock_rights_for(&f->plan, 6).scoped, 3);
	/* With a network namespace, TCP is left to the namespace. */
	f->plan.use_netns = true;
	assert_int_equal(linux_landlock_rights_for(&f->plan, 7).handled_net, 0);
	/* Network on: abstract unix sockets are not scoped, signals still are. */
	f->policy.network = CORDON_NETWORK_ON;
	assert_int_equal(linux_landlock_rights_for(&f->plan, 7).scoped, 2);
}

static int child_signal_parent(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	return expect_errno(kill(getppid(), 0), EPERM, "kill(parent, 0)");
}

static int child_baseline_signal(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	if (kill(getppid(), 0) != 0)
		return report(TEST_BASELINE_FAILED, "kill(parent, 0) unconfined: %s", strerror(errno));
	return 0;
}

static void signal_scoped_out_of_sandbox(void **state)
{
	fixture *f = *state;
	if (f->plan.landlock_abi < 6) {
		print_message("skipped: Landlock ABI %d has no signal scoping (needs 6)\n",
			      f->plan.landlock_abi);
		skip();
	}
	assert_child_ok(run_confined_ex(f, child_baseline_signal, child_signal_parent, NULL));
}

/* A listening abstract unix socket outside the sandbox (the parent's). */
static int listen_abstract(const char *name, struct sockaddr_un *addr, socklen_t *len)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	size_t n = strlen(name);
	memcpy(addr->sun_path + 1, name, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, *len) != 0 || listen(fd, 4) != 0)
		return -1;
	return fd;
}

typedef struct abstract_case {
	struct sockaddr_un addr;
	socklen_t len;
} abstract_case;

static int connect_abstract(const abstract_case *c)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rc = connect(fd, (const struct sockaddr *)&c->addr, c->len);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int child_baseline_abstract(fixture *f, void *arg)
{
	(void)f;
	if (connect_abstract(arg) != 0)
		return report(TEST_BASELINE_FAILED, "unconfined connect to the abstract socket: %s",
			      strerror(errno));
	return 0;
}

static int child_abstract(fixture *f, void *arg)
{
	(void)f;
	return expect_errno(connect_abstract(arg), EPERM, "connect to a host abstract unix socket");
}

static void abstract_unix_scoped_when_network_off(void **state)
{
	fixture *f = *state;
	if (f->plan.landlock_abi < 6) {
		print_message("skipped: Landlock ABI %d has no abstract socket scoping (needs 6)\n",
			      f->plan.landlock_abi);
		skip();
	}
	abstract_case c;
	char name[64];
	snprintf(name, sizeof(name), "cordon-test-confine-%d", (int)getpid());
	int fd = listen_abstract(name, &c.addr, &c.len);
	assert_true(fd >= 0);
	int status = run_confined_ex(f, child_baseline_abstract, child_abstract, &c);
	close(fd);
	assert_child_ok(status);
}

/* The mounts give the sandbox a fresh devpts whose inodes did not exist
 * when the ruleset was prepared: the command must still get terminals. */
static int child_fresh_devpts(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return report(TEST_SKIP, "skipped: unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return report(errno, "making / private: %s", strerror(errno));
	if (mount("devpts", "/dev/pts", "devpts", 0, "newinstance,ptmxmode=0666,mode=0620") != 0)
		return report(TEST_SKIP, "skipped: cannot mount a new devpts instance: %s", strerror(errno));
	return 0;
}

static int child_open_fresh_pty(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return report(errno, "opening the fresh /dev/pts/ptmx: %s", strerror(errno));
	int number = -1;
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) != 0 || ioctl(master, TIOCGPTN, &number) != 0)
		return report(errno, "unlocking the fresh pty: %s", strerror(errno));
	char path[64];
	snprintf(path, sizeof(path), "/dev/pts/%d", number);
	int slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return report(errno, "opening %s for writing: %s", path, strerror(errno));
	int rc = write(slave, "ok\n", 3) == 3 ? 0 : report(errno, "writing the pty: %s", strerror(errno));
	close(slave);
	close(master);
	return rc;
}

static void fresh_devpts_usable(void **state)
{
	fixture *f = *state;
	require_landlock(f);
	assert_child_ok(run_confined_ex(f, child_fresh_devpts, child_open_fresh_pty, NULL));
}

/* --------------------------------------------------------- capabilities */

typedef struct cap_sets {
	unsigned long long inh, prm, eff, bnd, amb;
	int no_new_privs, seccomp;
} cap_sets;

static int parse_status(const char *text, cap_sets *out)
{
	struct {
		const char *key;
		unsigned long long *value;
	} caps[] = {{"CapInh:", &out->inh},
		    {"CapPrm:", &out->prm},
		    {"CapEff:", &out->eff},
		    {"CapBnd:", &out->bnd},
		    {"CapAmb:", &out->amb}};
	int found = 0;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		const char *at = strstr(text, caps[i].key);
		if (at != NULL && sscanf(at + strlen(caps[i].key), "%llx", caps[i].value) == 1)
			found++;
	}
	const char *at = strstr(text, "NoNewPrivs:");
	if (at == NULL || sscanf(at + 11, "%d", &out->no_new_privs) != 1)
		return -1;
	at = strstr(text, "Seccomp:");
	if (at == NULL || sscanf(at + 8, "%d", &out->seccomp) != 1)
		return -1;
	return found == 5 ? 0 : -1;
}

static int read_own_status(cap_sets *out)
{
	static char text[8192];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	return parse_status(text, out);
}

static int child_caps(fixture *f, void *arg)
{
	(void)f;
	bool expect_empty_bounding = *(bool *)arg;
	cap_sets s;
	if (read_own_status(&s) != 0)
		return report(TEST_WRONG_VALUE, "cannot read /proc/self/status");
	if (s.inh || s.prm || s.eff || s.amb)
		return report(TEST_WRONG_VALUE, "capabilities left: inh %llx prm %llx eff %llx amb %llx",
			      s.inh, s.prm, s.eff, s.amb);
	if (expect_empty_bounding && s.bnd != 0)
		return report(TEST_WRONG_VALUE, "bounding set left: %llx", s.bnd);
	if (s.no_new_privs != 1 || s.seccomp != 2)
		return report(TEST_WRONG_VALUE, "NoNewPrivs %d Seccomp %d", s.no_new_privs, s.seccomp);
	return 0;
}

static void caps_zero_after_confine(void **state)
{
	fixture *f = *state;
	/* Only a process holding CAP_SETPCAP can empty its bounding set; an
	 * ordinary user outside a user namespace keeps a full (and useless,
	 * under no_new_privs) one. Root must end with an empty one. */
	bool expect_empty_bounding = geteuid() == 0;
	if (!expect_empty_bounding)
		print_message("note: not root, so CapBnd is checked in caps_zero_in_user_namespace only\n");
	run_confined(f, child_caps, &expect_empty_bounding);
}

static int child_enter_user_namespace(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	if (unshare(CLONE_NEWUSER) != 0)
		return report(TEST_SKIP, "skipped: unshare(CLONE_NEWUSER): %s", strerror(errno));
	return 0;
}

static void caps_zero_in_user_namespace(void **state)
{
	fixture *f = *state;
	bool expect_empty_bounding = true;
	f->plan.use_userns = true;
	assert_child_ok(run_confined_ex(f, child_enter_user_namespace, child_caps, &expect_empty_bounding));
}

/* Runs /bin/cat /proc/self/status confined (or not) and parses its output. */
static void exec_cat_status(fixture *f, bool confined, cap_sets *out)
{
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	cordon_error err = {0};
	linux_confine *confine = NULL;
	if (linux_confine_prepare(&f->plan, &confine, &err) != CORDON_OK)
		fail_msg("linux_confine_prepare: %s", err.message);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		if (confined && linux_confine_self(confine, &err) != CORDON_OK)
			_exit(TEST_CONFINE_FAILED);
		execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	static char text[8192];
	size_t used = 0;
	ssize_t n;
	while ((n = read(pipefd[0], text + used, sizeof(text) - 1 - used)) > 0)
		used += (size_t)n;
	text[used] = '\0';
	close(pipefd[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	linux_confine_free(confine);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(parse_status(text, out), 0);
}

static void exec_cannot_regain_caps(void **state)
{
	fixture *f = *state;
	cap_sets s;
	if (geteuid() == 0) {
		/* Control: uid 0 normally gains every capability at execve. */
		exec_cat_status(f, false, &s);
		assert_true(s.eff != 0);
	}
	exec_cat_status(f, true, &s);
	assert_int_equal(s.eff, 0);
	assert_int_equal(s.prm, 0);
	assert_int_equal(s.inh, 0);
	assert_int_equal(s.amb, 0);
	if (geteuid() == 0)
		assert_int_equal(s.bnd, 0);
	assert_int_equal(s.no_new_privs, 1);
	assert_int_equal(s.seccomp, 2);
}

/* --------------------------------------------------------------- seccomp */

static int child_ptrace_parent(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	return expect_errno(ptrace(PTRACE_ATTACH, getppid(), NULL, NULL), EPERM,
			    "ptrace(PTRACE_ATTACH, parent)");
}

static void ptrace_parent_denied(void **state)
{
	run_confined(*state, child_ptrace_parent, NULL);
}

static int child_baseline_userns(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return report(TEST_SKIP, "skipped: user namespaces do not work here even unconfined");
	return 0;
}

static int child_unshare(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	int rc = expect_errno(unshare(CLONE_NEWUSER), EPERM, "unshare(CLONE_NEWUSER)");
	if (rc == 0)
		rc = expect_errno(unshare(CLONE_NEWNS), EPERM, "unshare(CLONE_NEWNS)");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0), EPERM,
				  "clone(CLONE_NEWUSER)");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_clone3, NULL, 0), ENOSYS, "clone3");
	if (rc != 0)
		return rc;
	/* Control: an ordinary fork still works. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return report(errno, "fork: %s", strerror(errno));
	waitpid(pid, NULL, 0);
	return 0;
}

static void unshare_user_denied(void **state)
{
	assert_child_ok(run_confined_ex(*state, child_baseline_userns, child_unshare, NULL));
}

/* A NULL target makes an unconfined mount fail with EFAULT before any
 * permission check; the filter answers EPERM without looking. */
static int child_baseline_mount(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	long rc = syscall(SYS_mount, NULL, NULL, NULL, 0, NULL);
	if (rc != -1 || errno != EFAULT)
		return report(TEST_BASELINE_FAILED, "unconfined mount(NULL) gave %ld errno %d", rc, errno);
	return 0;
}

static int child_mount(fixture *f, void *arg)
{
	(void)arg;
	int rc = expect_errno(syscall(SYS_mount, NULL, NULL, NULL, 0, NULL), EPERM, "mount(NULL)");
	if (rc == 0)
		rc = expect_errno(mount(f->root, f->alias, NULL, MS_BIND, NULL), EPERM, "bind mount");
	if (rc == 0)
		rc = expect_errno(umount2("/proc", MNT_DETACH), EPERM, "umount2(/proc)");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_fsopen, "tmpfs", 0), EPERM, "fsopen");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_open_tree, AT_FDCWD, "/", 0), EPERM, "open_tree");
	return rc;
}

static void mount_denied(void **state)
{
	assert_child_ok(run_confined_ex(*state, child_baseline_mount, child_mount, NULL));
}

static int open_pty_slave(int *master)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0)
		return -1;
	const char *name = ptsname(*master);
	if (name == NULL)
		return -1;
	return open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

/* An invalid descriptor: EBADF unconfined, EPERM from the filter. */
static int child_baseline_tiocsti(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	char c = 'x';
	if (ioctl(-1, TIOCSTI, &c) != -1 || errno != EBADF)
		return report(TEST_BASELINE_FAILED, "unconfined ioctl(-1, TIOCSTI): errno %d", errno);
	return 0;
}

static int child_tiocsti(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	int master = -1;
	int slave = open_pty_slave(&master);
	if (slave < 0)
		return report(TEST_SKIP, "skipped: cannot open a pty: %s", strerror(errno));
	char c = 'x';
	int rc = expect_errno(ioctl(slave, TIOCSTI, &c), EPERM, "ioctl(pty, TIOCSTI)");
	if (rc == 0)
		rc = expect_errno(ioctl(-1, TIOCSTI, &c), EPERM, "ioctl(-1, TIOCSTI)");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_ioctl, slave, (unsigned long)TIOCSTI | (1ul << 32), &c), EPERM,
				  "ioctl(pty, TIOCSTI with high bits)");
	char sel[2] = {2, 0}; /* TIOCL_SETSEL-ish: anything, it must not reach the kernel */
	if (rc == 0)
		rc = expect_errno(ioctl(-1, TIOCLINUX, sel), EPERM, "ioctl(-1, TIOCLINUX)");
	/* Control: ordinary terminal ioctls still work. */
	struct winsize ws;
	if (rc == 0 && ioctl(slave, TIOCGWINSZ, &ws) != 0)
		rc = report(errno, "TIOCGWINSZ on the pty: %s", strerror(errno));
	close(slave);
	close(master);
	return rc;
}

static void tiocsti_denied(void **state)
{
	assert_child_ok(run_confined_ex(*state, child_baseline_tiocsti, child_tiocsti, NULL));
}

static int child_vsock(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	int rc = expect_errno(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM, "socket(AF_VSOCK)");
	if (rc == 0)
		rc = expect_errno(socket(AF_PACKET, SOCK_RAW, 0), EPERM, "socket(AF_PACKET)");
	if (rc == 0)
		rc = expect_errno(socket(AF_ALG, SOCK_SEQPACKET, 0), EPERM, "socket(AF_ALG)");
	int pair[2];
	if (rc == 0)
		rc = expect_errno(socketpair(AF_VSOCK, SOCK_STREAM, 0, pair), EPERM, "socketpair(AF_VSOCK)");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_socket, (long)AF_VSOCK | (1l << 32), SOCK_STREAM, 0), EPERM,
				  "socket(AF_VSOCK with high bits)");
	return rc;
}

static void vsock_and_raw_sockets_denied(void **state)
{
	fixture *f = *state;
	f->policy.network = CORDON_NETWORK_ON; /* denied whatever the network mode */
	run_confined(f, child_vsock, NULL);
}

typedef struct socket_case {
	bool inet_allowed;
} socket_case;

static int child_sockets(fixture *f, void *arg)
{
	(void)f;
	const socket_case *c = arg;
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
		return report(errno, "socketpair(AF_UNIX): %s", strerror(errno));
	close(pair[0]);
	close(pair[1]);
	int families[] = {AF_INET, AF_INET6, AF_NETLINK};
	int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
	for (size_t i = 0; i < 3; i++) {
		int fd = socket(families[i], types[i] | SOCK_CLOEXEC, 0);
		if (c->inet_allowed && fd < 0)
			return report(errno, "socket(family %d): %s, expected allowed", families[i],
				      strerror(errno));
		if (!c->inet_allowed) {
			int rc = expect_errno(fd, EPERM, "socket(AF_INET/AF_INET6/AF_NETLINK)");
			if (rc != 0)
				return rc;
		}
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static void inet_denied_network_off_without_netns(void **state)
{
	fixture *f = *state;
	socket_case c = {.inet_allowed = false};
	run_confined(f, child_sockets, &c);
}

static void inet_allowed_with_netns(void **state)
{
	fixture *f = *state;
	f->plan.use_netns = true;
	socket_case c = {.inet_allowed = true};
	run_confined(f, child_sockets, &c);
}

static void inet_allowed_network_on(void **state)
{
	fixture *f = *state;
	f->policy.network = CORDON_NETWORK_ON;
	socket_case c = {.inet_allowed = true};
	run_confined(f, child_sockets, &c);
}

static int child_kernel_surfaces(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	char params[120] = {0}; /* struct io_uring_params */
	int rc = expect_errno(syscall(SYS_io_uring_setup, 1, params), EPERM, "io_uring_setup");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, NULL, 0), EPERM, "bpf");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0),
				  EPERM, "keyctl");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_add_key, "user", "cordon", "x", 1, -3), EPERM, "add_key");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM, "perf_event_open");
	if (rc == 0)
		rc = expect_errno(syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */), EPERM,
				  "personality(ADDR_NO_RANDOMIZE)");
	if (rc == 0 && syscall(SYS_personality, 0xffffffffUL) == -1)
		rc = report(errno, "personality query: %s", strerror(errno));
	if (rc == 0 && syscall(SYS_personality, 0) == -1)
		rc = report(errno, "personality(PER_LINUX): %s", strerror(errno));
	return rc;
}

/* Controls: unconfined, the same calls are not refused with EPERM by
 * the kernel (io_uring_setup(1, zeroed) succeeds; keyctl finds the
 * session keyring), so EPERM afterwards is the filter's. */
static int child_baseline_kernel_surfaces(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	char params[120] = {0};
	long fd = syscall(SYS_io_uring_setup, 1, params);
	if (fd < 0 && errno == EPERM)
		return report(TEST_BASELINE_FAILED, "unconfined io_uring_setup already EPERM");
	if (fd >= 0)
		close((int)fd);
	if (syscall(SYS_keyctl, 0, -3, 0) == -1 && errno == EPERM)
		return report(TEST_BASELINE_FAILED, "unconfined keyctl already EPERM");
	return 0;
}

static void io_uring_bpf_keyctl_denied(void **state)
{
	assert_child_ok(run_confined_ex(*state, child_baseline_kernel_surfaces, child_kernel_surfaces, NULL));
}

#if defined(__x86_64__)
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

#define I386_GETPID 20
#define I386_MOUNT  21

/* Whether int $0x80 reaches the i386 system call table here. Kernels
 * built or booted without IA32 emulation (ia32_emulation=0) raise a fault
 * instead, which kills the caller: the probe runs in a throw-away child so
 * a trap is a skip, not a crash of the test. */
static int probe_int80(void)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return report(TEST_BASELINE_FAILED, "cannot fork the int $0x80 probe: %s", strerror(errno));
	if (pid == 0) {
		/* cmocka's fault handlers would carry on with the suite in
		 * this copy of the process; a trap must end it. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGILL, SIG_DFL);
		_exit(int80(I386_GETPID, 0, 0, 0) == getpid() ? 0 : 1);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return report(TEST_BASELINE_FAILED, "cannot wait for the int $0x80 probe: %s",
			      strerror(errno));
	if (WIFSIGNALED(status))
		return report(TEST_SKIP,
			      "skipped: int $0x80 traps on this kernel (probe killed by signal %d): the "
			      "i386 ABI is off, so there is no i386 entry to filter",
			      WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return report(TEST_SKIP, "skipped: the i386 ABI is off in this kernel (int $0x80 getpid "
					 "did not return the pid)");
	return 0;
}

static int child_baseline_int80(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	int probe = probe_int80();
	if (probe != 0)
		return probe;
	long rc = int80(I386_MOUNT, 0, 0, 0);
	if (rc != -EFAULT)
		return report(TEST_BASELINE_FAILED, "unconfined i386 mount(NULL) gave %ld", rc);
	return 0;
}

static int child_int80(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	long rc = int80(I386_MOUNT, 0, 0, 0);
	if (rc != -EPERM)
		return report(TEST_WRONG_VALUE, "i386 mount via int $0x80 gave %ld, expected -EPERM", rc);
	return 0;
}
#endif

static void i386_syscall_denied(void **state)
{
#if defined(__x86_64__)
	assert_child_ok(run_confined_ex(*state, child_baseline_int80, child_int80, NULL));
#else
	(void)state;
	print_message("skipped: not an x86_64 build\n");
	skip();
#endif
}

#if defined(__x86_64__)
static int child_x32(fixture *f, void *arg)
{
	(void)f;
	(void)arg;
	syscall(0x40000000L | SYS_getpid);
	return report(TEST_UNEXPECTED_SUCCESS, "an x32 system call came back (errno %d)", errno);
}
#endif

static void x32_syscall_killed(void **state)
{
#if defined(__x86_64__)
	int status = run_confined_ex(*state, NULL, child_x32, NULL);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
#else
	(void)state;
	print_message("skipped: not an x86_64 build\n");
	skip();
#endif
}

/* ------------------------------------------------------------ full access */

static int child_unconfined(fixture *f, void *arg)
{
	(void)arg;
	char path[160];
	join(path, sizeof(path), f->outside, "free");
	if (create_file(path) != 0)
		return report(errno, "full access could not write outside: %s", strerror(errno));
	cap_sets s;
	if (read_own_status(&s) != 0 || s.no_new_privs != 0 || s.seccomp != 0)
		return report(TEST_WRONG_VALUE, "full access was confined anyway");
	return 0;
}

static void full_access_does_nothing(void **state)
{
	fixture *f = *state;
	f->plan.sandboxed = false;
	f->plan.landlock_abi = 0;
	run_confined(f, child_unconfined, NULL);
	char path[160];
	join(path, sizeof(path), f->outside, "free");
	assert_true(path_exists(path));
}

#define CONFINE_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		CONFINE_TEST(write_in_root_allowed),
		CONFINE_TEST(write_outside_root_denied),
		CONFINE_TEST(read_only_mode_cannot_write_root),
		CONFINE_TEST(rename_out_of_root_denied),
		CONFINE_TEST(rules_follow_inodes_into_mount_namespace),
		CONFINE_TEST(landlock_missing_fails_closed),
		CONFINE_TEST(landlock_rights_per_abi),
		CONFINE_TEST(signal_scoped_out_of_sandbox),
		CONFINE_TEST(abstract_unix_scoped_when_network_off),
		CONFINE_TEST(fresh_devpts_usable),
		CONFINE_TEST(caps_zero_after_confine),
		CONFINE_TEST(caps_zero_in_user_namespace),
		CONFINE_TEST(exec_cannot_regain_caps),
		CONFINE_TEST(ptrace_parent_denied),
		CONFINE_TEST(unshare_user_denied),
		CONFINE_TEST(mount_denied),
		CONFINE_TEST(tiocsti_denied),
		CONFINE_TEST(vsock_and_raw_sockets_denied),
		CONFINE_TEST(inet_denied_network_off_without_netns),
		CONFINE_TEST(inet_allowed_with_netns),
		CONFINE_TEST(inet_allowed_network_on),
		CONFINE_TEST(io_uring_bpf_keyctl_denied),
		CONFINE_TEST(i386_syscall_denied),
		CONFINE_TEST(x32_syscall_killed),
		CONFINE_TEST(full_access_does_nothing),
	};
	return cmocka_run_group_tests_name("confine", tests, NULL, NULL);
}
