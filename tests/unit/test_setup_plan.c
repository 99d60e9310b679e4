/* The whole setup plan (src/windows/plan/setup_plan.c) on a typical
 * Windows profile: a fresh machine gets the full plan; feeding the
 * applied result back as the current state gives an empty plan; partial
 * states (filters removed, an account deleted, a new root) give exactly
 * the missing pieces and say so; the record round-trips through JSON and
 * uninstall removes what it lists and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "windows/plan/setup_plan.h"

#define PROFILE	    "C:\\Users\\alice"
#define OFFLINE_SID "S-1-5-21-9-9-9-1001"
#define PROXY_PORT  3128

/* A stand-in for the shared credential-store list (core). */
static const char *const stores[] = {".ssh",   ".aws",	".config/gh", ".cargo/credentials.toml",
				     ".npmrc", ".netrc"};

/* A Windows 11 profile of a developer: the folders Windows makes, its
 * legacy junctions, the registry hive, and some tools' directories. */
static const cordon_profile_entry profile[] = {
	{".aws", true, false},
	{".cargo", true, false},
	{".cargo/bin", true, false},
	{".cargo/credentials.toml", false, false},
	{".cargo/registry", true, false},
	{".config", true, false},
	{".config/gh", true, false},
	{".config/git", true, false},
	{".gitconfig", false, false},
	{".npmrc", false, false},
	{".ssh", true, false},
	{".vscode", true, false},
	{"3D Objects", true, false},
	{"AppData", true, false},
	{"AppData/Local", true, false},
	{"AppData/Local/Google", true, false},
	{"AppData/Local/Google/Chrome", true, false},
	{"AppData/Local/Google/Chrome/User Data", true, false},
	{"AppData/Local/Microsoft", true, false},
	{"AppData/Local/Microsoft/Credentials", true, false},
	{"AppData/Local/Microsoft/Edge", true, false},
	{"AppData/Local/Microsoft/Edge/User Data", true, false},
	{"AppData/Local/Microsoft/Vault", true, false},
	{"AppData/Local/Microsoft/Windows", true, false},
	{"AppData/Local/Microsoft/WindowsApps", true, false},
	{"AppData/Local/Packages", true, false},
	{"AppData/Local/Programs", true, false},
	{"AppData/Local/Temp", true, false},
	{"AppData/LocalLow", true, false},
	{"AppData/Roaming", true, false},
	{"AppData/Roaming/Code", true, false},
	{"AppData/Roaming/GitHub CLI", true, false},
	{"AppData/Roaming/Microsoft", true, false},
	{"AppData/Roaming/Microsoft/Credentials", true, false},
	{"AppData/Roaming/Microsoft/Protect", true, false},
	{"AppData/Roaming/Microsoft/SystemCertificates", true, false},
	{"AppData/Roaming/Microsoft/Windows", true, false},
	{"AppData/Roaming/npm", true, false},
	{"Application Data", true, true},
	{"Contacts", true, false},
	{"Cookies", true, true},
	{"Desktop", true, false},
	{"Documents", true, false},
	{"Downloads", true, false},
	{"Favorites", true, false},
	{"Links", true, false},
	{"Local Settings", true, true},
	{"Music", true, false},
	{"My Documents", true, true},
	{"NetHood", true, true},
	{"NTUSER.DAT", false, false},
	{"ntuser.dat.LOG1", false, false},
	{"ntuser.dat.LOG2", false, false},
	{"NTUSER.DAT{53b39e88-18c4-11ea-a811-000d3aa4692b}.TM.blf", false, false},
	{"ntuser.ini", false, false},
	{"OneDrive", true, false},
	{"Pictures", true, false},
	{"PrintHood", true, true},
	{"Recent", true, true},
	{"Saved Games", true, false},
	{"Searches", true, false},
	{"SendTo", true, true},
	{"source", true, false},
	{"Start Menu", true, true},
	{"Templates", true, true},
	{"Videos", true, false},
};

