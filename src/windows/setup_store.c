/* What `cordon setup` keeps under the user's state directory: the setup
 * folder (owner the user, a protected DACL naming only the user, SYSTEM
 * and Administrators), the record, and the sandbox accounts' passwords
 * protected with DPAPI for the installing user (user scope, never
 * CRYPTPROTECT_LOCAL_MACHINE: any process on the machine could recover a
 * machine-scope blob). See elevated.h for the layout. */
#include "windows/setup_internal.h"

#include <aclapi.h>
#include <sddl.h>
#include <wincrypt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/machine_dir.h"
#include "windows/win_internal.h"

/* The description DPAPI stores with each blob (not secret). */
#define PASSWORD_DESCRIPTION L"cordon sandbox account password"

const char *win_setup_password_file(cordon_sandbox_account which)
{
	return which == CORDON_ACCOUNT_OFFLINE ? "offline" WIN_SETUP_PASSWORD_SUFFIX
					       : "online" WIN_SETUP_PASSWORD_SUFFIX;
}

wchar_t *win_setup_path(const char *state_dir, const char *name)
{
	size_t length = strlen(state_dir) + sizeof(WIN_SETUP_DIR) + (name ? strlen(name) : 0) + 3;
	char *joined = malloc(length);
	wchar_t *wide;

	if (!joined)
		return NULL;
	snprintf(joined, length, "%s\\%s%s%s", state_dir, WIN_SETUP_DIR, name ? "\\" : "", name ? name : "");
	wide = win_wide(joined);
	free(joined);
	return wide;
}

char *win_setup_user_sid(cordon_error *err)
{
	HANDLE token;
	BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	DWORD length = 0;
	char *text = NULL;
	BOOL ok;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
		win_fail(err, GetLastError(), "cannot read this process's user");
		return NULL;
	}
	ok = GetTokenInformation(token, TokenUser, buffer, sizeof(buffer), &length) &&
	     ConvertSidToStringSidA(((TOKEN_USER *)buffer)->User.Sid, &text);
	if (!ok)
		win_fail(err, GetLastError(), "cannot read this process's user");
	CloseHandle(token);
	return ok ? text : NULL;
}

/* A self-relative security descriptor from SDDL (LocalFree). */
static PSECURITY_DESCRIPTOR descriptor_from(const char *sddl, cordon_error *err)
{
	wchar_t *wide = win_wide(sddl);
	PSECURITY_DESCRIPTOR sd = NULL;

	if (!wide ||
	    !ConvertStringSecurityDescriptorToSecurityDescriptorW(wide, SDDL_REVISION_1, &sd, NULL)) {
		win_fail(err, wide ? GetLastError() : ERROR_NOT_ENOUGH_MEMORY,
			 "cannot build the setup folder's security descriptor");
		sd = NULL;
	}
	free(wide);
	return sd;
}

static cordon_code make_dir(const wchar_t *path, PSECURITY_DESCRIPTOR sd, const char *shown,
			    cordon_error *err)
{
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), sd, FALSE};

	if (CreateDirectoryW(path, &attributes) || GetLastError() == ERROR_ALREADY_EXISTS)
		return CORDON_OK;
	return win_fail(err, GetLastError(), "cannot create %s", shown);
}

/* An elevated administrator's new objects are owned by
 * BUILTIN\Administrators by default (the token's default owner); the
 * user's own, unelevated runs must own what setup leaves, so the owner is
 * set explicitly, and so is the DACL when the folder already exists. */
