#include "windows/plan/setup_plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "core/sha256.h"
#include "core/winpath.h"

/* Where Windows programs keep credentials under the profile, which the
 * shared (Unix-named) list cannot name, and cordon's own state. */
static const char *const windows_credential_stores[] = {
	"AppData/Roaming/Microsoft/Credentials", /* Credential Manager */
	"AppData/Local/Microsoft/Credentials",
	"AppData/Roaming/Microsoft/Vault",
	"AppData/Local/Microsoft/Vault",
	"AppData/Roaming/Microsoft/Protect", /* the user's DPAPI master keys */
	"AppData/Roaming/GitHub CLI",	     /* gh's hosts.yml on Windows */
	"AppData/Roaming/gcloud",
	"AppData/Roaming/rclone",
	"AppData/Local/Google/Chrome/User Data",
	"AppData/Local/Microsoft/Edge/User Data",
	"AppData/Roaming/Mozilla/Firefox/Profiles",
	/* cordon's own state directory (%LOCALAPPDATA%\cordon): the setup
	 * folder is protected anyway, but the install secret, the run log and
	 * the workspaces' ACL records are no business of the sandbox
	 * accounts either. */
	"AppData/Local/cordon",
};

#define WINDOWS_STORE_COUNT (sizeof(windows_credential_stores) / sizeof(windows_credential_stores[0]))

static const char *const default_system_dirs[] = {
	"C:\\Windows",
	"C:\\Program Files",
	"C:\\Program Files (x86)",
	"C:\\ProgramData",
};

#define SYSTEM_DIR_COUNT (sizeof(default_system_dirs) / sizeof(default_system_dirs[0]))

size_t cordon_default_system_dir_count(void)
{
	return SYSTEM_DIR_COUNT;
}

const char *cordon_default_system_dir(size_t index)
{
	return index < SYSTEM_DIR_COUNT ? default_system_dirs[index] : NULL;
}

/* ------------------------------------------------------------ building */

static void hash_text(cordon_sha256_ctx *ctx, const char *text)
{
	cordon_sha256_update(ctx, text, strlen(text));
	cordon_sha256_update(ctx, "\n", 1);
}

/* Over what setup wants in place, not over what exists: the same inputs
 * give the same fingerprint on every machine and every run. */
static void fingerprint_plan(cordon_setup_plan *plan)
{
	cordon_sha256_ctx ctx;
	uint8_t digest[32];
	char line[256];
	char guid[CORDON_GUID_STRING_SIZE];
	cordon_guid key;

	cordon_sha256_init(&ctx);
	hash_text(&ctx, "cordon-setup-v1");
	hash_text(&ctx, CORDON_SANDBOX_GROUP);
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		const cordon_account_spec *spec = cordon_account_spec_of((cordon_sandbox_account)i);

		snprintf(line, sizeof(line), "account|%s|%08lx", spec->name, (unsigned long)spec->flags);
		hash_text(&ctx, line);
	}
	key = cordon_wfp_provider_key();
	cordon_guid_format(&key, guid);
	hash_text(&ctx, guid);
	key = cordon_wfp_sublayer_key();
	cordon_guid_format(&key, guid);
	snprintf(line, sizeof(line), "%s|%u", guid, CORDON_WFP_SUBLAYER_WEIGHT);
	hash_text(&ctx, line);
	for (size_t i = 0; i < plan->wfp.filter_count; i++) {
		char hex[65];

		cordon_wfp_filter_fingerprint(&plan->wfp.filters[i], NULL, hex);
		hash_text(&ctx, hex);
	}
	for (size_t i = 0; i < plan->grants.grant_count; i++) {
		const cordon_read_grant *g = &plan->grants.grants[i];

		snprintf(line, sizeof(line), "grant|%s|%d|", cordon_read_grant_kind_name(g->kind),
			 g->is_directory);
		cordon_sha256_update(&ctx, line, strlen(line));
		hash_text(&ctx, g->path);
	}
	snprintf(line, sizeof(line), "proxy|%u", (unsigned)plan->proxy_port);
	hash_text(&ctx, line);
	cordon_sha256_final(&ctx, digest);
	for (size_t i = 0; i < 32; i++)
		snprintf(plan->fingerprint + 2 * i, 3, "%02x", digest[i]);
}

static void count_steps(cordon_setup_plan *plan)
{
	plan->step_count = plan->accounts.step_count + plan->wfp.step_count + plan->grants.step_count;
}

/* The shared list followed by the Windows-only stores; allocated. */
static const char **all_stores(const char *const *shared, size_t shared_count)
{
	const char **all = malloc((shared_count + WINDOWS_STORE_COUNT + 1) * sizeof(*all));

	if (!all)
		return NULL;
	for (size_t i = 0; i < shared_count; i++)
		all[i] = shared[i];
	for (size_t i = 0; i < WINDOWS_STORE_COUNT; i++)
		all[shared_count + i] = windows_credential_stores[i];
	return all;
}

