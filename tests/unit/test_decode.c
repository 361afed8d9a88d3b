/*
 * test_decode.c - the decoder: every link type and encapsulation, IPv4 and
 * IPv6 headers, fragments, extension chains, TCP options, and truncation at
 * every byte of a set of good packets.
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
#define SEQ 0x01020304u
#define ACK 0xa0b0c0d0u

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

/* A SYN with the usual options and `payload` bytes. */
static void syn(struct pkt *p, size_t payload)
{
	struct tcp_spec t = {.sport = SPORT, .dport = DPORT, .seq = SEQ,
			     .ack = ACK, .flags = F_SYN | F_ACK, .win = 0xfaf0,
			     .opt = SYN_OPTIONS, .optlen = sizeof SYN_OPTIONS,
			     .payload = payload};
	pkt_tcp(p, &t);
}

/* A segment with no options. */
static void plain(struct pkt *p, uint8_t flags, size_t payload)
{
	struct tcp_spec t = {.sport = SPORT, .dport = DPORT, .seq = SEQ,
			     .ack = ACK, .flags = flags, .win = 512,
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
	static const int dlts[] = {6 /* token ring */, 105 /* 802.11 */,
				   127 /* radiotap */, 147, 220, 9999, -1};

	syn(&p, 0);
	v4(&p);
	wrap_eth(&p, 0x0800, NULL, 0);
	for (unsigned i = 0; i < sizeof dlts / sizeof dlts[0]; i++)
		assert_int_equal(decode(dlts[i], &p, &seg),
				 SKIPPED(LINKTYPE));
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
	assert_int_equal(decode(DLT_EN10MB, &p, &seg),
			 SKIPPED(LINK_TRUNCATED));

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
		{.type = 0, .len = 8, .hdrlen = -1},	 /* hop-by-hop */
		{.type = 60, .len = 24, .hdrlen = -1},	 /* destination */
		{.type = 43, .len = 16, .hdrlen = -1},	 /* routing */
		{.type = 44, .len = 8, .hdrlen = -1},	 /* fragment, first */
		{.type = 51, .len = 24, .hdrlen = -1},	 /* AH */
		{.type = 60, .len = 8, .hdrlen = -1},	 /* destination */
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
		struct ip6_ext one = {.type = types[i], .len = 16,
				      .hdrlen = -1};
		if (types[i] == 44)
			one.len = 8;
		syn(&p, 1);
		struct ip6_spec s1 = {.ext = &one, .n_ext = 1};
		wrap_ipv6(&p, &s1);
		assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
		assert_syn_v6(&seg, 1);
	}

	/* Fragments: the first has the TCP header; the others are skipped. */
	struct ip6_ext frag = {.type = 44, .len = 8, .hdrlen = -1,
			       .frag_off = 0, .frag_more = 1};
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
	struct ip6_spec sp = {.ext = &dst, .n_ext = 1, .set_plen = 1,
			      .plen = 8};
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
	struct tcp_spec t = {.sport = SPORT, .dport = DPORT, .seq = SEQ,
			     .flags = F_SYN, .win = 1000, .opt = buf,
			     .optlen = (n + 3) / 4 * 4};
	struct pkt p;
	pkt_tcp(&p, &t);
	v4(&p);
	struct segment seg;
	assert_int_equal(decode(DLT_RAW, &p, &seg), 0);
	assert_int_equal(seg.seq, SEQ);
	return seg;
}

#define OPTS(...) ((const uint8_t[]){__VA_ARGS__})
#define NOPTS(...) sizeof((const uint8_t[]){__VA_ARGS__})
#define WITH(...) with_options(OPTS(__VA_ARGS__), NOPTS(__VA_ARGS__))

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

	/* SACK blocks, MD5, TFO, unknown kinds: skipped by their length. */
	s = WITH(5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 2, 4, 0x02, 0x00);
	assert_int_equal(s.options, OPT_MSS);
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
		{2, 3, 5, 0},		     /* MSS is 4 */
		{2, 6, 5, 0xb4, 0, 0, 0, 0}, /* MSS is 4 */
		{3, 2, 1, 1},		     /* WS is 3 */
		{3, 4, 7, 0},		     /* WS is 3 */
		{4, 3, 0, 1},		     /* SACK-permitted is 2 */
		{4, 4, 0, 0},		     /* SACK-permitted is 2 */
		{8, 8, 0, 0, 0, 1, 0, 0},    /* timestamps are 10 */
		{8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}, /* timestamps are 10 */
	};
	static const uint8_t flag[] = {OPT_MSS, OPT_MSS, OPT_WSCALE,
				       OPT_WSCALE, OPT_SACK_OK, OPT_SACK_OK,
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

static void test_tcp_data_offset(void **state)
{
	(void)state;
	struct pkt p;
	struct segment seg;

	/* Below 5 words. */
	for (int doff = 0; doff < 5; doff++) {
		struct tcp_spec t = {.sport = 1, .dport = 2, .flags = F_ACK,
				     .doff = doff, .payload = 40};
		pkt_tcp(&p, &t);
		if (doff == 0)
			p.b[12] = 0;
		v4(&p);
		assert_int_equal(decode(DLT_RAW, &p, &seg),
				 SKIPPED(TCP_MALFORMED));
	}
	/* Past the datagram (IPv4 and IPv6). */
	for (int doff = 6; doff <= 15; doff++) {
		struct tcp_spec t = {.sport = 1, .dport = 2, .flags = F_ACK,
				     .doff = doff};
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
	struct tcp_spec t = {.sport = 1, .dport = 2, .flags = F_ACK,
			     .opt = OPTS(1, 1, 1, 1), .optlen = 4};
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
		case 0: wrap_eth(&g->p, et, NULL, 0); g->name = "eth"; break;
		case 1: wrap_eth(&g->p, et, tags1, 1); g->name = "vlan"; break;
		case 2: wrap_eth(&g->p, et, tags2, 2); g->name = "qinq"; break;
		case 3: wrap_eth(&g->p, et, tags3, 2); g->name = "qinq9100"; break;
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
		case 6: wrap_llc_snap(&g->p, et); g->name = "snap"; break;
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
		return g->family == 4 ? SKIPPED(IP_TRUNCATED) : SKIPPED(IP6_EXT);
	if (len < g->link + g->ip + 20)
		return SKIPPED(TCP_TRUNCATED);
	return 0;
}

static void test_truncation_every_byte(void **state)
{
	(void)state;
	static const int dlts[] = {DLT_EN10MB, DLT_FDDI, DLT_LINUX_SLL,
				   DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
				   DLT_RAW, DLT_RAW_OPENBSD, DLT_LINKTYPE_RAW,
				   DLT_IPV4, DLT_IPV6};
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
								 ipopts ? " +opts"
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
	static const int dlts[] = {DLT_EN10MB, DLT_FDDI, DLT_LINUX_SLL,
				   DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
				   DLT_RAW, DLT_IPV4, DLT_IPV6};
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
				assert_true(seg.family == 4 ||
					    seg.family == 6);
				assert_true(seg.ip_len >= 20);
			}
		}
	}
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
		cmocka_unit_test(test_tcp_data_offset),
		cmocka_unit_test(test_snaplen_cuts_options),
		cmocka_unit_test(test_snaplen_cut_is_not_malformed),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_skip_reason_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
