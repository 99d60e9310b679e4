/* The Linux mount plan: resolved policy + host facts -> which bind mounts,
 * masks and placeholders make up the sandbox's view of the filesystem.
 *
 * The computation asks a linux_plan_view for every fact it needs (kind of
 * a path, case folding, a worktree's .git file), so it is pure given the
 * view; linux_plan_build() hands it the real filesystem.
 *
 * Order of the mount operations (linux_mounts_apply follows it blindly):
 *   1. writable roots bound read-write, outer before nested, then
 *      "pins" (directories bound over themselves so they cannot be
 *      renamed away from under a protection deeper inside a root);
 *   2. protections: protected names and cordon's state bound read-only,
 *      placeholders for the missing ones;
 *   3. masks: deny-read paths and host unix sockets.
 * A later bind over an ancestor would hide an earlier one, so every bind
 * over a directory comes before the binds below it. The count is
 * O(roots x protected names + masks), never O(files).
 */
#include "mount_plan_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/error.h"
#include "../core/strset.h"

#ifndef FS_CASEFOLD_FL
#define FS_CASEFOLD_FL 0x40000000
#endif

/* ---------------------------------------------------------------- paths */

/* Whether path equals dir or lies below it (both clean and absolute). */
static bool path_within(const char *path, const char *dir)
{
	size_t length = strlen(dir);
	if (length == 1 && dir[0] == '/')
		return path[0] == '/';
	if (strncmp(path, dir, length) != 0)
		return false;
	return path[length] == '\0' || path[length] == '/';
}

static size_t path_depth(const char *path)
{
	size_t depth = 0;
	for (const char *c = path; *c; c++)
		if (*c == '/')
			depth++;
	return depth;
}

/* Allocates dir + "/" + name. */
static char *path_join(const char *dir, const char *name)
{
	char *joined = NULL;
	const char *separator = strcmp(dir, "/") == 0 ? "" : "/";
	if (asprintf(&joined, "%s%s%s", dir, separator, name) < 0)
		return NULL;
	return joined;
}

/* Allocates the lexically clean form of an absolute path ('.', '..',
 * repeated '/', trailing '/'); NULL for a relative path. */
static char *path_clean(const char *path)
{
	if (path[0] != '/')
		return NULL;
	size_t length = strlen(path);
	char *out = malloc(length + 2);
	if (out == NULL)
		return NULL;
	size_t used = 0; /* bytes of out in use, never counting a final '/' */
	const char *c = path;
	while (*c) {
		while (*c == '/')
			c++;
		const char *start = c;
		while (*c && *c != '/')
			c++;
		size_t part = (size_t)(c - start);
		if (part == 0 || (part == 1 && start[0] == '.'))
			continue;
		if (part == 2 && start[0] == '.' && start[1] == '.') {
			while (used > 0 && out[used - 1] != '/')
				used--;
			if (used > 0)
				used--;
			continue;
		}
		out[used++] = '/';
		memcpy(out + used, start, part);
		used += part;
	}
	if (used == 0)
		out[used++] = '/';
	out[used] = '\0';
	return out;
}

/* --------------------------------------------------------------- builder */

typedef struct plan_builder {
	linux_plan_storage *storage;
	const cordon_resolved *policy;
	const linux_plan_view *view;
	cordon_error *err;
	cordon_code failure;	 /* set by the first failing step */
	cordon_strset protected; /* targets of every op but BIND_RW (borrowed from the ops) */
} plan_builder;

static bool builder_ok(const plan_builder *b)
{
	return b->failure == CORDON_OK;
}

static void builder_nomem(plan_builder *b)
{
	if (builder_ok(b))
		b->failure = cordon_fail(b->err, CORDON_E_NOMEM,
					 "cannot plan the sandbox's mounts: out of memory");
}

static bool has_mount(const linux_plan *plan, const char *target)
{
	for (size_t i = 0; i < plan->mount_count; i++)
		if (strcmp(plan->mounts[i].target, target) == 0)
			return true;
	return false;
}

