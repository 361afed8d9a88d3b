/*
 * text.c - events for people: one aligned line each, tcpdump-like time of
 * day (UTC, so that output does not depend on where it is read), colour
 * only on a terminal.
 *
 *   19:31:06.123456 #1    10.0.0.1:40000 > 10.0.0.2:80   client CLOSED       ->
 * SYN_SENT     sent SYN
 */
#include <string.h>

#include "output.h"

#define ADDR_WIDTH  21 /* "255.255.255.255:65535" */
#define STATE_WIDTH 12 /* "SYN_RECEIVED" */

static const char *const state_color[TCPFSM_NSTATES] = {
	[TCPFSM_ESTABLISHED] = "\033[32m", /* green */
	[TCPFSM_CLOSED] = "\033[2m",	   /* dim */
	[TCPFSM_SYN_SENT] = "\033[36m",	   /* cyan: opening */
	[TCPFSM_SYN_RECEIVED] = "\033[36m",
	[TCPFSM_FIN_WAIT_1] = "\033[33m", /* yellow: closing */
	[TCPFSM_FIN_WAIT_2] = "\033[33m",
	[TCPFSM_CLOSING] = "\033[33m",
	[TCPFSM_TIME_WAIT] = "\033[33m",
	[TCPFSM_CLOSE_WAIT] = "\033[33m",
	[TCPFSM_LAST_ACK] = "\033[33m",
};

/* A state name, coloured on a terminal, padded to width outside the colour
 * so that columns line up either way. */
static void state(struct output *o, enum tcpfsm_state s, int width)
{
	const char *name = tcpfsm_state_name(s);
	int colored =
		o->color && (unsigned)s < TCPFSM_NSTATES && state_color[s];

	if (colored)
		ob_puts(&o->ob, state_color[s]);
	ob_puts(&o->ob, name);
	if (colored)
		ob_puts(&o->ob, "\033[0m");
	for (int n = (int)strlen(name); n < width; n++)
		ob_putc(&o->ob, ' ');
}

static void conn_prefix(struct output *o, const struct tcpfsm_event *ev)
{
	char a[TCPFSM_ADDRSTRLEN], id[24] = "#";
	struct outbuf *ob = &o->ob;

	id[1 + fmt_uint(id + 1, ev->conn->id)] = '\0';
	ob_clock(ob, ev->ts);
	ob_putc(ob, ' ');
	ob_pad(ob, id, -5);
	ob_putc(ob, ' ');
	tcpfsm_addr_format(&ev->conn->client, a);
	ob_pad(ob, a, ADDR_WIDTH);
	ob_puts(ob, " > ");
	tcpfsm_addr_format(&ev->conn->server, a);
	ob_pad(ob, a, -ADDR_WIDTH);
	ob_putc(ob, ' ');
}

