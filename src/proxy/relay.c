/* The relay inside the sandbox's network namespace: accepts TCP connections
 * on the loopback proxy port and joins each to a stream the proxy thread
 * hands over the control socket. One poll loop, no threads. */
#include "proxy/proxy.h"
#include "proxy/pump.h"

#ifdef _WIN32

#include <errno.h>

int cordon_relay_serve(int control_fd, unsigned short port)
{
	(void)control_fd;
	(void)port;
	return ENOSYS;
}

int cordon_relay_serve_listeners(int control_fd, int listener4, int listener6)
{
	(void)control_fd;
	(void)listener4;
	(void)listener6;
	return ENOSYS;
}

#else

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define RELAY_CONNECTION_LIMIT 256
#define ACCEPT_PAUSE_MS	       100

/* The relay runs in a process cloned (not forked through libc) from a
 * caller that may have other threads, so libc's allocator may be locked
 * by a thread that does not exist here: it takes its memory from mmap. */
static void *relay_zalloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void relay_release(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

typedef struct relay_connection {
	int tcp_fd;
	int stream_fd;	  /* -1 until the proxy's reply arrives */
	cordon_pump up;	  /* tcp -> stream */
	cordon_pump down; /* stream -> tcp */
} relay_connection;

typedef struct relay {
	int control_fd;
	size_t connection_limit; /* what the descriptor limit leaves room for */
	int listeners[2];
	relay_connection *connections[RELAY_CONNECTION_LIMIT];
	size_t count;
	/* Connections waiting for a stream, oldest first: the proxy answers
	 * requests in order. */
	relay_connection *waiting[RELAY_CONNECTION_LIMIT];
	size_t waiting_head;
	size_t waiting_count;
	/* Out of descriptors: the pending client stays queued and the
	 * listeners would poll ready at once, so rest a moment instead. */
	bool accept_paused;
} relay;

/* A fresh network namespace has lo down and without addresses. */
static void bring_loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct ifreq request;
	memset(&request, 0, sizeof(request));
	strncpy(request.ifr_name, "lo", sizeof(request.ifr_name) - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &request) == 0 && !(request.ifr_flags & IFF_UP)) {
		request.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &request);
	}
	close(fd);
}

static int open_listener(int family, unsigned short port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int status;
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		struct sockaddr_in6 address = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
		address.sin6_addr = in6addr_loopback;
		status = bind(fd, (struct sockaddr *)&address, sizeof(address));
	} else {
		struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
		address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		status = bind(fd, (struct sockaddr *)&address, sizeof(address));
	}
	if (status != 0 || listen(fd, 128) != 0) {
		int errnum = errno;
		close(fd);
		return -errnum;
	}
	return fd;
}

static void close_connection(relay *r, size_t index)
{
	relay_connection *c = r->connections[index];
	close(c->tcp_fd);
	if (c->stream_fd >= 0)
		close(c->stream_fd);
	relay_release(c, sizeof(*c));
	r->connections[index] = r->connections[--r->count];
}

static short tcp_events(const relay_connection *c)
{
	if (c->stream_fd < 0)
		return 0;
	return cordon_pump_events(&c->up, &c->down);
}

static short stream_events(const relay_connection *c)
{
	if (c->stream_fd < 0)
		return 0;
	return cordon_pump_events(&c->down, &c->up);
}

/* Returns false when the connection is finished or broken. */
static bool serve_connection(relay_connection *c, short tcp_revents, short stream_revents)
{
	const short in = POLLIN | POLLHUP | POLLERR;
	const short out = POLLOUT | POLLHUP | POLLERR;
	if (c->stream_fd < 0)
		return true;
	cordon_pump_step(&c->up, c->tcp_fd, c->stream_fd, tcp_revents & in, stream_revents & out);
	cordon_pump_step(&c->down, c->stream_fd, c->tcp_fd, stream_revents & in, tcp_revents & out);
	return !(c->up.shut && c->down.shut);
}

/* Returns false when the proxy has gone away. */
static bool receive_streams(relay *r)
{
	for (;;) {
		char marker;
		struct iovec iov = {.iov_base = &marker, .iov_len = 1};
		union {
			struct cmsghdr header;
			char space[CMSG_SPACE(sizeof(int))];
		} control;
		struct msghdr message = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control.space,
			.msg_controllen = sizeof(control.space),
		};
		ssize_t got = recvmsg(r->control_fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (got <= 0)
			return false;
		int stream_fd = -1;
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
		if (cmsg != NULL && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&stream_fd, CMSG_DATA(cmsg), sizeof(int));
		if (r->waiting_count == 0) {
			if (stream_fd >= 0)
				close(stream_fd);
			continue;
		}
		relay_connection *c = r->waiting[r->waiting_head];
		r->waiting_head = (r->waiting_head + 1) % RELAY_CONNECTION_LIMIT;
		r->waiting_count--;
		if (stream_fd < 0) {
			/* The proxy could not make a stream: drop this client. */
			shutdown(c->tcp_fd, SHUT_RDWR);
			c->up.shut = c->down.shut = true;
			c->up.eof = c->down.eof = true;
			continue;
		}
		c->stream_fd = stream_fd;
	}
}

