/*
 * sim.c - a tracker fed with packets built in memory.
 */
#include <string.h>

#include "pkt.h"
#include "sim.h"
#include "testutil.h"

static void on_event(const struct tcpfsm_event *ev, void *user)
{
	struct sim *s = user;

	if (ev->type == TCPFSM_EV_ALERT && s->nalerts < 64) {
		struct sim_alert *a = &s->alerts[s->nalerts++];
		snprintf(a->kind, sizeof a->kind, "%s", ev->alert);
		a->endpoint = ev->endpoint;
		a->count = ev->count;
		a->aggregate = ev->aggregate;
		snprintf(a->diagnosis, sizeof a->diagnosis, "%s",
			 ev->diagnosis);
		assert_true(ev->duration >= 0);
	} else if (ev->type == TCPFSM_EV_RESOLVED && s->nresolved < 8) {
		snprintf(s->resolved[s->nresolved++], 64, "%s>%s", ev->alert,
			 ev->resolved_to < 0
				 ? "expired"
				 : tcpfsm_state_name(ev->resolved_to));
	} else if (ev->type == TCPFSM_EV_TRANSITION) {
		s->transitions++;
	} else if (ev->type == TCPFSM_EV_END) {
		s->ends++;
	}
}

void sim_open(struct sim *s, const struct tcpfsm_options *opts)
{
	memset(s, 0, sizeof *s);
	s->t = tcpfsm_new(opts, on_event, s);
	assert_non_null(s->t);
	s->now = T0;
	s->cport = 40000;
	memcpy(s->server_ip, ADDR4_B, 4);
}

void sim_close(struct sim *s)
{
	tcpfsm_free(s->t);
}

int sim_send(struct sim *s, int64_t at, int c2s, uint8_t flags, uint32_t seq,
	     uint32_t ack, size_t len, uint16_t win)
{
	return sim_send_opt(s, at, c2s, flags, seq, ack, len, win, NULL, 0);
}

int sim_send_opt(struct sim *s, int64_t at, int c2s, uint8_t flags,
		 uint32_t seq, uint32_t ack, size_t len, uint16_t win,
		 const uint8_t *opt, size_t optlen)
{
	struct pkt p;
	struct tcp_spec t = {.sport = c2s ? s->cport : 80,
			     .dport = c2s ? 80 : s->cport,
			     .seq = seq,
			     .ack = ack,
			     .flags = flags,
			     .win = win,
			     .opt = opt,
			     .optlen = optlen,
			     .payload = len};
	struct ip4_spec ip = {.src = c2s ? ADDR4_A : s->server_ip,
			      .dst = c2s ? s->server_ip : ADDR4_A};
	pkt_tcp(&p, &t);
	wrap_ipv4(&p, &ip);
	pkt_checksums(&p);
	s->now = T0 + at;
	return tcpfsm_feed(s->t, DLT_RAW, s->now, p.b, (uint32_t)p.len);
}

void sim_advance(struct sim *s, int64_t at)
{
	s->now = T0 + at;
	tcpfsm_advance(s->t, s->now);
}

void sim_handshake(struct sim *s)
{
	send_at(s, 0, C2S, F_SYN, 1000, 0, 0);
	send_at(s, 1 * MS, S2C, F_SYN | F_ACK, 5000, 1001, 0);
	send_at(s, 2 * MS, C2S, F_ACK, 1001, 5001, 0);
}

struct newest {
	struct tcpfsm_conn c;
};

static void keep_newest(const struct tcpfsm_conn *c, void *user)
{
	((struct newest *)user)->c = *c; /* creation order: the last wins */
}

enum tcpfsm_state sim_state(struct sim *s, int endpoint)
{
	struct newest n = {0};
	tcpfsm_foreach(s->t, keep_newest, &n);
	assert_int_not_equal(n.c.id, 0);
	return n.c.state[endpoint];
}
