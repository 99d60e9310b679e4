/* The allowlist proxy on Windows: Winsock and Win32 threads, in the cordon
 * process (the user side in elevated mode). There is no network namespace
 * to bridge, so the proxy listens on loopback itself at the port the WFP
 * filters of 'cordon setup' let the offline account reach, and nothing
 * else. Requests are parsed and judged by the same code as on POSIX
 * (request.c, allowlist.c); this file only moves bytes.
 *
 * It serves the processes of its own run and nobody else (admission.h):
 * every run of the offline account may reach this port, a concurrent
 * --network off run included. Which run is its own is known once the
 * command's job exists (cordon_proxy_serve_job); a connection that comes
 * first waits for it.
 *
 * Every blocking wait is a select() of at most TICK_MS, so a stop is seen
 * within that time by every thread except one stuck in a name lookup:
 * such a thread holds a reference and frees what it shares when it ends. */
#ifdef _WIN32

#include "proxy/proxy.h"
#include "proxy/admission.h"
#include "proxy/request.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/win_internal.h"

#define CONNECTION_LIMIT     64
#define HANDSHAKE_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS   10000
#define RESPONSE_TIMEOUT_MS  10000
#define STOP_GRACE_MS	     2000
#define TICK_MS		     200
#define TUNNEL_BUFFER	     16384
#define THREAD_STACK	     (1024 * 1024)
/* Attempts at reading a table that grows between sizing and reading. */
#define TABLE_ATTEMPTS 4

struct cordon_proxy {
	CRITICAL_SECTION lock;
	unsigned references; /* the owner and each connection thread */
	unsigned connections;
	HANDLE idle; /* manual-reset: set while no connection is served */
	volatile LONG stopping;
	HANDLE accept_thread;
	SOCKET listeners[2];
	size_t listener_count;
	cordon_strlist domains; /* allowed */
	bool winsock_started;
	HANDLE run_known; /* manual-reset: set once run_job is */
	HANDLE run_job;	  /* the command's job, JOB_OBJECT_QUERY */
};

typedef struct connection {
	cordon_proxy *proxy;
	SOCKET client;
} connection;

/* One direction of a tunnel. */
typedef struct direction {
	char buffer[TUNNEL_BUFFER];
	size_t head, tail;
	bool eof;  /* nothing more will be read */
	bool shut; /* the writing side was shut down */
} direction;

/* ------------------------------------------------------------ lifetime */

static void proxy_free(cordon_proxy *proxy)
{
	for (size_t i = 0; i < proxy->listener_count; i++)
		closesocket(proxy->listeners[i]);
	cordon_strlist_clear(&proxy->domains);
	if (proxy->accept_thread != NULL)
		CloseHandle(proxy->accept_thread);
	if (proxy->idle != NULL)
		CloseHandle(proxy->idle);
	if (proxy->run_known != NULL)
		CloseHandle(proxy->run_known);
	if (proxy->run_job != NULL)
		CloseHandle(proxy->run_job);
	DeleteCriticalSection(&proxy->lock);
	if (proxy->winsock_started)
		WSACleanup();
	free(proxy);
}

static void proxy_release(cordon_proxy *proxy, bool ends_connection)
{
	EnterCriticalSection(&proxy->lock);
	if (ends_connection && --proxy->connections == 0)
		SetEvent(proxy->idle);
	bool last = --proxy->references == 0;
	LeaveCriticalSection(&proxy->lock);
	if (last)
		proxy_free(proxy);
}

static bool stopping(const cordon_proxy *proxy)
{
	return InterlockedCompareExchange((volatile LONG *)&proxy->stopping, 0, 0) != 0;
}

static int remaining_ms(ULONGLONG deadline)
{
	ULONGLONG now = GetTickCount64();
	return now >= deadline ? 0 : (int)(deadline - now);
}

typedef enum wait_for { WAIT_READ, WAIT_WRITE } wait_for;

/* Waits for s, in slices, watching stop. >0: ready (for WAIT_WRITE also a
 * failed connect), 0: timeout, -1: stopping or select failed. */
