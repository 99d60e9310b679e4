/* A program built the way a user of an installed libcordon builds one:
 * only <cordon.h> and `pkg-config --cflags --libs cordon`. It resolves a
 * policy for the workspace given as argv[1] and prints it as JSON, then
 * runs two commands through the library: one that writes in the workspace
 * (must succeed) and one that writes next to it, outside every root (must
 * be refused). The host-side outcome is checked by install_test.sh.
 *
 * Exits 0 when both commands ran as expected, 1 on any mismatch, 77 when
 * this host cannot build the sandbox (reported as a skip, never a pass). */
#include <cordon.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run(const cordon_resolved *resolved, const char *script, int *status)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	cordon_spawn_options options = {.argv = argv, .stdio = CORDON_STDIO_INHERIT, .timeout_ms = 30000};
	cordon_error err;
	cordon_child *child;
	cordon_exit exit_info;

	if (cordon_spawn(resolved, &options, &child, &err) != CORDON_OK) {
		fprintf(stderr, "consumer: cordon_spawn: %s: %s\n", cordon_code_name(err.code), err.message);
		return err.code == CORDON_E_UNSUPPORTED ? 77 : 1;
	}
	cordon_code code = cordon_child_wait(child, -1, &exit_info, &err);
	cordon_child_free(child);
	if (code != CORDON_OK) {
		fprintf(stderr, "consumer: cordon_child_wait: %s\n", err.message);
		return 1;
	}
	*status = cordon_exit_status(&exit_info);
	return 0;
}

int main(int argc, char **argv)
{
	cordon_error err;
	cordon_resolved *resolved;
	int status_inside = -1;
	int status_outside = -1;
	int result;

	if (argc != 3) {
		fprintf(stderr, "usage: consumer WORKSPACE OUTSIDE-FILE\n");
		return 2;
	}
	printf("consumer: linked against cordon %s\n", CORDON_VERSION);
	cordon_policy *policy = cordon_policy_new();
	/* The test's scratch directories may live under /tmp: with the temp
	 * directory read-only, only the workspace is writable. */
	if (policy != NULL)
		cordon_policy_set_tmp_writable(policy, false);
	if (policy == NULL || cordon_policy_set_cwd(policy, argv[1], &err) != CORDON_OK ||
	    cordon_policy_resolve(policy, &resolved, &err) != CORDON_OK) {
		fprintf(stderr, "consumer: policy: %s\n", policy == NULL ? "out of memory" : err.message);
		return 1;
	}
	cordon_policy_free(policy);
	char *json = cordon_resolved_to_json(resolved);
	if (json == NULL)
		return 1;
	fputs(json, stdout);
	putchar('\n');
	free(json);
	fflush(stdout);

	char outside[4096];
	snprintf(outside, sizeof(outside), "echo escaped > '%s'", argv[2]);
	result = run(resolved, "echo inside > written-inside.txt", &status_inside);
	if (result == 0)
		result = run(resolved, outside, &status_outside);
	cordon_resolved_free(resolved);
	if (result != 0)
		return result;
	printf("consumer: write inside exited %d, write outside exited %d\n", status_inside, status_outside);
	return status_inside == 0 && status_outside != 0 ? 0 : 1;
}
