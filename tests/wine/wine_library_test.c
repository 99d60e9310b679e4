/* Plumbing of the Windows spawn path through the library API, run under
 * Wine (tests/wine/run_wine_tests.sh). Each check prints "ok - plumbing:
 * ..." or "not ok - plumbing: ..."; the exit status is the number of
 * failures. Wine enforces no ACLs, restricting SIDs or integrity levels,
 * so nothing here is evidence of confinement: it shows that processes,
 * pipes, the job, the handle list and exit statuses work as cordon
 * drives them.
 *
 * Usage: wine_library_test.exe HELPER.exe WORKDIR [proxy]
 * With "proxy", only the --network proxy checks (tests/wine/
 * proxy_plumbing.sh runs them: they need cordon's proxy port free). */
#include <winsock2.h>
#include <windows.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordon.h"
#include "wine_check.h"
#include "wine_pty_text.h"

static const char *helper;
static const char *workdir;

static cordon_resolved *resolve(bool best_effort)
{
	cordon_error err = {0};
	cordon_resolved *resolved = NULL;
	cordon_policy *policy = cordon_policy_new();
	if (cordon_policy_set_cwd(policy, workdir, &err) != CORDON_OK)
		printf("# set_cwd: %s\n", err.message);
	cordon_policy_set_best_effort(policy, best_effort);
	if (cordon_policy_resolve(policy, &resolved, &err) != CORDON_OK)
		printf("# resolve: %s\n", err.message);
	cordon_policy_free(policy);
	return resolved;
}

static cordon_resolved *resolve_full_access(void)
{
	cordon_error err = {0};
	cordon_resolved *resolved = NULL;
	cordon_policy *policy = cordon_policy_new();
	if (cordon_policy_set_cwd(policy, workdir, &err) != CORDON_OK)
		printf("# set_cwd: %s\n", err.message);
	cordon_policy_set_mode(policy, CORDON_MODE_FULL_ACCESS);
	if (cordon_policy_resolve(policy, &resolved, &err) != CORDON_OK)
		printf("# resolve: %s\n", err.message);
	cordon_policy_free(policy);
	return resolved;
}

static cordon_child *spawn(const cordon_resolved *policy, const char *const *argv, cordon_stdio stdio,
			   unsigned timeout_ms)
{
	cordon_error err = {0};
	cordon_child *child = NULL;
	cordon_spawn_options options = {.argv = argv, .stdio = stdio, .timeout_ms = timeout_ms};
	if (cordon_spawn(policy, &options, &child, &err) != CORDON_OK)
		printf("# spawn %s: %s\n", argv[1], err.message);
	return child;
}

static cordon_exit wait_for(cordon_child *child)
{
	cordon_exit e = {0};
	cordon_error err = {0};
	if (child == NULL || cordon_child_wait(child, 60000, &e, &err) != CORDON_OK) {
		printf("# wait: %s\n", err.message);
		e.kind = CORDON_EXIT_CODE;
		e.code = -1;
	}
	return e;
}

static void test_refuses_without_best_effort(void)
{
	cordon_resolved *policy = resolve(false);
	cordon_error err = {0};
	cordon_child *child = (cordon_child *)1;
	const char *argv[] = {helper, "exit", "0", NULL};
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PIPES};
	cordon_code code = cordon_spawn(policy, &options, &child, &err);
	check(code == CORDON_E_UNSUPPORTED && child == NULL && strstr(err.message, "cordon setup") &&
		      strstr(err.message, "--best-effort"),
	      "without --best-effort cordon_spawn refuses, naming cordon setup and --best-effort (%s)",
	      err.message);
	cordon_resolved_free(policy);
}

static void test_not_enforced_lines(const cordon_resolved *policy)
{
	const char *argv[] = {helper, "exit", "0", NULL};
	cordon_child *child = spawn(policy, argv, CORDON_STDIO_PIPES, 0);
	bool network = false, delete_child = false;
	for (size_t i = 0; child != NULL && i < cordon_child_not_enforced_count(child); i++) {
		const char *line = cordon_child_not_enforced(child, i);
		network = network || strstr(line, "advisory only") != NULL;
		/* Wine enforces no restricted token: the probe cannot decide */
		delete_child =
			delete_child || strstr(line, "the delete-child probe could not decide") != NULL;
	}
	check(child != NULL && network && delete_child,
	      "best-effort lists network advisory and, from the probe, the undecided delete-child reading as "
	      "not enforced");
	wait_for(child);
	cordon_child_free(child);
}

