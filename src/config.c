/*
 * config.c - the YAML configuration file into struct config.
 *
 * The file is read whole (it is small: at most CONFIG_MAX_BYTES) and walked
 * with libyaml's event API, so no document tree is built and every event is
 * looked at once. The schema is a set of tables, one per mapping: a key's
 * name, the kind of value it takes, where in the struct the value goes, and
 * its valid range. One function walks a mapping against a table; another
 * reads a value of each kind. The walk stops at the first error, so the
 * schema's fixed depth bounds the recursion whatever the input's nesting.
 *
 * Every message is "FILE:LINE:COLUMN: what is wrong" (libyaml counts lines
 * and columns from 0; people count from 1). Values quoted back in messages
 * are cut short and stripped of control characters.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <yaml.h>

#include "config.h"

/* A configuration file larger than this is refused before it is parsed:
 * it bounds the memory hostile input can make libyaml use. */
#define CONFIG_MAX_BYTES ((size_t)1024 * 1024)

#define SECONDS(s) ((int64_t)(s)*1000000)
/* Durations beyond a year are surely mistakes, and keeping them small keeps
 * "now + timeout" far from overflowing anywhere in the tracker. */
#define MAX_DURATION SECONDS(365 * 86400)
/* libpcap takes the buffer size as an int. */
#define MAX_BUFFER_SIZE INT32_MAX
#define MAX_RATE_LIMIT	1000000

/* Enumerated values are stored through memcpy as an int. */
_Static_assert(sizeof(enum sink_type) == sizeof(int), "enum size");
_Static_assert(sizeof(enum sink_format) == sizeof(int), "enum size");

/* ------------------------------------------------------------------ */
/* The schema                                                          */

enum kind {
	K_STRING,   /* char *; null leaves it unset (NULL) */
	K_PATH,	    /* char *; a value is required */
	K_BOOL,	    /* int */
	K_UINT32,   /* uint32_t, min..max */
	K_DURATION, /* int64_t µs, min..max */
	K_SIZE,	    /* uint64_t bytes, min..max */
	K_ENUM,	    /* int, one of choices */
	K_EVENTS,   /* unsigned EVENTS_* mask, from a list of names */
	K_MAP,	    /* a nested mapping described by sub */
	K_OUTPUTS,  /* the list of outputs */
};

struct choice {
	const char *name;
	int value;
};

struct section;

struct field {
	const char *name;
	enum kind kind;
	size_t off; /* in the struct the mapping fills */
	int64_t min, max;
	const struct section *sub;    /* K_MAP */
	const struct choice *choices; /* K_ENUM, NULL-terminated */
};

struct ctx;

struct section {
	const struct field *fields;
	size_t n;
	/* Checks keys that depend on each other once the mapping is read;
	 * at[i] is where fields[i] was given (seen bit i). */
	int (*check)(struct ctx *c, void *base, const char *where,
		     unsigned seen, const yaml_mark_t *at, yaml_mark_t start);
};

#define N(a)	    (sizeof(a) / sizeof((a)[0]))
#define CFG(member) offsetof(struct config, member)
#define STR(key, member)                                                       \
	{                                                                      \
		key, K_STRING, CFG(member), 0, 0, NULL, NULL                   \
	}
#define BOOL(key, member)                                                      \
	{                                                                      \
		key, K_BOOL, CFG(member), 0, 1, NULL, NULL                     \
	}
#define DUR(key, member, lo)                                                   \
	{                                                                      \
		key, K_DURATION, CFG(member), lo, MAX_DURATION, NULL, NULL     \
	}
/* No parentheses round array: it ends up in offsetof()'s member designator,
 * which takes none. */
/* NOLINTNEXTLINE(bugprone-macro-parentheses) */
#define STATE_DUR(key, array, state) DUR(key, array[state], 0)
#define MAP(key, sec)                                                          \
	{                                                                      \
		key, K_MAP, 0, 0, 0, &(sec), NULL                              \
	}

/* check_capture() needs their marks */
enum { CF_INTERFACE, CF_FILE, CF_FILTER };
static const struct field capture_fields[] = {
	[CF_INTERFACE] = STR("interface", capture.interface),
	[CF_FILE] = STR("file", capture.file),
	[CF_FILTER] = STR("filter", capture.filter),
	{"snaplen", K_UINT32, CFG(capture.snaplen), 64, 262144, NULL, NULL},
	BOOL("promiscuous", capture.promiscuous),
	{"buffer_size", K_SIZE, CFG(capture.buffer_size), 1024, MAX_BUFFER_SIZE,
	 NULL, NULL},
};

static const struct field host_timer_fields[] = {
	STATE_DUR("syn_sent", tracker.host_timeout, TCPFSM_SYN_SENT),
	STATE_DUR("syn_received", tracker.host_timeout, TCPFSM_SYN_RECEIVED),
	STATE_DUR("fin_wait_1", tracker.host_timeout, TCPFSM_FIN_WAIT_1),
	STATE_DUR("fin_wait_2", tracker.host_timeout, TCPFSM_FIN_WAIT_2),
	STATE_DUR("closing", tracker.host_timeout, TCPFSM_CLOSING),
	STATE_DUR("time_wait", tracker.host_timeout, TCPFSM_TIME_WAIT),
	STATE_DUR("last_ack", tracker.host_timeout, TCPFSM_LAST_ACK),
	/* A stalled connection's own end (stall.c): tcp_retries2 and
	 * tcp_keepalive_probes. */
	DUR("unacked_data", tracker.give_up_unacked, 0),
	{"keepalive_probes", K_UINT32, CFG(tracker.give_up_keepalives), 0, 255,
	 NULL, NULL},
};