cordon_code win_setup_dir_make(const char *state_dir, cordon_error *err)
{
	cordon_error ignored = {0};
	char *user;
	char sddl[512];
	PSECURITY_DESCRIPTOR state_sd = NULL, setup_sd = NULL;
	PSID owner = NULL;
	PACL dacl = NULL;
	BOOL present = FALSE, defaulted = FALSE;
	wchar_t *state_w = NULL, *setup_w = NULL;
	char *shown = NULL;
	cordon_code code = CORDON_E_NOMEM;
	DWORD error;

	if (!err) /* the messages below are read back: never NULL */
		err = &ignored;
	user = win_setup_user_sid(err);
	if (!user)
		return err->code;
	/* The state directory: owner only, its DACL inherited as usual. */
	snprintf(sddl, sizeof(sddl), "O:%s", user);
	state_sd = descriptor_from(sddl, err);
	snprintf(sddl, sizeof(sddl), "O:%sD:P(A;OICI;FA;;;%s)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", user, user);
	setup_sd = descriptor_from(sddl, err);
	state_w = win_wide(state_dir);
	setup_w = win_setup_path(state_dir, NULL);
	shown = malloc(strlen(state_dir) + sizeof(WIN_SETUP_DIR) + 2);
	if (!state_sd || !setup_sd) {
		code = err->code;
		goto out;
	}
	if (!state_w || !setup_w || !shown) {
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot create cordon's setup folder: out of memory");
		goto out;
	}
	sprintf(shown, "%s\\%s", state_dir, WIN_SETUP_DIR);
	code = make_dir(state_w, state_sd, state_dir, err);
	if (code == CORDON_OK)
		code = make_dir(setup_w, setup_sd, shown, err);
	if (code != CORDON_OK)
		goto out;
	if (!GetSecurityDescriptorOwner(setup_sd, &owner, &defaulted) ||
	    !GetSecurityDescriptorDacl(setup_sd, &present, &dacl, &defaulted)) {
		code = win_fail(err, GetLastError(), "cannot read the setup folder's security descriptor");
		goto out;
	}
	error = SetNamedSecurityInfoW(setup_w, SE_FILE_OBJECT,
				      OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
					      PROTECTED_DACL_SECURITY_INFORMATION,
				      owner, NULL, dacl, NULL);
	if (error != ERROR_SUCCESS)
		code = win_fail(err, error, "cannot restrict %s to you, SYSTEM and Administrators", shown);
out:
	LocalFree(user);
	LocalFree(state_sd);
	LocalFree(setup_sd);
	free(state_w);
	free(setup_w);
	free(shown);
	return code;
}

/* Writes data to <setup>\name through name.tmp and one replacing rename:
 * a reader sees the old file or the new one, never half of one. */
static cordon_code replace_file(const char *state_dir, const char *name, const void *data, DWORD length,
				cordon_error *err)
{
	size_t temp_length = strlen(name) + sizeof(".tmp");
	char *temp_name = malloc(temp_length);
	wchar_t *final_w = win_setup_path(state_dir, name);
	wchar_t *temp_w = NULL;
	HANDLE file = INVALID_HANDLE_VALUE;
	DWORD written = 0;
	cordon_code code = CORDON_OK;

	if (temp_name) {
		snprintf(temp_name, temp_length, "%s.tmp", name);
		temp_w = win_setup_path(state_dir, temp_name);
	}
	if (!final_w || !temp_w) {
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot write %s: out of memory", name);
		goto out;
	}
	file = CreateFileW(temp_w, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (file == INVALID_HANDLE_VALUE) {
		code = win_fail(err, GetLastError(), "cannot write %s\\%s\\%s", state_dir, WIN_SETUP_DIR,
				temp_name);
		goto out;
	}
	if (!WriteFile(file, data, length, &written, NULL) || written != length || !FlushFileBuffers(file)) {
		code = win_fail(err, GetLastError(), "cannot write %s\\%s\\%s", state_dir, WIN_SETUP_DIR,
				temp_name);
		CloseHandle(file);
		DeleteFileW(temp_w);
		goto out;
	}
	CloseHandle(file);
	if (!MoveFileExW(temp_w, final_w, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		code = win_fail(err, GetLastError(), "cannot replace %s\\%s\\%s", state_dir, WIN_SETUP_DIR,
				name);
		DeleteFileW(temp_w);
	}
out:
	free(temp_name);
	free(final_w);
	free(temp_w);
	return code;
}

static cordon_code remove_file(const char *state_dir, const char *name, cordon_error *err)
{
	wchar_t *path = win_setup_path(state_dir, name);
	DWORD error;

	if (!path)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot remove %s: out of memory", name);
	error = DeleteFileW(path) ? ERROR_SUCCESS : GetLastError();
	free(path);
	if (error == ERROR_SUCCESS || error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND)
		return CORDON_OK;
	return win_fail(err, error, "cannot remove %s\\%s\\%s", state_dir, WIN_SETUP_DIR, name);
}

/* Reads a whole setup file (allocated, NUL-terminated). *found is false
 * when it does not exist. */
static cordon_code read_file(const char *state_dir, const char *name, char **data, DWORD *length, bool *found,
			     cordon_error *err)
{
	wchar_t *path = win_setup_path(state_dir, name);
	HANDLE file;
	LARGE_INTEGER size;
	DWORD got = 0;

	*data = NULL;
	*length = 0;
	*found = false;
	if (!path)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read %s: out of memory", name);
	file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL,
			   NULL);
	free(path);
	if (file == INVALID_HANDLE_VALUE) {
		DWORD error = GetLastError();

		if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND)
			return CORDON_OK;
		return win_fail(err, error, "cannot read %s\\%s\\%s", state_dir, WIN_SETUP_DIR, name);
	}
	if (!GetFileSizeEx(file, &size) || size.QuadPart > 64 * 1024 * 1024) {
		CloseHandle(file);
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot read %s\\%s\\%s: unreadable or larger than 64 MiB; run 'cordon setup' "
			"again to rewrite it",
			state_dir, WIN_SETUP_DIR, name);
	}
	*data = malloc((size_t)size.QuadPart + 1);
	if (!*data) {
		CloseHandle(file);
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read %s: out of memory", name);
	}
	if (!ReadFile(file, *data, (DWORD)size.QuadPart, &got, NULL) || got != (DWORD)size.QuadPart) {
		DWORD error = GetLastError();

		CloseHandle(file);
		free(*data);
		*data = NULL;
		return win_fail(err, error, "cannot read %s\\%s\\%s", state_dir, WIN_SETUP_DIR, name);
	}
	CloseHandle(file);
	(*data)[got] = '\0';
	*length = got;
	*found = true;
	return CORDON_OK;
}

