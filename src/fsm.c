/*
 * fsm.c - the per-endpoint RFC 793 state machines and the inference rules.
 *
 * The sensor sees a segment when it passes, not whether it arrives. So:
 *  - what a segment's sender did is certain: a SYN puts it in SYN_SENT, a FIN
 *    takes it out of ESTABLISHED, its acknowledgement number says exactly
 *    which SYN and FIN it has received;
 *  - a receiver that must answer at once (a SYN is answered by a SYN/ACK, a
 *    SYN/ACK by an ACK, a FIN by its ACK within the delayed-ACK bound) is
 *    not assumed to have received: its answer says so when it passes, a
 *    moment later, and waiting that moment beats taking a state back. No
 *    answer means no delivery, unless no copy that would show it missing
 *    comes when due (the receiver's own SYN, the sender's FIN): then the
 *    segment arrived and the sensor missed the answer (expect_answer(), the
 *    QUIET_* inputs);
 *  - a receiver that need not answer (the final ACK of the handshake, the
 *    ACK of a FIN, a RST) is assumed to have received when the segment
 *    passes, and corrected when its own retransmission proves otherwise (a
 *    retransmission that crossed the segment proves nothing);
 *  - once a path is shown to keep losing toward an endpoint (a second
 *    correction, or a first whose next copy is due within moments, or a
 *    SYN/ACK or FIN sent again to it unacknowledged), it is "in doubt":
 *    nothing more is assumed delivered to it, nor inferred from silence,
 *    until its own acknowledgements say so. A lossy path would otherwise
 *    make the belief flap with every retransmitted copy; one loss is a
 *    path's chance, and the next copy is as likely to arrive as the first
 *    (prove_loss());
 *  - the sensor is imperfect too: an acknowledgement of more than it saw is
 *    a content gap (its own loss), one byte more than all it saw of a peer
 *    is that peer's FIN gone by unseen (and so is a peer's own empty
 *    segment starting one past all it sent), a host that only answers
 *    (TIME_WAIT) acknowledging a FIN again shows a copy of it the sensor
 *    missed, a segment seen after its own acknowledgement was reordered,
 *    a segment with a bad checksum was dropped by its receiver, and a peer
 *    never seen (a one-sided capture) shows its SYN, SYN/ACK and FIN in
 *    this side's acknowledgements.
 *
 * Identical on the wire for a while, and read the way that is right more
 * often:
 *  - a SYN/ACK (or FIN) lost after the sensor, and one delivered whose answer
 *    the sensor missed: both show no answer. Read as lost (sensors lose far
 *    fewer packets than paths do) until the sender's silence past its
 *    retransmission timeout says it arrived. Not so for a FIN on a sensor
 *    measured to miss more packets than its paths lose FINs (loss.c): that
 *    FIN is read as arrived once its answer is overdue (MISSED_FIN_ACK), and
 *    taken back if a copy comes;
 *  - a final ACK lost after the sensor, and one delivered: nothing answers
 *    either. Read as delivered until the server resends its SYN/ACK, about a
 *    second later (it is lost far more rarely than it arrives);
 *  - on a one-sided capture, a FIN lost after the sensor and one delivered:
 *    the answer cannot be seen either way. Read as delivered and answered
 *    at once until the FIN comes again (await_unseen_ack());
 *  - on a one-sided capture, the unseen peer's FIN and a byte of its data:
 *    both move the visible side's acknowledgement by one. Read as the FIN
 *    (most connections end so; a half-close's data carries that ACK, and
 *    a byte typed and echoed is rare now), taken back when a later ACK
 *    moves past it (FIN_WAS_DATA);
 *  - a copy of a FIN sent to a peer that acknowledged the FIN already
 *    (its ACK lost after the sensor), answered at once by an ACK the
 *    sensor missed, and one lost on its way: the sender stays where it is,
 *    and no alert goes out until its next copy shows it still waits
 *    (AWAIT_FIN_COPY);
 *  - a SYN/ACK lost before the sensor looks like a SYN lost after it: the
 *    server is read as CLOSED (no sign of it on the wire);
 *  - a RST lost after the sensor, and one delivered: a RST is never sent
 *    again, and nothing shows the difference until its receiver sends.
 *    Read as delivered; taken back once the receiver's own segments show
 *    it never got it (heard_after_rst());
 *  - a FIN the sensor missed, shown only by its peer's ACK, sent after the
 *    peer's own FIN arrived (LAST_ACK) or as it crossed it (CLOSING on
 *    both): read as the answering close when the ACK comes about a round
 *    trip or more after the peer's FIN, as crossing sooner (handle_ack()).
 *
 * Unknowable from the wire for longer, whatever the round trips, and left
 * so (the kernel recordings behind 20-40 ms of delay show each):
 *  - an ACK of a FIN lost after the sensor (LAST_ACK, CLOSING), like the
 *    final ACK of the handshake, shows first in the FIN's retransmission,
 *    one retransmission timeout later (on Linux 200 ms plus the round
 *    trip): behind tens of milliseconds of path that is later than a
 *    reader of `ss` would allow, but no earlier sign passes the sensor;
 *  - once copies proved the path lossy, the host is in doubt, and an ACK
 *    that does get through shows only by its silence when its next copy is
 *    due, twice its last interval later: until then it stays where the
 *    correction put it;
 *  - a path that passes FINs and loses pure ACKs: a host's own ACK of its
 *    peer's FIN shows its path delivering again, and the next ACK toward
 *    it is read as delivered (a simultaneous close whose ACKs are lost
 *    reads TIME_WAIT on one side a retransmission early);
 *  - a client whose final ACK is lost before the sensor shows it got the
 *    SYN/ACK only by not resending its SYN, a SYN timeout (1 s) after it;
 *    once the server has resent its SYN/ACK unacknowledged, the client is
 *    in doubt and its silence is not taken either.
 */
#include "fsm.h"

#define GO(state, why)                                                         \
	{                                                                      \
		TCPFSM_##state, 0, why                                         \
	}
#define FIX(state, why)                                                        \
	{                                                                      \
		TCPFSM_##state, 1, why                                         \
	}

/* Causes that several cells share. */
#define FIN_NOT_ACKED_BY_FIN                                                   \
	"its FIN does not acknowledge the peer's, sent long after it: FIN "    \
	"not received"
#define FIN_FIRST_UNREAD                                                       \
	"sent FIN (a copy: the first passed while it was read as reset)"
#define FIN_BY_SEQ "sent FIN (not seen: implied by its next sequence number)"
#define FIN_WAS_BYTE                                                           \
	"acknowledged past its implied FIN: that was a byte of data"
#define ACKED_BYTE "acknowledged past the peer's implied FIN: it was data"
#define UNSEEN_ACK_OF_FIN                                                      \
	"received ACK of FIN (not seen: the peer's direction is not "          \
	"captured, and a FIN is answered at once)"
#define MISSED_ACK_WHY                                                         \
	"its ACK not seen: this sensor misses more packets than the path "     \
	"loses FINs"
#define MISSED_ACK "received FIN (" MISSED_ACK_WHY ")"
#define FIN_RETX_UNSEEN                                                        \
	"FIN retransmitted (not seen: the peer's repeated ACK answers it): "   \
	"ACK of FIN not received"

/* Empty cells keep the state. Read a row as "on this input, in these states,
 * go there because". */
