/* ld_error.h — the one error enum of the program (STYLE.md habit 3).
 *
 * Functions return 0 or a negative LD_E* code. LMDB's positive errnos and
 * ZeroMQ's -1/errno are translated at each library boundary. Domain refusals
 * are not errors of the program: they travel back to the client as values.
 */
#ifndef LD_ERROR_H
#define LD_ERROR_H

enum {
    LD_OK = 0,
    LD_ENOMEM = -1,     /* allocation failed */
    LD_EIO = -2,        /* the operating system refused I/O (see errno text) */
    LD_ENOSPC = -3,     /* disk or map full and could not grow */
    LD_ECORRUPT = -4,   /* stored bytes do not decode or do not chain */
    LD_EFORMAT = -5,    /* the store has a format version this build does not know */
    LD_ECONFLICT = -6,  /* an expected stream version did not match */
    LD_EINVAL = -7,     /* bad argument */
    LD_ENOTFOUND = -8,  /* no such key */
    LD_EBUSY = -9,      /* the store is locked by another process */
    LD_EINTERNAL = -10, /* a library returned something it documents as impossible */
    LD_EMAPFULL = -11,  /* the LMDB map is full; the store grows it and retries */
    LD_EREUSED = -12,   /* a request id repeated with different commands */
};

/* Returns a static string describing code. Never NULL. */
const char *ld_strerror(int code);

#endif
