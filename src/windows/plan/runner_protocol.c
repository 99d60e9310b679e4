/* The runner protocol's bytes (runner_protocol.h). Little endian, every
 * length checked against what is left and against its own limit before
 * anything is allocated; a malformed payload leaves nothing allocated. */
#include "windows/plan/runner_protocol.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* ------------------------------------------------------------ writing */

typedef struct writer {
	uint8_t *bytes;
	size_t length;
	size_t capacity;
	bool failed;
} writer;

static void put(writer *w, const void *data, size_t length)
{
	if (w->failed)
		return;
	if (w->length + length > w->capacity) {
		size_t capacity = w->capacity ? w->capacity : 256;
		while (capacity < w->length + length)
			capacity *= 2;
		uint8_t *grown = realloc(w->bytes, capacity);
		if (grown == NULL) {
			w->failed = true;
			return;
		}
		w->bytes = grown;
		w->capacity = capacity;
	}
	memcpy(w->bytes + w->length, data, length);
	w->length += length;
}

static void put_u8(writer *w, uint8_t value)
{
	put(w, &value, 1);
}

static void store_u16(uint8_t *out, uint16_t value)
{
	out[0] = (uint8_t)value;
	out[1] = (uint8_t)(value >> 8);
}

static void store_u32(uint8_t *out, uint32_t value)
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(value >> (8 * i));
}

static void put_u16(writer *w, uint16_t value)
{
	uint8_t bytes[2];
	store_u16(bytes, value);
	put(w, bytes, 2);
}

static void put_u32(writer *w, uint32_t value)
{
	uint8_t bytes[4];
	store_u32(bytes, value);
	put(w, bytes, 4);
}

static void put_u64(writer *w, uint64_t value)
{
	put_u32(w, (uint32_t)value);
	put_u32(w, (uint32_t)(value >> 32));
}

/* ------------------------------------------------------------ reading */

typedef struct reader {
	const uint8_t *bytes;
	size_t length;
	size_t offset;
	const char *problem; /* the first thing found wrong, static */
} reader;

static bool take(reader *r, void *out, size_t length)
{
	if (r->problem != NULL)
		return false;
	if (r->length - r->offset < length) {
		r->problem = "it ends in the middle of a field";
		return false;
	}
	if (out != NULL)
		memcpy(out, r->bytes + r->offset, length);
	r->offset += length;
	return true;
}

static uint16_t load_u16(const uint8_t *in)
{
	return (uint16_t)(in[0] | (in[1] << 8));
}

static uint32_t load_u32(const uint8_t *in)
{
	return (uint32_t)in[0] | ((uint32_t)in[1] << 8) | ((uint32_t)in[2] << 16) | ((uint32_t)in[3] << 24);
}

static uint8_t get_u8(reader *r)
{
	uint8_t value = 0;
	take(r, &value, 1);
	return value;
}

static uint16_t get_u16(reader *r)
{
	uint8_t bytes[2] = {0};
	take(r, bytes, 2);
	return load_u16(bytes);
}

static uint32_t get_u32(reader *r)
{
	uint8_t bytes[4] = {0};
	take(r, bytes, 4);
	return load_u32(bytes);
}

static uint64_t get_u64(reader *r)
{
	uint64_t low = get_u32(r);
	return low | ((uint64_t)get_u32(r) << 32);
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past
 * U+10FFFF, and no NUL (a string must mean what its C form means). */
static bool utf8_text_valid(const uint8_t *s, size_t length)
{
	size_t i = 0;
	while (i < length) {
		uint8_t c = s[i];
		size_t more;
		uint32_t point;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			more = 1;
			point = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			more = 2;
			point = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			more = 3;
			point = c & 0x07;
		} else {
			return false;
		}
		if (length - i <= more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			point = (point << 6) | (s[i + k] & 0x3F);
		}
		if ((more == 2 && point < 0x800) || (more == 3 && (point < 0x10000 || point > 0x10FFFF)) ||
		    (point >= 0xD800 && point <= 0xDFFF))
			return false;
		i += more + 1;
	}
	return true;
}

