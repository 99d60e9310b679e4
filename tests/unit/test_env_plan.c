/* The restricted-token environment plan (src/windows/plan/env_plan.c):
 * exact blocks for each network mode, and the PATH ordering that keeps a
 * workspace shim from outranking cordon's stubs (smoke case 39). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "windows/plan/env_plan.h"

#define STUBS "C:\\Program Files\\cordon\\stubs"

static void assert_entries(const cordon_env_plan *plan, const char *const *expected)
{
	size_t n = 0;

	while (expected[n] != NULL)
		n++;
	for (size_t i = 0; i < plan->count && i < n; i++) {
		if (strcmp(plan->entries[i], expected[i]) != 0)
			print_message("entry %zu: got \"%s\", want \"%s\"\n", i, plan->entries[i],
				      expected[i]);
		assert_string_equal(plan->entries[i], expected[i]);
	}
	assert_int_equal(plan->count, n);
}

static void test_network_off_exact(void **state)
{
	(void)state;
	static const char *const env[] = {
		"Path=C:\\ws\\shims;C:\\Windows\\system32",
		"SystemRoot=C:\\Windows",
		"https_proxy=http://corp:3128",
		"NO_PROXY=localhost",
		"PATHEXT=.COM;.EXE;.BAT;.CMD;.VBS;.JS;.PY",
		"=C:=C:\\ws",
		"GIT_SSH=C:\\tools\\plink.exe",
		"TEMP=C:\\Users\\u\\AppData\\Local\\Temp",
		"PATH=C:\\shadowed",
		NULL,
	};
	static const char *const expected[] = {
		"=C:=C:\\ws",
		"ALL_PROXY=http://127.0.0.1:9",
		"all_proxy=http://127.0.0.1:9",
		"CARGO_NET_OFFLINE=true",
		"FTP_PROXY=http://127.0.0.1:9",
		"ftp_proxy=http://127.0.0.1:9",
		"GIT_HTTPS_PROXY=http://127.0.0.1:9", /* 'S' (0x53) sorts before '_' (0x5F) */
		"GIT_HTTP_PROXY=http://127.0.0.1:9",
		"GIT_PROXY_COMMAND=cmd /c exit 1",
		"GIT_SSH_COMMAND=cmd /c exit 1",
		"GOPROXY=off",
		"HTTPS_PROXY=http://127.0.0.1:9",
		"https_proxy=http://127.0.0.1:9",
		"HTTP_PROXY=http://127.0.0.1:9",
		"http_proxy=http://127.0.0.1:9",
		"NoDefaultCurrentDirectoryInExePath=1",
		"npm_config_offline=true",
		"Path=" STUBS ";C:\\ws\\shims;C:\\Windows\\system32",
		"PATHEXT=.EXE;.COM;.BAT;.CMD;.VBS;.JS;.PY",
		"PIP_NO_INDEX=1",
		"SystemRoot=C:\\Windows",
		"TEMP=C:\\Users\\u\\AppData\\Local\\Temp",
		"UV_OFFLINE=1",
		NULL,
	};
	cordon_env_plan_input in = {env, NULL, STUBS, CORDON_NETWORK_OFF, NULL};
	cordon_env_plan plan;
	cordon_error err;

	assert_int_equal(cordon_env_plan_build(&in, &plan, &err), CORDON_OK);
	assert_entries(&plan, expected);
	assert_string_equal(cordon_env_plan_get(&plan, "path"), STUBS ";C:\\ws\\shims;C:\\Windows\\system32");
	assert_null(cordon_env_plan_get(&plan, "no_proxy"));
	assert_null(cordon_env_plan_get(&plan, "GIT_SSH"));
	cordon_env_plan_free(&plan);
	assert_int_equal(plan.count, 0);
}

/* Smoke case 39: the caller's own PATH puts a workspace directory (with an
 * ssh.bat in it) first; the stub directory still comes before it. */
