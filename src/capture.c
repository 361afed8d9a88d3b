/*
 * capture.c - libpcap at the edge.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include "capture.h"
#include "reader.h"

/* stdio's buffer for a capture file: 256 KiB, a read(2) per ~2k packets.
 * Larger saves few system calls, and the first read fills it on the main
 * thread before anything else runs: fresh memory, dear to touch here. */
#define READ_BUFFER ((size_t)256 << 10)

/* How long a live read waits before the tracker's clock is advanced anyway. */
#define LIVE_TICK_MS 100

/* A capture of a link type the decoder does not know would be read to the
 * end for nothing: say so at once. */
static int check_linktype(struct capture *c)
{
	c->dlt = pcap_datalink(c->pcap);
	if (tcpfsm_linktype_supported(c->dlt))
		return 0;
	const char *name = pcap_datalink_val_to_name(c->dlt);
	snprintf(c->err, sizeof c->err,
		 "%s: link type %d (%s) is not supported", c->name, c->dlt,
		 name ? name : "unknown");
	capture_close(c);
	return -1;
}

int capture_open_file(struct capture *c, const char *path)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	int is_stdin = strcmp(path, "-") == 0;

	memset(c, 0, sizeof *c);
	c->name = is_stdin ? "standard input" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f) {
		snprintf(c->err, sizeof c->err, "%s: %s", path,
			 strerror(errno));
		return -1;
	}
	/* libpcap reads a file through stdio, whose buffer is a disk block:
	 * one read(2) per 4 KiB, a system call every few dozen packets.
	 * Standard input is never closed: its buffer is never freed. */
	static char stdin_buf[READ_BUFFER];
	char *buf = is_stdin ? stdin_buf : (c->stdio_buf = malloc(READ_BUFFER));
	if (buf)
		setvbuf(f, buf, _IOFBF, READ_BUFFER);
	/* One thread at a time reads the file (the reader thread, once
	 * started), so stdio need not lock it around each of libpcap's two
	 * freads per packet: with more than one thread in the process it
	 * would, at two atomic operations each. */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	c->pcap = pcap_fopen_offline_with_tstamp_precision(
		f, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!c->pcap) {
		if (!is_stdin)
			fclose(f);
		free(c->stdio_buf);
		c->stdio_buf = NULL;
		/* libpcap names the file in some messages and not others. */
		if (strncmp(err, path, strlen(path)) == 0)
			snprintf(c->err, sizeof c->err, "%s", err);
		else
			snprintf(c->err, sizeof c->err, "%s: %s", c->name, err);
		return -1;
	}
	return check_linktype(c);
}

int capture_open_live(struct capture *c, const char *iface, int snaplen,
		      int promisc, uint64_t buffer_size)
{
	char err[PCAP_ERRBUF_SIZE] = "";

	memset(c, 0, sizeof *c);
	c->name = iface;
	c->live = 1;
	c->pcap = pcap_create(iface, err);
	if (!c->pcap) {
		snprintf(c->err, sizeof c->err, "%s: %s", iface, err);
		return -1;
	}
	/* Headers are all tcpfsm reads; immediate mode delivers each packet
	 * as it comes so that time stays close to the wire's. */
	pcap_set_snaplen(c->pcap, snaplen);
	pcap_set_promisc(c->pcap, promisc);
	if (buffer_size)
		pcap_set_buffer_size(c->pcap, buffer_size > INT32_MAX
						      ? INT32_MAX
						      : (int)buffer_size);
	pcap_set_immediate_mode(c->pcap, 1);
	pcap_set_timeout(c->pcap, LIVE_TICK_MS);
	pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_MICRO);
	int rc = pcap_activate(c->pcap);
	/* Non-blocking, and our own poll(2) when the ring is empty: a read
	 * timeout alone does not make libpcap return on Linux, and the tick
	 * and signals must get a turn on a quiet link. */
	if (rc < 0 || pcap_setnonblock(c->pcap, 1, err) < 0 ||
	    (c->fd = pcap_get_selectable_fd(c->pcap)) < 0) {
		snprintf(c->err, sizeof c->err, "%s: %s", iface,
			 rc < 0 ? pcap_geterr(c->pcap)
				: "cannot wait for packets on this interface");
		pcap_close(c->pcap);
		c->pcap = NULL;
		return -1;
	}
	return check_linktype(c);
}

