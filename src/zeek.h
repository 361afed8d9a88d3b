/*
 * zeek.h - Zeek's view of a TCP connection, kept beside tcpfsm's: its
 * originator/responder roles, per-endpoint states, history letters and
 * conn_state, so that a finished connection can be written as the record
 * Zeek's conn.log would hold for it.
 *
 * The view is a model of Zeek's TCP analyzer (TCPSessionAdapter, TCP_Endpoint)
 * and of its conn.log script, fed the same segments as tcpfsm's RFC 793
 * machines but independent of them: Zeek's endpoint states (INACTIVE,
 * SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET) mean "what this
 * side was seen to send", not what its host believes.
 *
 * The view is an observer of the tracker, not part of its flows: the
 * tracker keeps one struct zeek_conn per flow of its pool, beside the pool,
 * only when conn records were asked for (tcpfsm_options.conn_records), and
 * shows it each segment and asks it for the record at the end.
 *
 * Zeek also ends records on its own clock (5 s after a close or a reset, 5 s
 * after an unanswered SYN, 1 or 5 minutes of inactivity) and starts a new one
 * when a SYN reuses a 4-tuple. The view notices when Zeek would have ended its
 * record before a segment; zeek_packet() then hands the finished record back
 * and starts a new one with that segment.
 */
#ifndef TCPFSM_ZEEK_H
#define TCPFSM_ZEEK_H

#include <stdint.h>

#include "decode.h"
#include "tcpfsm.h"

/* Zeek's timers, in microseconds (scripts/base/init-bare.zeek). */
#define ZEEK_ATTEMPT_DELAY	  5000000LL /* tcp_attempt_delay */
#define ZEEK_CLOSE_DELAY	  5000000LL /* tcp_close_delay */
#define ZEEK_RESET_DELAY	  5000000LL /* tcp_reset_delay */
#define ZEEK_INACTIVITY		  300000000LL /* tcp_inactivity_timeout's default */
#define ZEEK_HANDSHAKE_INACTIVITY 60000000LL /* until the handshake is over */

/* One endpoint as Zeek's TCP_Endpoint sees it, with what its reassembler
 * would know of its bytes. Sequence numbers named "relative" count from its
 * initial sequence number in 64 bits, as Zeek's do: a transfer may wrap
 * around 2^32 more than once. */
struct zeek_ep {
	uint32_t start;	      /* its initial sequence number (start_seq) */
	uint32_t last;	      /* one past the highest sequence number it sent */
	uint32_t ack;	      /* the highest acknowledgement of its bytes */
	uint32_t pkts;	      /* packets it sent */
	uint32_t ip_bytes;    /* IP bytes it sent, low 32 bits */
	uint16_t rxmt;	      /* retransmissions, saturating */
	uint8_t ip_bytes_hi;  /* IP bytes, bits 32 to 39 */
	uint8_t last_wraps;   /* times `last` wrapped around 2^32 */
	uint8_t ack_wraps;    /* times `ack` wrapped around 2^32 */
	uint8_t hist_last[3]; /* low bits of the relative sequence numbers of
				 its last SYN, FIN and RST (repeated letters) */
	uint8_t win0;	      /* zero windows it advertised, saturating */
	uint8_t state; /* low nibble: its state; high nibble: the previous */
	uint8_t flags; /* ZE_* (zeek.c) */
	uint8_t pad;
	uint16_t gaps;	  /* content gaps in its bytes, saturating */
	uint16_t bad_sum; /* its segments with a bad TCP checksum, saturating */
	uint32_t pad2;
	/* Its reassembler (TCP_Reassembler), without the bytes: how far its
	 * stream was delivered or given up as a gap (last_reassem_seq), how
	 * far acknowledgements trimmed it (trim_seq), and the bytes seen
	 * beyond a hole, kept as one span [blo, bhi) (0, 0: none), all
	 * relative. */
	uint64_t reassem, trim, blo, bhi;
	uint64_t fin_seq; /* relative, one past its FIN (FIN_seq) */
};

/* The whole view. */
struct zeek_conn {
	struct zeek_ep ep[2]; /* [0] Zeek's originator, [1] its responder */
	int64_t start;	      /* first packet of the record (µs) */
	int64_t last;	      /* Zeek's last_time: frozen once both sides
				 closed */
	uint64_t missed;      /* bytes in content gaps (missed_bytes) */
	uint64_t tunnel;      /* its tunnel's identity (tunnel_parents), or 0 */
	int32_t timer_back;   /* the pending timer's base is last - this */
	uint32_t seen;	      /* Zeek's hist_seen: which letters were logged */
	uint8_t hist[10];     /* history letters, 5-bit codes (16 letters) */
	uint8_t nhist;	      /* letters in hist */
	uint8_t flags;	      /* ZC_* (zeek.c) */
	uint8_t unlogged;     /* records Zeek would have logged before this
				 one on this flow (saturating) */
	uint8_t pad[3];
};

/* Starts the view of a new flow; the next zeek_packet() call brings its
 * first segment. */
void zeek_init(struct zeek_conn *z);

/* Accounts one segment sent by endpoint `side` (enum tcpfsm_side) at time ts.
 * inactivity is Zeek's tcp_inactivity_timeout (µs; 0: none), normally the
 * tracker's idle timeout. Returns 1 when Zeek would have ended its record
 * before this segment (one of its timers expired, or the segment is a SYN
 * that reuses the 4-tuple): the finished record is then written to *done
 * unless done is NULL, and the view starts a new record with this segment.
 * Returns 0 otherwise. */
int zeek_packet(struct zeek_conn *z, int side, const struct segment *seg,
		int64_t ts, int64_t inactivity,
		struct tcpfsm_conn_record *done);

/* Fills the conn.log summary of the record in progress. Returns 0, with
 * rec zeroed, when there is none: every packet of the flow was one Zeek
 * ignores (a bad IPv4 header checksum). */
int zeek_record(const struct zeek_conn *z, struct tcpfsm_conn_record *rec);

/* Zeek's conn_state for the originator's and responder's states os and rs
 * (ZS_* in zeek.c order), sizes and history; exposed for the unit tests. */
const char *zeek_conn_state(int os, int rs, uint64_t orig_size,
			    uint64_t resp_size, const char *history);

#endif
