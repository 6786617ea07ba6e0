/* libFuzzer target: arbitrary bytes loaded by yamltree_load() and by
 * libyaml's yaml_parser_load(), document after document: the trees (or the
 * errors) must be the same (tests/unit/yamlcmp.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../unit/yamlcmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    if (yamlcmp_check((const char *)data, size, why, sizeof why) != 0) {
        fprintf(stderr, "yamltree differs from libyaml: %s\n", why);
        abort();
    }
    return 0;
}
