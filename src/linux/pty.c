/* The pseudo-terminal of a CORDON_STDIO_PTY run. The pair is made in the
 * caller before any fork, so the command only has to adopt the slave. */
#include "spawn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "../core/error.h"

cordon_code linux_pty_open(unsigned short rows, unsigned short cols, int *master, int *slave,
			   cordon_error *err)
{
	*master = -1;
	*slave = -1;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return cordon_fail_errno(
			err, errno,
			"cannot open a pseudo-terminal (posix_openpt); check that /dev/ptmx exists "
			"and devpts is mounted");
	char name[128];
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0) {
		int saved = errno;
		close(m);
		return cordon_fail_errno(err, saved, "cannot prepare the pseudo-terminal's slave side");
	}
	int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		int saved = errno;
		close(m);
		return cordon_fail_errno(err, saved, "cannot open the pseudo-terminal %s", name);
	}
	if (fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK) < 0) {
		int saved = errno;
		close(s);
		close(m);
		return cordon_fail_errno(err, saved, "cannot make the pseudo-terminal non-blocking");
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
