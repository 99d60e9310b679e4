/* The working directory and every root, checked against what Windows
 * really opens: GetFinalPathNameByHandleW on a handle to each must give
 * back the same path. A junction, symbolic link, substituted drive or 8.3
 * short name on the way makes them differ, and the run is refused, as
 * resolve.c refuses links on Linux: a grant to a root must never reach
 * what a link points to. (Whether the user could have planted the link
 * is not asked here: any difference refuses.) */
#include "windows/win_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* "\\?\C:\x" -> "C:\x", "\\?\UNC\s\h" -> "\\s\h", in place. */
static wchar_t *without_prefix(wchar_t *path)
{
	if (wcsncmp(path, L"\\\\?\\UNC\\", 8) == 0) {
		path += 6;
		path[0] = L'\\';
		return path;
	}
	if (wcsncmp(path, L"\\\\?\\", 4) == 0)
		return path + 4;
	return path;
}

static cordon_code check_one(const char *label, const char *path, cordon_error *err)
{
	wchar_t *wide = win_wide(path);
	wchar_t final[32768];
	if (wide == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "the %s '%s' is not valid UTF-8", label, path);
	HANDLE handle = CreateFileW(wide, FILE_READ_ATTRIBUTES,
				    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
				    OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
	if (handle == INVALID_HANDLE_VALUE) {
		DWORD error = GetLastError();
		free(wide);
		return win_fail(err, error, "cannot open the %s '%s' to check it", label, path);
	}
	DWORD length =
		GetFinalPathNameByHandleW(handle, final, sizeof(final) / sizeof(final[0]), VOLUME_NAME_DOS);
	DWORD error = GetLastError();
	CloseHandle(handle);
	if (length == 0 || length >= sizeof(final) / sizeof(final[0])) {
		free(wide);
		return win_fail(err, error, "cannot read the real path of the %s '%s'", label, path);
	}
	wchar_t *real = without_prefix(final);
	size_t given = wcslen(wide);
	/* a root of a drive is given as "C:\" and comes back so too */
	bool same = CompareStringOrdinal(real, -1, wide, (int)given, TRUE) == CSTR_EQUAL;
	free(wide);
	if (same)
		return CORDON_OK;
	char *shown = win_utf8(real, -1);
	cordon_code code =
		cordon_fail(err, CORDON_E_UNTRUSTED_LINK,
			    "the %s '%s' is really '%s': a junction, symbolic link, substituted drive "
			    "or short (8.3) name is on the way; nothing was run; pass the real path",
			    label, path, shown != NULL ? shown : "another path");
	free(shown);
	return code;
}

cordon_code win_paths_check(const cordon_resolved *policy, cordon_error *err)
{
	cordon_code code = check_one("working directory", cordon_resolved_cwd(policy), err);
	for (size_t i = 0; code == CORDON_OK && i < cordon_resolved_root_count(policy); i++) {
		cordon_root_kind kind;
		const char *root = cordon_resolved_root(policy, i, &kind);
		code = check_one(kind == CORDON_ROOT_TMP ? "temp directory" : "writable root", root, err);
	}
	return code;
}
