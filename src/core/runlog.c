/* The run log: one JSON line per run in <state dir>/runs.jsonl, so a user
 * can see afterwards what ran, where, under which policy, and how it
 * ended. Each line goes out in a single O_APPEND write, so concurrent runs
 * never interleave within a line. */
#include "cordon.h"
#include "names.h"

#include "error.h"
#include "json.h"
#include "policy_internal.h"
#include "wide.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef _WIN32
#include <direct.h>
#include <io.h>
#include <windows.h>
#define RUNLOG_SEPARATOR '\\'
#define RUNLOG_NAME	 "\\runs.jsonl"
static int make_directory(const char *path)
{
	wchar_t *wide = cordon_utf8_to_wide(path);
	int result = wide != NULL ? _wmkdir(wide) : -1;
	int saved = errno;
	free(wide);
	errno = saved;
	return result;
}

static int open_log(const char *path)
{
	wchar_t *wide = cordon_utf8_to_wide(path);
	int fd = wide != NULL ? _wopen(wide, O_WRONLY | O_APPEND | O_CREAT | O_BINARY, 0600) : -1;
	int saved = errno;
	free(wide);
	errno = saved;
	return fd;
}
#else
#define RUNLOG_SEPARATOR '/'
#define RUNLOG_NAME	 "/runs.jsonl"
static int make_directory(const char *path)
{
	return mkdir(path, 0700);
}

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}
#endif

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif
#ifndef O_BINARY
#define O_BINARY 0
#endif

static const char *exit_kind_name(cordon_exit_kind kind)
{
	switch (kind) {
	case CORDON_EXIT_CODE: return "code";
	case CORDON_EXIT_SIGNAL: return "signal";
	case CORDON_EXIT_TIMEOUT: return "timeout";
	case CORDON_EXIT_NOT_FOUND: return "not-found";
	case CORDON_EXIT_NOT_EXECUTABLE: return "not-executable";
	}
	return "unknown";
}

/* Creates dir and its missing parents (0700); existing ones are fine. */
static cordon_code make_directories(const char *dir, cordon_error *err)
{
	char *path = strdup(dir);
	if (path == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while writing the run log");
	size_t length = strlen(path);
	for (size_t i = 1; i <= length; i++) {
		if (path[i] != RUNLOG_SEPARATOR && path[i] != '\0')
			continue;
		char saved = path[i];
		path[i] = '\0';
		if (make_directory(path) != 0 && errno != EEXIST) {
			int saved_errno = errno;
			cordon_code code = cordon_fail_errno(
				err, saved_errno, "cannot create the state directory %s for the run log",
				path);
			free(path);
			return code;
		}
		path[i] = saved;
	}
	free(path);
	return CORDON_OK;
}

/* UTC by arithmetic on the epoch (Howard Hinnant's days-to-civil):
 * gmtime would load the time zone database first, which UTC never
 * needs. */
static void format_utc_now(char out[32])
{
	long long now = (long long)time(NULL);
	long long days = now / 86400, seconds = now % 86400;
	if (seconds < 0) {
		seconds += 86400;
		days--;
	}
	days += 719468;
	long long era = (days >= 0 ? days : days - 146096) / 146097;
	long long day_of_era = days - era * 146097;
	long long year_of_era =
		(day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	long long day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	long long month_index = (5 * day_of_year + 2) / 153; /* March is 0 */
	int day = (int)(day_of_year - (153 * month_index + 2) / 5 + 1);
	int month = (int)(month_index < 10 ? month_index + 3 : month_index - 9);
	long long year = year_of_era + era * 400 + (month <= 2);
	snprintf(out, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ", year, month, day, (int)(seconds / 3600),
		 (int)(seconds / 60 % 60), (int)(seconds % 60));
}

/* Milliseconds are all a person needs, and they print short. Rounded by
 * hand: the build does not link libm. */
static double whole_milliseconds(double seconds)
{
	if (!(seconds > 0.0) || seconds > 1e12)
		return seconds > 1e12 ? 1e12 : 0.0;
	return (double)(long long)(seconds * 1000.0 + 0.5) / 1000.0;
}

static char *render_line(const cordon_resolved *policy, const char *program, const cordon_exit *e)
{
	char time_text[32];
	format_utc_now(time_text);
	cordon_json_writer w;
	cordon_json_writer_init(&w, false);
	cordon_json_begin_object(&w);
	cordon_json_key(&w, "time");
	cordon_json_string(&w, time_text);
	cordon_json_key(&w, "cwd");
	cordon_json_string(&w, policy->cwd ? policy->cwd : "");
	cordon_json_key(&w, "mode");
	cordon_json_string(&w, cordon_mode_name(policy->mode));
	cordon_json_key(&w, "policy_digest");
	cordon_json_string(&w, policy->digest);
	cordon_json_key(&w, "program");
	cordon_json_string(&w, program ? program : "");
	cordon_json_key(&w, "exit_status");
	cordon_json_int(&w, cordon_exit_status(e));
	cordon_json_key(&w, "exit_kind");
	cordon_json_string(&w, exit_kind_name(e->kind));
	cordon_json_key(&w, "seconds");
	cordon_json_double(&w, whole_milliseconds(e->seconds));
	/* Only where an ACL layer ran: a Linux line without the key says
	 * "no such layer", where a 0 would claim a warm run. */
	if (e->acls_applied) {
		cordon_json_key(&w, "acl_descriptors_written");
		cordon_json_int(&w, (long long)e->acl_descriptors_written);
	}
	cordon_json_end_object(&w);
	char *text = cordon_json_writer_finish(&w);
	if (text == NULL)
		return NULL;
	size_t length = strlen(text);
	char *line = realloc(text, length + 2);
	if (line == NULL) {
		free(text);
		return NULL;
	}
	line[length] = '\n';
	line[length + 1] = '\0';
	return line;
}

cordon_code cordon_runlog_append(const cordon_resolved *policy, const char *program,
				 const cordon_exit *exit_info, cordon_error *err)
{
	if (policy == NULL || exit_info == NULL || policy->state_dir == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "no resolved policy or exit to log");
	cordon_code code = CORDON_OK;
	size_t name_length = strlen(policy->state_dir) + sizeof(RUNLOG_NAME);
	char *file = malloc(name_length);
	if (file == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while writing the run log");
	snprintf(file, name_length, "%s%s", policy->state_dir, RUNLOG_NAME);
	char *line = render_line(policy, program, exit_info);
	if (line == NULL) {
		free(file);
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while writing the run log");
	}
	int fd = open_log(file);
	/* The state directory is made only when it is missing, not probed
	 * one mkdir per ancestor on every run. */
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		code = make_directories(policy->state_dir, err);
		if (code != CORDON_OK) {
			free(line);
			free(file);
			return code;
		}
		fd = open_log(file);
	}
	if (fd < 0) {
		code = cordon_fail_errno(err, errno, "cannot open the run log %s", file);
	} else {
		size_t length = strlen(line);
		ssize_t written = write(fd, line, length);
		if (written < 0)
			code = cordon_fail_errno(err, errno, "cannot write the run log %s", file);
		else if ((size_t)written != length)
			code = cordon_fail_errno(err, ENOSPC, "cannot write the run log %s (short write)",
						 file);
		if (close(fd) != 0 && code == CORDON_OK)
			code = cordon_fail_errno(err, errno, "cannot write the run log %s", file);
	}
	free(line);
	free(file);
	return code;
}
