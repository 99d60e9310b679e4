/* One direction of a byte stream between two non-blocking sockets, through
 * a bounded buffer: read what fits, write what is buffered, and pass the
 * end of the stream on as a half-close once the buffer has drained. The
 * proxy's tunnels and the relay's connections are both a pair of these. */
#ifndef CORDON_PROXY_PUMP_H
#define CORDON_PROXY_PUMP_H

#include <stdbool.h>
#include <stddef.h>

#define CORDON_PUMP_BUFFER 16384

typedef struct cordon_pump {
	char buffer[CORDON_PUMP_BUFFER];
	size_t head;
	size_t tail;
	bool eof;  /* nothing more will be read */
	bool shut; /* the writing side was shut down: this direction is done */
} cordon_pump;

/* Moves what it can without blocking. A reset ends a direction like EOF;
 * a receiver that is gone ends it at once, dropping what is left, so the
 * other direction can still deliver, say, an error response. */
void cordon_pump_step(cordon_pump *pump, int from, int to, bool readable, bool writable);

/* The poll events for a socket that inbound reads from and outbound writes
 * to. 0 means nothing to wait for: poll would report a hangup on such a
 * socket over and over, so callers leave it out. */
short cordon_pump_events(const cordon_pump *inbound, const cordon_pump *outbound);

#endif
