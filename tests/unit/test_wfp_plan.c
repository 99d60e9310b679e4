/* The WFP plan (src/windows/plan/wfp_plan.c): the filters' shape (layers,
 * actions, weights, conditions), stable keys, and the diff against what
 * exists: fresh, applied (empty), tampered, account recreated, port
 * changed, uninstall. Whether Windows enforces it is for a Windows host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "windows/plan/wfp_plan.h"

#define ACCOUNT	   "CordonSandboxOffline"
#define SID	   "S-1-5-21-100-200-300-1001"
#define OTHER_SID  "S-1-5-21-100-200-300-1002"
#define PROXY_PORT 3128

static void test_guid_text_round_trip(void **state)
{
	cordon_guid guid, back;
	char text[CORDON_GUID_STRING_SIZE];

	(void)state;
	assert_true(cordon_guid_parse("C38D57D1-05A7-4C33-904F-7FBCEEE60E82", &guid));
	assert_int_equal(guid.data1, 0xc38d57d1u);
	assert_int_equal(guid.data2, 0x05a7);
	assert_int_equal(guid.data3, 0x4c33);
	assert_int_equal(guid.data4[0], 0x90);
	assert_int_equal(guid.data4[7], 0x82);
	cordon_guid_format(&guid, text);
	assert_string_equal(text, "c38d57d1-05a7-4c33-904f-7fbceee60e82");
	assert_true(cordon_guid_parse(text, &back));
	assert_true(cordon_guid_equal(&guid, &back));
	assert_false(cordon_guid_parse("c38d57d1-05a7-4c33-904f-7fbceee60e8", &back));
	assert_false(cordon_guid_parse("c38d57d1x05a7-4c33-904f-7fbceee60e82", &back));
	assert_false(cordon_guid_parse("g38d57d1-05a7-4c33-904f-7fbceee60e82", &back));
}

static void test_layer_and_field_keys_are_the_sdk_values(void **state)
{
	/* fwpmu.h, as Microsoft's SDK defines them. */
	static const struct {
		cordon_wfp_layer layer;
		const char *key;
	} expected[] = {
		{CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V4, "c38d57d1-05a7-4c33-904f-7fbceee60e82"},
		{CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V6, "4a72393b-319f-44bc-84c3-ba54dcb3b6b4"},
		{CORDON_WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4, "e1cd9fe7-f4b5-4273-96c0-592e487b8650"},
		{CORDON_WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V6, "a3b42c97-9f04-4672-b87e-cee9c483257f"},
		{CORDON_WFP_LAYER_ALE_AUTH_LISTEN_V4, "88bb5dad-76d7-4227-9c71-df0a3ed7be7e"},
		{CORDON_WFP_LAYER_ALE_AUTH_LISTEN_V6, "7ac9de24-17dd-4814-b4bd-a9fbc95a321b"},
		{CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4, "1247d66d-0b60-4a15-8d44-7155d0f53a0c"},
		{CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V6, "55a650e1-5f0a-4eca-a653-88f53b26aa8c"},
	};
	char text[CORDON_GUID_STRING_SIZE];
	cordon_guid key;

	(void)state;
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		key = cordon_wfp_layer_key(expected[i].layer);
		cordon_guid_format(&key, text);
		assert_string_equal(text, expected[i].key);
		assert_non_null(strstr(cordon_wfp_layer_name(expected[i].layer), "FWPM_LAYER_ALE_"));
	}
	key = cordon_wfp_field_key(CORDON_WFP_FIELD_ALE_USER_ID);
	cordon_guid_format(&key, text);
	assert_string_equal(text, "af043a0a-b34d-4f86-979c-c90371af6e66");
	key = cordon_wfp_field_key(CORDON_WFP_FIELD_IP_REMOTE_PORT);
	cordon_guid_format(&key, text);
	assert_string_equal(text, "c35a604d-d22b-4e1a-91b4-68f674ee674b");
	key = cordon_wfp_field_key(CORDON_WFP_FIELD_IP_PROTOCOL);
	cordon_guid_format(&key, text);
	assert_string_equal(text, "3971ef2b-623e-4f9a-8cb1-6e79b806b9a7");
	key = cordon_wfp_field_key(CORDON_WFP_FIELD_IP_REMOTE_ADDRESS);
	cordon_guid_format(&key, text);
	assert_string_equal(text, "b235ae9a-1d64-49b8-a44c-5ff3d9095045");
}

