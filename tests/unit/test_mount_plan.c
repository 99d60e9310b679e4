/* The Linux mount plan (src/linux/mount_plan.c), computed over a fake
 * filesystem: which binds, masks and placeholders, in which order, and
 * what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/mount_plan_internal.h"

/* ---------------------------------------------------------------- fake fs */

typedef struct fake_entry {
	const char *path;
	cordon_fs_kind kind;
	const char *content; /* files */
	bool casefold;	     /* directories */
} fake_entry;

typedef struct fake_fs {
	const fake_entry *entries;
	size_t count;
	const char *max_user_namespaces; /* content of the sysctl, or NULL */
} fake_fs;

static const fake_entry *fake_find(const fake_fs *fs, const char *path)
{
	for (size_t i = 0; i < fs->count; i++)
		if (strcmp(fs->entries[i].path, path) == 0)
			return &fs->entries[i];
	return NULL;
}

static cordon_fs_kind fake_kind(void *ctx, const char *path)
{
	const fake_entry *e = fake_find(ctx, path);
	return e ? e->kind : CORDON_FS_MISSING;
}

static bool fake_casefolded(void *ctx, const char *dir)
{
	const fake_entry *e = fake_find(ctx, dir);
	return e && e->casefold;
}

static long fake_read_file(void *ctx, const char *path, char *buf, size_t size)
{
	const fake_fs *fs = ctx;
	const char *content = NULL;
	if (strcmp(path, "/proc/sys/user/max_user_namespaces") == 0) {
		content = fs->max_user_namespaces;
	} else {
		const fake_entry *e = fake_find(fs, path);
		if (e && e->kind == CORDON_FS_FILE)
			content = e->content;
	}
	if (content == NULL)
		return -1;
	snprintf(buf, size, "%s", content);
	return (long)strlen(buf);
}

static char *fake_canonical(void *ctx, const char *path)
{
	return fake_find(ctx, path) ? strdup(path) : NULL;
}

static linux_plan_view fake_view(fake_fs *fs)
{
	return (linux_plan_view){
		.ctx = fs,
		.kind = fake_kind,
		.casefolded = fake_casefolded,
		.read_file = fake_read_file,
		.canonical = fake_canonical,
	};
}

/* ---------------------------------------------------------------- policy */

static cordon_resolved *policy_new(cordon_mode mode, cordon_network network)
{
	cordon_resolved *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->mode = mode;
	r->network = network;
	r->cwd = strdup("/w");
	r->state_dir = strdup("/home/u/.local/state/cordon");
	const char *names[] = {CORDON_DEFAULT_PROTECTED};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_true(cordon_strlist_push(&r->protected_names, names[i]));
	return r;
}

static void policy_add_root(cordon_resolved *r, const char *path, cordon_root_kind kind)
{
	r->roots = realloc(r->roots, (r->root_count + 1) * sizeof(*r->roots));
	assert_non_null(r->roots);
	r->roots[r->root_count].path = strdup(path);
	r->roots[r->root_count].kind = kind;
	r->root_count++;
}

static void policy_free(cordon_resolved *r)
{
	for (size_t i = 0; i < r->root_count; i++)
		free(r->roots[i].path);
	free(r->roots);
	free(r->cwd);
	free(r->state_dir);
	cordon_strlist_clear(&r->protected_names);
	cordon_strlist_clear(&r->deny_read);
	cordon_strlist_clear(&r->credentials);
	cordon_strlist_clear(&r->allowed_domains);
	free(r);
}

static linux_host good_host(void)
{
	return (linux_host){.landlock_abi = 7,
			    .userns_available = true,
			    .seccomp_available = true,
			    .mount_setattr_available = true,
			    .uid = 1000,
			    .gid = 1000};
}

static linux_plan *build_ok(const cordon_resolved *r, const linux_host *host, fake_fs *fs)
{
	linux_plan_view view = fake_view(fs);
	linux_plan *plan = NULL;
	cordon_error err = {0};
	cordon_code code = linux_plan_build_with(r, host, &view, &plan, &err);
	if (code != CORDON_OK)
		fail_msg("plan failed: %s", err.message);
	assert_non_null(plan);
	return plan;
}

