/*
 * decode.h - link, tunnel, IP and TCP header decoding.
 *
 * Pure: reads only the bytes it is given, never past caplen, allocates
 * nothing and keeps no state. A packet is either a TCP segment, described by
 * struct segment, or a reason why not. A segment that came through tunnels
 * (IP-in-IP, GRE, VXLAN, Geneve, Teredo, AYIYA) is the innermost one; the
 * segment counts the tunnels, and the caller who needs their identities (the
 * Zeek view's tunnel_parents) passes a struct tunnels to be filled.
 *
 * Checksums are reported, never acted on: a bad one may be the capturing
 * host's own offload, and what to make of it is the tracker's business.
 */
#ifndef TCPFSM_DECODE_H
#define TCPFSM_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "tcpfsm.h"

/* TCP header flags, as on the wire. */
enum {
	TH_FIN = 0x01,
	TH_SYN = 0x02,
	TH_RST = 0x04,
	TH_PUSH = 0x08,
	TH_ACK = 0x10,
	TH_URG = 0x20,
	TH_ECE = 0x40,
	TH_CWR = 0x80,
};

/* Which TCP options a segment carried. */
enum {
	OPT_MSS = 1 << 0,
	OPT_WSCALE = 1 << 1,
	OPT_SACK_OK = 1 << 2,
	OPT_TIMESTAMP = 1 << 3,
	/* It carried SACK blocks (RFC 2018); sack_left and sack_right are
	 * the first, the block holding the segment its sender received
	 * last. */
	OPT_SACK = 1 << 4,
	/* An option's length was bad: past the header, below 2, or wrong for
	 * its kind. */
	OPT_MALFORMED = 1 << 7,
};

/* A checksum's status (struct segment's ip_csum and tcp_csum). */
enum {
	/* Not verified: verification was turned off, the bytes were not all
	 * captured (a snap length), or a length field was left for offload
	 * to fill (IPv4 total length 0, IPv6 payload length 0). */
	CSUM_UNKNOWN = 0,
	CSUM_OK = 1,
	CSUM_BAD = 2,
	/* Bad, and holding exactly the pseudo-header's sum: what a host that
	 * offloads checksums to its NIC hands to the capture (Linux's
	 * CHECKSUM_PARTIAL). Still bad as far as the bytes go. (The tracker
	 * gives it to any bad checksum of a host whose pattern shows offload:
	 * checksums.c.) */
	CSUM_BAD_OFFLOAD = 3,
};

/* Tunnel kinds, as Zeek's Tunnel::Type names them (tunnel_kind_name()). */
enum tunnel_kind {
	TUNNEL_NONE = 0,
	TUNNEL_IP,     /* IP-in-IP: IP protocols 4 and 41 */
	TUNNEL_GRE,    /* GRE and PPTP, with ERSPAN and Ethernet inside */
	TUNNEL_VXLAN,  /* UDP 4789 */
	TUNNEL_GENEVE, /* UDP 6081 */
	TUNNEL_TEREDO, /* UDP 3544 */
	TUNNEL_AYIYA,  /* UDP 5072 */
};

/* Most tunnels followed, as Zeek's Tunnel::max_depth: a packet nested
 * deeper is skipped (TCPFSM_SKIP_TUNNEL_DEPTH). */
#define DECODE_MAX_TUNNELS 4

/* One tunnel a segment came through: the outer flow's identity. */
struct tunnel {
	uint8_t kind;	/* enum tunnel_kind */
	uint8_t family; /* of the outer addresses: 4 or 6 */
	uint8_t proto;	/* outer IP protocol: 4, 41, 47 (GRE) or 17 (UDP) */
	uint8_t has_key;
	uint16_t sport, dport; /* UDP tunnels; 0 for the others */
	/* has_key: the GRE key (PPTP: the call ID), the VXLAN or Geneve VNI */
	uint32_t key;
	uint8_t src[16], dst[16]; /* IPv4: first 4 bytes, the rest zero */
	/* CSUM_*: the IPv4 header checksums on the way (outer headers too;
	 * the worst of them; OK when there is no IPv4 header), and the TCP
	 * checksum. */
	uint8_t ip_csum, tcp_csum;
	uint8_t tunnels;     /* tunnels it came through; 0: none */
	uint8_t tunnel_kind; /* the innermost one's enum tunnel_kind */
};

