/* libFuzzer target: the parent-map reader on any bytes (what `lazykite
 * parent-map` downloads). parent_map_check() (entry by entry, see
 * jsonscan.h) must agree with parent_map_parse() (jansson on the whole
 * text) on every input: the same verdict, the same error line, the same
 * number of labels. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct parent_map pm = { NULL };
    struct lk_error check_err = LK_ERROR_INIT, parse_err = LK_ERROR_INIT;
    size_t n = 0;
    int check_rc = parent_map_check(text, size, "p.json", &n, &check_err);
    int parse_rc = parent_map_parse(text, size, "p.json", &pm, &parse_err);
    if (check_rc != parse_rc)
        abort();
    if (check_rc == 0 && n != json_object_size(pm.drvs))
        abort();
    if (check_rc != 0) {
        char *a = lk_error_format(&check_err), *b = lk_error_format(&parse_err);
        if (strcmp(a, b) != 0)
            abort();
        free(a);
        free(b);
    }
    parent_map_free(&pm);
    lk_error_clear(&check_err);
    lk_error_clear(&parse_err);
    return 0;
}
