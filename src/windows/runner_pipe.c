/* The runner's named pipe (runner_pipe.h): its DACL, frame I/O, and who
 * is on the other end. Kernel-object DACLs on named pipes are enforced
 * by Wine as by Windows (windows-facts.md section 1), so the Wine
 * plumbing test shows a client outside the DACL refused. */
#include "windows/runner_pipe.h"

#include <bcrypt.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/win_internal.h"

#define PIPE_BUFFER_BYTES 65536

cordon_code win_own_user_sid(cordon_sid *sid, cordon_error *err)
{
	HANDLE token = NULL;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return win_fail(err, GetLastError(), "cannot open cordon's own token");
	cordon_code code = win_token_user(token, "cordon's own token", sid, err);
	CloseHandle(token);
	return code;
}

char *win_runner_pipe_sddl(const cordon_sid *user, const cordon_sid *allowed, size_t allowed_count)
{
	char sid[CORDON_SID_STRING_MAX];
	size_t size = 64 + (allowed_count + 1) * (CORDON_SID_STRING_MAX + 16);
	char *sddl = malloc(size);
	if (sddl == NULL || !cordon_sid_format(user, sid, sizeof(sid))) {
		free(sddl);
		return NULL;
	}
	/* Protected (P): nothing inherited from anywhere; the user may do
	 * anything, the account only read and write (not change the DACL). */
	int used = snprintf(sddl, size, "D:P(A;;GA;;;%s)", sid);
	for (size_t i = 0; i < allowed_count; i++) {
		if (!cordon_sid_format(&allowed[i], sid, sizeof(sid))) {
			free(sddl);
			return NULL;
		}
		used += snprintf(sddl + used, size - (size_t)used, "(A;;GRGW;;;%s)", sid);
	}
	return sddl;
}

