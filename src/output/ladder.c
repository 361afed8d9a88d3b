/*
 * ladder.c - one connection drawn as engineers draw it on a whiteboard:
 *
 *   time         client         |------------ sensor -----------| server
 *     0.000000   SYN_SENT       |--S 0---------------+--------------->|
 *     0.000030                  |<-------------------+--------S. 0 ack 1--|
 * SYN_RECEIVED
 *
 * the client on the left, the server on the right, the sensor (where the
 * capture was taken) in the middle; every segment an arrow labelled with
 * its flags (tcpdump's letters), sequence range, acknowledgement and, when
 * zero, window; each host's state written on the row where it changes;
 * alerts, their resolution and the record's end beside the rows at their
 * time. Sequence numbers are relative to each side's ISN (tcpdump's
 * default), so that a glance finds which bytes a retransmission resends.
 *
 * The tracker keeps no packets: the events of the first pass say which
 * connections and when; a second pass over the file (replay.c) brings
 * their packets. A state change is drawn on the row of the packet it
 * happened at (its time is that packet's); one with no packet at its time
 * (a host's timer, an inference settled later) gets a row of its own.
 * Colour, on a terminal: the two directions in two colours, states as the
 * text output colours them, alerts in red.
 */
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "ladder.h"
#include "replay.h"

#define TIME_W	13 /* "  1234.567890" */
#define STATE_W 13 /* "SYN_RECEIVED " */
#define HALF	30 /* an arrow's half, either side of the sensor */

struct lpkt {
	int64_t ts;
	uint32_t seq, ack, len;
	uint16_t win;
	uint8_t flags, from_client;
	uint8_t lost; /* lost beyond the sensor, on its receiver's side */
};

struct levent {
	struct tcpfsm_event ev; /* pointers: static texts, but diagnosis */
	char *diagnosis;	/* a copy: the event's is gone after it */
	struct tcpfsm_conn_record rec;
	size_t order; /* arrival, to keep it among equal times */
};

struct lconn {
	struct replay_span span;
	unsigned flags;
	int ended;
	struct levent *ev;
	size_t n_ev, cap_ev;
	struct lpkt *pkt;
	size_t n_pkt, cap_pkt;
};

struct ladder {
	uint64_t id;
	struct tcpfsm_addr addr;
	int port;
	struct lconn conns[LADDER_MAX_CONNS];
	size_t n_conns;
	uint64_t more[8]; /* ids of connections matched past the bound */
	size_t n_more;
	size_t order;
	int failed; /* out of memory */
};

struct ladder *ladder_new(uint64_t id, const struct tcpfsm_addr *addr, int port)
{
	struct ladder *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->id = id;
	if (addr)
		l->addr = *addr;
	l->port = port;
	return l;
}

/* Makes room for one more element in *arr (n used of *cap, each size
 * bytes), doubling from first: 0, or -1 when out of memory. */
static int grow(void **arr, size_t *cap, size_t n, size_t first, size_t size)
{
	if (n < *cap)
		return 0;
	size_t want = *cap ? 2 * *cap : first;
	void *more = realloc(*arr, want * size);
	if (!more)
		return -1;
	*arr = more;
	*cap = want;
	return 0;
}

static int same_host(const struct tcpfsm_addr *a, const struct tcpfsm_addr *b,
		     int port)
{
	return a->family == b->family &&
	       memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0 &&
	       (!port || a->port == b->port);
}

static struct lconn *conn_of(struct ladder *l, const struct tcpfsm_conn *c)
{
	for (size_t i = 0; i < l->n_conns; i++)
		if (l->conns[i].span.id == c->id)
			return &l->conns[i];
	if (l->n_conns == LADDER_MAX_CONNS) {
		for (size_t i = 0; i < l->n_more; i++)
			if (l->more[i] == c->id)
				return NULL;
		if (l->n_more < sizeof l->more / sizeof l->more[0])
			l->more[l->n_more++] = c->id;
		return NULL;
	}
	struct lconn *lc = &l->conns[l->n_conns++];
	lc->span.id = c->id;
	lc->span.client = c->client;
	lc->span.server = c->server;
	lc->span.first_ts = c->first_ts;
	return lc;
}

