/*
 * test_stall.c - stalls of established connections (stall.c): each kind
 * with the side of the sensor its diagnosis names and its resolved event,
 * the alerts that come due from the clock alone, the hosts' own give-up,
 * the peer behind a dead path kept where it was, and every case that must
 * not alert: a fast retransmit, a single timeout, a slow reader, an idle
 * connection, answered keepalives, the sensor's own loss.
 *
 * The client is 10.0.0.1:40000 (ISN 1000), the server 10.0.0.2:80 (ISN
 * 5000): after sim_handshake() the client's data starts at 1001, the
 * server's at 5001.
 */
#include <string.h>

#include "pkt.h"
#include "sim.h"
#include "testutil.h"

#define PA (F_PSH | F_ACK)

static void expect_stall(struct sim *s, const char *kind, int endpoint,
			 const char *phrase1, const char *phrase2)
{
	assert_int_equal(s->nalerts, 1);
	assert_string_equal(s->alerts[0].kind, kind);
	assert_int_equal(s->alerts[0].endpoint, endpoint);
	if (!strstr(s->alerts[0].diagnosis, phrase1) ||
	    (phrase2 && !strstr(s->alerts[0].diagnosis, phrase2)))
		fail_msg("diagnosis '%s' lacks '%s' / '%s'",
			 s->alerts[0].diagnosis, phrase1,
			 phrase2 ? phrase2 : "");
}

/* The client's len bytes at seq, sent at `from`, resent n times at Linux's
 * backoff (0.2, 0.4, 0.8 s ... after it). */
static void resend_from(struct sim *s, int64_t from, uint32_t seq, uint32_t len,
			int n)
{
	int64_t at = from, rto = 200 * MS;
	for (int i = 0; i < n; i++) {
		at += rto;
		rto *= 2;
		send_at(s, at, C2S, PA, seq, 5001, len);
	}
}

/* The client's 300 bytes at 100 ms, resent n times. */
static void client_resends(struct sim *s, int n)
{
	send_at(s, 100 * MS, C2S, PA, 1001, 5001, 300);
	resend_from(s, 100 * MS, 1001, 300, n);
}

static void test_data_lost_after_sensor(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	client_resends(&s, 2);
	assert_int_equal(s.nalerts, 0); /* two retransmissions: not yet */
	send_at(&s, 1500 * MS, C2S, PA, 1001, 5001, 300);
	expect_stall(&s, "unacked_data", TCPFSM_CLIENT,
		     "no ACK came back from " SERVER,
		     "lost between this sensor and " SERVER);
	assert_non_null(strstr(s.alerts[0].diagnosis, "3 retransmissions"));
	/* The ACK at last: resolved, both still ESTABLISHED. */
	send_at(&s, 2 * SEC, S2C, F_ACK, 5001, 1301, 0);
	assert_int_equal(s.nresolved, 1);
	assert_string_equal(s.resolved[0], "unacked_data>ESTABLISHED");
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	sim_close(&s);
}

static void test_ack_lost_after_sensor(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 300);
	send_at(&s, 110 * MS, S2C, F_ACK, 5001, 1301, 0);
	/* The client never gets it: it resends, the server answers each
	 * copy with a duplicate ACK. */
	int64_t at = 100 * MS, rto = 200 * MS;
	for (int i = 0; i < 3; i++) {
		at += rto;
		rto *= 2;
		send_at(&s, at, C2S, PA, 1001, 5001, 300);
		send_at(&s, at + MS, S2C, F_ACK, 5001, 1301, 0);
	}
	expect_stall(&s, "unacked_data", TCPFSM_CLIENT, "ACK of it passed here",
		     "the ACK is lost between this sensor and " CLIENT);
	sim_close(&s);
}

