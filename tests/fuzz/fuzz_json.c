/* Whatever the reader accepts, the writer must reproduce: parse, write
 * compact and pretty, parse again, and the trees must be equal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *why)
{
	fprintf(stderr, "fuzz_json: %s\n", why);
	abort();
}

static void check_string(const char *s, size_t length)
{
	if (s == NULL || s[length] != '\0' || strlen(s) != length)
		die("string is not NUL-terminated at its length or holds a NUL");
}

static void check_equal(const cordon_json *a, const cordon_json *b)
{
	if (a->type != b->type)
		die("type changed in round trip");
	if (a->line == 0 || a->column == 0)
		die("value without a position");
	switch (a->type) {
	case CORDON_JSON_NULL: break;
	case CORDON_JSON_BOOL:
		if (a->boolean != b->boolean)
			die("boolean changed in round trip");
		break;
	case CORDON_JSON_NUMBER:
		if (memcmp(&a->number, &b->number, sizeof(double)) != 0)
			die("number changed in round trip");
		break;
	case CORDON_JSON_STRING:
		check_string(a->string, a->string_length);
		if (a->string_length != b->string_length ||
		    memcmp(a->string, b->string, a->string_length) != 0)
			die("string changed in round trip");
		break;
	case CORDON_JSON_ARRAY:
	case CORDON_JSON_OBJECT:
		if (a->count != b->count)
			die("member count changed in round trip");
		for (size_t i = 0; i < a->count; i++) {
			const char *ka = a->items[i]->key, *kb = b->items[i]->key;
			if (a->type == CORDON_JSON_OBJECT) {
				if (ka == NULL || kb == NULL || strcmp(ka, kb) != 0)
					die("key changed in round trip");
				if (cordon_json_get(a, ka) != a->items[i])
					die("cordon_json_get did not find a member");
			} else if (ka != NULL || kb != NULL) {
				die("array element has a key");
			}
			check_equal(a->items[i], b->items[i]);
		}
		break;
	}
}

static void round_trip(const cordon_json *tree, bool pretty)
{
	cordon_json_writer w;
	cordon_json_error err;
	cordon_json *again = NULL;

	cordon_json_writer_init(&w, pretty);
	cordon_json_value(&w, tree);
	char *text = cordon_json_writer_finish(&w);
	if (text == NULL)
		die("writer failed on a parsed tree");
	if (!cordon_json_parse(text, strlen(text), &again, &err)) {
		fprintf(stderr, "rewritten text: %s\nerror %zu:%zu: %s\n", text, err.line, err.column,
			err.message);
		die("writer output does not parse");
	}
	check_equal(tree, again);
	cordon_json_free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cordon_json *tree = NULL;
	cordon_json_error err;

	if (!cordon_json_parse((const char *)data, size, &tree, &err)) {
		if (tree != NULL)
			die("failed parse left a tree");
		if (err.message[0] == '\0' || err.line == 0 || err.column == 0)
			die("parse error without message or position");
		size_t lines = 1;
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (err.line > lines || err.column > size + 1)
			die("parse error position outside the input");
		return 0;
	}
	round_trip(tree, false);
	round_trip(tree, true);
	cordon_json_free(tree);
	return 0;
}
