/*
 * decode.c - link, tunnel, IP and TCP header decoding.
 *
 * Every read is preceded by a length check against what was captured. The IP
 * header's own lengths say how long the datagram is (Ethernet pads short
 * frames; a snap length cuts long ones), so payload sizes come from the IP
 * header, while reads stay within the captured bytes.
 *
 * Layers are followed as Zeek's packet analysis follows them, so that the
 * segment Zeek would log a connection for is the one decoded here: link types
 * (Ethernet, PPP, Cisco HDLC, NFLOG, PKTAP, ...), then EtherTypes (VLAN tags,
 * VN-Tag, 802.1ah, MPLS, PPPoE), then IP, whose protocol may open a tunnel
 * (IP-in-IP, GRE with ERSPAN or Ethernet inside, and on their UDP ports
 * VXLAN, Geneve, Teredo, AYIYA) holding another frame or datagram. Each
 * tunnel entered counts against DECODE_MAX_TUNNELS, and within one frame the
 * link headers against MAX_LINK_LAYERS, so hostile nesting costs a bounded
 * amount of work and stack.
 *
 * Checksums are verified only over bytes that were all captured: with a snap
 * length shorter than the datagram the status is unknown, never bad. The sum
 * runs 64 bits at a time in the machine's byte order (RFC 1071: the ones'
 * complement sum does not care, as long as every block is summed the same way
 * and starts at an even offset).
 */
#include "decode.h"

#include <string.h>

/* libpcap DLT_* values, spelled out so the decoder needs no pcap headers. */
enum {
	DLT_NULL_ = 0,
	DLT_EN10MB_ = 1,
	DLT_PPP_ = 9,
	DLT_FDDI_ = 10,
	DLT_RAW_ = 12,
	DLT_RAW_OPENBSD_ = 14,
	DLT_LINKTYPE_RAW_ = 101,
	DLT_PPP_SERIAL_ = 50,
	DLT_C_HDLC_ = 104,
	DLT_LOOP_ = 108,
	DLT_LINUX_SLL_ = 113,
	DLT_IPV4_ = 228,
	DLT_IPV6_ = 229,
	DLT_NFLOG_ = 239,
	DLT_PKTAP_ = 258,
	DLT_LINUX_SLL2_ = 276,
};

enum {
	ETH_IPV4 = 0x0800,
	ETH_IPV6 = 0x86dd,
	ETH_VLAN = 0x8100,
	ETH_QINQ = 0x88a8,
	ETH_QINQ_OLD = 0x9100,
	ETH_MPLS = 0x8847,
	ETH_MPLS_MC = 0x8848,
	ETH_PPPOE = 0x8864,
	ETH_FABRICPATH = 0x8903,
	ETH_PBB = 0x88e7,   /* 802.1ah provider backbone: I-TAG, then a frame */
	ETH_VNTAG = 0x8926, /* Cisco VN-Tag: 4 bytes, then an EtherType */
	ETH_TEB = 0x6558,   /* transparent Ethernet bridging: a whole frame */
	ETH_ERSPAN2 = 0x88be, /* ERSPAN types I and II */
	ETH_ERSPAN3 = 0x22eb,
	ETH_PPTP = 0x880b, /* GRE version 1: PPP */
};

/* PPP protocol numbers. */
enum {
	PPP_IPV4 = 0x0021,
	PPP_IPV6 = 0x0057,
	PPP_MPLS = 0x0281,
	PPP_MPLS_MC = 0x0283,
};

/* UDP ports Zeek decodes tunnels on. */
enum {
	PORT_TEREDO = 3544,
	PORT_VXLAN = 4789,
	PORT_AYIYA = 5072,
	PORT_GENEVE = 6081,
};

/* Deepest stack of VLAN/MPLS/encapsulation headers followed. */
#define MAX_LINK_LAYERS 8
/* Longest IPv6 extension header chain followed. */
#define MAX_IP6_EXTENSIONS 16

#define SKIP(reason) (1 + TCPFSM_SKIP_##reason)

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t rd24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t rd32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

/* What one packet's decoding carries from layer to layer. */
struct ctx {
	unsigned flags;	     /* DECODE_* */
	uint8_t tunnels;     /* entered so far */
	uint8_t kind;	     /* the innermost one's */
	uint8_t ip_csum;     /* the worst IPv4 header checksum so far */
	uint32_t tunnel_id;  /* the innermost one's (struct segment) */
	struct tunnels *tun; /* the caller's, or NULL */
};

/* A tunnel's identity as Zeek names its parent connection: a UDP tunnel is
 * the UDP connection (addresses and ports), an IP tunnel (IP-in-IP, GRE)
 * the pair of addresses. Either direction gives the same one; never 0. */
static uint32_t tunnel_id(const uint8_t *addr, size_t alen, uint8_t proto,
			  uint16_t sport, uint16_t dport)
{
	const uint8_t *a = addr, *b = addr + alen;
	uint16_t pa = sport, pb = dport;
	int swap = memcmp(a, b, alen);
	uint32_t h = 2166136261u; /* FNV-1a */

	if (swap > 0 || (swap == 0 && pa > pb)) {
		a = addr + alen;
		b = addr;
		pa = dport;
		pb = sport;
	}
	if (proto != 17)
		pa = pb = 0;
	uint8_t ports[5] = {(uint8_t)(pa >> 8), (uint8_t)pa, (uint8_t)(pb >> 8),
			    (uint8_t)pb, proto == 17};
	for (size_t i = 0; i < alen; i++)
		h = (h ^ a[i]) * 16777619u;
	for (size_t i = 0; i < alen; i++)
		h = (h ^ b[i]) * 16777619u;
	for (size_t i = 0; i < sizeof ports; i++)
		h = (h ^ ports[i]) * 16777619u;
	return h ? h : 1;
}

