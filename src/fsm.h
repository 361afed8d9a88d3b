/*
 * fsm.h - the per-endpoint RFC 793 state machines and the inference rules.
 *
 * A segment passing the sensor is turned into inputs: what its sender did
 * (certain) and what its receiver is assumed to get (inferred, confirmed or
 * corrected later by the receiver's own acknowledgements and
 * retransmissions). Each input moves one endpoint through fsm_table, a
 * [input][state] table of next states and causes. Nothing here does I/O or
 * reads a clock.
 */
#ifndef TCPFSM_FSM_H
#define TCPFSM_FSM_H

#include "decode.h"
#include "flow.h"

enum fsm_input {
	/* What the sender did. */
	SND_SYN,	 /* a SYN with a new initial sequence number */
	SND_SYN_RETX,	 /* the same SYN again */
	SND_SYNACK,	 /* a SYN/ACK */
	SND_SYNACK_RETX, /* the same SYN/ACK again */
	SND_ACK_SYN,	 /* a segment acknowledging the peer's SYN */
	SND_ACK_FIN,	 /* a segment acknowledging the peer's FIN */
	SND_FIN,	 /* a FIN */
	SND_FIN_CROSSED, /* a FIN sent before the peer's, already seen, arrived
			  */
	SND_FIN_RETX,	 /* the same FIN again */
	SND_RST,	 /* an acceptable RST */
	SND_AFTER_RST,	 /* segments sent after its peer's RST was read as
			    received show it never got it */
	/* What the receiver is assumed to get (skipped while in doubt). */
	RCV_SYN,
	RCV_SYNACK,
	RCV_ACK_OF_SYN,
	RCV_FIN,
	RCV_ACK_OF_FIN,
	RCV_RST,
	/* Corrections and inferences about the receiver. */
	RCV_FIN_UNACKED,  /* the peer retransmitted a FIN it never acknowledged
			   */
	SND_FIN_UNACKING, /* its own FIN, sent long after the peer's, does not
			     acknowledge it */
	INFER_SYN, /* its SYN was not seen, but the peer's SYN/ACK implies it */
	INFER_SYNACK, /* its SYN/ACK was not seen, but the peer's ACK implies it
		       */
	INFER_FIN, /* never seen (one-sided): the peer's ACK implies its FIN */
	/* Never seen (one-sided): the peer acknowledged past the FIN it
	 * implied, which was a byte of data. FIN_WAS_DATA takes back the
	 * sender's close, ACKED_DATA_NOT_FIN the peer's. */
	FIN_WAS_DATA,
	ACKED_DATA_NOT_FIN,
	INFER_FIN_BY_SEQ, /* never seen: its own next segment, one past all it
			     was seen to send and empty, implies its FIN */
	INFER_ACK_OF_FIN, /* one-sided: the peer, unseen, answers a FIN at once
			   */
	INFER_FIN_RETX,	  /* a copy of its FIN not seen: the peer's repeated ACK
			     of it answers one */
	MIDSTREAM, /* first seen with data: the handshake happened unseen */
	/* Silence as evidence: an endpoint in doubt that stops retransmitting
	 * got the acknowledgement that passed the sensor after all. */
	QUIET_ACK_OF_SYN,
	QUIET_ACK_OF_FIN,
	/* Silence as evidence: a segment that must be answered passed, no
	 * answer was seen, and no copy of what would show it missing came
	 * when due (fsm.c, expect_answer()): it got through and the sensor
	 * missed the answer. */
	QUIET_SYN,
	QUIET_SYNACK,
	QUIET_FIN,
	/* A FIN passed and its answer did not when due, on a sensor that
	 * misses more packets than the path loses FINs (loss.c): it arrived
	 * and the sensor missed the answer. (fsm_apply() takes QUIET_SYN to
	 * here as one range: keep them together.) */
	MISSED_FIN_ACK,
	/* A wait that moves no one: a copy of its FIN went to a peer that had
	 * acknowledged the FIN, and the answer, at once, may pass unseen. Its
	 * next copy tells (an alert held meanwhile goes out then); its
	 * silence does not, as the copies' intervals are too loose to read an
	 * ACK into. No row: no timer, no move. */
	AWAIT_FIN_COPY,
	/* The host's own timer, with nothing on the wire. */
	HOST_TIMEOUT,
	/* A SYN with a new initial sequence number took over the 4-tuple:
	 * both hosts are done with the old connection (identity.c). */
	REUSED,
	/* A stalled host's own give-up (stall.c): its data unacknowledged
	 * past tcp_retries2, or its keepalives unanswered. */
	GIVE_UP_RETRIES,
	GIVE_UP_KEEPALIVE,
	FSM_NINPUTS
};

/* A cell's `to`: back to the state the endpoint left last (prev_state). */
#define FSM_BACK TCPFSM_NSTATES

