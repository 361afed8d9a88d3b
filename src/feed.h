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
#endif