/* ------------------------------------------------------------ checksums */

/* The ones' complement sum of len bytes into a 64-bit accumulator, in the
 * machine's byte order. A carry out of bit 63 is added back in (end-around
 * carry), so nothing is lost however long the block. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint64_t w;
	while (len >= 32) { /* four words a turn: fewer loop branches */
		uint64_t a, b, c, d;
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		sum += a;
		sum += sum < a;
		sum += b;
		sum += sum < b;
		sum += c;
		sum += sum < c;
		sum += d;
		sum += sum < d;
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		sum += w;
		sum += sum < w;
		p += 8;
		len -= 8;
	}
	/* The tail, zero-padded to 8 bytes: a trailing odd byte is the first
	 * of a 16-bit word whose second is zero, in either byte order. */
	if (len) {
		uint8_t tail[8] = {0};
		memcpy(tail, p, len);
		memcpy(&w, tail, 8);
		sum += w;
		sum += sum < w;
	}
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t decode_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	return csum_fold(csum_add(sum, p, len));
}

/* A 16-bit value in network order, summed as the blocks are. */
static uint64_t csum_be16(uint64_t sum, uint32_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return csum_add(sum, b, 2);
}

/* Combines two statuses into the worse: bad over unknown over ok. */
static uint8_t csum_worse(uint8_t a, uint8_t b)
{
	static const uint8_t rank[4] = {[CSUM_UNKNOWN] = 1,
					[CSUM_OK] = 0,
					[CSUM_BAD] = 2,
					[CSUM_BAD_OFFLOAD] = 3};
	return rank[a & 3] >= rank[b & 3] ? a : b;
}

/* The TCP checksum of seglen bytes at tcp, all captured, under the
 * pseudo-header of the addresses at addr (8 bytes for IPv4, 32 for IPv6,
 * source then destination, as both headers lay them out). */
static uint8_t tcp_csum(const uint8_t *addr, size_t addrlen, const uint8_t *tcp,
			uint32_t seglen)
{
	uint64_t pseudo = csum_add(0, addr, addrlen);
	pseudo = csum_be16(pseudo, 6);
	/* IPv6's 32-bit upper-layer length: its high half is zero for
	 * anything but a jumbogram, whose length is not trusted here. */
	pseudo = csum_be16(pseudo, seglen & 0xffff);
	pseudo = csum_be16(pseudo, seglen >> 16);
	uint64_t sum = csum_add(pseudo, tcp, seglen);
	if (csum_fold(sum) == 0xffff)
		return CSUM_OK;
	/* Offload: the sender left the pseudo-header's sum, uncomplemented,
	 * for its NIC to finish. */
	uint16_t stored;
	memcpy(&stored, tcp + 16, 2);
	return stored == csum_fold(pseudo) ? CSUM_BAD_OFFLOAD : CSUM_BAD;
}

/* The options: len bytes by the header's data offset, of which cap were
 * captured. An option that runs past the header is malformed; one that runs
 * past what the snap length kept is only cut, and ends the parsing. */
static void decode_tcp_options(const uint8_t *p, uint32_t len, uint32_t cap,
			       struct segment *seg)
{
	uint32_t i = 0;

	while (i < cap) {
		uint8_t kind = p[i];
		if (kind == 0) /* end of option list */
			return;
		if (kind == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= cap) {
			if (i + 1 >= len)
				seg->options |= OPT_MALFORMED;
			return;
		}
		uint8_t olen = p[i + 1];
		if (olen < 2 || olen > len - i) {
			seg->options |= OPT_MALFORMED;
			return;
		}
		if (olen > cap - i)
			return;
		const uint8_t *o = p + i + 2;
		switch (kind) {
		case 2:
			if (olen != 4)
				goto bad;
			seg->options |= OPT_MSS;
			seg->mss = rd16(o);
			break;
		case 3:
			if (olen != 3)
				goto bad;
			seg->options |= OPT_WSCALE;
			/* RFC 7323 2.3: a shift above 14 is used as 14. */
			seg->wscale = o[0] > 14 ? 14 : o[0];
			break;
		case 4:
			if (olen != 2)
				goto bad;
			seg->options |= OPT_SACK_OK;
			break;
		case 5:
			/* SACK: 8 bytes a block, at least one; a block must
			 * end after it starts. Only the first is kept. */
			if (olen < 10 || (olen - 2) % 8 != 0 ||
			    (int32_t)(rd32(o + 4) - rd32(o)) <= 0)
				goto bad;
			if (!(seg->options & OPT_SACK)) {
				seg->options |= OPT_SACK;
				seg->sack_left = rd32(o);
				seg->sack_right = rd32(o + 4);
			}
			break;
		case 8:
			if (olen != 10)
				goto bad;
			seg->options |= OPT_TIMESTAMP;
			seg->tsval = rd32(o);
			seg->tsecr = rd32(o + 4);
			break;
		default:
			break;
		}
		i += olen;
		continue;
	bad:
		seg->options |= OPT_MALFORMED;
		i += olen;
	}
}

