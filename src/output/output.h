/*
 * output.h - event writers.
 *
 * Every format (text for people, NDJSON for programs) writes into one
 * buffered sink. Nothing is formatted with printf on the per-event path;
 * the buffer reaches the file descriptor in large writes, and at exit.
 */
#ifndef TCPFSM_OUTPUT_H
#define TCPFSM_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "tcpfsm.h"

#define OUTBUF_SIZE (256 * 1024)

struct outbuf {
	FILE *fp;
	size_t len;
	int error; /* a write failed (errno kept in saved_errno) */
	int saved_errno;
	/* ob_seconds: the whole seconds last written, as text with the dot,
	 * and that second's start in microseconds */
	uint64_t sec_start;
	uint8_t sec_len;
	char sec_text[23];
	char data[OUTBUF_SIZE];
};

void ob_init(struct outbuf *ob, FILE *fp);
/* Writes what is buffered; returns 0, or -1 if any write failed. */
int ob_flush(struct outbuf *ob);
void ob_write_slow(struct outbuf *ob, const char *s, size_t n);

/* Appends n bytes; the common case, room in the buffer, inline. */
static inline void ob_write(struct outbuf *ob, const char *s, size_t n)
{
	if (ob->len + n <= sizeof ob->data) {
		memcpy(ob->data + ob->len, s, n);
		ob->len += n;
	} else {
		ob_write_slow(ob, s, n);
	}
}
void ob_puts(struct outbuf *ob, const char *s);
/* Writes v in decimal at dst (no NUL; at most 20 bytes); returns the length. */
size_t fmt_uint(char *dst, uint64_t v);

/*
 * Direct writing, for records of bounded size (the per-event path):
 * ob_room() makes room for n bytes (n <= OUTBUF_SIZE) and returns where to
 * write; the put_* helpers write there and return the new end; ob_done()
 * takes the end back. No bounds check per field.
 */
static inline char *ob_room(struct outbuf *ob, size_t n)
{
	if (sizeof ob->data - ob->len < n)
		ob_flush(ob);
	return ob->data + ob->len;
}
static inline void ob_done(struct outbuf *ob, const char *end)
{
	ob->len = (size_t)(end - ob->data);
}
static inline char *put_mem(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}
#define put_lit(p, s) put_mem((p), (s), sizeof(s) - 1)
static inline char *put_str(char *p, const char *s)
{
	return put_mem(p, s, strlen(s));
}
/* A name slot (names.h): its length, from 16 bytes of room at p. */
static inline char *put_name(char *p, const struct name_slot *name)
{
	memcpy(p, name, sizeof *name);
	return p + name->len;
}
static inline char *put_u64(char *p, uint64_t v)
{
	return p + fmt_uint(p, v);
}
/* An address as tcpfsm_addr_format() writes it (TCPFSM_ADDRSTRLEN bytes of
 * room). */
static inline char *put_addr(char *p, const struct tcpfsm_addr *a)
{
	return p + tcpfsm_addr_format(a, p);
}
/* As ob_seconds (at most 28 bytes, but needs 32 bytes of room at p). */
char *put_seconds(struct outbuf *ob, char *p, int64_t us);
static inline void ob_putc(struct outbuf *ob, char c)
{
	if (ob->len == sizeof ob->data)
		ob_flush(ob);
	ob->data[ob->len++] = c;
}
void ob_uint(struct outbuf *ob, uint64_t v);
/* An address as tcpfsm_addr_format() writes it, straight into the buffer. */
void ob_addr(struct outbuf *ob, const struct tcpfsm_addr *addr);
/* v right-aligned (width > 0) or left-aligned (width < 0), space padded. */
void ob_pad(struct outbuf *ob, const char *s, int width);
/* Microseconds as seconds with six decimals: "1700000000.123456". */
void ob_seconds(struct outbuf *ob, int64_t us);
/* A duration in seconds with one decimal: "3.0" (negative as 0). */
void ob_tenths(struct outbuf *ob, int64_t us);
/* Microseconds as a UTC time of day: "19:31:06.123456". */
void ob_clock(struct outbuf *ob, int64_t us);

