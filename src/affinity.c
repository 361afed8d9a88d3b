/*
 * affinity.c - keeping the tracker's thread and its helpers apart.
 */
#include <sched.h>

#include "affinity.h"

/* The CPUs the process could use before the tracker was kept on one, and
 * that one; -1 until the first helper. Only the tracker's thread calls. */
static cpu_set_t allowed;
static int tracker_cpu = -1;

int affinity_for_helper(cpu_set_t *helpers)
{
	if (tracker_cpu < 0) {
		cpu_set_t mine;
		if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 ||
		    CPU_COUNT(&allowed) < 2)
			return -1;
		int cpu = sched_getcpu();
		if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))
			return -1;
		CPU_ZERO(&mine);
		CPU_SET(cpu, &mine);
		if (sched_setaffinity(0, sizeof mine, &mine) != 0)
			return -1;
		tracker_cpu = cpu;
	}
	*helpers = allowed;
	CPU_CLR(tracker_cpu, helpers);
	return 0;
}