static void test_caller_path_cannot_outrank_stubs(void **state)
{
	(void)state;
	static const char *const env[] = {"PATH=C:\\Windows", NULL};
	cordon_env_plan_input in = {env,
				    "C:\\ws\\evil;;" STUBS "\\;c:/program files/CORDON/stubs;C:\\Windows",
				    STUBS, CORDON_NETWORK_OFF, NULL};
	cordon_env_plan plan;
	cordon_error err;

	assert_int_equal(cordon_env_plan_build(&in, &plan, &err), CORDON_OK);
	assert_string_equal(cordon_env_plan_get(&plan, "PATH"), STUBS ";C:\\ws\\evil;C:\\Windows");
	cordon_env_plan_free(&plan);
}

static void test_no_path_anywhere(void **state)
{
	(void)state;
	static const char *const env[] = {"A=1", NULL};
	cordon_env_plan_input in = {env, NULL, STUBS, CORDON_NETWORK_OFF, NULL};
	cordon_env_plan plan;
	cordon_error err;

	assert_int_equal(cordon_env_plan_build(&in, &plan, &err), CORDON_OK);
	assert_string_equal(plan.entries[0], "A=1");
	assert_string_equal(cordon_env_plan_get(&plan, "PATH"), STUBS);
	assert_string_equal(cordon_env_plan_get(&plan, "PATHEXT"), ".EXE;.COM;.BAT;.CMD");
	cordon_env_plan_free(&plan);
}

static void test_pathext_normalised(void **state)
{
	(void)state;
	static const char *const env[] = {"pathext=.py;;.exe;.PY;cmd;.Bat", NULL};
	cordon_env_plan_input in = {env, NULL, STUBS, CORDON_NETWORK_OFF, NULL};
	cordon_env_plan plan;
	cordon_error err;

	assert_int_equal(cordon_env_plan_build(&in, &plan, &err), CORDON_OK);
	assert_string_equal(cordon_env_plan_get(&plan, "PATHEXT"), ".EXE;.py;.Bat;.COM;.CMD");
	cordon_env_plan_free(&plan);
}

static void test_network_proxy_exact(void **state)
{
	(void)state;
	static const char *const env[] = {"PATH=C:\\bin", "no_proxy=*", "npm_config_offline=false", NULL};
	static const char *const expected[] = {
		"ALL_PROXY=http://127.0.0.1:8123",
		"all_proxy=http://127.0.0.1:8123",
		"FTP_PROXY=http://127.0.0.1:8123",
		"ftp_proxy=http://127.0.0.1:8123",
		"GIT_HTTPS_PROXY=http://127.0.0.1:8123", /* 'S' (0x53) sorts before '_' (0x5F) */
		"GIT_HTTP_PROXY=http://127.0.0.1:8123",
		"GIT_PROXY_COMMAND=cmd /c exit 1",
		"GIT_SSH_COMMAND=cmd /c exit 1",
		"HTTPS_PROXY=http://127.0.0.1:8123",
		"https_proxy=http://127.0.0.1:8123",
		"HTTP_PROXY=http://127.0.0.1:8123",
		"http_proxy=http://127.0.0.1:8123",
		"NoDefaultCurrentDirectoryInExePath=1",
		"npm_config_offline=false",
		"PATH=" STUBS ";C:\\bin",
		"PATHEXT=.EXE;.COM;.BAT;.CMD",
		NULL,
	};
	cordon_env_plan_input in = {env, NULL, STUBS, CORDON_NETWORK_PROXY, "http://127.0.0.1:8123"};
	cordon_env_plan plan;
	cordon_error err;

	assert_int_equal(cordon_env_plan_build(&in, &plan, &err), CORDON_OK);
	assert_entries(&plan, expected);
	cordon_env_plan_free(&plan);
}