static cordon_code build_fails(const cordon_resolved *r, const linux_host *host, fake_fs *fs,
			       cordon_error *err)
{
	linux_plan_view view = fake_view(fs);
	linux_plan *plan = NULL;
	cordon_code code = linux_plan_build_with(r, host, &view, &plan, err);
	assert_int_not_equal(code, CORDON_OK);
	assert_null(plan);
	return code;
}

typedef struct expected_op {
	linux_mount_op_kind kind;
	const char *target;
} expected_op;

static const char *kind_name(linux_mount_op_kind kind)
{
	switch (kind) {
	case LINUX_MOUNT_BIND_RW: return "BIND_RW";
	case LINUX_MOUNT_BIND_RO: return "BIND_RO";
	case LINUX_MOUNT_MASK_DIR: return "MASK_DIR";
	case LINUX_MOUNT_MASK_FILE: return "MASK_FILE";
	case LINUX_MOUNT_PLACEHOLDER: return "PLACEHOLDER";
	}
	return "?";
}

static void expect_ops(const linux_plan *plan, const expected_op *ops, size_t count)
{
	for (size_t i = 0; i < plan->mount_count && i < count; i++) {
		const linux_mount_op *op = &plan->mounts[i];
		if (op->kind != ops[i].kind || strcmp(op->target, ops[i].target) != 0)
			fail_msg("op %zu: got %s %s, want %s %s", i, kind_name(op->kind), op->target,
				 kind_name(ops[i].kind), ops[i].target);
		if (op->kind == LINUX_MOUNT_MASK_DIR || op->kind == LINUX_MOUNT_MASK_FILE)
			assert_null(op->source);
		else
			assert_string_equal(op->source, op->target);
	}
	assert_int_equal(plan->mount_count, count);
}

static ssize_t find_op(const linux_plan *plan, linux_mount_op_kind kind, const char *target)
{
	for (size_t i = 0; i < plan->mount_count; i++)
		if (plan->mounts[i].kind == kind && strcmp(plan->mounts[i].target, target) == 0)
			return (ssize_t)i;
	return -1;
}

static bool has_note(const linux_plan *plan, const char *fragment)
{
	for (size_t i = 0; i < plan->not_enforced_count; i++)
		if (strstr(plan->not_enforced[i], fragment) != NULL)
			return true;
	return false;
}

#define ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- tests */

static void full_access_is_not_sandboxed(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_FULL_ACCESS, CORDON_NETWORK_ON);
	linux_host host = good_host();
	host.userns_available = false; /* irrelevant without a sandbox */
	fake_fs fs = {0};
	linux_plan *plan = build_ok(r, &host, &fs);
	assert_false(plan->sandboxed);
	assert_int_equal(plan->clone_flags, 0);
	assert_int_equal(plan->mount_count, 0);
	assert_int_equal(plan->not_enforced_count, 0);
	linux_plan_free(plan);
	policy_free(r);
}

static void read_only_has_no_writable_binds(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_READ_ONLY, CORDON_NETWORK_OFF);
	fake_entry entries[] = {{"/w", CORDON_FS_DIRECTORY, NULL, false},
				{"/w/.git", CORDON_FS_DIRECTORY, NULL, false}};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_host host = good_host();
	linux_plan *plan = build_ok(r, &host, &fs);
	assert_true(plan->sandboxed);
	assert_true(plan->use_userns);
	assert_true(plan->use_netns);
	assert_int_equal(plan->clone_flags, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
						    CLONE_NEWUTS | CLONE_NEWNET);
	assert_int_equal(plan->landlock_abi, 7);
	assert_int_equal(plan->mount_count, 0);
	linux_plan_free(plan);
	policy_free(r);
}

