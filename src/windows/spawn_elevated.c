/* The user side of an elevated-mode run: cordon, running as the user and
 * not elevated, starts a runner as the sandbox account and hands it the
 * command it planned (spawn.c). The runner (runner.c) starts the command
 * through the same win_launch_start, under a write-restricted token made
 * from its own token.
 *
 * Order, failing closed at every step (nothing runs until the last):
 * 1. the account (offline for network off/proxy, online for on) and the
 *    sandbox group are looked up by name;
 * 2. the run's ACLs, elevated variant (acl_plan.h: the roots also granted
 *    to the group, Everyone-writable entries also denied to it);
 * 3. a pipe whose DACL admits only the user and the account
 *    (runner_pipe.c), a random name, first instance only;
 * 4. the runner: CreateProcessWithLogonW(LOGON_WITH_PROFILE), suspended,
 *    put in a kill-on-close job the user side holds (when Windows lets a
 *    process of the secondary logon service be assigned), then resumed.
 *    CreateProcessWithLogonW because it needs no privilege: LogonUserW
 *    plus CreateProcessAsUserW would need SeAssignPrimaryTokenPrivilege,
 *    CreateProcessWithTokenW SeImpersonatePrivilege, and a user has
 *    neither. The profile is loaded so the account's HKCU is its own;
 * 5. the runner connects; the client's process id must be the runner's,
 *    and the client's token user (ImpersonateNamedPipeClient) must be the
 *    account's SID: a logon that "succeeded" with any other token is
 *    refused;
 * 6. the request goes over, the runner answers STARTED or FAILED, and
 *    from then on two threads relay: frames from the runner to local
 *    pipes the child's readers read (so child.c reads as in every other
 *    mode), and the child's stdin pipe to STDIN frames.
 *
 * Lifetime: the runner job dies with cordon (kill on close); whatever
 * Windows does with that job, the runner also ends the command's job when
 * the pipe breaks, which it does when cordon's process is gone. */
#include "windows/win_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/elevated.h"
#include "windows/runner_pipe.h"

/* How long the runner may take to connect: the first logon of an account
 * creates its profile, which takes seconds. */
#define RUNNER_CONNECT_MS 60000
/* How long past the run's own timeout the user side waits for the
 * runner's word before it ends the runner itself. */
#define RUNNER_GRACE_MS 5000

struct win_remote {
	win_frame_writer writer;
	bool writer_ready;
	HANDLE pipe;
	HANDLE reader_thread; /* frames from the runner */
	HANDLE stdin_thread;  /* the child's stdin pipe to STDIN frames */
	HANDLE stdin_read;
	HANDLE output_write[2]; /* the local ends the readers read from */
	HANDLE exited;		/* set once EXIT arrived or the runner is gone */
	HANDLE command_job;	/* the runner's job of the command, JOB_OBJECT_QUERY */
	bool exit_received;
	bool killed; /* the user side ended the runner's job itself */
	cordon_exit exit;
	char lost[256]; /* why no exit came */
	cordon_child *child;
};

typedef struct runner_identity {
	const char *name;  /* the account's name (UTF-8) */
	cordon_sid user;   /* what the runner's token must say */
	cordon_sid group;  /* CordonSandboxUsers */
	bool self;	   /* tests: the runner runs as this user */
	wchar_t *password; /* production only */
} runner_identity;

/* ------------------------------------------------------------ lookups */

/* This computer's account or group (local_account.c): never a domain's of
 * the same name, never another kind of name. */
static cordon_code lookup_sid(const char *name, const char *what, cordon_name_use expected, cordon_sid *sid,
			      cordon_error *err)
{
	win_local_lookup found;

	if (win_local_account_sid(name, expected, sid, &found))
		return CORDON_OK;
	if (!found.answered && found.error == ERROR_NOT_ENOUGH_MEMORY)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while looking up %s", name);
	if (!found.answered)
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"cannot run in elevated mode: the %s %s is not on this machine (error %lu); "
			"nothing was run; run 'cordon setup' again, as administrator",
			what, name, (unsigned long)found.error);
	return cordon_fail(err, CORDON_E_UNSUPPORTED,
			   "cannot run in elevated mode: the %s %s %s; nothing was run; run 'cordon setup' "
			   "again, as administrator",
			   what, name, found.reason);
}

