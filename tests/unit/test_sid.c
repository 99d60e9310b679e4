/* SIDs as data, and capability SID derivation (src/windows/plan/sid.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "windows/plan/sid.h"

static const uint8_t secret[CORDON_CAPSID_SECRET_BYTES] = "winacl test secret, not random!";

static void expect_text(const cordon_sid *sid, const char *text)
{
	char buf[CORDON_SID_STRING_MAX];

	assert_true(cordon_sid_format(sid, buf, sizeof(buf)));
	assert_string_equal(buf, text);
}

static cordon_sid derive(cordon_capsid_kind kind, const char *path)
{
	cordon_sid sid;

	assert_true(cordon_capsid_derive(secret, sizeof(secret), kind, path, &sid));
	return sid;
}

static void test_format_and_parse(void **state)
{
	const char *good[] = {"S-1-1-0",
			      "S-1-5-18",
			      "S-1-5-32-544",
			      "S-1-5-5-0-999",
			      "S-1-5-21-4294967295-0-1-2",
			      "S-1-281474976710655-1"};
	const char *bad[] = {"",
			     "S",
			     "S-1",
			     "S-2-5-1",
			     "S-1-",
			     "S-1-5-",
			     "S-1-5-x",
			     "S-1-5-1x",
			     "S-1-5-4294967296",
			     "S-1-281474976710656",
			     "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
			     " S-1-1-0"};
	cordon_sid sid;
	char small[8];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(cordon_sid_parse(good[i], &sid));
		expect_text(&sid, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(cordon_sid_parse(bad[i], &sid));
	assert_true(cordon_sid_parse("S-1-5-32-544", &sid));
	assert_false(cordon_sid_format(&sid, small, sizeof(small)));
}

static void test_well_known(void **state)
{
	cordon_sid s;

	(void)state;
	s = cordon_sid_everyone();
	expect_text(&s, "S-1-1-0");
	s = cordon_sid_local_system();
	expect_text(&s, "S-1-5-18");
	s = cordon_sid_administrators();
	expect_text(&s, "S-1-5-32-544");
	s = cordon_sid_authenticated_users();
	expect_text(&s, "S-1-5-11");
	s = cordon_sid_owner_rights();
	expect_text(&s, "S-1-3-4");
	assert_true(cordon_sid_parse("S-1-5-5-0-71234", &s));
	assert_true(cordon_sid_is_logon(&s));
	assert_true(cordon_sid_parse("S-1-5-5-0", &s));
	assert_false(cordon_sid_is_logon(&s));
	s = cordon_sid_everyone();
	assert_false(cordon_sid_is_logon(&s));
}

/* Known answers computed independently (Python hmac/hashlib) from the
 * documented construction: HMAC-SHA-256(secret, label NUL
 * upper-cased code points as 32-bit big-endian), first 16 bytes as four
 * big-endian sub-authorities after 21. */
static void test_known_answers(void **state)
{
	cordon_sid s;

	(void)state;
	s = derive(CORDON_CAPSID_WORKSPACE, "C:\\Users\\alice\\proj");
	expect_text(&s, "S-1-5-21-1268107198-3665903985-3115526705-3146591453");
	s = derive(CORDON_CAPSID_SHARED, NULL);
	expect_text(&s, "S-1-5-21-1834457040-2401461915-4104235149-2221789408");
	s = derive(CORDON_CAPSID_SANDBOX, NULL);
	expect_text(&s, "S-1-5-21-1491335533-1937091674-2858108829-977018018");
	s = derive(CORDON_CAPSID_READONLY, NULL);
	expect_text(&s, "S-1-5-21-305714525-2002409784-3897155275-4051767951");
}

