/*
 * fuzz_check.h - the harnesses' own checks: beyond the sanitizers, a broken
 * invariant aborts, naming the harness (its file) and the condition.
 */
#ifndef TCPFSM_FUZZ_CHECK_H
#define TCPFSM_FUZZ_CHECK_H
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)
#endif
