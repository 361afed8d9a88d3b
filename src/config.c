/*
 * config.c - the configuration file (placeholder until the YAML reader
 * lands: defaults only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->capture.snaplen = 256;
	cfg->capture.promiscuous = 1;
	cfg->capture.buffer_size = 64u << 20;
	tcpfsm_options_default(&cfg->tracker);
	cfg->n_outputs = 1;
	cfg->outputs[0].type = SINK_STDOUT;
	cfg->outputs[0].format = SINK_TEXT;
	cfg->outputs[0].events = EVENTS_ALL;
	cfg->metrics.interval = 15 * 1000000LL;
	cfg->stats_interval = 60 * 1000000LL;
}

int config_load(struct config *cfg, const char *path, char *err,
		size_t errlen)
{
	(void)cfg;
	snprintf(err, errlen, "%s: configuration files are not supported yet",
		 path);
	return -1;
}

int64_t config_parse_size(const char *text)
{
	(void)text;
	return -1;
}

void config_free(struct config *cfg)
{
	free(cfg->capture.interface);
	free(cfg->capture.file);
	free(cfg->capture.filter);
	for (size_t i = 0; i < cfg->n_outputs; i++)
		free(cfg->outputs[i].path);
	free(cfg->daemon.pidfile);
	free(cfg->daemon.user);
	free(cfg->daemon.group);
	free(cfg->metrics.textfile);
	memset(cfg, 0, sizeof *cfg);
}
