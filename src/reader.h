/*
 * reader.h - reading a capture file ahead, on a second thread.
 *
 * Offline, libpcap's reading and the decoding of headers are about a third
 * of tcpfsm's work, and they need nothing from the tracker. A reader thread
 * does them on another core and hands over blocks of decoded packets, in
 * capture order: one lock round trip per block, none per packet.
 */
#ifndef TCPFSM_READER_H
#define TCPFSM_READER_H
#include <pcap/pcap.h>
#include <stdint.h>

#include "decode.h"
#include "feed.h"

/* One packet as the tracker needs it: decode_packet()'s result. */
struct rd_packet {
	int64_t ts; /* µs since the epoch */
	uint32_t caplen;
	int rc; /* decode_packet()'s: 0 for a TCP segment */
	struct segment seg;
	struct seg_flow flow; /* tcpfsm_flow_of() seg, when rc is 0 */
};

#define RD_BLOCK 1024 /* packets per block */

struct rd_block {
	uint32_t n;
	struct rd_packet pkt[RD_BLOCK];
};

struct reader;

/* Starts reading p (a file of link type dlt, filter installed) on a thread
 * of its own, up to limit records (0: all, else the file ends there, as
 * tcpdump -c ends it); name is for messages. NULL if the thread cannot
 * start (the caller then reads on its own thread). */
struct reader *reader_start(pcap_t *p, int dlt, const char *name,
			    uint64_t limit, unsigned decode_flags);

enum rd_status {
	RD_BLOCK_READY = 0, /* *block holds packets */
	RD_WAITING, /* nothing yet: ask again (after checking signals) */
	RD_END,	    /* the file ended */
	RD_ERROR,   /* reading failed: reader_error() says why */
};

/* The next block, waiting at most a tenth of a second. The block is the
 * caller's until the next call. */
enum rd_status reader_next(struct reader *r, const struct rd_block **block);
/* After RD_ERROR: "FILE: after record N: why". */
const char *reader_error(const struct reader *r);
/* Records read so far (by the thread). */
uint64_t reader_records(struct reader *r);
/* Stops the thread (if still reading) and frees everything. p stays open. */
void reader_stop(struct reader *r);
#endif
