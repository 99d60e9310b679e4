/* Applying a real mount plan (src/linux/mounts.c) end to end: a forked
 * child unshares user, mount, pid (and the plan's other) namespaces, its
 * child - pid 1 there - calls linux_mounts_apply over a temporary
 * workspace and checks from inside what the command would see. The host
 * side (placeholders) is checked before and after. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/mount_plan_internal.h"

#define EXIT_SKIP 77

typedef struct fixture {
	char base[64];
	char ws[128];
	char state[128];
	cordon_resolved *policy;
	int listener;
	char socket_path[100];
	bool no_mount_setattr; /* plan as for a kernel without mount_setattr(2) */
} fixture;

static void path_at(char *buf, size_t size, const char *dir, const char *name)
{
	int length = snprintf(buf, size, "%s/%s", dir, name);
	assert_true(length > 0 && (size_t)length < size);
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int remove_tree(const char *path)
{
	char command[256];
	snprintf(command, sizeof(command), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path);
	return system(command);
}

static int fixture_setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->base, sizeof(f->base), "/tmp/cordon-mounts-XXXXXX");
	assert_non_null(mkdtemp(f->base));
	char path[256];
	path_at(f->ws, sizeof(f->ws), f->base, "ws");
	path_at(f->state, sizeof(f->state), f->base, "state");
	assert_int_equal(mkdir(f->ws, 0755), 0);
	path_at(path, sizeof(path), f->base, "outside");
	assert_int_equal(mkdir(path, 0755), 0);
	path_at(path, sizeof(path), f->ws, ".git");
	assert_int_equal(mkdir(path, 0755), 0);
	path_at(path, sizeof(path), f->ws, ".git/config");
	write_file(path, "[core]\n\tprotected = yes\n");
	path_at(path, sizeof(path), f->ws, "secret.txt");
	write_file(path, "top secret\n");
	path_at(path, sizeof(path), f->ws, "hidden");
	assert_int_equal(mkdir(path, 0755), 0);
	path_at(path, sizeof(path), f->ws, "hidden/key");
	write_file(path, "key\n");

	/* A host service listening inside the workspace. */
	path_at(f->socket_path, sizeof(f->socket_path), f->ws, "host.sock");
	f->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->listener >= 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", f->socket_path);
	assert_int_equal(bind(f->listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(f->listener, 4), 0);

	cordon_resolved *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->mode = CORDON_MODE_WORKSPACE_WRITE;
	r->network = CORDON_NETWORK_OFF;
	r->cwd = strdup(f->ws);
	r->state_dir = strdup(f->state);
	r->roots = calloc(1, sizeof(*r->roots));
	r->roots[0].path = strdup(f->ws);
	r->roots[0].kind = CORDON_ROOT_WORKSPACE;
	r->root_count = 1;
	const char *names[] = {CORDON_DEFAULT_PROTECTED};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_true(cordon_strlist_push(&r->protected_names, names[i]));
	path_at(path, sizeof(path), f->ws, "secret.txt");
	assert_true(cordon_strlist_push(&r->deny_read, path));
	path_at(path, sizeof(path), f->ws, "hidden");
	assert_true(cordon_strlist_push(&r->deny_read, path));
	f->policy = r;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	fixture *f = *state;
	cordon_resolved *r = f->policy;
	for (size_t i = 0; i < r->root_count; i++)
		free(r->roots[i].path);
	free(r->roots);
	free(r->cwd);
	free(r->state_dir);
	cordon_strlist_clear(&r->protected_names);
	cordon_strlist_clear(&r->deny_read);
	free(r);
	close(f->listener);
	remove_tree(f->base);
	free(f);
	return 0;
}

static linux_plan *build_plan(fixture *f, cordon_network network)
{
	/* The second one is out of reach for an unprivileged user (EACCES)
	 * and missing for root: either way nothing to mask, not an error. */
	char *sockets[] = {f->socket_path, "/root/.cordon-test-unreachable/agent.sock"};
	linux_host host = {.landlock_abi = 7,
			   .userns_available = true,
			   .seccomp_available = true,
			   .mount_setattr_available = !f->no_mount_setattr,
			   .uid = getuid(),
			   .gid = getgid(),
			   .host_sockets = sockets,
			   .host_socket_count = 2};
	f->policy->network = network;
	linux_plan *plan = NULL;
	cordon_error err = {0};
	if (linux_plan_build(f->policy, &host, &plan, &err) != CORDON_OK)
		fail_msg("plan: %s", err.message);
	return plan;
}

