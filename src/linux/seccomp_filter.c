/* seccomp at run time: the filter a sandboxed command gets.
 *
 * The filter depends on one bit of the plan (whether inet sockets are
 * allowed), and compiling it with libseccomp costs milliseconds, more
 * than the rest of the sandbox setup. So the build compiles both variants
 * once (seccomp_rules.c, through tools/seccomp_programs_gen.c) into a
 * generated header, and a run copies the matching program; the command
 * process only hands it to the kernel (no allocation after fork).
 * libseccomp is a build dependency, not a library cordon loads at every
 * start. unit.test_seccomp_programs checks the built-in programs equal a
 * fresh compile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/seccomp.h>

#include "confine_internal.h"
#include "../core/error.h"
#include "cordon_seccomp_programs.h"

bool linux_seccomp_inet_allowed(const linux_plan *plan)
{
	/* With a network namespace the command has only its own loopback (or
	 * the proxy relay); without one, inet means the host network. */
	return plan->use_netns || plan->policy->network == CORDON_NETWORK_ON;
}

cordon_code linux_seccomp_prepare(const linux_plan *plan, struct sock_fprog *prog, cordon_error *err)
{
	bool inet = linux_seccomp_inet_allowed(plan);
	const struct sock_filter *program =
		inet ? cordon_seccomp_program_inet : cordon_seccomp_program_no_inet;
	size_t count =
		inet ? sizeof(cordon_seccomp_program_inet) / sizeof(cordon_seccomp_program_inet[0])
		     : sizeof(cordon_seccomp_program_no_inet) / sizeof(cordon_seccomp_program_no_inet[0]);
	prog->filter = malloc(count * sizeof(*program));
	if (prog->filter == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot prepare the seccomp filter: out of memory");
	memcpy(prog->filter, program, count * sizeof(*program));
	prog->len = (unsigned short)count;
	return CORDON_OK;
}

int linux_seccomp_load(const struct sock_fprog *prog)
{
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) != 0)
		return -errno;
	return 0;
}
