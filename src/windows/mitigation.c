/* Process mitigation policies a sandboxed command is created with
 * (PROC_THREAD_ATTRIBUTE_MITIGATION_POLICY). Only those that ordinary
 * tools (cmd, PowerShell, git with its MSYS2 bash, node, python) are
 * known to live with: nothing that stops a JIT (dynamic code), demands
 * signed or Microsoft DLLs, or changes address-space layout (Cygwin's
 * fork, under Git for Windows' bash and hooks, needs it unchanged).
 * docs/windows.md, "Process mitigation policies", has the table of what
 * is set and what is left out and why. */
#include "windows/win_internal.h"

#include "core/error.h"

/* - legacy extension points (AppInit_DLLs, Winsock LSPs, global window
 *   hooks, legacy IMEs) load no DLL of another program into the command;
 * - no image labelled Low integrity (written by a Low process) loads;
 * - heap corruption ends the process (already so for 64-bit programs;
 *   this covers 32-bit ones). */
#define SANDBOX_MITIGATIONS                                                                                  \
	(PROCESS_CREATION_MITIGATION_POLICY_EXTENSION_POINT_DISABLE_ALWAYS_ON |                              \
	 PROCESS_CREATION_MITIGATION_POLICY_IMAGE_LOAD_NO_LOW_LABEL_ALWAYS_ON |                              \
	 PROCESS_CREATION_MITIGATION_POLICY_HEAP_TERMINATE_ALWAYS_ON)

cordon_code win_mitigation_attach(LPPROC_THREAD_ATTRIBUTE_LIST list, DWORD64 *policy, cordon_error *err)
{
	*policy = SANDBOX_MITIGATIONS;
	if (!UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_MITIGATION_POLICY, policy,
				       sizeof(*policy), NULL, NULL))
		return win_fail(err, GetLastError(), "cannot set the command's process mitigation policies");
	return CORDON_OK;
}
