/* The restricted-token environment: see env_plan.h, and why it is only
 * advisory. */
#include "windows/plan/env_plan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/winpath.h"

typedef struct env_entry {
	char *text;	    /* "NAME=value" */
	size_t name_length; /* bytes before the separating '=' */
	size_t order;	    /* insertion order, to keep the sort stable */
} env_entry;

typedef struct env_list {
	env_entry *items;
	size_t count;
	size_t capacity;
} env_list;

/* Where the name ends. A leading '=' belongs to the name (the per-drive
 * directories "=C:=C:\ws" that cmd.exe keeps). 0 when malformed. */
static size_t name_length_of(const char *entry)
{
	const char *eq = entry[0] ? strchr(entry + 1, '=') : NULL;

	return eq ? (size_t)(eq - entry) : 0;
}

/* Case-insensitive (Windows ordinal) equality of a name of given length
 * with a NUL-terminated name. */
static bool name_equal(const char *name, size_t length, const char *other)
{
	size_t other_length = strlen(other);
	char *a, *b;
	bool equal;

	a = malloc(length + 1);
	b = malloc(other_length + 1);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		/* Without memory nothing is built anyway; a false "equal"
		 * would only drop an entry. */
		return length == other_length && memcmp(name, other, length) == 0;
	}
	memcpy(a, name, length);
	a[length] = '\0';
	memcpy(b, other, other_length + 1);
	equal = winpath_compare(a, b) == 0;
	free(a);
	free(b);
	return equal;
}

static env_entry *find(env_list *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++)
		if (name_equal(list->items[i].text, list->items[i].name_length, name))
			return &list->items[i];
	return NULL;
}

static bool push_owned(env_list *list, char *text)
{
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 32;
		env_entry *items = realloc(list->items, capacity * sizeof(*items));
		if (items == NULL) {
			free(text);
			return false;
		}
		list->items = items;
		list->capacity = capacity;
	}
	list->items[list->count] = (env_entry){text, name_length_of(text), list->count};
	list->count++;
	return true;
}

static char *join3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *out = malloc(la + lb + lc + 1);

	if (out == NULL)
		return NULL;
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
	return out;
}

static bool set_var(env_list *list, const char *name, const char *value)
{
	char *text = join3(name, "=", value);

	return text != NULL && push_owned(list, text);
}

/* Removes every entry called name, whatever its case. */
static void remove_var(env_list *list, const char *name)
{
	size_t out = 0;

	for (size_t i = 0; i < list->count; i++) {
		if (name_equal(list->items[i].text, list->items[i].name_length, name))
			free(list->items[i].text);
		else
			list->items[out++] = list->items[i];
	}
	list->count = out;
}

static void list_free(env_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].text);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* A growable string for PATH and PATHEXT. */
typedef struct text_buffer {
	char *data;
	size_t length;
	bool failed;
} text_buffer;

static void append(text_buffer *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	char *data = realloc(t->data, t->length + n + 1);
	if (data == NULL) {
		t->failed = true;
		return;
	}
	memcpy(data + t->length, s, n);
	t->length += n;
	data[t->length] = '\0';
	t->data = data;
}

/* A PATH entry as written, with surrounding quotes and trailing
 * separators ignored, for comparing directories. */
static char *path_entry_key(const char *entry, size_t n)
{
	if (n >= 2 && entry[0] == '"' && entry[n - 1] == '"') {
		entry++;
		n -= 2;
	}
	while (n > 3 && (entry[n - 1] == '\\' || entry[n - 1] == '/'))
		n--;
	char *key = malloc(n + 1);
	if (key == NULL)
		return NULL;
	memcpy(key, entry, n);
	key[n] = '\0';
	for (char *p = key; *p; p++)
		if (*p == '/')
			*p = '\\';
	return key;
}

static bool same_directory(const char *entry, size_t n, const char *dir)
{
	char *a = path_entry_key(entry, n);
	char *b = path_entry_key(dir, strlen(dir));
	bool same = a != NULL && b != NULL && winpath_compare(a, b) == 0;

	free(a);
	free(b);
	return same;
}

/* stub_dir first, then merged without empty entries or stub_dir again. */
static char *stubbed_path(const char *stub_dir, const char *merged)
{
	text_buffer t = {0};
	const char *s = merged ? merged : "";

	append(&t, stub_dir, strlen(stub_dir));
	while (*s) {
		size_t n = strcspn(s, ";");
		if (n > 0 && !same_directory(s, n, stub_dir)) {
			append(&t, ";", 1);
			append(&t, s, n);
		}
		s += n;
		if (*s == ';')
			s++;
	}
	if (t.failed) {
		free(t.data);
		return NULL;
	}
	return t.data;
}

