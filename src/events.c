/*
 * events.c - state changes applied, and what the tracker says about them.
 *
 * Everything the caller's callback hears passes through here: transitions
 * (commit() applies a fsm_result: endpoints change timer queues, then the
 * events follow in order), the end of a record, alerts and their
 * resolution, aggregates of folded alerts, and the conn.log record of a lone
 * RST. Each event carries a view of its connection built on the stack for
 * the duration of the call only, so no caller can keep a pointer into the
 * pool.
 *
 * Alert holding: an alert can come due while an acknowledgement is on its
 * way to the endpoint (fsm.c's pending promotion). Raising it then would be
 * wrong half the time, so it is held; the endpoint either falls quiet (it got
 * the acknowledgement: the hold is dropped as it changes state) or
 * retransmits (it did not: alert_release_held() raises it then).
 */
#include <stdio.h>
#include <string.h>

#include "tracker.h"

void conn_view(const struct flow *f, struct tcpfsm_conn *c)
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

void emit(struct tcpfsm *t, const struct flow *f, struct tcpfsm_event *ev)
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

/* The host timeout and alert of e's state, counted from e->since. */
static void note_state_deadlines(struct tcpfsm *t, const struct endpoint *e)
{
	if (t->sq.timeout[e->state])
		note_deadline(t, e->since + t->sq.timeout[e->state]);
	if (t->sq.alert_after[e->state])
		note_deadline(t, e->since + t->sq.alert_after[e->state]);
}

/* Endpoint side of f enters state at time ts. */
void ep_enter(struct tcpfsm *t, struct flow *f, int side, int64_t ts)
{
	struct endpoint *e = &f->ep[side];

	e->since = ts;
	e->flags &= (uint16_t)~EP_ALERT_HELD;
	sq_enter(&t->sq, &t->ft, ep_ref(&t->ft, f, side), e->state);
	t->stats.state[side][e->state]++;
	note_state_deadlines(t, e);
}

void ep_leave(struct tcpfsm *t, struct flow *f, int side, int state)
{
	sq_leave(&t->sq, &t->ft, ep_ref(&t->ft, f, side), state);
	t->stats.state[side][state]--;
}

/* At most this often a clock restarts (half_close_in_use()): the alerts and
 * timers it defers are tens of seconds, and each restart moves the
 * endpoint in its state's queue. */
#define RESTART_EVERY SECONDS(1)

static void restart_clock(struct tcpfsm *t, struct flow *f, int side,
			  int64_t ts)
{
	struct endpoint *e = &f->ep[side];

	if (ts - e->since < RESTART_EVERY)
		return;
	ep_leave(t, f, side, e->state);
	ep_enter(t, f, side, ts);
}

/*
 * A half-close in use: a CLOSE_WAIT host that sends data does what its
 * application asked (shutdown() by its peer, not a socket it forgot), and
 * its FIN_WAIT_2 peer that gets it reads on (Linux resets an orphaned
 * socket that is sent data, so no orphan's FIN_WAIT_2 timer runs for it).
 * Neither is stuck while the data goes on: their time in the state, which
 * the CLOSE_WAIT and FIN_WAIT_2 alerts and the FIN_WAIT_2 timer measure,
 * counts from the last of it.
 */
void half_close_in_use(struct tcpfsm *t, struct flow *f, int from,
		       const struct segment *seg, int64_t ts)
{
	if (!seg->payload_len || f->ep[from].state != TCPFSM_CLOSE_WAIT)
		return;
	restart_clock(t, f, from, ts);
	if (f->ep[!from].state == TCPFSM_FIN_WAIT_2)
		restart_clock(t, f, !from, ts);
}

/* Applies the changes fsm produced: each endpoint that moved leaves the
 * queue of the state it was in before the packet and enters its new one;
 * then the events, in order, each showing the connection after the packet. */
