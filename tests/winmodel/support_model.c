#include "support_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/winpath.h"

#define MODEL_MAX_LINK_HOPS 16

static bool host_equals(const char *text, const char *lower, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (winpath_upcase((unsigned char)text[i]) != winpath_upcase((unsigned char)lower[i]))
			return false;
	return true;
}

uint32_t model_rechecked_rights(model_reading reading)
{
	uint32_t generic_write_only =
		CORDON_FILE_GENERIC_WRITE & ~(CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_EXECUTE);
	uint32_t rights = generic_write_only | CORDON_DELETE | CORDON_WRITE_DAC | CORDON_WRITE_OWNER |
			  MODEL_ACCESS_SYSTEM_SECURITY;

	if (reading == MODEL_READING_DELETE_CHILD_RECHECKED)
		rights |= CORDON_FILE_DELETE_CHILD;
	return rights;
}

const char *model_reading_name(model_reading reading)
{
	switch (reading) {
	case MODEL_READING_FORSHAW: return "Forshaw";
	case MODEL_READING_DELETE_CHILD_RECHECKED: return "delete-child re-checked";
	}
	return "?";
}

const char *model_verdict_name(model_verdict verdict)
{
	switch (verdict) {
	case MODEL_ALLOWED: return "allowed";
	case MODEL_DENIED: return "denied";
	case MODEL_REFUSED: return "refused";
	case MODEL_MISSING: return "missing";
	}
	return "?";
}

void model_tree_init(model_tree *tree)
{
	memset(tree, 0, sizeof(*tree));
}

void model_tree_free(model_tree *tree)
{
	for (size_t i = 0; i < tree->count; i++) {
		free(tree->nodes[i].path);
		free(tree->nodes[i].reparse_target);
		free(tree->nodes[i].gitdir);
		free(tree->nodes[i].aces);
	}
	free(tree->nodes);
	memset(tree, 0, sizeof(*tree));
}

static char *dup_string(const char *s)
{
	size_t length = strlen(s) + 1;
	char *copy = malloc(length);

	if (!copy)
		abort();
	memcpy(copy, s, length);
	return copy;
}

model_node *model_find(model_tree *tree, const char *canonical_path)
{
	for (size_t i = 0; i < tree->count; i++)
		if (winpath_compare(tree->nodes[i].path, canonical_path) == 0)
			return &tree->nodes[i];
	return NULL;
}

/* The canonical parent: "C:\a\b" -> "C:\a"; "C:\a" -> "C:\"; NULL for a
 * drive root. Allocated. */
static char *parent_path(const char *path)
{
	const char *last = strrchr(path, '\\');
	size_t length;

	if (!last || last[1] == '\0')
		return NULL;
	length = (size_t)(last - path);
	if (length == 2 && path[1] == ':')
		length = 3; /* keep "C:\" */
	{
		char *parent = malloc(length + 1);

		if (!parent)
			abort();
		memcpy(parent, path, length);
		parent[length] = '\0';
		return parent;
	}
}

static model_node *find_parent(model_tree *tree, const char *path)
{
	char *parent = parent_path(path);
	model_node *node = parent ? model_find(tree, parent) : NULL;

	free(parent);
	return node;
}

size_t model_inherit(const model_node *parent, bool child_is_directory, cordon_ace *out)
{
	size_t n = 0;

	for (size_t i = 0; i < parent->ace_count; i++) {
		const cordon_ace *ace = &parent->aces[i];
		uint8_t f = ace->flags;
		bool oi = f & CORDON_ACE_OBJECT_INHERIT, ci = f & CORDON_ACE_CONTAINER_INHERIT;
		bool np = f & CORDON_ACE_NO_PROPAGATE_INHERIT;
		cordon_ace copy = *ace;
		uint32_t mapped = cordon_file_map_generic(ace->mask);

		if (!child_is_directory) {
			if (!oi)
				continue;
			copy.flags = CORDON_ACE_INHERITED;
			copy.mask = mapped;
			out[n++] = copy;
			continue;
		}
		if (ci) {
			if (np) {
				copy.flags = CORDON_ACE_INHERITED;
				copy.mask = mapped;
				out[n++] = copy;
			} else if (mapped != ace->mask) {
				/* Generic rights: an inherit-only copy keeps them for the
				 * next generation, an effective copy has them mapped. */
				copy.flags = CORDON_ACE_INHERITED | CORDON_ACE_INHERIT_ONLY |
					     (f & (CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT));
				out[n++] = copy;
				copy.flags = CORDON_ACE_INHERITED;
				copy.mask = mapped;
				out[n++] = copy;
			} else {
				copy.flags = CORDON_ACE_INHERITED |
					     (f & (CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT));
				out[n++] = copy;
			}
		} else if (oi && !np) {
			copy.flags =
				CORDON_ACE_INHERITED | CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_INHERIT_ONLY;
			out[n++] = copy;
		}
	}
	return n;
}

