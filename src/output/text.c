/*
 * text.c - events for people: one aligned line each, tcpdump-like time of
 * day (UTC, so that output does not depend on where it is read), colour
 * only on a terminal.
 *
 *   19:31:06.123456 #1    10.0.0.1:40000 > 10.0.0.2:80   client CLOSED       ->
 * SYN_SENT     sent SYN
 *
 * The time of day alone is ambiguous once a capture spans days: from the
 * first line more than a day after the first event, every line carries
 * the date as tcpdump -tttt writes it (the lines before cannot be taken
 * back; a file read once and a pipe alike are written as they are read).
 */
#include <string.h>

#include "decimal.h"
#include "output.h"
#include "text.h"

#define DAY_US ((int64_t)86400 * 1000000)

static enum text_time time_format;
static int verbose;
/* The first event's time (any output), and whether lines carry the date
 * since: one decision for every output. */
static int64_t first_ts;
static int have_first, dated;
/* -ttt: each output's previous line, by output (a few at most). */
static struct {
	const struct output *o;
	int64_t prev;
} last_line[16];

void text_configure(enum text_time t, int v)
{
	time_format = t;
	verbose = v;
}

/* The time of the previous line o wrote (ts itself for its first), and
 * remembers ts as the next one's. */
static int64_t previous(const struct output *o, int64_t ts)
{
	size_t n = sizeof last_line / sizeof last_line[0], i;

	for (i = 0; i < n && last_line[i].o && last_line[i].o != o; i++)
		;
	if (i == n) /* more outputs than slots: share the last */
		i = n - 1;
	int64_t prev = last_line[i].o ? last_line[i].prev : ts;
	last_line[i].o = o;
	last_line[i].prev = ts;
	return prev;
}

/* "YYYY-MM-DD " for a UTC day number (days since 1970-01-01), by Howard
 * Hinnant's civil_from_days. */
static void put_date(struct outbuf *ob, int64_t days)
{
	char text[12] = "YYYY-MM-DD ";
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	uint64_t doe = (uint64_t)(z - era * 146097);
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	uint64_t d = doy - (153 * mp + 2) / 5 + 1;
	uint64_t m = mp < 10 ? mp + 3 : mp - 9;

	y += m <= 2;
	dec_fixed(text, (uint32_t)(y < 0 ? 0 : y % 10000), 4);
	dec_fixed(text + 5, (uint32_t)m, 2);
	dec_fixed(text + 8, (uint32_t)d, 2);
	ob_write(ob, text, sizeof text - 1);
}

/* A duration as HH:MM:SS.ffffff, as tcpdump -ttt writes it (more digits
 * of hours when it needs them). */
static void put_delta(struct outbuf *ob, int64_t us)
{
	uint64_t t = (uint64_t)(us < 0 ? 0 : us);
	uint64_t hours = t / 3600000000u;
	char text[14] = ":mm:ss.ffffff";

	if (hours < 10)
		ob_putc(ob, '0');
	ob_uint(ob, hours);
	dec_fixed(text + 1, (uint32_t)(t / 60000000u % 60), 2);
	dec_fixed(text + 4, (uint32_t)(t / 1000000u % 60), 2);
	dec_fixed(text + 7, (uint32_t)(t % 1000000u), 6);
	ob_write(ob, text, sizeof text - 1);
}

/* The line's time stamp and the space after it (nothing with -t). */
static void stamp(struct output *o, int64_t ts)
{
	struct outbuf *ob = &o->ob;

	if (!have_first) {
		have_first = 1;
		first_ts = ts;
	}
	switch (time_format) {
	case TEXT_TIME_NONE:
		return;
	case TEXT_TIME_EPOCH:
		ob_seconds(ob, ts);
		break;
	case TEXT_TIME_DELTA:
		put_delta(ob, ts - previous(o, ts));
		break;
	case TEXT_TIME_SINCE_FIRST:
		put_delta(ob, ts - first_ts);
		break;
	case TEXT_TIME_AUTO:
	case TEXT_TIME_DATE:
		if (time_format == TEXT_TIME_DATE || dated ||
		    ts - first_ts > DAY_US) {
			dated = 1;
			put_date(ob, ts >= 0 ? ts / DAY_US
					     : -((-ts + DAY_US - 1) / DAY_US));
		}
		ob_clock(ob, ts);
		break;
	}
	ob_putc(ob, ' ');
}

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
	stamp(o, ev->ts);
	ob_pad(ob, id, -5);
	ob_putc(ob, ' ');
	tcpfsm_addr_format(&ev->conn->client, a);
	ob_pad(ob, a, ADDR_WIDTH);
	ob_puts(ob, " > ");
	tcpfsm_addr_format(&ev->conn->server, a);
	ob_pad(ob, a, -ADDR_WIDTH);
	ob_putc(ob, ' ');
}

