/* What cordon (the user side) and its runner (the sandbox account's side)
 * say to each other over the run's named pipe in elevated mode. Pure
 * data, portable C: built and unit-tested natively, the Windows layer
 * (src/windows/spawn_elevated.c, runner.c) only moves the bytes.
 *
 * The pipe carries frames: a type and a length (each a 32-bit little
 * endian number), then that many bytes. A frame longer than its type
 * allows is refused before its bytes are read, so a peer cannot make the
 * other side allocate more than CORDON_RUNNER_REQUEST_MAX.
 *
 *   user side -> runner            runner -> user side
 *   REQUEST   once, first          HELLO    once, on connecting
 *   STDIN     input bytes          STARTED  the command's process id and job
 *   STDIN_CLOSE                    FAILED   nothing ran, and why
 *   RESIZE    rows, cols (pty)     STDOUT   output bytes (pty: the terminal's)
 *   TERMINATE end the tree         STDERR   error bytes
 *                                  EXIT     how the run ended (last frame)
 *
 * The request holds what the user side planned (the program, the command
 * line, the environment block of the environment plan, the working
 * directory), the stdio mode and terminal size, the timeout, and the
 * capability SIDs the runner adds to its own token as restricting SIDs.
 * Every string is checked: valid UTF-8, no NUL inside, within its size. */
#ifndef CORDON_WINDOWS_PLAN_RUNNER_PROTOCOL_H
#define CORDON_WINDOWS_PLAN_RUNNER_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordon.h"
#include "windows/plan/sid.h"

#define CORDON_RUNNER_PROTOCOL_VERSION 2
#define CORDON_RUNNER_HEADER_BYTES     8
/* The request's bytes, environment included (Windows caps an environment
 * block at 32767 characters per variable, not in total). */
#define CORDON_RUNNER_REQUEST_MAX (4u << 20)
/* Bytes of STDIN, STDOUT and STDERR data per frame. */
#define CORDON_RUNNER_DATA_MAX	   65536u
#define CORDON_RUNNER_STRING_MAX   65536u /* a path, the command line, one variable */
#define CORDON_RUNNER_ENV_MAX	   16384u /* variables */
#define CORDON_RUNNER_DETAIL_MAX   1024u
#define CORDON_RUNNER_INHERIT_NONE 0u

typedef enum cordon_runner_frame_type {
	CORDON_RUNNER_REQUEST = 1,
	CORDON_RUNNER_STDIN = 2,
	CORDON_RUNNER_STDIN_CLOSE = 3,
	CORDON_RUNNER_RESIZE = 4,
	CORDON_RUNNER_TERMINATE = 5,
	CORDON_RUNNER_HELLO = 16,
	CORDON_RUNNER_STARTED = 17,
	CORDON_RUNNER_FAILED = 18,
	CORDON_RUNNER_STDOUT = 19,
	CORDON_RUNNER_STDERR = 20,
	CORDON_RUNNER_EXIT = 21,
} cordon_runner_frame_type;

typedef struct cordon_runner_header {
	cordon_runner_frame_type type;
	uint32_t length;
} cordon_runner_header;

/* Writes the 8 header bytes. */
void cordon_runner_header_encode(cordon_runner_frame_type type, uint32_t length,
				 uint8_t out[CORDON_RUNNER_HEADER_BYTES]);
/* Reads a header; refuses (CORDON_E_PARSE, naming the frame) an unknown
 * type or a length over what that type allows. to_runner: the frame was
 * read by the runner (only user-side types are valid there), else by the
 * user side. */
cordon_code cordon_runner_header_decode(const uint8_t in[CORDON_RUNNER_HEADER_BYTES], bool to_runner,
					cordon_runner_header *header, cordon_error *err);

