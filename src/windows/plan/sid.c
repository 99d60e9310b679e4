#include "windows/plan/sid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "core/winpath.h"

cordon_sid cordon_sid_make(uint64_t authority, size_t sub_count, const uint32_t *sub)
{
	cordon_sid sid;

	memset(&sid, 0, sizeof(sid));
	if (sub_count > CORDON_SID_MAX_SUB_AUTHORITIES)
		sub_count = CORDON_SID_MAX_SUB_AUTHORITIES;
	sid.authority = authority & 0xffffffffffffULL;
	sid.sub_count = (uint8_t)sub_count;
	if (sub_count)
		memcpy(sid.sub, sub, sub_count * sizeof(sub[0]));
	return sid;
}

bool cordon_sid_equal(const cordon_sid *a, const cordon_sid *b)
{
	if (a->authority != b->authority || a->sub_count != b->sub_count)
		return false;
	return memcmp(a->sub, b->sub, a->sub_count * sizeof(a->sub[0])) == 0;
}

bool cordon_sid_format(const cordon_sid *sid, char *buf, size_t size)
{
	size_t used;
	int n;

	n = snprintf(buf, size, "S-1-%llu", (unsigned long long)sid->authority);
	if (n < 0 || (size_t)n >= size)
		return false;
	used = (size_t)n;
	for (size_t i = 0; i < sid->sub_count; i++) {
		n = snprintf(buf + used, size - used, "-%lu", (unsigned long)sid->sub[i]);
		if (n < 0 || (size_t)n >= size - used)
			return false;
		used += (size_t)n;
	}
	return true;
}

static bool parse_decimal(const char **cursor, uint64_t limit, uint64_t *out)
{
	const char *p = *cursor;
	uint64_t value = 0;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		value = value * 10 + (uint64_t)(*p - '0');
		if (value > limit)
			return false;
		p++;
	}
	*cursor = p;
	*out = value;
	return true;
}

bool cordon_sid_parse(const char *text, cordon_sid *out)
{
	const char *p = text;
	uint64_t value;
	cordon_sid sid;

	memset(&sid, 0, sizeof(sid));
	if ((p[0] != 'S' && p[0] != 's') || strncmp(p + 1, "-1-", 3) != 0)
		return false;
	p += 4;
	if (!parse_decimal(&p, 0xffffffffffffULL, &value))
		return false;
	sid.authority = value;
	while (*p == '-') {
		p++;
		if (sid.sub_count == CORDON_SID_MAX_SUB_AUTHORITIES)
			return false;
		if (!parse_decimal(&p, 0xffffffffULL, &value))
			return false;
		sid.sub[sid.sub_count++] = (uint32_t)value;
	}
	if (*p != '\0')
		return false;
	*out = sid;
	return true;
}

cordon_sid cordon_sid_everyone(void)
{
	const uint32_t sub[] = {0};

	return cordon_sid_make(1, 1, sub);
}

cordon_sid cordon_sid_local_system(void)
{
	const uint32_t sub[] = {18};

	return cordon_sid_make(5, 1, sub);
}

cordon_sid cordon_sid_administrators(void)
{
	const uint32_t sub[] = {32, 544};

	return cordon_sid_make(5, 2, sub);
}

cordon_sid cordon_sid_authenticated_users(void)
{
	const uint32_t sub[] = {11};

	return cordon_sid_make(5, 1, sub);
}

cordon_sid cordon_sid_owner_rights(void)
{
	const uint32_t sub[] = {4};

	return cordon_sid_make(3, 1, sub);
}

bool cordon_sid_is_logon(const cordon_sid *sid)
{
	return sid->authority == 5 && sid->sub_count == 3 && sid->sub[0] == 5;
}

/* Decodes one UTF-8 sequence; on malformed input returns the byte itself
 * so folding never loses information. */
static unsigned decode_utf8(const unsigned char *s, size_t *length)
{
	unsigned c = s[0];

	if (c < 0x80) {
		*length = 1;
		return c;
	}
	if ((c & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
		*length = 2;
		return ((c & 0x1f) << 6) | (s[1] & 0x3f);
	}
	if ((c & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
		*length = 3;
		return ((c & 0x0f) << 12) | ((unsigned)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	}
	if ((c & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		*length = 4;
		return ((c & 0x07) << 18) | ((unsigned)(s[1] & 0x3f) << 12) | ((unsigned)(s[2] & 0x3f) << 6) |
		       (s[3] & 0x3f);
	}
	*length = 1;
	return 0x110000 + c; /* outside Unicode: marks a raw byte */
}

/* Appends code_point in a fixed width, so that distinct code point
 * sequences never produce the same message. */
static void put_code_point(uint8_t *out, unsigned code_point)
{
	out[0] = (uint8_t)(code_point >> 24);
	out[1] = (uint8_t)(code_point >> 16);
	out[2] = (uint8_t)(code_point >> 8);
	out[3] = (uint8_t)code_point;
}

/* HMAC-SHA-256(secret, label NUL folded-path). False on out of memory. */
static bool hmac_folded(const uint8_t *secret, size_t secret_length, const char *label, const char *path,
			uint8_t mac[32])
{
	size_t label_length = strlen(label) + 1;
	size_t path_length = path ? strlen(path) : 0;
	uint8_t *message = malloc(label_length + 4 * path_length + 1);
	size_t used = label_length;

	if (!message)
		return false;
	memcpy(message, label, label_length);
	if (path) {
		const unsigned char *s = (const unsigned char *)path;

		while (*s) {
			size_t length;
			unsigned cp = decode_utf8(s, &length);

			if (cp == '/')
				cp = '\\';
			put_code_point(message + used, cp < 0x110000 ? winpath_upcase(cp) : cp);
			used += 4;
			s += length;
		}
	}
	cordon_hmac_sha256(secret, secret_length, message, used, mac);
	free(message);
	return true;
}

bool cordon_capsid_derive(const uint8_t *secret, size_t secret_length, cordon_capsid_kind kind,
			  const char *workspace_path, cordon_sid *out)
{
	static const char *const labels[] = {
		[CORDON_CAPSID_WORKSPACE] = "cordon capability v1 workspace",
		[CORDON_CAPSID_SHARED] = "cordon capability v1 shared",
		[CORDON_CAPSID_SANDBOX] = "cordon capability v1 sandbox",
		[CORDON_CAPSID_READONLY] = "cordon capability v1 read-only",
	};
	uint32_t sub[5];
	uint8_t mac[32];

	if (!secret || secret_length == 0 || (unsigned)kind > CORDON_CAPSID_READONLY)
		return false;
	if (kind == CORDON_CAPSID_WORKSPACE && (!workspace_path || !*workspace_path))
		return false;
	if (!hmac_folded(secret, secret_length, labels[kind],
			 kind == CORDON_CAPSID_WORKSPACE ? workspace_path : NULL, mac))
		return false;
	sub[0] = 21;
	for (size_t i = 0; i < 4; i++)
		sub[i + 1] = ((uint32_t)mac[4 * i] << 24) | ((uint32_t)mac[4 * i + 1] << 16) |
			     ((uint32_t)mac[4 * i + 2] << 8) | mac[4 * i + 3];
	*out = cordon_sid_make(5, 5, sub);
	return true;
}

bool cordon_path_digest(const char *label, const char *path, uint8_t digest[32])
{
	return label && path && hmac_folded((const uint8_t *)label, strlen(label), label, path, digest);
}
