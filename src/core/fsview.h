/* The filesystem as policy resolution sees it. Resolution is pure: it asks
 * these callbacks instead of calling the OS, so unit tests hand it a fake
 * tree (links, missing directories, writable parents) and the real build
 * hands it cordon_fsview_system(). */
#ifndef CORDON_CORE_FSVIEW_H
#define CORDON_CORE_FSVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum cordon_fs_kind {
	CORDON_FS_MISSING,
	CORDON_FS_DIRECTORY,
	CORDON_FS_FILE,
	CORDON_FS_SYMLINK,
	CORDON_FS_OTHER,
} cordon_fs_kind;

/* Whose home directory, from the account database rather than $HOME. */
typedef enum cordon_account {
	CORDON_ACCOUNT_SELF,	    /* the real uid of this process */
	CORDON_ACCOUNT_SUDO_CALLER, /* under sudo (uid 0, SUDO_UID set): the user who ran sudo */
} cordon_account;

typedef struct cordon_fsview {
	void *ctx;
	/* Kind of path without following a final link; 0 or -errno (ENOENT
	 * gives CORDON_FS_MISSING and 0). */
	int (*lstat_kind)(void *ctx, const char *path, cordon_fs_kind *kind);
	/* Target of a symlink into buf (NUL-terminated); length or -errno. */
	long (*readlink)(void *ctx, const char *path, char *buf, size_t size);
	/* Whether the invoking user can create or remove entries in dir
	 * (write + search permission), as a link planter would need. */
	bool (*user_can_write)(void *ctx, const char *dir);
	/* Environment lookup (TMPDIR, XDG_STATE_HOME, HOME); NULL if unset. */
	const char *(*getenv)(void *ctx, const char *name);
	/* The process working directory, absolute. */
	const char *(*getcwd)(void *ctx);
	/* The account database's home directory for who; NULL when there is
	 * none (no entry, not under sudo, or no such database: Windows). */
	const char *(*account_home)(void *ctx, cordon_account who);
	/* Reads dir once and sets exists[i] to whether names[i] (plain names)
	 * is one of its entries: many lookups of names that are not there
	 * become one listing. 0 or -errno (then exists is unspecified and the
	 * caller looks each name up). May be NULL. */
	int (*names_exist)(void *ctx, const char *dir, const char *const *names, size_t count, bool *exists);
} cordon_fsview;

/* The real filesystem and environment of this process. */
const cordon_fsview *cordon_fsview_system(void);

#endif
