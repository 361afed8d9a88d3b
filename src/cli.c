/*
 * cli.c - the command line, in the manner of tcpdump: options, then an
 * optional filter expression.
 *
 * A network engineer's fingers know tcpdump's letters, so every letter
 * tcpdump has means here what it means there (-c count, -F filter file,
 * -s snap length, -D, -l, -n, -q, -t..., -v), and tcpfsm's own settings
 * are long options. The configuration file's letter is -g, which tcpdump
 * 4.99 does not use (of its other free letters, -k and -P are taken by
 * Apple's tcpdump and -o by OpenBSD's). -c FILE and -F FORMAT, this
 * program's older spellings, are still understood when they cannot be
 * tcpdump's (a file for -c, a format name that is no file for -F), with a
 * word on standard error.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "cli.h"
#include "config.h"

static const char usage[] =
	"Usage: tcpfsm [-Dlnqtv] [-c COUNT] [-F FILE] [-s SNAPLEN] [-w FILE]\n"
	"              [options]\n"
	"              -r FILE [expression]\n"
	"       tcpfsm [options] -i INTERFACE [expression]\n"
	"       tcpfsm -g CONFIG [--daemon [--foreground]] [options]\n"
	"\n"
	"Infers the RFC 793 state of both endpoints of every TCP connection\n"
	"and prints each state change as it happens. Options that tcpdump has\n"
	"mean what they mean in tcpdump.\n"
	"\n"
	"  -r, --read FILE         read a pcap or pcapng file (- for stdin, "
	"or\n"
	"                          a pipe: events come as packets arrive)\n"
	"  -i, --interface IFACE   capture live on IFACE (or its number in "
	"-D)\n"
	"  -c COUNT                exit after COUNT packets\n"
	"  -s, --snapshot-length SNAPLEN\n"
	"                          live: bytes of each packet to capture\n"
	"                          (0: 262144; default 256, headers only)\n"
	"  -F FILE                 read the filter expression from FILE\n"
	"  -w FILE                 write the packets of every connection that\n"
	"                          raised an alert (with --conn: of that\n"
	"                          one) to FILE, for Wireshark. From a pipe\n"
	"                          or live, from a ring of recent packets:\n"
	"      --ring-size SIZE    its bound (default 16M)\n"
	"  -D, --list-interfaces   list the interfaces to capture on, and "
	"exit\n"
	"  -l                      write standard output a line at a time "
	"(the\n"
	"                          default on a terminal)\n"
	"  -n, -nn                 accepted: tcpfsm never resolves names\n"
	"  -t                      text: no time stamp\n"
	"  -tt                     text: seconds since the epoch\n"
	"  -ttt                    text: time since the previous line\n"
	"  -tttt                   text: date and time of day (the default\n"
	"                          once the capture spans more than a day)\n"
	"  -ttttt                  text: time since the first line\n"
	"  -v                      more detail: each connection's packets and\n"
	"                          bytes, the endpoints by state at the end\n"
	"  -q                      quieter: alerts, resolved and stats only\n"
	"  -g, --config FILE       read settings from a YAML file (see\n"
	"                          tcpfsm(8)); options given here override it\n"
	"      --format FORMAT     text (default), json (one object a line),\n"
	"                          or zeek (Zeek's conn.log)\n"
	"      --check-config      validate the configuration and exit\n"
	"      --daemon            run unattended: detach, write the pidfile,\n"
	"                          drop root after opening the capture\n"
	"      --foreground        with --daemon: stay attached (systemd)\n"
	"      --snapshot          at the end, list the connections still "
	"open\n"
	"      --color WHEN        auto (default: on a terminal), always, "
	"never\n"
	"      --max-connections N track at most N connections (default "
	"1000000)\n"
	"      --alert STATE=TIME  alert when an endpoint stays in STATE "
	"longer\n"
	"                          than TIME (e.g. SYN_SENT=3s, "
	"CLOSE_WAIT=5m;\n"
	"                          0 disables); repeatable. Stalls:\n"
	"                          unacked_data=TIME, zero_window=TIME,\n"
	"                          retransmissions=N, keepalives=N\n"
	"      --only KINDS        print only these events: transitions,\n"
	"                          alerts, resolved, conns, stats (commas)\n"
	"      --state STATE       print only events involving STATE\n"
	"                          (e.g. SYN_SENT, either endpoint)\n"
	"      --host ADDR[:PORT]  print only connections with that endpoint\n"
	"      --conn N|ADDR:PORT  one connection (its number, or an\n"
	"                          endpoint): drawn as a ladder of its\n"
	"                          segments and both hosts' states\n"
	"      --checksums MODE    verify (default): a segment with a bad\n"
	"                          checksum is lost to its receiver; ignore:\n"
	"                          take every segment as intact (a capture\n"
	"                          taken where the NIC fills in checksums)\n"
	"  -h, --help              show this help\n"
	"      --version           show the version\n"
	"\n"
	"The expression is a pcap filter, as with tcpdump, e.g.\n"
	"  tcpfsm -nr capture.pcap 'port 443'\n"
	"Times are UTC. Exit status: 0 success, 1 runtime error, 2 usage "
	"error.\n";

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "tcpfsm: %s%s%s (try tcpfsm --help)\n", what,
		arg ? ": " : "", arg ? arg : "");
	return 2;
}

/* Joins the trailing words into one filter expression, as tcpdump does. */
static char *join_words(int n, char **words)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	char *s = malloc(len), *p = s;
	if (!s)
		return NULL;
	for (int i = 0; i < n; i++) {
		size_t w = strlen(words[i]);
		if (i)
			*p++ = ' ';
		memcpy(p, words[i], w);
		p += w;
	}
	*p = '\0';
	return s;
}

