/* The proxy thread and the relay together, on the host's loopback: the test
 * runs the relay in a child process on a free port, the proxy in this one,
 * and a small HTTP/echo server in a thread. One case repeats the path
 * through a real network namespace when user namespaces are available. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "proxy/proxy.h"

#define MAX_HANDLERS 256

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ server */

typedef struct server {
	int listen_fd;
	int stop_pipe[2];
	unsigned short port;
	pthread_t thread;
	atomic_int accepted;
	pthread_mutex_t lock;
	pthread_t handlers[MAX_HANDLERS];
	int handler_count;
} server;

static bool read_exact(int fd, char *buffer, size_t length)
{
	while (length > 0) {
		ssize_t got = read(fd, buffer, length);
		if (got <= 0)
			return false;
		buffer += got;
		length -= (size_t)got;
	}
	return true;
}

static bool write_all(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
		if (sent <= 0)
			return false;
		data += sent;
		length -= (size_t)sent;
	}
	return true;
}

/* "GET " and "POST": answer with the request head and body as received.
 * Anything else: echo until EOF. */
static void *handler_main(void *argument)
{
	int fd = (int)(intptr_t)argument;
	char head[16384 + 1];
	size_t length = 0;
	if (!read_exact(fd, head, 4))
		goto done;
	length = 4;
	if (memcmp(head, "GET ", 4) != 0 && memcmp(head, "POST", 4) != 0) {
		char buffer[8192];
		if (!write_all(fd, head, 4))
			goto done;
		for (;;) {
			ssize_t got = read(fd, buffer, sizeof(buffer));
			if (got <= 0 || !write_all(fd, buffer, (size_t)got))
				break;
		}
		goto done;
	}
	while (length < sizeof(head) - 1) {
		head[length] = '\0';
		if (strstr(head, "\r\n\r\n") != NULL)
			break;
		ssize_t got = read(fd, head + length, 1);
		if (got <= 0)
			goto done;
		length += (size_t)got;
	}
	head[length] = '\0';
	const char *content_length = strstr(head, "Content-Length: ");
	size_t body_length = content_length ? (size_t)atoi(content_length + 16) : 0;
	char body[256] = "";
	if (body_length >= sizeof(body) || !read_exact(fd, body, body_length))
		goto done;
	char response[20000];
	int n = snprintf(response, sizeof(response), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s%.*s",
			 length + body_length, head, (int)body_length, body);
	write_all(fd, response, (size_t)n);
done:
	close(fd);
	return NULL;
}

static void *server_main(void *argument)
{
	server *s = argument;
	for (;;) {
		struct pollfd fds[2] = {{.fd = s->listen_fd, .events = POLLIN},
					{.fd = s->stop_pipe[0], .events = POLLIN}};
		if (poll(fds, 2, -1) < 0 || fds[1].revents != 0)
			break;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		atomic_fetch_add(&s->accepted, 1);
		pthread_mutex_lock(&s->lock);
		if (s->handler_count < MAX_HANDLERS &&
		    pthread_create(&s->handlers[s->handler_count], NULL, handler_main,
				   (void *)(intptr_t)fd) == 0)
			s->handler_count++;
		else
			close(fd);
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static int listen_loopback(unsigned short *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in address = {.sin_family = AF_INET};
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(fd, 256), 0);
	socklen_t size = sizeof(address);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &size), 0);
	*port = ntohs(address.sin_port);
	return fd;
}

