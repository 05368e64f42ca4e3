/*
 * unit.h — the in-house unit test runner. A test is a void function that uses FAIL_IF;
 * each tests/unit/<module>_test.c exports a NULL-terminated table that runner.c lists.
 */
#ifndef CERTMESH_UNIT_H
#define CERTMESH_UNIT_H

#include <stdbool.h>
#include <stddef.h>

struct unit_test {
    const char *name;
    void (*fn)(void);
};

void unit_fail(const char *file, int line, const char *what);
bool unit_failed_now(void);

#define FAIL_IF(cond)                                                                              \
    do {                                                                                           \
        if (cond) {                                                                                \
            unit_fail(__FILE__, __LINE__, #cond);                                                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* FAIL_IF inside loops or helpers that return a value. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            unit_fail(__FILE__, __LINE__, #cond);                                                  \
        }                                                                                          \
    } while (0)

extern const struct unit_test base_tests[];
extern const struct unit_test stix_tests[];
extern const struct unit_test store_tests[];
extern const struct unit_test access_tests[];
extern const struct unit_test taxii_tests[];
extern const struct unit_test pattern_tests[];
extern const struct unit_test hunt_tests[];
extern const struct unit_test sync_tests[];

#endif
