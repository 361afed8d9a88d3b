/*
 * ladder.h - one connection as a picture (ladder.c): tcpfsm -r FILE
 * --conn N (or ADDR:PORT) draws its segments as arrows between the client
 * and the server, through the sensor, with both hosts' states where they
 * change and the alerts beside them.
 */
#ifndef TCPFSM_OUTPUT_LADDER_H
#define TCPFSM_OUTPUT_LADDER_H

#include <stdint.h>

#include "output.h"

/* At most this many connections are drawn (an address with a busy port
 * may have hundreds): the rest are named, to be drawn by number. */
#define LADDER_MAX_CONNS 16

struct ladder;

/* A ladder of connection id (0: by endpoint), or of the connections with
 * endpoint addr (its port too if port). NULL when out of memory. */
struct ladder *ladder_new(uint64_t id, const struct tcpfsm_addr *addr,
			  int port);
/* Keeps ev if it is about a connection the ladder draws. */
void ladder_event(struct ladder *l, const struct tcpfsm_event *ev);
/* Reads the capture file path again (with filter) for the connections'
 * packets and draws them into o (in colour if o->color). 0, or -1 with a
 * message in err. */
int ladder_draw(struct ladder *l, struct output *o, const char *path,
		const char *filter, char *err, size_t errlen);
void ladder_free(struct ladder *l);

#endif