static void server_start(server *s)
{
	memset(s, 0, sizeof(*s));
	s->listen_fd = listen_loopback(&s->port);
	assert_int_equal(pipe2(s->stop_pipe, O_CLOEXEC), 0);
	pthread_mutex_init(&s->lock, NULL);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(server *s)
{
	assert_int_equal(write(s->stop_pipe[1], "x", 1), 1);
	pthread_join(s->thread, NULL);
	for (int i = 0; i < s->handler_count; i++)
		pthread_join(s->handlers[i], NULL);
	close(s->listen_fd);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	pthread_mutex_destroy(&s->lock);
}

/* The server accepts on its own thread, a moment after the proxy's connect
 * returns: wait for an expected count, or give a stray connection time to
 * show up before asserting there was none. */
static int accepted_after_settling(server *s, int expected)
{
	int64_t deadline = now_ms() + (expected > 0 ? 5000 : 200);
	while (atomic_load(&s->accepted) < expected && now_ms() < deadline)
		usleep(5000);
	if (expected == 0)
		usleep(200000);
	return atomic_load(&s->accepted);
}

/* ----------------------------------------------------------- fixture */

typedef struct fixture {
	server upstream;
	cordon_proxy *proxy;
	pid_t relay_pid;
	unsigned short relay_port;
} fixture;

/* A loopback port nothing listens on, held (bound, not listening) until
 * *fd is closed, so no other socket can take it meanwhile. */
static unsigned short refusing_port(int *fd)
{
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*fd >= 0);
	struct sockaddr_in address = {.sin_family = AF_INET};
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(*fd, (struct sockaddr *)&address, sizeof(address)), 0);
	socklen_t size = sizeof(address);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&address, &size), 0);
	return ntohs(address.sin_port);
}

/* The relay process must hold no descriptor but its own control end (and
 * its listener), or it would keep the proxy's end alive and never see it
 * close. */
static void close_all_but(int keep_a, int keep_b)
{
	unsigned low = (unsigned)(keep_a < keep_b ? keep_a : keep_b);
	unsigned high = (unsigned)(keep_a < keep_b ? keep_b : keep_a);
	if (low > 3)
		close_range(3, low - 1, 0);
	if (high > low + 1)
		close_range(low + 1, high - 1, 0);
	close_range(high + 1, ~0U, 0);
}

static int start_fixture(void **state, const char *const *domains, size_t count, rlim_t descriptor_limit)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	int relay_fd = -1;
	cordon_error err;
	assert_int_equal(cordon_proxy_start(domains, count, &relay_fd, &f->proxy, &err), CORDON_OK);
	assert_true(relay_fd >= 0);
	/* Bound here on port 0, so no other socket can take the port between
	 * choosing it and the relay listening on it. */
	int listener = listen_loopback(&f->relay_port);
	f->relay_pid = fork();
	assert_true(f->relay_pid >= 0);
	if (f->relay_pid == 0) {
		close_all_but(relay_fd, listener);
		if (descriptor_limit != 0) {
			struct rlimit limit;
			getrlimit(RLIMIT_NOFILE, &limit);
			limit.rlim_cur = descriptor_limit;
			if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
				_exit(4);
		}
		_exit(cordon_relay_serve_listeners(relay_fd, listener, -1) == 0 ? 0 : 3);
	}
	close(listener);
	close(relay_fd);
	server_start(&f->upstream);
	*state = f;
	return 0;
}

static int setup_names(void **state)
{
	static const char *const domains[] = {"localhost", "*.example.invalid"};
	return start_fixture(state, domains, 2, 0);
}

static int setup_literal(void **state)
{
	static const char *const domains[] = {"127.0.0.1"};
	return start_fixture(state, domains, 1, 0);
}

/* The relay then has room for (24 - 16) / 2 = 4 connections. */
static int setup_few_descriptors(void **state)
{
	static const char *const domains[] = {"localhost"};
	return start_fixture(state, domains, 1, 24);
}

static int teardown(void **state)
{
	fixture *f = *state;
	cordon_proxy_stop(f->proxy);
	int status = 0;
	assert_int_equal(waitpid(f->relay_pid, &status, 0), f->relay_pid);
	/* The relay returns 0 once the control socket closes. */
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	server_stop(&f->upstream);
	free(f);
	return 0;
}

/* ----------------------------------------------------------- clients */

static int connect_port(unsigned short port)
{
	int64_t deadline = now_ms() + 10000;
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
		address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0)
			return fd;
		close(fd);
		if (now_ms() > deadline)
			fail_msg("cannot connect to the relay on port %u: %s", port, strerror(errno));
		usleep(10000);
	}
}

static int connect_relay(const fixture *f)
{
	return connect_port(f->relay_port);
}

