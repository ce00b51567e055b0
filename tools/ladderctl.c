/* ladderctl.c — the operator's and auditor's command line for ladderd.
 *
 * Talks the contract of proto/ladder.proto over ZeroMQ (DEALER to the ROUTER,
 * SUB to the PUB); commands and results move as proto3 JSON (pbjson.c).
 * Offline subcommands (verify, audit) open a copy of a data directory with
 * the store and the core directly. `ladderctl --help` lists everything.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "audit.h"
#include "whatif_cli.h"
#include "ladder.pb-c.h"
#include "pbjson.h"
#include "replay.h"
#include "store.h"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_NOANSWER = 3, EXIT_FOUND = 4 };

static const char usage_text[] =
    "usage: ladderctl [global options] COMMAND [arguments]\n"
    "\n"
    "global options:\n"
    "  --endpoint EP   ladderd's command socket (default tcp://127.0.0.1:7601)\n"
    "  --publish EP    ladderd's update socket (default tcp://127.0.0.1:7602)\n"
    "  --as ID         principal acting (default: operator)\n"
    "  --roles LIST    its roles, comma separated: employee,reviewer,manager,system,\n"
    "                  auditor,service,chair (default: manager)\n"
    "  --json          print replies as proto3 JSON instead of tables\n"
    "  --timeout MS    how long to wait for a reply (default 10000)\n"
    "  --server-key F  ladderd's CURVE public key (server.pub): connect with CURVE\n"
    "  --key F         this client's CURVE secret key (NAME.key from keygen); the\n"
    "                  principal is then the one ladderd binds to its public key\n"
    "\n"
    "commands (all talk to a running ladderd unless marked offline):\n"
    "  send FILE|-                 a command, an array of commands or {\"commands\":[...]}\n"
    "                              as JSON; all-or-nothing; prints the appended events\n"
    "  hire ID --name N [--team T] [--centre C]\n"
    "  award ID AMOUNT --reason R  a signed manual adjustment (§3 P12)\n"
    "  task ID TASK                a rules-learning task completed (level-0 .. level-5)\n"
    "  study ID CASE               an employee studied a case (§6.3)\n"
    "  rate ID CASE excellent|average|poor\n"
    "  submit-case SUB CASE AUTHOR --title T --question Q [--background B]\n"
    "  review SUB (--approve --amount N --level L --category C | --reject)\n"
    "                              a review in the name of --as (§4, §5)\n"
    "  mentor MENTOR APPRENTICE    start an apprenticeship (§6.5)\n"
    "  query-test ID SECONDS       a 100-query test (§6.4), e.g. 132.5\n"
    "  exam draw EXAM ID [--retention] [--size N]\n"
    "  exam grade EXAM SCORE...    one score (0-100) per drawn case\n"
    "  appeal ID --reason R        appeal a demotion (§7)\n"
    "  decide-appeal ID (--overturn|--uphold) --reason R\n"
    "  clock TIME                  move a --clock manual daemon to TIME (ms since the\n"
    "                              epoch, or +Nd for N days later)\n"
    "  employee ID                 level, titles, points, apprentices, deadlines\n"
    "  ready ID                    the §6 checklist with numeric gaps\n"
    "  explain ID [--as-of SEQ|YYYY-MM-DD[THH:MM]]  level changes with their evidence,\n"
    "                              and the state as it was then (§11)\n"
    "  board [--window all|week|month|quarter|year] [--scope org|centre:X|team:X|level:N]\n"
    "        [--top N] [--around ID]   a leaderboard (§9): top N, or around one person\n"
    "  cases LEVEL [CATEGORY] [--history]  case ranking of a partition (§4): classicness,\n"
    "                              stable time, eviction order (1 = next to leave)\n"
    "  kb ITEM                     a knowledge-base item with its versions (§4)\n"
    "  pending [--reviewer ID]     what awaits review (KB proposals, case submissions)\n"
    "  committee                   review committee members and applications (§5)\n"
    "  propose-kb PROPOSAL ITEM AUTHOR --text T [--new]   a KB revision or new item\n"
    "  review-kb PROPOSAL (--approve --amount N | --reject)   in the name of --as\n"
    "  suggest SUGGESTION ID --text T   a rationalization suggestion (§8)\n"
    "  judge SUGGESTION not-adopted|adopted|feasible|duplicate [--amount N]\n"
    "        [--duplicate-of S] [--reason R]\n"
    "  stats [--digest]            counts, batches, commit latency, head seq; --digest:\n"
    "                              a hash of the whole state (compare: verify --digest)\n"
    "  events [--from SEQ] [--stream S] [--max N] [--follow]\n"
    "  tail [TOPIC...]             updates as they come (Clone pattern: snapshot of\n"
    "                              level./points. first, then updates after its seq)\n"
    "  verify --data DIR [--digest]  offline: walk the hash chain, report the first bad\n"
    "                              seq; --digest: the state hash of a fresh fold\n"
    "  audit --data DIR            offline: re-derive every derived event from its fact\n"
    "  what-if --data DIR RULES    offline: what a rules document would have decided (§10)\n"
    "                              under the rules then in force; report discrepancies\n"
    "  demo [--employees N] [--seed S]  load a realistic organisation through the\n"
    "                              protocol (months of history need --clock manual)\n"
    "  keygen NAME [--dir DIR]     a CURVE key pair: NAME.key (secret), NAME.pub\n"
    "\n"
    "exit codes: 0 ok; 1 refused by ladderd (the error names the field and the §);\n"
    "            2 usage; 3 no answer from ladderd; 4 verify/audit found problems\n";

typedef struct {
    const char *endpoint, *publish, *as, *server_key, *key;
    uint32_t roles;
    int json;
    int timeout;
    void *zctx, *dealer;
    uint64_t rid_seq;
} ctl_t;

static ctl_t G = {"tcp://127.0.0.1:7601", "tcp://127.0.0.1:7602", "operator", NULL, NULL,
                  LADDER__V1__ROLE__ROLE_MANAGER, 0, 10000, NULL, NULL, 0};

/* Reads a 40-character Z85 key from a file. */
static int read_z85(const char *path, char out[41])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "ladderctl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[128] = "";
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got || strcspn(line, "\r\n") != 40) {
        fprintf(stderr, "ladderctl: %s: expected a 40-character Z85 key\n", path);
        return -1;
    }
    memcpy(out, line, 40);
    out[40] = 0;
    return 0;
}

/* CURVE client options on a socket, when --server-key and --key are given. */
static void curve(void *z)
{
    if (!G.server_key || !G.key)
        return;
    char server[41], secret[41], public_[41];
    if (read_z85(G.server_key, server) || read_z85(G.key, secret) ||
        zmq_curve_public(public_, secret) != 0)
        exit(EXIT_USAGE);
    zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, server, 41);
    zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, public_, 41);
    zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, secret, 41);
}

static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ladderctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see ladderctl --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

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

/* ------------------------------------------------------------ transport -- */

