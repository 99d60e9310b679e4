#include "windows/plan/read_grant_plan.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/winpath.h"

const char *cordon_read_grant_kind_name(cordon_read_grant_kind kind)
{
	return kind == CORDON_READ_GRANT_LIST ? "list" : "tree";
}

/* profile + '\' + relative, '/' read as '\', no trailing separator. */
static char *join(const char *profile, const char *relative)
{
	size_t profile_length = strlen(profile);
	size_t relative_length;
	char *out, *cursor;

	while (profile_length > 0 && profile[profile_length - 1] == '\\')
		profile_length--;
	while (*relative == '/' || *relative == '\\')
		relative++;
	relative_length = strlen(relative);
	while (relative_length > 0 &&
	       (relative[relative_length - 1] == '/' || relative[relative_length - 1] == '\\'))
		relative_length--;
	out = malloc(profile_length + relative_length + 2);
	if (!out)
		return NULL;
	memcpy(out, profile, profile_length);
	cursor = out + profile_length;
	if (relative_length > 0)
		*cursor++ = '\\';
	for (size_t i = 0; i < relative_length; i++)
		*cursor++ = relative[i] == '/' ? '\\' : relative[i];
	*cursor = '\0';
	return out;
}

static char *copy_string(const char *s, size_t length)
{
	char *copy = malloc(length + 1);

	if (copy) {
		memcpy(copy, s, length);
		copy[length] = '\0';
	}
	return copy;
}

/* Length of the parent's spelling, or 0 when there is no separator. */
static size_t parent_length(const char *path)
{
	const char *last = strrchr(path, '\\');

	return last ? (size_t)(last - path) : 0;
}

static bool same_path_n(const char *a, size_t a_length, const char *b)
{
	char *copy = copy_string(a, a_length);
	bool same = copy && winpath_compare(copy, b) == 0;

	free(copy);
	return same;
}

/* The user's registry hive and its logs: NTUSER.DAT, ntuser.dat.LOG1,
 * NTUSER.DAT{...}.TM.blf, ntuser.ini. Locked while the user is signed
 * in, and HKCU is where many programs keep their tokens. */
static bool is_hive_file(const char *name)
{
	static const char prefix[] = "ntuser.";

	for (size_t i = 0; i < sizeof(prefix) - 1; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != prefix[i])
			return false;
	}
	return true;
}

typedef struct string_list {
	char **items;
	size_t count;
} string_list;

static bool list_push_owned(string_list *list, char *item)
{
	char **grown;

	if (!item)
		return false;
	grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
	if (!grown) {
		free(item);
		return false;
	}
	list->items = grown;
	list->items[list->count++] = item;
	return true;
}

static bool list_contains(const string_list *list, const char *path)
{
	for (size_t i = 0; i < list->count; i++)
		if (winpath_compare(list->items[i], path) == 0)
			return true;
	return false;
}

