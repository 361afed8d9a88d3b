/*
 * test_flow.c - canonical flow keys and the flow table: both directions of a
 * connection find one flow; IPv4 and IPv6 never mix; equal addresses with
 * different ports, and equal ports with different addresses, stay apart;
 * the connections still open are listed and reported in creation order.
 */
#include <string.h>

#include "decode.h"
#include "flow.h"
#include "pkt.h"
#include "testutil.h"

static struct segment seg4(const uint8_t *src, uint16_t sport,
			   const uint8_t *dst, uint16_t dport)
{
	struct segment s;
	memset(&s, 0, sizeof s);
	s.family = 4;
	memcpy(s.src, src, 4);
	memcpy(s.dst, dst, 4);
	s.sport = sport;
	s.dport = dport;
	return s;
}

static struct segment seg6(const uint8_t *src, uint16_t sport,
			   const uint8_t *dst, uint16_t dport)
{
	struct segment s;
	memset(&s, 0, sizeof s);
	s.family = 6;
	memcpy(s.src, src, 16);
	memcpy(s.dst, dst, 16);
	s.sport = sport;
	s.dport = dport;
	return s;
}

static void assert_key_equal(const struct flow_key *a, const struct flow_key *b)
{
	/* Keys are hashed and compared as raw bytes: padding included. */
	assert_memory_equal(a, b, sizeof *a);
}

static void test_both_directions_one_key(void **state)
{
	(void)state;
	struct flow_key k1, k2;
	int lo1, lo2;

	struct segment a = seg4(ADDR4_A, 40000, ADDR4_B, 80);
	struct segment b = seg4(ADDR4_B, 80, ADDR4_A, 40000);
	flow_key_make(&a, &k1, &lo1);
	flow_key_make(&b, &k2, &lo2);
	assert_key_equal(&k1, &k2);
	assert_int_not_equal(lo1, lo2);
	assert_true(lo1); /* 10.0.0.1 < 10.0.0.2 */
	assert_memory_equal(k1.lo, ADDR4_A, 4);
	assert_memory_equal(k1.hi, ADDR4_B, 4);
	assert_int_equal(k1.lo_port, 40000);
	assert_int_equal(k1.hi_port, 80);
	assert_int_equal(k1.family, 4);
	static const uint8_t zero[12];
	assert_memory_equal(k1.lo + 4, zero, 12);
	assert_memory_equal(k1.hi + 4, zero, 12);

	/* The lower address goes first, whatever the ports. */
	a = seg4(ADDR4_B, 1, ADDR4_A, 65535);
	flow_key_make(&a, &k1, &lo1);
	assert_false(lo1);
	assert_memory_equal(k1.lo, ADDR4_A, 4);
	assert_int_equal(k1.lo_port, 65535);
	assert_int_equal(k1.hi_port, 1);

	/* Addresses compare as bytes in network order, not as host ints. */
	static const uint8_t x[4] = {1, 0, 0, 255}, y[4] = {2, 0, 0, 0};
	a = seg4(y, 5, x, 6);
	flow_key_make(&a, &k1, &lo1);
	assert_false(lo1);
	assert_memory_equal(k1.lo, x, 4);

	a = seg6(ADDR6_B, 443, ADDR6_A, 50000);
	b = seg6(ADDR6_A, 50000, ADDR6_B, 443);
	flow_key_make(&a, &k1, &lo1);
	flow_key_make(&b, &k2, &lo2);
	assert_key_equal(&k1, &k2);
	assert_false(lo1);
	assert_true(lo2);
	assert_int_equal(k1.family, 6);
	assert_memory_equal(k1.lo, ADDR6_A, 16);
}

/* The lower address is the one memcmp() puts first, in either family;
 * random pairs, many sharing a prefix, so that every word is compared. */
