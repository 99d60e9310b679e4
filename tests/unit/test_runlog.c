/* The run log: one JSON line per run in the state directory, created with
 * its parents; failures are errors naming the file, never crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cordon.h"
#include "core/json.h"
#include "core/resolve.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

typedef struct fixture {
	char dir[PATH_MAX]; /* a fresh canonical temp directory */
	char old_cwd[PATH_MAX];
	char *old_xdg;
} fixture;

static int set_up(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char template[] = "/tmp/cordon-runlog-XXXXXX";
	if (f == NULL || mkdtemp(template) == NULL || realpath(template, f->dir) == NULL)
		return -1;
	if (getcwd(f->old_cwd, sizeof(f->old_cwd)) == NULL || chdir(f->dir) != 0)
		return -1;
	const char *xdg = getenv("XDG_STATE_HOME");
	f->old_xdg = xdg ? strdup(xdg) : NULL;
	*state = f;
	return 0;
}

static void remove_tree(const char *path)
{
	char command[PATH_MAX + 32];
	snprintf(command, sizeof(command), "rm -rf '%s'", path);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

static int tear_down(void **state)
{
	fixture *f = *state;
	if (chdir(f->old_cwd) != 0)
		return -1;
	if (f->old_xdg)
		setenv("XDG_STATE_HOME", f->old_xdg, 1);
	else
		unsetenv("XDG_STATE_HOME");
	remove_tree(f->dir);
	free(f->old_xdg);
	free(f);
	return 0;
}

/* Resolves a read-only policy for the fixture directory with the state
 * directory under XDG_STATE_HOME=<dir>/<xdg_suffix>. */
static cordon_resolved *resolve_in(const fixture *f, const char *xdg_suffix)
{
	char xdg[PATH_MAX + 64];
	snprintf(xdg, sizeof(xdg), "%s/%s", f->dir, xdg_suffix);
	setenv("XDG_STATE_HOME", xdg, 1);
	cordon_policy *p = cordon_policy_new();
	cordon_policy_set_mode(p, CORDON_MODE_READ_ONLY);
	cordon_resolved *r = NULL;
	cordon_error err;
	memset(&err, 0, sizeof(err));
	if (cordon_policy_resolve(p, &r, &err) != CORDON_OK)
		fail_msg("resolve: %s", err.message);
	cordon_policy_free(p);
	return r;
}

static char *read_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	if (file == NULL)
		return NULL;
	static char buffer[65536];
	size_t length = fread(buffer, 1, sizeof(buffer) - 1, file);
	fclose(file);
	buffer[length] = '\0';
	return strdup(buffer);
}

static const cordon_json *member(const cordon_json *object, const char *key, cordon_json_type type)
{
	const cordon_json *value = cordon_json_get(object, key);
	if (value == NULL)
		fail_msg("missing key %s", key);
	assert_int_equal(value->type, type);
	return value;
}

static void appends_a_parsable_line_creating_directories(void **state)
{
	fixture *f = *state;
	cordon_resolved *r = resolve_in(f, "deep/state");
	char expected_dir[PATH_MAX + 64];
	snprintf(expected_dir, sizeof(expected_dir), "%s/deep/state/cordon", f->dir);
	assert_string_equal(cordon_resolved_state_dir(r), expected_dir);

	cordon_exit e = {.kind = CORDON_EXIT_CODE, .code = 3, .seconds = 1.23456};
	cordon_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cordon_runlog_append(r, "make", &e, &err), CORDON_OK);

	struct stat st;
	assert_int_equal(stat(expected_dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	char parent[PATH_MAX + 64];
	snprintf(parent, sizeof(parent), "%s/deep", f->dir);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	char file[PATH_MAX + 80];
	snprintf(file, sizeof(file), "%s/runs.jsonl", expected_dir);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *text = read_file(file);
	assert_non_null(text);
	size_t length = strlen(text);
	assert_true(length > 2);
	assert_int_equal(text[length - 1], '\n');
	assert_ptr_equal(strchr(text, '\n'), text + length - 1); /* exactly one line */

	cordon_json *doc = NULL;
	cordon_json_error jerr;
	if (!cordon_json_parse(text, length - 1, &doc, &jerr))
		fail_msg("line %zu column %zu: %s", jerr.line, jerr.column, jerr.message);
	const char *time_text = member(doc, "time", CORDON_JSON_STRING)->string;
	assert_int_equal(strlen(time_text), 20); /* 2026-11-23T19:40:00Z */
	assert_int_equal(time_text[10], 'T');
	assert_int_equal(time_text[19], 'Z');
	assert_string_equal(member(doc, "cwd", CORDON_JSON_STRING)->string, f->dir);
	assert_string_equal(member(doc, "mode", CORDON_JSON_STRING)->string, "read-only");
	assert_string_equal(member(doc, "policy_digest", CORDON_JSON_STRING)->string,
			    cordon_resolved_digest(r));
	assert_string_equal(member(doc, "program", CORDON_JSON_STRING)->string, "make");
	assert_true(member(doc, "exit_status", CORDON_JSON_NUMBER)->number == 3.0);
	assert_string_equal(member(doc, "exit_kind", CORDON_JSON_STRING)->string, "code");
	double seconds = member(doc, "seconds", CORDON_JSON_NUMBER)->number;
	assert_true(seconds > 1.2344 && seconds < 1.2356);
	assert_string_equal(doc->items[0]->key, "time");
	assert_string_equal(doc->items[doc->count - 1]->key, "seconds");
	assert_int_equal(doc->count, 8);
	cordon_json_free(doc);
	free(text);

	/* a second run appends a second line */
	assert_int_equal(cordon_runlog_append(r, "make", &e, &err), CORDON_OK);
	text = read_file(file);
	size_t lines = 0;
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 2);
	free(text);
	cordon_resolved_free(r);
}

