/*
 * test_config.c - the YAML configuration file (src/config.c).
 *
 * The example config/tcpfsm.yaml must equal the defaults; a file setting
 * every key must land in every field; each class of mistake has its file in
 * tests/config/errors/ and its exact message, line and column included.
 * Inputs that cannot live in a text file (bad UTF-8, NUL bytes, megabytes)
 * are written to a temporary file. Under ASan/LSan every error path is also
 * checked for leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#ifndef CONFIG_TESTS_DIR
#error "CONFIG_TESTS_DIR: tests/config in the source tree"
#endif
#ifndef CONFIG_EXAMPLE
#error "CONFIG_EXAMPLE: config/tcpfsm.yaml in the source tree"
#endif

#define S(x) ((int64_t)(x) * 1000000)

static char tmp_dir[64];
static char tmp_path[96];

static int setup(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR");
	snprintf(tmp_dir, sizeof tmp_dir, "%s/tcpfsm-config-XXXXXX",
		 base && strlen(base) < 32 ? base : "/tmp");
	if (!mkdtemp(tmp_dir))
		return -1;
	snprintf(tmp_path, sizeof tmp_path, "%s/test.yaml", tmp_dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(tmp_path);
	return rmdir(tmp_dir);
}

/* Test memory: failing to get it ends the run. */
static void *xcalloc(size_t n)
{
	void *p = calloc(1, n);
	if (!p)
		abort();
	return p;
}

