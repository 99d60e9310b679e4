/* %ProgramData%\\cordon (machine_dir.h): where it is, its folders, and
 * the SID and security-descriptor helpers the read-grant helper and the
 * junction code share. */
#include "windows/machine_dir.h"

#include <aclapi.h>
#include <sddl.h>
#include <shlobj.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/acl_prepare.h"
#include "windows/elevated.h"
#include "windows/plan/acl_apply.h"
#include "windows/plan/cwd_junction.h"
#include "windows/win_internal.h"

/* FOLDERID_ProgramData, spelled here so the library needs no uuid
 * import library. */
static const GUID program_data_folder = {
	0x62ab5d82, 0xfdc1, 0x4dc3, {0xa9, 0xdd, 0x07, 0x0d, 0x1d, 0x49, 0x5d, 0x97}};

cordon_code win_program_data(char **out, cordon_error *err)
{
	PWSTR wide = NULL;
	HRESULT result = SHGetKnownFolderPath(&program_data_folder, 0, NULL, &wide);

	*out = NULL;
	if (FAILED(result)) {
		if (wide)
			CoTaskMemFree(wide);
		return cordon_fail(err, CORDON_E_SYSTEM,
				   "cannot find the ProgramData folder (HRESULT 0x%08lx)",
				   (unsigned long)result);
	}
	*out = win_utf8(wide, -1);
	CoTaskMemFree(wide);
	return *out ? CORDON_OK
		    : cordon_fail(err, CORDON_E_NOMEM, "cannot find the ProgramData folder: out of memory");
}

/* ------------------------------------------------------------ SIDs */

cordon_code win_sid_from_native(PSID native, cordon_sid *out, cordon_error *err)
{
	LPWSTR text = NULL;
	char *utf8;
	bool ok;

	if (!native || !ConvertSidToStringSidW(native, &text))
		return win_fail(err, GetLastError(), "cannot read a SID");
	utf8 = win_utf8(text, -1);
	LocalFree(text);
	ok = utf8 && cordon_sid_parse(utf8, out);
	free(utf8);
	return ok ? CORDON_OK : cordon_fail(err, CORDON_E_SYSTEM, "cannot read a SID: malformed");
}

cordon_code win_current_user_sid(cordon_sid *out, cordon_error *err)
{
	HANDLE token;
	BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	DWORD length = 0;
	cordon_code code;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return win_fail(err, GetLastError(), "cannot read this process's user");
	if (!GetTokenInformation(token, TokenUser, buffer, sizeof(buffer), &length))
		code = win_fail(err, GetLastError(), "cannot read this process's user");
	else
		code = win_sid_from_native(((TOKEN_USER *)buffer)->User.Sid, out, err);
	CloseHandle(token);
	return code;
}

bool win_trusted_owner(const cordon_sid *owner, const cordon_sid *user)
{
	cordon_sid system = cordon_sid_local_system(), admins = cordon_sid_administrators();

	return cordon_sid_equal(owner, &system) || cordon_sid_equal(owner, &admins) ||
	       cordon_sid_equal(owner, user);
}

/* -------------------------------------------------------- the folders */

HANDLE win_open_no_follow(const char *path, DWORD access)
{
	wchar_t *wide = win_wide(path);
	HANDLE file =
		wide ? CreateFileW(wide, access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
				   FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL)
		     : INVALID_HANDLE_VALUE;

	free(wide);
	return file;
}

bool win_is_link(HANDLE file)
{
	BY_HANDLE_FILE_INFORMATION info;

	return !GetFileInformationByHandle(file, &info) ||
	       (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT);
}

cordon_code win_owner_of(HANDLE file, const char *path, cordon_sid *owner, cordon_error *err)
{
	PSID native = NULL;
	PSECURITY_DESCRIPTOR descriptor = NULL;
	DWORD status = GetSecurityInfo(file, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &native, NULL, NULL,
				       NULL, &descriptor);
	cordon_code code;

	if (status != ERROR_SUCCESS)
		return win_fail(err, status, "cannot read the owner of %s", path);
	code = win_sid_from_native(native, owner, err);
	LocalFree(descriptor);
	return code;
}

/* "O:BA" + the protected DACL of aces, as a security descriptor
 * (LocalFree). The SDDL comes from the ACL port, which builds ACLs one
 * way for every caller. */
