/* Policy documents: cordon's own JSON shape and the compatibility POLICY
 * argument (bare words, cordon shape, the seeds' {"type":...} shape).
 *
 * A document is applied to a scratch copy of the policy and swapped in
 * only when every key was accepted, so a rejected document changes
 * nothing. */
#include "policy_internal.h"
#include "policy_private.h"

#include "error.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include "winpath.h"
#endif

#define CORDON_KEYS                                                                                          \
	"mode, cwd, writable_roots, workspace_roots, protected_names, deny_read, allow_read_credentials, "   \
	"network, allowed_domains, tmp_writable, best_effort"
#define SEEDS_KEYS "type, writable_roots, network_access, exclude_tmpdir_env_var, exclude_slash_tmp"

/* A value from the document, made safe for a one-line message. */
static const char *shown(const char *text, char buffer[CORDON_MESSAGE_VALUE_MAX])
{
	cordon_message_text(text, buffer, CORDON_MESSAGE_VALUE_MAX);
	return buffer;
}

typedef cordon_code (*string_adder)(cordon_policy *policy, const char *value, cordon_error *err);

static cordon_code wrong_type(cordon_error *err, const char *key, const char *expected,
			      const cordon_json *value)
{
	return cordon_fail(err, CORDON_E_INVALID, "policy JSON: key \"%s\" must be %s, not %s", key, expected,
			   cordon_json_type_name(value->type));
}

static cordon_code expect_string(const cordon_json *value, const char *key, cordon_error *err)
{
	if (value->type != CORDON_JSON_STRING)
		return wrong_type(err, key, "a string", value);
	return CORDON_OK;
}

static cordon_code expect_bool(const cordon_json *value, const char *key, cordon_error *err)
{
	if (value->type != CORDON_JSON_BOOL)
		return wrong_type(err, key, "a boolean", value);
	return CORDON_OK;
}

/* Re-frames a setter's message so the user knows which key it came from. */
static cordon_code in_key(cordon_error *err, cordon_code code, const char *key)
{
	if (err == NULL)
		return code;
	char inner[CORDON_ERROR_MESSAGE_MAX];
	memcpy(inner, err->message, sizeof(inner));
	inner[sizeof(inner) - 1] = '\0';
	return cordon_fail(err, code, "policy JSON: key \"%s\": %s", key, inner);
}

static cordon_code add_strings(cordon_policy *policy, const cordon_json *value, const char *key,
			       string_adder add, cordon_error *err)
{
	if (value->type != CORDON_JSON_ARRAY)
		return wrong_type(err, key, "an array of strings", value);
	for (size_t i = 0; i < value->count; i++) {
		const cordon_json *item = value->items[i];
		if (item->type != CORDON_JSON_STRING)
			return cordon_fail(
				err, CORDON_E_INVALID,
				"policy JSON: key \"%s\" must be an array of strings, but item %lu is %s",
				key, (unsigned long)(i + 1), cordon_json_type_name(item->type));
		cordon_code code = add(policy, item->string, err);
		if (code != CORDON_OK)
			return in_key(err, code, key);
	}
	return CORDON_OK;
}

static cordon_code parse_document(const char *text, size_t length, cordon_json **out, cordon_error *err)
{
	char buffer[CORDON_MESSAGE_VALUE_MAX];
	cordon_json_error parse_error;
	memset(&parse_error, 0, sizeof(parse_error));
	if (!cordon_json_parse(text, length, out, &parse_error))
		return cordon_fail(err, CORDON_E_PARSE, "policy JSON: line %lu, column %lu: %s",
				   (unsigned long)parse_error.line, (unsigned long)parse_error.column,
				   shown(parse_error.message, buffer));
	if ((*out)->type != CORDON_JSON_OBJECT) {
		cordon_code code = cordon_fail(err, CORDON_E_INVALID,
					       "policy JSON: the document must be an object such as "
					       "{\"mode\": \"workspace-write\"}, not %s",
					       cordon_json_type_name((*out)->type));
		cordon_json_free(*out);
		*out = NULL;
		return code;
	}
	return CORDON_OK;
}

/* "mode" in cordon's shape and "type" in the seeds' differ only in the
 * key and in what full access is called. */
static cordon_code apply_mode_named(cordon_policy *policy, const cordon_json *value, const char *key,
				    const char *full_access_name, cordon_error *err)
{
	char buffer[CORDON_MESSAGE_VALUE_MAX];
	cordon_code code = expect_string(value, key, err);
	if (code != CORDON_OK)
		return code;
	if (strcmp(value->string, "read-only") == 0)
		policy->mode = CORDON_MODE_READ_ONLY;
	else if (strcmp(value->string, "workspace-write") == 0)
		policy->mode = CORDON_MODE_WORKSPACE_WRITE;
	else if (strcmp(value->string, full_access_name) == 0)
		policy->mode = CORDON_MODE_FULL_ACCESS;
	else
		return cordon_fail(err, CORDON_E_INVALID,
				   "policy JSON: key \"%s\" must be \"read-only\", \"workspace-write\" or "
				   "\"%s\", not \"%s\"",
				   key, full_access_name, shown(value->string, buffer));
	return CORDON_OK;
}

