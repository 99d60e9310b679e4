#include "windows/plan/acl_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/sha256.h"
#include "core/winpath.h"

uint32_t cordon_file_map_generic(uint32_t mask)
{
	uint32_t mapped = mask & ~(CORDON_GENERIC_ALL | CORDON_GENERIC_EXECUTE | CORDON_GENERIC_WRITE |
				   CORDON_GENERIC_READ);

	if (mask & CORDON_GENERIC_READ)
		mapped |= CORDON_FILE_GENERIC_READ;
	if (mask & CORDON_GENERIC_WRITE)
		mapped |= CORDON_FILE_GENERIC_WRITE;
	if (mask & CORDON_GENERIC_EXECUTE)
		mapped |= CORDON_FILE_GENERIC_EXECUTE;
	if (mask & CORDON_GENERIC_ALL)
		mapped |= CORDON_FILE_ALL_ACCESS;
	return mapped;
}

bool cordon_ace_equal(const cordon_ace *a, const cordon_ace *b)
{
	return a->type == b->type && a->flags == b->flags && a->mask == b->mask &&
	       cordon_sid_equal(&a->sid, &b->sid);
}

bool cordon_ace_lists_equal(const cordon_ace *a, size_t a_count, const cordon_ace *b, size_t b_count)
{
	if (a_count != b_count)
		return false;
	for (size_t i = 0; i < a_count; i++)
		if (!cordon_ace_equal(&a[i], &b[i]))
			return false;
	return true;
}

const char *cordon_acl_reason_name(cordon_acl_reason reason)
{
	switch (reason) {
	case CORDON_ACL_ROOT_ALLOW: return "root-allow";
	case CORDON_ACL_PROTECTED_DENY: return "protected-deny";
	case CORDON_ACL_GITDIR_DENY: return "gitdir-deny";
	case CORDON_ACL_EVERYONE_WRITABLE_DENY: return "everyone-writable-deny";
	case CORDON_ACL_STATE_DENY: return "state-deny";
	case CORDON_ACL_STALE_ROOT_REMOVE: return "stale-root-remove";
	case CORDON_ACL_SANDBOX_READ_GRANT: return "sandbox-read-grant";
	}
	return "unknown";
}

bool cordon_dacl_everyone_writable(bool dacl_present, const cordon_ace *aces, size_t count)
{
	cordon_sid everyone = cordon_sid_everyone();

	if (!dacl_present)
		return true;
	for (size_t i = 0; i < count; i++) {
		const cordon_ace *ace = &aces[i];

		if (ace->type != CORDON_ACE_ALLOW || (ace->flags & CORDON_ACE_INHERIT_ONLY))
			continue;
		if (!cordon_sid_equal(&ace->sid, &everyone) && !cordon_sid_is_logon(&ace->sid))
			continue;
		if (cordon_file_map_generic(ace->mask) & CORDON_WRITE_RIGHTS)
			return true;
	}
	return false;
}

static bool has_explicit_ace(const cordon_ace *aces, size_t count, const cordon_ace *wanted)
{
	for (size_t i = 0; i < count; i++)
		if (!(aces[i].flags & CORDON_ACE_INHERITED) && cordon_ace_equal(&aces[i], wanted))
			return true;
	return false;
}

bool cordon_dacl_apply_change(const cordon_ace *current, size_t current_count,
			      const cordon_acl_change *change, cordon_ace **result, size_t *result_count)
{
	cordon_ace *out = malloc((current_count + change->ace_count + 1) * sizeof(*out));
	size_t n = 0;

	if (!out)
		return false;
	/* Canonical order: explicit denies, explicit allows, inherited. */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < current_count; i++) {
			const cordon_ace *ace = &current[i];
			bool inherited = ace->flags & CORDON_ACE_INHERITED;
			bool removed = false;

			if (pass == 0 && (inherited || ace->type != CORDON_ACE_DENY))
				continue;
			if (pass == 1 && (inherited || ace->type != CORDON_ACE_ALLOW))
				continue;
			if (pass == 2 && !inherited)
				continue;
			if (change->remove && !inherited)
				for (size_t j = 0; j < change->ace_count; j++)
					if (cordon_ace_equal(ace, &change->aces[j]))
						removed = true;
			if (!removed)
				out[n++] = *ace;
		}
		if (change->remove || pass == 2)
			continue;
		for (size_t j = 0; j < change->ace_count; j++) {
			const cordon_ace *add = &change->aces[j];

			if ((pass == 0) != (add->type == CORDON_ACE_DENY))
				continue;
			if (!has_explicit_ace(out, n, add) && !has_explicit_ace(current, current_count, add))
				out[n++] = *add;
		}
	}
	*result = out;
	*result_count = n;
	return true;
}