static void connect_daemon(void)
{
    if (G.dealer)
        return;
    G.zctx = zmq_ctx_new();
    G.dealer = zmq_socket(G.zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(G.dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(G.dealer, ZMQ_RCVTIMEO, &G.timeout, sizeof G.timeout);
    curve(G.dealer);
    zmq_connect(G.dealer, G.endpoint);
}

/* Sends req; returns the reply (caller frees) or NULL after the timeout. */
static Ladder__V1__Reply *call(Ladder__V1__Request *req)
{
    connect_daemon();
    size_t n = ladder__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(n + 1);
    ladder__v1__request__pack(req, buf);
    zmq_send(G.dealer, "", 0, ZMQ_SNDMORE);
    zmq_send(G.dealer, buf, n, 0);
    free(buf);
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, G.dealer, 0) < 0) {
            zmq_msg_close(&m);
            fprintf(stderr, "ladderctl: no answer from %s within %d ms (is ladderd running?)\n",
                    G.endpoint, G.timeout);
            return NULL;
        }
        if (zmq_msg_more(&m)) {
            zmq_msg_close(&m);
            continue;
        }
        Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        return r;
    }
}

static void print_json(const ProtobufCMessage *m)
{
    json_t *j = pbjson_from_message(m);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(s);
    free(s);
    json_decref(j);
}

/* An error reply on stderr: code, §, field, message. Returns EXIT_REFUSED. */
static int print_error(const Ladder__V1__Error *e)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&ladder__v1__error_code__descriptor, e->code);
    fprintf(stderr, "ladderctl: %s%s%s%s: %s\n", v ? v->name : "ERROR",
            *e->field ? " (field " : "", e->field, *e->field ? ")" : "", e->message);
    return EXIT_REFUSED;
}

/* Sends commands as one request in the name of --as; prints the outcome. */
static int run_commands(Ladder__V1__Command **cmds, size_t n)
{
    uint8_t rid[16];
    randombytes_buf(rid, sizeof rid);
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)G.as;
    p.roles = G.roles;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){sizeof rid, rid};
    req.principal = &p;
    req.n_commands = n;
    req.commands = cmds;
    Ladder__V1__Reply *r = call(&req);
    if (!r)
        return EXIT_NOANSWER;
    int rc = EXIT_OK;
    if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR) {
        rc = print_error(r->error);
    } else if (G.json) {
        print_json(&r->base);
    } else {
        printf("ok: %zu event%s", r->ok->n_seqs, r->ok->n_seqs == 1 ? "" : "s");
        if (r->ok->n_seqs)
            printf(", seq %llu..%llu", (unsigned long long)r->ok->seqs[0],
                   (unsigned long long)r->ok->seqs[r->ok->n_seqs - 1]);
        printf("\n");
    }
    ladder__v1__reply__free_unpacked(r, NULL);
    return rc;
}

static int run_one(Ladder__V1__Command *c)
{
    return run_commands(&c, 1);
}

static Ladder__V1__Reply *query(Ladder__V1__Query *q)
{
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = q;
    return call(&req);
}

/* --------------------------------------------------------------- options -- */

/* Finds "--name value" in argv; returns value or NULL. */
static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return NULL;
}

static int flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return 0;
}

/* The i-th argument that is not an option or an option's value. */
static const char *pos(int argc, char **argv, int i, const char *const *with_value)
{
    int k = 0;
    for (int a = 0; a < argc; a++) {
        if (!strncmp(argv[a], "--", 2)) {
            for (int w = 0; with_value && with_value[w]; w++)
                if (!strcmp(argv[a], with_value[w])) {
                    a++;
                    break;
                }
            continue;
        }
        if (k++ == i)
            return argv[a];
    }
    return NULL;
}

/* ------------------------------------------------------------- commands -- */

static int cmd_send(int argc, char **argv)
{
    const char *file = pos(argc, argv, 0, NULL);
    if (!file)
        return usage("send needs a FILE or -");
    json_error_t err;
    json_t *j = !strcmp(file, "-") ? json_loadf(stdin, 0, &err) : json_load_file(file, 0, &err);
    if (!j) {
        fprintf(stderr, "ladderctl: %s:%d:%d: %s\n", file, err.line, err.column, err.text);
        return EXIT_USAGE;
    }
    json_t *list = json_is_array(j) ? j : json_object_get(j, "commands");
    size_t n = list ? json_array_size(list) : 1;
    if (list && !json_is_array(list)) {
        json_decref(j);
        return usage("send: \"commands\" must be an array");
    }
    Ladder__V1__Command **cmds = calloc(n ? n : 1, sizeof *cmds);
    int rc = EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        char msg[512], path[32];
        json_t *item = list ? json_array_get(list, i) : j;
        ProtobufCMessage *m = pbjson_to_message(&ladder__v1__command__descriptor, item, msg, sizeof msg);
        snprintf(path, sizeof path, list ? "commands[%zu]" : "command", i);
        if (!m) {
            fprintf(stderr, "ladderctl: %s: %s\n", path, msg);
            rc = EXIT_USAGE;
            n = i;
            break;
        }
        cmds[i] = (Ladder__V1__Command *)m;
    }
    if (rc == EXIT_OK)
        rc = run_commands(cmds, n);
    for (size_t i = 0; i < n; i++)
        ladder__v1__command__free_unpacked(cmds[i], NULL);
    free(cmds);
    json_decref(j);
    return rc;
}

#define NEED(x, what)                                    \
    do {                                                 \
        if (!(x))                                        \
            return usage("%s", what);                    \
    } while (0)

static int cmd_hire(int argc, char **argv)
{
    static const char *const v[] = {"--name", "--team", "--centre", NULL};
    Ladder__V1__Hire m = LADDER__V1__HIRE__INIT;
    NEED(m.employee_id = (char *)pos(argc, argv, 0, v), "hire needs an employee ID");
    NEED(m.name = (char *)opt(argc, argv, "--name"), "hire needs --name");
    m.team = (char *)(opt(argc, argv, "--team") ? opt(argc, argv, "--team") : "");
    m.centre = (char *)(opt(argc, argv, "--centre") ? opt(argc, argv, "--centre") : "");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &m;
    return run_one(&c);
}

static int cmd_award(int argc, char **argv)
{
    static const char *const v[] = {"--reason", NULL};
    Ladder__V1__AdjustPoints m = LADDER__V1__ADJUST_POINTS__INIT;
    const char *amount = pos(argc, argv, 1, v);
    NEED(m.employee_id = (char *)pos(argc, argv, 0, v), "award needs ID AMOUNT --reason R");
    NEED(amount, "award needs ID AMOUNT --reason R");
    m.amount = strtoll(amount, NULL, 10);
    m.reason = (char *)(opt(argc, argv, "--reason") ? opt(argc, argv, "--reason") : "");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
    c.adjust_points = &m;
    return run_one(&c);
}

static int cmd_task(int argc, char **argv)
{
    Ladder__V1__CompleteTask m = LADDER__V1__COMPLETE_TASK__INIT;
    NEED(m.employee_id = (char *)pos(argc, argv, 0, NULL), "task needs ID TASK");
    NEED(m.task_id = (char *)pos(argc, argv, 1, NULL), "task needs ID TASK");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_COMPLETE_TASK;
    c.complete_task = &m;
    return run_one(&c);
}

