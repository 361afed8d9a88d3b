/*
 * names.c - printable names of the public enums, and address formatting.
 */
#include <string.h>

#include "decimal.h"

#include "tcpfsm.h"

static const char *const state_names[TCPFSM_NSTATES] = {
	[TCPFSM_CLOSED] = "CLOSED",
	[TCPFSM_LISTEN] = "LISTEN",
	[TCPFSM_SYN_SENT] = "SYN_SENT",
	[TCPFSM_SYN_RECEIVED] = "SYN_RECEIVED",
	[TCPFSM_ESTABLISHED] = "ESTABLISHED",
	[TCPFSM_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCPFSM_FIN_WAIT_2] = "FIN_WAIT_2",
	[TCPFSM_CLOSING] = "CLOSING",
	[TCPFSM_TIME_WAIT] = "TIME_WAIT",
	[TCPFSM_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCPFSM_LAST_ACK] = "LAST_ACK",
};

const char *tcpfsm_state_name(enum tcpfsm_state state)
{
	return (unsigned)state < TCPFSM_NSTATES ? state_names[state] : "?";
}

int tcpfsm_state_parse(const char *name)
{
	for (int s = 0; s < TCPFSM_NSTATES; s++)
		if (strcmp(name, state_names[s]) == 0)
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

const char *tcpfsm_side_name(enum tcpfsm_side side)
{
	return side == TCPFSM_CLIENT ? "client" : "server";
}

const char *tcpfsm_end_reason_name(enum tcpfsm_end_reason reason)
{
	static const char *const names[] = {
		[TCPFSM_END_CLOSED] = "closed",
		[TCPFSM_END_IDLE] = "idle",
		[TCPFSM_END_EVICTED] = "evicted",
		[TCPFSM_END_REUSED] = "reused",
		[TCPFSM_END_FINISHED] = "end_of_capture",
	};
	return (unsigned)reason < sizeof names / sizeof names[0] ? names[reason]
								 : "?";
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

/* The 256 octets as text, each copied as four bytes. */
static const char octet_text[256][4] = {
	"0",   "1",   "2",   "3",   "4",   "5",	  "6",	 "7",	"8",   "9",
	"10",  "11",  "12",  "13",  "14",  "15",  "16",	 "17",	"18",  "19",
	"20",  "21",  "22",  "23",  "24",  "25",  "26",	 "27",	"28",  "29",
	"30",  "31",  "32",  "33",  "34",  "35",  "36",	 "37",	"38",  "39",
	"40",  "41",  "42",  "43",  "44",  "45",  "46",	 "47",	"48",  "49",
	"50",  "51",  "52",  "53",  "54",  "55",  "56",	 "57",	"58",  "59",
	"60",  "61",  "62",  "63",  "64",  "65",  "66",	 "67",	"68",  "69",
	"70",  "71",  "72",  "73",  "74",  "75",  "76",	 "77",	"78",  "79",
	"80",  "81",  "82",  "83",  "84",  "85",  "86",	 "87",	"88",  "89",
	"90",  "91",  "92",  "93",  "94",  "95",  "96",	 "97",	"98",  "99",
	"100", "101", "102", "103", "104", "105", "106", "107", "108", "109",
	"110", "111", "112", "113", "114", "115", "116", "117", "118", "119",
	"120", "121", "122", "123", "124", "125", "126", "127", "128", "129",
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"140", "141", "142", "143", "144", "145", "146", "147", "148", "149",
	"150", "151", "152", "153", "154", "155", "156", "157", "158", "159",
	"160", "161", "162", "163", "164", "165", "166", "167", "168", "169",
	"170", "171", "172", "173", "174", "175", "176", "177", "178", "179",
	"180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
	"190", "191", "192", "193", "194", "195", "196", "197", "198", "199",
	"200", "201", "202", "203", "204", "205", "206", "207", "208", "209",
	"210", "211", "212", "213", "214", "215", "216", "217", "218", "219",
	"220", "221", "222", "223", "224", "225", "226", "227", "228", "229",
	"230", "231", "232", "233", "234", "235", "236", "237", "238", "239",
	"240", "241", "242", "243", "244", "245", "246", "247", "248", "249",
	"250", "251", "252", "253", "254", "255"};

/* a.b.c.d; returns the length. */
static size_t format_ipv4(const uint8_t *ip, char *buf)
{
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = ip[i];
		memcpy(buf + n, octet_text[v], 4);
		n += 1 + (v >= 10) + (v >= 100);
		buf[n++] = '.';
	}
	return n - 1;
}

/* RFC 5952: lower-case hex, no leading zeros, the longest run of two or
 * more zero groups (the first of equals) as "::", and IPv4-mapped and
 * -compatible addresses in dotted form, as inet_ntop(3) writes them, without
 * its cost (it formats with sprintf). */
static size_t format_ipv6(const uint8_t *ip, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned g[8];
	int best = -1, best_len = 0;
	size_t n = 0;

	for (size_t i = 0; i < 8; i++)
		g[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (best_len < 2)
		best = -1;
	int dotted = best == 0 &&
		     (best_len == 6 || (best_len == 5 && g[5] == 0xffff));
	for (int i = 0; i < (dotted ? 6 : 8); i++) {
		if (i == best) {
			buf[n++] = ':';
			buf[n++] = ':';
			i += best_len - 1;
			continue;
		}
		if (i && i != best + best_len)
			buf[n++] = ':';
		unsigned v = g[i];
		for (int shift = v > 0xfff  ? 12
				 : v > 0xff ? 8
				 : v > 0xf  ? 4
					    : 0;
		     shift >= 0; shift -= 4)
			buf[n++] = hex[v >> shift & 15];
	}
	if (dotted) {
		if (best_len == 5)
			buf[n++] = ':';
		n += format_ipv4(ip + 12, buf + n);
	}
	return n;
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
	n += dec_u64(buf + n, addr->port);
	buf[n] = '\0';
	return n;
}
