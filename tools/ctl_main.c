/* ctl_main.c — ladderctl's entry: finds the subcommand's row (ctl_table.c),
 * parses global and row options anywhere with getopt_long (`--` ends them),
 * turns each argument into its JSON field strictly, and sends the Command or
 * Query the mapper builds from that JSON, or runs the row's own runner.
 * Help (`--help`, `-h`, `help [COMMAND]`) and `--version` are answered
 * everywhere from the same rows.
 */
#include <ctype.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ctl.h"
#include "pbjson.h"

#ifndef LADDER_VERSION
#define LADDER_VERSION "unknown"
#endif

enum { O_ENDPOINT = 1000, O_PUBLISH, O_AS, O_ROLES, O_JSON, O_TIMEOUT, O_SERVER_KEY, O_KEY,
       O_HELP, O_VERSION, O_ROW = 2000 }; /* 1 is getopt's "an argument" */

static const struct option globals[] = {
    {"endpoint", required_argument, NULL, O_ENDPOINT},
    {"publish", required_argument, NULL, O_PUBLISH},
    {"as", required_argument, NULL, O_AS},
    {"roles", required_argument, NULL, O_ROLES},
    {"json", no_argument, NULL, O_JSON},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"server-key", required_argument, NULL, O_SERVER_KEY},
    {"key", required_argument, NULL, O_KEY},
    {"help", no_argument, NULL, O_HELP},
    {"version", no_argument, NULL, O_VERSION},
};
#define NGLOBALS (sizeof globals / sizeof *globals)

static const char globals_help[] =
    "global options (anywhere on the line):\n"
    "  --endpoint EP   ladderd's command socket (default tcp://127.0.0.1:7601)\n"
    "  --publish EP    ladderd's update socket (default tcp://127.0.0.1:7602)\n"
    "  --as ID         principal acting (default: operator)\n"
    "  --roles LIST    its roles, comma separated: employee,reviewer,manager,system,\n"
    "                  auditor,service,chair (default: manager)\n"
    "  --json          print replies as proto3 JSON instead of tables\n"
    "  --timeout MS    how long to wait for ladderd to take or answer a request\n"
    "                  (default 10000)\n"
    "  --server-key F  ladderd's CURVE public key (server.pub): connect with CURVE\n"
    "  --key F         this client's CURVE secret key (NAME.key from keygen); the\n"
    "                  principal is then the one ladderd binds to its public key\n"
    "  -h, --help      this overview, or with a command its help and an example\n"
    "  --version       ladderctl's version\n";

static const char exit_help[] =
    "exit codes: 0 ok; 1 refused by ladderd (the error names the field and the §);\n"
    "            2 usage (a bad option, number, date or file); 3 no answer from\n"
    "            ladderd within --timeout; 4 verify/audit/restore found problems\n";

static uint32_t parse_roles(const char *list)
{
    static const struct { const char *name; uint32_t bit; } r[] = {
        {"employee", 1}, {"reviewer", 2}, {"manager", 4}, {"system", 8},
        {"auditor", 16}, {"service", 32}, {"chair", 64}};
    uint32_t bits = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        size_t i;
        for (i = 0; i < sizeof r / sizeof *r; i++)
            if (!strcmp(t, r[i].name))
                break;
        if (i == sizeof r / sizeof *r)
            return UINT32_MAX;
        bits |= r[i].bit;
    }
    return bits;
}

/* ---------------------------------------------------------------- help -- */

static const char *metavar(const ctl_arg_t *a, char *buf, size_t len)
{
    switch (a->kind) {
    case A_FLAG: return "";
    case A_I64: case A_U32: case A_U64: return " N";
    case A_SECONDS: return " SECONDS";
    case A_TIME: return " TIME";
    case A_ASOF: return " SEQ|DATE";
    case A_SCOPE: return " SCOPE";
    case A_CHOICE: {
        size_t k = 0;
        buf[k++] = ' ';
        for (const char *p = a->choices; *p && k + 2 < len;) {
            size_t w = strcspn(p, "=");
            if (k + w + 2 >= len)
                break;
            memcpy(buf + k, p, w);
            k += w;
            p = strchr(p, ',');
            if (!p)
                break;
            buf[k++] = '|';
            p++;
        }
        buf[k] = 0;
        return buf;
    }
    default:
        snprintf(buf, len, " %s", a->choices ? a->choices : "TEXT");
        return buf;
    }
}