static void send_text(int fd, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void send_text(int fd, const char *format, ...)
{
	char text[20000];
	va_list args;
	va_start(args, format);
	int length = vsnprintf(text, sizeof(text), format, args);
	va_end(args);
	assert_true(length > 0 && (size_t)length < sizeof(text));
	assert_true(write_all(fd, text, (size_t)length));
}

/* Reads until EOF (or size - 1 bytes) with a timeout; NUL-terminates. */
static size_t read_until_eof(int fd, char *buffer, size_t size)
{
	size_t length = 0;
	int64_t deadline = now_ms() + 10000;
	while (length < size - 1) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			fail_msg("no EOF within 10 s; got %zu bytes", length);
		ssize_t got = read(fd, buffer + length, size - 1 - length);
		if (got <= 0)
			break;
		length += (size_t)got;
	}
	buffer[length] = '\0';
	return length;
}

/* Reads exactly up to the end of a response head. */
static void read_head(int fd, char *buffer, size_t size)
{
	size_t length = 0;
	while (length < size - 1) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 10000) <= 0)
			fail_msg("no response head within 10 s");
		ssize_t got = read(fd, buffer + length, 1);
		if (got <= 0)
			break;
		length++;
		buffer[length] = '\0';
		if (length >= 4 && memcmp(buffer + length - 4, "\r\n\r\n", 4) == 0)
			return;
	}
	buffer[length] = '\0';
	fail_msg("connection ended inside the response head: \"%s\"", buffer);
}

