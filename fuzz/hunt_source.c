/*
 * hunt_source.c — libFuzzer target for log input: the bytes go through a pipe, as stdin
 * would, so the gzip and zstd decoders and the line blocking see whatever an attacker
 * could put in a log file (a regular file would be memory-mapped instead).
 */
#include "hunt/hunt.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int p[2];
    if (size > 60000 || pipe(p) != 0) {
        return 0; /* more than a pipe holds without a reader */
    }
    if (write(p[1], data, size) != (ssize_t)size) {
        close(p[0]);
        close(p[1]);
        return 0;
    }
    close(p[1]);
    int fd = p[0];
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    struct hunt_source *s;
    struct err err;
    if (hunt_source_open(path, &s, &err) == 0) {
        const char *block;
        size_t len;
        int guard = 0;
        while (hunt_source_next(s, &block, &len, &err) == 0 && len > 0 && guard++ < 100000) {
            (void)block[len - 1];
        }
        hunt_source_close(s);
    }
    close(fd);
    return 0;
}
