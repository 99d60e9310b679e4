/* cordon's state directory on Windows (%LOCALAPPDATA%\cordon): made when
 * missing. The per-install secret inside it belongs to the ACL layer
 * (cordon_capsid_secret_load through acl_port_win32.c), the one place
 * capability SIDs come from. */
#include "windows/win_internal.h"

#include <stdlib.h>

#include "core/error.h"

cordon_code win_state_dir_make(const char *state_dir, cordon_error *err)
{
	wchar_t *wide = win_wide(state_dir);
	if (wide == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cannot use the path '%s': it is not valid UTF-8",
				   state_dir);
	BOOL ok = CreateDirectoryW(wide, NULL) || GetLastError() == ERROR_ALREADY_EXISTS;
	DWORD error = GetLastError();
	free(wide);
	if (!ok)
		return win_fail(err, error, "cannot create cordon's directory '%s'", state_dir);
	return CORDON_OK;
}
