/*
 * metrics.c - the Prometheus textfile.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

static void metric(FILE *fp, const char *name, const char *type,
		   const char *help)
{
	fprintf(fp, "# HELP tcpfsm_%s %s\n# TYPE tcpfsm_%s %s\n", name, help,
		name, type);
}

static void value(FILE *fp, const char *name, uint64_t v)
{
	fprintf(fp, "tcpfsm_%s %llu\n", name, (unsigned long long)v);
}

static void write_all(FILE *fp, const struct tcpfsm_stats *st)
{
	static const struct {
		const char *name, *type, *help;
		size_t offset;
	} plain[] = {
#define C(n, f, h) {n, "counter", h, offsetof(struct tcpfsm_stats, f)}
#define G(n, f, h)                                                             \
	{                                                                      \
		n, "gauge", h, offsetof(struct tcpfsm_stats, f)                \
	}
		C("packets_total", packets, "Packets read from the capture."),
		C("bytes_total", bytes, "Captured bytes read."),
		C("tcp_packets_total", tcp, "TCP segments tracked."),
		C("bad_tcp_options_total", bad_tcp_options,
		  "Segments with a malformed TCP option."),
		C("connections_total", connections,
		  "Connection records created."),
		G("connections", active, "Connections tracked now."),
		C("evictions_total", evicted,
		  "Connections dropped because the table was full."),
		C("listeners_dropped_total", listeners_dropped,
		  "Listening sockets proven after the listener table was "
		  "full, and so not listed."),
		C("lone_rsts_total", lone_rsts,
		  "RSTs of no tracked connection (counted, not tracked)."),
		C("rst_out_of_window_total", rst_out_of_window,
		  "RSTs ignored because their sequence was out of window."),
		C("syn_on_live_total", syn_on_live,
		  "New SYNs ignored on live connections."),
		C("transitions_total", transitions, "State transitions."),
		C("alerts_folded_total", alerts_folded,
		  "Stuck endpoints folded into aggregate alerts."),
		C("alerts_suppressed_total", alerts_suppressed,
		  "Alerts dropped by the rate limit."),
		C("resolved_total", resolved, "Alerts resolved."),
		C("pcap_received_total", pcap_received,
		  "Packets libpcap received."),
		C("pcap_dropped_total", pcap_dropped,
		  "Packets dropped because the buffer was full."),
		C("pcap_if_dropped_total", pcap_if_dropped,
		  "Packets dropped by the interface or its driver."),
		C("acks_total", acks,
		  "Acknowledgements of new data seen (the sensor's loss: "
		  "gaps_total / acks_total)."),
		C("gaps_total", gaps,
		  "Acknowledgements of data the sensor never saw."),
		G("recent_acks", recent_acks,
		  "Acknowledgements of new data in the last one to two "
		  "minutes of capture time."),
		G("recent_gaps", recent_gaps,
		  "Of them, acknowledgements of data the sensor never saw: "
		  "its loss lately (recent_gaps / recent_acks)."),
		C("missed_bytes_total", missed_bytes,
		  "Bytes acknowledged that the sensor never saw."),
		C("bad_checksums_total", bad_checksums,
		  "Segments with a bad checksum, taken as lost."),
		C("reordered_total", reordered,
		  "Segments seen after one that depends on them."),
		C("duplicates_total", duplicates,
		  "Segments the capture showed twice in a row."),
		C("one_sided_total", one_sided,
		  "Connections ended with one direction never seen."),
		C("offloaded_checksums_total", offloaded_checksums,
		  "Segments whose checksum the capturing host left to its "
		  "NIC."),
#undef C
#undef G
	};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		metric(fp, plain[i].name, plain[i].type, plain[i].help);
		value(fp, plain[i].name,
		      *(const uint64_t *)((const char *)st + plain[i].offset));
	}

	metric(fp, "skipped_packets_total", "counter",
	       "Packets not tracked, by reason.");
	for (int r = 0; r < TCPFSM_SKIP_NREASONS; r++)
		fprintf(fp,
			"tcpfsm_skipped_packets_total{reason=\"%s\"} %llu\n",
			tcpfsm_skip_reason_name(r),
			(unsigned long long)st->skipped[r]);

	metric(fp, "endpoints", "gauge",
	       "Tracked endpoints by side and state.");
	for (int side = 0; side < 2; side++)
		for (int s = 0; s < TCPFSM_NSTATES; s++)
			fprintf(fp,
				"tcpfsm_endpoints{side=\"%s\",state=\"%s\"} "
				"%llu\n",
				tcpfsm_side_name(side), tcpfsm_state_name(s),
				(unsigned long long)st->state[side][s]);

	metric(fp, "alerts_total", "counter", "Alerts raised, by kind.");
	for (int s = 0; s < TCPFSM_NSTATES; s++)
		if (tcpfsm_alert_name(s))
			fprintf(fp, "tcpfsm_alerts_total{alert=\"%s\"} %llu\n",
				tcpfsm_alert_name(s),
				(unsigned long long)st->alerts_by_state[s]);
	for (int k = 0; k < TCPFSM_NSTALLS; k++)
		fprintf(fp, "tcpfsm_alerts_total{alert=\"%s\"} %llu\n",
			tcpfsm_stall_name(k),
			(unsigned long long)st->alerts_by_stall[k]);
}

int metrics_write(const char *path, const struct tcpfsm_stats *st, char *err,
		  size_t errlen)
{
	char tmp[4096];

	if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	FILE *fp = fopen(tmp, "w");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	write_all(fp, st);
	if (fclose(fp) != 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
