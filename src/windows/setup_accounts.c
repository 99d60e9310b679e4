/* The sandbox accounts and their group (account_plan.h), on the machine:
 * read them as they are, and apply one setup or uninstall step. Local
 * accounts only (every Net* call names the local machine by NULL). */
#include "windows/setup_internal.h"

#include <bcrypt.h>
#include <lm.h>
#include <sddl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/win_internal.h"

static const wchar_t hide_key[] =
	L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\SpecialAccounts"
	L"\\UserList";

/* The SID of this computer's account or group (local_account.c: never a
 * domain's of the same name, never another kind) as a string (LocalFree);
 * NULL when there is none, which the plans read as no SID. */
static char *local_sid_of(const char *name, cordon_name_use expected)
{
	cordon_sid sid;
	win_local_lookup found;
	char text[CORDON_SID_STRING_MAX];
	char *copy;

	if (!win_local_account_sid(name, expected, &sid, &found) ||
	    !cordon_sid_format(&sid, text, sizeof(text)))
		return NULL;
	copy = LocalAlloc(LMEM_FIXED, strlen(text) + 1);
	if (copy != NULL)
		memcpy(copy, text, strlen(text) + 1);
	return copy;
}

/* The localised name of BUILTIN\Users (allocated), NULL on failure. */
static wchar_t *users_group_name(void)
{
	PSID sid = NULL;
	wchar_t name[256], domain[256];
	DWORD name_size = 256, domain_size = 256;
	SID_NAME_USE use;
	wchar_t *copy = NULL;

	if (!ConvertStringSidToSidA(CORDON_USERS_GROUP, &sid))
		return NULL;
	if (LookupAccountSidW(NULL, sid, name, &name_size, domain, &domain_size, &use))
		copy = _wcsdup(name);
	LocalFree(sid);
	return copy;
}

static bool group_has_member(const wchar_t *group, const char *member_sid)
{
	LOCALGROUP_MEMBERS_INFO_0 *members = NULL;
	DWORD read = 0, total = 0;
	PSID wanted = NULL;
	bool found = false;

	if (!group || !member_sid || !ConvertStringSidToSidA(member_sid, &wanted))
		return false;
	if (NetLocalGroupGetMembers(NULL, group, 0, (BYTE **)&members, MAX_PREFERRED_LENGTH, &read, &total,
				    NULL) == NERR_Success) {
		for (DWORD i = 0; i < read && !found; i++)
			found = EqualSid(members[i].lgrmi0_sid, wanted);
	}
	if (members)
		NetApiBufferFree(members);
	LocalFree(wanted);
	return found;
}

static bool is_hidden(const wchar_t *account)
{
	DWORD value = 1, size = sizeof(value), type = 0;
	HKEY key;
	LSTATUS status;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, hide_key, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, &key) !=
	    ERROR_SUCCESS)
		return false;
	status = RegQueryValueExW(key, account, NULL, &type, (BYTE *)&value, &size);
	RegCloseKey(key);
	return status == ERROR_SUCCESS && type == REG_DWORD && size == sizeof(value) && value == 0;
}

/* The SID of a local or built-in group by the name NetUserGetLocalGroups
 * gives (unqualified: BUILTIN\Users is not COMPUTER\Users), LocalFree;
 * NULL when unknown. Not local_sid_of's rule on purpose: the name is one
 * this machine just listed, and a name the local system resolves is never
 * looked for in a domain. */
static char *group_sid_of(const wchar_t *name)
{
	BYTE sid[SECURITY_MAX_SID_SIZE];
	DWORD sid_size = sizeof(sid);
	wchar_t domain[256];
	DWORD domain_size = sizeof(domain) / sizeof(domain[0]);
	SID_NAME_USE use;
	char *text = NULL;

	if (!LookupAccountNameW(NULL, name, sid, &sid_size, domain, &domain_size, &use))
		return NULL;
	if (!ConvertSidToStringSidA(sid, &text))
		return NULL;
	return text;
}

/* A sandbox account must hold no rights beyond BUILTIN\Users and its own
 * group: an account of that name that is also, say, in Administrators
 * (made by someone else, or added later) would run every command with
 * those rights. Fills group_name with the first other local group,
 * directly or through nesting; false when the groups cannot be read. */