static void write_tmp(const void *data, size_t len)
{
	/* A new file each time: truncating one just written makes ext4 wait
	 * for its writeback (auto_da_alloc), thousands of times. */
	unlink(tmp_path);
	FILE *fp = fopen(tmp_path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* ------------------------------------------------------------------ */

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Everything but cfg->path. */
static void assert_config_equal(const struct config *a, const struct config *b)
{
	assert_true(str_eq(a->capture.interface, b->capture.interface));
	assert_true(str_eq(a->capture.file, b->capture.file));
	assert_true(str_eq(a->capture.filter, b->capture.filter));
	assert_int_equal(a->capture.snaplen, b->capture.snaplen);
	assert_int_equal(a->capture.promiscuous, b->capture.promiscuous);
	assert_int_equal(a->capture.buffer_size, b->capture.buffer_size);

	const struct tcpfsm_options *x = &a->tracker, *y = &b->tracker;
	assert_int_equal(x->max_connections, y->max_connections);
	assert_int_equal(x->idle_timeout, y->idle_timeout);
	assert_int_equal(x->closed_linger, y->closed_linger);
	assert_int_equal(x->midstream, y->midstream);
	assert_int_equal(x->checksums, y->checksums);
	for (int s = 0; s < TCPFSM_NSTATES; s++) {
		assert_int_equal(x->host_timeout[s], y->host_timeout[s]);
		assert_int_equal(x->alert_after[s], y->alert_after[s]);
	}
	assert_int_equal(x->aggregate_window, y->aggregate_window);
	assert_int_equal(x->alert_rate, y->alert_rate);

	assert_int_equal(a->n_outputs, b->n_outputs);
	for (size_t i = 0; i < a->n_outputs; i++) {
		const struct output_config *p = &a->outputs[i],
					   *q = &b->outputs[i];
		assert_int_equal(p->type, q->type);
		assert_int_equal(p->format, q->format);
		assert_true(str_eq(p->path, q->path));
		assert_int_equal(p->syslog_facility, q->syslog_facility);
		assert_int_equal(p->events, q->events);
	}

	assert_true(str_eq(a->daemon.pidfile, b->daemon.pidfile));
	assert_true(str_eq(a->daemon.user, b->daemon.user));
	assert_true(str_eq(a->daemon.group, b->daemon.group));
	assert_int_equal(a->daemon.allow_root, b->daemon.allow_root);
	assert_true(str_eq(a->metrics.textfile, b->metrics.textfile));
	assert_int_equal(a->metrics.interval, b->metrics.interval);
	assert_int_equal(a->stats_interval, b->stats_interval);
}

static void assert_is_defaults(const struct config *cfg)
{
	struct config def;
	config_defaults(&def);
	assert_config_equal(cfg, &def);
	config_free(&def);
}

/* Loads path, which must fail with "PATH:" + want; cfg is then the defaults
 * and config_free() frees whatever the walk had allocated. */
static void expect_error_path(const char *path, const char *want)
{
	struct config cfg;
	char err[512], full[1024];

	assert_int_equal(config_load(&cfg, path, err, sizeof err), -1);
	snprintf(full, sizeof full, "%s:%s", path, want);
	assert_string_equal(err, full);
	assert_null(cfg.path);
	assert_is_defaults(&cfg);
	config_free(&cfg);
}

static void expect_error(const char *name, const char *want)
{
	char path[512];
	snprintf(path, sizeof path, "%s/errors/%s", CONFIG_TESTS_DIR, name);
	expect_error_path(path, want);
}

static void expect_error_text(const char *yaml, const char *want)
{
	write_tmp(yaml, strlen(yaml));
	expect_error_path(tmp_path, want);
}

static void load_text(struct config *cfg, const char *yaml)
{
	char err[512];
	write_tmp(yaml, strlen(yaml));
	int rc = config_load(cfg, tmp_path, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
}

/* ------------------------------------------------------------------ */
/* Good files                                                          */

static void test_defaults(void **state)
{
	(void)state;
	struct config cfg;
	struct tcpfsm_options opts;

	config_defaults(&cfg);
	tcpfsm_options_default(&opts);
	assert_null(cfg.path);
	assert_null(cfg.capture.interface);
	assert_null(cfg.capture.file);
	assert_null(cfg.capture.filter);
	assert_int_equal(cfg.capture.snaplen, 256);
	assert_int_equal(cfg.capture.promiscuous, 1);
	assert_int_equal(cfg.capture.buffer_size, 64 << 20);
	assert_memory_equal(&cfg.tracker, &opts, sizeof opts);
	assert_int_equal(cfg.n_outputs, 1);
	assert_int_equal(cfg.outputs[0].type, SINK_STDOUT);
	assert_int_equal(cfg.outputs[0].format, SINK_TEXT);
	assert_null(cfg.outputs[0].path);
	assert_int_equal(cfg.outputs[0].events, EVENTS_ALL);
	assert_null(cfg.daemon.pidfile);
	assert_null(cfg.daemon.user);
	assert_null(cfg.daemon.group);
	assert_int_equal(cfg.daemon.allow_root, 0);
	assert_null(cfg.metrics.textfile);
	assert_int_equal(cfg.metrics.interval, S(15));
	assert_int_equal(cfg.stats_interval, S(60));
	config_free(&cfg);
	config_free(&cfg); /* freeing twice is harmless */
}

/* The documented example states every default: loading it changes nothing. */
static void test_example_is_defaults(void **state)
{
	(void)state;
	struct config cfg;
	char err[512];

	int rc = config_load(&cfg, CONFIG_EXAMPLE, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.path, CONFIG_EXAMPLE);
	assert_is_defaults(&cfg);
	config_free(&cfg);
}

/* The example names every key the loader knows: each key of all_keys.yaml
 * (which sets them all) appears in it, after its section's heading. */
static void test_example_lists_every_key(void **state)
{
	(void)state;
	char path[512], line[512], want[160];
	const char *section = NULL;
	char *text;
	FILE *keys, *ex;
	long len;

	ex = fopen(CONFIG_EXAMPLE, "rb");
	assert_non_null(ex);
	assert_int_equal(fseek(ex, 0, SEEK_END), 0);
	len = ftell(ex);
	rewind(ex);
	text = xcalloc((size_t)len + 1);
	assert_int_equal(fread(text, 1, (size_t)len, ex), (size_t)len);
	fclose(ex);

	snprintf(path, sizeof path, "%s/all_keys.yaml", CONFIG_TESTS_DIR);
	keys = fopen(path, "r");
	assert_non_null(keys);
	while (fgets(line, sizeof line, keys)) {
		char key[64];
		const char *p = line + strspn(line, " -");
		if (line[0] == '#' || sscanf(p, "%63[a-z_0-9]:", key) != 1)
			continue;
		if (line[0] != ' ') {
			snprintf(want, sizeof want, "\n%s:", key);
			section = strstr(text, want);
			if (!section)
				fail_msg("section '%s' is not in %s", key,
					 CONFIG_EXAMPLE);
			continue;
		}
		snprintf(want, sizeof want, "%s", key);
		if (!section || !strstr(section, want))
			fail_msg("key '%s' is not in %s", key, CONFIG_EXAMPLE);
	}
	/* the one key all_keys.yaml cannot set beside interface */
	assert_non_null(strstr(text, "\n  file:"));
	fclose(keys);
	free(text);
}

static void test_every_key_applied(void **state)
{
	(void)state;
	struct config cfg;
	char path[512], err[512];

	snprintf(path, sizeof path, "%s/all_keys.yaml", CONFIG_TESTS_DIR);
	int rc = config_load(&cfg, path, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);

	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.capture.interface, "eth1");
	assert_null(cfg.capture.file);
	assert_string_equal(cfg.capture.filter,
			    "tcp port 443 and not host 10.0.0.1");
	assert_int_equal(cfg.capture.snaplen, 128);
	assert_int_equal(cfg.capture.promiscuous, 0);
	assert_int_equal(cfg.capture.buffer_size, 16 << 20);

	const struct tcpfsm_options *o = &cfg.tracker;
	assert_int_equal(o->max_connections, 5000);
	assert_int_equal(o->idle_timeout, S(600));
	assert_int_equal(o->closed_linger, 2500000);
	assert_int_equal(o->midstream, 0);
	assert_int_equal(o->checksums, TCPFSM_CHECKSUMS_IGNORE);
	assert_int_equal(o->host_timeout[TCPFSM_SYN_SENT], S(1));
	assert_int_equal(o->host_timeout[TCPFSM_SYN_RECEIVED], S(2));
	assert_int_equal(o->host_timeout[TCPFSM_FIN_WAIT_1], S(3));
	assert_int_equal(o->host_timeout[TCPFSM_FIN_WAIT_2], S(4));
	assert_int_equal(o->host_timeout[TCPFSM_CLOSING], S(5));
	assert_int_equal(o->host_timeout[TCPFSM_TIME_WAIT], S(6));
	assert_int_equal(o->host_timeout[TCPFSM_LAST_ACK], S(7));
	assert_int_equal(o->alert_after[TCPFSM_SYN_SENT], 100000);
	assert_int_equal(o->alert_after[TCPFSM_SYN_RECEIVED], 200000);
	assert_int_equal(o->alert_after[TCPFSM_FIN_WAIT_1], 300000);
	assert_int_equal(o->alert_after[TCPFSM_CLOSING], 400000);
	assert_int_equal(o->alert_after[TCPFSM_LAST_ACK], 500000);
	assert_int_equal(o->alert_after[TCPFSM_FIN_WAIT_2], 0);
	assert_int_equal(o->alert_after[TCPFSM_CLOSE_WAIT], S(3600));
	assert_int_equal(o->aggregate_window, 0);
	assert_int_equal(o->alert_rate, 0);
	/* states without a key keep their defaults */
	struct tcpfsm_options def;
	tcpfsm_options_default(&def);
	for (int s = TCPFSM_CLOSED; s <= TCPFSM_ESTABLISHED; s += 1) {
		if (s == TCPFSM_SYN_SENT || s == TCPFSM_SYN_RECEIVED)
			continue;
		assert_int_equal(o->host_timeout[s], def.host_timeout[s]);
		assert_int_equal(o->alert_after[s], def.alert_after[s]);
	}

	assert_int_equal(cfg.n_outputs, 4);
	assert_int_equal(cfg.outputs[0].type, SINK_STDOUT);
	assert_int_equal(cfg.outputs[0].format, SINK_JSON);
	assert_null(cfg.outputs[0].path);
	assert_int_equal(cfg.outputs[0].events, EVENTS_ALERT);
	assert_int_equal(cfg.outputs[1].type, SINK_FILE);
	assert_int_equal(cfg.outputs[1].format, SINK_ZEEK);
	assert_string_equal(cfg.outputs[1].path, "/var/log/tcpfsm/conn.log");
	assert_int_equal(cfg.outputs[1].events, EVENTS_CONN);
	assert_int_equal(cfg.outputs[2].type, SINK_SYSLOG);
	assert_int_equal(cfg.outputs[2].format, SINK_JSON);
	assert_int_equal(cfg.outputs[2].syslog_facility, LOG_LOCAL5);
	assert_int_equal(cfg.outputs[2].events,
			 EVENTS_ALERT | EVENTS_RESOLVED | EVENTS_STATS);
	assert_int_equal(cfg.outputs[3].type, SINK_FILE);
	assert_int_equal(cfg.outputs[3].format, SINK_TEXT);
	assert_string_equal(cfg.outputs[3].path, "/var/log/tcpfsm/events.txt");
	assert_int_equal(cfg.outputs[3].events, EVENTS_ALL);

	assert_string_equal(cfg.daemon.pidfile, "/run/tcpfsm.pid");
	assert_string_equal(cfg.daemon.user, "tcpfsm");
	assert_string_equal(cfg.daemon.group, "adm");
	assert_int_equal(cfg.daemon.allow_root, 1);
	assert_string_equal(cfg.metrics.textfile,
			    "/var/lib/node_exporter/textfile/tcpfsm.prom");
	assert_int_equal(cfg.metrics.interval, S(30));
	assert_int_equal(cfg.stats_interval, 0);
	config_free(&cfg);
}

static void test_capture_file(void **state)
{
	(void)state;
	struct config cfg;
	load_text(&cfg, "capture:\n  file: \"-\"\n");
	assert_string_equal(cfg.capture.file, "-");
	assert_null(cfg.capture.interface);
	config_free(&cfg);
}

/* What an output is when keys are left out. */
static void test_output_defaults(void **state)
{
	(void)state;
	struct config cfg;
	load_text(&cfg, "outputs:\n"
			"  - type: syslog\n"
			"  - type: file\n"
			"    path: out.txt\n"
			"  - {type: stdout, format: zeek}\n");
	assert_int_equal(cfg.n_outputs, 3);
	assert_int_equal(cfg.outputs[0].format, SINK_TEXT);
	assert_int_equal(cfg.outputs[0].syslog_facility, LOG_DAEMON);
	assert_int_equal(cfg.outputs[0].events,
			 EVENTS_ALERT | EVENTS_RESOLVED);
	assert_int_equal(cfg.outputs[1].format, SINK_TEXT);
	assert_int_equal(cfg.outputs[1].events, EVENTS_ALL);
	assert_int_equal(cfg.outputs[2].format, SINK_ZEEK);
	assert_int_equal(cfg.outputs[2].events, EVENTS_ALL);
	config_free(&cfg);

	/* exactly as many as allowed */
	char text[1024] = "outputs:\n";
	for (int i = 0; i < CONFIG_MAX_OUTPUTS; i++)
		strcat(text, "  - type: stdout\n");
	load_text(&cfg, text);
	assert_int_equal(cfg.n_outputs, CONFIG_MAX_OUTPUTS);
	config_free(&cfg);
}

/* Empty sections, empty optional values and null keep the defaults. */
static void test_empty_values(void **state)
{
	(void)state;
	struct config cfg;
	load_text(&cfg, "capture:\n"
			"  interface: ~\n"
			"  filter: \"\"\n"
			"  file: null\n"
			"tracking:\n"
			"alerts: {}\n"
			"outputs:\n"
			"daemon:\n"
			"  pidfile:\n"
			"metrics: {textfile: }\n");
	assert_is_defaults(&cfg);
	config_free(&cfg);
}

static void test_booleans(void **state)
{
	(void)state;
	static const char *const yes[] = {"true", "True", "TRUE", "yes",
					  "Yes", "on", "ON", "\"true\""};
	static const char *const no[] = {"false", "False", "FALSE", "no",
					 "No", "off", "OFF", "'false'"};
	struct config cfg;
	char text[128];

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		snprintf(text, sizeof text,
			 "capture: {promiscuous: %s}\n"
			 "daemon: {allow_root: %s}\n",
			 no[i], yes[i]);
		load_text(&cfg, text);
		assert_int_equal(cfg.capture.promiscuous, 0);
		assert_int_equal(cfg.daemon.allow_root, 1);
		config_free(&cfg);
	}
	expect_error_text("tracking:\n  midstream: 1\n",
			  "2:14: tracking.midstream: expected true or false, "
			  "found '1'");
}

/* Flow style, quoted numbers, standard tags and anchors without aliases
 * are all plain YAML and accepted. */
static void test_yaml_forms(void **state)
{
	(void)state;
	struct config cfg;
	load_text(&cfg, "%YAML 1.1\n"
			"---\n"
			"capture: {snaplen: \"512\", buffer_size: !!str 1MiB}\n"
			"tracking:\n"
			"  max_connections: &n 42\n"
			"  idle_timeout: !!str 1m\n"
			"...\n");
	assert_int_equal(cfg.capture.snaplen, 512);
	assert_int_equal(cfg.capture.buffer_size, 1 << 20);
	assert_int_equal(cfg.tracker.max_connections, 42);
	assert_int_equal(cfg.tracker.idle_timeout, S(60));
	config_free(&cfg);
}

/* ------------------------------------------------------------------ */
/* One test per class of mistake                                       */

static void test_error_unknown_key(void **state)
{
	(void)state;
	expect_error("unknown_key.yaml",
		     "4:3: unknown key 'treshold' in alerts (did you mean "
		     "'thresholds'?)");
	expect_error("unknown_key_no_guess.yaml",
		     "3:3: unknown key 'colour' in tracking (expected "
		     "max_connections, idle_timeout, closed_linger, midstream, "
		     "checksums or host_timers)");
	expect_error("unknown_section.yaml",
		     "1:1: unknown section 'captur' (did you mean 'capture'?)");
	expect_error("key_outside_section.yaml",
		     "2:1: unknown section 'snaplen' (did you mean "
		     "'capture.snaplen'?)");
	expect_error("unknown_state.yaml",
		     "3:5: unknown key 'established' in alerts.thresholds "
		     "(expected syn_sent, syn_received, fin_wait_1, fin_wait_2, "
		     "closing, close_wait or last_ack)");
	/* case and dashes do not hide the key meant */
	expect_error_text("tracking:\n  Max-Connections: 5\n",
			  "2:3: unknown key 'Max-Connections' in tracking "
			  "(did you mean 'max_connections'?)");
	expect_error_text("tracking:\n  host_timers:\n    time-wait: 1s\n",
			  "3:5: unknown key 'time-wait' in tracking.host_timers "
			  "(did you mean 'time_wait'?)");
}

static void test_error_wrong_type(void **state)
{
	(void)state;
	expect_error("type_mapping_for_scalar.yaml",
		     "2:12: capture.snaplen: expected a whole number from 64 "
		     "to 262144, found a mapping");
	expect_error("type_list_for_mapping.yaml",
		     "2:16: tracking.host_timers: expected a mapping with keys "
		     "such as syn_sent, syn_received, fin_wait_1, fin_wait_2, "
		     "closing, time_wait, last_ack, unacked_data or "
		     "keepalive_probes, found a list");
	expect_error("type_scalar_for_mapping.yaml",
		     "1:9: alerts: expected a mapping with keys such as "
		     "thresholds, stalls, aggregate_window or rate_limit, found "
		     "'3s'");
	expect_error("type_list_for_scalar.yaml",
		     "2:11: capture.filter: expected a string, found a list");
	expect_error("type_mapping_for_list.yaml",
		     "2:3: outputs: expected a list of outputs, each a mapping "
		     "with a type, found a mapping");
	expect_error("type_bool.yaml",
		     "2:16: capture.promiscuous: expected true or false, found "
		     "'maybe'");
	expect_error("type_integer.yaml",
		     "2:20: tracking.max_connections: expected a whole number "
		     "from 1 to 2147483647, found '1e6'");
	expect_error("type_events_scalar.yaml",
		     "3:13: outputs[0].events: expected a list of event types, "
		     "e.g. [alert, resolved], found 'alert'");
	expect_error_text("capture:\n  snaplen: 12.5\n",
			  "2:12: capture.snaplen: expected a whole number from "
			  "64 to 262144, found '12.5'");
	expect_error_text("capture:\n  snaplen: 0x100\n",
			  "2:12: capture.snaplen: expected a whole number from "
			  "64 to 262144, found '0x100'");
	expect_error_text("outputs:\n  - stdout\n",
			  "2:5: outputs[0]: expected a mapping with a type "
			  "(stdout, file or syslog), found a scalar");
	expect_error_text("outputs:\n  - type: stdout\n    events: [[alert]]\n",
			  "3:14: outputs[0].events: expected an event type "
			  "(transition, alert, resolved, conn or stats), found "
			  "a list");
	expect_error_text("capture:\n  ? [a, b]\n  : 1\n",
			  "2:5: expected a key name in capture, found a list");
}

static void test_error_bad_unit(void **state)
{
	(void)state;
	expect_error("bad_unit_duration.yaml",
		     "2:17: tracking.idle_timeout: unknown unit in '5min' "
		     "(expected a number followed by us, ms, s, m, h or d)");
	expect_error("bad_unit_size.yaml",
		     "2:16: capture.buffer_size: unknown unit in '64mb' "
		     "(expected a number of bytes, or followed by kB, MB, GB, "
		     "KiB, MiB or GiB)");
	expect_error_text("stats:\n  interval: 3S\n",
			  "2:13: stats.interval: unknown unit in '3S' (expected "
			  "a number followed by us, ms, s, m, h or d)");
	expect_error_text("stats:\n  interval: s\n",
			  "2:13: stats.interval: expected a duration such as "
			  "500ms, 3s, 2m or 1h, found 's'");
}

static void test_error_out_of_range(void **state)
{
	(void)state;
	expect_error("range_max_connections_zero.yaml",
		     "2:20: tracking.max_connections: '0' is out of range "
		     "(expected 1 to 2147483647)");
	expect_error("range_max_connections_big.yaml",
		     "2:20: tracking.max_connections: '2147483648' is out of "
		     "range (expected 1 to 2147483647)");
	expect_error("range_snaplen_low.yaml",
		     "2:12: capture.snaplen: '63' is out of range (expected 64 "
		     "to 262144)");
	expect_error("range_snaplen_high.yaml",
		     "2:12: capture.snaplen: '262145' is out of range (expected "
		     "64 to 262144)");
	expect_error("range_negative_duration.yaml",
		     "3:15: alerts.thresholds.syn_sent: '-3s' is out of range: "
		     "durations cannot be negative");
	expect_error("range_duration_long.yaml",
		     "2:17: tracking.idle_timeout: '400d' is out of range "
		     "(expected 0 to 365d)");
	expect_error("range_linger_zero.yaml",
		     "2:18: tracking.closed_linger: '0s' is out of range: it "
		     "must be greater than 0");
	expect_error("range_rate_limit.yaml",
		     "2:15: alerts.rate_limit: '5000000' is out of range "
		     "(expected 0 to 1000000)");
	expect_error("range_buffer_size.yaml",
		     "2:16: capture.buffer_size: '512B' is out of range "
		     "(expected 1KiB to 2147483647 bytes)");
	expect_error("range_metrics_interval.yaml",
		     "3:13: metrics.interval: '0' is out of range: it must be "
		     "greater than 0");
	expect_error_text("tracking:\n  max_connections: -5\n",
			  "2:20: tracking.max_connections: '-5' is out of range "
			  "(expected 1 to 2147483647)");
	expect_error_text("tracking:\n  max_connections: "
			  "99999999999999999999999\n",
			  "2:20: tracking.max_connections: "
			  "'99999999999999999999999' is out of range (expected "
			  "1 to 2147483647)");
	expect_error_text("capture:\n  buffer_size: -1MiB\n",
			  "2:16: capture.buffer_size: '-1MiB' is out of range: "
			  "sizes cannot be negative");
	expect_error_text("capture:\n  buffer_size: 2GiB\n",
			  "2:16: capture.buffer_size: '2GiB' is out of range "
			  "(expected 1KiB to 2147483647 bytes)");
	expect_error_text("capture:\n  buffer_size: 99999999999999999999TiB\n",
			  "2:16: capture.buffer_size: '99999999999999999999TiB' "
			  "is out of range (expected 1KiB to 2147483647 bytes)");
}

static void test_error_missing_value(void **state)
{
	(void)state;
	expect_error("missing_value.yaml",
		     "2:11: capture.snaplen: missing value (expected a whole "
		     "number from 64 to 262144)");
	expect_error("missing_path.yaml",
		     "3:5: outputs[1]: a file output needs a 'path'");
	expect_error("missing_path_value.yaml",
		     "3:10: outputs[0].path: missing value (expected a file "
		     "name)");
	expect_error("missing_type.yaml",
		     "2:5: outputs[0]: missing key 'type' (stdout, file or "
		     "syslog)");
	expect_error("missing_events.yaml",
		     "3:13: outputs[0].events: expected at least one event "
		     "type");
	expect_error("no_outputs.yaml",
		     "1:10: outputs: expected at least one output");
	expect_error_text("alerts:\n  thresholds:\n    syn_sent: \"\"\n",
			  "3:15: alerts.thresholds.syn_sent: missing value "
			  "(expected a duration such as 500ms, 3s, 2m or 1h)");
	expect_error_text("outputs:\n  - type: stdout\n    events:\n",
			  "3:12: outputs[0].events: missing value (expected a "
			  "list of event types, e.g. [alert, resolved])");
}

static void test_error_duplicate_key(void **state)
{
	(void)state;
	expect_error("duplicate_key.yaml",
		     "4:3: duplicate key 'snaplen' in capture (first given at "
		     "line 2, column 3)");
	expect_error("duplicate_section.yaml",
		     "5:1: duplicate section 'capture' (first given at line 1, "
		     "column 1)");
	expect_error_text("outputs:\n  - type: stdout\n    type: file\n",
			  "3:5: duplicate key 'type' in outputs[0] (first given "
			  "at line 2, column 5)");
}

static void test_error_syntax(void **state)
{
	(void)state;
	expect_error("syntax_indent.yaml",
		     "3:2: YAML syntax error: did not find expected key (while "
		     "parsing a block mapping at line 1, column 1)");
	expect_error("syntax_quote.yaml",
		     "5:1: YAML syntax error: found unexpected end of stream "
		     "(while scanning a quoted scalar at line 2, column 11)");
	expect_error("syntax_tab.yaml",
		     "2:1: YAML syntax error: found character that cannot "
		     "start any token (while scanning for the next token at "
		     "line 2, column 1)");
	expect_error_text("outputs: [{type: stdout}\n",
			  "2:1: YAML syntax error: did not find expected ',' or "
			  "']' (while parsing a flow sequence at line 1, column "
			  "10)");
}

static void test_error_not_a_mapping(void **state)
{
	(void)state;
	static const char sections[] = "capture, tracking, alerts, outputs, "
				       "daemon, metrics or stats";
	char want[256];

	snprintf(want, sizeof want,
		 "1:1: the file is empty (expected a mapping of sections: %s)",
		 sections);
	expect_error("empty.yaml", want);
	snprintf(want, sizeof want,
		 "4:1: the file is empty (expected a mapping of sections: %s)",
		 sections);
	expect_error("comments_only.yaml", want);
	snprintf(want, sizeof want,
		 "2:1: the document is empty (expected a mapping of sections: "
		 "%s)",
		 sections);
	expect_error("empty_document.yaml", want);
	snprintf(want, sizeof want,
		 "1:1: expected a mapping of sections (%s) at the top level, "
		 "found a list",
		 sections);
	expect_error("not_mapping_list.yaml", want);
	snprintf(want, sizeof want,
		 "1:1: expected a mapping of sections (%s) at the top level, "
		 "found 'tcpfsm'",
		 sections);
	expect_error("not_mapping_scalar.yaml", want);
}

static void test_error_too_many_outputs(void **state)
{
	(void)state;
	expect_error("too_many_outputs.yaml",
		     "18:5: too many outputs (at most 16)");
}

static void test_error_alias(void **state)
{
	(void)state;
	expect_error("alias.yaml", "4:19: aliases (*short) are not supported: "
				   "write the value out");
	/* "billion laughs": refused at the first alias, nothing expanded */
	expect_error_text("a: &a [x, x, x, x, x, x, x, x, x]\n"
			  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
			  "1:1: unknown section 'a' (expected capture, "
			  "tracking, alerts, outputs, daemon, metrics or "
			  "stats)");
	expect_error_text("capture:\n  filter: &a [x, x, x]\n"
			  "  snaplen: *a\n",
			  "2:11: capture.filter: expected a string, found a "
			  "list");
	expect_error_text("capture:\n  filter: &a tcp\n  interface: *a\n",
			  "3:14: aliases (*a) are not supported: write the "
			  "value out");
}

static void test_error_documents_and_tags(void **state)
{
	(void)state;
	expect_error("two_documents.yaml",
		     "3:1: a second YAML document: the file must hold one");
	expect_error("tag.yaml", "2:12: unsupported tag '!bytes'");
}

static void test_error_outputs(void **state)
{
	(void)state;
	expect_error("interface_and_file.yaml",
		     "3:3: capture: interface and file exclude each other (give "
		     "one)");
	expect_error("path_not_file.yaml",
		     "3:5: outputs[0]: 'path' is only for file outputs");
	expect_error("facility_not_syslog.yaml",
		     "4:5: outputs[0]: 'facility' is only for syslog outputs");
	expect_error("syslog_zeek.yaml",
		     "3:5: outputs[0]: format zeek writes a log file; syslog "
		     "takes text or json");
	expect_error("same_file.yaml",
		     "6:5: outputs[1].path: outputs[0] writes to this file "
		     "already");
	expect_error("unknown_type.yaml",
		     "2:11: outputs[0].type: unknown value 'stdin' (expected "
		     "stdout, file or syslog)");
	expect_error("unknown_format.yaml",
		     "3:13: outputs[0].format: unknown value 'csv' (expected "
		     "text, json or zeek)");
	expect_error("unknown_facility.yaml",
		     "3:15: outputs[0].facility: unknown value 'local9' "
		     "(expected daemon, user, local0, local1, local2, local3, "
		     "local4, local5, local6 or local7)");
	expect_error("unknown_event.yaml",
		     "3:14: outputs[0].events: unknown event type 'alerts' (did "
		     "you mean 'alert'?)");
	expect_error_text("outputs:\n  - type: sylsog\n",
			  "2:11: outputs[0].type: unknown value 'sylsog' (did "
			  "you mean 'syslog'?)");
}

/* Bytes that are not text: libyaml reports them by offset; the message
 * still names line and column. */
static void test_error_not_text(void **state)
{
	(void)state;
	char want[256];

	static const char bad_utf8[] = "capture:\n  filter: \xff\xfe\n";
	write_tmp(bad_utf8, sizeof bad_utf8 - 1);
	snprintf(want, sizeof want, "%s:2:11: not a valid text file: invalid "
				    "leading UTF-8 octet", tmp_path);
	struct config cfg;
	char err[512];
	assert_int_equal(config_load(&cfg, tmp_path, err, sizeof err), -1);
	assert_string_equal(err, want);
	config_free(&cfg);

	static const char nul[] = "capture:\n  filter: a\0b\n";
	write_tmp(nul, sizeof nul - 1);
	snprintf(want, sizeof want, "%s:2:12: not a valid text file: control "
				    "characters are not allowed", tmp_path);
	assert_int_equal(config_load(&cfg, tmp_path, err, sizeof err), -1);
	assert_string_equal(err, want);
	config_free(&cfg);

	/* an escaped NUL is valid YAML, but no C string */
	expect_error_text("capture:\n  filter: \"a\\0b\"\n",
			  "2:11: capture.filter: expected a string, found a "
			  "value with a NUL character");
	expect_error_text("capture:\n  \"snaplen\\0x\": 100\n",
			  "2:3: a key with a NUL character in capture");
	expect_error_text("outputs:\n  - type: stdout\n"
			  "    events: [\"alert\\0\"]\n",
			  "3:14: outputs[0].events: an event type with a NUL "
			  "character");
	/* control characters are not echoed back */
	expect_error_text("capture:\n  snaplen: \"1\\e[31m\"\n",
			  "2:12: capture.snaplen: expected a whole number from "
			  "64 to 262144, found '1?[31m'");
}

static void test_error_files(void **state)
{
	(void)state;
	struct config cfg;
	char err[512], want[512];

	assert_int_equal(config_load(&cfg, CONFIG_TESTS_DIR "/no/such.yaml",
				     err, sizeof err),
			 -1);
	assert_string_equal(err, CONFIG_TESTS_DIR "/no/such.yaml: cannot "
						  "open: No such file or "
						  "directory");
	assert_is_defaults(&cfg);
	config_free(&cfg);

	assert_int_equal(config_load(&cfg, tmp_dir, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: cannot read: Is a directory",
		 tmp_dir);
	assert_string_equal(err, want);
	config_free(&cfg);

	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), -1);
	assert_string_equal(err, "no configuration file given");
	config_free(&cfg);

	/* more than 1 MiB: refused before parsing */
	size_t big = 1024 * 1024 + 1;
	char *text = xcalloc(big);
	memset(text, '#', big);
	write_tmp(text, big);
	free(text);
	assert_int_equal(config_load(&cfg, tmp_path, err, sizeof err), -1);
	snprintf(want, sizeof want,
		 "%s: file too large for a configuration (more than 1024 KiB)",
		 tmp_path);
	assert_string_equal(err, want);
	config_free(&cfg);

	/* a small buffer gets a truncated, terminated message */
	char tiny[16];
	assert_int_equal(config_load(&cfg, CONFIG_EXAMPLE ".missing", tiny,
				     sizeof tiny),
			 -1);
	assert_int_equal(strlen(tiny), sizeof tiny - 1);
	config_free(&cfg);
}

