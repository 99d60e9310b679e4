/* The Everyone-writable audit on Windows: the thin side of
 * windows/plan/audit_plan.h. The machine's well-known directories, the
 * Win32 file port the ACL engine uses (acl_port_win32.c: handles opened
 * with FILE_FLAG_OPEN_REPARSE_POINT, so no reparse point is followed),
 * the clock, and the record in the state directory.
 *
 * When it runs: on the first sandboxed run (no record), when the record
 * is older than a week (software installed since may have added writable
 * directories), and whenever 'cordon doctor' is asked. Every other run
 * reads the record and hands its findings to the ACL layer, which opens
 * each one (and nothing below it): the walk's cost, bounded at 2 s and
 * 50,000 objects, is paid once, not per command. */
#include "windows/win_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

#define AUDIT_MAX_CHECKS  50000
#define AUDIT_MAX_SECONDS 2.0

static double monotonic_seconds(void *context)
{
	(void)context;
	return (double)GetTickCount64() / 1000.0;
}

/* An environment variable as UTF-8 (allocated), NULL when unset. */
static char *environment_utf8(const wchar_t *name)
{
	wchar_t value[MAX_PATH];
	DWORD n = GetEnvironmentVariableW(name, value, MAX_PATH);
	return n > 0 && n < MAX_PATH ? win_utf8(value, -1) : NULL;
}

static char *windows_directory(void)
{
	wchar_t value[MAX_PATH];
	UINT n = GetSystemWindowsDirectoryW(value, MAX_PATH);
	return n > 0 && n < MAX_PATH ? win_utf8(value, -1) : NULL;
}

static void summarize(const cordon_audit_result *result, long long when, win_audit_summary *out)
{
	out->available = true;
	out->when = when;
	out->found = result->found_count;
	out->checks = result->checks;
	out->stop = result->stop;
	out->everyone_or_logon = 0;
	for (size_t i = 0; i < result->found_count; i++)
		if (result->found[i].writers & (CORDON_AUDIT_EVERYONE | CORDON_AUDIT_LOGON))
			out->everyone_or_logon++;
}

static bool read_record(const char *state_dir, cordon_audit_result *result, long long *when)
{
	char *text = NULL;
	size_t length = 0;
	cordon_error err = {0};
	bool ok = cordon_win_state_read(state_dir, CORDON_AUDIT_RECORD_FILE, &text, &length, &err) ==
			  CORDON_OK &&
		  cordon_audit_record_parse(text, length, result, when);
	free(text);
	return ok;
}

static void audit_now(const char *state_dir, win_audit_summary *out)
{
	char *dirs[5] = {windows_directory(), environment_utf8(L"ProgramData"), environment_utf8(L"PUBLIC"),
			 environment_utf8(L"ProgramFiles"), environment_utf8(L"ProgramFiles(x86)")};
	cordon_audit_known_dirs known = {dirs[0], dirs[1], dirs[2], dirs[3], dirs[4]};
	cordon_audit_place places[CORDON_AUDIT_PLACES_MAX];
	cordon_audit_bounds bounds = {AUDIT_MAX_CHECKS, AUDIT_MAX_SECONDS, monotonic_seconds, NULL};
	cordon_fs_port fs = cordon_win_fs_port();
	cordon_audit_result result;
	cordon_error err = {0};
	size_t count = cordon_audit_places(&known, places);
	long long now = (long long)time(NULL);

	for (size_t i = 0; i < 5; i++)
		free(dirs[i]);
	if (cordon_audit_walk(&fs, places, count, &bounds, &result, &err) != CORDON_OK) {
		snprintf(out->error, sizeof(out->error), "%s", err.message);
		return;
	}
	char *text = cordon_audit_record_format(&result, now);
	if (text == NULL || cordon_win_state_replace(state_dir, CORDON_AUDIT_RECORD_FILE, text, strlen(text),
						     &err) != CORDON_OK)
		snprintf(out->error, sizeof(out->error), "the audit ran but its record was not stored: %s",
			 text ? err.message : "out of memory");
	else
		summarize(&result, now, out);
	out->audited_now = true;
	free(text);
	cordon_audit_result_free(&result);
}

void win_audit_ensure(const char *state_dir, bool force, win_audit_summary *out)
{
	cordon_audit_result result;
	long long when = 0;

	memset(out, 0, sizeof(*out));
	if (state_dir == NULL) {
		snprintf(out->error, sizeof(out->error), "no state directory");
		return;
	}
	if (!force && read_record(state_dir, &result, &when)) {
		bool fresh = cordon_audit_record_fresh(when, (long long)time(NULL));
		if (fresh)
			summarize(&result, when, out);
		cordon_audit_result_free(&result);
		if (fresh)
			return;
	}
	audit_now(state_dir, out);
}

void win_audit_found_load(const char *state_dir, win_audit_found *out)
{
	cordon_audit_result result;
	long long when = 0;

	memset(out, 0, sizeof(*out));
	if (state_dir == NULL || !read_record(state_dir, &result, &when))
		return;
	out->dirs = calloc(result.found_count + 1, sizeof(*out->dirs));
	if (out->dirs != NULL) {
		/* The record's strings move into the list. */
		for (size_t i = 0; i < result.found_count; i++) {
			out->dirs[i] = result.found[i].path;
			result.found[i].path = NULL;
		}
		out->count = result.found_count;
	}
	cordon_audit_result_free(&result);
}

void win_audit_found_free(win_audit_found *found)
{
	for (size_t i = 0; i < found->count; i++)
		free(found->dirs[i]);
	free(found->dirs);
	memset(found, 0, sizeof(*found));
}
