/*
 * loss.c - whose loss explains a packet that did not pass: the sensor's own,
 * or the path's.
 *
 * A FIN passed and its ACK did not. Either the FIN (or the ACK, before the
 * sensor) was lost on the path, and the FIN will be sent again; or both got
 * through and the sensor missed the ACK. Which is likelier is a matter of
 * rates, and both are measured on the capture itself:
 *  - the sensor's, as Zeek's capture-loss does: of the acknowledgements that
 *    acknowledged new data, those that covered data the sensor never saw
 *    (stats.gaps / stats.acks);
 *  - the path's, on the FINs themselves: of the FINs whose first copy
 *    passed, those sent again (their FIN or its ACK lost). Until FINs are
 *    counted, the path is taken to lose one in twenty: no sensor is read
 *    as the culprit on its first few gaps.
 */
#include "tracker.h"

/* The path's FIN losses before any are counted: 1 in PATH_PRIOR. */
#define PATH_PRIOR 20

int sensor_lossy(const struct tcpfsm *t)
{
	return t->stats.gaps >= 3 && t->stats.gaps * 100 >= t->stats.acks;
}

int sensor_misses_more(const struct tcpfsm *t)
{
	/* gaps / acks > (resent + 1) / (fins + PATH_PRIOR), in integers */
	return sensor_lossy(t) && t->stats.gaps * (t->fins.seen + PATH_PRIOR) >
					  (t->fins.resent + 1) * t->stats.acks;
}

void count_fin(struct tcpfsm *t, const struct segment *seg,
	       const struct fsm_result *res)
{
	if ((seg->flags & (TH_FIN | TH_SYN | TH_RST)) != TH_FIN)
		return;
	t->fins.seen++;
	t->fins.resent += (uint64_t)res->retransmitted;
}
