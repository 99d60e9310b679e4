#include "windows/plan/acl_apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/winpath.h"

/* A worktree's .git file is one short line; more is not a .git file. */
#define GIT_FILE_HEAD_BYTES 4096

void cordon_fs_dacl_free(cordon_fs_dacl *dacl)
{
	if (!dacl)
		return;
	free(dacl->aces);
	memset(dacl, 0, sizeof(*dacl));
}

static char *copy_string(const char *s)
{
	size_t length = strlen(s) + 1;
	char *copy = malloc(length);

	if (copy)
		memcpy(copy, s, length);
	return copy;
}

static cordon_code out_of_memory(cordon_error *err)
{
	return cordon_fail(err, CORDON_E_NOMEM,
			   "cannot apply Windows ACLs: out of memory; close other programs and retry");
}

/* --------------------------------------------------------------- secret */

static cordon_code check_secret(const char *data, size_t length, bool owner_only,
				uint8_t secret[CORDON_CAPSID_SECRET_BYTES], cordon_error *err)
{
	if (length != CORDON_CAPSID_SECRET_BYTES)
		return cordon_fail(
			err, CORDON_E_STATE,
			"cannot use cordon's per-install secret %s: it holds %lu bytes, not %d; "
			"delete it from cordon's state directory (every workspace is then set up again)",
			CORDON_CAPSID_SECRET_FILE, (unsigned long)length, CORDON_CAPSID_SECRET_BYTES);
	if (!owner_only)
		return cordon_fail(
			err, CORDON_E_STATE,
			"cannot use cordon's per-install secret %s: others than you may read it; "
			"delete it from cordon's state directory (every workspace is then set up again)",
			CORDON_CAPSID_SECRET_FILE);
	memcpy(secret, data, CORDON_CAPSID_SECRET_BYTES);
	return CORDON_OK;
}

static cordon_code read_secret(const cordon_state_port *state, uint8_t secret[CORDON_CAPSID_SECRET_BYTES],
			       cordon_error *err)
{
	char *data = NULL;
	size_t length = 0;
	bool owner_only = false;
	cordon_code code =
		state->read_file(state->context, CORDON_CAPSID_SECRET_FILE, &data, &length, &owner_only, err);

	if (code == CORDON_OK)
		code = check_secret(data, length, owner_only, secret, err);
	if (data) {
		memset(data, 0, length);
		free(data);
	}
	return code;
}

cordon_code cordon_capsid_secret_load(const cordon_state_port *state,
				      uint8_t secret[CORDON_CAPSID_SECRET_BYTES], bool *created,
				      cordon_error *err)
{
	uint8_t fresh[CORDON_CAPSID_SECRET_BYTES];
	cordon_error ignored;
	cordon_code code;

	*created = false;
	code = read_secret(state, secret, &ignored);
	if (code != CORDON_E_NOT_FOUND)
		return code == CORDON_OK ? CORDON_OK : read_secret(state, secret, err);
	code = state->random_bytes(state->context, fresh, sizeof(fresh), err);
	if (code != CORDON_OK)
		return code;
	code = state->create_exclusive(state->context, CORDON_CAPSID_SECRET_FILE, fresh, sizeof(fresh), err);
	if (code == CORDON_OK) {
		memcpy(secret, fresh, sizeof(fresh));
		*created = true;
	} else if (code == CORDON_E_STATE) {
		/* Another cordon made it first: use theirs. */
		code = read_secret(state, secret, err);
	}
	memset(fresh, 0, sizeof(fresh));
	return code;
}

/* --------------------------------------------------------------- record */

#define RECORD_MAGIC "cordon-acl-record 1\n"

void cordon_acl_record_name(const cordon_sid *workspace_sid, char *name, size_t size)
{
	char sid_text[CORDON_SID_STRING_MAX];

	if (!cordon_sid_format(workspace_sid, sid_text, sizeof(sid_text)))
		snprintf(sid_text, sizeof(sid_text), "unknown");
	snprintf(name, size, "acl-%s.record", sid_text);
}

