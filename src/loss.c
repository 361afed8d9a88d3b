/*
 * loss.c - whose loss explains a packet that did not pass: the sensor's own,
 * or the path's.
 *
 * A FIN passed and its ACK did not. Either the FIN (or the ACK, before the
 * sensor) was lost on the path, and the FIN will be sent again; or both got
 * through and the sensor missed the ACK. Which is likelier is a matter of
 * rates, and both are measured on the capture itself:
 *  - the sensor's, as Zeek's capture-loss does: of the acknowledgements that
 *    acknowledged new data, those that covered data the sensor never saw,
 *    per interval: a span port that dropped packets in a burst an hour ago
 *    misses none now. stats.recent_gaps / stats.recent_acks covers the
 *    interval under way and the one before it (one to two intervals of
 *    capture time);
 *  - the path's, on the FINs themselves: of the FINs whose first copy
 *    passed, those sent again (the FIN or its ACK lost). Each counts once:
 *    what matters is whether a first copy gets through, and a path that
 *    lost one copy often loses the next ones too, which says nothing of the
 *    other connections' FINs. Until FINs are counted, the path is taken to
 *    lose one in twenty: no sensor is read as the culprit on its first few
 *    gaps.
 */
#include "tracker.h"

/* The path's FIN losses before any are counted: 1 in PATH_PRIOR. */
#define PATH_PRIOR 20

/* The sensor's loss interval (capture time). */
#define LOSS_INTERVAL SECONDS(60)

int sensor_lossy(const struct tcpfsm *t)
{
	uint64_t gaps = t->stats.recent_gaps;
	return gaps >= 3 && gaps * 100 >= t->stats.recent_acks;
}

double sensor_loss_percent(const struct tcpfsm *t)
{
	uint64_t acks = t->stats.recent_acks;
	return acks ? 100.0 * (double)t->stats.recent_gaps / (double)acks : 0.0;
}

int sensor_misses_more(const struct tcpfsm *t)
{
	/* gaps / acks > (lost + 1) / (seen + PATH_PRIOR), in integers */
	return sensor_lossy(t) &&
	       t->stats.recent_gaps * (t->fins.seen + PATH_PRIOR) >
		       (t->fins.lost + 1) * t->stats.recent_acks;
}

void count_loss(struct tcpfsm *t, const struct segment *seg,
		const struct endpoint *sender, const struct fsm_result *res,
		int64_t ts)
{
	/* A new interval: the one before drops out, and the one that ended
	 * takes its place. */
	if (ts - t->loss.start >= LOSS_INTERVAL) {
		t->stats.recent_acks -= t->loss.prev_acks;
		t->stats.recent_gaps -= t->loss.prev_gaps;
		t->loss.prev_acks = t->stats.recent_acks;
		t->loss.prev_gaps = t->stats.recent_gaps;
		t->loss.start = ts;
	}
	t->stats.acks += (uint64_t)res->acked;
	t->stats.recent_acks += (uint64_t)res->acked;
	if (res->missed) {
		t->stats.gaps++;
		t->stats.recent_gaps++;
		t->stats.missed_bytes += res->missed;
	}
	/* A gap taken back: from the interval it was counted in (the one under
	 * way, or the one before if it just ended). */
	if (res->unmissed && t->stats.gaps) {
		t->stats.gaps--;
		t->stats.missed_bytes -= res->unmissed < t->stats.missed_bytes
						 ? res->unmissed
						 : t->stats.missed_bytes;
		if (t->stats.recent_gaps == t->loss.prev_gaps &&
		    t->loss.prev_gaps)
			t->loss.prev_gaps--;
		if (t->stats.recent_gaps)
			t->stats.recent_gaps--;
	}
	if ((seg->flags & (TH_FIN | TH_SYN | TH_RST)) != TH_FIN)
		return;
	if (!res->retransmitted)
		t->fins.seen++;
	else if (sender->fin_retx == 1)
		t->fins.lost++;
}