cordon_code cordon_setup_dirs_to_list(const char *profile_dir, const char *const *credential_stores,
				      size_t credential_store_count, char ***dirs, size_t *dir_count,
				      cordon_error *err)
{
	const char **all;
	cordon_code code;

	*dirs = NULL;
	*dir_count = 0;
	if (credential_store_count && !credential_stores)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan setup: credential-store list missing");
	all = all_stores(credential_stores, credential_store_count);
	if (!all)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot plan setup: out of memory");
	code = cordon_read_grant_split_dirs(profile_dir, all, credential_store_count + WINDOWS_STORE_COUNT,
					    dirs, dir_count, err);
	free(all);
	return code;
}

cordon_code cordon_setup_plan_build(const cordon_setup_inputs *inputs, const cordon_setup_state *state,
				    cordon_setup_plan *plan, cordon_error *err)
{
	cordon_read_grant_inputs grant_inputs;
	const char **excluded;
	const char *offline_sid;
	cordon_code code;

	if (!plan)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan setup: no plan given");
	memset(plan, 0, sizeof(*plan));
	if (!inputs || !state || (inputs->credential_store_count && !inputs->credential_stores))
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan setup: inputs missing");
	plan->proxy_port = inputs->proxy_port;

	cordon_account_plan_build(&state->accounts, &plan->accounts);
	/* A filter can only match the SID the account has now; one that is
	 * being created has none yet, so every filter is (re)added. */
	offline_sid =
		state->accounts.accounts[CORDON_ACCOUNT_OFFLINE].exists && !plan->accounts.offline_sid_changes
			? state->accounts.accounts[CORDON_ACCOUNT_OFFLINE].sid
			: NULL;
	code = cordon_wfp_plan_build(CORDON_OFFLINE_ACCOUNT, offline_sid, inputs->proxy_port, &state->wfp,
				     &plan->wfp, err);
	if (code != CORDON_OK)
		return code;

	excluded = all_stores(inputs->credential_stores, inputs->credential_store_count);
	if (!excluded) {
		cordon_setup_plan_free(plan);
		return cordon_fail(err, CORDON_E_NOMEM, "cannot plan setup: out of memory");
	}
	memset(&grant_inputs, 0, sizeof(grant_inputs));
	grant_inputs.profile_dir = inputs->profile_dir;
	grant_inputs.entries = inputs->profile_entries;
	grant_inputs.entry_count = inputs->profile_entry_count;
	grant_inputs.excluded = excluded;
	grant_inputs.excluded_count = inputs->credential_store_count + WINDOWS_STORE_COUNT;
	grant_inputs.roots = inputs->roots;
	grant_inputs.root_count = inputs->root_count;
	grant_inputs.system_dirs = inputs->system_dirs;
	grant_inputs.system_dir_count = inputs->system_dir_count;
	code = cordon_read_grant_plan_build(&grant_inputs, state->grants, state->grant_count, &plan->grants,
					    err);
	free(excluded);
	if (code != CORDON_OK) {
		cordon_setup_plan_free(plan);
		return code;
	}
	count_steps(plan);
	fingerprint_plan(plan);
	return CORDON_OK;
}

cordon_code cordon_setup_plan_uninstall(const cordon_setup_record *record, cordon_setup_plan *plan,
					cordon_error *err)
{
	cordon_code code;

	if (!plan)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan uninstall: no plan given");
	memset(plan, 0, sizeof(*plan));
	if (!record)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan uninstall: no setup record given");
	plan->uninstall = true;
	plan->proxy_port = record->proxy_port;
	/* Network filters first: the account they name goes last. */
	code = cordon_wfp_plan_uninstall(record->filter_keys, record->filter_count, record->wfp_sublayer,
					 record->wfp_provider, &plan->wfp, err);
	if (code == CORDON_OK)
		code = cordon_read_grant_plan_uninstall(record->grants, record->grant_count, &plan->grants,
							err);
	if (code != CORDON_OK) {
		cordon_setup_plan_free(plan);
		return code;
	}
	cordon_account_plan_uninstall(&record->accounts, &plan->accounts);
	count_steps(plan);
	return CORDON_OK;
}

void cordon_setup_plan_free(cordon_setup_plan *plan)
{
	if (!plan)
		return;
	cordon_wfp_plan_free(&plan->wfp);
	cordon_read_grant_plan_free(&plan->grants);
	plan->step_count = 0;
}

/* -------------------------------------------------------------- record */

static char *copy_text(const char *s)
{
	size_t length = strlen(s) + 1;
	char *copy = malloc(length);

	if (copy)
		memcpy(copy, s, length);
	return copy;
}