static const char *kind_name(cordon_root_kind kind)
{
	switch (kind) {
	case CORDON_ROOT_WORKSPACE: return "workspace";
	case CORDON_ROOT_TMP: return "tmp";
	case CORDON_ROOT_EXTRA: return "extra";
	}
	return NULL;
}

static bool kind_from_name(const char *name, size_t length, cordon_root_kind *kind)
{
	static const cordon_root_kind kinds[] = {CORDON_ROOT_WORKSPACE, CORDON_ROOT_TMP, CORDON_ROOT_EXTRA};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *known = kind_name(kinds[i]);

		if (strlen(known) == length && memcmp(known, name, length) == 0) {
			*kind = kinds[i];
			return true;
		}
	}
	return false;
}

char *cordon_acl_record_format(const cordon_acl_record *record)
{
	size_t size = sizeof(RECORD_MAGIC) + 80;
	char *text, *cursor;

	for (size_t i = 0; i < record->root_count; i++) {
		const cordon_acl_root_record *root = &record->roots[i];

		if (!kind_name(root->kind) || strchr(root->path, '\n'))
			return NULL;
		size += strlen(root->path) + 96;
	}
	text = malloc(size);
	if (!text)
		return NULL;
	cursor = text;
	cursor += sprintf(cursor, "%sfingerprint %s\n", RECORD_MAGIC, record->fingerprint);
	for (size_t i = 0; i < record->root_count; i++) {
		const cordon_acl_root_record *root = &record->roots[i];

		cursor += sprintf(cursor, "root %s %s %s\n", kind_name(root->kind), root->fingerprint,
				  root->path);
	}
	return text;
}

static bool is_fingerprint(const char *text, size_t length)
{
	if (length != 64)
		return false;
	for (size_t i = 0; i < length; i++)
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	return true;
}

/* "root <kind> <fingerprint> <path>" */
static bool parse_root_line(const char *line, size_t length, cordon_acl_root_record *out)
{
	const char *end = line + length, *kind, *space;

	if (length < 5 || memcmp(line, "root ", 5) != 0)
		return false;
	kind = line + 5;
	space = memchr(kind, ' ', (size_t)(end - kind));
	if (!space || !kind_from_name(kind, (size_t)(space - kind), &out->kind))
		return false;
	if ((size_t)(end - space) < 67 || !is_fingerprint(space + 1, 64) || space[65] != ' ')
		return false;
	memcpy(out->fingerprint, space + 1, 64);
	out->fingerprint[64] = '\0';
	if (space + 66 == end || memchr(space + 66, '\0', (size_t)(end - space - 66)))
		return false;
	out->path = malloc((size_t)(end - space - 66) + 1);
	if (!out->path)
		return false;
	memcpy(out->path, space + 66, (size_t)(end - space - 66));
	out->path[end - space - 66] = '\0';
	return true;
}

bool cordon_acl_record_parse(const char *text, size_t length, cordon_acl_record *out)
{
	const char *cursor = text, *end = text + length;
	size_t magic = strlen(RECORD_MAGIC);

	memset(out, 0, sizeof(*out));
	if (!text || length < magic || memcmp(text, RECORD_MAGIC, magic) != 0)
		return false;
	cursor += magic;
	if ((size_t)(end - cursor) < 77 || memcmp(cursor, "fingerprint ", 12) != 0 ||
	    !is_fingerprint(cursor + 12, 64) || cursor[76] != '\n')
		return false;
	memcpy(out->fingerprint, cursor + 12, 64);
	out->fingerprint[64] = '\0';
	cursor += 77;
	while (cursor < end) {
		const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
		cordon_acl_root_record *grown;

		if (!newline)
			goto bad;
		grown = realloc(out->roots, (out->root_count + 1) * sizeof(*grown));
		if (!grown)
			goto bad;
		out->roots = grown;
		memset(&grown[out->root_count], 0, sizeof(*grown));
		if (!parse_root_line(cursor, (size_t)(newline - cursor), &grown[out->root_count]))
			goto bad;
		out->root_count++;
		cursor = newline + 1;
	}
	return true;
bad:
	cordon_acl_record_free(out);
	return false;
}

