#include "support_model_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/winpath.h"

#define PORT_MAX_LINK_HOPS 16

struct cordon_fs_handle {
	uint64_t id;
};

static char *port_strdup(const char *s)
{
	size_t length = strlen(s) + 1;
	char *copy = malloc(length);

	if (!copy)
		abort();
	memcpy(copy, s, length);
	return copy;
}

void model_port_init(model_port *port, model_tree *tree)
{
	memset(port, 0, sizeof(*port));
	port->tree = tree;
	port->next_id = 1;
}

void model_port_free(model_port *port)
{
	for (size_t i = 0; i < port->object_count; i++)
		free(port->objects[i].path);
	free(port->objects);
	for (size_t i = 0; i < port->read_count; i++)
		free(port->reads[i]);
	free(port->reads);
	for (size_t i = 0; i < port->write_count; i++) {
		free(port->writes[i].path);
		free(port->writes[i].aces);
	}
	free(port->writes);
	memset(port, 0, sizeof(*port));
}

/* The identity of the object now at path, made on first sight. */
static uint64_t identity_of(model_port *port, const char *path)
{
	struct model_port_object *grown;

	for (size_t i = 0; i < port->object_count; i++)
		if (winpath_compare(port->objects[i].path, path) == 0)
			return port->objects[i].id;
	grown = realloc(port->objects, (port->object_count + 1) * sizeof(*grown));
	if (!grown)
		abort();
	port->objects = grown;
	grown[port->object_count].id = port->next_id++;
	grown[port->object_count].path = port_strdup(path);
	return grown[port->object_count++].id;
}

static model_node *node_of(model_port *port, const cordon_fs_handle *handle)
{
	for (size_t i = 0; i < port->object_count; i++)
		if (port->objects[i].id == handle->id)
			return model_find(port->tree, port->objects[i].path);
	return NULL;
}

/* What Win32 reaches for path with FILE_FLAG_OPEN_REPARSE_POINT:
 * junctions in the directories on the way followed, the last component
 * not. Allocated; NULL when too many links. */
static char *resolve_no_follow_last(model_port *port, const char *path)
{
	char *current = port_strdup(path);

	for (int hop = 0; hop < PORT_MAX_LINK_HOPS; hop++) {
		size_t length = strlen(current);
		bool replaced = false;

		for (size_t end = 3; end < length && !replaced; end++) {
			model_node *node;

			if (current[end] != '\\')
				continue;
			current[end] = '\0';
			node = model_find(port->tree, current);
			current[end] = '\\';
			if (node && node->reparse_target) {
				size_t target_length = strlen(node->reparse_target);
				char *next = malloc(target_length + (length - end) + 1);

				if (!next)
					abort();
				memcpy(next, node->reparse_target, target_length);
				memcpy(next + target_length, current + end, length - end + 1);
				free(current);
				current = next;
				replaced = true;
			}
		}
		if (!replaced)
			return current;
	}
	free(current);
	return NULL;
}

static cordon_code port_open(void *context, const char *path, cordon_fs_intent intent, cordon_fs_handle **out,
			     cordon_fs_info *info, cordon_error *err)
{
	model_port *port = context;
	char *reached;
	model_node *node;

	if (intent == CORDON_FS_CHANGE_DACL && !port->change_opened) {
		port->change_opened = true;
		if (port->before_first_change)
			port->before_first_change(port, port->before_first_change_context);
	}
	port->opens++;
	reached = resolve_no_follow_last(port, path);
	node = reached ? model_find(port->tree, reached) : NULL;
	if (!node) {
		free(reached);
		return cordon_fail(err, CORDON_E_NOT_FOUND, "model: %s: not found", path);
	}
	*out = malloc(sizeof(**out));
	if (!*out)
		abort();
	(*out)->id = identity_of(port, node->path);
	memset(info, 0, sizeof(*info));
	info->is_directory = node->is_directory;
	info->is_reparse_point = node->reparse_target != NULL;
	info->identity.volume = 1;
	info->identity.file_id_low = (*out)->id;
	free(reached);
	return CORDON_OK;
}

static bool is_child(const char *path, const char *directory)
{
	size_t length = strlen(directory);
	const char *rest;

	if (!winpath_is_within(path, directory) || winpath_compare(path, directory) == 0)
		return false;
	rest = path + length;
	if (*rest == '\\')
		rest++;
	return *rest && !strchr(rest, '\\');
}

static cordon_code port_list(void *context, cordon_fs_handle *handle, char ***names, size_t *count,
			     cordon_error *err)
{
	model_port *port = context;
	model_node *directory = node_of(port, handle);
	const char *path;

	*names = NULL;
	*count = 0;
	if (!directory || !directory->is_directory)
		return cordon_fail(err, CORDON_E_INVALID, "model: not a directory");
	path = directory->path;
	*names = calloc(port->tree->count + 1, sizeof(**names));
	if (!*names)
		abort();
	for (size_t i = 0; i < port->tree->count; i++) {
		const char *child = port->tree->nodes[i].path;

		if (is_child(child, path))
			(*names)[(*count)++] = port_strdup(strrchr(child, '\\') + 1);
	}
	return CORDON_OK;
}

