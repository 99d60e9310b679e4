/* A growable list of owned strings: roots, protected names, domains. */
#ifndef CORDON_CORE_STRLIST_H
#define CORDON_CORE_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cordon_strlist {
	char **items;
	size_t count;
	size_t capacity;
} cordon_strlist;

/* Copies value in; returns false only when out of memory. */
bool cordon_strlist_push(cordon_strlist *list, const char *value);
bool cordon_strlist_contains(const cordon_strlist *list, const char *value);
void cordon_strlist_clear(cordon_strlist *list);
/* Deep copy into an empty list; false on out of memory (dst left empty). */
bool cordon_strlist_copy(cordon_strlist *dst, const cordon_strlist *src);

#endif
