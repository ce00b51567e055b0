/* web.h — ladder-web, the HTTP gateway of ladderd (issue 15): what its
 * modules share. web.c owns the HTTP side (libmicrohttpd), client.c the
 * DEALER queries, hub.c the SUB side (Clone pattern, SSE streams, the level
 * cache), metrics.c the Prometheus text.
 */
#ifndef LD_WEB_H
#define LD_WEB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder.pb-c.h"

struct MHD_Connection;

typedef struct {
    const char *command, *publish, *listen, *server_key, *key, *as, *static_dir;
    uint32_t roles;
    unsigned max_streams;     /* SSE streams at once; more get 503 */
    unsigned max_connections; /* TCP connections at once (libmicrohttpd's limit) */
    unsigned timeout_ms;      /* how long a query may wait for ladderd */
    unsigned max_lag;         /* /readyz: events the hub may trail ladderd's head by */
    unsigned threads;
    bool public_listen;       /* --public: allow a non-loopback --listen */
} web_config_t;

/* ------------------------------------------------------------- client.c -- */

/* Reads the CURVE keys (when given) and makes the ZeroMQ context. 0 or -1. */
int web_client_init(const web_config_t *cfg, char *err, size_t errlen);

/* The shared ZeroMQ context (for the hub's SUB socket). */
void *web_client_ctx(void);

/* Sets the CURVE client options on a socket when keys were given. */
void web_client_curve(void *sock);

/* Sends one query on this thread's DEALER and waits for its reply; NULL after
 * the timeout. The caller frees the reply (ladder__v1__reply__free_unpacked). */
Ladder__V1__Reply *web_query(Ladder__V1__Query *q, unsigned timeout_ms);

/* ---------------------------------------------------------------- hub.c -- */

/* Starts the subscriber thread. 0 or -1. */
int web_hub_start(const web_config_t *cfg);

/* Stops it and ends every SSE stream (resumed, then closed). */
void web_hub_stop(void);

typedef struct {
    bool snapshot_loaded;
    uint64_t snapshot_seq;    /* the Clone snapshot the hub started from */
    uint64_t last_seq;        /* highest seq seen on the SUB socket */
    uint64_t updates, dropped_old, gaps_filled, streams, streams_refused, streams_dropped;
} web_hub_stats_t;

void web_hub_stats(web_hub_stats_t *out);

/* The LevelInfo of every level seen so far (from level.* updates), as a JSON
 * array of proto3 LevelInfo objects ordered by level. Caller decrefs. */
json_t *web_hub_levels(void);

/* Opens an SSE stream on connection c for topics (comma-separated prefixes,
 * NULL or "" for all), resuming after last_id when it is non-zero. Returns the
 * HTTP status queued: 200, or 503 when the stream cap is reached. */
int web_hub_open_stream(struct MHD_Connection *c, const char *topics, uint64_t last_id);

/* ------------------------------------------------------------ metrics.c -- */

/* Appends the Prometheus text exposition of ladderd's Stats and the gateway's
 * own counters to a malloc'd string. Returns NULL when ladderd does not answer. */
char *web_metrics_text(unsigned timeout_ms, size_t *len);

/* Counters of the HTTP side, shown in /metrics. */
void web_http_count(unsigned status);
void web_http_counts(uint64_t out[6]); /* 1xx..5xx by class; [0] total */

#endif