/* p points at the TCP header; caplen bytes of it were captured, and the IP
 * header says the segment (header and payload) is seglen bytes. */
static int decode_tcp(const uint8_t *p, uint32_t caplen, uint32_t seglen,
		      struct segment *seg)
{
	if (caplen < 20)
		return SKIP(TCP_TRUNCATED);
	uint32_t hlen = (uint32_t)(p[12] >> 4) * 4;
	if (hlen < 20 || hlen > seglen)
		return SKIP(TCP_MALFORMED);

	seg->sport = rd16(p);
	seg->dport = rd16(p + 2);
	seg->seq = rd32(p + 4);
	seg->ack = rd32(p + 8);
	seg->flags = p[13];
	seg->window = rd16(p + 14);
	seg->payload_len = seglen - hlen;
	seg->payload_cut = caplen < seglen;
	seg->options = 0;
	seg->wscale = 0;
	seg->mss = 0;
	seg->tsval = seg->tsecr = 0;
	seg->sack_left = seg->sack_right = 0;
	/* Options cut by a short snap length are parsed as far as captured. */
	decode_tcp_options(p + 20, hlen - 20,
			   (hlen < caplen ? hlen : caplen) - 20, seg);
	return 0;
}

/* Forward declarations: tunnels lead back to the layers above them. */
static int decode_ip_ctx(struct ctx *c, const uint8_t *p, uint32_t len,
			 struct segment *seg);
static int decode_ethertype(struct ctx *c, uint16_t type, const uint8_t *p,
			    uint32_t len, struct segment *seg);
static int decode_eth_frame(struct ctx *c, const uint8_t *p, uint32_t len,
			    struct segment *seg);

/* The datagram a transport header sits in: what a tunnel's record and the
 * TCP pseudo-header need of it. */
struct ipinfo {
	const uint8_t *addr; /* source then destination */
	uint8_t family;
	uint8_t csum_ok; /* lengths genuine: a TCP checksum can be checked */
};

/* Enters a tunnel (after its header was found whole): counts it against the
 * bound and records the outer flow for the caller. */
static int tunnel_enter(struct ctx *c, const struct ipinfo *ip, uint8_t kind,
			uint8_t proto, uint16_t sport, uint16_t dport,
			int has_key, uint32_t key)
{
	if (c->tunnels >= DECODE_MAX_TUNNELS)
		return SKIP(TUNNEL_DEPTH);
	if (c->tun) {
		struct tunnel *t = &c->tun->t[c->tunnels];
		size_t alen = ip->family == 4 ? 4 : 16;
		memset(t, 0, sizeof *t);
		t->kind = kind;
		t->family = ip->family;
		t->proto = proto;
		t->has_key = (uint8_t)(has_key != 0);
		t->sport = sport;
		t->dport = dport;
		t->key = has_key ? key : 0;
		memcpy(t->src, ip->addr, alen);
		memcpy(t->dst, ip->addr + alen, alen);
		c->tun->n = (uint8_t)(c->tunnels + 1);
	}
	c->tunnels++;
	c->kind = kind;
	c->tunnel_id = tunnel_id(ip->addr, ip->family == 4 ? 4 : 16, proto,
				 sport, dport);
	return 0;
}

/* A PPP header from its protocol field on (address and control already
 * gone): the protocol, 1 byte when compressed (its low bit set), else 2. */
static int decode_ppp_proto(struct ctx *c, const uint8_t *p, uint32_t len,
			    struct segment *seg)
{
	uint32_t proto, hlen;
	if (len < 1)
		return SKIP(LINK_TRUNCATED);
	if (p[0] & 1) {
		proto = p[0];
		hlen = 1;
	} else {
		if (len < 2)
			return SKIP(LINK_TRUNCATED);
		proto = rd16(p);
		hlen = 2;
	}
	switch (proto) {
	case PPP_IPV4:
	case PPP_IPV6:
		return decode_ip_ctx(c, p + hlen, len - hlen, seg);
	case PPP_MPLS:
		return decode_ethertype(c, ETH_MPLS, p + hlen, len - hlen, seg);
	case PPP_MPLS_MC:
		return decode_ethertype(c, ETH_MPLS_MC, p + hlen, len - hlen,
					seg);
	default:
		return SKIP(NOT_IP);
	}
}

/* A PPP frame: the HDLC address and control bytes (ff 03) unless
 * compressed away, then the protocol. */
static int decode_ppp(struct ctx *c, const uint8_t *p, uint32_t len,
		      struct segment *seg)
{
	/* 0xff is no protocol's first byte (those are even, or odd and
	 * alone), so it can only be the address. */
	if (len >= 1 && p[0] == 0xff) {
		if (len < 2)
			return SKIP(LINK_TRUNCATED);
		if (p[1] != 0x03)
			return SKIP(NOT_IP);
		p += 2;
		len -= 2;
	}
	return decode_ppp_proto(c, p, len, seg);
}

/* GRE (RFC 2784/2890) and PPTP's enhanced GRE (RFC 2637), as Zeek reads
 * them: p is the GRE header, len the bytes of the datagram captured. */
