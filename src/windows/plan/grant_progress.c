#include "windows/plan/grant_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "core/winpath.h"

#define PROGRESS_VERSION 1

void cordon_grant_progress_init(cordon_grant_progress *progress)
{
	memset(progress, 0, sizeof(*progress));
}

void cordon_grant_progress_free(cordon_grant_progress *progress)
{
	if (!progress)
		return;
	for (size_t i = 0; i < progress->done_count; i++)
		free((char *)progress->done[i].path);
	for (size_t i = 0; i < progress->failed_count; i++)
		free((char *)progress->failed[i].grant.path);
	free(progress->done);
	free(progress->failed);
	cordon_grant_progress_init(progress);
}

static bool same_grant(const cordon_read_grant_state *a, const char *path, cordon_read_grant_kind kind)
{
	return a->kind == kind && winpath_compare(a->path, path) == 0;
}

static ptrdiff_t find_done(const cordon_grant_progress *progress, const char *path,
			   cordon_read_grant_kind kind)
{
	for (size_t i = 0; progress && i < progress->done_count; i++)
		if (same_grant(&progress->done[i], path, kind))
			return (ptrdiff_t)i;
	return -1;
}

static ptrdiff_t find_failed(const cordon_grant_progress *progress, const char *path,
			     cordon_read_grant_kind kind)
{
	for (size_t i = 0; progress && i < progress->failed_count; i++)
		if (same_grant(&progress->failed[i].grant, path, kind))
			return (ptrdiff_t)i;
	return -1;
}

static char *copy_text(const char *text)
{
	size_t length = strlen(text);
	char *copy = malloc(length + 1);

	if (copy)
		memcpy(copy, text, length + 1);
	return copy;
}

/* ---------------------------------------------------------------- file */

static void write_grant_members(cordon_json_writer *w, const cordon_read_grant_state *grant)
{
	cordon_json_key(w, "path");
	cordon_json_string(w, grant->path);
	cordon_json_key(w, "kind");
	cordon_json_string(w, cordon_read_grant_kind_name(grant->kind));
	cordon_json_key(w, "directory");
	cordon_json_bool(w, grant->is_directory);
}

char *cordon_grant_progress_render(const cordon_grant_progress *progress)
{
	cordon_json_writer w;

	cordon_json_writer_init(&w, true);
	cordon_json_begin_object(&w);
	cordon_json_key(&w, "version");
	cordon_json_int(&w, PROGRESS_VERSION);
	cordon_json_key(&w, "finished_fingerprint");
	cordon_json_string(&w, progress->finished_fingerprint);
	cordon_json_key(&w, "descriptors_written");
	cordon_json_int(&w, (long long)progress->descriptors_written);
	cordon_json_key(&w, "done");
	cordon_json_begin_array(&w);
	for (size_t i = 0; i < progress->done_count; i++) {
		cordon_json_begin_object(&w);
		write_grant_members(&w, &progress->done[i]);
		cordon_json_end_object(&w);
	}
	cordon_json_end_array(&w);
	cordon_json_key(&w, "failed");
	cordon_json_begin_array(&w);
	for (size_t i = 0; i < progress->failed_count; i++) {
		cordon_json_begin_object(&w);
		write_grant_members(&w, &progress->failed[i].grant);
		cordon_json_key(&w, "error");
		cordon_json_string(&w, progress->failed[i].error);
		cordon_json_end_object(&w);
	}
	cordon_json_end_array(&w);
	cordon_json_end_object(&w);
	return cordon_json_writer_finish(&w);
}

static const cordon_json *member(const cordon_json *object, const char *key, cordon_json_type type)
{
	const cordon_json *value = object->type == CORDON_JSON_OBJECT ? cordon_json_get(object, key) : NULL;

	return value && value->type == type ? value : NULL;
}

/* One {"path", "kind", "directory"} object into *out (path allocated). */
static bool parse_grant(const cordon_json *item, cordon_read_grant_state *out, bool *nomem)
{
	const cordon_json *path = member(item, "path", CORDON_JSON_STRING);
	const cordon_json *kind = member(item, "kind", CORDON_JSON_STRING);
	const cordon_json *directory = member(item, "directory", CORDON_JSON_BOOL);

	if (!path || !kind || !directory || path->string_length == 0 ||
	    (strcmp(kind->string, "tree") != 0 && strcmp(kind->string, "list") != 0))
		return false;
	out->path = copy_text(path->string);
	if (!out->path) {
		*nomem = true;
		return false;
	}
	out->kind = strcmp(kind->string, "list") == 0 ? CORDON_READ_GRANT_LIST : CORDON_READ_GRANT_TREE;
	out->is_directory = directory->boolean;
	return true;
}