/* Reads both pipes to the end, alternating with short timeouts, and
 * checks every numbered line arrived, in order, on its own stream. */
static void test_twenty_mib_each(const cordon_resolved *policy)
{
	const char *argv[] = {helper, "write", "20", "20", NULL};
	cordon_child *child = spawn(policy, argv, CORDON_STDIO_PIPES, 0);
	char line[2][16];
	size_t fill[2] = {0, 0};
	long next[2] = {0, 0};
	long long bytes[2] = {0, 0};
	bool open[2] = {true, true};
	bool order_ok = true;
	char buffer[32768];
	static const char *const prefix[2] = {"out ", "err "};

	while (child != NULL && (open[0] || open[1])) {
		for (int s = 0; s < 2; s++) {
			if (!open[s])
				continue;
			ssize_t n =
				cordon_child_read(child, s == 0 ? CORDON_STREAM_STDOUT : CORDON_STREAM_STDERR,
						  buffer, sizeof(buffer), 20);
			if (n == 0)
				open[s] = false;
			if (n < 0 && errno != ETIMEDOUT) {
				printf("# read error %d\n", errno);
				open[s] = false;
				order_ok = false;
			}
			for (ssize_t i = 0; i < n; i++) {
				line[s][fill[s]++] = buffer[i];
				if (buffer[i] != '\n' && fill[s] < 14)
					continue;
				char expected[16];
				snprintf(expected, sizeof(expected), "%s%08ld\n", prefix[s], next[s]++);
				if (fill[s] != 13 || memcmp(line[s], expected, 13) != 0)
					order_ok = false;
				fill[s] = 0;
			}
			bytes[s] += n > 0 ? n : 0;
		}
	}
	cordon_exit e = wait_for(child);
	long expected_lines = 20L * 1048576L / 13 + 1;
	check(order_ok && next[0] == expected_lines && next[1] == expected_lines &&
		      e.kind == CORDON_EXIT_CODE && e.code == 0,
	      "20 MiB on stdout and 20 MiB on stderr arrive complete, in order, each on its own pipe (%lld "
	      "and %lld "
	      "bytes, %ld and %ld lines of %ld)",
	      bytes[0], bytes[1], next[0], next[1], expected_lines);
	cordon_child_free(child);
}

static void test_stdin(const cordon_resolved *policy)
{
	const char *argv[] = {helper, "cat", NULL};
	cordon_child *child = spawn(policy, argv, CORDON_STDIO_PIPES, 0);
	cordon_error err = {0};
	size_t size = 1 << 20;
	char *data = malloc(size);
	char *back = malloc(size + 1);
	size_t got = 0;
	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + (i * 7) % 26);
	/* Write and read in turns: a 1 MiB write could fill both pipes. */
	size_t sent = 0;
	while (child != NULL && sent < size) {
		size_t chunk = size - sent < 16384 ? size - sent : 16384;
		ssize_t w = cordon_child_write(child, data + sent, chunk);
		if (w <= 0)
			break;
		sent += (size_t)w;
		ssize_t n;
		while ((n = cordon_child_read(child, CORDON_STREAM_STDOUT, back + got, size + 1 - got, 0)) >
		       0)
			got += (size_t)n;
	}
	if (child != NULL)
		cordon_child_close_stdin(child, &err);
	ssize_t n;
	while (child != NULL &&
	       (n = cordon_child_read(child, CORDON_STREAM_STDOUT, back + got, size + 1 - got, 10000)) > 0)
		got += (size_t)n;
	cordon_exit e = wait_for(child);
	check(sent == size && got == size && memcmp(data, back, size) == 0 && e.code == 0,
	      "1 MiB written to stdin comes back through the command unchanged, then EOF (%zu of %zu bytes)",
	      got, size);
	free(data);
	free(back);
	cordon_child_free(child);
}