cordon_code win_setup_record_load(const char *state_dir, cordon_setup_record *record, bool *found,
				  cordon_error *err)
{
	cordon_error ignored = {0};
	char *text = NULL;
	DWORD length = 0;
	cordon_code code;

	if (!err) /* the messages below are read back: never NULL */
		err = &ignored;
	memset(record, 0, sizeof(*record));
	code = read_file(state_dir, WIN_SETUP_RECORD_FILE, &text, &length, found, err);
	if (code != CORDON_OK || !*found)
		return code;
	code = cordon_setup_record_parse(text, length, record, err);
	free(text);
	if (code != CORDON_OK) {
		/* Name the file: the parser's line says what is wrong in it. */
		char inner[CORDON_ERROR_MESSAGE_MAX];

		snprintf(inner, sizeof(inner), "%s", err->message);
		return cordon_fail(err, code, "%s\\%s\\%s: %s", state_dir, WIN_SETUP_DIR,
				   WIN_SETUP_RECORD_FILE, inner);
	}
	return CORDON_OK;
}

cordon_code win_setup_record_save(const char *state_dir, const cordon_setup_record *record, cordon_error *err)
{
	char *text = cordon_setup_record_render(record);
	cordon_code code;

	if (!text)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot write setup's record: out of memory");
	code = replace_file(state_dir, WIN_SETUP_RECORD_FILE, text, (DWORD)strlen(text), err);
	free(text);
	return code;
}

cordon_code win_setup_record_remove(const char *state_dir, cordon_error *err)
{
	return remove_file(state_dir, WIN_SETUP_RECORD_FILE, err);
}

/* <grants>\<user SID><suffix> (allocated UTF-16). */
static wchar_t *grant_copy_path(const char *grants_dir, const cordon_sid *user, const char *suffix)
{
	char sid[CORDON_SID_STRING_MAX];
	size_t length;
	char *joined;
	wchar_t *wide;

	if (!cordon_sid_format(user, sid, sizeof(sid)))
		return NULL;
	length = strlen(grants_dir) + strlen(sid) + strlen(suffix) + 2;
	joined = malloc(length);
	if (!joined)
		return NULL;
	snprintf(joined, length, "%s\\%s%s", grants_dir, sid, suffix);
	wide = win_wide(joined);
	free(joined);
	return wide;
}

