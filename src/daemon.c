/*
 * daemon.c - detaching, the pidfile, and giving up root.
 *
 * Capturing needs CAP_NET_RAW only to open the socket; after that the
 * process reads from a descriptor it already has, so it runs as an ordinary
 * user for the months it stays up.
 *
 * Detaching hides every later failure from whoever started the daemon (the
 * parent has exited 0), so whatever can fail after it is tried before it:
 * the user, the pidfile's directory, and the output files as the user who
 * will write them (daemon_check_*).
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
#include <sys/wait.h>
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

/* -1 with err if a live process other than this one holds path. */
static int pidfile_held(const char *path, char *err, size_t errlen)
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
	return 0;
}

int daemon_write_pidfile(const char *path, char *err, size_t errlen)
{
	if (pidfile_held(path, err, errlen) < 0)
		return -1;
	/* Write a temporary file and rename it: a reader never sees half. */
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	FILE *fp = fopen(tmp, "w");
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

/* The directory part of path ("." for a bare name) into buf. */
static const char *dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!slash)
		return ".";
	if (n == 0)
		return "/";
	if (n >= len)
		n = len - 1;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return buf;
}

int daemon_check_pidfile(const char *path, char *err, size_t errlen)
{
	char buf[4096];
	const char *dir = dir_of(path, buf, sizeof buf);

	/* The pidfile is written as root, before the drop: root's view of
	 * the directory is the one that counts (a read-only or missing one
	 * fails it too). */
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "pidfile %s: directory %s: %s", path, dir,
			 strerror(errno));
		return -1;
	}
	return pidfile_held(path, err, errlen);
}

int daemon_check_user(const char *user, const char *group, int allow_root,
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
	if (!getpwnam(user)) {
		snprintf(err, errlen, "daemon.user: unknown user '%s'", user);
		return -1;
	}
	if (group && !getgrnam(group)) {
		snprintf(err, errlen, "daemon.group: unknown group '%s'",
			 group);
		return -1;
	}
	return 0;
}

/* In the child: 0, or -1 with err, for one path. */
static int try_path(const struct daemon_path *dp, char *err, size_t errlen)
{
	if (dp->replaced) {
		/* As metrics_write() does: a file beside it, renamed over. */
		char tmp[4096];
		if (snprintf(tmp, sizeof tmp, "%s.%ld.check", dp->path,
			     (long)getpid()) >= (int)sizeof tmp) {
			snprintf(err, errlen, "%s: path too long", dp->path);
			return -1;
		}
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", dp->path,
				 strerror(errno));
			return -1;
		}
		close(fd);
		unlink(tmp);
		return 0;
	}
	int existed = access(dp->path, F_OK) == 0;
	int fd = open(dp->path, O_WRONLY | O_APPEND | O_CREAT, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", dp->path, strerror(errno));
		return -1;
	}
	close(fd);
	if (!existed)
		unlink(dp->path); /* the daemon creates it with its own umask */
	return 0;
}

int daemon_check_paths(const struct daemon_path *paths, size_t n,
		       const char *user, const char *group, int from_root,
		       char *err, size_t errlen)
{
	int pipefd[2];

	if (n == 0)
		return 0;
	if (pipe(pipefd) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	/* A child, because dropping privileges cannot be undone: it becomes
	 * who the daemon will be and tries what the daemon will do. */
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		char msg[1024] = "";
		int rc = 0;
		close(pipefd[0]);
		if (from_root && chdir("/") < 0) {
			snprintf(msg, sizeof msg, "chdir /: %s",
				 strerror(errno));
			rc = -1;
		}
		if (rc == 0 && user)
			rc = daemon_drop_privileges(user, group, 0, msg,
						    sizeof msg);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = try_path(&paths[i], msg, sizeof msg);
		if (rc < 0 && write(pipefd[1], msg, strlen(msg)) < 0)
			rc = -1;
		_exit(rc < 0 ? 1 : 0);
	}
	close(pipefd[1]);
	char msg[1024];
	ssize_t got, len = 0;
	while (len < (ssize_t)sizeof msg - 1 &&
	       (got = read(pipefd[0], msg + len,
			   sizeof msg - 1 - (size_t)len)) > 0)
		len += got;
	msg[len] = '\0';
	close(pipefd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s%s%s%s", user ? "as user '" : "",
			 user ? user : "", user ? "': " : "",
			 len ? msg : "checking the output files failed");
		return -1;
	}
	return 0;
}

int daemon_drop_privileges(const char *user, const char *group, int allow_root,
			   char *err, size_t errlen)
{
	if (!user) /* nobody to become: only the refusal to stay root */
		return daemon_check_user(NULL, group, allow_root, err, errlen);
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
