/* yamltree — one YAML document as a compact tree, built from libyaml's
 * events.
 *
 * Contract: yamltree_load() reads the next document of `parser` as
 * yaml_parser_load() does — the same nodes (aliases resolved to their
 * anchored node, so a document can refer to itself), the same start marks,
 * the same errors (a failure leaves libyaml's error fields of `parser` set,
 * including the composer's "found undefined alias" and "found duplicate
 * anchor" errors, with libyaml's wording and marks) — except that
 * collections nested deeper than YAMLTREE_MAX_DEPTH are a composer error
 * ("expected at most 256 levels of nesting", at the collection that is one
 * too deep), found while parsing: libyaml's scanner takes time quadratic in
 * the flow depth, so deep input is rejected before it costs any — and keeps
 * them in three
 * arrays: the nodes, the items and pairs of the collections, and the
 * scalars' text (each NUL-terminated). libyaml's document keeps a block of
 * 96 bytes and two allocations per node, which made loading a large fixture
 * about seven times as slow as parsing it.
 * At the end of the stream the tree is empty (`root` is NULL), as libyaml's
 * document without a root node. Nodes are numbered from 0 in the order they
 * start. Ownership: the tree owns everything; yamltree_free() releases it
 * (also after a failed load). */
#ifndef LAZYKITE_SIM_YAMLTREE_H
#define LAZYKITE_SIM_YAMLTREE_H

#include <stddef.h>

#include <jansson.h>
#include <yaml.h>

#define YAMLTREE_MAX_DEPTH 256
/* The problem set when a collection is nested deeper (libyaml keeps a
 * pointer to it: a literal). */
#define YAMLTREE_DEPTH_PROBLEM "expected at most 256 levels of nesting"

struct ynode_pair {
    size_t key, value; /* node numbers */
};

struct ynode {
    yaml_node_type_t type; /* YAML_SCALAR_NODE, YAML_SEQUENCE_NODE, YAML_MAPPING_NODE */
    yaml_mark_t start_mark;
    union { /* by type */
        struct {
            const char *value;   /* NUL-terminated (and may hold NULs: see length) */
            size_t length;
            yaml_scalar_style_t style;
        } scalar;
        struct {
            size_t *start, *top; /* node numbers of a sequence's items */
        } items;
        struct {
            struct ynode_pair *start, *top; /* a mapping's pairs, in order */
        } pairs;
    };
};

struct yamltree {
    struct ynode *nodes;
    size_t n_nodes;
    struct ynode *root;      /* NULL: no document */
    size_t *items;           /* every sequence's items, one after the other */
    struct ynode_pair *pairs;
    char *text;              /* every scalar, NUL-terminated */
};

/* 1 on success (a document, or none at the end of the stream), 0 on an
 * error (in `parser`'s error fields), like yaml_parser_load(). */
int yamltree_load(yaml_parser_t *parser, struct yamltree *t);
void yamltree_free(struct yamltree *t);

/* What a scalar means: the one set of scalar rules of fixtures and
 * pipelines, YAML 1.2's core schema (as Buildkite's go-yaml v3 reads a
 * pipeline). Only plain scalars resolve; a quoted or block scalar is a
 * string, and explicit tags are not honoured.
 *   null    ``, `~`, `null`, `Null`, `NULL`
 *   bool    `true`, `True`, `TRUE`, `false`, `False`, `FALSE`
 *   int     `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+` (a decimal one
 *           that does not fit in 64 bits is a float, as in go-yaml, and
 *           `integral` says so; a hexadecimal or octal one, a string)
 *   float   `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, and
 *           `.inf`, `-.inf`, `.nan` in their three spellings (JSON has no
 *           such numbers: callers refuse a float that is not finite)
 *   string  everything else
 * No allocation; the node must be a scalar. */
enum yscalar_type { YSCALAR_NULL, YSCALAR_BOOL, YSCALAR_INT, YSCALAR_FLOAT, YSCALAR_STRING };
struct yscalar {
    enum yscalar_type type;
    int boolean;      /* YSCALAR_BOOL */
    long long integer; /* YSCALAR_INT */
    double real;      /* YSCALAR_FLOAT */
    int integral;     /* YSCALAR_FLOAT from an integer too large for 64 bits */
};
enum yscalar_type yamltree_resolve(const struct ynode *n, struct yscalar *v);
/* The scalar as a JSON value by those rules (a new reference), or NULL and
 * *why: a NUL byte in it, a float JSON cannot hold, text that is not
 * UTF-8 (callers word the error for their input). */
enum yscalar_problem { YSCALAR_NUL_BYTE, YSCALAR_NOT_FINITE, YSCALAR_NOT_UTF8 };
json_t *yamltree_scalar_json(const struct ynode *n, enum yscalar_problem *why);

#endif
