/*
 * test_decode.c - the decoder: every link type and encapsulation, IPv4 and
 * IPv6 headers, fragments, extension chains, TCP options, and truncation at
 * every byte of a set of good packets; the tunnels (IP-in-IP, GRE, ERSPAN,
 * VXLAN, Geneve, Teredo, AYIYA) and their nesting bound; checksums, against
 * a plain 16-bit reference sum.
 *
 * Every decode runs on a heap copy of exactly the captured length, so that
 * AddressSanitizer (the build-san CI build) reports any read past it.
 */
#include <string.h>

#include "decode.h"
#include "pkt.h"
#include "testutil.h"

#define SKIPPED(reason) (1 + TCPFSM_SKIP_##reason)

#define SPORT 40000
#define DPORT 80
#define SEQ   0x01020304u
#define ACK   0xa0b0c0d0u

/* Decodes the first caplen bytes of p from an exact-size heap copy. */
static int decode_n(int dlt, const struct pkt *p, size_t caplen,
		    struct segment *seg)
{
	assert_true(caplen <= p->len);
	uint8_t *copy = malloc(caplen ? caplen : 1);
	assert_non_null(copy);
	memcpy(copy, p->b, caplen);
	memset(seg, 0xee, sizeof *seg); /* nothing stale can pass for a field */
	/* With nothing captured, point past the allocation: a read faults. */
	int rc = decode_packet(dlt, caplen ? copy : copy + 1, (uint32_t)caplen,
			       seg);
	free(copy);
	return rc;
}

static int decode(int dlt, const struct pkt *p, struct segment *seg)
{
	return decode_n(dlt, p, p->len, seg);
}

/* decode_n() through decode_packet_ex(). */
static int decode_x(int dlt, const struct pkt *p, size_t caplen, unsigned flags,
		    struct segment *seg, struct tunnels *tun)
{
	assert_true(caplen <= p->len);
	uint8_t *copy = malloc(caplen ? caplen : 1);
	assert_non_null(copy);
	memcpy(copy, p->b, caplen);
	memset(seg, 0xee, sizeof *seg);
	if (tun)
		memset(tun, 0xee, sizeof *tun);
	int rc = decode_packet_ex(dlt, caplen ? copy : copy + 1,
				  (uint32_t)caplen, flags, seg, tun);
	free(copy);
	return rc;
}

/* A SYN with the usual options and `payload` bytes. */
static void syn(struct pkt *p, size_t payload)
{
	struct tcp_spec t = {.sport = SPORT,
			     .dport = DPORT,
			     .seq = SEQ,
			     .ack = ACK,
			     .flags = F_SYN | F_ACK,
			     .win = 0xfaf0,
			     .opt = SYN_OPTIONS,
			     .optlen = sizeof SYN_OPTIONS,
			     .payload = payload};
	pkt_tcp(p, &t);
}

/* A segment with no options. */
static void plain(struct pkt *p, uint8_t flags, size_t payload)
{
	struct tcp_spec t = {.sport = SPORT,
			     .dport = DPORT,
			     .seq = SEQ,
			     .ack = ACK,
			     .flags = flags,
			     .win = 512,
			     .payload = payload};
	pkt_tcp(p, &t);
}

static void v4(struct pkt *p)
{
	struct ip4_spec s = {0};
	wrap_ipv4(p, &s);
}

static void v6(struct pkt *p)
{
	struct ip6_spec s = {0};
	wrap_ipv6(p, &s);
}

static void assert_syn_v4(const struct segment *seg, uint32_t payload)
{
	assert_int_equal(seg->family, 4);
	assert_memory_equal(seg->src, ADDR4_A, 4);
	assert_memory_equal(seg->dst, ADDR4_B, 4);
	static const uint8_t zero[12];
	assert_memory_equal(seg->src + 4, zero, 12);
	assert_memory_equal(seg->dst + 4, zero, 12);
	assert_int_equal(seg->sport, SPORT);
	assert_int_equal(seg->dport, DPORT);
	assert_int_equal(seg->seq, SEQ);
	assert_int_equal(seg->ack, ACK);
	assert_int_equal(seg->flags, F_SYN | F_ACK);
	assert_int_equal(seg->window, 0xfaf0);
	assert_int_equal(seg->payload_len, payload);
	assert_int_equal(seg->options,
			 OPT_MSS | OPT_WSCALE | OPT_SACK_OK | OPT_TIMESTAMP);
	assert_int_equal(seg->mss, 1460);
	assert_int_equal(seg->wscale, 7);
	assert_int_equal(seg->tsval, 100);
	assert_int_equal(seg->tsecr, 0);
}

static void assert_syn_v6(const struct segment *seg, uint32_t payload)
{
	assert_int_equal(seg->family, 6);
	assert_memory_equal(seg->src, ADDR6_A, 16);
	assert_memory_equal(seg->dst, ADDR6_B, 16);
	assert_int_equal(seg->sport, SPORT);
	assert_int_equal(seg->dport, DPORT);
	assert_int_equal(seg->seq, SEQ);
	assert_int_equal(seg->ack, ACK);
	assert_int_equal(seg->flags, F_SYN | F_ACK);
	assert_int_equal(seg->payload_len, payload);
	assert_int_equal(seg->options,
			 OPT_MSS | OPT_WSCALE | OPT_SACK_OK | OPT_TIMESTAMP);
}

/* ------------------------------------------------------------ link types */

static void test_ethernet(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	syn(&p, 10);
	v4(&p);
	wrap_eth(&p, 0x0800, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_syn_v4(&seg, 10);
	assert_int_equal(seg.ip_len, 20 + 40 + 10);

	syn(&p, 10);
	v6(&p);
	wrap_eth(&p, 0x86dd, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_syn_v6(&seg, 10);
	assert_int_equal(seg.ip_len, 40 + 40 + 10);

	/* ARP, LLDP: not IP. */
	pkt_raw(&p, "\0\1\10\0\6\4\0\1", 8);
	pkt_append(&p, 0, 20);
	wrap_eth(&p, 0x0806, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(NOT_IP));
	pkt_raw(&p, "", 0);
	pkt_append(&p, 0, 40);
	wrap_eth(&p, 0x88cc, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(NOT_IP));
}

static void test_linux_sll(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	syn(&p, 0);
	v4(&p);
	wrap_sll(&p, 0x0800);
	assert_int_equal(decode(DLT_LINUX_SLL, &p, &seg), 0);
	assert_syn_v4(&seg, 0);

	syn(&p, 3);
	v6(&p);
	wrap_sll(&p, 0x86dd);
	assert_int_equal(decode(DLT_LINUX_SLL, &p, &seg), 0);
	assert_syn_v6(&seg, 3);

	syn(&p, 0);
	v4(&p);
	wrap_sll(&p, 0x0806);
	assert_int_equal(decode(DLT_LINUX_SLL, &p, &seg), SKIPPED(NOT_IP));

	/* SLL carries VLAN tags when the capture keeps them. */
	syn(&p, 0);
	v4(&p);
	uint8_t tag[4] = {0, 10, 0x08, 0x00};
	struct pkt q;
	memcpy(q.b, tag, 4);
	memcpy(q.b + 4, p.b, p.len);
	q.len = p.len + 4;
	wrap_sll(&q, 0x8100);
	assert_int_equal(decode(DLT_LINUX_SLL, &q, &seg), 0);
	assert_syn_v4(&seg, 0);
}

static void test_linux_sll2(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	syn(&p, 0);
	v4(&p);
	wrap_sll2(&p, 0x0800);
	assert_int_equal(decode(DLT_LINUX_SLL2, &p, &seg), 0);
	assert_syn_v4(&seg, 0);

	syn(&p, 7);
	v6(&p);
	wrap_sll2(&p, 0x86dd);
	assert_int_equal(decode(DLT_LINUX_SLL2, &p, &seg), 0);
	assert_syn_v6(&seg, 7);

	syn(&p, 0);
	v4(&p);
	wrap_sll2(&p, 0x0806);
	assert_int_equal(decode(DLT_LINUX_SLL2, &p, &seg), SKIPPED(NOT_IP));
}

/* LLC/SNAP without the Ethernet header (pkt.c's wrap_llc_snap adds one). */
static void snap_only(struct pkt *p, uint16_t ethertype)
{
	struct pkt q;
	static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
	memcpy(q.b, snap, 6);
	q.b[6] = (uint8_t)(ethertype >> 8);
	q.b[7] = (uint8_t)ethertype;
	memcpy(q.b + 8, p->b, p->len);
	q.len = p->len + 8;
	*p = q;
}

static void test_fddi(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	syn(&p, 8);
	v4(&p);
	snap_only(&p, 0x0800);
	wrap_fddi(&p);
	assert_int_equal(decode(DLT_FDDI, &p, &seg), 0);
	assert_syn_v4(&seg, 8);

	syn(&p, 8);
	v6(&p);
	snap_only(&p, 0x86dd);
	wrap_fddi(&p);
	assert_int_equal(decode(DLT_FDDI, &p, &seg), 0);
	assert_syn_v6(&seg, 8);

	/* SNAP around ARP; plain LLC: not IP. */
	pkt_raw(&p, "", 0);
	pkt_append(&p, 0, 28);
	snap_only(&p, 0x0806);
	wrap_fddi(&p);
	assert_int_equal(decode(DLT_FDDI, &p, &seg), SKIPPED(NOT_IP));
	pkt_raw(&p, "\x42\x42\x03\0\0\0\0\0", 8);
	pkt_append(&p, 0, 30);
	wrap_fddi(&p);
	assert_int_equal(decode(DLT_FDDI, &p, &seg), SKIPPED(NOT_IP));
}

static void test_null_and_loop(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	static const uint32_t inet6[] = {10, 24, 28, 30};

	for (int dlt = 0; dlt < 2; dlt++) {
		int d = dlt ? DLT_LOOP : DLT_NULL;
		for (int be = 0; be < 2; be++) {
			syn(&p, 1);
			v4(&p);
			wrap_null(&p, 2, be);
			assert_int_equal(decode(d, &p, &seg), 0);
			assert_syn_v4(&seg, 1);
			for (unsigned i = 0; i < 4; i++) {
				syn(&p, 2);
				v6(&p);
				wrap_null(&p, inet6[i], be);
				assert_int_equal(decode(d, &p, &seg), 0);
				assert_syn_v6(&seg, 2);
			}
			/* AF_APPLETALK, AF_IPX, or garbage: not IP. */
			syn(&p, 0);
			v4(&p);
			wrap_null(&p, 7, be);
			assert_int_equal(decode(d, &p, &seg), SKIPPED(NOT_IP));
			syn(&p, 0);
			v4(&p);
			wrap_null(&p, 0x12345678, be);
			assert_int_equal(decode(d, &p, &seg), SKIPPED(NOT_IP));
		}
	}
}

static void test_raw(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	static const int raw[] = {DLT_RAW, DLT_RAW_OPENBSD, DLT_LINKTYPE_RAW};

	for (unsigned i = 0; i < 3; i++) {
		syn(&p, 5);
		v4(&p);
		assert_int_equal(decode(raw[i], &p, &seg), 0);
		assert_syn_v4(&seg, 5);
		syn(&p, 5);
		v6(&p);
		assert_int_equal(decode(raw[i], &p, &seg), 0);
		assert_syn_v6(&seg, 5);
	}
	syn(&p, 0);
	v4(&p);
	assert_int_equal(decode(DLT_IPV4, &p, &seg), 0);
	assert_syn_v4(&seg, 0);
	syn(&p, 0);
	v6(&p);
	assert_int_equal(decode(DLT_IPV6, &p, &seg), 0);
	assert_syn_v6(&seg, 0);

	/* IP version nibble neither 4 nor 6. */
	for (int ver = 0; ver < 16; ver++) {
		if (ver == 4 || ver == 6)
			continue;
		syn(&p, 0);
		struct ip4_spec s = {.version = ver};
		wrap_ipv4(&p, &s);
		if (ver == 0) /* .version 0 means 4 to the builder */
			p.b[0] = 0x05;
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(IP_MALFORMED));
	}
}

static void test_unsupported_linktype(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	static const int dlts[] = {6 /* token ring */,
				   105 /* 802.11 */,
				   127 /* radiotap */,
				   147,
				   220,
				   9999,
				   -1};

	syn(&p, 0);
	v4(&p);
	wrap_eth(&p, 0x0800, NULL, 0);
	for (unsigned i = 0; i < sizeof dlts / sizeof dlts[0]; i++)
		assert_int_equal(decode(dlts[i], &p, &seg), SKIPPED(LINKTYPE));
	/* Whatever the length, even none. */
	assert_int_equal(decode_n(9999, &p, 0, &seg), SKIPPED(LINKTYPE));
}

/* ----------------------------------------------------- Ethernet stacking */

static void test_vlan(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	static const uint16_t one[] = {0x8100};
	static const uint16_t qinq[] = {0x88a8, 0x8100};
	static const uint16_t old_qinq[] = {0x9100, 0x8100};
	static const uint16_t deep[] = {0x88a8, 0x9100, 0x8100, 0x8100};
	static const uint16_t *stacks[] = {one, qinq, old_qinq, deep};
	static const size_t n[] = {1, 2, 2, 4};

	for (unsigned i = 0; i < 4; i++) {
		syn(&p, 4);
		v4(&p);
		wrap_eth(&p, 0x0800, stacks[i], n[i]);
		assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
		assert_syn_v4(&seg, 4);
		syn(&p, 4);
		v6(&p);
		wrap_eth(&p, 0x86dd, stacks[i], n[i]);
		assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
		assert_syn_v6(&seg, 4);
	}

	/* A single 0x88a8 or 0x9100 tag is followed like 0x8100. */
	static const uint16_t s_tag[] = {0x88a8}, old[] = {0x9100};
	syn(&p, 0);
	v4(&p);
	wrap_eth(&p, 0x0800, s_tag, 1);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	syn(&p, 0);
	v4(&p);
	wrap_eth(&p, 0x0800, old, 1);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);

	/* Tags all the way down, more than the decoder follows: not IP, and
	 * no read past the end. */
	uint16_t many[12];
	for (unsigned i = 0; i < 12; i++)
		many[i] = 0x8100;
	syn(&p, 0);
	v4(&p);
	wrap_eth(&p, 0x0800, many, 12);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(NOT_IP));

	/* A tag cut short. */
	syn(&p, 0);
	v4(&p);
	wrap_eth(&p, 0x0800, one, 1);
	assert_int_equal(decode_n(DLT_EN10MB, &p, 16, &seg),
			 SKIPPED(LINK_TRUNCATED));

	/* VLAN around ARP. */
	pkt_raw(&p, "\0\1\10\0\6\4\0\1", 8);
	wrap_eth(&p, 0x0806, one, 1);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(NOT_IP));
}

