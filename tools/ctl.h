/* ctl.h — ladderctl's shared parts: the subcommand table's row type (one row
 * per subcommand drives its parsing, its help and the request it sends), the
 * session (endpoints, timeout, sockets), strict parsers and display helpers.
 *
 * Adding a subcommand is adding a row to ctl_table.c: its name, synopsis,
 * summary, an example, the Command or Query member it fills, and for each
 * positional argument and option the JSON field (lowerCamelCase path in that
 * member) and how its text is parsed. The request is built as proto3 JSON and
 * converted by the mapper (pbjson.c), so a row needs no C for the message.
 */
#ifndef LD_CTL_H
#define LD_CTL_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "ladder.pb-c.h"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_NOANSWER = 3, EXIT_FOUND = 4 };

/* How the text of an argument or option becomes a JSON value. */
typedef enum {
    A_STR,     /* as is */
    A_I64,     /* a signed whole number, strictly (no trailing text, in range) */
    A_U32,     /* 0 .. 4294967295 */
    A_U64,     /* 0 .. 2^64-1 */
    A_SECONDS, /* decimal seconds (132.5) -> whole milliseconds */
    A_CHOICE,  /* one word of `choices` "word=JSON_VALUE,...", e.g. "poor=RATING_POOR" */
    A_FLAG,    /* an option without value: the field gets `choices` (a JSON literal) or true */
    A_ASOF,    /* a seq (field.Seq) or a time YYYY-MM-DD[THH:MM] (field.Ms) — see explain */
    A_TIME,    /* ms since the epoch, +Nd (days after the daemon's now) or YYYY-MM-DD[THH:MM] */
    A_SCOPE,   /* org | centre:X | team:X | level:N -> scope + scopeValue */
} ctl_kind_t;

typedef struct {
    const char *name;    /* positional: its metavariable ("ID"); option: its long name ("team") */
    const char *field;   /* JSON path in the body, dotted ("content.root.customerSays") */
    ctl_kind_t kind;
    const char *choices; /* A_CHOICE / A_FLAG, see above; A_STR option: its metavariable */
    int required;        /* 0 optional, 1 required; positional only: 2 one or more,
                          * 3 zero or more (a JSON array, the last positional) */
    const char *help;    /* options: one line for `COMMAND --help` */
} ctl_arg_t;

typedef struct ctl_row ctl_row_t;

struct ctl_row {
    const char *name;     /* "hire", or "exam draw" (a noun and a verb) */
    const char *synopsis; /* after the name: "ID --name N [--team T]" */
    const char *summary;  /* one line or more, with the § it serves */
    const char *example;  /* one or more lines, each a complete invocation */
    const char *command;  /* the Command member it fills ("hire"), or NULL */
    const char *query;    /* the Query member it fills ("board"), or NULL */
    ctl_arg_t args[4];    /* positional, in order */
    ctl_arg_t opts[8];    /* options */
    const char *fixed;    /* JSON object merged into the body first, or NULL */
    const char *self;     /* a field that gets --as (the reviewer), or NULL */
    int offline;          /* talks to no daemon */
    /* a rule between fields that the table cannot say: a message, or NULL */
    const char *(*check)(json_t *body);
    /* custom runner (send, events, tail, offline ones); NULL: send the command
     * or the query, and print the result with show (or as JSON) */
    int (*run)(const ctl_row_t *row, json_t *body);
    /* prints a query's result as a table */
    void (*show)(const Ladder__V1__Ok *ok, json_t *body);
};

extern const ctl_row_t ctl_rows[];
extern const size_t ctl_nrows;

/* The session: global options and the sockets. */
typedef struct {
    const char *endpoint, *publish, *as, *server_key, *key;
    uint32_t roles;
    int json;
    int timeout; /* ms, for every send and receive */
    void *zctx, *dealer;
    int have_stats;
    Ladder__V1__StatsView *stats; /* the daemon's, fetched once when needed */
} ctl_session_t;

extern ctl_session_t G;

/* ---- ctl_io.c: transport ---- */
/* Opens the DEALER (timeouts, CURVE, connect checked). 0 or an exit code. */
int ctl_connect(void);
/* CURVE options on z when --server-key and --key are given; 0 or EXIT_USAGE. */
int ctl_curve(void *z);
/* Connects z to ep, or says why not; 0 or EXIT_USAGE. */
int ctl_zconnect(void *z, const char *ep, const char *which);
/* Sends req, returns the reply (caller frees) or NULL (said why) after --timeout. */
Ladder__V1__Reply *ctl_call(Ladder__V1__Request *req);
/* Sends commands as one request in the name of --as; prints the outcome; exit code. */
int ctl_run_commands(Ladder__V1__Command **cmds, size_t n);
/* A query: the reply's Ok in *out (caller frees the reply in *reply), or an exit
 * code (error printed). With --json prints it and sets *out NULL. */
