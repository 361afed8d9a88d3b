/*
 * sim.h - a tracker fed with packets built in memory, for the unit tests of
 * alerts and hostile flows: the client is 10.0.0.1:40000 (ISN 1000), the
 * server 10.0.0.2:80 (ISN 5000), packets raw IPv4, times in µs after T0.
 */
#ifndef TCPFSM_TEST_SIM_H
#define TCPFSM_TEST_SIM_H

#include <stdint.h>

#include "tcpfsm.h"

#define SEC    INT64_C(1000000)
#define MS     INT64_C(1000)
#define T0     (INT64_C(1700000000) * SEC)
#define CLIENT "10.0.0.1:40000"
#define SERVER "10.0.0.2:80"

enum { S2C = 0, C2S = 1 };

struct sim_alert {
	char kind[32];
	int endpoint;
	uint64_t count;
	int aggregate;
	char diagnosis[512];
};

struct sim {
	struct tcpfsm *t;
	int64_t now;
	uint16_t cport;
	uint8_t server_ip[4];
	struct sim_alert alerts[64];
	int nalerts;
	char resolved[8][64]; /* "kind>TO" */
	int nresolved;
	int transitions;
	uint64_t ends;
};

void sim_open(struct sim *s, const struct tcpfsm_options *opts);
void sim_close(struct sim *s);

/* Sends one segment at time `at` (µs after T0); returns tcpfsm_feed's. */
int sim_send(struct sim *s, int64_t at, int c2s, uint8_t flags, uint32_t seq,
	     uint32_t ack, size_t len, uint16_t win);
#define send_at(s, at, c2s, flags, seq, ack, len)                              \
	assert_int_equal(sim_send(s, at, c2s, flags, seq, ack, len, 29200), 0)

/* sim_send() with TCP option bytes (optlen a multiple of 4). */
int sim_send_opt(struct sim *s, int64_t at, int c2s, uint8_t flags,
		 uint32_t seq, uint32_t ack, size_t len, uint16_t win,
		 const uint8_t *opt, size_t optlen);

void sim_advance(struct sim *s, int64_t at);

/* SYN, SYN/ACK, ACK at 0, 1 and 2 ms. */
void sim_handshake(struct sim *s);

/* The state the tracker holds for the newest connection's endpoint. */
enum tcpfsm_state sim_state(struct sim *s, int endpoint);

#endif
