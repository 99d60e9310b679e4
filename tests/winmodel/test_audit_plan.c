/* The Everyone-writable audit: the DACL decision (unit), the places, the
 * bounded walk through the model's file port (port test: reparse points
 * never followed, depth, count and time bounds), its record, and its
 * findings fed to the ACL engine (denies written once, none on a warm
 * run, and what the restricted token can do afterwards). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support_model.h"
#include "support_model_port.h"
#include "windows/plan/acl_apply.h"
#include "windows/plan/audit_plan.h"
#include "windows/plan/token_plan.h"

#define ALICE "S-1-5-21-1-2-3-1001"
#define LOGON "S-1-5-5-0-999"
#define OICI  (CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT)
#define HOME  "C:\\Users\\alice"
#define PROJ  HOME "\\proj"
#define STATE HOME "\\AppData\\Local\\cordon"

static cordon_sid sid_of(const char *text)
{
	cordon_sid sid;
	assert_true(cordon_sid_parse(text, &sid));
	return sid;
}

/* ------------------------------------------------------ the DACL decision */

static void test_broad_writers(void **state)
{
	(void)state;
	cordon_sid everyone = cordon_sid_everyone(), users = sid_of("S-1-5-32-545");
	cordon_sid au = cordon_sid_authenticated_users(), interactive = sid_of("S-1-5-4");
	cordon_sid logon = sid_of(LOGON), alice = sid_of(ALICE), admins = cordon_sid_administrators();
	cordon_ace aces[4];

	assert_int_equal(cordon_audit_broad_writers(false, NULL, 0), 0x1f); /* NULL DACL */
	assert_int_equal(cordon_audit_broad_writers(true, NULL, 0), 0);	    /* empty DACL */
	/* read and execute only: not writable */
	aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_READ | CORDON_GENERIC_EXECUTE,
				  &everyone);
	assert_int_equal(cordon_audit_broad_writers(true, aces, 1), 0);
	/* each right on its own counts, generic ones mapped */
	const uint32_t rights[] = {CORDON_FILE_ADD_FILE,     CORDON_FILE_ADD_SUBDIRECTORY,
				   CORDON_FILE_DELETE_CHILD, CORDON_WRITE_DAC,
				   CORDON_WRITE_OWNER,	     CORDON_GENERIC_WRITE,
				   CORDON_GENERIC_ALL};
	for (size_t i = 0; i < sizeof(rights) / sizeof(rights[0]); i++) {
		aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, 0, rights[i], &users);
		assert_int_equal(cordon_audit_broad_writers(true, aces, 1), CORDON_AUDIT_USERS);
	}
	/* write attributes alone does not plant or remove anything */
	aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_WRITE_ATTRIBUTES | CORDON_FILE_WRITE_EA,
				  &users);
	assert_int_equal(cordon_audit_broad_writers(true, aces, 1), 0);
	/* each group its own bit; the user and Administrators are no broad group */
	aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_FILE, &au);
	aces[1] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_FILE, &interactive);
	aces[2] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_FILE, &logon);
	aces[3] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_GENERIC_ALL, &alice);
	assert_int_equal(cordon_audit_broad_writers(true, aces, 4),
			 CORDON_AUDIT_AUTHENTICATED_USERS | CORDON_AUDIT_INTERACTIVE | CORDON_AUDIT_LOGON);
	aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_GENERIC_ALL, &admins);
	assert_int_equal(cordon_audit_broad_writers(true, aces, 1), 0);
	/* inherit-only: not on the directory itself */
	aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, OICI | CORDON_ACE_INHERIT_ONLY, CORDON_GENERIC_ALL,
				  &everyone);
	assert_int_equal(cordon_audit_broad_writers(true, aces, 1), 0);
	/* a deny in front does not hide the allow (errs towards finding) */
	aces[0] = cordon_ace_make(CORDON_ACE_DENY, 0, CORDON_GENERIC_ALL, &everyone);
	aces[1] = cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_GENERIC_ALL, &everyone);
	assert_int_equal(cordon_audit_broad_writers(true, aces, 2), CORDON_AUDIT_EVERYONE);
}

