/* Capabilities: a command ends up with none, in any set, whoever started
 * cordon. Root invoking cordon gets exactly what an ordinary user gets:
 * securebits keep uid 0 from regaining capabilities at execve, and the
 * bounding set is empty so nothing can be regained at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#include "confine_internal.h"
#include "../core/error.h"

#define CAP_LAST_CAP_FILE "/proc/sys/kernel/cap_last_cap"

/* Every bit set, every bit locked, except KEEP_CAPS itself (off and
 * locked off: a setuid() never keeps capabilities). */
#define CORDON_SECUREBITS                                                                                    \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |     \
	 SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

cordon_code linux_caps_prepare(int *cap_last, cordon_error *err)
{
	char text[16] = {0};
	int fd = open(CAP_LAST_CAP_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cordon_fail_errno(err, errno,
					 "cannot read %s to drop every capability; is /proc mounted?",
					 CAP_LAST_CAP_FILE);
	ssize_t n = read(fd, text, sizeof(text) - 1);
	int saved = errno;
	close(fd);
	if (n <= 0)
		return cordon_fail_errno(err, n < 0 ? saved : EIO, "cannot read %s to drop every capability",
					 CAP_LAST_CAP_FILE);
	char *end = NULL;
	long value = strtol(text, &end, 10);
	if (end == text || value < 0 || value > 255)
		return cordon_fail(err, CORDON_E_SYSTEM, "%s holds '%s', not a capability number",
				   CAP_LAST_CAP_FILE, text);
	*cap_last = (int)value;
	return CORDON_OK;
}

static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	return syscall(SYS_capget, &header, data) == 0 ? 0 : -errno;
}

static int caps_set(const struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	return syscall(SYS_capset, &header, data) == 0 ? 0 : -errno;
}

static bool cap_in(uint32_t set0, uint32_t set1, int cap)
{
	uint32_t word = cap < 32 ? set0 : set1;
	return (word >> (cap % 32)) & 1u;
}

int linux_caps_drop_all(int cap_last, const char **step)
{
	struct __user_cap_data_struct data[2] = {{0}};
	int rc;

	*step = "capget";
	if ((rc = caps_get(data)) != 0)
		return rc;

	/* Securebits and the bounding set need CAP_SETPCAP. Inside cordon's
	 * user namespace the command holds it; raise it to effective if it
	 * is only permitted. */
	bool permitted_setpcap = cap_in(data[0].permitted, data[1].permitted, CAP_SETPCAP);
	if (permitted_setpcap && !cap_in(data[0].effective, data[1].effective, CAP_SETPCAP)) {
		data[CAP_SETPCAP / 32].effective |= 1u << (CAP_SETPCAP % 32);
		*step = "capset(CAP_SETPCAP)";
		if ((rc = caps_set(data)) != 0)
			return rc;
	}

	if (permitted_setpcap) {
		*step = "prctl(PR_SET_SECUREBITS)";
		if (prctl(PR_SET_SECUREBITS, CORDON_SECUREBITS, 0, 0, 0) != 0)
			return -errno;
		*step = "prctl(PR_CAPBSET_DROP)";
		for (int cap = 0; cap <= cap_last; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
				return -errno;
	}
	/* Without CAP_SETPCAP (an ordinary user, no user namespace) the
	 * bounding set cannot be emptied; it grants nothing anyway, because
	 * no_new_privs (set before this) stops setuid and file capabilities
	 * at execve and the permitted set is cleared below. */

	*step = "prctl(PR_CAP_AMBIENT_CLEAR_ALL)";
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return -errno;

	struct __user_cap_data_struct none[2] = {{0}};
	*step = "capset(0)";
	return caps_set(none);
}