static cordon_sandbox_account account_for(const cordon_resolved *policy)
{
	return cordon_resolved_network(policy) == CORDON_NETWORK_ON ? CORDON_ACCOUNT_ONLINE
								    : CORDON_ACCOUNT_OFFLINE;
}

/* cordon.exe: this program when it is cordon.exe, else the cordon.exe
 * beside it (a program using the library). Allocates. */
static wchar_t *runner_program(cordon_error *err)
{
	wchar_t path[MAX_PATH + 16];
	DWORD n = GetModuleFileNameW(NULL, path, MAX_PATH);
	if (n == 0 || n >= MAX_PATH) {
		cordon_fail(err, CORDON_E_SYSTEM, "cannot find cordon.exe to start the runner");
		return NULL;
	}
	wchar_t *slash = wcsrchr(path, L'\\');
	wchar_t *base = slash != NULL ? slash + 1 : path;
	if (_wcsicmp(base, L"cordon.exe") != 0) {
		wcscpy(base, L"cordon.exe");
		if (GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES) {
			cordon_fail(
				err, CORDON_E_UNSUPPORTED,
				"cannot run in elevated mode: the runner is cordon.exe, and there is none "
				"beside this program; nothing was run; install cordon.exe next to it");
			return NULL;
		}
	}
	return _wcsdup(path);
}

/* ------------------------------------------------------------ the runner process */

/* A job for the runner: dies when cordon's handle closes; no UI limits
 * (a job with them cannot hold a process that is already in a job, as
 * one started by the secondary logon service may be); breakaway allowed,
 * so the runner's command can go to its own job with UI limits. */
static cordon_code runner_job_create(win_job *job, cordon_error *err)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};

	memset(job, 0, sizeof(*job));
	job->job = CreateJobObjectW(NULL, NULL);
	if (job->job == NULL)
		return win_fail(err, GetLastError(), "cannot create the runner's job");
	limits.BasicLimitInformation.LimitFlags =
		JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_BREAKAWAY_OK;
	if (!SetInformationJobObject(job->job, JobObjectExtendedLimitInformation, &limits, sizeof(limits)))
		return win_fail(err, GetLastError(), "cannot make the runner's job end with cordon");
	return CORDON_OK;
}

static cordon_code start_runner(const runner_identity *who, const wchar_t *program, const wchar_t *pipe_name,
				PROCESS_INFORMATION *info, cordon_error *err)
{
	wchar_t system_dir[MAX_PATH];
	size_t size = wcslen(program) + wcslen(pipe_name) + 64;
	wchar_t *line = malloc(size * sizeof(wchar_t));
	STARTUPINFOW startup = {0};
	BOOL created;

	if (line == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the runner");
	swprintf(line, size, L"\"%ls\" " WIN_RUNNER_VERB_W L" %ls %lu", program, pipe_name,
		 (unsigned long)GetCurrentProcessId());
	/* The runner's own directory is the system's: the workspace may not
	 * be the account's to open yet. */
	if (GetSystemDirectoryW(system_dir, MAX_PATH) == 0)
		wcscpy(system_dir, L"C:\\");
	startup.cb = sizeof(startup);
	DWORD flags = CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT;
	if (who->self) {
		created = CreateProcessW(program, line, NULL, NULL, FALSE, flags, NULL, system_dir, &startup,
					 info);
	} else {
		wchar_t *account = win_wide(who->name);
		created = account != NULL &&
			  CreateProcessWithLogonW(account, L".", who->password, LOGON_WITH_PROFILE, program,
						  line, flags, NULL, system_dir, &startup, info);
		free(account);
	}
	DWORD error = GetLastError();
	free(line);
	if (!created)
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"cannot start cordon's runner as %s: Windows refused the logon (error %lu%s); "
			"nothing was run; check that the Secondary Logon service runs and run 'cordon "
			"setup' again, as administrator",
			who->self ? "this user" : who->name, (unsigned long)error,
			error == ERROR_CALL_NOT_IMPLEMENTED ? ": not implemented on this system" : "");
	return CORDON_OK;
}

