/* The processes between cordon and the command.
 *
 * supervisor: cloned by cordon_spawn straight into the run's namespaces
 *             (so it is pid 1 of the new pid namespace; the caller holds
 *             it by the pidfd the clone returned, so its pid can never
 *             name another process), or a child subreaper in full-access
 *             mode. It maps its ids, builds the mount tree, starts the
 *             command, forwards signals, reaps everything, and when the
 *             command exits kills whatever is left before reporting its
 *             status.
 * command:    stdio, session, working directory, confinement, execve.
 *
 * Both run after a clone of a possibly multi-threaded caller: they use
 * only what was prepared before it and no stdio. */
#include "spawn_internal.h"

#include "../proxy/proxy.h"
#include "prefault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <linux/sched.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define SETUP_FAILED_EXIT 125

/* The command's stack between clone and execve: its own steps need a few
 * KiB (a PATH_MAX buffer, formatted messages); pages are only touched as
 * used. */
#define COMMAND_STACK_SIZE (256u * 1024u)

static const int forwarded_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP,
};

void spawn_report_send(int fd, spawn_report_kind kind, int value, int sys_errno, const char *message)
{
	spawn_report report;
	memset(&report, 0, sizeof(report));
	report.kind = kind;
	report.value = value;
	report.sys_errno = sys_errno;
	if (message != NULL) {
		size_t length = strnlen(message, sizeof(report.message) - 1);
		memcpy(report.message, message, length);
	}
	ssize_t written;
	do {
		written = write(fd, &report, sizeof(report));
	} while (written < 0 && errno == EINTR);
}

static void report_errno(const supervisor_args *args, const char *what, int errnum)
{
	char message[256];
	snprintf(message, sizeof(message), "%s: %s", what, strerror(errnum));
	spawn_report_send(args->report_fd, SPAWN_REPORT_SETUP_ERROR, CORDON_E_SYSTEM, errnum, message);
}

static void close_if_open(int fd)
{
	if (fd >= 0)
		close(fd);
}

static bool is_run_fd(const supervisor_args *args, int fd)
{
	if (fd == args->report_fd || fd == args->status_fd || fd == args->control_fd ||
	    fd == args->pty_master || fd == args->relay_fd)
		return true;
	for (int i = 0; i < 3; i++)
		if (fd == args->stdio_fds[i])
			return true;
	return false;
}

static void close_stdio_fds(const supervisor_args *args)
{
	for (int i = 0; i < 3; i++) {
		int fd = args->stdio_fds[i];
		bool seen = false;
		for (int j = 0; j < i; j++)
			seen = seen || args->stdio_fds[j] == fd;
		if (!seen)
			close_if_open(fd);
	}
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t length = strlen(text);
	ssize_t written = write(fd, text, length);
	int saved = errno;
	close(fd);
	errno = saved;
	return written == (ssize_t)length;
}

/* "ID ID 1\n" without stdio: the caller may hold stdio locks at fork. */
static void format_id_map(char *buffer, size_t size, unsigned long id)
{
	char digits[24];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + id % 10);
		id /= 10;
	} while (id != 0 && n < sizeof(digits));
	size_t used = 0;
	for (int copy = 0; copy < 2; copy++) {
		for (size_t i = n; i > 0 && used + 1 < size; i--)
			buffer[used++] = digits[i - 1];
		if (used + 1 < size)
			buffer[used++] = ' ';
	}
	const char *tail = "1\n";
	for (size_t i = 0; tail[i] != '\0' && used + 1 < size; i++)
		buffer[used++] = tail[i];
	buffer[used] = '\0';
}