static void workspace_write_binds_roots_then_protections(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_ON);
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	policy_add_root(r, "/x", CORDON_ROOT_EXTRA);
	policy_add_root(r, "/tmp", CORDON_ROOT_TMP);
	fake_entry entries[] = {
		{"/w", CORDON_FS_DIRECTORY, NULL, false},   {"/w/.git", CORDON_FS_DIRECTORY, NULL, false},
		{"/w/.codex", CORDON_FS_FILE, "x", false},  {"/x", CORDON_FS_DIRECTORY, NULL, false},
		{"/tmp", CORDON_FS_DIRECTORY, NULL, false},
	};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_host host = good_host();
	linux_plan *plan = build_ok(r, &host, &fs);
	assert_false(plan->use_netns);
	assert_int_equal(plan->clone_flags & CLONE_NEWNET, 0);
	const expected_op ops[] = {
		{LINUX_MOUNT_BIND_RW, "/w"},
		{LINUX_MOUNT_BIND_RW, "/x"},
		{LINUX_MOUNT_BIND_RW, "/tmp"},
		{LINUX_MOUNT_BIND_RO, "/w/.git"},
		{LINUX_MOUNT_BIND_RO, "/w/.codex"},
		{LINUX_MOUNT_PLACEHOLDER, "/w/.agents"},
		{LINUX_MOUNT_PLACEHOLDER, "/w/.cordon"},
		{LINUX_MOUNT_PLACEHOLDER, "/x/.git"},
		{LINUX_MOUNT_PLACEHOLDER, "/x/.codex"},
		{LINUX_MOUNT_PLACEHOLDER, "/x/.agents"},
		{LINUX_MOUNT_PLACEHOLDER, "/x/.cordon"},
		/* nothing for /tmp: the temp root is scratch */
	};
	expect_ops(plan, ops, ARRAY_COUNT(ops));
	linux_plan_free(plan);
	policy_free(r);
}

static void nested_roots_are_bound_outer_first(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_ON);
	cordon_strlist_clear(&r->protected_names);
	assert_true(cordon_strlist_push(&r->protected_names, ".git"));
	policy_add_root(r, "/a/b/c", CORDON_ROOT_EXTRA);
	policy_add_root(r, "/a", CORDON_ROOT_WORKSPACE);
	policy_add_root(r, "/a/b", CORDON_ROOT_EXTRA);
	fake_entry entries[] = {{"/a/.git", CORDON_FS_DIRECTORY, NULL, false}};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_host host = good_host();
	linux_plan *plan = build_ok(r, &host, &fs);
	const expected_op ops[] = {
		{LINUX_MOUNT_BIND_RW, "/a"},
		{LINUX_MOUNT_BIND_RW, "/a/b"},
		{LINUX_MOUNT_BIND_RW, "/a/b/c"},
		{LINUX_MOUNT_BIND_RO, "/a/.git"},
		{LINUX_MOUNT_PLACEHOLDER, "/a/b/.git"},
		{LINUX_MOUNT_PLACEHOLDER, "/a/b/c/.git"},
	};
	expect_ops(plan, ops, ARRAY_COUNT(ops));
	linux_plan_free(plan);
	policy_free(r);
}