void text_event(struct output *o, const struct tcpfsm_event *ev)
{
	struct outbuf *ob = &o->ob;
	const struct tcpfsm_conn *c = ev->conn;

	if (ev->type == TCPFSM_EV_ZEEK_RECORD)
		return; /* conn.log only */
	conn_prefix(o, ev);
	switch (ev->type) {
	case TCPFSM_EV_ZEEK_RECORD:
		break;
	case TCPFSM_EV_TRANSITION:
		ob_pad(ob, tcpfsm_side_name(ev->endpoint), -6);
		ob_putc(ob, ' ');
		state(o, ev->from, STATE_WIDTH);
		ob_puts(ob, " -> ");
		state(o, ev->to, STATE_WIDTH);
		ob_putc(ob, ' ');
		ob_puts(ob, ev->cause);
		break;
	case TCPFSM_EV_END:
		ob_puts(ob, "end    client ");
		state(o, c->state[TCPFSM_CLIENT], 0);
		ob_puts(ob, ", server ");
		state(o, c->state[TCPFSM_SERVER], 0);
		ob_puts(ob, " (");
		ob_puts(ob, tcpfsm_end_reason_name(ev->end_reason));
		ob_puts(ob, ", ");
		ob_seconds(ob, c->last_ts - c->first_ts);
		ob_puts(ob, " s");
		if (c->flags & TCPFSM_CONN_PARTIAL)
			ob_puts(ob, ", picked up mid-stream");
		if (c->flags & TCPFSM_CONN_ONE_SIDED)
			ob_puts(ob, ", one direction seen");
		ob_putc(ob, ')');
		if (ev->record) {
			/* Zeek's summary; history letters in upper case are
			 * the originator's, the client unless flipped ('^'). */
			ob_puts(ob, " [");
			ob_puts(ob, ev->record->conn_state);
			if (ev->record->history[0]) {
				ob_putc(ob, ' ');
				ob_puts(ob, ev->record->history);
			}
			ob_putc(ob, ']');
		}
		break;
	case TCPFSM_EV_ALERT:
		if (o->color)
			ob_puts(ob, "\033[1;31m"); /* bold red: stands out */
		ob_puts(ob, "ALERT  ");
		ob_pad(ob, tcpfsm_side_name(ev->endpoint), -6);
		ob_putc(ob, ' ');
		ob_puts(ob, tcpfsm_state_name(ev->state));
		ob_puts(ob, " for ");
		ob_tenths(ob, ev->duration);
		ob_puts(ob, " s");
		if (ev->aggregate) {
			ob_puts(ob, " (");
			ob_uint(ob, ev->count);
			ob_puts(ob, " more)");
		}
		ob_puts(ob, ": ");
		ob_puts(ob, ev->diagnosis);
		if (o->color)
			ob_puts(ob, "\033[0m");
		break;
	case TCPFSM_EV_RESOLVED:
		ob_puts(ob, "ok     ");
		ob_pad(ob, tcpfsm_side_name(ev->endpoint), -6);
		ob_putc(ob, ' ');
		ob_puts(ob, tcpfsm_state_name(ev->state));
		ob_puts(ob, " -> ");
		ob_puts(ob, ev->resolved_to < 0
				    ? "record expired"
				    : tcpfsm_state_name(ev->resolved_to));
		ob_puts(ob, " after ");
		ob_tenths(ob, ev->duration);
		ob_puts(ob, " s (");
		ob_puts(ob, ev->alert);
		ob_puts(ob, " resolved)");
		break;
	}
	ob_putc(ob, '\n');
}

void text_stats(struct output *o, const struct tcpfsm_stats *st, int64_t ts)
{
	struct outbuf *ob = &o->ob;

	(void)ts;
	ob_puts(ob, "# ");
	ob_uint(ob, st->packets);
	ob_puts(ob, " packets, ");
	ob_uint(ob, st->tcp);
	ob_puts(ob, " TCP, ");
	ob_uint(ob, st->connections);
	ob_puts(ob, " connections, ");
	ob_uint(ob, st->transitions);
	ob_puts(ob, " transitions");
	if (st->evicted) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->evicted);
		ob_puts(ob, " evicted");
	}
	if (st->alerts || st->alerts_folded || st->alerts_suppressed) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->alerts);
		ob_puts(ob, " alerts");
		if (st->alerts_folded) {
			ob_puts(ob, " (");
			ob_uint(ob, st->alerts_folded);
			ob_puts(ob, " more folded into aggregates)");
		}
		if (st->alerts_suppressed) {
			ob_puts(ob, ", ");
			ob_uint(ob, st->alerts_suppressed);
			ob_puts(ob, " suppressed by the rate limit");
		}
	}
	if (st->pcap_dropped || st->pcap_if_dropped) {
		ob_puts(ob, ", DROPPED by the capture: ");
		ob_uint(ob, st->pcap_dropped);
		ob_puts(ob, " (buffer) + ");
		ob_uint(ob, st->pcap_if_dropped);
		ob_puts(ob, " (interface) of ");
		ob_uint(ob, st->pcap_received);
	}
	if (st->rst_out_of_window) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->rst_out_of_window);
		ob_puts(ob, " out-of-window RSTs ignored");
	}
	if (st->bad_tcp_options) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->bad_tcp_options);
		ob_puts(ob, " with bad TCP options");
	}
	ob_putc(ob, '\n');
	int any = 0;
	for (int r = 0; r < TCPFSM_SKIP_NREASONS; r++) {
		if (!st->skipped[r])
			continue;
		ob_puts(ob, any ? ", " : "# skipped: ");
		ob_puts(ob, tcpfsm_skip_reason_name(r));
		ob_putc(ob, ' ');
		ob_uint(ob, st->skipped[r]);
		any = 1;
	}
	if (any)
		ob_putc(ob, '\n');
}
