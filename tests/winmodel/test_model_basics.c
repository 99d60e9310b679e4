/* The access-check model against the examples and rules in Microsoft's
 * documentation (titles cited per test; see docs/windows.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "support_model.h"

static cordon_sid sid_of(const char *text)
{
	cordon_sid sid;

	assert_true(cordon_sid_parse(text, &sid));
	return sid;
}

/* The SID given as text, for the tables below. */
static cordon_ace ace(cordon_ace_type type, uint8_t flags, uint32_t mask, const char *sid)
{
	cordon_sid parsed = sid_of(sid);
	return cordon_ace_make(type, flags, mask, &parsed);
}

#define ANDREW	   "S-1-5-21-1-2-3-1002"
#define ALICE	   "S-1-5-21-1-2-3-1001"
#define GROUP_A	   "S-1-5-21-1-2-3-2001"
#define EVERYONE   "S-1-1-0"
#define LOGON	   "S-1-5-5-0-999"
#define CAPABILITY "S-1-5-21-9-9-9-9"
#define OI	   CORDON_ACE_OBJECT_INHERIT
#define CI	   CORDON_ACE_CONTAINER_INHERIT
#define IO	   CORDON_ACE_INHERIT_ONLY
#define NP	   CORDON_ACE_NO_PROPAGATE_INHERIT
#define R	   (CORDON_FILE_READ_DATA)
#define W	   (CORDON_FILE_WRITE_DATA)
#define X	   (CORDON_FILE_EXECUTE)

static model_token user_token(const char *user, const char *group)
{
	model_token t;

	memset(&t, 0, sizeof(t));
	t.user = sid_of(user);
	t.groups[t.group_count++] = sid_of(EVERYONE);
	if (group)
		t.groups[t.group_count++] = sid_of(group);
	return t;
}

/* "How DACLs Control Access to an Object": Andrew is denied by the first
 * ACE although Everyone and Group A are allowed; a member of Group A
 * gets write from ACE 2 and read+execute from ACE 3 together. */
static void test_documented_example_deny_first(void **state)
{
	model_tree tree;
	cordon_sid owner = sid_of("S-1-5-32-544");
	cordon_ace dacl[] = {
		ace(CORDON_ACE_DENY, 0, R | W | X, ANDREW),
		ace(CORDON_ACE_ALLOW, 0, W, GROUP_A),
		ace(CORDON_ACE_ALLOW, 0, R | X, EVERYONE),
	};
	model_node *file;
	model_token andrew = user_token(ANDREW, GROUP_A);
	model_token member = user_token(ALICE, GROUP_A);
	model_token other = user_token("S-1-5-21-1-2-3-1003", NULL);

	(void)state;
	model_tree_init(&tree);
	file = model_add(&tree, "C:\\f", false, &owner, dacl, 3);
	assert_false(model_access_check(file, &andrew, R));
	assert_false(model_access_check(file, &andrew, W));
	assert_true(model_access_check(file, &member, R | W | X));
	assert_true(model_access_check(file, &other, R | X));
	assert_false(model_access_check(file, &other, W));
	model_tree_free(&tree);
}

/* "How DACLs Control Access to an Object", the second figure: with the
 * allow ACEs first, the system grants before it reads the deny. */
static void test_order_matters(void **state)
{
	model_tree tree;
	cordon_sid owner = sid_of("S-1-5-32-544");
	cordon_ace dacl[] = {
		ace(CORDON_ACE_ALLOW, 0, W, GROUP_A),
		ace(CORDON_ACE_ALLOW, 0, R | X, EVERYONE),
		ace(CORDON_ACE_DENY, 0, R | W | X, ANDREW),
	};
	model_node *file;
	model_token andrew = user_token(ANDREW, GROUP_A);

	(void)state;
	model_tree_init(&tree);
	file = model_add(&tree, "C:\\f", false, &owner, dacl, 3);
	assert_true(model_access_check(file, &andrew, R | W | X));
	/* A partial grant does not stop a later deny of the rest. */
	file->aces[0].mask = R;
	file->aces[1].mask = 0;
	assert_false(model_access_check(file, &andrew, R | W));
	model_tree_free(&tree);
}

