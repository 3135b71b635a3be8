/* The per-thread last-error buffer behind nn_err()/nn_errmsg(). */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_msg[2048];

int nn_err(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    return code;
}

const char *nn_errmsg(void) { return last_msg; }

const char *nn_strstatus(int code)
{
    switch (code) {
    case NN_OK: return "ok";
    case NN_EIO: return "i/o error";
    case NN_EFORMAT: return "bad format";
    case NN_EINVAL: return "invalid argument";
    case NN_ENOMEM: return "out of memory";
    case NN_ECONFIG: return "config error";
    case NN_ENAN: return "non-finite value";
    case NN_EBUSY: return "busy";
    default: return "unknown error";
    }
}
