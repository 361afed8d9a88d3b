/*
 * test_listeners.c - the listener table is bounded, and what it cannot keep
 * is counted where a caller sees it (tcpfsm_stats.listeners_dropped).
 */
#include <string.h>

#include "pkt.h"
#include "tcpfsm.h"
#include "testutil.h"

enum { TABLE = 65536, EXTRA = 3 }; /* listeners.h's LISTENERS_MAX */

static void count(const struct tcpfsm_listener *l, void *user)
{
	(void)l;
	++*(size_t *)user;
}

/* A lone SYN/ACK from server:port proves a listener there. */
static void synack_from(struct tcpfsm *t, uint8_t net, uint16_t port,
			int64_t ts)
{
	uint8_t server[4] = {10, 1, net, 1}, client[4] = {10, 2, 0, 1};
	struct tcp_spec tcp = {.sport = port,
			       .dport = 50000,
			       .seq = 1000,
			       .ack = 2001,
			       .flags = F_SYN | F_ACK,
			       .win = 65535};
	struct ip4_spec ip = {.src = server, .dst = client};
	struct pkt p;

	pkt_tcp(&p, &tcp);
	wrap_ipv4(&p, &ip);
	assert_int_equal(tcpfsm_feed(t, DLT_RAW, ts, p.b, (uint32_t)p.len), 0);
}

static void test_listeners_dropped(void **state)
{
	(void)state;
	struct tcpfsm *t = tcpfsm_new(NULL, NULL, NULL);
	size_t n = 0;

	assert_non_null(t);
	for (uint32_t i = 0; i < TABLE + EXTRA; i++)
		synack_from(t, (uint8_t)(i / 60000), (uint16_t)(1 + i % 60000),
			    1000000 + i);
	tcpfsm_foreach_listener(t, count, &n);
	assert_int_equal(n, TABLE);
	assert_int_equal(tcpfsm_stats(t)->listeners_dropped, EXTRA);
	/* A listener already kept is counted as before, not dropped. */
	synack_from(t, 0, 1, 2000000000);
	assert_int_equal(tcpfsm_stats(t)->listeners_dropped, EXTRA);
	tcpfsm_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listeners_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
