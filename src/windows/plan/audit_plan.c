/* The Everyone-writable audit: see audit_plan.h. */
#include "windows/plan/audit_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

static bool sid_is(const cordon_sid *sid, uint64_t authority, uint32_t a, uint32_t b, size_t count)
{
	return sid->authority == authority && sid->sub_count == count && sid->sub[0] == a &&
	       (count < 2 || sid->sub[1] == b);
}

/* The CORDON_AUDIT_* bit for sid, 0 for a SID that is no broad group. */
static uint32_t broad_group(const cordon_sid *sid)
{
	if (sid_is(sid, 1, 0, 0, 1))
		return CORDON_AUDIT_EVERYONE; /* S-1-1-0 */
	if (sid_is(sid, 5, 11, 0, 1))
		return CORDON_AUDIT_AUTHENTICATED_USERS; /* S-1-5-11 */
	if (sid_is(sid, 5, 4, 0, 1))
		return CORDON_AUDIT_INTERACTIVE; /* S-1-5-4 */
	if (sid_is(sid, 5, 32, 545, 2))
		return CORDON_AUDIT_USERS; /* S-1-5-32-545 */
	if (cordon_sid_is_logon(sid))
		return CORDON_AUDIT_LOGON;
	return 0;
}

static uint32_t writers_of(bool dacl_present, const cordon_ace *aces, size_t count, bool explicit_only)
{
	uint32_t writers = 0;

	if (!dacl_present)
		return CORDON_AUDIT_EVERYONE | CORDON_AUDIT_AUTHENTICATED_USERS | CORDON_AUDIT_USERS |
		       CORDON_AUDIT_INTERACTIVE | CORDON_AUDIT_LOGON;
	for (size_t i = 0; i < count; i++) {
		const cordon_ace *ace = &aces[i];

		if (ace->type != CORDON_ACE_ALLOW || (ace->flags & CORDON_ACE_INHERIT_ONLY))
			continue;
		if (explicit_only && (ace->flags & CORDON_ACE_INHERITED))
			continue;
		if (cordon_file_map_generic(ace->mask) & CORDON_AUDIT_WRITE_RIGHTS)
			writers |= broad_group(&ace->sid);
	}
	return writers;
}

uint32_t cordon_audit_broad_writers(bool dacl_present, const cordon_ace *aces, size_t count)
{
	return writers_of(dacl_present, aces, count, false);
}

/* ------------------------------------------------------------- the places */

static void add_place(cordon_audit_place *out, size_t *count, const char *base, const char *tail,
		      unsigned depth)
{
	if (base == NULL || base[0] == '\0' || *count == CORDON_AUDIT_PLACES_MAX)
		return;
	int n = snprintf(out[*count].path, sizeof(out[*count].path), "%s%s", base, tail);
	if (n <= 0 || (size_t)n >= sizeof(out[*count].path))
		return;
	out[*count].depth = depth;
	(*count)++;
}

size_t cordon_audit_places(const cordon_audit_known_dirs *dirs, cordon_audit_place *out)
{
	size_t count = 0;
	char drive[4] = "";

	if (dirs->windows && dirs->windows[0] && dirs->windows[1] == ':')
		snprintf(drive, sizeof(drive), "%c:\\", dirs->windows[0]);
	/* The system drive's root and its children: a directory made there
	 * inherits the root's "Authenticated Users: modify" (C:\tools,
	 * C:\Python312). Its own children inherit the same ACEs, so the
	 * deny on the top reaches them by inheritance. */
	add_place(out, &count, drive, "", 1);
	/* Shared by every user by design; installers add writable
	 * subdirectories below them. */
	add_place(out, &count, dirs->program_data, "", 2);
	add_place(out, &count, dirs->public_profile, "", 2);
	/* A program directory an installer made Everyone-writable. */
	add_place(out, &count, dirs->program_files, "", 1);
	add_place(out, &count, dirs->program_files_x86, "", 1);
	/* Directories under Windows that standard users can add files to;
	 * themselves only (their contents are other users' files). */
	add_place(out, &count, dirs->windows, "\\Temp", 0);
	add_place(out, &count, dirs->windows, "\\Tasks", 0);
	add_place(out, &count, dirs->windows, "\\tracing", 0);
	add_place(out, &count, dirs->windows, "\\Registration\\CRMLog", 0);
	add_place(out, &count, dirs->windows, "\\System32\\Tasks", 0);
	add_place(out, &count, dirs->windows, "\\System32\\spool\\drivers\\color", 0);
	add_place(out, &count, dirs->windows, "\\System32\\spool\\PRINTERS", 0);
	return count;
}

/* --------------------------------------------------------------- the walk */

typedef struct audit_walker {
	const cordon_fs_port *fs;
	const cordon_audit_bounds *bounds;
	cordon_audit_result *out;
	size_t capacity;
	double start;
	cordon_error *err;
} audit_walker;

static double clock_seconds(void *context)
{
	(void)context;
	return (double)clock() / CLOCKS_PER_SEC;
}

static double walker_now(const audit_walker *w)
{
	return w->bounds->now ? w->bounds->now(w->bounds->now_context) : clock_seconds(NULL);
}

