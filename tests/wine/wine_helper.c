/* The program the Wine plumbing tests run inside cordon (built with
 * mingw-w64). One subcommand per behaviour a test needs:
 *
 *   exit CODE              ExitProcess(CODE); CODE may be hex (0xC0000005)
 *   write OUT_MIB ERR_MIB  numbered lines, "out NNNNNNNN" on stdout and
 *                          "err NNNNNNNN" on stderr, interleaved
 *   cat                    stdin to stdout
 *   args                   each argument as the program received it, one a line
 *   env NAME               the variable's value
 *   spawn-tree TOKEN EXIT  start "sleep TOKEN" twice deep (child and
 *                          grandchild), then sleep forever, or exit 0 when
 *                          EXIT is "exit"
 *   sleep TOKEN            sleep forever (TOKEN marks the process for pgrep)
 *   probe-handle VALUE PATH exit 3 and print "leaked" when handle VALUE is
 *                          open on a file whose path ends with PATH's name,
 *                          else print "absent"
 *   pty-line               on a terminal: "ready", "got:LINE" per line,
 *                          "got-eof" at end of input, exit 7
 *   crash                  an access violation
 *   desktop [wait]         "thread-desktop=STATION\\DESKTOP" (where its thread
 *                          really is) and "startup-desktop=NAME" (what
 *                          STARTUPINFO named, "(none)" if nothing); with
 *                          wait, then reads stdin to its end
 *   ctrl-c                 "ready", then waits up to 15 s for a console
 *                          control event: "got-ctrl-c" exit 5,
 *                          "got-ctrl-break" exit 6, "no-event" exit 4,
 *                          "got-other-event-N" exit 8
 *   mitigations            "extension-points=N no-low-label=N" from
 *                          GetProcessMitigationPolicy (-1: the call failed)
 *   ctrl-sender MS PROGRAM ARGS...  (run directly, not in cordon) makes a
 *                          console of its own, starts PROGRAM ARGS on it
 *                          with this process's standard handles, waits MS,
 *                          raises Ctrl-C on the console (ignoring it
 *                          itself) and exits with PROGRAM's code (99 if it
 *                          did not end within 20 s)
 *   proxy-connect TARGET PAYLOAD  through the proxy its HTTPS_PROXY names
 *                          (http://HOST:PORT): "CONNECT TARGET", prints
 *                          "status=LINE" (the response's first line); on
 *                          200 sends PAYLOAD and a newline and prints
 *                          "echo=LINE" with the first line that comes back.
 *                          Exit 0 when it got a response, 3 when it could
 *                          not reach the proxy
 *   default-dacl           "ace=SID" for each ACE of its own token's default
 *                          DACL (what its processes and unnamed objects get) */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <sddl.h>
#include <shellapi.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static void write_all(HANDLE out, const char *data, DWORD length)
{
	while (length > 0) {
		DWORD written = 0;
		if (!WriteFile(out, data, length, &written, NULL))
			ExitProcess(90);
		data += written;
		length -= written;
	}
}

static int do_write(long out_mib, long err_mib)
{
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
	HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
	/* 13-byte lines: "out 00000000\n" */
	long out_lines = out_mib * 1048576L / 13 + 1;
	long err_lines = err_mib * 1048576L / 13 + 1;
	char chunk[13 * 512];
	long o = 0, e = 0;
	while (o < out_lines || e < err_lines) {
		int n = 0;
		for (; n < 512 && o < out_lines; n++, o++)
			snprintf(chunk + 13 * n, 14, "out %08ld\n", o);
		if (n > 0)
			write_all(out, chunk, (DWORD)(13 * n));
		n = 0;
		for (; n < 512 && e < err_lines; n++, e++)
			snprintf(chunk + 13 * n, 14, "err %08ld\n", e);
		if (n > 0)
			write_all(err, chunk, (DWORD)(13 * n));
	}
	return 0;
}

static int do_cat(void)
{
	HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
	char buffer[65536];
	DWORD got;
	while (ReadFile(in, buffer, sizeof(buffer), &got, NULL) && got > 0)
		write_all(out, buffer, got);
	return 0;
}

static int do_args(void)
{
	int count = 0;
	wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &count);
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
	for (int i = 2; argv != NULL && i < count; i++) {
		char utf8[4096];
		int n = WideCharToMultiByte(CP_UTF8, 0, argv[i], -1, utf8, sizeof(utf8) - 2, NULL, NULL);
		if (n <= 0)
			return 91;
		utf8[n - 1] = '\n';
		write_all(out, "[", 1);
		write_all(out, utf8, (DWORD)n - 1);
		write_all(out, "]\n", 2);
	}
	return 0;
}

