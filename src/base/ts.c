/*
 * ts.c — RFC 3339 timestamps in the strict form STIX 2.1 (section 2.15) and TAXII 2.1
 * (section 2) require: UTC only, "Z" designator, optional fractional seconds. Times are
 * carried as microseconds since the epoch; finer digits are accepted and truncated.
 */
#include "base/base.h"

#include <stdio.h>
#include <time.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int ts_parse(const char *s, ts_us *out, int *frac_digits)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec;
    if (s == NULL) {
        return -1;
    }
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
        digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec)) {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) {
        return -1;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int maxd = mdays[mo - 1] + (mo == 2 && leap);
    if (d > maxd) {
        return -1;
    }
    const char *p = s + 19;
    int64_t frac = 0;
    int nd = 0;
    if (*p == '.') {
        p++;
        /* "if no digits are provided, the decimal place MUST NOT be present" (2.15) */
        if (*p < '0' || *p > '9') {
            return -1;
        }
        while (*p >= '0' && *p <= '9') {
            if (nd < 6) {
                frac = frac * 10 + (*p - '0');
            }
            nd++;
            p++;
            if (nd > 64) {
                return -1;
            }
        }
        for (int k = nd; k < 6; k++) {
            frac *= 10;
        }
    }
    if (p[0] != 'Z' || p[1] != '\0') {
        return -1;
    }
    int64_t days = days_from_civil(y, mo, d);
    *out = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + frac;
    if (frac_digits != NULL) {
        *frac_digits = nd;
    }
    return 0;
}

void ts_format(ts_us t, int ndigits, char out[TS_MAX_TEXT])
{
    int64_t secs = t >= 0 ? t / 1000000 : (t - 999999) / 1000000;
    int64_t us = t - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(out, TS_MAX_TEXT, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, (int)(rem / 3600),
                     (int)(rem % 3600 / 60), (int)(rem % 60));
    if (ndigits == 3) {
        snprintf(out + n, (size_t)(TS_MAX_TEXT - n), ".%03dZ", (int)(us / 1000));
    } else if (ndigits == 6) {
        snprintf(out + n, (size_t)(TS_MAX_TEXT - n), ".%06dZ", (int)us);
    } else {
        snprintf(out + n, (size_t)(TS_MAX_TEXT - n), "Z");
    }
}

ts_us ts_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (ts_us)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}
