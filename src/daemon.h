/*
 * daemon.h - running unattended: detaching, the pidfile, and giving up root
 * once the capture is open.
 */
#ifndef TCPFSM_DAEMON_H
#define TCPFSM_DAEMON_H

#include <stddef.h>

/* Detaches from the terminal (fork, setsid, fork, chdir /, stdio to
 * /dev/null). Returns 0 in the daemon; -1 with err on failure. The parent
 * exits inside. */
int daemon_detach(char *err, size_t errlen);

/* Writes this process's pid to path, refusing if a live process already
 * holds it. Returns 0, or -1 with err. */
int daemon_write_pidfile(const char *path, char *err, size_t errlen);
void daemon_remove_pidfile(const char *path);

/* Drops root for user (and group, or the user's primary group): supplementary
 * groups, gid, uid, in that order, and checks that root cannot be regained.
 * With user NULL: refuses to go on as root unless allow_root. Returns 0, or -1
 * with err. */
int daemon_drop_privileges(const char *user, const char *group, int allow_root,
			   char *err, size_t errlen);

/*
 * Checks made before detaching, so that a daemon that cannot run says why
 * on the terminal and exits non-zero instead of dying unseen in the
 * background (all return 0, or -1 with err):
 *
 * daemon_check_user: user and group exist; with no user, root is refused
 * unless allow_root (as daemon_drop_privileges() would, later).
 */
int daemon_check_user(const char *user, const char *group, int allow_root,
		      char *err, size_t errlen);

/* The pidfile's directory exists and is writable, and no live process
 * holds the pidfile. */
int daemon_check_pidfile(const char *path, char *err, size_t errlen);

/* A file the daemon will write after giving up root: appended to
 * (replaced 0: an output) or replaced by a renamed one (replaced 1: the
 * metrics textfile, which needs its directory writable). */
struct daemon_path {
	const char *path;
	int replaced;
};

/* Tries each path as user (and group) would, in a child process that drops
 * to them; from "/" when from_root (a detached daemon's working directory,
 * where relative paths then start). A file that did not exist is removed
 * again after the try. */
int daemon_check_paths(const struct daemon_path *paths, size_t n,
		       const char *user, const char *group, int from_root,
		       char *err, size_t errlen);

#endif
