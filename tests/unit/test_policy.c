/* The requested policy: defaults, setters, cordon's JSON document and the
 * compatibility POLICY forms, with the exact messages a user reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordon.h"
#include "core/credentials.h"
#include "core/policy_internal.h"
#include "core/policy_private.h"
#include "core/resolve.h"
#include "support_fakefs.h"

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

static void assert_list(const cordon_strlist *list, const char *const *expected, size_t count)
{
	assert_int_equal(list->count, count);
	for (size_t i = 0; i < count; i++)
		assert_string_equal(list->items[i], expected[i]);
}

static const char *const default_names[] = {".git", ".codex", ".agents", ".cordon"};

/* ------------------------------------------------------------ defaults, setters */

static void defaults_match_the_documentation(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	assert_non_null(p);
	assert_int_equal(cordon_policy_mode(p), CORDON_MODE_WORKSPACE_WRITE);
	assert_int_equal(cordon_policy_network(p), CORDON_NETWORK_OFF);
	assert_string_equal(p->cwd, ".");
	assert_list(&p->protected_names, default_names, 4);
	assert_int_equal(p->writable_roots.count, 0);
	assert_int_equal(p->deny_read.count, 0);
	assert_int_equal(p->allowed_domains.count, 0);
	assert_true(p->tmp_writable);
	assert_false(p->tmp_exclude_env);
	assert_false(p->tmp_exclude_slash);
	assert_false(p->best_effort);
	cordon_policy_free(p);
}

static void free_accepts_null(void **state)
{
	(void)state;
	cordon_policy_free(NULL);
}

static void mode_and_network_setters_reject_out_of_range(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_mode(p, CORDON_MODE_READ_ONLY), CORDON_OK);
	assert_int_equal(cordon_policy_mode(p), CORDON_MODE_READ_ONLY);
	assert_int_equal(cordon_policy_set_mode(p, (cordon_mode)42), CORDON_E_INVALID);
	assert_int_equal(cordon_policy_mode(p), CORDON_MODE_READ_ONLY);
	assert_int_equal(cordon_policy_set_network(p, CORDON_NETWORK_PROXY), CORDON_OK);
	assert_int_equal(cordon_policy_network(p), CORDON_NETWORK_PROXY);
	assert_int_equal(cordon_policy_set_network(p, (cordon_network)-1), CORDON_E_INVALID);
	assert_int_equal(cordon_policy_network(p), CORDON_NETWORK_PROXY);
	cordon_policy_set_tmp_writable(p, false);
	assert_false(p->tmp_writable);
	cordon_policy_set_best_effort(p, true);
	assert_true(p->best_effort);
	cordon_policy_free(p);
}

static void protected_names_add_up_unless_cleared(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	assert_int_equal(cordon_policy_add_protected_name(p, ".hg", &err), CORDON_OK);
	assert_int_equal(cordon_policy_add_protected_name(p, ".git", &err), CORDON_OK); /* no duplicate */
	const char *const added[] = {".git", ".codex", ".agents", ".cordon", ".hg"};
	assert_list(&p->protected_names, added, 5);
	cordon_policy_clear_protected_names(p);
	assert_int_equal(p->protected_names.count, 0);
	assert_int_equal(cordon_policy_add_protected_name(p, ".svn", &err), CORDON_OK);
	const char *const replaced[] = {".svn"};
	assert_list(&p->protected_names, replaced, 1);
	cordon_policy_free(p);
}

typedef struct setter_case {
	const char *value;
	cordon_code code;
	const char *message; /* when code != CORDON_OK */
	const char *stored;  /* when code == CORDON_OK: the list's last item */
} setter_case;

static const setter_case protected_cases[] = {
	{".hg", CORDON_OK, NULL, ".hg"},
	{"node_modules", CORDON_OK, NULL, "node_modules"},
	{"...", CORDON_OK, NULL, "..."},
	{"", CORDON_E_INVALID, "protected name is empty: give a name such as .git", NULL},
	{"a/b", CORDON_E_INVALID,
	 "protected name \"a/b\" contains '/': give a plain file or directory name such as .git, not a path",
	 NULL},
	{"/.git", CORDON_E_INVALID,
	 "protected name \"/.git\" contains '/': give a plain file or directory name such as .git, not a "
	 "path",
	 NULL},
	{".", CORDON_E_INVALID, "protected name \".\" is not a file name: give a name such as .git", NULL},
	{"..", CORDON_E_INVALID, "protected name \"..\" is not a file name: give a name such as .git", NULL},
};

static const setter_case domain_cases[] = {
	{"example.org", CORDON_OK, NULL, "example.org"},
	{"Example.ORG", CORDON_OK, NULL, "example.org"},
	{"*.example.org", CORDON_OK, NULL, "*.example.org"},
	{"localhost", CORDON_OK, NULL, "localhost"},
	{"a-b.c0", CORDON_OK, NULL, "a-b.c0"},
	{"", CORDON_E_INVALID,
	 "allowed domain is empty: give a host name such as example.org or *.example.org", NULL},
	{"*", CORDON_E_INVALID,
	 "allowed domain \"*\" is not a host name: use letters, digits, '-' and '.', optionally starting "
	 "with "
	 "\"*.\" (for example *.example.org)",
	 NULL},
	{"*.", CORDON_E_INVALID,
	 "allowed domain \"*.\" is not a host name: use letters, digits, '-' and '.', optionally starting "
	 "with "
	 "\"*.\" (for example *.example.org)",
	 NULL},
	{"a.*.org", CORDON_E_INVALID,
	 "allowed domain \"a.*.org\" is not a host name: use letters, digits, '-' and '.', optionally "
	 "starting "
	 "with \"*.\" (for example *.example.org)",
	 NULL},
	{"exa mple.org", CORDON_E_INVALID,
	 "allowed domain \"exa mple.org\" is not a host name: use letters, digits, '-' and '.', optionally "
	 "starting with \"*.\" (for example *.example.org)",
	 NULL},
	{"example..org", CORDON_E_INVALID,
	 "allowed domain \"example..org\" is not a host name: use letters, digits, '-' and '.', optionally "
	 "starting with \"*.\" (for example *.example.org)",
	 NULL},
	{"-bad.org", CORDON_E_INVALID,
	 "allowed domain \"-bad.org\" is not a host name: use letters, digits, '-' and '.', optionally "
	 "starting "
	 "with \"*.\" (for example *.example.org)",
	 NULL},
	{"http://example.org", CORDON_E_INVALID,
	 "allowed domain \"http://example.org\" is not a host name: use letters, digits, '-' and '.', "
	 "optionally "
	 "starting with \"*.\" (for example *.example.org)",
	 NULL},
	{"example.org:443", CORDON_E_INVALID,
	 "allowed domain \"example.org:443\" is not a host name: use letters, digits, '-' and '.', "
	 "optionally "
	 "starting with \"*.\" (for example *.example.org)",
	 NULL},
};

