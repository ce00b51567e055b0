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

/* Copies of a message's descriptor that list the fields outside its oneof and
 * one member of it each (the store's packer does the same for Event).
 * protobuf-c packs a message by walking every field of its descriptor, and
 * Event has one field per fact kind in its body oneof (~5k instructions per
 * event for the size and the pack); a message whose base.descriptor is its
 * cut packs to the same bytes with a walk of a dozen fields. */
typedef struct {
    const ProtobufCMessageDescriptor *of;
    ProtobufCMessageDescriptor *desc; /* by member id; fields NULL: not a member */
    ProtobufCFieldDescriptor *fields;
    size_t n;                         /* member ids are below n */
    size_t case_off;                  /* the oneof's case in the message */
} ld_cutdesc_t;

/* Builds the cuts of d, whose fields may form one oneof at most. Returns 0,
 * LD_EINVAL (-7: another oneof; nothing is cut) or LD_ENOMEM (-1). */
int ld_cutdesc_init(ld_cutdesc_t *c, const ProtobufCMessageDescriptor *d);
void ld_cutdesc_free(ld_cutdesc_t *c);

/* The descriptor to pack m with: the cut for its set member (or for none
 * set) when m is a message of c's descriptor, else m's own. */
const ProtobufCMessageDescriptor *ld_cutdesc_for(const ld_cutdesc_t *c, const ProtobufCMessage *m);

#endif
