/* One spawn path: no code under src/ creates a process except the spawn
 * module (src/linux/spawn.c, supervisor.c, host.c's namespace probe,
 * getent.c's account lookup for a static cordon, and
 * src/windows/spawn*.c). A call to fork, vfork, clone, clone3,
 * posix_spawn*, the exec family, system, popen, a raw process syscall, or
 * CreateProcess* / ShellExecute* / WinExec anywhere else fails this test,
 * naming file and line. Comments and string literals don't count. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

/* Called by name: "fork(" is a call, "pthread_atfork(" and "fork_count" are not. */
static const char *const call_names[] = {
	"fork",	   "vfork",    "clone",	  "clone3",  "execve",	 "execveat", "fexecve", "execv",
	"execvp",  "execvpe",  "execl",	  "execlp",  "execle",	 "system",   "popen",	"_popen",
	"_wpopen", "_wsystem", "_spawnl", "_spawnv", "_wspawnl", "_wspawnv", "WinExec",
};
/* Any identifier starting with these is process creation. */
static const char *const prefix_names[] = {
	"posix_spawn", "CreateProcess", "ShellExecute", "_spawnl", "_spawnv", "_wspawn",
};
/* syscall(X, ...) with X one of these. */
static const char *const raw_syscalls[] = {
	"SYS_clone",  "SYS_clone3",  "SYS_fork",  "SYS_vfork",	"SYS_execve",  "SYS_execveat",
	"__NR_clone", "__NR_clone3", "__NR_fork", "__NR_vfork", "__NR_execve", "__NR_execveat",
};

static const char *const allowed_files[] = {
	"src/linux/spawn.c",
	"src/linux/supervisor.c",
	"src/linux/host.c",
	"src/linux/getent.c",
};

typedef struct violation {
	int line;
	char what[64];
} violation;

static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A copy of the text with comments, string and character literals blanked
 * (newlines kept, so line numbers stay right). */
static char *strip_comments_and_strings(const char *text, size_t length)
{
	char *out = malloc(length + 1);
	assert_non_null(out);
	size_t i = 0;
	while (i < length) {
		char c = text[i];
		if (c == '/' && i + 1 < length && text[i + 1] == '/') {
			while (i < length && text[i] != '\n')
				out[i++] = ' ';
		} else if (c == '/' && i + 1 < length && text[i + 1] == '*') {
			out[i++] = ' ';
			out[i++] = ' ';
			while (i < length && !(text[i] == '*' && i + 1 < length && text[i + 1] == '/')) {
				out[i] = text[i] == '\n' ? '\n' : ' ';
				i++;
			}
			for (int k = 0; k < 2 && i < length; k++)
				out[i++] = ' ';
		} else if (c == '"' || c == '\'') {
			out[i++] = ' ';
			while (i < length && text[i] != c && text[i] != '\n') {
				if (text[i] == '\\' && i + 1 < length) {
					out[i++] = ' ';
				}
				out[i] = text[i] == '\n' ? '\n' : ' ';
				i++;
			}
			if (i < length) {
				out[i] = text[i] == '\n' ? '\n' : ' ';
				i++;
			}
		} else {
			out[i] = c;
			i++;
		}
	}
	out[length] = '\0';
	return out;
}

