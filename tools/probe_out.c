/* Where probe results go: the output directory of a run, snapshot or lone
 * checkpoint, its one-writer lock, and a name that never replaces a result
 * of other options. */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

static int has_config(const char *dir)
{
    char cfg[4500];
    snprintf(cfg, sizeof cfg, "%s/config.ini", dir);
    return access(cfg, F_OK) == 0;
}

int probe_outdir(const probe_model *pm, const probe_args *a, char *dir, size_t len)
{
    if (a->out) snprintf(dir, len, "%s", a->out);
    else if (pm->run[0]) snprintf(dir, len, "%s/probes", pm->run);
    else {
        /* The final model of a run writes into the run's probes/; any other
         * checkpoint (last, a traj/ snapshot, a critical point, a lone
         * file) into a folder of its own name there, so its results never
         * replace the final model's. */
        char tmp[4096], tmp2[4096], up[4400], stem[256];
        snprintf(tmp, sizeof tmp, "%s", pm->path);
        snprintf(tmp2, sizeof tmp2, "%s", pm->path);
        const char *base = basename(tmp2);
        snprintf(stem, sizeof stem, "%s", base);
        size_t L = strlen(stem);
        if (L > 12 && !strcmp(stem + L - 12, ".safetensors")) stem[L - 12] = 0;
        const char *parent = dirname(tmp);
        snprintf(up, sizeof up, "%s", parent);
        const char *pb = strrchr(parent, '/') ? strrchr(parent, '/') + 1 : parent;
        if (!has_config(parent) && !strcmp(pb, "traj")) {
            char tmp3[4096];
            snprintf(tmp3, sizeof tmp3, "%s", parent);
            snprintf(up, sizeof up, "%s", dirname(tmp3));
        }
        if (!strcmp(base, "final.safetensors") && has_config(up))
            snprintf(dir, len, "%s/probes", up);
        else
            snprintf(dir, len, "%s/probes/%s", up, stem);
    }
    return file_mkdirs(dir);
}

const char *probe_path(char *buf, const char *dir, const char *name, const char *ext)
{
    snprintf(buf, PROBE_PATH_MAX, "%s/%s%s", dir, name, ext);
    return buf;
}

/* 0 when o is not in the ignore list, 1 when it is there as a flag
 * ("--vtk"), 2 when as an option with a value ("--save-dirs FILE"). */
static int in_list(const char *o, const char *const *list)
{
    for (; list && *list; list++) {
        size_t L = strcspn(*list, " ");
        if (!strncmp(o, *list, L) && !o[L]) return (*list)[L] ? 2 : 1;
    }
    return 0;
}

/* What a result depends on: the command and its own options as given, the
 * checkpoints by content (not by path: `runs/a` and
 * `runs/a/final.safetensors` are one model), the data and its subset. */