/* Whether target already has a read-only bind, placeholder or mask. */
static bool has_protection(const plan_builder *b, const char *target)
{
	return cordon_strset_contains(&b->protected, target);
}

static void push_mount(plan_builder *b, linux_mount_op_kind kind, const char *source, const char *target)
{
	if (!builder_ok(b))
		return;
	linux_plan_storage *s = b->storage;
	linux_plan *plan = &s->plan;
	if (plan->mount_count == s->mount_capacity) {
		size_t capacity = s->mount_capacity ? s->mount_capacity * 2 : 16;
		linux_mount_op *mounts = realloc(plan->mounts, capacity * sizeof(*mounts));
		if (mounts == NULL) {
			builder_nomem(b);
			return;
		}
		plan->mounts = mounts;
		s->mount_capacity = capacity;
	}
	linux_mount_op *op = &plan->mounts[plan->mount_count];
	op->kind = kind;
	op->source = source ? strdup(source) : NULL;
	op->target = strdup(target);
	if (op->target == NULL || (source && op->source == NULL)) {
		free(op->source);
		free(op->target);
		builder_nomem(b);
		return;
	}
	plan->mount_count++;
	if (kind != LINUX_MOUNT_BIND_RW && !cordon_strset_add(&b->protected, op->target))
		builder_nomem(b);
}

static void push_note(plan_builder *b, const char *format, ...) CORDON_PRINTF(2, 3);
static void push_note(plan_builder *b, const char *format, ...)
{
	if (!builder_ok(b))
		return;
	linux_plan_storage *s = b->storage;
	linux_plan *plan = &s->plan;
	if (plan->not_enforced_count == s->note_capacity) {
		size_t capacity = s->note_capacity ? s->note_capacity * 2 : 8;
		char **notes = realloc(plan->not_enforced, capacity * sizeof(*notes));
		if (notes == NULL) {
			builder_nomem(b);
			return;
		}
		plan->not_enforced = notes;
		s->note_capacity = capacity;
	}
	char *line = NULL;
	va_list args;
	va_start(args, format);
	int printed = vasprintf(&line, format, args);
	va_end(args);
	if (printed < 0) {
		builder_nomem(b);
		return;
	}
	plan->not_enforced[plan->not_enforced_count++] = line;
}

/* ".git, .codex, .agents" into buf (truncated with "..." if long). */
static void format_names(const cordon_strlist *names, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < names->count && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names->items[i]);
		if (n < 0 || (size_t)n >= size - used) {
			if (size > 4)
				strcpy(buf + size - 4, "...");
			return;
		}
		used += (size_t)n;
	}
}

/* ------------------------------------------------- host capability gate */

/* Why user namespaces are off, from the usual sysctls; "" when unknown. */
static void userns_reason(const linux_plan_view *view, char *why, size_t size)
{
	char value[32];
	why[0] = '\0';
	if (view->read_file(view->ctx, "/proc/sys/user/max_user_namespaces", value, sizeof(value)) > 0 &&
	    atol(value) == 0) {
		snprintf(why, size, "user.max_user_namespaces is 0");
		return;
	}
	if (view->read_file(view->ctx, "/proc/sys/kernel/unprivileged_userns_clone", value, sizeof(value)) >
		    0 &&
	    atol(value) == 0) {
		snprintf(why, size, "kernel.unprivileged_userns_clone is 0");
		return;
	}
	if (view->read_file(view->ctx, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", value,
			    sizeof(value)) > 0 &&
	    atol(value) == 1) {
		snprintf(why, size,
			 "AppArmor restricts them: kernel.apparmor_restrict_unprivileged_userns is 1");
		return;
	}
}

