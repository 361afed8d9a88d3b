/*
 * decode.h - link, IP and TCP header decoding.
 *
 * Pure: reads only the bytes it is given, never past caplen, allocates
 * nothing and keeps no state. A packet is either a TCP segment, described by
 * struct segment, or a reason why not.
 */
#ifndef TCPFSM_DECODE_H
#define TCPFSM_DECODE_H

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
	/* An option's length was bad: past the header, below 2, or wrong for
	 * its kind. */
	OPT_MALFORMED = 1 << 7,
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
	uint32_t payload_len; /* TCP payload per the IP length (not caplen) */
	uint32_t ip_len;      /* IP header(s) + TCP header + payload */
	uint8_t src[16], dst[16]; /* IPv4: first 4 bytes, the rest zero */
};

/*
 * Decodes one captured packet of libpcap link type dlt (a DLT_* value).
 * Returns 0 and fills seg for a TCP segment; otherwise 1 + the
 * enum tcpfsm_skip_reason that says why not, and seg's contents are
 * unspecified.
 */
int decode_packet(int dlt, const uint8_t *pkt, uint32_t caplen,
		  struct segment *seg);

/* 1 if decode_packet() knows link type dlt. */
int decode_linktype_supported(int dlt);

/* Decodes from the IP header on (first nibble says 4 or 6). */
int decode_ip(const uint8_t *p, uint32_t len, struct segment *seg);

#endif
