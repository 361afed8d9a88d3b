/*
 * test_zeek.c - the Zeek view (src/zeek.c) fed segments directly: Zeek's
 * own clock ending records inside one flow (the `done` record of
 * zeek_packet), 4-tuple reuse, conn_state from endpoint states, the history
 * buffer's limit, sizes beyond 4 GiB, checksum errors and content gaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "decode.h"
#include "zeek.h"

#define SEC 1000000LL
#define C TCPFSM_CLIENT
#define S TCPFSM_SERVER

static struct segment seg(uint8_t flags, uint32_t seq, uint32_t ack,
			  uint32_t len)
{
	struct segment s;
	memset(&s, 0, sizeof s);
	s.family = 4;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.payload_len = len;
	s.ip_len = 40 + len;
	s.window = 8192;
	s.sport = 40000;
	s.dport = 80;
	return s;
}

/* Feeds one segment; side C sends from 40000 to 80, S the other way. */
static int feed(struct zeek_conn *z, int side, uint8_t flags, uint32_t seq,
		uint32_t ack, uint32_t len, int64_t ts,
		struct tcpfsm_conn_record *done)
{
	struct segment s = seg(flags, seq, ack, len);
	if (side == S) {
		s.sport = 80;
		s.dport = 40000;
	}
	return zeek_packet(z, side, &s, ts, ZEEK_INACTIVITY, done);
}

/* An ACK from side that advertises a zero window. */
static void feed_zero_window(struct zeek_conn *z, int side, uint32_t seq,
			     uint32_t ack, int64_t ts)
{
	struct segment s = seg(TH_ACK, seq, ack, 0);
	s.window = 0;
	if (side == S) {
		s.sport = 80;
		s.dport = 40000;
	}
	zeek_packet(z, side, &s, ts, ZEEK_INACTIVITY, NULL);
}

static void handshake(struct zeek_conn *z, int64_t t)
{
	feed(z, C, TH_SYN, 1000, 0, 0, t, NULL);
	feed(z, S, TH_SYN | TH_ACK, 5000, 1001, 0, t + 1000, NULL);
	feed(z, C, TH_ACK, 1001, 5001, 0, t + 2000, NULL);
}

/* A SYN retried after Zeek's 5 s attempt timer: two S0 records. */
static void attempt_timer_splits(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record done, rec;
	(void)state;

	zeek_init(&z);
	assert_int_equal(feed(&z, C, TH_SYN, 1000, 0, 0, 0, &done), 0);
	assert_int_equal(feed(&z, C, TH_SYN, 1000, 0, 0, 3 * SEC, &done), 0);
	assert_int_equal(feed(&z, C, TH_SYN, 1000, 0, 0, 9 * SEC, &done), 1);
	assert_string_equal(done.conn_state, "S0");
	assert_string_equal(done.history, "S");
	assert_int_equal(done.orig_pkts, 2);
	assert_int_equal(done.duration, 3 * SEC);
	zeek_record(&z, &rec);
	assert_string_equal(rec.history, "S");
	assert_int_equal(rec.orig_pkts, 1);
	assert_int_equal(rec.ts, 9 * SEC);
	assert_int_equal(rec.unlogged, 0);
}

/* Without a place to put the finished record, the view counts it. */
static void unlogged_counts(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record rec;
	(void)state;

	zeek_init(&z);
	feed(&z, C, TH_SYN, 1000, 0, 0, 0, NULL);
	assert_int_equal(feed(&z, C, TH_SYN, 1000, 0, 0, 6 * SEC, NULL), 1);
	zeek_record(&z, &rec);
	assert_int_equal(rec.unlogged, 1);
}

/* Packets more than 5 s after both FINs start a new record; within 5 s
 * they join the old one without lengthening it. */
static void close_delay(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record done, rec;
	(void)state;

	zeek_init(&z);
	handshake(&z, 0);
	feed(&z, C, TH_FIN | TH_ACK, 1001, 5001, 0, 10000, &done);
	feed(&z, S, TH_FIN | TH_ACK, 5001, 1002, 0, 20000, &done);
	assert_int_equal(feed(&z, C, TH_ACK, 1002, 5002, 0, 4 * SEC, &done),
			 0);
	zeek_record(&z, &rec);
	assert_string_equal(rec.conn_state, "SF");
	assert_string_equal(rec.history, "ShAFf");
	assert_int_equal(rec.duration, 20000);
	assert_int_equal(rec.orig_pkts, 4);
	assert_int_equal(feed(&z, C, TH_ACK, 1002, 5002, 0, 10 * SEC, &done),
			 1);
	assert_string_equal(done.conn_state, "SF");
	zeek_record(&z, &rec);
	assert_string_equal(rec.conn_state, "OTH");
	assert_string_equal(rec.history, "A");
}

