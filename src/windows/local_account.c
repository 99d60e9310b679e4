/* cordon's sandbox accounts and group by name, on this computer only: one
 * rule for setup, the run path and the read-grant helper.
 *
 * LookupAccountNameW with a bare name looks in the machine's domain when
 * no local name matches, so on a domain-joined machine without the local
 * account a domain account of the same name would answer, and cordon
 * would check tokens against (or grant to) a SID that is not its own. The
 * name is therefore asked for as COMPUTER\name, and the answer is judged
 * (plan/local_account.h): its domain must be this computer and its kind
 * the one the caller expects. */
#include "windows/win_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert((int)CORDON_NAME_USER == (int)SidTypeUser && (int)CORDON_NAME_GROUP == (int)SidTypeGroup &&
		       (int)CORDON_NAME_ALIAS == (int)SidTypeAlias &&
		       (int)CORDON_NAME_WELL_KNOWN_GROUP == (int)SidTypeWellKnownGroup &&
		       (int)CORDON_NAME_COMPUTER == (int)SidTypeComputer &&
		       (int)CORDON_NAME_LABEL == (int)SidTypeLabel,
	       "cordon_name_use mirrors SID_NAME_USE");

/* Allocates COMPUTER\name; NULL on no memory or invalid UTF-8. */
static wchar_t *qualified_name(const wchar_t *computer, const char *name)
{
	wchar_t *wide = win_wide(name), *qualified = NULL;

	if (wide != NULL) {
		size_t length = wcslen(computer) + 1 + wcslen(wide) + 1;

		qualified = malloc(length * sizeof(wchar_t));
		if (qualified != NULL)
			_snwprintf(qualified, length, L"%ls\\%ls", computer, wide);
	}
	free(wide);
	return qualified;
}

/* Judges the answer: fills found's verdict and reason. False on no memory. */
static bool judge(const wchar_t *domain, const wchar_t *computer, SID_NAME_USE use, cordon_name_use expected,
		  win_local_lookup *found)
{
	char *domain_text = win_utf8(domain, -1), *computer_text = win_utf8(computer, -1);
	bool ok = domain_text != NULL && computer_text != NULL;

	if (ok) {
		found->verdict = cordon_local_name_judge(domain_text, computer_text, (int)use, expected);
		cordon_local_name_reason(found->verdict, domain_text, computer_text, (int)use, expected,
					 found->reason, sizeof(found->reason));
	}
	free(domain_text);
	free(computer_text);
	return ok;
}

bool win_local_account_sid(const char *name, cordon_name_use expected, cordon_sid *sid,
			   win_local_lookup *found)
{
	wchar_t computer[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD computer_size = sizeof(computer) / sizeof(computer[0]);
	BYTE buffer[SECURITY_MAX_SID_SIZE];
	DWORD sid_size = sizeof(buffer);
	wchar_t domain[256];
	DWORD domain_size = sizeof(domain) / sizeof(domain[0]);
	SID_NAME_USE use = 0;
	wchar_t *qualified;
	BOOL answered;

	memset(found, 0, sizeof(*found));
	if (!GetComputerNameW(computer, &computer_size)) {
		found->error = GetLastError();
		return false;
	}
	qualified = qualified_name(computer, name);
	if (qualified == NULL) {
		found->error = ERROR_NOT_ENOUGH_MEMORY;
		return false;
	}
	answered = LookupAccountNameW(NULL, qualified, (PSID)buffer, &sid_size, domain, &domain_size, &use);
	found->error = answered ? ERROR_SUCCESS : GetLastError();
	free(qualified);
	if (!answered)
		return false;
	if (!judge(domain, computer, use, expected, found)) {
		found->error = ERROR_NOT_ENOUGH_MEMORY;
		return false;
	}
	found->answered = true;
	found->use = (int)use;
	if (found->verdict != CORDON_LOCAL_NAME_OK)
		return false;
	*sid = win_sid_from_windows((PSID)buffer);
	return true;
}