void cordon_setup_record_free(cordon_setup_record *record)
{
	if (!record)
		return;
	free(record->filter_keys);
	for (size_t i = 0; i < record->grant_count; i++)
		free((char *)record->grants[i].path);
	free(record->grants);
	for (size_t i = 0; i < record->root_count; i++)
		free(record->roots[i]);
	free(record->roots);
	memset(record, 0, sizeof(*record));
}

static cordon_code record_nomem(cordon_setup_record *record, cordon_error *err)
{
	cordon_setup_record_free(record);
	return cordon_fail(err, CORDON_E_NOMEM, "cannot make setup's record: out of memory");
}

static bool record_alloc(cordon_setup_record *record, size_t filters, size_t grants, size_t roots)
{
	record->filter_keys = calloc(filters + 1, sizeof(*record->filter_keys));
	record->grants = calloc(grants + 1, sizeof(*record->grants));
	record->roots = calloc(roots + 1, sizeof(*record->roots));
	return record->filter_keys && record->grants && record->roots;
}

cordon_code cordon_setup_record_from_plan(const cordon_setup_plan *plan, const cordon_setup_inputs *inputs,
					  cordon_setup_record *record, cordon_error *err)
{
	if (!record)
		return cordon_fail(err, CORDON_E_INVALID, "cannot make setup's record: no record given");
	memset(record, 0, sizeof(*record));
	if (!plan || plan->uninstall || !inputs)
		return cordon_fail(err, CORDON_E_INVALID, "cannot make setup's record: no setup plan given");
	memcpy(record->fingerprint, plan->fingerprint, sizeof(record->fingerprint));
	record->proxy_port = plan->proxy_port;
	record->accounts.group = true;
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++)
		record->accounts.accounts[i] = true;
	record->wfp_provider = true;
	record->wfp_sublayer = true;
	if (!record_alloc(record, plan->wfp.filter_count, plan->grants.grant_count, inputs->root_count))
		return record_nomem(record, err);
	for (size_t i = 0; i < plan->wfp.filter_count; i++)
		record->filter_keys[record->filter_count++] = plan->wfp.filters[i].key;
	for (size_t i = 0; i < plan->grants.grant_count; i++) {
		const cordon_read_grant *g = &plan->grants.grants[i];
		cordon_read_grant_state *out = &record->grants[record->grant_count];

		out->path = copy_text(g->path);
		if (!out->path)
			return record_nomem(record, err);
		out->kind = g->kind;
		out->is_directory = g->is_directory;
		record->grant_count++;
	}
	for (size_t i = 0; i < inputs->root_count; i++) {
		record->roots[i] = copy_text(inputs->roots[i]);
		if (!record->roots[i])
			return record_nomem(record, err);
		record->root_count++;
	}
	return CORDON_OK;
}

char *cordon_setup_record_render(const cordon_setup_record *record)
{
	cordon_json_writer w;
	char guid[CORDON_GUID_STRING_SIZE];

	cordon_json_writer_init(&w, true);
	cordon_json_begin_object(&w);
	cordon_json_key(&w, "version");
	cordon_json_int(&w, 1);
	cordon_json_key(&w, "fingerprint");
	cordon_json_string(&w, record->fingerprint);
	cordon_json_key(&w, "proxy_port");
	cordon_json_int(&w, record->proxy_port);
	cordon_json_key(&w, "group");
	cordon_json_bool(&w, record->accounts.group);
	cordon_json_key(&w, "accounts");
	cordon_json_begin_array(&w);
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++)
		if (record->accounts.accounts[i])
			cordon_json_string(&w, cordon_account_spec_of((cordon_sandbox_account)i)->name);
	cordon_json_end_array(&w);
	cordon_json_key(&w, "wfp_provider");
	cordon_json_bool(&w, record->wfp_provider);
	cordon_json_key(&w, "wfp_sublayer");
	cordon_json_bool(&w, record->wfp_sublayer);
	cordon_json_key(&w, "wfp_filters");
	cordon_json_begin_array(&w);
	for (size_t i = 0; i < record->filter_count; i++) {
		cordon_guid_format(&record->filter_keys[i], guid);
		cordon_json_string(&w, guid);
	}
	cordon_json_end_array(&w);
	cordon_json_key(&w, "read_grants");
	cordon_json_begin_array(&w);
	for (size_t i = 0; i < record->grant_count; i++) {
		cordon_json_begin_object(&w);
		cordon_json_key(&w, "path");
		cordon_json_string(&w, record->grants[i].path);
		cordon_json_key(&w, "kind");
		cordon_json_string(&w, cordon_read_grant_kind_name(record->grants[i].kind));
		cordon_json_key(&w, "directory");
		cordon_json_bool(&w, record->grants[i].is_directory);
		cordon_json_end_object(&w);
	}
	cordon_json_end_array(&w);
	cordon_json_key(&w, "roots");
	cordon_json_begin_array(&w);
	for (size_t i = 0; i < record->root_count; i++)
		cordon_json_string(&w, record->roots[i]);
	cordon_json_end_array(&w);
	cordon_json_end_object(&w);
	return cordon_json_writer_finish(&w);
}