/* Is endpoint side of f shown stuck in state by what the sensor saw
 * (alert_has_evidence()), and not by a FIN the sensor may have missed? An
 * alert that rests on a FIN not seen (CLOSE_WAIT, FIN_WAIT_2) says nothing
 * on a lossy sensor (loss.c): a FIN it did not see may have passed all the
 * same. */
static int alert_grounded(const struct tcpfsm *t, const struct flow *f,
			  int side, int state)
{
	if ((state == TCPFSM_CLOSE_WAIT || state == TCPFSM_FIN_WAIT_2) &&
	    sensor_lossy(t))
		return 0;
	return alert_has_evidence(f, side, state);
}

static void raise_alert_in(struct tcpfsm *t, struct flow *f, int side,
			   int state, int64_t ts);

/* An endpoint whose alert was held (something went its way that may have
 * got through) leaves its state as a later delivery to it reaches it:
 * then the earlier one did not, and it was stuck all that time. Silence
 * (QUIET_*) shows instead that it got the earlier one and was never stuck;
 * a move of its own (an answer) is reported a moment after it happened,
 * and the alert would come after the state it names. */
static int held_alert_due(const struct tcpfsm *t, const struct flow *f,
			  const struct fsm_change *ch, int64_t since,
			  int64_t ts)
{
	int64_t after = t->sq.alert_after[ch->from];
	return (f->ep[ch->side].flags & EP_ALERT_HELD) && after &&
	       ts - since >= after && ch->input >= RCV_SYN &&
	       ch->input <= RCV_RST && alert_grounded(t, f, ch->side, ch->from);
}

void commit(struct tcpfsm *t, struct flow *f, int64_t ts,
	    const struct fsm_result *res)
{
	if (!res->n) /* most packets move no one */
		return;
	int before[2] = {-1, -1};
	int64_t since[2] = {f->ep[0].since, f->ep[1].since};

	for (int i = 0; i < res->n; i++)
		if (before[res->change[i].side] < 0)
			before[res->change[i].side] = res->change[i].from;
	/* 1: a correction back to the state it had left; 2: to the state it
	 * was in instead of the one it was read in. */
	int restored[2] = {0, 0};
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < res->n; i++)
			if (res->change[i].side == s) {
				if (held_alert_due(t, f, &res->change[i],
						   since[s], ts))
					raise_alert_in(t, f, s, before[s], ts);
				break;
			}
	for (int i = 0; i < res->n; i++) {
		const struct fsm_change *ch = &res->change[i];
		struct endpoint *e = &f->ep[ch->side];
		/* A correction back to the state it had left undoes a move
		 * that never happened: it has been there since it entered.
		 * One to another state names where it went instead, when it
		 * was read to have entered the wrong one. */
		if (!ch->correction || before[ch->side] != ch->from)
			restored[ch->side] = 0;
		else
			restored[ch->side] = ch->to == e->prev_state ? 1 : 2;
	}
	for (int s = 0; s < 2; s++) {
		if (before[s] < 0)
			continue;
		struct endpoint *e = &f->ep[s];
		int64_t back = since[s] - (int64_t)e->prev_ms * 1000;
		int64_t held = ts - since[s];
		ep_leave(t, f, s, before[s]);
		ep_enter(t, f, s, ts);
		e->prev_state = (uint8_t)before[s];
		e->prev_ms = held / 1000 > UINT32_MAX ? UINT32_MAX
						      : (uint32_t)(held / 1000);
		/* Its queue keeps entry order: at worst a later entrant's
		 * timer goes first, and this one's follows it. */
		if (restored[s]) {
			e->since = restored[s] == 1 ? back : since[s];
			note_state_deadlines(t, e); /* earlier than entry's */
		}
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
	/* Stuck longer than its threshold all along: its alert is due now. */
	for (int s = 0; s < 2; s++) {
		int64_t after = t->sq.alert_after[f->ep[s].state];
		if (restored[s] && after && f->ep[s].since + after <= ts)
			alert_came_due(t, f, s, ts);
	}
}