/* ------------------------------------------------------------------ */
/* Units                                                               */

static void test_parse_size(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t want;
	} cases[] = {
		{"0", 0},
		{"512", 512},
		{"512B", 512},
		{"10kB", 10000},
		{"1MB", 1000000},
		{"2GB", 2000000000},
		{"1TB", 1000000000000LL},
		{"64KiB", 65536},
		{"64MiB", 64 << 20},
		{"1GiB", 1 << 30},
		{"3TiB", 3LL << 40},
		{"007KiB", 7168},
		{"9223372036854775807", INT64_MAX},
		{"8589934591GiB", 8589934591LL << 30},
		/* malformed */
		{"", -1},
		{"B", -1},
		{"KiB", -1},
		{"-1", -1},
		{"-1MiB", -1},
		{"+1", -1},
		{"1.5MiB", -1},
		{" 1", -1},
		{"1 ", -1},
		{"1 MiB", -1},
		{"64mb", -1},
		{"64MIB", -1},
		{"64K", -1},
		{"64KB", -1},
		{"1e6", -1},
		{"0x10", -1},
		/* overflow */
		{"9223372036854775808", -1},
		{"18446744073709551616", -1},
		{"99999999999999999999999999", -1},
		{"8589934592GiB", -1},
		{"8388608TiB", -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t got = config_parse_size(cases[i].text);
		if (got != cases[i].want)
			fail_msg("config_parse_size(\"%s\") = %lld, want %lld",
				 cases[i].text, (long long)got,
				 (long long)cases[i].want);
	}
	assert_int_equal(config_parse_size(NULL), -1);
}

