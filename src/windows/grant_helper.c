/* The read-grant helper of elevated mode (elevated.h, "read grants"):
 * `cordon.exe __grant-helper`, started detached by `cordon setup`, one at
 * a time machine-wide.
 *
 * What it does, and why this way:
 * - The wanted grants come from the copy of setup's record that setup
 *   (elevated) put in %ProgramData%\cordon\grants\<user SID>.record.json,
 *   the progress is <user SID>.progress.json beside it (machine_dir.h).
 *   Both are out of reach of the user's unelevated programs: the helper
 *   is elevated, so what it trusts and where it writes must be, or any of
 *   the user's programs could make it grant the sandbox group read on
 *   another user's files. One helper serves every user who ran setup.
 * - The helper is the only writer of the progress files (the mutex makes
 *   it the only helper); setup only writes the record copies.
 * - The mutex lives in a private namespace whose boundary names
 *   Administrators and whose DACL admits SYSTEM and Administrators only:
 *   a name in Global\ can be created first, or held, by any user (a
 *   sandboxed command included), which would keep every helper from
 *   running. When the namespace cannot be made the helper says which
 *   call failed and exits 125; it never runs unserialised.
 * - The users' runs cannot open that namespace; to tell "a helper is
 *   running, try again in a moment" from "run setup again" they read
 *   <SID>.helper.json, where the helper holding the mutex names its
 *   process id and creation time (grant_helper_owner.h).
 * - Each step is one security-descriptor write through a handle opened
 *   with FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS (the
 *   Win32 file port of acl_port_win32.c): an entry that became a
 *   junction or symbolic link is refused, never followed. No write when
 *   the DACL already holds the ACE; a NULL DACL (everyone has full
 *   access) is left alone, since adding one ACE would take everyone
 *   else's access away.
 * - Progress is recorded after every step (temporary file, flushed, then
 *   MoveFileExW over the old one), so a helper killed at any point
 *   resumes at the step it was on; a progress file that cannot be read
 *   is logged and that user's grants start from the beginning (adding an
 *   ACE that is there writes nothing) rather than blocking every run.
 * - After its passes it reads the record copies again: a `cordon setup`
 *   run meanwhile (a new root) started a helper that found the mutex
 *   taken and left; this one picks the change up, also after it released
 *   the mutex.
 * Wine runs this file's plumbing only: Wine stores no DACLs. */
#include "windows/elevated.h"

#include <sddl.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "windows/acl_prepare.h"
#include "windows/machine_dir.h"
#include "windows/plan/acl_apply.h"
#include "windows/win_internal.h"

#define SETUP_FILE_MAX	     (1u << 20)
#define PROGRESS_TEMP_SUFFIX ".tmp"

typedef struct grant_helper {
	char *grants_dir;		  /* %ProgramData%\cordon\grants */
	char user[CORDON_SID_STRING_MAX]; /* whose grants this pass applies */
	cordon_sid user_sid;
	cordon_fs_port fs;
	cordon_sid group;
	cordon_grant_progress progress;
	size_t steps_this_run; /* steps recorded by this process */
	long stop_after;       /* test hook: exit as if killed after this many; -1 never */
	HANDLE log;
} grant_helper;

/* ------------------------------------------------------------ files */

/* <grants>\<sid><suffix>, or <grants>\<name> when sid is NULL. */
static char *grants_file(const char *grants_dir, const char *sid, const char *suffix)
{
	size_t length = strlen(grants_dir) + (sid ? strlen(sid) : 0) + strlen(suffix) + 2;
	char *path = malloc(length);

	if (path)
		snprintf(path, length, "%s\\%s%s", grants_dir, sid ? sid : "", suffix);
	return path;
}

/* The whole file (allocated, NUL-terminated). *found false when missing. */
static cordon_code read_whole(const char *path, char **data, size_t *length, bool *found, cordon_error *err)
{
	wchar_t *wide = win_wide(path);
	HANDLE file;
	LARGE_INTEGER size;
	DWORD got = 0;

	*data = NULL;
	*length = 0;
	*found = false;
	if (!wide)
		return cordon_fail(err, CORDON_E_INVALID, "cannot read '%s': the path is not valid UTF-8",
				   path);
	file = CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
			   OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	free(wide);
	if (file == INVALID_HANDLE_VALUE) {
		DWORD error = GetLastError();

		if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND)
			return CORDON_OK;
		return win_fail(err, error, "cannot read '%s'", path);
	}
	*found = true;
	if (!GetFileSizeEx(file, &size) || size.QuadPart > SETUP_FILE_MAX) {
		CloseHandle(file);
		return cordon_fail(err, CORDON_E_INVALID, "cannot read '%s': larger than %u bytes", path,
				   SETUP_FILE_MAX);
	}
	*data = malloc((size_t)size.QuadPart + 1);
	if (!*data) {
		CloseHandle(file);
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read '%s': out of memory", path);
	}
	if (!ReadFile(file, *data, (DWORD)size.QuadPart, &got, NULL)) {
		DWORD error = GetLastError();

		CloseHandle(file);
		free(*data);
		*data = NULL;
		return win_fail(err, error, "cannot read '%s'", path);
	}
	CloseHandle(file);
	(*data)[got] = '\0';
	*length = got;
	return CORDON_OK;
}

/* Writes path whole or not at all: a temporary file beside it, flushed,
 * then moved over it. */
