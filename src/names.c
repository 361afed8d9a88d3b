/*
 * names.c - printable names of the public enums (with their lengths, for the
 * writers: names.h), and address formatting.
 */
#include <string.h>

#include "decimal.h"
#include "names.h"
#include "tcpfsm.h"

/* A name and its length, as a struct name_slot initialiser (names.h). */
/* clang-format off */
#define SLOT(text) {text, sizeof(text) - 1} /* NOLINT(bugprone-macro-parentheses): an array's initialiser */
/* clang-format on */

static const struct name_slot unknown_slot = SLOT("?");

static const struct name_slot state_names[TCPFSM_NSTATES] = {
	[TCPFSM_CLOSED] = SLOT("CLOSED"),
	[TCPFSM_LISTEN] = SLOT("LISTEN"),
	[TCPFSM_SYN_SENT] = SLOT("SYN_SENT"),
	[TCPFSM_SYN_RECEIVED] = SLOT("SYN_RECEIVED"),
	[TCPFSM_ESTABLISHED] = SLOT("ESTABLISHED"),
	[TCPFSM_FIN_WAIT_1] = SLOT("FIN_WAIT_1"),
	[TCPFSM_FIN_WAIT_2] = SLOT("FIN_WAIT_2"),
	[TCPFSM_CLOSING] = SLOT("CLOSING"),
	[TCPFSM_TIME_WAIT] = SLOT("TIME_WAIT"),
	[TCPFSM_CLOSE_WAIT] = SLOT("CLOSE_WAIT"),
	[TCPFSM_LAST_ACK] = SLOT("LAST_ACK"),
};

const struct name_slot *state_slot(enum tcpfsm_state state)
{
	return (unsigned)state < TCPFSM_NSTATES ? &state_names[state]
						: &unknown_slot;
}

const char *tcpfsm_state_name(enum tcpfsm_state state)
{
	return state_slot(state)->text;
}

int tcpfsm_state_parse(const char *name)
{
	for (int s = 0; s < TCPFSM_NSTATES; s++)
		if (strcmp(name, state_names[s].text) == 0)
			return s;
	return -1;
}

const char *tcpfsm_alert_name(enum tcpfsm_state state)
{
	static const char *const names[TCPFSM_NSTATES] = {
		[TCPFSM_SYN_SENT] = "syn_sent_stuck",
		[TCPFSM_SYN_RECEIVED] = "syn_received_stuck",
		[TCPFSM_FIN_WAIT_1] = "fin_wait_1_stuck",
		[TCPFSM_FIN_WAIT_2] = "fin_wait_2_stuck",
		[TCPFSM_CLOSING] = "closing_stuck",
		[TCPFSM_CLOSE_WAIT] = "close_wait_stuck",
		[TCPFSM_LAST_ACK] = "last_ack_stuck",
	};
	return (unsigned)state < TCPFSM_NSTATES ? names[state] : NULL;
}

const char *tcpfsm_stall_name(enum tcpfsm_stall_kind kind)
{
	static const char *const names[TCPFSM_NSTALLS] = {
		[TCPFSM_STALL_UNACKED_DATA] = "unacked_data",
		[TCPFSM_STALL_MTU_BLACKHOLE] = "mtu_blackhole",
		[TCPFSM_STALL_ZERO_WINDOW] = "zero_window",
		[TCPFSM_STALL_KEEPALIVE] = "keepalive_unanswered",
	};
	return (unsigned)kind < TCPFSM_NSTALLS ? names[kind] : NULL;
}

int64_t tcpfsm_parse_duration(const char *text)
{
	static const struct {
		const char *suffix;
		int64_t us;
	} units[] = {{"us", 1},	      {"ms", 1000},	   {"s", 1000000},
		     {"m", 60000000}, {"h", 3600000000LL}, {"d", 86400000000LL},
		     {"", 1000000}};
	const char *p = text;
	int64_t whole = 0, frac = 0, scale = 1;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (INT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++)
			if (scale < 1000000) { /* microseconds at most */
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
	}
	for (unsigned i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(p, units[i].suffix) == 0)
			return whole > INT64_MAX / units[i].us - 1
				       ? -1
				       : whole * units[i].us +
						 frac * units[i].us / scale;
	return -1;
}

