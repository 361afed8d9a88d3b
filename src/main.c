/*
 * main.c - the tcpfsm program: configuration, signals, and the one pass from
 * capture to outputs.
 *
 * Order of start-up matters for a daemon: the configuration is validated
 * before anything starts; the capture is opened while still privileged; then
 * the process detaches, writes its pidfile, gives up root, and only then opens
 * its outputs, so that reopening them later (SIGHUP) needs no privilege.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "metrics.h"
#include "output/ladder.h"
#include "output/output.h"
#include "output/pcapw.h"
#include "output/ring.h"
#include "output/summary.h"
#include "output/text.h"
#include "tcpfsm.h"

static volatile sig_atomic_t interrupted, stop, hangup, snapshot_wanted;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hangup = 1;
	else if (sig == SIGUSR1)
		snapshot_wanted = 1;
	else
		stop = 1;
	interrupted = 1;
}

struct program {
	struct cli cli;
	struct config cfg;
	struct capture cap;
	struct output out[CONFIG_MAX_OUTPUTS];
	size_t n_out;
	struct tcpfsm *t;
	int detached; /* stderr is gone: report to syslog */
	/* Standard output a line at a time: -l, or a terminal (as tcpdump,
	 * and stdio, do) */
	int line_buffered;
	int64_t next_stats; /* wall time of the next periodic stats event */
	/* A text output wants the run's summary at its end (summary.h). */
	int want_summary;
	struct summary summary;
	/* --conn in text: the connection drawn as a ladder (ladder.h) */
	struct ladder *ladder;
	struct pcapw *pcapw; /* -w, reading a file */
	struct pring *pring; /* -w, from a pipe or live */
	int64_t next_metrics;
};

