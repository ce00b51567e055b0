/* fnv.h — FNV-1a, 64 bit: the one string hash of the core and the daemon
 * (id indexes, request ids, topic and stream-name tables). Header-only and
 * pure, so the store library uses it without linking the core. */
#ifndef LD_FNV_H
#define LD_FNV_H

#include <stddef.h>
#include <stdint.h>

#define LD_FNV_BASIS 1469598103934665603ull

/* Continues hash h (LD_FNV_BASIS to start) over the n bytes at p. */
static inline uint64_t ld_fnv1a(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

#endif
