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

/* v below 65536 as dec_u64 writes it, without its length search and loop:
 * ports, and most ids and counters, which every event writes. Returns the
 * length (1 to 5). */
static inline size_t dec_u16(char *dst, uint16_t v)
{
	size_t hi = v / 100u, lo = v % 100u; /* hi below 656 */
	size_t n;

	if (hi == 0) {
		if (lo < 10) {
			dst[0] = (char)('0' + lo);
			return 1;
		}
		memcpy(dst, dec_pairs + lo * 2, 2);
		return 2;
	}
	if (hi < 10) {
		dst[0] = (char)('0' + hi);
		n = 1;
	} else if (hi < 100) {
		memcpy(dst, dec_pairs + hi * 2, 2);
		n = 2;
	} else {
		dst[0] = (char)('0' + hi / 100);
		memcpy(dst + 1, dec_pairs + hi % 100 * 2, 2);
		n = 3;
	}
	memcpy(dst + n, dec_pairs + lo * 2, 2);
	return n + 2;
}

/* Writes v in decimal at dst (no NUL; at most 20 bytes); returns the length.
 */
static inline size_t dec_u64(char *dst, uint64_t v)
{
	/* clang-format off */
	static const uint64_t tens[20] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
		1000000000, 10000000000, 100000000000, 1000000000000,
		10000000000000, 100000000000000, 1000000000000000,
		10000000000000000, 100000000000000000, 1000000000000000000,
		10000000000000000000u};
	/* clang-format on */
	if (v <= UINT16_MAX)
		return dec_u16(dst, (uint16_t)v);
	/* The length first, so the digits go straight to their place: from
	 * the bit length, log10(2) ~ 1233 / 4096 gives it or one less; v | 1
	 * makes 0 one digit (and changes no other count: powers of ten from
	 * 10 on are even). */
	int bits = 64 - __builtin_clzll(v | 1);
	int t = (bits * 1233) >> 12;
	size_t n = (size_t)t + ((v | 1) >= tens[t]);
	char *p = dst + n;

	while (v >= 100) {
		p -= 2;
		memcpy(p, dec_pairs + v % 100 * 2, 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(p - 2, dec_pairs + v * 2, 2);
	else
		p[-1] = (char)('0' + v);
	return n;
}

/* Writes v (below 10^width) as exactly width digits, zero padded; width is
 * even. */
static inline void dec_fixed(char *dst, uint32_t v, int width)
{
	for (int i = width - 2; i >= 0; i -= 2) {
		memcpy(dst + i, dec_pairs + (size_t)(v % 100) * 2, 2);
		v /= 100;
	}
}
#endif
