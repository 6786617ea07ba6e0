/* libFuzzer target: arbitrary bytes as a fixture file. Loading must fail
 * cleanly or succeed; a loaded fixture is then instantiated, exported and
 * turned into a manifest. Nothing may crash, leak or trip the sanitizers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "nix/depot.h"
#include "nix/exportnix.h"
#include "nix/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lk_error err = LK_ERROR_INIT;
    struct fixture *f = NULL;
    if (fixture_load_bytes("fuzz.yaml", (const char *)data, size, &f, &err) == 0) {
        struct depot *d = NULL;
        if (depot_from_fixture(f, &d, &err) == 0) {
            json_t *m = depot_manifest(d, &err);
            json_decref(m);
            depot_free(d);
        }
        free(exportnix_render(f));
        fixture_free(f);
    } else if (!err.msg || !err.file) {
        abort(); /* every failure carries a message and the file */
    }
    lk_error_clear(&err);
    return 0;
}