static bool extension_listed(const text_buffer *t, const char *ext, size_t n)
{
	const char *s = t->data ? t->data : "";

	while (*s) {
		size_t m = strcspn(s, ";");
		if (m == n) {
			char *a = malloc(n + 1), *b = malloc(n + 1);
			bool same = false;
			if (a != NULL && b != NULL) {
				memcpy(a, s, n);
				a[n] = '\0';
				memcpy(b, ext, n);
				b[n] = '\0';
				same = winpath_compare(a, b) == 0;
			}
			free(a);
			free(b);
			if (same)
				return true;
		}
		s += m;
		if (*s == ';')
			s++;
	}
	return false;
}

static void add_extension(text_buffer *t, const char *ext, size_t n)
{
	if (n < 2 || ext[0] != '.' || extension_listed(t, ext, n))
		return;
	if (t->length > 0)
		append(t, ";", 1);
	append(t, ext, n);
}

/* .EXE first (the stubs' extension), the caller's order after it, and the
 * standard executable extensions if the caller dropped them. */
static char *stubbed_pathext(const char *caller)
{
	static const char *const standard[] = {".COM", ".BAT", ".CMD"};
	text_buffer t = {0};
	const char *s = caller ? caller : "";

	add_extension(&t, CORDON_ENV_STUB_EXTENSION, strlen(CORDON_ENV_STUB_EXTENSION));
	while (*s) {
		size_t n = strcspn(s, ";");
		add_extension(&t, s, n);
		s += n;
		if (*s == ';')
			s++;
	}
	for (size_t i = 0; i < sizeof(standard) / sizeof(standard[0]); i++)
		add_extension(&t, standard[i], strlen(standard[i]));
	if (t.failed) {
		free(t.data);
		return NULL;
	}
	return t.data;
}

/* Replaces the variable name (any case) by name=value, spelled as the
 * caller spelled it when it had one ("Path" stays "Path"). */
static bool replace_keeping_spelling(env_list *list, const char *name, const char *value)
{
	env_entry *existing = find(list, name);
	char *spelling = NULL;
	bool ok;

	if (existing != NULL) {
		spelling = malloc(existing->name_length + 1);
		if (spelling == NULL)
			return false;
		memcpy(spelling, existing->text, existing->name_length);
		spelling[existing->name_length] = '\0';
	}
	remove_var(list, name);
	ok = set_var(list, spelling ? spelling : name, value);
	free(spelling);
	return ok;
}

static const char *value_of(env_list *list, const char *name)
{
	env_entry *e = find(list, name);

	return e ? e->text + e->name_length + 1 : NULL;
}

static int compare_entries(const void *pa, const void *pb)
{
	const env_entry *a = pa, *b = pb;
	char *na = malloc(a->name_length + 1), *nb = malloc(b->name_length + 1);
	int result = 0;

	if (na != NULL && nb != NULL) {
		memcpy(na, a->text, a->name_length);
		na[a->name_length] = '\0';
		memcpy(nb, b->text, b->name_length);
		nb[b->name_length] = '\0';
		result = winpath_compare(na, nb);
		if (result == 0)
			result = strcmp(na, nb);
	}
	free(na);
	free(nb);
	if (result == 0)
		result = a->order < b->order ? -1 : a->order > b->order;
	return result;
}

static cordon_code check_input(const cordon_env_plan_input *input, cordon_error *err)
{
	if (input == NULL)
		return cordon_fail(err, CORDON_E_INVALID, "the environment plan needs its input");
	if (input->network == CORDON_NETWORK_ON)
		return CORDON_OK;
	const char *dir = input->stub_dir;
	if (dir == NULL || dir[0] == '\0')
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot put the ssh/scp stubs on PATH: no stub directory was given; "
				   "this is a bug in the Windows backend, please report it");
	winpath_info info = winpath_classify(dir);
	if ((info.kind != WINPATH_DRIVE_ABSOLUTE && info.kind != WINPATH_UNC) || info.extended ||
	    info.has_stream || strpbrk(dir, ";\"") != NULL)
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot put the stub directory '%s' on PATH: it must be an absolute path "
			"without ';', '\"' or a \\\\?\\ prefix; reinstall cordon in a plain directory",
			dir);
	if (input->network == CORDON_NETWORK_PROXY &&
	    (input->proxy_url == NULL || input->proxy_url[0] == '\0'))
		return cordon_fail(
			err, CORDON_E_INVALID,
			"network mode 'proxy' needs the address of cordon's proxy for the environment; "
			"this is a bug in the Windows backend, please report it");
	return CORDON_OK;
}

