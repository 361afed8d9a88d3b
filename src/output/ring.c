/*
 * ring.c - -w where the capture cannot be read a second time: a pipe
 * (`ssh router tcpdump -U -w - | tcpfsm -r - -w stuck.pcap`) or live.
 *
 * The tracker keeps no packets and its capture loop is not this file's,
 * so the ring gets its own copy of the traffic: live, a second libpcap
 * handle on the same interface with the same filter (the kernel hands each
 * socket every packet); from standard input, a thread that reads the
 * bytes once and passes them both to the tracker's capture (through a
 * pipe that becomes its standard input) and to the ring (through a socket,
 * written with MSG_NOSIGNAL: a ring that stops early must not kill the
 * program with SIGPIPE). libpcap parses either copy, pcap or pcapng.
 *
 * The ring holds the most recent packets up to a size (16 MiB unless
 * --ring-size says otherwise), oldest dropped first. When a connection
 * alerts, its packets still in the ring are written (those of its own
 * lifetime: a 4-tuple's earlier connection is not it), and its later ones
 * as the ring's thread reads them, until a little after its end. What
 * left the ring before the alert is lost: the bound is the price of
 * running for months. The file's packets are each connection's in order,
 * but connections' are not interleaved by time: one alerting writes its
 * past after others' present.
 *
 * One mutex guards the ring and the marks: the ring's thread takes it per
 * packet, the tracker's thread per alert and per end of a marked
 * connection.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uthash.h>

#include "replay.h"
#include "ring.h"

/* How long after a marked connection's end its packets are still taken
 * (stragglers, the ring's copy lagging the tracker's), in µs. */
#define AFTER_END ((int64_t)5 * 1000000)
/* Live, the ring's handle stamps a packet on its own, a few µs off the
 * tracker's: a connection's packets are taken from a little before its
 * first (a 4-tuple is not reused that fast). */
#define BEFORE_FIRST ((int64_t)1000000)

struct rec {
	struct rec *next;
	struct replay_tuple key;
	int64_t ts;
	struct pcap_pkthdr hdr;
	uint8_t data[];
};

struct mark {
	struct replay_tuple key;
	int64_t first_ts, end_ts; /* end_ts INT64_MAX while it lives */
	UT_hash_handle hh;
};

struct pring {
	pcap_t *p;	/* NULL until the thread opens the tee's copy */
	FILE *in;	/* the tee's copy, for pcap_fopen_offline */
	int tee_out[2]; /* [0]: the capture's pipe, [1]: the ring's socket */
	int src;	/* the tee's source: the old standard input */
	char *filter;
	uint64_t limit, bytes;
	int only;
	struct output_filter filter_only;
	pthread_t thread, tee;
	int started, tee_started;
	atomic_int stop;     /* live: the thread ends at the flag */
	atomic_int tee_done; /* the tee has passed its input's end on */
	pthread_mutex_t lock;
	struct rec *head, *tail; /* oldest, newest */
	struct mark *marks;
	pcap_dumper_t *dump;
	char *path;
	uint64_t written;
	int64_t now; /* the latest packet's time */
	char err[PCAP_ERRBUF_SIZE + 128];
};