static void test_fixed_and_derived_keys(void **state)
{
	cordon_guid provider = cordon_wfp_provider_key();
	cordon_guid sublayer = cordon_wfp_sublayer_key();
	cordon_guid zero, a, b, c;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_false(cordon_guid_equal(&provider, &zero));
	assert_false(cordon_guid_equal(&sublayer, &zero));
	assert_false(cordon_guid_equal(&provider, &sublayer));
	a = cordon_guid_from_name(&provider, "cordon block connect v4");
	b = cordon_guid_from_name(&provider, "cordon block connect v4");
	c = cordon_guid_from_name(&provider, "cordon block connect v6");
	assert_true(cordon_guid_equal(&a, &b));
	assert_false(cordon_guid_equal(&a, &c));
	assert_int_equal(a.data3 >> 12, 8);	   /* version 8 */
	assert_int_equal(a.data4[0] & 0xc0, 0x80); /* RFC variant */
	c = cordon_guid_from_name(&sublayer, "cordon block connect v4");
	assert_false(cordon_guid_equal(&a, &c));
}

static const cordon_wfp_condition *condition(const cordon_wfp_filter *f, cordon_wfp_field field)
{
	for (size_t i = 0; i < f->condition_count; i++)
		if (f->conditions[i].field == field)
			return &f->conditions[i];
	return NULL;
}

static void test_filter_shapes(void **state)
{
	cordon_wfp_filter filters[CORDON_WFP_FILTER_COUNT];
	size_t count = cordon_wfp_filters(ACCOUNT, PROXY_PORT, filters);
	size_t permits = 0, blocks_without_protocol = 0;
	bool seen_layer[8] = {false};

	(void)state;
	assert_int_equal(count, CORDON_WFP_FILTER_COUNT);
	for (size_t i = 0; i < count; i++) {
		const cordon_wfp_filter *f = &filters[i];
		const cordon_wfp_condition *user = condition(f, CORDON_WFP_FIELD_ALE_USER_ID);

		seen_layer[f->layer] = true;
		/* Every filter is scoped to the offline account and persistent. */
		assert_non_null(user);
		assert_string_equal(user->account, ACCOUNT);
		assert_int_equal(f->flags & CORDON_WFP_FLAG_PERSISTENT, CORDON_WFP_FLAG_PERSISTENT);
		for (size_t j = 0; j < i; j++) {
			assert_false(cordon_guid_equal(&f->key, &filters[j].key));
			assert_string_not_equal(f->name, filters[j].name);
		}
		if (f->action == CORDON_WFP_ACTION_PERMIT) {
			const cordon_wfp_condition *address =
				condition(f, CORDON_WFP_FIELD_IP_REMOTE_ADDRESS);

			permits++;
			assert_true(f->weight > CORDON_WFP_WEIGHT_BLOCK);
			assert_true(f->layer == CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V4 ||
				    f->layer == CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V6);
			assert_int_equal(condition(f, CORDON_WFP_FIELD_IP_PROTOCOL)->value,
					 CORDON_IPPROTO_TCP);
			assert_int_equal(condition(f, CORDON_WFP_FIELD_IP_REMOTE_PORT)->value, PROXY_PORT);
			assert_non_null(address);
			if (f->layer == CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V4) {
				assert_false(address->ipv6);
				assert_int_equal(address->value, 0x7f000001u);
			} else {
				static const uint8_t loopback6[16] = {[15] = 1};

				assert_true(address->ipv6);
				assert_memory_equal(address->address16, loopback6, 16);
			}
			continue;
		}
		assert_int_equal(f->action, CORDON_WFP_ACTION_BLOCK);
		assert_true(f->weight < CORDON_WFP_WEIGHT_PERMIT);
		if (!condition(f, CORDON_WFP_FIELD_IP_PROTOCOL)) {
			/* A block on the user alone: every protocol and address. */
			assert_int_equal(f->condition_count, 1);
			blocks_without_protocol++;
		} else {
			uint32_t protocol = condition(f, CORDON_WFP_FIELD_IP_PROTOCOL)->value;

			assert_true(f->layer == CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4 ||
				    f->layer == CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V6);
			assert_int_equal(protocol, f->layer == CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4
							   ? CORDON_IPPROTO_ICMP
							   : CORDON_IPPROTO_ICMPV6);
		}
	}
	assert_int_equal(permits, 2);
	/* connect, accept and listen, for IPv4 and IPv6 */
	assert_int_equal(blocks_without_protocol, 6);
	for (size_t i = 0; i < 8; i++)
		assert_true(seen_layer[i]);
}