void ladder_event(struct ladder *l, const struct tcpfsm_event *ev)
{
	const struct tcpfsm_conn *c = ev->conn;

	if (ev->type == TCPFSM_EV_ZEEK_RECORD || l->failed)
		return;
	if (l->id ? c->id != l->id
		  : !same_host(&c->client, &l->addr, l->port) &&
			    !same_host(&c->server, &l->addr, l->port))
		return;
	struct lconn *lc = conn_of(l, c);
	if (!lc)
		return;
	lc->span.last_ts = c->last_ts;
	lc->flags = c->flags;
	if (grow((void **)&lc->ev, &lc->cap_ev, lc->n_ev, 32, sizeof *lc->ev) <
	    0) {
		l->failed = 1;
		return;
	}
	struct levent *e = &lc->ev[lc->n_ev++];
	memset(e, 0, sizeof *e);
	e->ev = *ev;
	e->ev.conn = NULL;
	e->order = l->order++;
	if (ev->diagnosis)
		e->diagnosis = strdup(ev->diagnosis);
	if (ev->record) {
		e->rec = *ev->record;
		e->ev.record = NULL;
	}
	if (ev->type == TCPFSM_EV_END)
		lc->ended = 1;
}

static void on_packet(void *user, size_t span, const struct pcap_pkthdr *hdr,
		      const uint8_t *pkt, const struct segment *seg,
		      int from_client)
{
	struct ladder *l = user;
	struct lconn *lc = &l->conns[span];

	(void)pkt;
	if (grow((void **)&lc->pkt, &lc->cap_pkt, lc->n_pkt, 64,
		 sizeof *lc->pkt) < 0) {
		l->failed = 1;
		return;
	}
	lc->pkt[lc->n_pkt++] = (struct lpkt){
		.ts = (int64_t)hdr->ts.tv_sec * 1000000 + hdr->ts.tv_usec,
		.seq = seg->seq,
		.ack = seg->ack,
		.len = seg->payload_len,
		.win = seg->window,
		.flags = seg->flags,
		.from_client = (uint8_t)from_client,
	};
}

/* --- where packets went missing --------------------------------------- */

/* The sequence space a segment takes: its data, and one for a SYN or FIN. */
static uint32_t seg_end(const struct lpkt *k)
{
	return k->seq + k->len + !!(k->flags & TH_SYN) + !!(k->flags & TH_FIN);
}

/* Whether k (from the other side) acknowledges s. */
static int acknowledges(const struct lpkt *k, const struct lpkt *s)
{
	return (k->flags & TH_ACK) && (int32_t)(k->ack - seg_end(s)) >= 0;
}

/*
 * A segment its sender sends again was not answered where the sender
 * could see it. Every packet passed the sensor, so the loss is on one
 * side of it, and which side the packets between the two copies tell:
 * if the receiver acknowledged the first copy, its acknowledgement went
 * missing between the sensor and the sender (the SYN/ACK that a client
 * resending its SYN never got); if not, the first copy went missing
 * between the sensor and its receiver (or the receiver's answer did, on
 * the same side). A receiver advertising a zero window drops what does
 * not fit without loss: its probes are not counted.
 */
