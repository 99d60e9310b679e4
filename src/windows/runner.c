/* The runner: `cordon.exe __runner PIPE SERVER_PID`, started by the user
 * side (spawn_elevated.c) as the sandbox account. It runs no command of
 * its own choosing: it takes one request over the pipe and starts that
 * command through win_launch_start -- the one spawn path -- with a
 * write-restricted token made from its own token (the account's) plus
 * the request's capability SIDs (token plan, token.c), in a job of its
 * own with the usual limits. Then it relays input, output, resize and
 * terminate, and reports how the run ended.
 *
 * Lifetime: when the pipe breaks (cordon died, or its job killed us
 * first) the command's job is ended at once; the runner holds the only
 * handle of that job, so the command also dies when the runner does.
 *
 * The runner's own process gets a DACL that grants only the account and
 * SYSTEM: the command, whose restricting SIDs do not include the
 * account's, then cannot open the runner for writing (inject into it or
 * read its token handle); Windows host only. */
#include "windows/win_internal.h"

#include <aclapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/elevated.h"
#include "windows/runner_pipe.h"

/* Exit codes of the runner itself (the user side reads them when the
 * runner ends before it connected). */
#define RUNNER_EXIT_USAGE  2
#define RUNNER_EXIT_REFUSE 125

typedef struct runner {
	win_frame_writer writer;
	HANDLE pipe;
	cordon_child *child;
	volatile LONG cordon_gone;
} runner;

static void protect_own_process(void)
{
	HANDLE token = NULL;
	unsigned char buffer[256];
	DWORD length = 0;
	PSID system = NULL;
	SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return;
	if (GetTokenInformation(token, TokenUser, buffer, sizeof(buffer), &length) &&
	    AllocateAndInitializeSid(&nt, 1, SECURITY_LOCAL_SYSTEM_RID, 0, 0, 0, 0, 0, 0, 0, &system)) {
		EXPLICIT_ACCESSW entries[2] = {0};
		PACL acl = NULL;
		PSID sids[2] = {((TOKEN_USER *)buffer)->User.Sid, system};
		for (int i = 0; i < 2; i++) {
			entries[i].grfAccessPermissions = PROCESS_ALL_ACCESS;
			entries[i].grfAccessMode = SET_ACCESS;
			entries[i].Trustee.TrusteeForm = TRUSTEE_IS_SID;
			entries[i].Trustee.ptstrName = (LPWSTR)sids[i];
		}
		if (SetEntriesInAclW(2, entries, NULL, &acl) == ERROR_SUCCESS) {
			SetSecurityInfo(GetCurrentProcess(), SE_KERNEL_OBJECT,
					DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, NULL,
					NULL, acl, NULL);
			LocalFree(acl);
		}
		FreeSid(system);
	}
	CloseHandle(token);
}