static void test_order_is_memcmp(void **state)
{
	(void)state;
	uint32_t r = 12345;
	for (int i = 0; i < 20000; i++) {
		uint8_t a[16], b[16];
		for (int j = 0; j < 16; j++) {
			r = r * 1103515245u + 12345u;
			a[j] = (uint8_t)(r >> 16);
			b[j] = (uint8_t)(r >> 24);
		}
		int family = i % 2 ? 6 : 4;
		size_t alen = family == 4 ? 4 : 16;
		memcpy(b, a,
		       (size_t)(i / 2) % (alen + 1)); /* a shared prefix */
		struct segment sg = family == 4 ? seg4(a, 1000, b, 2000)
						: seg6(a, 1000, b, 2000);
		struct flow_key k;
		int lo;
		flow_key_make(&sg, &k, &lo);
		int c = memcmp(a, b, alen);
		assert_int_equal(lo, c <= 0);
		assert_memory_equal(k.lo, c <= 0 ? a : b, alen);
	}
}

static void test_same_address_different_ports(void **state)
{
	(void)state;
	struct flow_key k1, k2, k3;
	int lo1, lo2, lo3;

	/* Loopback: one address, two ports; the lower port goes first. */
	static const uint8_t lo[4] = {127, 0, 0, 1};
	struct segment a = seg4(lo, 40000, lo, 8080);
	struct segment b = seg4(lo, 8080, lo, 40000);
	flow_key_make(&a, &k1, &lo1);
	flow_key_make(&b, &k2, &lo2);
	assert_key_equal(&k1, &k2);
	assert_int_not_equal(lo1, lo2);
	assert_int_equal(k1.lo_port, 8080);
	assert_int_equal(k1.hi_port, 40000);

	/* Another port pair on the same address is another flow. */
	struct segment c = seg4(lo, 40001, lo, 8080);
	flow_key_make(&c, &k3, &lo3);
	assert_memory_not_equal(&k1, &k3, sizeof k1);

	/* A connection to itself (same address and port): one key, and the
	 * sender counts as the lower end either way. */
	struct segment self = seg4(lo, 5000, lo, 5000);
	flow_key_make(&self, &k1, &lo1);
	assert_true(lo1);
	assert_int_equal(k1.lo_port, 5000);
	assert_int_equal(k1.hi_port, 5000);

	/* Same ports, different addresses: different flows. */
	struct segment d = seg4(ADDR4_A, 1000, ADDR4_B, 2000);
	static const uint8_t other[4] = {10, 0, 0, 3};
	struct segment e = seg4(ADDR4_A, 1000, other, 2000);
	flow_key_make(&d, &k1, &lo1);
	flow_key_make(&e, &k2, &lo2);
	assert_memory_not_equal(&k1, &k2, sizeof k1);
}

static void test_ipv4_vs_ipv6(void **state)
{
	(void)state;
	struct flow_key k4, k6;
	int lo4, lo6;

	/* An IPv6 address whose first bytes equal an IPv4 address, with the
	 * rest zero, is still another flow: the family is in the key. */
	uint8_t a6[16] = {10, 0, 0, 1}, b6[16] = {10, 0, 0, 2};
	struct segment s4 = seg4(ADDR4_A, 40000, ADDR4_B, 80);
	struct segment s6 = seg6(a6, 40000, b6, 80);
	flow_key_make(&s4, &k4, &lo4);
	flow_key_make(&s6, &k6, &lo6);
	assert_memory_not_equal(&k4, &k6, sizeof k4);
	assert_int_equal(k4.family, 4);
	assert_int_equal(k6.family, 6);

	/* Garbage beyond the 4 bytes of an IPv4 address in the segment is
	 * ignored by the key. */
	struct segment dirty = s4;
	memset(dirty.src + 4, 0xab, 12);
	memset(dirty.dst + 4, 0xcd, 12);
	struct flow_key kd;
	int lod;
	flow_key_make(&dirty, &kd, &lod);
	assert_key_equal(&k4, &kd);
}

