/* The proxy's allowlist: exact names, "*." wildcards, IP literals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proxy/proxy.h"

#define ALLOWED(list, host) cordon_proxy_host_allowed(list, sizeof(list) / sizeof(list[0]), host)

static void test_exact_names_match_ignoring_case_and_trailing_dot(void **state)
{
	(void)state;
	const char *const list[] = {"example.org", "Registry.NPMJS.org."};
	assert_true(ALLOWED(list, "example.org"));
	assert_true(ALLOWED(list, "EXAMPLE.org"));
	assert_true(ALLOWED(list, "example.org."));
	assert_true(ALLOWED(list, "registry.npmjs.org"));
	assert_true(ALLOWED(list, "registry.npmjs.org."));
	assert_false(ALLOWED(list, "www.example.org"));
	assert_false(ALLOWED(list, "example.org.evil.com"));
	assert_false(ALLOWED(list, "badexample.org"));
	assert_false(ALLOWED(list, "example.or"));
	assert_false(ALLOWED(list, "xample.org"));
	assert_false(ALLOWED(list, "npmjs.org"));
	assert_false(ALLOWED(list, "example.org.."));
}

static void test_wildcard_matches_subdomains_only(void **state)
{
	(void)state;
	const char *const list[] = {"*.example.org"};
	assert_true(ALLOWED(list, "a.example.org"));
	assert_true(ALLOWED(list, "a.b.example.org"));
	assert_true(ALLOWED(list, "WWW.Example.ORG."));
	/* The apex is not a subdomain: list it separately if wanted. */
	assert_false(ALLOWED(list, "example.org"));
	assert_false(ALLOWED(list, "example.org."));
	assert_false(ALLOWED(list, "badexample.org"));
	assert_false(ALLOWED(list, "a.badexample.org"));
	assert_false(ALLOWED(list, "a.example.org.evil.com"));
	assert_false(ALLOWED(list, ".example.org"));
	assert_false(ALLOWED(list, "a..example.org"));
	assert_false(ALLOWED(list, "other.org"));
	assert_false(ALLOWED(list, "a b.example.org"));
	assert_false(ALLOWED(list, "a*b.example.org"));
	assert_false(ALLOWED(list, "%2e.example.org"));
	assert_false(ALLOWED(list, "a/.example.org"));
}

static void test_degenerate_patterns_match_nothing(void **state)
{
	(void)state;
	const char *const list[] = {"*.", "*", "", "."};
	assert_false(ALLOWED(list, "example.org"));
	assert_false(ALLOWED(list, "a"));
	assert_false(ALLOWED(list, "*"));
	assert_false(ALLOWED(list, ""));
	assert_false(ALLOWED(list, "."));
}

static void test_empty_list_and_empty_host_deny(void **state)
{
	(void)state;
	assert_false(cordon_proxy_host_allowed(NULL, 0, "example.org"));
	const char *const list[] = {"example.org"};
	assert_false(ALLOWED(list, ""));
	assert_false(ALLOWED(list, "."));
	assert_false(ALLOWED(list, NULL));
}

static void test_ip_literals_are_recognised(void **state)
{
	(void)state;
	assert_true(cordon_proxy_host_is_ip_literal("127.0.0.1"));
	assert_true(cordon_proxy_host_is_ip_literal("10.1.2.3."));
	assert_true(cordon_proxy_host_is_ip_literal("2130706433"));
	assert_true(cordon_proxy_host_is_ip_literal("0x7f.1"));
	assert_true(cordon_proxy_host_is_ip_literal("127.1"));
	assert_true(cordon_proxy_host_is_ip_literal("::1"));
	assert_true(cordon_proxy_host_is_ip_literal("::ffff:127.0.0.1"));
	assert_true(cordon_proxy_host_is_ip_literal("fe80::1"));
	assert_false(cordon_proxy_host_is_ip_literal("example.org"));
	assert_false(cordon_proxy_host_is_ip_literal("1e100.net"));
	assert_false(cordon_proxy_host_is_ip_literal("123.example.org"));
	assert_false(cordon_proxy_host_is_ip_literal("localhost"));
	assert_false(cordon_proxy_host_is_ip_literal(""));
}

static void test_ip_literals_need_an_identical_entry(void **state)
{
	(void)state;
	const char *const list[] = {"*.0.1", "*.example.org", "10.0.0.1", "::1"};
	assert_true(ALLOWED(list, "10.0.0.1"));
	assert_true(ALLOWED(list, "10.0.0.1."));
	assert_true(ALLOWED(list, "::1"));
	/* A wildcard never admits a literal, however it is spelled. */
	assert_false(ALLOWED(list, "127.0.0.1"));
	assert_false(ALLOWED(list, "0x7f.0.0.1"));
	assert_false(ALLOWED(list, "1.2.3.4.example.org.5"));
	/* Other spellings of a listed address are other strings. */
	assert_false(ALLOWED(list, "10.0.1"));
	assert_false(ALLOWED(list, "167772161"));
	assert_false(ALLOWED(list, "0:0:0:0:0:0:0:1"));
	assert_false(ALLOWED(list, "::2"));
	/* A name that ends in a name is still a name. */
	assert_true(ALLOWED(list, "1.2.3.4.example.org"));
}

static void test_environment_points_at_the_relay(void **state)
{
	(void)state;
	const char *const *environment = cordon_proxy_environment();
	const char *wanted[] = {"HTTP_PROXY=",	"HTTPS_PROXY=", "ALL_PROXY=", "http_proxy=",
				"https_proxy=", "all_proxy=",	"NO_PROXY=",  "no_proxy="};
	for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
		const char *found = NULL;
		for (size_t i = 0; environment[i] != NULL; i++)
			if (strncmp(environment[i], wanted[w], strlen(wanted[w])) == 0)
				found = environment[i];
		assert_non_null(found);
		if (strstr(wanted[w], "no_proxy") == NULL && strstr(wanted[w], "NO_PROXY") == NULL)
			assert_string_equal(found + strlen(wanted[w]), "http://127.0.0.1:3128");
	}
	assert_int_equal(CORDON_PROXY_PORT, 3128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_names_match_ignoring_case_and_trailing_dot),
		cmocka_unit_test(test_wildcard_matches_subdomains_only),
		cmocka_unit_test(test_degenerate_patterns_match_nothing),
		cmocka_unit_test(test_empty_list_and_empty_host_deny),
		cmocka_unit_test(test_ip_literals_are_recognised),
		cmocka_unit_test(test_ip_literals_need_an_identical_entry),
		cmocka_unit_test(test_environment_points_at_the_relay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