void ctl_help_row(FILE *out, const ctl_row_t *row)
{
    fprintf(out, "usage: ladderctl %s %s\n\n", row->name, row->synopsis);
    for (const char *p = row->summary; *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(out, "  %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    int any = 0;
    for (size_t i = 0; i < 8 && row->opts[i].name; i++) {
        char mv[128], left[160];
        if (!any++)
            fprintf(out, "\noptions:\n");
        snprintf(left, sizeof left, "--%s%s", row->opts[i].name, metavar(&row->opts[i], mv, sizeof mv));
        fprintf(out, "  %-24s%s%s\n", left, strlen(left) < 24 ? " " : "\n                           ",
                row->opts[i].help ? row->opts[i].help : "");
    }
    fprintf(out, "\nexample%s:\n", strchr(row->example, '\n') ? "s" : "");
    for (const char *p = row->example; *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(out, "  %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    fprintf(out, "\nglobal options (--json, --timeout, --as, ...): ladderctl --help\n");
}

void ctl_help_all(FILE *out)
{
    fprintf(out, "usage: ladderctl [global options] COMMAND [arguments] [options]\n\n%s\n",
            globals_help);
    fprintf(out, "commands (all talk to a running ladderd unless marked offline;\n"
                 "`ladderctl COMMAND --help` shows its options and an example):\n");
    for (size_t i = 0; i < ctl_nrows; i++) {
        const ctl_row_t *r = &ctl_rows[i];
        fprintf(out, "  %s %s\n", r->name, r->synopsis);
        size_t n = strcspn(r->summary, "\n");
        fprintf(out, "      %.*s%s\n", (int)n, r->summary, r->summary[n] ? " ..." : "");
    }
    fprintf(out, "\n%s", exit_help);
}

const ctl_row_t *ctl_find(const char *name, const char *verb)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < ctl_nrows; i++) {
        const char *r = ctl_rows[i].name;
        if (!strcmp(r, name))
            return &ctl_rows[i];
        if (verb && !strncmp(r, name, n) && r[n] == ' ' && !strcmp(r + n + 1, verb))
            return &ctl_rows[i];
    }
    return NULL;
}

/* Whether name is a noun with verbs ("exam" for "exam draw"). */
static int has_verbs(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < ctl_nrows; i++)
        if (!strncmp(ctl_rows[i].name, name, n) && ctl_rows[i].name[n] == ' ')
            return 1;
    return 0;
}

static void verbs_of(const char *name, char *buf, size_t len)
{
    size_t n = strlen(name), k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < ctl_nrows; i++)
        if (!strncmp(ctl_rows[i].name, name, n) && ctl_rows[i].name[n] == ' ')
            k += (size_t)snprintf(buf + k, k < len ? len - k : 0, "%s%s", k ? " or " : "",
                                  ctl_rows[i].name + n + 1);
}

/* Text for scdoc: its formatting characters escaped. */
static void scdoc_text(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        if (s[i] == '*' || s[i] == '_' || s[i] == '\\')
            fputc('\\', out);
        fputc(s[i], out);
    }
}

/* The COMMANDS section of ladderctl(1), from the rows. */
static void help_scdoc(FILE *out)
{
    fprintf(out, "# COMMANDS\n\n");
    for (size_t i = 0; i < ctl_nrows; i++) {
        const ctl_row_t *r = &ctl_rows[i];
        fprintf(out, "*%s* ", r->name);
        scdoc_text(out, r->synopsis, strlen(r->synopsis));
        fprintf(out, "\n");
        for (const char *p = r->summary; *p;) {
            size_t n = strcspn(p, "\n");
            fputs(*p == '-' ? "\t\\" : "\t", out); /* not a list item */
            scdoc_text(out, p, n);
            fputc('\n', out);
            p += n + (p[n] == '\n');
        }
        for (size_t k = 0; k < 8 && r->opts[k].name; k++) {
            char mv[160];
            fprintf(out, "\n\t*--%s*", r->opts[k].name);
            const char *m = metavar(&r->opts[k], mv, sizeof mv);
            scdoc_text(out, m, strlen(m));
            fprintf(out, "\n\t\t");
            const char *h = r->opts[k].help ? r->opts[k].help : "";
            scdoc_text(out, h, strlen(h));
            fprintf(out, "%s\n", r->opts[k].required ? " (required)" : "");
        }
        for (const char *p = r->example; *p;) {
            size_t n = strcspn(p, "\n");
            fprintf(out, "\n\tExample: ");
            scdoc_text(out, p, n);
            fputc('\n', out);
            p += n + (p[n] == '\n');
        }
        fprintf(out, "\n");
    }
}

