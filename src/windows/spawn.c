/* cordon_spawn on Windows: the one place the Windows backend starts a
 * process.
 *
 * The mode is chosen first (mode.c: refuse without elevated setup unless
 * --best-effort). Then the environment plan and the program search (the
 * stubs come first, the workspace is never searched), the command line
 * (CommandLineToArgvW quoting; batch files through cmd.exe with arguments
 * it cannot split, or refused), the restricted token (token.c), the job
 * (job.c), the private desktop (desktop.c) and the standard handles
 * (stdio.c). The process is created suspended with a handle list of
 * exactly its three standard handles, assigned to the job before its
 * first instruction, and only then resumed. Nothing starts a command any
 * other way. */
#include "windows/win_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/wincmdline.h"

typedef struct launch {
	wchar_t *application;
	wchar_t *command_line;
	wchar_t *environment;
	wchar_t *cwd;
	HANDLE token; /* NULL: cordon's own token (full access) */
	bool acls_applied;
	size_t acl_descriptors_written; /* for the run log */
} launch;

static void launch_free(launch *l)
{
	free(l->application);
	free(l->command_line);
	free(l->environment);
	free(l->cwd);
	if (l->token != NULL)
		CloseHandle(l->token);
}

/* Allocates the path of the system's cmd.exe (not %ComSpec%, which the
 * environment could point anywhere). */
static char *system_cmd_path(void)
{
	wchar_t dir[MAX_PATH];
	UINT n = GetSystemDirectoryW(dir, MAX_PATH);
	if (n == 0 || n >= MAX_PATH - 9)
		return NULL;
	wcscat(dir, L"\\cmd.exe");
	return win_utf8(dir, -1);
}

/* The program and its command line; batch files run through cmd.exe. */
static cordon_code build_command(const char *program, const char *const *argv, launch *l, cordon_error *err)
{
	char *line = NULL;
	char *application = NULL;

	if (cordon_win_is_batch_file(program)) {
		application = system_cmd_path();
		if (application == NULL)
			return cordon_fail(err, CORDON_E_SYSTEM,
					   "cannot find cmd.exe to run the batch file '%s'", program);
		line = cordon_win_batch_command_line(application, program, argv + 1, err);
	} else {
		application = strdup(program);
		if (application == NULL)
			return cordon_fail(err, CORDON_E_NOMEM,
					   "out of memory while building the command line");
		line = cordon_win_command_line(argv, err);
	}
	if (line == NULL) {
		free(application);
		return err != NULL ? err->code : CORDON_E_INVALID;
	}
	l->application = win_wide(application);
	l->command_line = win_wide(line);
	free(application);
	free(line);
	if (l->application == NULL || l->command_line == NULL)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot pass the command line to Windows: an argument is not valid UTF-8");
	return CORDON_OK;
}

static cordon_code check_options(const cordon_resolved *policy, const cordon_spawn_options *options,
				 cordon_child **out, cordon_error *err)
{
	if (out != NULL)
		*out = NULL;
	if (policy == NULL || options == NULL || out == NULL)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cordon_spawn needs a policy, options and somewhere to put the child");
	if (options->argv == NULL || options->argv[0] == NULL || options->argv[0][0] == '\0')
		return cordon_fail(err, CORDON_E_INVALID,
				   "no program to run: give the command to run after '--'");
	if (options->stdio != CORDON_STDIO_INHERIT && options->stdio != CORDON_STDIO_PIPES &&
	    options->stdio != CORDON_STDIO_PTY)
		return cordon_fail(err, CORDON_E_INVALID, "unknown stdio mode %d", (int)options->stdio);
	return CORDON_OK;
}

cordon_code win_acls_and_token(const cordon_resolved *policy, HANDLE *token, size_t *descriptors_written,
			       cordon_error *err)
{
	size_t root_count = cordon_resolved_root_count(policy);
	size_t protected_count = cordon_resolved_protected_count(policy);
	cordon_acl_root *roots = calloc(root_count + 1, sizeof(*roots));
	const char **names = calloc(protected_count + 1, sizeof(*names));
	cordon_win_acl_outcome outcome;
	cordon_code code;

	*token = NULL;
	if (roots == NULL || names == NULL) {
		free(roots);
		free(names);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while preparing the run's ACLs");
	}
	for (size_t i = 0; i < root_count; i++)
		roots[i].path = cordon_resolved_root(policy, i, &roots[i].kind);
	for (size_t i = 0; i < protected_count; i++)
		names[i] = cordon_resolved_protected(policy, i);
	/* The Everyone-writable directories the bounded audit found (audit.c;
	 * recorded, so a warm run does not walk the machine again). */
	win_audit_found audited = {0};
	win_audit_found_load(cordon_resolved_state_dir(policy), &audited);
	cordon_win_acl_request request = {
		.mode = cordon_resolved_mode(policy),
		.workspace = cordon_resolved_cwd(policy),
		.roots = roots,
		.root_count = root_count,
		.protected_names = names,
		.protected_count = protected_count,
		.state_dir = cordon_resolved_state_dir(policy),
		.audit_dirs = (const char *const *)audited.dirs,
		.audit_dir_count = audited.count,
		.audit_dirs_listed_only = true,
	};
	code = cordon_win_acl_prepare(&request, &outcome, err);
	win_audit_found_free(&audited);
	if (code == CORDON_OK) {
		if (descriptors_written != NULL)
			*descriptors_written = outcome.applied.descriptors_written;
		code = win_token_restricted(policy, &outcome, token, err);
		cordon_win_acl_outcome_free(&outcome);
	}
	free(roots);
	free(names);
	return code;
}

