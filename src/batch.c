/*
 * batch.c - packets decoded ahead, fed in batches (tcpfsm_feed_batch()).
 *
 * A batch is an array of decoded packets. Filling one needs no tracker:
 * tcpfsm_batch_add() decodes the packet and files its connection's key and
 * hash, so a reader thread can do that part of the work on another core and
 * hand whole batches over. Feeding one is where the memory latency of a
 * large flow table is hidden: while packet i is tracked, the cache lines
 * the packets after it will need are already on their way, in four stages
 * each needing the one before (flow.h): the hash bucket of packet i + 16,
 * the head of packet i + 10's chain, packet i + 7's flow, and the timer
 * queue neighbours of packet i + 4's endpoints. Fetched any later, a line
 * is not there in time; any earlier, it may be evicted before its use.
 *
 * Keys are hashed at filling time with the process's default seed (the
 * first tracker's: flow.c). A tracker with a seed of its own hashes each
 * key again, once, as it enters the prefetch window.
 */
#include <stdlib.h>

#include "tracker.h"

void seg_flow_make(uint64_t seed, const struct segment *seg,
		   struct seg_flow *sf)
{
	flow_key_make(seg, &sf->key, &sf->sender_is_lo);
	sf->hash = flow_key_hash_seeded(seed, &sf->key);
	sf->seed = seed;
}

struct batch_packet {
	int64_t ts;
	uint32_t caplen;
	int rc; /* decode_packet()'s: 0 for a TCP segment */
	struct segment seg;
	struct seg_flow flow; /* when rc is 0 */
};

struct tcpfsm_batch {
	int linktype;
	unsigned decode_flags; /* DECODE_*, from the options */
	size_t n, cap;
	struct batch_packet pkt[];
};

struct tcpfsm_batch *tcpfsm_batch_new(const struct tcpfsm_options *opts,
				      int linktype, size_t capacity)
{
	struct tcpfsm_options defaults;
	if (capacity == 0 ||
	    capacity > (SIZE_MAX - sizeof(struct tcpfsm_batch)) /
			       sizeof(struct batch_packet))
		return NULL;
	struct tcpfsm_batch *b =
		malloc(sizeof *b + capacity * sizeof(struct batch_packet));
	if (!b)
		return NULL;
	if (!opts) {
		tcpfsm_options_default(&defaults);
		opts = &defaults;
	}
	/* As tcpfsm_feed() decodes for a tracker with these options. */
	b->decode_flags = opts->checksums == TCPFSM_CHECKSUMS_IGNORE
				  ? DECODE_NO_CHECKSUMS
				  : 0;
	b->linktype = linktype;
	b->n = 0;
	b->cap = capacity;
	return b;
}

void tcpfsm_batch_free(struct tcpfsm_batch *b)
{
	free(b);
}

int tcpfsm_batch_add(struct tcpfsm_batch *b, int64_t ts, const uint8_t *pkt,
		     uint32_t caplen)
{
	if (b->n == b->cap)
		return -1;
	struct batch_packet *p = &b->pkt[b->n++];
	p->ts = ts;
	p->caplen = caplen;
	p->rc = decode_packet_ex(b->linktype, pkt, caplen, b->decode_flags,
				 &p->seg, NULL);
	if (!p->rc)
		seg_flow_make(flow_default_seed(), &p->seg, &p->flow);
	return p->rc;
}

size_t tcpfsm_batch_count(const struct tcpfsm_batch *b)
{
	return b->n;
}

void tcpfsm_batch_clear(struct tcpfsm_batch *b)
{
	b->n = 0;
}

/* How far ahead each stage works (see above), and the packet's own record
 * before all of them: a reader thread wrote it, on another CPU, from whose
 * cache it must come. */
#define AHEAD_BUCKET	 16
#define AHEAD_HEAD	 10
#define AHEAD_FLOW	 7
#define AHEAD_NEIGHBOURS 4
#define AHEAD_RECORD	 32

/* The hashes of the packets in the window under t's seed: a power of two
 * above AHEAD_BUCKET. */
