/* The command's standard handles. Inherit mode: inheritable duplicates of
 * cordon's own (or NUL where cordon has none). Pipes mode: three pipes;
 * the parent reads stdout and stderr through overlapped named-pipe ends so
 * a read can wait with a timeout, and a read that timed out stays pending
 * in the reader so no byte is lost. Only the three child handles made
 * here are inheritable, and only they go in the process's handle list. */
#include "windows/win_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

#define PIPE_BUFFER_BYTES 65536

static HANDLE open_nul(bool for_input)
{
	SECURITY_ATTRIBUTES inherit = {sizeof(inherit), NULL, TRUE};
	return CreateFileW(L"NUL", for_input ? GENERIC_READ : GENERIC_WRITE,
			   FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
}

cordon_code win_stdio_inherit_given(const HANDLE given[3], win_stdio *stdio, cordon_error *err)
{
	memset(stdio, 0, sizeof(*stdio));
	for (int i = 0; i < 3; i++) {
		HANDLE copy = NULL;
		if (given[i] == NULL || !DuplicateHandle(GetCurrentProcess(), given[i], GetCurrentProcess(),
							 &copy, 0, TRUE, DUPLICATE_SAME_ACCESS))
			copy = open_nul(i == 0);
		if (copy == NULL || copy == INVALID_HANDLE_VALUE)
			return win_fail(err, GetLastError(), "cannot give the command a standard handle");
		stdio->child[i] = copy;
	}
	return CORDON_OK;
}

/* Inheritable duplicates of cordon's own standard handles (NUL where it
 * has none). */
static cordon_code inherit_standard(win_stdio *stdio, cordon_error *err)
{
	static const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
	HANDLE own[3];
	for (int i = 0; i < 3; i++) {
		own[i] = GetStdHandle(which[i]);
		if (own[i] == INVALID_HANDLE_VALUE)
			own[i] = NULL;
	}
	return win_stdio_inherit_given(own, stdio, err);
}

cordon_code win_output_pipe(win_reader *reader, HANDLE *child_end, bool inheritable, cordon_error *err)
{
	static volatile LONG serial;
	wchar_t name[96];
	SECURITY_ATTRIBUTES inherit = {sizeof(inherit), NULL, inheritable ? TRUE : FALSE};

	swprintf(name, sizeof(name) / sizeof(name[0]), L"\\\\.\\pipe\\cordon-%lu-%llu-%ld",
		 (unsigned long)GetCurrentProcessId(), (unsigned long long)GetTickCount64(),
		 (long)InterlockedIncrement(&serial));
	reader->pipe = CreateNamedPipeW(
		name, PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
		PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 0,
		PIPE_BUFFER_BYTES, 0, NULL);
	if (reader->pipe == INVALID_HANDLE_VALUE) {
		reader->pipe = NULL;
		return win_fail(err, GetLastError(), "cannot create a pipe for the command's output");
	}
	*child_end = CreateFileW(name, GENERIC_WRITE, 0, &inherit, OPEN_EXISTING, 0, NULL);
	if (*child_end == INVALID_HANDLE_VALUE) {
		*child_end = NULL;
		return win_fail(err, GetLastError(), "cannot open the command's end of an output pipe");
	}
	reader->event = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (reader->event == NULL)
		return win_fail(err, GetLastError(), "cannot create an event for the command's output");
	return CORDON_OK;
}

cordon_code win_stdio_prepare(cordon_stdio mode, unsigned short rows, unsigned short cols, win_stdio *stdio,
			      cordon_error *err)
{
	memset(stdio, 0, sizeof(*stdio));
	if (mode == CORDON_STDIO_INHERIT)
		return inherit_standard(stdio, err);
	if (mode == CORDON_STDIO_PTY)
		return win_pty_open(stdio, rows, cols, err);
	if (!CreatePipe(&stdio->child[0], &stdio->stdin_write, NULL, PIPE_BUFFER_BYTES))
		return win_fail(err, GetLastError(), "cannot create a pipe for the command's input");
	if (!SetHandleInformation(stdio->child[0], HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
		return win_fail(err, GetLastError(), "cannot pass the input pipe to the command");
	for (int i = 0; i < 2; i++) {
		cordon_code code = win_output_pipe(&stdio->readers[i], &stdio->child[i + 1], true, err);
		if (code != CORDON_OK)
			return code;
	}
	return CORDON_OK;
}

void win_stdio_close_child_ends(win_stdio *stdio)
{
	for (int i = 0; i < 3; i++) {
		if (stdio->child[i] != NULL)
			CloseHandle(stdio->child[i]);
		stdio->child[i] = NULL;
	}
	/* The pseudo console holds its own copies. */
	if (stdio->pty_input_read != NULL)
		CloseHandle(stdio->pty_input_read);
	if (stdio->pty_output_write != NULL)
		CloseHandle(stdio->pty_output_write);
	stdio->pty_input_read = NULL;
	stdio->pty_output_write = NULL;
}

static size_t hand_out(win_reader *reader, void *buffer, size_t length)
{
	size_t n = reader->have < length ? reader->have : length;
	memcpy(buffer, reader->buffer + reader->offset, n);
	reader->offset += (DWORD)n;
	reader->have -= (DWORD)n;
	return n;
}

/* After a read finished: the bytes are in the buffer, or the pipe ended. */
/* A pipe whose writer is gone has reached its end; anything else is an
 * I/O error. */
static long long read_failed(win_reader *reader, DWORD error)
{
	if (error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED) {
		reader->eof = true;
		return 0;
	}
	errno = EIO;
	return -1;
}

static long long read_finished(win_reader *reader, void *buffer, size_t length)
{
	DWORD got = 0;
	reader->pending = false;
	if (!GetOverlappedResult(reader->pipe, &reader->overlapped, &got, FALSE)) {
		return read_failed(reader, GetLastError());
	}
	reader->offset = 0;
	reader->have = got;
	return (long long)hand_out(reader, buffer, length);
}

long long win_reader_read(win_reader *reader, void *buffer, size_t length, int timeout_ms)
{
	if (reader->pipe == NULL) {
		errno = EBADF;
		return -1;
	}
	if (reader->have > 0)
		return (long long)hand_out(reader, buffer, length);
	if (reader->eof || length == 0)
		return 0;
	while (!reader->pending) {
		memset(&reader->overlapped, 0, sizeof(reader->overlapped));
		reader->overlapped.hEvent = reader->event;
		ResetEvent(reader->event);
		if (ReadFile(reader->pipe, reader->buffer, sizeof(reader->buffer), NULL,
			     &reader->overlapped) ||
		    GetLastError() == ERROR_IO_PENDING) {
			reader->pending = true;
			break;
		}
		return read_failed(reader, GetLastError());
	}
	DWORD waited = WaitForSingleObject(reader->event, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
	if (waited == WAIT_TIMEOUT) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (waited != WAIT_OBJECT_0) {
		errno = EIO;
		return -1;
	}
	long long n = read_finished(reader, buffer, length);
	/* A zero-byte message is not the end of the stream. */
	if (n == 0 && !reader->eof)
		return win_reader_read(reader, buffer, length, timeout_ms);
	return n;
}

static void close_reader(win_reader *reader)
{
	if (reader->pipe != NULL) {
		if (reader->pending) {
			DWORD ignored;
			/* The buffer must not be freed under a read in flight. */
			CancelIoEx(reader->pipe, &reader->overlapped);
			GetOverlappedResult(reader->pipe, &reader->overlapped, &ignored, TRUE);
		}
		CloseHandle(reader->pipe);
	}
	if (reader->event != NULL)
		CloseHandle(reader->event);
	reader->pipe = NULL;
	reader->event = NULL;
}

void win_stdio_close(win_stdio *stdio)
{
	win_stdio_close_child_ends(stdio);
	if (stdio->stdin_write != NULL)
		CloseHandle(stdio->stdin_write);
	stdio->stdin_write = NULL;
	win_pty_close(stdio);
	/* Closing the output end first lets a pseudo console blocked on a
	 * write see the pipe break and exit. */
	close_reader(&stdio->readers[0]);
	close_reader(&stdio->readers[1]);
	if (stdio->pty_closer != NULL) {
		WaitForSingleObject(stdio->pty_closer, 10000);
		CloseHandle(stdio->pty_closer);
		stdio->pty_closer = NULL;
	}
}
