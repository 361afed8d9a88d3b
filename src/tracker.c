/*
 * tracker.c - the tracker: packets in, events out.
 *
 * Glue between the pure parts: decode a packet, find or create its flow,
 * let the state machine interpret the segment, keep each endpoint in its
 * state's timer queue, and report every change through the callback. Time
 * is the packets' time; host timers fire, in deadline order, before the
 * packet that shows they are due.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "decode.h"
#include "feed.h"
#include "flow.h"
#include "fsm.h"
#include "listeners.h"
#include "tcpfsm.h"
#include "timers.h"

struct tcpfsm {
	struct tcpfsm_options opt;
	struct flow_table ft;
	struct state_queues sq; /* endpoints, by the state they are in */
	struct list lru;	/* flows, least recently seen first */
	struct alert_folding *folding;
	struct heap pending; /* endpoints in doubt waiting to fall quiet */
	struct listeners listeners;
	uint32_t next_ticket;
	int64_t now;
	int64_t next_deadline; /* no timer fires before this */
	int64_t floor;	       /* no timer event is stamped before this */
	uint64_t next_id;
	tcpfsm_event_fn fn;
	void *user;
	struct tcpfsm_stats stats;
	char diagnosis[512];
};

#define SECONDS(s) ((int64_t)(s)*1000000)

void tcpfsm_options_default(struct tcpfsm_options *o)
{
	memset(o, 0, sizeof *o);
	o->max_connections = 1000000;
	o->idle_timeout = SECONDS(300); /* Zeek's TCP inactivity timeout */
	o->closed_linger = SECONDS(5);
	o->midstream = 1;
	/* Linux: 1+2+4+8+16+32 s of SYN/ACK retries, then the last wait. */
	o->host_timeout[TCPFSM_SYN_RECEIVED] = SECONDS(63);
	/* Linux: tcp_syn_retries=6; 127 s from the first SYN with exponential
	 * backoff, 133 s where the first retries are linear
	 * (tcp_syn_linear_timeouts, measured on 6.18). */
	o->host_timeout[TCPFSM_SYN_SENT] = SECONDS(133);
	/* Linux orphan retries: about two minutes of FIN retransmissions. */
	o->host_timeout[TCPFSM_FIN_WAIT_1] = SECONDS(120);
	o->host_timeout[TCPFSM_CLOSING] = SECONDS(120);
	o->host_timeout[TCPFSM_LAST_ACK] = SECONDS(120);
	/* Linux tcp_fin_timeout for an orphaned socket. */
	o->host_timeout[TCPFSM_FIN_WAIT_2] = SECONDS(60);
	o->host_timeout[TCPFSM_TIME_WAIT] = SECONDS(60); /* 2MSL */

	o->alert_after[TCPFSM_SYN_SENT] = SECONDS(3);
	o->alert_after[TCPFSM_SYN_RECEIVED] = SECONDS(3);
	o->alert_after[TCPFSM_FIN_WAIT_1] = SECONDS(10);
	o->alert_after[TCPFSM_CLOSING] = SECONDS(10);
	o->alert_after[TCPFSM_LAST_ACK] = SECONDS(10);
	/* Before the host's own 60 s timer closes an orphaned FIN_WAIT_2. */
	o->alert_after[TCPFSM_FIN_WAIT_2] = SECONDS(30);
	o->alert_after[TCPFSM_CLOSE_WAIT] = SECONDS(60);
	o->aggregate_window = SECONDS(10);
	o->alert_rate = 100;
}

/* Where eviction looks first, oldest first: a flood's closed and embryonic
 * records. These states keep their queues even without a deadline. */
static const int victims[] = {TCPFSM_CLOSED, TCPFSM_SYN_SENT,
			      TCPFSM_SYN_RECEIVED};

static int is_victim(int state)
{
	for (unsigned v = 0; v < sizeof victims / sizeof victims[0]; v++)
		if (victims[v] == state)
			return 1;
	return 0;
}

/* The queues' timeouts from the options. The CLOSED queue's is the linger
 * of a closed record; other states time out only where the host has a timer
 * (fsm_table's HOST_TIMEOUT row), and only the states an endpoint can be
 * stuck in alert. A state with neither and no victims keeps no queue. */
