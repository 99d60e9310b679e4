/* The whole `cordon setup` plan: accounts and group (account_plan.h),
 * WFP objects (wfp_plan.h), read grants (read_grant_plan.h), and the
 * record setup keeps. Pure, portable C: the inputs describe the machine
 * as the Windows layer read it, the plan is the difference between that
 * and what setup wants, so planning again after applying is empty.
 *
 * The record is what setup applied, with a fingerprint over the wanted
 * end state. A later run compares: a record whose fingerprint differs
 * from a fresh plan's, or a fresh plan with steps, means setup is stale,
 * and cordon_setup_stale_reasons says what changed. `--uninstall` plans
 * from the record alone, so it removes what setup did and nothing else. */
#ifndef CORDON_WINDOWS_PLAN_SETUP_PLAN_H
#define CORDON_WINDOWS_PLAN_SETUP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordon.h"
#include "windows/plan/account_plan.h"
#include "windows/plan/read_grant_plan.h"
#include "windows/plan/wfp_plan.h"

/* Besides the shared credential-store list the caller passes (Unix-style
 * names, e.g. ".ssh", ".config/gh"), the plan excludes Windows-only
 * stores under %USERPROFILE% from the read grants (the table in
 * setup_plan.c). */

/* The directories the Windows layer must list besides the profile
 * itself, for the shared list plus the Windows-only stores
 * (cordon_read_grant_split_dirs over both). Allocates *dirs. */
cordon_code cordon_setup_dirs_to_list(const char *profile_dir, const char *const *credential_stores,
				      size_t credential_store_count, char ***dirs, size_t *dir_count,
				      cordon_error *err);

/* The system and program directories of a standard installation:
 * read through BUILTIN\Users, listed in the plan, no ACE. */
size_t cordon_default_system_dir_count(void);
const char *cordon_default_system_dir(size_t index);

typedef struct cordon_setup_inputs {
	const char *profile_dir; /* canonical, "C:\\Users\\alice" */
	const cordon_profile_entry *profile_entries;
	size_t profile_entry_count;
	/* The shared credential-store list (profile-relative names). */
	const char *const *credential_stores;
	size_t credential_store_count;
	const char *const *roots; /* canonical writable roots to make readable */
	size_t root_count;
	const char *const *system_dirs;
	size_t system_dir_count;
	uint16_t proxy_port;
} cordon_setup_inputs;

/* What exists now. A fresh machine is all zeros. */
typedef struct cordon_setup_state {
	cordon_accounts_state accounts;
	cordon_wfp_state wfp;
	const cordon_read_grant_state *grants;
	size_t grant_count;
} cordon_setup_state;

typedef struct cordon_setup_plan {
	bool uninstall;
	cordon_account_plan accounts;
	cordon_wfp_plan wfp;
	cordon_read_grant_plan grants;
	size_t step_count; /* accounts + WFP + read-grant steps */
	/* SHA-256 over the wanted end state (never over SIDs or passwords);
	 * "" for an uninstall plan. */
	char fingerprint[65];
	uint16_t proxy_port;
} cordon_setup_plan;

/* Plans setup. Release with cordon_setup_plan_free. */
cordon_code cordon_setup_plan_build(const cordon_setup_inputs *inputs, const cordon_setup_state *state,
				    cordon_setup_plan *plan, cordon_error *err);

/* What setup applied. Owned strings; cordon_setup_record_free. */
typedef struct cordon_setup_record {
	char fingerprint[65];
	uint16_t proxy_port;
	cordon_accounts_record accounts;
	bool wfp_provider;
	bool wfp_sublayer;
	cordon_guid *filter_keys;
	size_t filter_count;
	cordon_read_grant_state *grants; /* paths owned (cast away const to free) */
	size_t grant_count;
	char **roots; /* the roots whose read grants setup applied */
	size_t root_count;
} cordon_setup_record;

/* The record a fully applied plan leaves: every object of the plan's
 * wanted end state. */
cordon_code cordon_setup_record_from_plan(const cordon_setup_plan *plan, const cordon_setup_inputs *inputs,
					  cordon_setup_record *record, cordon_error *err);
void cordon_setup_record_free(cordon_setup_record *record);

/* The record as JSON (allocated, free()) and back. */
char *cordon_setup_record_render(const cordon_setup_record *record);
cordon_code cordon_setup_record_parse(const char *text, size_t length, cordon_setup_record *record,
				      cordon_error *err);

/* The profile entries a record's grants stand for, so that status can
 * plan again without listing the profile: every granted path strictly
 * below profile_dir that is not one of the record's roots, relative to
 * the profile (each entry's text points into record). Planned again with
 * the record's roots and the same credential stores, they give exactly
 * the record's grants, so the fingerprint equals the record's unless
 * cordon's plan itself changed. Allocates *entries (free()). */
cordon_code cordon_setup_entries_from_record(const cordon_setup_record *record, const char *profile_dir,
					     cordon_profile_entry **entries, size_t *count,
					     cordon_error *err);

/* Plans uninstall from the record alone. */
cordon_code cordon_setup_plan_uninstall(const cordon_setup_record *record, cordon_setup_plan *plan,
					cordon_error *err);

void cordon_setup_plan_free(cordon_setup_plan *plan);

/* One line saying why setup is stale ("the offline account is missing;
 * 2 network filters missing or changed; no read grant on root C:\src"),
 * or "" when plan has no step and record's fingerprint matches. record
 * may be NULL (no setup recorded). Returns whether setup is stale. */
bool cordon_setup_stale_reasons(const cordon_setup_plan *plan, const cordon_setup_record *record, char *buf,
				size_t size);

/* The plan as JSON for `cordon setup --plan` (allocated, free()).
 * state_note says where the "current state" came from. */
char *cordon_setup_plan_render(const cordon_setup_plan *plan, const char *state_note);

#endif
