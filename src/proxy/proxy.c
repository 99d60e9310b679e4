/* The proxy thread in the cordon process (POSIX; Windows: proxy_win32.c): hands the relay one stream per
 * sandboxed TCP connection and serves HTTP CONNECT / absolute-form forward
 * requests on it, connecting only to allowlisted hosts. */
#include "proxy/proxy.h"
#include "proxy/pump.h"
#include "proxy/request.h"

#include "core/error.h"

static const char *const proxy_environment[] = {
	"HTTP_PROXY=http://127.0.0.1:3128",
	"HTTPS_PROXY=http://127.0.0.1:3128",
	"ALL_PROXY=http://127.0.0.1:3128",
	"http_proxy=http://127.0.0.1:3128",
	"https_proxy=http://127.0.0.1:3128",
	"all_proxy=http://127.0.0.1:3128",
	/* The sandbox's loopback is its own: a server the command starts there
	 * must not be looked up on the host through the proxy. */
	"NO_PROXY=localhost,127.0.0.1,::1",
	"no_proxy=localhost,127.0.0.1,::1",
	NULL,
};

const char *const *cordon_proxy_environment(void)
{
	return proxy_environment;
}

#ifndef _WIN32

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/types.h>

#define CONNECTION_LIMIT     64
#define HANDSHAKE_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS   10000
#define RESPONSE_TIMEOUT_MS  10000
#define STOP_GRACE_MS	     2000
#define THREAD_STACK	     (1024 * 1024)

struct cordon_proxy {
	pthread_mutex_t lock;
	pthread_cond_t connection_ended;
	unsigned references; /* the owner and each connection thread */
	unsigned connections;
	pthread_t accept_thread;
	int control_fd;
	/* Never drained: once written, every poll that includes stop_read
	 * returns at once, so one byte stops all threads. */
	int stop_read;
	int stop_write;
	cordon_strlist domains; /* allowed */
};

typedef struct connection {
	cordon_proxy *proxy;
	int client_fd;
} connection;

/* ------------------------------------------------------------ lifetime */

static void proxy_free(cordon_proxy *proxy)
{
	if (proxy->control_fd >= 0)
		close(proxy->control_fd);
	close(proxy->stop_read);
	close(proxy->stop_write);
	cordon_strlist_clear(&proxy->domains);
	pthread_cond_destroy(&proxy->connection_ended);
	pthread_mutex_destroy(&proxy->lock);
	free(proxy);
}

static void proxy_release(cordon_proxy *proxy, bool ends_connection)
{
	pthread_mutex_lock(&proxy->lock);
	if (ends_connection) {
		proxy->connections--;
		pthread_cond_broadcast(&proxy->connection_ended);
	}
	bool last = --proxy->references == 0;
	pthread_mutex_unlock(&proxy->lock);
	if (last)
		proxy_free(proxy);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - now_ms();
	return left < 0 ? 0 : (int)left;
}

/* Waits for events on fd or for stop. Returns >0 if fd is ready, 0 on
 * timeout, -1 if the proxy is stopping or poll failed. */
static int wait_fd(const cordon_proxy *proxy, int fd, short events, int timeout_ms)
{
	struct pollfd fds[2] = {{.fd = fd, .events = events}, {.fd = proxy->stop_read, .events = POLLIN}};
	for (;;) {
		int ready = poll(fds, 2, timeout_ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0 || fds[1].revents != 0)
			return -1;
		return ready;
	}
}

/* ------------------------------------------------------------- sending */

static bool send_all(const cordon_proxy *proxy, int fd, const char *data, size_t length)
{
	int64_t deadline = now_ms() + RESPONSE_TIMEOUT_MS;
	while (length > 0) {
		ssize_t sent = send(fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent > 0) {
			data += sent;
			length -= (size_t)sent;
			continue;
		}
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return false;
		if (wait_fd(proxy, fd, POLLOUT, remaining_ms(deadline)) <= 0)
			return false;
	}
	return true;
}

static void send_status(const cordon_proxy *proxy, int fd, const char *status, const char *body_format, ...)
	CORDON_PRINTF(4, 5);

static void send_status(const cordon_proxy *proxy, int fd, const char *status, const char *body_format, ...)
{
	char body[512];
	va_list args;
	va_start(args, body_format);
	vsnprintf(body, sizeof(body), body_format, args);
	va_end(args);
	char response[1024];
	size_t length = cordon_proxy_status_response(response, sizeof(response), status, body);
	if (length > 0)
		send_all(proxy, fd, response, length);
}

