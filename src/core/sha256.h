/* SHA-256 (FIPS 180-4), used for policy digests and capability SID
 * derivation. Portable: builds natively and with mingw. */
#ifndef CORDON_CORE_SHA256_H
#define CORDON_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct cordon_sha256 {
	uint32_t state[8];
	uint64_t length_bytes;
	uint8_t block[64];
	size_t block_used;
} cordon_sha256_ctx;

void cordon_sha256_init(cordon_sha256_ctx *ctx);
void cordon_sha256_update(cordon_sha256_ctx *ctx, const void *data, size_t length);
void cordon_sha256_final(cordon_sha256_ctx *ctx, uint8_t digest[32]);
/* One-shot helpers. hex must hold 65 bytes. */
void cordon_sha256(const void *data, size_t length, uint8_t digest[32]);
void cordon_sha256_hex(const void *data, size_t length, char hex[65]);
/* HMAC-SHA-256 (RFC 2104). */
void cordon_hmac_sha256(const void *key, size_t key_length, const void *data, size_t length, uint8_t mac[32]);

#endif
