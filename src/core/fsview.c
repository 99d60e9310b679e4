/* The real filesystem and environment, as policy resolution sees them. */
#include "fsview.h"
#include "name_services.h"
#include "strset.h"
#include "wide.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static int system_lstat_kind(void *ctx, const char *path, cordon_fs_kind *kind)
{
	(void)ctx;
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT) {
			*kind = CORDON_FS_MISSING;
			return 0;
		}
		return -errno;
	}
	if (S_ISDIR(st.st_mode))
		*kind = CORDON_FS_DIRECTORY;
	else if (S_ISREG(st.st_mode))
		*kind = CORDON_FS_FILE;
	else if (S_ISLNK(st.st_mode))
		*kind = CORDON_FS_SYMLINK;
	else
		*kind = CORDON_FS_OTHER;
	return 0;
}

static long system_readlink(void *ctx, const char *path, char *buf, size_t size)
{
	(void)ctx;
	if (size == 0)
		return -EINVAL;
	ssize_t length = readlink(path, buf, size - 1);
	if (length < 0)
		return -errno;
	buf[length] = '\0';
	/* A target that filled the buffer may have been cut short. */
	if ((size_t)length == size - 1)
		return -ENAMETOOLONG;
	return (long)length;
}

static bool system_user_can_write(void *ctx, const char *dir)
{
	(void)ctx;
	/* access() checks the real uid, which is who could have planted a link. */
	if (access(dir, W_OK | X_OK) == 0)
		return true;
	/* An owner can chmod a directory writable, plant a link and chmod it
	 * back, so a directory the user owns is as good as writable. */
	struct stat st;
	if (stat(dir, &st) != 0)
		return true; /* cannot tell: assume the worst */
	return st.st_uid == getuid();
}

static const char *system_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static const char *system_getcwd(void *ctx)
{
	(void)ctx;
	static _Thread_local char buffer[PATH_MAX];
	return getcwd(buffer, sizeof(buffer));
}

/* SUDO_UID only ever adds a home whose credential stores get hidden, so
 * trusting the variable cannot weaken anything. */
static bool sudo_caller_uid(uid_t *uid)
{
	const char *text = getenv("SUDO_UID");
	if (getuid() != 0 || text == NULL || text[0] < '0' || text[0] > '9')
		return false;
	char *end = NULL;
	unsigned long value = strtoul(text, &end, 10);
	if (*end != '\0' || value == 0 || value > (unsigned long)(uid_t)-1)
		return false;
	*uid = (uid_t)value;
	return true;
}

static const char *system_account_home(void *ctx, cordon_account who)
{
	(void)ctx;
	static _Thread_local char buffer[2][PATH_MAX];
	uid_t uid = getuid();
	if (who == CORDON_ACCOUNT_SUDO_CALLER && !sudo_caller_uid(&uid))
		return NULL;
	char *out = buffer[who == CORDON_ACCOUNT_SUDO_CALLER];
	return cordon_name_services_home(uid, out, PATH_MAX) ? out : NULL;
}

static int system_names_exist(void *ctx, const char *dir, const char *const *names, size_t count,
			      bool *exists)
{
	(void)ctx;
	cordon_strset wanted = {0};
	for (size_t i = 0; i < count; i++) {
		exists[i] = false;
		if (!cordon_strset_add(&wanted, names[i])) {
			cordon_strset_clear(&wanted);
			return -ENOMEM;
		}
	}
	DIR *listing = opendir(dir);
	if (listing == NULL) {
		int error = errno;
		cordon_strset_clear(&wanted);
		return -error;
	}
	struct dirent *entry;
	errno = 0;
	while ((entry = readdir(listing)) != NULL) {
		if (!cordon_strset_contains(&wanted, entry->d_name))
			continue;
		for (size_t i = 0; i < count; i++)
			if (strcmp(names[i], entry->d_name) == 0)
				exists[i] = true;
	}
	int error = errno;
	closedir(listing);
	cordon_strset_clear(&wanted);
	return error == 0 ? 0 : -error;
}

#else /* _WIN32 */

/* Minimal Windows variant so the mingw build links: kinds come from
 * GetFileAttributesW; reparse points (junctions, symlinks) are reported
 * as FILE/DIRECTORY without being followed, and readlink is unsupported.
 * Path trust on Windows is decided by src/windows with winpath.h, not by
 * this walk. Strings are UTF-8, as everywhere in the library; the system
 * is asked in UTF-16. */
