/*
 * prefetch.c - what a reader thread may do ahead of the tracker (feed.h).
 *
 * A capture loop that decodes packets some way ahead of feeding them can
 * compute each one's flow key and hash on its own thread, and warm the
 * cache for the lookups to come, stage by stage, so that by the time a
 * packet is fed its flow, its bucket and its timer-queue neighbours are in
 * the cache. None of this changes what the tracker does: every function
 * here only reads (the prefetches are hints) and any hash is safe.
 *
 * The pool accessors let the same loop fault the flow pool's pages in ahead
 * of its high-water mark (prefault.h).
 */
#include "tracker.h"

void seg_flow_make(uint64_t seed, const struct segment *seg,
		   struct seg_flow *sf)
{
	flow_key_make(seg, &sf->key, &sf->sender_is_lo);
	sf->hash = flow_key_hash_seeded(seed, &sf->key);
	sf->seed = seed;
}

void tcpfsm_flow_of(const struct segment *seg, struct seg_flow *sf)
{
	seg_flow_make(flow_default_seed(), seg, sf);
}

void tcpfsm_prefetch_bucket(const struct tcpfsm *t, uint32_t hash)
{
	flow_prefetch_bucket(&t->ft, hash);
}

void tcpfsm_prefetch_head(const struct tcpfsm *t, uint32_t hash)
{
	flow_prefetch_head(&t->ft, hash);
}

void tcpfsm_prefetch_flow(const struct tcpfsm *t, uint32_t hash)
{
	flow_prefetch_flow(&t->ft, hash);
}

/* Only a transition unlinks an endpoint from its queue, and between two
 * ESTABLISHED endpoints only a SYN, FIN or RST makes one: the bulk of a
 * connection's packets need no neighbours. */
static int may_move(const struct flow *f, unsigned flags)
{
	return (flags & (TH_SYN | TH_FIN | TH_RST)) ||
	       f->ep[0].state != TCPFSM_ESTABLISHED ||
	       f->ep[1].state != TCPFSM_ESTABLISHED;
}

void tcpfsm_prefetch_neighbours(const struct tcpfsm *t, uint32_t hash,
				unsigned flags)
{
	const struct flow *f = flow_peek(&t->ft, hash);
	if (f && may_move(f, flags))
		tq_prefetch_neighbours(&t->ft, f);
}

void tcpfsm_pool(const struct tcpfsm *t, void **base, size_t *size)
{
	*base = t->ft.flows;
	*size = (size_t)t->ft.capacity * sizeof *t->ft.flows;
}

size_t tcpfsm_pool_used(const struct tcpfsm *t)
{
	return (size_t)t->ft.used * sizeof *t->ft.flows;
}