static cordon_code bad_record(cordon_setup_record *record, cordon_error *err, const char *what)
{
	cordon_setup_record_free(record);
	return cordon_fail(err, CORDON_E_INVALID,
			   "cannot read setup's record: %s; run 'cordon setup' again to rewrite it", what);
}

static const cordon_json *member(const cordon_json *object, const char *key, cordon_json_type type)
{
	const cordon_json *value = cordon_json_get(object, key);

	return value && value->type == type ? value : NULL;
}

cordon_code cordon_setup_record_parse(const char *text, size_t length, cordon_setup_record *record,
				      cordon_error *err)
{
	cordon_json *root = NULL;
	cordon_json_error parse_error;
	const cordon_json *fingerprint, *port, *group, *accounts, *provider, *sublayer, *filters, *grants,
		*roots;
	cordon_code code = CORDON_OK;

	if (!record)
		return cordon_fail(err, CORDON_E_INVALID, "cannot read setup's record: no record given");
	memset(record, 0, sizeof(*record));
	if (!cordon_json_parse(text, length, &root, &parse_error))
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot read setup's record: line %lu column %lu: %s; run 'cordon setup' again "
			"to rewrite it",
			(unsigned long)parse_error.line, (unsigned long)parse_error.column,
			parse_error.message);
	fingerprint = member(root, "fingerprint", CORDON_JSON_STRING);
	port = member(root, "proxy_port", CORDON_JSON_NUMBER);
	group = member(root, "group", CORDON_JSON_BOOL);
	accounts = member(root, "accounts", CORDON_JSON_ARRAY);
	provider = member(root, "wfp_provider", CORDON_JSON_BOOL);
	sublayer = member(root, "wfp_sublayer", CORDON_JSON_BOOL);
	filters = member(root, "wfp_filters", CORDON_JSON_ARRAY);
	grants = member(root, "read_grants", CORDON_JSON_ARRAY);
	roots = member(root, "roots", CORDON_JSON_ARRAY);
	if (root->type != CORDON_JSON_OBJECT || !fingerprint || !port || !group || !accounts || !provider ||
	    !sublayer || !filters || !grants || !roots || fingerprint->string_length != 64 ||
	    port->number < 1 || port->number > 65535 || port->number != (double)(uint16_t)port->number) {
		cordon_json_free(root);
		return bad_record(record, err, "a member is missing or has the wrong type");
	}
	memcpy(record->fingerprint, fingerprint->string, 65);
	record->proxy_port = (uint16_t)port->number;
	record->accounts.group = group->boolean;
	record->wfp_provider = provider->boolean;
	record->wfp_sublayer = sublayer->boolean;
	if (!record_alloc(record, filters->count, grants->count, roots->count)) {
		cordon_json_free(root);
		return record_nomem(record, err);
	}
	for (size_t i = 0; i < accounts->count && code == CORDON_OK; i++) {
		bool known = false;

		for (size_t a = 0; a < CORDON_ACCOUNT_COUNT; a++) {
			if (accounts->items[i]->type == CORDON_JSON_STRING &&
			    strcmp(accounts->items[i]->string,
				   cordon_account_spec_of((cordon_sandbox_account)a)->name) == 0) {
				record->accounts.accounts[a] = true;
				known = true;
			}
		}
		if (!known)
			code = bad_record(record, err, "an account is not one of cordon's");
	}
	for (size_t i = 0; i < filters->count && code == CORDON_OK; i++) {
		if (filters->items[i]->type != CORDON_JSON_STRING ||
		    !cordon_guid_parse(filters->items[i]->string, &record->filter_keys[i]))
			code = bad_record(record, err, "a filter key is not a GUID");
		else
			record->filter_count++;
	}
	for (size_t i = 0; i < grants->count && code == CORDON_OK; i++) {
		const cordon_json *item = grants->items[i];
		const cordon_json *path = member(item, "path", CORDON_JSON_STRING);
		const cordon_json *kind = member(item, "kind", CORDON_JSON_STRING);
		const cordon_json *directory = member(item, "directory", CORDON_JSON_BOOL);
		cordon_read_grant_state *out = &record->grants[record->grant_count];

		if (item->type != CORDON_JSON_OBJECT || !path || !kind || !directory ||
		    (strcmp(kind->string, "tree") != 0 && strcmp(kind->string, "list") != 0)) {
			code = bad_record(record, err, "a read grant is malformed");
			break;
		}
		out->path = copy_text(path->string);
		if (!out->path) {
			code = record_nomem(record, err);
			break;
		}
		out->kind =
			strcmp(kind->string, "list") == 0 ? CORDON_READ_GRANT_LIST : CORDON_READ_GRANT_TREE;
		out->is_directory = directory->boolean;
		record->grant_count++;
	}
	for (size_t i = 0; i < roots->count && code == CORDON_OK; i++) {
		if (roots->items[i]->type != CORDON_JSON_STRING) {
			code = bad_record(record, err, "a root is not a string");
			break;
		}
		record->roots[i] = copy_text(roots->items[i]->string);
		if (!record->roots[i]) {
			code = record_nomem(record, err);
			break;
		}
		record->root_count++;
	}
	cordon_json_free(root);
	return code;
}

