/* --pty: the user's terminal in raw mode, relayed to and from the pty the
 * command runs on. In raw mode Ctrl-C and Ctrl-Z are plain bytes; the
 * pty's own line discipline turns them into signals for the command, so
 * they reach the command and never cordon. */
#include "cli/cli.h"

#ifndef _WIN32

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define RELAY_SLICE_MS 50
/* After the run ended, how long the pty may stay silent without reaching
 * end of file before the relay stops waiting for it. */
#define DRAIN_IDLE_MS  1000
#define DRAIN_SLICE_MS 100
#define RELAY_BUFFER   16384

static struct termios saved_termios;
static volatile sig_atomic_t raw_active;
static bool restore_hooks_installed;

/* What the line discipline had completed before raw mode began: whole
 * lines, and each end-of-file the user typed turned back into the VEOF
 * key. Left in the queue, an end-of-file would reach the command as a NUL
 * byte once the terminal is raw (the kernel keeps it as one). */
static char early_input[RELAY_BUFFER];
static size_t early_length;

bool cli_terminal_is_raw(void)
{
	return raw_active != 0;
}

void cli_terminal_restore(void)
{
	if (!raw_active)
		return;
	/* tcsetattr is async-signal-safe, so fatal signal handlers can call
	 * this too. */
	tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
	raw_active = 0;
}

static void restore_and_die(int signal_number)
{
	cli_terminal_restore();
	/* SA_RESETHAND put the default action back. */
	raise(signal_number);
}

static void install_restore_hooks(void)
{
	static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
	struct sigaction action;

	if (restore_hooks_installed)
		return;
	restore_hooks_installed = true;
	atexit(cli_terminal_restore);
	memset(&action, 0, sizeof(action));
	action.sa_handler = restore_and_die;
	action.sa_flags = SA_RESETHAND;
	sigemptyset(&action.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &action, NULL);
}

static bool ends_line(const struct termios *modes, char c)
{
	return c == '\n' ||
	       (c != _POSIX_VDISABLE && (c == (char)modes->c_cc[VEOL] || c == (char)modes->c_cc[VEOL2]));
}

static void append_eof_key(void)
{
	cc_t eof = saved_termios.c_cc[VEOF];
	if (eof != _POSIX_VDISABLE && early_length < sizeof(early_input))
		early_input[early_length++] = (char)eof;
}

/* Reads what the canonical line discipline already holds, without
 * waiting: a read of 0 is an end-of-file typed at the start of a line, a
 * read that does not end a line was cut short by one. */
static void take_canonical_input(void)
{
	/* A terminal already in non-canonical mode holds plain bytes, which
	 * the relay reads as they are. */
	if ((saved_termios.c_lflag & ICANON) == 0)
		return;
	while (early_length + 1 < sizeof(early_input)) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		if (poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0)
			return;
		size_t room = sizeof(early_input) - 1 - early_length;
		ssize_t got = read(STDIN_FILENO, early_input + early_length, room);
		if (got < 0)
			return;
		early_length += (size_t)got;
		if (got == 0 ||
		    ((size_t)got < room && !ends_line(&saved_termios, early_input[early_length - 1])))
			append_eof_key();
	}
}

void cli_terminal_enter_raw(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) != 0)
		return;
	install_restore_hooks();
	take_canonical_input();
	raw = saved_termios;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
		raw_active = 1;
}

bool cli_terminal_size(unsigned short *rows, unsigned short *cols)
{
	struct winsize size;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &size) != 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0)
		return false;
	if (size.ws_row == 0 || size.ws_col == 0)
		return false;
	*rows = size.ws_row;
	*cols = size.ws_col;
	return true;
}

/* What the relay is doing, one field per direction. */
typedef struct relay {
	cordon_child *child;
	int master;
	bool master_open;
	bool stdin_open;
	bool stdin_eof_pending; /* stdin ended; tell the pty once input is flushed */
	bool stdout_open;
	char input[RELAY_BUFFER];
	size_t input_length;
	size_t input_offset;
} relay;

