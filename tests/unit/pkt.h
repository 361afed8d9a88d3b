/*
 * pkt.h - building packets byte by byte for the unit tests.
 *
 * A packet is built from the inside out: start with a TCP segment, then wrap
 * it in IP, then in a link layer. Each wrap_* prepends its header (moving
 * what is there) and fills its length fields from what it wraps, unless the
 * caller overrides them to make the packet hostile.
 */
#ifndef TCPFSM_TEST_PKT_H
#define TCPFSM_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 4096

struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
};

/* libpcap DLT_* values */
enum {
	DLT_NULL = 0,
	DLT_EN10MB = 1,
	DLT_PPP = 9,
	DLT_FDDI = 10,
	DLT_RAW = 12,
	DLT_RAW_OPENBSD = 14,
	DLT_PPP_SERIAL = 50,
	DLT_LINKTYPE_RAW = 101,
	DLT_C_HDLC = 104,
	DLT_LOOP = 108,
	DLT_LINUX_SLL = 113,
	DLT_IPV4 = 228,
	DLT_IPV6 = 229,
	DLT_NFLOG = 239,
	DLT_PKTAP = 258,
	DLT_LINUX_SLL2 = 276,
};

/* Flags of a TCP header, as on the wire (also in decode.h). */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

struct tcp_spec {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opt; /* raw option bytes */
	size_t optlen;
	size_t payload; /* bytes of payload (pattern-filled) */
	int doff;	/* data offset in 32-bit words; 0: computed */
};

/* Starts p with a TCP segment. */
void pkt_tcp(struct pkt *p, const struct tcp_spec *t);

/* Starts p with arbitrary bytes (the payload of an IP datagram). */
void pkt_raw(struct pkt *p, const void *data, size_t len);

struct ip4_spec {
	const uint8_t *src, *dst; /* 4 bytes each; NULL: 10.0.0.1 / 10.0.0.2 */
	uint8_t proto;		  /* 0: TCP */
	const uint8_t *opt;	  /* options (a multiple of 4 bytes) */
	size_t optlen;
	int ihl;       /* header length in words; 0: computed */
	int set_total; /* use total below, not the computed length */
	uint16_t total;
	uint16_t frag; /* fragment offset in 8-byte units */
	int mf;	       /* more fragments */
	int version;   /* 0: 4 */
};

void wrap_ipv4(struct pkt *p, const struct ip4_spec *s);

struct ip6_ext {
	uint8_t type; /* next-header value that introduces it: 0, 43, 60, 44, 51
		       */
	size_t len;   /* bytes, a multiple of 8 (of 4 for AH), at least 8 */
	int hdrlen;   /* the length field; -1: computed from len */
	uint16_t frag_off; /* 44 only: offset in 8-byte units */
	int frag_more;	   /* 44 only */
};

struct ip6_spec {
	const uint8_t *src, *dst; /* 16 bytes each; NULL: 2001:db8::1 / ::2 */
	uint8_t next;		  /* after the chain; 0 taken as TCP (6) */
	const struct ip6_ext *ext;
	size_t n_ext; /* number of ext entries */
	int set_plen; /* use plen below, not the computed length */
	uint16_t plen;
	int version; /* 0: 6 */
};

void wrap_ipv6(struct pkt *p, const struct ip6_spec *s);
/* Fills in the IPv4 header checksum and the TCP checksum of the raw IP
 * datagram in p (IPv4, or IPv6 with no extension header), as a host sends
 * it: the builders leave both zero, which a verifying tracker takes as bad. */
void pkt_checksums(struct pkt *p);

/* Link layers. tags: TPIDs of VLAN tags, outermost first; 0x8926 is a
 * VN-Tag (6 bytes with its TPID, not 4). */
void wrap_eth(struct pkt *p, uint16_t ethertype, const uint16_t *tags,
	      size_t ntags);
void wrap_mpls(struct pkt *p, int nlabels); /* labels only; then wrap_eth */
void wrap_pppoe(struct pkt *p, uint16_t ppp_proto);
void wrap_llc_snap(struct pkt *p, uint16_t ethertype); /* 802.3 frame */
void wrap_fabricpath(struct pkt *p); /* around a whole Ethernet frame */
void wrap_fddi(struct pkt *p); /* frame control and addresses; LLC follows */
void wrap_sll(struct pkt *p, uint16_t proto);
void wrap_sll2(struct pkt *p, uint16_t proto);
void wrap_null(struct pkt *p, uint32_t af, int big_endian);
/* 802.1ah around a whole customer frame: I-TAG, then an outer frame with
 * type 0x88e7 behind btags. */
void wrap_pbb(struct pkt *p, const uint16_t *btags, size_t nbtags);
/* PPP: ff 03 unless acfc, then the protocol (1 byte if pfc and odd). */
void wrap_ppp(struct pkt *p, uint16_t proto, int acfc, int pfc);
void wrap_chdlc(struct pkt *p, uint16_t ethertype); /* Cisco HDLC */
/* NFLOG of address family af: a prefix TLV of prefix_len bytes of value
 * (padded to 4), then the payload TLV (type 9) around what p holds. */
void wrap_nflog(struct pkt *p, uint8_t af, size_t prefix_len);
void wrap_pktap(struct pkt *p, uint32_t dlt); /* a 108-byte header */

/* Tunnels, wrapped like the layers above; then wrap_ipv4/6 with the
 * protocol (4, 41, 47, 17). */
struct gre_spec {
	uint16_t proto; /* 0x0800, 0x86dd, 0x6558, 0x88be, 0x22eb, 0x880b */
	int version;	/* 0 or 1 */
	int csum, key, seq, ack; /* which optional fields are present */
	uint32_t key_value;
	uint16_t extra_flags; /* ORed into the flags word, to make it bad */
};
void wrap_gre(struct pkt *p, const struct gre_spec *g);
void wrap_erspan2(struct pkt *p); /* 8 bytes; GRE needs .seq */
void wrap_erspan3(struct pkt *p, int subheader);
void wrap_udp(struct pkt *p, uint16_t sport, uint16_t dport);
void wrap_vxlan(struct pkt *p, uint32_t vni);
void wrap_geneve(struct pkt *p, uint16_t proto, int opt_words, uint32_t vni);
/* Teredo headers before the IPv6 datagram in p. */
void wrap_teredo(struct pkt *p, int auth, int origin);
void wrap_ayiya(struct pkt *p, uint8_t next, int opcode);

/* Appends n bytes (Ethernet padding, trailers). */
void pkt_append(struct pkt *p, uint8_t byte, size_t n);

extern const uint8_t ADDR4_A[4], ADDR4_B[4];
extern const uint8_t ADDR6_A[16], ADDR6_B[16];

/* Standard SYN options: MSS 1460, SACK-permitted, timestamps, NOP, WS 7. */
extern const uint8_t SYN_OPTIONS[20];

#endif
