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

#endif