typedef struct cordon_runner_request {
	/* What to start: the full path of the program and the command line
	 * (already quoted by the CommandLineToArgvW rules), UTF-8. */
	char *application;
	char *command_line;
	char *cwd;
	/* The environment plan's entries, "NAME=value", in block order. */
	char **environment;
	size_t environment_count;
	cordon_stdio stdio;
	uint16_t rows, cols; /* pty size */
	uint32_t timeout_ms; /* 0: none */
	/* For the token plan (token_plan.h): the mode and the capability SIDs
	 * the run's ACLs name. */
	cordon_mode mode;
	bool has_shared_roots;
	cordon_sid workspace_sid;
	cordon_sid shared_sid;
	cordon_sid sandbox_sid;
	cordon_sid readonly_sid;
	/* Inherit mode: handle values the user side duplicated into the
	 * runner's process for the command's standard handles (the user's
	 * own are not the account's to open). 0 elsewhere. */
	uint64_t inherit_handles[3];
} cordon_runner_request;

/* Allocates *out (free()) and sets *length: the request's payload (no
 * header). Refuses strings that are not valid UTF-8 or too long. */
cordon_code cordon_runner_request_encode(const cordon_runner_request *request, uint8_t **out, size_t *length,
					 cordon_error *err);
/* Fills *request from a payload, allocating its strings (release with
 * cordon_runner_request_free). Anything malformed -- truncated, trailing
 * bytes, a length past the end or over its limit, bad UTF-8, a NUL inside
 * a string, an unknown version, mode or stdio mode, a malformed SID --
 * is CORDON_E_PARSE with one line, and *request holds nothing. */
cordon_code cordon_runner_request_decode(const uint8_t *in, size_t length, cordon_runner_request *request,
					 cordon_error *err);
void cordon_runner_request_free(cordon_runner_request *request);

/* The small frames: fixed layouts. */
typedef struct cordon_runner_hello {
	uint32_t version;
	uint32_t pid; /* the runner's process id, as the runner sees it */
} cordon_runner_hello;

typedef enum cordon_runner_failure {
	CORDON_RUNNER_FAILED_ERROR = 0,		 /* cordon could not start it: code + message */
	CORDON_RUNNER_FAILED_NOT_FOUND = 1,	 /* 127 */
	CORDON_RUNNER_FAILED_NOT_EXECUTABLE = 2, /* 126 */
} cordon_runner_failure;

typedef struct cordon_runner_failed {
	cordon_runner_failure failure;
	cordon_code code; /* FAILED_ERROR */
	char message[CORDON_RUNNER_DETAIL_MAX];
} cordon_runner_failed;

#define CORDON_RUNNER_HELLO_BYTES  8
#define CORDON_RUNNER_RESIZE_BYTES 4

void cordon_runner_hello_encode(const cordon_runner_hello *hello, uint8_t out[CORDON_RUNNER_HELLO_BYTES]);
cordon_code cordon_runner_hello_decode(const uint8_t *in, size_t length, cordon_runner_hello *hello,
				       cordon_error *err);
void cordon_runner_resize_encode(uint16_t rows, uint16_t cols, uint8_t out[CORDON_RUNNER_RESIZE_BYTES]);
cordon_code cordon_runner_resize_decode(const uint8_t *in, size_t length, uint16_t *rows, uint16_t *cols,
					cordon_error *err);
/* STARTED: the command's process id, and the handle value of its job in
 * the runner's process (never 0), which the user side duplicates from
 * there (it holds the runner's process handle) so its network proxy can
 * tell the run's processes from others (src/proxy/admission.h). */
typedef struct cordon_runner_started {
	uint32_t pid;
	uint64_t job_handle;
} cordon_runner_started;

#define CORDON_RUNNER_STARTED_BYTES 12

void cordon_runner_started_encode(const cordon_runner_started *started,
				  uint8_t out[CORDON_RUNNER_STARTED_BYTES]);
cordon_code cordon_runner_started_decode(const uint8_t *in, size_t length, cordon_runner_started *started,
					 cordon_error *err);

/* Allocate *out (free()); *length set. */
cordon_code cordon_runner_failed_encode(const cordon_runner_failed *failed, uint8_t **out, size_t *length,
					cordon_error *err);
cordon_code cordon_runner_failed_decode(const uint8_t *in, size_t length, cordon_runner_failed *failed,
					cordon_error *err);
cordon_code cordon_runner_exit_encode(const cordon_exit *exit_info, uint8_t **out, size_t *length,
				      cordon_error *err);
cordon_code cordon_runner_exit_decode(const uint8_t *in, size_t length, cordon_exit *exit_info,
				      cordon_error *err);

#endif