void cordon_acl_record_free(cordon_acl_record *record)
{
	if (!record)
		return;
	for (size_t i = 0; i < record->root_count; i++)
		free(record->roots[i].path);
	free(record->roots);
	memset(record, 0, sizeof(*record));
}

/* ----------------------------------------------------------------- gitdir */

char *cordon_gitdir_from_file(const char *text, size_t length, const char *git_file_path)
{
	const char *prefix = "gitdir:";
	size_t prefix_length = strlen(prefix), value_length;
	const char *value, *last_separator = strrchr(git_file_path, '\\');
	char *line, *directory, *canonical, *stream = NULL;

	if (length < prefix_length || memcmp(text, prefix, prefix_length) != 0 || !last_separator)
		return NULL;
	value = text + prefix_length;
	while (value < text + length && (*value == ' ' || *value == '\t'))
		value++;
	value_length = 0;
	while (value + value_length < text + length && value[value_length] != '\n' &&
	       value[value_length] != '\r' && value[value_length] != '\0')
		value_length++;
	if (value_length == 0)
		return NULL;
	line = malloc(value_length + 1);
	directory = malloc((size_t)(last_separator - git_file_path) + 2);
	if (!line || !directory) {
		free(line);
		free(directory);
		return NULL;
	}
	memcpy(line, value, value_length);
	line[value_length] = '\0';
	memcpy(directory, git_file_path, (size_t)(last_separator - git_file_path));
	directory[last_separator - git_file_path] = '\0';
	if (last_separator - git_file_path == 2) /* "C:\.git": the directory is "C:\" */
		strcat(directory, "\\");
	canonical = winpath_canonical(line, directory, &stream);
	if (stream) {
		free(canonical);
		canonical = NULL;
	}
	free(stream);
	free(line);
	free(directory);
	return canonical;
}

/* --------------------------------------------------------------- snapshot */

void cordon_acl_snapshot_free(cordon_acl_snapshot *snapshot)
{
	if (!snapshot)
		return;
	for (size_t i = 0; i < snapshot->count; i++) {
		cordon_win_entry *entry = &snapshot->entries[i].entry;

		free((char *)entry->path);
		free((char *)entry->reparse_target);
		free((char *)entry->gitdir);
		free((cordon_ace *)entry->aces);
	}
	free(snapshot->entries);
	free(snapshot->view_entries);
	memset(snapshot, 0, sizeof(*snapshot));
}

static cordon_acl_snapshot_entry *find_snapshot_entry(const cordon_acl_snapshot *snapshot, const char *path)
{
	for (size_t i = 0; i < snapshot->count; i++)
		if (winpath_compare(snapshot->entries[i].entry.path, path) == 0)
			return &snapshot->entries[i];
	return NULL;
}

typedef struct walker {
	const cordon_fs_port *fs;
	const cordon_acl_targets *targets;
	cordon_acl_snapshot *snapshot;
	cordon_error *err;
	double audit_start;
	bool audit_started;
} walker;

static double clock_now(void *context)
{
	(void)context;
	return (double)clock() / CLOCKS_PER_SEC;
}

static double walker_now(const walker *w)
{
	return w->targets->now ? w->targets->now(w->targets->now_context) : clock_now(NULL);
}

/* Whether the audit walk must stop here: its entry limit, or (checked
 * every 64 entries, and at each audited directory's start) its time. */
static bool audit_exhausted(walker *w, bool check_time)
{
	const cordon_acl_targets *t = w->targets;
	bool stop = t->audit_max_entries && w->snapshot->audit_entries >= t->audit_max_entries;

	if (!w->audit_started) {
		w->audit_started = true;
		w->audit_start = walker_now(w);
	}
	if (!stop && t->audit_max_seconds > 0 && (check_time || (w->snapshot->audit_entries & 63) == 0))
		stop = walker_now(w) - w->audit_start >= t->audit_max_seconds;
	if (stop)
		w->snapshot->audit_truncated = true;
	return stop;
}

/* Adds the object behind handle (path owned by the caller) with its
 * DACL. For a reparse point that is the link's own DACL: its target is
 * never opened. */
