/*
 * decimal.h - integers as decimal text, two digits per step.
 *
 * Every event carries addresses, ports, ids and timestamps; writing them a
 * digit at a time with a division each was a visible share of the output's
 * cost. A table of the hundred two-digit pairs halves the divisions.
 */
#ifndef TCPFSM_DECIMAL_H
#define TCPFSM_DECIMAL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* "00" "01" ... "99" (names.c). */
extern const char dec_pairs[200];

/* Writes v in decimal at dst (no NUL; at most 20 bytes); returns the length.
 */
static inline size_t dec_u64(char *dst, uint64_t v)
{
	char tmp[20];
	char *p = tmp + sizeof tmp;

	while (v >= 100) {
		p -= 2;
		memcpy(p, dec_pairs + v % 100 * 2, 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, dec_pairs + v * 2, 2);
	} else {
		*--p = (char)('0' + v);
	}
	size_t n = (size_t)(tmp + sizeof tmp - p);
	memcpy(dst, p, n);
	return n;
}

/* Writes v (below 10^width) as exactly width digits, zero padded; width is
 * even. */
static inline void dec_fixed(char *dst, uint32_t v, int width)
{
	for (int i = width - 2; i >= 0; i -= 2) {
		memcpy(dst + i, dec_pairs + v % 100 * 2, 2);
		v /= 100;
	}
}
#endif