static bool account_groups_allowed(const wchar_t *account, const char *sandbox_group_sid, wchar_t *group_name,
				   size_t group_name_size, DWORD *status)
{
	LOCALGROUP_USERS_INFO_0 *groups = NULL;
	DWORD read = 0, total = 0;
	bool allowed = true;

	group_name[0] = L'\0';
	*status = NetUserGetLocalGroups(NULL, account, 0, LG_INCLUDE_INDIRECT, (BYTE **)&groups,
					MAX_PREFERRED_LENGTH, &read, &total);
	if (*status != NERR_Success) {
		if (groups)
			NetApiBufferFree(groups);
		return false;
	}
	for (DWORD i = 0; i < read && allowed; i++) {
		char *sid = group_sid_of(groups[i].lgrui0_name);
		bool ours =
			sid != NULL && (strcmp(sid, CORDON_USERS_GROUP) == 0 ||
					(sandbox_group_sid != NULL && strcmp(sid, sandbox_group_sid) == 0));
		if (!ours) {
			allowed = false;
			_snwprintf(group_name, group_name_size, L"%ls", groups[i].lgrui0_name);
			group_name[group_name_size - 1] = L'\0';
		}
		LocalFree(sid);
	}
	if (groups)
		NetApiBufferFree(groups);
	return allowed;
}

cordon_code win_accounts_check_groups(const win_accounts_read *read, cordon_error *err)
{
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		const cordon_account_spec *spec = cordon_account_spec_of((cordon_sandbox_account)i);
		wchar_t other[256];
		DWORD status = NERR_Success;
		wchar_t *name;
		bool allowed;

		if (!read->state.accounts[i].exists)
			continue;
		name = win_wide(spec->name);
		if (!name)
			return cordon_fail(err, CORDON_E_NOMEM,
					   "cannot read the sandbox accounts: out of memory");
		allowed = account_groups_allowed(name, read->group_sid, other,
						 sizeof(other) / sizeof(other[0]), &status);
		free(name);
		if (allowed)
			continue;
		if (status != NERR_Success)
			return win_fail(
				err, status,
				"cannot read the local groups of the account %s, so cordon cannot tell "
				"whether it holds rights beyond a sandbox account's; nothing was run or "
				"changed",
				spec->name);
		char *shown = win_utf8(other, -1);
		cordon_code code = cordon_fail(
			err, CORDON_E_STATE,
			"the local account %s is a member of the group %s, and a sandbox account must hold "
			"no "
			"rights beyond Users and %s; nothing was run or changed; remove it from that group "
			"(or "
			"delete the account if cordon did not make it) and run 'cordon setup' again",
			spec->name, shown ? shown : "(unnamed)", CORDON_SANDBOX_GROUP);
		free(shown);
		return code;
	}
	return CORDON_OK;
}

void win_accounts_read_free(win_accounts_read *read)
{
	LocalFree(read->group_sid);
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++)
		LocalFree(read->account_sids[i]);
	memset(read, 0, sizeof(*read));
}

cordon_code win_accounts_read_now(const char *state_dir, win_accounts_read *out, cordon_error *err)
{
	wchar_t *group = win_wide(CORDON_SANDBOX_GROUP);
	wchar_t *users = users_group_name();
	LOCALGROUP_INFO_1 *group_info = NULL;
	NET_API_STATUS status;

	memset(out, 0, sizeof(*out));
	if (!group) {
		free(users);
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read the sandbox accounts: out of memory");
	}
	status = NetLocalGroupGetInfo(NULL, group, 1, (BYTE **)&group_info);
	if (group_info)
		NetApiBufferFree(group_info);
	if (status == NERR_Success) {
		out->state.group_exists = true;
		out->group_sid = local_sid_of(CORDON_SANDBOX_GROUP, CORDON_NAME_ALIAS);
		out->state.group_sid = out->group_sid;
	} else if (status != NERR_GroupNotFound && status != ERROR_NO_SUCH_ALIAS) {
		free(group);
		free(users);
		return win_fail(err, status, "cannot read the local group %s", CORDON_SANDBOX_GROUP);
	}
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		const cordon_account_spec *spec = cordon_account_spec_of((cordon_sandbox_account)i);
		cordon_account_state *account = &out->state.accounts[i];
		wchar_t *name = win_wide(spec->name);
		USER_INFO_1 *info = NULL;

		if (!name) {
			status = ERROR_NOT_ENOUGH_MEMORY;
			break;
		}
		status = NetUserGetInfo(NULL, name, 1, (BYTE **)&info);
		if (status == NERR_Success) {
			account->exists = true;
			account->flags = info->usri1_flags;
			out->account_sids[i] = local_sid_of(spec->name, CORDON_NAME_USER);
			account->sid = out->account_sids[i];
			account->in_group = out->state.group_exists && group_has_member(group, account->sid);
			account->in_users = group_has_member(users, account->sid);
			account->hidden = is_hidden(name);
		} else if (status == NERR_UserNotFound) {
			status = NERR_Success;
		}
		if (info)
			NetApiBufferFree(info);
		account->credential_stored = win_setup_password_stored(state_dir, (cordon_sandbox_account)i);
		free(name);
		if (status != NERR_Success) {
			free(group);
			free(users);
			win_accounts_read_free(out);
			return win_fail(err, status, "cannot read the local account %s", spec->name);
		}
	}
	free(group);
	free(users);
	return CORDON_OK;
}