/* ConnectNamedPipe, waiting for the runner or its death. */
static cordon_code await_runner(HANDLE pipe, HANDLE runner, cordon_error *err)
{
	OVERLAPPED overlapped = {0};
	cordon_code code = CORDON_OK;

	overlapped.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (overlapped.hEvent == NULL)
		return win_fail(err, GetLastError(), "cannot wait for the runner");
	if (!ConnectNamedPipe(pipe, &overlapped)) {
		DWORD error = GetLastError();
		if (error == ERROR_IO_PENDING) {
			HANDLE both[2] = {overlapped.hEvent, runner};
			DWORD waited = WaitForMultipleObjects(2, both, FALSE, RUNNER_CONNECT_MS);
			DWORD done;
			if (waited == WAIT_OBJECT_0 && GetOverlappedResult(pipe, &overlapped, &done, FALSE)) {
				code = CORDON_OK;
			} else {
				DWORD status = 0;
				CancelIo(pipe);
				GetExitCodeProcess(runner, &status);
				code = cordon_fail(err, CORDON_E_SYSTEM,
						   waited == WAIT_OBJECT_0 + 1
							   ? "cordon's runner ended (status %lu) before it "
							     "connected; nothing "
							     "was run; run 'cordon doctor'"
							   : "cordon's runner did not connect within the "
							     "time allowed (status "
							     "%lu); nothing was run; run 'cordon doctor'",
						   (unsigned long)status);
			}
		} else if (error != ERROR_PIPE_CONNECTED) {
			code = win_fail(err, error, "cannot wait for the runner to connect");
		}
	}
	CloseHandle(overlapped.hEvent);
	return code;
}

/* Whoever connected must be the runner cordon started, running as the
 * account: its process id, then its token's user. A logon that
 * "succeeded" with some other token (Wine's LogonUserW does) ends here. */
static cordon_code check_runner(HANDLE pipe, DWORD runner_pid, const runner_identity *who, cordon_error *err)
{
	ULONG client = 0;
	cordon_runner_header header;
	cordon_runner_hello hello;
	uint8_t *payload = NULL;
	cordon_sid connected;
	char want[CORDON_SID_STRING_MAX], got[CORDON_SID_STRING_MAX];

	if (!GetNamedPipeClientProcessId(pipe, &client))
		return win_fail(err, GetLastError(), "cannot ask who connected to the runner's pipe");
	if (client != runner_pid)
		return cordon_fail(err, CORDON_E_UNSUPPORTED,
				   "process %lu, not cordon's runner (%lu), connected to the runner's pipe; "
				   "nothing was run",
				   (unsigned long)client, (unsigned long)runner_pid);
	cordon_code code = win_frame_receive(pipe, false, &header, &payload, err);
	if (code == CORDON_OK && header.type != CORDON_RUNNER_HELLO)
		code = cordon_fail(err, CORDON_E_PARSE,
				   "the runner did not start with its hello; nothing was run");
	if (code == CORDON_OK)
		code = cordon_runner_hello_decode(payload, header.length, &hello, err);
	free(payload);
	if (code == CORDON_OK && hello.pid != runner_pid)
		code = cordon_fail(err, CORDON_E_UNSUPPORTED,
				   "the runner says it is process %lu, not %lu; nothing was run",
				   (unsigned long)hello.pid, (unsigned long)runner_pid);
	if (code == CORDON_OK)
		/* A sandbox account in Administrators is refused; the Wine
		 * test's runner runs as the test's own (administrator) user. */
		code = win_pipe_client_user_sid(pipe, !who->self, &connected, err);
	if (code != CORDON_OK)
		return code;
	if (!cordon_sid_equal(&connected, &who->user)) {
		cordon_sid_format(&who->user, want, sizeof(want));
		cordon_sid_format(&connected, got, sizeof(got));
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"cordon's runner runs as %s, not as %s (%s): the logon gave another token; "
			"nothing was run; run 'cordon setup' again, as administrator",
			got, who->self ? "this user" : who->name, want);
	}
	return CORDON_OK;
}

