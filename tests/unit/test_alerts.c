/*
 * test_alerts.c - stuck-state alerts from crafted captures: every alert kind,
 * the diagnosis that names the side of the sensor where packets go missing,
 * no alert on normal traffic, none blaming a direction the sensor cannot
 * see, resolved events, folding of floods and the rate limit.
 *
 * The client is 10.0.0.1:40000 (ISN 1000), the server 10.0.0.2:80 (ISN
 * 5000); packets are raw IPv4.
 */
#include <string.h>

#include "pkt.h"
#include "tcpfsm.h"
#include "testutil.h"

#define SEC INT64_C(1000000)
#define MS INT64_C(1000)
#define T0 (INT64_C(1700000000) * SEC)
#define CLIENT "10.0.0.1:40000"
#define SERVER "10.0.0.2:80"

enum { S2C = 0, C2S = 1 };

struct alert {
	char kind[32];
	int endpoint;
	uint64_t count;
	char diagnosis[512];
};

struct sim {
	struct tcpfsm *t;
	int64_t now;
	uint16_t cport;
	uint8_t server_ip[4];
	struct alert alerts[64];
	int nalerts;
	char resolved[8][64]; /* "kind>TO" */
	int nresolved;
};

static void on_event(const struct tcpfsm_event *ev, void *user)
{
	struct sim *s = user;

	if (ev->type == TCPFSM_EV_ALERT && s->nalerts < 64) {
		struct alert *a = &s->alerts[s->nalerts++];
		snprintf(a->kind, sizeof a->kind, "%s", ev->alert);
		a->endpoint = ev->endpoint;
		a->count = ev->count;
		snprintf(a->diagnosis, sizeof a->diagnosis, "%s",
			 ev->diagnosis);
		assert_true(ev->duration >= 0);
	} else if (ev->type == TCPFSM_EV_RESOLVED && s->nresolved < 8) {
		snprintf(s->resolved[s->nresolved++], 64, "%s>%s", ev->alert,
			 ev->resolved_to < 0 ? "expired"
					     : tcpfsm_state_name(ev->resolved_to));
	}
}

static void sim_open(struct sim *s, const struct tcpfsm_options *opts)
{
	memset(s, 0, sizeof *s);
	s->t = tcpfsm_new(opts, on_event, s);
	assert_non_null(s->t);
	s->now = T0;
	s->cport = 40000;
	memcpy(s->server_ip, ADDR4_B, 4);
}

/* Sends one segment at time `at` (µs after T0). */
static void send_at(struct sim *s, int64_t at, int c2s, uint8_t flags,
		    uint32_t seq, uint32_t ack, size_t len)
{
	struct pkt p;
	struct tcp_spec t = {.sport = c2s ? s->cport : 80,
			     .dport = c2s ? 80 : s->cport,
			     .seq = seq,
			     .ack = ack,
			     .flags = flags,
			     .win = 29200,
			     .payload = len};
	struct ip4_spec ip = {.src = c2s ? ADDR4_A : s->server_ip,
			      .dst = c2s ? s->server_ip : ADDR4_A};
	pkt_tcp(&p, &t);
	wrap_ipv4(&p, &ip);
	s->now = T0 + at;
	assert_int_equal(
		tcpfsm_feed(s->t, DLT_RAW, s->now, p.b, (uint32_t)p.len), 0);
}

static void advance(struct sim *s, int64_t at)
{
	s->now = T0 + at;
	tcpfsm_advance(s->t, s->now);
}

static void handshake(struct sim *s)
{
	send_at(s, 0, C2S, F_SYN, 1000, 0, 0);
	send_at(s, 1 * MS, S2C, F_SYN | F_ACK, 5000, 1001, 0);
	send_at(s, 2 * MS, C2S, F_ACK, 1001, 5001, 0);
}

/* The one alert raised, of this kind on this endpoint, whose diagnosis
 * says each of the phrases. */
static void expect_alert(struct sim *s, const char *kind, int endpoint,
			 const char *phrase1, const char *phrase2)
{
	assert_int_equal(s->nalerts, 1);
	assert_string_equal(s->alerts[0].kind, kind);
	assert_int_equal(s->alerts[0].endpoint, endpoint);
	assert_int_equal(s->alerts[0].count, 1);
	if (!strstr(s->alerts[0].diagnosis, phrase1) ||
	    (phrase2 && !strstr(s->alerts[0].diagnosis, phrase2)))
		fail_msg("diagnosis '%s' lacks '%s' / '%s'",
			 s->alerts[0].diagnosis, phrase1,
			 phrase2 ? phrase2 : "");
}

