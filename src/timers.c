/*
 * timers.c - the intrusive lists behind the deadline queues.
 *
 * One implementation serves both kinds of list; they differ only in where an
 * entry's links are stored.
 */
#include "timers.h"

typedef struct link *(*link_at_fn)(struct flow_table *ft, uint32_t i);

static struct link *tq_link(struct flow_table *ft, uint32_t ref)
{
	return &ref_ep(ft, ref)->tq;
}

static struct link *lru_link(struct flow_table *ft, uint32_t i)
{
	return &ft->flows[i].lru;
}

static inline void append(struct list *l, struct flow_table *ft, uint32_t i,
			  link_at_fn at)
{
	struct link *k = at(ft, i);

	k->prev = l->tail;
	k->next = NIL;
	if (l->tail != NIL)
		at(ft, l->tail)->next = i;
	else
		l->head = i;
	l->tail = i;
}

static inline void unlink_entry(struct list *l, struct flow_table *ft,
				uint32_t i, link_at_fn at)
{
	struct link *k = at(ft, i);

	if (k->prev == NIL && l->head != i)
		return; /* not in this list */
	if (k->prev != NIL)
		at(ft, k->prev)->next = k->next;
	else
		l->head = k->next;
	if (k->next != NIL)
		at(ft, k->next)->prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = k->next = NIL;
}

void list_init(struct list *l)
{
	l->head = l->tail = NIL;
}

void tq_append(struct list *q, struct flow_table *ft, uint32_t ref)
{
	append(q, ft, ref, tq_link);
}

void tq_remove(struct list *q, struct flow_table *ft, uint32_t ref)
{
	unlink_entry(q, ft, ref, tq_link);
}

void lru_append(struct list *l, struct flow_table *ft, struct flow *f)
{
	append(l, ft, flow_index(ft, f), lru_link);
}

void lru_remove(struct list *l, struct flow_table *ft, struct flow *f)
{
	unlink_entry(l, ft, flow_index(ft, f), lru_link);
}

void sq_init(struct state_queues *sq, const int64_t timeout[TCPFSM_NSTATES],
	     const int64_t alert_after[TCPFSM_NSTATES])
{
	for (int s = 0; s < TCPFSM_NSTATES; s++) {
		list_init(&sq->q[s]);
		sq->alert_cursor[s] = NIL;
		sq->timeout[s] = timeout[s] > 0 ? timeout[s] : 0;
		sq->alert_after[s] = alert_after[s] > 0 ? alert_after[s] : 0;
	}
}

void sq_enter(struct state_queues *sq, struct flow_table *ft, uint32_t ref,
	      int state)
{
	tq_append(&sq->q[state], ft, ref);
	if (sq->alert_cursor[state] == NIL)
		sq->alert_cursor[state] = ref;
}

void sq_leave(struct state_queues *sq, struct flow_table *ft, uint32_t ref,
	      int state)
{
	if (sq->alert_cursor[state] == ref)
		sq->alert_cursor[state] = ref_ep(ft, ref)->tq.next;
	tq_remove(&sq->q[state], ft, ref);
}

enum sq_due sq_next(const struct state_queues *sq,
		    const struct flow_table *ft, uint32_t *ref, int *state,
		    int64_t *deadline)
{
	enum sq_due due = SQ_NONE;
	int64_t best = INT64_MAX;

	for (int s = 0; s < TCPFSM_NSTATES; s++) {
		uint32_t h = sq->q[s].head;
		if (sq->timeout[s] && h != NIL &&
		    ref_ep(ft, h)->since + sq->timeout[s] < best) {
			best = ref_ep(ft, h)->since + sq->timeout[s];
			due = SQ_TIMEOUT;
			*ref = h;
			*state = s;
		}
		uint32_t c = sq->alert_cursor[s];
		if (sq->alert_after[s] && c != NIL &&
		    ref_ep(ft, c)->since + sq->alert_after[s] < best) {
			best = ref_ep(ft, c)->since + sq->alert_after[s];
			due = SQ_ALERT;
			*ref = c;
			*state = s;
		}
	}
	*deadline = best;
	return due;
}

void sq_alert_done(struct state_queues *sq, const struct flow_table *ft,
		   int state)
{
	uint32_t c = sq->alert_cursor[state];
	if (c != NIL)
		sq->alert_cursor[state] = ref_ep(ft, c)->tq.next;
}
