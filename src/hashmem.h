/*
 * hashmem.h - uthash, with large blocks on huge pages.
 *
 * Large blocks (the flow pool, the conn.log views beside it, a big table's
 * bucket arrays) are touched at random, a cache line or two per packet:
 * mapped on huge pages where the kernel allows, each access spares a
 * page-table walk, and each first touch spares the faults of 511 more
 * pages. Include this instead of <uthash.h>, so that every table uses the
 * same allocator.
 */
#ifndef TCPFSM_HASHMEM_H
#define TCPFSM_HASHMEM_H
#include <stddef.h>

/* Zeroed memory: from the heap below 1 MiB, else an anonymous mapping
 * (pages cost nothing until touched). NULL when out of memory. */
void *flow_mem_alloc(size_t size);
/* Frees what flow_mem_alloc(size) returned (the same size). */
void flow_mem_free(void *p, size_t size);

#define uthash_malloc(sz)    flow_mem_alloc(sz)
#define uthash_free(ptr, sz) flow_mem_free((ptr), (sz))
#include <uthash.h>
#endif
