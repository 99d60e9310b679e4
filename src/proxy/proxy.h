/* cordon's network proxy (--network proxy).
 *
 * The command lives in a network namespace that holds only its own loopback.
 * A relay inside that namespace listens on 127.0.0.1 and [::1] at
 * CORDON_PROXY_PORT; for every TCP connection it asks the proxy thread in
 * the cordon process (host network) for a stream over an AF_UNIX
 * SOCK_SEQPACKET control socket, receives one end of a fresh socketpair
 * (SCM_RIGHTS) and shuttles bytes. The proxy thread speaks HTTP CONNECT and
 * absolute-form forward requests on the other end and connects only to
 * allowlisted hosts. See docs/network-proxy.md. */
#ifndef CORDON_PROXY_PROXY_H
#define CORDON_PROXY_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "cordon.h"

/* Port the relay listens on inside the sandbox. */
#define CORDON_PROXY_PORT 3128

typedef struct cordon_proxy cordon_proxy;

#ifdef _WIN32
/* Windows (proxy_win32.c): no network namespace and no relay. The proxy
 * itself listens on 127.0.0.1:port and, where IPv6 is available, on
 * [::1]:port, exclusively (SO_EXCLUSIVEADDRUSE), and serves there. A port
 * that is taken is CORDON_E_UNSUPPORTED: the command would reach whatever
 * holds it. Allocates *out; release it with cordon_proxy_stop. */
cordon_code cordon_proxy_listen(const char *const *allowed_domains, size_t domain_count, unsigned short port,
				cordon_proxy **out, cordon_error *err);
/* From here on the proxy serves the processes in job (a job HANDLE; the
 * proxy keeps its own copy with JOB_OBJECT_QUERY) and answers every other
 * client 403 (admission.h). Connections made before this call wait for
 * it. Called once, as soon as the command's job exists. */
cordon_code cordon_proxy_serve_job(cordon_proxy *proxy, void *job, cordon_error *err);
#else
/* Starts the proxy thread for policy's allowed domains. *relay_fd receives the
 * control socket end the relay must get (CLOEXEC is set; the caller clears it
 * for the relay). Allocates *out; release it with cordon_proxy_stop. */
cordon_code cordon_proxy_start(const char *const *allowed_domains, size_t domain_count, int *relay_fd,
			       cordon_proxy **out, cordon_error *err);
#endif

/* Closes everything and joins the threads. Connection threads stuck in a
 * name lookup past a short grace period finish on their own and free what
 * they share. NULL is a no-op. */
void cordon_proxy_stop(cordon_proxy *proxy);

/* In the relay process inside the network namespace: listens on
 * 127.0.0.1:port and [::1]:port (IPv6 optional if unavailable), serves until
 * the control socket closes, then returns. Returns 0 or an errno-style code;
 * writes nothing to stdout/stderr. Brings the loopback interface up if it is
 * down (a fresh network namespace starts with lo down). The calling process
 * must hold no other cordon descriptor, closed for real (it starts no new
 * program, so descriptor flags that act at program start close nothing): a
 * copy of the proxy's end of the control socket would keep it open, and the
 * relay would never return. */
int cordon_relay_serve(int control_fd, unsigned short port);

/* The same loop on listening sockets the caller already bound (listener6
 * may be -1); takes ownership of both. Lets a caller bind port 0 and know
 * the port before the relay starts, with no window for another process to
 * take it. Does not touch the loopback interface. */
int cordon_relay_serve_listeners(int control_fd, int listener4, int listener6);

/* Environment entries the command gets (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY,
 * their lower-case forms, and NO_PROXY/no_proxy naming the sandbox's own
 * loopback): a NULL-terminated static array of "NAME=value" strings. */
const char *const *cordon_proxy_environment(void);

/* ------------------------------------------------ allowlist (allowlist.c) */

/* True if host (as it appears in a request, without brackets or port) is an
 * IP address literal or could be read as one by a resolver: it contains ':'
 * (IPv6) or its last label starts with a digit ("10.0.0.1", "0x7f.1",
 * "2130706433"; no top-level domain starts with a digit). */
bool cordon_proxy_host_is_ip_literal(const char *host);

/* True if host may be reached. A pattern "example.org" matches that host
 * exactly; "*.example.org" matches any subdomain (a.example.org,
 * a.b.example.org) but not example.org itself. Comparison ignores case and
 * one trailing dot on either side. IP literals match only an identical
 * literal entry, never a wildcard. Empty hosts and hosts with empty labels
 * never match; nor do hosts with characters other than letters,
 * digits, "-", "_", "." and ":". */
bool cordon_proxy_host_allowed(const char *const *allowed_domains, size_t domain_count, const char *host);

#endif
