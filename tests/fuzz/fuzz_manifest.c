/* libFuzzer target: the manifest reader on any bytes. manifest_parse()
 * (piece by piece, see jsonscan.h) must agree with manifest_parse_whole()
 * (jansson on the whole text) on every input: the same error line, or
 * manifests that generate byte-identical pipelines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "pipeline.h"

/* The pipeline of `m` as one text, or the error line. */
static char *outcome(const struct manifest *m, int parse_rc, struct lk_error *err)
{
    if (parse_rc != 0)
        return lk_error_format(err);
    struct generate_request req = { m, "m.json", NULL, NULL, { 0 }, { 0 }, true, NULL, NULL, 0 };
    struct pipeline p;
    if (pipeline_generate(&req, &p, err) != 0)
        return lk_error_format(err);
    struct strbuf all = STRBUF_INIT;
    for (size_t i = 0; i < p.n_phases; i++) {
        sb_addf(&all, "%s\n", p.phases[i].name);
        sb_add(&all, p.phases[i].steps.text.buf, p.phases[i].steps.text.len);
        for (size_t k = 0; k < p.phases[i].steps.n; k++)
            sb_addf(&all, " %zu", p.phases[i].steps.ends[k]);
        sb_addc(&all, '\n');
    }
    sb_adds(&all, p.drvmap);
    pipeline_free(&p);
    return sb_detach(&all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct manifest fast, whole;
    struct lk_error fast_err = LK_ERROR_INIT, whole_err = LK_ERROR_INIT;
    int fast_rc = manifest_parse(text, size, "m.json", &fast, &fast_err);
    int whole_rc = manifest_parse_whole(text, size, "m.json", &whole, &whole_err);
    char *a = outcome(&fast, fast_rc, &fast_err);
    char *b = outcome(&whole, whole_rc, &whole_err);
    if (fast_rc != whole_rc || strcmp(a, b) != 0)
        abort();
    free(a);
    free(b);
    manifest_free(&fast);
    manifest_free(&whole);
    lk_error_clear(&fast_err);
    lk_error_clear(&whole_err);
    return 0;
}