int ctl_answer(Ladder__V1__Query *q, Ladder__V1__Reply **reply, const Ladder__V1__Ok **out);
/* The daemon's stats (utc offset, clock), fetched once; NULL (said why) without answer. */
const Ladder__V1__StatsView *ctl_stats(void);
/* Frees the stats fetched by ctl_stats (at exit). */
void ctl_stats_forget(void);
void ctl_print_json(const ProtobufCMessage *m, int compact);
int ctl_print_error(const Ladder__V1__Error *e);

/* ---- ctl_io.c: strict parsing and display ---- */
/* Prints "ladderctl: [row: ]message" and the row's usage; returns EXIT_USAGE. */
int ctl_usage(const ctl_row_t *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ctl_parse_i64(const char *s, int64_t *v);
int ctl_parse_u64(const char *s, uint64_t max, uint64_t *v);
/* YYYY-MM-DD[THH:MM[:SS]] in the offset of the rules in force (asks the daemon);
 * 0, -1 bad syntax, or an exit code > 0 (no answer). */
int ctl_parse_date(const char *s, int64_t *ms);
/* "YYYY-MM-DD HH:MM+08:00" in the rules' offset, "-" for 0. */
void ctl_fmt_time(char *buf, size_t len, int64_t ms);
/* The offset as "+08:00". */
void ctl_fmt_offset(char *buf, size_t len);
/* Prints s padded with spaces to `width` display columns (wcswidth); left aligned,
 * or right aligned when width < 0. */
void ctl_pad(const char *s, int width);
void ctl_print_hex(const uint8_t *p, size_t n);
/* A body value as an integer/string/bool (absent: def). */
uint64_t ctl_body_u64(json_t *body, const char *key, uint64_t def);
const char *ctl_body_str(json_t *body, const char *key);
int ctl_body_bool(json_t *body, const char *key);

/* ---- ctl_show.c: query results as tables ---- */
void ctl_show_employee(const Ladder__V1__Ok *ok, json_t *body);
void ctl_show_ready(const Ladder__V1__Ok *ok, json_t *body);
void ctl_show_explain(const Ladder__V1__Ok *ok, json_t *body);
void ctl_show_board(const Ladder__V1__Ok *ok, json_t *body);
void ctl_show_cases(const Ladder__V1__Ok *ok, json_t *body);
void ctl_show_kb(const Ladder__V1__Ok *ok, json_t *body);
void ctl_show_pending(const Ladder__V1__Ok *ok, json_t *body);
void ctl_show_committee(const Ladder__V1__Ok *ok, json_t *body);
void ctl_show_rules(const Ladder__V1__Ok *ok, json_t *body);
void ctl_show_stats(const Ladder__V1__Ok *ok, json_t *body);
/* One line for an event: seq, time, stream, type, body. */
void ctl_show_event(const Ladder__V1__Event *e);
/* One readable line for an update. */
void ctl_show_update(const char *topic, const Ladder__V1__Update *u);

/* ---- ctl_run.c and ctl_offline.c: the custom runners ---- */
int ctl_run_send(const ctl_row_t *row, json_t *body);
int ctl_run_events(const ctl_row_t *row, json_t *body);
int ctl_run_tail(const ctl_row_t *row, json_t *body);
int ctl_run_demo(const ctl_row_t *row, json_t *body);
int ctl_run_help(const ctl_row_t *row, json_t *body);
int ctl_run_verify(const ctl_row_t *row, json_t *body);
int ctl_run_audit(const ctl_row_t *row, json_t *body);
/* ladderctl what-if (whatif_cli.c), §10 */
int ctl_run_whatif(const ctl_row_t *row, json_t *body);
int ctl_run_keygen(const ctl_row_t *row, json_t *body);
int ctl_run_backup(const ctl_row_t *row, json_t *body);
int ctl_run_restore(const ctl_row_t *row, json_t *body);
int ctl_run_rules(const ctl_row_t *row, json_t *body);
/* A read-only open of dir: warns on stderr when dir/wal holds acknowledged
 * records past LMDB's head (what = the subcommand). */
struct ld_store;
void ctl_warn_wal(const char *what, const char *dir, struct ld_store *s);

/* ---- ctl_main.c ---- */
/* The overview (`ladderctl --help`) or one row's help, on out. */
void ctl_help_all(FILE *out);
void ctl_help_row(FILE *out, const ctl_row_t *row);
const ctl_row_t *ctl_find(const char *name, const char *verb);

/* demo.c: loads an organisation through the protocol; exit code. */
int demo_run(unsigned employees, uint64_t seed, const Ladder__V1__StatsView *st,
             Ladder__V1__Reply *(*call_fn)(Ladder__V1__Request *));

#endif