static void worktree_gitdir_and_commondir_are_protected(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_ON);
	cordon_strlist_clear(&r->protected_names);
	assert_true(cordon_strlist_push(&r->protected_names, ".git"));
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	policy_add_root(r, "/src", CORDON_ROOT_EXTRA);
	fake_entry entries[] = {
		{"/w/.git", CORDON_FS_FILE, "gitdir: /src/repo/.git/worktrees/w\n", false},
		{"/src/repo/.git/worktrees/w", CORDON_FS_DIRECTORY, NULL, false},
		{"/src/repo/.git/worktrees/w/commondir", CORDON_FS_FILE, "../..\n", false},
		{"/src/repo/.git", CORDON_FS_DIRECTORY, NULL, false},
	};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_host host = good_host();
	linux_plan *plan = build_ok(r, &host, &fs);
	const expected_op ops[] = {
		{LINUX_MOUNT_BIND_RW, "/w"},
		{LINUX_MOUNT_BIND_RW, "/src"},
		/* ancestors pinned, so the gitdir cannot be renamed away */
		{LINUX_MOUNT_BIND_RW, "/src/repo"},
		{LINUX_MOUNT_BIND_RW, "/src/repo/.git"},
		{LINUX_MOUNT_BIND_RW, "/src/repo/.git/worktrees"},
		{LINUX_MOUNT_BIND_RO, "/src/repo/.git/worktrees/w"},
		{LINUX_MOUNT_BIND_RO, "/src/repo/.git"},
		{LINUX_MOUNT_BIND_RO, "/w/.git"},
		{LINUX_MOUNT_PLACEHOLDER, "/src/.git"},
	};
	expect_ops(plan, ops, ARRAY_COUNT(ops));
	linux_plan_free(plan);
	policy_free(r);
}

static void worktree_gitdir_outside_roots_needs_nothing(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_ON);
	cordon_strlist_clear(&r->protected_names);
	assert_true(cordon_strlist_push(&r->protected_names, ".git"));
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	fake_entry entries[] = {
		{"/w/.git", CORDON_FS_FILE, "gitdir: ../repo/.git/worktrees/w", false},
		{"/repo/.git/worktrees/w", CORDON_FS_DIRECTORY, NULL, false},
	};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_host host = good_host();
	linux_plan *plan = build_ok(r, &host, &fs);
	const expected_op ops[] = {{LINUX_MOUNT_BIND_RW, "/w"}, {LINUX_MOUNT_BIND_RO, "/w/.git"}};
	expect_ops(plan, ops, ARRAY_COUNT(ops));
	linux_plan_free(plan);
	policy_free(r);
}

static void state_dir_inside_root_is_protected(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_ON);
	cordon_strlist_clear(&r->protected_names);
	policy_add_root(r, "/home/u", CORDON_ROOT_WORKSPACE);
	fake_fs missing = {0};
	linux_host host = good_host();
	linux_plan *plan = build_ok(r, &host, &missing);
	const expected_op missing_ops[] = {
		{LINUX_MOUNT_BIND_RW, "/home/u"},
		{LINUX_MOUNT_BIND_RW, "/home/u/.local"},
		{LINUX_MOUNT_BIND_RW, "/home/u/.local/state"},
		{LINUX_MOUNT_PLACEHOLDER, "/home/u/.local/state/cordon"},
	};
	expect_ops(plan, missing_ops, ARRAY_COUNT(missing_ops));
	linux_plan_free(plan);

	fake_entry entries[] = {{"/home/u/.local/state/cordon", CORDON_FS_DIRECTORY, NULL, false}};
	fake_fs present = {entries, ARRAY_COUNT(entries), NULL};
	plan = build_ok(r, &host, &present);
	const expected_op present_ops[] = {
		{LINUX_MOUNT_BIND_RW, "/home/u"},
		{LINUX_MOUNT_BIND_RW, "/home/u/.local"},
		{LINUX_MOUNT_BIND_RW, "/home/u/.local/state"},
		{LINUX_MOUNT_BIND_RO, "/home/u/.local/state/cordon"},
	};
	expect_ops(plan, present_ops, ARRAY_COUNT(present_ops));
	linux_plan_free(plan);
	policy_free(r);
}

