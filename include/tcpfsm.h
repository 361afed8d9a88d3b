/*
 * tcpfsm.h - public API of libtcpfsm, a passive TCP state tracker.
 *
 * A tracker is fed captured packets with their timestamps. For every TCP
 * connection it infers the RFC 793 state of both endpoints (the client, which
 * sent the first SYN, and the server) and reports each change as an event
 * through a callback. Time is whatever the caller says it is: offline it is the
 * packets' own timestamps, so output is deterministic; live, the caller also
 * advances the clock when no packet arrives so that host timers still fire.
 *
 * The tracker is single-threaded and does no I/O of its own. Events are
 * delivered synchronously from tcpfsm_feed(), tcpfsm_advance() and
 * tcpfsm_finish(); pointers inside an event are valid only during the call.
 */
#ifndef TCPFSM_H
#define TCPFSM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libtcpfsm is built with its symbols hidden: what is declared here, and
 * only that, is exported from the shared library. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define TCPFSM_VERSION "0.1.0"

/* RFC 793 connection states, as netstat/ss name them. */
enum tcpfsm_state {
	TCPFSM_CLOSED = 0,
	TCPFSM_LISTEN,
	TCPFSM_SYN_SENT,
	TCPFSM_SYN_RECEIVED,
	TCPFSM_ESTABLISHED,
	TCPFSM_FIN_WAIT_1,
	TCPFSM_FIN_WAIT_2,
	TCPFSM_CLOSING,
	TCPFSM_TIME_WAIT,
	TCPFSM_CLOSE_WAIT,
	TCPFSM_LAST_ACK,
	TCPFSM_NSTATES
};

/* "SYN_SENT" etc.; "?" for an out-of-range value. */
const char *tcpfsm_state_name(enum tcpfsm_state state);

/* Parses a state name as printed by tcpfsm_state_name(); -1 if unknown. */
int tcpfsm_state_parse(const char *name);

enum tcpfsm_side { TCPFSM_CLIENT = 0, TCPFSM_SERVER = 1 };

/* The alert kind for a state, e.g. "syn_sent_stuck"; NULL if none. */
const char *tcpfsm_alert_name(enum tcpfsm_state state);

/* Stalls of established connections: alerts that no state names, since
 * both hosts stay ESTABLISHED (or CLOSE_WAIT) while nothing moves. Their
 * alert and resolved events carry the kind's name in `alert` and the
 * stuck endpoint's state in `state`. */
enum tcpfsm_stall_kind {
	/* "unacked_data": the endpoint retransmits data that no ACK covers
	 * (or its data never passed the sensor and its peer's ACKs stay
	 * below it); the diagnosis says on which side of the sensor it is
	 * lost, how many retransmissions and how long since the last
	 * progress. */
	TCPFSM_STALL_UNACKED_DATA = 0,
	/* "mtu_blackhole": the same, but only its segments above a size fail
	 * while smaller ones get through; the diagnosis names both sizes. */
	TCPFSM_STALL_MTU_BLACKHOLE,
	/* "zero_window": the endpoint has advertised a zero window past the
	 * threshold while its peer probes: its application is not reading. */
	TCPFSM_STALL_ZERO_WINDOW,
	/* "keepalive_unanswered": the endpoint's keepalive probes go
	 * unanswered: its peer is unreachable or gone. */
	TCPFSM_STALL_KEEPALIVE,
	TCPFSM_NSTALLS
};

/* "unacked_data" etc.; NULL for an out-of-range value. */
const char *tcpfsm_stall_name(enum tcpfsm_stall_kind kind);

/* Parses "3s", "500ms", "2m", "1h", "250us" (a bare number is seconds) into
 * microseconds; -1 if malformed or negative. */
int64_t tcpfsm_parse_duration(const char *text);

/* "client" or "server". */
const char *tcpfsm_side_name(enum tcpfsm_side side);

