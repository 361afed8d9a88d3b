/*
 * buf.c - the buffered sink and the small formatters every writer uses.
 */
#include <errno.h>
#include <string.h>

#include "decimal.h"
#include "output.h"

void ob_init(struct outbuf *ob, FILE *fp)
{
	ob->fp = fp;
	ob->len = 0;
	ob->error = 0;
	ob->saved_errno = 0;
	ob->sec_len = 0;
}

int ob_flush(struct outbuf *ob)
{
	if (ob->len && !ob->error && ob->fp) {
		if (fwrite(ob->data, 1, ob->len, ob->fp) != ob->len ||
		    fflush(ob->fp) != 0) {
			ob->error = 1;
			ob->saved_errno = errno;
		}
	}
	ob->len = 0;
	return ob->error ? -1 : 0;
}

void ob_write_slow(struct outbuf *ob, const char *s, size_t n)
{
	ob_flush(ob);
	if (n > sizeof ob->data) {
		if (!ob->error && ob->fp && fwrite(s, 1, n, ob->fp) != n) {
			ob->error = 1;
			ob->saved_errno = errno;
		}
		return;
	}
	memcpy(ob->data, s, n);
	ob->len = n;
}

void ob_puts(struct outbuf *ob, const char *s)
{
	ob_write(ob, s, strlen(s));
}

size_t fmt_uint(char *dst, uint64_t v)
{
	return dec_u64(dst, v);
}

void ob_uint(struct outbuf *ob, uint64_t v)
{
	char tmp[20];
	ob_write(ob, tmp, fmt_uint(tmp, v));
}

void ob_addr(struct outbuf *ob, const struct tcpfsm_addr *addr)
{
	if (sizeof ob->data - ob->len < TCPFSM_ADDRSTRLEN)
		ob_flush(ob);
	ob->len += tcpfsm_addr_format(addr, ob->data + ob->len);
}

void ob_pad(struct outbuf *ob, const char *s, int width)
{
	size_t n = strlen(s);
	size_t w = (size_t)(width < 0 ? -width : width);
	size_t pad = n < w ? w - n : 0;

	if (width > 0)
		while (pad--)
			ob_putc(ob, ' ');
	ob_write(ob, s, n);
	if (width < 0)
		while (pad--)
			ob_putc(ob, ' ');
}

_Static_assert(sizeof(((struct outbuf *)0)->sec_text) + 6 <= 32,
	       "put_seconds() stays within its room");

/* put_seconds for a time outside the second kept, or negative: apart, so
 * that the common case saves no registers. */
__attribute__((noinline)) static char *put_new_seconds(struct outbuf *ob,
						       char *p, int64_t us)
{
	uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	uint64_t sec = mag / 1000000;
	char *start = p;

	if (us < 0)
		*p++ = '-';
	p += dec_u64(p, sec);
	*p++ = '.';
	/* Only a later second replaces the one kept: a first packet's time or
	 * a duration, written between two events' times, would only push it
	 * out. */
	if (us >= 0 && (!ob->sec_len || sec * 1000000 > ob->sec_start)) {
		ob->sec_len = (uint8_t)(p - start);
		memcpy(ob->sec_text, start, ob->sec_len);
		ob->sec_start = sec * 1000000;
	}
	dec_fixed(p, (uint32_t)(mag % 1000000), 6);
	return p + 6;
}

char *put_seconds(struct outbuf *ob, char *p, int64_t us)
{
	/* Events come in time order, so most times fall in the second last
	 * kept: its text is copied, and the microseconds are us less its
	 * start, without a division. */
	uint64_t into = (uint64_t)us - ob->sec_start;

	if (us < 0 || !ob->sec_len || into >= 1000000)
		return put_new_seconds(ob, p, us);
	/* The whole slot: a constant-size copy (32 bytes of room). */
	memcpy(p, ob->sec_text, sizeof ob->sec_text);
	p += ob->sec_len;
	dec_fixed(p, (uint32_t)into, 6);
	return p + 6;
}

void ob_seconds(struct outbuf *ob, int64_t us)
{
	ob_done(ob, put_seconds(ob, ob_room(ob, 32), us));
}

void ob_tenths(struct outbuf *ob, int64_t us)
{
	uint64_t tenths = (uint64_t)(us < 0 ? 0 : us + 50000) / 100000;
	ob_uint(ob, tenths / 10);
	ob_putc(ob, '.');
	ob_putc(ob, (char)('0' + tenths % 10));
}

void ob_clock(struct outbuf *ob, int64_t us)
{
	int64_t day = (int64_t)86400 * 1000000;
	uint64_t t = (uint64_t)(((us % day) + day) % day);
	char text[15] = "hh:mm:ss.";

	dec_fixed(text, (uint32_t)(t / 3600000000u), 2);
	dec_fixed(text + 3, (uint32_t)(t / 60000000u % 60), 2);
	dec_fixed(text + 6, (uint32_t)(t / 1000000u % 60), 2);
	dec_fixed(text + 9, (uint32_t)(t % 1000000u), 6);
	ob_write(ob, text, sizeof text);
}

void output_event(struct output *o, const struct tcpfsm_event *ev)
{
	if (o->format == FORMAT_JSON)
		json_event(o, ev);
	else if (o->format == FORMAT_ZEEK)
		zeek_log_event(o, ev);
	else
		text_event(o, ev);
}

void output_stats(struct output *o, const struct tcpfsm_stats *st, int64_t ts)
{
	if (o->format == FORMAT_JSON)
		json_stats(o, st, ts);
	else if (o->format == FORMAT_TEXT)
		text_stats(o, st, ts);
	/* conn.log has no place for counters. */
}