cordon_code win_descriptor_of(const cordon_ace *aces, size_t count, PSECURITY_DESCRIPTOR *descriptor,
			      char **dacl_sddl, cordon_error *err)
{
	cordon_fs_dacl back = {0};
	char *sddl = NULL, *full;
	cordon_code code = cordon_win_dacl_round_trip(aces, count, &sddl, &back, err);

	cordon_fs_dacl_free(&back);
	*descriptor = NULL;
	*dacl_sddl = NULL;
	if (code != CORDON_OK)
		return code;
	full = malloc(strlen(sddl) + 5);
	if (!full) {
		free(sddl);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory");
	}
	strcpy(full, "O:BA");
	strcat(full, sddl);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorA(full, SDDL_REVISION_1, descriptor, NULL))
		code = win_fail(err, GetLastError(),
				"cannot build the junctions folder's security descriptor");
	free(full);
	if (code == CORDON_OK)
		*dacl_sddl = sddl;
	else
		free(sddl);
	return code;
}

/* Whether file's DACL renders as the SDDL wanted. */
static bool dacl_is(HANDLE file, const char *wanted)
{
	PSECURITY_DESCRIPTOR descriptor = NULL;
	LPSTR text = NULL;
	bool same = false;

	if (GetSecurityInfo(file, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, NULL, NULL,
			    &descriptor) == ERROR_SUCCESS &&
	    ConvertSecurityDescriptorToStringSecurityDescriptorA(descriptor, SDDL_REVISION_1,
								 DACL_SECURITY_INFORMATION, &text, NULL))
		same = strcmp(text, wanted) == 0;
	if (text)
		LocalFree(text);
	if (descriptor)
		LocalFree(descriptor);
	return same;
}

/* Makes path with aces as its protected DACL, or brings an existing one
 * to it, after checking that nobody untrusted made it first. */
static cordon_code ensure_folder(const char *path, const cordon_ace *aces, size_t count,
				 const cordon_sid *user, cordon_error *err)
{
	PSECURITY_DESCRIPTOR descriptor = NULL;
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), NULL, FALSE};
	char *wanted = NULL;
	wchar_t *wide = win_wide(path);
	HANDLE file = INVALID_HANDLE_VALUE;
	cordon_sid owner;
	cordon_code code;

	if (!wide)
		return cordon_fail(err, CORDON_E_INVALID, "cannot create %s: not valid UTF-8", path);
	code = win_descriptor_of(aces, count, &descriptor, &wanted, err);
	if (code != CORDON_OK)
		goto out;
	attributes.lpSecurityDescriptor = descriptor;
	/* Created with its final DACL: never, even for a moment, with the
	 * ProgramData default that lets Users create files. */
	if (CreateDirectoryW(wide, &attributes))
		goto out;
	if (GetLastError() != ERROR_ALREADY_EXISTS) {
		code = win_fail(err, GetLastError(), "cannot create %s", path);
		goto out;
	}
	file = win_open_no_follow(path, READ_CONTROL | WRITE_DAC | FILE_READ_ATTRIBUTES);
	if (file == INVALID_HANDLE_VALUE) {
		code = win_fail(err, GetLastError(), "cannot open %s", path);
		goto out;
	}
	if (win_is_link(file)) {
		code = cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"%s is a junction or symbolic link, not a folder cordon made: delete it and run "
			"'cordon setup' again",
			path);
		goto out;
	}
	code = win_owner_of(file, path, &owner, err);
	if (code == CORDON_OK && !win_trusted_owner(&owner, user)) {
		char text[CORDON_SID_STRING_MAX] = "?";

		cordon_sid_format(&owner, text, sizeof(text));
		code = cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"%s was created by someone else (owner %s), not by an administrator: delete it "
			"and run 'cordon setup' again",
			path, text);
	}
	if (code == CORDON_OK && !dacl_is(file, wanted)) {
		PACL dacl = NULL;
		BOOL present = FALSE, defaulted = FALSE;
		DWORD status;

		GetSecurityDescriptorDacl(descriptor, &present, &dacl, &defaulted);
		status = SetSecurityInfo(file, SE_FILE_OBJECT,
					 DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
					 NULL, NULL, dacl, NULL);
		if (status != ERROR_SUCCESS)
			code = win_fail(err, status, "cannot set the DACL of %s", path);
	}
out:
	if (file != INVALID_HANDLE_VALUE)
		CloseHandle(file);
	if (descriptor)
		LocalFree(descriptor);
	free(wanted);
	free(wide);
	return code;
}

