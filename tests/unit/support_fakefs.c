#include "support_fakefs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct fake_entry {
	char *path;
	cordon_fs_kind kind;
	char *target; /* symlinks */
	bool user_writable;
	int errnum;
	int lstat_count;
} fake_entry;

typedef struct fake_env {
	char *name;
	char *value;
} fake_env;

struct fakefs {
	cordon_fsview view;
	fake_entry *entries;
	size_t entry_count;
	fake_env *env;
	size_t env_count;
	char *cwd;
	bool root_writable;
	char *account_home[2]; /* indexed by cordon_account */
	int lstat_total;
	int listing_count;
};

static fake_entry *find(const fakefs *fs, const char *path)
{
	for (size_t i = 0; i < fs->entry_count; i++)
		if (strcmp(fs->entries[i].path, path) == 0)
			return &fs->entries[i];
	return NULL;
}

static fake_entry *add(fakefs *fs, const char *path, cordon_fs_kind kind)
{
	fake_entry *e = find(fs, path);
	if (e == NULL) {
		fs->entries = realloc(fs->entries, (fs->entry_count + 1) * sizeof(*fs->entries));
		if (fs->entries == NULL)
			abort();
		e = &fs->entries[fs->entry_count++];
		memset(e, 0, sizeof(*e));
		e->path = strdup(path);
	}
	e->kind = kind;
	return e;
}

