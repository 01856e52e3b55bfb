/*
 * privdrop.h - run a daemon as an unprivileged user (--user NAME).
 *
 * The daemons need no root.  When one is started as root anyway (to bind
 * a port below 1024, or by an init system without User=), it works as
 * NAME from the start, so that every file it creates belongs to NAME:
 *
 *     privdrop_prepare(user)   look NAME up; no-op unless root
 *     privdrop_enter_user()    effective ids = NAME (real ids stay root)
 *       ... open the data directory, the secret, the stores ...
 *     privdrop_enter_root()    back to root to bind the socket
 *       ... http_server_start ...
 *     privdrop_finish()        real, effective and saved ids = NAME, no
 *                              supplementary groups; checked for good
 *
 * Every call is a no-op (returning 0) when no --user was given or the
 * process is not root; a --user other than the current one without root
 * is an error from privdrop_prepare.
 */
#ifndef DFS_PRIVDROP_H
#define DFS_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privdrop {
    bool active; /* started as root with a --user: the calls switch ids */
    uid_t uid;   /* the user's ids (or ours when not active) */
    gid_t gid;
    char name[64];
};

/* user may be NULL or "" (no --user).  0 or -errno with a message. */
int privdrop_prepare(const char *user, struct privdrop *p, char *err,
                     size_t errlen);

int privdrop_enter_user(const struct privdrop *p, char *err, size_t errlen);
int privdrop_enter_root(const struct privdrop *p, char *err, size_t errlen);
int privdrop_finish(const struct privdrop *p, char *err, size_t errlen);

/* The owner the data directory must have: the --user when active, else
 * FS_OWNER_SELF (fsutil.h). */
uid_t privdrop_data_owner(const struct privdrop *p);

#endif