const struct name_slot *side_slot(enum tcpfsm_side side)
{
	static const struct name_slot names[2] = {SLOT("client"),
						  SLOT("server")};
	return &names[side != TCPFSM_CLIENT];
}

const char *tcpfsm_side_name(enum tcpfsm_side side)
{
	return side_slot(side)->text;
}

const struct name_slot *end_reason_slot(enum tcpfsm_end_reason reason)
{
	static const struct name_slot names[] = {
		[TCPFSM_END_CLOSED] = SLOT("closed"),
		[TCPFSM_END_IDLE] = SLOT("idle"),
		[TCPFSM_END_EVICTED] = SLOT("evicted"),
		[TCPFSM_END_REUSED] = SLOT("reused"),
		[TCPFSM_END_FINISHED] = SLOT("end_of_capture"),
	};
	return (unsigned)reason < sizeof names / sizeof names[0]
		       ? &names[reason]
		       : &unknown_slot;
}

const char *tcpfsm_end_reason_name(enum tcpfsm_end_reason reason)
{
	return end_reason_slot(reason)->text;
}

const char *tcpfsm_skip_reason_name(enum tcpfsm_skip_reason reason)
{
	static const char *const names[TCPFSM_SKIP_NREASONS] = {
		[TCPFSM_SKIP_LINK_TRUNCATED] = "link_truncated",
		[TCPFSM_SKIP_LINKTYPE] = "unsupported_linktype",
		[TCPFSM_SKIP_NOT_IP] = "not_ip",
		[TCPFSM_SKIP_IP_TRUNCATED] = "ip_truncated",
		[TCPFSM_SKIP_IP_MALFORMED] = "ip_malformed",
		[TCPFSM_SKIP_IP6_EXT] = "ipv6_extension_bad",
		[TCPFSM_SKIP_FRAGMENT] = "fragment",
		[TCPFSM_SKIP_NOT_TCP] = "not_tcp",
		[TCPFSM_SKIP_TCP_TRUNCATED] = "tcp_truncated",
		[TCPFSM_SKIP_TCP_MALFORMED] = "tcp_malformed",
		[TCPFSM_SKIP_TUNNEL_TRUNCATED] = "tunnel_truncated",
		[TCPFSM_SKIP_TUNNEL_MALFORMED] = "tunnel_malformed",
		[TCPFSM_SKIP_TUNNEL_UNSUPPORTED] = "unsupported_tunnel",
		[TCPFSM_SKIP_TUNNEL_DEPTH] = "tunnel_too_deep",
	};
	return (unsigned)reason < TCPFSM_SKIP_NREASONS ? names[reason] : "?";
}

#define DEC_TENS(t) t "0" t "1" t "2" t "3" t "4" t "5" t "6" t "7" t "8" t "9"
const char dec_pairs[200] = DEC_TENS("0") DEC_TENS("1") DEC_TENS("2")
	DEC_TENS("3") DEC_TENS("4") DEC_TENS("5") DEC_TENS("6") DEC_TENS("7")
		DEC_TENS("8") DEC_TENS("9");

/* The 256 octets as text with their lengths, four bytes each: one copy and
 * an add per octet, no compare chain for the length. OCTETS10(t) is the ten
 * numbers t0 to t9. */