static void write_all_stdout(relay *r, const char *data, size_t length)
{
	while (r->stdout_open && length > 0) {
		ssize_t written = write(STDOUT_FILENO, data, length);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0) {
			/* Nobody reads any more; keep draining so the command
			 * is not stuck on a full pty. */
			r->stdout_open = false;
			return;
		}
		data += written;
		length -= (size_t)written;
	}
}

static void send_eof_if_due(relay *r)
{
	if (!r->stdin_eof_pending || r->input_length > 0)
		return;
	r->stdin_eof_pending = false;
	if (r->master_open) {
		cordon_error ignored;
		cordon_child_close_stdin(r->child, &ignored);
	}
}

static void read_stdin(relay *r)
{
	ssize_t got = read(STDIN_FILENO, r->input, sizeof(r->input));
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (got <= 0) {
		r->stdin_open = false;
		r->stdin_eof_pending = true;
		send_eof_if_due(r);
		return;
	}
	r->input_length = (size_t)got;
	r->input_offset = 0;
}

static void write_master(relay *r)
{
	ssize_t written = write(r->master, r->input + r->input_offset, r->input_length - r->input_offset);
	if (written < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (written < 0) {
		/* The command's side is gone: its input has nowhere to go. */
		r->input_length = 0;
		r->stdin_open = false;
		return;
	}
	r->input_offset += (size_t)written;
	if (r->input_offset == r->input_length) {
		r->input_length = 0;
		send_eof_if_due(r);
	}
}

/* Returns whether anything was read. */
static bool read_master(relay *r)
{
	char buffer[RELAY_BUFFER];
	ssize_t got = read(r->master, buffer, sizeof(buffer));
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (got <= 0) {
		/* EIO: every descriptor of the pty's other side is closed. */
		r->master_open = false;
		return false;
	}
	write_all_stdout(r, buffer, (size_t)got);
	return true;
}

static void forward_signals(relay *r)
{
	bool resized = false;
	unsigned short rows, cols;

	cli_signals_forward(r->child, &resized);
	if (resized && cli_terminal_size(&rows, &cols)) {
		cordon_error ignored;
		cordon_child_resize(r->child, rows, cols, &ignored);
	}
}

/* One round of poll over the signal pipe, stdin and the pty. Returns false
 * when poll itself failed. */
static bool relay_once(relay *r, int timeout_ms, bool *activity)
{
	struct pollfd fds[3];
	nfds_t count = 0;
	int stdin_slot = -1, master_slot = -1;

	fds[count++] = (struct pollfd){.fd = cli_signals_fd(), .events = POLLIN};
	if (r->stdin_open && r->input_length == 0 && r->master_open) {
		stdin_slot = (int)count;
		fds[count++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
	}
	if (r->master_open) {
		master_slot = (int)count;
		fds[count++] = (struct pollfd){
			.fd = r->master,
			.events = (short)(POLLIN | (r->input_length > 0 ? POLLOUT : 0)),
		};
	}
	*activity = false;
	int ready = poll(fds, count, timeout_ms);
	if (ready < 0)
		return errno == EINTR;
	if (ready == 0)
		return true;
	if (fds[0].revents & POLLIN)
		forward_signals(r);
	if (master_slot >= 0 && fds[master_slot].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
		*activity = read_master(r) || !r->master_open;
	if (master_slot >= 0 && r->master_open && fds[master_slot].revents & POLLOUT)
		write_master(r);
	if (stdin_slot >= 0 && fds[stdin_slot].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
		read_stdin(r);
	return true;
}

static cordon_code poll_failed(cordon_error *err)
{
	err->code = CORDON_E_SYSTEM;
	err->sys_errno = errno;
	snprintf(err->message, sizeof(err->message),
		 "cannot relay the terminal: poll failed: %s; retry without --pty", strerror(errno));
	return CORDON_E_SYSTEM;
}

cordon_code cli_terminal_relay(cordon_child *child, cordon_exit *exit_info, cordon_error *err)
{
	static relay r;
	bool exited = false, activity;
	int idle_ms = 0;

	memset(&r, 0, sizeof(r));
	r.child = child;
	r.master = cordon_child_fd(child, CORDON_STREAM_PTY);
	r.master_open = r.master >= 0;
	r.stdin_open = true;
	r.stdout_open = true;
	memcpy(r.input, early_input, early_length);
	r.input_length = early_length;
	early_length = 0;
	if (r.master_open)
		fcntl(r.master, F_SETFL, fcntl(r.master, F_GETFL) | O_NONBLOCK);

	while (!exited) {
		cordon_code code;
		if (!r.master_open) {
			/* Nothing left to relay: just supervise. */
			code = cordon_child_wait(child, RELAY_SLICE_MS, exit_info, err);
			bool ignored = false;
			cli_signals_forward(child, &ignored);
		} else {
			if (!relay_once(&r, RELAY_SLICE_MS, &activity))
				return poll_failed(err);
			code = cordon_child_wait(child, 0, exit_info, err);
		}
		if (code == CORDON_OK)
			exited = true;
		else if (code != CORDON_E_TIMEOUT)
			return code;
	}
	/* The last bytes the command wrote may still sit in the pty; input
	 * typed now has no one left to read it. */
	r.stdin_open = false;
	while (r.master_open && idle_ms < DRAIN_IDLE_MS) {
		if (!relay_once(&r, DRAIN_SLICE_MS, &activity))
			return poll_failed(err);
		idle_ms = activity ? 0 : idle_ms + DRAIN_SLICE_MS;
	}
	return CORDON_OK;
}
#else
/* Windows: the console in raw VT mode, relayed to and from the pseudo
 * console the command runs on. Console input is read on a thread of its
 * own (a console handle cannot be waited on for "a line is ready" the way
 * poll works); output is read here with a timeout, between waits. */
#include <windows.h>

#include <io.h>
#include <stdio.h>
#include <stdlib.h>

#define RELAY_SLICE_MS 50

static HANDLE console_in = INVALID_HANDLE_VALUE;
static HANDLE console_out = INVALID_HANDLE_VALUE;
static DWORD saved_in_mode;
static DWORD saved_out_mode;
static volatile LONG raw_active;

void cli_terminal_restore(void)
{
	if (InterlockedExchange(&raw_active, 0) == 0)
		return;
	SetConsoleMode(console_in, saved_in_mode);
	SetConsoleMode(console_out, saved_out_mode);
}

void cli_terminal_enter_raw(void)
{
	console_in = GetStdHandle(STD_INPUT_HANDLE);
	console_out = GetStdHandle(STD_OUTPUT_HANDLE);
	if (!GetConsoleMode(console_in, &saved_in_mode) || !GetConsoleMode(console_out, &saved_out_mode))
		return; /* not a console: bytes pass as they are */
	/* No line editing, echo or Ctrl-C handling here: the command's
	 * console does them. Keys arrive as VT sequences. */
	SetConsoleMode(console_in, ENABLE_VIRTUAL_TERMINAL_INPUT);
	SetConsoleMode(console_out,
		       saved_out_mode | ENABLE_PROCESSED_OUTPUT | ENABLE_VIRTUAL_TERMINAL_PROCESSING);
	InterlockedExchange(&raw_active, 1);
	atexit(cli_terminal_restore);
}

bool cli_terminal_is_raw(void)
{
	return false;
}

bool cli_terminal_size(unsigned short *rows, unsigned short *cols)
{
	CONSOLE_SCREEN_BUFFER_INFO info;
	if (!GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE), &info))
		return false;
	*rows = (unsigned short)(info.srWindow.Bottom - info.srWindow.Top + 1);
	*cols = (unsigned short)(info.srWindow.Right - info.srWindow.Left + 1);
	return true;
}

/* The console window's size, followed: the relay's input thread reads
 * bytes (ReadFile), which carry no WINDOW_BUFFER_SIZE_EVENT, so the size is
 * asked between reads instead, every RELAY_SLICE_MS. A pseudo console that
 * cannot be resized (Wine: E_NOTIMPL) is not asked again: the session
 * goes on at its old size. */
typedef struct size_follower {
	unsigned short rows, cols;
	bool known;
	bool given_up;
} size_follower;

static void follow_size(cordon_child *child, size_follower *size)
{
	unsigned short rows, cols;
	if (size->given_up || !cli_terminal_size(&rows, &cols))
		return;
	if (size->known && rows == size->rows && cols == size->cols)
		return;
	bool first = !size->known;
	size->rows = rows;
	size->cols = cols;
	size->known = true;
	if (first)
		return; /* the pseudo console was made at this size */
	cordon_error err = {0};
	if (cordon_child_resize(child, rows, cols, &err) == CORDON_E_UNSUPPORTED)
		size->given_up = true;
}

/* cordon's own stdin and stdout as the C runtime opened them: the
 * process's standard handles can change under it (Wine gives a process
 * creating a pseudo console a console of its own). */
static HANDLE own_handle(FILE *stream)
{
	return (HANDLE)_get_osfhandle(_fileno(stream));
}

/* Console (or piped) input to the command until it ends; then the
 * terminal's end of input. */
static DWORD WINAPI relay_input(void *context)
{
	cordon_child *child = context;
	cordon_error err = {0};
	char buffer[4096];
	DWORD got;
	while (ReadFile(own_handle(stdin), buffer, sizeof(buffer), &got, NULL) && got > 0)
		if (cordon_child_write(child, buffer, got) < 0)
			return 0;
	cordon_child_close_stdin(child, &err);
	return 0;
}

static void write_out(const char *data, DWORD length)
{
	HANDLE out = own_handle(stdout);
	while (length > 0) {
		DWORD written = 0;
		if (!WriteFile(out, data, length, &written, NULL) || written == 0)
			return;
		data += written;
		length -= written;
	}
}

cordon_code cli_terminal_relay(cordon_child *child, cordon_exit *exit_info, cordon_error *err)
{
	char buffer[16384];
	bool exited = false;
	bool output_open = true;
	bool resized = false;
	size_follower size = {0};
	HANDLE input = CreateThread(NULL, 0, relay_input, child, 0, NULL);

	if (input == NULL) {
		snprintf(err->message, sizeof(err->message),
			 "cannot relay input to the command's terminal (Windows error %lu)",
			 (unsigned long)GetLastError());
		err->code = CORDON_E_SYSTEM;
		cordon_child_terminate(child, NULL);
		cordon_child_wait(child, -1, exit_info, NULL);
		return CORDON_E_SYSTEM;
	}
	follow_size(child, &size);
	while (!exited || output_open) {
		if (!exited) {
			cli_signals_forward(child, &resized);
			follow_size(child, &size);
		}
		if (output_open) {
			ssize_t n = cordon_child_read(child, CORDON_STREAM_PTY, buffer, sizeof(buffer),
						      RELAY_SLICE_MS);
			if (n > 0)
				write_out(buffer, (DWORD)n);
			else if (n == 0)
				output_open = false;
		}
		if (!exited) {
			cordon_code code =
				cordon_child_wait(child, output_open ? 0 : RELAY_SLICE_MS, exit_info, err);
			if (code == CORDON_OK)
				exited = true;
			else if (code != CORDON_E_TIMEOUT)
				return code;
		}
	}
	/* The input thread may still sit in a read of the console. */
	CancelSynchronousIo(input);
	WaitForSingleObject(input, 1000);
	CloseHandle(input);
	return CORDON_OK;
}
#endif
