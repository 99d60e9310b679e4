/* The delete-child probe on Windows (issue 9 item 2): the thin side of
 * windows/plan/probe_verdict.h.
 *
 * Why impersonation and not a child process: the access checks that
 * matter are made by the I/O manager and NTFS against the token of the
 * thread that opens the file, so a thread impersonating an
 * impersonation-level duplicate of the write-restricted token is checked
 * exactly as a process running under it would be (the restricted second
 * pass is a property of the token, not of how it is attached). It needs
 * no second executable (the library probes for any program that links
 * it, not only cordon.exe), no IPC, and its result cannot be forged by a
 * file on PATH. The attempts run on a thread of their own, which is the
 * only thread that ever holds the token, and that thread ends with it.
 *
 * The token is the runs' shape (token.c with the token plan), with fresh
 * random capability SIDs that no ACE on the machine names. The scratch
 * directory under the state directory is made with a protected DACL
 * granting the user and SYSTEM everything (so the user holds delete-child
 * there) and the restricting SIDs nothing; its "dest" subdirectory also
 * grants the probe's workspace SID what a root's allow grants (never
 * delete-child). Everything is removed afterwards, whatever happened. */
#include "windows/win_internal.h"

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define PROBE_MAX_PATH 600

typedef struct probe_paths {
	wchar_t scratch[PROBE_MAX_PATH];
	wchar_t victim[PROBE_MAX_PATH];
	wchar_t dest[PROBE_MAX_PATH];
	wchar_t delete_me[PROBE_MAX_PATH];
	wchar_t rename_me[PROBE_MAX_PATH];
	wchar_t renamed[PROBE_MAX_PATH];
	wchar_t dacl_file[PROBE_MAX_PATH];
	wchar_t control[PROBE_MAX_PATH];
} probe_paths;

typedef struct probe_thread_input {
	HANDLE token; /* impersonation level */
	const probe_paths *paths;
	cordon_probe_observations observed;
	DWORD impersonation_error;
} probe_thread_input;

static cordon_probe_attempt attempt_from(BOOL ok, DWORD error)
{
	cordon_probe_attempt attempt = {CORDON_PROBE_ALLOWED, 0};
	if (!ok) {
		attempt.outcome = error == ERROR_ACCESS_DENIED ? CORDON_PROBE_DENIED : CORDON_PROBE_FAILED;
		attempt.error = error;
	}
	return attempt;
}

/* (c): open with WRITE_DAC and write back a DACL granting the user all. */
static cordon_probe_attempt rewrite_dacl(const wchar_t *path)
{
	HANDLE file = CreateFileW(path, WRITE_DAC | READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
				  OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
	if (file == INVALID_HANDLE_VALUE)
		return attempt_from(FALSE, GetLastError());
	PACL dacl = NULL;
	PSECURITY_DESCRIPTOR descriptor = NULL;
	DWORD error = GetSecurityInfo(file, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl,
				      NULL, &descriptor);
	if (error == ERROR_SUCCESS)
		error = SetSecurityInfo(file, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, dacl,
					NULL);
	LocalFree(descriptor);
	CloseHandle(file);
	return attempt_from(error == ERROR_SUCCESS, error);
}

static DWORD WINAPI probe_thread(LPVOID parameter)
{
	probe_thread_input *in = parameter;
	const probe_paths *p = in->paths;

	if (!SetThreadToken(NULL, in->token)) {
		in->impersonation_error = GetLastError();
		return 0;
	}
	HANDLE control =
		CreateFileW(p->control, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
	in->observed.control_create = attempt_from(control != INVALID_HANDLE_VALUE, GetLastError());
	if (control != INVALID_HANDLE_VALUE)
		CloseHandle(control);
	in->observed.rewrite_dacl = rewrite_dacl(p->dacl_file);
	BOOL deleted = DeleteFileW(p->delete_me);
	in->observed.delete_file = attempt_from(deleted, GetLastError());
	BOOL renamed = MoveFileExW(p->rename_me, p->renamed, 0);
	in->observed.rename_file = attempt_from(renamed, GetLastError());
	RevertToSelf();
	return 0;
}

/* A directory made with the DACL sddl says (protected, inherited by what
 * is created inside). */
static DWORD make_directory(const wchar_t *path, const wchar_t *sddl)
{
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), NULL, FALSE};
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1,
								  &attributes.lpSecurityDescriptor, NULL))
		return GetLastError();
	BOOL ok = CreateDirectoryW(path, &attributes);
	DWORD error = ok ? ERROR_SUCCESS : GetLastError();
	LocalFree(attributes.lpSecurityDescriptor);
	return error;
}

