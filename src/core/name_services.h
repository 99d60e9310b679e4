/* The host's name services (glibc NSS) as cordon uses them: a home
 * directory by uid, and which services a static cordon may ask. */
#ifndef CORDON_CORE_NAME_SERVICES_H
#define CORDON_CORE_NAME_SERVICES_H

#ifndef _WIN32

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A home directory by uid from somewhere other than this process's NSS
 * (linux_getent_home: getent(1), which has every module). */
typedef bool (*cordon_home_lookup)(uid_t uid, char *out, size_t size);

/* For a static executable: pins the account and host lookups to the
 * services glibc builds into libc.a ("files", "dns"), so that glibc
 * never dlopens an NSS module into a process without a dynamic libc
 * (that loads a second libc and can crash). A uid that /etc/passwd does
 * not hold is then asked of fallback. Call before any lookup. */
void cordon_name_services_pin_builtin(cordon_home_lookup fallback);

/* The account database's home directory of uid into out; false when
 * there is no entry, or it is not an absolute path that fits. */
bool cordon_name_services_home(uid_t uid, char *out, size_t size);

/* The home field (the sixth) of one passwd line ("name:pw:uid:gid:gecos:
 * home:shell") into out; false when the line has no absolute one that
 * fits. Pure. */
bool cordon_passwd_line_home(const char *line, char *out, size_t size);

#endif
#endif