/* A RST ends the record 5 s later. */
static void reset_delay(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record done;
	(void)state;

	zeek_init(&z);
	handshake(&z, 0);
	feed(&z, S, TH_RST, 5001, 0, 0, SEC, &done);
	assert_int_equal(feed(&z, C, TH_ACK, 1001, 5001, 0, 3 * SEC, &done),
			 0);
	assert_int_equal(feed(&z, C, TH_ACK, 1001, 5001, 0, 7 * SEC, &done),
			 1);
	assert_string_equal(done.conn_state, "RSTR");
	assert_string_equal(done.history, "ShAr");
}

/* Five minutes of silence end an established connection, one minute a
 * connection still in its handshake (when no attempt timer applies). */
static void inactivity(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record done;
	(void)state;

	zeek_init(&z);
	handshake(&z, 0);
	assert_int_equal(feed(&z, C, TH_ACK, 1001, 5001, 0, 299 * SEC, &done),
			 0);
	assert_int_equal(feed(&z, C, TH_ACK, 1001, 5001, 0, 600 * SEC, &done),
			 1);
	assert_string_equal(done.conn_state, "S1");
}

/* A SYN with a new ISN reuses the 4-tuple, closed or not; a retransmitted
 * SYN does not. */
static void reuse(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record done;
	(void)state;

	zeek_init(&z);
	handshake(&z, 0);
	assert_int_equal(feed(&z, C, TH_SYN, 1000, 0, 0, 5000, &done), 0);
	assert_int_equal(feed(&z, C, TH_SYN, 90000, 0, 0, 6000, &done), 1);
	assert_string_equal(done.conn_state, "S1");
	assert_string_equal(done.history, "ShA");
}

/* conn_state per main.zeek, including RSTOS0's history pattern. */
static void conn_states(void **state)
{
	enum { I, SS, SAS, P, E, CL, R };
	(void)state;

	assert_string_equal(zeek_conn_state(SS, I, 0, 0, "S"), "S0");
	assert_string_equal(zeek_conn_state(E, E, 0, 0, "ShA"), "S1");
	assert_string_equal(zeek_conn_state(CL, CL, 0, 0, "ShAFf"), "SF");
	assert_string_equal(zeek_conn_state(SS, R, 0, 0, "Sr"), "REJ");
	assert_string_equal(zeek_conn_state(R, R, 0, 0, "SRr"), "REJ");
	assert_string_equal(zeek_conn_state(R, R, 1, 0, "ShADRr"), "RSTR");
	assert_string_equal(zeek_conn_state(CL, E, 0, 0, "ShAF"), "S2");
	assert_string_equal(zeek_conn_state(E, CL, 0, 0, "ShAf"), "S3");
	assert_string_equal(zeek_conn_state(R, E, 0, 0, "ShAR"), "RSTO");
	assert_string_equal(zeek_conn_state(E, R, 0, 0, "ShAr"), "RSTR");
	assert_string_equal(zeek_conn_state(R, I, 0, 0, "SR"), "RSTOS0");
	assert_string_equal(zeek_conn_state(R, I, 0, 0, "^SdR"), "RSTOS0");
	assert_string_equal(zeek_conn_state(R, I, 0, 0, "SAR"), "OTH");
	assert_string_equal(zeek_conn_state(R, P, 0, 0, "DR"), "OTH");
	assert_string_equal(zeek_conn_state(I, R, 0, 0, "^hr"), "RSTRH");
	assert_string_equal(zeek_conn_state(CL, I, 0, 0, "SF"), "SH");
	assert_string_equal(zeek_conn_state(I, CL, 0, 0, "^hf"), "SHR");
	assert_string_equal(zeek_conn_state(P, P, 0, 0, "Dd"), "OTH");
}

