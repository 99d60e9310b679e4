/* cordon setup: the one-time setup of Windows' elevated mode (sandbox
 * accounts, firewall filters, read grants; src/windows/plan/setup_plan.h).
 *
 * `cordon setup --plan` prints the plan as JSON and changes nothing, on
 * every platform and without administrator rights. On Windows it plans
 * for the invoking user's profile (or --profile DIR); on Linux, where
 * setup itself has nothing to do, it plans for a Windows profile whose
 * entries are those of --profile DIR, at C:\Users\<name of DIR>, so the
 * plan can be read and reviewed anywhere. `cordon setup` itself applies
 * it on Windows (src/windows/setup_apply.c), from an elevated prompt. */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _WIN32
#include <windows.h>
#endif

#include "core/winpath.h"
#include "proxy/proxy.h"
#include "windows/plan/setup_plan.h"
#ifdef _WIN32
#include "windows/setup_apply.h"
#endif

/* The credential stores the read grants leave out: the one list the Linux
 * backend hides too (src/core/credentials.c). Allocated once for the life
 * of the command; NULL when out of memory. */
static const char *const *profile_credential_stores(size_t *count)
{
	static const char **names;
	*count = cordon_credential_store_count();
	if (names == NULL) {
		names = calloc(*count + 1, sizeof(*names));
		if (names == NULL)
			return NULL;
		for (size_t i = 0; i < *count; i++)
			names[i] = cordon_credential_store_name(i);
	}
	return names;
}

typedef struct profile_listing {
	cordon_profile_entry *entries;
	size_t count;
} profile_listing;

static void listing_free(profile_listing *listing)
{
	for (size_t i = 0; i < listing->count; i++)
		free((char *)listing->entries[i].relative);
	free(listing->entries);
	memset(listing, 0, sizeof(*listing));
}

static char *join_local(const char *dir, const char *relative)
{
	size_t length = strlen(dir) + strlen(relative) + 2;
	char *out = malloc(length);

	if (!out)
		return NULL;
	snprintf(out, length, "%s%s%s", dir, *relative ? "/" : "", relative);
	for (char *p = out + strlen(dir); *p; p++)
		if (*p == '\\')
			*p = '/';
	return out;
}

static bool is_link(const char *path, const struct stat *st)
{
#ifdef _WIN32
	DWORD attributes = GetFileAttributesA(path);

	(void)st;
	return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_REPARSE_POINT);
#else
	(void)path;
	return S_ISLNK(st->st_mode);
#endif
}

/* Appends the entries of local_dir/relative, named relative\name. A
 * split directory that does not exist adds nothing; a missing profile is
 * an error. */
static bool list_into(const char *local_dir, const char *relative, profile_listing *out)
{
	char *path = join_local(local_dir, relative);
	DIR *dir;
	struct dirent *entry;
	bool ok = true;

	if (!path)
		return false;
	dir = opendir(path);
	if (!dir) {
		bool missing = *relative && (errno == ENOENT || errno == ENOTDIR);

		if (!missing)
			cli_say("cannot plan setup: cannot list %s: %s; check the directory given to "
				"--profile",
				path, strerror(errno));
		free(path);
		return missing;
	}
	while (ok && (entry = readdir(dir)) != NULL) {
		struct stat st;
		char *child, *name;
		size_t length;
		cordon_profile_entry *grown;

		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		child = join_local(path, entry->d_name);
		length = strlen(relative) + strlen(entry->d_name) + 2;
		name = malloc(length);
		grown = realloc(out->entries, (out->count + 1) * sizeof(*grown));
		if (grown)
			out->entries = grown;
		if (!child || !name || !grown) {
			free(child);
			free(name);
			ok = false;
			break;
		}
		snprintf(name, length, "%s%s%s", relative, *relative ? "\\" : "", entry->d_name);
#ifdef _WIN32
		ok = stat(child, &st) == 0;
#else
		ok = lstat(child, &st) == 0;
#endif
		if (!ok) {
			cli_say("cannot plan setup: cannot read %s: %s; check the directory given to "
				"--profile",
				child, strerror(errno));
			free(child);
			free(name);
			break;
		}
		memset(&out->entries[out->count], 0, sizeof(out->entries[0]));
		out->entries[out->count].relative = name;
		out->entries[out->count].is_reparse_point = is_link(child, &st);
		out->entries[out->count].is_directory = S_ISDIR(st.st_mode);
		out->count++;
		free(child);
	}
	closedir(dir);
	free(path);
	return ok;
}