/* ------------------------------------------------------------ inside */

static int failures;

#define CHECK(cond, ...)                                                                                     \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "inside the sandbox: check failed: %s: ", #cond);                    \
			fprintf(stderr, __VA_ARGS__);                                                        \
			fprintf(stderr, " (errno %s)\n", strerror(errno));                                   \
			failures++;                                                                          \
		}                                                                                            \
	} while (0)

static bool write_denied(const char *path, int *error)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	*error = errno;
	return true;
}

static void check_inside(const fixture *f)
{
	char path[256], moved[256];
	int error = 0;

	path_at(path, sizeof(path), f->ws, "inside.txt");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0, "create %s", path);
	if (fd >= 0) {
		CHECK(write(fd, "hello\n", 6) == 6, "write %s", path);
		close(fd);
	}

	path_at(path, sizeof(path), f->base, "outside/new.txt");
	CHECK(write_denied(path, &error) && error == EROFS, "%s writable outside the root", path);
	CHECK(write_denied("/etc/cordon-test", &error) && error == EROFS, "/etc writable");
	path_at(path, sizeof(path), f->state, "runs.jsonl");
	CHECK(write_denied(path, &error), "state dir writable");

	/* An existing protected name. */
	path_at(path, sizeof(path), f->ws, ".git/config");
	CHECK(write_denied(path, &error) && error == EROFS, "%s writable", path);
	CHECK(unlink(path) != 0, "%s removable", path);
	path_at(path, sizeof(path), f->ws, ".git/hooks");
	CHECK(mkdir(path, 0755) != 0, "%s creatable", path);
	path_at(path, sizeof(path), f->ws, ".git");
	path_at(moved, sizeof(moved), f->ws, "git-moved");
	CHECK(rename(path, moved) != 0, "%s renamable", path);
	CHECK(rmdir(path) != 0, "%s removable", path);

	/* Missing protected names: held by placeholders. */
	path_at(path, sizeof(path), f->ws, ".codex");
	struct stat st;
	CHECK(lstat(path, &st) == 0 && S_ISDIR(st.st_mode), "%s placeholder missing", path);
	CHECK(rmdir(path) != 0, "%s placeholder removable", path);
	path_at(moved, sizeof(moved), f->ws, "codex-moved");
	CHECK(rename(path, moved) != 0, "%s placeholder renamable", path);
	path_at(path, sizeof(path), f->ws, ".codex/config.toml");
	CHECK(write_denied(path, &error), "%s creatable", path);
	path_at(path, sizeof(path), f->ws, ".agents/x");
	CHECK(mkdir(path, 0755) != 0, "%s creatable", path);

	/* Case variants on a case-sensitive filesystem are other names. */
	path_at(path, sizeof(path), f->ws, ".GIT");
	CHECK(mkdir(path, 0755) == 0, "%s should be an ordinary name", path);

	/* Deny-read. */
	path_at(path, sizeof(path), f->ws, "secret.txt");
	char *content = read_file(path);
	CHECK(content != NULL && content[0] == '\0', "%s readable: %s", path, content ? content : "(null)");
	CHECK(write_denied(path, &error), "%s writable", path);
	path_at(path, sizeof(path), f->ws, "hidden");
	DIR *dir = opendir(path);
	CHECK(dir != NULL, "opendir %s", path);
	if (dir != NULL) {
		struct dirent *entry;
		int entries = 0;
		while ((entry = readdir(dir)) != NULL)
			if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
				entries++;
		closedir(dir);
		CHECK(entries == 0, "%s lists %d entries", path, entries);
	}

	/* The host's socket is covered. */
	int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", f->socket_path);
	errno = 0;
	CHECK(connect(client, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno == ECONNREFUSED,
	      "host socket %s reachable", f->socket_path);
	close(client);

	/* /dev. */
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null missing");
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1, "/dev/null not writable");
	if (fd >= 0)
		close(fd);
	CHECK(stat("/dev/vda", &st) != 0 && errno == ENOENT, "/dev/vda visible");
	CHECK(stat("/dev/sda", &st) != 0 && errno == ENOENT, "/dev/sda visible");
	CHECK(lstat("/dev/ptmx", &st) == 0 && S_ISLNK(st.st_mode), "/dev/ptmx not a link");
	CHECK(write_denied("/dev/new", &error), "/dev writable");

	/* /proc: only this namespace's processes. */
	CHECK(getpid() == 1, "pid is %d", (int)getpid());
	dir = opendir("/proc");
	CHECK(dir != NULL, "opendir /proc");
	if (dir != NULL) {
		struct dirent *entry;
		int pids = 0;
		while ((entry = readdir(dir)) != NULL)
			if (entry->d_name[0] >= '1' && entry->d_name[0] <= '9')
				pids++;
		closedir(dir);
		CHECK(pids == 1, "/proc shows %d processes", pids);
	}
	CHECK(write_denied("/proc/sys/kernel/hostname", &error), "/proc/sys writable");
	content = read_file("/proc/kcore");
	CHECK(content == NULL || content[0] == '\0', "/proc/kcore readable");

	/* The host's /tmp, not the scratch tmpfs, is what the sandbox sees. */
	CHECK(access(f->base, F_OK) == 0, "%s not visible", f->base);
	CHECK(access("/newroot", F_OK) != 0 && access("/oldroot", F_OK) != 0, "scratch visible");
	/* One lazy unmount detaches the scratch and the host tree in it:
	 * neither is left in this namespace's mount table. */
	content = read_file("/proc/self/mountinfo");
	CHECK(content != NULL && strstr(content, "cordon-root") == NULL &&
		      strstr(content, "/oldroot") == NULL && strstr(content, "/newroot") == NULL,
	      "scratch mounts left: %s", content ? content : "(null)");
}

