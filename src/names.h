/*
 * names.h - tcpfsm's own names with their lengths, for the writers.
 *
 * A writer copies a name slot whole, one fixed-size move, and advances by
 * len (put_name, output/output.h): strlen and a copy of the length it
 * found, three or four times an event, cost more. The *_name() functions of
 * tcpfsm.h return the same texts (names.c).
 */
#ifndef TCPFSM_NAMES_H
#define TCPFSM_NAMES_H
#include <stdint.h>

#include "tcpfsm.h"

/* A name, NUL padded to 16 bytes, and its length. */
struct name_slot {
	char text[15]; /* NUL terminated: names are 14 characters at most */
	uint8_t len;
};

/* Out of range: "?". */
const struct name_slot *state_slot(enum tcpfsm_state state);
const struct name_slot *side_slot(enum tcpfsm_side side);
const struct name_slot *end_reason_slot(enum tcpfsm_end_reason reason);
#endif
