/*
 * fuzz_config.c - libFuzzer harness: hostile bytes as the YAML configuration
 * file (config_load()).
 *
 * The file is handed over as /proc/self/fd/N of an in-memory file, so that
 * config_load() runs exactly as on disk. Checked beyond "no crash, no
 * sanitizer report, no leak": the result is 0 or -1; an error message is
 * NUL-terminated, non-empty and names the file; a loaded configuration has
 * its values in range; and the configuration is freeable either way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("tcpfsm.yaml", 0);
	if (fd < 0)
		return 0;
	size_t off = 0;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0) {
			close(fd);
			return 0;
		}
		off += (size_t)n;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

	struct config cfg;
	char err[1024];
	memset(err, 'x', sizeof err);
	int rc = config_load(&cfg, path, err, sizeof err);
	CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		CHECK(memchr(err, '\0', sizeof err) != NULL);
		CHECK(err[0] != '\0');
		CHECK(strstr(err, path) != NULL);
	} else {
		CHECK(cfg.n_outputs <= CONFIG_MAX_OUTPUTS);
		CHECK(cfg.tracker.max_connections > 0);
		for (int s = 0; s < TCPFSM_NSTATES; s++) {
			CHECK(cfg.tracker.host_timeout[s] >= 0);
			CHECK(cfg.tracker.alert_after[s] >= 0);
		}
	}
	config_free(&cfg);
	close(fd);
	return 0;
}