static void list_clear(string_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* Every proper ancestor strictly below the profile of each excluded path. */
static bool collect_split_dirs(const char *profile, const char *const *excluded, size_t excluded_count,
			       string_list *out)
{
	for (size_t i = 0; i < excluded_count; i++) {
		char *full = join(profile, excluded[i]);
		size_t profile_length;

		if (!full)
			return false;
		profile_length = strlen(profile);
		while (profile_length > 0 && profile[profile_length - 1] == '\\')
			profile_length--;
		for (size_t end = parent_length(full); end > profile_length; end = parent_length(full)) {
			full[end] = '\0';
			if (!list_contains(out, full) && !list_push_owned(out, copy_string(full, end))) {
				free(full);
				return false;
			}
		}
		free(full);
	}
	return true;
}

cordon_code cordon_read_grant_split_dirs(const char *profile_dir, const char *const *excluded,
					 size_t excluded_count, char ***dirs, size_t *dir_count,
					 cordon_error *err)
{
	string_list list = {0};

	*dirs = NULL;
	*dir_count = 0;
	if (!profile_dir || (excluded_count && !excluded))
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot plan read grants: no profile directory given");
	if (!collect_split_dirs(profile_dir, excluded, excluded_count, &list)) {
		list_clear(&list);
		return cordon_fail(err, CORDON_E_NOMEM, "cannot plan read grants: out of memory");
	}
	*dirs = list.items;
	*dir_count = list.count;
	return CORDON_OK;
}

/* ------------------------------------------------------------ building */

typedef struct builder {
	const cordon_read_grant_inputs *in;
	cordon_read_grant_plan *plan;
	string_list excluded; /* full paths */
	string_list split;    /* full paths */
} builder;

static bool add_grant(cordon_read_grant_plan *plan, char *path, cordon_read_grant_kind kind,
		      bool is_directory, cordon_read_grant_source source)
{
	cordon_read_grant *grown;

	if (!path)
		return false;
	for (size_t i = 0; i < plan->grant_count; i++) {
		if (winpath_compare(plan->grants[i].path, path) == 0) {
			free(path);
			return true;
		}
	}
	grown = realloc(plan->grants, (plan->grant_count + 1) * sizeof(*grown));
	if (!grown) {
		free(path);
		return false;
	}
	plan->grants = grown;
	grown[plan->grant_count].path = path;
	grown[plan->grant_count].kind = kind;
	grown[plan->grant_count].is_directory = is_directory;
	grown[plan->grant_count].source = source;
	plan->grant_count++;
	return true;
}

static bool note_excluded(cordon_read_grant_plan *plan, const char *path)
{
	char **grown = realloc(plan->excluded_found, (plan->excluded_found_count + 1) * sizeof(*grown));
	char *copy = copy_string(path, strlen(path));

	if (!grown || !copy) {
		if (grown)
			plan->excluded_found = grown;
		free(copy);
		return false;
	}
	plan->excluded_found = grown;
	grown[plan->excluded_found_count++] = copy;
	return true;
}

/* Whether the entry's parent is the profile or a split directory: deeper
 * entries are covered by the TREE grant above them, or excluded. */
static bool parent_is_listed(const builder *b, const char *path)
{
	size_t length = parent_length(path);

	if (same_path_n(path, length, b->in->profile_dir))
		return true;
	for (size_t i = 0; i < b->split.count; i++)
		if (same_path_n(path, length, b->split.items[i]))
			return true;
	return false;
}

static bool plan_profile_entry(builder *b, const cordon_profile_entry *entry)
{
	char *path = join(b->in->profile_dir, entry->relative);
	const char *name;
	bool ok = true;

	if (!path)
		return false;
	name = path + parent_length(path) + 1;
	if (!parent_is_listed(b, path) || path[0] == '\0') {
		free(path);
		return true;
	}
	if (entry->is_reparse_point) {
		b->plan->links_skipped++;
		free(path);
		return true;
	}
	if (list_contains(&b->excluded, path) ||
	    (same_path_n(path, parent_length(path), b->in->profile_dir) && is_hive_file(name))) {
		ok = note_excluded(b->plan, path);
		free(path);
		return ok;
	}
	if (entry->is_directory && list_contains(&b->split, path))
		return add_grant(b->plan, path, CORDON_READ_GRANT_LIST, true, CORDON_READ_GRANT_PROFILE);
	return add_grant(b->plan, path, CORDON_READ_GRANT_TREE, entry->is_directory,
			 CORDON_READ_GRANT_PROFILE);
}

static bool inside_tree_grant(const cordon_read_grant_plan *plan, const char *path)
{
	for (size_t i = 0; i < plan->grant_count; i++)
		if (plan->grants[i].kind == CORDON_READ_GRANT_TREE && plan->grants[i].is_directory &&
		    plan->grants[i].source == CORDON_READ_GRANT_PROFILE &&
		    winpath_is_within(path, plan->grants[i].path))
			return true;
	return false;
}

static int compare_grants(const void *a, const void *b)
{
	return winpath_compare(((const cordon_read_grant *)a)->path, ((const cordon_read_grant *)b)->path);
}

static int compare_paths(const void *a, const void *b)
{
	return winpath_compare(*(char *const *)a, *(char *const *)b);
}

static bool push_step(cordon_read_grant_plan *plan, bool remove, const char *path,
		      cordon_read_grant_kind kind, bool is_directory, cordon_read_grant_source source)
{
	cordon_read_grant_step *grown = realloc(plan->steps, (plan->step_count + 1) * sizeof(*grown));
	char *copy;

	if (!grown)
		return false;
	plan->steps = grown;
	copy = copy_string(path, strlen(path));
	if (!copy)
		return false;
	grown[plan->step_count].remove = remove;
	grown[plan->step_count].grant.path = copy;
	grown[plan->step_count].grant.kind = kind;
	grown[plan->step_count].grant.is_directory = is_directory;
	grown[plan->step_count].grant.source = source;
	plan->step_count++;
	return true;
}

static const cordon_read_grant *find_grant(const cordon_read_grant_plan *plan, const char *path)
{
	for (size_t i = 0; i < plan->grant_count; i++)
		if (winpath_compare(plan->grants[i].path, path) == 0)
			return &plan->grants[i];
	return NULL;
}

static const cordon_read_grant_state *find_state(const cordon_read_grant_state *state, size_t count,
						 const char *path)
{
	for (size_t i = 0; i < count; i++)
		if (winpath_compare(state[i].path, path) == 0)
			return &state[i];
	return NULL;
}

static bool plan_steps(cordon_read_grant_plan *plan, const cordon_read_grant_state *state, size_t state_count)
{
	/* Removals first: a grant whose kind changed is removed, then added
	 * back in its new form. */
	for (size_t i = 0; i < state_count; i++) {
		const cordon_read_grant *wanted = find_grant(plan, state[i].path);

		if (wanted && wanted->kind == state[i].kind)
			continue;
		if (!push_step(plan, true, state[i].path, state[i].kind, state[i].is_directory,
			       CORDON_READ_GRANT_PROFILE))
			return false;
	}
	for (size_t i = 0; i < plan->grant_count; i++) {
		const cordon_read_grant *g = &plan->grants[i];
		const cordon_read_grant_state *now = find_state(state, state_count, g->path);

		if (now && now->kind == g->kind)
			continue;
		if (!push_step(plan, false, g->path, g->kind, g->is_directory, g->source))
			return false;
	}
	return true;
}

static cordon_code fail_nomem(cordon_read_grant_plan *plan, cordon_error *err)
{
	cordon_read_grant_plan_free(plan);
	return cordon_fail(err, CORDON_E_NOMEM,
			   "cannot plan read grants: out of memory; close other programs and retry");
}

cordon_code cordon_read_grant_plan_build(const cordon_read_grant_inputs *inputs,
					 const cordon_read_grant_state *state, size_t state_count,
					 cordon_read_grant_plan *plan, cordon_error *err)
{
	builder b;
	bool ok = true;

	if (!plan)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan read grants: no plan given");
	memset(plan, 0, sizeof(*plan));
	if (!inputs || !inputs->profile_dir || (inputs->entry_count && !inputs->entries) ||
	    (inputs->excluded_count && !inputs->excluded) || (inputs->root_count && !inputs->roots) ||
	    (inputs->system_dir_count && !inputs->system_dirs) || (state_count && !state))
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan read grants: inputs missing");
	if (winpath_classify(inputs->profile_dir).kind != WINPATH_DRIVE_ABSOLUTE)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot plan read grants: the profile directory '%s' is not a drive path "
				   "such as C:\\Users\\NAME; give the profile's canonical path",
				   inputs->profile_dir);
	memset(&b, 0, sizeof(b));
	b.in = inputs;
	b.plan = plan;
	for (size_t i = 0; i < inputs->excluded_count && ok; i++)
		ok = list_push_owned(&b.excluded, join(inputs->profile_dir, inputs->excluded[i]));
	ok = ok &&
	     collect_split_dirs(inputs->profile_dir, inputs->excluded, inputs->excluded_count, &b.split);
	ok = ok && add_grant(plan, join(inputs->profile_dir, ""), CORDON_READ_GRANT_LIST, true,
			     CORDON_READ_GRANT_PROFILE);
	for (size_t i = 0; i < inputs->entry_count && ok; i++)
		ok = plan_profile_entry(&b, &inputs->entries[i]);
	for (size_t i = 0; i < inputs->root_count && ok; i++) {
		if (inside_tree_grant(plan, inputs->roots[i])) {
			plan->roots_covered++;
			continue;
		}
		ok = add_grant(plan, copy_string(inputs->roots[i], strlen(inputs->roots[i])),
			       CORDON_READ_GRANT_TREE, true, CORDON_READ_GRANT_ROOT);
	}
	for (size_t i = 0; i < inputs->system_dir_count && ok; i++) {
		string_list dirs = {plan->system_dirs, plan->system_dir_count};

		ok = list_push_owned(&dirs,
				     copy_string(inputs->system_dirs[i], strlen(inputs->system_dirs[i])));
		plan->system_dirs = dirs.items;
		plan->system_dir_count = dirs.count;
	}
	list_clear(&b.excluded);
	list_clear(&b.split);
	if (!ok)
		return fail_nomem(plan, err);
	if (plan->grant_count > 1)
		qsort(plan->grants, plan->grant_count, sizeof(*plan->grants), compare_grants);
	if (plan->excluded_found_count > 1)
		qsort(plan->excluded_found, plan->excluded_found_count, sizeof(*plan->excluded_found),
		      compare_paths);
	if (!plan_steps(plan, state, state_count))
		return fail_nomem(plan, err);
	return CORDON_OK;
}

