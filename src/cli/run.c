/* cordon run: command line -> policy -> resolved policy -> one supervised
 * run, then the run log. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A policy file larger than this is not a policy someone wrote. */
#define POLICY_FILE_MAX (4u << 20)

/* How long the supervising loop may leave a forwarded signal waiting. */
#define SIGNAL_SLICE_MS 50

/* Allocates *text (NUL-terminated) with the file's content. Pipes count
 * as files, so --policy <(generate-policy) works; *regular says whether
 * it was a regular file (which has a directory of its own). */
static bool read_policy_file(const char *path, char **text, size_t *length, bool *regular)
{
#ifdef _WIN32
	FILE *file = fopen(path, "rb");
#else
	FILE *file = fopen(path, "re");
#endif
	struct stat st = {0};
	if (file == NULL) {
		cli_say("cannot read policy file '%s': %s; check the path given to --policy", path,
			strerror(errno));
		return false;
	}
	if (fstat(fileno(file), &st) == 0 && S_ISDIR(st.st_mode)) {
		cli_say("cannot read policy file '%s': it is a directory; give --policy a cordon policy JSON "
			"file",
			path);
		fclose(file);
		return false;
	}
	*regular = S_ISREG(st.st_mode);
	char *buffer = malloc(POLICY_FILE_MAX + 1);
	size_t got = buffer == NULL ? 0 : fread(buffer, 1, POLICY_FILE_MAX + 1, file);
	const char *why = buffer == NULL	  ? "out of memory"
			  : ferror(file)	  ? strerror(errno)
			  : got > POLICY_FILE_MAX ? "it is larger than 4 MiB"
						  : NULL;
	fclose(file);
	if (why != NULL) {
		cli_say("cannot read policy file '%s': %s; give --policy a readable cordon policy JSON file",
			path, why);
		free(buffer);
		return false;
	}
	buffer[got] = '\0';
	*text = buffer;
	*length = got;
	return true;
}

static bool is_separator(char c)
{
#ifdef _WIN32
	return c == '/' || c == '\\';
#else
	return c == '/';
#endif
}

/* Allocates the absolute directory of a policy file as its path spells
 * it (no link is followed here; resolution judges the result), or NULL
 * after saying why. */
static char *policy_file_directory(const char *path)
{
	size_t length = strlen(path);
	while (length > 0 && !is_separator(path[length - 1]))
		length--;
	while (length > 1 && is_separator(path[length - 1]))
		length--;
	char *directory;
#ifdef _WIN32
	char *spelled = malloc(length + 2);
	if (spelled != NULL)
		snprintf(spelled, length + 2, "%.*s", (int)(length ? length : 1), length ? path : ".");
	directory = spelled == NULL ? NULL : _fullpath(NULL, spelled, 0);
	free(spelled);
#else
	if (length > 0 && path[0] == '/') {
		directory = strndup(path, length);
	} else {
		char *cwd = getcwd(NULL, 0);
		size_t size = (cwd ? strlen(cwd) : 0) + 1 + length + 1;
		directory = cwd == NULL ? NULL : malloc(size);
		if (directory != NULL)
			snprintf(directory, size, "%s/%.*s", cwd, (int)length, path);
		free(cwd);
	}
#endif
	if (directory == NULL)
		cli_say("cannot tell which directory policy file '%s' is in: %s; give --policy an absolute "
			"path",
			path, strerror(errno));
	return directory;
}

static bool add_each(cordon_policy *policy, const cli_list *list,
		     cordon_code (*add)(cordon_policy *, const char *, cordon_error *), cordon_error *err)
{
	for (size_t i = 0; i < list->count; i++)
		if (add(policy, list->items[i], err) != CORDON_OK)
			return false;
	return true;
}

static bool apply_run_options(const cli_args *args, cordon_policy *policy, cordon_error *err)
{
	if (args->mode_set)
		cordon_policy_set_mode(policy, args->mode);
	if (args->cwd != NULL && cordon_policy_set_cwd(policy, args->cwd, err) != CORDON_OK)
		return false;
	if (!add_each(policy, &args->writable, cordon_policy_add_writable_root, err) ||
	    !add_each(policy, &args->protected_names, cordon_policy_add_protected_name, err) ||
	    !add_each(policy, &args->deny_read, cordon_policy_add_deny_read, err) ||
	    !add_each(policy, &args->credential_lifts, cordon_policy_allow_read_credential, err))
		return false;
	if (args->network_set)
		cordon_policy_set_network(policy, args->network);
	if (!add_each(policy, &args->allowed_domains, cordon_policy_add_allowed_domain, err))
		return false;
	if (args->no_tmp)
		cordon_policy_set_tmp_writable(policy, false);
	if (args->best_effort)
		cordon_policy_set_best_effort(policy, true);
	return true;
}

