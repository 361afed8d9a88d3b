/*
 * identity.c - which connection a segment belongs to.
 *
 * A 4-tuple names many connections over time, and the first packet the
 * sensor sees of one need not be its SYN. Before the state machines (fsm.c)
 * interpret a segment, this decides whose it is:
 *
 *   - an existing record, if the segment continues it (a retransmitted SYN
 *     included);
 *   - a new record, when a SYN with a new initial sequence number shows that
 *     the old connection's host moved on (port reuse), or a SYN/ACK answers
 *     such a SYN that the sensor missed, or one it set aside as blind (a
 *     live host would have sent a challenge ACK): the old record is retired
 *     first;
 *   - a new record picked up mid-stream, its roles (client, server) guessed
 *     from the ports and its endpoints' states from the packet;
 *   - nothing, for a lone RST (reported as Zeek logs it) or a mid-stream
 *     packet when mid-stream pick-up is off; but a lone RST is kept a
 *     moment, for a capture that shows a refusal before the SYN it answers.
 *
 * It sits beside fsm.c because it is inference too: what a packet proves
 * about connections the sensor did not see begin or end.
 */
#include <string.h>

#include "tracker.h"

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

/* Does this SYN/ACK answer a SYN the sensor missed, of a new connection on
 * the 4-tuple of an old one? Its acknowledgement names the SYN it answers:
 * not the one this record holds, so its receiver sent a new SYN, from a new
 * socket; and its own sequence number is not the one its sender's SYN had
 * here, so that host answers from a new socket too. Both hosts moved on,
 * which they do only from an old connection over on both sides (closed, or
 * waiting out 2MSL, which accepts a new SYN), or one whose end went unseen
 * (silent for STALE_AFTER). Anywhere else it is a stale or forged answer
 * that the hosts refuse (a client in SYN_SENT answers it with a RST), and
 * the state machines see it as the old connection's. */
static int answers_unseen_syn(const struct tcpfsm *t, const struct flow *f,
			      int from, const struct segment *seg, int64_t ts)
{
	const struct endpoint *s = &f->ep[from], *r = &f->ep[!from];

	if ((s->flags & EP_SENT_SYN) && seg->seq == s->isn)
		return 0; /* a copy, or a simultaneous open's SYN/ACK */
	if ((r->flags & EP_SENT_SYN) && acks_syn(r, seg->ack))
		return 0; /* it answers the SYN seen here (and its data) */
	/* It answers the SYN taken as blind: a host in a live connection
	 * answers a SYN with a challenge ACK (RFC 5961), so both had moved
	 * on, and the old connection's end went unseen. */
	if (t->blind_syn.flow == f && t->blind_syn.from != from &&
	    seg->ack == t->blind_syn.isn + 1)
		return 1;
	return (!is_open(s) && !is_open(r)) || ts - f->last_ts >= STALE_AFTER;
}

int blind_syn_unanswered(const struct tcpfsm *t, const struct flow *f)
{
	return t->blind_syn.flow == f && f->last_ts == t->blind_syn.ts;
}

/* Does this SYN start a new connection on the 4-tuple of an old one? A host
 * sends a SYN with a new initial sequence number only from a new socket, so
 * the old connection is over on its side (even if its end went unseen),
 * unless this is the second SYN of a simultaneous open. But a SYN that hits
 * a connection still live on both sides is answered by a challenge ACK
 * (RFC 5961), not taken: so is a blind, spoofed one. Only a record silent
 * for STALE_AFTER is given up for it. Returns 1 for a new connection, 0
 * otherwise; *ignored says the SYN was refused as a blind one, kept in
 * t->blind_syn until its answer says whether it was. */
