/* The Win32 side of "ACLs applied once": the file port and the state
 * port the engine (windows/plan/acl_apply.c) runs on, and
 * cordon_win_acl_prepare. Deliberately thin: every decision is in the
 * portable engine and plan, tested natively against the access-check
 * model; this file only turns those calls into Win32 calls.
 *
 * - Objects are opened with FILE_FLAG_OPEN_REPARSE_POINT |
 *   FILE_FLAG_BACKUP_SEMANTICS (a link in the last component is opened
 *   itself), without FILE_SHARE_DELETE (while cordon holds a directory
 *   open it cannot be renamed away and replaced by a junction).
 * - Identity is the volume serial number and the 128-bit file id
 *   (FileIdInfo), or the 64-bit file index where that is not supported.
 * - A "reparse point" to the engine is a name surrogate (junction,
 *   symbolic link): other reparse points (cloud placeholders, dedup) are
 *   ordinary files and directories.
 * - Directories are listed through the open handle
 *   (GetFileInformationByHandleEx, FileIdBothDirectoryInfo).
 * - DACLs are read with GetSecurityInfo and written with SetSecurityInfo
 *   on the handle; SetSecurityInfo propagates inheritable ACEs to the
 *   existing children (documented "automatic propagation").
 * - Under Wine none of this is enforced or even stored (see
 *   docs/windows.md): Wine runs of this file prove plumbing only. */
#include <windows.h>
#include <aclapi.h>
#include <ntsecapi.h>
#include <sddl.h>
#include <winioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/wide.h"
#include "core/winpath.h"
#include "windows/acl_prepare.h"
#include "windows/plan/acl_apply.h"
#include "windows/win_internal.h"

/* A .git file, a record and the secret are small; anything bigger is not
 * one of them. */
#define STATE_FILE_MAX	  (1u << 20)
#define LIST_BUFFER_BYTES 65536

struct cordon_fs_handle {
	HANDLE file;
};

static cordon_code fail_win32(cordon_error *err, DWORD error, const char *what, const char *path)
{
	if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND)
		return cordon_fail(err, CORDON_E_NOT_FOUND, "cannot %s %s: it does not exist", what, path);
	if (error == ERROR_SHARING_VIOLATION)
		return cordon_fail(
			err, CORDON_E_SYSTEM,
			"cannot %s %s: another program has it open for deleting (Windows error %lu); "
			"close it and retry",
			what, path, (unsigned long)error);
	return cordon_fail(err, CORDON_E_SYSTEM, "cannot %s %s: Windows error %lu", what, path,
			   (unsigned long)error);
}

/* ------------------------------------------------------------- strings */

static char *wide_to_utf8(const wchar_t *text, int length)
{
	int count = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, text, length, NULL, 0, NULL, NULL);
	char *utf8;

	if (count < 0 || (count == 0 && length != 0))
		return NULL;
	utf8 = malloc((size_t)count + 1);
	if (!utf8)
		return NULL;
	if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, text, length, utf8, count, NULL, NULL) !=
	    count) {
		free(utf8);
		return NULL;
	}
	utf8[count] = '\0';
	return utf8;
}

/* "C:\x" -> "\\?\C:\x", "\\server\share\x" -> "\\?\UNC\server\share\x":
 * canonical paths need no Win32 normalisation, and long ones must not
 * hit MAX_PATH. */
static wchar_t *extended_path(const char *canonical)
{
	bool unc = canonical[0] == '\\' && canonical[1] == '\\';
	size_t length = strlen(canonical) + 16;
	char *prefixed = malloc(length);
	wchar_t *wide;

	if (!prefixed)
		return NULL;
	if (unc)
		snprintf(prefixed, length, "\\\\?\\UNC\\%s", canonical + 2);
	else
		snprintf(prefixed, length, "\\\\?\\%s", canonical);
	wide = cordon_utf8_to_wide(prefixed);
	free(prefixed);
	return wide;
}

/* ----------------------------------------------------------------- SIDs */

static bool sid_to_native(const cordon_sid *sid, BYTE buffer[SECURITY_MAX_SID_SIZE])
{
	SID_IDENTIFIER_AUTHORITY authority;
	PSID native = (PSID)buffer;

	if (sid->sub_count > SID_MAX_SUB_AUTHORITIES)
		return false;
	for (int i = 0; i < 6; i++)
		authority.Value[i] = (BYTE)(sid->authority >> (8 * (5 - i)));
	if (!InitializeSid(native, &authority, sid->sub_count))
		return false;
	for (BYTE i = 0; i < sid->sub_count; i++)
		*GetSidSubAuthority(native, i) = sid->sub[i];
	return true;
}

