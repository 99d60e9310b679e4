#include "windows/plan/local_account.h"

#include <stdio.h>

#include "core/winpath.h"

cordon_local_name_verdict cordon_local_name_judge(const char *found_domain, const char *computer,
						  int found_use, cordon_name_use expected)
{
	if (found_domain == NULL || computer == NULL || found_domain[0] == '\0' || computer[0] == '\0' ||
	    winpath_compare(found_domain, computer) != 0)
		return CORDON_LOCAL_NAME_FOREIGN;
	if (found_use != (int)expected)
		return CORDON_LOCAL_NAME_WRONG_KIND;
	return CORDON_LOCAL_NAME_OK;
}

const char *cordon_name_use_text(int use)
{
	switch (use) {
	case CORDON_NAME_USER: return "a user account";
	case CORDON_NAME_GROUP: return "a domain group";
	case CORDON_NAME_DOMAIN: return "a domain";
	case CORDON_NAME_ALIAS: return "a local group";
	case CORDON_NAME_WELL_KNOWN_GROUP: return "a well-known group";
	case CORDON_NAME_DELETED_ACCOUNT: return "a deleted account";
	case CORDON_NAME_INVALID: return "an invalid name";
	case CORDON_NAME_UNKNOWN: return "a name of unknown kind";
	case CORDON_NAME_COMPUTER: return "a computer";
	case CORDON_NAME_LABEL: return "an integrity label";
	case CORDON_NAME_LOGON_SESSION: return "a logon session";
	}
	return "an unknown kind of name";
}

bool cordon_local_name_reason(cordon_local_name_verdict verdict, const char *found_domain,
			      const char *computer, int found_use, cordon_name_use expected, char *buf,
			      size_t size)
{
	int n = 0;

	if (size == 0)
		return false;
	buf[0] = '\0';
	switch (verdict) {
	case CORDON_LOCAL_NAME_OK: return true;
	case CORDON_LOCAL_NAME_FOREIGN:
		n = snprintf(buf, size, "was found in the domain %s, not on this computer (%s)",
			     found_domain && found_domain[0] ? found_domain : "(none)",
			     computer && computer[0] ? computer : "(unnamed)");
		break;
	case CORDON_LOCAL_NAME_WRONG_KIND:
		n = snprintf(buf, size, "is %s on this computer, not %s", cordon_name_use_text(found_use),
			     cordon_name_use_text((int)expected));
		break;
	}
	return n >= 0 && (size_t)n < size;
}
