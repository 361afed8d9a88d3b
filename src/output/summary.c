/*
 * summary.c - what a text run comes to, written after its last counters:
 * connections by both endpoints' final states, alerts by kind, the servers
 * most often refused or not answered, and the sensor's own estimated loss.
 *
 * A person who read a few thousand lines scrolls back for these; the
 * events carry everything, so the summary is gathered from them as they
 * pass (summary_event), independently of the tracker, and costs nothing
 * to a run with no text output. Servers are kept in a hash table bounded
 * at SUMMARY_MAX_SERVERS: a scan touching a million addresses must not
 * grow a long-running text output without end; the ones beyond it are
 * counted together.
 */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "output.h"
#include "summary.h"

#define SUMMARY_MAX_SERVERS 65536
#define SUMMARY_TOP	    5 /* servers listed */

struct server_count {
	struct tcpfsm_addr addr; /* the key: family, port, ip, all set */
	uint64_t refused, unanswered;
	UT_hash_handle hh;
};

void summary_init(struct summary *s)
{
	memset(s, 0, sizeof *s);
}

static void count_server(struct summary *s, const struct tcpfsm_addr *a,
			 uint64_t refused, uint64_t unanswered)
{
	struct server_count *e;
	struct tcpfsm_addr key;

	memset(&key, 0, sizeof key);
	key.family = a->family;
	key.port = a->port;
	memcpy(key.ip, a->ip, a->family == 4 ? 4 : 16);
	HASH_FIND(hh, s->servers, &key, sizeof key, e);
	if (!e) {
		if (s->n_servers >= SUMMARY_MAX_SERVERS ||
		    !(e = calloc(1, sizeof *e))) {
			s->other_servers++;
			return;
		}
		memcpy(&e->addr, &key, sizeof key); /* the padding too */
		HASH_ADD(hh, s->servers, addr, sizeof key, e);
		s->n_servers++;
	}
	e->refused += refused;
	e->unanswered += unanswered;
}

/* A connection's end: its final pair of states, and whether its attempt
 * went unanswered: Zeek's S0 (a SYN and nothing back) when the record has
 * Zeek's view and the client is not closed, a client still in SYN_SENT
 * facing a CLOSED server otherwise. Refusals come from the tracker's
 * listeners (summary_listeners: each SYN a RST answered), which count every
 * attempt, not only each connection's last. */
static void count_end(struct summary *s, const struct tcpfsm_event *ev)
{
	const struct tcpfsm_conn *c = ev->conn;
	unsigned cs = c->state[TCPFSM_CLIENT], ss = c->state[TCPFSM_SERVER];
	int unanswered;

	if (cs < TCPFSM_NSTATES && ss < TCPFSM_NSTATES)
		s->final[cs][ss]++;
	s->conns++;
	if (ev->record)
		/* (A client the tracker read refused has its answer: a RST
		 * the capture showed before the SYN, which conn.log, as
		 * Zeek's, logged on its own.) */
		unanswered = strcmp(ev->record->conn_state, "S0") == 0 &&
			     cs != TCPFSM_CLOSED;
	else
		unanswered = cs == TCPFSM_SYN_SENT && ss == TCPFSM_CLOSED;
	if (unanswered)
		count_server(s, &c->server, 0, 1);
}

static void count_listener(const struct tcpfsm_listener *l, void *user)
{
	if (l->refused)
		count_server(user, &l->addr, l->refused, 0);
}

void summary_listeners(struct summary *s, const struct tcpfsm *t)
{
	tcpfsm_foreach_listener(t, count_listener, s);
}

static void count_alert(struct summary *s, const struct tcpfsm_event *ev)
{
	size_t i;

	for (i = 0; i < s->n_kinds; i++)
		if (strcmp(s->kinds[i].name, ev->alert) == 0)
			break;
	if (i == s->n_kinds) {
		if (i == sizeof s->kinds / sizeof s->kinds[0])
			return; /* more kinds than exist today: drop the rest */
		s->n_kinds++;
		/* alert kinds are static texts: the pointer outlives us */
		s->kinds[i].name = ev->alert;
	}
	s->kinds[i].events++;
	s->kinds[i].endpoints += ev->aggregate ? ev->count : 1;
}

void summary_event(struct summary *s, const struct tcpfsm_event *ev)
{
	if (ev->type == TCPFSM_EV_END)
		count_end(s, ev);
	else if (ev->type == TCPFSM_EV_ALERT && ev->alert)
		count_alert(s, ev);
}

static void final_states(struct outbuf *ob, const struct summary *s)
{
	/* The pairs, most frequent first: a plain selection over at most
	 * 121 cells. */
	uint64_t done[TCPFSM_NSTATES][TCPFSM_NSTATES] = {{0}};

	ob_puts(ob, "# connections by final state (client / server):\n");
	for (;;) {
		int bc = -1, bs = -1;
		uint64_t best = 0;
		for (int c = 0; c < TCPFSM_NSTATES; c++)
			for (int v = 0; v < TCPFSM_NSTATES; v++)
				if (!done[c][v] && s->final[c][v] > best) {
					best = s->final[c][v];
					bc = c;
					bs = v;
				}
		if (bc < 0)
			break;
		done[bc][bs] = 1;
		char n[24];
		n[fmt_uint(n, best)] = '\0';
		ob_puts(ob, "#   ");
		ob_pad(ob, n, 7);
		ob_puts(ob, "  ");
		ob_pad(ob, tcpfsm_state_name(bc), -12);
		ob_puts(ob, " / ");
		ob_puts(ob, tcpfsm_state_name(bs));
		ob_putc(ob, '\n');
	}
}