cordon_code win_setup_forget_grant_copies(cordon_error *err)
{
	static const char *const suffixes[] = {WIN_MACHINE_RECORD_SUFFIX, WIN_MACHINE_PROGRESS_SUFFIX,
					       CORDON_HELPER_OWNER_SUFFIX};
	char *grants_dir = NULL;
	cordon_sid user;
	cordon_code code = win_machine_grants_dir(&grants_dir, err);

	if (code == CORDON_OK)
		code = win_current_user_sid(&user, err);
	for (size_t i = 0; code == CORDON_OK && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		wchar_t *path = grant_copy_path(grants_dir, &user, suffixes[i]);
		DWORD error = !path		  ? ERROR_NOT_ENOUGH_MEMORY
			      : DeleteFileW(path) ? ERROR_SUCCESS
						  : GetLastError();

		free(path);
		if (error != ERROR_SUCCESS && error != ERROR_FILE_NOT_FOUND && error != ERROR_PATH_NOT_FOUND)
			code = win_fail(err, error, "cannot remove this user's %s under %s", suffixes[i],
					grants_dir);
	}
	free(grants_dir);
	return code;
}

cordon_code win_setup_password_store(const char *state_dir, cordon_sandbox_account which,
				     const wchar_t *password, cordon_error *err)
{
	DATA_BLOB in = {(DWORD)(wcslen(password) * sizeof(wchar_t)), (BYTE *)password};
	DATA_BLOB out = {0, NULL};
	cordon_code code;

	/* No CRYPTPROTECT_LOCAL_MACHINE: only this user can unprotect it. */
	if (!CryptProtectData(&in, PASSWORD_DESCRIPTION, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out))
		return win_fail(err, GetLastError(), "cannot protect the password of %s with DPAPI",
				cordon_account_spec_of(which)->name);
	code = replace_file(state_dir, win_setup_password_file(which), out.pbData, out.cbData, err);
	LocalFree(out.pbData);
	return code;
}

bool win_setup_password_stored(const char *state_dir, cordon_sandbox_account which)
{
	wchar_t *path = win_setup_path(state_dir, win_setup_password_file(which));
	DWORD attributes = path ? GetFileAttributesW(path) : INVALID_FILE_ATTRIBUTES;

	free(path);
	return attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY);
}

cordon_code win_setup_password_forget(const char *state_dir, cordon_sandbox_account which, cordon_error *err)
{
	return remove_file(state_dir, win_setup_password_file(which), err);
}

cordon_code win_setup_password_load(const char *state_dir, cordon_sandbox_account which, wchar_t **password,
				    cordon_error *err)
{
	const char *name = cordon_account_spec_of(which)->name;
	char *blob = NULL;
	DWORD length = 0;
	bool found = false;
	DATA_BLOB in, out = {0, NULL};
	cordon_code code;

	*password = NULL;
	code = read_file(state_dir, win_setup_password_file(which), &blob, &length, &found, err);
	if (code != CORDON_OK)
		return code;
	if (!found)
		return cordon_fail(err, CORDON_E_UNSUPPORTED,
				   "cannot run as %s: cordon has no stored password for it (%s\\%s\\%s is "
				   "missing); run 'cordon setup' again, as administrator",
				   name, state_dir, WIN_SETUP_DIR, win_setup_password_file(which));
	in.cbData = length;
	in.pbData = (BYTE *)blob;
	if (!CryptUnprotectData(&in, NULL, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out)) {
		code = win_fail(
			err, GetLastError(),
			"cannot recover the password of %s (DPAPI; only the user who ran 'cordon setup' "
			"can); run 'cordon setup' again as this user",
			name);
		SecureZeroMemory(blob, length);
		free(blob);
		return code;
	}
	SecureZeroMemory(blob, length);
	free(blob);
	if (out.cbData % sizeof(wchar_t) != 0 || out.cbData == 0) {
		SecureZeroMemory(out.pbData, out.cbData);
		LocalFree(out.pbData);
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot recover the password of %s: the stored blob is not a password; run "
			"'cordon setup' again",
			name);
	}
	*password = malloc(out.cbData + sizeof(wchar_t));
	if (*password) {
		memcpy(*password, out.pbData, out.cbData);
		(*password)[out.cbData / sizeof(wchar_t)] = L'\0';
	}
	SecureZeroMemory(out.pbData, out.cbData);
	LocalFree(out.pbData);
	if (!*password)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot recover the password of %s: out of memory",
				   name);
	return CORDON_OK;
}

void win_setup_password_free(wchar_t *password)
{
	if (!password)
		return;
	SecureZeroMemory(password, wcslen(password) * sizeof(wchar_t));
	free(password);
}