/* clang-format off */
const struct fsm_cell fsm_table[FSM_NINPUTS][TCPFSM_NSTATES] = {
	[SND_SYN] = {
		[TCPFSM_CLOSED] = GO(SYN_SENT, "sent SYN"),
		[TCPFSM_LISTEN] = GO(SYN_SENT, "sent SYN"),
	},
	[SND_SYN_RETX] = {
		[TCPFSM_ESTABLISHED] = FIX(SYN_SENT,
			"SYN retransmitted: SYN/ACK not received"),
		[TCPFSM_SYN_RECEIVED] = FIX(SYN_SENT,
			"SYN retransmitted: peer's SYN not received"),
		/* Windows retries a refused connect with the same SYN; a
		 * lost RST looks the same. Either way it waits again, and the
		 * next RST is no less likely to arrive: no doubt is set. */
		[TCPFSM_CLOSED] = GO(SYN_SENT,
			"sent its SYN again after the RST (a retried "
			"connect, or the RST was lost)"),
	},
	[SND_SYNACK] = {
		[TCPFSM_CLOSED] = GO(SYN_RECEIVED, "sent SYN/ACK"),
		[TCPFSM_LISTEN] = GO(SYN_RECEIVED, "sent SYN/ACK"),
		[TCPFSM_SYN_SENT] = GO(SYN_RECEIVED,
			"sent SYN/ACK (simultaneous open)"),
	},
	[SND_SYNACK_RETX] = {
		[TCPFSM_ESTABLISHED] = FIX(SYN_RECEIVED,
			"SYN/ACK retransmitted: final ACK not received"),
		[TCPFSM_CLOSED] = FIX(SYN_RECEIVED,
			"SYN/ACK retransmitted: RST not received"),
	},
	[SND_ACK_SYN] = {
		[TCPFSM_SYN_SENT] = GO(ESTABLISHED, "acknowledged SYN/ACK"),
		[TCPFSM_SYN_RECEIVED] = GO(ESTABLISHED,
			"acknowledged the peer's SYN: handshake complete"),
	},
	[SND_ACK_FIN] = {
		[TCPFSM_ESTABLISHED] = GO(CLOSE_WAIT, "acknowledged FIN"),
		[TCPFSM_SYN_RECEIVED] = GO(CLOSE_WAIT, "acknowledged FIN"),
		[TCPFSM_FIN_WAIT_1] = GO(CLOSING,
			"acknowledged FIN (simultaneous close)"),
		[TCPFSM_FIN_WAIT_2] = GO(TIME_WAIT, "acknowledged FIN"),
	},
	[SND_FIN] = {
		[TCPFSM_ESTABLISHED] = GO(FIN_WAIT_1, "sent FIN"),
		[TCPFSM_SYN_RECEIVED] = GO(FIN_WAIT_1, "sent FIN"),
		[TCPFSM_CLOSE_WAIT] = GO(LAST_ACK, "sent FIN"),
	},
	[SND_FIN_CROSSED] = {
		[TCPFSM_ESTABLISHED] = GO(FIN_WAIT_1, "sent FIN"),
		[TCPFSM_SYN_RECEIVED] = GO(FIN_WAIT_1, "sent FIN"),
		[TCPFSM_CLOSE_WAIT] = GO(CLOSING,
			"sent FIN as the peer's FIN was on its way "
			"(simultaneous close)"),
	},
	[SND_FIN_RETX] = {
		/* A copy of a FIN whose first moved nothing: it passed while
		 * its sender was read as reset (SND_AFTER_RST). */
		[TCPFSM_ESTABLISHED] = GO(FIN_WAIT_1, FIN_FIRST_UNREAD),
		[TCPFSM_SYN_RECEIVED] = GO(FIN_WAIT_1, FIN_FIRST_UNREAD),
		[TCPFSM_CLOSE_WAIT] = GO(LAST_ACK, FIN_FIRST_UNREAD),
		[TCPFSM_FIN_WAIT_2] = FIX(FIN_WAIT_1,
			"FIN retransmitted: ACK of FIN not received"),
		[TCPFSM_TIME_WAIT] = FIX(CLOSING,
			"FIN retransmitted: ACK of FIN not received"),
		[TCPFSM_CLOSED] = FIX(LAST_ACK,
			"FIN retransmitted: ACK of FIN not received"),
	},
	[SND_RST] = {
		[TCPFSM_SYN_SENT] = GO(CLOSED, "sent RST"),
		[TCPFSM_SYN_RECEIVED] = GO(CLOSED, "sent RST"),
		[TCPFSM_ESTABLISHED] = GO(CLOSED, "sent RST"),
		[TCPFSM_FIN_WAIT_1] = GO(CLOSED, "sent RST"),
		[TCPFSM_FIN_WAIT_2] = GO(CLOSED, "sent RST"),
		[TCPFSM_CLOSING] = GO(CLOSED, "sent RST"),
		[TCPFSM_TIME_WAIT] = GO(CLOSED, "sent RST"),
		[TCPFSM_CLOSE_WAIT] = GO(CLOSED, "sent RST"),
		[TCPFSM_LAST_ACK] = GO(CLOSED, "sent RST"),
	},
	/* A RST is never sent again: the proof that it was lost is its
	 * receiver going on as before (heard_after_rst()). Its state comes
	 * back, and the segment is then read from there. */
	[SND_AFTER_RST] = {
		[TCPFSM_CLOSED] = {FSM_BACK, 1,
			"sent a segment after the peer's RST: RST not "
			"received"},
	},
	[RCV_SYN] = {
		[TCPFSM_SYN_SENT] = GO(SYN_RECEIVED,
			"received SYN (simultaneous open)"),
	},
	[RCV_SYNACK] = {
		[TCPFSM_SYN_SENT] = GO(ESTABLISHED, "received SYN/ACK"),
		[TCPFSM_SYN_RECEIVED] = GO(ESTABLISHED,
			"received SYN/ACK (simultaneous open)"),
	},
	[RCV_ACK_OF_SYN] = {
		[TCPFSM_SYN_RECEIVED] = GO(ESTABLISHED,
			"received ACK of SYN/ACK"),
	},
	[RCV_FIN] = {
		[TCPFSM_ESTABLISHED] = GO(CLOSE_WAIT, "received FIN"),
		[TCPFSM_SYN_RECEIVED] = GO(CLOSE_WAIT, "received FIN"),
		[TCPFSM_FIN_WAIT_1] = GO(CLOSING,
			"received FIN (simultaneous close)"),
		[TCPFSM_FIN_WAIT_2] = GO(TIME_WAIT, "received FIN"),
	},
	[RCV_ACK_OF_FIN] = {
		[TCPFSM_FIN_WAIT_1] = GO(FIN_WAIT_2, "received ACK of FIN"),
		[TCPFSM_CLOSING] = GO(TIME_WAIT, "received ACK of FIN"),
		[TCPFSM_LAST_ACK] = GO(CLOSED, "received ACK of FIN"),
	},
	[RCV_RST] = {
		[TCPFSM_SYN_SENT] = GO(CLOSED,
			"received RST: connection refused"),
		[TCPFSM_SYN_RECEIVED] = GO(CLOSED, "received RST"),
		[TCPFSM_ESTABLISHED] = GO(CLOSED, "received RST"),
		[TCPFSM_FIN_WAIT_1] = GO(CLOSED, "received RST"),
		[TCPFSM_FIN_WAIT_2] = GO(CLOSED, "received RST"),
		[TCPFSM_CLOSING] = GO(CLOSED, "received RST"),
		[TCPFSM_TIME_WAIT] = GO(CLOSED, "received RST"),
		[TCPFSM_CLOSE_WAIT] = GO(CLOSED, "received RST"),
		[TCPFSM_LAST_ACK] = GO(CLOSED, "received RST"),
	},
	[RCV_FIN_UNACKED] = {
		[TCPFSM_CLOSE_WAIT] = FIX(ESTABLISHED,
			"peer retransmitted its FIN: FIN not received"),
		[TCPFSM_CLOSING] = FIX(FIN_WAIT_1,
			"peer retransmitted its FIN: FIN not received"),
		[TCPFSM_TIME_WAIT] = FIX(FIN_WAIT_2,
			"peer retransmitted its FIN: FIN not received"),
	},
	/* A FIN is acknowledged at once, and every segment after carries
	 * that acknowledgement: a FIN of its own that does not, sent when the
	 * peer's had had time to arrive, shows it never did. */
	[SND_FIN_UNACKING] = {
		[TCPFSM_CLOSE_WAIT] = FIX(ESTABLISHED, FIN_NOT_ACKED_BY_FIN),
		[TCPFSM_CLOSING] = FIX(FIN_WAIT_1, FIN_NOT_ACKED_BY_FIN),
		[TCPFSM_TIME_WAIT] = FIX(FIN_WAIT_2, FIN_NOT_ACKED_BY_FIN),
	},
	[INFER_SYN] = {
		[TCPFSM_CLOSED] = GO(SYN_SENT,
			"sent SYN (not seen: implied by the SYN/ACK)"),
	},
	[INFER_SYNACK] = {
		[TCPFSM_CLOSED] = GO(SYN_RECEIVED,
			"sent SYN/ACK (not seen: implied by the ACK)"),
	},
	[INFER_FIN] = {
		[TCPFSM_ESTABLISHED] = GO(FIN_WAIT_1,
			"sent FIN (not seen: implied by the peer's ACK)"),
		[TCPFSM_SYN_RECEIVED] = GO(FIN_WAIT_1,
			"sent FIN (not seen: implied by the peer's ACK)"),
		[TCPFSM_CLOSE_WAIT] = GO(LAST_ACK,
			"sent FIN (not seen: implied by the peer's ACK)"),
	},
	/* The one number its peer's ACK moved by was data: the next ACK
	 * moves past it. (A one-byte segment, typed and echoed, looks like
	 * a FIN to a sensor that sees only the echo.) */
	[FIN_WAS_DATA] = {
		[TCPFSM_FIN_WAIT_1] = FIX(ESTABLISHED, FIN_WAS_BYTE),
		[TCPFSM_FIN_WAIT_2] = FIX(ESTABLISHED, FIN_WAS_BYTE),
		[TCPFSM_CLOSING] = FIX(CLOSE_WAIT, FIN_WAS_BYTE),
		[TCPFSM_TIME_WAIT] = FIX(CLOSE_WAIT, FIN_WAS_BYTE),
		[TCPFSM_LAST_ACK] = FIX(CLOSE_WAIT, FIN_WAS_BYTE),
	},
	[ACKED_DATA_NOT_FIN] = {
		[TCPFSM_CLOSE_WAIT] = FIX(ESTABLISHED, ACKED_BYTE),
		[TCPFSM_CLOSING] = FIX(FIN_WAIT_1, ACKED_BYTE),
		[TCPFSM_TIME_WAIT] = FIX(FIN_WAIT_2, ACKED_BYTE),
	},
	[INFER_FIN_BY_SEQ] = {
		[TCPFSM_ESTABLISHED] = GO(FIN_WAIT_1, FIN_BY_SEQ),
		[TCPFSM_SYN_RECEIVED] = GO(FIN_WAIT_1, FIN_BY_SEQ),
		[TCPFSM_CLOSE_WAIT] = GO(LAST_ACK, FIN_BY_SEQ),
	},
	[INFER_ACK_OF_FIN] = {
		[TCPFSM_FIN_WAIT_1] = GO(FIN_WAIT_2, UNSEEN_ACK_OF_FIN),
		[TCPFSM_CLOSING] = GO(TIME_WAIT, UNSEEN_ACK_OF_FIN),
		[TCPFSM_LAST_ACK] = GO(CLOSED, UNSEEN_ACK_OF_FIN),
	},
	[INFER_FIN_RETX] = {
		[TCPFSM_FIN_WAIT_2] = FIX(FIN_WAIT_1, FIN_RETX_UNSEEN),
		[TCPFSM_TIME_WAIT] = FIX(CLOSING, FIN_RETX_UNSEEN),
		[TCPFSM_CLOSED] = FIX(LAST_ACK, FIN_RETX_UNSEEN),
	},
	[MIDSTREAM] = {
		[TCPFSM_CLOSED] = GO(ESTABLISHED,
			"picked up mid-stream (handshake not seen)"),
	},
	[QUIET_ACK_OF_SYN] = {
		[TCPFSM_SYN_RECEIVED] = GO(ESTABLISHED,
			"stopped retransmitting its SYN/ACK: the final ACK "
			"got through"),
	},
	[QUIET_ACK_OF_FIN] = {
		[TCPFSM_FIN_WAIT_1] = GO(FIN_WAIT_2,
			"stopped retransmitting its FIN: the ACK got through"),
		[TCPFSM_CLOSING] = GO(TIME_WAIT,
			"stopped retransmitting its FIN: the ACK got through"),
		[TCPFSM_LAST_ACK] = GO(CLOSED,
			"stopped retransmitting its FIN: the ACK got through"),
	},
	[QUIET_SYN] = {
		[TCPFSM_SYN_SENT] = GO(SYN_RECEIVED,
			"received SYN (simultaneous open; its answer not "
			"seen, and it sent no SYN again)"),
	},
	[QUIET_SYNACK] = {
		[TCPFSM_SYN_SENT] = GO(ESTABLISHED,
			"received SYN/ACK (its ACK not seen, and it sent no "
			"SYN again)"),
		[TCPFSM_SYN_RECEIVED] = GO(ESTABLISHED,
			"received SYN/ACK (simultaneous open; its ACK not "
			"seen, and it sent no SYN/ACK again)"),
	},
	[QUIET_FIN] = {
		[TCPFSM_ESTABLISHED] = GO(CLOSE_WAIT,
			"received FIN (its ACK not seen, and the FIN was not "
			"sent again)"),
		[TCPFSM_SYN_RECEIVED] = GO(CLOSE_WAIT,
			"received FIN (its ACK not seen, and the FIN was not "
			"sent again)"),
		[TCPFSM_FIN_WAIT_1] = GO(CLOSING,
			"received FIN (simultaneous close; its ACK not seen, "
			"and the FIN was not sent again)"),
		[TCPFSM_FIN_WAIT_2] = GO(TIME_WAIT,
			"received FIN (its ACK not seen, and the FIN was not "
			"sent again)"),
	},
	[MISSED_FIN_ACK] = {
		[TCPFSM_ESTABLISHED] = GO(CLOSE_WAIT, MISSED_ACK),
		[TCPFSM_SYN_RECEIVED] = GO(CLOSE_WAIT, MISSED_ACK),
		[TCPFSM_FIN_WAIT_1] = GO(CLOSING,
			"received FIN (simultaneous close; " MISSED_ACK_WHY ")"),
		[TCPFSM_FIN_WAIT_2] = GO(TIME_WAIT, MISSED_ACK),
	},
	[REUSED] = {
		[TCPFSM_LISTEN] = GO(CLOSED, "4-tuple reused by a new connection"),
		[TCPFSM_SYN_SENT] = GO(CLOSED,
			"4-tuple reused by a new connection"),
		[TCPFSM_SYN_RECEIVED] = GO(CLOSED,
			"4-tuple reused by a new connection"),
		[TCPFSM_ESTABLISHED] = GO(CLOSED,
			"4-tuple reused by a new connection"),
		[TCPFSM_FIN_WAIT_1] = GO(CLOSED,
			"4-tuple reused by a new connection"),
		[TCPFSM_FIN_WAIT_2] = GO(CLOSED,
			"4-tuple reused by a new connection"),
		[TCPFSM_CLOSING] = GO(CLOSED,
			"4-tuple reused by a new connection"),
		[TCPFSM_TIME_WAIT] = GO(CLOSED,
			"4-tuple reused by a new connection"),
		[TCPFSM_CLOSE_WAIT] = GO(CLOSED,
			"4-tuple reused by a new connection"),
		[TCPFSM_LAST_ACK] = GO(CLOSED,
			"4-tuple reused by a new connection"),
	},
	[HOST_TIMEOUT] = {
		[TCPFSM_SYN_SENT] = GO(CLOSED, "gave up: SYN retries exhausted"),
		[TCPFSM_SYN_RECEIVED] = GO(CLOSED,
			"gave up: SYN/ACK retries exhausted"),
		[TCPFSM_FIN_WAIT_1] = GO(CLOSED, "gave up: FIN retries exhausted"),
		[TCPFSM_FIN_WAIT_2] = GO(CLOSED, "FIN_WAIT_2 timer expired"),
		[TCPFSM_CLOSING] = GO(CLOSED, "gave up: FIN retries exhausted"),
		[TCPFSM_TIME_WAIT] = GO(CLOSED, "TIME_WAIT expired (2MSL)"),
		[TCPFSM_LAST_ACK] = GO(CLOSED, "gave up: FIN retries exhausted"),
	},
	[GIVE_UP_RETRIES] = {
		[TCPFSM_ESTABLISHED] = GO(CLOSED,
			"gave up: data retransmissions exhausted (tcp_retries2)"),
		[TCPFSM_CLOSE_WAIT] = GO(CLOSED,
			"gave up: data retransmissions exhausted (tcp_retries2)"),
	},
	[GIVE_UP_KEEPALIVE] = {
		[TCPFSM_ESTABLISHED] = GO(CLOSED,
			"gave up: keepalive probes unanswered (sent RST)"),
		[TCPFSM_CLOSE_WAIT] = GO(CLOSED,
			"gave up: keepalive probes unanswered (sent RST)"),
	},
};
/* clang-format on */

