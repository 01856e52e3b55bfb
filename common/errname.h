/*
 * errname.h - errno values by name, for error bodies on the wire.
 *
 * The master answers {"error":"ENOENT"} rather than a number so the wire
 * does not depend on one platform's errno numbering.
 */
#ifndef DFS_ERRNAME_H
#define DFS_ERRNAME_H

/* "ENOENT" for ENOENT; "EIO" for anything not in the table. */
const char *errname_from_errno(int err);

/* ENOENT for "ENOENT"; EIO for NULL or an unknown name. */
int errname_to_errno(const char *name);

/* HTTP status that goes with an errno in replies (ENOENT 404, EEXIST 409,
 * EINVAL 400, EACCES/EPERM 403, ENOTEMPTY/EBUSY 409, ENOSPC 507, EAGAIN
 * 503 "ask again", else 500...). */
int errname_http_status(int err);

#endif