static int cmd_study(int argc, char **argv)
{
    Ladder__V1__StudyCase m = LADDER__V1__STUDY_CASE__INIT;
    NEED(m.employee_id = (char *)pos(argc, argv, 0, NULL), "study needs ID CASE");
    NEED(m.case_id = (char *)pos(argc, argv, 1, NULL), "study needs ID CASE");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_STUDY_CASE;
    c.study_case = &m;
    return run_one(&c);
}

static int cmd_rate(int argc, char **argv)
{
    Ladder__V1__RateCase m = LADDER__V1__RATE_CASE__INIT;
    const char *r = pos(argc, argv, 2, NULL);
    NEED(m.employee_id = (char *)pos(argc, argv, 0, NULL), "rate needs ID CASE RATING");
    NEED(m.case_id = (char *)pos(argc, argv, 1, NULL), "rate needs ID CASE RATING");
    NEED(r, "rate needs ID CASE excellent|average|poor");
    m.rating = !strcmp(r, "excellent") ? LADDER__V1__RATING__RATING_EXCELLENT
             : !strcmp(r, "average")   ? LADDER__V1__RATING__RATING_AVERAGE
             : !strcmp(r, "poor")      ? LADDER__V1__RATING__RATING_POOR : 0;
    NEED(m.rating, "rating must be excellent, average or poor");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_RATE_CASE;
    c.rate_case = &m;
    return run_one(&c);
}

static int cmd_submit_case(int argc, char **argv)
{
    static const char *const v[] = {"--title", "--question", "--background", NULL};
    Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
    Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
    Ladder__V1__SubmitCase m = LADDER__V1__SUBMIT_CASE__INIT;
    NEED(m.submission_id = (char *)pos(argc, argv, 0, v), "submit-case needs SUB CASE AUTHOR");
    NEED(m.case_id = (char *)pos(argc, argv, 1, v), "submit-case needs SUB CASE AUTHOR");
    NEED(m.author_id = (char *)pos(argc, argv, 2, v), "submit-case needs SUB CASE AUTHOR");
    NEED(ct.title = (char *)opt(argc, argv, "--title"), "submit-case needs --title");
    NEED(root.customer_says = (char *)opt(argc, argv, "--question"), "submit-case needs --question");
    ct.background = (char *)(opt(argc, argv, "--background") ? opt(argc, argv, "--background") : "");
    ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT;
    ct.root = &root;
    m.content = &ct;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
    c.submit_case = &m;
    return run_one(&c);
}

static int cmd_review(int argc, char **argv)
{
    static const char *const v[] = {"--amount", "--level", "--category", NULL};
    Ladder__V1__ReviewCase m = LADDER__V1__REVIEW_CASE__INIT;
    NEED(m.submission_id = (char *)pos(argc, argv, 0, v), "review needs a SUBMISSION");
    m.reviewer_id = (char *)G.as;
    if (flag(argc, argv, "--approve")) {
        m.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
        NEED(opt(argc, argv, "--amount") && opt(argc, argv, "--level") && opt(argc, argv, "--category"),
             "an approval needs --amount, --level and --category");
        m.amount = strtoll(opt(argc, argv, "--amount"), NULL, 10);
        m.level = (uint32_t)strtoul(opt(argc, argv, "--level"), NULL, 10);
        m.category = (char *)opt(argc, argv, "--category");
    } else if (flag(argc, argv, "--reject")) {
        m.verdict = LADDER__V1__VERDICT__VERDICT_REJECT;
    } else {
        return usage("review needs --approve or --reject");
    }
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
    c.review_case = &m;
    return run_one(&c);
}

static int cmd_mentor(int argc, char **argv)
{
    Ladder__V1__StartApprenticeship m = LADDER__V1__START_APPRENTICESHIP__INIT;
    NEED(m.mentor_id = (char *)pos(argc, argv, 0, NULL), "mentor needs MENTOR APPRENTICE");
    NEED(m.apprentice_id = (char *)pos(argc, argv, 1, NULL), "mentor needs MENTOR APPRENTICE");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_START_APPRENTICESHIP;
    c.start_apprenticeship = &m;
    return run_one(&c);
}

static int cmd_query_test(int argc, char **argv)
{
    Ladder__V1__RecordQueryTest m = LADDER__V1__RECORD_QUERY_TEST__INIT;
    const char *secs = pos(argc, argv, 1, NULL);
    NEED(m.employee_id = (char *)pos(argc, argv, 0, NULL), "query-test needs ID SECONDS");
    NEED(secs, "query-test needs ID SECONDS");
    m.total_ms = (int64_t)(strtod(secs, NULL) * 1000.0 + 0.5);
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_RECORD_QUERY_TEST;
    c.record_query_test = &m;
    return run_one(&c);
}

static int cmd_exam(int argc, char **argv)
{
    static const char *const v[] = {"--size", NULL};
    const char *what = pos(argc, argv, 0, v);
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    if (what && !strcmp(what, "draw")) {
        Ladder__V1__DrawExam m = LADDER__V1__DRAW_EXAM__INIT;
        NEED(m.exam_id = (char *)pos(argc, argv, 1, v), "exam draw needs EXAM ID");
        NEED(m.employee_id = (char *)pos(argc, argv, 2, v), "exam draw needs EXAM ID");
        m.purpose = flag(argc, argv, "--retention") ? LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION
                                                     : LADDER__V1__EXAM_PURPOSE__EXAM_PROMOTION;
        if (opt(argc, argv, "--size"))
            m.size = (uint32_t)strtoul(opt(argc, argv, "--size"), NULL, 10);
        c.cmd_case = LADDER__V1__COMMAND__CMD_DRAW_EXAM;
        c.draw_exam = &m;
        return run_one(&c);
    }
    if (what && !strcmp(what, "grade")) {
        Ladder__V1__GradeExam m = LADDER__V1__GRADE_EXAM__INIT;
        NEED(m.exam_id = (char *)pos(argc, argv, 1, v), "exam grade needs EXAM SCORE...");
        uint32_t scores[64];
        const char *sc;
        while (m.n_scores < 64 && (sc = pos(argc, argv, 2 + (int)m.n_scores, v)))
            scores[m.n_scores++] = (uint32_t)strtoul(sc, NULL, 10);
        NEED(m.n_scores, "exam grade needs one SCORE per case");
        m.scores = scores;
        c.cmd_case = LADDER__V1__COMMAND__CMD_GRADE_EXAM;
        c.grade_exam = &m;
        return run_one(&c);
    }
    return usage("exam draw|grade");
}

static int cmd_appeal(int argc, char **argv)
{
    static const char *const v[] = {"--reason", NULL};
    Ladder__V1__Appeal m = LADDER__V1__APPEAL__INIT;
    NEED(m.employee_id = (char *)pos(argc, argv, 0, v), "appeal needs ID --reason R");
    m.reason = (char *)(opt(argc, argv, "--reason") ? opt(argc, argv, "--reason") : "");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_APPEAL;
    c.appeal = &m;
    return run_one(&c);
}

