/* Request handling without sockets (see request.h). */
#include "proxy/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "proxy/proxy.h"

static char lower_ascii(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* strncasecmp for ASCII, the same on every platform and locale. */
static int compare_ignoring_case(const char *a, const char *b, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		if (lower_ascii(a[i]) != lower_ascii(b[i]))
			return 1;
		if (a[i] == '\0')
			return 0;
	}
	return 0;
}

const char *cordon_proxy_find_header_end(const char *buffer, size_t length)
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
static const char *parse_authority(const char *text, size_t length, unsigned short default_port,
				   cordon_proxy_request *req)
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
	if (host_length == 0 || host_length > CORDON_PROXY_HOST_MAX)
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

static const char *parse_target(const char *target, size_t length, cordon_proxy_request *req)
{
	if (req->is_connect)
		return parse_authority(target, length, 0, req);
	static const char http_scheme[] = "http://";
	size_t scheme_length = sizeof(http_scheme) - 1;
	if (length >= 8 && compare_ignoring_case(target, "https://", 8) == 0)
		return "https URLs go through CONNECT";
	if (length < scheme_length || compare_ignoring_case(target, http_scheme, scheme_length) != 0)
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
const char *cordon_proxy_parse_request(const char *buffer, const char *header_end, cordon_proxy_request *req)
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
	       compare_ignoring_case(line, name, name_length) == 0;
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
const char *cordon_proxy_forward_request(const cordon_proxy_request *req, char **out, size_t *out_length)
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

void cordon_proxy_decide(const char *buffer, const char *header_end, const char *const *allowed_domains,
			 size_t domain_count, cordon_proxy_verdict *verdict)
{
	memset(verdict, 0, sizeof(*verdict));
	if (memchr(buffer, '\0', (size_t)(header_end - buffer)) != NULL) {
		verdict->status = "400 Bad Request";
		snprintf(verdict->body, sizeof(verdict->body), "cordon: malformed proxy request: NUL byte");
		return;
	}
	const char *malformed = cordon_proxy_parse_request(buffer, header_end, &verdict->req);
	if (malformed == NULL &&
	    !cordon_proxy_host_allowed(allowed_domains, domain_count, verdict->req.host)) {
		verdict->status = "403 Forbidden";
		snprintf(verdict->body, sizeof(verdict->body),
			 "cordon: %s is not in the allowed domains (--allow-domain)", verdict->req.host);
		return;
	}
	if (malformed == NULL && !verdict->req.is_connect)
		malformed = cordon_proxy_forward_request(&verdict->req, &verdict->forward,
							 &verdict->forward_length);
	if (malformed != NULL) {
		verdict->status = "400 Bad Request";
		snprintf(verdict->body, sizeof(verdict->body), "cordon: malformed proxy request: %s",
			 malformed);
	}
}

size_t cordon_proxy_status_response(char *out, size_t size, const char *status, const char *body)
{
	int length = snprintf(out, size,
			      "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %lu\r\n"
			      "Connection: close\r\n\r\n%s\n",
			      status, (unsigned long)strlen(body) + 1, body);
	return length > 0 && (size_t)length < size ? (size_t)length : 0;
}

cordon_code cordon_proxy_domains_copy(const char *const *allowed_domains, size_t domain_count,
				      cordon_strlist *domains, cordon_error *err)
{
	for (size_t i = 0; i < domain_count; i++)
		if (allowed_domains == NULL || allowed_domains[i] == NULL)
			return cordon_fail(err, CORDON_E_INVALID,
					   "the proxy got a missing allowed domain: pass %lu host names",
					   (unsigned long)domain_count);
	for (size_t i = 0; i < domain_count; i++)
		if (!cordon_strlist_push(domains, allowed_domains[i])) {
			cordon_strlist_clear(domains);
			return cordon_fail(err, CORDON_E_NOMEM,
					   "out of memory while starting the network proxy");
		}
	return CORDON_OK;
}