static void note_without_userns(plan_builder *b)
{
	const cordon_resolved *policy = b->policy;
	char names[256];
	format_names(&policy->protected_names, names, sizeof(names));
	if (policy->root_count > 0 && policy->protected_names.count > 0)
		push_note(b, "protected names (%s) are not protected: user namespaces are unavailable",
			  names);
	for (size_t i = 0; i < policy->root_count && policy->state_dir; i++) {
		if (path_within(policy->state_dir, policy->roots[i].path)) {
			push_note(b,
				  "cordon's state directory %s is writable from inside: user namespaces are "
				  "unavailable",
				  policy->state_dir);
			break;
		}
	}
	if (policy->deny_read.count > 0)
		push_note(b, "deny-read paths are readable: user namespaces are unavailable");
	if (policy->credentials.count > 0)
		push_note(b, "credential stores (such as %s) are readable: user namespaces are unavailable",
			  policy->credentials.items[0]);
	push_note(b, "no pid namespace: the command can see the host's processes and may leave processes "
		     "behind when it is killed");
	if (policy->network != CORDON_NETWORK_ON)
		push_note(b, "no network namespace: host unix sockets (D-Bus, agents) stay reachable, and "
			     "network traffic is limited by Landlock and seccomp only");
	if (policy->network == CORDON_NETWORK_PROXY)
		push_note(b, "no network namespace: traffic is not forced through the proxy");
}

static cordon_code check_host(plan_builder *b, const linux_host *host)
{
	const cordon_resolved *policy = b->policy;
	linux_plan *plan = &b->storage->plan;
	if (!host->userns_available) {
		if (!policy->best_effort) {
			char why[160];
			char detail[176] = "";
			userns_reason(b->view, why, sizeof(why));
			if (why[0])
				snprintf(detail, sizeof(detail), " (%s)", why);
			return cordon_fail(
				b->err, CORDON_E_UNSUPPORTED,
				"cannot build the sandbox: user namespaces are unavailable on this host%s; "
				"run 'cordon doctor', or pass --best-effort to run with Landlock and "
				"seccomp only",
				detail);
		}
		plan->use_userns = false;
		note_without_userns(b);
	}
	if (host->landlock_abi <= 0) {
		if (!policy->best_effort)
			return cordon_fail(
				b->err, CORDON_E_UNSUPPORTED,
				"cannot build the sandbox: Landlock is not available in this kernel (it "
				"needs Linux 5.13+ with \"landlock\" in CONFIG_LSM or the lsm= boot "
				"parameter); run 'cordon doctor', or pass --best-effort to run without it");
		if (host->userns_available)
			push_note(b,
				  "Landlock is unavailable: writes are confined by the read-only mount tree "
				  "only");
		else
			push_note(b,
				  "Landlock is unavailable: nothing confines writes to the writable roots");
	}
	return builder_ok(b) ? CORDON_OK : b->failure;
}

/* -------------------------------------------------------------- mounts */

/* Roots sorted outer before nested (by depth, then spelling), so a
 * nested root's bind lands on top of its parent's. */
static const cordon_root **sorted_roots(const cordon_resolved *policy)
{
	const cordon_root **roots = calloc(policy->root_count ? policy->root_count : 1, sizeof(*roots));
	if (roots == NULL)
		return NULL;
	for (size_t i = 0; i < policy->root_count; i++)
		roots[i] = &policy->roots[i];
	/* Insertion sort keeps the resolved order for equal depths. */
	for (size_t i = 1; i < policy->root_count; i++) {
		const cordon_root *root = roots[i];
		size_t depth = path_depth(root->path);
		size_t j = i;
		while (j > 0 && path_depth(roots[j - 1]->path) > depth) {
			roots[j] = roots[j - 1];
			j--;
		}
		roots[j] = root;
	}
	return roots;
}

/* A path that must stay read-only inside a root, deeper than the root's
 * top level: it is bound read-only (or held by a placeholder when
 * missing), and every directory between the root and it is pinned by a
 * bind over itself, because a mount point cannot be renamed or removed
 * inside its own namespace while an ordinary ancestor can: renaming
 * the ancestor would carry the protection away and let the command
 * create a fresh, writable copy at the original spelling. */