static void test_keys_do_not_depend_on_port_or_account(void **state)
{
	cordon_wfp_filter a[CORDON_WFP_FILTER_COUNT], b[CORDON_WFP_FILTER_COUNT];

	(void)state;
	cordon_wfp_filters(ACCOUNT, PROXY_PORT, a);
	cordon_wfp_filters("SomeoneElse", 8080, b);
	for (size_t i = 0; i < CORDON_WFP_FILTER_COUNT; i++)
		assert_true(cordon_guid_equal(&a[i].key, &b[i].key));
}

static void test_fingerprint_covers_sid_and_definition(void **state)
{
	cordon_wfp_filter a[CORDON_WFP_FILTER_COUNT], b[CORDON_WFP_FILTER_COUNT];
	char h1[65], h2[65], h3[65], h4[65];

	(void)state;
	cordon_wfp_filters(ACCOUNT, PROXY_PORT, a);
	cordon_wfp_filters(ACCOUNT, 8080, b);
	cordon_wfp_filter_fingerprint(&a[0], SID, h1);
	cordon_wfp_filter_fingerprint(&a[0], SID, h2);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), 64);
	cordon_wfp_filter_fingerprint(&a[0], OTHER_SID, h3);
	assert_string_not_equal(h1, h3);
	cordon_wfp_filter_fingerprint(&b[0], SID, h4); /* the permit names the port */
	assert_string_not_equal(h1, h4);
	cordon_wfp_filter_fingerprint(&a[2], SID, h3); /* a block does not */
	cordon_wfp_filter_fingerprint(&b[2], SID, h4);
	assert_string_equal(h3, h4);
}

/* The state an applied plan leaves, as the Windows layer would read it. */
typedef struct applied {
	cordon_wfp_filter_state filters[CORDON_WFP_FILTER_COUNT + 2];
	cordon_wfp_state state;
} applied;

static void apply(const cordon_wfp_plan *plan, const char *sid, applied *out)
{
	memset(out, 0, sizeof(*out));
	out->state.provider_exists = true;
	out->state.sublayer_exists = true;
	for (size_t i = 0; i < plan->filter_count; i++) {
		out->filters[i].key = plan->filters[i].key;
		cordon_wfp_filter_fingerprint(&plan->filters[i], sid, out->filters[i].fingerprint);
	}
	out->state.filters = out->filters;
	out->state.filter_count = plan->filter_count;
}

static size_t count_kind(const cordon_wfp_plan *plan, cordon_wfp_step_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->step_count; i++)
		n += plan->steps[i].kind == kind;
	return n;
}

static void test_fresh_then_applied_then_empty(void **state)
{
	cordon_wfp_state fresh = {0};
	cordon_wfp_plan plan, again;
	cordon_error err = {0};
	applied now;

	(void)state;
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, NULL, PROXY_PORT, &fresh, &plan, &err), CORDON_OK);
	assert_int_equal(plan.step_count, 2 + CORDON_WFP_FILTER_COUNT);
	assert_int_equal(plan.steps[0].kind, CORDON_WFP_ADD_PROVIDER);
	assert_int_equal(plan.steps[1].kind, CORDON_WFP_ADD_SUBLAYER);
	assert_int_equal(count_kind(&plan, CORDON_WFP_ADD_FILTER), CORDON_WFP_FILTER_COUNT);
	for (size_t i = 2; i < plan.step_count; i++)
		assert_int_equal(plan.steps[i].filter_index, i - 2);
	apply(&plan, SID, &now);

	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, SID, PROXY_PORT, &now.state, &again, &err),
			 CORDON_OK);
	assert_int_equal(again.step_count, 0);
	cordon_wfp_plan_free(&again);
	cordon_wfp_plan_free(&plan);
}

