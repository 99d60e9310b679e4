/* The spawn half of the public API on Windows, until the Windows backend
 * (restricted token, ACLs, job object, ConPTY) exists. It never starts a
 * process: a sandbox that cannot be built fails closed, and nothing runs,
 * not even in full-access mode, so there is no Windows code path that
 * starts a command. */
#include <errno.h>
#include <stddef.h>

#include "cordon.h"
#include "core/error.h"

#define NOT_BUILT                                                                                            \
	"the Windows backend is not built yet: cordon cannot enforce a sandbox on Windows in this version; " \
	"nothing was run"

cordon_code cordon_spawn(const cordon_resolved *policy, const cordon_spawn_options *options,
			 cordon_child **out, cordon_error *err)
{
	(void)policy;
	(void)options;
	if (out != NULL)
		*out = NULL;
	return cordon_fail(err, CORDON_E_UNSUPPORTED, NOT_BUILT);
}

/* No cordon_child can exist on Windows yet: every call on one is an error. */
static cordon_code no_child(cordon_error *err)
{
	return cordon_fail(err, CORDON_E_STATE, "there is no running command: %s", NOT_BUILT);
}

int cordon_child_fd(const cordon_child *child, cordon_stream stream)
{
	(void)child;
	(void)stream;
	return -1;
}

size_t cordon_child_not_enforced_count(const cordon_child *child)
{
	(void)child;
	return 0;
}

const char *cordon_child_not_enforced(const cordon_child *child, size_t index)
{
	(void)child;
	(void)index;
	return NULL;
}

pid_t cordon_child_pid(const cordon_child *child)
{
	(void)child;
	return -1;
}

ssize_t cordon_child_write(cordon_child *child, const void *data, size_t length)
{
	(void)child;
	(void)data;
	(void)length;
	errno = ENOSYS;
	return -1;
}

cordon_code cordon_child_close_stdin(cordon_child *child, cordon_error *err)
{
	(void)child;
	return no_child(err);
}

ssize_t cordon_child_read(cordon_child *child, cordon_stream stream, void *buffer, size_t length,
			  int timeout_ms)
{
	(void)child;
	(void)stream;
	(void)buffer;
	(void)length;
	(void)timeout_ms;
	errno = ENOSYS;
	return -1;
}

cordon_code cordon_child_resize(cordon_child *child, unsigned short rows, unsigned short cols,
				cordon_error *err)
{
	(void)child;
	(void)rows;
	(void)cols;
	return no_child(err);
}

cordon_code cordon_child_signal(cordon_child *child, int signal_number, cordon_error *err)
{
	(void)child;
	(void)signal_number;
	return no_child(err);
}

cordon_code cordon_child_terminate(cordon_child *child, cordon_error *err)
{
	(void)child;
	return no_child(err);
}

cordon_code cordon_child_wait(cordon_child *child, int timeout_ms, cordon_exit *out, cordon_error *err)
{
	(void)child;
	(void)timeout_ms;
	(void)out;
	return no_child(err);
}

void cordon_child_free(cordon_child *child)
{
	/* Nothing can have allocated one. */
	(void)child;
}
