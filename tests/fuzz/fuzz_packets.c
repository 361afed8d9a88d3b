/*
 * fuzz_packets.c - libFuzzer harness: hostile packet bytes into tcpfsm_feed().
 *
 * One input is one small capture, so that tracking state (flows, timers,
 * eviction, port reuse) is exercised, not only the decoder:
 *
 *   byte 0      link type, an index into linktypes[] (modulo its size)
 *   byte 1      tracker options: bits 0-2 max_connections = 1 << n,
 *               bit 3 host timers off, bit 4 short idle timeout and linger,
 *               bit 5 call tcpfsm_finish() half-way and feed on,
 *               bit 6 tcpfsm_reconfigure() half-way: short timers, alerts
 *               after 1 s, no folding (bit 7: a 1 s folding window, one
 *               alert a second)
 *   then records, each
 *     byte      time step: bits 0-6 v, the clock moves on by v*v*10 ms
 *               (up to ~160 s, past every host timer); bit 7 also calls
 *               tcpfsm_advance() to the new time before the packet; 0xff
 *               steps the clock one second backwards instead
 *     2 bytes   length, big-endian; a record longer than what is left of the
 *               input takes what is left
 *     bytes     the packet
 *
 * Each packet is copied into a heap buffer of exactly its length, so that
 * AddressSanitizer catches a read one byte past any packet, not only past the
 * last one.
 *
 * Beyond "no crash, no sanitizer report", events are checked for
 * consistency: every transition's `from` is the state the previous event left
 * that endpoint in, states are in range, a connection's END event shows the
 * states its transitions led to, ids increase, and the statistics add up.
 * A violation aborts, so libFuzzer saves the input.
 *
 * tests/fuzz/replay.c runs the same function over saved inputs without
 * libFuzzer, in the normal test suite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "tcpfsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	1,   /* EN10MB */
	113, /* LINUX_SLL */
	276, /* LINUX_SLL2 */
	0,   /* NULL */
	108, /* LOOP */
	12,  /* RAW */
	14,  /* RAW (OpenBSD) */
	101, /* LINKTYPE_RAW */
	228, /* IPV4 */
	229, /* IPV6 */
	147, /* USER0: unsupported */
	-1,  /* nonsense */
	10,  /* FDDI */
};
#define NLINKTYPES (sizeof linktypes / sizeof linktypes[0])

/* What the events so far say about one connection. */
struct known {
	unsigned char seen, ended;
	unsigned char state[2];
};

struct check {
	struct known *conn; /* indexed by connection id */
	size_t nconn;
	uint64_t last_new_id; /* highest id seen */
	uint64_t transitions;
	uint64_t ends;
	int64_t last_ts; /* events come in time order */
};

static struct known *lookup(struct check *c, uint64_t id)
{
	CHECK(id >= 1 && id < c->nconn);
	return &c->conn[id];
}

/* FUZZ_PACKETS_VERBOSE=1 prints every event (to read a finding). */
static int verbose = -1;

static void print_event(const struct tcpfsm_event *ev)
{
	char a[TCPFSM_ADDRSTRLEN], b[TCPFSM_ADDRSTRLEN];
	tcpfsm_addr_format(&ev->conn->client, a);
	tcpfsm_addr_format(&ev->conn->server, b);
	fprintf(stderr, "%lld.%06lld #%llu %s %s type=%d ",
		(long long)(ev->ts / 1000000), (long long)(ev->ts % 1000000),
		(unsigned long long)ev->conn->id, a, b, (int)ev->type);
	if (ev->type == TCPFSM_EV_TRANSITION)
		fprintf(stderr, "%s %s>%s (%s)\n",
			tcpfsm_side_name(ev->endpoint),
			tcpfsm_state_name(ev->from), tcpfsm_state_name(ev->to),
			ev->cause);
	else if (ev->type == TCPFSM_EV_ALERT)
		fprintf(stderr, "alert %s %s count=%llu: %s\n",
			tcpfsm_side_name(ev->endpoint),
			tcpfsm_state_name(ev->state),
			(unsigned long long)ev->count, ev->diagnosis);
	else
		fprintf(stderr, "\n");
}

