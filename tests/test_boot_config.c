/*
 * wardend measures the configuration a program names along with its
 * executable (docs/secure-boot.md). This program signs its own
 * measurement with the firmware key (as `warden sign-firmware` would),
 * then reports it with a configuration file and changes that file.
 *
 *   test_boot_config unix:SOCKET FIRMWARE_KEY WORK_DIR
 */
#define _GNU_SOURCE /* symlink(), mkfifo(), syscall() */

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "tk_firmware.h"
#include "warden.h"
#include "wd_proto.h"

static struct warden_dev dev;

/* A signature for program exe with configuration config (NULL: none). */
static void
sign_program(const char *key, const char *exe, const char *config,
             uint32_t version, struct warden_firmware_sig *sig)
{
    uint8_t m[WARDEN_MEASUREMENT_LEN], file[TK_FIRMWARE_SIG_FILE_MAX];
    struct tk_err e;
    size_t len = 0;

    memset(sig, 0, sizeof(*sig));
    CHECK(tk_measure_files(exe, config, m, &e) == 0);
    CHECK(tk_firmware_sign(key, version, m, file, &len, &e) == 0);
    CHECK(len > 10 && file[9] == len - 10);
    sig->version = version;
    sig->sig_len = len - 10;
    memcpy(sig->sig, file + 10, sig->sig_len);
}

static void
sign_self(const char *key, const char *config, uint32_t version,
          struct warden_firmware_sig *sig)
{
    sign_program(key, "/proc/self/exe", config, version, sig);
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    CHECK(f != NULL);
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

static unsigned
boot(const struct warden_firmware_sig *sig, const char *config)
{
    unsigned status = 0;

    if (warden_boot(&dev, sig, config, NULL) == WARDEN_ERR_OK) {
        return WD_STATUS_OK;
    }
    warden_last_error(&dev, &status);
    return status;
}

/*
 * Names that must neither block nor crash wardend, each refused as
 * NOT_MEASURED (the reason goes to wardend's log). Run in WORK_DIR.
 */
static void
hostile_names(const struct warden_firmware_sig *sig)
{
    FILE *f;

    /* A FIFO with no writer: opening or reading it must not block. */
    CHECK(mkfifo("fifo.conf", 0600) == 0);
    CHECK(boot(sig, "fifo.conf") == WD_STATUS_NOT_MEASURED);
    CHECK(symlink("fifo.conf", "to-fifo.conf") == 0);
    CHECK(boot(sig, "to-fifo.conf") == WD_STATUS_NOT_MEASURED);
    CHECK(symlink("folder.conf", "to-folder.conf") == 0);
    CHECK(boot(sig, "to-folder.conf") == WD_STATUS_NOT_MEASURED);
    CHECK(symlink("/dev/null", "to-null.conf") == 0);
    CHECK(boot(sig, "to-null.conf") == WD_STATUS_NOT_MEASURED);

    /* Over the 16 MB cap (sparse: costs no disk). */
    f = fopen("huge.conf", "w");
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(fseek(f, 17L * 1024 * 1024, SEEK_SET) == 0);
        CHECK(fputc('x', f) != EOF);
        fclose(f);
    }
    CHECK(boot(sig, "huge.conf") == WD_STATUS_NOT_MEASURED);
    CHECK(symlink("huge.conf", "to-huge.conf") == 0);
    CHECK(boot(sig, "to-huge.conf") == WD_STATUS_NOT_MEASURED);

    /*
     * /proc files say they are regular and empty, but hold live state
     * of whichever process reads them ("self" is wardend there), and
     * pagemap reads on for hundreds of gigabytes: once wardend hashed
     * it forever. Not a configuration, however named.
     */
    CHECK(boot(sig, "/proc/self/pagemap") == WD_STATUS_NOT_MEASURED);
    CHECK(symlink("/proc/self/pagemap", "to-pagemap.conf") == 0);
    CHECK(boot(sig, "to-pagemap.conf") == WD_STATUS_NOT_MEASURED);
    CHECK(symlink("/proc/self/environ", "to-environ.conf") == 0);
    CHECK(boot(sig, "to-environ.conf") == WD_STATUS_NOT_MEASURED);
    CHECK(boot(sig, "../../../../../../../../proc/self/status") ==
          WD_STATUS_NOT_MEASURED);

