/* What the Wine plumbing programs share for pseudo-console sessions:
 * the console host renders VT, so text is compared with its escape
 * sequences and carriage returns stripped. Included by one .c file each
 * (static functions). */
#ifndef CORDON_TESTS_WINE_PTY_TEXT_H
#define CORDON_TESTS_WINE_PTY_TEXT_H

#include <windows.h>

#include <stdbool.h>
#include <string.h>

#include "cordon.h"

/* The terminal's output is rendered VT: the console host may put cursor
 * escapes between any two characters. Drops CSI (ESC [ ... final byte)
 * and OSC (ESC ] ... BEL) sequences and carriage returns. */
static size_t strip_escapes(char *text, size_t length)
{
	size_t out = 0;
	for (size_t i = 0; i < length; i++) {
		if (text[i] == 0x1b && i + 1 < length && text[i + 1] == '[') {
			i += 2;
			while (i < length && !(text[i] >= 0x40 && text[i] <= 0x7e))
				i++;
		} else if (text[i] == 0x1b && i + 1 < length && text[i + 1] == ']') {
			while (i < length && text[i] != 0x07)
				i++;
		} else if (text[i] != '\r') {
			text[out++] = text[i];
		}
	}
	text[out] = '\0';
	return out;
}

/* Reads the terminal until needle appears in its text or the stream ends. */
static bool pty_read_until(cordon_child *child, const char *needle, char *seen, size_t size, size_t *used)
{
	ULONGLONG deadline = GetTickCount64() + 20000;
	while (GetTickCount64() < deadline) {
		if (strstr(seen, needle) != NULL)
			return true;
		if (*used + 1 >= size)
			return false;
		ssize_t n = cordon_child_read(child, CORDON_STREAM_PTY, seen + *used, size - 1 - *used, 200);
		if (n == 0)
			return strstr(seen, needle) != NULL;
		if (n > 0)
			*used = strip_escapes(seen, *used + (size_t)n);
	}
	return false;
}

#endif
