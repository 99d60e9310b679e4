/* A set of borrowed strings for membership tests (open addressing,
 * FNV-1a). It stores pointers, not copies: the strings must outlive the
 * set. Used where a list is checked once per mount or per root, which with
 * hundreds of roots made plain list scans quadratic. */
#ifndef CORDON_CORE_STRSET_H
#define CORDON_CORE_STRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cordon_strset {
	const char **slots;
	size_t capacity; /* a power of two, or 0 */
	size_t count;
} cordon_strset;

/* FNV-1a, 64 bits, of a NUL-terminated string: the set's hash, and a
 * cheap checksum for records cordon writes itself (not a defence against
 * anyone who can write them). */
uint64_t cordon_fnv1a64(const char *text);

/* Adds value (not copied); false only when out of memory. */
bool cordon_strset_add(cordon_strset *set, const char *value);
bool cordon_strset_contains(const cordon_strset *set, const char *value);
void cordon_strset_clear(cordon_strset *set);

#endif