/* -v: what each side sent, as conn.log counts it (orig: the client
 * unless Zeek's rules flipped it). */
static void record_detail(struct outbuf *ob, const struct tcpfsm_conn_record *r)
{
	ob_puts(ob, " orig ");
	ob_uint(ob, r->orig_pkts);
	ob_puts(ob, " pkts ");
	ob_uint(ob, r->orig_bytes);
	ob_puts(ob, " B, resp ");
	ob_uint(ob, r->resp_pkts);
	ob_puts(ob, " pkts ");
	ob_uint(ob, r->resp_bytes);
	ob_puts(ob, " B");
	if (r->missed_bytes) {
		ob_puts(ob, ", ");
		ob_uint(ob, r->missed_bytes);
		ob_puts(ob, " B missed by the sensor");
	}
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
			if (verbose)
				record_detail(ob, ev->record);
		}
		break;
	case TCPFSM_EV_ALERT:
		if (o->color)
			ob_puts(ob, "\033[1;31m"); /* bold red: stands out */
		ob_puts(ob, "ALERT  ");
		ob_pad(ob, tcpfsm_side_name(ev->endpoint), -6);
		ob_putc(ob, ' ');
		ob_puts(ob, tcpfsm_state_name(ev->state));
		/* A stall has no state of its own: its kind says what. */
		if (ev->alert &&
		    (!tcpfsm_alert_name(ev->state) ||
		     strcmp(ev->alert, tcpfsm_alert_name(ev->state)) != 0)) {
			ob_putc(ob, ' ');
			ob_puts(ob, ev->alert);
		}
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
	if (st->gaps) {
		/* Zeek's capture-loss estimate: ACKs above unseen data. */
		ob_puts(ob, ", the capture missed packets: ");
		ob_uint(ob, st->gaps);
		ob_puts(ob, " of ");
		ob_uint(ob, st->acks);
		ob_puts(ob, " acknowledgements covered data never seen (");
		ob_uint(ob, st->missed_bytes);
		ob_puts(ob, " bytes)");
	}
	if (st->bad_checksums) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->bad_checksums);
		ob_puts(ob, " with bad checksums (taken as lost; if the "
			    "capture spoiled them, not the wire: --checksums "
			    "ignore)");
	}
	if (st->reordered) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->reordered);
		ob_puts(ob, " reordered by the capture");
	}
	if (st->duplicates) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->duplicates);
		ob_puts(ob, " seen twice by the capture");
	}
	if (st->one_sided) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->one_sided);
		ob_puts(ob, " connections seen one way only");
	}
	if (st->offloaded_checksums) {
		char host[TCPFSM_ADDRSTRLEN];
		tcpfsm_addr_format(&st->offload_host, host);
		ob_puts(ob, ", ");
		ob_uint(ob, st->offloaded_checksums);
		ob_puts(ob, " with checksums left to the NIC or spoiled by the "
			    "capture (e.g. ");
		ob_puts(ob, host);
		ob_puts(ob, "; taken as intact; --checksums ignore skips "
			    "verifying)");
	}
	if (st->listeners_dropped) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->listeners_dropped);
		ob_puts(ob, " listeners not listed (their table was full)");
	}
	if (st->lone_rsts) {
		ob_puts(ob, ", ");
		ob_uint(ob, st->lone_rsts);
		ob_puts(ob, " RSTs of no tracked connection");
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
	if (!verbose)
		return;
	/* -v: the endpoints as they stand, as netstat would count them. */
	for (int side = 0; side < 2; side++) {
		any = 0;
		for (int s = 0; s < TCPFSM_NSTATES; s++) {
			if (!st->state[side][s])
				continue;
			if (!any) {
				ob_puts(ob, "# ");
				ob_puts(ob, tcpfsm_side_name(side));
				ob_puts(ob, "s now: ");
			} else {
				ob_puts(ob, ", ");
			}
			ob_puts(ob, tcpfsm_state_name(s));
			ob_putc(ob, ' ');
			ob_uint(ob, st->state[side][s]);
			any = 1;
		}
		if (any)
			ob_putc(ob, '\n');
	}
}