static cordon_code write_atomic(const char *path, const char *text, PSECURITY_DESCRIPTOR descriptor,
				cordon_error *err)
{
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), descriptor, FALSE};
	char *temp = malloc(strlen(path) + sizeof(PROGRESS_TEMP_SUFFIX));
	wchar_t *wide_temp = NULL, *wide = win_wide(path);
	HANDLE file = INVALID_HANDLE_VALUE;
	size_t length = strlen(text);
	DWORD wrote = 0;
	cordon_code code = CORDON_OK;

	if (temp) {
		strcpy(temp, path);
		strcat(temp, PROGRESS_TEMP_SUFFIX);
		wide_temp = win_wide(temp);
	}
	if (!wide || !wide_temp) {
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	/* The temporary file is made with the final DACL; the move keeps it. */
	file = CreateFileW(wide_temp, GENERIC_WRITE, 0, &attributes, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL,
			   NULL);
	if (file == INVALID_HANDLE_VALUE) {
		code = win_fail(err, GetLastError(), "cannot write '%s'", temp);
		goto out;
	}
	if (!WriteFile(file, text, (DWORD)length, &wrote, NULL) || wrote != length ||
	    !FlushFileBuffers(file)) {
		code = win_fail(err, GetLastError(), "cannot write '%s'", temp);
		goto out;
	}
	CloseHandle(file);
	file = INVALID_HANDLE_VALUE;
	if (!MoveFileExW(wide_temp, wide, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		code = win_fail(err, GetLastError(), "cannot replace '%s'", path);
out:
	if (file != INVALID_HANDLE_VALUE)
		CloseHandle(file);
	if (code != CORDON_OK && wide_temp)
		DeleteFileW(wide_temp);
	free(wide_temp);
	free(wide);
	free(temp);
	return code;
}

/* -------------------------------------------------------------- log */

static void log_line(grant_helper *h, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void log_line(grant_helper *h, const char *format, ...)
{
	char line[1024];
	SYSTEMTIME now;
	HANDLE err_handle = GetStdHandle(STD_ERROR_HANDLE);
	va_list ap;
	int used;
	DWORD wrote;

	GetSystemTime(&now);
	used = snprintf(line, sizeof(line),
			"%04u-%02u-%02uT%02u:%02u:%02uZ grant-helper %lu%s%s: ", now.wYear, now.wMonth,
			now.wDay, now.wHour, now.wMinute, now.wSecond, (unsigned long)GetCurrentProcessId(),
			h->user[0] ? " " : "", h->user);
	va_start(ap, format);
	vsnprintf(line + used, sizeof(line) - (size_t)used - 1, format, ap);
	va_end(ap);
	strcat(line, "\n");
	if (h->log != INVALID_HANDLE_VALUE)
		WriteFile(h->log, line, (DWORD)strlen(line), &wrote, NULL);
	/* A helper run by hand (or by the tests) also says it on stderr. */
	if (err_handle != NULL && err_handle != INVALID_HANDLE_VALUE)
		WriteFile(err_handle, line, (DWORD)strlen(line), &wrote, NULL);
}

static void open_log(grant_helper *h)
{
	char *path = grants_file(h->grants_dir, NULL, WIN_MACHINE_HELPER_LOG);
	wchar_t *wide = path ? win_wide(path) : NULL;

	h->log = wide ? CreateFileW(wide, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE,
				    NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL)
		      : INVALID_HANDLE_VALUE;
	free(wide);
	free(path);
}

/* ----------------------------------------------------- record, progress */

static cordon_code load_record(const char *grants_dir, const char *sid, cordon_setup_record *record,
			       bool *found, cordon_error *err)
{
	char *path = grants_file(grants_dir, sid, WIN_MACHINE_RECORD_SUFFIX);
	char *text = NULL;
	size_t length = 0;
	cordon_code code;

	memset(record, 0, sizeof(*record));
	if (!path)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read setup's record: out of memory");
	code = read_whole(path, &text, &length, found, err);
	if (code == CORDON_OK && *found)
		code = cordon_setup_record_parse(text, length, record, err);
	free(text);
	free(path);
	return code;
}

/* The progress file, or an empty progress when it is missing or cannot be
 * read (*problem then says why, for the log; "" otherwise). */
static void load_progress(const char *grants_dir, const char *sid, cordon_grant_progress *progress,
			  char *problem, size_t size)
{
	char *path = grants_file(grants_dir, sid, WIN_MACHINE_PROGRESS_SUFFIX);
	char *text = NULL;
	size_t length = 0;
	bool found = false;
	cordon_error err = {0};

	problem[0] = '\0';
	cordon_grant_progress_init(progress);
	if (!path) {
		snprintf(problem, size, "out of memory");
		return;
	}
	if (read_whole(path, &text, &length, &found, &err) != CORDON_OK ||
	    (found && cordon_grant_progress_parse(text, length, progress, &err) != CORDON_OK))
		snprintf(problem, size, "%s", err.message);
	free(text);
	free(path);
}

/* Writes text as <grants>\<sid><suffix>, readable by that user. */
static cordon_code write_user_file(const char *grants_dir, const char *sid, const char *suffix,
				   const char *text, cordon_error *err)
{
	char *path = grants_file(grants_dir, sid, suffix);
	PSECURITY_DESCRIPTOR descriptor = NULL;
	cordon_sid user;
	cordon_code code;

	if (!path || !text)
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot write %s%s: out of memory", sid, suffix);
	else if (!cordon_sid_parse(sid, &user))
		code = cordon_fail(err, CORDON_E_INVALID, "cannot write %s%s: not a SID", sid, suffix);
	else
		code = win_user_readable_descriptor(&user, &descriptor, err);
	if (code == CORDON_OK)
		code = write_atomic(path, text, descriptor, err);
	if (descriptor)
		LocalFree(descriptor);
	free(path);
	return code;
}

static cordon_code save_progress(grant_helper *h, cordon_error *err)
{
	char *text = cordon_grant_progress_render(&h->progress);
	cordon_code code = write_user_file(h->grants_dir, h->user, WIN_MACHINE_PROGRESS_SUFFIX, text, err);

	free(text);
	return code;
}

/* ------------------------------------------------------------ the group */

cordon_code win_sandbox_group_sid(cordon_sid *out, cordon_error *err)
{
	char hook[CORDON_SID_STRING_MAX];
	win_local_lookup found;
	DWORD length = win_test_hook(WIN_GRANT_HELPER_TEST_GROUP_SID, hook, sizeof(hook));

	if (length > 0 && length < sizeof(hook)) {
		if (!cordon_sid_parse(hook, out))
			return cordon_fail(err, CORDON_E_INVALID, "%s is not a SID: %s",
					   WIN_GRANT_HELPER_TEST_GROUP_SID, hook);
		return CORDON_OK;
	}
	if (win_local_account_sid(CORDON_SANDBOX_GROUP, CORDON_NAME_ALIAS, out, &found))
		return CORDON_OK;
	if (!found.answered)
		return win_fail(err, found.error,
				"cannot find the group %s (made by 'cordon setup'); run 'cordon setup' again",
				CORDON_SANDBOX_GROUP);
	if (found.verdict == CORDON_LOCAL_NAME_WRONG_KIND)
		return cordon_fail(
			err, CORDON_E_STATE,
			"%s is not a local group on this machine (account type %d); run 'cordon setup' "
			"--uninstall, remove that account, and set up again",
			CORDON_SANDBOX_GROUP, found.use);
	return cordon_fail(err, CORDON_E_STATE,
			   "cannot find the group %s on this machine: the name %s; run 'cordon setup' again",
			   CORDON_SANDBOX_GROUP, found.reason);
}

/* ------------------------------------------------------------ one step */

/* Applies one step: one descriptor write at most. *wrote says whether it
 * wrote. */
static cordon_code apply_step(grant_helper *h, const cordon_read_grant_step *step, bool *wrote,
			      cordon_error *err)
{
	cordon_acl_change change;
	cordon_fs_handle *handle = NULL;
	cordon_fs_info info;
	cordon_fs_dacl dacl = {0};
	cordon_ace *result = NULL;
	size_t result_count = 0;
	cordon_code code;

	*wrote = false;
	if (!cordon_read_grant_change(step, &h->group, &change))
		return cordon_fail(err, CORDON_E_NOMEM, "cannot grant read on %s: out of memory",
				   step->grant.path);
	code = h->fs.open(h->fs.context, change.path, CORDON_FS_CHANGE_DACL, &handle, &info, err);
	if (code != CORDON_OK)
		goto out;
	if (info.is_reparse_point) {
		code = cordon_fail(
			err, CORDON_E_UNTRUSTED_LINK,
			"cannot grant read on %s: it is now a junction or symbolic link, which cordon "
			"never follows; run 'cordon setup' again to plan around it",
			change.path);
		goto out;
	}
	code = h->fs.read_dacl(h->fs.context, handle, &dacl, err);
	if (code != CORDON_OK || !dacl.present)
		goto out; /* a NULL DACL already lets everyone read: nothing to add */
	if (dacl.has_unknown_aces) {
		code = cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"cannot grant read on %s: its DACL holds ACE types cordon does not rewrite "
			"(object or callback ACEs)",
			change.path);
		goto out;
	}
	if (!cordon_dacl_apply_change(dacl.aces, dacl.ace_count, &change, &result, &result_count)) {
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot grant read on %s: out of memory",
				   change.path);
		goto out;
	}
	if (!cordon_ace_lists_equal(dacl.aces, dacl.ace_count, result, result_count)) {
		cordon_fs_dacl updated = {.present = true,
					  .dacl_protected = dacl.dacl_protected,
					  .aces = result,
					  .ace_count = result_count};

		code = h->fs.write_dacl(h->fs.context, handle, &updated, err);
		*wrote = code == CORDON_OK;
	}
out:
	if (handle)
		h->fs.close(h->fs.context, handle);
	cordon_fs_dacl_free(&dacl);
	free(result);
	free(change.path);
	return code;
}

/* ----------------------------------------------------------------- passes */

typedef enum pass_end {
	PASS_DONE,    /* every step tried */
	PASS_STOPPED, /* the test hook's step count reached */
	PASS_FAILED,  /* the progress could not be recorded */
} pass_end;

/* One pass over what is left. *succeeded counts steps that succeeded. */
static pass_end run_pass(grant_helper *h, const cordon_setup_record *record, size_t *succeeded)
{
	cordon_grant_work work;
	cordon_error err = {0};

	*succeeded = 0;
	if (cordon_grant_work_build(record->grants, record->grant_count, (const char *const *)record->roots,
				    record->root_count, &h->progress, &work, &err) != CORDON_OK) {
		log_line(h, "%s", err.message);
		return PASS_FAILED;
	}
	log_line(h, "pass: %lu of %lu wanted grants done, %lu steps left", (unsigned long)work.wanted_done,
		 (unsigned long)work.wanted_count, (unsigned long)work.step_count);
	for (size_t i = 0; i < work.step_count; i++) {
		const cordon_read_grant_step *step = &work.steps[i];
		const char *kind = cordon_read_grant_kind_name(step->grant.kind);
		bool wrote = false;
		cordon_code code;

		memset(&err, 0, sizeof(err));
		code = apply_step(h, step, &wrote, &err);
		if (wrote)
			h->progress.descriptors_written++;
		if (code == CORDON_OK) {
			(*succeeded)++;
			log_line(h, "%s %s %s: %s", step->remove ? "removed" : "granted", kind,
				 step->grant.path,
				 wrote ? "descriptor written" : "already so, nothing written");
		} else {
			log_line(h, "failed %s %s: %s", kind, step->grant.path, err.message);
		}
		if (!cordon_grant_progress_mark(&h->progress, step, code == CORDON_OK, err.message) ||
		    save_progress(h, &err) != CORDON_OK) {
			log_line(h, "stopping: %s", err.message[0] ? err.message : "out of memory");
			cordon_grant_work_free(&work);
			return PASS_FAILED;
		}
		h->steps_this_run++;
		if (h->stop_after >= 0 && h->steps_this_run >= (size_t)h->stop_after) {
			log_line(h, "stopping after %lu steps (%s)", (unsigned long)h->steps_this_run,
				 WIN_GRANT_HELPER_TEST_STOP_AFTER);
			cordon_grant_work_free(&work);
			return PASS_STOPPED;
		}
	}
	cordon_grant_work_free(&work);
	return PASS_DONE;
}

/* Passes for h->user until one succeeds at nothing (nothing left, or
 * only failures that failed again). */
static pass_end run_until_settled(grant_helper *h, int *status)
{
	for (;;) {
		cordon_setup_record record;
		cordon_error err = {0};
		bool found = false;
		size_t succeeded = 0;
		pass_end end;

		if (load_record(h->grants_dir, h->user, &record, &found, &err) != CORDON_OK || !found) {
			log_line(h, "%s", found ? err.message : "its record is gone: skipped");
			return PASS_DONE;
		}
		end = run_pass(h, &record, &succeeded);
		if (end == PASS_DONE && succeeded == 0 && h->progress.failed_count == 0 &&
		    strcmp(h->progress.finished_fingerprint, record.fingerprint) != 0) {
			memcpy(h->progress.finished_fingerprint, record.fingerprint, 65);
			if (save_progress(h, &err) != CORDON_OK)
				log_line(h, "%s", err.message);
		}
		cordon_setup_record_free(&record);
		if (end != PASS_DONE) {
			*status = end == PASS_STOPPED ? WIN_GRANT_HELPER_EXIT_DONE
						      : WIN_GRANT_HELPER_EXIT_FAILED;
			return end;
		}
		if (succeeded == 0)
			return PASS_DONE;
	}
}

/* ------------------------------------------------------------ the lock */

/* The namespace and the mutex in it admit SYSTEM and Administrators
 * only: without a DACL anyone could open an existing namespace, boundary
 * or not ("Object Namespaces"). */
#define LOCK_SDDL	   L"O:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)"
#define NAMESPACE_ATTEMPTS 5

static void lock_line(char *line, size_t size, const char *call, DWORD error, const char *hint)
{
	snprintf(line, size,
		 "cannot make the read-grant helper's lock (a mutex in the private namespace %ls): %s failed "
		 "(Windows error %lu)%s; no grants applied without it",
		 WIN_GRANT_HELPER_NAMESPACE, call, (unsigned long)error, hint);
}

/* The test hook's plain mutex (CORDON_TEST_HOOKS builds only). */
static bool test_mutex(win_grant_helper_lock *lock, char *line, size_t size, bool *used)
{
	char name[256];
	DWORD length = win_test_hook(WIN_GRANT_HELPER_TEST_MUTEX, name, sizeof(name));
	wchar_t *wide;

	*used = length > 0 && length < sizeof(name);
	if (!*used)
		return true;
	wide = win_wide(name);
	lock->mutex = wide ? CreateMutexW(NULL, FALSE, wide) : NULL;
	lock->created = lock->mutex && GetLastError() != ERROR_ALREADY_EXISTS;
	free(wide);
	if (!lock->mutex) {
		snprintf(line, size, "cannot create the mutex %s (%s, Windows error %lu)", name,
			 WIN_GRANT_HELPER_TEST_MUTEX, (unsigned long)GetLastError());
		return false;
	}
	return true;
}

/* The namespace, created, or opened when it exists: a helper that opened
 * it may find it gone by the time it opens it (its creator exited), so a
 * few attempts. */
static bool open_namespace(win_grant_helper_lock *lock, HANDLE boundary, SECURITY_ATTRIBUTES *attributes,
			   char *line, size_t size)
{
	DWORD error = 0;

	for (int attempt = 0; attempt < NAMESPACE_ATTEMPTS; attempt++) {
		lock->namespace_handle =
			CreatePrivateNamespaceW(attributes, boundary, WIN_GRANT_HELPER_NAMESPACE);
		if (lock->namespace_handle)
			return true;
		error = GetLastError();
		if (error != ERROR_ALREADY_EXISTS) {
			lock_line(line, size, "CreatePrivateNamespaceW", error,
				  error == ERROR_ACCESS_DENIED
					  ? " (not elevated: run 'cordon setup' as administrator)"
					  : "");
			return false;
		}
		lock->namespace_handle = OpenPrivateNamespaceW(boundary, WIN_GRANT_HELPER_NAMESPACE);
		if (lock->namespace_handle)
			return true;
		error = GetLastError();
	}
	lock_line(line, size, "OpenPrivateNamespaceW", error, " (the namespace exists and cannot be opened)");
	return false;
}

static bool private_mutex(win_grant_helper_lock *lock, char *line, size_t size)
{
	BYTE admins[SECURITY_MAX_SID_SIZE];
	DWORD admins_size = sizeof(admins);
	PSECURITY_DESCRIPTOR descriptor = NULL;
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), NULL, FALSE};
	HANDLE boundary;
	bool ok = false;

	/* Wine 8: a stub that returns NULL and leaves the error at 0. */
	SetLastError(0);
	boundary = CreateBoundaryDescriptorW(WIN_GRANT_HELPER_BOUNDARY, 0);
	if (!boundary) {
		lock_line(line, size, "CreateBoundaryDescriptorW", GetLastError(), "");
		return false;
	}
	if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &admins_size) ||
	    !AddSIDToBoundaryDescriptor(&boundary, admins)) {
		lock_line(line, size, "AddSIDToBoundaryDescriptor", GetLastError(), "");
		goto out;
	}
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(LOCK_SDDL, SDDL_REVISION_1, &descriptor,
								  NULL)) {
		lock_line(line, size, "ConvertStringSecurityDescriptorToSecurityDescriptorW", GetLastError(),
			  "");
		goto out;
	}
	attributes.lpSecurityDescriptor = descriptor;
	if (!open_namespace(lock, boundary, &attributes, line, size))
		goto out;
	lock->mutex = CreateMutexW(&attributes, FALSE, WIN_GRANT_HELPER_MUTEX);
	if (!lock->mutex) {
		lock_line(line, size, "CreateMutexW", GetLastError(), "");
		ClosePrivateNamespace(lock->namespace_handle, 0);
		lock->namespace_handle = NULL;
		goto out;
	}
	ok = true;