static const char *const roots[] = {"C:\\Users\\alice\\source\\repos\\app", "D:\\work\\service"};

static void typical(cordon_setup_inputs *in)
{
	static const char *system_dirs[8];

	for (size_t i = 0; i < cordon_default_system_dir_count(); i++)
		system_dirs[i] = cordon_default_system_dir(i);
	memset(in, 0, sizeof(*in));
	in->profile_dir = PROFILE;
	in->profile_entries = profile;
	in->profile_entry_count = sizeof(profile) / sizeof(profile[0]);
	in->credential_stores = stores;
	in->credential_store_count = sizeof(stores) / sizeof(stores[0]);
	in->roots = roots;
	in->root_count = 2;
	in->system_dirs = system_dirs;
	in->system_dir_count = cordon_default_system_dir_count();
	in->proxy_port = PROXY_PORT;
}

/* What a machine looks like once a plan was applied in full. */
typedef struct machine {
	cordon_setup_state state;
	cordon_wfp_filter_state filters[CORDON_WFP_FILTER_COUNT];
	cordon_read_grant_state grants[64];
} machine;

static void apply(const cordon_setup_plan *plan, machine *m)
{
	cordon_accounts_state *a = &m->state.accounts;

	memset(m, 0, sizeof(*m));
	a->group_exists = true;
	a->group_sid = "S-1-5-21-9-9-9-1000";
	for (size_t i = 0; i < CORDON_ACCOUNT_COUNT; i++) {
		a->accounts[i].exists = true;
		a->accounts[i].sid = i == CORDON_ACCOUNT_OFFLINE ? OFFLINE_SID : "S-1-5-21-9-9-9-1002";
		a->accounts[i].flags = CORDON_ACCOUNT_FLAGS;
		a->accounts[i].hidden = a->accounts[i].in_group = a->accounts[i].in_users = true;
		a->accounts[i].credential_stored = true;
	}
	m->state.wfp.provider_exists = m->state.wfp.sublayer_exists = true;
	for (size_t i = 0; i < plan->wfp.filter_count; i++) {
		m->filters[i].key = plan->wfp.filters[i].key;
		cordon_wfp_filter_fingerprint(&plan->wfp.filters[i], OFFLINE_SID, m->filters[i].fingerprint);
	}
	m->state.wfp.filters = m->filters;
	m->state.wfp.filter_count = plan->wfp.filter_count;
	assert_true(plan->grants.grant_count <= 64);
	for (size_t i = 0; i < plan->grants.grant_count; i++) {
		m->grants[i].path = plan->grants.grants[i].path;
		m->grants[i].kind = plan->grants.grants[i].kind;
		m->grants[i].is_directory = plan->grants.grants[i].is_directory;
	}
	m->state.grants = m->grants;
	m->state.grant_count = plan->grants.grant_count;
}