static const struct field threshold_fields[] = {
	STATE_DUR("syn_sent", tracker.alert_after, TCPFSM_SYN_SENT),
	STATE_DUR("syn_received", tracker.alert_after, TCPFSM_SYN_RECEIVED),
	STATE_DUR("fin_wait_1", tracker.alert_after, TCPFSM_FIN_WAIT_1),
	STATE_DUR("fin_wait_2", tracker.alert_after, TCPFSM_FIN_WAIT_2),
	STATE_DUR("closing", tracker.alert_after, TCPFSM_CLOSING),
	STATE_DUR("close_wait", tracker.alert_after, TCPFSM_CLOSE_WAIT),
	STATE_DUR("last_ack", tracker.alert_after, TCPFSM_LAST_ACK),
};

/* Stalls of established connections (stall.c). Counts above 255 could
 * never be reached: the counters saturate there. */
static const struct field stall_fields[] = {
	{"retransmissions", K_UINT32, CFG(tracker.stall_retransmissions), 0,
	 255, NULL, NULL},
	DUR("unacked_data", tracker.stall_unacked, 0),
	DUR("zero_window", tracker.stall_zero_window, 0),
	{"keepalives", K_UINT32, CFG(tracker.stall_keepalives), 0, 254, NULL,
	 NULL},
};

static const struct section stalls = {stall_fields, N(stall_fields), NULL};

static const struct section host_timers = {host_timer_fields,
					   N(host_timer_fields), NULL};
static const struct section thresholds = {threshold_fields, N(threshold_fields),
					  NULL};

static const struct choice checksum_modes[] = {
	{"verify", TCPFSM_CHECKSUMS_VERIFY},
	{"ignore", TCPFSM_CHECKSUMS_IGNORE},
	{NULL, 0}};

static const struct field tracking_fields[] = {
	{"max_connections", K_UINT32, CFG(tracker.max_connections), 1,
	 INT32_MAX, NULL, NULL},
	DUR("idle_timeout", tracker.idle_timeout, 0),
	/* 0 would mean "no linger timer": closed records would then stay
	 * until the idle timeout, the opposite of what 0 suggests. */
	DUR("closed_linger", tracker.closed_linger, 1),
	BOOL("midstream", tracker.midstream),
	{"checksums", K_ENUM, CFG(tracker.checksums), 0, 0, NULL,
	 checksum_modes},
	MAP("host_timers", host_timers),
};

static const struct field alerts_fields[] = {
	MAP("thresholds", thresholds),
	MAP("stalls", stalls),
	DUR("aggregate_window", tracker.aggregate_window, 0),
	{"rate_limit", K_UINT32, CFG(tracker.alert_rate), 0, MAX_RATE_LIMIT,
	 NULL, NULL},
};

static const struct field daemon_fields[] = {
	STR("pidfile", daemon.pidfile),
	STR("user", daemon.user),
	STR("group", daemon.group),
	BOOL("allow_root", daemon.allow_root),
};

static const struct field metrics_fields[] = {
	STR("textfile", metrics.textfile),
	DUR("interval", metrics.interval, 1),
};

static const struct field stats_fields[] = {
	DUR("interval", stats_interval, 0),
};

static const struct choice sink_types[] = {{"stdout", SINK_STDOUT},
					   {"file", SINK_FILE},
					   {"syslog", SINK_SYSLOG},
					   {NULL, 0}};
static const struct choice sink_formats[] = {{"text", SINK_TEXT},
					     {"json", SINK_JSON},
					     {"zeek", SINK_ZEEK},
					     {NULL, 0}};
static const struct choice facilities[] = {{"daemon", LOG_DAEMON},
					   {"user", LOG_USER},
					   {"local0", LOG_LOCAL0},
					   {"local1", LOG_LOCAL1},
					   {"local2", LOG_LOCAL2},
					   {"local3", LOG_LOCAL3},
					   {"local4", LOG_LOCAL4},
					   {"local5", LOG_LOCAL5},
					   {"local6", LOG_LOCAL6},
					   {"local7", LOG_LOCAL7},
					   {NULL, 0}};
static const struct choice event_names[] = {
	{"transition", EVENTS_TRANSITION}, {"alert", EVENTS_ALERT},
	{"resolved", EVENTS_RESOLVED},	   {"conn", EVENTS_CONN},
	{"stats", EVENTS_STATS},	   {NULL, 0}};

#define OUT(member) offsetof(struct output_config, member)
enum { OF_TYPE, OF_FORMAT, OF_PATH, OF_FACILITY, OF_EVENTS };
static const struct field output_fields[] = {
	[OF_TYPE] = {"type", K_ENUM, OUT(type), 0, 0, NULL, sink_types},
	[OF_FORMAT] = {"format", K_ENUM, OUT(format), 0, 0, NULL, sink_formats},
	[OF_PATH] = {"path", K_PATH, OUT(path), 0, 0, NULL, NULL},
	[OF_FACILITY] = {"facility", K_ENUM, OUT(syslog_facility), 0, 0, NULL,
			 facilities},
	[OF_EVENTS] = {"events", K_EVENTS, OUT(events), 0, 0, NULL, NULL},
};

static int check_capture(struct ctx *c, void *base, const char *where,
			 unsigned seen, const yaml_mark_t *at,
			 yaml_mark_t start);
static int check_output(struct ctx *c, void *base, const char *where,
			unsigned seen, const yaml_mark_t *at,
			yaml_mark_t start);

static const struct section capture = {capture_fields, N(capture_fields),
				       check_capture};
static const struct section tracking = {tracking_fields, N(tracking_fields),
					NULL};
static const struct section alerts = {alerts_fields, N(alerts_fields), NULL};
static const struct section daemon_sec = {daemon_fields, N(daemon_fields),
					  NULL};