static void test_syn_not_answered(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	send_at(&s, 0, C2S, F_SYN, 1000, 0, 0);
	send_at(&s, 1 * SEC, C2S, F_SYN, 1000, 0, 0);
	send_at(&s, 2 * SEC, C2S, F_SYN, 1000, 0, 0);
	advance(&s, 2900 * MS);
	assert_int_equal(s.nalerts, 0); /* threshold 3 s */
	advance(&s, 3 * SEC);
	expect_alert(&s, "syn_sent_stuck", TCPFSM_CLIENT,
		     "SYN not answered (2 retransmissions)",
		     "between this sensor and " SERVER);
	tcpfsm_free(s.t);
}

static void test_synack_lost_after_sensor(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	send_at(&s, 0, C2S, F_SYN, 1000, 0, 0);
	send_at(&s, 1 * MS, S2C, F_SYN | F_ACK, 5000, 1001, 0);
	/* The client never got it: it sends its SYN again, the server its
	 * SYN/ACK in answer. */
	for (int i = 1; i <= 3; i++) {
		send_at(&s, i * SEC, C2S, F_SYN, 1000, 0, 0);
		send_at(&s, i * SEC + MS, S2C, F_SYN | F_ACK, 5000, 1001, 0);
	}
	advance(&s, 4 * SEC);
	/* Both ends are stuck; each diagnosis puts the loss between the
	 * sensor and the client. */
	assert_int_equal(s.nalerts, 2);
	for (int i = 0; i < 2; i++) {
		struct alert *a = &s.alerts[i];
		assert_non_null(strstr(a->diagnosis,
				       "between this sensor and " CLIENT));
		assert_string_equal(a->kind, a->endpoint == TCPFSM_CLIENT
						     ? "syn_sent_stuck"
						     : "syn_received_stuck");
	}
	tcpfsm_free(s.t);
}

static void test_final_ack_lost_after_sensor(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	handshake(&s);
	/* SYN/ACKs again at 1, 3, 7 s (Linux's backoff), each answered by
	 * the same ACK. The alert is due at 4 s (3 s in SYN_RECEIVED), but an
	 * ACK went by just before: held until the server shows whether it got
	 * that one, which its retransmission at 7 s does. */
	for (int64_t at = 1 * SEC, gap = 2 * SEC; at <= 7 * SEC;
	     at += gap, gap *= 2) {
		send_at(&s, at, S2C, F_SYN | F_ACK, 5000, 1001, 0);
		send_at(&s, at + MS, C2S, F_ACK, 1001, 5001, 0);
		if (at == 3 * SEC) {
			advance(&s, 6 * SEC);
			assert_int_equal(s.nalerts, 0);
		}
	}
	expect_alert(&s, "syn_received_stuck", TCPFSM_SERVER,
		     CLIENT "'s ACK was seen here",
		     "lost between this sensor and " SERVER);
	/* The path heals: data reaches the server, which acknowledges it. */
	send_at(&s, 8 * SEC, C2S, F_ACK | F_PSH, 1001, 5001, 10);
	send_at(&s, 8 * SEC + MS, S2C, F_ACK, 5001, 1011, 0);
	assert_int_equal(s.nresolved, 1);
	assert_string_equal(s.resolved[0], "syn_received_stuck>ESTABLISHED");
	tcpfsm_free(s.t);
}

static void test_ack_lost_before_sensor(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	send_at(&s, 0, C2S, F_SYN, 1000, 0, 0);
	for (int i = 0; i <= 3; i++) /* its SYN/ACKs; no ACK passes here */
		send_at(&s, i * SEC + MS, S2C, F_SYN | F_ACK, 5000, 1001, 0);
	advance(&s, 4 * SEC);
	expect_alert(&s, "syn_received_stuck", TCPFSM_SERVER,
		     "no ACK from " CLIENT " is seen",
		     "between " CLIENT " and this sensor");
	tcpfsm_free(s.t);
}

static void test_fin_into_black_hole(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	handshake(&s);
	int64_t at = 1 * SEC, rto = 200 * MS;
	for (int i = 0; i < 6; i++, at += rto, rto *= 2)
		send_at(&s, at, C2S, F_FIN | F_ACK, 1001, 5001, 0);
	advance(&s, 12 * SEC);
	expect_alert(&s, "fin_wait_1_stuck", TCPFSM_CLIENT,
		     "FIN retransmitted (5 retransmissions) with nothing back",
		     "lost between this sensor and " SERVER);
	tcpfsm_free(s.t);
}