/* ------------------------------------------------------------ the request */

static cordon_code send_request(const win_launch *l, const cordon_win_acl_outcome *acl,
				const cordon_resolved *policy, HANDLE runner_process, win_remote *remote,
				cordon_error *err)
{
	cordon_runner_request request = {0};
	uint8_t *bytes = NULL;
	size_t length = 0;
	cordon_code code = CORDON_OK;

	request.application = win_utf8(l->application, -1);
	request.command_line = win_utf8(l->command_line, -1);
	request.cwd = win_utf8(l->cwd, -1);
	request.environment = l->env.entries;
	request.environment_count = l->env.count;
	request.stdio = l->stdio;
	request.rows = l->rows;
	request.cols = l->cols;
	request.timeout_ms = l->timeout_ms;
	request.mode = cordon_resolved_mode(policy);
	for (size_t i = 0; i < cordon_resolved_root_count(policy); i++) {
		cordon_root_kind kind;
		cordon_resolved_root(policy, i, &kind);
		request.has_shared_roots |= kind != CORDON_ROOT_WORKSPACE;
	}
	request.workspace_sid = acl->workspace_sid;
	request.shared_sid = acl->shared_sid;
	request.sandbox_sid = acl->sandbox_sid;
	request.readonly_sid = acl->readonly_sid;
	/* Inherit mode: the account cannot open the user's console or files;
	 * the user side hands the runner its own handles. */
	if (l->stdio == CORDON_STDIO_INHERIT) {
		static const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
		for (int i = 0; i < 3; i++) {
			HANDLE own = GetStdHandle(which[i]), theirs = NULL;
			if (own != NULL && own != INVALID_HANDLE_VALUE &&
			    DuplicateHandle(GetCurrentProcess(), own, runner_process, &theirs, 0, FALSE,
					    DUPLICATE_SAME_ACCESS))
				request.inherit_handles[i] = (uint64_t)(uintptr_t)theirs;
		}
	}
	if (request.application == NULL || request.command_line == NULL || request.cwd == NULL)
		code = cordon_fail(err, CORDON_E_NOMEM, "out of memory while writing the runner's request");
	if (code == CORDON_OK)
		code = cordon_runner_request_encode(&request, &bytes, &length, err);
	if (code == CORDON_OK &&
	    !win_frame_send(&remote->writer, CORDON_RUNNER_REQUEST, bytes, (uint32_t)length))
		code = win_fail(err, GetLastError(), "cannot send the command to the runner");
	free(bytes);
	free(request.application);
	free(request.command_line);
	free(request.cwd);
	return code;
}

/* The command's job, from the runner's handle table into ours, with
 * query access only: what the proxy needs to list its processes. */
static cordon_code take_command_job(win_remote *remote, HANDLE runner, uint64_t value, cordon_error *err)
{
	if (DuplicateHandle(runner, (HANDLE)(uintptr_t)value, GetCurrentProcess(), &remote->command_job,
			    JOB_OBJECT_QUERY, FALSE, 0))
		return CORDON_OK;
	remote->command_job = NULL;
	return win_fail(err, GetLastError(), "cannot open the command's job in cordon's runner");
}

/* The runner's answer: STARTED (its pid in *pid, its job in
 * remote->command_job) or FAILED (a child that never ran in *never_ran,
 * or an error). */
