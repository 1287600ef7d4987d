/* Measuring a connected program; see measure.h. */
#define _GNU_SOURCE

#include "measure.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bearssl.h>

/* Environment variables that put code not from the image in a process. */
static const char *const injectors[] = {
    "LD_PRELOAD=", "LD_AUDIT=", "LD_LIBRARY_PATH="};

/*
 * 0 if fd lives on a file system of stored files. procfs and sysfs
 * files call themselves regular and empty, but hold the live state of
 * whoever reads them (in /proc/self, wardend) and can read on without
 * end (/proc/self/pagemap: hundreds of gigabytes).
 */
static int
check_stored(int fd, const char *what, char *why, size_t whylen)
{
    struct statfs fs;

    if (fstatfs(fd, &fs) != 0) {
        snprintf(why, whylen, "%s: %s", what, strerror(errno));
        return -1;
    }
    if (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC ||
        fs.f_type == DEBUGFS_MAGIC || fs.f_type == CGROUP_SUPER_MAGIC ||
        fs.f_type == CGROUP2_SUPER_MAGIC) {
        snprintf(why, whylen,
                 "%s is in /proc, /sys or a like file system: live state, "
                 "not a stored file",
                 what);
        return -1;
    }
    return 0;
}

/*
 * Hashes the open regular file fd; closes it. What is read is capped
 * as well as the size fstat gave: a file can grow while it is read.
 */
static int
hash_fd(int fd, const char *what, uint8_t out[32], char *why, size_t whylen)
{
    br_sha256_context h;
    uint8_t buf[65536];
    struct stat st;
    long total = 0;
    ssize_t n;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "%s is not a regular file", what);
        close(fd);
        return -1;
    }
    if (check_stored(fd, what, why, whylen) != 0) {
        close(fd);
        return -1;
    }
    if (st.st_size > WEMU_MEASURE_FILE_MAX) {
        snprintf(why, whylen, "%s is over %ld bytes", what,
                 WEMU_MEASURE_FILE_MAX);
        close(fd);
        return -1;
    }
    br_sha256_init(&h);
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            snprintf(why, whylen, "reading %s: %s", what, strerror(errno));
            close(fd);
            return -1;
        }
        total += n;
        if (total > WEMU_MEASURE_FILE_MAX) {
            snprintf(why, whylen, "%s grew over %ld bytes while read", what,
                     WEMU_MEASURE_FILE_MAX);
            close(fd);
            return -1;
        }
        br_sha256_update(&h, buf, (size_t)n);
    }
    close(fd);
    br_sha256_out(&h, out);
    return 0;
}

/* The longest entry of injectors, with its '='. */
#define INJECTOR_PREFIX_MAX 16

/*
 * The injector that the environment block env_fd holds at the start of
 * one of its NUL-separated entries, or NULL. The whole block is read,
 * however long: a variable is set wherever it stands, and an
 * environment padded past any fixed-size window would otherwise hide
 * one. Past WEMU_MEASURE_FILE_MAX bytes (the kernel keeps environments
 * far smaller) the block cannot be judged and counts as an injector.
 */
static const char *
find_injector(int env_fd, int *error)
{
    static const char *const too_long = "an environment too long to check";
    char buf[8192], prefix[INJECTOR_PREFIX_MAX];
    size_t pos = 0, j;
    long total = 0;
    ssize_t n, i;

    *error = 0;
    while ((n = read(env_fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            *error = errno;
            return NULL;
        }
        total += n;
        if (total > WEMU_MEASURE_FILE_MAX) {
            return too_long;
        }
        for (i = 0; i < n; i++) {
            if (buf[i] == '\0') {
                pos = 0;
                continue;
            }
            if (pos >= sizeof(prefix)) {
                continue; /* past every injector's name in this entry */
            }
            prefix[pos++] = buf[i];
            for (j = 0; j < sizeof(injectors) / sizeof(injectors[0]); j++) {
                if (strlen(injectors[j]) == pos &&
                    memcmp(prefix, injectors[j], pos) == 0) {
                    return injectors[j];
                }
            }
        }
    }
    return NULL;
}

/*
 * The TracerPid of /proc/PID/task/TID/status: 0 untraced, -1 unknown.
 */
static long
tracer_of(pid_t pid, const char *tid)
{
    char path[320], buf[8192], *line;
    long tracer = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/task/%s/status", (long)pid, tid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    while ((line = fgets(buf, sizeof(buf), f)) != NULL) {
        if (strncmp(line, "TracerPid:", 10) == 0) {
            tracer = strtol(line + 10, NULL, 10);
            break;
        }
    }
    fclose(f);
    return tracer;
}

/*
 * 0 if the process is neither traced nor started with a code injector.
 * ptrace attaches to one thread, and its tracer can write the memory
 * all threads share: every thread is looked at, not only the first.
 */
