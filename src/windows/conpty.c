/* --pty on Windows: a pseudo console (ConPTY) for the command, under the
 * same token and job as every other run. cordon writes the command's
 * input to one pipe and reads its output, rendered as VT sequences, from
 * another (an overlapped end, read like the pipes of pipes mode).
 *
 * The process inherits no handle at all. When cordon's own standard
 * handles are not console handles, it is started with
 * STARTF_USESTDHANDLES and NULL standard handles: otherwise Windows copies
 * cordon's redirected handles into the command instead of the pseudo
 * console's (microsoft/terminal#11276, node-pty#334). When they are
 * console handles, Windows replaces them with the pseudo console's and
 * the flag is left out.
 *
 * Wine 8 differs: with the flag the command gets NULL handles, and
 * without it the command gets the pseudo console (when cordon's process
 * has a console) whatever cordon's own handles are. Under Wine the flag is
 * therefore never set, and cordon's process gets a console of its own
 * first, once (FreeConsole, AllocConsole: windows-facts.md; Wine leaves
 * redirected standard handles as they are): the one branch of this file
 * the Wine tests cannot reach is the Windows one with redirected
 * handles. Closing
 * the pseudo console waits for its host to exit, which waits for its last
 * output to be read, so it is closed on a thread of its own. Resizing is a
 * stub under Wine (E_NOTIMPL), reported as CORDON_E_UNSUPPORTED. */
#undef NTDDI_VERSION
#define NTDDI_VERSION 0x0A000006 /* NTDDI_WIN10_RS5: ConPTY's declarations */
#include "windows/win_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

static bool running_under_wine(void);

cordon_code win_pty_open(win_stdio *stdio, unsigned short rows, unsigned short cols, cordon_error *err)
{
	HANDLE output_write = NULL;
	COORD size = {(SHORT)(cols ? cols : 80), (SHORT)(rows ? rows : 24)};

	static volatile LONG wine_console_made;
	if (running_under_wine() && InterlockedExchange(&wine_console_made, 1) == 0) {
		FreeConsole();
		AllocConsole();
	}
	if (!CreatePipe(&stdio->pty_input_read, &stdio->stdin_write, NULL, 0))
		return win_fail(err, GetLastError(),
				"cannot create the input pipe of the command's terminal");
	cordon_code code = win_output_pipe(&stdio->readers[0], &output_write, false, err);
	if (code != CORDON_OK)
		return code;
	stdio->pty_output_write = output_write;
	HPCON console = NULL;
	HRESULT result =
		CreatePseudoConsole(size, stdio->pty_input_read, stdio->pty_output_write, 0, &console);
	if (FAILED(result))
		return cordon_fail(
			err, CORDON_E_SYSTEM,
			"cannot create a pseudo console for --pty (HRESULT 0x%08lX); nothing was run; "
			"ConPTY needs Windows 10 1809 or later",
			(unsigned long)result);
	stdio->pseudo_console = console;
	return CORDON_OK;
}

cordon_code win_pty_attach(win_stdio *stdio, LPPROC_THREAD_ATTRIBUTE_LIST list, cordon_error *err)
{
	if (!UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE, stdio->pseudo_console,
				       sizeof(HPCON), NULL, NULL))
		return win_fail(err, GetLastError(), "cannot attach the pseudo console to the command");
	return CORDON_OK;
}

cordon_code win_pty_resize(win_stdio *stdio, unsigned short rows, unsigned short cols, cordon_error *err)
{
	COORD size = {(SHORT)(cols ? cols : 80), (SHORT)(rows ? rows : 24)};
	if (stdio->pseudo_console == NULL)
		return cordon_fail(err, CORDON_E_STATE, "the command's terminal is already closed");
	HRESULT result = ResizePseudoConsole(stdio->pseudo_console, size);
	if (result == E_NOTIMPL)
		return cordon_fail(err, CORDON_E_UNSUPPORTED,
				   "cannot resize the command's terminal to %u x %u: this system's "
				   "ResizePseudoConsole is not implemented (E_NOTIMPL, as under Wine); the "
				   "session goes on at its old size",
				   (unsigned)rows, (unsigned)cols);
	if (FAILED(result))
		return cordon_fail(err, CORDON_E_SYSTEM,
				   "cannot resize the command's terminal to %u x %u (HRESULT 0x%08lX); the "
				   "session goes on at its old size",
				   (unsigned)rows, (unsigned)cols, (unsigned long)result);
	return CORDON_OK;
}

cordon_code win_pty_interrupt(win_stdio *stdio, cordon_error *err)
{
	/* A pseudo console reads its input as a terminal does: ETX (Ctrl-C)
	 * with processed input on becomes CTRL_C_EVENT for the processes
	 * attached to it, and a plain byte for a program that turned
	 * processed input off, as on a real console. */
	static const char ctrl_c = 0x03;
	DWORD written = 0;
	if (stdio->stdin_write == NULL || !WriteFile(stdio->stdin_write, &ctrl_c, 1, &written, NULL) ||
	    written != 1)
		return win_fail(err, GetLastError(), "cannot send Ctrl-C to the command's terminal");
	return CORDON_OK;
}

static DWORD WINAPI close_console(void *console)
{
	ClosePseudoConsole(console);
	return 0;
}

void win_pty_close(win_stdio *stdio)
{
	if (stdio->pseudo_console == NULL)
		return;
	stdio->pty_closer = CreateThread(NULL, 0, close_console, stdio->pseudo_console, 0, NULL);
	if (stdio->pty_closer == NULL)
		close_console(stdio->pseudo_console); /* no thread: close here, as the caller drains */
	stdio->pseudo_console = NULL;
}

static bool running_under_wine(void)
{
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

bool win_pty_needs_null_std_handles(void)
{
	return !running_under_wine() && !win_own_stdio_is_console();
}

bool win_own_stdio_is_console(void)
{
	static const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
	for (int i = 0; i < 3; i++) {
		DWORD mode;
		if (!GetConsoleMode(GetStdHandle(which[i]), &mode))
			return false;
	}
	return true;
}
