/* Policy resolution: what the caller asked for, checked against the
 * filesystem as an fsview shows it, becomes what will be enforced. Every
 * path is canonicalised here once, one component at a time, so a link a
 * sandboxed command could have planted never silently redirects a root. */
#include "resolve.h"
#include "names.h"

#include "credentials.h"
#include "error.h"
#include "json.h"
#include "policy_internal.h"
#include "policy_private.h"
#include "sha256.h"
#ifdef _WIN32
#include "winpath.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer spellings are refused rather than truncated. */
#define RESOLVE_PATH_MAX 4096
/* As Linux's MAXSYMLINKS: more hops than this means a loop. */
#define RESOLVE_MAX_LINK_HOPS 40

/* ------------------------------------------------------------ path algebra */

char *cordon_path_clean(const char *absolute)
{
	if (absolute == NULL || absolute[0] != '/')
		return NULL;
	size_t length = strlen(absolute);
	char *out = malloc(length + 2);
	if (out == NULL)
		return NULL;
	size_t used = 0; /* out holds "" for "/" or "/a/b" */
	const char *p = absolute;
	while (*p) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		const char *end = strchr(p, '/');
		size_t part = end ? (size_t)(end - p) : strlen(p);
		if (part == 1 && p[0] == '.') {
			/* nothing */
		} else if (part == 2 && p[0] == '.' && p[1] == '.') {
			while (used > 0 && out[used - 1] != '/')
				used--;
			if (used > 0)
				used--;
		} else {
			out[used++] = '/';
			memcpy(out + used, p, part);
			used += part;
		}
		p += part;
	}
	if (used == 0)
		out[used++] = '/';
	out[used] = '\0';
	return out;
}

bool cordon_path_is_within(const char *path, const char *root)
{
	if (strcmp(root, "/") == 0)
		return path[0] == '/';
	size_t length = strlen(root);
	return strncmp(path, root, length) == 0 && (path[length] == '\0' || path[length] == '/');
}

/* A path or value made safe for a one-line message. */
static const char *shown(const char *text, char buffer[CORDON_MESSAGE_VALUE_MAX])
{
	cordon_message_text(text, buffer, CORDON_MESSAGE_VALUE_MAX);
	return buffer;
}

#ifndef _WIN32
/* ------------------------------------------------------------ the walk */

typedef enum walk_failure {
	WALK_OK,
	WALK_MISSING,
	WALK_NOT_DIRECTORY, /* a component before the last is not a directory */
	WALK_LOOP,
	WALK_UNTRUSTED_LINK,
	WALK_TOO_LONG,
	WALK_SYSTEM,
} walk_failure;

/* The scalars first and the buffers filled only as far as used: a walk
 * is 24 KiB, and every page of it first touched is a page fault. */
typedef struct walk {
	const cordon_fsview *fs;
	bool check_trust;
	bool allow_missing;
	size_t resolved_length;
	int hops;
	bool missing; /* from here on, components are appended lexically */
	cordon_fs_kind kind;
	/* on failure */
	walk_failure failure;
	int sys_errno;
	/* canonical so far: "" stands for "/" */
	char resolved[RESOLVE_PATH_MAX];
	char pending[2 * RESOLVE_PATH_MAX];
	/* Written with the failure that reports them (walk_fail; link_*
	 * only for WALK_UNTRUSTED_LINK, the one report that reads them). */
	char failed_at[RESOLVE_PATH_MAX];
	char link_target[RESOLVE_PATH_MAX];
	char link_directory[RESOLVE_PATH_MAX];
} walk;

static void walk_fail(walk *w, walk_failure failure, const char *at)
{
	w->failure = failure;
	snprintf(w->failed_at, sizeof(w->failed_at), "%s", at);
}

static void drop_last_component(walk *w)
{
	while (w->resolved_length > 0 && w->resolved[w->resolved_length - 1] != '/')
		w->resolved_length--;
	if (w->resolved_length > 0)
		w->resolved_length--;
	w->resolved[w->resolved_length] = '\0';
}

static bool append_component(walk *w, const char *name, size_t length)
{
	if (w->resolved_length + 1 + length >= sizeof(w->resolved))
		return false;
	w->resolved[w->resolved_length++] = '/';
	memcpy(w->resolved + w->resolved_length, name, length);
	w->resolved_length += length;
	w->resolved[w->resolved_length] = '\0';
	return true;
}

static const char *resolved_or_root(const walk *w)
{
	return w->resolved_length ? w->resolved : "/";
}

static bool only_slashes(const char *s)
{
	while (*s == '/')
		s++;
	return *s == '\0';
}

/* Follows the link at w->resolved (already appended); rest is what came
 * after it in the pending path. */
static bool follow_link(walk *w, const char *rest)
{
	char link_path[RESOLVE_PATH_MAX];
	snprintf(link_path, sizeof(link_path), "%s", w->resolved);
	drop_last_component(w);
	if (++w->hops > RESOLVE_MAX_LINK_HOPS) {
		walk_fail(w, WALK_LOOP, link_path);
		return false;
	}
	char target[RESOLVE_PATH_MAX];
	long length = w->fs->readlink(w->fs->ctx, link_path, target, sizeof(target));
	if (length < 0) {
		w->sys_errno = (int)-length;
		walk_fail(w, WALK_SYSTEM, link_path);
		return false;
	}
	if ((size_t)length >= sizeof(target)) {
		walk_fail(w, WALK_TOO_LONG, link_path);
		return false;
	}
	target[length] = '\0';
	if (w->check_trust && w->fs->user_can_write(w->fs->ctx, resolved_or_root(w))) {
		walk_fail(w, WALK_UNTRUSTED_LINK, link_path);
		snprintf(w->link_target, sizeof(w->link_target), "%s", target);
		snprintf(w->link_directory, sizeof(w->link_directory), "%s", resolved_or_root(w));
		return false;
	}
	char next[sizeof(w->pending)];
	int written = snprintf(next, sizeof(next), "%s/%s", target, rest);
	if (written < 0 || (size_t)written >= sizeof(next)) {
		walk_fail(w, WALK_TOO_LONG, link_path);
		return false;
	}
	memcpy(w->pending, next, (size_t)written + 1);
	if (target[0] == '/') {
		w->resolved_length = 0;
		w->resolved[0] = '\0';
		w->failed_at[0] = '\0';
	}
	return true;
}

