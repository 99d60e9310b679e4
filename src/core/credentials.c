/* The default deny-read set: well-known credential stores under the
 * invoking user's home. A command's output can end up in an agent's
 * context and, with the network on, anywhere; none of these is needed to
 * build or test a project, and each one hands over an identity.
 *
 * Kept deliberately to stores whose whole content is secret (or whose
 * secret part is a file of its own), so that hiding them never breaks an
 * ordinary build: ~/.gitconfig, ~/.m2/settings.xml, ~/.gradle and pip's
 * configuration also hold build settings and stay readable (hide them with
 * --deny-read when they hold secrets). */
#include "credentials.h"

#include "error.h"
#include "policy_private.h"

#include <stdlib.h>
#include <string.h>

typedef struct credential_store {
	const char *name; /* relative to the home, '/' between components */
	const char *why;
} credential_store;

static const credential_store stores[] = {
	{".ssh", "SSH private keys, and the config and known_hosts that name every host they open"},
	{".gnupg", "GnuPG private keys: signing as the user, decrypting their mail and pass store"},
	{".aws", "AWS access keys (credentials) and the SSO token cache"},
	{".azure", "Azure CLI access and refresh tokens"},
	{".config/gcloud", "Google Cloud SDK OAuth tokens and application-default credentials"},
	{".kube", "kubeconfig: cluster endpoints with bearer tokens or client keys"},
	{".docker/config.json",
	 "container registry logins (base64 user:password or tokens); the rest of ~/.docker holds no secret"},
	{".config/gh", "GitHub CLI OAuth token"},
	{".config/hub", "hub's GitHub token"},
	{".config/glab-cli", "GitLab CLI token"},
	{".git-credentials", "git's credential store: https passwords and tokens in plain text"},
	{".config/git/credentials", "git's credential store at its XDG location"},
	{".git-credential-cache",
	 "the socket of git's credential-cache daemon, which hands cached passwords to whoever asks "
	 "(host sockets are only hidden when the network is off)"},
	{".cache/git/credential", "git's credential-cache socket at its XDG location"},
	{".netrc", "logins in plain text, read by curl, git, ftp and pip"},
	{".npmrc", "npm registry tokens (_authToken)"},
	{".yarnrc.yml", "Yarn registry tokens (npmAuthToken)"},
	{".pypirc", "PyPI upload passwords and tokens"},
	{".cargo/credentials.toml", "crates.io publish token"},
	{".cargo/credentials", "crates.io publish token (older cargo)"},
	{".gem/credentials", "RubyGems push API key"},
	{".local/share/gem/credentials", "RubyGems push API key at its XDG location"},
	{".m2/settings-security.xml",
	 "Maven's master password, which decrypts the passwords in settings.xml"},
	{".password-store", "pass: the user's passwords (encrypted, but decrypted by a running gpg-agent)"},
	{".local/share/keyrings", "GNOME Keyring and libsecret keyrings"},
	{".config/op", "1Password CLI configuration and session"},
	{".vault-token", "HashiCorp Vault token in plain text"},
	{".terraform.d/credentials.tfrc.json", "Terraform Cloud and Enterprise API tokens"},
	{".pgpass", "PostgreSQL passwords in plain text"},
	{".my.cnf", "MySQL client passwords"},
	{".mylogin.cnf", "MySQL login paths (obfuscated, not encrypted)"},
	{".config/rclone", "rclone: cloud storage keys and OAuth tokens"},
	{".config/sops", "sops age keys, which decrypt the user's encrypted secrets"},
	{".mozilla", "Firefox profiles: saved passwords and session cookies"},
	{".config/google-chrome", "Chrome profiles: session cookies and saved passwords"},
	{".config/chromium", "Chromium profiles: session cookies and saved passwords"},
};

#define STORE_COUNT (sizeof(stores) / sizeof(stores[0]))

size_t cordon_credential_store_count(void)
{
	return STORE_COUNT;
}