static void test_places(void **state)
{
	(void)state;
	cordon_audit_place places[CORDON_AUDIT_PLACES_MAX];
	cordon_audit_known_dirs dirs = {"D:\\Windows", "D:\\ProgramData", "D:\\Users\\Public",
					"D:\\Program Files", NULL};
	size_t n = cordon_audit_places(&dirs, places);

	assert_int_equal(n, 11); /* no Program Files (x86) */
	assert_string_equal(places[0].path, "D:\\");
	assert_int_equal(places[0].depth, 1);
	assert_string_equal(places[1].path, "D:\\ProgramData");
	assert_int_equal(places[1].depth, 2);
	assert_string_equal(places[4].path, "D:\\Windows\\Temp");
	assert_int_equal(places[4].depth, 0);
	for (size_t i = 0; i < n; i++)
		assert_true(places[i].path[0] == 'D' && places[i].path[1] == ':');
	memset(&dirs, 0, sizeof(dirs));
	assert_int_equal(cordon_audit_places(&dirs, places), 0);
}

/* ------------------------------------------------------------- the machine */

typedef struct machine {
	model_tree tree;
	model_port port;
	cordon_fs_port fs;
	memory_state state;
	cordon_state_port state_port;
	cordon_sid user, logon, workspace, shared, sandbox, readonly;
	cordon_sid groups[6];
	size_t group_count;
} machine;

static const uint8_t secret[CORDON_CAPSID_SECRET_BYTES] = "audit test secret, not random!!";

/* A directory that inherits nothing (SE_DACL_PROTECTED): only its
 * explicit ACEs. */
static model_node *add_protected(model_tree *t, const char *path, const cordon_sid *owner,
				 const cordon_ace *aces, size_t count)
{
	model_node *n = model_add(t, path, true, owner, aces, count);
	size_t kept = 0;
	for (size_t i = 0; i < n->ace_count; i++)
		if (!(n->aces[i].flags & CORDON_ACE_INHERITED))
			n->aces[kept++] = n->aces[i];
	n->ace_count = kept;
	n->dacl_protected = true;
	return n;
}

