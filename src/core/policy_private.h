/* Helpers shared by policy.c and policy_json.c only (owned by the policy
 * engineer; not part of the shared interface). */
#ifndef CORDON_CORE_POLICY_PRIVATE_H
#define CORDON_CORE_POLICY_PRIVATE_H

#include "policy_internal.h"

/* Deep copy of src into *dst (whose old contents are ignored, not freed).
 * false on out of memory, with dst left empty. */
bool cordon_policy_copy_into(cordon_policy *dst, const cordon_policy *src);
/* Frees what policy points to, not policy itself. */
void cordon_policy_release_contents(cordon_policy *policy);

/* Copies text into out (size bytes) for use inside a one-line message:
 * control characters become \n, \t, \r or \xHH, and text that does not
 * fit ends in "...". Always NUL-terminates. */
void cordon_message_text(const char *text, char *out, size_t size);

/* Room for one quoted value inside a message. */
#define CORDON_MESSAGE_VALUE_MAX 256

#endif
