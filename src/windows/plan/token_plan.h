/* The Windows token plan: how cordon restricts the user's token before
 * starting a command (CreateRestrictedToken, then the default DACL).
 * Pure data, portable C; src/windows applies it.
 *
 * The token is WRITE_RESTRICTED: for write access the kernel checks the
 * DACL a second time with only the restricting SIDs, so a command can
 * write only where an ACE grants one of them. Read access is decided by
 * the user's ordinary SIDs. Which rights count as "write" is discussed in
 * docs/windows.md. */
#ifndef CORDON_WINDOWS_PLAN_TOKEN_PLAN_H
#define CORDON_WINDOWS_PLAN_TOKEN_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"
#include "windows/plan/acl_plan.h"
#include "windows/plan/sid.h"

#define CORDON_TOKEN_MAX_RESTRICTING  6
#define CORDON_TOKEN_MAX_DEFAULT_ACES 3

typedef struct cordon_token_inputs {
	cordon_mode mode;      /* READ_ONLY or WORKSPACE_WRITE */
	bool has_shared_roots; /* temp or extra roots in the policy */
	cordon_sid user;       /* the user's own SID */
	cordon_sid logon;      /* this logon session's S-1-5-5-X-Y */
	cordon_sid workspace;
	cordon_sid shared;
	cordon_sid sandbox;
	cordon_sid readonly;
	/* This run's own SID, random, made for one run and named nowhere
	 * else: a restricting SID, and the default DACL's only capability
	 * ACE, so the processes and unnamed objects of one run can be
	 * written by that run alone -- not by a concurrent run of the same
	 * workspace (same account in elevated mode), which holds the same
	 * capability SIDs. */
	cordon_sid run;
} cordon_token_inputs;

typedef struct cordon_token_plan {
	bool write_restricted;	    /* CreateRestrictedToken flag WRITE_RESTRICTED */
	bool disable_max_privilege; /* flag DISABLE_MAX_PRIVILEGE: every privilege removed */
	const char *kept_privilege; /* ...except this one, which Windows always keeps */
	/* SidsToRestrict, in this order. Everyone and the logon SID must be
	 * there: without them DLL loading, the desktop and the console fail
	 * for write opens the system makes on the command's behalf. */
	cordon_sid restricting[CORDON_TOKEN_MAX_RESTRICTING];
	size_t restricting_count;
	/* TokenDefaultDacl: objects the command creates without inheritance
	 * (pipes, its own processes and threads) stay usable by the command
	 * and nobody else in the session: the user (or the account), SYSTEM
	 * and the run's SID. Not the workspace SID: every run of the
	 * workspace holds that one. */
	cordon_ace default_dacl[CORDON_TOKEN_MAX_DEFAULT_ACES];
	size_t default_dacl_count;
} cordon_token_plan;

/* Fills *plan. Fails with CORDON_E_INVALID for FULL_ACCESS (no token is
 * restricted then), an unknown mode, or a run SID that is missing or one
 * of the others. */
cordon_code cordon_token_plan_build(const cordon_token_inputs *inputs, cordon_token_plan *plan,
				    cordon_error *err);

#endif