static cordon_code bad_progress(cordon_grant_progress *progress, cordon_error *err, const char *what)
{
	cordon_grant_progress_free(progress);
	return cordon_fail(
		err, CORDON_E_INVALID,
		"cannot read the read-grant progress: %s; the helper starts again from the beginning", what);
}

static cordon_code parse_lists(const cordon_json *done, const cordon_json *failed,
			       cordon_grant_progress *progress, cordon_error *err)
{
	bool nomem = false;

	progress->done = calloc(done->count + 1, sizeof(*progress->done));
	progress->failed = calloc(failed->count + 1, sizeof(*progress->failed));
	if (!progress->done || !progress->failed) {
		cordon_grant_progress_free(progress);
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read the read-grant progress: out of memory");
	}
	for (size_t i = 0; i < done->count; i++) {
		if (!parse_grant(done->items[i], &progress->done[progress->done_count], &nomem))
			return nomem ? bad_progress(progress, err, "out of memory")
				     : bad_progress(progress, err, "a done grant is malformed");
		progress->done_count++;
	}
	for (size_t i = 0; i < failed->count; i++) {
		cordon_grant_failure *out = &progress->failed[progress->failed_count];
		const cordon_json *error = member(failed->items[i], "error", CORDON_JSON_STRING);

		if (!error || !parse_grant(failed->items[i], &out->grant, &nomem))
			return nomem ? bad_progress(progress, err, "out of memory")
				     : bad_progress(progress, err, "a failed grant is malformed");
		snprintf(out->error, sizeof(out->error), "%s", error->string);
		progress->failed_count++;
	}
	return CORDON_OK;
}

cordon_code cordon_grant_progress_parse(const char *text, size_t length, cordon_grant_progress *progress,
					cordon_error *err)
{
	cordon_json *root = NULL;
	cordon_json_error parse_error;
	const cordon_json *version, *finished, *written, *done, *failed;
	cordon_code code;

	cordon_grant_progress_init(progress);
	if (!text || !cordon_json_parse(text, length, &root, &parse_error)) {
		char what[200];

		snprintf(what, sizeof(what), "not JSON (line %lu column %lu)",
			 text ? (unsigned long)parse_error.line : 0UL,
			 text ? (unsigned long)parse_error.column : 0UL);
		return bad_progress(progress, err, what);
	}
	version = member(root, "version", CORDON_JSON_NUMBER);
	finished = member(root, "finished_fingerprint", CORDON_JSON_STRING);
	written = member(root, "descriptors_written", CORDON_JSON_NUMBER);
	done = member(root, "done", CORDON_JSON_ARRAY);
	failed = member(root, "failed", CORDON_JSON_ARRAY);
	if (!version || !finished || !written || !done || !failed || version->number != PROGRESS_VERSION ||
	    (finished->string_length != 0 && finished->string_length != 64) || written->number < 0 ||
	    written->number > 1e15) {
		cordon_json_free(root);
		return bad_progress(progress, err, "a member is missing, of the wrong type or version");
	}
	memcpy(progress->finished_fingerprint, finished->string, finished->string_length + 1);
	progress->descriptors_written = (size_t)written->number;
	code = parse_lists(done, failed, progress, err);
	cordon_json_free(root);
	return code;
}

/* ---------------------------------------------------------------- work */

void cordon_grant_work_free(cordon_grant_work *work)
{
	if (!work)
		return;
	for (size_t i = 0; i < work->step_count; i++)
		free(work->steps[i].grant.path);
	free(work->steps);
	memset(work, 0, sizeof(*work));
}

/* Whether a tree grant on path is what makes a root readable: the root
 * itself, or a profile child holding it. */
static bool covers_root(const char *path, const char *const *roots, size_t root_count)
{
	for (size_t i = 0; i < root_count; i++)
		if (winpath_is_within(roots[i], path))
			return true;
	return false;
}