/* One segment with a timestamp option (TSval, TSecr). */
static void send_ts(struct sim *s, int64_t at, int c2s, uint8_t flags,
		    uint32_t seq, uint32_t ack, size_t len, uint32_t tsval,
		    uint32_t tsecr)
{
	uint8_t opt[12] = {1,
			   1,
			   8,
			   10,
			   (uint8_t)(tsval >> 24),
			   (uint8_t)(tsval >> 16),
			   (uint8_t)(tsval >> 8),
			   (uint8_t)tsval,
			   (uint8_t)(tsecr >> 24),
			   (uint8_t)(tsecr >> 16),
			   (uint8_t)(tsecr >> 8),
			   (uint8_t)tsecr};
	assert_int_equal(sim_send_opt(s, at, c2s, flags, seq, ack, len, 29200,
				      opt, sizeof opt),
			 0);
}

/* ACKs lost after the sensor behind a long round trip, as Linux sends: a
 * tail-loss probe resends the 300 bytes, a second write goes out as new
 * data before the first timeout, the server acknowledges it too, and the
 * timeouts resend both writes. The client's timestamp echo never moves
 * past what it heard before the first write: neither its new data nor the
 * server's ACKs are its progress. Timestamps in ms. */
static void ack_lost_long_rtt(struct sim *s, uint32_t echo_after_ack)
{
	send_ts(s, 100 * MS, C2S, PA, 1001, 5001, 300, 100, 2);
	send_ts(s, 220 * MS, S2C, F_ACK, 5001, 1301, 0, 220, 100);
	send_ts(s, 600 * MS, C2S, PA, 1001, 5001, 300, 600, 2);
	send_ts(s, 680 * MS, S2C, F_ACK, 5001, 1301, 0, 680, 600);
	send_ts(s, 1100 * MS, C2S, PA, 1301, 5001, 300, 1100, echo_after_ack);
	send_ts(s, 1180 * MS, S2C, F_ACK, 5001, 1601, 0, 1180, 1100);
}

static void test_ack_lost_after_sensor_new_data(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	ack_lost_long_rtt(&s, 2);
	send_ts(&s, 1440 * MS, C2S, PA, 1001, 5001, 600, 1440, 2);
	send_ts(&s, 1520 * MS, S2C, F_ACK, 5001, 1601, 0, 1520, 1440);
	assert_int_equal(s.nalerts, 0);
	send_ts(&s, 2420 * MS, C2S, PA, 1001, 5001, 600, 2420, 2);
	expect_stall(&s, "unacked_data", TCPFSM_CLIENT, "ACK of it passed here",
		     "the ACK is lost between this sensor and " CLIENT);
	assert_non_null(strstr(s.alerts[0].diagnosis, "3 retransmissions"));
	/* Since the first ACK it never heard, not the last. */
	assert_non_null(strstr(s.alerts[0].diagnosis, "no progress for 2.2 s"));
	sim_close(&s);
}

/* The same until the client echoes the server's first ACK: it heard it,
 * the episode ends, and the stream goes on without an alert. */