static int cmd_decide_appeal(int argc, char **argv)
{
    static const char *const v[] = {"--reason", NULL};
    Ladder__V1__DecideAppeal m = LADDER__V1__DECIDE_APPEAL__INIT;
    NEED(m.employee_id = (char *)pos(argc, argv, 0, v), "decide-appeal needs ID");
    NEED(flag(argc, argv, "--overturn") || flag(argc, argv, "--uphold"),
         "decide-appeal needs --overturn or --uphold");
    m.overturn = flag(argc, argv, "--overturn");
    m.reason = (char *)(opt(argc, argv, "--reason") ? opt(argc, argv, "--reason") : "");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_DECIDE_APPEAL;
    c.decide_appeal = &m;
    return run_one(&c);
}

static int64_t now_of_daemon(void);

static int cmd_clock(int argc, char **argv)
{
    const char *t = pos(argc, argv, 0, NULL);
    NEED(t, "clock needs TIME (ms) or +Nd");
    Ladder__V1__AdvanceClock m = LADDER__V1__ADVANCE_CLOCK__INIT;
    m.to_ms = t[0] == '+' ? now_of_daemon() + strtoll(t + 1, NULL, 10) * 86400000LL
                          : strtoll(t, NULL, 10);
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK;
    c.advance_clock = &m;
    return run_one(&c);
}

/* -------------------------------------------------------------- queries -- */

static void fmt_time(char *buf, size_t len, int64_t ms)
{
    if (!ms) {
        snprintf(buf, len, "-");
        return;
    }
    time_t s = (time_t)(ms / 1000) + 8 * 3600; /* the default +08:00 of the rules */
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M+08:00", &tm);
}

static int answer(Ladder__V1__Query *q, Ladder__V1__Reply **out)
{
    Ladder__V1__Reply *r = query(q);
    if (!r)
        return EXIT_NOANSWER;
    if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR) {
        int rc = print_error(r->error);
        ladder__v1__reply__free_unpacked(r, NULL);
        return rc;
    }
    if (G.json) {
        print_json(&r->ok->base);
        ladder__v1__reply__free_unpacked(r, NULL);
        *out = NULL;
        return EXIT_OK;
    }
    *out = r;
    return EXIT_OK;
}

static int cmd_employee(int argc, char **argv)
{
    Ladder__V1__GetEmployee g = LADDER__V1__GET_EMPLOYEE__INIT;
    NEED(g.employee_id = (char *)pos(argc, argv, 0, NULL), "employee needs an ID");
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EMPLOYEE;
    q.employee = &g;
    Ladder__V1__Reply *r;
    int rc = answer(&q, &r);
    if (rc || !r)
        return rc;
    const Ladder__V1__EmployeeView *v = r->ok->employee;
    char t1[40];
    fmt_time(t1, sizeof t1, v->hired_ms);
    printf("%-22s %s (%s)\n", "employee", v->employee_id, v->name);
    printf("%-22s %s / %s\n", "team / centre", *v->team ? v->team : "-", *v->centre ? v->centre : "-");
    printf("%-22s %u  %s  %s\n", "level", v->level->level, v->level->title_zh, v->level->title_en);
    printf("%-22s %s belt, salary grade %u\n", "belt / salary", v->level->belt, v->level->salary_grade);
    printf("%-22s", "privileges");
    for (size_t i = 0; i < v->level->n_privileges; i++)
        printf(" %s", v->level->privileges[i]);
    printf("\n%-22s %lld total, %lld since level, %lld this retention year\n", "points",
           (long long)v->points_total, (long long)v->points_since_level, (long long)v->points_in_year);
    printf("%-22s", "apprentices");
    for (size_t i = 0; i < v->n_apprentices; i++)
        printf(" %s", v->apprentices[i]);
    printf("%s (credited toward next level: %u)\n", v->n_apprentices ? "" : " -", v->apprentices_credited);
    printf("%-22s %s\n", "mentor", *v->mentor_id ? v->mentor_id : "-");
    if (v->last_query_test_ms)
        printf("%-22s %.3f s\n", "last query test", (double)v->last_query_test_ms / 1000.0);
    else
        printf("%-22s -\n", "last query test");
    printf("%-22s %s\n", "retention", v->retention_status);
    printf("%-22s %s\n", "appeal", v->appeal_status);
    printf("%-22s %s\n", "hired", t1);
    if (v->n_medals) {
        printf("%-22s", "medals");
        for (size_t i = 0; i < v->n_medals; i++)
            printf(" %s", v->medals[i]);
        printf("\n");
    }
    if (v->left)
        printf("%-22s yes\n", "left");
    ladder__v1__reply__free_unpacked(r, NULL);
    return EXIT_OK;
}

static int cmd_ready(int argc, char **argv)
{
    Ladder__V1__GetReadiness g = LADDER__V1__GET_READINESS__INIT;
    NEED(g.employee_id = (char *)pos(argc, argv, 0, NULL), "ready needs an ID");
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_READINESS;
    q.readiness = &g;
    Ladder__V1__Reply *r;
    int rc = answer(&q, &r);
    if (rc || !r)
        return rc;
    const Ladder__V1__Readiness *d = r->ok->readiness;
    if (!d->n_items) {
        printf("%s is at level %u, the top: nothing further to reach\n", d->employee_id, d->level);
    } else {
        printf("%s: level %u -> %u\n", d->employee_id, d->level, d->target_level);
        for (size_t i = 0; i < d->n_items; i++) {
            const Ladder__V1__ReadinessItem *it = d->items[i];
            printf("  %s %-5s %-12s %s\n", it->met ? "✓" : "✗", it->section, it->name,
                   it->met ? "" : it->gap);
        }
        printf("  exam: %s\n", d->exam_allowed ? "may be drawn now" : "not yet");
    }
    ladder__v1__reply__free_unpacked(r, NULL);
    return EXIT_OK;
}

static int cmd_explain(int argc, char **argv)
{
    static const char *const v[] = {"--as-of", NULL};
    Ladder__V1__Explain g = LADDER__V1__EXPLAIN__INIT;
    NEED(g.employee_id = (char *)pos(argc, argv, 0, v), "explain needs an ID");
    const char *asof = opt(argc, argv, "--as-of");
    if (asof && strchr(asof, '-')) {
        /* a local date (and time) in the rules' default +08:00: YYYY-MM-DD[THH:MM] */
        struct tm tm = {0};
        int y, mo, d, h = 0, mi = 0;
        if (sscanf(asof, "%d-%d-%d%*[T ]%d:%d", &y, &mo, &d, &h, &mi) < 3)
            return usage("--as-of takes a seq or a time YYYY-MM-DD[THH:MM] (+08:00)");
        tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi;
        g.as_of_ms = ((int64_t)timegm(&tm) - 8 * 3600) * 1000;
    } else if (asof) {
        g.as_of_seq = strtoull(asof, NULL, 10);
    }
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EXPLAIN;
    q.explain = &g;
    Ladder__V1__Reply *r;
    int rc = answer(&q, &r);
    if (rc || !r)
        return rc;
    const Ladder__V1__Explanation *x = r->ok->explanation;
    printf("%s as of seq %llu: level %u (%s / %s), %lld points\n", x->state->employee_id,
           (unsigned long long)x->as_of_seq, x->state->level->level, x->state->level->title_zh,
           x->state->level->title_en, (long long)x->state->points_total);
    printf("%-8s %-22s %-6s %-18s %-6s %s\n", "seq", "when", "change", "cause", "rules", "evidence");
    for (size_t i = 0; i < x->n_changes; i++) {
        const Ladder__V1__LevelChange *c = x->changes[i];
        char t[40];
        fmt_time(t, sizeof t, c->at_ms);
        printf("%-8llu %-22s %u -> %u  %-18s v%-5u", (unsigned long long)c->seq, t, c->from_level,
               c->to_level, c->cause, c->rules_version);
        for (size_t k = 0; k < c->n_evidence_seqs; k++)
            printf(" %llu", (unsigned long long)c->evidence_seqs[k]);
        printf("\n");
    }
    if (!x->n_changes)
        printf("(no level changes)\n");
    ladder__v1__reply__free_unpacked(r, NULL);
    return EXIT_OK;
}