static cJSON *invocation(const char *cmd, const probe_model *const *pms, int npm,
                         const probe_args *a, int argc, char **argv, const char *const *ignore)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON_AddStringToObject(j, "command", cmd);
    cJSON *args = cJSON_AddArrayToObject(j, "args");
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int ign = in_list(o, ignore);
        if (probe_args_takes_value(o) || ign == 2) {
            i++;
            continue;
        }
        if (ign) continue;
        if (!strcmp(o, "--log") || !strcmp(o, "--overwrite")) continue;
        int target = 0;
        for (int k = 0; k < npm; k++)
            target |= !strcmp(o, pms[k]->path) || (pms[k]->run[0] && !strcmp(o, pms[k]->run));
        if (target) continue;
        /* A file named among the options (--dirs FILE) counts by its content. */
        struct stat st;
        unsigned long crc;
        long long bytes;
        char with[4400];
        if (o[0] != '-' && stat(o, &st) == 0 && S_ISREG(st.st_mode) &&
            probe_file_crc(o, &crc, &bytes) == NN_OK) {
            snprintf(with, sizeof with, "%s (crc32 %08lx)", o, crc);
            o = with;
        }
        cJSON_AddItemToArray(args, cJSON_CreateString(o));
    }
    cJSON *ts = cJSON_AddArrayToObject(j, "checkpoints");
    for (int k = 0; k < npm; k++) {
        cJSON *t = cJSON_CreateObject();
        char crc[16];
        snprintf(crc, sizeof crc, "%08lx", pms[k]->crc);
        cJSON_AddStringToObject(t, "crc32", crc);
        cJSON_AddNumberToObject(t, "bytes", (double)pms[k]->bytes);
        cJSON_AddStringToObject(t, "arch", pms[k]->arch);
        cJSON_AddItemToArray(ts, t);
    }
    cJSON *d = cJSON_AddObjectToObject(j, "data");
    cJSON_AddStringToObject(d, "split", a->split);
    cJSON_AddNumberToObject(d, "limit", (double)a->limit);
    cJSON_AddNumberToObject(d, "seed", (double)a->seed);
    cJSON_AddStringToObject(d, "act", a->act ? a->act : "");
    cJSON_AddStringToObject(d, "config", a->config ? a->config : "");
    if (a->map) cJSON_AddStringToObject(d, "map", a->map); /* absent before --map existed */
    unsigned long crc;
    long long bytes;
    if (a->config && probe_file_crc(a->config, &crc, &bytes) == NN_OK)
        cJSON_AddNumberToObject(d, "config_crc32", (double)crc);
    return j;
}

/* "command a b c" of an invocation, for messages. */
static void invocation_text(const cJSON *inv, char *out, size_t len)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(inv, "command");
    size_t k = (size_t)snprintf(out, len, "%s", cJSON_IsString(c) ? c->valuestring : "?");
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(inv, "args"))
        if (cJSON_IsString(e) && k < len) k += (size_t)snprintf(out + k, len - k, " %s", e->valuestring);
}

/* Why an existing sidecar's result is not this invocation's. */
static void difference(const cJSON *old, const cJSON *inv, char *out, size_t len)
{
    if (!old) {
        snprintf(out, len, "a result with no record of its options");
        return;
    }
    char o[600], n[600];
    invocation_text(old, o, sizeof o);
    invocation_text(inv, n, sizeof n);
    if (strcmp(o, n)) snprintf(out, len, "a result made by '%s' (this is '%s')", o, n);
    else if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(old, "checkpoints"),
                            cJSON_GetObjectItemCaseSensitive(inv, "checkpoints"), 1))
        snprintf(out, len, "a result of another checkpoint");
    else snprintf(out, len, "a result on other data (split, --limit or --seed)");
}

/* True when the file `f` of dir belongs to the result `name`: NAME.ext,
 * NAME_part.ext or NAME.rank-R*.npy — unless a longer result name (a
 * NAME_x with its own NAME_x.json) owns it. */
static int result_file(const char *dir, const char *name, const char *f)
{
    size_t L = strlen(name);
    if (strncmp(f, name, L) || (f[L] != '.' && f[L] != '_')) return 0;
    const char *dot = strchr(f + L, '.');
    if (!dot) return 0;
    for (const char *u = f + L; u < dot; u++) {
        if (*u != '_' || u == f + L) continue;
        char other[PROBE_PATH_MAX + 300];
        snprintf(other, sizeof other, "%s/%.*s.json", dir, (int)(u - f), f);
        if (access(other, F_OK) == 0) return 0;
    }
    char other[PROBE_PATH_MAX + 300];
    snprintf(other, sizeof other, "%s/%.*s.json", dir, (int)(dot - f), f);
    return dot == f + L || access(other, F_OK) != 0;
}

/* --overwrite of a result of other options: its files go first, so none
 * of them (a curvature map, MPI parts, a longer search's point files)
 * survives beside the new result. */