/* Allocates the next string (u32 length, then its bytes). */
static char *get_string(reader *r, uint32_t limit)
{
	uint32_t length = get_u32(r);
	if (r->problem != NULL)
		return NULL;
	if (length > limit) {
		r->problem = "a string is longer than its limit";
		return NULL;
	}
	if (r->length - r->offset < length) {
		r->problem = "a string runs past the end";
		return NULL;
	}
	if (!utf8_text_valid(r->bytes + r->offset, length)) {
		r->problem = "a string is not valid UTF-8 or holds a NUL";
		return NULL;
	}
	char *out = malloc((size_t)length + 1);
	if (out == NULL) {
		r->problem = "out of memory";
		return NULL;
	}
	take(r, out, length);
	out[length] = '\0';
	return out;
}

static bool put_string(writer *w, const char *text, uint32_t limit)
{
	size_t length = text != NULL ? strlen(text) : 0;
	if (length > limit || !utf8_text_valid((const uint8_t *)text, length))
		return false;
	put_u32(w, (uint32_t)length);
	put(w, text, length);
	return true;
}

static void put_sid(writer *w, const cordon_sid *sid)
{
	char text[CORDON_SID_STRING_MAX];
	if (!cordon_sid_format(sid, text, sizeof(text))) {
		w->failed = true;
		return;
	}
	put_string(w, text, sizeof(text));
}

static cordon_sid get_sid(reader *r)
{
	cordon_sid sid;
	memset(&sid, 0, sizeof(sid));
	char *text = get_string(r, CORDON_SID_STRING_MAX);
	if (text != NULL && !cordon_sid_parse(text, &sid) && r->problem == NULL)
		r->problem = "a capability SID is malformed";
	free(text);
	return sid;
}

static cordon_code finish_reading(reader *r, const char *what, cordon_error *err)
{
	if (r->problem == NULL && r->offset != r->length)
		r->problem = "bytes follow its last field";
	if (r->problem == NULL)
		return CORDON_OK;
	return cordon_fail(
		err, CORDON_E_PARSE,
		"the runner protocol's %s frame is malformed: %s; nothing was run; this is a bug or "
		"another program on the pipe, report it",
		what, r->problem);
}

static cordon_code finish_writing(writer *w, uint8_t **out, size_t *length, cordon_error *err)
{
	if (w->failed) {
		free(w->bytes);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while writing to the runner");
	}
	*out = w->bytes;
	*length = w->length;
	return CORDON_OK;
}

/* ------------------------------------------------------------ headers */

void cordon_runner_header_encode(cordon_runner_frame_type type, uint32_t length,
				 uint8_t out[CORDON_RUNNER_HEADER_BYTES])
{
	store_u32(out, (uint32_t)type);
	store_u32(out + 4, length);
}

/* The longest payload a frame of this type may have; 0 when the type is
 * not one this side reads. */
static uint32_t frame_limit(uint32_t type, bool to_runner)
{
	if (to_runner) {
		switch (type) {
		case CORDON_RUNNER_REQUEST: return CORDON_RUNNER_REQUEST_MAX;
		case CORDON_RUNNER_STDIN: return CORDON_RUNNER_DATA_MAX;
		case CORDON_RUNNER_STDIN_CLOSE:
		case CORDON_RUNNER_TERMINATE: return 1; /* empty; 1 so a limit exists */
		case CORDON_RUNNER_RESIZE: return CORDON_RUNNER_RESIZE_BYTES;
		default: return 0;
		}
	}
	switch (type) {
	case CORDON_RUNNER_HELLO: return CORDON_RUNNER_HELLO_BYTES;
	case CORDON_RUNNER_STARTED: return CORDON_RUNNER_STARTED_BYTES;
	case CORDON_RUNNER_FAILED:
	case CORDON_RUNNER_EXIT: return 64 + CORDON_RUNNER_DETAIL_MAX;
	case CORDON_RUNNER_STDOUT:
	case CORDON_RUNNER_STDERR: return CORDON_RUNNER_DATA_MAX;
	default: return 0;
	}
}

