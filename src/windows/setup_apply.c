/* `cordon setup` on Windows: read the machine, plan against it
 * (setup_plan.h), apply, record. The order makes a half-done setup one
 * that the next run finishes:
 *
 *   1. elevated? otherwise nothing is touched;
 *   2. open the filter engine first: a machine without WFP (or Wine)
 *      fails here, before any account exists;
 *   3. the account steps (group, accounts with their DPAPI-stored
 *      passwords, flags, memberships, hiding), each one idempotent;
 *   4. plan again now that the offline account's SID is known, and apply
 *      the WFP steps in one transaction;
 *   5. the record, through a temporary file and a replacing rename (an
 *      older record is removed before the first change): while it is
 *      missing, status says "not set up" and every run refuses;
 *   6. the read grants, handed to the background helper, which resumes
 *      its own progress.
 *
 * `--uninstall` removes what the record names, filters and grants before
 * the accounts they name, and the record last. */
#include "windows/setup_apply.h"

#include "windows/setup_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/win_internal.h"

bool win_setup_process_is_elevated(void)
{
	HANDLE token;
	TOKEN_ELEVATION elevation = {0};
	DWORD length = 0;
	BOOL ok;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return false;
	ok = GetTokenInformation(token, TokenElevation, &elevation, sizeof(elevation), &length);
	CloseHandle(token);
	return ok && elevation.TokenIsElevated != 0;
}

static cordon_code not_elevated(cordon_error *err)
{
	return cordon_fail(
		err, CORDON_E_UNSUPPORTED,
		"cordon setup needs an elevated (administrator) prompt; nothing was changed; run it "
		"from an elevated terminal once");
}

/* The machine as setup sees it, owning what the state points to. */
typedef struct machine {
	win_accounts_read accounts;
	win_wfp_read wfp;
	cordon_setup_state state;
} machine;

static void machine_free(machine *m)
{
	win_accounts_read_free(&m->accounts);
	win_wfp_read_free(&m->wfp);
	memset(m, 0, sizeof(*m));
}

/* The filter keys to look up: the plan's (fixed by name) and any the
 * record lists. */
static cordon_guid *keys_to_read(uint16_t proxy_port, const cordon_setup_record *record, size_t *count)
{
	cordon_wfp_filter filters[CORDON_WFP_FILTER_COUNT];
	size_t n = cordon_wfp_filters(CORDON_OFFLINE_ACCOUNT, proxy_port, filters);
	size_t extra = record ? record->filter_count : 0;
	cordon_guid *keys = calloc(n + extra + 1, sizeof(*keys));

	*count = 0;
	if (!keys)
		return NULL;
	for (size_t i = 0; i < n; i++)
		keys[(*count)++] = filters[i].key;
	for (size_t i = 0; i < extra; i++)
		keys[(*count)++] = record->filter_keys[i];
	return keys;
}

static cordon_code machine_read(const char *state_dir, HANDLE engine, uint16_t proxy_port,
				const cordon_setup_record *record, machine *m, cordon_error *err)
{
	size_t key_count = 0;
	cordon_guid *keys = keys_to_read(proxy_port, record, &key_count);
	cordon_code code;

	memset(m, 0, sizeof(*m));
	if (!keys)
		return cordon_fail(err, CORDON_E_NOMEM, "cannot read the machine's setup: out of memory");
	code = win_accounts_read_now(state_dir, &m->accounts, err);
	if (code == CORDON_OK)
		code = win_accounts_check_groups(&m->accounts, err);
	if (code == CORDON_OK && engine)
		code = win_wfp_read_now(engine, keys, key_count, &m->wfp, err);
	free(keys);
	if (code != CORDON_OK) {
		machine_free(m);
		return code;
	}
	m->state.accounts = m->accounts.state;
	m->state.wfp = m->wfp.state;
	/* The read grants are the helper's (grant_helper.c): it keeps their
	 * progress; setup plans them from nothing and hands them over. */
	m->state.grants = NULL;
	m->state.grant_count = 0;
	return CORDON_OK;
}