/* struct endpoint.after_rst (heard_after_rst()). */
enum after_rst {
	RESET_NONE,
	RESET_QUIET, /* read as reset; nothing seen from it since */
	RESET_SPOKE, /* then sent a segment after the RST could arrive */
};

/* Inputs about what the receiver got, assumed on faith: not applied to an
 * endpoint in doubt. */
static int is_assumption(enum fsm_input in)
{
	return in >= RCV_SYN && in <= RCV_RST;
}

static int is_retransmission(enum fsm_input in)
{
	return in == SND_SYN_RETX || in == SND_SYNACK_RETX ||
	       in == SND_FIN_RETX || in == INFER_FIN_RETX;
}

/* e's own copy sent again proved a loss toward it. One loss is most often
 * a path's chance, and the next ACK as likely to arrive as any: it is
 * assumed delivered, as a first one is. But a second loss before e shows it
 * receives again (silence, or an acknowledgement of new data) is a path
 * that keeps losing; and where e's next copy is due within moments (a
 * FIN's timer starts at 200 ms), waiting for it beats taking a state back
 * once more. Either way e is in doubt: nothing more is assumed delivered
 * to it until it shows it. */
#define MOMENTS 1000000 /* µs: the handshake's first timer, Linux's 1 s */

static void prove_loss(struct endpoint *e)
{
	int next_soon = e->gap && 2 * (int64_t)e->gap < MOMENTS;
	e->flags |= (e->flags & EP_LOST_ONCE) || next_soon ? EP_DOUBT
							   : EP_LOST_ONCE;
}

