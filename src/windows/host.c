/* cordon_probe_host on Windows: both modes and what each enforces. The
 * version comes from RtlGetVersion (which, unlike GetVersionEx, does not
 * depend on the executable's manifest); the job and restricted-token
 * entries are tried, not assumed. */
#include "windows/win_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

typedef LONG(WINAPI *rtl_get_version_fn)(OSVERSIONINFOW *);

static void describe_platform(char *out, size_t size)
{
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	FARPROC proc = ntdll ? GetProcAddress(ntdll, "RtlGetVersion") : NULL;
	OSVERSIONINFOW version;
	rtl_get_version_fn get_version;

	snprintf(out, size, "Windows");
	if (proc == NULL)
		return;
	/* GetProcAddress returns a generic pointer; the documented prototype
	 * is RtlGetVersion(PRTL_OSVERSIONINFOW). */
	memcpy(&get_version, &proc, sizeof(get_version));
	memset(&version, 0, sizeof(version));
	version.dwOSVersionInfoSize = sizeof(version);
	if (get_version(&version) == 0)
		snprintf(out, size, "Windows %lu.%lu.%lu", (unsigned long)version.dwMajorVersion,
			 (unsigned long)version.dwMinorVersion, (unsigned long)version.dwBuildNumber);
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

cordon_code cordon_probe_host(cordon_host_report *out, cordon_error *err)
{
	char detail[192];
	if (out == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cordon_probe_host needs a report to fill");
	memset(out, 0, sizeof(*out));
	describe_platform(out->platform, sizeof(out->platform));

	missing(out, "elevated mode", "not set up ('cordon setup' is not available in this version)",
		"the protecting mode: a sandbox account your files grant nothing (blocks deletes and renames "
		"outside the roots), WFP filters that enforce the network policy",
		"sandboxed runs refuse without it; 'cordon run --best-effort' runs in restricted-token mode");
	bool token = restricted_token_works(detail, sizeof(detail));
	if (token)
		snprintf(add(out, "restricted-token mode", CORDON_FEATURE_AVAILABLE)->detail, sizeof(detail),
			 "%s", detail);
	else
		missing(out, "restricted-token mode", detail, "every sandboxed run",
			"report this with 'cordon doctor' output");
	missing(out, "restricted-token: delete-child", "not probed: assumed not re-checked",
		"deletes and renames through a parent's delete-child right (files outside the roots, .git "
		"out of a workspace) are not blocked in restricted-token mode",
		"elevated mode blocks them (not available in this version)");
	missing(out, "restricted-token: network",
		"advisory only: proxy variables, ssh/scp stubs first on PATH",
		"programs that open sockets themselves reach the network in restricted-token mode",
		"elevated mode's WFP filters enforce it (not available in this version)");
	if (job_works(detail, sizeof(detail)))
		snprintf(add(out, "job object", CORDON_FEATURE_AVAILABLE)->detail, sizeof(detail), "%s",
			 detail);
	else
		missing(out, "job object", detail, "every run: cordon cannot kill the command's tree",
			"report this with 'cordon doctor' output");
	missing(out, "Everyone-writable audit", "not wired in this version",
		"directories outside the roots that Everyone may write are not denied to the command",
		"none yet: the roots' allow, the protected names' and the state directory's denies are "
		"applied once per workspace; the audit is the next step");
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
