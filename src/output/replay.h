/*
 * replay.h - a second pass over a capture file for the packets of chosen
 * connections (replay.c): the ladder of --conn and the packets -w writes.
 */
#ifndef TCPFSM_OUTPUT_REPLAY_H
#define TCPFSM_OUTPUT_REPLAY_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "tcpfsm.h"

/* A connection as the tracker's events drew it: its endpoints and the
 * time its record spans. A packet belongs to it when it carries the same
 * addresses and ports (either way) within [first_ts, last_ts]: connections
 * that reuse a 4-tuple follow one another and do not overlap. */
struct replay_span {
	uint64_t id;
	struct tcpfsm_addr client, server;
	int64_t first_ts, last_ts;
};

/* fn's answer about each packet of span (index into the spans), seg its
 * decoded segment, from 1 if the client sent it. */
typedef void (*replay_fn)(void *user, size_t span,
			  const struct pcap_pkthdr *hdr, const uint8_t *pkt,
			  const struct segment *seg, int from_client);

/* Reads path again with filter (NULL: none), calling fn for each packet
 * of one of the n spans, and first opened(user, pcap handle) if not NULL
 * (to learn the link type). 0, or -1 with a message in err. */
int replay_file(const char *path, const char *filter,
		const struct replay_span *spans, size_t n,
		void (*opened)(void *user, pcap_t *p), replay_fn fn, void *user,
		char *err, size_t errlen);

/* A connection's two endpoints, the lower first (by family, address and
 * port), every byte of it set, the padding and the address bytes a family
 * does not use zero: a hash key, compared whole. */
struct replay_tuple {
	struct tcpfsm_addr lo, hi;
};

/* The tuple of a and b, whichever way round they come. */
struct replay_tuple replay_tuple_of(const struct tcpfsm_addr *a,
				    const struct tcpfsm_addr *b);

/* 1 if a and b are the same tuple. */
int replay_tuple_equal(const struct replay_tuple *a,
		       const struct replay_tuple *b);

/* 1 if a (ip and port) is the same endpoint as b. */
int replay_same_endpoint(const struct tcpfsm_addr *a,
			 const struct tcpfsm_addr *b);

#endif