static cordon_code apply_mode(cordon_policy *policy, const cordon_json *value, cordon_error *err)
{
	return apply_mode_named(policy, value, "mode", "full-access", err);
}

static cordon_code apply_network(cordon_policy *policy, const cordon_json *value, cordon_error *err)
{
	char buffer[CORDON_MESSAGE_VALUE_MAX];
	cordon_code code = expect_string(value, "network", err);
	if (code != CORDON_OK)
		return code;
	if (strcmp(value->string, "off") == 0)
		policy->network = CORDON_NETWORK_OFF;
	else if (strcmp(value->string, "on") == 0)
		policy->network = CORDON_NETWORK_ON;
	else if (strcmp(value->string, "proxy") == 0)
		policy->network = CORDON_NETWORK_PROXY;
	else
		return cordon_fail(
			err, CORDON_E_INVALID,
			"policy JSON: key \"network\" must be \"off\", \"on\" or \"proxy\", not \"%s\"",
			shown(value->string, buffer));
	return CORDON_OK;
}

static cordon_code apply_cordon_member(cordon_policy *policy, const cordon_json *member, cordon_error *err)
{
	const char *key = member->key;
	cordon_code code;
	if (strcmp(key, "mode") == 0)
		return apply_mode(policy, member, err);
	if (strcmp(key, "network") == 0)
		return apply_network(policy, member, err);
	if (strcmp(key, "cwd") == 0) {
		code = expect_string(member, key, err);
		if (code == CORDON_OK &&
		    (code = cordon_policy_set_cwd(policy, member->string, err)) != CORDON_OK)
			return in_key(err, code, key);
		return code;
	}
	if (strcmp(key, "writable_roots") == 0 || strcmp(key, "workspace_roots") == 0)
		return add_strings(policy, member, key, cordon_policy_add_writable_root, err);
	if (strcmp(key, "protected_names") == 0) {
		if (member->type != CORDON_JSON_ARRAY)
			return wrong_type(err, key, "an array of strings", member);
		cordon_policy_clear_protected_names(policy);
		return add_strings(policy, member, key, cordon_policy_add_protected_name, err);
	}
	if (strcmp(key, "deny_read") == 0)
		return add_strings(policy, member, key, cordon_policy_add_deny_read, err);
	if (strcmp(key, "allow_read_credentials") == 0)
		return add_strings(policy, member, key, cordon_policy_allow_read_credential, err);
	if (strcmp(key, "allowed_domains") == 0)
		return add_strings(policy, member, key, cordon_policy_add_allowed_domain, err);
	if (strcmp(key, "tmp_writable") == 0) {
		code = expect_bool(member, key, err);
		if (code == CORDON_OK)
			policy->tmp_writable = member->boolean;
		return code;
	}
	if (strcmp(key, "best_effort") == 0) {
		code = expect_bool(member, key, err);
		if (code == CORDON_OK)
			policy->best_effort = member->boolean;
		return code;
	}
	char buffer[CORDON_MESSAGE_VALUE_MAX];
	return cordon_fail(err, CORDON_E_INVALID,
			   "policy JSON: unknown key \"%s\"; valid keys are " CORDON_KEYS,
			   shown(key, buffer));
}

static cordon_code apply_seeds_type(cordon_policy *policy, const cordon_json *value, cordon_error *err)
{
	return apply_mode_named(policy, value, "type", "danger-full-access", err);
}

static cordon_code apply_seeds_member(cordon_policy *policy, const cordon_json *member, cordon_error *err)
{
	const char *key = member->key;
	cordon_code code;
	if (strcmp(key, "type") == 0)
		return apply_seeds_type(policy, member, err);
	if (strcmp(key, "writable_roots") == 0)
		return add_strings(policy, member, key, cordon_policy_add_writable_root, err);
	bool *flag = NULL;
	if (strcmp(key, "exclude_tmpdir_env_var") == 0) {
		flag = &policy->tmp_exclude_env;
	} else if (strcmp(key, "exclude_slash_tmp") == 0) {
		flag = &policy->tmp_exclude_slash;
	} else if (strcmp(key, "network_access") == 0) {
		code = expect_bool(member, key, err);
		if (code == CORDON_OK)
			policy->network = member->boolean ? CORDON_NETWORK_ON : CORDON_NETWORK_OFF;
		return code;
	} else {
		char buffer[CORDON_MESSAGE_VALUE_MAX];
		return cordon_fail(err, CORDON_E_INVALID,
				   "policy JSON: unknown key \"%s\" in a {\"type\": ...} policy; valid keys "
				   "are " SEEDS_KEYS,
				   shown(key, buffer));
	}
	code = expect_bool(member, key, err);
	if (code == CORDON_OK)
		*flag = member->boolean;
	return code;
}