static void deny_read_masks_files_and_dirs_last(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_ON);
	cordon_strlist_clear(&r->protected_names);
	assert_true(cordon_strlist_push(&r->protected_names, ".git"));
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	assert_true(cordon_strlist_push(&r->deny_read, "/home/u/.ssh"));
	assert_true(cordon_strlist_push(&r->deny_read, "/w/secret.env"));
	assert_true(cordon_strlist_push(&r->deny_read, "/home/u/.aws"));	/* missing */
	assert_true(cordon_strlist_push(&r->deny_read, "/home/u/.ssh/id_rsa")); /* under a masked dir */
	fake_entry entries[] = {
		{"/home/u/.ssh", CORDON_FS_DIRECTORY, NULL, false},
		{"/home/u/.ssh/id_rsa", CORDON_FS_FILE, "key", false},
		{"/w/secret.env", CORDON_FS_FILE, "x", false},
		{"/w/.git", CORDON_FS_DIRECTORY, NULL, false},
	};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_host host = good_host();
	linux_plan *plan = build_ok(r, &host, &fs);
	const expected_op ops[] = {
		{LINUX_MOUNT_BIND_RW, "/w"},
		{LINUX_MOUNT_BIND_RO, "/w/.git"},
		{LINUX_MOUNT_MASK_DIR, "/home/u/.ssh"},
		{LINUX_MOUNT_MASK_FILE, "/w/secret.env"},
	};
	expect_ops(plan, ops, ARRAY_COUNT(ops));
	linux_plan_free(plan);
	policy_free(r);
}

/* The default credential stores go through the same masks, after the
 * caller's deny-read paths; one the caller already masked is not masked
 * twice, and one that vanished before the plan costs nothing. */
static void credential_stores_masked_like_deny_read(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_ON);
	cordon_strlist_clear(&r->protected_names);
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	assert_true(cordon_strlist_push(&r->deny_read, "/home/u/.ssh"));
	assert_true(cordon_strlist_push(&r->credentials, "/home/u/.ssh/id_rsa"));
	assert_true(cordon_strlist_push(&r->credentials, "/home/u/.aws"));
	assert_true(cordon_strlist_push(&r->credentials, "/home/u/.netrc"));
	assert_true(cordon_strlist_push(&r->credentials, "/home/u/.kube")); /* gone since */
	fake_entry entries[] = {
		{"/home/u/.ssh", CORDON_FS_DIRECTORY, NULL, false},
		{"/home/u/.ssh/id_rsa", CORDON_FS_FILE, "key", false},
		{"/home/u/.aws", CORDON_FS_DIRECTORY, NULL, false},
		{"/home/u/.netrc", CORDON_FS_FILE, "machine m", false},
	};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_host host = good_host();
	linux_plan *plan = build_ok(r, &host, &fs);
	const expected_op ops[] = {
		{LINUX_MOUNT_BIND_RW, "/w"},
		{LINUX_MOUNT_MASK_DIR, "/home/u/.ssh"},
		{LINUX_MOUNT_MASK_DIR, "/home/u/.aws"},
		{LINUX_MOUNT_MASK_FILE, "/home/u/.netrc"},
	};
	expect_ops(plan, ops, ARRAY_COUNT(ops));
	linux_plan_free(plan);
	policy_free(r);
}

static void host_sockets_masked_unless_network_on(void **state)
{
	(void)state;
	char *sockets[] = {"/run/dbus/system_bus_socket", "/w/.s.agent", "/home/u/.ssh/agent.sock",
			   "@abstract"};
	linux_host host = good_host();
	host.host_sockets = sockets;
	host.host_socket_count = ARRAY_COUNT(sockets);
	fake_entry entries[] = {{"/home/u/.ssh", CORDON_FS_DIRECTORY, NULL, false}};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	const cordon_network networks[] = {CORDON_NETWORK_OFF, CORDON_NETWORK_PROXY, CORDON_NETWORK_ON};
	for (size_t n = 0; n < ARRAY_COUNT(networks); n++) {
		cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, networks[n]);
		cordon_strlist_clear(&r->protected_names);
		policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
		assert_true(cordon_strlist_push(&r->deny_read, "/home/u/.ssh"));
		linux_plan *plan = build_ok(r, &host, &fs);
		if (networks[n] == CORDON_NETWORK_ON) {
			const expected_op ops[] = {{LINUX_MOUNT_BIND_RW, "/w"},
						   {LINUX_MOUNT_MASK_DIR, "/home/u/.ssh"}};
			expect_ops(plan, ops, ARRAY_COUNT(ops));
		} else {
			assert_true(plan->use_netns);
			assert_int_equal(plan->clone_flags & CLONE_NEWNET, CLONE_NEWNET);
			/* the agent socket is already hidden by the masked .ssh */
			const expected_op ops[] = {
				{LINUX_MOUNT_BIND_RW, "/w"},
				{LINUX_MOUNT_MASK_DIR, "/home/u/.ssh"},
				{LINUX_MOUNT_MASK_FILE, "/run/dbus/system_bus_socket"},
				{LINUX_MOUNT_MASK_FILE, "/w/.s.agent"},
			};
			expect_ops(plan, ops, ARRAY_COUNT(ops));
		}
		linux_plan_free(plan);
		policy_free(r);
	}
}

