#include "windows/plan/cwd_junction.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/winpath.h"

/* Public: a name for a directory, not a secret. */
#define JUNCTION_DIGEST_LABEL "cordon junction name v1"

/* What lets a SID change a folder's entries or the object itself. */
#define CHANGE_RIGHTS                                                                                        \
	(CORDON_WRITE_RIGHTS | CORDON_GENERIC_ALL | CORDON_GENERIC_WRITE | CORDON_FILE_ADD_FILE |            \
	 CORDON_FILE_ADD_SUBDIRECTORY)

bool cordon_junction_name(const char *canonical_dir, char name[CORDON_JUNCTION_NAME_CHARS + 1])
{
	uint8_t digest[32];

	if (!canonical_dir || !*canonical_dir ||
	    !cordon_path_digest(JUNCTION_DIGEST_LABEL, canonical_dir, digest))
		return false;
	for (size_t i = 0; i < CORDON_JUNCTION_NAME_CHARS / 2; i++)
		snprintf(name + 2 * i, 3, "%02x", digest[i]);
	return true;
}

static char *joined(const char *a, const char *b, const char *c)
{
	size_t length = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
	char *out = malloc(length);
	size_t a_length = strlen(a);

	if (!out)
		return NULL;
	while (a_length > 0 && a[a_length - 1] == '\\')
		a_length--;
	snprintf(out, length, "%.*s\\%s%s%s", (int)a_length, a, b, c ? "\\" : "", c ? c : "");
	return out;
}

char *cordon_junction_dir(const char *program_data)
{
	return program_data && *program_data ? joined(program_data, CORDON_JUNCTIONS_SUBDIR, NULL) : NULL;
}

char *cordon_junction_path(const char *program_data, const char *canonical_dir)
{
	char name[CORDON_JUNCTION_NAME_CHARS + 1];

	if (!program_data || !*program_data || !cordon_junction_name(canonical_dir, name))
		return NULL;
	return joined(program_data, CORDON_JUNCTIONS_SUBDIR, name);
}

char *cordon_junction_substitute(const char *canonical_target)
{
	winpath_info info;
	size_t length;
	char *out;

	if (!canonical_target)
		return NULL;
	info = winpath_classify(canonical_target);
	/* A mount point reaches a local volume by drive letter; never a
	 * share, a device, or a relative path. */
	if (info.drive == 0 || canonical_target[1] != ':' || canonical_target[2] != '\\')
		return NULL;
	length = strlen(canonical_target) + 5;
	out = malloc(length);
	if (out)
		snprintf(out, length, "\\??\\%s", canonical_target);
	return out;
}

bool cordon_junction_points_to(const char *substitute, const char *canonical_target)
{
	char *wanted = cordon_junction_substitute(canonical_target);
	size_t wanted_length, got_length;
	bool same = false;

	if (!wanted || !substitute)
		goto done;
	wanted_length = strlen(wanted);
	got_length = strlen(substitute);
	while (wanted_length > 7 && wanted[wanted_length - 1] == '\\')
		wanted[--wanted_length] = '\0';
	while (got_length > 7 && substitute[got_length - 1] == '\\')
		got_length--;
	if (got_length == wanted_length && strncmp(substitute, "\\??\\", 4) == 0) {
		char *got = malloc(got_length + 1);

		if (got) {
			memcpy(got, substitute, got_length);
			got[got_length] = '\0';
			same = winpath_compare(got, wanted) == 0;
			free(got);
		}
	}
done:
	free(wanted);
	return same;
}

static cordon_sid creator_owner(void)
{
	uint32_t sub = 0;

	return cordon_sid_make(3, 1, &sub); /* S-1-3-0 */
}

void cordon_junction_dir_aces(const cordon_sid *user, const cordon_sid *sandbox_group,
			      cordon_ace aces[CORDON_JUNCTION_DIR_ACES])
{
	const uint8_t inherit = CORDON_ACE_OBJECT_INHERIT | CORDON_ACE_CONTAINER_INHERIT;
	cordon_sid system = cordon_sid_local_system(), admins = cordon_sid_administrators();
	cordon_sid creator = creator_owner();
	/* List the folder, add a junction (a directory), read its own DACL:
	 * no FILE_ADD_FILE, no delete-child, nothing inherited. */
	uint32_t user_rights = CORDON_FILE_READ_DATA | CORDON_FILE_ADD_SUBDIRECTORY | CORDON_FILE_EXECUTE |
			       CORDON_FILE_READ_ATTRIBUTES | CORDON_FILE_READ_EA | CORDON_READ_CONTROL |
			       CORDON_SYNCHRONIZE;

	aces[0] = cordon_ace_make(CORDON_ACE_ALLOW, inherit, CORDON_FILE_ALL_ACCESS, &system);
	aces[1] = cordon_ace_make(CORDON_ACE_ALLOW, inherit, CORDON_FILE_ALL_ACCESS, &admins);
	aces[2] = cordon_ace_make(CORDON_ACE_ALLOW, 0, user_rights, user);
	aces[3] = cordon_ace_make(CORDON_ACE_ALLOW, inherit | CORDON_ACE_INHERIT_ONLY, CORDON_FILE_ALL_ACCESS,
				  &creator);
	aces[4] = cordon_ace_make(CORDON_ACE_ALLOW, inherit,
				  CORDON_FILE_GENERIC_READ | CORDON_FILE_GENERIC_EXECUTE, sandbox_group);
}

static bool is_trusted(const cordon_sid *sid, const cordon_sid *owner, const cordon_sid *trusted,
		       size_t trusted_count)
{
	cordon_sid system = cordon_sid_local_system(), admins = cordon_sid_administrators();

	if (cordon_sid_equal(sid, &system) || cordon_sid_equal(sid, &admins))
		return true;
	if (owner && cordon_sid_equal(sid, owner))
		return true;
	for (size_t i = 0; i < trusted_count; i++)
		if (cordon_sid_equal(sid, &trusted[i]))
			return true;
	return false;
}

bool cordon_junction_dacl_safe(bool present, const cordon_ace *aces, size_t count, const cordon_sid *owner,
			       const cordon_sid *trusted, size_t trusted_count)
{
	cordon_sid creator = creator_owner();

	if (!present)
		return false;
	for (size_t i = 0; i < count; i++) {
		const cordon_ace *ace = &aces[i];

		if (ace->type != CORDON_ACE_ALLOW || (ace->mask & CHANGE_RIGHTS) == 0)
			continue;
		if (cordon_sid_equal(&ace->sid, &creator) && (ace->flags & CORDON_ACE_INHERIT_ONLY))
			continue;
		if (!is_trusted(&ace->sid, owner, trusted, trusted_count))
			return false;
	}
	return true;
}