static DWORD make_file(const wchar_t *path)
{
	HANDLE file = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
	if (file == INVALID_HANDLE_VALUE)
		return GetLastError();
	CloseHandle(file);
	return ERROR_SUCCESS;
}

static void remove_scratch(const probe_paths *p)
{
	const wchar_t *files[] = {p->delete_me, p->rename_me, p->renamed, p->dacl_file, p->control};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		SetFileAttributesW(files[i], FILE_ATTRIBUTE_NORMAL);
		DeleteFileW(files[i]);
	}
	RemoveDirectoryW(p->victim);
	RemoveDirectoryW(p->dest);
	RemoveDirectoryW(p->scratch);
}

static bool fill_paths(const char *state_dir, probe_paths *p)
{
	wchar_t *state = win_wide(state_dir);
	if (state == NULL)
		return false;
	int n = swprintf(p->scratch, PROBE_MAX_PATH, L"%ls\\probe-%lu", state,
			 (unsigned long)GetCurrentProcessId());
	free(state);
	if (n <= 0 || n > PROBE_MAX_PATH - 40)
		return false;
	swprintf(p->victim, PROBE_MAX_PATH, L"%ls\\victim", p->scratch);
	swprintf(p->dest, PROBE_MAX_PATH, L"%ls\\dest", p->scratch);
	swprintf(p->delete_me, PROBE_MAX_PATH, L"%ls\\delete-me", p->victim);
	swprintf(p->rename_me, PROBE_MAX_PATH, L"%ls\\rename-me", p->victim);
	swprintf(p->renamed, PROBE_MAX_PATH, L"%ls\\renamed", p->dest);
	swprintf(p->dacl_file, PROBE_MAX_PATH, L"%ls\\dacl", p->victim);
	swprintf(p->control, PROBE_MAX_PATH, L"%ls\\control", p->dest);
	return true;
}

/* The user's SID as SDDL text (allocated with LocalAlloc). */
static wchar_t *user_sid_text(void)
{
	HANDLE own = NULL;
	unsigned char buffer[256];
	DWORD length = 0;
	wchar_t *text = NULL;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &own))
		return NULL;
	if (GetTokenInformation(own, TokenUser, buffer, sizeof(buffer), &length))
		ConvertSidToStringSidW(((TOKEN_USER *)buffer)->User.Sid, &text);
	CloseHandle(own);
	return text;
}

/* The scratch tree; on failure *what names the step. */
static DWORD make_scratch(const probe_paths *p, const cordon_sid *capability, const char **what)
{
	wchar_t *user = user_sid_text();
	char capability_text[96];
	wchar_t sddl[512];
	DWORD error;

	*what = "read the user's SID";
	if (user == NULL)
		return GetLastError();
	cordon_sid_format(capability, capability_text, sizeof(capability_text));
	*what = "make the scratch directory";
	swprintf(sddl, 512, L"D:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)", user);
	error = make_directory(p->scratch, sddl);
	if (error == ERROR_SUCCESS)
		error = make_directory(p->victim, sddl);
	/* dest: the capability SID may add and write files (0x1301BF:
	 * read, write, execute, delete; not delete-child), as in a root */
	swprintf(sddl, 512, L"D:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)(A;OICI;0x1301bf;;;%hs)", user,
		 capability_text);
	if (error == ERROR_SUCCESS)
		error = make_directory(p->dest, sddl);
	LocalFree(user);
	*what = "make the scratch files";
	if (error == ERROR_SUCCESS)
		error = make_file(p->delete_me);
	if (error == ERROR_SUCCESS)
		error = make_file(p->rename_me);
	if (error == ERROR_SUCCESS)
		error = make_file(p->dacl_file);
	return error;
}

