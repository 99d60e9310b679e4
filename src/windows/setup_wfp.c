/* cordon's Windows Filtering Platform objects (wfp_plan.h) on the
 * machine: read them by key, and apply a plan's steps in one transaction
 * that is aborted on the first failure, so the engine holds either all of
 * a setup's network rules or none of this run's changes. */
#include "windows/setup_internal.h"

#include <fwpmu.h>

/* mingw-w64's fwpmtypes.h lacks FWPM_*_FLAG_PERSISTENT; the value (0x1) is
 * CORDON_WFP_FLAG_PERSISTENT for provider, sublayer and filter alike. */
#include <sddl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "windows/win_internal.h"

/* cordon_guid has GUID's layout; copied field by field all the same. */
static GUID to_guid(const cordon_guid *in)
{
	GUID out;

	out.Data1 = in->data1;
	out.Data2 = in->data2;
	out.Data3 = in->data3;
	memcpy(out.Data4, in->data4, sizeof(out.Data4));
	return out;
}

static cordon_code wfp_fail(cordon_error *err, DWORD error, const char *what)
{
	if (error == RPC_S_CANNOT_SUPPORT)
		return cordon_fail(err, CORDON_E_UNSUPPORTED,
				   "cannot %s: this system has no Windows Filtering Platform (error %lu, "
				   "RPC_S_CANNOT_SUPPORT), so the offline account's network rules cannot be "
				   "enforced",
				   what, (unsigned long)error);
	return win_fail(err, error, "cannot %s", what);
}

cordon_code win_wfp_open(HANDLE *engine, cordon_error *err)
{
	DWORD error;

	*engine = NULL;
	error = FwpmEngineOpen0(NULL, RPC_C_AUTHN_DEFAULT, NULL, NULL, engine);
	if (error != ERROR_SUCCESS) {
		*engine = NULL;
		return wfp_fail(err, error, "open the Windows Filtering Platform engine");
	}
	return CORDON_OK;
}

void win_wfp_close(HANDLE engine)
{
	if (engine)
		FwpmEngineClose0(engine);
}

void win_wfp_read_free(win_wfp_read *read)
{
	free(read->filters);
	memset(read, 0, sizeof(*read));
}

static bool denied(DWORD error)
{
	return error == ERROR_ACCESS_DENIED;
}

cordon_code win_wfp_read_now(HANDLE engine, const cordon_guid *keys, size_t key_count, win_wfp_read *out,
			     cordon_error *err)
{
	cordon_guid provider = cordon_wfp_provider_key(), sublayer = cordon_wfp_sublayer_key();
	GUID key = to_guid(&provider);
	FWPM_PROVIDER0 *provider_found = NULL;
	FWPM_SUBLAYER0 *sublayer_found = NULL;
	DWORD error;

	memset(out, 0, sizeof(*out));
	out->filters = calloc(key_count + 1, sizeof(*out->filters));
	if (!out->filters)
		return cordon_fail(err, CORDON_E_NOMEM,
				   "cannot read cordon's network filters: out of memory");
	error = FwpmProviderGetByKey0(engine, &key, &provider_found);
	if (denied(error))
		return CORDON_OK; /* readable stays false: nothing is claimed */
	if (error != ERROR_SUCCESS && error != (DWORD)FWP_E_PROVIDER_NOT_FOUND)
		return wfp_fail(err, error, "read cordon's firewall provider");
	out->state.provider_exists = error == ERROR_SUCCESS;
	if (provider_found)
		FwpmFreeMemory0((void **)&provider_found);
	key = to_guid(&sublayer);
	error = FwpmSubLayerGetByKey0(engine, &key, &sublayer_found);
	if (error != ERROR_SUCCESS && error != (DWORD)FWP_E_SUBLAYER_NOT_FOUND)
		return wfp_fail(err, error, "read cordon's firewall sublayer");
	out->state.sublayer_exists = error == ERROR_SUCCESS;
	if (sublayer_found)
		FwpmFreeMemory0((void **)&sublayer_found);
	for (size_t i = 0; i < key_count; i++) {
		FWPM_FILTER0 *filter = NULL;
		cordon_wfp_filter_state *state = &out->filters[out->state.filter_count];
		bool seen = false;

		for (size_t j = 0; j < out->state.filter_count && !seen; j++)
			seen = cordon_guid_equal(&out->filters[j].key, &keys[i]);
		if (seen)
			continue;
		key = to_guid(&keys[i]);
		error = FwpmFilterGetByKey0(engine, &key, &filter);
		if (error == (DWORD)FWP_E_FILTER_NOT_FOUND)
			continue;
		if (error != ERROR_SUCCESS)
			return wfp_fail(err, error, "read cordon's network filters");
		state->key = keys[i];
		if (filter->providerData.size == 64 && filter->providerData.data) {
			memcpy(state->fingerprint, filter->providerData.data, 64);
			state->fingerprint[64] = '\0';
		}
		FwpmFreeMemory0((void **)&filter);
		out->state.filter_count++;
	}
	out->state.filters = out->filters;
	out->readable = true;
	return CORDON_OK;
}