/* Durations go through tcpfsm_parse_duration(); the loader adds the range
 * and the messages. */
static void test_durations(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t want; /* -1: an error, the message below */
		const char *msg;
	} cases[] = {
		{"0", 0, NULL},
		{"3", S(3), NULL},
		{"1us", 1, NULL},
		{"250us", 250, NULL},
		{"500ms", 500000, NULL},
		{"3s", S(3), NULL},
		{"1.5s", 1500000, NULL},
		{"0.000001s", 1, NULL},
		{"0.5ms", 500, NULL},
		{"2m", S(120), NULL},
		{"1h", S(3600), NULL},
		{"1.5h", S(5400), NULL},
		{"2d", S(2 * 86400), NULL},
		{"365d", S(365 * 86400), NULL},
		{"0.999999d", 86399913600LL, NULL},
		{"\"10s\"", S(10), NULL},
		{"366d", -1, "'366d' is out of range (expected 0 to 365d)"},
		{"8761h", -1, "'8761h' is out of range (expected 0 to 365d)"},
		{"9999999999999999999", -1,
		 "'9999999999999999999' is out of range (expected 0 to 365d)"},
		{"106751992d", -1,
		 "'106751992d' is out of range (expected 0 to 365d)"},
		{"-1ms", -1, "'-1ms' is out of range: durations cannot be "
			     "negative"},
		{"-0", -1, "'-0' is out of range: durations cannot be negative"},
		{"1.1234567s", -1, "'1.1234567s' has too many decimals (at most "
				   "6)"},
		{"1.9999999999d", -1, "'1.9999999999d' has too many decimals "
				      "(at most 6)"},
		{"3 s", -1, "expected a duration such as 500ms, 3s, 2m or 1h, "
			    "found '3 s'"},
		{".5s", -1, "expected a duration such as 500ms, 3s, 2m or 1h, "
			    "found '.5s'"},
		{"1.s", -1, "expected a duration such as 500ms, 3s, 2m or 1h, "
			    "found '1.s'"},
		{"1e3s", -1, "unknown unit in '1e3s' (expected a number followed "
			     "by us, ms, s, m, h or d)"},
		{"3sec", -1, "unknown unit in '3sec' (expected a number followed "
			     "by us, ms, s, m, h or d)"},
		{"1h30m", -1, "unknown unit in '1h30m' (expected a number "
			      "followed by us, ms, s, m, h or d)"},
		{"3s ", -1, NULL /* YAML trims a plain scalar: 3s */},
		{"true", -1, "expected a duration such as 500ms, 3s, 2m or 1h, "
			     "found 'true'"},
	};
	struct config cfg;
	char text[128], want[256];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, "tracking:\n  idle_timeout: %s\n",
			 cases[i].text);
		if (cases[i].want >= 0 || !cases[i].msg) {
			load_text(&cfg, text);
			int64_t want_us = cases[i].want >= 0 ? cases[i].want
							     : S(3);
			if (cfg.tracker.idle_timeout != want_us)
				fail_msg("'%s' read as %lld us, want %lld",
					 cases[i].text,
					 (long long)cfg.tracker.idle_timeout,
					 (long long)want_us);
			config_free(&cfg);
			continue;
		}
		snprintf(want, sizeof want, "2:17: tracking.idle_timeout: %s",
			 cases[i].msg);
		expect_error_text(text, want);
	}
}