/* Probes now. *verdict says what happened, whatever happened. */
static void probe_now(const char *state_dir, cordon_probe_verdict *verdict)
{
	probe_paths paths;
	cordon_win_acl_outcome sids;
	cordon_error err = {0};
	HANDLE primary = NULL, impersonation = NULL;
	const char *what = "prepare";
	DWORD error = ERROR_SUCCESS;

	memset(verdict, 0, sizeof(*verdict));
	verdict->reading = CORDON_PROBE_UNKNOWN;
	memset(&sids, 0, sizeof(sids));
	if (win_state_dir_make(state_dir, &err) != CORDON_OK || !fill_paths(state_dir, &paths)) {
		snprintf(verdict->reason, sizeof(verdict->reason), "probe failed: no scratch directory: %s",
			 err.message[0] ? err.message : "path too long or not UTF-8");
		return;
	}
	remove_scratch(&paths); /* what a crashed probe of this process id left */
	if (!win_random_sid(&sids.workspace_sid) || !win_random_sid(&sids.sandbox_sid) ||
	    !win_random_sid(&sids.shared_sid) || !win_random_sid(&sids.readonly_sid)) {
		snprintf(verdict->reason, sizeof(verdict->reason), "probe failed: no random capability SID");
		return;
	}
	error = make_scratch(&paths, &sids.workspace_sid, &what);
	if (error == ERROR_SUCCESS &&
	    win_token_from_sids(CORDON_MODE_WORKSPACE_WRITE, false, &sids, &primary, &err) != CORDON_OK) {
		snprintf(verdict->reason, sizeof(verdict->reason), "probe failed: %s", err.message);
		remove_scratch(&paths);
		return;
	}
	if (error == ERROR_SUCCESS &&
	    !DuplicateTokenEx(primary, TOKEN_IMPERSONATE | TOKEN_QUERY, NULL, SecurityImpersonation,
			      TokenImpersonation, &impersonation)) {
		what = "duplicate the token for impersonation";
		error = GetLastError();
	}
	if (error == ERROR_SUCCESS) {
		probe_thread_input in;
		memset(&in, 0, sizeof(in));
		in.token = impersonation;
		in.paths = &paths;
		HANDLE thread = CreateThread(NULL, 0, probe_thread, &in, 0, NULL);
		if (thread == NULL) {
			what = "start the probe thread";
			error = GetLastError();
		} else {
			WaitForSingleObject(thread, INFINITE);
			CloseHandle(thread);
			if (in.impersonation_error != ERROR_SUCCESS) {
				what = "impersonate the token";
				error = in.impersonation_error;
			} else {
				*verdict = cordon_probe_decide(&in.observed);
			}
		}
	}
	if (error != ERROR_SUCCESS)
		snprintf(verdict->reason, sizeof(verdict->reason),
			 "probe failed: cannot %s (Windows error %lu)", what, (unsigned long)error);
	if (impersonation != NULL)
		CloseHandle(impersonation);
	if (primary != NULL)
		CloseHandle(primary);
	remove_scratch(&paths);
}

void win_probe_delete_child(const char *state_dir, win_probe_result *out)
{
	char *text = NULL;
	size_t length = 0;
	cordon_error err = {0};

	memset(out, 0, sizeof(*out));
	out->build = win_os_build();
	if (state_dir == NULL) {
		out->verdict.reading = CORDON_PROBE_UNKNOWN;
		snprintf(out->verdict.reason, sizeof(out->verdict.reason),
			 "probe failed: no state directory");
		return;
	}
	if (cordon_win_state_read(state_dir, CORDON_PROBE_CACHE_FILE, &text, &length, &err) == CORDON_OK &&
	    cordon_probe_cache_parse(text, length, out->build, &out->verdict)) {
		free(text);
		out->cached = true;
		return;
	}
	free(text);
	probe_now(state_dir, &out->verdict);
	if (out->verdict.cacheable) {
		char cache[512];
		cordon_probe_cache_format(out->build, &out->verdict, cache, sizeof(cache));
		/* Not cached is only slower: the next run probes again. */
		cordon_win_state_replace(state_dir, CORDON_PROBE_CACHE_FILE, cache, strlen(cache), &err);
	}
}
