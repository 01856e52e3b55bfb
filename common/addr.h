/*
 * addr.h - "host:port" addresses as users and the wire write them.
 *
 * Accepts "127.0.0.1:9000", "localhost:9000", "[::1]:9000".  The host part
 * is kept as text (resolution is libcurl's or getaddrinfo's job).
 */
#ifndef DFS_ADDR_H
#define DFS_ADDR_H

#include <stddef.h>

#define ADDR_HOST_MAX 256
#define ADDR_TEXT_MAX 272 /* "[host]:65535" and NUL */

struct addr {
    char host[ADDR_HOST_MAX]; /* without brackets */
    int port;                 /* 0..65535; 0 = let the kernel choose */
};

/* 0 on success; -EINVAL with a message in err for anything malformed
 * (missing port, port out of range, empty host, junk after the port). */
int addr_parse(const char *text, struct addr *out, char *err, size_t errlen);

/* "host:port" or "[v6]:port" into buf; returns buf. */
char *addr_format(const struct addr *a, char *buf, size_t buflen);

#endif