/* Whether the walk must stop before opening one more object: its count,
 * or (every 64 checks, and at each place's start) its time. */
static bool exhausted(audit_walker *w, bool check_time)
{
	const cordon_audit_bounds *b = w->bounds;
	cordon_audit_result *out = w->out;

	if (out->stop != CORDON_AUDIT_COMPLETE)
		return true;
	if (b->max_checks && out->checks >= b->max_checks)
		out->stop = CORDON_AUDIT_COUNT_LIMIT;
	else if (b->max_seconds > 0 && (check_time || (out->checks & 63) == 0) &&
		 walker_now(w) - w->start >= b->max_seconds)
		out->stop = CORDON_AUDIT_TIME_LIMIT;
	return out->stop != CORDON_AUDIT_COMPLETE;
}

static cordon_code out_of_memory(cordon_error *err)
{
	return cordon_fail(err, CORDON_E_NOMEM, "out of memory during the Everyone-writable audit");
}

static cordon_code add_finding(audit_walker *w, const char *path, uint32_t writers)
{
	cordon_audit_result *out = w->out;

	for (size_t i = 0; i < out->found_count; i++)
		if (strcmp(out->found[i].path, path) == 0)
			return CORDON_OK; /* two places reached it */
	if (out->found_count == w->capacity) {
		size_t capacity = w->capacity ? 2 * w->capacity : 16;
		cordon_audit_finding *grown = realloc(out->found, capacity * sizeof(*grown));
		if (grown == NULL)
			return out_of_memory(w->err);
		out->found = grown;
		w->capacity = capacity;
	}
	out->found[out->found_count].path = strdup(path);
	if (out->found[out->found_count].path == NULL)
		return out_of_memory(w->err);
	out->found[out->found_count++].writers = writers;
	return CORDON_OK;
}

static char *join(const char *directory, const char *name)
{
	size_t length = strlen(directory);
	bool separator = length > 0 && directory[length - 1] != '\\';
	char *path = malloc(length + strlen(name) + 2);

	if (path != NULL)
		snprintf(path, length + strlen(name) + 2, "%s%s%s", directory, separator ? "\\" : "", name);
	return path;
}

static cordon_code visit(audit_walker *w, const char *path, unsigned depth, bool parent_denied, bool *stop);

/* Lists through the handle opened: the names are those of the object the
 * DACL was read from. */