static void test_mpls(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	for (int labels = 1; labels <= 8; labels++) {
		syn(&p, 6);
		v4(&p);
		wrap_mpls(&p, labels);
		wrap_eth(&p, 0x8847, NULL, 0);
		assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
		assert_syn_v4(&seg, 6);
		syn(&p, 6);
		v6(&p);
		wrap_mpls(&p, labels);
		wrap_eth(&p, 0x8848, NULL, 0); /* multicast */
		assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
		assert_syn_v6(&seg, 6);
	}
	/* Under a VLAN tag. */
	static const uint16_t one[] = {0x8100};
	syn(&p, 0);
	v4(&p);
	wrap_mpls(&p, 2);
	wrap_eth(&p, 0x8847, one, 1);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);

	/* Deeper than followed: skipped, nothing read past the end. */
	syn(&p, 0);
	v4(&p);
	wrap_mpls(&p, 9);
	wrap_eth(&p, 0x8847, NULL, 0);
	assert_int_not_equal(decode(DLT_EN10MB, &p, &seg), 0);

	/* No bottom-of-stack bit anywhere: runs out of labels. */
	pkt_raw(&p, "", 0);
	pkt_append(&p, 0, 12);
	wrap_eth(&p, 0x8847, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(LINK_TRUNCATED));

	/* A payload that is neither IPv4 nor IPv6 (pseudowire control word:
	 * first nibble 0). */
	pkt_raw(&p, "", 0);
	pkt_append(&p, 0, 60);
	wrap_mpls(&p, 1);
	wrap_eth(&p, 0x8847, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(IP_MALFORMED));
}

static void test_pppoe(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	syn(&p, 2);
	v4(&p);
	wrap_pppoe(&p, 0x0021);
	wrap_eth(&p, 0x8864, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_syn_v4(&seg, 2);

	syn(&p, 2);
	v6(&p);
	wrap_pppoe(&p, 0x0057);
	wrap_eth(&p, 0x8864, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_syn_v6(&seg, 2);

	/* LCP, not IP. */
	pkt_raw(&p, "\1\1\0\4", 4);
	pkt_append(&p, 0, 30);
	wrap_pppoe(&p, 0xc021);
	wrap_eth(&p, 0x8864, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(NOT_IP));

	/* PPPoE under QinQ. */
	static const uint16_t qinq[] = {0x88a8, 0x8100};
	syn(&p, 0);
	v4(&p);
	wrap_pppoe(&p, 0x0021);
	wrap_eth(&p, 0x8864, qinq, 2);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_syn_v4(&seg, 0);
}

static void test_llc_snap_and_fabricpath(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	syn(&p, 0);
	v4(&p);
	wrap_llc_snap(&p, 0x0800);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_syn_v4(&seg, 0);

	syn(&p, 0);
	v6(&p);
	wrap_llc_snap(&p, 0x86dd);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_syn_v6(&seg, 0);

	/* Plain LLC (spanning tree), not SNAP. */
	pkt_raw(&p, "\x42\x42\x03\0\0\0\0\0", 8);
	pkt_append(&p, 0, 30);
	wrap_eth(&p, (uint16_t)p.len, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(NOT_IP));

	/* SNAP around ARP. */
	pkt_raw(&p, "", 0);
	pkt_append(&p, 0, 28);
	wrap_llc_snap(&p, 0x0806);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(NOT_IP));

	/* FabricPath around a tagged frame. */
	static const uint16_t one[] = {0x8100};
	syn(&p, 9);
	v4(&p);
	wrap_eth(&p, 0x0800, one, 1);
	wrap_fabricpath(&p);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_syn_v4(&seg, 9);
}

/* ------------------------------------------------------------------ IPv4 */

static void test_ipv4_options(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	uint8_t opts[40];

	/* Every option length the header can carry, 4 to 40 bytes. */
	for (size_t n = 4; n <= 40; n += 4) {
		memset(opts, 1, n); /* NOPs */
		opts[n - 1] = 0;    /* EOL */
		syn(&p, 11);
		struct ip4_spec s = {.opt = opts, .optlen = n};
		wrap_ipv4(&p, &s);
		assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
		assert_syn_v4(&seg, 11);
		assert_int_equal(seg.ip_len, 20 + n + 40 + 11);
	}

	/* Header length below 5 words. */
	for (int ihl = 0; ihl < 5; ihl++) {
		syn(&p, 0);
		struct ip4_spec s = {0};
		wrap_ipv4(&p, &s);
		p.b[0] = (uint8_t)(0x40 | ihl);
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(IP_MALFORMED));
	}
	/* Header length past what was captured. */
	plain(&p, F_ACK, 0);
	p.len = 4; /* 4 bytes only after the IP header */
	struct ip4_spec s = {.ihl = 15};
	wrap_ipv4(&p, &s);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(IP_TRUNCATED));
	/* Header length past the total length. */
	plain(&p, F_ACK, 0);
	struct ip4_spec s2 = {.ihl = 10, .set_total = 1, .total = 30};
	wrap_ipv4(&p, &s2);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(IP_MALFORMED));
}

static void test_ipv4_total_length(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	/* 0: what segmentation offload leaves; the captured length counts. */
	plain(&p, F_ACK | F_PSH, 1000);
	struct ip4_spec zero = {.set_total = 1, .total = 0};
	wrap_ipv4(&p, &zero);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.payload_len, 1000);
	assert_int_equal(seg.ip_len, 1040);
	wrap_eth(&p, 0x0800, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_int_equal(seg.payload_len, 1000);
	assert_int_equal(seg.ip_len, 1040);

	/* Below the header lengths. */
	for (int total = 1; total < 20; total++) {
		plain(&p, F_ACK, 0);
		struct ip4_spec s = {.set_total = 1, .total = (uint16_t)total};
		wrap_ipv4(&p, &s);
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(IP_MALFORMED));
	}
	/* Room for the IP header, not for TCP's. */
	for (int total = 20; total < 40; total++) {
		plain(&p, F_ACK, 0);
		struct ip4_spec s = {.set_total = 1, .total = (uint16_t)total};
		wrap_ipv4(&p, &s);
		int rc = decode(DLT_RAW, &p, &seg);
		assert_true(rc == SKIPPED(TCP_TRUNCATED) ||
			    rc == SKIPPED(TCP_MALFORMED));
	}
	/* Longer than captured (a snap length): payload from the header. */
	plain(&p, F_ACK, 0);
	struct ip4_spec big = {.set_total = 1, .total = 1500};
	wrap_ipv4(&p, &big);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.payload_len, 1460);
	assert_int_equal(seg.ip_len, 1500);
	plain(&p, F_ACK, 0);
	struct ip4_spec max = {.set_total = 1, .total = 65535};
	wrap_ipv4(&p, &max);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.payload_len, 65535 - 40);
}

static void test_ethernet_padding(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	/* A bare ACK is 54 bytes; Ethernet pads it to 60 (64 with FCS). */
	for (size_t pad = 1; pad <= 10; pad++) {
		plain(&p, F_ACK, 0);
		v4(&p);
		wrap_eth(&p, 0x0800, NULL, 0);
		pkt_append(&p, 0, pad);
		assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
		assert_int_equal(seg.payload_len, 0);
		assert_int_equal(seg.ip_len, 40);
	}
	/* Padding after a 1-byte keepalive probe. */
	plain(&p, F_ACK, 1);
	v4(&p);
	static const uint16_t one[] = {0x8100};
	wrap_eth(&p, 0x0800, one, 1);
	pkt_append(&p, 0xff, 5);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_int_equal(seg.payload_len, 1);
	/* IPv6 after a short trailer (some switches append one). */
	plain(&p, F_ACK, 0);
	v6(&p);
	wrap_eth(&p, 0x86dd, NULL, 0);
	pkt_append(&p, 0xaa, 4);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_int_equal(seg.payload_len, 0);
	assert_int_equal(seg.ip_len, 60);
}

static void test_ipv4_fragments(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	/* First fragment: the TCP header is there. */
	syn(&p, 100);
	struct ip4_spec first = {.mf = 1, .frag = 0};
	wrap_ipv4(&p, &first);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_syn_v4(&seg, 100);

	/* Non-first fragments: counted and skipped, whatever they hold. */
	static const uint16_t offs[] = {1, 3, 185, 0x1fff};
	for (unsigned i = 0; i < 4; i++) {
		for (int mf = 0; mf < 2; mf++) {
			syn(&p, 100);
			struct ip4_spec s = {.mf = mf, .frag = offs[i]};
			wrap_ipv4(&p, &s);
			assert_int_equal(decode(DLT_RAW, &p, &seg),
					 SKIPPED(FRAGMENT));
		}
	}
	/* Even one too short to hold a TCP header. */
	pkt_raw(&p, "abcd", 4);
	struct ip4_spec s = {.frag = 10};
	wrap_ipv4(&p, &s);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(FRAGMENT));
}

static void test_not_tcp(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	pkt_raw(&p, "\x00\x35\x00\x35\x00\x08\x00\x00", 8);
	struct ip4_spec udp = {.proto = 17};
	wrap_ipv4(&p, &udp);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(NOT_TCP));

	pkt_raw(&p, "\x08\x00\x00\x00\x00\x00\x00\x00", 8);
	struct ip4_spec icmp = {.proto = 1};
	wrap_ipv4(&p, &icmp);
	wrap_eth(&p, 0x0800, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(NOT_TCP));

	static const uint8_t others[] = {17, 58, 59, 50, 132, 255};
	for (unsigned i = 0; i < sizeof others; i++) {
		pkt_raw(&p, "\x00\x35\x00\x35\x00\x08\x00\x00", 8);
		struct ip6_spec s = {.next = others[i]};
		wrap_ipv6(&p, &s);
		assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(NOT_TCP));
	}
}

/* ------------------------------------------------------------------ IPv6 */

