/* The junction that stands in for a working directory in elevated mode
 * while the read grants are still being applied (docs/windows.md, "The
 * read-grant helper and the junction"). Pure, portable C: the name and
 * place of a junction, the target it must store, the DACL of the folder
 * that holds them, and the check that a DACL lets nobody but the user,
 * SYSTEM and Administrators change a junction. The Windows layer
 * (src/windows/grant_helper.c) creates and verifies them.
 *
 * Where: %ProgramData%\cordon\junctions\<name>, name = 32 hex digits of
 * a public digest of the canonical working directory (case folded, so
 * every spelling of one directory gives one junction). The folder is
 * made by `cordon setup` (as administrator), owned by Administrators,
 * with a protected DACL: SYSTEM and Administrators full control; the
 * installing user may list it and add subfolders (a junction is a
 * directory) but not add files or delete other entries; CREATOR OWNER
 * full control on what is created inside, so the user may replace the
 * junctions the user made; the sandbox group read and execute, so the
 * sandbox accounts can open the junction and go through it, never change
 * it. */
#ifndef CORDON_WINDOWS_PLAN_CWD_JUNCTION_H
#define CORDON_WINDOWS_PLAN_CWD_JUNCTION_H

#include <stdbool.h>
#include <stddef.h>

#include "windows/plan/acl_plan.h"
#include "windows/plan/sid.h"

#define CORDON_JUNCTIONS_SUBDIR	   "cordon\\junctions" /* below %ProgramData% */
#define CORDON_JUNCTION_NAME_CHARS 32
#define CORDON_JUNCTION_DIR_ACES   5

/* The junction's file name for a canonical working directory. False on
 * out of memory or an empty path. */
bool cordon_junction_name(const char *canonical_dir, char name[CORDON_JUNCTION_NAME_CHARS + 1]);

/* program_data\cordon\junctions (allocated, free()). */
char *cordon_junction_dir(const char *program_data);
/* program_data\cordon\junctions\<name> (allocated, free()). */
char *cordon_junction_path(const char *program_data, const char *canonical_dir);

/* The substitute name a mount-point reparse point stores to reach
 * canonical_target: "\??\C:\x" (allocated). NULL for paths a junction
 * cannot point to (UNC, relative) or out of memory. */
char *cordon_junction_substitute(const char *canonical_target);
/* Whether a junction's stored substitute name reaches canonical_target
 * (same path, case-insensitively; a trailing separator ignored). */
bool cordon_junction_points_to(const char *substitute, const char *canonical_target);

/* The junctions folder's DACL (explicit ACEs, protected), in order. */
void cordon_junction_dir_aces(const cordon_sid *user, const cordon_sid *sandbox_group,
			      cordon_ace aces[CORDON_JUNCTION_DIR_ACES]);

/* Whether a DACL (the junctions folder's, or a junction's) lets no SID
 * other than SYSTEM, Administrators, owner (the object's owner) and the
 * SIDs in trusted change the object or its entries. CREATOR OWNER ACEs
 * that only pass on to children are allowed (they become the creating
 * user's). A NULL DACL (present false) is unsafe. */
bool cordon_junction_dacl_safe(bool present, const cordon_ace *aces, size_t count, const cordon_sid *owner,
			       const cordon_sid *trusted, size_t trusted_count);

#endif
