/* The delete-child probe's decision and cache: see probe_verdict.h. */
#include "windows/plan/probe_verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *attempt_name(int index)
{
	static const char *const names[] = {"delete", "rename", "DACL rewrite", "control write"};
	return names[index];
}

static const cordon_probe_attempt *attempt_at(const cordon_probe_observations *observed, int index)
{
	const cordon_probe_attempt *attempts[] = {&observed->delete_file, &observed->rename_file,
						  &observed->rewrite_dacl, &observed->control_create};
	return attempts[index];
}

static cordon_probe_verdict unknown(bool cacheable, const char *reason)
{
	cordon_probe_verdict verdict = {.reading = CORDON_PROBE_UNKNOWN, .cacheable = cacheable};
	snprintf(verdict.reason, sizeof(verdict.reason), "%s", reason);
	return verdict;
}

cordon_probe_verdict cordon_probe_decide(const cordon_probe_observations *observed)
{
	cordon_probe_verdict verdict = {.reading = CORDON_PROBE_UNKNOWN};
	for (int i = 0; i < 4; i++) {
		const cordon_probe_attempt *attempt = attempt_at(observed, i);
		if (attempt->outcome == CORDON_PROBE_FAILED) {
			snprintf(verdict.reason, sizeof(verdict.reason),
				 "probe failed: the %s attempt ended with Windows error %lu", attempt_name(i),
				 attempt->error);
			return verdict;
		}
	}
	/* WRITE_DAC is re-checked under every reading, and the user is not
	 * a restricting SID: a host that allows it enforces no
	 * write-restricted token (Wine, for one). */
	if (observed->rewrite_dacl.outcome == CORDON_PROBE_ALLOWED)
		return unknown(true, "the DACL rewrite was allowed: this host does not enforce "
				     "write-restricted tokens (as under Wine)");
	if (observed->control_create.outcome == CORDON_PROBE_DENIED)
		return unknown(true,
			       "the control write, which the token's capability SID is granted, was "
			       "denied: the token or the scratch directory is not what the probe assumes");
	bool deleted = observed->delete_file.outcome == CORDON_PROBE_ALLOWED;
	bool renamed = observed->rename_file.outcome == CORDON_PROBE_ALLOWED;
	verdict.cacheable = true;
	if (!deleted && !renamed) {
		verdict.reading = CORDON_PROBE_RECHECKED;
		return verdict;
	}
	verdict.reading = CORDON_PROBE_NOT_RECHECKED;
	if (deleted != renamed)
		snprintf(verdict.reason, sizeof(verdict.reason), "%s allowed, %s denied",
			 deleted ? "delete" : "rename", deleted ? "rename" : "delete");
	return verdict;
}

const char *cordon_probe_reading_name(cordon_probe_reading reading)
{
	switch (reading) {
	case CORDON_PROBE_RECHECKED: return "re-checked";
	case CORDON_PROBE_NOT_RECHECKED: return "not re-checked";
	case CORDON_PROBE_UNKNOWN: break;
	}
	return "unknown";
}

void cordon_probe_verdict_text(const cordon_probe_verdict *verdict, char *out, size_t size)
{
	const char *name = cordon_probe_reading_name(verdict->reading);
	if (verdict->reason[0] != '\0' || verdict->reading == CORDON_PROBE_UNKNOWN)
		snprintf(out, size, "%s (%s)", name,
			 verdict->reason[0] ? verdict->reason : "no reason given");
	else
		snprintf(out, size, "%s", name);
}

/* ------------------------------------------------------------ the cache */

static const char cache_header[] = "cordon delete-child probe 1";

/* The one-word form in the file, so a reason can never be read as one. */
static const char *reading_token(cordon_probe_reading reading)
{
	switch (reading) {
	case CORDON_PROBE_RECHECKED: return "re-checked";
	case CORDON_PROBE_NOT_RECHECKED: return "not-re-checked";
	case CORDON_PROBE_UNKNOWN: break;
	}
	return "unknown";
}

void cordon_probe_cache_format(unsigned long build, const cordon_probe_verdict *verdict, char *out,
			       size_t size)
{
	char reason[sizeof(verdict->reason)];
	size_t n = 0;
	/* One line: a reason never carries a newline into the file. */
	for (const char *c = verdict->reason; *c && n + 1 < sizeof(reason); c++)
		reason[n++] = (*c == '\n' || *c == '\r') ? ' ' : *c;
	reason[n] = '\0';
	snprintf(out, size, "%s\nbuild %lu\nreading %s\nreason %s\n", cache_header, build,
		 reading_token(verdict->reading), reason);
}

/* The next line of text (without its newline) into line; false at the
 * end or when a line does not fit. */
static bool next_line(const char **cursor, const char *end, char *line, size_t size)
{
	const char *start = *cursor;
	const char *newline = memchr(start, '\n', (size_t)(end - start));
	if (start >= end || newline == NULL || (size_t)(newline - start) >= size)
		return false;
	memcpy(line, start, (size_t)(newline - start));
	line[newline - start] = '\0';
	*cursor = newline + 1;
	return true;
}

bool cordon_probe_cache_parse(const char *text, size_t length, unsigned long build,
			      cordon_probe_verdict *verdict)
{
	const char *cursor = text;
	const char *end = text + length;
	char line[256];
	char *after = NULL;
	cordon_probe_verdict parsed = {.cacheable = true};

	if (text == NULL || !next_line(&cursor, end, line, sizeof(line)) || strcmp(line, cache_header) != 0)
		return false;
	if (!next_line(&cursor, end, line, sizeof(line)) || strncmp(line, "build ", 6) != 0 ||
	    line[6] < '0' || line[6] > '9')
		return false;
	unsigned long cached_build = strtoul(line + 6, &after, 10);
	if (*after != '\0' || cached_build != build)
		return false;
	if (!next_line(&cursor, end, line, sizeof(line)) || strncmp(line, "reading ", 8) != 0)
		return false;
	if (strcmp(line + 8, "re-checked") == 0)
		parsed.reading = CORDON_PROBE_RECHECKED;
	else if (strcmp(line + 8, "not-re-checked") == 0)
		parsed.reading = CORDON_PROBE_NOT_RECHECKED;
	else if (strcmp(line + 8, "unknown") == 0)
		parsed.reading = CORDON_PROBE_UNKNOWN;
	else
		return false;
	if (!next_line(&cursor, end, line, sizeof(line)) || strncmp(line, "reason ", 7) != 0 ||
	    strlen(line + 7) >= sizeof(parsed.reason) || cursor != end)
		return false;
	/* An unknown without a reason was never written by this code. */
	if (parsed.reading == CORDON_PROBE_UNKNOWN && line[7] == '\0')
		return false;
	snprintf(parsed.reason, sizeof(parsed.reason), "%s", line + 7);
	*verdict = parsed;
	return true;
}
