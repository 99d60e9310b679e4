/* The pseudo-terminal of a CORDON_STDIO_PTY run. The supervisor opens it
 * once the run's mount tree is in place, through the /dev/ptmx the
 * command will see: in a sandbox that is the run's own devpts instance,
 * so the slave is /dev/pts/N there and the command can name its terminal
 * (tty, ttyname, ssh and gpg prompts). The master goes back to the
 * caller over the control socket (linux_pty_send_master). Everything here
 * may run after fork: no allocation, no stdio streams. */
#include "spawn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "../core/error.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* The slave of master, opened through the master itself (Linux 4.13+) so
 * no path is looked up; older kernels get the ptsname path. */
static int open_slave(int master)
{
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave >= 0 || (errno != EINVAL && errno != ENOTTY))
		return slave;
	unsigned int index;
	if (ioctl(master, TIOCGPTN, &index) != 0)
		return -1;
	char path[32];
	snprintf(path, sizeof(path), "/dev/pts/%u", index);
	return open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

cordon_code linux_pty_open(unsigned short rows, unsigned short cols, int *master, int *slave,
			   cordon_error *err)
{
	*master = -1;
	*slave = -1;
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return cordon_fail_errno(err, errno,
					 "cannot open a pseudo-terminal (/dev/ptmx); check that /dev/ptmx "
					 "exists and devpts is mounted");
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) != 0) {
		int saved = errno;
		close(m);
		return cordon_fail_errno(err, saved, "cannot unlock the pseudo-terminal's slave side");
	}
	int s = open_slave(m);
	if (s < 0) {
		int saved = errno;
		close(m);
		return cordon_fail_errno(err, saved, "cannot open the pseudo-terminal's slave side");
	}
	cordon_code code = linux_pty_resize(m, rows, cols, err);
	if (code != CORDON_OK) {
		close(s);
		close(m);
		return code;
	}
	*master = m;
	*slave = s;
	return CORDON_OK;
}

bool linux_pty_send_master(int socket_fd, int master)
{
	spawn_control record = {.kind = SPAWN_CONTROL_PTY_MASTER, .value = 0};
	struct iovec data = {.iov_base = &record, .iov_len = sizeof(record)};
	union {
		char buffer[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr message = {
		.msg_iov = &data,
		.msg_iovlen = 1,
		.msg_control = control.buffer,
		.msg_controllen = sizeof(control.buffer),
	};
	struct cmsghdr *header = CMSG_FIRSTHDR(&message);
	header->cmsg_level = SOL_SOCKET;
	header->cmsg_type = SCM_RIGHTS;
	header->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(header), &master, sizeof(int));
	ssize_t sent;
	do {
		sent = sendmsg(socket_fd, &message, MSG_NOSIGNAL);
	} while (sent < 0 && errno == EINTR);
	return sent == (ssize_t)sizeof(record);
}

cordon_code linux_pty_receive_master(int socket_fd, int *master, cordon_error *err)
{
	*master = -1;
	spawn_control record;
	struct iovec data = {.iov_base = &record, .iov_len = sizeof(record)};
	union {
		char buffer[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr message = {
		.msg_iov = &data,
		.msg_iovlen = 1,
		.msg_control = control.buffer,
		.msg_controllen = sizeof(control.buffer),
	};
	ssize_t got;
	do {
		got = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC);
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return cordon_fail_errno(err, errno, "cannot receive the pseudo-terminal from the sandbox");
	struct cmsghdr *header = CMSG_FIRSTHDR(&message);
	bool has_fd = header != NULL && header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS &&
		      header->cmsg_len == CMSG_LEN(sizeof(int));
	if (has_fd)
		memcpy(master, CMSG_DATA(header), sizeof(int));
	if (got != (ssize_t)sizeof(record) || record.kind != SPAWN_CONTROL_PTY_MASTER || !has_fd ||
	    (message.msg_flags & MSG_CTRUNC) != 0) {
		if (*master >= 0)
			close(*master);
		*master = -1;
		return cordon_fail(err, CORDON_E_SYSTEM,
				   "the sandbox's supervisor did not hand over the pseudo-terminal");
	}
	if (fcntl(*master, F_SETFL, fcntl(*master, F_GETFL) | O_NONBLOCK) < 0) {
		int saved = errno;
		close(*master);
		*master = -1;
		return cordon_fail_errno(err, saved, "cannot make the pseudo-terminal non-blocking");
	}
	return CORDON_OK;
}

cordon_code linux_pty_resize(int master, unsigned short rows, unsigned short cols, cordon_error *err)
{
	struct winsize size = {
		.ws_row = rows != 0 ? rows : 24,
		.ws_col = cols != 0 ? cols : 80,
	};
	/* The kernel sends SIGWINCH to the terminal's foreground group. */
	if (ioctl(master, TIOCSWINSZ, &size) < 0)
		return cordon_fail_errno(err, errno, "cannot set the pseudo-terminal size to %ux%u",
					 (unsigned)size.ws_row, (unsigned)size.ws_col);
	return CORDON_OK;
}

cordon_code linux_pty_send_eof(int master, cordon_error *err)
{
	struct termios modes;
	cc_t eof = 4; /* ^D, the usual VEOF */
	if (tcgetattr(master, &modes) == 0 && modes.c_cc[VEOF] != _POSIX_VDISABLE)
		eof = modes.c_cc[VEOF];
	ssize_t written;
	do {
		written = write(master, &eof, 1);
	} while (written < 0 && errno == EINTR);
	if (written != 1)
		return cordon_fail_errno(err, errno, "cannot send end-of-file to the pseudo-terminal");
	return CORDON_OK;
}

ssize_t linux_pty_read(int master, void *buffer, size_t length)
{
	ssize_t n;
	do {
		n = read(master, buffer, length);
	} while (n < 0 && errno == EINTR);
	/* EIO: every slave descriptor is closed. The kernel flushes pending
	 * output to the master before it reports that, so nothing is lost. */
	if (n < 0 && errno == EIO)
		return 0;
	return n;
}