static void test_exit_codes(const cordon_resolved *policy)
{
	static const char *const codes[] = {"0", "1", "42", "255", "256"};
	bool all = true;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *argv[] = {helper, "exit", codes[i], NULL};
		cordon_exit e = wait_for(spawn(policy, argv, CORDON_STDIO_PIPES, 0));
		all = all && e.kind == CORDON_EXIT_CODE && e.code == atoi(codes[i]) &&
		      cordon_exit_status(&e) == atoi(codes[i]);
	}
	check(all, "exit codes 0, 1, 42, 255, 256 come back unchanged");

	const char *argv[] = {helper, "exit", "0xC0000005", NULL};
	cordon_child *child = spawn(policy, argv, CORDON_STDIO_PIPES, 0);
	cordon_exit e = wait_for(child);
	check(e.kind == CORDON_EXIT_CODE && (unsigned)e.code == 0xC0000005u &&
		      strstr(e.detail, "NTSTATUS 0xC0000005 (STATUS_ACCESS_VIOLATION)") != NULL,
	      "an NTSTATUS exit code is passed on as the 32-bit code and named (%s)", e.detail);
	cordon_child_free(child);

	const char *missing[] = {"no-such-program-here", NULL};
	child = spawn(policy, missing, CORDON_STDIO_PIPES, 0);
	e = wait_for(child);
	check(e.kind == CORDON_EXIT_NOT_FOUND && cordon_exit_status(&e) == 127,
	      "a program not in PATH is 127 (%s)", e.detail);
	cordon_child_free(child);
	const char *directory[] = {workdir, NULL};
	child = spawn(policy, directory, CORDON_STDIO_PIPES, 0);
	e = wait_for(child);
	check(e.kind == CORDON_EXIT_NOT_EXECUTABLE && cordon_exit_status(&e) == 126,
	      "a directory is 126 (%s)", e.detail);
	cordon_child_free(child);
}

static void test_timeout_and_terminate(const cordon_resolved *policy)
{
	const char *argv[] = {helper, "sleep", "library-timeout", NULL};
	cordon_child *child = spawn(policy, argv, CORDON_STDIO_PIPES, 1000);
	cordon_error err = {0};
	cordon_exit e = {0};
	cordon_code early = child ? cordon_child_wait(child, 100, &e, &err) : CORDON_E_STATE;
	check(early == CORDON_E_TIMEOUT, "a wait shorter than the run gives CORDON_E_TIMEOUT");
	e = wait_for(child);
	check(e.kind == CORDON_EXIT_TIMEOUT && cordon_exit_status(&e) == 124 && e.seconds >= 0.9 &&
		      e.seconds < 10,
	      "the spawn timeout kills the run: 124 after %.2f s", e.seconds);
	cordon_child_free(child);

	child = spawn(policy, argv, CORDON_STDIO_PIPES, 0);
	Sleep(200);
	check(child != NULL && cordon_child_signal(child, 2, &err) == CORDON_E_UNSUPPORTED,
	      "SIGINT to a command without a terminal of its own is refused, not ignored (%s)", err.message);
	if (child != NULL)
		cordon_child_signal(child, 15, &err);
	e = wait_for(child);
	check(e.kind == CORDON_EXIT_SIGNAL && cordon_exit_status(&e) == 137,
	      "SIGTERM through cordon_child_signal ends the run, reported as on Linux (137)");
	cordon_child_free(child);
}

/* An inheritable handle cordon's process holds must not reach the
 * command. The control run shows the probe sees a handle that is
 * inherited, so the check cannot pass by the probe being blind. */
static void test_handle_list(const cordon_resolved *policy)
{
	char path[MAX_PATH];
	char value[32];
	snprintf(path, sizeof(path), "%s\\inheritable-secret.txt", workdir);
	SECURITY_ATTRIBUTES inherit = {sizeof(inherit), NULL, TRUE};
	HANDLE secret = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
				    &inherit, CREATE_ALWAYS, 0, NULL);
	snprintf(value, sizeof(value), "%llu", (unsigned long long)(uintptr_t)secret);

	char line[1024];
	snprintf(line, sizeof(line), "\"%s\" probe-handle %s \"%s\"", helper, value, path);
	STARTUPINFOA startup = {0};
	startup.cb = sizeof(startup);
	PROCESS_INFORMATION info;
	DWORD control = 0;
	if (CreateProcessA(helper, line, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &info)) {
		WaitForSingleObject(info.hProcess, 30000);
		GetExitCodeProcess(info.hProcess, &control);
		CloseHandle(info.hProcess);
		CloseHandle(info.hThread);
	}
	check(control == 3,
	      "control: a plain CreateProcess with inheritance passes the handle (probe exit %lu)",
	      (unsigned long)control);

	const char *argv[] = {helper, "probe-handle", value, path, NULL};
	for (int mode = 0; mode < 2; mode++) {
		cordon_stdio stdio = mode == 0 ? CORDON_STDIO_PIPES : CORDON_STDIO_INHERIT;
		cordon_exit e = wait_for(spawn(policy, argv, stdio, 0));
		check(e.kind == CORDON_EXIT_CODE && e.code == 0,
		      "%s mode: an inheritable handle outside the handle list stays out (probe exit %d)",
		      mode == 0 ? "pipes" : "inherit", e.code);
	}
	CloseHandle(secret);
}