/* Replaces node's inherited ACEs with what its parent passes down. */
static void reinherit(model_tree *tree, model_node *node)
{
	model_node *parent;
	cordon_ace *aces;
	size_t n = 0;

	if (node->dacl_protected || !node->dacl_present)
		return;
	parent = find_parent(tree, node->path);
	if (!parent || !parent->dacl_present)
		return;
	aces = malloc((node->ace_count + 2 * parent->ace_count + 1) * sizeof(*aces));
	if (!aces)
		abort();
	for (size_t i = 0; i < node->ace_count; i++)
		if (!(node->aces[i].flags & CORDON_ACE_INHERITED))
			aces[n++] = node->aces[i];
	n += model_inherit(parent, node->is_directory, aces + n);
	free(node->aces);
	node->aces = aces;
	node->ace_count = n;
}

static model_node *new_node(model_tree *tree, const char *path, bool is_directory, const cordon_sid *owner)
{
	model_node *node;

	if (tree->count == tree->capacity) {
		size_t capacity = tree->capacity ? 2 * tree->capacity : 32;
		model_node *grown = realloc(tree->nodes, capacity * sizeof(*grown));

		if (!grown)
			abort();
		tree->nodes = grown;
		tree->capacity = capacity;
	}
	node = &tree->nodes[tree->count++];
	memset(node, 0, sizeof(*node));
	node->path = dup_string(path);
	node->is_directory = is_directory;
	node->owner = *owner;
	node->dacl_present = true;
	return node;
}

model_node *model_add(model_tree *tree, const char *path, bool is_directory, const cordon_sid *owner,
		      const cordon_ace *explicit_aces, size_t count)
{
	model_node *node = new_node(tree, path, is_directory, owner);

	node->aces = malloc((count + 1) * sizeof(*node->aces));
	if (!node->aces)
		abort();
	if (count)
		memcpy(node->aces, explicit_aces, count * sizeof(*explicit_aces));
	node->ace_count = count;
	reinherit(tree, node);
	/* An inheritable label reaches what is created below it. */
	model_node *parent = find_parent(tree, node->path);
	node->integrity = parent ? parent->integrity : 0;
	return node;
}

void model_set_label(model_tree *tree, const char *path, uint32_t integrity)
{
	for (size_t i = 0; i < tree->count; i++)
		if (winpath_is_within(tree->nodes[i].path, path))
			tree->nodes[i].integrity = integrity;
}

model_node *model_add_junction(model_tree *tree, const char *path, const char *target,
			       const cordon_sid *owner)
{
	model_node *node = model_add(tree, path, true, owner, NULL, 0);

	node->reparse_target = dup_string(target);
	return node;
}

/* ---------------------------------------------------------- access check */

static bool sid_listed(const cordon_sid *sid, const cordon_sid *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (cordon_sid_equal(sid, &list[i]))
			return true;
	return false;
}

typedef struct sid_view {
	const cordon_sid *enabled;
	size_t enabled_count;
	const cordon_sid *user; /* NULL in the restricted pass */
	const cordon_sid *deny_only;
	size_t deny_only_count;
	/* The token counts as the object's owner (the same answer in both
	 * passes): implicit rights, and OWNER RIGHTS ACEs. */
	bool is_owner;
} sid_view;

static bool view_allows(const sid_view *v, const cordon_sid *sid)
{
	return (v->user && cordon_sid_equal(v->user, sid)) || sid_listed(sid, v->enabled, v->enabled_count);
}

