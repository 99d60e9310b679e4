/* What spawn.c, supervisor.c and pty.c share: the records the processes of
 * a run send each other, and the arguments of the supervisor. Only the
 * spawn module includes this. */
#ifndef CORDON_LINUX_SPAWN_INTERNAL_H
#define CORDON_LINUX_SPAWN_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "cordon.h"
#include "sandbox.h"

/* One record on the report pipe (supervisor and command -> cordon_spawn).
 * Small and fixed so a write is atomic (< PIPE_BUF). */
typedef enum spawn_report_kind {
	SPAWN_REPORT_SETUP_ERROR = 1, /* value: cordon_code; the command never ran */
	SPAWN_REPORT_EXEC_FAILED,     /* value: 126 or 127; the command could not be executed */
} spawn_report_kind;

typedef struct spawn_report {
	int kind;
	int value;
	int sys_errno;
	char message[256];
} spawn_report;

/* One record on the status pipe (supervisor -> cordon_child_wait), sent once
 * every process of the run is gone. */
typedef struct spawn_status {
	int wait_status; /* the command's raw wait status */
	int killed;	 /* the tree was killed on request (SPAWN_CONTROL_KILL) */
} spawn_status;

/* One record on the control pipe (cordon_spawn/child API -> supervisor). */
typedef enum spawn_control_kind {
	SPAWN_CONTROL_SIGNAL = 1, /* value: a signal for the command's foreground group */
	SPAWN_CONTROL_KILL,	  /* kill every process of the run, then report */
	/* supervisor -> cordon_spawn, the one record sent that way: the pty
	 * master, attached as SCM_RIGHTS. */
	SPAWN_CONTROL_PTY_MASTER,
} spawn_control_kind;

typedef struct spawn_control {
	int kind;
	int value;
} spawn_control;

/* Everything the supervisor and the command need, built before the clone
 * so nothing is allocated afterwards. */
typedef struct supervisor_args {
	const linux_plan *plan;
	const linux_confine *confine; /* NULL when not sandboxed */
	const char *cwd;
	const char *const *argv;
	const char *const *envp;
	cordon_stdio stdio;
	int report_fd;	  /* write end, CLOEXEC */
	int status_fd;	  /* write end, CLOEXEC */
	int control_fd;	  /* the supervisor's end of the control socket, CLOEXEC */
	int stdio_fds[3]; /* the command's 0, 1, 2 (pipes or the pty slave three times); -1: inherit */
	/* -1 until the supervisor opened the pty (CORDON_STDIO_PTY): it keeps
	 * the master to find the foreground group. */
	int pty_master;
	unsigned short pty_rows, pty_cols; /* the pty's first size; 0: 24 x 80 */
	int relay_fd; /* -1 unless network proxy: the relay's end of the proxy control socket */
	uid_t uid;    /* the caller's ids, mapped into the sandbox's user namespace */
	gid_t gid;
	/* The caller's descriptors open before the run was set up: closed in
	 * the supervisor so no run keeps another run's pipes open. */
	const int *caller_fds;
	size_t caller_fd_count;
	/* The parent's ends of this run's pipes (-1 when unused): closed in
	 * the supervisor, or EOF would never reach the other side. */
	int parent_fds[6];
} supervisor_args;

/* Clones the supervisor into the plan's namespaces (all of them in the one
 * clone; none when not sandboxed) and returns its pid with *pidfd holding
 * it, or -1 with errno (failed to create the namespaces or the process).
 * The supervisor is reaped with __WALL: it sends the caller no SIGCHLD. */
pid_t linux_supervisor_start(const supervisor_args *args, int *pidfd);

/* Sends a record on the report pipe (best effort, async-signal-safe). */
void spawn_report_send(int fd, spawn_report_kind kind, int value, int sys_errno, const char *message);

/* pty.c: allocate a pty pair sized rows x cols (0: 24 x 80) from the
 * /dev/ptmx of the calling process's mount namespace. Both ends are
 * CLOEXEC; the slave is not our ctty. Safe after fork. */
cordon_code linux_pty_open(unsigned short rows, unsigned short cols, int *master, int *slave,
			   cordon_error *err);
/* Supervisor: sends the master to cordon_spawn over the control socket. */
bool linux_pty_send_master(int socket_fd, int master);
/* cordon_spawn: receives it (CLOEXEC, made non-blocking). */
cordon_code linux_pty_receive_master(int socket_fd, int *master, cordon_error *err);
cordon_code linux_pty_resize(int master, unsigned short rows, unsigned short cols, cordon_error *err);
/* Writes the terminal's VEOF character (end of input for a canonical reader). */
cordon_code linux_pty_send_eof(int master, cordon_error *err);
/* read(2) on the master with EIO (every slave closed, output drained)
 * turned into 0, end of stream. */
ssize_t linux_pty_read(int master, void *buffer, size_t length);

#endif