/* Allocates the policy the command line asks for; NULL after saying why. */
static cordon_policy *build_policy(const cli_args *args)
{
	cordon_error err = {0};
	char message[CLI_MESSAGE_MAX];
	cordon_policy *policy = cordon_policy_new();

	if (policy == NULL) {
		cli_say("out of memory while building the policy: the system is short of memory; free some "
			"and retry");
		return NULL;
	}
	if (args->command == CLI_COMMAND_COMPAT) {
		if (cordon_policy_merge_compat(policy, args->compat_policy, &err) != CORDON_OK ||
		    cordon_policy_set_cwd(policy, args->cwd, &err) != CORDON_OK)
			goto library_failed;
		return policy;
	}
	if (args->policy_file != NULL) {
		char *text;
		size_t length;
		bool regular = false;
		if (!read_policy_file(args->policy_file, &text, &length, &regular))
			goto failed;
		/* Relative paths in a file mean "next to this file"; a pipe
		 * has no directory, so its paths stay with the working
		 * directory, as on the command line. */
		char *base = regular ? policy_file_directory(args->policy_file) : NULL;
		if (regular && base == NULL) {
			free(text);
			goto failed;
		}
		cordon_code code = cordon_policy_merge_json_from(policy, text, length, base, &err);
		free(base);
		free(text);
		if (code != CORDON_OK)
			goto library_failed;
	}
	if (!apply_run_options(args, policy, &err))
		goto library_failed;
	if (cli_check_combination(args, cordon_policy_mode(policy), cordon_policy_network(policy), message) !=
	    CLI_PARSE_OK) {
		cli_say("%s", message);
		goto failed;
	}
	return policy;
library_failed:
	cli_say("%s", err.message);
failed:
	cordon_policy_free(policy);
	return NULL;
}

static int print_policy(const cordon_resolved *resolved)
{
	char *json = cordon_resolved_to_json(resolved);
	if (json == NULL) {
		cli_say("cannot print the policy: out of memory; free some memory and retry");
		return CLI_EXIT_CORDON_ERROR;
	}
	size_t length = strlen(json);
	fputs(json, stdout);
	if (length == 0 || json[length - 1] != '\n')
		fputc('\n', stdout);
	free(json);
	if (fflush(stdout) != 0) {
		cli_say("cannot print the policy: %s; check where stdout goes", strerror(errno));
		return CLI_EXIT_CORDON_ERROR;
	}
	return 0;
}

static void say_before_run(const cli_args *args, const cordon_resolved *resolved)
{
	if (!args->quiet && cordon_resolved_mode(resolved) == CORDON_MODE_FULL_ACCESS)
		cli_say("full-access: the command runs WITHOUT a sandbox");
}

/* Best-effort runs say what this run's plan could not enforce. Said even
 * with --quiet: a missing protection is never silent. */
static void say_not_enforced(const cordon_child *child)
{
	for (size_t i = 0; i < cordon_child_not_enforced_count(child); i++)
		cli_say("best-effort: not enforced: %s", cordon_child_not_enforced(child, i));
}

/* "prog: permission denied" -> "permission denied". */
static const char *without_program_prefix(const char *detail, const char *program)
{
	size_t length = strlen(program);
	if (strncmp(detail, program, length) == 0 && detail[length] == ':' && detail[length + 1] == ' ')
		return detail + length + 2;
	return detail;
}