cordon_code cordon_read_grant_plan_uninstall(const cordon_read_grant_state *recorded, size_t recorded_count,
					     cordon_read_grant_plan *plan, cordon_error *err)
{
	if (!plan)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan removing read grants: no plan given");
	memset(plan, 0, sizeof(*plan));
	if (recorded_count && !recorded)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan removing read grants: record missing");
	for (size_t i = 0; i < recorded_count; i++)
		if (!push_step(plan, true, recorded[i].path, recorded[i].kind, recorded[i].is_directory,
			       CORDON_READ_GRANT_PROFILE))
			return fail_nomem(plan, err);
	return CORDON_OK;
}

void cordon_read_grant_plan_free(cordon_read_grant_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->grant_count; i++)
		free(plan->grants[i].path);
	free(plan->grants);
	for (size_t i = 0; i < plan->step_count; i++)
		free(plan->steps[i].grant.path);
	free(plan->steps);
	for (size_t i = 0; i < plan->excluded_found_count; i++)
		free(plan->excluded_found[i]);
	free(plan->excluded_found);
	for (size_t i = 0; i < plan->system_dir_count; i++)
		free(plan->system_dirs[i]);
	free(plan->system_dirs);
	memset(plan, 0, sizeof(*plan));
}

cordon_ace cordon_read_grant_ace(const cordon_read_grant *grant, const cordon_sid *group)
{
	uint8_t flags = 0;

	if (grant->kind == CORDON_READ_GRANT_TREE && grant->is_directory)
		flags = CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT;
	return cordon_ace_make(CORDON_ACE_ALLOW, flags, CORDON_READ_GRANT_RIGHTS, group);
}

bool cordon_read_grant_change(const cordon_read_grant_step *step, const cordon_sid *group,
			      cordon_acl_change *change)
{
	memset(change, 0, sizeof(*change));
	change->path = copy_string(step->grant.path, strlen(step->grant.path));
	if (!change->path)
		return false;
	change->reason = CORDON_ACL_SANDBOX_READ_GRANT;
	change->remove = step->remove;
	change->root_index = CORDON_ACL_NO_ROOT;
	change->aces[0] = cordon_read_grant_ace(&step->grant, group);
	change->ace_count = 1;
	return true;
}
