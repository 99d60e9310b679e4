/* The ACL engine's ports backed by the access-check model (tests only).
 *
 * The file port opens a model node as Win32 opens a file with
 * FILE_FLAG_OPEN_REPARSE_POINT: junctions in the directories on the way
 * are followed, a junction in the last component is opened itself. Each
 * object keeps an identity (its file id) that follows it when it is
 * renamed, so a path swapped for a junction reaches an object with
 * another identity. DACL writes go to the node the handle was opened on
 * and are propagated below it by the model's own code (which does not
 * follow junctions). Every DACL read and write is logged by path.
 *
 * The state port keeps cordon's state directory in memory. */
#ifndef CORDON_TESTS_WINMODEL_SUPPORT_MODEL_PORT_H
#define CORDON_TESTS_WINMODEL_SUPPORT_MODEL_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "support_model.h"
#include "windows/plan/acl_apply.h"

typedef struct model_port_write {
	char *path;
	cordon_ace *aces; /* the DACL as the engine wrote it */
	size_t ace_count;
} model_port_write;

typedef struct model_port model_port;

struct model_port {
	model_tree *tree;
	struct model_port_object {
		uint64_t id;
		char *path; /* where the object is now */
	} * objects;
	size_t object_count;
	uint64_t next_id;
	size_t opens;
	char **reads; /* paths whose DACL was read, in order */
	size_t read_count;
	model_port_write *writes;
	size_t write_count;
	/* Called once, before the first open made to change a DACL: the
	 * moment between snapshot and apply. */
	void (*before_first_change)(model_port *port, void *context);
	void *before_first_change_context;
	bool change_opened;
	/* read_dacl reports ACE types cordon does not model (object or
	 * callback ACEs) on this path, when set. */
	const char *unknown_aces_path;
};

void model_port_init(model_port *port, model_tree *tree);
void model_port_free(model_port *port);
cordon_fs_port model_port_fs(model_port *port);

/* How many times the DACL of canonical path (exactly that object's
 * path, or anything below it when below is set) was read / written. */
size_t model_port_reads_of(const model_port *port, const char *path, bool below);
size_t model_port_writes_of(const model_port *port, const char *path, bool below);

/* Renames the node at from, and everything below it, to to; their
 * identities go with them (as a rename does on NTFS). */
void model_port_move(model_port *port, const char *from, const char *to);

/* cordon's state directory, in memory. */
typedef struct memory_state {
	struct memory_file {
		char *name;
		char *data;
		size_t length;
		bool owner_only;
	} files[8];
	size_t file_count;
	size_t replaces;
	size_t creates;
	size_t random_calls;
	/* create_exclusive finds this file already made by "another
	 * cordon" (data below) when set. */
	bool race_create;
	uint8_t race_data[CORDON_CAPSID_SECRET_BYTES];
} memory_state;

void memory_state_init(memory_state *state);
void memory_state_free(memory_state *state);
cordon_state_port memory_state_port(memory_state *state);
struct memory_file *memory_state_find(memory_state *state, const char *name);
/* Creates or replaces a file as someone other than cordon would. */
void memory_state_put(memory_state *state, const char *name, const void *data, size_t length,
		      bool owner_only);

#endif