/* Runtime messages go to stderr, or to syslog once detached. */
static void report(struct program *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(struct program *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (p->detached) {
		vsyslog(LOG_ERR, fmt, ap);
	} else {
		fputs("tcpfsm: ", stderr);
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static void on_event(const struct tcpfsm_event *ev, void *user)
{
	struct program *p = user;
	if (p->ladder)
		ladder_event(p->ladder, ev);
	if (p->pcapw)
		pcapw_event(p->pcapw, ev);
	if (p->pring)
		pring_event(p->pring, ev);
	/* The summary sums up what was asked for: the connections shown. */
	if (p->want_summary &&
	    (!p->cli.filtered || output_filter_match(&p->cli.shown, ev)))
		summary_event(&p->summary, ev);
	for (size_t i = 0; i < p->n_out; i++) {
		output_deliver(&p->out[i], ev);
		if (p->line_buffered && p->out[i].sink == SINK_STDOUT)
			ob_flush(&p->out[i].ob);
	}
}

/* --conn with the text format draws a ladder. */
static int ladder_wanted(const struct cli *cli)
{
	return (cli->shown.conn || cli->conn_by_addr) &&
	       (!cli->format_set || cli->format == FORMAT_TEXT);
}

/* The ladder needs its packets again: from a file, read a second time. */
static int ladder_start(struct program *p)
{
	const char *file = p->cfg.capture.file;
	struct stat st;

	if (!ladder_wanted(&p->cli))
		return 0;
	if (!file || strcmp(file, "-") == 0 || stat(file, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		report(p, "--conn draws a connection from a capture file (-r "
			  "FILE); reading a pipe or live, --format json "
			  "--conn gives its events");
		return -1;
	}
	p->ladder = ladder_new(p->cli.shown.conn, &p->cli.conn_addr,
			       p->cli.conn_port);
	if (!p->ladder) {
		report(p, "out of memory");
		return -1;
	}
	return 0;
}

/* -w from what cannot be read twice (ring.h): a copy of the traffic kept
 * in a bounded ring. Before the capture opens: standard input is then
 * the tee's, and a live handle is opened while privileged. */
static int ring_prepare(struct program *p)
{
	const char *file = p->cfg.capture.file;
	struct output_filter only = p->cli.shown;
	int conn = p->cli.shown.conn || p->cli.conn_by_addr;
	char err[PCAP_ERRBUF_SIZE + 256];
	struct stat st;

	if (!p->cli.write_file || (file && strcmp(file, "-") != 0 &&
				   stat(file, &st) == 0 && S_ISREG(st.st_mode)))
		return 0; /* none, or a file: read again (pcapw.h) */
	only.host = p->cli.conn_by_addr;
	if (file) {
		if (strcmp(file, "-") != 0) { /* a FIFO: the tee reads it */
			int fd = open(file, O_RDONLY);
			if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
				report(p, "%s: %s", file, strerror(errno));
				return -1;
			}
			close(fd);
			free(p->cfg.capture.file);
			p->cfg.capture.file = strdup("-");
		}
		p->pring =
			pring_tee_stdin(p->cfg.capture.filter, p->cli.ring_size,
					conn ? &only : NULL, err, sizeof err);
	} else if (p->cfg.capture.interface) {
		p->pring = pring_open_live(
			p->cfg.capture.interface, (int)p->cfg.capture.snaplen,
			p->cfg.capture.promiscuous, p->cfg.capture.filter,
			p->cli.ring_size, conn ? &only : NULL, err, sizeof err);
	} else {
		return 0;
	}
	if (!p->pring) {
		report(p, "%s", err);
		return -1;
	}
	return 0;
}

/* -w: a second pass over the file writes the packets kept. */
static int pcapw_start(struct program *p)
{
	const char *file = p->cfg.capture.file;
	int conn = p->cli.shown.conn || p->cli.conn_by_addr;
	struct output_filter only = p->cli.shown;
	struct stat st;

	if (p->pring) {
		char err[PCAP_ERRBUF_SIZE + 256];
		if (pring_start(p->pring, p->cli.write_file, err, sizeof err) <
		    0) {
			report(p, "%s", err);
			return -1;
		}
		return 0;
	}
	if (!p->cli.write_file)
		return 0;
	if (!file || strcmp(file, "-") == 0 || stat(file, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		report(p, "-w: nothing to write from"); /* ring_prepare's */
		return -1;
	}
	only.host = p->cli.conn_by_addr;
	p->pcapw = pcapw_new(p->cli.write_file, conn ? &only : NULL);
	if (!p->pcapw) {
		report(p, "out of memory");
		return -1;
	}
	return 0;
}

static int pcapw_finish(struct program *p)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	uint64_t packets, conns;

	if (p->pring) {
		int rc = pring_stop(p->pring, &packets, err, sizeof err);
		p->pring = NULL;
		if (rc < 0) {
			report(p, "%s", err);
			return -1;
		}
		if (p->cli.verbose)
			fprintf(stderr, "tcpfsm: %s: %llu packets\n",
				p->cli.write_file, (unsigned long long)packets);
		return 0;
	}
	if (!p->pcapw)
		return 0;
	if (pcapw_write(p->pcapw, p->cfg.capture.file, p->cfg.capture.filter,
			&packets, &conns, err, sizeof err) < 0) {
		report(p, "%s", err);
		return -1;
	}
	if (p->cli.verbose)
		fprintf(stderr,
			"tcpfsm: %s: %llu packets of %llu connections\n",
			p->cli.write_file, (unsigned long long)packets,
			(unsigned long long)conns);
	return 0;
}

static int ladder_finish(struct program *p)
{
	char err[PCAP_ERRBUF_SIZE + 256];

	if (!p->ladder)
		return 0;
	for (size_t i = 0; i < p->n_out; i++)
		if (p->out[i].sink == SINK_STDOUT &&
		    p->out[i].format == FORMAT_TEXT) {
			if (ladder_draw(p->ladder, &p->out[i],
					p->cfg.capture.file,
					p->cfg.capture.filter, err,
					sizeof err) < 0) {
				report(p, "%s", err);
				return -1;
			}
			return 0;
		}
	return 0;
}

/* Folds the command line into the configuration: the command line wins. */
static void apply_cli(struct config *cfg, const struct cli *cli)
{
	if (cli->read_file || cli->interface) {
		free(cfg->capture.file);
		free(cfg->capture.interface);
		cfg->capture.file =
			cli->read_file ? strdup(cli->read_file) : NULL;
		cfg->capture.interface =
			cli->interface ? strdup(cli->interface) : NULL;
	}
	if (cli->filter) {
		free(cfg->capture.filter);
		cfg->capture.filter = strdup(cli->filter);
	}
	if (cli->format_set || !cli->config) {
		for (size_t i = 0; i < cfg->n_outputs; i++)
			free(cfg->outputs[i].path);
		memset(cfg->outputs, 0, sizeof cfg->outputs);
		cfg->n_outputs = 1;
		cfg->outputs[0].type = SINK_STDOUT;
		cfg->outputs[0].format = cli->format == FORMAT_JSON ? SINK_JSON
					 : cli->format == FORMAT_ZEEK
						 ? SINK_ZEEK
						 : SINK_TEXT;
		cfg->outputs[0].events = EVENTS_ALL;
	}
	/* -q: what needs a person's attention, on the terminal's output. */
	if (cli->quiet)
		for (size_t i = 0; i < cfg->n_outputs; i++)
			if (cfg->outputs[i].type == SINK_STDOUT)
				cfg->outputs[i].events &= EVENTS_ALERT |
							  EVENTS_RESOLVED |
							  EVENTS_STATS;
	/* --conn in text: the ladder takes the terminal's output, drawn at
	 * the end; the events' lines would say it twice. */
	if (ladder_wanted(cli))
		for (size_t i = 0; i < cfg->n_outputs; i++)
			if (cfg->outputs[i].type == SINK_STDOUT)
				cfg->outputs[i].events = 0;
	/* --only: what the terminal's output prints, as -q. */
	if (cli->only)
		for (size_t i = 0; i < cfg->n_outputs; i++)
			if (cfg->outputs[i].type == SINK_STDOUT)
				cfg->outputs[i].events &= cli->only;
	if (cli->snaplen)
		cfg->capture.snaplen = cli->snaplen;
	if (cli->max_connections)
		cfg->tracker.max_connections = cli->max_connections;
	if (cli->checksums >= 0)
		cfg->tracker.checksums = cli->checksums;
	for (int s = 0; s < TCPFSM_NSTATES; s++)
		if (cli->alert_after[s] >= 0)
			cfg->tracker.alert_after[s] = cli->alert_after[s];
	if (cli->stall_unacked >= 0)
		cfg->tracker.stall_unacked = cli->stall_unacked;
	if (cli->stall_zero_window >= 0)
		cfg->tracker.stall_zero_window = cli->stall_zero_window;
	if (cli->stall_retransmissions >= 0)
		cfg->tracker.stall_retransmissions =
			(uint32_t)cli->stall_retransmissions;
	if (cli->stall_keepalives >= 0)
		cfg->tracker.stall_keepalives = (uint32_t)cli->stall_keepalives;
}

static int open_outputs(struct program *p)
{
	char err[512];
	for (p->n_out = 0; p->n_out < p->cfg.n_outputs; p->n_out++)
		if (output_open(&p->out[p->n_out], &p->cfg.outputs[p->n_out],
				p->cli.color, err, sizeof err) < 0) {
			report(p, "output: %s", err);
			return -1;
		} else if (p->cli.filtered &&
			   p->out[p->n_out].sink == SINK_STDOUT) {
			/* --state, --host, --conn narrow what is printed */
			p->out[p->n_out].filtered = 1;
			p->out[p->n_out].filter = p->cli.shown;
		}
	return 0;
}

static void close_outputs(struct program *p)
{
	for (size_t i = 0; i < p->n_out; i++)
		if (output_close(&p->out[i]) < 0)
			report(p, "output: %s",
			       strerror(p->out[i].ob.saved_errno));
	p->n_out = 0;
}

static void emit_stats(struct program *p)
{
	struct tcpfsm_stats st = *tcpfsm_stats(p->t);
	capture_counters(&p->cap, &st);
	for (size_t i = 0; i < p->n_out; i++) {
		output_deliver_stats(&p->out[i], &st, tcpfsm_now(p->t));
		if (p->line_buffered && p->out[i].sink == SINK_STDOUT)
			ob_flush(&p->out[i].ob);
	}
}

static void write_metrics(struct program *p)
{
	char err[512];
	struct tcpfsm_stats st = *tcpfsm_stats(p->t);

	if (!p->cfg.metrics.textfile)
		return;
	capture_counters(&p->cap, &st);
	if (metrics_write(p->cfg.metrics.textfile, &st, err, sizeof err) < 0)
		report(p, "metrics: %s", err);
}

/* Reading a capture file loses no alert: folding still groups them (each
 * aggregate says how many), but the rate limit, which guards a live
 * sensor's outputs against a flood, would drop some for good; the reader
 * of a file has all the time it needs. Rate 0 is no limit. */
static void offline_lossless(const struct program *p, struct config *cfg)
{
	if (!p->cap.live)
		cfg->tracker.alert_rate = 0;
}

/* SIGHUP: reopen the outputs (logrotate), then re-read the configuration;
 * a bad new configuration is reported and the running one kept. */
static void reload(struct program *p)
{
	char err[512];
	struct config fresh;

	for (size_t i = 0; i < p->n_out; i++)
		if (output_reopen(&p->out[i], err, sizeof err) < 0)
			report(p, "reopening output: %s", err);
	if (!p->cli.config)
		return;
	config_defaults(&fresh);
	if (config_load(&fresh, p->cli.config, err, sizeof err) < 0) {
		report(p, "%s (configuration not reloaded)", err);
		config_free(&fresh);
		return;
	}
	apply_cli(&fresh, &p->cli);
	offline_lossless(p, &fresh);
	close_outputs(p);
	config_free(&p->cfg);
	p->cfg = fresh;
	if (open_outputs(p) < 0)
		report(p, "outputs of the reloaded configuration failed");
	tcpfsm_reconfigure(p->t, &p->cfg.tracker);
}

static void periodic(struct program *p)
{
	int64_t now = capture_wall_clock();

	if (p->cfg.stats_interval > 0 && now >= p->next_stats) {
		emit_stats(p);
		p->next_stats = now + p->cfg.stats_interval;
	}
	if (p->cfg.metrics.textfile && now >= p->next_metrics) {
		write_metrics(p);
		p->next_metrics = now + p->cfg.metrics.interval;
	}
	for (size_t i = 0; i < p->n_out; i++)
		ob_flush(&p->out[i].ob);
}

/* A mistake in a setting, at the key's place when the file gave it:
 * "FILE:LINE:COLUMN: what", as config_load() words its own. */
static void report_setting(struct program *p, struct config_mark at,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report_setting(struct program *p, struct config_mark at,
			   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (at.line && p->cli.config)
		report(p, "%s:%u:%u: %s", p->cli.config, at.line, at.column,
		       msg);
	else
		report(p, "%s", msg);
}

/* What libpcap can tell without opening anything: the filter compiles, the
 * interface exists. The command line's own values have no place in the
 * file to point at. */
static int check_capture_settings(struct program *p)
{
	const struct config *c = &p->cfg;
	char err[PCAP_ERRBUF_SIZE + 256];
	struct config_mark none = {0, 0};

	if (c->capture.filter &&
	    capture_check_filter(c->capture.filter, (int)c->capture.snaplen,
				 err, sizeof err) < 0) {
		report_setting(p, p->cli.filter ? none : c->capture.filter_at,
			       "capture.filter '%s': %s", c->capture.filter,
			       err);
		return -1;
	}
	if (c->capture.interface &&
	    capture_check_interface(c->capture.interface, err, sizeof err) <
		    0) {
		report_setting(
			p, p->cli.interface ? none : c->capture.interface_at,
			"capture.interface: %s", err);
		return -1;
	}
	if (daemon_check_user(c->daemon.user, c->daemon.group, 1, err,
			      sizeof err) < 0) {
		report(p, "%s", err);
		return -1;
	}
	return 0;
}

/* -i 2: the second interface tcpfsm -D lists, as in tcpdump (interface
 * names do not start with a digit). */
static int interface_by_number(struct program *p)
{
	const char *name = p->cfg.capture.interface;
	char err[PCAP_ERRBUF_SIZE + 64];

	if (!name || !*name || strspn(name, "0123456789") != strlen(name))
		return 0;
	char *real = capture_interface_by_number(
		(unsigned)strtoul(name, NULL, 10), err, sizeof err);
	if (!real) {
		report(p, "-i %s: %s", name, err);
		return -1;
	}
	free(p->cfg.capture.interface);
	p->cfg.capture.interface = real;
	return 0;
}

/* A daemon's start-up, tried before it detaches (daemon.h). */
static int preflight(struct program *p)
{
	const struct config *c = &p->cfg;
	struct daemon_path paths[CONFIG_MAX_OUTPUTS + 1];
	size_t n = 0;
	char err[1024];

	if (daemon_check_user(c->daemon.user, c->daemon.group,
			      c->daemon.allow_root, err, sizeof err) < 0 ||
	    (c->daemon.pidfile &&
	     daemon_check_pidfile(c->daemon.pidfile, err, sizeof err) < 0)) {
		report(p, "%s", err);
		return -1;
	}
	for (size_t i = 0; i < c->n_outputs; i++)
		if (c->outputs[i].type == SINK_FILE)
			paths[n++] =
				(struct daemon_path){c->outputs[i].path, 0};
	if (c->metrics.textfile)
		paths[n++] = (struct daemon_path){c->metrics.textfile, 1};
	if (daemon_check_paths(paths, n, c->daemon.user, c->daemon.group,
			       !p->cli.foreground, err, sizeof err) < 0) {
		report(p, "%s", err);
		return -1;
	}
	return 0;
}

static int open_capture(struct program *p)
{
	const struct config *c = &p->cfg;
	int rc;

	if (c->capture.file)
		rc = capture_open_file(&p->cap, c->capture.file);
	else if (c->capture.interface)
		rc = capture_open_live(
			&p->cap, c->capture.interface, (int)c->capture.snaplen,
			c->capture.promiscuous, c->capture.buffer_size);
	else {
		report(p, "nothing to capture: give -r FILE, -i INTERFACE, or "
			  "capture.interface in the configuration");
		return -1;
	}
	if (rc < 0 || (c->capture.filter &&
		       capture_set_filter(&p->cap, c->capture.filter) < 0)) {
		report(p, "%s", p->cap.err);
		return -1;
	}
	p->cap.opts = &c->tracker;
	return 0;
}

/* The main loop: capture, and between bursts, signals and periodic work. */
static int run(struct program *p)
{
	int status = 0;

	for (;;) {
		enum capture_status rc =
			capture_run(&p->cap, p->t, &interrupted);
		interrupted = 0;
		if (hangup) {
			hangup = 0;
			reload(p);
		}
		if (snapshot_wanted) {
			snapshot_wanted = 0;
			for (size_t i = 0; i < p->n_out; i++)
				snapshot_write(&p->out[i], p->t,
					       tcpfsm_now(p->t));
		}
		if (p->cap.live)
			periodic(p);
		else if (rc == CAPTURE_IDLE)
			for (size_t i = 0; i < p->n_out; i++)
				ob_flush(&p->out[i].ob);
		if (rc == CAPTURE_ERROR) {
			report(p, "%s", p->cap.err);
			status = 1;
			break;
		}
		if (rc == CAPTURE_EOF || stop)
			break;
	}
	return status;
}

/* A text output that a person reads to the end: the final counters go
 * there, and syslog has no end to read. */
static int wants_summary(const struct output *o)
{
	return o->format == FORMAT_TEXT && o->sink != SINK_SYSLOG &&
	       (o->events & EVENTS_STATS);
}

static void finish(struct program *p)
{
	if (p->cap.live)
		tcpfsm_advance(p->t, capture_wall_clock());
	if (p->cli.snapshot)
		for (size_t i = 0; i < p->n_out; i++)
			snapshot_write(&p->out[i], p->t, tcpfsm_now(p->t));
	/* What was still tracked as the capture ends, which finishing ends. */
	struct tcpfsm_stats open = *tcpfsm_stats(p->t);
	if (p->want_summary && !p->cli.filtered)
		summary_listeners(&p->summary, p->t);
	tcpfsm_finish(p->t);
	/* The counters once the last events are out (the connections' ends,
	 * the aggregates still folding), with what was still tracked. */
	struct tcpfsm_stats final = *tcpfsm_stats(p->t);
	final.active = open.active;
	memcpy(final.state, open.state, sizeof final.state);
	capture_counters(&p->cap, &final);
	zeek_log_close(p->out, p->n_out, tcpfsm_now(p->t));
	for (size_t i = 0; i < p->n_out; i++) {
		output_deliver_stats(&p->out[i], &final, tcpfsm_now(p->t));
		if (p->want_summary && wants_summary(&p->out[i]))
			summary_write(&p->out[i], &p->summary, &final);
	}
	write_metrics(p);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	/* A read from a pipe interrupted half-way through a record would
	 * lose its place in the capture: restart it. The waits that must
	 * see a signal at once (poll, the reader's timed wait) return
	 * anyway. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

int main(int argc, char **argv)
{
	static struct program prog; /* large output buffers: not on the stack */
	struct program *p = &prog;
	char err[512];
	int status = 0;

	int rc = cli_parse(&p->cli, argc, argv);
	if (rc >= 0)
		return rc;
	if (p->cli.list_interfaces) {
		if (capture_list_interfaces(stdout, err, sizeof err) == 0)
			return 0;
		fprintf(stderr, "tcpfsm: %s\n", err);
		return 1;
	}
	text_configure((enum text_time)p->cli.tflag, p->cli.verbose);
	p->line_buffered = p->cli.line_buffered || isatty(STDOUT_FILENO);

	/* 1. Configuration: everything is checked before anything starts. */
	config_defaults(&p->cfg);
	if (p->cli.config &&
	    config_load(&p->cfg, p->cli.config, err, sizeof err) < 0) {
		fprintf(stderr, "tcpfsm: %s\n", err);
		status = 2;
		goto out;
	}
	apply_cli(&p->cfg, &p->cli);
	if (interface_by_number(p) < 0) {
		status = 2;
		goto out;
	}
	if ((p->cli.check_config || p->cli.daemon) &&
	    check_capture_settings(p) < 0) {
		status = 2;
		goto out;
	}
	if (p->cli.check_config) {
		printf("%s: configuration OK\n", p->cli.config);
		goto out;
	}

	/* 2. The capture, while privileged; then everything that could fail
	 * once detached, while a terminal can still be told. */
	if (ring_prepare(p) < 0 || open_capture(p) < 0 ||
	    (p->cli.daemon && preflight(p) < 0)) {
		status = 1;
		goto out;
	}
	p->cap.limit = p->cli.count;
	offline_lossless(p, &p->cfg);

	/* 3. Detach, pidfile, give up root. */
	if (p->cli.daemon && !p->cli.foreground) {
		if (daemon_detach(err, sizeof err) < 0) {
			report(p, "%s", err);
			status = 1;
			goto out;
		}
		p->detached = 1;
		openlog("tcpfsm", LOG_PID, LOG_DAEMON);
	}
	if (p->cli.daemon && p->cfg.daemon.pidfile &&
	    daemon_write_pidfile(p->cfg.daemon.pidfile, err, sizeof err) < 0) {
		report(p, "%s", err);
		status = 1;
		goto out;
	}
	if ((p->cli.daemon || p->cfg.daemon.user) &&
	    daemon_drop_privileges(p->cfg.daemon.user, p->cfg.daemon.group,
				   p->cfg.daemon.allow_root || !p->cli.daemon,
				   err, sizeof err) < 0) {
		report(p, "%s", err);
		status = 1;
		goto out_pidfile;
	}

	/* 4. Outputs and the tracker. */
	if (open_outputs(p) < 0) {
		status = 1;
		goto out_outputs;
	}
	summary_init(&p->summary);
	for (size_t i = 0; i < p->n_out; i++)
		p->want_summary |= wants_summary(&p->out[i]);
	if (ladder_start(p) < 0 || pcapw_start(p) < 0) {
		status = 1;
		goto out_outputs;
	}
	/* Zeek's conn view only when something shows its records: end lines,
	 * conn events, conn.log rows, the ladder's end, the closing summary. */
	p->cfg.tracker.conn_records = p->want_summary || p->ladder;
	for (size_t i = 0; i < p->n_out; i++)
		if (p->out[i].events & EVENTS_CONN)
			p->cfg.tracker.conn_records = 1;
	p->t = tcpfsm_new(&p->cfg.tracker, on_event, p);
	if (!p->t) {
		report(p, "out of memory");
		status = 1;
		goto out_outputs;
	}
	install_signals();
	p->next_stats = capture_wall_clock() + p->cfg.stats_interval;

	status = run(p);
	finish(p);
	if (ladder_finish(p) < 0 || pcapw_finish(p) < 0)
		status = 1;

	tcpfsm_free(p->t);
out_outputs:
	for (size_t i = 0; i < p->n_out; i++)
		if (ob_flush(&p->out[i].ob) < 0) {
			report(p, "writing output: %s",
			       strerror(p->out[i].ob.saved_errno));
			status = 1;
		}
	close_outputs(p);
	summary_free(&p->summary);
	ladder_free(p->ladder);
	pcapw_free(p->pcapw);
out_pidfile:
	if (p->cli.daemon)
		daemon_remove_pidfile(p->cfg.daemon.pidfile);
out:
	capture_close(&p->cap);
	config_free(&p->cfg);
	cli_free(&p->cli);
	return status;
}
