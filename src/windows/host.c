/* cordon_probe_host on Windows: both modes and what each enforces. The
 * version comes from RtlGetVersion (which, unlike GetVersionEx, does not
 * depend on the executable's manifest); the job and restricted-token
 * entries are tried, not assumed. */
#include "windows/win_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/elevated.h"

typedef LONG(WINAPI *rtl_get_version_fn)(OSVERSIONINFOW *);

static bool os_version(OSVERSIONINFOW *version)
{
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	FARPROC proc = ntdll ? GetProcAddress(ntdll, "RtlGetVersion") : NULL;
	rtl_get_version_fn get_version;

	if (proc == NULL)
		return false;
	/* GetProcAddress returns a generic pointer; the documented prototype
	 * is RtlGetVersion(PRTL_OSVERSIONINFOW). */
	memcpy(&get_version, &proc, sizeof(get_version));
	memset(version, 0, sizeof(*version));
	version->dwOSVersionInfoSize = sizeof(*version);
	return get_version(version) == 0;
}

unsigned long win_os_build(void)
{
	OSVERSIONINFOW version;
	return os_version(&version) ? (unsigned long)version.dwBuildNumber : 0;
}

static void describe_platform(char *out, size_t size)
{
	OSVERSIONINFOW version;

	snprintf(out, size, "Windows");
	if (os_version(&version))
		snprintf(out, size, "Windows %lu.%lu.%lu", (unsigned long)version.dwMajorVersion,
			 (unsigned long)version.dwMinorVersion, (unsigned long)version.dwBuildNumber);
}

/* %LOCALAPPDATA%\cordon, as policy resolution places it (allocated). */
static char *state_directory(void)
{
	wchar_t base[MAX_PATH];
	DWORD n = GetEnvironmentVariableW(L"LOCALAPPDATA", base, MAX_PATH);
	char *utf8 = n > 0 && n < MAX_PATH ? win_utf8(base, -1) : NULL;
	char *dir = utf8 ? malloc(strlen(utf8) + sizeof("\\cordon")) : NULL;
	if (dir != NULL)
		sprintf(dir, "%s\\cordon", utf8);
	free(utf8);
	return dir;
}

static bool job_works(char *detail, size_t size)
{
	win_job job;
	cordon_error err = {0};
	if (win_job_create(&job, &err) != CORDON_OK) {
		snprintf(detail, size, "%s", err.message);
		return false;
	}
	win_job_close(&job);
	snprintf(detail, size, "kill on close, die on unhandled exception, no breakaway, UI limits");
	return true;
}

static bool restricted_token_works(char *detail, size_t size)
{
	HANDLE own = NULL;
	HANDLE restricted = NULL;
	SID_IDENTIFIER_AUTHORITY world = {SECURITY_WORLD_SID_AUTHORITY};
	SID_AND_ATTRIBUTES everyone = {0};

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY,
			      &own) ||
	    !AllocateAndInitializeSid(&world, 1, SECURITY_WORLD_RID, 0, 0, 0, 0, 0, 0, 0, &everyone.Sid)) {
		snprintf(detail, size, "cannot read cordon's own token (Windows error %lu)",
			 (unsigned long)GetLastError());
		if (own != NULL)
			CloseHandle(own);
		return false;
	}
	BOOL ok = CreateRestrictedToken(own, WRITE_RESTRICTED | DISABLE_MAX_PRIVILEGE, 0, NULL, 0, NULL, 1,
					&everyone, &restricted);
	DWORD error = GetLastError();
	FreeSid(everyone.Sid);
	CloseHandle(own);
	if (!ok) {
		snprintf(detail, size, "CreateRestrictedToken failed (Windows error %lu)",
			 (unsigned long)error);
		return false;
	}
	CloseHandle(restricted);
	snprintf(detail, size,
		 "with --best-effort: write-restricted token, privileges removed, capability SIDs; writes "
		 "only where an ACE grants its SIDs");
	return true;
}

