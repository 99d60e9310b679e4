/* Enum names, and the shell status of an exit: portable, shared by every
 * backend (the Linux spawn module, the Windows stub) and the run log. */
#include "names.h"

const char *cordon_mode_name(cordon_mode mode)
{
	switch (mode) {
	case CORDON_MODE_READ_ONLY: return "read-only";
	case CORDON_MODE_WORKSPACE_WRITE: return "workspace-write";
	case CORDON_MODE_FULL_ACCESS: return "full-access";
	}
	return "unknown";
}

const char *cordon_network_name(cordon_network network)
{
	switch (network) {
	case CORDON_NETWORK_OFF: return "off";
	case CORDON_NETWORK_ON: return "on";
	case CORDON_NETWORK_PROXY: return "proxy";
	}
	return "unknown";
}

/* 125 for anything else: cordon itself could not say what happened. */
int cordon_exit_status(const cordon_exit *exit_info)
{
	if (exit_info == NULL)
		return 125;
	switch (exit_info->kind) {
	case CORDON_EXIT_CODE: return exit_info->code;
	case CORDON_EXIT_SIGNAL: return 128 + exit_info->signal_number;
	case CORDON_EXIT_TIMEOUT: return 124;
	case CORDON_EXIT_NOT_FOUND: return 127;
	case CORDON_EXIT_NOT_EXECUTABLE: return 126;
	}
	return 125;
}