static int wait_socket(const cordon_proxy *proxy, SOCKET s, wait_for what, int timeout_ms)
{
	ULONGLONG deadline = GetTickCount64() + (ULONGLONG)timeout_ms;
	for (;;) {
		if (stopping(proxy))
			return -1;
		int slice = remaining_ms(deadline);
		if (slice > TICK_MS)
			slice = TICK_MS;
		fd_set ready, failed;
		FD_ZERO(&ready);
		FD_ZERO(&failed);
		FD_SET(s, &ready);
		FD_SET(s, &failed);
		struct timeval tv = {.tv_sec = 0, .tv_usec = slice * 1000};
		int n = what == WAIT_READ ? select(0, &ready, NULL, NULL, &tv)
					  : select(0, NULL, &ready, &failed, &tv);
		if (n == SOCKET_ERROR)
			return -1;
		if (n > 0)
			return n;
		if (remaining_ms(deadline) == 0)
			return 0;
	}
}

static bool set_non_blocking(SOCKET s)
{
	u_long on = 1;
	return ioctlsocket(s, FIONBIO, &on) == 0;
}

/* ------------------------------------------------------------- sending */

static bool send_all(const cordon_proxy *proxy, SOCKET s, const char *data, size_t length)
{
	ULONGLONG deadline = GetTickCount64() + RESPONSE_TIMEOUT_MS;
	while (length > 0) {
		int chunk = length > INT32_MAX ? INT32_MAX : (int)length;
		int sent = send(s, data, chunk, 0);
		if (sent > 0) {
			data += sent;
			length -= (size_t)sent;
			continue;
		}
		if (sent == SOCKET_ERROR && WSAGetLastError() != WSAEWOULDBLOCK)
			return false;
		if (wait_socket(proxy, s, WAIT_WRITE, remaining_ms(deadline)) <= 0)
			return false;
	}
	return true;
}

static void send_status(const cordon_proxy *proxy, SOCKET s, const char *status, const char *body)
{
	char response[1024];
	size_t length = cordon_proxy_status_response(response, sizeof(response), status, body);
	if (length > 0)
		send_all(proxy, s, response, length);
}

/* ----------------------------------------------------------- upstream */

static SOCKET connect_address(const cordon_proxy *proxy, const struct addrinfo *address, ULONGLONG deadline,
			      int *error)
{
	SOCKET s = socket(address->ai_family, address->ai_socktype, address->ai_protocol);
	if (s == INVALID_SOCKET) {
		*error = WSAGetLastError();
		return INVALID_SOCKET;
	}
	if (!set_non_blocking(s)) {
		*error = WSAGetLastError();
		closesocket(s);
		return INVALID_SOCKET;
	}
	if (connect(s, address->ai_addr, (int)address->ai_addrlen) == 0)
		return s;
	if (WSAGetLastError() != WSAEWOULDBLOCK) {
		*error = WSAGetLastError();
		closesocket(s);
		return INVALID_SOCKET;
	}
	int timeout = remaining_ms(deadline);
	if (timeout > CONNECT_TIMEOUT_MS)
		timeout = CONNECT_TIMEOUT_MS;
	int ready = wait_socket(proxy, s, WAIT_WRITE, timeout);
	int socket_error = WSAETIMEDOUT;
	int size = sizeof(socket_error);
	if (ready > 0 && getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&socket_error, &size) == 0 &&
	    socket_error == 0)
		return s;
	*error = ready < 0 ? WSAECANCELLED : socket_error;
	closesocket(s);
	return INVALID_SOCKET;
}

/* Resolves and connects; on failure answers the client and returns
 * INVALID_SOCKET. */