/* clang-format off */
#define OCTET(n) {#n, sizeof #n - 1}
#define OCTETS10(t) OCTET(t##0), OCTET(t##1), OCTET(t##2), OCTET(t##3), \
	OCTET(t##4), OCTET(t##5), OCTET(t##6), OCTET(t##7), OCTET(t##8), \
	OCTET(t##9)
/* clang-format on */
static const struct {
	char text[3];
	uint8_t len;
} octets[256] = {
	OCTET(0),     OCTET(1),	    OCTET(2),	  OCTET(3),	OCTET(4),
	OCTET(5),     OCTET(6),	    OCTET(7),	  OCTET(8),	OCTET(9),
	OCTETS10(1),  OCTETS10(2),  OCTETS10(3),  OCTETS10(4),	OCTETS10(5),
	OCTETS10(6),  OCTETS10(7),  OCTETS10(8),  OCTETS10(9),	OCTETS10(10),
	OCTETS10(11), OCTETS10(12), OCTETS10(13), OCTETS10(14), OCTETS10(15),
	OCTETS10(16), OCTETS10(17), OCTETS10(18), OCTETS10(19), OCTETS10(20),
	OCTETS10(21), OCTETS10(22), OCTETS10(23), OCTETS10(24), OCTET(250),
	OCTET(251),   OCTET(252),   OCTET(253),	  OCTET(254),	OCTET(255),
};
#undef OCTETS10
#undef OCTET
_Static_assert(sizeof octets[0] == 4 && sizeof octets[0].text == 3,
	       "an octet's text, then its length: 4 bytes");

/* a.b.c.d; returns the length. Writes up to three bytes past it. */
static size_t format_ipv4(const uint8_t *ip, char *buf)
{
	char *p = buf;
	for (int i = 0; i < 4; i++) {
		/* the entry whole: its text, and len overwritten next */
		memcpy(p, &octets[ip[i]], sizeof octets[0]);
		p += octets[ip[i]].len;
		*p++ = '.';
	}
	return (size_t)(p - buf) - 1;
}

/* "00" "01" ... "ff": the hex digits of a byte. */
/* clang-format off */
#define HEX16(t) t "0" t "1" t "2" t "3" t "4" t "5" t "6" t "7" \
	t "8" t "9" t "a" t "b" t "c" t "d" t "e" t "f"
/* clang-format on */
static const char hex_pairs[512] =
	HEX16("0") HEX16("1") HEX16("2") HEX16("3") HEX16("4") HEX16("5")
		HEX16("6") HEX16("7") HEX16("8") HEX16("9") HEX16("a")
			HEX16("b") HEX16("c") HEX16("d") HEX16("e") HEX16("f");
#undef HEX16

/* RFC 5952: lower-case hex, no leading zeros, the longest run of two or
 * more zero groups (the first of equals) as "::", and IPv4-mapped and
 * -compatible addresses in dotted form, as inet_ntop(3) writes them, without
 * its cost (it formats with sprintf). Not inlined: IPv4 addresses, the
 * common case, then need none of its registers saved. */
__attribute__((noinline)) static size_t format_ipv6(const uint8_t *ip,
						    char *buf)
{
	unsigned g[8], zeros = 0; /* bit i: group i is 0 */
	char digits[8] = "";	  /* a group's four hex digits */
	int best = -1, best_len = 1;
	char *p = buf;

	for (int i = 0; i < 8; i++) {
		g[i] = (unsigned)ip[2 * (size_t)i] << 8 | ip[2 * (size_t)i + 1];
		zeros |= (unsigned)(g[i] == 0) << i;
	}
	/* The runs of zero groups are the runs of set bits in zeros, lowest
	 * first: z + (z & -z) carries through the lowest, & z takes it off. */
	for (unsigned z = zeros; z; z &= z + (z & -z)) {
		int start = __builtin_ctz(z);
		int len = __builtin_ctz(~(z >> start));
		if (len > best_len) {
			best = start;
			best_len = len;
		}
	}
	int dotted = best == 0 &&
		     (best_len == 6 || (best_len == 5 && g[5] == 0xffff));
	for (int i = 0; i < (dotted ? 6 : 8); i++) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += best_len - 1;
			continue;
		}
		if (i && i != best + best_len)
			*p++ = ':';
		/* All four digits, two copies, and of them those from the
		 * highest set bit on (v | 1: 0 is one digit), one copy of
		 * four bytes (the excess is overwritten). */
		unsigned v = g[i];
		memcpy(digits, hex_pairs + (size_t)(v >> 8) * 2, 2);
		memcpy(digits + 2, hex_pairs + (size_t)(v & 255) * 2, 2);
		int len = (35 - __builtin_clz(v | 1)) / 4;
		memcpy(p, digits + 4 - len, 4);
		p += len;
	}
	if (dotted) {
		if (best_len == 5)
			*p++ = ':';
		p += format_ipv4(ip + 12, p);
	}
	return (size_t)(p - buf);
}

size_t tcpfsm_addr_format(const struct tcpfsm_addr *addr, char *buf)
{
	size_t n = 0;

	if (addr->family == 4) {
		n = format_ipv4(addr->ip, buf);
	} else {
		buf[n++] = '[';
		n += format_ipv6(addr->ip, buf + n);
		buf[n++] = ']';
	}
	buf[n++] = ':';
	n += dec_u16(buf + n, addr->port);
	buf[n] = '\0';
	return n;
}
