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
 * other way.
 *
 * Elevated mode: everything up to the ACLs is planned here as in the
 * other modes, then spawn_elevated.c starts a runner as the sandbox
 * account, and the runner starts the command through win_launch_start
 * below -- the same job, desktop, stdio, handle list, mitigations and
 * CreateProcessAsUserW, with a token made from the account's own. */
#include "windows/win_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/wincmdline.h"
#include "proxy/proxy.h"
#include "windows/elevated.h"

void win_launch_free(win_launch *l)
{
	free(l->application);
	free(l->command_line);
	free(l->environment);
	free(l->cwd);
	cordon_env_plan_free(&l->env);
	if (l->token != NULL)
		CloseHandle(l->token);
	memset(l, 0, sizeof(*l));
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
static cordon_code build_command(const char *program, const char *const *argv, win_launch *l,
				 cordon_error *err)
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

cordon_code win_acls_prepare(const cordon_resolved *policy, const cordon_sid *sandbox_group,
			     cordon_win_acl_outcome *outcome, cordon_error *err)
{
	size_t root_count = cordon_resolved_root_count(policy);
	size_t protected_count = cordon_resolved_protected_count(policy);
	cordon_acl_root *roots = calloc(root_count + 1, sizeof(*roots));
	const char **names = calloc(protected_count + 1, sizeof(*names));
	cordon_code code;

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
		.sandbox_group_present = sandbox_group != NULL,
	};
	if (sandbox_group != NULL)
		request.sandbox_group_sid = *sandbox_group;
	code = cordon_win_acl_prepare(&request, outcome, err);
	win_audit_found_free(&audited);
	free(roots);
	free(names);
	return code;
}

cordon_code win_acls_and_token(const cordon_resolved *policy, HANDLE *token, size_t *descriptors_written,
			       cordon_error *err)
{
	cordon_win_acl_outcome outcome;
	cordon_code code = win_acls_prepare(policy, NULL, &outcome, err);

	*token = NULL;
	if (code != CORDON_OK)
		return code;
	if (descriptors_written != NULL)
		*descriptors_written = outcome.applied.descriptors_written;
	code = win_token_restricted(policy, &outcome, token, err);
	cordon_win_acl_outcome_free(&outcome);
	return code;
}

/* Everything before a process exists: no side effect on failure except
 * the state directory, the install secret and the stubs. Fills *l, or
 * *never_ran when the program cannot be found or executed. */