static void set_timeouts(struct tcpfsm *t)
{
	for (int s = 0; s < TCPFSM_NSTATES; s++) {
		int64_t timeout = t->opt.host_timeout[s];
		int64_t alert = t->opt.alert_after[s];
		if (s == TCPFSM_CLOSED)
			timeout = t->opt.closed_linger;
		else if (!fsm_table[HOST_TIMEOUT][s].cause)
			timeout = 0;
		if (!tcpfsm_alert_name(s))
			alert = 0;
		t->sq.timeout[s] = timeout > 0 ? timeout : 0;
		t->sq.alert_after[s] = alert > 0 ? alert : 0;
		sq_set_queued(&t->sq, &t->ft, s,
			      timeout > 0 || alert > 0 || is_victim(s));
	}
	t->next_deadline = t->now; /* recompute at the next packet or tick */
}

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
	    flow_table_init(&t->ft, t->opt.max_connections) < 0) {
		listeners_destroy(&t->listeners);
		free(t->folding);
		free(t);
		return NULL;
	}
	alert_folding_init(t->folding, t->opt.aggregate_window,
			   t->opt.alert_rate);
	heap_init(&t->pending, 2 * (size_t)t->opt.max_connections);
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
	flow_table_destroy(&t->ft);
	heap_destroy(&t->pending);
	listeners_destroy(&t->listeners);
	alert_folding_destroy(t->folding);
	free(t->folding);
	free(t);
}