static bool view_denies(const sid_view *v, const cordon_sid *sid)
{
	return view_allows(v, sid) || sid_listed(sid, v->deny_only, v->deny_only_count);
}

static bool has_owner_rights_ace(const model_node *node)
{
	cordon_sid owner_rights = cordon_sid_owner_rights();

	for (size_t i = 0; i < node->ace_count; i++)
		if (!(node->aces[i].flags & CORDON_ACE_INHERIT_ONLY) &&
		    cordon_sid_equal(&node->aces[i].sid, &owner_rights))
			return true;
	return false;
}

/* Whether the token is the node's owner: the owner SID is the user or an
 * enabled group and, for a restricted token (write-restricted included),
 * also one of its restricting SIDs. Decided once, for both passes. */
static bool token_is_owner(const model_node *node, const model_token *token)
{
	const cordon_sid *owner = &node->owner;
	bool in_token =
		cordon_sid_equal(&token->user, owner) || sid_listed(owner, token->groups, token->group_count);

	if (!in_token)
		return false;
	return token->restricting_count == 0 ||
	       sid_listed(owner, token->restricting, token->restricting_count);
}

/* One pass of the documented algorithm: ACEs in order until every
 * requested right is granted, or an access-denied ACE names one that is
 * still wanted. */
static bool evaluate(const model_node *node, const sid_view *v, uint32_t desired)
{
	uint32_t remaining = desired;
	cordon_sid owner_rights = cordon_sid_owner_rights();

	if (!node->dacl_present)
		return true;
	/* The owner is implicitly granted READ_CONTROL and WRITE_DAC unless
	 * an OWNER RIGHTS ACE says otherwise. */
	if (v->is_owner && !has_owner_rights_ace(node))
		remaining &= ~(CORDON_READ_CONTROL | CORDON_WRITE_DAC);
	for (size_t i = 0; i < node->ace_count && remaining; i++) {
		const cordon_ace *ace = &node->aces[i];
		uint32_t mask = cordon_file_map_generic(ace->mask);
		bool matches_owner_rights = cordon_sid_equal(&ace->sid, &owner_rights) && v->is_owner;

		if (ace->flags & CORDON_ACE_INHERIT_ONLY)
			continue;
		if (ace->type == CORDON_ACE_DENY) {
			if ((view_denies(v, &ace->sid) || matches_owner_rights) && (mask & remaining))
				return false;
		} else if (view_allows(v, &ace->sid) || matches_owner_rights) {
			remaining &= ~mask;
		}
	}
	return remaining == 0;
}

bool model_access_check(const model_node *node, const model_token *token, uint32_t desired)
{
	sid_view normal = {
		.enabled = token->groups,
		.enabled_count = token->group_count,
		.user = &token->user,
		.deny_only = token->deny_only,
		.deny_only_count = token->deny_only_count,
		.is_owner = token_is_owner(node, token),
	};
	sid_view restricted = {
		.enabled = token->restricting,
		.enabled_count = token->restricting_count,
		.is_owner = normal.is_owner,
	};
	uint32_t wanted = cordon_file_map_generic(desired);
	uint32_t rechecked;
	uint32_t token_level = token->integrity ? token->integrity : MODEL_INTEGRITY_MEDIUM;
	uint32_t object_level = node->integrity ? node->integrity : MODEL_INTEGRITY_MEDIUM;

	/* Mandatory Integrity Control runs before the DACL. */
	if (token_level < object_level &&
	    (wanted & ~(CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_EXECUTE)))
		return false;
	if (!evaluate(node, &normal, wanted))
		return false;
	if (token->restricting_count == 0)
		return true;
	rechecked = token->write_restricted ? wanted & model_rechecked_rights(token->reading) : wanted;
	if (!rechecked)
		return true;
	return evaluate(node, &restricted, rechecked);
}

/* ------------------------------------------------------------ spellings */

/* Canonical path the spelling reaches, junctions in its directories
 * followed (and the last component's too when follow_last). NULL for
 * spellings that name no file. *stream gets the stream name, if any. */