static void test_partial_states_plan_the_missing_pieces(void **state)
{
	cordon_wfp_state fresh = {0};
	cordon_wfp_plan plan, again;
	cordon_error err = {0};
	applied now;
	cordon_guid stranger;

	(void)state;
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, SID, PROXY_PORT, &fresh, &plan, &err), CORDON_OK);
	apply(&plan, SID, &now);

	/* Someone deleted one filter: exactly that one comes back. */
	now.filters[3] = now.filters[now.state.filter_count - 1];
	now.state.filter_count--;
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, SID, PROXY_PORT, &now.state, &again, &err),
			 CORDON_OK);
	assert_int_equal(again.step_count, 1);
	assert_int_equal(again.steps[0].kind, CORDON_WFP_ADD_FILTER);
	assert_true(cordon_guid_equal(&again.steps[0].key, &plan.filters[3].key));
	cordon_wfp_plan_free(&again);

	/* Someone changed one (its fingerprint no longer matches). */
	apply(&plan, SID, &now);
	now.filters[5].fingerprint[0] = now.filters[5].fingerprint[0] == 'a' ? 'b' : 'a';
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, SID, PROXY_PORT, &now.state, &again, &err),
			 CORDON_OK);
	assert_int_equal(again.step_count, 1);
	assert_int_equal(again.steps[0].kind, CORDON_WFP_REPLACE_FILTER);
	assert_true(cordon_guid_equal(&again.steps[0].key, &plan.filters[5].key));
	cordon_wfp_plan_free(&again);

	/* A filter under cordon's provider the plan does not know. */
	apply(&plan, SID, &now);
	assert_true(cordon_guid_parse("01234567-89ab-4cde-8f01-23456789abcd", &stranger));
	now.filters[now.state.filter_count].key = stranger;
	now.state.filter_count++;
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, SID, PROXY_PORT, &now.state, &again, &err),
			 CORDON_OK);
	assert_int_equal(again.step_count, 1);
	assert_int_equal(again.steps[0].kind, CORDON_WFP_DELETE_FILTER);
	assert_true(cordon_guid_equal(&again.steps[0].key, &stranger));
	cordon_wfp_plan_free(&again);

	/* The sublayer was removed (with its filters). */
	apply(&plan, SID, &now);
	now.state.sublayer_exists = false;
	now.state.filter_count = 0;
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, SID, PROXY_PORT, &now.state, &again, &err),
			 CORDON_OK);
	assert_int_equal(again.step_count, 1 + CORDON_WFP_FILTER_COUNT);
	assert_int_equal(again.steps[0].kind, CORDON_WFP_ADD_SUBLAYER);
	cordon_wfp_plan_free(&again);

	/* The account was recreated with a new SID: every filter is replaced. */
	apply(&plan, SID, &now);
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, OTHER_SID, PROXY_PORT, &now.state, &again, &err),
			 CORDON_OK);
	assert_int_equal(count_kind(&again, CORDON_WFP_REPLACE_FILTER), CORDON_WFP_FILTER_COUNT);
	assert_int_equal(again.step_count, CORDON_WFP_FILTER_COUNT);
	cordon_wfp_plan_free(&again);
	/* ...and likewise when its SID is not known yet (created by this setup). */
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, NULL, PROXY_PORT, &now.state, &again, &err),
			 CORDON_OK);
	assert_int_equal(count_kind(&again, CORDON_WFP_REPLACE_FILTER), CORDON_WFP_FILTER_COUNT);
	cordon_wfp_plan_free(&again);

	/* Another proxy port: only the two permits change. */
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, SID, 8080, &now.state, &again, &err), CORDON_OK);
	assert_int_equal(again.step_count, 2);
	assert_int_equal(count_kind(&again, CORDON_WFP_REPLACE_FILTER), 2);
	for (size_t i = 0; i < again.step_count; i++)
		assert_int_equal(again.filters[again.steps[i].filter_index].action, CORDON_WFP_ACTION_PERMIT);
	cordon_wfp_plan_free(&again);
	cordon_wfp_plan_free(&plan);
}