static void test_no_alert_ack_heard(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	ack_lost_long_rtt(&s, 680);
	uint32_t seq = 1601;
	for (int i = 0; i < 12; i++, seq += 300) {
		uint32_t at = 1300 + 250 * (uint32_t)i;
		send_ts(&s, at * MS, C2S, PA, seq, 5001, 300, at, at - 170);
		send_ts(&s, (at + 80) * MS, S2C, F_ACK, 5001, seq + 300, 0,
			at + 80, at);
	}
	sim_advance(&s, 10 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

/* The server's data never passes the sensor: its pure ACKs' sequence
 * number moves past bytes never seen, the client's ACKs stay below them.
 * Nothing more than the client's data passes: the alert comes from the
 * clock. */
static void test_data_lost_before_sensor(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	uint32_t cseq = 1001;
	for (int i = 0; i < 8; i++, cseq += 100) {
		int64_t at = (100 + 250 * i) * MS;
		send_at(&s, at, C2S, PA, cseq, 5001, 100);
		/* 5301: 300 bytes sent that never passed here */
		send_at(&s, at + MS, S2C, F_ACK, i ? 5301 : 5001, cseq + 100,
			0);
	}
	sim_advance(&s, 3000 * MS);
	assert_int_equal(s.nalerts, 0);
	sim_advance(&s, 3500 * MS);
	expect_stall(&s, "unacked_data", TCPFSM_SERVER,
		     "300 bytes that never passed here",
		     "lost between " SERVER " and this sensor");
	sim_close(&s);
}

static void test_mtu_blackhole_after_sensor(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 1400);
	send_at(&s, 101 * MS, C2S, PA, 2401, 5001, 200);
	/* A duplicate ACK (it would carry a SACK of the 200 bytes). */
	send_at(&s, 102 * MS, S2C, F_ACK, 5001, 1001, 0);
	resend_from(&s, 100 * MS, 1001, 1400, 3);
	expect_stall(&s, "mtu_blackhole", TCPFSM_CLIENT,
		     "segments of 1400 bytes", "200-byte ones pass");
	assert_non_null(strstr(s.alerts[0].diagnosis,
			       "between this sensor and " SERVER));
	sim_close(&s);
}

static void test_mtu_blackhole_before_sensor(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, S2C, PA, 5001, 1001, 200);
	send_at(&s, 101 * MS, C2S, F_ACK, 1001, 5201, 0);
	/* 1400 bytes from 5201 never pass; the 200 after them do, and the
	 * client answers with a duplicate ACK. */
	send_at(&s, 600 * MS, S2C, PA, 6601, 1001, 200);
	send_at(&s, 601 * MS, C2S, F_ACK, 1001, 5201, 0);
	sim_advance(&s, 3700 * MS);
	expect_stall(&s, "mtu_blackhole", TCPFSM_SERVER,
		     "segments of 1400 bytes",
		     "lost between " SERVER " and this sensor");
	sim_close(&s);
}

/* A duplicate ACK from the client carrying one SACK block [left, right) of
 * the server's data, or from the server of the client's. */
static void sack_at(struct sim *s, int64_t at, int c2s, uint32_t seq,
		    uint32_t ack, uint32_t left, uint32_t right)
{
	uint8_t opt[12] = {1,
			   1,
			   5,
			   10,
			   (uint8_t)(left >> 24),
			   (uint8_t)(left >> 16),
			   (uint8_t)(left >> 8),
			   (uint8_t)left,
			   (uint8_t)(right >> 24),
			   (uint8_t)(right >> 16),
			   (uint8_t)(right >> 8),
			   (uint8_t)right};
	assert_int_equal(sim_send_opt(s, at, c2s, F_ACK, seq, ack, 0, 29200,
				      opt, sizeof opt),
			 0);
}

/* A lossy sensor missed the 200 bytes sent beyond the failing 1400: only
 * the receiver's SACK block shows them, and their size. */
static void test_mtu_blackhole_after_sensor_sack(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 1400);
	sack_at(&s, 102 * MS, S2C, 5001, 1001, 2401, 2601);
	resend_from(&s, 100 * MS, 1001, 1400, 3);
	expect_stall(&s, "mtu_blackhole", TCPFSM_CLIENT,
		     "segments of 1400 bytes", "200-byte ones pass");
	assert_non_null(strstr(s.alerts[0].diagnosis,
			       "between this sensor and " SERVER));
	sim_close(&s);

	/* It missed the first copy of the 1400 too, and the ACK before:
	 * the SACK comes first, then the copies. */
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 50 * MS, C2S, PA, 1001, 5001, 200);
	sack_at(&s, 102 * MS, S2C, 5001, 1201, 2601, 2801);
	resend_from(&s, 100 * MS, 1201, 1400, 4);
	expect_stall(&s, "mtu_blackhole", TCPFSM_CLIENT,
		     "segments of 1400 bytes", "200-byte ones pass");
	assert_non_null(strstr(s.alerts[0].diagnosis,
			       "between this sensor and " SERVER));
	/* The ACK at last: resolved. */
	send_at(&s, 4 * SEC, S2C, F_ACK, 5001, 2801, 0);
	assert_int_equal(s.nresolved, 1);
	sim_close(&s);

	/* Without the block, the same packets are data not acknowledged. */
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 1400);
	send_at(&s, 102 * MS, S2C, F_ACK, 5001, 1001, 0);
	resend_from(&s, 100 * MS, 1001, 1400, 3);
	expect_stall(&s, "unacked_data", TCPFSM_CLIENT, "no ACK came back",
		     NULL);
	sim_close(&s);
}