static cordon_code prepare(const cordon_resolved *policy, const cordon_spawn_options *options, win_mode mode,
			   win_launch *l, cordon_child **never_ran, cordon_error *err)
{
	char *stub_dir = NULL;
	char *program = NULL;
	char detail[256];
	cordon_env_plan *plan = &l->env;
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
	code = win_environment_plan(policy, mode, options->envp, stub_dir, plan, err);
	free(stub_dir);
	if (code != CORDON_OK)
		return code;
	switch (win_program_search(plan, cordon_resolved_cwd(policy), options->argv[0], &program, detail,
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
	l->environment = win_environment_block(plan, err);
	if (l->environment == NULL) {
		code = err != NULL ? err->code : CORDON_E_INVALID;
		goto done;
	}
	l->cwd = win_wide(cordon_resolved_cwd(policy));
	if (l->cwd == NULL) {
		code = cordon_fail(err, CORDON_E_INVALID, "the working directory is not valid UTF-8");
		goto done;
	}
	/* Elevated mode: the ACLs and the token are the runner's business
	 * (spawn_elevated.c). */
	if (mode == WIN_MODE_RESTRICTED_TOKEN) {
		code = win_acls_and_token(policy, &l->token, &l->acl_descriptors_written, err);
		l->acls_applied = code == CORDON_OK;
	}
	l->stdio = options->stdio;
	l->rows = options->rows;
	l->cols = options->cols;
	l->timeout_ms = options->timeout_ms;
done:
	if (*never_ran == NULL && code == CORDON_OK && l->application == NULL)
		code = cordon_fail(err, CORDON_E_NOMEM, "out of memory while preparing the command");
	free(program);
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

static cordon_code start_process(cordon_child *child, win_launch *l, cordon_error *err)
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
	/* The runner sits in the user side's job, which a job with UI limits
	 * cannot nest under: the command leaves it for a job of its own,
	 * whose only handle the runner holds (see spawn_elevated.c). */
	if (l->breakaway)
		flags |= CREATE_BREAKAWAY_FROM_JOB;
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

cordon_code win_launch_start(win_launch *l, win_mode mode, const win_notes *notes, cordon_child **out,
			     cordon_error *err)
{
	cordon_child *child = calloc(1, sizeof(*child));
	cordon_code code;

	*out = NULL;
	if (child == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the command");
	child->stdio_mode = l->stdio;
	child->mode = mode;
	child->notes = *notes;
	child->timeout_ms = l->timeout_ms;
	child->acls_applied = l->acls_applied;
	child->acl_descriptors_written = l->acl_descriptors_written;
	code = win_job_create(&child->job, err);
	if (code == CORDON_OK && mode != WIN_MODE_FULL_ACCESS)
		code = win_desktop_create(l->token, &child->desktop, err);
	if (code == CORDON_OK)
		code = l->inherit_given ? win_stdio_inherit_given(l->inherit, &child->stdio, err)
					: win_stdio_prepare(l->stdio, l->rows, l->cols, &child->stdio, err);
	if (code == CORDON_OK)
		code = start_process(child, l, err);
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

/* --network proxy: the allowlist proxy, started before the command so its
 * first connection finds it. The port is setup's (cli/setup.c and
 * setup_status.c plan the WFP filters for CORDON_PROXY_PORT; a record
 * with another port is stale and never reaches elevated mode). */
static cordon_code start_proxy(const cordon_resolved *policy, win_mode mode, cordon_proxy **proxy,
			       cordon_error *err)
{
	*proxy = NULL;
	if (mode == WIN_MODE_FULL_ACCESS || cordon_resolved_network(policy) != CORDON_NETWORK_PROXY)
		return CORDON_OK;
	size_t count = cordon_resolved_domain_count(policy);
	const char **domains = calloc(count + 1, sizeof(*domains));
	if (domains == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while starting the network proxy");
	for (size_t i = 0; i < count; i++)
		domains[i] = cordon_resolved_domain(policy, i);
	cordon_code code = cordon_proxy_listen(domains, count, CORDON_PROXY_PORT, proxy, err);
	free(domains);
	return code;
}

/* From here on the proxy serves the command's job alone (proxy.h): the
 * user side's own job in restricted-token mode, the one the runner made
 * in elevated mode. A run whose proxy cannot tell its processes from a
 * concurrent run's is ended: the proxy would refuse them all anyway. */
static cordon_code proxy_serve_run(cordon_proxy *proxy, cordon_child **child, cordon_error *err)
{
	HANDLE job = (*child)->remote != NULL ? win_remote_command_job((*child)->remote) : (*child)->job.job;
	cordon_code code = job != NULL ? cordon_proxy_serve_job(proxy, job, err)
				       : cordon_fail(err, CORDON_E_STATE,
						     "the command has no job for the network proxy to check "
						     "its connections against; the run was ended");
	if (code != CORDON_OK) {
		cordon_child_free(*child);
		*child = NULL;
	}
	return code;
}

/* The run in mode, once its options are checked: planned, the proxy
 * started, the command started (by the runner in elevated mode, with
 * test's substitutions when given), and the proxy told whose it is. */
static cordon_code spawn_in_mode(const cordon_resolved *policy, const cordon_spawn_options *options,
				 win_mode mode, const win_notes *notes, const win_runner_test *test,
				 cordon_child **out, cordon_error *err)
{
	win_launch l = {0};
	cordon_child *never_ran = NULL;
	cordon_code code = prepare(policy, options, mode, &l, &never_ran, err);
	if (code != CORDON_OK || never_ran != NULL) {
		win_launch_free(&l);
		if (never_ran != NULL)
			never_ran->notes = *notes;
		*out = never_ran;
		return code;
	}
	cordon_proxy *proxy = NULL;
	code = start_proxy(policy, mode, &proxy, err);
	if (code == CORDON_OK && mode == WIN_MODE_ELEVATED)
		code = win_elevated_spawn_with(policy, &l, notes, test, out, err);
	else if (code == CORDON_OK)
		code = win_launch_start(&l, mode, notes, out, err);
	win_launch_free(&l);
	if (code == CORDON_OK && proxy != NULL && *out != NULL && (*out)->process != NULL)
		code = proxy_serve_run(proxy, out, err);
	if (code == CORDON_OK && *out != NULL)
		(*out)->proxy = proxy;
	else
		cordon_proxy_stop(proxy);
	return code;
}

cordon_code cordon_spawn(const cordon_resolved *policy, const cordon_spawn_options *options,
			 cordon_child **out, cordon_error *err)
{
	win_mode mode;
	win_notes notes;
	cordon_code code = check_options(policy, options, out, err);
	if (code == CORDON_OK)
		code = win_mode_choose(policy, &mode, &notes, err);
	if (code == CORDON_OK)
		code = spawn_in_mode(policy, options, mode, &notes, NULL, out, err);
	return code;
}

cordon_code win_spawn_elevated_for_tests(const cordon_resolved *policy, const cordon_spawn_options *options,
					 const win_runner_test *test, cordon_child **out, cordon_error *err)
{
	win_notes notes = {0};
	cordon_code code = check_options(policy, options, out, err);
	if (code == CORDON_OK)
		code = spawn_in_mode(policy, options, WIN_MODE_ELEVATED, &notes, test, out, err);
	return code;
}
