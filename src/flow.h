/*
 * flow.h - per-connection records and the table that finds them.
 *
 * A flow holds both endpoints of one connection. Its key is canonical (the
 * lower address:port first), so both directions of a connection find the same
 * flow. Flows live in one array allocated up front (untouched pages cost
 * nothing) and are recycled through a free list: tracking a packet never
 * allocates. Flows and endpoints are named by 32-bit indices rather than
 * pointers, which keeps the timer links small.
 */
#ifndef TCPFSM_FLOW_H
#define TCPFSM_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "hashmem.h"

#include "decode.h"
#include "tcpfsm.h"

#define NIL UINT32_MAX

/* Links of an intrusive doubly linked list of array indices (timers.h). */
struct link {
	uint32_t prev, next;
};

/* 40 bytes, hashed as five 64-bit words. */
struct flow_key {
	uint8_t lo[16], hi[16]; /* addresses, lower first */
	uint16_t lo_port, hi_port;
	uint8_t family;
	uint8_t pad[3]; /* always zero: the key is hashed as raw bytes */
};

/* What an endpoint has been seen to do (struct endpoint.flags). */
enum {
	EP_SENT_SYN = 1 << 0,	    /* isn is valid */
	EP_SENT_SYNACK = 1 << 1,    /* sent a SYN/ACK with that isn */
	EP_SENT_FIN = 1 << 2,	    /* fin_seq is valid */
	EP_SENT_ACK = 1 << 3,	    /* ack is valid */
	EP_ACKED_PEER_SYN = 1 << 4, /* its acks cover the peer's SYN */
	EP_ACKED_PEER_FIN = 1 << 5, /* its acks cover the peer's FIN */
	EP_DOUBT = 1 << 6,   /* the path toward it keeps losing: assume nothing
				delivered to it until it acknowledges */
	EP_SEEN = 1 << 7,    /* sent at least one packet */
	EP_WSCALE = 1 << 8,  /* offered window scaling in its SYN */
	EP_ALERTED = 1 << 9, /* an alert on its current state went out */
	EP_ALERT_HELD =
		1 << 10,  /* its alert came due while an ACK to it may
			     have got through: held until that is known */
	EP_GAP = 1 << 11, /* its peer acknowledged data of it the sensor never
			     saw: the sensor misses packets of its direction */
	/* The path toward it is proven dead (stall.c: its peer's data or
	 * keepalives pass here and are never answered): nothing sent to it,
	 * RST and FIN included, is assumed delivered (fsm.c), until it shows
	 * it receives again. */
	EP_PATH_DEAD = 1 << 12,
	/* Its FIN was inferred from its peer's ACK, not seen: a copy seen
	 * later is the capture's late sight of it, not a retransmission. */
	EP_FIN_UNSEEN = 1 << 13,
	/* EP_GAP was set on it by the flow's last segment alone (an ACK of
	 * more than the sensor saw it send), and its fin_seq holds where the
	 * bytes flagged missing begin: fsm.c's track_sequence() withdraws the
	 * mark if those bytes are the flow's next segment (reordering).
	 * Cleared by the flow's next segment, whatever it is. */
	EP_GAP_BY_ACK = 1 << 14,
	/* One correction proved one loss toward it: a second puts it in
	 * doubt. */
	EP_LOST_ONCE = 1 << 15,
};

/* A stall of an established connection, as the sensor sees it (stall.c):
 * 16 bytes per endpoint. */
struct stall {
	uint32_t since_ms; /* its start, in ms after the flow's first packet */
	uint32_t hole;	   /* as a sender: first byte of a range it sent that
			      never passed here (ST_HOLE); else, once it
			      resent acknowledged data (ST_ACKED), the
			      timestamp it echoed then */
	uint16_t fail;	   /* bytes of the segment (or range) that fails */
	uint16_t pass;	   /* the largest smaller segment that got through */
	uint8_t count;	   /* retransmissions or probes, saturating */
	uint8_t kind;	   /* enum stall_episode */
	uint8_t flags;	   /* ST_* */
	uint8_t alerted;   /* 1 + the enum tcpfsm_stall_kind alerted, or 0 */
};

struct endpoint {
	uint32_t isn;	    /* sequence number of its SYN */
	uint32_t snd_nxt;   /* one past the highest sequence number it sent */
	uint32_t fin_seq;   /* sequence number of its FIN */
	uint32_t ack;	    /* highest acknowledgement number it sent */
	int64_t since;	    /* when it entered its current state */
	int64_t tx_ts;	    /* when it last sent its SYN, SYN/ACK or FIN */
	int64_t assumed_ts; /* when a segment was last assumed delivered to it
			     */
	uint32_t gap;	    /* µs between its last two copies of that segment:
			       0 until it retransmits */
	uint32_t rtt;	    /* µs from the sensor to it and back (handshake;
			       else its first ACK of data or of a FIN) */
	/* The state it left last, and how long it had been in it (ms): a
	 * correction back to that state restores when it began. */
	uint32_t prev_ms;
	uint8_t prev_state;
	uint8_t pending;    /* enum fsm_input to apply if it goes quiet, or 0
			       (AWAIT_FIN_COPY: waits on its next copy) */
	uint8_t after_rst;  /* enum after_rst (fsm.c): read as reset by its
			       peer's RST, and what it sent since */
	struct link tq;	    /* in its state's timer queue */
	uint16_t window;    /* last advertised window, unscaled */
	uint8_t wscale;	    /* window scale it offered in its SYN */
	uint8_t state;	    /* enum tcpfsm_state */
	uint16_t flags;	    /* EP_* */
	uint8_t syn_retx;   /* SYN or SYN/ACK retransmissions, saturating */
	uint8_t fin_retx;   /* FIN retransmissions, saturating */
	struct stall stall; /* stall.c */
};

