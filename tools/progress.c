/* The progress bar and log lines every long command shares (see progress.h). */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../nn/nn.h"

#define PROGRESS_EVERY_S 10.0
#define PROGRESS_REDRAW_S 0.1

void progress_fmt_secs(double s, char *buf, size_t len)
{
    if (!(s >= 0) || s > 1e7) snprintf(buf, len, "?");
    else if (s >= 3600) snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60) snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else snprintf(buf, len, "%.0fs", s);
}

double progress_interval(void)
{
    const char *e = getenv("SADDLE_PROGRESS_SECONDS");
    if (e && *e) {
        char *end;
        double v = strtod(e, &end);
        if (!*end && v >= 0 && v <= 86400) return v;
    }
    return PROGRESS_EVERY_S;
}

void progress_begin(progress *p, size_t total, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->what, sizeof p->what, fmt, ap);
    va_end(ap);
    p->unit[0] = p->note[0] = 0;
    p->total = total;
    p->done = p->base = 0;
    p->at_most = p->log_ends = 0;
    p->tty = isatty(2);
    p->every = progress_interval();
    p->t0 = p->last = p->prev = p->phase_t0 = nn_now();
    p->shown = 0;
    p->drawn = 0;
}

void progress_unit(progress *p, const char *unit, int at_most)
{
    snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "");
    p->at_most = at_most;
}

void progress_note(progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->note, sizeof p->note, fmt, ap);
    va_end(ap);
}

static void draw(progress *p, double now)
{
    double el = now - p->t0, phase = now - p->phase_t0;
    char elapsed[32], eta[32] = "", count[96], note[80] = "";
    const char *sp = p->unit[0] ? " " : "";
    progress_fmt_secs(el, elapsed, sizeof elapsed);
    if (p->total && !p->at_most && p->done > p->base && p->done < p->total) {
        char t[24];
        progress_fmt_secs(phase / (double)(p->done - p->base) * (double)(p->total - p->done), t, sizeof t);
        snprintf(eta, sizeof eta, "  ETA %s", t);
    }
    if (p->note[0]) snprintf(note, sizeof note, ", %s", p->note);
    if (!p->total)
        snprintf(count, sizeof count, "%zu%s%s", p->done, sp, p->unit);
    else if (p->at_most)
        snprintf(count, sizeof count, "%zu of at most %zu%s%s", p->done, p->total, sp, p->unit);
    else if (p->tty)
        snprintf(count, sizeof count, "%zu/%zu%s%s", p->done, p->total, sp, p->unit);
    else
        snprintf(count, sizeof count, "%zu/%zu%s%s (%.0f%%)", p->done, p->total, sp, p->unit,
                 100.0 * (double)p->done / (double)p->total);
    if (p->tty && p->total && !p->at_most) {
        const int W = 24;
        int fill = (int)((double)W * (double)p->done / (double)p->total);
        char bar[32];
        for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
        bar[W] = 0;
        fprintf(stderr, "\r\033[K%s [%s] %s%s  %s%s", p->what, bar, count, note, elapsed, eta);
    } else {
        fprintf(stderr, p->tty ? "\r\033[K%s: %s%s  %s%s" : "%s: %s%s  %s%s\n", p->what, count, note,
                elapsed, eta);
    }
    fflush(stderr);
    p->last = now;
    p->shown = 1;
    p->drawn = p->done;
}

void progress_phase(progress *p, size_t total, const char *fmt, ...)
{
    if (p->shown && p->tty) fputs("\r\033[K", stderr);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->what, sizeof p->what, fmt, ap);
    va_end(ap);
    p->total = total;
    p->done = p->drawn = p->base = 0;
    p->note[0] = 0;
    double now = nn_now();
    p->phase_t0 = p->prev = now;
    if (!p->tty) {
        char el[32];
        progress_fmt_secs(now - p->t0, el, sizeof el);
        if (total)
            fprintf(stderr, "%s: %s%zu%s%s, from %s\n", p->what, p->at_most ? "at most " : "", total,
                    p->unit[0] ? " " : "", p->unit, el);
        else
            fprintf(stderr, "%s: from %s\n", p->what, el);
        fflush(stderr);
        /* An announcement, not a count: it asks for no last line at the end. */
        p->last = now;
    }
}

void progress_update(progress *p, size_t done)
{
    p->done = done;
    double now = nn_now(), step = now - p->prev;
    p->prev = now;
    /* Off a terminal, print now when waiting for the next update (as far
     * apart as the last two) would leave more than the interval silent. */
    if (p->tty ? now - p->last >= PROGRESS_REDRAW_S
               : now - p->last + step >= p->every || (p->log_ends && !p->shown))
        draw(p, now);
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
