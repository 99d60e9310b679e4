/* The real filesystem and environment, as policy resolution sees them. */
#include "fsview.h"
#include "strset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32

#include <dirent.h>
#include <limits.h>
#include <pwd.h>
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
	char scratch[4096];
	struct passwd entry;
	struct passwd *found = NULL;
	if (getpwuid_r(uid, &entry, scratch, sizeof(scratch), &found) != 0 || found == NULL ||
	    found->pw_dir == NULL || found->pw_dir[0] != '/' || strlen(found->pw_dir) >= PATH_MAX)
		return NULL;
	char *out = buffer[who == CORDON_ACCOUNT_SUDO_CALLER];
	memcpy(out, found->pw_dir, strlen(found->pw_dir) + 1);
	return out;
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
 * GetFileAttributesA; reparse points (junctions, symlinks) are reported
 * as FILE/DIRECTORY without being followed, and readlink is unsupported.
 * Path trust on Windows is decided by src/windows with winpath.h, not by
 * this walk. */
#include <windows.h>

static int system_lstat_kind(void *ctx, const char *path, cordon_fs_kind *kind)
{
	(void)ctx;
	DWORD attributes = GetFileAttributesA(path);
	if (attributes == INVALID_FILE_ATTRIBUTES) {
		DWORD error = GetLastError();
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

static const char *system_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static const char *system_getcwd(void *ctx)
{
	(void)ctx;
	static char buffer[MAX_PATH * 4];
	DWORD length = GetCurrentDirectoryA(sizeof(buffer), buffer);
	if (length == 0 || length >= sizeof(buffer))
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