static bool is_record_root(const cordon_setup_record *record, const char *path)
{
	for (size_t i = 0; i < record->root_count; i++)
		if (winpath_compare(record->roots[i], path) == 0)
			return true;
	return false;
}

cordon_code cordon_setup_entries_from_record(const cordon_setup_record *record, const char *profile_dir,
					     cordon_profile_entry **entries, size_t *count, cordon_error *err)
{
	size_t profile_length = profile_dir ? strlen(profile_dir) : 0;

	*entries = NULL;
	*count = 0;
	if (!record || !profile_dir)
		return cordon_fail(err, CORDON_E_INVALID, "cannot read setup's record: no record or profile");
	*entries = calloc(record->grant_count + 1, sizeof(**entries));
	if (!*entries)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read setup's record: out of memory");
	for (size_t i = 0; i < record->grant_count; i++) {
		const cordon_read_grant_state *g = &record->grants[i];

		if (strlen(g->path) <= profile_length + 1 || !winpath_is_within(g->path, profile_dir) ||
		    is_record_root(record, g->path))
			continue;
		(*entries)[*count].relative = g->path + profile_length + 1;
		(*entries)[*count].is_directory = g->is_directory;
		(*count)++;
	}
	return CORDON_OK;
}

/* ----------------------------------------------------------- staleness */

typedef struct reason_buffer {
	char *buf;
	size_t size, used;
} reason_buffer;

