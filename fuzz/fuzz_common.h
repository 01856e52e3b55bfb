/*
 * fuzz_common.h - small helpers shared by the libFuzzer harnesses.
 *
 * libFuzzer hands a harness a byte buffer that is not NUL-terminated;
 * the parsers under test take C strings, so each harness copies the input
 * into an exactly sized heap string (ASan then catches any read past it).
 * A property that does not hold aborts, which libFuzzer reports as a crash
 * and saves the input.
 */
#ifndef DFS_FUZZ_COMMON_H
#define DFS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* data as a malloc'd C string; embedded NULs stay and end it early. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,          \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