static void find_losses(struct lconn *c)
{
	for (size_t i = 0; i < c->n_pkt; i++) {
		struct lpkt *s = &c->pkt[i];
		size_t j;

		if (!s->len && !(s->flags & (TH_SYN | TH_FIN)))
			continue;
		for (j = i + 1; j < c->n_pkt; j++) {
			const struct lpkt *t = &c->pkt[j];
			if (t->from_client == s->from_client &&
			    t->seq == s->seq && t->len == s->len &&
			    (t->flags & (TH_SYN | TH_FIN)) ==
				    (s->flags & (TH_SYN | TH_FIN)))
				break;
		}
		if (j == c->n_pkt)
			continue; /* not sent again */
		int answered = 0, closed_window = 0;
		for (size_t k = i + 1; k < j; k++) {
			struct lpkt *a = &c->pkt[k];
			if (a->from_client == s->from_client)
				continue;
			if (!a->win && !(a->flags & TH_RST))
				closed_window = 1;
			if (acknowledges(a, s)) {
				a->lost = 1; /* on the sender's side */
				answered = 1;
			}
		}
		if (!answered && !closed_window)
			s->lost = 1;
	}
}

/* --- drawing ---------------------------------------------------------- */

struct pen {
	struct output *o;
	struct outbuf *ob;
	int64_t t0;
	uint32_t isn[2]; /* by side: 0 client, 1 server */
	int have_isn[2];
	int state[2];
};

static const char *const state_color[TCPFSM_NSTATES] = {
	[TCPFSM_ESTABLISHED] = "\033[32m", [TCPFSM_CLOSED] = "\033[2m",
	[TCPFSM_SYN_SENT] = "\033[36m",	   [TCPFSM_SYN_RECEIVED] = "\033[36m",
	[TCPFSM_FIN_WAIT_1] = "\033[33m",  [TCPFSM_FIN_WAIT_2] = "\033[33m",
	[TCPFSM_CLOSING] = "\033[33m",	   [TCPFSM_TIME_WAIT] = "\033[33m",
	[TCPFSM_CLOSE_WAIT] = "\033[33m",  [TCPFSM_LAST_ACK] = "\033[33m",
};
#define TO_SERVER "\033[36m" /* cyan */
#define TO_CLIENT "\033[35m" /* magenta */
#define RED	  "\033[1;31m"
#define GREEN	  "\033[32m"
#define RESET	  "\033[0m"

static void color(struct pen *p, const char *c)
{
	if (p->o->color)
		ob_puts(p->ob, c);
}

/* Ends a row without the padding its last column left. */
static void end_row(struct outbuf *ob)
{
	while (ob->len && ob->data[ob->len - 1] == ' ')
		ob->len--;
	ob_putc(ob, '\n');
}

static void spaces(struct outbuf *ob, int n)
{
	while (n-- > 0)
		ob_putc(ob, ' ');
}

static void put_time(struct pen *p, int64_t ts)
{
	char text[32];
	int64_t d = ts - p->t0;
	uint64_t u = (uint64_t)(d < 0 ? -d : d);
	size_t n = 0;

	if (d < 0)
		text[n++] = '-';
	n += fmt_uint(text + n, u / 1000000);
	text[n++] = '.';
	dec_fixed(text + n, (uint32_t)(u % 1000000), 6);
	n += 6;
	text[n] = '\0';
	ob_pad(p->ob, text, TIME_W);
	ob_puts(p->ob, "  ");
}

/* A state in its column, or blank: left of the client's bar right-aligned,
 * right of the server's left-aligned. */
static void put_state(struct pen *p, int s, int right)
{
	const char *name = s < 0 ? "" : tcpfsm_state_name(s);
	int pad = STATE_W - (int)strlen(name);

	if (right)
		spaces(p->ob, pad);
	if (s >= 0 && s < TCPFSM_NSTATES && state_color[s])
		color(p, state_color[s]);
	ob_puts(p->ob, name);
	if (s >= 0 && s < TCPFSM_NSTATES && state_color[s])
		color(p, RESET);
	if (!right)
		spaces(p->ob, pad);
}

/* tcpdump's flag letters: S F R P U E W, and '.' for ACK. */
static size_t flag_text(char *dst, uint8_t f)
{
	static const struct {
		uint8_t bit;
		char c;
	} letters[] = {{TH_SYN, 'S'},  {TH_FIN, 'F'}, {TH_RST, 'R'},
		       {TH_PUSH, 'P'}, {TH_URG, 'U'}, {TH_ECE, 'E'},
		       {TH_CWR, 'W'},  {TH_ACK, '.'}};
	size_t n = 0;

	for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
		if (f & letters[i].bit)
			dst[n++] = letters[i].c;
	if (!n)
		dst[n++] = '-'; /* no flag at all */
	return n;
}

