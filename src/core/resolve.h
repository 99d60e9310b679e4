/* Policy resolution: requested policy + filesystem view -> what will be
 * enforced. Pure given the view. */
#ifndef CORDON_CORE_RESOLVE_H
#define CORDON_CORE_RESOLVE_H

#include "cordon.h"
#include "fsview.h"

/* Allocates *out. cordon_policy_resolve() is this with
 * cordon_fsview_system(). Rules (README "Policy resolution"):
 *  - relative paths are taken against the process cwd, then made lexically
 *    clean ('.', '..', repeated and trailing '/'), then walked one
 *    component at a time: a symlink inside a directory the invoking user
 *    can write is refused (CORDON_E_UNTRUSTED_LINK, naming link and target
 *    and asking for the real path); other links are followed;
 *  - cwd and roots must exist and be directories (CORDON_E_NOT_FOUND /
 *    CORDON_E_INVALID);
 *  - workspace-write: roots = cwd (WORKSPACE), extra roots (EXTRA), and
 *    $TMPDIR or /tmp (TMP) unless tmp_writable is false; duplicates are
 *    dropped (WORKSPACE kind wins ties); roots nested inside another root
 *    are kept, because protected names hold at the top of every root;
 *  - read-only and full-access: no writable roots;
 *  - state dir: $XDG_STATE_HOME/cordon, else $HOME/.local/state/cordon;
 *    never writable from inside, whatever the roots say (backends protect
 *    it like a protected path);
 *  - allowed domains require network proxy (CORDON_E_INVALID otherwise);
 *  - digest: SHA-256 of the compact canonical JSON. */
cordon_code cordon_policy_resolve_with(const cordon_policy *policy, const cordon_fsview *fs,
				       cordon_resolved **out, cordon_error *err);

/* Lexical clean-up of an absolute POSIX path into a new string: collapses
 * '//' and '.', resolves '..' textually (never above '/'), drops a
 * trailing '/'. Allocates; NULL on out of memory or a relative path. */
char *cordon_path_clean(const char *absolute);
/* Whether path equals root or lies below it (both clean, absolute). */
bool cordon_path_is_within(const char *path, const char *root);

#endif
