/* config.h — ladderd's settings: defaults, an optional key = value file,
 * then command-line options (which win). */
#ifndef LD_CONFIG_H
#define LD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct {
    char data[1024];          /* --data, default ./data */
    char command[256];        /* --command, default tcp://127.0.0.1:7601 (ROUTER) */
    char publish[256];        /* --publish, default tcp://127.0.0.1:7602 (PUB) */
    char rules[1024];         /* --rules FILE: adopted at start when it differs */
    char keys[1024];          /* --keys DIR: CURVE (the Reliability issue) */
    ld_durability_t durability;
    bool wal;                 /* --durability wal: a write-ahead log, LMDB fully synced behind */
    uint64_t snapshot_every;  /* events between snapshots, default 100000 */
    bool manual_clock;        /* --clock manual */
    bool verify_all;          /* --verify all: the whole hash chain at start */
    char log_level[16];
    size_t max_request;       /* bytes; larger frames get ERR_TOO_LARGE */
    size_t max_peer_queue;    /* reply bytes libzmq may hold for one ROUTER peer */
    size_t max_subscriptions; /* live PUB subscriptions per origin (topics.c) */
} ld_config_t;

/* Fills c from defaults, the file named by --config (if any) and argv.
 * Returns 0; 1 when --help was printed; -1 with a sentence in err. */
int ld_config_load(ld_config_t *c, int argc, char **argv, char *err, size_t errlen);

/* True when the endpoint binds only the loopback interface (or ipc/inproc). */
bool ld_endpoint_is_local(const char *ep);

#endif
