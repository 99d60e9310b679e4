/* Account lookups through glibc's name services, safe in a static cordon. */
#include "name_services.h"

#ifndef _WIN32

#include <nss.h>
#include <pwd.h>
#include <string.h>

/* Set once by a static executable, before anything else runs. */
static cordon_home_lookup home_fallback;

void cordon_name_services_pin_builtin(cordon_home_lookup fallback)
{
	/* Fails only for an unknown database or without memory: then the
	 * lookups follow nsswitch.conf, and no fallback is needed. */
	if (__nss_configure_lookup("passwd", "files") == 0)
		home_fallback = fallback;
	__nss_configure_lookup("hosts", "files dns");
}

bool cordon_passwd_line_home(const char *line, char *out, size_t size)
{
	const char *field = line;
	for (int i = 0; i < 5; i++) {
		field = strchr(field, ':');
		if (field == NULL)
			return false;
		field++;
	}
	size_t length = strcspn(field, ":\n");
	if (length == 0 || field[0] != '/' || length >= size)
		return false;
	memcpy(out, field, length);
	out[length] = '\0';
	return true;
}

bool cordon_name_services_home(uid_t uid, char *out, size_t size)
{
	char scratch[4096];
	struct passwd entry;
	struct passwd *found = NULL;
	if (getpwuid_r(uid, &entry, scratch, sizeof(scratch), &found) != 0 || found == NULL)
		return home_fallback != NULL && home_fallback(uid, out, size);
	if (found->pw_dir == NULL || found->pw_dir[0] != '/' || strlen(found->pw_dir) >= size)
		return false;
	memcpy(out, found->pw_dir, strlen(found->pw_dir) + 1);
	return true;
}

#endif
