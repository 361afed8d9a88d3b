/*
 * tracker.h - the tracker's own state, shared by the files that make it up.
 *
 * Private to libtcpfsm: the public face is include/tcpfsm.h. The tracker is
 * split by responsibility, each file a layer that calls only the layers
 * below it, so that a packet's path runs downwards:
 *
 *   tracker.c   the public API: open, feed, finish, list; one packet's path
 *   checksums.c whose bad checksums are the capture's (offload), not the
 *               wire's
 *   identity.c  which connection a segment belongs to: port reuse versus
 *               retransmission, mid-stream pick-up and roles, retirement,
 *               a refusal the capture showed before its SYN
 *   loss.c      the sensor's own loss against the path's
 *   clock.c     time: timers fired in deadline order, the quiet heap
 *   idle.c      flows' lives: creation, the idle order, eviction, the end
 *   events.c    state changes applied and reported; alerts raised or held
 *   stall.c     stalls of established connections: alerts, give-ups
 *   options.c   the defaults
 *   batch.c     packets decoded ahead (on a reader's thread), fed with
 *               their connections fetched into the cache: tcpfsm_feed_batch()
 *
 * Below them all: flow.c (the table), timers.c (the queues), fsm.c (the
 * machines), alerts.c (folding), listeners.c, zeek.c.
 */
#ifndef TCPFSM_TRACKER_H
#define TCPFSM_TRACKER_H

#include <stdint.h>

#include "alerts.h"
#include "decode.h"
#include "flow.h"
#include "fsm.h"
#include "listeners.h"
#include "stall.h"
#include "tcpfsm.h"
#include "timers.h"
#include "zeek.h"

#define EARLY_RSTS	64
#define CSUM_HOSTS_BITS 5

/* A host whose segments came with bad checksums (checksums.c). */
struct csum_host {
	uint8_t ip[16];
	uint8_t family;	    /* 0: a free slot */
	uint8_t offload;    /* shown to offload: its bad checksums are intact */
	uint16_t bad, good; /* its segments, by checksum */
	uint16_t answered;  /* segments its peers sent it past the handshake */
};

struct tcpfsm {
	struct tcpfsm_options opt;
	struct flow_table ft;
	struct state_queues sq; /* endpoints, by the state they are in */
	struct list lru;	/* flows, least recently seen first */
	struct alert_folding *folding;
	struct heap pending; /* endpoints in doubt waiting to fall quiet */
	struct fifo staged;  /* the same waits, their first moments (clock.c) */
	struct heap stalls;  /* stall.c's deadlines: alerts, give-ups */
	struct listeners listeners;
	/* The conn.log view (zeek.c), an observer: one per flow of the pool,
	 * by the flow's index, allocated only when opt.conn_records asks for
	 * it (NULL otherwise), so that a tracker without it spends nothing. */
	struct zeek_conn *zeek;
	uint32_t next_ticket;
	int64_t now;
	int64_t next_deadline; /* no timer fires before this */
	int64_t floor;	       /* no timer event is stamped before this */
	uint64_t next_id;
	tcpfsm_event_fn fn;
	void *user;
	struct tcpfsm_stats stats;
	/* FINs whose first copy passed, and of them those sent again: the
	 * path's loss, against the sensor's (loss.c). */
	struct {
		uint64_t seen, lost;
	} fins;
	/* The sensor's loss per interval (loss.c): the acks and gaps of the
	 * interval before the one under way (stats.recent_* holds both), and
	 * when the one under way began. */
	struct {
		uint64_t prev_acks, prev_gaps;
		int64_t start;
	} loss;
	/* Lone RSTs of late, by flow hash: one may answer a SYN the capture
	 * shows after it (identity.c). */
	struct early_rst {
		struct segment seg;
		int64_t ts;
		uint32_t hash;
		uint8_t used;
	} early_rsts[EARLY_RSTS];
	/* The last segment tracked, to know the capture's copy of it
	 * (capture_copy(), tracker.c). */
	struct {
		const struct flow *flow;
		int64_t ts;
		uint32_t seq, ack, len, tsval;
		uint16_t window;
		uint8_t flags, from;
	} last;
	/* The last SYN taken as blind, hitting a connection read as live on
	 * both sides (identity.c): a SYN/ACK answering it shows both hosts
	 * had moved on, and the alerts on that connection wait for the
	 * answer. */
	struct {
		const struct flow *flow;
		int64_t ts;
		uint32_t isn;
		uint8_t from;
	} blind_syn;
	/* Hosts with bad checksums, by address (checksums.c). */
	struct csum_host csum_hosts[1 << CSUM_HOSTS_BITS];
	uint32_t csum_hosts_used;
	char diagnosis[512];
};

#define SECONDS(s) ((int64_t)(s)*1000000)

/* The conn.log view of flow f, or NULL when conn records are off. */
static inline struct zeek_conn *zeek_of(const struct tcpfsm *t,
					const struct flow *f)
{
	return t->zeek ? &t->zeek[flow_index(&t->ft, f)] : NULL;
}