static HANDLE connect_pipe(const char *name, unsigned long server_pid)
{
	wchar_t *wide = win_wide(name);
	if (wide == NULL)
		return NULL;
	/* Identification only: the user side may learn who we are, not act
	 * as us. */
	HANDLE pipe =
		CreateFileW(wide, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
			    FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
	free(wide);
	if (pipe == INVALID_HANDLE_VALUE)
		return NULL;
	ULONG server = 0;
	if (!GetNamedPipeServerProcessId(pipe, &server) || server != server_pid) {
		CloseHandle(pipe);
		return NULL;
	}
	return pipe;
}

static void send_failed(runner *r, cordon_runner_failure failure, cordon_code code, const char *message)
{
	cordon_runner_failed failed = {failure, code, ""};
	uint8_t *bytes = NULL;
	size_t length = 0;

	snprintf(failed.message, sizeof(failed.message), "%s", message);
	if (cordon_runner_failed_encode(&failed, &bytes, &length, NULL) == CORDON_OK)
		win_frame_send(&r->writer, CORDON_RUNNER_FAILED, bytes, (uint32_t)length);
	free(bytes);
}

/* The request as a launch; the token is made here, from our own. */
static cordon_code launch_from(const cordon_runner_request *request, win_launch *l, cordon_error *err)
{
	cordon_env_plan env = {request->environment, request->environment_count};
	/* Only the SIDs: the ACLs were applied by the user side. */
	cordon_win_acl_outcome sids = {0};
	sids.workspace_sid = request->workspace_sid;
	sids.shared_sid = request->shared_sid;
	sids.sandbox_sid = request->sandbox_sid;
	sids.readonly_sid = request->readonly_sid;
	BOOL in_job = FALSE;

	memset(l, 0, sizeof(*l));
	l->application = win_wide(request->application);
	l->command_line = win_wide(request->command_line);
	l->cwd = win_wide(request->cwd);
	if (l->application == NULL || l->command_line == NULL || l->cwd == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory in the runner");
	l->environment = win_environment_block(&env, err);
	if (l->environment == NULL)
		return err != NULL ? err->code : CORDON_E_INVALID;
	l->stdio = request->stdio;
	l->rows = request->rows;
	l->cols = request->cols;
	l->timeout_ms = request->timeout_ms;
	if (request->stdio == CORDON_STDIO_INHERIT) {
		l->inherit_given = true;
		for (int i = 0; i < 3; i++)
			l->inherit[i] = (HANDLE)(uintptr_t)request->inherit_handles[i];
	}
	l->breakaway = IsProcessInJob(GetCurrentProcess(), NULL, &in_job) && in_job;
	return win_token_from_sids(request->mode, request->has_shared_roots, &sids, &l->token, err);
}

/* ------------------------------------------------------------ relays */

typedef struct output_relay {
	runner *r;
	cordon_stream stream;
	cordon_runner_frame_type type;
} output_relay;

static DWORD WINAPI relay_output(void *context)
{
	output_relay *o = context;
	uint8_t buffer[CORDON_RUNNER_DATA_MAX];

	for (;;) {
		ssize_t got = cordon_child_read(o->r->child, o->stream, buffer, sizeof(buffer), -1);
		if (got <= 0)
			return 0;
		if (!win_frame_send(&o->r->writer, o->type, buffer, (uint32_t)got))
			return 0;
	}
}

/* Frames from the user side. When the pipe breaks, cordon is gone: the
 * command goes too. */
static DWORD WINAPI relay_requests(void *context)
{
	runner *r = context;
	cordon_error err;

	for (;;) {
		cordon_runner_header header;
		uint8_t *payload = NULL;
		uint16_t rows, cols;
		if (win_frame_receive(r->pipe, true, &header, &payload, &err) != CORDON_OK) {
			InterlockedExchange(&r->cordon_gone, 1);
			cordon_child_terminate(r->child, NULL);
			free(payload);
			return 0;
		}
		switch (header.type) {
		case CORDON_RUNNER_STDIN: cordon_child_write(r->child, payload, header.length); break;
		case CORDON_RUNNER_STDIN_CLOSE: cordon_child_close_stdin(r->child, NULL); break;
		case CORDON_RUNNER_RESIZE:
			if (cordon_runner_resize_decode(payload, header.length, &rows, &cols, NULL) ==
			    CORDON_OK)
				cordon_child_resize(r->child, rows, cols, NULL);
			break;
		case CORDON_RUNNER_TERMINATE: cordon_child_terminate(r->child, NULL); break;
		default: break; /* a second request: ignored */
		}
		free(payload);
	}
}

static void send_exit(runner *r, const cordon_exit *exit_info)
{
	uint8_t *bytes = NULL;
	size_t length = 0;
	if (cordon_runner_exit_encode(exit_info, &bytes, &length, NULL) == CORDON_OK)
		win_frame_send(&r->writer, CORDON_RUNNER_EXIT, bytes, (uint32_t)length);
	free(bytes);
}

/* Starts the relays, waits for the run, lets the output drain, reports. */
static int supervise(runner *r, cordon_stdio stdio)
{
	output_relay outputs[2] = {
		{r, stdio == CORDON_STDIO_PTY ? CORDON_STREAM_PTY : CORDON_STREAM_STDOUT,
		 CORDON_RUNNER_STDOUT},
		{r, CORDON_STREAM_STDERR, CORDON_RUNNER_STDERR},
	};
	HANDLE threads[3] = {NULL, NULL, NULL};
	int count = stdio == CORDON_STDIO_PIPES ? 2 : stdio == CORDON_STDIO_PTY ? 1 : 0;
	cordon_exit exit_info;
	cordon_error err;

	for (int i = 0; i < count; i++)
		threads[i] = CreateThread(NULL, 0, relay_output, &outputs[i], 0, NULL);
	HANDLE requests = CreateThread(NULL, 0, relay_requests, r, 0, NULL);
	if (requests == NULL)
		cordon_child_terminate(r->child, NULL); /* nobody could tell us to stop */
	if (cordon_child_wait(r->child, -1, &exit_info, &err) != CORDON_OK) {
		memset(&exit_info, 0, sizeof(exit_info));
		exit_info.kind = CORDON_EXIT_SIGNAL;
		exit_info.signal_number = 9;
		snprintf(exit_info.detail, sizeof(exit_info.detail), "the runner lost the command: %s",
			 err.message);
	}
	/* Every process is gone: the output pipes end once drained. */
	for (int i = 0; i < count; i++) {
		if (threads[i] != NULL) {
			WaitForSingleObject(threads[i], 10000);
			CloseHandle(threads[i]);
		}
	}
	if (!r->cordon_gone) {
		send_exit(r, &exit_info);
		/* Until cordon has read it all. */
		FlushFileBuffers(r->pipe);
	}
	/* The requests thread must be done with the child before it is
	 * freed: its pending read is cancelled, and it ends. */
	CancelIoEx(r->pipe, NULL);
	if (requests != NULL) {
		WaitForSingleObject(requests, 10000);
		CloseHandle(requests);
	}
	return 0;
}

int win_runner_main(int argc, char **argv)
{
	runner r = {0};
	cordon_runner_header header;
	uint8_t *payload = NULL;
	cordon_runner_request request;
	cordon_error err = {0};
	win_launch l;
	char *end = NULL;

	if (argc != 4 || strcmp(argv[1], WIN_RUNNER_VERB) != 0)
		return RUNNER_EXIT_USAGE;
	unsigned long server_pid = strtoul(argv[3], &end, 10);
	if (end == argv[3] || *end != '\0')
		return RUNNER_EXIT_USAGE;
	protect_own_process();
	r.pipe = connect_pipe(argv[2], server_pid);
	if (r.pipe == NULL)
		return RUNNER_EXIT_REFUSE;
	win_frame_writer_init(&r.writer, r.pipe);
	cordon_runner_hello hello = {CORDON_RUNNER_PROTOCOL_VERSION, (uint32_t)GetCurrentProcessId()};
	uint8_t hello_bytes[CORDON_RUNNER_HELLO_BYTES];
	cordon_runner_hello_encode(&hello, hello_bytes);
	if (!win_frame_send(&r.writer, CORDON_RUNNER_HELLO, hello_bytes, sizeof(hello_bytes)))
		return RUNNER_EXIT_REFUSE;
	cordon_code code = win_frame_receive(r.pipe, true, &header, &payload, &err);
	if (code == CORDON_OK && header.type != CORDON_RUNNER_REQUEST)
		code = cordon_fail(&err, CORDON_E_PARSE, "the runner's first frame was not a request");
	if (code == CORDON_OK)
		code = cordon_runner_request_decode(payload, header.length, &request, &err);
	free(payload);
	if (code != CORDON_OK) {
		send_failed(&r, CORDON_RUNNER_FAILED_ERROR, code, err.message);
		return RUNNER_EXIT_REFUSE;
	}
	code = launch_from(&request, &l, &err);
	cordon_stdio stdio = request.stdio;
	cordon_runner_request_free(&request);
	win_notes notes = {0};
	if (code == CORDON_OK)
		code = win_launch_start(&l, WIN_MODE_ELEVATED, &notes, &r.child, &err);
	win_launch_free(&l);
	if (code != CORDON_OK) {
		send_failed(&r, CORDON_RUNNER_FAILED_ERROR, code, err.message);
		return RUNNER_EXIT_REFUSE;
	}
	if (r.child->process == NULL) {
		/* Windows would not run the program: 126 or 127. */
		send_failed(&r,
			    r.child->exit.kind == CORDON_EXIT_NOT_FOUND ? CORDON_RUNNER_FAILED_NOT_FOUND
									: CORDON_RUNNER_FAILED_NOT_EXECUTABLE,
			    CORDON_OK, r.child->exit.detail);
		cordon_child_free(r.child);
		return 0;
	}
	/* The job's handle value here: the user side duplicates it (query
	 * access only) for its proxy, which admits only this job's
	 * processes. */
	cordon_runner_started started_info = {(uint32_t)r.child->pid, (uint64_t)(uintptr_t)r.child->job.job};
	uint8_t started[CORDON_RUNNER_STARTED_BYTES];
	cordon_runner_started_encode(&started_info, started);
	int status = RUNNER_EXIT_REFUSE;
	if (win_frame_send(&r.writer, CORDON_RUNNER_STARTED, started, sizeof(started)))
		status = supervise(&r, stdio);
	cordon_child_free(r.child);
	return status;
}