enum output_format { FORMAT_TEXT = 0, FORMAT_JSON, FORMAT_ZEEK };

/* What the command line narrows an output to (--state, --host, --conn):
 * connection events that do not match are not written. Offline the events
 * are already few per connection; a test per event costs nothing beside
 * its formatting. */
struct output_filter {
	int state; /* --state: an enum tcpfsm_state the event involves; -1 */
	int host;  /* --host: host_addr is either endpoint's address */
	int host_port; /* ... and port, when the address gave one */
	struct tcpfsm_addr host_addr;
	uint64_t conn; /* --conn N: that connection only; 0: any */
};

/* 1 if f lets ev through. */
int output_filter_match(const struct output_filter *f,
			const struct tcpfsm_event *ev);

struct output_config;

/* One destination: a format, a sink, and the events it wants. */
struct output {
	enum output_format format;
	int color;	 /* ANSI colours: text on a terminal only */
	unsigned events; /* EVENTS_* (config.h) it receives */
	int sink;	 /* enum sink_type (config.h) */
	char *path;	 /* SINK_FILE: reopened on SIGHUP */
	int facility;	 /* SINK_SYSLOG */
	int zeek_open;	 /* FORMAT_ZEEK: the log's header is written */
	int filtered;	 /* filter applies */
	struct output_filter filter;
	struct outbuf ob; /* SINK_SYSLOG: one message at a time */
};

/* Opens the sink oc describes; color: -1 auto, 0 never, 1 always. Returns 0,
 * or -1 with a message in err. */
int output_open(struct output *o, const struct output_config *oc, int color,
		char *err, size_t errlen);
/* Writes what is buffered and reopens a file (after logrotate moved it). */
int output_reopen(struct output *o, char *err, size_t errlen);
/* Flushes and closes. */
int output_close(struct output *o);

/* Passes ev to o if o wants events of its type (sink.c). */
void output_deliver(struct output *o, const struct tcpfsm_event *ev);
void output_deliver_stats(struct output *o, const struct tcpfsm_stats *st,
			  int64_t ts);

void output_event(struct output *o, const struct tcpfsm_event *ev);
/* Final (or periodic) counters, as of time ts. */
void output_stats(struct output *o, const struct tcpfsm_stats *st, int64_t ts);

/* The text and JSON writers (text.c, json.c). */
void text_event(struct output *o, const struct tcpfsm_event *ev);
void text_stats(struct output *o, const struct tcpfsm_stats *st, int64_t ts);
void json_event(struct output *o, const struct tcpfsm_event *ev);
void json_stats(struct output *o, const struct tcpfsm_stats *st, int64_t ts);
/* Snapshot rows: an open connection, a listener proven by the traffic. */
void json_snapshot_conn(struct output *o, const struct tcpfsm_conn *c,
			int64_t now);
void json_snapshot_listener(struct output *o, const struct tcpfsm_listener *l,
			    int64_t now);

/* Zeek's conn.log (zeek_log.c): a row for each TCPFSM_EV_END, under the
 * header the first event writes; zeek_log_close ends the log of each of the
 * n outputs in FORMAT_ZEEK with #close, as of time ts. */
void zeek_log_event(struct output *o, const struct tcpfsm_event *ev);
/* Writes Zeek's uid for the record into buf (all its ZEEK_UIDLEN bytes),
 * NUL terminated, and returns its length: "C" and base 62 of a hash of the
 * addresses, ports and first packet, so that the same capture gives the
 * same uids. */
#define ZEEK_UIDLEN 24
size_t zeek_uid(char *buf, const struct tcpfsm_conn *c,
		const struct tcpfsm_conn_record *r);
void zeek_log_close(struct output *out, size_t n, int64_t ts);

/* A netstat-like table of the connections tracked now (snapshot.c). */
void snapshot_write(struct output *o, const struct tcpfsm *t, int64_t now);

#endif
