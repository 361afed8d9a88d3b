/*
 * flow.c - canonical flow keys, the uthash table and the flow pool.
 */
#include <endian.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Growing the bucket array is the table's only allocation after start-up; if
 * it fails, the table keeps working with longer chains. Only the very first
 * insertion, which allocates the table, can fail outright (flow_insert). */
#define HASH_NONFATAL_OOM 1

#include <sys/mman.h>
#include <sys/random.h>

#include "flow.h"

/*
 * The hash: five 64-bit words of the key mixed with a random seed, so that
 * an attacker who chooses addresses and ports cannot aim packets at one
 * bucket. Bucket order never shows in the output (records are reported in
 * creation order), so the seed costs no determinism.
 *
 * Each table has its own seed, drawn when it is made and kept for its life:
 * a table's flows are filed under hashes of its seed, and changing the seed
 * under them would lose them all. The first table's seed is also the
 * process's default (flow_default_seed()), for a reader thread that hashes
 * keys before it knows which table they are for (tcpfsm_batch_add()).
 */
static _Atomic uint64_t default_seed;
static atomic_flag default_taken = ATOMIC_FLAG_INIT; /* by a table */

static uint64_t draw_seed(void)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) !=
	    (ssize_t)sizeof seed)
		seed = 0x9e3779b97f4a7c15u; /* no entropy yet: still a table */
	return seed | 1;		    /* never 0: 0 means none drawn */
}

uint64_t flow_default_seed(void)
{
	uint64_t seed =
		atomic_load_explicit(&default_seed, memory_order_relaxed);
	if (seed)
		return seed;
	uint64_t none = 0, drawn = draw_seed();
	/* The first to draw wins; a loser takes the winner's seed. */
	if (atomic_compare_exchange_strong(&default_seed, &none, drawn))
		return drawn;
	return none;
}

uint32_t flow_key_hash_seeded(uint64_t seed, const struct flow_key *key)
{
	uint64_t w[sizeof(struct flow_key) / 8];
	uint64_t h = seed;

	memcpy(w, key, sizeof w);
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		h = (h ^ w[i]) * 0xff51afd7ed558ccdu;
		h ^= h >> 29;
	}
	h *= 0xc4ceb9fe1a85ec53u;
	return (uint32_t)(h ^ (h >> 32));
}

/* Every lookup and insertion brings its hash (flow_key_hash()); uthash's
 * own never runs, and would not compile if a macro here came to use it:
 * without the table's seed it could only file flows where no lookup finds
 * them. */
#undef HASH_FUNCTION
#define HASH_FUNCTION(keyptr, keylen, hashv) uthash_hashes_with_no_seed

static inline int cmp_u64(uint64_t x, uint64_t y)
{
	return (x > y) - (x < y);
}

/* The key's last word: ports and family as struct flow_key lays them out
 * (lo_port, hi_port, family, zero padding). */
static inline uint64_t tail_word(uint16_t lo_port, uint16_t hi_port,
				 uint8_t family)
{
#if __BYTE_ORDER == __LITTLE_ENDIAN
	return lo_port | (uint64_t)hi_port << 16 | (uint64_t)family << 32;
#else
	return (uint64_t)lo_port << 48 | (uint64_t)hi_port << 32 |
	       (uint64_t)family << 24;
#endif
}

_Static_assert(sizeof(struct flow_key) == 40 &&
		       offsetof(struct flow_key, lo_port) == 32 &&
		       offsetof(struct flow_key, family) == 36,
	       "flow_key is five words, its last as tail_word() builds it");

/* A flow is exactly five cache lines, and a large table's pool starts on a
 * page (flow_mem_alloc()): one byte more and every flow would span six, all
 * of which the prefetch stages fetch (batch.c). A new field must find room
 * in these, not add a line. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct flow) == 5 * (size_t)64,
	       "a flow is five cache lines");

/*
 * The key is built as the five 8-byte words it is hashed and compared as:
 * narrower stores read back by wider loads stall until the stores complete.
 * Addresses are ordered as memcmp() would order them, with big-endian word
 * compares; an IPv4 address is read as the one 4-byte word the decoder
 * stored, for the same reason.
 */

