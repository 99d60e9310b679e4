/* The parts of the cordon command that talk to the library and the OS.
 * args.h is the pure parser they start from. */
#ifndef CORDON_CLI_CLI_H
#define CORDON_CLI_CLI_H

#include <stdbool.h>

#include "cordon.h"
#include "cli/args.h"

/* Exit statuses of cordon itself; the command's own pass through. */
#define CLI_EXIT_CORDON_ERROR 125

/* One line on stderr: "cordon: " + the formatted text + newline. */
void cli_say(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* cordon run / the compatibility form. Returns the exit status. */
int cli_run(const cli_args *args);
/* cordon doctor: 0 when everything the default policy needs is there. */
int cli_doctor(void);
/* cordon setup (setup.c): --plan prints the Windows setup plan as JSON. */
int cli_setup(const cli_args *args);
/* cordon __options: every command word and run option, one per line, for
 * the completion generator and the man page check (options.c). */
int cli_print_options(void);

/* Signals to cordon that belong to the command (run.c). The handlers only
 * write the signal number to a pipe; the supervising loop reads it with
 * cli_signals_forward. */
int cli_signals_fd(void);
/* Installs the handlers (and SIGWINCH/SIGPIPE ones for --pty). */
bool cli_signals_install(bool pty);
/* Forwards every pending signal to the command; sets *resized when a
 * SIGWINCH was among them. */
void cli_signals_forward(cordon_child *child, bool *resized);

/* --pty (terminal.c). */

/* Puts stdin in raw mode when it is a terminal, for the whole session;
 * the old settings come back through cli_terminal_restore, which is also
 * registered with atexit and run on fatal signals. */
void cli_terminal_enter_raw(void);
/* Idempotent and async-signal-safe. */
void cli_terminal_restore(void);
/* Whether cli_terminal_enter_raw is in force (lines then need "\r\n"). */
bool cli_terminal_is_raw(void);
/* The size of the terminal on stdin or stdout; false when neither is one. */
bool cli_terminal_size(unsigned short *rows, unsigned short *cols);
/* Relays stdin to the pty and the pty to stdout until the run is over and
 * the pty drained; forwards signals meanwhile. Fills *exit_info. */
cordon_code cli_terminal_relay(cordon_child *child, cordon_exit *exit_info, cordon_error *err);

#endif
