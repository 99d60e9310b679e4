/* The Wine plumbing test's driver for the read-grant helper
 * (src/windows/grant_helper.c, junction.c). Plumbing only: Wine stores no
 * DACLs, so nothing here shows what a grant allows.
 *
 *   grant_helper_starter __grant-helper --state-dir DIR
 *        the helper itself (win_grant_helper_start starts this program,
 *        since it starts its own executable)
 *   grant_helper_starter start-in-job STATE_DIR [strict]
 *        puts itself in a kill-on-close job that allows breaking away
 *        (strict: that does not), calls win_grant_helper_start and exits
 *        at once: the helper must outlive it and its job (strict: the
 *        control, the helper dies with the job)
 *   grant_helper_starter hold SECONDS SID
 *        takes the helper's lock (win_grant_helper_lock_take: the test
 *        hook's mutex under Wine) and names itself in the owner files,
 *        as a running helper does, then prints
 *        win_grant_helper_liveness_for's answer for SID; without the
 *        lock it prints why and exits 3 or 125
 *   grant_helper_starter squat NAME SECONDS
 *        creates and holds a plain mutex NAME, as a squatter would
 *   grant_helper_starter keep NAME SECONDS
 *        creates (or opens) the mutex NAME and keeps it open, unowned
 *   grant_helper_starter wait-hold NAME SECONDS
 *        waits until the mutex NAME exists (without creating it), then
 *        for the mutex itself (blocking), then holds it: a helper that
 *        took the mutex over in another's hand-off
 *   grant_helper_starter liveness SID
 *        prints win_grant_helper_liveness_for SID in the grants folder
 *   grant_helper_starter status STATE_DIR PATH
 *        prints win_grants_status_for's readiness, counts and line
 *   grant_helper_starter junction DIR
 *        win_cwd_junction; exit 77 (skip) when junctions are unsupported */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "windows/elevated.h"
#include "windows/machine_dir.h"

static int start_in_job(const char *state_dir, bool strict)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
	HANDLE job = CreateJobObjectW(NULL, NULL);
	cordon_error err = {0};

	memset(&limits, 0, sizeof(limits));
	limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (!strict)
		limits.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_BREAKAWAY_OK;
	if (!job ||
	    !SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof(limits)) ||
	    !AssignProcessToJobObject(job, GetCurrentProcess())) {
		printf("starter: cannot set up the job (error %lu)\n", (unsigned long)GetLastError());
		return 1;
	}
	if (win_grant_helper_start(state_dir, &err) != CORDON_OK) {
		printf("starter: %s\n", err.message);
		return 1;
	}
	printf("starter %lu: started, exiting\n", (unsigned long)GetCurrentProcessId());
	fflush(stdout);
	/* Exiting closes the job's last handle: what is still in it dies. */
	return 0;
}

static const char *liveness(const char *sid)
{
	char *grants_dir = NULL;
	cordon_error err = {0};
	const char *name = "error";

	if (win_machine_grants_dir(&grants_dir, &err) == CORDON_OK)
		name = cordon_helper_liveness_name(win_grant_helper_liveness_for(grants_dir, sid));
	free(grants_dir);
	return name;
}

static int hold(const char *seconds, const char *sid)
{
	win_grant_helper_lock lock;
	char line[512], *grants_dir = NULL;
	cordon_error err = {0};

	switch (win_grant_helper_lock_take(&lock, line, sizeof(line))) {
	case WIN_GRANT_LOCK_TAKEN: break;
	case WIN_GRANT_LOCK_BUSY: printf("holder: busy: %s\n", line); return WIN_GRANT_HELPER_EXIT_BUSY;
	case WIN_GRANT_LOCK_FAILED: printf("holder: failed: %s\n", line); return WIN_GRANT_HELPER_EXIT_FAILED;
	}
	if (win_machine_grants_dir(&grants_dir, &err) != CORDON_OK ||
	    win_grant_helper_publish_owner(grants_dir, &err) != CORDON_OK) {
		printf("holder: %s\n", err.message);
		return 1;
	}
	free(grants_dir);
	printf("holding pid=%lu, running=%s\n", (unsigned long)GetCurrentProcessId(), liveness(sid));
	fflush(stdout);
	Sleep((DWORD)atoi(seconds) * 1000);
	win_grant_helper_lock_close(&lock, true);
	return 0;
}

/* squat: take it now; keep: only keep it open; wait-hold: wait for it. */
static int mutex_named(const char *how, const char *name, const char *seconds)
{
	bool wait = strcmp(how, "wait-hold") == 0;
	HANDLE mutex = wait ? OpenMutexA(SYNCHRONIZE, FALSE, name) : CreateMutexA(NULL, FALSE, name);
	DWORD waited = WAIT_OBJECT_0;

	for (int tries = 0; wait && !mutex && tries < 6000; tries++) {
		Sleep(10);
		mutex = OpenMutexA(SYNCHRONIZE, FALSE, name);
	}

	if (mutex && strcmp(how, "keep") != 0)
		waited = WaitForSingleObject(mutex, wait ? INFINITE : 0);
	if (!mutex || (waited != WAIT_OBJECT_0 && waited != WAIT_ABANDONED)) {
		printf("%s: cannot take %s (error %lu)\n", how, name, (unsigned long)GetLastError());
		return 1;
	}
	printf("%s %s pid=%lu\n", strcmp(how, "keep") == 0 ? "keeping" : "holding", name,
	       (unsigned long)GetCurrentProcessId());
	fflush(stdout);
	Sleep((DWORD)atoi(seconds) * 1000);
	printf("released\n");
	fflush(stdout);
	return 0;
}

static int status(const char *state_dir, const char *path)
{
	win_grant_status grants;
	cordon_error err = {0};

	if (win_grants_status_for(state_dir, path, &grants, &err) != CORDON_OK) {
		printf("error: %s\n", err.message);
		return 1;
	}
	printf("%s %lu/%lu done_for=%d\n%s\n", cordon_grant_readiness_name(grants.readiness),
	       (unsigned long)grants.done, (unsigned long)grants.total, win_grants_done_for(state_dir, path),
	       grants.line);
	return 0;
}

static int junction(const char *dir)
{
	char *made = NULL;
	cordon_error err = {0};
	cordon_code code = win_cwd_junction(dir, &made, &err);

	if (code == CORDON_E_UNSUPPORTED) {
		printf("unsupported: %s\n", err.message);
		return 77;
	}
	if (code != CORDON_OK) {
		printf("error: %s\n", err.message);
		return 1;
	}
	printf("junction %s\n", made);
	free(made);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], WIN_GRANT_HELPER_COMMAND) == 0)
		return win_grant_helper_main(argc, argv);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "start-in-job") == 0)
		return start_in_job(argv[2], argc == 4 && strcmp(argv[3], "strict") == 0);
	if (argc == 4 && strcmp(argv[1], "hold") == 0)
		return hold(argv[2], argv[3]);
	if (argc == 4 && (strcmp(argv[1], "squat") == 0 || strcmp(argv[1], "keep") == 0 ||
			  strcmp(argv[1], "wait-hold") == 0))
		return mutex_named(argv[1], argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "liveness") == 0) {
		printf("%s\n", liveness(argv[2]));
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "status") == 0)
		return status(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "junction") == 0)
		return junction(argv[2]);
	fprintf(stderr, "usage: see the comment at the top of grant_helper_starter.c\n");
	return 2;
}
