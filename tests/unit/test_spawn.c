/* cordon_spawn and the child API, for real: exit statuses, stdio modes,
 * timeouts that kill a whole tree, signals, the pty, descriptor hygiene,
 * and the host probe. Full-access runs need nothing from the host;
 * sandboxed runs skip (saying why) where the host or build cannot sandbox. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cordon.h"
#include "linux/sandbox.h"

static char temp_dir[256];

static int make_temp_dir(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR");
	snprintf(temp_dir, sizeof(temp_dir), "%.200s/cordon-spawn-XXXXXX",
		 base != NULL && base[0] ? base : "/tmp");
	if (mkdtemp(temp_dir) == NULL)
		return -1;
	chmod(temp_dir, 0755);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static int remove_temp_dir(void **state)
{
	(void)state;
	nftw(temp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void temp_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", temp_dir, name);
}

static cordon_resolved *resolve_policy(cordon_mode mode)
{
	cordon_error err;
	cordon_policy *policy = cordon_policy_new();
	assert_non_null(policy);
	assert_int_equal(cordon_policy_set_mode(policy, mode), CORDON_OK);
	assert_int_equal(cordon_policy_set_cwd(policy, temp_dir, &err), CORDON_OK);
	cordon_resolved *resolved = NULL;
	cordon_code code = cordon_policy_resolve(policy, &resolved, &err);
	if (code != CORDON_OK)
		fail_msg("resolve failed: %s", err.message);
	cordon_policy_free(policy);
	return resolved;
}

static cordon_child *spawn_full(const char *const *argv, cordon_stdio stdio, unsigned timeout_ms,
				cordon_resolved **resolved_out)
{
	cordon_resolved *resolved = resolve_policy(CORDON_MODE_FULL_ACCESS);
	cordon_spawn_options options = {.argv = argv, .stdio = stdio, .timeout_ms = timeout_ms};
	cordon_child *child = NULL;
	cordon_error err;
	cordon_code code = cordon_spawn(resolved, &options, &child, &err);
	if (code != CORDON_OK)
		fail_msg("cordon_spawn failed: %s", err.message);
	*resolved_out = resolved;
	return child;
}

static cordon_exit run_to_exit(const char *const *argv, unsigned timeout_ms)
{
	cordon_resolved *resolved;
	cordon_child *child = spawn_full(argv, CORDON_STDIO_PIPES, timeout_ms, &resolved);
	cordon_exit exit_info;
	cordon_error err;
	assert_int_equal(cordon_child_wait(child, 20000, &exit_info, &err), CORDON_OK);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
	return exit_info;
}

typedef struct buffer {
	unsigned char *data;
	size_t length;
	size_t capacity;
} buffer;

static void buffer_append(buffer *b, const void *data, size_t length)
{
	if (b->length + length > b->capacity) {
		size_t capacity = b->capacity ? b->capacity : 4096;
		while (capacity < b->length + length)
			capacity *= 2;
		b->data = realloc(b->data, capacity);
		assert_non_null(b->data);
		b->capacity = capacity;
	}
	memcpy(b->data + b->length, data, length);
	b->length += length;
}

static bool buffer_contains(const buffer *b, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= b->length && i + n <= b->length; i++)
		if (memcmp(b->data + i, needle, n) == 0)
			return true;
	return false;
}

/* Reads stdout and stderr together until both end (or 30 s pass). */
static void drain_pipes(cordon_child *child, buffer *out, buffer *err_out)
{
	bool out_open = true, err_open = true;
	static unsigned char chunk[65536];
	time_t give_up = time(NULL) + 30;
	while ((out_open || err_open) && time(NULL) < give_up) {
		struct pollfd fds[2] = {
			{.fd = out_open ? cordon_child_fd(child, CORDON_STREAM_STDOUT) : -1,
			 .events = POLLIN},
			{.fd = err_open ? cordon_child_fd(child, CORDON_STREAM_STDERR) : -1,
			 .events = POLLIN},
		};
		assert_true(poll(fds, 2, 1000) >= 0);
		if (fds[0].revents) {
			ssize_t n = cordon_child_read(child, CORDON_STREAM_STDOUT, chunk, sizeof(chunk), 0);
			if (n == 0)
				out_open = false;
			else if (n > 0)
				buffer_append(out, chunk, (size_t)n);
		}
		if (fds[1].revents) {
			ssize_t n = cordon_child_read(child, CORDON_STREAM_STDERR, chunk, sizeof(chunk), 0);
			if (n == 0)
				err_open = false;
			else if (n > 0)
				buffer_append(err_out, chunk, (size_t)n);
		}
	}
	assert_false(out_open);
	assert_false(err_open);
}