static void test_ipv6_extensions(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	const struct ip6_ext all[] = {
		{.type = 0, .len = 8, .hdrlen = -1},   /* hop-by-hop */
		{.type = 60, .len = 24, .hdrlen = -1}, /* destination */
		{.type = 43, .len = 16, .hdrlen = -1}, /* routing */
		{.type = 44, .len = 8, .hdrlen = -1},  /* fragment, first */
		{.type = 51, .len = 24, .hdrlen = -1}, /* AH */
		{.type = 60, .len = 8, .hdrlen = -1},  /* destination */
	};
	syn(&p, 13);
	struct ip6_spec s = {.ext = all, .n_ext = 6};
	wrap_ipv6(&p, &s);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_syn_v6(&seg, 13);
	assert_int_equal(seg.ip_len, 40 + 88 + 40 + 13);

	/* Each alone, and the other extension headers that have the common
	 * length format (mobility, HIP, shim6). */
	static const uint8_t types[] = {0, 43, 60, 44, 51, 135, 139, 140};
	for (unsigned i = 0; i < sizeof types; i++) {
		struct ip6_ext one = {
			.type = types[i], .len = 16, .hdrlen = -1};
		if (types[i] == 44)
			one.len = 8;
		syn(&p, 1);
		struct ip6_spec s1 = {.ext = &one, .n_ext = 1};
		wrap_ipv6(&p, &s1);
		assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
		assert_syn_v6(&seg, 1);
	}

	/* Fragments: the first has the TCP header; the others are skipped. */
	struct ip6_ext frag = {.type = 44,
			       .len = 8,
			       .hdrlen = -1,
			       .frag_off = 0,
			       .frag_more = 1};
	syn(&p, 0);
	struct ip6_spec sf = {.ext = &frag, .n_ext = 1};
	wrap_ipv6(&p, &sf);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	frag.frag_off = 1;
	for (int more = 0; more < 2; more++) {
		frag.frag_more = more;
		syn(&p, 0);
		wrap_ipv6(&p, &sf);
		assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(FRAGMENT));
	}
	frag.frag_off = 0x1fff;
	syn(&p, 0);
	wrap_ipv6(&p, &sf);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(FRAGMENT));
	/* A non-first fragment behind other extensions. */
	const struct ip6_ext hop_frag[] = {
		{.type = 0, .len = 8, .hdrlen = -1},
		{.type = 44, .len = 8, .hdrlen = -1, .frag_off = 100},
	};
	syn(&p, 0);
	struct ip6_spec shf = {.ext = hop_frag, .n_ext = 2};
	wrap_ipv6(&p, &shf);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(FRAGMENT));

	/* ESP and "no next header" end the chain: not TCP. */
	struct ip6_ext hop = {.type = 0, .len = 8, .hdrlen = -1};
	syn(&p, 0);
	struct ip6_spec esp = {.ext = &hop, .n_ext = 1, .next = 50};
	wrap_ipv6(&p, &esp);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(NOT_TCP));
	syn(&p, 0);
	struct ip6_spec none = {.ext = &hop, .n_ext = 1, .next = 59};
	wrap_ipv6(&p, &none);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(NOT_TCP));
}

static void test_ipv6_chain_limits(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	struct ip6_ext chain[20];

	for (unsigned i = 0; i < 20; i++)
		chain[i] = (struct ip6_ext){.type = 60, .len = 8, .hdrlen = -1};
	/* 16 extension headers are followed, 17 are too many. */
	syn(&p, 0);
	struct ip6_spec s16 = {.ext = chain, .n_ext = 16};
	wrap_ipv6(&p, &s16);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_syn_v6(&seg, 0);
	syn(&p, 0);
	struct ip6_spec s17 = {.ext = chain, .n_ext = 17};
	wrap_ipv6(&p, &s17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(IP6_EXT));

	/* An extension whose length runs past the packet. */
	struct ip6_ext lie = {.type = 60, .len = 8, .hdrlen = 255};
	syn(&p, 0);
	struct ip6_spec sl = {.ext = &lie, .n_ext = 1};
	wrap_ipv6(&p, &sl);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(IP6_EXT));
	struct ip6_ext ah_lie = {.type = 51, .len = 16, .hdrlen = 255};
	syn(&p, 0);
	struct ip6_spec sa = {.ext = &ah_lie, .n_ext = 1};
	wrap_ipv6(&p, &sa);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(IP6_EXT));

	/* An extension past the payload length (though captured). */
	struct ip6_ext dst = {.type = 60, .len = 16, .hdrlen = -1};
	syn(&p, 0);
	struct ip6_spec sp = {
		.ext = &dst, .n_ext = 1, .set_plen = 1, .plen = 8};
	wrap_ipv6(&p, &sp);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(IP6_EXT));

	/* Cut in the middle of the chain by the capture. */
	const struct ip6_ext two[] = {
		{.type = 0, .len = 8, .hdrlen = -1},
		{.type = 60, .len = 32, .hdrlen = -1},
	};
	syn(&p, 0);
	struct ip6_spec st = {.ext = two, .n_ext = 2};
	wrap_ipv6(&p, &st);
	for (size_t cut = 41; cut < 40 + 40; cut++)
		assert_int_equal(decode_n(DLT_RAW, &p, cut, &seg),
				 SKIPPED(IP6_EXT));

	/* Payload length 0 with more captured: a jumbogram or offload; the
	 * capture's length counts. */
	plain(&p, F_ACK, 100);
	struct ip6_spec jumbo = {.set_plen = 1, .plen = 0};
	wrap_ipv6(&p, &jumbo);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.payload_len, 100);
	/* Payload length larger than captured: payload from the header. */
	plain(&p, F_ACK, 0);
	struct ip6_spec big = {.set_plen = 1, .plen = 65535};
	wrap_ipv6(&p, &big);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.payload_len, 65535 - 20);
	/* Payload length too small for the TCP header. */
	for (int plen = 1; plen < 20; plen++) {
		plain(&p, F_ACK, 0);
		struct ip6_spec sm = {.set_plen = 1, .plen = (uint16_t)plen};
		wrap_ipv6(&p, &sm);
		int rc = decode(DLT_RAW, &p, &seg);
		assert_true(rc == SKIPPED(TCP_TRUNCATED) ||
			    rc == SKIPPED(TCP_MALFORMED));
	}
	/* Bad version in an IPv6 link type's header. */
	syn(&p, 0);
	struct ip6_spec bad = {.version = 7};
	wrap_ipv6(&p, &bad);
	assert_int_equal(decode(DLT_IPV6, &p, &seg), SKIPPED(IP_MALFORMED));
}

/* ------------------------------------------------------------------- TCP */

/* Decodes a SYN carrying these option bytes (padded with EOL to a word). */
static struct segment with_options(const uint8_t *opt, size_t n)
{
	uint8_t buf[40] = {0};
	memcpy(buf, opt, n);
	struct tcp_spec t = {.sport = SPORT,
			     .dport = DPORT,
			     .seq = SEQ,
			     .flags = F_SYN,
			     .win = 1000,
			     .opt = buf,
			     .optlen = (n + 3) / 4 * 4};
	struct pkt p;
	pkt_tcp(&p, &t);
	v4(&p);
	struct segment seg;
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.seq, SEQ);
	return seg;
}

#define OPTS(...)  ((const uint8_t[]){__VA_ARGS__})
#define NOPTS(...) sizeof((const uint8_t[]){__VA_ARGS__})
#define WITH(...)  with_options(OPTS(__VA_ARGS__), NOPTS(__VA_ARGS__))

static void test_tcp_options(void **state)
{
	(void)state;
	struct segment s;

	s = WITH(2, 4, 0x05, 0xb4);
	assert_int_equal(s.options, OPT_MSS);
	assert_int_equal(s.mss, 1460);
	s = WITH(2, 4, 0xff, 0xff);
	assert_int_equal(s.mss, 65535);

	for (int shift = 0; shift <= 255; shift++) {
		s = WITH(1, 3, 3, (uint8_t)shift);
		assert_int_equal(s.options, OPT_WSCALE);
		/* RFC 7323: a shift above 14 is taken as 14. */
		assert_int_equal(s.wscale, shift > 14 ? 14 : shift);
	}

	s = WITH(4, 2);
	assert_int_equal(s.options, OPT_SACK_OK);

	s = WITH(1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04);
	assert_int_equal(s.options, OPT_TIMESTAMP);
	assert_int_equal(s.tsval, 0xdeadbeef);
	assert_int_equal(s.tsecr, 0x01020304);

	/* All of them, Linux's layout. */
	s = with_options(SYN_OPTIONS, sizeof SYN_OPTIONS);
	assert_int_equal(s.options,
			 OPT_MSS | OPT_WSCALE | OPT_SACK_OK | OPT_TIMESTAMP);
	assert_int_equal(s.mss, 1460);
	assert_int_equal(s.wscale, 7);

	/* SACK blocks (kept: test_tcp_options_sack), then the next option;
	 * MD5, TFO, unknown kinds: skipped by their length. */
	s = WITH(5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 2, 4, 0x02, 0x00);
	assert_int_equal(s.options, OPT_SACK | OPT_MSS);
	assert_int_equal(s.mss, 512);
	s = WITH(19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		 3, 3, 2);
	assert_int_equal(s.options, OPT_WSCALE);
	assert_int_equal(s.wscale, 2);
	s = WITH(34, 2, 254, 4, 0xf9, 0x89, 4, 2);
	assert_int_equal(s.options, OPT_SACK_OK);

	/* NOPs only; EOL ends the list, whatever follows it. */
	s = WITH(1, 1, 1, 1);
	assert_int_equal(s.options, 0);
	s = WITH(0, 2, 4, 0x05, 0xb4);
	assert_int_equal(s.options, 0);
	s = WITH(4, 2, 0, 0xff, 0xff, 0xff);
	assert_int_equal(s.options, OPT_SACK_OK);
}

static void test_tcp_options_malformed(void **state)
{
	(void)state;
	struct segment s;

	/* Lengths below 2: parsing cannot go on. */
	s = WITH(2, 0, 0, 0);
	assert_true(s.options & OPT_MALFORMED);
	s = WITH(30, 1, 2, 4, 1, 0);
	assert_true(s.options & OPT_MALFORMED);
	assert_false(s.options & OPT_MSS);
	/* A kind in the last byte, with no room for its length. */
	s = WITH(1, 1, 1, 2);
	assert_true(s.options & OPT_MALFORMED);
	/* Longer than the options area. */
	s = WITH(2, 5, 1, 1);
	assert_true(s.options & OPT_MALFORMED);
	assert_false(s.options & OPT_MSS);
	s = WITH(30, 255, 0, 0);
	assert_true(s.options & OPT_MALFORMED);
	s = WITH(1, 1, 1, 8, 10, 0, 0, 0);
	assert_true(s.options & OPT_MALFORMED);
	assert_false(s.options & OPT_TIMESTAMP);

	/* Known kinds with the wrong length. */
	static const uint8_t bad[][12] = {
		{2, 3, 5, 0},			       /* MSS is 4 */
		{2, 6, 5, 0xb4, 0, 0, 0, 0},	       /* MSS is 4 */
		{3, 2, 1, 1},			       /* WS is 3 */
		{3, 4, 7, 0},			       /* WS is 3 */
		{4, 3, 0, 1},			       /* SACK-permitted is 2 */
		{4, 4, 0, 0},			       /* SACK-permitted is 2 */
		{8, 8, 0, 0, 0, 1, 0, 0},	       /* timestamps are 10 */
		{8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}, /* timestamps are 10 */
	};
	static const uint8_t flag[] = {OPT_MSS,	      OPT_MSS,	    OPT_WSCALE,
				       OPT_WSCALE,    OPT_SACK_OK,  OPT_SACK_OK,
				       OPT_TIMESTAMP, OPT_TIMESTAMP};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = (size_t)bad[i][1] < 4 ? 4 : bad[i][1];
		s = with_options(bad[i], n);
		assert_true(s.options & OPT_MALFORMED);
		assert_false(s.options & flag[i]);
	}
	/* Options before the bad one still count. */
	s = WITH(2, 4, 0x05, 0xb4, 3, 0);
	assert_true(s.options & OPT_MALFORMED);
	assert_true(s.options & OPT_MSS);
	assert_int_equal(s.mss, 1460);
}

/* SACK blocks (kind 5): the first is kept; a bad length or an empty or
 * inverted block is a malformed option, counted as any other; a block cut
 * by the snap length is only cut. */