out:
	if (descriptor)
		LocalFree(descriptor);
	DeleteBoundaryDescriptor(boundary);
	return ok;
}

win_grant_lock_result win_grant_helper_lock_take(win_grant_helper_lock *lock, char *line, size_t size)
{
	bool hooked = false;

	memset(lock, 0, sizeof(*lock));
	line[0] = '\0';
	if (!test_mutex(lock, line, size, &hooked) || (!hooked && !private_mutex(lock, line, size)))
		return WIN_GRANT_LOCK_FAILED;
	/* Waiting (not "created it first") is what decides: an abandoned
	 * mutex (a helper killed) is ours to take. */
	switch (WaitForSingleObject(lock->mutex, 0)) {
	case WAIT_OBJECT_0:
	case WAIT_ABANDONED: return WIN_GRANT_LOCK_TAKEN;
	default: break;
	}
	snprintf(line, size, "%s",
		 "another read-grant helper is running (it holds the lock): it applies the new record; "
		 "this one exits");
	win_grant_helper_lock_close(lock, false);
	return WIN_GRANT_LOCK_BUSY;
}

void win_grant_helper_lock_close(win_grant_helper_lock *lock, bool release)
{
	if (lock->mutex) {
		if (release)
			ReleaseMutex(lock->mutex);
		CloseHandle(lock->mutex);
	}
	/* Never PRIVATE_NAMESPACE_FLAG_DESTROY: a helper that opened it may
	 * still be using it. */
	if (lock->namespace_handle)
		ClosePrivateNamespace(lock->namespace_handle, 0);
	memset(lock, 0, sizeof(*lock));
}

