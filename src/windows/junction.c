/* The junction that stands in for a working directory in elevated mode
 * while the list grants above it are not applied yet (elevated.h,
 * windows/plan/cwd_junction.h for the name, the place and the DACLs).
 *
 * Who does what: `cordon setup`, elevated, makes %ProgramData%\cordon and
 * its junctions folder (win_junction_dir_prepare, from
 * win_grant_helper_start); `cordon run`, as the user and unelevated,
 * makes or reuses one junction there (win_cwd_junction) before the runner
 * starts. The folder lets the user add a junction and nobody else but
 * SYSTEM and Administrators change anything; each junction is checked
 * before use (a mount point, to the working directory, owned by the user
 * or an administrator, a DACL that lets no one else change it). Under
 * Wine, FSCTL_SET_REPARSE_POINT fails with error 50: win_cwd_junction
 * returns CORDON_E_UNSUPPORTED there. */
#include "windows/elevated.h"

#include <aclapi.h>
#include <sddl.h>
#include <shlobj.h>
#include <winioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/acl_prepare.h"
#include "windows/plan/acl_apply.h"
#include "windows/plan/cwd_junction.h"
#include "windows/win_internal.h"

/* FOLDERID_ProgramData, spelled here so the library needs no uuid
 * import library. */
static const GUID program_data_folder = {
	0x62ab5d82, 0xfdc1, 0x4dc3, {0xa9, 0xdd, 0x07, 0x0d, 0x1d, 0x49, 0x5d, 0x97}};

/* The mount-point reparse buffer (REPARSE_DATA_BUFFER's
 * MountPointReparseBuffer, from the DDK's ntifs.h). */
typedef struct mount_point_data {
	DWORD tag;
	WORD data_length;
	WORD reserved;
	WORD substitute_offset;
	WORD substitute_length;
	WORD print_offset;
	WORD print_length;
	WCHAR names[1];
} mount_point_data;

#define MOUNT_POINT_HEADER  8 /* tag, data_length, reserved */
#define MOUNT_POINT_OFFSETS 8 /* the four name offsets and lengths */

static cordon_code program_data(char **out, cordon_error *err)
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

static cordon_code sid_of_native(PSID native, cordon_sid *out, cordon_error *err)
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

static cordon_code current_user_sid(cordon_sid *out, cordon_error *err)
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
		code = sid_of_native(((TOKEN_USER *)buffer)->User.Sid, out, err);
	CloseHandle(token);
	return code;
}

static bool trusted_owner(const cordon_sid *owner, const cordon_sid *user)
{
	cordon_sid system = cordon_sid_local_system(), admins = cordon_sid_administrators();

	return cordon_sid_equal(owner, &system) || cordon_sid_equal(owner, &admins) ||
	       cordon_sid_equal(owner, user);
}

/* -------------------------------------------------------- the folders */

static HANDLE open_no_follow(const char *path, DWORD access)
{
	wchar_t *wide = win_wide(path);
	HANDLE file =
		wide ? CreateFileW(wide, access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
				   FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL)
		     : INVALID_HANDLE_VALUE;

	free(wide);
	return file;
}

static bool is_link(HANDLE file)
{
	BY_HANDLE_FILE_INFORMATION info;

	return !GetFileInformationByHandle(file, &info) ||
	       (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT);
}

static cordon_code owner_of(HANDLE file, const char *path, cordon_sid *owner, cordon_error *err)
{
	PSID native = NULL;
	PSECURITY_DESCRIPTOR descriptor = NULL;
	DWORD status = GetSecurityInfo(file, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &native, NULL, NULL,
				       NULL, &descriptor);
	cordon_code code;

	if (status != ERROR_SUCCESS)
		return win_fail(err, status, "cannot read the owner of %s", path);
	code = sid_of_native(native, owner, err);
	LocalFree(descriptor);
	return code;
}

/* "O:BA" + the protected DACL of aces, as a security descriptor
 * (LocalFree). The SDDL comes from the ACL port, which builds ACLs one
 * way for every caller. */