static cordon_code record_entry(walker *w, const char *path, cordon_fs_handle *handle,
				const cordon_fs_info *info, cordon_acl_snapshot_entry **added)
{
	cordon_acl_snapshot *snapshot = w->snapshot;
	cordon_acl_snapshot_entry *slot;
	cordon_fs_dacl dacl;
	cordon_code code;

	if (snapshot->count == snapshot->capacity) {
		size_t capacity = snapshot->capacity ? 2 * snapshot->capacity : 64;
		cordon_acl_snapshot_entry *grown = realloc(snapshot->entries, capacity * sizeof(*grown));

		if (!grown)
			return out_of_memory(w->err);
		snapshot->entries = grown;
		snapshot->capacity = capacity;
	}
	slot = &snapshot->entries[snapshot->count];
	memset(slot, 0, sizeof(*slot));
	slot->identity = info->identity;
	slot->entry.is_directory = info->is_directory;
	slot->entry.is_reparse_point = info->is_reparse_point;
	slot->entry.path = copy_string(path);
	if (!slot->entry.path)
		return out_of_memory(w->err);
	snapshot->count++;
	if (info->is_reparse_point) {
		snapshot->reparse_points++;
		if (w->fs->reparse_target)
			slot->entry.reparse_target = w->fs->reparse_target(w->fs->context, handle);
	}
	/* A link's own DACL (the handle is on the link, not its target):
	 * a protected name that is a junction is denied on the link. */
	memset(&dacl, 0, sizeof(dacl));
	code = w->fs->read_dacl(w->fs->context, handle, &dacl, w->err);
	if (code != CORDON_OK)
		return code;
	slot->entry.dacl_present = dacl.present;
	slot->entry.aces = dacl.aces;
	slot->entry.ace_count = dacl.ace_count;
	if (added)
		*added = slot;
	return CORDON_OK;
}

static char *join_path(const char *directory, const char *name)
{
	size_t length = strlen(directory);
	bool separator = length && directory[length - 1] == '\\';
	char *path = malloc(length + strlen(name) + 2);

	if (path)
		sprintf(path, "%s%s%s", directory, separator ? "" : "\\", name);
	return path;
}

static void free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* A protected name found below a root: its DACL, and for a worktree's
 * .git file the gitdir it names (read through the same handle). */
static cordon_code record_protected(walker *w, const char *path, cordon_fs_handle *handle,
				    const cordon_fs_info *info, const char *matched_name)
{
	cordon_acl_snapshot_entry *entry;
	char head[GIT_FILE_HEAD_BYTES];
	size_t length = 0;
	cordon_code code = record_entry(w, path, handle, info, &entry);
	cordon_error ignored;

	if (code != CORDON_OK || info->is_directory || info->is_reparse_point ||
	    winpath_compare(matched_name, ".git") != 0)
		return code;
	if (w->fs->read_head(w->fs->context, handle, head, sizeof(head), &length, &ignored) != CORDON_OK) {
		w->snapshot->gitdirs_unreadable++;
		return CORDON_OK;
	}
	entry->entry.gitdir = cordon_gitdir_from_file(head, length, path);
	if (!entry->entry.gitdir)
		w->snapshot->gitdirs_unreadable++;
	return CORDON_OK;
}

static bool inside_root(const cordon_acl_targets *targets, const char *path)
{
	for (size_t r = 0; r < targets->root_count; r++)
		if (winpath_is_within(path, targets->roots[r].path))
			return true;
	return false;
}

/* The protected name path's last component matches, or NULL. */
static const char *protected_name_here(const cordon_acl_targets *targets, const char *path, const char *root)
{
	size_t end = 0;
	int index =
		winpath_protected_match(path, root, targets->protected_names, targets->protected_count, &end);

	return index >= 0 && path[end] == '\0' ? targets->protected_names[index] : NULL;
}

typedef enum walk_kind {
	WALK_ROOT,  /* keep protected names only */
	WALK_AUDIT, /* keep everything, bounded, skip the roots */
} walk_kind;

static cordon_code walk_directory(walker *w, cordon_fs_handle *directory, const char *path, const char *root,
				  walk_kind kind);

