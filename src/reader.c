/*
 * reader.c - reading a capture file ahead, on a second thread.
 *
 * A ring of RD_RING batches: the thread fills the batch at `head`, the
 * tracker feeds the one at `tail`. A batch changes hands under the mutex;
 * the packets in it are touched by one side at a time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reader.h"
#include "thread.h"

#define RD_RING 16
/* A waiting reader is woken when this many blocks are free, not at every
 * one: fewer wake-ups and context switches on a busy machine. */
#define RD_WAKE (RD_RING / 2)

struct reader {
	pcap_t *pcap;
	const char *name;
	uint64_t limit; /* records to read; 0: all */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t filled, emptied;
	/* Under lock: */
	unsigned head, tail; /* blocks filled, and given to the tracker */
	int done;	     /* the thread has pushed its last block */
	int failed;	     /* ... and reading failed */
	int stop;	     /* the tracker wants no more */
	uint64_t records;
	int held;	  /* the tracker holds block tail - 1 */
	int reader_waits; /* for a free block */
	char err[PCAP_ERRBUF_SIZE + 256];
	struct tcpfsm_batch *ring[RD_RING]; /* of RD_BLOCK packets each */
};

/* Waits for a free block; NULL when told to stop. */
static struct tcpfsm_batch *free_block(struct reader *r)
{
	struct tcpfsm_batch *b = NULL;

	pthread_mutex_lock(&r->lock);
	/* The block the tracker still holds is not free either. */
	while (!r->stop && r->head - r->tail + (unsigned)r->held >= RD_RING) {
		r->reader_waits = 1;
		pthread_cond_wait(&r->emptied, &r->lock);
	}
	r->reader_waits = 0;
	if (!r->stop)
		b = r->ring[r->head % RD_RING];
	pthread_mutex_unlock(&r->lock);
	return b;
}

static void push(struct reader *r, uint64_t records, int done, int failed)
{
	pthread_mutex_lock(&r->lock);
	r->head++;
	r->records = records;
	r->done = done;
	r->failed = failed;
	pthread_mutex_unlock(&r->lock);
	/* After unlocking: a tracker woken under the lock would at once wait
	 * for it, and need waking a second time. */
	pthread_cond_signal(&r->filled);
}

static void *run(void *arg)
{
	struct reader *r = arg;
	uint64_t records = 0;
	struct tcpfsm_batch *b;

	while ((b = free_block(r)) != NULL) {
		int rc = 1;
		tcpfsm_batch_clear(b);
		for (size_t n = 0; n < RD_BLOCK; n++) {
			struct pcap_pkthdr *h;
			const u_char *data;
			if (r->limit && records == r->limit) {
				rc = PCAP_ERROR_BREAK; /* an end, as EOF */
				break;
			}
			rc = pcap_next_ex(r->pcap, &h, &data);
			if (rc != 1)
				break;
			records++;
			tcpfsm_batch_add(b,
					 (int64_t)h->ts.tv_sec * 1000000 +
						 h->ts.tv_usec,
					 data, h->caplen);
		}
		if (rc == 1) {
			push(r, records, 0, 0);
			continue;
		}
		/* Offline, libpcap never returns 0; anything else ends. */
		if (rc != PCAP_ERROR_BREAK)
			snprintf(r->err, sizeof r->err,
				 "%s: after record %llu: %s", r->name,
				 (unsigned long long)records,
				 pcap_geterr(r->pcap));
		push(r, records, 1, rc != PCAP_ERROR_BREAK);
		break;
	}
	return NULL;
}

struct reader *reader_start(pcap_t *p, int dlt, const char *name,
			    uint64_t limit, const struct tcpfsm_options *opts)
{
	struct reader *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->pcap = p;
	r->name = name;
	r->limit = limit;
	for (int i = 0; i < RD_RING; i++)
		if (!(r->ring[i] = tcpfsm_batch_new(opts, dlt, RD_BLOCK)))
			goto fail;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->filled, NULL);
	pthread_cond_init(&r->emptied, NULL);
	if (thread_start(&r->thread, "tcpfsm-reader", run, r) != 0) {
		pthread_cond_destroy(&r->emptied);
		pthread_cond_destroy(&r->filled);
		pthread_mutex_destroy(&r->lock);
		goto fail;
	}
	return r;
fail:
	for (int i = 0; i < RD_RING; i++)
		tcpfsm_batch_free(r->ring[i]);
	free(r);
	return NULL;
}

enum rd_status reader_next(struct reader *r, const struct tcpfsm_batch **batch)
{
	enum rd_status st;
	int wake = 0;

	pthread_mutex_lock(&r->lock);
	if (r->held) { /* the previous block is free again */
		r->held = 0;
		if (r->reader_waits &&
		    RD_RING - (r->head - r->tail) >= RD_WAKE) {
			r->reader_waits = 0; /* once: it is on its way */
			wake = 1;
		}
	}
	if (r->tail == r->head && !r->done) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100L * 1000 * 1000; /* a tenth of a second */
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (r->tail == r->head && !r->done &&
		       pthread_cond_timedwait(&r->filled, &r->lock, &until) !=
			       ETIMEDOUT)
			;
	}
	if (r->tail != r->head) {
		*batch = r->ring[r->tail % RD_RING];
		r->tail++;
		r->held = 1;
		st = RD_BLOCK_READY;
	} else if (r->done) {
		st = r->failed ? RD_ERROR : RD_END;
	} else {
		st = RD_WAITING;
	}
	pthread_mutex_unlock(&r->lock);
	/* As in push(), after unlocking. */
	if (wake)
		pthread_cond_signal(&r->emptied);
	return st;
}

const char *reader_error(const struct reader *r)
{
	return r->err;
}

uint64_t reader_records(struct reader *r)
{
	pthread_mutex_lock(&r->lock);
	uint64_t n = r->records;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void reader_stop(struct reader *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_cond_broadcast(&r->emptied);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->emptied);
	pthread_cond_destroy(&r->filled);
	pthread_mutex_destroy(&r->lock);
	for (int i = 0; i < RD_RING; i++)
		tcpfsm_batch_free(r->ring[i]);
	free(r);
}