/* One end of a connection. For IPv4 only the first 4 bytes of ip are used. */
struct tcpfsm_addr {
	uint8_t family; /* 4 or 6 */
	uint16_t port;	/* host byte order */
	uint8_t ip[16];
};

/* Longest text tcpfsm_addr_format() writes, with its terminating NUL:
 * "[" + 45 (IPv6) + "]:" + 5 + NUL. */
#define TCPFSM_ADDRSTRLEN 56

/* Writes "a.b.c.d:port" or "[v6]:port" into buf (at least TCPFSM_ADDRSTRLEN
 * bytes) and returns its length. */
size_t tcpfsm_addr_format(const struct tcpfsm_addr *addr, char *buf);

/* Flags describing how a connection was observed. */
enum tcpfsm_conn_flags {
	TCPFSM_CONN_PARTIAL =
		1 << 0, /* picked up mid-stream, no handshake seen */
	TCPFSM_CONN_ONE_SIDED = 1 << 1, /* only one direction was ever seen */
};

/* A read-only view of a tracked connection. */
struct tcpfsm_conn {
	uint64_t id; /* 1, 2, ... in order of creation; never reused */
	struct tcpfsm_addr client, server;
	enum tcpfsm_state state[2]; /* indexed by enum tcpfsm_side */
	int64_t first_ts, last_ts;  /* microseconds since the epoch */
	unsigned flags;		    /* enum tcpfsm_conn_flags */
};

enum tcpfsm_event_type {
	TCPFSM_EV_TRANSITION = 0, /* an endpoint changed state */
	TCPFSM_EV_END,		  /* the tracker forgets a connection */
	TCPFSM_EV_ALERT,	  /* an endpoint is stuck in a state */
	TCPFSM_EV_RESOLVED,	  /* an alerted endpoint moved on */
	TCPFSM_EV_ZEEK_RECORD,	  /* a conn.log record that is no connection's
				     end: Zeek ended its record where the
				     connection goes on, or a lone RST */
};

/* Why a connection record ends. */
enum tcpfsm_end_reason {
	TCPFSM_END_CLOSED = 0, /* both endpoints closed */
	TCPFSM_END_IDLE,       /* no packet for the idle timeout */
	TCPFSM_END_EVICTED,    /* table full; room made for a new connection */
	TCPFSM_END_REUSED,     /* a new connection took over its 4-tuple */
	TCPFSM_END_FINISHED,   /* tcpfsm_finish(): end of the capture */
};

const char *tcpfsm_end_reason_name(enum tcpfsm_end_reason reason);

/* A finished connection summarised as Zeek's conn.log records it, so that
 * tools reading conn.log can read tcpfsm's. "orig" is Zeek's originator,
 * normally the client; flipped says when Zeek's rules make it the server.
 * The record covers what Zeek would log for the last of its connections on
 * the flow: ts is its first packet, and Zeek's own clock may have ended
 * earlier records on the same 4-tuple (unlogged counts them). */
struct tcpfsm_conn_record {
	int64_t ts;	  /* first packet of the record (µs since the epoch) */
	int64_t duration; /* µs; conn.log leaves duration, orig_bytes and
			     resp_bytes unset when it is 0 */
	char conn_state[8]; /* S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR
			       OTH */
	char history[32];   /* Zeek's history letters, NUL-terminated */
	int flipped;	    /* orig is the server */
	uint64_t orig_pkts, resp_pkts;
	uint64_t orig_bytes, resp_bytes; /* payload, from sequence numbers */
	uint64_t orig_ip_bytes, resp_ip_bytes; /* IP-level, headers included */
	uint64_t missed_bytes;		       /* gaps in the sequence space */
	/* The tunnel (IP-in-IP, GRE, VXLAN, Geneve, Teredo, AYIYA) the
	 * connection came through, as an identity the same for every
	 * connection in it: conn.log's tunnel_parents. 0: none. */
	uint64_t tunnel;
	unsigned unlogged; /* earlier Zeek records on this flow that were
			      folded into the flow rather than logged */
};