static void test_tcp_options_sack(void **state)
{
	(void)state;
	struct segment s;

	/* struct segment carries the first block in 8 bytes. */
	assert_int_equal(sizeof(struct segment), 88);

	/* One block, after timestamps as Linux sends it. */
	s = WITH(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10, 0, 0, 0x06,
		 0x4c, 0, 0, 0x07, 0x14);
	assert_int_equal(s.options, OPT_TIMESTAMP | OPT_SACK);
	assert_int_equal(s.sack_left, 1612);
	assert_int_equal(s.sack_right, 1812);
	/* Three blocks: the first is kept. */
	s = WITH(1, 1, 5, 26, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0,
		 40, 0, 0, 0, 50, 0, 0, 0, 60);
	assert_int_equal(s.options, OPT_SACK);
	assert_int_equal(s.sack_left, 10);
	assert_int_equal(s.sack_right, 20);
	/* A block across the wrap of the sequence space. */
	s = WITH(5, 10, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10);
	assert_int_equal(s.options, OPT_SACK);
	assert_int_equal(s.sack_left, 0xfffffff0u);
	assert_int_equal(s.sack_right, 0x10);
	/* A second SACK option does not replace the first. */
	s = WITH(5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 5, 10, 0, 0, 0, 3, 0, 0, 0, 4);
	assert_int_equal(s.sack_left, 1);
	assert_int_equal(s.sack_right, 2);

	/* Malformed: no block, a partial block, an empty or inverted one,
	 * longer than the options area. */
	static const uint8_t bad[][20] = {
		{5, 2, 1, 1},
		{5, 6, 0, 0, 0, 1},
		{5, 9, 0, 0, 0, 1, 0, 0, 0},
		{5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0},
		{5, 17, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0},
		{5, 10, 0, 0, 0, 5, 0, 0, 0, 5},
		{5, 10, 0, 0, 0, 9, 0, 0, 0, 5},
		{5, 10, 0, 0, 0, 0, 0x80, 0, 0, 0},
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = (size_t)bad[i][1] < 4 ? 4 : bad[i][1];
		s = with_options(bad[i], n);
		assert_true(s.options & OPT_MALFORMED);
		assert_false(s.options & OPT_SACK);
		assert_int_equal(s.sack_left, 0);
		assert_int_equal(s.sack_right, 0);
	}
	/* Its length past the header (the header holds 12 option bytes). */
	s = WITH(1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2);
	assert_true(s.options & OPT_MALFORMED);
	assert_false(s.options & OPT_SACK);
	/* Options before a bad SACK still count; parsing stops at neither. */
	s = WITH(2, 4, 0x05, 0xb4, 5, 10, 0, 0, 0, 2, 0, 0, 0, 1, 1, 1, 3, 3, 7,
		 0);
	assert_true(s.options & OPT_MALFORMED);
	assert_true(s.options & OPT_MSS);
	assert_true(s.options & OPT_WSCALE);
	assert_false(s.options & OPT_SACK);
}

/* A SACK option cut by the snap length at every byte: never malformed,
 * never a block from bytes not captured. */
static void test_snaplen_cuts_sack(void **state)
{
	(void)state;
	uint8_t opt[12] = {1, 1, 5, 10, 0, 0, 0x06, 0x4c, 0, 0, 0x07, 0x14};
	struct tcp_spec t = {.sport = SPORT,
			     .dport = DPORT,
			     .seq = SEQ,
			     .ack = ACK,
			     .flags = F_ACK,
			     .win = 1000,
			     .opt = opt,
			     .optlen = sizeof opt};
	struct pkt p;
	struct segment seg;

	pkt_tcp(&p, &t);
	v4(&p);
	wrap_eth(&p, 0x0800, NULL, 0);
	for (size_t cut = 14 + 20 + 20; cut <= p.len; cut++) {
		assert_int_equal(decode_n(DLT_EN10MB, &p, cut, &seg), 0);
		assert_false(seg.options & OPT_MALFORMED);
		if (cut - 54 >= sizeof opt) {
			assert_int_equal(seg.options, OPT_SACK);
			assert_int_equal(seg.sack_left, 1612);
			assert_int_equal(seg.sack_right, 1812);
		} else {
			assert_false(seg.options & OPT_SACK);
		}
	}
}

static void test_tcp_data_offset(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	/* Below 5 words. */
	for (int doff = 0; doff < 5; doff++) {
		struct tcp_spec t = {.sport = 1,
				     .dport = 2,
				     .flags = F_ACK,
				     .doff = doff,
				     .payload = 40};
		pkt_tcp(&p, &t);
		if (doff == 0)
			p.b[12] = 0;
		v4(&p);
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(TCP_MALFORMED));
	}
	/* Past the datagram (IPv4 and IPv6). */
	for (int doff = 6; doff <= 15; doff++) {
		struct tcp_spec t = {
			.sport = 1, .dport = 2, .flags = F_ACK, .doff = doff};
		pkt_tcp(&p, &t);
		v4(&p);
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(TCP_MALFORMED));
		pkt_tcp(&p, &t);
		v6(&p);
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(TCP_MALFORMED));
	}
	/* Exactly the datagram: a header with no payload. */
	struct tcp_spec t = {.sport = 1,
			     .dport = 2,
			     .flags = F_ACK,
			     .opt = OPTS(1, 1, 1, 1),
			     .optlen = 4};
	pkt_tcp(&p, &t);
	v4(&p);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.payload_len, 0);
}

static void test_snaplen_cuts_options(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	syn(&p, 0);
	v4(&p);
	wrap_eth(&p, 0x0800, NULL, 0);
	/* Every cut from the end of the fixed header to the end of the
	 * options: the fixed header is decoded, and the options wholly
	 * captured are parsed. */
	for (size_t cut = 14 + 20 + 20; cut < p.len; cut++) {
		assert_int_equal(decode_n(DLT_EN10MB, &p, cut, &seg), 0);
		assert_int_equal(seg.sport, SPORT);
		assert_int_equal(seg.dport, DPORT);
		assert_int_equal(seg.seq, SEQ);
		assert_int_equal(seg.ack, ACK);
		assert_int_equal(seg.flags, F_SYN | F_ACK);
		assert_int_equal(seg.window, 0xfaf0);
		assert_int_equal(seg.payload_len, 0);
		assert_int_equal(seg.ip_len, 60);
		size_t opt = cut - 54;
		if (opt >= 4) {
			assert_true(seg.options & OPT_MSS);
			assert_int_equal(seg.mss, 1460);
		} else {
			assert_false(seg.options & OPT_MSS);
		}
		assert_int_equal((seg.options & OPT_SACK_OK) != 0, opt >= 6);
		assert_int_equal((seg.options & OPT_TIMESTAMP) != 0, opt >= 16);
		assert_false(seg.options & OPT_WSCALE);
	}
}

static void test_snaplen_cut_is_not_malformed(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	syn(&p, 0);
	v4(&p);
	wrap_eth(&p, 0x0800, NULL, 0);
	/* An option that runs past the captured bytes but not past the
	 * header is cut by the capture, not malformed: with tcpdump -s 68
	 * every SYN would count as a bad one. */
	for (size_t cut = 14 + 20 + 20; cut < p.len; cut++) {
		assert_int_equal(decode_n(DLT_EN10MB, &p, cut, &seg), 0);
		assert_false(seg.options & OPT_MALFORMED);
	}
}

/* ------------------------------------------------- truncation, every byte */

struct good {
	const char *name;
	int dlt;
	struct pkt p;
	size_t link, ip, tcp; /* header lengths: link layers, IP (+ext), TCP */
	int family;
};

#define NGOOD 40

/* Wraps the datagram in p (of ip_hdr header bytes) as dlt, variant v. */
static int make_good(struct good *g, int dlt, int family, int variant,
		     int ipopts)
{
	static const uint8_t ip_opt[12] = {7, 11, 4, 10, 0, 0, 1, 10, 0, 0, 2};
	static const uint16_t tags1[] = {0x8100};
	static const uint16_t tags2[] = {0x88a8, 0x8100};
	static const uint16_t tags3[] = {0x9100, 0x8100};
	const struct ip6_ext ext[] = {
		{.type = 0, .len = 8, .hdrlen = -1},
		{.type = 43, .len = 24, .hdrlen = -1},
		{.type = 44, .len = 8, .hdrlen = -1},
		{.type = 51, .len = 16, .hdrlen = -1},
		{.type = 60, .len = 16, .hdrlen = -1},
	};
	uint16_t et = family == 4 ? 0x0800 : 0x86dd;

	memset(g, 0, sizeof *g);
	g->dlt = dlt;
	g->family = family;
	syn(&g->p, 3);
	g->tcp = 40;
	if (family == 4) {
		struct ip4_spec s = {.opt = ipopts ? ip_opt : NULL,
				     .optlen = ipopts ? sizeof ip_opt : 0};
		wrap_ipv4(&g->p, &s);
		g->ip = 20 + s.optlen;
	} else {
		struct ip6_spec s = {.ext = ipopts ? ext : NULL,
				     .n_ext = ipopts ? 5 : 0};
		wrap_ipv6(&g->p, &s);
		g->ip = 40 + (ipopts ? 72 : 0);
	}
	size_t dgram = g->p.len;
	g->name = "?";
	switch (dlt) {
	case DLT_EN10MB:
		switch (variant) {
		case 0:
			wrap_eth(&g->p, et, NULL, 0);
			g->name = "eth";
			break;
		case 1:
			wrap_eth(&g->p, et, tags1, 1);
			g->name = "vlan";
			break;
		case 2:
			wrap_eth(&g->p, et, tags2, 2);
			g->name = "qinq";
			break;
		case 3:
			wrap_eth(&g->p, et, tags3, 2);
			g->name = "qinq9100";
			break;
		case 4:
			wrap_mpls(&g->p, 3);
			wrap_eth(&g->p, 0x8847, NULL, 0);
			g->name = "mpls";
			break;
		case 5:
			wrap_pppoe(&g->p, family == 4 ? 0x0021 : 0x0057);
			wrap_eth(&g->p, 0x8864, tags1, 1);
			g->name = "pppoe";
			break;
		case 6:
			wrap_llc_snap(&g->p, et);
			g->name = "snap";
			break;
		case 7:
			wrap_eth(&g->p, et, tags1, 1);
			wrap_fabricpath(&g->p);
			g->name = "fabricpath";
			break;
		default:
			return 0;
		}
		break;
	case DLT_FDDI:
		if (variant)
			return 0;
		snap_only(&g->p, et);
		wrap_fddi(&g->p);
		g->name = "fddi";
		break;
	case DLT_LINUX_SLL:
		if (variant)
			return 0;
		wrap_sll(&g->p, et);
		g->name = "sll";
		break;
	case DLT_LINUX_SLL2:
		if (variant)
			return 0;
		wrap_sll2(&g->p, et);
		g->name = "sll2";
		break;
	case DLT_NULL:
	case DLT_LOOP:
		if (variant > 1)
			return 0;
		wrap_null(&g->p, family == 4 ? 2 : 30, variant);
		g->name = "null";
		break;
	default: /* raw */
		if (variant || (dlt == DLT_IPV4 && family != 4) ||
		    (dlt == DLT_IPV6 && family != 6))
			return 0;
		g->name = "raw";
		break;
	}
	g->link = g->p.len - dgram;
	return 1;
}

/* What decoding the first `len` bytes of g must say. */
static int expected(const struct good *g, size_t len)
{
	if (len < g->link)
		return SKIPPED(LINK_TRUNCATED);
	size_t fixed_ip = g->family == 4 ? 20 : 40;
	if (len < g->link + fixed_ip)
		return SKIPPED(IP_TRUNCATED);
	if (len < g->link + g->ip)
		return g->family == 4 ? SKIPPED(IP_TRUNCATED)
				      : SKIPPED(IP6_EXT);
	if (len < g->link + g->ip + 20)
		return SKIPPED(TCP_TRUNCATED);
	return 0;
}