static cordon_code await_started(win_remote *remote, HANDLE runner, DWORD *pid, cordon_child **never_ran,
				 cordon_error *err)
{
	cordon_runner_header header;
	uint8_t *payload = NULL;
	cordon_code code = win_frame_receive(remote->pipe, false, &header, &payload, err);

	*never_ran = NULL;
	if (code == CORDON_E_STATE)
		code = cordon_fail(err, CORDON_E_SYSTEM,
				   "cordon's runner went away before starting the command; nothing was run");
	if (code != CORDON_OK)
		return code;
	if (header.type == CORDON_RUNNER_STARTED) {
		cordon_runner_started started = {0};
		code = cordon_runner_started_decode(payload, header.length, &started, err);
		*pid = started.pid;
		if (code == CORDON_OK)
			code = take_command_job(remote, runner, started.job_handle, err);
	} else if (header.type == CORDON_RUNNER_FAILED) {
		cordon_runner_failed failed;
		code = cordon_runner_failed_decode(payload, header.length, &failed, err);
		if (code == CORDON_OK && failed.failure == CORDON_RUNNER_FAILED_ERROR)
			code = cordon_fail(err, failed.code, "%s", failed.message);
		else if (code == CORDON_OK)
			*never_ran = win_child_never_ran(failed.failure == CORDON_RUNNER_FAILED_NOT_FOUND
								 ? CORDON_EXIT_NOT_FOUND
								 : CORDON_EXIT_NOT_EXECUTABLE,
							 failed.message);
	} else {
		code = cordon_fail(err, CORDON_E_PARSE,
				   "the runner answered the request with frame type %d; nothing was run",
				   (int)header.type);
	}
	free(payload);
	return code;
}

/* ------------------------------------------------------------ relays */

static void close_outputs(win_remote *remote)
{
	for (int i = 0; i < 2; i++) {
		if (remote->output_write[i] != NULL)
			CloseHandle(remote->output_write[i]);
		remote->output_write[i] = NULL;
	}
}

static void write_local(HANDLE to, const uint8_t *bytes, DWORD length)
{
	while (to != NULL && length > 0) {
		DWORD written = 0;
		if (!WriteFile(to, bytes, length, &written, NULL))
			return; /* nobody reads it any more */
		bytes += written;
		length -= written;
	}
}

static DWORD WINAPI relay_from_runner(void *context)
{
	win_remote *remote = context;
	cordon_error err;

	for (;;) {
		cordon_runner_header header;
		uint8_t *payload = NULL;
		cordon_code code = win_frame_receive(remote->pipe, false, &header, &payload, &err);
		if (code != CORDON_OK) {
			if (!remote->exit_received)
				snprintf(remote->lost, sizeof(remote->lost), "%s", err.message);
			free(payload);
			break;
		}
		if (header.type == CORDON_RUNNER_STDOUT)
			write_local(remote->output_write[0], payload, header.length);
		else if (header.type == CORDON_RUNNER_STDERR)
			write_local(remote->output_write[1] ? remote->output_write[1]
							    : remote->output_write[0],
				    payload, header.length);
		else if (header.type == CORDON_RUNNER_EXIT && !remote->exit_received &&
			 cordon_runner_exit_decode(payload, header.length, &remote->exit, &err) == CORDON_OK)
			remote->exit_received = true;
		free(payload);
		if (remote->exit_received)
			break;
	}
	/* The runner sends EXIT after the last output: the readers see the
	 * end of their streams, then the wait sees the exit. */
	close_outputs(remote);
	SetEvent(remote->exited);
	return 0;
}

static DWORD WINAPI relay_stdin(void *context)
{
	win_remote *remote = context;
	uint8_t buffer[CORDON_RUNNER_DATA_MAX];

	for (;;) {
		DWORD got = 0;
		if (!ReadFile(remote->stdin_read, buffer, sizeof(buffer), &got, NULL) || got == 0) {
			win_frame_send(&remote->writer, CORDON_RUNNER_STDIN_CLOSE, NULL, 0);
			return 0;
		}
		if (!win_frame_send(&remote->writer, CORDON_RUNNER_STDIN, buffer, got))
			return 0;
	}
}

/* The child's local streams: the same shapes as stdio.c makes, with the
 * relays at the far ends instead of a process. */
static cordon_code local_streams(win_remote *remote, cordon_child *child, cordon_error *err)
{
	cordon_code code = CORDON_OK;
	win_stdio *stdio = &child->stdio;

	memset(stdio, 0, sizeof(*stdio));
	if (child->stdio_mode == CORDON_STDIO_INHERIT)
		return CORDON_OK;
	if (!CreatePipe(&remote->stdin_read, &stdio->stdin_write, NULL, 65536))
		return win_fail(err, GetLastError(), "cannot create the pipe for the command's input");
	int outputs = child->stdio_mode == CORDON_STDIO_PIPES ? 2 : 1;
	for (int i = 0; i < outputs && code == CORDON_OK; i++)
		code = win_output_pipe(&stdio->readers[i], &remote->output_write[i], false, err);
	return code;
}