/* Did e send this before the segment last assumed delivered to it could
 * have arrived? Then its retransmission crossed that segment and proves
 * nothing about it. */
static int crossed(const struct endpoint *e, int64_t now)
{
	return now - e->assumed_ts < (int64_t)e->rtt;
}

/* Did e send this before the segment that moved it to its state could have
 * arrived? A copy sent again that crossed only a later copy of the ACK that
 * moved it (crossed(): for a FIN, the peer's own FIN sent again; for a
 * SYN/ACK, the client's answer to this very copy, shown first by a capture
 * that reordered them) still shows the first ACK lost: it left long after
 * it. */
static int crossed_move(const struct endpoint *e, int64_t now)
{
	return now - e->since < (int64_t)e->rtt;
}

/* e sent a copy again (before its move, if any, in fsm_apply()). After a
 * first loss that is a second, whether or not an ACK between them passed
 * here to take the state forward. */
static void copy_sent_again(struct endpoint *e, int64_t now)
{
	if ((e->flags & EP_LOST_ONCE) && !crossed(e, now))
		e->flags |= EP_DOUBT;
}

void fsm_move(struct endpoint ep[2], int side, enum fsm_input in, int64_t now,
	      struct fsm_result *res)
{
	struct endpoint *e = &ep[side];
	const struct fsm_cell *cell = &fsm_table[in][e->state];
	uint8_t to = cell->to == FSM_BACK ? e->prev_state : cell->to;
	if (to == e->state)
		return; /* no state left to go back to */
	if (is_assumption(in) && res->corrupt)
		return;
	/* Silence is weak news once the path toward the host has lost copies
	 * of what it waits for: the copy that would show it missing may be
	 * due later than assumed, or missed by the sensor itself. */
	if (in >= QUIET_SYN && in <= MISSED_FIN_ACK && (e->flags & EP_DOUBT))
		return;
	if (is_assumption(in)) {
		e->assumed_ts = now;
		/* Nor to one behind a path proven dead (stall.c): a RST or FIN
		 * sent into it is lost like the data before it, and its host
		 * stays where it was. */
		if (e->flags & (EP_DOUBT | EP_PATH_DEAD))
			return;
	}
	/* A correction proves a loss toward the host, save where the wire
	 * was misread: a byte of data taken for a FIN lost nothing. */
	if (cell->correction && in != FIN_WAS_DATA &&
	    in != ACKED_DATA_NOT_FIN) {
		if (is_retransmission(in) && crossed(e, now) &&
		    crossed_move(e, now))
			return;
		prove_loss(e);
	}
	/* Silence showed it received: it is receiving again. */
	if (in >= QUIET_ACK_OF_SYN && in <= QUIET_FIN)
		e->flags &= (uint16_t) ~(EP_DOUBT | EP_LOST_ONCE);
	/* Silence showed it received a SYN or SYN/ACK, which it answers at
	 * once: its answer, unseen, went toward its peer about now. The
	 * peer's copies sent before then no longer show it waiting; only
	 * one sent after does (alerts.c). */
	if (in == QUIET_SYN || in == QUIET_SYNACK)
		ep[!side].assumed_ts = now;
	if (res->n < FSM_MAX_CHANGES)
		res->change[res->n++] = (struct fsm_change){
			(uint8_t)side,	  e->state,    to,
			cell->correction, (uint8_t)in, cell->cause};
	e->state = to;
	e->after_rst = in == RCV_RST ? RESET_QUIET : RESET_NONE;
	/* What it waited for is overtaken unless it still means a move from
	 * here (a FIN that reached a host which then sent its own). */
	if (e->pending && !fsm_table[e->pending][e->state].cause)
		e->pending = 0;
	/* The silence that shows the FIN arrived is its sender's: it sent
	 * no copy when one was due, so the ACK of it, unseen, reached it. */
	if (in == QUIET_FIN)
		fsm_apply(ep, !side, QUIET_ACK_OF_FIN, now, res);
	/* The answer the sensor missed went back like any ACK: assumed
	 * delivered, as one seen would be. */
	if (in == MISSED_FIN_ACK)
		fsm_apply(ep, !side, RCV_ACK_OF_FIN, now, res);
	/* (Not so for QUIET_SYNACK: that silence is the receiver's own, and
	 * its ACK, unseen, may have been lost before the sensor: the server
	 * stays in SYN_RECEIVED until a segment of the client's shows it.) */
}

/* Delivers an acknowledgement of r's SYN or FIN (assumption `in`). To an
 * endpoint in doubt that is retransmitting, it is not assumed, but noted:
 * if r falls quiet past its next retransmission, it got it (`quiet`). */
static void deliver_ack(struct endpoint ep[2], int side, enum fsm_input in,
			enum fsm_input quiet, int64_t now,
			struct fsm_result *res)
{
	struct endpoint *r = &ep[side];

	if (res->corrupt)
		return;
	r->assumed_ts = now; /* a retransmission crossing it proves nothing */
	if (!(r->flags & EP_DOUBT) || !fsm_table[quiet][r->state].cause) {
		fsm_apply(ep, side, in, now, res);
		return;
	}
	r->assumed_ts = now;
	if (r->gap == 0)
		return;
	/* Its retransmission interval doubles: the next copy is due 2 gaps
	 * after the last; give it half a gap more. */
	int64_t deadline = r->tx_ts + 5 * (int64_t)r->gap / 2;
	if (deadline <= now)
		deadline = now + r->gap;
	r->pending = (uint8_t)quiet;
	res->pend_deadline[side] = deadline;
}

void fsm_deliver_crossed(struct endpoint ep[2], int side, int64_t now,
			 struct fsm_result *res)
{
	deliver_ack(ep, side, RCV_ACK_OF_FIN, QUIET_ACK_OF_FIN, now, res);
}

/* How long a sender leaves a SYN, SYN/ACK or FIN unacknowledged before it
 * sends it again: Linux and RFC 6298 start a SYN's and SYN/ACK's timer at
 * 1 s, a FIN's at the 200 ms minimum plus the round trip. Once it has
 * retransmitted, each interval doubles the last. The bounds are generous:
 * taken too short, a late retransmission would take a state back. */
#define SYN_RTO_BOUND 1500000 /* µs */
#define FIN_RTO_BOUND 1000000 /* µs */
/* Linux acknowledges a FIN at once, or within its 40 ms delayed ACK. */
#define DELAYED_ACK_BOUND 50000 /* µs */

static int64_t sender_retransmission_deadline(const struct endpoint *s,
					      const struct endpoint *r,
					      int64_t now)
{
	if (s->gap)
		return now + 5 * (int64_t)s->gap / 2;
	int64_t rtt = (int64_t)s->rtt + r->rtt;
	return now + (3 * rtt > FIN_RTO_BOUND ? 3 * rtt : FIN_RTO_BOUND);
}

/* A host in SYN_SENT that has not received the SYN/ACK (or, in a
 * simultaneous open, the peer's SYN) sends its own SYN again when its timer
 * runs out: silence past that is the proof it got it, whether or not its
 * sender resends (the answer may be lost before the sensor, and then the
 * sender resends though the receiver has it). */
static int64_t own_retransmission_deadline(const struct endpoint *r,
					   int64_t now)
{
	int64_t due = r->tx_ts + (r->gap ? 5 * (int64_t)r->gap / 2
					 : SYN_RTO_BOUND + r->rtt);
	return due > now ? due : now + (r->gap ? r->gap : SYN_RTO_BOUND);
}