/* Before the sensor: neither the server's 1400 bytes nor the 200 after
 * them passed here; the client's SACK of the 200 shows both were sent. */
static void test_mtu_blackhole_before_sensor_sack(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, S2C, PA, 5001, 1001, 200);
	send_at(&s, 101 * MS, C2S, F_ACK, 1001, 5201, 0);
	sack_at(&s, 601 * MS, C2S, 1001, 5201, 6601, 6801);
	sim_advance(&s, 3000 * MS);
	assert_int_equal(s.nalerts, 0);
	sim_advance(&s, 3700 * MS);
	expect_stall(&s, "mtu_blackhole", TCPFSM_SERVER,
		     "segments of 1400 bytes",
		     "lost between " SERVER " and this sensor");
	assert_non_null(strstr(s.alerts[0].diagnosis, "200-byte ones pass"));
	sim_close(&s);
}

/* SACK blocks that must not alert: normal SACK recovery (the hole filled
 * within a round trip), blocks below the ACK (D-SACK), blocks of data that
 * passed here, and a content gap (an ACK above all the sensor saw). */
static void test_sack_no_alert(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	/* 1000 bytes lost after the sensor, 1000 more unseen and SACKed,
	 * the hole resent and acknowledged at once. */
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 1000);
	sack_at(&s, 102 * MS, S2C, 5001, 1001, 3001, 4001);
	send_at(&s, 103 * MS, C2S, PA, 1001, 5001, 1000);
	send_at(&s, 104 * MS, S2C, F_ACK, 5001, 4001, 0);
	/* A D-SACK below the ACK and a block of data seen here. */
	send_at(&s, 200 * MS, C2S, PA, 4001, 5001, 500);
	sack_at(&s, 201 * MS, S2C, 5001, 4501, 1001, 2001);
	send_at(&s, 300 * MS, C2S, PA, 4501, 5001, 500);
	send_at(&s, 301 * MS, C2S, PA, 5001, 5001, 500);
	sack_at(&s, 302 * MS, S2C, 5001, 4501, 5001, 5501);
	send_at(&s, 303 * MS, C2S, PA, 4501, 5001, 500);
	send_at(&s, 304 * MS, S2C, F_ACK, 5001, 5501, 0);
	sim_advance(&s, 10 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);

	/* The server's SACK of client data 600 bytes above all seen, the
	 * client's later 300-byte segments acknowledged: a stale block
	 * leaves no size behind for a later stall to be misnamed by. */
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 300);
	sack_at(&s, 102 * MS, S2C, 5001, 1301, 1601, 1701);
	send_at(&s, 103 * MS, C2S, PA, 1301, 5001, 300);
	send_at(&s, 104 * MS, S2C, F_ACK, 5001, 1701, 0);
	sim_advance(&s, 5 * SEC);
	assert_int_equal(s.nalerts, 0);
	/* A real stall later: data not acknowledged, not an MTU hole. */
	send_at(&s, 6 * SEC, C2S, PA, 1701, 5001, 300);
	resend_from(&s, 6 * SEC, 1701, 300, 3);
	expect_stall(&s, "unacked_data", TCPFSM_CLIENT, "no ACK came back",
		     NULL);
	sim_close(&s);
}

/* The same through a capture that reorders: the client's duplicate ACK
 * passes before the 200 bytes it answers. */