/* Returns false when the proxy has gone away. */
static bool accept_clients(relay *r, int listener)
{
	while (r->count < r->connection_limit) {
		int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				r->accept_paused = true;
			return true; /* EAGAIN, or a client that reset before accept */
		}
		relay_connection *c = relay_zalloc(sizeof(*c));
		if (c == NULL) {
			close(fd);
			return true;
		}
		c->tcp_fd = fd;
		c->stream_fd = -1;
		char request_byte = 'c';
		ssize_t sent;
		do
			sent = send(r->control_fd, &request_byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (sent < 0 && errno == EINTR);
		if (sent != 1) {
			close(fd);
			relay_release(c, sizeof(*c));
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return false;
		}
		r->connections[r->count++] = c;
		r->waiting[(r->waiting_head + r->waiting_count) % RELAY_CONNECTION_LIMIT] = c;
		r->waiting_count++;
	}
	return true;
}

/* Clients the proxy could not give a stream to. */
static void close_refused(relay *r)
{
	for (size_t i = r->count; i-- > 0;)
		if (r->connections[i]->stream_fd < 0 && r->connections[i]->up.shut)
			close_connection(r, i);
}

static int relay_loop(relay *r)
{
	enum { CONTROL, LISTEN4, LISTEN6, FIRST_CONNECTION };
	struct pollfd fds[FIRST_CONNECTION + 2 * RELAY_CONNECTION_LIMIT];
	for (;;) {
		bool room = r->count < r->connection_limit && !r->accept_paused;
		fds[CONTROL] = (struct pollfd){.fd = r->control_fd, .events = POLLIN};
		fds[LISTEN4] = (struct pollfd){.fd = room ? r->listeners[0] : -1, .events = POLLIN};
		fds[LISTEN6] = (struct pollfd){.fd = room ? r->listeners[1] : -1, .events = POLLIN};
		for (size_t i = 0; i < r->count; i++) {
			const relay_connection *c = r->connections[i];
			short tcp = tcp_events(c), stream = stream_events(c);
			/* An fd with nothing to do is left out: poll would
			 * report its hangup over and over. */
			fds[FIRST_CONNECTION + 2 * i] =
				(struct pollfd){.fd = tcp ? c->tcp_fd : -1, .events = tcp};
			fds[FIRST_CONNECTION + 2 * i + 1] =
				(struct pollfd){.fd = stream ? c->stream_fd : -1, .events = stream};
		}
		int timeout = r->accept_paused ? ACCEPT_PAUSE_MS : -1;
		r->accept_paused = false;
		if (poll(fds, FIRST_CONNECTION + 2 * r->count, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		/* Backwards, so removing one moves an already served
		 * connection into its place. */
		for (size_t i = r->count; i-- > 0;) {
			relay_connection *c = r->connections[i];
			if (!serve_connection(c, fds[FIRST_CONNECTION + 2 * i].revents,
					      fds[FIRST_CONNECTION + 2 * i + 1].revents))
				close_connection(r, i);
		}
		if (fds[CONTROL].revents != 0 && !receive_streams(r))
			return 0;
		close_refused(r);
		for (int l = 0; l < 2; l++)
			if (fds[LISTEN4 + l].revents != 0 && !accept_clients(r, r->listeners[l]))
				return 0;
	}
}

/* Each connection holds two descriptors; keep a few for the listeners, the
 * control socket, stdio and the odd loopback ioctl socket. */
static size_t connection_limit(void)
{
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
	    limit.rlim_cur >= 16 + 2 * RELAY_CONNECTION_LIMIT)
		return RELAY_CONNECTION_LIMIT;
	return limit.rlim_cur > 18 ? (size_t)(limit.rlim_cur - 16) / 2 : 1;
}

int cordon_relay_serve(int control_fd, unsigned short port)
{
	bring_loopback_up();
	int listener4 = open_listener(AF_INET, port);
	if (listener4 < 0)
		return -listener4;
	int listener6 = open_listener(AF_INET6, port);
	if (listener6 < 0)
		listener6 = -1; /* no IPv6 here: IPv4 alone will do */
	return cordon_relay_serve_listeners(control_fd, listener4, listener6);
}

int cordon_relay_serve_listeners(int control_fd, int listener4, int listener6)
{
	relay *r = relay_zalloc(sizeof(*r));
	if (r == NULL) {
		close(listener4);
		if (listener6 >= 0)
			close(listener6);
		return ENOMEM;
	}
	r->control_fd = control_fd;
	r->connection_limit = connection_limit();
	r->listeners[0] = listener4;
	r->listeners[1] = listener6;
	/* accept_clients drains each listener until it would block. */
	for (int l = 0; l < 2; l++)
		if (r->listeners[l] >= 0)
			fcntl(r->listeners[l], F_SETFL, fcntl(r->listeners[l], F_GETFL) | O_NONBLOCK);

	int status = relay_loop(r);

	while (r->count > 0)
		close_connection(r, r->count - 1);
	close(r->listeners[0]);
	if (r->listeners[1] >= 0)
		close(r->listeners[1]);
	relay_release(r, sizeof(*r));
	return status;
}

#endif
