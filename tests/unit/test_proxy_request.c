/* The proxy's socket-free request handling (src/proxy/request.c), which
 * the POSIX proxy and the Windows one (proxy_win32.c) share: the same
 * request gets the same verdict on both. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proxy/request.h"

static const char *const allowed[] = {"example.org", "*.npmjs.org"};

static void decide(const char *text, cordon_proxy_verdict *verdict)
{
	const char *end = cordon_proxy_find_header_end(text, strlen(text));
	assert_non_null(end);
	cordon_proxy_decide(text, end, allowed, 2, verdict);
}

static void test_connect_to_an_allowed_host_goes_ahead(void **state)
{
	(void)state;
	cordon_proxy_verdict v;
	decide("CONNECT registry.npmjs.org:443 HTTP/1.1\r\nHost: registry.npmjs.org:443\r\n\r\n", &v);
	assert_null(v.status);
	assert_true(v.req.is_connect);
	assert_string_equal(v.req.host, "registry.npmjs.org");
	assert_int_equal(v.req.port, 443);
	assert_null(v.forward);
}

static void test_a_host_outside_the_allowlist_gets_403_naming_it(void **state)
{
	(void)state;
	cordon_proxy_verdict v;
	decide("CONNECT evil.example.com:443 HTTP/1.1\r\n\r\n", &v);
	assert_string_equal(v.status, "403 Forbidden");
	assert_non_null(strstr(v.body, "evil.example.com is not in the allowed domains"));
	/* The apex of a wildcard is not a subdomain. */
	decide("CONNECT npmjs.org:443 HTTP/1.1\r\n\r\n", &v);
	assert_string_equal(v.status, "403 Forbidden");
}

static void test_malformed_requests_get_400_before_the_allowlist(void **state)
{
	(void)state;
	cordon_proxy_verdict v;
	decide("CONNECT example.org HTTP/1.1\r\n\r\n", &v);
	assert_string_equal(v.status, "400 Bad Request");
	assert_non_null(strstr(v.body, "CONNECT needs host:port"));
	decide("GET https://example.org/ HTTP/1.1\r\n\r\n", &v);
	assert_string_equal(v.status, "400 Bad Request");
	const char nul[] = "CONNECT example.org:443 HTTP/1.1\r\nX: a\0b\r\n\r\n";
	const char *end = cordon_proxy_find_header_end(nul, sizeof(nul) - 1);
	assert_non_null(end);
	cordon_proxy_decide(nul, end, allowed, 2, &v);
	assert_string_equal(v.status, "400 Bad Request");
	assert_non_null(strstr(v.body, "NUL byte"));
}

static void test_a_forward_request_is_rewritten_to_origin_form(void **state)
{
	(void)state;
	cordon_proxy_verdict v;
	decide("GET http://example.org:8080/a?b HTTP/1.1\r\nHost: wrong\r\nProxy-Connection: keep-alive\r\n"
	       "Accept: */*\r\n\r\n",
	       &v);
	assert_null(v.status);
	assert_false(v.req.is_connect);
	assert_int_equal(v.req.port, 8080);
	assert_non_null(v.forward);
	char *text = strndup(v.forward, v.forward_length);
	assert_string_equal(text, "GET /a?b HTTP/1.1\r\nHost: example.org:8080\r\nAccept: */*\r\n"
				  "Connection: close\r\n\r\n");
	free(text);
	free(v.forward);
}

static void test_status_response_has_a_matching_length(void **state)
{
	(void)state;
	char out[256];
	size_t n = cordon_proxy_status_response(out, sizeof(out), "403 Forbidden", "no");
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
				 "Connection: close\r\n\r\nno\n");
	assert_int_equal(cordon_proxy_status_response(out, 20, "403 Forbidden", "no"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_to_an_allowed_host_goes_ahead),
		cmocka_unit_test(test_a_host_outside_the_allowlist_gets_403_naming_it),
		cmocka_unit_test(test_malformed_requests_get_400_before_the_allowlist),
		cmocka_unit_test(test_a_forward_request_is_rewritten_to_origin_form),
		cmocka_unit_test(test_status_response_has_a_matching_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
