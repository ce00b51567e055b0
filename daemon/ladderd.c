/* ladderd.c — the daemon's entry point: settings, logging, the server loop.
 * What it does is in loop.c and the modules shell.h lists; how it is
 * configured in config.c. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "server.h"

int main(int argc, char **argv)
{
    ld_config_t cfg;
    char err[512];
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--version")) {
            printf("ladderd %s\n", LADDER_VERSION);
            return 0;
        }
    int rc = ld_config_load(&cfg, argc, argv, err, sizeof err);
    if (rc == 1)
        return 0;
    if (rc) {
        fprintf(stderr, "ladderd: %s\n", err);
        return 2;
    }
    ld_log_set_level(cfg.log_level);
    return ld_server_run(&cfg);
}