static void test_mtu_blackhole_before_sensor_reordered(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, S2C, PA, 5001, 1001, 200);
	send_at(&s, 101 * MS, C2S, F_ACK, 1001, 5201, 0);
	send_at(&s, 600 * MS, C2S, F_ACK, 1001, 5201, 0);
	send_at(&s, 600 * MS + 20, S2C, PA, 6601, 1001, 200);
	sim_advance(&s, 3700 * MS);
	expect_stall(&s, "mtu_blackhole", TCPFSM_SERVER,
		     "segments of 1400 bytes",
		     "lost between " SERVER " and this sensor");
	sim_close(&s);

	/* A duplicate ACK whose segment never comes: the server's next
	 * segment, in sequence, consumes it; a later jump proves nothing. */
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, S2C, PA, 5001, 1001, 200);
	send_at(&s, 101 * MS, C2S, F_ACK, 1001, 5201, 0);
	send_at(&s, 600 * MS, C2S, F_ACK, 1001, 5201, 0);
	send_at(&s, 700 * MS, S2C, PA, 5201, 1001, 200);
	send_at(&s, 701 * MS, C2S, F_ACK, 1001, 5401, 0);
	send_at(&s, 800 * MS, S2C, PA, 6801, 1001, 200);
	sim_advance(&s, 20 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

static void test_zero_window(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 1000);
	assert_int_equal(sim_send(&s, 110 * MS, S2C, F_ACK, 5001, 2001, 0, 0),
			 0);
	/* Window probes, each answered with the zero window. */
	int64_t at = 110 * MS, rto = 200 * MS;
	for (int i = 0; i < 3; i++) {
		at += rto;
		rto *= 2;
		send_at(&s, at, C2S, F_ACK, 2000, 5001, 0);
		assert_int_equal(
			sim_send(&s, at + MS, S2C, F_ACK, 5001, 2001, 0, 0), 0);
	}
	sim_advance(&s, 3000 * MS);
	assert_int_equal(s.nalerts, 0);
	sim_advance(&s, 3200 * MS);
	expect_stall(&s, "zero_window", TCPFSM_SERVER,
		     "the application on " SERVER " is not reading", NULL);
	assert_null(strstr(s.alerts[0].diagnosis, "lost"));
	/* It reads at last: the window opens. */
	send_at(&s, 5 * SEC, S2C, F_ACK, 5001, 2001, 0);
	assert_int_equal(s.nresolved, 1);
	assert_string_equal(s.resolved[0], "zero_window>ESTABLISHED");
	sim_close(&s);
}

/* Keepalives every second into a path cut both ways: the alert when the
 * second probe has had no answer within 200 ms (Linux's minimum RTO: the
 * handshake's round trip is 1 ms), then the prober's RST, lost like the
 * probes: the peer stays ESTABLISHED, even when the sensor sees the RST
 * twice (a SPAN of two ports): the prober closing heals no path. */
static void test_keepalive_unanswered(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	for (int i = 1; i <= 2; i++)
		send_at(&s, i * SEC, C2S, F_ACK, 1000, 5001, 0);
	sim_advance(&s, 2190 * MS);
	assert_int_equal(s.nalerts, 0); /* the second may yet be answered */
	sim_advance(&s, 2210 * MS);
	expect_stall(&s, "keepalive_unanswered", TCPFSM_CLIENT,
		     "2 keepalive probes", "between this sensor and " SERVER);
	assert_null(strstr(s.alerts[0].diagnosis, "misses packets"));
	send_at(&s, 3 * SEC, C2S, F_ACK, 1000, 5001, 0);
	assert_int_equal(s.nalerts, 1);
	send_at(&s, 5 * SEC, C2S, F_RST | F_ACK, 1001, 5001, 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_CLOSED);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	send_at(&s, 5 * SEC, C2S, F_RST | F_ACK, 1001, 5001, 0);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	assert_int_equal(s.nresolved, 1);
	assert_string_equal(s.resolved[0], "keepalive_unanswered>CLOSED");
	sim_close(&s);
}

/* The client's data 1001-1101 missed by the sensor, the server's ACK of
 * it seen: a content gap, the sensor misses packets of this connection. */
static void client_data_unseen(struct sim *s)
{
	send_at(s, 100 * MS, S2C, F_ACK, 5001, 1101, 0);
}

/* With timestamps, the probes' unchanged echo proves them unanswered
 * whatever the sensor misses: on a connection of which it missed packets,
 * the alert waits for the third probe's echo (silence is no evidence
 * there), and says the sensor is lossy. */
