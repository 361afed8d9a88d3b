/*
 * zeek_log.c - connection records as Zeek's conn.log: tab-separated values
 * under Zeek's header lines, its columns in its order, "-" for what is
 * unset, and a #close line at the end. tunnel_parents holds the uid of the
 * tunnel a connection came through (a uid of tcpfsm's, as Zeek's are its
 * own), or "-".
 *
 * Only TCPFSM_EV_END events make rows; the first event of any kind opens
 * the log. The #open and #close times are the capture's own (the time of the
 * first event, the tracker's clock at the end), not the wall clock, so that
 * the same capture gives the same log byte for byte.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "output.h"

static const char header_fields[] =
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto"
	"\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig"
	"\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes"
	"\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval"
	"\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount"
	"\tcount\tset[string]\n";

/* Zeek's log time stamp: "2024-01-31-23-59-59" (UTC here). */
static void log_time(struct outbuf *ob, int64_t us)
{
	char buf[32];
	struct tm tm;
	time_t t = (time_t)(us / 1000000);

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, sizeof buf, "%Y-%m-%d-%H-%M-%S", &tm))
		strcpy(buf, "1970-01-01-00-00-00");
	ob_puts(ob, buf);
}

static void open_log(struct output *o, int64_t ts)
{
	struct outbuf *ob = &o->ob;

	if (o->zeek_open)
		return;
	o->zeek_open = 1;
	ob_puts(ob, "#separator \\x09\n"
		    "#set_separator\t,\n"
		    "#empty_field\t(empty)\n"
		    "#unset_field\t-\n"
		    "#path\tconn\n"
		    "#open\t");
	log_time(ob, ts);
	ob_putc(ob, '\n');
	ob_puts(ob, header_fields);
}

/* Site::private_address_space, which a default Zeek counts as local. */
struct prefix {
	uint8_t family, len;
	uint8_t addr[16];
};

static const struct prefix private_space[] = {
	{4, 8, {0}},
	{4, 8, {10}},
	{4, 10, {100, 64}},
	{4, 8, {127}},
	{4, 16, {169, 254}},
	{4, 12, {172, 16}},
	{4, 24, {192, 0, 0}},
	{4, 24, {192, 0, 2}},
	{4, 16, {192, 168}},
	{4, 15, {198, 18}},
	{4, 24, {198, 51, 100}},
	{4, 24, {203, 0, 113}},
	{4, 4, {240}},
	{4, 32, {255, 255, 255, 255}},
	{6, 24, {0x20, 0x02}},	     /* 6to4 of 0.0.0.0/8 */
	{6, 24, {0x20, 0x02, 0x0a}}, /* 6to4 of 10/8 */
	{6, 26, {0x20, 0x02, 0x64, 0x40}},
	{6, 24, {0x20, 0x02, 0x7f}},
	{6, 32, {0x20, 0x02, 0xa9, 0xfe}},
	{6, 28, {0x20, 0x02, 0xac, 0x10}},
	{6, 40, {0x20, 0x02, 0xc0, 0x00, 0x00}},
	{6, 40, {0x20, 0x02, 0xc0, 0x00, 0x02}},
	{6, 32, {0x20, 0x02, 0xc0, 0xa8}},
	{6, 31, {0x20, 0x02, 0xc6, 0x12}},
	{6, 40, {0x20, 0x02, 0xc6, 0x33, 0x64}},
	{6, 40, {0x20, 0x02, 0xcb, 0x00, 0x71}},
	{6, 20, {0x20, 0x02, 0xf0, 0x00}},
	{6, 48, {0x20, 0x02, 0xff, 0xff, 0xff, 0xff}},
	{6, 128, {0}},				       /* :: */
	{6, 128, {[15] = 1}},			       /* ::1 */
	{6, 48, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}}, /* 64:ff9b:1::/48 */
	{6, 64, {0x01, 0x00}},			       /* 100::/64 */
	{6, 23, {0x20, 0x01}},			       /* 2001::/23 */
	{6, 48, {0x20, 0x01, 0x00, 0x02}},	       /* 2001:2::/48 */
	{6, 32, {0x20, 0x01, 0x0d, 0xb8}},	       /* 2001:db8::/32 */
	{6, 7, {0xfc}},				       /* fc00::/7 */
	{6, 10, {0xfe, 0x80}},			       /* fe80::/10 */
};

static int in_prefix(const struct tcpfsm_addr *a, const struct prefix *p)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (a->family != p->family)
		return 0;
	if (memcmp(a->ip, p->addr, full) != 0)
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((a->ip[full] & mask) != (p->addr[full] & mask))
			return 0;
	}
	return 1;
}

static int is_local(const struct tcpfsm_addr *a)
{
	for (size_t i = 0; i < sizeof private_space / sizeof private_space[0];
	     i++)
		if (in_prefix(a, &private_space[i]))
			return 1;
	return 0;
}

