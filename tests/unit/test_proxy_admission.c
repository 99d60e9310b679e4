/* Who the Windows proxy serves (src/proxy/admission.c): only a connection
 * the TCP table attributes to one process of the run's job. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proxy/admission.h"

static cordon_tcp_endpoint v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	cordon_tcp_endpoint e = {0};
	e.address[0] = a;
	e.address[1] = b;
	e.address[2] = c;
	e.address[3] = d;
	e.port = port;
	return e;
}

static cordon_tcp_endpoint v6_loopback(uint16_t port)
{
	cordon_tcp_endpoint e = {0};
	e.v6 = true;
	e.address[15] = 1;
	e.port = port;
	return e;
}

static cordon_tcp_connection row(cordon_tcp_endpoint local, cordon_tcp_endpoint remote, uint32_t pid)
{
	cordon_tcp_connection c = {local, remote, pid};
	return c;
}

static const uint32_t run[] = {7100, 7104, 7220};

/* The table Windows gives for one loopback connection: the client's row
 * and the proxy's own (the reverse), plus unrelated ones. */
static size_t loopback_table(cordon_tcp_connection *rows, uint32_t client_pid)
{
	size_t n = 0;
	rows[n++] = row(v4(10, 0, 0, 5, 50000), v4(93, 184, 216, 34, 443), 9000);
	rows[n++] = row(v4(127, 0, 0, 1, 3128), v4(127, 0, 0, 1, 51000), 6000); /* the proxy */
	rows[n++] = row(v4(127, 0, 0, 1, 51000), v4(127, 0, 0, 1, 3128), client_pid);
	rows[n++] = row(v4(127, 0, 0, 1, 51001), v4(127, 0, 0, 1, 3128), 8000); /* another client */
	return n;
}

/* The judge on an IPv4 loopback connection from client_port to 3128. */
static cordon_proxy_client judge_v4(const cordon_tcp_connection *rows, size_t n, uint16_t client_port,
				    const uint32_t *pids, size_t pid_count, uint32_t *owner)
{
	cordon_tcp_endpoint client = v4(127, 0, 0, 1, client_port), proxy = v4(127, 0, 0, 1, 3128);
	return cordon_proxy_judge_client(rows, n, &client, &proxy, pids, pid_count, owner);
}

/* One connection judged against the loopback table. */
typedef struct loopback_case {
	const char *what;
	uint32_t client_pid;  /* the owner the table names for port 51000 */
	uint16_t client_port; /* the connection judged */
	const uint32_t *pids; /* the run's */
	size_t pid_count;
	cordon_proxy_client verdict;
	uint32_t owner;
} loopback_case;

static const uint32_t only_the_proxy[] = {6000};

static const loopback_case loopback_cases[] = {
	{"a process of the run is admitted", 7104, 51000, run, 3, CORDON_PROXY_CLIENT_IN_RUN, 7104},
	/* pid 8000 at port 51001: a concurrent run of the same account. */
	{"a process outside the run is refused and named", 7104, 51001, run, 3, CORDON_PROXY_CLIENT_OUTSIDE,
	 8000},
	/* A judge that matched either direction would find the proxy's own
	 * row (pid 6000) too, and answer ambiguous or admit. */
	{"the proxy's own row is not taken for the client's", 8000, 51000, only_the_proxy, 1,
	 CORDON_PROXY_CLIENT_OUTSIDE, 8000},
	{"a connection missing from the table is refused", 7104, 51999, run, 3,
	 CORDON_PROXY_CLIENT_NOT_LISTED, 0},
	{"an empty run admits nobody", 7104, 51000, NULL, 0, CORDON_PROXY_CLIENT_OUTSIDE, 7104},
};

static void test_loopback_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(loopback_cases) / sizeof(loopback_cases[0]); i++) {
		const loopback_case *c = &loopback_cases[i];
		cordon_tcp_connection rows[8];
		size_t n = loopback_table(rows, c->client_pid);
		uint32_t owner = 99;
		cordon_proxy_client verdict =
			judge_v4(rows, n, c->client_port, c->pids, c->pid_count, &owner);
		if (verdict != c->verdict || owner != c->owner)
			fail_msg("%s: verdict %d owner %u, expected %d owner %u", c->what, (int)verdict,
				 (unsigned)owner, (int)c->verdict, (unsigned)c->owner);
	}
	uint32_t owner = 99;
	assert_int_equal(judge_v4(NULL, 0, 51000, run, 3, &owner), CORDON_PROXY_CLIENT_NOT_LISTED);
	assert_int_equal(owner, 0);
	char body[512];
	cordon_proxy_refusal_body(CORDON_PROXY_CLIENT_OUTSIDE, 8000, body, sizeof(body));
	assert_non_null(strstr(body, "process 8000 is not part of this run"));
}

static void test_rows_that_disagree_admit_nobody(void **state)
{
	(void)state;
	cordon_tcp_connection rows[8];
	size_t n = loopback_table(rows, 7104);
	rows[n++] = row(v4(127, 0, 0, 1, 51000), v4(127, 0, 0, 1, 3128), 7220);
	uint32_t owner;
	/* Both pids are in the run, and still: the table is not coherent. */
	assert_int_equal(judge_v4(rows, n, 51000, run, 3, &owner), CORDON_PROXY_CLIENT_AMBIGUOUS);
	/* Two identical rows (a table read twice) are one answer. */
	rows[n - 1].owner_pid = 7104;
	assert_int_equal(judge_v4(rows, n, 51000, run, 3, &owner), CORDON_PROXY_CLIENT_IN_RUN);
}