/* What silence proves about a segment that had to be answered. */
static enum fsm_input quiet_input(enum fsm_input in)
{
	return in == RCV_SYN	  ? QUIET_SYN
	       : in == RCV_SYNACK ? QUIET_SYNACK
				  : QUIET_FIN;
}

/* A segment that ep[side] must answer at once passed toward it (input `in`
 * if it arrives: RCV_SYN, RCV_SYNACK or RCV_FIN). Its answer, when it
 * passes, moves it (SND_SYNACK, SND_ACK_SYN, SND_ACK_FIN); until then it
 * did not receive. If no copy comes when one would be due had it not
 * arrived (a FIN's from its sender; a SYN's and SYN/ACK's from the receiver
 * itself, which resends its own SYN until answered), it arrived and the
 * sensor missed the answer: the pending QUIET_* input applies then. */
static void expect_answer(struct endpoint ep[2], int side, enum fsm_input in,
			  int64_t now, struct fsm_result *res)
{
	struct endpoint *r = &ep[side], *s = &ep[!side];
	/* On a sensor that misses more than the path loses, a FIN's answer
	 * is due within the receiver's round trip and delayed ACK; twice the
	 * round trip leaves room for its jitter. Without a measured round
	 * trip, "at once" is unknown, and its sender's silence decides. */
	int missed = in == RCV_FIN && res->lossy_sensor && r->rtt &&
		     !(r->flags & EP_DOUBT);
	enum fsm_input quiet = missed ? MISSED_FIN_ACK : quiet_input(in);

	if (!fsm_table[in][r->state].cause || res->corrupt)
		return;
	/* Nothing of its direction seen: its answer cannot be either (a
	 * one-sided capture). The segment is taken as delivered. */
	if (!(r->flags & EP_SEEN)) {
		fsm_apply(ep, side, in, now, res);
		return;
	}
	r->assumed_ts = now; /* a retransmission crossing it proves nothing */
	if (r->pending && r->pending != quiet)
		return; /* it waits on something else: its answer will tell */
	r->pending = (uint8_t)quiet;
	res->pend_deadline[side] =
		missed		? now + 2 * (int64_t)r->rtt + DELAYED_ACK_BOUND
		: in == RCV_FIN ? sender_retransmission_deadline(s, r, now)
				: own_retransmission_deadline(r, now);
}

/* What acknowledges ep[side]'s FIN cannot be seen (one-sided), or may pass
 * unseen (below). Its first copy, taken as delivered to the unseen peer
 * (expect_answer()), is answered at once, and that ACK is taken as
 * delivered like one seen would be, until the FIN comes again. A copy sent
 * again, or a sender in doubt, waits for its own silence instead: a FIN
 * not sent again when due was acknowledged. (A SYN not sent again to a
 * peer never seen was answered too, by a SYN/ACK or a RST; but reading
 * that as a refusal closed live connections whose peer's packets a lossy
 * sensor had missed, and is not done.) */
static void await_unseen_ack(struct endpoint ep[2], int side, int first,
			     int64_t now, struct fsm_result *res)
{
	struct endpoint *s = &ep[side], *r = &ep[!side];

	/* Seen, the peer answers with an ACK the sensor will show, save a
	 * copy's to a peer that acknowledged the FIN already (TIME_WAIT,
	 * CLOSED): that answer may pass unseen, and only the sender's next
	 * copy tells (AWAIT_FIN_COPY). */
	if (r->flags & EP_SEEN) {
		if (!first && (r->flags & EP_ACKED_PEER_FIN) && !s->pending)
			s->pending = AWAIT_FIN_COPY;
		return;
	}
	if (first && !res->corrupt && !(s->flags & (EP_DOUBT | EP_PATH_DEAD)) &&
	    fsm_table[INFER_ACK_OF_FIN][s->state].cause) {
		fsm_apply(ep, side, INFER_ACK_OF_FIN, now, res);
		return;
	}
	if (s->pending || !fsm_table[QUIET_ACK_OF_FIN][s->state].cause)
		return;
	s->pending = QUIET_ACK_OF_FIN;
	res->pend_deadline[side] = sender_retransmission_deadline(s, r, now);
}

/* A copy of the FIN ep[side] waited to answer: the first did not arrive
 * (or its sender would not resend it), so what was pending on it waits on
 * this copy now. */
static void fin_resent_toward(struct endpoint *r)
{
	if (r->pending == QUIET_FIN || r->pending == MISSED_FIN_ACK)
		r->pending = 0;
}

/* No stack retransmits within a millisecond, nor before a round trip to its
 * peer: a copy that soon is the capture seeing one segment twice (a span
 * port mirroring both directions), and proves nothing. */
#define DUPLICATE_WINDOW 1000 /* µs */

int64_t fsm_resend_floor(const struct endpoint *e)
{
	return e->rtt > DUPLICATE_WINDOW ? e->rtt : DUPLICATE_WINDOW;
}

static int is_duplicate(const struct endpoint *e, int64_t now)
{
	return now - e->tx_ts < fsm_resend_floor(e);
}

/* e sent its SYN, SYN/ACK or FIN again (retx) or for the first time. */
static void note_copy(struct endpoint *e, int retx, int64_t now)
{
	if (retx) {
		int64_t gap = now - e->tx_ts;
		e->gap = gap > UINT32_MAX ? UINT32_MAX : (uint32_t)gap;
		if (!crossed(e, now))
			e->pending = 0; /* it did not get the ACK after all */
	} else {
		e->gap = 0;
	}
	e->tx_ts = now;
}

static void set_rtt(struct endpoint *e, int64_t now, int64_t sent)
{
	int64_t rtt = now - sent;
	e->rtt = rtt < 0 ? 0 : rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
}

static void count(uint8_t *counter)
{
	if (*counter < UINT8_MAX)
		(*counter)++;
}

/* Would receiver r, to which s sent it, accept this RST? RFC 793 and 5961:
 * in SYN_SENT only if it acknowledges the SYN; otherwise only if its sequence
 * number falls within the receive window. */
static int rst_acceptable(const struct endpoint *s, const struct endpoint *r,
			  const struct segment *seg)
{
	if (r->state == TCPFSM_SYN_SENT)
		return (seg->flags & TH_ACK) && seg->ack == r->snd_nxt;
	if (r->state == TCPFSM_CLOSED || r->state == TCPFSM_LISTEN)
		return 1;

	uint32_t rcv_nxt;
	uint32_t wnd = 65535;
	if (r->flags & EP_SENT_ACK) {
		rcv_nxt = r->ack;
		wnd = r->window;
		if ((r->flags & EP_WSCALE) && (s->flags & EP_WSCALE))
			wnd <<= r->wscale;
	} else if (s->flags & EP_SEEN) {
		rcv_nxt = s->snd_nxt;
	} else {
		return 1;
	}
	if (wnd == 0)
		wnd = 1;
	/* The sender's own next sequence number is always acceptable: it is
	 * what a closing host puts in its RST, even when acks lag. */
	return (seq_geq(seg->seq, rcv_nxt) &&
		seq_lt(seg->seq, rcv_nxt + wnd)) ||
	       seg->seq == s->snd_nxt;
}

void fsm_infer_syn(struct endpoint ep[2], int side, uint32_t ack, int synack,
		   int64_t now, struct fsm_result *res)
{
	struct endpoint *e = &ep[side];

	e->isn = ack - 1;
	e->snd_nxt = ack;
	e->flags |= EP_SENT_SYN | (synack ? EP_SENT_SYNACK : 0);
	fsm_apply(ep, side, synack ? INFER_SYNACK : INFER_SYN, now, res);
}

static void handle_syn(struct endpoint ep[2], int from,
		       const struct segment *seg, int first_sight, int64_t now,
		       struct fsm_result *res)
{
	struct endpoint *s = &ep[from], *r = &ep[!from];
	int synack = (seg->flags & TH_ACK) != 0;
	int same = (s->flags & EP_SENT_SYN) && seg->seq == s->isn;
	enum fsm_input in;