/* "DACLs and ACEs": no DACL grants everything, an empty DACL nothing. */
static void test_null_and_empty_dacl(void **state)
{
	model_tree tree;
	cordon_sid owner = sid_of("S-1-5-32-544");
	model_node *file;
	model_token alice = user_token(ALICE, NULL);

	(void)state;
	model_tree_init(&tree);
	file = model_add(&tree, "C:\\f", false, &owner, NULL, 0);
	assert_false(model_access_check(file, &alice, R));
	file->dacl_present = false;
	assert_true(model_access_check(file, &alice, R | W | CORDON_DELETE | CORDON_WRITE_DAC));
	model_tree_free(&tree);
}

/* "Generic Access Rights" and "File Security and Access Rights":
 * GENERIC_WRITE in an ACE grants FILE_GENERIC_WRITE's rights and no
 * delete; a GENERIC_READ request needs every right it maps to. */
static void test_generic_mapping(void **state)
{
	model_tree tree;
	cordon_sid owner = sid_of("S-1-5-32-544");
	cordon_ace dacl[] = {ace(CORDON_ACE_ALLOW, 0, CORDON_GENERIC_WRITE, ALICE)};
	model_node *file;
	model_token alice = user_token(ALICE, NULL);

	(void)state;
	assert_int_equal(cordon_file_map_generic(CORDON_GENERIC_READ), 0x00120089u);
	assert_int_equal(cordon_file_map_generic(CORDON_GENERIC_WRITE), 0x00120116u);
	assert_int_equal(cordon_file_map_generic(CORDON_GENERIC_EXECUTE), 0x001200a0u);
	assert_int_equal(cordon_file_map_generic(CORDON_GENERIC_ALL), 0x001f01ffu);
	model_tree_init(&tree);
	file = model_add(&tree, "C:\\f", false, &owner, dacl, 1);
	assert_true(model_access_check(file, &alice, W | CORDON_FILE_APPEND_DATA));
	assert_false(model_access_check(file, &alice, CORDON_DELETE));
	assert_false(model_access_check(file, &alice, CORDON_GENERIC_READ));
	file->aces[0].mask = CORDON_FILE_GENERIC_READ;
	assert_true(model_access_check(file, &alice, CORDON_GENERIC_READ));
	model_tree_free(&tree);
}

