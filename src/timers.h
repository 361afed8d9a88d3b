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

static inline uint32_t ep_ref(const struct flow_table *ft,
			      const struct flow *f, int side)
{
	return flow_index(ft, f) * 2 + (uint32_t)side;
}

static inline struct flow *ref_flow(const struct flow_table *ft, uint32_t ref)
{
	return &ft->flows[ref / 2];
}

static inline struct endpoint *ref_ep(const struct flow_table *ft,
				      uint32_t ref)
{
	return &ft->flows[ref / 2].ep[ref % 2];
}

void list_init(struct list *l);

/* A state's timer queue, of endpoint references. */
void tq_append(struct list *q, struct flow_table *ft, uint32_t ref);
/* Removing an entry that is not in the list does nothing. */
void tq_remove(struct list *q, struct flow_table *ft, uint32_t ref);

/* The idle list, of flows. */
void lru_append(struct list *l, struct flow_table *ft, struct flow *f);
void lru_remove(struct list *l, struct flow_table *ft, struct flow *f);

/* Moves f to the tail (most recently seen). */
static inline void lru_touch(struct list *l, struct flow_table *ft,
			     struct flow *f)
{
	if (l->tail != flow_index(ft, f)) {
		lru_remove(l, ft, f);
		lru_append(l, ft, f);
	}
}

#endif
