/* Run directories: one writer at a time (a lock on DIR), no new run beside
 * an old one, the emptying that --force promises, done without following
 * a symlink out of the directory, and what a resume takes over from the
 * sessions before it (the log up to the checkpoint, the time spent). */
#include "rundir.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn.h"

/* What makes a directory a run: anything train writes, and the probes' tree. */
static const char *const RUN_FILES[] = {"config.ini", "log.csv", "summary.json",
                                        "final.safetensors", "last.safetensors", "traj",
                                        "probes"};
#define NRUN_FILES ((int)(sizeof RUN_FILES / sizeof RUN_FILES[0]))

/* Results probes may leave beside the checkpoints (rescale, --out DIR). */
static const char *const RESULT_EXTS[] = {".safetensors", ".npy", ".json", ".png", ".csv"};

static int exists_at(int dfd, const char *name, struct stat *st)
{
    return fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == 0;
}

int run_dir_holds(const char *dir, char *found, size_t len)
{
    int n = 0;
    size_t k = 0;
    if (len) found[0] = 0;
    for (int i = 0; i < NRUN_FILES; i++) {
        char p[4200];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, RUN_FILES[i]);
        if (lstat(p, &st) != 0) continue;
        int w = snprintf(found + k, len > k ? len - k : 0, "%s%s%s", n ? ", " : "", RUN_FILES[i],
                         S_ISDIR(st.st_mode) ? "/" : "");
        if (w > 0 && k + (size_t)w < len) k += (size_t)w;
        n++;
    }
    return n;
}

static void path_join(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

int run_dir_open(run_dir *rd, const char *dir, int mode)
{
    memset(rd, 0, sizeof *rd);
    rd->dir = dir;
    rd->lock.fd = rd->probes.fd = -1;
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (errno != ENOENT) return nn_err(NN_EIO, "%s: %s", dir, strerror(errno));
        if (mode == TRAIN_RESUME)
            return nn_err(NN_EINVAL, "%s: no such run directory to resume", dir);
        rd->created = 1;
    }
    int rc = file_mkdirs(dir);
    if (rc) return rc;
    if ((rc = file_lock_dir(&rd->lock, dir, mode == TRAIN_RESUME ? "train --resume" : "train")))
        goto fail;
    char found[512], p[4200];
    /* Snapshots a killed writer was making (file_lock_dir did dir itself). */
    path_join(p, sizeof p, dir, "traj");
    file_clean_stale_tmp(p, NULL);
    int holds = run_dir_holds(dir, found, sizeof found);
    if (mode == TRAIN_NEW && holds) {
        rc = nn_err(NN_EINVAL,
                    "%s already holds a run (%s): continue it with `saddle train --resume %s`, "
                    "or replace it with --force (which first deletes its checkpoints, log, traj/ "
                    "and probes/)",
                    dir, found, dir);
        goto fail;
    }
    if (mode == TRAIN_RESUME) {
        path_join(p, sizeof p, dir, "config.ini");
        if (lstat(p, &st) != 0) {
            rc = nn_err(NN_EINVAL, "%s holds no run to resume (no config.ini)", dir);
            goto fail;
        }
        path_join(p, sizeof p, dir, "last.safetensors");
        if (lstat(p, &st) != 0) {
            path_join(p, sizeof p, dir, "final.safetensors");
            if (lstat(p, &st) == 0) {
                rc = nn_err(NN_EINVAL, "%s: final.safetensors exists but last.safetensors, "
                            "which --resume continues from, does not; retrain with --force",
                            dir);
                goto fail;
            }
            /* Killed before its first checkpoint: nothing to continue, so the
             * run starts over from its own config. */
            rd->from_zero = 1;
        }
    }
    rd->clear = mode == TRAIN_FORCE || rd->from_zero;
    if (rd->clear) {
        /* A probe still writing probes/ would lose its files under it. */
        path_join(p, sizeof p, dir, "probes");
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
            (rc = file_lock_dir(&rd->probes, p, "train --force")))
            goto fail;
    }
    return NN_OK;
fail:
    run_dir_close(rd, 0);
    return rc;
}

/* rm -r of dfd/name without following symlinks; `shown` names it in errors. */
static int remove_tree(int dfd, const char *name, const char *shown, int depth)
{
    struct stat st;
    if (!exists_at(dfd, name, &st)) return NN_OK;
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
            return nn_err(NN_EIO, "%s/%s: cannot delete: %s", shown, name, strerror(errno));
        return NN_OK;
    }
    if (depth > 64) return nn_err(NN_EIO, "%s/%s: directories nested too deep", shown, name);
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int e = errno;
        if (fd >= 0) close(fd);
        return nn_err(NN_EIO, "%s/%s: cannot list: %s", shown, name, strerror(e));
    }
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/%s", shown, name);
    int rc = NN_OK;
    for (struct dirent *e; !rc && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            rc = remove_tree(fd, e->d_name, sub, depth + 1);
    closedir(d);
    if (!rc && unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = nn_err(NN_EIO, "%s: cannot delete: %s", sub, strerror(errno));
    return rc;
}

static int is_result(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof RESULT_EXTS / sizeof RESULT_EXTS[0]; i++) {
        size_t k = strlen(RESULT_EXTS[i]);
        if (n > k && !strcmp(name + n - k, RESULT_EXTS[i])) return 1;
    }
    return 0;
}

