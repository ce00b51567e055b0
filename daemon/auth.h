/* auth.h — CURVE keys and who they belong to (the Reliability issue).
 *
 * A keys directory holds server.key (the server's secret key, Z85, 40
 * characters), server.pub (its public key) and `authorized`: one client a line,
 *     <Z85 public key> <principal> <role>[,<role>...]
 * with roles among employee, reviewer, manager, system, auditor, service,
 * chair. Blank lines and lines starting with # are ignored. A key may appear
 * once; a principal listed with several keys must have the same roles on
 * each (a file that binds roles by name differently is refused at load, with
 * its line number), so roles follow the key. The principal of
 * a request is the one bound to the key that authenticated its connection,
 * never the one the request names.
 */
#ifndef LD_AUTH_H
#define LD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ld_auth ld_auth_t;

/* Loads a keys directory. Returns 0, or -1 with the file, line and reason in err. */
int ld_auth_load(ld_auth_t **out, const char *dir, char *err, size_t errlen);

void ld_auth_destroy(ld_auth_t **a);

/* The server's keys, Z85 with a terminating NUL (41 bytes). */
const char *ld_auth_secret(const ld_auth_t *a);
const char *ld_auth_public(const ld_auth_t *a);

/* The principal and roles of a client's 32-byte public key; false if unknown. */
bool ld_auth_key(const ld_auth_t *a, const uint8_t key[32], const char **principal,
                 uint32_t *roles);

/* The roles of an authenticated principal; false if unknown. */
bool ld_auth_roles(const ld_auth_t *a, const char *principal, uint32_t *roles);

/* Parses "manager,reviewer" into role bits. Returns false on an unknown name. */
bool ld_roles_parse(const char *list, uint32_t *bits);

size_t ld_auth_count(const ld_auth_t *a);

#endif
