/*
 * decode.c - link, IP and TCP header decoding.
 *
 * Every read is preceded by a length check against what was captured. The IP
 * header's own lengths say how long the datagram is (Ethernet pads short
 * frames; a snap length cuts long ones), so payload sizes come from the IP
 * header, while reads stay within the captured bytes.
 */
#include "decode.h"

#include <string.h>

/* libpcap DLT_* values, spelled out so the decoder needs no pcap headers. */
enum {
	DLT_NULL_ = 0,
	DLT_EN10MB_ = 1,
	DLT_RAW_ = 12,
	DLT_RAW_OPENBSD_ = 14,
	DLT_LINKTYPE_RAW_ = 101,
	DLT_LOOP_ = 108,
	DLT_LINUX_SLL_ = 113,
	DLT_IPV4_ = 228,
	DLT_IPV6_ = 229,
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
	seg->options = 0;
	seg->wscale = 0;
	seg->mss = 0;
	seg->tsval = seg->tsecr = 0;
	/* Options cut by a short snap length are parsed as far as captured. */
	decode_tcp_options(p + 20, hlen - 20,
			   (hlen < caplen ? hlen : caplen) - 20, seg);
	return 0;
}

static int decode_ipv4(const uint8_t *p, uint32_t caplen, struct segment *seg)
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
	 * taken on the sending host: the frame's length is the truth then. */
	if (total == 0)
		total = caplen;
	if (total < hlen)
		return SKIP(IP_MALFORMED);
	if ((rd16(p + 6) & 0x1fff) != 0)
		return SKIP(FRAGMENT);
	if (p[9] != 6)
		return SKIP(NOT_TCP);

	seg->family = 4;
	memset(seg->src, 0, sizeof seg->src);
	memset(seg->dst, 0, sizeof seg->dst);
	memcpy(seg->src, p + 12, 4);
	memcpy(seg->dst, p + 16, 4);
	seg->ip_len = total;
	uint32_t avail = (total < caplen ? total : caplen) - hlen;
	return decode_tcp(p + hlen, avail, total - hlen, seg);
}

static int decode_ipv6(const uint8_t *p, uint32_t caplen, struct segment *seg)
{
	if (caplen < 40)
		return SKIP(IP_TRUNCATED);
	if ((p[0] >> 4) != 6)
		return SKIP(IP_MALFORMED);
	uint32_t total = 40 + (uint32_t)rd16(p + 4);
	if (total == 40 && caplen > 40) /* jumbogram or offload: trust caplen */
		total = caplen;
	uint32_t end = total < caplen ? total : caplen;
	uint32_t off = 40;
	uint8_t next = p[6];

	for (int n = 0; next != 6; n++) {
		uint32_t elen;
		if (n == MAX_IP6_EXTENSIONS)
			return SKIP(IP6_EXT);
		switch (next) {
		case 0:	  /* hop-by-hop options */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* host identity protocol */
		case 140: /* shim6 */
			if (off + 2 > end)
				return SKIP(IP6_EXT);
			elen = ((uint32_t)p[off + 1] + 1) * 8;
			break;
		case 44: /* fragment */
			if (off + 8 > end)
				return SKIP(IP6_EXT);
			if ((rd16(p + off + 2) & 0xfff8) != 0)
				return SKIP(FRAGMENT);
			elen = 8;
			break;
		case 51: /* authentication header */
			if (off + 2 > end)
				return SKIP(IP6_EXT);
			elen = ((uint32_t)p[off + 1] + 2) * 4;
			break;
		default: /* no next header (59), ESP, UDP, ICMPv6, ... */
			return SKIP(NOT_TCP);
		}
		if (off + elen > end)
			return SKIP(IP6_EXT);
		next = p[off];
		off += elen;
	}

	seg->family = 6;
	memcpy(seg->src, p + 8, 16);
	memcpy(seg->dst, p + 24, 16);
	seg->ip_len = total;
	return decode_tcp(p + off, end - off, total - off, seg);
}

