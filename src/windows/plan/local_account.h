/* Whether a name lookup found one of cordon's local accounts or its local
 * group, and not something else of the same name.
 *
 * cordon looks its sandbox accounts and group up by name
 * (LookupAccountNameW, local_account.c). An unqualified name falls back
 * to the machine's domain when the local one is missing, so a domain
 * account named CordonSandboxOffline would stand in for the local one;
 * and a name answers whatever holds it, a group where an account is
 * wanted or the reverse. So the Windows layer asks for COMPUTER\name and
 * this file judges the answer: the domain it came from must be this
 * computer (compared case-insensitively, as Windows compares names) and
 * the kind of name the one asked for. Portable C, unit-tested natively
 * (tests/unit/test_local_account.c). */
#ifndef CORDON_WINDOWS_PLAN_LOCAL_ACCOUNT_H
#define CORDON_WINDOWS_PLAN_LOCAL_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

/* What kind of name a lookup found: the values of Windows' SID_NAME_USE
 * (winnt.h), so the Windows layer passes its answer as is. */
typedef enum cordon_name_use {
	CORDON_NAME_USER = 1,		  /* SidTypeUser: an account */
	CORDON_NAME_GROUP = 2,		  /* SidTypeGroup: a domain group */
	CORDON_NAME_DOMAIN = 3,		  /* SidTypeDomain */
	CORDON_NAME_ALIAS = 4,		  /* SidTypeAlias: a local (or built-in) group */
	CORDON_NAME_WELL_KNOWN_GROUP = 5, /* SidTypeWellKnownGroup: Everyone, SYSTEM, ... */
	CORDON_NAME_DELETED_ACCOUNT = 6,
	CORDON_NAME_INVALID = 7,
	CORDON_NAME_UNKNOWN = 8,
	CORDON_NAME_COMPUTER = 9,
	CORDON_NAME_LABEL = 10, /* an integrity label */
	CORDON_NAME_LOGON_SESSION = 11,
} cordon_name_use;

typedef enum cordon_local_name_verdict {
	CORDON_LOCAL_NAME_OK,	      /* this computer's, of the kind asked for */
	CORDON_LOCAL_NAME_FOREIGN,    /* found in another domain (or in none) */
	CORDON_LOCAL_NAME_WRONG_KIND, /* this computer's, but another kind of name */
} cordon_local_name_verdict;

/* Judges a lookup's answer: found_domain as the lookup returned it,
 * computer as GetComputerNameW gives it (both UTF-8), found_use its
 * SID_NAME_USE. The domain is checked first: another domain's answer is
 * refused whatever its kind. NULL or empty domains are never this
 * computer. */
cordon_local_name_verdict cordon_local_name_judge(const char *found_domain, const char *computer,
						  int found_use, cordon_name_use expected);

/* The kind of name in words, for messages: "a user account", "a local
 * group", ...; "an unknown kind of name" for values outside the enum. */
const char *cordon_name_use_text(int use);

/* One phrase saying why a verdict other than OK refuses the name, for
 * each caller to place in its own message:
 *   FOREIGN:    "was found in the domain DOMAIN, not on this computer (COMPUTER)"
 *   WRONG_KIND: "is a local group on this computer, not a user account"
 * Writes "" for OK. False when buf is too small (then truncated). */
bool cordon_local_name_reason(cordon_local_name_verdict verdict, const char *found_domain,
			      const char *computer, int found_use, cordon_name_use expected, char *buf,
			      size_t size);

#endif