static bool write_id_maps(const supervisor_args *args, uid_t uid, gid_t gid)
{
	char map[64];
	format_id_map(map, sizeof(map), uid);
	if (!write_file("/proc/self/uid_map", map)) {
		report_errno(args, "cannot map the user id into the sandbox's user namespace", errno);
		return false;
	}
	if (!write_file("/proc/self/setgroups", "deny") && errno != ENOENT) {
		report_errno(args, "cannot disable setgroups in the sandbox's user namespace", errno);
		return false;
	}
	format_id_map(map, sizeof(map), gid);
	if (!write_file("/proc/self/gid_map", map)) {
		report_errno(args, "cannot map the group id into the sandbox's user namespace", errno);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------- command */

static void move_stdio_into_place(const supervisor_args *args)
{
	int moved[3] = {-1, -1, -1};
	/* First above 2, so dup2 onto 0..2 cannot clobber a source. */
	for (int i = 0; i < 3; i++)
		if (args->stdio_fds[i] >= 0)
			moved[i] = fcntl(args->stdio_fds[i], F_DUPFD_CLOEXEC, 3);
	for (int i = 0; i < 3; i++)
		if (moved[i] >= 0)
			dup2(moved[i], i);
}

static void mark_all_cloexec_from(int first)
{
	if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	struct rlimit limit;
	int last = 65536;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
	    limit.rlim_cur < 1048576)
		last = (int)limit.rlim_cur;
	for (int fd = first; fd < last; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static const char *env_path(const char *const *envp)
{
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	return "/usr/local/bin:/usr/bin:/bin";
}

static _Noreturn void exec_failed(const supervisor_args *args, int exit_code, int errnum, const char *message)
{
	spawn_report_send(args->report_fd, SPAWN_REPORT_EXEC_FAILED, exit_code, errnum, message);
	_exit(exit_code);
}

/* execvpe with the command's own PATH and without the /bin/sh retry:
 * ENOENT keeps searching, EACCES is remembered (126 if nothing else is
 * found), anything else stops the search. */
static _Noreturn void exec_command(const supervisor_args *args, char *const *envp)
{
	const char *file = args->argv[0];
	char *const *argv = (char *const *)args->argv;
	char message[256];

	if (file == NULL || file[0] == '\0')
		exec_failed(args, 127, ENOENT, "the program name is empty");
	if (strchr(file, '/') != NULL) {
		execve(file, argv, envp);
		int errnum = errno;
		snprintf(message, sizeof(message), "%s: %s", file, strerror(errnum));
		exec_failed(args, errnum == ENOENT || errnum == ENOTDIR ? 127 : 126, errnum, message);
	}

	size_t file_length = strlen(file);
	const char *path = env_path((const char *const *)envp);
	bool denied = false;
	char candidate[PATH_MAX];
	for (const char *start = path;; start++) {
		const char *end = strchrnul(start, ':');
		size_t dir_length = (size_t)(end - start);
		if (dir_length == 0) {
			dir_length = 1; /* an empty element means the working directory */
			start = ".";
		}
		if (dir_length + 1 + file_length + 1 <= sizeof(candidate)) {
			memcpy(candidate, start, dir_length);
			candidate[dir_length] = '/';
			memcpy(candidate + dir_length + 1, file, file_length + 1);
			execve(candidate, argv, envp);
			int errnum = errno;
			struct stat st;
			if (errnum == EACCES) {
				/* A directory of PATH we may not search is not a
				 * program we may not run. */
				if (stat(candidate, &st) == 0)
					denied = true;
			} else if (errnum != ENOENT && errnum != ENOTDIR && errnum != ESTALE &&
				   errnum != ENODEV && errnum != ETIMEDOUT) {
				snprintf(message, sizeof(message), "%.180s: %s", candidate, strerror(errnum));
				exec_failed(args, 126, errnum, message);
			}
		}
		if (*end == '\0')
			break;
		start = end;
	}
	if (denied) {
		snprintf(message, sizeof(message), "%s: found in PATH but not executable (permission denied)",
			 file);
		exec_failed(args, 126, EACCES, message);
	}
	snprintf(message, sizeof(message), "%s: command not found in PATH (%s)", file, path);
	exec_failed(args, 127, ENOENT, message);
}

static _Noreturn void command_run(const supervisor_args *args)
{
	/* The caller's handlers and ignored signals are not the command's:
	 * supervisor_enter already reset every one to SIG_DFL and the
	 * supervisor installs none (it reads its signals from a signalfd),
	 * so the command starts with defaults and only the mask to clear. */
	sigset_t empty;
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);

	if (setsid() < 0) {
		report_errno(args, "cannot start a new session for the command", errno);
		_exit(SETUP_FAILED_EXIT);
	}
	if (args->stdio == CORDON_STDIO_PTY && ioctl(args->stdio_fds[0], TIOCSCTTY, 0) < 0) {
		report_errno(args, "cannot make the pseudo-terminal the command's controlling terminal",
			     errno);
		_exit(SETUP_FAILED_EXIT);
	}
	move_stdio_into_place(args);
	if (chdir(args->cwd) < 0) {
		char what[256];
		snprintf(what, sizeof(what), "cannot enter the working directory %s", args->cwd);
		report_errno(args, what, errno);
		_exit(SETUP_FAILED_EXIT);
	}
	if (args->confine != NULL) {
		cordon_error err;
		memset(&err, 0, sizeof(err));
		if (linux_confine_self(args->confine, &err) != CORDON_OK) {
			spawn_report_send(args->report_fd, SPAWN_REPORT_SETUP_ERROR, err.code, err.sys_errno,
					  err.message);
			_exit(SETUP_FAILED_EXIT);
		}
	}
	/* After confinement (which may hold descriptors of its own); the
	 * report pipe stays usable until execve succeeds. */
	mark_all_cloexec_from(3);
	char *const *envp = (char *const *)(args->envp != NULL ? args->envp : (const char *const *)environ);
	exec_command(args, envp);
}

/* fork() without libc's fork machinery. The supervisor was cloned from a
 * caller that may have other threads, so a lock libc's fork would take
 * (its allocator's, the caller's atfork handlers') may be held by a thread
 * that does not exist here; nothing in the supervisor's processes
 * allocates, so a plain clone is all a child needs. */
static pid_t fork_plain(void)
{
	return (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, NULL, NULL, NULL, NULL);
}

static int command_entry(void *args)
{
	command_run(args);
}

/* With a pid namespace the command is cloned with CLONE_VM | CLONE_VFORK,
 * as posix_spawn does: no page tables are copied and neither side takes
 * copy-on-write faults (a fork costs about 1 ms where page tables are
 * paravirtualised), and the supervisor sleeps until the command has
 * called execve or exited. The command's own steps touch nothing of the
 * supervisor's memory but its fresh stack; its signal handlers,
 * descriptors, credentials, Landlock domain and seccomp filter are its
 * own (no CLONE_SIGHAND, CLONE_FILES or CLONE_THREAD). Without a pid
 * namespace it is a plain fork: a supervisor asleep in an execve that
 * hangs could not kill the tree there, while pid 1 dying takes the
 * namespace with it. The stack stays mapped until the supervisor exits. */
static pid_t start_command(const supervisor_args *args, bool pid_one)
{
	if (!pid_one) {
		pid_t pid = fork_plain();
		if (pid == 0)
			command_run(args);
		return pid;
	}
	void *stack = mmap(NULL, COMMAND_STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	return clone(command_entry, (char *)stack + COMMAND_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD,
		     (void *)args);
}

/* ---------------------------------------------------------- supervisor */

typedef struct supervisor_state {
	const supervisor_args *args;
	bool pid_one; /* in its own pid namespace: exiting kills the namespace */
	pid_t command;
	bool command_done;
	int command_status;
} supervisor_state;

static void forward_signal(const supervisor_state *state, int sig)
{
	if (state->command_done)
		return;
	pid_t group = state->command; /* the command leads its own session and group */
	if (state->args->pty_master >= 0) {
		pid_t foreground = tcgetpgrp(state->args->pty_master);
		if (foreground > 0)
			group = foreground;
	}
	if (kill(-group, sig) < 0)
		kill(state->command, sig);
}

static void note_reaped(supervisor_state *state, pid_t pid, int status)
{
	if (pid == state->command && !state->command_done) {
		state->command_done = true;
		state->command_status = status;
	}
}

static void reap_without_blocking(supervisor_state *state)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		note_reaped(state, pid, status);
	}
}

/* Full-access mode has no namespace to tear down: SIGKILL every child of
 * this subreaper; their orphans are reparented here and killed on the next
 * pass. */
/* Full-access mode: orphans of the run were reparented to this subreaper.
 * /proc/self/task/TID/children names them directly; only without it
 * (CONFIG_PROC_CHILDREN off) is every process's stat read. */
static bool kill_listed_children(pid_t self)
{
	char path[64], list[4096];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)self, (int)self);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, list, sizeof(list) - 1);
	close(fd);
	if (n < 0)
		return false;
	list[n] = '\0';
	for (char *p = list; *p != '\0';) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
		p = end;
	}
	/* A full buffer may have cut the list: the caller loops until
	 * waitpid reports no children, so the rest is found next round. */
	return true;
}