static void say(FILE *progress, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void say(FILE *progress, const char *format, ...)
{
	va_list ap;

	if (!progress)
		return;
	fputs("cordon setup: ", progress);
	va_start(ap, format);
	vfprintf(progress, format, ap);
	va_end(ap);
	fputc('\n', progress);
	fflush(progress);
}

/* Prefixes err's line with the step that failed and what to do next. */
static cordon_code step_failed(cordon_error *err, const char *step, const char *name)
{
	char inner[CORDON_ERROR_MESSAGE_MAX];

	snprintf(inner, sizeof(inner), "%s", err->message);
	return cordon_fail(err, err->code,
			   "setup step %s %s failed: %s; the steps before it stay, run 'cordon "
			   "setup' again to finish",
			   step, name, inner);
}

static cordon_code apply_accounts(const char *state_dir, const cordon_account_plan *plan, FILE *progress,
				  cordon_error *err)
{
	for (size_t i = 0; i < plan->step_count; i++) {
		const cordon_account_step *step = &plan->steps[i];
		const char *step_name = cordon_account_step_name(step->kind);

		if (win_account_step_apply(state_dir, step, err) != CORDON_OK)
			return step_failed(err, step_name, step->name);
		say(progress, "%s %s: done", step_name, step->name);
	}
	return CORDON_OK;
}

static bool same_record(const cordon_setup_record *record, bool found, const cordon_setup_plan *plan)
{
	return found && strcmp(record->fingerprint, plan->fingerprint) == 0;
}

/* The record setup holds in memory goes to the helper (not the file:
 * the user's unelevated programs could replace it in the meantime). */
static cordon_code hand_over_grants(const cordon_setup_record *record, FILE *progress, cordon_error *err)
{
	char inner[CORDON_ERROR_MESSAGE_MAX];

	if (win_grant_helper_start_with(record, err) == CORDON_OK) {
		say(progress,
		    "read grants: %lu handed to the background helper (it resumes its own progress)",
		    (unsigned long)record->grant_count);
		return CORDON_OK;
	}
	snprintf(inner, sizeof(inner), "%s", err->message);
	return cordon_fail(
		err, err->code,
		"setup is recorded but its read grants did not start: %s; run 'cordon setup' again", inner);
}

cordon_code win_setup_apply(const char *state_dir, const cordon_setup_inputs *inputs, FILE *progress,
			    bool *nothing_to_do, cordon_error *err)
{
	cordon_error ignored = {0};
	HANDLE engine = NULL;
	cordon_setup_record record, applied;
	bool found = false;
	machine m;
	cordon_setup_plan plan;
	cordon_code code;

	if (!err) /* the messages below are read back: never NULL */
		err = &ignored;
	*nothing_to_do = false;
	if (!win_setup_process_is_elevated())
		return not_elevated(err);
	code = win_wfp_open(&engine, err);
	if (code != CORDON_OK) {
		char inner[CORDON_ERROR_MESSAGE_MAX];

		snprintf(inner, sizeof(inner), "%s", err->message);
		return cordon_fail(err, code, "%s; nothing was changed", inner);
	}
	if (win_setup_record_load(state_dir, &record, &found, err) != CORDON_OK) {
		/* An unreadable record is rewritten by this run. */
		say(progress, "the old record is unreadable and will be replaced (%s)", err->message);
		found = false;
	}
	code = machine_read(state_dir, engine, inputs->proxy_port, found ? &record : NULL, &m, err);
	if (code == CORDON_OK)
		code = cordon_setup_plan_build(inputs, &m.state, &plan, err);
	if (code != CORDON_OK)
		goto out_machine;
	if (plan.accounts.step_count == 0 && plan.wfp.step_count == 0 && same_record(&record, found, &plan)) {
		say(progress, "nothing to do: the accounts, the group and the network rules match setup's "
			      "record");
		*nothing_to_do = true;
		code = hand_over_grants(&record, progress, err);
		goto out_plan;
	}
	/* Something changes: the old record goes first, so a setup that
	 * stops half-way leaves none (status: not set up) rather than one
	 * that vouches for filters naming a replaced account's SID. */
	code = win_setup_dir_make(state_dir, err);
	if (code == CORDON_OK && found)
		code = win_setup_record_remove(state_dir, err);
	if (code == CORDON_OK)
		code = apply_accounts(state_dir, &plan.accounts, progress, err);
	if (code != CORDON_OK)
		goto out_plan;
	/* The offline account may be new: its SID, which the filters name,
	 * exists only now. Plan again against the machine as it is. */
	cordon_setup_plan_free(&plan);
	machine_free(&m);
	code = machine_read(state_dir, engine, inputs->proxy_port, found ? &record : NULL, &m, err);
	if (code == CORDON_OK)
		code = cordon_setup_plan_build(inputs, &m.state, &plan, err);
	if (code != CORDON_OK)
		goto out_machine;
	if (plan.accounts.step_count != 0) {
		code = cordon_fail(
			err, CORDON_E_SYSTEM,
			"the accounts still differ from the plan after applying it (%s %s); nothing "
			"was recorded; run 'cordon setup' again or check the local accounts",
			cordon_account_step_name(plan.accounts.steps[0].kind), plan.accounts.steps[0].name);
		goto out_plan;
	}
	if (!m.accounts.state.accounts[CORDON_ACCOUNT_OFFLINE].sid) {
		code = cordon_fail(err, CORDON_E_SYSTEM,
				   "cannot read the SID of %s, which the network rules name; nothing was "
				   "recorded; run 'cordon setup' again",
				   CORDON_OFFLINE_ACCOUNT);
		goto out_plan;
	}
	code = win_wfp_apply(engine, &plan.wfp, m.accounts.state.accounts[CORDON_ACCOUNT_OFFLINE].sid, err);
	if (code != CORDON_OK) {
		step_failed(err, "network-rules", "(WFP)");
		goto out_plan;
	}
	say(progress, "network rules: %lu WFP change%s in one transaction: done",
	    (unsigned long)plan.wfp.step_count, plan.wfp.step_count == 1 ? "" : "s");
	code = cordon_setup_record_from_plan(&plan, inputs, &applied, err);
	if (code == CORDON_OK)
		code = win_setup_record_save(state_dir, &applied, err);
	if (code != CORDON_OK) {
		cordon_setup_record_free(&applied);
		step_failed(err, "write-record", WIN_SETUP_RECORD_FILE);
		goto out_plan;
	}
	say(progress, "record: %s\\%s\\%s (fingerprint %.16s...): done", state_dir, WIN_SETUP_DIR,
	    WIN_SETUP_RECORD_FILE, plan.fingerprint);
	code = hand_over_grants(&applied, progress, err);
	cordon_setup_record_free(&applied);
out_plan:
	cordon_setup_plan_free(&plan);
out_machine:
	machine_free(&m);
	if (found)
		cordon_setup_record_free(&record);
	win_wfp_close(engine);
	return code;
}

cordon_code win_setup_uninstall(const char *state_dir, FILE *progress, bool *nothing_recorded,
				cordon_error *err)
{
	cordon_error ignored = {0};
	HANDLE engine = NULL;
	cordon_setup_record record;
	cordon_setup_plan plan;
	win_accounts_read accounts;
	bool found = false;
	cordon_code code;

	if (!err) /* the messages below are read back: never NULL */
		err = &ignored;
	*nothing_recorded = false;
	if (!win_setup_process_is_elevated())
		return not_elevated(err);
	code = win_setup_record_load(state_dir, &record, &found, err);
	if (code != CORDON_OK)
		return code;
	if (!found) {
		*nothing_recorded = true;
		say(progress, "nothing to remove: no setup is recorded in %s\\%s", state_dir, WIN_SETUP_DIR);
		return CORDON_OK;
	}
	code = cordon_setup_plan_uninstall(&record, &plan, err);
	cordon_setup_record_free(&record);
	if (code != CORDON_OK)
		return code;
	if (plan.wfp.step_count) {
		code = win_wfp_open(&engine, err);
		if (code == CORDON_OK)
			code = win_wfp_apply(engine, &plan.wfp, NULL, err);
		win_wfp_close(engine);
		if (code != CORDON_OK) {
			step_failed(err, "remove-network-rules", "(WFP)");
			goto out;
		}
		say(progress, "network rules: %lu WFP removal%s in one transaction: done",
		    (unsigned long)plan.wfp.step_count, plan.wfp.step_count == 1 ? "" : "s");
	}
	/* The grants name the group's SID: remove them while it exists. */
	code = win_accounts_read_now(state_dir, &accounts, err);
	if (code == CORDON_OK) {
		code = win_setup_read_grants_remove(&plan.grants, accounts.group_sid, progress, err);
		win_accounts_read_free(&accounts);
	}
	if (code == CORDON_OK)
		code = apply_accounts(state_dir, &plan.accounts, progress, err);
	if (code == CORDON_OK)
		code = win_setup_forget_grant_copies(err);
	if (code == CORDON_OK)
		code = win_setup_record_remove(state_dir, err);
	if (code == CORDON_OK)
		say(progress, "record removed: elevated mode is uninstalled");
out:
	cordon_setup_plan_free(&plan);
	return code;
}