/* "ACE Inheritance Rules": the table, row by row. */
static void test_inheritance_rules(void **state)
{
	model_tree tree;
	cordon_sid owner = sid_of("S-1-5-32-544");
	cordon_ace dacl[] = {
		ace(CORDON_ACE_ALLOW, OI, R, "S-1-5-21-7-7-7-1"),
		ace(CORDON_ACE_ALLOW, CI, R, "S-1-5-21-7-7-7-2"),
		ace(CORDON_ACE_ALLOW, OI | CI, R, "S-1-5-21-7-7-7-3"),
		ace(CORDON_ACE_ALLOW, OI | CI | NP, R, "S-1-5-21-7-7-7-4"),
		ace(CORDON_ACE_ALLOW, OI | CI | IO, R, "S-1-5-21-7-7-7-5"),
		ace(CORDON_ACE_ALLOW, 0, R, "S-1-5-21-7-7-7-6"),
	};
	model_node *top, *file, *dir, *grandchild;
	model_token t1 = user_token("S-1-5-21-7-7-7-1", NULL);
	model_token t2 = user_token("S-1-5-21-7-7-7-2", NULL);
	model_token t3 = user_token("S-1-5-21-7-7-7-3", NULL);
	model_token t4 = user_token("S-1-5-21-7-7-7-4", NULL);
	model_token t5 = user_token("S-1-5-21-7-7-7-5", NULL);
	model_token t6 = user_token("S-1-5-21-7-7-7-6", NULL);

	(void)state;
	model_tree_init(&tree);
	top = model_add(&tree, "C:\\top", true, &owner, dacl, 6);
	/* Inherit-only is not effective on the object that holds it. */
	assert_false(model_access_check(top, &t5, R));
	assert_true(model_access_check(top, &t6, R));
	file = model_add(&tree, "C:\\top\\file", false, &owner, NULL, 0);
	dir = model_add(&tree, "C:\\top\\dir", true, &owner, NULL, 0);
	/* Noncontainer child: OI rows become effective, CI-only has no effect. */
	assert_true(model_access_check(file, &t1, R));
	assert_false(model_access_check(file, &t2, R));
	assert_true(model_access_check(file, &t3, R));
	assert_true(model_access_check(file, &t4, R));
	assert_true(model_access_check(file, &t5, R));
	assert_false(model_access_check(file, &t6, R));
	/* Container child: OI-only arrives inherit-only; CI rows effective. */
	assert_false(model_access_check(dir, &t1, R));
	assert_true(model_access_check(dir, &t2, R));
	assert_true(model_access_check(dir, &t3, R));
	assert_true(model_access_check(dir, &t4, R));
	for (size_t i = 0; i < dir->ace_count; i++)
		assert_true(dir->aces[i].flags & CORDON_ACE_INHERITED);
	/* Grandchild: NO_PROPAGATE stopped at the first generation, the
	 * inherit-only OI ACE becomes effective on files below. */
	grandchild = model_add(&tree, "C:\\top\\dir\\g", false, &owner, NULL, 0);
	assert_true(model_access_check(grandchild, &t1, R));
	assert_true(model_access_check(grandchild, &t3, R));
	assert_false(model_access_check(grandchild, &t4, R));
	assert_false(model_access_check(grandchild, &t2, R));
	model_tree_free(&tree);
}

/* "ACE Inheritance Rules": a container inheriting a generic ACE gets an
 * inherit-only copy with the generic rights and an effective mapped copy. */
static void test_inherited_generic_ace_splits(void **state)
{
	model_tree tree;
	cordon_sid owner = sid_of("S-1-5-32-544");
	cordon_ace dacl[] = {ace(CORDON_ACE_ALLOW, OI | CI, CORDON_GENERIC_ALL, ALICE)};
	model_node *dir;

	(void)state;
	model_tree_init(&tree);
	model_add(&tree, "C:\\top", true, &owner, dacl, 1);
	dir = model_add(&tree, "C:\\top\\d", true, &owner, NULL, 0);
	assert_int_equal(dir->ace_count, 2);
	assert_int_equal(dir->aces[0].flags, CORDON_ACE_INHERITED | IO | OI | CI);
	assert_int_equal(dir->aces[0].mask, CORDON_GENERIC_ALL);
	assert_int_equal(dir->aces[1].flags, CORDON_ACE_INHERITED);
	assert_int_equal(dir->aces[1].mask, CORDON_FILE_ALL_ACCESS);
	model_tree_free(&tree);
}

/* "Restricted Tokens": two checks, access only if both allow. */
static void test_restricted_token_needs_both(void **state)
{
	model_tree tree;
	cordon_sid owner = sid_of("S-1-5-32-544");
	cordon_ace dacl[] = {
		ace(CORDON_ACE_ALLOW, 0, R | W, ALICE),
		ace(CORDON_ACE_ALLOW, 0, R, CAPABILITY),
	};
	model_node *file;
	model_token t = user_token(ALICE, NULL);

	(void)state;
	t.restricting[t.restricting_count++] = sid_of(CAPABILITY);
	model_tree_init(&tree);
	file = model_add(&tree, "C:\\f", false, &owner, dacl, 2);
	assert_true(model_access_check(file, &t, R));
	assert_false(model_access_check(file, &t, W));
	/* Not write-restricted: a read the restricting SIDs lack is denied. */
	file->aces[1].mask = W;
	assert_false(model_access_check(file, &t, R));
	/* Write-restricted: reads come from the normal check alone. */
	t.write_restricted = true;
	assert_true(model_access_check(file, &t, R));
	assert_true(model_access_check(file, &t, W));
	/* A SID only in the restricting list never grants the normal check. */
	file->aces[0].mask = R;
	assert_false(model_access_check(file, &t, W));
	model_tree_free(&tree);
}

