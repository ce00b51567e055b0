/* ld_error.c — the names of the one error enum (ld_error.h). */
#include "ld_error.h"

const char *ld_strerror(int code)
{
    switch (code) {
    case LD_OK: return "ok";
    case LD_ENOMEM: return "out of memory";
    case LD_EIO: return "input/output error";
    case LD_ENOSPC: return "no space left (disk or map full)";
    case LD_ECORRUPT: return "stored data is corrupt";
    case LD_EFORMAT: return "unknown store format version";
    case LD_ECONFLICT: return "expected stream version did not match";
    case LD_EINVAL: return "invalid argument";
    case LD_ENOTFOUND: return "not found";
    case LD_EBUSY: return "resource busy";
    case LD_EINTERNAL: return "internal error";
    case LD_EMAPFULL: return "map full";
    case LD_EREUSED: return "request id already used for different commands";
    }
    return "unknown error";
}
