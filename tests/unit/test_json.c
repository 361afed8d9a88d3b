/*
 * test_json.c - the JSON writer's transitions, of many connections, causes
 * and addresses: every line is checked against one built field by field
 * with snprintf. So are the decimal writers under every field, and the
 * time stamps written with the whole seconds kept from one to the next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "output/output.h"
#include "testutil.h"

/* The writer's buffer is large: one for the whole test. */
static struct output out;

/* Causes are static texts, named by their address: many distinct ones, so
 * that the writer's table of reused texts keeps replacing its entries. */
#define NCAUSES 300
static char causes[NCAUSES][200];

static void make_causes(void)
{
	for (int i = 0; i < NCAUSES; i++)
		snprintf(causes[i], sizeof causes[i], "cause %d", i);
	/* Longer than any text the writer keeps: written as it is. */
	memset(causes[0], 'x', sizeof causes[0] - 1);
}

static size_t expect_line(char *buf, size_t room, int64_t ts,
			  const struct tcpfsm_conn *c, int side, int from,
			  int to, const char *cause)
{
	char client[TCPFSM_ADDRSTRLEN], server[TCPFSM_ADDRSTRLEN];
	tcpfsm_addr_format(&c->client, client);
	tcpfsm_addr_format(&c->server, server);
	int n = snprintf(buf, room,
			 "{\"ts\":%lld.%06lld,\"type\":\"transition\","
			 "\"conn\":%llu,\"client\":\"%s\",\"server\":\"%s\","
			 "\"endpoint\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
			 "\"cause\":\"%s\"}\n",
			 (long long)(ts / 1000000), (long long)(ts % 1000000),
			 (unsigned long long)c->id, client, server,
			 tcpfsm_side_name(side), tcpfsm_state_name(from),
			 tcpfsm_state_name(to), cause);
	assert_true(n > 0 && (size_t)n < room);
	return (size_t)n;
}

/*
 * Connections in fours that share an id: (client, server), another client,
 * the server on another port, the server's address bytes in the other
 * family. The second half repeats the first's addresses under other ids.
 * Servers recur across groups, more of them than the writer keeps.
 */
#define NGROUPS	 800
#define NSERVERS 600
static struct tcpfsm_conn conns[NGROUPS * 4];

static void make_conns(void)
{
	for (int i = 0; i < NGROUPS * 4; i++) {
		struct tcpfsm_conn *c = &conns[i];
		int g = i / 4 % (NGROUPS / 2), k = g % NSERVERS;
		/* Ids far apart: groups share the writer's slots for heads. */
		*c = (struct tcpfsm_conn){.id = 7 + (uint64_t)(i / 4) * 517};
		c->client = (struct tcpfsm_addr){
			.family = 4,
			.port = 40000,
			.ip = {10, 0, (uint8_t)(g >> 8), (uint8_t)g}};
		c->server = (struct tcpfsm_addr){
			.family = 4,
			.port = (uint16_t)(80 + k % 3),
			.ip = {172, 16, (uint8_t)(k >> 8), (uint8_t)k}};
		if (i % 4 == 1)
			c->client.port = 50000;
		else if (i % 4 == 2)
			c->server.port = 8080;
		else if (i % 4 == 3)
			c->server.family = 6;
	}
}

/* Transitions of random kinds on random connections, checked line by
 * line. */
