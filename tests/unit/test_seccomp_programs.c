/* The precompiled seccomp programs (generated at build time) must be
 * exactly what libseccomp compiles from src/linux/seccomp_filter.c now:
 * a stale generated header would silently enforce an old filter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "linux/confine_internal.h"

static void check_variant(bool inet, cordon_network network, bool use_netns)
{
	cordon_resolved policy;
	memset(&policy, 0, sizeof(policy));
	policy.network = network;
	linux_plan plan;
	memset(&plan, 0, sizeof(plan));
	plan.policy = &policy;
	plan.sandboxed = true;
	plan.use_netns = use_netns;
	assert_int_equal(linux_seccomp_inet_allowed(&plan), inet);

	cordon_error err;
	struct sock_fprog built_in, fresh;
	assert_int_equal(linux_seccomp_prepare(&plan, &built_in, &err), CORDON_OK);
	assert_int_equal(linux_seccomp_compile(inet, &fresh, &err), CORDON_OK);
	assert_true(fresh.len > 100);
	assert_int_equal(built_in.len, fresh.len);
	assert_memory_equal(built_in.filter, fresh.filter, fresh.len * sizeof(struct sock_filter));
	free(built_in.filter);
	free(fresh.filter);
}

static void test_network_namespace_program_matches_fresh_compile(void **state)
{
	(void)state;
	check_variant(true, CORDON_NETWORK_OFF, true);
}

static void test_network_on_program_matches_fresh_compile(void **state)
{
	(void)state;
	check_variant(true, CORDON_NETWORK_ON, false);
}

static void test_no_inet_program_matches_fresh_compile(void **state)
{
	(void)state;
	check_variant(false, CORDON_NETWORK_OFF, false);
}

static void test_variants_differ(void **state)
{
	(void)state;
	cordon_error err;
	struct sock_fprog inet, no_inet;
	assert_int_equal(linux_seccomp_compile(true, &inet, &err), CORDON_OK);
	assert_int_equal(linux_seccomp_compile(false, &no_inet, &err), CORDON_OK);
	assert_true(inet.len != no_inet.len ||
		    memcmp(inet.filter, no_inet.filter, inet.len * sizeof(struct sock_filter)) != 0);
	free(inet.filter);
	free(no_inet.filter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_namespace_program_matches_fresh_compile),
		cmocka_unit_test(test_network_on_program_matches_fresh_compile),
		cmocka_unit_test(test_no_inet_program_matches_fresh_compile),
		cmocka_unit_test(test_variants_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