typedef cordon_code (*adder)(cordon_policy *, const char *, cordon_error *);

static void run_setter_cases(adder add, const setter_case *cases, size_t count, size_t list_offset)
{
	for (size_t i = 0; i < count; i++) {
		cordon_policy *p = cordon_policy_new();
		cordon_strlist *list = (cordon_strlist *)((char *)p + list_offset);
		size_t before = list->count;
		cordon_error err;
		memset(&err, 0, sizeof(err));
		cordon_code code = add(p, cases[i].value, &err);
		assert_int_equal(code, cases[i].code);
		if (code == CORDON_OK) {
			assert_int_equal(list->count, before + 1);
			assert_string_equal(list->items[list->count - 1], cases[i].stored);
		} else {
			assert_int_equal(err.code, cases[i].code);
			assert_string_equal(err.message, cases[i].message);
			assert_int_equal(list->count, before);
		}
		cordon_policy_free(p);
	}
}

static void protected_name_validation(void **state)
{
	(void)state;
	run_setter_cases(cordon_policy_add_protected_name, protected_cases, ARRAY_LENGTH(protected_cases),
			 offsetof(cordon_policy, protected_names));
}

static void domain_validation(void **state)
{
	(void)state;
	run_setter_cases(cordon_policy_add_allowed_domain, domain_cases, ARRAY_LENGTH(domain_cases),
			 offsetof(cordon_policy, allowed_domains));
}

static void domain_is_not_added_twice(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_add_allowed_domain(p, "Example.org", NULL), CORDON_OK);
	assert_int_equal(cordon_policy_add_allowed_domain(p, "example.ORG", NULL), CORDON_OK);
	assert_int_equal(p->allowed_domains.count, 1);
	cordon_policy_free(p);
}

/* Nothing expands '~' between a policy document and cordon: a literal
 * "~/.ssh" deny-read path would hide nothing, so every path setter refuses
 * it and keeps what it had. */
static void path_setters_refuse_a_leading_tilde(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	assert_int_equal(cordon_policy_add_deny_read(p, "~/.ssh", &err), CORDON_E_INVALID);
	assert_string_equal(err.message, "deny-read path \"~/.ssh\" starts with '~', which cordon does not "
					 "expand: give the absolute path (a name that really starts with '~' "
					 "can be written ./~/.ssh)");
	assert_int_equal(cordon_policy_add_writable_root(p, "~", &err), CORDON_E_INVALID);
	assert_non_null(strstr(err.message, "writable root \"~\" starts with '~'"));
	assert_int_equal(cordon_policy_set_cwd(p, "~alice/project", &err), CORDON_E_INVALID);
	assert_non_null(strstr(err.message, "working directory \"~alice/project\" starts with '~'"));
	assert_string_equal(p->cwd, ".");
	assert_int_equal(p->writable_roots.count, 0);
	assert_int_equal(p->deny_read.count, 0);
	/* The same through a policy document. */
	const char *doc = "{\"deny_read\": [\"~/.aws\"]}";
	assert_int_equal(cordon_policy_merge_json(p, doc, strlen(doc), &err), CORDON_E_INVALID);
	assert_non_null(strstr(err.message, "\"~/.aws\" starts with '~'"));
	assert_int_equal(p->deny_read.count, 0);
	/* A '~' later in a path is an ordinary character. */
	assert_int_equal(cordon_policy_add_deny_read(p, "/home/a/~backup", &err), CORDON_OK);
	cordon_policy_free(p);
}

static void path_setters_reject_empty(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	assert_int_equal(cordon_policy_set_cwd(p, "", &err), CORDON_E_INVALID);
	assert_string_equal(err.message,
			    "working directory is empty: give a directory such as . or /path/to/project");
	assert_int_equal(cordon_policy_set_cwd(p, NULL, &err), CORDON_E_INVALID);
	assert_string_equal(p->cwd, ".");
	assert_int_equal(cordon_policy_add_writable_root(p, "", &err), CORDON_E_INVALID);
	assert_string_equal(err.message, "writable root is empty: give a directory path");
	assert_int_equal(cordon_policy_add_deny_read(p, "", &err), CORDON_E_INVALID);
	assert_string_equal(err.message, "deny-read path is empty: give a file or directory path");
	assert_int_equal(p->writable_roots.count, 0);
	assert_int_equal(p->deny_read.count, 0);

	assert_int_equal(cordon_policy_set_cwd(p, "/w", &err), CORDON_OK);
	assert_string_equal(p->cwd, "/w");
	assert_int_equal(cordon_policy_add_writable_root(p, "rel/dir", &err), CORDON_OK);
	assert_int_equal(cordon_policy_add_deny_read(p, "./~/.ssh", &err), CORDON_OK);
	assert_string_equal(p->writable_roots.items[0], "rel/dir");
	assert_string_equal(p->deny_read.items[0], "./~/.ssh");
	/* a NULL err is allowed */
	assert_int_equal(cordon_policy_add_writable_root(p, "", NULL), CORDON_E_INVALID);
	cordon_policy_free(p);
}

/* ------------------------------------------------------------ cordon JSON */

static cordon_code merge(cordon_policy *p, const char *text, cordon_error *err)
{
	return cordon_policy_merge_json(p, text, strlen(text), err);
}