static char *port_reparse_target(void *context, cordon_fs_handle *handle)
{
	model_node *node = node_of(context, handle);

	return node && node->reparse_target ? port_strdup(node->reparse_target) : NULL;
}

/* A worktree's .git file as git writes it. */
static cordon_code port_read_head(void *context, cordon_fs_handle *handle, char *buffer, size_t size,
				  size_t *length, cordon_error *err)
{
	model_node *node = node_of(context, handle);

	*length = 0;
	if (!node || node->is_directory)
		return cordon_fail(err, CORDON_E_INVALID, "model: not a file");
	if (node->gitdir)
		*length = (size_t)snprintf(buffer, size, "gitdir: %s\n", node->gitdir);
	if (*length >= size)
		*length = size - 1;
	return CORDON_OK;
}

static cordon_code port_read_dacl(void *context, cordon_fs_handle *handle, cordon_fs_dacl *out,
				  cordon_error *err)
{
	model_port *port = context;
	model_node *node = node_of(port, handle);
	char **grown;

	memset(out, 0, sizeof(*out));
	if (!node)
		return cordon_fail(err, CORDON_E_NOT_FOUND, "model: the object is gone");
	grown = realloc(port->reads, (port->read_count + 1) * sizeof(*grown));
	if (!grown)
		abort();
	port->reads = grown;
	grown[port->read_count++] = port_strdup(node->path);
	out->present = node->dacl_present;
	out->dacl_protected = node->dacl_protected;
	out->has_unknown_aces =
		port->unknown_aces_path && winpath_compare(port->unknown_aces_path, node->path) == 0;
	out->aces = malloc((node->ace_count + 1) * sizeof(*out->aces));
	if (!out->aces)
		abort();
	if (node->ace_count)
		memcpy(out->aces, node->aces, node->ace_count * sizeof(*out->aces));
	out->ace_count = node->ace_count;
	return CORDON_OK;
}

static cordon_ace *copy_aces(const cordon_ace *aces, size_t count)
{
	cordon_ace *copy = malloc((count + 1) * sizeof(*copy));

	if (!copy)
		abort();
	if (count)
		memcpy(copy, aces, count * sizeof(*copy));
	return copy;
}

/* Sets the DACL of the handle's node, then has the model propagate the
 * inheritable ACEs below it, as SetSecurityInfo does: a plan of one
 * change that adds nothing runs exactly the model's propagation. */
static cordon_code port_write_dacl(void *context, cordon_fs_handle *handle, const cordon_fs_dacl *dacl,
				   cordon_error *err)
{
	model_port *port = context;
	model_node *node = node_of(port, handle);
	model_port_write *grown;
	cordon_acl_change change;
	cordon_acl_plan plan;

	if (!node)
		return cordon_fail(err, CORDON_E_NOT_FOUND, "model: the object is gone");
	grown = realloc(port->writes, (port->write_count + 1) * sizeof(*grown));
	if (!grown)
		abort();
	port->writes = grown;
	grown[port->write_count].path = port_strdup(node->path);
	grown[port->write_count].aces = copy_aces(dacl->aces, dacl->ace_count);
	grown[port->write_count].ace_count = dacl->ace_count;
	port->write_count++;
	free(node->aces);
	node->aces = copy_aces(dacl->aces, dacl->ace_count);
	node->ace_count = dacl->ace_count;
	node->dacl_present = dacl->present;
	node->dacl_protected = dacl->dacl_protected;
	memset(&change, 0, sizeof(change));
	change.path = node->path;
	memset(&plan, 0, sizeof(plan));
	plan.changes = &change;
	plan.change_count = 1;
	if (!model_apply_plan(port->tree, &plan))
		abort();
	return CORDON_OK;
}

static void port_close(void *context, cordon_fs_handle *handle)
{
	(void)context;
	free(handle);
}

cordon_fs_port model_port_fs(model_port *port)
{
	cordon_fs_port fs = {
		.context = port,
		.open = port_open,
		.list = port_list,
		.reparse_target = port_reparse_target,
		.read_head = port_read_head,
		.read_dacl = port_read_dacl,
		.write_dacl = port_write_dacl,
		.close = port_close,
	};
	return fs;
}

static bool path_matches(const char *logged, const char *path, bool below)
{
	return below ? winpath_is_within(logged, path) : winpath_compare(logged, path) == 0;
}

size_t model_port_reads_of(const model_port *port, const char *path, bool below)
{
	size_t n = 0;

	for (size_t i = 0; i < port->read_count; i++)
		n += path_matches(port->reads[i], path, below);
	return n;
}

