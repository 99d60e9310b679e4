/* SHA-256 against the FIPS 180-4 examples and HMAC-SHA-256 against RFC 4231. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"

static void to_hex(const uint8_t *bytes, size_t length, char *hex)
{
	for (size_t i = 0; i < length; i++)
		snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
}

static void expect_digest(const void *data, size_t length, const char *expected)
{
	uint8_t digest[32];
	char hex[65];

	cordon_sha256(data, length, digest);
	to_hex(digest, 32, hex);
	assert_string_equal(hex, expected);

	cordon_sha256_hex(data, length, hex);
	assert_string_equal(hex, expected);
}

static void expect_hmac(const void *key, size_t key_length, const void *data, size_t length,
			const char *expected)
{
	uint8_t mac[32];
	char hex[65];

	cordon_hmac_sha256(key, key_length, data, length, mac);
	to_hex(mac, strlen(expected) / 2, hex);
	assert_string_equal(hex, expected);
}

/* FIPS 180-4 / NIST CSRC example messages */

static void test_empty(void **state)
{
	(void)state;
	expect_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	expect_digest(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void **state)
{
	(void)state;
	expect_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_448_bit_message(void **state)
{
	(void)state;
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	assert_int_equal(strlen(m) * 8, 448);
	expect_digest(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_896_bit_message(void **state)
{
	(void)state;
	const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmn"
			"opqrlmnopqrs"
			"mnopqrstnopqrstu";
	assert_int_equal(strlen(m) * 8, 896);
	expect_digest(m, strlen(m), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
	(void)state;
	const char *expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	char *a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	expect_digest(a, 1000000, expected);
	free(a);

	/* the same message fed in pieces that straddle block boundaries */
	cordon_sha256_ctx ctx;
	uint8_t digest[32];
	char hex[65];
	char chunk[97];
	memset(chunk, 'a', sizeof(chunk));
	cordon_sha256_init(&ctx);
	size_t left = 1000000;
	while (left > 0) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
		cordon_sha256_update(&ctx, chunk, n);
		left -= n;
	}
	cordon_sha256_final(&ctx, digest);
	to_hex(digest, 32, hex);
	assert_string_equal(hex, expected);
}

/* Padding edges: 55 bytes fit one block with the length, 56 need a second
 * block; 63/64/65 sit around the block size. Expected values from Python's
 * hashlib, an independent implementation. */
static void test_padding_boundaries(void **state)
{
	(void)state;
	static const struct {
		size_t length;
		const char *hex;
	} cases[] = {
		{55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
		{56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
		{63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
		{64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
		{65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
		{119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
		{120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
	};
	uint8_t data[128];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_digest(data, cases[i].length, cases[i].hex);
}

/* Any split of the input into updates gives the one-shot digest. */
static void test_incremental_matches_one_shot(void **state)
{
	(void)state;
	uint8_t data[300];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 17);
	for (size_t length = 0; length <= sizeof(data); length += 13) {
		uint8_t one_shot[32], pieces[32];
		cordon_sha256(data, length, one_shot);
		for (size_t step = 1; step <= 70; step += 23) {
			cordon_sha256_ctx ctx;
			cordon_sha256_init(&ctx);
			for (size_t at = 0; at < length; at += step) {
				size_t n = length - at < step ? length - at : step;
				cordon_sha256_update(&ctx, data + at, n);
				cordon_sha256_update(&ctx, data, 0);
			}
			cordon_sha256_final(&ctx, pieces);
			assert_memory_equal(one_shot, pieces, 32);
		}
	}
}

/* RFC 4231 test cases */

static void test_hmac_rfc4231_case1(void **state)
{
	(void)state;
	uint8_t key[20];
	memset(key, 0x0b, sizeof(key));
	expect_hmac(key, sizeof(key), "Hi There", 8,
		    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void test_hmac_rfc4231_case2(void **state)
{
	(void)state;
	const char *data = "what do ya want for nothing?";
	expect_hmac("Jefe", 4, data, strlen(data),
		    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_hmac_rfc4231_case3(void **state)
{
	(void)state;
	uint8_t key[20], data[50];
	memset(key, 0xaa, sizeof(key));
	memset(data, 0xdd, sizeof(data));
	expect_hmac(key, sizeof(key), data, sizeof(data),
		    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

static void test_hmac_rfc4231_case4(void **state)
{
	(void)state;
	uint8_t key[25], data[50];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, sizeof(data));
	expect_hmac(key, sizeof(key), data, sizeof(data),
		    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

static void test_hmac_rfc4231_case5_truncated(void **state)
{
	(void)state;
	uint8_t key[20];
	memset(key, 0x0c, sizeof(key));
	/* the RFC gives only the first 128 bits for this case */
	expect_hmac(key, sizeof(key), "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b");
}

static void test_hmac_rfc4231_case6(void **state)
{
	(void)state;
	uint8_t key[131];
	const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";
	memset(key, 0xaa, sizeof(key));
	expect_hmac(key, sizeof(key), data, strlen(data),
		    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_hmac_rfc4231_case7(void **state)
{
	(void)state;
	uint8_t key[131];
	const char *data =
		"This is a test using a larger than block-size key and a larger than block-size data. "
		"The key needs to be hashed before being used by the HMAC algorithm.";
	memset(key, 0xaa, sizeof(key));
	expect_hmac(key, sizeof(key), data, strlen(data),
		    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

/* A key of exactly the block size is used as is, not hashed: it must differ
 * from the result with its hash as the key. */
static void test_hmac_block_sized_key(void **state)
{
	(void)state;
	uint8_t key[64], hashed_key[32], a[32], b[32];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	cordon_hmac_sha256(key, sizeof(key), "x", 1, a);
	cordon_sha256(key, sizeof(key), hashed_key);
	cordon_hmac_sha256(hashed_key, sizeof(hashed_key), "x", 1, b);
	assert_memory_not_equal(a, b, 32);

	/* and a 65-byte key is hashed: equal to using its digest */
	uint8_t long_key[65];
	memset(long_key, 0x5a, sizeof(long_key));
	cordon_hmac_sha256(long_key, sizeof(long_key), "x", 1, a);
	cordon_sha256(long_key, sizeof(long_key), hashed_key);
	cordon_hmac_sha256(hashed_key, sizeof(hashed_key), "x", 1, b);
	assert_memory_equal(a, b, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_448_bit_message),
		cmocka_unit_test(test_896_bit_message),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_padding_boundaries),
		cmocka_unit_test(test_incremental_matches_one_shot),
		cmocka_unit_test(test_hmac_rfc4231_case1),
		cmocka_unit_test(test_hmac_rfc4231_case2),
		cmocka_unit_test(test_hmac_rfc4231_case3),
		cmocka_unit_test(test_hmac_rfc4231_case4),
		cmocka_unit_test(test_hmac_rfc4231_case5_truncated),
		cmocka_unit_test(test_hmac_rfc4231_case6),
		cmocka_unit_test(test_hmac_rfc4231_case7),
		cmocka_unit_test(test_hmac_block_sized_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
