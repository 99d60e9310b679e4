/* The requested policy: defaults, setters that validate what they are
 * given, and getters. Nothing here looks at the filesystem; resolve.c does. */
#include "policy_internal.h"
#include "policy_private.h"

#include "credentials.h"
#include "error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_protected_names[] = {CORDON_DEFAULT_PROTECTED};

cordon_policy *cordon_policy_new(void)
{
	cordon_policy *policy = calloc(1, sizeof(*policy));
	if (policy == NULL)
		return NULL;
	policy->mode = CORDON_MODE_WORKSPACE_WRITE;
	policy->network = CORDON_NETWORK_OFF;
	policy->tmp_writable = true;
	policy->best_effort = false;
	policy->cwd = strdup(".");
	if (policy->cwd == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(default_protected_names) / sizeof(default_protected_names[0]); i++)
		if (!cordon_strlist_push(&policy->protected_names, default_protected_names[i]))
			goto fail;
	return policy;
fail:
	cordon_policy_free(policy);
	return NULL;
}

void cordon_policy_release_contents(cordon_policy *policy)
{
	free(policy->cwd);
	policy->cwd = NULL;
	cordon_strlist_clear(&policy->writable_roots);
	cordon_strlist_clear(&policy->protected_names);
	cordon_strlist_clear(&policy->deny_read);
	cordon_strlist_clear(&policy->credential_lifts);
	cordon_strlist_clear(&policy->allowed_domains);
}

void cordon_policy_free(cordon_policy *policy)
{
	if (policy == NULL)
		return;
	cordon_policy_release_contents(policy);
	free(policy);
}

bool cordon_policy_copy_into(cordon_policy *dst, const cordon_policy *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->mode = src->mode;
	dst->network = src->network;
	dst->tmp_writable = src->tmp_writable;
	dst->tmp_exclude_env = src->tmp_exclude_env;
	dst->tmp_exclude_slash = src->tmp_exclude_slash;
	dst->best_effort = src->best_effort;
	if (src->cwd != NULL) {
		dst->cwd = strdup(src->cwd);
		if (dst->cwd == NULL)
			goto fail;
	}
	if (!cordon_strlist_copy(&dst->writable_roots, &src->writable_roots) ||
	    !cordon_strlist_copy(&dst->protected_names, &src->protected_names) ||
	    !cordon_strlist_copy(&dst->deny_read, &src->deny_read) ||
	    !cordon_strlist_copy(&dst->credential_lifts, &src->credential_lifts) ||
	    !cordon_strlist_copy(&dst->allowed_domains, &src->allowed_domains))
		goto fail;
	return true;
fail:
	cordon_policy_release_contents(dst);
	return false;
}

void cordon_message_text(const char *text, char *out, size_t size)
{
	static const char ellipsis[] = "...";
	if (size == 0)
		return;
	size_t used = 0;
	size_t room_for_ellipsis = 0; /* the longest prefix that still leaves room for "..." */
	bool truncated = false;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		char piece[5] = {(char)*c, '\0'};
		if (*c == '\n')
			memcpy(piece, "\\n", 3);
		else if (*c == '\t')
			memcpy(piece, "\\t", 3);
		else if (*c == '\r')
			memcpy(piece, "\\r", 3);
		else if (*c < 0x20 || *c == 0x7f)
			snprintf(piece, sizeof(piece), "\\x%02x", *c);
		size_t length = strlen(piece);
		if (used + length + 1 > size) {
			truncated = true;
			break;
		}
		memcpy(out + used, piece, length);
		used += length;
		if (used + sizeof(ellipsis) <= size)
			room_for_ellipsis = used;
	}
	if (truncated && size >= sizeof(ellipsis)) {
		memcpy(out + room_for_ellipsis, ellipsis, sizeof(ellipsis));
		return;
	}
	out[used] = '\0';
}

static cordon_code out_of_memory(cordon_error *err)
{
	return cordon_fail(err, CORDON_E_NOMEM, "out of memory while building the policy");
}

cordon_code cordon_policy_set_mode(cordon_policy *policy, cordon_mode mode)
{
	if (policy == NULL)
		return CORDON_E_INVALID;
	switch (mode) {
	case CORDON_MODE_READ_ONLY:
	case CORDON_MODE_WORKSPACE_WRITE:
	case CORDON_MODE_FULL_ACCESS: policy->mode = mode; return CORDON_OK;
	}
	return CORDON_E_INVALID;
}

/* No shell stands between a policy document (or a quoted option) and
 * cordon, so "~/.ssh" would name a directory called "~": a deny-read path
 * that silently hides nothing. Refused instead. */
static cordon_code refuse_tilde(const char *path, const char *what, cordon_error *err)
{
	if (path[0] != '~')
		return CORDON_OK;
	char shown[CORDON_MESSAGE_VALUE_MAX];
	cordon_message_text(path, shown, sizeof(shown));
	return cordon_fail(err, CORDON_E_INVALID,
			   "%s \"%s\" starts with '~', which cordon does not expand: give the absolute "
			   "path (a name that really starts with '~' can be written ./%s)",
			   what, shown, shown);
}

cordon_code cordon_policy_set_cwd(cordon_policy *policy, const char *dir, cordon_error *err)
{
	if (dir == NULL || dir[0] == '\0')
		return cordon_fail(
			err, CORDON_E_INVALID,
			"working directory is empty: give a directory such as . or /path/to/project");
	cordon_code code = refuse_tilde(dir, "working directory", err);
	if (code != CORDON_OK)
		return code;
	char *copy = strdup(dir);
	if (copy == NULL)
		return out_of_memory(err);
	free(policy->cwd);
	policy->cwd = copy;
	return CORDON_OK;
}

