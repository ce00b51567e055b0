/* fuzz_stored.c — libFuzzer: corrupted stored values: as a snapshot of the
 * core (which must be refused or load into a state that snapshots again), and
 * as an event folded into a populated core (refused or applied, never a crash). */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ld_core_t *c;
    if (!c)
        c = fuzz_core();
    ld_core_t *loaded = ld_core_from_snapshot(data, size);
    if (loaded) {
        uint8_t *buf;
        size_t len;
        ld_core_snapshot(loaded, &buf, &len);
        free(buf);
        ld_core_destroy(&loaded);
    }
    Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, size, data);
    if (ev) {
        uint32_t mark = ld_core_savepoint(c);
        ev->seq = ld_core_next_seq(c);
        ld_core_evolve(c, ev);
        ld_core_rollback(c, mark);
        ld_core_release(c);
        ladder__v1__event__free_unpacked(ev, NULL);
    }
    return 0;
}
