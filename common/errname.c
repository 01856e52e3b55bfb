/*
 * errname.c - errno values by name, and the HTTP status for each.
 *
 * The wire carries names ("ENOENT"), never numbers, so peers built on
 * different platforms agree.  Anything not in the table travels as EIO.
 */
#include "errname.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

struct errname_entry {
    int err;
    const char *name;
};

/* clang-format off */
#define E(x) {x, #x}
/* clang-format on */
static const struct errname_entry errname_table[] = {
    E(ENOENT),  E(EEXIST),       E(ENOTDIR),      E(EISDIR),   E(ENOTEMPTY),
    E(EINVAL),  E(EACCES),       E(EPERM),        E(ENOSPC),   E(EIO),
    E(EXDEV),   E(ENAMETOOLONG), E(EROFS),        E(EFBIG),    E(ERANGE),
    E(ENODATA), E(ENOTSUP),      E(EBUSY),        E(EMLINK),   E(ELOOP),
    E(EAGAIN),  E(ETIMEDOUT),    E(ECONNREFUSED), E(E2BIG),    E(EBADF),
    E(ENOSYS),  E(EOVERFLOW),    E(ESTALE),       E(EMSGSIZE),
};
#undef E

#define ERRNAME_COUNT (sizeof(errname_table) / sizeof(errname_table[0]))

const char *errname_from_errno(int err)
{
    if (err < 0) err = -err; /* accept our -errno convention too */
    for (size_t i = 0; i < ERRNAME_COUNT; i++)
        if (errname_table[i].err == err) return errname_table[i].name;
    return "EIO";
}

int errname_to_errno(const char *name)
{
    if (!name) return EIO;
    for (size_t i = 0; i < ERRNAME_COUNT; i++)
        if (strcmp(errname_table[i].name, name) == 0)
            return errname_table[i].err;
    return EIO;
}

int errname_http_status(int err)
{
    if (err < 0) err = -err;
    switch (err) {
    case ENOENT:
        return 404;
    case EEXIST:
    case ENOTEMPTY:
    case EBUSY: /* a directory lease held by another client */
        return 409;
    case EINVAL:
    case ENAMETOOLONG:
    case ENOTDIR:
    case EISDIR:
        return 400;
    case EACCES:
    case EPERM:
        return 403;
    case ENOSPC:
        return 507;
    case EFBIG:
    case E2BIG:
    case EMSGSIZE:
        return 413;
    case ESTALE:
        return 410;
    case EAGAIN: /* a lease holder's turn first: ask again */
        return 503;
    default:
        return 500;
    }
}