static void test_table(void **state)
{
	(void)state;
	struct flow_table ft;
	struct flow_key k[3];
	int lo;

	assert_int_equal(flow_table_init(&ft, 2), 0);
	struct segment s0 = seg4(ADDR4_A, 40000, ADDR4_B, 80);
	struct segment s1 = seg6(ADDR6_A, 40000, ADDR6_B, 80);
	struct segment s2 = seg4(ADDR4_A, 40001, ADDR4_B, 80);
	flow_key_make(&s0, &k[0], &lo);
	flow_key_make(&s1, &k[1], &lo);
	flow_key_make(&s2, &k[2], &lo);

	assert_null(flow_lookup(&ft, &k[0], flow_key_hash(&ft, &k[0])));
	struct flow *f0 = flow_insert(&ft, &k[0], flow_key_hash(&ft, &k[0]));
	assert_non_null(f0);
	struct flow *f1 = flow_insert(&ft, &k[1], flow_key_hash(&ft, &k[1]));
	assert_non_null(f1);
	assert_ptr_not_equal(f0, f1);
	/* Full. */
	assert_null(flow_insert(&ft, &k[2], flow_key_hash(&ft, &k[2])));
	assert_ptr_equal(flow_lookup(&ft, &k[0], flow_key_hash(&ft, &k[0])),
			 f0);
	assert_ptr_equal(flow_lookup(&ft, &k[1], flow_key_hash(&ft, &k[1])),
			 f1);
	assert_null(flow_lookup(&ft, &k[2], flow_key_hash(&ft, &k[2])));

	/* The reverse direction's key finds the same flow. */
	struct segment r0 = seg4(ADDR4_B, 80, ADDR4_A, 40000);
	struct flow_key kr;
	flow_key_make(&r0, &kr, &lo);
	assert_ptr_equal(flow_lookup(&ft, &kr, flow_key_hash(&ft, &kr)), f0);

	/* Removed flows are recycled, zeroed. */
	f0->id = 99;
	flow_remove(&ft, f0);
	assert_null(flow_lookup(&ft, &k[0], flow_key_hash(&ft, &k[0])));
	struct flow *f2 = flow_insert(&ft, &k[2], flow_key_hash(&ft, &k[2]));
	assert_ptr_equal(f2, f0);
	assert_int_equal(f2->id, 0);
	assert_ptr_equal(flow_lookup(&ft, &k[2], flow_key_hash(&ft, &k[2])),
			 f2);
	assert_int_equal(ft.live, 2);

	/* flow_addr gives each side back. */
	f2->client_is_lo = 1;
	struct tcpfsm_addr a;
	flow_addr(f2, TCPFSM_CLIENT, &a);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.port, 40001);
	assert_memory_equal(a.ip, ADDR4_A, 4);
	flow_addr(f2, TCPFSM_SERVER, &a);
	assert_int_equal(a.port, 80);
	assert_memory_equal(a.ip, ADDR4_B, 4);
	f2->client_is_lo = 0;
	flow_addr(f2, TCPFSM_CLIENT, &a);
	assert_int_equal(a.port, 80);

	flow_table_destroy(&ft);
}

/* The table's hash of seg's flow. */
static uint32_t flow_hash_of(const struct flow_table *ft,
			     const struct segment *seg)
{
	struct flow_key k;
	int lo;

	flow_key_make(seg, &k, &lo);
	return flow_key_hash(ft, &k);
}

/* The table grows as flows come (a bucket per flow at most, on average);
 * flow_hash_of() is the hash the table files each flow under, from either
 * direction; prefetching takes any hash, the table empty or grown since,
 * and flow_peek() names only a flow filed under the hash it is given, and
 * each flow first or second in its bucket's chain. */