static void test_fresh_machine_gets_the_full_plan(void **state)
{
	cordon_setup_inputs in;
	cordon_setup_state fresh;
	cordon_setup_plan plan;
	cordon_error err = {0};
	char reasons[512];
	size_t lists = 0;

	(void)state;
	typical(&in);
	memset(&fresh, 0, sizeof(fresh));
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_OK);
	assert_int_equal(plan.accounts.step_count, 9);
	assert_int_equal(plan.wfp.step_count, 2 + CORDON_WFP_FILTER_COUNT);
	assert_int_equal(plan.wfp.filter_count, CORDON_WFP_FILTER_COUNT);
	/* Listed only: the profile and 10 split directories; inherited
	 * read: 29 profile entries and 1 root (D:\work\service). */
	assert_int_equal(plan.grants.grant_count, 41);
	assert_int_equal(plan.grants.step_count, plan.grants.grant_count);
	assert_int_equal(plan.step_count, 9 + 12 + 41);
	assert_int_equal(plan.grants.system_dir_count, 4);
	assert_int_equal(plan.grants.links_skipped, 10);
	assert_int_equal(plan.grants.roots_covered, 1);
	for (size_t i = 0; i < plan.grants.grant_count; i++)
		lists += plan.grants.grants[i].kind == CORDON_READ_GRANT_LIST;
	assert_int_equal(lists, 11);
	/* 5 of the shared list, 7 Windows-only stores, 5 hive files */
	assert_int_equal(plan.grants.excluded_found_count, 17);
	assert_int_equal(strlen(plan.fingerprint), 64);
	print_message(
		"typical profile: %d accounts, 1 group, %zu WFP filters (+ provider, sublayer), %zu read "
		"grants, %zu system dirs read through Users, %zu entries excluded, %zu links skipped, "
		"%zu steps\n",
		CORDON_ACCOUNT_COUNT, plan.wfp.filter_count, plan.grants.grant_count,
		plan.grants.system_dir_count, plan.grants.excluded_found_count, plan.grants.links_skipped,
		plan.step_count);
	assert_true(cordon_setup_stale_reasons(&plan, NULL, reasons, sizeof(reasons)));
	assert_non_null(strstr(reasons, "setup has not been run"));
	assert_non_null(strstr(reasons, "the account CordonSandboxOffline is missing"));
	cordon_setup_plan_free(&plan);
}

/* cordon's own state directory under the profile is never granted to the
 * sandbox group, whatever else AppData\Local holds. */
static void test_state_dir_is_never_granted(void **state)
{
	static const cordon_profile_entry entries[] = {
		{"AppData", true, false},
		{"AppData/Local", true, false},
		{"AppData/Local/cordon", true, false},
		{"AppData/Local/Programs", true, false},
	};
	cordon_setup_inputs in;
	cordon_setup_state fresh;
	cordon_setup_plan plan;
	cordon_error err = {0};
	bool programs = false;

	(void)state;
	typical(&in);
	in.profile_entries = entries;
	in.profile_entry_count = sizeof(entries) / sizeof(entries[0]);
	memset(&fresh, 0, sizeof(fresh));
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_OK);
	for (size_t i = 0; i < plan.grants.grant_count; i++) {
		assert_null(strstr(plan.grants.grants[i].path, "\\cordon"));
		programs = programs ||
			   strcmp(plan.grants.grants[i].path, PROFILE "\\AppData\\Local\\Programs") == 0;
	}
	assert_true(programs);
	assert_int_equal(plan.grants.excluded_found_count, 1);
	assert_string_equal(plan.grants.excluded_found[0], PROFILE "\\AppData\\Local\\cordon");
	cordon_setup_plan_free(&plan);
}

/* Status plans again from the record alone (no profile listing): the
 * entries rebuilt from the record's grants, with its roots and the same
 * stores, give the record's fingerprint and no grant step; a changed
 * credential-store list (a newer cordon) changes the fingerprint. */
