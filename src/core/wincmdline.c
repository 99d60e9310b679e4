/* Windows command lines (see wincmdline.h). */
#include "wincmdline.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

/* cmd.exe reads at most this many characters of a command line. */
#define CMD_LINE_MAX 8191

typedef struct line_buffer {
	char *text;
	size_t length;
	size_t capacity;
	bool failed;
} line_buffer;

static void put_bytes(line_buffer *b, const char *bytes, size_t count)
{
	if (b->failed)
		return;
	if (b->length + count + 1 > b->capacity) {
		size_t capacity = b->capacity ? b->capacity : 64;
		while (b->length + count + 1 > capacity)
			capacity *= 2;
		char *grown = realloc(b->text, capacity);
		if (grown == NULL) {
			b->failed = true;
			return;
		}
		b->text = grown;
		b->capacity = capacity;
	}
	memcpy(b->text + b->length, bytes, count);
	b->length += count;
	b->text[b->length] = '\0';
}

static void put_char(line_buffer *b, char c)
{
	put_bytes(b, &c, 1);
}

static void put_repeated(line_buffer *b, char c, size_t count)
{
	for (size_t i = 0; i < count; i++)
		put_char(b, c);
}

/* Hands the text over, or frees it and fails when it is too long or
 * memory ran out. */
static char *finish(line_buffer *b, size_t max, const char *what, cordon_error *err)
{
	if (b->failed) {
		free(b->text);
		cordon_fail(err, CORDON_E_NOMEM, "out of memory while building the %s", what);
		return NULL;
	}
	if (b->length > max) {
		free(b->text);
		cordon_fail(err, CORDON_E_INVALID,
			    "the %s would be %lu characters, more than Windows accepts (%lu); pass fewer or "
			    "shorter arguments",
			    what, (unsigned long)b->length, (unsigned long)max);
		return NULL;
	}
	return b->text;
}

static bool needs_quotes(const char *arg)
{
	return arg[0] == '\0' || strpbrk(arg, " \t\n\v\"") != NULL;
}

/* The C runtime's rule: 2n backslashes before a quote are n backslashes
 * and the quote delimits; 2n+1 are n backslashes and a literal quote;
 * backslashes anywhere else are literal. */
static void put_quoted_argument(line_buffer *b, const char *arg)
{
	if (!needs_quotes(arg)) {
		put_bytes(b, arg, strlen(arg));
		return;
	}
	put_char(b, '"');
	for (const char *p = arg;; p++) {
		size_t backslashes = 0;
		while (*p == '\\') {
			backslashes++;
			p++;
		}
		if (*p == '\0') {
			/* doubled: the closing quote must stay a delimiter */
			put_repeated(b, '\\', backslashes * 2);
			break;
		}
		if (*p == '"') {
			put_repeated(b, '\\', backslashes * 2 + 1);
			put_char(b, '"');
		} else {
			put_repeated(b, '\\', backslashes);
			put_char(b, *p);
		}
	}
	put_char(b, '"');
}

char *cordon_win_command_line(const char *const *argv, cordon_error *err)
{
	line_buffer b = {0};

	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
		cordon_fail(err, CORDON_E_INVALID, "no program to run: give the command to run after '--'");
		return NULL;
	}
	if (strchr(argv[0], '"') != NULL) {
		cordon_fail(err, CORDON_E_INVALID,
			    "cannot run '%s' on Windows: a program name cannot contain '\"' there; rename "
			    "the program",
			    argv[0]);
		return NULL;
	}
	/* argv[0] ends at the first space or tab unless quoted, and a quoted
	 * one ends at the next quote: no escapes to apply. */
	if (strpbrk(argv[0], " \t") != NULL) {
		put_char(&b, '"');
		put_bytes(&b, argv[0], strlen(argv[0]));
		put_char(&b, '"');
	} else {
		put_bytes(&b, argv[0], strlen(argv[0]));
	}
	for (size_t i = 1; argv[i] != NULL; i++) {
		put_char(&b, ' ');
		put_quoted_argument(&b, argv[i]);
	}
	return finish(&b, CORDON_WIN_COMMAND_LINE_MAX, "command line", err);
}

static bool ends_with_ignoring_case(const char *text, size_t length, const char *suffix)
{
	size_t n = strlen(suffix);
	if (length < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = text[length - n + i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != suffix[i])
			return false;
	}
	return true;
}

bool cordon_win_is_batch_file(const char *path)
{
	if (path == NULL)
		return false;
	size_t length = strlen(path);
	while (length > 0 && (path[length - 1] == '.' || path[length - 1] == ' '))
		length--;
	return ends_with_ignoring_case(path, length, ".bat") || ends_with_ignoring_case(path, length, ".cmd");
}

/* Characters cmd.exe gives no meaning to anywhere in an argument. */
static bool is_plain_for_cmd(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 ||
	       strchr("-_./\\:+@#~", c) != NULL;
}

/* Why cmd.exe cannot be given this text safely, or NULL. */
static const char *unsafe_for_cmd(const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		switch (*p) {
		case '"': return "a '\"' would end cmd.exe's quoting and let the rest run as a command";
		case '%': return "cmd.exe expands %NAME% even inside quotes";
		case '\r':
		case '\n': return "a line break ends the command for cmd.exe";
		default: break;
		}
	}
	return NULL;
}

static bool batch_argument_needs_quotes(const char *arg)
{
	if (arg[0] == '\0')
		return true;
	for (const char *p = arg; *p != '\0'; p++)
		if (!is_plain_for_cmd((unsigned char)*p))
			return true;
	return false;
}

char *cordon_win_batch_command_line(const char *cmd_path, const char *batch_path, const char *const *args,
				    cordon_error *err)
{
	line_buffer b = {0};
	const char *why;

	if (cmd_path == NULL || batch_path == NULL || strchr(cmd_path, '"') != NULL) {
		cordon_fail(err, CORDON_E_INVALID, "no batch file or command interpreter to run");
		return NULL;
	}
	why = unsafe_for_cmd(batch_path);
	if (why != NULL) {
		cordon_fail(err, CORDON_E_INVALID,
			    "cannot run the batch file '%s' safely: its path contains a character cmd.exe "
			    "would interpret (%s); rename it or run a program instead",
			    batch_path, why);
		return NULL;
	}
	for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
		why = unsafe_for_cmd(args[i]);
		if (why != NULL) {
			cordon_fail(err, CORDON_E_INVALID,
				    "cannot pass argument %lu ('%s') to the batch file '%s' safely: %s; pass "
				    "it in a file or an environment variable, or run a program instead of a "
				    "batch file",
				    (unsigned long)(i + 1), args[i], batch_path, why);
			return NULL;
		}
	}
	put_char(&b, '"');
	put_bytes(&b, cmd_path, strlen(cmd_path));
	put_bytes(&b, "\" /d /e:ON /v:OFF /s /c \"\"", strlen("\" /d /e:ON /v:OFF /s /c \"\""));
	put_bytes(&b, batch_path, strlen(batch_path));
	put_char(&b, '"');
	for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
		put_char(&b, ' ');
		if (batch_argument_needs_quotes(args[i])) {
			put_char(&b, '"');
			put_bytes(&b, args[i], strlen(args[i]));
			put_char(&b, '"');
		} else {
			put_bytes(&b, args[i], strlen(args[i]));
		}
	}
	put_char(&b, '"');
	return finish(&b, CMD_LINE_MAX, "batch command line", err);
}
