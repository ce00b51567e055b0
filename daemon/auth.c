/* auth.c — the keys directory (auth.h). */
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

typedef struct {
    uint8_t key[32];
    char principal[64];
    uint32_t roles;
    int line;
} client_t;

struct ld_auth {
    char secret[41], public_[41];
    client_t *clients;
    size_t n;
};

bool ld_roles_parse(const char *list, uint32_t *bits)
{
    static const struct { const char *name; uint32_t bit; } r[] = {
        {"employee", 1}, {"reviewer", 2}, {"manager", 4}, {"system", 8},
        {"auditor", 16}, {"service", 32}, {"chair", 64}};
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *bits = 0;
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof r / sizeof *r && strcmp(t, r[i].name); i++)
            ;
        if (i == sizeof r / sizeof *r)
            return false;
        *bits |= r[i].bit;
    }
    return *bits != 0;
}

static int read_key(const char *dir, const char *name, char out[41], char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[128] = "";
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    size_t n = got ? strcspn(line, "\r\n") : 0;
    if (n != 40) {
        snprintf(err, errlen, "%s: expected a 40-character Z85 key", path);
        return -1;
    }
    memcpy(out, line, 40);
    out[40] = 0;
    return 0;
}

int ld_auth_load(ld_auth_t **out, const char *dir, char *err, size_t errlen)
{
    ld_auth_t *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    if (read_key(dir, "server.key", a->secret, err, errlen) ||
        read_key(dir, "server.pub", a->public_, err, errlen))
        goto fail;
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/authorized", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    int no = 0;
    while (fgets(line, sizeof line, f)) {
        no++;
        char key[64], who[64], roles[256];
        char *s = line + strspn(line, " \t");
        if (*s == '#' || *s == '\n' || !*s)
            continue;
        if (sscanf(s, "%63s %63s %255s", key, who, roles) != 3 || strlen(key) != 40) {
            snprintf(err, errlen, "%s:%d: expected '<Z85 public key> <principal> <roles>'", path, no);
            fclose(f);
            goto fail;
        }
        client_t c = {0};
        if (!zmq_z85_decode(c.key, key)) {
            snprintf(err, errlen, "%s:%d: the key is not Z85", path, no);
            fclose(f);
            goto fail;
        }
        if (!ld_roles_parse(roles, &c.roles)) {
            snprintf(err, errlen, "%s:%d: unknown role in '%s'", path, no, roles);
            fclose(f);
            goto fail;
        }
        snprintf(c.principal, sizeof c.principal, "%s", who);
        c.line = no;
        /* roles belong to the key: a principal's keys must agree on them, and
         * a key names one principal (issue 10 item 5) */
        for (size_t i = 0; i < a->n; i++) {
            const client_t *o = &a->clients[i];
            if (!memcmp(o->key, c.key, 32)) {
                snprintf(err, errlen, "%s:%d: the key is listed already (line %d)", path, no, o->line);
                fclose(f);
                goto fail;
            }
            if (!strcmp(o->principal, c.principal) && o->roles != c.roles) {
                snprintf(err, errlen,
                         "%s:%d: principal %s has other roles on line %d; one principal's keys "
                         "must carry the same roles", path, no, c.principal, o->line);
                fclose(f);
                goto fail;
            }
        }
        a->clients = realloc(a->clients, (a->n + 1) * sizeof *a->clients);
        if (!a->clients)
            abort();
        a->clients[a->n++] = c;
    }
    fclose(f);
    *out = a;
    return 0;
fail:
    ld_auth_destroy(&a);
    return -1;
}

void ld_auth_destroy(ld_auth_t **a)
{
    if (!a || !*a)
        return;
    free((*a)->clients);
    free(*a);
    *a = NULL;
}

const char *ld_auth_secret(const ld_auth_t *a) { return a->secret; }
const char *ld_auth_public(const ld_auth_t *a) { return a->public_; }
size_t ld_auth_count(const ld_auth_t *a) { return a->n; }

bool ld_auth_key(const ld_auth_t *a, const uint8_t key[32], const char **principal, uint32_t *roles)
{
    for (size_t i = 0; i < a->n; i++)
        if (!memcmp(a->clients[i].key, key, 32)) {
            *principal = a->clients[i].principal;
            *roles = a->clients[i].roles;
            return true;
        }
    return false;
}

bool ld_auth_roles(const ld_auth_t *a, const char *principal, uint32_t *roles)
{
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->clients[i].principal, principal)) {
            *roles = a->clients[i].roles;
            return true;
        }
    return false;
}