static void test_truncation_every_byte(void **state)
{
	(void)state;
	static const int dlts[] = {
		DLT_EN10MB,	  DLT_FDDI, DLT_LINUX_SLL, DLT_LINUX_SLL2,
		DLT_NULL,	  DLT_LOOP, DLT_RAW,	   DLT_RAW_OPENBSD,
		DLT_LINKTYPE_RAW, DLT_IPV4, DLT_IPV6};
	struct good g;
	struct segment full, seg;
	int packets = 0;

	for (unsigned d = 0; d < sizeof dlts / sizeof dlts[0]; d++)
		for (int family = 4; family <= 6; family += 2)
			for (int ipopts = 0; ipopts < 2; ipopts++)
				for (int v = 0; v < 8; v++) {
					if (!make_good(&g, dlts[d], family, v,
						       ipopts))
						continue;
					packets++;
					assert_int_equal(
						decode(g.dlt, &g.p, &full), 0);
					if (family == 4)
						assert_syn_v4(&full, 3);
					else
						assert_syn_v6(&full, 3);
					for (size_t len = 0; len < g.p.len;
					     len++) {
						int rc = decode_n(g.dlt, &g.p,
								  len, &seg);
						int want = expected(&g, len);
						if (rc != want)
							fail_msg("%s (dlt %d, "
								 "IPv%d%s) cut "
								 "at %zu of "
								 "%zu: %d, "
								 "expected %d",
								 g.name, g.dlt,
								 family,
								 ipopts ? " +"
									  "opts"
									: "",
								 len, g.p.len,
								 rc, want);
						if (rc)
							continue;
						/* The fixed header is whole. */
						assert_int_equal(seg.sport,
								 full.sport);
						assert_int_equal(seg.dport,
								 full.dport);
						assert_int_equal(seg.seq,
								 full.seq);
						assert_int_equal(seg.ack,
								 full.ack);
						assert_int_equal(seg.flags,
								 full.flags);
						assert_int_equal(
							seg.payload_len,
							full.payload_len);
						assert_int_equal(seg.ip_len,
								 full.ip_len);
						assert_memory_equal(
							seg.src, full.src, 16);
						assert_memory_equal(
							seg.dst, full.dst, 16);
					}
				}
	/* eth x 8 variants, fddi, sll, sll2, null x 2, loop x 2, three raws:
	 * for each of IPv4 and IPv6, with and without IP options; IPV4 and
	 * IPV6 one family each. */
	assert_int_equal(packets, (8 + 1 + 1 + 1 + 2 + 2 + 3) * 4 + 2 * 2);
}

/* Arbitrary bytes of every length under every link type, from a fixed
 * pseudo-random sequence: no crash, no read past the end, a valid result. */
static void test_garbage(void **state)
{
	(void)state;
	static const int dlts[] = {
		DLT_EN10MB, DLT_FDDI, DLT_LINUX_SLL,  DLT_LINUX_SLL2,
		DLT_NULL,   DLT_LOOP, DLT_RAW,	      DLT_IPV4,
		DLT_IPV6,   DLT_PPP,  DLT_PPP_SERIAL, DLT_C_HDLC,
		DLT_NFLOG,  DLT_PKTAP};
	uint32_t x = 12345;
	struct pkt p;
	struct segment seg;

	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t)(round % 150);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			p.b[i] = (uint8_t)(x >> 16);
		}
		/* Bias towards plausible headers so that decoding gets deep. */
		if (len > 20 && round % 3 == 0)
			p.b[0] = (uint8_t)(round % 2 ? 0x45 : 0x60);
		p.len = len;
		for (unsigned d = 0; d < sizeof dlts / sizeof dlts[0]; d++) {
			int rc = decode(dlts[d], &p, &seg);
			assert_in_range(rc, 0, TCPFSM_SKIP_NREASONS);
			if (rc == 0) {
				assert_true(seg.family == 4 || seg.family == 6);
				assert_true(seg.ip_len >= 20);
			}
		}
	}
}

/* ------------------------------------------------ more link layers, tags */

static void test_pbb_and_vntag(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	static const uint16_t btag[] = {0x88a8};
	static const uint16_t one[] = {0x8100};

	for (int fam = 4; fam <= 6; fam += 2) {
		uint16_t et = fam == 4 ? 0x0800 : 0x86dd;
		/* 802.1ah: the customer's frame, tagged or not, behind an
		 * I-TAG, itself behind a B-TAG or not. */
		for (int tagged = 0; tagged < 2; tagged++)
			for (int b = 0; b < 2; b++) {
				syn(&p, 5);
				fam == 4 ? v4(&p) : v6(&p);
				wrap_eth(&p, et, one, (size_t)tagged);
				wrap_pbb(&p, btag, (size_t)b);
				assert_int_equal(decode(DLT_EN10MB, &p, &seg),
						 0);
				if (fam == 4)
					assert_syn_v4(&seg, 5);
				else
					assert_syn_v6(&seg, 5);
				assert_int_equal(seg.tunnels, 0);
			}
		/* VN-Tag alone, before a VLAN tag, between two. */
		static const uint16_t vn[] = {0x8926};
		static const uint16_t vn_vlan[] = {0x8926, 0x8100};
		static const uint16_t vlan_vn_vlan[] = {0x88a8, 0x8926, 0x8100};
		static const uint16_t *stacks[] = {vn, vn_vlan, vlan_vn_vlan};
		for (unsigned i = 0; i < 3; i++) {
			syn(&p, 1);
			fam == 4 ? v4(&p) : v6(&p);
			wrap_eth(&p, et, stacks[i], i + 1);
			assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
			assert_int_equal(seg.family, fam);
			assert_int_equal(seg.sport, SPORT);
		}
	}
	/* A PBB frame around ARP: not IP. */
	pkt_raw(&p, "\0\1\10\0\6\4\0\1", 8);
	pkt_append(&p, 0, 20);
	wrap_eth(&p, 0x0806, NULL, 0);
	wrap_pbb(&p, NULL, 0);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), SKIPPED(NOT_IP));
}

static void test_ppp_and_hdlc(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	for (int acfc = 0; acfc < 2; acfc++)
		for (int pfc = 0; pfc < 2; pfc++) {
			syn(&p, 2);
			v4(&p);
			wrap_ppp(&p, 0x0021, acfc, pfc);
			assert_int_equal(decode(DLT_PPP, &p, &seg), 0);
			assert_syn_v4(&seg, 2);
			syn(&p, 2);
			v6(&p);
			wrap_ppp(&p, 0x0057, acfc, pfc);
			assert_int_equal(decode(DLT_PPP, &p, &seg), 0);
			assert_syn_v6(&seg, 2);
		}
	/* PPP_SERIAL: RFC 1662 framing or Cisco HDLC. */
	syn(&p, 0);
	v4(&p);
	wrap_ppp(&p, 0x0021, 0, 0);
	assert_int_equal(decode(DLT_PPP_SERIAL, &p, &seg), 0);
	assert_syn_v4(&seg, 0);
	syn(&p, 0);
	v6(&p);
	wrap_chdlc(&p, 0x86dd);
	assert_int_equal(decode(DLT_PPP_SERIAL, &p, &seg), 0);
	assert_syn_v6(&seg, 0);
	syn(&p, 0);
	v4(&p);
	wrap_chdlc(&p, 0x0800);
	assert_int_equal(decode(DLT_C_HDLC, &p, &seg), 0);
	assert_syn_v4(&seg, 0);
	/* MPLS over PPP and over HDLC. */
	syn(&p, 0);
	v4(&p);
	wrap_mpls(&p, 2);
	wrap_ppp(&p, 0x0281, 0, 0);
	assert_int_equal(decode(DLT_PPP, &p, &seg), 0);
	syn(&p, 0);
	v6(&p);
	wrap_mpls(&p, 1);
	wrap_chdlc(&p, 0x8847);
	assert_int_equal(decode(DLT_C_HDLC, &p, &seg), 0);
	/* LCP; SLARP: not IP. */
	pkt_raw(&p, "\1\1\0\4", 4);
	wrap_ppp(&p, 0xc021, 0, 0);
	assert_int_equal(decode(DLT_PPP, &p, &seg), SKIPPED(NOT_IP));
	pkt_raw(&p, "\0\0\0\2", 4);
	pkt_append(&p, 0, 16);
	wrap_chdlc(&p, 0x8035);
	assert_int_equal(decode(DLT_C_HDLC, &p, &seg), SKIPPED(NOT_IP));
}

static void test_nflog(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	/* Prefix TLVs of every padding, then the payload. */
	for (size_t prefix = 0; prefix < 8; prefix++) {
		syn(&p, 3);
		v4(&p);
		wrap_nflog(&p, 2, prefix);
		assert_int_equal(decode(DLT_NFLOG, &p, &seg), 0);
		assert_syn_v4(&seg, 3);
		syn(&p, 3);
		v6(&p);
		wrap_nflog(&p, 10, prefix);
		assert_int_equal(decode(DLT_NFLOG, &p, &seg), 0);
		assert_syn_v6(&seg, 3);
	}
	/* Another family; another version. */
	syn(&p, 0);
	v4(&p);
	wrap_nflog(&p, 7, 0);
	assert_int_equal(decode(DLT_NFLOG, &p, &seg), SKIPPED(NOT_IP));
	syn(&p, 0);
	v4(&p);
	wrap_nflog(&p, 2, 0);
	p.b[1] = 1;
	assert_int_equal(decode(DLT_NFLOG, &p, &seg), SKIPPED(LINKTYPE));
	/* No payload TLV: the TLVs run out. */
	pkt_raw(&p, "", 0);
	wrap_nflog(&p, 2, 5);
	p.len -= 4; /* drop the (empty) payload TLV */
	assert_int_equal(decode(DLT_NFLOG, &p, &seg), SKIPPED(LINK_TRUNCATED));
	/* A TLV length below its own header, which would loop forever. */
	syn(&p, 0);
	v4(&p);
	wrap_nflog(&p, 2, 4);
	p.b[4] = 0;
	p.b[5] = 0;
	assert_int_equal(decode(DLT_NFLOG, &p, &seg), SKIPPED(LINK_TRUNCATED));
	/* A prefix TLV whose length runs past the packet. */
	syn(&p, 0);
	v4(&p);
	wrap_nflog(&p, 2, 4);
	uint16_t big = 4000;
	memcpy(p.b + 4, &big, 2);
	assert_int_equal(decode(DLT_NFLOG, &p, &seg), SKIPPED(LINK_TRUNCATED));
}

static void test_pktap(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	syn(&p, 4);
	v4(&p);
	wrap_eth(&p, 0x0800, NULL, 0);
	wrap_pktap(&p, DLT_EN10MB);
	assert_int_equal(decode(DLT_PKTAP, &p, &seg), 0);
	assert_syn_v4(&seg, 4);
	syn(&p, 4);
	v6(&p);
	wrap_null(&p, 30, 0);
	wrap_pktap(&p, DLT_NULL);
	assert_int_equal(decode(DLT_PKTAP, &p, &seg), 0);
	assert_syn_v6(&seg, 4);
	syn(&p, 4);
	v4(&p);
	wrap_pktap(&p, DLT_RAW);
	assert_int_equal(decode(DLT_PKTAP, &p, &seg), 0);
	/* PKTAP in PKTAP; an unknown inner link type; no packet record. */
	syn(&p, 0);
	v4(&p);
	wrap_pktap(&p, DLT_RAW);
	wrap_pktap(&p, DLT_PKTAP);
	assert_int_equal(decode(DLT_PKTAP, &p, &seg), SKIPPED(LINKTYPE));
	syn(&p, 0);
	v4(&p);
	wrap_pktap(&p, 147);
	assert_int_equal(decode(DLT_PKTAP, &p, &seg), SKIPPED(LINKTYPE));
	syn(&p, 0);
	v4(&p);
	wrap_pktap(&p, DLT_RAW);
	p.b[4] = 0;
	assert_int_equal(decode(DLT_PKTAP, &p, &seg), SKIPPED(NOT_IP));
	/* A header length below the header's, or past the packet. */
	syn(&p, 0);
	v4(&p);
	wrap_pktap(&p, DLT_RAW);
	p.b[0] = 12;
	assert_int_equal(decode(DLT_PKTAP, &p, &seg), SKIPPED(LINK_TRUNCATED));
	p.b[0] = 0xff;
	p.b[1] = 0xff;
	assert_int_equal(decode(DLT_PKTAP, &p, &seg), SKIPPED(LINK_TRUNCATED));
}

/* -------------------------------------------------------------- tunnels */

static const uint8_t OUT4_A[4] = {192, 0, 2, 1}, OUT4_B[4] = {192, 0, 2, 2};
static const uint8_t OUT6_A[16] = {0xfd, 0, [15] = 0xa};
static const uint8_t OUT6_B[16] = {0xfd, 0, [15] = 0xb};

/* Wraps p in an outer IP header of family fam and protocol proto. */
static void outer(struct pkt *p, int fam, uint8_t proto)
{
	if (fam == 4) {
		struct ip4_spec s = {
			.src = OUT4_A, .dst = OUT4_B, .proto = proto};
		wrap_ipv4(p, &s);
	} else {
		struct ip6_spec s = {
			.src = OUT6_A, .dst = OUT6_B, .next = proto};
		wrap_ipv6(p, &s);
	}
}

