#include "strlist.h"

#include <stdlib.h>
#include <string.h>

bool cordon_strlist_push(cordon_strlist *list, const char *value)
{
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 4;
		char **items = realloc(list->items, capacity * sizeof(*items));
		if (items == NULL)
			return false;
		list->items = items;
		list->capacity = capacity;
	}
	char *copy = strdup(value);
	if (copy == NULL)
		return false;
	list->items[list->count++] = copy;
	return true;
}

bool cordon_strlist_contains(const cordon_strlist *list, const char *value)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i], value) == 0)
			return true;
	return false;
}

void cordon_strlist_clear(cordon_strlist *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
	list->capacity = 0;
}

bool cordon_strlist_copy(cordon_strlist *dst, const cordon_strlist *src)
{
	for (size_t i = 0; i < src->count; i++) {
		if (!cordon_strlist_push(dst, src->items[i])) {
			cordon_strlist_clear(dst);
			return false;
		}
	}
	return true;
}
