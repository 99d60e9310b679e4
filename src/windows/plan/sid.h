/* Security identifiers as plain data, and cordon's capability SIDs.
 *
 * A capability SID names "what this sandboxed command may write": one per
 * workspace, one for the shared roots (temp, extra roots), one for
 * read-only runs. Each is derived from a per-install secret with
 * HMAC-SHA-256, so the same workspace always gets the same SID without any
 * stored table, and nobody without the secret can predict another
 * install's SIDs. Portable C: built natively and with mingw. */
#ifndef CORDON_WINDOWS_PLAN_SID_H
#define CORDON_WINDOWS_PLAN_SID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CORDON_SID_MAX_SUB_AUTHORITIES 15
/* Longest string form: "S-1-" + 48-bit authority + 15 x "-4294967295". */
#define CORDON_SID_STRING_MAX 192
/* The per-install secret: 32 random bytes made once by setup. */
#define CORDON_CAPSID_SECRET_BYTES 32

typedef struct cordon_sid {
	uint64_t authority; /* 48-bit identifier authority: 1 World, 5 NT */
	uint8_t sub_count;
	uint32_t sub[CORDON_SID_MAX_SUB_AUTHORITIES];
} cordon_sid;

/* Builds a SID from an authority and up to 15 sub-authorities. */
cordon_sid cordon_sid_make(uint64_t authority, size_t sub_count, const uint32_t *sub);
bool cordon_sid_equal(const cordon_sid *a, const cordon_sid *b);
/* "S-1-5-21-1-2-3-4". Returns false when buf is too small. */
bool cordon_sid_format(const cordon_sid *sid, char *buf, size_t size);
/* Parses the string form; false on anything malformed. */
bool cordon_sid_parse(const char *text, cordon_sid *out);

/* Well-known SIDs the plans name. */
cordon_sid cordon_sid_everyone(void);		 /* S-1-1-0 */
cordon_sid cordon_sid_local_system(void);	 /* S-1-5-18 */
cordon_sid cordon_sid_administrators(void);	 /* S-1-5-32-544 */
cordon_sid cordon_sid_authenticated_users(void); /* S-1-5-11 */
cordon_sid cordon_sid_owner_rights(void);	 /* S-1-3-4 */
/* Whether sid is a logon-session SID, S-1-5-5-X-Y. */
bool cordon_sid_is_logon(const cordon_sid *sid);

typedef enum cordon_capsid_kind {
	CORDON_CAPSID_WORKSPACE, /* one per canonical workspace path */
	CORDON_CAPSID_SHARED,	 /* temp and extra roots, install-wide */
	CORDON_CAPSID_SANDBOX,	 /* in every sandboxed token; never granted, only denied */
	CORDON_CAPSID_READONLY,	 /* in read-only tokens; denied on Everyone-writable entries */
} cordon_capsid_kind;

/* Derives a capability SID S-1-5-21-a-b-c-d: a..d are the first 16 bytes
 * (big-endian) of HMAC-SHA-256(secret, label NUL path), the path given as
 * 32-bit big-endian code points upper-cased with Windows' ordinal rules
 * and '/' read as '\', so every spelling that names the same directory
 * yields the same SID. workspace_path is ignored (may be NULL) for the
 * install-wide kinds. Returns false when a WORKSPACE SID is asked for
 * without a path, secret_length is 0, or memory runs out. */
bool cordon_capsid_derive(const uint8_t *secret, size_t secret_length, cordon_capsid_kind kind,
			  const char *workspace_path, cordon_sid *out);

/* A public digest of a path that is the same for every spelling of the
 * same directory: HMAC-SHA-256 keyed with the public label, over label
 * NUL and the path folded as for the capability SIDs. A name, not a
 * secret (the junction names of elevated mode). False on out of memory. */
bool cordon_path_digest(const char *label, const char *path, uint8_t digest[32]);

#endif