static machine *machine_new(void)
{
	machine *m = calloc(1, sizeof(*m));
	model_tree *t;
	assert_non_null(m);
	t = &m->tree;
	cordon_sid system = cordon_sid_local_system(), admins = cordon_sid_administrators();
	cordon_sid everyone = cordon_sid_everyone(), users = sid_of("S-1-5-32-545");
	cordon_sid au = cordon_sid_authenticated_users(), interactive = sid_of("S-1-5-4");

	model_tree_init(t);
	m->user = sid_of(ALICE);
	m->logon = sid_of(LOGON);
	assert_true(
		cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_WORKSPACE, PROJ, &m->workspace));
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_SHARED, NULL, &m->shared));
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_SANDBOX, NULL, &m->sandbox));
	assert_true(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_READONLY, NULL, &m->readonly));
	m->groups[m->group_count++] = everyone;
	m->groups[m->group_count++] = users;
	m->groups[m->group_count++] = au;
	m->groups[m->group_count++] = interactive;
	m->groups[m->group_count++] = m->logon;

	/* The system drive's root as Windows sets it up: Users read,
	 * Authenticated Users may add subdirectories here and modify what
	 * is below (inherit-only). */
	cordon_ace root[] = {
		cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &admins),
		cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &system),
		cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_READ | CORDON_GENERIC_EXECUTE, &users),
		cordon_ace_make(CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_SUBDIRECTORY, &au),
		cordon_ace_make(CORDON_ACE_ALLOW, OICI | CORDON_ACE_INHERIT_ONLY,
				CORDON_GENERIC_READ | CORDON_GENERIC_WRITE | CORDON_GENERIC_EXECUTE |
					CORDON_DELETE,
				&au),
	};
	cordon_ace sealed[] = {
		cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &admins),
		cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &system),
		cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_READ | CORDON_GENERIC_EXECUTE, &users),
	};
	cordon_ace users_add[] = {cordon_ace_make(
		CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_FILE | CORDON_FILE_ADD_SUBDIRECTORY, &users)};
	cordon_ace everyone_all[] = {cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &everyone)};
	cordon_ace interactive_all[] = {
		cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &interactive)};
	cordon_ace profile[] = {
		cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &m->user),
		cordon_ace_make(CORDON_ACE_ALLOW, OICI, CORDON_GENERIC_ALL, &system),
	};
	model_add(t, "C:\\", true, &system, root, 5);
	/* made by the user at the root: inherits Authenticated Users' modify */
	model_add(t, "C:\\tools", true, &m->user, NULL, 0);
	model_add(t, "C:\\tools\\bin", true, &m->user, NULL, 0);
	add_protected(t, "C:\\Windows", &system, sealed, 3);
	model_add(t, "C:\\Windows\\Temp", true, &system, users_add, 1);
	model_add(t, "C:\\Windows\\System32", true, &system, NULL, 0);
	add_protected(t, "C:\\ProgramData", &system, sealed, 3);
	model_add(t, "C:\\ProgramData\\App", true, &system, everyone_all, 1);
	model_add(t, "C:\\ProgramData\\App\\cache", true, &system, NULL, 0);
	model_add(t, "C:\\ProgramData\\App\\cache\\deep", true, &system, everyone_all, 1);
	model_add(t, "C:\\ProgramData\\Quiet", true, &system, NULL, 0);
	model_add(t, "C:\\ProgramData\\Quiet\\log.txt", false, &system, NULL, 0);
	/* a junction in a writable place, to the user's own secrets */
	model_add_junction(t, "C:\\ProgramData\\link", HOME "\\secrets", &system);
	add_protected(t, "C:\\Program Files", &system, sealed, 3);
	model_add(t, "C:\\Program Files\\Vendor", true, &system, interactive_all, 1);
	add_protected(t, "C:\\Users", &system, sealed, 3);
	add_protected(t, HOME, &m->user, profile, 2);
	model_add(t, HOME "\\secrets", true, &m->user, everyone_all, 1);
	model_add(t, PROJ, true, &m->user, NULL, 0);
	model_add(t, HOME "\\AppData", true, &m->user, NULL, 0);
	model_add(t, HOME "\\AppData\\Local", true, &m->user, NULL, 0);
	model_add(t, STATE, true, &m->user, NULL, 0);

	model_port_init(&m->port, &m->tree);
	m->fs = model_port_fs(&m->port);
	memory_state_init(&m->state);
	m->state_port = memory_state_port(&m->state);
	return m;
}

static void machine_free(machine *m)
{
	model_port_free(&m->port);
	memory_state_free(&m->state);
	model_tree_free(&m->tree);
	free(m);
}

static size_t places_of(cordon_audit_place *places)
{
	cordon_audit_known_dirs dirs = {"C:\\Windows", "C:\\ProgramData", "C:\\Users\\Public",
					"C:\\Program Files", "C:\\Program Files (x86)"};
	return cordon_audit_places(&dirs, places);
}

static const cordon_audit_finding *finding(const cordon_audit_result *r, const char *path)
{
	for (size_t i = 0; i < r->found_count; i++)
		if (strcmp(r->found[i].path, path) == 0)
			return &r->found[i];
	return NULL;
}

static void audit_ok(machine *m, const cordon_audit_bounds *bounds, cordon_audit_result *r)
{
	cordon_audit_place places[CORDON_AUDIT_PLACES_MAX];
	cordon_error err;
	size_t n = places_of(places);
	if (cordon_audit_walk(&m->fs, places, n, bounds, r, &err) != CORDON_OK)
		fail_msg("audit failed: %s", err.message);
}

/* -------------------------------------------------------------- the walk */