static cordon_code descriptor_of(const cordon_ace *aces, size_t count, PSECURITY_DESCRIPTOR *descriptor,
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
	code = descriptor_of(aces, count, &descriptor, &wanted, err);
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
	file = open_no_follow(path, READ_CONTROL | WRITE_DAC | FILE_READ_ATTRIBUTES);
	if (file == INVALID_HANDLE_VALUE) {
		code = win_fail(err, GetLastError(), "cannot open %s", path);
		goto out;
	}
	if (is_link(file)) {
		code = cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"%s is a junction or symbolic link, not a folder cordon made: delete it and run "
			"'cordon setup' again",
			path);
		goto out;
	}
	code = owner_of(file, path, &owner, err);
	if (code == CORDON_OK && !trusted_owner(&owner, user)) {
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

cordon_code win_junction_dir_prepare(cordon_error *err)
{
	cordon_sid user, group, system = cordon_sid_local_system(), admins = cordon_sid_administrators();
	cordon_sid users;
	cordon_ace base_aces[3], dir_aces[CORDON_JUNCTION_DIR_ACES];
	char *data = NULL, *base = NULL, *dir = NULL;
	const uint8_t inherit = CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT;
	cordon_code code;

	cordon_sid_parse(CORDON_USERS_GROUP, &users);
	code = current_user_sid(&user, err);
	if (code == CORDON_OK)
		code = win_sandbox_group_sid(&group, err);
	if (code == CORDON_OK)
		code = program_data(&data, err);
	if (code != CORDON_OK)
		return code;
	base = malloc(strlen(data) + sizeof("\\cordon"));
	dir = cordon_junction_dir(data);
	if (!base || !dir) {
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot prepare the junctions folder: out of memory");
		goto out;
	}
	strcpy(base, data);
	strcat(base, "\\cordon");
	base_aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, inherit, CORDON_FILE_ALL_ACCESS, &system);
	base_aces[1] = cordon_ace_make(CORDON_ACE_ALLOW, inherit, CORDON_FILE_ALL_ACCESS, &admins);
	base_aces[2] = cordon_ace_make(CORDON_ACE_ALLOW, inherit,
				       CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_EXECUTE, &users);
	cordon_junction_dir_aces(&user, &group, dir_aces);
	code = ensure_folder(base, base_aces, 3, &user, err);
	if (code == CORDON_OK)
		code = ensure_folder(dir, dir_aces, CORDON_JUNCTION_DIR_ACES, &user, err);
out:
	free(dir);
	free(base);
	free(data);
	return code;
}

/* ------------------------------------------------------- the junction */

/* The substitute name a mount point stores (allocated UTF-8), or NULL
 * when file is not a mount point. */
static char *mount_point_substitute(HANDLE file)
{
	BYTE *buffer = malloc(MAXIMUM_REPARSE_DATA_BUFFER_SIZE);
	const mount_point_data *data = (const mount_point_data *)buffer;
	DWORD returned = 0;
	char *substitute = NULL;

	if (buffer &&
	    DeviceIoControl(file, FSCTL_GET_REPARSE_POINT, NULL, 0, buffer, MAXIMUM_REPARSE_DATA_BUFFER_SIZE,
			    &returned, NULL) &&
	    returned >= MOUNT_POINT_HEADER + MOUNT_POINT_OFFSETS && data->tag == IO_REPARSE_TAG_MOUNT_POINT &&
	    (size_t)MOUNT_POINT_HEADER + MOUNT_POINT_OFFSETS + data->substitute_offset +
			    data->substitute_length <=
		    returned)
		substitute = win_utf8((const WCHAR *)((const BYTE *)data->names + data->substitute_offset),
				      (int)(data->substitute_length / sizeof(WCHAR)));
	free(buffer);
	return substitute;
}

/* Whether an existing junction may be used: a mount point to target,
 * owned by the user or an administrator, its DACL letting no one else
 * change it. *owned_by_user says whether the user may replace it. */
