/* The proxy thread in the cordon process: hands the relay one stream per
 * sandboxed TCP connection and serves HTTP CONNECT / absolute-form forward
 * requests on it, connecting only to allowlisted hosts. */
#include "proxy/proxy.h"
#include "proxy/pump.h"

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

#ifdef _WIN32

cordon_code cordon_proxy_start(const char *const *allowed_domains, size_t domain_count, int *relay_fd,
			       cordon_proxy **out, cordon_error *err)
{
	(void)allowed_domains;
	(void)domain_count;
	(void)relay_fd;
	*out = NULL;
	return cordon_fail(err, CORDON_E_UNSUPPORTED,
			   "the allowlist proxy is not available on Windows yet: use --network off or on");
}

void cordon_proxy_stop(cordon_proxy *proxy)
{
	(void)proxy;
}

#else

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
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/types.h>

#define HEADER_LIMIT	     16384
#define CONNECTION_LIMIT     64
#define HANDSHAKE_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS   10000
#define RESPONSE_TIMEOUT_MS  10000
#define STOP_GRACE_MS	     2000
#define HOST_MAX	     253
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
	char **domains;
	size_t domain_count;
};

typedef struct connection {
	cordon_proxy *proxy;
	int client_fd;
} connection;

typedef struct request {
	char method[32];
	char version[16];
	char host[HOST_MAX + 1];
	char authority[HOST_MAX + 16]; /* as the client wrote it, for Host: */
	unsigned short port;
	bool is_connect;
	const char *path; /* forward requests: origin-form target, into the header buffer */
	size_t path_length;
	const char *headers; /* first header line, into the header buffer */
	size_t headers_length;
} request;

/* ------------------------------------------------------------ lifetime */

static void proxy_free(cordon_proxy *proxy)
{
	if (proxy->control_fd >= 0)
		close(proxy->control_fd);
	close(proxy->stop_read);
	close(proxy->stop_write);
	for (size_t i = 0; i < proxy->domain_count; i++)
		free(proxy->domains[i]);
	free(proxy->domains);
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
	int body_length = vsnprintf(body, sizeof(body) - 1, body_format, args);
	va_end(args);
	if (body_length < 0)
		body_length = 0;
	if ((size_t)body_length > sizeof(body) - 2)
		body_length = (int)sizeof(body) - 2;
	body[body_length++] = '\n';
	body[body_length] = '\0';

	char response[1024];
	int length = snprintf(response, sizeof(response),
			      "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
			      "Connection: close\r\n\r\n%s",
			      status, body_length, body);
	if (length > 0 && (size_t)length < sizeof(response))
		send_all(proxy, fd, response, (size_t)length);
}

/* ------------------------------------------------------------- parsing */

static const char *find_header_end(const char *buffer, size_t length)
{
	for (size_t i = 3; i < length; i++)
		if (buffer[i - 3] == '\r' && buffer[i - 2] == '\n' && buffer[i - 1] == '\r' &&
		    buffer[i] == '\n')
			return buffer + i + 1;
	return NULL;
}

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_';
}

static bool is_ipv6_char(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
	       c == '.';
}

