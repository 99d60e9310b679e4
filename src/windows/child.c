/* The child half of the public API on Windows: reading and writing the
 * command's pipes, waiting, ending the run. A run ends when the job has
 * no process left. When the command's root process exits, cordon ends the
 * job at once: no descendant outlives the command (the seeds' successor
 * lets them run on; cordon does not).
 *
 * Exit status as on Linux: the command's own code, 124 after the spawn
 * timeout, 126 and 127 when the program could not be run. Windows has no
 * signals: a process ended by an exception exits with its NTSTATUS code
 * (0xC0000005 for an access violation), which cordon passes on unchanged
 * as a 32-bit code and names in exit.detail; a tree ended through
 * cordon_child_terminate reports signal 9, as on Linux. */
#include "windows/win_internal.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "proxy/proxy.h"

/* What cordon_child_terminate reports, as Linux's SIGKILL does. */
#define TERMINATED_SIGNAL 9

cordon_child *win_child_never_ran(cordon_exit_kind kind, const char *detail)
{
	cordon_child *child = calloc(1, sizeof(*child));
	if (child == NULL)
		return NULL;
	child->finished = true;
	child->exit.kind = kind;
	snprintf(child->exit.detail, sizeof(child->exit.detail), "%s", detail);
	return child;
}

int cordon_child_fd(const cordon_child *child, cordon_stream stream)
{
	/* Windows pipes are handles, not descriptors: use cordon_child_read. */
	(void)child;
	(void)stream;
	return -1;
}

pid_t cordon_child_pid(const cordon_child *child)
{
	return child != NULL && child->process != NULL ? (pid_t)child->pid : (pid_t)-1;
}

ssize_t cordon_child_write(cordon_child *child, const void *data, size_t length)
{
	const char *bytes = data;
	size_t done = 0;

	if (child == NULL || child->stdio.stdin_write == NULL) {
		errno = EBADF;
		return -1;
	}
	while (done < length) {
		DWORD chunk = length - done > 0x100000 ? 0x100000 : (DWORD)(length - done);
		DWORD written = 0;
		if (!WriteFile(child->stdio.stdin_write, bytes + done, chunk, &written, NULL)) {
			DWORD error = GetLastError();
			if (done > 0)
				break;
			errno = (error == ERROR_BROKEN_PIPE || error == ERROR_NO_DATA) ? EPIPE : EIO;
			return -1;
		}
		done += written;
	}
	return (ssize_t)done;
}

/* What a console reader takes for end of input at the start of a line:
 * Ctrl-Z, then Enter. */
static const char console_eof[] = "\x1a\r";

cordon_code cordon_child_close_stdin(cordon_child *child, cordon_error *err)
{
	if (child != NULL && child->stdio_mode == CORDON_STDIO_PTY) {
		if (cordon_child_write(child, console_eof, sizeof(console_eof) - 1) < 0)
			return cordon_fail(err, CORDON_E_SYSTEM,
					   "cannot send end of input to the command's terminal");
		return CORDON_OK;
	}
	if (child == NULL || child->stdio_mode != CORDON_STDIO_PIPES)
		return cordon_fail(err, CORDON_E_STATE,
				   "the command has no input pipe to close in this stdio mode");
	if (child->stdio.stdin_write != NULL)
		CloseHandle(child->stdio.stdin_write);
	child->stdio.stdin_write = NULL;
	return CORDON_OK;
}

ssize_t cordon_child_read(cordon_child *child, cordon_stream stream, void *buffer, size_t length,
			  int timeout_ms)
{
	bool pipes = child != NULL && child->stdio_mode == CORDON_STDIO_PIPES &&
		     (stream == CORDON_STREAM_STDOUT || stream == CORDON_STREAM_STDERR);
	bool pty = child != NULL && child->stdio_mode == CORDON_STDIO_PTY && stream == CORDON_STREAM_PTY;
	if (!pipes && !pty) {
		errno = EBADF;
		return -1;
	}
	win_reader *reader = &child->stdio.readers[stream == CORDON_STREAM_STDERR ? 1 : 0];
	return (ssize_t)win_reader_read(reader, buffer, length, timeout_ms);
}