static cordon_code start_relays(win_remote *remote, cordon_child *child, cordon_error *err)
{
	remote->reader_thread = CreateThread(NULL, 0, relay_from_runner, remote, 0, NULL);
	if (remote->reader_thread == NULL)
		return win_fail(err, GetLastError(), "cannot start relaying the runner's output");
	if (child->stdio_mode != CORDON_STDIO_INHERIT) {
		remote->stdin_thread = CreateThread(NULL, 0, relay_stdin, remote, 0, NULL);
		if (remote->stdin_thread == NULL)
			return win_fail(err, GetLastError(), "cannot start relaying the command's input");
	}
	return CORDON_OK;
}

/* ------------------------------------------------------------ the child */

/* Ends the runner's job from here: the runner dies, and with its last
 * handle the command's job. */
static void kill_runner(cordon_child *child)
{
	child->remote->killed = true;
	win_job_kill(&child->job, 1);
	if (child->process != NULL)
		TerminateProcess(child->process, 1);
}

cordon_code win_remote_wait(cordon_child *child, int timeout_ms, cordon_exit *out, cordon_error *err)
{
	win_remote *remote = child->remote;
	ULONGLONG now = GetTickCount64();
	ULONGLONG deadline = timeout_ms < 0 ? ULLONG_MAX : now + (ULONGLONG)timeout_ms;
	/* The runner enforces the timeout; the user side ends the runner
	 * itself if its word does not come soon after. */
	ULONGLONG backstop =
		child->timeout_ms ? child->started_ms + child->timeout_ms + RUNNER_GRACE_MS : ULLONG_MAX;

	while (!child->finished) {
		ULONGLONG until = deadline < backstop ? deadline : backstop;
		now = GetTickCount64();
		DWORD slice = until == ULLONG_MAX ? INFINITE
			      : until <= now	  ? 0
					     : (DWORD)(until - now > 0x7FFFFFFF ? 0x7FFFFFFF : until - now);
		DWORD waited = WaitForSingleObject(remote->exited, slice);
		if (waited == WAIT_OBJECT_0) {
			if (!remote->exit_received) {
				child->finished = true;
				child->exit.kind = CORDON_EXIT_SIGNAL;
				child->exit.signal_number = 9;
				if (remote->killed)
					continue; /* terminated from here: signal 9, as asked */
				return cordon_fail(err, CORDON_E_SYSTEM,
						   "cordon's runner ended without reporting how the command "
						   "ended (%s); the command and its processes were ended",
						   remote->lost[0] ? remote->lost : "no reason given");
			}
			child->exit = remote->exit;
			child->finished = true;
		} else if (GetTickCount64() >= backstop) {
			kill_runner(child);
			child->finished = true;
			memset(&child->exit, 0, sizeof(child->exit));
			child->exit.kind = CORDON_EXIT_TIMEOUT;
			snprintf(child->exit.detail, sizeof(child->exit.detail),
				 "killed after the %u ms timeout (the runner did not end it)",
				 child->timeout_ms);
		} else if (GetTickCount64() >= deadline) {
			return cordon_fail(err, CORDON_E_TIMEOUT, "the command is still running");
		}
	}
	/* The ACLs are the user side's: the runner knows nothing of them
	 * (the run log's count). */
	child->exit.acls_applied = child->acls_applied;
	child->exit.acl_descriptors_written = child->acl_descriptors_written;
	*out = child->exit;
	return CORDON_OK;
}

cordon_code win_remote_terminate(cordon_child *child, cordon_error *err)
{
	win_remote *remote = child->remote;
	(void)err;
	if (child->finished)
		return CORDON_OK;
	/* The runner ends the tree and reports signal 9. When the pipe is
	 * busy (input the command does not read fills it) or broken, the
	 * runner's job goes instead, and the command's with it. */
	if (TryEnterCriticalSection(&remote->writer.lock)) {
		bool sent = win_frame_send(&remote->writer, CORDON_RUNNER_TERMINATE, NULL, 0);
		LeaveCriticalSection(&remote->writer.lock);
		if (sent)
			return CORDON_OK;
	}
	kill_runner(child);
	return CORDON_OK;
}