static void add_parents(fakefs *fs, const char *path)
{
	char *copy = strdup(path);
	for (char *slash = strchr(copy + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (find(fs, copy) == NULL)
			add(fs, copy, CORDON_FS_DIRECTORY);
		*slash = '/';
	}
	free(copy);
}

void fakefs_dir(fakefs *fs, const char *path, bool user_writable)
{
	if (strcmp(path, "/") == 0) {
		fs->root_writable = user_writable;
		return;
	}
	add_parents(fs, path);
	add(fs, path, CORDON_FS_DIRECTORY)->user_writable = user_writable;
}

void fakefs_file(fakefs *fs, const char *path)
{
	add_parents(fs, path);
	add(fs, path, CORDON_FS_FILE);
}

void fakefs_link(fakefs *fs, const char *path, const char *target)
{
	add_parents(fs, path);
	fake_entry *e = add(fs, path, CORDON_FS_SYMLINK);
	free(e->target);
	e->target = strdup(target);
}

void fakefs_fail(fakefs *fs, const char *path, int errnum)
{
	add_parents(fs, path);
	fake_entry *e = find(fs, path);
	if (e == NULL)
		e = add(fs, path, CORDON_FS_MISSING);
	e->errnum = errnum;
}

void fakefs_setenv(fakefs *fs, const char *name, const char *value)
{
	for (size_t i = 0; i < fs->env_count; i++) {
		if (strcmp(fs->env[i].name, name) == 0) {
			free(fs->env[i].value);
			fs->env[i].value = value ? strdup(value) : NULL;
			return;
		}
	}
	fs->env = realloc(fs->env, (fs->env_count + 1) * sizeof(*fs->env));
	if (fs->env == NULL)
		abort();
	fs->env[fs->env_count].name = strdup(name);
	fs->env[fs->env_count].value = value ? strdup(value) : NULL;
	fs->env_count++;
}

void fakefs_set_cwd(fakefs *fs, const char *cwd)
{
	free(fs->cwd);
	fs->cwd = cwd ? strdup(cwd) : NULL;
}

int fakefs_lstat_count(const fakefs *fs, const char *path)
{
	const fake_entry *e = find(fs, path);
	return e ? e->lstat_count : 0;
}

static int fake_lstat_kind(void *ctx, const char *path, cordon_fs_kind *kind)
{
	fakefs *fs = ctx;
	if (strcmp(path, "/") == 0) {
		*kind = CORDON_FS_DIRECTORY;
		return 0;
	}
	fs->lstat_total++;
	fake_entry *e = find(fs, path);
	if (e == NULL) {
		*kind = CORDON_FS_MISSING;
		return 0;
	}
	e->lstat_count++;
	if (e->errnum != 0)
		return -e->errnum;
	*kind = e->kind;
	return 0;
}

static long fake_readlink(void *ctx, const char *path, char *buf, size_t size)
{
	fakefs *fs = ctx;
	const fake_entry *e = find(fs, path);
	if (e == NULL)
		return -ENOENT;
	if (e->kind != CORDON_FS_SYMLINK)
		return -EINVAL;
	size_t length = strlen(e->target);
	if (length + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, e->target, length + 1);
	return (long)length;
}

static bool fake_user_can_write(void *ctx, const char *dir)
{
	fakefs *fs = ctx;
	if (strcmp(dir, "/") == 0)
		return fs->root_writable;
	const fake_entry *e = find(fs, dir);
	return e != NULL && e->kind == CORDON_FS_DIRECTORY && e->user_writable;
}

static const char *fake_getenv(void *ctx, const char *name)
{
	fakefs *fs = ctx;
	for (size_t i = 0; i < fs->env_count; i++)
		if (strcmp(fs->env[i].name, name) == 0)
			return fs->env[i].value;
	return NULL;
}

static const char *fake_getcwd(void *ctx)
{
	fakefs *fs = ctx;
	return fs->cwd;
}

static const char *fake_account_home(void *ctx, cordon_account who)
{
	fakefs *fs = ctx;
	return (unsigned)who < 2 ? fs->account_home[who] : NULL;
}

/* Entries directly inside dir, as a directory listing shows them. */
static int fake_names_exist(void *ctx, const char *dir, const char *const *names, size_t count, bool *exists)
{
	fakefs *fs = ctx;
	fs->listing_count++;
	const fake_entry *d = find(fs, dir);
	if (strcmp(dir, "/") != 0 && (d == NULL || d->kind != CORDON_FS_DIRECTORY))
		return -ENOTDIR;
	size_t length = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
	for (size_t i = 0; i < count; i++) {
		exists[i] = false;
		for (size_t j = 0; j < fs->entry_count && !exists[i]; j++) {
			const char *path = fs->entries[j].path;
			exists[i] = strncmp(path, dir, length) == 0 && path[length] == '/' &&
				    strcmp(path + length + 1, names[i]) == 0;
		}
	}
	return 0;
}

void fakefs_set_listing(fakefs *fs, bool listing)
{
	fs->view.names_exist = listing ? fake_names_exist : NULL;
}

int fakefs_lstat_total(const fakefs *fs)
{
	return fs->lstat_total;
}

int fakefs_listing_count(const fakefs *fs)
{
	return fs->listing_count;
}

void fakefs_set_account_home(fakefs *fs, cordon_account who, const char *home)
{
	free(fs->account_home[who]);
	fs->account_home[who] = home ? strdup(home) : NULL;
}

fakefs *fakefs_new(void)
{
	fakefs *fs = calloc(1, sizeof(*fs));
	if (fs == NULL)
		abort();
	fs->cwd = strdup("/");
	fs->view.ctx = fs;
	fs->view.lstat_kind = fake_lstat_kind;
	fs->view.readlink = fake_readlink;
	fs->view.user_can_write = fake_user_can_write;
	fs->view.getenv = fake_getenv;
	fs->view.getcwd = fake_getcwd;
	fs->view.account_home = fake_account_home;
	fs->view.names_exist = fake_names_exist;
	return fs;
}

void fakefs_free(fakefs *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < fs->entry_count; i++) {
		free(fs->entries[i].path);
		free(fs->entries[i].target);
	}
	free(fs->entries);
	for (size_t i = 0; i < fs->env_count; i++) {
		free(fs->env[i].name);
		free(fs->env[i].value);
	}
	free(fs->env);
	free(fs->cwd);
	free(fs->account_home[0]);
	free(fs->account_home[1]);
	free(fs);
}

const cordon_fsview *fakefs_view(fakefs *fs)
{
	return &fs->view;
}