/* Everyone and the logon SID count in both checks: a DACL that lets
 * Everyone write passes the restricted check of a token that restricts to
 * Everyone; a deny for a restricting SID wins over that allow when it
 * comes first (the seeds' deny-ACE fix). */
static void test_everyone_and_logon_in_both_checks(void **state)
{
	model_tree tree;
	cordon_sid owner = sid_of("S-1-5-32-544");
	cordon_ace dacl[] = {ace(CORDON_ACE_ALLOW, 0, CORDON_FILE_ALL_ACCESS, EVERYONE)};
	cordon_ace logon_dacl[] = {ace(CORDON_ACE_ALLOW, 0, W, LOGON)};
	model_node *drop, *session;
	model_token t = user_token(ALICE, NULL);

	(void)state;
	t.groups[t.group_count++] = sid_of(LOGON);
	t.restricting[t.restricting_count++] = sid_of(CAPABILITY);
	t.restricting[t.restricting_count++] = sid_of(LOGON);
	t.restricting[t.restricting_count++] = sid_of(EVERYONE);
	t.write_restricted = true;
	model_tree_init(&tree);
	drop = model_add(&tree, "C:\\drop", true, &owner, dacl, 1);
	session = model_add(&tree, "C:\\session", false, &owner, logon_dacl, 1);
	assert_true(model_access_check(drop, &t, CORDON_FILE_ADD_FILE));
	assert_true(model_access_check(session, &t, W));
	{
		cordon_ace deny = ace(CORDON_ACE_DENY, 0, CORDON_WRITE_RIGHTS, CAPABILITY);
		cordon_acl_change change;
		cordon_ace *aces;
		size_t count;

		memset(&change, 0, sizeof(change));
		change.aces[0] = deny;
		change.ace_count = 1;
		assert_true(cordon_dacl_apply_change(drop->aces, drop->ace_count, &change, &aces, &count));
		free(drop->aces);
		drop->aces = aces;
		drop->ace_count = count;
	}
	assert_int_equal(drop->aces[0].type, CORDON_ACE_DENY);
	assert_false(model_access_check(drop, &t, CORDON_FILE_ADD_FILE));
	/* The deny names a restricting SID only: the user outside the
	 * sandbox is unaffected. */
	{
		model_token plain = user_token(ALICE, NULL);

		assert_true(model_access_check(drop, &plain, CORDON_FILE_ADD_FILE));
	}
	model_tree_free(&tree);
}

/* "SID Attributes in an Access Token": deny-only SIDs match deny ACEs
 * and never allow ACEs. */
static void test_deny_only_sid(void **state)
{
	model_tree tree;
	cordon_sid owner = sid_of("S-1-5-32-544");
	cordon_ace dacl[] = {
		ace(CORDON_ACE_DENY, 0, W, GROUP_A),
		ace(CORDON_ACE_ALLOW, 0, R, "S-1-5-32-544"),
		ace(CORDON_ACE_ALLOW, 0, R | W, EVERYONE),
	};
	model_node *file;
	model_token t = user_token(ALICE, NULL);

	(void)state;
	t.deny_only[t.deny_only_count++] = sid_of(GROUP_A);
	t.deny_only[t.deny_only_count++] = sid_of("S-1-5-32-544");
	model_tree_init(&tree);
	file = model_add(&tree, "C:\\f", false, &owner, dacl, 3);
	assert_false(model_access_check(file, &t, W));
	assert_true(model_access_check(file, &t, R)); /* through Everyone */
	file->aces[2].mask = 0;
	assert_false(model_access_check(file, &t, R)); /* not through Administrators */
	model_tree_free(&tree);
}

