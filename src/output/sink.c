/*
 * sink.c - where events go: standard output, a file (reopened on SIGHUP for
 * logrotate), or syslog; each with its format and the events it wants.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "output.h"

static unsigned event_bit(enum tcpfsm_event_type type)
{
	switch (type) {
	case TCPFSM_EV_TRANSITION:
		return EVENTS_TRANSITION;
	case TCPFSM_EV_ALERT:
		return EVENTS_ALERT;
	case TCPFSM_EV_RESOLVED:
		return EVENTS_RESOLVED;
	case TCPFSM_EV_END:
	case TCPFSM_EV_ZEEK_RECORD:
		return EVENTS_CONN;
	}
	return 0;
}

static int open_file(struct output *o, char *err, size_t errlen)
{
	FILE *fp = fopen(o->path, "a");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
		return -1;
	}
	ob_init(&o->ob, fp);
	return 0;
}

int output_open(struct output *o, const struct output_config *oc, int color,
		char *err, size_t errlen)
{
	static const enum output_format formats[] = {
		[SINK_TEXT] = FORMAT_TEXT,
		[SINK_JSON] = FORMAT_JSON,
		[SINK_ZEEK] = FORMAT_ZEEK,
	};

	memset(o, 0, offsetof(struct output, ob));
	o->format = formats[oc->format];
	o->events = oc->events;
	o->sink = oc->type;
	o->facility = oc->syslog_facility;
	switch (oc->type) {
	case SINK_STDOUT:
		ob_init(&o->ob, stdout);
		if (color < 0) {
			const char *no = getenv("NO_COLOR");
			color = isatty(STDOUT_FILENO) && !(no && *no);
		}
		o->color = o->format == FORMAT_TEXT && color;
		return 0;
	case SINK_FILE:
		o->path = strdup(oc->path);
		if (!o->path) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return open_file(o, err, errlen);
	case SINK_SYSLOG:
		ob_init(&o->ob, NULL);
		openlog("tcpfsm", LOG_PID | LOG_NDELAY, o->facility);
		return 0;
	}
	snprintf(err, errlen, "unknown output type");
	return -1;
}

int output_reopen(struct output *o, char *err, size_t errlen)
{
	if (o->sink != SINK_FILE)
		return ob_flush(&o->ob);
	int rc = ob_flush(&o->ob);
	fclose(o->ob.fp);
	if (open_file(o, err, errlen) < 0) {
		/* Keep going into the void rather than crash; say why. */
		o->ob.fp = NULL;
		o->ob.error = 1;
		return -1;
	}
	/* A conn.log that logrotate moved away starts again with its header
	 * (asked once here, not at every record). */
	if (fseek(o->ob.fp, 0, SEEK_END) == 0 && ftell(o->ob.fp) == 0)
		o->zeek_open = 0;
	return rc;
}

int output_close(struct output *o)
{
	int rc = o->sink == SINK_SYSLOG ? 0 : ob_flush(&o->ob);
	if (o->sink == SINK_FILE && o->ob.fp)
		rc |= fclose(o->ob.fp);
	if (o->sink == SINK_SYSLOG)
		closelog();
	free(o->path);
	o->path = NULL;
	return rc ? -1 : 0;
}

/* A syslog output formats one event into its buffer, then sends it. */
static void send_syslog(struct output *o, int priority)
{
	size_t n = o->ob.len;
	if (n && o->ob.data[n - 1] == '\n')
		n--;
	syslog(o->facility | priority, "%.*s", (int)n, o->ob.data);
	o->ob.len = 0;
}

static int addr_match(const struct tcpfsm_addr *a, const struct tcpfsm_addr *b,
		      int port)
{
	return a->family == b->family &&
	       memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0 &&
	       (!port || a->port == b->port);
}

int output_filter_match(const struct output_filter *f,
			const struct tcpfsm_event *ev)
{
	const struct tcpfsm_conn *c = ev->conn;

	if (f->conn && c->id != f->conn)
		return 0;
	if (f->host && !addr_match(&c->client, &f->host_addr, f->host_port) &&
	    !addr_match(&c->server, &f->host_addr, f->host_port))
		return 0;
	if (f->state < 0)
		return 1;
	switch (ev->type) {
	case TCPFSM_EV_TRANSITION:
		return (int)ev->from == f->state || (int)ev->to == f->state;
	case TCPFSM_EV_ALERT:
	case TCPFSM_EV_RESOLVED:
		return (int)ev->state == f->state;
	case TCPFSM_EV_END:
	case TCPFSM_EV_ZEEK_RECORD:
		return (int)c->state[TCPFSM_CLIENT] == f->state ||
		       (int)c->state[TCPFSM_SERVER] == f->state;
	}
	return 1;
}

void output_deliver(struct output *o, const struct tcpfsm_event *ev)
{
	if (!(o->events & event_bit(ev->type)))
		return;
	if (o->filtered && !output_filter_match(&o->filter, ev))
		return;
	output_event(o, ev);
	if (o->sink == SINK_SYSLOG)
		send_syslog(o, ev->type == TCPFSM_EV_ALERT	? LOG_WARNING
			       : ev->type == TCPFSM_EV_RESOLVED ? LOG_NOTICE
								: LOG_INFO);
}

void output_deliver_stats(struct output *o, const struct tcpfsm_stats *st,
			  int64_t ts)
{
	if (!(o->events & EVENTS_STATS))
		return;
	output_stats(o, st, ts);
	if (o->sink == SINK_SYSLOG)
		send_syslog(o, LOG_INFO);
}
