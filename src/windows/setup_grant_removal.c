/* Uninstall's read grants: the explicit ACEs naming the sandbox group come
 * off each recorded path, everything else of the DACL stays (its
 * protection included). One security-descriptor write per path. */
#include "windows/setup_internal.h"

#include <aclapi.h>
#include <sddl.h>

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/win_internal.h"

/* Deletes the explicit ACEs for group from acl, in place; the count. */
static size_t drop_group_aces(PACL acl, PSID group)
{
	size_t dropped = 0;

	for (DWORD i = acl ? acl->AceCount : 0; i-- > 0;) {
		ACE_HEADER *header = NULL;
		PSID sid;

		if (!GetAce(acl, i, (void **)&header) || (header->AceFlags & INHERITED_ACE))
			continue;
		if (header->AceType == ACCESS_ALLOWED_ACE_TYPE)
			sid = &((ACCESS_ALLOWED_ACE *)header)->SidStart;
		else if (header->AceType == ACCESS_DENIED_ACE_TYPE)
			sid = &((ACCESS_DENIED_ACE *)header)->SidStart;
		else
			continue;
		if (EqualSid(sid, group) && DeleteAce(acl, i))
			dropped++;
	}
	return dropped;
}

static cordon_code remove_from(const char *path, PSID group, size_t *removed, cordon_error *err)
{
	wchar_t *wide = win_wide(path);
	PSECURITY_DESCRIPTOR sd = NULL;
	PACL dacl = NULL;
	SECURITY_DESCRIPTOR_CONTROL control = 0;
	DWORD revision = 0, error;

	if (!wide)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot remove the read grant on %s: out of memory",
				   path);
	error = GetNamedSecurityInfoW(wide, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl,
				      NULL, &sd);
	if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
		free(wide);
		return CORDON_OK;
	}
	if (error == ERROR_SUCCESS && drop_group_aces(dacl, group) > 0) {
		GetSecurityDescriptorControl(sd, &control, &revision);
		error = SetNamedSecurityInfoW(wide, SE_FILE_OBJECT,
					      DACL_SECURITY_INFORMATION |
						      ((control & SE_DACL_PROTECTED)
							       ? PROTECTED_DACL_SECURITY_INFORMATION
							       : UNPROTECTED_DACL_SECURITY_INFORMATION),
					      NULL, NULL, dacl, NULL);
		if (error == ERROR_SUCCESS)
			(*removed)++;
	}
	LocalFree(sd);
	free(wide);
	if (error != ERROR_SUCCESS)
		return win_fail(err, error, "cannot remove the sandbox group's read grant on %s", path);
	return CORDON_OK;
}

cordon_code win_setup_read_grants_remove(const cordon_read_grant_plan *plan, const char *group_sid,
					 FILE *progress, cordon_error *err)
{
	PSID group = NULL;
	size_t removed = 0;
	cordon_code code = CORDON_OK;

	if (plan->step_count == 0)
		return CORDON_OK;
	if (!group_sid || !ConvertStringSidToSidA(group_sid, &group)) {
		if (progress)
			fprintf(progress,
				"cordon setup: read grants: %lu recorded, not removed: the group %s is gone, "
				"so "
				"its ACEs cannot be told apart\n",
				(unsigned long)plan->step_count, CORDON_SANDBOX_GROUP);
		return CORDON_OK;
	}
	for (size_t i = 0; i < plan->step_count && code == CORDON_OK; i++)
		code = remove_from(plan->steps[i].grant.path, group, &removed, err);
	LocalFree(group);
	if (code == CORDON_OK && progress)
		fprintf(progress, "cordon setup: read grants: removed from %lu of %lu recorded paths: done\n",
			(unsigned long)removed, (unsigned long)plan->step_count);
	return code;
}