/* "<sid>=<fingerprint>;" for every user's record copy, in directory
 * order (allocated; "" when there is none): what the helper applied, to
 * tell afterwards whether setup wrote a new record meanwhile. */
static char *records_state(const char *grants_dir)
{
	char *pattern = grants_file(grants_dir, "*", WIN_MACHINE_RECORD_SUFFIX);
	wchar_t *wide = pattern ? win_wide(pattern) : NULL;
	WIN32_FIND_DATAW found;
	HANDLE search = wide ? FindFirstFileW(wide, &found) : INVALID_HANDLE_VALUE;
	size_t capacity = 1, used = 0;
	char *state = calloc(1, 1);

	while (state && search != INVALID_HANDLE_VALUE) {
		char *name = win_utf8(found.cFileName, -1);
		size_t length = name ? strlen(name) : 0, suffix = strlen(WIN_MACHINE_RECORD_SUFFIX);
		cordon_setup_record record;
		cordon_error err = {0};
		bool ok = false, exists = false;

		if (name && length > suffix && !(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
			name[length - suffix] = '\0';
			ok = load_record(grants_dir, name, &record, &exists, &err) == CORDON_OK && exists;
		}
		if (ok) {
			size_t need = strlen(name) + 66 + 2;
			char *grown = used + need >= capacity ? realloc(state, capacity = 2 * (used + need))
							      : state;

			if (grown) {
				state = grown;
				used += (size_t)snprintf(state + used, capacity - used, "%s=%s;", name,
							 record.fingerprint);
			}
			cordon_setup_record_free(&record);
		}
		free(name);
		if (!FindNextFileW(search, &found))
			break;
	}
	if (search != INVALID_HANDLE_VALUE)
		FindClose(search);
	free(wide);
	free(pattern);
	return state;
}

/* ------------------------------------------------------------ owner */

/* This process as the owner file names it. */
static bool this_owner(cordon_helper_owner *owner)
{
	FILETIME created, exited, kernel, user;

	if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user))
		return false;
	owner->pid = (uint32_t)GetCurrentProcessId();
	owner->created = ((uint64_t)created.dwHighDateTime << 32) | created.dwLowDateTime;
	return true;
}