static void json_sets_every_key(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	memset(&err, 0, sizeof(err));
	const char *doc = "{\"mode\":\"read-only\",\"cwd\":\"/w\",\"writable_roots\":[\"/a\",\"b\"],"
			  "\"workspace_roots\":[\"/c\"],\"protected_names\":[\".hg\",\".env\"],"
			  "\"deny_read\":[\"/home/u/.ssh\"],\"network\":\"proxy\","
			  "\"allowed_domains\":[\"Example.org\",\"*.pypi.org\"],\"tmp_writable\":false,"
			  "\"best_effort\":true}";
	assert_int_equal(merge(p, doc, &err), CORDON_OK);
	assert_int_equal(p->mode, CORDON_MODE_READ_ONLY);
	assert_string_equal(p->cwd, "/w");
	const char *const roots[] = {"/a", "b", "/c"};
	assert_list(&p->writable_roots, roots, 3);
	const char *const names[] = {".hg", ".env"};
	assert_list(&p->protected_names, names, 2);
	const char *const deny[] = {"/home/u/.ssh"};
	assert_list(&p->deny_read, deny, 1);
	assert_int_equal(p->network, CORDON_NETWORK_PROXY);
	const char *const domains[] = {"example.org", "*.pypi.org"};
	assert_list(&p->allowed_domains, domains, 2);
	assert_false(p->tmp_writable);
	assert_true(p->best_effort);
	cordon_policy_free(p);
}

static void json_values_of_enumerations(void **state)
{
	(void)state;
	static const struct {
		const char *doc;
		cordon_mode mode;
		cordon_network network;
	} cases[] = {
		{"{\"mode\":\"workspace-write\",\"network\":\"off\"}", CORDON_MODE_WORKSPACE_WRITE,
		 CORDON_NETWORK_OFF},
		{"{\"mode\":\"full-access\",\"network\":\"on\"}", CORDON_MODE_FULL_ACCESS, CORDON_NETWORK_ON},
		{"{\"mode\":\"read-only\",\"network\":\"proxy\"}", CORDON_MODE_READ_ONLY,
		 CORDON_NETWORK_PROXY},
		{"{}", CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_OFF},
	};
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++) {
		cordon_policy *p = cordon_policy_new();
		assert_int_equal(merge(p, cases[i].doc, NULL), CORDON_OK);
		assert_int_equal(p->mode, cases[i].mode);
		assert_int_equal(p->network, cases[i].network);
		cordon_policy_free(p);
	}
}

static void json_merges_on_top_of_what_is_there(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_policy_set_network(p, CORDON_NETWORK_ON);
	assert_int_equal(cordon_policy_add_writable_root(p, "/first", NULL), CORDON_OK);
	assert_int_equal(merge(p, "{\"writable_roots\":[\"/second\"],\"protected_names\":[]}", NULL),
			 CORDON_OK);
	const char *const roots[] = {"/first", "/second"};
	assert_list(&p->writable_roots, roots, 2);
	assert_int_equal(p->protected_names.count, 0);
	assert_int_equal(p->network, CORDON_NETWORK_ON);
	cordon_policy_free(p);
}

static void json_without_protected_names_keeps_defaults(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(merge(p, "{\"mode\":\"read-only\"}", NULL), CORDON_OK);
	assert_list(&p->protected_names, default_names, 4);
	cordon_policy_free(p);
}

typedef struct error_case {
	const char *input;
	cordon_code code;
	const char *message;
} error_case;

#define VALID_KEYS                                                                                           \
	"mode, cwd, writable_roots, workspace_roots, protected_names, deny_read, allow_read_credentials, "   \
	"network, allowed_domains, tmp_writable, best_effort"
#define SEEDS_VALID_KEYS "type, writable_roots, network_access, exclude_tmpdir_env_var, exclude_slash_tmp"

static const error_case json_errors[] = {
	{"{\"mdoe\":\"read-only\"}", CORDON_E_INVALID,
	 "policy JSON: unknown key \"mdoe\"; valid keys are " VALID_KEYS},
	{"{\"network_access\":true}", CORDON_E_INVALID,
	 "policy JSON: unknown key \"network_access\"; valid keys are " VALID_KEYS},
	{"{\"mode\":1}", CORDON_E_INVALID, "policy JSON: key \"mode\" must be a string, not number"},
	{"{\"mode\":\"danger-full-access\"}", CORDON_E_INVALID,
	 "policy JSON: key \"mode\" must be \"read-only\", \"workspace-write\" or \"full-access\", not "
	 "\"danger-full-access\""},
	{"{\"cwd\":[\"/w\"]}", CORDON_E_INVALID, "policy JSON: key \"cwd\" must be a string, not array"},
	{"{\"cwd\":\"\"}", CORDON_E_INVALID,
	 "policy JSON: key \"cwd\": working directory is empty: give a directory such as . or "
	 "/path/to/project"},
	{"{\"writable_roots\":\"/w\"}", CORDON_E_INVALID,
	 "policy JSON: key \"writable_roots\" must be an array of strings, not string"},
	{"{\"workspace_roots\":null}", CORDON_E_INVALID,
	 "policy JSON: key \"workspace_roots\" must be an array of strings, not null"},
	{"{\"writable_roots\":[\"/a\",2]}", CORDON_E_INVALID,
	 "policy JSON: key \"writable_roots\" must be an array of strings, but item 2 is number"},
	{"{\"writable_roots\":[\"\"]}", CORDON_E_INVALID,
	 "policy JSON: key \"writable_roots\": writable root is empty: give a directory path"},
	{"{\"protected_names\":{}}", CORDON_E_INVALID,
	 "policy JSON: key \"protected_names\" must be an array of strings, not object"},
	{"{\"protected_names\":[\"a/b\"]}", CORDON_E_INVALID,
	 "policy JSON: key \"protected_names\": protected name \"a/b\" contains '/': give a plain file or "
	 "directory "
	 "name such as .git, not a path"},
	{"{\"deny_read\":[true]}", CORDON_E_INVALID,
	 "policy JSON: key \"deny_read\" must be an array of strings, but item 1 is boolean"},
	{"{\"allow_read_credentials\":\".ssh\"}", CORDON_E_INVALID,
	 "policy JSON: key \"allow_read_credentials\" must be an array of strings, not string"},
	{"{\"allow_read_credentials\":true}", CORDON_E_INVALID,
	 "policy JSON: key \"allow_read_credentials\" must be an array of strings, not boolean"},
	{"{\"allow_read_credentials\":[\".ssh\",1]}", CORDON_E_INVALID,
	 "policy JSON: key \"allow_read_credentials\" must be an array of strings, but item 2 is number"},
	{"{\"allow_read_credentials\":[\"\"]}", CORDON_E_INVALID,
	 "policy JSON: key \"allow_read_credentials\": credential store to allow is empty: give a name such "
	 "as .ssh, or all"},
	{"{\"network\":false}", CORDON_E_INVALID,
	 "policy JSON: key \"network\" must be a string, not boolean"},
	{"{\"network\":\"allow\"}", CORDON_E_INVALID,
	 "policy JSON: key \"network\" must be \"off\", \"on\" or \"proxy\", not \"allow\""},
	{"{\"allowed_domains\":[\"a b\"]}", CORDON_E_INVALID,
	 "policy JSON: key \"allowed_domains\": allowed domain \"a b\" is not a host name: use letters, "
	 "digits, '-' "
	 "and '.', optionally starting with \"*.\" (for example *.example.org)"},
	{"{\"tmp_writable\":\"yes\"}", CORDON_E_INVALID,
	 "policy JSON: key \"tmp_writable\" must be a boolean, not string"},
	{"{\"best_effort\":1}", CORDON_E_INVALID,
	 "policy JSON: key \"best_effort\" must be a boolean, not number"},
	{"[]", CORDON_E_INVALID,
	 "policy JSON: the document must be an object such as {\"mode\": \"workspace-write\"}, not array"},
	{"{\"bad\\nkey\\u0001\":1}", CORDON_E_INVALID,
	 "policy JSON: unknown key \"bad\\nkey\\x01\"; valid keys are " VALID_KEYS},
	{"{\"mode\":\"read-only\\r\\n\"}", CORDON_E_INVALID,
	 "policy JSON: key \"mode\" must be \"read-only\", \"workspace-write\" or \"full-access\", not "
	 "\"read-only\\r\\n\""},
	{"{\"protected_names\":[\"x/\\ty\"]}", CORDON_E_INVALID,
	 "policy JSON: key \"protected_names\": protected name \"x/\\ty\" contains '/': give a plain file or "
	 "directory name such as .git, not a path"},
	{"\"read-only\"", CORDON_E_INVALID,
	 "policy JSON: the document must be an object such as {\"mode\": \"workspace-write\"}, not string"},
};