cordon_code cordon_policy_add_writable_root(cordon_policy *policy, const char *dir, cordon_error *err)
{
	if (dir == NULL || dir[0] == '\0')
		return cordon_fail(err, CORDON_E_INVALID, "writable root is empty: give a directory path");
	cordon_code code = refuse_tilde(dir, "writable root", err);
	if (code != CORDON_OK)
		return code;
	if (!cordon_strlist_push(&policy->writable_roots, dir))
		return out_of_memory(err);
	return CORDON_OK;
}

cordon_code cordon_policy_add_protected_name(cordon_policy *policy, const char *name, cordon_error *err)
{
	if (name == NULL || name[0] == '\0')
		return cordon_fail(err, CORDON_E_INVALID,
				   "protected name is empty: give a name such as .git");
	char shown[CORDON_MESSAGE_VALUE_MAX];
	cordon_message_text(name, shown, sizeof(shown));
	if (strchr(name, '/') != NULL)
		return cordon_fail(
			err, CORDON_E_INVALID,
			"protected name \"%s\" contains '/': give a plain file or directory name such "
			"as .git, not a path",
			shown);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cordon_fail(err, CORDON_E_INVALID,
				   "protected name \"%s\" is not a file name: give a name such as .git",
				   shown);
	if (cordon_strlist_contains(&policy->protected_names, name))
		return CORDON_OK;
	if (!cordon_strlist_push(&policy->protected_names, name))
		return out_of_memory(err);
	return CORDON_OK;
}

void cordon_policy_clear_protected_names(cordon_policy *policy)
{
	cordon_strlist_clear(&policy->protected_names);
}

cordon_code cordon_policy_add_deny_read(cordon_policy *policy, const char *path, cordon_error *err)
{
	if (path == NULL || path[0] == '\0')
		return cordon_fail(err, CORDON_E_INVALID,
				   "deny-read path is empty: give a file or directory path");
	cordon_code code = refuse_tilde(path, "deny-read path", err);
	if (code != CORDON_OK)
		return code;
	if (!cordon_strlist_push(&policy->deny_read, path))
		return out_of_memory(err);
	return CORDON_OK;
}

cordon_code cordon_policy_allow_read_credential(cordon_policy *policy, const char *name, cordon_error *err)
{
	char *lift = NULL;
	cordon_code code = cordon_credential_lift_normalize(name, &lift, err);
	if (code != CORDON_OK)
		return code;
	bool ok = cordon_strlist_contains(&policy->credential_lifts, lift) ||
		  cordon_strlist_push(&policy->credential_lifts, lift);
	free(lift);
	return ok ? CORDON_OK : out_of_memory(err);
}

cordon_code cordon_policy_set_network(cordon_policy *policy, cordon_network network)
{
	if (policy == NULL)
		return CORDON_E_INVALID;
	switch (network) {
	case CORDON_NETWORK_OFF:
	case CORDON_NETWORK_ON:
	case CORDON_NETWORK_PROXY: policy->network = network; return CORDON_OK;
	}
	return CORDON_E_INVALID;
}

/* RFC 1123 labels: letters, digits and '-', 1..63 bytes, no '-' at either
 * end. The name has already been lower-cased. */
static bool is_valid_label(const char *label, size_t length)
{
	if (length == 0 || length > 63)
		return false;
	if (label[0] == '-' || label[length - 1] == '-')
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)label[i];
		if (!(islower(c) || isdigit(c) || c == '-'))
			return false;
	}
	return true;
}

static bool is_valid_host_pattern(const char *name)
{
	const char *host = name;
	if (strncmp(host, "*.", 2) == 0)
		host += 2;
	size_t total = strlen(host);
	if (total == 0 || total > 253)
		return false;
	const char *label = host;
	for (;;) {
		const char *dot = strchr(label, '.');
		size_t length = dot ? (size_t)(dot - label) : strlen(label);
		if (!is_valid_label(label, length))
			return false;
		if (dot == NULL)
			return true;
		label = dot + 1;
	}
}

cordon_code cordon_policy_add_allowed_domain(cordon_policy *policy, const char *domain, cordon_error *err)
{
	if (domain == NULL || domain[0] == '\0')
		return cordon_fail(
			err, CORDON_E_INVALID,
			"allowed domain is empty: give a host name such as example.org or *.example.org");
	char *lower = strdup(domain);
	if (lower == NULL)
		return out_of_memory(err);
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!is_valid_host_pattern(lower)) {
		free(lower);
		char shown[CORDON_MESSAGE_VALUE_MAX];
		cordon_message_text(domain, shown, sizeof(shown));
		return cordon_fail(
			err, CORDON_E_INVALID,
			"allowed domain \"%s\" is not a host name: use letters, digits, '-' and '.', "
			"optionally starting with \"*.\" (for example *.example.org)",
			shown);
	}
	bool ok = cordon_strlist_contains(&policy->allowed_domains, lower) ||
		  cordon_strlist_push(&policy->allowed_domains, lower);
	free(lower);
	return ok ? CORDON_OK : out_of_memory(err);
}

void cordon_policy_set_tmp_writable(cordon_policy *policy, bool writable)
{
	policy->tmp_writable = writable;
}

void cordon_policy_set_best_effort(cordon_policy *policy, bool best_effort)
{
	policy->best_effort = best_effort;
}

cordon_mode cordon_policy_mode(const cordon_policy *policy)
{
	return policy->mode;
}

cordon_network cordon_policy_network(const cordon_policy *policy)
{
	return policy->network;
}