/* The events of a connection's end, which end_flow() then forgets. */
void report_end(struct tcpfsm *t, struct flow *f, int64_t ts,
		enum tcpfsm_end_reason reason)
{
	/* Expired or evicted while stuck: the episode ends with the record.
	 * At the end of a capture it has not ended; it is only unobserved. */
	if (reason == TCPFSM_END_IDLE || reason == TCPFSM_END_EVICTED)
		for (int s = 0; s < 2; s++)
			resolve(t, f, s, f->ep[s].state, -1, f->ep[s].since,
				ts);
	stall_end(t, f, ts, (int)reason);
	if (!(f->ep[0].flags & EP_SEEN) || !(f->ep[1].flags & EP_SEEN))
		t->stats.one_sided++;
	if (t->fn) {
		struct tcpfsm_conn_record rec;
		const struct zeek_conn *z = zeek_of(t, f);
		int has_record = z && zeek_record(z, &rec);
		struct tcpfsm_event ev = {.type = TCPFSM_EV_END,
					  .ts = ts,
					  .end_reason = reason,
					  .record = has_record ? &rec : NULL};
		emit(t, f, &ev);
	}
}

/* The alert for endpoint side of f, stuck in state, goes out (unless
 * folded or rate limited). */
int alert_admitted(struct tcpfsm *t, const struct flow *f, int side, int key,
		   int64_t ts)
{
	if (!alert_fold(t->folding, f, side, key, ts)) {
		t->stats.alerts_folded++;
		return 0;
	}
	note_deadline(t, alert_folding_deadline(t->folding));
	if (!alert_rate_allow(t->folding, ts)) {
		t->stats.alerts_suppressed++;
		return 0;
	}
	return 1;
}