static void say(reason_buffer *r, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void say(reason_buffer *r, const char *format, ...)
{
	va_list ap;
	int n;

	if (r->size == 0 || r->used >= r->size - 1)
		return;
	if (r->used > 0) {
		n = snprintf(r->buf + r->used, r->size - r->used, "; ");
		r->used += n > 0 ? (size_t)n : 0;
		if (r->used >= r->size)
			r->used = r->size - 1;
	}
	va_start(ap, format);
	n = vsnprintf(r->buf + r->used, r->size - r->used, format, ap);
	va_end(ap);
	r->used += n > 0 ? (size_t)n : 0;
	if (r->used >= r->size)
		r->used = r->size - 1;
}

bool cordon_setup_stale_reasons(const cordon_setup_plan *plan, const cordon_setup_record *record, char *buf,
				size_t size)
{
	reason_buffer r = {buf, size, 0};
	size_t filters_changed = 0, filters_unknown = 0, profile_grants = 0, removals = 0, roots = 0;
	const char *first_root = NULL;

	if (size > 0)
		buf[0] = '\0';
	if (!record)
		say(&r, "setup has not been run on this machine");
	for (size_t i = 0; i < plan->accounts.step_count; i++) {
		const cordon_account_step *step = &plan->accounts.steps[i];

		switch (step->kind) {
		case CORDON_ACCOUNT_CREATE_GROUP: say(&r, "the group %s is missing", step->name); break;
		case CORDON_ACCOUNT_CREATE: say(&r, "the account %s is missing", step->name); break;
		case CORDON_ACCOUNT_RESET_PASSWORD:
			say(&r, "cordon has no password for %s", step->name);
			break;
		case CORDON_ACCOUNT_SET_FLAGS:
		case CORDON_ACCOUNT_ADD_TO_GROUP:
		case CORDON_ACCOUNT_ADD_TO_USERS:
		case CORDON_ACCOUNT_HIDE:
			say(&r, "the account %s was changed (%s)", step->name,
			    cordon_account_step_name(step->kind));
			break;
		default: break;
		}
	}
	for (size_t i = 0; i < plan->wfp.step_count; i++) {
		switch (plan->wfp.steps[i].kind) {
		case CORDON_WFP_ADD_PROVIDER: say(&r, "cordon's firewall provider is missing"); break;
		case CORDON_WFP_ADD_SUBLAYER: say(&r, "cordon's firewall sublayer is missing"); break;
		case CORDON_WFP_ADD_FILTER:
		case CORDON_WFP_REPLACE_FILTER: filters_changed++; break;
		case CORDON_WFP_DELETE_FILTER: filters_unknown++; break;
		default: break;
		}
	}
	if (filters_changed)
		say(&r, "%lu network filter%s missing or changed", (unsigned long)filters_changed,
		    filters_changed == 1 ? "" : "s");
	if (filters_unknown)
		say(&r, "%lu unknown filter%s under cordon's provider", (unsigned long)filters_unknown,
		    filters_unknown == 1 ? "" : "s");
	for (size_t i = 0; i < plan->grants.step_count; i++) {
		const cordon_read_grant_step *step = &plan->grants.steps[i];

		if (step->remove)
			removals++;
		else if (step->grant.source == CORDON_READ_GRANT_ROOT) {
			if (!first_root)
				first_root = step->grant.path;
			roots++;
		} else
			profile_grants++;
	}
	if (roots == 1)
		say(&r, "no read grant on root %s", first_root);
	else if (roots > 1)
		say(&r, "no read grant on %lu roots (%s, ...)", (unsigned long)roots, first_root);
	if (profile_grants)
		say(&r, "%lu profile entr%s without a read grant", (unsigned long)profile_grants,
		    profile_grants == 1 ? "y" : "ies");
	if (removals)
		say(&r, "%lu read grant%s to remove", (unsigned long)removals, removals == 1 ? "" : "s");
	if (record && plan->step_count == 0 && strcmp(record->fingerprint, plan->fingerprint) != 0)
		say(&r, "setup's record was made for another configuration");
	return r.used > 0;
}

/* -------------------------------------------------------------- render */

static void write_guid(cordon_json_writer *w, const char *key, const cordon_guid *guid)
{
	char text[CORDON_GUID_STRING_SIZE];

	cordon_guid_format(guid, text);
	cordon_json_key(w, key);
	cordon_json_string(w, text);
}

static void write_hex(cordon_json_writer *w, const char *key, unsigned long long value, int digits)
{
	char text[24];

	snprintf(text, sizeof(text), "0x%0*llx", digits, value);
	cordon_json_key(w, key);
	cordon_json_string(w, text);
}

static void write_condition(cordon_json_writer *w, const cordon_wfp_condition *c)
{
	char text[64];

	cordon_json_begin_object(w);
	cordon_json_key(w, "field");
	cordon_json_string(w, cordon_wfp_field_name(c->field));
	cordon_json_key(w, "match");
	cordon_json_string(w, "FWP_MATCH_EQUAL");
	switch (c->field) {
	case CORDON_WFP_FIELD_ALE_USER_ID:
		cordon_json_key(w, "security_descriptor_grants");
		cordon_json_string(w, c->account);
		write_hex(w, "access", CORDON_WFP_ACTRL_MATCH_FILTER, 1);
		break;
	case CORDON_WFP_FIELD_IP_REMOTE_ADDRESS:
		if (c->ipv6) {
			bool loopback = c->address16[15] == 1;

			for (size_t i = 0; i < 15; i++)
				loopback = loopback && c->address16[i] == 0;
			snprintf(text, sizeof(text), "%s", loopback ? "::1" : "(IPv6)");
		} else {
			snprintf(text, sizeof(text), "%lu.%lu.%lu.%lu",
				 (unsigned long)(c->value >> 24) & 0xff,
				 (unsigned long)(c->value >> 16) & 0xff,
				 (unsigned long)(c->value >> 8) & 0xff, (unsigned long)c->value & 0xff);
		}
		cordon_json_key(w, "value");
		cordon_json_string(w, text);
		break;
	default:
		cordon_json_key(w, "value");
		cordon_json_int(w, c->value);
		break;
	}
	cordon_json_end_object(w);
}

static void write_filter(cordon_json_writer *w, const cordon_wfp_filter *f)
{
	cordon_guid layer = cordon_wfp_layer_key(f->layer);

	cordon_json_begin_object(w);
	write_guid(w, "key", &f->key);
	cordon_json_key(w, "name");
	cordon_json_string(w, f->name);
	cordon_json_key(w, "description");
	cordon_json_string(w, f->description);
	cordon_json_key(w, "layer");
	cordon_json_string(w, cordon_wfp_layer_name(f->layer));
	write_guid(w, "layer_key", &layer);
	cordon_json_key(w, "action");
	cordon_json_string(w, f->action == CORDON_WFP_ACTION_PERMIT ? "permit" : "block");
	write_hex(w, "weight", f->weight, 16);
	cordon_json_key(w, "persistent");
	cordon_json_bool(w, (f->flags & CORDON_WFP_FLAG_PERSISTENT) != 0);
	cordon_json_key(w, "conditions");
	cordon_json_begin_array(w);
	for (size_t i = 0; i < f->condition_count; i++)
		write_condition(w, &f->conditions[i]);
	cordon_json_end_array(w);
	cordon_json_end_object(w);
}

static void write_accounts(cordon_json_writer *w)
{
	cordon_json_key(w, "group");
	cordon_json_begin_object(w);
	cordon_json_key(w, "name");
	cordon_json_string(w, CORDON_SANDBOX_GROUP);
	cordon_json_key(w, "description");
	cordon_json_string(w, cordon_group_description());
	cordon_json_end_object(w);
	cordon_json_key(w, "accounts");
	cordon_json_begin_array(w);
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		const cordon_account_spec *spec = cordon_account_spec_of((cordon_sandbox_account)i);

		cordon_json_begin_object(w);
		cordon_json_key(w, "name");
		cordon_json_string(w, spec->name);
		cordon_json_key(w, "full_name");
		cordon_json_string(w, spec->full_name);
		cordon_json_key(w, "description");
		cordon_json_string(w, spec->description);
		cordon_json_key(w, "network");
		cordon_json_string(w, spec->which == CORDON_ACCOUNT_OFFLINE ? "off, proxy" : "on");
		write_hex(w, "flags", spec->flags, 8);
		cordon_json_key(w, "password_never_expires");
		cordon_json_bool(w, (spec->flags & CORDON_UF_DONT_EXPIRE_PASSWD) != 0);
		cordon_json_key(w, "password");
		cordon_json_string(w,
				   "random, made at apply time, stored with DPAPI for the installing user");
		cordon_json_key(w, "hidden_from_sign_in");
		cordon_json_string(w, CORDON_HIDE_ACCOUNTS_KEY);
		cordon_json_key(w, "groups");
		cordon_json_begin_array(w);
		cordon_json_string(w, CORDON_SANDBOX_GROUP);
		cordon_json_string(w, CORDON_USERS_GROUP);
		cordon_json_end_array(w);
		cordon_json_end_object(w);
	}
	cordon_json_end_array(w);
}

