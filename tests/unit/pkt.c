/*
 * pkt.c - building packets byte by byte for the unit tests (see pkt.h).
 */
#include "pkt.h"

#include <assert.h>
#include <string.h>

const uint8_t ADDR4_A[4] = {10, 0, 0, 1};
const uint8_t ADDR4_B[4] = {10, 0, 0, 2};
const uint8_t ADDR6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
const uint8_t ADDR6_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

const uint8_t SYN_OPTIONS[20] = {
	2, 4,  0x05, 0xb4,		       /* MSS 1460 */
	4, 2,				       /* SACK permitted */
	8, 10, 0,    0,	   0, 100, 0, 0, 0, 0, /* timestamps 100, 0 */
	1,				       /* NOP */
	3, 3,  7,			       /* window scale 7 */
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Makes room for n bytes in front and returns where they go. */
static uint8_t *prepend(struct pkt *p, size_t n)
{
	assert(p->len + n <= PKT_MAX);
	memmove(p->b + n, p->b, p->len);
	memset(p->b, 0, n);
	p->len += n;
	return p->b;
}

void pkt_raw(struct pkt *p, const void *data, size_t len)
{
	assert(len <= PKT_MAX);
	memcpy(p->b, data, len);
	p->len = len;
}

void pkt_append(struct pkt *p, uint8_t byte, size_t n)
{
	assert(p->len + n <= PKT_MAX);
	memset(p->b + p->len, byte, n);
	p->len += n;
}

void pkt_tcp(struct pkt *p, const struct tcp_spec *t)
{
	size_t hlen = 20 + t->optlen;
	assert(hlen + t->payload <= PKT_MAX);
	memset(p->b, 0, hlen);
	put16(p->b, t->sport);
	put16(p->b + 2, t->dport);
	put32(p->b + 4, t->seq);
	put32(p->b + 8, t->ack);
	int doff = t->doff ? t->doff : (int)(hlen / 4);
	p->b[12] = (uint8_t)((doff & 15) << 4);
	p->b[13] = t->flags;
	put16(p->b + 14, t->win);
	if (t->optlen)
		memcpy(p->b + 20, t->opt, t->optlen);
	for (size_t i = 0; i < t->payload; i++)
		p->b[hlen + i] = (uint8_t)('a' + i % 26);
	p->len = hlen + t->payload;
}

void wrap_ipv4(struct pkt *p, const struct ip4_spec *s)
{
	size_t hlen = 20 + s->optlen;
	size_t inner = p->len;
	uint8_t *h = prepend(p, hlen);
	int ihl = s->ihl ? s->ihl : (int)(hlen / 4);
	h[0] = (uint8_t)(((s->version ? s->version : 4) << 4) | (ihl & 15));
	put16(h + 2, s->set_total ? s->total : (uint32_t)(hlen + inner));
	put16(h + 4, 1);
	put16(h + 6, (uint32_t)((s->mf ? 0x2000 : 0) | (s->frag & 0x1fff)));
	h[8] = 64;
	h[9] = s->proto ? s->proto : 6;
	memcpy(h + 12, s->src ? s->src : ADDR4_A, 4);
	memcpy(h + 16, s->dst ? s->dst : ADDR4_B, 4);
	if (s->optlen)
		memcpy(h + 20, s->opt, s->optlen);
}

void wrap_ipv6(struct pkt *p, const struct ip6_spec *s)
{
	size_t chain = 0;
	for (size_t i = 0; i < s->n_ext; i++)
		chain += s->ext[i].len;
	size_t inner = p->len;
	uint8_t *h = prepend(p, 40 + chain);
	put32(h, (uint32_t)(s->version ? s->version : 6) << 28);
	put16(h + 4, s->set_plen ? s->plen : (uint32_t)(chain + inner));
	h[6] = s->n_ext ? s->ext[0].type : (s->next ? s->next : 6);
	h[7] = 64;
	memcpy(h + 8, s->src ? s->src : ADDR6_A, 16);
	memcpy(h + 24, s->dst ? s->dst : ADDR6_B, 16);
	uint8_t *e = h + 40;
	for (size_t i = 0; i < s->n_ext; i++) {
		const struct ip6_ext *x = &s->ext[i];
		e[0] = i + 1 < s->n_ext ? s->ext[i + 1].type
					: (s->next ? s->next : 6);
		int hdrlen = x->hdrlen;
		if (hdrlen < 0)
			hdrlen = x->type == 51	 ? (int)(x->len / 4) - 2
				 : x->type == 44 ? 0
						 : (int)(x->len / 8) - 1;
		e[1] = (uint8_t)hdrlen;
		if (x->type == 44)
			put16(e + 2, (uint32_t)(x->frag_off << 3) |
					     (x->frag_more ? 1 : 0));
		e += x->len;
	}
}

void wrap_eth(struct pkt *p, uint16_t ethertype, const uint16_t *tags,
	      size_t ntags)
{
	size_t taglen = 0;
	for (size_t i = 0; i < ntags; i++)
		taglen += tags[i] == 0x8926 ? 6 : 4;
	uint8_t *h = prepend(p, 14 + taglen);
	static const uint8_t dst[6] = {2, 0, 0, 0, 0, 2},
			     src[6] = {2, 0, 0, 0, 0, 1};
	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	uint8_t *q = h + 12;
	for (size_t i = 0; i < ntags; i++) {
		put16(q, tags[i]);
		if (tags[i] == 0x8926) { /* VN-Tag: D, P, vif ids */
			put32(q + 2, 0x80010002u);
			q += 6;
		} else {
			put16(q + 2, (uint32_t)(100 + i));
			q += 4;
		}
	}
	put16(q, ethertype);
}

void wrap_mpls(struct pkt *p, int nlabels)
{
	uint8_t *h = prepend(p, 4 * (size_t)nlabels);
	for (int i = 0; i < nlabels; i++)
		put32(h + 4 * i, (uint32_t)(16 + i) << 12 |
					 (i == nlabels - 1 ? 1u << 8 : 0) | 64);
}

void wrap_pppoe(struct pkt *p, uint16_t ppp_proto)
{
	size_t inner = p->len;
	uint8_t *h = prepend(p, 8);
	h[0] = 0x11;
	put16(h + 2, 0x1234);
	put16(h + 4, (uint32_t)inner + 2);
	put16(h + 6, ppp_proto);
}

void wrap_llc_snap(struct pkt *p, uint16_t ethertype)
{
	uint8_t *h = prepend(p, 8);
	h[0] = 0xaa;
	h[1] = 0xaa;
	h[2] = 0x03;
	put16(h + 6, ethertype);
	size_t len = p->len;
	/* 802.3: the type field is the length of what follows. */
	wrap_eth(p, (uint16_t)len, NULL, 0);
}

void wrap_fabricpath(struct pkt *p)
{
	uint8_t *h = prepend(p, 16);
	put16(h + 12, 0x8903);
	put16(h + 14, 0x003f);
}

void wrap_fddi(struct pkt *p)
{
	uint8_t *h = prepend(p, 13);
	static const uint8_t dst[6] = {2, 0, 0, 0, 0, 2},
			     src[6] = {2, 0, 0, 0, 0, 1};
	h[0] = 0x50; /* frame control: async LLC frame */
	memcpy(h + 1, dst, 6);
	memcpy(h + 7, src, 6);
}

void wrap_sll(struct pkt *p, uint16_t proto)
{
	uint8_t *h = prepend(p, 16);
	put16(h + 2, 1); /* ARPHRD_ETHER */
	put16(h + 4, 6); /* address length */
	h[6] = 2;
	put16(h + 14, proto);
}

void wrap_sll2(struct pkt *p, uint16_t proto)
{
	uint8_t *h = prepend(p, 20);
	put16(h, proto);
	put32(h + 4, 2); /* interface index */
	put16(h + 8, 1); /* ARPHRD_ETHER */
	h[11] = 6;	 /* address length */
	h[12] = 2;
}

void wrap_null(struct pkt *p, uint32_t af, int big_endian)
{
	uint8_t *h = prepend(p, 4);
	if (big_endian) {
		put32(h, af);
	} else {
		h[0] = (uint8_t)af;
		h[1] = (uint8_t)(af >> 8);
		h[2] = (uint8_t)(af >> 16);
		h[3] = (uint8_t)(af >> 24);
	}
}

void wrap_pbb(struct pkt *p, const uint16_t *btags, size_t nbtags)
{
	uint8_t *h = prepend(p, 4);
	put32(h, 0x00012345); /* priority 0, I-SID 0x12345 */
	wrap_eth(p, 0x88e7, btags, nbtags);
}

void wrap_ppp(struct pkt *p, uint16_t proto, int acfc, int pfc)
{
	size_t plen = pfc && (proto & 1) && proto < 0x100 ? 1 : 2;
	uint8_t *h = prepend(p, (acfc ? 0 : 2) + plen);
	if (!acfc) {
		*h++ = 0xff;
		*h++ = 0x03;
	}
	if (plen == 1)
		h[0] = (uint8_t)proto;
	else
		put16(h, proto);
}

void wrap_chdlc(struct pkt *p, uint16_t ethertype)
{
	uint8_t *h = prepend(p, 4);
	h[0] = 0x0f;
	put16(h + 2, ethertype);
}

/* NFLOG's TLV fields are in the capturing host's byte order. */
static void put16_host(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

void wrap_nflog(struct pkt *p, uint8_t af, size_t prefix_len)
{
	size_t inner = p->len;
	size_t pad = (4 - inner % 4) % 4;
	pkt_append(p, 0, pad);
	uint8_t *h = prepend(p, 4);
	put16_host(h, (uint16_t)(4 + inner));
	put16_host(h + 2, 9);
	if (prefix_len) {
		size_t step = (4 + prefix_len + 3) / 4 * 4;
		h = prepend(p, step);
		put16_host(h, (uint16_t)(4 + prefix_len));
		put16_host(h + 2, 10); /* NFULA_PREFIX */
		memset(h + 4, 'x', prefix_len);
	}
	h = prepend(p, 4);
	h[0] = af;
	h[1] = 0; /* version */
	put16(h + 2, 7);
}

void wrap_pktap(struct pkt *p, uint32_t dlt)
{
	uint8_t *h = prepend(p, 108);
	h[0] = 108; /* little-endian length */
	h[4] = 1;   /* a packet follows */
	h[8] = (uint8_t)dlt;
	h[9] = (uint8_t)(dlt >> 8);
	memcpy(h + 12, "en0", 3);
}

void wrap_gre(struct pkt *p, const struct gre_spec *g)
{
	size_t hlen =
		4 + 4 * (size_t)(!!g->csum + !!g->key + !!g->seq + !!g->ack);
	uint8_t *h = prepend(p, hlen);
	uint16_t flags =
		(uint16_t)((g->csum ? 0x8000 : 0) | (g->key ? 0x2000 : 0) |
			   (g->seq ? 0x1000 : 0) | (g->ack ? 0x0080 : 0) |
			   (g->version & 7) | g->extra_flags);
	put16(h, flags);
	put16(h + 2, g->proto);
	uint8_t *q = h + 4;
	if (g->csum)
		q += 4;
	if (g->key) {
		put32(q, g->key_value);
		q += 4;
	}
	if (g->seq) {
		put32(q, 77);
		q += 4;
	}
	if (g->ack)
		put32(q, 76);
}

void wrap_erspan2(struct pkt *p)
{
	uint8_t *h = prepend(p, 8);
	put16(h, 0x1000 | 100); /* version 1 (type II), VLAN 100 */
	put16(h + 2, 0x0123);	/* session 0x123 */
}

void wrap_erspan3(struct pkt *p, int subheader)
{
	if (subheader) {
		uint8_t *s = prepend(p, 8);
		put32(s, 0x0000000f);
	}
	uint8_t *h = prepend(p, 12);
	put16(h, 0x2000 | 100); /* version 2 (type III) */
	put16(h + 2, 0x0123);
	put32(h + 4, 123456); /* timestamp */
	h[11] = subheader ? 1 : 0;
}

void wrap_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	size_t inner = p->len;
	uint8_t *h = prepend(p, 8);
	put16(h, sport);
	put16(h + 2, dport);
	put16(h + 4, (uint32_t)(8 + inner));
}

void wrap_vxlan(struct pkt *p, uint32_t vni)
{
	uint8_t *h = prepend(p, 8);
	h[0] = 0x08;
	put32(h + 4, vni << 8);
}

void wrap_geneve(struct pkt *p, uint16_t proto, int opt_words, uint32_t vni)
{
	size_t olen = 4 * (size_t)opt_words;
	uint8_t *h = prepend(p, 8 + olen);
	h[0] = (uint8_t)(opt_words & 0x3f);
	put16(h + 2, proto);
	put32(h + 4, vni << 8);
	/* One option of all the words: class, type, length. */
	if (opt_words) {
		put16(h + 8, 0x0101);
		h[10] = 0x01;
		h[11] = (uint8_t)((opt_words - 1) & 0x1f);
	}
}

void wrap_teredo(struct pkt *p, int auth, int origin)
{
	if (origin) {
		uint8_t *o = prepend(p, 8);
		put16(o, 0);
		put16(o + 2, 0xffff ^ 40000);
		put32(o + 4, 0xffffffffu ^ 0xc0000201u);
	}
	if (auth) {
		/* Client id 3 bytes, authentication value 5, then nonce 8 and
		 * confirmation 1. */
		uint8_t *a = prepend(p, 4 + 3 + 5 + 9);
		a[1] = 1;
		a[2] = 3;
		a[3] = 5;
	}
}

void wrap_ayiya(struct pkt *p, uint8_t next, int opcode)
{
	/* Identity of 2^4 = 16 bytes, signature of 5 words = 20 bytes. */
	uint8_t *h = prepend(p, 8 + 16 + 20);
	h[0] = 0x41; /* identity length 4 (2^4), type 1 */
	h[1] = 0x52; /* signature 5 words, hash 2 */
	h[2] = (uint8_t)(0x10 | (opcode & 0x0f)); /* auth 1, opcode */
	h[3] = next;
	put32(h + 4, 1700000000u);
}

/* One's complement sum, 16 bits at a time: the plain way, for tests. */
static uint32_t sum16(uint32_t sum, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

static uint16_t fold16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void pkt_checksums(struct pkt *p)
{
	uint8_t *ip = p->b, *tcp;
	size_t len;
	uint32_t sum;

	if ((ip[0] >> 4) == 4) {
		size_t hlen = (size_t)(ip[0] & 15) * 4;
		ip[10] = ip[11] = 0;
		uint16_t c = fold16(sum16(0, ip, hlen));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		if (ip[9] != 6)
			return;
		len = ((size_t)ip[2] << 8 | ip[3]) - hlen;
		tcp = ip + hlen;
		sum = sum16(0, ip + 12, 8);
	} else {
		if (ip[6] != 6)
			return;
		len = (size_t)ip[4] << 8 | ip[5];
		tcp = ip + 40;
		sum = sum16(0, ip + 8, 32);
	}
	if (tcp + len > p->b + p->len)
		return;
	tcp[16] = tcp[17] = 0;
	uint16_t c = fold16(sum16(sum + 6 + (uint32_t)len, tcp, len));
	tcp[16] = (uint8_t)(c >> 8);
	tcp[17] = (uint8_t)c;
}
