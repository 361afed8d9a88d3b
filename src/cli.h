/*
 * cli.h - the command line: tcpdump's options, where tcpdump has one, mean
 * what they mean there; tcpfsm's own are long options (and -g).
 */
#ifndef TCPFSM_CLI_H
#define TCPFSM_CLI_H

#include <stdint.h>

#include "output/output.h"

struct cli {
	const char *read_file; /* -r: a pcap or pcapng file, "-" for stdin */
	const char *interface; /* -i: capture live */
	char *filter; /* trailing words or -F FILE: a pcap filter expression */
	const char *config; /* -g, --config: the configuration file */
	/* -w: the packets of the alerted (or --conn) connections */
	const char *write_file;
	/* --ring-size: -w's bound from a pipe or live; 0: the default */
	uint64_t ring_size;
	uint64_t count;	     /* -c: stop after this many packets; 0: never */
	uint32_t snaplen;    /* -s: live snap length; 0: the configuration's */
	int list_interfaces; /* -D */
	int line_buffered;   /* -l: standard output a line at a time */
	int tflag;	     /* how many -t: the text time stamp (text.h) */
	int verbose;	     /* how many -v */
	int quiet;	     /* -q: alerts, resolved and stats only */
	int check_config;    /* --check-config: validate it and exit */
	int daemon;	     /* --daemon: run unattended */
	int foreground;	     /* --foreground: as a daemon, but attached */
	enum output_format format;
	int format_set; /* --format given: it overrides the file's outputs */
	int snapshot;	/* --snapshot: table of open connections at the end */
	int color;	/* -1 auto (a terminal), 0 never, 1 always */
	uint32_t max_connections;
	int checksums; /* --checksums: TCPFSM_CHECKSUMS_*; -1 the file's */
	/* --alert STATE=DURATION: thresholds to override; -1 keeps the default
	 */
	int64_t alert_after[TCPFSM_NSTATES];
	/* --alert for the stalls: unacked_data=, zero_window= (durations),
	 * retransmissions=, keepalives= (counts); -1 keeps the default */
	int64_t stall_unacked, stall_zero_window;
	int64_t stall_retransmissions, stall_keepalives;
	/* --only: the EVENTS_* (config.h) standard output prints; 0: all */
	unsigned only;
	/* --state, --host, --conn N: which connections' events it prints */
	int filtered;
	struct output_filter shown;
	/* --conn ADDR:PORT: the connections with that endpoint (conn_port
	 * 0: any port of the address) */
	int conn_by_addr;
	struct tcpfsm_addr conn_addr;
	int conn_port;
};

/* "10.0.0.2", "10.0.0.2:51720", "::1", "[::1]:80" into addr; *port says
 * whether a port was given. -1 if it is no address. */
int cli_parse_endpoint(const char *text, struct tcpfsm_addr *addr, int *port);

/* Parses argv. Returns -1 to go on; otherwise the exit status to exit with
 * (0 after --help or --version, 2 after a usage error, reported on stderr in
 * one line). */
int cli_parse(struct cli *cli, int argc, char **argv);

void cli_free(struct cli *cli);

#endif
