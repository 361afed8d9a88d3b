/*
 * capture.h - libpcap at the edge: open a file or an interface, apply a
 * filter, and pump packets into a tracker.
 */
#ifndef TCPFSM_CAPTURE_H
#define TCPFSM_CAPTURE_H

#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>

#include "tcpfsm.h"

struct capture {
	pcap_t *pcap;
	int dlt;
	int live;
	int fd;		       /* live: to wait on when nothing is buffered */
	const char *name;      /* file or interface, for messages */
	uint64_t records;      /* records read so far */
	uint64_t limit;	       /* stop after this many records; 0: never */
	char *stdio_buf;       /* the file's stdio buffer (capture.c) */
	struct reader *reader; /* a file read ahead on a second thread */
	int no_reader;	       /* ... or not: a pipe, or no thread */
	int idle_told;	       /* CAPTURE_IDLE returned since the last packet */
	/* The options the tracker fed was made with (NULL: the defaults),
	 * for a reader that decodes ahead as the tracker would. */
	const struct tcpfsm_options *opts;
	/* libpcap's counters are 32 bits and wrap: keep 64-bit totals. */
	uint32_t last[3];
	uint64_t total[3];
	char err[PCAP_ERRBUF_SIZE + 256];
};

/* Open a pcap/pcapng file ("-" for stdin) or a live interface. On failure
 * return -1 with a message in c->err. */
int capture_open_file(struct capture *c, const char *path);
int capture_open_live(struct capture *c, const char *iface, int snaplen,
		      int promisc, uint64_t buffer_size);

/* Compiles and installs a pcap filter expression; -1 with c->err on error. */
int capture_set_filter(struct capture *c, const char *expr);

/* Checks made before anything is opened (--check-config, and a daemon
 * before it detaches): does expr compile for an Ethernet capture of this
 * snap length, does the interface exist. 0, or -1 with libpcap's reason
 * in err. */
int capture_check_filter(const char *expr, int snaplen, char *err,
			 size_t errlen);
int capture_check_interface(const char *iface, char *err, size_t errlen);

/* The name of the interface numbered n in capture_list_interfaces()'s
 * list (tcpdump -i 2), malloc'ed; NULL with err if there is none. */
char *capture_interface_by_number(unsigned n, char *err, size_t errlen);

/* Prints the interfaces libpcap can capture on, as tcpdump -D does:
 * "1.eth0 [Up, Running, Connected]". 0, or -1 with err. */
int capture_list_interfaces(FILE *out, char *err, size_t errlen);

enum capture_status {
	CAPTURE_EOF = 0,     /* the file ended */
	CAPTURE_INTERRUPTED, /* *interrupt was set (a signal) */
	CAPTURE_TICK,	     /* live: a second of wall time went by */
	CAPTURE_IDLE,	     /* a pipe has nothing more ready: time to flush */
	CAPTURE_ERROR,	     /* reading failed: c->err says where and why */
};

/* Feeds packets to t until the file ends, *interrupt is set, (live) a
 * second has passed, so that the caller can do periodic work, or (a pipe,
 * a FIFO, a terminal) the input has nothing more ready, so that the caller
 * can show what came so far; call again to go on. Live, the tracker's clock
 * also advances with the wall clock when the link is quiet. On CAPTURE_ERROR
 * (e.g. a truncated file) every packet before the fault was fed. */
enum capture_status capture_run(struct capture *c, struct tcpfsm *t,
				const volatile sig_atomic_t *interrupt);

/* Copies libpcap's received/dropped counters into st (live captures). */
void capture_counters(struct capture *c, struct tcpfsm_stats *st);

void capture_close(struct capture *c);

/* The wall clock in microseconds since the epoch (live time). */
int64_t capture_wall_clock(void);

#endif