typedef cordon_code (*member_applier)(cordon_policy *policy, const cordon_json *member, cordon_error *err);

static bool is_relative(const char *path)
{
#ifdef _WIN32
	return winpath_classify(path).kind == WINPATH_RELATIVE;
#else
	return path[0] != '/';
#endif
}

/* Replaces *path by base_dir/path when it is relative. */
static bool rebase_path(char **path, const char *base_dir)
{
	if (*path == NULL || !is_relative(*path))
		return true;
#ifdef _WIN32
	const char separator = '\\';
#else
	const char separator = '/';
#endif
	size_t length = strlen(base_dir) + 1 + strlen(*path) + 1;
	char *joined = malloc(length);
	if (joined == NULL)
		return false;
	snprintf(joined, length, "%s%c%s", base_dir, separator, *path);
	free(*path);
	*path = joined;
	return true;
}

static bool rebase_from(cordon_strlist *list, size_t first, const char *base_dir)
{
	for (size_t i = first; i < list->count; i++)
		if (!rebase_path(&list->items[i], base_dir))
			return false;
	return true;
}

/* base_dir, when not NULL, is where the relative paths of this document
 * (cwd, roots, deny-read paths) are taken from; only what the document
 * itself added is rebased. */
static cordon_code apply_object(cordon_policy *policy, const cordon_json *object, member_applier apply,
				const char *base_dir, cordon_error *err)
{
	cordon_policy scratch;
	if (!cordon_policy_copy_into(&scratch, policy))
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while reading the policy JSON");
	size_t roots_before = scratch.writable_roots.count;
	size_t deny_before = scratch.deny_read.count;
	for (size_t i = 0; i < object->count; i++) {
		cordon_code code = apply(&scratch, object->items[i], err);
		if (code != CORDON_OK) {
			cordon_policy_release_contents(&scratch);
			return code;
		}
	}
	if (base_dir != NULL &&
	    ((cordon_json_get(object, "cwd") != NULL && !rebase_path(&scratch.cwd, base_dir)) ||
	     !rebase_from(&scratch.writable_roots, roots_before, base_dir) ||
	     !rebase_from(&scratch.deny_read, deny_before, base_dir))) {
		cordon_policy_release_contents(&scratch);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while reading the policy JSON");
	}
	cordon_policy_release_contents(policy);
	*policy = scratch;
	return CORDON_OK;
}

cordon_code cordon_policy_merge_json(cordon_policy *policy, const char *text, size_t length,
				     cordon_error *err)
{
	return cordon_policy_merge_json_from(policy, text, length, NULL, err);
}

cordon_code cordon_policy_merge_json_from(cordon_policy *policy, const char *text, size_t length,
					  const char *base_dir, cordon_error *err)
{
	if (base_dir != NULL && is_relative(base_dir)) {
		char buffer[CORDON_MESSAGE_VALUE_MAX];
		return cordon_fail(
			err, CORDON_E_INVALID,
			"policy JSON: the directory relative paths are taken from (\"%s\") must be "
			"absolute",
			shown(base_dir, buffer));
	}
	cordon_json *document = NULL;
	cordon_code code = parse_document(text, length, &document, err);
	if (code != CORDON_OK)
		return code;
	code = apply_object(policy, document, apply_cordon_member, base_dir, err);
	cordon_json_free(document);
	return code;
}

static bool starts_like_json_object(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	return *text == '{';
}

cordon_code cordon_policy_merge_compat(cordon_policy *policy, const char *argument, cordon_error *err)
{
	if (argument == NULL)
		argument = "";
	cordon_mode mode;
	if (strcmp(argument, "read-only") == 0)
		mode = CORDON_MODE_READ_ONLY;
	else if (strcmp(argument, "workspace-write") == 0)
		mode = CORDON_MODE_WORKSPACE_WRITE;
	else if (strcmp(argument, "danger-full-access") == 0 || strcmp(argument, "full-access") == 0)
		mode = CORDON_MODE_FULL_ACCESS;
	else if (starts_like_json_object(argument)) {
		cordon_json *document = NULL;
		cordon_code code = parse_document(argument, strlen(argument), &document, err);
		if (code != CORDON_OK)
			return code;
		member_applier apply =
			cordon_json_get(document, "type") != NULL ? apply_seeds_member : apply_cordon_member;
		code = apply_object(policy, document, apply, NULL, err);
		cordon_json_free(document);
		return code;
	} else {
		char buffer[CORDON_MESSAGE_VALUE_MAX];
		return cordon_fail(err, CORDON_E_INVALID,
				   "sandbox policy \"%s\" is not understood: POLICY may be read-only, "
				   "workspace-write, danger-full-access, or a JSON object such as "
				   "{\"type\":\"workspace-write\",\"writable_roots\":[\"/path\"]}",
				   shown(argument, buffer));
	}
	policy->mode = mode;
	return CORDON_OK;
}
