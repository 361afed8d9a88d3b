/*
 * stall.c - stalls of established connections: the hang users meet most.
 *
 * Both hosts hold ESTABLISHED and nothing moves, so no state says it; the
 * segments do. Each endpoint keeps one struct stall (flow.h, 16 bytes) for
 * the episode it is in, in one of three roles:
 *
 *  - a sender (STALL_DATA). `since` is its last progress: its peer's ACK
 *    last advanced, or it sent data when nothing was outstanding. Only the
 *    oldest unacknowledged segment (the head, at the peer's ACK) counts:
 *    SACK recovery resends many holes within a round trip, a stalled head
 *    is resent at every timeout. Three ways to be stuck, three sides of the
 *    sensor:
 *      copies of the head pass here and no ACK comes back: lost between
 *        this sensor and the receiver (or the receiver is gone);
 *      it resends data whose ACK passed here (ST_ACKED): the ACK is lost
 *        between this sensor and the sender. From then on the ACKs that
 *        pass here are not its progress, nor is its new data (a tail-loss
 *        probe or room in its window sends some without any ACK): with
 *        timestamps, its TSecr says what it heard (`hole` keeps the one
 *        it echoed when it resent acknowledged data), and the episode
 *        ends only when that moves;
 *      the sequence number jumps over bytes the sensor never saw (ST_HOLE)
 *        and the receiver's later ACKs stay below them (ST_HOLE_PROVEN):
 *        lost between the sender and this sensor. The sensor's own loss
 *        looks different: the receiver got the bytes, and its ACK moves
 *        past them (progress), or above anything seen (EP_GAP).
 *    It becomes an MTU black hole when a smaller segment sent beyond the
 *    failing one was answered by the receiver (a duplicate ACK, often with
 *    SACK) while the large one keeps failing.
 *    A capture that reorders hands over that duplicate ACK before the
 *    segment it answers: a duplicate ACK while nothing of the sender is
 *    outstanding here says its receiver got data of it this sensor has
 *    not seen, and holds its ACK below it. If the sender's next segment
 *    here jumps over unseen bytes, it is that data, come late, and the
 *    ACK proved the bytes skipped missing (ST_AHEAD, kept while nothing
 *    is outstanding, consumed by the sender's next segment). Not on a
 *    direction of which the sensor misses packets (EP_GAP), nor for the
 *    answer of a keepalive or of a zero-window probe.
 *  - a receiver (STALL_ZERO_WINDOW): it advertises a zero window; the
 *    episode counts its peer's probes and ends when the window opens.
 *  - a prober (STALL_KEEPALIVE): keepalives (one byte below its send
 *    sequence, nothing outstanding, the peer's window open); any segment
 *    from the peer answers them. A live peer answers a probe at once (an
 *    immediate ACK, RFC 1122 4.2.3.6: no delayed ACK applies), so a probe
 *    is unanswered when no answer passed here within the retransmission
 *    timeout a TCP would give it (ANSWER_WAIT). That silence is evidence
 *    only on a connection of which the sensor has missed nothing (EP_GAP
 *    on neither side): a lossy sensor misses answers too. The probes'
 *    timestamp echoes are evidence the sensor's loss cannot touch: a probe
 *    echoes the newest timestamp its host received from its peer, so one
 *    that echoes what the first probe echoed proves every probe before it
 *    unanswered, and one that echoes a newer timestamp proves its host
 *    heard its peer, answers the sensor missed: the episode starts again
 *    from it. (The next probe alone proves nothing: with a keepalive time
 *    shorter than its interval, a stack probes again after an answer.)
 *    The fields the data roles use serve it so (no byte more per flow):
 *    `hole` holds the first probe's echo (ST_ECHO: the probes carry
 *    timestamps), `fail` and `pass` the last probe's time (ms after the
 *    flow's first packet, high half in `fail`).
 *
 * Alerts come due on a packet (a retransmission count reached) or from
 * the clock (a duration reached with the packets' time, even when nothing
 * more passes): a heap of deadlines, re-checked when they fire, so stale
 * entries cost one look. Alerts are folded and rate limited as the state
 * alerts are (alerts.c), under keys of their own, and followed by a
 * resolved event when the episode ends.
 *
 * Once data or keepalives are proven to die after the sensor, the endpoint
 * behind the dead path is marked EP_PATH_DEAD: fsm.c then assumes nothing
 * delivered to it (the RST a keepalive prober sends when it gives up does
 * not close its unreachable peer). The mark goes when it shows it receives
 * again. The hosts' own give-up is modelled here too: a sender whose head
 * stays unacknowledged for give_up_unacked (tcp_retries2) closes silently,
 * a prober after give_up_keepalives probes and one more interval closes
 * (its RST, if it passes, closes it first).
 *
 * Per packet: a few comparisons on the flow's own record; nothing else is
 * touched unless an episode starts, comes due or ends.
 */