int capture_set_filter(struct capture *c, const char *expr)
{
	struct bpf_program prog;

	if (pcap_compile(c->pcap, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(c->pcap, &prog) < 0) {
		snprintf(c->err, sizeof c->err, "filter '%s': %s", expr,
			 pcap_geterr(c->pcap));
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

int capture_check_filter(const char *expr, int snaplen, char *err,
			 size_t errlen)
{
	/* A dead handle compiles as a live one would, with nothing opened:
	 * Ethernet, as on nearly every span port. */
	pcap_t *p = pcap_open_dead(DLT_EN10MB, snaplen);
	struct bpf_program prog;
	int rc = 0;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "%s", pcap_geterr(p));
		rc = -1;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return rc;
}

int capture_check_interface(const char *iface, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all;

	/* libpcap's list has the pseudo-devices too ("any", "nflog"), which
	 * if_nametoindex() does not know. */
	if (pcap_findalldevs(&all, perr) == 0) {
		int found = 0;
		for (pcap_if_t *d = all; d && !found; d = d->next)
			found = strcmp(d->name, iface) == 0;
		pcap_freealldevs(all);
		if (found)
			return 0;
	}
	if (if_nametoindex(iface) != 0)
		return 0;
	snprintf(err, errlen, "no such interface '%s'%s%s", iface,
		 perr[0] ? ": " : "", perr);
	return -1;
}

char *capture_interface_by_number(unsigned n, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all;
	char *name = NULL;
	unsigned i = 0;

	if (pcap_findalldevs(&all, perr) < 0) {
		snprintf(err, errlen, "%s", perr);
		return NULL;
	}
	for (pcap_if_t *d = all; d && !name; d = d->next)
		if (++i == n && !(name = strdup(d->name)))
			snprintf(err, errlen, "out of memory");
	pcap_freealldevs(all);
	if (!name && i < n)
		snprintf(err, errlen,
			 "no interface number %u (tcpfsm -D "
			 "lists %u)",
			 n, i);
	return name;
}

int capture_list_interfaces(FILE *out, char *err, size_t errlen)
{
	static const struct {
		bpf_u_int32 bit;
		const char *name;
	} flags[] = {
		{PCAP_IF_UP, "Up"},
		{PCAP_IF_RUNNING, "Running"},
		{PCAP_IF_WIRELESS, "Wireless"},
		{PCAP_IF_LOOPBACK, "Loopback"},
	};
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all;
	int i = 0;

	if (pcap_findalldevs(&all, perr) < 0) {
		snprintf(err, errlen, "%s", perr);
		return -1;
	}
	/* tcpdump's layout, word for word, so that what reads one reads the
	 * other. */
	for (pcap_if_t *d = all; d; d = d->next) {
		fprintf(out, "%d.%s", ++i, d->name);
		if (d->description)
			fprintf(out, " (%s)", d->description);
		if (d->flags) {
			int any = 0;
			fputs(" [", out);
			for (size_t k = 0; k < sizeof flags / sizeof flags[0];
			     k++)
				if (d->flags & flags[k].bit)
					fprintf(out, "%s%s", any++ ? ", " : "",
						flags[k].name);
			if (!any)
				fputs("none", out);
			bpf_u_int32 st = d->flags & PCAP_IF_CONNECTION_STATUS;
			int wireless = (d->flags & PCAP_IF_WIRELESS) != 0;
			if (st == PCAP_IF_CONNECTION_STATUS_UNKNOWN)
				fputs(wireless ? ", Association status unknown"
					       : ", Connection status unknown",
				      out);
			else if (st == PCAP_IF_CONNECTION_STATUS_CONNECTED)
				fputs(wireless ? ", Associated" : ", Connected",
				      out);
			else if (st == PCAP_IF_CONNECTION_STATUS_DISCONNECTED)
				fputs(wireless ? ", Not associated"
					       : ", Disconnected",
				      out);
			fputc(']', out);
		}
		fputc('\n', out);
	}
	pcap_freealldevs(all);
	return 0;
}

int64_t capture_wall_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A regular file is read ahead on a second thread. A pipe is not: a block
 * would wait to fill while its packets are due now. */
static int read_ahead(struct capture *c)
{
	struct stat st;
	FILE *fp = pcap_file(c->pcap);

	return !c->live && fp && fstat(fileno(fp), &st) == 0 &&
	       S_ISREG(st.st_mode);
}

static enum capture_status run_reader(struct capture *c, struct tcpfsm *t,
				      const volatile sig_atomic_t *interrupt)
{
	while (!*interrupt) {
		const struct tcpfsm_batch *b;
		switch (reader_next(c->reader, &b)) {
		case RD_BLOCK_READY:
			tcpfsm_feed_batch(t, b);
			break;
		case RD_WAITING:
			break;
		case RD_END:
			c->records = reader_records(c->reader);
			return CAPTURE_EOF;
		case RD_ERROR:
			c->records = reader_records(c->reader);
			snprintf(c->err, sizeof c->err, "%s",
				 reader_error(c->reader));
			return CAPTURE_ERROR;
		}
	}
	return CAPTURE_INTERRUPTED;
}

/* A file read on this thread (a pipe, a FIFO, a terminal: a capture
 * arriving as it is made, e.g. ssh router tcpdump -U -w -) hands each
 * packet over as soon as it is read: stdio's read(2) returns what the pipe
 * holds rather than waiting to fill its buffer, so only the packet's own
 * bytes are waited for. What this adds is noticing when the input has
 * nothing more ready, so that the events so far are written out (the
 * caller flushes on CAPTURE_IDLE), and waiting for more in poll(2), where
 * a signal is seen at once, rather than inside a read. Returns 1 when a
 * read will find bytes (or the end), 0 the first time it would wait, -1
 * after waiting a while in vain. */
static int input_ready(struct capture *c)
{
	FILE *fp = pcap_file(c->pcap);

	/* Bytes in stdio's buffer (glibc's FILE): no system call. */
	if (!fp || fp->_IO_read_ptr < fp->_IO_read_end)
		return 1;
	struct pollfd pfd = {.fd = fileno(fp), .events = POLLIN};
	if (poll(&pfd, 1, 0) > 0)
		return 1;
	if (!c->idle_told)
		return 0;
	return poll(&pfd, 1, LIVE_TICK_MS) > 0 ? 1 : -1; /* EINTR: -1 */
}

enum capture_status capture_run(struct capture *c, struct tcpfsm *t,
				const volatile sig_atomic_t *interrupt)
{
	if (!c->reader && !c->no_reader) {
		if (read_ahead(c))
			c->reader = reader_start(c->pcap, c->dlt, c->name,
						 c->limit, c->opts);
		c->no_reader = !c->reader;
	}
	if (c->reader)
		return run_reader(c, t, interrupt);

	struct pcap_pkthdr *h;
	const u_char *data;
	int64_t tick_at = c->live ? capture_wall_clock() + 1000000 : INT64_MAX;

	while (!*interrupt) {
		if (c->limit && c->records >= c->limit)
			return CAPTURE_EOF; /* -c: enough */
		if (!c->live) {
			int ready = input_ready(c);
			if (ready < 0) /* nothing yet: signals get a turn */
				continue;
			if (ready == 0) {
				c->idle_told = 1;
				return CAPTURE_IDLE;
			}
		}
		int rc = pcap_next_ex(c->pcap, &h, &data);
		if (rc == 1) {
			c->records++;
			c->idle_told = 0;
			tcpfsm_feed(t, c->dlt,
				    (int64_t)h->ts.tv_sec * 1000000 +
					    h->ts.tv_usec,
				    data, h->caplen);
			/* The clock is read (vDSO, no system call) only every
			 * few thousand packets. */
			if (c->live && (c->records & 4095) == 0 &&
			    capture_wall_clock() >= tick_at)
				return CAPTURE_TICK;
		} else if (rc == 0) { /* live: nothing buffered */
			struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
			poll(&pfd, 1, LIVE_TICK_MS); /* EINTR: a signal */
			int64_t now = capture_wall_clock();
			tcpfsm_advance(t, now);
			if (now >= tick_at)
				return CAPTURE_TICK;
		} else if (rc == PCAP_ERROR_BREAK) {
			return CAPTURE_EOF;
		} else {
			snprintf(c->err, sizeof c->err,
				 "%s: after record %llu: %s", c->name,
				 (unsigned long long)c->records,
				 pcap_geterr(c->pcap));
			return CAPTURE_ERROR;
		}
	}
	return CAPTURE_INTERRUPTED;
}

void capture_counters(struct capture *c, struct tcpfsm_stats *st)
{
	struct pcap_stat ps;

	if (!c->live || pcap_stats(c->pcap, &ps) < 0)
		return;
	const uint32_t now[3] = {ps.ps_recv, ps.ps_drop, ps.ps_ifdrop};
	for (int i = 0; i < 3; i++) {
		c->total[i] += (uint32_t)(now[i] - c->last[i]);
		c->last[i] = now[i];
	}
	st->pcap_received = c->total[0];
	st->pcap_dropped = c->total[1];
	st->pcap_if_dropped = c->total[2];
}

void capture_close(struct capture *c)
{
	reader_stop(c->reader);
	c->reader = NULL;
	if (c->pcap)
		pcap_close(c->pcap); /* closes the file, but not stdin */
	c->pcap = NULL;
	free(c->stdio_buf);
	c->stdio_buf = NULL;
}