cordon_code cordon_runner_header_decode(const uint8_t in[CORDON_RUNNER_HEADER_BYTES], bool to_runner,
					cordon_runner_header *header, cordon_error *err)
{
	uint32_t type = load_u32(in);
	uint32_t length = load_u32(in + 4);
	uint32_t limit = frame_limit(type, to_runner);
	bool empty = type == CORDON_RUNNER_STDIN_CLOSE || type == CORDON_RUNNER_TERMINATE;

	if (limit == 0)
		return cordon_fail(
			err, CORDON_E_PARSE,
			"the runner protocol has no frame of type %lu in this direction; nothing more is "
			"read from the pipe",
			(unsigned long)type);
	if (length > limit || (empty && length != 0))
		return cordon_fail(
			err, CORDON_E_PARSE,
			"a runner protocol frame of type %lu claims %lu bytes, over its limit of %lu; "
			"nothing more is read from the pipe",
			(unsigned long)type, (unsigned long)length, (unsigned long)(empty ? 0 : limit));
	header->type = (cordon_runner_frame_type)type;
	header->length = length;
	return CORDON_OK;
}

/* ------------------------------------------------------------ request */

cordon_code cordon_runner_request_encode(const cordon_runner_request *request, uint8_t **out, size_t *length,
					 cordon_error *err)
{
	writer w = {0};
	bool strings_ok = true;

	*out = NULL;
	*length = 0;
	if (request->environment_count > CORDON_RUNNER_ENV_MAX)
		return cordon_fail(
			err, CORDON_E_INVALID,
			"the command's environment has %lu variables, more than the runner takes (%u); "
			"nothing was run; run with a smaller environment",
			(unsigned long)request->environment_count, CORDON_RUNNER_ENV_MAX);
	put_u32(&w, CORDON_RUNNER_PROTOCOL_VERSION);
	strings_ok &= put_string(&w, request->application, CORDON_RUNNER_STRING_MAX);
	strings_ok &= put_string(&w, request->command_line, CORDON_RUNNER_STRING_MAX);
	strings_ok &= put_string(&w, request->cwd, CORDON_RUNNER_STRING_MAX);
	put_u32(&w, (uint32_t)request->environment_count);
	for (size_t i = 0; i < request->environment_count; i++)
		strings_ok &= put_string(&w, request->environment[i], CORDON_RUNNER_STRING_MAX);
	put_u8(&w, (uint8_t)request->stdio);
	put_u16(&w, request->rows);
	put_u16(&w, request->cols);
	put_u32(&w, request->timeout_ms);
	put_u8(&w, (uint8_t)request->mode);
	put_u8(&w, request->has_shared_roots ? 1 : 0);
	put_sid(&w, &request->workspace_sid);
	put_sid(&w, &request->shared_sid);
	put_sid(&w, &request->sandbox_sid);
	put_sid(&w, &request->readonly_sid);
	for (int i = 0; i < 3; i++)
		put_u64(&w, request->inherit_handles[i]);
	if (!strings_ok) {
		free(w.bytes);
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot send the command to the runner: a path, argument or variable is not "
			"valid UTF-8 or longer than %u bytes; nothing was run",
			CORDON_RUNNER_STRING_MAX);
	}
	if (!w.failed && w.length > CORDON_RUNNER_REQUEST_MAX) {
		free(w.bytes);
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot send the command to the runner: its request is %lu bytes, over the %u "
			"the runner takes; nothing was run; run with a smaller environment",
			(unsigned long)w.length, CORDON_RUNNER_REQUEST_MAX);
	}
	return finish_writing(&w, out, length, err);
}

void cordon_runner_request_free(cordon_runner_request *request)
{
	if (request == NULL)
		return;
	free(request->application);
	free(request->command_line);
	free(request->cwd);
	for (size_t i = 0; request->environment != NULL && i < request->environment_count; i++)
		free(request->environment[i]);
	free(request->environment);
	memset(request, 0, sizeof(*request));
}

static void read_environment(reader *r, cordon_runner_request *request)
{
	uint32_t count = get_u32(r);
	if (r->problem != NULL)
		return;
	/* Each variable takes at least its 4 length bytes: a count the
	 * payload cannot hold is refused before anything is allocated. */
	if (count > CORDON_RUNNER_ENV_MAX || count > (r->length - r->offset) / 4) {
		r->problem = "the environment count is larger than the frame can hold";
		return;
	}
	request->environment = calloc(count ? count : 1, sizeof(*request->environment));
	if (request->environment == NULL) {
		r->problem = "out of memory";
		return;
	}
	for (uint32_t i = 0; i < count && r->problem == NULL; i++) {
		request->environment[i] = get_string(r, CORDON_RUNNER_STRING_MAX);
		request->environment_count = i + 1;
		if (request->environment[i] != NULL && strchr(request->environment[i], '=') == NULL)
			r->problem = "an environment entry has no '='";
	}
}

