/*
 * tracker.c - the tracker: packets in, events out.
 *
 * The public API (include/tcpfsm.h) and one packet's path through the
 * layers below (tracker.h lists them): decode the packet, let the clock
 * fire what is due before it, judge its checksums (checksums.c), find the
 * connection it belongs to (identity.c), show it to the Zeek view, note
 * what it proves about a listening port, let the state machines interpret
 * it (fsm.c), and apply and report what changed (events.c). Time is the
 * packets' time; host timers fire, in deadline order, before the packet
 * that shows they are due.
 *
 * Also here: the tracker's lifetime, and listing the connections still open
 * in creation order, for tcpfsm_foreach() and the end of a capture.
 */
#include <stdlib.h>
#include <string.h>

#include "tracker.h"

struct tcpfsm *tcpfsm_new(const struct tcpfsm_options *opts, tcpfsm_event_fn fn,
			  void *user)
{
	struct tcpfsm *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (opts)
		t->opt = *opts;
	else
		tcpfsm_options_default(&t->opt);
	t->folding = malloc(sizeof *t->folding);
	if (!t->folding || listeners_init(&t->listeners) < 0 ||
	    flow_table_init(&t->ft, t->opt.max_connections) < 0 ||
	    (t->opt.conn_records &&
	     !(t->zeek = flow_mem_alloc((size_t)t->ft.capacity *
					sizeof *t->zeek)))) {
		flow_table_destroy(&t->ft);
		listeners_destroy(&t->listeners);
		free(t->folding);
		free(t);
		return NULL;
	}
	alert_folding_init(t->folding, t->opt.aggregate_window,
			   t->opt.alert_rate);
	heap_init(&t->pending, 2 * (size_t)t->opt.max_connections);
	fifo_init(&t->staged, 2 * (size_t)t->opt.max_connections);
	heap_init(&t->stalls, 2 * (size_t)t->opt.max_connections);
	sq_init(&t->sq);
	set_timeouts(t);
	list_init(&t->lru);
	t->next_id = 1;
	t->fn = fn;
	t->user = user;
	return t;
}

void tcpfsm_free(struct tcpfsm *t)
{
	if (!t)
		return;
	/* The views' size is the table's capacity: freed before it. */
	flow_mem_free(t->zeek, (size_t)t->ft.capacity * sizeof *t->zeek);
	flow_table_destroy(&t->ft);
	heap_destroy(&t->pending);
	fifo_destroy(&t->staged);
	heap_destroy(&t->stalls);
	listeners_destroy(&t->listeners);
	alert_folding_destroy(t->folding);
	free(t->folding);
	free(t);
}

void tcpfsm_reconfigure(struct tcpfsm *t, const struct tcpfsm_options *opts)
{
	uint32_t max = t->opt.max_connections;
	int conn_records = t->opt.conn_records;
	t->opt = *opts;
	t->opt.max_connections = max;	    /* the table is not resized */
	t->opt.conn_records = conn_records; /* nor the view allocated */
	/* Every entry of a queue shares the new timeout, so order holds. */
	set_timeouts(t);
	t->floor = t->now;
	t->folding->window = opts->aggregate_window;
	t->folding->rate = opts->alert_rate;
}

const struct tcpfsm_stats *tcpfsm_stats(const struct tcpfsm *t)
{
	return &t->stats;
}

int64_t tcpfsm_now(const struct tcpfsm *t)
{
	return t->now;
}