/* The owner is granted READ_CONTROL and WRITE_DAC implicitly, unless an
 * OWNER RIGHTS ACE is present. For a restricted token (write-restricted
 * included) the token is the owner only when the owner SID is in the
 * token and among its restricting SIDs; the answer holds for both passes
 * (Windows Security Internals, the owner check; ReactOS SepTokenIsOwner),
 * under either reading. */
static void test_owner_implicit_rights(void **state)
{
	model_tree tree;
	cordon_sid alice = sid_of(ALICE);
	cordon_ace dacl[] = {ace(CORDON_ACE_ALLOW, 0, R, EVERYONE)};
	model_node *file;

	(void)state;
	model_tree_init(&tree);
	file = model_add(&tree, "C:\\f", false, &alice, dacl, 1);
	for (int reading = 0; reading < MODEL_READING_COUNT; reading++) {
		model_token plain = user_token(ALICE, NULL);
		model_token t = user_token(ALICE, NULL);

		t.restricting[t.restricting_count++] = sid_of(EVERYONE);
		t.write_restricted = true;
		t.reading = (model_reading)reading;
		assert_true(model_access_check(file, &plain, CORDON_WRITE_DAC | CORDON_READ_CONTROL));
		/* The owner is not a restricting SID: no implicit rights in
		 * either pass. WRITE_DAC is re-checked, READ_CONTROL is not
		 * but the normal pass no longer grants it either. */
		assert_false(model_access_check(file, &t, CORDON_WRITE_DAC));
		assert_false(model_access_check(file, &t, CORDON_READ_CONTROL));
		/* The owner among the restricting SIDs: both rights. */
		t.restricting[t.restricting_count++] = alice;
		assert_true(model_access_check(file, &t, CORDON_WRITE_DAC | CORDON_READ_CONTROL));
		/* A restricting SID that is not in the token's normal SIDs
		 * does not make it the owner. */
		{
			model_token other = user_token("S-1-5-21-1-2-3-1003", NULL);

			other.restricting[other.restricting_count++] = alice;
			other.write_restricted = true;
			other.reading = (model_reading)reading;
			assert_false(model_access_check(file, &other, CORDON_WRITE_DAC));
		}
	}
	/* Not write-restricted, owner not restricting: the restricted pass
	 * checks every right and grants READ_CONTROL to nobody here. */
	{
		model_token t = user_token(ALICE, NULL);

		t.restricting[t.restricting_count++] = sid_of(EVERYONE);
		assert_false(model_access_check(file, &t, CORDON_READ_CONTROL));
		assert_true(model_access_check(file, &t, R));
	}
	{
		model_token plain = user_token(ALICE, NULL);
		model_token t = user_token(ALICE, NULL);
		cordon_ace with_owner_rights[] = {
			ace(CORDON_ACE_ALLOW, 0, R | CORDON_WRITE_DAC, "S-1-3-4"),
		};

		free(file->aces);
		file->aces = malloc(sizeof(with_owner_rights));
		memcpy(file->aces, with_owner_rights, sizeof(with_owner_rights));
		file->ace_count = 1;
		/* OWNER RIGHTS replaces the implicit grant: READ_CONTROL gone. */
		assert_false(model_access_check(file, &plain, CORDON_READ_CONTROL));
		assert_true(model_access_check(file, &plain, R | CORDON_WRITE_DAC));
		/* And it names the owner by the same rule: a restricted token
		 * whose restricting SIDs lack the owner is not matched. */
		t.restricting[t.restricting_count++] = sid_of(EVERYONE);
		t.write_restricted = true;
		assert_false(model_access_check(file, &t, CORDON_WRITE_DAC));
		t.restricting[t.restricting_count++] = alice;
		assert_true(model_access_check(file, &t, CORDON_WRITE_DAC));
	}
	model_tree_free(&tree);
}