static SOCKET connect_upstream(const cordon_proxy *proxy, SOCKET client, const cordon_proxy_request *req)
{
	char service[8];
	char body[512];
	snprintf(service, sizeof(service), "%u", req->port);
	struct addrinfo hints = {0};
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (cordon_proxy_host_is_ip_literal(req->host) ? AI_NUMERICHOST : 0);
	struct addrinfo *addresses = NULL;
	int status = getaddrinfo(req->host, service, &hints, &addresses);
	if (status != 0) {
		snprintf(body, sizeof(body), "cordon: cannot resolve %s (Winsock error %d)", req->host,
			 status);
		send_status(proxy, client, "502 Bad Gateway", body);
		return INVALID_SOCKET;
	}
	ULONGLONG deadline = GetTickCount64() + 3 * CONNECT_TIMEOUT_MS;
	int error = WSAEHOSTUNREACH;
	SOCKET s = INVALID_SOCKET;
	for (const struct addrinfo *a = addresses;
	     a != NULL && s == INVALID_SOCKET && remaining_ms(deadline) > 0; a = a->ai_next)
		s = connect_address(proxy, a, deadline, &error);
	freeaddrinfo(addresses);
	if (s == INVALID_SOCKET && error != WSAECANCELLED) {
		snprintf(body, sizeof(body), "cordon: cannot connect to %s port %u (Winsock error %d)",
			 req->host, req->port, error);
		send_status(proxy, client, error == WSAETIMEDOUT ? "504 Gateway Timeout" : "502 Bad Gateway",
			    body);
	}
	return s;
}

/* -------------------------------------------------------------- tunnel */

/* Moves what it can without blocking, as pump.c does on POSIX: a reset
 * ends a direction like EOF; a receiver that is gone ends it at once. */
static void direction_step(direction *d, SOCKET from, SOCKET to, bool readable, bool writable)
{
	if (readable && !d->eof && d->tail < TUNNEL_BUFFER) {
		int got = recv(from, d->buffer + d->tail, (int)(TUNNEL_BUFFER - d->tail), 0);
		if (got > 0)
			d->tail += (size_t)got;
		else if (got == 0 || WSAGetLastError() != WSAEWOULDBLOCK)
			d->eof = true;
	}
	if (writable && d->head < d->tail) {
		int sent = send(to, d->buffer + d->head, (int)(d->tail - d->head), 0);
		if (sent > 0) {
			d->head += (size_t)sent;
		} else if (sent == SOCKET_ERROR && WSAGetLastError() != WSAEWOULDBLOCK) {
			d->eof = d->shut = true;
			d->head = d->tail = 0;
		}
	}
	if (d->head == d->tail)
		d->head = d->tail = 0;
	if (d->eof && d->head == d->tail && !d->shut) {
		shutdown(to, SD_SEND);
		d->shut = true;
	}
}

static void tunnel(const cordon_proxy *proxy, SOCKET client, SOCKET upstream)
{
	direction *pair = calloc(2, sizeof(*pair));
	if (pair == NULL)
		return;
	direction *up = &pair[0];   /* client -> upstream */
	direction *down = &pair[1]; /* upstream -> client */
	while (!(up->shut && down->shut) && !stopping(proxy)) {
		fd_set readable, writable;
		FD_ZERO(&readable);
		FD_ZERO(&writable);
		if (!up->eof && up->tail < TUNNEL_BUFFER)
			FD_SET(client, &readable);
		if (!down->eof && down->tail < TUNNEL_BUFFER)
			FD_SET(upstream, &readable);
		if (up->head < up->tail)
			FD_SET(upstream, &writable);
		if (down->head < down->tail)
			FD_SET(client, &writable);
		if (readable.fd_count + writable.fd_count == 0)
			break; /* both directions done reading, nothing buffered */
		struct timeval tv = {.tv_sec = 0, .tv_usec = TICK_MS * 1000};
		if (select(0, &readable, &writable, NULL, &tv) == SOCKET_ERROR)
			break;
		direction_step(up, client, upstream, FD_ISSET(client, &readable),
			       FD_ISSET(upstream, &writable));
		direction_step(down, upstream, client, FD_ISSET(upstream, &readable),
			       FD_ISSET(client, &writable));
	}
	free(pair);
}

/* ----------------------------------------------------------- admission */

static bool endpoint_of(const struct sockaddr_storage *address, cordon_tcp_endpoint *out)
{
	memset(out, 0, sizeof(*out));
	if (address->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
		memcpy(out->address, &v4->sin_addr, 4);
		out->port = ntohs(v4->sin_port);
		return true;
	}
	if (address->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
		out->v6 = true;
		memcpy(out->address, &v6->sin6_addr, 16);
		out->port = ntohs(v6->sin6_port);
		return true;
	}
	return false;
}