cordon_code cordon_runner_request_decode(const uint8_t *in, size_t length, cordon_runner_request *request,
					 cordon_error *err)
{
	reader r = {in, length, 0, NULL};
	memset(request, 0, sizeof(*request));

	if (length > CORDON_RUNNER_REQUEST_MAX)
		r.problem = "it is larger than a request may be";
	else if (get_u32(&r) != CORDON_RUNNER_PROTOCOL_VERSION && r.problem == NULL)
		r.problem = "it speaks another protocol version (cordon.exe and its runner differ)";
	request->application = get_string(&r, CORDON_RUNNER_STRING_MAX);
	request->command_line = get_string(&r, CORDON_RUNNER_STRING_MAX);
	request->cwd = get_string(&r, CORDON_RUNNER_STRING_MAX);
	read_environment(&r, request);
	uint8_t stdio = get_u8(&r);
	request->rows = get_u16(&r);
	request->cols = get_u16(&r);
	request->timeout_ms = get_u32(&r);
	uint8_t mode = get_u8(&r);
	uint8_t shared = get_u8(&r);
	request->workspace_sid = get_sid(&r);
	request->shared_sid = get_sid(&r);
	request->sandbox_sid = get_sid(&r);
	request->readonly_sid = get_sid(&r);
	for (int i = 0; i < 3; i++)
		request->inherit_handles[i] = get_u64(&r);
	if (r.problem == NULL && stdio != CORDON_STDIO_INHERIT && stdio != CORDON_STDIO_PIPES &&
	    stdio != CORDON_STDIO_PTY)
		r.problem = "its stdio mode is unknown";
	if (r.problem == NULL && mode != CORDON_MODE_READ_ONLY && mode != CORDON_MODE_WORKSPACE_WRITE)
		r.problem = "its mode is not a sandboxed one";
	if (r.problem == NULL && shared > 1)
		r.problem = "a flag is neither 0 nor 1";
	if (r.problem == NULL && (request->application[0] == '\0' || request->cwd[0] == '\0'))
		r.problem = "the program or working directory is empty";
	request->stdio = (cordon_stdio)stdio;
	request->mode = (cordon_mode)mode;
	request->has_shared_roots = shared == 1;
	cordon_code code = finish_reading(&r, "request", err);
	if (code != CORDON_OK)
		cordon_runner_request_free(request);
	return code;
}

/* ------------------------------------------------------------ small frames */

void cordon_runner_hello_encode(const cordon_runner_hello *hello, uint8_t out[CORDON_RUNNER_HELLO_BYTES])
{
	store_u32(out, hello->version);
	store_u32(out + 4, hello->pid);
}

cordon_code cordon_runner_hello_decode(const uint8_t *in, size_t length, cordon_runner_hello *hello,
				       cordon_error *err)
{
	reader r = {in, length, 0, NULL};
	hello->version = get_u32(&r);
	hello->pid = get_u32(&r);
	cordon_code code = finish_reading(&r, "hello", err);
	if (code == CORDON_OK && hello->version != CORDON_RUNNER_PROTOCOL_VERSION)
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"the runner speaks protocol version %lu, cordon %d: cordon.exe and the runner "
			"are not the same build; nothing was run; reinstall cordon",
			(unsigned long)hello->version, CORDON_RUNNER_PROTOCOL_VERSION);
	return code;
}

void cordon_runner_resize_encode(uint16_t rows, uint16_t cols, uint8_t out[CORDON_RUNNER_RESIZE_BYTES])
{
	store_u16(out, rows);
	store_u16(out + 2, cols);
}

cordon_code cordon_runner_resize_decode(const uint8_t *in, size_t length, uint16_t *rows, uint16_t *cols,
					cordon_error *err)
{
	reader r = {in, length, 0, NULL};
	*rows = get_u16(&r);
	*cols = get_u16(&r);
	return finish_reading(&r, "resize", err);
}

void cordon_runner_started_encode(const cordon_runner_started *started,
				  uint8_t out[CORDON_RUNNER_STARTED_BYTES])
{
	store_u32(out, started->pid);
	store_u32(out + 4, (uint32_t)started->job_handle);
	store_u32(out + 8, (uint32_t)(started->job_handle >> 32));
}

