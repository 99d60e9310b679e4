#include "strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

uint64_t cordon_fnv1a64(const char *text)
{
	uint64_t hash = 14695981039346656037ULL;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		hash ^= *c;
		hash *= 1099511628211ULL;
	}
	return hash;
}

/* The slot holding value, or the empty slot where it would go. */
static size_t find_slot(const char **slots, size_t capacity, const char *value)
{
	size_t mask = capacity - 1;
	size_t i = (size_t)cordon_fnv1a64(value) & mask;
	while (slots[i] != NULL && strcmp(slots[i], value) != 0)
		i = (i + 1) & mask;
	return i;
}

static bool grow(cordon_strset *set)
{
	size_t capacity = set->capacity ? set->capacity * 2 : 16;
	const char **slots = calloc(capacity, sizeof(*slots));
	if (slots == NULL)
		return false;
	for (size_t i = 0; i < set->capacity; i++)
		if (set->slots[i] != NULL)
			slots[find_slot(slots, capacity, set->slots[i])] = set->slots[i];
	free(set->slots);
	set->slots = slots;
	set->capacity = capacity;
	return true;
}

bool cordon_strset_add(cordon_strset *set, const char *value)
{
	/* at most half full, so probes stay short */
	if ((set->count + 1) * 2 > set->capacity && !grow(set))
		return false;
	size_t i = find_slot(set->slots, set->capacity, value);
	if (set->slots[i] == NULL) {
		set->slots[i] = value;
		set->count++;
	}
	return true;
}

bool cordon_strset_contains(const cordon_strset *set, const char *value)
{
	if (set->capacity == 0)
		return false;
	return set->slots[find_slot(set->slots, set->capacity, value)] != NULL;
}

void cordon_strset_clear(cordon_strset *set)
{
	free(set->slots);
	set->slots = NULL;
	set->capacity = 0;
	set->count = 0;
}
