/* ctl_offline.c — ladderctl's subcommands that open a data directory instead
 * of talking to ladderd: verify (the hash chain, and the state of a fresh
 * fold), audit (§11), backup and restore (a compacting LMDB copy, verified;
 * offline, with the acknowledged records of DIR/wal past LMDB's head applied
 * to the copy),
 * keygen (CURVE key pairs) and rules (the built-in rules document).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "audit.h"
#include "ctl.h"
#include "replay.h"
#include "rules.h"
#include "store.h"

static int open_store(const char *dir, ld_store_t **s)
{
    char err[512];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ladderctl: %s: %s\n", dir, errno ? strerror(errno) : "not a directory");
        return EXIT_USAGE;
    }
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC, .read_only = true};
    if (ld_store_open(s, dir, &o, err, sizeof err)) {
        fprintf(stderr, "ladderctl: %s\n", err);
        return EXIT_USAGE;
    }
    ctl_warn_wal(NULL, dir, *s);
    return 0;
}

static int ladderd_running(const char *dir, int *fd, bool create);

void ctl_warn_wal(const char *what, const char *dir, ld_store_t *s)
{
    uint64_t last, head, n = ld_store_wal_unapplied(s, &last);
    ld_store_head(s, &head, NULL);
    if (!n)
        return;
    /* with ladderd running (its flock on DIR/lock), its L stage is writing
     * these records to LMDB behind the acks: nothing for the user to do */
    int lfd = -1;
    bool running = ladderd_running(dir, &lfd, false) == 1;
    if (lfd >= 0)
        close(lfd);
    fprintf(stderr, "ladderctl: %s%s%s: %s/wal holds %llu acknowledged record(s) past LMDB's "
            "head %llu (up to seq %llu), not seen here; %s\n", what ? what : "",
            what ? ": " : "", running ? "note" : "warning", dir, (unsigned long long)n,
            (unsigned long long)head, (unsigned long long)last,
            running ? "ladderd is running; LMDB trails the log by at most L's lag"
                    : "start ladderd once to apply them");
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Walks the chain of the store in dir; prints the outcome; exit code. */
static int verify_dir(const char *what, const char *dir, uint64_t *events)
{
    ld_store_t *s;
    int rc = open_store(dir, &s);
    if (rc)
        return rc;
    uint64_t head, bad;
    ld_store_head(s, &head, NULL);
    char why[256];
    double t = mono();
    rc = ld_store_verify(s, &bad, why, sizeof why);
    double secs = mono() - t;
    ld_store_close(&s);
    if (rc == LD_ECORRUPT) {
        printf("%s: FIRST BAD SEQ %llu: %s\n", what, (unsigned long long)bad, why);
        return EXIT_FOUND;
    }
    if (rc) {
        fprintf(stderr, "ladderctl: %s: %s\n", what, ld_strerror(rc));
        return EXIT_USAGE;
    }
    printf("%s: %llu events chain from seq 1 to the head: ok (%.0f events/s)\n", what,
           (unsigned long long)head, secs > 0 ? (double)head / secs : 0.0);
    if (events)
        *events = head;
    return EXIT_OK;
}

int ctl_run_verify(const ctl_row_t *row, json_t *body)
{
    (void)row;
    const char *dir = ctl_body_str(body, "data");
    int rc = verify_dir("verify", dir, NULL);
    if (rc || !ctl_body_bool(body, "digest"))
        return rc;
    /* the state a fresh fold of the whole log gives, as ladderd's stats --digest */
    ld_store_t *s;
    if ((rc = open_store(dir, &s)))
        return rc;
    ld_core_t *c = ld_core_new(1);
    uint64_t n, badseq;
    rc = ld_replay(s, c, &n, &badseq);
    ld_store_close(&s);
    if (rc) {
        fprintf(stderr, "ladderctl: verify: the log does not fold at seq %llu\n",
                (unsigned long long)badseq);
        ld_core_destroy(&c);
        return EXIT_FOUND;
    }
    uint8_t *buf, digest[32];
    size_t len;
    ld_core_snapshot(c, &buf, &len);
    crypto_generichash(digest, 32, buf, len, NULL, 0);
    free(buf);
    ld_core_destroy(&c);
    printf("state digest: ");
    ctl_print_hex(digest, 32);
    return EXIT_OK;
}

int ctl_run_audit(const ctl_row_t *row, json_t *body)
{
    (void)row;
    ld_store_t *s;
    int rc = open_store(ctl_body_str(body, "data"), &s);
    if (rc)
        return rc;
    ld_audit_t a;
    double t = mono();
    rc = ld_audit_run(s, &a, stdout, isatty(2) ? stderr : NULL);
    double secs = mono() - t;
    ld_store_close(&s);
    if (rc) {
        fprintf(stderr, "ladderctl: audit: %s\n", ld_strerror(rc));
        return EXIT_USAGE;
    }
    printf("audit: %llu events, %llu facts re-decided, %llu derived events compared, "
           "%llu discrepancies (%.0f events/s)\n",
           (unsigned long long)a.events, (unsigned long long)a.facts,
           (unsigned long long)a.derived, (unsigned long long)a.discrepancies,
           secs > 0 ? (double)a.events / secs : 0.0);
    return a.discrepancies ? EXIT_FOUND : EXIT_OK;
}