static void kill_children_of_self(void)
{
	pid_t self = getpid();
	if (kill_listed_children(self))
		return;
	DIR *proc = opendir("/proc");
	if (proc == NULL)
		return;
	struct dirent *entry;
	while ((entry = readdir(proc)) != NULL) {
		char *end;
		long pid = strtol(entry->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == self)
			continue;
		char path[64], stat[512];
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		if (n <= 0)
			continue;
		stat[n] = '\0';
		/* pid (comm) state ppid ...; comm may hold spaces and ')'. */
		char *close_paren = strrchr(stat, ')');
		long ppid = 0;
		if (close_paren != NULL && sscanf(close_paren + 1, " %*c %ld", &ppid) == 1 && ppid == self)
			kill((pid_t)pid, SIGKILL);
	}
	closedir(proc);
}

static void kill_everything(supervisor_state *state)
{
	if (!state->command_done)
		kill(-state->command, SIGKILL);
	for (;;) {
		if (state->pid_one)
			kill(-1, SIGKILL); /* every process of the namespace but this one */
		else
			kill_children_of_self();
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == ECHILD)
			return;
		if (pid > 0)
			note_reaped(state, pid, status);
	}
}

static void send_status(const supervisor_state *state, bool killed)
{
	spawn_status status = {.wait_status = state->command_status, .killed = killed ? 1 : 0};
	ssize_t written;
	do {
		written = write(state->args->status_fd, &status, sizeof(status));
	} while (written < 0 && errno == EINTR);
}

