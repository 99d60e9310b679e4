/* The command's token in restricted-token mode: CreateRestrictedToken on
 * cordon's own token, as the token plan (src/windows/plan/token_plan.h)
 * says: write-restricted, every privilege but SeChangeNotifyPrivilege
 * removed, the capability SIDs, the run's own SID, the logon SID and
 * Everyone as restricting SIDs, and a default DACL for the objects the
 * command creates. Under Wine the
 * restricting SIDs and WRITE_RESTRICTED are accepted and ignored, so a
 * Wine run proves only that this code runs. */
#include "windows/win_internal.h"

#include <bcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/plan/sid.h"
#include "windows/plan/token_plan.h"

cordon_sid win_sid_from_windows(PSID sid)
{
	PSID_IDENTIFIER_AUTHORITY authority = GetSidIdentifierAuthority(sid);
	uint64_t value = 0;
	uint32_t sub[CORDON_SID_MAX_SUB_AUTHORITIES];
	size_t count = *GetSidSubAuthorityCount(sid);

	for (int i = 0; i < 6; i++)
		value = (value << 8) | authority->Value[i];
	if (count > CORDON_SID_MAX_SUB_AUTHORITIES)
		count = CORDON_SID_MAX_SUB_AUTHORITIES;
	for (size_t i = 0; i < count; i++)
		sub[i] = *GetSidSubAuthority(sid, (DWORD)i);
	return cordon_sid_make(value, count, sub);
}

PSID win_sid_to_windows(const cordon_sid *sid)
{
	SID_IDENTIFIER_AUTHORITY authority;
	PSID out = malloc(GetSidLengthRequired(sid->sub_count));
	if (out == NULL)
		return NULL;
	for (int i = 0; i < 6; i++)
		authority.Value[i] = (BYTE)(sid->authority >> (8 * (5 - i)));
	if (!InitializeSid(out, &authority, sid->sub_count)) {
		free(out);
		return NULL;
	}
	for (DWORD i = 0; i < sid->sub_count; i++)
		*GetSidSubAuthority(out, i) = sid->sub[i];
	return out;
}

/* The user's SID and this logon session's SID from cordon's own token. */
cordon_code win_token_user(HANDLE token, const char *whose, cordon_sid *user, cordon_error *err)
{
	DWORD length = 0;
	unsigned char buffer[256];
	if (!GetTokenInformation(token, TokenUser, buffer, sizeof(buffer), &length))
		return win_fail(err, GetLastError(), "cannot read the user of %s", whose);
	*user = win_sid_from_windows(((TOKEN_USER *)buffer)->User.Sid);
	return CORDON_OK;
}