static void test_transitions_match_plain_formatting(void **state)
{
	(void)state;
	char *text = NULL;
	size_t text_len = 0;
	FILE *fp = open_memstream(&text, &text_len);
	assert_non_null(fp);
	memset(&out, 0, offsetof(struct output, ob));
	out.format = FORMAT_JSON;
	ob_init(&out.ob, fp);
	make_causes();

	const int nevents = 200000;
	size_t room = (size_t)nevents * 512, used = 0;
	char *want = malloc(room);
	assert_non_null(want);
	make_conns();
	uint64_t rnd = 42;
	const struct tcpfsm_conn *c = &conns[0];
	int64_t ts = 1700000000000001;
	for (int i = 0; i < nevents; i++, ts += 999983) {
		rnd = rnd * 6364136223846793005u + 1442695040888963407u;
		uint32_t r = (uint32_t)(rnd >> 33);
		/* Half the time the connection of the event before. */
		if (r % 2)
			c = &conns[(rnd >> 8) % (NGROUPS * 4)];
		int side = (int)(r / 2 % 2);
		int from = (int)(r / 4 % TCPFSM_NSTATES);
		int to = (int)(r / 4 / TCPFSM_NSTATES % TCPFSM_NSTATES);
		const char *cause = causes[r / 4 / TCPFSM_NSTATES /
					   TCPFSM_NSTATES % NCAUSES];
		struct tcpfsm_event ev = {.type = TCPFSM_EV_TRANSITION,
					  .ts = ts,
					  .conn = c,
					  .endpoint = side,
					  .from = from,
					  .to = to,
					  .cause = cause};
		json_event(&out, &ev);
		used += expect_line(want + used, room - used, ts, c, side, from,
				    to, cause);
	}
	assert_int_equal(ob_flush(&out.ob), 0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(text_len, used);
	assert_memory_equal(text, want, used);
	free(text);
	free(want);
}

/* One value through dec_u64(): the same text as snprintf, and not a byte
 * written past it. */
static void check_u64(uint64_t v)
{
	char got[32], want[32];
	memset(got, 'Z', sizeof got);
	size_t n = dec_u64(got, v);
	int w = snprintf(want, sizeof want, "%llu", (unsigned long long)v);
	assert_int_equal(n, (size_t)w);
	assert_memory_equal(got, want, n);
	assert_int_equal(got[n], 'Z');
}

/* Every length and its edges (each power of ten and of two, one either
 * side), then random values of random bit lengths; fixed widths too. */
static void test_decimals(void **state)
{
	(void)state;
	uint64_t p10 = 1;
	for (int k = 0; k < 20; k++, p10 *= 10)
		for (uint64_t d = 0; d < 3; d++)
			check_u64(p10 - 1 + d);
	for (int k = 0; k < 64; k++)
		for (uint64_t d = 0; d < 3; d++)
			check_u64((UINT64_C(1) << k) - 1 + d);
	check_u64(UINT64_MAX);
	uint64_t rnd = 7;
	for (int i = 0; i < 1000000; i++) {
		rnd = rnd * 6364136223846793005u + 1442695040888963407u;
		check_u64(rnd >> (rnd >> 58));
	}
	for (int width = 2; width <= 6; width += 2)
		for (uint32_t v = 0; v < 1000000; v += 7) {
			char got[8], want[8];
			uint32_t x = v % (width == 2   ? 100
					  : width == 4 ? 10000
						       : 1000000);
			dec_fixed(got, x, width);
			snprintf(want, sizeof want, "%0*u", width, x);
			assert_memory_equal(got, want, (size_t)width);
		}
}

/* One time stamp through put_seconds(), against snprintf. */
static void check_seconds(struct outbuf *ob, int64_t us)
{
	char got[64], want[64];
	memset(got, 'Z', sizeof got);
	char *end = put_seconds(ob, got, us);
	uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	int w = snprintf(want, sizeof want, "%s%llu.%06llu", us < 0 ? "-" : "",
			 (unsigned long long)(mag / 1000000),
			 (unsigned long long)(mag % 1000000));
	assert_int_equal(end - got, w);
	assert_memory_equal(got, want, (size_t)w);
}

/* The events' times in order, with what a conn record writes between them
 * (its first packet's time, its duration) and negative values: the whole
 * seconds kept from one call to the next never leak into another's text. */
static void test_seconds(void **state)
{
	(void)state;
	static struct outbuf ob;
	ob_init(&ob, NULL);
	uint64_t rnd = 9;
	int64_t ts = 1700000000123456;
	for (int i = 0; i < 100000; i++) {
		rnd = rnd * 6364136223846793005u + 1442695040888963407u;
		ts += (int64_t)(rnd >> 44); /* up to a second apart */
		check_seconds(&ob, ts);
		switch (rnd >> 61) {
		case 0: /* a first packet seconds or hours before */
			check_seconds(&ob, ts - (int64_t)(rnd >> 30));
			break;
		case 1: /* a duration */
			check_seconds(&ob, (int64_t)(rnd >> 40));
			break;
		case 2:
			check_seconds(&ob, -(int64_t)(rnd >> 36));
			break;
		case 3: /* the same time again */
			check_seconds(&ob, ts);
			break;
		default:
			break;
		}
	}
	check_seconds(&ob, 0);
	check_seconds(&ob, INT64_MAX);
	check_seconds(&ob, INT64_MIN);
	check_seconds(&ob, ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimals),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_transitions_match_plain_formatting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