static bool push_work(cordon_grant_work *work, bool remove, const cordon_read_grant_state *grant, bool root)
{
	cordon_read_grant_step *step = &work->steps[work->step_count];

	step->remove = remove;
	step->grant.path = copy_text(grant->path);
	step->grant.kind = grant->kind;
	step->grant.is_directory = grant->is_directory;
	step->grant.source = root ? CORDON_READ_GRANT_ROOT : CORDON_READ_GRANT_PROFILE;
	if (!step->grant.path)
		return false;
	work->step_count++;
	return true;
}

/* The additions of one ordering class (0 tree grants covering a root,
 * 1 list grants, 2 other tree grants). */
static bool push_additions(cordon_grant_work *work, int class_wanted, const cordon_read_grant_state *wanted,
			   size_t wanted_count, const char *const *roots, size_t root_count,
			   const cordon_grant_progress *progress)
{
	for (size_t i = 0; i < wanted_count; i++) {
		const cordon_read_grant_state *grant = &wanted[i];
		bool root =
			grant->kind == CORDON_READ_GRANT_TREE && covers_root(grant->path, roots, root_count);
		int class_of = root ? 0 : grant->kind == CORDON_READ_GRANT_LIST ? 1 : 2;
		bool duplicate = false;

		if (class_of != class_wanted || find_done(progress, grant->path, grant->kind) >= 0)
			continue;
		for (size_t j = 0; j < i && !duplicate; j++)
			duplicate = same_grant(&wanted[j], grant->path, grant->kind);
		if (!duplicate && !push_work(work, false, grant, root))
			return false;
	}
	return true;
}

static bool is_wanted(const cordon_read_grant_state *wanted, size_t wanted_count, const char *path,
		      cordon_read_grant_kind kind)
{
	for (size_t i = 0; i < wanted_count; i++)
		if (same_grant(&wanted[i], path, kind))
			return true;
	return false;
}

cordon_code cordon_grant_work_build(const cordon_read_grant_state *wanted, size_t wanted_count,
				    const char *const *roots, size_t root_count,
				    const cordon_grant_progress *progress, cordon_grant_work *work,
				    cordon_error *err)
{
	size_t done_count = progress ? progress->done_count : 0;
	bool ok = true;

	memset(work, 0, sizeof(*work));
	work->steps = calloc(wanted_count + done_count + 1, sizeof(*work->steps));
	if (!work->steps)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot plan the read grants left: out of memory");
	for (size_t i = 0; i < done_count && ok; i++) {
		const cordon_read_grant_state *grant = &progress->done[i];

		if (!is_wanted(wanted, wanted_count, grant->path, grant->kind))
			ok = push_work(work, true, grant, covers_root(grant->path, roots, root_count));
	}
	for (int class_of = 0; class_of < 3 && ok; class_of++)
		ok = push_additions(work, class_of, wanted, wanted_count, roots, root_count, progress);
	if (!ok) {
		cordon_grant_work_free(work);
		return cordon_fail(err, CORDON_E_NOMEM, "cannot plan the read grants left: out of memory");
	}
	work->wanted_count = wanted_count;
	for (size_t i = 0; i < wanted_count; i++)
		if (find_done(progress, wanted[i].path, wanted[i].kind) >= 0)
			work->wanted_done++;
	return CORDON_OK;
}

/* ---------------------------------------------------------------- mark */

static void drop_failed(cordon_grant_progress *progress, ptrdiff_t index)
{
	if (index < 0)
		return;
	free((char *)progress->failed[index].grant.path);
	memmove(&progress->failed[index], &progress->failed[index + 1],
		(progress->failed_count - (size_t)index - 1) * sizeof(*progress->failed));
	progress->failed_count--;
}

