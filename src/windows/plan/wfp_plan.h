/* The Windows Filtering Platform plan of elevated mode: cordon's own
 * provider and sublayer, and the persistent filters that keep the offline
 * sandbox account off the network except for loopback TCP to cordon's
 * proxy. Pure data, portable C; the Windows layer turns each filter into
 * an FWPM_FILTER0 and adds them all in one FwpmTransaction.
 *
 * What the filters say, all matching FWPM_CONDITION_ALE_USER_ID with a
 * security descriptor that grants the offline account's SID
 * FWP_ACTRL_MATCH_FILTER (the engine reads "granted" as "matches"):
 * - ALE_AUTH_CONNECT_V4/V6: permit TCP to 127.0.0.1 / ::1 on the proxy
 *   port (higher weight), block everything else (every protocol: TCP,
 *   UDP's first send to each remote, ICMP).
 * - ALE_AUTH_RECV_ACCEPT_V4/V6: block every inbound connection or first
 *   inbound datagram to the account's sockets.
 * - ALE_AUTH_LISTEN_V4/V6: block listening TCP sockets.
 * - ALE_RESOURCE_ASSIGNMENT_V4/V6: block binding ICMP / ICMPv6 sockets,
 *   the path ping's echo requests take.
 * Within cordon's sublayer the permit outweighs the blocks; a filter
 * block is a hard block (Microsoft, "Filter Arbitration"), which no other
 * sublayer can turn into a permit, and cordon's sublayer has the highest
 * weight so no hard permit of another sublayer is evaluated before it.
 *
 * Idempotence: every filter has a key derived from cordon's provider key
 * and the filter's name, and a fingerprint over its whole definition and
 * the SID it matches; the Windows layer stores the fingerprint in the
 * filter's providerData and reads it back, so planning again compares
 * key and fingerprint and changes nothing when both match. */
#ifndef CORDON_WINDOWS_PLAN_WFP_PLAN_H
#define CORDON_WINDOWS_PLAN_WFP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordon.h"

typedef struct cordon_guid {
	uint32_t data1;
	uint16_t data2;
	uint16_t data3;
	uint8_t data4[8];
} cordon_guid;

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case. */
#define CORDON_GUID_STRING_SIZE 37

bool cordon_guid_equal(const cordon_guid *a, const cordon_guid *b);
void cordon_guid_format(const cordon_guid *guid, char out[CORDON_GUID_STRING_SIZE]);
/* Parses the form cordon_guid_format writes (either case); false otherwise. */
bool cordon_guid_parse(const char *text, cordon_guid *out);
/* A name-based GUID (RFC 9562 version 8): the first 16 bytes of
 * SHA-256(namespace bytes, name), version and variant bits set. The same
 * namespace and name always give the same GUID. */
cordon_guid cordon_guid_from_name(const cordon_guid *namespace_guid, const char *name);

/* cordon's own WFP objects: fixed, never regenerated (a new key would
 * orphan the filters an earlier setup installed). */
cordon_guid cordon_wfp_provider_key(void);
cordon_guid cordon_wfp_sublayer_key(void);
#define CORDON_WFP_PROVIDER_NAME	"cordon"
#define CORDON_WFP_PROVIDER_DESCRIPTION "cordon sandbox: network rules for the offline sandbox account"
#define CORDON_WFP_SUBLAYER_NAME	"cordon sandbox"
#define CORDON_WFP_SUBLAYER_DESCRIPTION                                                                      \
	"cordon sandbox: block the offline sandbox account except loopback to the proxy"
/* FWPM_SUBLAYER0.weight: the highest, so cordon's sublayer is arbitrated
 * first. */
#define CORDON_WFP_SUBLAYER_WEIGHT 0xffffu

/* FWPM_*_FLAG_PERSISTENT (fwpmtypes.h): the object survives reboots and
 * the end of the session that added it. */
#define CORDON_WFP_FLAG_PERSISTENT 0x00000001u
/* FWP_ACTION_BLOCK, FWP_ACTION_PERMIT (fwptypes.h). */
#define CORDON_WFP_ACTION_BLOCK	 0x00001001u
#define CORDON_WFP_ACTION_PERMIT 0x00001002u
/* FWP_ACTRL_MATCH_FILTER: the right the user condition's DACL grants. */
#define CORDON_WFP_ACTRL_MATCH_FILTER 0x00000001u
/* Filter weights (FWP_UINT64, used as given): the permit is evaluated
 * before the blocks in cordon's sublayer. */
#define CORDON_WFP_WEIGHT_PERMIT 0xf000000000000000ull
#define CORDON_WFP_WEIGHT_BLOCK	 0x1000000000000000ull

#define CORDON_IPPROTO_ICMP   1
#define CORDON_IPPROTO_TCP    6
#define CORDON_IPPROTO_ICMPV6 58

typedef enum cordon_wfp_layer {
	CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V4,
	CORDON_WFP_LAYER_ALE_AUTH_CONNECT_V6,
	CORDON_WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4,
	CORDON_WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V6,
	CORDON_WFP_LAYER_ALE_AUTH_LISTEN_V4,
	CORDON_WFP_LAYER_ALE_AUTH_LISTEN_V6,
	CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4,
	CORDON_WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V6,
} cordon_wfp_layer;

/* The FWPM_LAYER_* GUID (fwpmu.h values) and its SDK name. */
cordon_guid cordon_wfp_layer_key(cordon_wfp_layer layer);
const char *cordon_wfp_layer_name(cordon_wfp_layer layer);