int ctl_run_help(const ctl_row_t *row, json_t *body)
{
    (void)row;
    if (ctl_body_bool(body, "scdoc")) {
        help_scdoc(stdout);
        return EXIT_OK;
    }
    json_t *topic = json_object_get(body, "topic");
    if (!json_array_size(topic)) {
        ctl_help_all(stdout);
        return EXIT_OK;
    }
    const char *name = json_string_value(json_array_get(topic, 0));
    const char *verb = json_string_value(json_array_get(topic, 1));
    const ctl_row_t *r = ctl_find(name, verb);
    if (r) {
        ctl_help_row(stdout, r);
        return EXIT_OK;
    }
    if (has_verbs(name)) {
        size_t n = strlen(name);
        for (size_t i = 0; i < ctl_nrows; i++)
            if (!strncmp(ctl_rows[i].name, name, n) && ctl_rows[i].name[n] == ' ')
                ctl_help_row(stdout, &ctl_rows[i]);
        return EXIT_OK;
    }
    return ctl_usage(NULL, "help: unknown command '%s'", name);
}

/* ------------------------------------------------------------- parsing -- */

/* Sets a dotted path in obj to v (stolen); repeated: appends to an array. */
static void set_path(json_t *obj, const char *path, json_t *v, int repeated)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *p = buf, *dot;
    while ((dot = strchr(p, '.'))) {
        *dot = 0;
        json_t *next = json_object_get(obj, p);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(obj, p, next);
        }
        obj = next;
        p = dot + 1;
    }
    if (repeated) {
        json_t *a = json_object_get(obj, p);
        if (!json_is_array(a)) {
            a = json_array();
            json_object_set_new(obj, p, a);
        }
        json_array_append_new(a, v);
    } else {
        json_object_set_new(obj, p, v);
    }
}

/* The value at a dotted path in obj, or NULL. */
static json_t *get_path(json_t *obj, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = strtok(buf, "."); p && obj; p = strtok(NULL, "."))
        obj = json_object_get(obj, p);
    return obj;
}

static json_t *u64_json(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    return json_string(s);
}