/* ------------------------------------------------------------ applying */

static wchar_t *wide_or_empty(const char *text)
{
	return win_wide(text ? text : "");
}

static DWORD add_provider(HANDLE engine)
{
	cordon_guid key = cordon_wfp_provider_key();
	wchar_t *name = wide_or_empty(CORDON_WFP_PROVIDER_NAME);
	wchar_t *description = wide_or_empty(CORDON_WFP_PROVIDER_DESCRIPTION);
	FWPM_PROVIDER0 provider;
	DWORD error = ERROR_NOT_ENOUGH_MEMORY;

	memset(&provider, 0, sizeof(provider));
	provider.providerKey = to_guid(&key);
	provider.displayData.name = name;
	provider.displayData.description = description;
	provider.flags = CORDON_WFP_FLAG_PERSISTENT;
	if (name && description)
		error = FwpmProviderAdd0(engine, &provider, NULL);
	free(name);
	free(description);
	return error;
}

static DWORD add_sublayer(HANDLE engine)
{
	cordon_guid key = cordon_wfp_sublayer_key(), provider_key = cordon_wfp_provider_key();
	GUID provider = to_guid(&provider_key);
	wchar_t *name = wide_or_empty(CORDON_WFP_SUBLAYER_NAME);
	wchar_t *description = wide_or_empty(CORDON_WFP_SUBLAYER_DESCRIPTION);
	FWPM_SUBLAYER0 sublayer;
	DWORD error = ERROR_NOT_ENOUGH_MEMORY;

	memset(&sublayer, 0, sizeof(sublayer));
	sublayer.subLayerKey = to_guid(&key);
	sublayer.displayData.name = name;
	sublayer.displayData.description = description;
	sublayer.flags = CORDON_WFP_FLAG_PERSISTENT;
	sublayer.providerKey = &provider;
	sublayer.weight = CORDON_WFP_SUBLAYER_WEIGHT;
	if (name && description)
		error = FwpmSubLayerAdd0(engine, &sublayer, NULL);
	free(name);
	free(description);
	return error;
}

/* The user condition's self-relative security descriptor (LocalFree). */
static PSECURITY_DESCRIPTOR user_condition_sd(const char *offline_sid, ULONG *length)
{
	char sddl[256];
	wchar_t *wide;
	PSECURITY_DESCRIPTOR sd = NULL;

	if (!offline_sid || !cordon_wfp_user_sddl(offline_sid, sddl, sizeof(sddl)))
		return NULL;
	wide = win_wide(sddl);
	if (wide && !ConvertStringSecurityDescriptorToSecurityDescriptorW(wide, SDDL_REVISION_1, &sd, length))
		sd = NULL;
	free(wide);
	return sd;
}

static DWORD add_filter(HANDLE engine, const cordon_wfp_filter *spec, const char *offline_sid)
{
	cordon_guid provider_key = cordon_wfp_provider_key(), sublayer_key = cordon_wfp_sublayer_key();
	cordon_guid layer = cordon_wfp_layer_key(spec->layer);
	GUID provider = to_guid(&provider_key);
	GUID field_keys[CORDON_WFP_MAX_CONDITIONS];
	FWPM_FILTER_CONDITION0 conditions[CORDON_WFP_MAX_CONDITIONS];
	FWP_BYTE_ARRAY16 addresses[CORDON_WFP_MAX_CONDITIONS];
	FWP_BYTE_BLOB sd_blob = {0, NULL};
	char fingerprint[65];
	UINT64 weight = spec->weight;
	ULONG sd_length = 0;
	PSECURITY_DESCRIPTOR sd = user_condition_sd(offline_sid, &sd_length);
	wchar_t *name = wide_or_empty(spec->name), *description = wide_or_empty(spec->description);
	FWPM_FILTER0 filter;
	DWORD error = ERROR_NOT_ENOUGH_MEMORY;

	if (!sd || !name || !description)
		goto out;
	sd_blob.size = sd_length;
	sd_blob.data = (UINT8 *)sd;
	memset(conditions, 0, sizeof(conditions));
	for (size_t i = 0; i < spec->condition_count; i++) {
		const cordon_wfp_condition *c = &spec->conditions[i];
		cordon_guid field = cordon_wfp_field_key(c->field);

		field_keys[i] = to_guid(&field);
		conditions[i].fieldKey = field_keys[i];
		conditions[i].matchType = FWP_MATCH_EQUAL;
		switch (c->field) {
		case CORDON_WFP_FIELD_ALE_USER_ID:
			conditions[i].conditionValue.type = FWP_SECURITY_DESCRIPTOR_TYPE;
			conditions[i].conditionValue.sd = &sd_blob;
			break;
		case CORDON_WFP_FIELD_IP_PROTOCOL:
			conditions[i].conditionValue.type = FWP_UINT8;
			conditions[i].conditionValue.uint8 = (UINT8)c->value;
			break;
		case CORDON_WFP_FIELD_IP_REMOTE_ADDRESS:
			if (c->ipv6) {
				memcpy(addresses[i].byteArray16, c->address16, 16);
				conditions[i].conditionValue.type = FWP_BYTE_ARRAY16_TYPE;
				conditions[i].conditionValue.byteArray16 = &addresses[i];
			} else {
				conditions[i].conditionValue.type = FWP_UINT32;
				conditions[i].conditionValue.uint32 = c->value;
			}
			break;
		case CORDON_WFP_FIELD_IP_REMOTE_PORT:
			conditions[i].conditionValue.type = FWP_UINT16;
			conditions[i].conditionValue.uint16 = (UINT16)c->value;
			break;
		}
	}
	/* What a later setup reads back to tell this filter from a changed
	 * one (wfp_plan.h). */
	cordon_wfp_filter_fingerprint(spec, offline_sid, fingerprint);
	memset(&filter, 0, sizeof(filter));
	filter.filterKey = to_guid(&spec->key);
	filter.displayData.name = name;
	filter.displayData.description = description;
	filter.flags = spec->flags; /* CORDON_WFP_FLAG_PERSISTENT: FWPM_FILTER_FLAG_PERSISTENT */
	filter.providerKey = &provider;
	filter.providerData.size = 64;
	filter.providerData.data = (UINT8 *)fingerprint;
	filter.layerKey = to_guid(&layer);
	filter.subLayerKey = to_guid(&sublayer_key);
	filter.weight.type = FWP_UINT64;
	filter.weight.uint64 = &weight;
	filter.numFilterConditions = (UINT32)spec->condition_count;
	filter.filterCondition = conditions;
	filter.action.type = spec->action == CORDON_WFP_ACTION_PERMIT ? FWP_ACTION_PERMIT : FWP_ACTION_BLOCK;
	error = FwpmFilterAdd0(engine, &filter, NULL, NULL);
out:
	LocalFree(sd);
	free(name);
	free(description);
	return error;
}