typedef enum cordon_wfp_field {
	CORDON_WFP_FIELD_ALE_USER_ID,	    /* FWP_SECURITY_DESCRIPTOR_TYPE: grants the account's SID */
	CORDON_WFP_FIELD_IP_PROTOCOL,	    /* FWP_UINT8 */
	CORDON_WFP_FIELD_IP_REMOTE_ADDRESS, /* FWP_UINT32 (host order) or FWP_BYTE_ARRAY16_TYPE */
	CORDON_WFP_FIELD_IP_REMOTE_PORT,    /* FWP_UINT16 */
} cordon_wfp_field;

cordon_guid cordon_wfp_field_key(cordon_wfp_field field);
const char *cordon_wfp_field_name(cordon_wfp_field field);

/* One FWPM_FILTER_CONDITION0, always FWP_MATCH_EQUAL. */
typedef struct cordon_wfp_condition {
	cordon_wfp_field field;
	uint32_t value; /* protocol, port, or an IPv4 address in host order */
	bool ipv6;	/* IP_REMOTE_ADDRESS: address16 holds an IPv6 address */
	uint8_t address16[16];
	/* ALE_USER_ID: the account whose SID the security descriptor
	 * grants (the SID is looked up at apply time). */
	const char *account;
} cordon_wfp_condition;

#define CORDON_WFP_MAX_CONDITIONS 4
#define CORDON_WFP_NAME_MAX	  64

typedef struct cordon_wfp_filter {
	cordon_guid key;
	char name[CORDON_WFP_NAME_MAX]; /* "cordon block connect v4"; also the key's seed */
	const char *description;
	cordon_wfp_layer layer;
	uint32_t action;
	uint64_t weight;
	uint32_t flags;
	cordon_wfp_condition conditions[CORDON_WFP_MAX_CONDITIONS];
	size_t condition_count;
} cordon_wfp_filter;

#define CORDON_WFP_FILTER_COUNT 10

/* The filters for the offline account, in the order they are added.
 * Fills out (CORDON_WFP_FILTER_COUNT entries) and returns the count.
 * account is the offline account's name and must outlive out. */
size_t cordon_wfp_filters(const char *account, uint16_t proxy_port,
			  cordon_wfp_filter out[CORDON_WFP_FILTER_COUNT]);

/* The user condition's security descriptor as SDDL, "D:(A;;0x1;;;SID)":
 * one allow ACE granting FWP_ACTRL_MATCH_FILTER to the account's SID.
 * ConvertStringSecurityDescriptorToSecurityDescriptorW makes the
 * self-relative form FwpmFilterAdd0 requires (an absolute one is refused
 * with ERROR_INVALID_SECURITY_DESCR). False when out is too small. */
bool cordon_wfp_user_sddl(const char *account_sid, char *out, size_t size);

/* SHA-256 (hex) over the filter's whole definition and the SID its user
 * condition grants: what the Windows layer stores in providerData. */
void cordon_wfp_filter_fingerprint(const cordon_wfp_filter *filter, const char *account_sid, char hex[65]);

/* What exists now under cordon's provider, as the Windows layer read it
 * (FwpmFilterEnum0 with the provider key). */
typedef struct cordon_wfp_filter_state {
	cordon_guid key;
	char fingerprint[65]; /* from providerData; "" when there is none */
} cordon_wfp_filter_state;

typedef struct cordon_wfp_state {
	bool provider_exists;
	bool sublayer_exists;
	const cordon_wfp_filter_state *filters;
	size_t filter_count;
} cordon_wfp_state;

typedef enum cordon_wfp_step_kind {
	CORDON_WFP_ADD_PROVIDER,
	CORDON_WFP_ADD_SUBLAYER,
	CORDON_WFP_ADD_FILTER,
	CORDON_WFP_REPLACE_FILTER, /* FwpmFilterDeleteByKey0, then add, in the same transaction */
	CORDON_WFP_DELETE_FILTER,  /* a filter of cordon's provider that the plan does not have */
	CORDON_WFP_DELETE_SUBLAYER,
	CORDON_WFP_DELETE_PROVIDER,
} cordon_wfp_step_kind;

#define CORDON_WFP_NO_FILTER ((size_t)-1)

typedef struct cordon_wfp_step {
	cordon_wfp_step_kind kind;
	cordon_guid key;     /* the object's key */
	size_t filter_index; /* ADD/REPLACE: into plan->filters; else CORDON_WFP_NO_FILTER */
} cordon_wfp_step;

typedef struct cordon_wfp_plan {
	cordon_wfp_filter filters[CORDON_WFP_FILTER_COUNT]; /* what setup wants in place */
	size_t filter_count;
	/* The fingerprint each wanted filter has once applied; "" while the
	 * offline account's SID is not known (it is created by this setup). */
	char fingerprints[CORDON_WFP_FILTER_COUNT][65];
	cordon_wfp_step *steps;
	size_t step_count;
} cordon_wfp_plan;

/* Plans setup's WFP steps against state. account_sid is the offline
 * account's SID as it exists now, or NULL when the account is missing or
 * about to be recreated: then every existing filter is replaced, since it
 * can only match an old SID. Release with cordon_wfp_plan_free. */
cordon_code cordon_wfp_plan_build(const char *account, const char *account_sid, uint16_t proxy_port,
				  const cordon_wfp_state *state, cordon_wfp_plan *plan, cordon_error *err);

/* Plans uninstall: deletes exactly the filter keys given (setup's record),
 * then the sublayer and provider when the record says setup added them. */
cordon_code cordon_wfp_plan_uninstall(const cordon_guid *filter_keys, size_t filter_count, bool sublayer,
				      bool provider, cordon_wfp_plan *plan, cordon_error *err);

void cordon_wfp_plan_free(cordon_wfp_plan *plan);

const char *cordon_wfp_step_name(cordon_wfp_step_kind kind);

#endif
