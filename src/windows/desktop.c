/* The private desktop every sandboxed run starts on.
 *
 * A desktop is the unit Windows scopes window messages, hooks, window
 * enumeration and FindWindow to: a command on a desktop of its own cannot
 * see or send messages to the user's windows (Explorer's among them), and
 * no window it opens appears in front of the user. With the job's UI
 * limits (job.c: no foreign USER handles, own atom table, no clipboard, no
 * desktop switching) this is cordon's answer to a command asking another
 * process to open something for it; docs/windows.md, "Desktop", lists the
 * routes and what closes each.
 *
 * The desktop is made in cordon's own window station with a random name
 * and one ACE: the logon SID of the token the command runs with, for the
 * rights a program needs to create windows and menus and hook its own
 * threads, never to switch the desktop, record or play back input, or
 * change the desktop's DACL or delete it. The logon SID is in the token's
 * groups and among its restricting SIDs (token_plan.h), so one ACE
 * admits both passes of a restricted token's access check. The elevated
 * runner calls cordon_spawn with its own restricted token, whose logon
 * SID is the runner's: the same code serves both modes. Full-access runs
 * stay on the user's desktop. The desktop goes when cordon closes its
 * handle after the run and no thread of the command is left on it. */
#include "windows/win_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <ntsecapi.h>
#include <string.h>

#include "core/error.h"

/* What the command's logon SID may do on its desktop: windows, menus,
 * hooks on its own threads, reading and writing its own objects. Not
 * DESKTOP_SWITCHDESKTOP (bring itself in front of the user),
 * DESKTOP_JOURNALRECORD/PLAYBACK, WRITE_DAC, WRITE_OWNER or DELETE. */
#define COMMAND_DESKTOP_RIGHTS                                                                               \
	(DESKTOP_READOBJECTS | DESKTOP_CREATEWINDOW | DESKTOP_CREATEMENU | DESKTOP_HOOKCONTROL |             \
	 DESKTOP_ENUMERATE | DESKTOP_WRITEOBJECTS | READ_CONTROL)

/* Desktop heap for the run's desktop, in KiB: a console command needs
 * little; the interactive default (20 MiB each, from the session's view
 * space) would limit how many runs can be open at once. */
#define COMMAND_DESKTOP_HEAP_KIB 4096

typedef HDESK(WINAPI *create_desktop_ex_fn)(LPCWSTR, LPCWSTR, DEVMODEW *, DWORD, ACCESS_MASK,
					    LPSECURITY_ATTRIBUTES, ULONG, PVOID);

/* Allocates a copy of the logon SID among token's groups; NULL (with
 * *error) when it has none or cannot be read. */
static PSID logon_sid_of(HANDLE token, DWORD *error)
{
	DWORD length = 0;
	PSID found = NULL;

	GetTokenInformation(token, TokenGroups, NULL, 0, &length);
	TOKEN_GROUPS *groups = malloc(length ? length : 1);
	if (groups == NULL) {
		*error = ERROR_NOT_ENOUGH_MEMORY;
		return NULL;
	}
	if (!GetTokenInformation(token, TokenGroups, groups, length, &length)) {
		*error = GetLastError();
		free(groups);
		return NULL;
	}
	*error = ERROR_NO_SUCH_LOGON_SESSION;
	for (DWORD i = 0; i < groups->GroupCount && found == NULL; i++) {
		if ((groups->Groups[i].Attributes & SE_GROUP_LOGON_ID) != SE_GROUP_LOGON_ID)
			continue;
		DWORD size = GetLengthSid(groups->Groups[i].Sid);
		found = malloc(size);
		if (found == NULL || !CopySid(size, found, groups->Groups[i].Sid)) {
			*error = found == NULL ? ERROR_NOT_ENOUGH_MEMORY : GetLastError();
			free(found);
			found = NULL;
			break;
		}
	}
	free(groups);
	return found;
}

/* Allocates the name of a window station or desktop (UOI_NAME). */
static wchar_t *object_name(HANDLE object)
{
	DWORD needed = 0;
	GetUserObjectInformationW(object, UOI_NAME, NULL, 0, &needed);
	if (needed == 0)
		return NULL;
	wchar_t *name = calloc(needed / sizeof(wchar_t) + 1, sizeof(wchar_t));
	if (name != NULL && !GetUserObjectInformationW(object, UOI_NAME, name, needed, &needed)) {
		free(name);
		return NULL;
	}
	return name;
}

/* Allocates "cordon-<pid>-<64 random bits>": CreateDesktop opens a
 * desktop that already has the name, so the name must be one nobody can
 * guess. */
static wchar_t *random_desktop_name(void)
{
	unsigned long long bits = 0;
	char name[64];
	if (!RtlGenRandom(&bits, sizeof(bits)))
		return NULL;
	snprintf(name, sizeof(name), "cordon-%lx-%016llx", (unsigned long)GetCurrentProcessId(), bits);
	return win_wide(name);
}