static void test_pty(const cordon_resolved *policy)
{
	static char seen[1 << 16];
	size_t used = 0;
	cordon_error err = {0};
	const char *argv[] = {helper, "pty-line", NULL};
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PTY, .rows = 30, .cols = 100};
	cordon_child *child = NULL;
	cordon_code code = cordon_spawn(policy, &options, &child, &err);
	check(code == CORDON_OK, "pty: the command starts on a pseudo console (%s)", err.message);
	if (code != CORDON_OK)
		return;
	seen[0] = '\0';
	check(pty_read_until(child, "ready", seen, sizeof(seen), &used),
	      "pty: output of the command reaches cordon through the pseudo console");
	check(cordon_child_write(child, "typed-line\r", 11) == 11,
	      "pty: input can be written to the terminal");
	check(pty_read_until(child, "got:typed-line", seen, sizeof(seen), &used),
	      "pty: input reaches the command and its answer comes back");
	cordon_child_close_stdin(child, &err);
	check(pty_read_until(child, "got-eof", seen, sizeof(seen), &used),
	      "pty: close_stdin (Ctrl-Z, Enter) is end of input for the command");
	cordon_exit e = wait_for(child);
	check(e.kind == CORDON_EXIT_CODE && e.code == 7, "pty: the exit status comes back (%d)", e.code);
	char rest[4096];
	ssize_t n;
	ULONGLONG deadline = GetTickCount64() + 20000;
	while ((n = cordon_child_read(child, CORDON_STREAM_PTY, rest, sizeof(rest), 500)) != 0 &&
	       GetTickCount64() < deadline)
		;
	check(n == 0, "pty: the terminal's output ends once the run is over");
	cordon_child_free(child);
}

/* Reads stdout until "startup-desktop=" has a whole line; fills the two
 * names the helper's "desktop" subcommand prints. */
static bool read_desktop_lines(cordon_child *child, char *thread_desktop, char *startup_desktop, size_t size)
{
	char text[2048] = "";
	size_t used = 0;
	ULONGLONG deadline = GetTickCount64() + 20000;
	while (GetTickCount64() < deadline && used + 1 < sizeof(text)) {
		char *startup = strstr(text, "startup-desktop=");
		if (startup != NULL && strchr(startup, '\n') != NULL)
			break;
		ssize_t n = cordon_child_read(child, CORDON_STREAM_STDOUT, text + used,
					      sizeof(text) - 1 - used, 200);
		if (n == 0)
			break;
		if (n > 0) {
			used += (size_t)n;
			text[used] = '\0';
		}
	}
	char *a = strstr(text, "thread-desktop=");
	char *b = strstr(text, "startup-desktop=");
	if (a == NULL || b == NULL)
		return false;
	snprintf(thread_desktop, size, "%.*s", (int)strcspn(a + 15, "\r\n"), a + 15);
	snprintf(startup_desktop, size, "%.*s", (int)strcspn(b + 16, "\r\n"), b + 16);
	return true;
}

/* This process's own "STATION\\DESKTOP". */
static void own_desktop(char *name, size_t size)
{
	wchar_t a[256] = L"?", b[256] = L"?";
	DWORD needed;
	GetUserObjectInformationW(GetProcessWindowStation(), UOI_NAME, a, sizeof(a), &needed);
	GetUserObjectInformationW(GetThreadDesktop(GetCurrentThreadId()), UOI_NAME, b, sizeof(b), &needed);
	snprintf(name, size, "%ls\\%ls", a, b);
}

static bool desktop_opens(const char *full_name)
{
	const char *slash = strrchr(full_name, '\\');
	wchar_t wide[256];
	MultiByteToWideChar(CP_UTF8, 0, slash ? slash + 1 : full_name, -1, wide, 256);
	HDESK desktop = OpenDesktopW(wide, 0, FALSE, DESKTOP_READOBJECTS);
	if (desktop == NULL)
		return false;
	CloseDesktop(desktop);
	return true;
}

