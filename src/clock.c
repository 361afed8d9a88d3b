/*
 * clock.c - the tracker's time, and the timers it fires.
 *
 * Time is the packets' time (or what tcpfsm_advance() says): it only moves
 * forward, and before a packet is tracked every timer due by its timestamp
 * fires, in deadline order, so that events come out as the hosts lived them.
 * These sources of deadlines compete, and run_timers() takes the earliest:
 *
 *   - the per-state queues (timers.h): host timeouts and alert thresholds;
 *   - the head of the idle order (idle.c);
 *   - the oldest open alert-folding window (alerts.c);
 *   - the quiet heap: endpoints in doubt, waiting to fall quiet past their
 *     next retransmission (fsm.c's pending promotions), and the ring where
 *     those waits are staged first (wait_for_quiet());
 *   - the stall heap (stall.c): stalls of established connections whose
 *     alert or host give-up comes due with no packet.
 *
 * t->next_deadline is a lower bound on all of them, lowered by every timer
 * set (note_deadline()), so a packet with nothing due costs one comparison.
 */
#include "tracker.h"

/* The queues' timeouts from the options. The CLOSED queue's is the linger
 * of a closed record; other states time out only where the host has a timer
 * (fsm_table's HOST_TIMEOUT row), and only the states an endpoint can be
 * stuck in alert. A state with neither and no victims keeps no queue. */
void set_timeouts(struct tcpfsm *t)
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

/* Endpoint ref has been in state for its alert threshold at time ts. */
static void fire_alert(struct tcpfsm *t, uint32_t ref, int state, int64_t ts)
{
	sq_alert_done(&t->sq, &t->ft, state);
	alert_came_due(t, ref_flow(&t->ft, ref), (int)(ref % 2), ts);
}

/* Endpoint side of f waits for its next retransmission until deadline.
 *
 * Most waits are called off within moments: the answer they wait for
 * passes a round trip or a delayed ACK later. A wait whose deadline is at
 * least QUIET_STAGE away is therefore first staged in arrival order, and
 * enters the deadline heap only if it is still armed QUIET_STAGE later; the
 * rest are dropped from the front of the ring without ever being sorted. */
#define QUIET_STAGE 500000 /* µs: past the longest delayed ACK (500 ms) */
/* Staged waits leave together, on ticks of this many µs (a power of two):
 * one timer a tick, not one a wait. */
#define STAGE_TICK 65536

static int still_waiting(struct tcpfsm *t, struct heap_entry h)
{
	const struct flow *f = ref_flow(&t->ft, h.ref);
	int side = (int)(h.ref % 2);

	return f->in_use && f->ep[side].pending && f->ticket[side] == h.ticket;
}

void wait_for_quiet(struct tcpfsm *t, struct flow *f, int side,
		    int64_t deadline)
{
	struct endpoint *e = &f->ep[side];
	struct heap_entry h = {deadline, ep_ref(&t->ft, f, side),
			       ++t->next_ticket};
	int64_t stage_until = (t->now + QUIET_STAGE) | (STAGE_TICK - 1);
	int rc = deadline >= stage_until
			 ? fifo_push(&t->staged,
				     (struct fifo_entry){stage_until, h})
			 : heap_push(&t->pending, h);

	if (rc < 0) {
		e->pending = 0; /* no room: no inference from silence */
		return;
	}
	f->ticket[side] = h.ticket;
	note_deadline(t, deadline < stage_until ? deadline : stage_until);
}

/* The staged waits whose time has come by now: into the heap, or dropped
 * when called off. */
static void unstage(struct tcpfsm *t, int64_t now)
{
	while (t->staged.n && fifo_front(&t->staged)->at <= now) {
		struct heap_entry h = fifo_front(&t->staged)->e;
		fifo_pop(&t->staged);
		if (still_waiting(t, h) && heap_push(&t->pending, h) < 0)
			ref_ep(&t->ft, h.ref)->pending = 0;
	}
}

/* No retransmission came by the deadline: the acknowledgement got through. */
static void fire_quiet(struct tcpfsm *t, struct heap_entry h, int64_t at)
{
	struct flow *f = ref_flow(&t->ft, h.ref);
	int side = (int)(h.ref % 2);

	if (!still_waiting(t, h))
		return; /* overtaken: it retransmitted, moved on, or is gone */
	struct fsm_result res = {0};
	fsm_apply(f->ep, side, f->ep[side].pending, at, &res);
	commit(t, f, at, &res);
}