struct flow {
	UT_hash_handle hh;
	struct flow_key key;
	struct endpoint ep[2]; /* indexed by enum tcpfsm_side */
	uint64_t id;
	int64_t first_ts, last_ts;
	struct link lru;      /* idle order; lru.next links free flows */
	uint32_t lru_ms;      /* its place in the idle order dates from
				 first_ts + this many ms (tracker.c) */
	uint32_t ticket[2];   /* name each endpoint's pending promotion in
				 the timer heap (clock.c); here, not in the
				 endpoint, so that the flow is five cache
				 lines (flow.c) */
	uint8_t client_is_lo; /* the client's address is key.lo */
	uint8_t conn_flags;   /* enum tcpfsm_conn_flags */
	uint8_t in_use;
	/* 1 + the side whose segment, the flow's last (at last_ts), ended
	 * at the highest byte it sent, with data; 0 if the last carried none.
	 * Its peer's ACK of all of it answers it (fsm.c's round trip when
	 * the handshake gave none). */
	uint8_t data_from;
};

struct flow_table {
	struct flow *flows; /* capacity entries, touched only as used */
	struct flow *hash;  /* uthash head */
	uint32_t capacity;
	uint32_t used;	    /* flows handed out, live or freed */
	uint32_t free_head; /* freed flows, linked by lru_next */
	uint32_t live;
	uint64_t seed; /* of its hash, for its whole life (flow.c) */
};

/* Builds the canonical key of seg; *sender_is_lo tells which way it went. */
void flow_key_make(const struct segment *seg, struct flow_key *key,
		   int *sender_is_lo);

/* A key's hash under seed. */
uint32_t flow_key_hash_seeded(uint64_t seed, const struct flow_key *key);

/* The table's hash of a key: seeded per table (flow.c). */
static inline uint32_t flow_key_hash(const struct flow_table *ft,
				     const struct flow_key *key)
{
	return flow_key_hash_seeded(ft->seed, key);
}

/* The seed of the first table made in the process (drawn now if none is
 * made yet): for hashing keys on a thread that has no table at hand. */
uint64_t flow_default_seed(void);

int flow_table_init(struct flow_table *ft, uint32_t capacity);
void flow_table_destroy(struct flow_table *ft);

/* hash is flow_key_hash(key), computed once by the caller (perhaps on
 * another thread: tcpfsm_batch_add()). */
struct flow *flow_lookup(struct flow_table *ft, const struct flow_key *key,
			 uint32_t hash);

/*
 * Prefetching, for a caller that knows the packets to come, in stages each
 * needing the one before in the cache: the bucket of a packet some way
 * ahead; then the first cache line of the flow at its head (the handle, which
 * tells by its hash whether it is the flow sought and which flow follows it
 * in the chain); then the flow sought: the head's other lines, or, when
 * another flow heads the chain, the whole of the next one (a third of flows
 * are not at the head of their chain when the table holds about one flow per
 * bucket). A cache line fetched for the wrong flow would take one of the few
 * slots for loads in flight, which at a million open flows bound the speed.
 *
 * The prefetches only read, and any hash is safe to pass even if the
 * table has grown since it was computed.
 */
void flow_prefetch_bucket(const struct flow_table *ft, uint32_t hash);
void flow_prefetch_head(const struct flow_table *ft, uint32_t hash);
/* Returns the flow it fetches (perhaps not the one sought), or NULL. */
const struct flow *flow_prefetch_flow(const struct flow_table *ft,
				      uint32_t hash);
/* Fetches all of f into the cache: for a caller that knows which flow it
 * will read soon. */
static inline void flow_prefetch(const struct flow *f)
{
	for (size_t off = 0; off < sizeof *f; off += 64)
		__builtin_prefetch((const char *)f + off);
}
/* For a fourth stage, once those are in the cache: the first of the chain's
 * first two flows that has that hash (most likely the flow sought, but keys
 * are not compared), or NULL. */
const struct flow *flow_peek(const struct flow_table *ft, uint32_t hash);
/* Takes a zeroed flow from the pool and inserts it under key, whose
 * flow_key_hash() is hash; NULL when the pool is exhausted (the caller
 * evicts and retries) or out of memory. */
struct flow *flow_insert(struct flow_table *ft, const struct flow_key *key,
			 uint32_t hash);

/* Removes every flow at once, keeping the pool's memory for reuse. */
void flow_table_clear(struct flow_table *ft);

/* Removes the flow from the table and returns it to the pool. */
void flow_remove(struct flow_table *ft, struct flow *f);

static inline uint32_t flow_index(const struct flow_table *ft,
				  const struct flow *f)
{
	return (uint32_t)(f - ft->flows);
}

/* The address of one side of a flow. */
void flow_addr(const struct flow *f, enum tcpfsm_side side,
	       struct tcpfsm_addr *out);

#endif
