/*
 * fuzz_config.c - config_load_file on arbitrary file content.
 *
 * config.c has no in-memory entry point, so each input is written to one
 * memfd made at start-up and loaded through /proc/self/fd/N: no file on
 * disk, no file per input.  The option table has one option of each type,
 * like a daemon's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_common.h"

static char *opt_data;
static long long opt_port;
static bool opt_foreground;
static char *opt_name;

static const struct config_option fuzz_options[] = {
    {"data", CONFIG_STRING, NULL, "DIR", "data directory", &opt_data},
    {"heartbeat-ms", CONFIG_INT, "2000", "MS", "interval", &opt_port},
    {"foreground", CONFIG_BOOL, "false", NULL, "stay in front",
     &opt_foreground},
    {"zone", CONFIG_STRING, "default", "NAME", "zone name", &opt_name},
    {0}};

static int fuzz_fd = -1;
static char fuzz_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_fd = memfd_create("dfs-fuzz-config", MFD_CLOEXEC);
    if (fuzz_fd < 0) abort();
    snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    int rc;

    if (ftruncate(fuzz_fd, 0) < 0 ||
        pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
        abort();
    opt_port = -1;
    rc = config_load_file(fuzz_options, fuzz_path, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
    if (rc == 0 && opt_data) FUZZ_CHECK(strlen(opt_data) < size);
    /* a one-byte message buffer must not be overrun */
    config_load_file(fuzz_options, fuzz_path, err, 1);
    config_free(fuzz_options);
    return 0;
}