/* Fires, in deadline order, every timer due at or before now. */
void run_timers(struct tcpfsm *t, int64_t now)
{
	while (t->next_deadline <= now) {
		uint32_t ref = NIL;
		int state = 0;
		int64_t due_at, due_second;
		enum sq_due due = sq_next(&t->sq, &t->ft, &ref, &state, &due_at,
					  &due_second);
		int64_t idle_at = idle_deadline(t);
		int64_t fold_at = alert_folding_deadline(t->folding);
		int64_t quiet_at = t->pending.n
					   ? heap_top(&t->pending)->deadline
					   : INT64_MAX;
		int64_t stall_at = stall_deadline(t);
		int64_t stage_at =
			t->staged.n ? fifo_front(&t->staged)->at : INT64_MAX;

		int64_t rest = idle_at < fold_at ? idle_at : fold_at;
		if (stall_at < rest)
			rest = stall_at;
		if (stage_at < rest)
			rest = stage_at;
		int64_t others = due_at < rest ? due_at : rest;
		int quiet_first = quiet_at <= others; /* on a tie too */
		int64_t best = quiet_first ? quiet_at : others;
		t->next_deadline = best;
		if (best > now)
			break;
		/* Timeouts shortened by a reconfiguration may be overdue:
		 * they fire now, not in the past. */
		int64_t at = best < t->floor ? t->floor : best;
		/* An idle expiry found late (touch()) is stamped when found:
		 * events never go back in time. */
		t->floor = at;
		if (quiet_first) {
			/* Waits fall due in runs: fire them in a row while
			 * no other timer comes first (a timer set meanwhile
			 * lowers next_deadline below others). */
			t->next_deadline = others;
			for (;;) {
				struct heap_entry h = *heap_top(&t->pending);
				heap_pop(&t->pending);
				fire_quiet(t, h, at);
				if (!t->pending.n)
					break;
				int64_t next = heap_top(&t->pending)->deadline;
				if (next > now || next >= t->next_deadline)
					break;
				at = next < t->floor ? t->floor : next;
				t->floor = at;
			}
			t->next_deadline = t->floor; /* every source again */
		} else if (best == stage_at) {
			unstage(t, now);
		} else if (best == stall_at) {
			stall_fire(t, at);
		} else if (best == fold_at) {
			/* Windows opened at one instant close at one: all
			 * of them now (groups are kept in the order they
			 * opened, so none later is taken). */
			while (fold_expire(t, best, at))
				;
		} else if (best == idle_at) {
			idle_expire_oldest(t, at);
		} else if (due == SQ_TIMEOUT) {
			/* A state's host timers fall due in runs too (one
			 * TIME_WAIT a closed connection): its queue's next
			 * fires at once while nothing else comes first. */
			int64_t limit = quiet_at < rest ? quiet_at : rest;
			if (due_second < limit)
				limit = due_second;
			t->next_deadline = limit;
			for (;;) {
				tq_prefetch_next(&t->ft, ref);
				fire_timeout(t, ref, at);
				ref = t->sq.q[state].head;
				if (ref == NIL)
					break;
				int64_t next = ref_ep(&t->ft, ref)->since +
					       t->sq.timeout[state];
				if (next > now || next >= t->next_deadline)
					break;
				at = next < t->floor ? t->floor : next;
				t->floor = at;
			}
			t->next_deadline = t->floor; /* every source again */
		} else {
			fire_alert(t, ref, state, at);
		}
	}
}

void set_clock(struct tcpfsm *t, int64_t ts)
{
	if (ts > t->now)
		t->now = ts;
	run_timers(t, t->now);
	/* Whatever comes due from here on is stamped no earlier than now: a
	 * packet that moves an endpoint back to a state it held long ago
	 * restores when that began, and the host timeout this makes overdue
	 * fires at the next look, stamped then, not back before the packet
	 * that told of it. */
	t->floor = t->now;
}

void tcpfsm_advance(struct tcpfsm *t, int64_t now)
{
	set_clock(t, now);
}