static const struct section metrics = {metrics_fields, N(metrics_fields), NULL};
static const struct section stats = {stats_fields, N(stats_fields), NULL};
static const struct section output = {output_fields, N(output_fields),
				      check_output};

static const struct field root_fields[] = {
	MAP("capture", capture),   MAP("tracking", tracking),
	MAP("alerts", alerts),	   {"outputs", K_OUTPUTS, 0, 0, 0, NULL, NULL},
	MAP("daemon", daemon_sec), MAP("metrics", metrics),
	MAP("stats", stats),
};
static const struct section root = {root_fields, N(root_fields), NULL};

#define MAX_FIELDS 16 /* the most keys one mapping has; see seen masks */

/* ------------------------------------------------------------------ */
/* Defaults                                                            */

static void output_default(struct output_config *o)
{
	memset(o, 0, sizeof *o);
	o->type = SINK_STDOUT;
	o->format = SINK_TEXT;
	o->path = NULL;
	o->syslog_facility = LOG_DAEMON;
	o->events = EVENTS_ALL;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->capture.snaplen = 256;
	cfg->capture.promiscuous = 1;
	cfg->capture.buffer_size = (uint64_t)64 << 20;
	tcpfsm_options_default(&cfg->tracker);
	output_default(&cfg->outputs[0]);
	cfg->n_outputs = 1;
	cfg->metrics.interval = SECONDS(15);
	cfg->stats_interval = SECONDS(60);
}

void config_free(struct config *cfg)
{
	free(cfg->path);
	free(cfg->capture.interface);
	free(cfg->capture.file);
	free(cfg->capture.filter);
	for (size_t i = 0; i < CONFIG_MAX_OUTPUTS; i++)
		free(cfg->outputs[i].path);
	free(cfg->daemon.pidfile);
	free(cfg->daemon.user);
	free(cfg->daemon.group);
	free(cfg->metrics.textfile);
	memset(cfg, 0, sizeof *cfg);
}

/* ------------------------------------------------------------------ */
/* Numbers with units                                                  */

enum num_status {
	NUM_OK,
	NUM_MALFORMED,
	NUM_BAD_UNIT,
	NUM_TOO_BIG,
	NUM_NEGATIVE,
	NUM_TOO_PRECISE
};

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Reads an unsigned decimal number; *end is set past it. */
static enum num_status read_uint(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	int big = 0;

	if (!is_digit(*p))
		return NUM_MALFORMED;
	for (; is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			big = 1;
		else
			v = v * 10 + d;
	}
	*end = p;
	*out = v;
	return big ? NUM_TOO_BIG : NUM_OK;
}

static enum num_status size_value(const char *text, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{"", 1},
		{"B", 1},
		{"kB", 1000},
		{"MB", 1000000},
		{"GB", 1000000000},
		{"TB", 1000000000000ULL},
		{"KiB", (uint64_t)1 << 10},
		{"MiB", (uint64_t)1 << 20},
		{"GiB", (uint64_t)1 << 30},
		{"TiB", (uint64_t)1 << 40},
	};
	const char *p = text, *unit;
	uint64_t v;
	int neg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	enum num_status st = read_uint(p, &unit, &v);
	if (st == NUM_MALFORMED)
		return st;
	for (size_t i = 0; i < N(units); i++) {
		if (strcmp(unit, units[i].unit) != 0)
			continue;
		if (neg)
			return NUM_NEGATIVE;
		if (st == NUM_TOO_BIG ||
		    v > (uint64_t)INT64_MAX / units[i].mult)
			return NUM_TOO_BIG;
		*out = v * units[i].mult;
		return NUM_OK;
	}
	return is_alpha(*unit) ? NUM_BAD_UNIT : NUM_MALFORMED;
}

int64_t config_parse_size(const char *text)
{
	uint64_t v;
	return text && size_value(text, &v) == NUM_OK ? (int64_t)v : -1;
}

/* Checks the shape of a duration before tcpfsm_parse_duration() reads it,
 * so that a message can say what is wrong. */
static enum num_status duration_value(const char *text, int64_t *out)
{
	static const char *const units[] = {"", "us", "ms", "s", "m", "h", "d"};
	const char *p = text, *q;
	uint64_t ignored;
	int neg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	enum num_status st = read_uint(p, &q, &ignored);
	if (st == NUM_MALFORMED)
		return st;
	if (*q == '.') {
		const char *frac = ++q;
		while (is_digit(*q))
			q++;
		if (q == frac)
			return NUM_MALFORMED;
		/* Finer than a microsecond means nothing here, and more digits
		 * could overflow tcpfsm_parse_duration()'s arithmetic. */
		if (q - frac > 6)
			return NUM_TOO_PRECISE;
	}
	for (size_t i = 0; i < N(units); i++) {
		if (strcmp(q, units[i]) != 0)
			continue;
		if (neg)
			return NUM_NEGATIVE;
		if (st == NUM_TOO_BIG)
			return st;
		int64_t v = tcpfsm_parse_duration(p);
		if (v < 0)
			return NUM_TOO_BIG;
		*out = v;
		return NUM_OK;
	}
	return is_alpha(*q) ? NUM_BAD_UNIT : NUM_MALFORMED;
}

/* Writes a duration in the largest unit that shows it exactly. */
static const char *duration_text(int64_t us, char *buf, size_t size)
{
	static const struct {
		const char *unit;
		int64_t us;
	} units[] = {{"d", SECONDS(86400)}, {"h", SECONDS(3600)},
		     {"m", SECONDS(60)},    {"s", SECONDS(1)},
		     {"ms", 1000},	    {"us", 1}};
	if (us == 0) {
		snprintf(buf, size, "0");
		return buf;
	}
	for (size_t i = 0; i < N(units); i++)
		if (us % units[i].us == 0) {
			snprintf(buf, size, "%" PRId64 "%s", us / units[i].us,
				 units[i].unit);
			break;
		}
	return buf;
}