/* Every timer scheduled lowers the next deadline: run_timers() looks at the
 * queues only once it has passed. */
static inline void note_deadline(struct tcpfsm *t, int64_t deadline)
{
	if (deadline < t->next_deadline)
		t->next_deadline = deadline;
}

/* loss.c: the sensor's own loss against the path's. */
int sensor_lossy(const struct tcpfsm *t); /* misses >= 1 % (and 3) lately */
double sensor_loss_percent(const struct tcpfsm *t); /* lately */
int sensor_misses_more(const struct tcpfsm *t); /* than the path loses FINs */
void count_loss(struct tcpfsm *t, const struct segment *seg,
		const struct endpoint *sender, const struct fsm_result *res,
		int64_t ts);

/* events.c: state changes and what is reported of them. */
void conn_view(const struct flow *f, struct tcpfsm_conn *c);
void emit(struct tcpfsm *t, const struct flow *f, struct tcpfsm_event *ev);
void ep_enter(struct tcpfsm *t, struct flow *f, int side, int64_t ts);
void ep_leave(struct tcpfsm *t, struct flow *f, int side, int state);
void half_close_in_use(struct tcpfsm *t, struct flow *f, int from,
		       const struct segment *seg, int64_t ts);
void commit(struct tcpfsm *t, struct flow *f, int64_t ts,
	    const struct fsm_result *res);
void report_end(struct tcpfsm *t, struct flow *f, int64_t ts,
		enum tcpfsm_end_reason reason);
/* Is an alert on endpoint side of f (key: its state, or a stall's key) to
 * be written now, neither folded into an aggregate nor over the rate
 * limit? Counts it as folded or suppressed otherwise. */
int alert_admitted(struct tcpfsm *t, const struct flow *f, int side, int key,
		   int64_t ts);
int fold_expire(struct tcpfsm *t, int64_t now, int64_t at);
void report_lone_rst(struct tcpfsm *t, const struct segment *seg, int64_t ts);
void alert_came_due(struct tcpfsm *t, struct flow *f, int side, int64_t ts);
/* identity.c: is a SYN taken as blind on f still unanswered? */
int blind_syn_unanswered(const struct tcpfsm *t, const struct flow *f);
void alert_release_held(struct tcpfsm *t, struct flow *f, int side,
			int retransmitted, int64_t ts);

/* idle.c: flows created, kept in idle order, evicted and ended. */
int is_victim(int state);
struct flow *new_flow(struct tcpfsm *t, const struct flow_key *key,
		      uint32_t hash, int client_is_lo, int64_t ts);
void end_flow(struct tcpfsm *t, struct flow *f, int64_t ts,
	      enum tcpfsm_end_reason reason);
void touch(struct tcpfsm *t, struct flow *f, int64_t ts);
int idle_overdue(const struct tcpfsm *t, const struct flow *f, int64_t ts);
int64_t idle_deadline(const struct tcpfsm *t);
void idle_expire_oldest(struct tcpfsm *t, int64_t at);

/* clock.c: time moves forward and timers fire. */
void set_timeouts(struct tcpfsm *t);
void set_clock(struct tcpfsm *t, int64_t ts);
void run_timers(struct tcpfsm *t, int64_t now);
void wait_for_quiet(struct tcpfsm *t, struct flow *f, int side,
		    int64_t deadline);

/* A decoded TCP segment's connection as the flow table files it: the
 * canonical key, which way the segment went, and the key's hash under
 * seed. */
struct seg_flow {
	struct flow_key key;
	uint32_t hash;
	int sender_is_lo;
	uint64_t seed;
};

/* batch.c: sf for seg, its key hashed with seed. */
void seg_flow_make(uint64_t seed, const struct segment *seg,
		   struct seg_flow *sf);

/* tracker.c: as tcpfsm_feed(), with the packet already decoded: rc and seg
 * are what decode_packet() returned for it (seg unread unless rc is 0), and
 * sf is what seg_flow_make() filled when rc is 0, under any seed (a key
 * hashed for another table is hashed again). Packets in capture order. */
int tcpfsm_feed_decoded(struct tcpfsm *t, int64_t ts, uint32_t caplen, int rc,
			const struct segment *seg, const struct seg_flow *sf);

/* checksums.c: seg as the state machines are to read it: itself, or, from
 * a host shown to offload its checksums, a copy in *copy whose bad
 * checksums read as offload. Counts bad and offloaded checksums. */
const struct segment *judge_checksums(struct tcpfsm *t,
				      const struct segment *seg,
				      struct segment *copy);

/* identity.c: the connection a segment belongs to. */
struct flow *identify(struct tcpfsm *t, const struct segment *seg,
		      const struct seg_flow *sf, int64_t ts, int *from,
		      int *ignored);
/* identity.c: the RST that refused f's first segment, a SYN from side from,
 * seen before it (the capture reordered them): 1 and *rst, or 0. */
int refusal_seen_first(struct tcpfsm *t, const struct flow *f, int from,
		       const struct segment *syn, const struct seg_flow *sf,
		       int64_t ts, struct segment *rst);

#endif