/* One child of a directory whose handle the caller holds open. */
static cordon_code visit_child(walker *w, const char *path, const char *root, walk_kind kind, bool *stop)
{
	const cordon_fs_port *fs = w->fs;
	cordon_fs_handle *handle = NULL;
	cordon_fs_info info;
	cordon_error open_err;
	cordon_code code;
	const char *protected_name = kind == WALK_ROOT ? protected_name_here(w->targets, path, root) : NULL;

	if (kind == WALK_AUDIT && inside_root(w->targets, path))
		return CORDON_OK;
	if (kind == WALK_AUDIT && audit_exhausted(w, false)) {
		*stop = true;
		return CORDON_OK;
	}
	memset(&info, 0, sizeof(info));
	code = fs->open(fs->context, path, CORDON_FS_INSPECT, &handle, &info, &open_err);
	if (code == CORDON_E_NOT_FOUND)
		return CORDON_OK; /* gone since the listing */
	if (code != CORDON_OK) {
		if (kind == WALK_AUDIT)
			return CORDON_OK; /* not ours to inspect; the audit says what it examined */
		if (w->err)
			*w->err = open_err;
		return code;
	}
	w->snapshot->opened++;
	if (protected_name) {
		code = record_protected(w, path, handle, &info, protected_name);
	} else if (kind == WALK_AUDIT) {
		w->snapshot->audit_entries++;
		code = record_entry(w, path, handle, &info, NULL);
		if (code == CORDON_OK && info.is_directory && !info.is_reparse_point)
			code = walk_directory(w, handle, path, root, kind);
	} else if (info.is_reparse_point) {
		w->snapshot->reparse_points++; /* never followed */
	} else if (info.is_directory) {
		code = walk_directory(w, handle, path, root, kind);
	}
	fs->close(fs->context, handle);
	return code;
}

/* Lists through the open handle: the names are those of the object
 * opened, not of whatever the path names by now. */
static cordon_code walk_directory(walker *w, cordon_fs_handle *directory, const char *path, const char *root,
				  walk_kind kind)
{
	char **names = NULL;
	size_t count = 0;
	bool stop = false;
	cordon_code code = w->fs->list(w->fs->context, directory, &names, &count, w->err);

	if (code != CORDON_OK)
		return kind == WALK_AUDIT ? CORDON_OK : code;
	for (size_t i = 0; i < count && code == CORDON_OK && !stop; i++) {
		char *child = join_path(path, names[i]);

		if (!child) {
			code = out_of_memory(w->err);
			break;
		}
		code = visit_child(w, child, root, kind, &stop);
		free(child);
	}
	free_names(names, count);
	return code;
}

static bool nested_in_earlier(const char *const *paths, size_t index, const cordon_acl_targets *targets,
			      bool check_roots)
{
	for (size_t i = 0; i < index; i++)
		if (winpath_is_within(paths[index], paths[i]))
			return true;
	return check_roots && inside_root(targets, paths[index]);
}

/* Opens path itself and records it; walks it when asked. Missing is not
 * an error here: the plan decides what a missing root means. */
static cordon_code take_top(walker *w, const char *path, walk_kind kind, bool walk, const char *root)
{
	const cordon_fs_port *fs = w->fs;
	cordon_fs_handle *handle = NULL;
	cordon_fs_info info;
	cordon_code code;
	cordon_error open_err;

	if (find_snapshot_entry(w->snapshot, path))
		return CORDON_OK;
	if (kind == WALK_AUDIT && audit_exhausted(w, true))
		return CORDON_OK;
	memset(&info, 0, sizeof(info));
	code = fs->open(fs->context, path, CORDON_FS_INSPECT, &handle, &info, &open_err);
	if (code == CORDON_E_NOT_FOUND || (code != CORDON_OK && kind == WALK_AUDIT))
		return CORDON_OK;
	if (code != CORDON_OK) {
		if (w->err)
			*w->err = open_err;
		return code;
	}
	w->snapshot->opened++;
	if (kind == WALK_AUDIT)
		w->snapshot->audit_entries++;
	code = record_entry(w, path, handle, &info, NULL);
	if (code == CORDON_OK && walk && info.is_directory && !info.is_reparse_point)
		code = walk_directory(w, handle, path, root, kind);
	fs->close(fs->context, handle);
	return code;
}

