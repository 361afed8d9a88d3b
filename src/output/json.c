/*
 * json.c - events as NDJSON, one object per line, keys in a stable order
 * (DESIGN.md section 4).
 */
#include "output.h"

/* ,"k": as one copy: keys are literals. */
#define key(ob, k) ob_write((ob), ",\"" k "\":", sizeof(",\"" k "\":") - 1)

/* A string tcpfsm made itself (state names, causes, addresses): plain ASCII
 * with no quote or backslash, copied as it is. */
static void raw(struct outbuf *ob, const char *s)
{
	ob_putc(ob, '"');
	ob_puts(ob, s);
	ob_putc(ob, '"');
}

/* A string that may hold anything (a diagnosis): escaped as JSON needs. */
static void str(struct outbuf *ob, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	ob_putc(ob, '"');
	/* The common case, nothing to escape, in one copy. */
	size_t plain = 0;
	while (s[plain] >= 0x20 && s[plain] < 0x7f && s[plain] != '"' &&
	       s[plain] != '\\')
		plain++;
	ob_write(ob, s, plain);
	for (s += plain; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			ob_putc(ob, '\\');
			ob_putc(ob, (char)c);
		} else if (c < 0x20 || c >= 0x7f) {
			ob_puts(ob, "\\u00");
			ob_putc(ob, hex[c >> 4]);
			ob_putc(ob, hex[c & 15]);
		} else {
			ob_putc(ob, (char)c);
		}
	}
	ob_putc(ob, '"');
}

#define kv_str(ob, k, v)                                                       \
	do {                                                                   \
		key(ob, k);                                                    \
		raw(ob, v);                                                    \
	} while (0)
#define kv_uint(ob, k, v)                                                      \
	do {                                                                   \
		key(ob, k);                                                    \
		ob_uint(ob, v);                                                \
	} while (0)
#define kv_bool(ob, k, v)                                                      \
	do {                                                                   \
		key(ob, k);                                                    \
		ob_puts(ob, (v) ? "true" : "false");                           \
	} while (0)

static void head(struct outbuf *ob, int64_t ts, const char *type)
{
	ob_puts(ob, "{\"ts\":");
	ob_seconds(ob, ts);
	kv_str(ob, "type", type);
}

/* ,"k":"ADDR" for an address, the key a literal. */
static void addr_value(struct outbuf *ob, const char *prefix, size_t n,
		       const struct tcpfsm_addr *a)
{
	ob_write(ob, prefix, n);
	ob_addr(ob, a);
	ob_putc(ob, '"');
}
#define kv_addr(ob, k, a)                                                      \
	addr_value((ob), ",\"" k "\":\"", sizeof(",\"" k "\":\"") - 1, (a))

static void conn_head(struct outbuf *ob, const struct tcpfsm_event *ev,
		      const char *type)
{
	head(ob, ev->ts, type);
	kv_uint(ob, "conn", ev->conn->id);
	kv_addr(ob, "client", &ev->conn->client);
	kv_addr(ob, "server", &ev->conn->server);
}

/* The conn.log view of a finished connection: Zeek's uid, conn_state and
 * history (upper-case letters are "orig"'s, Zeek's originator), then
 * packets and bytes per side. */
static void conn_record(struct outbuf *ob, const struct tcpfsm_event *ev)
{
	const struct tcpfsm_conn_record *r = ev->record;
	char uid[ZEEK_UIDLEN];
	/* [0]: the client's counters, [1]: the server's */
	uint64_t pkts[2] = {r->orig_pkts, r->resp_pkts};
	uint64_t bytes[2] = {r->orig_bytes, r->resp_bytes};
	uint64_t ip_bytes[2] = {r->orig_ip_bytes, r->resp_ip_bytes};
	int c = r->flipped ? 1 : 0;

	zeek_uid(uid, ev->conn, r);
	kv_str(ob, "uid", uid);
	kv_str(ob, "conn_state", r->conn_state);
	kv_str(ob, "history", r->history);
	kv_str(ob, "orig", r->flipped ? "server" : "client");
	kv_uint(ob, "client_pkts", pkts[c]);
	kv_uint(ob, "client_bytes", bytes[c]);
	kv_uint(ob, "client_ip_bytes", ip_bytes[c]);
	kv_uint(ob, "server_pkts", pkts[!c]);
	kv_uint(ob, "server_bytes", bytes[!c]);
	kv_uint(ob, "server_ip_bytes", ip_bytes[!c]);
	kv_uint(ob, "missed_bytes", r->missed_bytes);
	kv_uint(ob, "zeek_unlogged", r->unlogged);
}

