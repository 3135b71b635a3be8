/* Writers that cannot be hijacked, readers that refuse special files, and
 * one writer per output directory. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../nn/nn.h"
#include "test.h"

/* A planted symlink at the temporary name a writer would once have used
 * (PATH.tmp.PID) must not make it write through to the link's target. */
TEST(atomic_writes_do_not_follow_planted_symlinks)
{
    char victim[512], out[512], plant[600];
    snprintf(victim, sizeof victim, "%s", test_path("victim.txt"));
    snprintf(out, sizeof out, "%s", test_path("result.json"));
    CHECK(test_write_file(victim, "precious\n", 9) == 0);
    snprintf(plant, sizeof plant, "%s.tmp.%ld", out, (long)getpid());
    CHECK(symlink(victim, plant) == 0);
    CHECK_OK(file_write_atomic(out, "{}\n", 3));
    size_t len;
    uint8_t *b = test_read_file(victim, &len);
    CHECK(b && len == 9 && !memcmp(b, "precious\n", 9));
    free(b);
    b = test_read_file(out, &len);
    CHECK(b && len == 3 && !memcmp(b, "{}\n", 3));
    free(b);

    /* The checkpoint writer likewise. */
    char ck[512], plant2[600];
    snprintf(ck, sizeof ck, "%s", test_path("w.safetensors"));
    snprintf(plant2, sizeof plant2, "%s.tmp.%ld", ck, (long)getpid());
    CHECK(symlink(victim, plant2) == 0);
    float w[2] = {1, 2};
    int64_t shape[1] = {2};
    st_tensor t = {"w", 1, {shape[0]}, w};
    CHECK_OK(st_write(ck, &t, 1, NULL, NULL, 0));
    b = test_read_file(victim, &len);
    CHECK(b && len == 9 && !memcmp(b, "precious\n", 9));
    free(b);
    unlink(plant);
    unlink(plant2);
}

static void on_alarm(int sig) { (void)sig; }

TEST(readers_refuse_fifos_without_blocking)
{
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s", test_path("pipe.ini"));
    CHECK(mkfifo(fifo, 0600) == 0);
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_alarm; /* interrupts a blocking open instead of killing the run */
    sigaction(SIGALRM, &sa, &old);
    alarm(5);
    uint8_t *buf = NULL;
    size_t len;
    CHECK_ERR(file_read_all(fifo, 1 << 20, &buf, &len), NN_EIO, "not a regular file");
    FILE *f = NULL;
    CHECK_ERR(file_open_regular(test_tmpdir(), &f), NN_EIO, "a directory");
    alarm(0);
    sigaction(SIGALRM, &old, NULL);
    unlink(fifo);
}

TEST(directory_lock_admits_one_writer_and_names_the_holder)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", test_path("locked"));
    CHECK_OK(file_mkdirs(dir));
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t child = fork();
    if (child == 0) {
        file_lock l;
        char c = file_lock_dir(&l, dir, "train") == NN_OK ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c = 0;
    CHECK(read(ready[0], &c, 1) == 1 && c == 'y');
    file_lock l;
    char want[64];
    snprintf(want, sizeof want, "pid %ld", (long)child);
    CHECK_ERR(file_lock_dir(&l, dir, "surface"), NN_EBUSY, want);
    CHECK(strstr(nn_errmsg(), "saddle train") != NULL);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* A killed holder frees the directory. */
    CHECK_OK(file_lock_dir(&l, dir, "surface"));
    file_unlock(&l);
    close(ready[0]);
    close(ready[1]);
}

TEST(stale_temporaries_of_dead_writers_are_removed)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", test_path("stale"));
    CHECK_OK(file_mkdirs(dir));
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    char a[700], b[700], mine[700], keep[700];
    snprintf(a, sizeof a, "%s/final.safetensors.tmp.%ld", dir, (long)dead);
    snprintf(b, sizeof b, "%s/surface.npy.tmp.%ld.3", dir, (long)dead);
    snprintf(mine, sizeof mine, "%s/surface.json.tmp.%ld.0", dir, (long)getppid());
    snprintf(keep, sizeof keep, "%s/notes.tmp.txt", dir);
    CHECK(test_write_file(a, "x", 1) == 0);
    CHECK(test_write_file(b, "x", 1) == 0);
    CHECK(test_write_file(mine, "x", 1) == 0); /* a live process's */
    CHECK(test_write_file(keep, "x", 1) == 0); /* not a temporary */
    file_lock l;
    CHECK_OK(file_lock_dir(&l, dir, "train"));
    file_unlock(&l);
    CHECK(!test_exists(a));
    CHECK(!test_exists(b));
    CHECK(test_exists(mine));
    CHECK(test_exists(keep));
}