/* The table's port fields hold the port, network order, in their low 16
 * bits. */
static uint16_t table_port(DWORD port)
{
	return ntohs((u_short)(port & 0xffffu));
}

static void convert_rows(const void *table, int family, cordon_tcp_connection *rows, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		cordon_tcp_connection *row = &rows[i];
		memset(row, 0, sizeof(*row));
		if (family == AF_INET) {
			const MIB_TCPROW_OWNER_PID *from = &((const MIB_TCPTABLE_OWNER_PID *)table)->table[i];
			memcpy(row->local.address, &from->dwLocalAddr, 4);
			memcpy(row->remote.address, &from->dwRemoteAddr, 4);
			row->local.port = table_port(from->dwLocalPort);
			row->remote.port = table_port(from->dwRemotePort);
			row->owner_pid = from->dwOwningPid;
		} else {
			const MIB_TCP6ROW_OWNER_PID *from =
				&((const MIB_TCP6TABLE_OWNER_PID *)table)->table[i];
			row->local.v6 = row->remote.v6 = true;
			memcpy(row->local.address, from->ucLocalAddr, 16);
			memcpy(row->remote.address, from->ucRemoteAddr, 16);
			row->local.port = table_port(from->dwLocalPort);
			row->remote.port = table_port(from->dwRemotePort);
			row->owner_pid = from->dwOwningPid;
		}
	}
}

/* The system's TCP table of family (which: connections or listeners),
 * with the process that owns each row. Allocates *rows. Returns 0 or the
 * error. */
static DWORD read_tcp_table(int family, TCP_TABLE_CLASS which, cordon_tcp_connection **rows, size_t *count)
{
	void *table = NULL;
	DWORD size = 0;
	DWORD error = GetExtendedTcpTable(NULL, &size, FALSE, family, which, 0);

	*rows = NULL;
	*count = 0;
	for (int attempt = 0; attempt < TABLE_ATTEMPTS && error == ERROR_INSUFFICIENT_BUFFER; attempt++) {
		free(table);
		/* Room for connections opened between sizing and reading. */
		size += size / 4 + 4096;
		table = malloc(size);
		if (table == NULL)
			return ERROR_NOT_ENOUGH_MEMORY;
		error = GetExtendedTcpTable(table, &size, FALSE, family, which, 0);
	}
	if (error != NO_ERROR) {
		free(table);
		return error;
	}
	DWORD entries = family == AF_INET ? ((MIB_TCPTABLE_OWNER_PID *)table)->dwNumEntries
					  : ((MIB_TCP6TABLE_OWNER_PID *)table)->dwNumEntries;
	if (entries > 0) {
		*rows = calloc(entries, sizeof(**rows));
		if (*rows == NULL) {
			free(table);
			return ERROR_NOT_ENOUGH_MEMORY;
		}
		convert_rows(table, family, *rows, entries);
	}
	*count = entries;
	free(table);
	return NO_ERROR;
}

/* The process ids in job now. Allocates *pids. Returns 0 or the error. */
static DWORD read_job_pids(HANDLE job, uint32_t **pids, size_t *count)
{
	DWORD capacity = 64;

	*pids = NULL;
	*count = 0;
	for (int attempt = 0; attempt < TABLE_ATTEMPTS; attempt++) {
		size_t bytes = offsetof(JOBOBJECT_BASIC_PROCESS_ID_LIST, ProcessIdList) +
			       (size_t)capacity * sizeof(ULONG_PTR);
		JOBOBJECT_BASIC_PROCESS_ID_LIST *list = malloc(bytes);
		if (list == NULL)
			return ERROR_NOT_ENOUGH_MEMORY;
		BOOL read =
			QueryInformationJobObject(job, JobObjectBasicProcessIdList, list, (DWORD)bytes, NULL);
		DWORD error = read ? NO_ERROR : GetLastError();
		if ((read || error == ERROR_MORE_DATA) &&
		    list->NumberOfAssignedProcesses > list->NumberOfProcessIdsInList) {
			capacity = list->NumberOfAssignedProcesses + 16;
			free(list);
			continue;
		}
		if (!read) {
			free(list);
			return error;
		}
		DWORD listed = list->NumberOfProcessIdsInList;
		*pids = calloc(listed > 0 ? listed : 1, sizeof(**pids));
		if (*pids == NULL) {
			free(list);
			return ERROR_NOT_ENOUGH_MEMORY;
		}
		for (DWORD i = 0; i < listed; i++)
			(*pids)[i] = (uint32_t)list->ProcessIdList[i];
		*count = listed;
		free(list);
		return NO_ERROR;
	}
	return ERROR_MORE_DATA;
}

