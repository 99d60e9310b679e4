/* Whether elevated mode is ready, for every run and for `cordon doctor`:
 * without administrator rights, without prompting, without listing the
 * profile.
 *
 * The fresh plan is built from the record's own inputs (its roots, and
 * profile entries rebuilt from the paths it granted) against the machine
 * as it is now (accounts, group, memberships, hiding, stored passwords,
 * and the WFP objects when this process may read them). So:
 * - an account, the group, a stored password or a filter someone removed
 *   or changed is a plan step: stale, with what changed;
 * - a cordon whose plan differs (filters, flags, proxy port, credential
 *   stores left out) gives another fingerprint: stale;
 * - a folder created in the profile after setup is not staleness: it is
 *   the user's to grant (the grant helper), and making every new dotfolder
 *   a reason to prompt for administrator rights again would bring back
 *   the prompts elevated mode exists to avoid. The run's own workspace is
 *   the runner's and the grant helper's (the junction), never setup's.
 * WFP objects are readable only by administrators by default (the
 * engine's DACL grants Everyone FWPM_ACTRL_OPEN and FWPM_ACTRL_CLASSIFY,
 * not FWPM_ACTRL_READ): then they are taken as recorded and the reason
 * says "not checked". */
#include "windows/setup_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/winpath.h"
#include "proxy/proxy.h"
#include "windows/win_internal.h"

#define NOT_SET_UP "not set up: run 'cordon setup' once, as administrator"
#define WFP_NOT_CHECKED                                                                                      \
	"network filters not checked (reading them needs administrator rights; 'cordon doctor' from an "     \
	"elevated prompt checks them)"

typedef struct status_inputs {
	char *profile;
	cordon_profile_entry *entries;
	size_t entry_count;
	const char **stores;
	const char *system_dirs[8];
	cordon_setup_inputs inputs;
} status_inputs;

static void status_inputs_free(status_inputs *s)
{
	free(s->profile);
	free(s->entries);
	free(s->stores);
	memset(s, 0, sizeof(*s));
}

/* The plan's inputs as setup had them, rebuilt from the record: the
 * profile entries are the granted paths below the profile (what was left
 * out gives no grant either way). */
static cordon_code inputs_from_record(const cordon_setup_record *record, status_inputs *s, cordon_error *err)
{
	const char *profile = getenv("USERPROFILE");
	size_t store_count = cordon_credential_store_count();

	memset(s, 0, sizeof(*s));
	s->profile = profile && *profile ? winpath_canonical(profile, NULL, NULL) : NULL;
	if (!s->profile)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot check elevated mode: USERPROFILE is not set to a full path; run "
				   "cordon from your own session");
	s->stores = calloc(store_count + 1, sizeof(*s->stores));
	if (!s->stores || cordon_setup_entries_from_record(record, s->profile, &s->entries, &s->entry_count,
							   err) != CORDON_OK) {
		status_inputs_free(s);
		return cordon_fail(err, CORDON_E_NOMEM, "cannot check elevated mode: out of memory");
	}
	for (size_t i = 0; i < store_count; i++)
		s->stores[i] = cordon_credential_store_name(i);
	for (size_t i = 0; i < cordon_default_system_dir_count() && i < 8; i++)
		s->system_dirs[i] = cordon_default_system_dir(i);
	s->inputs.profile_dir = s->profile;
	s->inputs.profile_entries = s->entries;
	s->inputs.profile_entry_count = s->entry_count;
	s->inputs.credential_stores = s->stores;
	s->inputs.credential_store_count = store_count;
	s->inputs.roots = (const char *const *)record->roots;
	s->inputs.root_count = record->root_count;
	s->inputs.system_dirs = s->system_dirs;
	s->inputs.system_dir_count =
		cordon_default_system_dir_count() < 8 ? cordon_default_system_dir_count() : 8;
	s->inputs.proxy_port = CORDON_PROXY_PORT;
	return CORDON_OK;
}

/* Reads cordon's WFP objects when this process may; *checked says so. */
static cordon_code read_wfp(const cordon_setup_plan *first, const cordon_setup_record *record,
			    win_wfp_read *out, bool *checked, cordon_error *err)
{
	HANDLE engine = NULL;
	cordon_error ignored = {0};
	cordon_guid *keys = calloc(first->wfp.filter_count + record->filter_count + 1, sizeof(*keys));
	size_t count = 0;
	cordon_code code = CORDON_OK;

	*checked = false;
	memset(out, 0, sizeof(*out));
	if (!keys)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot check elevated mode: out of memory");
	for (size_t i = 0; i < first->wfp.filter_count; i++)
		keys[count++] = first->wfp.filters[i].key;
	for (size_t i = 0; i < record->filter_count; i++)
		keys[count++] = record->filter_keys[i];
	/* Opening is granted to Everyone; a failure here (no WFP) is told by
	 * setup, not guessed at by status. */
	if (win_wfp_open(&engine, &ignored) == CORDON_OK) {
		/* Any error reading is "not checked", never a refusal: only an
		 * administrator may read these by default. */
		*checked = win_wfp_read_now(engine, keys, count, out, &ignored) == CORDON_OK && out->readable;
		win_wfp_close(engine);
	}
	free(keys);
	return code;
}