static int decode_gre(struct ctx *c, const struct ipinfo *ip, const uint8_t *p,
		      uint32_t len, struct segment *seg)
{
	if (len < 4)
		return SKIP(TUNNEL_TRUNCATED);
	uint16_t flags = rd16(p);
	uint16_t proto = rd16(p + 2);
	unsigned version = flags & 7;
	if (version > 1 || (flags & 0x4000)) /* routing: deprecated */
		return SKIP(TUNNEL_UNSUPPORTED);
	if (flags & 0x0078) /* reserved flags */
		return SKIP(TUNNEL_MALFORMED);
	uint32_t hlen = 4;
	uint32_t key_off = 0;
	if (flags & 0x8000) /* checksum and reserved */
		hlen += 4;
	if (flags & 0x2000) { /* key */
		key_off = hlen;
		hlen += 4;
	}
	if (flags & 0x1000) /* sequence number */
		hlen += 4;
	if (flags & 0x0080) /* acknowledgement (version 1) */
		hlen += 4;
	if (len < hlen)
		return SKIP(TUNNEL_TRUNCATED);
	if (version == 1 && (proto != ETH_PPTP || !key_off))
		return SKIP(TUNNEL_UNSUPPORTED);
	/* PPTP's key field is the payload length and the call ID; the call
	 * ID alone names the tunnel. */
	uint32_t key = key_off ? rd32(p + key_off) : 0;
	if (version == 1)
		key &= 0xffff;
	int rc = tunnel_enter(c, ip, TUNNEL_GRE, 47, 0, 0, key_off != 0, key);
	if (rc)
		return rc;
	p += hlen;
	len -= hlen;

	if (version == 1)
		return decode_ppp(c, p, len, seg);
	switch (proto) {
	case ETH_IPV4:
	case ETH_IPV6:
	case ETH_MPLS:
	case ETH_MPLS_MC:
		return decode_ethertype(c, proto, p, len, seg);
	case ETH_TEB:
		return decode_eth_frame(c, p, len, seg);
	case ETH_ERSPAN2:
		/* Type I has no sequence number and no header of its own;
		 * type II has both: 8 bytes. */
		if (flags & 0x1000) {
			if (len < 8)
				return SKIP(TUNNEL_TRUNCATED);
			p += 8;
			len -= 8;
		}
		return decode_eth_frame(c, p, len, seg);
	case ETH_ERSPAN3:
		/* 12 bytes; the O flag (bit 0 of the last) adds an 8-byte
		 * platform-specific subheader. */
		if (len < 12)
			return SKIP(TUNNEL_TRUNCATED);
		if (p[11] & 1) {
			if (len < 20)
				return SKIP(TUNNEL_TRUNCATED);
			p += 8;
			len -= 8;
		}
		return decode_eth_frame(c, p + 12, len - 12, seg);
	default: /* Aruba's 802.11, WCCP, keepalives, ... */
		return SKIP(TUNNEL_UNSUPPORTED);
	}
}

/* Teredo (RFC 4380): optional authentication and origin indication
 * headers, in that order and at most one each, then IPv6. len is the UDP
 * payload captured, plen the UDP payload as its header says. */
static int decode_teredo(struct ctx *c, const struct ipinfo *ip, uint16_t sport,
			 uint16_t dport, const uint8_t *p, uint32_t len,
			 uint32_t plen, struct segment *seg)
{
	int seen_auth = 0, seen_origin = 0;
	for (;;) {
		if (len < 2)
			return SKIP(TUNNEL_TRUNCATED);
		if ((p[0] >> 4) == 6)
			break;
		if (p[0] != 0 || p[1] > 1)
			return SKIP(TUNNEL_MALFORMED);
		uint32_t hlen;
		if (p[1] == 0) { /* origin indication */
			if (seen_origin)
				return SKIP(TUNNEL_MALFORMED);
			seen_origin = 1;
			hlen = 8;
		} else { /* authentication: never after an origin */
			if (seen_auth || seen_origin)
				return SKIP(TUNNEL_MALFORMED);
			seen_auth = 1;
			if (len < 4)
				return SKIP(TUNNEL_TRUNCATED);
			hlen = 4 + (uint32_t)p[2] + p[3] + 9;
		}
		if (len < hlen)
			return SKIP(TUNNEL_TRUNCATED);
		p += hlen;
		len -= hlen;
		plen -= hlen < plen ? hlen : plen;
	}
	if (len < 40)
		return SKIP(TUNNEL_TRUNCATED);
	/* As Zeek: a datagram shorter than the UDP payload that holds it is
	 * not Teredo (a bubble excepted). */
	if (40 + (uint32_t)rd16(p + 4) < plen && p[6] != 59)
		return SKIP(TUNNEL_MALFORMED);
	int rc = tunnel_enter(c, ip, TUNNEL_TEREDO, 17, sport, dport, 0, 0);
	if (rc)
		return rc;
	return decode_ip_ctx(c, p, len, seg);
}

/* A UDP datagram: a tunnel on Zeek's ports for VXLAN, Geneve, Teredo and
 * AYIYA (either end: replies come from the tunnel's port), else not TCP.
 * len bytes of it were captured; dlen is its length per the IP header. */