/* Returns false when the run must end now (kill requested or the parent
 * is gone). */
static bool handle_control(supervisor_state *state)
{
	spawn_control control;
	ssize_t n = read(state->args->control_fd, &control, sizeof(control));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n != (ssize_t)sizeof(control))
		return false;
	if (control.kind == SPAWN_CONTROL_SIGNAL && control.value > 0 && control.value < NSIG)
		forward_signal(state, control.value);
	return control.kind != SPAWN_CONTROL_KILL;
}

static void handle_signals(supervisor_state *state, int signal_fd)
{
	struct signalfd_siginfo info;
	while (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
		if (info.ssi_signo == SIGCHLD)
			reap_without_blocking(state);
		else
			forward_signal(state, (int)info.ssi_signo);
	}
	reap_without_blocking(state);
}

/* A new network namespace starts with its loopback down; the command's
 * own servers on 127.0.0.1 need it up. The supervisor still holds its
 * capabilities in the namespace's owning user namespace. */
static bool bring_loopback_up(const supervisor_args *args)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		report_errno(args, "cannot bring up the sandbox's loopback interface (socket)", errno);
		return false;
	}
	struct ifreq request;
	memset(&request, 0, sizeof(request));
	snprintf(request.ifr_name, sizeof(request.ifr_name), "lo");
	bool ok = ioctl(fd, SIOCGIFFLAGS, &request) == 0;
	if (ok && (request.ifr_flags & IFF_UP) == 0) {
		request.ifr_flags |= IFF_UP;
		ok = ioctl(fd, SIOCSIFFLAGS, &request) == 0;
	}
	int saved = errno;
	close(fd);
	if (!ok)
		report_errno(args, "cannot bring up the sandbox's loopback interface", saved);
	return ok;
}