static void expect_connect_established(int fd, const char *authority)
{
	send_text(fd, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", authority, authority);
	char head[512];
	read_head(fd, head, sizeof(head));
	assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
}

/* Sends data through an echo tunnel while reading the echo back, then
 * half-closes and expects the echo to end in EOF. */
static void exchange_echo(int fd, const char *data, size_t length)
{
	char *echoed = malloc(length + 1);
	assert_non_null(echoed);
	size_t sent = 0, received = 0;
	bool shut = false;
	int64_t deadline = now_ms() + 20000;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = (short)(POLLIN | (sent < length ? POLLOUT : 0))};
		assert_true(poll(&pfd, 1, 1000) >= 0);
		assert_true(now_ms() < deadline);
		if (pfd.revents & POLLOUT) {
			size_t chunk = length - sent < 4096 ? length - sent : 4096;
			ssize_t n = send(fd, data + sent, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
		if (sent == length && !shut) {
			assert_int_equal(shutdown(fd, SHUT_WR), 0);
			shut = true;
		}
		if (pfd.revents & (POLLIN | POLLHUP)) {
			ssize_t n = recv(fd, echoed + received, length + 1 - received, MSG_DONTWAIT);
			if (n == 0)
				break;
			if (n > 0)
				received += (size_t)n;
		}
	}
	assert_int_equal(received, length);
	assert_memory_equal(echoed, data, length);
	free(echoed);
}

static void expect_refused(const fixture *f, const char *request, const char *status, const char *body_part)
{
	int fd = connect_relay(f);
	send_text(fd, "%s", request);
	char response[4096];
	read_until_eof(fd, response, sizeof(response));
	close(fd);
	if (strncmp(response, status, strlen(status)) != 0 || strstr(response, body_part) == NULL)
		fail_msg("request \"%s\": expected \"%s\" with \"%s\", got \"%s\"", request, status,
			 body_part, response);
}

/* -------------------------------------------------------------- cases */

static void test_connect_tunnels_both_ways(void **state)
{
	fixture *f = *state;
	int fd = connect_relay(f);
	char authority[64];
	snprintf(authority, sizeof(authority), "localhost:%u", f->upstream.port);
	expect_connect_established(fd, authority);

	size_t length = 300 * 1024; /* well past every buffer on the way */
	char *data = malloc(length);
	assert_non_null(data);
	memcpy(data, "ECHO", 4);
	for (size_t i = 4; i < length; i++)
		data[i] = (char)(i * 7 + i / 251);
	exchange_echo(fd, data, length);
	free(data);
	close(fd);
	assert_int_equal(accepted_after_settling(&f->upstream, 1), 1);
}

static void test_absolute_form_get_is_rewritten_to_origin_form(void **state)
{
	fixture *f = *state;
	int fd = connect_relay(f);
	send_text(fd,
		  "GET http://LocalHost:%u/some/path?q=1 HTTP/1.1\r\nHost: wrong.example\r\n"
		  "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\nX-Test: yes\r\n\r\n",
		  f->upstream.port);
	char response[8192];
	read_until_eof(fd, response, sizeof(response));
	close(fd);
	char expected[256];
	assert_true(strncmp(response, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(response, "\r\n\r\nGET /some/path?q=1 HTTP/1.1\r\n"));
	snprintf(expected, sizeof(expected), "\r\nHost: LocalHost:%u\r\n", f->upstream.port);
	assert_non_null(strstr(response, expected));
	assert_non_null(strstr(response, "\r\nX-Test: yes\r\n"));
	assert_non_null(strstr(response, "\r\nConnection: close\r\n\r\n"));
	assert_null(strstr(response, "wrong.example"));
	assert_null(strstr(response, "Proxy-"));
	assert_int_equal(accepted_after_settling(&f->upstream, 1), 1);
}

static void test_forward_request_carries_its_body_and_default_path(void **state)
{
	fixture *f = *state;
	int fd = connect_relay(f);
	send_text(fd, "POST http://localhost:%u HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
		  f->upstream.port);
	char response[8192];
	read_until_eof(fd, response, sizeof(response));
	close(fd);
	assert_true(strncmp(response, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(response, "\r\n\r\nPOST / HTTP/1.0\r\n"));
	assert_non_null(strstr(response, "\r\n\r\nhello"));
}

static void test_denied_host_gets_403_and_no_upstream_connection(void **state)
{
	fixture *f = *state;
	char request[256];
	snprintf(request, sizeof(request), "CONNECT notallowed.invalid:%u HTTP/1.1\r\n\r\n",
		 f->upstream.port);
	expect_refused(f, request, "HTTP/1.1 403 Forbidden\r\n",
		       "\r\n\r\ncordon: notallowed.invalid is not in the allowed domains (--allow-domain)\n");
	snprintf(request, sizeof(request), "GET http://localhost.evil.invalid:%u/ HTTP/1.1\r\n\r\n",
		 f->upstream.port);
	expect_refused(f, request, "HTTP/1.1 403 Forbidden\r\n",
		       "localhost.evil.invalid is not in the allowed");
	/* The wildcard admits subdomains, not the apex. */
	expect_refused(f, "CONNECT example.invalid:443 HTTP/1.1\r\n\r\n", "HTTP/1.1 403 Forbidden\r\n",
		       "example.invalid is not in the allowed");
	assert_int_equal(accepted_after_settling(&f->upstream, 0), 0);
}

static void test_ip_literals_get_403(void **state)
{
	fixture *f = *state;
	const char *hosts[] = {"CONNECT 127.0.0.1", "CONNECT [::1]", "CONNECT 2130706433", "CONNECT 0x7f.1",
			       "GET http://127.0.0.1"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char request[256];
		snprintf(request, sizeof(request), "%s:%u%s HTTP/1.1\r\n\r\n", hosts[i], f->upstream.port,
			 hosts[i][0] == 'G' ? "/" : "");
		expect_refused(f, request, "HTTP/1.1 403 Forbidden\r\n", "is not in the allowed domains");
	}
	assert_int_equal(accepted_after_settling(&f->upstream, 0), 0);
}

static void test_malformed_requests_get_400(void **state)
{
	fixture *f = *state;
	const char *requests[] = {
		"garbage\r\n\r\n",
		"CONNECT localhost HTTP/1.1\r\n\r\n",
		"CONNECT localhost:99999 HTTP/1.1\r\n\r\n",
		"CONNECT localhost:0 HTTP/1.1\r\n\r\n",
		"CONNECT localhost:80 HTTP/2.0\r\n\r\n",
		"CONNECT local*host:80 HTTP/1.1\r\n\r\n",
		"GET /relative HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"GET https://localhost/ HTTP/1.1\r\n\r\n",
		"GET http://user@localhost/ HTTP/1.1\r\n\r\n",
		"GET http://localhost/ HTTP/1.1\r\nno colon here\r\n\r\n",
		"GET http://localhost/ HTTP/1.1\r\n folded: header\r\n\r\n",
		"get http://localhost/ HTTP/1.1\r\n\r\n",
		"GET  http://localhost/ HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		expect_refused(f, requests[i], "HTTP/1.1 400 Bad Request\r\n",
			       "cordon: malformed proxy request");
	assert_int_equal(accepted_after_settling(&f->upstream, 0), 0);
}

static void test_oversized_header_gets_431(void **state)
{
	fixture *f = *state;
	int fd = connect_relay(f);
	send_text(fd, "GET http://localhost:%u/ HTTP/1.1\r\n", f->upstream.port);
	char line[1024];
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Pad: ", 7);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	for (int i = 0; i < 17; i++)
		assert_true(write_all(fd, line, sizeof(line)));
	char response[4096];
	read_until_eof(fd, response, sizeof(response));
	close(fd);
	assert_true(strncmp(response, "HTTP/1.1 431 ", 13) == 0);
	assert_int_equal(accepted_after_settling(&f->upstream, 0), 0);
}

#define CONCURRENT 48

static void test_many_concurrent_tunnels(void **state)
{
	fixture *f = *state;
	int fds[CONCURRENT];
	char authority[64];
	snprintf(authority, sizeof(authority), "localhost:%u", f->upstream.port);
	for (int i = 0; i < CONCURRENT; i++)
		fds[i] = connect_relay(f);
	for (int i = 0; i < CONCURRENT; i++)
		send_text(fds[i], "CONNECT %s HTTP/1.1\r\n\r\n", authority);
	/* Every tunnel is established before any of them carries data. */
	for (int i = 0; i < CONCURRENT; i++) {
		char head[512];
		read_head(fds[i], head, sizeof(head));
		assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
	}
	assert_int_equal(accepted_after_settling(&f->upstream, CONCURRENT), CONCURRENT);
	for (int i = 0; i < CONCURRENT; i++)
		send_text(fds[i], "ECHO from connection %d\n", i);
	for (int i = CONCURRENT; i-- > 0;) {
		char expected[64], got[64];
		int length = snprintf(expected, sizeof(expected), "ECHO from connection %d\n", i);
		assert_true(read_exact(fds[i], got, (size_t)length));
		assert_memory_equal(got, expected, (size_t)length);
		close(fds[i]);
	}
}

#define LIMIT 64

static void test_connections_beyond_the_limit_get_503(void **state)
{
	fixture *f = *state;
	int idle[LIMIT];
	for (int i = 0; i < LIMIT; i++) {
		idle[i] = connect_relay(f);
		/* A byte without a header end keeps each one in its handshake. */
		send_text(idle[i], "%s", "C");
	}
	int extra = connect_relay(f);
	send_text(extra, "CONNECT localhost:%u HTTP/1.1\r\n\r\n", f->upstream.port);
	char response[1024];
	read_until_eof(extra, response, sizeof(response));
	close(extra);
	assert_true(strncmp(response, "HTTP/1.1 503 ", 13) == 0);

	/* A slot frees once a handshake ends. */
	close(idle[0]);
	int64_t deadline = now_ms() + 5000;
	bool established = false;
	while (!established && now_ms() < deadline) {
		int fd = connect_relay(f);
		send_text(fd, "CONNECT localhost:%u HTTP/1.1\r\n\r\n", f->upstream.port);
		char head[512];
		read_head(fd, head, sizeof(head));
		established = strncmp(head, "HTTP/1.1 200 ", 13) == 0;
		close(fd);
		if (!established)
			usleep(20000);
	}
	assert_true(established);
	for (int i = 1; i < LIMIT; i++)
		close(idle[i]);
}

static void test_listed_ip_literal_is_reachable(void **state)
{
	fixture *f = *state;
	int fd = connect_relay(f);
	char authority[64];
	snprintf(authority, sizeof(authority), "127.0.0.1:%u", f->upstream.port);
	expect_connect_established(fd, authority);
	exchange_echo(fd, "ECHO literal", 12);
	close(fd);
	char request[256];
	snprintf(request, sizeof(request), "CONNECT localhost:%u HTTP/1.1\r\n\r\n", f->upstream.port);
	expect_refused(f, request, "HTTP/1.1 403 Forbidden\r\n", "localhost is not in the allowed domains");
	assert_int_equal(accepted_after_settling(&f->upstream, 1), 1);
}

static void test_unreachable_upstream_gets_502(void **state)
{
	fixture *f = *state;
	char request[256];
	int held;
	snprintf(request, sizeof(request), "CONNECT localhost:%u HTTP/1.1\r\n\r\n", refusing_port(&held));
	expect_refused(f, request, "HTTP/1.1 502 Bad Gateway\r\n",
		       "cordon: cannot connect to localhost port");
	close(held);
}

static void test_stop_ends_open_tunnels_promptly(void **state)
{
	fixture *f = *state;
	int fds[3];
	char authority[64];
	snprintf(authority, sizeof(authority), "localhost:%u", f->upstream.port);
	for (int i = 0; i < 3; i++) {
		fds[i] = connect_relay(f);
		expect_connect_established(fds[i], authority);
	}
	int idle = connect_relay(f); /* still in its handshake */
	int64_t started = now_ms();
	cordon_proxy_stop(f->proxy);
	f->proxy = NULL;
	assert_true(now_ms() - started < 1500);
	char buffer[64];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(read_until_eof(fds[i], buffer, sizeof(buffer)), 0);
		close(fds[i]);
	}
	close(idle);
}

/* User plus system CPU time of a process, in clock ticks. */
static long cpu_ticks(pid_t pid)
{
	char path[64], text[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *file = fopen(path, "r");
	assert_non_null(file);
	size_t length = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[length] = '\0';
	const char *fields = strrchr(text, ')');
	assert_non_null(fields);
	long user = 0, system = 0;
	/* Fields 3-13 come before utime (14) and stime (15). */
	assert_int_equal(
		sscanf(fields + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &user, &system), 2);
	return user + system;
}

#define QUEUED_CLIENTS 8
#define RELAY_ROOM     4

static void test_relay_queues_clients_beyond_its_descriptors(void **state)
{
	fixture *f = *state;
	int fds[QUEUED_CLIENTS];
	for (int i = 0; i < QUEUED_CLIENTS; i++) {
		fds[i] = connect_relay(f);
		send_text(fds[i], "CONNECT localhost:%u HTTP/1.1\r\n\r\n", f->upstream.port);
	}
	for (int i = 0; i < RELAY_ROOM; i++) {
		char head[512];
		read_head(fds[i], head, sizeof(head));
		assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
	}
	/* The rest wait in the listen backlog, and the relay waits idle. */
	long before = cpu_ticks(f->relay_pid);
	usleep(500000);
	long spent = cpu_ticks(f->relay_pid) - before;
	assert_true(spent <= sysconf(_SC_CLK_TCK) / 10);
	for (int i = RELAY_ROOM; i < QUEUED_CLIENTS; i++) {
		struct pollfd pfd = {.fd = fds[i], .events = POLLIN};
		assert_int_equal(poll(&pfd, 1, 0), 0);
	}
	for (int i = 0; i < RELAY_ROOM; i++)
		close(fds[i]);
	for (int i = RELAY_ROOM; i < QUEUED_CLIENTS; i++) {
		char head[512];
		read_head(fds[i], head, sizeof(head));
		assert_string_equal(head, "HTTP/1.1 200 Connection established\r\n\r\n");
		exchange_echo(fds[i], "ECHO late", 9);
		close(fds[i]);
	}
	assert_int_equal(accepted_after_settling(&f->upstream, QUEUED_CLIENTS), QUEUED_CLIENTS);
}

/* ------------------------------------------- through a network namespace */

/* In a child: a new user and network namespace, the relay in a grandchild on
 * CORDON_PROXY_PORT, and a client that can reach the host's loopback server
 * only through the proxy. Exit 77: namespaces unavailable. */
static int namespace_client(int relay_fd, unsigned short upstream_port, pid_t *relay_pid)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
		return 77;
	pid_t relay = fork();
	if (relay < 0)
		return 10;
	*relay_pid = relay;
	if (relay == 0) {
		close_all_but(relay_fd, relay_fd);
		_exit(cordon_relay_serve(relay_fd, CORDON_PROXY_PORT) == 0 ? 0 : 3);
	}
	close(relay_fd);
	int result = 0;

	/* The host's loopback server is not reachable directly. */
	int direct = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(upstream_port)};
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int64_t deadline = now_ms() + 5000;
	int fd = -1;
	while (fd < 0 && now_ms() < deadline) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in proxy_address = {.sin_family = AF_INET,
						    .sin_port = htons(CORDON_PROXY_PORT)};
		proxy_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&proxy_address, sizeof(proxy_address)) != 0) {
			close(fd);
			fd = -1;
			usleep(10000);
		}
	}
	if (fd < 0)
		return 11;
	if (connect(direct, (struct sockaddr *)&address, sizeof(address)) == 0)
		result = 12;
	close(direct);

	char request[128];
	int length =
		snprintf(request, sizeof(request), "CONNECT localhost:%u HTTP/1.1\r\n\r\n", upstream_port);
	static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\nECHO inside";
	char reply[sizeof(established)] = "";
	if (!write_all(fd, request, (size_t)length) || !write_all(fd, "ECHO inside", 11) ||
	    !read_exact(fd, reply, sizeof(established) - 1) ||
	    memcmp(reply, established, sizeof(established) - 1))
		result = result ? result : 13;
	close(fd);
	return result;
}