void flow_key_make(const struct segment *seg, struct flow_key *key,
		   int *sender_is_lo)
{
	uint64_t s[2] = {0, 0}, d[2] = {0, 0};
	int c;

	if (seg->family == 4) {
		uint32_t a, b;
		memcpy(&a, seg->src, sizeof a);
		memcpy(&b, seg->dst, sizeof b);
		memcpy(&s[0], &a, sizeof a); /* the rest of the word is zero */
		memcpy(&d[0], &b, sizeof b);
		c = cmp_u64(be32toh(a), be32toh(b));
	} else {
		memcpy(s, seg->src, sizeof s);
		memcpy(d, seg->dst, sizeof d);
		c = s[0] != d[0] ? cmp_u64(be64toh(s[0]), be64toh(d[0]))
				 : cmp_u64(be64toh(s[1]), be64toh(d[1]));
	}
	int lo = c < 0 || (c == 0 && seg->sport <= seg->dport);
	const uint64_t *l = lo ? s : d, *h = lo ? d : s;
	uint64_t w[5] = {l[0], l[1], h[0], h[1],
			 lo ? tail_word(seg->sport, seg->dport, seg->family)
			    : tail_word(seg->dport, seg->sport, seg->family)};

	memcpy(key, w, sizeof w);
	*sender_is_lo = lo;
}

/* Below this, malloc: small tables stay in the heap. */
#define BIG_BLOCK (1u << 20)

void *flow_mem_alloc(size_t size)
{
	if (size < BIG_BLOCK)
		return calloc(1, size);
	/* Anonymous pages are zero and cost nothing until touched. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, size, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
	return p;
}

void flow_mem_free(void *p, size_t size)
{
	if (size < BIG_BLOCK)
		free(p);
	else if (p)
		munmap(p, size);
}

int flow_table_init(struct flow_table *ft, uint32_t capacity)
{
	memset(ft, 0, sizeof *ft);
	if (capacity == 0)
		capacity = 1;
	/* The first table takes the process's default seed, which a reader
	 * thread may already hash with; every later one draws its own. */
	ft->seed = atomic_flag_test_and_set(&default_taken)
			   ? draw_seed()
			   : flow_default_seed();
	/* Memory is spent as flows are first used, up to the bound. */
	ft->flows = flow_mem_alloc((size_t)capacity * sizeof *ft->flows);
	if (!ft->flows)
		return -1;
	ft->capacity = capacity;
	ft->free_head = NIL;
	return 0;
}

void flow_table_destroy(struct flow_table *ft)
{
	HASH_CLEAR(hh, ft->hash);
	flow_mem_free(ft->flows, (size_t)ft->capacity * sizeof *ft->flows);
	memset(ft, 0, sizeof *ft);
}

void flow_prefetch_bucket(const struct flow_table *ft, uint32_t hash)
{
	if (!ft->hash)
		return;
	const UT_hash_table *tbl = ft->hash->hh.tbl;
	__builtin_prefetch(&tbl->buckets[hash & (tbl->num_buckets - 1)]);
}

/* The flow at the head of hash's bucket, or NULL. */
static const struct flow *bucket_head(const struct flow_table *ft,
				      uint32_t hash)
{
	if (!ft->hash)
		return NULL;
	const UT_hash_table *tbl = ft->hash->hh.tbl;
	const UT_hash_handle *hh =
		tbl->buckets[hash & (tbl->num_buckets - 1)].hh_head;
	return hh ? (const struct flow *)((const char *)hh -
					  offsetof(struct flow, hh))
		  : NULL;
}

void flow_prefetch_head(const struct flow_table *ft, uint32_t hash)
{
	const struct flow *f = bucket_head(ft, hash);
	if (f)
		__builtin_prefetch(&f->hh);
}

/* The flow after f in its bucket's chain, or NULL. */
static const struct flow *chain_next(const struct flow *f)
{
	const UT_hash_handle *next = f->hh.hh_next;
	return next ? (const struct flow *)((const char *)next -
					    offsetof(struct flow, hh))
		    : NULL;
}

