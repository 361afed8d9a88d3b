/*
 * test_observer.c - the Zeek view as an observer of the tracker: it lives
 * beside the flows, not in them, and a tracker made without conn records
 * (tcpfsm_options.conn_records = 0) allocates none and reports none, while
 * every other event stays the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "tracker.h"

/* The view is no part of the flow record: a flow is smaller than its
 * endpoints and key plus a view. */
_Static_assert(sizeof(struct flow) < offsetof(struct flow, ep) +
					     sizeof(((struct flow *)0)->ep) +
					     sizeof(struct zeek_conn),
	       "struct flow must not hold the conn.log view");

#define DLT_IPV4 228

/* Writes an IPv4 TCP segment from 10.0.0.1:port (or to it, reverse) to
 * 10.0.0.2:80 into b; checksums left zero (the tracker ignores them). */
static uint32_t packet(uint8_t *b, uint16_t port, int reverse, uint8_t flags,
		       uint32_t seq, uint32_t ack)
{
	uint8_t a[4] = {10, 0, 0, 1}, s[4] = {10, 0, 0, 2};
	uint16_t sport = reverse ? 80 : port, dport = reverse ? port : 80;

	memset(b, 0, 40);
	b[0] = 0x45;
	b[3] = 40;
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, reverse ? s : a, 4);
	memcpy(b + 16, reverse ? a : s, 4);
	b[20] = (uint8_t)(sport >> 8);
	b[21] = (uint8_t)sport;
	b[22] = (uint8_t)(dport >> 8);
	b[23] = (uint8_t)dport;
	for (int i = 0; i < 4; i++) {
		b[24 + i] = (uint8_t)(seq >> (24 - 8 * i));
		b[28 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	b[32] = 0x50;
	b[33] = flags;
	b[34] = 0x20;
	return 40;
}

struct seen {
	int events, ends, records, zeek_records;
	uint64_t ids; /* sum of connection ids, to compare the runs */
};

static void on_event(const struct tcpfsm_event *ev, void *user)
{
	struct seen *s = user;
	s->events++;
	if (ev->conn)
		s->ids += ev->conn->id;
	if (ev->type == TCPFSM_EV_END) {
		s->ends++;
		s->records += ev->record != NULL;
	}
	if (ev->type == TCPFSM_EV_ZEEK_RECORD)
		s->zeek_records++;
}

/* A handshake and a close, a SYN retried after Zeek's attempt timer (a
 * record Zeek ends inside tcpfsm's connection) and a lone RST. */
static void run(struct tcpfsm *t)
{
	uint8_t b[64];
	int64_t ts = 1000000;
	struct {
		uint16_t port;
		int rev;
		uint8_t flags;
		uint32_t seq, ack;
		int64_t at;
	} p[] = {
		{40001, 0, TH_SYN, 1000, 0, 0},
		{40001, 1, TH_SYN | TH_ACK, 5000, 1001, 1000},
		{40001, 0, TH_ACK, 1001, 5001, 2000},
		{40001, 0, TH_FIN | TH_ACK, 1001, 5001, 3000},
		{40001, 1, TH_FIN | TH_ACK, 5001, 1002, 4000},
		{40001, 0, TH_ACK, 1002, 5002, 5000},
		{40002, 0, TH_SYN, 7000, 0, 10000},
		{40002, 0, TH_SYN, 7000, 0, 7000000},
		{40003, 1, TH_RST | TH_ACK, 9000, 1, 8000000},
	};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
		uint32_t n = packet(b, p[i].port, p[i].rev, p[i].flags,
				    p[i].seq, p[i].ack);
		assert_int_equal(tcpfsm_feed(t, DLT_IPV4, ts + p[i].at, b, n),
				 0);
	}
	tcpfsm_finish(t);
}

static void records_only_when_asked(void **state)
{
	struct tcpfsm_options o;
	struct seen on = {0}, off = {0};
	(void)state;

	tcpfsm_options_default(&o);
	o.checksums = TCPFSM_CHECKSUMS_IGNORE;
	o.max_connections = 64;
	assert_int_equal(o.conn_records, 1); /* the library's default */
	struct tcpfsm *t = tcpfsm_new(&o, on_event, &on);
	assert_non_null(t);
	assert_non_null(t->zeek);
	run(t);
	tcpfsm_free(t);
	assert_int_equal(on.ends, 2);
	assert_int_equal(on.records, 2);
	assert_int_equal(on.zeek_records, 2); /* the first SYN, the RST */

	o.conn_records = 0;
	t = tcpfsm_new(&o, on_event, &off);
	assert_non_null(t);
	assert_null(t->zeek); /* no memory, and so no work, for the view */
	run(t);
	/* Turned on later: the view was never allocated, it stays off. */
	o.conn_records = 1;
	tcpfsm_reconfigure(t, &o);
	assert_int_equal(t->opt.conn_records, 0);
	tcpfsm_free(t);
	assert_int_equal(off.ends, 2);
	assert_int_equal(off.records, 0);
	assert_int_equal(off.zeek_records, 0);
	/* Everything else alike, connection ids included. */
	assert_int_equal(off.events, on.events - on.zeek_records);
	assert_true(off.ids <= on.ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_only_when_asked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