static void on_event(const struct tcpfsm_event *ev, void *user)
{
	struct check *c = user;

	if (verbose < 0) {
		const char *v = getenv("FUZZ_PACKETS_VERBOSE");
		verbose = v && v[0] == '1';
	}
	if (verbose && ev->conn)
		print_event(ev);

	CHECK(ev->conn != NULL);
	CHECK(ev->conn->state[0] < TCPFSM_NSTATES);
	CHECK(ev->conn->state[1] < TCPFSM_NSTATES);
	CHECK(ev->conn->client.family == 4 || ev->conn->client.family == 6);
	CHECK(ev->conn->client.family == ev->conn->server.family);
	CHECK(ev->conn->first_ts <= ev->conn->last_ts);
	char buf[TCPFSM_ADDRSTRLEN];
	CHECK(tcpfsm_addr_format(&ev->conn->client, buf) < sizeof buf);
	CHECK(tcpfsm_addr_format(&ev->conn->server, buf) < sizeof buf);
	struct known *k = lookup(c, ev->conn->id);
	CHECK(ev->ts >= c->last_ts);
	c->last_ts = ev->ts;

	if (ev->type == TCPFSM_EV_ALERT) {
		CHECK(k->seen);
		CHECK(ev->state < TCPFSM_NSTATES);
		CHECK(ev->count >= 1);
		CHECK(ev->alert != NULL && ev->diagnosis != NULL);
		CHECK(ev->duration >= 0);
		/* An aggregate (reported when its window closes, or at the
		 * end) names a sample connection that may have moved on or
		 * ended since: no state checks for it. A live alert is about
		 * the state its endpoint is in as the events have told it: a
		 * held alert whose stay the packet ends comes just before that
		 * packet's transitions, while the connection it shows is
		 * already past them. */
		if (!ev->aggregate) {
			CHECK(ev->count == 1);
			CHECK(k->state[ev->endpoint] == ev->state);
		}
		return;
	}
	CHECK(!k->ended);
	if (!k->seen) {
		/* Ids are handed out in order of creation. */
		CHECK(ev->conn->id > c->last_new_id);
		c->last_new_id = ev->conn->id;
		k->seen = 1;
		k->state[0] = k->state[1] = TCPFSM_CLOSED;
	}

	switch (ev->type) {
	case TCPFSM_EV_TRANSITION:
		c->transitions++;
		CHECK(ev->endpoint == TCPFSM_CLIENT ||
		      ev->endpoint == TCPFSM_SERVER);
		CHECK(ev->from < TCPFSM_NSTATES && ev->to < TCPFSM_NSTATES);
		CHECK(ev->from != ev->to);
		CHECK(ev->cause != NULL && ev->cause[0] != '\0');
		CHECK(ev->from == k->state[ev->endpoint]);
		k->state[ev->endpoint] = (unsigned char)ev->to;
		break;
	case TCPFSM_EV_END:
		c->ends++;
		/* No record only for a flow whose packets Zeek would all
		 * ignore (a bad IPv4 header checksum): nothing to log. */
		if (ev->record) {
			CHECK(memchr(ev->record->conn_state, '\0',
				     sizeof ev->record->conn_state) != NULL);
			CHECK(memchr(ev->record->history, '\0',
				     sizeof ev->record->history) != NULL);
		}
		CHECK((unsigned)ev->end_reason <= TCPFSM_END_FINISHED);
		CHECK(ev->conn->state[0] == k->state[0]);
		CHECK(ev->conn->state[1] == k->state[1]);
		k->ended = 1;
		break;
	default:
		/* RESOLVED, and whatever comes later: the checks above. */
		break;
	}
}

static void on_conn(const struct tcpfsm_conn *conn, void *user)
{
	struct check *c = user;
	struct known *k = lookup(c, conn->id);
	CHECK(!k->ended);
	if (k->seen) {
		CHECK(conn->state[0] == k->state[0]);
		CHECK(conn->state[1] == k->state[1]);
	} else {
		/* A connection no event has mentioned yet has not moved. */
		CHECK(conn->state[0] == TCPFSM_CLOSED);
		CHECK(conn->state[1] == TCPFSM_CLOSED);
	}
}

