/* The job object every run lives in. cordon holds its only handle and the
 * job kills its processes when that handle closes, so the whole tree
 * dies when cordon exits or is killed; no process may break away, an
 * unhandled exception ends the process instead of waiting on an error
 * dialog, and the UI limits keep the command off the user's desktop
 * settings, clipboard, global atoms and other processes' windows. */
#include "windows/win_internal.h"

#include "core/error.h"

#define JOB_UI_LIMITS                                                                                        \
	(JOB_OBJECT_UILIMIT_DESKTOP | JOB_OBJECT_UILIMIT_DISPLAYSETTINGS | JOB_OBJECT_UILIMIT_EXITWINDOWS |  \
	 JOB_OBJECT_UILIMIT_GLOBALATOMS | JOB_OBJECT_UILIMIT_HANDLES | JOB_OBJECT_UILIMIT_READCLIPBOARD |    \
	 JOB_OBJECT_UILIMIT_WRITECLIPBOARD | JOB_OBJECT_UILIMIT_SYSTEMPARAMETERS)

cordon_code win_job_create(win_job *job, cordon_error *err)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};
	JOBOBJECT_BASIC_UI_RESTRICTIONS ui = {0};
	JOBOBJECT_ASSOCIATE_COMPLETION_PORT port = {0};

	job->job = CreateJobObjectW(NULL, NULL);
	job->port = NULL;
	if (job->job == NULL)
		return win_fail(err, GetLastError(), "cannot create the run's job object");
	/* Neither JOB_OBJECT_LIMIT_BREAKAWAY_OK nor SILENT_BREAKAWAY_OK: every
	 * descendant stays in the job. */
	limits.BasicLimitInformation.LimitFlags =
		JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
	if (!SetInformationJobObject(job->job, JobObjectExtendedLimitInformation, &limits, sizeof(limits))) {
		DWORD error = GetLastError();
		win_job_close(job);
		return win_fail(err, error, "cannot make the run's job kill its processes with cordon");
	}
	ui.UIRestrictionsClass = JOB_UI_LIMITS;
	if (!SetInformationJobObject(job->job, JobObjectBasicUIRestrictions, &ui, sizeof(ui))) {
		DWORD error = GetLastError();
		win_job_close(job);
		return win_fail(err, error, "cannot set the UI limits of the run's job");
	}
	job->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
	if (job->port == NULL) {
		DWORD error = GetLastError();
		win_job_close(job);
		return win_fail(err, error, "cannot create the completion port of the run's job");
	}
	port.CompletionKey = job->job;
	port.CompletionPort = job->port;
	if (!SetInformationJobObject(job->job, JobObjectAssociateCompletionPortInformation, &port,
				     sizeof(port))) {
		DWORD error = GetLastError();
		win_job_close(job);
		return win_fail(err, error, "cannot watch the run's job for its last process");
	}
	return CORDON_OK;
}

static bool job_has_no_process(win_job *job)
{
	JOBOBJECT_BASIC_ACCOUNTING_INFORMATION accounting = {0};
	if (!QueryInformationJobObject(job->job, JobObjectBasicAccountingInformation, &accounting,
				       sizeof(accounting), NULL))
		return false;
	return accounting.ActiveProcesses == 0;
}

bool win_job_wait_empty(win_job *job, DWORD wait_ms)
{
	ULONGLONG deadline = GetTickCount64() + wait_ms;
	for (;;) {
		DWORD message = 0;
		ULONG_PTR key = 0;
		LPOVERLAPPED overlapped = NULL;
		ULONGLONG now = GetTickCount64();
		DWORD slice = now >= deadline ? 0 : (DWORD)(deadline - now);
		/* Windows does not promise to deliver every job message, so
		 * the count is asked as well. */
		if (job_has_no_process(job))
			return true;
		if (slice > 50)
			slice = 50;
		if (GetQueuedCompletionStatus(job->port, &message, &key, &overlapped, slice) &&
		    key == (ULONG_PTR)job->job && message == JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO)
			return true;
		if (GetTickCount64() >= deadline)
			return job_has_no_process(job);
	}
}

void win_job_kill(win_job *job, UINT exit_code)
{
	if (job->job != NULL)
		TerminateJobObject(job->job, exit_code);
}

void win_job_close(win_job *job)
{
	/* Closing the last handle kills whatever still runs in it. */
	if (job->job != NULL)
		CloseHandle(job->job);
	if (job->port != NULL)
		CloseHandle(job->port);
	job->job = NULL;
	job->port = NULL;
}