/* -F FILE: the whole file is the expression, '#' to the end of a line a
 * comment, as tcpdump reads it. NULL with errno on failure. */
static char *read_filter_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int c, comment = 0;

	if (!fp)
		return NULL;
	while ((c = getc(fp)) != EOF) {
		if (c == '#')
			comment = 1;
		else if (c == '\n')
			comment = 0;
		if (len + 2 > cap) {
			char *more = realloc(text, cap = cap ? 2 * cap : 256);
			if (!more) {
				free(text);
				fclose(fp);
				errno = ENOMEM;
				return NULL;
			}
			text = more;
		}
		if (comment)
			c = ' ';
		text[len++] = (char)c;
	}
	int failed = ferror(fp);
	fclose(fp);
	if (failed) {
		free(text);
		errno = EIO;
		return NULL;
	}
	if (!text && !(text = calloc(1, 1)))
		return NULL;
	text[len] = '\0';
	return text;
}

/* A whole decimal number from 1 up to max; 0 if it is not one. */
static uint64_t parse_count(const char *arg, uint64_t max)
{
	char *end;

	if (!isdigit((unsigned char)arg[0]))
		return 0;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	return errno || *end || v > max ? 0 : (uint64_t)v;
}

/* The stalls' thresholds: "unacked_data=3s", "retransmissions=3". */
static int parse_stall_alert(struct cli *cli, const char *name,
			     const char *value)
{
	int64_t d = tcpfsm_parse_duration(value);
	uint64_t n = parse_count(value, 255);

	if (strcmp(name, "unacked_data") == 0 && d >= 0)
		cli->stall_unacked = d;
	else if (strcmp(name, "zero_window") == 0 && d >= 0)
		cli->stall_zero_window = d;
	else if (strcmp(name, "retransmissions") == 0 &&
		 (n || strcmp(value, "0") == 0))
		cli->stall_retransmissions = (int64_t)n;
	else if (strcmp(name, "keepalives") == 0 &&
		 (n || strcmp(value, "0") == 0) && n < 255)
		cli->stall_keepalives = (int64_t)n;
	else
		return -1;
	return 0;
}

/* "SYN_SENT=3s" (state names in either case), or a stall's threshold. */
static int parse_alert(struct cli *cli, const char *arg)
{
	char name[32];
	const char *eq = strchr(arg, '=');

	if (!eq || (size_t)(eq - arg) >= sizeof name)
		return -1;
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if (parse_stall_alert(cli, name, eq + 1) == 0)
		return 0;
	for (size_t i = 0; i < (size_t)(eq - arg); i++)
		name[i] = (char)toupper((unsigned char)arg[i]);
	name[eq - arg] = '\0';
	int state = tcpfsm_state_parse(name);
	int64_t d = tcpfsm_parse_duration(eq + 1);
	if (state < 0 || !tcpfsm_alert_name(state) || d < 0)
		return -1;
	cli->alert_after[state] = d;
	return 0;
}

