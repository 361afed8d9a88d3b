/*
 * capture.h - libpcap at the edge: open a file or an interface, apply a
 * filter, and pump packets into a tracker.
 */
#ifndef TCPFSM_CAPTURE_H
#define TCPFSM_CAPTURE_H

#include <pcap/pcap.h>
#include <signal.h>

#include "tcpfsm.h"

struct capture {
	pcap_t *pcap;
	int dlt;
	int live;
	const char *name; /* file or interface, for messages */
	uint64_t records; /* records read so far */
	char err[PCAP_ERRBUF_SIZE + 256];
};

/* Open a pcap/pcapng file ("-" for stdin) or a live interface. On failure
 * return -1 with a message in c->err. */
int capture_open_file(struct capture *c, const char *path);
int capture_open_live(struct capture *c, const char *iface);

/* Compiles and installs a pcap filter expression; -1 with c->err on error. */
int capture_set_filter(struct capture *c, const char *expr);

/* Feeds every packet to t until the file ends or *stop is set. Live, the
 * tracker's clock also advances with the wall clock when the link is quiet.
 * Returns 0, or -1 with c->err when reading failed (e.g. a truncated file;
 * the packets before the fault were fed). */
int capture_run(struct capture *c, struct tcpfsm *t,
		volatile sig_atomic_t *stop);

void capture_close(struct capture *c);

/* The wall clock in microseconds since the epoch (live time). */
int64_t capture_wall_clock(void);

#endif