typedef struct deep_protection {
	char *path;
	const char *root;
	bool exists;
} deep_protection;

typedef struct deep_list {
	deep_protection *items;
	size_t count;
	size_t capacity;
} deep_list;

static void deep_push(plan_builder *b, deep_list *list, const char *path, const char *root, bool exists)
{
	if (!builder_ok(b))
		return;
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].path, path) == 0)
			return;
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 4;
		deep_protection *items = realloc(list->items, capacity * sizeof(*items));
		if (items == NULL) {
			builder_nomem(b);
			return;
		}
		list->items = items;
		list->capacity = capacity;
	}
	char *copy = strdup(path);
	if (copy == NULL) {
		builder_nomem(b);
		return;
	}
	list->items[list->count++] = (deep_protection){.path = copy, .root = root, .exists = exists};
}

static void deep_clear(deep_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].path);
	free(list->items);
}

static const char *root_containing(const cordon_root **roots, size_t count, const char *path)
{
	/* The innermost root: roots are sorted outer first. */
	for (size_t i = count; i > 0; i--)
		if (path_within(path, roots[i - 1]->path))
			return roots[i - 1]->path;
	return NULL;
}

/* A git worktree's ".git" is a file "gitdir: <path>"; the repository data
 * it names (and that directory's "commondir") decide what git runs
 * (hooks, config), so when they lie in a writable root they are kept
 * read-only like .git itself. Returns an allocated canonical path or NULL. */
static char *worktree_target(plan_builder *b, const char *base_dir, const char *file, const char *prefix)
{
	char content[4096];
	long length = b->view->read_file(b->view->ctx, file, content, sizeof(content));
	if (length <= 0)
		return NULL;
	while (length > 0 &&
	       (content[length - 1] == '\n' || content[length - 1] == '\r' || content[length - 1] == ' '))
		content[--length] = '\0';
	size_t prefix_length = strlen(prefix);
	if (strncmp(content, prefix, prefix_length) != 0)
		return NULL;
	const char *target = content + prefix_length;
	while (*target == ' ')
		target++;
	if (*target == '\0')
		return NULL;
	char *absolute = target[0] == '/' ? strdup(target) : path_join(base_dir, target);
	if (absolute == NULL) {
		builder_nomem(b);
		return NULL;
	}
	char *clean = path_clean(absolute);
	free(absolute);
	if (clean == NULL) {
		builder_nomem(b);
		return NULL;
	}
	char *real = b->view->canonical(b->view->ctx, clean);
	if (real != NULL) {
		free(clean);
		return real;
	}
	return clean;
}

static void protect_worktree(plan_builder *b, const cordon_root **roots, size_t root_count, const char *root,
			     const char *dot_git, deep_list *deep)
{
	char *gitdir = worktree_target(b, root, dot_git, "gitdir:");
	if (gitdir == NULL)
		return;
	const char *gitdir_root = root_containing(roots, root_count, gitdir);
	if (gitdir_root != NULL && b->view->kind(b->view->ctx, gitdir) == CORDON_FS_DIRECTORY)
		deep_push(b, deep, gitdir, gitdir_root, true);
	char *commondir_file = path_join(gitdir, "commondir");
	if (commondir_file == NULL) {
		free(gitdir);
		builder_nomem(b);
		return;
	}
	char *common = worktree_target(b, gitdir, commondir_file, "");
	if (common != NULL) {
		const char *common_root = root_containing(roots, root_count, common);
		if (common_root != NULL && b->view->kind(b->view->ctx, common) == CORDON_FS_DIRECTORY)
			deep_push(b, deep, common, common_root, true);
	}
	free(common);
	free(commondir_file);
	free(gitdir);
}

/* Linux filesystems compare names byte for byte: ".GIT" is another,
 * unprotected name, and the command may create it (git would not treat
 * it as a repository). On a case-folding directory, though, ".GIT" and
 * ".git" are the same entry; the binds would in fact cover both
 * spellings, but cordon refuses such roots unless best-effort (fail
 * closed) rather than rely on the dcache's case-insensitive matching
 * for a protection. */