cordon_code cordon_child_resize(cordon_child *child, unsigned short rows, unsigned short cols,
				cordon_error *err)
{
	if (child == NULL || child->stdio_mode != CORDON_STDIO_PTY)
		return cordon_fail(err, CORDON_E_STATE,
				   "the command has no terminal to resize (it runs without --pty)");
	if (child->remote != NULL)
		return win_remote_resize(child, rows, cols, err);
	return win_pty_resize(&child->stdio, rows, cols, err);
}

cordon_code cordon_child_terminate(cordon_child *child, cordon_error *err)
{
	if (child == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "no command to terminate");
	if (child->remote != NULL)
		return win_remote_terminate(child, err);
	if (child->finished || child->process == NULL)
		return CORDON_OK;
	/* A root that already exited keeps its own status. */
	if (!child->root_exited && WaitForSingleObject(child->process, 0) == WAIT_TIMEOUT)
		child->terminated = true;
	win_job_kill(&child->job, 1);
	return CORDON_OK;
}

cordon_code cordon_child_signal(cordon_child *child, int signal_number, cordon_error *err)
{
	/* Windows has no signals to deliver to a console program from
	 * outside: the two that end a process end the tree. SIGINT is
	 * Ctrl-C, which only a terminal cordon owns can target at the
	 * command alone: on a shared console CTRL_C_EVENT cannot be limited
	 * to one process group (GenerateConsoleCtrlEvent), and the command
	 * gets the console's own Ctrl-C there anyway. */
	if (signal_number == SIGTERM || signal_number == TERMINATED_SIGNAL)
		return cordon_child_terminate(child, err);
	if (signal_number == SIGINT && child != NULL && child->stdio_mode == CORDON_STDIO_PTY) {
		if (child->finished)
			return CORDON_OK;
		return win_pty_interrupt(&child->stdio, err);
	}
	if (signal_number == SIGINT)
		return cordon_fail(err, CORDON_E_UNSUPPORTED,
				   "cannot deliver SIGINT (Ctrl-C) to a command on Windows without a "
				   "terminal of its own: run it with the pty stdio mode (--pty), or end it "
				   "with SIGTERM");
	return cordon_fail(
		err, CORDON_E_UNSUPPORTED,
		"cannot deliver signal %d to a command on Windows: only SIGINT (with --pty: Ctrl-C on its "
		"terminal), SIGTERM and SIGKILL (both end the run's tree) are supported",
		signal_number);
}

size_t cordon_child_not_enforced_count(const cordon_child *child)
{
	return child != NULL ? child->notes.count : 0;
}

const char *cordon_child_not_enforced(const cordon_child *child, size_t index)
{
	if (child == NULL || index >= child->notes.count)
		return NULL;
	return child->notes.lines[index];
}

static const char *ntstatus_name(DWORD code)
{
	switch (code) {
	case 0xC0000005: return "STATUS_ACCESS_VIOLATION";
	case 0xC000001D: return "STATUS_ILLEGAL_INSTRUCTION";
	case 0xC0000094: return "STATUS_INTEGER_DIVIDE_BY_ZERO";
	case 0xC00000FD: return "STATUS_STACK_OVERFLOW";
	case 0xC0000135: return "STATUS_DLL_NOT_FOUND";
	case 0xC0000142: return "STATUS_DLL_INIT_FAILED";
	case 0xC000013A: return "STATUS_CONTROL_C_EXIT";
	case 0xC0000409: return "STATUS_STACK_BUFFER_OVERRUN";
	case 0xC0000022: return "STATUS_ACCESS_DENIED";
	default: return NULL;
	}
}