void tcpfsm_reconfigure(struct tcpfsm *t, const struct tcpfsm_options *opts)
{
	uint32_t max = t->opt.max_connections;
	t->opt = *opts;
	t->opt.max_connections = max; /* the table is not resized */
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

static void conn_view(const struct flow *f, struct tcpfsm_conn *c)
{
	c->id = f->id;
	flow_addr(f, TCPFSM_CLIENT, &c->client);
	flow_addr(f, TCPFSM_SERVER, &c->server);
	c->state[0] = f->ep[0].state;
	c->state[1] = f->ep[1].state;
	c->first_ts = f->first_ts;
	c->last_ts = f->last_ts;
	c->flags = f->conn_flags;
	if (!(f->ep[0].flags & EP_SEEN) || !(f->ep[1].flags & EP_SEEN))
		c->flags |= TCPFSM_CONN_ONE_SIDED;
}

static void emit(struct tcpfsm *t, const struct flow *f,
		 struct tcpfsm_event *ev)
{
	struct tcpfsm_conn c;
	if (!t->fn)
		return;
	conn_view(f, &c);
	ev->conn = &c;
	t->fn(ev, t->user);
	ev->conn = NULL; /* the view lives only for the call */
}

/* An alerted endpoint left the state it was stuck in (to: -1, expired). */
static void resolve(struct tcpfsm *t, struct flow *f, int side, int state,
		    int to, int64_t since, int64_t ts)
{
	struct endpoint *e = &f->ep[side];

	if (!(e->flags & EP_ALERTED))
		return;
	e->flags &= (uint16_t)~EP_ALERTED;
	t->stats.resolved++;
	struct tcpfsm_event ev = {.type = TCPFSM_EV_RESOLVED,
				  .ts = ts,
				  .endpoint = side,
				  .alert = tcpfsm_alert_name(state),
				  .state = state,
				  .since = since,
				  .duration = ts - since,
				  .resolved_to = to};
	emit(t, f, &ev);
}

static void note_deadline(struct tcpfsm *t, int64_t deadline)
{
	if (deadline < t->next_deadline)
		t->next_deadline = deadline;
}

/* Endpoint side of f enters state at time ts. */
static void enter(struct tcpfsm *t, struct flow *f, int side, int64_t ts)
{
	struct endpoint *e = &f->ep[side];

	e->since = ts;
	e->flags &= (uint16_t)~EP_ALERT_HELD;
	sq_enter(&t->sq, &t->ft, ep_ref(&t->ft, f, side), e->state);
	t->stats.state[side][e->state]++;
	if (t->sq.timeout[e->state])
		note_deadline(t, ts + t->sq.timeout[e->state]);
	if (t->sq.alert_after[e->state])
		note_deadline(t, ts + t->sq.alert_after[e->state]);
}

static void leave(struct tcpfsm *t, struct flow *f, int side, int state)
{
	sq_leave(&t->sq, &t->ft, ep_ref(&t->ft, f, side), state);
	t->stats.state[side][state]--;
}

/* Applies the changes fsm produced: each endpoint that moved leaves the
 * queue of the state it was in before the packet and enters its new one;
 * then the events, in order, each showing the connection after the packet. */
static void commit(struct tcpfsm *t, struct flow *f, int64_t ts,
		   const struct fsm_result *res)
{
	int before[2] = {-1, -1};
	int64_t since[2] = {f->ep[0].since, f->ep[1].since};

	for (int i = 0; i < res->n; i++)
		if (before[res->change[i].side] < 0)
			before[res->change[i].side] = res->change[i].from;
	for (int s = 0; s < 2; s++) {
		if (before[s] < 0)
			continue;
		leave(t, f, s, before[s]);
		enter(t, f, s, ts);
	}
	for (int i = 0; i < res->n; i++) {
		const struct fsm_change *ch = &res->change[i];
		struct tcpfsm_event ev = {.type = TCPFSM_EV_TRANSITION,
					  .ts = ts,
					  .endpoint = ch->side,
					  .from = ch->from,
					  .to = ch->to,
					  .cause = ch->cause};
		t->stats.transitions++;
		emit(t, f, &ev);
		if (ch->from == before[ch->side])
			resolve(t, f, ch->side, ch->from, ch->to,
				since[ch->side], ts);
	}
}

/* The events of a connection's end, which end_flow() then forgets. */
static void report_end(struct tcpfsm *t, struct flow *f, int64_t ts,
		       enum tcpfsm_end_reason reason)
{
	/* Expired or evicted while stuck: the episode ends with the record.
	 * At the end of a capture it has not ended; it is only unobserved. */
	if (reason == TCPFSM_END_IDLE || reason == TCPFSM_END_EVICTED)
		for (int s = 0; s < 2; s++)
			resolve(t, f, s, f->ep[s].state, -1, f->ep[s].since,
				ts);
	if (t->fn) {
		struct tcpfsm_conn_record rec;
		zeek_record(&f->zeek, &rec);
		struct tcpfsm_event ev = {.type = TCPFSM_EV_END,
					  .ts = ts,
					  .end_reason = reason,
					  .record = &rec};
		emit(t, f, &ev);
	}
}

static void end_flow(struct tcpfsm *t, struct flow *f, int64_t ts,
		     enum tcpfsm_end_reason reason)
{
	report_end(t, f, ts, reason);
	for (int s = 0; s < 2; s++)
		leave(t, f, s, f->ep[s].state);
	lru_remove(&t->lru, &t->ft, f);
	flow_remove(&t->ft, f);
	t->stats.active--;
}

/* A host timer is due for endpoint ref at time ts. */
static void fire_timeout(struct tcpfsm *t, uint32_t ref, int64_t ts)
{
	struct flow *f = ref_flow(&t->ft, ref);
	int side = (int)(ref % 2);
	struct endpoint *e = &f->ep[side], *peer = &f->ep[!side];

	if (e->state == TCPFSM_CLOSED) {
		/* Linger over: the record goes once both ends lingered. An
		 * end whose peer is still open leaves the queue; the peer's
		 * own timer, idleness or eviction will end the record. */
		if (peer->state == TCPFSM_CLOSED &&
		    peer->since + t->sq.timeout[TCPFSM_CLOSED] <= ts)
			end_flow(t, f, ts, TCPFSM_END_CLOSED);
		else
			sq_leave(&t->sq, &t->ft, ref, TCPFSM_CLOSED);
		return;
	}
	struct fsm_result res = {0};
	fsm_apply(f->ep, side, HOST_TIMEOUT, ts, &res);
	commit(t, f, ts, &res);
}

static void raise_alert(struct tcpfsm *t, struct flow *f, int side, int64_t ts);

/* Endpoint ref has been in state for its alert threshold at time ts. */
static void fire_alert(struct tcpfsm *t, uint32_t ref, int state, int64_t ts)
{
	struct flow *f = ref_flow(&t->ft, ref);
	int side = (int)(ref % 2);
	struct endpoint *e = &f->ep[side];

	sq_alert_done(&t->sq, &t->ft, state);
	if (e->pending) {
		/* An acknowledgement went its way: if it falls quiet, it got
		 * it and was never stuck; if it retransmits, alert then. */
		e->flags |= EP_ALERT_HELD;
		return;
	}
	raise_alert(t, f, side, ts);
}

/* The alert for endpoint side of f, stuck in its state, goes out (unless
 * folded or rate limited). */
static void raise_alert(struct tcpfsm *t, struct flow *f, int side, int64_t ts)
{
	struct endpoint *e = &f->ep[side];
	int state = e->state;

	e->flags &= (uint16_t)~EP_ALERT_HELD;
	if (!alert_fold(t->folding, f, side, state, ts)) {
		t->stats.alerts_folded++;
		return;
	}
	note_deadline(t, alert_folding_deadline(t->folding));
	if (!alert_rate_allow(t->folding, ts)) {
		t->stats.alerts_suppressed++;
		return;
	}
	e->flags |= EP_ALERTED;
	t->stats.alerts++;
	t->stats.alerts_by_state[state]++;
	alert_diagnose(f, side, t->diagnosis, sizeof t->diagnosis);
	struct tcpfsm_event ev = {.type = TCPFSM_EV_ALERT,
				  .ts = ts,
				  .endpoint = side,
				  .alert = tcpfsm_alert_name(state),
				  .state = state,
				  .since = e->since,
				  .duration = ts - e->since,
				  .diagnosis = t->diagnosis,
				  .count = 1};
	emit(t, f, &ev);
}

/* A folding window closed with alerts counted in it: one aggregate alert. */
static void report_folded(struct tcpfsm *t, const struct alert_group *g,
			  int64_t ts)
{
	char server[TCPFSM_ADDRSTRLEN], sample[TCPFSM_ADDRSTRLEN];
	struct tcpfsm_conn c = {.id = g->sample, .client = g->sample_client};

	if (!alert_rate_allow(t->folding, ts)) {
		t->stats.alerts_suppressed++;
		return;
	}
	t->stats.alerts++;
	t->stats.alerts_by_state[g->key.state]++;
	c.server.family = g->key.family;
	c.server.port = g->key.port;
	memcpy(c.server.ip, g->key.ip, sizeof c.server.ip);
	c.state[g->key.side] = g->key.state;
	tcpfsm_addr_format(&c.server, server);
	tcpfsm_addr_format(&c.client, sample);
	snprintf(t->diagnosis, sizeof t->diagnosis,
		 "%llu more %s endpoints of connections to %s were stuck in "
		 "%s within %.1f s after the first one alerted (e.g. #%llu "
		 "from %s)",
		 (unsigned long long)g->folded, tcpfsm_side_name(g->key.side),
		 server, tcpfsm_state_name(g->key.state),
		 (double)(ts - g->opened) / 1e6, (unsigned long long)g->sample,
		 sample);
	struct tcpfsm_event ev = {.type = TCPFSM_EV_ALERT,
				  .ts = ts,
				  .conn = &c,
				  .endpoint = g->key.side,
				  .alert = tcpfsm_alert_name(g->key.state),
				  .state = g->key.state,
				  .since = g->opened,
				  .duration = ts - g->opened,
				  .diagnosis = t->diagnosis,
				  .count = g->folded,
				  .aggregate = 1};
	if (t->fn)
		t->fn(&ev, t->user);
}

/* Endpoint side of f waits for its next retransmission until deadline. */
static void wait_for_quiet(struct tcpfsm *t, struct flow *f, int side,
			   int64_t deadline)
{
	struct endpoint *e = &f->ep[side];
	struct heap_entry h = {deadline, ep_ref(&t->ft, f, side),
			       ++t->next_ticket};

	if (heap_push(&t->pending, h) < 0) {
		e->pending = 0; /* no room: no inference from silence */
		return;
	}
	e->ticket = h.ticket;
	note_deadline(t, deadline);
}

/* No retransmission came by the deadline: the acknowledgement got through. */
static void fire_quiet(struct tcpfsm *t, struct heap_entry h, int64_t at)
{
	struct flow *f = ref_flow(&t->ft, h.ref);
	int side = (int)(h.ref % 2);
	struct endpoint *e = &f->ep[side];

	if (!f->in_use || !e->pending || e->ticket != h.ticket)
		return; /* overtaken: it retransmitted, moved on, or is gone */
	struct fsm_result res = {0};
	fsm_apply(f->ep, side, e->pending, at, &res);
	commit(t, f, at, &res);
}

/* Fires, in deadline order, every timer due at or before now. */
static void run_timers(struct tcpfsm *t, int64_t now)
{
	while (t->next_deadline <= now) {
		uint32_t ref = NIL;
		int state = 0;
		int64_t due_at;
		enum sq_due due =
			sq_next(&t->sq, &t->ft, &ref, &state, &due_at);
		int64_t idle_at = INT64_MAX, fold_at;
		if (t->opt.idle_timeout > 0 && t->lru.head != NIL)
			idle_at = t->ft.flows[t->lru.head].last_ts +
				  t->opt.idle_timeout;
		fold_at = alert_folding_deadline(t->folding);
		int64_t quiet_at = t->pending.n
					   ? heap_top(&t->pending)->deadline
					   : INT64_MAX;

		int64_t best = due_at < idle_at ? due_at : idle_at;
		if (fold_at < best)
			best = fold_at;
		if (quiet_at < best)
			best = quiet_at;
		t->next_deadline = best;
		if (best > now)
			break;
		/* Timeouts shortened by a reconfiguration may be overdue:
		 * they fire now, not in the past. */
		int64_t at = best < t->floor ? t->floor : best;
		/* An idle expiry found late (touch()) is stamped when found:
		 * events never go back in time. */
		t->floor = at;
		if (best == quiet_at) {
			struct heap_entry h = *heap_top(&t->pending);
			heap_pop(&t->pending);
			fire_quiet(t, h, at);
		} else if (best == fold_at) {
			int closed;
			const struct alert_group *g =
				alert_folding_expire(t->folding, best, &closed);
			if (g)
				report_folded(t, g, at);
		} else if (best == idle_at) {
			struct flow *f = &t->ft.flows[t->lru.head];
			if (f->lru.next != NIL) /* as tq_prefetch_next() */
				flow_prefetch(&t->ft.flows[f->lru.next]);
			end_flow(t, f, at, TCPFSM_END_IDLE);
		} else if (due == SQ_TIMEOUT) {
			tq_prefetch_next(&t->ft, ref);
			fire_timeout(t, ref, at);
		} else {
			fire_alert(t, ref, state, at);
		}
	}
}

static void set_clock(struct tcpfsm *t, int64_t ts)
{
	if (ts > t->now)
		t->now = ts;
	run_timers(t, t->now);
}

void tcpfsm_advance(struct tcpfsm *t, int64_t now)
{
	set_clock(t, now);
}

/*
 * The idle order (t->lru, the least recently seen flow first) is kept to
 * within a slack: a packet moves its flow to the tail only when the flow's
 * place there is older than the slack. Most packets then touch nothing but
 * their own flow, instead of its two neighbours in the list (two cache
 * misses a packet with a large table). The list stays sorted by the time of
 * each move, and every flow was last seen less than the slack after its
 * move, so the head is at most the slack younger than the flow idle the
 * longest: idle expiry is at most that late, and a packet that finds its
 * flow past the idle timeout ends it first (track()).
 */
static int64_t lru_slack(const struct tcpfsm *t)
{
	return t->opt.idle_timeout > 0 ? t->opt.idle_timeout / 64 : SECONDS(1);
}

static void touch(struct tcpfsm *t, struct flow *f, int64_t ts)
{
	int64_t moved_at = f->first_ts + (int64_t)f->lru_ms * 1000;

	if (ts - moved_at < lru_slack(t) ||
	    t->lru.tail == flow_index(&t->ft, f))
		return;
	lru_remove(&t->lru, &t->ft, f);
	lru_append(&t->lru, &t->ft, f);
	int64_t ms = (ts - f->first_ts) / 1000;
	f->lru_ms = ms < UINT32_MAX ? (uint32_t)ms : UINT32_MAX;
}

/* Makes room for one flow: the oldest closed or embryonic one first (a
 * flood's), then the one idle the longest. */
static void evict_one(struct tcpfsm *t)
{
	struct flow *f = NULL;

	for (unsigned v = 0; v < sizeof victims / sizeof victims[0] && !f; v++)
		if (t->sq.q[victims[v]].head != NIL)
			f = ref_flow(&t->ft, t->sq.q[victims[v]].head);
	if (!f && t->lru.head != NIL) {
		/* The idle order is loose by the slack (touch()): of the
		 * first few, the one seen longest ago. (The analyzer does not
		 * know that the pool exists while the tracker does.) */
		f = &t->ft.flows[t->lru.head];
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		uint32_t i = f->lru.next;
		for (int n = 1; i != NIL && n < 8; n++) {
			struct flow *g = &t->ft.flows[i];
			if (g->last_ts < f->last_ts)
				f = g;
			i = g->lru.next;
		}
	}
	if (f) {
		/* In a flood every new SYN evicts one, and the next victims
		 * are queued behind this one, as cold: the next's bucket and
		 * the one after it are fetched now (the next itself was, at
		 * the eviction before). */
		for (int s = 0; s < 2; s++) {
			if (f->ep[s].tq.next == NIL)
				continue;
			const struct flow *n =
				ref_flow(&t->ft, f->ep[s].tq.next);
			flow_prefetch_bucket(&t->ft, n->hh.hashv);
			if (n->ep[s].tq.next != NIL)
				flow_prefetch(
					ref_flow(&t->ft, n->ep[s].tq.next));
		}
		t->stats.evicted++;
		end_flow(t, f, t->now, TCPFSM_END_EVICTED);
	}
}

static struct flow *new_flow(struct tcpfsm *t, const struct flow_key *key,
			     uint32_t hash, int client_is_lo, int64_t ts)
{
	struct flow *f = flow_insert(&t->ft, key, hash);
	if (!f) {
		evict_one(t);
		f = flow_insert(&t->ft, key, hash);
		if (!f)
			return NULL;
	}
	f->id = t->next_id++;
	f->first_ts = f->last_ts = ts;
	f->client_is_lo = (uint8_t)client_is_lo;
	for (int s = 0; s < 2; s++) {
		f->ep[s].state = TCPFSM_CLOSED;
		enter(t, f, s, ts);
	}
	if (t->opt.idle_timeout > 0)
		note_deadline(t, ts + t->opt.idle_timeout);
	lru_append(&t->lru, &t->ft, f);
	t->stats.connections++;
	t->stats.active++;
	return f;
}

/* Which side starts a connection first seen mid-stream: the one on the
 * ephemeral-looking port (the higher one, or any above 1023 facing one
 * below), and on a tie the one seen first. */
static int midstream_sender_is_client(const struct segment *seg)
{
	if ((seg->sport < 1024) != (seg->dport < 1024))
		return seg->dport < 1024;
	if (seg->sport != seg->dport)
		return seg->sport > seg->dport;
	return 1;
}

/* How long a connection's record must be silent before a SYN with a new
 * sequence number is taken to start another connection on its 4-tuple. */
#define STALE_AFTER SECONDS(30)

/* Neither closed nor waiting out 2MSL: the connection may still be live. */
static int is_open(const struct endpoint *e)
{
	return e->state != TCPFSM_CLOSED && e->state != TCPFSM_LISTEN &&
	       e->state != TCPFSM_TIME_WAIT;
}

/* Does this SYN start a new connection on the 4-tuple of an old one? A host
 * sends a SYN with a new initial sequence number only from a new socket, so
 * the old connection is over on its side (even if its end went unseen),
 * unless this is the second SYN of a simultaneous open. But a SYN that hits
 * a connection still live on both sides is answered by a challenge ACK
 * (RFC 5961), not taken: so is a blind, spoofed one. Only a record silent
 * for STALE_AFTER is given up for it. Returns 1 for a new connection, 0
 * otherwise; *ignored says the SYN was refused as a blind one. */
static int starts_new_connection(const struct flow *f, int from,
				 const struct segment *seg, int64_t ts,
				 int *ignored)
{
	const struct endpoint *s = &f->ep[from], *r = &f->ep[!from];

	*ignored = 0;
	if ((seg->flags & (TH_SYN | TH_ACK)) != TH_SYN)
		return 0;
	if (s->flags & EP_SENT_SYN) {
		if (seg->seq == s->isn)
			return 0; /* a retransmission */
	} else if (r->state == TCPFSM_SYN_SENT ||
		   r->state == TCPFSM_SYN_RECEIVED) {
		return 0; /* the SYNs of a simultaneous open crossed */
	}
	if (is_open(s) && is_open(r) && ts - f->last_ts < STALE_AFTER) {
		*ignored = 1;
		return 0;
	}
	return 1;
}

/* Closes what is still open of an old connection whose 4-tuple a new SYN
 * takes over, and forgets it. */
static void retire(struct tcpfsm *t, struct flow *f, int64_t ts)
{
	struct fsm_result res = {0};

	for (int s = 0; s < 2; s++) {
		struct endpoint *e = &f->ep[s];
		if (e->state == TCPFSM_CLOSED)
			continue;
		res.change[res.n++] = (struct fsm_change){
			(uint8_t)s, e->state, TCPFSM_CLOSED,
			"4-tuple reused by a new connection"};
		e->state = TCPFSM_CLOSED;
	}
	commit(t, f, ts, &res);
	end_flow(t, f, ts, TCPFSM_END_REUSED);
}

/* First packet of a flow that is not a SYN: set both endpoints up as the
 * packet implies, before the state machine sees it. */
static void pick_up(struct tcpfsm *t, struct flow *f, int from,
		    const struct segment *seg, int64_t ts)
{
	struct fsm_result res = {0};
	struct endpoint *r = &f->ep[!from];

	if ((seg->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
		/* A lone SYN/ACK: its receiver sent the SYN. */
		r->isn = seg->ack - 1;
		r->snd_nxt = seg->ack;
		r->flags |= EP_SENT_SYN;
		fsm_apply(f->ep, !from, INFER_SYN, ts, &res);
	} else if (!(seg->flags & TH_RST)) {
		f->conn_flags |= TCPFSM_CONN_PARTIAL;
		for (int s = 0; s < 2; s++) {
			f->ep[s].flags |= EP_ACKED_PEER_SYN;
			fsm_apply(f->ep, s, MIDSTREAM, ts, &res);
		}
		if (seg->flags & TH_ACK) {
			r->snd_nxt = seg->ack;
		}
	}
	commit(t, f, ts, &res);
}

/* The conn.log record of a RST that belongs to no tracked connection. */
static void lone_rst_record(struct tcpfsm *t, const struct segment *seg,
			    int64_t ts)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record rec;
	struct tcpfsm_conn c = {
		.id = t->next_id++, .first_ts = ts, .last_ts = ts};

	if (!t->fn)
		return;
	zeek_init(&z, TCPFSM_CLIENT);
	zeek_packet(&z, TCPFSM_CLIENT, seg, ts, 0, NULL);
	zeek_record(&z, &rec);
	c.client.family = c.server.family = seg->family;
	memcpy(c.client.ip, seg->src, sizeof c.client.ip);
	memcpy(c.server.ip, seg->dst, sizeof c.server.ip);
	c.client.port = seg->sport;
	c.server.port = seg->dport;
	struct tcpfsm_event ev = {.type = TCPFSM_EV_ZEEK_RECORD,
				  .ts = ts,
				  .conn = &c,
				  .record = &rec};
	t->fn(&ev, t->user);
}

static void track(struct tcpfsm *t, const struct segment *seg,
		  const struct seg_flow *sf, int64_t ts)
{
	int sender_is_lo = sf->sender_is_lo;
	struct flow *f = flow_lookup(&t->ft, &sf->key, sf->hash);
	int from = 0, ignored = 0;

	if (f && t->opt.idle_timeout > 0 &&
	    f->last_ts + t->opt.idle_timeout <= ts) {
		/* Idle, but not yet reached in the loose idle order (see
		 * touch()): it ends now, before this packet, which starts a
		 * new connection as it would have on time. */
		end_flow(t, f, ts, TCPFSM_END_IDLE);
		f = NULL;
	}
	if (f) {
		from = (sender_is_lo == f->client_is_lo) ? TCPFSM_CLIENT
							 : TCPFSM_SERVER;
		if (starts_new_connection(f, from, seg, ts, &ignored)) {
			retire(t, f, ts);
			f = NULL;
		}
	}
	if (!f) {
		/* Lone RSTs (scans' answers, backscatter) are not connections
		 * to track, but Zeek logs each as a record of one packet. */
		if (seg->flags & TH_RST) {
			lone_rst_record(t, seg, ts);
			return;
		}
		if (!(seg->flags & TH_SYN) && !t->opt.midstream)
			return;
		int client;
		if (seg->flags & TH_SYN)
			client = (seg->flags & TH_ACK) ? 0 : 1;
		else
			client = midstream_sender_is_client(seg);
		f = new_flow(t, &sf->key, sf->hash,
			     client ? sender_is_lo : !sender_is_lo, ts);
		if (!f)
			return;
		from = client ? TCPFSM_CLIENT : TCPFSM_SERVER;
		zeek_init(&f->zeek, from);
		if (!(seg->flags & TH_SYN) || (seg->flags & TH_ACK))
			pick_up(t, f, from, seg, ts);
	}

	f->last_ts = ts;
	touch(t, f, ts);
	/* Zeek may end its record where tcpfsm's connection goes on (its
	 * attempt timer, a simultaneous open): conn.log gets it now. */
	struct tcpfsm_conn_record zrec;
	if (zeek_packet(&f->zeek, from, seg, ts, t->opt.idle_timeout, &zrec)) {
		struct tcpfsm_event ev = {.type = TCPFSM_EV_ZEEK_RECORD,
					  .ts = ts,
					  .record = &zrec};
		emit(t, f, &ev);
	}
	if (ignored) {
		t->stats.syn_on_live++;
		return;
	}

	/* What the server's answer to a SYN proves about its port. */
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
		}
	}

	struct fsm_result res;
	fsm_segment(f->ep, from, seg, ts, &res);
	if (res.rst_ignored)
		t->stats.rst_out_of_window++;
	if (res.pend_side >= 0)
		wait_for_quiet(t, f, res.pend_side, res.pend_deadline);
	commit(t, f, ts, &res);
	/* It retransmitted after all: the held alert was right. */
	struct endpoint *s = &f->ep[from];
	if ((s->flags & EP_ALERT_HELD) && !s->pending)
		raise_alert(t, f, from, ts);
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
	t->stats.tcp++;
	if (seg->options & OPT_MALFORMED)
		t->stats.bad_tcp_options++;
	track(t, seg, sf, t->now);
}