static void raise_alert_in(struct tcpfsm *t, struct flow *f, int side,
			   int state, int64_t ts)
{
	struct endpoint *e = &f->ep[side];

	e->flags &= (uint16_t)~EP_ALERT_HELD;
	if (!alert_admitted(t, f, side, state, ts))
		return;
	e->flags |= EP_ALERTED;
	t->stats.alerts++;
	t->stats.alerts_by_state[state]++;
	alert_diagnose(f, side, state, t->diagnosis, sizeof t->diagnosis);
	if (sensor_lossy(t)) {
		size_t n = strlen(t->diagnosis);
		snprintf(t->diagnosis + n, sizeof t->diagnosis - n,
			 " (this capture misses packets: %.1f %% of the "
			 "acknowledgements seen lately covered data it never "
			 "saw)",
			 sensor_loss_percent(t));
	}
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

static void raise_alert(struct tcpfsm *t, struct flow *f, int side, int64_t ts)
{
	raise_alert_in(t, f, side, f->ep[side].state, ts);
}

/* Its peer waits to fall quiet on its SYN or SYN/ACK (QUIET_SYN,
 * QUIET_SYNACK): if the peer got it, the answer it waits for in its state
 * went its way unseen. Only the peer's own copies will tell, not its own.
 * (A FIN's answer is told by its own copies: it is silent, or resends.) */
static int answer_may_be_unseen(const struct flow *f, int side)
{
	uint8_t p = f->ep[!side].pending;
	return p == QUIET_SYN || p == QUIET_SYNACK;
}

/* Endpoint side of f has been in its state for its alert threshold. */
void alert_came_due(struct tcpfsm *t, struct flow *f, int side, int64_t ts)
{
	struct endpoint *e = &f->ep[side];

	if (e->flags & EP_ALERTED)
		return; /* raised already, when a correction restored since */
	if (e->pending || answer_may_be_unseen(f, side) ||
	    !alert_grounded(t, f, side, e->state) ||
	    blind_syn_unanswered(t, f)) {
		/* An acknowledgement went its way, or its peer's answer may
		 * have, or nothing on the wire shows it stuck yet: if it
		 * falls quiet, it got what it waited for and was never stuck;
		 * if it retransmits, alert then. Or a SYN from a new socket on
		 * its 4-tuple awaits its answer: a SYN/ACK will show the
		 * connection long over. */
		e->flags |= EP_ALERT_HELD;
		return;
	}
	raise_alert(t, f, side, ts);
}

/* Endpoint side of f sent a packet: if its alert was held and neither it
 * nor its peer waits to fall quiet any longer, or the packet was a
 * retransmission (which, even crossing the latest copy toward it, proves
 * the earlier copies never arrived), the held alert was right. */
void alert_release_held(struct tcpfsm *t, struct flow *f, int side,
			int retransmitted, int64_t ts)
{
	struct endpoint *s = &f->ep[side];
	if ((s->flags & EP_ALERT_HELD) &&
	    (retransmitted ||
	     (!s->pending && !answer_may_be_unseen(f, side))) &&
	    alert_grounded(t, f, side, s->state))
		raise_alert(t, f, side, ts);
}

/* A folding window closed with alerts counted in it: one aggregate alert. */
static void report_folded(struct tcpfsm *t, const struct alert_group *g,
			  int64_t ts)
{
	char server[TCPFSM_ADDRSTRLEN], sample[TCPFSM_ADDRSTRLEN];
	struct tcpfsm_conn c = {.id = g->sample, .client = g->sample_client};
	/* A stall's group (stall.c) is keyed past the states: its kind's
	 * name, shown in ESTABLISHED, where stalls are. */
	const char *stall = stall_fold_name(g->key.state);
	int state = stall ? TCPFSM_ESTABLISHED : g->key.state;

	if (!alert_rate_allow(t->folding, ts)) {
		t->stats.alerts_suppressed++;
		return;
	}
	t->stats.alerts++;
	if (stall)
		t->stats.alerts_by_stall[g->key.state - STALL_FOLD_KEY]++;
	else
		t->stats.alerts_by_state[state]++;
	c.server.family = g->key.family;
	c.server.port = g->key.port;
	memcpy(c.server.ip, g->key.ip, sizeof c.server.ip);
	c.state[g->key.side] = state;
	tcpfsm_addr_format(&c.server, server);
	tcpfsm_addr_format(&c.client, sample);
	snprintf(t->diagnosis, sizeof t->diagnosis,
		 "%llu more %s endpoints of connections to %s were stuck in "
		 "%s%s%s within %.1f s after the first one alerted (e.g. #%llu "
		 "from %s)",
		 (unsigned long long)g->folded, tcpfsm_side_name(g->key.side),
		 server, tcpfsm_state_name(state), stall ? " with " : "",
		 stall ? stall : "", (double)(ts - g->opened) / 1e6,
		 (unsigned long long)g->sample, sample);
	struct tcpfsm_event ev = {.type = TCPFSM_EV_ALERT,
				  .ts = ts,
				  .conn = &c,
				  .endpoint = g->key.side,
				  .alert = stall ? stall
						 : tcpfsm_alert_name(state),
				  .state = state,
				  .since = g->opened,
				  .duration = ts - g->opened,
				  .diagnosis = t->diagnosis,
				  .count = g->folded,
				  .aggregate = 1};
	if (t->fn)
		t->fn(&ev, t->user);
}

/* Closes the oldest folding window if it is over by now, reporting its
 * aggregate (if it folded anything) stamped at. Returns 0 when no window
 * was over: the caller's loop is done. */
int fold_expire(struct tcpfsm *t, int64_t now, int64_t at)
{
	int closed;
	const struct alert_group *g =
		alert_folding_expire(t->folding, now, &closed);
	if (g)
		report_folded(t, g, at);
	return closed;
}

/* The conn.log record of a RST that belongs to no tracked connection. */
void report_lone_rst(struct tcpfsm *t, const struct segment *seg, int64_t ts)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record rec;
	struct tcpfsm_conn c = {
		.id = t->next_id++, .first_ts = ts, .last_ts = ts};

	if (!t->fn || !t->zeek)
		return;
	zeek_init(&z);
	zeek_packet(&z, TCPFSM_CLIENT, seg, ts, 0, NULL);
	if (!zeek_record(&z, &rec))
		return; /* a packet Zeek ignores */
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
