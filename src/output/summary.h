/*
 * summary.h - the end of a text run in a few lines (summary.c): gathered
 * from the events as they pass, written after the final counters.
 */
#ifndef TCPFSM_OUTPUT_SUMMARY_H
#define TCPFSM_OUTPUT_SUMMARY_H

#include <stdint.h>

#include "output.h"

/* The address column's width in the summary's server list. */
#define ADDR_COLUMN 22

struct server_count;

struct summary {
	uint64_t conns; /* connection records ended */
	/* connections by [client state][server state] at their end */
	uint64_t final[TCPFSM_NSTATES][TCPFSM_NSTATES];
	struct {
		const char *name; /* the alert kind (a static text) */
		uint64_t events, endpoints;
	} kinds[32];
	size_t n_kinds;
	struct server_count *servers; /* uthash, by server address */
	size_t n_servers;
	uint64_t other_servers; /* attempts past the table's bound */
};

void summary_init(struct summary *s);
void summary_event(struct summary *s, const struct tcpfsm_event *ev);
/* The refusals the tracker's listeners counted: before tcpfsm_finish(). */
void summary_listeners(struct summary *s, const struct tcpfsm *t);
/* Writes the summary into o's buffer; st: the final counters. */
void summary_write(struct output *o, const struct summary *s,
		   const struct tcpfsm_stats *st);
void summary_free(struct summary *s);

#endif
