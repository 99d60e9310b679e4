/* The per-install secret capability SIDs are derived from
 * (src/windows/plan/sid.h): 32 random bytes, made once in cordon's state
 * directory, in a file whose protected DACL grants the user alone. Without
 * it nobody can predict another install's SIDs. */
#include "windows/win_internal.h"

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bcrypt.h>

#include "core/error.h"

static cordon_code user_sid_string(char *out, size_t size, cordon_error *err)
{
	HANDLE token = NULL;
	unsigned char buffer[256];
	DWORD length = 0;
	wchar_t *text = NULL;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return win_fail(err, GetLastError(), "cannot read cordon's own token");
	BOOL ok = GetTokenInformation(token, TokenUser, buffer, sizeof(buffer), &length);
	DWORD error = GetLastError();
	CloseHandle(token);
	if (!ok)
		return win_fail(err, error, "cannot read the user of cordon's own token");
	if (!ConvertSidToStringSidW(((TOKEN_USER *)buffer)->User.Sid, &text))
		return win_fail(err, GetLastError(), "cannot format the user's SID");
	snprintf(out, size, "%ls", text);
	LocalFree(text);
	return CORDON_OK;
}

static cordon_code make_dir(const char *path, cordon_error *err)
{
	wchar_t *wide = win_wide(path);
	if (wide == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cannot use the path '%s': it is not valid UTF-8",
				   path);
	BOOL ok = CreateDirectoryW(wide, NULL) || GetLastError() == ERROR_ALREADY_EXISTS;
	DWORD error = GetLastError();
	free(wide);
	if (!ok)
		return win_fail(err, error, "cannot create cordon's directory '%s'", path);
	return CORDON_OK;
}

cordon_code win_state_dir_make(const char *state_dir, cordon_error *err)
{
	return make_dir(state_dir, err);
}

static cordon_code create_secret(const wchar_t *path, const char *shown, unsigned char *secret,
				 cordon_error *err)
{
	char user[192];
	wchar_t sddl[256];
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), NULL, FALSE};
	cordon_code code = user_sid_string(user, sizeof(user), err);
	if (code != CORDON_OK)
		return code;
	/* Protected (no inherited ACEs), full access for the user alone. */
	swprintf(sddl, sizeof(sddl) / sizeof(sddl[0]), L"D:P(A;;FA;;;%hs)", user);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1,
								  &attributes.lpSecurityDescriptor, NULL))
		return win_fail(err, GetLastError(), "cannot build the DACL of the install secret");
	if (!BCRYPT_SUCCESS(
		    BCryptGenRandom(NULL, secret, WIN_SECRET_BYTES, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
		LocalFree(attributes.lpSecurityDescriptor);
		return cordon_fail(err, CORDON_E_SYSTEM, "cannot draw random bytes for the install secret");
	}
	HANDLE file =
		CreateFileW(path, GENERIC_WRITE, 0, &attributes, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
	DWORD error = GetLastError();
	LocalFree(attributes.lpSecurityDescriptor);
	if (file == INVALID_HANDLE_VALUE) {
		if (error == ERROR_FILE_EXISTS)
			return CORDON_E_STATE; /* another run made it first: read that one */
		return win_fail(err, error, "cannot create the install secret '%s'", shown);
	}
	DWORD written = 0;
	BOOL ok = WriteFile(file, secret, WIN_SECRET_BYTES, &written, NULL) && FlushFileBuffers(file);
	error = GetLastError();
	CloseHandle(file);
	if (!ok || written != WIN_SECRET_BYTES) {
		DeleteFileW(path);
		return win_fail(err, error, "cannot write the install secret '%s'", shown);
	}
	return CORDON_OK;
}

static cordon_code read_secret(const wchar_t *path, const char *shown, unsigned char *secret,
			       cordon_error *err)
{
	HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	if (file == INVALID_HANDLE_VALUE) {
		if (GetLastError() == ERROR_FILE_NOT_FOUND)
			return CORDON_E_NOT_FOUND;
		return win_fail(err, GetLastError(), "cannot open the install secret '%s'", shown);
	}
	DWORD got = 0;
	BOOL ok = ReadFile(file, secret, WIN_SECRET_BYTES, &got, NULL);
	DWORD error = GetLastError();
	CloseHandle(file);
	if (!ok)
		return win_fail(err, error, "cannot read the install secret '%s'", shown);
	if (got != WIN_SECRET_BYTES)
		return cordon_fail(
			err, CORDON_E_INVALID,
			"the install secret '%s' is %lu bytes, not %d: it was damaged; delete it and "
			"run cordon again (workspaces get new capability SIDs)",
			shown, (unsigned long)got, WIN_SECRET_BYTES);
	return CORDON_OK;
}

cordon_code win_secret_load(const char *state_dir, unsigned char secret[WIN_SECRET_BYTES], cordon_error *err)
{
	char path[1024];
	cordon_code code = make_dir(state_dir, err);
	if (code != CORDON_OK)
		return code;
	snprintf(path, sizeof(path), "%s\\install-secret", state_dir);
	wchar_t *wide = win_wide(path);
	if (wide == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cannot use the path '%s': it is not valid UTF-8",
				   path);
	code = read_secret(wide, path, secret, err);
	if (code == CORDON_E_NOT_FOUND) {
		code = create_secret(wide, path, secret, err);
		if (code == CORDON_E_STATE)
			code = read_secret(wide, path, secret, err);
	}
	free(wide);
	return code;
}