static json_t *i64_json(int64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)v);
    return json_string(s);
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* The text of one argument into its field; 0 or an exit code (said why). */
static int parse_value(const ctl_row_t *row, const ctl_arg_t *a, const char *label,
                       const char *text, json_t *body)
{
    json_t *v = NULL;
    char path[128];
    int repeated = a->required >= 2;
    switch (a->kind) {
    case A_STR:
        v = json_string(text);
        if (!v)
            return ctl_usage(row, "%s: not valid UTF-8", label);
        break;
    case A_I64: {
        int64_t x;
        if (ctl_parse_i64(text, &x))
            return ctl_usage(row, "%s: '%s' is not a whole number (e.g. 25 or -10)", label, text);
        v = i64_json(x);
        break;
    }
    case A_U32: {
        uint64_t x;
        if (ctl_parse_u64(text, UINT32_MAX, &x))
            return ctl_usage(row, "%s: '%s' is not a whole number from 0 to 4294967295", label, text);
        v = json_integer((json_int_t)x);
        break;
    }
    case A_U64: {
        uint64_t x;
        if (ctl_parse_u64(text, UINT64_MAX, &x))
            return ctl_usage(row, "%s: '%s' is not a whole number from 0 to 18446744073709551615",
                             label, text);
        v = u64_json(x);
        break;
    }
    case A_SECONDS: {
        char *end;
        double x = strtod(text, &end);
        if (!*text || *end || !isfinite(x) || x < 0 || x > 1e9 || !isdigit((unsigned char)*text))
            return ctl_usage(row, "%s: '%s' is not a number of seconds (e.g. 132.5)", label, text);
        v = i64_json((int64_t)llround(x * 1000.0));
        break;
    }
    case A_CHOICE: {
        size_t tl = strlen(text);
        for (const char *p = a->choices; p && *p; p = strchr(p, ','), p = p ? p + 1 : NULL) {
            size_t w = strcspn(p, "=");
            if (w == tl && !strncmp(p, text, tl)) {
                const char *val = p + w + 1;
                size_t vl = strcspn(val, ",");
                v = json_stringn(val, vl);
                break;
            }
        }
        if (!v) {
            char mv[160];
            return ctl_usage(row, "%s: '%s' is not one of%s", label, text, metavar(a, mv, sizeof mv));
        }
        break;
    }
    case A_FLAG:
        v = a->choices ? json_loads(a->choices, JSON_DECODE_ANY, NULL) : json_true();
        break;
    case A_ASOF: {
        int64_t ms;
        if (all_digits(text)) {
            uint64_t x;
            if (ctl_parse_u64(text, UINT64_MAX, &x))
                return ctl_usage(row, "%s: '%s' is too large for a seq", label, text);
            snprintf(path, sizeof path, "%sSeq", a->field);
            set_path(body, path, u64_json(x), 0);
            return 0;
        }
        int rc = ctl_parse_date(text, &ms);
        if (rc > 0)
            return rc;
        if (rc)
            return ctl_usage(row, "%s: '%s' is neither a seq nor a time YYYY-MM-DD[THH:MM] "
                                  "(in the rules' UTC offset)", label, text);
        snprintf(path, sizeof path, "%sMs", a->field);
        set_path(body, path, i64_json(ms), 0);
        return 0;
    }
    case A_TIME: {
        int64_t ms;
        if (all_digits(text)) {
            if (ctl_parse_i64(text, &ms))
                return ctl_usage(row, "%s: '%s' is too large", label, text);
        } else if (text[0] == '+' && text[1] && text[strlen(text) - 1] == 'd') {
            char num[24];
            uint64_t days;
            snprintf(num, sizeof num, "%.*s", (int)strlen(text) - 2, text + 1);
            if (ctl_parse_u64(num, 3660000, &days))
                return ctl_usage(row, "%s: '%s': +Nd takes a whole number of days", label, text);
            const Ladder__V1__StatsView *st = ctl_stats();
            if (!st)
                return EXIT_NOANSWER;
            ms = st->now_ms + (int64_t)days * 86400000LL;
        } else {
            int rc = ctl_parse_date(text, &ms);
            if (rc > 0)
                return rc;
            if (rc)
                return ctl_usage(row, "%s: '%s' is not ms since the epoch, +Nd or "
                                      "YYYY-MM-DD[THH:MM] (in the rules' UTC offset)", label, text);
        }
        v = i64_json(ms);
        break;
    }
    case A_SCOPE: {
        static const char *const scopes[] = {"centre", "team", "level"};
        static const char *const names[] = {"SCOPE_CENTRE", "SCOPE_TEAM", "SCOPE_LEVEL"};
        if (!strcmp(text, "org"))
            return 0;
        const char *colon = strchr(text, ':');
        size_t k = 3;
        if (colon && colon[1])
            for (k = 0; k < 3; k++)
                if ((size_t)(colon - text) == strlen(scopes[k]) &&
                    !strncmp(text, scopes[k], strlen(scopes[k])))
                    break;
        uint64_t lv;
        if (k == 3 || (k == 2 && ctl_parse_u64(colon + 1, 5, &lv)))
            return ctl_usage(row, "%s: '%s' is not org, centre:NAME, team:NAME or level:N (0-5)",
                             label, text);
        set_path(body, a->field, json_string(names[k]), 0);
        snprintf(path, sizeof path, "%sValue", a->field);
        set_path(body, path, json_string(colon + 1), 0);
        return 0;
    }
    }
    set_path(body, a->field, v, repeated);
    return 0;
}

static int global_option(int code, const char *arg)
{
    switch (code) {
    case O_ENDPOINT: G.endpoint = arg; break;
    case O_PUBLISH: G.publish = arg; break;
    case O_AS: G.as = arg; break;
    case O_JSON: G.json = 1; break;
    case O_SERVER_KEY: G.server_key = arg; break;
    case O_KEY: G.key = arg; break;
    case O_TIMEOUT: {
        uint64_t ms;
        if (ctl_parse_u64(arg, 86400000, &ms) || ms == 0)
            return ctl_usage(NULL, "--timeout: '%s' is not a whole number of milliseconds "
                                   "from 1 to 86400000", arg);
        G.timeout = (int)ms;
        break;
    }
    case O_ROLES:
        if ((G.roles = parse_roles(arg)) == UINT32_MAX)
            return ctl_usage(NULL, "--roles: unknown role in '%s' (employee, reviewer, manager, "
                                   "system, auditor, service, chair)", arg);
        break;
    }
    return 0;
}