/* ----------------------------------------------------------- upstream */

static int connect_address(const cordon_proxy *proxy, const struct addrinfo *address, int64_t deadline,
			   int *errnum)
{
	int fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			address->ai_protocol);
	if (fd < 0) {
		*errnum = errno;
		return -1;
	}
	if (connect(fd, address->ai_addr, address->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*errnum = errno;
		close(fd);
		return -1;
	}
	int timeout = remaining_ms(deadline);
	if (timeout > CONNECT_TIMEOUT_MS)
		timeout = CONNECT_TIMEOUT_MS;
	int ready = wait_fd(proxy, fd, POLLOUT, timeout);
	int socket_error = ETIMEDOUT;
	socklen_t size = sizeof(socket_error);
	if (ready > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &size) == 0 && socket_error == 0)
		return fd;
	*errnum = ready < 0 ? ECANCELED : socket_error;
	close(fd);
	return -1;
}

/* Resolves and connects; on failure answers the client itself and returns -1. */
static int connect_upstream(const cordon_proxy *proxy, int client_fd, const cordon_proxy_request *req,
			    bool literal)
{
	char service[8];
	snprintf(service, sizeof(service), "%u", req->port);
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | (literal ? AI_NUMERICHOST : 0),
	};
	struct addrinfo *addresses = NULL;
	int status = getaddrinfo(req->host, service, &hints, &addresses);
	if (status != 0) {
		send_status(proxy, client_fd, "502 Bad Gateway", "cordon: cannot resolve %s: %s", req->host,
			    gai_strerror(status));
		return -1;
	}
	int64_t deadline = now_ms() + 3 * CONNECT_TIMEOUT_MS;
	int errnum = EHOSTUNREACH;
	int fd = -1;
	for (const struct addrinfo *a = addresses; a != NULL && fd < 0 && remaining_ms(deadline) > 0;
	     a = a->ai_next)
		fd = connect_address(proxy, a, deadline, &errnum);
	freeaddrinfo(addresses);
	if (fd < 0 && errnum != ECANCELED) {
		char reason[128];
		const char *text = strerror_r(errnum, reason, sizeof(reason));
		send_status(proxy, client_fd, errnum == ETIMEDOUT ? "504 Gateway Timeout" : "502 Bad Gateway",
			    "cordon: cannot connect to %s port %u: %s", req->host, req->port, text);
	}
	return fd;
}

/* -------------------------------------------------------------- tunnel */

static void tunnel(const cordon_proxy *proxy, int client_fd, int upstream_fd)
{
	cordon_pump *pumps = calloc(2, sizeof(*pumps));
	if (pumps == NULL)
		return;
	cordon_pump *up = &pumps[0];   /* client -> upstream */
	cordon_pump *down = &pumps[1]; /* upstream -> client */
	while (!(up->shut && down->shut)) {
		short client_events = cordon_pump_events(up, down);
		short upstream_events = cordon_pump_events(down, up);
		struct pollfd fds[3] = {
			{.fd = client_events ? client_fd : -1, .events = client_events},
			{.fd = upstream_events ? upstream_fd : -1, .events = upstream_events},
			{.fd = proxy->stop_read, .events = POLLIN},
		};
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[2].revents != 0)
			break;
		bool client_in = fds[0].revents & (POLLIN | POLLHUP | POLLERR);
		bool client_out = fds[0].revents & (POLLOUT | POLLHUP | POLLERR);
		bool upstream_in = fds[1].revents & (POLLIN | POLLHUP | POLLERR);
		bool upstream_out = fds[1].revents & (POLLOUT | POLLHUP | POLLERR);
		cordon_pump_step(up, client_fd, upstream_fd, client_in, upstream_out);
		cordon_pump_step(down, upstream_fd, client_fd, upstream_in, client_out);
	}
	free(pumps);
}

/* ---------------------------------------------------------- connection */

typedef enum header_status {
	HEADER_COMPLETE,
	HEADER_CLOSED,
	HEADER_TOO_LARGE,
	HEADER_TIMEOUT,
} header_status;