static void json_errors_name_the_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LENGTH(json_errors); i++) {
		cordon_policy *p = cordon_policy_new();
		cordon_error err;
		memset(&err, 0, sizeof(err));
		assert_int_equal(merge(p, json_errors[i].input, &err), json_errors[i].code);
		assert_int_equal(err.code, json_errors[i].code);
		assert_string_equal(err.message, json_errors[i].message);
		cordon_policy_free(p);
	}
}

/* Parse errors carry the reader's own line/column and message; only the
 * framing is ours, so this checks the framing and the position. */
static void json_parse_errors_give_line_and_column(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *prefix;
	} cases[] = {
		{"{\"mode\":\"read-only\",}", "policy JSON: line 1, column "},
		{"{\n  \"mode\": \"read-only\"\n  \"cwd\": \"/w\"\n}", "policy JSON: line 3, column 3: "},
		{"", "policy JSON: line 1, column 1: "},
		{"{\"mode\":\"read-only\"} x", "policy JSON: line 1, column "},
	};
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++) {
		cordon_policy *p = cordon_policy_new();
		cordon_error err;
		memset(&err, 0, sizeof(err));
		assert_int_equal(merge(p, cases[i].text, &err), CORDON_E_PARSE);
		assert_int_equal(err.code, CORDON_E_PARSE);
		assert_memory_equal(err.message, cases[i].prefix, strlen(cases[i].prefix));
		assert_true(strlen(err.message) > strlen(cases[i].prefix) + 3);
		cordon_policy_free(p);
	}
}

static void rejected_document_changes_nothing(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	const char *doc = "{\"mode\":\"read-only\",\"writable_roots\":[\"/a\"],\"protected_names\":[\".x\"],"
			  "\"network\":\"on\",\"bogus\":1}";
	assert_int_equal(merge(p, doc, &err), CORDON_E_INVALID);
	assert_int_equal(p->mode, CORDON_MODE_WORKSPACE_WRITE);
	assert_int_equal(p->network, CORDON_NETWORK_OFF);
	assert_int_equal(p->writable_roots.count, 0);
	assert_list(&p->protected_names, default_names, 4);
	cordon_policy_free(p);
}

/* ------------------------------------------------------------ compatibility */

static void compat_bare_words(void **state)
{
	(void)state;
	static const struct {
		const char *word;
		cordon_mode mode;
	} cases[] = {
		{"read-only", CORDON_MODE_READ_ONLY},
		{"workspace-write", CORDON_MODE_WORKSPACE_WRITE},
		{"danger-full-access", CORDON_MODE_FULL_ACCESS},
		{"full-access", CORDON_MODE_FULL_ACCESS},
	};
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++) {
		cordon_policy *p = cordon_policy_new();
		cordon_policy_set_mode(p, cases[i].mode == CORDON_MODE_READ_ONLY ? CORDON_MODE_FULL_ACCESS
										 : CORDON_MODE_READ_ONLY);
		assert_int_equal(cordon_policy_merge_compat(p, cases[i].word, NULL), CORDON_OK);
		assert_int_equal(p->mode, cases[i].mode);
		assert_list(&p->protected_names, default_names, 4);
		cordon_policy_free(p);
	}
}

static void compat_seeds_shape(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	memset(&err, 0, sizeof(err));
	const char *arg =
		"{\"type\":\"workspace-write\",\"writable_roots\":[\"/extra\",\"/more\"],"
		"\"network_access\":true,\"exclude_tmpdir_env_var\":true,\"exclude_slash_tmp\":true}";
	assert_int_equal(cordon_policy_merge_compat(p, arg, &err), CORDON_OK);
	assert_int_equal(p->mode, CORDON_MODE_WORKSPACE_WRITE);
	const char *const roots[] = {"/extra", "/more"};
	assert_list(&p->writable_roots, roots, 2);
	assert_int_equal(p->network, CORDON_NETWORK_ON);
	assert_true(p->tmp_exclude_env);
	assert_true(p->tmp_exclude_slash);
	assert_true(p->tmp_writable);
	assert_list(&p->protected_names, default_names, 4);
	cordon_policy_free(p);

	p = cordon_policy_new();
	cordon_policy_set_network(p, CORDON_NETWORK_ON);
	assert_int_equal(
		cordon_policy_merge_compat(p, " {\"type\":\"read-only\",\"network_access\":false}", &err),
		CORDON_OK);
	assert_int_equal(p->mode, CORDON_MODE_READ_ONLY);
	assert_int_equal(p->network, CORDON_NETWORK_OFF);
	assert_false(p->tmp_exclude_env);
	cordon_policy_free(p);

	p = cordon_policy_new();
	assert_int_equal(cordon_policy_merge_compat(p, "{\"type\":\"danger-full-access\"}", &err), CORDON_OK);
	assert_int_equal(p->mode, CORDON_MODE_FULL_ACCESS);
	cordon_policy_free(p);
}

