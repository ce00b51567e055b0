/* wire.h — checks on raw protobuf bytes before they are decoded. */
#ifndef LD_WIRE_H
#define LD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define LD_WIRE_MAX_DEPTH 64

/* Whether a message of descriptor d nests deeper than LD_WIRE_MAX_DEPTH.
 * protobuf-c decodes by recursion with no limit, so a long enough chain of
 * messages exhausts the stack (a 394 KB request nested 100 000 deep did).
 * Bytes that do not parse return false: the decoder refuses them. */
bool ld_wire_too_deep(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len);

typedef enum {
    LD_WIRE_OK = 0,
    LD_WIRE_DEEP, /* nested deeper than LD_WIRE_MAX_DEPTH */
    LD_WIRE_UTF8, /* a string field is not UTF-8 by RFC 3629 (no surrogates,
                     overlong forms or code points above U+10FFFF) */
    LD_WIRE_NUL,  /* a string field holds a NUL byte (protobuf-c would cut it) */
} ld_wire_fault_t;

/* The first fault of the bytes of a message of descriptor d, walking every
 * string and message field; path (if not NULL) gets the dotted field names to
 * the fault, e.g. "commands.hire.name". Bytes that do not parse are left to
 * the decoder (LD_WIRE_OK). */
ld_wire_fault_t ld_wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                              char *path, size_t pathlen);

/* Whether n bytes are UTF-8 by RFC 3629. */
bool ld_utf8_strict(const uint8_t *s, size_t n);

/* The size of a Reply{request_id, ok: Ok{seqs}} (the answer to commands), as
 * protobuf-c packs it; ld_wire_reply_seqs writes those bytes to out. Packed
 * by hand on the hot path: protobuf-c visits every member of Ok's result
 * oneof to find that none is set. */
size_t ld_wire_reply_seqs_size(size_t rid_len, const uint64_t *seqs, size_t n);
size_t ld_wire_reply_seqs(uint8_t *out, const uint8_t *rid, size_t rid_len, const uint64_t *seqs,
                          size_t n);

/* The same for Reply{request_id, error: Error{code, message, field, section,
 * command_index}} (a refusal: nearly half the replies at saturation). code
 * is an ErrorCode (not negative); the strings are NUL-terminated. */
size_t ld_wire_reply_error_size(size_t rid_len, int code, const char *message, const char *field,
                                const char *section, uint32_t index);
size_t ld_wire_reply_error(uint8_t *out, const uint8_t *rid, size_t rid_len, int code,
                           const char *message, const char *field, const char *section,
                           uint32_t index);

#endif