static int
check_untouched(pid_t pid, char *why, size_t whylen)
{
    char path[320];
    const char *injector;
    struct dirent *d;
    long tracer;
    DIR *tasks;
    int fd, error, seen = 0;

    snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
    tasks = opendir(path);
    if (tasks == NULL) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while ((d = readdir(tasks)) != NULL) {
        if (d->d_name[0] < '0' || d->d_name[0] > '9') {
            continue;
        }
        tracer = tracer_of(pid, d->d_name);
        if (tracer < 0) {
            /* A thread that ended while listed is no longer a risk. */
            snprintf(path, sizeof(path), "/proc/%ld/task/%s", (long)pid,
                     d->d_name);
            if (access(path, F_OK) != 0) {
                continue;
            }
        }
        if (tracer != 0) {
            if (tracer < 0) {
                snprintf(why, whylen,
                         "process %ld: cannot read thread %s's status",
                         (long)pid, d->d_name);
            } else {
                snprintf(why, whylen,
                         "process %ld is being traced (thread %s, by %ld)",
                         (long)pid, d->d_name, tracer);
            }
            closedir(tasks); /* d goes with it */
            return -1;
        }
        seen++;
    }
    closedir(tasks);
    if (seen == 0) {
        snprintf(why, whylen, "process %ld has no threads left", (long)pid);
        return -1;
    }

    snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    injector = find_injector(fd, &error);
    close(fd);
    if (error != 0) {
        snprintf(why, whylen, "reading %s: %s", path, strerror(error));
        return -1;
    }
    if (injector != NULL && injector[strlen(injector) - 1] != '=') {
        snprintf(why, whylen, "process %ld was started with %s", (long)pid,
                 injector);
        return -1;
    }
    if (injector != NULL) {
        snprintf(why, whylen,
                 "process %ld was started with %.*s set: code not in its "
                 "image could run",
                 (long)pid, (int)strlen(injector) - 1, injector);
        return -1;
    }
    return 0;
}

/* The start time (field 22) of /proc/PID/stat, or 0 on failure. */
static unsigned long long
start_time(pid_t pid, char *why, size_t whylen)
{
    char path[64], buf[1024], *p;
    unsigned long long t;
    ssize_t n;
    int fd, field;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        snprintf(why, whylen, "reading %s failed", path);
        return 0;
    }
    buf[n] = '\0';
    /* The name (field 2) may hold anything: fields count from its end. */
    p = strrchr(buf, ')');
    for (field = 2; p != NULL && field < 22; field++) {
        p = strchr(p + 1, ' ');
    }
    if (p == NULL || sscanf(p + 1, "%llu", &t) != 1 || t == 0) {
        snprintf(why, whylen, "%s: no start time", path);
        return 0;
    }
    return t;
}

int
wemu_identify_process(pid_t pid, struct wemu_process_id *id, char *why,
                      size_t whylen)
{
    char path[64];
    struct stat st;

    memset(id, 0, sizeof(*id));
    if (pid <= 0) {
        snprintf(why, whylen, "the peer's process is unknown");
        return -1;
    }
    id->start_time = start_time(pid, why, whylen);
    if (id->start_time == 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
    if (stat(path, &st) != 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        memset(id, 0, sizeof(*id));
        return -1;
    }
    id->exe_dev = st.st_dev;
    id->exe_ino = st.st_ino;
    return 0;
}

/* 0 if pid is still the process that connected. */
static int
check_same_process(pid_t pid, const struct wemu_process_id *connected,
                   char *why, size_t whylen)
{
    unsigned long long now = start_time(pid, why, whylen);

    if (now == 0) {
        return -1;
    }
    if (now != connected->start_time) {
        snprintf(why, whylen,
                 "pid %ld is not the process that connected: that one "
                 "exited and the pid was reused",
                 (long)pid);
        return -1;
    }
    return 0;
}

int
wemu_measure_process(pid_t pid, const struct wemu_process_id *connected,
                     const char *config, size_t config_len,
                     uint8_t image_hash[32], uint8_t config_hash[32], char *why,
                     size_t whylen)
{
    struct stat st;
    char path[64], name[PATH_MAX];
    br_sha256_context h;
    int fd, dir;

    if (whylen > 0) {
        why[0] = '\0';
    }
    if (pid <= 0 || connected == NULL || connected->start_time == 0) {
        snprintf(why, whylen, "the peer's process is unknown");
        return -1;
    }
    if (check_same_process(pid, connected, why, whylen) != 0 ||
        check_untouched(pid, why, whylen) != 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /*
     * The file opened is the one hashed; checked after the open, the
     * process cannot exec or exit-and-be-replaced in between unseen.
     */
    if (fstat(fd, &st) != 0 || st.st_dev != connected->exe_dev ||
        st.st_ino != connected->exe_ino) {
        snprintf(why, whylen,
                 "process %ld runs another program than when it connected "
                 "(it exec'd one since)",
                 (long)pid);
        close(fd);
        return -1;
    }
    if (check_same_process(pid, connected, why, whylen) != 0) {
        close(fd);
        return -1;
    }
    if (hash_fd(fd, "the executable", image_hash, why, whylen) != 0) {
        return -1;
    }

    if (config_len == 0) {
        br_sha256_init(&h);
        br_sha256_out(&h, config_hash);
        return 0;
    }
    if (config_len >= sizeof(name)) {
        snprintf(why, whylen, "configuration name too long");
        return -1;
    }
    memcpy(name, config, config_len);
    name[config_len] = '\0';
    snprintf(path, sizeof(path), "/proc/%ld/cwd", (long)pid);
    dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    close(dir);
    if (fd < 0) {
        snprintf(why, whylen, "configuration %s: %s", name, strerror(errno));
        return -1;
    }
    return hash_fd(fd, "the configuration", config_hash, why, whylen);
}