static int decode_udp(struct ctx *c, const struct ipinfo *ip, const uint8_t *p,
		      uint32_t len, uint32_t dlen, struct segment *seg)
{
	if (len < 4)
		return SKIP(NOT_TCP);
	uint16_t sport = rd16(p), dport = rd16(p + 2);
	uint16_t port = 0;
	static const uint16_t ports[] = {PORT_VXLAN, PORT_GENEVE, PORT_TEREDO,
					 PORT_AYIYA};
	for (int end = 0; end < 2 && !port; end++)
		for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++)
			if ((end ? sport : dport) == ports[i])
				port = ports[i];
	if (!port)
		return SKIP(NOT_TCP);
	if (len < 8)
		return SKIP(TUNNEL_TRUNCATED);
	/* The UDP length bounds the payload; 0 is a jumbogram's. */
	uint32_t ulen = rd16(p + 4);
	if (ulen == 0)
		ulen = dlen;
	if (ulen < 8 || ulen > dlen)
		return SKIP(TUNNEL_MALFORMED);
	if (len > ulen)
		len = ulen;
	p += 8;
	len -= 8;
	uint32_t plen = ulen - 8;

	switch (port) {
	case PORT_VXLAN: {
		if (len < 8)
			return SKIP(TUNNEL_TRUNCATED);
		if (!(p[0] & 0x08)) /* the I flag: the VNI is valid */
			return SKIP(TUNNEL_MALFORMED);
		int rc = tunnel_enter(c, ip, TUNNEL_VXLAN, 17, sport, dport, 1,
				      rd24(p + 4));
		if (rc)
			return rc;
		return decode_eth_frame(c, p + 8, len - 8, seg);
	}
	case PORT_GENEVE: {
		if (len < 8)
			return SKIP(TUNNEL_TRUNCATED);
		if (p[0] >> 6) /* version 0 is the only one */
			return SKIP(TUNNEL_MALFORMED);
		uint32_t hlen = 8 + (uint32_t)(p[0] & 0x3f) * 4;
		if (len < hlen)
			return SKIP(TUNNEL_TRUNCATED);
		uint16_t proto = rd16(p + 2);
		if (proto != ETH_TEB && proto != ETH_IPV4 && proto != ETH_IPV6)
			return SKIP(TUNNEL_UNSUPPORTED);
		int rc = tunnel_enter(c, ip, TUNNEL_GENEVE, 17, sport, dport, 1,
				      rd24(p + 4));
		if (rc)
			return rc;
		if (proto == ETH_TEB)
			return decode_eth_frame(c, p + hlen, len - hlen, seg);
		return decode_ip_ctx(c, p + hlen, len - hlen, seg);
	}
	case PORT_TEREDO:
		return decode_teredo(c, ip, sport, dport, p, len, plen, seg);
	default: { /* AYIYA */
		if (len < 8)
			return SKIP(TUNNEL_TRUNCATED);
		/* Identity of 2^n bytes, signature of 4n bytes. */
		uint32_t hlen =
			8 + (1u << (p[0] >> 4)) + (uint32_t)(p[1] >> 4) * 4;
		if (len < hlen)
			return SKIP(TUNNEL_TRUNCATED);
		if ((p[2] & 0x0f) != 1) /* not "forward": a heartbeat, ... */
			return SKIP(NOT_TCP);
		if (p[3] != 4 && p[3] != 41)
			return SKIP(TUNNEL_UNSUPPORTED);
		int rc = tunnel_enter(c, ip, TUNNEL_AYIYA, 17, sport, dport, 0,
				      0);
		if (rc)
			return rc;
		if (len > hlen && (p[hlen] >> 4) != (p[3] == 4 ? 4 : 6))
			return SKIP(TUNNEL_MALFORMED);
		return decode_ip_ctx(c, p + hlen, len - hlen, seg);
	}
	}
}

/* What follows an IP header (and IPv6's extension chain): hdr is the
 * datagram, off the transport header's offset in it, end the bytes of it
 * captured (or fewer, where the IP length ends earlier), total its length
 * per the IP header. */
static int decode_transport(struct ctx *c, const struct ipinfo *ip,
			    uint8_t proto, const uint8_t *hdr, uint32_t off,
			    uint32_t end, uint32_t total, struct segment *seg)
{
	const uint8_t *p = hdr + off;
	uint32_t len = end - off;
	int rc;

	switch (proto) {
	case 6:
		break;
	case 4:
	case 41:
		rc = tunnel_enter(c, ip, TUNNEL_IP, proto, 0, 0, 0, 0);
		if (rc)
			return rc;
		/* The inner version is the one the protocol number says. */
		if (len >= 1 && (p[0] >> 4) != (proto == 4 ? 4 : 6))
			return SKIP(TUNNEL_MALFORMED);
		return decode_ip_ctx(c, p, len, seg);
	case 47:
		return decode_gre(c, ip, p, len, seg);
	case 17:
		return decode_udp(c, ip, p, len, total - off, seg);
	default:
		return SKIP(NOT_TCP);
	}

	size_t alen = ip->family == 4 ? 4 : 16;
	seg->family = ip->family;
	memset(seg->src, 0, sizeof seg->src);
	memset(seg->dst, 0, sizeof seg->dst);
	memcpy(seg->src, ip->addr, alen);
	memcpy(seg->dst, ip->addr + alen, alen);
	seg->ip_len = total;
	rc = decode_tcp(p, len, total - off, seg);
	if (rc)
		return rc;
	seg->ip_csum = c->ip_csum;
	seg->tunnels = c->tunnels;
	seg->tunnel_kind = c->kind;
	seg->tunnel_id = c->tunnel_id;
	/* Only a segment captured whole, with lengths that were not left
	 * for offload to fill, can be checked. */
	if ((c->flags & DECODE_NO_CHECKSUMS) || !ip->csum_ok ||
	    total - off > len)
		seg->tcp_csum = CSUM_UNKNOWN;
	else
		seg->tcp_csum = tcp_csum(ip->addr, 2 * alen, p, total - off);
	return 0;
}