cordon_code win_runner_pipe_create(const cordon_sid *allowed, size_t allowed_count, wchar_t *name,
				   size_t name_size, HANDLE *pipe, cordon_error *err)
{
	unsigned char random[16];
	cordon_sid user;
	PSECURITY_DESCRIPTOR descriptor = NULL;
	cordon_code code;

	*pipe = NULL;
	if (name_size < WIN_RUNNER_PIPE_NAME_MAX)
		return cordon_fail(err, CORDON_E_INVALID, "no room for the runner pipe's name");
	if (BCryptGenRandom(NULL, random, sizeof(random), BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
		return cordon_fail(err, CORDON_E_SYSTEM,
				   "cannot name the runner's pipe: the system's random generator failed");
	int used = swprintf(name, name_size, L"\\\\.\\pipe\\cordon-runner-");
	for (size_t i = 0; i < sizeof(random); i++)
		used += swprintf(name + used, name_size - (size_t)used, L"%02x", random[i]);
	code = win_own_user_sid(&user, err);
	if (code != CORDON_OK)
		return code;
	char *sddl = win_runner_pipe_sddl(&user, allowed, allowed_count);
	wchar_t *wide = sddl != NULL ? win_wide(sddl) : NULL;
	free(sddl);
	if (wide == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while securing the runner's pipe");
	BOOL converted = ConvertStringSecurityDescriptorToSecurityDescriptorW(wide, SDDL_REVISION_1,
									      &descriptor, NULL);
	DWORD error = GetLastError();
	free(wide);
	if (!converted)
		return win_fail(err, error, "cannot build the runner pipe's DACL");
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), descriptor, FALSE};
	*pipe = CreateNamedPipeW(name,
				 PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
				 PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
				 1, PIPE_BUFFER_BYTES, PIPE_BUFFER_BYTES, 0, &attributes);
	error = GetLastError();
	LocalFree(descriptor);
	if (*pipe == INVALID_HANDLE_VALUE) {
		*pipe = NULL;
		return win_fail(err, error, "cannot create the runner's pipe");
	}
	return CORDON_OK;
}

bool win_pipe_exact(HANDLE pipe, bool write, void *buffer, DWORD length)
{
	unsigned char *bytes = buffer;
	OVERLAPPED overlapped = {0};
	bool ok = true;

	overlapped.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (overlapped.hEvent == NULL)
		return false;
	while (ok && length > 0) {
		DWORD done = 0;
		ResetEvent(overlapped.hEvent);
		BOOL started = write ? WriteFile(pipe, bytes, length, NULL, &overlapped)
				     : ReadFile(pipe, bytes, length, NULL, &overlapped);
		if (!started && GetLastError() != ERROR_IO_PENDING) {
			ok = false;
			break;
		}
		if (!GetOverlappedResult(pipe, &overlapped, &done, TRUE) || done == 0) {
			if (done == 0 && GetLastError() == ERROR_SUCCESS)
				SetLastError(ERROR_BROKEN_PIPE);
			ok = false;
			break;
		}
		bytes += done;
		length -= done;
	}
	DWORD error = GetLastError();
	CloseHandle(overlapped.hEvent);
	SetLastError(error);
	return ok;
}

void win_frame_writer_init(win_frame_writer *writer, HANDLE pipe)
{
	writer->pipe = pipe;
	InitializeCriticalSection(&writer->lock);
}

void win_frame_writer_destroy(win_frame_writer *writer)
{
	DeleteCriticalSection(&writer->lock);
}

bool win_frame_send(win_frame_writer *writer, cordon_runner_frame_type type, const void *payload,
		    uint32_t length)
{
	uint8_t header[CORDON_RUNNER_HEADER_BYTES];
	bool ok;

	cordon_runner_header_encode(type, length, header);
	EnterCriticalSection(&writer->lock);
	ok = win_pipe_exact(writer->pipe, true, header, sizeof(header)) &&
	     (length == 0 || win_pipe_exact(writer->pipe, true, (void *)payload, length));
	LeaveCriticalSection(&writer->lock);
	return ok;
}

static bool pipe_ended(DWORD error)
{
	return error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED || error == ERROR_NO_DATA ||
	       error == ERROR_OPERATION_ABORTED;
}

cordon_code win_frame_receive(HANDLE pipe, bool to_runner, cordon_runner_header *header, uint8_t **payload,
			      cordon_error *err)
{
	uint8_t bytes[CORDON_RUNNER_HEADER_BYTES];
	cordon_code code;

	*payload = NULL;
	if (!win_pipe_exact(pipe, false, bytes, sizeof(bytes))) {
		DWORD error = GetLastError();
		if (pipe_ended(error))
			return cordon_fail(err, CORDON_E_STATE, "the other end of the runner's pipe is gone");
		return win_fail(err, error, "cannot read from the runner's pipe");
	}
	code = cordon_runner_header_decode(bytes, to_runner, header, err);
	if (code != CORDON_OK || header->length == 0)
		return code;
	*payload = malloc(header->length);
	if (*payload == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while reading from the runner's pipe");
	if (!win_pipe_exact(pipe, false, *payload, header->length)) {
		DWORD error = GetLastError();
		free(*payload);
		*payload = NULL;
		if (pipe_ended(error))
			return cordon_fail(
				err, CORDON_E_STATE,
				"the other end of the runner's pipe went away in the middle of a frame");
		return win_fail(err, error, "cannot read from the runner's pipe");
	}
	return CORDON_OK;
}

/* The runner's token must not carry BUILTIN\Administrators in any form
 * (enabled, or deny-only as UAC leaves it): a sandbox account that became
 * an administrator would hold an administrator's rights as soon as
 * anything elevated it. Setup refuses such an account too; this is the
 * check at every run. */
static cordon_code refuse_administrators(HANDLE token, cordon_error *err)
{
	DWORD length = 0;
	TOKEN_GROUPS *groups;
	BYTE admins[SECURITY_MAX_SID_SIZE];
	DWORD admins_size = sizeof(admins);
	cordon_code code = CORDON_OK;

	if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &admins_size))
		return win_fail(err, GetLastError(), "cannot build the Administrators SID");
	GetTokenInformation(token, TokenGroups, NULL, 0, &length);
	groups = length ? malloc(length) : NULL;
	if (groups == NULL || !GetTokenInformation(token, TokenGroups, groups, length, &length)) {
		DWORD error = GetLastError();
		free(groups);
		return win_fail(err, error, "cannot read the groups of the runner's token");
	}
	for (DWORD i = 0; i < groups->GroupCount && code == CORDON_OK; i++)
		if (EqualSid(groups->Groups[i].Sid, admins))
			code = cordon_fail(
				err, CORDON_E_STATE,
				"the sandbox account is a member of Administrators, which a sandbox "
				"account must never be; nothing was run; remove it from that group and "
				"run 'cordon setup' again");
	free(groups);
	return code;
}

cordon_code win_pipe_client_user_sid(HANDLE pipe, bool refuse_admins, cordon_sid *sid, cordon_error *err)
{
	HANDLE token = NULL;

	if (!ImpersonateNamedPipeClient(pipe))
		return win_fail(err, GetLastError(), "cannot ask Windows who is on the runner's pipe");
	BOOL opened = OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token);
	DWORD error = GetLastError();
	/* Back to cordon's own identity before anything else happens. */
	if (!RevertToSelf()) {
		if (token != NULL)
			CloseHandle(token);
		return win_fail(err, GetLastError(), "cannot stop impersonating the runner's pipe client");
	}
	if (!opened)
		return win_fail(err, error, "cannot read the token of the runner's pipe client");
	cordon_code code = win_token_user(token, "the runner's pipe client", sid, err);
	if (code == CORDON_OK && refuse_admins)
		code = refuse_administrators(token, err);
	CloseHandle(token);
	return code;
}