static cordon_code visit_children(audit_walker *w, cordon_fs_handle *handle, const char *path, unsigned depth,
				  bool found, bool *stop)
{
	char **names = NULL;
	size_t count = 0;
	cordon_error ignored;
	cordon_code code = CORDON_OK;

	if (w->fs->list(w->fs->context, handle, &names, &count, &ignored) != CORDON_OK) {
		w->out->unreadable++;
		return CORDON_OK;
	}
	for (size_t i = 0; i < count && code == CORDON_OK && !*stop; i++) {
		char *child = join(path, names[i]);
		code = child ? visit(w, child, depth, found, stop) : out_of_memory(w->err);
		free(child);
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return code;
}

static cordon_code visit(audit_walker *w, const char *path, unsigned depth, bool parent_denied, bool *stop)
{
	cordon_fs_handle *handle = NULL;
	cordon_fs_info info;
	cordon_fs_dacl dacl;
	cordon_error ignored;
	cordon_code code = CORDON_OK;

	if (exhausted(w, false)) {
		*stop = true;
		return CORDON_OK;
	}
	memset(&info, 0, sizeof(info));
	w->out->checks++;
	code = w->fs->open(w->fs->context, path, CORDON_FS_INSPECT, &handle, &info, &ignored);
	if (code != CORDON_OK) {
		if (code != CORDON_E_NOT_FOUND)
			w->out->unreadable++;
		return CORDON_OK;
	}
	if (info.is_reparse_point) {
		/* Never followed: its target is audited where a place holds it. */
		w->out->reparse_points++;
	} else if (info.is_directory) {
		memset(&dacl, 0, sizeof(dacl));
		if (w->fs->read_dacl(w->fs->context, handle, &dacl, &ignored) != CORDON_OK) {
			w->out->unreadable++;
		} else {
			/* Below a finding the ACL plan denies (acl_plan.h: Everyone
			 * or a logon SID may write it), a grant the child merely
			 * inherits is covered by that deny, which it inherits
			 * ahead of the grant: only explicit grants make a second
			 * finding there. */
			uint32_t writers = writers_of(dacl.present, dacl.aces, dacl.ace_count, parent_denied);
			bool denied_here = writers != 0 && cordon_dacl_everyone_writable(
								   dacl.present, dacl.aces, dacl.ace_count);
			cordon_fs_dacl_free(&dacl);
			if (writers)
				code = add_finding(w, path, writers);
			if (code == CORDON_OK && depth > 0)
				code = visit_children(w, handle, path, depth - 1,
						      parent_denied || denied_here, stop);
		}
	}
	w->fs->close(w->fs->context, handle);
	return code;
}

cordon_code cordon_audit_walk(const cordon_fs_port *fs, const cordon_audit_place *places, size_t place_count,
			      const cordon_audit_bounds *bounds, cordon_audit_result *out, cordon_error *err)
{
	audit_walker w = {fs, bounds, out, 0, 0.0, err};
	cordon_code code = CORDON_OK;
	bool stop = false;

	memset(out, 0, sizeof(*out));
	out->stop = CORDON_AUDIT_COMPLETE;
	w.start = walker_now(&w);
	for (size_t i = 0; i < place_count && code == CORDON_OK && !stop; i++) {
		if (exhausted(&w, true))
			break;
		code = visit(&w, places[i].path, places[i].depth, false, &stop);
	}
	out->seconds = walker_now(&w) - w.start;
	if (code != CORDON_OK)
		cordon_audit_result_free(out);
	return code;
}

void cordon_audit_result_free(cordon_audit_result *result)
{
	if (result == NULL)
		return;
	for (size_t i = 0; i < result->found_count; i++)
		free(result->found[i].path);
	free(result->found);
	memset(result, 0, sizeof(*result));
}

/* ------------------------------------------------------------- the record */

static const char record_header[] = "cordon everyone-writable audit 1";

const char *cordon_audit_stop_name(cordon_audit_stop stop)
{
	switch (stop) {
	case CORDON_AUDIT_COMPLETE: return "complete";
	case CORDON_AUDIT_COUNT_LIMIT: return "count-limit";
	case CORDON_AUDIT_TIME_LIMIT: return "time-limit";
	}
	return "unknown";
}

char *cordon_audit_record_format(const cordon_audit_result *result, long long when)
{
	size_t size = 160;
	for (size_t i = 0; i < result->found_count; i++)
		size += strlen(result->found[i].path) + 16;
	char *text = malloc(size);
	if (text == NULL)
		return NULL;
	size_t used = (size_t)snprintf(text, size, "%s\ntime %lld\nstop %s\nchecks %zu\n", record_header,
				       when, cordon_audit_stop_name(result->stop), result->checks);
	for (size_t i = 0; i < result->found_count && used < size; i++)
		used += (size_t)snprintf(text + used, size - used, "dir %02x %s\n",
					 (unsigned)result->found[i].writers, result->found[i].path);
	return text;
}

static bool read_line(const char **cursor, const char *end, char *line, size_t size)
{
	const char *start = *cursor;
	const char *newline = start < end ? memchr(start, '\n', (size_t)(end - start)) : NULL;

	if (newline == NULL || (size_t)(newline - start) >= size)
		return false;
	memcpy(line, start, (size_t)(newline - start));
	line[newline - start] = '\0';
	*cursor = newline + 1;
	return true;
}

/* A decimal number filling all of text. */
static bool whole_number(const char *text, long long *value)
{
	char *after = NULL;
	if (text[0] < '0' || text[0] > '9')
		return false;
	*value = strtoll(text, &after, 10);
	return *after == '\0';
}

bool cordon_audit_record_parse(const char *text, size_t length, cordon_audit_result *result, long long *when)
{
	const char *cursor = text, *end = text + length;
	char line[400];
	long long number = 0;
	cordon_audit_result parsed;
	audit_walker w = {NULL, NULL, &parsed, 0, 0.0, NULL};

	memset(&parsed, 0, sizeof(parsed));
	if (text == NULL || !read_line(&cursor, end, line, sizeof(line)) || strcmp(line, record_header) != 0)
		return false;
	if (!read_line(&cursor, end, line, sizeof(line)) || strncmp(line, "time ", 5) != 0 ||
	    !whole_number(line + 5, when))
		return false;
	if (!read_line(&cursor, end, line, sizeof(line)) || strncmp(line, "stop ", 5) != 0)
		return false;
	for (parsed.stop = CORDON_AUDIT_COMPLETE; parsed.stop <= CORDON_AUDIT_TIME_LIMIT; parsed.stop++)
		if (strcmp(line + 5, cordon_audit_stop_name(parsed.stop)) == 0)
			break;
	if (parsed.stop > CORDON_AUDIT_TIME_LIMIT)
		return false;
	if (!read_line(&cursor, end, line, sizeof(line)) || strncmp(line, "checks ", 7) != 0 ||
	    !whole_number(line + 7, &number))
		return false;
	parsed.checks = (size_t)number;
	while (cursor < end) {
		unsigned writers = 0;
		int consumed = 0;
		/* "dir XX C:\path": two hex digits, a space, an absolute path */
		if (!read_line(&cursor, end, line, sizeof(line)) ||
		    sscanf(line, "dir %2x %n", &writers, &consumed) != 1 || consumed != 7 || writers == 0 ||
		    line[consumed] == '\0' || line[consumed + 1] != ':' ||
		    add_finding(&w, line + consumed, writers) != CORDON_OK) {
			cordon_audit_result_free(&parsed);
			return false;
		}
	}
	*result = parsed;
	return true;
}

bool cordon_audit_record_fresh(long long when, long long now)
{
	return when <= now && now - when < CORDON_AUDIT_MAX_AGE_SECONDS;
}