struct tcpfsm_event {
	enum tcpfsm_event_type type;
	int64_t ts; /* microseconds since the epoch */
	const struct tcpfsm_conn *conn;
	/* TCPFSM_EV_TRANSITION */
	enum tcpfsm_side endpoint;
	enum tcpfsm_state from, to;
	const char *cause; /* static text, e.g. "sent SYN", "received FIN" */
	/* TCPFSM_EV_END */
	enum tcpfsm_end_reason end_reason;
	/* NULL when the tracker builds no conn records (conn_records 0), or
	 * when Zeek would have ignored every packet of the connection (bad
	 * IPv4 header checksums). */
	const struct tcpfsm_conn_record *record;
	/* TCPFSM_EV_ALERT and TCPFSM_EV_RESOLVED: endpoint, and */
	const char *alert;	 /* kind, e.g. "syn_sent_stuck" */
	enum tcpfsm_state state; /* the state it is (was) stuck in */
	int64_t since;		 /* when it entered that state */
	int64_t duration;	 /* how long it has been (was) there */
	const char *diagnosis;	 /* ALERT: a sentence a person can act on */
	/* For a stall (enum tcpfsm_stall_kind) alert is that kind's name,
	 * state the endpoint's state and since the start of the stall (its
	 * last progress); resolved_to is its state when the stall ended
	 * (data acknowledged, window opened, probe answered, or closed). */
	/* ALERT: how many stuck endpoints the event stands for: 1, or for an
	 * aggregate the number folded into it. An aggregate says that many
	 * more endpoints towards the same server address and port got stuck
	 * in the same state within the aggregation window after one alerted
	 * (some may have moved on since: no resolved event follows it); conn
	 * is one of them. */
	uint64_t count;
	int aggregate;
	/* RESOLVED: the state it moved to, or -1 if the record expired
	 * (idle or evicted) first. */
	int resolved_to;
};

typedef void (*tcpfsm_event_fn)(const struct tcpfsm_event *event, void *user);

/* Tunables. Durations are in microseconds; 0 disables a host timer. */
struct tcpfsm_options {
	uint32_t max_connections; /* table bound; the oldest are evicted */
	int64_t idle_timeout;	  /* forget a connection after this silence */
	int64_t closed_linger; /* keep a closed connection this long to absorb
				  stragglers and tell them from a new one */
	int midstream; /* track connections first seen without a handshake */
	/* How long a host stays in a state before its own timer moves it to
	 * CLOSED with no packet on the wire (e.g. TIME_WAIT: 2MSL). */
	int64_t host_timeout[TCPFSM_NSTATES];
	/* Alert when an endpoint stays in a state longer than this; 0: never.
	 */
	int64_t alert_after[TCPFSM_NSTATES];
	/* Alerts towards one server address, port and state within this
	 * window are folded into one aggregate alert; 0 disables folding. */
	int64_t aggregate_window;
	/* At most this many alerts a second (with as large a burst); the rest
	 * are counted in stats.alerts_suppressed. 0: no limit. */
	uint32_t alert_rate;
	/* Stalls of established connections (enum tcpfsm_stall_kind), folded
	 * and rate limited as the other alerts. unacked_data and
	 * mtu_blackhole: the oldest unacknowledged segment retransmitted
	 * stall_retransmissions times, or unacknowledged for stall_unacked
	 * with at least one retransmission seen (or its loss before the
	 * sensor proven by the peer's ACKs); zero_window: a zero window held
	 * stall_zero_window while the peer probes; keepalive_unanswered:
	 * stall_keepalives probes unanswered. 0 disables each. */
	uint32_t stall_retransmissions;
	int64_t stall_unacked;
	int64_t stall_zero_window;
	uint32_t stall_keepalives;
	/* The hosts' own give-up on a stalled connection, with nothing on the
	 * wire (0: never): a sender whose data stays unacknowledged this long
	 * from its last progress closes (Linux: tcp_retries2 = 15, about
	 * 924.6 s at the 200 ms minimum RTO); a keepalive prober after
	 * give_up_keepalives unanswered probes (Linux: tcp_keepalive_probes =
	 * 9) and one more interval closes, sending a RST. Whatever is sent
	 * into a path proven dead is not assumed delivered: the peer behind
	 * it stays as it was. */
	int64_t give_up_unacked;
	uint32_t give_up_keepalives;
	/* enum tcpfsm_checksums: whether segments' checksums are verified. */
	int checksums;
	/* Build Zeek's conn.log record of each connection (the record of
	 * TCPFSM_EV_END, TCPFSM_EV_ZEEK_RECORD events): 1 by default. With 0
	 * the view takes no memory and does no work on any packet, and END
	 * events carry no record. Fixed when the tracker is made. */
	int conn_records;
};