size_t model_port_writes_of(const model_port *port, const char *path, bool below)
{
	size_t n = 0;

	for (size_t i = 0; i < port->write_count; i++)
		n += path_matches(port->writes[i].path, path, below);
	return n;
}

static char *moved_path(const char *path, const char *from, const char *to)
{
	size_t from_length = strlen(from), to_length = strlen(to);
	char *moved = malloc(to_length + strlen(path) - from_length + 1);

	if (!moved)
		abort();
	memcpy(moved, to, to_length);
	strcpy(moved + to_length, path + from_length);
	return moved;
}

void model_port_move(model_port *port, const char *from, const char *to)
{
	char *source = port_strdup(from);

	/* Every object below gets an identity first, so it keeps it. */
	for (size_t i = 0; i < port->tree->count; i++)
		if (winpath_is_within(port->tree->nodes[i].path, source))
			identity_of(port, port->tree->nodes[i].path);
	for (size_t i = 0; i < port->tree->count; i++) {
		model_node *node = &port->tree->nodes[i];

		if (winpath_is_within(node->path, source)) {
			char *moved = moved_path(node->path, source, to);

			free(node->path);
			node->path = moved;
		}
	}
	for (size_t i = 0; i < port->object_count; i++) {
		struct model_port_object *object = &port->objects[i];

		if (winpath_is_within(object->path, source)) {
			char *moved = moved_path(object->path, source, to);

			free(object->path);
			object->path = moved;
		}
	}
	free(source);
}

/* ---------------------------------------------------------- memory state */

void memory_state_init(memory_state *state)
{
	memset(state, 0, sizeof(*state));
}

void memory_state_free(memory_state *state)
{
	for (size_t i = 0; i < state->file_count; i++) {
		free(state->files[i].name);
		free(state->files[i].data);
	}
	memset(state, 0, sizeof(*state));
}

struct memory_file *memory_state_find(memory_state *state, const char *name)
{
	for (size_t i = 0; i < state->file_count; i++)
		if (strcmp(state->files[i].name, name) == 0)
			return &state->files[i];
	return NULL;
}

void memory_state_put(memory_state *state, const char *name, const void *data, size_t length, bool owner_only)
{
	struct memory_file *file = memory_state_find(state, name);
	char *copy;

	if (!file) {
		if (state->file_count == sizeof(state->files) / sizeof(state->files[0]))
			abort();
		file = &state->files[state->file_count++];
		file->name = port_strdup(name);
		file->data = NULL;
	}
	/* data may be the file's own bytes (a truncation): copy first. */
	copy = malloc(length + 1);
	if (!copy)
		abort();
	memcpy(copy, data, length);
	copy[length] = '\0';
	free(file->data);
	file->data = copy;
	file->length = length;
	file->owner_only = owner_only;
}

static cordon_code state_read(void *context, const char *name, char **data, size_t *length, bool *owner_only,
			      cordon_error *err)
{
	struct memory_file *file = memory_state_find(context, name);

	*data = NULL;
	*length = 0;
	if (!file)
		return cordon_fail(err, CORDON_E_NOT_FOUND, "state: %s: not found", name);
	*data = malloc(file->length + 1);
	if (!*data)
		abort();
	memcpy(*data, file->data, file->length + 1);
	*length = file->length;
	if (owner_only)
		*owner_only = file->owner_only;
	return CORDON_OK;
}

static cordon_code state_replace(void *context, const char *name, const void *data, size_t length,
				 cordon_error *err)
{
	memory_state *state = context;

	(void)err;
	state->replaces++;
	memory_state_put(state, name, data, length, true);
	return CORDON_OK;
}

static cordon_code state_create(void *context, const char *name, const void *data, size_t length,
				cordon_error *err)
{
	memory_state *state = context;

	if (state->race_create && !memory_state_find(state, name))
		memory_state_put(state, name, state->race_data, sizeof(state->race_data), true);
	if (memory_state_find(state, name))
		return cordon_fail(err, CORDON_E_STATE, "state: %s exists", name);
	state->creates++;
	memory_state_put(state, name, data, length, true);
	return CORDON_OK;
}

/* Not random: distinct per call, which is all the tests tell apart. */
static cordon_code state_random(void *context, uint8_t *buffer, size_t length, cordon_error *err)
{
	memory_state *state = context;

	(void)err;
	state->random_calls++;
	for (size_t i = 0; i < length; i++)
		buffer[i] = (uint8_t)(state->random_calls * 131u + i * 7u);
	return CORDON_OK;
}

cordon_state_port memory_state_port(memory_state *state)
{
	cordon_state_port port = {
		.context = state,
		.read_file = state_read,
		.replace_file = state_replace,
		.create_exclusive = state_create,
		.random_bytes = state_random,
	};
	return port;
}
