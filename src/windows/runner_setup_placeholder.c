/* PLACEHOLDER until setup_store.c (the setupapply branch) is merged:
 * the sandbox accounts' passwords are not stored by this branch, so an
 * elevated run refuses here. Delete this file when setup_store.c, which
 * defines the same two functions, is merged (the link then fails with
 * duplicate definitions until it is). mode.c never selects elevated mode
 * on this branch, so only the Wine test entry reaches the runner, and it
 * brings its own password. */
#include "windows/elevated.h"

#include <stdlib.h>

#include "core/error.h"

cordon_code win_setup_password_load(const char *state_dir, cordon_sandbox_account which, wchar_t **password,
				    cordon_error *err)
{
	(void)state_dir;
	(void)which;
	*password = NULL;
	return cordon_fail(
		err, CORDON_E_UNSUPPORTED,
		"cannot run in elevated mode: this build keeps no sandbox account passwords ('cordon "
		"setup' is not in it); nothing was run");
}

void win_setup_password_free(wchar_t *password)
{
	free(password);
}