static int start_self(const char *arguments)
{
	wchar_t self[MAX_PATH];
	wchar_t line[1024];
	STARTUPINFOW startup = {0};
	startup.cb = sizeof(startup);
	PROCESS_INFORMATION info;
	GetModuleFileNameW(NULL, self, MAX_PATH);
	swprintf(line, 1024, L"\"%ls\" %hs", self, arguments);
	if (!CreateProcessW(self, line, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &info))
		return 0;
	CloseHandle(info.hThread);
	CloseHandle(info.hProcess);
	return 1;
}

static int do_spawn_tree(const char *token, const char *then)
{
	char arguments[256];
	/* the child starts the grandchild, then sleeps */
	snprintf(arguments, sizeof(arguments), "spawn-child %s", token);
	if (!start_self(arguments))
		return 92;
	/* long enough for the test to see all three processes */
	Sleep(1500);
	if (strcmp(then, "exit") == 0)
		return 0;
	for (;;)
		Sleep(INFINITE);
}

static int do_spawn_child(const char *token)
{
	char arguments[256];
	snprintf(arguments, sizeof(arguments), "sleep %s-grandchild", token);
	if (!start_self(arguments))
		return 93;
	for (;;)
		Sleep(INFINITE);
}

static int do_probe_handle(const char *value, const char *path)
{
	HANDLE handle = (HANDLE)(uintptr_t)strtoull(value, NULL, 0);
	wchar_t final[MAX_PATH * 2];
	const char *name = strrchr(path, '\\');
	name = name ? name + 1 : path;
	DWORD n = GetFinalPathNameByHandleW(handle, final, MAX_PATH * 2, 0);
	if (n > 0 && n < MAX_PATH * 2) {
		char utf8[MAX_PATH * 4];
		WideCharToMultiByte(CP_UTF8, 0, final, -1, utf8, sizeof(utf8), NULL, NULL);
		size_t a = strlen(utf8), b = strlen(name);
		if (a >= b && _stricmp(utf8 + a - b, name) == 0) {
			printf("leaked\n");
			return 3;
		}
	}
	printf("absent\n");
	return 0;
}

/* On a terminal: says "ready", answers each line with "got:LINE" and end
 * of input with "got-eof", then exits 7. No spaces: the console host
 * renders a space as a cursor movement. */
static int do_pty_line(void)
{
	char line[256];
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		printf("got:%s\n", line);
		fflush(stdout);
	}
	printf("got-eof\n");
	fflush(stdout);
	return 7;
}

static void print_object_name(const char *label, HANDLE station, HANDLE desktop)
{
	wchar_t a[256] = L"?", b[256] = L"?";
	char utf8[1024];
	DWORD needed;
	GetUserObjectInformationW(station, UOI_NAME, a, sizeof(a), &needed);
	GetUserObjectInformationW(desktop, UOI_NAME, b, sizeof(b), &needed);
	snprintf(utf8, sizeof(utf8), "%s=%ls\\%ls\n", label, a, b);
	write_all(GetStdHandle(STD_OUTPUT_HANDLE), utf8, (DWORD)strlen(utf8));
}

static int do_desktop(bool wait)
{
	STARTUPINFOW startup = {0};
	char line[600];
	startup.cb = sizeof(startup);
	GetStartupInfoW(&startup);
	print_object_name("thread-desktop", GetProcessWindowStation(),
			  GetThreadDesktop(GetCurrentThreadId()));
	snprintf(line, sizeof(line), "startup-desktop=%ls\n",
		 startup.lpDesktop && startup.lpDesktop[0] ? startup.lpDesktop : L"(none)");
	write_all(GetStdHandle(STD_OUTPUT_HANDLE), line, (DWORD)strlen(line));
	if (wait) {
		char buffer[256];
		DWORD got;
		while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), buffer, sizeof(buffer), &got, NULL) &&
		       got > 0)
			;
	}
	return 0;
}

static HANDLE control_event_seen;
static volatile LONG control_event_kind = -1;

static BOOL WINAPI note_control_event(DWORD event)
{
	InterlockedExchange(&control_event_kind, (LONG)event);
	SetEvent(control_event_seen);
	return TRUE;
}