static int cmd_board(int argc, char **argv)
{
    static const char *const wins[] = {"all", "week", "month", "quarter", "year"};
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    const char *w = opt(argc, argv, "--window"), *sc = opt(argc, argv, "--scope");
    if (w) {
        size_t i;
        for (i = 0; i < 5 && strcmp(w, wins[i]); i++)
            ;
        if (i == 5)
            return usage("--window must be all, week, month, quarter or year");
        g.window = (Ladder__V1__BoardWindow)i;
    }
    if (sc && strcmp(sc, "org")) {
        const char *colon = strchr(sc, ':');
        if (!colon)
            return usage("--scope must be org, centre:NAME, team:NAME or level:N");
        size_t n = (size_t)(colon - sc);
        g.scope = n == 6 && !strncmp(sc, "centre", 6) ? LADDER__V1__BOARD_SCOPE__SCOPE_CENTRE
                : n == 4 && !strncmp(sc, "team", 4)   ? LADDER__V1__BOARD_SCOPE__SCOPE_TEAM
                : n == 5 && !strncmp(sc, "level", 5)  ? LADDER__V1__BOARD_SCOPE__SCOPE_LEVEL
                                                      : 99;
        if ((int)g.scope == 99)
            return usage("--scope must be org, centre:NAME, team:NAME or level:N");
        g.scope_value = (char *)colon + 1;
    }
    if (opt(argc, argv, "--top"))
        g.top = (uint32_t)strtoul(opt(argc, argv, "--top"), NULL, 10);
    if (opt(argc, argv, "--around"))
        g.around = (char *)opt(argc, argv, "--around");
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Reply *r;
    int rc = answer(&q, &r);
    if (rc || !r)
        return rc;
    const Ladder__V1__Board *b = r->ok->board;
    char t[40];
    fmt_time(t, sizeof t, b->window_start_ms);
    printf("board %s: %u on the board%s%s\n", b->name, b->size, b->window_start_ms ? ", since " : "",
           b->window_start_ms ? t : "");
    printf("%5s  %-10s %-20s %8s  %s\n", "rank", "employee", "name", "points", "level");
    for (size_t i = 0; i < b->n_rows; i++) {
        const Ladder__V1__BoardRow *row = b->rows[i];
        printf("%5u  %-10s %-20s %8lld  %u\n", row->rank, row->employee_id, row->name,
               (long long)row->points, row->level);
    }
    ladder__v1__reply__free_unpacked(r, NULL);
    return EXIT_OK;
}

static int cmd_cases(int argc, char **argv)
{
    Ladder__V1__GetCaseRanking g = LADDER__V1__GET_CASE_RANKING__INIT;
    const char *lv = pos(argc, argv, 0, NULL);
    NEED(lv, "cases needs a LEVEL (1-5) and optionally a CATEGORY");
    g.level = (uint32_t)strtoul(lv, NULL, 10);
    g.category = (char *)(pos(argc, argv, 1, NULL) ? pos(argc, argv, 1, NULL) : "");
    g.history = flag(argc, argv, "--history");
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_CASE_RANKING;
    q.case_ranking = &g;
    Ladder__V1__Reply *r;
    int rc = answer(&q, &r);
    if (rc || !r)
        return rc;
    const Ladder__V1__CaseRanking *cr = r->ok->case_ranking;
    printf("cases of level %u%s%s%s: %zu\n", cr->level, *cr->category ? ", " : "", cr->category,
           g.history ? " (history library)" : "", cr->n_rows);
    printf("%4s  %-22s %-8s %11s %-22s %7s %5s %9s %s\n", "#", "case", "half", "classicness",
           "stable since", "studies", "exams", "ratings", "leaves");
    for (size_t i = 0; i < cr->n_rows; i++) {
        const Ladder__V1__CaseRow *row = cr->rows[i];
        char t[40], ratings[32], ev[16];
        fmt_time(t, sizeof t, row->stable_ms);
        snprintf(ratings, sizeof ratings, "+%u/%u/-%u", row->excellent, row->average, row->poor);
        snprintf(ev, sizeof ev, row->eviction_order ? "%u" : "-", row->eviction_order);
        printf("%4zu  %-22s %-8s %11lld %-22s %7u %5u %9s %s\n", i + 1, row->case_id,
               row->half == LADDER__V1__HALF__HALF_TEST ? "test" : "training",
               (long long)row->classicness, t, row->studies, row->exam_uses, ratings, ev);
    }
    ladder__v1__reply__free_unpacked(r, NULL);
    return EXIT_OK;
}

static int cmd_kb(int argc, char **argv)
{
    Ladder__V1__GetKbItem g = LADDER__V1__GET_KB_ITEM__INIT;
    NEED(g.item_id = (char *)pos(argc, argv, 0, NULL), "kb needs an ITEM");
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_KB_ITEM;
    q.kb_item = &g;
    Ladder__V1__Reply *r;
    int rc = answer(&q, &r);
    if (rc || !r)
        return rc;
    const Ladder__V1__KbItemView *v = r->ok->kb_item;
    printf("knowledge-base item %s, version %u\n  %s\n", v->item_id, v->version, v->text);
    for (size_t i = 0; i < v->n_history; i++)
        printf("  v%-3u seq %-8llu proposal %-12s %s\n", v->history[i]->version,
               (unsigned long long)v->history[i]->seq, v->history[i]->proposal_id,
               v->history[i]->text);
    printf("  open proposals:");
    for (size_t i = 0; i < v->n_open_proposals; i++)
        printf(" %s", v->open_proposals[i]);
    printf("%s\n", v->n_open_proposals ? "" : " -");
    ladder__v1__reply__free_unpacked(r, NULL);
    return EXIT_OK;
}