/* One step: the component at the front of w->pending. Returns false when
 * the walk stopped (failure set) and sets *done at the end of the path. */
static bool walk_step(walk *w, bool *done)
{
	const char *p = w->pending;
	while (*p == '/')
		p++;
	if (*p == '\0') {
		*done = true;
		return true;
	}
	const char *slash = strchr(p, '/');
	size_t length = slash ? (size_t)(slash - p) : strlen(p);
	const char *rest = p + length;
	char name[RESOLVE_PATH_MAX];
	memcpy(name, p, length);
	name[length] = '\0';
	/* rest moves to the front before any branch rewrites pending */
	memmove(w->pending, rest, strlen(rest) + 1);

	if (strcmp(name, ".") == 0)
		return true;
	if (strcmp(name, "..") == 0) {
		drop_last_component(w);
		return true;
	}
	if (!append_component(w, name, length)) {
		walk_fail(w, WALK_TOO_LONG, w->resolved);
		return false;
	}
	if (w->missing)
		return true;

	cordon_fs_kind kind = CORDON_FS_MISSING;
	int status = w->fs->lstat_kind(w->fs->ctx, w->resolved, &kind);
	if (status < 0) {
		w->sys_errno = -status;
		walk_fail(w, WALK_SYSTEM, w->resolved);
		return false;
	}
	w->kind = kind;
	switch (kind) {
	case CORDON_FS_DIRECTORY: return true;
	case CORDON_FS_MISSING:
		if (!w->allow_missing) {
			walk_fail(w, WALK_MISSING, w->resolved);
			return false;
		}
		w->missing = true;
		return true;
	case CORDON_FS_SYMLINK: {
		char rest_copy[sizeof(w->pending)];
		memcpy(rest_copy, w->pending, strlen(w->pending) + 1);
		return follow_link(w, rest_copy);
	}
	case CORDON_FS_FILE:
	case CORDON_FS_OTHER:
		if (!only_slashes(w->pending)) {
			walk_fail(w, WALK_NOT_DIRECTORY, w->resolved);
			return false;
		}
		return true;
	}
	return true;
}

/* Canonicalises rest (relative, or absolute when canonical_dir is "/")
 * below canonical_dir, a directory already canonical, without looking at
 * canonical_dir again. On success w->resolved is the canonical spelling
 * and w->kind what it is (MISSING if allowed). */
static bool walk_from(walk *w, const cordon_fsview *fs, const char *canonical_dir, const char *rest,
		      bool check_trust, bool allow_missing)
{
	/* Field by field rather than one memset: the buffers are 24 KiB and
	 * the credential scan walks dozens of short paths per run. */
	w->fs = fs;
	w->check_trust = check_trust;
	w->allow_missing = allow_missing;
	w->resolved[0] = '\0';
	w->resolved_length = 0;
	w->pending[0] = '\0';
	w->hops = 0;
	w->missing = false;
	w->kind = CORDON_FS_DIRECTORY; /* canonical_dir itself */
	w->failure = WALK_OK;
	w->failed_at[0] = '\0';
	w->link_target[0] = '\0';
	w->link_directory[0] = '\0';
	w->sys_errno = 0;
	if (strlen(canonical_dir) + strlen(rest) + 1 >= RESOLVE_PATH_MAX) {
		walk_fail(w, WALK_TOO_LONG, rest);
		return false;
	}
	if (strcmp(canonical_dir, "/") != 0) {
		w->resolved_length = strlen(canonical_dir);
		memcpy(w->resolved, canonical_dir, w->resolved_length + 1);
	}
	snprintf(w->pending, sizeof(w->pending), "%s", rest);
	for (;;) {
		bool done = false;
		if (!walk_step(w, &done))
			return false;
		if (done)
			break;
	}
	if (w->missing)
		w->kind = CORDON_FS_MISSING;
	if (w->resolved_length == 0) {
		w->resolved[0] = '/';
		w->resolved[1] = '\0';
		w->resolved_length = 1;
	}
	return true;
}

/* Canonicalises a clean absolute path. On success w->resolved is the
 * canonical spelling and w->kind what it is (MISSING if allowed). */
static bool walk_path(walk *w, const cordon_fsview *fs, const char *absolute, bool check_trust,
		      bool allow_missing)
{
	return walk_from(w, fs, "/", absolute, check_trust, allow_missing);
}

#endif /* !_WIN32 */

/* ------------------------------------------------------------ purposes */

/* How one kind of path is described to the user when it cannot be used. */
typedef struct path_purpose {
	const char *label;	  /* "working directory" */
	const char *origin;	  /* after the path: " (from TMPDIR)" or "" */
	const char *missing_hint; /* what to do when it does not exist */
	const char *not_dir_hint; /* what to do when it is not a directory */
	const char *real_advice;  /* "pass the real path" ... <real> ... real_tail */
	const char *real_tail;
	bool allow_missing;
} path_purpose;

static const path_purpose cwd_purpose = {
	.label = "working directory",
	.origin = "",
	.missing_hint = "create it or pass an existing directory",
	.not_dir_hint = "pass a directory",
	.real_advice = "pass the real path",
	.real_tail = " instead",
	.allow_missing = false,
};
static const path_purpose root_purpose = {
	.label = "writable root",
	.origin = "",
	.missing_hint = "create it or drop it from the writable roots",
	.not_dir_hint = "writable roots must be directories",
	.real_advice = "pass the real path",
	.real_tail = " instead",
	.allow_missing = false,
};
static const path_purpose deny_read_purpose = {
	.label = "deny-read path",
	.origin = "",
	.missing_hint = "",
	.not_dir_hint = "",
	.real_advice = "pass the real path",
	.real_tail = " instead",
	.allow_missing = true,
};
/* Credential stores are looked for behind any link: hiding what a link
 * points to is what hides it, and a link the command could have planted
 * can only move the mask onto something else the command could already
 * write. */
