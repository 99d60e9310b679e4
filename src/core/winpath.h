/* Windows path algebra, portable C (built and tested natively and with
 * mingw). Strings are UTF-8. Nothing here touches a filesystem: it answers
 * what a spelling means to Win32 and NTFS.
 *
 * Canonical form: "C:\dir\file" with an upper-case drive letter,
 * backslashes, no '.', '..', repeated separators, trailing separator, or
 * (outside the \\?\ namespace) trailing dots and spaces on components;
 * UNC as "\\server\share\rest". Case is preserved; comparisons fold case
 * with Windows' ordinal upper-casing (simple Unicode upper case, so
 * non-ASCII letters fold too). */
#ifndef CORDON_CORE_WINPATH_H
#define CORDON_CORE_WINPATH_H

#include <stdbool.h>
#include <stddef.h>

typedef enum winpath_kind {
	WINPATH_DRIVE_ABSOLUTE, /* C:\x */
	WINPATH_DRIVE_RELATIVE, /* C:x  (relative to that drive's cwd) */
	WINPATH_ROOTED,		/* \x   (relative to the current drive) */
	WINPATH_RELATIVE,	/* x\y */
	WINPATH_UNC,		/* \\server\share\x, \\?\UNC\server\share\x */
	WINPATH_DEVICE,	 /* \\.\PhysicalDrive0, \\.\C:, \\?\GLOBALROOT..., CON, NUL.txt, COM1, \??\x ... */
	WINPATH_PIPE,	 /* \\.\pipe\name, \\?\pipe\name */
	WINPATH_INVALID, /* empty, embedded NUL, bad UTF-8, illegal characters */
} winpath_kind;

typedef struct winpath_info {
	winpath_kind kind;
	bool extended;		/* written with \\?\ (no normalisation by Win32) */
	bool has_stream;	/* last component names an alternate data stream (f:s, f::$DATA) */
	bool is_default_stream; /* the stream is the unnamed $DATA one (f::$DATA): same as the file */
	bool maybe_short_name;	/* a component looks like an 8.3 alias (PROGRA~1) */
	bool reserved_dos_name; /* a component is CON, PRN, AUX, NUL, COM1-9, LPT1-9 (with any extension) */
	bool nt_namespace; /* written \??\...: an object-manager path (\??\C:\x opens C:\x); kind DEVICE */
	char drive;	   /* 'C' for drive paths, else 0 */
} winpath_info;

/* Classifies path. */
winpath_info winpath_classify(const char *path);

/* Canonicalises path against cwd (a canonical drive-absolute or UNC path;
 * may be NULL when path is absolute). Strips the stream suffix into
 * *stream (allocated, NULL when none; "::$DATA" yields NULL and sets
 * is_default_stream in info). Returns an allocated canonical path, or NULL
 * for INVALID, DEVICE and PIPE kinds or a relative path without cwd. */
char *winpath_canonical(const char *path, const char *cwd, char **stream);

/* Case-insensitive (ordinal upper-case) comparison of two canonical paths
 * or names: <0, 0, >0. */
int winpath_compare(const char *a, const char *b);

/* Whether canonical path equals canonical root or lies below it. */
bool winpath_is_within(const char *path, const char *root);

/* When canonical path lies inside canonical root, and any component below
 * root matches one of names (case-insensitive; a trailing run of dots and
 * spaces ignored, as Win32 strips them), returns the index of that name and
 * sets *component_end to the offset in path just after the matched
 * component; else -1. */
int winpath_protected_match(const char *path, const char *root, const char *const *names, size_t name_count,
			    size_t *component_end);

/* Upper-cases one Unicode code point as Windows' ordinal comparison does. */
unsigned winpath_upcase(unsigned code_point);

#endif