/* Waits until the run's job is known, watching stop. */
static bool await_run(const cordon_proxy *proxy)
{
	ULONGLONG deadline = GetTickCount64() + HANDSHAKE_TIMEOUT_MS;
	while (WaitForSingleObject(proxy->run_known, TICK_MS) != WAIT_OBJECT_0)
		if (stopping(proxy) || remaining_ms(deadline) == 0)
			return false;
	return true;
}

/* Whether client is a process of this proxy's run (admission.h). A client
 * that is not, or cannot be told, gets a 403 saying why. */
static bool admit_client(const cordon_proxy *proxy, SOCKET client)
{
	static const char forbidden[] = "403 Forbidden";
	char body[512];
	struct sockaddr_storage peer, local;
	int peer_size = sizeof(peer), local_size = sizeof(local);
	cordon_tcp_endpoint client_end, proxy_end;

	if (!await_run(proxy)) {
		send_status(proxy, client, "503 Service Unavailable",
			    "cordon: the run this proxy serves did not start");
		return false;
	}
	if (getpeername(client, (struct sockaddr *)&peer, &peer_size) != 0 ||
	    getsockname(client, (struct sockaddr *)&local, &local_size) != 0 ||
	    !endpoint_of(&peer, &client_end) || !endpoint_of(&local, &proxy_end)) {
		snprintf(body, sizeof(body),
			 "cordon: cannot read this connection's addresses (Winsock error %d), so its "
			 "process cannot be checked",
			 WSAGetLastError());
		send_status(proxy, client, forbidden, body);
		return false;
	}
	/* The table first, the job's list second: a process that connected
	 * and is still in the job is in the list read after. */
	cordon_tcp_connection *rows = NULL;
	size_t row_count = 0;
	uint32_t *pids = NULL;
	size_t pid_count = 0;
	DWORD error = read_tcp_table(peer.ss_family, TCP_TABLE_OWNER_PID_CONNECTIONS, &rows, &row_count);
	const char *what = "the system's TCP connection table";
	if (error == NO_ERROR) {
		error = read_job_pids(proxy->run_job, &pids, &pid_count);
		what = "the run's process list";
	}
	uint32_t owner = 0;
	cordon_proxy_client verdict = error == NO_ERROR
					      ? cordon_proxy_judge_client(rows, row_count, &client_end,
									  &proxy_end, pids, pid_count, &owner)
					      : CORDON_PROXY_CLIENT_NOT_LISTED;
	free(rows);
	free(pids);
	if (error != NO_ERROR)
		snprintf(body, sizeof(body),
			 "cordon: cannot read %s (error %lu), so this connection's process cannot be "
			 "checked",
			 what, (unsigned long)error);
	else if (verdict != CORDON_PROXY_CLIENT_IN_RUN)
		cordon_proxy_refusal_body(verdict, owner, body, sizeof(body));
	else
		return true;
	send_status(proxy, client, forbidden, body);
	return false;
}

/* ---------------------------------------------------------- connection */

/* Reads until the blank line ending the header. Returns its end, or NULL
 * after answering (or when the client went away). */
