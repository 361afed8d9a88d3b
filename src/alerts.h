/*
 * alerts.h - what to say when an endpoint is stuck, and how not to say it
 * a million times.
 *
 * alert_diagnose() turns what the sensor saw of a connection into one
 * sentence naming the side of the sensor where packets go missing. The
 * folding table groups alerts by server address, port, side and state: the
 * first alert of a group goes out as it is, the ones after it within the
 * window are only counted, and when the window closes one aggregate alert
 * says how many there were. A token bucket limits what is left.
 */
#ifndef TCPFSM_ALERTS_H
#define TCPFSM_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "timers.h"

/* Does the wire show endpoint `side` of f stuck in state, by what the
 * sensor sees and not by what it may have missed? 1 if so; 0 while the
 * alert would rest on the direction the sensor cannot see or on a packet
 * its own loss explains. */
int alert_has_evidence(const struct flow *f, int side, int state);

/* Writes the diagnosis for endpoint `side` of f, stuck in state, into buf
 * (NUL-terminated, truncated to size). */
void alert_diagnose(const struct flow *f, int side, int state, char *buf,
		    size_t size);

/* Groups of alerts being folded. Fixed size: when all are busy, alerts go
 * out unfolded (the rate limit still applies). */
#define ALERT_GROUPS 4096

struct alert_group {
	UT_hash_handle hh;
	struct {
		uint8_t ip[16];
		uint16_t port;
		uint8_t family, side, state, pad[3];
	} key;
	int64_t opened;	 /* when the group's first alert went out */
	uint64_t folded; /* alerts counted since */
	uint64_t sample; /* a folded connection's id */
	uint32_t next;	 /* FIFO of open groups (by opened), or free list */
	struct tcpfsm_addr sample_client;
};

struct alert_folding {
	struct alert_group groups[ALERT_GROUPS];
	struct alert_group *hash;
	uint32_t head, tail, free_head; /* free_head: groups closed */
	uint32_t unused;		/* groups[unused..] never taken */
	int64_t window;
	/* Token bucket: tokens scaled by 10^6 so that refill is exact. */
	uint64_t rate;
	int64_t tokens;
	int64_t refilled;
};

void alert_folding_init(struct alert_folding *a, int64_t window, uint32_t rate);
void alert_folding_destroy(struct alert_folding *a);

/* Should an alert for endpoint `side` of f, stuck in `state`, go out now?
 * Returns 1 to emit it; 0 when it was folded into its group's count. */
int alert_fold(struct alert_folding *a, const struct flow *f, int side,
	       int state, int64_t now);

/* The time the oldest open group's window closes; INT64_MAX if none. */
int64_t alert_folding_deadline(const struct alert_folding *a);

/* Closes the oldest group if its window is over by now; returns it if it
 * folded anything (to be reported as an aggregate), or NULL. The group stays
 * valid until the next call. Call until it returns NULL and the deadline is
 * in the future. */
const struct alert_group *alert_folding_expire(struct alert_folding *a,
					       int64_t now, int *closed);

/* Takes a token from the rate limiter; 0 when the alert must be dropped. */
int alert_rate_allow(struct alert_folding *a, int64_t now);

#endif