static void compat_cordon_shape(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(
		cordon_policy_merge_compat(p, "{\"mode\":\"read-only\",\"workspace_roots\":[\"/w2\"]}", &err),
		CORDON_OK);
	assert_int_equal(p->mode, CORDON_MODE_READ_ONLY);
	const char *const roots[] = {"/w2"};
	assert_list(&p->writable_roots, roots, 1);
	cordon_policy_free(p);
}

#define COMPAT_USAGE                                                                                         \
	" is not understood: POLICY may be read-only, workspace-write, danger-full-access, or a JSON "       \
	"object such "                                                                                       \
	"as {\"type\":\"workspace-write\",\"writable_roots\":[\"/path\"]}"

static const error_case compat_errors[] = {
	{"", CORDON_E_INVALID, "sandbox policy \"\"" COMPAT_USAGE},
	{"read\nonly", CORDON_E_INVALID, "sandbox policy \"read\\nonly\"" COMPAT_USAGE},
	{"Read-Only", CORDON_E_INVALID, "sandbox policy \"Read-Only\"" COMPAT_USAGE},
	{"read-only ", CORDON_E_INVALID, "sandbox policy \"read-only \"" COMPAT_USAGE},
	{"[\"read-only\"]", CORDON_E_INVALID, "sandbox policy \"[\"read-only\"]\"" COMPAT_USAGE},
	{"{\"type\":\"workspace-write\",\"network\":\"on\"}", CORDON_E_INVALID,
	 "policy JSON: unknown key \"network\" in a {\"type\": ...} policy; valid keys "
	 "are " SEEDS_VALID_KEYS},
	{"{\"type\":\"workspace-write\",\"mode\":\"read-only\"}", CORDON_E_INVALID,
	 "policy JSON: unknown key \"mode\" in a {\"type\": ...} policy; valid keys are " SEEDS_VALID_KEYS},
	{"{\"mode\":\"read-only\",\"network_access\":true}", CORDON_E_INVALID,
	 "policy JSON: unknown key \"network_access\"; valid keys are " VALID_KEYS},
	{"{\"type\":\"full-access\"}", CORDON_E_INVALID,
	 "policy JSON: key \"type\" must be \"read-only\", \"workspace-write\" or \"danger-full-access\", "
	 "not "
	 "\"full-access\""},
	{"{\"type\":7}", CORDON_E_INVALID, "policy JSON: key \"type\" must be a string, not number"},
	{"{\"type\":\"read-only\",\"network_access\":\"no\"}", CORDON_E_INVALID,
	 "policy JSON: key \"network_access\" must be a boolean, not string"},
	{"{\"type\":\"read-only\",\"exclude_tmpdir_env_var\":0}", CORDON_E_INVALID,
	 "policy JSON: key \"exclude_tmpdir_env_var\" must be a boolean, not number"},
	{"{\"type\":\"read-only\",\"exclude_slash_tmp\":null}", CORDON_E_INVALID,
	 "policy JSON: key \"exclude_slash_tmp\" must be a boolean, not null"},
	{"{\"type\":\"workspace-write\",\"writable_roots\":\"/w\"}", CORDON_E_INVALID,
	 "policy JSON: key \"writable_roots\" must be an array of strings, not string"},
	{"{\"type\":\"workspace-write\",\"writable_roots\":[1]}", CORDON_E_INVALID,
	 "policy JSON: key \"writable_roots\" must be an array of strings, but item 1 is number"},
};

static void compat_errors_are_exact(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LENGTH(compat_errors); i++) {
		cordon_policy *p = cordon_policy_new();
		cordon_error err;
		memset(&err, 0, sizeof(err));
		assert_int_equal(cordon_policy_merge_compat(p, compat_errors[i].input, &err),
				 compat_errors[i].code);
		assert_string_equal(err.message, compat_errors[i].message);
		/* nothing half-applied */
		assert_int_equal(p->mode, CORDON_MODE_WORKSPACE_WRITE);
		assert_int_equal(p->network, CORDON_NETWORK_OFF);
		assert_int_equal(p->writable_roots.count, 0);
		cordon_policy_free(p);
	}
}

static void compat_parse_error_is_framed(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cordon_policy_merge_compat(p, "{\"type\":", &err), CORDON_E_PARSE);
	assert_memory_equal(err.message, "policy JSON: line 1, column ",
			    strlen("policy JSON: line 1, column "));
	cordon_policy_free(p);
}

/* Values the user typed are shown on one line, however odd they are. */
static void message_text_is_one_safe_line(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t size;
		const char *out;
	} cases[] = {
		{"plain", 64, "plain"},
		{"a\nb\tc\rd", 64, "a\\nb\\tc\\rd"},
		{"\x01\x1f\x7f", 64, "\\x01\\x1f\\x7f"},
		{"caf\xc3\xa9", 64, "caf\xc3\xa9"},
		{"abcdefgh", 9, "abcdefgh"},
		{"abcdefghi", 9, "abcde..."},
		{"ab\ncdefghi", 9, "ab\\nc..."},
		{"abc", 3, "ab"},
		{"", 1, ""},
	};
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++) {
		char out[64];
		memset(out, 'Z', sizeof(out));
		cordon_message_text(cases[i].in, out, cases[i].size);
		assert_string_equal(out, cases[i].out);
		assert_true(strlen(out) < cases[i].size);
	}
	char long_value[2000];
	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	assert_int_equal(cordon_policy_merge_compat(p, long_value, &err), CORDON_E_INVALID);
	assert_non_null(strstr(err.message, "xxx...\" is not understood: POLICY may be"));
	cordon_policy_free(p);
}

/* ------------------------------------------------------------ credential stores */