/* ------------------------------------------------------------ building */

typedef struct plan_builder {
	const cordon_acl_inputs *in;
	const cordon_win_snapshot *snapshot;
	cordon_acl_plan *plan;
	cordon_error *err;
	/* Protected items found, per root: snapshot entry (or NULL when only
	 * descendants were seen) and path. */
	struct protected_item {
		char *path;
		const cordon_win_entry *entry;
		size_t root_index;
		bool is_gitdir;
	} * items;
	size_t item_count;
	size_t item_capacity;
} plan_builder;

static cordon_code out_of_memory(plan_builder *b)
{
	return cordon_fail(b->err, CORDON_E_NOMEM,
			   "cannot plan Windows ACLs: out of memory; close other programs and retry");
}

static char *copy_prefix(const char *s, size_t length)
{
	char *copy = malloc(length + 1);

	if (copy) {
		memcpy(copy, s, length);
		copy[length] = '\0';
	}
	return copy;
}

static const cordon_win_entry *find_entry(const cordon_win_snapshot *snapshot, const char *path)
{
	for (size_t i = 0; i < snapshot->count; i++)
		if (winpath_compare(snapshot->entries[i].path, path) == 0)
			return &snapshot->entries[i];
	return NULL;
}

static bool push_change(plan_builder *b, const char *path, cordon_acl_reason reason, bool remove,
			size_t root_index, const cordon_ace *aces, size_t ace_count)
{
	cordon_acl_plan *plan = b->plan;
	cordon_acl_change *change;

	if (plan->change_count == plan->change_capacity) {
		size_t capacity = plan->change_capacity ? 2 * plan->change_capacity : 16;
		cordon_acl_change *grown = realloc(plan->changes, capacity * sizeof(*grown));

		if (!grown)
			return false;
		plan->changes = grown;
		plan->change_capacity = capacity;
	}
	change = &plan->changes[plan->change_count];
	memset(change, 0, sizeof(*change));
	change->path = copy_prefix(path, strlen(path));
	if (!change->path)
		return false;
	change->reason = reason;
	change->remove = remove;
	change->root_index = root_index;
	for (size_t i = 0; i < ace_count && i < CORDON_ACL_CHANGE_MAX_ACES; i++)
		change->aces[change->ace_count++] = aces[i];
	plan->change_count++;
	return true;
}

/* Emits a change holding whichever of wanted the entry does not already
 * carry explicitly; an entry not in the snapshot gets all of them. */
static bool require_aces(plan_builder *b, const char *path, const cordon_win_entry *entry,
			 cordon_acl_reason reason, size_t root_index, const cordon_ace *wanted,
			 size_t wanted_count)
{
	cordon_ace missing[CORDON_ACL_CHANGE_MAX_ACES];
	size_t missing_count = 0;

	if (entry)
		b->plan->dacls_compared++;
	for (size_t i = 0; i < wanted_count; i++)
		if (!entry || !has_explicit_ace(entry->aces, entry->ace_count, &wanted[i]))
			missing[missing_count++] = wanted[i];
	if (missing_count == 0)
		return true;
	return push_change(b, path, reason, false, root_index, missing, missing_count);
}

cordon_ace cordon_ace_make(cordon_ace_type type, uint8_t flags, uint32_t mask, const cordon_sid *sid)
{
	cordon_ace ace;

	memset(&ace, 0, sizeof(ace));
	ace.type = type;
	ace.flags = flags;
	ace.mask = mask;
	ace.sid = *sid;
	return ace;
}

static uint8_t inherit_flags(bool is_directory)
{
	return is_directory ? CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT : 0;
}

static const cordon_sid *root_sid(const cordon_acl_inputs *in, const cordon_acl_root *root)
{
	return root->kind == CORDON_ROOT_WORKSPACE ? &in->workspace_sid : &in->shared_sid;
}