static void test_last_ack_while_acks_pass(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	handshake(&s);
	send_at(&s, 1 * SEC, C2S, F_FIN | F_ACK, 1001, 5001, 0);
	send_at(&s, 1 * SEC + MS, S2C, F_ACK, 5001, 1002, 0);
	send_at(&s, 2 * SEC, S2C, F_FIN | F_ACK, 5001, 1002, 0);
	send_at(&s, 2 * SEC + MS, C2S, F_ACK, 1002, 5002, 0);
	/* FIN retransmissions at 2.2, 2.6, 3.4, 5.0, 8.2, 14.6 s, each
	 * acknowledged in vain; the alert, due at 12.2 s, goes out with the
	 * retransmission that proves the last ACK lost too. */
	int64_t at = 2200 * MS, rto = 400 * MS;
	for (int i = 0; i < 6; i++, at += rto, rto *= 2) {
		send_at(&s, at, S2C, F_FIN | F_ACK, 5001, 1002, 0);
		send_at(&s, at + MS, C2S, F_ACK, 1002, 5002, 0);
	}
	expect_alert(&s, "last_ack_stuck", TCPFSM_SERVER,
		     CLIENT "'s ACK of the FIN was seen here",
		     "the ACK is lost between this sensor and " SERVER);
	tcpfsm_free(s.t);
}

static void test_closing(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	handshake(&s);
	/* Both close at once; then each acknowledges the other's FIN, but
	 * only the server's ACK gets through: the client stays CLOSING. */
	send_at(&s, 1 * SEC, C2S, F_FIN | F_ACK, 1001, 5001, 0);
	send_at(&s, 1 * SEC + 10, S2C, F_FIN | F_ACK, 5001, 1001, 0);
	send_at(&s, 1 * SEC + MS, C2S, F_ACK, 1002, 5002, 0);
	send_at(&s, 1 * SEC + MS + 10, S2C, F_ACK, 5002, 1002, 0);
	int64_t at = 1200 * MS, rto = 200 * MS;
	for (int i = 0; i < 6; i++, rto *= 2, at += rto) {
		send_at(&s, at, C2S, F_FIN | F_ACK, 1001, 5002, 0);
		send_at(&s, at + MS, S2C, F_ACK, 5002, 1002, 0);
	}
	advance(&s, 15 * SEC);
	expect_alert(&s, "closing_stuck", TCPFSM_CLIENT,
		     SERVER "'s ACK of the FIN was seen here",
		     "lost between this sensor and " CLIENT);
	tcpfsm_free(s.t);
}

static void test_close_wait_leak(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	handshake(&s);
	send_at(&s, 1 * SEC, S2C, F_FIN | F_ACK, 5001, 1001, 0);
	send_at(&s, 1 * SEC + MS, C2S, F_ACK, 1001, 5002, 0);
	advance(&s, 62 * SEC);
	/* The client's application holds its socket: CLOSE_WAIT there, and
	 * the server waits in FIN_WAIT_2 (alert at 30 s, its own timer closes
	 * it at 60 s). */
	assert_int_equal(s.nalerts, 2);
	int cw = strcmp(s.alerts[0].kind, "close_wait_stuck") == 0 ? 0 : 1;
	assert_string_equal(s.alerts[cw].kind, "close_wait_stuck");
	assert_int_equal(s.alerts[cw].endpoint, TCPFSM_CLIENT);
	assert_non_null(strstr(s.alerts[cw].diagnosis,
			       "the application on " CLIENT
			       " has not closed its socket"));
	assert_string_equal(s.alerts[!cw].kind, "fin_wait_2_stuck");
	assert_non_null(
		strstr(s.alerts[!cw].diagnosis, "the application on " CLIENT));
	/* It closes at last: both resolve. */
	send_at(&s, 70 * SEC, C2S, F_FIN | F_ACK, 1001, 5002, 0);
	send_at(&s, 70 * SEC + MS, S2C, F_ACK, 5002, 1002, 0);
	assert_int_equal(s.nresolved, 2);
	tcpfsm_free(s.t);
}