static int decode_ipv4(struct ctx *c, const uint8_t *p, uint32_t caplen,
		       struct segment *seg)
{
	if (caplen < 20)
		return SKIP(IP_TRUNCATED);
	uint32_t hlen = (uint32_t)(p[0] & 0x0f) * 4;
	uint32_t total = rd16(p + 2);
	if ((p[0] >> 4) != 4 || hlen < 20)
		return SKIP(IP_MALFORMED);
	if (caplen < hlen)
		return SKIP(IP_TRUNCATED);
	/* A total length of 0 is what segmentation offload leaves in captures
	 * taken on the sending host: the frame's length is the truth then,
	 * and the checksums were left for the NIC. */
	int offload = total == 0;
	if (offload)
		total = caplen;
	if (total < hlen)
		return SKIP(IP_MALFORMED);
	if ((rd16(p + 6) & 0x1fff) != 0)
		return SKIP(FRAGMENT);

	uint8_t st = CSUM_UNKNOWN;
	if (!(c->flags & DECODE_NO_CHECKSUMS) && !offload)
		st = csum_fold(csum_add(0, p, hlen)) == 0xffff ? CSUM_OK
							       : CSUM_BAD;
	c->ip_csum = csum_worse(c->ip_csum, st);
	struct ipinfo ip = {
		.addr = p + 12, .family = 4, .csum_ok = (uint8_t)!offload};
	return decode_transport(c, &ip, p[9], p, hlen,
				total < caplen ? total : caplen, total, seg);
}

static int decode_ipv6(struct ctx *c, const uint8_t *p, uint32_t caplen,
		       struct segment *seg)
{
	if (caplen < 40)
		return SKIP(IP_TRUNCATED);
	if ((p[0] >> 4) != 6)
		return SKIP(IP_MALFORMED);
	uint32_t total = 40 + (uint32_t)rd16(p + 4);
	int offload = 0;
	if (total == 40 && caplen > 40) { /* jumbogram or offload */
		total = caplen;
		offload = 1;
	}
	uint32_t end = total < caplen ? total : caplen;
	uint32_t off = 40;
	uint8_t next = p[6];
	int routed = 0; /* a routing header with segments left */

	for (int n = 0;; n++) {
		uint32_t elen;
		switch (next) {
		case 0:	  /* hop-by-hop options */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* host identity protocol */
		case 140: /* shim6 */
			if (n == MAX_IP6_EXTENSIONS)
				return SKIP(IP6_EXT);
			if (off + 2 > end)
				return SKIP(IP6_EXT);
			elen = ((uint32_t)p[off + 1] + 1) * 8;
			/* The pseudo-header then holds the final
			 * destination, not the one in the header. */
			if (next == 43 && off + 4 <= end && p[off + 3])
				routed = 1;
			break;
		case 44: /* fragment */
			if (n == MAX_IP6_EXTENSIONS)
				return SKIP(IP6_EXT);
			if (off + 8 > end)
				return SKIP(IP6_EXT);
			if ((rd16(p + off + 2) & 0xfff8) != 0)
				return SKIP(FRAGMENT);
			elen = 8;
			break;
		case 51: /* authentication header */
			if (n == MAX_IP6_EXTENSIONS)
				return SKIP(IP6_EXT);
			if (off + 2 > end)
				return SKIP(IP6_EXT);
			elen = ((uint32_t)p[off + 1] + 2) * 4;
			break;
		default: { /* the upper layer: TCP, a tunnel, or not TCP */
			struct ipinfo ip = {
				.addr = p + 8,
				.family = 6,
				.csum_ok = (uint8_t) !(offload || routed)};
			return decode_transport(c, &ip, next, p, off, end,
						total, seg);
		}
		}
		if (off + elen > end)
			return SKIP(IP6_EXT);
		next = p[off];
		off += elen;
	}
}

static int decode_ip_ctx(struct ctx *c, const uint8_t *p, uint32_t len,
			 struct segment *seg)
{
	if (len < 1)
		return SKIP(IP_TRUNCATED);
	switch (p[0] >> 4) {
	case 4:
		return decode_ipv4(c, p, len, seg);
	case 6:
		return decode_ipv6(c, p, len, seg);
	default:
		return SKIP(IP_MALFORMED);
	}
}

static void ctx_init(struct ctx *c, unsigned flags, struct tunnels *tun)
{
	c->flags = flags;
	c->tunnels = 0;
	c->kind = TUNNEL_NONE;
	c->tunnel_id = 0;
	/* No IPv4 header yet, none bad: ok, unless nothing is verified. */
	c->ip_csum = (flags & DECODE_NO_CHECKSUMS) ? CSUM_UNKNOWN : CSUM_OK;
	c->tun = tun;
	if (tun)
		tun->n = 0;
}