/* Runs in the forked child: namespaces, then pid 1 applies and checks. */
typedef void (*inside_check)(const fixture *f);

static int run_sandbox_child(const fixture *f, const linux_plan *plan, inside_check check)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(plan->clone_flags) != 0) {
		fprintf(stderr, "unshare: %s\n", strerror(errno));
		return EXIT_SKIP;
	}
	char map[64];
	int fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "deny", 4);
		close(fd);
	}
	const char *files[] = {"/proc/self/uid_map", "/proc/self/gid_map"};
	unsigned ids[] = {uid, gid};
	for (int i = 0; i < 2; i++) {
		fd = open(files[i], O_WRONLY | O_CLOEXEC);
		int length = snprintf(map, sizeof(map), "%u %u 1\n", ids[i], ids[i]);
		if (fd < 0 || write(fd, map, (size_t)length) != length) {
			fprintf(stderr, "%s: %s\n", files[i], strerror(errno));
			return EXIT_SKIP;
		}
		close(fd);
	}
	pid_t pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		cordon_error err = {0};
		if (linux_mounts_apply(plan, &err) != CORDON_OK) {
			fprintf(stderr, "linux_mounts_apply: %s\n", err.message);
			_exit(2);
		}
		check(f);
		_exit(failures == 0 ? 0 : 1);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return 3;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
}

static void run_end_to_end(fixture *f)
{
	linux_plan *plan = build_plan(f, CORDON_NETWORK_OFF);
	cordon_error err = {0};
	if (linux_plan_prepare_host(plan, &err) != CORDON_OK)
		fail_msg("prepare: %s", err.message);
	char codex[256], config[256], inside[256], upper[256];
	path_at(codex, sizeof(codex), f->ws, ".codex");
	path_at(config, sizeof(config), f->ws, ".git/config");
	path_at(inside, sizeof(inside), f->ws, "inside.txt");
	path_at(upper, sizeof(upper), f->ws, ".GIT");
	struct stat st;
	assert_int_equal(lstat(codex, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(run_sandbox_child(f, plan, check_inside));
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	linux_plan_cleanup_host(plan);
	linux_plan_free(plan);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == EXIT_SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);

	/* After the run: the placeholder is gone, the protected bytes are
	 * unchanged, the root's write reached the host. */
	assert_int_not_equal(lstat(codex, &st), 0);
	assert_string_equal(read_file(config), "[core]\n\tprotected = yes\n");
	assert_string_equal(read_file(inside), "hello\n");
	assert_int_equal(lstat(upper, &st), 0);
}

/* Prepares, runs check inside, cleans up; false when the host does not
 * allow the namespaces (the caller skips). */
static bool run_scenario(fixture *f, linux_plan *plan, inside_check check)
{
	cordon_error err = {0};
	if (linux_plan_prepare_host(plan, &err) != CORDON_OK)
		fail_msg("prepare: %s", err.message);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(run_sandbox_child(f, plan, check));
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	linux_plan_cleanup_host(plan);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == EXIT_SKIP)
		return false;
	assert_int_equal(WEXITSTATUS(status), 0);
	return true;
}