int ctl_run_keygen(const ctl_row_t *row, json_t *body)
{
    (void)row;
    const char *name = ctl_body_str(body, "name"), *dir = ctl_body_str(body, "dir");
    char pub[41], sec[41], path[4096];
    if (zmq_curve_keypair(pub, sec) != 0) {
        fprintf(stderr, "ladderctl: this libzmq has no CURVE support\n");
        return EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/%s.key", dir ? dir : ".", name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "ladderctl: %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    fprintf(f, "%s\n", sec);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.pub", dir ? dir : ".", name);
    f = fopen(path, "wx");
    if (!f) {
        fprintf(stderr, "ladderctl: %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    fprintf(f, "%s\n", pub);
    fclose(f);
    printf("%s\n", pub);
    return EXIT_OK;
}

/* ------------------------------------------------------ backup, restore -- */

/* Copies the file src to the new file dst (fsynced); 0 or -1 (said why). */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY), out = -1, rc = -1;
    char buf[1 << 16];
    if (in < 0) {
        fprintf(stderr, "ladderctl: %s: %s\n", src, strerror(errno));
        return -1;
    }
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0640);
    if (out < 0) {
        fprintf(stderr, "ladderctl: %s: %s\n", dst, strerror(errno));
        goto out;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0 || write(out, buf, (size_t)n) != n) {
            fprintf(stderr, "ladderctl: copying %s to %s: %s\n", src, dst, strerror(errno));
            goto out;
        }
    }
    if (fsync(out) != 0) {
        fprintf(stderr, "ladderctl: %s: %s\n", dst, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    close(in);
    if (out >= 0)
        close(out);
    return rc;
}

/* Removes a scratch directory holding an LMDB environment (and the lock
 * file of a store opened there for writing). */
static void remove_env_dir(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock", dir);
    unlink(p);
    rmdir(dir);
}

/* Whether ladderd has dir open (it holds dir/lock's exclusive flock): 1 it
 * does; 0 it does not, and *fd holds a shared flock on dir/lock, which keeps
 * ladderd from starting until *fd is closed (with create, a missing
 * dir/lock is made, so that flock is always taken); a negative errno when
 * that cannot be told (dir/lock cannot be opened), *fd -1. */
static int ladderd_running(const char *dir, int *fd, bool create)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/lock", dir);
    *fd = open(p, O_RDONLY | O_CLOEXEC);
    if (*fd < 0 && errno == ENOENT && create)
        *fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0640);
    if (*fd < 0)
        return -errno;
    if (flock(*fd, LOCK_SH | LOCK_NB) == 0)
        return 0;
    int e = errno;
    close(*fd);
    *fd = -1;
    return e == EWOULDBLOCK ? 1 : -e;
}

/* Offline: the acknowledged records of dir/wal past the copy's head go into
 * the copy in scratch (the store's own recovery, reading dir's log), so the
 * backup holds every acknowledged request. Returns 0 or an exit code. */
static int apply_wal(const char *dir, const char *scratch, uint64_t *applied)
{
    char err[512];
    ld_store_t *s = NULL;
    ld_store_options_t o = {.durability = LD_DURABILITY_FULL, .wal_from = dir};
    if (ld_store_open(&s, scratch, &o, err, sizeof err)) {
        fprintf(stderr, "ladderctl: backup: applying %s/wal to the copy: %s\n", dir, err);
        return EXIT_USAGE;
    }
    *applied = ld_store_wal_applied(s);
    ld_store_close(&s);
    return EXIT_OK;
}