cordon_code win_machine_dir(char **dir, cordon_error *err)
{
	char *data = NULL;
	cordon_code code = win_program_data(&data, err);

	*dir = NULL;
	if (code != CORDON_OK)
		return code;
	*dir = malloc(strlen(data) + sizeof("\\cordon"));
	if (*dir) {
		strcpy(*dir, data);
		strcat(*dir, "\\cordon");
	}
	free(data);
	return *dir ? CORDON_OK : cordon_fail(err, CORDON_E_NOMEM, "out of memory");
}

DWORD win_test_hook(const char *name, char *value, DWORD size)
{
#ifdef CORDON_TEST_HOOKS
	return GetEnvironmentVariableA(name, value, size);
#else
	(void)name;
	(void)value;
	(void)size;
	return 0;
#endif
}

cordon_code win_machine_grants_dir(char **dir, cordon_error *err)
{
	char hook[MAX_PATH * 3];
	DWORD length = win_test_hook(WIN_MACHINE_TEST_GRANTS_DIR, hook, sizeof(hook));
	char *base = NULL;
	cordon_code code;

	*dir = NULL;
	if (length > 0 && length < sizeof(hook)) {
		*dir = malloc(length + 1);
		if (*dir)
			memcpy(*dir, hook, length + 1);
		return *dir ? CORDON_OK : cordon_fail(err, CORDON_E_NOMEM, "out of memory");
	}
	code = win_machine_dir(&base, err);
	if (code != CORDON_OK)
		return code;
	*dir = malloc(strlen(base) + sizeof(WIN_MACHINE_GRANTS_SUBDIR) + 1);
	if (*dir)
		sprintf(*dir, "%s\\%s", base, WIN_MACHINE_GRANTS_SUBDIR);
	free(base);
	return *dir ? CORDON_OK : cordon_fail(err, CORDON_E_NOMEM, "out of memory");
}

cordon_code win_user_readable_descriptor(const cordon_sid *user, PSECURITY_DESCRIPTOR *descriptor,
					 cordon_error *err)
{
	cordon_sid system = cordon_sid_local_system(), admins = cordon_sid_administrators();
	cordon_ace aces[3];
	char *sddl = NULL;
	cordon_code code;

	aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_ALL_ACCESS, &system);
	aces[1] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_ALL_ACCESS, &admins);
	aces[2] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_GENERIC_READ, user);
	code = win_descriptor_of(aces, 3, descriptor, &sddl, err);
	free(sddl);
	return code;
}

cordon_code win_machine_dirs_prepare(cordon_error *err)
{
	cordon_sid user, group, system = cordon_sid_local_system(), admins = cordon_sid_administrators();
	cordon_sid users;
	cordon_ace base_aces[3], grants_aces[2], dir_aces[CORDON_JUNCTION_DIR_ACES];
	char *data = NULL, *base = NULL, *grants = NULL, *dir = NULL;
	const uint8_t inherit = CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT;
	cordon_code code;

	cordon_sid_parse(CORDON_USERS_GROUP, &users);
	code = win_current_user_sid(&user, err);
	if (code == CORDON_OK)
		code = win_sandbox_group_sid(&group, err);
	if (code == CORDON_OK)
		code = win_program_data(&data, err);
	if (code == CORDON_OK)
		code = win_machine_dir(&base, err);
	if (code == CORDON_OK)
		code = win_machine_grants_dir(&grants, err);
	if (code != CORDON_OK)
		goto out;
	dir = cordon_junction_dir(data);
	if (!dir) {
		code = cordon_fail(err, CORDON_E_NOMEM,
				   "cannot prepare cordon's ProgramData folder: out of memory");
		goto out;
	}
	base_aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, inherit, CORDON_FILE_ALL_ACCESS, &system);
	base_aces[1] = cordon_ace_make(CORDON_ACE_ALLOW, inherit, CORDON_FILE_ALL_ACCESS, &admins);
	base_aces[2] = cordon_ace_make(CORDON_ACE_ALLOW, inherit,
				       CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_EXECUTE, &users);
	grants_aces[0] = base_aces[0];
	grants_aces[1] = base_aces[1];
	cordon_junction_dir_aces(&user, &group, dir_aces);
	code = ensure_folder(base, base_aces, 3, &user, err);
	if (code == CORDON_OK)
		code = ensure_folder(grants, grants_aces, 2, &user, err);
	if (code == CORDON_OK)
		code = ensure_folder(dir, dir_aces, CORDON_JUNCTION_DIR_ACES, &user, err);
out:
	free(dir);
	free(grants);
	free(base);
	free(data);
	return code;
}