#include <stdio.h>
#include <string.h>

#include "stall.h"
#include "tracker.h"

/* How long a live peer may take to answer a keepalive that passed here:
 * the retransmission timeout a TCP would set from the round trip the
 * sensor measured between itself and the peer (RFC 6298 after one sample,
 * SRTT + 4 RTTVAR = 3 RTT), not below Linux's 200 ms minimum, and RFC
 * 6298's initial 1 s when the handshake was not seen. */
#define ANSWER_RTO_MIN	   200000  /* µs */
#define ANSWER_RTO_UNKNOWN 1000000 /* µs */

/* No stack probes again within a round trip to its peer (Linux's least
 * keepalive interval is 1 s): a copy that soon is the capture seeing one
 * probe twice (fsm.c's rule for duplicates; 2 ms: one, plus the ms the
 * last probe's time is rounded to). */
#define PROBE_COPY_WINDOW 2000 /* µs */

/* States whose host sends data and can stall doing so. */
static int can_stall(int state)
{
	return state == TCPFSM_ESTABLISHED || state == TCPFSM_CLOSE_WAIT;
}

/* States whose host receives data (and advertises windows). */
static int receiving(int state)
{
	return state == TCPFSM_ESTABLISHED || state == TCPFSM_FIN_WAIT_1 ||
	       state == TCPFSM_FIN_WAIT_2;
}

static int64_t since_of(const struct flow *f, const struct stall *st)
{
	return f->first_ts + (int64_t)st->since_ms * 1000;
}

static void set_since(const struct flow *f, struct stall *st, int64_t ts)
{
	int64_t ms = (ts - f->first_ts) / 1000;
	st->since_ms = ms < 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* A prober's last probe (`fail` and `pass`, stall.c's header). */
static int64_t last_probe(const struct flow *f, const struct stall *st)
{
	uint32_t ms = (uint32_t)st->fail << 16 | st->pass;
	return f->first_ts + (int64_t)ms * 1000;
}

static void set_last_probe(const struct flow *f, struct stall *st, int64_t ts)
{
	int64_t ms = (ts - f->first_ts) / 1000;
	uint32_t v = ms < 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	st->fail = (uint16_t)(v >> 16);
	st->pass = (uint16_t)v;
}

/* The deadline of an answer to a probe from endpoint side of f. */
static int64_t answer_wait(const struct flow *f, int side)
{
	int64_t rtt = f->ep[!side].rtt;
	if (!rtt)
		return ANSWER_RTO_UNKNOWN;
	return 3 * rtt > ANSWER_RTO_MIN ? 3 * rtt : ANSWER_RTO_MIN;
}

/* Has the sensor missed packets of f (a content gap either way)? */
static int lossy(const struct flow *f)
{
	return ((f->ep[0].flags | f->ep[1].flags) & EP_GAP) != 0;
}

/* How many of a prober's probes are proven unanswered at ts: with
 * timestamps, all but the last by their successors' unchanged echo; the
 * last (without timestamps, every one) by no answer passing here in time,
 * where the sensor has missed nothing of the connection. */
static unsigned unanswered(const struct flow *f, int side, int64_t ts)
{
	const struct stall *st = &f->ep[side].stall;
	unsigned n = st->count, before = n ? n - 1 : 0;
	int silent =
		!lossy(f) && ts - last_probe(f, st) >= answer_wait(f, side);

	if (st->flags & ST_ECHO)
		return before + (silent ? 1 : 0);
	return silent ? n : 0;
}

static void bump(uint8_t *n)
{
	if (*n < UINT8_MAX)
		(*n)++;
}

/* The alert kind the episode of e stands for now. */
static enum tcpfsm_stall_kind kind_of(const struct stall *st)
{
	switch (st->kind) {
	case STALL_ZERO_WINDOW:
		return TCPFSM_STALL_ZERO_WINDOW;
	case STALL_KEEPALIVE:
		return TCPFSM_STALL_KEEPALIVE;
	default:
		return st->pass &&
				       !(st->flags &
					 (ST_PASS_PENDING | ST_ACKED)) &&
				       st->pass < st->fail
			       ? TCPFSM_STALL_MTU_BLACKHOLE
			       : TCPFSM_STALL_UNACKED_DATA;
	}
}

