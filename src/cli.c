/*
 * cli.c - the command line, in the manner of tcpdump: options, then an
 * optional filter expression.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"Usage: tcpfsm [options] -r FILE [filter expression]\n"
	"       tcpfsm [options] -i INTERFACE [filter expression]\n"
	"       tcpfsm -c FILE [--daemon [--foreground]] [options]\n"
	"\n"
	"Infers the RFC 793 state of both endpoints of every TCP connection\n"
	"and prints each state change as it happens.\n"
	"\n"
	"  -r, --read FILE         read a pcap or pcapng file (- for stdin)\n"
	"  -i, --interface IFACE   capture live on IFACE\n"
	"  -F, --format FORMAT     text (default), json (one object a line),\n"
	"                          or zeek (Zeek's conn.log)\n"
	"  -c, --config FILE       read settings from a YAML file (see\n"
	"                          tcpfsm(8)); options given here override it\n"
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
	"                          0 disables); repeatable\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"The filter expression is a pcap filter, as with tcpdump, e.g.\n"
	"  tcpfsm -r capture.pcap 'port 443'\n"
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

/* "SYN_SENT=3s" (state names in either case). */
static int parse_alert(struct cli *cli, const char *arg)
{
	char name[32];
	const char *eq = strchr(arg, '=');

	if (!eq || (size_t)(eq - arg) >= sizeof name)
		return -1;
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

int cli_parse(struct cli *cli, int argc, char **argv)
{
	enum {
		OPT_SNAPSHOT = 256,
		OPT_COLOR,
		OPT_MAX_CONN,
		OPT_ALERT,
		OPT_CHECK,
		OPT_DAEMON,
		OPT_FOREGROUND
	};
	static const struct option longopts[] = {
		{"read", required_argument, NULL, 'r'},
		{"interface", required_argument, NULL, 'i'},
		{"format", required_argument, NULL, 'F'},
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"daemon", no_argument, NULL, OPT_DAEMON},
		{"foreground", no_argument, NULL, OPT_FOREGROUND},
		{"snapshot", no_argument, NULL, OPT_SNAPSHOT},
		{"color", required_argument, NULL, OPT_COLOR},
		{"max-connections", required_argument, NULL, OPT_MAX_CONN},
		{"alert", required_argument, NULL, OPT_ALERT},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(cli, 0, sizeof *cli);
	cli->color = -1;
	cli->max_connections = 0; /* 0: the configuration's */
	for (int i = 0; i < TCPFSM_NSTATES; i++)
		cli->alert_after[i] = -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":r:i:F:c:hV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'r':
			cli->read_file = optarg;
			break;
		case 'i':
			cli->interface = optarg;
			break;
		case 'F':
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
		case 'c':
			cli->config = optarg;
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
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || v == 0 ||
			    v > UINT32_MAX / 2 || optarg[0] == '-')
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
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("tcpfsm %s\n", TCPFSM_VERSION);
			return 0;
		case ':':
			return usage_error("option needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (!cli->read_file && !cli->interface && !cli->config)
		return usage_error("nothing to read: give -r FILE, -i "
				   "INTERFACE or -c CONFIG",
				   NULL);
	if (cli->check_config && !cli->config)
		return usage_error("--check-config needs -c FILE", NULL);
	if (cli->foreground && !cli->daemon)
		return usage_error("--foreground goes with --daemon", NULL);
	if (cli->read_file && cli->interface)
		return usage_error("-r and -i exclude each other", NULL);
	if (optind < argc) {
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