static void test_private_desktop(const cordon_resolved *policy)
{
	char mine[600], first[600], startup[600], second[600], ignored[600];
	cordon_error err = {0};
	const char *argv[] = {helper, "desktop", "wait", NULL};
	own_desktop(mine, sizeof(mine));
	cordon_child *child = spawn(policy, argv, CORDON_STDIO_PIPES, 0);
	bool read = child != NULL && read_desktop_lines(child, first, startup, sizeof(first));
	check(read, "desktop: the command reports the desktop its thread is on");
	if (!read) {
		cordon_child_free(child);
		return;
	}
	const char *name = strrchr(first, '\\');
	check(name != NULL && strncmp(name + 1, "cordon-", 7) == 0 && strcmp(first, mine) != 0,
	      "desktop: a sandboxed command runs on a private desktop (%s), not on cordon's (%s)", first,
	      mine);
	check(strcmp(first, startup) == 0, "desktop: it is the desktop STARTUPINFO named (%s)", startup);
	bool open_while_running = desktop_opens(first);
	check(open_while_running, "desktop: the run's desktop exists while the command runs");
	cordon_child_close_stdin(child, &err);
	cordon_exit e = wait_for(child);
	check(e.kind == CORDON_EXIT_CODE && e.code == 0, "desktop: the command on it ends normally (%d)",
	      e.code);
	cordon_child_free(child);
	bool gone = false;
	for (int i = 0; i < 50 && !gone; i++) {
		gone = !desktop_opens(first);
		if (!gone)
			Sleep(100);
	}
	check(open_while_running && gone, "desktop: the run's desktop is gone after the run");

	child = spawn(policy, argv, CORDON_STDIO_PIPES, 0);
	read = child != NULL && read_desktop_lines(child, second, ignored, sizeof(second));
	cordon_child_close_stdin(child, &err);
	wait_for(child);
	cordon_child_free(child);
	check(read && strcmp(first, second) != 0, "desktop: each run gets a desktop of its own (%s, then %s)",
	      first, read ? second : "?");

	cordon_resolved *full = resolve_full_access();
	child = full != NULL ? spawn(full, argv, CORDON_STDIO_PIPES, 0) : NULL;
	read = child != NULL && read_desktop_lines(child, second, startup, sizeof(second));
	cordon_child_close_stdin(child, &err);
	wait_for(child);
	cordon_child_free(child);
	cordon_resolved_free(full);
	check(read && strcmp(second, mine) == 0 && strcmp(startup, "(none)") == 0,
	      "desktop: a full-access command stays on cordon's desktop (%s)", read ? second : "?");
}

/* Resize where ResizePseudoConsole is a stub, and Ctrl-C typed on the
 * pseudo console (cordon_child_signal SIGINT). */
static void test_pty_resize_and_interrupt(const cordon_resolved *policy)
{
	static char seen[1 << 16];
	size_t used = 0;
	cordon_error err = {0};
	const char *argv[] = {helper, "ctrl-c", NULL};
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_PTY, .rows = 30, .cols = 100};
	cordon_child *child = NULL;
	if (cordon_spawn(policy, &options, &child, &err) != CORDON_OK) {
		check(false, "pty ctrl-c: the command starts (%s)", err.message);
		return;
	}
	seen[0] = '\0';
	check(pty_read_until(child, "ready", seen, sizeof(seen), &used), "pty ctrl-c: the command is ready");
	cordon_code resized = cordon_child_resize(child, 40, 120, &err);
	if (resized == CORDON_OK)
		printf("# pty resize accepted: this Wine implements ResizePseudoConsole\n");
	else
		check(resized == CORDON_E_UNSUPPORTED && strstr(err.message, "E_NOTIMPL") != NULL &&
			      strstr(err.message, "goes on") != NULL,
		      "pty resize: a pseudo console that cannot be resized is a clear error (%s)",
		      err.message);
	check(cordon_child_signal(child, 3 /* SIGQUIT */, &err) == CORDON_E_UNSUPPORTED,
	      "pty: a signal Windows has no meaning for is refused (%s)", err.message);
	ULONGLONG sent_ms = GetTickCount64();
	cordon_code interrupted = cordon_child_signal(child, SIGINT, &err);
	check(interrupted == CORDON_OK, "pty ctrl-c: SIGINT is typed on the terminal as Ctrl-C (%s)",
	      interrupted == CORDON_OK ? "written" : err.message);
	pty_read_until(child, "got-", seen, sizeof(seen), &used);
	cordon_exit e = wait_for(child);
	double seconds = (double)(GetTickCount64() - sent_ms) / 1000.0;
	/* Without the byte the command waits 15 s and exits 4. Wine 8's
	 * console host acts on the byte by ending the session: its output
	 * ends at once and the command exits 0. */
	check(e.kind == CORDON_EXIT_CODE && e.code != 4 && seconds < 10,
	      "pty ctrl-c: the byte reaches the console host, which acts on it at once instead of letting "
	      "the command wait its 15 s (exit %d after %.1f s)",
	      e.code, seconds);
	if (strstr(seen, "got-ctrl-c") != NULL)
		check(e.code == 5, "pty ctrl-c: the command's own handler saw CTRL_C_EVENT (%d)", e.code);
	else
		printf("# SKIP pty ctrl-c handler: the command's handler did not run (Wine 8's console host "
		       "ended the session on the byte, exit %d); that the command's own handler sees "
		       "CTRL_C_EVENT is Windows host only\n",
		       e.code);
	cordon_child_free(child);
}