/* Reads the pty until needle shows up (or timeout_ms passes). */
static bool pty_read_until(cordon_child *child, buffer *b, const char *needle, int timeout_ms)
{
	int64_t waited = 0;
	char chunk[4096];
	while (!buffer_contains(b, needle) && waited < timeout_ms) {
		ssize_t n = cordon_child_read(child, CORDON_STREAM_PTY, chunk, sizeof(chunk), 100);
		if (n > 0)
			buffer_append(b, chunk, (size_t)n);
		else if (n == 0)
			break;
		else
			waited += 100;
	}
	return buffer_contains(b, needle);
}

/* ------------------------------------------------------------ statuses */

static void test_exit_codes(void **state)
{
	(void)state;
	const char *zero[] = {"sh", "-c", "exit 0", NULL};
	const char *three[] = {"sh", "-c", "exit 3", NULL};
	const char *max[] = {"sh", "-c", "exit 255", NULL};
	cordon_exit e = run_to_exit(zero, 0);
	assert_int_equal(e.kind, CORDON_EXIT_CODE);
	assert_int_equal(cordon_exit_status(&e), 0);
	e = run_to_exit(three, 0);
	assert_int_equal(e.kind, CORDON_EXIT_CODE);
	assert_int_equal(e.code, 3);
	assert_int_equal(cordon_exit_status(&e), 3);
	e = run_to_exit(max, 0);
	assert_int_equal(cordon_exit_status(&e), 255);
	assert_true(e.seconds >= 0 && e.seconds < 20);
}

static void test_not_found_is_127(void **state)
{
	(void)state;
	const char *in_path[] = {"cordon-no-such-program-7f3a", NULL};
	cordon_exit e = run_to_exit(in_path, 0);
	assert_int_equal(e.kind, CORDON_EXIT_NOT_FOUND);
	assert_int_equal(cordon_exit_status(&e), 127);
	assert_non_null(strstr(e.detail, "cordon-no-such-program-7f3a"));

	const char *absolute[] = {"/nonexistent/cordon-program", NULL};
	e = run_to_exit(absolute, 0);
	assert_int_equal(e.kind, CORDON_EXIT_NOT_FOUND);

	/* A command that itself exits 127 is not "not found". */
	const char *own[] = {"sh", "-c", "exit 127", NULL};
	e = run_to_exit(own, 0);
	assert_int_equal(e.kind, CORDON_EXIT_CODE);
	assert_int_equal(e.code, 127);
}

static void test_not_executable_is_126(void **state)
{
	(void)state;
	char script[512];
	temp_path(script, sizeof(script), "not-executable.sh");
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho should-not-run\n", f);
	fclose(f);
	chmod(script, 0644);

	const char *direct[] = {script, NULL};
	cordon_exit e = run_to_exit(direct, 0);
	assert_int_equal(e.kind, CORDON_EXIT_NOT_EXECUTABLE);
	assert_int_equal(cordon_exit_status(&e), 126);

	/* Found through PATH but not executable: 126 as well. */
	cordon_resolved *resolved = resolve_policy(CORDON_MODE_FULL_ACCESS);
	char path_var[512];
	snprintf(path_var, sizeof(path_var), "PATH=%s", temp_dir);
	const char *envp[] = {path_var, NULL};
	const char *by_name[] = {"not-executable.sh", NULL};
	cordon_spawn_options options = {.argv = by_name, .envp = envp, .stdio = CORDON_STDIO_PIPES};
	cordon_child *child;
	cordon_error err;
	assert_int_equal(cordon_spawn(resolved, &options, &child, &err), CORDON_OK);
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(e.kind, CORDON_EXIT_NOT_EXECUTABLE);
	assert_non_null(strstr(e.detail, "not-executable.sh"));
	cordon_child_free(child);
	cordon_resolved_free(resolved);
	unlink(script);
}

static void test_signal_death_is_128_plus_n(void **state)
{
	(void)state;
	const char *self_kill[] = {"sh", "-c", "kill -TERM $$; sleep 5", NULL};
	cordon_exit e = run_to_exit(self_kill, 0);
	assert_int_equal(e.kind, CORDON_EXIT_SIGNAL);
	assert_int_equal(e.signal_number, SIGTERM);
	assert_int_equal(cordon_exit_status(&e), 128 + SIGTERM);
}

/* --------------------------------------------------------------- pipes */

static void fill_pattern(unsigned char *data, size_t length, uint32_t seed)
{
	uint32_t x = seed;
	for (size_t i = 0; i < length; i++) {
		x = x * 1664525u + 1013904223u;
		data[i] = (unsigned char)(x >> 24);
	}
}

static void write_file(const char *path, const unsigned char *data, size_t length)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, length, f), length);
	fclose(f);
}