static header_status read_header(const cordon_proxy *proxy, int fd, char *buffer, size_t *length,
				 const char **header_end)
{
	int64_t deadline = now_ms() + HANDSHAKE_TIMEOUT_MS;
	*length = 0;
	for (;;) {
		if (*length == CORDON_PROXY_HEADER_LIMIT)
			return HEADER_TOO_LARGE;
		int ready = wait_fd(proxy, fd, POLLIN, remaining_ms(deadline));
		if (ready < 0)
			return HEADER_CLOSED;
		if (ready == 0)
			return HEADER_TIMEOUT;
		ssize_t got = recv(fd, buffer + *length, CORDON_PROXY_HEADER_LIMIT - *length, MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (got <= 0)
			return HEADER_CLOSED;
		size_t scan_from = *length > 3 ? *length - 3 : 0;
		*length += (size_t)got;
		buffer[*length] = '\0';
		const char *end = cordon_proxy_find_header_end(buffer + scan_from, *length - scan_from);
		if (end != NULL) {
			*header_end = end;
			return HEADER_COMPLETE;
		}
	}
}

static void serve_request(const cordon_proxy *proxy, int client_fd, char *buffer)
{
	size_t length;
	const char *header_end = NULL;
	switch (read_header(proxy, client_fd, buffer, &length, &header_end)) {
	case HEADER_COMPLETE: break;
	case HEADER_CLOSED: return;
	case HEADER_TOO_LARGE:
		send_status(proxy, client_fd, "431 Request Header Fields Too Large",
			    "cordon: the request headers exceed %d bytes", CORDON_PROXY_HEADER_LIMIT);
		return;
	case HEADER_TIMEOUT:
		send_status(proxy, client_fd, "408 Request Timeout",
			    "cordon: no complete proxy request within %d seconds",
			    HANDSHAKE_TIMEOUT_MS / 1000);
		return;
	}
	cordon_proxy_verdict verdict;
	cordon_proxy_decide(buffer, header_end, (const char *const *)proxy->domains.items,
			    proxy->domains.count, &verdict);
	if (verdict.status != NULL) {
		send_status(proxy, client_fd, verdict.status, "%s", verdict.body);
		return;
	}
	const cordon_proxy_request req = verdict.req;
	char *forward = verdict.forward;
	size_t forward_length = verdict.forward_length;

	int upstream_fd = connect_upstream(proxy, client_fd, &req, cordon_proxy_host_is_ip_literal(req.host));
	if (upstream_fd < 0) {
		free(forward);
		return;
	}
	static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	bool ok = req.is_connect ? send_all(proxy, client_fd, established, sizeof(established) - 1)
				 : send_all(proxy, upstream_fd, forward, forward_length);
	free(forward);
	/* Bytes the client sent after the header (a request body, an early
	 * TLS hello) belong upstream. */
	size_t early = length - (size_t)(header_end - buffer);
	if (ok && early > 0)
		ok = send_all(proxy, upstream_fd, header_end, early);
	if (ok)
		tunnel(proxy, client_fd, upstream_fd);
	close(upstream_fd);
}

static void *connection_main(void *argument)
{
	connection *c = argument;
	char *buffer = malloc(CORDON_PROXY_HEADER_LIMIT + 1);
	if (buffer != NULL)
		serve_request(c->proxy, c->client_fd, buffer);
	free(buffer);
	close(c->client_fd);
	cordon_proxy *proxy = c->proxy;
	free(c);
	proxy_release(proxy, true);
	return NULL;
}

/* ------------------------------------------------------- accept thread */

/* One reply per request, with or without a stream, so the relay can pair
 * replies with its connections in order. */
static bool send_stream(const cordon_proxy *proxy, int stream_fd)
{
	char marker = stream_fd >= 0 ? 's' : 'x';
	struct iovec iov = {.iov_base = &marker, .iov_len = 1};
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
	if (stream_fd >= 0) {
		message.msg_control = control.space;
		message.msg_controllen = sizeof(control.space);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &stream_fd, sizeof(int));
	}
	for (;;) {
		if (sendmsg(proxy->control_fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
			return true;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return false;
		/* A relay that stops reading must not wedge the proxy: stop
		 * still gets through. */
		if (wait_fd(proxy, proxy->control_fd, POLLOUT, -1) <= 0)
			return false;
	}
}

static bool start_connection_thread(cordon_proxy *proxy, int client_fd)
{
	connection *c = malloc(sizeof(*c));
	if (c == NULL)
		return false;
	c->proxy = proxy;
	c->client_fd = client_fd;
	pthread_attr_t attributes;
	pthread_attr_init(&attributes);
	pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attributes, THREAD_STACK);
	pthread_t thread;
	int status = pthread_create(&thread, &attributes, connection_main, c);
	pthread_attr_destroy(&attributes);
	if (status != 0) {
		free(c);
		return false;
	}
	return true;
}

/* Returns false when the relay is gone. */
static bool hand_out_stream(cordon_proxy *proxy)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
		return send_stream(proxy, -1);

	pthread_mutex_lock(&proxy->lock);
	bool admitted = proxy->connections < CONNECTION_LIMIT;
	if (admitted) {
		proxy->connections++;
		proxy->references++;
	}
	pthread_mutex_unlock(&proxy->lock);
	if (admitted && !start_connection_thread(proxy, pair[0])) {
		proxy_release(proxy, true);
		admitted = false;
	}
	if (!admitted) {
		send_status(proxy, pair[0], "503 Service Unavailable",
			    "cordon: the proxy is serving %d connections already; try again",
			    CONNECTION_LIMIT);
		close(pair[0]);
	}
	bool sent = send_stream(proxy, pair[1]);
	close(pair[1]);
	return sent;
}