static void check_read_only(const fixture *f)
{
	char path[256];
	int error = 0;
	path_at(path, sizeof(path), f->ws, "inside.txt");
	CHECK(write_denied(path, &error) && error == EROFS, "%s writable in read-only mode", path);
	path_at(path, sizeof(path), f->ws, ".git/config");
	char *content = read_file(path);
	CHECK(content != NULL && strstr(content, "protected") != NULL, "%s unreadable", path);
	/* Read-only mode has no writable root, so nothing to hold a place in. */
	path_at(path, sizeof(path), f->ws, ".codex");
	struct stat st;
	CHECK(lstat(path, &st) != 0, "%s exists", path);
	path_at(path, sizeof(path), f->ws, "secret.txt");
	content = read_file(path);
	CHECK(content != NULL && content[0] == '\0', "%s readable in read-only mode", path);
}

static void read_only_mode_writes_nothing(void **state)
{
	fixture *f = *state;
	f->policy->mode = CORDON_MODE_READ_ONLY;
	free(f->policy->roots[0].path);
	free(f->policy->roots);
	f->policy->roots = NULL;
	f->policy->root_count = 0;
	linux_plan *plan = build_plan(f, CORDON_NETWORK_OFF);
	bool ran = run_scenario(f, plan, check_read_only);
	linux_plan_free(plan);
	if (!ran)
		skip();
	char path[256];
	path_at(path, sizeof(path), f->ws, "inside.txt");
	assert_int_not_equal(access(path, F_OK), 0);
}

static void check_state_inside_root(const fixture *f)
{
	char path[256], moved[256];
	int error = 0;
	path_at(path, sizeof(path), f->ws, ".local/state/cordon/runs.jsonl");
	CHECK(write_denied(path, &error), "%s writable", path);
	/* Renaming an ancestor would carry the protection away. */
	path_at(path, sizeof(path), f->ws, ".local");
	path_at(moved, sizeof(moved), f->ws, "local-moved");
	CHECK(rename(path, moved) != 0, "%s renamable", path);
	path_at(path, sizeof(path), f->ws, ".local/state");
	path_at(moved, sizeof(moved), f->ws, ".local/state-moved");
	CHECK(rename(path, moved) != 0, "%s renamable", path);
	/* The rest of the ancestors stays an ordinary writable directory. */
	path_at(path, sizeof(path), f->ws, ".local/share");
	CHECK(mkdir(path, 0755) == 0, "mkdir %s", path);
}

static void state_dir_inside_root_cannot_be_planted(void **state)
{
	fixture *f = *state;
	char state_dir[256];
	path_at(state_dir, sizeof(state_dir), f->ws, ".local/state/cordon");
	free(f->policy->state_dir);
	f->policy->state_dir = strdup(state_dir);
	linux_plan *plan = build_plan(f, CORDON_NETWORK_OFF);
	bool ran = run_scenario(f, plan, check_state_inside_root);
	linux_plan_free(plan);
	if (!ran)
		skip();
	char path[256];
	path_at(path, sizeof(path), f->ws, ".local/share");
	assert_int_equal(access(path, F_OK), 0);
	path_at(path, sizeof(path), state_dir, "runs.jsonl");
	assert_int_not_equal(access(path, F_OK), 0);
}

static void check_read_only_root(const fixture *f)
{
	char path[256];
	int error = 0;
	path_at(path, sizeof(path), f->ws, "inside.txt");
	CHECK(write_denied(path, &error) && error == EROFS, "%s writable on a read-only mount", path);
	path_at(path, sizeof(path), f->ws, ".codex");
	CHECK(mkdir(path, 0755) != 0 && errno == EROFS, "%s creatable", path);
	path_at(path, sizeof(path), f->ws, ".git/config");
	CHECK(write_denied(path, &error), "%s writable", path);
}