static void assert_tunnel(const struct tunnel *t, int kind, int fam, int proto,
			  uint16_t sport, uint16_t dport, int has_key,
			  uint32_t key)
{
	assert_int_equal(t->kind, kind);
	assert_int_equal(t->family, fam);
	assert_int_equal(t->proto, proto);
	assert_int_equal(t->sport, sport);
	assert_int_equal(t->dport, dport);
	assert_int_equal(t->has_key, has_key);
	assert_int_equal(t->key, key);
	static const uint8_t zero[12];
	if (fam == 4) {
		assert_memory_equal(t->src, OUT4_A, 4);
		assert_memory_equal(t->dst, OUT4_B, 4);
		assert_memory_equal(t->src + 4, zero, 12);
		assert_memory_equal(t->dst + 4, zero, 12);
	} else {
		assert_memory_equal(t->src, OUT6_A, 16);
		assert_memory_equal(t->dst, OUT6_B, 16);
	}
}

/* A SYN of family fam, as inner IP or (eth) an inner Ethernet frame. */
static void inner(struct pkt *p, int fam, int eth)
{
	syn(p, 7);
	fam == 4 ? v4(p) : v6(p);
	if (eth)
		wrap_eth(p, fam == 4 ? 0x0800 : 0x86dd, NULL, 0);
}

static void assert_inner(const struct segment *seg, int fam)
{
	if (fam == 4)
		assert_syn_v4(seg, 7);
	else
		assert_syn_v6(seg, 7);
}

static void test_ip_in_ip(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	struct tunnels tun;

	for (int in = 4; in <= 6; in += 2)
		for (int out = 4; out <= 6; out += 2) {
			inner(&p, in, 0);
			outer(&p, out, in == 4 ? 4 : 41);
			wrap_eth(&p, out == 4 ? 0x0800 : 0x86dd, NULL, 0);
			assert_int_equal(
				decode_x(DLT_EN10MB, &p, p.len, 0, &seg, &tun),
				0);
			assert_inner(&seg, in);
			assert_int_equal(seg.tunnels, 1);
			assert_int_equal(seg.tunnel_kind, TUNNEL_IP);
			assert_int_equal(tun.n, 1);
			assert_tunnel(&tun.t[0], TUNNEL_IP, out,
				      in == 4 ? 4 : 41, 0, 0, 0, 0);
			/* decode_packet() says the same, without them. */
			assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
			assert_inner(&seg, in);
		}
	/* Protocol 4 holding IPv6, 41 holding IPv4. */
	inner(&p, 6, 0);
	outer(&p, 4, 4);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_MALFORMED));
	inner(&p, 4, 0);
	outer(&p, 6, 41);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_MALFORMED));
	/* The outer datagram's length bounds the inner one. */
	inner(&p, 4, 0);
	outer(&p, 4, 4);
	p.b[3] = 20 + 30; /* outer total: the inner header and 10 more */
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TCP_TRUNCATED));
}

static void test_gre(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	struct tunnels tun;

	/* Every combination of the optional fields, around IPv4 and IPv6,
	 * under IPv4 and IPv6. */
	for (int bits = 0; bits < 8; bits++)
		for (int in = 4; in <= 6; in += 2)
			for (int out = 4; out <= 6; out += 2) {
				struct gre_spec g = {.proto = in == 4 ? 0x0800
								      : 0x86dd,
						     .csum = bits & 1,
						     .key = bits & 2,
						     .seq = bits & 4,
						     .key_value = 0xdeadbeef};
				inner(&p, in, 0);
				wrap_gre(&p, &g);
				outer(&p, out, 47);
				assert_int_equal(decode_x(DLT_RAW, &p, p.len, 0,
							  &seg, &tun),
						 0);
				assert_inner(&seg, in);
				assert_int_equal(seg.tunnels, 1);
				assert_int_equal(seg.tunnel_kind, TUNNEL_GRE);
				assert_tunnel(&tun.t[0], TUNNEL_GRE, out, 47, 0,
					      0, g.key != 0,
					      g.key ? 0xdeadbeef : 0);
			}

	/* Transparent Ethernet bridging; ERSPAN I, II, III (with and
	 * without its subheader). */
	for (int kind = 0; kind < 5; kind++) {
		struct gre_spec g = {.proto = 0x6558};
		inner(&p, 6, 1);
		switch (kind) {
		case 1:
			g.proto = 0x88be;
			break;
		case 2:
			wrap_erspan2(&p);
			g.proto = 0x88be;
			g.seq = 1;
			break;
		case 3:
		case 4:
			wrap_erspan3(&p, kind == 4);
			g.proto = 0x22eb;
			break;
		}
		wrap_gre(&p, &g);
		outer(&p, 4, 47);
		wrap_eth(&p, 0x0800, NULL, 0);
		assert_int_equal(decode_x(DLT_EN10MB, &p, p.len, 0, &seg, &tun),
				 0);
		assert_inner(&seg, 6);
		assert_int_equal(tun.n, 1);
		assert_int_equal(tun.t[0].kind, TUNNEL_GRE);
	}

	/* PPTP: version 1, key (payload length and call ID), sequence and
	 * acknowledgement, PPP with or without address and control. */
	for (int acfc = 0; acfc < 2; acfc++) {
		struct gre_spec g = {.proto = 0x880b,
				     .version = 1,
				     .key = 1,
				     .seq = 1,
				     .ack = acfc,
				     .key_value = 0x00400042};
		inner(&p, 4, 0);
		wrap_ppp(&p, 0x0021, acfc, 0);
		wrap_gre(&p, &g);
		outer(&p, 4, 47);
		assert_int_equal(decode_x(DLT_RAW, &p, p.len, 0, &seg, &tun),
				 0);
		assert_inner(&seg, 4);
		assert_tunnel(&tun.t[0], TUNNEL_GRE, 4, 47, 0, 0, 1, 0x42);
	}
	/* PPTP carrying LCP. */
	struct gre_spec lcp = {.proto = 0x880b, .version = 1, .key = 1};
	pkt_raw(&p, "\1\1\0\4", 4);
	wrap_ppp(&p, 0xc021, 0, 0);
	wrap_gre(&p, &lcp);
	outer(&p, 4, 47);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(NOT_IP));

	/* Not decoded: version 2 and up, routing, version 1 without PPP or
	 * without its key, Aruba, WCCP. */
	static const struct gre_spec unsupported[] = {
		{.proto = 0x0800, .version = 2},
		{.proto = 0x0800, .version = 7},
		{.proto = 0x0800, .extra_flags = 0x4000},
		{.proto = 0x0800, .version = 1, .key = 1},
		{.proto = 0x880b, .version = 1},
		{.proto = 0x8200},
		{.proto = 0x883e},
		{.proto = 0x0000},
	};
	for (unsigned i = 0; i < sizeof unsupported / sizeof unsupported[0];
	     i++) {
		inner(&p, 4, 0);
		wrap_gre(&p, &unsupported[i]);
		outer(&p, 4, 47);
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(TUNNEL_UNSUPPORTED));
	}
	/* Reserved flags. */
	for (uint16_t f = 0x0008; f <= 0x0040; f <<= 1) {
		struct gre_spec g = {.proto = 0x0800, .extra_flags = f};
		inner(&p, 4, 0);
		wrap_gre(&p, &g);
		outer(&p, 4, 47);
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(TUNNEL_MALFORMED));
	}
}

static void test_udp_tunnels(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	struct tunnels tun;

	for (int out = 4; out <= 6; out += 2) {
		/* VXLAN towards and from its port. */
		for (int reply = 0; reply < 2; reply++) {
			inner(&p, 4, 1);
			wrap_vxlan(&p, 0xabcdef);
			wrap_udp(&p, reply ? 4789 : 51000,
				 reply ? 51000 : 4789);
			outer(&p, out, 17);
			assert_int_equal(
				decode_x(DLT_RAW, &p, p.len, 0, &seg, &tun), 0);
			assert_inner(&seg, 4);
			assert_int_equal(seg.tunnel_kind, TUNNEL_VXLAN);
			assert_tunnel(&tun.t[0], TUNNEL_VXLAN, out, 17,
				      reply ? 4789 : 51000,
				      reply ? 51000 : 4789, 1, 0xabcdef);
		}
		/* Geneve: options of every length, and each payload. */
		for (int words = 0; words <= 63; words += 9)
			for (int kind = 0; kind < 3; kind++) {
				static const uint16_t proto[] = {0x6558, 0x0800,
								 0x86dd};
				inner(&p, kind == 1 ? 4 : 6, kind == 0);
				wrap_geneve(&p, proto[kind], words, 77);
				wrap_udp(&p, 40001, 6081);
				outer(&p, out, 17);
				assert_int_equal(decode_x(DLT_RAW, &p, p.len, 0,
							  &seg, &tun),
						 0);
				assert_inner(&seg, kind == 1 ? 4 : 6);
				assert_tunnel(&tun.t[0], TUNNEL_GENEVE, out, 17,
					      40001, 6081, 1, 77);
			}
		/* Teredo: bare, origin, authentication, both. */
		for (int h = 0; h < 4; h++) {
			inner(&p, 6, 0);
			wrap_teredo(&p, h & 1, h & 2);
			wrap_udp(&p, 3544, 50000);
			outer(&p, out, 17);
			assert_int_equal(
				decode_x(DLT_RAW, &p, p.len, 0, &seg, &tun), 0);
			assert_inner(&seg, 6);
			assert_tunnel(&tun.t[0], TUNNEL_TEREDO, out, 17, 3544,
				      50000, 0, 0);
		}
		/* AYIYA, IPv4 and IPv6 inside. */
		for (int in = 4; in <= 6; in += 2) {
			inner(&p, in, 0);
			wrap_ayiya(&p, in == 4 ? 4 : 41, 1);
			wrap_udp(&p, 33000, 5072);
			outer(&p, out, 17);
			assert_int_equal(
				decode_x(DLT_RAW, &p, p.len, 0, &seg, &tun), 0);
			assert_inner(&seg, in);
			assert_tunnel(&tun.t[0], TUNNEL_AYIYA, out, 17, 33000,
				      5072, 0, 0);
		}
	}

	/* UDP on other ports: not TCP, whatever it holds. */
	inner(&p, 4, 1);
	wrap_vxlan(&p, 1);
	wrap_udp(&p, 4790, 53);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(NOT_TCP));
	/* VXLAN without its I flag. */
	inner(&p, 4, 1);
	wrap_vxlan(&p, 1);
	p.b[0] = 0;
	wrap_udp(&p, 1, 4789);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_MALFORMED));
	/* A UDP length below its header or past the datagram. */
	static const uint16_t ulens[] = {1, 7, 2000};
	for (unsigned i = 0; i < 3; i++) {
		inner(&p, 4, 1);
		wrap_vxlan(&p, 1);
		wrap_udp(&p, 1, 4789);
		p.b[4] = (uint8_t)(ulens[i] >> 8);
		p.b[5] = (uint8_t)ulens[i];
		outer(&p, 4, 17);
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(TUNNEL_MALFORMED));
	}
	/* A UDP length shorter than the datagram cuts the inner packet. */
	inner(&p, 4, 1);
	wrap_vxlan(&p, 1);
	wrap_udp(&p, 1, 4789);
	p.b[5] = (uint8_t)(p.b[5] - 30);
	outer(&p, 4, 17);
	assert_int_not_equal(decode(DLT_RAW, &p, &seg), 0);
	/* Geneve: version 1; ARP inside. */
	inner(&p, 4, 1);
	wrap_geneve(&p, 0x6558, 0, 1);
	p.b[0] = 0x40;
	wrap_udp(&p, 1, 6081);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_MALFORMED));
	inner(&p, 4, 1);
	wrap_geneve(&p, 0x0806, 0, 1);
	wrap_udp(&p, 1, 6081);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg),
			 SKIPPED(TUNNEL_UNSUPPORTED));
	/* Teredo: a second origin, authentication after an origin, a tag
	 * that is neither, an IPv6 datagram shorter than its UDP payload. */
	inner(&p, 6, 0);
	wrap_teredo(&p, 0, 1);
	wrap_teredo(&p, 0, 1);
	wrap_udp(&p, 1, 3544);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_MALFORMED));
	inner(&p, 6, 0);
	wrap_teredo(&p, 1, 0);
	wrap_teredo(&p, 0, 1);
	wrap_udp(&p, 1, 3544);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_MALFORMED));
	inner(&p, 4, 0);
	wrap_udp(&p, 1, 3544);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_MALFORMED));
	inner(&p, 6, 0);
	pkt_append(&p, 0, 10);
	wrap_udp(&p, 1, 3544);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_MALFORMED));
	/* AYIYA: a heartbeat; a next header other than IP; a version other
	 * than the next header says. */
	inner(&p, 4, 0);
	wrap_ayiya(&p, 4, 0);
	wrap_udp(&p, 1, 5072);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(NOT_TCP));
	inner(&p, 4, 0);
	wrap_ayiya(&p, 6, 1);
	wrap_udp(&p, 1, 5072);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg),
			 SKIPPED(TUNNEL_UNSUPPORTED));
	inner(&p, 4, 0);
	wrap_ayiya(&p, 41, 1);
	wrap_udp(&p, 1, 5072);
	outer(&p, 4, 17);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_MALFORMED));
}