static int cmd_pending(int argc, char **argv)
{
    Ladder__V1__GetPending g = LADDER__V1__GET_PENDING__INIT;
    g.reviewer_id = (char *)(opt(argc, argv, "--reviewer") ? opt(argc, argv, "--reviewer") : "");
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_PENDING;
    q.pending = &g;
    Ladder__V1__Reply *r;
    int rc = answer(&q, &r);
    if (rc || !r)
        return rc;
    const Ladder__V1__Pending *p = r->ok->pending;
    printf("%-5s %-14s %-14s %-10s %s\n", "kind", "id", "subject", "author", "approve/reject");
    for (size_t i = 0; i < p->n_items; i++)
        printf("%-5s %-14s %-14s %-10s %u/%u\n", p->items[i]->kind, p->items[i]->id,
               p->items[i]->subject, p->items[i]->author_id, p->items[i]->approvals,
               p->items[i]->rejections);
    if (!p->n_items)
        printf("(nothing awaits review%s%s)\n", *g.reviewer_id ? " by " : "", g.reviewer_id);
    ladder__v1__reply__free_unpacked(r, NULL);
    return EXIT_OK;
}

static int cmd_committee(int argc, char **argv)
{
    (void)argc, (void)argv;
    Ladder__V1__GetCommittee g = LADDER__V1__GET_COMMITTEE__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_COMMITTEE;
    q.committee = &g;
    Ladder__V1__Reply *r;
    int rc = answer(&q, &r);
    if (rc || !r)
        return rc;
    const Ladder__V1__CommitteeView *v = r->ok->committee;
    printf("members:");
    for (size_t i = 0; i < v->n_members; i++)
        printf(" %s", v->members[i]);
    printf("%s\napplications:", v->n_members ? "" : " -");
    for (size_t i = 0; i < v->n_applications; i++)
        printf(" %s", v->applications[i]);
    printf("%s\n", v->n_applications ? "" : " -");
    ladder__v1__reply__free_unpacked(r, NULL);
    return EXIT_OK;
}

static int cmd_propose_kb(int argc, char **argv)
{
    static const char *const v[] = {"--text", NULL};
    Ladder__V1__ProposeKb m = LADDER__V1__PROPOSE_KB__INIT;
    NEED(m.proposal_id = (char *)pos(argc, argv, 0, v), "propose-kb needs PROPOSAL ITEM AUTHOR --text T");
    NEED(m.item_id = (char *)pos(argc, argv, 1, v), "propose-kb needs PROPOSAL ITEM AUTHOR --text T");
    NEED(m.proposer_id = (char *)pos(argc, argv, 2, v), "propose-kb needs PROPOSAL ITEM AUTHOR --text T");
    NEED(m.text = (char *)opt(argc, argv, "--text"), "propose-kb needs --text");
    m.new_item = flag(argc, argv, "--new");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_PROPOSE_KB;
    c.propose_kb = &m;
    return run_one(&c);
}

static int cmd_review_kb(int argc, char **argv)
{
    static const char *const v[] = {"--amount", NULL};
    Ladder__V1__ReviewKb m = LADDER__V1__REVIEW_KB__INIT;
    NEED(m.proposal_id = (char *)pos(argc, argv, 0, v), "review-kb needs a PROPOSAL");
    m.reviewer_id = (char *)G.as;
    if (flag(argc, argv, "--approve")) {
        m.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
        NEED(opt(argc, argv, "--amount"), "an approval needs --amount (2-5)");
        m.amount = strtoll(opt(argc, argv, "--amount"), NULL, 10);
    } else if (flag(argc, argv, "--reject")) {
        m.verdict = LADDER__V1__VERDICT__VERDICT_REJECT;
    } else {
        return usage("review-kb needs --approve or --reject");
    }
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_KB;
    c.review_kb = &m;
    return run_one(&c);
}

static int cmd_suggest(int argc, char **argv)
{
    static const char *const v[] = {"--text", NULL};
    Ladder__V1__SubmitSuggestion m = LADDER__V1__SUBMIT_SUGGESTION__INIT;
    NEED(m.suggestion_id = (char *)pos(argc, argv, 0, v), "suggest needs SUGGESTION ID --text T");
    NEED(m.employee_id = (char *)pos(argc, argv, 1, v), "suggest needs SUGGESTION ID --text T");
    NEED(m.text = (char *)opt(argc, argv, "--text"), "suggest needs --text");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_SUGGESTION;
    c.submit_suggestion = &m;
    return run_one(&c);
}

static int cmd_judge(int argc, char **argv)
{
    static const char *const v[] = {"--amount", "--duplicate-of", "--reason", NULL};
    Ladder__V1__JudgeSuggestion m = LADDER__V1__JUDGE_SUGGESTION__INIT;
    const char *verdict = pos(argc, argv, 1, v);
    NEED(m.suggestion_id = (char *)pos(argc, argv, 0, v), "judge needs SUGGESTION VERDICT");
    NEED(verdict, "judge needs SUGGESTION not-adopted|adopted|feasible|duplicate");
    m.verdict = !strcmp(verdict, "not-adopted") ? LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_NOT_ADOPTED
              : !strcmp(verdict, "adopted")     ? LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED
              : !strcmp(verdict, "feasible")    ? LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED_FEASIBLE
              : !strcmp(verdict, "duplicate")   ? LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_DUPLICATE : 0;
    NEED(m.verdict, "the verdict is not-adopted, adopted, feasible or duplicate");
    m.amount = opt(argc, argv, "--amount") ? strtoll(opt(argc, argv, "--amount"), NULL, 10) : 0;
    m.duplicate_of = (char *)(opt(argc, argv, "--duplicate-of") ? opt(argc, argv, "--duplicate-of") : "");
    m.reason = (char *)(opt(argc, argv, "--reason") ? opt(argc, argv, "--reason") : "");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_JUDGE_SUGGESTION;
    c.judge_suggestion = &m;
    return run_one(&c);
}

static int64_t now_of_daemon(void)
{
    Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    Ladder__V1__Reply *r = query(&q);
    uint64_t head = r && r->ok && r->ok->stats ? r->ok->stats->head_seq : 0;
    if (r)
        ladder__v1__reply__free_unpacked(r, NULL);
    if (!head)
        return 0;
    re.from_seq = head;
    re.max = 1;
    q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
    q.read_events = &re;
    r = query(&q);
    int64_t at = r && r->ok && r->ok->events && r->ok->events->n_events
                     ? r->ok->events->events[0]->at_ms : 0;
    if (r)
        ladder__v1__reply__free_unpacked(r, NULL);
    return at;
}

static void print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static int cmd_stats(int argc, char **argv)
{
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    st.with_digest = flag(argc, argv, "--digest");
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    Ladder__V1__Reply *r;
    int rc = answer(&q, &r);
    if (rc || !r)
        return rc;
    const Ladder__V1__StatsView *s = r->ok->stats;
    printf("head seq %llu, %llu employees, up %llu s\n", (unsigned long long)s->head_seq,
           (unsigned long long)s->employees, (unsigned long long)s->uptime_s);
    printf("requests %llu (commands %llu, queries %llu, errors %llu), batches %llu\n",
           (unsigned long long)s->requests, (unsigned long long)s->commands,
           (unsigned long long)s->queries, (unsigned long long)s->errors,
           (unsigned long long)s->batches);
    printf("events replayed at start-up: %llu\n", (unsigned long long)s->events_replayed_at_start);
    if (s->state_digest.len) {
        printf("state digest: ");
        print_hex(s->state_digest.data, s->state_digest.len);
    }
    printf("commit latency (us, powers of two):");
    for (size_t i = 0; i < s->n_commit_latency_us_hist; i++)
        if (s->commit_latency_us_hist[i])
            printf(" <%llu:%llu", 2ull << i, (unsigned long long)s->commit_latency_us_hist[i]);
    printf("\nrequests per batch (powers of two):");
    for (size_t i = 0; i < s->n_batch_size_hist; i++)
        if (s->batch_size_hist[i])
            printf(" <%llu:%llu", 2ull << i, (unsigned long long)s->batch_size_hist[i]);
    printf("\n");
    ladder__v1__reply__free_unpacked(r, NULL);
    return EXIT_OK;
}