#include <windows.h>

static char *wide_to_utf8(const wchar_t *wide)
{
	int bytes = WideCharToMultiByte(CP_UTF8, 0, wide, -1, NULL, 0, NULL, NULL);
	char *text = bytes > 0 ? malloc((size_t)bytes) : NULL;
	if (text != NULL && WideCharToMultiByte(CP_UTF8, 0, wide, -1, text, bytes, NULL, NULL) != bytes) {
		free(text);
		text = NULL;
	}
	return text;
}

static int system_lstat_kind(void *ctx, const char *path, cordon_fs_kind *kind)
{
	(void)ctx;
	wchar_t *wide = cordon_utf8_to_wide(path);
	if (wide == NULL)
		return -EINVAL;
	DWORD attributes = GetFileAttributesW(wide);
	DWORD error = GetLastError();
	free(wide);
	if (attributes == INVALID_FILE_ATTRIBUTES) {
		if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
			*kind = CORDON_FS_MISSING;
			return 0;
		}
		return -EIO;
	}
	*kind = (attributes & FILE_ATTRIBUTE_DIRECTORY) ? CORDON_FS_DIRECTORY : CORDON_FS_FILE;
	return 0;
}

static long system_readlink(void *ctx, const char *path, char *buf, size_t size)
{
	(void)ctx;
	(void)path;
	(void)buf;
	(void)size;
	return -ENOSYS;
}

static bool system_user_can_write(void *ctx, const char *dir)
{
	(void)ctx;
	(void)dir;
	/* Unknown here: assume the worst, so any link would be refused. */
	return true;
}

/* The few variables resolution reads (TEMP, TMP, LOCALAPPDATA), in UTF-8.
 * A value stays valid until the same name is read again with another
 * value. */
#define ENV_CACHE_SIZE 8
static struct {
	char name[32];
	char *value;
} env_cache[ENV_CACHE_SIZE];

static const char *system_getenv(void *ctx, const char *name)
{
	(void)ctx;
	wchar_t wide_name[32];
	wchar_t value[32768];
	size_t slot = ENV_CACHE_SIZE;
	if (strlen(name) >= sizeof(env_cache[0].name))
		return NULL;
	/* the names are ASCII */
	size_t n = strlen(name);
	for (size_t i = 0; i <= n; i++)
		wide_name[i] = (unsigned char)name[i];
	DWORD length = GetEnvironmentVariableW(wide_name, value, sizeof(value) / sizeof(value[0]));
	if (length == 0 || length >= sizeof(value) / sizeof(value[0]))
		return NULL;
	for (size_t i = 0; i < ENV_CACHE_SIZE && slot == ENV_CACHE_SIZE; i++)
		if (strcmp(env_cache[i].name, name) == 0 || env_cache[i].name[0] == '\0')
			slot = i;
	if (slot == ENV_CACHE_SIZE)
		slot = 0;
	char *text = wide_to_utf8(value);
	if (text == NULL)
		return NULL;
	if (env_cache[slot].value != NULL && strcmp(env_cache[slot].value, text) == 0) {
		free(text);
		return env_cache[slot].value;
	}
	free(env_cache[slot].value);
	snprintf(env_cache[slot].name, sizeof(env_cache[slot].name), "%s", name);
	env_cache[slot].value = text;
	return text;
}

static const char *system_getcwd(void *ctx)
{
	(void)ctx;
	static char buffer[MAX_PATH * 4];
	wchar_t wide[MAX_PATH * 2];
	DWORD length = GetCurrentDirectoryW(sizeof(wide) / sizeof(wide[0]), wide);
	if (length == 0 || length >= sizeof(wide) / sizeof(wide[0]))
		return NULL;
	if (WideCharToMultiByte(CP_UTF8, 0, wide, -1, buffer, sizeof(buffer), NULL, NULL) <= 0)
		return NULL;
	return buffer;
}

static const char *system_account_home(void *ctx, cordon_account who)
{
	(void)ctx;
	(void)who;
	return NULL;
}

#endif

static const cordon_fsview system_view = {
	.ctx = NULL,
	.lstat_kind = system_lstat_kind,
	.readlink = system_readlink,
	.user_can_write = system_user_can_write,
	.getenv = system_getenv,
	.getcwd = system_getcwd,
	.account_home = system_account_home,
#ifndef _WIN32
	.names_exist = system_names_exist,
#endif
};

const cordon_fsview *cordon_fsview_system(void)
{
	return &system_view;
}