/* "P. 1:11 ack 1": flags, the relative sequence (a range when it carries
 * data), the relative acknowledgement, a zero window. */
static size_t label(const struct pen *p, const struct lpkt *k, char *dst)
{
	int side = k->from_client ? 0 : 1;
	uint32_t seq = k->seq - (p->have_isn[side] ? p->isn[side] : 0);
	size_t n = flag_text(dst, k->flags);

	dst[n++] = ' ';
	n += fmt_uint(dst + n, seq);
	if (k->len) {
		dst[n++] = ':';
		n += fmt_uint(dst + n, (uint32_t)(seq + k->len));
	}
	if (k->flags & TH_ACK) {
		memcpy(dst + n, " ack ", 5);
		n += 5;
		n += fmt_uint(dst + n,
			      k->ack -
				      (p->have_isn[!side] ? p->isn[!side] : 0));
	}
	if (!k->win && !(k->flags & TH_RST)) {
		memcpy(dst + n, " win 0", 6);
		n += 6;
	}
	dst[n] = '\0';
	return n;
}

/* The two bars and the sensor between them, with nothing crossing. */
static void idle_bars(struct pen *p)
{
	ob_putc(p->ob, '|');
	spaces(p->ob, HALF);
	ob_putc(p->ob, ':');
	spaces(p->ob, HALF);
	ob_putc(p->ob, '|');
}

/* An arrow through the sensor, its label next to its sender. */
static void arrow(struct pen *p, const struct lpkt *k)
{
	char text[96], line[2 * HALF + 4];
	size_t n = label(p, k, text);
	int w = 2 * HALF + 1, at;

	if (n > (size_t)HALF - 3)
		n = (size_t)HALF - 3, text[n] = '\0';
	memset(line, '-', (size_t)w);
	line[HALF] = '+'; /* the sensor saw it pass */
	if (k->from_client) {
		at = 2;
		line[w - 1] = '>';
	} else {
		at = w - 2 - (int)n;
		line[0] = '<';
	}
	memcpy(line + at, text, n);
	if (k->lost) {
		/* past the sensor it goes no further than half-way to its
		 * receiver: an X where it went missing, nothing after */
		int x = k->from_client ? HALF + HALF / 2 : HALF / 2;
		line[x] = 'X';
		if (k->from_client)
			memset(line + x + 1, ' ', (size_t)(w - x - 1));
		else
			memset(line, ' ', (size_t)x);
	}
	line[w] = '\0';
	ob_putc(p->ob, '|');
	color(p, k->from_client ? TO_SERVER : TO_CLIENT);
	ob_puts(p->ob, line);
	color(p, RESET);
	ob_putc(p->ob, '|');
}

/* "LEAD side alert MIDDLE 1.2 s[: diagnosis]", in its colour. */
static void alert_line(struct pen *p, const char *c, const char *lead,
		       const struct tcpfsm_event *ev, const char *middle,
		       const char *diagnosis)
{
	struct outbuf *ob = p->ob;

	color(p, c);
	ob_puts(ob, lead);
	ob_puts(ob, tcpfsm_side_name(ev->endpoint));
	ob_putc(ob, ' ');
	ob_puts(ob, ev->alert ? ev->alert : "?");
	ob_puts(ob, middle);
	ob_tenths(ob, ev->duration);
	ob_puts(ob, " s");
	if (diagnosis) {
		ob_puts(ob, ": ");
		ob_puts(ob, diagnosis);
	}
	color(p, RESET);
}