const char *stall_fold_name(int key)
{
	return key >= STALL_FOLD_KEY ? tcpfsm_stall_name(key - STALL_FOLD_KEY)
				     : NULL;
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */

static void arm(struct tcpfsm *t, struct flow *f, int side, int64_t deadline)
{
	struct heap_entry h = {deadline, ep_ref(&t->ft, f, side), 0};
	if (heap_push(&t->stalls, h) == 0)
		note_deadline(t, deadline);
}

int64_t stall_deadline(const struct tcpfsm *t)
{
	return t->stalls.n ? heap_top(&t->stalls)->deadline : INT64_MAX;
}

/* ------------------------------------------------------------------ */
/* Episodes                                                            */

static void clear_dead(struct flow *f, int side)
{
	struct stall *st = &f->ep[side].stall;
	if (st->flags & ST_DEAD_PEER)
		f->ep[!side].flags &= (uint16_t)~EP_PATH_DEAD;
	if (st->flags & ST_DEAD_SELF)
		f->ep[side].flags &= (uint16_t)~EP_PATH_DEAD;
}

/* The episode of endpoint side of f ends at ts (to: the state it is in,
 * or -1 when its record expired): resolved if its alert went out. A new
 * episode may start at once; `since` is left for the caller. The dead
 * path marks stay (clear_dead() is the caller's, when the path shows it
 * works). */
static void close_episode(struct tcpfsm *t, struct flow *f, int side, int to,
			  int64_t ts)
{
	struct endpoint *e = &f->ep[side];
	struct stall *st = &e->stall;

	if (st->alerted) {
		int64_t since = since_of(f, st);
		struct tcpfsm_event ev = {
			.type = TCPFSM_EV_RESOLVED,
			.ts = ts,
			.endpoint = side,
			.alert = tcpfsm_stall_name(st->alerted - 1),
			/* Stalls happen in ESTABLISHED but for a sender in
			 * CLOSE_WAIT or a receiver closing: where it still
			 * is, else ESTABLISHED. */
			.state = to == e->state && e->state != TCPFSM_CLOSED
					 ? e->state
					 : TCPFSM_ESTABLISHED,
			.since = since,
			.duration = ts - since,
			.resolved_to = to};
		t->stats.resolved++;
		st->alerted = 0;
		emit(t, f, &ev);
	}
	st->kind = STALL_NONE;
	st->flags = 0;
	st->count = 0;
	st->fail = st->pass = 0;
}

/* The episode ends with the path it was stuck behind working again (or
 * no longer in question). */
static void end_episode(struct tcpfsm *t, struct flow *f, int side, int to,
			int64_t ts)
{
	clear_dead(f, side);
	close_episode(t, f, side, to, ts);
}

static void start(struct tcpfsm *t, struct flow *f, int side, int kind,
		  int64_t ts)
{
	struct stall *st = &f->ep[side].stall;
	if (st->kind != STALL_NONE)
		end_episode(t, f, side, f->ep[side].state, ts);
	st->kind = (uint8_t)kind;
	set_since(f, st, ts);
}

/* ------------------------------------------------------------------ */
/* Diagnoses                                                           */

static void diagnose(const struct tcpfsm *t, const struct flow *f, int side,
		     enum tcpfsm_stall_kind kind, int64_t ts, char *buf,
		     size_t size)
{
	const struct endpoint *e = &f->ep[side];
	const struct stall *st = &e->stall;
	char host[TCPFSM_ADDRSTRLEN], peer[TCPFSM_ADDRSTRLEN];
	struct tcpfsm_addr a;
	double secs = (double)(ts - since_of(f, st)) / 1e6;
	unsigned n = st->count;
	const char *more = n == UINT8_MAX ? " or more" : "";
	const char *s = n == 1 ? "" : "s";

	(void)t;
	flow_addr(f, side, &a);
	tcpfsm_addr_format(&a, host);
	flow_addr(f, !side, &a);
	tcpfsm_addr_format(&a, peer);

	switch (kind) {
	case TCPFSM_STALL_ZERO_WINDOW:
		snprintf(buf, size,
			 "%s has advertised a zero window for %.1f s while %s "
			 "probes it (%u probe%s%s): the application on %s is "
			 "not reading its socket",
			 host, secs, peer, n, s, more, host);
		return;
	case TCPFSM_STALL_KEEPALIVE:
		n = unanswered(f, side, ts);
		snprintf(
			buf, size,
			"%u keepalive probes from %s passed here in %.1f s and "
			"none was answered: lost between this sensor and %s, "
			"or %s is unreachable or gone%s",
			n, host, secs, peer, peer,
			lossy(f) ? " (this sensor misses packets of this "
				   "connection; the probes' timestamp echoes "
				   "show no answer reached it)"
				 : "");
		return;
	case TCPFSM_STALL_MTU_BLACKHOLE:
		if ((st->flags & ST_HOLE) && !(st->flags & ST_RETX))
			snprintf(
				buf, size,
				"segments of %u bytes from %s are lost between "
				"%s and this sensor (never seen here); "
				"%u-byte ones pass: a path MTU black hole "
				"(no progress for %.1f s)",
				st->fail, host, host, st->pass, secs);
		else
			snprintf(
				buf, size,
				"segments of %u bytes from %s are lost between "
				"this sensor and %s (%u retransmission%s%s); "
				"%u-byte ones pass: a path MTU black hole (no "
				"progress for %.1f s)",
				st->fail, host, peer, n, s, more, st->pass,
				secs);
		return;
	default:
		break;
	}
	if (st->flags & ST_ACKED)
		snprintf(buf, size,
			 "%s retransmits data (%u retransmission%s%s) although "
			 "%s's ACK of it passed here: the ACK is lost between "
			 "this sensor and %s (no progress for %.1f s)",
			 host, n, s, more, peer, host, secs);
	else if (st->flags & ST_RETX)
		snprintf(buf, size,
			 "data from %s passed here and no ACK came back from "
			 "%s (%u retransmission%s%s, no progress for %.1f s): "
			 "lost between this sensor and %s, or %s is gone",
			 host, peer, n, s, more, secs, peer, peer);
	else
		snprintf(
			buf, size,
			"%s acknowledges %s only up to the %u bytes that never "
			"passed here (no progress for %.1f s): lost between %s "
			"and this sensor",
			peer, host, st->fail, secs, host);
}

/* ------------------------------------------------------------------ */
/* Alerts                                                              */

/* Is the episode of endpoint side of f due for its alert at ts? */
static int alert_due(const struct tcpfsm *t, const struct flow *f, int side,
		     int64_t ts)
{
	const struct endpoint *e = &f->ep[side], *p = &f->ep[!side];
	const struct stall *st = &e->stall;
	const struct tcpfsm_options *o = &t->opt;
	int64_t held = ts - since_of(f, st);

	if (st->flags & ST_RAISED)
		return 0;
	switch (st->kind) {
	case STALL_DATA:
		if (!can_stall(e->state))
			return 0;
		if (o->stall_retransmissions &&
		    st->count >= o->stall_retransmissions)
			return 1;
		/* Twice resent, or its loss before the sensor proven: a stack
		 * slower than Linux to retransmit is caught by the time. */
		return o->stall_unacked && held >= o->stall_unacked &&
		       (st->count >= 2 || (st->flags & ST_HOLE_PROVEN));
	case STALL_ZERO_WINDOW:
		return o->stall_zero_window && held >= o->stall_zero_window &&
		       st->count > 0 && receiving(e->state);
	case STALL_KEEPALIVE:
		return o->stall_keepalives && can_stall(e->state) &&
		       (p->flags & EP_SEEN) &&
		       unanswered(f, side, ts) >= o->stall_keepalives;
	default:
		return 0;
	}
}

static void raise_stall(struct tcpfsm *t, struct flow *f, int side, int64_t ts)
{
	struct endpoint *e = &f->ep[side];
	struct stall *st = &e->stall;
	enum tcpfsm_stall_kind kind = kind_of(st);

	st->flags |= ST_RAISED;
	/* The path the evidence proves dead: what is sent into it is not
	 * assumed delivered (fsm.c). */
	if (st->kind == STALL_KEEPALIVE ||
	    (st->kind == STALL_DATA && (st->flags & ST_RETX) &&
	     !(st->flags & ST_ACKED))) {
		f->ep[!side].flags |= EP_PATH_DEAD;
		st->flags |= ST_DEAD_PEER;
	} else if (st->kind == STALL_DATA && (st->flags & ST_ACKED)) {
		e->flags |= EP_PATH_DEAD;
		st->flags |= ST_DEAD_SELF;
	}
	if (!alert_admitted(t, f, side, STALL_FOLD_KEY + (int)kind, ts))
		return;
	st->alerted = (uint8_t)(kind + 1);
	t->stats.alerts++;
	t->stats.alerts_by_stall[kind]++;
	diagnose(t, f, side, kind, ts, t->diagnosis, sizeof t->diagnosis);
	struct tcpfsm_event ev = {.type = TCPFSM_EV_ALERT,
				  .ts = ts,
				  .endpoint = side,
				  .alert = tcpfsm_stall_name(kind),
				  .state = e->state,
				  .since = since_of(f, st),
				  .duration = ts - since_of(f, st),
				  .diagnosis = t->diagnosis,
				  .count = 1};
	emit(t, f, &ev);
}

/* The next deadline of endpoint side's episode after ts: its alert by
 * time, or its host's give-up. INT64_MAX if none. */
static int64_t next_deadline(const struct tcpfsm *t, const struct flow *f,
			     int side)
{
	const struct stall *st = &f->ep[side].stall;
	const struct tcpfsm_options *o = &t->opt;
	int64_t since = since_of(f, st);

	switch (st->kind) {
	case STALL_DATA:
		if (!(st->flags & ST_RAISED) && o->stall_unacked)
			return since + o->stall_unacked;
		if (o->give_up_unacked && (st->flags & (ST_RETX | ST_HOLE)))
			return since + o->give_up_unacked;
		return INT64_MAX;
	case STALL_ZERO_WINDOW:
		return !(st->flags & ST_RAISED) && o->stall_zero_window
			       ? since + o->stall_zero_window
			       : INT64_MAX;
	case STALL_KEEPALIVE:
		/* The last probe's answer, once it would complete the count
		 * (a sensor that missed packets of the connection waits for
		 * the next probe's echo instead). */
		return !(st->flags & ST_RAISED) && o->stall_keepalives &&
				       st->count >= o->stall_keepalives &&
				       !lossy(f)
			       ? last_probe(f, st) + answer_wait(f, side)
			       : INT64_MAX;
	default:
		return INT64_MAX;
	}
}

/* The host's own give-up on a stalled connection: it closes. */
static void give_up(struct tcpfsm *t, struct flow *f, int side,
		    enum fsm_input in, int64_t ts)
{
	struct fsm_result res = {0};
	fsm_apply(f->ep, side, in, ts, &res);
	commit(t, f, ts, &res);
	stall_after(t, f, ts);
}

/* Checks endpoint side of f at ts: raises its alert if due, applies its
 * host's give-up if due, and arms its next deadline. */
enum { CHECK, CHECK_ARM, CHECK_FIRED };

static void check(struct tcpfsm *t, struct flow *f, int side, int64_t ts,
		  int mode)
{
	struct stall *st = &f->ep[side].stall;

	if (st->kind == STALL_NONE)
		return;
	if (alert_due(t, f, side, ts))
		raise_stall(t, f, side, ts);
	if (st->kind == STALL_DATA && t->opt.give_up_unacked &&
	    (st->flags & (ST_RETX | ST_HOLE)) &&
	    ts - since_of(f, st) >= t->opt.give_up_unacked &&
	    can_stall(f->ep[side].state)) {
		give_up(t, f, side, GIVE_UP_RETRIES, ts);
		return;
	}
	/* A prober that sent its last probe closes an interval later with
	 * none answered (its RST, if seen first, closed it already). */
	if (st->kind == STALL_KEEPALIVE && t->opt.give_up_keepalives &&
	    st->count >= t->opt.give_up_keepalives && st->count > 1 &&
	    can_stall(f->ep[side].state)) {
		int64_t last = last_probe(f, st);
		int64_t at = last + (last - since_of(f, st)) / (st->count - 1);
		if (mode == CHECK_FIRED && ts >= at) {
			give_up(t, f, side, GIVE_UP_KEEPALIVE, ts);
			return;
		}
		if (st->count == t->opt.give_up_keepalives &&
		    mode != CHECK_FIRED)
			arm(t, f, side, at);
	}
	int64_t next = next_deadline(t, f, side);
	if (mode != CHECK && next > ts && next != INT64_MAX)
		arm(t, f, side, next);
}

void stall_fire(struct tcpfsm *t, int64_t at)
{
	struct heap_entry h = *heap_top(&t->stalls);
	heap_pop(&t->stalls);
	struct flow *f = ref_flow(&t->ft, h.ref);
	if (!f->in_use)
		return;
	check(t, f, (int)(h.ref % 2), at, CHECK_FIRED);
}

/* ------------------------------------------------------------------ */
/* Per segment                                                         */

/* Does the timestamp echo of seg, from a sender whose ACKs are lost
 * after the sensor (ST_ACKED), say whether it heard its peer r since it
 * resent acknowledged data? A host echoes the latest timestamp of a
 * segment in sequence (RFC 7323: at or below what it acknowledged), so
 * only while it has acknowledged all r sent: then any ACK of r reaching it
 * moves its echo. Not without timestamps, nor when bytes it sent were
 * missing here in the same episode (`hole` holds no echo then). */
static int echo_tells(const struct stall *st, const struct endpoint *r,
		      const struct segment *seg)
{
	return st->kind == STALL_DATA &&
	       (st->flags & (ST_ACKED | ST_HOLE)) == ST_ACKED &&
	       (seg->options & OPT_TIMESTAMP) && seq_geq(seg->ack, r->snd_nxt);
}

/* Receiver s (= ep[from]) reports, in the first SACK block of seg, a
 * segment r sent that never passed here (the sensor missed it) above its
 * cumulative ACK: r's receiver got that segment and not what lies below
 * it. Its size gets through, as if the segment had passed here and been
 * answered; and the bytes between all the sensor saw of r and the block,
 * if any, were sent unseen, as a sequence jump would show them (on_data),
 * with the ACK below them (ST_HOLE_PROVEN). Not on a direction of which
 * the sensor misses packets as a content gap shows (EP_GAP), whose hole
 * may be its own. (A block of data that did pass here is on_data's: that
 * segment and the duplicate ACK answering it.) */
static void on_sack(struct tcpfsm *t, struct flow *f, int from,
		    const struct segment *seg, int64_t ts)
{
	struct endpoint *r = &f->ep[!from];
	struct stall *rs = &r->stall;
	uint32_t nxt = r->snd_nxt, len = seg->sack_right - seg->sack_left;

	if (!(seg->options & OPT_SACK) || !(r->flags & EP_SEEN) ||
	    !can_stall(r->state) ||
	    (rs->kind != STALL_DATA && rs->kind != STALL_NONE) ||
	    !seq_lt(seg->ack, seg->sack_left) ||
	    !seq_geq(seg->sack_left, nxt) || seq_lt(nxt, seg->ack))
		return;
	if (rs->kind == STALL_NONE) {
		/* Its last progress is `since`; a reordered duplicate ACK's
		 * mark (ST_AHEAD) is no proof of this. */
		rs->flags &= (uint8_t)~ST_AHEAD;
		rs->kind = STALL_DATA;
	}
	if (len < UINT16_MAX && (!rs->fail || len < rs->fail) &&
	    len > rs->pass) {
		rs->pass = (uint16_t)len;
		rs->flags &= (uint8_t)~ST_PASS_PENDING;
	}
	if (seq_lt(nxt, seg->sack_left) && !(rs->flags & ST_HOLE) &&
	    !(r->flags & EP_GAP)) {
		uint32_t gap = seg->sack_left - nxt;
		rs->flags |= ST_HOLE | ST_HOLE_PROVEN;
		rs->hole = nxt;
		rs->fail = gap > UINT16_MAX ? UINT16_MAX : (uint16_t)gap;
		if (rs->pass >= rs->fail)
			rs->pass = 0;
		check(t, f, !from, ts, CHECK_ARM);
	}
}

/* Receiver r (= ep[!from]) and sender s: the segment's acknowledgement
 * number, before fsm.c takes it: progress for r's data. */
static void on_ack(struct tcpfsm *t, struct flow *f, int from,
		   const struct segment *seg, int64_t ts, int probe_answer)
{
	struct endpoint *s = &f->ep[from], *r = &f->ep[!from];
	struct stall *rs = &r->stall;

	if (!(s->flags & EP_SENT_ACK) || seq_lt(s->ack, seg->ack)) {
		/* New data acknowledged: s receives, and r progresses. */
		s->flags &= (uint16_t)~EP_PATH_DEAD;
		/* ... unless r is proven not to hear these ACKs, and this
		 * one would move r's timestamp echo if it reached r (in
		 * sequence, a timestamp r has not echoed): r's own echo will
		 * say whether it did (on_data). */
		if (rs->kind == STALL_DATA &&
		    (rs->flags & (ST_ACKED | ST_HOLE)) == ST_ACKED &&
		    (seg->options & OPT_TIMESTAMP) &&
		    seq_geq(r->ack, seg->seq) && seq_lt(rs->hole, seg->tsval))
			return;
		if (rs->kind == STALL_DATA)
			end_episode(t, f, !from, r->state, ts);
		if (rs->kind == STALL_NONE)
			set_since(f, rs, ts);
		if (seg->options & OPT_SACK) /* the call only when it may */
			on_sack(t, f, from, seg, ts);
		return;
	}
	/* A duplicate ACK answering the smaller segment r sent beyond the
	 * oldest unacknowledged one: that size gets through. */
	if ((rs->flags & ST_PASS_PENDING) && seg->ack == s->ack &&
	    seg->payload_len == 0)
		rs->flags &= (uint8_t)~ST_PASS_PENDING;
	/* A duplicate ACK with nothing of r outstanding here: r's next
	 * segment may be what it answers, reordered (ST_AHEAD). */
	if (rs->kind == STALL_NONE && !probe_answer && seg->payload_len == 0 &&
	    !(seg->flags & TH_FIN) && seg->ack == s->ack &&
	    seg->window == s->window && seg->window != 0 &&
	    seq_geq(seg->ack, r->snd_nxt) && !(r->flags & EP_GAP))
		rs->flags |= ST_AHEAD;
	/* An ACK that stops below the bytes r sent unseen: they are lost
	 * before the sensor (the sensor's own loss would show the ACK move
	 * past them). */
	if (rs->kind == STALL_DATA && (rs->flags & ST_HOLE) &&
	    seq_geq(rs->hole, seg->ack) && !(r->flags & EP_GAP))
		rs->flags |= ST_HOLE_PROVEN;
	if (!probe_answer && (seg->options & OPT_SACK))
		on_sack(t, f, from, seg, ts);
}

/* The segment as data from sender s (= ep[from]) to r. */
static void on_data(struct tcpfsm *t, struct flow *f, int from,
		    const struct segment *seg, int64_t ts, int ahead)
{
	struct endpoint *s = &f->ep[from], *r = &f->ep[!from];
	struct stall *st = &s->stall;
	uint32_t len = seg->payload_len, end = seg->seq + len;
	uint32_t una = r->ack, nxt = s->snd_nxt;

	if (!(r->flags & EP_SENT_ACK) || !(r->flags & EP_SEEN))
		return; /* its receiver's ACKs are not seen: no evidence */
	if (st->kind != STALL_DATA && st->kind != STALL_NONE)
		return;
	/* The bytes its receiver's ACK just showed unseen, here next: the
	 * capture swapped the two (fsm.c takes the gap back). No copy. */
	if ((s->flags & EP_GAP_BY_ACK) && seg->seq == s->fin_seq && end == nxt)
		return;
	int tells = echo_tells(st, r, seg);
	int still_deaf = tells && seg->tsecr == st->hole;
	if (tells && !still_deaf) {
		/* It echoes a timestamp it had not: it heard its peer again,
		 * and its peer's ACKs are ahead of what it resent. */
		end_episode(t, f, from, s->state, ts);
		set_since(f, st, ts);
	}
	/* The first copy seen here of bytes a SACK block showed sent unseen
	 * (on_sack): nothing of them passed here, so they start at the
	 * sender's next sequence number. */
	int hole_copy = st->kind == STALL_DATA && (st->flags & ST_HOLE) &&
			st->hole == nxt && seg->seq == nxt && seg->seq == una &&
			len;
	int outstanding = seq_lt(una, nxt) || still_deaf || hole_copy;
	/* Bytes it sent that never passed here: the sequence jumps. */
	if (seq_lt(nxt, seg->seq) && seq_geq(nxt, una) &&
	    !(s->flags & EP_GAP)) {
		uint32_t gap = seg->seq - nxt;
		if (st->kind == STALL_NONE) {
			st->kind = STALL_DATA;
			/* Nothing was outstanding: the lost bytes went out
			 * after its last segment seen, and no earlier. */
			if (seq_geq(una, nxt))
				set_since(f, st, ts);
		}
		if (!(st->flags & ST_HOLE)) {
			/* Its receiver's duplicate ACK came first: this is
			 * what it answered, the skipped bytes are missing. */
			if (ahead && !(r->flags & EP_GAP))
				st->flags |= ST_HOLE_PROVEN;
			else
				ahead = 0;
			st->flags |= ST_HOLE;
			st->hole = nxt;
			st->fail =
				gap > UINT16_MAX ? UINT16_MAX : (uint16_t)gap;
			check(t, f, from, ts, CHECK_ARM);
		}
		outstanding = 1;
	}
	if (len == 0)
		return;
	if (!outstanding && seq_geq(seg->seq, nxt)) {
		/* New data with nothing outstanding: a stall starts here, if
		 * any. */
		if (st->kind == STALL_DATA)
			end_episode(t, f, from, s->state, ts);
		set_since(f, st, ts);
		return;
	}
	if (!hole_copy && (seq_geq(seg->seq, nxt) || seq_lt(nxt, end))) {
		/* New data beyond what is outstanding. Without timestamps,
		 * taken as the ACK having got through. */
		if ((st->flags & ST_ACKED) && !still_deaf)
			end_episode(t, f, from, s->state, ts);
		/* Smaller than what fails: it may pass. */
		if (seq_lt(una, seg->seq) && len < UINT16_MAX &&
		    (!st->fail || len < st->fail) && len > st->pass) {
			st->pass = (uint16_t)len;
			if (!ahead)
				st->flags |= ST_PASS_PENDING;
		}
		return;
	}
	/* A copy of data sent before. */
	if (!hole_copy && seq_geq(una, end)) {
		/* ... that its receiver acknowledged: the ACK did not reach
		 * it. */
		st->kind = STALL_DATA;
		/* What it heard last: its echo, kept while no bytes it sent
		 * are missing here (`hole`'s other use). */
		if (!(st->flags & (ST_ACKED | ST_HOLE)))
			st->hole = seg->tsecr;
		st->flags |= ST_ACKED;
		bump(&st->count);
		check(t, f, from, ts, st->count == 1 ? CHECK_ARM : CHECK);
		return;
	}
	if (seg->seq != una)
		return; /* not the head: SACK recovery, no stall sign */
	st->kind = STALL_DATA;
	if ((st->flags & ST_HOLE) && st->hole == una) {
		/* The first copy seen here of what never passed: from now on
		 * its copies pass, and the loss is after the sensor. */
		st->flags &= (uint8_t) ~(ST_HOLE | ST_HOLE_PROVEN);
		st->fail = len > UINT16_MAX ? UINT16_MAX : (uint16_t)len;
		st->flags |= ST_RETX;
		check(t, f, from, ts, CHECK_ARM);
		return;
	}
	st->flags |= ST_RETX;
	if (!st->fail || len > st->fail)
		st->fail = len > UINT16_MAX ? UINT16_MAX : (uint16_t)len;
	if (st->pass >= st->fail)
		st->pass = 0;
	bump(&st->count);
	check(t, f, from, ts, st->count == 1 ? CHECK_ARM : CHECK);
}

void stall_segment(struct tcpfsm *t, struct flow *f, int from,
		   const struct segment *seg, int64_t ts)
{
	struct endpoint *s = &f->ep[from], *r = &f->ep[!from];

	if (seg->flags & (TH_SYN | TH_RST))
		return; /* stall_after() sees what they change */
	/* Its receiver's duplicate ACK ahead of this segment, if any: this
	 * segment consumes it. */
	int ahead = s->stall.kind == STALL_NONE && (s->stall.flags & ST_AHEAD);
	if (ahead)
		s->stall.flags &= (uint8_t)~ST_AHEAD;
	int probe_answer = r->stall.kind == STALL_KEEPALIVE;
	/* Anything from a prober's peer answers its keepalives. */
	if (probe_answer) {
		s->flags &= (uint16_t)~EP_PATH_DEAD;
		end_episode(t, f, !from, r->state, ts);
	}
	/* A segment toward a zero window is a probe. */
	if (r->stall.kind == STALL_ZERO_WINDOW) {
		bump(&r->stall.count);
		check(t, f, !from, ts, CHECK);
	}
	if (seg->flags & TH_ACK) {
		on_ack(t, f, from, seg, ts,
		       probe_answer || r->stall.kind == STALL_ZERO_WINDOW ||
			       s->stall.kind == STALL_ZERO_WINDOW);
		/* Its window: a zero one starts an episode, an open one ends
		 * it. */
		if (seg->window == 0 && receiving(s->state) &&
		    s->stall.kind != STALL_ZERO_WINDOW &&
		    !(s->stall.flags & (ST_RETX | ST_HOLE))) {
			start(t, f, from, STALL_ZERO_WINDOW, ts);
			check(t, f, from, ts, CHECK_ARM);
		} else if (seg->window != 0 &&
			   s->stall.kind == STALL_ZERO_WINDOW) {
			end_episode(t, f, from, s->state, ts);
			set_since(f, &s->stall, ts);
		}
	}
	if (!can_stall(s->state) || !(seg->flags & TH_ACK))
		return;
	/* A keepalive: one byte below its send sequence (empty, or that
	 * byte again), nothing outstanding, the peer's window open (else it
	 * is a window probe). */
	if (!(seg->flags & TH_FIN) && seg->payload_len <= 1 &&
	    seg->seq == s->snd_nxt - 1 && (r->flags & EP_SENT_ACK) &&
	    r->ack == s->snd_nxt && r->window != 0 &&
	    r->stall.kind != STALL_ZERO_WINDOW) {
		struct stall *st = &s->stall;
		int echo = (seg->options & OPT_TIMESTAMP) != 0;
		int64_t copy =
			r->rtt > PROBE_COPY_WINDOW ? r->rtt : PROBE_COPY_WINDOW;
		if (st->kind == STALL_KEEPALIVE &&
		    ts - last_probe(f, st) < copy)
			return; /* the same probe seen twice */
		/* Its echo moved: it heard its peer since its first probe,
		 * answers this sensor missed. */
		if (st->kind == STALL_KEEPALIVE && (st->flags & ST_ECHO) &&
		    (!echo || seg->tsecr != st->hole))
			end_episode(t, f, from, s->state, ts);
		if (st->kind != STALL_KEEPALIVE) {
			start(t, f, from, STALL_KEEPALIVE, ts);
			if (echo) {
				st->flags |= ST_ECHO;
				st->hole = seg->tsecr;
			}
		}
		bump(&st->count);
		set_last_probe(f, st, ts);
		check(t, f, from, ts, CHECK_ARM);
		return;
	}
	if (s->stall.kind == STALL_KEEPALIVE && seg->payload_len)
		end_episode(t, f, from, s->state, ts);
	on_data(t, f, from, seg, ts, ahead);
}

void stall_after(struct tcpfsm *t, struct flow *f, int64_t ts)
{
	for (int side = 0; side < 2; side++) {
		struct endpoint *e = &f->ep[side];
		if (e->stall.kind == STALL_NONE)
			continue;
		int ok = e->stall.kind == STALL_ZERO_WINDOW
				 ? receiving(e->state)
				 : can_stall(e->state);
		/* It left the state (it closed, or gave up): the path it was
		 * stuck behind is no better for that, and what it sends into
		 * it (its RST, its FIN, a copy of either) is lost like what
		 * went before. */
		if (!ok)
			close_episode(t, f, side, e->state, ts);
	}
}

void stall_end(struct tcpfsm *t, struct flow *f, int64_t ts, int reason)
{
	/* At the end of a capture a stall has not ended; it is only
	 * unobserved. */
	if (reason == TCPFSM_END_FINISHED)
		return;
	int expired = reason == TCPFSM_END_IDLE || reason == TCPFSM_END_EVICTED;
	for (int side = 0; side < 2; side++)
		if (f->ep[side].stall.alerted)
			end_episode(t, f, side,
				    expired ? -1 : f->ep[side].state, ts);
}