/* Writes a size in the largest binary unit that shows it exactly. */
static const char *size_text(int64_t n, char *buf, size_t size)
{
	static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};
	for (size_t i = 0; i < N(units); i++) {
		int64_t unit = (int64_t)1 << (10 * (N(units) - i));
		if (n >= unit && n % unit == 0) {
			snprintf(buf, size, "%" PRId64 "%s", n / unit,
				 units[i]);
			return buf;
		}
	}
	snprintf(buf, size, "%" PRId64 " bytes", n);
	return buf;
}

/* ------------------------------------------------------------------ */
/* The walk                                                            */

struct ctx {
	yaml_parser_t parser;
	yaml_event_t ev;
	int have_ev;
	const unsigned char *text; /* the whole file */
	size_t len;
	const char *path;
	struct config *cfg;
	char *err;
	size_t errlen;
	int failed;
};

/* Records the first error; returns -1. */
static int fail_at(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
{
	if (c->failed++)
		return -1;
	int n = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->path, m.line + 1,
			 m.column + 1);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A value quoted in a message: at most 40 characters, control characters
 * replaced, so that hostile input cannot mess up a terminal or a log. */
static const char *quote(const char *s, char *buf, size_t size)
{
	size_t n = 0, i = 0;
	const size_t max = size < 48 ? size - 5 : 40;

	for (; s[i] && n < max; i++) {
		char c = s[i];
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = '?'; /* a control character */
		buf[n++] = c;
	}
	if (s[i]) {
		/* do not end on half a UTF-8 character */
		while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0xc0)
			n--;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Line and column of a byte offset, for reader errors (which libyaml
 * reports by offset only). Columns count characters, as libyaml's do. */
static yaml_mark_t mark_of_offset(const struct ctx *c, size_t offset)
{
	yaml_mark_t m = {offset, 0, 0};
	if (offset > c->len)
		offset = c->len;
	for (size_t i = 0; i < offset; i++) {
		if (c->text[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if ((c->text[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

static int syntax_error(struct ctx *c)
{
	yaml_parser_t *p = &c->parser;
	char ctxbuf[160] = "";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return fail_at(c, p->mark, "out of memory");
	case YAML_READER_ERROR:
		return fail_at(c, mark_of_offset(c, p->problem_offset),
			       "not a valid text file: %s",
			       p->problem ? p->problem : "unreadable");
	default:
		if (p->context)
			snprintf(ctxbuf, sizeof ctxbuf,
				 " (%s at line %zu, column %zu)", p->context,
				 p->context_mark.line + 1,
				 p->context_mark.column + 1);
		return fail_at(c, p->problem_mark, "YAML syntax error: %s%s",
			       p->problem ? p->problem : "malformed", ctxbuf);
	}
}

static const char *event_desc(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_SCALAR_EVENT:
		return "a scalar";
	default:
		return "something else";
	}
}

/* Standard tags (!!str, !!int, ...) are harmless; others ask for a meaning
 * this file does not have. */
static int tag_ok(const yaml_char_t *tag)
{
	static const char std[] = "tag:yaml.org,2002:";
	return !tag || strncmp((const char *)tag, std, sizeof std - 1) == 0;
}

/* Moves to the next event. Aliases are refused: a value written once and
 * used many times is how "billion laughs" inputs explode, and nothing in
 * this file needs one. */
static int next(struct ctx *c)
{
	if (c->have_ev)
		yaml_event_delete(&c->ev);
	c->have_ev = 0;
	if (!yaml_parser_parse(&c->parser, &c->ev))
		return syntax_error(c);
	c->have_ev = 1;

	const yaml_char_t *tag = NULL;
	switch (c->ev.type) {
	case YAML_ALIAS_EVENT:
		return fail_at(c, c->ev.start_mark,
			       "aliases (*%s) are not supported: write the "
			       "value out",
			       (const char *)c->ev.data.alias.anchor);
	case YAML_SCALAR_EVENT:
		tag = c->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		tag = c->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		tag = c->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (!tag_ok(tag)) {
		char q[48];
		return fail_at(c, c->ev.start_mark, "unsupported tag '%s'",
			       quote((const char *)tag, q, sizeof q));
	}
	return 0;
}

static const char *scalar(const struct ctx *c)
{
	return (const char *)c->ev.data.scalar.value;
}

/* "a\0b" is valid YAML, but no C string. */
static int has_nul(const struct ctx *c)
{
	return c->ev.data.scalar.length != strlen(scalar(c));
}

/* An empty value, "~" or "null" written plain; "" quoted is empty too. */
static int is_null(const struct ctx *c)
{
	const char *v = scalar(c);
	if (has_nul(c))
		return 0; /* not null, and not valid anything */
	if (c->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return v[0] == '\0';
	return !v[0] || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* A key's character as distance() compares it: case and '-' against '_'
 * do not count. */
static char fold(char c)
{
	if (c == '-')
		return '_';
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

/* Levenshtein distance, with case and '-'/'_' ignored; a, b short. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			char x = fold(a[i - 1]), y = fold(b[j - 1]);
			size_t best = diag + (x != y);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = row[j];
			row[j] = best;
		}
	}
	return row[lb];
}

/* The closest of names to s, if close enough to be a likely typo and
 * closer than any other (local9 is as near local0 as local1: no guess). */
static const char *closest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	int tie = 0;

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(s, names[i]);
		size_t len = strlen(names[i]);
		size_t limit = len < 6 ? 1 : len < 9 ? 2 : 3;
		if (d > limit || d > best_d)
			continue;
		tie = d == best_d;
		best = names[i];
		best_d = d;
	}
	return tie ? NULL : best;
}

/* "a, b or c" into buf. */
static const char *list_names(const char *const *names, size_t n, char *buf,
			      size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%s",
				 i == 0	      ? ""
				 : i + 1 == n ? " or "
					      : ", ",
				 names[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return buf;
}

/* "unknown key 'x' in alerts (did you mean 'y'?)" for a key, and
 * "outputs[0].type: unknown value 'x' (expected a, b or c)" for a value. */
static int unknown_name(struct ctx *c, yaml_mark_t m, const char *what,
			const char *where, int is_key, const char *name,
			const char *const *names, size_t n)
{
	char q[48], hint[300];
	const char *guess = closest(name, names, n);

	if (guess) {
		snprintf(hint, sizeof hint, "did you mean '%s'?", guess);
	} else {
		memcpy(hint, "expected ", 10);
		list_names(names, n, hint + 9, sizeof hint - 9);
	}
	if (is_key)
		return fail_at(c, m, "unknown %s '%s'%s%s (%s)", what,
			       quote(name, q, sizeof q), where[0] ? " in " : "",
			       where, hint);
	return fail_at(c, m, "%s: unknown %s '%s' (%s)", where, what,
		       quote(name, q, sizeof q), hint);
}

/* "outputs[1]" + ".type", or "capture" + ".snaplen", into buf. */
static const char *join(const char *where, const char *key, char *buf,
			size_t size)
{
	snprintf(buf, size, "%s%s%s", where, where[0] ? "." : "", key);
	return buf;
}

static int parse_map(struct ctx *c, const struct section *sec, void *base,
		     const char *where);
static int unknown_section(struct ctx *c, const char *key);

static int choose(struct ctx *c, const char *name, const struct choice *ch,
		  const char *what, const char *where, int *out)
{
	const char *names[16];
	size_t n = 0;

	for (; ch[n].name; n++) {
		names[n] = ch[n].name;
		if (strcmp(name, ch[n].name) == 0) {
			*out = ch[n].value;
			return 0;
		}
	}
	return unknown_name(c, c->ev.start_mark, what, where, 0, name, names,
			    n);
}

static const char *expectation(const struct field *f, char *buf, size_t size)
{
	switch (f->kind) {
	case K_STRING:
	case K_PATH:
		return f->kind == K_PATH ? "a file name" : "a string";
	case K_BOOL:
		return "true or false";
	case K_UINT32:
		snprintf(buf, size,
			 "a whole number from %" PRId64 " to %" PRId64, f->min,
			 f->max);
		return buf;
	case K_DURATION:
		return "a duration such as 500ms, 3s, 2m or 1h";
	case K_SIZE:
		return "a size such as 4096, 512KiB or 64MiB";
	case K_ENUM: {
		const char *names[16];
		size_t n = 0;
		for (; f->choices[n].name; n++)
			names[n] = f->choices[n].name;
		int w = snprintf(buf, size, "one of ");
		list_names(names, n, buf + w, size - (size_t)w);
		return buf;
	}
	case K_EVENTS:
		return "a list of event types, e.g. [alert, resolved]";
	case K_MAP: {
		const char *names[MAX_FIELDS];
		for (size_t i = 0; i < f->sub->n; i++)
			names[i] = f->sub->fields[i].name;
		int w = snprintf(buf, size, "a mapping with keys such as ");
		list_names(names, f->sub->n, buf + w, size - (size_t)w);
		return buf;
	}
	case K_OUTPUTS:
		return "a list of outputs, each a mapping with a type";
	}
	return "?";
}

static int range_error(struct ctx *c, const char *what, const struct field *f,
		       const char *text, const char *why)
{
	char q[48], lo[32], hi[32];

	if (why)
		return fail_at(c, c->ev.start_mark,
			       "%s: '%s' is out of range: %s", what,
			       quote(text, q, sizeof q), why);
	if (f->kind == K_DURATION)
		return fail_at(c, c->ev.start_mark,
			       "%s: '%s' is out of range (expected %s to %s)",
			       what, quote(text, q, sizeof q),
			       duration_text(f->min, lo, sizeof lo),
			       duration_text(f->max, hi, sizeof hi));
	if (f->kind == K_SIZE)
		return fail_at(c, c->ev.start_mark,
			       "%s: '%s' is out of range (expected %s to %s)",
			       what, quote(text, q, sizeof q),
			       size_text(f->min, lo, sizeof lo),
			       size_text(f->max, hi, sizeof hi));
	return fail_at(c, c->ev.start_mark,
		       "%s: '%s' is out of range (expected %" PRId64
		       " to %" PRId64 ")",
		       what, quote(text, q, sizeof q), f->min, f->max);
}

static int set_string(struct ctx *c, char **dst, const char *v)
{
	char *s = strdup(v);
	if (!s)
		return fail_at(c, c->ev.start_mark, "out of memory");
	free(*dst);
	*dst = s;
	return 0;
}

/* The list of event types an output receives. */
static int parse_events(struct ctx *c, const char *what, unsigned *dst)
{
	yaml_mark_t start = c->ev.start_mark;
	unsigned mask = 0;

	for (;;) {
		if (next(c) < 0)
			return -1;
		if (c->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (c->ev.type != YAML_SCALAR_EVENT)
			return fail_at(
				c, c->ev.start_mark,
				"%s: expected an event type (transition, "
				"alert, resolved, conn or stats), found %s",
				what, event_desc(&c->ev));
		int bit = 0;
		if (has_nul(c))
			return fail_at(c, c->ev.start_mark,
				       "%s: an event type with a NUL character",
				       what);
		if (choose(c, scalar(c), event_names, "event type", what,
			   &bit) < 0)
			return -1;
		mask |= (unsigned)bit;
	}
	if (!mask)
		return fail_at(c, start, "%s: expected at least one event type",
			       what);
	*dst = mask;
	return 0;
}

static int parse_outputs(struct ctx *c)
{
	struct config *cfg = c->cfg;
	yaml_mark_t start = c->ev.start_mark;
	char where[32];

	cfg->n_outputs = 0; /* the file's outputs replace the default one */
	for (;;) {
		if (next(c) < 0)
			return -1;
		if (c->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		size_t i = cfg->n_outputs;
		snprintf(where, sizeof where, "outputs[%zu]", i);
		if (i == CONFIG_MAX_OUTPUTS)
			return fail_at(c, c->ev.start_mark,
				       "too many outputs (at most %d)",
				       CONFIG_MAX_OUTPUTS);
		if (c->ev.type != YAML_MAPPING_START_EVENT)
			return fail_at(c, c->ev.start_mark,
				       "%s: expected a mapping with a type "
				       "(stdout, file or syslog), found %s",
				       where, event_desc(&c->ev));
		output_default(&cfg->outputs[i]);
		cfg->outputs[i].events = 0; /* 0: not given; see check_output */
		cfg->n_outputs++; /* from now on config_free frees its path */
		if (parse_map(c, &output, &cfg->outputs[i], where) < 0)
			return -1;
	}
	if (cfg->n_outputs == 0)
		return fail_at(c, start,
			       "outputs: expected at least one output");
	return 0;
}

/* Reads the value of f (the current event) into base. */
static int parse_value(struct ctx *c, const struct field *f, void *base,
		       const char *where)
{
	char what[96], exp[160], q[48];
	void *dst = (char *)base + f->off;

	join(where, f->name, what, sizeof what);
	yaml_event_type_t t = c->ev.type;

	if (f->kind == K_MAP || f->kind == K_OUTPUTS || f->kind == K_EVENTS) {
		yaml_event_type_t want = f->kind == K_MAP
						 ? YAML_MAPPING_START_EVENT
						 : YAML_SEQUENCE_START_EVENT;
		if (t == want) {
			if (f->kind == K_MAP)
				return parse_map(c, f->sub, base, what);
			if (f->kind == K_OUTPUTS)
				return parse_outputs(c);
			return parse_events(c, what, dst);
		}
		/* An empty section or outputs: keep the defaults. */
		if (t == YAML_SCALAR_EVENT && is_null(c) && f->kind != K_EVENTS)
			return 0;
		if (t == YAML_SCALAR_EVENT && is_null(c))
			return fail_at(c, c->ev.start_mark,
				       "%s: missing value (expected %s)", what,
				       expectation(f, exp, sizeof exp));
		if (t == YAML_SCALAR_EVENT)
			return fail_at(c, c->ev.start_mark,
				       "%s: expected %s, found '%s'", what,
				       expectation(f, exp, sizeof exp),
				       quote(scalar(c), q, sizeof q));
		return fail_at(c, c->ev.start_mark, "%s: expected %s, found %s",
			       what, expectation(f, exp, sizeof exp),
			       event_desc(&c->ev));
	}

	if (t != YAML_SCALAR_EVENT)
		return fail_at(c, c->ev.start_mark, "%s: expected %s, found %s",
			       what, expectation(f, exp, sizeof exp),
			       event_desc(&c->ev));
	if (is_null(c)) {
		if (f->kind == K_STRING) {
			free(*(char **)dst);
			*(char **)dst = NULL;
			return 0;
		}
		return fail_at(c, c->ev.start_mark,
			       "%s: missing value (expected %s)", what,
			       expectation(f, exp, sizeof exp));
	}
	const char *v = scalar(c);
	if (has_nul(c))
		return fail_at(c, c->ev.start_mark,
			       "%s: expected %s, found a value with a NUL "
			       "character",
			       what, expectation(f, exp, sizeof exp));

	switch (f->kind) {
	case K_STRING:
	case K_PATH:
		return set_string(c, dst, v);
	case K_BOOL: {
		static const char *const yes[] = {"true", "True", "TRUE",
						  "yes",  "Yes",  "YES",
						  "on",	  "On",	  "ON"};
		static const char *const no[] = {"false", "False", "FALSE",
						 "no",	  "No",	   "NO",
						 "off",	  "Off",   "OFF"};
		for (size_t i = 0; i < N(yes); i++) {
			if (strcmp(v, yes[i]) == 0) {
				*(int *)dst = 1;
				return 0;
			}
			if (strcmp(v, no[i]) == 0) {
				*(int *)dst = 0;
				return 0;
			}
		}
		return fail_at(c, c->ev.start_mark,
			       "%s: expected true or false, found '%s'", what,
			       quote(v, q, sizeof q));
	}
	case K_UINT32: {
		uint64_t n;
		const char *end;
		const char *digits = v[0] == '-' ? v + 1 : v;
		enum num_status st = read_uint(digits, &end, &n);
		if (st == NUM_MALFORMED || *end)
			return fail_at(c, c->ev.start_mark,
				       "%s: expected %s, found '%s'", what,
				       expectation(f, exp, sizeof exp),
				       quote(v, q, sizeof q));
		if (st == NUM_TOO_BIG || v[0] == '-' || n < (uint64_t)f->min ||
		    n > (uint64_t)f->max)
			return range_error(c, what, f, v, NULL);
		*(uint32_t *)dst = (uint32_t)n;
		return 0;
	}
	case K_DURATION: {
		int64_t us = 0;
		switch (duration_value(v, &us)) {
		case NUM_OK:
			break;
		case NUM_BAD_UNIT:
			return fail_at(c, c->ev.start_mark,
				       "%s: unknown unit in '%s' (expected a "
				       "number followed by us, ms, s, m, h or "
				       "d)",
				       what, quote(v, q, sizeof q));
		case NUM_NEGATIVE:
			return range_error(c, what, f, v,
					   "durations cannot be negative");
		case NUM_TOO_PRECISE:
			return fail_at(c, c->ev.start_mark,
				       "%s: '%s' has too many decimals (at "
				       "most 6)",
				       what, quote(v, q, sizeof q));
		case NUM_TOO_BIG:
			return range_error(c, what, f, v, NULL);
		case NUM_MALFORMED:
		default:
			return fail_at(c, c->ev.start_mark,
				       "%s: expected %s, found '%s'", what,
				       expectation(f, exp, sizeof exp),
				       quote(v, q, sizeof q));
		}
		if (us < f->min && f->min == 1)
			return range_error(c, what, f, v,
					   "it must be greater than 0");
		if (us < f->min || us > f->max)
			return range_error(c, what, f, v, NULL);
		*(int64_t *)dst = us;
		return 0;
	}
	case K_SIZE: {
		uint64_t n = 0;
		switch (size_value(v, &n)) {
		case NUM_OK:
			break;
		case NUM_BAD_UNIT:
			return fail_at(
				c, c->ev.start_mark,
				"%s: unknown unit in '%s' (expected a "
				"number of bytes, or followed by kB, MB, "
				"GB, KiB, MiB or GiB)",
				what, quote(v, q, sizeof q));
		case NUM_NEGATIVE:
			return range_error(c, what, f, v,
					   "sizes cannot be negative");
		case NUM_TOO_BIG:
			n = UINT64_MAX;
			break;
		default:
			return fail_at(c, c->ev.start_mark,
				       "%s: expected %s, found '%s'", what,
				       expectation(f, exp, sizeof exp),
				       quote(v, q, sizeof q));
		}
		if (n < (uint64_t)f->min || n > (uint64_t)f->max)
			return range_error(c, what, f, v, NULL);
		*(uint64_t *)dst = n;
		return 0;
	}
	case K_ENUM: {
		int val;
		if (choose(c, v, f->choices, "value", what, &val) < 0)
			return -1;
		memcpy(dst, &val, sizeof val);
		return 0;
	}
	default:
		return -1; /* not reached */
	}
}

/* Walks the mapping starting at the current event against sec. */
static int parse_map(struct ctx *c, const struct section *sec, void *base,
		     const char *where)
{
	yaml_mark_t start = c->ev.start_mark, at[MAX_FIELDS];
	const char *names[MAX_FIELDS];
	unsigned seen = 0;
	char q[48];

	assert(sec->n <= MAX_FIELDS);
	for (size_t i = 0; i < sec->n; i++)
		names[i] = sec->fields[i].name;
	for (;;) {
		if (next(c) < 0)
			return -1;
		if (c->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (c->ev.type != YAML_SCALAR_EVENT)
			return fail_at(c, c->ev.start_mark,
				       "expected a key name%s%s, found %s",
				       where[0] ? " in " : "", where,
				       event_desc(&c->ev));
		const char *key = scalar(c);
		size_t i = 0;
		if (has_nul(c))
			return fail_at(c, c->ev.start_mark,
				       "a key with a NUL character%s%s",
				       where[0] ? " in " : "", where);
		while (i < sec->n && strcmp(key, names[i]) != 0)
			i++;
		if (i == sec->n) {
			if (sec == &root)
				return unknown_section(c, key);
			return unknown_name(c, c->ev.start_mark, "key", where,
					    1, key, names, sec->n);
		}
		if (seen & (1u << i))
			return fail_at(c, c->ev.start_mark,
				       "duplicate %s '%s'%s%s (first given at "
				       "line %zu, column %zu)",
				       sec == &root ? "section" : "key",
				       quote(key, q, sizeof q),
				       where[0] ? " in " : "", where,
				       at[i].line + 1, at[i].column + 1);
		seen |= 1u << i;
		at[i] = c->ev.start_mark;
		if (next(c) < 0 ||
		    parse_value(c, &sec->fields[i], base, where) < 0)
			return -1;
	}
	return sec->check ? sec->check(c, base, where, seen, at, start) : 0;
}

/* At the top level a key of a section (snaplen) is a likely slip too. */
static int unknown_section(struct ctx *c, const char *key)
{
	const char *names[N(root_fields)];

	for (size_t i = 0; i < N(root_fields); i++)
		names[i] = root_fields[i].name;
	if (!closest(key, names, N(root_fields)))
		for (size_t i = 0; i < N(root_fields); i++) {
			const struct section *sec = root_fields[i].sub;
			for (size_t j = 0; sec && j < sec->n; j++) {
				if (strcmp(key, sec->fields[j].name) != 0)
					continue;
				char q[48];
				return fail_at(c, c->ev.start_mark,
					       "unknown section '%s' (did you "
					       "mean '%s.%s'?)",
					       quote(key, q, sizeof q),
					       names[i], key);
			}
		}
	return unknown_name(c, c->ev.start_mark, "section", "", 1, key, names,
			    N(root_fields));
}

static int check_capture(struct ctx *c, void *base, const char *where,
			 unsigned seen, const yaml_mark_t *at,
			 yaml_mark_t start)
{
	struct config *cfg = base;
	(void)where, (void)start;

	/* Kept for the checks that need libpcap (main.c). */
	if (seen & (1u << CF_INTERFACE))
		cfg->capture.interface_at = (struct config_mark){
			(unsigned)at[CF_INTERFACE].line + 1,
			(unsigned)at[CF_INTERFACE].column + 1};
	if (seen & (1u << CF_FILTER))
		cfg->capture.filter_at = (struct config_mark){
			(unsigned)at[CF_FILTER].line + 1,
			(unsigned)at[CF_FILTER].column + 1};
	if (cfg->capture.interface && cfg->capture.file) {
		/* both given in this mapping; report the later one */
		int later = at[CF_FILE].index > at[CF_INTERFACE].index
				    ? CF_FILE
				    : CF_INTERFACE;
		return fail_at(c, at[later],
			       "capture: interface and file exclude each other "
			       "(give one)");
	}
	return 0;
}

static int check_output(struct ctx *c, void *base, const char *where,
			unsigned seen, const yaml_mark_t *at, yaml_mark_t start)
{
	struct output_config *o = base;

	if (!(seen & (1u << OF_TYPE)))
		return fail_at(
			c, start,
			"%s: missing key 'type' (stdout, file or syslog)",
			where);
	if (o->type == SINK_FILE && !o->path)
		return fail_at(c, start, "%s: a file output needs a 'path'",
			       where);
	if (o->type != SINK_FILE && (seen & (1u << OF_PATH)))
		return fail_at(c, at[OF_PATH],
			       "%s: 'path' is only for file outputs", where);
	if (o->type != SINK_SYSLOG && (seen & (1u << OF_FACILITY)))
		return fail_at(c, at[OF_FACILITY],
			       "%s: 'facility' is only for syslog outputs",
			       where);
	if (o->type == SINK_SYSLOG && o->format == SINK_ZEEK)
		return fail_at(
			c, at[OF_FORMAT],
			"%s: format zeek writes a log file; syslog takes "
			"text or json",
			where);
	if (!(seen & (1u << OF_EVENTS)))
		o->events = o->type == SINK_SYSLOG
				    ? EVENTS_ALERT | EVENTS_RESOLVED
				    : EVENTS_ALL;
	/* Two outputs appending to one file would interleave mid-line. */
	const struct config *cfg = c->cfg;
	for (const struct output_config *p = cfg->outputs; p < o; p++)
		if (o->type == SINK_FILE && p->type == SINK_FILE &&
		    strcmp(p->path, o->path) == 0)
			return fail_at(c, at[OF_PATH],
				       "%s.path: outputs[%zu] writes to this "
				       "file already",
				       where, (size_t)(p - cfg->outputs));
	return 0;
}

/* Reads the whole file: at most CONFIG_MAX_BYTES, refused beyond. */
static unsigned char *slurp(const char *path, size_t *len, char *err,
			    size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return NULL;
	}
	unsigned char *buf = malloc(CONFIG_MAX_BYTES + 1);
	if (!buf) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	size_t n = fread(buf, 1, CONFIG_MAX_BYTES + 1, fp);
	int read_errno = ferror(fp) ? errno : 0;
	fclose(fp);
	if (read_errno) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(read_errno));
		free(buf);
		return NULL;
	}
	if (n > CONFIG_MAX_BYTES) {
		snprintf(err, errlen,
			 "%s: file too large for a configuration (more than "
			 "%zu KiB)",
			 path, CONFIG_MAX_BYTES / 1024);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int parse_document(struct ctx *c)
{
	static const char sections[] = "capture, tracking, alerts, outputs, "
				       "daemon, metrics or stats";

	if (next(c) < 0) /* STREAM-START */
		return -1;
	if (next(c) < 0)
		return -1;
	if (c->ev.type == YAML_STREAM_END_EVENT)
		return fail_at(c, c->ev.start_mark,
			       "the file is empty (expected a mapping of "
			       "sections: %s)",
			       sections);
	if (next(c) < 0) /* past DOCUMENT-START */
		return -1;
	if (c->ev.type == YAML_SCALAR_EVENT && is_null(c))
		return fail_at(c, c->ev.start_mark,
			       "the document is empty (expected a mapping of "
			       "sections: %s)",
			       sections);
	if (c->ev.type == YAML_SCALAR_EVENT) {
		char q[48];
		return fail_at(c, c->ev.start_mark,
			       "expected a mapping of sections (%s) at the top "
			       "level, found '%s'",
			       sections, quote(scalar(c), q, sizeof q));
	}
	if (c->ev.type != YAML_MAPPING_START_EVENT)
		return fail_at(c, c->ev.start_mark,
			       "expected a mapping of sections (%s) at the top "
			       "level, found %s",
			       sections, event_desc(&c->ev));
	if (parse_map(c, &root, c->cfg, "") < 0)
		return -1;
	if (next(c) < 0) /* DOCUMENT-END */
		return -1;
	if (next(c) < 0)
		return -1;
	if (c->ev.type != YAML_STREAM_END_EVENT)
		return fail_at(c, c->ev.start_mark,
			       "a second YAML document: the file must hold "
			       "one");
	return 0;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct ctx c;
	int rc = -1;

	config_defaults(cfg);
	if (!path) {
		snprintf(err, errlen, "no configuration file given");
		return -1;
	}
	memset(&c, 0, sizeof c);
	c.path = path;
	c.cfg = cfg;
	c.err = err;
	c.errlen = errlen;
	c.text = slurp(path, &c.len, err, errlen);
	if (!c.text)
		return -1;
	if (!yaml_parser_initialize(&c.parser)) {
		snprintf(err, errlen, "%s: out of memory", path);
		free((void *)c.text);
		return -1;
	}
	yaml_parser_set_input_string(&c.parser, c.text, c.len);
	rc = parse_document(&c);
	if (c.have_ev)
		yaml_event_delete(&c.ev);
	yaml_parser_delete(&c.parser);
	free((void *)c.text);
	if (rc == 0 && !(cfg->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = -1;
	}
	if (rc < 0) {
		config_free(cfg);
		config_defaults(cfg);
	}
	return rc;
}
