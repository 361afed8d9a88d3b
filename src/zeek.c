/*
 * zeek.c - Zeek's view of a TCP connection: the conn.log record Zeek would
 * write for it.
 *
 * A model of Zeek's TCP analysis, rule by rule, from its sources:
 * packet_analysis/protocol/tcp/TCPSessionAdapter.cc (endpoint states,
 * history letters, IsReuse, timers), TCP.cc (WantConnection: who is the
 * originator), analyzer/protocol/tcp/TCP_Endpoint.cc (sizes, logarithmic
 * letters), Conn.cc (FlipRoles, hist_seen) and
 * scripts/base/protocols/conn/main.zeek (conn_state). Function names below
 * follow Zeek's so that each rule can be checked against its source.
 *
 * Checksums are the decoder's verdict (struct segment): a bad IPv4 header
 * checksum makes Zeek ignore the packet before any connection sees it; a bad
 * TCP checksum reaches the connection only as a 'C' or 'c' letter. With
 * checksums ignored (`zeek -C`, tcpfsm's `checksums: ignore`) the decoder
 * leaves them unknown, and every segment counts.
 *
 * Content gaps ('G', 'g', missed_bytes) are TCP_Reassembler's: an
 * acknowledgement beyond the bytes the sensor delivered. The view keeps the
 * reassembler's counters but not its bytes: the bytes seen beyond a hole are
 * one span, so two holes acknowledged at once count as one, and the bytes
 * between them as missed.
 *
 * A payload cut by the snap length is no delivery: a gap once acknowledged.
 *
 * Most segments are an ACK, maybe with data, of a connection under way:
 * plain_segment() takes them through segment()'s rules, without the tests
 * that cannot hold for them (the per-packet cost is the point there).
 *
 * A connection that came through a tunnel names it (tunnel_parents) by the
 * decoder's identity of the innermost tunnel: Zeek's parent is the tunnel's
 * UDP connection, or for IP-in-IP and GRE the pair of outer addresses.
 *
 * What is left out, and why:
 * - Zeek's application analyzers can flip a connection (DNS, NTP, ...) or
 *   log 'X'; none of them run here.
 * - likely_server_ports is a default Zeek's; `zeek -b` loads fewer scripts
 *   and so knows fewer server ports, and flips less.
 */
#include <string.h>

#include "zeek.h"

/* Zeek's endpoint states (TCP_Endpoint.h), in its order. */
enum {
	ZS_INACTIVE = 0,
	ZS_SYN_SENT,
	ZS_SYN_ACK_SENT,
	ZS_PARTIAL,
	ZS_ESTABLISHED,
	ZS_CLOSED,
	ZS_RESET,
};

/* struct zeek_ep.flags */
enum {
	ZE_DID_CLOSE = 1 << 0, /* Zeek reported it closing (did_close) */
	ZE_FIN = 1 << 1,       /* sent a FIN (FIN_cnt > 0) */
	ZE_SKIP = 1 << 2,      /* its reassembler gave up (skip_deliveries) */
};

/* The reassembler's limits (init-bare.zeek): bytes held above a hole before
 * any of the endpoint's data was acknowledged, and held at all. */
#define ZEEK_ABOVE_HOLE_WITHOUT_ACKS 16384
#define ZEEK_EXCESSIVE_DATA	     (UINT64_C(10) * 1024 * 1024)

/* struct zeek_conn.flags */
enum {
	ZC_LIVE = 1 << 0,	   /* a record is in progress */
	ZC_ORIG_SERVER = 1 << 1,   /* Zeek's originator is tcpfsm's server */
	ZC_INACT5 = 1 << 2,	   /* the handshake is over: 5-minute timeout */
	ZC_SYNACK_FIRST = 1 << 3,  /* began with a SYN/ACK, not yet flipped */
	ZC_TIMER_ATTEMPT = 1 << 4, /* AttemptTimer pending */
	ZC_TIMER_DELETE = 1 << 5,  /* the record goes when the timer fires */
};

/* Conn.h's history masks; a responder's are shifted by 16. */
enum {
	HIST_SYN_PKT = 0x1,
	HIST_FIN_PKT = 0x2,
	HIST_RST_PKT = 0x4,
	HIST_FIN_RST_PKT = 0x8,
	HIST_DATA_PKT = 0x10,
	HIST_ACK_PKT = 0x20,
	HIST_MULTI_FLAG_PKT = 0x40,
};

/* Largest sequence jump Zeek trusts in a SYN or RST (TOO_LARGE_SEQ_DELTA). */
#define TOO_LARGE_SEQ_DELTA 1048576

