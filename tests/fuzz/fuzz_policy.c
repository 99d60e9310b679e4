/* Policy documents from untrusted files and command lines: both entry
 * points must fail cleanly (a code and a message) or succeed, never crash
 * or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(const char *entry, cordon_code code, const cordon_error *err)
{
	if (code == CORDON_OK)
		return;
	if (err->code != code || err->message[0] == '\0') {
		fprintf(stderr, "fuzz_policy: %s failed (%s) without a matching error message\n", entry,
			cordon_code_name(code));
		abort();
	}
	/* Messages are one line (STYLE: what, why, what to do); set
	 * FUZZ_POLICY_ALLOW_MULTILINE=1 to look past this for memory bugs. */
	if (getenv("FUZZ_POLICY_ALLOW_MULTILINE") == NULL && strpbrk(err->message, "\n\r") != NULL) {
		fprintf(stderr, "fuzz_policy: %s message spans lines: %s\n", entry, err->message);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cordon_error err;
	cordon_policy *policy = cordon_policy_new();
	if (policy == NULL)
		return 0;
	memset(&err, 0, sizeof(err));
	check_result("cordon_policy_merge_json",
		     cordon_policy_merge_json(policy, (const char *)data, size, &err), &err);
	(void)cordon_policy_mode(policy);
	(void)cordon_policy_network(policy);
	cordon_policy_free(policy);

	/* The compatibility argument is a C string from argv. */
	char *argument = malloc(size + 1);
	if (argument == NULL)
		return 0;
	memcpy(argument, data, size);
	argument[size] = '\0';
	policy = cordon_policy_new();
	if (policy != NULL) {
		memset(&err, 0, sizeof(err));
		check_result("cordon_policy_merge_compat", cordon_policy_merge_compat(policy, argument, &err),
			     &err);
		cordon_policy_free(policy);
	}
	free(argument);
	return 0;
}