/* Fetches f's cache lines from byte `from` on. */
static void prefetch_from(const struct flow *f, size_t from)
{
	for (size_t off = from; off < sizeof *f; off += 64)
		__builtin_prefetch((const char *)f + off);
}

const struct flow *flow_prefetch_flow(const struct flow_table *ft,
				      uint32_t hash)
{
	const struct flow *f = bucket_head(ft, hash);
	if (!f)
		return NULL;
	if (f->hh.hashv == hash) {
		prefetch_from(f, 64); /* the handle's line is in already */
		return f;
	}
	if ((f = chain_next(f)))
		flow_prefetch(f);
	return f;
}

const struct flow *flow_peek(const struct flow_table *ft, uint32_t hash)
{
	const struct flow *f = bucket_head(ft, hash);
	if (f && f->hh.hashv != hash)
		f = chain_next(f);
	return f && f->hh.hashv == hash ? f : NULL;
}

struct flow *flow_lookup(struct flow_table *ft, const struct flow_key *key,
			 uint32_t hash)
{
	struct flow *f;
	HASH_FIND_BYHASHVALUE(hh, ft->hash, key, sizeof *key, hash, f);
	return f;
}

static void prefetch_slot(struct flow *f)
{
	for (size_t off = 0; off < sizeof *f; off += 64)
		__builtin_prefetch((char *)f + off, 1);
}

/* Returns f to the free list. */
static void pool_put(struct flow_table *ft, struct flow *f)
{
	f->in_use = 0;
	f->lru.next = ft->free_head;
	ft->free_head = flow_index(ft, f);
}

struct flow *flow_insert(struct flow_table *ft, const struct flow_key *key,
			 uint32_t hash)
{
	struct flow *f;

	if (ft->free_head != NIL) {
		f = &ft->flows[ft->free_head];
		ft->free_head = f->lru.next;
	} else if (ft->used < ft->capacity) {
		f = &ft->flows[ft->used++];
	} else {
		return NULL;
	}
	/* The slot the next insertion takes, for writing: with a large
	 * table it is nowhere in the cache, and it will be written whole. */
	if (ft->free_head != NIL)
		prefetch_slot(&ft->flows[ft->free_head]);
	else if (ft->used < ft->capacity)
		prefetch_slot(&ft->flows[ft->used]);
	memset(f, 0, sizeof *f);
	f->key = *key;
	f->in_use = 1;
	f->lru.prev = f->lru.next = NIL;
	for (int s = 0; s < 2; s++)
		f->ep[s].tq.prev = f->ep[s].tq.next = NIL;
	HASH_ADD_BYHASHVALUE(hh, ft->hash, key, sizeof f->key, hash, f);
	if (!ft->hash) { /* no memory for the table itself: give f back */
		pool_put(ft, f);
		return NULL;
	}
	/* uthash doubles its buckets only when one chain reaches ten, which
	 * leaves the mean chain between one and two; every link walked is a
	 * cache miss in another flow. Keep the mean at most one. */
	UT_hash_table *tbl = ft->hash->hh.tbl;
	if (tbl->num_items > tbl->num_buckets && !tbl->noexpand) {
		int oomed = 0; /* out of memory: longer chains, no harm */
		HASH_EXPAND_BUCKETS(hh, tbl, oomed);
		(void)oomed;
	}
	ft->live++;
	return f;
}

void flow_table_clear(struct flow_table *ft)
{
	HASH_CLEAR(hh, ft->hash);
	ft->used = ft->live = 0;
	ft->free_head = NIL;
}

void flow_remove(struct flow_table *ft, struct flow *f)
{
	HASH_DELETE(hh, ft->hash, f);
	pool_put(ft, f);
	ft->live--;
}

void flow_addr(const struct flow *f, enum tcpfsm_side side,
	       struct tcpfsm_addr *out)
{
	int lo = (side == TCPFSM_CLIENT) == (f->client_is_lo != 0);

	out->family = f->key.family;
	out->port = lo ? f->key.lo_port : f->key.hi_port;
	memcpy(out->ip, lo ? f->key.lo : f->key.hi, sizeof out->ip);
}
