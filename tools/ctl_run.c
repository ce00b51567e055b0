/* ctl_run.c — the ladderctl subcommands that are more than one request:
 * send (commands from JSON), events (paging through the log), tail (the
 * Clone pattern over PUB/SUB) and demo (checks the daemon first).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "ctl.h"
#include "pbjson.h"

int ctl_run_send(const ctl_row_t *row, json_t *body)
{
    const char *file = ctl_body_str(body, "file");
    json_error_t err;
    json_t *j = !strcmp(file, "-") ? json_loadf(stdin, 0, &err) : json_load_file(file, 0, &err);
    if (!j) {
        fprintf(stderr, "ladderctl: %s:%d:%d: %s\n", file, err.line, err.column, err.text);
        return EXIT_USAGE;
    }
    json_t *list = json_is_array(j) ? j : json_object_get(j, "commands");
    if (list && !json_is_array(list)) {
        json_decref(j);
        return ctl_usage(row, "\"commands\" must be an array");
    }
    size_t n = list ? json_array_size(list) : 1;
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
        rc = ctl_run_commands(cmds, n);
    for (size_t i = 0; i < n; i++)
        ladder__v1__command__free_unpacked(cmds[i], NULL);
    free(cmds);
    json_decref(j);
    return rc;
}

static volatile sig_atomic_t stop;
static void on_signal(int s)
{
    (void)s;
    stop = 1;
}

int ctl_run_events(const ctl_row_t *row, json_t *body)
{
    (void)row;
    uint64_t from = ctl_body_u64(body, "fromSeq", 1);
    uint64_t max = ctl_body_u64(body, "max", 0);
    const char *stream = ctl_body_str(body, "stream");
    int follow = ctl_body_bool(body, "follow");
    uint64_t shown = 0;
    signal(SIGINT, on_signal);
    while (!stop) {
        Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
        re.from_seq = from;
        re.max = 1000;
        re.stream = (char *)(stream ? stream : "");
        Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
        q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
        q.read_events = &re;
        Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
        req.query = &q;
        Ladder__V1__Reply *r = ctl_call(&req);
        if (!r)
            return EXIT_NOANSWER;
        if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR) {
            int rc = ctl_print_error(r->error);
            ladder__v1__reply__free_unpacked(r, NULL);
            return rc;
        }
        const Ladder__V1__EventPage *p = r->ok->events;
        for (size_t i = 0; i < p->n_events && (!max || shown < max); i++, shown++)
            ctl_show_event(p->events[i]);
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
    return EXIT_OK;
}

/* The Clone pattern: subscribe, take a snapshot, show updates after its seq;
 * a gap in evt.* seqs means updates were dropped: take a new snapshot. */
static int tail_loop(void *sub)
{
    uint64_t base = 0, last_evt = 0;
    bool resync = true;
    while (!stop) {
        if (resync) {
            Ladder__V1__Snapshot sn = LADDER__V1__SNAPSHOT__INIT;
            sn.topic_prefix = "";
            Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
            q.q_case = LADDER__V1__QUERY__Q_SNAPSHOT;
            q.snapshot = &sn;
            Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
            req.query = &q;
            Ladder__V1__Reply *r = ctl_call(&req);
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
                if (last_evt && u->seq != last_evt + 1 && u->seq > last_evt) {
                    fprintf(stderr, "# gap: seq %llu after %llu; resyncing\n",
                            (unsigned long long)u->seq, (unsigned long long)last_evt);
                    resync = true;
                }
                last_evt = u->seq;
            }
            ctl_show_update(topic, u);
            fflush(stdout);
        }
        ladder__v1__update__free_unpacked(u, NULL);
    }
    return EXIT_OK;
}

int ctl_run_tail(const ctl_row_t *row, json_t *body)
{
    (void)row;
    void *sub = zmq_socket(G.zctx, ZMQ_SUB);
    json_t *topics = json_object_get(body, "topic");
    for (size_t i = 0; i < json_array_size(topics); i++) {
        const char *t = json_string_value(json_array_get(topics, i));
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, t, strlen(t));
    }
    /* by default what the snapshot covers and the events; boards and case
     * rankings (20 boards move with one award) only when asked for */
    static const char *const deflt[] = {"evt.", "level.", "points."};
    for (size_t i = 0; !json_array_size(topics) && i < 3; i++)
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, deflt[i], strlen(deflt[i]));
    int rc = ctl_zconnect(sub, G.publish, "--publish");
    if (!rc) {
        /* the receive wakes every 500 ms to see Ctrl-C */
        int tmo = 500;
        zmq_setsockopt(sub, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        usleep(200000);
        rc = tail_loop(sub);
    }
    zmq_close(sub);
    return rc;
}

int ctl_run_demo(const ctl_row_t *row, json_t *body)
{
    uint64_t employees = ctl_body_u64(body, "employees", 240);
    if (employees < 40 || employees > 100000)
        return ctl_usage(row, "--employees: %llu is outside 40-100000", (unsigned long long)employees);
    const Ladder__V1__StatsView *st = ctl_stats();
    if (!st)
        return EXIT_NOANSWER;
    return demo_run((unsigned)employees, ctl_body_u64(body, "seed", 0), st, ctl_call);
}
