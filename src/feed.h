/*
 * feed.h - tcpfsm_feed() in two halves, for a caller that decodes packets on
 * another thread (reader.h).
 */
#ifndef TCPFSM_FEED_H
#define TCPFSM_FEED_H
#include "decode.h"
#include "tcpfsm.h"

/* As tcpfsm_feed(), with the packet already decoded: rc and seg are what
 * decode_packet() returned for it (seg unread unless rc is 0). Packets must
 * come in capture order. */
int tcpfsm_feed_decoded(struct tcpfsm *t, int64_t ts, uint32_t caplen, int rc,
			const struct segment *seg);
/* Cache warming for packets fed later (flow.h): tcpfsm_hash() of a decoded
 * TCP segment (pure: the reader thread computes it once the tracker exists),
 * then tcpfsm_prefetch(t, hash, 0) some packets ahead and
 * tcpfsm_prefetch(t, hash, 1) about half as far ahead. */
uint32_t tcpfsm_hash(const struct segment *seg);
void tcpfsm_prefetch(const struct tcpfsm *t, uint32_t hash, int flow);
#endif