static void test_record_alone_plans_the_same_setup(void **state)
{
	static const char *const more_stores[] = {".ssh",   ".aws",   ".config/gh", ".cargo/credentials.toml",
						  ".npmrc", ".netrc", ".gitconfig"};
	cordon_setup_inputs in, again;
	cordon_setup_state fresh;
	cordon_setup_plan plan, replanned;
	machine m;
	cordon_setup_record record;
	cordon_profile_entry *entries = NULL;
	size_t count = 0;
	cordon_error err = {0};
	char reasons[512];

	(void)state;
	typical(&in);
	memset(&fresh, 0, sizeof(fresh));
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_OK);
	assert_int_equal(cordon_setup_record_from_plan(&plan, &in, &record, &err), CORDON_OK);
	assert_int_equal(cordon_setup_entries_from_record(&record, PROFILE, &entries, &count, &err),
			 CORDON_OK);
	/* every grant but the profile itself and the root outside it */
	assert_int_equal(count, record.grant_count - 2);
	again = in;
	again.profile_entries = entries;
	again.profile_entry_count = count;
	again.roots = (const char *const *)record.roots;
	again.root_count = record.root_count;
	/* The machine as setup left it, the grants as the record has them. */
	apply(&plan, &m);
	m.state.grants = record.grants;
	m.state.grant_count = record.grant_count;
	assert_int_equal(cordon_setup_plan_build(&again, &m.state, &replanned, &err), CORDON_OK);
	assert_int_equal(replanned.step_count, 0);
	assert_false(cordon_setup_stale_reasons(&replanned, &record, reasons, sizeof(reasons)));
	assert_string_equal(replanned.fingerprint, record.fingerprint);
	assert_int_equal(replanned.grants.step_count, 0);
	assert_int_equal(replanned.grants.grant_count, record.grant_count);
	cordon_setup_plan_free(&replanned);

	/* A newer cordon leaves .gitconfig out too: one grant to remove, and
	 * another fingerprint. */
	again.credential_stores = more_stores;
	again.credential_store_count = sizeof(more_stores) / sizeof(more_stores[0]);
	assert_int_equal(cordon_setup_plan_build(&again, &m.state, &replanned, &err), CORDON_OK);
	assert_string_not_equal(replanned.fingerprint, record.fingerprint);
	assert_int_equal(replanned.grants.step_count, 1);
	assert_true(replanned.grants.steps[0].remove);
	assert_true(cordon_setup_stale_reasons(&replanned, &record, reasons, sizeof(reasons)));
	assert_non_null(strstr(reasons, "1 read grant to remove"));
	cordon_setup_plan_free(&replanned);

	free(entries);
	cordon_setup_record_free(&record);
	cordon_setup_plan_free(&plan);
}

static void test_applied_machine_plans_nothing(void **state)
{
	cordon_setup_inputs in;
	cordon_setup_state fresh;
	cordon_setup_plan plan, again;
	cordon_setup_record record;
	cordon_error err = {0};
	char reasons[512];
	machine m;

	(void)state;
	typical(&in);
	memset(&fresh, 0, sizeof(fresh));
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_OK);
	apply(&plan, &m);
	assert_int_equal(cordon_setup_record_from_plan(&plan, &in, &record, &err), CORDON_OK);

	assert_int_equal(cordon_setup_plan_build(&in, &m.state, &again, &err), CORDON_OK);
	assert_int_equal(again.step_count, 0);
	assert_string_equal(again.fingerprint, plan.fingerprint);
	assert_false(cordon_setup_stale_reasons(&again, &record, reasons, sizeof(reasons)));
	assert_string_equal(reasons, "");
	cordon_setup_plan_free(&again);
	cordon_setup_record_free(&record);
	cordon_setup_plan_free(&plan);
}

