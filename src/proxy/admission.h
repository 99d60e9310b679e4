/* Who may use a run's proxy on Windows: the processes of that run, and
 * nobody else. Pure, portable C, unit-tested natively; proxy_win32.c
 * reads the system's TCP connection table and the run's job process list
 * and asks here.
 *
 * Why it is needed: on Linux the proxy is reachable only inside the run's
 * network namespace. On Windows it listens on the machine's loopback at
 * the one port the WFP filters of 'cordon setup' let the offline account
 * reach, and every run of that account -- a concurrent --network off run
 * included -- has the same filters. Without this check, such a run could
 * reach the hosts another run's allowlist names.
 *
 * How: the accepted socket's peer endpoint is the client's local endpoint.
 * Exactly one row of the TCP table has it as local endpoint and the
 * proxy's listening endpoint as remote one; that row's owner process id
 * must be in the run's job. Anything else -- no such row, rows that
 * disagree, an owner the system does not name (0, or 4 for the kernel) --
 * is refused: the proxy cannot tell who is asking. */
#ifndef CORDON_PROXY_ADMISSION_H
#define CORDON_PROXY_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cordon_tcp_endpoint {
	bool v6;
	uint8_t address[16]; /* IPv4: the first 4 bytes, network order */
	uint16_t port;	     /* host order */
} cordon_tcp_endpoint;

typedef struct cordon_tcp_connection {
	cordon_tcp_endpoint local, remote;
	uint32_t owner_pid;
} cordon_tcp_connection;

typedef enum cordon_proxy_client {
	CORDON_PROXY_CLIENT_IN_RUN,	   /* the owner is in the run's job */
	CORDON_PROXY_CLIENT_OUTSIDE,	   /* the owner is known and not in it */
	CORDON_PROXY_CLIENT_NOT_LISTED,	   /* no row for this connection */
	CORDON_PROXY_CLIENT_AMBIGUOUS,	   /* rows naming different owners */
	CORDON_PROXY_CLIENT_OWNER_UNNAMED, /* the row names no process */
} cordon_proxy_client;

/* Judges the connection from client to proxy_end (the accepted socket's
 * peer and local endpoints). *owner_pid gets the owner the table names,
 * 0 when none. */
cordon_proxy_client cordon_proxy_judge_client(const cordon_tcp_connection *rows, size_t row_count,
					      const cordon_tcp_endpoint *client,
					      const cordon_tcp_endpoint *proxy_end, const uint32_t *run_pids,
					      size_t run_pid_count, uint32_t *owner_pid);

/* The body of the 403 a refused client gets: one line saying why. */
void cordon_proxy_refusal_body(cordon_proxy_client verdict, uint32_t owner_pid, char *out, size_t size);

/* The refusal when the proxy port is taken (one line, no trailing
 * period): who holds it and what to do. holder_pid 0: the system did not
 * say; holder_image: the holder's program file name without its folder,
 * NULL when it could not be read; own_image: cordon's own. Another cordon
 * run holding the port gets advice to wait, anything else to stop it. */
void cordon_proxy_port_taken_text(const char *address, unsigned port, uint32_t holder_pid,
				  const char *holder_image, const char *own_image, char *out, size_t size);

#endif