static void test_normal_traffic_raises_none(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	handshake(&s);
	send_at(&s, 1 * SEC, C2S, F_ACK | F_PSH, 1001, 5001, 100);
	send_at(&s, 1 * SEC + MS, S2C, F_ACK | F_PSH, 5001, 1101, 2000);
	send_at(&s, 1 * SEC + 2 * MS, C2S, F_ACK, 1101, 7001, 0);
	send_at(&s, 2 * SEC, C2S, F_FIN | F_ACK, 1101, 7001, 0);
	send_at(&s, 2 * SEC + MS, S2C, F_FIN | F_ACK, 7001, 1102, 0);
	send_at(&s, 2 * SEC + 2 * MS, C2S, F_ACK, 1102, 7002, 0);
	/* A refused connection is no stuck one either. */
	s.cport = 40001;
	send_at(&s, 3 * SEC, C2S, F_SYN, 3000, 0, 0);
	send_at(&s, 3 * SEC + MS, S2C, F_RST | F_ACK, 0, 3001, 0);
	advance(&s, 400 * SEC); /* past TIME_WAIT and the idle timeout */
	tcpfsm_finish(s.t);
	assert_int_equal(s.nalerts, 0);
	assert_int_equal(tcpfsm_stats(s.t)->alerts, 0);
	tcpfsm_free(s.t);
}

static void test_one_sided_blames_no_hidden_direction(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	/* Only the client's direction passes this sensor. */
	send_at(&s, 0, C2S, F_SYN, 1000, 0, 0);
	send_at(&s, 2 * MS, C2S, F_ACK, 1001, 5001, 0);
	send_at(&s, 1 * SEC, C2S, F_ACK | F_PSH, 1001, 5001, 10);
	int64_t at = 2 * SEC, rto = 200 * MS;
	for (int i = 0; i < 6; i++, at += rto, rto *= 2)
		send_at(&s, at, C2S, F_FIN | F_ACK, 1011, 5001, 0);
	advance(&s, 13 * SEC);
	expect_alert(&s, "fin_wait_1_stuck", TCPFSM_CLIENT,
		     "direction does not pass this sensor", NULL);
	assert_null(strstr(s.alerts[0].diagnosis, "lost"));
	tcpfsm_free(s.t);
}

static void test_flood_folds_into_one_aggregate(void **state)
{
	(void)state;
	struct sim s;
	sim_open(&s, NULL);
	for (int i = 0; i < 50; i++) { /* 50 clients, one dead server */
		s.cport = (uint16_t)(41000 + i);
		send_at(&s, i * 10 * MS, C2S, F_SYN, 1000, 0, 0);
	}
	advance(&s, 20 * SEC); /* past the 10 s folding window */
	assert_int_equal(s.nalerts, 2);
	assert_int_equal(s.alerts[0].count, 1);
	assert_int_equal(s.alerts[1].count, 49);
	assert_non_null(strstr(s.alerts[1].diagnosis,
			       "49 more client endpoints of connections to "
			       SERVER " stuck in SYN_SENT"));
	assert_int_equal(tcpfsm_stats(s.t)->alerts_folded, 49);
	tcpfsm_free(s.t);
}

static void test_rate_limit(void **state)
{
	(void)state;
	struct tcpfsm_options o;
	tcpfsm_options_default(&o);
	o.alert_rate = 5;
	struct sim s;
	sim_open(&s, &o);
	/* 40 servers (no folding across them), all silent, all at once. */
	for (int i = 0; i < 40; i++) {
		s.server_ip[3] = (uint8_t)(10 + i);
		send_at(&s, i, C2S, F_SYN, 1000, 0, 0);
	}
	advance(&s, 4 * SEC);
	const struct tcpfsm_stats *st = tcpfsm_stats(s.t);
	assert_int_equal(s.nalerts, 5);
	assert_int_equal(st->alerts, 5);
	assert_int_equal(st->alerts_suppressed, 35);
	tcpfsm_free(s.t);
}

static void test_alert_thresholds_configurable(void **state)
{
	(void)state;
	struct tcpfsm_options o;
	tcpfsm_options_default(&o);
	o.alert_after[TCPFSM_SYN_SENT] = 0; /* disabled */
	struct sim s;
	sim_open(&s, &o);
	send_at(&s, 0, C2S, F_SYN, 1000, 0, 0);
	advance(&s, 100 * SEC);
	assert_int_equal(s.nalerts, 0);
	tcpfsm_free(s.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_not_answered),
		cmocka_unit_test(test_synack_lost_after_sensor),
		cmocka_unit_test(test_final_ack_lost_after_sensor),
		cmocka_unit_test(test_ack_lost_before_sensor),
		cmocka_unit_test(test_fin_into_black_hole),
		cmocka_unit_test(test_last_ack_while_acks_pass),
		cmocka_unit_test(test_closing),
		cmocka_unit_test(test_close_wait_leak),
		cmocka_unit_test(test_normal_traffic_raises_none),
		cmocka_unit_test(test_one_sided_blames_no_hidden_direction),
		cmocka_unit_test(test_flood_folds_into_one_aggregate),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_alert_thresholds_configurable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
