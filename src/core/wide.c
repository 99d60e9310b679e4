/* See wide.h. Compiled into every build; it has content on Windows only. */
#include "wide.h"

#ifdef _WIN32
#include <errno.h>
#include <stdlib.h>
#include <windows.h>

wchar_t *cordon_utf8_to_wide(const char *utf8)
{
	int units = utf8 != NULL ? MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0) : 0;
	if (units <= 0) {
		errno = EINVAL;
		return NULL;
	}
	wchar_t *wide = malloc((size_t)units * sizeof(wchar_t));
	if (wide == NULL)
		return NULL;
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, wide, units) != units) {
		free(wide);
		errno = EINVAL;
		return NULL;
	}
	return wide;
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int cordon_wide_unused;
#endif
