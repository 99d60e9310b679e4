/* The named pipe between cordon (the user side) and its elevated-mode
 * runner: creating it so that only the user and the sandbox account can
 * open it, moving frames of the runner protocol
 * (windows/plan/runner_protocol.h) over it, and asking who is on the
 * other end. Only src/windows and the Wine plumbing test include this. */
#ifndef CORDON_WINDOWS_RUNNER_PIPE_H
#define CORDON_WINDOWS_RUNNER_PIPE_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordon.h"
#include "windows/plan/runner_protocol.h"
#include "windows/plan/sid.h"

#define WIN_RUNNER_PIPE_NAME_MAX 96
/* The runner's command line: `cordon.exe __runner PIPE SERVER_PID`. */
#define WIN_RUNNER_VERB	  "__runner"
#define WIN_RUNNER_VERB_W L"__runner"

/* Creates the server end: a random name (\\.\pipe\cordon-runner-<128
 * random bits>), FILE_FLAG_FIRST_PIPE_INSTANCE (fails if the name is
 * taken), one instance, remote clients rejected, overlapped, and a
 * protected DACL granting GENERIC_ALL to this process's user and
 * GENERIC_READ | GENERIC_WRITE to each SID of allowed (the sandbox
 * account) -- nobody else, Administrators and Everyone included. Fills
 * name (UTF-16) and *pipe. */
cordon_code win_runner_pipe_create(const cordon_sid *allowed, size_t allowed_count, wchar_t *name,
				   size_t name_size, HANDLE *pipe, cordon_error *err);

/* The DACL win_runner_pipe_create sets, as SDDL (allocated, free()), for
 * messages and tests. */
char *win_runner_pipe_sddl(const cordon_sid *user, const cordon_sid *allowed, size_t allowed_count);

/* Moves exactly length bytes through an overlapped pipe handle, waiting;
 * false (GetLastError set) on error or when the other end is gone. Safe
 * to call from one reading and one writing thread at once. */
bool win_pipe_exact(HANDLE pipe, bool write, void *buffer, DWORD length);

/* Frames are written whole, one thread at a time. */
typedef struct win_frame_writer {
	HANDLE pipe;
	CRITICAL_SECTION lock;
} win_frame_writer;

void win_frame_writer_init(win_frame_writer *writer, HANDLE pipe);
void win_frame_writer_destroy(win_frame_writer *writer);
bool win_frame_send(win_frame_writer *writer, cordon_runner_frame_type type, const void *payload,
		    uint32_t length);

/* Reads one frame; the header is checked (runner_protocol.h) before its
 * payload is read. Allocates *payload (free(); NULL for an empty frame).
 * CORDON_E_STATE when the pipe ended between frames, CORDON_E_PARSE for a
 * bad frame, CORDON_E_SYSTEM for anything else. */
cordon_code win_frame_receive(HANDLE pipe, bool to_runner, cordon_runner_header *header, uint8_t **payload,
			      cordon_error *err);

/* The SID of a process's token user, of this process, or of the client
 * on a server pipe end (ImpersonateNamedPipeClient: the kernel's word
 * for who connected; needs a frame read from the client first). */
cordon_code win_own_user_sid(cordon_sid *sid, cordon_error *err);
/* refuse_admins: fail (CORDON_E_STATE, one line) when the client's token
 * carries BUILTIN\Administrators in any form. */
cordon_code win_pipe_client_user_sid(HANDLE pipe, bool refuse_admins, cordon_sid *sid, cordon_error *err);

#endif
