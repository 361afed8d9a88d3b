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

/*
 * The per-event path writes straight into the buffer (ob_room): every field
 * but a diagnosis has a known bound. These are the put_* forms of the
 * helpers above; tcpfsm's names (states, sides, end reasons) go as name
 * slots, whose lengths are known (put_name).
 */
#define put_key(p, k)	     put_lit((p), ",\"" k "\":")
#define put_kv_str(p, k, v)  put_quoted(put_key((p), k), (v))
#define put_kv_name(p, k, v) put_quoted_name(put_key((p), k), (v))
#define put_kv_uint(p, k, v) put_u64(put_key((p), k), (v))
#define put_kv_bool(p, k, v) put_bool(put_key((p), k), (v))
/* ,"type":"t", "type" and t literals: one copy of known length */
#define put_type(p, t) put_lit((p), ",\"type\":\"" t "\"")

static char *put_quoted(char *p, const char *s)
{
	*p++ = '"';
	p = put_str(p, s);
	*p++ = '"';
	return p;
}

static char *put_quoted_name(char *p, const struct name_slot *name)
{
	*p++ = '"';
	p = put_name(p, name);
	*p++ = '"';
	return p;
}

static char *put_bool(char *p, int v)
{
	return v ? put_lit(p, "true") : put_lit(p, "false");
}

/* Room for the head and every fixed field of any event. Causes, alert kinds
 * and reasons are tcpfsm's own short texts; history is at most a few dozen
 * letters. */
#define EVENT_ROOM 1024

/* {"ts":..., what every event starts with; its type follows (put_type). */
static char *put_ts(struct output *o, char *p, int64_t ts)
{
	return put_seconds(&o->ob, put_lit(p, "{\"ts\":"), ts);
}

/* The connection an event is about: its id and both ends. */
static char *put_conn(char *p, const struct tcpfsm_conn *c)
{
	p = put_kv_uint(p, "conn", c->id);
	p = put_addr(put_lit(p, ",\"client\":\""), &c->client);
	p = put_addr(put_lit(p, "\",\"server\":\""), &c->server);
	*p++ = '"';
	return p;
}

static char *put_transition_fields(char *p, const struct tcpfsm_event *ev)
{
	p = put_kv_name(p, "endpoint", side_slot(ev->endpoint));
	p = put_kv_name(p, "from", state_slot(ev->from));
	p = put_kv_name(p, "to", state_slot(ev->to));
	return put_kv_str(p, "cause", ev->cause);
}

/* What alert and resolved events have after the connection: the kind, the
 * endpoint and its state. */
static char *put_alert_fields(char *p, const struct tcpfsm_event *ev)
{
	p = put_kv_str(p, "alert", ev->alert);
	p = put_kv_name(p, "endpoint", side_slot(ev->endpoint));
	return put_kv_name(p, "state", state_slot(ev->state));
}

/* The conn.log view of a finished connection: Zeek's uid, conn_state and
 * history (upper-case letters are "orig"'s, Zeek's originator), then
 * packets and bytes per side. */
static char *put_conn_record(char *p, const struct tcpfsm_event *ev)
{
	const struct tcpfsm_conn_record *r = ev->record;
	/* [0]: the client's counters, [1]: the server's */
	uint64_t pkts[2] = {r->orig_pkts, r->resp_pkts};
	uint64_t bytes[2] = {r->orig_bytes, r->resp_bytes};
	uint64_t ip_bytes[2] = {r->orig_ip_bytes, r->resp_ip_bytes};
	int c = r->flipped ? 1 : 0;

	/* the uid straight into the room: ZEEK_UIDLEN bytes, its length kept */
	p = put_lit(p, ",\"uid\":\"");
	p += zeek_uid(p, ev->conn, r);
	*p++ = '"';
	p = put_kv_str(p, "conn_state", r->conn_state);
	p = put_kv_str(p, "history", r->history);
	p = put_kv_name(p, "orig",
			side_slot(r->flipped ? TCPFSM_SERVER : TCPFSM_CLIENT));
	p = put_kv_uint(p, "client_pkts", pkts[c]);
	p = put_kv_uint(p, "client_bytes", bytes[c]);
	p = put_kv_uint(p, "client_ip_bytes", ip_bytes[c]);
	p = put_kv_uint(p, "server_pkts", pkts[!c]);
	p = put_kv_uint(p, "server_bytes", bytes[!c]);
	p = put_kv_uint(p, "server_ip_bytes", ip_bytes[!c]);
	p = put_kv_uint(p, "missed_bytes", r->missed_bytes);
	return put_kv_uint(p, "zeek_unlogged", r->unlogged);
}