static char *resolve(model_tree *tree, const char *spelling, bool follow_last, char **stream)
{
	winpath_info info = winpath_classify(spelling);
	char *path;

	*stream = NULL;
	/* cordon refuses \??\ for roots, but a command may spell a path so:
	 * the object manager gets the rest unchanged, as with \\?\. */
	if (info.nt_namespace) {
		size_t size = strlen(spelling) + 1;
		char *extended = malloc(size);

		if (!extended)
			abort();
		snprintf(extended, size, "\\\\?\\%s", spelling + 4);
		path = resolve(tree, extended, follow_last, stream);
		free(extended);
		return path;
	}
	if (info.kind == WINPATH_DEVICE || info.kind == WINPATH_PIPE || info.kind == WINPATH_INVALID)
		return NULL;
	path = winpath_canonical(spelling, NULL, stream);
	if (!path)
		return NULL;
	/* The administrative share \\localhost\C$ is the same volume. */
	if (info.kind == WINPATH_UNC) {
		const char *host = path + 2;
		const char *share = strchr(host, '\\');
		size_t host_length = share ? (size_t)(share - host) : 0;
		bool local = (host_length == 9 && host_equals(host, "localhost", 9)) ||
			     (host_length == 9 && strncmp(host, "127.0.0.1", 9) == 0);

		if (local && share[1] && share[2] == '$' && (share[3] == '\\' || share[3] == '\0')) {
			size_t size = strlen(share) + 4;
			char *drive_path = malloc(size);

			if (!drive_path)
				abort();
			snprintf(drive_path, size, "%c:\\%s", (char)winpath_upcase((unsigned char)share[1]),
				 share[3] ? share + 4 : "");
			free(path);
			path = drive_path;
		} else {
			free(path);
			free(*stream);
			*stream = NULL;
			return NULL;
		}
	}
	for (int hop = 0; hop < MODEL_MAX_LINK_HOPS; hop++) {
		bool replaced = false;
		size_t length = strlen(path);

		for (size_t end = 3; end <= length && !replaced; end++) {
			model_node *node;
			char saved;

			if (end < length && path[end] != '\\')
				continue;
			if (end == length && !follow_last)
				break;
			saved = path[end];
			path[end] = '\0';
			node = model_find(tree, path);
			path[end] = saved;
			if (node && node->reparse_target) {
				size_t target_length = strlen(node->reparse_target);
				char *next = malloc(target_length + (length - end) + 1);

				if (!next)
					abort();
				memcpy(next, node->reparse_target, target_length);
				memcpy(next + target_length, path + end, length - end + 1);
				free(path);
				path = next;
				replaced = true;
			}
		}
		if (!replaced)
			return path;
	}
	free(path);
	free(*stream);
	*stream = NULL;
	return NULL;
}

static model_verdict create_node(model_tree *tree, const model_token *token, const char *path,
				 bool is_directory, model_node **created)
{
	model_node *parent = find_parent(tree, path);

	if (!parent || !parent->is_directory)
		return MODEL_MISSING;
	if (!model_access_check(parent, token,
				is_directory ? CORDON_FILE_ADD_SUBDIRECTORY : CORDON_FILE_ADD_FILE))
		return MODEL_DENIED;
	*created = model_add(tree, path, is_directory, &token->user, NULL, 0);
	return MODEL_ALLOWED;
}

static model_verdict open_for(model_tree *tree, const model_token *token, const char *spelling,
			      uint32_t rights)
{
	char *stream;
	char *path = resolve(tree, spelling, true, &stream);
	model_node *node;
	model_verdict verdict;

	if (!path)
		return MODEL_REFUSED;
	node = model_find(tree, path);
	if (!node) {
		/* Creating a file (or a stream of a new file) first adds the
		 * file to its directory. */
		verdict = create_node(tree, token, path, false, &node);
	} else if (node->is_directory && !stream) {
		verdict = MODEL_REFUSED;
	} else {
		/* A stream is opened with its file's security descriptor. */
		verdict = model_access_check(node, token, rights) ? MODEL_ALLOWED : MODEL_DENIED;
	}
	if (verdict == MODEL_ALLOWED)
		node->writes++;
	free(path);
	free(stream);
	return verdict;
}

model_verdict model_write(model_tree *tree, const model_token *token, const char *path)
{
	return open_for(tree, token, path, CORDON_GENERIC_WRITE);
}

model_verdict model_append(model_tree *tree, const model_token *token, const char *path)
{
	return open_for(tree, token, path, CORDON_FILE_APPEND_DATA | CORDON_SYNCHRONIZE);
}

