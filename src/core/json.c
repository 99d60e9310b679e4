/* Strict RFC 8259 reader and a small writer. Only the C standard library is
 * used so the same file builds natively and with mingw. */
#include "json.h"
#include "strset.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ UTF-8 */

typedef enum utf8_status {
	UTF8_OK,
	UTF8_INVALID_BYTE,
	UTF8_TRUNCATED,
	UTF8_OVERLONG,
	UTF8_SURROGATE,
	UTF8_TOO_LARGE,
} utf8_status;

static bool is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Decodes one UTF-8 sequence (RFC 3629 table 3-7 ranges) at s; on success
 * *used is its length. */
static utf8_status utf8_decode(const unsigned char *s, size_t available, size_t *used, uint32_t *code_point)
{
	unsigned char lead = s[0];
	size_t need;
	uint32_t cp;

	if (lead < 0x80) {
		*used = 1;
		*code_point = lead;
		return UTF8_OK;
	}
	if (lead < 0xC0)
		return UTF8_INVALID_BYTE;
	if (lead < 0xE0) {
		need = 2;
		cp = lead & 0x1F;
	} else if (lead < 0xF0) {
		need = 3;
		cp = lead & 0x0F;
	} else if (lead < 0xF8) {
		need = 4;
		cp = lead & 0x07;
	} else {
		return UTF8_INVALID_BYTE;
	}
	for (size_t i = 1; i < need; i++) {
		if (i >= available || !is_continuation(s[i]))
			return UTF8_TRUNCATED;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000))
		return UTF8_OVERLONG;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return UTF8_SURROGATE;
	if (cp > 0x10FFFF)
		return UTF8_TOO_LARGE;
	*used = need;
	*code_point = cp;
	return UTF8_OK;
}

static const char *utf8_problem(utf8_status status)
{
	switch (status) {
	case UTF8_INVALID_BYTE: return "invalid UTF-8 byte";
	case UTF8_TRUNCATED: return "truncated UTF-8 sequence";
	case UTF8_OVERLONG: return "overlong UTF-8 encoding";
	case UTF8_SURROGATE: return "UTF-8-encoded surrogate (U+D800-U+DFFF)";
	case UTF8_TOO_LARGE: return "UTF-8 sequence beyond U+10FFFF";
	case UTF8_OK: break;
	}
	return "invalid UTF-8";
}

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ------------------------------------------------------ locale-free numbers */

/* strtod and printf follow LC_NUMERIC, which a host program may have set to a
 * locale with a ',' decimal point; JSON always uses '.'. */
static const char *locale_decimal_point(void)
{
	const struct lconv *conv = localeconv();
	if (conv == NULL || conv->decimal_point == NULL || conv->decimal_point[0] == '\0')
		return ".";
	return conv->decimal_point;
}

/* Converts a token already checked against the JSON number grammar. */
static bool convert_number(const char *token, size_t length, double *out)
{
	const char *point = locale_decimal_point();
	size_t point_length = strlen(point);
	char stack[128];
	size_t capacity = length * point_length + 1;
	char *buffer = capacity <= sizeof(stack) ? stack : malloc(capacity);
	size_t used = 0;

	if (buffer == NULL)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (token[i] == '.') {
			memcpy(buffer + used, point, point_length);
			used += point_length;
		} else {
			buffer[used++] = token[i];
		}
	}
	buffer[used] = '\0';
	errno = 0;
	*out = strtod(buffer, NULL);
	if (buffer != stack)
		free(buffer);
	return true;
}

/* ----------------------------------------------------------------- reader */

typedef struct parser {
	const unsigned char *text;
	size_t length;
	size_t pos;
	size_t line, line_start; /* of pos, kept up to date by skip_whitespace */
	cordon_json_error *err;
	bool failed;
} parser;

