/* The read-grant helper's owner file and whether it names a live
 * helper: see grant_helper_owner.h. */
#include "windows/plan/grant_helper_owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#define OWNER_VERSION 1

char *cordon_helper_owner_render(const cordon_helper_owner *owner)
{
	cordon_json_writer w;
	char created[24];

	snprintf(created, sizeof(created), "%llu", (unsigned long long)owner->created);
	cordon_json_writer_init(&w, false);
	cordon_json_begin_object(&w);
	cordon_json_key(&w, "version");
	cordon_json_int(&w, OWNER_VERSION);
	cordon_json_key(&w, "pid");
	cordon_json_int(&w, (long long)owner->pid);
	cordon_json_key(&w, "created");
	cordon_json_string(&w, created);
	cordon_json_end_object(&w);
	return cordon_json_writer_finish(&w);
}

/* A decimal number of 1 to 20 digits that fits in 64 bits, no sign, no
 * leading zero. */
static bool parse_u64(const char *text, size_t length, uint64_t *out)
{
	uint64_t value = 0;

	if (length == 0 || length > 20 || (text[0] == '0' && length > 1))
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned digit;

		if (text[i] < '0' || text[i] > '9')
			return false;
		digit = (unsigned)(text[i] - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	*out = value;
	return true;
}

static bool whole_number_in(const cordon_json *value, double low, double high)
{
	return value && value->type == CORDON_JSON_NUMBER && value->number >= low && value->number <= high &&
	       value->number == (double)(long long)value->number;
}

bool cordon_helper_owner_parse(const char *text, size_t length, cordon_helper_owner *out)
{
	cordon_json *root = NULL;
	cordon_json_error error;
	const cordon_json *version, *pid, *created;
	uint64_t time = 0;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (!text || !cordon_json_parse(text, length, &root, &error))
		return false;
	ok = root->type == CORDON_JSON_OBJECT && root->count == 3;
	version = ok ? cordon_json_get(root, "version") : NULL;
	pid = ok ? cordon_json_get(root, "pid") : NULL;
	created = ok ? cordon_json_get(root, "created") : NULL;
	ok = whole_number_in(version, OWNER_VERSION, OWNER_VERSION) && whole_number_in(pid, 1, UINT32_MAX) &&
	     created && created->type == CORDON_JSON_STRING &&
	     parse_u64(created->string, created->string_length, &time) && time != 0;
	if (ok) {
		out->pid = (uint32_t)pid->number;
		out->created = time;
	}
	cordon_json_free(root);
	return ok;
}

cordon_helper_liveness cordon_helper_liveness_of(const cordon_helper_owner *owner,
						 const cordon_helper_probe *probe)
{
	if (!owner || !probe)
		return CORDON_HELPER_NOT_RUNNING;
	switch (probe->outcome) {
	case CORDON_HELPER_PROBE_OPENED:
		/* Another process with the id (ids are reused), or the helper
		 * itself after it exited: not the owner, not running. */
		return probe->created == owner->created && !probe->exited ? CORDON_HELPER_RUNNING
									  : CORDON_HELPER_NOT_RUNNING;
	case CORDON_HELPER_PROBE_NO_PROCESS: return CORDON_HELPER_NOT_RUNNING;
	case CORDON_HELPER_PROBE_ACCESS_DENIED:
	case CORDON_HELPER_PROBE_FAILED: return CORDON_HELPER_UNKNOWN;
	}
	return CORDON_HELPER_UNKNOWN;
}

const char *cordon_helper_liveness_name(cordon_helper_liveness liveness)
{
	switch (liveness) {
	case CORDON_HELPER_RUNNING: return "running";
	case CORDON_HELPER_NOT_RUNNING: return "not running";
	case CORDON_HELPER_UNKNOWN: return "unknown";
	}
	return "unknown";
}