#define RING 32
_Static_assert(RING > AHEAD_BUCKET && (RING & (RING - 1)) == 0,
	       "the ring holds the whole prefetch window");

/* Only a transition unlinks an endpoint from its queue, and between two
 * ESTABLISHED endpoints only a SYN, FIN or RST makes one: the bulk of a
 * connection's packets need no neighbours. */
static int may_move(const struct flow *f, unsigned flags)
{
	return (flags & (TH_SYN | TH_FIN | TH_RST)) ||
	       f->ep[0].state != TCPFSM_ESTABLISHED ||
	       f->ep[1].state != TCPFSM_ESTABLISHED;
}

static void prefetch_neighbours(const struct tcpfsm *t, uint32_t hash,
				unsigned flags)
{
	const struct flow *f = flow_peek(&t->ft, hash);
	if (f && may_move(f, flags))
		tq_prefetch_neighbours(&t->ft, f);
}

/* The flow's own lines, and the conn.log observer's record of it, which
 * lies apart (zeek.h) and which every packet reads too: its address needs
 * no line of the flow, so it goes with them. */
static void prefetch_flow(const struct tcpfsm *t, uint32_t hash)
{
	const struct flow *f = flow_prefetch_flow(&t->ft, hash);
	if (f && t->zeek) {
		/* Views are not line-aligned: a fifth line may hold the
		 * view's tail. */
		uintptr_t z = (uintptr_t)zeek_of(t, f);
		for (uintptr_t a = z & ~(uintptr_t)63; a < z + sizeof *t->zeek;
		     a += 64)
			__builtin_prefetch((const void *)a);
	}
}

static uint32_t hash_for(const struct tcpfsm *t, const struct batch_packet *p)
{
	if (p->rc)
		return 0;
	return p->flow.seed == t->ft.seed ? p->flow.hash
					  : flow_key_hash(&t->ft, &p->flow.key);
}

void tcpfsm_feed_batch(struct tcpfsm *t, const struct tcpfsm_batch *b)
{
	const struct batch_packet *pkt = b->pkt;
	size_t n = b->n;
	uint32_t ring[RING];

	for (size_t j = 0; j < n && j < AHEAD_BUCKET; j++)
		ring[j % RING] = hash_for(t, &pkt[j]);
	for (size_t i = 0; i < n; i++) {
		const struct batch_packet *p = &pkt[i];
		if (i + AHEAD_RECORD < n)
			for (size_t off = 0; off < sizeof *p; off += 64)
				__builtin_prefetch(
					(const char *)&p[AHEAD_RECORD] + off);
		if (i + AHEAD_BUCKET < n) {
			const struct batch_packet *q = &p[AHEAD_BUCKET];
			uint32_t h = hash_for(t, q);
			ring[(i + AHEAD_BUCKET) % RING] = h;
			if (!q->rc)
				flow_prefetch_bucket(&t->ft, h);
		}
		if (i + AHEAD_HEAD < n && !p[AHEAD_HEAD].rc)
			flow_prefetch_head(&t->ft,
					   ring[(i + AHEAD_HEAD) % RING]);
		if (i + AHEAD_FLOW < n && !p[AHEAD_FLOW].rc)
			prefetch_flow(t, ring[(i + AHEAD_FLOW) % RING]);
		if (i + AHEAD_NEIGHBOURS < n && !p[AHEAD_NEIGHBOURS].rc)
			prefetch_neighbours(t,
					    ring[(i + AHEAD_NEIGHBOURS) % RING],
					    p[AHEAD_NEIGHBOURS].seg.flags);
		if (p->rc || p->flow.seed == t->ft.seed) {
			tcpfsm_feed_decoded(t, p->ts, p->caplen, p->rc, &p->seg,
					    &p->flow);
			continue;
		}
		struct seg_flow own = p->flow; /* hashed for another table */
		own.hash = ring[i % RING];
		own.seed = t->ft.seed;
		tcpfsm_feed_decoded(t, p->ts, p->caplen, 0, &p->seg, &own);
	}
}
