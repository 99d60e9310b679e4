#include "windows/plan/wfp_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/sha256.h"

bool cordon_guid_equal(const cordon_guid *a, const cordon_guid *b)
{
	return a->data1 == b->data1 && a->data2 == b->data2 && a->data3 == b->data3 &&
	       memcmp(a->data4, b->data4, sizeof(a->data4)) == 0;
}

void cordon_guid_format(const cordon_guid *guid, char out[CORDON_GUID_STRING_SIZE])
{
	snprintf(out, CORDON_GUID_STRING_SIZE, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 (unsigned long)guid->data1, guid->data2, guid->data3, guid->data4[0], guid->data4[1],
		 guid->data4[2], guid->data4[3], guid->data4[4], guid->data4[5], guid->data4[6],
		 guid->data4[7]);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool cordon_guid_parse(const char *text, cordon_guid *out)
{
	uint8_t bytes[16];
	size_t used = 0;

	if (strlen(text) != CORDON_GUID_STRING_SIZE - 1)
		return false;
	for (size_t i = 0; i < CORDON_GUID_STRING_SIZE - 1;) {
		int high, low;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return false;
			i++;
			continue;
		}
		high = hex_digit(text[i]);
		low = hex_digit(text[i + 1]);
		if (high < 0 || low < 0)
			return false;
		bytes[used++] = (uint8_t)(high << 4 | low);
		i += 2;
	}
	out->data1 = (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
	out->data2 = (uint16_t)(bytes[4] << 8 | bytes[5]);
	out->data3 = (uint16_t)(bytes[6] << 8 | bytes[7]);
	memcpy(out->data4, bytes + 8, 8);
	return true;
}

cordon_guid cordon_guid_from_name(const cordon_guid *namespace_guid, const char *name)
{
	cordon_sha256_ctx ctx;
	uint8_t digest[32];
	uint8_t ns[16];
	cordon_guid guid;

	/* The namespace in its string byte order (big-endian fields). */
	ns[0] = (uint8_t)(namespace_guid->data1 >> 24);
	ns[1] = (uint8_t)(namespace_guid->data1 >> 16);
	ns[2] = (uint8_t)(namespace_guid->data1 >> 8);
	ns[3] = (uint8_t)namespace_guid->data1;
	ns[4] = (uint8_t)(namespace_guid->data2 >> 8);
	ns[5] = (uint8_t)namespace_guid->data2;
	ns[6] = (uint8_t)(namespace_guid->data3 >> 8);
	ns[7] = (uint8_t)namespace_guid->data3;
	memcpy(ns + 8, namespace_guid->data4, 8);
	cordon_sha256_init(&ctx);
	cordon_sha256_update(&ctx, ns, sizeof(ns));
	cordon_sha256_update(&ctx, name, strlen(name));
	cordon_sha256_final(&ctx, digest);
	digest[6] = (uint8_t)((digest[6] & 0x0f) | 0x80); /* version 8: custom */
	digest[8] = (uint8_t)((digest[8] & 0x3f) | 0x80); /* variant 10 */
	guid.data1 =
		(uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 | (uint32_t)digest[2] << 8 | digest[3];
	guid.data2 = (uint16_t)(digest[4] << 8 | digest[5]);
	guid.data3 = (uint16_t)(digest[6] << 8 | digest[7]);
	memcpy(guid.data4, digest + 8, 8);
	return guid;
}

static cordon_guid guid_of(const char *text)
{
	cordon_guid guid;

	memset(&guid, 0, sizeof(guid));
	cordon_guid_parse(text, &guid); /* constants below; test_wfp_plan parses each */
	return guid;
}

cordon_guid cordon_wfp_provider_key(void)
{
	return guid_of("5ebbf8ea-7429-496f-9baf-b42f4c2a6990");
}

cordon_guid cordon_wfp_sublayer_key(void)
{
	return guid_of("f76b342b-1f06-4964-8fd8-138e821bbad4");
}

static const struct {
	const char *name;
	const char *key;
} layers[] = {
	[CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V4] = {"FWPM_LAYER_ALE_AUTH_CONNECT_V4",
						  "c38d57d1-05a7-4c33-904f-7fbceee60e82"},
	[CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V6] = {"FWPM_LAYER_ALE_AUTH_CONNECT_V6",
						  "4a72393b-319f-44bc-84c3-ba54dcb3b6b4"},
	[CORDON_WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4] = {"FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4",
						      "e1cd9fe7-f4b5-4273-96c0-592e487b8650"},
	[CORDON_WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V6] = {"FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6",
						      "a3b42c97-9f04-4672-b87e-cee9c483257f"},
	[CORDON_WFP_LAYER_ALE_AUTH_LISTEN_V4] = {"FWPM_LAYER_ALE_AUTH_LISTEN_V4",
						 "88bb5dad-76d7-4227-9c71-df0a3ed7be7e"},
	[CORDON_WFP_LAYER_ALE_AUTH_LISTEN_V6] = {"FWPM_LAYER_ALE_AUTH_LISTEN_V6",
						 "7ac9de24-17dd-4814-b4bd-a9fbc95a321b"},
	[CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4] = {"FWPM_LAYER_ALE_RESOURCE_ASSIGNMENT_V4",
							 "1247d66d-0b60-4a15-8d44-7155d0f53a0c"},
	[CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V6] = {"FWPM_LAYER_ALE_RESOURCE_ASSIGNMENT_V6",
							 "55a650e1-5f0a-4eca-a653-88f53b26aa8c"},
};

static const struct {
	const char *name;
	const char *key;
} fields[] = {
	[CORDON_WFP_FIELD_ALE_USER_ID] = {"FWPM_CONDITION_ALE_USER_ID",
					  "af043a0a-b34d-4f86-979c-c90371af6e66"},
	[CORDON_WFP_FIELD_IP_PROTOCOL] = {"FWPM_CONDITION_IP_PROTOCOL",
					  "3971ef2b-623e-4f9a-8cb1-6e79b806b9a7"},
	[CORDON_WFP_FIELD_IP_REMOTE_ADDRESS] = {"FWPM_CONDITION_IP_REMOTE_ADDRESS",
						"b235ae9a-1d64-49b8-a44c-5ff3d9095045"},
	[CORDON_WFP_FIELD_IP_REMOTE_PORT] = {"FWPM_CONDITION_IP_REMOTE_PORT",
					     "c35a604d-d22b-4e1a-91b4-68f674ee674b"},
};

cordon_guid cordon_wfp_layer_key(cordon_wfp_layer layer)
{
	return guid_of(layers[layer].key);
}

const char *cordon_wfp_layer_name(cordon_wfp_layer layer)
{
	return layers[layer].name;
}

cordon_guid cordon_wfp_field_key(cordon_wfp_field field)
{
	return guid_of(fields[field].key);
}

const char *cordon_wfp_field_name(cordon_wfp_field field)
{
	return fields[field].name;
}

/* ------------------------------------------------------------- filters */

static cordon_wfp_condition user_condition(const char *account)
{
	cordon_wfp_condition c;

	memset(&c, 0, sizeof(c));
	c.field = CORDON_WFP_FIELD_ALE_USER_ID;
	c.account = account;
	return c;
}

static cordon_wfp_condition value_condition(cordon_wfp_field field, uint32_t value)
{
	cordon_wfp_condition c;

	memset(&c, 0, sizeof(c));
	c.field = field;
	c.value = value;
	return c;
}

static cordon_wfp_condition loopback_v6_condition(void)
{
	cordon_wfp_condition c;

	memset(&c, 0, sizeof(c));
	c.field = CORDON_WFP_FIELD_IP_REMOTE_ADDRESS;
	c.ipv6 = true;
	c.address16[15] = 1; /* ::1 */
	return c;
}

static void start_filter(cordon_wfp_filter *f, const char *name, const char *description,
			 cordon_wfp_layer layer, uint32_t action, const char *account)
{
	cordon_guid provider = cordon_wfp_provider_key();

	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->key = cordon_guid_from_name(&provider, name);
	f->description = description;
	f->layer = layer;
	f->action = action;
	f->weight = action == CORDON_WFP_ACTION_PERMIT ? CORDON_WFP_WEIGHT_PERMIT : CORDON_WFP_WEIGHT_BLOCK;
	f->flags = CORDON_WFP_FLAG_PERSISTENT;
	f->conditions[f->condition_count++] = user_condition(account);
}

size_t cordon_wfp_filters(const char *account, uint16_t proxy_port,
			  cordon_wfp_filter out[CORDON_WFP_FILTER_COUNT])
{
	size_t n = 0;
	cordon_wfp_filter *f;

	f = &out[n++];
	start_filter(f, "cordon permit proxy v4",
		     "the offline sandbox account may reach cordon's proxy on 127.0.0.1",
		     CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V4, CORDON_WFP_ACTION_PERMIT, account);
	f->conditions[f->condition_count++] =
		value_condition(CORDON_WFP_FIELD_IP_PROTOCOL, CORDON_IPPROTO_TCP);
	f->conditions[f->condition_count++] =
		value_condition(CORDON_WFP_FIELD_IP_REMOTE_ADDRESS, 0x7f000001u);
	f->conditions[f->condition_count++] = value_condition(CORDON_WFP_FIELD_IP_REMOTE_PORT, proxy_port);

	f = &out[n++];
	start_filter(f, "cordon permit proxy v6",
		     "the offline sandbox account may reach cordon's proxy on ::1",
		     CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V6, CORDON_WFP_ACTION_PERMIT, account);
	f->conditions[f->condition_count++] =
		value_condition(CORDON_WFP_FIELD_IP_PROTOCOL, CORDON_IPPROTO_TCP);
	f->conditions[f->condition_count++] = loopback_v6_condition();
	f->conditions[f->condition_count++] = value_condition(CORDON_WFP_FIELD_IP_REMOTE_PORT, proxy_port);

	start_filter(&out[n++], "cordon block connect v4",
		     "no outbound IPv4 traffic (TCP, UDP, ICMP, any address)",
		     CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V4, CORDON_WFP_ACTION_BLOCK, account);
	start_filter(&out[n++], "cordon block connect v6",
		     "no outbound IPv6 traffic (TCP, UDP, ICMPv6, any address)",
		     CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V6, CORDON_WFP_ACTION_BLOCK, account);
	start_filter(&out[n++], "cordon block accept v4", "no inbound IPv4 connections or datagrams",
		     CORDON_WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4, CORDON_WFP_ACTION_BLOCK, account);
	start_filter(&out[n++], "cordon block accept v6", "no inbound IPv6 connections or datagrams",
		     CORDON_WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V6, CORDON_WFP_ACTION_BLOCK, account);
	start_filter(&out[n++], "cordon block listen v4", "no listening IPv4 TCP sockets",
		     CORDON_WFP_LAYER_ALE_AUTH_LISTEN_V4, CORDON_WFP_ACTION_BLOCK, account);
	start_filter(&out[n++], "cordon block listen v6", "no listening IPv6 TCP sockets",
		     CORDON_WFP_LAYER_ALE_AUTH_LISTEN_V6, CORDON_WFP_ACTION_BLOCK, account);

	f = &out[n++];
	start_filter(f, "cordon block icmp bind v4", "no ICMP sockets (ping's echo requests)",
		     CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4, CORDON_WFP_ACTION_BLOCK, account);
	f->conditions[f->condition_count++] =
		value_condition(CORDON_WFP_FIELD_IP_PROTOCOL, CORDON_IPPROTO_ICMP);

	f = &out[n++];
	start_filter(f, "cordon block icmp bind v6", "no ICMPv6 sockets (ping's echo requests)",
		     CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V6, CORDON_WFP_ACTION_BLOCK, account);
	f->conditions[f->condition_count++] =
		value_condition(CORDON_WFP_FIELD_IP_PROTOCOL, CORDON_IPPROTO_ICMPV6);
	return n;
}

bool cordon_wfp_user_sddl(const char *account_sid, char *out, size_t size)
{
	int n = snprintf(out, size, "D:(A;;0x%lx;;;%s)", (unsigned long)CORDON_WFP_ACTRL_MATCH_FILTER,
			 account_sid);

	return n > 0 && (size_t)n < size;
}

void cordon_wfp_filter_fingerprint(const cordon_wfp_filter *filter, const char *account_sid, char hex[65])
{
	cordon_sha256_ctx ctx;
	uint8_t digest[32];
	char guid[CORDON_GUID_STRING_SIZE];
	char line[160];

	cordon_sha256_init(&ctx);
	cordon_guid_format(&filter->key, guid);
	snprintf(line, sizeof(line), "cordon-wfp-filter-v1|%s|%s|%s|%08lx|%016llx|%08lx|", guid, filter->name,
		 cordon_wfp_layer_name(filter->layer), (unsigned long)filter->action,
		 (unsigned long long)filter->weight, (unsigned long)filter->flags);
	cordon_sha256_update(&ctx, line, strlen(line));
	for (size_t i = 0; i < filter->condition_count; i++) {
		const cordon_wfp_condition *c = &filter->conditions[i];

		snprintf(line, sizeof(line), "%s=", cordon_wfp_field_name(c->field));
		cordon_sha256_update(&ctx, line, strlen(line));
		if (c->field == CORDON_WFP_FIELD_ALE_USER_ID) {
			snprintf(line, sizeof(line), "%s:%s;", c->account ? c->account : "",
				 account_sid ? account_sid : "");
			cordon_sha256_update(&ctx, line, strlen(line));
		} else if (c->ipv6) {
			cordon_sha256_update(&ctx, "v6:", 3);
			cordon_sha256_update(&ctx, c->address16, sizeof(c->address16));
			cordon_sha256_update(&ctx, ";", 1);
		} else {
			snprintf(line, sizeof(line), "%lu;", (unsigned long)c->value);
			cordon_sha256_update(&ctx, line, strlen(line));
		}
	}
	cordon_sha256_final(&ctx, digest);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/* ---------------------------------------------------------------- plan */

const char *cordon_wfp_step_name(cordon_wfp_step_kind kind)
{
	switch (kind) {
	case CORDON_WFP_ADD_PROVIDER: return "add-provider";
	case CORDON_WFP_ADD_SUBLAYER: return "add-sublayer";
	case CORDON_WFP_ADD_FILTER: return "add-filter";
	case CORDON_WFP_REPLACE_FILTER: return "replace-filter";
	case CORDON_WFP_DELETE_FILTER: return "delete-filter";
	case CORDON_WFP_DELETE_SUBLAYER: return "delete-sublayer";
	case CORDON_WFP_DELETE_PROVIDER: return "delete-provider";
	}
	return "unknown";
}

static bool push_step(cordon_wfp_plan *plan, cordon_wfp_step_kind kind, const cordon_guid *key,
		      size_t filter_index)
{
	/* At most: provider, sublayer, each wanted filter, and each
	 * filter found; grown one at a time, plans are small. */
	cordon_wfp_step *grown = realloc(plan->steps, (plan->step_count + 1) * sizeof(*grown));

	if (!grown)
		return false;
	plan->steps = grown;
	grown[plan->step_count].kind = kind;
	grown[plan->step_count].key = *key;
	grown[plan->step_count].filter_index = filter_index;
	plan->step_count++;
	return true;
}

static cordon_code out_of_memory(cordon_wfp_plan *plan, cordon_error *err)
{
	cordon_wfp_plan_free(plan);
	return cordon_fail(err, CORDON_E_NOMEM,
			   "cannot plan the network filters: out of memory; close other "
			   "programs and retry");
}

static const cordon_wfp_filter_state *find_filter(const cordon_wfp_state *state, const cordon_guid *key)
{
	for (size_t i = 0; i < state->filter_count; i++)
		if (cordon_guid_equal(&state->filters[i].key, key))
			return &state->filters[i];
	return NULL;
}

cordon_code cordon_wfp_plan_build(const char *account, const char *account_sid, uint16_t proxy_port,
				  const cordon_wfp_state *state, cordon_wfp_plan *plan, cordon_error *err)
{
	cordon_guid provider = cordon_wfp_provider_key();
	cordon_guid sublayer = cordon_wfp_sublayer_key();

	if (!plan)
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan the network filters: no plan given");
	memset(plan, 0, sizeof(*plan));
	if (!account || !*account || !state || (state->filter_count && !state->filters))
		return cordon_fail(err, CORDON_E_INVALID, "cannot plan the network filters: inputs missing");
	if (proxy_port == 0)
		return cordon_fail(
			err, CORDON_E_INVALID,
			"cannot plan the network filters: proxy port 0; give the port cordon's proxy "
			"listens on");
	plan->filter_count = cordon_wfp_filters(account, proxy_port, plan->filters);
	for (size_t i = 0; i < plan->filter_count; i++)
		if (account_sid)
			cordon_wfp_filter_fingerprint(&plan->filters[i], account_sid, plan->fingerprints[i]);

	if (!state->provider_exists &&
	    !push_step(plan, CORDON_WFP_ADD_PROVIDER, &provider, CORDON_WFP_NO_FILTER))
		return out_of_memory(plan, err);
	if (!state->sublayer_exists &&
	    !push_step(plan, CORDON_WFP_ADD_SUBLAYER, &sublayer, CORDON_WFP_NO_FILTER))
		return out_of_memory(plan, err);
	/* Deletions first: the transaction then adds into a clean sublayer. */
	for (size_t i = 0; i < state->filter_count; i++) {
		bool wanted = false;

		for (size_t j = 0; j < plan->filter_count && !wanted; j++)
			wanted = cordon_guid_equal(&state->filters[i].key, &plan->filters[j].key);
		if (!wanted &&
		    !push_step(plan, CORDON_WFP_DELETE_FILTER, &state->filters[i].key, CORDON_WFP_NO_FILTER))
			return out_of_memory(plan, err);
	}
	for (size_t i = 0; i < plan->filter_count; i++) {
		const cordon_wfp_filter_state *found = find_filter(state, &plan->filters[i].key);
		bool ok;

		if (!found)
			ok = push_step(plan, CORDON_WFP_ADD_FILTER, &plan->filters[i].key, i);
		else if (!account_sid || strcmp(found->fingerprint, plan->fingerprints[i]) != 0)
			ok = push_step(plan, CORDON_WFP_REPLACE_FILTER, &plan->filters[i].key, i);
		else
			continue;
		if (!ok)
			return out_of_memory(plan, err);
	}
	return CORDON_OK;
}

cordon_code cordon_wfp_plan_uninstall(const cordon_guid *filter_keys, size_t filter_count, bool sublayer,
				      bool provider, cordon_wfp_plan *plan, cordon_error *err)
{
	cordon_guid provider_key = cordon_wfp_provider_key();
	cordon_guid sublayer_key = cordon_wfp_sublayer_key();

	if (!plan)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot plan removing the network filters: no plan given");
	memset(plan, 0, sizeof(*plan));
	if (filter_count && !filter_keys)
		return cordon_fail(err, CORDON_E_INVALID,
				   "cannot plan removing the network filters: keys missing");
	/* Filters before the sublayer and provider that hold them: WFP
	 * refuses to delete a sublayer that still has filters. */
	for (size_t i = 0; i < filter_count; i++)
		if (!push_step(plan, CORDON_WFP_DELETE_FILTER, &filter_keys[i], CORDON_WFP_NO_FILTER))
			return out_of_memory(plan, err);
	if (sublayer && !push_step(plan, CORDON_WFP_DELETE_SUBLAYER, &sublayer_key, CORDON_WFP_NO_FILTER))
		return out_of_memory(plan, err);
	if (provider && !push_step(plan, CORDON_WFP_DELETE_PROVIDER, &provider_key, CORDON_WFP_NO_FILTER))
		return out_of_memory(plan, err);
	return CORDON_OK;
}

void cordon_wfp_plan_free(cordon_wfp_plan *plan)
{
	if (!plan)
		return;
	free(plan->steps);
	plan->steps = NULL;
	plan->step_count = 0;
}
