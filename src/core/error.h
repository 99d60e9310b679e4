/* Filling a cordon_error: one place that formats what the user reads. */
#ifndef CORDON_CORE_ERROR_H
#define CORDON_CORE_ERROR_H

#include "cordon.h"

#if defined(__GNUC__)
#define CORDON_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CORDON_PRINTF(fmt, args)
#endif

/* Sets err (if not NULL) and returns code, so callers can write
 * `return cordon_fail(err, CORDON_E_INVALID, "...", ...);`. */
cordon_code cordon_fail(cordon_error *err, cordon_code code, const char *format, ...) CORDON_PRINTF(3, 4);

/* Like cordon_fail with CORDON_E_SYSTEM, recording errnum and appending
 * ": <strerror(errnum)>" to the message. */
cordon_code cordon_fail_errno(cordon_error *err, int errnum, const char *format, ...) CORDON_PRINTF(3, 4);

/* Clears err to CORDON_OK with an empty message. */
void cordon_error_clear(cordon_error *err);

#endif