static void without_userns_refuses_with_exact_message(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_OFF);
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	linux_host host = good_host();
	host.userns_available = false;
	fake_fs fs = {0};
	cordon_error err = {0};
	assert_int_equal(build_fails(r, &host, &fs, &err), CORDON_E_UNSUPPORTED);
	assert_string_equal(err.message,
			    "cannot build the sandbox: user namespaces are unavailable on this host; "
			    "run 'cordon doctor', or pass --best-effort to run with Landlock and "
			    "seccomp only");
	fs.max_user_namespaces = "0\n";
	assert_int_equal(build_fails(r, &host, &fs, &err), CORDON_E_UNSUPPORTED);
	assert_string_equal(err.message,
			    "cannot build the sandbox: user namespaces are unavailable on this host "
			    "(user.max_user_namespaces is 0); run 'cordon doctor', or pass "
			    "--best-effort to run with Landlock and seccomp only");
	policy_free(r);
}

static void best_effort_without_userns_says_what_is_lost(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_PROXY);
	r->best_effort = true;
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	assert_true(cordon_strlist_push(&r->deny_read, "/home/u/.ssh"));
	linux_host host = good_host();
	host.userns_available = false;
	fake_entry entries[] = {{"/w/.git", CORDON_FS_DIRECTORY, NULL, false},
				{"/home/u/.ssh", CORDON_FS_DIRECTORY, NULL, false}};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_plan *plan = build_ok(r, &host, &fs);
	assert_true(plan->sandboxed);
	assert_false(plan->use_userns);
	assert_false(plan->use_netns);
	assert_int_equal(plan->clone_flags, 0);
	assert_int_equal(plan->mount_count, 0);
	assert_true(has_note(plan, "protected names (.git, .codex, .agents, .cordon) are not protected: user "
				   "namespaces are unavailable"));
	assert_true(has_note(plan, "deny-read paths are readable"));
	assert_true(has_note(plan, "no pid namespace"));
	assert_true(has_note(plan, "host unix sockets"));
	assert_true(has_note(plan, "not forced through the proxy"));
	linux_plan_free(plan);
	policy_free(r);
}

static void landlock_missing_refused_unless_best_effort(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_OFF);
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	linux_host host = good_host();
	host.landlock_abi = 0;
	fake_fs fs = {0};
	cordon_error err = {0};
	assert_int_equal(build_fails(r, &host, &fs, &err), CORDON_E_UNSUPPORTED);
	assert_non_null(
		strstr(err.message, "cannot build the sandbox: Landlock is not available in this kernel"));
	assert_non_null(strstr(err.message, "pass --best-effort"));
	r->best_effort = true;
	linux_plan *plan = build_ok(r, &host, &fs);
	assert_true(plan->use_userns);
	assert_int_equal(plan->landlock_abi, 0);
	assert_true(has_note(plan, "Landlock is unavailable"));
	assert_true(plan->mount_count > 0);
	linux_plan_free(plan);
	policy_free(r);
}

