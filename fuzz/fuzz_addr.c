/*
 * fuzz_addr.c - addr_parse on arbitrary text.
 *
 * Addresses arrive from peers in heartbeats and chunk maps.  What
 * addr_parse accepts must print back (addr_format) to text that parses to
 * the same address, or a node's address would change on each hop.
 */
#include <errno.h>
#include <stdint.h>

#include "addr.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size), err[128], buf[ADDR_TEXT_MAX];
    struct addr a, b;
    int rc = addr_parse(text, &a, err, sizeof(err));

    if (rc < 0) {
        FUZZ_CHECK(rc == -EINVAL);
    } else {
        FUZZ_CHECK(a.port >= 0 && a.port <= 65535);
        FUZZ_CHECK(a.host[0] != '\0' && strlen(a.host) < ADDR_HOST_MAX);
        addr_format(&a, buf, sizeof(buf));
        FUZZ_CHECK(addr_parse(buf, &b, err, sizeof(err)) == 0);
        FUZZ_CHECK(strcmp(a.host, b.host) == 0 && a.port == b.port);
    }
    /* a one-byte message buffer must not be overrun either */
    addr_parse(text, &a, err, 1);
    free(text);
    return 0;
}