static int do_ctrl_c(void)
{
	control_event_seen = CreateEventW(NULL, TRUE, FALSE, NULL);
	SetConsoleCtrlHandler(note_control_event, TRUE);
	printf("ready\n");
	fflush(stdout);
	WaitForSingleObject(control_event_seen, 15000);
	LONG kind = InterlockedCompareExchange(&control_event_kind, 0, 0);
	if (kind == CTRL_C_EVENT || kind == CTRL_BREAK_EVENT || kind < 0)
		printf("%s\n", kind == CTRL_C_EVENT	  ? "got-ctrl-c"
			       : kind == CTRL_BREAK_EVENT ? "got-ctrl-break"
							  : "no-event");
	else
		printf("got-other-event-%ld\n", (long)kind);
	fflush(stdout);
	return kind == CTRL_C_EVENT ? 5 : kind == CTRL_BREAK_EVENT ? 6 : kind < 0 ? 4 : 8;
}

static BOOL WINAPI ignore_control_event(DWORD event)
{
	return event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT;
}

static HANDLE inheritable(HANDLE handle)
{
	HANDLE copy = NULL;
	DuplicateHandle(GetCurrentProcess(), handle, GetCurrentProcess(), &copy, 0, TRUE,
			DUPLICATE_SAME_ACCESS);
	return copy;
}

static int do_ctrl_sender(int argc, char **argv)
{
	wchar_t line[4096] = L"";
	STARTUPINFOW startup = {0};
	PROCESS_INFORMATION info;
	DWORD code = 99;
	startup.cb = sizeof(startup);
	startup.dwFlags = STARTF_USESTDHANDLES;
	startup.hStdInput = inheritable(GetStdHandle(STD_INPUT_HANDLE));
	startup.hStdOutput = inheritable(GetStdHandle(STD_OUTPUT_HANDLE));
	startup.hStdError = inheritable(GetStdHandle(STD_ERROR_HANDLE));
	for (int i = 3; i < argc; i++) {
		wchar_t wide[1024];
		MultiByteToWideChar(CP_UTF8, 0, argv[i], -1, wide, 1024);
		wcscat(line, L"\"");
		wcscat(line, wide);
		wcscat(line, L"\" ");
	}
	FreeConsole();
	if (!AllocConsole())
		return 97;
	if (!CreateProcessW(NULL, line, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &info))
		return 98;
	Sleep((DWORD)atol(argv[2]));
	SetConsoleCtrlHandler(ignore_control_event, TRUE);
	if (!GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0))
		fprintf(stderr, "sender: GenerateConsoleCtrlEvent failed (%lu)\n",
			(unsigned long)GetLastError());
	if (WaitForSingleObject(info.hProcess, 20000) == WAIT_OBJECT_0)
		GetExitCodeProcess(info.hProcess, &code);
	else
		TerminateProcess(info.hProcess, 99);
	fprintf(stderr, "sender: program exit %lu\n", (unsigned long)code);
	return (int)code;
}

static int do_mitigations(void)
{
	PROCESS_MITIGATION_EXTENSION_POINT_DISABLE_POLICY extension = {0};
	PROCESS_MITIGATION_IMAGE_LOAD_POLICY image = {0};
	int extension_points =
		GetProcessMitigationPolicy(GetCurrentProcess(), ProcessExtensionPointDisablePolicy,
					   &extension, sizeof(extension))
			? (int)extension.DisableExtensionPoints
			: -1;
	int no_low_label =
		GetProcessMitigationPolicy(GetCurrentProcess(), ProcessImageLoadPolicy, &image, sizeof(image))
			? (int)image.NoLowMandatoryLabelImages
			: -1;
	printf("extension-points=%d no-low-label=%d\n", extension_points, no_low_label);
	return 0;
}

/* Reads up to the first "\n" (or "\r\n"), at most size - 1 bytes. */
static bool read_line(SOCKET s, char *line, size_t size)
{
	size_t length = 0;
	while (length + 1 < size) {
		char c;
		if (recv(s, &c, 1, 0) != 1)
			break;
		if (c == '\n') {
			line[length] = '\0';
			if (length > 0 && line[length - 1] == '\r')
				line[length - 1] = '\0';
			return true;
		}
		line[length++] = c;
	}
	line[length] = '\0';
	return length > 0;
}

