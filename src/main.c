/*
 * main.c - the tcpfsm program: command line, signals, and the one pass from
 * capture to output.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "output/output.h"
#include "tcpfsm.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_event(const struct tcpfsm_event *ev, void *user)
{
	output_event(user, ev);
}

static int use_color(int setting)
{
	if (setting >= 0)
		return setting;
	const char *no = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && !(no && *no);
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct capture cap;
	int status = 0;

	int rc = cli_parse(&cli, argc, argv);
	if (rc >= 0)
		return rc;

	static struct output out; /* large buffer: not on the stack */
	out.format = cli.format;
	out.color = out.format == FORMAT_TEXT && use_color(cli.color);
	ob_init(&out.ob, stdout);

	if ((cli.read_file ? capture_open_file(&cap, cli.read_file)
			   : capture_open_live(&cap, cli.interface)) < 0 ||
	    (cli.filter && capture_set_filter(&cap, cli.filter) < 0)) {
		fprintf(stderr, "tcpfsm: %s\n", cap.err);
		capture_close(&cap);
		cli_free(&cli);
		return 1;
	}

	struct tcpfsm_options opts;
	tcpfsm_options_default(&opts);
	opts.max_connections = cli.max_connections;
	for (int s = 0; s < TCPFSM_NSTATES; s++)
		if (cli.alert_after[s] >= 0)
			opts.alert_after[s] = cli.alert_after[s];
	struct tcpfsm *t = tcpfsm_new(&opts, on_event, &out);
	if (!t) {
		fputs("tcpfsm: out of memory\n", stderr);
		capture_close(&cap);
		cli_free(&cli);
		return 1;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* A read error (a truncated file) still reports what came before it. */
	int read_failed = capture_run(&cap, t, &stop) < 0;

	/* Offline, time is the last packet's; live, it is now. */
	if (cap.live)
		tcpfsm_advance(t, capture_wall_clock());
	if (cli.snapshot)
		snapshot_write(&out, t, tcpfsm_now(t));
	/* The counters as the capture ends, with what was still tracked. */
	struct tcpfsm_stats final = *tcpfsm_stats(t);
	tcpfsm_finish(t);
	output_stats(&out, &final, tcpfsm_now(t));
	if (ob_flush(&out.ob) < 0) {
		fprintf(stderr, "tcpfsm: writing output: %s\n",
			strerror(out.ob.saved_errno));
		status = 1;
	}
	if (read_failed) {
		fprintf(stderr, "tcpfsm: %s\n", cap.err);
		status = 1;
	}

	tcpfsm_free(t);
	capture_close(&cap);
	cli_free(&cli);
	return status;
}
