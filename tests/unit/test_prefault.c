/*
 * test_prefault.c - the pool warmer: pages are made resident ahead of the
 * high-water mark, by whole steps, never beyond the region, and what is
 * already written there is left alone; the thread takes no signals.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "prefault.h"
#include "testutil.h"

#define MiB ((size_t)1 << 20)

/* Resident pages of [p, p + n), from mincore(). */
static size_t resident(const char *p, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), count = 0;
	unsigned char v[(64 * MiB) / 4096];
	assert_true(n / page <= sizeof v);
	assert_int_equal(mincore((void *)p, n, v), 0);
	for (size_t i = 0; i < n / page; i++)
		count += v[i] & 1;
	return count * page;
}

/* Waits up to five seconds for [p, p + n) to become resident. */
static int becomes_resident(const char *p, size_t n)
{
	struct timespec ms = {0, 1000000};
	for (int i = 0; i < 5000; i++) {
		if (resident(p, n) == n)
			return 1;
		nanosleep(&ms, NULL);
	}
	return 0;
}

/* A region as the flow pool is: anonymous, nothing resident. */
static char *map(size_t size)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

static void test_keeps_ahead(void **state)
{
	(void)state;
	size_t size = 40 * MiB;
	char *p = map(size);
	memset(p, 0x5a, 4096); /* the owner's data, already written */
	struct prefault *pf = prefault_start(p, size);
	if (!pf) {
		munmap(p, size);
		skip(); /* no thread here: nothing to test */
	}
	/* Started: 8 MiB ahead of nothing used. */
	assert_true(becomes_resident(p, 8 * MiB));
	/* 7 MiB used: up to 14 MiB (whole 2 MiB steps beyond 7 + 8). */
	prefault_ahead(pf, 7 * MiB);
	assert_true(becomes_resident(p, 14 * MiB));
	/* Near the end: up to the end and not past it. */
	prefault_ahead(pf, 39 * MiB);
	assert_true(becomes_resident(p, size));
	prefault_stop(pf);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal((unsigned char)p[i], 0x5a);
	munmap(p, size);
}

static void test_stays_within_reach(void **state)
{
	(void)state;
	size_t size = 64 * MiB;
	char *p = map(size);
	madvise(p, size, MADV_NOHUGEPAGE); /* count in small pages */
	struct prefault *pf = prefault_start(p, size);
	if (!pf) {
		munmap(p, size);
		skip();
	}
	prefault_ahead(pf, 1 * MiB); /* less than a step: no move */
	assert_true(becomes_resident(p, 8 * MiB));
	prefault_stop(pf); /* joins: nothing more is populated */
	assert_int_equal(resident(p, size), 8 * MiB);
	munmap(p, size);
}

/* Line `key` of /proc/self/task/TID/status, the text after the key. */
static void task_status(const char *tid, const char *key, char *out,
			size_t size)
{
	char path[64], line[256];
	size_t n = strlen(key);
	snprintf(path, sizeof path, "/proc/self/task/%s/status", tid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, n) == 0) {
			snprintf(out, size, "%s",
				 line + n + strspn(line + n, " \t"));
			out[strcspn(out, "\n")] = '\0';
			break;
		}
	fclose(f);
}

/* The signals blocked by thread tid of this process. */
static unsigned long long blocked_signals(const char *tid)
{
	char text[64];
	task_status(tid, "SigBlk:", text, sizeof text);
	return strtoull(text, NULL, 16);
}

/* Signals are the main thread's (tcpfsm's loop notices them), so the
 * warmer starts with all of them blocked, and the caller's mask is left as
 * it was. The warmer is found by its name: a sanitizer's runtime may have
 * threads of its own. */
static void test_signals_stay_with_the_caller(void **state)
{
	(void)state;
	size_t size = 16 * MiB;
	char *p = map(size);
	char self[32];
	snprintf(self, sizeof self, "%d", (int)getpid());
	unsigned long long before = blocked_signals(self);
	struct prefault *pf = prefault_start(p, size);
	if (!pf) {
		munmap(p, size);
		skip();
	}
	/* Once it has populated its first pages it is past its start, where
	 * glibc briefly blocks every signal in any new thread. */
	assert_true(becomes_resident(p, 8 * MiB));
	int helpers = 0;
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		char name[32];
		if (e->d_name[0] == '.')
			continue;
		task_status(e->d_name, "Name:", name, sizeof name);
		if (strcmp(name, "tcpfsm-warmer") != 0)
			continue;
		unsigned long long m = blocked_signals(e->d_name);
		unsigned long long want =
			1ull << (SIGINT - 1) | 1ull << (SIGTERM - 1) |
			1ull << (SIGHUP - 1) | 1ull << (SIGUSR1 - 1);
		assert_true((m & want) == want);
		helpers++;
	}
	closedir(d);
	assert_int_equal(helpers, 1);
	assert_true(blocked_signals(self) == before);
	prefault_stop(pf);
	munmap(p, size);
}

static void test_small_or_unaligned_regions(void **state)
{
	(void)state;
	static char small[4096];
	assert_null(prefault_start(small, sizeof small));
	char *p = map(16 * MiB);
	assert_null(prefault_start(p + 8, 16 * MiB - 8));
	prefault_ahead(NULL, 0);
	prefault_stop(NULL);
	munmap(p, 16 * MiB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_ahead),
		cmocka_unit_test(test_stays_within_reach),
		cmocka_unit_test(test_signals_stay_with_the_caller),
		cmocka_unit_test(test_small_or_unaligned_regions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
