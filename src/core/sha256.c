/* SHA-256 from FIPS 180-4 section 6.2, HMAC from RFC 2104. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sha256.h"

static const uint32_t round_constants[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotate_right(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void compress(uint32_t state[8], const uint8_t block[64])
{
	uint32_t w[64];
	uint32_t a, b, c, d, e, f, g, h;

	for (int t = 0; t < 16; t++)
		w[t] = load_be32(block + 4 * t);
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = rotate_right(w[t - 15], 7) ^ rotate_right(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = rotate_right(w[t - 2], 17) ^ rotate_right(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	a = state[0];
	b = state[1];
	c = state[2];
	d = state[3];
	e = state[4];
	f = state[5];
	g = state[6];
	h = state[7];
	for (int t = 0; t < 64; t++) {
		uint32_t sum1 = rotate_right(e, 6) ^ rotate_right(e, 11) ^ rotate_right(e, 25);
		uint32_t choose = (e & f) ^ (~e & g);
		uint32_t t1 = h + sum1 + choose + round_constants[t] + w[t];
		uint32_t sum0 = rotate_right(a, 2) ^ rotate_right(a, 13) ^ rotate_right(a, 22);
		uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = sum0 + majority;
		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
	state[4] += e;
	state[5] += f;
	state[6] += g;
	state[7] += h;
}

void cordon_sha256_init(cordon_sha256_ctx *ctx)
{
	static const uint32_t initial[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(ctx->state, initial, sizeof(initial));
	ctx->length_bytes = 0;
	ctx->block_used = 0;
}

void cordon_sha256_update(cordon_sha256_ctx *ctx, const void *data, size_t length)
{
	const uint8_t *bytes = data;

	if (length == 0)
		return;
	ctx->length_bytes += length;
	if (ctx->block_used > 0) {
		size_t take = 64 - ctx->block_used;
		if (take > length)
			take = length;
		memcpy(ctx->block + ctx->block_used, bytes, take);
		ctx->block_used += take;
		bytes += take;
		length -= take;
		if (ctx->block_used < 64)
			return;
		compress(ctx->state, ctx->block);
		ctx->block_used = 0;
	}
	while (length >= 64) {
		compress(ctx->state, bytes);
		bytes += 64;
		length -= 64;
	}
	if (length > 0) {
		memcpy(ctx->block, bytes, length);
		ctx->block_used = length;
	}
}

void cordon_sha256_final(cordon_sha256_ctx *ctx, uint8_t digest[32])
{
	uint64_t length_bits = ctx->length_bytes * 8;

	ctx->block[ctx->block_used++] = 0x80;
	if (ctx->block_used > 56) {
		memset(ctx->block + ctx->block_used, 0, 64 - ctx->block_used);
		compress(ctx->state, ctx->block);
		ctx->block_used = 0;
	}
	memset(ctx->block + ctx->block_used, 0, 56 - ctx->block_used);
	store_be32(ctx->block + 56, (uint32_t)(length_bits >> 32));
	store_be32(ctx->block + 60, (uint32_t)length_bits);
	compress(ctx->state, ctx->block);
	for (int i = 0; i < 8; i++)
		store_be32(digest + 4 * i, ctx->state[i]);
	/* Leave no message-derived state behind in the caller's context. */
	memset(ctx, 0, sizeof(*ctx));
}

void cordon_sha256(const void *data, size_t length, uint8_t digest[32])
{
	cordon_sha256_ctx ctx;
	cordon_sha256_init(&ctx);
	cordon_sha256_update(&ctx, data, length);
	cordon_sha256_final(&ctx, digest);
}

void cordon_sha256_hex(const void *data, size_t length, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t digest[32];

	cordon_sha256(data, length, digest);
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0x0F];
	}
	hex[64] = '\0';
}

void cordon_hmac_sha256(const void *key, size_t key_length, const void *data, size_t length, uint8_t mac[32])
{
	uint8_t block_key[64] = {0};
	uint8_t pad[64];
	uint8_t inner[32];
	cordon_sha256_ctx ctx;

	/* Keys longer than the block size are hashed first (RFC 2104 step 1). */
	if (key_length > sizeof(block_key))
		cordon_sha256(key, key_length, block_key);
	else if (key_length > 0)
		memcpy(block_key, key, key_length);

	for (int i = 0; i < 64; i++)
		pad[i] = block_key[i] ^ 0x36;
	cordon_sha256_init(&ctx);
	cordon_sha256_update(&ctx, pad, sizeof(pad));
	cordon_sha256_update(&ctx, data, length);
	cordon_sha256_final(&ctx, inner);

	for (int i = 0; i < 64; i++)
		pad[i] = block_key[i] ^ 0x5c;
	cordon_sha256_init(&ctx);
	cordon_sha256_update(&ctx, pad, sizeof(pad));
	cordon_sha256_update(&ctx, inner, sizeof(inner));
	cordon_sha256_final(&ctx, mac);

	memset(block_key, 0, sizeof(block_key));
	memset(pad, 0, sizeof(pad));
}