static int starts_new_connection(struct tcpfsm *t, const struct flow *f,
				 int from, const struct segment *seg,
				 int64_t ts, int *ignored)
{
	const struct endpoint *s = &f->ep[from], *r = &f->ep[!from];

	*ignored = 0;
	if ((seg->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		return answers_unseen_syn(t, f, from, seg, ts);
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
		t->blind_syn.flow = f;
		t->blind_syn.ts = ts;
		t->blind_syn.isn = seg->seq;
		t->blind_syn.from = (uint8_t)from;
		return 0;
	}
	return 1;
}

/* Closes what is still open of an old connection whose 4-tuple a new SYN
 * takes over (fsm_table's REUSED row), and forgets it. */
static void retire(struct tcpfsm *t, struct flow *f, int64_t ts)
{
	struct fsm_result res = {0};

	for (int s = 0; s < 2; s++)
		fsm_apply(f->ep, s, REUSED, ts, &res);
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
		fsm_infer_syn(f->ep, !from, seg->ack, 0, ts, &res);
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

/* A refusal answers a SYN within the server's round trip; a capture that
 * merges two taps or several queues can show it first. Its acknowledgement
 * names the SYN exactly, so a short memory of lone RSTs, one a flow hash,
 * is enough to give it back to the connection that SYN starts. */
#define EARLY_RST_WINDOW SECONDS(1)

static void keep_early_rst(struct tcpfsm *t, const struct segment *seg,
			   const struct seg_flow *sf, int64_t ts)
{
	struct early_rst *e = &t->early_rsts[sf->hash % EARLY_RSTS];

	if (!(seg->flags & TH_ACK))
		return; /* a refusal acknowledges the SYN it refuses */
	e->seg = *seg;
	e->ts = ts;
	e->hash = sf->hash;
	e->used = 1;
}

int refusal_seen_first(struct tcpfsm *t, const struct flow *f, int from,
		       const struct segment *syn, const struct seg_flow *sf,
		       int64_t ts, struct segment *rst)
{
	if (syn->flags != TH_SYN || f->first_ts != ts ||
	    f->ep[from].state != TCPFSM_SYN_SENT)
		return 0;
	struct early_rst *e = &t->early_rsts[sf->hash % EARLY_RSTS];
	const struct segment *r = &e->seg;
	if (!e->used || e->hash != sf->hash || ts - e->ts > EARLY_RST_WINDOW ||
	    r->ack != syn->seq + 1 + syn->payload_len ||
	    r->family != syn->family || r->sport != syn->dport ||
	    r->dport != syn->sport || memcmp(r->src, syn->dst, 16) != 0 ||
	    memcmp(r->dst, syn->src, 16) != 0)
		return 0;
	*rst = *r;
	e->used = 0;
	t->stats.lone_rsts--; /* it was this connection's */
	t->stats.reordered++;
	return 1;
}

/* The flow seg belongs to, creating (and setting up) one when it starts a
 * connection; NULL when it is to be no connection's. *from: the sender's
 * side; *ignored: a SYN refused on a live connection (counted by the
 * caller, which still shows it to the Zeek view). */
struct flow *identify(struct tcpfsm *t, const struct segment *seg,
		      const struct seg_flow *sf, int64_t ts, int *from,
		      int *ignored)
{
	int sender_is_lo = sf->sender_is_lo;
	struct flow *f = flow_lookup(&t->ft, &sf->key, sf->hash);

	*from = 0;
	*ignored = 0;
	if (f && idle_overdue(t, f, ts)) {
		/* Idle, but not yet reached in the loose idle order (see
		 * touch()): it ends now, before this packet, which starts a
		 * new connection as it would have on time. */
		end_flow(t, f, ts, TCPFSM_END_IDLE);
		f = NULL;
	}
	if (f) {
		*from = (sender_is_lo == f->client_is_lo) ? TCPFSM_CLIENT
							  : TCPFSM_SERVER;
		if (starts_new_connection(t, f, *from, seg, ts, ignored)) {
			if (t->blind_syn.flow == f)
				t->blind_syn.flow = NULL; /* answered */
			retire(t, f, ts);
			f = NULL;
		}
	}
	if (f)
		return f;
	/* Lone RSTs (scans' answers, backscatter) are not connections to
	 * track, but Zeek logs each as a record of one packet. */
	if (seg->flags & TH_RST) {
		t->stats.lone_rsts++;
		report_lone_rst(t, seg, ts);
		keep_early_rst(t, seg, sf, ts);
		return NULL;
	}
	if (!(seg->flags & TH_SYN) && !t->opt.midstream)
		return NULL;
	int client;
	if (seg->flags & TH_SYN)
		client = (seg->flags & TH_ACK) ? 0 : 1;
	else
		client = midstream_sender_is_client(seg);
	f = new_flow(t, &sf->key, sf->hash,
		     client ? sender_is_lo : !sender_is_lo, ts);
	if (!f)
		return NULL;
	*from = client ? TCPFSM_CLIENT : TCPFSM_SERVER;
	if (t->zeek)
		zeek_init(zeek_of(t, f));
	if (!(seg->flags & TH_SYN) || (seg->flags & TH_ACK))
		pick_up(t, f, *from, seg, ts);
	return f;
}