static bool apply_network_variables(env_list *list, const cordon_env_plan_input *input)
{
	static const char *const proxy_names[] = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY"};
	static const char *const lower_names[] = {"http_proxy", "https_proxy", "all_proxy", "ftp_proxy"};
	static const char *const offline[][2] = {
		{"npm_config_offline", "true"}, {"PIP_NO_INDEX", "1"}, {"UV_OFFLINE", "1"},
		{"CARGO_NET_OFFLINE", "true"},	{"GOPROXY", "off"},
	};
	bool off = input->network == CORDON_NETWORK_OFF;
	const char *proxy = off ? CORDON_ENV_DEAD_PROXY : input->proxy_url;
	bool ok = true;

	for (size_t i = 0; i < 4; i++) {
		remove_var(list, proxy_names[i]);
		ok = ok && set_var(list, proxy_names[i], proxy) && set_var(list, lower_names[i], proxy);
	}
	remove_var(list, "NO_PROXY");
	remove_var(list, "GIT_SSH");
	static const char *const git_proxy[] = {"GIT_HTTP_PROXY", "GIT_HTTPS_PROXY"};
	for (size_t i = 0; i < 2; i++) {
		remove_var(list, git_proxy[i]);
		ok = ok && set_var(list, git_proxy[i], proxy);
	}
	static const char *const git_commands[] = {"GIT_SSH_COMMAND", "GIT_PROXY_COMMAND"};
	for (size_t i = 0; i < 2; i++) {
		remove_var(list, git_commands[i]);
		ok = ok && set_var(list, git_commands[i], CORDON_ENV_FAILING_COMMAND);
	}
	for (size_t i = 0; off && i < sizeof(offline) / sizeof(offline[0]); i++) {
		remove_var(list, offline[i][0]);
		ok = ok && set_var(list, offline[i][0], offline[i][1]);
	}
	remove_var(list, "NoDefaultCurrentDirectoryInExePath");
	return ok && set_var(list, "NoDefaultCurrentDirectoryInExePath", "1");
}

static bool apply_path(env_list *list, const cordon_env_plan_input *input)
{
	const char *merged = input->path ? input->path : value_of(list, "PATH");

	if (input->network == CORDON_NETWORK_ON) {
		if (input->path == NULL)
			return true;
		return replace_keeping_spelling(list, "PATH", input->path);
	}
	char *path = stubbed_path(input->stub_dir, merged);
	char *pathext = stubbed_pathext(value_of(list, "PATHEXT"));
	bool ok = path != NULL && pathext != NULL && replace_keeping_spelling(list, "PATH", path) &&
		  replace_keeping_spelling(list, "PATHEXT", pathext);
	free(path);
	free(pathext);
	return ok;
}

cordon_code cordon_env_plan_build(const cordon_env_plan_input *input, cordon_env_plan *out, cordon_error *err)
{
	env_list list = {0};
	cordon_code code;

	if (out == NULL)
		return cordon_fail(err, CORDON_E_INVALID,
				   "the environment plan needs somewhere to put its result");
	memset(out, 0, sizeof(*out));
	code = check_input(input, err);
	if (code != CORDON_OK)
		return code;
	for (const char *const *e = input->environment; e != NULL && *e != NULL; e++) {
		size_t n = name_length_of(*e);
		if (n == 0)
			continue;
		char *name = malloc(n + 1);
		if (name == NULL)
			goto nomem;
		memcpy(name, *e, n);
		name[n] = '\0';
		/* The first spelling wins, as GetEnvironmentVariable would
		 * find it in the caller's block. */
		bool seen = find(&list, name) != NULL;
		free(name);
		if (seen)
			continue;
		char *copy = strdup(*e);
		if (copy == NULL || !push_owned(&list, copy))
			goto nomem;
	}
	if (input->network != CORDON_NETWORK_ON && !apply_network_variables(&list, input))
		goto nomem;
	if (!apply_path(&list, input))
		goto nomem;
	if (list.count > 1)
		qsort(list.items, list.count, sizeof(list.items[0]), compare_entries);
	out->entries = calloc(list.count + 1, sizeof(char *));
	if (out->entries == NULL)
		goto nomem;
	for (size_t i = 0; i < list.count; i++)
		out->entries[i] = list.items[i].text;
	out->count = list.count;
	free(list.items);
	return CORDON_OK;
nomem:
	list_free(&list);
	return cordon_fail(err, CORDON_E_NOMEM, "out of memory while building the command's environment");
}

const char *cordon_env_plan_get(const cordon_env_plan *plan, const char *name)
{
	for (size_t i = 0; plan != NULL && i < plan->count; i++) {
		size_t n = name_length_of(plan->entries[i]);
		if (n > 0 && name_equal(plan->entries[i], n, name))
			return plan->entries[i] + n + 1;
	}
	return NULL;
}

char *cordon_env_plan_block(const cordon_env_plan *plan, size_t *length)
{
	size_t size = 1;

	for (size_t i = 0; i < plan->count; i++)
		size += strlen(plan->entries[i]) + 1;
	if (plan->count == 0)
		size = 2; /* an empty block is still two NULs */
	char *block = malloc(size);
	if (block == NULL)
		return NULL;
	size_t at = 0;
	for (size_t i = 0; i < plan->count; i++) {
		size_t n = strlen(plan->entries[i]) + 1;
		memcpy(block + at, plan->entries[i], n);
		at += n;
	}
	memset(block + at, 0, size - at);
	if (length != NULL)
		*length = size;
	return block;
}

void cordon_env_plan_free(cordon_env_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->count; i++)
		free(plan->entries[i]);
	free(plan->entries);
	memset(plan, 0, sizeof(*plan));
}