cordon_code win_remote_resize(cordon_child *child, unsigned short rows, unsigned short cols,
			      cordon_error *err)
{
	uint8_t bytes[CORDON_RUNNER_RESIZE_BYTES];
	cordon_runner_resize_encode(rows, cols, bytes);
	if (!win_frame_send(&child->remote->writer, CORDON_RUNNER_RESIZE, bytes, sizeof(bytes)))
		return win_fail(err, GetLastError(), "cannot tell the runner the terminal's new size");
	return CORDON_OK;
}

static void stop_thread(HANDLE *thread)
{
	if (*thread == NULL)
		return;
	CancelSynchronousIo(*thread);
	if (WaitForSingleObject(*thread, 5000) == WAIT_OBJECT_0)
		CloseHandle(*thread);
	/* A thread that does not stop keeps its handles: leaked, never freed
	 * under it. */
	*thread = NULL;
}

void win_remote_free(win_remote *remote)
{
	if (remote == NULL)
		return;
	cordon_child *child = remote->child;
	/* The runner and the command end with the runner's job, and with
	 * the runner itself if Windows kept it out of that job. */
	win_job_close(&child->job);
	if (child->process != NULL)
		TerminateProcess(child->process, 1);
	if (remote->pipe != NULL)
		CancelIoEx(remote->pipe, NULL);
	if (child->stdio.stdin_write != NULL) {
		CloseHandle(child->stdio.stdin_write);
		child->stdio.stdin_write = NULL;
	}
	stop_thread(&remote->stdin_thread);
	stop_thread(&remote->reader_thread);
	if (remote->stdin_read != NULL)
		CloseHandle(remote->stdin_read);
	close_outputs(remote);
	if (remote->pipe != NULL)
		CloseHandle(remote->pipe);
	if (remote->exited != NULL)
		CloseHandle(remote->exited);
	if (remote->command_job != NULL)
		CloseHandle(remote->command_job);
	if (remote->writer_ready)
		win_frame_writer_destroy(&remote->writer);
	child->remote = NULL;
	free(remote);
}

/* ------------------------------------------------------------ the whole */

static cordon_code identify(const cordon_resolved *policy, const win_runner_test *test, runner_identity *who,
			    cordon_error *err)
{
	cordon_code code;

	memset(who, 0, sizeof(*who));
	if (test != NULL && test->group_sid != NULL)
		code = cordon_sid_parse(test->group_sid, &who->group)
			       ? CORDON_OK
			       : cordon_fail(err, CORDON_E_INVALID, "test: the group SID is malformed");
	else
		code = lookup_sid(CORDON_SANDBOX_GROUP, "sandbox group", CORDON_NAME_ALIAS, &who->group, err);
	if (code != CORDON_OK)
		return code;
	if (test != NULL && test->as_self) {
		who->self = true;
		who->name = "this user";
		code = win_own_user_sid(&who->user, err);
		if (code == CORDON_OK && test->expected_user != NULL &&
		    !cordon_sid_parse(test->expected_user, &who->user))
			code = cordon_fail(err, CORDON_E_INVALID, "test: bad expected SID");
		return code;
	}
	cordon_sandbox_account which = account_for(policy);
	who->name =
		test != NULL && test->account != NULL ? test->account : cordon_account_spec_of(which)->name;
	code = lookup_sid(who->name, "sandbox account", CORDON_NAME_USER, &who->user, err);
	if (code != CORDON_OK)
		return code;
	if (test != NULL && test->password != NULL) {
		who->password = _wcsdup(test->password);
		return who->password != NULL
			       ? CORDON_OK
			       : cordon_fail(err, CORDON_E_NOMEM, "out of memory (test password)");
	}
	return win_setup_password_load(cordon_resolved_state_dir(policy), which, &who->password, err);
}

static void identity_free(runner_identity *who)
{
	if (who->password != NULL)
		win_setup_password_free(who->password);
	who->password = NULL;
}