static void test_keepalive_unanswered_lossy_sensor(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	client_data_unseen(&s);
	for (int i = 1; i <= 2; i++)
		send_ts(&s, i * SEC, C2S, F_ACK, 1100, 5001, 0, 100 + i, 7);
	sim_advance(&s, 2900 * MS);
	assert_int_equal(s.nalerts, 0);
	send_ts(&s, 3 * SEC, C2S, F_ACK, 1100, 5001, 0, 103, 7);
	expect_stall(&s, "keepalive_unanswered", TCPFSM_CLIENT,
		     "2 keepalive probes", "misses packets");
	sim_close(&s);

	/* Without timestamps nothing proves them unanswered there. */
	sim_open(&s, NULL);
	sim_handshake(&s);
	client_data_unseen(&s);
	for (int i = 1; i <= 6; i++)
		send_at(&s, i * SEC, C2S, F_ACK, 1100, 5001, 0);
	sim_advance(&s, 20 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

/* With timestamps on a connection of which the sensor missed nothing: the
 * second probe unanswered by its deadline, the first by the second's
 * unchanged echo. */
static void test_keepalive_unanswered_echo(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	for (int i = 1; i <= 2; i++)
		send_ts(&s, i * SEC, C2S, F_ACK, 1000, 5001, 0, 100 + i, 7);
	sim_advance(&s, 2190 * MS);
	assert_int_equal(s.nalerts, 0);
	sim_advance(&s, 2210 * MS);
	expect_stall(&s, "keepalive_unanswered", TCPFSM_CLIENT,
		     "2 keepalive probes", "between this sensor and " SERVER);
	sim_close(&s);
}

/* The hosts' own give-up, modelled: the sender closes by itself, the peer
 * behind the dead path stays; a prober closes an interval after its last
 * probe. */
static void test_give_up(void **state)
{
	(void)state;
	struct sim s;
	struct tcpfsm_options o;
	tcpfsm_options_default(&o);
	o.give_up_unacked = 10 * SEC;
	sim_open(&s, &o);
	sim_handshake(&s);
	client_resends(&s, 5);
	sim_advance(&s, 10 * SEC);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_ESTABLISHED);
	sim_advance(&s, 10200 * MS);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_CLOSED);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	sim_close(&s);

	tcpfsm_options_default(&o);
	o.give_up_keepalives = 3;
	sim_open(&s, &o);
	sim_handshake(&s);
	for (int i = 1; i <= 3; i++)
		send_at(&s, i * SEC, C2S, F_ACK, 1000, 5001, 0);
	sim_advance(&s, 3900 * MS);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_ESTABLISHED);
	sim_advance(&s, 4100 * MS);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_CLOSED);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	sim_close(&s);
}

/* ------------------------------------------------------------------ */
/* Never an alert                                                      */

static void test_no_alert_fast_retransmit_or_one_timeout(void **state)
{
	(void)state;
	for (int n = 1; n <= 2; n++) {
		struct sim s;
		sim_open(&s, NULL);
		sim_handshake(&s);
		client_resends(&s, n);
		send_at(&s, 1100 * MS, S2C, F_ACK, 5001, 1301, 0);
		sim_advance(&s, 20 * SEC);
		assert_int_equal(s.nalerts, 0);
		sim_close(&s);
	}
}

/* Holes resent in SACK recovery within one round trip: only the oldest
 * unacknowledged segment counts. */