    /* A name that would forge a log line, or drive the terminal. */
    CHECK(boot(sig, "evil\nwardend: forged line\033[2J.conf") ==
          WD_STATUS_NOT_MEASURED);
}

/* 1 once process pid runs program path (waits up to 10 s). */
static int
wait_for_exe(pid_t pid, const char *path)
{
    char link[64], target[PATH_MAX];
    ssize_t n;
    int tries;

    snprintf(link, sizeof(link), "/proc/%ld/exe", (long)pid);
    for (tries = 0; tries < 1000; tries++) {
        n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            if (strcmp(target, path) == 0) {
                return 1;
            }
        }
        usleep(10000);
    }
    return 0;
}

/*
 * An unsigned program connects, forks, and the parent (the pid wardend
 * got from SO_PEERCRED) execs a signed image; the child, still holding
 * the connection, reports that image's signature. Measuring the pid
 * now would find the signed image and unlock the key for the unsigned
 * child: wardend must see that the pid no longer runs what connected.
 */
static void
exec_after_connect(const char *address, const char *key)
{
    static const char signed_image[] = "/usr/bin/sleep";
    struct warden_firmware_sig sig;
    uint32_t status = 0;
    int fds[2], wstatus;
    pid_t connector;

    sign_program(key, signed_image, NULL, 1, &sig);
    CHECK(pipe(fds) == 0);
    connector = fork();
    CHECK(connector >= 0);
    if (connector == 0) {
        struct warden_info info;
        struct warden_dev late;
        pid_t holder;

        close(fds[0]);
        /*
         * One answered request: wardend has accepted the connection and
         * noted what runs under this pid. (A program that execs before
         * the accept wins a race measure.h writes down.)
         */
        if (warden_open(&late, address) != WARDEN_ERR_OK ||
            warden_get_info(&late, &info) != WARDEN_ERR_OK) {
            _exit(1);
        }
        holder = fork();
        if (holder == 0) {
            status = 0xffffffffu;
            if (wait_for_exe(getppid(), signed_image)) {
                dev = late;
                status = boot(&sig, NULL);
            }
            if (write(fds[1], &status, sizeof(status)) != sizeof(status)) {
                _exit(1);
            }
            _exit(0);
        }
        execl(signed_image, "sleep", "10", (char *)NULL);
        _exit(1);
    }
    close(fds[1]);
    CHECK(read(fds[0], &status, sizeof(status)) == sizeof(status));
    close(fds[0]);
    CHECK(status == WD_STATUS_NOT_MEASURED);
    kill(connector, SIGTERM);
    waitpid(connector, &wstatus, 0);
}

static int thread_tid_pipe[2];
static int thread_stop_pipe[2];

/* A second thread that says its id and waits to be let go. */
static void *
idle_thread(void *arg)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    char c;

    (void)arg;
    if (write(thread_tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid) ||
        read(thread_stop_pipe[0], &c, 1) != 1) {
        return NULL;
    }
    return NULL;
}

/*
 * ptrace attaches to one thread, and a tracer of any thread can write
 * the whole process's memory: wardend must look at every thread's
 * TracerPid, not only the main one's.
 */
static void
traced_thread(const struct warden_firmware_sig *sig)
{
    pthread_t thread;
    pid_t tid = 0, tracer;
    int ready[2], wstatus;
    char c = 0;

    CHECK(pipe(thread_tid_pipe) == 0 && pipe(thread_stop_pipe) == 0);
    CHECK(pipe(ready) == 0);
    CHECK(pthread_create(&thread, NULL, idle_thread, NULL) == 0);
    CHECK(read(thread_tid_pipe[0], &tid, sizeof(tid)) == sizeof(tid));
    tracer = fork();
    CHECK(tracer >= 0);
    if (tracer == 0) {
        c = ptrace(PTRACE_SEIZE, tid, NULL, NULL) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1) {
            _exit(1);
        }
        /* Traces until the test closes its end. */
        if (read(thread_stop_pipe[0], &c, 1) < 0) {
            _exit(1);
        }
        _exit(0);
    }
    CHECK(read(ready[0], &c, 1) == 1 && c == 'y');
    CHECK(boot(sig, "app.conf") == WD_STATUS_NOT_MEASURED);
    /* The tracer goes (and with it the trace): measured again. */
    CHECK(write(thread_stop_pipe[1], "xx", 2) == 2);
    CHECK(waitpid(tracer, &wstatus, 0) == tracer);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(boot(sig, "app.conf") == WD_STATUS_OK);
    close(ready[0]);
    close(ready[1]);
    close(thread_tid_pipe[0]);
    close(thread_tid_pipe[1]);
    close(thread_stop_pipe[0]);
    close(thread_stop_pipe[1]);
}