static cordon_code build_view(cordon_acl_snapshot *snapshot, cordon_error *err)
{
	free(snapshot->view_entries);
	snapshot->view_entries = calloc(snapshot->count + 1, sizeof(*snapshot->view_entries));
	if (!snapshot->view_entries)
		return out_of_memory(err);
	for (size_t i = 0; i < snapshot->count; i++)
		snapshot->view_entries[i] = snapshot->entries[i].entry;
	snapshot->view.entries = snapshot->view_entries;
	snapshot->view.count = snapshot->count;
	return CORDON_OK;
}

cordon_code cordon_acl_snapshot_take(const cordon_fs_port *fs, const cordon_acl_targets *targets,
				     cordon_acl_snapshot *snapshot, cordon_error *err)
{
	walker w = {fs, targets, snapshot, err, 0.0, false};
	const char **root_paths;
	cordon_code code = CORDON_OK;

	memset(snapshot, 0, sizeof(*snapshot));
	root_paths = calloc(targets->root_count + 1, sizeof(*root_paths));
	if (!root_paths)
		return out_of_memory(err);
	for (size_t r = 0; r < targets->root_count; r++)
		root_paths[r] = targets->roots[r].path;
	/* A root inside another is walked with it: walking both would find
	 * its protected names twice. */
	for (size_t r = 0; r < targets->root_count && code == CORDON_OK; r++)
		code = take_top(&w, root_paths[r], WALK_ROOT,
				!nested_in_earlier(root_paths, r, targets, false), root_paths[r]);
	free(root_paths);
	for (size_t a = 0; a < targets->audit_dir_count && code == CORDON_OK; a++) {
		bool walk = !targets->audit_dirs_listed_only;
		/* A walked directory covers those inside it; a listed one
		 * covers only itself. */
		bool covered = walk ? nested_in_earlier(targets->audit_dirs, a, targets, true)
				    : inside_root(targets, targets->audit_dirs[a]);
		if (!covered)
			code = take_top(&w, targets->audit_dirs[a], WALK_AUDIT, walk, NULL);
	}
	if (code == CORDON_OK && targets->state_dir)
		code = take_top(&w, targets->state_dir, WALK_ROOT, false, NULL);
	/* The gitdirs named by worktree .git files: opened themselves, never
	 * through a reparse point in their last component. */
	for (size_t i = 0; i < snapshot->count && code == CORDON_OK; i++)
		if (snapshot->entries[i].entry.gitdir) {
			char *gitdir = copy_string(snapshot->entries[i].entry.gitdir);

			if (!gitdir)
				code = out_of_memory(err);
			else
				code = take_top(&w, gitdir, WALK_ROOT, false, NULL);
			free(gitdir);
		}
	if (code == CORDON_OK)
		code = build_view(snapshot, err);
	if (code != CORDON_OK)
		cordon_acl_snapshot_free(snapshot);
	return code;
}

/* ------------------------------------------------------------------ apply */

static bool same_identity(const cordon_fs_identity *a, const cordon_fs_identity *b)
{
	return a->volume == b->volume && a->file_id_high == b->file_id_high &&
	       a->file_id_low == b->file_id_low;
}

/* A NULL DACL grants everyone everything. Adding a deny to it must keep
 * that for everyone else, so it becomes an explicit allow of everything
 * to Everyone behind the new ACEs. */
static cordon_code materialise_null_dacl(cordon_fs_dacl *dacl, cordon_error *err)
{
	cordon_sid everyone = cordon_sid_everyone();

	if (dacl->present)
		return CORDON_OK;
	free(dacl->aces);
	dacl->aces = malloc(sizeof(*dacl->aces));
	if (!dacl->aces)
		return out_of_memory(err);
	dacl->aces[0] =
		cordon_ace_make(CORDON_ACE_ALLOW, CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT,
				CORDON_FILE_ALL_ACCESS, &everyone);
	dacl->ace_count = 1;
	dacl->present = true;
	return CORDON_OK;
}

