/* The words cordon uses for its enums, in JSON and messages: one table,
 * so the resolved policy, the run log and the CLI always agree. */
#ifndef CORDON_CORE_NAMES_H
#define CORDON_CORE_NAMES_H

#include "cordon.h"

const char *cordon_mode_name(cordon_mode mode);
const char *cordon_network_name(cordon_network network);

#endif