	/* The first segment seen of its sender, the SYN/ACK its peer's ACK
	 * already showed: the capture reordered them (or missed its first
	 * copy). It is the late sight of what was inferred, not a copy sent
	 * again, and proves no loss. (A SYN seen after its SYN/ACK is read
	 * as sent again: the SYN/ACK was taken as delivered while the SYN's
	 * direction was unseen, and the client goes back to SYN_SENT until
	 * its answer shows.) */
	if (same && synack && first_sight) {
		res->reordered = 1;
		same = 0;
	}
	if (synack)
		in = same && (s->flags & EP_SENT_SYNACK) ? SND_SYNACK_RETX
							 : SND_SYNACK;
	else
		in = same ? SND_SYN_RETX : SND_SYN;
	int retx = in == SND_SYN_RETX || in == SND_SYNACK_RETX;
	if (retx && is_duplicate(s, now))
		return;
	if (retx) {
		count(&s->syn_retx);
		res->retransmitted = 1;
		copy_sent_again(s, now);
	}
	/* The sensor to the server and back: its first SYN/ACK answers the
	 * last SYN seen. */
	if (in == SND_SYNACK && (r->flags & EP_SENT_SYN) &&
	    (r->flags & EP_SEEN))
		set_rtt(s, now, r->tx_ts);
	note_copy(s, retx, now);
	/* A copy that crossed what it waits to receive: its next copy is due
	 * later now. */
	if (retx && (s->pending == QUIET_SYN || s->pending == QUIET_SYNACK))
		res->pend_deadline[from] = own_retransmission_deadline(s, now);

	s->isn = seg->seq;
	s->flags |= EP_SENT_SYN | (synack ? EP_SENT_SYNACK : 0);
	if (seg->options & OPT_WSCALE) {
		s->flags |= EP_WSCALE;
		s->wscale = seg->wscale;
	}
	fsm_apply(ep, from, in, now, res);

	if (in == SND_SYN || in == SND_SYN_RETX) {
		/* A host in SYN_SENT answers a SYN with its SYN/ACK. */
		expect_answer(ep, !from, RCV_SYN, now, res);
		/* SYNs that crossed: the peer's, seen earlier, arrives next. */
		if (in == SND_SYN && (r->state == TCPFSM_SYN_SENT ||
				      r->state == TCPFSM_SYN_RECEIVED))
			expect_answer(ep, from, RCV_SYN, now, res);
		return;
	}
	/* One-sided: a SYN/ACK to a peer never seen answers its SYN, unseen,
	 * with the sequence number it acknowledges (a simultaneous open: the
	 * sender's own SYN went first). */
	if (synack && !(r->flags & (EP_SEEN | EP_SENT_SYN)))
		fsm_infer_syn(ep, !from, seg->ack, 0, now, res);
	/* A SYN/ACK counts only if it acknowledges the receiver's SYN (and
	 * none, some or all of the data a Fast Open SYN carried). */
	if (!(r->flags & EP_SENT_SYN) || !acks_syn(r, seg->ack))
		return;
	/* Sent again to a receiver we can see that never acknowledged it:
	 * the path toward it loses packets. */
	if (retx && (r->flags & EP_SEEN) && !(r->flags & EP_ACKED_PEER_SYN))
		r->flags |= EP_DOUBT;
	/* Its ACK passed first (the capture reordered them): it has it. (In
	 * a simultaneous open, its own SYN/ACK already acknowledged this SYN:
	 * only its answer to the SYN/ACK will tell.) */
	if (r->state == TCPFSM_SYN_SENT && (r->flags & EP_SENT_ACK) &&
	    seq_geq(r->ack, s->isn + 1)) {
		res->reordered = 1;
		fsm_apply(ep, !from, SND_ACK_SYN, now, res);
	} else
		expect_answer(ep, !from, RCV_SYNACK, now, res);
}

/* A host that has its peer's FIN and only answers now (TIME_WAIT, CLOSING)
 * acknowledges it again only when a copy of it arrives. A repeat coming
 * later than the answer to the last copy seen answers one the sensor
 * missed, sent about the host's round trip ago: the FIN's sender did not
 * get the ACK before it, and its next copy is due a doubled interval after
 * that one, not after the last seen. */
static int answers_unseen_fin_copy(const struct endpoint *s,
				   const struct endpoint *r,
				   const struct segment *seg, uint32_t prev_ack,
				   int64_t now)
{
	/* Without its measured round trip, "later than the answer" is
	 * unknown (a sensor that missed the handshake): nothing is read. */
	return s->rtt && (s->flags & EP_ACKED_PEER_FIN) &&
	       seg->ack == prev_ack && seg->payload_len == 0 &&
	       !(seg->flags & TH_FIN) &&
	       (s->state == TCPFSM_TIME_WAIT || s->state == TCPFSM_CLOSING) &&
	       !(r->flags & EP_FIN_UNSEEN) &&
	       now - r->tx_ts > 2 * (int64_t)s->rtt + DELAYED_ACK_BOUND;
}

/* The acknowledgement number: certain news of what the sender received, and
 * the first time, assumed news for the receiver that its SYN or FIN arrived. */
static void handle_ack(struct endpoint ep[2], int from,
		       const struct segment *seg, uint32_t prev_ack,
		       uint32_t r_nxt, int64_t now, struct fsm_result *res)
{
	struct endpoint *s = &ep[from], *r = &ep[!from];

	/* Before the deliveries below, which each mark the receiver as just
	 * sent an ACK (crossed()): the copy this one answers left before it. */
	if ((r->flags & EP_SENT_FIN) && seq_geq(seg->ack, r->fin_seq + 1) &&
	    answers_unseen_fin_copy(s, r, seg, prev_ack, now)) {
		int64_t sent = now - (int64_t)s->rtt;
		copy_sent_again(r, sent);
		note_copy(r, 1, sent);
		fsm_apply(ep, !from, INFER_FIN_RETX, sent, res);
	}
	/* One-sided: an ACK from a client whose peer was never seen proves a
	 * SYN/ACK went out, with the sequence number it acknowledges. */
	if (!(r->flags & EP_SEEN) && (s->flags & EP_SENT_SYN) &&
	    !(r->flags & EP_SENT_SYN) && s->state == TCPFSM_SYN_SENT)
		fsm_infer_syn(ep, !from, seg->ack, 1, now, res);
	/* The mirror, when the sensor missed the SYN/ACK (and what answered
	 * it): a host that sent no SYN acknowledges its peer's. It answered
	 * that SYN, and a SYN is answered only by a SYN/ACK, its sequence
	 * number the one before this segment's; past it now, without a SYN
	 * flag, it is out of SYN_RECEIVED (SND_ACK_SYN below). */
	if (!(s->flags & EP_SENT_SYN) && (r->flags & EP_SENT_SYN) &&
	    r->state == TCPFSM_SYN_SENT && acks_syn(r, seg->ack)) {
		uint32_t nxt = s->snd_nxt;
		fsm_infer_syn(ep, from, seg->seq, 1, now, res);
		s->snd_nxt = nxt; /* what it was seen to send since */
	}
	if ((r->flags & EP_SENT_SYN) && seq_geq(seg->ack, r->isn + 1)) {
		/* The sensor to the client and back: its first ACK answers
		 * the last SYN/ACK seen. */
		if (!(s->flags & EP_ACKED_PEER_SYN) &&
		    (r->flags & EP_SENT_SYNACK) && (r->flags & EP_SEEN))
			set_rtt(s, now, r->tx_ts);
		s->flags |= EP_ACKED_PEER_SYN;
		fsm_apply(ep, from, SND_ACK_SYN, now, res);
		deliver_ack(ep, !from, RCV_ACK_OF_SYN, QUIET_ACK_OF_SYN, now,
			    res);
	}
	/* A FIN the sensor did not see shows in this side's acknowledgement:
	 * one byte past all that the peer was seen to send (or, a peer never
	 * seen, past this side's last acknowledgement), on a segment with no
	 * data, or on any with the peer never seen (a one-byte segment of
	 * data is rare; a FIN ends most connections). Sent after this side's
	 * FIN reached it, it acknowledges that too.
	 *
	 * Whether it was sent after this side's FIN reached it is not on the
	 * wire either. Crossing FINs leave their hosts within a round trip
	 * of each other: this ACK, coming a round trip or more after this
	 * side's FIN passed, leaves time for the peer to have got that FIN
	 * and closed in answer (CLOSE_WAIT, then LAST_ACK), which is how
	 * most connections end; sooner, they crossed. A peer that closes at
	 * once puts its ACK a round trip after exactly, and the round trips
	 * measured may each be a little long (a delayed ACK, jitter): a
	 * quarter of them is left for that. */
	uint32_t known = (r->flags & EP_SEEN) ? r_nxt : prev_ack;
	/* Seen from both sides, data that acknowledges one byte more may
	 * answer a byte of data, and the peer's next sequence number will
	 * tell (infer_own_fin()). With the peer never seen nothing else
	 * will, and a half-close's data carries the ACK of the FIN: read
	 * as one, it is taken back if a later ACK moves past it (below). */
	if (seg->ack == known + 1 &&
	    !(r->flags & (EP_SENT_FIN | EP_FIN_UNSEEN)) &&
	    (s->flags & EP_ACKED_PEER_SYN) &&
	    (seg->payload_len == 0 || !(r->flags & EP_SEEN))) {
		if ((s->flags & EP_SENT_FIN) &&
		    !(r->flags & EP_ACKED_PEER_FIN) &&
		    fsm_table[SND_ACK_FIN][r->state].cause &&
		    r->state != TCPFSM_FIN_WAIT_1 &&
		    4 * (now - s->tx_ts) >= 3 * ((int64_t)s->rtt + r->rtt)) {
			r->flags |= EP_ACKED_PEER_FIN;
			fsm_apply(ep, !from, SND_ACK_FIN, now, res);
		}
		r->fin_seq = known;
		r->flags |= EP_SENT_FIN | EP_FIN_UNSEEN;
		fsm_apply(ep, !from, INFER_FIN, now, res);
		if (r->state == TCPFSM_LAST_ACK && (s->flags & EP_SENT_FIN)) {
			r->flags |= EP_ACKED_PEER_FIN;
			fsm_apply(ep, from, RCV_ACK_OF_FIN, now, res);
		}
	}
	if (!(r->flags & EP_SENT_FIN) || !seq_geq(seg->ack, r->fin_seq + 1))
		return;
	/* Past the FIN that an earlier ACK implied, the peer never seen: it
	 * was a byte of data. Both take their close back, and ACKs no longer
	 * imply this peer's FIN (EP_FIN_UNSEEN stays as that mark). */
	if ((r->flags & (EP_FIN_UNSEEN | EP_SEEN)) == EP_FIN_UNSEEN &&
	    seg->ack != r->fin_seq + 1) {
		r->flags &= (uint16_t)~EP_SENT_FIN;
		s->flags &= (uint16_t)~EP_ACKED_PEER_FIN;
		fsm_apply(ep, !from, FIN_WAS_DATA, now, res);
		fsm_apply(ep, from, ACKED_DATA_NOT_FIN, now, res);
		return;
	}
	/* No round trip from a handshake the sensor did not see (or missed
	 * part of): a FIN is acknowledged at once, and the first ACK of a FIN
	 * seen once (Karn: not of a copy sent again) measures it, a delayed
	 * ACK at most longer. */
	if (!s->rtt && !(s->flags & EP_ACKED_PEER_FIN) && !r->gap &&
	    !(r->flags & EP_FIN_UNSEEN) && (s->flags & EP_SEEN))
		set_rtt(s, now, r->tx_ts);
	s->flags |= EP_ACKED_PEER_FIN;
	fsm_apply(ep, from, SND_ACK_FIN, now, res);
	deliver_ack(ep, !from, RCV_ACK_OF_FIN, QUIET_ACK_OF_FIN, now, res);
}

