/* Which Windows mode a run gets, failing closed.
 *
 * Elevated mode (a separate sandbox account made by 'cordon setup') is the
 * one that protects: a run uses it when setup's record is there and not
 * stale (setup_status.c). Otherwise a sandboxed run refuses, naming
 * 'cordon setup' (or, when setup is stale, what changed), unless the
 * caller asked for best effort: then it runs in restricted-token mode and
 * lists what that mode does not enforce, the stale setup included. Never
 * a silent downgrade. Full access needs no sandbox and always runs (the
 * CLI says so out loud). */
#include "windows/win_internal.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/error.h"
#include "proxy/proxy.h"
#include "windows/elevated.h"

static const char note_network[] =
	"network: advisory only in restricted-token mode (proxy variables and ssh/scp stubs first on "
	"PATH; a program that opens sockets itself still reaches the network)";
/* --network proxy: the proxy runs and filters, but only elevated mode's
 * WFP filters make it the command's only way out. */
static const char note_proxy[] =
	"network proxy: the allowlist proxy listens on 127.0.0.1 and [::1] port %u, but in "
	"restricted-token mode only the proxy variables send the command there";
static const char note_delete_child[] =
	"deletes and renames through a parent's delete-child right (files outside the roots, .git out of "
	"a workspace): not blocked: ";
static const char note_everyone_writable[] = "directories outside the roots that Everyone may write: ";
/* --best-effort chose restricted-token mode over a stale elevated setup. */
static const char note_elevated_stale[] =
	"elevated mode: set up but stale ('cordon doctor' says what changed; run 'cordon setup' again): "
	"this run uses restricted-token mode because --best-effort was given";

static void add_note(win_notes *notes, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void add_note(win_notes *notes, const char *format, ...)
{
	va_list args;
	if (notes->count == WIN_NOTES_MAX)
		return;
	va_start(args, format);
	vsnprintf(notes->lines[notes->count++], sizeof(notes->lines[0]), format, args);
	va_end(args);
}

/* The delete-child line comes from the probe (probe.c; cached per OS
 * build): none when the write-restricted token was seen to re-check
 * delete-child, the worst case otherwise. A probe that could not decide
 * never stops the run; the line says so. */
static void note_probe(const cordon_resolved *policy, win_notes *notes)
{
	win_probe_result probe;
	win_probe_delete_child(cordon_resolved_state_dir(policy), &probe);
	switch (probe.verdict.reading) {
	case CORDON_PROBE_RECHECKED: return;
	case CORDON_PROBE_NOT_RECHECKED:
		add_note(notes,
			 "%sthe probe on this Windows build (%lu) found delete-child not re-checked by "
			 "the write-restricted token%s%s",
			 note_delete_child, probe.build, probe.verdict.reason[0] ? ": " : "",
			 probe.verdict.reason);
		return;
	case CORDON_PROBE_UNKNOWN: break;
	}
	add_note(notes, "%sthe delete-child probe could not decide (%s); assumed not re-checked",
		 note_delete_child, probe.verdict.reason);
}

/* The Everyone-writable line comes from the audit's record (audit.c). */
static void note_audit(const cordon_resolved *policy, win_notes *notes)
{
	win_audit_summary audit;
	win_audit_ensure(cordon_resolved_state_dir(policy), false, &audit);
	if (!audit.available) {
		add_note(notes, "%swritable by the command: the audit that denies them has no record (%s)",
			 note_everyone_writable, audit.error);
		return;
	}
	add_note(notes,
		 "%sdenied where the audit of well-known places found them (%lu of %lu findings; %lu objects "
		 "examined, %s); others (other drives, deeper directories) stay writable",
		 note_everyone_writable, (unsigned long)audit.everyone_or_logon, (unsigned long)audit.found,
		 (unsigned long)audit.checks,
		 audit.stop == CORDON_AUDIT_COMPLETE ? "complete" : "stopped at its bound");
}

cordon_code win_mode_choose(const cordon_resolved *policy, win_mode *mode, win_notes *notes,
			    cordon_error *err)
{
	win_setup_status setup;
	cordon_error status_error = {0};

	notes->count = 0;
	if (cordon_resolved_mode(policy) == CORDON_MODE_FULL_ACCESS) {
		*mode = WIN_MODE_FULL_ACCESS;
		return CORDON_OK;
	}
	if (win_setup_status_read(policy, &setup, &status_error) != CORDON_OK) {
		/* Unknown is not ready: refuse, or with --best-effort treat it
		 * as stale (said in the notes). */
		if (!cordon_resolved_best_effort(policy))
			return cordon_fail(err, status_error.code,
					   "cannot sandbox on Windows: %s; nothing was run",
					   status_error.message);
		setup.recorded = true;
		setup.ready = false;
	}
	if (setup.ready) {
		*mode = WIN_MODE_ELEVATED;
		return CORDON_OK;
	}
	/* Set up but stale: say what changed; never fall back silently. */
	if (setup.recorded && !cordon_resolved_best_effort(policy))
		return cordon_fail(err, CORDON_E_UNSUPPORTED,
				   "cannot sandbox on Windows: elevated mode is %s; nothing was run; or pass "
				   "--best-effort to run in restricted-token mode, which enforces less",
				   setup.reason);
	if (!cordon_resolved_best_effort(policy))
		return cordon_fail(
			err, CORDON_E_UNSUPPORTED,
			"cannot sandbox on Windows: elevated mode is not set up (run 'cordon setup' once, "
			"as administrator); nothing was run; or pass --best-effort to run in "
			"restricted-token mode, which enforces less (see 'cordon doctor')");
	*mode = WIN_MODE_RESTRICTED_TOKEN;
	if (setup.recorded)
		add_note(notes, "%s", note_elevated_stale);
	if (cordon_resolved_network(policy) != CORDON_NETWORK_ON)
		add_note(notes, "%s", note_network);
	if (cordon_resolved_network(policy) == CORDON_NETWORK_PROXY)
		add_note(notes, note_proxy, (unsigned)CORDON_PROXY_PORT);
	note_probe(policy, notes);
	note_audit(policy, notes);
	return CORDON_OK;
}