model_verdict model_mkdir(model_tree *tree, const model_token *token, const char *spelling)
{
	char *stream;
	char *path = resolve(tree, spelling, true, &stream);
	model_node *node;
	model_verdict verdict;

	if (!path || stream) {
		free(path);
		free(stream);
		return MODEL_REFUSED;
	}
	verdict = model_find(tree, path) ? MODEL_REFUSED : create_node(tree, token, path, true, &node);
	free(path);
	return verdict;
}

static bool has_children(model_tree *tree, const model_node *dir)
{
	for (size_t i = 0; i < tree->count; i++) {
		model_node *parent = find_parent(tree, tree->nodes[i].path);

		if (parent == dir)
			return true;
	}
	return false;
}

/* Delete access: DELETE on the object, or FILE_DELETE_CHILD on its
 * parent directory. */
static bool may_delete(model_tree *tree, const model_token *token, const model_node *node)
{
	model_node *parent;

	if (model_access_check(node, token, CORDON_DELETE))
		return true;
	parent = find_parent(tree, node->path);
	return parent && model_access_check(parent, token, CORDON_FILE_DELETE_CHILD);
}

static void remove_node(model_tree *tree, model_node *node)
{
	size_t index = (size_t)(node - tree->nodes);

	free(node->path);
	free(node->reparse_target);
	free(node->gitdir);
	free(node->aces);
	memmove(node, node + 1, (tree->count - index - 1) * sizeof(*node));
	tree->count--;
}

model_verdict model_delete(model_tree *tree, const model_token *token, const char *spelling)
{
	char *stream;
	char *path = resolve(tree, spelling, false, &stream);
	model_node *node;

	if (!path || stream) {
		free(path);
		free(stream);
		return MODEL_REFUSED;
	}
	node = model_find(tree, path);
	free(path);
	if (!node)
		return MODEL_MISSING;
	if (node->is_directory && has_children(tree, node))
		return MODEL_REFUSED; /* not empty */
	if (!may_delete(tree, token, node))
		return MODEL_DENIED;
	remove_node(tree, node);
	return MODEL_ALLOWED;
}

/* Moves node and everything below it to a new path (a rename keeps the
 * security descriptor: explicit and inherited ACEs travel as they are). */
static void move_subtree(model_tree *tree, const char *from, const char *to)
{
	size_t from_length = strlen(from);

	for (size_t i = 0; i < tree->count; i++) {
		model_node *node = &tree->nodes[i];
		size_t length = strlen(node->path);

		if (!winpath_is_within(node->path, from))
			continue;
		{
			size_t rest = length - from_length;
			char *moved = malloc(strlen(to) + rest + 1);

			if (!moved)
				abort();
			memcpy(moved, to, strlen(to));
			memcpy(moved + strlen(to), node->path + from_length, rest + 1);
			free(node->path);
			node->path = moved;
		}
	}
}

model_verdict model_rename(model_tree *tree, const model_token *token, const char *from, const char *to)
{
	char *stream_from, *stream_to;
	char *source = resolve(tree, from, false, &stream_from);
	char *target = resolve(tree, to, false, &stream_to);
	model_verdict verdict = MODEL_ALLOWED;
	model_node *node, *destination;

	if (!source || !target || stream_from || stream_to) {
		verdict = MODEL_REFUSED;
		goto out;
	}
	node = model_find(tree, source);
	destination = find_parent(tree, target);
	if (!node || !destination) {
		verdict = MODEL_MISSING;
		goto out;
	}
	if (model_find(tree, target)) {
		verdict = MODEL_REFUSED; /* no replacing in this model */
		goto out;
	}
	/* The destination directory is opened for adding the entry and for
	 * synchronous I/O. */
	if (!may_delete(tree, token, node) ||
	    !model_access_check(destination, token,
				(node->is_directory ? CORDON_FILE_ADD_SUBDIRECTORY : CORDON_FILE_ADD_FILE) |
					CORDON_SYNCHRONIZE)) {
		verdict = MODEL_DENIED;
		goto out;
	}
	{
		char *old = dup_string(node->path);

		move_subtree(tree, old, target);
		free(old);
	}
out:
	free(source);
	free(target);
	free(stream_from);
	free(stream_to);
	return verdict;
}