static void handle_fin(struct endpoint ep[2], int from,
		       const struct segment *seg, int64_t now,
		       struct fsm_result *res)
{
	struct endpoint *s = &ep[from], *r = &ep[!from];
	uint32_t fin_seq = seg->seq + seg->payload_len;

	if ((s->flags & EP_SENT_FIN) && fin_seq == s->fin_seq) {
		/* The FIN its peer's ACK already showed, seen at last: the
		 * capture reordered them (or missed this copy's first). */
		if (s->flags & EP_FIN_UNSEEN) {
			s->flags &= (uint16_t)~EP_FIN_UNSEEN;
			res->reordered = 1;
			note_copy(s, 0, now);
			return;
		}
		if (is_duplicate(s, now))
			return;
		count(&s->fin_retx);
		res->retransmitted = 1;
		copy_sent_again(s, now);
		note_copy(s, 1, now);
		int crossing = crossed(s, now);
		uint8_t was = s->state;
		fsm_apply(ep, from, SND_FIN_RETX, now, res);
		/* It took back the move an ACK of its FIN had made though it
		 * crossed a later copy of that ACK (crossed_move()): the first
		 * did not arrive, but the copy it crossed left after it and
		 * still may. That one is delivered once the correction is
		 * reported: the host was stuck until then, and an alert due
		 * for that comes first. */
		res->crossed_ack[from] =
			crossing && s->state != was &&
			fsm_table[SND_FIN_RETX][was].correction &&
			(r->flags & EP_ACKED_PEER_FIN);
		await_unseen_ack(ep, from, 0, now, res);
		/* Unacknowledged by a receiver we can see: it never got it,
		 * and the path toward it loses packets. */
		if ((r->flags & EP_SEEN) && !(r->flags & EP_ACKED_PEER_FIN)) {
			r->flags |= EP_DOUBT;
			fsm_apply(ep, !from, RCV_FIN_UNACKED, now, res);
			fin_resent_toward(r);
			expect_answer(ep, !from, RCV_FIN, now, res);
		}
		return;
	}
	int crossing =
		(r->flags & EP_SENT_FIN) &&
		!((seg->flags & TH_ACK) && seq_geq(seg->ack, r->fin_seq + 1));
	/* Not acknowledging the peer's FIN, its FIN crossed it only if it
	 * left before the peer's last copy could arrive. Later, that FIN
	 * never reached it, whatever was read into its peer's silence: it
	 * closes first, from where it was (not without a round trip). */
	if (crossing && s->rtt &&
	    now - r->tx_ts > 2 * (int64_t)s->rtt + DELAYED_ACK_BOUND) {
		fsm_apply(ep, from, SND_FIN_UNACKING, now, res);
		crossing = 0;
	}
	note_copy(s, 0, now);
	s->fin_seq = fin_seq;
	s->flags |= EP_SENT_FIN;
	fsm_apply(ep, from, crossing ? SND_FIN_CROSSED : SND_FIN, now, res);
	/* Its ACK passed first (the capture reordered them): it has it. */
	if ((r->flags & EP_SENT_ACK) && seq_geq(r->ack, fin_seq + 1)) {
		res->reordered = 1;
		r->flags |= EP_ACKED_PEER_FIN;
		fsm_apply(ep, !from, SND_ACK_FIN, now, res);
		return;
	}
	expect_answer(ep, !from, RCV_FIN, now, res);
	await_unseen_ack(ep, from, 1, now, res);
}

/* Does seg, from s, show that one sequence number went by unseen at the
 * end of all s sent, a number only a FIN (or one byte of data, rarer)
 * takes? It is empty and comes one past all s was seen to send; or the
 * peer's acknowledgement already showed that one number missing (a gap of
 * one at the end, its start kept in fin_seq: track_sequence()), and seg,
 * empty, comes right after it. Returns the sequence number of the unseen
 * FIN, or -1. */
static int64_t fin_skipped(const struct endpoint *s, const struct segment *seg)
{
	if ((s->flags & (EP_SEEN | EP_ACKED_PEER_SYN | EP_SENT_FIN)) !=
		    (EP_SEEN | EP_ACKED_PEER_SYN) ||
	    seg->payload_len || (seg->flags & (TH_SYN | TH_FIN)))
		return -1;
	if (seg->seq == s->snd_nxt + 1)
		return s->snd_nxt;
	if ((s->flags & EP_GAP) && seg->seq == s->snd_nxt &&
	    s->fin_seq + 1 == s->snd_nxt)
		return s->fin_seq;
	return -1;
}

/* s's FIN, at fin_seq, went by unseen (fin_skipped()): it sent one, and
 * the sensor misses packets of this direction (EP_GAP; larger jumps are
 * data lost on either side of the sensor: stall.c tells which). If its
 * peer's acknowledgement of it passed already (which showed the number
 * missing), the peer has it and s has that ACK; else the peer's next
 * acknowledgements will tell (handle_ack()). */