int decode_ip(const uint8_t *p, uint32_t len, struct segment *seg)
{
	struct ctx c;
	ctx_init(&c, 0, NULL);
	return decode_ip_ctx(&c, p, len, seg);
}

/* Follows an EtherType through VLAN tags, VN-Tags, 802.1ah, MPLS labels,
 * PPPoE and FabricPath to an IP header. p points just past the EtherType
 * field. */
static int decode_ethertype(struct ctx *c, uint16_t type, const uint8_t *p,
			    uint32_t len, struct segment *seg)
{
	for (int depth = 0; depth < MAX_LINK_LAYERS; depth++) {
		switch (type) {
		case ETH_IPV4:
		case ETH_IPV6:
			return decode_ip_ctx(c, p, len, seg);
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ_OLD:
			if (len < 4)
				return SKIP(LINK_TRUNCATED);
			type = rd16(p + 2);
			p += 4;
			len -= 4;
			break;
		case ETH_VNTAG:
			if (len < 6)
				return SKIP(LINK_TRUNCATED);
			type = rd16(p + 4);
			p += 6;
			len -= 6;
			break;
		case ETH_PBB:
			/* The I-TAG (4 bytes), then the customer's frame:
			 * addresses and its own EtherType. */
			if (len < 18)
				return SKIP(LINK_TRUNCATED);
			type = rd16(p + 16);
			p += 18;
			len -= 18;
			break;
		case ETH_MPLS:
		case ETH_MPLS_MC:
			/* Pop labels to the bottom of the stack; the payload's
			 * first nibble tells IPv4 from IPv6. */
			for (int labels = 0;; labels++) {
				if (len < 4 || labels == MAX_LINK_LAYERS)
					return SKIP(LINK_TRUNCATED);
				int bottom = p[2] & 1;
				p += 4;
				len -= 4;
				if (bottom)
					break;
			}
			return decode_ip_ctx(c, p, len, seg);
		case ETH_PPPOE:
			/* 6 bytes of PPPoE session header, 2 of PPP protocol.
			 */
			if (len < 8)
				return SKIP(LINK_TRUNCATED);
			if (rd16(p + 6) != PPP_IPV4 && rd16(p + 6) != PPP_IPV6)
				return SKIP(NOT_IP);
			return decode_ip_ctx(c, p + 8, len - 8, seg);
		case ETH_FABRICPATH:
			/* 2 bytes of FTag/TTL, then the whole inner frame. */
			if (len < 16)
				return SKIP(LINK_TRUNCATED);
			type = rd16(p + 14);
			p += 16;
			len -= 16;
			break;
		default:
			if (type >= 0x0600)
				return SKIP(NOT_IP);
			/* 802.3 length: only LLC/SNAP carries an EtherType. */
			if (len < 8)
				return SKIP(LINK_TRUNCATED);
			if (p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03)
				return SKIP(NOT_IP);
			type = rd16(p + 6);
			p += 8;
			len -= 8;
			break;
		}
	}
	return SKIP(NOT_IP);
}

/* A whole Ethernet frame: addresses, EtherType, and on. */
static int decode_eth_frame(struct ctx *c, const uint8_t *p, uint32_t len,
			    struct segment *seg)
{
	if (len < 14)
		return SKIP(LINK_TRUNCATED);
	return decode_ethertype(c, rd16(p + 12), p + 14, len - 14, seg);
}

/* BSD loopback: the address family in the capturing host's byte order. */
static int decode_null_family(struct ctx *c, uint32_t af_le, uint32_t af_be,
			      const uint8_t *p, uint32_t len,
			      struct segment *seg)
{
	static const uint32_t inet6[] = {10, 24, 28, 30};
	if (af_le == 2 || af_be == 2)
		return decode_ip_ctx(c, p, len, seg);
	for (unsigned i = 0; i < sizeof inet6 / sizeof inet6[0]; i++)
		if (af_le == inet6[i] || af_be == inet6[i])
			return decode_ip_ctx(c, p, len, seg);
	return SKIP(NOT_IP);
}

/* Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control, then an
 * EtherType. */
static int decode_chdlc(struct ctx *c, const uint8_t *p, uint32_t len,
			struct segment *seg)
{
	if (len < 4)
		return SKIP(LINK_TRUNCATED);
	return decode_ethertype(c, rd16(p + 2), p + 4, len - 4, seg);
}

/* NFLOG: a 4-byte header (address family, version 0, resource ID), then
 * TLVs, each padded to 4 bytes, whose length and type are in the capturing
 * host's byte order (libpcap swaps them for a reader of the other order).
 * The packet is the payload TLV's value (type 9). */
static int decode_nflog(struct ctx *c, const uint8_t *p, uint32_t len,
			struct segment *seg)
{
	if (len < 4)
		return SKIP(LINK_TRUNCATED);
	uint8_t family = p[0];
	if (p[1] != 0) /* version */
		return SKIP(LINKTYPE);
	if (family != 2 && family != 10)
		return SKIP(NOT_IP);
	uint32_t off = 4;
	for (;;) {
		uint16_t tlen, type;
		if (len - off < 4)
			return SKIP(LINK_TRUNCATED);
		memcpy(&tlen, p + off, 2);
		memcpy(&type, p + off + 2, 2);
		if (tlen < 4)
			return SKIP(LINK_TRUNCATED);
		if (type == 9) {
			/* The value is the packet; what follows the TLV is
			 * not. */
			uint32_t vlen = tlen - 4u;
			uint32_t have = len - off - 4;
			return decode_ip_ctx(c, p + off + 4,
					     vlen < have ? vlen : have, seg);
		}
		uint32_t step = ((uint32_t)tlen + 3) & ~3u;
		if (step > len - off)
			return SKIP(LINK_TRUNCATED);
		off += step;
	}
}