/* ------------------------------------------------------------------ */
/* Hostile input                                                       */

static void test_hostile_nesting(void **state)
{
	(void)state;
	size_t n = 200000;
	char *text = xcalloc(n * 2 + 64);

	/* deep flow nesting at the top and inside a value */
	memset(text, '[', n);
	text[n] = '\n';
	write_tmp(text, n + 1);
	struct config cfg;
	char err[512];
	assert_int_equal(config_load(&cfg, tmp_path, err, sizeof err), -1);
	config_free(&cfg);

	strcpy(text, "capture:\n  filter: ");
	size_t len = strlen(text);
	memset(text + len, '{', n);
	write_tmp(text, len + n);
	expect_error_path(tmp_path, "2:11: capture.filter: expected a string, "
				    "found a mapping");

	/* deep block nesting */
	len = 0;
	for (size_t i = 0; i < 50000; i++)
		len += (size_t)sprintf(text + len, "- ");
	text[len++] = 'x';
	write_tmp(text, len);
	assert_int_equal(config_load(&cfg, tmp_path, err, sizeof err), -1);
	config_free(&cfg);
	len = (size_t)sprintf(text, "alerts:\n  thresholds:\n    syn_sent:");
	for (size_t i = 0; i < 50000; i++)
		len += (size_t)sprintf(text + len, " a:");
	write_tmp(text, len);
	assert_int_equal(config_load(&cfg, tmp_path, err, sizeof err), -1);
	config_free(&cfg);
	free(text);
}

