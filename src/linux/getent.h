/* Account lookups through getent(1), for a static cordon. */
#ifndef CORDON_LINUX_GETENT_H
#define CORDON_LINUX_GETENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The home directory of uid as getent(1) reports it (every NSS module
 * nsswitch.conf names: files, systemd, sss, ldap); false when it has no
 * entry or no absolute home, or cannot be run. Starts one process. */
bool linux_getent_home(uid_t uid, char *out, size_t size);

#endif