static const path_purpose credential_purpose = {
	.label = "credential store",
	.origin = "",
	.missing_hint = "",
	.not_dir_hint = "",
	.real_advice = "pass the real path",
	.real_tail = " instead",
	.allow_missing = true,
};
#ifndef _WIN32
static const path_purpose tmpdir_env_purpose = {
	.label = "temp directory",
	.origin = " (from TMPDIR)",
	.missing_hint = "create it, set TMPDIR to an existing directory, or pass --no-tmp",
	.not_dir_hint = "set TMPDIR to a directory or pass --no-tmp",
	.real_advice = "set TMPDIR to the real path",
	.real_tail = " instead",
	.allow_missing = false,
};
static const path_purpose tmp_slash_purpose = {
	.label = "temp directory",
	.origin = "",
	.missing_hint = "create it, set TMPDIR to an existing directory, or pass --no-tmp",
	.not_dir_hint = "set TMPDIR to a directory or pass --no-tmp",
	.real_advice = "set TMPDIR to the real path",
	.real_tail = " instead",
	.allow_missing = false,
};
#endif

#ifndef _WIN32
/* The real path for an untrusted-link message: the same walk trusting
 * every link, or the lexical spelling if even that fails. */
static void real_path_for_message(const cordon_fsview *fs, const char *absolute, char *out, size_t size)
{
	walk *w = malloc(sizeof(*w));
	if (w != NULL && walk_path(w, fs, absolute, false, true))
		snprintf(out, size, "%s", w->resolved);
	else
		snprintf(out, size, "%s", absolute);
	free(w);
}

static cordon_code report_walk_failure(const walk *w, const cordon_fsview *fs, const path_purpose *purpose,
				       const char *absolute, cordon_error *err)
{
	const char *label = purpose->label;
	const char *origin = purpose->origin;
	char path_text[CORDON_MESSAGE_VALUE_MAX], at_text[CORDON_MESSAGE_VALUE_MAX];
	const char *path = shown(absolute, path_text);
	const char *at = shown(w->failed_at, at_text);
	switch (w->failure) {
	case WALK_MISSING:
		if (strcmp(w->failed_at, absolute) == 0)
			return cordon_fail(err, CORDON_E_NOT_FOUND, "%s %s%s does not exist: %s", label, path,
					   origin, purpose->missing_hint);
		return cordon_fail(err, CORDON_E_NOT_FOUND, "%s %s%s does not exist (%s is missing): %s",
				   label, path, origin, at, purpose->missing_hint);
	case WALK_NOT_DIRECTORY:
		return cordon_fail(err, CORDON_E_NOT_FOUND, "%s %s%s does not exist: %s is not a directory",
				   label, path, origin, at);
	case WALK_LOOP:
		return cordon_fail(
			err, CORDON_E_INVALID,
			"%s %s%s cannot be resolved: more than %d symbolic links (a link loop at %s?); "
			"pass a path without the loop",
			label, path, origin, RESOLVE_MAX_LINK_HOPS, at);
	case WALK_UNTRUSTED_LINK: {
		char real[RESOLVE_PATH_MAX];
		real_path_for_message(fs, absolute, real, sizeof(real));
		char target_text[CORDON_MESSAGE_VALUE_MAX], directory_text[CORDON_MESSAGE_VALUE_MAX];
		char real_text[CORDON_MESSAGE_VALUE_MAX];
		return cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"%s %s%s passes through the link %s -> %s, which sits in %s, a directory you can "
			"write (a sandboxed command could have planted it); %s %s%s",
			label, path, origin, at, shown(w->link_target, target_text),
			shown(w->link_directory, directory_text), purpose->real_advice,
			shown(real, real_text), purpose->real_tail);
	}
	case WALK_TOO_LONG:
		return cordon_fail(err, CORDON_E_INVALID,
				   "%s %s%s is too long to resolve (over %d bytes at %s)", label, path,
				   origin, RESOLVE_PATH_MAX, at);
	case WALK_SYSTEM:
		return cordon_fail_errno(err, w->sys_errno, "cannot resolve %s %s%s: looking at %s failed",
					 label, path, origin, at);
	case WALK_OK: break;
	}
	return cordon_fail(err, CORDON_E_INVALID, "%s %s%s cannot be resolved", label, path, origin);
}

/* Makes path absolute against the process cwd and lexically clean.
 * Allocates *out. */
