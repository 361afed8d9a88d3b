/*
 * test_names.c - address formatting (RFC 5952, checked against the C
 * library's inet_ntop on chosen and random addresses), names of states, and
 * duration parsing.
 */
#include <arpa/inet.h>
#include <string.h>

#include "tcpfsm.h"
#include "testutil.h"

static void check_v6(const uint8_t ip[16])
{
	struct tcpfsm_addr a = {.family = 6, .port = 443};
	char mine[TCPFSM_ADDRSTRLEN], ntop[INET6_ADDRSTRLEN], want[80];

	memcpy(a.ip, ip, 16);
	size_t n = tcpfsm_addr_format(&a, mine);
	assert_non_null(inet_ntop(AF_INET6, ip, ntop, sizeof ntop));
	snprintf(want, sizeof want, "[%s]:443", ntop);
	assert_string_equal(mine, want);
	assert_int_equal(n, strlen(want));
}

static void test_ipv6_chosen(void **state)
{
	(void)state;
	static const char *const cases[] = {
		"::",
		"::1",
		"1::",
		"::ffff:0.0.0.0",
		"::ffff:192.0.2.1",
		"::192.0.2.1",
		"1:0:0:2::3",
		"fe80::1:0:0:1",
		"2001:db8::",
		"::2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8",
		"0:0:1::",
		"1:0:0:1:0:0:0:1",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t ip[16];
		assert_int_equal(inet_pton(AF_INET6, cases[i], ip), 1);
		check_v6(ip);
	}
}

static void test_ipv6_random(void **state)
{
	(void)state;
	uint32_t x = 12345;
	for (int k = 0; k < 200000; k++) {
		uint8_t ip[16];
		for (int i = 0; i < 16; i++) {
			x = x * 1103515245u + 12345u;
			unsigned r = x >> 16;
			/* Mostly zeros, to make runs of zero groups. */
			ip[i] = (r & 7) < 4 ? 0 : (r & 7) == 4 ? 0xff : r >> 3;
		}
		if (k % 7 == 0) { /* IPv4-mapped */
			memset(ip, 0, 10);
			ip[10] = ip[11] = 0xff;
		}
		check_v6(ip);
	}
}

static void test_ipv4_and_port(void **state)
{
	(void)state;
	struct tcpfsm_addr a = {
		.family = 4, .port = 65535, .ip = {255, 0, 10, 199}};
	char buf[TCPFSM_ADDRSTRLEN];
	assert_int_equal(tcpfsm_addr_format(&a, buf), 18);
	assert_string_equal(buf, "255.0.10.199:65535");
	a.port = 0;
	tcpfsm_addr_format(&a, buf);
	assert_string_equal(buf, "255.0.10.199:0");
}

/* Every octet value in every position and ports of every length, against
 * inet_ntop(3) and printf. */
static void test_ipv4_every_octet(void **state)
{
	(void)state;
	static const uint16_t ports[] = {0,   7,    10,	  99,	 100,
					 999, 1000, 9999, 10000, 65535};
	for (unsigned v = 0; v < 256; v++) {
		for (int pos = 0; pos < 4; pos++) {
			struct tcpfsm_addr a = {.family = 4,
						.port = ports[v % 10],
						.ip = {1, 22, 133, 4}};
			char mine[TCPFSM_ADDRSTRLEN], ntop[INET_ADDRSTRLEN],
				want[TCPFSM_ADDRSTRLEN];
			a.ip[pos] = (uint8_t)v;
			size_t n = tcpfsm_addr_format(&a, mine);
			inet_ntop(AF_INET, a.ip, ntop, sizeof ntop);
			snprintf(want, sizeof want, "%s:%u", ntop, a.port);
			assert_string_equal(mine, want);
			assert_int_equal(n, strlen(want));
		}
	}
}

static void test_state_names(void **state)
{
	(void)state;
	for (int s = 0; s < TCPFSM_NSTATES; s++)
		assert_int_equal(tcpfsm_state_parse(tcpfsm_state_name(s)), s);
	assert_int_equal(tcpfsm_state_parse("ESTAB"), -1);
	assert_string_equal(tcpfsm_state_name(TCPFSM_NSTATES), "?");
	assert_string_equal(tcpfsm_alert_name(TCPFSM_CLOSE_WAIT),
			    "close_wait_stuck");
	assert_null(tcpfsm_alert_name(TCPFSM_ESTABLISHED));
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(tcpfsm_parse_duration("3s"), 3000000);
	assert_int_equal(tcpfsm_parse_duration("3"), 3000000);
	assert_int_equal(tcpfsm_parse_duration("500ms"), 500000);
	assert_int_equal(tcpfsm_parse_duration("250us"), 250);
	assert_int_equal(tcpfsm_parse_duration("1.5h"), 5400000000LL);
	assert_int_equal(tcpfsm_parse_duration("2m"), 120000000);
	assert_int_equal(tcpfsm_parse_duration("0"), 0);
	assert_int_equal(tcpfsm_parse_duration("1.999999999d"),
			 172799913600LL); /* six decimals kept */
	assert_int_equal(tcpfsm_parse_duration(""), -1);
	assert_int_equal(tcpfsm_parse_duration("-1s"), -1);
	assert_int_equal(tcpfsm_parse_duration("1x"), -1);
	assert_int_equal(tcpfsm_parse_duration("1."), -1);
	assert_int_equal(tcpfsm_parse_duration("99999999999999999999s"), -1);
	assert_int_equal(tcpfsm_parse_duration("9223372036854775807d"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv6_chosen),
		cmocka_unit_test(test_ipv6_random),
		cmocka_unit_test(test_ipv4_and_port),
		cmocka_unit_test(test_ipv4_every_octet),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