static void test_hostile_sizes(void **state)
{
	(void)state;
	struct config cfg;
	size_t n = 1000 * 1000;
	char *text = xcalloc(n + 64);

	/* a huge value just under the file limit is fine */
	strcpy(text, "capture:\n  filter: ");
	size_t len = strlen(text);
	memset(text + len, 'x', n - len - 1);
	text[n - 1] = '\n';
	text[n] = '\0';
	load_text(&cfg, text);
	assert_int_equal(strlen(cfg.capture.filter), n - len - 1);
	config_free(&cfg);

	/* a huge key is quoted back cut short: 40 characters and "..." */
	char want[512], forty[41];
	static const char keys[] = "(expected interface, file, filter, "
				   "snaplen, promiscuous or buffer_size)";
	strcpy(text, "capture:\n  ");
	len = strlen(text);
	memset(text + len, 'k', 1000);
	strcpy(text + len + 1000, ": 1\n");
	memset(forty, 'k', 40);
	forty[40] = '\0';
	snprintf(want, sizeof want, "2:3: unknown key '%s...' in capture %s",
		 forty, keys);
	expect_error_text(text, want);

	/* cut on a character boundary, not inside a UTF-8 sequence */
	memset(forty, 'x', 39);
	forty[39] = '\0';
	snprintf(text, n, "capture:\n  %s\xc3\xa9\xc3\xa9: 1\n", forty);
	snprintf(want, sizeof want, "2:3: unknown key '%s...' in capture %s",
		 forty, keys);
	expect_error_text(text, want);

	/* many keys, each checked once */
	len = (size_t)sprintf(text, "capture:\n");
	for (int i = 0; i < 20000; i++)
		len += (size_t)sprintf(text + len, "  filter%d: x\n", i);
	expect_error_text(text, "2:3: unknown key 'filter0' in capture (did "
				"you mean 'filter'?)");
	free(text);
}