static void test_an_unnamed_owner_is_refused_even_if_listed(void **state)
{
	(void)state;
	/* Wine reports owner 0 for every connection; the kernel is 4. A
	 * run list that somehow holds 0 or 4 must not make them pass. */
	static const uint32_t odd_run[] = {0, 4, 7104};
	for (uint32_t pid = 0; pid <= 4; pid += 4) {
		cordon_tcp_connection rows[8];
		size_t n = loopback_table(rows, pid);
		uint32_t owner = 99;
		assert_int_equal(judge_v4(rows, n, 51000, odd_run, 3, &owner),
				 CORDON_PROXY_CLIENT_OWNER_UNNAMED);
		assert_int_equal(owner, pid);
	}
}

static void test_families_and_ports_must_match_exactly(void **state)
{
	(void)state;
	cordon_tcp_connection rows[4];
	size_t n = 0;
	rows[n++] = row(v6_loopback(51000), v6_loopback(3128), 7100);
	cordon_tcp_endpoint client4 = v4(127, 0, 0, 1, 51000), proxy4 = v4(127, 0, 0, 1, 3128);
	uint32_t owner;
	/* The IPv4 connection with the same ports is another connection. */
	assert_int_equal(cordon_proxy_judge_client(rows, n, &client4, &proxy4, run, 3, &owner),
			 CORDON_PROXY_CLIENT_NOT_LISTED);
	cordon_tcp_endpoint client6 = v6_loopback(51000), proxy6 = v6_loopback(3128);
	assert_int_equal(cordon_proxy_judge_client(rows, n, &client6, &proxy6, run, 3, &owner),
			 CORDON_PROXY_CLIENT_IN_RUN);
	/* Another proxy port, another address: not this connection. */
	cordon_tcp_endpoint other_port = v6_loopback(3129);
	assert_int_equal(cordon_proxy_judge_client(rows, n, &client6, &other_port, run, 3, &owner),
			 CORDON_PROXY_CLIENT_NOT_LISTED);
	rows[0].local.address[15] = 2;
	assert_int_equal(cordon_proxy_judge_client(rows, n, &client6, &proxy6, run, 3, &owner),
			 CORDON_PROXY_CLIENT_NOT_LISTED);
}

static void test_every_refusal_says_why_in_one_line(void **state)
{
	(void)state;
	static const cordon_proxy_client refusals[] = {
		CORDON_PROXY_CLIENT_OUTSIDE, CORDON_PROXY_CLIENT_NOT_LISTED, CORDON_PROXY_CLIENT_AMBIGUOUS,
		CORDON_PROXY_CLIENT_OWNER_UNNAMED};
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		char body[512];
		cordon_proxy_refusal_body(refusals[i], 0, body, sizeof(body));
		assert_true(strncmp(body, "cordon: ", 8) == 0);
		assert_non_null(strstr(body, "serves only the processes of the cordon run"));
		assert_null(strchr(body, '\n'));
		assert_true(strlen(body) < 300);
	}
	char tiny[8];
	cordon_proxy_refusal_body(CORDON_PROXY_CLIENT_AMBIGUOUS, 0, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), 7);
}

static void test_a_taken_port_says_who_holds_it_and_what_to_do(void **state)
{
	(void)state;
	char line[512];
	/* Another cordon run: wait, and no advice to stop it. */
	cordon_proxy_port_taken_text("127.0.0.1", 3128, 4242, "CORDON.EXE", "cordon.exe", line, sizeof(line));
	assert_non_null(strstr(line, "in use by another cordon run with --network proxy (process 4242)"));
	assert_non_null(strstr(line, "one such run at a time: wait for it to end"));
	assert_null(strstr(line, "stop that program"));
	/* Another program, named. */
	cordon_proxy_port_taken_text("[::1]", 3128, 77, "squid.exe", "cordon.exe", line, sizeof(line));
	assert_non_null(strstr(line, "[::1] port 3128 is in use by squid.exe (process 77)"));
	assert_non_null(strstr(line, "stop that program or use --network off or on"));
	/* A process whose name could not be read. */
	cordon_proxy_port_taken_text("127.0.0.1", 3128, 77, NULL, "cordon.exe", line, sizeof(line));
	assert_non_null(strstr(line, "in use by another program (process 77)"));
	/* Nobody named (Wine, or the kernel): the plain line, never "cordon". */
	static const uint32_t unnamed[] = {0, 4};
	for (size_t i = 0; i < 2; i++) {
		cordon_proxy_port_taken_text("127.0.0.1", 3128, unnamed[i], "cordon.exe", "cordon.exe", line,
					     sizeof(line));
		assert_string_equal(
			line, "cannot start the network proxy: 127.0.0.1 port 3128 is in use by another "
			      "program, and the command may reach only that port; nothing was run; stop "
			      "that program or use --network off or on");
	}
	/* Every form says nothing ran, on one line. */
	cordon_proxy_port_taken_text("127.0.0.1", 3128, 4242, "cordon.exe", "cordon.exe", line, sizeof(line));
	assert_non_null(strstr(line, "nothing was run"));
	assert_null(strchr(line, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_cases),
		cmocka_unit_test(test_rows_that_disagree_admit_nobody),
		cmocka_unit_test(test_an_unnamed_owner_is_refused_even_if_listed),
		cmocka_unit_test(test_families_and_ports_must_match_exactly),
		cmocka_unit_test(test_every_refusal_says_why_in_one_line),
		cmocka_unit_test(test_a_taken_port_says_who_holds_it_and_what_to_do),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
