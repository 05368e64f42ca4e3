/*
 * linecount.c — the ceiling for hunting: maps each file and counts its lines with memchr,
 * which is as fast as the machine reads memory. bench/hunt reports certmesh against it.
 *
 *   linecount FILE...
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    unsigned long long lines = 0, bytes = 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            fprintf(stderr, "linecount: cannot open %s\n", argv[i]);
            return 1;
        }
        if (st.st_size == 0) {
            close(fd);
            continue;
        }
        const char *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "linecount: cannot map %s\n", argv[i]);
            return 1;
        }
        const char *end = p + st.st_size;
        for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++) {
            lines++;
        }
        bytes += (unsigned long long)st.st_size;
        munmap((void *)p, (size_t)st.st_size);
        close(fd);
    }
    printf("%llu lines, %llu bytes\n", lines, bytes);
    return 0;
}