/* What the server's answer to a SYN proves about its port. */
static void note_listener(struct tcpfsm *t, const struct flow *f, int from,
			  const struct segment *seg, int64_t ts)
{
	if (from == TCPFSM_SERVER && (seg->flags & (TH_SYN | TH_RST))) {
		int synack =
			(seg->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
		int refusal = (seg->flags & TH_RST) &&
			      f->ep[TCPFSM_CLIENT].state == TCPFSM_SYN_SENT &&
			      !(f->ep[TCPFSM_SERVER].flags & EP_SENT_SYNACK);
		if (synack || refusal) {
			struct tcpfsm_addr a;
			flow_addr(f, TCPFSM_SERVER, &a);
			listeners_note(&t->listeners, &a,
				       synack ? TCPFSM_LISTEN : TCPFSM_CLOSED,
				       ts);
			t->stats.listeners_dropped = t->listeners.dropped;
		}
	}
}

static void interpret(struct tcpfsm *t, struct flow *f, int from,
		      const struct segment *seg, int64_t ts,
		      int64_t peer_data_ts);

/* A segment with data, a SYN or a FIN identical to the segment the
 * capture showed just before it, sooner than a stack sends one again
 * (fsm_resend_floor()), is the capture's copy (a SPAN port mirroring both
 * ports a packet crossed): one packet, that tells nothing new. Anything between
 * the two, its peer's answer above all, makes the second a copy sent again:
 * some stacks resend a FIN within a millisecond of the first when the peer's
 * crosses it. Pure ACKs are never taken for copies: a host sends duplicate ACKs
 * back to back. */
static int capture_copy(struct tcpfsm *t, const struct flow *f, int from,
			const struct segment *seg, int64_t ts)
{
	int copy = (seg->payload_len || (seg->flags & (TH_SYN | TH_FIN))) &&
		   t->last.flow == f && t->last.from == from &&
		   t->last.seq == seg->seq && t->last.ack == seg->ack &&
		   t->last.len == seg->payload_len &&
		   t->last.flags == seg->flags &&
		   t->last.window == seg->window &&
		   t->last.tsval == seg->tsval && ts >= t->last.ts &&
		   ts - t->last.ts < fsm_resend_floor(&f->ep[from]);
	t->last.flow = f;
	t->last.from = (uint8_t)from;
	t->last.seq = seg->seq;
	t->last.ack = seg->ack;
	t->last.len = seg->payload_len;
	t->last.flags = seg->flags;
	t->last.window = seg->window;
	t->last.tsval = seg->tsval;
	t->last.ts = ts;
	return copy;
}

static void track(struct tcpfsm *t, const struct segment *seg,
		  const struct seg_flow *sf, int64_t ts)
{
	int from, ignored;
	struct flow *f = identify(t, seg, sf, ts, &from, &ignored);
	if (!f)
		return;

	/* The peer's data, if the connection's last segment carried it. */
	int64_t peer_data_ts = f->data_from == 1 + !from ? f->last_ts : 0;
	/* The answer to a SYN taken as blind, on the same connection (a
	 * challenge ACK, not a SYN/ACK starting a new one). */
	int blind_answer =
		blind_syn_unanswered(t, f) && from != t->blind_syn.from;
	f->last_ts = ts;
	touch(t, f, ts);
	/* Zeek may end its record where tcpfsm's connection goes on (its
	 * attempt timer, a simultaneous open): conn.log gets it now. */
	struct tcpfsm_conn_record zrec;
	struct zeek_conn *z = zeek_of(t, f);
	if (z && zeek_packet(z, from, seg, ts, t->opt.idle_timeout, &zrec)) {
		struct tcpfsm_event ev = {.type = TCPFSM_EV_ZEEK_RECORD,
					  .ts = ts,
					  .record = &zrec};
		emit(t, f, &ev);
	}
	if (ignored) {
		t->stats.syn_on_live++;
		f->data_from = 0; /* no answer to that data now */
		return;
	}
	if (capture_copy(t, f, from, seg, ts)) {
		t->stats.duplicates++;
		return;
	}
	interpret(t, f, from, seg, ts, peer_data_ts);
	/* Data up to the most its sender sent: what the peer's next segment
	 * may answer at once. */
	int new_data = seg->payload_len &&
		       seg->seq + seg->payload_len == f->ep[from].snd_nxt;
	f->data_from = (uint8_t)(new_data ? 1 + from : 0);
	/* The SYN was blind after all: the alerts it held are due. */
	if (blind_answer)
		for (int side = 0; side < 2; side++)
			alert_release_held(t, f, side, 0, ts);
	/* The RST that refused this SYN, shown first by the capture: it
	 * comes now, as it did to the client. (Conn.log had it already, as
	 * Zeek logs a lone RST.) */
	struct segment rst;
	if (refusal_seen_first(t, f, from, seg, sf, ts, &rst))
		interpret(t, f, !from, &rst, ts, 0);
}

/* The ACK an endpoint's FIN copy crossed (fsm_deliver_crossed()), after the
 * correction that copy made was committed. */
static void deliver_crossed(struct tcpfsm *t, struct flow *f, int side,
			    int64_t ts)
{
	struct fsm_result res;
	memset(&res, 0, sizeof res);
	fsm_deliver_crossed(f->ep, side, ts, &res);
	if (res.pend_deadline[side])
		wait_for_quiet(t, f, side, res.pend_deadline[side]);
	commit(t, f, ts, &res);
}

/* What seg, from side `from` of f, proves about the hosts. */
static void interpret(struct tcpfsm *t, struct flow *f, int from,
		      const struct segment *seg, int64_t ts,
		      int64_t peer_data_ts)
{
	note_listener(t, f, from, seg, ts);

	/* Stalls read what the endpoints had sent before this segment. */
	stall_segment(t, f, from, seg, ts);
	struct fsm_result res;
	fsm_segment(f->ep, from, seg, ts,
		    (seg->flags & TH_FIN) && sensor_misses_more(t),
		    peer_data_ts, &res);
	count_loss(t, seg, &f->ep[from], &res, ts);
	if (res.rst_ignored)
		t->stats.rst_out_of_window++;
	t->stats.reordered += (uint64_t)res.reordered;
	for (int side = 0; side < 2; side++)
		if (res.pend_deadline[side])
			wait_for_quiet(t, f, side, res.pend_deadline[side]);
	commit(t, f, ts, &res);
	for (int side = 0; side < 2; side++)
		if (res.crossed_ack[side])
			deliver_crossed(t, f, side, ts);
	half_close_in_use(t, f, from, seg, ts);
	if (res.n)
		stall_after(t, f, ts);
	alert_release_held(t, f, from, res.retransmitted, ts);
}

static void count_packet(struct tcpfsm *t, int64_t ts, uint32_t caplen)
{
	t->stats.packets++;
	t->stats.bytes += caplen;
	set_clock(t, ts);
}

/* A packet that decode_packet() turned down with rc. */
static int feed_skipped(struct tcpfsm *t, int64_t ts, uint32_t caplen, int rc)
{
	count_packet(t, ts, caplen);
	t->stats.skipped[rc - 1]++;
	return rc;
}

static void feed_segment(struct tcpfsm *t, int64_t ts, uint32_t caplen,
			 const struct segment *seg, const struct seg_flow *sf)
{
	count_packet(t, ts, caplen);
	struct segment judged;
	t->stats.tcp++;
	seg = judge_checksums(t, seg, &judged);
	if (seg->options & OPT_MALFORMED)
		t->stats.bad_tcp_options++;
	track(t, seg, sf, t->now);
}

int tcpfsm_feed_decoded(struct tcpfsm *t, int64_t ts, uint32_t caplen, int rc,
			const struct segment *seg, const struct seg_flow *sf)
{
	struct seg_flow own;
	struct segment unverified;

	if (rc)
		return feed_skipped(t, ts, caplen, rc);
	/* Decoded ahead with checksums verified, for a tracker reconfigured
	 * to ignore them since. */
	if (t->opt.checksums == TCPFSM_CHECKSUMS_IGNORE &&
	    (seg->ip_csum != CSUM_UNKNOWN || seg->tcp_csum != CSUM_UNKNOWN)) {
		unverified = *seg;
		unverified.ip_csum = unverified.tcp_csum = CSUM_UNKNOWN;
		seg = &unverified;
	}
	if (sf->seed != t->ft.seed) { /* hashed for another table */
		own = *sf;
		own.hash = flow_key_hash(&t->ft, &own.key);
		own.seed = t->ft.seed;
		sf = &own;
	}
	feed_segment(t, ts, caplen, seg, sf);
	return 0;
}

int tcpfsm_feed(struct tcpfsm *t, int linktype, int64_t ts, const uint8_t *pkt,
		uint32_t caplen)
{
	struct segment seg;
	struct seg_flow sf;
	unsigned flags = t->opt.checksums == TCPFSM_CHECKSUMS_IGNORE
				 ? DECODE_NO_CHECKSUMS
				 : 0;
	int rc = decode_packet_ex(linktype, pkt, caplen, flags, &seg, NULL);
	if (rc)
		return feed_skipped(t, ts, caplen, rc);
	seg_flow_make(t->ft.seed, &seg, &sf);
	feed_segment(t, ts, caplen, &seg, &sf);
	return 0;
}

int tcpfsm_linktype_supported(int linktype)
{
	return decode_linktype_supported(linktype);
}

static int by_id(const void *a, const void *b)
{
	const struct flow *x = *(struct flow *const *)a;
	const struct flow *y = *(struct flow *const *)b;
	return (x->id > y->id) - (x->id < y->id);
}

/* How many flows ahead the final report fetches into the cache. */
#define REPORT_AHEAD 4

/* How far ahead in the pool sorted_flows() fetches. */
#define LIST_AHEAD 16

/* Live flows in creation order; the caller frees the array. */
static struct flow **sorted_flows(const struct tcpfsm *t, size_t *n)
{
	const struct flow_table *ft = &t->ft;
	size_t cap = ft->live ? ft->live : 1;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers to flows */
	struct flow **v = malloc(cap * sizeof *v);
	*n = 0;
	if (!v)
		return NULL;
	/* uthash keeps insertion order, and ids are handed out as flows are
	 * inserted: the list is normally sorted already. Following it is one
	 * cache miss after another, each waiting for the last (bench/README.md
	 * has the figures); but flows are mostly taken from the pool in order
	 * too, so the flow some way on in the pool is
	 * most likely as far on in the list, and is fetched while the list
	 * gets there. Where it is not (a slot recycled), a fetch is wasted. */
	int sorted = 1;
	for (struct flow *f = ft->hash; f; f = f->hh.next) {
		uint32_t ahead = flow_index(ft, f) + LIST_AHEAD;
		if (ahead < ft->used) {
			__builtin_prefetch(&ft->flows[ahead].hh.next);
			__builtin_prefetch(&ft->flows[ahead].id);
		}
		if (*n && v[*n - 1]->id > f->id)
			sorted = 0;
		v[(*n)++] = f;
	}
	if (!sorted) {
		/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
		qsort(v, *n, sizeof *v, by_id);
	}
	return v;
}

void tcpfsm_foreach(const struct tcpfsm *t,
		    void (*fn)(const struct tcpfsm_conn *conn, void *user),
		    void *user)
{
	size_t n;
	struct flow **v = sorted_flows(t, &n);
	for (size_t i = 0; v && i < n; i++) {
		struct tcpfsm_conn c;
		conn_view(v[i], &c);
		fn(&c, user);
	}
	free(v);
}

void tcpfsm_foreach_listener(const struct tcpfsm *t,
			     void (*fn)(const struct tcpfsm_listener *l,
					void *user),
			     void *user)
{
	for (uint32_t i = 0; i < t->listeners.used; i++)
		fn(&t->listeners.pool[i].pub, user);
}

void tcpfsm_finish(struct tcpfsm *t)
{
	size_t n;

	run_timers(t, t->now);
	/* Folding windows still open: say now how many they hold. */
	while (fold_expire(t, INT64_MAX, t->now))
		;
	struct flow **v = sorted_flows(t, &n);
	if (v) {
		/* Flows recycled from the pool lie in no order in memory, and
		 * each is cold: fetch a few reports ahead. */
		for (size_t i = 0; i < n; i++) {
			if (i + REPORT_AHEAD < n)
				flow_prefetch(v[i + REPORT_AHEAD]);
			report_end(t, v[i], t->now, TCPFSM_END_FINISHED);
		}
	} else { /* no memory for the order: the table's own, nearly it */
		for (struct flow *f = t->ft.hash; f; f = f->hh.next)
			report_end(t, f, t->now, TCPFSM_END_FINISHED);
	}
	free(v);
	/* Every flow goes: forget them all at once rather than unlink each
	 * from its neighbours (a cache miss apiece with a large table). */
	flow_table_clear(&t->ft);
	sq_clear(&t->sq);
	list_init(&t->lru);
	t->blind_syn.flow = NULL;
	t->last.flow = NULL;
	heap_clear(&t->pending);
	fifo_clear(&t->staged);
	heap_clear(&t->stalls);
	t->stats.active = 0;
	memset(t->stats.state, 0, sizeof t->stats.state);
}