static void casefolded_root_refused_unless_best_effort(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_OFF);
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	fake_entry entries[] = {{"/w", CORDON_FS_DIRECTORY, NULL, true}};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_host host = good_host();
	cordon_error err = {0};
	assert_int_equal(build_fails(r, &host, &fs, &err), CORDON_E_UNSUPPORTED);
	assert_string_equal(err.message,
			    "cannot protect names in /w: the directory is case-insensitive (casefold "
			    "attribute), so a case variant such as '.GIT' would reach the protected "
			    "name; use a case-sensitive directory, or pass --best-effort");
	r->best_effort = true;
	linux_plan *plan = build_ok(r, &host, &fs);
	assert_true(has_note(plan, "/w is case-insensitive"));
	assert_true(find_op(plan, LINUX_MOUNT_PLACEHOLDER, "/w/.git") >= 0);
	linux_plan_free(plan);
	policy_free(r);
}

static void symlinked_protected_name_refused(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_OFF);
	policy_add_root(r, "/w", CORDON_ROOT_WORKSPACE);
	fake_entry entries[] = {{"/w/.codex", CORDON_FS_SYMLINK, NULL, false}};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	linux_host host = good_host();
	cordon_error err = {0};
	assert_int_equal(build_fails(r, &host, &fs, &err), CORDON_E_UNSUPPORTED);
	assert_string_equal(err.message,
			    "cannot protect /w/.codex: it is a symbolic link, which a read-only bind "
			    "cannot pin; replace the link with the directory it points to, or pass "
			    "--best-effort");
	policy_free(r);
}

static void mount_count_scales_with_roots_not_files(void **state)
{
	(void)state;
	cordon_resolved *r = policy_new(CORDON_MODE_WORKSPACE_WRITE, CORDON_NETWORK_OFF);
	for (int i = 0; i < 300; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/roots/r%03d", i);
		policy_add_root(r, path, CORDON_ROOT_EXTRA);
	}
	assert_true(cordon_strlist_push(&r->deny_read, "/secret"));
	fake_entry entries[] = {{"/secret", CORDON_FS_FILE, "s", false},
				{"/roots/r007/.git", CORDON_FS_DIRECTORY, NULL, false}};
	fake_fs fs = {entries, ARRAY_COUNT(entries), NULL};
	char *sockets[] = {"/run/a.sock", "/run/b.sock"};
	linux_host host = good_host();
	host.host_sockets = sockets;
	host.host_socket_count = 2;
	linux_plan *plan = build_ok(r, &host, &fs);
	assert_int_equal(plan->mount_count, 300 + 300 * 4 + 1 + 2);
	for (size_t i = 0; i < 300; i++)
		assert_int_equal(plan->mounts[i].kind, LINUX_MOUNT_BIND_RW);
	assert_true(find_op(plan, LINUX_MOUNT_BIND_RO, "/roots/r007/.git") >= 300);
	assert_int_equal(plan->mounts[plan->mount_count - 3].kind, LINUX_MOUNT_MASK_FILE);
	linux_plan_free(plan);
	policy_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_access_is_not_sandboxed),
		cmocka_unit_test(read_only_has_no_writable_binds),
		cmocka_unit_test(workspace_write_binds_roots_then_protections),
		cmocka_unit_test(nested_roots_are_bound_outer_first),
		cmocka_unit_test(worktree_gitdir_and_commondir_are_protected),
		cmocka_unit_test(worktree_gitdir_outside_roots_needs_nothing),
		cmocka_unit_test(state_dir_inside_root_is_protected),
		cmocka_unit_test(deny_read_masks_files_and_dirs_last),
		cmocka_unit_test(credential_stores_masked_like_deny_read),
		cmocka_unit_test(host_sockets_masked_unless_network_on),
		cmocka_unit_test(without_userns_refuses_with_exact_message),
		cmocka_unit_test(best_effort_without_userns_says_what_is_lost),
		cmocka_unit_test(landlock_missing_refused_unless_best_effort),
		cmocka_unit_test(casefolded_root_refused_unless_best_effort),
		cmocka_unit_test(symlinked_protected_name_refused),
		cmocka_unit_test(mount_count_scales_with_roots_not_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
