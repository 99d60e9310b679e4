/* Plumbing of the Win32 ACL port, run under Wine (it proves no
 * confinement: Wine stores no file DACLs and enforces none).
 *
 * 1. The ACL bytes the port builds say what the plan's ACEs say: built,
 *    rendered as SDDL and parsed back by Windows' own (Rtl) code, read
 *    back as the port reads DACLs, and compared ACE by ACE.
 * 2. cordon_win_acl_prepare runs end to end on a real directory tree:
 *    the secret is made once (32 bytes) and reused, the tree is walked
 *    and the record written and read back. The descriptor count is
 *    printed, not asserted: under Wine every DACL read is synthetic, so
 *    a warm run is not expected to write nothing there.
 *
 * Build (mingw build of cordon in $B):
 *   x86_64-w64-mingw32-gcc -std=gnu11 -DUNICODE -D_UNICODE -D_WIN32_WINNT=0x0A00 -Iinclude -Isrc \
 *     tests/wine/acl_port_plumbing.c $B/libcordon.a -ladvapi32 -o $B/acl_port_plumbing.exe
 * Run: WINEPREFIX=<own prefix> WINEDEBUG=-all timeout 120 wine $B/acl_port_plumbing.exe
 * Prints "plumbing: N passed, M failed"; exit status 1 on any failure. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/winpath.h"
#include "windows/acl_prepare.h"
#include "windows/plan/acl_plan.h"

static int passed, failed;

static void check(bool ok, const char *what)
{
	printf("plumbing: %s: %s\n", ok ? "ok" : "FAILED", what);
	if (ok)
		passed++;
	else
		failed++;
}

static cordon_sid sid_of(const char *text)
{
	cordon_sid sid;

	if (!cordon_sid_parse(text, &sid))
		abort();
	return sid;
}

static void check_acl_bytes(void)
{
	cordon_sid sandbox = sid_of("S-1-5-21-11-22-33-44"), workspace = sid_of("S-1-5-21-55-66-77-88");
	cordon_sid user = sid_of("S-1-5-21-1-2-3-1001"), everyone = cordon_sid_everyone();
	const uint8_t oici = CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT;
	cordon_ace aces[] = {
		cordon_ace_make(CORDON_ACE_DENY, oici, CORDON_WRITE_RIGHTS, &sandbox),
		cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_ROOT_ALLOW_RIGHTS & ~CORDON_DELETE, &workspace),
		cordon_ace_make(CORDON_ACE_ALLOW, oici | CORDON_ACE_INHERIT_ONLY, CORDON_ROOT_ALLOW_RIGHTS,
				&workspace),
		cordon_ace_make(CORDON_ACE_ALLOW, oici | CORDON_ACE_INHERITED, CORDON_FILE_ALL_ACCESS, &user),
		cordon_ace_make(CORDON_ACE_ALLOW, CORDON_ACE_INHERITED, CORDON_GENERIC_READ, &everyone),
	};
	size_t count = sizeof(aces) / sizeof(aces[0]);
	cordon_fs_dacl back;
	char *sddl = NULL;
	cordon_error err;
	bool same;

	if (cordon_win_dacl_round_trip(aces, count, &sddl, &back, &err) != CORDON_OK) {
		printf("plumbing: %s\n", err.message);
		check(false, "ACL bytes round trip");
		return;
	}
	printf("plumbing: SDDL %s\n", sddl);
	same = back.present && back.dacl_protected && !back.has_unknown_aces && back.ace_count == count;
	for (size_t i = 0; same && i < count; i++)
		same = cordon_ace_equal(&aces[i], &back.aces[i]);
	check(same, "ACL bytes built from the plan's ACEs read back as the same ACEs, in order");
	free(sddl);
	cordon_fs_dacl_free(&back);
}

static char *temp_dir_utf8(void)
{
	wchar_t wide[MAX_PATH + 1];
	char utf8[4 * MAX_PATH];
	DWORD length = GetTempPathW(MAX_PATH, wide);
	char *stream = NULL, *canonical;

	if (length == 0 || length > MAX_PATH)
		return NULL;
	if (!WideCharToMultiByte(CP_UTF8, 0, wide, -1, utf8, sizeof(utf8), NULL, NULL))
		return NULL;
	canonical = winpath_canonical(utf8, NULL, &stream);
	free(stream);
	return canonical;
}

static bool make_dir(const char *path)
{
	return CreateDirectoryA(path, NULL) || GetLastError() == ERROR_ALREADY_EXISTS;
}

static bool make_file(const char *path, const char *text)
{
	HANDLE file = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	DWORD written = 0;
	bool ok;

	if (file == INVALID_HANDLE_VALUE)
		return false;
	ok = WriteFile(file, text, (DWORD)strlen(text), &written, NULL) && written == strlen(text);
	CloseHandle(file);
	return ok;
}

static void check_prepare(void)
{
	char *temp = temp_dir_utf8();
	char base[512], ws[600], state[600], path[700], gitdir_line[700];
	const char *protected_names[] = {".git", ".codex"};
	cordon_acl_root roots[1];
	cordon_win_acl_request request;
	cordon_win_acl_outcome first, second;
	cordon_error err;
	cordon_code code;
	HANDLE secret;
	LARGE_INTEGER size;

	if (!temp) {
		check(false, "temp directory");
		return;
	}
	snprintf(base, sizeof(base), "%s\\cordon-acl-plumbing-%lu-%llu", temp,
		 (unsigned long)GetCurrentProcessId(), (unsigned long long)GetTickCount64());
	free(temp);
	snprintf(ws, sizeof(ws), "%s\\ws", base);
	snprintf(state, sizeof(state), "%s\\state", base);
	make_dir(base);
	make_dir(ws);
	snprintf(path, sizeof(path), "%s\\.git", ws);
	make_dir(path);
	snprintf(path, sizeof(path), "%s\\src", ws);
	make_dir(path);
	snprintf(path, sizeof(path), "%s\\src\\a.txt", ws);
	make_file(path, "a\n");
	snprintf(path, sizeof(path), "%s\\gitdirs", base);
	make_dir(path);
	snprintf(path, sizeof(path), "%s\\gitdirs\\wt", base);
	make_dir(path);
	snprintf(path, sizeof(path), "%s\\wt", ws);
	make_dir(path);
	snprintf(path, sizeof(path), "%s\\wt\\.git", ws);
	snprintf(gitdir_line, sizeof(gitdir_line), "gitdir: %s\\gitdirs\\wt\n", base);
	check(make_file(path, gitdir_line), "test tree made");

	roots[0].path = ws;
	roots[0].kind = CORDON_ROOT_WORKSPACE;
	memset(&request, 0, sizeof(request));
	request.mode = CORDON_MODE_WORKSPACE_WRITE;
	request.workspace = ws;
	request.roots = roots;
	request.root_count = 1;
	request.protected_names = protected_names;
	request.protected_count = 2;
	request.state_dir = state;
	request.audit_max_entries = 1000;

	code = cordon_win_acl_prepare(&request, &first, &err);
	if (code != CORDON_OK)
		printf("plumbing: first run: %s\n", err.message);
	check(code == CORDON_OK, "first run completes");
	check(first.secret_created, "first run makes the secret");
	check(first.applied.entries_snapshotted >= 4,
	      "snapshot holds the root, .git, wt\\.git and the gitdir");
	printf("plumbing: first run: %lu entries, %lu changes, %lu descriptors written\n",
	       (unsigned long)first.applied.entries_snapshotted, (unsigned long)first.applied.changes_planned,
	       (unsigned long)first.applied.descriptors_written);
	code = cordon_win_acl_prepare(&request, &second, &err);
	if (code != CORDON_OK)
		printf("plumbing: second run: %s\n", err.message);
	check(code == CORDON_OK, "second run completes");
	check(!second.secret_created, "second run reuses the secret");
	check(second.applied.record_found, "second run reads the record the first wrote");
	check(cordon_sid_equal(&first.workspace_sid, &second.workspace_sid), "same workspace SID both runs");
	printf("plumbing: second run: %lu descriptors written (Wine stores no DACLs: not a warm-run check)\n",
	       (unsigned long)second.applied.descriptors_written);
	snprintf(path, sizeof(path), "%s\\capsid-secret", state);
	secret = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	check(secret != INVALID_HANDLE_VALUE && GetFileSizeEx(secret, &size) && size.QuadPart == 32,
	      "the secret file holds 32 bytes");
	if (secret != INVALID_HANDLE_VALUE)
		CloseHandle(secret);
	cordon_win_acl_outcome_free(&first);
	cordon_win_acl_outcome_free(&second);
}

int main(void)
{
	check_acl_bytes();
	check_prepare();
	printf("plumbing: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
