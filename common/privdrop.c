/*
 * privdrop.c - switch a root-started daemon to its --user.
 *
 * Effective ids first (reversible, for the start-up steps that create
 * files), then all ids at once with setgid+setuid, which as root set the
 * real, effective and saved ids: after that no way back to root is left,
 * and we check that.  glibc applies set*id calls to every thread of the
 * process, so threads started earlier (MHD's) drop with us.
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

int privdrop_prepare(const char *user, struct privdrop *p, char *err,
                     size_t errlen)
{
    struct passwd pw, *res = NULL;
    char buf[4096];

    memset(p, 0, sizeof(*p));
    p->uid = geteuid();
    p->gid = getegid();
    if (!user || !user[0]) return 0;
    int rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "--user %s: %s", user,
                 rc ? strerror(rc) : "no such user");
        return rc ? -rc : -ENOENT;
    }
    snprintf(p->name, sizeof(p->name), "%s", user);
    if (res->pw_uid == 0) {
        snprintf(err, errlen, "--user %s: refusing to run as root", user);
        return -EPERM;
    }
    if (getuid() != 0 || geteuid() != 0) {
        if (res->pw_uid == geteuid()) return 0; /* already that user */
        snprintf(err, errlen, "--user %s: only root can switch users", user);
        return -EPERM;
    }
    p->active = true;
    p->uid = res->pw_uid;
    p->gid = res->pw_gid;
    /* Root's supplementary groups (often gid 0) would outlive the drop. */
    if (setgroups(0, NULL) < 0) {
        snprintf(err, errlen, "setgroups: %s", strerror(errno));
        return -errno;
    }
    return 0;
}

int privdrop_enter_user(const struct privdrop *p, char *err, size_t errlen)
{
    if (!p->active) return 0;
    if (setegid(p->gid) < 0 || seteuid(p->uid) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot become %s: %s", p->name, strerror(e));
        return -e;
    }
    return 0;
}

int privdrop_enter_root(const struct privdrop *p, char *err, size_t errlen)
{
    if (!p->active) return 0;
    if (seteuid(0) < 0 || setegid(0) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot return to root: %s", strerror(e));
        return -e;
    }
    return 0;
}

int privdrop_finish(const struct privdrop *p, char *err, size_t errlen)
{
    if (!p->active) return 0;
    if (geteuid() != 0 && seteuid(0) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot return to root: %s", strerror(e));
        return -e;
    }
    if (setgid(p->gid) < 0 || setuid(p->uid) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot switch to user %s: %s", p->name,
                 strerror(e));
        return -e;
    }
    /* Belt and braces: a partial drop must never go unnoticed. */
    if (getuid() == 0 || geteuid() == 0 || getgid() == 0 || setuid(0) == 0) {
        snprintf(err, errlen, "still root after switching to user %s",
                 p->name);
        return -EPERM;
    }
    return 0;
}

uid_t privdrop_data_owner(const struct privdrop *p)
{
    return p->active ? p->uid : FS_OWNER_SELF;
}