static void test_no_alert_sack_recovery(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	for (int i = 0; i < 10; i++)
		send_at(&s, 100 * MS + i * 10, C2S, F_ACK, 1001 + 1000 * i,
			5001, 1000);
	for (int i = 1; i < 10; i += 2)
		send_at(&s, 110 * MS + i * 10, C2S, F_ACK, 1001 + 1000 * i,
			5001, 1000);
	send_at(&s, 120 * MS, S2C, F_ACK, 5001, 11001, 0);
	sim_advance(&s, 10 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

static void test_no_alert_slow_reader(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 1000);
	assert_int_equal(sim_send(&s, 110 * MS, S2C, F_ACK, 5001, 2001, 0, 0),
			 0);
	send_at(&s, 310 * MS, C2S, F_ACK, 2000, 5001, 0);
	send_at(&s, 710 * MS, C2S, F_ACK, 2000, 5001, 0);
	send_at(&s, 1510 * MS, C2S, F_ACK, 2000, 5001, 0);
	/* Open again within the threshold. */
	send_at(&s, 1600 * MS, S2C, F_ACK, 5001, 2001, 0);
	sim_advance(&s, 10 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

static void test_no_alert_idle(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 10);
	send_at(&s, 101 * MS, S2C, PA, 5001, 1011, 10);
	send_at(&s, 102 * MS, C2S, F_ACK, 1011, 5011, 0);
	sim_advance(&s, 200 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

static void test_no_alert_keepalives_answered(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	for (int i = 1; i <= 6; i++) {
		send_at(&s, i * SEC, C2S, F_ACK, 1000, 5001, 0);
		send_at(&s, i * SEC + MS, S2C, F_ACK, 5001, 1001, 0);
	}
	sim_advance(&s, 20 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

/* Keepalives answered, every answer missed by the sensor: each probe
 * echoes a newer timestamp of the server, so the client heard it. */
static void test_no_alert_keepalive_answers_unseen(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	for (int i = 1; i <= 6; i++)
		send_ts(&s, i * SEC, C2S, F_ACK, 1000, 5001, 0, 100 + i,
			(uint32_t)(7 + i));
	sim_advance(&s, 20 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

/* One probe, unanswered (or its answer missed), seen twice by the
 * capture: one probe, not two unanswered. */
static void test_no_alert_probe_seen_twice(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_ts(&s, 1 * SEC, C2S, F_ACK, 1000, 5001, 0, 101, 7);
	send_ts(&s, 1 * SEC + 100, C2S, F_ACK, 1000, 5001, 0, 101, 7);
	sim_advance(&s, 20 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

/* The sensor missed the client's first segment (the server acknowledges
 * it: a content gap), then sees a copy of it: no stall. */
static void test_no_alert_sensor_loss(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	/* 1001-1101 not captured */
	send_at(&s, 101 * MS, C2S, PA, 1101, 5001, 100);
	send_at(&s, 102 * MS, S2C, F_ACK, 5001, 1201, 0);
	send_at(&s, 300 * MS, C2S, PA, 1001, 5001, 100);
	send_at(&s, 301 * MS, S2C, F_ACK, 5001, 1201, 0);
	/* Data missed, and later its ACK too: the server's sequence jumps,
	 * and the client's ACK moves past it. */
	send_at(&s, 400 * MS, S2C, F_ACK, 5301, 1201, 0);
	send_at(&s, 401 * MS, C2S, F_ACK, 1201, 5301, 0);
	sim_advance(&s, 20 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);
}

/* A transfer from a client 50 ms away, whose ACKs the capture shows, now
 * and then, just before the segment they acknowledge (a merged tap, queues
 * read out of order). Within the burst the client's timestamp echo stays
 * what it heard 50 ms before. Each late segment is no copy of acknowledged
 * data, and no ACK is lost. Timestamps in ms. */
static void test_no_alert_acks_shown_first(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	uint32_t seq = 1001;
	for (int i = 0; i < 30; i++) {
		int64_t at = 100 * MS + i * MS;
		uint32_t ms = (uint32_t)(100 + i);
		if (i % 3 == 2) {
			send_ts(&s, at, S2C, F_ACK, 5001, seq + 1000, 0, ms,
				ms);
			send_ts(&s, at + 10, C2S, PA, seq, 5001, 1000, ms, 50);
		} else {
			send_ts(&s, at, C2S, PA, seq, 5001, 1000, ms, 50);
			send_ts(&s, at + 10, S2C, F_ACK, 5001, seq + 1000, 0,
				ms, ms);
		}
		seq += 1000;
	}
	sim_advance(&s, 20 * SEC);
	assert_int_equal(s.nalerts, 0);
	assert_int_equal(tcpfsm_stats(s.t)->reordered, 10);
	sim_close(&s);
}

/* A SPAN port that mirrors both ports shows every segment twice, back to
 * back: the client's 300 bytes, lost after the sensor, and its one
 * retransmission are two copies, not four, and a single timeout is no
 * stall. A copy the peer answered in between is sent again, and counts. */
static void test_no_alert_segments_seen_twice(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	for (int i = 0; i < 2; i++) {
		int64_t at = 100 * MS + i * 200 * MS;
		send_at(&s, at, C2S, PA, 1001, 5001, 300);
		send_at(&s, at + 5, C2S, PA, 1001, 5001, 300);
	}
	sim_advance(&s, 20 * SEC);
	assert_int_equal(s.nalerts, 0);
	assert_int_equal(tcpfsm_stats(s.t)->duplicates, 2);
	sim_close(&s);

	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 100 * MS, C2S, PA, 1001, 5001, 300);
	send_at(&s, 100 * MS + 200, S2C, F_ACK, 5001, 1001, 0);
	send_at(&s, 100 * MS + 400, C2S, PA, 1001, 5001, 300);
	assert_int_equal(tcpfsm_stats(s.t)->duplicates, 0);
	sim_close(&s);
}

/* Thresholds: configurable, and 0 disables. */
static void test_thresholds(void **state)
{
	(void)state;
	struct sim s;
	struct tcpfsm_options o;
	tcpfsm_options_default(&o);
	o.stall_retransmissions = 0;
	o.stall_unacked = 0;
	sim_open(&s, &o);
	sim_handshake(&s);
	client_resends(&s, 5);
	sim_advance(&s, 20 * SEC);
	assert_int_equal(s.nalerts, 0);
	sim_close(&s);

	tcpfsm_options_default(&o);
	o.stall_retransmissions = 5;
	o.stall_unacked = 0;
	sim_open(&s, &o);
	sim_handshake(&s);
	client_resends(&s, 4);
	assert_int_equal(s.nalerts, 0);
	send_at(&s, 7 * SEC, C2S, PA, 1001, 5001, 300);
	assert_int_equal(s.nalerts, 1);
	sim_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_lost_after_sensor),
		cmocka_unit_test(test_ack_lost_after_sensor),
		cmocka_unit_test(test_ack_lost_after_sensor_new_data),
		cmocka_unit_test(test_no_alert_ack_heard),
		cmocka_unit_test(test_data_lost_before_sensor),
		cmocka_unit_test(test_mtu_blackhole_after_sensor),
		cmocka_unit_test(test_mtu_blackhole_before_sensor),
		cmocka_unit_test(test_mtu_blackhole_before_sensor_reordered),
		cmocka_unit_test(test_mtu_blackhole_after_sensor_sack),
		cmocka_unit_test(test_mtu_blackhole_before_sensor_sack),
		cmocka_unit_test(test_sack_no_alert),
		cmocka_unit_test(test_zero_window),
		cmocka_unit_test(test_keepalive_unanswered),
		cmocka_unit_test(test_keepalive_unanswered_echo),
		cmocka_unit_test(test_keepalive_unanswered_lossy_sensor),
		cmocka_unit_test(test_give_up),
		cmocka_unit_test(test_no_alert_fast_retransmit_or_one_timeout),
		cmocka_unit_test(test_no_alert_sack_recovery),
		cmocka_unit_test(test_no_alert_slow_reader),
		cmocka_unit_test(test_no_alert_idle),
		cmocka_unit_test(test_no_alert_keepalives_answered),
		cmocka_unit_test(test_no_alert_keepalive_answers_unseen),
		cmocka_unit_test(test_no_alert_probe_seen_twice),
		cmocka_unit_test(test_no_alert_sensor_loss),
		cmocka_unit_test(test_no_alert_acks_shown_first),
		cmocka_unit_test(test_no_alert_segments_seen_twice),
		cmocka_unit_test(test_thresholds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