static void test_growth_and_prefetch(void **state)
{
	(void)state;
	struct flow_table ft;
	enum { N = 5000 };
	assert_int_equal(flow_table_init(&ft, N), 0);
	struct segment s = seg4(ADDR4_A, 40000, ADDR4_B, 80);
	flow_prefetch_bucket(&ft, flow_hash_of(&ft, &s)); /* no table yet */
	flow_prefetch_head(&ft, flow_hash_of(&ft, &s));
	flow_prefetch_flow(&ft, flow_hash_of(&ft, &s));
	int heads = 0;
	for (uint32_t i = 0; i < N; i++) {
		struct flow_key k;
		int lo;
		s = seg4(ADDR4_A, (uint16_t)(1024 + i), ADDR4_B, 80);
		flow_key_make(&s, &k, &lo);
		struct flow *f = flow_insert(&ft, &k, flow_key_hash(&ft, &k));
		assert_non_null(f);
		assert_int_equal(f->hh.hashv, flow_hash_of(&ft, &s));
		struct segment back = seg4(ADDR4_B, 80, ADDR4_A, s.sport);
		assert_int_equal(flow_hash_of(&ft, &back), f->hh.hashv);
		/* A new flow heads its bucket's chain, unless the buckets
		 * just doubled and their chains were dealt out again. */
		const struct flow *h = flow_peek(&ft, f->hh.hashv);
		assert_true(!h || h->hh.hashv == f->hh.hashv);
		heads += h == f;
		uint32_t stale = flow_hash_of(&ft, &back) ^ (i * 2654435761u);
		flow_prefetch_bucket(&ft, stale);
		flow_prefetch_head(&ft, stale);
		flow_prefetch_flow(&ft, stale);
		const struct flow *g = flow_peek(&ft, stale);
		assert_true(!g || g->hh.hashv == stale);
		assert_true(ft.hash->hh.tbl->num_items <=
			    ft.hash->hh.tbl->num_buckets);
	}
	assert_int_equal(ft.live, N);
	assert_true(heads > N * 9 / 10);
	/* Every flow first or second in its chain is found by its hash. */
	int seen = 0;
	for (uint32_t i = 0; i < N; i++) {
		const struct flow *f = &ft.flows[i];
		const UT_hash_table *tbl = ft.hash->hh.tbl;
		const UT_hash_handle *h =
			tbl->buckets[f->hh.hashv & (tbl->num_buckets - 1)]
				.hh_head;
		int depth = 0;
		while (h != &f->hh) {
			h = h->hh_next;
			depth++;
		}
		flow_prefetch_head(&ft, f->hh.hashv);
		flow_prefetch_flow(&ft, f->hh.hashv);
		const struct flow *g = flow_peek(&ft, f->hh.hashv);
		if (depth <= 1) {
			/* f, or the flow ahead of it whose 32-bit hash is
			 * the same (the seed is drawn at random: now and then
			 * two of N flows share one). */
			assert_non_null(g);
			assert_int_equal(g->hh.hashv, f->hh.hashv);
			assert_true(g == f || depth == 1);
			seen += g == f;
		} else {
			assert_true(!g || g->hh.hashv == f->hh.hashv);
		}
	}
	assert_true(seen > N * 9 / 10);
	flow_table_destroy(&ft);
}

/* Through the tracker: packets both ways on one 4-tuple are one connection;
 * an IPv4 and an IPv6 connection with "equal" addresses are two. */
struct count {
	uint64_t max_id;
};

static void on_event(const struct tcpfsm_event *ev, void *user)
{
	struct count *c = user;
	if (ev->conn->id > c->max_id)
		c->max_id = ev->conn->id;
}

static void feed(struct tcpfsm *t, int family, const uint8_t *src,
		 uint16_t sport, const uint8_t *dst, uint16_t dport,
		 uint8_t flags, int64_t ts)
{
	struct pkt p;
	struct tcp_spec tcp = {.sport = sport,
			       .dport = dport,
			       .seq = 1,
			       .ack = 1,
			       .flags = flags,
			       .win = 100};
	pkt_tcp(&p, &tcp);
	if (family == 4) {
		struct ip4_spec ip = {.src = src, .dst = dst};
		wrap_ipv4(&p, &ip);
	} else {
		struct ip6_spec ip = {.src = src, .dst = dst};
		wrap_ipv6(&p, &ip);
	}
	pkt_checksums(&p);
	assert_int_equal(tcpfsm_feed(t, DLT_RAW, ts, p.b, (uint32_t)p.len), 0);
}