static void alerts(struct outbuf *ob, const struct summary *s)
{
	if (!s->n_kinds)
		return;
	ob_puts(ob, "# alerts by kind: ");
	for (size_t i = 0; i < s->n_kinds; i++) {
		if (i)
			ob_puts(ob, ", ");
		ob_puts(ob, s->kinds[i].name);
		ob_putc(ob, ' ');
		ob_uint(ob, s->kinds[i].events);
		if (s->kinds[i].endpoints != s->kinds[i].events) {
			ob_puts(ob, " (");
			ob_uint(ob, s->kinds[i].endpoints);
			ob_puts(ob, " endpoints)");
		}
	}
	ob_putc(ob, '\n');
}

static uint64_t failures(const struct server_count *e)
{
	return e->refused + e->unanswered;
}

/* Most failures first; the address breaks ties, so that the same capture
 * gives the same list. */
static int by_failures(const void *a, const void *b)
{
	const struct server_count *x = *(const struct server_count *const *)a;
	const struct server_count *y = *(const struct server_count *const *)b;

	if (failures(x) != failures(y))
		return failures(x) < failures(y) ? 1 : -1;
	/* Keys are set byte for byte, padding included (count_server()). */
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
	return memcmp(&x->addr, &y->addr, sizeof x->addr);
}

static void servers(struct outbuf *ob, const struct summary *s)
{
	struct server_count *e, *tmp;
	struct server_count **v;
	size_t n = 0;

	if (!s->n_servers)
		return;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers to counts */
	v = malloc(s->n_servers * sizeof *v);
	if (!v)
		return;
	HASH_ITER(hh, s->servers, e, tmp)
	v[n++] = e;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	qsort(v, n, sizeof *v, by_failures);
	ob_puts(ob, "# servers with the most refused or unanswered "
		    "connection attempts:\n");
	for (size_t i = 0; i < n && i < SUMMARY_TOP; i++) {
		char a[TCPFSM_ADDRSTRLEN];
		tcpfsm_addr_format(&v[i]->addr, a);
		ob_puts(ob, "#   ");
		ob_pad(ob, a, -ADDR_COLUMN);
		ob_puts(ob, " ");
		ob_uint(ob, v[i]->refused);
		ob_puts(ob, " refused, ");
		ob_uint(ob, v[i]->unanswered);
		ob_puts(ob, " unanswered\n");
	}
	if (n > SUMMARY_TOP || s->other_servers) {
		ob_puts(ob, "#   and ");
		ob_uint(ob, n > SUMMARY_TOP ? n - SUMMARY_TOP : 0);
		ob_puts(ob, " more servers");
		if (s->other_servers) {
			ob_puts(ob, ", and ");
			ob_uint(ob, s->other_servers);
			ob_puts(ob, " attempts to servers not counted apart");
		}
		ob_putc(ob, '\n');
	}
	free(v);
}

/* Zeek's capture-loss estimate: the share of acknowledgements of new data
 * that covered data the sensor never saw. */
static void loss(struct outbuf *ob, const struct tcpfsm_stats *st)
{
	ob_puts(ob, "# sensor's estimated loss: ");
	if (!st->acks) {
		ob_puts(ob, "unknown (no acknowledgement of data seen)\n");
		return;
	}
	/* percent with two decimals, in integers: 10000 * gaps / acks */
	uint64_t bp = st->gaps * 10000 / st->acks;
	char frac[3] = {(char)('0' + bp % 100 / 10), (char)('0' + bp % 10),
			'\0'};
	ob_uint(ob, bp / 100);
	ob_putc(ob, '.');
	ob_puts(ob, frac);
	ob_puts(ob, "% (");
	ob_uint(ob, st->gaps);
	ob_puts(ob, " of ");
	ob_uint(ob, st->acks);
	ob_puts(ob, " acknowledgements covered data never seen, ");
	ob_uint(ob, st->missed_bytes);
	ob_puts(ob, " bytes missed)");
	if (st->pcap_dropped || st->pcap_if_dropped) {
		ob_puts(ob, "; libpcap dropped ");
		ob_uint(ob, st->pcap_dropped + st->pcap_if_dropped);
		ob_puts(ob, " packets");
	}
	ob_putc(ob, '\n');
}

void summary_write(struct output *o, const struct summary *s,
		   const struct tcpfsm_stats *st)
{
	struct outbuf *ob = &o->ob;

	ob_puts(ob, "# summary: ");
	ob_uint(ob, s->conns);
	ob_puts(ob, s->conns == 1 ? " connection\n" : " connections\n");
	if (s->conns)
		final_states(ob, s);
	alerts(ob, s);
	servers(ob, s);
	loss(ob, st);
}

void summary_free(struct summary *s)
{
	struct server_count *e, *tmp;

	HASH_ITER(hh, s->servers, e, tmp)
	{
		/* The analyzer misses that HASH_DEL moves the head on
		 * (uthash#128). */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		HASH_DEL(s->servers, e);
		free(e);
	}
	s->n_servers = 0;
}