/* Wraps p (a datagram of family *fam) in tunnel kind k, leaving an outer
 * datagram whose family is returned in *fam. */
static void wrap_tunnel(struct pkt *p, int k, int *fam)
{
	int in = *fam;
	int out = k % 2 ? 6 : 4;
	switch (k % 5) {
	case 0:
		outer(p, out, in == 4 ? 4 : 41);
		break;
	case 1: {
		struct gre_spec g = {.proto = in == 4 ? 0x0800 : 0x86dd,
				     .key = 1,
				     .key_value = (uint32_t)k};
		wrap_gre(p, &g);
		outer(p, out, 47);
		break;
	}
	case 2:
		wrap_eth(p, in == 4 ? 0x0800 : 0x86dd, NULL, 0);
		wrap_vxlan(p, (uint32_t)k);
		wrap_udp(p, 1000, 4789);
		outer(p, out, 17);
		break;
	case 3:
		wrap_geneve(p, in == 4 ? 0x0800 : 0x86dd, 1, (uint32_t)k);
		wrap_udp(p, 1000, 6081);
		outer(p, out, 17);
		break;
	default:
		wrap_eth(p, in == 4 ? 0x0800 : 0x86dd, NULL, 0);
		wrap_erspan2(p);
		struct gre_spec g = {.proto = 0x88be, .seq = 1};
		wrap_gre(p, &g);
		outer(p, out, 47);
		break;
	}
	*fam = out;
}

static void test_tunnel_depth(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;
	struct tunnels tun;
	static const uint8_t kinds[] = {TUNNEL_IP, TUNNEL_GRE, TUNNEL_VXLAN,
					TUNNEL_GENEVE, TUNNEL_GRE};

	/* 1 to 4 tunnels, of mixed kinds, starting at each kind. */
	for (int first = 0; first < 5; first++)
		for (int depth = 1; depth <= 6; depth++) {
			int fam = 4;
			inner(&p, 4, 0);
			for (int i = 0; i < depth; i++)
				wrap_tunnel(&p, first + i, &fam);
			int rc = decode_x(DLT_RAW, &p, p.len, 0, &seg, &tun);
			if (depth > DECODE_MAX_TUNNELS) {
				assert_int_equal(rc, SKIPPED(TUNNEL_DEPTH));
				continue;
			}
			assert_int_equal(rc, 0);
			assert_inner(&seg, 4);
			assert_int_equal(seg.tunnels, depth);
			assert_int_equal(tun.n, depth);
			/* Outermost first: the last wrapped. */
			for (int i = 0; i < depth; i++)
				assert_int_equal(
					tun.t[i].kind,
					kinds[(first + depth - 1 - i) % 5]);
			assert_int_equal(seg.tunnel_kind, kinds[first % 5]);
		}
	/* The same tunnel all the way down: IP in IP 100 deep. */
	int fam = 4;
	inner(&p, 4, 0);
	for (int i = 0; i < 100; i++)
		wrap_tunnel(&p, 0, &fam);
	assert_int_equal(decode(DLT_RAW, &p, &seg), SKIPPED(TUNNEL_DEPTH));
}

/* Reasons a cut packet may give, and the one it must not (a cut is not
 * "malformed" nor "unsupported"). */
static int truncation_reason(int rc)
{
	return rc == SKIPPED(LINK_TRUNCATED) || rc == SKIPPED(IP_TRUNCATED) ||
	       rc == SKIPPED(IP6_EXT) || rc == SKIPPED(TCP_TRUNCATED) ||
	       rc == SKIPPED(TUNNEL_TRUNCATED);
}

struct tpkt {
	const char *name;
	int dlt;
	int udp;       /* a cut before the UDP ports is only "not TCP" */
	size_t udp_at; /* where the UDP header starts */
	size_t tail;   /* bytes after the segment (padding) */
	struct pkt p;
};

/* The packets of every new encapsulation, for the truncation test. */
static int make_tunnel_pkt(struct tpkt *t, int i)
{
	struct pkt *p = &t->p;
	memset(t, 0, sizeof *t);
	t->dlt = DLT_EN10MB;
	switch (i) {
	case 0: {
		static const uint16_t b[] = {0x88a8};
		inner(p, 4, 1);
		wrap_pbb(p, b, 1);
		t->name = "pbb";
		break;
	}
	case 1: {
		static const uint16_t tags[] = {0x8100, 0x8926, 0x9100};
		inner(p, 6, 0);
		wrap_eth(p, 0x86dd, tags, 3);
		t->name = "vntag";
		break;
	}
	case 2:
		inner(p, 4, 0);
		wrap_ppp(p, 0x0021, 0, 0);
		t->dlt = DLT_PPP;
		t->name = "ppp";
		break;
	case 3:
		inner(p, 6, 0);
		wrap_chdlc(p, 0x86dd);
		t->dlt = DLT_C_HDLC;
		t->name = "c_hdlc";
		break;
	case 4:
		inner(p, 4, 0);
		wrap_nflog(p, 2, 5);
		t->tail = 1; /* the payload TLV padded to 4 bytes */
		t->dlt = DLT_NFLOG;
		t->name = "nflog";
		break;
	case 5:
		inner(p, 4, 1);
		wrap_pktap(p, DLT_EN10MB);
		t->dlt = DLT_PKTAP;
		t->name = "pktap";
		break;
	case 6:
		inner(p, 6, 0);
		outer(p, 4, 41);
		wrap_eth(p, 0x0800, NULL, 0);
		t->name = "6in4";
		break;
	case 7: {
		struct gre_spec g = {
			.proto = 0x0800, .csum = 1, .key = 1, .seq = 1};
		inner(p, 4, 0);
		wrap_gre(p, &g);
		outer(p, 6, 47);
		wrap_eth(p, 0x86dd, NULL, 0);
		t->name = "gre";
		break;
	}
	case 8: {
		struct gre_spec g = {.proto = 0x88be, .seq = 1};
		inner(p, 4, 1);
		wrap_erspan2(p);
		wrap_gre(p, &g);
		outer(p, 4, 47);
		wrap_eth(p, 0x0800, NULL, 0);
		t->name = "erspan2";
		break;
	}
	case 9: {
		struct gre_spec g = {.proto = 0x22eb};
		inner(p, 6, 1);
		wrap_erspan3(p, 1);
		wrap_gre(p, &g);
		outer(p, 4, 47);
		wrap_eth(p, 0x0800, NULL, 0);
		t->name = "erspan3";
		break;
	}
	case 10: {
		struct gre_spec g = {.proto = 0x880b,
				     .version = 1,
				     .key = 1,
				     .seq = 1,
				     .ack = 1};
		inner(p, 4, 0);
		wrap_ppp(p, 0x0021, 0, 0);
		wrap_gre(p, &g);
		outer(p, 4, 47);
		wrap_eth(p, 0x0800, NULL, 0);
		t->name = "pptp";
		break;
	}
	case 11:
	case 12:
	case 13:
	case 14: {
		static const uint16_t port[] = {4789, 6081, 3544, 5072};
		int k = i - 11;
		inner(p, k == 2 ? 6 : 4, k < 2);
		if (k == 0)
			wrap_vxlan(p, 5);
		else if (k == 1)
			wrap_geneve(p, 0x6558, 3, 5);
		else if (k == 2)
			wrap_teredo(p, 1, 1);
		else
			wrap_ayiya(p, 4, 1);
		wrap_udp(p, 9, port[k]);
		t->udp = 1;
		t->udp_at = 14 + 20;
		outer(p, 4, 17);
		wrap_eth(p, 0x0800, NULL, 0);
		static const char *names[] = {"vxlan", "geneve", "teredo",
					      "ayiya"};
		t->name = names[k];
		break;
	}
	default:
		return 0;
	}
	return 1;
}

static void test_tunnel_truncation_every_byte(void **state)
{
	(void)state;
	struct tpkt t;
	struct segment full, seg;
	struct tunnels tun;
	int n = 0;

	for (int i = 0; make_tunnel_pkt(&t, i); i++, n++) {
		assert_int_equal(decode_x(t.dlt, &t.p, t.p.len, 0, &full, &tun),
				 0);
		/* The TCP header's first byte: where the SYN options start,
		 * less the fixed header. */
		size_t tcp_at = t.p.len - t.tail - 7 - 40;
		for (size_t len = 0; len < t.p.len; len++) {
			int rc = decode_x(t.dlt, &t.p, len, 0, &seg, NULL);
			if (len >= tcp_at + 20) {
				if (rc != 0)
					fail_msg("%s cut at %zu of %zu: %d",
						 t.name, len, t.p.len, rc);
				assert_int_equal(seg.seq, full.seq);
				assert_int_equal(seg.ip_len, full.ip_len);
				assert_memory_equal(seg.src, full.src, 16);
				assert_int_equal(seg.tunnels, full.tunnels);
				/* Cut: not verifiable, never bad. */
				if (len < t.p.len - t.tail)
					assert_int_equal(seg.tcp_csum,
							 CSUM_UNKNOWN);
				continue;
			}
			int ok = truncation_reason(rc) ||
				 (t.udp && rc == SKIPPED(NOT_TCP) &&
				  len < t.udp_at + 4);
			if (!ok)
				fail_msg("%s cut at %zu of %zu: %d", t.name,
					 len, t.p.len, rc);
		}
	}
	assert_int_equal(n, 15);
}

/* ------------------------------------------------------------ checksums */

/* The reference: RFC 1071's sum, one 16-bit word at a time, in network
 * order, nothing clever. */