static cordon_code check_casefold(plan_builder *b, const cordon_root **roots, size_t count)
{
	if (b->policy->protected_names.count == 0)
		return CORDON_OK;
	for (size_t i = 0; i < count; i++) {
		const char *root = roots[i]->path;
		if (!b->view->casefolded(b->view->ctx, root))
			continue;
		if (!b->policy->best_effort)
			return b->failure = cordon_fail(
				       b->err, CORDON_E_UNSUPPORTED,
				       "cannot protect names in %s: the directory is case-insensitive "
				       "(casefold "
				       "attribute), so a case variant such as '.GIT' would reach the "
				       "protected "
				       "name; use a case-sensitive directory, or pass --best-effort",
				       root);
		push_note(b, "%s is case-insensitive: protected names rely on the filesystem's case folding",
			  root);
	}
	return builder_ok(b) ? CORDON_OK : b->failure;
}

/* Protected names hold at the top of the workspace and of every extra
 * root. The temp root is scratch: everything below it is writable by
 * design (a /tmp/other/.git included), so holding the names at its top
 * alone would protect almost nothing, and every missing one costs an
 * inode created and deleted on the host per run. */
static void protect_names(plan_builder *b, const cordon_root **roots, size_t root_count)
{
	const cordon_strlist *names = &b->policy->protected_names;
	for (size_t r = 0; r < root_count && builder_ok(b); r++) {
		if (roots[r]->kind == CORDON_ROOT_TMP)
			continue;
		const char *root = roots[r]->path;
		for (size_t n = 0; n < names->count && builder_ok(b); n++) {
			char *path = path_join(root, names->items[n]);
			if (path == NULL) {
				builder_nomem(b);
				return;
			}
			if (has_protection(b, path)) {
				free(path);
				continue;
			}
			cordon_fs_kind kind = b->view->kind(b->view->ctx, path);
			switch (kind) {
			case CORDON_FS_MISSING:
				/* A missing name must not be creatable: an empty
				 * directory holds its place for the run. */
				push_mount(b, LINUX_MOUNT_PLACEHOLDER, path, path);
				break;
			case CORDON_FS_SYMLINK:
				/* A bind would follow the link and protect its
				 * target, while the link itself (an ordinary entry
				 * of a writable directory) could be replaced. */
				if (!b->policy->best_effort) {
					b->failure = cordon_fail(b->err, CORDON_E_UNSUPPORTED,
								 "cannot protect %s: it is a symbolic link, "
								 "which a read-only bind "
								 "cannot pin; replace the link with the "
								 "directory it points to, or "
								 "pass --best-effort",
								 path);
					break;
				}
				push_note(b, "%s is not protected: it is a symbolic link", path);
				break;
			default: push_mount(b, LINUX_MOUNT_BIND_RO, path, path); break;
			}
			free(path);
		}
	}
}

/* Binds every directory strictly between root and path over itself. */
static void pin_ancestors(plan_builder *b, const char *root, const char *path)
{
	size_t root_length = strcmp(root, "/") == 0 ? 0 : strlen(root);
	char *copy = strdup(path);
	if (copy == NULL) {
		builder_nomem(b);
		return;
	}
	for (char *slash = copy + root_length + 1; (slash = strchr(slash, '/')) != NULL; slash++) {
		*slash = '\0';
		if (!has_mount(&b->storage->plan, copy))
			push_mount(b, LINUX_MOUNT_BIND_RW, copy, copy);
		*slash = '/';
	}
	free(copy);
}

static void apply_deep(plan_builder *b, const deep_list *deep)
{
	for (size_t i = 0; i < deep->count; i++) {
		const deep_protection *d = &deep->items[i];
		if (strcmp(d->path, d->root) != 0)
			pin_ancestors(b, d->root, d->path);
	}
	for (size_t i = 0; i < deep->count; i++) {
		const deep_protection *d = &deep->items[i];
		if (has_protection(b, d->path))
			continue;
		push_mount(b, d->exists ? LINUX_MOUNT_BIND_RO : LINUX_MOUNT_PLACEHOLDER, d->path, d->path);
	}
}

