#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

CORDON_PRINTF(2, 0)
static void format_message(cordon_error *err, const char *format, va_list args)
{
	vsnprintf(err->message, sizeof(err->message), format, args);
}

cordon_code cordon_fail(cordon_error *err, cordon_code code, const char *format, ...)
{
	if (err == NULL)
		return code;
	err->code = code;
	err->sys_errno = 0;
	va_list args;
	va_start(args, format);
	format_message(err, format, args);
	va_end(args);
	return code;
}

cordon_code cordon_fail_errno(cordon_error *err, int errnum, const char *format, ...)
{
	if (err == NULL)
		return CORDON_E_SYSTEM;
	err->code = CORDON_E_SYSTEM;
	err->sys_errno = errnum;
	va_list args;
	va_start(args, format);
	format_message(err, format, args);
	va_end(args);
	size_t used = strlen(err->message);
	snprintf(err->message + used, sizeof(err->message) - used, ": %s", strerror(errnum));
	return CORDON_E_SYSTEM;
}

void cordon_error_clear(cordon_error *err)
{
	if (err == NULL)
		return;
	err->code = CORDON_OK;
	err->sys_errno = 0;
	err->message[0] = '\0';
}

const char *cordon_code_name(cordon_code code)
{
	switch (code) {
	case CORDON_OK: return "ok";
	case CORDON_E_INVALID: return "invalid";
	case CORDON_E_PARSE: return "parse";
	case CORDON_E_NOMEM: return "nomem";
	case CORDON_E_NOT_FOUND: return "not-found";
	case CORDON_E_UNTRUSTED_LINK: return "untrusted-link";
	case CORDON_E_UNSUPPORTED: return "unsupported";
	case CORDON_E_SYSTEM: return "system";
	case CORDON_E_TIMEOUT: return "timeout";
	case CORDON_E_STATE: return "state";
	}
	return "unknown";
}
