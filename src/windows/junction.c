/* The junction that stands in for a working directory in elevated mode
 * while the list grants above it are not applied yet (elevated.h,
 * windows/plan/cwd_junction.h for the name, the place and the DACLs).
 *
 * Who does what: `cordon setup`, elevated, makes %ProgramData%\cordon and
 * its junctions folder (win_machine_dirs_prepare, from
 * win_grant_helper_start); `cordon run`, as the user and unelevated,
 * makes or reuses one junction there (win_cwd_junction) before the runner
 * starts. The folder lets the user add a junction and nobody else but
 * SYSTEM and Administrators change anything; each junction is checked
 * before use (a mount point, to the working directory, owned by the user
 * or an administrator, a DACL that lets no one else change it). Under
 * Wine, FSCTL_SET_REPARSE_POINT fails with error 50: win_cwd_junction
 * returns CORDON_E_UNSUPPORTED there. */
#include "windows/elevated.h"

#include <winioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/acl_prepare.h"
#include "windows/plan/acl_apply.h"
#include "windows/plan/cwd_junction.h"
#include "windows/machine_dir.h"
#include "windows/win_internal.h"

/* The mount-point reparse buffer (REPARSE_DATA_BUFFER's
 * MountPointReparseBuffer): the offsets, then the names. */
typedef struct mount_point_data {
	win_reparse_names head;
	WCHAR names[1];
} mount_point_data;

#define MOUNT_POINT_HEADER  8 /* tag, data_length, reserved */
#define MOUNT_POINT_OFFSETS 8 /* the four name offsets and lengths */

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
	    returned >= MOUNT_POINT_HEADER + MOUNT_POINT_OFFSETS &&
	    data->head.tag == IO_REPARSE_TAG_MOUNT_POINT &&
	    (size_t)MOUNT_POINT_HEADER + MOUNT_POINT_OFFSETS + data->head.substitute_offset +
			    data->head.substitute_length <=
		    returned)
		substitute =
			win_utf8((const WCHAR *)((const BYTE *)data->names + data->head.substitute_offset),
				 (int)(data->head.substitute_length / sizeof(WCHAR)));
	free(buffer);
	return substitute;
}

/* Whether an existing junction may be used: a mount point to target,
 * owned by the user or an administrator, its DACL letting no one else
 * change it. *owned_by_user says whether the user may replace it. */
static cordon_code junction_check(const char *path, const char *target, const cordon_sid *user, bool *usable,
				  bool *owned_by_user, cordon_error *err)
{
	HANDLE file = win_open_no_follow(path, READ_CONTROL | FILE_READ_ATTRIBUTES);
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
	code = win_owner_of(file, path, &owner, err);
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
			  win_trusted_owner(&owner, user) && !dacl.has_unknown_aces &&
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
	HANDLE file = win_open_no_follow(dir, READ_CONTROL | FILE_READ_ATTRIBUTES);
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
	linked = win_is_link(file);
	code = win_owner_of(file, dir, &owner, err);
	CloseHandle(file);
	if (code == CORDON_OK)
		code = fs.open(fs.context, dir, CORDON_FS_INSPECT, &handle, &info, err);
	if (code == CORDON_OK)
		code = fs.read_dacl(fs.context, handle, &dacl, err);
	if (handle)
		fs.close(fs.context, handle);
	if (code == CORDON_OK &&
	    (linked || !win_trusted_owner(&owner, user) || dacl.has_unknown_aces ||
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
	data->head.tag = IO_REPARSE_TAG_MOUNT_POINT;
	data->head.data_length = (WORD)data_bytes;
	data->head.substitute_offset = 0;
	data->head.substitute_length = (WORD)substitute_bytes;
	data->head.print_offset = (WORD)(substitute_bytes + sizeof(WCHAR));
	data->head.print_length = (WORD)print_bytes;
	memcpy(data->names, wide_substitute, substitute_bytes);
	memcpy((BYTE *)data->names + data->head.print_offset, wide_print, print_bytes);
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
	code = win_current_user_sid(&user, err);
	if (code == CORDON_OK)
		code = win_machine_dir(&data, err);
	if (code != CORDON_OK)
		return code;
	/* win_machine_dir is <ProgramData>\\cordon: the junction's place is
	 * below ProgramData. */
	data[strlen(data) - strlen("\\cordon")] = '\0';
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