static int do_proxy_connect(const char *target, const char *payload)
{
	const char *proxy = getenv("HTTPS_PROXY");
	char host[64];
	char port[8];
	if (proxy == NULL || sscanf(proxy, "http://%63[^:]:%7[0-9]", host, port) != 2) {
		printf("no-proxy-variable=%s\n", proxy ? proxy : "(unset)");
		return 3;
	}
	WSADATA wsa;
	struct addrinfo hints = {0}, *address = NULL;
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0 || getaddrinfo(host, port, &hints, &address) != 0)
		return 3;
	SOCKET s = socket(address->ai_family, address->ai_socktype, address->ai_protocol);
	if (s == INVALID_SOCKET || connect(s, address->ai_addr, (int)address->ai_addrlen) != 0) {
		printf("cannot-reach-proxy=%s:%s error=%d\n", host, port, WSAGetLastError());
		return 3;
	}
	freeaddrinfo(address);
	DWORD timeout_ms = 15000;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout_ms, sizeof(timeout_ms));
	char request[512];
	int length =
		snprintf(request, sizeof(request), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target);
	send(s, request, length, 0);
	char line[512];
	if (!read_line(s, line, sizeof(line)))
		return 4;
	printf("status=%s\n", line);
	bool tunnel = strncmp(line, "HTTP/1.1 200", 12) == 0;
	while (read_line(s, line, sizeof(line)) && line[0] != '\0')
		continue; /* the rest of the response header */
	if (tunnel) {
		snprintf(request, sizeof(request), "%s\n", payload);
		send(s, request, (int)strlen(request), 0);
		if (read_line(s, line, sizeof(line)))
			printf("echo=%s\n", line);
	} else if (read_line(s, line, sizeof(line))) {
		printf("body=%s\n", line);
	}
	fflush(stdout);
	closesocket(s);
	return 0;
}

static int do_default_dacl(void)
{
	HANDLE token;
	BYTE buffer[4096];
	DWORD length = 0;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token) ||
	    !GetTokenInformation(token, TokenDefaultDacl, buffer, sizeof(buffer), &length)) {
		printf("cannot-read=%lu\n", GetLastError());
		return 3;
	}
	ACL *dacl = ((TOKEN_DEFAULT_DACL *)buffer)->DefaultDacl;
	for (WORD i = 0; dacl != NULL && i < dacl->AceCount; i++) {
		ACCESS_ALLOWED_ACE *ace;
		char *text = NULL;
		if (GetAce(dacl, i, (void **)&ace) && ConvertSidToStringSidA((PSID)&ace->SidStart, &text)) {
			printf("ace=%s\n", text);
			LocalFree(text);
		}
	}
	fflush(stdout);
	CloseHandle(token);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *what = argv[1];
	if (strcmp(what, "exit") == 0 && argc == 3)
		ExitProcess((UINT)strtoul(argv[2], NULL, 0));
	if (strcmp(what, "write") == 0 && argc == 4)
		return do_write(atol(argv[2]), atol(argv[3]));
	if (strcmp(what, "cat") == 0)
		return do_cat();
	if (strcmp(what, "args") == 0)
		return do_args();
	if (strcmp(what, "env") == 0 && argc == 3) {
		const char *value = getenv(argv[2]);
		printf("%s\n", value ? value : "(unset)");
		return value ? 0 : 1;
	}
	if (strcmp(what, "spawn-tree") == 0 && argc == 4)
		return do_spawn_tree(argv[2], argv[3]);
	if (strcmp(what, "spawn-child") == 0 && argc == 3)
		return do_spawn_child(argv[2]);
	if (strcmp(what, "sleep") == 0) {
		for (;;)
			Sleep(INFINITE);
	}
	if (strcmp(what, "probe-handle") == 0 && argc == 4)
		return do_probe_handle(argv[2], argv[3]);
	if (strcmp(what, "pty-line") == 0)
		return do_pty_line();
	if (strcmp(what, "desktop") == 0)
		return do_desktop(argc == 3 && strcmp(argv[2], "wait") == 0);
	if (strcmp(what, "mitigations") == 0)
		return do_mitigations();
	if (strcmp(what, "ctrl-c") == 0)
		return do_ctrl_c();
	if (strcmp(what, "ctrl-sender") == 0 && argc >= 4)
		return do_ctrl_sender(argc, argv);
	if (strcmp(what, "default-dacl") == 0)
		return do_default_dacl();
	if (strcmp(what, "proxy-connect") == 0 && argc == 4)
		return do_proxy_connect(argv[2], argv[3]);
	if (strcmp(what, "crash") == 0) {
		volatile int *nowhere = NULL;
		*nowhere = 1;
		return 94;
	}
	return 2;
}