static bool mark_done(cordon_grant_progress *progress, const cordon_read_grant *grant)
{
	cordon_read_grant_state *grown;
	char *path;

	if (find_done(progress, grant->path, grant->kind) >= 0)
		return true;
	path = copy_text(grant->path);
	grown = path ? realloc(progress->done, (progress->done_count + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(path);
		return false;
	}
	progress->done = grown;
	grown[progress->done_count].path = path;
	grown[progress->done_count].kind = grant->kind;
	grown[progress->done_count].is_directory = grant->is_directory;
	progress->done_count++;
	return true;
}

static void mark_removed(cordon_grant_progress *progress, const cordon_read_grant *grant)
{
	ptrdiff_t index = find_done(progress, grant->path, grant->kind);

	if (index < 0)
		return;
	free((char *)progress->done[index].path);
	memmove(&progress->done[index], &progress->done[index + 1],
		(progress->done_count - (size_t)index - 1) * sizeof(*progress->done));
	progress->done_count--;
}

static bool mark_failed(cordon_grant_progress *progress, const cordon_read_grant *grant, const char *error)
{
	ptrdiff_t index = find_failed(progress, grant->path, grant->kind);
	cordon_grant_failure *grown;
	char *path;

	if (index >= 0) {
		snprintf(progress->failed[index].error, CORDON_GRANT_ERROR_MAX, "%s", error ? error : "");
		return true;
	}
	path = copy_text(grant->path);
	grown = path ? realloc(progress->failed, (progress->failed_count + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(path);
		return false;
	}
	progress->failed = grown;
	memset(&grown[progress->failed_count], 0, sizeof(*grown));
	grown[progress->failed_count].grant.path = path;
	grown[progress->failed_count].grant.kind = grant->kind;
	grown[progress->failed_count].grant.is_directory = grant->is_directory;
	snprintf(grown[progress->failed_count].error, CORDON_GRANT_ERROR_MAX, "%s", error ? error : "");
	progress->failed_count++;
	return true;
}

bool cordon_grant_progress_mark(cordon_grant_progress *progress, const cordon_read_grant_step *step,
				bool succeeded, const char *error)
{
	if (!succeeded)
		return mark_failed(progress, &step->grant, error);
	if (step->remove) {
		mark_removed(progress, &step->grant);
	} else if (!mark_done(progress, &step->grant)) {
		return false;
	}
	drop_failed(progress, find_failed(progress, step->grant.path, step->grant.kind));
	return true;
}

/* ------------------------------------------------------------ coverage */

const char *cordon_grant_readiness_name(cordon_grant_readiness readiness)
{
	switch (readiness) {
	case CORDON_GRANT_READY: return "ready";
	case CORDON_GRANT_ANCESTORS_PENDING: return "ancestors-pending";
	case CORDON_GRANT_PENDING: return "pending";
	case CORDON_GRANT_FAILED: return "failed";
	case CORDON_GRANT_NOT_PLANNED: return "not-planned";
	}
	return "unknown";
}

cordon_grant_coverage cordon_grant_coverage_of(const cordon_read_grant_state *wanted, size_t wanted_count,
					       const cordon_grant_progress *progress, const char *path)
{
	cordon_grant_coverage coverage = {.readiness = CORDON_GRANT_NOT_PLANNED, .total = wanted_count};
	const cordon_read_grant_state *covering = NULL;
	bool ancestors_done = true;

	for (size_t i = 0; i < wanted_count; i++) {
		const cordon_read_grant_state *grant = &wanted[i];
		bool done = find_done(progress, grant->path, grant->kind) >= 0;

		if (done)
			coverage.done++;
		if (!path || !winpath_is_within(path, grant->path))
			continue;
		/* The deepest tree grant is the one whose ACE the path
		 * inherits first; list grants above it are what tools
		 * walking up from the path need. */
		if (grant->kind == CORDON_READ_GRANT_TREE) {
			if (!covering || strlen(grant->path) > strlen(covering->path))
				covering = grant;
		} else if (winpath_compare(path, grant->path) != 0 && !done) {
			ancestors_done = false;
		}
	}
	if (!covering)
		return coverage;
	coverage.grant_path = covering->path;
	if (find_done(progress, covering->path, covering->kind) >= 0) {
		coverage.readiness = ancestors_done ? CORDON_GRANT_READY : CORDON_GRANT_ANCESTORS_PENDING;
	} else {
		ptrdiff_t failed = find_failed(progress, covering->path, covering->kind);

		coverage.readiness = failed >= 0 ? CORDON_GRANT_FAILED : CORDON_GRANT_PENDING;
		if (failed >= 0)
			coverage.failure = progress->failed[failed].error;
	}
	return coverage;
}
