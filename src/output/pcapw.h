/*
 * pcapw.h - -w FILE, as tcpdump's letter but selective (pcapw.c): the
 * packets of every connection that raised an alert, or of the --conn one,
 * written as a capture file in the source's own link type.
 */
#ifndef TCPFSM_OUTPUT_PCAPW_H
#define TCPFSM_OUTPUT_PCAPW_H

#include <stdint.h>

#include "output.h"

struct pcapw;

/* A writer of path; only, if not NULL: the connections it keeps (--conn),
 * rather than the alerted ones. NULL when out of memory. */
struct pcapw *pcapw_new(const char *path, const struct output_filter *only);
/* Notes ev's connection if it is one to keep. */
void pcapw_event(struct pcapw *w, const struct tcpfsm_event *ev);
/* Reads the capture file source again (with filter) and writes the kept
 * connections' packets. *packets and *conns: what was written. 0, or -1
 * with a message in err. */
int pcapw_write(struct pcapw *w, const char *source, const char *filter,
		uint64_t *packets, uint64_t *conns, char *err, size_t errlen);
void pcapw_free(struct pcapw *w);

#endif
