/* Which hosts the proxy may connect to: pure string matching, no I/O. */
#include "proxy/proxy.h"

#include <ctype.h>
#include <string.h>

/* Length of name without one trailing dot ("example.org." is example.org). */
static size_t significant_length(const char *name)
{
	size_t length = strlen(name);
	if (length > 0 && name[length - 1] == '.')
		length--;
	return length;
}

static bool equal_ignoring_case(const char *a, const char *b, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return false;
	return true;
}

/* Letters, digits, '-', '_', '.', ':' and no empty label: anything else
 * cannot be a host the proxy should look up. */
static bool is_plausible_host(const char *host, size_t length)
{
	if (length == 0 || host[0] == '.')
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = host[i];
		if (!isalnum((unsigned char)c) && c != '-' && c != '_' && c != '.' && c != ':')
			return false;
		if (c == '.' && i > 0 && host[i - 1] == '.')
			return false;
	}
	return true;
}

bool cordon_proxy_host_is_ip_literal(const char *host)
{
	if (strchr(host, ':') != NULL)
		return true;
	size_t length = significant_length(host);
	size_t last_label = length;
	while (last_label > 0 && host[last_label - 1] != '.')
		last_label--;
	return last_label < length && isdigit((unsigned char)host[last_label]);
}

static bool pattern_matches(const char *pattern, const char *host, size_t host_length, bool literal)
{
	size_t pattern_length = significant_length(pattern);
	if (pattern_length == 0)
		return false;
	if (strncmp(pattern, "*.", 2) != 0)
		return pattern_length == host_length && equal_ignoring_case(pattern, host, host_length);
	if (literal)
		return false;
	/* The suffix keeps its leading dot, so "*.example.org" cannot match
	 * "badexample.org", and the host needs at least one label before it. */
	const char *suffix = pattern + 1;
	size_t suffix_length = pattern_length - 1;
	if (suffix_length < 2 || host_length <= suffix_length)
		return false;
	return equal_ignoring_case(host + host_length - suffix_length, suffix, suffix_length);
}

bool cordon_proxy_host_allowed(const char *const *allowed_domains, size_t domain_count, const char *host)
{
	if (host == NULL)
		return false;
	size_t host_length = significant_length(host);
	if (!is_plausible_host(host, host_length))
		return false;
	bool literal = cordon_proxy_host_is_ip_literal(host);
	for (size_t i = 0; i < domain_count; i++)
		if (allowed_domains[i] != NULL &&
		    pattern_matches(allowed_domains[i], host, host_length, literal))
			return true;
	return false;
}
