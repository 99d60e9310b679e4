/* UTF-8 <-> UTF-16 at the edge of the Windows backend, and system error
 * messages in cordon's one-line form. The library's strings are UTF-8;
 * every Windows call cordon makes is the W variant. */
#include "windows/win_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/wide.h"

wchar_t *win_wide(const char *utf8)
{
	return cordon_utf8_to_wide(utf8);
}

char *win_utf8(const wchar_t *wide, int length)
{
	if (wide == NULL)
		return NULL;
	int bytes = WideCharToMultiByte(CP_UTF8, 0, wide, length, NULL, 0, NULL, NULL);
	if (bytes < 0 || (bytes == 0 && length != 0))
		return NULL;
	char *utf8 = malloc((size_t)bytes + 1);
	if (utf8 == NULL)
		return NULL;
	if (bytes > 0 && WideCharToMultiByte(CP_UTF8, 0, wide, length, utf8, bytes, NULL, NULL) != bytes) {
		free(utf8);
		return NULL;
	}
	utf8[bytes] = '\0';
	return utf8;
}

cordon_code win_fail(cordon_error *err, DWORD error, const char *format, ...)
{
	char what[CORDON_ERROR_MESSAGE_MAX / 2];
	wchar_t system_text[256];
	char *why = NULL;
	va_list ap;

	va_start(ap, format);
	vsnprintf(what, sizeof(what), format, ap);
	va_end(ap);
	DWORD length = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, error,
				      0, system_text, sizeof(system_text) / sizeof(system_text[0]), NULL);
	/* one line: drop the trailing CR LF and the period Windows ends with */
	while (length > 0 && (system_text[length - 1] == L'\r' || system_text[length - 1] == L'\n' ||
			      system_text[length - 1] == L'.' || system_text[length - 1] == L' '))
		length--;
	if (length > 0)
		why = win_utf8(system_text, (int)length);
	cordon_code code = cordon_fail(err, CORDON_E_SYSTEM, "%s: %s (Windows error %lu)", what,
				       why != NULL ? why : "system error", (unsigned long)error);
	free(why);
	return code;
}