static cordon_code absolute_clean(const cordon_fsview *fs, const char *path, const path_purpose *purpose,
				  char **out, cordon_error *err)
{
	if (path[0] == '/') {
		*out = cordon_path_clean(path);
	} else {
		const char *base = fs->getcwd(fs->ctx);
		char buffer[CORDON_MESSAGE_VALUE_MAX];
		if (base == NULL || base[0] != '/')
			return cordon_fail(
				err, CORDON_E_SYSTEM,
				"cannot resolve %s \"%s\": the current directory is unknown; pass an "
				"absolute path",
				purpose->label, shown(path, buffer));
		size_t length = strlen(base) + 1 + strlen(path) + 1;
		char *joined = malloc(length);
		if (joined == NULL)
			return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
		snprintf(joined, length, "%s/%s", base, path);
		*out = cordon_path_clean(joined);
		free(joined);
	}
	if (*out == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	return CORDON_OK;
}

/* Canonicalises path for purpose. Allocates *out; *kind tells what it is. */
static cordon_code canonicalize(const cordon_fsview *fs, const char *path, const path_purpose *purpose,
				char **out, cordon_fs_kind *kind, cordon_error *err)
{
	char *absolute = NULL;
	cordon_code code = absolute_clean(fs, path, purpose, &absolute, err);
	if (code != CORDON_OK)
		return code;
	walk *w = malloc(sizeof(*w));
	if (w == NULL) {
		free(absolute);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	}
	if (walk_path(w, fs, absolute, true, purpose->allow_missing)) {
		*out = strdup(w->resolved);
		*kind = w->kind;
		code = *out ? CORDON_OK
			    : cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	} else {
		code = report_walk_failure(w, fs, purpose, absolute, err);
	}
	free(w);
	free(absolute);
	return code;
}

#else /* _WIN32 */

/* Windows spellings go through winpath's algebra instead of the POSIX
 * walk. Junctions and symlinks are not followed or judged here: the
 * Windows backend refuses reparse points in roots itself (src/windows). */
static cordon_code canonicalize(const cordon_fsview *fs, const char *path, const path_purpose *purpose,
				char **out, cordon_fs_kind *kind, cordon_error *err)
{
	char buffer[CORDON_MESSAGE_VALUE_MAX];
	char *stream = NULL;
	char *canonical = winpath_canonical(path, fs->getcwd(fs->ctx), &stream);
	if (canonical == NULL)
		return cordon_fail(
			err, CORDON_E_INVALID,
			"%s %s%s cannot be used: it is not a drive or UNC path (devices, pipes and "
			"invalid spellings are refused); pass a path such as C:\\work",
			purpose->label, shown(path, buffer), purpose->origin);
	if (stream != NULL) {
		free(stream);
		free(canonical);
		return cordon_fail(
			err, CORDON_E_INVALID,
			"%s %s%s names an alternate data stream; pass the file or directory itself",
			purpose->label, shown(path, buffer), purpose->origin);
	}
	int status = fs->lstat_kind(fs->ctx, canonical, kind);
	if (status < 0) {
		cordon_code code = cordon_fail_errno(err, -status, "cannot resolve %s %s%s", purpose->label,
						     shown(canonical, buffer), purpose->origin);
		free(canonical);
		return code;
	}
	if (*kind == CORDON_FS_MISSING && !purpose->allow_missing) {
		cordon_code code =
			cordon_fail(err, CORDON_E_NOT_FOUND, "%s %s%s does not exist: %s", purpose->label,
				    shown(canonical, buffer), purpose->origin, purpose->missing_hint);
		free(canonical);
		return code;
	}
	*out = canonical;
	return CORDON_OK;
}

#endif /* _WIN32 */

static cordon_code canonical_directory(const cordon_fsview *fs, const char *path, const path_purpose *purpose,
				       char **out, cordon_error *err)
{
	cordon_fs_kind kind;
	cordon_code code = canonicalize(fs, path, purpose, out, &kind, err);
	if (code != CORDON_OK)
		return code;
	if (kind != CORDON_FS_DIRECTORY) {
		char buffer[CORDON_MESSAGE_VALUE_MAX];
		code = cordon_fail(err, CORDON_E_INVALID, "%s %s%s is not a directory: %s", purpose->label,
				   shown(*out, buffer), purpose->origin, purpose->not_dir_hint);
		free(*out);
		*out = NULL;
	}
	return code;
}

/* ------------------------------------------------------------ roots */

static cordon_code add_root(cordon_resolved *r, char *path, cordon_root_kind kind, cordon_error *err)
{
	cordon_root *roots = realloc(r->roots, (r->root_count + 1) * sizeof(*roots));
	if (roots == NULL) {
		free(path);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	}
	r->roots = roots;
	r->roots[r->root_count].path = path;
	r->roots[r->root_count].kind = kind;
	r->root_count++;
	return CORDON_OK;
}

/* A root is dropped only when the same path was listed earlier (the
 * workspace is listed first, so it wins ties). A root nested inside
 * another is kept: protected names hold at the top of every root the
 * caller named, so a workspace under the temp directory keeps its own
 * .git read-only. The survivors keep their order. */
static bool root_is_within(const char *path, const char *root)
{
#ifdef _WIN32
	return winpath_is_within(path, root);
#else
	return cordon_path_is_within(path, root);
#endif
}

static bool root_is_covered(const cordon_resolved *r, size_t i)
{
	for (size_t j = 0; j < r->root_count; j++) {
		if (i == j || !root_is_within(r->roots[i].path, r->roots[j].path))
			continue;
		bool same = root_is_within(r->roots[j].path, r->roots[i].path);
		if (same && j < i)
			return true;
	}
	return false;
}

static cordon_code drop_covered_roots(cordon_resolved *r, cordon_error *err)
{
	bool *covered = calloc(r->root_count ? r->root_count : 1, sizeof(*covered));
	if (covered == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	/* decide everything first: the comparisons need every path intact */
	for (size_t i = 0; i < r->root_count; i++)
		covered[i] = root_is_covered(r, i);
	size_t kept = 0;
	for (size_t i = 0; i < r->root_count; i++) {
		if (covered[i])
			free(r->roots[i].path);
		else
			r->roots[kept++] = r->roots[i];
	}
	r->root_count = kept;
	free(covered);
	return CORDON_OK;
}

#ifdef _WIN32
/* Windows has no /tmp: %TEMP%, else %TMP%, as GetTempPath does. */
static const path_purpose windows_temp_purpose = {
	.label = "temp directory",
	.origin = " (from TEMP)",
	.missing_hint = "create it, set TEMP to an existing directory, or pass --no-tmp",
	.not_dir_hint = "set TEMP to a directory or pass --no-tmp",
	.real_advice = "set TEMP to the real path",
	.real_tail = " instead",
	.allow_missing = false,
};

static cordon_code add_tmp_root(cordon_resolved *r, const cordon_policy *policy, const cordon_fsview *fs,
				cordon_error *err)
{
	if (policy->tmp_exclude_env)
		return CORDON_OK;
	const char *temp = fs->getenv(fs->ctx, "TEMP");
	if (temp == NULL || temp[0] == '\0')
		temp = fs->getenv(fs->ctx, "TMP");
	if (temp == NULL || temp[0] == '\0')
		return CORDON_OK;
	char *path = NULL;
	cordon_code code = canonical_directory(fs, temp, &windows_temp_purpose, &path, err);
	if (code != CORDON_OK)
		return code;
	return add_root(r, path, CORDON_ROOT_TMP, err);
}
#else
static cordon_code add_tmp_root(cordon_resolved *r, const cordon_policy *policy, const cordon_fsview *fs,
				cordon_error *err)
{
	const char *tmpdir = policy->tmp_exclude_env ? NULL : fs->getenv(fs->ctx, "TMPDIR");
	const path_purpose *purpose = &tmpdir_env_purpose;
	if (tmpdir == NULL || tmpdir[0] == '\0') {
		if (policy->tmp_exclude_slash)
			return CORDON_OK;
		tmpdir = "/tmp";
		purpose = &tmp_slash_purpose;
	} else if (tmpdir[0] != '/') {
		char buffer[CORDON_MESSAGE_VALUE_MAX];
		return cordon_fail(
			err, CORDON_E_INVALID,
			"TMPDIR is \"%s\", not an absolute path: set TMPDIR to an absolute directory, "
			"unset it, or pass --no-tmp",
			shown(tmpdir, buffer));
	}
	char *path = NULL;
	cordon_code code = canonical_directory(fs, tmpdir, purpose, &path, err);
	if (code != CORDON_OK)
		return code;
	return add_root(r, path, CORDON_ROOT_TMP, err);
}
#endif

static cordon_code resolve_roots(cordon_resolved *r, const cordon_policy *policy, const cordon_fsview *fs,
				 cordon_error *err)
{
	if (policy->mode != CORDON_MODE_WORKSPACE_WRITE)
		return CORDON_OK;
	char *cwd = strdup(r->cwd);
	if (cwd == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	cordon_code code = add_root(r, cwd, CORDON_ROOT_WORKSPACE, err);
	for (size_t i = 0; code == CORDON_OK && i < policy->writable_roots.count; i++) {
		char *path = NULL;
		code = canonical_directory(fs, policy->writable_roots.items[i], &root_purpose, &path, err);
		if (code == CORDON_OK)
			code = add_root(r, path, CORDON_ROOT_EXTRA, err);
	}
	if (code == CORDON_OK && policy->tmp_writable)
		code = add_tmp_root(r, policy, fs, err);
	if (code == CORDON_OK)
		code = drop_covered_roots(r, err);
	return code;
}

/* ------------------------------------------------------------ the rest */

/* Adds path (allocated) to list unless it is there already; frees it. */
static cordon_code add_once_and_free(cordon_strlist *list, char *path, cordon_error *err)
{
	bool ok = cordon_strlist_contains(list, path) || cordon_strlist_push(list, path);
	free(path);
	if (!ok)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	return CORDON_OK;
}

static cordon_code resolve_deny_read(cordon_resolved *r, const cordon_policy *policy, const cordon_fsview *fs,
				     cordon_error *err)
{
	for (size_t i = 0; i < policy->deny_read.count; i++) {
		char *path = NULL;
		cordon_fs_kind kind;
		cordon_code code =
			canonicalize(fs, policy->deny_read.items[i], &deny_read_purpose, &path, &kind, err);
		if (code != CORDON_OK)
			return code;
		code = add_once_and_free(&r->deny_read, path, err);
		if (code != CORDON_OK)
			return code;
	}
	return CORDON_OK;
}

/* ------------------------------------------------------------ credential stores */

/* What resolving the credential stores works with: the homes as spelled
 * (for matching an absolute lift) and which entries the caller allowed. */
typedef struct credential_scan {
	cordon_strlist spelled_homes;
	bool *allowed; /* per entry of the table */
	bool all_allowed;
} credential_scan;

#ifdef _WIN32
static cordon_code credential_lookup(const cordon_fsview *fs, const char *spelled, char **out,
				     cordon_error *err)
{
	cordon_fs_kind kind;
	char *path = NULL;
	cordon_code code = canonicalize(fs, spelled, &credential_purpose, &path, &kind, err);
	if (code != CORDON_OK)
		return code;
	if (kind == CORDON_FS_MISSING)
		free(path);
	else
		*out = path;
	return CORDON_OK;
}

static cordon_code lookup_home(const cordon_fsview *fs, const char *spelled, char **out, cordon_error *err)
{
	return credential_lookup(fs, spelled, out, err);
}

static cordon_code lookup_store(const cordon_fsview *fs, const char *home, size_t index, char **out,
				cordon_error *err)
{
	char *spelled = cordon_credential_store_path(home, index, '\\');
	if (spelled == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	cordon_code code = credential_lookup(fs, spelled, out, err);
	free(spelled);
	return code;
}

static char *clean_spelling(const cordon_fsview *fs, const char *path)
{
	return winpath_canonical(path, fs->getcwd(fs->ctx), NULL);
}

static bool same_path(const char *a, const char *b)
{
	return winpath_compare(a, b) == 0;
}

#define HOME_SEPARATOR '\\'

static cordon_code spell_homes(const cordon_fsview *fs, credential_scan *scan)
{
	const char *profile = fs->getenv(fs->ctx, "USERPROFILE");
	if (profile != NULL && profile[0] != '\0') {
		char *clean = clean_spelling(fs, profile);
		bool ok = clean == NULL || cordon_strlist_push(&scan->spelled_homes, clean);
		free(clean);
		if (!ok)
			return CORDON_E_NOMEM;
	}
	return CORDON_OK;
}
#else
/* Sets *out (allocated) to the canonical path of rest below base (a
 * canonical directory) when something is there to hide, leaves it NULL
 * otherwise. A path the invoking user cannot reach (EACCES) is not
 * reachable from inside either; any other failure fails the run: cordon
 * cannot tell what it would leave readable. */
static cordon_code credential_lookup(const cordon_fsview *fs, const char *base, const char *rest, char **out,
				     cordon_error *err)
{
	walk *w = malloc(sizeof(*w));
	if (w == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	cordon_code code = CORDON_OK;
	if (walk_from(w, fs, base, rest, false, true)) {
		if (w->kind != CORDON_FS_MISSING && (*out = strdup(w->resolved)) == NULL)
			code = cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	} else if (w->failure != WALK_NOT_DIRECTORY &&
		   !(w->failure == WALK_SYSTEM && w->sys_errno == EACCES)) {
		char spelled[RESOLVE_PATH_MAX];
		snprintf(spelled, sizeof(spelled), "%s%s%s", strcmp(base, "/") == 0 ? "" : base,
			 rest[0] == '/' ? "" : "/", rest);
		code = report_walk_failure(w, fs, &credential_purpose, spelled, err);
	}
	free(w);
	return code;
}

static cordon_code lookup_home(const cordon_fsview *fs, const char *spelled, char **out, cordon_error *err)
{
	return credential_lookup(fs, "/", spelled, out, err);
}

/* Walks only the entry's own components: the home is canonical already,
 * so the scan costs one lstat per component of the table, not per
 * component of the home times the table. */
static cordon_code lookup_store(const cordon_fsview *fs, const char *home, size_t index, char **out,
				cordon_error *err)
{
	return credential_lookup(fs, home, cordon_credential_store_name(index), out, err);
}

static char *clean_spelling(const cordon_fsview *fs, const char *path)
{
	(void)fs;
	return cordon_path_clean(path);
}

static bool same_path(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

#define HOME_SEPARATOR '/'

static bool push_clean_home(credential_scan *scan, const char *home)
{
	char *clean = cordon_path_clean(home);
	if (clean == NULL)
		return false;
	bool ok = cordon_strlist_contains(&scan->spelled_homes, clean) ||
		  cordon_strlist_push(&scan->spelled_homes, clean);
	free(clean);
	return ok;
}

/* $HOME is the home most tools read; the account database's home (what
 * OpenSSH reads) stands in when $HOME is unset or not absolute; under
 * sudo the home of the user who ran it is added, since root can read it. */
static cordon_code spell_homes(const cordon_fsview *fs, credential_scan *scan)
{
	const char *home = fs->getenv(fs->ctx, "HOME");
	if (home == NULL || home[0] != '/')
		home = fs->account_home ? fs->account_home(fs->ctx, CORDON_ACCOUNT_SELF) : NULL;
	if (home != NULL && home[0] == '/' && !push_clean_home(scan, home))
		return CORDON_E_NOMEM;
	const char *caller = fs->account_home ? fs->account_home(fs->ctx, CORDON_ACCOUNT_SUDO_CALLER) : NULL;
	if (caller != NULL && caller[0] == '/' && !push_clean_home(scan, caller))
		return CORDON_E_NOMEM;
	return CORDON_OK;
}
#endif

/* An absolute lift names an entry under one of the homes, as spelled or
 * as resolved. */
static long match_absolute_lift(const cordon_fsview *fs, const cordon_resolved *r,
				const credential_scan *scan, const char *lift)
{
	char *clean = clean_spelling(fs, lift);
	long found = -1;
	for (size_t i = 0; clean != NULL && found < 0 && i < cordon_credential_store_count(); i++) {
		const cordon_strlist *lists[] = {&scan->spelled_homes, &r->credential_homes};
		for (size_t l = 0; found < 0 && l < 2; l++) {
			for (size_t h = 0; found < 0 && h < lists[l]->count; h++) {
				char *path =
					cordon_credential_store_path(lists[l]->items[h], i, HOME_SEPARATOR);
				if (path != NULL && same_path(path, clean))
					found = (long)i;
				free(path);
			}
		}
	}
	free(clean);
	return found;
}

static cordon_code apply_lifts(cordon_resolved *r, const cordon_policy *policy, const cordon_fsview *fs,
			       credential_scan *scan, cordon_error *err)
{
	for (size_t i = 0; i < policy->credential_lifts.count; i++) {
		const char *lift = policy->credential_lifts.items[i];
		long index;
		if (strcmp(lift, CORDON_CREDENTIALS_ALL) == 0) {
			scan->all_allowed = true;
			index = -1;
		} else if (cordon_credential_lift_is_absolute(lift)) {
			index = match_absolute_lift(fs, r, scan, lift);
			if (index < 0) {
				char buffer[CORDON_MESSAGE_VALUE_MAX];
				char home_text[CORDON_MESSAGE_VALUE_MAX];
				if (r->credential_homes.count == 0)
					return cordon_fail(
						err, CORDON_E_INVALID,
						"credential store %s to allow cannot be matched: no home "
						"was found (HOME is not set); give a name such as .ssh, "
						"or all",
						shown(lift, buffer));
				return cordon_fail(
					err, CORDON_E_INVALID,
					"credential store %s to allow is not one cordon hides under "
					"%s: give a name such as .ssh, or all",
					shown(lift, buffer), shown(r->credential_homes.items[0], home_text));
			}
		} else {
			index = cordon_credential_store_find(lift);
		}
		if (index >= 0)
			scan->allowed[index] = true;
		if (!cordon_strlist_contains(&r->credential_lifts, lift) &&
		    !cordon_strlist_push(&r->credential_lifts, lift))
			return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	}
	return CORDON_OK;
}

/* A store that is, or holds, the working directory or a writable root is
 * where the caller chose to work: hiding it would hide the work. */
static bool holds_the_work(const cordon_resolved *r, const char *path)
{
	if (root_is_within(r->cwd, path))
		return true;
	for (size_t i = 0; i < r->root_count; i++)
		if (root_is_within(r->roots[i].path, path))
			return true;
	return false;
}

/* Room for the first component of a table entry (".config" of
 * ".config/gh"). */
#define FIRST_COMPONENT_MAX 64

/* One listing of the home tells which entries can exist at all, so the
 * usual case (most stores absent) costs a directory read instead of a
 * lookup per entry. Sets present[i] for every entry; all true when the
 * home cannot be listed (each entry is then looked up). */
static void mark_present(const cordon_fsview *fs, const char *home, bool *present)
{
	size_t count = cordon_credential_store_count();
	char(*names)[FIRST_COMPONENT_MAX] = calloc(count, sizeof(*names));
	const char **name_of = calloc(count, sizeof(*name_of));
	bool *exists = calloc(count, sizeof(*exists));
	size_t distinct = 0;
	for (size_t i = 0; i < count; i++)
		present[i] = true;
	if (names == NULL || name_of == NULL || exists == NULL || fs->names_exist == NULL)
		goto done;
	for (size_t i = 0; i < count; i++) {
		const char *name = cordon_credential_store_name(i);
		size_t length = strcspn(name, "/");
		if (length >= FIRST_COMPONENT_MAX)
			goto done;
		size_t j = 0;
		while (j < distinct && !(strncmp(names[j], name, length) == 0 && names[j][length] == '\0'))
			j++;
		if (j == distinct) {
			memcpy(names[distinct], name, length);
			names[distinct][length] = '\0';
			name_of[distinct] = names[distinct];
			distinct++;
		}
	}
	if (fs->names_exist(fs->ctx, home, name_of, distinct, exists) != 0)
		goto done;
	for (size_t i = 0; i < count; i++) {
		const char *name = cordon_credential_store_name(i);
		size_t length = strcspn(name, "/");
		for (size_t j = 0; j < distinct; j++)
			if (strncmp(names[j], name, length) == 0 && names[j][length] == '\0')
				present[i] = exists[j];
	}
done:
	free(names);
	free(name_of);
	free(exists);
}

/* Hides entry i under home if it exists there and is not where the
 * caller works. */
static cordon_code hide_store(cordon_resolved *r, const cordon_fsview *fs, const char *home, size_t i,
			      cordon_error *err)
{
	char *path = NULL;
	cordon_code code = lookup_store(fs, home, i, &path, err);
	if (code != CORDON_OK || path == NULL)
		return code;
	bool ok = holds_the_work(r, path) || cordon_strlist_contains(&r->deny_read, path) ||
		  cordon_strlist_contains(&r->credentials, path) ||
		  cordon_strlist_push(&r->credentials, path);
	free(path);
	return ok ? CORDON_OK : cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
}

static cordon_code hide_stores_under(cordon_resolved *r, const cordon_fsview *fs, const credential_scan *scan,
				     const char *home, cordon_error *err)
{
	bool *present = calloc(cordon_credential_store_count(), sizeof(*present));
	if (present == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	mark_present(fs, home, present);
	cordon_code code = CORDON_OK;
	for (size_t i = 0; code == CORDON_OK && i < cordon_credential_store_count(); i++)
		if (!scan->allowed[i] && present[i])
			code = hide_store(r, fs, home, i, err);
	free(present);
	return code;
}

static cordon_code resolve_homes(cordon_resolved *r, const cordon_fsview *fs, credential_scan *scan,
				 cordon_error *err)
{
	if (spell_homes(fs, scan) != CORDON_OK)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	for (size_t i = 0; i < scan->spelled_homes.count; i++) {
		char *home = NULL;
		cordon_code code = lookup_home(fs, scan->spelled_homes.items[i], &home, err);
		if (code != CORDON_OK)
			return code;
		if (home == NULL)
			continue; /* no home there: nothing to hide under it */
		code = add_once_and_free(&r->credential_homes, home, err);
		if (code != CORDON_OK)
			return code;
	}
	return CORDON_OK;
}

/* Needs cwd, roots and deny_read resolved. Full access hides nothing:
 * there is no sandbox to hide it with, and the policy says so. */
static cordon_code resolve_credentials(cordon_resolved *r, const cordon_policy *policy,
				       const cordon_fsview *fs, cordon_error *err)
{
	credential_scan scan = {0};
	scan.allowed = calloc(cordon_credential_store_count(), sizeof(*scan.allowed));
	cordon_code code =
		scan.allowed ? CORDON_OK
			     : cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	if (code == CORDON_OK)
		code = resolve_homes(r, fs, &scan, err);
	if (code == CORDON_OK)
		code = apply_lifts(r, policy, fs, &scan, err);
	bool hide = policy->mode != CORDON_MODE_FULL_ACCESS && !scan.all_allowed;
	for (size_t i = 0; code == CORDON_OK && hide && i < r->credential_homes.count; i++)
		code = hide_stores_under(r, fs, &scan, r->credential_homes.items[i], err);
	cordon_strlist_clear(&scan.spelled_homes);
	free(scan.allowed);
	return code;
}

#ifdef _WIN32
static cordon_code resolve_state_dir(cordon_resolved *r, const cordon_fsview *fs, cordon_error *err)
{
	const char *base = fs->getenv(fs->ctx, "LOCALAPPDATA");
	if (base == NULL || base[0] == '\0')
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot place cordon's state directory: LOCALAPPDATA is not set; set it to your "
			"local application data folder");
	size_t length = strlen(base) + sizeof("\\cordon");
	r->state_dir = malloc(length);
	if (r->state_dir == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	snprintf(r->state_dir, length, "%s\\cordon", base);
	return CORDON_OK;
}
#else
static const path_purpose state_purpose = {
	.label = "state directory",
	.origin = "",
	.missing_hint = "",
	.not_dir_hint = "",
	.real_advice = "set XDG_STATE_HOME to a spelling without the link; the state directory really is",
	.real_tail = "",
	.allow_missing = true,
};

static cordon_code resolve_state_dir(cordon_resolved *r, const cordon_fsview *fs, cordon_error *err)
{
	/* XDG: a relative XDG_STATE_HOME is invalid and must be ignored. */
	const char *xdg = fs->getenv(fs->ctx, "XDG_STATE_HOME");
	const char *home = fs->getenv(fs->ctx, "HOME");
	const char *suffix;
	const char *base;
	if (xdg != NULL && xdg[0] == '/') {
		base = xdg;
		suffix = "/cordon";
	} else if (home != NULL && home[0] == '/') {
		base = home;
		suffix = "/.local/state/cordon";
	} else {
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot place cordon's state directory: neither XDG_STATE_HOME nor HOME is an "
			"absolute path; set HOME");
	}
	size_t length = strlen(base) + strlen(suffix) + 1;
	char *spelled = malloc(length);
	if (spelled == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	snprintf(spelled, length, "%s%s", base, suffix);
	cordon_fs_kind kind;
	cordon_code code = canonicalize(fs, spelled, &state_purpose, &r->state_dir, &kind, err);
	free(spelled);
	char buffer[CORDON_MESSAGE_VALUE_MAX];
	if (code == CORDON_OK && kind != CORDON_FS_DIRECTORY && kind != CORDON_FS_MISSING)
		code = cordon_fail(
			err, CORDON_E_INVALID,
			"state directory %s is not a directory: move it away so cordon can create its "
			"state there",
			shown(r->state_dir, buffer));
	return code;
}
#endif

static const char *root_kind_name(cordon_root_kind kind)
{
	switch (kind) {
	case CORDON_ROOT_WORKSPACE: return "workspace";
	case CORDON_ROOT_TMP: return "tmp";
	case CORDON_ROOT_EXTRA: return "extra";
	}
	return "unknown";
}

static void write_list(cordon_json_writer *w, const char *key, const cordon_strlist *list)
{
	cordon_json_key(w, key);
	cordon_json_begin_array(w);
	for (size_t i = 0; i < list->count; i++)
		cordon_json_string(w, list->items[i]);
	cordon_json_end_array(w);
}

/* The one renderer: --print-policy output and the digest input. */
static char *render(const cordon_resolved *r, bool pretty)
{
	cordon_json_writer w;
	cordon_json_writer_init(&w, pretty);
	cordon_json_begin_object(&w);
	cordon_json_key(&w, "mode");
	cordon_json_string(&w, cordon_mode_name(r->mode));
	cordon_json_key(&w, "cwd");
	cordon_json_string(&w, r->cwd);
	cordon_json_key(&w, "writable_roots");
	cordon_json_begin_array(&w);
	for (size_t i = 0; i < r->root_count; i++) {
		cordon_json_begin_object(&w);
		cordon_json_key(&w, "path");
		cordon_json_string(&w, r->roots[i].path);
		cordon_json_key(&w, "kind");
		cordon_json_string(&w, root_kind_name(r->roots[i].kind));
		cordon_json_end_object(&w);
	}
	cordon_json_end_array(&w);
	write_list(&w, "protected_names", &r->protected_names);
	write_list(&w, "deny_read", &r->deny_read);
	cordon_json_key(&w, "credential_stores");
	cordon_json_begin_object(&w);
	write_list(&w, "homes", &r->credential_homes);
	write_list(&w, "allowed", &r->credential_lifts);
	write_list(&w, "hidden", &r->credentials);
	cordon_json_end_object(&w);
	cordon_json_key(&w, "network");
	cordon_json_string(&w, cordon_network_name(r->network));
	write_list(&w, "allowed_domains", &r->allowed_domains);
	cordon_json_key(&w, "state_dir");
	cordon_json_string(&w, r->state_dir);
	cordon_json_key(&w, "best_effort");
	cordon_json_bool(&w, r->best_effort);
	cordon_json_end_object(&w);
	return cordon_json_writer_finish(&w);
}

static cordon_code fill_digest(cordon_resolved *r, cordon_error *err)
{
	char *compact = render(r, false);
	if (compact == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while computing the policy digest");
	cordon_sha256_hex(compact, strlen(compact), r->digest);
	free(compact);
	return CORDON_OK;
}

static cordon_code resolve_into(cordon_resolved *r, const cordon_policy *policy, const cordon_fsview *fs,
				cordon_error *err)
{
	if (policy->allowed_domains.count > 0 && policy->network != CORDON_NETWORK_PROXY)
		return cordon_fail(err, CORDON_E_INVALID, "--allow-domain needs --network proxy");
	r->mode = policy->mode;
	r->network = policy->network;
	/* only workspace-write ever makes a temp directory writable */
	r->tmp_writable = policy->mode == CORDON_MODE_WORKSPACE_WRITE && policy->tmp_writable;
	r->best_effort = policy->best_effort;
	cordon_code code =
		canonical_directory(fs, policy->cwd ? policy->cwd : ".", &cwd_purpose, &r->cwd, err);
	if (code == CORDON_OK)
		code = resolve_roots(r, policy, fs, err);
	if (code == CORDON_OK)
		code = resolve_deny_read(r, policy, fs, err);
	if (code == CORDON_OK)
		code = resolve_credentials(r, policy, fs, err);
	if (code == CORDON_OK && (!cordon_strlist_copy(&r->protected_names, &policy->protected_names) ||
				  !cordon_strlist_copy(&r->allowed_domains, &policy->allowed_domains)))
		code = cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	if (code == CORDON_OK)
		code = resolve_state_dir(r, fs, err);
	if (code == CORDON_OK)
		code = fill_digest(r, err);
	return code;
}

cordon_code cordon_policy_resolve_with(const cordon_policy *policy, const cordon_fsview *fs,
				       cordon_resolved **out, cordon_error *err)
{
	*out = NULL;
	if (policy == NULL || fs == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "no policy to resolve");
	cordon_resolved *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while resolving the policy");
	cordon_code code = resolve_into(r, policy, fs, err);
	if (code != CORDON_OK) {
		cordon_resolved_free(r);
		return code;
	}
	cordon_error_clear(err);
	*out = r;
	return CORDON_OK;
}

cordon_code cordon_policy_resolve(const cordon_policy *policy, cordon_resolved **out, cordon_error *err)
{
	return cordon_policy_resolve_with(policy, cordon_fsview_system(), out, err);
}

void cordon_resolved_free(cordon_resolved *r)
{
	if (r == NULL)
		return;
	free(r->cwd);
	for (size_t i = 0; i < r->root_count; i++)
		free(r->roots[i].path);
	free(r->roots);
	cordon_strlist_clear(&r->protected_names);
	cordon_strlist_clear(&r->deny_read);
	cordon_strlist_clear(&r->credential_homes);
	cordon_strlist_clear(&r->credential_lifts);
	cordon_strlist_clear(&r->credentials);
	cordon_strlist_clear(&r->allowed_domains);
	free(r->state_dir);
	free(r);
}

char *cordon_resolved_to_json(const cordon_resolved *resolved)
{
	return render(resolved, true);
}

const char *cordon_resolved_digest(const cordon_resolved *resolved)
{
	return resolved->digest;
}

cordon_mode cordon_resolved_mode(const cordon_resolved *resolved)
{
	return resolved->mode;
}

cordon_network cordon_resolved_network(const cordon_resolved *resolved)
{
	return resolved->network;
}

bool cordon_resolved_best_effort(const cordon_resolved *resolved)
{
	return resolved->best_effort;
}

const char *cordon_resolved_cwd(const cordon_resolved *resolved)
{
	return resolved->cwd;
}

const char *cordon_resolved_state_dir(const cordon_resolved *resolved)
{
	return resolved->state_dir;
}

size_t cordon_resolved_root_count(const cordon_resolved *resolved)
{
	return resolved->root_count;
}

const char *cordon_resolved_root(const cordon_resolved *resolved, size_t index, cordon_root_kind *kind)
{
	if (index >= resolved->root_count)
		return NULL;
	if (kind != NULL)
		*kind = resolved->roots[index].kind;
	return resolved->roots[index].path;
}

size_t cordon_resolved_protected_count(const cordon_resolved *resolved)
{
	return resolved->protected_names.count;
}

const char *cordon_resolved_protected(const cordon_resolved *resolved, size_t index)
{
	return index < resolved->protected_names.count ? resolved->protected_names.items[index] : NULL;
}

size_t cordon_resolved_deny_read_count(const cordon_resolved *resolved)
{
	return resolved->deny_read.count;
}

const char *cordon_resolved_deny_read(const cordon_resolved *resolved, size_t index)
{
	return index < resolved->deny_read.count ? resolved->deny_read.items[index] : NULL;
}

size_t cordon_resolved_credential_count(const cordon_resolved *resolved)
{
	return resolved->credentials.count;
}

const char *cordon_resolved_credential(const cordon_resolved *resolved, size_t index)
{
	return index < resolved->credentials.count ? resolved->credentials.items[index] : NULL;
}

size_t cordon_resolved_domain_count(const cordon_resolved *resolved)
{
	return resolved->allowed_domains.count;
}

const char *cordon_resolved_domain(const cordon_resolved *resolved, size_t index)
{
	return index < resolved->allowed_domains.count ? resolved->allowed_domains.items[index] : NULL;
}
