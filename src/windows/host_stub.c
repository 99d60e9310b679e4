/* cordon_probe_host on Windows, until the Windows backend exists: the
 * version is read from the system (RtlGetVersion, which unlike
 * GetVersionEx does not depend on the executable's manifest), and every
 * protection is reported missing, because this build has no code to apply
 * any of them, whatever the host could do. */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "cordon.h"
#include "core/error.h"

typedef LONG(WINAPI *rtl_get_version_fn)(OSVERSIONINFOW *);

static const char *const windows_features[] = {
	"restricted token",
	"workspace ACLs",
	"protected-name deny ACEs",
	"job object (tree kill)",
	"private desktop",
	"network filter (WFP, elevated mode)",
	"ConPTY",
};

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

cordon_code cordon_probe_host(cordon_host_report *out, cordon_error *err)
{
	if (out == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "cordon_probe_host needs a report to fill");
	memset(out, 0, sizeof(*out));
	describe_platform(out->platform, sizeof(out->platform));
	for (size_t i = 0; i < sizeof(windows_features) / sizeof(windows_features[0]); i++) {
		cordon_host_feature *f = &out->features[out->feature_count++];
		snprintf(f->name, sizeof(f->name), "%s", windows_features[i]);
		f->state = CORDON_FEATURE_MISSING;
		snprintf(f->detail, sizeof(f->detail), "the Windows backend is not built yet");
		snprintf(f->lost, sizeof(f->lost),
			 "cordon cannot enforce a sandbox on Windows in this version and refuses to run "
			 "commands");
		snprintf(f->hint, sizeof(f->hint),
			 "run cordon on Linux, or use a cordon release that includes the Windows backend");
	}
	return CORDON_OK;
}