static bool parse_port(const char *text, size_t length, unsigned short *port)
{
	if (length == 0 || length > 5)
		return false;
	unsigned value = 0;
	for (size_t i = 0; i < length; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (value == 0 || value > 65535)
		return false;
	*port = (unsigned short)value;
	return true;
}

/* "host:port", "[v6]:port", or without ":port" when default_port is not 0. */
static const char *parse_authority(const char *text, size_t length, unsigned short default_port, request *req)
{
	if (length == 0 || length >= sizeof(req->authority))
		return "the host is missing or too long";
	memcpy(req->authority, text, length);
	req->authority[length] = '\0';

	const char *host = text;
	size_t host_length;
	const char *rest;
	if (text[0] == '[') {
		const char *close = memchr(text, ']', length);
		if (close == NULL)
			return "an IPv6 address lacks its closing ']'";
		host = text + 1;
		host_length = (size_t)(close - host);
		for (size_t i = 0; i < host_length; i++)
			if (!is_ipv6_char(host[i]))
				return "the IPv6 address has characters it cannot have";
		rest = close + 1;
	} else {
		const char *colon = memchr(text, ':', length);
		host_length = colon ? (size_t)(colon - text) : length;
		for (size_t i = 0; i < host_length; i++)
			if (!is_host_char(host[i]))
				return "the host name has characters it cannot have";
		rest = text + host_length;
	}
	if (host_length == 0 || host_length > HOST_MAX)
		return "the host is missing or too long";
	size_t rest_length = length - (size_t)(rest - text);
	if (rest_length == 0) {
		if (default_port == 0)
			return "CONNECT needs host:port";
		req->port = default_port;
	} else if (rest[0] != ':' || !parse_port(rest + 1, rest_length - 1, &req->port)) {
		return "the port is not a number from 1 to 65535";
	}
	memcpy(req->host, host, host_length);
	req->host[host_length] = '\0';
	return NULL;
}

static const char *parse_target(const char *target, size_t length, request *req)
{
	if (req->is_connect)
		return parse_authority(target, length, 0, req);
	static const char http_scheme[] = "http://";
	size_t scheme_length = sizeof(http_scheme) - 1;
	if (length >= 8 && strncasecmp(target, "https://", 8) == 0)
		return "https URLs go through CONNECT";
	if (length < scheme_length || strncasecmp(target, http_scheme, scheme_length) != 0)
		return "a proxy request needs an absolute http:// URL or CONNECT";
	const char *authority = target + scheme_length;
	size_t authority_length = 0;
	while (scheme_length + authority_length < length &&
	       strchr("/?#", authority[authority_length]) == NULL)
		authority_length++;
	if (memchr(authority, '@', authority_length) != NULL)
		return "user names in proxy URLs are not supported";
	const char *error = parse_authority(authority, authority_length, 80, req);
	if (error != NULL)
		return error;
	req->path = authority + authority_length;
	req->path_length = length - scheme_length - authority_length;
	return NULL;
}

static bool copy_token(char *out, size_t out_size, const char *text, size_t length)
{
	if (length == 0 || length >= out_size)
		return false;
	memcpy(out, text, length);
	out[length] = '\0';
	return true;
}

/* header_end points just past the blank line. Returns NULL or why the
 * request is malformed. */
static const char *parse_request(const char *buffer, const char *header_end, request *req)
{
	memset(req, 0, sizeof(*req));
	const char *line_end = strstr(buffer, "\r\n");
	if (line_end == NULL || line_end >= header_end)
		return "the request line is incomplete";
	const char *first_space = memchr(buffer, ' ', (size_t)(line_end - buffer));
	if (first_space == NULL)
		return "the request line has no target";
	const char *target = first_space + 1;
	const char *second_space = memchr(target, ' ', (size_t)(line_end - target));
	if (second_space == NULL)
		return "the request line has no HTTP version";
	const char *version = second_space + 1;

	if (!copy_token(req->method, sizeof(req->method), buffer, (size_t)(first_space - buffer)))
		return "the method is missing or too long";
	for (const char *c = req->method; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || *c == '-' || *c == '_'))
			return "the method is not an HTTP method";
	if (!copy_token(req->version, sizeof(req->version), version, (size_t)(line_end - version)) ||
	    strncmp(req->version, "HTTP/1.", 7) != 0 || req->version[7] < '0' || req->version[7] > '9' ||
	    req->version[8] != '\0')
		return "the HTTP version is not HTTP/1.x";
	size_t target_length = (size_t)(second_space - target);
	for (size_t i = 0; i < target_length; i++)
		if ((unsigned char)target[i] <= ' ' || target[i] == 0x7f)
			return "the target has control characters or spaces";

	req->is_connect = strcmp(req->method, "CONNECT") == 0;
	req->headers = line_end + 2;
	req->headers_length = (size_t)(header_end - req->headers);
	return parse_target(target, target_length, req);
}

static bool header_named(const char *line, size_t line_length, const char *name)
{
	size_t name_length = strlen(name);
	return line_length > name_length && line[name_length] == ':' &&
	       strncasecmp(line, name, name_length) == 0;
}

static bool is_dropped_header(const char *line, size_t line_length)
{
	/* Hop-by-hop headers meant for this proxy, and Host, which must name
	 * the host actually connected to (RFC 9112, 3.2.2). */
	static const char *const dropped[] = {"connection", "proxy-connection", "keep-alive",
					      "proxy-authorization", "host"};
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		if (header_named(line, line_length, dropped[i]))
			return true;
	return false;
}

/* Builds the origin-form request sent upstream. Allocates *out. Returns NULL
 * or why the headers are malformed. */