static void test_walk_finds_broadly_writable_directories(void **state)
{
	(void)state;
	machine *m = machine_new();
	cordon_audit_bounds bounds = {.max_checks = 50000};
	cordon_audit_result r;

	audit_ok(m, &bounds, &r);
	assert_int_equal(r.stop, CORDON_AUDIT_COMPLETE);
	assert_non_null(finding(&r, "C:\\tools"));
	assert_int_equal(finding(&r, "C:\\tools")->writers, CORDON_AUDIT_AUTHENTICATED_USERS);
	assert_int_equal(finding(&r, "C:\\Windows\\Temp")->writers, CORDON_AUDIT_USERS);
	assert_int_equal(finding(&r, "C:\\ProgramData\\App")->writers, CORDON_AUDIT_EVERYONE);
	assert_int_equal(finding(&r, "C:\\Program Files\\Vendor")->writers, CORDON_AUDIT_INTERACTIVE);
	/* the root itself: Authenticated Users may add subdirectories */
	assert_non_null(finding(&r, "C:\\"));
	/* App\cache only inherits App's grant: App's deny covers it */
	assert_null(finding(&r, "C:\\ProgramData\\App\\cache"));
	/* depth: ProgramData\App\cache (depth 2) is examined, its child not */
	assert_int_equal(model_port_reads_of(&m->port, "C:\\ProgramData\\App\\cache", false), 1);
	assert_null(finding(&r, "C:\\ProgramData\\App\\cache\\deep"));
	assert_int_equal(model_port_reads_of(&m->port, "C:\\ProgramData\\App\\cache\\deep", false), 0);
	/* C:\tools\bin is below depth 1 of C:\ (it inherits the deny) */
	assert_int_equal(model_port_reads_of(&m->port, "C:\\tools\\bin", false), 0);
	/* sealed directories and files are not findings */
	assert_null(finding(&r, "C:\\Windows"));
	assert_null(finding(&r, "C:\\ProgramData"));
	assert_null(finding(&r, "C:\\ProgramData\\Quiet\\log.txt"));
	/* the junction is counted and never followed: its Everyone-writable
	 * target's DACL was never read, nor anything below the profile */
	assert_true(r.reparse_points >= 1);
	assert_null(finding(&r, HOME "\\secrets"));
	assert_null(finding(&r, "C:\\ProgramData\\link"));
	assert_int_equal(model_port_reads_of(&m->port, HOME "\\secrets", true), 0);
	/* a place that does not exist is skipped, not an error */
	assert_null(finding(&r, "C:\\Users\\Public"));
	assert_int_equal(r.found_count, 5);
	cordon_audit_result_free(&r);
	machine_free(m);
}

static void test_walk_stops_at_its_count(void **state)
{
	(void)state;
	machine *m = machine_new();
	cordon_audit_bounds bounds = {.max_checks = 3};
	cordon_audit_result r;

	audit_ok(m, &bounds, &r);
	assert_int_equal(r.stop, CORDON_AUDIT_COUNT_LIMIT);
	assert_int_equal(r.checks, 3);
	assert_null(finding(&r, "C:\\Program Files\\Vendor"));
	cordon_audit_result_free(&r);
	machine_free(m);
}

static double ticking_clock(void *context)
{
	double *now = context;
	*now += 1.0;
	return *now;
}

static void test_walk_stops_at_its_time(void **state)
{
	(void)state;
	machine *m = machine_new();
	double now = 0.0;
	cordon_audit_bounds bounds = {
		.max_checks = 50000, .max_seconds = 2.5, .now = ticking_clock, .now_context = &now};
	cordon_audit_result r;

	audit_ok(m, &bounds, &r);
	assert_int_equal(r.stop, CORDON_AUDIT_TIME_LIMIT);
	/* the first place was walked, the later ones never reached */
	assert_int_equal(model_port_reads_of(&m->port, "C:\\Program Files\\Vendor", false), 0);
	cordon_audit_result_free(&r);
	machine_free(m);
}

/* ------------------------------------------------------------- the record */