static void test_spellings_of_one_path_agree(void **state)
{
	cordon_sid a = derive(CORDON_CAPSID_WORKSPACE, "C:\\Users\\alice\\proj");
	cordon_sid b = derive(CORDON_CAPSID_WORKSPACE, "c:\\USERS\\Alice\\PROJ");
	cordon_sid c = derive(CORDON_CAPSID_WORKSPACE, "C:/Users/alice/proj");
	cordon_sid d = derive(CORDON_CAPSID_WORKSPACE, "C:\\Users\\alice\\proj2");
	/* Non-ASCII letters fold too (U+00E4 and U+00C4). */
	cordon_sid e = derive(CORDON_CAPSID_WORKSPACE, "C:\\\xc3\xa4rger");
	cordon_sid f = derive(CORDON_CAPSID_WORKSPACE, "C:\\\xc3\x84RGER");
	cordon_sid g = derive(CORDON_CAPSID_WORKSPACE, "C:\\arger");

	(void)state;
	assert_true(cordon_sid_equal(&a, &b));
	assert_true(cordon_sid_equal(&a, &c));
	assert_false(cordon_sid_equal(&a, &d));
	assert_true(cordon_sid_equal(&e, &f));
	assert_false(cordon_sid_equal(&e, &g));
	/* NTFS's $UpCase keeps U+0131 and U+017F: C:\ws and C:\w<U+017F>
	 * are two directories, so two workspaces with two SIDs. */
	{
		cordon_sid ws = derive(CORDON_CAPSID_WORKSPACE, "C:\\ws");
		cordon_sid long_s = derive(CORDON_CAPSID_WORKSPACE, "C:\\w\xc5\xbf");
		cordon_sid big_s = derive(CORDON_CAPSID_WORKSPACE, "C:\\WS");
		cordon_sid wi = derive(CORDON_CAPSID_WORKSPACE, "C:\\wi");
		cordon_sid dotless = derive(CORDON_CAPSID_WORKSPACE, "C:\\w\xc4\xb1");

		assert_false(cordon_sid_equal(&ws, &long_s));
		assert_true(cordon_sid_equal(&ws, &big_s));
		assert_false(cordon_sid_equal(&wi, &dotless));
	}
	assert_int_equal(a.authority, 5);
	assert_int_equal(a.sub_count, 5);
	assert_int_equal(a.sub[0], 21);
}

static void test_secret_and_kind_matter(void **state)
{
	uint8_t other_secret[CORDON_CAPSID_SECRET_BYTES];
	cordon_sid a = derive(CORDON_CAPSID_WORKSPACE, "C:\\w");
	cordon_sid b, shared = derive(CORDON_CAPSID_SHARED, NULL);
	cordon_sid shared_again = derive(CORDON_CAPSID_SHARED, "C:\\ignored");
	cordon_sid sandbox = derive(CORDON_CAPSID_SANDBOX, NULL);
	cordon_sid readonly = derive(CORDON_CAPSID_READONLY, NULL);

	(void)state;
	memcpy(other_secret, secret, sizeof(other_secret));
	other_secret[31] ^= 1;
	assert_true(cordon_capsid_derive(other_secret, sizeof(other_secret), CORDON_CAPSID_WORKSPACE, "C:\\w",
					 &b));
	assert_false(cordon_sid_equal(&a, &b));
	assert_true(cordon_sid_equal(&shared, &shared_again));
	assert_false(cordon_sid_equal(&shared, &sandbox));
	assert_false(cordon_sid_equal(&shared, &readonly));
	assert_false(cordon_sid_equal(&sandbox, &readonly));
	assert_false(cordon_sid_equal(&a, &shared));
	assert_false(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_WORKSPACE, NULL, &b));
	assert_false(cordon_capsid_derive(secret, sizeof(secret), CORDON_CAPSID_WORKSPACE, "", &b));
	assert_false(cordon_capsid_derive(secret, 0, CORDON_CAPSID_SHARED, NULL, &b));
	assert_false(cordon_capsid_derive(secret, sizeof(secret), (cordon_capsid_kind)9, NULL, &b));
}

typedef struct sid128 {
	uint32_t v[4];
} sid128;

static int compare_sid128(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(sid128));
}

/* 200,000 workspace paths, including near-identical ones: no two SIDs
 * equal. (128 bits: a collision here would mean a broken derivation.) */
static void test_no_collisions_over_many_paths(void **state)
{
	const size_t count = 200000;
	sid128 *all = malloc(count * sizeof(*all));
	char path[128];

	(void)state;
	assert_non_null(all);
	for (size_t i = 0; i < count; i++) {
		cordon_sid s;

		if (i % 2)
			snprintf(path, sizeof(path), "C:\\Users\\u%zu\\projects\\repo%zu", i % 97, i);
		else
			snprintf(path, sizeof(path), "D:\\src\\%zu", i);
		s = derive(CORDON_CAPSID_WORKSPACE, path);
		/* Any total order will do: equal values end up adjacent. */
		for (size_t k = 0; k < 4; k++)
			all[i].v[k] = s.sub[k + 1];
	}
	qsort(all, count, sizeof(*all), compare_sid128);
	for (size_t i = 1; i < count; i++)
		assert_memory_not_equal(&all[i - 1], &all[i], sizeof(sid128));
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_parse),
		cmocka_unit_test(test_well_known),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_spellings_of_one_path_agree),
		cmocka_unit_test(test_secret_and_kind_matter),
		cmocka_unit_test(test_no_collisions_over_many_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