static const char *build_forward_request(const request *req, char **out, size_t *out_length)
{
	size_t capacity = req->headers_length + req->path_length + sizeof(req->authority) + 128;
	char *text = malloc(capacity);
	if (text == NULL)
		return "the proxy is out of memory";
	size_t length = 0;
	int written;
	if (req->path_length == 0 || req->path[0] != '/')
		written = snprintf(text, capacity, "%s /%.*s %s\r\n", req->method, (int)req->path_length,
				   req->path, req->version);
	else
		written = snprintf(text, capacity, "%s %.*s %s\r\n", req->method, (int)req->path_length,
				   req->path, req->version);
	length = (size_t)written;
	written = snprintf(text + length, capacity - length, "Host: %s\r\n", req->authority);
	length += (size_t)written;

	const char *line = req->headers;
	const char *end = req->headers + req->headers_length - 2; /* before the blank line */
	while (line < end) {
		const char *line_end = strstr(line, "\r\n");
		size_t line_length = (size_t)(line_end - line);
		if (line[0] == ' ' || line[0] == '\t' || memchr(line, ':', line_length) == NULL ||
		    line[0] == ':' || memchr(line, '\r', line_length) != NULL ||
		    memchr(line, '\n', line_length) != NULL) {
			free(text);
			return "a header line is not \"Name: value\"";
		}
		if (!is_dropped_header(line, line_length)) {
			memcpy(text + length, line, line_length + 2);
			length += line_length + 2;
		}
		line = line_end + 2;
	}
	static const char closing[] = "Connection: close\r\n\r\n";
	memcpy(text + length, closing, sizeof(closing) - 1);
	length += sizeof(closing) - 1;
	*out = text;
	*out_length = length;
	return NULL;
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
static int connect_upstream(const cordon_proxy *proxy, int client_fd, const request *req, bool literal)
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
		if (*length == HEADER_LIMIT)
			return HEADER_TOO_LARGE;
		int ready = wait_fd(proxy, fd, POLLIN, remaining_ms(deadline));
		if (ready < 0)
			return HEADER_CLOSED;
		if (ready == 0)
			return HEADER_TIMEOUT;
		ssize_t got = recv(fd, buffer + *length, HEADER_LIMIT - *length, MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (got <= 0)
			return HEADER_CLOSED;
		size_t scan_from = *length > 3 ? *length - 3 : 0;
		*length += (size_t)got;
		buffer[*length] = '\0';
		const char *end = find_header_end(buffer + scan_from, *length - scan_from);
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
			    "cordon: the request headers exceed %d bytes", HEADER_LIMIT);
		return;
	case HEADER_TIMEOUT:
		send_status(proxy, client_fd, "408 Request Timeout",
			    "cordon: no complete proxy request within %d seconds",
			    HANDSHAKE_TIMEOUT_MS / 1000);
		return;
	}
	if (memchr(buffer, '\0', (size_t)(header_end - buffer)) != NULL) {
		send_status(proxy, client_fd, "400 Bad Request", "cordon: malformed proxy request: NUL byte");
		return;
	}

	request req;
	const char *malformed = parse_request(buffer, header_end, &req);
	if (malformed != NULL) {
		send_status(proxy, client_fd, "400 Bad Request", "cordon: malformed proxy request: %s",
			    malformed);
		return;
	}
	if (!cordon_proxy_host_allowed((const char *const *)proxy->domains, proxy->domain_count, req.host)) {
		send_status(proxy, client_fd, "403 Forbidden",
			    "cordon: %s is not in the allowed domains (--allow-domain)", req.host);
		return;
	}

	char *forward = NULL;
	size_t forward_length = 0;
	if (!req.is_connect) {
		malformed = build_forward_request(&req, &forward, &forward_length);
		if (malformed != NULL) {
			send_status(proxy, client_fd, "400 Bad Request",
				    "cordon: malformed proxy request: %s", malformed);
			return;
		}
	}

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
	char *buffer = malloc(HEADER_LIMIT + 1);
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

static cordon_code copy_domains(cordon_proxy *proxy, const char *const *domains, size_t count)
{
	if (count == 0)
		return CORDON_OK;
	proxy->domains = calloc(count, sizeof(*proxy->domains));
	if (proxy->domains == NULL)
		return CORDON_E_NOMEM;
	for (size_t i = 0; i < count; i++) {
		proxy->domains[i] = strdup(domains[i]);
		if (proxy->domains[i] == NULL)
			return CORDON_E_NOMEM;
		proxy->domain_count++;
	}
	return CORDON_OK;
}

cordon_code cordon_proxy_start(const char *const *allowed_domains, size_t domain_count, int *relay_fd,
			       cordon_proxy **out, cordon_error *err)
{
	*out = NULL;
	*relay_fd = -1;
	for (size_t i = 0; i < domain_count; i++)
		if (allowed_domains == NULL || allowed_domains[i] == NULL)
			return cordon_fail(err, CORDON_E_INVALID,
					   "the proxy got a missing allowed domain: pass %zu host names",
					   domain_count);

	cordon_proxy *proxy = calloc(1, sizeof(*proxy));
	if (proxy == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the network proxy");
	proxy->references = 1;
	proxy->control_fd = -1;
	proxy->stop_read = proxy->stop_write = -1;
	pthread_mutex_init(&proxy->lock, NULL);
	pthread_condattr_t condition_attributes;
	pthread_condattr_init(&condition_attributes);
	pthread_condattr_setclock(&condition_attributes, CLOCK_MONOTONIC);
	pthread_cond_init(&proxy->connection_ended, &condition_attributes);
	pthread_condattr_destroy(&condition_attributes);

	if (copy_domains(proxy, allowed_domains, domain_count) != CORDON_OK) {
		proxy_free(proxy);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the network proxy");
	}
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