void json_event(struct output *o, const struct tcpfsm_event *ev)
{
	struct outbuf *ob = &o->ob;
	const struct tcpfsm_conn *c = ev->conn;
	char *p;

	if (ev->type == TCPFSM_EV_ZEEK_RECORD) /* conn.log only */
		return;
	p = ob_room(ob, EVENT_ROOM);
	switch (ev->type) {
	case TCPFSM_EV_TRANSITION:
		p = put_conn(put_type(put_ts(o, p, ev->ts), "transition"), c);
		p = put_transition_fields(p, ev);
		break;
	case TCPFSM_EV_END:
		p = put_conn(put_type(put_ts(o, p, ev->ts), "conn"), c);
		p = put_seconds(ob, put_key(p, "first_ts"), c->first_ts);
		p = put_seconds(ob, put_key(p, "duration"),
				c->last_ts - c->first_ts);
		p = put_kv_name(p, "client_state",
				state_slot(c->state[TCPFSM_CLIENT]));
		p = put_kv_name(p, "server_state",
				state_slot(c->state[TCPFSM_SERVER]));
		p = put_kv_name(p, "reason", end_reason_slot(ev->end_reason));
		p = put_kv_bool(p, "partial", c->flags & TCPFSM_CONN_PARTIAL);
		p = put_kv_bool(p, "one_sided",
				c->flags & TCPFSM_CONN_ONE_SIDED);
		if (ev->record)
			p = put_conn_record(p, ev);
		break;
	case TCPFSM_EV_ALERT:
		p = put_conn(put_type(put_ts(o, p, ev->ts), "alert"), c);
		p = put_alert_fields(p, ev);
		p = put_seconds(ob, put_key(p, "since"), ev->since);
		p = put_seconds(ob, put_key(p, "duration"), ev->duration);
		p = put_key(p, "diagnosis");
		ob_done(ob, p);
		str(ob, ev->diagnosis); /* unbounded: the checked writers */
		p = ob_room(ob, EVENT_ROOM);
		p = put_kv_uint(p, "count", ev->count);
		p = put_kv_bool(p, "aggregate", ev->aggregate);
		break;
	case TCPFSM_EV_RESOLVED:
		p = put_conn(put_type(put_ts(o, p, ev->ts), "resolved"), c);
		p = put_alert_fields(p, ev);
		p = put_seconds(ob, put_key(p, "duration"), ev->duration);
		p = put_kv_str(p, "to",
			       ev->resolved_to < 0
				       ? "expired"
				       : tcpfsm_state_name(ev->resolved_to));
		break;
	default:
		break;
	}
	ob_done(ob, put_lit(p, "}\n"));
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
	kv_uint(ob, "listeners_dropped", st->listeners_dropped);
	kv_uint(ob, "rst_out_of_window", st->rst_out_of_window);
	kv_uint(ob, "lone_rsts", st->lone_rsts);
	kv_uint(ob, "syn_on_live", st->syn_on_live);
	kv_uint(ob, "transitions", st->transitions);
	kv_uint(ob, "alerts", st->alerts);
	kv_uint(ob, "alerts_folded", st->alerts_folded);
	kv_uint(ob, "alerts_suppressed", st->alerts_suppressed);
	kv_uint(ob, "resolved", st->resolved);
	kv_uint(ob, "pcap_received", st->pcap_received);
	kv_uint(ob, "pcap_dropped", st->pcap_dropped);
	kv_uint(ob, "pcap_if_dropped", st->pcap_if_dropped);
	kv_uint(ob, "acks", st->acks);
	kv_uint(ob, "gaps", st->gaps);
	kv_uint(ob, "missed_bytes", st->missed_bytes);
	kv_uint(ob, "bad_checksums", st->bad_checksums);
	kv_uint(ob, "offloaded_checksums", st->offloaded_checksums);
	kv_uint(ob, "reordered", st->reordered);
	kv_uint(ob, "one_sided", st->one_sided);
	kv_uint(ob, "recent_acks", st->recent_acks);
	kv_uint(ob, "recent_gaps", st->recent_gaps);
	kv_uint(ob, "duplicates", st->duplicates);
	if (st->offload_host.family)
		kv_addr(ob, "offload_host", &st->offload_host);
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