enum tcpfsm_checksums {
	/* Verify IPv4 header and TCP checksums (the default, as Zeek): a
	 * segment with a bad one is dropped by its receiver, so its sender
	 * acted and its receiver did not. A checksum left as the capturing
	 * host's NIC will fill it in (checksum offload) is counted apart and
	 * taken as sent intact. */
	TCPFSM_CHECKSUMS_VERIFY = 0,
	/* Take every segment as sent intact, and save the summing. */
	TCPFSM_CHECKSUMS_IGNORE = 1,
};

/* Fills opts with the defaults (Linux's timers, 1M connections). */
void tcpfsm_options_default(struct tcpfsm_options *opts);

/* Why a packet was not tracked; see tcpfsm_stats.skipped. */
enum tcpfsm_skip_reason {
	TCPFSM_SKIP_LINK_TRUNCATED = 0,
	TCPFSM_SKIP_LINKTYPE,	   /* link type not supported */
	TCPFSM_SKIP_NOT_IP,	   /* ARP, LLDP, ... */
	TCPFSM_SKIP_IP_TRUNCATED,  /* IP header cut by the snap length */
	TCPFSM_SKIP_IP_MALFORMED,  /* bad version, header or total length */
	TCPFSM_SKIP_IP6_EXT,	   /* IPv6 extension chain truncated or bad */
	TCPFSM_SKIP_FRAGMENT,	   /* non-first fragment */
	TCPFSM_SKIP_NOT_TCP,	   /* UDP, ICMP, ... */
	TCPFSM_SKIP_TCP_TRUNCATED, /* TCP header cut by the snap length */
	TCPFSM_SKIP_TCP_MALFORMED, /* data offset below 5 or past the datagram
				    */
	/* A tunnel's header (GRE, ERSPAN, UDP, VXLAN, Geneve, Teredo, AYIYA)
	 * cut by the snap length. */
	TCPFSM_SKIP_TUNNEL_TRUNCATED,
	/* A tunnel's header that breaks its own rules: reserved GRE flags,
	 * a Geneve version, a VXLAN without its I flag, a UDP length past
	 * the datagram, an inner IP version its outer header did not say. */
	TCPFSM_SKIP_TUNNEL_MALFORMED,
	/* A tunnel not decoded: GRE routing or versions above 1, or a
	 * payload type (Aruba, WCCP, ...) other than IP, MPLS or Ethernet. */
	TCPFSM_SKIP_TUNNEL_UNSUPPORTED,
	TCPFSM_SKIP_TUNNEL_DEPTH, /* more tunnels nested than followed (4) */
	TCPFSM_SKIP_NREASONS
};

/* "tcp_truncated" etc. */
const char *tcpfsm_skip_reason_name(enum tcpfsm_skip_reason reason);