/* Whether a global option takes a value ("--endpoint X", not "--endpoint=X"). */
static int global_takes_value(const char *a)
{
    if (strncmp(a, "--", 2) || strchr(a, '='))
        return 0;
    for (size_t i = 0; i < NGLOBALS; i++)
        if (!strcmp(a + 2, globals[i].name))
            return globals[i].has_arg == required_argument;
    return 0;
}

/* Sends the row's Command or Query built from body; prints the outcome. */
static int run_default(const ctl_row_t *row, json_t *body)
{
    char err[512];
    json_t *wrap = json_object();
    json_object_set(wrap, row->command ? row->command : row->query, body);
    const ProtobufCMessageDescriptor *d =
        row->command ? &ladder__v1__command__descriptor : &ladder__v1__query__descriptor;
    ProtobufCMessage *m = pbjson_to_message(d, wrap, err, sizeof err);
    json_decref(wrap);
    if (!m)
        return ctl_usage(row, "%s", err);
    int rc;
    if (row->command) {
        Ladder__V1__Command *c = (Ladder__V1__Command *)m;
        rc = ctl_run_commands(&c, 1);
    } else {
        Ladder__V1__Reply *r;
        const Ladder__V1__Ok *ok;
        rc = ctl_answer((Ladder__V1__Query *)m, &r, &ok);
        if (!rc && ok && row->show)
            row->show(ok, body);
        if (r)
            ladder__v1__reply__free_unpacked(r, NULL);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int run_row(const ctl_row_t *row, int argc, char **argv)
{
    struct option lo[NGLOBALS + 9];
    size_t n = 0;
    for (size_t i = 0; i < NGLOBALS; i++)
        lo[n++] = globals[i];
    for (size_t i = 0; i < 8 && row->opts[i].name; i++)
        lo[n++] = (struct option){row->opts[i].name,
                                  row->opts[i].kind == A_FLAG ? no_argument : required_argument,
                                  NULL, O_ROW + (int)i};
    lo[n] = (struct option){0, 0, 0, 0};

    /* a negative number is an argument, not an option, unless it is an
     * option's value (then getopt takes it as is) */
    char **mark = calloc((size_t)argc + 1, sizeof *mark);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            break;
        int takes = 0;
        if (!strncmp(a, "--", 2) && !strchr(a, '='))
            for (size_t k = 0; k < n; k++)
                if (!strcmp(a + 2, lo[k].name))
                    takes = lo[k].has_arg == required_argument;
        if (takes) {
            i++;
            continue;
        }
        if (a[0] == '-' && (isdigit((unsigned char)a[1]) || a[1] == '.')) {
            size_t l = strlen(a);
            mark[i] = malloc(l + 2);
            mark[i][0] = '\x01';
            memcpy(mark[i] + 1, a, l + 1);
            argv[i] = mark[i];
        }
    }

    json_t *body = row->fixed ? json_loads(row->fixed, 0, NULL) : json_object();
    const char **pos = calloc((size_t)argc + 1, sizeof *pos);
    size_t npos = 0;
    int rc = 0, c;
    opterr = 0;
    optind = 1;
    while (!rc && (c = getopt_long(argc, argv, "-:h", lo, NULL)) != -1) {
        if (c == 1) {
            pos[npos++] = optarg[0] == '\x01' ? optarg + 1 : optarg;
        } else if (c == ':') {
            rc = ctl_usage(row, "%s needs a value", argv[optind - 1]);
        } else if (c == '?') {
            if (optopt)
                rc = ctl_usage(row, "unknown option -%c", optopt);
            else
                rc = ctl_usage(row, "unknown option %s", argv[optind - 1]);
        } else if (c >= O_ROW) {
            const ctl_arg_t *a = &row->opts[c - O_ROW];
            char label[64];
            snprintf(label, sizeof label, "--%s", a->name);
            rc = parse_value(row, a, label, optarg ? optarg : "", body);
        } else {
            rc = global_option(c, optarg);
        }
    }
    for (int i = optind; !rc && i < argc; i++) /* after -- */
        pos[npos++] = argv[i][0] == '\x01' ? argv[i] + 1 : argv[i];
    /* positionals, in the row's order; a repeated one takes the rest */
    size_t k = 0, got = 0;
    for (size_t i = 0; !rc && i < npos; i++) {
        if (k >= 4 || !row->args[k].name) {
            rc = ctl_usage(row, "unexpected argument '%s'", pos[i]);
            break;
        }
        rc = parse_value(row, &row->args[k], row->args[k].name, pos[i], body);
        if (row->args[k].required >= 2)
            got++;
        else
            k++;
    }
    for (size_t i = k; !rc && i < 4 && row->args[i].name; i++)
        if (row->args[i].required == 1 || (row->args[i].required == 2 && !got))
            rc = ctl_usage(row, "missing %s", row->args[i].name);
    for (size_t i = 0; !rc && i < 8 && row->opts[i].name; i++)
        if (row->opts[i].required && row->opts[i].kind != A_FLAG &&
            !get_path(body, row->opts[i].field))
            rc = ctl_usage(row, "missing --%s", row->opts[i].name);
    if (!rc && row->self)
        set_path(body, row->self, json_string(G.as), 0);
    const char *why = !rc && row->check ? row->check(body) : NULL;
    if (why)
        rc = ctl_usage(row, "%s", why);
    if (!rc && !row->offline)
        rc = ctl_connect();
    if (!rc)
        rc = row->run ? row->run(row, body) : run_default(row, body);
    json_decref(body);
    free(pos);
    for (int i = 0; i < argc; i++)
        free(mark[i]);
    free(mark);
    return rc;
}

int main(int argc, char **argv)
{
    setlocale(LC_CTYPE, "");
    if (MB_CUR_MAX == 1)
        setlocale(LC_CTYPE, "C.UTF-8");
    if (sodium_init() < 0)
        return EXIT_USAGE;

    /* find the subcommand (and its verb) among the arguments; help and
     * version win wherever they are */
    int cmd_i = -1, verb_i = -1, help = 0, version = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            if (cmd_i < 0 && i + 1 < argc)
                cmd_i = i + 1;
            break;
        }
        if (a[0] == '-' && a[1]) {
            help |= !strcmp(a, "-h") || !strcmp(a, "--help");
            version |= !strcmp(a, "--version");
            if (cmd_i < 0 && global_takes_value(a))
                i++;
            continue;
        }
        if (cmd_i < 0)
            cmd_i = i;
        else if (verb_i < 0 && has_verbs(argv[cmd_i]))
            verb_i = i;
        else
            break;
    }
    if (version) {
        printf("ladderctl %s\n", LADDER_VERSION);
        return EXIT_OK;
    }
    const char *name = cmd_i >= 0 ? argv[cmd_i] : NULL;
    const ctl_row_t *row = name ? ctl_find(name, verb_i >= 0 ? argv[verb_i] : NULL) : NULL;
    if (help) {
        if (row && !has_verbs(row->name)) {
            ctl_help_row(stdout, row);
        } else if (name && has_verbs(name)) {
            json_t *b = json_pack("{s:[s]}", "topic", name);
            ctl_run_help(NULL, b);
            json_decref(b);
        } else if (name && !row) {
            return ctl_usage(NULL, "unknown command '%s'", name);
        } else {
            ctl_help_all(stdout);
        }
        return EXIT_OK;
    }
    if (!name)
        return ctl_usage(NULL, "no command given");
    if (!row) {
        if (has_verbs(name)) {
            char v[128];
            verbs_of(name, v, sizeof v);
            if (verb_i >= 0)
                return ctl_usage(NULL, "%s %s: unknown; %s takes %s", name, argv[verb_i], name, v);
            return ctl_usage(NULL, "%s needs %s", name, v);
        }
        return ctl_usage(NULL, "unknown command '%s'", name);
    }
    /* the arguments without the command words, for getopt_long */
    char **av = calloc((size_t)argc + 1, sizeof *av);
    int ac = 0;
    for (int i = 0; i < argc; i++)
        if (i != cmd_i && i != verb_i)
            av[ac++] = argv[i];
    int rc = run_row(row, ac, av);
    free(av);
    ctl_stats_forget();
    if (G.dealer)
        zmq_close(G.dealer);
    if (G.zctx)
        zmq_ctx_term(G.zctx);
    return rc;
}
