/*
 * checksums.c - whose bad checksums are the capture's, not the wire's.
 *
 * A segment with a bad checksum is dropped by its receiver, and fsm.c reads
 * it so: its sender acted, its receiver did not. But a capture taken on a
 * host whose NIC computes checksums holds that host's outgoing segments as
 * its stack handed them over, their checksums not yet filled in:
 *  - Linux leaves the pseudo-header's sum there, a pattern decode.c tells
 *    apart on each segment (CSUM_BAD_OFFLOAD);
 *  - other stacks and drivers leave zero, or whatever the buffer held, which
 *    no single segment tells from damage.
 * What tells is the host's pattern, the one Zeek warns of: all of one host's
 * segments bad, while its peers go on answering it past the handshake. A
 * host none of whose segments arrive is answered at most by SYN/ACKs (or
 * RSTs); peers that send it ACKs and data have its segments, whatever their
 * own checksums say (a trace rewritten without fixing them spoils every
 * one). Once a host shows that pattern (OFFLOAD_AFTER bad segments, none
 * good, ANSWERED_AFTER answers), its bad checksums are read as the
 * capture's: counted apart, taken as intact, and the host named
 * (stats.offload_host). The segments before the verdict stay counted bad:
 * the hosts' next segments correct what they left.
 *
 * Only hosts with a bad checksum enter the table, small and direct-mapped by
 * address: a capture without one spends a test a segment, and a busy span
 * port with stray damage keeps the hosts that keep sending it.
 */
#include <string.h>

#include "tracker.h"

#define OFFLOAD_AFTER  3 /* bad segments of a host, none good */
#define ANSWERED_AFTER 2 /* its peers' segments to it past the handshake */

static uint32_t slot_of(const uint8_t *ip)
{
	uint32_t a, b;
	memcpy(&a, ip, 4);
	memcpy(&b, ip + 12, 4);
	return ((a ^ b) * 2654435761u) >> (32 - CSUM_HOSTS_BITS);
}

/* The entry of host (family, ip), or NULL. */
static struct csum_host *find(struct tcpfsm *t, uint8_t family,
			      const uint8_t *ip)
{
	struct csum_host *h = &t->csum_hosts[slot_of(ip)];
	return h->family == family && memcmp(h->ip, ip, 16) == 0 ? h : NULL;
}

/* The entry of seg's sender, taking its slot from a host that has shown
 * no offload (NULL if one that has holds it). */
static struct csum_host *enter(struct tcpfsm *t, const struct segment *seg)
{
	struct csum_host *h = &t->csum_hosts[slot_of(seg->src)];

	if (h->family == seg->family && memcmp(h->ip, seg->src, 16) == 0)
		return h;
	if (h->offload)
		return NULL;
	if (!h->family)
		t->csum_hosts_used++;
	memset(h, 0, sizeof *h);
	h->family = seg->family;
	memcpy(h->ip, seg->src, 16);
	return h;
}

static void name_offload_host(struct tcpfsm *t, const struct segment *seg)
{
	struct tcpfsm_addr *h = &t->stats.offload_host;

	t->stats.offloaded_checksums++;
	if (!h->family) {
		h->family = seg->family;
		memcpy(h->ip, seg->src, sizeof h->ip);
		h->port = seg->sport;
	}
}

static int saturating_inc(uint16_t *n)
{
	if (*n < UINT16_MAX)
		(*n)++;
	return *n;
}

const struct segment *judge_checksums(struct tcpfsm *t,
				      const struct segment *seg,
				      struct segment *copy)
{
	int bad = seg->ip_csum == CSUM_BAD || seg->tcp_csum == CSUM_BAD;

	if (t->csum_hosts_used) {
		/* An answer past the handshake, whatever its own checksum:
		 * its sender has the host's segments. */
		struct csum_host *to = find(t, seg->family, seg->dst);
		if (to && !(seg->flags & (TH_SYN | TH_RST)))
			saturating_inc(&to->answered);
		struct csum_host *from = find(t, seg->family, seg->src);
		if (from && seg->tcp_csum == CSUM_OK && !bad)
			saturating_inc(&from->good);
	}
	if (!bad) {
		if (seg->tcp_csum == CSUM_BAD_OFFLOAD ||
		    seg->ip_csum == CSUM_BAD_OFFLOAD)
			name_offload_host(t, seg);
		return seg;
	}
	struct csum_host *h = enter(t, seg);
	if (h && saturating_inc(&h->bad) >= OFFLOAD_AFTER && !h->good &&
	    h->answered >= ANSWERED_AFTER)
		h->offload = 1;
	if (!h || !h->offload) {
		t->stats.bad_checksums++;
		return seg;
	}
	*copy = *seg;
	if (copy->ip_csum == CSUM_BAD)
		copy->ip_csum = CSUM_BAD_OFFLOAD;
	if (copy->tcp_csum == CSUM_BAD)
		copy->tcp_csum = CSUM_BAD_OFFLOAD;
	name_offload_host(t, seg);
	return copy;
}