model_verdict model_write_dac(model_tree *tree, const model_token *token, const char *spelling)
{
	char *stream;
	char *path = resolve(tree, spelling, true, &stream);
	model_node *node;
	model_verdict verdict;

	if (!path) {
		free(stream);
		return MODEL_REFUSED;
	}
	node = model_find(tree, path);
	verdict = !node						      ? MODEL_MISSING
		  : model_access_check(node, token, CORDON_WRITE_DAC) ? MODEL_ALLOWED
								      : MODEL_DENIED;
	free(path);
	free(stream);
	return verdict;
}

/* --------------------------------------------------------- plan interop */

cordon_win_snapshot model_snapshot(const model_tree *tree)
{
	cordon_win_entry *entries = calloc(tree->count + 1, sizeof(*entries));
	cordon_win_snapshot snapshot;

	if (!entries)
		abort();
	for (size_t i = 0; i < tree->count; i++) {
		const model_node *node = &tree->nodes[i];

		entries[i].path = node->path;
		entries[i].is_directory = node->is_directory;
		entries[i].is_reparse_point = node->reparse_target != NULL;
		entries[i].reparse_target = node->reparse_target;
		entries[i].gitdir = node->gitdir;
		entries[i].dacl_present = node->dacl_present;
		entries[i].aces = node->aces;
		entries[i].ace_count = node->ace_count;
	}
	snapshot.entries = entries;
	snapshot.count = tree->count;
	return snapshot;
}

void model_snapshot_free(cordon_win_snapshot *snapshot)
{
	free((void *)snapshot->entries);
	snapshot->entries = NULL;
	snapshot->count = 0;
}

static int by_depth(const void *a, const void *b)
{
	size_t la = strlen((*(model_node *const *)a)->path);
	size_t lb = strlen((*(model_node *const *)b)->path);

	return la < lb ? -1 : la > lb;
}

static void propagate_below(model_tree *tree, const char *top)
{
	model_node **order = malloc((tree->count + 1) * sizeof(*order));
	size_t n = 0;

	if (!order)
		abort();
	for (size_t i = 0; i < tree->count; i++)
		if (winpath_is_within(tree->nodes[i].path, top) &&
		    winpath_compare(tree->nodes[i].path, top) != 0)
			order[n++] = &tree->nodes[i];
	qsort(order, n, sizeof(*order), by_depth);
	for (size_t i = 0; i < n; i++)
		reinherit(tree, order[i]);
	free(order);
}

bool model_apply_plan(model_tree *tree, const cordon_acl_plan *plan)
{
	for (size_t i = 0; i < plan->change_count; i++) {
		const cordon_acl_change *change = &plan->changes[i];
		model_node *node = model_find(tree, change->path);
		cordon_ace *aces;
		size_t count;

		if (!node)
			return false;
		if (!cordon_dacl_apply_change(node->aces, node->ace_count, change, &aces, &count))
			abort();
		free(node->aces);
		node->aces = aces;
		node->ace_count = count;
		node->dacl_present = true;
		tree->descriptors_written++;
		propagate_below(tree, node->path);
	}
	return true;
}

model_token model_token_from_plan(const cordon_token_plan *plan, const cordon_sid *user,
				  const cordon_sid *groups, size_t group_count, model_reading reading)
{
	model_token token;

	memset(&token, 0, sizeof(token));
	token.user = *user;
	for (size_t i = 0; i < group_count && i < 12; i++)
		token.groups[token.group_count++] = groups[i];
	for (size_t i = 0; i < plan->restricting_count && i < 8; i++)
		token.restricting[token.restricting_count++] = plan->restricting[i];
	token.write_restricted = plan->write_restricted;
	token.reading = reading;
	return token;
}

cordon_sid model_run_sid(void)
{
	static uint32_t runs;
	uint32_t sub[5] = {21, 900, 901, 902, ++runs};
	return cordon_sid_make(5, 5, sub);
}

cordon_sid model_sid(const char *text)
{
	cordon_sid sid;
	if (!cordon_sid_parse(text, &sid)) {
		fprintf(stderr, "model_sid: not a SID: %s\n", text);
		abort();
	}
	return sid;
}