static cordon_host_feature *add(cordon_host_report *out, const char *name, cordon_feature_state state)
{
	cordon_host_feature *f = &out->features[out->feature_count++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->state = state;
	return f;
}

static void missing(cordon_host_report *out, const char *name, const char *detail, const char *lost,
		    const char *hint)
{
	cordon_host_feature *f = add(out, name, CORDON_FEATURE_MISSING);
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
	snprintf(f->lost, sizeof(f->lost), "%s", lost);
	snprintf(f->hint, sizeof(f->hint), "%s", hint);
}

/* The contract line the Windows smoke suite parses (docs/windows.md, "The
 * probe and `cordon doctor`"): "write-restricted delete-child: VALUE",
 * and where VALUE came from. */
static void report_probe(cordon_host_report *out, const char *state_dir)
{
	win_probe_result probe;
	char value[192];
	char detail[192];

	win_probe_delete_child(state_dir, &probe);
	cordon_probe_verdict_text(&probe.verdict, value, sizeof(value));
	snprintf(detail, sizeof(detail), "%s (%s build %lu)", value,
		 probe.cached ? "cached for" : "probed on", probe.build);
	if (probe.verdict.reading == CORDON_PROBE_RECHECKED) {
		snprintf(add(out, "write-restricted delete-child", CORDON_FEATURE_AVAILABLE)->detail,
			 sizeof(detail), "%s", detail);
		return;
	}
	missing(out, "write-restricted delete-child", detail,
		"restricted-token mode does not block deletes and renames through a parent's delete-child "
		"right (files outside the roots, .git out of a workspace)",
		"elevated mode blocks them ('cordon setup', once, as administrator); delete the cache file "
		"'delete-child-probe' in the state directory to probe again");
}

/* doctor always audits afresh (and stores the record runs then use). */
static void report_audit(cordon_host_report *out, const char *state_dir)
{
	win_audit_summary audit;
	char detail[192];

	win_audit_ensure(state_dir, true, &audit);
	if (!audit.available) {
		missing(out, "Everyone-writable audit", audit.error,
			"directories outside the roots that Everyone may write are not denied to the command",
			"report this with 'cordon doctor' output");
		return;
	}
	snprintf(detail, sizeof(detail),
		 "%lu found in the well-known places (%lu writable by Everyone or a logon SID: denied to "
		 "sandboxed commands); %lu objects examined, %s",
		 (unsigned long)audit.found, (unsigned long)audit.everyone_or_logon,
		 (unsigned long)audit.checks,
		 audit.stop == CORDON_AUDIT_COMPLETE	  ? "complete"
		 : audit.stop == CORDON_AUDIT_COUNT_LIMIT ? "stopped at 50,000 objects"
							  : "stopped at 2 s");
	if (audit.stop == CORDON_AUDIT_COMPLETE)
		snprintf(add(out, "Everyone-writable audit", CORDON_FEATURE_AVAILABLE)->detail,
			 sizeof(detail), "%s", detail);
	else
		missing(out, "Everyone-writable audit", detail,
			"the places the audit did not reach are not examined: Everyone-writable directories "
			"there stay writable",
			"run 'cordon doctor' again when the machine is idle");
}

/* "elevated mode: ready", "elevated mode: not set up (...)" or
 * "elevated mode: stale (...)": the first and the start of the second are
 * what the Windows smoke suite parses (docs/windows.md). The state
 * directory is the one a run in the current directory would use. */
static void describe_elevated_mode(cordon_host_report *out)
{
	static const char lost[] = "the protecting mode: a sandbox account your files grant nothing (blocks "
				   "deletes and renames outside the roots), WFP filters that enforce the "
				   "network policy";
	cordon_policy *policy = cordon_policy_new();
	cordon_resolved *resolved = NULL;
	win_setup_status status;
	cordon_error err = {0};
	char detail[192];

	memset(&status, 0, sizeof(status));
	if (!policy || cordon_policy_resolve(policy, &resolved, &err) != CORDON_OK ||
	    win_setup_status_read(resolved, &status, &err) != CORDON_OK) {
		snprintf(detail, sizeof(detail), "not checked (%s)", policy ? err.message : "out of memory");
		missing(out, "elevated mode", detail, lost, "report this with 'cordon doctor' output");
	} else if (status.ready) {
		cordon_host_feature *f = add(out, "elevated mode", CORDON_FEATURE_AVAILABLE);

		snprintf(f->detail, sizeof(f->detail), "ready%s%s%s", status.reason[0] ? " (" : "",
			 status.reason, status.reason[0] ? ")" : "");
	} else if (!status.recorded) {
		missing(out, "elevated mode", "not set up ('cordon setup' from an elevated prompt, once)",
			lost,
			"sandboxed runs refuse without it; 'cordon run --best-effort' runs in "
			"restricted-token "
			"mode");
	} else {
		/* status.reason starts "stale: ...". */
		snprintf(detail, sizeof(detail), "stale (%s)",
			 status.reason + (strncmp(status.reason, "stale: ", 7) == 0 ? 7 : 0));
		missing(out, "elevated mode", detail, lost,
			"run 'cordon setup' again from an elevated prompt");
	}
	cordon_resolved_free(resolved);
	cordon_policy_free(policy);
}

cordon_code cordon_probe_host(cordon_host_report *out, cordon_error *err)
{
	char detail[192];
	if (out == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cordon_probe_host needs a report to fill");
	memset(out, 0, sizeof(*out));
	describe_platform(out->platform, sizeof(out->platform));

	describe_elevated_mode(out);
	bool token = restricted_token_works(detail, sizeof(detail));
	if (token)
		snprintf(add(out, "restricted-token mode", CORDON_FEATURE_AVAILABLE)->detail, sizeof(detail),
			 "%s", detail);
	else
		missing(out, "restricted-token mode", detail, "every sandboxed run",
			"report this with 'cordon doctor' output");
	char *state_dir = state_directory();
	if (state_dir != NULL)
		snprintf(add(out, "state directory", CORDON_FEATURE_AVAILABLE)->detail, sizeof(detail), "%s",
			 state_dir);
	report_probe(out, state_dir);
	missing(out, "restricted-token: network",
		"advisory only: proxy variables, ssh/scp stubs first on PATH",
		"programs that open sockets themselves reach the network in restricted-token mode",
		"elevated mode's WFP filters enforce it ('cordon setup', once, as administrator)");
	if (job_works(detail, sizeof(detail)))
		snprintf(add(out, "job object", CORDON_FEATURE_AVAILABLE)->detail, sizeof(detail), "%s",
			 detail);
	else
		missing(out, "job object", detail, "every run: cordon cannot kill the command's tree",
			"report this with 'cordon doctor' output");
	report_audit(out, state_dir);
	free(state_dir);
	if (win_desktop_works(detail, sizeof(detail)))
		snprintf(add(out, "private desktop", CORDON_FEATURE_AVAILABLE)->detail, sizeof(detail), "%s",
			 detail);
	else
		missing(out, "private desktop", detail, "every sandboxed run (cordon refuses without it)",
			"run cordon from an interactive session");
	HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
	if (kernel32 != NULL && GetProcAddress(kernel32, "CreatePseudoConsole") != NULL)
		snprintf(add(out, "ConPTY (--pty)", CORDON_FEATURE_AVAILABLE)->detail, sizeof(detail), "%s",
			 "a pseudo console under the same token and job");
	else
		missing(out, "ConPTY (--pty)", "CreatePseudoConsole is missing (Windows before 10 1809)",
			"--pty runs refuse", "update Windows, or run without --pty");
	return CORDON_OK;
}