int decode_ip(const uint8_t *p, uint32_t len, struct segment *seg)
{
	if (len < 1)
		return SKIP(IP_TRUNCATED);
	switch (p[0] >> 4) {
	case 4:
		return decode_ipv4(p, len, seg);
	case 6:
		return decode_ipv6(p, len, seg);
	default:
		return SKIP(IP_MALFORMED);
	}
}

/* Follows an EtherType through VLAN tags, MPLS labels, PPPoE and FabricPath
 * to an IP header. p points just past the EtherType field. */
static int decode_ethertype(uint16_t type, const uint8_t *p, uint32_t len,
			    struct segment *seg)
{
	for (int depth = 0; depth < MAX_LINK_LAYERS; depth++) {
		switch (type) {
		case ETH_IPV4:
		case ETH_IPV6:
			return decode_ip(p, len, seg);
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ_OLD:
			if (len < 4)
				return SKIP(LINK_TRUNCATED);
			type = rd16(p + 2);
			p += 4;
			len -= 4;
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
			return decode_ip(p, len, seg);
		case ETH_PPPOE:
			/* 6 bytes of PPPoE session header, 2 of PPP protocol.
			 */
			if (len < 8)
				return SKIP(LINK_TRUNCATED);
			if (rd16(p + 6) != 0x0021 && rd16(p + 6) != 0x0057)
				return SKIP(NOT_IP);
			return decode_ip(p + 8, len - 8, seg);
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

/* BSD loopback: the address family in the capturing host's byte order. */
static int decode_null_family(uint32_t af_le, uint32_t af_be, const uint8_t *p,
			      uint32_t len, struct segment *seg)
{
	static const uint32_t inet6[] = {10, 24, 28, 30};
	if (af_le == 2 || af_be == 2)
		return decode_ip(p, len, seg);
	for (unsigned i = 0; i < sizeof inet6 / sizeof inet6[0]; i++)
		if (af_le == inet6[i] || af_be == inet6[i])
			return decode_ip(p, len, seg);
	return SKIP(NOT_IP);
}

int decode_packet(int dlt, const uint8_t *p, uint32_t caplen,
		  struct segment *seg)
{
	switch (dlt) {
	case DLT_EN10MB_:
		if (caplen < 14)
			return SKIP(LINK_TRUNCATED);
		return decode_ethertype(rd16(p + 12), p + 14, caplen - 14, seg);
	case DLT_LINUX_SLL_:
		if (caplen < 16)
			return SKIP(LINK_TRUNCATED);
		return decode_ethertype(rd16(p + 14), p + 16, caplen - 16, seg);
	case DLT_LINUX_SLL2_:
		if (caplen < 20)
			return SKIP(LINK_TRUNCATED);
		return decode_ethertype(rd16(p), p + 20, caplen - 20, seg);
	case 10: /* DLT_FDDI: frame control, two addresses, LLC/SNAP */
		if (caplen < 13)
			return SKIP(LINK_TRUNCATED);
		return decode_ethertype(0, p + 13, caplen - 13, seg);
	case DLT_NULL_:
	case DLT_LOOP_:
		if (caplen < 4)
			return SKIP(LINK_TRUNCATED);
		return decode_null_family((uint32_t)p[0] | (uint32_t)p[1] << 8 |
						  (uint32_t)p[2] << 16 |
						  (uint32_t)p[3] << 24,
					  rd32(p), p + 4, caplen - 4, seg);
	case DLT_RAW_:
	case DLT_RAW_OPENBSD_:
	case DLT_LINKTYPE_RAW_:
	case DLT_IPV4_:
	case DLT_IPV6_:
		return decode_ip(p, caplen, seg);
	default:
		return SKIP(LINKTYPE);
	}
}

int decode_linktype_supported(int dlt)
{
	struct segment seg;
	/* An empty packet is too short for any link type decode_packet()
	 * knows, and it says so before reading a byte; for the others it
	 * says the link type is unknown. One list of link types, not two. */
	return decode_packet(dlt, NULL, 0, &seg) != SKIP(LINKTYPE);
}