static cordon_code build_status(const char *state_dir, const cordon_setup_record *record,
				win_setup_status *status, cordon_error *err)
{
	status_inputs s;
	win_accounts_read accounts;
	win_wfp_read wfp;
	cordon_wfp_filter_state *assumed = NULL;
	cordon_setup_state state;
	cordon_setup_plan plan;
	char reasons[600];
	bool checked = false, stale;
	cordon_code code;

	code = inputs_from_record(record, &s, err);
	if (code != CORDON_OK)
		return code;
	code = win_accounts_read_now(state_dir, &accounts, err);
	if (code == CORDON_OK) {
		code = win_accounts_check_groups(&accounts, err);
		if (code != CORDON_OK)
			win_accounts_read_free(&accounts);
	}
	if (code != CORDON_OK) {
		status_inputs_free(&s);
		return code;
	}
	memset(&state, 0, sizeof(state));
	state.accounts = accounts.state;
	state.grants = record->grants;
	state.grant_count = record->grant_count;
	code = cordon_setup_plan_build(&s.inputs, &state, &plan, err);
	memset(&wfp, 0, sizeof(wfp));
	if (code == CORDON_OK)
		code = read_wfp(&plan, record, &wfp, &checked, err);
	if (code == CORDON_OK && checked) {
		state.wfp = wfp.state;
	} else if (code == CORDON_OK) {
		/* Not readable: take the filters as the plan wants them. */
		assumed = calloc(plan.wfp.filter_count + 1, sizeof(*assumed));
		for (size_t i = 0; assumed && i < plan.wfp.filter_count; i++) {
			assumed[i].key = plan.wfp.filters[i].key;
			memcpy(assumed[i].fingerprint, plan.wfp.fingerprints[i], 65);
		}
		state.wfp.provider_exists = record->wfp_provider;
		state.wfp.sublayer_exists = record->wfp_sublayer;
		state.wfp.filters = assumed;
		state.wfp.filter_count = assumed ? plan.wfp.filter_count : 0;
	}
	if (code == CORDON_OK) {
		cordon_setup_plan_free(&plan);
		code = cordon_setup_plan_build(&s.inputs, &state, &plan, err);
	}
	if (code == CORDON_OK) {
		stale = cordon_setup_stale_reasons(&plan, record, reasons, sizeof(reasons));
		status->ready = !stale;
		if (stale)
			snprintf(status->reason, sizeof(status->reason),
				 "stale: %s%s%s; run 'cordon setup' again", reasons, checked ? "" : "; ",
				 checked ? "" : WFP_NOT_CHECKED);
		else if (!checked)
			snprintf(status->reason, sizeof(status->reason), "%s", WFP_NOT_CHECKED);
		cordon_setup_plan_free(&plan);
	}
	free(assumed);
	win_wfp_read_free(&wfp);
	win_accounts_read_free(&accounts);
	status_inputs_free(&s);
	return code;
}

cordon_code win_setup_status_read(const cordon_resolved *policy, win_setup_status *status, cordon_error *err)
{
	const char *state_dir = policy ? cordon_resolved_state_dir(policy) : NULL;
	cordon_setup_record record;
	cordon_error local = {0}; /* err may be NULL; the reason needs the text */
	bool found = false;
	cordon_code code;

	memset(status, 0, sizeof(*status));
	if (!state_dir)
		return cordon_fail(err, CORDON_E_INVALID, "cannot check elevated mode: no state directory");
	code = win_setup_record_load(state_dir, &record, &found, &local);
	if (code != CORDON_OK) {
		/* A record that cannot be read is stale, not absent: say why. */
		status->recorded = true;
		snprintf(status->reason, sizeof(status->reason), "stale: %s", local.message);
		return CORDON_OK;
	}
	if (!found) {
		snprintf(status->reason, sizeof(status->reason), "%s", NOT_SET_UP);
		return CORDON_OK;
	}
	status->recorded = true;
	code = build_status(state_dir, &record, status, &local);
	cordon_setup_record_free(&record);
	if (code != CORDON_OK)
		return cordon_fail(err, code, "%s", local.message);
	return CORDON_OK;
}
