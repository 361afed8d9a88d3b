/*
 * replay.c - the packets of a few connections, from a second pass over the
 * capture file.
 *
 * The tracker keeps no packets (that is what keeps it fast and its memory
 * bounded), and its events name connections, not packets. Reading a file
 * twice is simple and exact: the first pass says which connections matter
 * (the one --conn names, those that raised an alert) and when each lived;
 * the second picks their packets by 4-tuple and time, decoded as the
 * tracker decodes them (tunnels included), with the same filter.
 */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "replay.h"

/* Spans by their 4-tuple, either way round (the lower endpoint first):
 * -w may keep thousands of connections, and each packet finds its own in
 * one look-up. Spans of one 4-tuple are chained in time order. */
struct by_tuple {
	struct replay_tuple key;
	size_t first; /* a span's index; next[] chains the others */
	UT_hash_handle hh;
};

/* Orders endpoints by family, address and port: <0, 0, >0. */
static int endpoint_cmp(const struct tcpfsm_addr *a,
			const struct tcpfsm_addr *b)
{
	size_t len = a->family == 4 ? 4 : 16;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(a->ip, b->ip, len)) != 0)
		return c;
	return a->port < b->port ? -1 : a->port > b->port;
}

/* Field by field into zeroed storage: a struct copy need not copy the
 * padding, which the hash reads. */
static void put_endpoint(struct tcpfsm_addr *dst, const struct tcpfsm_addr *a)
{
	dst->family = a->family;
	dst->port = a->port;
	memcpy(dst->ip, a->ip, a->family == 4 ? 4 : 16);
}

struct replay_tuple replay_tuple_of(const struct tcpfsm_addr *a,
				    const struct tcpfsm_addr *b)
{
	struct replay_tuple t;
	int swap = endpoint_cmp(a, b) > 0;

	memset(&t, 0, sizeof t);
	put_endpoint(&t.lo, swap ? b : a);
	put_endpoint(&t.hi, swap ? a : b);
	return t;
}

int replay_tuple_equal(const struct replay_tuple *a,
		       const struct replay_tuple *b)
{
	return endpoint_cmp(&a->lo, &b->lo) == 0 &&
	       endpoint_cmp(&a->hi, &b->hi) == 0;
}

int replay_same_endpoint(const struct tcpfsm_addr *a,
			 const struct tcpfsm_addr *b)
{
	return endpoint_cmp(a, b) == 0;
}

static struct tcpfsm_addr endpoint(const struct segment *seg, int src)
{
	struct tcpfsm_addr a;

	memset(&a, 0, sizeof a);
	a.family = seg->family;
	a.port = src ? seg->sport : seg->dport;
	memcpy(a.ip, src ? seg->src : seg->dst, seg->family == 4 ? 4 : 16);
	return a;
}

int replay_file(const char *path, const char *filter,
		const struct replay_span *spans, size_t n,
		void (*opened)(void *user, pcap_t *p), replay_fn fn, void *user,
		char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *pkt;
	int rc;

	/* Microseconds, as the tracker's clock: a nanosecond file's times
	 * compare with the events' as they were fed. */
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p) {
		snprintf(err, errlen, "%s", perr);
		return -1;
	}
	if (filter) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) <
			    0 ||
		    pcap_setfilter(p, &prog) < 0) {
			snprintf(err, errlen, "filter: %s", pcap_geterr(p));
			pcap_close(p);
			return -1;
		}
		pcap_freecode(&prog);
	}
	if (opened)
		opened(user, p);
	int dlt = pcap_datalink(p);
	struct by_tuple *index = NULL, *e, *tmp;
	size_t *next = calloc(n ? n : 1, sizeof *next);
	struct by_tuple *entries = calloc(n ? n : 1, sizeof *entries);
	if (!next || !entries) {
		snprintf(err, errlen, "out of memory");
		free(next);
		free(entries);
		pcap_close(p);
		return -1;
	}
	/* Chained backwards from the last, so each chain runs in order. */
	for (size_t i = n; i-- > 0;) {
		struct replay_tuple key =
			replay_tuple_of(&spans[i].client, &spans[i].server);
		HASH_FIND(hh, index, &key, sizeof key, e);
		next[i] = (size_t)-1;
		if (e) {
			next[i] = e->first;
			e->first = i;
			continue;
		}
		e = &entries[i];
		e->key = key;
		e->first = i;
		HASH_ADD(hh, index, key, sizeof key, e);
	}
	while ((rc = pcap_next_ex(p, &hdr, &pkt)) == 1) {
		struct segment seg;
		int64_t ts =
			(int64_t)hdr->ts.tv_sec * 1000000 + hdr->ts.tv_usec;

		if (decode_packet_ex(dlt, pkt, hdr->caplen, DECODE_NO_CHECKSUMS,
				     &seg, NULL) != 0)
			continue;
		struct tcpfsm_addr src = endpoint(&seg, 1),
				   dst = endpoint(&seg, 0);
		struct replay_tuple key = replay_tuple_of(&src, &dst);
		HASH_FIND(hh, index, &key, sizeof key, e);
		for (size_t i = e ? e->first : (size_t)-1; i != (size_t)-1;
		     i = next[i]) {
			const struct replay_span *s = &spans[i];
			if (ts < s->first_ts || ts > s->last_ts)
				continue;
			if (replay_same_endpoint(&src, &s->client) &&
			    replay_same_endpoint(&dst, &s->server))
				fn(user, i, hdr, pkt, &seg, 1);
			else if (replay_same_endpoint(&src, &s->server) &&
				 replay_same_endpoint(&dst, &s->client))
				fn(user, i, hdr, pkt, &seg, 0);
			else
				continue;
			break; /* spans of one 4-tuple do not overlap */
		}
	}
	HASH_ITER(hh, index, e, tmp)
	{
		HASH_DEL(index, e);
	}
	free(entries);
	free(next);
	if (rc == PCAP_ERROR)
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(p));
	pcap_close(p);
	return rc == PCAP_ERROR ? -1 : 0;
}
