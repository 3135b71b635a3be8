/* The study report is written like every other file: whole, through a
 * temporary that is created, never opened through a planted link. A symlink
 * at report.md (or at the temporary names an older writer used) is
 * replaced, and the file it points to is left as it was. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

TEST(study_report_replaces_planted_symlinks)
{
    char dir[512], run[600], cmp[600], args[2048];
    snprintf(dir, sizeof dir, "%sreport-links", test_tmpdir());
    snprintf(run, sizeof run, "%s/sb-s1", dir);
    snprintf(cmp, sizeof cmp, "%s/cmp", dir);
    const char *out;
    snprintf(args, sizeof args, "train configs/study/tiny/sb.ini --out %s --set train.threads=1", run);
    CHECK_MSG(test_saddle(args, &out) == 0, "train: %s", out);
    CHECK(mkdir(cmp, 0755) == 0);

    static const char *const names[] = {"report.md", "report.html", "report.md.tmp",
                                        "report.html.tmp"};
    char target[4][700], link[4][700];
    for (int k = 0; k < 4; k++) {
        snprintf(target[k], sizeof target[k], "%s/victim-%d", dir, k);
        snprintf(link[k], sizeof link[k], "%s/%s", cmp, names[k]);
        CHECK(test_write_file(target[k], "keep me\n", 8) == 0);
        CHECK(symlink(target[k], link[k]) == 0);
    }
    snprintf(args, sizeof args, "compare %s --out %s --limit 200", run, cmp);
    CHECK_MSG(test_saddle(args, &out) == 0, "compare: %s", out);
    for (int k = 0; k < 4; k++) {
        size_t len;
        char *t = (char *)test_read_file(target[k], &len);
        CHECK_MSG(t && len == 8 && !memcmp(t, "keep me\n", 8), "%s was written through %s",
                  target[k], link[k]);
        free(t);
    }
    struct stat st;
    for (int k = 0; k < 2; k++) {
        CHECK_MSG(lstat(link[k], &st) == 0 && S_ISREG(st.st_mode), "%s is not a regular file",
                  link[k]);
        size_t len;
        char *t = (char *)test_read_file(link[k], &len);
        CHECK_MSG(t && strstr(t, "Study"), "%s holds no report", link[k]);
        free(t);
    }
}
