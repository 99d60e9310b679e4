/* Windows command lines: how cordon turns an argument vector into the one
 * string CreateProcess takes, so the program reads back exactly the
 * arguments it was given, and cmd.exe (for .bat and .cmd files) cannot be
 * made to run a second command.
 *
 * Pure C, no Windows API: built and unit-tested natively on every
 * platform (tests/unit/test_wincmdline.c); src/windows uses it. Strings
 * are UTF-8 here; the Windows layer converts the result to UTF-16. */
#ifndef CORDON_CORE_WINCMDLINE_H
#define CORDON_CORE_WINCMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"

/* CreateProcess refuses a longer command line (32,767 UTF-16 units with
 * the terminating NUL); counted here in bytes, which is never fewer. */
#define CORDON_WIN_COMMAND_LINE_MAX 32766

/* Allocates the command line for argv by the rules the C runtime and
 * CommandLineToArgvW parse it with: an argument without space, tab,
 * newline, vertical tab or quote is copied as is (empty ones become ""),
 * others are quoted, with each quote and the backslashes before a quote
 * or the closing quote escaped. argv[0] is parsed by other rules (no
 * escapes at all: a quoted program name ends at the next quote), so an
 * argv[0] containing a quote is refused. Fails (CORDON_E_INVALID) on an
 * empty argv or an empty argv[0], or a line longer than
 * CORDON_WIN_COMMAND_LINE_MAX. */
char *cordon_win_command_line(const char *const *argv, cordon_error *err);

/* Whether CreateProcess would hand this program to cmd.exe: its name ends
 * in .bat or .cmd, in any case, after the trailing dots and spaces Win32
 * strips ("run.BAT. " is a batch file). */
bool cordon_win_is_batch_file(const char *path);

/* Allocates the command line that runs the batch file batch_path with
 * arguments args (NULL-terminated; args[0] is the first argument, not the
 * program) through cmd_path:
 *
 *   "<cmd_path>" /d /e:ON /v:OFF /s /c ""<batch_path>" "arg one" plain"
 *
 * /d skips the AutoRun commands of the registry, /v:OFF keeps '!' inert,
 * /s makes cmd.exe strip exactly the outer pair of quotes. cmd.exe
 * expands %NAME% even inside quotes and a quote inside an argument ends
 * the quoted span, after which & | < > ^ ( ) start a new command (the
 * BatBadBut class, CVE-2024-24576). Such arguments cannot be passed
 * safely, so an argument or path containing '"', '%', CR or LF is refused
 * (CORDON_E_INVALID, naming the argument and what to do); every other
 * argument that is empty or contains anything but letters, digits and
 * - _ . / \ : + @ # ~ is quoted, so every special character sits inside
 * quotes. */
char *cordon_win_batch_command_line(const char *cmd_path, const char *batch_path, const char *const *args,
				    cordon_error *err);

#endif