/* A home with a few credential stores and an ordinary file, as the smoke
 * case builds it for real. */
static fakefs *home_fs(void)
{
	fakefs *fs = fakefs_new();
	fakefs_dir(fs, "/home/u", true);
	fakefs_dir(fs, "/home/u/.ssh", false);
	fakefs_file(fs, "/home/u/.ssh/id_ed25519");
	fakefs_dir(fs, "/home/u/.aws", true);
	fakefs_file(fs, "/home/u/.aws/credentials");
	fakefs_file(fs, "/home/u/.netrc");
	fakefs_file(fs, "/home/u/.docker/config.json");
	fakefs_dir(fs, "/home/u/.docker/contexts", true);
	fakefs_file(fs, "/home/u/notes.txt");
	fakefs_dir(fs, "/home/u/proj", true);
	fakefs_dir(fs, "/tmp", true);
	fakefs_setenv(fs, "HOME", "/home/u");
	fakefs_set_cwd(fs, "/home/u/proj");
	return fs;
}

static cordon_resolved *resolve_in(const cordon_policy *p, fakefs *fs)
{
	cordon_resolved *r = NULL;
	cordon_error err;
	memset(&err, 0, sizeof(err));
	cordon_code code = cordon_policy_resolve_with(p, fakefs_view(fs), &r, &err);
	if (code != CORDON_OK)
		fail_msg("resolve failed: %s", err.message);
	return r;
}

static void assert_hidden(const cordon_resolved *r, const char *const *expected, size_t count)
{
	assert_int_equal(cordon_resolved_credential_count(r), count);
	for (size_t i = 0; i < count; i++)
		assert_string_equal(cordon_resolved_credential(r, i), expected[i]);
	assert_null(cordon_resolved_credential(r, count));
}

static void credential_table_is_one_list_with_reasons(void **state)
{
	(void)state;
	static const char *const required[] = {".ssh",	 ".aws",
					       ".gnupg", ".config/gh",
					       ".netrc", ".docker/config.json",
					       ".kube",	 ".git-credentials"};
	for (size_t i = 0; i < ARRAY_LENGTH(required); i++)
		assert_true(cordon_credential_store_find(required[i]) >= 0);
	size_t count = cordon_credential_store_count();
	assert_true(count >= ARRAY_LENGTH(required));
	for (size_t i = 0; i < count; i++) {
		const char *name = cordon_credential_store_name(i);
		assert_non_null(name);
		assert_true(name[0] != '/' && name[0] != '~' && name[strlen(name) - 1] != '/');
		assert_true(strlen(cordon_credential_store_reason(i)) > 10);
		assert_int_equal(cordon_credential_store_find(name), (long)i);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(cordon_credential_store_name(j), name);
	}
	assert_null(cordon_credential_store_name(count));
	assert_null(cordon_credential_store_reason(count));
	/* the Windows plans take the same names under %USERPROFILE% */
	long docker = cordon_credential_store_find(".docker\\config.json");
	assert_true(docker >= 0);
	char *path = cordon_credential_store_path("C:\\Users\\u", (size_t)docker, '\\');
	assert_string_equal(path, "C:\\Users\\u\\.docker\\config.json");
	free(path);
	path = cordon_credential_store_path("/", (size_t)cordon_credential_store_find(".ssh"), '/');
	assert_string_equal(path, "/.ssh");
	free(path);
}

