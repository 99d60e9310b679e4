/* An in-memory cordon_fsview for tests: a tree of directories, files and
 * symlinks with per-directory "the user can write here" flags, its own
 * environment and working directory. Paths given to it are canonical
 * (no links inside, no '.' or '..'); "/" exists and is not writable. */
#ifndef CORDON_TESTS_SUPPORT_FAKEFS_H
#define CORDON_TESTS_SUPPORT_FAKEFS_H

#include <stdbool.h>

#include "core/fsview.h"

typedef struct fakefs fakefs;

/* Allocates an empty tree with cwd "/" and an empty environment. */
fakefs *fakefs_new(void);
void fakefs_free(fakefs *fs);

/* Adds a directory; missing parents are added as non-writable
 * directories. Re-adding an existing directory updates its flag. */
void fakefs_dir(fakefs *fs, const char *path, bool user_writable);
void fakefs_file(fakefs *fs, const char *path);
void fakefs_link(fakefs *fs, const char *path, const char *target);
/* lstat of path fails with -errnum. */
void fakefs_fail(fakefs *fs, const char *path, int errnum);
/* value NULL unsets. */
void fakefs_setenv(fakefs *fs, const char *name, const char *value);
void fakefs_set_cwd(fakefs *fs, const char *cwd);
/* What the account database says is who's home; NULL (the default): none. */
void fakefs_set_account_home(fakefs *fs, cordon_account who, const char *home);
/* How many times lstat_kind was asked about path. */
int fakefs_lstat_count(const fakefs *fs, const char *path);
/* How many times lstat_kind was asked at all, and names_exist. */
int fakefs_lstat_total(const fakefs *fs);
int fakefs_listing_count(const fakefs *fs);
/* Whether the view offers names_exist (on by default). */
void fakefs_set_listing(fakefs *fs, bool listing);

const cordon_fsview *fakefs_view(fakefs *fs);

#endif