static void test_relay_inside_a_network_namespace(void **state)
{
	(void)state;
	static const char *const domains[] = {"localhost"};
	int relay_fd = -1;
	cordon_proxy *proxy = NULL;
	cordon_error err;
	assert_int_equal(cordon_proxy_start(domains, 1, &relay_fd, &proxy, &err), CORDON_OK);
	server upstream;
	server_start(&upstream);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Only the relay's end and the stdio descriptors cross over. */
		close_all_but(relay_fd, relay_fd);
		pid_t relay = -1;
		int result = namespace_client(relay_fd, upstream.port, &relay);
		if (relay > 0) {
			/* It would serve until the proxy stops; the parent
			 * stops that only after this process is done. */
			kill(relay, SIGKILL);
			waitpid(relay, NULL, 0);
		}
		_exit(result);
	}
	close(relay_fd);
	int status = 0;
	int64_t deadline = now_ms() + 20000;
	pid_t done = 0;
	while ((done = waitpid(child, &status, WNOHANG)) == 0 && now_ms() < deadline)
		usleep(20000);
	if (done == 0) {
		/* The relay grandchild only ends when the proxy stops. */
		cordon_proxy_stop(proxy);
		proxy = NULL;
		assert_int_equal(waitpid(child, &status, 0), child);
	}
	cordon_proxy_stop(proxy);
	server_stop(&upstream);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(accepted_after_settling(&upstream, 1), 1);
}

int main(void)
{
	/* A peer that goes away must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_tunnels_both_ways, setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_form_get_is_rewritten_to_origin_form,
						setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_forward_request_carries_its_body_and_default_path,
						setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_denied_host_gets_403_and_no_upstream_connection,
						setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_ip_literals_get_403, setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_requests_get_400, setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_header_gets_431, setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_many_concurrent_tunnels, setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_connections_beyond_the_limit_get_503, setup_names,
						teardown),
		cmocka_unit_test_setup_teardown(test_listed_ip_literal_is_reachable, setup_literal, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_upstream_gets_502, setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_stop_ends_open_tunnels_promptly, setup_names, teardown),
		cmocka_unit_test_setup_teardown(test_relay_queues_clients_beyond_its_descriptors,
						setup_few_descriptors, teardown),
		cmocka_unit_test(test_relay_inside_a_network_namespace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