/* A small deterministic generator, so failures reproduce. */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Whatever the bytes, config_load() returns 0, or -1 with a message that
 * names the file; never crashes or leaks (the sanitizers watch). */
static void load_any(const char *data, size_t len)
{
	struct config cfg;
	char err[512];

	write_tmp(data, len);
	int rc = config_load(&cfg, tmp_path, err, sizeof err);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_memory_equal(err, tmp_path, strlen(tmp_path));
		assert_int_equal(err[strlen(tmp_path)], ':');
	}
	config_free(&cfg);
}

static void test_hostile_mutations(void **state)
{
	(void)state;
	char path[512];
	const char *files[] = {CONFIG_EXAMPLE, path};
	snprintf(path, sizeof path, "%s/all_keys.yaml", CONFIG_TESTS_DIR);

	for (size_t f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "rb");
		assert_non_null(fp);
		static char orig[16384], buf[16384];
		size_t len = fread(orig, 1, sizeof orig, fp);
		fclose(fp);
		assert_true(len > 0 && len < sizeof orig);

		/* every prefix */
		for (size_t cut = 0; cut <= len; cut += f ? 1 : 7)
			load_any(orig, cut);
		/* random byte changes, insertions of YAML's own punctuation */
		static const char punct[] = "-:[]{},&*!|>'\"%@`#? \t\n\\0";
		for (int round = 0; round < 1500; round++) {
			memcpy(buf, orig, len);
			int changes = 1 + (int)(rng() % 4);
			for (int k = 0; k < changes; k++) {
				size_t at = rng() % len;
				buf[at] = rng() % 2 ? (char)rng()
						    : punct[rng() %
							    (sizeof punct - 1)];
			}
			load_any(buf, len);
		}
	}
}

/* An argument runs only the tests whose names match it ("test_error_*"). */
int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_is_defaults),
		cmocka_unit_test(test_example_lists_every_key),
		cmocka_unit_test(test_every_key_applied),
		cmocka_unit_test(test_capture_file),
		cmocka_unit_test(test_output_defaults),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_yaml_forms),
		cmocka_unit_test(test_error_unknown_key),
		cmocka_unit_test(test_error_wrong_type),
		cmocka_unit_test(test_error_bad_unit),
		cmocka_unit_test(test_error_out_of_range),
		cmocka_unit_test(test_error_missing_value),
		cmocka_unit_test(test_error_duplicate_key),
		cmocka_unit_test(test_error_syntax),
		cmocka_unit_test(test_error_not_a_mapping),
		cmocka_unit_test(test_error_too_many_outputs),
		cmocka_unit_test(test_error_alias),
		cmocka_unit_test(test_error_documents_and_tags),
		cmocka_unit_test(test_error_outputs),
		cmocka_unit_test(test_error_not_text),
		cmocka_unit_test(test_error_files),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_hostile_nesting),
		cmocka_unit_test(test_hostile_sizes),
		cmocka_unit_test(test_hostile_mutations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