static void exit_kinds_and_statuses(void **state)
{
	fixture *f = *state;
	static const struct {
		cordon_exit e;
		int status;
		const char *kind;
	} cases[] = {
		{{.kind = CORDON_EXIT_CODE, .code = 0}, 0, "code"},
		{{.kind = CORDON_EXIT_SIGNAL, .signal_number = 9}, 137, "signal"},
		{{.kind = CORDON_EXIT_TIMEOUT}, 124, "timeout"},
		{{.kind = CORDON_EXIT_NOT_FOUND}, 127, "not-found"},
		{{.kind = CORDON_EXIT_NOT_EXECUTABLE}, 126, "not-executable"},
	};
	cordon_resolved *r = resolve_in(f, "kinds");
	char file[PATH_MAX + 80];
	snprintf(file, sizeof(file), "%s/runs.jsonl", cordon_resolved_state_dir(r));
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++)
		assert_int_equal(cordon_runlog_append(r, "prog \"quoted\"\n", &cases[i].e, NULL), CORDON_OK);
	char *text = read_file(file);
	char *line = text;
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++) {
		char *end = strchr(line, '\n');
		assert_non_null(end);
		cordon_json *doc = NULL;
		cordon_json_error jerr;
		assert_true(cordon_json_parse(line, (size_t)(end - line), &doc, &jerr));
		assert_true(member(doc, "exit_status", CORDON_JSON_NUMBER)->number == cases[i].status);
		assert_string_equal(member(doc, "exit_kind", CORDON_JSON_STRING)->string, cases[i].kind);
		assert_string_equal(member(doc, "program", CORDON_JSON_STRING)->string, "prog \"quoted\"\n");
		cordon_json_free(doc);
		line = end + 1;
	}
	assert_int_equal(*line, '\0');
	free(text);
	cordon_resolved_free(r);
}

/* The ACL layer's count (Windows): present exactly when the layer ran,
 * including a warm run's 0; absent otherwise, never a made-up 0. */
static void acl_descriptor_count_only_when_acls_were_applied(void **state)
{
	fixture *f = *state;
	static const struct {
		bool applied;
		unsigned long written;
	} cases[] = {{true, 14}, {true, 0}, {false, 0}, {false, 7}};
	cordon_resolved *r = resolve_in(f, "acl");
	char file[PATH_MAX + 80];
	snprintf(file, sizeof(file), "%s/runs.jsonl", cordon_resolved_state_dir(r));
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++) {
		cordon_exit e = {.kind = CORDON_EXIT_CODE};
		e.acls_applied = cases[i].applied;
		e.acl_descriptors_written = cases[i].written;
		assert_int_equal(cordon_runlog_append(r, "git", &e, NULL), CORDON_OK);
	}
	char *text = read_file(file);
	char *line = text;
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++) {
		char *end = strchr(line, '\n');
		assert_non_null(end);
		cordon_json *doc = NULL;
		cordon_json_error jerr;
		assert_true(cordon_json_parse(line, (size_t)(end - line), &doc, &jerr));
		const cordon_json *count = cordon_json_get(doc, "acl_descriptors_written");
		if (cases[i].applied) {
			assert_non_null(count);
			assert_int_equal(count->type, CORDON_JSON_NUMBER);
			assert_true(count->number == (double)cases[i].written);
			assert_string_equal(doc->items[doc->count - 1]->key, "acl_descriptors_written");
			assert_int_equal(doc->count, 9);
		} else {
			assert_null(count);
			assert_int_equal(doc->count, 8);
		}
		cordon_json_free(doc);
		line = end + 1;
	}
	assert_int_equal(*line, '\0');
	free(text);
	cordon_resolved_free(r);
}