static bool in_list(const char *word, size_t length, const char *const *list, size_t count, bool prefix)
{
	for (size_t i = 0; i < count; i++) {
		size_t n = strlen(list[i]);
		if (prefix ? length >= n && memcmp(word, list[i], n) == 0
			   : length == n && memcmp(word, list[i], n) == 0)
			return true;
	}
	return false;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Finds process-creating calls in C source text; returns how many (at most
 * max are recorded in found). */
static size_t scan_source(const char *text, violation *found, size_t max)
{
	char *code = strip_comments_and_strings(text, strlen(text));
	size_t count = 0;
	int line = 1;
	const char *p = code;
	while (*p != '\0') {
		if (*p == '\n') {
			line++;
			p++;
			continue;
		}
		if (!is_ident_char(*p) || (*p >= '0' && *p <= '9')) {
			p++;
			continue;
		}
		const char *start = p;
		while (is_ident_char(*p))
			p++;
		size_t length = (size_t)(p - start);
		const char *after = skip_space(p);
		bool is_call = *after == '(';
		bool hit = false;
		if (is_call &&
		    in_list(start, length, call_names, sizeof(call_names) / sizeof(call_names[0]), false))
			hit = true;
		if (in_list(start, length, prefix_names, sizeof(prefix_names) / sizeof(prefix_names[0]),
			    true))
			hit = true;
		if (is_call && length == 7 && memcmp(start, "syscall", 7) == 0) {
			const char *arg = skip_space(after + 1);
			const char *end = arg;
			while (is_ident_char(*end))
				end++;
			if (in_list(arg, (size_t)(end - arg), raw_syscalls,
				    sizeof(raw_syscalls) / sizeof(raw_syscalls[0]), false)) {
				start = arg;
				length = (size_t)(end - arg);
				hit = true;
			}
		}
		if (hit) {
			if (count < max) {
				found[count].line = line;
				snprintf(found[count].what, sizeof(found[count].what), "%.*s", (int)length,
					 start);
			}
			count++;
		}
	}
	free(code);
	return count;
}

static bool is_allowed(const char *relative)
{
	for (size_t i = 0; i < sizeof(allowed_files) / sizeof(allowed_files[0]); i++)
		if (strcmp(relative, allowed_files[i]) == 0)
			return true;
	/* src/windows/spawn*.c */
	const char *windows = "src/windows/spawn";
	size_t n = strlen(windows);
	size_t length = strlen(relative);
	return strncmp(relative, windows, n) == 0 && length > 2 && strcmp(relative + length - 2, ".c") == 0 &&
	       strchr(relative + n, '/') == NULL;
}

static bool is_c_source(const char *name)
{
	size_t n = strlen(name);
	return n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h');
}

static char *read_whole_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t capacity = 65536, length = 0;
	char *text = malloc(capacity + 1);
	assert_non_null(text);
	size_t n;
	while ((n = fread(text + length, 1, capacity - length, f)) > 0) {
		length += n;
		if (length == capacity) {
			capacity *= 2;
			text = realloc(text, capacity + 1);
			assert_non_null(text);
		}
	}
	fclose(f);
	text[length] = '\0';
	return text;
}

typedef struct scan_totals {
	size_t files;
	size_t violations;
	char report[4096];
} scan_totals;

static void scan_tree(const char *root, const char *relative, scan_totals *totals)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, relative);
	DIR *dir = opendir(path);
	assert_non_null(dir);
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		char child_relative[2048], child_path[4096];
		snprintf(child_relative, sizeof(child_relative), "%s/%s", relative, entry->d_name);
		snprintf(child_path, sizeof(child_path), "%s/%s", root, child_relative);
		struct stat st;
		if (lstat(child_path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_tree(root, child_relative, totals);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !is_c_source(entry->d_name))
			continue;
		char *text = read_whole_file(child_path);
		assert_non_null(text);
		totals->files++;
		violation found[16];
		size_t count = scan_source(text, found, 16);
		free(text);
		if (count == 0 || is_allowed(child_relative))
			continue;
		totals->violations += count;
		for (size_t i = 0; i < count && i < 16; i++) {
			size_t used = strlen(totals->report);
			snprintf(totals->report + used, sizeof(totals->report) - used, "\n  %s:%d: %s",
				 child_relative, found[i].line, found[i].what);
		}
	}
	closedir(dir);
}

