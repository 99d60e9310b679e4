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
 *   crash                  an access violation */
#include <windows.h>
#include <shellapi.h>

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
	if (strcmp(what, "crash") == 0) {
		volatile int *nowhere = NULL;
		*nowhere = 1;
		return 94;
	}
	return 2;
}
