/* cordon doctor: what this host can enforce, and how to get the rest. */
#include "cli/cli.h"

#include <stdio.h>

static const char *state_label(const cordon_host_feature *feature)
{
	switch (feature->state) {
	case CORDON_FEATURE_AVAILABLE: return "ok";
	case CORDON_FEATURE_MISSING: return feature->speed_only ? "slower" : "MISSING";
	case CORDON_FEATURE_NOT_APPLICABLE: return "n/a";
	}
	return "?";
}

static void print_feature(const cordon_host_feature *feature)
{
	if (feature->detail[0] != '\0')
		printf("  %-8s %s: %s\n", state_label(feature), feature->name, feature->detail);
	else
		printf("  %-8s %s\n", state_label(feature), feature->name);
	if (feature->state != CORDON_FEATURE_MISSING)
		return;
	if (feature->lost[0] != '\0')
		printf("           lost: %s\n", feature->lost);
	if (feature->hint[0] != '\0')
		printf("           Hint: %s\n", feature->hint);
}

/* Exit status: 0 when everything cordon enforces is available here, 1
 * when a protection is missing (a feature that only makes runs slower
 * does not count), 125 when the probe itself failed. */
int cli_doctor(void)
{
	cordon_host_report report = {0};
	cordon_error err = {0};
	size_t missing = 0;
	size_t slower = 0;

	if (cordon_probe_host(&report, &err) != CORDON_OK) {
		cli_say("%s", err.message);
		return CLI_EXIT_CORDON_ERROR;
	}
	printf("platform: %s\n", report.platform);
	for (size_t i = 0; i < report.feature_count && i < CORDON_HOST_FEATURES_MAX; i++) {
		const cordon_host_feature *feature = &report.features[i];
		print_feature(feature);
		if (feature->state == CORDON_FEATURE_MISSING && feature->speed_only)
			slower++;
		else if (feature->state == CORDON_FEATURE_MISSING)
			missing++;
	}
	/* The default policy asks for every layer and cordon never fails
	 * open, so a missing protection is a reason to look before running. */
	if (missing == 0 && slower == 0)
		printf("everything cordon enforces is available here\n");
	else if (missing == 0)
		printf("everything cordon enforces is available here; runs are slower without what is "
		       "marked 'slower'\n");
	else
		printf("%zu protection%s missing: see the hints above; "
		       "'cordon run --best-effort' runs with what is available\n",
		       missing, missing == 1 ? " is" : "s are");
	fflush(stdout);
	return missing == 0 ? 0 : 1;
}