static void test_uninstall_removes_exactly_the_record(void **state)
{
	cordon_guid keys[2];
	cordon_guid provider = cordon_wfp_provider_key();
	cordon_guid sublayer = cordon_wfp_sublayer_key();
	cordon_wfp_plan plan;
	cordon_error err = {0};

	(void)state;
	keys[0] = cordon_guid_from_name(&provider, "cordon block connect v4");
	keys[1] = cordon_guid_from_name(&provider, "cordon permit proxy v4");
	assert_int_equal(cordon_wfp_plan_uninstall(keys, 2, true, true, &plan, &err), CORDON_OK);
	assert_int_equal(plan.step_count, 4);
	assert_int_equal(plan.steps[0].kind, CORDON_WFP_DELETE_FILTER);
	assert_true(cordon_guid_equal(&plan.steps[0].key, &keys[0]));
	assert_int_equal(plan.steps[1].kind, CORDON_WFP_DELETE_FILTER);
	assert_true(cordon_guid_equal(&plan.steps[1].key, &keys[1]));
	/* The sublayer after its filters, the provider last. */
	assert_int_equal(plan.steps[2].kind, CORDON_WFP_DELETE_SUBLAYER);
	assert_true(cordon_guid_equal(&plan.steps[2].key, &sublayer));
	assert_int_equal(plan.steps[3].kind, CORDON_WFP_DELETE_PROVIDER);
	assert_true(cordon_guid_equal(&plan.steps[3].key, &provider));
	cordon_wfp_plan_free(&plan);

	assert_int_equal(cordon_wfp_plan_uninstall(NULL, 0, false, false, &plan, &err), CORDON_OK);
	assert_int_equal(plan.step_count, 0);
	cordon_wfp_plan_free(&plan);
}

static void test_user_condition_sddl(void **state)
{
	char sddl[128];

	(void)state;
	assert_true(cordon_wfp_user_sddl(SID, sddl, sizeof(sddl)));
	assert_string_equal(sddl, "D:(A;;0x1;;;" SID ")");
	assert_false(cordon_wfp_user_sddl(SID, sddl, 10));
}

static void test_bad_inputs(void **state)
{
	cordon_wfp_state fresh = {0};
	cordon_wfp_plan plan;
	cordon_error err = {0};

	(void)state;
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, SID, 0, &fresh, &plan, &err), CORDON_E_INVALID);
	assert_non_null(strstr(err.message, "proxy port 0"));
	assert_int_equal(cordon_wfp_plan_build("", SID, PROXY_PORT, &fresh, &plan, &err), CORDON_E_INVALID);
	assert_int_equal(cordon_wfp_plan_build(ACCOUNT, SID, PROXY_PORT, NULL, &plan, &err),
			 CORDON_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guid_text_round_trip),
		cmocka_unit_test(test_layer_and_field_keys_are_the_sdk_values),
		cmocka_unit_test(test_fixed_and_derived_keys),
		cmocka_unit_test(test_filter_shapes),
		cmocka_unit_test(test_keys_do_not_depend_on_port_or_account),
		cmocka_unit_test(test_fingerprint_covers_sid_and_definition),
		cmocka_unit_test(test_fresh_then_applied_then_empty),
		cmocka_unit_test(test_partial_states_plan_the_missing_pieces),
		cmocka_unit_test(test_uninstall_removes_exactly_the_record),
		cmocka_unit_test(test_user_condition_sddl),
		cmocka_unit_test(test_bad_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
