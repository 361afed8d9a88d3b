/*
 * prefault.h - faulting in a growing region's pages before their first use,
 * on a thread of its own.
 *
 * The flow pool is mapped up front and used from its start up; the first
 * write to each untouched page faults, and the kernel zeroes the page there
 * and then (2 MiB at a time with huge pages). With a large table that is a
 * tenth of the tracker's time, on the tracker's thread. A helper thread has
 * the kernel populate the pages a little ahead of the pool's high-water mark
 * instead: MADV_POPULATE_WRITE faults them in as if written but leaves their
 * contents alone, so it is safe beside the tracker's own writes.
 *
 * Purely an optimisation: where the kernel lacks it, or the thread cannot
 * start, the tracker faults its own pages as before.
 */
#ifndef TCPFSM_PREFAULT_H
#define TCPFSM_PREFAULT_H
#include <stddef.h>

struct prefault;

/* Starts the helper for the region [base, base + size), page-aligned, of
 * which nothing is used yet. NULL when there is nothing to gain (a small
 * region) or the thread cannot start. */
struct prefault *prefault_start(void *base, size_t size);

/* The owner has used the region's first `used` bytes. Cheap (a comparison)
 * except when the helper must move ahead, at most once per 2 MiB of growth;
 * pf may be NULL. */
void prefault_ahead(struct prefault *pf, size_t used);

/* Stops the helper and frees it; before the region is unmapped. NULL is
 * fine. */
void prefault_stop(struct prefault *pf);

#endif