/* Everything before a process exists: no side effect on failure except
 * the state directory, the install secret and the stubs. Fills *l, or
 * *never_ran when the program cannot be found or executed. */
static cordon_code prepare(const cordon_resolved *policy, const cordon_spawn_options *options, win_mode mode,
			   launch *l, cordon_child **never_ran, cordon_error *err)
{
	char *stub_dir = NULL;
	char *program = NULL;
	char detail[256];
	cordon_env_plan plan = {0};
	cordon_code code = CORDON_OK;
	bool stubs = mode != WIN_MODE_FULL_ACCESS && cordon_resolved_network(policy) != CORDON_NETWORK_ON;

	if (mode != WIN_MODE_FULL_ACCESS) {
		code = win_paths_check(policy, err);
		if (code != CORDON_OK)
			return code;
	}
	if (stubs) {
		code = win_stubs_install(cordon_resolved_state_dir(policy), &stub_dir, err);
		if (code != CORDON_OK)
			return code;
	}
	code = win_environment_plan(policy, mode, options->envp, stub_dir, &plan, err);
	free(stub_dir);
	if (code != CORDON_OK)
		return code;
	switch (win_program_search(&plan, cordon_resolved_cwd(policy), options->argv[0], &program, detail,
				   sizeof(detail))) {
	case WIN_SEARCH_FOUND: break;
	case WIN_SEARCH_NOT_FOUND: *never_ran = win_child_never_ran(CORDON_EXIT_NOT_FOUND, detail); goto done;
	case WIN_SEARCH_NOT_EXECUTABLE:
		*never_ran = win_child_never_ran(CORDON_EXIT_NOT_EXECUTABLE, detail);
		goto done;
	}
	code = build_command(program, options->argv, l, err);
	if (code != CORDON_OK)
		goto done;
	l->environment = win_environment_block(&plan, err);
	if (l->environment == NULL) {
		code = err != NULL ? err->code : CORDON_E_INVALID;
		goto done;
	}
	l->cwd = win_wide(cordon_resolved_cwd(policy));
	if (l->cwd == NULL) {
		code = cordon_fail(err, CORDON_E_INVALID, "the working directory is not valid UTF-8");
		goto done;
	}
	if (mode == WIN_MODE_RESTRICTED_TOKEN) {
		code = win_acls_and_token(policy, &l->token, &l->acl_descriptors_written, err);
		l->acls_applied = code == CORDON_OK;
	}
done:
	if (*never_ran == NULL && code == CORDON_OK && l->application == NULL)
		code = cordon_fail(err, CORDON_E_NOMEM, "out of memory while preparing the command");
	free(program);
	cordon_env_plan_free(&plan);
	return code;
}

/* Exit kinds for CreateProcess failures that are the program's fault. */
static bool creation_failure_is_the_program(DWORD error, cordon_exit_kind *kind)
{
	switch (error) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND: *kind = CORDON_EXIT_NOT_FOUND; return true;
	case ERROR_BAD_EXE_FORMAT:
	case ERROR_EXE_MACHINE_TYPE_MISMATCH:
	case ERROR_ACCESS_DENIED:
	case ERROR_EXE_MARKED_INVALID:
	case ERROR_INVALID_EXE_SIGNATURE: *kind = CORDON_EXIT_NOT_EXECUTABLE; return true;
	default: return false;
	}
}

