/*
 * idle.c - a flow's life: created, kept in idle order, evicted, ended.
 *
 * The table is bounded (max_connections). A new connection that finds it
 * full makes room: first the oldest closed or embryonic record (what a SYN
 * flood leaves), then the one idle the longest. Every flow is in the idle
 * list (t->lru), least recently seen first, whose head times out after
 * idle_timeout of silence.
 *
 * The idle order is kept to within a slack: a packet moves its flow to the
 * tail only when the flow's place there is older than the slack. Most packets
 * then touch nothing but their own flow, instead of its two neighbours in the
 * list (two cache misses a packet with a large table). The list stays sorted
 * by the time of each move, and every flow was last seen less than the slack
 * after its move, so the head is at most the slack younger than the flow idle
 * the longest: idle expiry is at most that late, and a packet that finds its
 * flow past the idle timeout ends it first (idle_overdue()).
 */
#include "tracker.h"

/* Where eviction looks first, oldest first: a flood's closed and embryonic
 * records. These states keep their queues even without a deadline. */
static const int victims[] = {TCPFSM_CLOSED, TCPFSM_SYN_SENT,
			      TCPFSM_SYN_RECEIVED};

int is_victim(int state)
{
	for (unsigned v = 0; v < sizeof victims / sizeof victims[0]; v++)
		if (victims[v] == state)
			return 1;
	return 0;
}

void end_flow(struct tcpfsm *t, struct flow *f, int64_t ts,
	      enum tcpfsm_end_reason reason)
{
	report_end(t, f, ts, reason);
	for (int s = 0; s < 2; s++)
		ep_leave(t, f, s, f->ep[s].state);
	lru_remove(&t->lru, &t->ft, f);
	if (t->blind_syn.flow == f) /* the record goes back to the pool */
		t->blind_syn.flow = NULL;
	flow_remove(&t->ft, f);
	t->stats.active--;
}

/* Makes room for one flow: the oldest closed or embryonic one first (a
 * flood's), then the one idle the longest. */
static void evict_one(struct tcpfsm *t)
{
	struct flow *f = NULL;

	for (unsigned v = 0; v < sizeof victims / sizeof victims[0] && !f; v++)
		if (t->sq.q[victims[v]].head != NIL)
			f = ref_flow(&t->ft, t->sq.q[victims[v]].head);
	if (!f && t->lru.head != NIL) {
		/* The idle order is loose by the slack (touch()): of the
		 * first few, the one seen longest ago. (The analyzer does not
		 * know that the pool exists while the tracker does.) */
		f = &t->ft.flows[t->lru.head];
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		uint32_t i = f->lru.next;
		for (int n = 1; i != NIL && n < 8; n++) {
			struct flow *g = &t->ft.flows[i];
			if (g->last_ts < f->last_ts)
				f = g;
			i = g->lru.next;
		}
	}
	if (f) {
		/* In a flood every new SYN evicts one, and the next victims
		 * are queued behind this one, as cold: the next's bucket and
		 * the one after it are fetched now (the next itself was, at
		 * the eviction before). */
		for (int s = 0; s < 2; s++) {
			if (f->ep[s].tq.next == NIL)
				continue;
			const struct flow *n =
				ref_flow(&t->ft, f->ep[s].tq.next);
			flow_prefetch_bucket(&t->ft, n->hh.hashv);
			if (n->ep[s].tq.next != NIL)
				flow_prefetch(
					ref_flow(&t->ft, n->ep[s].tq.next));
		}
		t->stats.evicted++;
		end_flow(t, f, t->now, TCPFSM_END_EVICTED);
	}
}

struct flow *new_flow(struct tcpfsm *t, const struct flow_key *key,
		      uint32_t hash, int client_is_lo, int64_t ts)
{
	struct flow *f = flow_insert(&t->ft, key, hash);
	if (!f) {
		evict_one(t);
		f = flow_insert(&t->ft, key, hash);
		if (!f)
			return NULL;
	}
	f->id = t->next_id++;
	f->first_ts = f->last_ts = ts;
	f->client_is_lo = (uint8_t)client_is_lo;
	for (int s = 0; s < 2; s++) {
		f->ep[s].state = TCPFSM_CLOSED;
		ep_enter(t, f, s, ts);
	}
	if (t->opt.idle_timeout > 0)
		note_deadline(t, ts + t->opt.idle_timeout);
	lru_append(&t->lru, &t->ft, f);
	t->stats.connections++;
	t->stats.active++;
	return f;
}

static int64_t lru_slack(const struct tcpfsm *t)
{
	return t->opt.idle_timeout > 0 ? t->opt.idle_timeout / 64 : SECONDS(1);
}

void touch(struct tcpfsm *t, struct flow *f, int64_t ts)
{
	int64_t moved_at = f->first_ts + (int64_t)f->lru_ms * 1000;

	if (ts - moved_at < lru_slack(t) ||
	    t->lru.tail == flow_index(&t->ft, f))
		return;
	lru_remove(&t->lru, &t->ft, f);
	lru_append(&t->lru, &t->ft, f);
	int64_t ms = (ts - f->first_ts) / 1000;
	f->lru_ms = ms < UINT32_MAX ? (uint32_t)ms : UINT32_MAX;
}

/* f is idle, but perhaps not yet reached in the loose idle order. */
int idle_overdue(const struct tcpfsm *t, const struct flow *f, int64_t ts)
{
	return t->opt.idle_timeout > 0 &&
	       f->last_ts + t->opt.idle_timeout <= ts;
}

/* When the head of the idle order times out; INT64_MAX if never. */
int64_t idle_deadline(const struct tcpfsm *t)
{
	if (t->opt.idle_timeout > 0 && t->lru.head != NIL)
		return t->ft.flows[t->lru.head].last_ts + t->opt.idle_timeout;
	return INT64_MAX;
}

/* The head of the idle order timed out: it ends, stamped at. */
void idle_expire_oldest(struct tcpfsm *t, int64_t at)
{
	struct flow *f = &t->ft.flows[t->lru.head];
	if (f->lru.next != NIL) /* as tq_prefetch_next() */
		flow_prefetch(&t->ft.flows[f->lru.next]);
	end_flow(t, f, at, TCPFSM_END_IDLE);
}