/* The root itself may be written but not deleted or renamed; what lies
 * below inherits DELETE (so files can be removed and renamed) but never
 * FILE_DELETE_CHILD. */
static size_t root_allow_aces(const cordon_sid *sid, cordon_ace out[2])
{
	out[0] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_ROOT_ALLOW_RIGHTS & ~CORDON_DELETE, sid);
	out[1] = cordon_ace_make(CORDON_ACE_ALLOW,
				 CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT |
					 CORDON_ACE_INHERIT_ONLY,
				 CORDON_ROOT_ALLOW_RIGHTS, sid);
	return 2;
}

static bool add_item(plan_builder *b, const char *path, size_t length, const cordon_win_entry *entry,
		     size_t root_index, bool is_gitdir)
{
	for (size_t i = 0; i < b->item_count; i++) {
		struct protected_item *item = &b->items[i];

		if (strlen(item->path) == length && strncmp(item->path, path, length) == 0) {
			if (entry && !item->entry)
				item->entry = entry;
			return true;
		}
	}
	if (b->item_count == b->item_capacity) {
		size_t capacity = b->item_capacity ? 2 * b->item_capacity : 16;
		struct protected_item *grown = realloc(b->items, capacity * sizeof(*grown));

		if (!grown)
			return false;
		b->items = grown;
		b->item_capacity = capacity;
	}
	b->items[b->item_count].path = copy_prefix(path, length);
	if (!b->items[b->item_count].path)
		return false;
	b->items[b->item_count].entry = entry;
	b->items[b->item_count].root_index = root_index;
	b->items[b->item_count].is_gitdir = is_gitdir;
	b->item_count++;
	return true;
}

/* One pass over the snapshot: every entry inside a root that is, or lies
 * inside, a protected name. */