/* 1 once process pid has exited (a zombie counts; waits up to 10 s). */
static int
wait_for_exit(pid_t pid)
{
    char link[64], target[PATH_MAX];
    int tries;

    snprintf(link, sizeof(link), "/proc/%ld/exe", (long)pid);
    for (tries = 0; tries < 1000; tries++) {
        if (readlink(link, target, sizeof(target)) < 0) {
            return 1;
        }
        usleep(10000);
    }
    return 0;
}

/*
 * The program that connected exits; a forked child keeps the connection
 * and reports this program's good signature. Nothing runs under the pid
 * wardend knows (or, after pid reuse, something else): not measured.
 */
static void
connector_exits(const char *address, const struct warden_firmware_sig *sig)
{
    uint32_t status = 0;
    int fds[2], wstatus;
    pid_t connector;

    CHECK(pipe(fds) == 0);
    connector = fork();
    CHECK(connector >= 0);
    if (connector == 0) {
        struct warden_info info;
        struct warden_dev late;

        close(fds[0]);
        if (warden_open(&late, address) != WARDEN_ERR_OK ||
            warden_get_info(&late, &info) != WARDEN_ERR_OK) {
            _exit(1);
        }
        if (fork() == 0) {
            status = 0xffffffffu;
            if (wait_for_exit(getppid())) {
                dev = late;
                status = boot(sig, "app.conf");
            }
            if (write(fds[1], &status, sizeof(status)) != sizeof(status)) {
                _exit(1);
            }
            _exit(0);
        }
        _exit(0);
    }
    close(fds[1]);
    CHECK(read(fds[0], &status, sizeof(status)) == sizeof(status));
    close(fds[0]);
    CHECK(status == WD_STATUS_NOT_MEASURED);
    waitpid(connector, &wstatus, 0);
}

int
main(int argc, char **argv)
{
    struct warden_firmware_sig with_config, without;

    if (argc != 4) {
        fprintf(stderr, "usage: test_boot_config ADDRESS KEY DIR\n");
        return 2;
    }
    /* A wardend stuck on a file would hang this test: fail it instead. */
    alarm(120);
    CHECK(chdir(argv[3]) == 0);
    write_text("app.conf", "server = cloud.example\n");
    sign_self(argv[2], "app.conf", 3, &with_config);
    sign_self(argv[2], NULL, 3, &without);
    CHECK(warden_open(&dev, argv[1]) == WARDEN_ERR_OK);

    /* The file it names, relative to its working folder, is measured. */
    CHECK(boot(&with_config, "app.conf") == WD_STATUS_OK);
    CHECK(boot(&with_config, NULL) == WD_STATUS_BOOT_REFUSED);
    CHECK(boot(&without, NULL) == WD_STATUS_OK);
    CHECK(boot(&without, "app.conf") == WD_STATUS_BOOT_REFUSED);

    /* wardend reads the file itself: a changed file is another one. */
    write_text("app.conf", "server = evil.example\n");
    CHECK(boot(&with_config, "app.conf") == WD_STATUS_BOOT_REFUSED);
    write_text("app.conf", "server = cloud.example\n");
    CHECK(boot(&with_config, "app.conf") == WD_STATUS_OK);

    /* What cannot be measured. */
    CHECK(boot(&with_config, "missing.conf") == WD_STATUS_NOT_MEASURED);
    CHECK(mkdir("folder.conf", 0700) == 0);
    CHECK(boot(&with_config, "folder.conf") == WD_STATUS_NOT_MEASURED);
    CHECK(boot(&with_config, "/dev/zero") == WD_STATUS_NOT_MEASURED);
    hostile_names(&with_config);

    traced_thread(&with_config);

    /* The companion kept serving through all of it. */
    CHECK(boot(&with_config, "app.conf") == WD_STATUS_OK);
    warden_close(&dev);

    exec_after_connect(argv[1], argv[2]);
    connector_exits(argv[1], &with_config);
    return wt_finish("test_boot_config");
}
