/*
 * config.h - the configuration file (YAML, read with libyaml).
 *
 * The file is read and validated once, before anything starts; afterwards
 * struct config is read-only. Every error names file:line:column and what
 * was expected. config/tcpfsm.yaml documents every key with its default.
 */
#ifndef TCPFSM_CONFIG_H
#define TCPFSM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "tcpfsm.h"

enum sink_type { SINK_STDOUT = 0, SINK_FILE, SINK_SYSLOG };
enum sink_format { SINK_TEXT = 0, SINK_JSON, SINK_ZEEK };

/* Which events an output receives (struct output_config.events). */
enum {
	EVENTS_TRANSITION = 1 << 0,
	EVENTS_ALERT = 1 << 1,
	EVENTS_RESOLVED = 1 << 2,
	EVENTS_CONN = 1 << 3,
	EVENTS_STATS = 1 << 4,
	EVENTS_ALL = (1 << 5) - 1,
};

struct output_config {
	enum sink_type type;
	enum sink_format format;
	char *path;	     /* SINK_FILE */
	int syslog_facility; /* SINK_SYSLOG: LOG_DAEMON, LOG_LOCAL0, ... */
	unsigned events;     /* EVENTS_*; default: all (syslog: alerts and
				resolved) */
};

#define CONFIG_MAX_OUTPUTS 16

struct config {
	char *path; /* the file read, for messages; NULL: defaults only */

	struct {
		char *interface;  /* live capture (or NULL) */
		char *file;	  /* read a capture file instead (or NULL) */
		char *filter;	  /* pcap filter expression (or NULL) */
		uint32_t snaplen; /* default 256 */
		int promiscuous;  /* default 1 */
		uint64_t buffer_size; /* kernel buffer, bytes; default 64 MiB */
		/* Where the file gave interface and filter (line 0: it did
		 * not), so that checks made after loading (does the interface
		 * exist, does the filter compile) can point at the key. */
		struct config_mark {
			unsigned line, column; /* from 1 */
		} interface_at, filter_at;
	} capture;

	/* tracking and alerts sections: max_connections, idle_timeout,
	 * closed_linger, midstream, host_timeout[] (tracking.host_timers),
	 * alert_after[] (alerts.thresholds), aggregate_window, alert_rate. */
	struct tcpfsm_options tracker;

	struct output_config outputs[CONFIG_MAX_OUTPUTS];
	size_t n_outputs; /* default: one stdout text output */

	struct {
		char *pidfile; /* default NULL: none */
		char *user;    /* drop to this user after opening the capture */
		char *group;
		int allow_root; /* keep running as root if no user is given */
	} daemon;

	struct {
		char *textfile;	  /* Prometheus textfile path (or NULL) */
		int64_t interval; /* µs; default 15 s */
	} metrics;

	int64_t stats_interval; /* µs between periodic stats events; 0: only
				   at the end (default 60 s live) */
};

/* Fills cfg with the defaults (the same as having no file). */
void config_defaults(struct config *cfg);

/*
 * Reads and validates path into cfg, starting from the defaults. Returns 0,
 * or -1 with one message in err: "FILE:LINE:COLUMN: what is wrong" (for
 * example "tcpfsm.yaml:12:5: unknown key 'treshold' in alerts (did you mean
 * 'thresholds'?)"), or "FILE: what is wrong" when the file cannot be read.
 * cfg is overwritten (it need not be initialised; config_free() one that
 * holds a loaded configuration first); after an error it holds the
 * defaults. Either way it is freeable.
 *
 * Safe on any bytes: files over 1 MiB are refused unread, aliases (*name)
 * are refused, and nothing is expanded or nested beyond the schema.
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Parses sizes with units: "512" or "512B" (bytes), "10kB", "1MB", "2GB",
 * "1TB" (powers of 1000), "64KiB", "64MiB", "1GiB", "1TiB" (powers of 1024).
 * -1 if malformed, negative or beyond INT64_MAX. */
int64_t config_parse_size(const char *text);

void config_free(struct config *cfg);

#endif
