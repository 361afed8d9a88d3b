/*
 * test_adversarial.c - flows crafted to mislead: RST storms outside the
 * window, blind SYNs on a live connection, duplicate and overlapping
 * segments, zero windows, SYN+FIN and SYN+RST, and sequence numbers wrapping
 * in the middle of a connection. States stay sensible and nothing is torn
 * down by what a host would have ignored.
 */
#include <string.h>

#include "pkt.h"
#include "sim.h"
#include "testutil.h"

static void test_rst_storm_out_of_window(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	/* 10,000 forged RSTs from either side, none near the window. */
	uint32_t x = 7;
	for (int i = 0; i < 10000; i++) {
		x = x * 1664525u + 1013904223u;
		uint32_t seq = (i & 1 ? 5001u : 1001u) + 0x10000000u + (x >> 4);
		assert_int_equal(
			sim_send(&s, 10 * MS + i, i & 1, F_RST, seq, 0, 0, 0),
			0);
	}
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_ESTABLISHED);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	assert_int_equal(tcpfsm_stats(s.t)->rst_out_of_window, 10000);
	/* The real one, at the edge of the window, is taken. */
	send_at(&s, 1 * SEC, C2S, F_RST, 1001, 0, 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_CLOSED);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_CLOSED);
	sim_close(&s);
}

static void test_blind_syn_on_live_connection(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	send_at(&s, 10 * MS, C2S, F_ACK | F_PSH, 1001, 5001, 100);
	/* A spoofed SYN with another ISN: the host would answer it with a
	 * challenge ACK; the connection goes on. */
	send_at(&s, 20 * MS, C2S, F_SYN, 777777, 0, 0);
	send_at(&s, 21 * MS, C2S, F_SYN | F_FIN, 888888, 0, 0);
	assert_int_equal(tcpfsm_stats(s.t)->syn_on_live, 2);
	assert_int_equal(tcpfsm_stats(s.t)->connections, 1);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_ESTABLISHED);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	/* The connection still closes normally. */
	send_at(&s, 30 * MS, C2S, F_FIN | F_ACK, 1101, 5001, 0);
	send_at(&s, 31 * MS, S2C, F_FIN | F_ACK, 5001, 1102, 0);
	send_at(&s, 32 * MS, C2S, F_ACK, 1102, 5002, 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_TIME_WAIT);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_CLOSED);
	sim_close(&s);
}

static void test_duplicate_and_overlapping_segments(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	/* 1001..1101, again, then overlapping 1051..1151 and 1001..1201, and
	 * one from far in the past: no state moves, nothing is confused. */
	send_at(&s, 10 * MS, C2S, F_ACK, 1001, 5001, 100);
	send_at(&s, 11 * MS, C2S, F_ACK, 1001, 5001, 100);
	send_at(&s, 12 * MS, C2S, F_ACK, 1051, 5001, 100);
	send_at(&s, 13 * MS, C2S, F_ACK, 1001, 5001, 200);
	send_at(&s, 14 * MS, C2S, F_ACK, 1, 5001, 50);
	send_at(&s, 15 * MS, S2C, F_ACK, 5001, 1201, 0);
	send_at(&s, 16 * MS, S2C, F_ACK, 5001, 1201, 0); /* duplicate ACK */
	int before = s.transitions;
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_ESTABLISHED);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	/* A FIN after overlapping data still counts from the right place:
	 * its ACK covers it exactly. */
	send_at(&s, 20 * MS, C2S, F_FIN | F_ACK, 1201, 5001, 0);
	send_at(&s, 20 * MS + 1, C2S, F_FIN | F_ACK, 1201, 5001, 0); /* dup */
	send_at(&s, 21 * MS, S2C, F_ACK, 5001, 1202, 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_FIN_WAIT_2);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_CLOSE_WAIT);
	assert_int_equal(s.transitions - before, 3);
	sim_close(&s);
}

