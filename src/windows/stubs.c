/* The ssh.exe and scp.exe stubs: written into <state>\stubs from the
 * bytes embedded at build time (src/windows/stub/net_stub.c), rewritten
 * only when missing or different, each through a temporary file and one
 * rename so a concurrent run never starts half a stub. */
#include "windows/win_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "cordon_net_stub.h"

static const char *const stub_names[] = {"ssh.exe", "scp.exe"};

static bool stub_is_current(const wchar_t *path)
{
	HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
				  OPEN_EXISTING, 0, NULL);
	if (file == INVALID_HANDLE_VALUE)
		return false;
	unsigned char *content = malloc(sizeof(cordon_net_stub_bytes) + 1);
	DWORD got = 0;
	bool same = content != NULL &&
		    ReadFile(file, content, sizeof(cordon_net_stub_bytes) + 1, &got, NULL) &&
		    got == sizeof(cordon_net_stub_bytes) &&
		    memcmp(content, cordon_net_stub_bytes, sizeof(cordon_net_stub_bytes)) == 0;
	free(content);
	CloseHandle(file);
	return same;
}

static cordon_code write_stub(const char *path, cordon_error *err)
{
	char temporary[1100];
	cordon_code code = CORDON_OK;
	wchar_t *wide = win_wide(path);
	snprintf(temporary, sizeof(temporary), "%s.%lu.tmp", path, (unsigned long)GetCurrentProcessId());
	wchar_t *wide_temporary = win_wide(temporary);
	if (wide == NULL || wide_temporary == NULL) {
		code = cordon_fail(err, CORDON_E_INVALID, "cannot use the stub path '%s'", path);
		goto done;
	}
	if (stub_is_current(wide))
		goto done;
	HANDLE file = CreateFileW(wide_temporary, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
				  FILE_ATTRIBUTE_NORMAL, NULL);
	if (file == INVALID_HANDLE_VALUE) {
		code = win_fail(err, GetLastError(), "cannot write the network stub '%s'", temporary);
		goto done;
	}
	DWORD written = 0;
	BOOL ok = WriteFile(file, cordon_net_stub_bytes, sizeof(cordon_net_stub_bytes), &written, NULL);
	DWORD error = GetLastError();
	CloseHandle(file);
	if (!ok || written != sizeof(cordon_net_stub_bytes)) {
		DeleteFileW(wide_temporary);
		code = win_fail(err, error, "cannot write the network stub '%s'", temporary);
		goto done;
	}
	if (!MoveFileExW(wide_temporary, wide, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		error = GetLastError();
		DeleteFileW(wide_temporary);
		/* another run may have put the same stub there meanwhile */
		if (!stub_is_current(wide))
			code = win_fail(err, error, "cannot put the network stub at '%s'", path);
	}
done:
	free(wide);
	free(wide_temporary);
	return code;
}

cordon_code win_stubs_install(const char *state_dir, char **stub_dir, cordon_error *err)
{
	char dir[1024];
	char path[1060];
	cordon_code code = win_state_dir_make(state_dir, err);
	if (code != CORDON_OK)
		return code;
	snprintf(dir, sizeof(dir), "%s\\stubs", state_dir);
	code = win_state_dir_make(dir, err);
	for (size_t i = 0; code == CORDON_OK && i < sizeof(stub_names) / sizeof(stub_names[0]); i++) {
		snprintf(path, sizeof(path), "%s\\%s", dir, stub_names[i]);
		code = write_stub(path, err);
	}
	if (code != CORDON_OK)
		return code;
	*stub_dir = strdup(dir);
	if (*stub_dir == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while placing the network stubs");
	return CORDON_OK;
}