/* Delete: DELETE on the file, or FILE_DELETE_CHILD on its directory
 * ("File Security and Access Rights", FILE_DELETE_CHILD). Rename: delete
 * access to the source and FILE_ADD_FILE | SYNCHRONIZE on the destination
 * directory (FILE_ADD_SUBDIRECTORY | SYNCHRONIZE to move a directory). */
static void test_delete_and_rename(void **state)
{
	model_tree tree;
	cordon_sid alice = sid_of(ALICE);
	cordon_ace list_only[] = {ace(CORDON_ACE_ALLOW, 0, R, ALICE)};
	cordon_ace delete_child[] = {ace(CORDON_ACE_ALLOW, 0, R | CORDON_FILE_DELETE_CHILD, ALICE)};
	cordon_ace file_delete[] = {ace(CORDON_ACE_ALLOW, 0, CORDON_DELETE, ALICE)};
	cordon_ace add_file[] = {ace(CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_FILE | CORDON_SYNCHRONIZE, ALICE)};
	model_node *a;
	model_token t = user_token(ALICE, NULL);

	(void)state;
	model_tree_init(&tree);
	a = model_add(&tree, "C:\\a", true, &alice, list_only, 1);
	a->dacl_protected = true;
	model_add(&tree, "C:\\a\\f", false, &alice, NULL, 0);
	model_add(&tree, "C:\\b", true, &alice, add_file, 1);
	assert_int_equal(model_delete(&tree, &t, "C:\\a\\f"), MODEL_DENIED);
	a = model_find(&tree, "C:\\a");
	memcpy(a->aces, delete_child, sizeof(delete_child));
	assert_int_equal(model_rename(&tree, &t, "C:\\a\\f", "C:\\b\\f"), MODEL_ALLOWED);
	assert_non_null(model_find(&tree, "C:\\b\\f"));
	/* Back: f grants no DELETE and C:\b no delete-child. */
	assert_int_equal(model_rename(&tree, &t, "C:\\b\\f", "C:\\a\\f"), MODEL_DENIED);
	model_add(&tree, "C:\\b\\g", false, &alice, file_delete, 1);
	assert_int_equal(model_delete(&tree, &t, "C:\\b\\g"), MODEL_ALLOWED);
	assert_null(model_find(&tree, "C:\\b\\g"));
	model_tree_free(&tree);
}

/* The destination of a rename must grant SYNCHRONIZE with the add right,
 * and the add right that matches what moves. */
static void test_rename_needs_synchronize_and_the_matching_add_right(void **state)
{
	model_tree tree;
	cordon_sid alice = sid_of(ALICE);
	cordon_ace source[] = {ace(CORDON_ACE_ALLOW, 0, R | CORDON_FILE_DELETE_CHILD, ALICE)};
	cordon_ace add_only[] = {
		ace(CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_FILE | CORDON_FILE_ADD_SUBDIRECTORY, ALICE)};
	cordon_ace sync_only[] = {ace(CORDON_ACE_ALLOW, 0, CORDON_SYNCHRONIZE, ALICE)};
	cordon_ace file_sync[] = {ace(CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_FILE | CORDON_SYNCHRONIZE, ALICE)};
	cordon_ace dir_sync[] = {
		ace(CORDON_ACE_ALLOW, 0, CORDON_FILE_ADD_SUBDIRECTORY | CORDON_SYNCHRONIZE, ALICE)};
	model_token t = user_token(ALICE, NULL);
	model_node *n;

	(void)state;
	model_tree_init(&tree);
	n = model_add(&tree, "C:\\src", true, &alice, source, 1);
	n->dacl_protected = true;
	model_add(&tree, "C:\\src\\f", false, &alice, NULL, 0);
	model_add(&tree, "C:\\src\\d", true, &alice, NULL, 0);
	model_add(&tree, "C:\\add_only", true, &alice, add_only, 1)->dacl_protected = true;
	model_add(&tree, "C:\\sync_only", true, &alice, sync_only, 1)->dacl_protected = true;
	model_add(&tree, "C:\\file_sync", true, &alice, file_sync, 1)->dacl_protected = true;
	model_add(&tree, "C:\\dir_sync", true, &alice, dir_sync, 1)->dacl_protected = true;
	assert_int_equal(model_rename(&tree, &t, "C:\\src\\f", "C:\\add_only\\f"), MODEL_DENIED);
	assert_int_equal(model_rename(&tree, &t, "C:\\src\\d", "C:\\add_only\\d"), MODEL_DENIED);
	assert_int_equal(model_rename(&tree, &t, "C:\\src\\f", "C:\\sync_only\\f"), MODEL_DENIED);
	assert_int_equal(model_rename(&tree, &t, "C:\\src\\d", "C:\\file_sync\\d"), MODEL_DENIED);
	assert_int_equal(model_rename(&tree, &t, "C:\\src\\f", "C:\\dir_sync\\f"), MODEL_DENIED);
	assert_non_null(model_find(&tree, "C:\\src\\f"));
	assert_int_equal(model_rename(&tree, &t, "C:\\src\\f", "C:\\file_sync\\f"), MODEL_ALLOWED);
	assert_int_equal(model_rename(&tree, &t, "C:\\src\\d", "C:\\dir_sync\\d"), MODEL_ALLOWED);
	assert_null(model_find(&tree, "C:\\src\\f"));
	assert_non_null(model_find(&tree, "C:\\dir_sync\\d"));
	model_tree_free(&tree);
}