static void remove_result(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char p[8192];
    for (struct dirent *e; (e = readdir(d));) {
        if (!result_file(dir, name, e->d_name)) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode)) unlink(p);
    }
    closedir(d);
    /* `saddle critical` keeps its end points in NAME/point-KK.safetensors. */
    char sub[PROBE_PATH_MAX + 300];
    snprintf(sub, sizeof sub, "%s/%s", dir, name);
    if ((d = opendir(sub))) {
        for (struct dirent *e; (e = readdir(d));) {
            size_t L = strlen(e->d_name);
            if (strncmp(e->d_name, "point-", 6) || L < 18 || strcmp(e->d_name + L - 12, ".safetensors"))
                continue;
            snprintf(p, sizeof p, "%s/%s", sub, e->d_name);
            unlink(p);
        }
        closedir(d);
        rmdir(sub); /* only when nothing else is in it */
    }
}

int probe_out_open(probe_out *po, const char *cmd, const char *dflt_name,
                   const probe_model *const *pms, int npm, const probe_args *a, int argc,
                   char **argv, const char *const *ignore)
{
    memset(po, 0, sizeof *po);
    po->lock.fd = -1;
    const char *base = a->name ? a->name : dflt_name;
    int rc = probe_outdir(pms[0], a, po->dir, sizeof po->dir);
    if (rc) return rc;
    if ((rc = file_lock_dir(&po->lock, po->dir, cmd))) return rc;
    if (!(po->invocation = invocation(cmd, pms, npm, a, argc, argv, ignore))) {
        rc = nn_err(NN_ENOMEM, "%s: out of memory", cmd);
        goto fail;
    }
    char why[1400] = "";
    for (int k = 1; k <= 100; k++) {
        char cand[256], path[PROBE_PATH_MAX];
        if (k == 1) snprintf(cand, sizeof cand, "%s", base);
        else snprintf(cand, sizeof cand, "%s-%d", base, k);
        probe_path(path, po->dir, cand, ".json");
        if (access(path, F_OK) != 0) {
            snprintf(po->name, sizeof po->name, "%s", cand);
            break;
        }
        cJSON *old = NULL;
        const cJSON *oi = NULL;
        if (probe_json_read(path, &old) == NN_OK) oi = cJSON_GetObjectItemCaseSensitive(old, "invocation");
        int same = oi && cJSON_Compare(oi, po->invocation, 1);
        if (!same && k == 1) difference(oi, po->invocation, why, sizeof why);
        cJSON_Delete(old);
        if (same || (k == 1 && a->overwrite)) {
            if (!same) {
                fprintf(stderr, "%s: replacing %s (--overwrite; %s)\n", cmd, path, why);
                remove_result(po->dir, cand);
            }
            snprintf(po->name, sizeof po->name, "%s", cand);
            break;
        }
        if (a->name) {
            rc = nn_err(NN_EINVAL, "%s holds %s: choose another --name, or --overwrite to replace it",
                        path, why);
            goto fail;
        }
    }
    if (!po->name[0]) {
        rc = nn_err(NN_EINVAL, "%s: %s and %s-2 ... %s-100 all hold results of other options: "
                    "choose a --name", po->dir, base, base, base);
        goto fail;
    }
    if (strcmp(po->name, base))
        fprintf(stderr, "%s: %s/%s.json holds %s; writing %s/%s.* instead (--name to choose, "
                "--overwrite to replace)\n", cmd, po->dir, base, why, po->dir, po->name);
    return NN_OK;
fail:
    probe_out_close(po);
    return rc;
}

const char *probe_out_path(const probe_out *po, char *buf, const char *suffix)
{
    return probe_path(buf, po->dir, po->name, suffix);
}

void probe_out_stamp(const probe_out *po, cJSON *j)
{
    cJSON_DeleteItemFromObject(j, "invocation");
    cJSON_AddItemToObject(j, "invocation", cJSON_Duplicate(po->invocation, 1));
}

void probe_out_close(probe_out *po)
{
    file_unlock(&po->lock);
    cJSON_Delete(po->invocation);
    po->invocation = NULL;
}
