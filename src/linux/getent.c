/* getent(1) for the accounts a static cordon cannot look up itself.
 *
 * A static executable may not load NSS modules (src/core/name_services.c
 * pins it to "files"); getent, an ordinary dynamic program of the host,
 * loads them all, so a uid known only to systemd, sssd or LDAP gets the
 * same home a dynamic cordon would have found. It runs only for a uid
 * /etc/passwd does not hold, and only when a home is needed from the
 * account database (HOME unset, or the caller of sudo). */
#include "getent.h"

#include "../core/name_services.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads fd to its end (or until buffer is full) as a string. */
static void read_all(int fd, char *buffer, size_t size)
{
	size_t used = 0;
	while (used < size - 1) {
		ssize_t got = read(fd, buffer + used, size - 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		used += (size_t)got;
	}
	buffer[used] = '\0';
}

bool linux_getent_home(uid_t uid, char *out, size_t size)
{
	/* Absolute paths in root-owned directories, an empty environment:
	 * nothing of the caller's PATH or LD_* chooses what runs. */
	static const char *const programs[] = {"/usr/bin/getent", "/bin/getent"};
	char uid_text[24];
	snprintf(uid_text, sizeof(uid_text), "%lu", (unsigned long)uid);
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC) != 0)
		return false;
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
	posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {"getent", "passwd", uid_text, NULL};
	char *envp[] = {NULL};
	pid_t pid = -1;
	for (size_t i = 0; pid < 0 && i < sizeof(programs) / sizeof(programs[0]); i++)
		if (posix_spawn(&pid, programs[i], &actions, NULL, argv, envp) != 0)
			pid = -1;
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	char line[4096];
	line[0] = '\0';
	if (pid >= 0)
		read_all(pipe_fds[0], line, sizeof(line));
	close(pipe_fds[0]);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return false;
	return cordon_passwd_line_home(line, out, size);
}