int cli_parse_endpoint(const char *text, struct tcpfsm_addr *addr, int *port)
{
	char ip[64];
	const char *p = NULL;
	size_t n;

	memset(addr, 0, sizeof *addr);
	*port = 0;
	if (text[0] == '[') { /* [v6] or [v6]:port */
		const char *close = strchr(text, ']');
		if (!close || (close[1] && close[1] != ':'))
			return -1;
		n = (size_t)(close - text - 1);
		text++;
		if (close[1] == ':')
			p = close + 2;
	} else if (strchr(text, ':') &&
		   strchr(text, ':') == strrchr(text, ':')) {
		p = strchr(text, ':'); /* one colon: v4:port */
		n = (size_t)(p++ - text);
	} else {
		n = strlen(text); /* v4, or v6 without a port */
	}
	if (n >= sizeof ip)
		return -1;
	memcpy(ip, text, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, addr->ip) == 1)
		addr->family = 4;
	else if (inet_pton(AF_INET6, ip, addr->ip) == 1)
		addr->family = 6;
	else
		return -1;
	if (p) {
		uint64_t v = parse_count(p, 65535);
		if (!v)
			return -1;
		addr->port = (uint16_t)v;
		*port = 1;
	}
	return 0;
}

/* --only alerts,conns: event kinds by the names the configuration's
 * outputs.events uses, plural or not. */
static int parse_only(struct cli *cli, const char *arg)
{
	static const struct {
		const char *name;
		unsigned bit;
	} kinds[] = {
		{"transition", EVENTS_TRANSITION}, {"alert", EVENTS_ALERT},
		{"resolved", EVENTS_RESOLVED},	   {"conn", EVENTS_CONN},
		{"stats", EVENTS_STATS},
	};
	const char *p = arg;

	while (*p) {
		size_t n = strcspn(p, ","), i;
		size_t k = n && p[n - 1] == 's' && strncmp(p, "stats", n) != 0
				   ? n - 1
				   : n; /* "alerts" is "alert" */
		for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
			if (strlen(kinds[i].name) == k &&
			    strncmp(kinds[i].name, p, k) == 0)
				break;
		if (i == sizeof kinds / sizeof kinds[0])
			return -1;
		cli->only |= kinds[i].bit;
		p += n + (p[n] == ',');
	}
	return cli->only ? 0 : -1;
}

