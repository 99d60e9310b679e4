/* A small strict JSON (RFC 8259) reader and writer, used on every platform
 * (the mingw build has no JSON library). The reader builds a tree; it
 * rejects duplicate keys, trailing commas, comments, invalid UTF-8, lone
 * surrogates, control characters in strings, and anything after the
 * top-level value. Limits: CORDON_JSON_MAX_DEPTH nesting, and
 * CORDON_JSON_MAX_BYTES input. Errors report line and column (1-based,
 * columns counted in bytes). */
#ifndef CORDON_CORE_JSON_H
#define CORDON_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define CORDON_JSON_MAX_DEPTH 64
#define CORDON_JSON_MAX_BYTES (1024 * 1024)

typedef enum cordon_json_type {
	CORDON_JSON_NULL,
	CORDON_JSON_BOOL,
	CORDON_JSON_NUMBER,
	CORDON_JSON_STRING,
	CORDON_JSON_ARRAY,
	CORDON_JSON_OBJECT,
} cordon_json_type;

typedef struct cordon_json cordon_json;

struct cordon_json {
	cordon_json_type type;
	size_t line, column; /* where the value starts in the input */
	bool boolean;
	double number;
	char *string; /* NUL-terminated UTF-8; may contain no NUL (\u0000 is rejected) */
	size_t string_length;
	/* arrays and objects: children in document order; for objects each
	 * child carries its key */
	cordon_json **items;
	size_t count;
	char *key; /* set on members of an object */
};

typedef struct cordon_json_error {
	size_t line, column;
	char message[160]; /* "expected ',' or '}' after object member" */
} cordon_json_error;

/* Allocates the tree into *out; NULL and a filled err on failure. */
bool cordon_json_parse(const char *text, size_t length, cordon_json **out, cordon_json_error *err);
void cordon_json_free(cordon_json *value);

/* The member named key of an object, or NULL. */
const cordon_json *cordon_json_get(const cordon_json *object, const char *key);
const char *cordon_json_type_name(cordon_json_type type); /* "string", "array", ... */

/* Writer: appends to a growable buffer. All functions are no-ops after an
 * allocation failure; cordon_json_writer_finish reports it. */
typedef struct cordon_json_writer {
	char *data;
	size_t length, capacity;
	bool failed;
	bool pretty;
	int depth;
	bool need_comma[CORDON_JSON_MAX_DEPTH + 1];
	bool after_key;
} cordon_json_writer;

void cordon_json_writer_init(cordon_json_writer *w, bool pretty);
void cordon_json_begin_object(cordon_json_writer *w);
void cordon_json_end_object(cordon_json_writer *w);
void cordon_json_begin_array(cordon_json_writer *w);
void cordon_json_end_array(cordon_json_writer *w);
void cordon_json_key(cordon_json_writer *w, const char *key);
void cordon_json_string(cordon_json_writer *w, const char *value);
/* Bytes that are not valid UTF-8 are written as \u00XX of each byte, so
 * odd paths survive as text a person can read (documented lossy). */
void cordon_json_string_n(cordon_json_writer *w, const char *value, size_t length);
void cordon_json_int(cordon_json_writer *w, long long value);
void cordon_json_double(cordon_json_writer *w, double value);
void cordon_json_bool(cordon_json_writer *w, bool value);
void cordon_json_null(cordon_json_writer *w);
/* A parsed value written back whole: objects keep their key order,
 * numbers are written as doubles. */
void cordon_json_value(cordon_json_writer *w, const cordon_json *value);
/* Returns the NUL-terminated text (caller frees) or NULL on failure. */
char *cordon_json_writer_finish(cordon_json_writer *w);

#endif