static struct pring *ring_new(const char *filter, uint64_t limit,
			      const struct output_filter *only)
{
	struct pring *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->limit = limit ? limit : RING_DEFAULT_SIZE;
	r->src = r->tee_out[0] = r->tee_out[1] = -1;
	if (filter && !(r->filter = strdup(filter))) {
		free(r);
		return NULL;
	}
	if (only) {
		r->only = 1;
		r->filter_only = *only;
		r->filter_only.state = -1;
	}
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

static int set_filter(struct pring *r, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (!r->filter)
		return 0;
	if (pcap_compile(r->p, &prog, r->filter, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(r->p, &prog) < 0) {
		snprintf(err, errlen, "-w: filter: %s", pcap_geterr(r->p));
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

struct pring *pring_open_live(const char *iface, int snaplen, int promisc,
			      const char *filter, uint64_t limit,
			      const struct output_filter *only, char *err,
			      size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct pring *r = ring_new(filter, limit, only);

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->p = pcap_create(iface, perr);
	if (!r->p) {
		snprintf(err, errlen, "-w: %s: %s", iface, perr);
		free(r->filter);
		free(r);
		return NULL;
	}
	pcap_set_snaplen(r->p, snaplen);
	pcap_set_promisc(r->p, promisc);
	pcap_set_immediate_mode(r->p, 1);
	pcap_set_timeout(r->p, 100); /* to see the stop flag */
	if (pcap_activate(r->p) < 0 || set_filter(r, err, errlen) < 0) {
		if (!*err)
			snprintf(err, errlen, "-w: %s: %s", iface,
				 pcap_geterr(r->p));
		pcap_close(r->p);
		free(r->filter);
		free(r);
		return NULL;
	}
	return r;
}

/* Writes all of buf to fd; -1 on error (EPIPE included: no signal). */
static int put_all(int fd, const char *buf, size_t n, int sock)
{
	while (n) {
		ssize_t w = sock ? send(fd, buf, n, MSG_NOSIGNAL)
				 : write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *tee_main(void *arg)
{
	struct pring *r = arg;
	char buf[65536];
	int to_ring = 1;

	for (;;) {
		ssize_t n = read(r->src, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* The ring first: its copy should not lag the tracker's. */
		if (to_ring && put_all(r->tee_out[1], buf, (size_t)n, 1) < 0)
			to_ring = 0; /* the ring has stopped: the capture goes
					on */
		if (put_all(r->tee_out[0], buf, (size_t)n, 0) < 0)
			break;
	}
	/* Done before the capture can see its end: pring_stop(), which the
	 * capture's end leads to, joins a tee that has finished reading and
	 * leaves only one still waiting on its input to the process's exit. */
	atomic_store(&r->tee_done, 1);
	close(r->tee_out[0]);
	shutdown(r->tee_out[1], SHUT_WR);
	return NULL;
}

struct pring *pring_tee_stdin(const char *filter, uint64_t limit,
			      const struct output_filter *only, char *err,
			      size_t errlen)
{
	int pipefd[2], sv[2];
	struct pring *r = ring_new(filter, limit, only);

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (pipe(pipefd) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		snprintf(err, errlen, "-w: %s", strerror(errno));
		free(r->filter);
		free(r);
		return NULL;
	}
	/* The capture reads standard input as ever; the old one is the
	 * tee's. */
	r->src = dup(STDIN_FILENO);
	dup2(pipefd[0], STDIN_FILENO);
	close(pipefd[0]);
	r->tee_out[0] = pipefd[1];
	r->tee_out[1] = sv[0];
	r->in = fdopen(sv[1], "rb");
	if (r->src < 0 || !r->in ||
	    pthread_create(&r->tee, NULL, tee_main, r) != 0) {
		snprintf(err, errlen,
			 "-w: cannot start reading standard input");
		return NULL; /* standard input is gone: the caller exits */
	}
	r->tee_started = 1;
	return r;
}

static void drop_oldest(struct pring *r)
{
	struct rec *old = r->head;

	r->head = old->next;
	if (!r->head)
		r->tail = NULL;
	r->bytes -= sizeof *old + old->hdr.caplen;
	free(old);
}

static struct mark *marked(struct pring *r, const struct replay_tuple *key,
			   int64_t ts)
{
	struct mark *m;

	HASH_FIND(hh, r->marks, key, sizeof *key, m);
	return m && ts >= m->first_ts - BEFORE_FIRST &&
			       (m->end_ts == INT64_MAX ||
				ts <= m->end_ts + AFTER_END)
		       ? m
		       : NULL;
}

/* Marks past their end and its grace are forgotten: a daemon marks
 * connections for months. */
static void forget_ended(struct pring *r)
{
	struct mark *m, *tmp;

	HASH_ITER(hh, r->marks, m, tmp)
	if (m->end_ts != INT64_MAX && r->now > m->end_ts + 2 * AFTER_END) {
		/* The analyzer misses that HASH_DEL moves the head on
		 * (uthash#128). */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		HASH_DEL(r->marks, m);
		free(m);
	}
}

static void take(struct pring *r, const struct pcap_pkthdr *hdr,
		 const uint8_t *pkt)
{
	struct segment seg;
	int64_t ts = (int64_t)hdr->ts.tv_sec * 1000000 + hdr->ts.tv_usec;
	static uint64_t seen;

	if (decode_packet_ex(pcap_datalink(r->p), pkt, hdr->caplen,
			     DECODE_NO_CHECKSUMS, &seg, NULL) != 0)
		return;
	struct tcpfsm_addr a = {.family = seg.family, .port = seg.sport};
	struct tcpfsm_addr b = {.family = seg.family, .port = seg.dport};
	memcpy(a.ip, seg.src, sizeof a.ip);
	memcpy(b.ip, seg.dst, sizeof b.ip);
	struct replay_tuple key = replay_tuple_of(&a, &b);

	pthread_mutex_lock(&r->lock);
	r->now = ts;
	if (marked(r, &key, ts)) {
		if (r->dump) {
			pcap_dump((u_char *)r->dump, hdr, pkt);
			r->written++;
		}
	} else if (sizeof(struct rec) + hdr->caplen <= r->limit) {
		struct rec *n = malloc(sizeof *n + hdr->caplen);
		if (n) {
			n->next = NULL;
			n->key = key;
			n->ts = ts;
			n->hdr = *hdr;
			memcpy(n->data, pkt, hdr->caplen);
			r->bytes += sizeof *n + hdr->caplen;
			while (r->bytes > r->limit && r->head)
				drop_oldest(r);
			if (r->tail)
				r->tail->next = n;
			else
				r->head = n;
			r->tail = n;
		}
	}
	if (++seen % 4096 == 0)
		forget_ended(r);
	pthread_mutex_unlock(&r->lock);
}

static void *ring_main(void *arg)
{
	struct pring *r = arg;
	struct pcap_pkthdr *hdr;
	const u_char *pkt;
	int rc;

	if (!r->p) { /* the tee's copy: its header comes with the data */
		char perr[PCAP_ERRBUF_SIZE] = "";
		pcap_t *p = pcap_fopen_offline_with_tstamp_precision(
			r->in, PCAP_TSTAMP_PRECISION_MICRO, perr);
		if (!p) {
			fclose(r->in);
			r->in = NULL;
			return NULL; /* the capture says what is wrong */
		}
		pthread_mutex_lock(&r->lock);
		r->p = p;
		if (set_filter(r, r->err, sizeof r->err) == 0)
			r->dump = pcap_dump_open(p, r->path);
		if (!r->dump && !r->err[0])
			snprintf(r->err, sizeof r->err, "-w %s: %s", r->path,
				 pcap_geterr(p));
		pthread_mutex_unlock(&r->lock);
	}
	/* Live, libpcap's timeout alone does not return on Linux when
	 * nothing comes: wait on its descriptor, a tenth of a second at a
	 * time, to see the stop flag. */
	int fd = r->tee_started ? -1 : pcap_get_selectable_fd(r->p);
	char nb_err[PCAP_ERRBUF_SIZE];
	if (fd >= 0 && pcap_setnonblock(r->p, 1, nb_err) < 0)
		fd = -1; /* blocking, then: the stop waits for a packet */
	while (!atomic_load(&r->stop)) {
		if (fd >= 0) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			if (poll(&pfd, 1, 100) <= 0)
				continue;
		}
		while ((rc = pcap_next_ex(r->p, &hdr, &pkt)) == 1)
			take(r, hdr, pkt);
		if (rc < 0)
			break; /* the end of the copy, or an error */
	}
	return NULL;
}

int pring_start(struct pring *r, const char *path, char *err, size_t errlen)
{
	r->path = strdup(path);
	if (!r->path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (r->p) { /* live: the file now, as the unprivileged user */
		r->dump = pcap_dump_open(r->p, path);
		if (!r->dump) {
			snprintf(err, errlen, "-w %s: %s", path,
				 pcap_geterr(r->p));
			return -1;
		}
	}
	if (pthread_create(&r->thread, NULL, ring_main, r) != 0) {
		snprintf(err, errlen, "-w: cannot start its thread");
		return -1;
	}
	r->started = 1;
	return 0;
}

void pring_event(struct pring *r, const struct tcpfsm_event *ev)
{
	const struct tcpfsm_conn *c = ev->conn;
	struct replay_tuple key;
	struct mark *m;

	if (ev->type == TCPFSM_EV_ZEEK_RECORD)
		return;
	key = replay_tuple_of(&c->client, &c->server);
	pthread_mutex_lock(&r->lock);
	HASH_FIND(hh, r->marks, &key, sizeof key, m);
	if (m && m->first_ts != c->first_ts && ev->type != TCPFSM_EV_END) {
		/* a new connection on the 4-tuple: the mark is its own */
		HASH_DEL(r->marks, m);
		free(m);
		m = NULL;
	}
	if (ev->type == TCPFSM_EV_END) {
		if (m && m->first_ts == c->first_ts)
			m->end_ts = c->last_ts;
	} else if (!m && (r->only ? output_filter_match(&r->filter_only, ev)
				  : ev->type == TCPFSM_EV_ALERT)) {
		m = calloc(1, sizeof *m);
		if (m) {
			m->key = key;
			m->first_ts = c->first_ts;
			m->end_ts = INT64_MAX;
			HASH_ADD(hh, r->marks, key, sizeof key, m);
			/* its past, from the ring, in order */
			for (struct rec *k = r->head; k && r->dump; k = k->next)
				if (replay_tuple_equal(&k->key, &key) &&
				    k->ts >= m->first_ts - BEFORE_FIRST) {
					pcap_dump((u_char *)r->dump, &k->hdr,
						  k->data);
					r->written++;
				}
		}
	}
	pthread_mutex_unlock(&r->lock);
}

int pring_stop(struct pring *r, uint64_t *packets, char *err, size_t errlen)
{
	struct mark *m, *tmp;
	int rc = 0;

	if (r->started) {
		/* A pipe's copy ends with its input (or now, if the capture
		 * stopped first: -c); a live one at the flag. */
		if (r->tee_started)
			shutdown(r->tee_out[1],
				 SHUT_WR); /* drained, then EOF */
		else
			atomic_store(&r->stop, 1);
		pthread_join(r->thread, NULL);
	}
	if (r->err[0]) {
		snprintf(err, errlen, "%s", r->err);
		rc = -1;
	}
	if (r->dump) {
		if (pcap_dump_flush(r->dump) < 0 && !rc) {
			snprintf(err, errlen, "-w %s: write failed", r->path);
			rc = -1;
		}
		pcap_dump_close(r->dump);
	}
	*packets = r->written;
	while (r->head)
		drop_oldest(r);
	HASH_ITER(hh, r->marks, m, tmp)
	{
		/* The analyzer misses that HASH_DEL moves the head on
		 * (uthash#128). */
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		HASH_DEL(r->marks, m);
		free(m);
	}
	if (r->p)
		pcap_close(r->p); /* closes r->in too */
	else if (r->in)
		fclose(r->in);
	free(r->filter);
	free(r->path);
	r->filter = r->path = NULL;
	if (r->tee_started && !atomic_load(&r->tee_done)) {
		/* The tee still waits on its input (-c stopped the capture
		 * first): it and what it uses are left to the process's
		 * exit. */
		pthread_detach(r->tee);
		return rc;
	}
	if (r->tee_started) {
		pthread_join(r->tee, NULL);
		close(r->tee_out[1]);
		close(r->src);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
	return rc;
}