static void note_event(struct pen *p, const struct levent *e)
{
	const struct tcpfsm_event *ev = &e->ev;
	struct outbuf *ob = p->ob;

	switch (ev->type) {
	case TCPFSM_EV_ALERT:
		alert_line(p, RED, "ALERT ", ev, " for ", e->diagnosis);
		break;
	case TCPFSM_EV_RESOLVED:
		alert_line(p, GREEN, "ok ", ev, " resolved after ", NULL);
		break;
	case TCPFSM_EV_END:
		ob_puts(ob, "end (");
		ob_puts(ob, tcpfsm_end_reason_name(ev->end_reason));
		ob_putc(ob, ')');
		if (e->rec.conn_state[0]) {
			ob_puts(ob, " [");
			ob_puts(ob, e->rec.conn_state);
			if (e->rec.history[0]) {
				ob_putc(ob, ' ');
				ob_puts(ob, e->rec.history);
			}
			ob_putc(ob, ']');
		}
		break;
	default:
		break;
	}
}

/* A row with no segment: state changes at a time of their own, or a
 * note. changed[side]: the state to write, or -1. */
static void quiet_row(struct pen *p, int64_t ts, const int changed[2],
		      const struct levent *note)
{
	put_time(p, ts);
	put_state(p, changed[0], 1);
	ob_putc(p->ob, ' ');
	idle_bars(p);
	ob_putc(p->ob, ' ');
	put_state(p, changed[1], 0);
	if (note) {
		ob_puts(p->ob, "  ");
		note_event(p, note);
	}
	end_row(p->ob);
}