/* A restricted token whose user owns a file in a folder that grants the
 * user delete-child, while the file's own DACL grants the restricting
 * SIDs nothing: the situation cordon's probe builds on the host. */
static void test_delete_child_route_under_each_reading(void **state)
{
	model_tree tree;
	cordon_sid alice = sid_of(ALICE);
	cordon_ace folder[] = {ace(CORDON_ACE_ALLOW, OI | CI, CORDON_GENERIC_ALL, ALICE)};
	cordon_ace capability_reads[] = {ace(CORDON_ACE_ALLOW, 0, CORDON_FILE_GENERIC_READ, CAPABILITY)};
	model_node *n;

	(void)state;
	for (int reading = 0; reading < MODEL_READING_COUNT; reading++) {
		model_token t = user_token(ALICE, NULL);
		model_verdict want = reading == MODEL_READING_FORSHAW ? MODEL_ALLOWED : MODEL_DENIED;

		t.restricting[t.restricting_count++] = sid_of(CAPABILITY);
		t.restricting[t.restricting_count++] = sid_of(EVERYONE);
		t.write_restricted = true;
		t.reading = (model_reading)reading;
		model_tree_init(&tree);
		n = model_add(&tree, "C:\\scratch", true, &alice, folder, 1);
		n->dacl_protected = true;
		model_add(&tree, "C:\\scratch\\victim", false, &alice, capability_reads, 1);
		model_add(&tree, "C:\\scratch\\moved", false, &alice, capability_reads, 1);
		model_add(&tree, "C:\\scratch\\acl", false, &alice, capability_reads, 1);
		/* The file itself: no DELETE for the restricting SIDs, no write. */
		assert_false(model_access_check(model_find(&tree, "C:\\scratch\\victim"), &t, CORDON_DELETE));
		assert_int_equal(model_write(&tree, &t, "C:\\scratch\\victim"), MODEL_DENIED);
		/* Through the parent's delete-child: allowed exactly when the
		 * reading leaves FILE_DELETE_CHILD out of the re-check. */
		assert_int_equal(model_delete(&tree, &t, "C:\\scratch\\victim"), want);
		/* A rename away also needs FILE_ADD_FILE in the restricted
		 * pass (re-checked): denied within this folder either way. */
		assert_int_equal(model_rename(&tree, &t, "C:\\scratch\\moved", "C:\\scratch\\moved2"),
				 MODEL_DENIED);
		/* The owner's implicit WRITE_DAC: the user is not a
		 * restricting SID, so no; and WRITE_DAC is re-checked. */
		assert_int_equal(model_write_dac(&tree, &t, "C:\\scratch\\acl"), MODEL_DENIED);
		model_tree_free(&tree);
	}
}

