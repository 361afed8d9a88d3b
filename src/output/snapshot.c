/*
 * snapshot.c - the connections tracked now, both endpoints' states side by
 * side: netstat -an for both hosts at once.
 */
#include <string.h>

#include "output.h"

#define ADDR_WIDTH  22
#define STATE_WIDTH 14

struct snap {
	struct output *o;
	int64_t now;
	uint64_t n;
};

/* A record kept only to absorb stragglers is no open connection. */
static int is_open(const struct tcpfsm_conn *c)
{
	return c->state[TCPFSM_CLIENT] != TCPFSM_CLOSED ||
	       c->state[TCPFSM_SERVER] != TCPFSM_CLOSED;
}

static void count_conn(const struct tcpfsm_conn *c, void *user)
{
	if (is_open(c))
		((struct snap *)user)->n++;
}

static void text_row(const struct tcpfsm_conn *c, void *user)
{
	struct snap *s = user;
	struct outbuf *ob = &s->o->ob;
	char a[TCPFSM_ADDRSTRLEN], id[24] = "#";

	if (!is_open(c))
		return;
	id[1 + fmt_uint(id + 1, c->id)] = '\0';
	ob_pad(ob, id, -7);
	tcpfsm_addr_format(&c->client, a);
	ob_pad(ob, a, -ADDR_WIDTH);
	ob_pad(ob, tcpfsm_state_name(c->state[TCPFSM_CLIENT]), -STATE_WIDTH);
	tcpfsm_addr_format(&c->server, a);
	ob_pad(ob, a, -ADDR_WIDTH);
	ob_pad(ob, tcpfsm_state_name(c->state[TCPFSM_SERVER]), -STATE_WIDTH);
	ob_clock(ob, c->last_ts);
	if (c->flags & TCPFSM_CONN_PARTIAL)
		ob_puts(ob, "  mid-stream");
	if (c->flags & TCPFSM_CONN_ONE_SIDED)
		ob_puts(ob, "  one-sided");
	ob_putc(ob, '\n');
}

static void json_row(const struct tcpfsm_conn *c, void *user)
{
	struct snap *s = user;
	if (is_open(c))
		json_snapshot_conn(s->o, c, s->now);
}

static void text_listener(const struct tcpfsm_listener *l, void *user)
{
	struct outbuf *ob = &((struct snap *)user)->o->ob;
	char a[TCPFSM_ADDRSTRLEN];

	ob_puts(ob, "  ");
	tcpfsm_addr_format(&l->addr, a);
	ob_pad(ob, a, -ADDR_WIDTH);
	ob_pad(ob, l->state == TCPFSM_LISTEN ? "LISTEN" : "none (RST)",
	       -STATE_WIDTH);
	ob_uint(ob, l->accepted);
	ob_puts(ob, " answered, ");
	ob_uint(ob, l->refused);
	ob_puts(ob, " refused; last ");
	ob_clock(ob, l->last_ts);
	ob_putc(ob, '\n');
}

static void json_listener(const struct tcpfsm_listener *l, void *user)
{
	struct snap *s = user;
	json_snapshot_listener(s->o, l, s->now);
}

static void count_listener(const struct tcpfsm_listener *l, void *user)
{
	(void)l;
	((struct snap *)user)->n++;
}

/* The open connections, both endpoints' states side by side. */
static void snapshot_connections(struct output *o, const struct tcpfsm *t,
				 const struct snap *sp)
{
	struct snap s = *sp;

	s.n = 0;
	tcpfsm_foreach(t, count_conn, &s);
	ob_puts(&o->ob, "# ");
	ob_uint(&o->ob, s.n);
	ob_puts(&o->ob, s.n == 1 ? " connection" : " connections");
	ob_puts(&o->ob, " open at ");
	ob_clock(&o->ob, s.now);
	ob_puts(&o->ob, " UTC\n");
	if (!s.n)
		return;
	ob_pad(&o->ob, "CONN", -7);
	ob_pad(&o->ob, "CLIENT", -ADDR_WIDTH);
	ob_pad(&o->ob, "STATE", -STATE_WIDTH);
	ob_pad(&o->ob, "SERVER", -ADDR_WIDTH);
	ob_pad(&o->ob, "STATE", -STATE_WIDTH);
	ob_puts(&o->ob, "LAST SEEN\n");
	tcpfsm_foreach(t, text_row, &s);
}

void snapshot_write(struct output *o, const struct tcpfsm *t, int64_t now)
{
	struct snap s = {o, now, 0};

	if (o->format == FORMAT_JSON) {
		tcpfsm_foreach(t, json_row, &s);
		tcpfsm_foreach_listener(t, json_listener, &s);
		return;
	}
	if (o->format != FORMAT_TEXT)
		return;
	snapshot_connections(o, t, &s);
	s.n = 0;
	tcpfsm_foreach_listener(t, count_listener, &s);
	if (!s.n)
		return;
	ob_puts(&o->ob, "# listening sockets the traffic proves\n");
	tcpfsm_foreach_listener(t, text_listener, &s);
}