/* ------------------------------------------------------------- applying */

/* Every class Windows' complexity rule counts, so a password policy that
 * demands it is met; rejection sampling keeps the choice uniform. */
static const char password_alphabet[] =
	"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+-.:=?@_~";

static bool random_char_in(const char *set, size_t set_length, wchar_t *out)
{
	BYTE byte;
	size_t limit = 256 - 256 % set_length;

	do {
		if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, &byte, 1, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
			return false;
	} while (byte >= limit);
	*out = (wchar_t)set[byte % set_length];
	return true;
}

/* A new random password of CORDON_ACCOUNT_PASSWORD_LENGTH characters. */
static bool make_password(wchar_t out[CORDON_ACCOUNT_PASSWORD_LENGTH + 1])
{
	static const char *const classes[] = {"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz",
					      "23456789", "!#%+-.:=?@_~"};
	size_t i;

	for (i = 0; i < 4; i++)
		if (!random_char_in(classes[i], strlen(classes[i]), &out[i]))
			return false;
	for (; i < CORDON_ACCOUNT_PASSWORD_LENGTH; i++)
		if (!random_char_in(password_alphabet, sizeof(password_alphabet) - 1, &out[i]))
			return false;
	out[i] = L'\0';
	return true;
}

static cordon_code net_fail(cordon_error *err, NET_API_STATUS status, const char *what, const char *name)
{
	return win_fail(err, status, "cannot %s %s", what, name);
}

static cordon_code create_group(cordon_error *err)
{
	wchar_t *name = win_wide(CORDON_SANDBOX_GROUP), *comment = win_wide(cordon_group_description());
	LOCALGROUP_INFO_1 info = {name, comment};
	NET_API_STATUS status =
		name && comment ? NetLocalGroupAdd(NULL, 1, (BYTE *)&info, NULL) : ERROR_NOT_ENOUGH_MEMORY;

	free(name);
	free(comment);
	if (status == NERR_Success || status == NERR_GroupExists || status == ERROR_ALIAS_EXISTS)
		return CORDON_OK;
	return net_fail(err, status, "create the local group", CORDON_SANDBOX_GROUP);
}

/* Creates the account, or (reset) gives it a new password, and stores the
 * password first: an account whose password cordon cannot recover is
 * useless, and a second run resets it. */
static cordon_code create_or_reset(const char *state_dir, const cordon_account_spec *spec, bool reset,
				   cordon_error *err)
{
	wchar_t password[CORDON_ACCOUNT_PASSWORD_LENGTH + 1];
	wchar_t *name = win_wide(spec->name), *comment = win_wide(spec->description);
	NET_API_STATUS status = ERROR_NOT_ENOUGH_MEMORY;
	cordon_code code = CORDON_OK;

	if (!make_password(password)) {
		code = cordon_fail(err, CORDON_E_SYSTEM,
				   "cannot make a password for %s: the system random source failed",
				   spec->name);
		goto out;
	}
	if (name && comment) {
		if (reset) {
			USER_INFO_1003 info = {password};

			status = NetUserSetInfo(NULL, name, 1003, (BYTE *)&info, NULL);
		} else {
			USER_INFO_1 info;

			memset(&info, 0, sizeof(info));
			info.usri1_name = name;
			info.usri1_password = password;
			info.usri1_priv = USER_PRIV_USER;
			info.usri1_comment = comment;
			info.usri1_flags = spec->flags;
			/* Level 1 has no full name; the description (comment)
			 * says what the account is for. */
			status = NetUserAdd(NULL, 1, (BYTE *)&info, NULL);
		}
	}
	if (status != NERR_Success) {
		code = net_fail(err, status, reset ? "set a new password for" : "create the local account",
				spec->name);
		goto out;
	}
	code = win_setup_password_store(state_dir, spec->which, password, err);
out:
	SecureZeroMemory(password, sizeof(password));
	free(name);
	free(comment);
	return code;
}

static cordon_code set_flags(const cordon_account_spec *spec, cordon_error *err)
{
	wchar_t *name = win_wide(spec->name);
	USER_INFO_1008 info = {spec->flags};
	NET_API_STATUS status =
		name ? NetUserSetInfo(NULL, name, 1008, (BYTE *)&info, NULL) : ERROR_NOT_ENOUGH_MEMORY;

	free(name);
	return status == NERR_Success ? CORDON_OK : net_fail(err, status, "set the flags of", spec->name);
}