const char *cordon_credential_store_name(size_t index)
{
	return index < STORE_COUNT ? stores[index].name : NULL;
}

const char *cordon_credential_store_reason(size_t index)
{
	return index < STORE_COUNT ? stores[index].why : NULL;
}

/* name as the table spells it, up to length bytes: '\\' counts as '/'. */
static bool same_name(const char *table_name, const char *name, size_t length)
{
	if (strlen(table_name) != length)
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = name[i] == '\\' ? '/' : name[i];
		if (c != table_name[i])
			return false;
	}
	return true;
}

long cordon_credential_store_find(const char *name)
{
	if (name == NULL)
		return -1;
	while (strncmp(name, "./", 2) == 0 || strncmp(name, ".\\", 2) == 0)
		name += 2;
	size_t length = strlen(name);
	while (length > 0 && (name[length - 1] == '/' || name[length - 1] == '\\'))
		length--;
	for (size_t i = 0; i < STORE_COUNT; i++)
		if (same_name(stores[i].name, name, length))
			return (long)i;
	return -1;
}

char *cordon_credential_store_path(const char *home, size_t index, char separator)
{
	if (home == NULL || index >= STORE_COUNT)
		return NULL;
	size_t home_length = strlen(home);
	/* "/" (or "C:\") already ends in the separator */
	if (home_length > 0 && (home[home_length - 1] == '/' || home[home_length - 1] == '\\'))
		home_length--;
	const char *name = stores[index].name;
	size_t length = home_length + 1 + strlen(name) + 1;
	char *path = malloc(length);
	if (path == NULL)
		return NULL;
	memcpy(path, home, home_length);
	path[home_length] = separator;
	char *out = path + home_length + 1;
	for (const char *c = name; *c; c++)
		*out++ = *c == '/' ? separator : *c;
	*out = '\0';
	return path;
}

bool cordon_credential_lift_is_absolute(const char *lift)
{
	if (lift[0] == '/' || lift[0] == '\\')
		return true;
	/* C:\ and C:/ */
	return ((lift[0] >= 'A' && lift[0] <= 'Z') || (lift[0] >= 'a' && lift[0] <= 'z')) && lift[1] == ':' &&
	       (lift[2] == '\\' || lift[2] == '/');
}

/* The names of the table, for a message: ".ssh, .gnupg, ...". */
static void list_names(char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < STORE_COUNT; i++) {
		size_t length = strlen(stores[i].name);
		const char *separator = i == 0 ? "" : ", ";
		if (used + strlen(separator) + length + 1 > size)
			break;
		memcpy(out + used, separator, strlen(separator));
		used += strlen(separator);
		memcpy(out + used, stores[i].name, length);
		used += length;
		out[used] = '\0';
	}
}

cordon_code cordon_credential_lift_normalize(const char *given, char **out, cordon_error *err)
{
	*out = NULL;
	if (given == NULL || given[0] == '\0')
		return cordon_fail(err, CORDON_E_INVALID,
				   "credential store to allow is empty: give a name such as .ssh, or all");
	const char *copy_from = given;
	if (strcmp(given, CORDON_CREDENTIALS_ALL) != 0 && !cordon_credential_lift_is_absolute(given)) {
		const char *name = given;
		if (strncmp(name, "~/", 2) == 0 || strncmp(name, "~\\", 2) == 0)
			name += 2;
		long index = cordon_credential_store_find(name);
		if (index < 0) {
			char shown[CORDON_MESSAGE_VALUE_MAX];
			char names[768];
			cordon_message_text(given, shown, sizeof(shown));
			list_names(names, sizeof(names));
			return cordon_fail(
				err, CORDON_E_INVALID,
				"credential store \"%s\" is not one cordon hides: give all, or one of %s",
				shown, names);
		}
		copy_from = stores[index].name;
	}
	*out = strdup(copy_from);
	if (*out == NULL)
		return cordon_fail(err, CORDON_E_NOMEM, "out of memory while building the policy");
	return CORDON_OK;
}
