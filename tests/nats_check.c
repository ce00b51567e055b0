/* nats_check.c — test helper for ladder-bridge: reads a JetStream stream back.
 *   nats_check dump URLS STREAM
 *       one line per stored message: stream-seq subject Ladder-Seq Ladder-Part Nats-Msg-Id
 *   nats_check last URLS STREAM
 *       the last stored message only: stream-seq subject Ladder-Seq Ladder-Part
 *   nats_check consume URLS STREAM DURABLE N
 *       pulls N messages of ladder.evt.> with the durable consumer DURABLE, acks
 *       each (synchronously) and prints its Ladder-Seq, one per line
 * Exit 0 on success, 1 on a NATS error. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

static const char *hdr(natsMsg *m, const char *key)
{
    const char *v = NULL;
    return natsMsgHeader_Get(m, key, &v) == NATS_OK && v ? v : "-";
}

static int fail(const char *what, natsStatus s)
{
    fprintf(stderr, "nats_check: %s: %s\n", what, natsStatus_GetText(s));
    return 1;
}

int main(int argc, char **argv)
{
    bool dump = !strcmp(argv[1], "dump"), last_only = !strcmp(argv[1], "last");
    if (argc < 4 || (!dump && !last_only && (strcmp(argv[1], "consume") || argc != 6))) {
        fputs("usage: nats_check dump|last URLS STREAM | consume URLS STREAM DURABLE N\n", stderr);
        return 2;
    }
    char *urls = strdup(argv[2]);
    const char *servers[8];
    int n = 0;
    for (char *t = strtok(urls, ","); t && n < 8; t = strtok(NULL, ","))
        servers[n++] = t;
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetServers(o, servers, n);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&js, nc, NULL);
    if (s != NATS_OK)
        return fail("connect", s);
    int rc = 0;
    if (dump || last_only) {
        jsStreamInfo *si = NULL;
        if ((s = js_GetStreamInfo(&si, js, argv[3], NULL, NULL)) != NATS_OK)
            return fail("stream info", s);
        uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
        jsStreamInfo_Destroy(si);
        if (last_only)
            first = last;
        for (uint64_t q = first; q && q <= last; q++) {
            natsMsg *m = NULL;
            jsErrCode jerr = 0;
            /* a cluster that just lost a node may answer an API request with an
             * error while it settles: ask again, for up to 10 s */
            for (int tries = 0; tries < 50; tries++) {
                if ((s = js_GetMsg(&m, js, argv[3], q, NULL, &jerr)) == NATS_OK)
                    break;
                nats_Sleep(200);
            }
            if (s != NATS_OK) {
                fprintf(stderr, "nats_check: get %" PRIu64 ": code %d\n", q, (int)jerr);
                rc = fail("get", s);
                break;
            }
            printf("%" PRIu64 " %s %s %s %s\n", q, natsMsg_GetSubject(m), hdr(m, "Ladder-Seq"),
                   hdr(m, "Ladder-Part"), hdr(m, "Nats-Msg-Id"));
            natsMsg_Destroy(m);
        }
    } else {
        natsSubscription *sub = NULL;
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = argv[3];
        so.Config.AckPolicy = js_AckExplicit;
        if ((s = js_PullSubscribe(&sub, js, "ladder.evt.>", argv[4], NULL, &so, NULL)) != NATS_OK)
            return fail("pull subscribe", s);
        int want = atoi(argv[5]), got = 0;
        while (got < want && rc == 0) {
            natsMsgList list = {0};
            s = natsSubscription_Fetch(&list, sub, want - got > 100 ? 100 : want - got, 5000, NULL);
            if (s != NATS_OK) {
                rc = fail("fetch", s);
                break;
            }
            for (int i = 0; i < list.Count; i++) {
                printf("%s\n", hdr(list.Msgs[i], "Ladder-Seq"));
                if ((s = natsMsg_AckSync(list.Msgs[i], NULL, NULL)) != NATS_OK)
                    rc = fail("ack", s);
                got++;
            }
            natsMsgList_Destroy(&list);
        }
        natsSubscription_Destroy(sub);
    }
    fflush(stdout);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    free(urls);
    nats_Close();
    return rc;
}