/* In a child: the workspace is made read-only in a private mount
 * namespace (as a host read-only mount would be), then planned,
 * prepared and run. Exit status as run_sandbox_child. */
static int read_only_root_child(fixture *f)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return EXIT_SKIP;
	char map[64];
	int fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "deny", 4);
		close(fd);
	}
	const char *files[] = {"/proc/self/uid_map", "/proc/self/gid_map"};
	unsigned ids[] = {uid, gid};
	for (int i = 0; i < 2; i++) {
		fd = open(files[i], O_WRONLY | O_CLOEXEC);
		int length = snprintf(map, sizeof(map), "%u %u 1\n", ids[i], ids[i]);
		if (fd < 0 || write(fd, map, (size_t)length) != length)
			return EXIT_SKIP;
		close(fd);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount(f->ws, f->ws, NULL, MS_BIND, NULL) != 0 ||
	    mount(NULL, f->ws, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0) {
		fprintf(stderr, "making %s read-only: %s\n", f->ws, strerror(errno));
		return 5;
	}
	linux_plan *plan = build_plan(f, CORDON_NETWORK_OFF);
	cordon_error err = {0};
	if (linux_plan_prepare_host(plan, &err) != CORDON_OK) {
		fprintf(stderr, "prepare: %s\n", err.message);
		return 6;
	}
	for (size_t i = 0; i < plan->mount_count; i++) {
		if (plan->mounts[i].kind == LINUX_MOUNT_PLACEHOLDER) {
			fprintf(stderr, "placeholder %s kept on a read-only root\n", plan->mounts[i].target);
			return 7;
		}
	}
	int status = run_sandbox_child(f, plan, check_read_only_root);
	linux_plan_cleanup_host(plan);
	linux_plan_free(plan);
	return status;
}

static void writable_root_on_read_only_mount_stays_read_only(void **state)
{
	fixture *f = *state;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(read_only_root_child(f));
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == EXIT_SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
	char path[256];
	path_at(path, sizeof(path), f->ws, ".codex");
	assert_int_not_equal(access(path, F_OK), 0);
}

static void sandbox_view_with_mount_setattr(void **state)
{
	run_end_to_end(*state);
}

static void sandbox_view_with_remount_walk(void **state)
{
	fixture *f = *state;
	f->no_mount_setattr = true;
	run_end_to_end(f);
}

/* ------------------------------------------------------- placeholders */

