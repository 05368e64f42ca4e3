/*
 * source.c — log input as blocks of whole lines. A regular uncompressed file is memory
 * mapped and handed out in windows cut at line ends (its pages are page cache, not the
 * process's own memory); pipes, stdin and compressed streams (gzip, zstd; recognised by
 * their magic bytes, not their names) are read into a buffer of HUNT_BLOCK bytes. A
 * stream that pauses (tail -F) has its complete lines handed out at once, so hits arrive
 * while the writer is still writing.
 */
#include "hunt/hunt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define RAW_CHUNK ((size_t)1 << 20)

enum codec { CODEC_NONE, CODEC_GZIP, CODEC_ZSTD };

struct hunt_source {
    int fd;
    bool own_fd;
    enum codec codec;
    /* a mapped file */
    char *map;
    size_t map_len, map_pos;
    /* a stream: decoded bytes in buf[0, len), of which [0, handed) went out last time */
    char *buf;
    size_t cap, len, handed;
    size_t block;
    bool eof;
    bool paused; /* the last read returned less than asked: the writer paused */
    /* compressed input */
    unsigned char *raw;
    size_t raw_len, raw_pos;
    bool raw_eof;
    bool raw_short; /* the last read returned less than asked: the writer paused */
    z_stream z;
    bool z_live;
    ZSTD_DStream *zs;
};

static int read_raw(struct hunt_source *s, struct err *err)
{
    if (s->raw_pos < s->raw_len || s->raw_eof) {
        return 0;
    }
    ssize_t r;
    do {
        r = read(s->fd, s->raw, RAW_CHUNK);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return err_set(err, "read: %s", strerror(errno));
    }
    s->raw_len = (size_t)r;
    s->raw_pos = 0;
    s->raw_eof = r == 0;
    s->raw_short = r > 0 && (size_t)r < RAW_CHUNK;
    return 0;
}

/* Decodes into buf[len, cap); sets *got to the bytes produced (0 at the end). */
static int decode(struct hunt_source *s, size_t *got, struct err *err)
{
    *got = 0;
    while (*got == 0) {
        if (read_raw(s, err) != 0) {
            return -1;
        }
        if (s->raw_pos == s->raw_len && s->raw_eof) {
            if (s->codec == CODEC_GZIP && s->z_live && s->z.total_in > 0) {
                return err_set(err, "gzip stream ends in the middle");
            }
            return 0;
        }
        char *out = s->buf + s->len;
        size_t room = s->cap - s->len;
        if (s->codec == CODEC_GZIP) {
            if (!s->z_live) {
                if (inflateReset(&s->z) != Z_OK) {
                    return err_set(err, "gzip: cannot restart");
                }
                s->z_live = true;
            }
            s->z.next_in = s->raw + s->raw_pos;
            s->z.avail_in = (uInt)(s->raw_len - s->raw_pos);
            s->z.next_out = (unsigned char *)out;
            s->z.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
            int rc = inflate(&s->z, Z_NO_FLUSH);
            s->raw_pos = s->raw_len - s->z.avail_in;
            *got = (size_t)((char *)s->z.next_out - out);
            if (rc == Z_STREAM_END) {
                s->z_live = false; /* another member may follow (concatenated .gz files) */
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                return err_set(err, "gzip: %s", s->z.msg ? s->z.msg : "corrupt data");
            }
        } else {
            ZSTD_inBuffer in = {s->raw, s->raw_len, s->raw_pos};
            ZSTD_outBuffer o = {out, room, 0};
            size_t rc = ZSTD_decompressStream(s->zs, &o, &in);
            if (ZSTD_isError(rc)) {
                return err_set(err, "zstd: %s", ZSTD_getErrorName(rc));
            }
            s->raw_pos = in.pos;
            *got = o.pos;
        }
        s->len += *got;
    }
    return 0;
}