static void fill_exit(cordon_child *child)
{
	cordon_exit *e = &child->exit;
	memset(e, 0, sizeof(*e));
	e->acls_applied = child->acls_applied;
	e->acl_descriptors_written = child->acl_descriptors_written;
	e->seconds = (double)(GetTickCount64() - child->started_ms) / 1000.0;
	if (child->timed_out) {
		e->kind = CORDON_EXIT_TIMEOUT;
		snprintf(e->detail, sizeof(e->detail), "killed after the %u ms timeout", child->timeout_ms);
	} else if (child->terminated) {
		e->kind = CORDON_EXIT_SIGNAL;
		e->signal_number = TERMINATED_SIGNAL;
	} else {
		e->kind = CORDON_EXIT_CODE;
		e->code = (int)child->root_code;
		/* Error-severity NTSTATUS: the process died of an exception
		 * (or was ended with such a code). */
		if ((child->root_code & 0xC0000000u) == 0xC0000000u) {
			const char *name = ntstatus_name(child->root_code);
			snprintf(e->detail, sizeof(e->detail),
				 "the command ended with NTSTATUS 0x%08lX%s%s%s",
				 (unsigned long)child->root_code, name ? " (" : "", name ? name : "",
				 name ? ")" : "");
		}
	}
	child->finished = true;
}

/* Milliseconds from now until deadline (0 when passed, INFINITE for none). */
static DWORD until(ULONGLONG deadline)
{
	ULONGLONG now = GetTickCount64();
	if (deadline == ULLONG_MAX)
		return INFINITE;
	if (deadline <= now)
		return 0;
	return deadline - now > 0x7FFFFFFF ? 0x7FFFFFFF : (DWORD)(deadline - now);
}

cordon_code cordon_child_wait(cordon_child *child, int timeout_ms, cordon_exit *out, cordon_error *err)
{
	if (child == NULL || out == NULL)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cordon_child_wait needs a child and an exit to fill");
	if (child->remote != NULL)
		return win_remote_wait(child, timeout_ms, out, err);
	ULONGLONG wait_deadline = timeout_ms < 0 ? ULLONG_MAX : GetTickCount64() + (ULONGLONG)timeout_ms;
	while (!child->finished) {
		if (!child->root_exited) {
			ULONGLONG deadline = wait_deadline;
			ULONGLONG run_deadline = child->started_ms + child->timeout_ms;
			if (child->timeout_ms != 0 && !child->timed_out && run_deadline < deadline)
				deadline = run_deadline;
			DWORD waited = WaitForSingleObject(child->process, until(deadline));
			if (waited == WAIT_OBJECT_0) {
				child->root_exited = true;
				GetExitCodeProcess(child->process, &child->root_code);
				/* The root is gone: so is every descendant. */
				win_job_kill(&child->job, child->root_code);
			} else if (waited == WAIT_FAILED) {
				return win_fail(err, GetLastError(), "cannot wait for the command");
			} else if (child->timeout_ms != 0 && !child->timed_out &&
				   GetTickCount64() >= run_deadline) {
				child->timed_out = true;
				win_job_kill(&child->job, WAIT_TIMEOUT);
			} else if (GetTickCount64() >= wait_deadline) {
				return cordon_fail(err, CORDON_E_TIMEOUT, "the command is still running");
			}
			continue;
		}
		DWORD slice = until(wait_deadline);
		if (slice == INFINITE || slice > 1000)
			slice = 1000;
		if (win_job_wait_empty(&child->job, slice)) {
			fill_exit(child);
			/* No thread of the run is left on its desktop. */
			win_desktop_close(&child->desktop);
			/* Every process is gone: the terminal's output ends once
			 * its host has written what is left. */
			win_pty_close(&child->stdio);
		} else if (GetTickCount64() >= wait_deadline)
			return cordon_fail(err, CORDON_E_TIMEOUT, "a process of the command is still ending");
	}
	*out = child->exit;
	return CORDON_OK;
}

void cordon_child_free(cordon_child *child)
{
	if (child == NULL)
		return;
	/* The runner's job first: the runner and the command die with it. */
	win_remote_free(child->remote);
	/* Closing the job's only handle kills whatever still runs. */
	win_job_close(&child->job);
	win_desktop_close(&child->desktop);
	if (child->process != NULL)
		CloseHandle(child->process);
	win_stdio_close(&child->stdio);
	/* After the job: nothing of the command is left to use it. */
	cordon_proxy_stop(child->proxy);
	free(child);
}