static cordon_code start_process(cordon_child *child, launch *l, cordon_error *err)
{
	SIZE_T size = 0;
	STARTUPINFOEXW startup = {0};
	PROCESS_INFORMATION info = {0};
	cordon_code code = CORDON_OK;
	HANDLE handles[3];
	DWORD64 mitigations = 0;
	bool pty = child->stdio_mode == CORDON_STDIO_PTY;

	InitializeProcThreadAttributeList(NULL, 2, 0, &size);
	startup.lpAttributeList = malloc(size);
	if (startup.lpAttributeList == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the command");
	if (!InitializeProcThreadAttributeList(startup.lpAttributeList, 2, 0, &size)) {
		free(startup.lpAttributeList);
		return win_fail(err, GetLastError(), "cannot prepare the command's start attributes");
	}
	/* Exactly the three standard handles; every other inheritable
	 * handle cordon's process holds stays out. With a pseudo console the
	 * command inherits nothing, and its standard handles are set to NULL
	 * so Windows gives it the console's, never cordon's own. */
	for (int i = 0; i < 3; i++)
		handles[i] = child->stdio.child[i];
	if (pty)
		code = win_pty_attach(&child->stdio, startup.lpAttributeList, err);
	else if (!UpdateProcThreadAttribute(startup.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
					    handles, sizeof(handles), NULL, NULL))
		code = win_fail(err, GetLastError(), "cannot limit the handles the command inherits");
	/* Sandboxed runs only (mitigation.c); full access runs as the user
	 * would. */
	if (code == CORDON_OK && child->mode != WIN_MODE_FULL_ACCESS)
		code = win_mitigation_attach(startup.lpAttributeList, &mitigations, err);
	if (code != CORDON_OK)
		goto done;
	startup.StartupInfo.cb = sizeof(startup);
	startup.StartupInfo.dwFlags = pty && !win_pty_needs_null_std_handles() ? 0 : STARTF_USESTDHANDLES;
	startup.StartupInfo.hStdInput = handles[0];
	startup.StartupInfo.hStdOutput = handles[1];
	startup.StartupInfo.hStdError = handles[2];
	/* Sandboxed runs start on the run's private desktop (desktop.c);
	 * NULL (full access) is cordon's own. */
	startup.StartupInfo.lpDesktop = child->desktop.full_name;
	DWORD flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT;
	BOOL created =
		l->token != NULL
			? CreateProcessAsUserW(l->token, l->application, l->command_line, NULL, NULL, !pty,
					       flags, l->environment, l->cwd, &startup.StartupInfo, &info)
			: CreateProcessW(l->application, l->command_line, NULL, NULL, !pty, flags,
					 l->environment, l->cwd, &startup.StartupInfo, &info);
	if (!created) {
		DWORD error = GetLastError();
		cordon_exit_kind kind;
		if (creation_failure_is_the_program(error, &kind)) {
			child->finished = true;
			child->exit.kind = kind;
			char *shown = win_utf8(l->application, -1);
			snprintf(child->exit.detail, sizeof(child->exit.detail), "%s: %s",
				 shown ? shown : "program",
				 kind == CORDON_EXIT_NOT_FOUND ? "not found"
							       : "not a program Windows can run");
			free(shown);
			goto done;
		}
		code = win_fail(err, error, "cannot start the command");
		goto done;
	}
	/* In the job before its first instruction: a process that never
	 * ran unconfined cannot have started anything outside it. */
	if (!AssignProcessToJobObject(child->job.job, info.hProcess)) {
		DWORD error = GetLastError();
		TerminateProcess(info.hProcess, 1);
		CloseHandle(info.hThread);
		CloseHandle(info.hProcess);
		code = win_fail(err, error, "cannot put the command in the run's job; nothing was run");
		goto done;
	}
	child->process = info.hProcess;
	child->pid = info.dwProcessId;
	child->started_ms = GetTickCount64();
	if (ResumeThread(info.hThread) == (DWORD)-1)
		code = win_fail(err, GetLastError(), "cannot start the command's first thread");
	CloseHandle(info.hThread);
done:
	DeleteProcThreadAttributeList(startup.lpAttributeList);
	free(startup.lpAttributeList);
	return code;
}

cordon_code cordon_spawn(const cordon_resolved *policy, const cordon_spawn_options *options,
			 cordon_child **out, cordon_error *err)
{
	win_mode mode;
	win_notes notes;
	launch l = {0};
	cordon_child *never_ran = NULL;
	cordon_code code = check_options(policy, options, out, err);
	if (code != CORDON_OK)
		return code;
	code = win_mode_choose(policy, &mode, &notes, err);
	if (code != CORDON_OK)
		return code;
	code = prepare(policy, options, mode, &l, &never_ran, err);
	if (code != CORDON_OK || never_ran != NULL) {
		launch_free(&l);
		if (never_ran != NULL)
			never_ran->notes = notes;
		*out = never_ran;
		return code;
	}
	cordon_child *child = calloc(1, sizeof(*child));
	if (child == NULL) {
		launch_free(&l);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the command");
	}
	child->stdio_mode = options->stdio;
	child->mode = mode;
	child->notes = notes;
	child->timeout_ms = options->timeout_ms;
	child->acls_applied = l.acls_applied;
	child->acl_descriptors_written = l.acl_descriptors_written;
	code = win_job_create(&child->job, err);
	if (code == CORDON_OK && mode != WIN_MODE_FULL_ACCESS)
		code = win_desktop_create(l.token, &child->desktop, err);
	if (code == CORDON_OK)
		code = win_stdio_prepare(options->stdio, options->rows, options->cols, &child->stdio, err);
	if (code == CORDON_OK)
		code = start_process(child, &l, err);
	launch_free(&l);
	/* The command holds its copies now; EOF reaches cordon's ends only
	 * once these are closed. */
	win_stdio_close_child_ends(&child->stdio);
	if (code != CORDON_OK) {
		cordon_child_free(child);
		return code;
	}
	*out = child;
	return CORDON_OK;
}
