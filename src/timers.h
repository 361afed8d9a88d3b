/*
 * timers.h - deadline queues without scanning.
 *
 * Every endpoint sits in the queue of its current state, appended when it
 * enters the state. All entries of one queue share the same timeout, and
 * time only moves forward, so each queue is ordered by deadline: the due
 * entries are always at its head. Entering, leaving and checking are O(1).
 *
 * The flows' idle order (least recently seen first) is kept the same way, in
 * a list threaded through the flows.
 *
 * Lists hold array indices, not pointers. An endpoint is named by a
 * reference, flow index * 2 + side; a flow by its index.
 */
#ifndef TCPFSM_TIMERS_H
#define TCPFSM_TIMERS_H

#include "flow.h"

struct list {
	uint32_t head, tail; /* NIL when empty */
};

static inline uint32_t ep_ref(const struct flow_table *ft, const struct flow *f,
			      int side)
{
	return flow_index(ft, f) * 2 + (uint32_t)side;
}

static inline struct flow *ref_flow(const struct flow_table *ft, uint32_t ref)
{
	return &ft->flows[ref / 2];
}

static inline struct endpoint *ref_ep(const struct flow_table *ft, uint32_t ref)
{
	return &ft->flows[ref / 2].ep[ref % 2];
}

void list_init(struct list *l);

/* A state's timer queue, of endpoint references. */
void tq_append(struct list *q, struct flow_table *ft, uint32_t ref);
/* Removing an entry that is not in the list does nothing. */
void tq_remove(struct list *q, struct flow_table *ft, uint32_t ref);

/* Fetches into the cache the queue neighbours of f's endpoints: a
 * transition of either unlinks it from between them (tq_remove()). */
static inline void tq_prefetch_neighbours(const struct flow_table *ft,
					  const struct flow *f)
{
	for (int s = 0; s < 2; s++) {
		uint32_t prev = f->ep[s].tq.prev, next = f->ep[s].tq.next;
		if (prev != NIL)
			__builtin_prefetch(&ref_ep(ft, prev)->tq);
		if (next != NIL)
			__builtin_prefetch(&ref_ep(ft, next)->tq);
	}
}

/* Fetches into the cache the flow of the entry after ref in its queue. Host
 * timers come due in bursts (a second's worth of TIME_WAITs), each for a flow
 * seconds cold, and the next one's time is read as soon as ref's fired. */
static inline void tq_prefetch_next(const struct flow_table *ft, uint32_t ref)
{
	uint32_t next = ref_ep(ft, ref)->tq.next;
	if (next != NIL)
		flow_prefetch(ref_flow(ft, next));
}

/* The idle list, of flows. */
void lru_append(struct list *l, struct flow_table *ft, struct flow *f);
void lru_remove(struct list *l, struct flow_table *ft, struct flow *f);

/*
 * The per-state queues. Each state has two timeouts that count from the
 * moment an endpoint entered it: the host's own timer (the endpoint moves to
 * CLOSED) and the alert threshold. Both are due in queue order, so besides
 * the head, each queue keeps a cursor at its first endpoint not yet alerted.
 *
 * A state with neither (ESTABLISHED by default) keeps no queue: its
 * endpoints are long-lived, and unlinking one would touch two others long
 * out of the cache. An endpoint entering such a state is in no queue (NIL
 * links).
 */
struct state_queues {
	struct list q[TCPFSM_NSTATES];
	uint32_t alert_cursor[TCPFSM_NSTATES]; /* NIL: all alerted or empty */
	int64_t timeout[TCPFSM_NSTATES];       /* 0: none */
	int64_t alert_after[TCPFSM_NSTATES];   /* 0: none */
	uint8_t queued[TCPFSM_NSTATES];	       /* sq_enter() appends */
};

enum sq_due { SQ_NONE = 0, SQ_TIMEOUT, SQ_ALERT };

/* Empty queues, no timeouts, every state queued: the owner sets timeout[]
 * and alert_after[] (and may change them later: entries of one queue share
 * them), and sq_set_queued() for the states that need no queue. */
void sq_init(struct state_queues *sq);
/* Whether endpoints entering state are queued from now on. Turned on, the
 * queue is rebuilt from the endpoints of ft already in state, by the time
 * they entered it; turned off, the entries it holds leave as they move.
 * Returns -1 when the rebuild had no memory to sort: the queue then holds
 * them in table order, and their deadlines may come late. */
int sq_set_queued(struct state_queues *sq, struct flow_table *ft, int state,
		  int on);
/* Empties every queue at once (their entries are being forgotten); the
 * timeouts stay. */
void sq_clear(struct state_queues *sq);

/* Endpoint ref enters / leaves the queue of state. Leaving a queue it is not
 * in does nothing. Entering uses the endpoint's `since` as its start. */
void sq_enter(struct state_queues *sq, struct flow_table *ft, uint32_t ref,
	      int state);
void sq_leave(struct state_queues *sq, struct flow_table *ft, uint32_t ref,
	      int state);

/* The earliest pending timeout or alert: its kind, endpoint, state and
 * deadline, and the deadline of the next after it (second). On a tie the
 * host's timer goes first: an endpoint that leaves the state at that
 * instant was not stuck in it. */
enum sq_due sq_next(const struct state_queues *sq, const struct flow_table *ft,
		    uint32_t *ref, int *state, int64_t *deadline,
		    int64_t *second);

/* The alert at the cursor of state's queue was handled: move past it. */
void sq_alert_done(struct state_queues *sq, const struct flow_table *ft,
		   int state);

/*
 * Deadlines that share no timeout (how long to wait for an endpoint's next
 * retransmission depends on its own backoff) go in a binary heap. Entries
 * are never removed early: each carries a ticket, and an entry whose ticket
 * its endpoint no longer holds is skipped when it comes up.
 */
struct heap_entry {
	int64_t deadline;
	uint32_t ref;
	uint32_t ticket;
};

struct heap {
	struct heap_entry *v;
	size_t n, cap, max; /* max: the bound on entries (memory) */
};

void heap_init(struct heap *h, size_t max);
void heap_destroy(struct heap *h);
/* Returns 0, or -1 when full (the entry is dropped). */
int heap_push(struct heap *h, struct heap_entry e);
/* The earliest entry; only valid when h->n > 0. */
static inline const struct heap_entry *heap_top(const struct heap *h)
{
	return &h->v[0];
}
void heap_pop(struct heap *h);
/* Drops every entry, keeping the memory. */
static inline void heap_clear(struct heap *h)
{
	h->n = 0;
}

/*
 * Heap entries waiting, in the order they came, for their time to enter a
 * heap (`at`, which only grows from one entry to the next): a ring, so that
 * adding and dropping one costs a store, not a walk of the heap. Most never
 * enter it (clock.c).
 */
struct fifo_entry {
	int64_t at;
	struct heap_entry e;
};

struct fifo {
	struct fifo_entry *v;
	size_t head, n, cap, max; /* max: the bound on entries (memory) */
};

void fifo_init(struct fifo *q, size_t max);
void fifo_destroy(struct fifo *q);
/* Returns 0, or -1 when full (the entry is dropped). */
int fifo_push(struct fifo *q, struct fifo_entry e);
/* The oldest entry; only valid when q->n > 0. */
static inline const struct fifo_entry *fifo_front(const struct fifo *q)
{
	return &q->v[q->head];
}
static inline void fifo_pop(struct fifo *q)
{
	q->head = q->head + 1 == q->cap ? 0 : q->head + 1;
	q->n--;
}
static inline void fifo_clear(struct fifo *q)
{
	q->head = q->n = 0;
}

#endif