static int by_time(const void *a, const void *b)
{
	const struct levent *x = a, *y = b;

	if (x->ev.ts != y->ev.ts)
		return x->ev.ts < y->ev.ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void header(struct pen *p, const struct lconn *c)
{
	char a[TCPFSM_ADDRSTRLEN], b[TCPFSM_ADDRSTRLEN], id[24] = "#";
	struct outbuf *ob = p->ob;

	id[1 + fmt_uint(id + 1, c->span.id)] = '\0';
	tcpfsm_addr_format(&c->span.client, a);
	tcpfsm_addr_format(&c->span.server, b);
	ob_puts(ob, id);
	ob_puts(ob, "  client ");
	ob_puts(ob, a);
	ob_puts(ob, " > server ");
	ob_puts(ob, b);
	if (c->flags & TCPFSM_CONN_PARTIAL)
		ob_puts(ob, " (picked up mid-stream)");
	if (c->flags & TCPFSM_CONN_ONE_SIDED)
		ob_puts(ob, " (one direction seen)");
	ob_puts(ob, "\n  times since ");
	ob_clock(ob, p->t0);
	ob_puts(ob, " UTC; sequence numbers relative to each side's "
		    "ISN\n");
	for (size_t k = 0; k < c->n_pkt; k++)
		if (c->pkt[k].lost) {
			ob_puts(ob,
				"  X: lost on that side of the sensor (what "
				"was sent again shows it)\n");
			break;
		}
	spaces(ob, TIME_W + 2);
	ob_pad(ob, "client", STATE_W);
	ob_puts(ob, " |");
	spaces(ob, HALF - 3);
	ob_puts(ob, "sensor");
	spaces(ob, HALF - 2);
	ob_puts(ob, "| server\n");
	spaces(ob, TIME_W + 2);
	put_state(p, p->state[0], 1);
	ob_putc(ob, ' ');
	idle_bars(p);
	ob_putc(ob, ' ');
	put_state(p, p->state[1], 0);
	end_row(ob);
}

static void draw_conn(struct output *o, struct lconn *c)
{
	struct pen p = {.o = o, .ob = &o->ob, .t0 = c->span.first_ts};
	size_t i = 0, j = 0;

	qsort(c->ev, c->n_ev, sizeof *c->ev, by_time);
	find_losses(c);
	/* Each side's ISN: its first SYN's sequence; with no SYN (picked
	 * up mid-stream), the first sequence it sent. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < c->n_pkt; k++) {
			int side = c->pkt[k].from_client ? 0 : 1;
			if (!p.have_isn[side] &&
			    (pass || (c->pkt[k].flags & TH_SYN))) {
				p.isn[side] = c->pkt[k].seq;
				p.have_isn[side] = 1;
			}
		}
	/* Sides start where their first transition leaves from. */
	p.state[0] = p.state[1] = -1;
	for (size_t k = 0; k < c->n_ev; k++)
		if (c->ev[k].ev.type == TCPFSM_EV_TRANSITION &&
		    p.state[c->ev[k].ev.endpoint] < 0)
			p.state[c->ev[k].ev.endpoint] = (int)c->ev[k].ev.from;
	for (int s = 0; s < 2; s++)
		if (p.state[s] < 0)
			p.state[s] = TCPFSM_CLOSED;
	header(&p, c);

	while (i < c->n_pkt || j < c->n_ev) {
		int changed[2] = {-1, -1};
		if (j < c->n_ev &&
		    (i == c->n_pkt || c->ev[j].ev.ts < c->pkt[i].ts)) {
			/* state changes with no packet at their time share a
			 * row while their time is one */
			const struct levent *e = &c->ev[j];
			if (e->ev.type != TCPFSM_EV_TRANSITION) {
				quiet_row(&p, e->ev.ts, changed, e);
				j++;
				continue;
			}
			int64_t ts = e->ev.ts;
			while (j < c->n_ev && c->ev[j].ev.ts == ts &&
			       c->ev[j].ev.type == TCPFSM_EV_TRANSITION) {
				changed[c->ev[j].ev.endpoint] =
					(int)c->ev[j].ev.to;
				j++;
			}
			quiet_row(&p, ts, changed, NULL);
			continue;
		}
		const struct lpkt *k = &c->pkt[i++];
		/* The state changes at this packet's time are its doing,
		 * unless the next packet shares the time: then the last of
		 * them takes them. */
		if (i == c->n_pkt || c->pkt[i].ts != k->ts)
			while (j < c->n_ev && c->ev[j].ev.ts == k->ts &&
			       c->ev[j].ev.type == TCPFSM_EV_TRANSITION) {
				changed[c->ev[j].ev.endpoint] =
					(int)c->ev[j].ev.to;
				j++;
			}
		put_time(&p, k->ts);
		put_state(&p, changed[0], 1);
		ob_putc(p.ob, ' ');
		arrow(&p, k);
		ob_putc(p.ob, ' ');
		put_state(&p, changed[1], 0);
		end_row(p.ob);
	}
}

int ladder_draw(struct ladder *l, struct output *o, const char *path,
		const char *filter, char *err, size_t errlen)
{
	struct replay_span spans[LADDER_MAX_CONNS];

	if (!l->n_conns) {
		snprintf(err, errlen, "--conn: no such connection in %s", path);
		return -1;
	}
	for (size_t i = 0; i < l->n_conns; i++)
		spans[i] = l->conns[i].span;
	if (replay_file(path, filter, spans, l->n_conns, NULL, on_packet, l,
			err, errlen) < 0)
		return -1;
	if (l->failed) {
		snprintf(err, errlen, "--conn: out of memory");
		return -1;
	}
	for (size_t i = 0; i < l->n_conns; i++) {
		if (i)
			ob_putc(&o->ob, '\n');
		draw_conn(o, &l->conns[i]);
	}
	if (l->n_more) {
		ob_puts(&o->ob, "\n# more connections match, not drawn "
				"(draw one with --conn N):");
		for (size_t i = 0; i < l->n_more; i++) {
			ob_puts(&o->ob, " #");
			ob_uint(&o->ob, l->more[i]);
		}
		ob_puts(&o->ob, l->n_more == sizeof l->more / sizeof l->more[0]
					? " ...\n"
					: "\n");
	}
	return 0;
}

void ladder_free(struct ladder *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_conns; i++) {
		for (size_t k = 0; k < l->conns[i].n_ev; k++)
			free(l->conns[i].ev[k].diagnosis);
		free(l->conns[i].ev);
		free(l->conns[i].pkt);
	}
	free(l);
}
