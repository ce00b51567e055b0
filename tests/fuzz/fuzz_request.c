/* fuzz_request.c — libFuzzer: a request's bytes through ladderd's path: the
 * depth walk, decoding, then every command decided (and every query answered)
 * against a populated core, rolled back after each input. */
#include "fuzz_common.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ld_core_t *c;
    static ld_out_t *out;
    if (!c) {
        c = fuzz_core();
        out = ld_out_new();
    }
    if (ld_wire_too_deep(&ladder__v1__request__descriptor, data, size))
        return 0;
    Ladder__V1__Request *r = ladder__v1__request__unpack(NULL, size, data);
    if (!r)
        return 0;
    const char *who = r->principal && r->principal->id ? r->principal->id : "";
    uint32_t roles = r->principal ? r->principal->roles : 0;
    uint32_t mark = ld_core_savepoint(c);
    ld_out_reset(out);
    for (size_t i = 0; i < r->n_commands && i < 32; i++) {
        ld_ctx_t ctx = {FUZZ_T0 + (int64_t)i * 86400000LL, who, roles, r->request_id.data,
                        r->request_id.len};
        ld_refusal_t why;
        ld_core_execute(c, r->commands[i], &ctx, out, &why);
    }
    if (r->query) {
        Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
        if (ld_core_query(c, r->query, FUZZ_T0, out, &ok, NULL) == 0) {
            uint8_t buf[1 << 16];
            if (ladder__v1__ok__get_packed_size(&ok) < sizeof buf)
                ladder__v1__ok__pack(&ok, buf);
        }
    }
    ld_core_rollback(c, mark);
    ld_core_release(c);
    ladder__v1__request__free_unpacked(r, NULL);
    return 0;
}