static void state_dir_under_a_file_is_an_error(void **state)
{
	fixture *f = *state;
	/* resolution would refuse a state dir below a file, so the file
	 * appears between resolution and the log write */
	cordon_resolved *r = resolve_in(f, "later");
	char blocker[PATH_MAX + 32];
	snprintf(blocker, sizeof(blocker), "%s/later", f->dir);
	FILE *file = fopen(blocker, "w");
	assert_non_null(file);
	fclose(file);

	cordon_exit e = {.kind = CORDON_EXIT_CODE};
	cordon_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cordon_runlog_append(r, "x", &e, &err), CORDON_E_SYSTEM);
	assert_int_equal(err.code, CORDON_E_SYSTEM);
	assert_int_equal(err.sys_errno, ENOTDIR);
	char expected[PATH_MAX + 256];
	snprintf(expected, sizeof(expected),
		 "cannot create the state directory %s/later/cordon for the run log: Not a directory",
		 f->dir);
	assert_string_equal(err.message, expected);
	cordon_resolved_free(r);
}

static void log_that_is_a_directory_is_an_error(void **state)
{
	fixture *f = *state;
	cordon_resolved *r = resolve_in(f, "dirlog");
	char file[PATH_MAX + 80];
	snprintf(file, sizeof(file), "%s/dirlog", f->dir);
	assert_int_equal(mkdir(file, 0700), 0);
	snprintf(file, sizeof(file), "%s/dirlog/cordon", f->dir);
	assert_int_equal(mkdir(file, 0700), 0);
	snprintf(file, sizeof(file), "%s/dirlog/cordon/runs.jsonl", f->dir);
	assert_int_equal(mkdir(file, 0700), 0);
	cordon_exit e = {.kind = CORDON_EXIT_CODE};
	cordon_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cordon_runlog_append(r, "x", &e, &err), CORDON_E_SYSTEM);
	char expected[PATH_MAX + 256];
	snprintf(expected, sizeof(expected), "cannot open the run log %s: Is a directory", file);
	assert_string_equal(err.message, expected);
	cordon_resolved_free(r);
}

/* A link planted at runs.jsonl must not redirect the log elsewhere. */
static void log_that_is_a_symlink_is_refused(void **state)
{
	fixture *f = *state;
	cordon_resolved *r = resolve_in(f, "linklog");
	char dir[PATH_MAX + 80], file[PATH_MAX + 160], victim[PATH_MAX + 80];
	snprintf(dir, sizeof(dir), "%s/linklog/cordon", f->dir);
	snprintf(file, sizeof(file), "%s/runs.jsonl", dir);
	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	snprintf(dir, sizeof(dir), "%s/linklog", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/linklog/cordon", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(symlink(victim, file), 0);
	cordon_exit e = {.kind = CORDON_EXIT_CODE};
	cordon_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cordon_runlog_append(r, "x", &e, &err), CORDON_E_SYSTEM);
	assert_int_equal(err.sys_errno, ELOOP);
	struct stat st;
	assert_int_equal(lstat(victim, &st), -1);
	cordon_resolved_free(r);
}

static void missing_arguments_are_errors(void **state)
{
	(void)state;
	cordon_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cordon_runlog_append(NULL, "x", NULL, &err), CORDON_E_INVALID);
	assert_string_equal(err.message, "no resolved policy or exit to log");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(appends_a_parsable_line_creating_directories, set_up,
						tear_down),
		cmocka_unit_test_setup_teardown(exit_kinds_and_statuses, set_up, tear_down),
		cmocka_unit_test_setup_teardown(acl_descriptor_count_only_when_acls_were_applied, set_up,
						tear_down),
		cmocka_unit_test_setup_teardown(state_dir_under_a_file_is_an_error, set_up, tear_down),
		cmocka_unit_test_setup_teardown(log_that_is_a_directory_is_an_error, set_up, tear_down),
		cmocka_unit_test_setup_teardown(log_that_is_a_symlink_is_refused, set_up, tear_down),
		cmocka_unit_test(missing_arguments_are_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