static const char *read_header(const cordon_proxy *proxy, SOCKET s, char *buffer, size_t *length)
{
	ULONGLONG deadline = GetTickCount64() + HANDSHAKE_TIMEOUT_MS;
	char body[128];
	*length = 0;
	for (;;) {
		if (*length == CORDON_PROXY_HEADER_LIMIT) {
			snprintf(body, sizeof(body), "cordon: the request headers exceed %d bytes",
				 CORDON_PROXY_HEADER_LIMIT);
			send_status(proxy, s, "431 Request Header Fields Too Large", body);
			return NULL;
		}
		int ready = wait_socket(proxy, s, WAIT_READ, remaining_ms(deadline));
		if (ready < 0)
			return NULL;
		if (ready == 0) {
			snprintf(body, sizeof(body), "cordon: no complete proxy request within %d seconds",
				 HANDSHAKE_TIMEOUT_MS / 1000);
			send_status(proxy, s, "408 Request Timeout", body);
			return NULL;
		}
		int got = recv(s, buffer + *length, (int)(CORDON_PROXY_HEADER_LIMIT - *length), 0);
		if (got == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK)
			continue;
		if (got <= 0)
			return NULL;
		size_t scan_from = *length > 3 ? *length - 3 : 0;
		*length += (size_t)got;
		buffer[*length] = '\0';
		const char *end = cordon_proxy_find_header_end(buffer + scan_from, *length - scan_from);
		if (end != NULL)
			return end;
	}
}

static void serve_request(const cordon_proxy *proxy, SOCKET client, char *buffer)
{
	size_t length;
	const char *header_end = read_header(proxy, client, buffer, &length);
	if (header_end == NULL)
		return;
	/* After the header: the refusal then reaches a client that has sent
	 * its request, rather than being lost to the reset that closing a
	 * socket with unread bytes sends. */
	if (!admit_client(proxy, client))
		return;
	cordon_proxy_verdict verdict;
	cordon_proxy_decide(buffer, header_end, (const char *const *)proxy->domains.items,
			    proxy->domains.count, &verdict);
	if (verdict.status != NULL) {
		send_status(proxy, client, verdict.status, verdict.body);
		return;
	}
	SOCKET upstream = connect_upstream(proxy, client, &verdict.req);
	if (upstream == INVALID_SOCKET) {
		free(verdict.forward);
		return;
	}
	static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	bool ok = verdict.req.is_connect ? send_all(proxy, client, established, sizeof(established) - 1)
					 : send_all(proxy, upstream, verdict.forward, verdict.forward_length);
	free(verdict.forward);
	/* Bytes sent after the header (a body, an early TLS hello) belong
	 * upstream. */
	size_t early = length - (size_t)(header_end - buffer);
	if (ok && early > 0)
		ok = send_all(proxy, upstream, header_end, early);
	if (ok)
		tunnel(proxy, client, upstream);
	closesocket(upstream);
}

static DWORD WINAPI connection_main(void *argument)
{
	connection *c = argument;
	char *buffer = malloc(CORDON_PROXY_HEADER_LIMIT + 1);
	if (buffer != NULL)
		serve_request(c->proxy, c->client, buffer);
	free(buffer);
	closesocket(c->client);
	cordon_proxy *proxy = c->proxy;
	free(c);
	proxy_release(proxy, true);
	return 0;
}

/* ------------------------------------------------------- accept thread */

