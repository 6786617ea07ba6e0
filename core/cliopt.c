/* cliopt — see cliopt.h. */
#include "cliopt.h"

#include <string.h>

void cliopt_init(struct cliopt_state *st, int argc, char **argv, const struct cliopt *opts)
{
    *st = (struct cliopt_state){ argc, argv, 1, false, opts };
}

static const struct cliopt *find_long(const struct cliopt *opts, const char *name, size_t n)
{
    for (const struct cliopt *o = opts; o->id; o++)
        if (o->name && strlen(o->name) == n && !memcmp(o->name, name, n))
            return o;
    return NULL;
}

static const struct cliopt *find_short(const struct cliopt *opts, char c)
{
    for (const struct cliopt *o = opts; o->id; o++)
        if (o->short_name == c)
            return o;
    return NULL;
}

int cliopt_next(struct cliopt_state *st, const char **value, struct lk_error *err)
{
    *value = NULL;
    if (st->next >= st->argc)
        return CLIOPT_END;
    const char *word = st->argv[st->next++];
    if (st->operands_only || word[0] != '-' || word[1] == '\0') {
        *value = word;
        return CLIOPT_OPERAND;
    }
    if (!strcmp(word, "--")) {
        st->operands_only = true;
        return cliopt_next(st, value, err);
    }
    const struct cliopt *o;
    const char *inline_value = NULL;
    if (word[1] == '-') {
        const char *name = word + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        o = find_long(st->opts, name, n);
        if (!o) {
            lk_fail(err, LK_EXIT_INPUT, NULL, NULL, "unknown option '--%.*s'", (int)n, name);
            return CLIOPT_ERROR;
        }
        if (eq && !o->takes_value) {
            lk_fail(err, LK_EXIT_INPUT, NULL, NULL, "option '--%s' takes no value", o->name);
            return CLIOPT_ERROR;
        }
        inline_value = eq ? eq + 1 : NULL;
    } else {
        o = find_short(st->opts, word[1]);
        if (!o) {
            lk_fail(err, LK_EXIT_INPUT, NULL, NULL, "unknown option '-%c'", word[1]);
            return CLIOPT_ERROR;
        }
        if (word[2] && !o->takes_value) {
            lk_fail(err, LK_EXIT_INPUT, NULL, NULL, "option '-%c' takes no value (got '%s')",
                    word[1], word);
            return CLIOPT_ERROR;
        }
        inline_value = word[2] ? word + 2 : NULL;
    }
    if (o->takes_value) {
        if (!inline_value) {
            if (st->next >= st->argc) {
                lk_fail(err, LK_EXIT_INPUT, NULL, NULL, "option '%s' needs a value", word);
                return CLIOPT_ERROR;
            }
            inline_value = st->argv[st->next++];
        }
        *value = inline_value;
    }
    return o->id;
}

int cliopt_second_value(struct cliopt_state *st, const char *name, const char **value,
                        struct lk_error *err)
{
    if (st->next >= st->argc)
        return lk_fail(err, LK_EXIT_INPUT, NULL, NULL, "option '--%s' needs two values", name);
    *value = st->argv[st->next++];
    return 0;
}