/* Whether this process can listen on 127.0.0.1:port exclusively. */
static bool port_bindable(unsigned short port)
{
	SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	BOOL on = TRUE;
	bool bound = s != INVALID_SOCKET &&
		     setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof(on)) == 0 &&
		     bind(s, (struct sockaddr *)&address, sizeof(address)) == 0 && listen(s, 1) == 0;
	if (s != INVALID_SOCKET)
		closesocket(s);
	return bound;
}

/* The proxy lives as long as the child: listening while it runs, gone once
 * cordon_child_free returns, in the same process. */
static void test_proxy_stops_with_child(void)
{
	const unsigned short port = 3128; /* CORDON_PROXY_PORT */
	WSADATA wsa;
	cordon_error err = {0};
	cordon_resolved *resolved = NULL;
	cordon_policy *policy = cordon_policy_new();
	WSAStartup(MAKEWORD(2, 2), &wsa);
	cordon_policy_set_cwd(policy, workdir, &err);
	cordon_policy_set_best_effort(policy, true);
	cordon_policy_set_network(policy, CORDON_NETWORK_PROXY);
	cordon_policy_add_allowed_domain(policy, "localhost", &err);
	if (cordon_policy_resolve(policy, &resolved, &err) != CORDON_OK)
		printf("# resolve: %s\n", err.message);
	cordon_policy_free(policy);
	check(port_bindable(port), "control: port %u is free before the run", port);
	const char *argv[] = {helper, "exit", "0", NULL};
	cordon_child *child = resolved != NULL ? spawn(resolved, argv, CORDON_STDIO_INHERIT, 0) : NULL;
	check(child != NULL && !port_bindable(port), "while the child exists the proxy holds 127.0.0.1:%u",
	      port);
	cordon_exit e = wait_for(child);
	check(e.kind == CORDON_EXIT_CODE && e.code == 0, "the --network proxy command ran and exited 0");
	cordon_child_free(child);
	check(port_bindable(port), "after cordon_child_free the port is free again (the proxy stopped)");
	cordon_resolved_free(resolved);
	WSACleanup();
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "proxy") == 0)) {
		fprintf(stderr, "usage: wine_library_test HELPER.exe WORKDIR [proxy]\n");
		return 100;
	}
	helper = argv[1];
	workdir = argv[2];
	if (argc == 4) {
		test_proxy_stops_with_child();
		printf("%d failure%s\n", failures, failures == 1 ? "" : "s");
		return failures;
	}
	test_refuses_without_best_effort();
	cordon_resolved *policy = resolve(true);
	if (policy == NULL)
		return 100;
	test_not_enforced_lines(policy);
	test_exit_codes(policy);
	test_stdin(policy);
	test_twenty_mib_each(policy);
	test_timeout_and_terminate(policy);
	test_handle_list(policy);
	test_pty(policy);
	test_pty_resize_and_interrupt(policy);
	test_private_desktop(policy);
	cordon_resolved_free(policy);
	printf("%d failure%s\n", failures, failures == 1 ? "" : "s");
	return failures;
}
