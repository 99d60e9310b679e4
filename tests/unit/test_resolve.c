/* Policy resolution against a fake filesystem: canonical roots, the temp
 * and state directory rules, untrusted links, and the digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cordon.h"
#include "core/json.h"
#include "core/policy_internal.h"
#include "core/resolve.h"
#include "core/sha256.h"
#include "support_fakefs.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

/* A small machine: / and /data not writable by the user; /home -> /data/home
 * (a link in a directory the user cannot write); the user's home and
 * project are writable; /tmp exists and is writable. */
static fakefs *standard_fs(void)
{
	fakefs *fs = fakefs_new();
	fakefs_dir(fs, "/data/home", false);
	fakefs_link(fs, "/home", "/data/home");
	fakefs_dir(fs, "/data/home/u", true);
	fakefs_dir(fs, "/data/home/u/proj", true);
	fakefs_dir(fs, "/data/home/u/proj/sub", true);
	fakefs_file(fs, "/data/home/u/proj/file.txt");
	fakefs_dir(fs, "/w", true);
	fakefs_dir(fs, "/w/a", true);
	fakefs_dir(fs, "/w/b", true);
	fakefs_dir(fs, "/x", true);
	fakefs_dir(fs, "/x/y", true);
	fakefs_dir(fs, "/z", true);
	fakefs_dir(fs, "/outside", false);
	fakefs_dir(fs, "/tmp", true);
	fakefs_dir(fs, "/var/tmp", true);
	fakefs_setenv(fs, "HOME", "/home/u");
	fakefs_set_cwd(fs, "/w");
	return fs;
}

typedef struct expected_root {
	const char *path;
	cordon_root_kind kind;
} expected_root;

static void assert_roots(const cordon_resolved *r, const expected_root *expected, size_t count)
{
	assert_int_equal(cordon_resolved_root_count(r), count);
	for (size_t i = 0; i < count; i++) {
		cordon_root_kind kind = (cordon_root_kind)-1;
		assert_string_equal(cordon_resolved_root(r, i, &kind), expected[i].path);
		assert_int_equal(kind, expected[i].kind);
	}
	assert_null(cordon_resolved_root(r, count, NULL));
}

static cordon_resolved *resolve_ok(const cordon_policy *p, fakefs *fs)
{
	cordon_resolved *r = NULL;
	cordon_error err;
	memset(&err, 0, sizeof(err));
	cordon_code code = cordon_policy_resolve_with(p, fakefs_view(fs), &r, &err);
	if (code != CORDON_OK)
		fail_msg("resolve failed: %s", err.message);
	assert_non_null(r);
	return r;
}

static void resolve_fails(const cordon_policy *p, fakefs *fs, cordon_code code, const char *message)
{
	cordon_resolved *r = (cordon_resolved *)p; /* must be reset to NULL */
	cordon_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cordon_policy_resolve_with(p, fakefs_view(fs), &r, &err), code);
	assert_null(r);
	assert_int_equal(err.code, code);
	assert_string_equal(err.message, message);
}

/* ------------------------------------------------------------ path algebra */

static void path_clean_cases(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"/", "/"},
		{"//", "/"},
		{"/a/b/", "/a/b"},
		{"/a//b", "/a/b"},
		{"/a/./b/.", "/a/b"},
		{"/a/../b", "/b"},
		{"/../..", "/"},
		{"/a/b/../..", "/"},
		{"/a/..b/c", "/a/..b/c"},
		{"/.a/b", "/.a/b"},
		{"/a/b/../../../c", "/c"},
	};
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++) {
		char *clean = cordon_path_clean(cases[i].in);
		assert_non_null(clean);
		assert_string_equal(clean, cases[i].out);
		free(clean);
	}
	assert_null(cordon_path_clean("relative/path"));
	assert_null(cordon_path_clean(""));
}

static void path_within_cases(void **state)
{
	(void)state;
	assert_true(cordon_path_is_within("/a/b", "/a"));
	assert_true(cordon_path_is_within("/a", "/a"));
	assert_true(cordon_path_is_within("/a/b", "/"));
	assert_true(cordon_path_is_within("/", "/"));
	assert_false(cordon_path_is_within("/ab", "/a"));
	assert_false(cordon_path_is_within("/a", "/a/b"));
	assert_false(cordon_path_is_within("/b", "/a"));
}

/* ------------------------------------------------------------ roots */