struct tcpfsm_stats {
	uint64_t packets; /* fed */
	uint64_t tcp;	  /* decoded and tracked */
	uint64_t skipped[TCPFSM_SKIP_NREASONS];
	uint64_t bad_tcp_options; /* tracked, but an option's length was bad */
	uint64_t connections;	  /* connection records created */
	uint64_t active;	  /* connections tracked now */
	uint64_t evicted; /* records dropped because the table was full */
	uint64_t rst_out_of_window; /* RSTs ignored (RFC 5961) */
	/* RSTs of no tracked connection (scans' answers, backscatter, the
	 * end of a connection older than the capture): counted, as Zeek
	 * logs each, never tracked. */
	uint64_t lone_rsts;
	uint64_t syn_on_live; /* new SYNs ignored on live connections: a host
				 answers them with a challenge ACK */
	uint64_t transitions;
	uint64_t alerts;	/* alert events emitted (aggregates count 1) */
	uint64_t alerts_folded; /* stuck endpoints folded into aggregates */
	uint64_t alerts_suppressed; /* alerts dropped by the rate limit */
	uint64_t resolved;
	uint64_t state[2][TCPFSM_NSTATES]; /* endpoints by side and state now */
	uint64_t alerts_by_state[TCPFSM_NSTATES]; /* alert events by kind */
	uint64_t alerts_by_stall[TCPFSM_NSTALLS]; /* ... and of the stalls */
	uint64_t bytes;				  /* captured bytes fed */
	/* Listening sockets proven after the listener table was full
	 * (65536 addresses), and so not listed by tcpfsm_foreach_listener(). */
	uint64_t listeners_dropped;
	/* The sensor's own losses, estimated as Zeek's capture-loss does:
	 * acknowledgements that acknowledged new data (acks), those of them
	 * that covered data the sensor never saw (gaps: the sensor missed the
	 * packets), and the bytes missed. gaps / acks estimates the share of
	 * packets the sensor misses. */
	uint64_t acks, gaps, missed_bytes;
	/* Segments with a bad checksum, taken as lost on their way; and
	 * segments whose checksum the capturing host left for its NIC to fill
	 * in (offload), taken as sent intact. offload_host is the first host
	 * seen doing so (family 0: none). */
	uint64_t bad_checksums, offloaded_checksums;
	/* Segments that passed the sensor after one that depends on them (a
	 * FIN or SYN/ACK seen after its acknowledgement): reordered by the
	 * capture, not lost and not retransmitted. */
	uint64_t reordered;
	/* Connections ended with one direction never seen (an asymmetric
	 * route past the sensor, or a SYN never answered): their other side
	 * was inferred. tcpfsm_finish() ends those still open. */
	uint64_t one_sided;
	struct tcpfsm_addr offload_host;
	/* Not the tracker's own: left zero by it, for the capturing program to
	 * fill from libpcap before reporting (pcap_stats(3)). */
	uint64_t pcap_received, pcap_dropped, pcap_if_dropped;
	/* acks and gaps of the last minute or two of capture time (the 60 s
	 * interval under way and the one before it): the sensor's loss
	 * lately, as Zeek's capture-loss gives it per interval. The inference
	 * reads this one: while it is 1 % or more (and 3 gaps), no alert rests
	 * on a FIN not seen, and a FIN's missing answer may be read as the
	 * sensor's miss. */
	uint64_t recent_acks, recent_gaps;
	/* Segments with data, a SYN or a FIN the capture showed twice in a
	 * row (a SPAN port mirroring both the port a packet came in on and the
	 * one it left by): the copy, right after the original and within a
	 * millisecond (or the sender's round trip), is one packet and moves
	 * nothing; conn.log counts it, as Zeek does. */
	uint64_t duplicates;
};

struct tcpfsm;

/* Creates a tracker. opts may be NULL for the defaults. Returns NULL when
 * out of memory. */
struct tcpfsm *tcpfsm_new(const struct tcpfsm_options *opts, tcpfsm_event_fn fn,
			  void *user);

/* Frees the tracker. Emits nothing; call tcpfsm_finish() first for the final
 * events. */
void tcpfsm_free(struct tcpfsm *t);