/* Alternate data streams share their file's security descriptor. */
static void test_streams_share_the_file_dacl(void **state)
{
	model_tree tree;
	cordon_sid alice = sid_of(ALICE);
	cordon_ace read_only[] = {ace(CORDON_ACE_ALLOW, 0, CORDON_FILE_GENERIC_READ, ALICE)};
	cordon_ace read_write[] = {
		ace(CORDON_ACE_ALLOW, 0, CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_WRITE, ALICE)};
	model_token t = user_token(ALICE, NULL);
	model_node *dir;

	(void)state;
	model_tree_init(&tree);
	dir = model_add(&tree, "C:\\d", true, &alice, read_only, 1);
	dir->dacl_protected = true;
	model_add(&tree, "C:\\d\\ro.txt", false, &alice, read_only, 1);
	model_add(&tree, "C:\\d\\rw.txt", false, &alice, read_write, 1);
	assert_int_equal(model_write(&tree, &t, "C:\\d\\ro.txt:payload"), MODEL_DENIED);
	assert_int_equal(model_write(&tree, &t, "C:\\d\\ro.txt::$DATA"), MODEL_DENIED);
	assert_int_equal(model_write(&tree, &t, "C:\\d\\rw.txt:payload"), MODEL_ALLOWED);
	/* A stream of a file that does not exist creates the file first. */
	assert_int_equal(model_write(&tree, &t, "C:\\d\\new.txt:payload"), MODEL_DENIED);
	model_tree_free(&tree);
}

/* The two readings: Forshaw's mask is 0x010D0116 for files and names no
 * FILE_DELETE_CHILD; the alternative adds exactly that right. */
static void test_readings(void **state)
{
	uint32_t forshaw = model_rechecked_rights(MODEL_READING_FORSHAW);
	uint32_t with_delete_child = model_rechecked_rights(MODEL_READING_DELETE_CHILD_RECHECKED);

	(void)state;
	assert_int_equal(forshaw, 0x010D0116u);
	assert_int_equal(forshaw, CORDON_FILE_WRITE_DATA | CORDON_FILE_APPEND_DATA | CORDON_FILE_WRITE_EA |
					  CORDON_FILE_WRITE_ATTRIBUTES | CORDON_DELETE | CORDON_WRITE_DAC |
					  CORDON_WRITE_OWNER | MODEL_ACCESS_SYSTEM_SECURITY);
	assert_int_equal(forshaw & CORDON_FILE_DELETE_CHILD, 0);
	assert_int_equal(with_delete_child, forshaw | CORDON_FILE_DELETE_CHILD);
	/* Neither re-checks a right GENERIC_READ or GENERIC_EXECUTE maps to. */
	assert_int_equal(
		with_delete_child & cordon_file_map_generic(CORDON_GENERIC_READ | CORDON_GENERIC_EXECUTE), 0);
	assert_string_equal(model_reading_name(MODEL_READING_FORSHAW), "Forshaw");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documented_example_deny_first),
		cmocka_unit_test(test_order_matters),
		cmocka_unit_test(test_null_and_empty_dacl),
		cmocka_unit_test(test_generic_mapping),
		cmocka_unit_test(test_inheritance_rules),
		cmocka_unit_test(test_inherited_generic_ace_splits),
		cmocka_unit_test(test_restricted_token_needs_both),
		cmocka_unit_test(test_everyone_and_logon_in_both_checks),
		cmocka_unit_test(test_deny_only_sid),
		cmocka_unit_test(test_owner_implicit_rights),
		cmocka_unit_test(test_delete_and_rename),
		cmocka_unit_test(test_rename_needs_synchronize_and_the_matching_add_right),
		cmocka_unit_test(test_delete_child_route_under_each_reading),
		cmocka_unit_test(test_streams_share_the_file_dacl),
		cmocka_unit_test(test_readings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