static void credential_defaults_hide_what_exists(void **state)
{
	(void)state;
	fakefs *fs = home_fs();
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(p->credential_lifts.count, 0);
	cordon_resolved *r = resolve_in(p, fs);
	static const char *const hidden[] = {"/home/u/.ssh", "/home/u/.aws", "/home/u/.docker/config.json",
					     "/home/u/.netrc"};
	assert_hidden(r, hidden, ARRAY_LENGTH(hidden));
	assert_int_equal(r->credential_homes.count, 1);
	assert_string_equal(r->credential_homes.items[0], "/home/u");
	/* kept apart from what the caller denied, and printed apart */
	assert_int_equal(cordon_resolved_deny_read_count(r), 0);
	char *json = cordon_resolved_to_json(r);
	assert_non_null(strstr(json, "\"credential_stores\": {\n    \"homes\": [\n      \"/home/u\"\n    ],\n"
				     "    \"allowed\": [],\n    \"hidden\": [\n      \"/home/u/.ssh\",\n"));
	assert_null(strstr(json, "notes.txt"));
	free(json);
	/* one listing of the home; only the stores whose first component is
	 * there are looked up, each component once */
	assert_int_equal(fakefs_listing_count(fs), 1);
	assert_int_equal(fakefs_lstat_count(fs, "/home/u/.docker"), 1);
	int with_listing = fakefs_lstat_total(fs);
	cordon_resolved_free(r);
	fakefs_free(fs);

	/* without a listing every entry is looked up: the same answer, more
	 * lookups */
	fs = home_fs();
	fakefs_set_listing(fs, false);
	r = resolve_in(p, fs);
	assert_hidden(r, hidden, ARRAY_LENGTH(hidden));
	assert_true(fakefs_lstat_total(fs) >= with_listing + (int)cordon_credential_store_count() - 5);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void credential_lift_lets_one_through(void **state)
{
	(void)state;
	fakefs *fs = home_fs();
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	assert_int_equal(cordon_policy_allow_read_credential(p, ".ssh", &err), CORDON_OK);
	assert_int_equal(cordon_policy_allow_read_credential(p, "~/.aws/", &err), CORDON_OK);
	assert_int_equal(cordon_policy_allow_read_credential(p, "./.ssh", &err), CORDON_OK); /* same */
	assert_int_equal(cordon_policy_allow_read_credential(p, "/home/u/.netrc", &err), CORDON_OK);
	static const char *const lifts[] = {".ssh", ".aws", "/home/u/.netrc"};
	assert_list(&p->credential_lifts, lifts, 3);
	cordon_resolved *r = resolve_in(p, fs);
	static const char *const hidden[] = {"/home/u/.docker/config.json"};
	assert_hidden(r, hidden, 1);
	assert_list(&r->credential_lifts, lifts, 3);
	cordon_resolved_free(r);

	/* "all" turns the whole default set off */
	assert_int_equal(cordon_policy_allow_read_credential(p, "all", &err), CORDON_OK);
	r = resolve_in(p, fs);
	assert_hidden(r, NULL, 0);
	cordon_resolved_free(r);
	cordon_policy_free(p);

	/* the policy key does the same */
	p = cordon_policy_new();
	assert_int_equal(
		merge(p, "{\"allow_read_credentials\":[\"~/.docker/config.json\",\".netrc\"]}", &err),
		CORDON_OK);
	r = resolve_in(p, fs);
	static const char *const rest[] = {"/home/u/.ssh", "/home/u/.aws"};
	assert_hidden(r, rest, 2);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void credential_lift_of_unknown_name_is_refused(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	static const char *const unknown[] = {".bashrc", "ssh", "~/.ssh/id_rsa", ".config", "~", "All"};
	for (size_t i = 0; i < ARRAY_LENGTH(unknown); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(cordon_policy_allow_read_credential(p, unknown[i], &err), CORDON_E_INVALID);
		char start[128];
		snprintf(start, sizeof(start),
			 "credential store \"%s\" is not one cordon hides: give all, or one of .ssh, .gnupg, "
			 ".aws, ",
			 unknown[i]);
		assert_memory_equal(err.message, start, strlen(start));
		assert_non_null(strstr(err.message, ".git-credentials, "));
	}
	assert_int_equal(cordon_policy_allow_read_credential(p, "", &err), CORDON_E_INVALID);
	assert_string_equal(err.message,
			    "credential store to allow is empty: give a name such as .ssh, or all");
	assert_int_equal(p->credential_lifts.count, 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(merge(p, "{\"allow_read_credentials\":[\".ssh\",\"id_rsa\"]}", &err),
			 CORDON_E_INVALID);
	assert_memory_equal(
		err.message,
		"policy JSON: key \"allow_read_credentials\": credential store \"id_rsa\" is not one",
		strlen("policy JSON: key \"allow_read_credentials\": credential store \"id_rsa\" is not "
		       "one"));
	assert_int_equal(p->credential_lifts.count, 0); /* a rejected document changes nothing */

	/* an absolute spelling can only be checked against the home */
	fakefs *fs = home_fs();
	assert_int_equal(cordon_policy_allow_read_credential(p, "/etc/.ssh", &err), CORDON_OK);
	cordon_resolved *r = NULL;
	assert_int_equal(cordon_policy_resolve_with(p, fakefs_view(fs), &r, &err), CORDON_E_INVALID);
	assert_null(r);
	assert_string_equal(err.message, "credential store /etc/.ssh to allow is not one cordon hides under "
					 "/home/u: give a name such as .ssh, or all");
	fakefs_setenv(fs, "HOME", NULL);
	fakefs_setenv(fs, "XDG_STATE_HOME", "/tmp/state");
	assert_int_equal(cordon_policy_resolve_with(p, fakefs_view(fs), &r, &err), CORDON_E_INVALID);
	assert_string_equal(err.message, "credential store /etc/.ssh to allow cannot be matched: no home was "
					 "found (HOME is not set); give a name such as .ssh, or all");
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void credential_homes_follow_home_and_the_account(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_policy_set_tmp_writable(p, false);
	assert_int_equal(cordon_policy_set_cwd(p, "/w", NULL), CORDON_OK);
	static const struct {
		const char *home; /* NULL: unset */
		const char *account;
		const char *sudo_caller;
		const char *expected[2];
		size_t count;
	} cases[] = {
		{"/home/u", "/home/other", NULL, {"/home/u"}, 1}, /* $HOME wins; no account lookup */
		{NULL, "/home/u", NULL, {"/home/u"}, 1},
		{"", "/home/u", NULL, {"/home/u"}, 1},
		{"relative/home", "/home/u", NULL, {"/home/u"}, 1},
		{"/home/u/", NULL, NULL, {"/home/u"}, 1},
		{"/", NULL, NULL, {"/"}, 1},
		{"/root", "/root", "/home/u", {"/root", "/home/u"}, 2}, /* under sudo */
		{NULL, NULL, NULL, {NULL}, 0},
		{"/nonexistent", NULL, NULL, {NULL}, 0},
	};
	for (size_t i = 0; i < ARRAY_LENGTH(cases); i++) {
		fakefs *fs = fakefs_new();
		fakefs_dir(fs, "/w", true);
		fakefs_dir(fs, "/home/u/.ssh", false);
		fakefs_dir(fs, "/home/other/.ssh", false);
		fakefs_dir(fs, "/root/.ssh", false);
		fakefs_dir(fs, "/.ssh", false);
		fakefs_setenv(fs, "HOME", cases[i].home);
		fakefs_setenv(fs, "XDG_STATE_HOME", "/w/state");
		fakefs_set_account_home(fs, CORDON_ACCOUNT_SELF, cases[i].account);
		fakefs_set_account_home(fs, CORDON_ACCOUNT_SUDO_CALLER, cases[i].sudo_caller);
		cordon_resolved *r = resolve_in(p, fs);
		assert_int_equal(r->credential_homes.count, cases[i].count);
		assert_int_equal(cordon_resolved_credential_count(r), cases[i].count);
		for (size_t h = 0; h < cases[i].count; h++) {
			assert_string_equal(r->credential_homes.items[h], cases[i].expected[h]);
			char ssh[64];
			snprintf(ssh, sizeof(ssh), "%s/.ssh",
				 strcmp(cases[i].expected[h], "/") ? cases[i].expected[h] : "");
			assert_string_equal(cordon_resolved_credential(r, h), ssh);
		}
		cordon_resolved_free(r);
		fakefs_free(fs);
	}
	cordon_policy_free(p);
}

/* Links are followed whoever could have planted them (the mask lands on
 * what the name shows); a store that holds the work is left alone; a
 * component that is not a directory or cannot be reached hides nothing;
 * any other failure refuses the run. */
static void credential_stores_behind_links_and_failures(void **state)
{
	(void)state;
	fakefs *fs = home_fs();
	fakefs_dir(fs, "/data/aws", false);
	fakefs_link(fs, "/home/u/.aws", "/data/aws");
	fakefs_file(fs, "/home/u/.config"); /* not a directory: no .config/gh below it */
	fakefs_fail(fs, "/home/u/.gnupg", EACCES);
	fakefs_dir(fs, "/home/u/.password-store/site", true);
	cordon_policy *p = cordon_policy_new();
	assert_int_equal(cordon_policy_set_cwd(p, "/home/u/.password-store/site", NULL), CORDON_OK);
	cordon_resolved *r = resolve_in(p, fs);
	static const char *const hidden[] = {"/home/u/.ssh", "/data/aws", "/home/u/.docker/config.json",
					     "/home/u/.netrc"};
	assert_hidden(r, hidden, ARRAY_LENGTH(hidden));
	cordon_resolved_free(r);

	fakefs_fail(fs, "/home/u/.kube", EIO);
	cordon_error err;
	assert_int_equal(cordon_policy_resolve_with(p, fakefs_view(fs), &r, &err), CORDON_E_SYSTEM);
	assert_string_equal(err.message, "cannot resolve credential store /home/u/.kube: looking at "
					 "/home/u/.kube failed: Input/output error");
	cordon_policy_free(p);
	fakefs_free(fs);
}

static void full_access_hides_nothing_and_says_so(void **state)
{
	(void)state;
	fakefs *fs = home_fs();
	cordon_policy *p = cordon_policy_new();
	cordon_policy_set_mode(p, CORDON_MODE_FULL_ACCESS);
	cordon_resolved *r = resolve_in(p, fs);
	assert_hidden(r, NULL, 0);
	char *json = cordon_resolved_to_json(r);
	assert_non_null(strstr(json, "\"hidden\": []"));
	free(json);
	cordon_resolved_free(r);
	/* read-only hides them as workspace-write does */
	cordon_policy_set_mode(p, CORDON_MODE_READ_ONLY);
	r = resolve_in(p, fs);
	assert_int_equal(cordon_resolved_credential_count(r), 4);
	cordon_resolved_free(r);
	cordon_policy_free(p);
	fakefs_free(fs);
}

static cordon_code merge_from(cordon_policy *p, const char *text, const char *base_dir, cordon_error *err)
{
	return cordon_policy_merge_json_from(p, text, strlen(text), base_dir, err);
}

/* A policy file's relative paths are taken from the file's directory;
 * absolute ones, other keys, and what was there before are untouched. */
static void json_from_a_file_rebases_relative_paths(void **state)
{
	(void)state;
	cordon_policy *p = cordon_policy_new();
	cordon_error err;
	assert_int_equal(cordon_policy_add_writable_root(p, "given-before", NULL), CORDON_OK);
	static const char document[] =
		"{\"cwd\":\"../proj\",\"writable_roots\":[\"out\",\"/abs\"],"
		"\"deny_read\":[\"secrets/x\",\"/etc/shadow\"],\"protected_names\":[\".hg\"],"
		"\"allow_read_credentials\":[\".ssh\"]}";
	assert_int_equal(cordon_policy_merge_json_from(p, document, strlen(document), "/srv/conf", &err),
			 CORDON_OK);
	assert_string_equal(p->cwd, "/srv/conf/../proj");
	const char *const roots[] = {"given-before", "/srv/conf/out", "/abs"};
	assert_list(&p->writable_roots, roots, 3);
	const char *const deny[] = {"/srv/conf/secrets/x", "/etc/shadow"};
	assert_list(&p->deny_read, deny, 2);
	const char *const names[] = {".hg"};
	assert_list(&p->protected_names, names, 1);
	const char *const lifts[] = {".ssh"};
	assert_list(&p->credential_lifts, lifts, 1);
	/* a document without cwd leaves the cwd alone */
	assert_int_equal(cordon_policy_set_cwd(p, ".", NULL), CORDON_OK);
	assert_int_equal(merge_from(p, "{}", "/srv/conf", &err), CORDON_OK);
	assert_string_equal(p->cwd, ".");
	/* without a directory, paths stay as given (the process cwd's) */
	assert_int_equal(merge_from(p, "{\"cwd\":\"w\"}", NULL, &err), CORDON_OK);
	assert_string_equal(p->cwd, "w");
	assert_int_equal(merge_from(p, "{\"cwd\":\"v\"}", "conf", &err), CORDON_E_INVALID);
	assert_string_equal(
		err.message,
		"policy JSON: the directory relative paths are taken from (\"conf\") must be absolute");
	assert_string_equal(p->cwd, "w");
	/* a rejected document rebases nothing */
	assert_int_equal(merge_from(p, "{\"cwd\":\"x\",\"mode\":1}", "/srv", &err), CORDON_E_INVALID);
	assert_string_equal(p->cwd, "w");
	cordon_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_match_the_documentation),
		cmocka_unit_test(free_accepts_null),
		cmocka_unit_test(path_setters_refuse_a_leading_tilde),
		cmocka_unit_test(mode_and_network_setters_reject_out_of_range),
		cmocka_unit_test(protected_names_add_up_unless_cleared),
		cmocka_unit_test(protected_name_validation),
		cmocka_unit_test(domain_validation),
		cmocka_unit_test(domain_is_not_added_twice),
		cmocka_unit_test(path_setters_reject_empty),
		cmocka_unit_test(json_sets_every_key),
		cmocka_unit_test(json_values_of_enumerations),
		cmocka_unit_test(json_merges_on_top_of_what_is_there),
		cmocka_unit_test(json_without_protected_names_keeps_defaults),
		cmocka_unit_test(json_errors_name_the_key),
		cmocka_unit_test(json_parse_errors_give_line_and_column),
		cmocka_unit_test(rejected_document_changes_nothing),
		cmocka_unit_test(json_from_a_file_rebases_relative_paths),
		cmocka_unit_test(compat_bare_words),
		cmocka_unit_test(compat_seeds_shape),
		cmocka_unit_test(compat_cordon_shape),
		cmocka_unit_test(compat_errors_are_exact),
		cmocka_unit_test(compat_parse_error_is_framed),
		cmocka_unit_test(message_text_is_one_safe_line),
		cmocka_unit_test(credential_table_is_one_list_with_reasons),
		cmocka_unit_test(credential_defaults_hide_what_exists),
		cmocka_unit_test(credential_lift_lets_one_through),
		cmocka_unit_test(credential_lift_of_unknown_name_is_refused),
		cmocka_unit_test(credential_homes_follow_home_and_the_account),
		cmocka_unit_test(credential_stores_behind_links_and_failures),
		cmocka_unit_test(full_access_hides_nothing_and_says_so),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
