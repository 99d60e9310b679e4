/* The account plan of elevated mode: the two local sandbox accounts and
 * their group, as `cordon setup` creates them and `--uninstall` removes
 * them. Pure data, portable C; the Windows layer applies each step with
 * NetLocalGroupAdd, NetUserAdd / NetUserSetInfo, NetLocalGroupAddMembers,
 * the registry (hiding) and DPAPI (the password).
 *
 * - offline account: runs network-off and proxy commands; the WFP
 *   filters (wfp_plan.h) keep it off the network except cordon's proxy.
 * - online account: runs network-on commands; no filters.
 * - the group: what the read grants (read_grant_plan.h) name, so one ACE
 *   serves both accounts.
 * Both accounts: a random password made at apply time (never in a plan
 * or record), stored with DPAPI for the installing user; the password
 * never expires and the account cannot change it; hidden from the
 * sign-in screen by a DWORD 0 named after the account under
 * HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\SpecialAccounts\UserList;
 * members of BUILTIN\Users (read and execute on the system and program
 * directories, which Windows already grants that group). */
#ifndef CORDON_WINDOWS_PLAN_ACCOUNT_PLAN_H
#define CORDON_WINDOWS_PLAN_ACCOUNT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordon.h"

/* SAM account names: at most 20 characters. */
#define CORDON_OFFLINE_ACCOUNT "CordonSandboxOffline"
#define CORDON_ONLINE_ACCOUNT  "CordonSandboxOnline"
#define CORDON_SANDBOX_GROUP   "CordonSandboxUsers"
#define CORDON_USERS_GROUP     "S-1-5-32-545" /* BUILTIN\Users, by SID: its name is localised */

#define CORDON_HIDE_ACCOUNTS_KEY                                                                             \
	"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\SpecialAccounts\\UserList"

/* USER_INFO_1 flags (lmaccess.h). */
#define CORDON_UF_SCRIPT	     0x00000001u
#define CORDON_UF_PASSWD_CANT_CHANGE 0x00000040u
#define CORDON_UF_NORMAL_ACCOUNT     0x00000200u
#define CORDON_UF_DONT_EXPIRE_PASSWD 0x00010000u
#define CORDON_ACCOUNT_FLAGS                                                                                 \
	(CORDON_UF_SCRIPT | CORDON_UF_NORMAL_ACCOUNT | CORDON_UF_PASSWD_CANT_CHANGE |                        \
	 CORDON_UF_DONT_EXPIRE_PASSWD)
/* Characters of the random password made at apply time. */
#define CORDON_ACCOUNT_PASSWORD_LENGTH 32

typedef enum cordon_sandbox_account {
	CORDON_ACCOUNT_OFFLINE,
	CORDON_ACCOUNT_ONLINE,
} cordon_sandbox_account;

#define CORDON_ACCOUNT_COUNT 2

typedef struct cordon_account_spec {
	cordon_sandbox_account which;
	const char *name;
	const char *full_name;
	const char *description;
	uint32_t flags;
} cordon_account_spec;

const cordon_account_spec *cordon_account_spec_of(cordon_sandbox_account which);
const char *cordon_group_description(void);

/* What exists now, as the Windows layer read it. SIDs are strings
 * ("S-1-5-21-..."); NULL when the object does not exist. */
typedef struct cordon_account_state {
	bool exists;
	const char *sid;
	uint32_t flags;		/* USER_INFO_1 usri1_flags as read */
	bool hidden;		/* the UserList value is there and 0 */
	bool in_group;		/* member of CORDON_SANDBOX_GROUP */
	bool in_users;		/* member of BUILTIN\Users */
	bool credential_stored; /* cordon's DPAPI blob for it is there */
} cordon_account_state;

typedef struct cordon_accounts_state {
	bool group_exists;
	const char *group_sid;
	cordon_account_state accounts[CORDON_ACCOUNT_COUNT]; /* indexed by cordon_sandbox_account */
} cordon_accounts_state;

typedef enum cordon_account_step_kind {
	CORDON_ACCOUNT_CREATE_GROUP,
	CORDON_ACCOUNT_CREATE,	       /* NetUserAdd with a new random password, stored with DPAPI */
	CORDON_ACCOUNT_RESET_PASSWORD, /* the account exists but cordon has no credential for it */
	CORDON_ACCOUNT_SET_FLAGS,
	CORDON_ACCOUNT_ADD_TO_GROUP,
	CORDON_ACCOUNT_ADD_TO_USERS,
	CORDON_ACCOUNT_HIDE,
	/* uninstall */
	CORDON_ACCOUNT_UNHIDE,
	CORDON_ACCOUNT_FORGET_CREDENTIAL,
	CORDON_ACCOUNT_DELETE,
	CORDON_ACCOUNT_DELETE_GROUP,
} cordon_account_step_kind;

typedef struct cordon_account_step {
	cordon_account_step_kind kind;
	const char *name;	      /* the account or group (a constant above) */
	cordon_sandbox_account which; /* for account steps */
} cordon_account_step;

/* At most: the group, then per account create..hide. */
#define CORDON_ACCOUNT_MAX_STEPS 16

typedef struct cordon_account_plan {
	cordon_account_step steps[CORDON_ACCOUNT_MAX_STEPS];
	size_t step_count;
	/* Whether the offline account is (re)created by this plan: its SID
	 * is then unknown until apply, and the WFP filters must be replaced. */
	bool offline_sid_changes;
} cordon_account_plan;

/* Plans setup's account steps against state (never NULL). */
void cordon_account_plan_build(const cordon_accounts_state *state, cordon_account_plan *plan);

/* What setup recorded it created or changed. */
typedef struct cordon_accounts_record {
	bool group;
	bool accounts[CORDON_ACCOUNT_COUNT];
} cordon_accounts_record;

/* Plans uninstall: for each recorded account unhide, forget its
 * credential, delete it; then the group. Nothing setup did not record. */
void cordon_account_plan_uninstall(const cordon_accounts_record *record, cordon_account_plan *plan);

const char *cordon_account_step_name(cordon_account_step_kind kind);

#endif
