/* The check the C plumbing programs under Wine print their results with:
 * "ok - plumbing: ..." or "not ok - plumbing: ...", one line each, and a
 * count of failures for the exit status. Included by one .c file each
 * (static). */
#ifndef CORDON_TESTS_WINE_CHECK_H
#define CORDON_TESTS_WINE_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int failures;

static void check(bool ok, const char *format, ...)
{
	va_list ap;
	printf("%s - plumbing: ", ok ? "ok" : "not ok");
	va_start(ap, format);
	vprintf(format, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

#endif