/* Letters past the buffer are dropped, not written past it. */
static void history_limit(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record rec;
	(void)state;

	zeek_init(&z);
	handshake(&z, 0);
	/* 100 retransmissions each way: t at 1, 10 and 100. */
	feed(&z, C, TH_ACK, 1001, 5001, 10, SEC, NULL);
	feed(&z, S, TH_ACK, 5001, 1011, 10, SEC, NULL);
	for (int i = 0; i < 100; i++) {
		feed(&z, C, TH_ACK, 1001, 5011, 10, SEC + i, NULL);
		feed(&z, S, TH_ACK, 5001, 1011, 10, SEC + i, NULL);
	}
	for (uint32_t i = 0; i < 3; i++) /* three RSTs: R, then R again */
		feed(&z, C, TH_RST, 2000 + i, 0, 0, 2 * SEC, NULL);
	zeek_record(&z, &rec);
	assert_string_equal(rec.history, "ShADdTtTtTtRRR");
	for (uint32_t i = 0; i < 10; i++)
		feed(&z, S, TH_RST, 6000 + i, 0, 0, 2 * SEC, NULL);
	zeek_record(&z, &rec);
	assert_int_equal(strlen(rec.history), 16);
	assert_string_equal(rec.history, "ShADdTtTtTtRRRrr");
}

/* Letters of most kinds, in both cases, packed five bits each and read
 * back: multi-flag packets (Q, I), zero windows (W), and a connection first
 * seen from its SYN/ACK, whose roles flip ("^h"). The SYN of the first
 * SYN/FIN reuses the 4-tuple, so the record restarts there (done is NULL:
 * the handshake's record is dropped). */
static void history_letters(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record rec;
	(void)state;

	zeek_init(&z);
	handshake(&z, 0);
	feed(&z, C, TH_SYN | TH_FIN, 1001, 0, 0, SEC, NULL);
	feed(&z, S, TH_SYN | TH_FIN, 5001, 0, 0, SEC, NULL);
	feed_zero_window(&z, S, 5001, 1001, SEC + 1);
	feed_zero_window(&z, C, 1001, 5001, SEC + 2);
	feed(&z, C, TH_FIN | TH_RST, 1001, 5001, 0, 2 * SEC, NULL);
	feed(&z, S, TH_FIN | TH_RST, 5001, 1001, 0, 2 * SEC, NULL);
	zeek_record(&z, &rec);
	assert_string_equal(rec.history, "QAWaiI");

	zeek_init(&z);
	feed(&z, S, TH_SYN | TH_ACK, 5000, 1001, 0, 0, NULL);
	feed(&z, C, TH_ACK, 1001, 5001, 0, 1000, NULL);
	feed(&z, C, TH_ACK, 1001, 5001, 10, 2000, NULL);
	feed(&z, S, TH_ACK, 5001, 1011, 20, 3000, NULL);
	feed(&z, C, TH_FIN | TH_ACK, 1011, 5021, 0, 4000, NULL);
	feed(&z, S, TH_RST, 5021, 0, 0, 5000, NULL);
	zeek_record(&z, &rec);
	assert_string_equal(rec.history, "^hADdFr");
}

/* Sizes come from sequence numbers, beyond 4 GiB too. */
static void sizes_wrap(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record rec;
	uint32_t seq = 5001;
	(void)state;

	zeek_init(&z);
	handshake(&z, 0);
	/* 5 GiB from the server in 1 MiB steps (a sparse capture). */
	for (int i = 0; i < 5 * 1024; i++) {
		feed(&z, S, TH_ACK, seq, 1001, 1000, SEC + i, NULL);
		seq += 1024 * 1024;
	}
	feed(&z, S, TH_ACK, seq, 1001, 0, 2 * SEC, NULL);
	zeek_record(&z, &rec);
	assert_true(rec.resp_bytes >= 5ULL * 1024 * 1024 * 1024 - 1024 * 1024);
	assert_true(rec.resp_bytes <= 5ULL * 1024 * 1024 * 1024);
	assert_int_equal(rec.resp_pkts, 5 * 1024 + 2);
}

/* Feeds one segment with the given checksum verdicts and payload capture. */
static void feed_sum(struct zeek_conn *z, int side, uint8_t flags, uint32_t seq,
		     uint32_t ack, uint32_t len, int64_t ts, uint8_t ip_csum,
		     uint8_t tcp_csum, uint8_t cut)
{
	struct segment s = seg(flags, seq, ack, len);
	if (side == S) {
		s.sport = 80;
		s.dport = 40000;
	}
	s.ip_csum = ip_csum;
	s.tcp_csum = tcp_csum;
	s.payload_cut = cut;
	zeek_packet(z, side, &s, ts, ZEEK_INACTIVITY, NULL);
}