static void print_event(const Ladder__V1__Event *e)
{
    if (G.json) {
        json_t *j = pbjson_from_message(&e->base);
        char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(j);
        return;
    }
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, e->body_case);
    char t[40];
    fmt_time(t, sizeof t, e->at_ms);
    /* the body as compact JSON after the envelope's essentials */
    json_t *j = pbjson_from_message(&e->base), *body;
    char name[64];
    size_t k = 0;
    for (const char *p = f ? f->name : "?"; *p && k + 1 < sizeof name; p++) {
        if (*p == '_' && p[1]) {
            name[k++] = (char)(p[1] - 32 * (p[1] >= 'a' && p[1] <= 'z'));
            p++;
        } else {
            name[k++] = *p;
        }
    }
    name[k] = 0;
    body = json_object_get(j, name);
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    printf("%-7llu %-20s %-18s %-22s %s%s%s\n", (unsigned long long)e->seq, t, e->stream,
           f ? f->name : "?", s ? s : "{}", e->cause_seq ? "  <- " : "",
           e->cause_seq ? "cause" : "");
    free(s);
    json_decref(j);
}

static int cmd_events(int argc, char **argv)
{
    static const char *const v[] = {"--from", "--stream", "--max", NULL};
    (void)v;
    uint64_t from = opt(argc, argv, "--from") ? strtoull(opt(argc, argv, "--from"), NULL, 10) : 1;
    uint32_t max = opt(argc, argv, "--max") ? (uint32_t)strtoul(opt(argc, argv, "--max"), NULL, 10) : 0;
    const char *stream = opt(argc, argv, "--stream");
    int follow = flag(argc, argv, "--follow");
    uint64_t shown = 0;
    for (;;) {
        Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
        re.from_seq = from;
        re.max = 1000;
        re.stream = (char *)(stream ? stream : "");
        Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
        q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
        q.read_events = &re;
        Ladder__V1__Reply *r = query(&q);
        if (!r)
            return EXIT_NOANSWER;
        if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR) {
            int rc = print_error(r->error);
            ladder__v1__reply__free_unpacked(r, NULL);
            return rc;
        }
        const Ladder__V1__EventPage *p = r->ok->events;
        for (size_t i = 0; i < p->n_events && (!max || shown < max); i++, shown++)
            print_event(p->events[i]);
        uint64_t next = p->next_seq;
        if (!next && p->n_events)
            next = stream ? p->events[p->n_events - 1]->stream_version + 1
                          : p->events[p->n_events - 1]->seq + 1;
        if (next)
            from = next;
        bool more = p->next_seq != 0;
        ladder__v1__reply__free_unpacked(r, NULL);
        fflush(stdout);
        if (max && shown >= max)
            return EXIT_OK;
        if (!more) {
            if (!follow)
                return EXIT_OK;
            usleep(200000);
        }
    }
}

/* Clone pattern: subscribe, snapshot, drop updates at or below its seq. */
static volatile sig_atomic_t stop_tail;
static void on_int(int s)
{
    (void)s;
    stop_tail = 1;
}

static int cmd_tail(int argc, char **argv)
{
    void *sub;
    connect_daemon();
    sub = zmq_socket(G.zctx, ZMQ_SUB);
    int linger = 0, tmo = 500;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    int n = 0;
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "--", 2)) {
            zmq_setsockopt(sub, ZMQ_SUBSCRIBE, argv[i], strlen(argv[i]));
            n++;
        }
    if (!n)
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    curve(sub);
    zmq_connect(sub, G.publish);
    usleep(200000);
    signal(SIGINT, on_int);
    uint64_t base = 0, last_evt = 0;
    bool resync = true;
    while (!stop_tail) {
        if (resync) {
            Ladder__V1__Snapshot sn = LADDER__V1__SNAPSHOT__INIT;
            sn.topic_prefix = "";
            Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
            q.q_case = LADDER__V1__QUERY__Q_SNAPSHOT;
            q.snapshot = &sn;
            Ladder__V1__Reply *r = query(&q);
            if (!r)
                return EXIT_NOANSWER;
            if (r->ok) {
                base = r->ok->snapshot->seq;
                last_evt = base;
                fprintf(stderr, "# snapshot at seq %llu: %zu values\n", (unsigned long long)base,
                        r->ok->snapshot->n_updates);
            }
            ladder__v1__reply__free_unpacked(r, NULL);
            resync = false;
        }
        char topic[256];
        int tl = zmq_recv(sub, topic, sizeof topic - 1, 0);
        if (tl < 0)
            continue;
        topic[tl < (int)sizeof topic - 1 ? tl : (int)sizeof topic - 1] = 0;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sub, 0) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        Ladder__V1__Update *u = ladder__v1__update__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (!u)
            continue;
        if (u->seq > base) {
            if (!strncmp(topic, "evt.", 4)) {
                /* every event has an evt.* update: a jump in seq is a gap */
                if (last_evt && u->seq != last_evt + 1 && u->seq > last_evt) {
                    fprintf(stderr, "# gap: seq %llu after %llu; resyncing\n",
                            (unsigned long long)u->seq, (unsigned long long)last_evt);
                    resync = true;
                }
                last_evt = u->seq;
            }
            json_t *j = pbjson_from_message(&u->base);
            char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s %s\n", topic, s);
            fflush(stdout);
            free(s);
            json_decref(j);
        }
        ladder__v1__update__free_unpacked(u, NULL);
    }
    zmq_close(sub);
    return EXIT_OK;
}

/* -------------------------------------------------------------- offline -- */

