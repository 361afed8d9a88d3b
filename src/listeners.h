/*
 * listeners.h - the listening sockets the traffic proves: a SYN/ACK from
 * address:port means a listener there; a RST answering a SYN means none.
 * A bounded table (the first LISTENERS_MAX addresses seen); allocated once.
 */
#ifndef TCPFSM_LISTENERS_H
#define TCPFSM_LISTENERS_H

#include "hashmem.h"

#include "tcpfsm.h"

#define LISTENERS_MAX 65536

struct listener {
	UT_hash_handle hh;
	struct tcpfsm_listener pub;
};

struct listeners {
	struct listener *pool; /* LISTENERS_MAX entries, touched as used */
	struct listener *hash;
	uint32_t used;
	uint64_t dropped; /* proofs not recorded: the table was full (reported
			     as tcpfsm_stats.listeners_dropped) */
};

int listeners_init(struct listeners *l);
void listeners_destroy(struct listeners *l);

/* Records that addr listens (state LISTEN) or refused (CLOSED) at ts. */
void listeners_note(struct listeners *l, const struct tcpfsm_addr *addr,
		    enum tcpfsm_state state, int64_t ts);

#endif