/* Feeds one captured packet. linktype is a libpcap DLT_* value; caplen is the
 * number of bytes at pkt. Timestamps going backwards are treated as "now".
 * Returns 0 if the packet was tracked, or 1 + enum tcpfsm_skip_reason. */
int tcpfsm_feed(struct tcpfsm *t, int linktype, int64_t ts, const uint8_t *pkt,
		uint32_t caplen);

/* 1 if tcpfsm decodes packets of libpcap link type linktype (DLT_*): a
 * capture of another type would be read for nothing. */
int tcpfsm_linktype_supported(int linktype);

/* Packets decoded ahead of their feeding, for tcpfsm_feed_batch(). A batch
 * belongs to no tracker: it may be filled on one thread (a capture reader)
 * and fed on another, to any tracker. */
struct tcpfsm_batch;

/* A batch for up to capacity packets of libpcap link type linktype, decoded
 * as a tracker with opts decodes them (opts may be NULL for the defaults:
 * give the ones the tracker fed was made with). NULL when out of memory. */
struct tcpfsm_batch *tcpfsm_batch_new(const struct tcpfsm_options *opts,
				      int linktype, size_t capacity);
void tcpfsm_batch_free(struct tcpfsm_batch *b);

/* Decodes one captured packet into b; pkt need not outlive the call. Returns
 * what tcpfsm_feed() would (0, or 1 + enum tcpfsm_skip_reason: the packet is
 * kept, to be counted when fed), or -1 when b is full. */
int tcpfsm_batch_add(struct tcpfsm_batch *b, int64_t ts, const uint8_t *pkt,
		     uint32_t caplen);

/* The packets in b; tcpfsm_batch_clear() empties it for reuse. */
size_t tcpfsm_batch_count(const struct tcpfsm_batch *b);
void tcpfsm_batch_clear(struct tcpfsm_batch *b);

/* Feeds b's packets, in order, exactly as as many tcpfsm_feed() calls
 * would; faster, as each packet's connection is fetched into the cache
 * while those before it are tracked. b is left as it was. */
void tcpfsm_feed_batch(struct tcpfsm *t, const struct tcpfsm_batch *b);

/* Advances the clock to now (µs) with no packet, firing due host timers. */
void tcpfsm_advance(struct tcpfsm *t, int64_t now);

/* Ends tracking: advances to the last packet's time and emits an END event
 * for every connection still tracked, in creation order. The tracker is empty
 * afterwards and may be fed again. */
void tcpfsm_finish(struct tcpfsm *t);

/* Calls fn for each tracked connection, in creation order. */
void tcpfsm_foreach(const struct tcpfsm *t,
		    void (*fn)(const struct tcpfsm_conn *conn, void *user),
		    void *user);

/* Applies new timers, alert thresholds, folding and rate limit to a running
 * tracker (max_connections stays: the table is not resized). */
void tcpfsm_reconfigure(struct tcpfsm *t, const struct tcpfsm_options *opts);

/* A listening socket the traffic proves: its SYN/ACKs show it listening, a
 * RST answering a SYN shows nothing listening (state CLOSED). */
struct tcpfsm_listener {
	struct tcpfsm_addr addr;
	enum tcpfsm_state state; /* by the latest proof: LISTEN or CLOSED */
	uint64_t accepted;	 /* SYN/ACKs seen (handshakes answered) */
	uint64_t refused;	 /* SYNs answered with a RST */
	int64_t first_ts, last_ts;
};

/* Calls fn for each listener proven so far, in order of first proof. */
void tcpfsm_foreach_listener(const struct tcpfsm *t,
			     void (*fn)(const struct tcpfsm_listener *l,
					void *user),
			     void *user);

const struct tcpfsm_stats *tcpfsm_stats(const struct tcpfsm *t);

/* The tracker's clock: the latest time fed or advanced to (µs). */
int64_t tcpfsm_now(const struct tcpfsm *t);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
