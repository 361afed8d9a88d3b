/*
 * feed.h - tcpfsm_feed() in two halves, for a caller that decodes packets on
 * another thread (reader.h).
 */
#ifndef TCPFSM_FEED_H
#define TCPFSM_FEED_H
#include "decode.h"
#include "flow.h"
#include "tcpfsm.h"

/* A decoded TCP segment's connection as the flow table files it: the
 * canonical key, which way the segment went, and the key's hash under
 * seed. */
struct seg_flow {
	struct flow_key key;
	uint32_t hash;
	int sender_is_lo;
	uint64_t seed;
};

/* Fills sf for seg, hashed with the process's default seed (flow.h), which
 * is the first tracker's: the reader thread computes it, so that the
 * tracker's thread does not. A tracker with a seed of its own (any but the
 * first in the process) hashes the key again when it is fed; the
 * prefetches below then warm the wrong lines, which costs time only. */
void tcpfsm_flow_of(const struct segment *seg, struct seg_flow *sf);

/* As tcpfsm_feed(), with the packet already decoded: rc and seg are what
 * decode_packet() returned for it (seg unread unless rc is 0), and sf is
 * what tcpfsm_flow_of(seg) filled when rc is 0. Packets must come in
 * capture order. */
int tcpfsm_feed_decoded(struct tcpfsm *t, int64_t ts, uint32_t caplen, int rc,
			const struct segment *seg, const struct seg_flow *sf);

/* Cache warming for packets fed later, in four stages, each needing the
 * one before in the cache (flow.h, timers.h), for packets ever nearer: the
 * bucket, the first line of the flow at its head, the flow sought (the rest
 * of the head, or the next flow in the chain if the head is another's), and
 * the neighbours in the timer queues of the flow's endpoints. flags: the
 * segment's TCP flags (TH_*), which tell whether it may move an endpoint at
 * all. */
void tcpfsm_prefetch_bucket(const struct tcpfsm *t, uint32_t hash);
void tcpfsm_prefetch_head(const struct tcpfsm *t, uint32_t hash);
void tcpfsm_prefetch_flow(const struct tcpfsm *t, uint32_t hash);
void tcpfsm_prefetch_neighbours(const struct tcpfsm *t, uint32_t hash,
				unsigned flags);

/* The flow pool's memory (flow.h), used from its start up, and how much of
 * it is used so far: for a caller that faults it in ahead (prefault.h). */
void tcpfsm_pool(const struct tcpfsm *t, void **base, size_t *size);
size_t tcpfsm_pool_used(const struct tcpfsm *t);
#endif