/* The profile's entries, and those of each directory the read-grant
 * plan splits (cordon_setup_dirs_to_list). */
static bool list_profile(const char *local_dir, const char *windows_profile, const char *const *excluded,
			 size_t excluded_count, profile_listing *out)
{
	char **split = NULL;
	size_t split_count = 0;
	cordon_error err = {0};
	bool ok;

	if (!list_into(local_dir, "", out))
		return false;
	if (cordon_setup_dirs_to_list(windows_profile, excluded, excluded_count, &split, &split_count,
				      &err) != CORDON_OK) {
		cli_say("%s", err.message);
		return false;
	}
	ok = true;
	for (size_t i = 0; i < split_count; i++) {
		/* split[i] is the Windows path; what follows the profile is
		 * the relative part. */
		if (ok)
			ok = list_into(local_dir, split[i] + strlen(windows_profile) + 1, out);
		free(split[i]);
	}
	free(split);
	return ok;
}

#ifndef _WIN32
/* The last component of path (trailing separators ignored): its start,
 * and its length in *length. */
static const char *base_name(const char *path, size_t *length)
{
	const char *end = path + strlen(path);
	const char *start;

	while (end > path && end[-1] == '/')
		end--;
	start = end;
	while (start > path && start[-1] != '/')
		start--;
	*length = (size_t)(end - start);
	return start;
}
#endif

/* The Windows spelling of the profile setup plans for; allocated, NULL
 * when there is none. */
static char *windows_profile_of(const char *local_dir)
{
#ifdef _WIN32
	char cwd[4096];

	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	return winpath_canonical(local_dir, cwd, NULL);
#else
	size_t length;
	const char *name = base_name(local_dir, &length);
	size_t size = length + sizeof("C:\\Users\\");
	char *out;

	if (length == 0 || (length == 1 && name[0] == '.') || (length == 2 && strncmp(name, "..", 2) == 0))
		return NULL;
	out = malloc(size);
	if (out)
		snprintf(out, size, "C:\\Users\\%.*s", (int)length, name);
	return out;
#endif
}

static char **canonical_roots(const cli_list *given)
{
	char **roots = calloc(given->count + 1, sizeof(*roots));
#ifdef _WIN32
	char cwd[4096];
	const char *base = getcwd(cwd, sizeof(cwd)) ? cwd : NULL;
#else
	const char *base = NULL; /* no Windows working directory on Linux */
#endif

	if (!roots)
		return NULL;
	for (size_t i = 0; i < given->count; i++) {
		winpath_info info = winpath_classify(given->items[i]);

		roots[i] = info.kind == WINPATH_DRIVE_ABSOLUTE || base
				   ? winpath_canonical(given->items[i], base, NULL)
				   : NULL;
		if (!roots[i] || winpath_classify(roots[i]).kind != WINPATH_DRIVE_ABSOLUTE) {
			cli_say("cannot plan setup: --root '%s' is not a Windows directory path; give one "
				"such as "
				"D:\\work",
				given->items[i]);
			for (size_t j = 0; j <= i; j++)
				free(roots[j]);
			free(roots);
			return NULL;
		}
	}
	return roots;
}