static void placeholders_shared_by_concurrent_runs(void **state)
{
	fixture *f = *state;
	char agents[256];
	path_at(agents, sizeof(agents), f->ws, ".agents");
	linux_plan *first = build_plan(f, CORDON_NETWORK_ON);
	linux_plan *second = build_plan(f, CORDON_NETWORK_ON);
	cordon_error err = {0};
	assert_int_equal(linux_plan_prepare_host(first, &err), CORDON_OK);
	assert_int_equal(linux_plan_prepare_host(second, &err), CORDON_OK);
	struct stat st;
	assert_int_equal(lstat(agents, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	linux_plan_cleanup_host(first);
	assert_int_equal(lstat(agents, &st), 0); /* the second run still relies on it */
	linux_plan_cleanup_host(second);
	assert_int_not_equal(lstat(agents, &st), 0);
	linux_plan_free(first);
	linux_plan_free(second);
}

/* Placeholders go back into a shard of the pool named after their inode,
 * and the next run takes the same directory out again. */
static void pool_reuses_placeholders_through_its_shards(void **state)
{
	fixture *f = *state;
	char agents[256], pooled[512];
	path_at(agents, sizeof(agents), f->ws, ".agents");
	cordon_error err = {0};
	linux_plan *first = build_plan(f, CORDON_NETWORK_ON);
	assert_int_equal(linux_plan_prepare_host(first, &err), CORDON_OK);
	struct stat held;
	assert_int_equal(lstat(agents, &held), 0);
	linux_plan_cleanup_host(first);
	linux_plan_free(first);
	struct stat st;
	assert_int_not_equal(lstat(agents, &st), 0);
	int length = snprintf(pooled, sizeof(pooled), "%s/placeholder-pool/%02x/%llx-%llx", f->state,
			      (unsigned)(held.st_ino % 64), (unsigned long long)held.st_dev,
			      (unsigned long long)held.st_ino);
	assert_true(length > 0 && (size_t)length < sizeof(pooled));
	assert_int_equal(lstat(pooled, &st), 0);
	assert_int_equal(st.st_ino, held.st_ino);

	/* Three placeholders come out of a pool of three: the same inodes. */
	linux_plan *second = build_plan(f, CORDON_NETWORK_ON);
	assert_int_equal(linux_plan_prepare_host(second, &err), CORDON_OK);
	assert_int_not_equal(lstat(pooled, &st), 0);
	bool reused = false;
	const char *names[] = {".agents", ".codex", ".cordon"};
	for (size_t i = 0; i < 3; i++) {
		char path[256];
		path_at(path, sizeof(path), f->ws, names[i]);
		assert_int_equal(lstat(path, &st), 0);
		reused = reused || st.st_ino == held.st_ino;
	}
	assert_true(reused);
	linux_plan_cleanup_host(second);
	linux_plan_free(second);
}

/* The pool's shard directories (two hex digits) and anything that is not
 * a directory are never handed out as placeholders; entries an older,
 * unsharded pool kept at its top level are. */
static void pool_hands_out_entries_never_its_shards(void **state)
{
	fixture *f = *state;
	char pool[256], shard[512], legacy[512], path[256];
	path_at(pool, sizeof(pool), f->state, "placeholder-pool");
	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_int_equal(mkdir(pool, 0700), 0);
	path_at(shard, sizeof(shard), pool, "0a");
	assert_int_equal(mkdir(shard, 0700), 0);
	path_at(legacy, sizeof(legacy), pool, "fe01-1234");
	assert_int_equal(mkdir(legacy, 0700), 0);
	/* Not a directory: never moved into a workspace. */
	char junk[512];
	path_at(junk, sizeof(junk), pool, "fe01-9999");
	write_file(junk, "not a placeholder\n");
	struct stat shard_before, legacy_before, st;
	assert_int_equal(lstat(shard, &shard_before), 0);
	assert_int_equal(lstat(legacy, &legacy_before), 0);

	cordon_error err = {0};
	linux_plan *plan = build_plan(f, CORDON_NETWORK_ON);
	assert_int_equal(linux_plan_prepare_host(plan, &err), CORDON_OK);
	assert_int_equal(lstat(shard, &st), 0);
	assert_int_equal(st.st_ino, shard_before.st_ino);
	assert_int_not_equal(lstat(legacy, &st), 0); /* taken */
	bool legacy_used = false;
	const char *names[] = {".agents", ".codex", ".cordon"};
	for (size_t i = 0; i < 3; i++) {
		path_at(path, sizeof(path), f->ws, names[i]);
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_not_equal(st.st_ino, shard_before.st_ino);
		legacy_used = legacy_used || st.st_ino == legacy_before.st_ino;
	}
	assert_true(legacy_used);
	assert_int_equal(lstat(junk, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	linux_plan_cleanup_host(plan);
	linux_plan_free(plan);
	assert_int_equal(lstat(shard, &st), 0);
	assert_int_equal(st.st_ino, shard_before.st_ino);
}

static void crashed_run_placeholders_removed_next_time(void **state)
{
	fixture *f = *state;
	char agents[256], codex[256], record[256];
	path_at(agents, sizeof(agents), f->ws, ".agents");
	path_at(codex, sizeof(codex), f->ws, ".codex");
	path_at(record, sizeof(record), f->state, "placeholders");
	linux_plan *crashed = build_plan(f, CORDON_NETWORK_ON);
	cordon_error err = {0};
	assert_int_equal(linux_plan_prepare_host(crashed, &err), CORDON_OK);
	assert_non_null(strstr(read_file(record), agents));
	linux_plan_free(crashed); /* no cleanup: as if the run had crashed */
	struct stat st;
	assert_int_equal(lstat(agents, &st), 0);

	/* The next run no longer protects .agents, yet removes the leftover. */
	cordon_strlist_clear(&f->policy->protected_names);
	assert_true(cordon_strlist_push(&f->policy->protected_names, ".git"));
	assert_true(cordon_strlist_push(&f->policy->protected_names, ".codex"));
	linux_plan *next = build_plan(f, CORDON_NETWORK_ON);
	assert_int_equal(linux_plan_prepare_host(next, &err), CORDON_OK);
	assert_int_not_equal(lstat(agents, &st), 0);
	assert_null(strstr(read_file(record), agents));
	/* The crashed run's .codex looked like an existing directory to the
	 * new plan: it is adopted (bound read-only) and removed afterwards. */
	bool adopted = false;
	for (size_t i = 0; i < next->mount_count; i++)
		if (next->mounts[i].kind == LINUX_MOUNT_BIND_RO && strcmp(next->mounts[i].target, codex) == 0)
			adopted = true;
	assert_true(adopted);
	assert_non_null(strstr(read_file(record), codex));
	linux_plan_cleanup_host(next);
	linux_plan_free(next);
	assert_int_not_equal(lstat(codex, &st), 0);
	assert_null(strstr(read_file(record), codex));
}

/* The record is rewritten in place; a line torn by a power cut (or one
 * without its checksum) must never name a directory to remove. */
static void torn_record_line_removes_nothing(void **state)
{
	fixture *f = *state;
	char victim[256], record[256], text[700];
	path_at(victim, sizeof(victim), f->base, "outside/empty-dir");
	assert_int_equal(mkdir(victim, 0755), 0);
	(void)mkdir(f->state, 0700);
	path_at(record, sizeof(record), f->state, "placeholders");
	snprintf(text, sizeof(text), "0000000000000000 %s\n%s\n", victim, victim);
	write_file(record, text);
	linux_plan *plan = build_plan(f, CORDON_NETWORK_ON);
	cordon_error err = {0};
	assert_int_equal(linux_plan_prepare_host(plan, &err), CORDON_OK);
	linux_plan_cleanup_host(plan);
	linux_plan_free(plan);
	struct stat st;
	assert_int_equal(lstat(victim, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_null(strstr(read_file(record), victim));
}

static void user_content_in_placeholder_spot_is_kept(void **state)
{
	fixture *f = *state;
	char agents[256], inner[256];
	path_at(agents, sizeof(agents), f->ws, ".agents");
	path_at(inner, sizeof(inner), f->ws, ".agents/notes");
	linux_plan *plan = build_plan(f, CORDON_NETWORK_ON);
	cordon_error err = {0};
	assert_int_equal(linux_plan_prepare_host(plan, &err), CORDON_OK);
	/* The user (on the host) fills the directory during the run. */
	assert_int_equal(chmod(agents, 0755), 0);
	write_file(inner, "mine\n");
	linux_plan_cleanup_host(plan);
	linux_plan_free(plan);
	assert_string_equal(read_file(inner), "mine\n");
}

static void missing_state_dir_inside_root_is_created_and_kept(void **state)
{
	fixture *f = *state;
	char state_dir[256];
	path_at(state_dir, sizeof(state_dir), f->ws, ".local/state/cordon");
	free(f->policy->state_dir);
	f->policy->state_dir = strdup(state_dir);
	linux_plan *plan = build_plan(f, CORDON_NETWORK_ON);
	bool placeholder = false;
	for (size_t i = 0; i < plan->mount_count; i++)
		if (plan->mounts[i].kind == LINUX_MOUNT_PLACEHOLDER &&
		    strcmp(plan->mounts[i].target, state_dir) == 0)
			placeholder = true;
	assert_true(placeholder);
	cordon_error err = {0};
	assert_int_equal(linux_plan_prepare_host(plan, &err), CORDON_OK);
	struct stat st;
	assert_int_equal(lstat(state_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	linux_plan_cleanup_host(plan);
	linux_plan_free(plan);
	assert_int_equal(lstat(state_dir, &st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sandbox_view_with_mount_setattr, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(sandbox_view_with_remount_walk, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(read_only_mode_writes_nothing, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(state_dir_inside_root_cannot_be_planted, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(writable_root_on_read_only_mount_stays_read_only,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(placeholders_shared_by_concurrent_runs, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(pool_reuses_placeholders_through_its_shards, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(pool_hands_out_entries_never_its_shards, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(crashed_run_placeholders_removed_next_time, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(torn_record_line_removes_nothing, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(user_content_in_placeholder_spot_is_kept, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(missing_state_dir_inside_root_is_created_and_kept,
						fixture_setup, fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
