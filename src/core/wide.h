/* UTF-8 to UTF-16 for the Windows build: the library's strings are UTF-8,
 * and every Windows call cordon makes takes UTF-16. One conversion for the
 * portable core (run log, filesystem view) and the Windows backend. */
#ifndef CORDON_CORE_WIDE_H
#define CORDON_CORE_WIDE_H

#ifdef _WIN32
#include <wchar.h>

/* Allocates the UTF-16 spelling of utf8 (free()); NULL with errno EINVAL
 * for NULL or text that is not valid UTF-8, ENOMEM when out of memory. */
wchar_t *cordon_utf8_to_wide(const char *utf8);
#endif

#endif