static void write_wfp(cordon_json_writer *w, const cordon_setup_plan *plan)
{
	cordon_guid provider = cordon_wfp_provider_key();
	cordon_guid sublayer = cordon_wfp_sublayer_key();

	cordon_json_key(w, "wfp");
	cordon_json_begin_object(w);
	cordon_json_key(w, "provider");
	cordon_json_begin_object(w);
	write_guid(w, "key", &provider);
	cordon_json_key(w, "name");
	cordon_json_string(w, CORDON_WFP_PROVIDER_NAME);
	cordon_json_key(w, "persistent");
	cordon_json_bool(w, true);
	cordon_json_end_object(w);
	cordon_json_key(w, "sublayer");
	cordon_json_begin_object(w);
	write_guid(w, "key", &sublayer);
	cordon_json_key(w, "name");
	cordon_json_string(w, CORDON_WFP_SUBLAYER_NAME);
	write_hex(w, "weight", CORDON_WFP_SUBLAYER_WEIGHT, 4);
	cordon_json_key(w, "persistent");
	cordon_json_bool(w, true);
	cordon_json_end_object(w);
	cordon_json_key(w, "filters");
	cordon_json_begin_array(w);
	for (size_t i = 0; i < plan->wfp.filter_count; i++)
		write_filter(w, &plan->wfp.filters[i]);
	cordon_json_end_array(w);
	cordon_json_end_object(w);
}

static void write_grants(cordon_json_writer *w, const cordon_setup_plan *plan)
{
	const cordon_read_grant_plan *g = &plan->grants;

	cordon_json_key(w, "read_grants");
	cordon_json_begin_object(w);
	cordon_json_key(w, "group");
	cordon_json_string(w, CORDON_SANDBOX_GROUP);
	write_hex(w, "rights", CORDON_READ_GRANT_RIGHTS, 8);
	cordon_json_key(w, "grants");
	cordon_json_begin_array(w);
	for (size_t i = 0; i < g->grant_count; i++) {
		cordon_json_begin_object(w);
		cordon_json_key(w, "path");
		cordon_json_string(w, g->grants[i].path);
		cordon_json_key(w, "kind");
		cordon_json_string(w, cordon_read_grant_kind_name(g->grants[i].kind));
		cordon_json_key(w, "source");
		cordon_json_string(w, g->grants[i].source == CORDON_READ_GRANT_ROOT ? "root" : "profile");
		cordon_json_end_object(w);
	}
	cordon_json_end_array(w);
	cordon_json_key(w, "read_through_users");
	cordon_json_begin_array(w);
	for (size_t i = 0; i < g->system_dir_count; i++)
		cordon_json_string(w, g->system_dirs[i]);
	cordon_json_end_array(w);
	cordon_json_key(w, "excluded");
	cordon_json_begin_array(w);
	for (size_t i = 0; i < g->excluded_found_count; i++)
		cordon_json_string(w, g->excluded_found[i]);
	cordon_json_end_array(w);
	cordon_json_key(w, "links_skipped");
	cordon_json_int(w, (long long)g->links_skipped);
	cordon_json_key(w, "roots_covered");
	cordon_json_int(w, (long long)g->roots_covered);
	cordon_json_end_object(w);
}

static void write_account_steps(cordon_json_writer *w, const cordon_setup_plan *plan)
{
	for (size_t i = 0; i < plan->accounts.step_count; i++) {
		cordon_json_begin_object(w);
		cordon_json_key(w, "step");
		cordon_json_string(w, cordon_account_step_name(plan->accounts.steps[i].kind));
		cordon_json_key(w, "name");
		cordon_json_string(w, plan->accounts.steps[i].name);
		cordon_json_end_object(w);
	}
}