static cordon_code junction_check(const char *path, const char *target, const cordon_sid *user, bool *usable,
				  bool *owned_by_user, cordon_error *err)
{
	HANDLE file = open_no_follow(path, READ_CONTROL | FILE_READ_ATTRIBUTES);
	cordon_fs_port fs = cordon_win_fs_port();
	cordon_fs_handle *handle = NULL;
	cordon_fs_info info;
	cordon_fs_dacl dacl = {0};
	cordon_sid owner;
	char *substitute;
	cordon_code code;

	*usable = false;
	*owned_by_user = false;
	if (file == INVALID_HANDLE_VALUE) {
		DWORD error = GetLastError();

		if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND)
			return cordon_fail(err, CORDON_E_NOT_FOUND, "no junction %s yet", path);
		return win_fail(err, error, "cannot open the junction %s", path);
	}
	substitute = mount_point_substitute(file);
	code = owner_of(file, path, &owner, err);
	CloseHandle(file);
	if (code == CORDON_OK)
		code = fs.open(fs.context, path, CORDON_FS_INSPECT, &handle, &info, err);
	if (code == CORDON_OK)
		code = fs.read_dacl(fs.context, handle, &dacl, err);
	if (handle)
		fs.close(fs.context, handle);
	if (code == CORDON_OK) {
		*owned_by_user = cordon_sid_equal(&owner, user);
		*usable = substitute && cordon_junction_points_to(substitute, target) &&
			  trusted_owner(&owner, user) && !dacl.has_unknown_aces &&
			  cordon_junction_dacl_safe(dacl.present, dacl.aces, dacl.ace_count, &owner, user, 1);
	}
	cordon_fs_dacl_free(&dacl);
	free(substitute);
	return code;
}

/* The junctions folder must be the one setup made: not a link, owned by
 * an administrator (or the user), nobody else able to change it. */
static cordon_code folder_check(const char *dir, const cordon_sid *user, cordon_error *err)
{
	HANDLE file = open_no_follow(dir, READ_CONTROL | FILE_READ_ATTRIBUTES);
	cordon_fs_port fs = cordon_win_fs_port();
	cordon_fs_handle *handle = NULL;
	cordon_fs_info info;
	cordon_fs_dacl dacl = {0};
	cordon_sid owner;
	cordon_code code;
	bool linked;

	if (file == INVALID_HANDLE_VALUE) {
		DWORD error = GetLastError();

		if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND)
			return cordon_fail(err, CORDON_E_STATE,
					   "the junctions folder %s is missing: run 'cordon setup' again, as "
					   "administrator",
					   dir);
		return win_fail(err, error, "cannot open the junctions folder %s", dir);
	}
	linked = is_link(file);
	code = owner_of(file, dir, &owner, err);
	CloseHandle(file);
	if (code == CORDON_OK)
		code = fs.open(fs.context, dir, CORDON_FS_INSPECT, &handle, &info, err);
	if (code == CORDON_OK)
		code = fs.read_dacl(fs.context, handle, &dacl, err);
	if (handle)
		fs.close(fs.context, handle);
	if (code == CORDON_OK &&
	    (linked || !trusted_owner(&owner, user) || dacl.has_unknown_aces ||
	     !cordon_junction_dacl_safe(dacl.present, dacl.aces, dacl.ace_count, &owner, user, 1)))
		code = cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"the junctions folder %s is not as 'cordon setup' made it (a link, another owner, "
			"or others may change it): run 'cordon setup' again, as administrator",
			dir);
	cordon_fs_dacl_free(&dacl);
	return code;
}

