/* config.c — defaults, config file and options of ladderd (config.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: ladderd [options]\n"
    "  --data DIR             data directory (default ./data)\n"
    "  --command EP           ROUTER endpoint for requests (default tcp://127.0.0.1:7601)\n"
    "  --publish EP           PUB endpoint for updates (default tcp://127.0.0.1:7602)\n"
    "  --rules FILE           rules document (JSON) to adopt at start if it differs\n"
    "  --durability MODE      full (fsync before ack, default) | nometasync | wal\n"
    "                         (wal: ack after one write-ahead log flush, LMDB fully\n"
    "                         synced behind it)\n"
    "  --snapshot-every N     events between state snapshots (default 100000)\n"
    "  --clock MODE           system (default) | manual (AdvanceClock moves time; tests)\n"
    "  --log-level L          debug | info (default) | warn | error\n"
    "  --max-request BYTES    largest request frame accepted (default 1048576)\n"
    "  --max-peer-queue BYTES reply bytes queued unread for one connection before\n"
    "                         it is dropped (default 8388608; see README, security)\n"
    "  --max-subscriptions N  live PUB subscriptions per subscribing process or host\n"
    "                         (default 10000; see README, security)\n"
    "  --keys DIR             CURVE keys (server key pair and authorized clients)\n"
    "  --verify WHAT          hash chain checked at start: tail (from the last snapshot,\n"
    "                         default) | all (from seq 1)\n"
    "  --config FILE          read the same keys from FILE, one 'key = value' a line\n"
    "  --help                 this text\n"
    "Without --keys only loopback endpoints may be bound.\n";

static int set(ld_config_t *c, const char *key, const char *val, char *err, size_t errlen)
{
#define STR(name, field)                                                            \
    if (!strcmp(key, name)) {                                                       \
        if (strlen(val) >= sizeof c->field) {                                       \
            snprintf(err, errlen, "%s: value too long", name);                     \
            return -1;                                                              \
        }                                                                           \
        strcpy(c->field, val);                                                      \
        return 0;                                                                   \
    }
    STR("data", data)
    STR("command", command)
    STR("publish", publish)
    STR("rules", rules)
    STR("keys", keys)
#undef STR
    if (!strcmp(key, "durability")) {
        c->wal = false;
        if (!strcmp(val, "full"))
            c->durability = LD_DURABILITY_FULL;
        else if (!strcmp(val, "wal"))
            c->durability = LD_DURABILITY_FULL, c->wal = true;
        else if (!strcmp(val, "nometasync"))
            c->durability = LD_DURABILITY_NOMETASYNC;
        else if (!strcmp(val, "nosync")) /* tests only: not in --help */
            c->durability = LD_DURABILITY_NOSYNC;
        else {
            snprintf(err, errlen, "durability: must be full, nometasync or wal, not '%s'", val);
            return -1;
        }
        return 0;
    }
    if (!strcmp(key, "snapshot-every") || !strcmp(key, "max-request") ||
        !strcmp(key, "max-peer-queue") || !strcmp(key, "max-subscriptions")) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(val, &end, 10);
        if (errno || *end || !*val || v == 0) {
            snprintf(err, errlen, "%s: must be a positive integer, not '%s'", key, val);
            return -1;
        }
        if (key[0] == 's')
            c->snapshot_every = v;
        else if (!strcmp(key, "max-request"))
            c->max_request = (size_t)v;
        else if (!strcmp(key, "max-peer-queue"))
            c->max_peer_queue = (size_t)v;
        else
            c->max_subscriptions = (size_t)v;
        return 0;
    }
    if (!strcmp(key, "verify")) {
        if (strcmp(val, "tail") && strcmp(val, "all")) {
            snprintf(err, errlen, "verify: must be tail or all, not '%s'", val);
            return -1;
        }
        c->verify_all = !strcmp(val, "all");
        return 0;
    }
    if (!strcmp(key, "clock")) {
        if (strcmp(val, "system") && strcmp(val, "manual")) {
            snprintf(err, errlen, "clock: must be system or manual, not '%s'", val);
            return -1;
        }
        c->manual_clock = !strcmp(val, "manual");
        return 0;
    }
    if (!strcmp(key, "log-level")) {
        if (strcmp(val, "debug") && strcmp(val, "info") && strcmp(val, "warn") &&
            strcmp(val, "error")) {
            snprintf(err, errlen, "log-level: must be debug, info, warn or error");
            return -1;
        }
        snprintf(c->log_level, sizeof c->log_level, "%s", val);
        return 0;
    }
    snprintf(err, errlen, "unknown setting '%s' (see --help)", key);
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = 0;
    return s;
}

static int load_file(ld_config_t *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "config %s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int no = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        no++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "config %s:%d: expected 'key = value'", path, no);
            rc = -1;
            break;
        }
        *eq = 0;
        char sub[512];
        rc = set(c, trim(s), trim(eq + 1), sub, sizeof sub);
        if (rc)
            snprintf(err, errlen, "config %s:%d: %s", path, no, sub);
    }
    fclose(f);
    return rc;
}

int ld_config_load(ld_config_t *c, int argc, char **argv, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    strcpy(c->data, "./data");
    strcpy(c->command, "tcp://127.0.0.1:7601");
    strcpy(c->publish, "tcp://127.0.0.1:7602");
    strcpy(c->log_level, "info");
    c->durability = LD_DURABILITY_FULL;
    c->snapshot_every = 100000;
    c->max_request = 1 << 20;
    c->max_peer_queue = (size_t)8 << 20; /* 8 pages of ReadEvents (issue 10 item 7) */
    c->max_subscriptions = 10000;         /* issue 10 item 8 */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 1;
        }
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "--config needs a file");
                return -1;
            }
            if (load_file(c, argv[++i], err, errlen))
                return -1;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config")) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            snprintf(err, errlen, "%s: expected --option value (see --help)", argv[i]);
            return -1;
        }
        if (set(c, argv[i] + 2, argv[i + 1], err, errlen))
            return -1;
        i++;
    }
    return 0;
}

bool ld_endpoint_is_local(const char *ep)
{
    if (!strncmp(ep, "ipc://", 6) || !strncmp(ep, "inproc://", 9))
        return true;
    if (strncmp(ep, "tcp://", 6))
        return false;
    const char *h = ep + 6;
    return !strncmp(h, "127.", 4) || !strncmp(h, "localhost:", 10) || !strncmp(h, "[::1]:", 6);
}
