/*
 * reader.h - reading a capture file ahead, on a second thread.
 *
 * Offline, libpcap's reading and the decoding of headers are a good share
 * of tcpfsm's work (bench/README.md), and they need nothing from the
 * tracker. A reader thread
 * does them on another core and hands over batches of decoded packets
 * (tcpfsm_batch_add(): the library's own decoding, as the tracker's options
 * ask), in capture order: one lock round trip per batch, none per packet.
 */
#ifndef TCPFSM_READER_H
#define TCPFSM_READER_H
#include <pcap/pcap.h>
#include <stdint.h>

#include "tcpfsm.h"

#define RD_BLOCK 1024 /* packets per batch */

struct reader;

/* Starts reading p (a file of link type dlt, filter installed) on a thread
 * of its own, up to limit records (0: all, else the file ends there, as
 * tcpdump -c ends it), decoding packets as a tracker with options opts
 * (NULL: the defaults) would; name is for messages. NULL if the thread
 * cannot start (the caller then reads on its own thread). */
struct reader *reader_start(pcap_t *p, int dlt, const char *name,
			    uint64_t limit, const struct tcpfsm_options *opts);

enum rd_status {
	RD_BLOCK_READY = 0, /* *batch holds packets */
	RD_WAITING, /* nothing yet: ask again (after checking signals) */
	RD_END,	    /* the file ended */
	RD_ERROR,   /* reading failed: reader_error() says why */
};

/* The next batch, waiting at most a tenth of a second. The batch is the
 * caller's until the next call. */
enum rd_status reader_next(struct reader *r, const struct tcpfsm_batch **batch);
/* After RD_ERROR: "FILE: after record N: why". */
const char *reader_error(const struct reader *r);
/* Records read so far (by the thread). */
uint64_t reader_records(struct reader *r);
/* Stops the thread (if still reading) and frees everything. p stays open. */
void reader_stop(struct reader *r);
#endif