void json_event(struct output *o, const struct tcpfsm_event *ev)
{
	struct outbuf *ob = &o->ob;
	const struct tcpfsm_conn *c = ev->conn;

	switch (ev->type) {
	case TCPFSM_EV_TRANSITION:
		conn_head(ob, ev, "transition");
		kv_str(ob, "endpoint", tcpfsm_side_name(ev->endpoint));
		kv_str(ob, "from", tcpfsm_state_name(ev->from));
		kv_str(ob, "to", tcpfsm_state_name(ev->to));
		kv_str(ob, "cause", ev->cause);
		break;
	case TCPFSM_EV_ZEEK_RECORD: /* conn.log only */
		return;
	case TCPFSM_EV_END:
		conn_head(ob, ev, "conn");
		key(ob, "first_ts");
		ob_seconds(ob, c->first_ts);
		key(ob, "duration");
		ob_seconds(ob, c->last_ts - c->first_ts);
		kv_str(ob, "client_state",
		       tcpfsm_state_name(c->state[TCPFSM_CLIENT]));
		kv_str(ob, "server_state",
		       tcpfsm_state_name(c->state[TCPFSM_SERVER]));
		kv_str(ob, "reason", tcpfsm_end_reason_name(ev->end_reason));
		kv_bool(ob, "partial", c->flags & TCPFSM_CONN_PARTIAL);
		kv_bool(ob, "one_sided", c->flags & TCPFSM_CONN_ONE_SIDED);
		if (ev->record)
			conn_record(ob, ev);
		break;
	case TCPFSM_EV_ALERT:
		conn_head(ob, ev, "alert");
		kv_str(ob, "alert", ev->alert);
		kv_str(ob, "endpoint", tcpfsm_side_name(ev->endpoint));
		kv_str(ob, "state", tcpfsm_state_name(ev->state));
		key(ob, "since");
		ob_seconds(ob, ev->since);
		key(ob, "duration");
		ob_seconds(ob, ev->duration);
		key(ob, "diagnosis");
		str(ob, ev->diagnosis);
		kv_uint(ob, "count", ev->count);
		kv_bool(ob, "aggregate", ev->aggregate);
		break;
	case TCPFSM_EV_RESOLVED:
		conn_head(ob, ev, "resolved");
		kv_str(ob, "alert", ev->alert);
		kv_str(ob, "endpoint", tcpfsm_side_name(ev->endpoint));
		kv_str(ob, "state", tcpfsm_state_name(ev->state));
		key(ob, "duration");
		ob_seconds(ob, ev->duration);
		kv_str(ob, "to",
		       ev->resolved_to < 0
			       ? "expired"
			       : tcpfsm_state_name(ev->resolved_to));
		break;
	}
	ob_puts(ob, "}\n");
}

void json_stats(struct output *o, const struct tcpfsm_stats *st, int64_t ts)
{
	struct outbuf *ob = &o->ob;

	head(ob, ts, "stats");
	kv_uint(ob, "packets", st->packets);
	kv_uint(ob, "tcp", st->tcp);
	key(ob, "skipped");
	ob_putc(ob, '{');
	for (int r = 0; r < TCPFSM_SKIP_NREASONS; r++) {
		if (r)
			ob_putc(ob, ',');
		raw(ob, tcpfsm_skip_reason_name(r));
		ob_putc(ob, ':');
		ob_uint(ob, st->skipped[r]);
	}
	ob_putc(ob, '}');
	kv_uint(ob, "bad_tcp_options", st->bad_tcp_options);
	kv_uint(ob, "connections", st->connections);
	kv_uint(ob, "active", st->active);
	kv_uint(ob, "evicted", st->evicted);
	kv_uint(ob, "rst_out_of_window", st->rst_out_of_window);
	kv_uint(ob, "syn_on_live", st->syn_on_live);
	kv_uint(ob, "transitions", st->transitions);
	kv_uint(ob, "alerts", st->alerts);
	kv_uint(ob, "alerts_folded", st->alerts_folded);
	kv_uint(ob, "alerts_suppressed", st->alerts_suppressed);
	kv_uint(ob, "resolved", st->resolved);
	kv_uint(ob, "pcap_received", st->pcap_received);
	kv_uint(ob, "pcap_dropped", st->pcap_dropped);
	kv_uint(ob, "pcap_if_dropped", st->pcap_if_dropped);
	/* Endpoints by side and state, tracked at the time of the event. */
	key(ob, "states");
	for (int side = 0; side < 2; side++) {
		ob_puts(ob, side ? ",\"server\":{" : "{\"client\":{");
		for (int s = 0; s < TCPFSM_NSTATES; s++) {
			if (s)
				ob_putc(ob, ',');
			raw(ob, tcpfsm_state_name(s));
			ob_putc(ob, ':');
			ob_uint(ob, st->state[side][s]);
		}
		ob_putc(ob, '}');
	}
	ob_putc(ob, '}');
	ob_puts(ob, "}\n");
}

void json_snapshot_conn(struct output *o, const struct tcpfsm_conn *c,
			int64_t now)
{
	struct outbuf *ob = &o->ob;

	head(ob, now, "snapshot");
	kv_uint(ob, "conn", c->id);
	kv_addr(ob, "client", &c->client);
	kv_addr(ob, "server", &c->server);
	kv_str(ob, "client_state", tcpfsm_state_name(c->state[TCPFSM_CLIENT]));
	kv_str(ob, "server_state", tcpfsm_state_name(c->state[TCPFSM_SERVER]));
	key(ob, "first_ts");
	ob_seconds(ob, c->first_ts);
	key(ob, "last_ts");
	ob_seconds(ob, c->last_ts);
	kv_bool(ob, "partial", c->flags & TCPFSM_CONN_PARTIAL);
	kv_bool(ob, "one_sided", c->flags & TCPFSM_CONN_ONE_SIDED);
	ob_puts(ob, "}\n");
}

void json_snapshot_listener(struct output *o, const struct tcpfsm_listener *l,
			    int64_t now)
{
	struct outbuf *ob = &o->ob;

	head(ob, now, "listener");
	kv_addr(ob, "addr", &l->addr);
	kv_str(ob, "state", l->state == TCPFSM_LISTEN ? "LISTEN" : "CLOSED");
	kv_uint(ob, "answered", l->accepted);
	kv_uint(ob, "refused", l->refused);
	key(ob, "last_ts");
	ob_seconds(ob, l->last_ts);
	ob_puts(ob, "}\n");
}