/* The source tree from this file's own absolute path: <root>/tests/unit/. */
static bool source_root(char *out, size_t size)
{
	const char *self = __FILE__;
	if (self[0] != '/')
		return false;
	snprintf(out, size, "%s", self);
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(out, '/');
		if (slash == NULL)
			return false;
		*slash = '\0';
	}
	char src[4096];
	snprintf(src, sizeof(src), "%s/src/linux", out);
	struct stat st;
	return stat(src, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_no_process_creation_outside_the_spawn_module(void **state)
{
	(void)state;
	char root[2048];
	if (!source_root(root, sizeof(root))) {
		fprintf(stderr, "skipped: the source tree (from __FILE__ %s) is not readable here\n",
			__FILE__);
		skip();
	}
	scan_totals totals = {0};
	scan_tree(root, "src", &totals);
	/* The spawn module itself must be seen, or the scan looked elsewhere. */
	assert_true(totals.files >= 5);
	if (totals.violations != 0)
		fail_msg("process creation outside the spawn module (use cordon_spawn):%s", totals.report);
}

static void test_spawn_module_is_found_by_the_scanner(void **state)
{
	(void)state;
	char root[2048];
	if (!source_root(root, sizeof(root))) {
		fprintf(stderr, "skipped: the source tree (from __FILE__ %s) is not readable here\n",
			__FILE__);
		skip();
	}
	/* The allowed files really do create processes: proves the scanner
	 * sees real calls in real files, not just in the planted strings. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/src/linux/supervisor.c", root);
	char *text = read_whole_file(path);
	assert_non_null(text);
	violation found[16];
	assert_true(scan_source(text, found, 16) >= 2);
	free(text);
}

static void test_scanner_catches_planted_violations(void **state)
{
	(void)state;
	violation found[16];
	const char *planted = "#include <unistd.h>\n"
			      "static void f(void)\n"
			      "{\n"
			      "\tpid_t p = fork ();\n"
			      "\tsystem(\"ls\");\n"
			      "\tposix_spawnp(&p, \"x\", NULL, NULL, NULL, NULL);\n"
			      "\tsyscall(SYS_clone3, &args, sizeof(args));\n"
			      "\tCreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi);\n"
			      "\texecl(\"/bin/sh\", \"sh\", NULL);\n"
			      "}\n";
	size_t count = scan_source(planted, found, 16);
	assert_int_equal(count, 6);
	assert_int_equal(found[0].line, 4);
	assert_string_equal(found[0].what, "fork");
	assert_string_equal(found[1].what, "system");
	assert_string_equal(found[2].what, "posix_spawnp");
	assert_string_equal(found[3].what, "SYS_clone3");
	assert_int_equal(found[3].line, 7);
	assert_string_equal(found[4].what, "CreateProcessW");
	assert_string_equal(found[5].what, "execl");
}

static void test_scanner_ignores_comments_strings_and_lookalikes(void **state)
{
	(void)state;
	violation found[4];
	const char *innocent = "/* we fork() here? no: clone(plan flags) */\n"
			       "// execve(path) in a comment\n"
			       "static const char *m = \"fork() failed; system(x)\";\n"
			       "static char c = '(';\n"
			       "pthread_atfork(NULL, NULL, NULL);\n"
			       "int fork_count = my_system(3) + forks;\n"
			       "add_rule(ctx, DENY, \"clone\", 1, &arg);\n"
			       "seccomp_rule(SCMP_SYS(clone3));\n";
	assert_int_equal(scan_source(innocent, found, 4), 0);
}

static void test_allowed_files(void **state)
{
	(void)state;
	assert_true(is_allowed("src/linux/spawn.c"));
	assert_true(is_allowed("src/linux/supervisor.c"));
	assert_true(is_allowed("src/windows/spawn.c"));
	assert_true(is_allowed("src/windows/spawn_conpty.c"));
	assert_false(is_allowed("src/linux/pty.c"));
	assert_false(is_allowed("src/cli/run.c"));
	assert_false(is_allowed("src/windows/plan/spawn.c"));
	assert_false(is_allowed("src/windows/spawn.h"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_catches_planted_violations),
		cmocka_unit_test(test_scanner_ignores_comments_strings_and_lookalikes),
		cmocka_unit_test(test_allowed_files),
		cmocka_unit_test(test_spawn_module_is_found_by_the_scanner),
		cmocka_unit_test(test_no_process_creation_outside_the_spawn_module),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