/* <sid>.helper.json for every "<sid>=...;" in state. */
static cordon_code publish_owner_for(const char *grants_dir, const char *state, cordon_error *err)
{
	cordon_helper_owner owner;
	char *text;
	cordon_code code = CORDON_OK;

	if (!this_owner(&owner))
		return win_fail(err, GetLastError(), "cannot read this process's creation time");
	text = cordon_helper_owner_render(&owner);
	if (!text)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot name the running helper: out of memory");
	for (const char *cursor = state; code == CORDON_OK && *cursor;) {
		const char *equals = strchr(cursor, '='), *end = strchr(cursor, ';');
		char sid[CORDON_SID_STRING_MAX];

		if (!equals || !end || (size_t)(equals - cursor) >= sizeof(sid))
			break;
		memcpy(sid, cursor, (size_t)(equals - cursor));
		sid[equals - cursor] = '\0';
		code = write_user_file(grants_dir, sid, CORDON_HELPER_OWNER_SUFFIX, text, err);
		cursor = end + 1;
	}
	free(text);
	return code;
}

cordon_code win_grant_helper_publish_owner(const char *grants_dir, cordon_error *err)
{
	char *state = records_state(grants_dir);
	cordon_code code =
		state ? publish_owner_for(grants_dir, state, err)
		      : cordon_fail(err, CORDON_E_NOMEM, "cannot name the running helper: out of memory");

	free(state);
	return code;
}