static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Fills in the IPv4 header checksum of the datagram at ip. */
static void ref_ip4_checksum(uint8_t *ip)
{
	size_t hlen = (size_t)(ip[0] & 15) * 4;
	ip[10] = ip[11] = 0;
	uint16_t c = (uint16_t)~ref_fold(ref_sum(0, ip, hlen));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

/* Fills in the TCP checksum of the datagram at ip (IPv4, or IPv6 with no
 * extension headers). */
static void ref_tcp_checksum(uint8_t *ip)
{
	uint32_t sum;
	uint8_t *tcp;
	size_t len;
	if ((ip[0] >> 4) == 4) {
		size_t hlen = (size_t)(ip[0] & 15) * 4;
		len = ((size_t)ip[2] << 8 | ip[3]) - hlen;
		tcp = ip + hlen;
		sum = ref_sum(0, ip + 12, 8);
	} else {
		len = (size_t)ip[4] << 8 | ip[5];
		tcp = ip + 40;
		sum = ref_sum(0, ip + 8, 32);
	}
	sum += 6 + (uint32_t)len;
	tcp[16] = tcp[17] = 0;
	uint16_t c = (uint16_t)~ref_fold(ref_sum(sum, tcp, len));
	tcp[16] = (uint8_t)(c >> 8);
	tcp[17] = (uint8_t)c;
}

/* Writes the pseudo-header's sum, uncomplemented, as an offloading host
 * hands its segments to the capture. */
static void ref_tcp_offload(uint8_t *ip)
{
	size_t hlen = (size_t)(ip[0] & 15) * 4;
	size_t len = ((size_t)ip[2] << 8 | ip[3]) - hlen;
	uint16_t c = ref_fold(ref_sum(6 + (uint32_t)len, ip + 12, 8));
	ip[hlen + 16] = (uint8_t)(c >> 8);
	ip[hlen + 17] = (uint8_t)c;
}

static void test_checksum_reference(void **state)
{
	(void)state;
	static uint8_t buf[70000];
	uint32_t x = 99;
	for (size_t i = 0; i < sizeof buf; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	/* Every length to 300 at every alignment, and some long ones; the
	 * sum is compared in network order, where the reference works. */
	static const size_t longs[] = {1499, 1500, 9000, 65535, 65536 + 7};
	for (size_t len = 0; len < 300 + 5; len++)
		for (size_t align = 0; align < 8; align++) {
			size_t n = len < 300 ? len : longs[len - 300];
			uint16_t fast = decode_csum(buf + align, n, 0);
			uint8_t b[2];
			memcpy(b, &fast, 2);
			uint16_t net = (uint16_t)(b[0] << 8 | b[1]);
			uint16_t ref = ref_fold(ref_sum(0, buf + align, n));
			/* 0 and 0xffff are the same ones' complement
			 * number; only all-zero input gives 0. */
			if (net != ref && !(net == 0xffff && ref == 0) &&
			    !(net == 0 && ref == 0xffff))
				fail_msg("length %zu at +%zu: %04x, reference "
					 "%04x",
					 n, align, net, ref);
		}
	/* All ones, which carries at every step. */
	uint8_t ones[4096];
	memset(ones, 0xff, sizeof ones);
	for (size_t n = 1; n <= sizeof ones; n = n * 3 + 1) {
		uint16_t fast = decode_csum(ones, n, 0);
		uint8_t b[2];
		memcpy(b, &fast, 2);
		assert_int_equal(b[0] << 8 | b[1],
				 ref_fold(ref_sum(0, ones, n)));
	}
}

static void test_checksums_v4(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	for (size_t payload = 0; payload < 40; payload += 13) {
		syn(&p, payload);
		v4(&p);
		ref_ip4_checksum(p.b);
		ref_tcp_checksum(p.b);
		assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
		assert_int_equal(seg.ip_csum, CSUM_OK);
		assert_int_equal(seg.tcp_csum, CSUM_OK);
		/* Verification off: unknown. */
		assert_int_equal(decode_x(DLT_RAW, &p, p.len,
					  DECODE_NO_CHECKSUMS, &seg, NULL),
				 0);
		assert_int_equal(seg.ip_csum, CSUM_UNKNOWN);
		assert_int_equal(seg.tcp_csum, CSUM_UNKNOWN);
		/* Cut anywhere in the segment: the TCP checksum is unknown,
		 * the header's still known. */
		for (size_t cut = 40; cut < p.len; cut++) {
			assert_int_equal(decode_n(DLT_RAW, &p, cut, &seg), 0);
			assert_int_equal(seg.ip_csum, CSUM_OK);
			assert_int_equal(seg.tcp_csum, CSUM_UNKNOWN);
		}
		/* Any one bit flipped in the segment: bad TCP checksum. */
		for (size_t i = 20; i < p.len; i++) {
			if (i == 20 + 12) /* the data offset: malformed */
				continue;
			p.b[i] ^= 0x10;
			assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
			assert_int_equal(seg.ip_csum, CSUM_OK);
			assert_int_equal(seg.tcp_csum, CSUM_BAD);
			p.b[i] ^= 0x10;
		}
		/* In the header's addresses, TTL, ID: both bad (the
		 * pseudo-header holds the addresses). */
		p.b[8] ^= 1;
		assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
		assert_int_equal(seg.ip_csum, CSUM_BAD);
		assert_int_equal(seg.tcp_csum, CSUM_OK);
		p.b[8] ^= 1;
		p.b[15] ^= 1;
		assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
		assert_int_equal(seg.ip_csum, CSUM_BAD);
		assert_int_equal(seg.tcp_csum, CSUM_BAD);
		p.b[15] ^= 1;
	}
	/* Ethernet padding is not summed. */
	plain(&p, F_ACK, 0);
	v4(&p);
	ref_ip4_checksum(p.b);
	ref_tcp_checksum(p.b);
	wrap_eth(&p, 0x0800, NULL, 0);
	pkt_append(&p, 0x5a, 6);
	assert_int_equal(decode(DLT_EN10MB, &p, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_OK);
	assert_int_equal(seg.tcp_csum, CSUM_OK);
	/* Offload on the capturing host: the pseudo-header's sum. */
	plain(&p, F_ACK | F_PSH, 100);
	v4(&p);
	ref_ip4_checksum(p.b);
	ref_tcp_offload(p.b);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_OK);
	assert_int_equal(seg.tcp_csum, CSUM_BAD_OFFLOAD);
	/* Total length 0 (segmentation offload): neither can be known. */
	plain(&p, F_ACK | F_PSH, 1000);
	struct ip4_spec zero = {.set_total = 1, .total = 0};
	wrap_ipv4(&p, &zero);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_UNKNOWN);
	assert_int_equal(seg.tcp_csum, CSUM_UNKNOWN);
	/* IP options are in the header's sum. */
	static const uint8_t opt[4] = {1, 1, 1, 0};
	syn(&p, 3);
	struct ip4_spec so = {.opt = opt, .optlen = 4};
	wrap_ipv4(&p, &so);
	ref_ip4_checksum(p.b);
	ref_tcp_checksum(p.b);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_OK);
	assert_int_equal(seg.tcp_csum, CSUM_OK);
	p.b[21] = 0;
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_BAD);
}

static void test_checksums_v6(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	for (size_t payload = 0; payload < 40; payload += 13) {
		syn(&p, payload);
		v6(&p);
		ref_tcp_checksum(p.b);
		assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
		/* No IPv4 header to be bad. */
		assert_int_equal(seg.ip_csum, CSUM_OK);
		assert_int_equal(seg.tcp_csum, CSUM_OK);
		for (size_t cut = 60; cut < p.len; cut++) {
			assert_int_equal(decode_n(DLT_RAW, &p, cut, &seg), 0);
			assert_int_equal(seg.tcp_csum, CSUM_UNKNOWN);
		}
		/* The addresses and the segment are summed; the hop limit
		 * and flow label are not. */
		for (size_t i = 8; i < p.len; i++) {
			if (i == 40 + 12) /* the data offset: malformed */
				continue;
			p.b[i] ^= 0x80;
			assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
			assert_int_equal(seg.tcp_csum, CSUM_BAD);
			p.b[i] ^= 0x80;
		}
		p.b[7] ^= 0x80;
		p.b[3] ^= 0x80;
		assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
		assert_int_equal(seg.tcp_csum, CSUM_OK);
		assert_int_equal(decode_x(DLT_RAW, &p, p.len,
					  DECODE_NO_CHECKSUMS, &seg, NULL),
				 0);
		assert_int_equal(seg.ip_csum, CSUM_UNKNOWN);
		assert_int_equal(seg.tcp_csum, CSUM_UNKNOWN);
	}
	/* Behind a routing header with segments left, the pseudo-header's
	 * destination is another: unknown. */
	struct ip6_ext rh = {.type = 43, .len = 24, .hdrlen = -1};
	syn(&p, 0);
	struct ip6_spec s = {.ext = &rh, .n_ext = 1};
	wrap_ipv6(&p, &s);
	p.b[43] = 1;
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.tcp_csum, CSUM_UNKNOWN);
	/* Payload length 0 with more captured (offload): unknown. */
	plain(&p, F_ACK, 100);
	struct ip6_spec jumbo = {.set_plen = 1, .plen = 0};
	wrap_ipv6(&p, &jumbo);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.tcp_csum, CSUM_UNKNOWN);
}

static void test_checksums_tunnelled(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	/* The inner segment's checksums, and the outer header's. */
	syn(&p, 9);
	v4(&p);
	ref_ip4_checksum(p.b);
	ref_tcp_checksum(p.b);
	outer(&p, 4, 4);
	ref_ip4_checksum(p.b);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_OK);
	assert_int_equal(seg.tcp_csum, CSUM_OK);
	/* A bad outer header makes the segment's bad. */
	p.b[8] ^= 1;
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_BAD);
	assert_int_equal(seg.tcp_csum, CSUM_OK);
	p.b[8] ^= 1;
	/* A bad inner one too. */
	p.b[20 + 8] ^= 1;
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_BAD);
	p.b[20 + 8] ^= 1;
	/* Cut: the inner TCP checksum is unknown. */
	assert_int_equal(decode_n(DLT_RAW, &p, p.len - 1, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_OK);
	assert_int_equal(seg.tcp_csum, CSUM_UNKNOWN);
	/* IPv6 in a VXLAN over IPv4. */
	syn(&p, 1);
	v6(&p);
	ref_tcp_checksum(p.b);
	wrap_eth(&p, 0x86dd, NULL, 0);
	wrap_vxlan(&p, 3);
	wrap_udp(&p, 1, 4789);
	outer(&p, 4, 17);
	ref_ip4_checksum(p.b);
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.ip_csum, CSUM_OK);
	assert_int_equal(seg.tcp_csum, CSUM_OK);
}

/* A capture of snap length 256, as the recordings here have: the big
 * segments' checksums are unknown, the small ones' known. */
static void test_checksums_snaplen(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	for (size_t payload = 0; payload <= 1448; payload += 181) {
		plain(&p, F_ACK, payload);
		v4(&p);
		ref_ip4_checksum(p.b);
		ref_tcp_checksum(p.b);
		wrap_eth(&p, 0x0800, NULL, 0);
		size_t cap = p.len < 256 ? p.len : 256;
		assert_int_equal(decode_n(DLT_EN10MB, &p, cap, &seg), 0);
		assert_int_equal(seg.payload_len, payload);
		assert_int_equal(seg.ip_csum, CSUM_OK);
		assert_int_equal(seg.tcp_csum,
				 cap == p.len ? CSUM_OK : CSUM_UNKNOWN);
	}
}

static void test_tunnel_kind_names(void **state)
{
	(void)state;
	assert_string_equal(tunnel_kind_name(TUNNEL_IP), "Tunnel::IP");
	assert_string_equal(tunnel_kind_name(TUNNEL_GRE), "Tunnel::GRE");
	assert_string_equal(tunnel_kind_name(TUNNEL_VXLAN), "Tunnel::VXLAN");
	assert_string_equal(tunnel_kind_name(TUNNEL_GENEVE), "Tunnel::GENEVE");
	assert_string_equal(tunnel_kind_name(TUNNEL_TEREDO), "Tunnel::TEREDO");
	assert_string_equal(tunnel_kind_name(TUNNEL_AYIYA), "Tunnel::AYIYA");
	assert_string_equal(tunnel_kind_name(99), "?");
	assert_string_equal(tunnel_kind_name(-1), "?");
}

static void test_skip_reason_names(void **state)
{
	(void)state;
	for (int i = 0; i < TCPFSM_SKIP_NREASONS; i++) {
		const char *n = tcpfsm_skip_reason_name(i);
		assert_non_null(n);
		assert_true(n[0] != '\0');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, tcpfsm_skip_reason_name(j));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet),
		cmocka_unit_test(test_linux_sll),
		cmocka_unit_test(test_linux_sll2),
		cmocka_unit_test(test_fddi),
		cmocka_unit_test(test_null_and_loop),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_unsupported_linktype),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_mpls),
		cmocka_unit_test(test_pppoe),
		cmocka_unit_test(test_llc_snap_and_fabricpath),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_total_length),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_not_tcp),
		cmocka_unit_test(test_ipv6_extensions),
		cmocka_unit_test(test_ipv6_chain_limits),
		cmocka_unit_test(test_tcp_options),
		cmocka_unit_test(test_tcp_options_malformed),
		cmocka_unit_test(test_tcp_options_sack),
		cmocka_unit_test(test_snaplen_cuts_sack),
		cmocka_unit_test(test_tcp_data_offset),
		cmocka_unit_test(test_snaplen_cuts_options),
		cmocka_unit_test(test_snaplen_cut_is_not_malformed),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_skip_reason_names),
		cmocka_unit_test(test_pbb_and_vntag),
		cmocka_unit_test(test_ppp_and_hdlc),
		cmocka_unit_test(test_nflog),
		cmocka_unit_test(test_pktap),
		cmocka_unit_test(test_ip_in_ip),
		cmocka_unit_test(test_gre),
		cmocka_unit_test(test_udp_tunnels),
		cmocka_unit_test(test_tunnel_depth),
		cmocka_unit_test(test_tunnel_truncation_every_byte),
		cmocka_unit_test(test_checksum_reference),
		cmocka_unit_test(test_checksums_v4),
		cmocka_unit_test(test_checksums_v6),
		cmocka_unit_test(test_checksums_tunnelled),
		cmocka_unit_test(test_checksums_snaplen),
		cmocka_unit_test(test_tunnel_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