static void test_record_round_trip(void **state)
{
	(void)state;
	machine *m = machine_new();
	cordon_audit_bounds bounds = {.max_checks = 50000};
	cordon_audit_result r, back;
	long long when = 0;

	audit_ok(m, &bounds, &r);
	char *text = cordon_audit_record_format(&r, 1700000000LL);
	assert_non_null(text);
	assert_true(cordon_audit_record_parse(text, strlen(text), &back, &when));
	assert_true(when == 1700000000LL);
	assert_int_equal(back.found_count, r.found_count);
	assert_int_equal(back.checks, r.checks);
	assert_int_equal(back.stop, r.stop);
	for (size_t i = 0; i < r.found_count; i++) {
		assert_string_equal(back.found[i].path, r.found[i].path);
		assert_int_equal(back.found[i].writers, r.found[i].writers);
	}
	cordon_audit_result_free(&back);
	/* every truncation is refused or is a whole shorter record */
	for (size_t n = 0; n < strlen(text); n++) {
		if (cordon_audit_record_parse(text, n, &back, &when)) {
			assert_true(n > 0 && text[n - 1] == '\n');
			assert_true(back.found_count < r.found_count);
			cordon_audit_result_free(&back);
		}
	}
	static const char *const bad[] = {
		"cordon everyone-writable audit 2\ntime 1\nstop complete\nchecks 1\n",
		"cordon everyone-writable audit 1\ntime x\nstop complete\nchecks 1\n",
		"cordon everyone-writable audit 1\ntime 1\nstop maybe\nchecks 1\n",
		"cordon everyone-writable audit 1\ntime 1\nstop complete\nchecks 1\ndir 00 C:\\x\n",
		"cordon everyone-writable audit 1\ntime 1\nstop complete\nchecks 1\ndir 01 relative\n",
		"cordon everyone-writable audit 1\ntime 1\nstop complete\nchecks 1\ndir 1 C:\\x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cordon_audit_record_parse(bad[i], strlen(bad[i]), &back, &when))
			fail_msg("accepted: %s", bad[i]);
	assert_true(cordon_audit_record_fresh(1000, 1000 + 3600));
	assert_false(cordon_audit_record_fresh(1000, 1000 + CORDON_AUDIT_MAX_AGE_SECONDS));
	assert_false(cordon_audit_record_fresh(2000, 1000)); /* from the future */
	free(text);
	cordon_audit_result_free(&r);
	machine_free(m);
}

/* ------------------------------------------ the findings, fed to the engine */

static model_token restricted_token(machine *m)
{
	cordon_token_inputs in;
	cordon_token_plan plan;
	cordon_error err;

	memset(&in, 0, sizeof(in));
	in.mode = CORDON_MODE_WORKSPACE_WRITE;
	in.user = m->user;
	in.logon = m->logon;
	in.workspace = m->workspace;
	in.shared = m->shared;
	in.sandbox = m->sandbox;
	in.readonly = m->readonly;
	/* This run's own SID (random in cordon; fixed here). */
	in.run = model_run_sid();
	assert_int_equal(cordon_token_plan_build(&in, &plan, &err), CORDON_OK);
	return model_token_from_plan(&plan, &m->user, m->groups, m->group_count, MODEL_READING_FORSHAW);
}

static cordon_code apply_with(machine *m, const cordon_audit_result *r, cordon_acl_apply_result *out)
{
	static const char *const protected_names[] = {".git", ".codex", ".agents"};
	static const cordon_acl_root roots[] = {{PROJ, CORDON_ROOT_WORKSPACE}};
	const char **dirs = calloc(r->found_count + 1, sizeof(*dirs));
	cordon_acl_inputs in;
	cordon_error err;

	assert_non_null(dirs);
	for (size_t i = 0; i < r->found_count; i++)
		dirs[i] = r->found[i].path;
	memset(&in, 0, sizeof(in));
	in.mode = CORDON_MODE_WORKSPACE_WRITE;
	in.roots = roots;
	in.root_count = 1;
	in.protected_names = protected_names;
	in.protected_count = 3;
	in.state_dir = STATE;
	in.workspace_sid = m->workspace;
	in.shared_sid = m->shared;
	in.sandbox_sid = m->sandbox;
	in.readonly_sid = m->readonly;
	in.audit_dirs_listed_only = true;
	cordon_code code =
		cordon_acl_apply_once(&m->fs, &m->state_port, &in, dirs, r->found_count, out, &err);
	free(dirs);
	return code;
}

static void test_findings_are_denied_once(void **state)
{
	(void)state;
	machine *m = machine_new();
	cordon_audit_bounds bounds = {.max_checks = 50000};
	cordon_audit_result r;
	cordon_acl_apply_result first, second;
	model_token token = restricted_token(m);

	/* Before: Everyone-writable directories are open to the sandbox,
	 * since Everyone and the logon SID stay in the token. */
	assert_int_equal(model_write(&m->tree, &token, "C:\\ProgramData\\App\\x.txt"), MODEL_ALLOWED);
	assert_int_equal(model_write(&m->tree, &token, "C:\\ProgramData\\App\\cache\\deep\\x.txt"),
			 MODEL_ALLOWED);

	audit_ok(m, &bounds, &r);
	size_t reads_before = m->port.read_count;
	assert_int_equal(apply_with(m, &r, &first), CORDON_OK);
	/* Listed, not walked: the engine read the findings, the root, the
	 * state directory, and nothing below a finding. */
	assert_int_equal(model_port_reads_of(&m->port, "C:\\ProgramData\\App\\cache", false), 1);
	for (size_t i = reads_before; i < m->port.read_count; i++) {
		const char *read = m->port.reads[i];
		if (!finding(&r, read) && strcmp(read, PROJ) != 0 && strcmp(read, STATE) != 0)
			fail_msg("the engine read %s, which is no finding, root or state", read);
	}
	/* one deny for the Everyone-writable finding (the plan's own rule:
	 * Everyone or a logon SID), the root's allows, the state deny */
	assert_int_equal(model_port_writes_of(&m->port, "C:\\ProgramData\\App", false), 1);
	assert_int_equal(model_port_writes_of(&m->port, "C:\\Windows\\Temp", false), 0);
	assert_int_equal(model_port_writes_of(&m->port, "C:\\tools", false), 0);
	assert_true(first.descriptors_written >= 1);

	/* After: denied, also below it by inheritance (depth 3, never
	 * examined by the audit) */
	assert_int_equal(model_write(&m->tree, &token, "C:\\ProgramData\\App\\x.txt"), MODEL_DENIED);
	assert_int_equal(model_write(&m->tree, &token, "C:\\ProgramData\\App\\cache\\y.txt"), MODEL_DENIED);
	/* A directory writable only by Users, Authenticated Users or
	 * INTERACTIVE needs no deny: none of them is a restricting SID, so
	 * the token's second check already fails. */
	assert_int_equal(model_write(&m->tree, &token, "C:\\Windows\\Temp\\x.txt"), MODEL_DENIED);
	assert_int_equal(model_write(&m->tree, &token, "C:\\tools\\x.txt"), MODEL_DENIED);
	assert_int_equal(model_write(&m->tree, &token, "C:\\Program Files\\Vendor\\x.txt"), MODEL_DENIED);
	/* The workspace still works. */
	assert_int_equal(model_write(&m->tree, &token, PROJ "\\a.txt"), MODEL_ALLOWED);

	/* A warm run with the same findings writes nothing. */
	assert_int_equal(apply_with(m, &r, &second), CORDON_OK);
	assert_int_equal(second.descriptors_written, 0);
	cordon_acl_apply_result_free(&first);
	cordon_acl_apply_result_free(&second);
	cordon_audit_result_free(&r);
	machine_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broad_writers),
		cmocka_unit_test(test_places),
		cmocka_unit_test(test_walk_finds_broadly_writable_directories),
		cmocka_unit_test(test_walk_stops_at_its_count),
		cmocka_unit_test(test_walk_stops_at_its_time),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_findings_are_denied_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
