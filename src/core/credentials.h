/* The well-known credential stores under a user's home that every sandboxed
 * run hides by default, and the names a user may give to let one through.
 * One table, shared by every backend: the Linux mount plan masks what
 * resolve.c finds of it, and the Windows plans take the same relative
 * names under %USERPROFILE% (cordon_credential_store_path). */
#ifndef CORDON_CORE_CREDENTIALS_H
#define CORDON_CORE_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"

/* The word that lifts the whole default set. */
#define CORDON_CREDENTIALS_ALL "all"

/* The table index of name (relative to the home, '/' or '\\' between
 * components, no leading "./", trailing separators ignored), or -1. */
long cordon_credential_store_find(const char *name);

/* Allocates home + separator + the entry's name, with every '/' of the
 * name turned into separator ('/' on Linux, '\\' under %USERPROFILE%).
 * NULL on out of memory or an index past the table. */
char *cordon_credential_store_path(const char *home, size_t index, char separator);

/* Turns what a user wrote to lift an entry into the form the policy keeps:
 * "~/.ssh", "./.ssh/" and ".ssh" become ".ssh"; an absolute spelling is
 * kept as given (it can only be matched once the home is known);
 * "all" stays "all". Allocates *out. CORDON_E_INVALID, naming the valid
 * names, for anything that is not an entry of the table. */
cordon_code cordon_credential_lift_normalize(const char *given, char **out, cordon_error *err);

/* Whether a lift is an absolute spelling, to be matched at resolution. */
bool cordon_credential_lift_is_absolute(const char *lift);

#endif
