/* The confinement a command takes on just before execve:
 * no_new_privs, Landlock, every capability dropped, seccomp.
 *
 * Everything that allocates or can fail for reasons other than the kernel
 * refusing happens in linux_confine_prepare, in the parent. What is left
 * for linux_confine_self, after fork, is a handful of system calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "confine_internal.h"
#include "../core/error.h"

struct linux_confine {
	bool active; /* false: full-access mode, nothing to do */
	int landlock_abi;
	int landlock_ruleset; /* -1: best-effort without Landlock */
	int cap_last;
	struct sock_fprog seccomp;
};

cordon_code linux_confine_prepare(const linux_plan *plan, linux_confine **out, cordon_error *err)
{
	*out = NULL;
	linux_confine *confine = calloc(1, sizeof(*confine));
	if (confine == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory preparing the sandbox");
	confine->landlock_ruleset = -1;
	if (!plan->sandboxed) {
		*out = confine;
		return CORDON_OK;
	}
	confine->active = true;
	confine->landlock_abi = plan->landlock_abi;

	cordon_code code = linux_caps_prepare(&confine->cap_last, err);
	if (code == CORDON_OK)
		code = linux_landlock_prepare(plan, &confine->landlock_ruleset, err);
	if (code == CORDON_OK)
		code = linux_seccomp_prepare(plan, &confine->seccomp, err);
	if (code != CORDON_OK) {
		linux_confine_free(confine);
		return code;
	}
	*out = confine;
	return CORDON_OK;
}

/* The order matters: no_new_privs lets an unprivileged process enforce
 * Landlock and seccomp; Landlock before the capabilities go, in case the
 * kernel wants CAP_SYS_ADMIN instead; seccomp last, because its filter
 * denies nothing the earlier steps use, but it is the only one that could. */
cordon_code linux_confine_self(const linux_confine *confine, cordon_error *err)
{
	if (!confine->active)
		return CORDON_OK;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return cordon_fail_errno(err, errno, "cannot set no_new_privs for the command");

	if (confine->landlock_ruleset >= 0) {
		int rc = linux_landlock_enforce(confine->landlock_ruleset, confine->landlock_abi);
		if (rc != 0)
			return cordon_fail_errno(err, -rc, "cannot enforce the Landlock ruleset (ABI %d)",
						 confine->landlock_abi);
	}

	const char *step = "";
	int rc = linux_caps_drop_all(confine->cap_last, &step);
	if (rc != 0)
		return cordon_fail_errno(err, -rc, "cannot drop the command's capabilities (%s)", step);

	rc = linux_seccomp_load(&confine->seccomp);
	if (rc != 0)
		return cordon_fail_errno(err, -rc,
					 "cannot load the seccomp filter; is seccomp enabled in this kernel "
					 "(CONFIG_SECCOMP_FILTER)? run 'cordon doctor'");
	return CORDON_OK;
}

void linux_confine_free(linux_confine *confine)
{
	if (confine == NULL)
		return;
	if (confine->landlock_ruleset >= 0)
		close(confine->landlock_ruleset);
	free(confine->seccomp.filter);
	free(confine);
}
