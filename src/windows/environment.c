/* The command's environment (the env plan in src/windows/plan/env_plan.h,
 * as UTF-16 for CREATE_UNICODE_ENVIRONMENT) and how cordon finds the
 * program: in the PATH the command itself will have, so the ssh/scp stubs
 * come first, never in the current (workspace) directory. CreateProcess
 * would search cordon's own PATH, the application's directory and the
 * current directory before it; cordon passes it a full path instead. */
#include "windows/win_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "proxy/proxy.h"

/* Allocates this process's environment as UTF-8 "NAME=value" entries. */
static char **own_environment(void)
{
	wchar_t *block = GetEnvironmentStringsW();
	size_t count = 0;
	if (block == NULL)
		return NULL;
	for (const wchar_t *p = block; *p != L'\0'; p += wcslen(p) + 1)
		count++;
	char **entries = calloc(count + 1, sizeof(*entries));
	size_t i = 0;
	for (const wchar_t *p = block; entries != NULL && *p != L'\0'; p += wcslen(p) + 1) {
		entries[i] = win_utf8(p, -1);
		if (entries[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				free(entries[j]);
			free(entries);
			entries = NULL;
			break;
		}
		i++;
	}
	FreeEnvironmentStringsW(block);
	return entries;
}

static void free_entries(char **entries)
{
	for (size_t i = 0; entries != NULL && entries[i] != NULL; i++)
		free(entries[i]);
	free(entries);
}

cordon_code win_environment_plan(const cordon_resolved *policy, win_mode mode, const char *const *envp,
				 const char *stub_dir, cordon_env_plan *plan, cordon_error *err)
{
	char **own = NULL;
	cordon_env_plan_input input = {0};

	if (envp == NULL) {
		own = own_environment();
		if (own == NULL)
			return cordon_fail(err, CORDON_E_NOMEM,
					   "cannot read cordon's environment: out of memory");
		envp = (const char *const *)own;
	}
	input.environment = envp;
	input.stub_dir = stub_dir;
	/* Full access: the environment passes through (sorted, as
	 * CreateProcess requires). */
	input.network = mode == WIN_MODE_FULL_ACCESS ? CORDON_NETWORK_ON : cordon_resolved_network(policy);
	/* The proxy cordon_spawn starts (proxy_win32.c) at the port setup's
	 * WFP filters let the offline account reach. */
	char proxy_url[32];
	snprintf(proxy_url, sizeof(proxy_url), "http://127.0.0.1:%u", (unsigned)CORDON_PROXY_PORT);
	input.proxy_url = proxy_url;
	cordon_code code = cordon_env_plan_build(&input, plan, err);
	free_entries(own);
	return code;
}

wchar_t *win_environment_block(const cordon_env_plan *plan, cordon_error *err)
{
	size_t length = 0;
	char *block = cordon_env_plan_block(plan, &length);
	if (block == NULL) {
		cordon_fail(err, CORDON_E_NOMEM, "out of memory while building the command's environment");
		return NULL;
	}
	/* The block has inner NULs: convert it as one counted string. */
	int units = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, block, (int)length, NULL, 0);
	wchar_t *wide = units > 0 ? malloc((size_t)units * sizeof(wchar_t)) : NULL;
	if (wide == NULL ||
	    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, block, (int)length, wide, units) != units) {
		free(wide);
		free(block);
		cordon_fail(err, CORDON_E_INVALID,
			    "cannot pass the environment to the command: it is not valid UTF-8; remove the "
			    "variable with invalid text");
		return NULL;
	}
	free(block);
	return wide;
}

/* 1: a file, 0: missing, -1: a directory. */
static int file_state(const char *path)
{
	wchar_t *wide = win_wide(path);
	if (wide == NULL)
		return 0;
	DWORD attributes = GetFileAttributesW(wide);
	free(wide);
	if (attributes == INVALID_FILE_ATTRIBUTES)
		return 0;
	return (attributes & FILE_ATTRIBUTE_DIRECTORY) ? -1 : 1;
}

static bool has_extension(const char *name)
{
	const char *base = name;
	for (const char *p = name; *p != '\0'; p++)
		if (*p == '\\' || *p == '/' || *p == ':')
			base = p + 1;
	const char *dot = strrchr(base, '.');
	return dot != NULL && dot != base && dot[1] != '\0';
}

/* Tries candidate, then candidate + each PATHEXT extension when it has
 * none. Sets *directory when only a directory of that name exists. */
static char *try_candidate(const char *candidate, const char *pathext, bool *directory)
{
	int state = file_state(candidate);
	if (state == 1)
		return strdup(candidate);
	if (state == -1)
		*directory = true;
	if (has_extension(candidate) || pathext == NULL)
		return NULL;
	const char *p = pathext;
	while (*p != '\0') {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > 0 && n < 32) {
			size_t size = strlen(candidate) + n + 1;
			char *with = malloc(size);
			if (with == NULL)
				return NULL;
			snprintf(with, size, "%s%.*s", candidate, (int)n, p);
			if (file_state(with) == 1)
				return with;
			free(with);
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	return NULL;
}

static bool is_path_like(const char *program)
{
	return strpbrk(program, "\\/:") != NULL;
}

win_search_result win_program_search(const cordon_env_plan *plan, const char *cwd, const char *program,
				     char **found, char *detail, size_t detail_size)
{
	const char *pathext = cordon_env_plan_get(plan, "PATHEXT");
	bool directory = false;

	*found = NULL;
	if (pathext == NULL)
		pathext = ".COM;.EXE;.BAT;.CMD";
	if (is_path_like(program)) {
		char *candidate;
		bool absolute = (program[0] != '\0' && program[1] == ':' &&
				 (program[2] == '\\' || program[2] == '/')) ||
				(program[0] == '\\' && program[1] == '\\');
		if (absolute) {
			candidate = strdup(program);
		} else {
			size_t size = strlen(cwd) + strlen(program) + 2;
			candidate = malloc(size);
			if (candidate != NULL)
				snprintf(candidate, size, "%s\\%s", cwd, program);
		}
		if (candidate == NULL) {
			snprintf(detail, detail_size, "%s: out of memory", program);
			return WIN_SEARCH_NOT_FOUND;
		}
		*found = try_candidate(candidate, pathext, &directory);
		free(candidate);
	} else {
		const char *path = cordon_env_plan_get(plan, "PATH");
		const char *p = path != NULL ? path : "";
		while (*found == NULL && *p != '\0') {
			const char *end = strchr(p, ';');
			size_t n = end ? (size_t)(end - p) : strlen(p);
			if (n > 0) {
				size_t size = n + strlen(program) + 2;
				char *candidate = malloc(size);
				if (candidate == NULL)
					break;
				snprintf(candidate, size, "%.*s\\%s", (int)n, p, program);
				*found = try_candidate(candidate, pathext, &directory);
				free(candidate);
			}
			if (end == NULL)
				break;
			p = end + 1;
		}
	}
	if (*found != NULL)
		return WIN_SEARCH_FOUND;
	if (directory) {
		snprintf(detail, detail_size, "%s: is a directory", program);
		return WIN_SEARCH_NOT_EXECUTABLE;
	}
	snprintf(detail, detail_size, "%s: not found%s", program,
		 is_path_like(program) ? ""
				       : " in the command's PATH (the current directory is not searched)");
	return WIN_SEARCH_NOT_FOUND;
}
