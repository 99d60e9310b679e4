/* The policy structures behind the opaque handles in cordon.h, shared by
 * the core (parse, resolve, render) and the backends (which only read a
 * cordon_resolved). */
#ifndef CORDON_CORE_POLICY_INTERNAL_H
#define CORDON_CORE_POLICY_INTERNAL_H

#include "cordon.h"
#include "strlist.h"

#define CORDON_DEFAULT_PROTECTED ".git", ".codex", ".agents", ".cordon"

struct cordon_policy {
	cordon_mode mode;
	char *cwd;			/* as given; "." by default */
	cordon_strlist writable_roots;	/* as given */
	cordon_strlist protected_names; /* plain names, no '/' */
	cordon_strlist deny_read;	/* as given */
	/* Credential stores the command may read after all: names of the
	 * table in credentials.c, absolute spellings (matched against the
	 * homes when resolving), or "all". */
	cordon_strlist credential_lifts;
	cordon_network network;
	cordon_strlist allowed_domains; /* lower-case; "*.example.org" allowed */
	bool tmp_writable;
	/* From the seeds' policy shape: which temp directories count.
	 * Both false by default: $TMPDIR if set, else /tmp. */
	bool tmp_exclude_env;	/* exclude_tmpdir_env_var: ignore $TMPDIR */
	bool tmp_exclude_slash; /* exclude_slash_tmp: never /tmp */
	bool best_effort;
};

typedef struct cordon_root {
	char *path; /* canonical, absolute, no trailing '/' */
	cordon_root_kind kind;
} cordon_root;

struct cordon_resolved {
	cordon_mode mode;
	char *cwd;	    /* canonical */
	cordon_root *roots; /* writable roots; empty in read-only and full-access */
	size_t root_count;
	cordon_strlist protected_names;
	cordon_strlist deny_read; /* canonical; paths that do not exist are kept (masked if they appear) */
	/* The default credential stores (credentials.c): the homes they were
	 * looked for under, the names the caller allowed, and the canonical
	 * paths that exist and are hidden like deny_read. Entries that do not
	 * exist cost nothing and are not listed. */
	cordon_strlist credential_homes;
	cordon_strlist credential_lifts;
	cordon_strlist credentials;
	cordon_network network;
	cordon_strlist allowed_domains;
	bool tmp_writable;
	bool best_effort;
	char *state_dir; /* canonical spelling of cordon's state directory (may not exist yet) */
	char digest[65];
};

#endif