/* The tunnels of one segment, outermost first. Left as it was when the
 * packet is skipped. */
struct tunnels {
	uint8_t n;
	struct tunnel t[DECODE_MAX_TUNNELS];
};

/* decode_packet_ex() flags. */
enum {
	/* Leave checksums unverified (CSUM_UNKNOWN): summing the payload is
	 * the decoder's only cost that grows with the packet. */
	DECODE_NO_CHECKSUMS = 1 << 0,
};

struct segment {
	uint8_t family;	 /* 4 or 6 */
	uint8_t flags;	 /* TH_* */
	uint8_t options; /* OPT_* */
	uint8_t wscale;
	uint16_t sport, dport; /* host order */
	uint16_t window;       /* unscaled, as on the wire */
	uint16_t mss;
	uint32_t seq, ack;
	uint32_t tsval, tsecr;
	/* OPT_SACK: the first SACK block, [sack_left, sack_right): 8 bytes
	 * of the segment's 88 (the batch and the reader carry one per
	 * packet). Later blocks are not kept. */
	uint32_t sack_left, sack_right;
	uint32_t payload_len; /* TCP payload per the IP length (not caplen) */
	uint32_t ip_len;      /* IP header(s) + TCP header + payload */
	uint8_t src[16], dst[16]; /* IPv4: first 4 bytes, the rest zero */
	/* CSUM_*: the IPv4 header checksums on the way (outer headers too;
	 * the worst of them; OK when there is no IPv4 header), and the TCP
	 * checksum. */
	uint8_t ip_csum, tcp_csum;
	uint8_t tunnels;     /* tunnels it came through; 0: none */
	uint8_t tunnel_kind; /* the innermost one's enum tunnel_kind */
	/* The payload was not all captured (a snap length): its bytes are
	 * unknown to a reader of the stream (Zeek's content gaps). */
	uint8_t payload_cut;
	/* The innermost tunnel's identity, the same in both directions (the
	 * Zeek view's tunnel_parents); 0: none. */
	uint32_t tunnel_id;
};

/*
 * Decodes one captured packet of libpcap link type dlt (a DLT_* value).
 * Returns 0 and fills seg for a TCP segment; otherwise 1 + the
 * enum tcpfsm_skip_reason that says why not, and seg's contents are
 * unspecified. flags: DECODE_*. tun may be NULL; otherwise, for a segment,
 * it receives the tunnels counted in seg->tunnels.
 */
int decode_packet_ex(int dlt, const uint8_t *pkt, uint32_t caplen,
		     unsigned flags, struct segment *seg, struct tunnels *tun);

/* decode_packet_ex() with checksums verified and no tunnel identities. */
int decode_packet(int dlt, const uint8_t *pkt, uint32_t caplen,
		  struct segment *seg);

/* 1 if decode_packet() knows link type dlt. */
int decode_linktype_supported(int dlt);

/* Decodes from the IP header on (first nibble says 4 or 6), checksums
 * verified. */
int decode_ip(const uint8_t *p, uint32_t len, struct segment *seg);

/* "Tunnel::GRE" etc., as Zeek's tunnel.log writes tunnel_type; "?" for an
 * unknown kind. */
const char *tunnel_kind_name(int kind);

/* The Internet checksum's ones' complement sum of len bytes, folded to 16
 * bits, in the byte order of the machine: 0xffff over a block that holds
 * its own correct checksum. sum carries on from an earlier block of even
 * length (0 to start). */
uint16_t decode_csum(const uint8_t *p, size_t len, uint32_t sum);

#endif
