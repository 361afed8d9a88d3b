/*
 * affinity.h - which CPUs tcpfsm's threads run on.
 *
 * The tracker's thread does most of the work, fed by helpers (the reader of
 * a capture file, the pool warmer) that sleep and wake often. Left to
 * itself, Linux wakes a helper on the CPU of the thread that woke it, the
 * tracker's, and the two take turns there while another CPU idles:
 * conc-10k took 2.8-3.4 s against 2.1-2.2 s kept apart, mix-10M 2.2-2.5 s
 * against 1.9-2.0 s. So with two or more CPUs to run on, the tracker keeps
 * the one it is on and the helpers share the others. A process confined to
 * one CPU (taskset -c N) is left as it is; to place tcpfsm elsewhere, give
 * it the CPUs it may use with taskset.
 */
#ifndef TCPFSM_AFFINITY_H
#define TCPFSM_AFFINITY_H

#include <sched.h>

/*
 * Called by the tracker's thread before it starts a helper. The first call
 * keeps the caller on the CPU it runs on, out of those it may use; every
 * call writes to *helpers the others, for the helper to start on. Returns 0,
 * or -1 when there are fewer than two CPUs to share or the kernel will not
 * tell or do it: nothing is changed then, and the helper may run anywhere.
 */
int affinity_for_helper(cpu_set_t *helpers);

#endif
