/*
 * prefault.c - the helper thread of prefault.h.
 *
 * The owner moves a target (`want`) forward under a mutex, in steps; the
 * thread populates from where it stopped up to the target, then sleeps until
 * the next step. It stays at most AHEAD bytes beyond the high-water mark,
 * which is all the memory it can add to the resident set.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "prefault.h"
#include "thread.h"

#define STEP  ((size_t)2 << 20) /* a huge page: the unit of a fault */
#define AHEAD ((size_t)8 << 20) /* populated beyond the high-water mark */

struct prefault {
	char *base;
	size_t size;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	size_t want; /* populate up to here (under lock) */
	int stop;    /* (under lock) */
	size_t sent; /* the owner's copy of want */
};

/* Faults in n bytes at p for writing; -1 where the kernel cannot. */
static int populate(char *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
	return madvise(p, n, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)n;
	return -1;
#endif
}

static void *run(void *arg)
{
	struct prefault *pf = arg;
	size_t done = 0;

	pthread_mutex_lock(&pf->lock);
	for (;;) {
		while (!pf->stop && done >= pf->want)
			pthread_cond_wait(&pf->wake, &pf->lock);
		if (pf->stop)
			break;
		/* One step at a time: madvise() holds the address space's
		 * lock for reading while it populates, and the tracker's next
		 * mmap() or munmap() (a table's buckets doubling) waits for
		 * it, so it should not hold it for long. */
		size_t to = pf->want - done > STEP ? done + STEP : pf->want;
		pthread_mutex_unlock(&pf->lock);
		int rc = populate(pf->base + done, to - done);
		pthread_mutex_lock(&pf->lock);
		if (rc != 0) /* not supported, or no memory: the owner faults
				its pages itself, as without the helper */
			break;
		done = to;
	}
	pthread_mutex_unlock(&pf->lock);
	return NULL;
}

struct prefault *prefault_start(void *base, size_t size)
{
	if (size <= AHEAD || (uintptr_t)base % 4096)
		return NULL;
	struct prefault *pf = calloc(1, sizeof *pf);
	if (!pf)
		return NULL;
	pf->base = base;
	pf->size = size;
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->wake, NULL);
	if (thread_start(&pf->thread, "tcpfsm-warmer", run, pf) != 0) {
		pthread_cond_destroy(&pf->wake);
		pthread_mutex_destroy(&pf->lock);
		free(pf);
		return NULL;
	}
	prefault_ahead(pf, 0);
	return pf;
}

void prefault_ahead(struct prefault *pf, size_t used)
{
	if (!pf || used + AHEAD < pf->sent + STEP || pf->sent == pf->size)
		return;
	/* Whole steps, so that every range asked for is page-aligned. */
	size_t want = (used + AHEAD) / STEP * STEP;
	if (want > pf->size)
		want = pf->size;
	pf->sent = want;
	pthread_mutex_lock(&pf->lock);
	pf->want = want;
	pthread_mutex_unlock(&pf->lock);
	pthread_cond_signal(&pf->wake); /* after unlocking, as in reader.c */
}

void prefault_stop(struct prefault *pf)
{
	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->stop = 1;
	pthread_cond_signal(&pf->wake);
	pthread_mutex_unlock(&pf->lock);
	pthread_join(pf->thread, NULL);
	pthread_cond_destroy(&pf->wake);
	pthread_mutex_destroy(&pf->lock);
	free(pf);
}