static bool under_masked_dir(const linux_plan *plan, const char *path)
{
	for (size_t i = 0; i < plan->mount_count; i++)
		if (plan->mounts[i].kind == LINUX_MOUNT_MASK_DIR && path_within(path, plan->mounts[i].target))
			return true;
	return false;
}

/* A deny-read path that does not exist is not masked: there is nothing to
 * hide, and whatever the command creates there is its own. (A host
 * process that creates it during the run is not covered.) The default
 * credential stores are masked the same way, after the caller's paths. */
static void mask_list(plan_builder *b, const cordon_strlist *deny)
{
	for (size_t i = 0; i < deny->count && builder_ok(b); i++) {
		const char *path = deny->items[i];
		if (under_masked_dir(&b->storage->plan, path) || has_mount(&b->storage->plan, path))
			continue;
		cordon_fs_kind kind = b->view->kind(b->view->ctx, path);
		if (kind == CORDON_FS_MISSING)
			continue;
		push_mount(b, kind == CORDON_FS_DIRECTORY ? LINUX_MOUNT_MASK_DIR : LINUX_MOUNT_MASK_FILE,
			   NULL, path);
	}
}

static void mask_deny_read(plan_builder *b)
{
	mask_list(b, &b->policy->deny_read);
	mask_list(b, &b->policy->credentials);
}

/* With network off or proxied, a host service listening on a pathname
 * socket (D-Bus, ssh-agent, docker) must not become the command's deputy:
 * each socket is covered by an empty file, so connect() fails. Sockets in
 * writable roots too: they belong to services that ran before the run. */
static void mask_host_sockets(plan_builder *b, const linux_host *host)
{
	if (b->policy->network == CORDON_NETWORK_ON)
		return;
	for (size_t i = 0; i < host->host_socket_count && builder_ok(b); i++) {
		const char *path = host->host_sockets[i];
		if (path == NULL || path[0] != '/')
			continue;
		if (under_masked_dir(&b->storage->plan, path) || has_mount(&b->storage->plan, path))
			continue;
		push_mount(b, LINUX_MOUNT_MASK_FILE, NULL, path);
	}
}

static void plan_mounts(plan_builder *b, const linux_host *host)
{
	const cordon_resolved *policy = b->policy;
	const cordon_root **roots = sorted_roots(policy);
	if (roots == NULL) {
		builder_nomem(b);
		return;
	}
	if (check_casefold(b, roots, policy->root_count) != CORDON_OK) {
		free(roots);
		return;
	}
	for (size_t i = 0; i < policy->root_count; i++)
		push_mount(b, LINUX_MOUNT_BIND_RW, roots[i]->path, roots[i]->path);

	deep_list deep = {0};
	/* A missing state directory inside a root is held like a missing
	 * protected name: otherwise the command could create it and plant,
	 * say, a runs.jsonl symlink that cordon would later write through. */
	const char *state_root =
		policy->state_dir ? root_containing(roots, policy->root_count, policy->state_dir) : NULL;
	if (state_root != NULL)
		deep_push(b, &deep, policy->state_dir, state_root,
			  b->view->kind(b->view->ctx, policy->state_dir) != CORDON_FS_MISSING);
	if (cordon_strlist_contains(&policy->protected_names, ".git")) {
		for (size_t i = 0; i < policy->root_count && builder_ok(b); i++) {
			char *dot_git = path_join(roots[i]->path, ".git");
			if (dot_git == NULL) {
				builder_nomem(b);
				break;
			}
			if (b->view->kind(b->view->ctx, dot_git) == CORDON_FS_FILE)
				protect_worktree(b, roots, policy->root_count, roots[i]->path, dot_git,
						 &deep);
			free(dot_git);
		}
	}
	/* Pins (read-write) first, then every read-only bind. */
	apply_deep(b, &deep);
	protect_names(b, roots, policy->root_count);
	deep_clear(&deep);
	mask_deny_read(b);
	mask_host_sockets(b, host);
	free(roots);
}