static void admit(cordon_proxy *proxy, SOCKET client)
{
	connection *c = malloc(sizeof(*c));
	EnterCriticalSection(&proxy->lock);
	bool admitted = c != NULL && proxy->connections < CONNECTION_LIMIT;
	if (admitted) {
		proxy->connections++;
		proxy->references++;
		ResetEvent(proxy->idle);
	}
	LeaveCriticalSection(&proxy->lock);
	if (admitted) {
		c->proxy = proxy;
		c->client = client;
		HANDLE thread = CreateThread(NULL, THREAD_STACK, connection_main, c,
					     STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
		if (thread != NULL) {
			CloseHandle(thread);
			return;
		}
		proxy_release(proxy, true);
	}
	free(c);
	char body[128];
	snprintf(body, sizeof(body), "cordon: the proxy is serving %d connections already; try again",
		 CONNECTION_LIMIT);
	send_status(proxy, client, "503 Service Unavailable", body);
	closesocket(client);
}

static DWORD WINAPI accept_main(void *argument)
{
	cordon_proxy *proxy = argument;
	while (!stopping(proxy)) {
		fd_set ready;
		FD_ZERO(&ready);
		for (size_t i = 0; i < proxy->listener_count; i++)
			FD_SET(proxy->listeners[i], &ready);
		struct timeval tv = {.tv_sec = 0, .tv_usec = TICK_MS * 1000};
		int n = select(0, &ready, NULL, NULL, &tv);
		if (n == SOCKET_ERROR)
			break;
		for (size_t i = 0; n > 0 && i < proxy->listener_count; i++) {
			if (!FD_ISSET(proxy->listeners[i], &ready))
				continue;
			SOCKET client = accept(proxy->listeners[i], NULL, NULL);
			if (client == INVALID_SOCKET)
				continue;
			if (!set_non_blocking(client)) {
				closesocket(client);
				continue;
			}
			admit(proxy, client);
		}
	}
	return 0;
}

/* -------------------------------------------------------------- public */

/* Binds family's loopback at port, exclusively. Returns 0, or the Winsock
 * error; *absent when the family is not available here (IPv6 off). */
static int open_listener(int family, unsigned short port, SOCKET *out, bool *absent)
{
	*absent = false;
	SOCKET s = socket(family, SOCK_STREAM, IPPROTO_TCP);
	if (s == INVALID_SOCKET) {
		int error = WSAGetLastError();
		*absent = family == AF_INET6 && error == WSAEAFNOSUPPORT;
		return error;
	}
	/* Without it another process could bind the same port with
	 * SO_REUSEADDR and take the command's connections. */
	BOOL on = TRUE;
	int error = 0;
	if (setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof(on)) != 0)
		error = WSAGetLastError();
	if (error == 0 && family == AF_INET6 &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&on, sizeof(on)) != 0)
		error = WSAGetLastError();
	if (error == 0) {
		struct sockaddr_storage address = {0};
		int size;
		if (family == AF_INET) {
			struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
			v4->sin_family = AF_INET;
			v4->sin_port = htons(port);
			v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			size = sizeof(*v4);
		} else {
			struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
			v6->sin6_family = AF_INET6;
			v6->sin6_port = htons(port);
			v6->sin6_addr = in6addr_loopback;
			size = sizeof(*v6);
		}
		if (bind(s, (struct sockaddr *)&address, size) != 0) {
			error = WSAGetLastError();
			*absent = family == AF_INET6 && error == WSAEADDRNOTAVAIL;
		}
	}
	if (error == 0 && listen(s, SOMAXCONN) != 0)
		error = WSAGetLastError();
	if (error == 0 && !set_non_blocking(s))
		error = WSAGetLastError();
	if (error != 0) {
		closesocket(s);
		return error;
	}
	*out = s;
	return 0;
}

/* The file name of a program path, without its folder (allocated UTF-8;
 * NULL on failure). */
static char *image_name(const wchar_t *path)
{
	const wchar_t *name = wcsrchr(path, L'\\');
	return win_utf8(name != NULL ? name + 1 : path, -1);
}

/* The process listening on port (family), 0 when the system does not
 * say (Wine: never). */
static uint32_t port_listener(int family, unsigned short port)
{
	cordon_tcp_connection *rows = NULL;
	size_t count = 0;
	uint32_t pid = 0;
	if (read_tcp_table(family, TCP_TABLE_OWNER_PID_LISTENER, &rows, &count) == NO_ERROR)
		for (size_t i = 0; i < count && pid == 0; i++)
			if (rows[i].local.port == port)
				pid = rows[i].owner_pid;
	free(rows);
	return pid;
}

/* The one line refusing a run whose proxy port is taken: by whom, if the
 * system says, and what to do (admission.h). */
static void describe_port_taken(int family, const char *address, unsigned short port, char *out, size_t size)
{
	uint32_t pid = port_listener(family, port);
	char *holder = NULL, *own = NULL;
	wchar_t path[MAX_PATH];
	DWORD length = MAX_PATH;
	HANDLE process = pid != 0 ? OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid) : NULL;

	if (process != NULL && QueryFullProcessImageNameW(process, 0, path, &length))
		holder = image_name(path);
	if (process != NULL)
		CloseHandle(process);
	length = GetModuleFileNameW(NULL, path, MAX_PATH);
	if (length > 0 && length < MAX_PATH)
		own = image_name(path);
	cordon_proxy_port_taken_text(address, port, pid, holder, own, out, size);
	free(holder);
	free(own);
}

