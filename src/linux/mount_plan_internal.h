/* Private to mount_plan.c, mounts.c and their tests: the filesystem facts
 * the mount plan is computed from, and the host-side bookkeeping that
 * travels with a plan.
 *
 * linux_plan_build() is linux_plan_build_with() over the real filesystem;
 * the computation itself only asks the view, so unit tests hand it a fake
 * tree and check the plan without touching the disk.
 */
#ifndef CORDON_LINUX_MOUNT_PLAN_INTERNAL_H
#define CORDON_LINUX_MOUNT_PLAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"
#include "../core/fsview.h"

typedef struct linux_plan_view {
	void *ctx;
	/* Kind of path without following a final link (missing: CORDON_FS_MISSING). */
	cordon_fs_kind (*kind)(void *ctx, const char *path);
	/* Whether dir is a case-folding directory (ext4/f2fs "+F"). */
	bool (*casefolded)(void *ctx, const char *dir);
	/* Reads up to size - 1 bytes of a small file into buf, NUL-terminated;
	 * returns the length or -1. */
	long (*read_file)(void *ctx, const char *path, char *buf, size_t size);
	/* Allocates the canonical spelling of an existing path (links
	 * followed), or NULL when it cannot be resolved. */
	char *(*canonical)(void *ctx, const char *path);
} linux_plan_view;

/* The real filesystem (lstat, FS_IOC_GETFLAGS, read, realpath). */
const linux_plan_view *linux_plan_view_system(void);

cordon_code linux_plan_build_with(const cordon_resolved *policy, const linux_host *host,
				  const linux_plan_view *view, linux_plan **out, cordon_error *err);

/* One placeholder this run holds (host side). */
typedef struct linux_placeholder {
	char *path;
	bool created;  /* made by this run's prepare (else it was reused) */
	bool is_state; /* cordon's state directory: kept after the run */
	dev_t dev;
	ino_t ino;
	int lock_fd; /* shared flock held for the whole run, -1 if none */
} linux_placeholder;

/* What linux_plan_build allocates: the public plan first, so a
 * linux_plan pointer converts back (linux_plan_storage_of). */
typedef struct linux_plan_storage {
	linux_plan plan;
	/* From the host facts, for linux_mounts_apply (linux_plan has no
	 * field for it): false means remount mount by mount. */
	bool mount_setattr_available;
	size_t mount_capacity;
	size_t note_capacity;
	linux_placeholder *placeholders;
	size_t placeholder_count;
} linux_plan_storage;

static inline linux_plan_storage *linux_plan_storage_of(const linux_plan *plan)
{
	return (linux_plan_storage *)plan;
}

/* Host side: releases placeholder locks without removing anything
 * (called by linux_plan_free). */
void linux_plan_release_placeholders(linux_plan *plan);

#endif