static cordon_code add_to_group(const wchar_t *group, const char *group_shown,
				const cordon_account_spec *spec, cordon_error *err)
{
	wchar_t *name = win_wide(spec->name);
	LOCALGROUP_MEMBERS_INFO_3 member = {name};
	NET_API_STATUS status = name && group ? NetLocalGroupAddMembers(NULL, group, 3, (BYTE *)&member, 1)
					      : ERROR_NOT_ENOUGH_MEMORY;

	free(name);
	if (status == NERR_Success || status == ERROR_MEMBER_IN_ALIAS)
		return CORDON_OK;
	return win_fail(err, status, "cannot add %s to the group %s", spec->name, group_shown);
}

static cordon_code set_hidden(const cordon_account_spec *spec, bool hide, cordon_error *err)
{
	wchar_t *name = win_wide(spec->name);
	DWORD zero = 0;
	HKEY key;
	LSTATUS status;

	if (!name)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot hide %s: out of memory", spec->name);
	if (hide)
		status = RegCreateKeyExW(HKEY_LOCAL_MACHINE, hide_key, 0, NULL, 0,
					 KEY_SET_VALUE | KEY_WOW64_64KEY, NULL, &key, NULL);
	else
		status =
			RegOpenKeyExW(HKEY_LOCAL_MACHINE, hide_key, 0, KEY_SET_VALUE | KEY_WOW64_64KEY, &key);
	if (status == ERROR_SUCCESS) {
		status = hide ? RegSetValueExW(key, name, 0, REG_DWORD, (const BYTE *)&zero, sizeof(zero))
			      : RegDeleteValueW(key, name);
		RegCloseKey(key);
	}
	free(name);
	if (status == ERROR_SUCCESS || (!hide && status == ERROR_FILE_NOT_FOUND))
		return CORDON_OK;
	return win_fail(err, (DWORD)status, "cannot %s %s on the sign-in screen (the value %s under %s)",
			hide ? "hide" : "show", spec->name, spec->name, CORDON_HIDE_ACCOUNTS_KEY);
}

static cordon_code delete_account(const cordon_account_spec *spec, cordon_error *err)
{
	wchar_t *name = win_wide(spec->name);
	NET_API_STATUS status = name ? NetUserDel(NULL, name) : ERROR_NOT_ENOUGH_MEMORY;

	free(name);
	if (status == NERR_Success || status == NERR_UserNotFound)
		return CORDON_OK;
	return net_fail(err, status, "delete the local account", spec->name);
}

static cordon_code delete_group(cordon_error *err)
{
	wchar_t *name = win_wide(CORDON_SANDBOX_GROUP);
	NET_API_STATUS status = name ? NetLocalGroupDel(NULL, name) : ERROR_NOT_ENOUGH_MEMORY;

	free(name);
	if (status == NERR_Success || status == NERR_GroupNotFound || status == ERROR_NO_SUCH_ALIAS)
		return CORDON_OK;
	return net_fail(err, status, "delete the local group", CORDON_SANDBOX_GROUP);
}

cordon_code win_account_step_apply(const char *state_dir, const cordon_account_step *step, cordon_error *err)
{
	const cordon_account_spec *spec = cordon_account_spec_of(step->which);
	wchar_t *group;
	cordon_code code;

	switch (step->kind) {
	case CORDON_ACCOUNT_CREATE_GROUP: return create_group(err);
	case CORDON_ACCOUNT_CREATE: return create_or_reset(state_dir, spec, false, err);
	case CORDON_ACCOUNT_RESET_PASSWORD: return create_or_reset(state_dir, spec, true, err);
	case CORDON_ACCOUNT_SET_FLAGS: return set_flags(spec, err);
	case CORDON_ACCOUNT_ADD_TO_GROUP:
		group = win_wide(CORDON_SANDBOX_GROUP);
		code = add_to_group(group, CORDON_SANDBOX_GROUP, spec, err);
		free(group);
		return code;
	case CORDON_ACCOUNT_ADD_TO_USERS:
		group = users_group_name();
		code = add_to_group(group, "Users (S-1-5-32-545)", spec, err);
		free(group);
		return code;
	case CORDON_ACCOUNT_HIDE: return set_hidden(spec, true, err);
	case CORDON_ACCOUNT_UNHIDE: return set_hidden(spec, false, err);
	case CORDON_ACCOUNT_FORGET_CREDENTIAL: return win_setup_password_forget(state_dir, step->which, err);
	case CORDON_ACCOUNT_DELETE: return delete_account(spec, err);
	case CORDON_ACCOUNT_DELETE_GROUP: return delete_group(err);
	}
	return cordon_fail(err, CORDON_E_INVALID, "cannot apply an unknown account step");
}
