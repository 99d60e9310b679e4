/* cordon_spawn: the one place cordon starts a process, and the API over a
 * running child. Everything that allocates happens here, before fork; the
 * processes of a run are in supervisor.c. */
#include "spawn_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/error.h"
#include "../proxy/proxy.h"

/* How long a full-access supervisor gets to kill its tree before it is
 * killed itself. */
#define KILL_GRACE_MS 1000

struct cordon_child {
	pid_t supervisor;
	bool supervisor_reaped;
	int supervisor_pidfd;
	int status_fd;
	int control_fd;
	int fds[4]; /* indexed by cordon_stream */
	cordon_stdio stdio;
	bool pid_one; /* the supervisor is pid 1 of a pid namespace */

	linux_host host;
	linux_plan *plan;
	bool host_prepared;

	int64_t started_ms;
	unsigned timeout_ms;
	bool timed_out;
	bool kill_requested;
	int64_t kill_requested_ms;
	bool hard_killed;

	bool namespaces_failed; /* the clone could not create the namespaces */
	int exec_code;		/* 126/127 when the command could not be executed */
	char exec_detail[256];

	bool finished;
	cordon_exit exit;

	cordon_proxy *proxy;  /* network proxy: the allowlist proxy thread */
	char **env;	      /* the command's environment when cordon adds to it (allocated) */
	char no_proxy[2][80]; /* the NO_PROXY= and no_proxy= entries of env */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void pidfd_kill(int pidfd)
{
	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

static bool send_control(cordon_child *child, spawn_control_kind kind, int value)
{
	if (child->control_fd < 0)
		return false;
	spawn_control control = {.kind = kind, .value = value};
	ssize_t n;
	do {
		n = send(child->control_fd, &control, sizeof(control), MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(control);
}

/* ------------------------------------------------------------- spawn */

/* The caller's descriptors above 2 (allocates *out). The supervisor
 * closes them so that a run never holds another run's pipe ends. */
static cordon_code list_caller_fds(int **out, size_t *count, cordon_error *err)
{
	*out = NULL;
	*count = 0;
	size_t capacity = 64;
	int *fds = malloc(capacity * sizeof(*fds));
	if (fds == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot start the command: out of memory");
	DIR *dir = opendir("/proc/self/fd");
	if (dir != NULL) {
		struct dirent *entry;
		while ((entry = readdir(dir)) != NULL) {
			char *end;
			long fd = strtol(entry->d_name, &end, 10);
			if (*end != '\0' || entry->d_name[0] == '\0' || fd <= 2 || fd == dirfd(dir))
				continue;
			if (*count == capacity) {
				int *grown = realloc(fds, 2 * capacity * sizeof(*fds));
				if (grown == NULL) {
					closedir(dir);
					free(fds);
					return cordon_fail(err, CORDON_E_NOMEM,
							   "cannot start the command: out of memory");
				}
				fds = grown;
				capacity *= 2;
			}
			fds[(*count)++] = (int)fd;
		}
		closedir(dir);
	} else {
		/* No /proc: ask each plausible descriptor. */
		for (int fd = 3; fd < 4096; fd++) {
			if (fcntl(fd, F_GETFD) < 0)
				continue;
			if (*count == capacity) {
				int *grown = realloc(fds, 2 * capacity * sizeof(*fds));
				if (grown == NULL) {
					free(fds);
					return cordon_fail(err, CORDON_E_NOMEM,
							   "cannot start the command: out of memory");
				}
				fds = grown;
				capacity *= 2;
			}
			fds[(*count)++] = fd;
		}
	}
	*out = fds;
	return CORDON_OK;
}

static cordon_code make_pipe(int fds[2], cordon_error *err)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cordon_fail_errno(err, errno, "cannot create a pipe for the command");
	return CORDON_OK;
}

static void set_nonblocking(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* The run's descriptors while they are being set up: index 0 of each
 * pair is the read end. */
typedef struct spawn_fds {
	int report[2];
	int status[2];
	int control[2]; /* socketpair: [0] parent, [1] supervisor */
	int in[2], out[2], err[2];
} spawn_fds;

static void spawn_fds_init(spawn_fds *f)
{
	int *all = (int *)f;
	for (size_t i = 0; i < sizeof(*f) / sizeof(int); i++)
		all[i] = -1;
}

static void spawn_fds_close(spawn_fds *f)
{
	int *all = (int *)f;
	for (size_t i = 0; i < sizeof(*f) / sizeof(int); i++)
		close_fd(&all[i]);
}

static cordon_code open_run_fds(spawn_fds *f, const cordon_spawn_options *options, cordon_error *err)
{
	cordon_code code = make_pipe(f->report, err);
	if (code == CORDON_OK)
		code = make_pipe(f->status, err);
	if (code == CORDON_OK && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->control) < 0)
		code = cordon_fail_errno(err, errno, "cannot create the supervisor's control socket");
	if (code != CORDON_OK)
		return code;
	switch (options->stdio) {
	case CORDON_STDIO_INHERIT: return CORDON_OK;
	case CORDON_STDIO_PIPES:
		code = make_pipe(f->in, err);
		if (code == CORDON_OK)
			code = make_pipe(f->out, err);
		if (code == CORDON_OK)
			code = make_pipe(f->err, err);
		if (code == CORDON_OK) {
			set_nonblocking(f->in[1]);
			set_nonblocking(f->out[0]);
			set_nonblocking(f->err[0]);
		}
		return code;
	case CORDON_STDIO_PTY: return CORDON_OK; /* opened by the supervisor, inside the sandbox */
	}
	return cordon_fail(err, CORDON_E_INVALID, "unknown stdio mode %d", (int)options->stdio);
}

static void fill_supervisor_args(supervisor_args *args, const spawn_fds *f, const cordon_child *child,
				 const cordon_spawn_options *options)
{
	args->plan = child->plan;
	args->cwd = child->plan->policy->cwd;
	args->argv = options->argv;
	args->envp = options->envp;
	args->stdio = options->stdio;
	args->report_fd = f->report[1];
	args->status_fd = f->status[1];
	args->control_fd = f->control[1];
	args->pty_master = -1;
	args->pty_rows = options->rows;
	args->pty_cols = options->cols;
	const int parent_ends[6] = {f->report[0], f->status[0], f->control[0],
				    f->in[1],	  f->out[0],	f->err[0]};
	memcpy(args->parent_fds, parent_ends, sizeof(parent_ends));
	for (int i = 0; i < 3; i++)
		args->stdio_fds[i] = -1;
	if (options->stdio == CORDON_STDIO_PIPES) {
		args->stdio_fds[0] = f->in[0];
		args->stdio_fds[1] = f->out[1];
		args->stdio_fds[2] = f->err[1];
	}
}

static cordon_code setup_timed_out(const cordon_child *child, cordon_error *err)
{
	return cordon_fail(err, CORDON_E_TIMEOUT,
			   "the %u ms timeout passed while the sandbox was being set up; the command "
			   "never ran",
			   child->timeout_ms);
}

/* The run's deadline (the spawn timeout counts from the start of
 * cordon_spawn), or -1 for none. */
static int64_t run_deadline(const cordon_child *child)
{
	return child->timeout_ms > 0 ? child->started_ms + child->timeout_ms : -1;
}

/* Waits until fd is readable or the run's deadline passes (false). */
static bool wait_readable_before_deadline(const cordon_child *child, int fd)
{
	int64_t deadline = run_deadline(child);
	for (;;) {
		int wait_ms = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0)
				return false;
			wait_ms = (int)left;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int ready = poll(&p, 1, wait_ms);
		if (ready > 0 || (ready < 0 && errno != EINTR))
			return true; /* the read that follows reports any error */
	}
}

/* Reads the report pipe until every process of the run closed it: EOF
 * means the command reached execve (or reported why it could not). The
 * spawn timeout covers this wait: a set-up that hangs is killed. */
static cordon_code read_reports(cordon_child *child, int report_fd, cordon_error *err)
{
	cordon_code failure = CORDON_OK;
	for (;;) {
		spawn_report report;
		if (!wait_readable_before_deadline(child, report_fd))
			return failure != CORDON_OK ? failure : setup_timed_out(child, err);
		ssize_t n = read(report_fd, &report, sizeof(report));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (failure == CORDON_OK)
				failure =
					cordon_fail_errno(err, errno, "cannot read the sandbox setup report");
			break;
		}
		if (n == 0)
			break;
		if (n != (ssize_t)sizeof(report)) {
			if (failure == CORDON_OK)
				failure = cordon_fail(err, CORDON_E_SYSTEM,
						      "the sandbox setup report was truncated");
			continue;
		}
		report.message[sizeof(report.message) - 1] = '\0';
		switch (report.kind) {
		case SPAWN_REPORT_SETUP_ERROR:
			if (failure == CORDON_OK) {
				cordon_code code = report.value > 0 && report.value <= CORDON_E_STATE
							   ? (cordon_code)report.value
							   : CORDON_E_SYSTEM;
				failure = cordon_fail(err, code, "%s", report.message);
				if (err != NULL)
					err->sys_errno = report.sys_errno;
			}
			break;
		case SPAWN_REPORT_EXEC_FAILED:
			child->exec_code = report.value;
			memcpy(child->exec_detail, report.message, sizeof(child->exec_detail));
			break;
		default:
			if (failure == CORDON_OK)
				failure = cordon_fail(err, CORDON_E_SYSTEM,
						      "unexpected sandbox setup report %d", report.kind);
		}
	}
	return failure;
}

/* Waits for the supervisor to end and reaps it (__WALL: it was cloned
 * with no exit signal). A caller that reaped it itself leaves ECHILD. */
static void reap_supervisor(cordon_child *child)
{
	if (child->supervisor <= 0 || child->supervisor_reaped)
		return;
	int status;
	while (waitpid(child->supervisor, &status, __WALL) < 0 && errno == EINTR)
		;
	child->supervisor_reaped = true;
}

static void stop_proxy(cordon_child *child)
{
	cordon_proxy_stop(child->proxy);
	child->proxy = NULL;
}

static void release_child(cordon_child *child)
{
	reap_supervisor(child);
	stop_proxy(child);
	free(child->env);
	close_fd(&child->supervisor_pidfd);
	close_fd(&child->status_fd);
	close_fd(&child->control_fd);
	for (int i = 0; i < 4; i++)
		close_fd(&child->fds[i]);
	if (child->host_prepared)
		linux_plan_cleanup_host(child->plan);
	child->host_prepared = false;
	linux_plan_free(child->plan);
	child->plan = NULL;
	linux_host_free(&child->host);
	free(child);
}

static cordon_code validate_spawn(const cordon_resolved *policy, const cordon_spawn_options *options,
				  cordon_child **out, cordon_error *err)
{
	if (out == NULL || policy == NULL || options == NULL)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cordon_spawn needs a policy, options and an output");
	*out = NULL;
	if (options->argv == NULL || options->argv[0] == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "no command given: argv must name a program");
	if (options->stdio != CORDON_STDIO_INHERIT && options->stdio != CORDON_STDIO_PIPES &&
	    options->stdio != CORDON_STDIO_PTY)
		return cordon_fail(err, CORDON_E_INVALID, "unknown stdio mode %d", (int)options->stdio);
	return CORDON_OK;
}

static cordon_child *child_new(const cordon_spawn_options *options)
{
	cordon_child *child = calloc(1, sizeof(*child));
	if (child == NULL)
		return NULL;
	child->supervisor_pidfd = -1;
	child->status_fd = -1;
	child->control_fd = -1;
	for (int i = 0; i < 4; i++)
		child->fds[i] = -1;
	child->stdio = options->stdio;
	child->timeout_ms = options->timeout_ms;
	return child;
}

static bool env_name_matches(const char *entry, const char *assignment)
{
	size_t name_length = strcspn(assignment, "=");
	return strncmp(entry, assignment, name_length) == 0 && entry[name_length] == '=';
}

/* NO_PROXY sends the sandbox's own loopback names past the proxy, so the
 * command's own servers stay reachable; a name the caller allowlisted is
 * left out, because then the caller means the host's. Writes
 * "NO_PROXY=...\0no_proxy=...\0" into child->no_proxy. */
static void build_no_proxy(cordon_child *child, const cordon_resolved *policy)
{
	static const char *const loopback_names[] = {"localhost", "127.0.0.1", "::1"};
	char list[64] = "";
	for (size_t i = 0; i < sizeof(loopback_names) / sizeof(loopback_names[0]); i++) {
		if (cordon_proxy_host_allowed((const char *const *)policy->allowed_domains.items,
					      policy->allowed_domains.count, loopback_names[i]))
			continue;
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", used ? "," : "", loopback_names[i]);
	}
	snprintf(child->no_proxy[0], sizeof(child->no_proxy[0]), "NO_PROXY=%s", list);
	snprintf(child->no_proxy[1], sizeof(child->no_proxy[1]), "no_proxy=%s", list);
}

static bool is_no_proxy(const char *entry)
{
	return env_name_matches(entry, "NO_PROXY=") || env_name_matches(entry, "no_proxy=");
}

/* The command's environment with the proxy variables set (replacing any
 * the caller had). Allocates child->env: an array of pointers into the
 * caller's strings, static ones and child->no_proxy. */
static cordon_code build_proxy_environment(cordon_child *child, const cordon_resolved *policy,
					   const char *const *base, cordon_error *err)
{
	const char *const *proxy_env = cordon_proxy_environment();
	size_t base_count = 0, proxy_count = 0;
	while (base != NULL && base[base_count] != NULL)
		base_count++;
	while (proxy_env[proxy_count] != NULL)
		proxy_count++;
	child->env = calloc(base_count + proxy_count + 3, sizeof(*child->env));
	if (child->env == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot start the command: out of memory");
	size_t used = 0;
	for (size_t i = 0; i < base_count; i++) {
		bool replaced = is_no_proxy(base[i]);
		for (size_t j = 0; j < proxy_count && !replaced; j++)
			replaced = env_name_matches(base[i], proxy_env[j]);
		if (!replaced)
			child->env[used++] = (char *)base[i];
	}
	for (size_t j = 0; j < proxy_count; j++)
		if (!is_no_proxy(proxy_env[j]))
			child->env[used++] = (char *)proxy_env[j];
	build_no_proxy(child, policy);
	child->env[used++] = child->no_proxy[0];
	child->env[used++] = child->no_proxy[1];
	return CORDON_OK;
}

/* Network proxy mode: the allowlist proxy runs as a thread here, on the
 * host network; the relay inside the sandbox's network namespace reaches
 * it through *relay_fd. Without a network namespace (best-effort) the
 * command has no route to it and the plan says so. */
static cordon_code start_proxy(cordon_child *child, const cordon_resolved *policy,
			       const cordon_spawn_options *options, int *relay_fd, cordon_error *err)
{
	if (policy->network != CORDON_NETWORK_PROXY || !child->plan->sandboxed || !child->plan->use_netns)
		return CORDON_OK;
	cordon_code code = cordon_proxy_start((const char *const *)policy->allowed_domains.items,
					      policy->allowed_domains.count, relay_fd, &child->proxy, err);
	if (code != CORDON_OK)
		return code;
	return build_proxy_environment(
		child, policy, options->envp != NULL ? options->envp : (const char *const *)environ, err);
}

/* Plans the run. without_userns: an earlier attempt could not create the
 * namespaces, so plan as on a host without them. */
static cordon_code plan_run(cordon_child *child, const cordon_resolved *policy, bool without_userns,
			    cordon_error *err)
{
	cordon_code code = linux_host_probe(&child->host, err);
	if (code != CORDON_OK)
		return code;
	if (without_userns)
		child->host.userns_available = false;
	code = linux_plan_build(policy, &child->host, &child->plan, err);
	if (code != CORDON_OK)
		return code;
	child->pid_one = child->plan->sandboxed && (child->plan->clone_flags & CLONE_NEWPID) != 0;
	return CORDON_OK;
}

/* Placeholders on the host and the confinement (Landlock ruleset,
 * seccomp program): made after the caller's descriptors were listed, so
 * the supervisor keeps the ruleset descriptor open. */
static cordon_code prepare_run(cordon_child *child, linux_confine **confine, cordon_error *err)
{
	if (!child->plan->sandboxed)
		return CORDON_OK;
	cordon_code code = linux_plan_prepare_host(child->plan, err);
	if (code != CORDON_OK)
		return code;
	child->host_prepared = true;
	return linux_confine_prepare(child->plan, confine, err);
}

static cordon_code spawn_attempt(const cordon_resolved *policy, const cordon_spawn_options *options,
				 int64_t started_ms, bool without_userns, bool *namespaces_failed,
				 cordon_child **out, cordon_error *err);

cordon_code cordon_spawn(const cordon_resolved *policy, const cordon_spawn_options *options,
			 cordon_child **out, cordon_error *err)
{
	cordon_code code = validate_spawn(policy, options, out, err);
	if (code != CORDON_OK)
		return code;
	/* The spawn timeout counts from here: a set-up that hangs is part of
	 * the run. */
	int64_t started_ms = now_ms();
	bool namespaces_failed = false;
	code = spawn_attempt(policy, options, started_ms, false, &namespaces_failed, out, err);
	if (code == CORDON_OK || !namespaces_failed)
		return code;
	/* The host forbids user namespaces in a way its sysctls did not show:
	 * plan again without them, which refuses with a hint, or runs the
	 * best-effort layers when the caller asked for that. */
	return spawn_attempt(policy, options, started_ms, true, &namespaces_failed, out, err);
}

/* Ends a run whose set-up failed or timed out: the command never got past
 * execve. In a pid namespace killing pid 1 takes everything; a
 * full-access supervisor may have forked the command already, so it is
 * asked to kill its tree first and given KILL_GRACE_MS. */
static void abort_setup(cordon_child *child)
{
	if (!child->pid_one && child->supervisor_pidfd >= 0 && send_control(child, SPAWN_CONTROL_KILL, 0)) {
		struct pollfd p = {.fd = child->supervisor_pidfd, .events = POLLIN};
		while (poll(&p, 1, KILL_GRACE_MS) < 0 && errno == EINTR)
			;
	}
	pidfd_kill(child->supervisor_pidfd);
	reap_supervisor(child);
}

static cordon_code spawn_attempt(const cordon_resolved *policy, const cordon_spawn_options *options,
				 int64_t started_ms, bool without_userns, bool *namespaces_failed,
				 cordon_child **out, cordon_error *err)
{
	cordon_code code;
	cordon_child *child = child_new(options);
	if (child == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot start the command: out of memory");
	child->started_ms = started_ms;

	int *caller_fds = NULL;
	size_t caller_fd_count = 0;
	linux_confine *confine = NULL;
	spawn_fds f;
	spawn_fds_init(&f);

	int relay_fd = -1;
	code = plan_run(child, policy, without_userns, err);
	if (code == CORDON_OK)
		code = start_proxy(child, policy, options, &relay_fd, err);
	/* Listed after the proxy started, so the supervisor closes the
	 * proxy's own descriptors too. */
	if (code == CORDON_OK)
		code = list_caller_fds(&caller_fds, &caller_fd_count, err);
	if (code == CORDON_OK)
		code = prepare_run(child, &confine, err);
	if (code == CORDON_OK)
		code = open_run_fds(&f, options, err);
	if (code != CORDON_OK)
		goto fail;

	supervisor_args args;
	memset(&args, 0, sizeof(args));
	fill_supervisor_args(&args, &f, child, options);
	args.confine = child->plan->sandboxed ? confine : NULL;
	args.caller_fds = caller_fds;
	args.caller_fd_count = caller_fd_count;
	args.relay_fd = relay_fd;
	if (child->env != NULL)
		args.envp = (const char *const *)child->env;

	if (run_deadline(child) >= 0 && now_ms() >= run_deadline(child)) {
		code = setup_timed_out(child, err);
		goto fail;
	}
	args.uid = getuid();
	args.gid = getgid();

	pid_t supervisor = linux_supervisor_start(&args, &child->supervisor_pidfd);
	if (supervisor < 0) {
		int errnum = errno;
		if (errnum == EAGAIN || errnum == ENOMEM || !child->plan->sandboxed ||
		    child->plan->clone_flags == 0) {
			code = cordon_fail_errno(err, errnum, "cannot start the command (clone)");
		} else {
			/* The host forbids what its sysctls did not show. */
			child->namespaces_failed = true;
			code = cordon_fail(err, CORDON_E_UNSUPPORTED,
					   "cannot create the sandbox's namespaces (clone): %s",
					   strerror(errnum));
			if (err != NULL)
				err->sys_errno = errnum;
		}
		goto fail;
	}
	child->supervisor = supervisor;

	/* Keep only the parent's ends. */
	close_fd(&relay_fd);
	close_fd(&f.report[1]);
	close_fd(&f.status[1]);
	close_fd(&f.control[1]);
	close_fd(&f.in[0]);
	close_fd(&f.out[1]);
	close_fd(&f.err[1]);
	child->control_fd = f.control[0];
	f.control[0] = -1;
	child->status_fd = f.status[0];
	f.status[0] = -1;
	child->fds[CORDON_STREAM_STDIN] = f.in[1];
	child->fds[CORDON_STREAM_STDOUT] = f.out[0];
	child->fds[CORDON_STREAM_STDERR] = f.err[0];
	f.in[1] = f.out[0] = f.err[0] = -1;

	code = read_reports(child, f.report[0], err);
	/* Sent before the command was started, so it is there by now. */
	if (code == CORDON_OK && options->stdio == CORDON_STDIO_PTY)
		code = linux_pty_receive_master(child->control_fd, &child->fds[CORDON_STREAM_PTY], err);
	if (code != CORDON_OK) {
		/* The command never ran (or never got past its setup): make
		 * sure nothing of the run is left. */
		abort_setup(child);
		goto fail;
	}
	spawn_fds_close(&f);
	linux_confine_free(confine);
	free(caller_fds);
	*out = child;
	return CORDON_OK;

fail:
	*namespaces_failed = child->namespaces_failed;
	close_fd(&relay_fd);
	spawn_fds_close(&f);
	linux_confine_free(confine);
	free(caller_fds);
	release_child(child);
	return code;
}

/* -------------------------------------------------------------- wait */

static void request_kill(cordon_child *child)
{
	if (child->kill_requested || child->finished)
		return;
	child->kill_requested = true;
	child->kill_requested_ms = now_ms();
	/* In a pid namespace SIGKILL on pid 1 takes every process with it. A
	 * subreaper must first kill its descendants itself. */
	if (child->pid_one || !send_control(child, SPAWN_CONTROL_KILL, 0)) {
		pidfd_kill(child->supervisor_pidfd);
		child->hard_killed = true;
	}
}

static void fill_exit(cordon_child *child, bool have_status, const spawn_status *status)
{
	cordon_exit *e = &child->exit;
	memset(e, 0, sizeof(*e));
	e->seconds = (double)(now_ms() - child->started_ms) / 1000.0;
	if (child->timed_out) {
		e->kind = CORDON_EXIT_TIMEOUT;
		snprintf(e->detail, sizeof(e->detail), "killed after the %u ms timeout", child->timeout_ms);
		return;
	}
	if (!have_status) {
		/* The supervisor was killed (terminate, or from outside): so was the tree. */
		e->kind = CORDON_EXIT_SIGNAL;
		e->signal_number = SIGKILL;
		return;
	}
	int ws = status->wait_status;
	if (WIFSIGNALED(ws)) {
		e->kind = CORDON_EXIT_SIGNAL;
		e->signal_number = WTERMSIG(ws);
		return;
	}
	e->kind = CORDON_EXIT_CODE;
	e->code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 0;
	if (child->exec_code != 0 && e->code == child->exec_code) {
		e->kind = child->exec_code == 127 ? CORDON_EXIT_NOT_FOUND : CORDON_EXIT_NOT_EXECUTABLE;
		memcpy(e->detail, child->exec_detail, sizeof(e->detail));
	}
}

/* Returns once the supervisor has exited and is reaped: in a pid
 * namespace that is only after every process in it, and the run's
 * namespaces are gone by then too (the supervisor was their last member). */
static void await_supervisor_exit(cordon_child *child)
{
	reap_supervisor(child);
}

static void cleanup_host(cordon_child *child)
{
	if (child->host_prepared)
		linux_plan_cleanup_host(child->plan);
	child->host_prepared = false;
}

static void finish_run(cordon_child *child, bool have_status, const spawn_status *status)
{
	/* A status is sent only after the supervisor reaped every other
	 * process of the run: nothing but its own _exit is left, so the
	 * placeholders go back into the pool while the kernel tears the
	 * namespaces down (the supervisor is their last member), not after.
	 * Without a status the supervisor was killed and the kernel may still
	 * be killing the tree: the placeholders wait until it is gone. */
	if (have_status)
		cleanup_host(child);
	await_supervisor_exit(child);
	fill_exit(child, have_status, status);
	child->finished = true;
	close_fd(&child->status_fd);
	close_fd(&child->control_fd);
	close_fd(&child->supervisor_pidfd);
	stop_proxy(child);
	cleanup_host(child);
}

static int64_t earliest(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

cordon_code cordon_child_wait(cordon_child *child, int timeout_ms, cordon_exit *out, cordon_error *err)
{
	if (child == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cordon_child_wait needs a child");
	int64_t caller_deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	int64_t spawn_deadline = run_deadline(child);
	bool have_status = false;
	spawn_status status;

	while (!child->finished) {
		int64_t now = now_ms();
		if (!child->kill_requested && spawn_deadline >= 0 && now >= spawn_deadline) {
			child->timed_out = true;
			request_kill(child);
		}
		if (child->kill_requested && !child->hard_killed &&
		    now >= child->kill_requested_ms + KILL_GRACE_MS) {
			pidfd_kill(child->supervisor_pidfd);
			child->hard_killed = true;
		}
		if (caller_deadline >= 0 && now >= caller_deadline)
			return cordon_fail(err, CORDON_E_TIMEOUT, "the command is still running after %d ms",
					   timeout_ms);
		int64_t wake = caller_deadline;
		if (!child->kill_requested)
			wake = earliest(wake, spawn_deadline);
		else if (!child->hard_killed)
			wake = earliest(wake, child->kill_requested_ms + KILL_GRACE_MS);
		int wait_ms = wake < 0 ? -1 : (int)(wake > now ? wake - now : 0);

		struct pollfd p = {.fd = child->status_fd, .events = POLLIN};
		int ready = poll(&p, 1, wait_ms);
		if (ready < 0 && errno != EINTR)
			return cordon_fail_errno(err, errno, "cannot wait for the command");
		if (ready <= 0)
			continue;
		ssize_t n = read(child->status_fd, &status, sizeof(status));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		have_status = n == (ssize_t)sizeof(status);
		finish_run(child, have_status, &status);
	}
	if (out != NULL)
		*out = child->exit;
	return CORDON_OK;
}

cordon_code cordon_child_terminate(cordon_child *child, cordon_error *err)
{
	if (child == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cordon_child_terminate needs a child");
	if (child->finished)
		return CORDON_OK;
	request_kill(child);
	return cordon_child_wait(child, -1, NULL, err);
}

void cordon_child_free(cordon_child *child)
{
	if (child == NULL)
		return;
	if (!child->finished)
		cordon_child_terminate(child, NULL);
	release_child(child);
}

/* ------------------------------------------------------------- stdio */

int cordon_child_fd(const cordon_child *child, cordon_stream stream)
{
	if (child == NULL || (unsigned)stream > CORDON_STREAM_PTY)
		return -1;
	return child->fds[stream];
}

size_t cordon_child_not_enforced_count(const cordon_child *child)
{
	return child != NULL && child->plan != NULL ? child->plan->not_enforced_count : 0;
}

const char *cordon_child_not_enforced(const cordon_child *child, size_t index)
{
	if (index >= cordon_child_not_enforced_count(child))
		return NULL;
	return child->plan->not_enforced[index];
}

pid_t cordon_child_pid(const cordon_child *child)
{
	return child != NULL ? child->supervisor : -1;
}

static int input_fd(const cordon_child *child)
{
	return child->stdio == CORDON_STDIO_PTY ? child->fds[CORDON_STREAM_PTY]
						: child->fds[CORDON_STREAM_STDIN];
}

/* Writes everything, waiting for room; a closed reader gives EPIPE, never
 * a SIGPIPE that would kill the caller. */
static ssize_t write_all(int fd, const void *data, size_t length)
{
	sigset_t pipe_only, previous, pending;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigpending(&pending);
	bool was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);

	size_t done = 0;
	int failure = 0;
	while (done < length) {
		ssize_t n = write(fd, (const char *)data + done, length - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			poll(&p, 1, -1);
			continue;
		}
		failure = n < 0 ? errno : EIO;
		break;
	}
	if (failure == EPIPE && !was_pending) {
		struct timespec zero = {0, 0};
		sigtimedwait(&pipe_only, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (done == 0 && failure != 0) {
		errno = failure;
		return -1;
	}
	return (ssize_t)done;
}

ssize_t cordon_child_write(cordon_child *child, const void *data, size_t length)
{
	if (child == NULL || input_fd(child) < 0) {
		errno = child == NULL ? EINVAL : EBADF;
		return -1;
	}
	return write_all(input_fd(child), data, length);
}

cordon_code cordon_child_close_stdin(cordon_child *child, cordon_error *err)
{
	if (child == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cordon_child_close_stdin needs a child");
	if (child->stdio == CORDON_STDIO_PTY)
		return linux_pty_send_eof(child->fds[CORDON_STREAM_PTY], err);
	if (child->stdio != CORDON_STDIO_PIPES)
		return cordon_fail(err, CORDON_E_STATE,
				   "the command's stdin is inherited, not a pipe cordon holds");
	close_fd(&child->fds[CORDON_STREAM_STDIN]);
	return CORDON_OK;
}

ssize_t cordon_child_read(cordon_child *child, cordon_stream stream, void *buffer, size_t length,
			  int timeout_ms)
{
	if (child == NULL || (unsigned)stream > CORDON_STREAM_PTY || stream == CORDON_STREAM_STDIN) {
		errno = EINVAL;
		return -1;
	}
	/* On a pty the command's output is the master, whichever name is used. */
	if (child->stdio == CORDON_STDIO_PTY && stream == CORDON_STREAM_STDOUT)
		stream = CORDON_STREAM_PTY;
	int fd = child->fds[stream];
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	for (;;) {
		int64_t left = deadline < 0 ? -1 : deadline - now_ms();
		if (deadline >= 0 && left < 0)
			left = 0;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int ready = poll(&p, 1, (int)left);
		if (ready < 0 && errno != EINTR)
			return -1;
		if (ready == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (ready < 0)
			continue;
		ssize_t n = stream == CORDON_STREAM_PTY ? linux_pty_read(fd, buffer, length)
							: read(fd, buffer, length);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
}

cordon_code cordon_child_resize(cordon_child *child, unsigned short rows, unsigned short cols,
				cordon_error *err)
{
	if (child == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cordon_child_resize needs a child");
	if (child->stdio != CORDON_STDIO_PTY)
		return cordon_fail(err, CORDON_E_STATE,
				   "only a pty run can be resized; spawn it with CORDON_STDIO_PTY");
	return linux_pty_resize(child->fds[CORDON_STREAM_PTY], rows, cols, err);
}

cordon_code cordon_child_signal(cordon_child *child, int signal_number, cordon_error *err)
{
	if (child == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cordon_child_signal needs a child");
	if (signal_number <= 0 || signal_number >= NSIG)
		return cordon_fail(err, CORDON_E_INVALID, "%d is not a signal number", signal_number);
	if (child->finished)
		return cordon_fail(err, CORDON_E_STATE, "the command has already exited");
	if (!send_control(child, SPAWN_CONTROL_SIGNAL, signal_number))
		return cordon_fail(err, CORDON_E_STATE,
				   "the command's supervisor is gone; the run is ending");
	return CORDON_OK;
}
