/* `cordon setup` and `cordon setup --uninstall` on Windows: the entry
 * points the CLI calls (src/cli/setup.c). The CLI lists the profile and
 * builds the plan's inputs; these read the machine, plan against it and
 * apply, printing one line per step to progress. Both need an elevated
 * (administrator) process and say so, changing nothing, when they run in
 * another. No windows.h here: the CLI includes it. */
#ifndef CORDON_WINDOWS_SETUP_APPLY_H
#define CORDON_WINDOWS_SETUP_APPLY_H

#include <stdbool.h>
#include <stdio.h>

#include "cordon.h"
#include "windows/plan/setup_plan.h"

/* Whether this process runs with an elevated (full administrator) token. */
bool win_setup_process_is_elevated(void);

/* Applies setup: accounts and group, passwords (DPAPI), hiding, the WFP
 * objects in one transaction, the record (last, through a replacing
 * rename), then hands the read grants to the background grant helper.
 * *nothing_to_do is true when the machine already matched the plan and
 * the record. Any failing step stops the run with its line in err; what
 * was done is finished by running setup again. */
cordon_code win_setup_apply(const char *state_dir, const cordon_setup_inputs *inputs, FILE *progress,
			    bool *nothing_to_do, cordon_error *err);

/* Removes what the record names (cordon_setup_plan_uninstall), then the
 * record. *nothing_recorded is true when there is no record. */
cordon_code win_setup_uninstall(const char *state_dir, FILE *progress, bool *nothing_recorded,
				cordon_error *err);

#endif
