/* Signals sent to cordon that belong to the command: the handlers only
 * write the signal number to a pipe; the supervising loop forwards them
 * with cordon_child_signal. */
#include "cli/cli.h"

#ifndef _WIN32
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int signal_pipe[2] = {-1, -1};

/* Signals meant for whoever runs in the sandbox, not for cordon. */
static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* Without --pty, cordon is the job the caller's shell controls: Ctrl-Z
 * must stop the command as well as cordon, and fg or bg must resume both.
 * (With --pty the command has a terminal of its own and Ctrl-Z is a byte
 * on it.) */
static const int job_control_signals[] = {SIGTSTP, SIGCONT};

static void note_signal(int signal_number)
{
	int saved = errno;
	unsigned char byte = (unsigned char)signal_number;
	ssize_t ignored = write(signal_pipe[1], &byte, 1);
	(void)ignored;
	errno = saved;
}

/* A handler (not SIG_IGN) so the command, after execve, starts with the
 * default dispositions again. */
static void ignore_signal(int signal_number)
{
	(void)signal_number;
}

static bool install_handler(int signal_number, void (*handler)(int))
{
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = handler;
	action.sa_flags = SA_RESTART;
	sigemptyset(&action.sa_mask);
	return sigaction(signal_number, &action, NULL) == 0;
}

bool cli_signals_install(bool pty)
{
	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return false;
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		if (!install_handler(forwarded_signals[i], note_signal))
			return false;
	if (pty)
		return install_handler(SIGWINCH, note_signal) && install_handler(SIGPIPE, ignore_signal);
	for (size_t i = 0; i < sizeof(job_control_signals) / sizeof(job_control_signals[0]); i++)
		if (!install_handler(job_control_signals[i], note_signal))
			return false;
	return true;
}

int cli_signals_fd(void)
{
	return signal_pipe[0];
}

void cli_signals_forward(cordon_child *child, bool *resized)
{
	unsigned char pending[64];
	ssize_t count;

	while ((count = read(signal_pipe[0], pending, sizeof(pending))) > 0) {
		for (ssize_t i = 0; i < count; i++) {
			if (pending[i] == SIGWINCH) {
				*resized = true;
				continue;
			}
			/* The run may be ending; a failed delivery has nothing
			 * left to reach. */
			cordon_error err;
			if (pending[i] == SIGTSTP) {
				/* SIGSTOP, not SIGTSTP: the command leads a session
				 * of its own, an orphaned process group, and the
				 * kernel drops SIGTSTP sent to one. Then cordon
				 * stops itself, so the shell sees the job stop; the
				 * SIGCONT that resumes it is forwarded in turn. */
				cordon_child_signal(child, SIGSTOP, &err);
				raise(SIGSTOP);
				continue;
			}
			cordon_child_signal(child, pending[i], &err);
		}
	}
}
#else
/* Windows: console control events. Ctrl-C and Ctrl-Break typed at
 * cordon's console reach every process attached to it (the console's own
 * rule); the command shares cordon's console and process group when it
 * runs without --pty, so it gets them itself, exactly as it would outside
 * cordon, and decides what they mean. cordon's handler only keeps cordon
 * alive, so it can wait for the command, pass on its status and write
 * the run log, as Linux's cordon forwards SIGINT and waits. With --pty the
 * console is raw: Ctrl-C is a byte on the command's pseudo console, and
 * Ctrl-Break, which a console raises even then, is typed there as Ctrl-C
 * (a pseudo console has no input for Break). Closing the console, logoff
 * and shutdown keep their default: cordon ends, and the job with it. */
#include <windows.h>

#include <signal.h>

static volatile LONG breaks_pending;
static bool relay_breaks;

static BOOL WINAPI on_console_event(DWORD event)
{
	switch (event) {
	case CTRL_BREAK_EVENT:
		if (relay_breaks)
			InterlockedIncrement(&breaks_pending);
		return TRUE;
	case CTRL_C_EVENT: return TRUE;
	default: return FALSE;
	}
}

bool cli_signals_install(bool pty)
{
	relay_breaks = pty;
	return SetConsoleCtrlHandler(on_console_event, TRUE) != 0;
}

int cli_signals_fd(void)
{
	return -1;
}

void cli_signals_forward(cordon_child *child, bool *resized)
{
	(void)resized;
	while (InterlockedExchange(&breaks_pending, 0) > 0) {
		/* The run may be ending; a failed delivery has nothing left
		 * to reach. */
		cordon_error err;
		cordon_child_signal(child, SIGINT, &err);
	}
}
#endif