static cordon_code find_protected(plan_builder *b)
{
	const cordon_acl_inputs *in = b->in;

	for (size_t i = 0; i < b->snapshot->count; i++) {
		const cordon_win_entry *entry = &b->snapshot->entries[i];

		for (size_t r = 0; r < in->root_count; r++) {
			size_t end = 0;
			int index = winpath_protected_match(entry->path, in->roots[r].path,
							    in->protected_names, in->protected_count, &end);
			bool whole;

			if (index < 0)
				continue;
			whole = entry->path[end] == '\0';
			if (!add_item(b, entry->path, end, whole ? entry : NULL, r, false))
				return out_of_memory(b);
			if (whole && entry->gitdir && !entry->is_directory &&
			    !add_item(b, entry->gitdir, strlen(entry->gitdir),
				      find_entry(b->snapshot, entry->gitdir), r, true))
				return out_of_memory(b);
			break;
		}
	}
	return CORDON_OK;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* SHA-256 over what this plan applies to one root: the policy that
 * drives it and the protected entries found below it. */
static bool root_fingerprint(plan_builder *b, size_t root_index, char hex[65])
{
	const cordon_acl_inputs *in = b->in;
	const cordon_acl_root *root = &in->roots[root_index];
	const char **paths = malloc((b->item_count + 1) * sizeof(*paths));
	size_t path_count = 0, length = 256 + strlen(root->path);
	char sid_text[CORDON_SID_STRING_MAX];
	char *message, *cursor;

	if (!paths)
		return false;
	for (size_t i = 0; i < in->protected_count; i++)
		length += strlen(in->protected_names[i]) + 1;
	for (size_t i = 0; i < b->item_count; i++) {
		if (b->items[i].root_index != root_index)
			continue;
		paths[path_count++] = b->items[i].path;
		length += strlen(b->items[i].path) + 3;
	}
	qsort(paths, path_count, sizeof(*paths), compare_strings);
	length += 4 * CORDON_SID_STRING_MAX;
	message = malloc(length);
	if (!message) {
		free(paths);
		return false;
	}
	cursor = message;
	cursor += sprintf(cursor, "cordon-acl-plan-v1|%d|%d|%08x|%s|", (int)in->mode, (int)root->kind,
			  (unsigned)CORDON_ROOT_ALLOW_RIGHTS, root->path);
	cordon_sid_format(root_sid(in, root), sid_text, sizeof(sid_text));
	cursor += sprintf(cursor, "%s|", sid_text);
	cordon_sid_format(&in->sandbox_sid, sid_text, sizeof(sid_text));
	cursor += sprintf(cursor, "%s|", sid_text);
	/* Elevated mode grants the group too: switching modes re-plans. */
	if (in->sandbox_group_present) {
		cordon_sid_format(&in->sandbox_group_sid, sid_text, sizeof(sid_text));
		cursor += sprintf(cursor, "group %s|", sid_text);
	}
	for (size_t i = 0; i < in->protected_count; i++)
		cursor += sprintf(cursor, "%s\n", in->protected_names[i]);
	for (size_t i = 0; i < path_count; i++)
		cursor += sprintf(cursor, "|%s", paths[i]);
	cordon_sha256_hex(message, (size_t)(cursor - message), hex);
	free(message);
	free(paths);
	return true;
}

static const cordon_acl_root_record *previous_record(const cordon_acl_inputs *in, const char *path)
{
	for (size_t i = 0; i < in->previous_count; i++)
		if (winpath_compare(in->previous[i].path, path) == 0)
			return &in->previous[i];
	return NULL;
}

static cordon_code plan_roots(plan_builder *b)
{
	const cordon_acl_inputs *in = b->in;
	cordon_acl_plan *plan = b->plan;

	plan->roots = calloc(in->root_count ? in->root_count : 1, sizeof(*plan->roots));
	if (!plan->roots)
		return out_of_memory(b);
	for (size_t r = 0; r < in->root_count; r++) {
		const cordon_acl_root *root = &in->roots[r];
		const cordon_win_entry *entry = find_entry(b->snapshot, root->path);
		const cordon_acl_root_record *previous;
		cordon_acl_root_record *record = &plan->roots[plan->root_count];
		cordon_ace aces[4];
		size_t ace_count;

		if (!entry)
			return cordon_fail(b->err, CORDON_E_NOT_FOUND,
					   "cannot make %s writable: it is not in the scanned tree; "
					   "check that the directory exists and retry",
					   root->path);
		if (entry->is_reparse_point)
			return cordon_fail(b->err, CORDON_E_UNTRUSTED_LINK,
					   "cannot make %s writable: it is a junction or symbolic "
					   "link (to %s), and granting it would grant its target; "
					   "name the target directory itself",
					   root->path,
					   entry->reparse_target ? entry->reparse_target : "elsewhere");
		if (!entry->is_directory)
			return cordon_fail(b->err, CORDON_E_INVALID,
					   "cannot make %s writable: it is not a directory; "
					   "name a directory as a writable root",
					   root->path);
		record->path = copy_prefix(root->path, strlen(root->path));
		if (!record->path)
			return out_of_memory(b);
		record->kind = root->kind;
		plan->root_count++;
		if (!root_fingerprint(b, r, record->fingerprint))
			return out_of_memory(b);
		previous = previous_record(in, root->path);
		if (previous && strcmp(previous->fingerprint, record->fingerprint) == 0)
			plan->roots_unchanged++;
		else
			plan->roots_replanned++;
		/* The allow is compared even for an unchanged root: one DACL,
		 * and it may have been reset by someone else meanwhile. */
		ace_count = root_allow_aces(root_sid(in, root), aces);
		if (in->sandbox_group_present)
			ace_count += root_allow_aces(&in->sandbox_group_sid, aces + ace_count);
		if (!require_aces(b, root->path, entry, CORDON_ACL_ROOT_ALLOW, r, aces, ace_count))
			return out_of_memory(b);
	}
	return CORDON_OK;
}

static cordon_code plan_protected(plan_builder *b)
{
	const cordon_acl_inputs *in = b->in;

	for (size_t i = 0; i < b->item_count; i++) {
		const struct protected_item *item = &b->items[i];
		bool is_directory = item->entry ? item->entry->is_directory : true;
		cordon_ace deny = cordon_ace_make(CORDON_ACE_DENY, inherit_flags(is_directory),
						  CORDON_WRITE_RIGHTS, &in->sandbox_sid);

		if (!require_aces(b, item->path, item->entry,
				  item->is_gitdir ? CORDON_ACL_GITDIR_DENY : CORDON_ACL_PROTECTED_DENY,
				  item->root_index, &deny, 1))
			return out_of_memory(b);
		b->plan->protected_found++;
	}
	/* A name that does not exist cannot carry a deny ACE. */
	for (size_t r = 0; r < in->root_count; r++) {
		for (size_t n = 0; n < in->protected_count; n++) {
			bool found = false;
			size_t root_length = strlen(in->roots[r].path);
			size_t length = root_length + strlen(in->protected_names[n]) + 2;
			char *path = malloc(length);
			char **grown;

			if (!path)
				return out_of_memory(b);
			snprintf(path, length, "%s%s%s", in->roots[r].path,
				 root_length && in->roots[r].path[root_length - 1] == '\\' ? "" : "\\",
				 in->protected_names[n]);
			for (size_t i = 0; i < b->item_count && !found; i++)
				found = winpath_compare(b->items[i].path, path) == 0;
			if (found) {
				free(path);
				continue;
			}
			grown = realloc(b->plan->missing_protected,
					(b->plan->missing_count + 1) * sizeof(*grown));
			if (!grown) {
				free(path);
				return out_of_memory(b);
			}
			b->plan->missing_protected = grown;
			grown[b->plan->missing_count++] = path;
		}
	}
	return CORDON_OK;
}

static double default_now(void *context)
{
	(void)context;
	return (double)clock() / CLOCKS_PER_SEC;
}

static bool inside_any_root(const cordon_acl_inputs *in, const char *path)
{
	for (size_t r = 0; r < in->root_count; r++)
		if (winpath_is_within(path, in->roots[r].path))
			return true;
	return false;
}

/* Bounded: the audit is the one part whose cost grows with the machine
 * rather than with the policy, so it stops and says so. */
static cordon_code plan_audit(plan_builder *b)
{
	const cordon_acl_inputs *in = b->in;
	cordon_acl_plan *plan = b->plan;
	double (*now)(void *) = in->now ? in->now : default_now;
	const cordon_sid *deny_sid =
		in->mode == CORDON_MODE_READ_ONLY ? &in->readonly_sid : &in->workspace_sid;
	double start = now(in->now_context);

	plan->audit.stop = CORDON_AUDIT_COMPLETE;
	for (size_t i = 0; i < b->snapshot->count; i++) {
		const cordon_win_entry *entry = &b->snapshot->entries[i];
		cordon_ace deny[2];
		size_t deny_count = 1;

		if (in->mode != CORDON_MODE_READ_ONLY && inside_any_root(in, entry->path))
			continue;
		if (in->audit_max_entries && plan->audit.examined == in->audit_max_entries) {
			plan->audit.stop = CORDON_AUDIT_COUNT_LIMIT;
			break;
		}
		if (in->audit_max_seconds > 0 && (plan->audit.examined & 255) == 0 &&
		    now(in->now_context) - start >= in->audit_max_seconds) {
			plan->audit.stop = CORDON_AUDIT_TIME_LIMIT;
			break;
		}
		plan->audit.examined++;
		/* A link is not a place to write; its target is audited where
		 * the snapshot holds it. */
		if (entry->is_reparse_point)
			continue;
		if (!cordon_dacl_everyone_writable(entry->dacl_present, entry->aces, entry->ace_count))
			continue;
		plan->audit.writable_found++;
		deny[0] = cordon_ace_make(CORDON_ACE_DENY, inherit_flags(entry->is_directory),
					  CORDON_WRITE_RIGHTS, deny_sid);
		if (in->sandbox_group_present)
			deny[deny_count++] =
				cordon_ace_make(CORDON_ACE_DENY, inherit_flags(entry->is_directory),
						CORDON_WRITE_RIGHTS, &in->sandbox_group_sid);
		if (!require_aces(b, entry->path, entry, CORDON_ACL_EVERYONE_WRITABLE_DENY,
				  CORDON_ACL_NO_ROOT, deny, deny_count))
			return out_of_memory(b);
	}
	plan->audit.seconds = now(in->now_context) - start;
	return CORDON_OK;
}

static cordon_code plan_state_and_stale(plan_builder *b)
{
	const cordon_acl_inputs *in = b->in;

	if (in->state_dir) {
		const cordon_win_entry *entry = find_entry(b->snapshot, in->state_dir);

		if (entry) {
			cordon_ace deny = cordon_ace_make(CORDON_ACE_DENY, inherit_flags(entry->is_directory),
							  CORDON_WRITE_RIGHTS, &in->sandbox_sid);

			if (!require_aces(b, in->state_dir, entry, CORDON_ACL_STATE_DENY, CORDON_ACL_NO_ROOT,
					  &deny, 1))
				return out_of_memory(b);
		}
	}
	/* A shared root this workspace granted before and no longer lists:
	 * the shared SID's allow must go, or every later run keeps it. */
	for (size_t i = 0; i < in->previous_count; i++) {
		const cordon_acl_root_record *old = &in->previous[i];
		const cordon_win_entry *entry;
		cordon_ace aces[4];
		size_t ace_count;
		bool present = false;

		if (old->kind == CORDON_ROOT_WORKSPACE)
			continue;
		for (size_t r = 0; r < in->root_count && !present; r++)
			present = in->roots[r].kind != CORDON_ROOT_WORKSPACE &&
				  winpath_compare(in->roots[r].path, old->path) == 0;
		if (present)
			continue;
		entry = find_entry(b->snapshot, old->path);
		if (!entry || entry->is_reparse_point)
			continue;
		ace_count = root_allow_aces(&in->shared_sid, aces);
		if (in->sandbox_group_present)
			ace_count += root_allow_aces(&in->sandbox_group_sid, aces + ace_count);
		b->plan->dacls_compared++;
		bool granted = false;
		for (size_t a = 0; a < ace_count && !granted; a++)
			granted = has_explicit_ace(entry->aces, entry->ace_count, &aces[a]);
		if (!granted)
			continue;
		if (!push_change(b, old->path, CORDON_ACL_STALE_ROOT_REMOVE, true, CORDON_ACL_NO_ROOT, aces,
				 ace_count))
			return out_of_memory(b);
	}
	return CORDON_OK;
}

static bool overall_fingerprint(const cordon_acl_inputs *in, cordon_acl_plan *plan)
{
	size_t length = 64 + (in->state_dir ? strlen(in->state_dir) : 0) + 65 * plan->root_count;
	char *message = malloc(length);
	char *cursor = message;

	if (!message)
		return false;
	cursor += sprintf(cursor, "cordon-acl-plan-v1|%d|%s", (int)in->mode,
			  in->state_dir ? in->state_dir : "");
	for (size_t r = 0; r < plan->root_count; r++)
		cursor += sprintf(cursor, "|%s", plan->roots[r].fingerprint);
	cordon_sha256_hex(message, (size_t)(cursor - message), plan->fingerprint);
	free(message);
	return true;
}

cordon_code cordon_acl_plan_build(const cordon_acl_inputs *inputs, const cordon_win_snapshot *snapshot,
				  cordon_acl_plan *plan, cordon_error *err)
{
	plan_builder b;
	cordon_code code = CORDON_OK;

	if (!plan)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan Windows ACLs: no plan given");
	memset(plan, 0, sizeof(*plan));
	if (!inputs || !snapshot || (inputs->root_count && !inputs->roots) ||
	    (inputs->protected_count && !inputs->protected_names))
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot plan Windows ACLs: inputs or snapshot missing");
	if (inputs->mode == CORDON_MODE_FULL_ACCESS)
		return CORDON_OK;
	memset(&b, 0, sizeof(b));
	b.in = inputs;
	b.snapshot = snapshot;
	b.plan = plan;
	b.err = err;

	if (inputs->mode == CORDON_MODE_WORKSPACE_WRITE) {
		code = find_protected(&b);
		if (code == CORDON_OK)
			code = plan_roots(&b);
		if (code == CORDON_OK)
			code = plan_protected(&b);
	}
	if (code == CORDON_OK)
		code = plan_audit(&b);
	if (code == CORDON_OK)
		code = plan_state_and_stale(&b);
	if (code == CORDON_OK && !overall_fingerprint(inputs, plan))
		code = out_of_memory(&b);
	for (size_t i = 0; i < b.item_count; i++)
		free(b.items[i].path);
	free(b.items);
	if (code != CORDON_OK)
		cordon_acl_plan_free(plan);
	return code;
}

void cordon_acl_plan_free(cordon_acl_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->change_count; i++)
		free(plan->changes[i].path);
	free(plan->changes);
	for (size_t i = 0; i < plan->root_count; i++)
		free(plan->roots[i].path);
	free(plan->roots);
	for (size_t i = 0; i < plan->missing_count; i++)
		free(plan->missing_protected[i]);
	free(plan->missing_protected);
	memset(plan, 0, sizeof(*plan));
}