int tcpfsm_feed_decoded(struct tcpfsm *t, int64_t ts, uint32_t caplen, int rc,
			const struct segment *seg, const struct seg_flow *sf)
{
	if (rc)
		return feed_skipped(t, ts, caplen, rc);
	feed_segment(t, ts, caplen, seg, sf);
	return 0;
}

void tcpfsm_flow_of(const struct segment *seg, struct seg_flow *sf)
{
	flow_key_make(seg, &sf->key, &sf->sender_is_lo);
	sf->hash = flow_key_hash(&sf->key);
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

int tcpfsm_feed(struct tcpfsm *t, int linktype, int64_t ts, const uint8_t *pkt,
		uint32_t caplen)
{
	struct segment seg;
	struct seg_flow sf;
	int rc = decode_packet(linktype, pkt, caplen, &seg);
	if (rc)
		return feed_skipped(t, ts, caplen, rc);
	tcpfsm_flow_of(&seg, &sf);
	feed_segment(t, ts, caplen, &seg, &sf);
	return 0;
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
	 * cache miss after another, each waiting for the last (62 ms for the
	 * 620k flows left at the end of mix-10M); but flows are mostly taken
	 * from the pool in order too, so the flow some way on in the pool is
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
	int closed = 1;

	run_timers(t, t->now);
	/* Folding windows still open: say now how many they hold. */
	while (closed) {
		const struct alert_group *g =
			alert_folding_expire(t->folding, INT64_MAX, &closed);
		if (g)
			report_folded(t, g, t->now);
	}
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
	heap_clear(&t->pending);
	t->stats.active = 0;
	memset(t->stats.state, 0, sizeof t->stats.state);
}