static int32_t seq_delta(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static int st(const struct zeek_ep *e)
{
	return e->state & 15;
}

static int prev_st(const struct zeek_ep *e)
{
	return e->state >> 4;
}

/* Which of z's endpoints ep is (0 or 1). */
static int ep_index(const struct zeek_conn *z, const struct zeek_ep *ep)
{
	return (int)(ep - z->ep);
}

static int is_handshake(int s)
{
	return s == ZS_INACTIVE || s == ZS_SYN_SENT || s == ZS_SYN_ACK_SENT;
}

/* TCP_Endpoint::SetState: leaving the handshake sets the connection's
 * inactivity timeout from udp_inactivity_timeout to tcp_inactivity_timeout. */
static void set_state(struct zeek_conn *z, int e, int s)
{
	struct zeek_ep *ep = &z->ep[e];
	int old = st(ep);

	if (s == old)
		return;
	if (!is_handshake(s) && is_handshake(old) &&
	    is_handshake(st(&z->ep[!e])))
		z->flags |= ZC_INACT5;
	ep->state = (uint8_t)(old << 4 | s);
}

/* ---- history letters ---------------------------------------------------- */

/* The letters by code - 1: a letter is kept in five bits of hist[]. */
static const char letters[] = "SHADFRCTWIQGshadfrctwiqg^";

/* letters[] inverted: a letter's code (0: none). */
static const uint8_t codes[128] = {
	['S'] = 1,  ['H'] = 2,	['A'] = 3,  ['D'] = 4,	['F'] = 5,
	['R'] = 6,  ['C'] = 7,	['T'] = 8,  ['W'] = 9,	['I'] = 10,
	['Q'] = 11, ['G'] = 12, ['s'] = 13, ['h'] = 14, ['a'] = 15,
	['d'] = 16, ['f'] = 17, ['r'] = 18, ['c'] = 19, ['t'] = 20,
	['w'] = 21, ['i'] = 22, ['q'] = 23, ['g'] = 24, ['^'] = 25,
};

static int letter_code(char c)
{
	return codes[(unsigned char)c & 127];
}

static int letter_at(const struct zeek_conn *z, unsigned i)
{
	unsigned bit = i * 5;
	unsigned v =
		z->hist[bit / 8] |
		(unsigned)(bit / 8 + 1 < sizeof z->hist ? z->hist[bit / 8 + 1]
							: 0)
			<< 8;
	return (int)(v >> (bit % 8)) & 31;
}

static void set_letter(struct zeek_conn *z, unsigned i, int code)
{
	unsigned bit = i * 5, at = bit / 8, shift = bit % 8;
	int two = at + 1 < sizeof z->hist; /* the last byte holds a whole one */
	unsigned v = z->hist[at] | (unsigned)(two ? z->hist[at + 1] : 0) << 8;

	v = (v & ~(31u << shift)) | (unsigned)code << shift;
	z->hist[at] = (uint8_t)v;
	if (two)
		z->hist[at + 1] = (uint8_t)(v >> 8);
}

#define MAX_LETTERS ((unsigned)(sizeof(((struct zeek_conn *)0)->hist) * 8 / 5))

/* Connection::AddHistory. Letters past the buffer are dropped. */
static void add_history(struct zeek_conn *z, char c)
{
	if (z->nhist < MAX_LETTERS)
		set_letter(z, z->nhist++, letter_code(c));
}

static char upper_or_lower(int e, char c)
{
	if (e)
		return (char)(c - 'A' + 'a');
	return c;
}

/* TCP_Endpoint::CheckHistory: logs the letter the first time the mask is
 * seen for this endpoint and returns 0; 1 if it was seen before. */
static int check_history(struct zeek_conn *z, int e, uint32_t mask, char c)
{
	if (e)
		mask <<= 16;
	if (z->seen & mask)
		return 1;
	z->seen |= mask;
	add_history(z, upper_or_lower(e, c));
	return 0;
}

/* Connection::ScaledHistoryEntry with base 10: the letter again at 1, 10,
 * 100, ... occurrences. */
static int power_of_ten(unsigned n)
{
	while (n >= 10 && n % 10 == 0)
		n /= 10;
	return n == 1;
}

/* Connection::ScaledHistoryEntry: endpoint e's letter at the n-th
 * occurrence of its event, n a power of ten. */
static void scaled_history(struct zeek_conn *z, int e, char letter, unsigned n)
{
	if (power_of_ten(n))
		add_history(z, upper_or_lower(e, letter));
}

static void did_rxmit(struct zeek_conn *z, int e)
{
	struct zeek_ep *ep = &z->ep[e];
	if (ep->rxmt < UINT16_MAX)
		scaled_history(z, e, 'T', ++ep->rxmt);
}

/* TCP_Endpoint::ChecksumError: a segment whose TCP checksum is bad. */
static void checksum_error(struct zeek_conn *z, int e)
{
	struct zeek_ep *ep = &z->ep[e];
	if (ep->bad_sum < UINT16_MAX)
		scaled_history(z, e, 'C', ++ep->bad_sum);
}

static void zero_window(struct zeek_conn *z, int e)
{
	struct zeek_ep *ep = &z->ep[e];
	if (ep->win0 < UINT8_MAX)
		scaled_history(z, e, 'W', ++ep->win0);
}

/* Connection::FlipRoles: the endpoints trade roles and '^' is logged;
 * hist_seen is not swapped (Zeek does not either). */
static void flip_roles(struct zeek_conn *z)
{
	struct zeek_ep tmp = z->ep[0];
	z->ep[0] = z->ep[1];
	z->ep[1] = tmp;
	z->flags ^= ZC_ORIG_SERVER;
	add_history(z, '^');
}

/* The flip of a connection that began with a SYN/ACK, decided on its next
 * ack or data segment (Zeek pull request 2191): Zeek logs it as though the
 * roles had been flipped before the first packet, "^h...". */
static void flip_from_start(struct zeek_conn *z)
{
	unsigned n = z->nhist < MAX_LETTERS ? z->nhist : MAX_LETTERS - 1;
	struct zeek_ep tmp = z->ep[0];

	z->ep[0] = z->ep[1];
	z->ep[1] = tmp;
	z->flags ^= ZC_ORIG_SERVER;
	for (unsigned i = n; i > 0; i--) {
		char c = letters[letter_at(z, i - 1) - 1];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		set_letter(z, i, letter_code(c));
	}
	set_letter(z, 0, letter_code('^'));
	z->nhist = (uint8_t)(n + 1);
	z->seen = z->seen >> 16 | z->seen << 16;
}

/* ---- who is the originator (TCPAnalyzer::WantConnection) ----------------- */

/* likely_server_ports of a default (non-bare) Zeek, TCP: the ports its base
 * scripts register for their analyzers (since Zeek 8.1 registering a port
 * makes it a likely server port). Sorted. */
static const uint16_t server_ports[] = {
	21,   22,   25,	  53,	79,   80,   81,	  88,	110,  135,  139,  143,
	389,  443,  445,  502,	563,  585,  587,  614,	631,  636,  989,  990,
	992,  993,  995,  1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222,
	5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
};

static int likely_server_port(uint16_t port)
{
	size_t lo = 0, hi = sizeof server_ports / sizeof server_ports[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (server_ports[mid] == port)
			return 1;
		if (server_ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int want_flip(const struct segment *seg)
{
	if ((seg->flags & TH_SYN) && !(seg->flags & TH_ACK))
		return 0;
	if (!likely_server_port(seg->sport))
		return 0;
	if (likely_server_port(seg->dport))
		return !(seg->flags & TH_SYN) && seg->sport < seg->dport;
	return 1;
}

/* ---- sequence numbers (TCPSessionAdapter.cc, TCP_Endpoint.h) ------------- */

static void update_last_seq_raw(struct zeek_ep *ep, uint32_t seq)
{
	if (seq < ep->last && ep->last_wraps < UINT8_MAX)
		ep->last_wraps++;
	ep->last = seq;
}

static void update_ack_seq_raw(struct zeek_ep *ep, uint32_t seq)
{
	if (seq < ep->ack && ep->ack_wraps < UINT8_MAX)
		ep->ack_wraps++;
	ep->ack = seq;
}

static void init_seqs(struct zeek_ep *ep, uint32_t start, uint32_t last)
{
	ep->start = ep->ack = start;
	ep->last = last;
}

/* get_relative_seq: seq relative to ep's initial sequence number, in 64
 * bits, judged against `last`, which has wrapped `wraps` times. *underflow
 * is set when seq lies before the initial sequence number. */
static uint64_t relative_seq(const struct zeek_ep *ep, uint32_t seq,
			     uint32_t last, unsigned wraps, int *underflow)
{
	int32_t delta = seq_delta(seq, last);

	if (delta < 0 && wraps && seq > last)
		wraps--;
	else if (delta > 0 && seq < last)
		wraps++;
	if (wraps == 0) {
		delta = seq_delta(seq, ep->start);
		if (delta < 0)
			*underflow = 1;
		return (uint64_t)(int64_t)delta;
	}
	return ((uint64_t)wraps << 32) + seq - ep->start;
}

static void init_endpoint(struct zeek_ep *ep, uint8_t flags, uint32_t seq,
			  uint32_t last)
{
	switch (st(ep)) {
	case ZS_INACTIVE:
		if (flags & TH_SYN)
			init_seqs(ep, seq, last);
		else
			init_seqs(ep, seq - 1, seq);
		break;
	case ZS_SYN_SENT:
	case ZS_SYN_ACK_SENT:
		if ((flags & TH_SYN) && seq != ep->start)
			init_seqs(ep, seq, last);
		break;
	case ZS_ESTABLISHED:
	case ZS_PARTIAL:
		if (flags & TH_SYN)
			init_seqs(ep, seq, last);
		break;
	case ZS_RESET:
		if ((flags & TH_SYN) && prev_st(ep) == ZS_INACTIVE)
			init_seqs(ep, seq, last);
		break;
	}
}

/* update_ack_seq */
static void update_ack_seq(struct zeek_ep *ep, uint32_t ack)
{
	int32_t delta = seq_delta(ack, ep->ack);

	if (ack == 0 && delta > TOO_LARGE_SEQ_DELTA)
		return; /* more likely a broken ack than a wrap onto 0 */
	if (delta > 0)
		update_ack_seq_raw(ep, ack);
}

/* update_last_seq: returns delta_last. */
__attribute__((always_inline)) static inline int32_t
update_last_seq(struct zeek_conn *z, struct zeek_ep *ep, uint32_t last,
		uint8_t flags, uint32_t len)
{
	int32_t delta = seq_delta(last, ep->last);

	/* Zeek's cases in Zeek's order: the first that holds decides. */
	/* NOLINTBEGIN(bugprone-branch-clone) */
	if ((flags & (TH_SYN | TH_RST)) &&
	    (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA))
		;
	else if ((flags & TH_FIN) && ep->last == ep->start + 1)
		update_last_seq_raw(ep, last);
	else if (st(ep) == ZS_RESET)
		;
	else if (delta > 0)
		update_last_seq_raw(ep, last);
	else if (len > 0)
		did_rxmit(z, ep_index(z, ep));
	/* NOLINTEND(bugprone-branch-clone) */
	return delta;
}

/* TCP_Endpoint::Size(): payload bytes from sequence numbers. */
static uint64_t endpoint_size(const struct zeek_ep *ep,
			      const struct zeek_ep *peer)
{
	uint64_t last = ((uint64_t)ep->last_wraps << 32) + ep->last;
	uint64_t ack = ((uint64_t)ep->ack_wraps << 32) + ep->ack;
	uint64_t size;

	if (prev_st(ep) == ZS_SYN_SENT && st(ep) == ZS_RESET &&
	    st(peer) == ZS_INACTIVE && ack != ep->start &&
	    ack != (uint64_t)ep->start + 1)
		return 0; /* a half-open connection found and aborted */
	size = (last > ack ? last : ack) - ep->start;
	if (size)
		size--; /* the SYN */
	if ((ep->flags & ZE_FIN) && size)
		size--; /* the FIN */
	return size;
}

/* ---- content gaps (TCP_Reassembler) ------------------------------------ */

static int is_clean(const struct zeek_ep *ep)
{
	return st(ep) == ZS_ESTABLISHED ||
	       (st(ep) == ZS_CLOSED && prev_st(ep) == ZS_ESTABLISHED);
}

/* TCP_Reassembler::Gap: len bytes of endpoint e were never seen. Zeek logs
 * and counts them only while both sides are established or closing
 * cleanly: elsewhere (a RST's sequence numbers, a partial connection) gaps
 * are false alarms. */
static void gap(struct zeek_conn *z, int e, uint64_t len)
{
	struct zeek_ep *ep = &z->ep[e];

	if (!len || !is_clean(ep) || !is_clean(&z->ep[!e]))
		return;
	z->missed += len;
	if (ep->gaps < UINT16_MAX)
		scaled_history(z, e, 'G', ++ep->gaps);
}

/* Delivers the span held above the hole once the stream reaches it. */
static void deliver_span(struct zeek_ep *ep)
{
	if (ep->bhi && ep->blo <= ep->reassem) {
		if (ep->bhi > ep->reassem)
			ep->reassem = ep->bhi;
		ep->blo = ep->bhi = 0;
	}
}

/* TCP_Reassembler::Undelivered: the stream of endpoint e up to `upto` was
 * acknowledged; what of it was not delivered is a gap. */
static void undelivered(struct zeek_conn *z, int e, uint64_t upto)
{
	struct zeek_ep *ep = &z->ep[e];

	if (!(ep->flags & ZE_SKIP)) {
		if (ep->bhi && ep->blo < upto) {
			gap(z, e, ep->blo - ep->reassem);
			ep->reassem = ep->blo;
			deliver_span(ep);
		}
		if (upto > ep->reassem)
			gap(z, e, upto - ep->reassem);
	}
	if (upto > ep->reassem)
		ep->reassem = upto;
	if (ep->bhi && ep->bhi <= ep->reassem)
		ep->blo = ep->bhi = 0;
}

/* TCP_Reassembler::AckReceived: the peer acknowledged endpoint e's stream
 * up to rel (relative). */
__attribute__((always_inline)) static inline void
ack_received(struct zeek_conn *z, struct zeek_ep *ep, uint64_t rel)
{
	if ((ep->flags & ZE_FIN) && rel >= ep->fin_seq)
		rel = ep->fin_seq - 1; /* the FIN is no byte of the stream */
	if (rel <= ep->trim)
		return;
	if (rel > ep->reassem)
		undelivered(z, ep_index(z, ep), rel);
	ep->trim = rel;
}

/* TCP_Endpoint::NoDataAcked */
static int no_data_acked(const struct zeek_ep *ep)
{
	uint64_t ack = ((uint64_t)ep->ack_wraps << 32) + ep->ack;
	return ack == ep->start || ack == (uint64_t)ep->start + 1;
}

/* TCP_Reassembler::DataSent: len bytes of endpoint e at rel (relative). */
__attribute__((always_inline)) static inline void
data_sent(struct zeek_ep *ep, uint64_t rel, uint32_t len)
{
	uint64_t acked = ((uint64_t)ep->ack_wraps << 32) + ep->ack - ep->start;
	uint64_t upper = rel + len;

	if (ep->flags & ZE_SKIP)
		return;
	if (rel < acked) {
		if (upper <= acked)
			return; /* delivered and acknowledged already */
		rel = acked;
	}
	if (upper <= ep->trim)
		return;
	if (rel < ep->trim)
		rel = ep->trim;
	if (rel <= ep->reassem) {
		if (upper > ep->reassem)
			ep->reassem = upper;
		deliver_span(ep);
		return;
	}
	/* Above a hole: held, as one span with what is held already. */
	if (!ep->bhi) {
		ep->blo = rel;
		ep->bhi = upper;
	} else {
		if (rel < ep->blo)
			ep->blo = rel;
		if (upper > ep->bhi)
			ep->bhi = upper;
	}
	if ((no_data_acked(ep) &&
	     ep->bhi - ep->reassem > ZEEK_ABOVE_HOLE_WITHOUT_ACKS) ||
	    ep->bhi - ep->blo > ZEEK_EXCESSIVE_DATA) {
		ep->blo = ep->bhi = 0;
		ep->flags |= ZE_SKIP;
	}
}

/* ---- history (update_history) -------------------------------------------- */

/* The letter of a segment with no SYN, FIN or RST: data, or a pure ACK. */
static void plain_history(struct zeek_conn *z, int e, uint32_t len)
{
	if (len)
		check_history(z, e, HIST_DATA_PKT, 'D');
	else
		check_history(z, e, HIST_ACK_PKT, 'A');
}

static void update_history(struct zeek_conn *z, int e, uint8_t flags,
			   uint64_t rel_seq, uint32_t len)
{
	struct zeek_ep *ep = &z->ep[e];
	int bits = !!(flags & TH_SYN) + !!(flags & TH_FIN) + !!(flags & TH_RST);

	if (bits > 1) {
		if ((flags & TH_FIN) && (flags & TH_RST))
			check_history(z, e, HIST_FIN_RST_PKT, 'I');
		else
			check_history(z, e, HIST_MULTI_FLAG_PKT, 'Q');
	} else if (bits == 1) {
		if (flags & TH_SYN) {
			char c = (flags & TH_ACK) ? 'H' : 'S';
			if (check_history(z, e, HIST_SYN_PKT, c) &&
			    (uint8_t)rel_seq != ep->hist_last[0])
				add_history(z, upper_or_lower(e, c));
			ep->hist_last[0] = (uint8_t)rel_seq;
		}
		if (flags & TH_FIN) {
			/* A FIN's sequence number is the one after its data. */
			if (check_history(z, e, HIST_FIN_PKT, 'F') &&
			    (uint8_t)(rel_seq + len) != ep->hist_last[1])
				add_history(z, upper_or_lower(e, 'F'));
			ep->hist_last[1] = (uint8_t)(rel_seq + len);
		}
		if (flags & TH_RST) {
			if (check_history(z, e, HIST_RST_PKT, 'R') &&
			    (uint8_t)rel_seq != ep->hist_last[2])
				add_history(z, upper_or_lower(e, 'R'));
			ep->hist_last[2] = (uint8_t)rel_seq;
		}
	} else if (len || (flags & TH_ACK)) {
		plain_history(z, e, len);
	}
}

/* ---- the state machine (UpdateStateMachine and its helpers) -------------- */

struct closing {
	int do_close;
};

static void update_inactive(struct zeek_conn *z, int e,
			    const struct segment *seg, int64_t ts,
			    struct closing *c)
{
	struct zeek_ep *ep = &z->ep[e];
	int is_orig = e == 0;
	uint8_t flags = seg->flags;

	if (flags & TH_SYN) {
		if (is_orig) {
			set_state(z, e,
				  (flags & TH_ACK) ? ZS_SYN_ACK_SENT
						   : ZS_SYN_SENT);
			if (!(z->flags & ZC_TIMER_DELETE)) {
				z->flags |= ZC_TIMER_ATTEMPT;
				z->timer_back = (int32_t)(z->last - ts);
			}
		} else {
			int peer_e = !e;
			if (!(flags & TH_ACK) &&
			    st(&z->ep[peer_e]) == ZS_SYN_ACK_SENT &&
			    seg->seq == ep->start) {
				/* A SYN/SYN-ACK reversal: flip and establish.
				 */
				flip_roles(z);
				e = !e;
				peer_e = !peer_e;
				ep = &z->ep[e];
				set_state(z, peer_e, ZS_ESTABLISHED);
			}
			if (st(&z->ep[peer_e]) == ZS_SYN_SENT)
				set_state(z, peer_e, ZS_ESTABLISHED);
			set_state(z, e, ZS_ESTABLISHED);
		}
	}
	if (flags & TH_FIN) {
		set_state(z, e, ZS_CLOSED);
		c->do_close = 1;
	}
	if (flags & TH_RST) {
		set_state(z, e, ZS_RESET);
		c->do_close = 1;
	}
	if (st(ep) == ZS_INACTIVE) {
		/* No control flags to change the state. */
		if (e == 1 && seg->payload_len == 0 &&
		    st(&z->ep[0]) == ZS_SYN_SENT)
			; /* an ack of a SYN before the SYN/ACK */
		else if ((flags & TH_ACK) && st(&z->ep[!e]) == ZS_ESTABLISHED)
			set_state(z, e, ZS_ESTABLISHED);
		else
			set_state(z, e, ZS_PARTIAL);
	}
}

static void update_syn_sent(struct zeek_conn *z, int e, uint8_t flags,
			    struct closing *c)
{
	if (flags & TH_FIN) {
		set_state(z, e, ZS_CLOSED);
		c->do_close = 1;
	}
	if (flags & TH_RST) {
		set_state(z, e, ZS_RESET);
		c->do_close = 1;
	}
}

static void update_established(struct zeek_conn *z, int e, uint8_t flags,
			       struct closing *c)
{
	struct zeek_ep *peer = &z->ep[!e];

	if ((flags & TH_SYN) && st(&z->ep[e]) == ZS_PARTIAL &&
	    st(peer) == ZS_INACTIVE && !(flags & TH_ACK))
		set_state(z, e, ZS_SYN_SENT);
	if ((flags & TH_FIN) && !(flags & TH_RST)) {
		set_state(z, e, ZS_CLOSED);
		if (st(peer) == ZS_RESET && prev_st(peer) == ZS_CLOSED)
			/* The peer's FIN then RST: a normal close after all. */
			set_state(z, !e, ZS_CLOSED);
		c->do_close = 1;
	}
	if (flags & TH_RST) {
		set_state(z, e, ZS_RESET);
		c->do_close = 1;
	}
}

static void update_closed(struct zeek_conn *z, int e, uint8_t flags, int64_t ts,
			  struct closing *c)
{
	if ((flags & TH_RST) && st(&z->ep[!e]) != ZS_CLOSED) {
		set_state(z, e, ZS_RESET);
		if (!(z->ep[e].flags & ZE_DID_CLOSE))
			c->do_close = 1;
		/* ResetTimer: the record goes tcp_reset_delay later. */
		z->flags = (uint8_t)((z->flags & ~ZC_TIMER_ATTEMPT) |
				     ZC_TIMER_DELETE);
		z->timer_back = (int32_t)(z->last - ts);
	}
}

/* ConnectionClosed: a side closed (FIN or RST); once the close is complete
 * the record goes tcp_close_delay after the last activity. */
static void connection_closed(struct zeek_conn *z, int e)
{
	struct zeek_ep *ep = &z->ep[e], *peer = &z->ep[!e];

	if (ep->flags & ZE_DID_CLOSE)
		return;
	ep->flags |= ZE_DID_CLOSE;
	if (st(ep) == ZS_RESET || (peer->flags & ZE_DID_CLOSE) ||
	    st(peer) == ZS_INACTIVE) {
		/* CancelTimers, then the delete timer at LastTime + delay. */
		z->flags = (uint8_t)((z->flags & ~ZC_TIMER_ATTEMPT) |
				     ZC_TIMER_DELETE);
		z->timer_back = 0;
	}
}

/* ---- records --------------------------------------------------------------
 */

void zeek_init(struct zeek_conn *z)
{
	memset(z, 0, sizeof *z);
}

/* Starts a record with a segment from tcpfsm side `side`. */
static void open_record(struct zeek_conn *z, int side,
			const struct segment *seg, int64_t ts,
			unsigned unlogged)
{
	memset(z, 0, sizeof *z);
	z->flags = (uint8_t)(ZC_LIVE |
			     (side == TCPFSM_SERVER ? ZC_ORIG_SERVER : 0));
	z->unlogged = (uint8_t)(unlogged > UINT8_MAX ? UINT8_MAX : unlogged);
	z->start = z->last = ts;
	for (int e = 0; e < 2; e++) /* a stream's first byte is 1 */
		z->ep[e].reassem = z->ep[e].trim = 1;
	if (want_flip(seg))
		flip_roles(z);
	else if ((seg->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		z->flags |= ZC_SYNACK_FIRST;
}

/* Whether a timer of Zeek's would have removed the connection before ts. */
static int expired(struct zeek_conn *z, int64_t ts, int64_t inactivity)
{
	int64_t idle =
		(z->flags & ZC_INACT5) ? inactivity : ZEEK_HANDSHAKE_INACTIVITY;

	if (z->flags & (ZC_TIMER_ATTEMPT | ZC_TIMER_DELETE)) {
		/* Two of Zeek's settings, equal by default. */
		int64_t delay = ZEEK_CLOSE_DELAY;
		if (z->flags & ZC_TIMER_ATTEMPT)
			delay = ZEEK_ATTEMPT_DELAY;
		int64_t due = z->last - z->timer_back + delay;
		if (due <= ts) {
			if (z->flags & ZC_TIMER_DELETE)
				return 1;
			/* AttemptTimer: an unanswered SYN is a record. */
			int o = st(&z->ep[0]);
			if ((o == ZS_SYN_SENT || o == ZS_SYN_ACK_SENT) &&
			    st(&z->ep[1]) == ZS_INACTIVE)
				return 1;
			z->flags &= (uint8_t)~ZC_TIMER_ATTEMPT;
		}
	}
	return idle > 0 && z->last + idle <= ts;
}

/* TCPSessionAdapter::IsReuse: a SYN that starts a new connection. */
static int is_reuse(const struct zeek_conn *z, const struct segment *seg)
{
	const struct zeek_ep *orig = &z->ep[0], *resp = &z->ep[1];
	const struct zeek_ep *conn_orig = orig;

	if (!(seg->flags & TH_SYN))
		return 0;
	if (seg->flags & TH_ACK) {
		if (st(orig) != ZS_INACTIVE)
			return 0; /* not a half connection */
		conn_orig = resp;
	}
	if (!((orig->flags | resp->flags) & ZE_DID_CLOSE)) {
		if (seg->seq == conn_orig->start)
			return 0;
		if (!(seg->flags & TH_ACK) &&
		    st(conn_orig) == ZS_SYN_ACK_SENT &&
		    st(resp) == ZS_INACTIVE && seg->seq == resp->start)
			return 0; /* the SYN of a SYN/SYN-ACK reversal */
	}
	return 1;
}

/* Which of Zeek's endpoints (0 originator, 1 responder) tcpfsm's side is. */
static int zeek_side(const struct zeek_conn *z, int side)
{
	return (side == TCPFSM_SERVER) != !!(z->flags & ZC_ORIG_SERVER);
}

/* Ends the record in progress, if any (into *done, or counted as unlogged),
 * and starts one with seg. Returns 1 when one ended. Out of line: once a
 * record, not once a packet. */
__attribute__((noinline)) static int
renew_record(struct zeek_conn *z, int side, const struct segment *seg,
	     int64_t ts, struct tcpfsm_conn_record *done)
{
	unsigned unlogged = 0;
	int ended = !!(z->flags & ZC_LIVE);

	if (ended) {
		if (done)
			zeek_record(z, done);
		else
			unlogged = z->unlogged + 1u;
	}
	open_record(z, side, seg, ts, unlogged);
	return ended;
}

/* Zeek pull request 2191: a connection that began with a SYN/ACK is flipped
 * by the next ack or data segment, in either direction. Returns e, named
 * again. */
__attribute__((noinline)) static int synack_first(struct zeek_conn *z, int e,
						  const struct segment *seg)
{
	uint8_t ctl = seg->flags & (TH_SYN | TH_ACK | TH_FIN | TH_RST);

	if (!(ctl & (TH_SYN | TH_FIN | TH_RST))) {
		z->flags &= (uint8_t)~ZC_SYNACK_FIRST;
		if (((ctl & TH_ACK) || seg->payload_len) &&
		    st(&z->ep[0]) == ZS_SYN_ACK_SENT &&
		    st(&z->ep[1]) == ZS_INACTIVE) {
			flip_from_start(z);
			e = !e;
		}
	} else if (!(e == 0 && ctl == (TH_SYN | TH_ACK))) {
		z->flags &= (uint8_t)~ZC_SYNACK_FIRST;
	}
	return e;
}

/* ---- one segment ----------------------------------------------------------
 * Its steps, in Zeek's order, are shared by segment() (any segment) and
 * plain_segment() (the commonest one, with fewer tests). */

/* ConnSize: every packet counts, with its IP length (40 bits, saturating).
 */
static void count_packet(struct zeek_ep *ep, uint32_t ip_len)
{
	uint32_t lo = ep->ip_bytes + ip_len;

	ep->pkts++;
	if (lo >= ip_len) { /* no carry: the high bits stay as they are */
		ep->ip_bytes = lo;
		return;
	}
	uint64_t ipb =
		((uint64_t)ep->ip_bytes_hi << 32 | ep->ip_bytes) + ip_len;
	if (ipb >> 40)
		ipb = ((uint64_t)1 << 40) - 1;
	ep->ip_bytes = (uint32_t)ipb;
	ep->ip_bytes_hi = (uint8_t)(ipb >> 32);
}

/* The segment's time is the connection's last activity until both sides
 * closed; a pending timer keeps its base (last - timer_back). */
static void touch(struct zeek_conn *z, const struct zeek_ep *ep,
		  const struct zeek_ep *peer, int64_t ts)
{
	if (ep->flags & peer->flags & ZE_DID_CLOSE)
		return;
	if ((z->flags & (ZC_TIMER_ATTEMPT | ZC_TIMER_DELETE)) && ts > z->last)
		z->timer_back += (int32_t)(ts - z->last);
	z->last = ts;
}

/* An acknowledgement of peer's bytes: returns it relative (0 when it lies
 * before peer's initial sequence number) and moves peer's ack on, unless
 * the segment is a RST. */
__attribute__((always_inline)) static inline uint64_t
ack_of(struct zeek_ep *peer, uint32_t ack, uint8_t flags)
{
	int under = 0;

	if (st(peer) == ZS_INACTIVE) {
		/* init_peer: number its bytes as though from a SYN. */
		peer->start = peer->ack = peer->last = ack - 1;
		return 1;
	}
	uint64_t rel =
		relative_seq(peer, ack, peer->ack, peer->ack_wraps, &under);
	if (under)
		return 0;
	if (!(flags & TH_RST))
		update_ack_seq(peer, ack);
	return rel;
}

/* The commonest segment: an ACK, maybe with data, of a connection whose
 * endpoints both left INACTIVE, with no SYN, FIN or RST. segment()'s steps
 * without those that cannot apply to it: no sequence number to initialize,
 * no control letter, no state change. */
__attribute__((noinline)) static void
plain_segment(struct zeek_conn *z, int e, struct zeek_ep *ep,
	      struct zeek_ep *peer, const struct segment *seg, int64_t ts)
{
	uint32_t len = seg->payload_len;
	int seq_underflow = 0;

	count_packet(ep, seg->ip_len);
	uint64_t rel_seq = relative_seq(ep, seg->seq, ep->last, ep->last_wraps,
					&seq_underflow);
	plain_history(z, e, len);
	if (seg->window == 0 && st(peer) != ZS_CLOSED && st(ep) != ZS_RESET)
		zero_window(z, e);
	touch(z, ep, peer, ts);
	uint64_t rel_ack = ack_of(peer, seg->ack, seg->flags);
	update_last_seq(z, ep, seg->seq + len, seg->flags, len);
	ack_received(z, peer, rel_ack);
	if (len && !seq_underflow && !seg->payload_cut)
		data_sent(ep, rel_seq, len);
}

/* Any segment of tcpfsm's side `side`, Zeek's endpoint e
 * (TCPSessionAdapter::DeliverPacket from the checksum on). */
static void segment(struct zeek_conn *z, int side, int e,
		    const struct segment *seg, int64_t ts)
{
	struct zeek_ep *ep = &z->ep[e], *peer = &z->ep[!e];
	uint8_t flags = seg->flags;
	uint32_t len = seg->payload_len;
	uint32_t seg_len = len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	if (flags & TH_RST)
		seg_len -= len;
	uint32_t last = seg->seq + seg_len;

	count_packet(ep, seg->ip_len);
	init_endpoint(ep, flags, seg->seq, last);
	int seq_underflow = 0;
	uint64_t rel_seq = relative_seq(ep, seg->seq, ep->last, ep->last_wraps,
					&seq_underflow);
	update_history(z, e, flags, rel_seq, len);

	/* update_window: zero windows (the scale does not matter for 0). */
	if (seg->window == 0 && !(flags & TH_RST) && st(peer) != ZS_CLOSED &&
	    st(ep) != ZS_RESET)
		zero_window(z, e);

	touch(z, ep, peer, ts);
	if (flags & TH_FIN) {
		ep->flags |= ZE_FIN;
		ep->fin_seq = rel_seq + seg_len;
	}

	uint64_t rel_ack = 0;
	if (flags & TH_ACK)
		rel_ack = ack_of(peer, seg->ack, flags);

	update_last_seq(z, ep, last, flags, len);

	struct closing c = {0};
	switch (st(ep)) {
	case ZS_INACTIVE:
		update_inactive(z, e, seg, ts, &c);
		break;
	case ZS_SYN_SENT:
	case ZS_SYN_ACK_SENT:
		update_syn_sent(z, e, flags, &c);
		break;
	case ZS_ESTABLISHED:
	case ZS_PARTIAL:
		update_established(z, e, flags, &c);
		break;
	case ZS_CLOSED:
		update_closed(z, e, flags, ts, &c);
		break;
	case ZS_RESET:
		break;
	}
	/* After the state machine, so that a gap revealed by a FIN or RST is
	 * judged in the state it leaves (Zeek's order). A flip above swapped
	 * the roles: name the endpoints again. */
	e = zeek_side(z, side);
	if (flags & TH_ACK)
		ack_received(z, &z->ep[!e], rel_ack);
	/* TCP_Endpoint::DataSent: a payload not all captured is not sent to
	 * the reassembler, and so becomes a gap once acknowledged. */
	if (len && !(flags & TH_RST) && !seq_underflow && !seg->payload_cut)
		data_sent(&z->ep[e], (flags & TH_SYN) ? rel_seq + 1 : rel_seq,
			  len);
	if (c.do_close)
		connection_closed(z, e);
}

/* What every segment Zeek does not drop does first: the record's end and
 * start (before the segment is judged), and the tunnel. Returns 1 when a
 * record ended. */
static int begin_segment(struct zeek_conn *z, int side,
			 const struct segment *seg, int64_t ts,
			 int64_t inactivity, struct tcpfsm_conn_record *done)
{
	int ended = 0;

	if (!(z->flags & ZC_LIVE) || expired(z, ts, inactivity) ||
	    is_reuse(z, seg))
		ended = renew_record(z, side, seg, ts, done);
	/* Zeek's tunnel_parents: the connection's tunnel, named when its first
	 * packet came through one (or, by tunnel_changed, a later one). Only
	 * the first is kept. */
	if (seg->tunnel_id && !z->tunnel)
		z->tunnel = seg->tunnel_id;
	return ended;
}

/* CSUM_BAD and CSUM_BAD_OFFLOAD have this bit, CSUM_UNKNOWN and CSUM_OK do
 * not: one test of both checksums of a segment. */
#define CSUM_BAD_BIT 2
_Static_assert(CSUM_UNKNOWN < CSUM_BAD_BIT && CSUM_OK < CSUM_BAD_BIT &&
		       CSUM_BAD == CSUM_BAD_BIT &&
		       CSUM_BAD_OFFLOAD == (CSUM_BAD_BIT | 1),
	       "CSUM_BAD_BIT tells a bad checksum");

/* A segment with a bad checksum. */
__attribute__((noinline)) static int
bad_checksum(struct zeek_conn *z, int side, const struct segment *seg,
	     int64_t ts, int64_t inactivity, struct tcpfsm_conn_record *done)
{
	/* IP::AnalyzePacket drops a packet whose IPv4 header checksum is bad
	 * before it reaches a connection. */
	if (seg->ip_csum & CSUM_BAD_BIT)
		return 0;
	/* A bad TCP checksum: the connection exists (and reuse was judged),
	 * but TCPAnalyzer::ValidateChecksum stops the segment there. Zeek
	 * takes a checksum the NIC would have filled in as bad too. */
	int ended = begin_segment(z, side, seg, ts, inactivity, done);
	checksum_error(z, zeek_side(z, side));
	return ended;
}

int zeek_packet(struct zeek_conn *z, int side, const struct segment *seg,
		int64_t ts, int64_t inactivity, struct tcpfsm_conn_record *done)
{
	if ((seg->ip_csum | seg->tcp_csum) & CSUM_BAD_BIT)
		return bad_checksum(z, side, seg, ts, inactivity, done);

	int ended = begin_segment(z, side, seg, ts, inactivity, done);
	int e = zeek_side(z, side);

	if (z->flags & ZC_SYNACK_FIRST)
		e = synack_first(z, e, seg);

	struct zeek_ep *ep = &z->ep[e], *peer = &z->ep[!e];
	if ((seg->flags & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) == TH_ACK &&
	    st(ep) != ZS_INACTIVE && st(peer) != ZS_INACTIVE)
		plain_segment(z, e, ep, peer, seg, ts);
	else
		segment(z, side, e, seg, ts);
	return ended;
}

const char *zeek_conn_state(int os, int rs, uint64_t orig_size,
			    uint64_t resp_size, const char *history)
{
	int o_inactive = os == ZS_INACTIVE || os == ZS_PARTIAL;
	int r_inactive = rs == ZS_INACTIVE || rs == ZS_PARTIAL;

	if (rs == ZS_RESET) {
		if (os == ZS_SYN_SENT || os == ZS_SYN_ACK_SENT ||
		    (os == ZS_RESET && orig_size == 0 && resp_size == 0))
			return "REJ";
		return o_inactive ? "RSTRH" : "RSTR";
	}
	if (os == ZS_RESET) {
		if (r_inactive) {
			/* /\^?S[^HAFGIQ]*R.* / == history: an anchored match */
			const char *h = history;
			if (*h == '^')
				h++;
			if (*h++ == 'S') {
				while (*h && !strchr("HAFGIQR", *h))
					h++;
				if (*h == 'R')
					return "RSTOS0";
			}
			return "OTH";
		}
		return "RSTO";
	}
	if (rs == ZS_CLOSED && os == ZS_CLOSED)
		return "SF";
	if (os == ZS_CLOSED)
		return r_inactive ? "SH" : "S2";
	if (rs == ZS_CLOSED)
		return o_inactive ? "SHR" : "S3";
	if (os == ZS_SYN_SENT && rs == ZS_INACTIVE)
		return "S0";
	if (os == ZS_ESTABLISHED && rs == ZS_ESTABLISHED)
		return "S1";
	return "OTH";
}

_Static_assert(MAX_LETTERS < sizeof(((struct tcpfsm_conn_record *)0)->history),
	       "a record's history holds every letter kept, and its NUL");

int zeek_record(const struct zeek_conn *z, struct tcpfsm_conn_record *rec)
{
	const struct zeek_ep *o = &z->ep[0], *r = &z->ep[1];

	memset(rec, 0, sizeof *rec);
	if (!(z->flags & ZC_LIVE))
		return 0;
	for (unsigned i = 0; i < z->nhist && i < MAX_LETTERS; i++)
		rec->history[i] = letters[letter_at(z, i) - 1];
	rec->ts = z->start;
	rec->duration = z->last - z->start;
	rec->flipped = !!(z->flags & ZC_ORIG_SERVER);
	rec->orig_pkts = o->pkts;
	rec->resp_pkts = r->pkts;
	rec->orig_ip_bytes = (uint64_t)o->ip_bytes_hi << 32 | o->ip_bytes;
	rec->resp_ip_bytes = (uint64_t)r->ip_bytes_hi << 32 | r->ip_bytes;
	rec->orig_bytes = endpoint_size(o, r);
	rec->resp_bytes = endpoint_size(r, o);
	rec->unlogged = z->unlogged;
	rec->missed_bytes = z->missed;
	rec->tunnel = z->tunnel;
	const char *cs = zeek_conn_state(st(o), st(r), rec->orig_bytes,
					 rec->resp_bytes, rec->history);
	memcpy(rec->conn_state, cs, strnlen(cs, sizeof rec->conn_state - 1));
	return 1;
}