/* Creates path as a mount point to target. */
static cordon_code junction_create(const char *path, const char *target, cordon_error *err)
{
	char *substitute = cordon_junction_substitute(target);
	wchar_t *wide_path = win_wide(path), *wide_substitute = substitute ? win_wide(substitute) : NULL;
	wchar_t *wide_print = win_wide(target);
	size_t substitute_bytes, print_bytes, data_bytes;
	mount_point_data *data = NULL;
	HANDLE file = INVALID_HANDLE_VALUE;
	DWORD returned = 0, error;
	cordon_code code = CORDON_OK;

	if (!wide_path || !wide_substitute || !wide_print) {
		code = cordon_fail(err, CORDON_E_INVALID,
				   "cannot make a junction to %s: a junction reaches a local "
				   "drive path only",
				   target);
		goto out;
	}
	substitute_bytes = wcslen(wide_substitute) * sizeof(WCHAR);
	print_bytes = wcslen(wide_print) * sizeof(WCHAR);
	data_bytes = MOUNT_POINT_OFFSETS + substitute_bytes + print_bytes + 2 * sizeof(WCHAR);
	if (MOUNT_POINT_HEADER + data_bytes > MAXIMUM_REPARSE_DATA_BUFFER_SIZE) {
		code = cordon_fail(err, CORDON_E_INVALID,
				   "cannot make a junction to %s: the path is too long", target);
		goto out;
	}
	data = calloc(1, MOUNT_POINT_HEADER + data_bytes);
	if (!data) {
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot make a junction: out of memory");
		goto out;
	}
	data->tag = IO_REPARSE_TAG_MOUNT_POINT;
	data->data_length = (WORD)data_bytes;
	data->substitute_offset = 0;
	data->substitute_length = (WORD)substitute_bytes;
	data->print_offset = (WORD)(substitute_bytes + sizeof(WCHAR));
	data->print_length = (WORD)print_bytes;
	memcpy(data->names, wide_substitute, substitute_bytes);
	memcpy((BYTE *)data->names + data->print_offset, wide_print, print_bytes);
	/* The folder's inheritable ACEs give the new directory its DACL:
	 * the user (as creator) full control, the sandbox group read. */
	if (!CreateDirectoryW(wide_path, NULL)) {
		code = win_fail(err, GetLastError(), "cannot create the junction %s", path);
		goto out;
	}
	file = CreateFileW(wide_path, GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
			   FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
	if (file == INVALID_HANDLE_VALUE ||
	    !DeviceIoControl(file, FSCTL_SET_REPARSE_POINT, data, (DWORD)(MOUNT_POINT_HEADER + data_bytes),
			     NULL, 0, &returned, NULL)) {
		error = GetLastError();
		if (file != INVALID_HANDLE_VALUE)
			CloseHandle(file);
		file = INVALID_HANDLE_VALUE;
		RemoveDirectoryW(wide_path);
		if (error == ERROR_NOT_SUPPORTED || error == ERROR_INVALID_FUNCTION)
			code = cordon_fail(
				err, CORDON_E_UNSUPPORTED,
				"cannot make the junction %s: this file system does not support junctions "
				"(Windows error %lu)",
				path, (unsigned long)error);
		else
			code = win_fail(err, error, "cannot make the junction %s", path);
	}
out:
	if (file != INVALID_HANDLE_VALUE)
		CloseHandle(file);
	free(data);
	free(wide_print);
	free(wide_substitute);
	free(wide_path);
	free(substitute);
	return code;
}

cordon_code win_cwd_junction(const char *canonical_dir, char **junction, cordon_error *err)
{
	char *data = NULL, *dir = NULL, *path = NULL;
	cordon_sid user;
	bool usable = false, owned = false;
	cordon_code code;

	*junction = NULL;
	code = current_user_sid(&user, err);
	if (code == CORDON_OK)
		code = program_data(&data, err);
	if (code != CORDON_OK)
		return code;
	dir = cordon_junction_dir(data);
	path = cordon_junction_path(data, canonical_dir);
	if (!dir || !path) {
		code = cordon_fail(err, CORDON_E_INVALID, "cannot name a junction for '%s'", canonical_dir);
		goto out;
	}
	code = folder_check(dir, &user, err);
	if (code != CORDON_OK)
		goto out;
	code = junction_check(path, canonical_dir, &user, &usable, &owned, err);
	if (code == CORDON_E_NOT_FOUND) {
		code = junction_create(path, canonical_dir, err);
		if (code == CORDON_OK)
			code = junction_check(path, canonical_dir, &user, &usable, &owned, err);
	} else if (code == CORDON_OK && !usable && owned) {
		/* Left by an earlier run that did not finish, or pointed
		 * elsewhere by the user: replace it. RemoveDirectoryW removes
		 * the link, never its target. */
		wchar_t *wide = win_wide(path);

		if (!wide || !RemoveDirectoryW(wide))
			code = win_fail(err, GetLastError(), "cannot replace the junction %s", path);
		free(wide);
		if (code == CORDON_OK)
			code = junction_create(path, canonical_dir, err);
		if (code == CORDON_OK)
			code = junction_check(path, canonical_dir, &user, &usable, &owned, err);
	}
	if (code == CORDON_OK && !usable)
		code = cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"the junction %s does not point to %s, or others may change it, and cordon may not "
			"replace it: run 'cordon setup' again, as administrator",
			path, canonical_dir);
	if (code == CORDON_OK) {
		*junction = path;
		path = NULL;
	}
out:
	free(path);
	free(dir);
	free(data);
	return code;
}