static cordon_code check_same_object(const cordon_acl_snapshot_entry *seen, const cordon_fs_info *now,
				     cordon_error *err)
{
	if (now->is_reparse_point && !seen->entry.is_reparse_point)
		return cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"cannot change the ACL of %s: it became a junction or symbolic link after cordon "
			"looked at it, and cordon never writes through one; nothing more was changed; "
			"remove the link and run again",
			seen->entry.path);
	if (!same_identity(&seen->identity, &now->identity))
		return cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"cannot change the ACL of %s: the path now reaches another object than the one "
			"cordon looked at (a folder on the way was replaced, perhaps by a junction); "
			"nothing more was changed; check the folder and run again",
			seen->entry.path);
	return CORDON_OK;
}

/* The DACL is read through the handle just checked, merged, and written
 * through it: the object read is the object written. */
static cordon_code apply_one(const cordon_fs_port *fs, cordon_fs_handle *handle,
			     const cordon_acl_change *change, bool *wrote, cordon_error *err)
{
	cordon_fs_dacl current, next;
	cordon_ace *merged = NULL;
	size_t merged_count = 0;
	cordon_code code;

	*wrote = false;
	memset(&current, 0, sizeof(current));
	code = fs->read_dacl(fs->context, handle, &current, err);
	if (code != CORDON_OK)
		return code;
	if (current.has_unknown_aces) {
		cordon_fs_dacl_free(&current);
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"cannot change the ACL of %s: it holds ACE types cordon does not handle (object "
			"or callback ACEs), which rewriting would drop; remove them or leave this path "
			"out of the policy",
			change->path);
	}
	if (change->remove && !current.present) {
		cordon_fs_dacl_free(&current);
		return CORDON_OK; /* a NULL DACL holds nothing to remove */
	}
	code = materialise_null_dacl(&current, err);
	if (code == CORDON_OK &&
	    !cordon_dacl_apply_change(current.aces, current.ace_count, change, &merged, &merged_count))
		code = out_of_memory(err);
	if (code == CORDON_OK && current.present &&
	    cordon_ace_lists_equal(current.aces, current.ace_count, merged, merged_count)) {
		free(merged);
		cordon_fs_dacl_free(&current);
		return CORDON_OK; /* already there: no write */
	}
	if (code == CORDON_OK) {
		next = current;
		next.aces = merged;
		next.ace_count = merged_count;
		code = fs->write_dacl(fs->context, handle, &next, err);
		*wrote = code == CORDON_OK;
	}
	free(merged);
	cordon_fs_dacl_free(&current);
	return code;
}

cordon_code cordon_acl_apply_changes(const cordon_fs_port *fs, const cordon_acl_snapshot *snapshot,
				     const cordon_acl_plan *plan, size_t *written, cordon_error *err)
{
	*written = 0;
	for (size_t i = 0; i < plan->change_count; i++) {
		const cordon_acl_change *change = &plan->changes[i];
		const cordon_acl_snapshot_entry *seen = find_snapshot_entry(snapshot, change->path);
		cordon_fs_handle *handle = NULL;
		cordon_fs_info info;
		cordon_code code;
		bool wrote = false;

		/* Nothing seen there (a gitdir that did not exist): there is
		 * no object to protect, and none whose identity could be
		 * checked. */
		if (!seen)
			continue;
		memset(&info, 0, sizeof(info));
		code = fs->open(fs->context, change->path, CORDON_FS_CHANGE_DACL, &handle, &info, err);
		if (code != CORDON_OK)
			return code;
		code = check_same_object(seen, &info, err);
		if (code == CORDON_OK)
			code = apply_one(fs, handle, change, &wrote, err);
		fs->close(fs->context, handle);
		if (wrote)
			(*written)++;
		if (code != CORDON_OK)
			return code;
	}
	return CORDON_OK;
}

/* ------------------------------------------------------------- all of it */

void cordon_acl_apply_result_free(cordon_acl_apply_result *result)
{
	if (!result)
		return;
	for (size_t i = 0; i < result->missing_count; i++)
		free(result->missing_protected[i]);
	free(result->missing_protected);
	memset(result, 0, sizeof(*result));
}

