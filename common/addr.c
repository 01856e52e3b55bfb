/*
 * addr.c - parse and print "host:port" addresses.
 *
 * The host stays text; only its shape is checked here.  IPv6 literals must
 * be bracketed, since "::1:9000" cannot be split unambiguously.
 */
#include "addr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int addr_fail(char *err, size_t errlen, const char *text,
                     const char *why)
{
    if (err && errlen) snprintf(err, errlen, "bad address '%s': %s", text, why);
    return -EINVAL;
}

/* Port: 1..5 decimal digits, value 0..65535, nothing after. */
static int addr_parse_port(const char *s, int *port)
{
    long v = 0;
    size_t n = 0;

    for (; s[n] >= '0' && s[n] <= '9'; n++) {
        if (n >= 5) return -1;
        v = v * 10 + (s[n] - '0');
    }
    if (n == 0 || s[n] != '\0' || v > 65535) return -1;
    *port = (int)v;
    return 0;
}

/* Split text into host (start, length) and the port text after ':'. */
static int addr_split(const char *text, const char **host, size_t *hostlen,
                      const char **port, char *err, size_t errlen)
{
    const char *colon;

    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close) return addr_fail(err, errlen, text, "missing ']'");
        *host = text + 1;
        *hostlen = (size_t)(close - text - 1);
        if (close[1] != ':')
            return addr_fail(err, errlen, text, "missing port");
        *port = close + 2;
        return 0;
    }
    colon = strrchr(text, ':');
    if (!colon) return addr_fail(err, errlen, text, "missing port");
    if (memchr(text, ':', (size_t)(colon - text)))
        return addr_fail(err, errlen, text, "IPv6 address must be in brackets");
    *host = text;
    *hostlen = (size_t)(colon - text);
    *port = colon + 1;
    return 0;
}

int addr_parse(const char *text, struct addr *out, char *err, size_t errlen)
{
    const char *host, *port;
    size_t hostlen;
    int rc;

    if (!text) return addr_fail(err, errlen, "", "empty");
    rc = addr_split(text, &host, &hostlen, &port, err, errlen);
    if (rc < 0) return rc;
    if (hostlen == 0) return addr_fail(err, errlen, text, "empty host");
    if (hostlen >= ADDR_HOST_MAX)
        return addr_fail(err, errlen, text, "host too long");
    for (size_t i = 0; i < hostlen; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c <= ' ' || c == '/' || c == '[' || c == ']' || c >= 0x7f)
            return addr_fail(err, errlen, text, "bad character in host");
    }
    if (addr_parse_port(port, &out->port) < 0)
        return addr_fail(err, errlen, text,
                         "port must be a number 0..65535 at the end");
    memcpy(out->host, host, hostlen);
    out->host[hostlen] = '\0';
    return 0;
}

char *addr_format(const struct addr *a, char *buf, size_t buflen)
{
    if (!buf || buflen == 0) return buf;
    if (strchr(a->host, ':'))
        snprintf(buf, buflen, "[%s]:%d", a->host, a->port);
    else
        snprintf(buf, buflen, "%s:%d", a->host, a->port);
    return buf;
}