int ctl_run_backup(const ctl_row_t *row, json_t *body)
{
    (void)row;
    const char *dir = ctl_body_str(body, "data"), *to = ctl_body_str(body, "to");
    char scratch[4096], copy[4200], lockf[4200];
    struct stat st;
    if (strlen(dir) > 4000 || strlen(to) > 4000) {
        fprintf(stderr, "ladderctl: backup: path too long\n");
        return EXIT_USAGE;
    }
    snprintf(lockf, sizeof lockf, "%s/data.mdb", dir);
    if (stat(lockf, &st) != 0) {
        fprintf(stderr, "ladderctl: backup: %s is not a ladderd data directory (%s: %s)\n", dir,
                lockf, strerror(errno));
        return EXIT_USAGE;
    }
    if (lstat(to, &st) == 0) {
        fprintf(stderr, "ladderctl: backup: %s exists; a backup never overwrites\n", to);
        return EXIT_USAGE;
    }
    /* the copy goes to a scratch directory beside the target, is verified
     * there as a store, and only then is renamed to the target */
    snprintf(scratch, sizeof scratch, "%s.partial-XXXXXX", to);
    if (!mkdtemp(scratch)) {
        fprintf(stderr, "ladderctl: backup: %s: %s\n", scratch, strerror(errno));
        return EXIT_USAGE;
    }
    snprintf(copy, sizeof copy, "%s/data.mdb", scratch);
    /* with ladderd running its write-ahead log is its own (L writes it to
     * LMDB behind the acks): the copy holds what LMDB held. Without it, the
     * log's acknowledged records past LMDB's head are applied to the copy. */
    int lfd = -1, run = ladderd_running(dir, &lfd, true);
    if (run < 0) {
        /* not knowing whether ladderd runs, neither way of copying is safe */
        fprintf(stderr, "ladderctl: backup: cannot open %s/lock to tell whether ladderd runs "
                "on %s: %s\n", dir, dir, strerror(-run));
        remove_env_dir(scratch);
        return EXIT_USAGE;
    }
    bool online = run == 1;
    MDB_env *env = NULL;
    int rc = mdb_env_create(&env);
    if (!rc)
        rc = mdb_env_set_maxdbs(env, 8);
    if (!rc)
        rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0640);
    int fd = -1;
    if (!rc) {
        fd = open(copy, O_WRONLY | O_CREAT | O_EXCL, 0640);
        if (fd < 0)
            rc = errno;
    }
    double t = mono();
    /* one read transaction: consistent while ladderd keeps writing; free
     * pages are left out (MDB_CP_COMPACT) */
    if (!rc)
        rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
    if (!rc && fsync(fd) != 0)
        rc = errno;
    if (fd >= 0)
        close(fd);
    if (env)
        mdb_env_close(env);
    if (rc) {
        fprintf(stderr, "ladderctl: backup of %s: %s\n", dir, mdb_strerror(rc));
        remove_env_dir(scratch);
        if (lfd >= 0)
            close(lfd);
        return EXIT_USAGE;
    }
    uint64_t applied = 0;
    rc = online ? EXIT_OK : apply_wal(dir, scratch, &applied);
    if (lfd >= 0)
        close(lfd);
    if (rc) {
        remove_env_dir(scratch);
        return rc;
    }
    double secs = mono() - t;
    uint64_t events = 0;
    rc = verify_dir("backup", scratch, &events);
    if (rc) {
        remove_env_dir(scratch);
        return rc;
    }
    if (rename(copy, to) != 0) {
        fprintf(stderr, "ladderctl: backup: %s: %s\n", to, strerror(errno));
        remove_env_dir(scratch);
        return EXIT_USAGE;
    }
    remove_env_dir(scratch);
    stat(to, &st);
    printf("backup: %s -> %s: %llu events, %lld bytes, copied in %.2f s\n", dir, to,
           (unsigned long long)events, (long long)st.st_size, secs);
    if (applied)
        printf("backup: %llu acknowledged record(s) of %s/wal not yet in its LMDB are in the "
               "backup\n", (unsigned long long)applied, dir);
    return EXIT_OK;
}

int ctl_run_restore(const ctl_row_t *row, json_t *body)
{
    (void)row;
    const char *from = ctl_body_str(body, "from"), *dir = ctl_body_str(body, "data");
    char dst[4200], tmp[4300];
    struct stat st;
    if (stat(from, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "ladderctl: restore: %s: %s\n", from,
                errno ? strerror(errno) : "not a file written by backup");
        return EXIT_USAGE;
    }
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        int entries = 0;
        while ((e = readdir(d)))
            entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        closedir(d);
        if (entries) {
            fprintf(stderr, "ladderctl: restore: %s is not empty; restore only into an empty "
                            "or absent data directory (move the old one aside first)\n", dir);
            return EXIT_USAGE;
        }
    } else if (errno != ENOENT || mkdir(dir, 0750) != 0) {
        fprintf(stderr, "ladderctl: restore: %s: %s\n", dir, strerror(errno));
        return EXIT_USAGE;
    }
    snprintf(dst, sizeof dst, "%s/data.mdb", dir);
    snprintf(tmp, sizeof tmp, "%s/data.mdb.restoring", dir);
    if (copy_file(from, tmp) != 0) {
        unlink(tmp);
        return EXIT_USAGE;
    }
    if (rename(tmp, dst) != 0) {
        fprintf(stderr, "ladderctl: restore: %s: %s\n", dst, strerror(errno));
        unlink(tmp);
        return EXIT_USAGE;
    }
    int rc = verify_dir("restore", dir, NULL);
    if (rc) {
        /* leave nothing that ladderd could start from */
        snprintf(tmp, sizeof tmp, "%s/lock.mdb", dir);
        unlink(dst);
        unlink(tmp);
        fprintf(stderr, "ladderctl: restore: %s does not verify; %s left empty\n", from, dir);
    }
    return rc;
}

int ctl_run_rules(const ctl_row_t *row, json_t *body)
{
    (void)row, (void)body;
    ld_rules_t r;
    ld_rules_default(&r);
    char *canon = ld_rules_to_json(&r);
    json_t *j = json_loads(canon, 0, NULL);
    free(canon);
    if (!j)
        return EXIT_USAGE;
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    puts(s);
    free(s);
    json_decref(j);
    return EXIT_OK;
}
