/* Status codes and the last error message, shared by every layer of saddle.
 * It lives at the bottom of the house (datasets/) because every other folder
 * includes downward only; library code records a reason, tools/ prints it. */
#ifndef SADDLE_STATUS_H
#define SADDLE_STATUS_H

enum {
    NN_OK = 0,
    NN_EIO,      /* a file could not be opened, read or written */
    NN_EFORMAT,  /* a file's contents are malformed */
    NN_EINVAL,   /* an argument is out of range or inconsistent */
    NN_ENOMEM,   /* an allocation failed */
    NN_ECONFIG,  /* a config line or --set override is wrong */
    NN_ENAN,     /* a loss or gradient stopped being finite */
    NN_EBUSY     /* another process is writing the same output */
};

/* Records a message (printf-style) for the calling thread and returns code,
 * so callers write `return nn_err(NN_EFORMAT, "%s: byte %zu: ...", ...)`.
 * The message names the *input* (file and line, byte offset, step). */
int nn_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last recorded message of this thread ("" if none). */
const char *nn_errmsg(void);

/* "ok", "i/o error", "bad format", ... */
const char *nn_strstatus(int code);

#endif