static void test_partial_states_give_exactly_the_missing_pieces(void **state)
{
	cordon_setup_inputs in;
	cordon_setup_state fresh;
	cordon_setup_plan plan, again;
	cordon_setup_record record;
	cordon_error err = {0};
	char reasons[512];
	const char *const more_roots[] = {"C:\\Users\\alice\\source\\repos\\app", "D:\\work\\service",
					  "E:\\new"};
	machine m;

	(void)state;
	typical(&in);
	memset(&fresh, 0, sizeof(fresh));
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_OK);
	assert_int_equal(cordon_setup_record_from_plan(&plan, &in, &record, &err), CORDON_OK);

	/* Someone removed cordon's filters (not the sublayer). */
	apply(&plan, &m);
	m.state.wfp.filter_count = 0;
	assert_int_equal(cordon_setup_plan_build(&in, &m.state, &again, &err), CORDON_OK);
	assert_int_equal(again.step_count, CORDON_WFP_FILTER_COUNT);
	for (size_t i = 0; i < again.wfp.step_count; i++)
		assert_int_equal(again.wfp.steps[i].kind, CORDON_WFP_ADD_FILTER);
	assert_true(cordon_setup_stale_reasons(&again, &record, reasons, sizeof(reasons)));
	assert_string_equal(reasons, "10 network filters missing or changed");
	cordon_setup_plan_free(&again);

	/* The offline account was deleted: recreated, and its filters
	 * replaced (they matched the old SID); grants untouched (they name
	 * the group). */
	apply(&plan, &m);
	memset(&m.state.accounts.accounts[CORDON_ACCOUNT_OFFLINE], 0, sizeof(cordon_account_state));
	assert_int_equal(cordon_setup_plan_build(&in, &m.state, &again, &err), CORDON_OK);
	assert_int_equal(again.accounts.step_count, 4);
	assert_int_equal(again.wfp.step_count, CORDON_WFP_FILTER_COUNT);
	for (size_t i = 0; i < again.wfp.step_count; i++)
		assert_int_equal(again.wfp.steps[i].kind, CORDON_WFP_REPLACE_FILTER);
	assert_int_equal(again.grants.step_count, 0);
	assert_true(cordon_setup_stale_reasons(&again, &record, reasons, sizeof(reasons)));
	assert_non_null(strstr(reasons, "the account CordonSandboxOffline is missing"));
	cordon_setup_plan_free(&again);

	/* A new root: one read grant, nothing else; the fingerprint moves. */
	apply(&plan, &m);
	in.roots = more_roots;
	in.root_count = 3;
	assert_int_equal(cordon_setup_plan_build(&in, &m.state, &again, &err), CORDON_OK);
	assert_int_equal(again.step_count, 1);
	assert_int_equal(again.grants.step_count, 1);
	assert_string_equal(again.grants.steps[0].grant.path, "E:\\new");
	assert_string_not_equal(again.fingerprint, record.fingerprint);
	assert_true(cordon_setup_stale_reasons(&again, &record, reasons, sizeof(reasons)));
	assert_string_equal(reasons, "no read grant on root E:\\new");
	cordon_setup_plan_free(&again);

	cordon_setup_record_free(&record);
	cordon_setup_plan_free(&plan);
}

static void test_record_round_trip(void **state)
{
	cordon_setup_inputs in;
	cordon_setup_state fresh;
	cordon_setup_plan plan;
	cordon_setup_record record, back;
	cordon_error err = {0};
	char *text, *again;

	(void)state;
	typical(&in);
	memset(&fresh, 0, sizeof(fresh));
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_OK);
	assert_int_equal(cordon_setup_record_from_plan(&plan, &in, &record, &err), CORDON_OK);
	assert_int_equal(record.filter_count, CORDON_WFP_FILTER_COUNT);
	assert_int_equal(record.grant_count, plan.grants.grant_count);
	assert_int_equal(record.root_count, 2);
	text = cordon_setup_record_render(&record);
	assert_non_null(text);
	/* No secret ever reaches the record. */
	assert_null(strstr(text, "password"));
	assert_int_equal(cordon_setup_record_parse(text, strlen(text), &back, &err), CORDON_OK);
	assert_string_equal(back.fingerprint, record.fingerprint);
	assert_int_equal(back.proxy_port, PROXY_PORT);
	assert_true(back.accounts.group && back.accounts.accounts[0] && back.accounts.accounts[1]);
	assert_true(back.wfp_provider && back.wfp_sublayer);
	assert_int_equal(back.filter_count, record.filter_count);
	for (size_t i = 0; i < back.filter_count; i++)
		assert_true(cordon_guid_equal(&back.filter_keys[i], &record.filter_keys[i]));
	assert_int_equal(back.grant_count, record.grant_count);
	for (size_t i = 0; i < back.grant_count; i++) {
		assert_string_equal(back.grants[i].path, record.grants[i].path);
		assert_int_equal(back.grants[i].kind, record.grants[i].kind);
		assert_int_equal(back.grants[i].is_directory, record.grants[i].is_directory);
	}
	assert_string_equal(back.roots[1], "D:\\work\\service");
	again = cordon_setup_record_render(&back);
	assert_string_equal(again, text);
	free(again);
	free(text);
	cordon_setup_record_free(&back);
	cordon_setup_record_free(&record);
	cordon_setup_plan_free(&plan);
}