static void read_record(const cordon_state_port *state, const char *name, cordon_acl_record *record,
			bool *found, char **text)
{
	size_t length = 0;
	cordon_error ignored;

	*found = false;
	*text = NULL;
	memset(record, 0, sizeof(*record));
	if (state->read_file(state->context, name, text, &length, NULL, &ignored) != CORDON_OK) {
		*text = NULL;
		return;
	}
	/* Unreadable or from another version: plan everything again. */
	*found = cordon_acl_record_parse(*text, length, record);
}

static cordon_code store_record(const cordon_state_port *state, const char *name, const cordon_acl_plan *plan,
				const char *old_text, bool *stored, cordon_error *err)
{
	cordon_acl_record record;
	char *text;
	cordon_code code = CORDON_OK;

	*stored = false;
	memcpy(record.fingerprint, plan->fingerprint, sizeof(record.fingerprint));
	record.roots = plan->roots;
	record.root_count = plan->root_count;
	text = cordon_acl_record_format(&record);
	if (!text)
		return out_of_memory(err);
	if (!old_text || strcmp(old_text, text) != 0) {
		code = state->replace_file(state->context, name, text, strlen(text), err);
		*stored = code == CORDON_OK;
	}
	free(text);
	return code;
}

static void take_missing(cordon_acl_plan *plan, cordon_acl_apply_result *result)
{
	result->missing_protected = plan->missing_protected;
	result->missing_count = plan->missing_count;
	plan->missing_protected = NULL;
	plan->missing_count = 0;
}

cordon_code cordon_acl_apply_once(const cordon_fs_port *fs, const cordon_state_port *state,
				  const cordon_acl_inputs *inputs, const char *const *audit_dirs,
				  size_t audit_dir_count, cordon_acl_apply_result *result, cordon_error *err)
{
	cordon_acl_targets targets;
	cordon_acl_snapshot snapshot;
	cordon_acl_inputs planned = *inputs;
	cordon_acl_record record;
	cordon_acl_plan plan;
	char name[256], *old_text = NULL;
	cordon_code code;

	memset(result, 0, sizeof(*result));
	if (inputs->mode == CORDON_MODE_FULL_ACCESS)
		return CORDON_OK;
	memset(&targets, 0, sizeof(targets));
	targets.roots = inputs->roots;
	targets.root_count = inputs->root_count;
	targets.protected_names = inputs->protected_names;
	targets.protected_count = inputs->protected_count;
	targets.state_dir = inputs->state_dir;
	targets.audit_dirs = audit_dirs;
	targets.audit_dir_count = audit_dir_count;
	targets.audit_max_entries = inputs->audit_max_entries;
	targets.audit_max_seconds = inputs->audit_max_seconds;
	targets.audit_dirs_listed_only = inputs->audit_dirs_listed_only;
	targets.now = inputs->now;
	targets.now_context = inputs->now_context;

	cordon_acl_record_name(&inputs->workspace_sid, name, sizeof(name));
	read_record(state, name, &record, &result->record_found, &old_text);
	code = cordon_acl_snapshot_take(fs, &targets, &snapshot, err);
	if (code != CORDON_OK)
		goto out_record;
	result->entries_snapshotted = snapshot.count;
	result->audit_truncated = snapshot.audit_truncated;
	planned.previous = record.roots;
	planned.previous_count = record.root_count;
	code = cordon_acl_plan_build(&planned, &snapshot.view, &plan, err);
	if (code != CORDON_OK)
		goto out_snapshot;
	result->changes_planned = plan.change_count;
	result->roots_replanned = plan.roots_replanned;
	result->roots_unchanged = plan.roots_unchanged;
	memcpy(result->fingerprint, plan.fingerprint, sizeof(result->fingerprint));
	take_missing(&plan, result);
	code = cordon_acl_apply_changes(fs, &snapshot, &plan, &result->descriptors_written, err);
	/* Only a complete apply is recorded: after a failure the next run
	 * compares everything again. */
	if (code == CORDON_OK)
		code = store_record(state, name, &plan, old_text, &result->record_written, err);
	cordon_acl_plan_free(&plan);
out_snapshot:
	cordon_acl_snapshot_free(&snapshot);
out_record:
	cordon_acl_record_free(&record);
	free(old_text);
	return code;
}