/* The owner file is what tells the users' runs "try again in a moment";
 * a helper that cannot write it still applies the grants (the runs then
 * say "run 'cordon setup' again", which starts a helper that exits at
 * once), so a failure is logged, not fatal. */
static void publish_owner(grant_helper *h, const char *state)
{
	cordon_error err = {0};

	if (publish_owner_for(h->grants_dir, state, &err) != CORDON_OK)
		log_line(h,
			 "cannot name this helper as the running one (%s): the users' runs will not know it "
			 "runs",
			 err.message);
}

/* One user's grants: progress loaded, passes, progress freed. */
static pass_end run_user(grant_helper *h, const char *sid, int *status)
{
	char problem[CORDON_ERROR_MESSAGE_MAX];
	pass_end end;

	snprintf(h->user, sizeof(h->user), "%s", sid);
	if (!cordon_sid_parse(sid, &h->user_sid)) {
		log_line(h, "not a SID: its record is ignored");
		h->user[0] = '\0';
		return PASS_DONE;
	}
	load_progress(h->grants_dir, sid, &h->progress, problem, sizeof(problem));
	if (problem[0])
		log_line(h, "%s", problem);
	log_line(h, "started: %lu grants recorded done, %lu failed, %lu descriptors written so far",
		 (unsigned long)h->progress.done_count, (unsigned long)h->progress.failed_count,
		 (unsigned long)h->progress.descriptors_written);
	end = run_until_settled(h, status);
	cordon_grant_progress_free(&h->progress);
	h->user[0] = '\0';
	return end;
}

/* Every user's grants, in the order of the record copies' state string. */
static pass_end run_all(grant_helper *h, const char *state, int *status)
{
	const char *cursor = state;

	while (*cursor) {
		const char *equals = strchr(cursor, '=');
		const char *end = strchr(cursor, ';');
		char sid[CORDON_SID_STRING_MAX];
		pass_end result;

		if (!equals || !end || (size_t)(equals - cursor) >= sizeof(sid))
			break;
		memcpy(sid, cursor, (size_t)(equals - cursor));
		sid[equals - cursor] = '\0';
		result = run_user(h, sid, status);
		if (result != PASS_DONE)
			return result;
		cursor = end + 1;
	}
	return PASS_DONE;
}

/* -------------------------------------------------------------- main */

static int helper_usage(void)
{
	fprintf(stderr, "cordon: usage: cordon %s (started by 'cordon setup'; not meant to be run by hand)\n",
		WIN_GRANT_HELPER_COMMAND);
	return WIN_GRANT_HELPER_EXIT_FAILED;
}

static long stop_after_hook(void)
{
	char text[32];
	DWORD length = win_test_hook(WIN_GRANT_HELPER_TEST_STOP_AFTER, text, sizeof(text));
	char *end;
	long value;

	if (length == 0 || length >= sizeof(text))
		return -1;
	value = strtol(text, &end, 10);
	return *end == '\0' && value > 0 ? value : -1;
}

/* Takes the mutex back after handing it off. The namespace's creator
 * waits for it, the others only try. */
static bool retake(const win_grant_helper_lock *lock)
{
	switch (WaitForSingleObject(lock->mutex, lock->created ? INFINITE : 0)) {
	case WAIT_OBJECT_0:
	case WAIT_ABANDONED: return true;
	default: return false;
	}
}

/* After a round: releases the mutex (a helper that setup starts from now
 * on takes it and applies its record) and looks at the record copies
 * again (a helper that setup started during the round found the mutex
 * taken and exited: a change seen now is this one's to apply). Returns the state for another round, the
 * mutex held again, or NULL to exit. The helper that created the
 * namespace does not leave while another may hold the mutex: it waits
 * for the mutex, looks once more, and exits holding it. By Object
 * Namespaces no one can open a namespace once its creator closed it, so
 * a helper arriving after the creator left would make a fresh namespace
 * and mutex and run beside one still holding the old mutex. */
static char *hand_off(grant_helper *h, win_grant_helper_lock *lock, const char *state)
{
	char *after;

	ReleaseMutex(lock->mutex);
	after = records_state(h->grants_dir);
	if (after && strcmp(after, state) != 0) {
		if (retake(lock))
			return after;
		free(after); /* the helper that holds it applies the change */
		return NULL;
	}
	free(after);
	if (!lock->created || !retake(lock))
		return NULL;
	after = records_state(h->grants_dir);
	if (after && strcmp(after, state) != 0)
		return after;
	free(after);
	return NULL;
}

static int helper_run(grant_helper *h)
{
	cordon_error err = {0};
	win_grant_helper_lock lock;
	char line[CORDON_ERROR_MESSAGE_MAX];
	int status = WIN_GRANT_HELPER_EXIT_DONE;
	char *state = NULL;

	switch (win_grant_helper_lock_take(&lock, line, sizeof(line))) {
	case WIN_GRANT_LOCK_TAKEN: break;
	case WIN_GRANT_LOCK_BUSY: log_line(h, "%s", line); return WIN_GRANT_HELPER_EXIT_BUSY;
	case WIN_GRANT_LOCK_FAILED: log_line(h, "%s", line); return WIN_GRANT_HELPER_EXIT_FAILED;
	}
	if (win_sandbox_group_sid(&h->group, &err) != CORDON_OK) {
		log_line(h, "%s", err.message);
		win_grant_helper_lock_close(&lock, true);
		return WIN_GRANT_HELPER_EXIT_FAILED;
	}
	state = records_state(h->grants_dir);
	if (state && !*state) {
		log_line(h, "no setup record in %s: run 'cordon setup' (as administrator) first",
			 h->grants_dir);
		status = WIN_GRANT_HELPER_EXIT_FAILED;
	}
	while (state && *state && status == WIN_GRANT_HELPER_EXIT_DONE) {
		char *after = NULL;
		pass_end end;

		publish_owner(h, state);
		end = run_all(h, state, &status);
		if (end == PASS_STOPPED) {
			/* As if killed: no release, the mutex is abandoned. */
			win_grant_helper_lock_close(&lock, false);
			free(state);
			return status;
		}
		if (end != PASS_DONE) {
			ReleaseMutex(lock.mutex);
			break;
		}
		after = hand_off(h, &lock, state);
		free(state);
		state = after;
		if (state)
			log_line(h, "a setup record changed: another round");
	}
	free(state);
	log_line(h, "finished");
	win_grant_helper_lock_close(&lock, false);
	return status;
}