static int print_plan(const cordon_setup_plan *plan, const char *state_note)
{
	char *text = cordon_setup_plan_render(plan, state_note);

	if (!text) {
		cli_say("cannot print the setup plan: out of memory; free some memory and retry");
		return CLI_EXIT_CORDON_ERROR;
	}
	fputs(text, stdout);
	fputc('\n', stdout);
	free(text);
	return fflush(stdout) == 0 ? 0 : CLI_EXIT_CORDON_ERROR;
}

#ifdef _WIN32
#define STATE_NOTE                                                                                           \
	"not read: --plan plans for a machine without cordon's setup (it needs no administrator rights and " \
	"reads no accounts or filters); 'cordon setup' plans against the machine itself"
#else
#define STATE_NOTE                                                                                           \
	"hypothetical: a Windows machine without cordon's setup, whose profile holds the entries of "        \
	"--profile DIR (setup itself is Windows-only)"
#endif

/* What to do with the inputs once built: print the plan, or (Windows)
 * apply it. */
typedef int (*inputs_use)(const cli_args *args, const cordon_setup_inputs *inputs);

/* Lists the profile, builds setup's inputs and hands them to use. */
static int with_setup_inputs(const cli_args *args, inputs_use use)
{
	const char *local_profile = args->setup_profile;
	const char *const *stores;
	size_t store_count;
	const char *system_dirs[8];
	char *windows_profile = NULL;
	char **roots = NULL;
	profile_listing listing = {0};
	cordon_setup_inputs inputs;
	int status = CLI_EXIT_CORDON_ERROR;

#ifdef _WIN32
	if (!local_profile)
		local_profile = getenv("USERPROFILE");
#endif
	if (!local_profile || !*local_profile) {
		cli_say("cannot plan setup: no profile directory; setup is Windows-only, and on this system "
			"'cordon setup --plan' needs --profile DIR (a directory whose entries stand for a "
			"Windows "
			"profile's)");
		return CLI_EXIT_CORDON_ERROR;
	}
	windows_profile = windows_profile_of(local_profile);
	if (!windows_profile || winpath_classify(windows_profile).kind != WINPATH_DRIVE_ABSOLUTE) {
		cli_say("cannot plan setup: '%s' does not make a Windows profile path; give --profile a "
			"directory "
			"such as ./alice",
			local_profile);
		free(windows_profile);
		return CLI_EXIT_CORDON_ERROR;
	}
	roots = canonical_roots(&args->setup_roots);
	stores = profile_credential_stores(&store_count);
	if (!stores)
		cli_say("cannot plan setup: out of memory; free some memory and retry");
	if (!roots || !stores || !list_profile(local_profile, windows_profile, stores, store_count, &listing))
		goto out;

	for (size_t i = 0; i < cordon_default_system_dir_count() && i < 8; i++)
		system_dirs[i] = cordon_default_system_dir(i);
	memset(&inputs, 0, sizeof(inputs));
	inputs.profile_dir = windows_profile;
	inputs.profile_entries = listing.entries;
	inputs.profile_entry_count = listing.count;
	inputs.credential_stores = stores;
	inputs.credential_store_count = store_count;
	inputs.roots = (const char *const *)roots;
	inputs.root_count = args->setup_roots.count;
	inputs.system_dirs = system_dirs;
	inputs.system_dir_count = cordon_default_system_dir_count();
	inputs.proxy_port = CORDON_PROXY_PORT;
	status = use(args, &inputs);
out:
	if (roots)
		for (size_t i = 0; i < args->setup_roots.count; i++)
			free(roots[i]);
	free(roots);
	listing_free(&listing);
	free(windows_profile);
	return status;
}