static void test_bad_records_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"fingerprint\":\"x\"}",
		"{\"version\":1,\"fingerprint\":"
		"\"00000000000000000000000000000000000000000000000000000000000000"
		"00\",\"proxy_port\":3128,\"group\":true,\"accounts\":[\"Administrator\"],\"wfp_provider\":"
		"true,"
		"\"wfp_sublayer\":true,\"wfp_filters\":[],\"read_grants\":[],\"roots\":[]}",
		"{\"version\":1,\"fingerprint\":"
		"\"00000000000000000000000000000000000000000000000000000000000000"
		"00\",\"proxy_port\":3128,\"group\":true,\"accounts\":[],\"wfp_provider\":true,"
		"\"wfp_sublayer\":true,\"wfp_filters\":[\"not-a-guid\"],\"read_grants\":[],\"roots\":[]}",
		"{\"version\":1,\"fingerprint\":"
		"\"00000000000000000000000000000000000000000000000000000000000000"
		"00\",\"proxy_port\":70000,\"group\":true,\"accounts\":[],\"wfp_provider\":true,"
		"\"wfp_sublayer\":true,\"wfp_filters\":[],\"read_grants\":[],\"roots\":[]}",
	};
	cordon_setup_record record;
	cordon_error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(cordon_setup_record_parse(bad[i], strlen(bad[i]), &record, &err),
				 CORDON_E_INVALID);
		assert_non_null(strstr(err.message, "cannot read setup's record"));
		assert_non_null(strstr(err.message, "run 'cordon setup' again"));
		assert_int_equal(record.filter_count + record.grant_count + record.root_count, 0);
	}
}

static void test_uninstall_removes_what_was_recorded_and_nothing_else(void **state)
{
	cordon_setup_inputs in;
	cordon_setup_state fresh;
	cordon_setup_plan plan, removal;
	cordon_setup_record record;
	cordon_error err = {0};

	(void)state;
	typical(&in);
	memset(&fresh, 0, sizeof(fresh));
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_OK);
	assert_int_equal(cordon_setup_record_from_plan(&plan, &in, &record, &err), CORDON_OK);
	/* The record is older than the machine: one grant was never
	 * recorded (say, made by hand); uninstall must leave it. */
	free((char *)record.grants[record.grant_count - 1].path);
	record.grant_count--;

	assert_int_equal(cordon_setup_plan_uninstall(&record, &removal, &err), CORDON_OK);
	assert_true(removal.uninstall);
	assert_int_equal(removal.wfp.step_count, CORDON_WFP_FILTER_COUNT + 2);
	for (size_t i = 0; i < CORDON_WFP_FILTER_COUNT; i++) {
		assert_int_equal(removal.wfp.steps[i].kind, CORDON_WFP_DELETE_FILTER);
		assert_true(cordon_guid_equal(&removal.wfp.steps[i].key, &record.filter_keys[i]));
	}
	assert_int_equal(removal.grants.step_count, record.grant_count);
	for (size_t i = 0; i < removal.grants.step_count; i++) {
		assert_true(removal.grants.steps[i].remove);
		assert_string_equal(removal.grants.steps[i].grant.path, record.grants[i].path);
	}
	for (size_t i = 0; i < removal.grants.step_count; i++)
		assert_string_not_equal(removal.grants.steps[i].grant.path,
					plan.grants.grants[plan.grants.grant_count - 1].path);
	assert_int_equal(removal.accounts.step_count, 7);
	assert_int_equal(removal.step_count, 12 + record.grant_count + 7);
	cordon_setup_plan_free(&removal);

	/* A record of nothing removes nothing. */
	cordon_setup_record_free(&record);
	assert_int_equal(cordon_setup_plan_uninstall(&record, &removal, &err), CORDON_OK);
	assert_int_equal(removal.step_count, 0);
	cordon_setup_plan_free(&removal);
	cordon_setup_plan_free(&plan);
}

