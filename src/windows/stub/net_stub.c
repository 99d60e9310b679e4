/* The ssh.exe / scp.exe stub cordon puts first on a sandboxed command's
 * PATH when its network is off: one line on stderr naming itself, exit 1.
 * Built without the C runtime (kernel32 only, a few KiB) and embedded in
 * libcordon, which writes it into cordon's state directory
 * (src/windows/stubs.c). */
#include <windows.h>

int net_stub_main(void);

static void say(HANDLE out, const char *text, DWORD length)
{
	DWORD written;
	WriteFile(out, text, length, &written, NULL);
}

static DWORD length_of(const char *text)
{
	DWORD n = 0;
	while (text[n] != '\0')
		n++;
	return n;
}

int net_stub_main(void)
{
	static const char prefix[] = "cordon: ";
	static const char reason[] = ": blocked: the network is off for commands in cordon's sandbox; "
				     "nothing was sent\n";
	char path[MAX_PATH + 1];
	DWORD length = GetModuleFileNameA(NULL, path, MAX_PATH);
	DWORD start = 0;
	DWORD end = length;
	HANDLE err = GetStdHandle(STD_ERROR_HANDLE);

	for (DWORD i = 0; i < length; i++)
		if (path[i] == '\\' || path[i] == '/')
			start = i + 1;
	/* "ssh.exe" -> "ssh" */
	for (DWORD i = start; i < length; i++)
		if (path[i] == '.')
			end = i;
	if (end <= start)
		end = length;
	say(err, prefix, length_of(prefix));
	say(err, path + start, end - start);
	say(err, reason, length_of(reason));
	ExitProcess(1);
	return 1;
}
