/*
 * parallel.c — one block of lines scanned by several threads. The block is cut at line
 * ends into one part per thread; each thread scans its part piece by piece (1 MiB, also
 * cut at line ends, so progress can be shown) and keeps its hits; the calling thread then
 * hands them out part after part, so the order of hits never depends on the thread count.
 */
#include "hunt/hunt.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIECE ((size_t)1 << 20)

struct kept {
    const char *label, *indicator;
    int32_t tag;
    enum hunt_type type;
    enum hunt_match match;
    size_t value; /* offset in the part's value buffer */
    size_t offset;
};

struct part {
    const struct hunt_index *ix;
    const char *text;
    size_t begin, end;
    size_t shift; /* where the piece being scanned starts */
    struct kept *hits;
    size_t n_hits, cap_hits;
    struct buf values;
    size_t newlines;
    bool oom;
    atomic_size_t *progress;
    atomic_int *finished;
};

static void keep(void *ctx, const struct hunt_hit *h)
{
    struct part *p = ctx;
    if (p->oom) {
        return;
    }
    if (p->n_hits == p->cap_hits) {
        size_t cap = p->cap_hits ? p->cap_hits * 2 : 256;
        struct kept *k = realloc(p->hits, cap * sizeof(*k));
        if (k == NULL) {
            p->oom = true;
            return;
        }
        p->hits = k;
        p->cap_hits = cap;
    }
    struct kept *k = &p->hits[p->n_hits];
    k->label = h->label;
    k->indicator = h->indicator;
    k->tag = h->tag;
    k->type = h->type;
    k->match = h->match;
    k->value = p->values.len;
    k->offset = p->shift + h->offset;
    if (buf_append(&p->values, h->value, strlen(h->value) + 1) != 0) {
        p->oom = true;
        return;
    }
    p->n_hits++;
}

/* The end of a piece of at most want bytes from begin: after a newline where there is one. */
static size_t cut(const char *text, size_t begin, size_t end, size_t want)
{
    if (end - begin <= want) {
        return end;
    }
    const char *nl = memchr(text + begin + want, '\n', end - begin - want);
    return nl ? (size_t)(nl - text) + 1 : end;
}

static void *work(void *arg)
{
    struct part *p = arg;
    size_t pos = p->begin;
    while (pos < p->end && !p->oom) {
        size_t next = cut(p->text, pos, p->end, PIECE);
        p->shift = pos;
        size_t lines;
        hunt_scan_lines(p->ix, p->text + pos, next - pos, keep, p, &lines);
        p->newlines += lines;
        if (p->progress != NULL) {
            atomic_fetch_add(p->progress, next - pos);
        }
        pos = next;
    }
    if (p->finished != NULL) {
        atomic_fetch_add(p->finished, 1);
    }
    return NULL;
}

int hunt_scan_block(const struct hunt_index *ix, const char *text, size_t n, int threads,
                    const struct hunt_progress *progress, hunt_hit_fn fn, void *ctx,
                    size_t *newlines, struct err *err)
{
    if (threads < 1) {
        threads = 1;
    }
    if (threads > HUNT_MAX_THREADS) {
        threads = HUNT_MAX_THREADS;
    }
    /* a part of less than 64 KiB is not worth a thread */
    if ((size_t)threads > n / 65536 + 1) {
        threads = (int)(n / 65536 + 1);
    }
    struct part parts[HUNT_MAX_THREADS];
    pthread_t tids[HUNT_MAX_THREADS];
    bool started[HUNT_MAX_THREADS] = {false};
    atomic_size_t done = 0;
    atomic_int finished = 0;
    size_t begin = 0;
    int rc = 0;
    for (int t = 0; t < threads; t++) {
        size_t end =
            t == threads - 1 ? n : cut(text, begin, n, (n - begin) / (size_t)(threads - t));
        parts[t] = (struct part){.ix = ix, .text = text, .begin = begin, .end = end};
        buf_init(&parts[t].values, SIZE_MAX / 2);
        parts[t].progress = &done;
        parts[t].finished = &finished;
        begin = end;
    }
    for (int t = 1; t < threads; t++) {
        started[t] = pthread_create(&tids[t], NULL, work, &parts[t]) == 0;
        if (!started[t]) {
            work(&parts[t]); /* no thread to be had: do it here */
        }
    }
    if (progress != NULL && progress->fn != NULL) {
        /* the calling thread reports progress while one helper takes its part */
        pthread_t helper;
        bool helped = pthread_create(&helper, NULL, work, &parts[0]) == 0;
        if (!helped) {
            work(&parts[0]);
        }
        while (atomic_load(&finished) < threads) {
            struct timespec ts = {0, 200 * 1000 * 1000};
            nanosleep(&ts, NULL);
            progress->fn(progress->ctx, atomic_load(&done));
        }
        if (helped) {
            pthread_join(helper, NULL);
        }
    } else {
        work(&parts[0]);
    }
    for (int t = 1; t < threads; t++) {
        if (started[t]) {
            pthread_join(tids[t], NULL);
        }
    }
    *newlines = 0;
    for (int t = 0; t < threads; t++) {
        struct part *p = &parts[t];
        *newlines += p->newlines;
        if (p->oom) {
            rc = err_set(err, "out of memory keeping hits");
        }
        for (size_t i = 0; i < p->n_hits && rc == 0; i++) {
            const struct kept *k = &p->hits[i];
            struct hunt_hit h = {k->label, k->indicator, k->tag,
                                 k->type,  k->match,     p->values.data + k->value,
                                 k->offset};
            fn(ctx, &h);
        }
        free(p->hits);
        buf_fini(&p->values);
    }
    return rc;
}
