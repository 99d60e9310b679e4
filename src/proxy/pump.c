/* POSIX sockets; the Windows build has no proxy yet (see proxy.c). */
#include "pump.h"

#ifndef _WIN32
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

static bool would_block(int errnum)
{
	return errnum == EAGAIN || errnum == EWOULDBLOCK || errnum == EINTR;
}

void cordon_pump_step(cordon_pump *pump, int from, int to, bool readable, bool writable)
{
	if (readable && !pump->eof && pump->tail < CORDON_PUMP_BUFFER) {
		ssize_t got =
			recv(from, pump->buffer + pump->tail, CORDON_PUMP_BUFFER - pump->tail, MSG_DONTWAIT);
		if (got > 0)
			pump->tail += (size_t)got;
		else if (got == 0 || !would_block(errno))
			pump->eof = true;
	}
	if (writable && pump->head < pump->tail) {
		ssize_t sent = send(to, pump->buffer + pump->head, pump->tail - pump->head,
				    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent > 0) {
			pump->head += (size_t)sent;
		} else if (sent < 0 && !would_block(errno)) {
			pump->eof = true;
			pump->head = pump->tail = 0;
			pump->shut = true;
		}
	}
	if (pump->head == pump->tail)
		pump->head = pump->tail = 0;
	if (pump->eof && pump->head == pump->tail && !pump->shut) {
		shutdown(to, SHUT_WR);
		pump->shut = true;
	}
}

short cordon_pump_events(const cordon_pump *inbound, const cordon_pump *outbound)
{
	return (short)((!inbound->eof && inbound->tail < CORDON_PUMP_BUFFER ? POLLIN : 0) |
		       (outbound->head < outbound->tail ? POLLOUT : 0));
}
#endif