static cordon_code read_identity(HANDLE token, cordon_sid *user, cordon_sid *logon, cordon_error *err)
{
	DWORD length = 0;
	cordon_code code = win_token_user(token, "cordon's own token", user, err);
	if (code != CORDON_OK)
		return code;

	GetTokenInformation(token, TokenGroups, NULL, 0, &length);
	TOKEN_GROUPS *groups = malloc(length ? length : 1);
	if (groups == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while reading cordon's token");
	if (!GetTokenInformation(token, TokenGroups, groups, length, &length)) {
		DWORD error = GetLastError();
		free(groups);
		return win_fail(err, error, "cannot read the groups of cordon's own token");
	}
	bool found = false;
	for (DWORD i = 0; i < groups->GroupCount && !found; i++) {
		if ((groups->Groups[i].Attributes & SE_GROUP_LOGON_ID) == SE_GROUP_LOGON_ID) {
			*logon = win_sid_from_windows(groups->Groups[i].Sid);
			found = true;
		}
	}
	free(groups);
	if (!found)
		return cordon_fail(err, CORDON_E_UNSUPPORTED,
				   "cannot restrict the command's token: cordon's own token has no logon SID "
				   "(is cordon running as a service?); nothing was run; run cordon from an "
				   "interactive logon");
	return CORDON_OK;
}

bool win_random_sid(cordon_sid *out)
{
	uint32_t sub[5] = {21, 0, 0, 0, 0};
	if (BCryptGenRandom(NULL, (PUCHAR)&sub[1], 4 * sizeof(uint32_t), BCRYPT_USE_SYSTEM_PREFERRED_RNG) !=
	    0)
		return false;
	*out = cordon_sid_make(5, 5, sub);
	return true;
}

static cordon_code plan_token(cordon_mode mode, bool has_shared_roots, const cordon_win_acl_outcome *acl,
			      HANDLE own, cordon_token_plan *plan, cordon_error *err)
{
	cordon_token_inputs inputs = {0};
	cordon_code code = read_identity(own, &inputs.user, &inputs.logon, err);
	if (code != CORDON_OK)
		return code;
	/* One per token, so one per run: the runner and cordon each make one
	 * token per command. */
	if (!win_random_sid(&inputs.run))
		return cordon_fail(err, CORDON_E_SYSTEM,
				   "cannot make the run's own SID: the system's random number generator "
				   "failed; nothing was run");
	inputs.mode = mode;
	inputs.has_shared_roots = has_shared_roots;
	/* The SIDs the ACLs were just written for, from the one per-install
	 * secret (acl_prepare.h). */
	inputs.workspace = acl->workspace_sid;
	inputs.shared = acl->shared_sid;
	inputs.sandbox = acl->sandbox_sid;
	inputs.readonly = acl->readonly_sid;
	return cordon_token_plan_build(&inputs, plan, err);
}

static cordon_code set_default_dacl(HANDLE token, const cordon_token_plan *plan, cordon_error *err)
{
	PSID sids[CORDON_TOKEN_MAX_DEFAULT_ACES] = {0};
	DWORD size = sizeof(ACL);
	cordon_code code = CORDON_OK;
	ACL *acl = NULL;

	for (size_t i = 0; i < plan->default_dacl_count; i++) {
		sids[i] = win_sid_to_windows(&plan->default_dacl[i].sid);
		if (sids[i] == NULL) {
			code = cordon_fail(err, CORDON_E_NOMEM,
					   "out of memory while building the default DACL");
			goto done;
		}
		size += sizeof(ACCESS_ALLOWED_ACE) + GetLengthSid(sids[i]);
	}
	acl = malloc(size);
	if (acl == NULL || !InitializeAcl(acl, size, ACL_REVISION)) {
		code = cordon_fail(err, CORDON_E_NOMEM, "out of memory while building the default DACL");
		goto done;
	}
	for (size_t i = 0; i < plan->default_dacl_count; i++) {
		const cordon_ace *ace = &plan->default_dacl[i];
		BOOL ok = ace->type == CORDON_ACE_ALLOW
				  ? AddAccessAllowedAceEx(acl, ACL_REVISION, ace->flags, ace->mask, sids[i])
				  : AddAccessDeniedAceEx(acl, ACL_REVISION, ace->flags, ace->mask, sids[i]);
		if (!ok) {
			code = win_fail(err, GetLastError(), "cannot build the command's default DACL");
			goto done;
		}
	}
	TOKEN_DEFAULT_DACL dacl = {acl};
	if (!SetTokenInformation(token, TokenDefaultDacl, &dacl, sizeof(dacl)))
		code = win_fail(err, GetLastError(), "cannot set the default DACL of the command's token");
done:
	for (size_t i = 0; i < plan->default_dacl_count; i++)
		free(sids[i]);
	free(acl);
	return code;
}

cordon_code win_token_restricted(const cordon_resolved *policy, const cordon_win_acl_outcome *acl,
				 HANDLE *token, cordon_error *err)
{
	bool has_shared_roots = false;
	for (size_t i = 0; i < cordon_resolved_root_count(policy); i++) {
		cordon_root_kind kind;
		cordon_resolved_root(policy, i, &kind);
		if (kind != CORDON_ROOT_WORKSPACE)
			has_shared_roots = true;
	}
	return win_token_from_sids(cordon_resolved_mode(policy), has_shared_roots, acl, token, err);
}

cordon_code win_token_from_sids(cordon_mode mode, bool has_shared_roots, const cordon_win_acl_outcome *acl,
				HANDLE *token, cordon_error *err)
{
	HANDLE own = NULL;
	cordon_token_plan plan = {0};
	SID_AND_ATTRIBUTES restricting[CORDON_TOKEN_MAX_RESTRICTING] = {0};
	cordon_code code;

	*token = NULL;
	if (!OpenProcessToken(GetCurrentProcess(),
			      TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT,
			      &own))
		return win_fail(err, GetLastError(), "cannot open cordon's own token");
	code = plan_token(mode, has_shared_roots, acl, own, &plan, err);
	if (code != CORDON_OK)
		goto done;
	for (size_t i = 0; i < plan.restricting_count; i++) {
		restricting[i].Sid = win_sid_to_windows(&plan.restricting[i]);
		if (restricting[i].Sid == NULL) {
			code = cordon_fail(err, CORDON_E_NOMEM, "out of memory while building the token");
			goto done;
		}
	}
	DWORD flags = (plan.write_restricted ? WRITE_RESTRICTED : 0) |
		      (plan.disable_max_privilege ? DISABLE_MAX_PRIVILEGE : 0);
	if (!CreateRestrictedToken(own, flags, 0, NULL, 0, NULL, (DWORD)plan.restricting_count, restricting,
				   token)) {
		code = win_fail(err, GetLastError(), "cannot create the command's restricted token");
		*token = NULL;
		goto done;
	}
	code = set_default_dacl(*token, &plan, err);
	if (code != CORDON_OK) {
		CloseHandle(*token);
		*token = NULL;
	}
done:
	for (size_t i = 0; i < plan.restricting_count && i < CORDON_TOKEN_MAX_RESTRICTING; i++)
		free(restricting[i].Sid);
	CloseHandle(own);
	return code;
}
