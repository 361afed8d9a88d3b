/*
 * timers.c - the intrusive lists behind the deadline queues.
 *
 * One implementation serves both kinds of list; they differ only in where an
 * entry's links are stored.
 */
#include <stdlib.h>

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

void sq_init(struct state_queues *sq)
{
	sq_clear(sq);
	for (int s = 0; s < TCPFSM_NSTATES; s++) {
		sq->timeout[s] = sq->alert_after[s] = 0;
		sq->queued[s] = 1;
	}
}

struct ref_since {
	int64_t since;
	uint32_t ref;
};

static int by_since(const void *a, const void *b)
{
	const struct ref_since *x = a, *y = b;
	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	return (x->ref > y->ref) - (x->ref < y->ref);
}

/* Refills q with the endpoints of ft in state, earliest `since` first. */
static int rebuild(struct list *q, struct flow_table *ft, int state)
{
	while (q->head != NIL)
		tq_remove(q, ft, q->head);
	size_t n = 0;
	for (uint32_t i = 0; i < ft->used; i++)
		for (int s = 0; s < 2; s++)
			n += ft->flows[i].in_use &&
			     ft->flows[i].ep[s].state == state;
	struct ref_since *v = malloc((n ? n : 1) * sizeof *v);
	size_t k = 0;
	for (uint32_t i = 0; i < ft->used; i++)
		for (int s = 0; s < 2; s++) {
			const struct flow *f = &ft->flows[i];
			if (!f->in_use || f->ep[s].state != state)
				continue;
			if (v)
				v[k++] = (struct ref_since){
					f->ep[s].since, i * 2 + (uint32_t)s};
			else
				tq_append(q, ft, i * 2 + (uint32_t)s);
		}
	if (!v)
		return -1;
	qsort(v, k, sizeof *v, by_since);
	for (size_t j = 0; j < k; j++)
		tq_append(q, ft, v[j].ref);
	free(v);
	return 0;
}

int sq_set_queued(struct state_queues *sq, struct flow_table *ft, int state,
		  int on)
{
	int was = sq->queued[state];
	sq->queued[state] = (uint8_t)(on != 0);
	if (!on || was)
		return 0;
	int rc = rebuild(&sq->q[state], ft, state);
	/* The alerts already raised in this state are the earliest. */
	uint32_t c = sq->q[state].head;
	while (c != NIL && (ref_ep(ft, c)->flags & EP_ALERTED))
		c = ref_ep(ft, c)->tq.next;
	sq->alert_cursor[state] = c;
	return rc;
}

void sq_clear(struct state_queues *sq)
{
	for (int s = 0; s < TCPFSM_NSTATES; s++) {
		list_init(&sq->q[s]);
		sq->alert_cursor[s] = NIL;
	}
}

void sq_enter(struct state_queues *sq, struct flow_table *ft, uint32_t ref,
	      int state)
{
	if (!sq->queued[state])
		return;
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

/* c, a candidate deadline, into the best two so far. */
static int consider(int64_t c, int64_t *best, int64_t *second)
{
	if (c < *best) {
		*second = *best;
		*best = c;
		return 1;
	}
	if (c < *second)
		*second = c;
	return 0;
}

enum sq_due sq_next(const struct state_queues *sq, const struct flow_table *ft,
		    uint32_t *ref, int *state, int64_t *deadline,
		    int64_t *second)
{
	enum sq_due due = SQ_NONE;
	int64_t best = INT64_MAX;

	*second = INT64_MAX;
	for (int s = 0; s < TCPFSM_NSTATES; s++) {
		uint32_t h = sq->q[s].head;
		if (sq->timeout[s] && h != NIL &&
		    consider(ref_ep(ft, h)->since + sq->timeout[s], &best,
			     second)) {
			due = SQ_TIMEOUT;
			*ref = h;
			*state = s;
		}
		uint32_t c = sq->alert_cursor[s];
		if (sq->alert_after[s] && c != NIL &&
		    consider(ref_ep(ft, c)->since + sq->alert_after[s], &best,
			     second)) {
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
	if (c == NIL)
		return;
	c = sq->alert_cursor[state] = ref_ep(ft, c)->tq.next;
	/* sq_next() reads it soon, and its alert the whole flow: in a flood
	 * an alert comes due at each packet, for a flow seconds cold. */
	if (c != NIL)
		flow_prefetch(ref_flow(ft, c));
}

void heap_init(struct heap *h, size_t max)
{
	h->v = NULL;
	h->n = h->cap = 0;
	h->max = max;
}

void heap_destroy(struct heap *h)
{
	free(h->v);
	heap_init(h, h->max);
}

int heap_push(struct heap *h, struct heap_entry e)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		if (cap > h->max)
			cap = h->max;
		if (cap <= h->n)
			return -1;
		struct heap_entry *v = realloc(h->v, cap * sizeof *v);
		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	size_t i = h->n++;
	while (i > 0 && h->v[(i - 1) / 2].deadline > e.deadline) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = e;
	return 0;
}

void heap_pop(struct heap *h)
{
	struct heap_entry last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1].deadline < h->v[c].deadline)
			c++;
		if (h->v[c].deadline >= last.deadline)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
}

void fifo_init(struct fifo *q, size_t max)
{
	q->v = NULL;
	q->head = q->n = q->cap = 0;
	q->max = max;
}

void fifo_destroy(struct fifo *q)
{
	free(q->v);
	fifo_init(q, q->max);
}

int fifo_push(struct fifo *q, struct fifo_entry e)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		if (cap > q->max)
			cap = q->max;
		if (cap <= q->n)
			return -1;
		struct fifo_entry *v = malloc(cap * sizeof *v);
		if (!v)
			return -1;
		/* Unwrapped into the new array, oldest first. */
		for (size_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	size_t tail = q->head + q->n;
	q->v[tail >= q->cap ? tail - q->cap : tail] = e;
	q->n++;
	return 0;
}
