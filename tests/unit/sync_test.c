/* sync_test.c — federation schedules: backoff doubles from the interval, is capped, and
 * is spread by jitter so that peers that failed together do not retry together. */
#include "sync/sync.h"
#include "unit.h"

#include <math.h>

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static void backoff(void)
{
    CHECK(near(sync_next_delay(60, 0, 0.9), 60));                    /* success: the interval */
    CHECK(near(sync_next_delay(60, 1, 0.5), 120));                   /* 2x, jitter factor 1.0 */
    CHECK(near(sync_next_delay(60, 3, 0.5), 480));                   /* 8x */
    CHECK(near(sync_next_delay(60, 3, 0.0), 240));                   /* jitter down to half */
    CHECK(near(sync_next_delay(60, 3, 0.999999), 719.99952));        /* and up to 1.5x */
    CHECK(near(sync_next_delay(60, 40, 0.5), SYNC_BACKOFF_MAX));     /* capped */
    CHECK(near(sync_next_delay(1, 1000000, 0.5), SYNC_BACKOFF_MAX)); /* no overflow */
}

const struct unit_test sync_tests[] = {
    {"backoff", backoff},
    {NULL, NULL},
};