static void infer_own_fin(struct endpoint ep[2], int from, uint32_t fin_seq,
			  int64_t now, struct fsm_result *res)
{
	struct endpoint *s = &ep[from], *r = &ep[!from];

	s->fin_seq = fin_seq;
	s->flags |= EP_GAP | EP_SENT_FIN | EP_FIN_UNSEEN;
	fsm_apply(ep, from, INFER_FIN_BY_SEQ, now, res);
	if ((r->flags & EP_SENT_ACK) && seq_geq(r->ack, fin_seq + 1) &&
	    !(r->flags & EP_ACKED_PEER_FIN)) {
		r->flags |= EP_ACKED_PEER_FIN;
		fsm_apply(ep, !from, SND_ACK_FIN, now, res);
		deliver_ack(ep, from, RCV_ACK_OF_FIN, QUIET_ACK_OF_FIN, now,
			    res);
	}
}

/* EP_GAP_BY_ACK (flow.h): while it is set, the endpoint's fin_seq (read
 * only once EP_SENT_FIN is set; or set to the same number by a FIN shown by
 * that ACK, handle_ack()) holds where the bytes flagged missing begin: all
 * the sensor had seen it send. */

/* Sequence bookkeeping that every segment contributes. An acknowledgement
 * of more than the sensor saw its peer send is a content gap: the sensor
 * missed those packets (Zeek's capture-loss counts the same way).
 * A capture that reorders shows the same: an ACK passes just before the
 * data it acknowledges. If the very next segment of the flow is that data,
 * from all the sensor had seen to where the ACK ends, the bytes flagged
 * missing have passed: the capture reordered them, and the mark the ACK
 * alone set is withdrawn, and the gap it counted taken back (counted as
 * reordered instead: res->unmissed). The data must start where the missing
 * bytes do: if the sensor missed a segment and the capture swapped the next
 * with its ACK, the late one starts above them, and the mark stays.
 * gap_by_ack: s's EP_GAP was set by the flow's previous segment alone. */
static void track_sequence(struct endpoint *s, struct endpoint *r,
			   const struct segment *seg, int gap_by_ack,
			   struct fsm_result *res)
{
	uint32_t end = seg->seq + seg->payload_len +
		       ((seg->flags & TH_SYN) ? 1 : 0) +
		       ((seg->flags & TH_FIN) ? 1 : 0);

	if (gap_by_ack && !(seg->flags & TH_SYN) && seg->seq == s->fin_seq &&
	    end == s->snd_nxt && seq_lt(seg->seq, end)) {
		s->flags &= (uint16_t)~EP_GAP;
		res->reordered = 1;
		res->unmissed = end - seg->seq;
	}

	if (!(s->flags & EP_SEEN) || seq_lt(s->snd_nxt, end))
		s->snd_nxt = end;
	if (seg->flags & TH_ACK) {
		/* New data acknowledged: the endpoint is receiving again. */
		if (!(s->flags & EP_SENT_ACK) || seq_lt(s->ack, seg->ack)) {
			s->flags &= (uint16_t) ~(EP_DOUBT | EP_LOST_ONCE);
			s->ack = seg->ack;
			res->acked = 1;
		}
		/* (r's snd_nxt is known once it sent a SYN or an ACK; a peer
		 * never seen is a one-sided capture, not a lossy one.) */
		if ((r->flags & EP_SEEN) &&
		    (r->flags & (EP_SENT_SYN | EP_SENT_ACK)) &&
		    seq_lt(r->snd_nxt, seg->ack)) {
			res->missed = seg->ack - r->snd_nxt;
			if (!(r->flags & (EP_GAP | EP_SENT_FIN))) {
				r->flags |= EP_GAP_BY_ACK;
				r->fin_seq = r->snd_nxt;
			}
			r->snd_nxt = seg->ack;
			r->flags |= EP_GAP;
		}
		s->flags |= EP_SENT_ACK;
	}
	s->window = seg->window;
	s->flags |= EP_SEEN;
}

/*
 * A RST is never sent again: the one sign that it was lost is its receiver
 * going on as before. But a first segment after it may have left before
 * the RST arrived, and more may follow it in flight or from a queue; and
 * the receiver's peer, its socket gone, answers whatever reaches its host
 * with a RST. So the receiver's segments prove the loss (SND_AFTER_RST)
 * only when the first left after the RST could have arrived (not crossed(),
 * and so not without a measured round trip) and is followed by a copy of
 * what it sent (a retransmission: nothing acknowledged it) or by its peer's
 * answering RST (fsm_segment()). Silence after the first means the sensor
 * missed that answer: it stays reset.
 */
static void heard_after_rst(struct endpoint ep[2], int from,
			    const struct segment *seg, int64_t now,
			    struct fsm_result *res)
{
	struct endpoint *s = &ep[from];

	if (seg->flags & TH_SYN) {
		s->after_rst = RESET_NONE; /* a new connection's */
	} else if (s->after_rst == RESET_QUIET) {
		s->after_rst =
			s->rtt && !crossed(s, now) ? RESET_SPOKE : RESET_NONE;
	} else if (seq_lt(seg->seq, s->snd_nxt)) {
		fsm_apply(ep, from, SND_AFTER_RST, now, res);
	}
}

void fsm_segment(struct endpoint ep[2], int from, const struct segment *seg,
		 int64_t now, int lossy_sensor, int64_t peer_data_ts,
		 struct fsm_result *res)
{
	struct endpoint *s = &ep[from], *r = &ep[!from];

	res->n = 0;
	res->lossy_sensor = lossy_sensor;
	res->corrupt = seg->ip_csum == CSUM_BAD || seg->tcp_csum == CSUM_BAD;
	res->rst_ignored = 0;
	res->retransmitted = 0;
	res->acked = 0;
	res->missed = 0;
	res->unmissed = 0;
	res->reordered = 0;
	res->pend_deadline[0] = res->pend_deadline[1] = 0;
	res->crossed_ack[0] = res->crossed_ack[1] = 0;
	int gap_by_ack = (s->flags & EP_GAP_BY_ACK) != 0;
	s->flags &= (uint16_t)~EP_GAP_BY_ACK;
	r->flags &= (uint16_t)~EP_GAP_BY_ACK;

	if (seg->flags & TH_RST) {
		/* It answers what r sent after the RST before it. A host that
		 * resets says no more itself. */
		if (r->after_rst == RESET_SPOKE)
			fsm_apply(ep, !from, SND_AFTER_RST, now, res);
		s->after_rst = RESET_NONE;
		if (!rst_acceptable(s, r, seg)) {
			res->rst_ignored = 1;
			return;
		}
		s->flags |= EP_SEEN; /* a RST's sequence number is no data */
		fsm_apply(ep, from, SND_RST, now, res);
		fsm_apply(ep, !from, RCV_RST, now, res);
		return;
	}
	if (s->after_rst)
		heard_after_rst(ep, from, seg, now, res);
	/* Bookkeeping first: an acknowledgement of new data clears doubt, and
	 * a retransmission judged after it may raise it again. */
	/* What was known before this segment: its sender's last ack, and
	 * the most its peer was seen to send. */
	uint32_t prev_ack = (s->flags & EP_SENT_ACK) ? s->ack : seg->ack;
	uint32_t r_nxt = r->snd_nxt;
	int first_sight = !(s->flags & EP_SEEN);
	int64_t unseen_fin = fin_skipped(s, seg);
	/* No round trip from the handshake (picked up mid-stream, or the
	 * sensor missed part of it): its ACK of all of its peer's data, the
	 * connection's segment just before, answers that segment and measures
	 * it. A delayed ACK (or one riding on the reply) can only make it
	 * longer, which only makes the rules that read it wait more; but a
	 * later segment standing in for an answer the sensor missed would
	 * make it far longer: not where the sensor is seen to miss this
	 * connection's packets, nor from a segment that is not its sender's
	 * next (a keepalive probe, a copy sent again). */
	if (!s->rtt && peer_data_ts && (s->flags & (EP_SEEN | EP_SENT_SYN)) &&
	    (seg->flags & TH_ACK) && seg->ack == r_nxt &&
	    seg->seq == s->snd_nxt && !((s->flags | r->flags) & EP_GAP))
		set_rtt(s, now, peer_data_ts);
	track_sequence(s, r, seg, gap_by_ack, res);
	if (seg->flags & TH_SYN) {
		handle_syn(ep, from, seg, first_sight, now, res);
		return;
	}
	/* Its FIN went by unseen: the mirror of handle_ack()'s rule, from
	 * the FIN's own sender. */
	if (unseen_fin >= 0)
		infer_own_fin(ep, from, (uint32_t)unseen_fin, now, res);
	if (seg->flags & TH_ACK)
		handle_ack(ep, from, seg, prev_ack, r_nxt, now, res);
	if (seg->flags & TH_FIN)
		handle_fin(ep, from, seg, now, res);
}