cordon_code cordon_runner_started_decode(const uint8_t *in, size_t length, cordon_runner_started *started,
					 cordon_error *err)
{
	reader r = {in, length, 0, NULL};
	started->pid = get_u32(&r);
	started->job_handle = get_u64(&r);
	cordon_code code = finish_reading(&r, "started", err);
	if (code == CORDON_OK && started->job_handle == 0)
		code = cordon_fail(err, CORDON_E_PARSE, "the runner's started frame names no job");
	return code;
}

/* Copies a decoded string into a fixed field. */
static void copy_detail(reader *r, char *out, size_t size)
{
	char *text = get_string(r, CORDON_RUNNER_DETAIL_MAX - 1);
	out[0] = '\0';
	if (text != NULL) {
		size_t n = strlen(text) < size - 1 ? strlen(text) : size - 1;
		memcpy(out, text, n);
		out[n] = '\0';
	}
	free(text);
}

/* A detail for the wire: at most the limit, cut on a character boundary;
 * text that is not valid UTF-8 goes with '?' for every non-ASCII byte, so
 * the other side never refuses a message for its spelling. */
static void put_detail(writer *w, const char *text)
{
	char copy[CORDON_RUNNER_DETAIL_MAX] = {0};
	size_t length = strnlen(text, CORDON_RUNNER_DETAIL_MAX - 1);
	while (length > 0 && (((const uint8_t *)text)[length] & 0xC0) == 0x80)
		length--;
	memcpy(copy, text, length);
	if (!utf8_text_valid((const uint8_t *)copy, length))
		for (size_t i = 0; i < length; i++)
			if ((uint8_t)copy[i] >= 0x80)
				copy[i] = '?';
	put_u32(w, (uint32_t)length);
	put(w, copy, length);
}

cordon_code cordon_runner_failed_encode(const cordon_runner_failed *failed, uint8_t **out, size_t *length,
					cordon_error *err)
{
	writer w = {0};
	put_u32(&w, (uint32_t)failed->failure);
	put_u32(&w, (uint32_t)failed->code);
	put_detail(&w, failed->message);
	return finish_writing(&w, out, length, err);
}

cordon_code cordon_runner_failed_decode(const uint8_t *in, size_t length, cordon_runner_failed *failed,
					cordon_error *err)
{
	reader r = {in, length, 0, NULL};
	uint32_t failure = get_u32(&r);
	uint32_t code = get_u32(&r);
	copy_detail(&r, failed->message, sizeof(failed->message));
	if (r.problem == NULL && failure > CORDON_RUNNER_FAILED_NOT_EXECUTABLE)
		r.problem = "its kind of failure is unknown";
	if (r.problem == NULL && failure == CORDON_RUNNER_FAILED_ERROR &&
	    (code == CORDON_OK || code > CORDON_E_STATE))
		r.problem = "its error code is unknown";
	failed->failure = (cordon_runner_failure)failure;
	failed->code = (cordon_code)code;
	return finish_reading(&r, "failed", err);
}

cordon_code cordon_runner_exit_encode(const cordon_exit *exit_info, uint8_t **out, size_t *length,
				      cordon_error *err)
{
	writer w = {0};
	double ms = exit_info->seconds * 1000.0;
	put_u32(&w, (uint32_t)exit_info->kind);
	put_u32(&w, (uint32_t)exit_info->code);
	put_u32(&w, (uint32_t)exit_info->signal_number);
	put_u64(&w, ms > 0 ? (uint64_t)ms : 0);
	put_detail(&w, exit_info->detail);
	return finish_writing(&w, out, length, err);
}

cordon_code cordon_runner_exit_decode(const uint8_t *in, size_t length, cordon_exit *exit_info,
				      cordon_error *err)
{
	reader r = {in, length, 0, NULL};
	memset(exit_info, 0, sizeof(*exit_info));
	uint32_t kind = get_u32(&r);
	exit_info->code = (int)get_u32(&r);
	exit_info->signal_number = (int)get_u32(&r);
	exit_info->seconds = (double)get_u64(&r) / 1000.0;
	copy_detail(&r, exit_info->detail, sizeof(exit_info->detail));
	if (r.problem == NULL && kind > CORDON_EXIT_NOT_EXECUTABLE)
		r.problem = "its kind of exit is unknown";
	exit_info->kind = (cordon_exit_kind)kind;
	return finish_reading(&r, "exit", err);
}