static void write_wfp_steps(cordon_json_writer *w, const cordon_setup_plan *plan)
{
	for (size_t i = 0; i < plan->wfp.step_count; i++) {
		const cordon_wfp_step *step = &plan->wfp.steps[i];

		cordon_json_begin_object(w);
		cordon_json_key(w, "step");
		cordon_json_string(w, cordon_wfp_step_name(step->kind));
		write_guid(w, "key", &step->key);
		if (step->filter_index != CORDON_WFP_NO_FILTER) {
			cordon_json_key(w, "name");
			cordon_json_string(w, plan->wfp.filters[step->filter_index].name);
		}
		cordon_json_end_object(w);
	}
}

static void write_grant_steps(cordon_json_writer *w, const cordon_setup_plan *plan)
{
	for (size_t i = 0; i < plan->grants.step_count; i++) {
		const cordon_read_grant_step *step = &plan->grants.steps[i];

		cordon_json_begin_object(w);
		cordon_json_key(w, "step");
		cordon_json_string(w, step->remove ? "remove-read-grant" : "add-read-grant");
		cordon_json_key(w, "path");
		cordon_json_string(w, step->grant.path);
		cordon_json_key(w, "kind");
		cordon_json_string(w, cordon_read_grant_kind_name(step->grant.kind));
		cordon_json_end_object(w);
	}
}

/* In the order they are applied: setup makes the accounts first (the
 * filters name the offline account's SID, the grants the group's);
 * uninstall removes filters and grants before the accounts they name. */
static void write_steps(cordon_json_writer *w, const cordon_setup_plan *plan)
{
	cordon_json_key(w, "steps");
	cordon_json_begin_array(w);
	if (!plan->uninstall)
		write_account_steps(w, plan);
	write_wfp_steps(w, plan);
	write_grant_steps(w, plan);
	if (plan->uninstall)
		write_account_steps(w, plan);
	cordon_json_end_array(w);
}

static size_t count_account_steps(const cordon_setup_plan *plan, cordon_account_step_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->accounts.step_count; i++)
		n += plan->accounts.steps[i].kind == kind;
	return n;
}

/* Setup: what it wants in place. Uninstall: what it removes. */
static void write_counts(cordon_json_writer *w, const cordon_setup_plan *plan)
{
	size_t filters = plan->wfp.filter_count, grants = plan->grants.grant_count;
	size_t accounts = CORDON_ACCOUNT_COUNT, groups = 1;

	if (plan->uninstall) {
		filters = 0;
		for (size_t i = 0; i < plan->wfp.step_count; i++)
			filters += plan->wfp.steps[i].kind == CORDON_WFP_DELETE_FILTER;
		grants = plan->grants.step_count;
		accounts = count_account_steps(plan, CORDON_ACCOUNT_DELETE);
		groups = count_account_steps(plan, CORDON_ACCOUNT_DELETE_GROUP);
	}
	cordon_json_key(w, "counts");
	cordon_json_begin_object(w);
	cordon_json_key(w, "accounts");
	cordon_json_int(w, (long long)accounts);
	cordon_json_key(w, "groups");
	cordon_json_int(w, (long long)groups);
	cordon_json_key(w, "wfp_filters");
	cordon_json_int(w, (long long)filters);
	cordon_json_key(w, "read_grants");
	cordon_json_int(w, (long long)grants);
	cordon_json_key(w, "read_through_users");
	cordon_json_int(w, (long long)plan->grants.system_dir_count);
	cordon_json_key(w, "excluded");
	cordon_json_int(w, (long long)plan->grants.excluded_found_count);
	cordon_json_key(w, "steps");
	cordon_json_int(w, (long long)plan->step_count);
	cordon_json_end_object(w);
}

char *cordon_setup_plan_render(const cordon_setup_plan *plan, const char *state_note)
{
	cordon_json_writer w;

	cordon_json_writer_init(&w, true);
	cordon_json_begin_object(&w);
	cordon_json_key(&w, "setup");
	cordon_json_string(&w, plan->uninstall ? "uninstall" : "install");
	cordon_json_key(&w, "state");
	cordon_json_string(&w, state_note ? state_note : "");
	if (!plan->uninstall) {
		cordon_json_key(&w, "fingerprint");
		cordon_json_string(&w, plan->fingerprint);
		cordon_json_key(&w, "proxy_port");
		cordon_json_int(&w, plan->proxy_port);
	}
	write_counts(&w, plan);
	if (!plan->uninstall) {
		write_accounts(&w);
		write_wfp(&w, plan);
		write_grants(&w, plan);
	}
	write_steps(&w, plan);
	cordon_json_end_object(&w);
	return cordon_json_writer_finish(&w);
}