static int print_setup_plan(const cli_args *args, const cordon_setup_inputs *inputs)
{
	cordon_setup_state fresh;
	cordon_setup_plan plan, removal;
	cordon_setup_record record;
	cordon_error err = {0};
	int status = CLI_EXIT_CORDON_ERROR;

	memset(&fresh, 0, sizeof(fresh));
	if (cordon_setup_plan_build(inputs, &fresh, &plan, &err) != CORDON_OK) {
		cli_say("%s", err.message);
		return status;
	}
	if (!args->setup_uninstall) {
		status = print_plan(&plan, STATE_NOTE);
		cordon_setup_plan_free(&plan);
		return status;
	}
	/* Not read from the record: show what uninstall removes after this
	 * setup was applied in full. */
	if (cordon_setup_record_from_plan(&plan, inputs, &record, &err) != CORDON_OK ||
	    cordon_setup_plan_uninstall(&record, &removal, &err) != CORDON_OK) {
		cli_say("%s", err.message);
	} else {
		status = print_plan(&removal, "the record this setup would leave once applied (the machine's "
					      "record is not read by --plan)");
		cordon_setup_plan_free(&removal);
	}
	cordon_setup_record_free(&record);
	cordon_setup_plan_free(&plan);
	return status;
}

#ifdef _WIN32
/* %LOCALAPPDATA%\cordon, where a run finds what setup keeps
 * (cordon_resolved_state_dir); allocated, NULL when unset. */
static char *setup_state_dir(void)
{
	const char *base = getenv("LOCALAPPDATA");
	size_t length;
	char *dir;

	if (!base || !*base)
		return NULL;
	length = strlen(base) + sizeof("\\cordon");
	dir = malloc(length);
	if (dir)
		snprintf(dir, length, "%s\\cordon", base);
	return dir;
}

static int apply_setup(const cli_args *args, const cordon_setup_inputs *inputs)
{
	char *state_dir = setup_state_dir();
	cordon_error err = {0};
	bool nothing_to_do = false;
	cordon_code code;

	(void)args;
	if (!state_dir) {
		cli_say("cannot set up elevated mode: LOCALAPPDATA is not set, so there is no state "
			"directory; "
			"nothing was changed; run 'cordon setup' from your own elevated prompt");
		return CLI_EXIT_CORDON_ERROR;
	}
	code = win_setup_apply(state_dir, inputs, stdout, &nothing_to_do, &err);
	free(state_dir);
	if (code != CORDON_OK) {
		cli_say("%s", err.message);
		return CLI_EXIT_CORDON_ERROR;
	}
	return 0;
}

static int setup_windows(const cli_args *args)
{
	char *state_dir;
	cordon_error err = {0};
	bool nothing = false;
	cordon_code code;

	/* Before anything else: an unelevated run reads and changes nothing. */
	if (!win_setup_process_is_elevated()) {
		cli_say("cordon setup needs an elevated (administrator) prompt; nothing was changed; run it "
			"from an elevated terminal once");
		return CLI_EXIT_CORDON_ERROR;
	}
	if (!args->setup_uninstall)
		return with_setup_inputs(args, apply_setup);
	state_dir = setup_state_dir();
	if (!state_dir) {
		cli_say("cannot remove elevated mode: LOCALAPPDATA is not set, so setup's record cannot be "
			"found; nothing was changed; run it from the prompt of the user who ran 'cordon "
			"setup'");
		return CLI_EXIT_CORDON_ERROR;
	}
	code = win_setup_uninstall(state_dir, stdout, &nothing, &err);
	free(state_dir);
	if (code != CORDON_OK) {
		cli_say("%s", err.message);
		return CLI_EXIT_CORDON_ERROR;
	}
	return 0;
}
#endif

int cli_setup(const cli_args *args)
{
	if (args->setup_plan)
		return with_setup_inputs(args, print_setup_plan);
#ifdef _WIN32
	return setup_windows(args);
#else
	fputs("cordon setup: nothing to set up on Linux; run 'cordon doctor' to see what this host can "
	      "enforce\n"
	      "(cordon setup --plan --profile DIR prints what setup would do on Windows)\n",
	      stdout);
	return fflush(stdout) == 0 ? 0 : CLI_EXIT_CORDON_ERROR;
#endif
}