static void check_stats(const struct tcpfsm *t, const struct check *c)
{
	const struct tcpfsm_stats *st = tcpfsm_stats(t);
	uint64_t skipped = 0;
	for (int i = 0; i < TCPFSM_SKIP_NREASONS; i++)
		skipped += st->skipped[i];
	CHECK(st->packets == st->tcp + skipped);
	CHECK(st->bad_tcp_options <= st->tcp);
	CHECK(st->active <= st->connections);
	CHECK(st->connections == st->active + c->ends);
	CHECK(st->transitions == c->transitions);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	int dlt = linktypes[data[0] % NLINKTYPES];
	uint8_t cfg = data[1];
	data += 2;
	size -= 2;

	struct tcpfsm_options opts;
	tcpfsm_options_default(&opts);
	opts.max_connections = 1u << (cfg & 7);
	if (cfg & 8)
		memset(opts.host_timeout, 0, sizeof opts.host_timeout);
	if (cfg & 16) {
		opts.idle_timeout = 2000000;
		opts.closed_linger = 500000;
	}

	/* Every packet can create at most one connection. */
	struct check c = {.last_ts = INT64_MIN};
	c.nconn = size / 3 + 2;
	c.conn = calloc(c.nconn, sizeof *c.conn);
	if (!c.conn)
		return 0;
	struct tcpfsm *t = tcpfsm_new(&opts, on_event, &c);
	if (!t) {
		free(c.conn);
		return 0;
	}

	int64_t ts = INT64_C(1700000000000000);
	size_t npackets = 0, half = size / 2;
	int finished_early = 0; /* or reconfigured */
	while (size >= 3) {
		uint8_t step = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (step == 0xff) {
			ts -= 1000000;
		} else {
			int64_t v = step & 0x7f;
			ts += v * v * 10000;
			if (step & 0x80)
				tcpfsm_advance(t, ts);
		}
		/* malloc(0) may return NULL; the tracker must not read then. */
		uint8_t *pkt = malloc(len ? len : 1);
		if (!pkt)
			break;
		memcpy(pkt, data, len);
		int rc = tcpfsm_feed(t, dlt, ts, len ? pkt : pkt + 1,
				     (uint32_t)len);
		CHECK(rc >= 0 && rc <= TCPFSM_SKIP_NREASONS);
		free(pkt);
		data += len;
		size -= len;
		npackets++;

		if ((cfg & 96) && !finished_early && size <= half) {
			finished_early = 1;
			/* Half-way (roughly): end the capture, then go on with
			 * the same tracker, as the API allows. */
			if (cfg & 32) {
				tcpfsm_finish(t);
				CHECK(tcpfsm_stats(t)->active == 0);
			}
			/* New settings on a running tracker (SIGHUP). */
			if (cfg & 64) {
				struct tcpfsm_options o = opts;
				for (int st = 0; st < TCPFSM_NSTATES; st++) {
					o.host_timeout[st] /= 7;
					if (tcpfsm_alert_name(st))
						o.alert_after[st] = 1000000;
				}
				o.closed_linger = 100000;
				o.idle_timeout = 30000000;
				o.aggregate_window = (cfg & 128) ? 1000000 : 0;
				o.alert_rate = (cfg & 128) ? 1 : 0;
				tcpfsm_reconfigure(t, &o);
			}
		}
		if ((npackets & 7) == 0) {
			tcpfsm_foreach(t, on_conn, &c);
			check_stats(t, &c);
		}
	}
	CHECK(tcpfsm_stats(t)->packets == npackets);
	tcpfsm_foreach(t, on_conn, &c);
	check_stats(t, &c);
	tcpfsm_finish(t);
	CHECK(tcpfsm_stats(t)->active == 0);
	check_stats(t, &c);
	tcpfsm_free(t);
	free(c.conn);
	return 0;
}
