/* The proxy's request handling that does not touch a socket: finding the
 * end of the header, parsing CONNECT and absolute-form requests, the
 * origin-form request sent upstream, the allowlist verdict and the error
 * responses. Shared by the POSIX proxy (proxy.c) and the Windows one
 * (proxy_win32.c) so both answer the same request the same way. */
#ifndef CORDON_PROXY_REQUEST_H
#define CORDON_PROXY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"
#include "core/strlist.h"

#define CORDON_PROXY_HEADER_LIMIT 16384
#define CORDON_PROXY_HOST_MAX	  253

typedef struct cordon_proxy_request {
	char method[32];
	char version[16];
	char host[CORDON_PROXY_HOST_MAX + 1];
	char authority[CORDON_PROXY_HOST_MAX + 16]; /* as the client wrote it, for Host: */
	unsigned short port;
	bool is_connect;
	const char *path; /* forward requests: origin-form target, into the header buffer */
	size_t path_length;
	const char *headers; /* first header line, into the header buffer */
	size_t headers_length;
} cordon_proxy_request;

/* The first byte after the blank line ending the header, or NULL. */
const char *cordon_proxy_find_header_end(const char *buffer, size_t length);

/* header_end points just past the blank line. Returns NULL or why the
 * request is malformed. */
const char *cordon_proxy_parse_request(const char *buffer, const char *header_end, cordon_proxy_request *req);

/* Builds the origin-form request sent upstream. Allocates *out. Returns NULL
 * or why the headers are malformed. */
const char *cordon_proxy_forward_request(const cordon_proxy_request *req, char **out, size_t *out_length);

/* What to do with a complete request header: go ahead (status NULL: connect
 * to req.host:req.port, then for a forward request send forward upstream),
 * or answer status with body and close. */
typedef struct cordon_proxy_verdict {
	const char *status;
	char body[512];
	cordon_proxy_request req;
	char *forward; /* allocated; forward requests only */
	size_t forward_length;
} cordon_proxy_verdict;

void cordon_proxy_decide(const char *buffer, const char *header_end, const char *const *allowed_domains,
			 size_t domain_count, cordon_proxy_verdict *verdict);

/* Copies the allowed domains a proxy is started with into an empty
 * *domains (release with cordon_strlist_clear): CORDON_E_INVALID when an
 * entry is missing, CORDON_E_NOMEM (domains left empty) when out of
 * memory. */
cordon_code cordon_proxy_domains_copy(const char *const *allowed_domains, size_t domain_count,
				      cordon_strlist *domains, cordon_error *err);

/* Writes "HTTP/1.1 status" with body (a newline appended) and Connection:
 * close into out. Returns the length, or 0 if it does not fit. */
size_t cordon_proxy_status_response(char *out, size_t size, const char *status, const char *body);

#endif