static void test_tracker_keys(void **state)
{
	(void)state;
	struct count c = {0};
	struct tcpfsm *t = tcpfsm_new(NULL, on_event, &c);
	assert_non_null(t);
	int64_t ts = INT64_C(1700000000000000);
	uint8_t a6[16] = {10, 0, 0, 1}, b6[16] = {10, 0, 0, 2};

	feed(t, 4, ADDR4_A, 40000, ADDR4_B, 80, F_ACK | F_PSH, ts++);
	feed(t, 4, ADDR4_B, 80, ADDR4_A, 40000, F_ACK, ts++);
	assert_int_equal(tcpfsm_stats(t)->connections, 1);
	feed(t, 6, a6, 40000, b6, 80, F_ACK | F_PSH, ts++);
	feed(t, 6, b6, 80, a6, 40000, F_ACK, ts++);
	assert_int_equal(tcpfsm_stats(t)->connections, 2);
	static const uint8_t lo[4] = {127, 0, 0, 1};
	feed(t, 4, lo, 40000, lo, 8080, F_ACK, ts++);
	feed(t, 4, lo, 8080, lo, 40000, F_ACK, ts++);
	feed(t, 4, lo, 40001, lo, 8080, F_ACK, ts++);
	assert_int_equal(tcpfsm_stats(t)->connections, 4);
	assert_int_equal(tcpfsm_stats(t)->active, 4);
	assert_int_equal(c.max_id, 4);
	tcpfsm_free(t);
}

/* The connections still open, whether listed by tcpfsm_foreach() or
 * reported by tcpfsm_finish(), come in creation order, also when later ones
 * took the pool slots of earlier ones that ended (sorted_flows()). */
struct order {
	uint64_t last, n, finished;
	int in_order;
};

static void check_order(const struct tcpfsm_conn *c, void *user)
{
	struct order *o = user;
	o->in_order &= c->id > o->last;
	o->last = c->id;
	o->n++;
}

static void on_finished(const struct tcpfsm_event *ev, void *user)
{
	struct order *o = user;
	if (ev->type != TCPFSM_EV_END ||
	    ev->end_reason != TCPFSM_END_FINISHED) /* idle expiry's */
		return;
	check_order(ev->conn, o);
	o->finished++;
}

static void open_flows(struct tcpfsm *t, uint16_t first_port, int n, int64_t ts)
{
	for (int i = 0; i < n; i++)
		feed(t, 4, ADDR4_A, (uint16_t)(first_port + i), ADDR4_B, 80,
		     F_ACK | F_PSH, ts);
}

static void test_report_in_creation_order(void **state)
{
	(void)state;
	/* Enough that the pool's order and the list's disagree over many
	 * slots, where sorted_flows() fetches the wrong flows ahead. */
	enum { N = 3000 };
	struct order o = {.in_order = 1};
	struct tcpfsm *t = tcpfsm_new(NULL, on_finished, &o);
	assert_non_null(t);
	int64_t ts = INT64_C(1700000000000000);

	open_flows(t, 10000, N, ts);
	/* All idle past the timeout: their slots go back to the pool, to be
	 * taken again last freed first, in the reverse of their order. */
	ts += INT64_C(600000000);
	tcpfsm_advance(t, ts);
	assert_int_equal(tcpfsm_stats(t)->active, 0);
	open_flows(t, 20000, N, ts);
	open_flows(t, 30000, N / 2, ts + 1); /* fresh slots after those */
	assert_int_equal(tcpfsm_stats(t)->active, N + N / 2);

	struct order listed = {.in_order = 1};
	tcpfsm_foreach(t, check_order, &listed);
	assert_true(listed.in_order);
	assert_int_equal(listed.n, N + N / 2);

	tcpfsm_finish(t);
	assert_true(o.in_order);
	assert_int_equal(o.finished, N + N / 2);
	tcpfsm_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_directions_one_key),
		cmocka_unit_test(test_order_is_memcmp),
		cmocka_unit_test(test_same_address_different_ports),
		cmocka_unit_test(test_ipv4_vs_ipv6),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_growth_and_prefetch),
		cmocka_unit_test(test_tracker_keys),
		cmocka_unit_test(test_report_in_creation_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