int cli_parse(struct cli *cli, int argc, char **argv)
{
	enum {
		OPT_SNAPSHOT = 256,
		OPT_COLOR,
		OPT_MAX_CONN,
		OPT_ALERT,
		OPT_CHECK,
		OPT_DAEMON,
		OPT_FOREGROUND,
		OPT_FORMAT,
		OPT_CHECKSUMS,
		OPT_ONLY,
		OPT_STATE,
		OPT_HOST,
		OPT_CONN,
		OPT_RING,
		OPT_VERSION
	};
	/* tcpdump's long names where it has them (--list-interfaces,
	 * --snapshot-length); --version has no letter, as in tcpdump, whose
	 * -V reads a list of files. */
	static const struct option longopts[] = {
		{"read", required_argument, NULL, 'r'},
		{"interface", required_argument, NULL, 'i'},
		{"snapshot-length", required_argument, NULL, 's'},
		{"list-interfaces", no_argument, NULL, 'D'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"config", required_argument, NULL, 'g'},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"daemon", no_argument, NULL, OPT_DAEMON},
		{"foreground", no_argument, NULL, OPT_FOREGROUND},
		{"snapshot", no_argument, NULL, OPT_SNAPSHOT},
		{"color", required_argument, NULL, OPT_COLOR},
		{"max-connections", required_argument, NULL, OPT_MAX_CONN},
		{"alert", required_argument, NULL, OPT_ALERT},
		{"checksums", required_argument, NULL, OPT_CHECKSUMS},
		{"only", required_argument, NULL, OPT_ONLY},
		{"state", required_argument, NULL, OPT_STATE},
		{"host", required_argument, NULL, OPT_HOST},
		{"conn", required_argument, NULL, OPT_CONN},
		{"ring-size", required_argument, NULL, OPT_RING},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	const char *filter_file = NULL;
	int c;

	memset(cli, 0, sizeof *cli);
	cli->color = -1;
	cli->max_connections = 0; /* 0: the configuration's */
	cli->checksums = -1;
	for (int i = 0; i < TCPFSM_NSTATES; i++)
		cli->alert_after[i] = -1;
	cli->shown.state = -1;
	cli->stall_unacked = cli->stall_zero_window = -1;
	cli->stall_retransmissions = cli->stall_keepalives = -1;
	opterr = 0;
	optind = 1;
	/* Letters as getopt(3) takes them, like tcpdump: -nnr FILE and
	 * -lnr FILE are -n -n -r FILE and -l -n -r FILE. */
	while ((c = getopt_long(argc, argv, ":r:i:c:s:F:g:w:Dlnqtvh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'r':
			cli->read_file = optarg;
			break;
		case 'i':
			cli->interface = optarg;
			break;
		case 'c':
			cli->count = parse_count(optarg, UINT64_MAX);
			if (cli->count)
				break;
			/* -c was the configuration's letter before it was
			 * tcpdump's count: a file still works, with a
			 * word. */
			if (!isdigit((unsigned char)optarg[0]) &&
			    access(optarg, R_OK) == 0) {
				fprintf(stderr,
					"tcpfsm: -c takes a packet count, as "
					"in tcpdump; reading %s as the "
					"configuration (give it with -g or "
					"--config)\n",
					optarg);
				cli->config = optarg;
				break;
			}
			return usage_error("-c takes a packet count from 1",
					   optarg);
		case 's': {
			uint64_t v = strcmp(optarg, "0") == 0
					     ? 262144
					     : parse_count(optarg, 262144);
			if (v < 64)
				return usage_error("-s takes a snap length "
						   "from 64 to 262144 (0: "
						   "262144)",
						   optarg);
			cli->snaplen = (uint32_t)v;
			break;
		}
		case 'F':
			/* -F was the format's letter before it was tcpdump's
			 * filter file: a format name that is no file still
			 * works, with a word. */
			if ((strcmp(optarg, "text") == 0 ||
			     strcmp(optarg, "json") == 0 ||
			     strcmp(optarg, "zeek") == 0) &&
			    access(optarg, F_OK) != 0) {
				fprintf(stderr,
					"tcpfsm: -F reads the filter from a "
					"file, as in tcpdump; taking %s as "
					"--format %s\n",
					optarg, optarg);
				cli->format = optarg[0] == 't'	 ? FORMAT_TEXT
					      : optarg[0] == 'j' ? FORMAT_JSON
								 : FORMAT_ZEEK;
				cli->format_set = 1;
				break;
			}
			filter_file = optarg;
			break;
		case 'g':
			cli->config = optarg;
			break;
		case 'w':
			cli->write_file = optarg;
			break;
		case 'D':
			cli->list_interfaces = 1;
			break;
		case 'l':
			cli->line_buffered = 1;
			break;
		case 'n': /* names are never resolved */
			break;
		case 'q':
			cli->quiet = 1;
			break;
		case 't':
			if (++cli->tflag > 5)
				return usage_error("only -t, -tt, -ttt, -tttt "
						   "and -ttttt are supported",
						   NULL);
			break;
		case 'v':
			cli->verbose++;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				cli->format = FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				cli->format = FORMAT_JSON;
			else if (strcmp(optarg, "zeek") == 0)
				cli->format = FORMAT_ZEEK;
			else
				return usage_error(
					"unknown format (text, json or zeek)",
					optarg);
			cli->format_set = 1;
			break;
		case OPT_CHECK:
			cli->check_config = 1;
			break;
		case OPT_DAEMON:
			cli->daemon = 1;
			break;
		case OPT_FOREGROUND:
			cli->foreground = 1;
			break;
		case OPT_SNAPSHOT:
			cli->snapshot = 1;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				cli->color = -1;
			else if (strcmp(optarg, "always") == 0)
				cli->color = 1;
			else if (strcmp(optarg, "never") == 0)
				cli->color = 0;
			else
				return usage_error(
					"--color takes auto, always or never",
					optarg);
			break;
		case OPT_MAX_CONN: {
			uint64_t v = parse_count(optarg, UINT32_MAX / 2);
			if (!v)
				return usage_error(
					"--max-connections takes a number "
					"from 1 to 2147483647",
					optarg);
			cli->max_connections = (uint32_t)v;
			break;
		}
		case OPT_ALERT:
			if (parse_alert(cli, optarg) < 0)
				return usage_error(
					"--alert takes STATE=DURATION, e.g. "
					"SYN_SENT=3s, for a state that can be "
					"stuck",
					optarg);
			break;
		case OPT_CHECKSUMS:
			if (strcmp(optarg, "verify") == 0)
				cli->checksums = TCPFSM_CHECKSUMS_VERIFY;
			else if (strcmp(optarg, "ignore") == 0)
				cli->checksums = TCPFSM_CHECKSUMS_IGNORE;
			else
				return usage_error(
					"--checksums takes verify or ignore",
					optarg);
			break;
		case OPT_ONLY:
			if (parse_only(cli, optarg) < 0)
				return usage_error(
					"--only takes transitions, alerts, "
					"resolved, conns or stats, or several "
					"with commas",
					optarg);
			break;
		case OPT_STATE: {
			char name[32];
			size_t i;
			for (i = 0; optarg[i] && i + 1 < sizeof name; i++)
				name[i] = (char)toupper(
					(unsigned char)(optarg[i] == '-'
								? '_'
								: optarg[i]));
			name[i] = '\0';
			cli->shown.state = tcpfsm_state_parse(name);
			if (cli->shown.state < 0)
				return usage_error("--state takes a state "
						   "name, e.g. SYN_SENT",
						   optarg);
			cli->filtered = 1;
			break;
		}
		case OPT_HOST:
			if (cli_parse_endpoint(optarg, &cli->shown.host_addr,
					       &cli->shown.host_port) < 0)
				return usage_error(
					"--host takes an address, with or "
					"without :PORT ([v6]:PORT)",
					optarg);
			cli->shown.host = 1;
			cli->filtered = 1;
			break;
		case OPT_CONN:
			cli->shown.conn = parse_count(optarg, UINT64_MAX);
			if (!cli->shown.conn) {
				if (cli_parse_endpoint(optarg, &cli->conn_addr,
						       &cli->conn_port) < 0)
					return usage_error(
						"--conn takes a connection "
						"number or ADDR:PORT",
						optarg);
				cli->conn_by_addr = 1;
			}
			cli->filtered = 1;
			break;
		case OPT_RING: {
			/* bytes, or with K, M or G (binary) */
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			int shift = *end == 'K' || *end == 'k'	 ? 10
				    : *end == 'M' || *end == 'm' ? 20
				    : *end == 'G' || *end == 'g' ? 30
								 : 0;
			if (shift)
				end++;
			if (errno || end == optarg || *end ||
			    !isdigit((unsigned char)optarg[0]) ||
			    v > (1ULL << 40) >> shift || (v << shift) < 65536)
				return usage_error("--ring-size takes a size "
						   "from 64K to 1024G, e.g. "
						   "16M",
						   optarg);
			cli->ring_size = (uint64_t)v << shift;
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return 0;
		case OPT_VERSION:
			printf("tcpfsm %s\n", TCPFSM_VERSION);
			return 0;
		case ':':
		default: {
			/* Name the option itself: a letter inside -nnX is no
			 * word of argv, and a long option has no letter. */
			char opt[3] = {'-', (char)optopt, '\0'};
			const char *word = argv[optind - 1];
			const char *name =
				optopt > 0 && optopt < 256 &&
						strncmp(word, "--", 2) != 0
					? opt
					: word;
			return usage_error(c == ':' ? "option needs a value"
						    : "unknown option",
					   name);
		}
		}
	}
	if (cli->list_interfaces)
		return -1;
	if (!cli->read_file && !cli->interface && !cli->config)
		return usage_error("nothing to read: give -r FILE, -i "
				   "INTERFACE or -g CONFIG",
				   NULL);
	if (cli->check_config && !cli->config)
		return usage_error("--check-config needs -g FILE", NULL);
	if (cli->foreground && !cli->daemon)
		return usage_error("--foreground goes with --daemon", NULL);
	if (cli->conn_by_addr && cli->shown.host)
		return usage_error("--conn ADDR:PORT and --host exclude each "
				   "other (--conn N does not)",
				   NULL);
	if (cli->conn_by_addr) {
		/* the connections with that endpoint: a host filter */
		cli->shown.host = 1;
		cli->shown.host_addr = cli->conn_addr;
		cli->shown.host_port = cli->conn_port;
	}
	if (cli->read_file && cli->interface)
		return usage_error("-r and -i exclude each other", NULL);
	if (filter_file && optind < argc)
		return usage_error("-F FILE and an expression on the command "
				   "line exclude each other",
				   NULL);
	if (filter_file) {
		cli->filter = read_filter_file(filter_file);
		if (!cli->filter) {
			fprintf(stderr, "tcpfsm: %s: %s\n", filter_file,
				strerror(errno));
			return 1;
		}
	} else if (optind < argc) {
		cli->filter = join_words(argc - optind, argv + optind);
		if (!cli->filter) {
			fputs("tcpfsm: out of memory\n", stderr);
			return 1;
		}
	}
	return -1;
}

void cli_free(struct cli *cli)
{
	free(cli->filter);
	cli->filter = NULL;
}
