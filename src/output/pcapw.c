/*
 * pcapw.c - -w FILE: the packets worth opening in Wireshark, not all of
 * them. A capture of a million packets holds a handful of connections that
 * got stuck; those are the ones to look at, so -w keeps the packets of each
 * connection that raised an alert (Suricata's conditional pcap logging is
 * the model), or with --conn of the connection drawn, in the source
 * capture's link type and snap length, so that the file reads as the
 * original would.
 *
 * Reading a file, a second pass over it is simple and exact (replay.c):
 * the events say which connections and when, and every one of their
 * packets is written, those before the alert too. (A pipe or a live
 * capture cannot be read twice; they would need a bounded ring of recent
 * packets, which this writer does not have: main.c refuses -w there.)
 */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "pcapw.h"
#include "replay.h"

struct kept {
	uint64_t id;
	UT_hash_handle hh;
};

struct pcapw {
	char *path;
	int only;
	struct output_filter filter;
	struct kept *ids; /* connections to keep, until their end */
	struct replay_span *spans;
	size_t n_spans, cap_spans;
	pcap_dumper_t *dump;
	char err[PCAP_ERRBUF_SIZE + 64];
	uint64_t packets;
	int failed;
};

struct pcapw *pcapw_new(const char *path, const struct output_filter *only)
{
	struct pcapw *w = calloc(1, sizeof *w);

	if (!w || !(w->path = strdup(path))) {
		free(w);
		return NULL;
	}
	if (only) {
		w->only = 1;
		w->filter = *only;
		w->filter.state = -1; /* the whole connection, every state */
	}
	return w;
}

static void keep_span(struct pcapw *w, const struct tcpfsm_conn *c)
{
	if (w->n_spans == w->cap_spans) {
		size_t cap = w->cap_spans ? 2 * w->cap_spans : 16;
		struct replay_span *more =
			realloc(w->spans, cap * sizeof *more);
		if (!more) {
			w->failed = 1;
			return;
		}
		w->spans = more;
		w->cap_spans = cap;
	}
	w->spans[w->n_spans++] = (struct replay_span){
		.id = c->id,
		.client = c->client,
		.server = c->server,
		.first_ts = c->first_ts,
		.last_ts = c->last_ts,
	};
}

void pcapw_event(struct pcapw *w, const struct tcpfsm_event *ev)
{
	struct kept *k;
	uint64_t id = ev->conn->id;

	if (w->failed || ev->type == TCPFSM_EV_ZEEK_RECORD)
		return;
	if (w->only) {
		/* --conn: the connection's span, known at its end */
		if (ev->type == TCPFSM_EV_END &&
		    output_filter_match(&w->filter, ev))
			keep_span(w, ev->conn);
		return;
	}
	if (ev->type == TCPFSM_EV_ALERT) {
		HASH_FIND(hh, w->ids, &id, sizeof id, k);
		if (k)
			return;
		if (!(k = calloc(1, sizeof *k))) {
			w->failed = 1;
			return;
		}
		k->id = id;
		HASH_ADD(hh, w->ids, id, sizeof k->id, k);
	} else if (ev->type == TCPFSM_EV_END) {
		HASH_FIND(hh, w->ids, &id, sizeof id, k);
		if (!k)
			return;
		keep_span(w, ev->conn);
		HASH_DEL(w->ids, k);
		free(k);
	}
}

static void opened(void *user, pcap_t *p)
{
	struct pcapw *w = user;

	w->dump = pcap_dump_open(p, w->path);
	if (!w->dump)
		snprintf(w->err, sizeof w->err, "%s", pcap_geterr(p));
}

static void on_packet(void *user, size_t span, const struct pcap_pkthdr *hdr,
		      const uint8_t *pkt, const struct segment *seg,
		      int from_client)
{
	struct pcapw *w = user;

	(void)span;
	(void)seg;
	(void)from_client;
	if (!w->dump)
		return;
	pcap_dump((u_char *)w->dump, hdr, pkt);
	w->packets++;
}

int pcapw_write(struct pcapw *w, const char *source, const char *filter,
		uint64_t *packets, uint64_t *conns, char *err, size_t errlen)
{
	int rc;

	if (w->failed) {
		snprintf(err, errlen, "-w: out of memory");
		return -1;
	}
	/* An empty file says "nothing alerted" as plainly as a message. */
	rc = replay_file(source, filter, w->spans, w->n_spans, opened,
			 on_packet, w, err, errlen);
	if (w->dump) {
		if (pcap_dump_flush(w->dump) < 0) {
			snprintf(err, errlen, "-w %s: write failed", w->path);
			rc = -1;
		}
		pcap_dump_close(w->dump);
		w->dump = NULL;
	} else if (rc == 0) {
		snprintf(err, errlen, "-w %s: %s", w->path, w->err);
		rc = -1;
	}
	*packets = w->packets;
	*conns = w->n_spans;
	return rc;
}

void pcapw_free(struct pcapw *w)
{
	struct kept *k, *tmp;

	if (!w)
		return;
	HASH_ITER(hh, w->ids, k, tmp)
	{
		/* The analyzer misses that HASH_DEL moves the head on
		 * (uthash#128). */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		HASH_DEL(w->ids, k);
		free(k);
	}
	free(w->spans);
	free(w->path);
	free(w);
}