cordon_code win_elevated_spawn_with(const cordon_resolved *policy, const win_launch *l,
				    const win_notes *notes, const win_runner_test *test, cordon_child **out,
				    cordon_error *err)
{
	runner_identity who;
	cordon_win_acl_outcome acl = {0};
	wchar_t pipe_name[WIN_RUNNER_PIPE_NAME_MAX];
	wchar_t *program = NULL;
	PROCESS_INFORMATION info = {0};
	cordon_child *child = NULL, *never_ran = NULL;
	win_remote *remote = NULL;
	DWORD command_pid = 0;
	bool acl_ready = false;

	*out = NULL;
	cordon_code code = identify(policy, test, &who, err);
	if (code == CORDON_OK)
		code = win_acls_prepare(policy, &who.group, &acl, err);
	acl_ready = code == CORDON_OK;
	size_t descriptors_written = acl_ready ? acl.applied.descriptors_written : 0;
	program = code == CORDON_OK
			  ? (test != NULL && test->runner_program != NULL ? _wcsdup(test->runner_program)
									  : runner_program(err))
			  : NULL;
	if (code == CORDON_OK && program == NULL)
		code = err != NULL && err->code != CORDON_OK ? err->code : CORDON_E_NOMEM;
	child = code == CORDON_OK ? calloc(1, sizeof(*child)) : NULL;
	remote = child != NULL ? calloc(1, sizeof(*remote)) : NULL;
	if (code == CORDON_OK && remote == NULL)
		code = cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the runner");
	if (code == CORDON_OK) {
		child->remote = remote;
		child->stdio_mode = l->stdio;
		child->mode = WIN_MODE_ELEVATED;
		child->notes = *notes;
		child->timeout_ms = l->timeout_ms;
		child->acls_applied = true;
		child->acl_descriptors_written = descriptors_written;
		remote->child = child;
		remote->exited = CreateEventW(NULL, TRUE, FALSE, NULL);
		code = remote->exited != NULL ? runner_job_create(&child->job, err)
					      : win_fail(err, GetLastError(), "cannot create an event");
	}
	if (code == CORDON_OK)
		code = win_runner_pipe_create(&who.user, 1, pipe_name, WIN_RUNNER_PIPE_NAME_MAX,
					      &remote->pipe, err);
	if (code == CORDON_OK) {
		win_frame_writer_init(&remote->writer, remote->pipe);
		remote->writer_ready = true;
		code = start_runner(&who, program, pipe_name, &info, err);
	}
	identity_free(&who);
	if (code == CORDON_OK) {
		child->process = info.hProcess;
		/* Best effort: the runner also ends the command when the pipe
		 * breaks (runner.c); the Wine test checks that alone too. */
		if (test == NULL || !test->runner_outside_job)
			AssignProcessToJobObject(child->job.job, info.hProcess);
		if (ResumeThread(info.hThread) == (DWORD)-1)
			code = win_fail(err, GetLastError(), "cannot start the runner's first thread");
		CloseHandle(info.hThread);
	}
	if (code == CORDON_OK)
		code = await_runner(remote->pipe, info.hProcess, err);
	if (code == CORDON_OK)
		code = check_runner(remote->pipe, info.dwProcessId, &who, err);
	if (code == CORDON_OK)
		code = send_request(l, &acl, policy, info.hProcess, remote, err);
	if (code == CORDON_OK)
		code = await_started(remote, info.hProcess, &command_pid, &never_ran, err);
	if (code == CORDON_OK && never_ran == NULL) {
		child->pid = command_pid;
		child->started_ms = GetTickCount64();
		code = local_streams(remote, child, err);
		if (code == CORDON_OK)
			code = start_relays(remote, child, err);
	}
	if (acl_ready)
		cordon_win_acl_outcome_free(&acl);
	free(program);
	if (code != CORDON_OK || never_ran != NULL) {
		if (child != NULL && remote == NULL)
			free(child);
		else
			cordon_child_free(child);
		if (never_ran != NULL)
			never_ran->notes = *notes;
		*out = never_ran;
		return code;
	}
	*out = child;
	return CORDON_OK;
}

HANDLE win_remote_command_job(const win_remote *remote)
{
	return remote->command_job;
}