int win_grant_helper_main(int argc, char **argv)
{
	grant_helper h;
	cordon_error err = {0};
	int status;

	memset(&h, 0, sizeof(h));
	h.log = INVALID_HANDLE_VALUE;
	if (argc != 2 || strcmp(argv[1], WIN_GRANT_HELPER_COMMAND) != 0)
		return helper_usage();
	if (win_machine_grants_dir(&h.grants_dir, &err) != CORDON_OK) {
		fprintf(stderr, "cordon: %s\n", err.message);
		return WIN_GRANT_HELPER_EXIT_FAILED;
	}
	h.fs = cordon_win_fs_port();
	h.stop_after = stop_after_hook();
	open_log(&h);
	status = helper_run(&h);
	if (h.log != INVALID_HANDLE_VALUE)
		CloseHandle(h.log);
	free(h.grants_dir);
	return status;
}

/* ------------------------------------------------------------- start */

/* Writes record to the grants folder as <user SID>.record.json: what the
 * elevated helper trusts is this copy, which the user's unelevated
 * programs cannot change. */
static cordon_code hand_over(const cordon_setup_record *record, const char *grants_dir, cordon_error *err)
{
	char sid[CORDON_SID_STRING_MAX];
	char *rendered = NULL;
	cordon_sid user;
	cordon_code code = win_current_user_sid(&user, err);

	if (code == CORDON_OK && !cordon_sid_format(&user, sid, sizeof(sid)))
		code = cordon_fail(err, CORDON_E_SYSTEM, "cannot spell this user's SID");
	if (code == CORDON_OK && !(rendered = cordon_setup_record_render(record)))
		code = cordon_fail(err, CORDON_E_NOMEM, "cannot hand the read grants over: out of memory");
	if (code == CORDON_OK)
		code = write_user_file(grants_dir, sid, WIN_MACHINE_RECORD_SUFFIX, rendered, err);
	free(rendered);
	return code;
}

cordon_code win_grant_helper_start_with(const cordon_setup_record *record, cordon_error *err)
{
	char *grants_dir = NULL;
	cordon_code code;

	if (!record)
		return cordon_fail(err, CORDON_E_INVALID, "cannot start the read-grant helper: no record");
	code = win_machine_dirs_prepare(err);
	if (code == CORDON_OK)
		code = win_machine_grants_dir(&grants_dir, err);
	if (code == CORDON_OK)
		code = hand_over(record, grants_dir, err);
	if (code == CORDON_OK)
		code = win_grant_helper_spawn(err);
	free(grants_dir);
	return code;
}

cordon_code win_grant_helper_start(const char *state_dir, cordon_error *err)
{
	size_t length =
		state_dir ? strlen(state_dir) + sizeof(WIN_SETUP_DIR) + sizeof(WIN_SETUP_RECORD_FILE) + 2 : 0;
	char *path = length ? malloc(length) : NULL, *text = NULL;
	cordon_setup_record record;
	size_t size = 0;
	bool found = false;
	cordon_code code;

	memset(&record, 0, sizeof(record));
	if (!state_dir || !*state_dir)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot start the read-grant helper: no state directory");
	if (!path)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot start the read-grant helper: out of memory");
	snprintf(path, length, "%s\\%s\\%s", state_dir, WIN_SETUP_DIR, WIN_SETUP_RECORD_FILE);
	code = read_whole(path, &text, &size, &found, err);
	if (code == CORDON_OK && !found)
		code = cordon_fail(err, CORDON_E_STATE,
				   "cannot start the read-grant helper: setup's record %s is missing", path);
	if (code == CORDON_OK)
		code = cordon_setup_record_parse(text, size, &record, err);
	if (code == CORDON_OK)
		code = win_grant_helper_start_with(&record, err);
	cordon_setup_record_free(&record);
	free(text);
	free(path);
	return code;
}

/* ------------------------------------------------------------- queries */

/* What OpenProcess and GetProcessTimes say about pid. */
static cordon_helper_probe probe_process(uint32_t pid)
{
	cordon_helper_probe probe = {.outcome = CORDON_HELPER_PROBE_FAILED};
	HANDLE process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
	FILETIME created, exited, kernel, user;
	DWORD code = 0;

	if (!process) {
		DWORD error = GetLastError();

		/* OpenProcess says ERROR_INVALID_PARAMETER for an id no process has. */
		probe.outcome = error == ERROR_INVALID_PARAMETER ? CORDON_HELPER_PROBE_NO_PROCESS
				: error == ERROR_ACCESS_DENIED	 ? CORDON_HELPER_PROBE_ACCESS_DENIED
								 : CORDON_HELPER_PROBE_FAILED;
		return probe;
	}
	if (GetProcessTimes(process, &created, &exited, &kernel, &user) &&
	    GetExitCodeProcess(process, &code)) {
		probe.outcome = CORDON_HELPER_PROBE_OPENED;
		probe.created = ((uint64_t)created.dwHighDateTime << 32) | created.dwLowDateTime;
		probe.exited = code != STILL_ACTIVE;
	}
	CloseHandle(process);
	return probe;
}