static void test_network_on_passes_through(void **state)
{
	(void)state;
	static const char *const env[] = {
		"b=2", "HTTP_PROXY=http://corp:3128", "Path=C:\\bin", "B=3", "malformed", "=", "a=1", NULL};
	static const char *const expected[] = {"a=1", "b=2", "HTTP_PROXY=http://corp:3128",
					       "Path=C:\\x;C:\\y", NULL};
	cordon_env_plan_input in = {env, "C:\\x;C:\\y", NULL, CORDON_NETWORK_ON, NULL};
	cordon_env_plan plan;
	cordon_error err;

	assert_int_equal(cordon_env_plan_build(&in, &plan, &err), CORDON_OK);
	assert_entries(&plan, expected);
	cordon_env_plan_free(&plan);
}

static void test_block_layout(void **state)
{
	(void)state;
	static const char *const env[] = {"B=2", "a=1", NULL};
	cordon_env_plan_input in = {env, NULL, NULL, CORDON_NETWORK_ON, NULL};
	cordon_env_plan plan;
	cordon_error err;
	size_t length = 0;

	assert_int_equal(cordon_env_plan_build(&in, &plan, &err), CORDON_OK);
	char *block = cordon_env_plan_block(&plan, &length);
	assert_non_null(block);
	assert_int_equal(length, 9);
	assert_memory_equal(block, "a=1\0B=2\0\0", 9);
	free(block);
	cordon_env_plan_free(&plan);

	cordon_env_plan_input empty = {NULL, NULL, NULL, CORDON_NETWORK_ON, NULL};
	assert_int_equal(cordon_env_plan_build(&empty, &plan, &err), CORDON_OK);
	assert_int_equal(plan.count, 0);
	block = cordon_env_plan_block(&plan, &length);
	assert_non_null(block);
	assert_int_equal(length, 2);
	assert_memory_equal(block, "\0\0", 2);
	free(block);
	cordon_env_plan_free(&plan);
}

static void test_refuses_bad_stub_dir(void **state)
{
	(void)state;
	static const char *const bad[] = {"stubs",    "C:stubs",	  "\\stubs",	      "C:\\a;b",
					  "C:\\a\"b", "\\\\?\\C:\\stubs", "\\\\.\\C:\\stubs", ""};
	cordon_env_plan plan;
	cordon_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cordon_env_plan_input in = {NULL, NULL, bad[i], CORDON_NETWORK_OFF, NULL};
		assert_int_equal(cordon_env_plan_build(&in, &plan, &err), CORDON_E_INVALID);
		assert_int_equal(plan.count, 0);
		assert_non_null(strstr(err.message, "PATH"));
	}
	cordon_env_plan_input none = {NULL, NULL, NULL, CORDON_NETWORK_PROXY, "http://127.0.0.1:1"};
	assert_int_equal(cordon_env_plan_build(&none, &plan, &err), CORDON_E_INVALID);
	assert_string_equal(err.message, "cannot put the ssh/scp stubs on PATH: no stub directory was given; "
					 "this is a bug in the Windows backend, please report it");
	cordon_env_plan_input unc = {NULL, NULL, "\\\\server\\share\\stubs", CORDON_NETWORK_PROXY, NULL};
	assert_int_equal(cordon_env_plan_build(&unc, &plan, &err), CORDON_E_INVALID);
	assert_non_null(strstr(err.message, "network mode 'proxy'"));
	unc.proxy_url = "http://127.0.0.1:1";
	assert_int_equal(cordon_env_plan_build(&unc, &plan, &err), CORDON_OK);
	assert_string_equal(cordon_env_plan_get(&plan, "PATH"), "\\\\server\\share\\stubs");
	cordon_env_plan_free(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_off_exact),
		cmocka_unit_test(test_caller_path_cannot_outrank_stubs),
		cmocka_unit_test(test_no_path_anywhere),
		cmocka_unit_test(test_pathext_normalised),
		cmocka_unit_test(test_network_proxy_exact),
		cmocka_unit_test(test_network_on_passes_through),
		cmocka_unit_test(test_block_layout),
		cmocka_unit_test(test_refuses_bad_stub_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
