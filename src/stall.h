/*
 * stall.h - stalls of established connections: detection, diagnosis,
 * resolution and the hosts' own give-up (stall.c tells the design).
 */
#ifndef TCPFSM_STALL_H
#define TCPFSM_STALL_H

#include <stdint.h>

#include "decode.h"
#include "flow.h"

struct tcpfsm;

/* What an endpoint's struct stall is following (its kind). */
enum stall_episode {
	STALL_NONE = 0,
	STALL_DATA,	   /* as a sender: data outstanding */
	STALL_ZERO_WINDOW, /* as a receiver: a zero window advertised */
	STALL_KEEPALIVE,   /* as a prober: keepalives sent */
};

/* struct stall.flags */
enum {
	ST_RETX = 1 << 0,  /* a copy of its oldest unacked data passed */
	ST_ACKED = 1 << 1, /* it resent data its peer had acknowledged */
	ST_HOLE = 1 << 2,  /* data it sent from `hole` never passed here */
	ST_HOLE_PROVEN = 1 << 3,  /* ... and its peer's ACKs stay below it */
	ST_PASS_PENDING = 1 << 4, /* pass: a smaller segment sent beyond the
				     failing one, not yet answered */
	ST_RAISED = 1 << 5,	  /* its alert came due (sent, folded or
				     dropped by the rate limit) */
	ST_DEAD_PEER = 1 << 6,	  /* it marked its peer EP_PATH_DEAD */
	ST_DEAD_SELF = 1 << 7,	  /* it marked itself EP_PATH_DEAD (the ACKs
				     toward it are lost) */
	/* A prober's (STALL_KEEPALIVE): its probes carry timestamps, `hole`
	 * is the first one's echo. (The bit is a sender's ST_PASS_PENDING:
	 * the roles never share an episode.) */
	ST_ECHO = ST_PASS_PENDING,
	/* With no episode (STALL_NONE): its receiver sent a duplicate ACK
	 * while nothing of it was outstanding here (stall.c). */
	ST_AHEAD = ST_HOLE_PROVEN,
};

/* Folding groups stalls apart from the states: their key's state is
 * STALL_FOLD_KEY + enum tcpfsm_stall_kind. */
#define STALL_FOLD_KEY TCPFSM_NSTATES

/* A segment from ep[from] of f at ts, before fsm_segment() has updated the
 * endpoints (it reads what they had sent and acknowledged until now). */
void stall_segment(struct tcpfsm *t, struct flow *f, int from,
		   const struct segment *seg, int64_t ts);

/* After the segment's (or a timer's) state changes were committed: a
 * stalled endpoint that left the states that can stall is resolved. */
void stall_after(struct tcpfsm *t, struct flow *f, int64_t ts);

/* f's record ends for reason (enum tcpfsm_end_reason): stalls alerted end
 * with it (resolved_to -1 when it expired or was evicted). */
void stall_end(struct tcpfsm *t, struct flow *f, int64_t ts, int reason);

/* The stall timers (alerts due from the clock, give-ups): the earliest
 * deadline (INT64_MAX if none), and firing the earliest, stamped at. */
int64_t stall_deadline(const struct tcpfsm *t);
void stall_fire(struct tcpfsm *t, int64_t at);

/* The kind's name and the state shown for a folding key (alerts.c's
 * groups); NULL when key is a state's. */
const char *stall_fold_name(int key);

#endif
