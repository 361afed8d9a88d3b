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