static const cordon_json *get(const cordon_json *object, const char *key)
{
	const cordon_json *value = cordon_json_get(object, key);

	if (!value)
		fail_msg("no member %s", key);
	return value;
}

static void test_plan_json(void **state)
{
	cordon_setup_inputs in;
	cordon_setup_state fresh;
	cordon_setup_plan plan;
	cordon_error err = {0};
	cordon_json *doc;
	cordon_json_error json_err;
	const cordon_json *counts, *filters, *first;
	char *text;

	(void)state;
	typical(&in);
	memset(&fresh, 0, sizeof(fresh));
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_OK);
	text = cordon_setup_plan_render(&plan, "fresh machine");
	assert_non_null(text);
	assert_true(cordon_json_parse(text, strlen(text), &doc, &json_err));
	assert_string_equal(get(doc, "setup")->string, "install");
	assert_string_equal(get(doc, "state")->string, "fresh machine");
	assert_string_equal(get(doc, "fingerprint")->string, plan.fingerprint);
	counts = get(doc, "counts");
	assert_int_equal((int)get(counts, "accounts")->number, 2);
	assert_int_equal((int)get(counts, "groups")->number, 1);
	assert_int_equal((int)get(counts, "wfp_filters")->number, CORDON_WFP_FILTER_COUNT);
	assert_int_equal((int)get(counts, "read_grants")->number, (int)plan.grants.grant_count);
	assert_int_equal((int)get(counts, "steps")->number, (int)plan.step_count);
	assert_int_equal(get(doc, "steps")->count, plan.step_count);
	filters = get(get(doc, "wfp"), "filters");
	assert_int_equal(filters->count, CORDON_WFP_FILTER_COUNT);
	first = filters->items[0];
	assert_string_equal(get(first, "action")->string, "permit");
	assert_string_equal(get(first, "layer")->string, "FWPM_LAYER_ALE_AUTH_CONNECT_V4");
	assert_string_equal(get(get(first, "conditions")->items[2], "value")->string, "127.0.0.1");
	assert_int_equal(get(doc, "accounts")->count, 2);
	assert_string_equal(get(get(doc, "group"), "name")->string, CORDON_SANDBOX_GROUP);
	assert_int_equal(get(get(doc, "read_grants"), "read_through_users")->count, 4);
	cordon_json_free(doc);
	free(text);
	cordon_setup_plan_free(&plan);
}

static void test_bad_inputs(void **state)
{
	cordon_setup_inputs in;
	cordon_setup_state fresh;
	cordon_setup_plan plan;
	cordon_error err = {0};

	(void)state;
	memset(&fresh, 0, sizeof(fresh));
	typical(&in);
	in.proxy_port = 0;
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_E_INVALID);
	typical(&in);
	in.profile_dir = "alice";
	assert_int_equal(cordon_setup_plan_build(&in, &fresh, &plan, &err), CORDON_E_INVALID);
	assert_int_equal(cordon_setup_plan_build(NULL, &fresh, &plan, &err), CORDON_E_INVALID);
	assert_int_equal(cordon_setup_plan_uninstall(NULL, &plan, &err), CORDON_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_machine_gets_the_full_plan),
		cmocka_unit_test(test_applied_machine_plans_nothing),
		cmocka_unit_test(test_state_dir_is_never_granted),
		cmocka_unit_test(test_record_alone_plans_the_same_setup),
		cmocka_unit_test(test_partial_states_give_exactly_the_missing_pieces),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_bad_records_are_refused),
		cmocka_unit_test(test_uninstall_removes_what_was_recorded_and_nothing_else),
		cmocka_unit_test(test_plan_json),
		cmocka_unit_test(test_bad_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