/* The proxy relay: inside the sandbox's network namespace, outside the
 * command's confinement (it is cordon's code). It must hold no descriptor
 * but its control socket, closed for real, or the proxy's end would stay
 * open through it. It is not dumpable, so the command (no capabilities,
 * same uid) cannot reach its descriptors through /proc. It dies with the
 * pid namespace. */
static bool start_relay(const supervisor_args *args)
{
	pid_t relay = fork_plain();
	if (relay < 0) {
		report_errno(args, "cannot start the network proxy relay", errno);
		return false;
	}
	if (relay == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_DUMPABLE, 0);
		int fd = dup2(args->relay_fd, 3) < 0 ? -1 : 3;
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null_fd >= 0) {
			dup2(null_fd, 0);
			dup2(null_fd, 1);
			dup2(null_fd, 2);
		}
		syscall(SYS_close_range, 4U, ~0U, 0U);
		_exit(fd < 0 ? 1 : cordon_relay_serve(fd, CORDON_PROXY_PORT) == 0 ? 0 : 1);
	}
	close(args->relay_fd);
	return true;
}

/* Opens the run's pty in the supervisor's mount namespace (in a sandbox,
 * the run's own devpts, so the command can name its terminal), hands the
 * master to cordon_spawn and makes the slave the command's stdio. */
static bool open_run_pty(supervisor_args *args)
{
	cordon_error err;
	memset(&err, 0, sizeof(err));
	int master, slave;
	if (linux_pty_open(args->pty_rows, args->pty_cols, &master, &slave, &err) != CORDON_OK) {
		spawn_report_send(args->report_fd, SPAWN_REPORT_SETUP_ERROR, err.code, err.sys_errno,
				  err.message);
		return false;
	}
	if (!linux_pty_send_master(args->control_fd, master)) {
		report_errno(args, "cannot hand the pseudo-terminal to cordon", errno);
		close(slave);
		close(master);
		return false;
	}
	args->pty_master = master;
	for (int i = 0; i < 3; i++)
		args->stdio_fds[i] = slave;
	return true;
}