static bool sid_from_native(PSID native, cordon_sid *out)
{
	PSID_IDENTIFIER_AUTHORITY authority;
	uint32_t sub[CORDON_SID_MAX_SUB_AUTHORITIES];
	uint64_t value = 0;
	UCHAR count;

	if (!IsValidSid(native))
		return false;
	authority = GetSidIdentifierAuthority(native);
	for (int i = 0; i < 6; i++)
		value = (value << 8) | authority->Value[i];
	count = *GetSidSubAuthorityCount(native);
	if (count > CORDON_SID_MAX_SUB_AUTHORITIES)
		return false;
	for (UCHAR i = 0; i < count; i++)
		sub[i] = *GetSidSubAuthority(native, i);
	*out = cordon_sid_make(value, count, sub);
	return true;
}

/* ----------------------------------------------------------------- ACLs */

/* The ACL holding exactly these ACEs, in this order. Allocated. */
static PACL build_acl(const cordon_ace *aces, size_t count)
{
	DWORD size = sizeof(ACL);
	BYTE sid[SECURITY_MAX_SID_SIZE];
	PACL acl;

	for (size_t i = 0; i < count; i++) {
		if (!sid_to_native(&aces[i].sid, sid))
			return NULL;
		size += (DWORD)(sizeof(ACCESS_ALLOWED_ACE) - sizeof(DWORD) + GetLengthSid((PSID)sid));
	}
	size = (size + 3) & ~3u;
	acl = malloc(size);
	if (!acl || !InitializeAcl(acl, size, ACL_REVISION)) {
		free(acl);
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		const cordon_ace *ace = &aces[i];
		BOOL added;

		sid_to_native(&ace->sid, sid);
		if (ace->type == CORDON_ACE_DENY)
			added = AddAccessDeniedAceEx(acl, ACL_REVISION, ace->flags, ace->mask, (PSID)sid);
		else
			added = AddAccessAllowedAceEx(acl, ACL_REVISION, ace->flags, ace->mask, (PSID)sid);
		if (!added) {
			free(acl);
			return NULL;
		}
	}
	return acl;
}

/* Allowed and denied ACEs become cordon_aces; any other type marks the
 * DACL as one cordon must not rewrite. */
static cordon_code dacl_from_native(PACL acl, bool is_protected, cordon_fs_dacl *out, cordon_error *err)
{
	memset(out, 0, sizeof(*out));
	out->dacl_protected = is_protected;
	out->present = acl != NULL;
	if (!acl)
		return CORDON_OK;
	out->aces = calloc((size_t)acl->AceCount + 1, sizeof(*out->aces));
	if (!out->aces)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read a DACL: out of memory");
	for (DWORD i = 0; i < acl->AceCount; i++) {
		ACE_HEADER *header;
		ACCESS_ALLOWED_ACE *ace;
		cordon_sid sid;

		if (!GetAce(acl, i, (void **)&header))
			return cordon_fail(err, CORDON_E_SYSTEM, "cannot read a DACL: ACE %lu is unreadable",
					   (unsigned long)i);
		if (header->AceType != ACCESS_ALLOWED_ACE_TYPE && header->AceType != ACCESS_DENIED_ACE_TYPE) {
			out->has_unknown_aces = true;
			continue;
		}
		/* ACCESS_DENIED_ACE has the same layout. */
		ace = (ACCESS_ALLOWED_ACE *)header;
		if (!sid_from_native((PSID)&ace->SidStart, &sid)) {
			out->has_unknown_aces = true;
			continue;
		}
		out->aces[out->ace_count++] = cordon_ace_make(
			header->AceType == ACCESS_DENIED_ACE_TYPE ? CORDON_ACE_DENY : CORDON_ACE_ALLOW,
			header->AceFlags, ace->Mask, &sid);
	}
	return CORDON_OK;
}