/* A bad TCP checksum is a scaled 'C'/'c' and nothing else; a bad IPv4
 * header checksum is as though the packet never came. */
static void checksums(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record rec;
	(void)state;

	zeek_init(&z);
	/* Only packets Zeek ignores: no record at all. */
	feed_sum(&z, C, TH_SYN, 1000, 0, 0, 0, CSUM_BAD, CSUM_OK, 0);
	assert_int_equal(zeek_record(&z, &rec), 0);

	handshake(&z, SEC);
	for (int i = 0; i < 10; i++) /* offloaded: bad for Zeek too */
		feed_sum(&z, C, TH_ACK, 1001, 5001, 10, 2 * SEC + i, CSUM_OK,
			 i % 2 ? CSUM_BAD : CSUM_BAD_OFFLOAD, 0);
	feed_sum(&z, S, TH_ACK, 5001, 1001, 0, 3 * SEC, CSUM_OK, CSUM_BAD, 0);
	feed_sum(&z, S, TH_ACK, 5001, 1001, 0, 3 * SEC, CSUM_UNKNOWN,
		 CSUM_UNKNOWN, 0);
	assert_int_equal(zeek_record(&z, &rec), 1);
	assert_string_equal(rec.history, "ShACCca");
	assert_int_equal(rec.orig_pkts, 2);
	assert_int_equal(rec.resp_pkts, 2);
	assert_int_equal(rec.orig_bytes, 0);
}

/* Acknowledged bytes the sensor never saw: 'G'/'g' (scaled) and
 * missed_bytes, once both sides are established. */
static void content_gaps(void **state)
{
	struct zeek_conn z;
	struct tcpfsm_conn_record rec;
	(void)state;

	zeek_init(&z);
	handshake(&z, 0);
	feed(&z, C, TH_ACK, 1001, 5001, 100, SEC, NULL);
	/* 100 bytes from the client missed, then 100 seen beyond them. */
	feed(&z, C, TH_ACK, 1201, 5001, 100, SEC + 1, NULL);
	feed(&z, S, TH_ACK, 5001, 1301, 0, SEC + 2, NULL);
	/* The server's 50 bytes, cut by the snap length: missed too. */
	feed_sum(&z, S, TH_ACK, 5001, 1301, 50, SEC + 3, CSUM_UNKNOWN,
		 CSUM_UNKNOWN, 1);
	feed(&z, C, TH_ACK, 1301, 5051, 0, SEC + 4, NULL);
	zeek_record(&z, &rec);
	assert_string_equal(rec.history, "ShADaGdg");
	assert_int_equal(rec.missed_bytes, 150);
	assert_int_equal(rec.orig_bytes, 300);

	/* Ten gaps make the letter again; before the handshake ends, none
	 * counts (a partial connection's acks are not trusted). */
	zeek_init(&z);
	feed(&z, C, TH_ACK, 1001, 5001, 10, 0, NULL);
	feed(&z, S, TH_ACK, 5001, 2001, 0, 1, NULL);
	zeek_record(&z, &rec);
	assert_int_equal(rec.missed_bytes, 0);
	zeek_init(&z);
	handshake(&z, 0);
	for (uint32_t i = 0; i < 10; i++)
		feed(&z, S, TH_ACK, 5001, 1001 + 100 * (i + 1), 0, SEC + i,
		     NULL);
	zeek_record(&z, &rec);
	assert_string_equal(rec.history, "ShAaGG");
	assert_int_equal(rec.missed_bytes, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attempt_timer_splits),
		cmocka_unit_test(unlogged_counts),
		cmocka_unit_test(close_delay),
		cmocka_unit_test(reset_delay),
		cmocka_unit_test(inactivity),
		cmocka_unit_test(reuse),
		cmocka_unit_test(conn_states),
		cmocka_unit_test(history_limit),
		cmocka_unit_test(history_letters),
		cmocka_unit_test(sizes_wrap),
		cmocka_unit_test(checksums),
		cmocka_unit_test(content_gaps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
