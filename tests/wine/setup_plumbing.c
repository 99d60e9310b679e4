/* Plumbing of `cordon setup`'s Windows layer under Wine, linked against
 * libcordon.a (tests/wine/setup_plumbing.sh builds and runs it). Wine
 * implements DPAPI's round trip (with a key that is not secret) and keeps
 * NetUserAdd's accounts in a per-process list, so this shows the calls are
 * made and their results read back, nothing about Windows' protection.
 *
 *   setup_plumbing.exe store STATE_DIR   DPAPI store/load/forget, record
 *                                        save/load/remove, account steps
 *   setup_plumbing.exe limited CMDLINE   runs CMDLINE with this process's
 *                                        linked (non-elevated) token and
 *                                        exits with its exit code
 * Every line says "plumbing". Exit 0 when every check passed. */
#include <windows.h>

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "windows/setup_internal.h"

static int failures;

static void check(bool ok, const char *what)
{
	printf("%s - plumbing (Wine): %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

static void check_passwords(const char *state_dir)
{
	const wchar_t secret[] = L"Aa3!plumbing-only-password-xyz";
	wchar_t *back = NULL;
	cordon_error err = {0};

	check(win_setup_dir_make(state_dir, &err) == CORDON_OK,
	      "the setup folder is made (its DACL: Windows host only)");
	check(win_setup_password_store(state_dir, CORDON_ACCOUNT_OFFLINE, secret, &err) == CORDON_OK,
	      "CryptProtectData stores the offline password in offline.dpapi");
	check(win_setup_password_stored(state_dir, CORDON_ACCOUNT_OFFLINE), "  ... the file is there");
	check(win_setup_password_load(state_dir, CORDON_ACCOUNT_OFFLINE, &back, &err) == CORDON_OK && back &&
		      wcscmp(back, secret) == 0,
	      "  ... and CryptUnprotectData gives the same password back (Wine's key is not secret)");
	win_setup_password_free(back);
	back = NULL;
	check(win_setup_password_forget(state_dir, CORDON_ACCOUNT_OFFLINE, &err) == CORDON_OK &&
		      !win_setup_password_stored(state_dir, CORDON_ACCOUNT_OFFLINE),
	      "forgetting the password removes the file");
	check(win_setup_password_load(state_dir, CORDON_ACCOUNT_OFFLINE, &back, &err) ==
			      CORDON_E_UNSUPPORTED &&
		      strstr(err.message, "'cordon setup'") != NULL && back == NULL,
	      "  ... and loading it then refuses, naming 'cordon setup'");
}

static void check_record(const char *state_dir)
{
	static const cordon_profile_entry entries[] = {{"Documents", true, false}, {".ssh", true, false}};
	static const char *const stores[] = {".ssh"};
	static const char *const roots[] = {"D:\\work"};
	cordon_setup_inputs inputs;
	cordon_setup_state fresh;
	cordon_setup_plan plan;
	cordon_setup_record record, back;
	cordon_error err = {0};
	bool found = true;

	memset(&inputs, 0, sizeof(inputs));
	memset(&fresh, 0, sizeof(fresh));
	inputs.profile_dir = "C:\\Users\\plumbing";
	inputs.profile_entries = entries;
	inputs.profile_entry_count = 2;
	inputs.credential_stores = stores;
	inputs.credential_store_count = 1;
	inputs.roots = roots;
	inputs.root_count = 1;
	inputs.proxy_port = 3128;
	check(cordon_setup_plan_build(&inputs, &fresh, &plan, &err) == CORDON_OK &&
		      cordon_setup_record_from_plan(&plan, &inputs, &record, &err) == CORDON_OK,
	      "a record is made from a plan");
	check(win_setup_record_save(state_dir, &record, &err) == CORDON_OK,
	      "the record is written through a temporary file and MoveFileEx");
	check(win_setup_record_load(state_dir, &back, &found, &err) == CORDON_OK && found &&
		      strcmp(back.fingerprint, record.fingerprint) == 0 &&
		      back.grant_count == record.grant_count,
	      "  ... and read back with the same fingerprint and grants");
	cordon_setup_record_free(&back);
	check(win_setup_record_remove(state_dir, &err) == CORDON_OK &&
		      win_setup_record_load(state_dir, &back, &found, &err) == CORDON_OK && !found,
	      "removing the record leaves no record");
	cordon_setup_record_free(&record);
	cordon_setup_plan_free(&plan);
}

/* Wine keeps NetUserAdd's accounts in this process only. */
static void check_accounts(const char *state_dir)
{
	win_accounts_read before, after;
	cordon_account_step group = {CORDON_ACCOUNT_CREATE_GROUP, CORDON_SANDBOX_GROUP,
				     CORDON_ACCOUNT_OFFLINE};
	cordon_account_step create = {CORDON_ACCOUNT_CREATE, CORDON_OFFLINE_ACCOUNT, CORDON_ACCOUNT_OFFLINE};
	cordon_account_step remove = {CORDON_ACCOUNT_DELETE, CORDON_OFFLINE_ACCOUNT, CORDON_ACCOUNT_OFFLINE};
	cordon_error err = {0};

	check(win_accounts_read_now(state_dir, &before, &err) == CORDON_OK &&
		      !before.state.accounts[CORDON_ACCOUNT_OFFLINE].exists,
	      "the accounts are read: the offline account does not exist yet");
	win_accounts_read_free(&before);
	check(win_account_step_apply(state_dir, &group, &err) == CORDON_OK,
	      "NetLocalGroupAdd makes the group");
	check(win_account_step_apply(state_dir, &create, &err) == CORDON_OK,
	      "NetUserAdd makes the offline account with a random password, stored with DPAPI");
	/* Wine's NetUserGetInfo gives flags 0 for the accounts it keeps:
	 * that the flags hold is for a Windows host. */
	cordon_code read = win_accounts_read_now(state_dir, &after, &err);
	if (read != CORDON_OK)
		printf("# read back failed: %s\n", err.message);
	check(read == CORDON_OK && after.state.accounts[CORDON_ACCOUNT_OFFLINE].exists &&
		      after.state.accounts[CORDON_ACCOUNT_OFFLINE].credential_stored,
	      "  ... read back: it exists and its password is stored");
	/* Wine's NetUserGetLocalGroups knows only the logged-on user: the
	 * check of the account's groups cannot read them and must refuse,
	 * never assume (that it refuses an account in Administrators is for
	 * a Windows host). */
	if (read == CORDON_OK) {
		cordon_error groups_err = {0};
		check(win_accounts_check_groups(&after, &groups_err) != CORDON_OK &&
			      strstr(groups_err.message,
				     "cannot read the local groups of the account " CORDON_OFFLINE_ACCOUNT) !=
				      NULL,
		      "  ... its groups unreadable under Wine: the groups check refuses, naming the account");
	}
	printf("# read back: flags 0x%lx (the plan's 0x%lx; Wine does not keep them)\n",
	       (unsigned long)after.state.accounts[CORDON_ACCOUNT_OFFLINE].flags,
	       (unsigned long)CORDON_ACCOUNT_FLAGS);
	win_accounts_read_free(&after);
	check(win_account_step_apply(state_dir, &remove, &err) == CORDON_OK, "NetUserDel removes it");
	check(win_setup_password_forget(state_dir, CORDON_ACCOUNT_OFFLINE, &err) == CORDON_OK,
	      "  ... and its password file");
}

static int run_limited(wchar_t *command_line)
{
	HANDLE own = NULL, primary = NULL;
	TOKEN_LINKED_TOKEN linked = {0};
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	DWORD length = 0, code = 1;

	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &own) ||
	    !GetTokenInformation(own, TokenLinkedToken, &linked, sizeof(linked), &length) ||
	    !DuplicateTokenEx(linked.LinkedToken, MAXIMUM_ALLOWED, NULL, SecurityImpersonation, TokenPrimary,
			      &primary)) {
		fprintf(stderr, "no linked token (Windows error %lu)\n", (unsigned long)GetLastError());
		return 77;
	}
	if (!CreateProcessAsUserW(primary, NULL, command_line, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
		return 78;
	WaitForSingleObject(pi.hProcess, INFINITE);
	GetExitCodeProcess(pi.hProcess, &code);
	return (int)code;
}

int wmain(int argc, wchar_t **argv)
{
	char state_dir[MAX_PATH * 3];

	if (argc == 3 && wcscmp(argv[1], L"limited") == 0)
		return run_limited(argv[2]);
	if (argc != 3 || wcscmp(argv[1], L"store") != 0 ||
	    !WideCharToMultiByte(CP_UTF8, 0, argv[2], -1, state_dir, sizeof(state_dir), NULL, NULL)) {
		fprintf(stderr, "usage: setup_plumbing.exe store STATE_DIR | limited COMMAND_LINE\n");
		return 2;
	}
	check_passwords(state_dir);
	check_record(state_dir);
	check_accounts(state_dir);
	return failures ? 1 : 0;
}