cordon_helper_liveness win_grant_helper_liveness_for(const char *grants_dir, const char *user_sid)
{
	char *path = grants_file(grants_dir, user_sid, CORDON_HELPER_OWNER_SUFFIX);
	char *text = NULL;
	size_t length = 0;
	bool found = false;
	cordon_error err = {0};
	cordon_helper_owner owner;
	cordon_helper_probe probe = {.outcome = CORDON_HELPER_PROBE_FAILED};
	bool parsed;

	if (!path)
		return CORDON_HELPER_UNKNOWN;
	parsed = read_whole(path, &text, &length, &found, &err) == CORDON_OK && found &&
		 cordon_helper_owner_parse(text, length, &owner);
	if (parsed)
		probe = probe_process(owner.pid);
	free(text);
	free(path);
	return cordon_helper_liveness_of(parsed ? &owner : NULL, &probe);
}

bool win_grant_helper_running(void)
{
	char sid[CORDON_SID_STRING_MAX];
	char *grants_dir = NULL;
	cordon_sid user;
	cordon_error err = {0};
	bool running = false;

	if (win_current_user_sid(&user, &err) == CORDON_OK && cordon_sid_format(&user, sid, sizeof(sid)) &&
	    win_machine_grants_dir(&grants_dir, &err) == CORDON_OK)
		running = win_grant_helper_liveness_for(grants_dir, sid) == CORDON_HELPER_RUNNING;
	free(grants_dir);
	return running;
}

static void status_line(win_grant_status *status, const cordon_grant_coverage *coverage, const char *path)
{
	const char *finish =
		status->helper == CORDON_HELPER_RUNNING ? "try again in a moment"
		: status->helper == CORDON_HELPER_UNKNOWN
			? "whether the read-grant helper still runs cannot be checked: try again in a "
			  "moment, and "
			  "if that persists run 'cordon setup' again, as administrator"
			: "no helper is running: run 'cordon setup' again, as administrator, to finish them";

	switch (coverage->readiness) {
	case CORDON_GRANT_READY: status->line[0] = '\0'; break;
	case CORDON_GRANT_ANCESTORS_PENDING:
		snprintf(status->line, sizeof(status->line),
			 "the read grants above %s are still being applied (%lu of %lu done): the run goes "
			 "through "
			 "a junction meanwhile",
			 path, (unsigned long)status->done, (unsigned long)status->total);
		break;
	case CORDON_GRANT_PENDING:
		snprintf(status->line, sizeof(status->line),
			 "the sandbox accounts cannot read %s yet: the read grants are still being applied "
			 "(%lu of "
			 "%lu done); %s",
			 path, (unsigned long)status->done, (unsigned long)status->total, finish);
		break;
	case CORDON_GRANT_FAILED:
		snprintf(status->line, sizeof(status->line),
			 "the read grant on %s failed (%s): fix that and run 'cordon setup' again, as "
			 "administrator",
			 coverage->grant_path, coverage->failure);
		break;
	case CORDON_GRANT_NOT_PLANNED:
		snprintf(status->line, sizeof(status->line),
			 "no read grant covers %s: run 'cordon setup' again, as administrator, with it as a "
			 "root",
			 path);
		break;
	}
}

cordon_code win_grants_status_for(const char *state_dir, const char *path, win_grant_status *status,
				  cordon_error *err)
{
	char problem[CORDON_ERROR_MESSAGE_MAX], sid[CORDON_SID_STRING_MAX];
	char *grants_dir = NULL;
	cordon_setup_record record;
	cordon_grant_progress progress;
	cordon_grant_coverage coverage;
	cordon_sid user;
	bool found = false;
	cordon_code code;

	(void)state_dir; /* the files live under %ProgramData%\cordon\grants (machine_dir.h) */
	memset(status, 0, sizeof(*status));
	memset(&record, 0, sizeof(record));
	if (!path)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot tell the read grants' progress: no path given");
	code = win_current_user_sid(&user, err);
	if (code == CORDON_OK && !cordon_sid_format(&user, sid, sizeof(sid)))
		code = cordon_fail(err, CORDON_E_SYSTEM, "cannot spell this user's SID");
	if (code == CORDON_OK)
		code = win_machine_grants_dir(&grants_dir, err);
	if (code == CORDON_OK)
		code = load_record(grants_dir, sid, &record, &found, err);
	if (code == CORDON_OK && !found)
		code = cordon_fail(err, CORDON_E_STATE,
				   "elevated mode is not set up for this user: run 'cordon setup' once, as "
				   "administrator");
	if (code != CORDON_OK) {
		free(grants_dir);
		return code;
	}
	load_progress(grants_dir, sid, &progress, problem, sizeof(problem));
	coverage = cordon_grant_coverage_of(record.grants, record.grant_count, &progress, path);
	status->readiness = coverage.readiness;
	status->done = coverage.done;
	status->total = coverage.total;
	status->helper = win_grant_helper_liveness_for(grants_dir, sid);
	status->helper_running = status->helper == CORDON_HELPER_RUNNING;
	status_line(status, &coverage, path);
	cordon_grant_progress_free(&progress);
	cordon_setup_record_free(&record);
	free(grants_dir);
	return CORDON_OK;
}

bool win_grants_done_for(const char *state_dir, const char *path)
{
	win_grant_status status;
	cordon_error err = {0};

	return win_grants_status_for(state_dir, path, &status, &err) == CORDON_OK &&
	       status.readiness == CORDON_GRANT_READY;
}
