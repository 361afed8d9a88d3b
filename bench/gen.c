/*
 * gen.c - deterministic generator of large TCP captures for benchmarking.
 *
 * Writes a classic pcap file (Ethernet, microsecond timestamps) full of
 * realistic, interleaved TCP connections: handshakes with the usual SYN
 * options, data with correct sequence and acknowledgement numbers, FIN and
 * RST closes, SYN retransmissions, valid IPv4 header and TCP checksums.
 * The same arguments always give the same bytes.
 *
 * Design
 * ------
 * Every connection is a short "script": a list of ops (direction, TCP
 * flags, payload length, delay until the next op). Sequence and ack numbers
 * are not in the script; they follow from it when the op is emitted: a
 * sender's sequence number is its snd_nxt, its ack is the peer's snd_nxt
 * (everything sent so far has arrived by the time it answers).
 *
 * Profiles mix, churn and synflood run a discrete-event simulation: C slots,
 * each holding one live connection, and a binary min-heap of (time of the
 * slot's next packet, slot). Pop the earliest, emit its packet, push it back
 * at its next time; when a script ends the slot starts a new connection.
 * So C connections are open at any moment and their packets interleave in
 * time order.
 *
 * Profile concurrent opens C connections, then walks them in round-robin
 * rounds (one packet of every connection per round, in a fresh pseudo-random
 * order each round), so all C are open at once; then all are closed. When
 * --packets asks for more than one such generation, the next generation of
 * C new connections starts after --gen-gap seconds of silence.
 *
 * Speed: one heap sift, about 80 bytes of headers, and a checksum over the
 * headers per packet (payload checksums come from a prefix-sum table of the
 * fixed payload pattern); output goes through a large buffer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Bump whenever the output for given arguments changes (bench/run reuses
 * captures made by the same version). */
#define GEN_VERSION "2"

/* ---------------------------------------------------------------- random */