static cordon_code listen_loopback(cordon_proxy *proxy, unsigned short port, cordon_error *err)
{
	static const int families[] = {AF_INET, AF_INET6};
	static const char *const names[] = {"127.0.0.1", "[::1]"};
	for (size_t i = 0; i < 2; i++) {
		bool absent;
		int error =
			open_listener(families[i], port, &proxy->listeners[proxy->listener_count], &absent);
		if (error == 0) {
			proxy->listener_count++;
			continue;
		}
		if (absent)
			continue;
		if (error == WSAEADDRINUSE || error == WSAEACCES) {
			char line[512];
			describe_port_taken(families[i], names[i], port, line, sizeof(line));
			return cordon_fail(err, CORDON_E_UNSUPPORTED, "%s", line);
		}
		return cordon_fail(err, CORDON_E_SYSTEM,
				   "cannot start the network proxy: cannot listen on %s port %u (Winsock "
				   "error %d); nothing was run",
				   names[i], (unsigned)port, error);
	}
	return CORDON_OK;
}

cordon_code cordon_proxy_listen(const char *const *allowed_domains, size_t domain_count, unsigned short port,
				cordon_proxy **out, cordon_error *err)
{
	*out = NULL;
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
	InitializeCriticalSection(&proxy->lock);
	proxy->references = 1;
	WSADATA wsa;
	int started = WSAStartup(MAKEWORD(2, 2), &wsa);
	proxy->winsock_started = started == 0;
	if (started != 0) {
		proxy_free(proxy);
		return cordon_fail(
			err, CORDON_E_SYSTEM,
			"cannot start the network proxy: WSAStartup failed (error %d); nothing was run",
			started);
	}
	proxy->idle = CreateEventW(NULL, TRUE, TRUE, NULL);
	proxy->run_known = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (proxy->idle == NULL || proxy->run_known == NULL) {
		proxy_free(proxy);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the network proxy");
	}
	cordon_code code = listen_loopback(proxy, port, err);
	if (code != CORDON_OK) {
		proxy_free(proxy);
		return code;
	}
	proxy->accept_thread = CreateThread(NULL, 0, accept_main, proxy, 0, NULL);
	if (proxy->accept_thread == NULL) {
		DWORD error = GetLastError();
		proxy_free(proxy);
		return cordon_fail(err, CORDON_E_SYSTEM,
				   "cannot start the network proxy thread (error %lu); nothing was run",
				   (unsigned long)error);
	}
	*out = proxy;
	return CORDON_OK;
}

cordon_code cordon_proxy_serve_job(cordon_proxy *proxy, void *job, cordon_error *err)
{
	if (proxy->run_job != NULL)
		return cordon_fail(err, CORDON_E_STATE, "the network proxy already serves a run");
	if (!DuplicateHandle(GetCurrentProcess(), job, GetCurrentProcess(), &proxy->run_job, JOB_OBJECT_QUERY,
			     FALSE, 0)) {
		proxy->run_job = NULL;
		return win_fail(err, GetLastError(),
				"cannot give the network proxy the run's job, so it could not tell the "
				"run's processes from others; the run was ended");
	}
	SetEvent(proxy->run_known);
	return CORDON_OK;
}

void cordon_proxy_stop(cordon_proxy *proxy)
{
	if (proxy == NULL)
		return;
	InterlockedExchange(&proxy->stopping, 1);
	WaitForSingleObject(proxy->accept_thread, INFINITE);
	/* No new connection from here on: nothing listens at the port. */
	for (size_t i = 0; i < proxy->listener_count; i++)
		closesocket(proxy->listeners[i]);
	proxy->listener_count = 0;
	WaitForSingleObject(proxy->idle, STOP_GRACE_MS);
	proxy_release(proxy, false);
}

#endif