static void *accept_main(void *argument)
{
	cordon_proxy *proxy = argument;
	for (;;) {
		int ready = wait_fd(proxy, proxy->control_fd, POLLIN, -1);
		if (ready < 0)
			break;
		/* Plain recv: any descriptors a misbehaving relay attaches are
		 * discarded by the kernel. */
		char request_byte;
		ssize_t got = recv(proxy->control_fd, &request_byte, 1, MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (got <= 0 || !hand_out_stream(proxy))
			break;
	}
	return NULL;
}

/* -------------------------------------------------------------- public */

cordon_code cordon_proxy_start(const char *const *allowed_domains, size_t domain_count, int *relay_fd,
			       cordon_proxy **out, cordon_error *err)
{
	*out = NULL;
	*relay_fd = -1;
	cordon_strlist domains = {0};
	cordon_code copied = cordon_proxy_domains_copy(allowed_domains, domain_count, &domains, err);
	if (copied != CORDON_OK)
		return copied;

	cordon_proxy *proxy = calloc(1, sizeof(*proxy));
	if (proxy == NULL) {
		cordon_strlist_clear(&domains);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the network proxy");
	}
	proxy->domains = domains;
	proxy->references = 1;
	proxy->control_fd = -1;
	proxy->stop_read = proxy->stop_write = -1;
	pthread_mutex_init(&proxy->lock, NULL);
	pthread_condattr_t condition_attributes;
	pthread_condattr_init(&condition_attributes);
	pthread_condattr_setclock(&condition_attributes, CLOCK_MONOTONIC);
	pthread_cond_init(&proxy->connection_ended, &condition_attributes);
	pthread_condattr_destroy(&condition_attributes);

	int stop_pipe[2];
	if (pipe2(stop_pipe, O_CLOEXEC) != 0) {
		int errnum = errno;
		proxy_free(proxy);
		return cordon_fail_errno(err, errnum, "cannot start the network proxy: pipe2 failed");
	}
	proxy->stop_read = stop_pipe[0];
	proxy->stop_write = stop_pipe[1];
	int control[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) != 0) {
		int errnum = errno;
		proxy_free(proxy);
		return cordon_fail_errno(err, errnum, "cannot start the network proxy: socketpair failed");
	}
	proxy->control_fd = control[0];

	/* Signals meant for the command's supervisor (SIGCHLD, SIGINT, ...)
	 * must not land on proxy threads; they inherit this mask. */
	sigset_t all, previous;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	int status = pthread_create(&proxy->accept_thread, NULL, accept_main, proxy);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (status != 0) {
		close(control[1]);
		proxy_free(proxy);
		return cordon_fail_errno(err, status, "cannot start the network proxy thread");
	}
	*relay_fd = control[1];
	*out = proxy;
	return CORDON_OK;
}

void cordon_proxy_stop(cordon_proxy *proxy)
{
	if (proxy == NULL)
		return;
	char stop = 1;
	while (write(proxy->stop_write, &stop, 1) < 0 && errno == EINTR)
		continue;
	pthread_join(proxy->accept_thread, NULL);
	/* Only the accept thread used it; closing it now ends the relay even
	 * if a connection thread outlives the grace period. */
	close(proxy->control_fd);
	proxy->control_fd = -1;

	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += STOP_GRACE_MS / 1000;
	pthread_mutex_lock(&proxy->lock);
	while (proxy->connections > 0)
		if (pthread_cond_timedwait(&proxy->connection_ended, &proxy->lock, &deadline) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&proxy->lock);
	proxy_release(proxy, false);
}

#endif