struct fsm_cell {
	uint8_t to;	    /* enum tcpfsm_state, or FSM_BACK */
	uint8_t correction; /* the move undoes an earlier assumption */
	const char *cause;  /* NULL: the input does not change this state */
};

extern const struct fsm_cell fsm_table[FSM_NINPUTS][TCPFSM_NSTATES];

struct fsm_change {
	uint8_t side; /* enum tcpfsm_side */
	uint8_t from, to;
	uint8_t correction; /* undoes an earlier assumption (fsm_cell) */
	uint8_t input;	    /* enum fsm_input */
	const char *cause;
};

/* Most changes one segment can cause (both endpoints, a few moves each). */
#define FSM_MAX_CHANGES 8

struct fsm_result {
	int n;
	struct fsm_change change[FSM_MAX_CHANGES];
	int rst_ignored;   /* a RST outside the receiver's window (RFC 5961) */
	int retransmitted; /* the sender sent its SYN, SYN/ACK or FIN again */
	/* Its checksum is bad: the receiver drops it. What its sender did
	 * stands; nothing of it is assumed or expected delivered. */
	int corrupt;
	/* The sensor's own losses: the segment acknowledged new data (acked),
	 * and of that, missed bytes the sensor never saw (a content gap). */
	int acked;
	uint32_t missed;
	/* The bytes of a gap an earlier acknowledgement showed, which this
	 * segment fills as it comes next: reordering, not the sensor's loss,
	 * and the gap is taken back. */
	uint32_t unmissed;
	/* The segment passed the sensor after one that depends on it (an
	 * acknowledgement of it, seen first): the capture reordered them. */
	int reordered;
	/* An endpoint now waits for silence: if no copy of the segment it
	 * waits on comes by pend_deadline[side], ep[side].pending applies (an
	 * endpoint in doubt was sent an acknowledgement and stops
	 * retransmitting; or a segment that must be answered passed toward it,
	 * no answer was seen, and its sender stops retransmitting). 0: none. */
	int64_t pend_deadline[2];
	/* fsm_segment()'s lossy_sensor, for the rules that read it. */
	int lossy_sensor;
	/* An endpoint's FIN sent again took back what an ACK of it had
	 * moved, though it crossed a later copy of that ACK, which may still
	 * arrive: deliver that with fsm_deliver_crossed() once these changes
	 * are reported. */
	uint8_t crossed_ack[2];
};

/* fsm_apply() past its empty-cell test. */
void fsm_move(struct endpoint ep[2], int side, enum fsm_input in, int64_t now,
	      struct fsm_result *res);

/* Applies one input at time now to endpoint ep[side]; records a change in
 * res if its state moved. Most inputs meet an empty cell (an ACK in
 * ESTABLISHED): that test is inline, the rest a call. */
static inline void fsm_apply(struct endpoint ep[2], int side, enum fsm_input in,
			     int64_t now, struct fsm_result *res)
{
	if (fsm_table[in][ep[side].state].cause)
		fsm_move(ep, side, in, now, res);
}

/* Interprets seg, sent at time now by endpoint ep[from] to ep[!from]: updates
 * both endpoint records and lists the state changes in res. lossy_sensor:
 * the sensor is measured to miss more packets than the path loses FINs
 * (loss.c), so a FIN's answer that does not pass when due was missed
 * rather than never sent. peer_data_ts: when the connection's segment just
 * before this one passed, if it came from ep[!from] with data up to the
 * highest byte it sent; else 0. */
void fsm_segment(struct endpoint ep[2], int from, const struct segment *seg,
		 int64_t now, int lossy_sensor, int64_t peer_data_ts,
		 struct fsm_result *res);

/* How soon e could send a segment again at the earliest (µs): no stack
 * resends within a millisecond, nor before a round trip to its peer. A
 * copy sooner is the capture's own. */
int64_t fsm_resend_floor(const struct endpoint *e);

/* Delivers to ep[side] the ACK of its FIN that its last copy crossed
 * (res->crossed_ack of the segment before), as any ACK is delivered: at
 * once, or for an endpoint in doubt, once it falls quiet
 * (res->pend_deadline). */
void fsm_deliver_crossed(struct endpoint ep[2], int side, int64_t now,
			 struct fsm_result *res);

/* Sequence number arithmetic modulo 2^32. */
static inline int seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* Does ack acknowledge e's SYN, and at most the data it sent with it (TCP
 * Fast Open)? */
static inline int acks_syn(const struct endpoint *e, uint32_t ack)
{
	return seq_geq(ack, e->isn + 1) && !seq_lt(e->snd_nxt, ack);
}

/* ep[side]'s SYN (or, with synack, SYN/ACK), never seen, shown by the
 * acknowledgement number ack that answers it: applies INFER_SYN (or
 * INFER_SYNACK). */
void fsm_infer_syn(struct endpoint ep[2], int side, uint32_t ack, int synack,
		   int64_t now, struct fsm_result *res);

#endif
