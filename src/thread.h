/*
 * thread.h - starting tcpfsm's helper threads (the capture's reader).
 */
#ifndef TCPFSM_THREAD_H
#define TCPFSM_THREAD_H

#include <pthread.h>
#include <signal.h>

/* Starts fn(arg) on a new thread with every signal blocked: signals are the
 * main thread's, so that they interrupt the capture loop, not a helper.
 * name (at most 15 characters) is what top -H and ps -L show for it.
 * Returns pthread_create()'s result. */
static inline int thread_start(pthread_t *thread, const char *name,
			       void *(*fn)(void *), void *arg)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		pthread_setname_np(*thread,
				   name); /* cosmetic: failure is harmless */
	return rc;
}

#endif