static void say_after_run(const cli_args *args, const cordon_exit *exit_info)
{
	const char *program = args->program_argv[0];

	switch (exit_info->kind) {
	case CORDON_EXIT_TIMEOUT:
		if (!args->quiet)
			cli_say("timed out after %g s; every process of the run was killed",
				args->timeout_seconds);
		break;
	case CORDON_EXIT_NOT_FOUND:
		/* The detail also lists the whole PATH; the name is what
		 * the user needs to see. */
		if (strchr(program, '/') != NULL)
			cli_say("cannot run '%s': no such file", program);
		else
			cli_say("cannot run '%s': not found in PATH", program);
		break;
	case CORDON_EXIT_NOT_EXECUTABLE:
		if (strncmp(exit_info->detail, "cannot run", 10) == 0)
			cli_say("%s", exit_info->detail);
		else if (exit_info->detail[0] != '\0')
			cli_say("cannot run '%s': %s", program,
				without_program_prefix(exit_info->detail, program));
		else
			cli_say("cannot run '%s': not executable", program);
		break;
	case CORDON_EXIT_CODE:
		/* Windows: an exception's NTSTATUS, named (the code itself is
		 * cordon's exit status, unchanged). */
		if (exit_info->detail[0] != '\0' && !args->quiet)
			cli_say("%s", exit_info->detail);
		break;
	case CORDON_EXIT_SIGNAL: break;
	}
}

static cordon_code wait_supervising(cordon_child *child, cordon_exit *exit_info, cordon_error *err)
{
	bool resized = false;
	for (;;) {
		cordon_code code = cordon_child_wait(child, SIGNAL_SLICE_MS, exit_info, err);
		if (code != CORDON_E_TIMEOUT)
			return code;
		cli_signals_forward(child, &resized);
	}
}

static int supervise(const cli_args *args, const cordon_resolved *resolved)
{
	cordon_spawn_options options = {
		.argv = args->program_argv,
		.envp = NULL,
		.stdio = args->pty ? CORDON_STDIO_PTY : CORDON_STDIO_INHERIT,
		.timeout_ms = args->timeout_set ? args->timeout_ms : 0,
	};
	cordon_error err = {0};
	cordon_child *child = NULL;
	cordon_exit exit_info = {0};
	cordon_code code;

	if (!cli_signals_install(args->pty)) {
		cli_say("cannot set up signal forwarding: %s; check the process limits", strerror(errno));
		return CLI_EXIT_CORDON_ERROR;
	}
	say_before_run(args, resolved);
	if (args->pty) {
		cli_terminal_size(&options.rows, &options.cols);
		/* Raw before the command starts: from then on every byte the
		 * user types is the command's, untouched by this terminal's
		 * line discipline. */
		cli_terminal_enter_raw();
	}
	code = cordon_spawn(resolved, &options, &child, &err);
	if (code == CORDON_OK) {
		say_not_enforced(child);
		code = args->pty ? cli_terminal_relay(child, &exit_info, &err)
				 : wait_supervising(child, &exit_info, &err);
	}
	if (args->pty)
		cli_terminal_restore();
	if (child == NULL && code == CORDON_E_TIMEOUT) {
		/* The --timeout passed during set-up: a timeout like any other,
		 * though the command never started. */
		if (!args->quiet)
			cli_say("timed out after %g s while the sandbox was being set up; the command never "
				"ran",
				args->timeout_seconds);
		exit_info.kind = CORDON_EXIT_TIMEOUT;
		if (cordon_runlog_append(resolved, args->program_argv[0], &exit_info, &err) != CORDON_OK)
			cli_say("warning: run log not written: %s", err.message);
		return cordon_exit_status(&exit_info);
	}
	if (code != CORDON_OK) {
		if (child != NULL)
			cordon_child_free(child);
		cli_say("%s", err.message);
		return CLI_EXIT_CORDON_ERROR;
	}
	cordon_child_free(child);
	say_after_run(args, &exit_info);
	if (cordon_runlog_append(resolved, args->program_argv[0], &exit_info, &err) != CORDON_OK)
		cli_say("warning: run log not written: %s", err.message);
	return cordon_exit_status(&exit_info);
}

int cli_run(const cli_args *args)
{
	cordon_error err = {0};
	cordon_resolved *resolved = NULL;
	cordon_policy *policy = build_policy(args);
	int status;

	if (policy == NULL)
		return CLI_EXIT_CORDON_ERROR;
	cordon_code code = cordon_policy_resolve(policy, &resolved, &err);
	cordon_policy_free(policy);
	if (code != CORDON_OK) {
		cli_say("%s", err.message);
		return CLI_EXIT_CORDON_ERROR;
	}
	if (args->print_policy)
		status = print_policy(resolved);
	else
		status = supervise(args, resolved);
	cordon_resolved_free(resolved);
	return status;
}
