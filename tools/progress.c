/* The progress bar and log lines every long command shares (see progress.h). */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../nn/nn.h"

#define PROGRESS_EVERY_S 10.0
#define PROGRESS_REDRAW_S 0.1

static void fmt_secs(double s, char *buf, size_t len)
{
    if (!(s >= 0) || s > 1e7) snprintf(buf, len, "?");
    else if (s >= 3600) snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60) snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else snprintf(buf, len, "%.0fs", s);
}

void progress_begin(progress *p, size_t total, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->what, sizeof p->what, fmt, ap);
    va_end(ap);
    p->total = total;
    p->done = 0;
    p->tty = isatty(2);
    p->every = PROGRESS_EVERY_S;
    const char *e = getenv("SADDLE_PROGRESS_SECONDS");
    if (e && *e) {
        char *end;
        double v = strtod(e, &end);
        if (!*end && v >= 0 && v <= 86400) p->every = v;
    }
    p->t0 = p->last = p->prev = nn_now();
    p->shown = 0;
    p->drawn = 0;
}

static void draw(progress *p, double now)
{
    double el = now - p->t0;
    char elapsed[32], eta[32] = "";
    fmt_secs(el, elapsed, sizeof elapsed);
    if (p->total && p->done && p->done < p->total) {
        char t[24];
        fmt_secs(el / (double)p->done * (double)(p->total - p->done), t, sizeof t);
        snprintf(eta, sizeof eta, "  ETA %s", t);
    }
    if (!p->total) {
        fprintf(stderr, p->tty ? "\r\033[K%s: %zu  %s" : "%s: %zu  %s\n", p->what, p->done, elapsed);
    } else if (p->tty) {
        const int W = 24;
        int fill = (int)((double)W * (double)p->done / (double)p->total);
        char bar[32];
        for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
        bar[W] = 0;
        fprintf(stderr, "\r\033[K%s [%s] %zu/%zu  %s%s", p->what, bar, p->done, p->total, elapsed, eta);
    } else {
        fprintf(stderr, "%s: %zu/%zu (%.0f%%)  %s%s\n", p->what, p->done, p->total,
                100.0 * (double)p->done / (double)p->total, elapsed, eta);
    }
    fflush(stderr);
    p->last = now;
    p->shown = 1;
    p->drawn = p->done;
}

void progress_update(progress *p, size_t done)
{
    p->done = done;
    double now = nn_now(), step = now - p->prev;
    p->prev = now;
    /* Off a terminal, print now when waiting for the next update (as far
     * apart as the last two) would leave more than the interval silent. */
    if (p->tty ? now - p->last >= PROGRESS_REDRAW_S : now - p->last + step >= p->every) draw(p, now);
}

void progress_end(progress *p)
{
    if (!p->shown) return;
    if (p->tty) {
        draw(p, nn_now());
        fputc('\n', stderr);
    } else if (p->drawn != p->done) {
        draw(p, nn_now());
    }
    p->shown = 0;
}

int progress_surface(void *user, const surface *s, size_t done, size_t total)
{
    progress_update(user, done);
    return NN_OK;
}
