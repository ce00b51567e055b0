/* server.h — ladderd's loop: ZeroMQ in (ROUTER) and out (PUB) on libuv, the
 * group-commit write path, deadlines, snapshots, signals. DESIGN.md, "The
 * write path" and "The read path". */
#ifndef LD_SERVER_H
#define LD_SERVER_H

#include "config.h"

/* Runs until SIGINT/SIGTERM. Returns the process exit code. */
int ld_server_run(const ld_config_t *cfg);

#endif
