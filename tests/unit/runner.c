/*
 * runner.c — runs every registered unit test (or those whose name contains argv[1]) and
 * ends with the line "N passed, N failed".
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *module;
    const struct unit_test *tests;
} suites[] = {
    {"base", base_tests},     {"stix", stix_tests},   {"store", store_tests},
    {"access", access_tests}, {"taxii", taxii_tests}, {"pattern", pattern_tests},
    {"hunt", hunt_tests},     {"sync", sync_tests},
};

static int current_failures;

void unit_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "    %s:%d: %s\n", file, line, what);
    current_failures++;
}

bool unit_failed_now(void)
{
    return current_failures > 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
        for (const struct unit_test *t = suites[s].tests; t->name != NULL; t++) {
            char full[256];
            snprintf(full, sizeof(full), "%s.%s", suites[s].module, t->name);
            if (argc > 1 && strstr(full, argv[1]) == NULL) {
                continue;
            }
            current_failures = 0;
            t->fn();
            if (current_failures == 0) {
                passed++;
            } else {
                failed++;
                fprintf(stderr, "FAIL %s\n", full);
            }
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