static void test_zero_window(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	sim_handshake(&s);
	/* The server's window closes: a RST one past its edge is forged,
	 * a RST at it is real. */
	assert_int_equal(sim_send(&s, 10 * MS, S2C, F_ACK, 5001, 1001, 0, 0),
			 0);
	assert_int_equal(sim_send(&s, 11 * MS, C2S, F_RST, 1002, 0, 0, 0), 0);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	assert_int_equal(tcpfsm_stats(s.t)->rst_out_of_window, 1);
	/* Zero-window probes and their ACKs move nothing. */
	for (int i = 0; i < 5; i++) {
		send_at(&s, (20 + i) * MS, C2S, F_ACK, 1000, 5001, 0);
		assert_int_equal(sim_send(&s, (20 + i) * MS + 1, S2C, F_ACK,
					  5001, 1001, 0, 0),
				 0);
	}
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_ESTABLISHED);
	assert_int_equal(sim_send(&s, 30 * MS, C2S, F_RST, 1001, 0, 0, 0), 0);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_CLOSED);
	sim_close(&s);
}

static void test_syn_fin_and_syn_rst(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	/* SYN+FIN opening a connection: the SYN counts, the FIN cannot
	 * (nothing is established to close). */
	send_at(&s, 0, C2S, F_SYN | F_FIN, 1000, 0, 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_SYN_SENT);
	/* SYN+RST: a RST first; from the server, not acking the SYN, it is
	 * not an acceptable answer (RFC 793). */
	send_at(&s, 1 * MS, S2C, F_SYN | F_RST, 5000, 0, 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_SYN_SENT);
	/* The handshake goes on as if nothing happened. */
	send_at(&s, 2 * MS, S2C, F_SYN | F_ACK, 5000, 1001, 0);
	send_at(&s, 3 * MS, C2S, F_ACK, 1001, 5001, 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_ESTABLISHED);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_ESTABLISHED);
	/* Every flag at once, on the live connection: nothing moves. */
	assert_int_equal(sim_send(&s, 4 * MS, C2S, 0xff, 999999, 1, 0, 0), 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_ESTABLISHED);
	sim_close(&s);
}

static void test_sequence_wrap_mid_connection(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	/* ISNs just below 2^32: data carries both sides over the wrap. */
	uint32_t c = 0xffffff00u, v = 0xfffffff0u;
	send_at(&s, 0, C2S, F_SYN, c, 0, 0);
	send_at(&s, 1 * MS, S2C, F_SYN | F_ACK, v, c + 1, 0);
	send_at(&s, 2 * MS, C2S, F_ACK, c + 1, v + 1, 0);
	send_at(&s, 3 * MS, C2S, F_ACK, c + 1, v + 1, 1000);
	send_at(&s, 4 * MS, S2C, F_ACK, v + 1, c + 1001, 1000);
	send_at(&s, 5 * MS, C2S, F_ACK, c + 1001, v + 1001, 0);
	/* Both now past zero; an old ACK from before the wrap means nothing,
	 * the FIN's ACK after it everything. */
	send_at(&s, 6 * MS, C2S, F_FIN | F_ACK, c + 1001, v + 1001, 0);
	send_at(&s, 7 * MS, S2C, F_ACK, v + 1001, c + 500, 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_FIN_WAIT_1);
	send_at(&s, 8 * MS, S2C, F_FIN | F_ACK, v + 1001, c + 1002, 0);
	send_at(&s, 9 * MS, C2S, F_ACK, c + 1002, v + 1002, 0);
	assert_int_equal(sim_state(&s, TCPFSM_CLIENT), TCPFSM_TIME_WAIT);
	assert_int_equal(sim_state(&s, TCPFSM_SERVER), TCPFSM_CLOSED);
	assert_int_equal(tcpfsm_stats(s.t)->rst_out_of_window, 0);
	sim_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rst_storm_out_of_window),
		cmocka_unit_test(test_blind_syn_on_live_connection),
		cmocka_unit_test(test_duplicate_and_overlapping_segments),
		cmocka_unit_test(test_zero_window),
		cmocka_unit_test(test_syn_fin_and_syn_rst),
		cmocka_unit_test(test_sequence_wrap_mid_connection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