static HDESK create_desktop(const wchar_t *name, SECURITY_ATTRIBUTES *attributes)
{
	/* CreateDesktopExW (Vista and later) takes a heap size; Wine 8 does
	 * not export it, and CreateDesktopW makes the same desktop with the
	 * window station's default heap. */
	HMODULE user32 = GetModuleHandleW(L"user32.dll");
	create_desktop_ex_fn create_ex =
		user32 ? (create_desktop_ex_fn)(void (*)(void))GetProcAddress(user32, "CreateDesktopExW")
		       : NULL;
	if (create_ex != NULL)
		return create_ex(name, NULL, NULL, 0, COMMAND_DESKTOP_RIGHTS, attributes,
				 COMMAND_DESKTOP_HEAP_KIB, NULL);
	return CreateDesktopW(name, NULL, NULL, 0, COMMAND_DESKTOP_RIGHTS, attributes);
}

cordon_code win_desktop_create(HANDLE command_token, win_desktop *desktop, cordon_error *err)
{
	DWORD error = 0;
	wchar_t *name = NULL;
	SECURITY_DESCRIPTOR descriptor;
	cordon_code code = CORDON_OK;

	desktop->desktop = NULL;
	desktop->full_name = NULL;
	HANDLE own = NULL;
	if (command_token == NULL && !OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &own))
		return win_fail(err, GetLastError(), "cannot read cordon's own token for the run's desktop");
	PSID logon = logon_sid_of(command_token != NULL ? command_token : own, &error);
	if (own != NULL)
		CloseHandle(own);
	if (logon == NULL)
		return win_fail(err, error,
				"cannot make the run's private desktop: the command's token has no readable "
				"logon SID; nothing was run");
	DWORD acl_size = sizeof(ACL) + sizeof(ACCESS_ALLOWED_ACE) + GetLengthSid(logon);
	ACL *acl = malloc(acl_size);
	wchar_t *station = object_name(GetProcessWindowStation());
	if (acl == NULL || station == NULL) {
		code = acl == NULL
			       ? cordon_fail(err, CORDON_E_NOMEM,
					     "out of memory while making the run's private desktop")
			       : win_fail(err, GetLastError(),
					  "cannot make the run's private desktop: cordon's window station "
					  "has no name");
		goto done;
	}
	if (!InitializeAcl(acl, acl_size, ACL_REVISION) ||
	    !AddAccessAllowedAce(acl, ACL_REVISION, COMMAND_DESKTOP_RIGHTS, logon) ||
	    !InitializeSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION) ||
	    !SetSecurityDescriptorDacl(&descriptor, TRUE, acl, FALSE)) {
		code = win_fail(err, GetLastError(), "cannot build the DACL of the run's private desktop");
		goto done;
	}
	name = random_desktop_name();
	if (name == NULL) {
		code = cordon_fail(err, CORDON_E_SYSTEM,
				   "cannot name the run's private desktop: no random bits from the system; "
				   "nothing was run");
		goto done;
	}
	SECURITY_ATTRIBUTES attributes = {sizeof(attributes), &descriptor, FALSE};
	desktop->desktop = create_desktop(name, &attributes);
	if (desktop->desktop == NULL) {
		DWORD failure = GetLastError();
		char *shown = win_utf8(station, -1);
		code = win_fail(err, failure,
				"cannot create the run's private desktop in window station '%s'; nothing "
				"was run; run cordon from an interactive session",
				shown != NULL ? shown : "?");
		free(shown);
		goto done;
	}
	size_t length = wcslen(station) + 1 + wcslen(name) + 1;
	desktop->full_name = calloc(length, sizeof(wchar_t));
	if (desktop->full_name == NULL) {
		code = cordon_fail(err, CORDON_E_NOMEM,
				   "out of memory while making the run's private desktop");
		goto done;
	}
	wcscpy(desktop->full_name, station);
	wcscat(desktop->full_name, L"\\");
	wcscat(desktop->full_name, name);
done:
	if (code != CORDON_OK)
		win_desktop_close(desktop);
	free(name);
	free(station);
	free(acl);
	free(logon);
	return code;
}

void win_desktop_close(win_desktop *desktop)
{
	if (desktop->desktop != NULL)
		CloseDesktop(desktop->desktop);
	free(desktop->full_name);
	desktop->desktop = NULL;
	desktop->full_name = NULL;
}

bool win_desktop_works(char *detail, size_t size)
{
	win_desktop desktop;
	cordon_error err = {0};
	if (win_desktop_create(NULL, &desktop, &err) != CORDON_OK) {
		snprintf(detail, size, "%s", err.message);
		return false;
	}
	char *name = win_utf8(desktop.full_name, -1);
	snprintf(detail, size, "each sandboxed run gets its own (made and closed one: %s)",
		 name ? name : "?");
	free(name);
	win_desktop_close(&desktop);
	return true;
}