static DWORD delete_filter(HANDLE engine, const cordon_guid *key)
{
	GUID guid = to_guid(key);
	DWORD error = FwpmFilterDeleteByKey0(engine, &guid);

	return error == (DWORD)FWP_E_FILTER_NOT_FOUND ? ERROR_SUCCESS : error;
}

static DWORD apply_step(HANDLE engine, const cordon_wfp_plan *plan, const cordon_wfp_step *step,
			const char *offline_sid)
{
	GUID key = to_guid(&step->key);
	DWORD error;

	switch (step->kind) {
	case CORDON_WFP_ADD_PROVIDER: return add_provider(engine);
	case CORDON_WFP_ADD_SUBLAYER: return add_sublayer(engine);
	case CORDON_WFP_ADD_FILTER:
		return add_filter(engine, &plan->filters[step->filter_index], offline_sid);
	case CORDON_WFP_REPLACE_FILTER:
		error = delete_filter(engine, &step->key);
		return error == ERROR_SUCCESS
			       ? add_filter(engine, &plan->filters[step->filter_index], offline_sid)
			       : error;
	case CORDON_WFP_DELETE_FILTER: return delete_filter(engine, &step->key);
	case CORDON_WFP_DELETE_SUBLAYER:
		error = FwpmSubLayerDeleteByKey0(engine, &key);
		return error == (DWORD)FWP_E_SUBLAYER_NOT_FOUND ? ERROR_SUCCESS : error;
	case CORDON_WFP_DELETE_PROVIDER:
		error = FwpmProviderDeleteByKey0(engine, &key);
		return error == (DWORD)FWP_E_PROVIDER_NOT_FOUND ? ERROR_SUCCESS : error;
	}
	return ERROR_INVALID_PARAMETER;
}

cordon_code win_wfp_apply(HANDLE engine, const cordon_wfp_plan *plan, const char *offline_sid,
			  cordon_error *err)
{
	DWORD error;

	if (plan->step_count == 0)
		return CORDON_OK;
	error = FwpmTransactionBegin0(engine, 0);
	if (error != ERROR_SUCCESS)
		return wfp_fail(err, error, "begin a Windows Filtering Platform transaction");
	for (size_t i = 0; i < plan->step_count; i++) {
		const cordon_wfp_step *step = &plan->steps[i];
		char what[160];

		error = apply_step(engine, plan, step, offline_sid);
		if (error == ERROR_SUCCESS)
			continue;
		FwpmTransactionAbort0(engine);
		snprintf(what, sizeof(what),
			 "%s %s (the transaction was aborted: no network rule of this run "
			 "remains)",
			 cordon_wfp_step_name(step->kind),
			 step->filter_index != CORDON_WFP_NO_FILTER ? plan->filters[step->filter_index].name
								    : "");
		return wfp_fail(err, error, what);
	}
	error = FwpmTransactionCommit0(engine);
	if (error != ERROR_SUCCESS)
		return wfp_fail(err, error, "commit cordon's network rules (nothing of them was applied)");
	return CORDON_OK;
}