int run_dir_clear(run_dir *rd)
{
    int fd = open(rd->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int e = errno;
        if (fd >= 0) close(fd);
        return nn_err(NN_EIO, "%s: cannot list: %s", rd->dir, strerror(e));
    }
    int rc = NN_OK;
    for (struct dirent *e; !rc && (e = readdir(d));) {
        struct stat st;
        int mine = 0;
        for (int i = 0; i < NRUN_FILES; i++) mine |= !strcmp(e->d_name, RUN_FILES[i]);
        if (!mine && !(is_result(e->d_name) && exists_at(fd, e->d_name, &st) &&
                       (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))))
            continue;
        rc = remove_tree(fd, e->d_name, rd->dir, 0);
    }
    closedir(d);
    /* probes/ and its lock file are gone: nothing left to hold. */
    file_unlock(&rd->probes);
    return rc;
}

void run_dir_close(run_dir *rd, int wrote)
{
    file_unlock(&rd->probes);
    if (rd->created && !wrote && rd->lock.fd >= 0) {
        /* Only the lock file is in it: rmdir fails harmlessly otherwise. */
        char p[4200];
        path_join(p, sizeof p, rd->dir, FILE_LOCK_NAME);
        unlink(p);
        rmdir(rd->dir);
    }
    file_unlock(&rd->lock);
}

/* On resume: keep the header and the rows before the checkpoint's step, and
 * its own row when the (maybe longer) run logs that step, with lr_upto as
 * its lr (NULL: the row goes), so the finished log equals an uninterrupted
 * run's. A run's last row shows the lr of its last step, a row inside the
 * run the lr of the next one: they differ where a longer run decays. */
/* The n-th comma of line [ll], or NULL. */
static const char *nth_comma(const char *line, size_t ll, int n)
{
    const char *p = line, *end = line + ll;
    for (; p < end; p++)
        if (*p == ',' && --n == 0) return p;
    return NULL;
}

int run_log_truncate(const char *path, long upto, const char *lr_upto)
{
    uint8_t *buf;
    size_t len;
    int rc = file_read_all(path, (size_t)1 << 30, &buf, &len);
    if (rc) return rc;
    char *out = malloc(len + 64);
    if (!out) {
        free(buf);
        return nn_err(NN_ENOMEM, "%s: cannot allocate", path);
    }
    size_t k = 0;
    char *line = (char *)buf;
    int first = 1;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) + 1 : strlen(line);
        long s = nl ? strtol(line, NULL, 10) : upto + 1;
        /* The lr is the third field: "step,epoch,lr,...". */
        const char *c2 = nth_comma(line, ll, 2), *c3 = nth_comma(line, ll, 3);
        if (!first && s == upto && lr_upto && c3 && strlen(lr_upto) < 40) {
            size_t head = (size_t)(c2 + 1 - line), tail = ll - (size_t)(c3 - line);
            memcpy(out + k, line, head);
            k += head;
            memcpy(out + k, lr_upto, strlen(lr_upto));
            k += strlen(lr_upto);
            memcpy(out + k, c3, tail);
            k += tail;
        } else if (first || s < upto || (s == upto && lr_upto)) {
            memcpy(out + k, line, ll);
            k += ll;
        }
        first = 0;
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
    rc = file_write_atomic(path, out, k);
    free(out);
    return rc;
}

/* What summary.json says of the sessions before a resume: their time
 * counts only when it describes the run up to the checkpoint (the run had
 * finished there); else the time covers the steps from the checkpoint on. */
void run_prior_time(const char *dir, long ckpt_step, prior_time *pt)
{
    char path[4200];
    uint8_t *buf;
    size_t len;
    memset(pt, 0, sizeof *pt);
    pt->from_step = ckpt_step;
    path_join(path, sizeof path, dir, "summary.json");
    if (file_read_all(path, 1 << 20, &buf, &len)) return;
    cJSON *j = cJSON_Parse((const char *)buf);
    free(buf);
    const cJSON *steps = cJSON_GetObjectItem(j, "steps");
    const cJSON *secs = cJSON_GetObjectItem(j, "train_seconds");
    const cJSON *wall = cJSON_GetObjectItem(j, "wall_seconds");
    const cJSON *sps = cJSON_GetObjectItem(j, "samples_per_s");
    const cJSON *from = cJSON_GetObjectItem(j, "train_seconds_from_step");
    /* An edited or damaged summary counts as none. */
    if (cJSON_IsNumber(steps) && steps->valuedouble == (double)ckpt_step && cJSON_IsNumber(secs) &&
        cJSON_IsNumber(wall) && cJSON_IsNumber(sps) && secs->valuedouble >= 0 &&
        isfinite(secs->valuedouble) && wall->valuedouble >= 0 && isfinite(wall->valuedouble) &&
        sps->valuedouble >= 0 && isfinite(sps->valuedouble * secs->valuedouble)) {
        pt->seconds = secs->valuedouble;
        pt->wall = wall->valuedouble;
        pt->samples = sps->valuedouble * secs->valuedouble;
        pt->from_step = 0;
        if (cJSON_IsNumber(from) && from->valuedouble >= 0 &&
            from->valuedouble <= (double)ckpt_step)
            pt->from_step = (long)from->valuedouble;
    }
    cJSON_Delete(j);
}