static int decode_link(struct ctx *c, int dlt, const uint8_t *p,
		       uint32_t caplen, struct segment *seg, int in_pktap);

/* Apple's PKTAP: a little-endian header of its own length (at least 108
 * bytes), a record type (1: a packet follows) and the packet's own link
 * type. */
static int decode_pktap(struct ctx *c, const uint8_t *p, uint32_t len,
			struct segment *seg)
{
	if (len < 12)
		return SKIP(LINK_TRUNCATED);
	uint32_t hlen = rd32le(p);
	if (hlen < 108)
		return SKIP(LINK_TRUNCATED);
	if (rd32le(p + 4) != 1)
		return SKIP(NOT_IP);
	if (len < hlen)
		return SKIP(LINK_TRUNCATED);
	uint32_t dlt = rd32le(p + 8);
	if (dlt > 0xffff)
		return SKIP(LINKTYPE);
	return decode_link(c, (int)dlt, p + hlen, len - hlen, seg, 1);
}

static int decode_link(struct ctx *c, int dlt, const uint8_t *p,
		       uint32_t caplen, struct segment *seg, int in_pktap)
{
	switch (dlt) {
	case DLT_EN10MB_:
		return decode_eth_frame(c, p, caplen, seg);
	case DLT_LINUX_SLL_:
		if (caplen < 16)
			return SKIP(LINK_TRUNCATED);
		return decode_ethertype(c, rd16(p + 14), p + 16, caplen - 16,
					seg);
	case DLT_LINUX_SLL2_:
		if (caplen < 20)
			return SKIP(LINK_TRUNCATED);
		return decode_ethertype(c, rd16(p), p + 20, caplen - 20, seg);
	case DLT_FDDI_: /* frame control, two addresses, LLC/SNAP */
		if (caplen < 13)
			return SKIP(LINK_TRUNCATED);
		return decode_ethertype(c, 0, p + 13, caplen - 13, seg);
	case DLT_NULL_:
	case DLT_LOOP_:
		if (caplen < 4)
			return SKIP(LINK_TRUNCATED);
		return decode_null_family(c, rd32le(p), rd32(p), p + 4,
					  caplen - 4, seg);
	case DLT_RAW_:
	case DLT_RAW_OPENBSD_:
	case DLT_LINKTYPE_RAW_:
	case DLT_IPV4_:
	case DLT_IPV6_:
		return decode_ip_ctx(c, p, caplen, seg);
	case DLT_PPP_:
		return decode_ppp(c, p, caplen, seg);
	case DLT_PPP_SERIAL_:
		/* RFC 1662 framing, or Cisco HDLC in the same link type. */
		if (caplen >= 1 && (p[0] == 0x0f || p[0] == 0x8f))
			return decode_chdlc(c, p, caplen, seg);
		return decode_ppp(c, p, caplen, seg);
	case DLT_C_HDLC_:
		return decode_chdlc(c, p, caplen, seg);
	case DLT_NFLOG_:
		return decode_nflog(c, p, caplen, seg);
	case DLT_PKTAP_:
		/* One PKTAP header per packet: a second is hostile. */
		if (in_pktap)
			return SKIP(LINKTYPE);
		return decode_pktap(c, p, caplen, seg);
	default:
		return SKIP(LINKTYPE);
	}
}

int decode_packet_ex(int dlt, const uint8_t *p, uint32_t caplen, unsigned flags,
		     struct segment *seg, struct tunnels *tun)
{
	struct ctx c;
	ctx_init(&c, flags, tun);
	return decode_link(&c, dlt, p, caplen, seg, 0);
}

int decode_packet(int dlt, const uint8_t *p, uint32_t caplen,
		  struct segment *seg)
{
	return decode_packet_ex(dlt, p, caplen, 0, seg, NULL);
}

int decode_linktype_supported(int dlt)
{
	struct segment seg;
	/* An empty packet is too short for any link type decode_packet()
	 * knows, and it says so before reading a byte; for the others it
	 * says the link type is unknown. One list of link types, not two. */
	return decode_packet(dlt, NULL, 0, &seg) != SKIP(LINKTYPE);
}

const char *tunnel_kind_name(int kind)
{
	static const char *const names[] = {
		[TUNNEL_NONE] = "Tunnel::NONE",
		[TUNNEL_IP] = "Tunnel::IP",
		[TUNNEL_GRE] = "Tunnel::GRE",
		[TUNNEL_VXLAN] = "Tunnel::VXLAN",
		[TUNNEL_GENEVE] = "Tunnel::GENEVE",
		[TUNNEL_TEREDO] = "Tunnel::TEREDO",
		[TUNNEL_AYIYA] = "Tunnel::AYIYA",
	};
	return kind >= 0 && (size_t)kind < sizeof names / sizeof names[0]
		       ? names[kind]
		       : "?";
}
