/* Starting the read-grant helper: the one process cordon creates that is
 * not a command (and so not through cordon_spawn). It is cordon's own
 * executable, run as the administrator who ran `cordon setup`, with the
 * fixed arguments "__grant-helper"; nothing of the user's command line
 * reaches it. It lives here, beside the spawn module, so that the
 * single-spawn-path test (tests/unit/test_single_spawn_path.c) keeps every
 * CreateProcess call in src/windows/spawn*.c. */
#include "windows/elevated.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/wincmdline.h"
#include "windows/win_internal.h"

static char *own_executable(void)
{
	DWORD capacity = MAX_PATH;

	for (int attempt = 0; attempt < 6; attempt++, capacity *= 2) {
		wchar_t *buffer = malloc(capacity * sizeof(wchar_t));
		DWORD length = buffer ? GetModuleFileNameW(NULL, buffer, capacity) : 0;
		char *utf8;

		if (length > 0 && length < capacity) {
			utf8 = win_utf8(buffer, (int)length);
			free(buffer);
			return utf8;
		}
		free(buffer);
		if (length == 0)
			return NULL;
	}
	return NULL;
}

cordon_code win_grant_helper_spawn(cordon_error *err)
{
	char *exe = own_executable();
	const char *argv[] = {exe, WIN_GRANT_HELPER_COMMAND, NULL};
	char *line = exe ? cordon_win_command_line(argv, err) : NULL;
	wchar_t *wide_exe = exe ? win_wide(exe) : NULL, *wide_line = line ? win_wide(line) : NULL;
	wchar_t system_dir[MAX_PATH];
	STARTUPINFOW startup;
	PROCESS_INFORMATION process;
	DWORD flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_BREAKAWAY_FROM_JOB;
	cordon_code code = CORDON_OK;
	BOOL started;

	if (!exe) {
		code = win_fail(err, GetLastError(),
				"cannot start the read-grant helper: cordon cannot find its own "
				"executable");
		goto out;
	}
	if (!line) /* err says why */
		code = CORDON_E_INVALID;
	else if (!wide_exe || !wide_line)
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot start the read-grant helper: out of memory");
	if (code != CORDON_OK)
		goto out;
	memset(&startup, 0, sizeof(startup));
	startup.cb = sizeof(startup);
	/* No console and no standard handles: nothing of setup's is held
	 * open (a pipe reader would otherwise wait for the helper). */
	startup.dwFlags = STARTF_USESTDHANDLES;
	if (!GetSystemDirectoryW(system_dir, MAX_PATH))
		system_dir[0] = L'\0';
	started = CreateProcessW(wide_exe, wide_line, NULL, NULL, FALSE, flags, NULL,
				 system_dir[0] ? system_dir : NULL, &startup, &process);
	if (!started && GetLastError() == ERROR_ACCESS_DENIED) {
		/* setup runs in a job that does not allow breaking away: the
		 * helper then lives as long as that job does, and a later
		 * 'cordon setup' resumes what it left. */
		flags &= ~(DWORD)CREATE_BREAKAWAY_FROM_JOB;
		started = CreateProcessW(wide_exe, wide_line, NULL, NULL, FALSE, flags, NULL,
					 system_dir[0] ? system_dir : NULL, &startup, &process);
	}
	if (!started) {
		code = win_fail(err, GetLastError(), "cannot start the read-grant helper '%s'", exe);
		goto out;
	}
	CloseHandle(process.hThread);
	CloseHandle(process.hProcess);
out:
	free(wide_line);
	free(wide_exe);
	free(line);
	free(exe);
	return code;
}
