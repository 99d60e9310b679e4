/* Which Windows mode a run gets, failing closed.
 *
 * Elevated mode (a separate sandbox account made by 'cordon setup') is the
 * one that protects; it is not built yet, so a sandboxed run refuses
 * unless the caller asked for best effort, and then runs in
 * restricted-token mode and lists what that mode does not enforce. Never
 * a silent downgrade. Full access needs no sandbox and always runs (the
 * CLI says so out loud). */
#include "windows/win_internal.h"

#include "core/error.h"

static const char note_network[] =
	"network: advisory only in restricted-token mode (proxy variables and ssh/scp stubs first on "
	"PATH; a program that opens sockets itself still reaches the network)";
/* The probe of issue 9 item 2 decides this line once it exists. */
static const char note_delete_child[] =
	"deletes and renames through a parent's delete-child right (files outside the roots, .git out of "
	"a workspace): not probed: assumed not re-checked by the write-restricted token";
static const char note_everyone_writable[] =
	"directories outside the roots that Everyone may write: writable by the command (the audit "
	"that denies them is not wired in this version)";

bool win_elevated_is_set_up(const cordon_resolved *policy)
{
	/* 'cordon setup' does not exist yet (the next issue): nothing can
	 * have set it up. */
	(void)policy;
	return false;
}

static void add_note(win_notes *notes, const char *line)
{
	if (notes->count < WIN_NOTES_MAX)
		notes->lines[notes->count++] = line;
}

cordon_code win_mode_choose(const cordon_resolved *policy, win_mode *mode, win_notes *notes,
			    cordon_error *err)
{
	notes->count = 0;
	if (cordon_resolved_mode(policy) == CORDON_MODE_FULL_ACCESS) {
		*mode = WIN_MODE_FULL_ACCESS;
		return CORDON_OK;
	}
	if (cordon_resolved_network(policy) == CORDON_NETWORK_PROXY)
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"--network proxy is not available on Windows in this version: the allowlist "
			"proxy is not wired to the Windows backend; nothing was run; use --network off "
			"or --network on");
	if (win_elevated_is_set_up(policy)) {
		*mode = WIN_MODE_ELEVATED;
		return CORDON_OK;
	}
	if (!cordon_resolved_best_effort(policy))
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"cannot sandbox on Windows: elevated mode is not set up ('cordon setup', not "
			"available in this version); nothing was run; pass --best-effort to run in "
			"restricted-token mode, which enforces less (see 'cordon doctor')");
	*mode = WIN_MODE_RESTRICTED_TOKEN;
	if (cordon_resolved_network(policy) != CORDON_NETWORK_ON)
		add_note(notes, note_network);
	add_note(notes, note_delete_child);
	add_note(notes, note_everyone_writable);
	return CORDON_OK;
}