static void locate(const parser *p, size_t offset, size_t *line, size_t *column)
{
	size_t l = 1, start = 0;
	for (size_t i = 0; i < offset && i < p->length; i++) {
		if (p->text[i] == '\n') {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*column = offset - start + 1;
}

#if defined(__GNUC__)
static void fail_at(parser *p, size_t offset, const char *format, ...) __attribute__((format(printf, 3, 4)));
#endif

static void fail_at(parser *p, size_t offset, const char *format, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	if (p->err == NULL)
		return;
	locate(p, offset, &p->err->line, &p->err->column);
	va_list args;
	va_start(args, format);
	vsnprintf(p->err->message, sizeof(p->err->message), format, args);
	va_end(args);
}

static void fail_nomem(parser *p)
{
	fail_at(p, p->pos, "out of memory while parsing JSON");
}

static bool at_end(const parser *p)
{
	return p->pos >= p->length;
}

static int peek(const parser *p)
{
	return at_end(p) ? -1 : p->text[p->pos];
}

/* "'x'", "byte 0xNN" or "end of input", for messages. */
static const char *describe(const parser *p, size_t offset, char buf[16])
{
	if (offset >= p->length)
		return "end of input";
	unsigned char c = p->text[offset];
	if (c >= 0x20 && c < 0x7F)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02X", c);
	return buf;
}

static bool looking_at(const parser *p, const char *word)
{
	size_t n = strlen(word);
	return p->length - p->pos >= n && memcmp(p->text + p->pos, word, n) == 0;
}

/* Reports that `expected` did not hold at pos, naming the common mistakes
 * (comments, a byte order mark) instead of a generic complaint. */
static void fail_expected(parser *p, const char *expected)
{
	int c = peek(p);
	if (c == '/')
		fail_at(p, p->pos, "comments are not allowed in JSON");
	else if (p->pos == 0 && looking_at(p, "\xEF\xBB\xBF"))
		fail_at(p, p->pos, "a byte order mark is not allowed at the start of JSON");
	else
		fail_at(p, p->pos, "%s", expected);
}

static void skip_whitespace(parser *p)
{
	while (!at_end(p)) {
		unsigned char c = p->text[p->pos];
		if (c == '\n') {
			p->line++;
			p->line_start = p->pos + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		p->pos++;
	}
}

static cordon_json *new_value(parser *p, cordon_json_type type)
{
	cordon_json *v = calloc(1, sizeof(*v));
	if (v == NULL) {
		fail_nomem(p);
		return NULL;
	}
	v->type = type;
	v->line = p->line;
	v->column = p->pos - p->line_start + 1;
	return v;
}

typedef struct text_buffer {
	char *data;
	size_t length, capacity;
} text_buffer;

static bool buffer_reserve(text_buffer *b, size_t extra)
{
	if (b->capacity - b->length > extra)
		return true;
	size_t capacity = b->capacity ? b->capacity : 16;
	while (capacity - b->length <= extra) {
		if (capacity > SIZE_MAX / 2)
			return false;
		capacity *= 2;
	}
	char *data = realloc(b->data, capacity);
	if (data == NULL)
		return false;
	b->data = data;
	b->capacity = capacity;
	return true;
}

static bool buffer_append(text_buffer *b, const char *bytes, size_t length)
{
	if (!buffer_reserve(b, length))
		return false;
	memcpy(b->data + b->length, bytes, length);
	b->length += length;
	b->data[b->length] = '\0';
	return true;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the four hex digits of a \u escape whose backslash is at `escape`. */
static bool read_hex4(parser *p, size_t escape, uint32_t *out)
{
	uint32_t value = 0;
	if (p->length - escape < 6) {
		fail_at(p, escape, "invalid \\u escape in string: expected four hex digits");
		return false;
	}
	for (size_t i = 0; i < 4; i++) {
		int digit = hex_value(p->text[escape + 2 + i]);
		if (digit < 0) {
			fail_at(p, escape, "invalid \\u escape in string: expected four hex digits");
			return false;
		}
		value = (value << 4) | (uint32_t)digit;
	}
	*out = value;
	return true;
}

/* Decodes \uXXXX (and its low-surrogate partner) at pos into out. */
static bool parse_unicode_escape(parser *p, text_buffer *out)
{
	size_t escape = p->pos;
	uint32_t cp, low;
	char bytes[4];

	if (!read_hex4(p, escape, &cp))
		return false;
	p->pos += 6;
	if (cp == 0) {
		fail_at(p, escape, "\\u0000 is not allowed in strings");
		return false;
	}
	if (cp >= 0xDC00 && cp <= 0xDFFF) {
		fail_at(p, escape, "lone low surrogate \\u%04X in string", (unsigned)cp);
		return false;
	}
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (p->length - p->pos < 2 || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u') {
			fail_at(p, escape,
				"lone high surrogate \\u%04X in string (a \\uDC00-\\uDFFF must follow)",
				(unsigned)cp);
			return false;
		}
		if (!read_hex4(p, p->pos, &low))
			return false;
		if (low < 0xDC00 || low > 0xDFFF) {
			fail_at(p, escape,
				"lone high surrogate \\u%04X in string (a \\uDC00-\\uDFFF must follow)",
				(unsigned)cp);
			return false;
		}
		p->pos += 6;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
	}
	if (!buffer_append(out, bytes, utf8_encode(cp, bytes))) {
		fail_nomem(p);
		return false;
	}
	return true;
}

static bool parse_escape(parser *p, text_buffer *out)
{
	size_t escape = p->pos;
	char c;
	char buf[16];

	if (escape + 1 >= p->length) {
		fail_at(p, escape, "unterminated escape sequence in string");
		return false;
	}
	switch (p->text[escape + 1]) {
	case '"': c = '"'; break;
	case '\\': c = '\\'; break;
	case '/': c = '/'; break;
	case 'b': c = '\b'; break;
	case 'f': c = '\f'; break;
	case 'n': c = '\n'; break;
	case 'r': c = '\r'; break;
	case 't': c = '\t'; break;
	case 'u': return parse_unicode_escape(p, out);
	default:
		fail_at(p, escape, "invalid escape sequence '\\' followed by %s in string",
			describe(p, escape + 1, buf));
		return false;
	}
	p->pos += 2;
	if (!buffer_append(out, &c, 1)) {
		fail_nomem(p);
		return false;
	}
	return true;
}

/* pos is at the opening quote. On success *out is a malloc'd string. */
static bool parse_string_raw(parser *p, char **out, size_t *out_length)
{
	size_t start = p->pos;
	text_buffer b = {0};

	p->pos++;
	if (!buffer_reserve(&b, 0)) {
		fail_nomem(p);
		return false;
	}
	b.data[0] = '\0';
	for (;;) {
		if (at_end(p)) {
			fail_at(p, start, "unterminated string (no closing '\"' before the end of input)");
			goto fail;
		}
		unsigned char c = p->text[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c == '\\') {
			if (!parse_escape(p, &b))
				goto fail;
			continue;
		}
		if (c < 0x20) {
			fail_at(p, p->pos, "control character U+%04X in string must be escaped", c);
			goto fail;
		}
		size_t used;
		uint32_t cp;
		utf8_status status = utf8_decode(p->text + p->pos, p->length - p->pos, &used, &cp);
		if (status != UTF8_OK) {
			fail_at(p, p->pos, "%s in string", utf8_problem(status));
			goto fail;
		}
		/* Copy runs of plain bytes at once: most strings have no escapes. */
		size_t run = used;
		while (p->pos + run < p->length) {
			unsigned char n = p->text[p->pos + run];
			if (n < 0x20 || n >= 0x80 || n == '"' || n == '\\')
				break;
			run++;
		}
		if (!buffer_append(&b, (const char *)p->text + p->pos, run)) {
			fail_nomem(p);
			goto fail;
		}
		p->pos += run;
	}
	*out = b.data;
	*out_length = b.length;
	return true;
fail:
	free(b.data);
	return false;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_word_char(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool skip_digits(parser *p)
{
	if (!is_digit(peek(p)))
		return false;
	while (is_digit(peek(p)))
		p->pos++;
	return true;
}

static cordon_json *parse_number(parser *p)
{
	size_t start = p->pos;
	char buf[16];

	if (peek(p) == '-') {
		p->pos++;
		if (looking_at(p, "Infinity")) {
			fail_at(p, start, "NaN and Infinity are not allowed in JSON");
			return NULL;
		}
		if (!is_digit(peek(p))) {
			fail_at(p, p->pos, "expected a digit after '-'");
			return NULL;
		}
	}
	if (peek(p) == '0') {
		size_t zero = p->pos;
		p->pos++;
		if (is_digit(peek(p))) {
			fail_at(p, zero, "leading zeros are not allowed in numbers");
			return NULL;
		}
		if (peek(p) == 'x' || peek(p) == 'X') {
			fail_at(p, start, "hexadecimal numbers are not allowed in JSON");
			return NULL;
		}
	} else {
		skip_digits(p);
	}
	if (peek(p) == '.') {
		p->pos++;
		if (!skip_digits(p)) {
			fail_at(p, p->pos, "expected a digit after '.' in number");
			return NULL;
		}
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!skip_digits(p)) {
			fail_at(p, p->pos, "expected a digit in the exponent of number");
			return NULL;
		}
	}
	if (is_word_char(peek(p)) || peek(p) == '.') {
		fail_at(p, p->pos, "unexpected %s in number", describe(p, p->pos, buf));
		return NULL;
	}

	double value;
	if (!convert_number((const char *)p->text + start, p->pos - start, &value)) {
		fail_nomem(p);
		return NULL;
	}
	if (isinf(value) || isnan(value)) {
		fail_at(p, start, "number is too large to represent");
		return NULL;
	}
	/* Record the node at the number's start, not its end. */
	size_t end = p->pos;
	p->pos = start;
	cordon_json *v = new_value(p, CORDON_JSON_NUMBER);
	p->pos = end;
	if (v != NULL)
		v->number = value;
	return v;
}

static cordon_json *parse_literal(parser *p)
{
	static const struct {
		const char *word;
		cordon_json_type type;
		bool boolean;
	} literals[] = {
		{"true", CORDON_JSON_BOOL, true},
		{"false", CORDON_JSON_BOOL, false},
		{"null", CORDON_JSON_NULL, false},
	};
	for (size_t i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
		size_t n = strlen(literals[i].word);
		if (!looking_at(p, literals[i].word))
			continue;
		if (p->pos + n < p->length && is_word_char(p->text[p->pos + n]))
			break;
		cordon_json *v = new_value(p, literals[i].type);
		if (v == NULL)
			return NULL;
		v->boolean = literals[i].boolean;
		p->pos += n;
		return v;
	}
	fail_at(p, p->pos, "invalid literal; expected true, false or null");
	return NULL;
}

static cordon_json *parse_value(parser *p, int depth);

static bool push_item(parser *p, cordon_json *container, size_t *capacity, cordon_json *item)
{
	if (container->count == *capacity) {
		size_t grown = *capacity ? *capacity * 2 : 4;
		cordon_json **items = realloc(container->items, grown * sizeof(*items));
		if (items == NULL) {
			fail_nomem(p);
			return false;
		}
		container->items = items;
		*capacity = grown;
	}
	container->items[container->count++] = item;
	return true;
}

static bool open_container(parser *p, int depth)
{
	if (depth >= CORDON_JSON_MAX_DEPTH) {
		fail_at(p, p->pos, "nesting is deeper than %d levels", CORDON_JSON_MAX_DEPTH);
		return false;
	}
	return true;
}

static cordon_json *parse_array(parser *p, int depth)
{
	size_t capacity = 0;
	cordon_json *array;

	if (!open_container(p, depth))
		return NULL;
	array = new_value(p, CORDON_JSON_ARRAY);
	if (array == NULL)
		return NULL;
	p->pos++;
	skip_whitespace(p);
	if (peek(p) == ']') {
		p->pos++;
		return array;
	}
	for (;;) {
		cordon_json *item = parse_value(p, depth + 1);
		if (item == NULL)
			goto fail;
		if (!push_item(p, array, &capacity, item)) {
			cordon_json_free(item);
			goto fail;
		}
		skip_whitespace(p);
		if (peek(p) == ']') {
			p->pos++;
			return array;
		}
		if (peek(p) != ',') {
			fail_expected(p, "expected ',' or ']' after array element");
			goto fail;
		}
		size_t comma = p->pos;
		p->pos++;
		skip_whitespace(p);
		if (peek(p) == ']') {
			fail_at(p, comma, "trailing comma before ']' is not allowed");
			goto fail;
		}
	}
fail:
	cordon_json_free(array);
	return NULL;
}

/* Quotes a key for an error message: escapes what would break the line and
 * shortens long keys at a character boundary. */
static void quote_key(const char *key, char *out, size_t out_size)
{
	size_t used = 0;
	const size_t limit = 48;
	for (size_t i = 0; key[i] != '\0'; i++) {
		unsigned char c = (unsigned char)key[i];
		if (used >= limit && !is_continuation(c)) {
			snprintf(out + used, out_size - used, "...");
			return;
		}
		if (c == '"' || c == '\\')
			used += (size_t)snprintf(out + used, out_size - used, "\\%c", c);
		else if (c < 0x20 || c == 0x7F)
			used += (size_t)snprintf(out + used, out_size - used, "\\u%04X", c);
		else
			out[used++] = (char)c;
		out[used] = '\0';
	}
	out[used] = '\0';
}

/* keys: those seen so far in this object, so duplicates are found without
 * comparing every pair (a 1 MiB document can hold many thousand keys). */
static cordon_json *parse_member(parser *p, int depth, cordon_strset *keys)
{
	size_t key_offset = p->pos;
	char *key;
	size_t key_length;

	if (!parse_string_raw(p, &key, &key_length))
		return NULL;
	bool duplicate = cordon_strset_contains(keys, key);
	if (!duplicate && !cordon_strset_add(keys, key)) {
		free(key);
		fail_nomem(p);
		return NULL;
	}
	if (duplicate) {
		char quoted[64];
		quote_key(key, quoted, sizeof(quoted));
		fail_at(p, key_offset, "duplicate key \"%s\"", quoted);
		free(key);
		return NULL;
	}
	skip_whitespace(p);
	if (peek(p) != ':') {
		fail_expected(p, "expected ':' after object key");
		free(key);
		return NULL;
	}
	p->pos++;
	skip_whitespace(p);
	cordon_json *value = parse_value(p, depth + 1);
	if (value == NULL) {
		free(key);
		return NULL;
	}
	value->key = key;
	return value;
}

static cordon_json *parse_object(parser *p, int depth)
{
	size_t capacity = 0;
	cordon_strset keys = {0};
	cordon_json *object;

	if (!open_container(p, depth))
		return NULL;
	object = new_value(p, CORDON_JSON_OBJECT);
	if (object == NULL)
		return NULL;
	p->pos++;
	skip_whitespace(p);
	if (peek(p) == '}') {
		p->pos++;
		return object;
	}
	if (peek(p) != '"') {
		fail_expected(p, "expected a double-quoted key or '}' after '{'");
		goto fail;
	}
	for (;;) {
		cordon_json *member = parse_member(p, depth, &keys);
		if (member == NULL)
			goto fail;
		if (!push_item(p, object, &capacity, member)) {
			cordon_json_free(member);
			goto fail;
		}
		skip_whitespace(p);
		if (peek(p) == '}') {
			p->pos++;
			cordon_strset_clear(&keys);
			return object;
		}
		if (peek(p) != ',') {
			fail_expected(p, "expected ',' or '}' after object member");
			goto fail;
		}
		size_t comma = p->pos;
		p->pos++;
		skip_whitespace(p);
		if (peek(p) == '}') {
			fail_at(p, comma, "trailing comma before '}' is not allowed");
			goto fail;
		}
		if (peek(p) != '"') {
			fail_expected(p, "expected a double-quoted key after ','");
			goto fail;
		}
	}
fail:
	cordon_strset_clear(&keys);
	cordon_json_free(object);
	return NULL;
}

static cordon_json *parse_string_value(parser *p)
{
	cordon_json *v = new_value(p, CORDON_JSON_STRING);
	if (v == NULL)
		return NULL;
	if (!parse_string_raw(p, &v->string, &v->string_length)) {
		free(v);
		return NULL;
	}
	return v;
}

static cordon_json *parse_value(parser *p, int depth)
{
	char buf[16];
	int c = peek(p);

	switch (c) {
	case '{': return parse_object(p, depth);
	case '[': return parse_array(p, depth);
	case '"': return parse_string_value(p);
	case 't':
	case 'f':
	case 'n': return parse_literal(p);
	case '-': return parse_number(p);
	case '+': fail_at(p, p->pos, "'+' is not allowed before a number"); return NULL;
	case '.': fail_at(p, p->pos, "numbers must start with a digit, not '.'"); return NULL;
	case '\'': fail_at(p, p->pos, "strings must use double quotes, not single quotes"); return NULL;
	default: break;
	}
	if (is_digit(c))
		return parse_number(p);
	if (looking_at(p, "NaN") || looking_at(p, "Infinity")) {
		fail_at(p, p->pos, "NaN and Infinity are not allowed in JSON");
		return NULL;
	}
	char expected[48];
	snprintf(expected, sizeof(expected), "expected a value but found %s", describe(p, p->pos, buf));
	fail_expected(p, expected);
	return NULL;
}

bool cordon_json_parse(const char *text, size_t length, cordon_json **out, cordon_json_error *err)
{
	parser p = {
		.text = (const unsigned char *)text,
		.length = text == NULL ? 0 : length,
		.line = 1,
		.err = err,
	};
	char buf[16];

	*out = NULL;
	if (err != NULL) {
		err->line = 0;
		err->column = 0;
		err->message[0] = '\0';
	}
	if (p.length > CORDON_JSON_MAX_BYTES) {
		p.length = 0; /* the position is 1:1; nothing was read */
		fail_at(&p, 0, "document is larger than the %d-byte limit", CORDON_JSON_MAX_BYTES);
		return false;
	}
	skip_whitespace(&p);
	cordon_json *value = parse_value(&p, 0);
	if (value == NULL)
		return false;
	skip_whitespace(&p);
	if (!at_end(&p)) {
		char message[64];
		snprintf(message, sizeof(message), "unexpected %s after the top-level value",
			 describe(&p, p.pos, buf));
		fail_expected(&p, message);
		cordon_json_free(value);
		return false;
	}
	*out = value;
	return true;
}

void cordon_json_free(cordon_json *value)
{
	if (value == NULL)
		return;
	for (size_t i = 0; i < value->count; i++)
		cordon_json_free(value->items[i]);
	free(value->items);
	free(value->string);
	free(value->key);
	free(value);
}

const cordon_json *cordon_json_get(const cordon_json *object, const char *key)
{
	if (object == NULL || key == NULL || object->type != CORDON_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < object->count; i++) {
		if (strcmp(object->items[i]->key, key) == 0)
			return object->items[i];
	}
	return NULL;
}

const char *cordon_json_type_name(cordon_json_type type)
{
	switch (type) {
	case CORDON_JSON_NULL: return "null";
	case CORDON_JSON_BOOL: return "boolean";
	case CORDON_JSON_NUMBER: return "number";
	case CORDON_JSON_STRING: return "string";
	case CORDON_JSON_ARRAY: return "array";
	case CORDON_JSON_OBJECT: return "object";
	}
	return "unknown";
}

/* ----------------------------------------------------------------- writer */

void cordon_json_writer_init(cordon_json_writer *w, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->pretty = pretty;
}

static void emit(cordon_json_writer *w, const char *bytes, size_t length)
{
	if (w->failed)
		return;
	if (w->capacity - w->length <= length) {
		size_t capacity = w->capacity ? w->capacity : 256;
		while (capacity - w->length <= length) {
			if (capacity > SIZE_MAX / 2) {
				w->failed = true;
				return;
			}
			capacity *= 2;
		}
		char *data = realloc(w->data, capacity);
		if (data == NULL) {
			w->failed = true;
			return;
		}
		w->data = data;
		w->capacity = capacity;
	}
	memcpy(w->data + w->length, bytes, length);
	w->length += length;
	w->data[w->length] = '\0';
}

static void emit_str(cordon_json_writer *w, const char *text)
{
	emit(w, text, strlen(text));
}

static void emit_newline_indent(cordon_json_writer *w)
{
	emit(w, "\n", 1);
	for (int i = 0; i < w->depth; i++)
		emit(w, "  ", 2);
}

/* Separator and indentation before a value or a key. */
static void before_item(cordon_json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->need_comma[w->depth])
		emit(w, ",", 1);
	if (w->pretty)
		emit_newline_indent(w);
	w->need_comma[w->depth] = true;
}

static void begin_container(cordon_json_writer *w, char open)
{
	before_item(w);
	if (w->depth >= CORDON_JSON_MAX_DEPTH) {
		w->failed = true; /* need_comma cannot track deeper levels */
		return;
	}
	emit(w, &open, 1);
	w->depth++;
	w->need_comma[w->depth] = false;
}

static void end_container(cordon_json_writer *w, char close)
{
	if (w->depth <= 0) {
		w->failed = true;
		return;
	}
	bool had_items = w->need_comma[w->depth];
	w->depth--;
	if (w->pretty && had_items)
		emit_newline_indent(w);
	emit(w, &close, 1);
}

void cordon_json_begin_object(cordon_json_writer *w)
{
	begin_container(w, '{');
}

void cordon_json_end_object(cordon_json_writer *w)
{
	end_container(w, '}');
}

void cordon_json_begin_array(cordon_json_writer *w)
{
	begin_container(w, '[');
}

void cordon_json_end_array(cordon_json_writer *w)
{
	end_container(w, ']');
}

static void emit_quoted(cordon_json_writer *w, const char *value, size_t length)
{
	const unsigned char *s = (const unsigned char *)value;
	char escape[8];
	size_t i = 0;

	emit(w, "\"", 1);
	while (i < length) {
		unsigned char c = s[i];
		const char *short_escape = NULL;
		switch (c) {
		case '"': short_escape = "\\\""; break;
		case '\\': short_escape = "\\\\"; break;
		case '\b': short_escape = "\\b"; break;
		case '\f': short_escape = "\\f"; break;
		case '\n': short_escape = "\\n"; break;
		case '\r': short_escape = "\\r"; break;
		case '\t': short_escape = "\\t"; break;
		default: break;
		}
		if (short_escape != NULL) {
			emit_str(w, short_escape);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7F) {
			snprintf(escape, sizeof(escape), "\\u%04x", c);
			emit_str(w, escape);
			i++;
			continue;
		}
		size_t used;
		uint32_t cp;
		if (utf8_decode(s + i, length - i, &used, &cp) != UTF8_OK) {
			snprintf(escape, sizeof(escape), "\\u%04x", c);
			emit_str(w, escape);
			i++;
			continue;
		}
		emit(w, value + i, used);
		i += used;
	}
	emit(w, "\"", 1);
}

void cordon_json_key(cordon_json_writer *w, const char *key)
{
	before_item(w);
	emit_quoted(w, key, strlen(key));
	emit_str(w, w->pretty ? ": " : ":");
	w->after_key = true;
}

void cordon_json_string(cordon_json_writer *w, const char *value)
{
	cordon_json_string_n(w, value, strlen(value));
}

void cordon_json_string_n(cordon_json_writer *w, const char *value, size_t length)
{
	before_item(w);
	emit_quoted(w, value, length);
}

void cordon_json_int(cordon_json_writer *w, long long value)
{
	char text[32];
	before_item(w);
	snprintf(text, sizeof(text), "%lld", value);
	emit_str(w, text);
}

/* Replaces the locale's decimal point in a printf result with '.'. */
static void to_json_decimal_point(char *text)
{
	const char *point = locale_decimal_point();
	size_t point_length = strlen(point);
	char *found = strstr(text, point);
	if (found == NULL || (point_length == 1 && point[0] == '.'))
		return;
	*found = '.';
	memmove(found + 1, found + point_length, strlen(found + point_length) + 1);
}

void cordon_json_double(cordon_json_writer *w, double value)
{
	char text[64];

	/* JSON has no NaN or Infinity; null is what a reader can take. */
	if (isnan(value) || isinf(value)) {
		cordon_json_null(w);
		return;
	}
	before_item(w);
	/* Whole numbers a double holds exactly print as integers ("300", not
	 * "3e+02"). Checked with a cast so libm is not needed. */
	if (value > -9007199254740992.0 && value < 9007199254740992.0 && value == (double)(long long)value) {
		snprintf(text, sizeof(text), "%.0f", value);
		emit_str(w, text);
		return;
	}
	/* Otherwise the shortest %g form that reads back to the same double; 17
	 * significant digits always do. */
	for (int precision = 1; precision <= 17; precision++) {
		snprintf(text, sizeof(text), "%.*g", precision, value);
		if (strtod(text, NULL) == value)
			break;
	}
	to_json_decimal_point(text);
	emit_str(w, text);
}

void cordon_json_bool(cordon_json_writer *w, bool value)
{
	before_item(w);
	emit_str(w, value ? "true" : "false");
}

void cordon_json_null(cordon_json_writer *w)
{
	before_item(w);
	emit_str(w, "null");
}

void cordon_json_value(cordon_json_writer *w, const cordon_json *value)
{
	switch (value->type) {
	case CORDON_JSON_NULL: cordon_json_null(w); break;
	case CORDON_JSON_BOOL: cordon_json_bool(w, value->boolean); break;
	case CORDON_JSON_NUMBER: cordon_json_double(w, value->number); break;
	case CORDON_JSON_STRING: cordon_json_string_n(w, value->string, value->string_length); break;
	case CORDON_JSON_ARRAY:
		cordon_json_begin_array(w);
		for (size_t i = 0; i < value->count; i++)
			cordon_json_value(w, value->items[i]);
		cordon_json_end_array(w);
		break;
	case CORDON_JSON_OBJECT:
		cordon_json_begin_object(w);
		for (size_t i = 0; i < value->count; i++) {
			cordon_json_key(w, value->items[i]->key);
			cordon_json_value(w, value->items[i]);
		}
		cordon_json_end_object(w);
		break;
	}
}

char *cordon_json_writer_finish(cordon_json_writer *w)
{
	char *text = NULL;

	if (!w->failed && w->depth == 0 && !w->after_key) {
		if (w->data == NULL)
			emit(w, "", 0);
		if (!w->failed) {
			text = w->data;
			w->data = NULL;
		}
	}
	free(w->data);
	w->data = NULL;
	w->length = 0;
	w->capacity = 0;
	return text;
}
