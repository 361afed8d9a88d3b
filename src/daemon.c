/*
 * daemon.c - detaching, the pidfile, and giving up root.
 *
 * Capturing needs CAP_NET_RAW only to open the socket; after that the
 * process reads from a descriptor it already has, so it runs as an ordinary
 * user for the months it stays up.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"

int daemon_detach(char *err, size_t errlen)
{
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			snprintf(err, errlen, "fork: %s", strerror(errno));
			return -1;
		}
		if (pid > 0)
			_exit(0);
		if (i == 0 && setsid() < 0) {
			snprintf(err, errlen, "setsid: %s", strerror(errno));
			return -1;
		}
	}
	if (chdir("/") < 0) {
		snprintf(err, errlen, "chdir /: %s", strerror(errno));
		return -1;
	}
	umask(027);
	int fd = open("/dev/null", O_RDWR);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

int daemon_write_pidfile(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (fp) {
		long pid = 0;
		int n = fscanf(fp, "%ld", &pid);
		fclose(fp);
		if (n == 1 && pid > 0 && pid != getpid() &&
		    (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
			snprintf(err, errlen,
				 "%s: tcpfsm already running as pid %ld", path,
				 pid);
			return -1;
		}
	}
	/* Write a temporary file and rename it: a reader never sees half. */
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fp = fopen(tmp, "w");
	if (!fp || fprintf(fp, "%ld\n", (long)getpid()) < 0 ||
	    fclose(fp) != 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void daemon_remove_pidfile(const char *path)
{
	if (path)
		unlink(path);
}

int daemon_drop_privileges(const char *user, const char *group, int allow_root,
			   char *err, size_t errlen)
{
	if (!user) {
		if (geteuid() == 0 && !allow_root) {
			snprintf(err, errlen,
				 "refusing to run as root: set daemon.user "
				 "(or daemon.allow_root: true)");
			return -1;
		}
		return 0;
	}
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "unknown user '%s'", user);
		return -1;
	}
	gid_t gid = pw->pw_gid;
	if (group) {
		struct group *gr = getgrnam(group);
		if (!gr) {
			snprintf(err, errlen, "unknown group '%s'", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		snprintf(err, errlen, "dropping to %s: %s", user,
			 strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "could regain root after dropping to %s",
			 user);
		return -1;
	}
	return 0;
}