static void workspace_write_defaults(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	cordon_resolved *r = resolve_ok(p, fs);
	assert_int_equal(cordon_resolved_mode(r), CORDON_MODE_WORKSPACE_WRITE);
	assert_int_equal(cordon_resolved_network(r), CORDON_NETWORK_OFF);
	assert_false(cordon_resolved_best_effort(r));
	assert_string_equal(cordon_resolved_cwd(r), "/w");
	const expected_root roots[] = {{"/w", CORDON_ROOT_WORKSPACE}, {"/tmp", CORDON_ROOT_TMP}};
	assert_roots(r, roots, 2);
	assert_int_equal(cordon_resolved_protected_count(r), 4);
	assert_string_equal(cordon_resolved_protected(r, 0), ".git");
	assert_string_equal(cordon_resolved_protected(r, 3), ".cordon");
	assert_null(cordon_resolved_protected(r, 4));
	assert_int_equal(cordon_resolved_deny_read_count(r), 0);
	assert_int_equal(cordon_resolved_domain_count(r), 0);
	assert_string_equal(cordon_resolved_state_dir(r), "/data/home/u/.local/state/cordon");
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void read_only_and_full_access_have_no_roots(void **state)
{
	(void)state;
	const cordon_mode modes[] = {CORDON_MODE_READ_ONLY, CORDON_MODE_FULL_ACCESS};
	for (size_t i = 0; i < ARRAY_LENGTH(modes); i++) {
		fakefs *fs = standard_fs();
		cordon_policy *p = cordon_policy_new();
		cordon_policy_set_mode(p, modes[i]);
		assert_int_equal(cordon_policy_add_writable_root(p, "/x", NULL), CORDON_OK);
		cordon_resolved *r = resolve_ok(p, fs);
		assert_int_equal(cordon_resolved_mode(r), modes[i]);
		assert_int_equal(cordon_resolved_root_count(r), 0);
		assert_string_equal(cordon_resolved_cwd(r), "/w");
		cordon_resolved_free(r);
		cordon_policy_free(p);
		fakefs_free(fs);
	}
}

static void relative_dotdot_and_trailing_slashes(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	fakefs_set_cwd(fs, "/w/a");
	cordon_policy *p = cordon_policy_new();
	cordon_policy_set_tmp_writable(p, false);
	assert_int_equal(cordon_policy_set_cwd(p, "../b/", NULL), CORDON_OK);
	assert_int_equal(cordon_policy_add_writable_root(p, "../../x/./y/..//", NULL), CORDON_OK);
	assert_int_equal(cordon_policy_add_writable_root(p, "/z///", NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	assert_string_equal(cordon_resolved_cwd(r), "/w/b");
	const expected_root roots[] = {
		{"/w/b", CORDON_ROOT_WORKSPACE}, {"/x", CORDON_ROOT_EXTRA}, {"/z", CORDON_ROOT_EXTRA}};
	assert_roots(r, roots, 3);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void duplicate_roots_are_dropped_nested_roots_kept(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	const char *extra[] = {"/x/y", "/x", "/z", "/x/", "/w/a", "/w", "/z/."};
	for (size_t i = 0; i < ARRAY_LENGTH(extra); i++)
		assert_int_equal(cordon_policy_add_writable_root(p, extra[i], NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	/* /w as an extra root ties with the workspace, which wins; later
	 * spellings of /x and /z are duplicates; the nested /x/y and /w/a stay
	 * roots of their own, so protected names hold at their tops too */
	const expected_root roots[] = {{"/w", CORDON_ROOT_WORKSPACE}, {"/x/y", CORDON_ROOT_EXTRA},
				       {"/x", CORDON_ROOT_EXTRA},     {"/z", CORDON_ROOT_EXTRA},
				       {"/w/a", CORDON_ROOT_EXTRA},   {"/tmp", CORDON_ROOT_TMP}};
	assert_roots(r, roots, 6);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void workspace_inside_an_outer_root_stays_a_root(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(p, "/w/a", NULL), CORDON_OK);
	assert_int_equal(cordon_policy_add_writable_root(p, "/w", NULL), CORDON_OK);
	fakefs_setenv(fs, "TMPDIR", "/w/b");
	cordon_resolved *r = resolve_ok(p, fs);
	assert_string_equal(cordon_resolved_cwd(r), "/w/a");
	/* the workspace's own .git must stay protected even though /w is writable */
	const expected_root roots[] = {
		{"/w/a", CORDON_ROOT_WORKSPACE}, {"/w", CORDON_ROOT_EXTRA}, {"/w/b", CORDON_ROOT_TMP}};
	assert_roots(r, roots, 3);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void root_through_a_trusted_link_is_canonical(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	cordon_policy_set_tmp_writable(p, false);
	assert_int_equal(cordon_policy_set_cwd(p, "/home/u/proj", NULL), CORDON_OK);
	assert_int_equal(cordon_policy_add_writable_root(p, "/home/u/proj/sub", NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	assert_string_equal(cordon_resolved_cwd(r), "/data/home/u/proj");
	const expected_root roots[] = {{"/data/home/u/proj", CORDON_ROOT_WORKSPACE},
				       {"/data/home/u/proj/sub", CORDON_ROOT_EXTRA}};
	assert_roots(r, roots, 2);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void relative_link_in_trusted_directory_is_followed(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	fakefs_dir(fs, "/opt/real", false);
	fakefs_link(fs, "/opt/alias", "real/../real/");
	fakefs_link(fs, "/opt/chain", "alias");
	cordon_policy *p = cordon_policy_new();
	cordon_policy_set_tmp_writable(p, false);
	assert_int_equal(cordon_policy_add_writable_root(p, "/opt/chain", NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	const expected_root roots[] = {{"/w", CORDON_ROOT_WORKSPACE}, {"/opt/real", CORDON_ROOT_EXTRA}};
	assert_roots(r, roots, 2);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* ------------------------------------------------------------ failures */

typedef struct failure_case {
	const char *cwd;  /* NULL: "/w" */
	const char *root; /* NULL: none */
	const char *deny; /* NULL: none */
	cordon_code code;
	const char *message;
} failure_case;

static void setup_failure_fs(fakefs *fs)
{
	fakefs_file(fs, "/w/file");
	fakefs_link(fs, "/w/link", "/outside");
	fakefs_link(fs, "/w/rel", "../outside");
	fakefs_link(fs, "/w/dangling", "/nowhere");
	fakefs_link(fs, "/loop1", "/loop2");
	fakefs_link(fs, "/loop2", "/loop1");
	fakefs_link(fs, "/self", "self");
	fakefs_dir(fs, "/data/home/u/proj/.hidden", false);
	fakefs_link(fs, "/data/home/u/planted", "/outside");
	fakefs_fail(fs, "/secret", EACCES);
}

static const failure_case failure_cases[] = {
	{"/nope", NULL, NULL, CORDON_E_NOT_FOUND,
	 "working directory /nope does not exist: create it or pass an existing directory"},
	{"/nope/deeper/", NULL, NULL, CORDON_E_NOT_FOUND,
	 "working directory /nope/deeper does not exist (/nope is missing): create it or pass an existing "
	 "directory"},
	{"/w/file", NULL, NULL, CORDON_E_INVALID,
	 "working directory /w/file is not a directory: pass a directory"},
	{"/w/file/x", NULL, NULL, CORDON_E_NOT_FOUND,
	 "working directory /w/file/x does not exist: /w/file is not a directory"},
	{NULL, "/w/missing", NULL, CORDON_E_NOT_FOUND,
	 "writable root /w/missing does not exist: create it or drop it from the writable roots"},
	{NULL, "/w/file", NULL, CORDON_E_INVALID,
	 "writable root /w/file is not a directory: writable roots must be directories"},
	{"/w/link", NULL, NULL, CORDON_E_UNTRUSTED_LINK,
	 "working directory /w/link passes through the link /w/link -> /outside, which sits in /w, a "
	 "directory you can "
	 "write (a sandboxed command could have planted it); pass the real path /outside instead"},
	{"/w/link/", NULL, NULL, CORDON_E_UNTRUSTED_LINK,
	 "working directory /w/link passes through the link /w/link -> /outside, which sits in /w, a "
	 "directory you can "
	 "write (a sandboxed command could have planted it); pass the real path /outside instead"},
	{NULL, "/w/rel", NULL, CORDON_E_UNTRUSTED_LINK,
	 "writable root /w/rel passes through the link /w/rel -> ../outside, which sits in /w, a directory "
	 "you can "
	 "write (a sandboxed command could have planted it); pass the real path /outside instead"},
	{NULL, "/home/u/planted/sub", NULL, CORDON_E_UNTRUSTED_LINK,
	 "writable root /home/u/planted/sub passes through the link /data/home/u/planted -> /outside, which "
	 "sits in "
	 "/data/home/u, a directory you can write (a sandboxed command could have planted it); pass the real "
	 "path "
	 "/outside/sub instead"},
	{NULL, NULL, "/w/link/secret", CORDON_E_UNTRUSTED_LINK,
	 "deny-read path /w/link/secret passes through the link /w/link -> /outside, which sits in /w, a "
	 "directory you "
	 "can write (a sandboxed command could have planted it); pass the real path /outside/secret instead"},
	{"/w/dangling", NULL, NULL, CORDON_E_UNTRUSTED_LINK,
	 "working directory /w/dangling passes through the link /w/dangling -> /nowhere, which sits in /w, a "
	 "directory "
	 "you can write (a sandboxed command could have planted it); pass the real path /nowhere instead"},
	{"/loop1", NULL, NULL, CORDON_E_INVALID,
	 "working directory /loop1 cannot be resolved: more than 40 symbolic links (a link loop at /loop1?); "
	 "pass a "
	 "path without the loop"},
	{NULL, "/self/x", NULL, CORDON_E_INVALID,
	 "writable root /self/x cannot be resolved: more than 40 symbolic links (a link loop at /self?); "
	 "pass a path "
	 "without the loop"},
	{NULL, "/secret/x", NULL, CORDON_E_SYSTEM,
	 "cannot resolve writable root /secret/x: looking at /secret failed: Permission denied"},
};

static void failures_have_exact_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LENGTH(failure_cases); i++) {
		const failure_case *c = &failure_cases[i];
		fakefs *fs = standard_fs();
		setup_failure_fs(fs);
		cordon_policy *p = cordon_policy_new();
		assert_int_equal(cordon_policy_set_cwd(p, c->cwd ? c->cwd : "/w", NULL), CORDON_OK);
		if (c->root)
			assert_int_equal(cordon_policy_add_writable_root(p, c->root, NULL), CORDON_OK);
		if (c->deny)
			assert_int_equal(cordon_policy_add_deny_read(p, c->deny, NULL), CORDON_OK);
		resolve_fails(p, fs, c->code, c->message);
		cordon_policy_free(p);
		fakefs_free(fs);
	}
}

static void system_error_keeps_errno(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	setup_failure_fs(fs);
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(p, "/secret", NULL), CORDON_OK);
	cordon_resolved *r = NULL;
	cordon_error err;
	assert_int_equal(cordon_policy_resolve_with(p, fakefs_view(fs), &r, &err), CORDON_E_SYSTEM);
	assert_int_equal(err.sys_errno, EACCES);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* A link in a directory the user cannot write is followed, even to a
 * place the user can write. */
static void link_in_unwritable_directory_is_followed(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(p, "/home/u/proj/sub/..", NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	assert_string_equal(cordon_resolved_cwd(r), "/data/home/u/proj");
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* The same link becomes untrusted once its directory is user-writable. */
static void writable_root_directory_makes_every_link_untrusted(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	fakefs_dir(fs, "/", true);
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(p, "/home/u", NULL), CORDON_OK);
	resolve_fails(
		p, fs, CORDON_E_UNTRUSTED_LINK,
		"working directory /home/u passes through the link /home -> /data/home, which sits in /, a "
		"directory you can write (a sandboxed command could have planted it); pass the real path "
		"/data/home/u instead");
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void unknown_process_cwd_is_an_error_for_relative_paths(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	fakefs_set_cwd(fs, NULL);
	cordon_policy *p = cordon_policy_new();
	resolve_fails(p, fs, CORDON_E_SYSTEM,
		      "cannot resolve working directory \".\": the current directory is unknown; pass an "
		      "absolute path");
	assert_int_equal(cordon_policy_set_cwd(p, "/w", NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* ------------------------------------------------------------ temp directory */

typedef struct tmp_case {
	const char *tmpdir; /* NULL: unset */
	bool exclude_env, exclude_slash, tmp_writable;
	const char *expected_root; /* NULL: no temp root */
	const char *error;	   /* non-NULL: resolution fails with this */
	cordon_code code;
} tmp_case;

static const tmp_case tmp_cases[] = {
	{NULL, false, false, true, "/tmp", NULL, CORDON_OK},
	{"", false, false, true, "/tmp", NULL, CORDON_OK},
	{"/var/tmp", false, false, true, "/var/tmp", NULL, CORDON_OK},
	{"/var/tmp/", false, false, true, "/var/tmp", NULL, CORDON_OK},
	{"/var/tmp", true, false, true, "/tmp", NULL, CORDON_OK},
	{"/var/tmp", false, true, true, "/var/tmp", NULL, CORDON_OK},
	{"/var/tmp", true, true, true, NULL, NULL, CORDON_OK},
	{NULL, false, true, true, NULL, NULL, CORDON_OK},
	{"/var/tmp", false, false, false, NULL, NULL, CORDON_OK},
	{"rel/tmp", false, false, false, NULL, NULL, CORDON_OK},
	{"/home/u", false, false, true, "/data/home/u", NULL, CORDON_OK},
	{"rel/tmp", false, false, true, NULL,
	 "TMPDIR is \"rel/tmp\", not an absolute path: set TMPDIR to an absolute directory, unset it, or "
	 "pass --no-tmp",
	 CORDON_E_INVALID},
	{"rel/tmp", true, false, true, "/tmp", NULL, CORDON_OK},
	{"/nope", false, false, true, NULL,
	 "temp directory /nope (from TMPDIR) does not exist: create it, set TMPDIR to an existing directory, "
	 "or pass "
	 "--no-tmp",
	 CORDON_E_NOT_FOUND},
	{"/w/file", false, false, true, NULL,
	 "temp directory /w/file (from TMPDIR) is not a directory: set TMPDIR to a directory or pass "
	 "--no-tmp",
	 CORDON_E_INVALID},
	{"/w/link", false, false, true, NULL,
	 "temp directory /w/link (from TMPDIR) passes through the link /w/link -> /outside, which sits in "
	 "/w, a "
	 "directory you can write (a sandboxed command could have planted it); set TMPDIR to the real path "
	 "/outside "
	 "instead",
	 CORDON_E_UNTRUSTED_LINK},
};

static void temp_directory_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LENGTH(tmp_cases); i++) {
		const tmp_case *c = &tmp_cases[i];
		fakefs *fs = standard_fs();
		setup_failure_fs(fs);
		fakefs_setenv(fs, "TMPDIR", c->tmpdir);
		cordon_policy *p = cordon_policy_new();
		p->tmp_exclude_env = c->exclude_env;
		p->tmp_exclude_slash = c->exclude_slash;
		cordon_policy_set_tmp_writable(p, c->tmp_writable);
		if (c->error) {
			resolve_fails(p, fs, c->code, c->error);
		} else {
			cordon_resolved *r = resolve_ok(p, fs);
			if (c->expected_root) {
				const expected_root roots[] = {{"/w", CORDON_ROOT_WORKSPACE},
							       {c->expected_root, CORDON_ROOT_TMP}};
				assert_roots(r, roots, 2);
			} else {
				const expected_root roots[] = {{"/w", CORDON_ROOT_WORKSPACE}};
				assert_roots(r, roots, 1);
			}
			cordon_resolved_free(r);
		}
		cordon_policy_free(p);
		fakefs_free(fs);
	}
}

static void workspace_wins_a_tie_with_the_temp_directory(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(p, "/tmp", NULL), CORDON_OK);
	assert_int_equal(cordon_policy_add_writable_root(p, "/tmp", NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	const expected_root roots[] = {{"/tmp", CORDON_ROOT_WORKSPACE}};
	assert_roots(r, roots, 1);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* Only workspace-write looks at the temp directory at all. */
static void read_only_ignores_a_bad_tmpdir(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	fakefs_setenv(fs, "TMPDIR", "relative");
	cordon_policy *p = cordon_policy_new();
	cordon_policy_set_mode(p, CORDON_MODE_READ_ONLY);
	cordon_resolved *r = resolve_ok(p, fs);
	assert_int_equal(cordon_resolved_root_count(r), 0);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void missing_slash_tmp_names_tmpdir(void **state)
{
	(void)state;
	fakefs *fs = fakefs_new();
	fakefs_dir(fs, "/w", true);
	fakefs_setenv(fs, "HOME", "/w");
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(p, "/w", NULL), CORDON_OK);
	resolve_fails(
		p, fs, CORDON_E_NOT_FOUND,
		"temp directory /tmp does not exist: create it, set TMPDIR to an existing directory, or pass "
		"--no-tmp");
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* ------------------------------------------------------------ state directory */

typedef struct state_case {
	const char *xdg, *home;
	const char *expected;
	const char *error;
} state_case;

static const state_case state_cases[] = {
	{NULL, "/home/u", "/data/home/u/.local/state/cordon", NULL},
	{"/x/state", "/home/u", "/x/state/cordon", NULL},
	{"/x/state/", NULL, "/x/state/cordon", NULL},
	{"", "/home/u", "/data/home/u/.local/state/cordon", NULL},
	{"relative/state", "/home/u", "/data/home/u/.local/state/cordon", NULL},
	{"/home/u/.st/../st2", NULL, "/data/home/u/st2/cordon", NULL},
	{NULL, "/nohome", "/nohome/.local/state/cordon", NULL},
	{NULL, NULL, NULL,
	 "cannot place cordon's state directory: neither XDG_STATE_HOME nor HOME is an absolute path; set "
	 "HOME"},
	{"relative", "relative-home", NULL,
	 "cannot place cordon's state directory: neither XDG_STATE_HOME nor HOME is an absolute path; set "
	 "HOME"},
	{"/w/link", NULL, NULL,
	 "state directory /w/link/cordon passes through the link /w/link -> /outside, which sits in /w, a "
	 "directory "
	 "you can write (a sandboxed command could have planted it); set XDG_STATE_HOME to a spelling "
	 "without the "
	 "link; the state directory really is /outside/cordon"},
	{"/w/file", NULL, NULL, NULL /* checked below: NOT_FOUND through a file */},
};

static void state_directory_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LENGTH(state_cases); i++) {
		const state_case *c = &state_cases[i];
		fakefs *fs = standard_fs();
		setup_failure_fs(fs);
		fakefs_setenv(fs, "XDG_STATE_HOME", c->xdg);
		fakefs_setenv(fs, "HOME", c->home);
		cordon_policy *p = cordon_policy_new();
		if (c->expected) {
			cordon_resolved *r = resolve_ok(p, fs);
			assert_string_equal(cordon_resolved_state_dir(r), c->expected);
			cordon_resolved_free(r);
		} else if (c->error) {
			cordon_code code =
				strstr(c->error, "link") ? CORDON_E_UNTRUSTED_LINK : CORDON_E_INVALID;
			resolve_fails(p, fs, code, c->error);
		} else {
			resolve_fails(
				p, fs, CORDON_E_NOT_FOUND,
				"state directory /w/file/cordon does not exist: /w/file is not a directory");
		}
		cordon_policy_free(p);
		fakefs_free(fs);
	}
}

static void state_dir_inside_a_root_is_listed(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(p, "/home/u", NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	const expected_root roots[] = {{"/data/home/u", CORDON_ROOT_WORKSPACE}, {"/tmp", CORDON_ROOT_TMP}};
	assert_roots(r, roots, 2);
	assert_true(cordon_path_is_within(cordon_resolved_state_dir(r), cordon_resolved_root(r, 0, NULL)));
	assert_string_equal(cordon_resolved_state_dir(r), "/data/home/u/.local/state/cordon");
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* ------------------------------------------------------------ deny-read, network */

static void deny_read_paths_canonical_or_lexical(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	fakefs_dir(fs, "/data/home/u/.ssh", false);
	cordon_policy *p = cordon_policy_new();
	const char *deny[] = {"/home/u/.ssh/", "/home/u/.aws/../.gnupg/./x", "/home/u/.ssh", "secret.txt",
			      "/nope/a/../b"};
	for (size_t i = 0; i < ARRAY_LENGTH(deny); i++)
		assert_int_equal(cordon_policy_add_deny_read(p, deny[i], NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	assert_int_equal(cordon_resolved_deny_read_count(r), 4);
	assert_string_equal(cordon_resolved_deny_read(r, 0), "/data/home/u/.ssh");
	assert_string_equal(cordon_resolved_deny_read(r, 1), "/data/home/u/.gnupg/x");
	assert_string_equal(cordon_resolved_deny_read(r, 2), "/w/secret.txt");
	assert_string_equal(cordon_resolved_deny_read(r, 3), "/nope/b");
	assert_null(cordon_resolved_deny_read(r, 4));
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void domains_need_proxy(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_add_allowed_domain(p, "*.Example.org", NULL), CORDON_OK);
	resolve_fails(p, fs, CORDON_E_INVALID, "--allow-domain needs --network proxy");
	cordon_policy_set_network(p, CORDON_NETWORK_ON);
	resolve_fails(p, fs, CORDON_E_INVALID, "--allow-domain needs --network proxy");
	cordon_policy_set_network(p, CORDON_NETWORK_PROXY);
	cordon_resolved *r = resolve_ok(p, fs);
	assert_int_equal(cordon_resolved_network(r), CORDON_NETWORK_PROXY);
	assert_int_equal(cordon_resolved_domain_count(r), 1);
	assert_string_equal(cordon_resolved_domain(r, 0), "*.example.org");
	assert_null(cordon_resolved_domain(r, 1));
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* ------------------------------------------------------------ JSON, digest */

static const cordon_json *member(const cordon_json *object, const char *key, cordon_json_type type)
{
	const cordon_json *value = cordon_json_get(object, key);
	if (value == NULL)
		fail_msg("missing key %s", key);
	assert_int_equal(value->type, type);
	return value;
}

static void to_json_renders_everything(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_add_writable_root(p, "/x", NULL), CORDON_OK);
	assert_int_equal(cordon_policy_add_deny_read(p, "/home/u/.ssh", NULL), CORDON_OK);
	cordon_policy_set_network(p, CORDON_NETWORK_PROXY);
	assert_int_equal(cordon_policy_add_allowed_domain(p, "pypi.org", NULL), CORDON_OK);
	cordon_policy_set_best_effort(p, true);
	cordon_resolved *r = resolve_ok(p, fs);
	char *text = cordon_resolved_to_json(r);
	assert_non_null(text);
	assert_non_null(strchr(text, '\n')); /* pretty */
	cordon_json *doc = NULL;
	cordon_json_error jerr;
	assert_true(cordon_json_parse(text, strlen(text), &doc, &jerr));
	assert_int_equal(doc->count, 10);
	assert_string_equal(member(doc, "mode", CORDON_JSON_STRING)->string, "workspace-write");
	assert_string_equal(member(doc, "cwd", CORDON_JSON_STRING)->string, "/w");
	const cordon_json *roots = member(doc, "writable_roots", CORDON_JSON_ARRAY);
	assert_int_equal(roots->count, 3);
	const char *paths[] = {"/w", "/x", "/tmp"};
	const char *kinds[] = {"workspace", "extra", "tmp"};
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(member(roots->items[i], "path", CORDON_JSON_STRING)->string, paths[i]);
		assert_string_equal(member(roots->items[i], "kind", CORDON_JSON_STRING)->string, kinds[i]);
	}
	const cordon_json *names = member(doc, "protected_names", CORDON_JSON_ARRAY);
	assert_int_equal(names->count, 4);
	assert_string_equal(names->items[0]->string, ".git");
	const cordon_json *deny = member(doc, "deny_read", CORDON_JSON_ARRAY);
	assert_int_equal(deny->count, 1);
	assert_string_equal(deny->items[0]->string, "/data/home/u/.ssh");
	assert_string_equal(member(doc, "network", CORDON_JSON_STRING)->string, "proxy");
	const cordon_json *domains = member(doc, "allowed_domains", CORDON_JSON_ARRAY);
	assert_int_equal(domains->count, 1);
	assert_string_equal(domains->items[0]->string, "pypi.org");
	assert_string_equal(member(doc, "state_dir", CORDON_JSON_STRING)->string,
			    "/data/home/u/.local/state/cordon");
	assert_true(member(doc, "best_effort", CORDON_JSON_BOOL)->boolean);
	/* document order is the documented order */
	assert_string_equal(doc->items[0]->key, "mode");
	assert_string_equal(doc->items[4]->key, "deny_read");
	assert_string_equal(doc->items[5]->key, "credential_stores");
	assert_string_equal(doc->items[9]->key, "best_effort");
	cordon_json_free(doc);
	free(text);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static char *digest_of(cordon_policy *p, fakefs *fs)
{
	cordon_resolved *r = resolve_ok(p, fs);
	const char *digest = cordon_resolved_digest(r);
	assert_int_equal(strlen(digest), 64);
	for (const char *c = digest; *c; c++)
		assert_true((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'));
	char *copy = strdup(digest);
	cordon_resolved_free(r);
	return copy;
}

static void digest_is_stable_and_tracks_the_policy(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	char *base = digest_of(p, fs);
	char *again = digest_of(p, fs);
	assert_string_equal(base, again);
	free(again);

	/* a different spelling of the same thing digests the same */
	cordon_policy *q = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(q, "/w/a/../", NULL), CORDON_OK);
	assert_int_equal(cordon_policy_add_writable_root(q, "/w/", NULL), CORDON_OK); /* duplicate: dropped */
	char *same = digest_of(q, fs);
	assert_string_equal(base, same);
	free(same);
	cordon_policy_free(q);

	char *seen[8];
	size_t seen_count = 0;
	seen[seen_count++] = base;
	for (int change = 0; change < 6; change++) {
		cordon_policy *c = cordon_policy_new();
		fakefs *f = standard_fs();
		switch (change) {
		case 0: cordon_policy_set_mode(c, CORDON_MODE_READ_ONLY); break;
		case 1: cordon_policy_set_network(c, CORDON_NETWORK_ON); break;
		case 2: assert_int_equal(cordon_policy_add_protected_name(c, ".hg", NULL), CORDON_OK); break;
		case 3: assert_int_equal(cordon_policy_add_writable_root(c, "/z", NULL), CORDON_OK); break;
		case 4: assert_int_equal(cordon_policy_add_deny_read(c, "/z", NULL), CORDON_OK); break;
		case 5: fakefs_setenv(f, "XDG_STATE_HOME", "/z"); break;
		}
		char *digest = digest_of(c, f);
		for (size_t i = 0; i < seen_count; i++)
			assert_string_not_equal(digest, seen[i]);
		seen[seen_count++] = digest;
		cordon_policy_free(c);
		fakefs_free(f);
	}
	for (size_t i = 0; i < seen_count; i++)
		free(seen[i]);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* The digest is SHA-256 of the compact form of exactly what
 * cordon_resolved_to_json shows. */
static void digest_is_sha256_of_the_compact_rendering(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_add_writable_root(p, "/x", NULL), CORDON_OK);
	assert_int_equal(cordon_policy_add_deny_read(p, "/z", NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	char *pretty = cordon_resolved_to_json(r);
	cordon_json *doc = NULL;
	cordon_json_error jerr;
	assert_true(cordon_json_parse(pretty, strlen(pretty), &doc, &jerr));
	cordon_json_writer w;
	cordon_json_writer_init(&w, false);
	cordon_json_value(&w, doc);
	char *compact = cordon_json_writer_finish(&w);
	assert_non_null(compact);
	assert_null(strchr(compact, '\n'));
	char hex[65];
	cordon_sha256_hex(compact, strlen(compact), hex);
	assert_string_equal(cordon_resolved_digest(r), hex);
	free(compact);
	cordon_json_free(doc);
	free(pretty);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* Every canonical path is looked at once per resolution step, not per
 * file in the tree: the walk costs O(components). */
static void walk_visits_each_component_once(void **state)
{
	(void)state;
	fakefs *fs = standard_fs();
	cordon_policy *p = cordon_policy_new();
	cordon_policy_set_tmp_writable(p, false);
	assert_int_equal(cordon_policy_set_cwd(p, "/home/u/proj/sub", NULL), CORDON_OK);
	cordon_resolved *r = resolve_ok(p, fs);
	/* cwd, the state directory under $HOME, and $HOME for the credential
	 * stores, whose scan starts below the canonical home */
	assert_int_equal(fakefs_lstat_count(fs, "/home"), 3);
	assert_int_equal(fakefs_lstat_count(fs, "/data/home/u"), 3);
	assert_int_equal(fakefs_lstat_count(fs, "/data/home/u/proj/sub"), 1);
	assert_int_equal(fakefs_lstat_count(fs, "/data/home/u/proj/file.txt"), 0);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

/* ------------------------------------------------------------ the real filesystem */

/* cordon_fsview_system() on a real tree: kinds, link targets, and the
 * link rule end to end (a link planted in a directory we own is refused). */
static void system_view_refuses_a_planted_link(void **state)
{
	(void)state;
	char template[] = "/tmp/cordon-resolve-XXXXXX";
	char dir[PATH_MAX];
	assert_non_null(mkdtemp(template));
	assert_non_null(realpath(template, dir));
	char real[PATH_MAX + 16], link[PATH_MAX + 16], file[PATH_MAX + 16];
	snprintf(real, sizeof(real), "%s/real", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink("real", link), 0);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);

	const cordon_fsview *fs = cordon_fsview_system();
	cordon_fs_kind kind;
	assert_int_equal(fs->lstat_kind(fs->ctx, real, &kind), 0);
	assert_int_equal(kind, CORDON_FS_DIRECTORY);
	assert_int_equal(fs->lstat_kind(fs->ctx, link, &kind), 0);
	assert_int_equal(kind, CORDON_FS_SYMLINK);
	assert_int_equal(fs->lstat_kind(fs->ctx, file, &kind), 0);
	assert_int_equal(kind, CORDON_FS_FILE);
	assert_int_equal(fs->lstat_kind(fs->ctx, "/nonexistent-cordon-path", &kind), 0);
	assert_int_equal(kind, CORDON_FS_MISSING);
	assert_int_equal(fs->lstat_kind(fs->ctx, "/dev/null", &kind), 0);
	assert_int_equal(kind, CORDON_FS_OTHER);
	char target[64];
	assert_int_equal(fs->readlink(fs->ctx, link, target, sizeof(target)), 4);
	assert_string_equal(target, "real");
	assert_true(fs->readlink(fs->ctx, real, target, sizeof(target)) < 0);
	assert_true(fs->user_can_write(fs->ctx, dir));
	assert_non_null(fs->getcwd(fs->ctx));
	assert_int_equal(fs->getcwd(fs->ctx)[0], '/');

	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(p, link, NULL), CORDON_OK);
	cordon_resolved *r = NULL;
	cordon_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cordon_policy_resolve(p, &r, &err), CORDON_E_UNTRUSTED_LINK);
	assert_null(r);
	char expected[5 * PATH_MAX];
	snprintf(expected, sizeof(expected),
		 "working directory %s passes through the link %s -> real, which sits in %s, a directory you "
		 "can "
		 "write (a sandboxed command could have planted it); pass the real path %s instead",
		 link, link, dir, real);
	assert_string_equal(err.message, expected);

	assert_int_equal(cordon_policy_set_cwd(p, real, NULL), CORDON_OK);
	cordon_policy_set_tmp_writable(p, false);
	assert_int_equal(cordon_policy_resolve(p, &r, &err), CORDON_OK);
	assert_string_equal(cordon_resolved_cwd(r), real);
	cordon_resolved_free(r);
	cordon_policy_free(p);

	unlink(link);
	unlink(file);
	rmdir(real);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_clean_cases),
		cmocka_unit_test(path_within_cases),
		cmocka_unit_test(workspace_write_defaults),
		cmocka_unit_test(read_only_and_full_access_have_no_roots),
		cmocka_unit_test(relative_dotdot_and_trailing_slashes),
		cmocka_unit_test(duplicate_roots_are_dropped_nested_roots_kept),
		cmocka_unit_test(workspace_inside_an_outer_root_stays_a_root),
		cmocka_unit_test(root_through_a_trusted_link_is_canonical),
		cmocka_unit_test(relative_link_in_trusted_directory_is_followed),
		cmocka_unit_test(failures_have_exact_messages),
		cmocka_unit_test(system_error_keeps_errno),
		cmocka_unit_test(link_in_unwritable_directory_is_followed),
		cmocka_unit_test(writable_root_directory_makes_every_link_untrusted),
		cmocka_unit_test(unknown_process_cwd_is_an_error_for_relative_paths),
		cmocka_unit_test(temp_directory_rule),
		cmocka_unit_test(missing_slash_tmp_names_tmpdir),
		cmocka_unit_test(workspace_wins_a_tie_with_the_temp_directory),
		cmocka_unit_test(read_only_ignores_a_bad_tmpdir),
		cmocka_unit_test(state_directory_rule),
		cmocka_unit_test(state_dir_inside_a_root_is_listed),
		cmocka_unit_test(deny_read_paths_canonical_or_lexical),
		cmocka_unit_test(domains_need_proxy),
		cmocka_unit_test(to_json_renders_everything),
		cmocka_unit_test(digest_is_stable_and_tracks_the_policy),
		cmocka_unit_test(walk_visits_each_component_once),
		cmocka_unit_test(digest_is_sha256_of_the_compact_rendering),
		cmocka_unit_test(system_view_refuses_a_planted_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