static _Noreturn void supervisor_run(const supervisor_args *given)
{
	/* A copy: the pty's descriptors are only known here. */
	supervisor_args run = *given;
	const supervisor_args *args = &run;
	const linux_plan *plan = args->plan;
	supervisor_state state = {
		.args = args,
		.pid_one = plan->sandboxed && (plan->clone_flags & CLONE_NEWPID) != 0,
	};
	/* No parent-death signal: it would follow the caller's thread, not
	 * its process. A caller that dies closes the control socket, and the
	 * loop below kills the tree on that end of file. */
	if (!state.pid_one && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		report_errno(args, "cannot make the supervisor a child subreaper", errno);
		_exit(SETUP_FAILED_EXIT);
	}
	/* Without a mount namespace (best-effort, no user namespaces) there
	 * is no private tree to build; Landlock carries the file rules. */
	if (plan->sandboxed && (plan->clone_flags & CLONE_NEWNS) != 0) {
		cordon_error err;
		memset(&err, 0, sizeof(err));
		if (linux_mounts_apply(plan, &err) != CORDON_OK) {
			spawn_report_send(args->report_fd, SPAWN_REPORT_SETUP_ERROR, err.code, err.sys_errno,
					  err.message);
			_exit(SETUP_FAILED_EXIT);
		}
	}
	if (plan->sandboxed && (plan->clone_flags & CLONE_NEWNET) != 0 && !bring_loopback_up(args))
		_exit(SETUP_FAILED_EXIT);
	if (args->relay_fd >= 0 && !start_relay(args))
		_exit(SETUP_FAILED_EXIT);
	if (args->stdio == CORDON_STDIO_PTY && !open_run_pty(&run))
		_exit(SETUP_FAILED_EXIT);

	sigset_t handled;
	sigemptyset(&handled);
	sigaddset(&handled, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(&handled, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &handled, NULL);
	int signal_fd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0) {
		report_errno(args, "cannot create the supervisor's signalfd", errno);
		_exit(SETUP_FAILED_EXIT);
	}

	state.command = start_command(args, state.pid_one);
	if (state.command < 0) {
		report_errno(args, "cannot start the command process", errno);
		_exit(SETUP_FAILED_EXIT);
	}
	close(args->report_fd);
	close_stdio_fds(args);
	fcntl(args->control_fd, F_SETFL, O_NONBLOCK);

	bool killed = false;
	bool control_open = true;
	while (!state.command_done && !killed) {
		struct pollfd fds[2] = {
			{.fd = signal_fd, .events = POLLIN},
			{.fd = args->control_fd, .events = POLLIN},
		};
		if (poll(fds, control_open ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents != 0)
			handle_signals(&state, signal_fd);
		if (control_open && fds[1].revents != 0 && !handle_control(&state)) {
			killed = true;
			control_open = false;
		}
	}
	kill_everything(&state);
	send_status(&state, killed);
	_exit(0);
}

/* ----------------------------------------------------------- start */

/* The first steps of the supervisor's process, before supervisor_run:
 * nothing of the caller's may run or stay open here. */
static _Noreturn void supervisor_enter(const supervisor_args *args)
{
	/* Every page of stack the set-up below writes is shared
	 * copy-on-write with the caller since the clone: copied in one call
	 * (about 6 us a page here) instead of a fault each (15-25 us). The
	 * set-up goes about 40 KiB deep, and a page copied in vain is paid
	 * for, so no more than that. */
	linux_prefault_stack(48u * 1024u);

	/* The caller's handlers must never run here; every signal has been
	 * blocked since before the clone. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);

	for (size_t i = 0; i < args->caller_fd_count; i++)
		if (!is_run_fd(args, args->caller_fds[i]))
			close(args->caller_fds[i]);
	for (size_t i = 0; i < sizeof(args->parent_fds) / sizeof(args->parent_fds[0]); i++)
		close_if_open(args->parent_fds[i]);

	/* Out of the caller's process group: what the caller's terminal sends
	 * its foreground group (Ctrl-C, Ctrl-Z, a hangup) goes to the caller
	 * alone, which forwards it (cordon_child_signal), so the command never
	 * gets it twice and pid 1 is never killed by it. A process group, not
	 * a session: the supervisor never reads or writes the terminal, and a
	 * new session costs a new scheduler autogroup (about 0.2 ms here);
	 * the command takes its own session anyway. */
	setpgid(0, 0);

	const linux_plan *plan = args->plan;
	if (plan->sandboxed && (plan->clone_flags & CLONE_NEWUSER) != 0 &&
	    !write_id_maps(args, args->uid, args->gid))
		_exit(SETUP_FAILED_EXIT);

	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	supervisor_run(args);
}

/* clone3 where the kernel (or a container's seccomp profile) has it, else
 * clone, whose third argument is the pidfd's address on x86_64, arm64 and
 * every architecture cordon builds for. exit_signal 0: the caller gets no
 * SIGCHLD for the supervisor and a waitpid(-1) of its own never reaps it
 * (that takes __WALL); cordon holds it by the pidfd. */
static pid_t clone_with_pidfd(unsigned long flags, int *pidfd)
{
	struct clone_args clone_args;
	memset(&clone_args, 0, sizeof(clone_args));
	clone_args.flags = flags | CLONE_PIDFD;
	clone_args.pidfd = (uint64_t)(uintptr_t)pidfd;
	clone_args.exit_signal = 0;
	long pid = syscall(SYS_clone3, &clone_args, sizeof(clone_args));
	if (pid < 0 && errno == ENOSYS)
		pid = syscall(SYS_clone, flags | CLONE_PIDFD, NULL, pidfd, NULL, NULL);
	return (pid_t)pid;
}

pid_t linux_supervisor_start(const supervisor_args *args, int *pidfd)
{
	const linux_plan *plan = args->plan;
	unsigned long flags = plan->sandboxed ? (unsigned long)plan->clone_flags : 0;
	sigset_t all, previous;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	*pidfd = -1;
	pid_t pid = clone_with_pidfd(flags, pidfd);
	if (pid == 0)
		supervisor_enter(args);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	errno = saved;
	return pid;
}