static uint64_t rs[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rnd_seed(uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static inline uint64_t rnd64(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

static inline uint32_t rnd32(void)
{
	return (uint32_t)(rnd64() >> 32);
}

/* uniform in [0, n) */
static inline uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(((uint64_t)rnd32() * n) >> 32);
}

/* uniform in [lo, hi] */
static inline uint32_t rnd_range(uint32_t lo, uint32_t hi)
{
	return lo + rnd_below(hi - lo + 1);
}

/* true with probability pct/100 */
static inline int chance(unsigned pct)
{
	return rnd_below(100) < pct;
}

/* ---------------------------------------------------------------- output */

#define OUTBUF_SIZE (16u << 20)

static uint8_t *outbuf;
static size_t outlen;
static FILE *outf;
static uint64_t out_total;

static void out_flush(void)
{
	if (outlen && fwrite(outbuf, 1, outlen, outf) != outlen) {
		perror("gen: write");
		exit(1);
	}
	out_total += outlen;
	outlen = 0;
}

static inline uint8_t *out_reserve(size_t n)
{
	if (outlen + n > OUTBUF_SIZE)
		out_flush();
	return outbuf + outlen;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* ------------------------------------------------------------- checksums */

#define MAXPAY 200

static uint8_t payload[256];
static uint32_t paysum[257]; /* paysum[n]: unfolded sum of payload[0..n) */

static inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	size_t i;
	for (i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static inline uint16_t fold(uint32_t acc)
{
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static void payload_init(void)
{
	/* a neutral byte pattern that no protocol dissector recognises */
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(0x80 | ((i * 151 + 7) & 0x7f));
	for (size_t n = 0; n <= sizeof payload; n++)
		paysum[n] = sum16(payload, n, 0);
}

/* ----------------------------------------------------------- connections */

enum { C2S = 0, S2C = 1 };

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* op kinds (besides the direction bit) */
#define K_RETX 0x02   /* retransmitted SYN or SYN/ACK: seq = ISN */
#define K_REFUSE 0x04 /* RST/ACK answering a SYN: seq 0, ack = SYN+1 */

typedef struct {
	uint32_t gap;   /* microseconds until the connection's next op */
	uint16_t len;   /* payload bytes */
	uint8_t flags;  /* TCP flags */
	uint8_t kind;   /* bit 0: direction; K_* */
} op_t;

enum ctype {
	T_NORMAL,
	T_UNANSWERED,
	T_REFUSED,
	T_RESET,
	T_HALFCLOSE,
	T_PICKUP,
	T_SHORT,
	T_FLOOD,
	T_NTYPES
};

static const char *const type_names[T_NTYPES] = {
	"normal",   "unanswered-syn", "refused", "reset-mid-stream",
	"half-close", "mid-stream-pickup", "short", "flood-syn",
};

typedef struct {
	uint8_t addr[2][16]; /* [C2S] client, [S2C] server; IPv4 in [0..3] */
	uint32_t isn[2], nxt[2], tsv[2], tsoff[2];
	uint16_t port[2], ipid[2], win[2];
	uint8_t ttl[2];
	uint8_t v6, ts, type, sack;
	uint32_t flow;
	uint16_t nops, pos;
} conn_t;

static const uint8_t mac_client_side[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mac_server_side[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

static uint64_t base_sec = 1704067200; /* 2024-01-01T00:00:00Z */
static uint64_t npackets, ntype_conns[T_NTYPES], ntype_pkts[T_NTYPES];
static uint64_t nv6_conns, nbytes_pay;

/* Emit one TCP segment of connection c in direction dir at time t (us). */
static void emit(conn_t *c, int dir, uint8_t flags, unsigned kind,
		 unsigned len, uint64_t t)
{
	uint32_t seq, ack = 0;
	int s = dir, r = !dir;

	if (kind & K_REFUSE) {
		seq = 0;
		ack = c->nxt[r];
	} else if (kind & K_RETX) {
		seq = c->isn[s];
		if (flags & F_ACK)
			ack = c->nxt[r];
	} else {
		seq = c->nxt[s];
		if (flags & F_ACK)
			ack = c->nxt[r];
		c->nxt[s] += len + !!(flags & F_SYN) + !!(flags & F_FIN);
	}

	/* TCP options */
	uint8_t opt[20];
	unsigned optlen = 0;
	uint32_t tsval = (uint32_t)(t / 1000) + c->tsoff[s];
	if (flags & F_SYN) {
		uint16_t mss = c->v6 ? 1440 : 1460;
		if (c->type == T_FLOOD) {
			if (c->ts) { /* flood: bare MSS or nothing */
				opt[0] = 2, opt[1] = 4, put16(opt + 2, mss);
				optlen = 4;
			}
		} else if (c->ts) { /* Linux: MSS SACKOK TS NOP WS */
			opt[0] = 2, opt[1] = 4, put16(opt + 2, mss);
			opt[4] = 4, opt[5] = 2;
			opt[6] = 8, opt[7] = 10;
			put32(opt + 8, tsval);
			put32(opt + 12, (flags & F_ACK) ? c->tsv[r] : 0);
			opt[16] = 1, opt[17] = 3, opt[18] = 3, opt[19] = 7;
			optlen = 20;
		} else { /* Windows: MSS NOP WS NOP NOP SACKOK */
			opt[0] = 2, opt[1] = 4, put16(opt + 2, mss);
			opt[4] = 1, opt[5] = 3, opt[6] = 3, opt[7] = 8;
			opt[8] = 1, opt[9] = 1, opt[10] = 4, opt[11] = 2;
			optlen = 12;
		}
	} else if (c->ts && !(flags & F_RST)) {
		opt[0] = 1, opt[1] = 1, opt[2] = 8, opt[3] = 10;
		put32(opt + 4, tsval);
		put32(opt + 8, c->tsv[r]);
		optlen = 12;
	}
	c->tsv[s] = tsval;

	uint16_t win;
	if (flags & F_RST)
		win = 0;
	else if (flags & F_SYN)
		win = c->type == T_FLOOD ? c->win[s]
		      : (flags & F_ACK) ? (c->ts ? 65160 : 65535)
					: (c->ts ? 64240 : 64240);
	else
		win = c->win[s];

	unsigned iphl = c->v6 ? 40 : 20;
	unsigned tcplen = 20 + optlen + len;
	unsigned caplen = 14 + iphl + tcplen;
	uint8_t *rec = out_reserve(16 + caplen);
	uint8_t *eth = rec + 16, *ip = eth + 14, *tcp = ip + iphl;

	/* pcap record header, host byte order */
	uint32_t hdr[4] = {(uint32_t)(base_sec + t / 1000000),
			   (uint32_t)(t % 1000000), caplen, caplen};
	memcpy(rec, hdr, 16);

	memcpy(eth, dir == C2S ? mac_server_side : mac_client_side, 6);
	memcpy(eth + 6, dir == C2S ? mac_client_side : mac_server_side, 6);
	put16(eth + 12, c->v6 ? 0x86dd : 0x0800);

	/* TCP header */
	put16(tcp, c->port[s]);
	put16(tcp + 2, c->port[r]);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	tcp[13] = flags;
	put16(tcp + 14, win);
	put16(tcp + 16, 0);
	put16(tcp + 18, 0);
	memcpy(tcp + 20, opt, optlen);
	memcpy(tcp + 20 + optlen, payload, len);

	uint32_t acc = sum16(tcp, 20 + optlen, paysum[len]);
	acc += 6 + tcplen; /* pseudo header: protocol and TCP length */
	if (c->v6) {
		acc = sum16(c->addr[s], 16, acc);
		acc = sum16(c->addr[r], 16, acc);
		put32(ip, 0x60000000u | ((c->flow ^ (uint32_t)dir) & 0xfffff));
		put16(ip + 4, (uint16_t)tcplen);
		ip[6] = 6;
		ip[7] = c->ttl[s];
		memcpy(ip + 8, c->addr[s], 16);
		memcpy(ip + 24, c->addr[r], 16);
	} else {
		acc = sum16(c->addr[s], 4, acc);
		acc = sum16(c->addr[r], 4, acc);
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + tcplen));
		put16(ip + 4, c->ipid[s]++);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = c->ttl[s];
		ip[9] = 6;
		put16(ip + 10, 0);
		memcpy(ip + 12, c->addr[s], 4);
		memcpy(ip + 16, c->addr[r], 4);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
	}
	put16(tcp + 16, fold(acc));

	outlen += 16 + caplen;
	npackets++;
	ntype_pkts[c->type]++;
	nbytes_pay += len;
}

/* ------------------------------------------------------- addresses, init */

struct service {
	uint16_t port;
	unsigned weight;
};

static const struct service services[] = {
	{443, 50}, {80, 25}, {8080, 5}, {22, 5},
	{25, 3},   {3306, 4}, {5432, 4}, {6379, 4},
};

#define NSERVERS 64
#define EPH_LO 32768
#define EPH_N 28232 /* Linux ip_local_port_range 32768-60999 */

static uint64_t next_conn_id;
static unsigned ipv6_pct = 10;

static uint16_t pick_service(void)
{
	unsigned r = rnd_below(100);
	for (size_t i = 0; i < sizeof services / sizeof *services; i++) {
		if (r < services[i].weight)
			return services[i].port;
		r -= services[i].weight;
	}
	return 443;
}

/*
 * Client endpoint of the k-th connection. 65536 client hosts take turns;
 * each walks the ephemeral port range in a scrambled order. (address, port)
 * is a bijection of k (for k below 65536 * 28232), so no two connections of
 * a capture share a 4-tuple.
 */
#define NCLIENTS 65536u

static void client_addr(conn_t *c, uint64_t k)
{
	uint32_t host = (uint32_t)(k % NCLIENTS);
	uint32_t pidx = (uint32_t)((k / NCLIENTS) % EPH_N);
	c->port[C2S] = (uint16_t)(EPH_LO + (pidx * 7919u + host) % EPH_N);
	uint32_t h = (host * 40503u) & 0xffff; /* bijective on 16 bits */
	uint32_t hi = ((host * 0x9e3779b1u) >> 24) & 0xff;
	memset(c->addr[C2S], 0, 16);
	if (c->v6) {
		static const uint8_t pfx[8] = {0xfd, 0x00, 0, 0, 0, 0, 0, 0x10};
		memcpy(c->addr[C2S], pfx, 8);
		put32(c->addr[C2S] + 8, 0x02163eff ^ (host * 0x2545f491u));
		put32(c->addr[C2S] + 12, 0xfe000000u | (hi << 16) | h);
	} else {
		put32(c->addr[C2S], 0x0a000000u | (hi << 16) | h); /* 10/8 */
	}
}

static void server_addr(conn_t *c, unsigned idx, uint16_t port)
{
	memset(c->addr[S2C], 0, 16);
	if (c->v6) {
		static const uint8_t pfx[8] = {0xfd, 0x00, 0, 0, 0, 0, 0, 0x16};
		memcpy(c->addr[S2C], pfx, 8);
		c->addr[S2C][15] = (uint8_t)(idx + 1);
	} else {
		put32(c->addr[S2C], 0xac100001u + idx); /* 172.16.0.1+ */
	}
	c->port[S2C] = port;
}

/* A fresh connection between a new client and a random server. */
static void conn_init(conn_t *c, enum ctype type, uint64_t t)
{
	c->type = (uint8_t)type;
	c->v6 = (uint8_t)chance(ipv6_pct);
	c->ts = (uint8_t)chance(85); /* Linux-like stack, else Windows-like */
	c->sack = 1;
	client_addr(c, next_conn_id++);
	unsigned srv = rnd_below(NSERVERS);
	server_addr(c, srv, pick_service());
	for (int d = 0; d < 2; d++) {
		c->isn[d] = c->nxt[d] = rnd32();
		c->tsoff[d] = rnd32();
		c->tsv[d] = 0;
		c->ipid[d] = (uint16_t)rnd32();
		c->win[d] = (uint16_t)rnd_range(250, 2000);
	}
	/* hops between the hosts and the sensor */
	c->ttl[C2S] = (uint8_t)((c->ts ? 64 : 128) - rnd_range(1, 20));
	c->ttl[S2C] = (uint8_t)(64 - rnd_range(1, 4));
	c->flow = rnd32();
	c->pos = 0;
	c->nops = 0;
	ntype_conns[type]++;
	nv6_conns += c->v6;
	(void)t;
}

/* --------------------------------------------------------------- scripts */

#define MAXOPS 64

typedef struct {
	op_t *ops;
	unsigned n;
	uint32_t rtt_s, rtt_c; /* sensor->server->sensor, sensor->client->.. */
} script_t;

/*
 * Append an op that happens `delay` us after the previous one.
 * Never pass two random draws as arguments of one call (or as operands of
 * one +): C leaves their order unspecified, and gcc and clang then differ.
 */
static void add(script_t *b, uint32_t delay, int dir, uint8_t flags,
		unsigned kind, unsigned len)
{
	if (b->n >= MAXOPS)
		return;
	if (b->n)
		b->ops[b->n - 1].gap = delay ? delay : 1;
	b->ops[b->n++] = (op_t){.gap = 0,
				.len = (uint16_t)len,
				.flags = flags,
				.kind = (uint8_t)(dir | kind)};
}

static uint32_t rtt_base = 20000; /* us */

static void pick_rtt(script_t *b)
{
	/* spread around the median: LAN, metro, continental, intercontinental */
	static const unsigned pct[] = {2, 5, 15, 30, 50, 100, 100, 200, 400, 800};
	uint32_t rtt = (uint32_t)((uint64_t)rtt_base * pct[rnd_below(10)] / 100);
	if (rtt < 20)
		rtt = 20;
	uint32_t f = rnd_range(10, 90); /* sensor position, % towards client */
	b->rtt_s = rtt * f / 100;
	b->rtt_c = rtt - b->rtt_s;
}

static inline uint32_t to_srv(script_t *b)
{
	return b->rtt_s + rnd_range(5, 50);
}

static inline uint32_t to_cli(script_t *b)
{
	return b->rtt_c + rnd_range(5, 50);
}

static inline uint32_t to(script_t *b, int dir)
{
	return dir == C2S ? to_cli(b) : to_srv(b);
}

/* back-to-back segments from one host */
static inline uint32_t burst(void)
{
	return rnd_range(1, 30);
}

static inline unsigned datalen(void)
{
	return rnd_range(1, MAXPAY);
}

static void handshake(script_t *b, unsigned syn_retx)
{
	add(b, 0, C2S, F_SYN, 0, 0);
	for (unsigned i = 0; i < syn_retx; i++)
		add(b, 1000000u << i, C2S, F_SYN, K_RETX, 0);
	add(b, to_srv(b), S2C, F_SYN | F_ACK, 0, 0);
	add(b, to_cli(b), C2S, F_ACK, 0, 0);
}

/* request, response burst, client ACK */
static void exchange(script_t *b, uint32_t delay, unsigned maxsegs)
{
	add(b, delay, C2S, F_PSH | F_ACK, 0, rnd_range(20, MAXPAY));
	unsigned m = rnd_range(1, maxsegs);
	for (unsigned s = 0; s < m; s++) {
		uint32_t d = s ? burst() : to_srv(b);
		d += s ? 0 : rnd_below(1000); /* server think time */
		unsigned len = s == m - 1 ? datalen() : MAXPAY;
		add(b, d, S2C, F_ACK | (s == m - 1 ? F_PSH : 0), 0, len);
	}
	add(b, to_cli(b), C2S, F_ACK, 0, 0);
}

/*
 * Pause before the client's next request: usually it follows at once, but
 * a keep-alive connection often idles for a while (a user reading a page).
 */
static uint32_t think(script_t *b)
{
	if (chance(25))
		return rnd_range(100000, 5000000);
	return rnd_below(2 * (b->rtt_c + b->rtt_s)) + 1;
}

/*
 * Graceful close; the previous op was sent by the client. Either side may
 * close at once or after an idle keep-alive period.
 */
static void close_conn(script_t *b, int closer)
{
	int peer = !closer;
	uint32_t idle = chance(30) ? rnd_range(500000, 10000000) : 0;
	add(b, idle + (closer == C2S ? think(b) : to_srv(b)), closer,
	    F_FIN | F_ACK, 0, 0);
	if (chance(50)) { /* peer's FIN rides on its ACK */
		add(b, to(b, closer), peer, F_FIN | F_ACK, 0, 0);
	} else {
		add(b, to(b, closer), peer, F_ACK, 0, 0);
		add(b, rnd_range(1, 5000), peer, F_FIN | F_ACK, 0, 0);
	}
	add(b, to(b, peer), closer, F_ACK, 0, 0);
}

static unsigned nexchanges(unsigned max)
{
	unsigned r = 1;
	while (r < max && chance(45))
		r++;
	return r;
}

static void script_normal(script_t *b)
{
	handshake(b, chance(3) ? rnd_range(1, 2) : 0);
	unsigned r = nexchanges(6);
	for (unsigned i = 0; i < r; i++)
		exchange(b, i ? think(b) : burst(), 6);
	close_conn(b, chance(60) ? C2S : S2C);
}

static void script_unanswered(script_t *b)
{
	add(b, 0, C2S, F_SYN, 0, 0);
	unsigned n = chance(80) ? 3 : rnd_range(1, 2);
	for (unsigned i = 0; i < n; i++)
		add(b, 1000000u << i, C2S, F_SYN, K_RETX, 0);
}

static void script_refused(script_t *b)
{
	add(b, 0, C2S, F_SYN, 0, 0);
	add(b, to_srv(b), S2C, F_RST | F_ACK, K_REFUSE, 0);
}

static void script_reset(script_t *b)
{
	handshake(b, 0);
	unsigned r = nexchanges(3);
	for (unsigned i = 0; i < r; i++)
		exchange(b, i ? rnd_below(b->rtt_c + b->rtt_s) + 1 : burst(),
			 4);
	int who = chance(50) ? C2S : S2C;
	add(b, who == C2S ? rnd_range(1, 5000) : to_srv(b), who,
	    F_RST | F_ACK, 0, 0);
	if (chance(30)) { /* the peer sent data before the RST reached it */
		uint32_t d = burst();
		add(b, d, !who, F_PSH | F_ACK, 0, datalen());
	}
}

static void script_halfclose(script_t *b)
{
	handshake(b, 0);
	uint32_t d = burst();
	add(b, d, C2S, F_PSH | F_ACK, 0, rnd_range(20, MAXPAY));
	add(b, burst(), C2S, F_FIN | F_ACK, 0, 0); /* shutdown(SHUT_WR) */
	add(b, to_srv(b), S2C, F_ACK, 0, 0);
	/* the server streams its answer for seconds; the client acks */
	unsigned n = rnd_range(4, 24);
	for (unsigned i = 0; i < n; i++) {
		d = rnd_range(50000, 500000);
		add(b, d, S2C, F_PSH | F_ACK, 0, datalen());
		if (i & 1)
			add(b, to_cli(b), C2S, F_ACK, 0, 0);
	}
	add(b, rnd_range(50000, 500000), S2C, F_FIN | F_ACK, 0, 0);
	add(b, to_cli(b), C2S, F_ACK, 0, 0);
}

static void script_pickup(script_t *b, conn_t *c, uint64_t t)
{
	/* joined mid-stream: no handshake, both sides already talking */
	uint32_t ms = (uint32_t)(t / 1000);
	c->tsv[C2S] = ms + c->tsoff[C2S] - rnd_range(1, 100);
	c->tsv[S2C] = ms + c->tsoff[S2C] - rnd_range(1, 100);
	if (chance(50)) { /* tail of a response first */
		unsigned m = rnd_range(1, 4);
		for (unsigned s = 0; s < m; s++) {
			uint32_t d = burst();
			add(b, d, S2C, F_ACK | (s == m - 1 ? F_PSH : 0), 0,
			    datalen());
		}
		add(b, to_cli(b), C2S, F_ACK, 0, 0);
	}
	unsigned r = nexchanges(5);
	for (unsigned i = 0; i < r; i++)
		exchange(b, think(b), 4);
	if (chance(70))
		close_conn(b, chance(60) ? C2S : S2C);
	/* else it just goes quiet */
}

/* churn: one request, one response, close */
static void script_short(script_t *b)
{
	if (chance(3)) {
		script_refused(b);
		return;
	}
	handshake(b, 0);
	uint32_t d = burst();
	add(b, d, C2S, F_PSH | F_ACK, 0, rnd_range(20, MAXPAY));
	unsigned m = rnd_range(1, 2);
	for (unsigned s = 0; s < m; s++) {
		d = s ? burst() : to_srv(b);
		d += s ? 0 : rnd_below(200);
		unsigned len = s == m - 1 ? datalen() : MAXPAY;
		add(b, d, S2C, F_ACK | (s == m - 1 ? F_PSH : 0), 0, len);
	}
	unsigned r = rnd_below(100);
	if (r < 72) { /* client closes; its FIN acks the response */
		add(b, to_cli(b), C2S, F_FIN | F_ACK, 0, 0);
		add(b, to_srv(b), S2C, F_FIN | F_ACK, 0, 0);
		add(b, to_cli(b), C2S, F_ACK, 0, 0);
	} else if (r < 90) { /* server closes right after the response */
		add(b, burst(), S2C, F_FIN | F_ACK, 0, 0);
		add(b, to_cli(b), C2S, F_FIN | F_ACK, 0, 0);
		add(b, to_srv(b), S2C, F_ACK, 0, 0);
	} else { /* client aborts (SO_LINGER 0) */
		add(b, to_cli(b), C2S, F_ACK, 0, 0);
		add(b, burst(), C2S, F_RST | F_ACK, 0, 0);
	}
}

/* ------------------------------------------------------------ simulation */

typedef struct {
	uint64_t t;
	uint32_t slot;
} hent_t;

static hent_t *heap;
static uint32_t heapn;

static inline int hless(const hent_t *a, const hent_t *b)
{
	return a->t < b->t || (a->t == b->t && a->slot < b->slot);
}

static void sift_down(uint32_t i)
{
	hent_t x = heap[i];
	for (;;) {
		uint32_t l = 2 * i + 1, m;
		if (l >= heapn)
			break;
		m = (l + 1 < heapn && hless(&heap[l + 1], &heap[l])) ? l + 1
								     : l;
		if (!hless(&heap[m], &x))
			break;
		heap[i] = heap[m];
		i = m;
	}
	heap[i] = x;
}

static void sift_up(uint32_t i)
{
	hent_t x = heap[i];
	while (i) {
		uint32_t p = (i - 1) / 2;
		if (!hless(&x, &heap[p]))
			break;
		heap[i] = heap[p];
		i = p;
	}
	heap[i] = x;
}

enum profile { P_MIX, P_CONCURRENT, P_CHURN, P_SYNFLOOD };

static const char *const profile_names[] = {"mix", "concurrent", "churn",
					    "synflood"};

static conn_t *conns;
static op_t *opsbuf;
static uint64_t open_now, open_max, last_t, nseen;

/* Start a new connection in slot i; returns the time of its first packet. */
static void slot_start(enum profile prof, uint32_t i, uint64_t t)
{
	conn_t *c = &conns[i];
	script_t b = {.ops = opsbuf + (size_t)i * MAXOPS, .n = 0};
	enum ctype type = T_NORMAL;

	if (prof == P_CHURN) {
		type = T_SHORT;
	} else if (prof == P_MIX) {
		unsigned r = rnd_below(1000);
		type = r < 710   ? T_NORMAL
		       : r < 740 ? T_UNANSWERED
		       : r < 790 ? T_REFUSED
		       : r < 880 ? T_RESET
		       : r < 890 ? T_HALFCLOSE
				 : T_PICKUP;
	}
	conn_init(c, type, t);
	pick_rtt(&b);
	switch (type) {
	case T_NORMAL: script_normal(&b); break;
	case T_UNANSWERED: script_unanswered(&b); break;
	case T_REFUSED: script_refused(&b); break;
	case T_RESET: script_reset(&b); break;
	case T_HALFCLOSE: script_halfclose(&b); break;
	case T_PICKUP: script_pickup(&b, c, t); break;
	default: script_short(&b); break;
	}
	c->nops = (uint16_t)b.n;
	c->pos = 0;
}

static uint32_t flood_dst_idx = 0;

static void emit_flood_syn(uint64_t t)
{
	conn_t c;
	uint32_t a;
	static const uint16_t wins[] = {512, 1024, 5840, 29200, 64240, 65535};

	memset(&c, 0, sizeof c);
	c.type = T_FLOOD;
	c.ts = (uint8_t)chance(50); /* here: MSS option or none */
	do {
		a = rnd32();
	} while ((a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
		 (a >> 24) >= 224);
	put32(c.addr[C2S], a);
	c.port[C2S] = (uint16_t)rnd_range(1024, 65535);
	server_addr(&c, flood_dst_idx, 80);
	c.isn[C2S] = c.nxt[C2S] = rnd32();
	c.ipid[C2S] = (uint16_t)rnd32();
	c.ttl[C2S] = (uint8_t)rnd_range(40, 250);
	c.win[C2S] = wins[rnd_below(6)];
	emit(&c, C2S, F_SYN, 0, 0, t);
	ntype_conns[T_FLOOD]++;
	nseen++;
}

#define FLOOD_SLOT 0xffffffffu

static void run_sim(enum profile prof, uint64_t n, uint32_t cc,
		    uint64_t flood_pps)
{
	conns = calloc(cc, sizeof *conns);
	opsbuf = calloc((size_t)cc * MAXOPS, sizeof *opsbuf);
	heap = calloc((size_t)cc + 1, sizeof *heap);
	if (!conns || !opsbuf || !heap) {
		fprintf(stderr, "gen: out of memory\n");
		exit(1);
	}
	/* ramp up: start the first C connections over ~100 RTTs */
	uint64_t ramp = (uint64_t)rtt_base * 100;
	for (uint32_t i = 0; i < cc; i++) {
		uint64_t t0 = rnd64() % (ramp + 1);
		slot_start(prof, i, t0);
		heap[heapn] = (hent_t){t0, i};
		sift_up(heapn++);
	}
	uint64_t flood_ns = 0, flood_step = 0;
	if (flood_pps) {
		flood_step = 1000000000ull / flood_pps;
		if (!flood_step)
			flood_step = 1;
		heap[heapn] = (hent_t){0, FLOOD_SLOT};
		sift_up(heapn++);
	}

	while (npackets < n) {
		uint64_t t = heap[0].t;
		uint32_t i = heap[0].slot;
		last_t = t;
		if (i == FLOOD_SLOT) {
			emit_flood_syn(t);
			flood_ns += flood_step;
			heap[0].t = flood_ns / 1000;
			sift_down(0);
			continue;
		}
		/* the next packet most likely belongs to a child of the root:
		 * fetch its connection while this one is emitted */
		for (uint32_t ch = 1; ch <= 2 && ch < heapn; ch++) {
			uint32_t s2 = heap[ch].slot;
			if (s2 != FLOOD_SLOT) {
				__builtin_prefetch(&conns[s2]);
				__builtin_prefetch(&conns[s2].tsoff);
				__builtin_prefetch(&opsbuf[(size_t)s2 * MAXOPS +
							   conns[s2].pos]);
			}
		}
		conn_t *c = &conns[i];
		const op_t *o = &opsbuf[(size_t)i * MAXOPS + c->pos];
		if (c->pos == 0) {
			nseen++;
			if (++open_now > open_max)
				open_max = open_now;
		}
		emit(c, o->kind & 1, o->flags, o->kind & ~1u, o->len, t);
		if (++c->pos < c->nops) {
			heap[0].t = t + o->gap;
		} else {
			open_now--;
			uint64_t t0 = t + 1 + rnd_below(rtt_base);
			slot_start(prof, i, t0);
			heap[0].t = t0;
		}
		sift_down(0);
	}
}

/* Concurrent: generations of C connections, round-robin in random order. */
static void run_concurrent(uint64_t n, uint32_t cc, unsigned k,
			   uint64_t pps, uint64_t gen_gap_s)
{
	op_t tmpl[256];
	unsigned nt = 0;

	/* handshake, (request, response, ack)*, 4-way close by the client */
	tmpl[nt++] = (op_t){0, 0, F_SYN, C2S};
	tmpl[nt++] = (op_t){0, 0, F_SYN | F_ACK, S2C};
	tmpl[nt++] = (op_t){0, 0, F_ACK, C2S};
	for (unsigned m = 0; m < k - 7; m++) {
		static const op_t mid[3] = {{0, 1, F_PSH | F_ACK, C2S},
					    {0, 1, F_PSH | F_ACK, S2C},
					    {0, 0, F_ACK, C2S}};
		tmpl[nt++] = mid[m % 3];
	}
	tmpl[nt++] = (op_t){0, 0, F_FIN | F_ACK, C2S};
	tmpl[nt++] = (op_t){0, 0, F_ACK, S2C};
	tmpl[nt++] = (op_t){0, 0, F_FIN | F_ACK, S2C};
	tmpl[nt++] = (op_t){0, 0, F_ACK, C2S};

	conns = calloc(cc, sizeof *conns);
	if (!conns) {
		fprintf(stderr, "gen: out of memory\n");
		exit(1);
	}
	uint64_t step = 1000000000ull / pps, tns = 0;
	if (!step)
		step = 1;
	while (npackets + k <= n) {
		uint64_t left = (n - npackets) / k;
		uint32_t m = left < cc ? (uint32_t)left : cc;
		for (uint32_t i = 0; i < m; i++)
			conn_init(&conns[i], T_NORMAL, tns / 1000);
		if (m > open_max)
			open_max = m;
		nseen += m;
		for (unsigned r = 0; r < k; r++) {
			/* visiting order: j -> (a*j + b) mod m, gcd(a, m) = 1 */
			uint32_t a = 1, idx = 0;
			if (m > 1) {
				for (;;) {
					uint32_t x = rnd_range(1, m - 1), y = m;
					a = x;
					while (y) {
						uint32_t tt = x % y;
						x = y;
						y = tt;
					}
					if (x == 1)
						break;
				}
				idx = rnd_below(m);
			}
			const op_t *o = &tmpl[r];
			/* prefetch PF connections ahead in visiting order */
			enum { PF = 8 };
			uint64_t pfi = (idx + (uint64_t)a * PF) % m;
			for (uint32_t j = 0; j < m; j++) {
				uint64_t t = tns / 1000;
				__builtin_prefetch(&conns[pfi]);
				__builtin_prefetch(&conns[pfi].tsoff, 1);
				pfi += a;
				if (pfi >= m)
					pfi -= m;
				emit(&conns[idx], o->kind & 1, o->flags, 0,
				     o->len ? datalen() : 0, t);
				last_t = t;
				tns += step;
				idx += a;
				if (idx >= m)
					idx -= m;
			}
		}
		tns += gen_gap_s * 1000000000ull;
	}
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gen --profile NAME [options] [-o FILE]\n"
		"\n"
		"Profiles:\n"
		"  mix         normal connections with data, unanswered SYNs with\n"
		"              retransmissions, refused, reset mid-stream, long\n"
		"              half-closes, mid-stream pickups; ~10%% IPv6\n"
		"  concurrent  C connections opened, then a few packets each in\n"
		"              round-robin order, then all closed (peak C open);\n"
		"              repeated in generations until N packets\n"
		"  churn       many short connections, C open at once\n"
		"  synflood    SYNs from random sources to 172.16.0.1:80, no\n"
		"              answers, over background traffic of C connections\n"
		"\n"
		"Options:\n"
		"  -p, --profile NAME     one of the above (required)\n"
		"  -n, --packets N        packets to write (k, M, G suffixes; "
		"default 1M)\n"
		"  -c, --concurrency C    connections open at once (default: mix "
		"10k,\n"
		"                         concurrent 100k, churn 20, synflood 1k)\n"
		"  -s, --seed S           random seed (default 1)\n"
		"  -o, --output FILE      output pcap, '-' for stdout (default\n"
		"                         /tmp/tcpfsm-bench/PROFILE-N-cC-sS.pcap)\n"
		"      --ipv6 PCT         share of IPv6 connections (default 10; "
		"synflood\n"
		"                         floods IPv4)\n"
		"      --rtt US           median RTT in microseconds (default: "
		"20000,\n"
		"                         churn 1000)\n"
		"      --conn-packets K   concurrent: packets per connection "
		"(default 10,\n"
		"                         min 7)\n"
		"      --rate PPS         concurrent: packet rate in capture time\n"
		"                         (default 1M)\n"
		"      --gen-gap SEC      concurrent: silence between generations\n"
		"                         (default 130)\n"
		"      --flood-pps PPS    synflood: flood rate in capture time "
		"(default 1M)\n"
		"  -q, --quiet            no summary on stderr\n"
		"  -V, --version          print the generator version\n");
}

static uint64_t parse_count(const char *s, const char *what)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		goto bad;
	switch (*end) {
	case 'k': case 'K': v *= 1e3, end++; break;
	case 'm': case 'M': v *= 1e6, end++; break;
	case 'g': case 'G': v *= 1e9, end++; break;
	}
	if (*end)
		goto bad;
	return (uint64_t)(v + 0.5);
bad:
	fprintf(stderr, "gen: bad %s: %s\n", what, s);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	enum { O_IPV6 = 256, O_RTT, O_KPKT, O_RATE, O_GAP, O_FLOOD };
	static const struct option lo[] = {
		{"profile", 1, 0, 'p'},	  {"packets", 1, 0, 'n'},
		{"concurrency", 1, 0, 'c'}, {"seed", 1, 0, 's'},
		{"output", 1, 0, 'o'},	  {"ipv6", 1, 0, O_IPV6},
		{"rtt", 1, 0, O_RTT},	  {"conn-packets", 1, 0, O_KPKT},
		{"rate", 1, 0, O_RATE},	  {"gen-gap", 1, 0, O_GAP},
		{"flood-pps", 1, 0, O_FLOOD}, {"quiet", 0, 0, 'q'},
		{"version", 0, 0, 'V'},	  {"help", 0, 0, 'h'},
		{0, 0, 0, 0}};
	int prof = -1, quiet = 0, opt;
	uint64_t n = 1000000, cc = 0, seed = 1, kpkt = 10, rate = 1000000;
	uint64_t gap = 130, flood = 1000000, rtt = 0;
	const char *out = NULL;

	while ((opt = getopt_long(argc, argv, "p:n:c:s:o:qVh", lo, NULL)) !=
	       -1) {
		switch (opt) {
		case 'p':
			for (int i = 0; i < 4; i++)
				if (!strcmp(optarg, profile_names[i]))
					prof = i;
			if (prof < 0) {
				fprintf(stderr, "gen: unknown profile %s\n",
					optarg);
				return 2;
			}
			break;
		case 'n': n = parse_count(optarg, "packet count"); break;
		case 'c': cc = parse_count(optarg, "concurrency"); break;
		case 's': seed = parse_count(optarg, "seed"); break;
		case 'o': out = optarg; break;
		case O_IPV6: ipv6_pct = (unsigned)parse_count(optarg, "--ipv6"); break;
		case O_RTT: rtt = parse_count(optarg, "--rtt"); break;
		case O_KPKT: kpkt = parse_count(optarg, "--conn-packets"); break;
		case O_RATE: rate = parse_count(optarg, "--rate"); break;
		case O_GAP: gap = parse_count(optarg, "--gen-gap"); break;
		case O_FLOOD: flood = parse_count(optarg, "--flood-pps"); break;
		case 'q': quiet = 1; break;
		case 'V': puts("tcpfsm-bench gen " GEN_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (prof < 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!cc)
		cc = prof == P_MIX ? 10000 : prof == P_CONCURRENT ? 100000
			: prof == P_CHURN ? 20 : 1000;
	if (cc > 100000000 || ipv6_pct > 100 || kpkt < 7 || kpkt > 200 ||
	    !rate || !flood || rtt > 10000000) {
		fprintf(stderr, "gen: argument out of range\n");
		return 2;
	}
	rtt_base = (uint32_t)(rtt ? rtt : prof == P_CHURN ? 1000 : 20000);

	char defpath[256];
	if (!out) {
		if (mkdir("/tmp/tcpfsm-bench", 0755) && errno != EEXIST) {
			perror("gen: /tmp/tcpfsm-bench");
			return 1;
		}
		snprintf(defpath, sizeof defpath,
			 "/tmp/tcpfsm-bench/%s-%" PRIu64 "-c%" PRIu64
			 "-s%" PRIu64 ".pcap",
			 profile_names[prof], n, cc, seed);
		out = defpath;
	}
	outf = strcmp(out, "-") ? fopen(out, "wb") : stdout;
	if (!outf) {
		fprintf(stderr, "gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	setvbuf(outf, NULL, _IONBF, 0);
	outbuf = malloc(OUTBUF_SIZE);
	if (!outbuf) {
		fprintf(stderr, "gen: out of memory\n");
		return 1;
	}
	payload_init();
	rnd_seed(seed ^ ((uint64_t)prof << 56));

	/* pcap global header: native byte order, microseconds, Ethernet */
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} gh = {0xa1b2c3d4, 2, 4, 0, 0, 262144, 1};
	memcpy(out_reserve(sizeof gh), &gh, sizeof gh);
	outlen += sizeof gh;

	double t0 = now_s();
	switch (prof) {
	case P_CONCURRENT:
		run_concurrent(n, (uint32_t)cc, (unsigned)kpkt, rate, gap);
		break;
	case P_SYNFLOOD:
		run_sim(prof, n, (uint32_t)cc, flood);
		break;
	default:
		run_sim(prof, n, (uint32_t)cc, 0);
		break;
	}
	out_flush();
	if (outf != stdout && fclose(outf)) {
		perror("gen: close");
		return 1;
	}
	double el = now_s() - t0;

	if (!quiet) {
		uint64_t nc = 0;
		for (int i = 0; i < T_NTYPES; i++)
			nc += ntype_conns[i];
		fprintf(stderr,
			"gen: %s: %s, seed %" PRIu64 ", concurrency %" PRIu64
			"\n"
			"gen: %" PRIu64 " packets, %" PRIu64
			" bytes (%.1f MB), %" PRIu64 " payload bytes\n"
			"gen: %" PRIu64 " connections with packets (%" PRIu64
			" started, %" PRIu64 " IPv6), at most %" PRIu64
			" open at once\n"
			"gen: capture time %.3f s (%.0f packets/s)\n",
			profile_names[prof], out, seed, cc, npackets,
			out_total, out_total / 1e6, nbytes_pay, nseen, nc, nv6_conns,
			open_max, last_t / 1e6,
			last_t ? npackets / (last_t / 1e6) : 0.0);
		for (int i = 0; i < T_NTYPES; i++)
			if (ntype_conns[i])
				fprintf(stderr,
					"gen:   %-18s %10" PRIu64
					" conns %11" PRIu64 " packets\n",
					type_names[i], ntype_conns[i],
					ntype_pkts[i]);
		fprintf(stderr,
			"gen: wrote in %.2f s: %.2f M packets/s, %.0f MB/s\n",
			el, npackets / el / 1e6, out_total / el / 1e6);
	}
	return 0;
}
