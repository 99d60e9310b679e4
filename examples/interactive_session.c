/* Drives an interactive shell in a cordon sandbox through the library, on a
 * pseudo-terminal, the way an agent would: type a command, read until a
 * marker, check the answer. Exits non-zero on any mismatch.
 *
 * Markers are written as arithmetic ("M-$((1+1))") so the terminal's echo
 * of what we typed never matches them; only the shell's output does. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cordon.h"

typedef struct transcript {
	char text[65536];
	size_t length;
	size_t consumed; /* what earlier steps already looked at */
} transcript;

static int failures;

__attribute__((format(printf, 1, 2))) static void say(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	printf("interactive_session: ");
	vprintf(format, args);
	printf("\n");
	va_end(args);
	fflush(stdout);
}

static void check(bool ok, const char *what)
{
	say("%s %s", ok ? "ok  " : "FAIL", what);
	if (!ok)
		failures++;
}

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads until marker appears after what was consumed; the step's output
 * (from consumed to the marker) is left in *step. */
static bool read_until(cordon_child *child, transcript *t, const char *marker, int timeout_ms,
		       const char **step)
{
	double deadline = seconds_now() + timeout_ms / 1000.0;
	for (;;) {
		t->text[t->length] = '\0';
		char *found = strstr(t->text + t->consumed, marker);
		if (found != NULL) {
			*step = t->text + t->consumed;
			*found = '\0'; /* the step ends at its marker */
			t->consumed = (size_t)(found - t->text) + strlen(marker);
			return true;
		}
		int left = (int)((deadline - seconds_now()) * 1000);
		if (left <= 0 || t->length + 1 >= sizeof(t->text))
			return false;
		ssize_t n = cordon_child_read(child, CORDON_STREAM_PTY, t->text + t->length,
					      sizeof(t->text) - t->length - 1, left);
		if (n <= 0)
			return false;
		t->length += (size_t)n;
	}
}

static void type_line(cordon_child *child, const char *line)
{
	say("type: %s", line);
	size_t length = strlen(line);
	if (cordon_child_write(child, line, length) != (ssize_t)length ||
	    cordon_child_write(child, "\n", 1) != 1) {
		say("FAIL writing to the terminal: %s", strerror(errno));
		failures++;
	}
}

/* Types a command followed by a marker echo and returns its output. */
static const char *run_step(cordon_child *child, transcript *t, const char *command, int step)
{
	char line[512], marker[32];
	snprintf(line, sizeof(line), "%s; echo STEP-$((%d+1000))", command, step);
	snprintf(marker, sizeof(marker), "STEP-%d", step + 1000);
	type_line(child, line);
	const char *output = NULL;
	if (!read_until(child, t, marker, 10000, &output)) {
		say("FAIL no marker %s; terminal so far:\n%s", marker, t->text + t->consumed);
		failures++;
		return "";
	}
	return output;
}

static cordon_resolved *workspace_policy(const char *dir)
{
	cordon_error err;
	cordon_policy *policy = cordon_policy_new();
	cordon_resolved *resolved = NULL;
	if (policy == NULL || cordon_policy_set_mode(policy, CORDON_MODE_WORKSPACE_WRITE) != CORDON_OK ||
	    cordon_policy_set_cwd(policy, dir, &err) != CORDON_OK ||
	    cordon_policy_resolve(policy, &resolved, &err) != CORDON_OK) {
		say("cannot build the policy: %s", err.message);
		resolved = NULL;
	}
	cordon_policy_free(policy);
	return resolved;
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	char dir[512];
	snprintf(dir, sizeof(dir), "%.400s/cordon-example-XXXXXX", base != NULL && base[0] ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	cordon_resolved *policy = workspace_policy(dir);
	if (policy == NULL)
		return 2;
	say("workspace-write sandbox on %s", dir);

	char home[600];
	snprintf(home, sizeof(home), "HOME=%s", dir);
	const char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "PS1=$ ", "TERM=dumb", home, NULL};
	const char *argv[] = {"sh", "-i", NULL};
	cordon_spawn_options options = {
		.argv = argv,
		.envp = envp,
		.stdio = CORDON_STDIO_PTY,
		.timeout_ms = 60000,
		.rows = 24,
		.cols = 80,
	};
	cordon_child *child = NULL;
	cordon_error err;
	if (cordon_spawn(policy, &options, &child, &err) != CORDON_OK) {
		say("cannot start the sandboxed shell (%s): %s", cordon_code_name(err.code), err.message);
		cordon_resolved_free(policy);
		return err.code == CORDON_E_UNSUPPORTED ? 77 : 1;
	}
	say("started sh -i on a pty (supervisor pid %d)", (int)cordon_child_pid(child));
	transcript t = {.length = 0};

	const char *out = run_step(child, &t, "echo answer=$((6*7))", 1);
	check(strstr(out, "answer=42") != NULL, "the shell computes 6*7 = 42");

	out = run_step(child, &t, "echo hello > note.txt && cat note.txt", 2);
	char note[700];
	snprintf(note, sizeof(note), "%s/note.txt", dir);
	struct stat st;
	check(strstr(out, "hello") != NULL && stat(note, &st) == 0, "writing inside the workspace works");

	out = run_step(child, &t, "(echo x > /cordon-example-outside) 2>/dev/null; echo rc=$?", 3);
	check(strstr(out, "rc=0") == NULL && stat("/cordon-example-outside", &st) != 0,
	      "writing outside the workspace is refused");

	out = run_step(child, &t, "stty size", 4);
	check(strstr(out, "24 80") != NULL, "the terminal starts at 24x80");
	if (cordon_child_resize(child, 40, 100, &err) != CORDON_OK)
		say("resize failed: %s", err.message);
	out = run_step(child, &t, "stty size", 5);
	check(strstr(out, "40 100") != NULL, "the shell sees the resize to 40x100");

	/* A foreground job that would take 30 s, interrupted like Ctrl-C. */
	type_line(child, "sleep 30");
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 300 * 1000000L};
	nanosleep(&pause, NULL);
	double before = seconds_now();
	if (cordon_child_signal(child, SIGINT, &err) != CORDON_OK)
		say("signal failed: %s", err.message);
	out = run_step(child, &t, "echo back", 6);
	check(strstr(out, "back") != NULL && seconds_now() - before < 10, "SIGINT stops the foreground job");

	type_line(child, "exit 3");
	cordon_exit exit_info;
	cordon_code code = cordon_child_wait(child, 10000, &exit_info, &err);
	check(code == CORDON_OK && cordon_exit_status(&exit_info) == 3, "the shell exits with status 3");
	if (code == CORDON_OK)
		say("run took %.2f s, status %d", exit_info.seconds, cordon_exit_status(&exit_info));

	cordon_child_free(child);
	cordon_resolved_free(policy);
	unlink(note);
	rmdir(dir);
	say("%s", failures == 0 ? "all checks passed" : "some checks FAILED");
	return failures == 0 ? 0 : 1;
}