static int open_copy(const char *dir, ld_store_t **s)
{
    char err[512];
    ld_store_options_t o = {LD_DURABILITY_NOSYNC, 0, 0};
    if (ld_store_open(s, dir, &o, err, sizeof err)) {
        fprintf(stderr, "ladderctl: %s\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_verify(int argc, char **argv)
{
    const char *dir = opt(argc, argv, "--data");
    NEED(dir, "verify needs --data DIR (a copy of ladderd's data directory)");
    ld_store_t *s;
    int rc = open_copy(dir, &s);
    if (rc)
        return rc;
    uint64_t head, bad;
    ld_store_head(s, &head, NULL);
    char why[256];
    double t = mono();
    rc = ld_store_verify(s, &bad, why, sizeof why);
    double secs = mono() - t;
    ld_store_close(&s);
    if (rc == LD_ECORRUPT) {
        printf("verify: FIRST BAD SEQ %llu: %s\n", (unsigned long long)bad, why);
        return EXIT_FOUND;
    }
    if (rc) {
        fprintf(stderr, "ladderctl: verify: %s\n", ld_strerror(rc));
        return EXIT_USAGE;
    }
    printf("verify: %llu events chain from seq 1 to the head: ok (%.0f events/s)\n",
           (unsigned long long)head, secs > 0 ? (double)head / secs : 0.0);
    if (flag(argc, argv, "--digest")) {
        /* the state a fresh fold of the whole log gives, as ladderd's stats --digest */
        rc = open_copy(dir, &s);
        if (rc)
            return rc;
        ld_core_t *c = ld_core_new(1);
        uint64_t n, badseq;
        rc = ld_replay(s, c, &n, &badseq);
        ld_store_close(&s);
        if (rc) {
            fprintf(stderr, "ladderctl: verify: the log does not fold at seq %llu\n",
                    (unsigned long long)badseq);
            ld_core_destroy(&c);
            return EXIT_FOUND;
        }
        uint8_t *buf, digest[32];
        size_t len;
        ld_core_snapshot(c, &buf, &len);
        crypto_generichash(digest, 32, buf, len, NULL, 0);
        free(buf);
        ld_core_destroy(&c);
        printf("state digest: ");
        print_hex(digest, 32);
    }
    return EXIT_OK;
}

static int cmd_audit(int argc, char **argv)
{
    const char *dir = opt(argc, argv, "--data");
    NEED(dir, "audit needs --data DIR (a copy of ladderd's data directory)");
    ld_store_t *s;
    int rc = open_copy(dir, &s);
    if (rc)
        return rc;
    ld_audit_t a;
    double t = mono();
    rc = ld_audit_run(s, &a, stdout, isatty(2) ? stderr : NULL);
    double secs = mono() - t;
    ld_store_close(&s);
    if (rc) {
        fprintf(stderr, "ladderctl: audit: %s\n", ld_strerror(rc));
        return EXIT_USAGE;
    }
    printf("audit: %llu events, %llu facts re-decided, %llu derived events compared, "
           "%llu discrepancies (%.0f events/s)\n",
           (unsigned long long)a.events, (unsigned long long)a.facts,
           (unsigned long long)a.derived, (unsigned long long)a.discrepancies,
           secs > 0 ? (double)a.events / secs : 0.0);
    return a.discrepancies ? EXIT_FOUND : EXIT_OK;
}

/* argv[-1] is the subcommand's own name, which getopt_long takes for argv[0] */
static int cmd_whatif(int argc, char **argv)
{
    return ld_ctl_whatif(argc + 1, argv - 1);
}

static int cmd_keygen(int argc, char **argv)
{
    static const char *const v[] = {"--dir", NULL};
    const char *name = pos(argc, argv, 0, v), *dir = opt(argc, argv, "--dir");
    NEED(name, "keygen needs a NAME");
    char pub[41], sec[41], path[4096];
    if (zmq_curve_keypair(pub, sec) != 0) {
        fprintf(stderr, "ladderctl: this libzmq has no CURVE support\n");
        return EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/%s.key", dir ? dir : ".", name);
    FILE *f = fopen(path, "wx");
    if (!f) {
        fprintf(stderr, "ladderctl: %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    fchmod(fileno(f), 0600);
    fprintf(f, "%s\n", sec);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.pub", dir ? dir : ".", name);
    f = fopen(path, "wx");
    if (!f) {
        fprintf(stderr, "ladderctl: %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    fprintf(f, "%s\n", pub);
    fclose(f);
    printf("%s\n", pub);
    return EXIT_OK;
}

int demo_run(int argc, char **argv, Ladder__V1__Reply *(*call_fn)(Ladder__V1__Request *));

static int cmd_demo(int argc, char **argv)
{
    return demo_run(argc, argv, call);
}

/* ----------------------------------------------------------------- main -- */

typedef struct {
    const char *name;
    int (*fn)(int, char **);
} sub_t;

static const sub_t subs[] = {
    {"send", cmd_send}, {"hire", cmd_hire}, {"award", cmd_award}, {"task", cmd_task},
    {"study", cmd_study}, {"rate", cmd_rate}, {"submit-case", cmd_submit_case},
    {"review", cmd_review}, {"mentor", cmd_mentor}, {"query-test", cmd_query_test},
    {"exam", cmd_exam}, {"appeal", cmd_appeal}, {"decide-appeal", cmd_decide_appeal},
    {"clock", cmd_clock}, {"employee", cmd_employee}, {"ready", cmd_ready},
    {"explain", cmd_explain}, {"board", cmd_board}, {"cases", cmd_cases}, {"kb", cmd_kb},
    {"pending", cmd_pending}, {"committee", cmd_committee}, {"propose-kb", cmd_propose_kb},
    {"review-kb", cmd_review_kb}, {"suggest", cmd_suggest}, {"judge", cmd_judge}, {"stats", cmd_stats}, {"events", cmd_events}, {"tail", cmd_tail},
    {"verify", cmd_verify}, {"audit", cmd_audit}, {"what-if", cmd_whatif}, {"keygen", cmd_keygen}, {"demo", cmd_demo},
};

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return EXIT_USAGE;
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return EXIT_OK;
        }
        if (!strcmp(a, "--json")) {
            G.json = 1;
            continue;
        }
        if (i + 1 >= argc)
            return usage("%s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--endpoint")) G.endpoint = v;
        else if (!strcmp(a, "--publish")) G.publish = v;
        else if (!strcmp(a, "--as")) G.as = v;
        else if (!strcmp(a, "--timeout")) G.timeout = atoi(v);
        else if (!strcmp(a, "--server-key")) G.server_key = v;
        else if (!strcmp(a, "--key")) G.key = v;
        else if (!strcmp(a, "--roles")) {
            if ((G.roles = parse_roles(v)) == UINT32_MAX)
                return usage("--roles: unknown role in '%s'", v);
        } else
            return usage("unknown option %s", a);
    }
    if (i >= argc)
        return usage("no command given");
    const char *cmd = argv[i++];
    for (size_t k = 0; k < sizeof subs / sizeof *subs; k++) {
        if (strcmp(cmd, subs[k].name))
            continue;
        if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
            /* the lines of the overview that describe this command */
            const char *p = usage_text;
            while ((p = strstr(p, "\n  "))) {
                p += 3;
                if (!strncmp(p, cmd, strlen(cmd)) && (p[strlen(cmd)] == ' ' || p[strlen(cmd)] == '\n')) {
                    const char *e = p;
                    do {
                        e = strchr(e, '\n');
                    } while (e && e[1] == ' ' && e[2] == ' ' && e[3] == ' ' && (e += 1));
                    printf("usage: ladderctl %.*s\n", (int)(e ? e - p : (long)strlen(p)), p);
                    break;
                }
            }
            return EXIT_OK;
        }
        int rc = subs[k].fn(argc - i, argv + i);
        if (G.dealer)
            zmq_close(G.dealer);
        if (G.zctx)
            zmq_ctx_term(G.zctx);
        return rc;
    }
    return usage("unknown command '%s'", cmd);
}