static cordon_code read_dacl_of(HANDLE file, cordon_fs_dacl *out, cordon_error *err)
{
	PSECURITY_DESCRIPTOR descriptor = NULL;
	SECURITY_DESCRIPTOR_CONTROL control = 0;
	DWORD revision = 0;
	PACL acl = NULL;
	DWORD status = GetSecurityInfo(file, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, &acl,
				       NULL, &descriptor);
	cordon_code code;

	if (status != ERROR_SUCCESS)
		return fail_win32(err, status, "read the DACL of", "an object");
	if (!GetSecurityDescriptorControl(descriptor, &control, &revision))
		control = 0;
	code = dacl_from_native(acl, (control & SE_DACL_PROTECTED) != 0, out, err);
	LocalFree(descriptor);
	if (code != CORDON_OK)
		cordon_fs_dacl_free(out);
	return code;
}

/* ------------------------------------------------------------ file port */

static cordon_code fill_info(HANDLE file, cordon_fs_info *info, const char *path, cordon_error *err)
{
	BY_HANDLE_FILE_INFORMATION basic;
	FILE_ATTRIBUTE_TAG_INFO tag;
	FILE_ID_INFO id;

	memset(info, 0, sizeof(*info));
	if (!GetFileInformationByHandle(file, &basic))
		return fail_win32(err, GetLastError(), "inspect", path);
	info->is_directory = (basic.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
	if (basic.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
		/* Unknown tag: treated as a link, never walked into. */
		info->is_reparse_point = true;
		if (GetFileInformationByHandleEx(file, FileAttributeTagInfo, &tag, sizeof(tag)))
			info->is_reparse_point = IsReparseTagNameSurrogate(tag.ReparseTag) != 0;
	}
	if (GetFileInformationByHandleEx(file, FileIdInfo, &id, sizeof(id))) {
		info->identity.volume = id.VolumeSerialNumber;
		memcpy(&info->identity.file_id_high, id.FileId.Identifier, 8);
		memcpy(&info->identity.file_id_low, id.FileId.Identifier + 8, 8);
	} else {
		info->identity.volume = basic.dwVolumeSerialNumber;
		info->identity.file_id_low = ((uint64_t)basic.nFileIndexHigh << 32) | basic.nFileIndexLow;
	}
	return CORDON_OK;
}

static HANDLE open_no_follow(const wchar_t *path, DWORD access)
{
	return CreateFileW(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
			   FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
}

static cordon_code win_open(void *context, const char *path, cordon_fs_intent intent, cordon_fs_handle **out,
			    cordon_fs_info *info, cordon_error *err)
{
	DWORD access = READ_CONTROL | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
	wchar_t *wide = extended_path(path);
	HANDLE file;
	cordon_code code;

	(void)context;
	*out = NULL;
	if (!wide)
		return cordon_fail(err, CORDON_E_INVALID, "cannot open %s: the path is not valid UTF-8",
				   path);
	if (intent == CORDON_FS_CHANGE_DACL) {
		file = open_no_follow(wide, access | WRITE_DAC);
	} else {
		/* Listing a directory or reading a .git file needs
		 * FILE_READ_DATA; a DACL alone does not. */
		file = open_no_follow(wide, access | FILE_READ_DATA);
		if (file == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED)
			file = open_no_follow(wide, access);
	}
	free(wide);
	if (file == INVALID_HANDLE_VALUE)
		return fail_win32(err, GetLastError(), "open", path);
	code = fill_info(file, info, path, err);
	if (code == CORDON_OK)
		*out = malloc(sizeof(**out));
	if (code == CORDON_OK && !*out)
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot open %s: out of memory", path);
	if (code != CORDON_OK) {
		CloseHandle(file);
		return code;
	}
	(*out)->file = file;
	return CORDON_OK;
}

static bool push_name(char ***names, size_t *count, size_t *capacity, char *name)
{
	if (*count == *capacity) {
		size_t grown_capacity = *capacity ? 2 * *capacity : 64;
		char **grown = realloc(*names, grown_capacity * sizeof(*grown));

		if (!grown)
			return false;
		*names = grown;
		*capacity = grown_capacity;
	}
	(*names)[(*count)++] = name;
	return true;
}

static void free_list(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* One buffer of directory entries into names; false on out of memory. */
static bool take_entries(const BYTE *buffer, char ***names, size_t *count, size_t *capacity)
{
	const FILE_ID_BOTH_DIR_INFO *entry = (const FILE_ID_BOTH_DIR_INFO *)buffer;

	for (;;) {
		int length = (int)(entry->FileNameLength / sizeof(WCHAR));
		bool dot = (length == 1 && entry->FileName[0] == L'.') ||
			   (length == 2 && entry->FileName[0] == L'.' && entry->FileName[1] == L'.');

		if (!dot) {
			char *name = wide_to_utf8(entry->FileName, length);

			if (!name || !push_name(names, count, capacity, name)) {
				free(name);
				return false;
			}
		}
		if (entry->NextEntryOffset == 0)
			return true;
		entry = (const FILE_ID_BOTH_DIR_INFO *)((const BYTE *)entry + entry->NextEntryOffset);
	}
}

static cordon_code win_list(void *context, cordon_fs_handle *handle, char ***names, size_t *count,
			    cordon_error *err)
{
	BYTE *buffer = malloc(LIST_BUFFER_BYTES);
	FILE_INFO_BY_HANDLE_CLASS class = FileIdBothDirectoryRestartInfo;
	size_t capacity = 0;

	(void)context;
	*names = NULL;
	*count = 0;
	if (!buffer)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot list a directory: out of memory");
	for (;;) {
		if (!GetFileInformationByHandleEx(handle->file, class, buffer, LIST_BUFFER_BYTES)) {
			DWORD error = GetLastError();

			free(buffer);
			if (error == ERROR_NO_MORE_FILES)
				return CORDON_OK;
			free_list(*names, *count);
			*names = NULL;
			*count = 0;
			return fail_win32(err, error, "list", "a directory");
		}
		class = FileIdBothDirectoryInfo;
		if (!take_entries(buffer, names, count, &capacity)) {
			free(buffer);
			free_list(*names, *count);
			*names = NULL;
			*count = 0;
			return cordon_fail(err, CORDON_E_NOMEM, "cannot list a directory: out of memory");
		}
	}
}

static char *win_reparse_target(void *context, cordon_fs_handle *handle)
{
	BYTE *buffer = malloc(MAXIMUM_REPARSE_DATA_BUFFER_SIZE);
	const win_reparse_names *data = (const win_reparse_names *)buffer;
	const BYTE *names;
	DWORD returned = 0;
	char *print = NULL, *canonical = NULL, *stream = NULL;

	(void)context;
	if (!buffer)
		return NULL;
	if (!DeviceIoControl(handle->file, FSCTL_GET_REPARSE_POINT, NULL, 0, buffer,
			     MAXIMUM_REPARSE_DATA_BUFFER_SIZE, &returned, NULL) ||
	    returned < sizeof(*data))
		goto out;
	if (data->tag == IO_REPARSE_TAG_MOUNT_POINT)
		names = buffer + sizeof(*data);
	else if (data->tag == IO_REPARSE_TAG_SYMLINK)
		names = buffer + sizeof(*data) + sizeof(ULONG); /* after the flags */
	else
		goto out;
	if ((size_t)(names - buffer) + data->print_offset + data->print_length > returned)
		goto out;
	print = wide_to_utf8((const wchar_t *)(names + data->print_offset),
			     (int)(data->print_length / sizeof(WCHAR)));
	if (print)
		canonical = winpath_canonical(print, NULL, &stream);
out:
	free(stream);
	free(print);
	free(buffer);
	return canonical;
}

static cordon_code win_read_head(void *context, cordon_fs_handle *handle, char *buffer, size_t size,
				 size_t *length, cordon_error *err)
{
	DWORD got = 0;

	(void)context;
	*length = 0;
	if (size > STATE_FILE_MAX)
		size = STATE_FILE_MAX;
	if (!ReadFile(handle->file, buffer, (DWORD)size, &got, NULL))
		return fail_win32(err, GetLastError(), "read", "a .git file");
	*length = got;
	return CORDON_OK;
}

static cordon_code win_read_dacl(void *context, cordon_fs_handle *handle, cordon_fs_dacl *out,
				 cordon_error *err)
{
	(void)context;
	return read_dacl_of(handle->file, out, err);
}

static cordon_code win_write_dacl(void *context, cordon_fs_handle *handle, const cordon_fs_dacl *dacl,
				  cordon_error *err)
{
	SECURITY_INFORMATION what = DACL_SECURITY_INFORMATION;
	PACL acl;
	DWORD status;

	(void)context;
	if (!dacl->present || dacl->has_unknown_aces)
		return cordon_fail(err, CORDON_E_INVALID, "cannot write a DACL cordon did not build whole");
	acl = build_acl(dacl->aces, dacl->ace_count);
	if (!acl)
		return cordon_fail(err, CORDON_E_SYSTEM, "cannot build a DACL: an ACE or SID is malformed");
	what |= dacl->dacl_protected ? PROTECTED_DACL_SECURITY_INFORMATION
				     : UNPROTECTED_DACL_SECURITY_INFORMATION;
	status = SetSecurityInfo(handle->file, SE_FILE_OBJECT, what, NULL, NULL, acl, NULL);
	free(acl);
	if (status != ERROR_SUCCESS)
		return fail_win32(err, status, "write the DACL of", "an object");
	return CORDON_OK;
}

static void win_close(void *context, cordon_fs_handle *handle)
{
	(void)context;
	if (handle) {
		CloseHandle(handle->file);
		free(handle);
	}
}

cordon_fs_port cordon_win_fs_port(void)
{
	cordon_fs_port fs = {
		.context = NULL,
		.open = win_open,
		.list = win_list,
		.reparse_target = win_reparse_target,
		.read_head = win_read_head,
		.read_dacl = win_read_dacl,
		.write_dacl = win_write_dacl,
		.close = win_close,
	};
	return fs;
}

/* ----------------------------------------------------------- state port */

typedef struct win_state {
	char *dir; /* canonical */
	BYTE user[SECURITY_MAX_SID_SIZE];
	PACL owner_only_acl; /* one ACE: the user, full control */
	SECURITY_DESCRIPTOR owner_only;
} win_state;

static cordon_code current_user(BYTE out[SECURITY_MAX_SID_SIZE], cordon_error *err)
{
	HANDLE token;
	BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	DWORD length = 0;
	TOKEN_USER *user = (TOKEN_USER *)buffer;
	bool ok;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return fail_win32(err, GetLastError(), "read", "this process's user");
	ok = GetTokenInformation(token, TokenUser, buffer, sizeof(buffer), &length) &&
	     GetLengthSid(user->User.Sid) <= SECURITY_MAX_SID_SIZE;
	if (ok)
		CopySid(SECURITY_MAX_SID_SIZE, out, user->User.Sid);
	CloseHandle(token);
	if (!ok)
		return fail_win32(err, GetLastError(), "read", "this process's user");
	return CORDON_OK;
}

/* A protected DACL granting the user alone: what the secret, the record
 * and the state directory are created with. */
static cordon_code make_owner_only(win_state *state, cordon_error *err)
{
	cordon_sid user;
	cordon_ace ace;

	if (!sid_from_native((PSID)state->user, &user))
		return cordon_fail(err, CORDON_E_SYSTEM, "cannot read this process's user SID");
	ace = cordon_ace_make(CORDON_ACE_ALLOW, CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT,
			      CORDON_FILE_ALL_ACCESS, &user);
	state->owner_only_acl = build_acl(&ace, 1);
	if (!state->owner_only_acl ||
	    !InitializeSecurityDescriptor(&state->owner_only, SECURITY_DESCRIPTOR_REVISION) ||
	    !SetSecurityDescriptorDacl(&state->owner_only, TRUE, state->owner_only_acl, FALSE) ||
	    !SetSecurityDescriptorControl(&state->owner_only, SE_DACL_PROTECTED, SE_DACL_PROTECTED))
		return fail_win32(err, GetLastError(), "build", "an owner-only security descriptor");
	return CORDON_OK;
}

static wchar_t *state_path(const win_state *state, const char *name)
{
	size_t length = strlen(state->dir) + strlen(name) + 2;
	char *joined = malloc(length);
	wchar_t *wide;

	if (!joined)
		return NULL;
	snprintf(joined, length, "%s%s%s", state->dir, state->dir[strlen(state->dir) - 1] == '\\' ? "" : "\\",
		 name);
	wide = extended_path(joined);
	free(joined);
	return wide;
}

/* Every ACE that grants anything names the user or LocalSystem (which
 * can read every file anyway). The protected bit is not required: the
 * file is created protected, but an unprotected DACL naming only these
 * two still lets nobody else read it now. */
static bool is_owner_only(HANDLE file, const win_state *state)
{
	cordon_fs_dacl dacl;
	cordon_sid user, system = cordon_sid_local_system();
	cordon_error ignored;
	bool only = true;

	if (!sid_from_native((PSID)state->user, &user) || read_dacl_of(file, &dacl, &ignored) != CORDON_OK)
		return false;
	only = dacl.present && !dacl.has_unknown_aces;
	for (size_t i = 0; i < dacl.ace_count && only; i++) {
		const cordon_ace *ace = &dacl.aces[i];

		if (ace->type != CORDON_ACE_ALLOW || (ace->flags & CORDON_ACE_INHERIT_ONLY))
			continue;
		only = cordon_sid_equal(&ace->sid, &user) || cordon_sid_equal(&ace->sid, &system);
	}
	cordon_fs_dacl_free(&dacl);
	return only;
}

static cordon_code state_read(void *context, const char *name, char **data, size_t *length, bool *owner_only,
			      cordon_error *err)
{
	win_state *state = context;
	wchar_t *path = state_path(state, name);
	HANDLE file;
	LARGE_INTEGER size;
	DWORD got = 0;
	cordon_fs_info info;
	cordon_code code;

	*data = NULL;
	*length = 0;
	if (!path)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read %s: out of memory", name);
	file = CreateFileW(path, GENERIC_READ | READ_CONTROL, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			   FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(path);
	if (file == INVALID_HANDLE_VALUE)
		return fail_win32(err, GetLastError(), "read cordon's state file", name);
	code = fill_info(file, &info, name, err);
	if (code == CORDON_OK && (info.is_reparse_point || info.is_directory))
		code = cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"cannot read cordon's state file %s: it is a link or a directory; delete it", name);
	if (code == CORDON_OK && (!GetFileSizeEx(file, &size) || size.QuadPart > STATE_FILE_MAX))
		code = cordon_fail(err, CORDON_E_STATE,
				   "cannot read cordon's state file %s: too large; delete it", name);
	if (code == CORDON_OK && !(*data = malloc((size_t)size.QuadPart + 1)))
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot read %s: out of memory", name);
	if (code == CORDON_OK && !ReadFile(file, *data, (DWORD)size.QuadPart, &got, NULL))
		code = fail_win32(err, GetLastError(), "read cordon's state file", name);
	if (code == CORDON_OK) {
		(*data)[got] = '\0';
		*length = got;
		if (owner_only)
			*owner_only = is_owner_only(file, state);
	} else {
		free(*data);
		*data = NULL;
	}
	CloseHandle(file);
	return code;
}

/* Creates path (CREATE_NEW: never an existing file, never through a
 * link) owner-only, writes data, flushes. */
static cordon_code write_new_file(win_state *state, const wchar_t *path, const char *name, const void *data,
				  size_t length, cordon_error *err)
{
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), &state->owner_only, FALSE};
	HANDLE file =
		CreateFileW(path, GENERIC_WRITE, 0, &attributes, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
	DWORD written = 0;
	bool ok;

	if (file == INVALID_HANDLE_VALUE) {
		DWORD error = GetLastError();

		if (error == ERROR_FILE_EXISTS || error == ERROR_ALREADY_EXISTS)
			return cordon_fail(err, CORDON_E_STATE, "cordon's state file %s already exists",
					   name);
		return fail_win32(err, error, "create cordon's state file", name);
	}
	ok = length <= STATE_FILE_MAX && WriteFile(file, data, (DWORD)length, &written, NULL) &&
	     written == length && FlushFileBuffers(file);
	CloseHandle(file);
	if (!ok) {
		DeleteFileW(path);
		return fail_win32(err, GetLastError(), "write cordon's state file", name);
	}
	return CORDON_OK;
}

static cordon_code state_create(void *context, const char *name, const void *data, size_t length,
				cordon_error *err)
{
	wchar_t *path = state_path(context, name);
	cordon_code code;

	if (!path)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot create %s: out of memory", name);
	code = write_new_file(context, path, name, data, length, err);
	free(path);
	return code;
}

static cordon_code state_replace(void *context, const char *name, const void *data, size_t length,
				 cordon_error *err)
{
	char temporary[300];
	wchar_t *path, *temporary_path;
	cordon_code code;

	snprintf(temporary, sizeof(temporary), "%s.%lu.%lu.tmp", name, (unsigned long)GetCurrentProcessId(),
		 (unsigned long)GetTickCount());
	path = state_path(context, name);
	temporary_path = state_path(context, temporary);
	if (!path || !temporary_path) {
		free(path);
		free(temporary_path);
		return cordon_fail(err, CORDON_E_NOMEM, "cannot write %s: out of memory", name);
	}
	code = write_new_file(context, temporary_path, name, data, length, err);
	if (code == CORDON_OK &&
	    !MoveFileExW(temporary_path, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		code = fail_win32(err, GetLastError(), "replace cordon's state file", name);
		DeleteFileW(temporary_path);
	}
	free(path);
	free(temporary_path);
	return code;
}

static cordon_code state_random(void *context, uint8_t *buffer, size_t length, cordon_error *err)
{
	(void)context;
	if (length > 0xffffffffu || !RtlGenRandom(buffer, (ULONG)length))
		return cordon_fail(
			err, CORDON_E_SYSTEM,
			"cannot make cordon's per-install secret: the system random source failed");
	return CORDON_OK;
}

/* The state directory and its missing parents; the directories cordon
 * creates are owner-only. */
static cordon_code make_state_dir(win_state *state, cordon_error *err)
{
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), &state->owner_only, FALSE};
	size_t length = strlen(state->dir);
	char *prefix = malloc(length + 1);

	if (!prefix)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot create %s: out of memory", state->dir);
	for (size_t end = 3; end <= length; end++) {
		wchar_t *wide;
		bool made;

		if (end < length && state->dir[end] != '\\')
			continue;
		memcpy(prefix, state->dir, end);
		prefix[end] = '\0';
		wide = extended_path(prefix);
		made = wide &&
		       (CreateDirectoryW(wide, &attributes) || GetLastError() == ERROR_ALREADY_EXISTS);
		free(wide);
		if (!made) {
			cordon_code code =
				fail_win32(err, GetLastError(), "create cordon's state directory", prefix);

			free(prefix);
			return code;
		}
	}
	free(prefix);
	return CORDON_OK;
}

static cordon_code win_state_open(win_state *state, const char *dir, cordon_error *err)
{
	cordon_code code;

	memset(state, 0, sizeof(*state));
	state->dir = malloc(strlen(dir) + 1);
	if (!state->dir)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot open cordon's state: out of memory");
	strcpy(state->dir, dir);
	code = current_user(state->user, err);
	if (code == CORDON_OK)
		code = make_owner_only(state, err);
	if (code == CORDON_OK)
		code = make_state_dir(state, err);
	return code;
}

static void win_state_close(win_state *state)
{
	free(state->dir);
	free(state->owner_only_acl);
	memset(state, 0, sizeof(*state));
}

static cordon_state_port win_state_port(win_state *state)
{
	cordon_state_port port = {
		.context = state,
		.read_file = state_read,
		.replace_file = state_replace,
		.create_exclusive = state_create,
		.random_bytes = state_random,
	};
	return port;
}

cordon_code cordon_win_state_read(const char *state_dir, const char *name, char **data, size_t *length,
				  cordon_error *err)
{
	win_state state;
	cordon_code code = win_state_open(&state, state_dir, err);

	*data = NULL;
	if (code == CORDON_OK)
		code = state_read(&state, name, data, length, NULL, err);
	win_state_close(&state);
	return code;
}

cordon_code cordon_win_state_replace(const char *state_dir, const char *name, const void *data, size_t length,
				     cordon_error *err)
{
	win_state state;
	cordon_code code = win_state_open(&state, state_dir, err);

	if (code == CORDON_OK)
		code = state_replace(&state, name, data, length, err);
	win_state_close(&state);
	return code;
}

/* --------------------------------------------------------------- prepare */

static cordon_code derive_sids(const uint8_t *secret, const cordon_win_acl_request *request,
			       cordon_win_acl_outcome *out, cordon_error *err)
{
	size_t n = CORDON_CAPSID_SECRET_BYTES;

	if (!cordon_capsid_derive(secret, n, CORDON_CAPSID_WORKSPACE, request->workspace,
				  &out->workspace_sid) ||
	    !cordon_capsid_derive(secret, n, CORDON_CAPSID_SHARED, NULL, &out->shared_sid) ||
	    !cordon_capsid_derive(secret, n, CORDON_CAPSID_SANDBOX, NULL, &out->sandbox_sid) ||
	    !cordon_capsid_derive(secret, n, CORDON_CAPSID_READONLY, NULL, &out->readonly_sid))
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot derive cordon's capability SIDs: no workspace given or out of memory");
	return CORDON_OK;
}

cordon_code cordon_win_acl_prepare(const cordon_win_acl_request *request, cordon_win_acl_outcome *out,
				   cordon_error *err)
{
	uint8_t secret[CORDON_CAPSID_SECRET_BYTES];
	cordon_fs_port fs = cordon_win_fs_port();
	cordon_state_port state_port;
	cordon_acl_inputs inputs;
	win_state state;
	cordon_code code;

	memset(out, 0, sizeof(*out));
	if (!request || !request->workspace || !request->state_dir)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot set up Windows ACLs: no workspace or state directory");
	code = win_state_open(&state, request->state_dir, err);
	state_port = win_state_port(&state);
	if (code == CORDON_OK)
		code = cordon_capsid_secret_load(&state_port, secret, &out->secret_created, err);
	if (code == CORDON_OK)
		code = derive_sids(secret, request, out, err);
	SecureZeroMemory(secret, sizeof(secret));
	if (code == CORDON_OK) {
		memset(&inputs, 0, sizeof(inputs));
		inputs.mode = request->mode;
		inputs.roots = request->roots;
		inputs.root_count = request->root_count;
		inputs.protected_names = request->protected_names;
		inputs.protected_count = request->protected_count;
		inputs.state_dir = request->state_dir;
		inputs.workspace_sid = out->workspace_sid;
		inputs.shared_sid = out->shared_sid;
		inputs.sandbox_sid = out->sandbox_sid;
		inputs.readonly_sid = out->readonly_sid;
		inputs.sandbox_group_present = request->sandbox_group_present;
		inputs.sandbox_group_sid = request->sandbox_group_sid;
		inputs.audit_max_entries = request->audit_max_entries;
		inputs.audit_max_seconds = request->audit_max_seconds;
		inputs.audit_dirs_listed_only = request->audit_dirs_listed_only;
		code = cordon_acl_apply_once(&fs, &state_port, &inputs, request->audit_dirs,
					     request->audit_dir_count, &out->applied, err);
	}
	win_state_close(&state);
	return code;
}

void cordon_win_acl_outcome_free(cordon_win_acl_outcome *out)
{
	if (!out)
		return;
	cordon_acl_apply_result_free(&out->applied);
	memset(out, 0, sizeof(*out));
}

cordon_code cordon_win_dacl_round_trip(const cordon_ace *aces, size_t count, char **sddl,
				       cordon_fs_dacl *back, cordon_error *err)
{
	SECURITY_DESCRIPTOR descriptor;
	PSECURITY_DESCRIPTOR parsed = NULL;
	PACL acl = build_acl(aces, count), parsed_acl = NULL;
	BOOL present = FALSE, defaulted = FALSE;
	SECURITY_DESCRIPTOR_CONTROL control = 0;
	DWORD revision = 0;
	LPSTR text = NULL;
	cordon_code code = CORDON_OK;

	*sddl = NULL;
	memset(back, 0, sizeof(*back));
	if (!acl)
		return cordon_fail(err, CORDON_E_SYSTEM, "cannot build a DACL: an ACE or SID is malformed");
	if (!InitializeSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION) ||
	    !SetSecurityDescriptorDacl(&descriptor, TRUE, acl, FALSE) ||
	    !SetSecurityDescriptorControl(&descriptor, SE_DACL_PROTECTED, SE_DACL_PROTECTED) ||
	    !ConvertSecurityDescriptorToStringSecurityDescriptorA(&descriptor, SDDL_REVISION_1,
								  DACL_SECURITY_INFORMATION, &text, NULL))
		code = fail_win32(err, GetLastError(), "render as SDDL", "a DACL");
	if (code == CORDON_OK &&
	    !ConvertStringSecurityDescriptorToSecurityDescriptorA(text, SDDL_REVISION_1, &parsed, NULL))
		code = fail_win32(err, GetLastError(), "parse the SDDL of", "a DACL");
	if (code == CORDON_OK && (!GetSecurityDescriptorDacl(parsed, &present, &parsed_acl, &defaulted) ||
				  !GetSecurityDescriptorControl(parsed, &control, &revision)))
		code = fail_win32(err, GetLastError(), "read back", "a DACL");
	if (code == CORDON_OK)
		code = dacl_from_native(present ? parsed_acl : NULL, (control & SE_DACL_PROTECTED) != 0, back,
					err);
	if (code == CORDON_OK && !(*sddl = malloc(strlen(text) + 1)))
		code = cordon_fail(err, CORDON_E_NOMEM, "out of memory");
	if (code == CORDON_OK)
		strcpy(*sddl, text);
	if (text)
		LocalFree(text);
	if (parsed)
		LocalFree(parsed);
	free(acl);
	return code;
}
