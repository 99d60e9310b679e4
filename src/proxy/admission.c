/* The proxy's admission decision on Windows; see admission.h. */
#include "proxy/admission.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Process ids Windows gives no user process: the idle process and the
 * kernel ("System"). A row naming either names nobody we could check. */
#define PID_IDLE   0u
#define PID_SYSTEM 4u

static bool same_endpoint(const cordon_tcp_endpoint *a, const cordon_tcp_endpoint *b)
{
	size_t length = a->v6 ? 16 : 4;
	return a->v6 == b->v6 && a->port == b->port && memcmp(a->address, b->address, length) == 0;
}

static bool listed(const uint32_t *pids, size_t count, uint32_t pid)
{
	for (size_t i = 0; i < count; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

cordon_proxy_client cordon_proxy_judge_client(const cordon_tcp_connection *rows, size_t row_count,
					      const cordon_tcp_endpoint *client,
					      const cordon_tcp_endpoint *proxy_end, const uint32_t *run_pids,
					      size_t run_pid_count, uint32_t *owner_pid)
{
	bool found = false;
	uint32_t owner = 0;

	*owner_pid = 0;
	for (size_t i = 0; i < row_count; i++) {
		const cordon_tcp_connection *row = &rows[i];
		if (!same_endpoint(&row->local, client) || !same_endpoint(&row->remote, proxy_end))
			continue;
		/* One connection, one row; two that disagree mean the
		 * table changed under us or lies: nobody is admitted. */
		if (found && row->owner_pid != owner)
			return CORDON_PROXY_CLIENT_AMBIGUOUS;
		found = true;
		owner = row->owner_pid;
	}
	if (!found)
		return CORDON_PROXY_CLIENT_NOT_LISTED;
	*owner_pid = owner;
	if (owner == PID_IDLE || owner == PID_SYSTEM)
		return CORDON_PROXY_CLIENT_OWNER_UNNAMED;
	return listed(run_pids, run_pid_count, owner) ? CORDON_PROXY_CLIENT_IN_RUN
						      : CORDON_PROXY_CLIENT_OUTSIDE;
}

void cordon_proxy_refusal_body(cordon_proxy_client verdict, uint32_t owner_pid, char *out, size_t size)
{
	static const char serves[] = "this proxy serves only the processes of the cordon run that started it";

	switch (verdict) {
	case CORDON_PROXY_CLIENT_IN_RUN: snprintf(out, size, "cordon: admitted"); break;
	case CORDON_PROXY_CLIENT_OUTSIDE:
		snprintf(out, size, "cordon: process %lu is not part of this run; %s",
			 (unsigned long)owner_pid, serves);
		break;
	case CORDON_PROXY_CLIENT_NOT_LISTED:
		snprintf(out, size,
			 "cordon: the system's connection table does not list this connection, so its "
			 "process cannot be checked; %s",
			 serves);
		break;
	case CORDON_PROXY_CLIENT_AMBIGUOUS:
		snprintf(out, size,
			 "cordon: the system's connection table names more than one process for this "
			 "connection; %s",
			 serves);
		break;
	case CORDON_PROXY_CLIENT_OWNER_UNNAMED:
		snprintf(out, size,
			 "cordon: the system's connection table names no process for this connection "
			 "(owner %lu), so it cannot be checked; %s",
			 (unsigned long)owner_pid, serves);
		break;
	}
}

void cordon_proxy_port_taken_text(const char *address, unsigned port, uint32_t holder_pid,
				  const char *holder_image, const char *own_image, char *out, size_t size)
{
	static const char only_port[] = "and the command may reach only that port; nothing was run";
	bool known = holder_pid != PID_IDLE && holder_pid != PID_SYSTEM;

	/* Windows file names compare without case. */
	if (known && holder_image != NULL && own_image != NULL && strcasecmp(holder_image, own_image) == 0)
		snprintf(out, size,
			 "cannot start the network proxy: %s port %u is in use by another cordon run with "
			 "--network proxy (process %lu), %s; on Windows one such run at a time: wait for it "
			 "to end, or use --network off or on",
			 address, port, (unsigned long)holder_pid, only_port);
	else if (known && holder_image != NULL)
		snprintf(out, size,
			 "cannot start the network proxy: %s port %u is in use by %s (process %lu), %s; stop "
			 "that program or use --network off or on",
			 address, port, holder_image, (unsigned long)holder_pid, only_port);
	else if (known)
		snprintf(out, size,
			 "cannot start the network proxy: %s port %u is in use by another program (process "
			 "%lu), %s; stop that program or use --network off or on",
			 address, port, (unsigned long)holder_pid, only_port);
	else
		snprintf(out, size,
			 "cannot start the network proxy: %s port %u is in use by another program, %s; stop "
			 "that program or use --network off or on",
			 address, port, only_port);
}
