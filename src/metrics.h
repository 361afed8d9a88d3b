/*
 * metrics.h - counters for Prometheus, as a file for node_exporter's
 * textfile collector.
 */
#ifndef TCPFSM_METRICS_H
#define TCPFSM_METRICS_H

#include <stddef.h>

#include "tcpfsm.h"

/* Writes st in the Prometheus text format to path, atomically: a temporary
 * file beside it, then rename(2), so a scrape never reads half a file.
 * Returns 0, or -1 with err. */
int metrics_write(const char *path, const struct tcpfsm_stats *st, char *err,
		  size_t errlen);

#endif