/* ------------------------------------------------------------- public */

cordon_code linux_plan_build_with(const cordon_resolved *policy, const linux_host *host,
				  const linux_plan_view *view, linux_plan **out, cordon_error *err)
{
	*out = NULL;
	linux_plan_storage *storage = calloc(1, sizeof(*storage));
	if (storage == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot plan the sandbox: out of memory");
	linux_plan *plan = &storage->plan;
	plan->policy = policy;
	plan->landlock_abi = host->landlock_abi > 0 ? host->landlock_abi : 0;
	storage->mount_setattr_available = host->mount_setattr_available;

	if (policy->mode == CORDON_MODE_FULL_ACCESS) {
		plan->landlock_abi = 0;
		*out = plan;
		return CORDON_OK;
	}
	plan->sandboxed = true;
	plan->use_userns = true;
	plan->use_netns = policy->network != CORDON_NETWORK_ON;

	plan_builder b = {.storage = storage, .policy = policy, .view = view, .err = err};
	cordon_code code = check_host(&b, host);
	if (code != CORDON_OK) {
		linux_plan_free(plan);
		return code;
	}
	if (!plan->use_userns) {
		plan->use_netns = false;
		*out = plan;
		return CORDON_OK;
	}
	plan->clone_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
			    (plan->use_netns ? CLONE_NEWNET : 0);
	plan_mounts(&b, host);
	cordon_strset_clear(&b.protected);
	if (!builder_ok(&b)) {
		linux_plan_free(plan);
		return b.failure;
	}
	*out = plan;
	return CORDON_OK;
}

void linux_plan_free(linux_plan *plan)
{
	if (plan == NULL)
		return;
	linux_plan_release_placeholders(plan);
	for (size_t i = 0; i < plan->mount_count; i++) {
		free(plan->mounts[i].source);
		free(plan->mounts[i].target);
	}
	free(plan->mounts);
	for (size_t i = 0; i < plan->not_enforced_count; i++)
		free(plan->not_enforced[i]);
	free(plan->not_enforced);
	free(linux_plan_storage_of(plan));
}

/* ------------------------------------------------------ the real view */

static cordon_fs_kind system_kind(void *ctx, const char *path)
{
	(void)ctx;
	struct stat st;
	if (lstat(path, &st) != 0)
		return CORDON_FS_MISSING;
	if (S_ISDIR(st.st_mode))
		return CORDON_FS_DIRECTORY;
	if (S_ISREG(st.st_mode))
		return CORDON_FS_FILE;
	if (S_ISLNK(st.st_mode))
		return CORDON_FS_SYMLINK;
	return CORDON_FS_OTHER;
}

static bool system_casefolded(void *ctx, const char *dir)
{
	(void)ctx;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	int flags = 0;
	bool folded = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_CASEFOLD_FL) != 0;
	close(fd);
	return folded;
}

static long system_read_file(void *ctx, const char *path, char *buf, size_t size)
{
	(void)ctx;
	if (size == 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	size_t used = 0;
	while (used < size - 1) {
		ssize_t n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	return (long)used;
}

static char *system_canonical(void *ctx, const char *path)
{
	(void)ctx;
	return realpath(path, NULL);
}

const linux_plan_view *linux_plan_view_system(void)
{
	static const linux_plan_view view = {
		.ctx = NULL,
		.kind = system_kind,
		.casefolded = system_casefolded,
		.read_file = system_read_file,
		.canonical = system_canonical,
	};
	return &view;
}

cordon_code linux_plan_build(const cordon_resolved *policy, const linux_host *host, linux_plan **out,
			     cordon_error *err)
{
	return linux_plan_build_with(policy, host, linux_plan_view_system(), out, err);
}
