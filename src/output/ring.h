/*
 * ring.h - -w from a pipe or a live capture (ring.c): the packets that
 * cannot be read twice are kept a while in a bounded ring, and an alerted
 * connection's are written from it, then its later ones as they come.
 */
#ifndef TCPFSM_OUTPUT_RING_H
#define TCPFSM_OUTPUT_RING_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"

/* The ring's default bound: --ring-size. */
#define RING_DEFAULT_SIZE ((uint64_t)16 << 20)

struct pring;

/* A ring fed by a capture of its own on iface, alongside the tracker's
 * (the kernel hands both every packet), opened now while privileged; or
 * by a copy of standard input (pring_tee_stdin). only, if not NULL: keep
 * the connections it matches (--conn) rather than the alerted ones. NULL
 * with a message in err. */
struct pring *pring_open_live(const char *iface, int snaplen, int promisc,
			      const char *filter, uint64_t limit,
			      const struct output_filter *only, char *err,
			      size_t errlen);
/* Standard input is read by a thread that passes every byte on, to a new
 * standard input the capture reads as before, and to the ring. */
struct pring *pring_tee_stdin(const char *filter, uint64_t limit,
			      const struct output_filter *only, char *err,
			      size_t errlen);
/* Starts the ring's thread, writing to path (after any privilege drop:
 * the file is the unprivileged user's). 0, or -1 with a message. */
int pring_start(struct pring *r, const char *path, char *err, size_t errlen);
/* Marks an alerted (or --conn) connection, writing the ring's packets of
 * it; notes a connection's end. */
void pring_event(struct pring *r, const struct tcpfsm_event *ev);
/* Stops, writes what is pending and closes the file; *packets: how many
 * were written. 0, or -1 with a message. */
int pring_stop(struct pring *r, uint64_t *packets, char *err, size_t errlen);

#endif