static void test_pipes_carry_20_mib_on_each_stream(void **state)
{
	(void)state;
	const size_t size = 20u << 20;
	unsigned char *a = malloc(size), *b = malloc(size);
	assert_non_null(a);
	assert_non_null(b);
	fill_pattern(a, size, 1);
	fill_pattern(b, size, 2);
	char path_a[512], path_b[512], script[1200];
	temp_path(path_a, sizeof(path_a), "stream-a.bin");
	temp_path(path_b, sizeof(path_b), "stream-b.bin");
	write_file(path_a, a, size);
	write_file(path_b, b, size);
	snprintf(script, sizeof(script), "cat '%s' & cat '%s' >&2; wait", path_a, path_b);

	const char *argv[] = {"sh", "-c", script, NULL};
	cordon_resolved *resolved;
	cordon_child *child = spawn_full(argv, CORDON_STDIO_PIPES, 0, &resolved);
	buffer out = {0}, err_out = {0};
	drain_pipes(child, &out, &err_out);
	cordon_exit e;
	cordon_error err;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(cordon_exit_status(&e), 0);
	assert_int_equal(out.length, size);
	assert_int_equal(err_out.length, size);
	assert_memory_equal(out.data, a, size);
	assert_memory_equal(err_out.data, b, size);
	free(out.data);
	free(err_out.data);
	free(a);
	free(b);
	unlink(path_a);
	unlink(path_b);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

static void test_stdin_passes_through(void **state)
{
	(void)state;
	const char *argv[] = {"sh", "-c", "read first; echo \"first:$first\"; cat", NULL};
	cordon_resolved *resolved;
	cordon_child *child = spawn_full(argv, CORDON_STDIO_PIPES, 0, &resolved);
	const char line[] = "hello cordon\n";
	assert_int_equal(cordon_child_write(child, line, strlen(line)), (ssize_t)strlen(line));
	unsigned char body[32768];
	fill_pattern(body, sizeof(body), 3);
	assert_int_equal(cordon_child_write(child, body, sizeof(body)), (ssize_t)sizeof(body));
	cordon_error err;
	assert_int_equal(cordon_child_close_stdin(child, &err), CORDON_OK);
	/* A closed stdin cannot be written again. */
	assert_int_equal(cordon_child_write(child, "x", 1), -1);

	buffer out = {0}, err_out = {0};
	drain_pipes(child, &out, &err_out);
	cordon_exit e;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(cordon_exit_status(&e), 0);
	const char expected[] = "first:hello cordon\n";
	assert_int_equal(out.length, strlen(expected) + sizeof(body));
	assert_memory_equal(out.data, expected, strlen(expected));
	assert_memory_equal(out.data + strlen(expected), body, sizeof(body));
	assert_int_equal(err_out.length, 0);
	free(out.data);
	free(err_out.data);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

static void test_read_times_out_then_sees_eof(void **state)
{
	(void)state;
	const char *argv[] = {"sh", "-c", "sleep 0.5", NULL};
	cordon_resolved *resolved;
	cordon_child *child = spawn_full(argv, CORDON_STDIO_PIPES, 0, &resolved);
	char chunk[16];
	errno = 0;
	assert_int_equal(cordon_child_read(child, CORDON_STREAM_STDOUT, chunk, sizeof(chunk), 50), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(cordon_child_read(child, CORDON_STREAM_STDOUT, chunk, sizeof(chunk), 5000), 0);
	cordon_exit e;
	cordon_error err;
	/* A wait shorter than the run gives up without killing anything. */
	cordon_child_free(child);
	cordon_resolved_free(resolved);

	const char *longer[] = {"sleep", "2", NULL};
	child = spawn_full(longer, CORDON_STDIO_PIPES, 0, &resolved);
	assert_int_equal(cordon_child_wait(child, 100, &e, &err), CORDON_E_TIMEOUT);
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(cordon_exit_status(&e), 0);
	assert_true(e.seconds >= 1.5);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

/* ------------------------------------------------------------- timeout */

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A sleeper that left the command's session and parent (setsid + double
 * fork) would write `late` after the timeout: the whole tree must die. */
static void check_timeout_kills_tree(cordon_mode mode)
{
	char started[512], late[512], script[1400];
	temp_path(started, sizeof(started),
		  mode == CORDON_MODE_FULL_ACCESS ? "started-full" : "started-sandbox");
	temp_path(late, sizeof(late), mode == CORDON_MODE_FULL_ACCESS ? "late-full" : "late-sandbox");
	unlink(started);
	unlink(late);
	snprintf(script, sizeof(script),
		 "(setsid sh -c 'echo > \"%s\"; sleep 1.5; echo late > \"%s\"' &); sleep 30", started, late);
	const char *argv[] = {"sh", "-c", script, NULL};

	cordon_resolved *resolved = resolve_policy(mode);
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PIPES, .timeout_ms = 700};
	cordon_child *child;
	cordon_error err;
	cordon_code code = cordon_spawn(resolved, &options, &child, &err);
	if (code == CORDON_E_UNSUPPORTED) {
		cordon_resolved_free(resolved);
		fprintf(stderr, "skipped: sandboxed spawn unsupported here: %s\n", err.message);
		skip();
	}
	assert_int_equal(code, CORDON_OK);
	cordon_exit e;
	assert_int_equal(cordon_child_wait(child, 20000, &e, &err), CORDON_OK);
	assert_int_equal(e.kind, CORDON_EXIT_TIMEOUT);
	assert_int_equal(cordon_exit_status(&e), 124);
	assert_true(e.seconds >= 0.6 && e.seconds < 5);
	assert_true(file_exists(started)); /* the sleeper did run */
	sleep_ms(2500);
	assert_false(file_exists(late));
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

static void test_timeout_kills_whole_tree_full_access(void **state)
{
	(void)state;
	check_timeout_kills_tree(CORDON_MODE_FULL_ACCESS);
}

static void test_timeout_kills_whole_tree_sandboxed(void **state)
{
	(void)state;
	check_timeout_kills_tree(CORDON_MODE_WORKSPACE_WRITE);
}

/* A timeout shorter than any sandbox set-up (namespaces alone take
 * longer than 1 ms) ends the run before the command starts: the spawn
 * says so and the command's marker never appears. */
static void check_timeout_during_setup(cordon_mode mode)
{
	char marker[512], script[700];
	temp_path(marker, sizeof(marker), mode == CORDON_MODE_FULL_ACCESS ? "setup-full" : "setup-sandbox");
	unlink(marker);
	snprintf(script, sizeof(script), "echo ran > \"%s\"", marker);
	const char *argv[] = {"sh", "-c", script, NULL};
	cordon_resolved *resolved = resolve_policy(mode);
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PIPES, .timeout_ms = 1};
	cordon_child *child = NULL;
	cordon_error err;
	cordon_code code = cordon_spawn(resolved, &options, &child, &err);
	if (code == CORDON_E_UNSUPPORTED) {
		cordon_resolved_free(resolved);
		fprintf(stderr, "skipped: sandboxed spawn unsupported here: %s\n", err.message);
		skip();
	}
	if (code == CORDON_OK) {
		/* Set-up beat 1 ms (full access on a fast machine): then the
		 * wait must still report the timeout. */
		cordon_exit e;
		assert_int_equal(cordon_child_wait(child, 20000, &e, &err), CORDON_OK);
		assert_int_equal(e.kind, CORDON_EXIT_TIMEOUT);
		cordon_child_free(child);
	} else {
		assert_int_equal(code, CORDON_E_TIMEOUT);
		assert_null(child);
		assert_non_null(strstr(err.message, "never ran"));
		sleep_ms(300);
		assert_false(file_exists(marker));
	}
	cordon_resolved_free(resolved);
}

static void test_timeout_covers_sandbox_setup(void **state)
{
	(void)state;
	check_timeout_during_setup(CORDON_MODE_WORKSPACE_WRITE);
	check_timeout_during_setup(CORDON_MODE_FULL_ACCESS);
}

static void test_terminate_and_free_kill_the_run(void **state)
{
	(void)state;
	char late[512], script[1024];
	temp_path(late, sizeof(late), "late-terminate");
	unlink(late);
	snprintf(script, sizeof(script), "(setsid sh -c 'sleep 1; echo late > \"%s\"' &); sleep 30", late);
	const char *argv[] = {"sh", "-c", script, NULL};
	cordon_resolved *resolved;
	cordon_child *child = spawn_full(argv, CORDON_STDIO_PIPES, 0, &resolved);
	sleep_ms(200);
	cordon_error err;
	assert_int_equal(cordon_child_terminate(child, &err), CORDON_OK);
	cordon_exit e;
	assert_int_equal(cordon_child_wait(child, 0, &e, &err), CORDON_OK);
	assert_int_equal(e.kind, CORDON_EXIT_SIGNAL);
	assert_int_equal(e.signal_number, SIGKILL);
	assert_int_equal(cordon_child_signal(child, SIGTERM, &err), CORDON_E_STATE);
	cordon_child_free(child);
	cordon_resolved_free(resolved);

	/* Freeing a running child kills it too. */
	child = spawn_full(argv, CORDON_STDIO_PIPES, 0, &resolved);
	sleep_ms(200);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
	sleep_ms(1500);
	assert_false(file_exists(late));
}

/* ------------------------------------------------------------- signals */

static void test_signal_reaches_the_command(void **state)
{
	(void)state;
	const char *argv[] = {"sh", "-c",
			      "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done",
			      NULL};
	cordon_resolved *resolved;
	cordon_child *child = spawn_full(argv, CORDON_STDIO_PIPES, 0, &resolved);
	char chunk[64];
	ssize_t n = cordon_child_read(child, CORDON_STREAM_STDOUT, chunk, sizeof(chunk) - 1, 5000);
	assert_true(n > 0);
	chunk[n] = '\0';
	assert_non_null(strstr(chunk, "ready"));
	cordon_error err;
	assert_int_equal(cordon_child_signal(child, SIGTERM, &err), CORDON_OK);
	cordon_exit e;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(e.kind, CORDON_EXIT_CODE);
	assert_int_equal(e.code, 7);
	n = cordon_child_read(child, CORDON_STREAM_STDOUT, chunk, sizeof(chunk) - 1, 1000);
	assert_true(n > 0);
	chunk[n] = '\0';
	assert_non_null(strstr(chunk, "got-term"));
	cordon_child_free(child);
	cordon_resolved_free(resolved);

	const char *sleeper[] = {"sleep", "10", NULL};
	child = spawn_full(sleeper, CORDON_STDIO_PIPES, 0, &resolved);
	assert_int_equal(cordon_child_signal(child, SIGINT, &err), CORDON_OK);
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(e.kind, CORDON_EXIT_SIGNAL);
	assert_int_equal(e.signal_number, SIGINT);
	assert_int_equal(cordon_exit_status(&e), 130);
	assert_true(e.seconds < 5);
	assert_int_equal(cordon_child_signal(child, 0, &err), CORDON_E_INVALID);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

/* ----------------------------------------------------------------- pty */

static void test_pty_size_tty_input_and_last_bytes(void **state)
{
	(void)state;
	cordon_resolved *resolved = resolve_policy(CORDON_MODE_FULL_ACCESS);
	const char *argv[] = {"sh", "-c", "stty size; tty; read x; echo got:$x; printf last-bytes", NULL};
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PTY, .rows = 30, .cols = 100};
	cordon_child *child;
	cordon_error err;
	assert_int_equal(cordon_spawn(resolved, &options, &child, &err), CORDON_OK);
	assert_int_equal(cordon_child_fd(child, CORDON_STREAM_STDOUT), -1);
	assert_true(cordon_child_fd(child, CORDON_STREAM_PTY) >= 0);
	buffer b = {0};
	assert_true(pty_read_until(child, &b, "30 100", 5000));
	assert_true(pty_read_until(child, &b, "/dev/pts/", 5000));
	assert_int_equal(cordon_child_write(child, "hello\n", 6), 6);
	cordon_exit e;
	/* Wait first: the output must still be there after the run ended. */
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(cordon_exit_status(&e), 0);
	char chunk[4096];
	ssize_t n;
	while ((n = cordon_child_read(child, CORDON_STREAM_PTY, chunk, sizeof(chunk), 2000)) > 0)
		buffer_append(&b, chunk, (size_t)n);
	assert_int_equal(n, 0);
	buffer_append(&b, "", 1);
	assert_non_null(strstr((char *)b.data, "got:hello"));
	assert_non_null(strstr((char *)b.data, "last-bytes"));
	free(b.data);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

static void test_pty_large_output_arrives_whole(void **state)
{
	(void)state;
	const char *argv[] = {"sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x; echo END", NULL};
	cordon_resolved *resolved;
	cordon_child *child = spawn_full(argv, CORDON_STDIO_PTY, 0, &resolved);
	buffer b = {0};
	char chunk[8192];
	ssize_t n;
	while ((n = cordon_child_read(child, CORDON_STREAM_PTY, chunk, sizeof(chunk), 10000)) > 0)
		buffer_append(&b, chunk, (size_t)n);
	assert_int_equal(n, 0);
	size_t xs = 0;
	for (size_t i = 0; i < b.length; i++)
		xs += b.data[i] == 'x';
	assert_int_equal(xs, 200000);
	assert_true(buffer_contains(&b, "END"));
	cordon_exit e;
	cordon_error err;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(cordon_exit_status(&e), 0);
	free(b.data);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

static void test_pty_resize_and_eof(void **state)
{
	(void)state;
	const char *argv[] = {"sh", "-c",
			      "trap 'stty size' WINCH; echo ready; while read line; do :; done; echo bye",
			      NULL};
	cordon_resolved *resolved;
	cordon_child *child = spawn_full(argv, CORDON_STDIO_PTY, 0, &resolved);
	buffer b = {0};
	assert_true(pty_read_until(child, &b, "ready", 5000));
	cordon_error err;
	assert_int_equal(cordon_child_resize(child, 40, 120, &err), CORDON_OK);
	/* The trap runs once `read` returns: feed it a line. */
	assert_int_equal(cordon_child_write(child, "\n", 1), 1);
	assert_true(pty_read_until(child, &b, "40 120", 5000));
	assert_int_equal(cordon_child_close_stdin(child, &err), CORDON_OK);
	assert_true(pty_read_until(child, &b, "bye", 5000));
	cordon_exit e;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(cordon_exit_status(&e), 0);
	free(b.data);
	cordon_child_free(child);
	cordon_resolved_free(resolved);

	/* Resizing a pipes run is a state error, not a crash. */
	const char *quick[] = {"true", NULL};
	child = spawn_full(quick, CORDON_STDIO_PIPES, 0, &resolved);
	assert_int_equal(cordon_child_resize(child, 10, 10, &err), CORDON_E_STATE);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

/* --------------------------------------------------------- descriptors */

static void test_only_stdio_is_inherited(void **state)
{
	(void)state;
	int leaked = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
	assert_true(leaked >= 0);
	int high = dup2(leaked, 57);
	assert_int_equal(high, 57);
	const char *argv[] = {"ls", "-1", "/proc/self/fd", NULL};
	cordon_resolved *resolved;
	cordon_child *child = spawn_full(argv, CORDON_STDIO_PIPES, 0, &resolved);
	buffer out = {0}, err_out = {0};
	drain_pipes(child, &out, &err_out);
	cordon_exit e;
	cordon_error err;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(cordon_exit_status(&e), 0);
	buffer_append(&out, "", 1);
	/* 0, 1, 2 and the directory ls itself opened to list them (3). */
	int seen = 0;
	for (char *line = strtok((char *)out.data, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		int fd = atoi(line);
		if (fd > 3)
			fail_msg("descriptor %d leaked into the command", fd);
		seen++;
	}
	assert_int_equal(seen, 4);
	free(out.data);
	free(err_out.data);
	close(leaked);
	close(high);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

/* A run's pipe must not be held open by another run started later. */
static void test_concurrent_runs_do_not_hold_each_others_pipes(void **state)
{
	(void)state;
	const char *cat[] = {"cat", NULL};
	const char *sleeper[] = {"sleep", "5", NULL};
	cordon_resolved *r1, *r2;
	cordon_child *first = spawn_full(cat, CORDON_STDIO_PIPES, 0, &r1);
	cordon_child *second = spawn_full(sleeper, CORDON_STDIO_PIPES, 0, &r2);
	cordon_error err;
	assert_int_equal(cordon_child_close_stdin(first, &err), CORDON_OK);
	cordon_exit e;
	/* cat ends at EOF only if nobody else holds its stdin's write end. */
	assert_int_equal(cordon_child_wait(first, 3000, &e, &err), CORDON_OK);
	assert_int_equal(cordon_exit_status(&e), 0);
	cordon_child_free(first);
	cordon_child_free(second);
	cordon_resolved_free(r1);
	cordon_resolved_free(r2);
}

static void count_usr1(int sig)
{
	(void)sig;
}

static int occurrences(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The caller's ignored, handled and blocked signals stay the caller's:
 * the command starts with every disposition at its default and nothing
 * blocked (its SigIgn and SigBlk in /proc/self/status are all zero), and
 * in a sandbox the supervisor (pid 1, whose status the command can read)
 * holds none of the caller's handlers either (SigCgt zero). */
static void check_signal_state_not_inherited(cordon_mode mode)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN}, handle = {.sa_handler = count_usr1};
	struct sigaction previous_pipe, previous_quit, previous_usr1;
	sigaction(SIGPIPE, &ignore, &previous_pipe);
	sigaction(SIGQUIT, &ignore, &previous_quit);
	sigaction(SIGUSR1, &handle, &previous_usr1);
	sigset_t blocked, previous_mask;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGUSR2);
	sigprocmask(SIG_BLOCK, &blocked, &previous_mask);

	cordon_resolved *resolved = resolve_policy(mode);
	bool sandboxed = mode != CORDON_MODE_FULL_ACCESS;
	const char *argv[] = {"cat", "/proc/self/status", sandboxed ? "/proc/1/status" : NULL, NULL};
	int files = sandboxed ? 2 : 1;
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PIPES};
	cordon_child *child = NULL;
	cordon_error err;
	cordon_code code = cordon_spawn(resolved, &options, &child, &err);

	sigaction(SIGPIPE, &previous_pipe, NULL);
	sigaction(SIGQUIT, &previous_quit, NULL);
	sigaction(SIGUSR1, &previous_usr1, NULL);
	sigprocmask(SIG_SETMASK, &previous_mask, NULL);
	if (code == CORDON_E_UNSUPPORTED) {
		cordon_resolved_free(resolved);
		fprintf(stderr, "skipped: sandboxed spawn unsupported here: %s\n", err.message);
		skip();
	}
	if (code != CORDON_OK)
		fail_msg("cordon_spawn failed: %s", err.message);
	buffer out = {0}, err_out = {0};
	drain_pipes(child, &out, &err_out);
	cordon_exit e;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(cordon_exit_status(&e), 0);
	buffer_append(&out, "", 1);
	const char *text = (const char *)out.data;
	if (occurrences(text, "\nSigIgn:\t0000000000000000\n") != files)
		fail_msg("the run inherited ignored signals:\n%s", text);
	if (!buffer_contains(&out, "SigBlk:\t0000000000000000\n"))
		fail_msg("the command inherited blocked signals:\n%s", text);
	if (occurrences(text, "\nSigCgt:\t0000000000000000\n") != files)
		fail_msg("the run holds the caller's signal handlers:\n%s", text);
	free(out.data);
	free(err_out.data);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

static void test_signal_state_not_inherited_full_access(void **state)
{
	(void)state;
	check_signal_state_not_inherited(CORDON_MODE_FULL_ACCESS);
}

static void test_signal_state_not_inherited_sandboxed(void **state)
{
	(void)state;
	check_signal_state_not_inherited(CORDON_MODE_WORKSPACE_WRITE);
}

/* ----------------------------------------------------------- sandboxed */

static void test_sandboxed_run_is_pid_namespaced(void **state)
{
	(void)state;
	cordon_resolved *resolved = resolve_policy(CORDON_MODE_WORKSPACE_WRITE);
	const char *argv[] = {"sh", "-c", "echo pid=$$", NULL};
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PIPES};
	cordon_child *child;
	cordon_error err;
	cordon_code code = cordon_spawn(resolved, &options, &child, &err);
	if (code == CORDON_E_UNSUPPORTED) {
		cordon_resolved_free(resolved);
		fprintf(stderr, "skipped: sandboxed spawn unsupported here: %s\n", err.message);
		skip();
	}
	if (code != CORDON_OK)
		fail_msg("sandboxed spawn failed: %s", err.message);
	buffer out = {0}, err_out = {0};
	drain_pipes(child, &out, &err_out);
	cordon_exit e;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	buffer_append(&out, "", 1);
	buffer_append(&err_out, "", 1);
	if (cordon_exit_status(&e) != 0)
		fail_msg("status %d, stderr: %s", cordon_exit_status(&e), (char *)err_out.data);
	/* The supervisor is pid 1; the command is its first child. */
	assert_string_equal((char *)out.data, "pid=2\n");
	free(out.data);
	free(err_out.data);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

static void test_sandboxed_not_found_fails_closed_or_127(void **state)
{
	(void)state;
	cordon_resolved *resolved = resolve_policy(CORDON_MODE_READ_ONLY);
	const char *argv[] = {"cordon-no-such-program-7f3a", NULL};
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PIPES};
	cordon_child *child;
	cordon_error err;
	cordon_code code = cordon_spawn(resolved, &options, &child, &err);
	if (code == CORDON_E_UNSUPPORTED) {
		cordon_resolved_free(resolved);
		fprintf(stderr, "skipped: sandboxed spawn unsupported here: %s\n", err.message);
		skip();
	}
	assert_int_equal(code, CORDON_OK);
	cordon_exit e;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	assert_int_equal(e.kind, CORDON_EXIT_NOT_FOUND);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

/* With --best-effort a host without user namespaces still gets Landlock
 * and seccomp: a write outside the roots must fail either way. */
static void test_best_effort_still_confines_writes(void **state)
{
	(void)state;
	const char *outside = "/cordon-spawn-best-effort-outside";
	unlink(outside);
	cordon_error err;
	cordon_policy *policy = cordon_policy_new();
	assert_non_null(policy);
	assert_int_equal(cordon_policy_set_cwd(policy, temp_dir, &err), CORDON_OK);
	cordon_policy_set_best_effort(policy, true);
	cordon_resolved *resolved = NULL;
	assert_int_equal(cordon_policy_resolve(policy, &resolved, &err), CORDON_OK);
	cordon_policy_free(policy);
	char script[256];
	snprintf(script, sizeof(script), "echo inside > inside.txt && (echo x > %s) 2>/dev/null; echo rc=$?",
		 outside);
	const char *argv[] = {"sh", "-c", script, NULL};
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PIPES};
	cordon_child *child;
	cordon_code code = cordon_spawn(resolved, &options, &child, &err);
	if (code == CORDON_E_UNSUPPORTED) {
		cordon_resolved_free(resolved);
		fprintf(stderr, "skipped: even best-effort sandboxing is unsupported here: %s\n",
			err.message);
		skip();
	}
	if (code != CORDON_OK)
		fail_msg("best-effort spawn failed: %s", err.message);
	buffer out = {0}, err_out = {0};
	drain_pipes(child, &out, &err_out);
	cordon_exit e;
	assert_int_equal(cordon_child_wait(child, 10000, &e, &err), CORDON_OK);
	buffer_append(&out, "", 1);
	assert_int_equal(cordon_exit_status(&e), 0);
	assert_null(strstr((char *)out.data, "rc=0"));
	assert_false(file_exists(outside));
	char inside[512];
	temp_path(inside, sizeof(inside), "inside.txt");
	assert_true(file_exists(inside));
	unlink(outside);
	free(out.data);
	free(err_out.data);
	cordon_child_free(child);
	cordon_resolved_free(resolved);
}

/* A setup step that fails in the command process (here: its working
 * directory vanished after resolution) fails cordon_spawn itself. */
static void test_setup_failure_fails_the_spawn(void **state)
{
	(void)state;
	char gone[512];
	temp_path(gone, sizeof(gone), "vanishing");
	assert_int_equal(mkdir(gone, 0755), 0);
	cordon_error err;
	cordon_policy *policy = cordon_policy_new();
	assert_non_null(policy);
	assert_int_equal(cordon_policy_set_mode(policy, CORDON_MODE_FULL_ACCESS), CORDON_OK);
	assert_int_equal(cordon_policy_set_cwd(policy, gone, &err), CORDON_OK);
	cordon_resolved *resolved = NULL;
	assert_int_equal(cordon_policy_resolve(policy, &resolved, &err), CORDON_OK);
	cordon_policy_free(policy);
	assert_int_equal(rmdir(gone), 0);

	const char *argv[] = {"true", NULL};
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PIPES};
	cordon_child *child = (cordon_child *)0x1;
	assert_int_equal(cordon_spawn(resolved, &options, &child, &err), CORDON_E_SYSTEM);
	assert_null(child);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_non_null(strstr(err.message, "working directory"));
	assert_non_null(strstr(err.message, "vanishing"));

	const char *no_argv[] = {NULL};
	options.argv = no_argv;
	assert_int_equal(cordon_spawn(resolved, &options, &child, &err), CORDON_E_INVALID);
	cordon_resolved_free(resolved);
}

/* ---------------------------------------------------------------- host */

static void test_host_probe_matches_the_kernel(void **state)
{
	(void)state;
	char socket_path[512];
	temp_path(socket_path, sizeof(socket_path), "probe.sock");
	unlink(socket_path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	assert_true(strlen(socket_path) < sizeof(addr.sun_path));
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
	assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(s, 1), 0);

	linux_host host;
	cordon_error err;
	assert_int_equal(linux_host_probe(&host, &err), CORDON_OK);
	assert_int_equal(host.uid, getuid());
	assert_int_equal(host.gid, getgid());
	bool found = false;
	for (size_t i = 0; i < host.host_socket_count; i++) {
		assert_int_equal(host.host_sockets[i][0], '/');
		found = found || strcmp(host.host_sockets[i], socket_path) == 0;
	}
	assert_true(found);

	cordon_host_report report;
	assert_int_equal(cordon_probe_host(&report, &err), CORDON_OK);
	assert_memory_equal(report.platform, "Linux ", 6);
	bool saw_userns = false, saw_landlock = false;
	for (size_t i = 0; i < report.feature_count; i++) {
		const cordon_host_feature *f = &report.features[i];
		if (f->state == CORDON_FEATURE_MISSING)
			assert_true(f->lost[0] != '\0' && f->hint[0] != '\0');
		if (strcmp(f->name, "user namespaces") == 0) {
			saw_userns = true;
			/* Host facts and the doctor agree. */
			if (host.userns_available)
				assert_int_equal(f->state, CORDON_FEATURE_AVAILABLE);
		}
		if (strcmp(f->name, "landlock") == 0) {
			saw_landlock = true;
			if (host.landlock_abi > 0) {
				char expected[32];
				snprintf(expected, sizeof(expected), "ABI %d", host.landlock_abi);
				assert_string_equal(f->detail, expected);
			} else {
				assert_int_equal(f->state, CORDON_FEATURE_MISSING);
			}
		}
	}
	assert_true(saw_userns);
	assert_true(saw_landlock);
	linux_host_free(&host);
	close(s);
	unlink(socket_path);
}

int main(void)
{
	/* Like a CLI that ignores SIGPIPE would, but cordon must not rely on it. */
	signal(SIGPIPE, SIG_DFL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_not_found_is_127),
		cmocka_unit_test(test_not_executable_is_126),
		cmocka_unit_test(test_signal_death_is_128_plus_n),
		cmocka_unit_test(test_pipes_carry_20_mib_on_each_stream),
		cmocka_unit_test(test_stdin_passes_through),
		cmocka_unit_test(test_read_times_out_then_sees_eof),
		cmocka_unit_test(test_timeout_kills_whole_tree_full_access),
		cmocka_unit_test(test_timeout_kills_whole_tree_sandboxed),
		cmocka_unit_test(test_timeout_covers_sandbox_setup),
		cmocka_unit_test(test_terminate_and_free_kill_the_run),
		cmocka_unit_test(test_signal_reaches_the_command),
		cmocka_unit_test(test_pty_size_tty_input_and_last_bytes),
		cmocka_unit_test(test_pty_large_output_arrives_whole),
		cmocka_unit_test(test_pty_resize_and_eof),
		cmocka_unit_test(test_only_stdio_is_inherited),
		cmocka_unit_test(test_concurrent_runs_do_not_hold_each_others_pipes),
		cmocka_unit_test(test_signal_state_not_inherited_full_access),
		cmocka_unit_test(test_signal_state_not_inherited_sandboxed),
		cmocka_unit_test(test_sandboxed_run_is_pid_namespaced),
		cmocka_unit_test(test_sandboxed_not_found_fails_closed_or_127),
		cmocka_unit_test(test_best_effort_still_confines_writes),
		cmocka_unit_test(test_setup_failure_fails_the_spawn),
		cmocka_unit_test(test_host_probe_matches_the_kernel),
	};
	return cmocka_run_group_tests(tests, make_temp_dir, remove_temp_dir);
}