/* A deterministic uid: "C" and base 62 of 96 bits hashed from the
 * connection's addresses, ports and first packet (Zeek's are random). */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static uint64_t hash_addr(uint64_t h, const struct tcpfsm_addr *a)
{
	uint64_t w[2];
	memcpy(w, a->ip, sizeof w);
	return mix(mix(mix(h, a->family << 16 | a->port), w[0]), w[1]);
}

/* Writes v in base 62 backwards, ending at end (at most 11 characters);
 * returns where it starts. */
static char *base62_before(char *end, uint64_t v)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz";
	do {
		*--end = digits[v % 62];
		v /= 62;
	} while (v);
	return end;
}

/* "C" and base 62 of h and of 32 bits of a hash of it, into buf (all its
 * ZEEK_UIDLEN bytes), NUL terminated; returns the length. Built backwards
 * from the NUL, where the digits' counts come out, then copied whole: a
 * constant-size copy, not one per part of the length found. */
static size_t uid_text(char *buf, uint64_t h)
{
	char tmp[2 * ZEEK_UIDLEN] = "";
	char *end = tmp + ZEEK_UIDLEN - 1;
	char *start = base62_before(end, mix(h, 6) & 0xffffffffu);

	start = base62_before(start, h);
	*--start = 'C';
	memcpy(buf, start, ZEEK_UIDLEN);
	return (size_t)(end - start);
}

size_t zeek_uid(char *buf, const struct tcpfsm_conn *c,
		const struct tcpfsm_conn_record *r)
{
	const struct tcpfsm_addr *orig = r->flipped ? &c->server : &c->client;
	const struct tcpfsm_addr *resp = r->flipped ? &c->client : &c->server;
	uint64_t h = hash_addr(hash_addr(mix(0, (uint64_t)r->ts), orig), resp);

	return uid_text(buf, h);
}

static void addr(struct outbuf *ob, const struct tcpfsm_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->ip, buf,
		       sizeof buf))
		strcpy(buf, "-");
	ob_puts(ob, buf);
}

static void col(struct outbuf *ob)
{
	ob_putc(ob, '\t');
}

void zeek_log_event(struct output *o, const struct tcpfsm_event *ev)
{
	struct outbuf *ob = &o->ob;
	const struct tcpfsm_conn_record *r = ev->record;

	open_log(o, ev->ts);
	if (!r)
		return; /* only events with a record make rows */

	const struct tcpfsm_addr *orig = &ev->conn->client;
	const struct tcpfsm_addr *resp = &ev->conn->server;
	if (r->flipped) {
		orig = &ev->conn->server;
		resp = &ev->conn->client;
	}
	int has_duration = r->duration > 0;

	char id[ZEEK_UIDLEN];
	size_t id_len = zeek_uid(id, ev->conn, r);
	ob_seconds(ob, r->ts);
	col(ob);
	ob_write(ob, id, id_len);
	col(ob);
	addr(ob, orig);
	col(ob);
	ob_uint(ob, orig->port);
	col(ob);
	addr(ob, resp);
	col(ob);
	ob_uint(ob, resp->port);
	ob_puts(ob, "\ttcp\t-\t");
	if (has_duration) {
		ob_seconds(ob, r->duration);
		col(ob);
		ob_uint(ob, r->orig_bytes);
		col(ob);
		ob_uint(ob, r->resp_bytes);
	} else {
		ob_puts(ob, "-\t-\t-");
	}
	col(ob);
	ob_puts(ob, r->conn_state);
	col(ob);
	ob_putc(ob, is_local(orig) ? 'T' : 'F');
	col(ob);
	ob_putc(ob, is_local(resp) ? 'T' : 'F');
	col(ob);
	ob_uint(ob, r->missed_bytes);
	col(ob);
	ob_puts(ob, r->history[0] ? r->history : "-");
	col(ob);
	ob_uint(ob, r->orig_pkts);
	col(ob);
	ob_uint(ob, r->orig_ip_bytes);
	col(ob);
	ob_uint(ob, r->resp_pkts);
	col(ob);
	ob_uint(ob, r->resp_ip_bytes);
	col(ob);
	if (r->tunnel) {
		/* The tunnel's own uid, as Zeek writes its parent's: from the
		 * tunnel's identity alone, so that every connection in it
		 * names the same one. */
		char parent[ZEEK_UIDLEN];
		uint64_t h = mix(mix(0, 0x74756e6e656cULL), r->tunnel);
		ob_write(ob, parent, uid_text(parent, h));
	} else {
		ob_putc(ob, '-');
	}
	ob_putc(ob, '\n');
}

void zeek_log_close(struct output *out, size_t n, int64_t ts)
{
	for (size_t i = 0; i < n; i++) {
		struct output *o = &out[i];
		if (o->format != FORMAT_ZEEK)
			continue;
		open_log(o, ts);
		ob_puts(&o->ob, "#close\t");
		log_time(&o->ob, ts);
		ob_putc(&o->ob, '\n');
		o->zeek_open = 0;
	}
}