int hunt_source_open(const char *path, struct hunt_source **out, struct err *err)
{
    struct hunt_source *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return err_set(err, "out of memory");
    }
    s->block = HUNT_BLOCK;
    if (strcmp(path, "-") == 0) {
        s->fd = 0;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        s->own_fd = true;
        if (s->fd < 0) {
            err_set(err, "%s: %s", path, strerror(errno));
            goto fail;
        }
    }
    struct stat st;
    unsigned char magic[4] = {0};
    if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (pread(s->fd, magic, 4, 0) < 0) {
            err_set(err, "%s: %s", path, strerror(errno));
            goto fail;
        }
        bool compressed =
            (magic[0] == 0x1f && magic[1] == 0x8b) ||
            (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd);
        if (!compressed && st.st_size > 0) {
            s->map_len = (size_t)st.st_size;
            s->map = mmap(NULL, s->map_len, PROT_READ, MAP_PRIVATE, s->fd, 0);
            if (s->map == MAP_FAILED) {
                s->map = NULL;
            } else {
                madvise(s->map, s->map_len, MADV_SEQUENTIAL | MADV_WILLNEED);
                *out = s;
                return 0;
            }
        }
    }
    s->cap = RAW_CHUNK * 4; /* grows up to two blocks as the stream allows */
    s->buf = malloc(s->cap);
    s->raw = malloc(RAW_CHUNK);
    if (s->buf == NULL || s->raw == NULL) {
        err_set(err, "out of memory");
        goto fail;
    }
    /* the first bytes say what the stream is */
    while (s->raw_len < 4 && !s->raw_eof) {
        ssize_t r = read(s->fd, s->raw + s->raw_len, RAW_CHUNK - s->raw_len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            err_set(err, "%s: %s", path, strerror(errno));
            goto fail;
        }
        s->raw_len += (size_t)r;
        s->raw_eof = r == 0;
        s->raw_short = r > 0 && s->raw_len < RAW_CHUNK;
    }
    if (s->raw_len >= 2 && s->raw[0] == 0x1f && s->raw[1] == 0x8b) {
        s->codec = CODEC_GZIP;
        if (inflateInit2(&s->z, 15 + 32) != Z_OK) {
            err_set(err, "gzip: out of memory");
            goto fail;
        }
        s->z_live = true;
    } else if (s->raw_len >= 4 && memcmp(s->raw, "\x28\xb5\x2f\xfd", 4) == 0) {
        s->codec = CODEC_ZSTD;
        s->zs = ZSTD_createDStream();
        if (s->zs == NULL || ZSTD_isError(ZSTD_initDStream(s->zs))) {
            err_set(err, "zstd: out of memory");
            goto fail;
        }
    } else {
        /* plain stream: what was read is already text */
        memcpy(s->buf, s->raw, s->raw_len);
        s->len = s->raw_len;
        s->paused = s->raw_short;
        s->raw_len = 0;
    }
    *out = s;
    return 0;
fail:
    hunt_source_close(s);
    return -1;
}

void hunt_source_close(struct hunt_source *s)
{
    if (s == NULL) {
        return;
    }
    if (s->map != NULL) {
        munmap(s->map, s->map_len);
    }
    if (s->own_fd && s->fd >= 0) {
        close(s->fd);
    }
    if (s->codec == CODEC_GZIP) {
        inflateEnd(&s->z);
    }
    ZSTD_freeDStream(s->zs);
    free(s->buf);
    free(s->raw);
    free(s);
}

/* Reads plain bytes into buf[len, cap); *got 0 at the end; *pause when the writer paused. */
/* Room to read into: the buffer grows up to two blocks before a block must go out. */
static int room(struct hunt_source *s, struct err *err)
{
    if (s->len < s->cap || s->cap >= s->block * 2) {
        return 0;
    }
    char *b = realloc(s->buf, s->cap * 2);
    if (b == NULL) {
        return err_set(err, "out of memory");
    }
    s->buf = b;
    s->cap *= 2;
    return 0;
}

static int read_plain(struct hunt_source *s, size_t *got, bool *pause, struct err *err)
{
    ssize_t r;
    size_t want = s->cap - s->len;
    do {
        r = read(s->fd, s->buf + s->len, want);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return err_set(err, "read: %s", strerror(errno));
    }
    *got = (size_t)r;
    *pause = r > 0 && (size_t)r < want && (size_t)r < RAW_CHUNK;
    s->len += (size_t)r;
    return 0;
}

int hunt_source_next(struct hunt_source *s, const char **data, size_t *len, struct err *err)
{
    if (s->map != NULL) {
        size_t left = s->map_len - s->map_pos;
        size_t n = left <= s->block ? left : s->block;
        if (n < left) {
            /* end the window after a newline; a line longer than the window is cut */
            const char *nl = memrchr(s->map + s->map_pos, '\n', n);
            if (nl != NULL) {
                n = (size_t)(nl - (s->map + s->map_pos)) + 1;
            }
        }
        *data = s->map + s->map_pos;
        *len = n;
        s->map_pos += n;
        return 0;
    }
    /* drop what went out last time, keep the partial line */
    memmove(s->buf, s->buf + s->handed, s->len - s->handed);
    s->len -= s->handed;
    s->handed = 0;
    for (;;) {
        if (s->len > 0 && (s->len >= s->block || s->paused)) {
            const char *nl = memrchr(s->buf, '\n', s->len);
            if (nl != NULL) {
                s->handed = (size_t)(nl - s->buf) + 1;
                break;
            }
            if (s->len >= s->block * 2) {
                s->handed = s->len; /* a line longer than the buffer: cut it */
                break;
            }
        }
        if (s->eof) {
            s->handed = s->len; /* the last line may lack its newline */
            break;
        }
        size_t got = 0;
        bool pause = false;
        if (room(s, err) != 0) {
            return -1;
        }
        if (s->codec == CODEC_NONE ? read_plain(s, &got, &pause, err) != 0
                                   : decode(s, &got, err) != 0) {
            return -1;
        }
        s->eof = got == 0;
        s->paused = s->codec == CODEC_NONE ? pause : s->raw_short && s->raw_pos == s->raw_len;
    }
    *data = s->buf;
    *len = s->handed;
    return 0;
}
