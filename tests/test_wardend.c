/*
 * wardend as a process: started in a fresh folder, driven over its UNIX
 * socket with raw frames, stopped with signals, refused bad files.
 *
 * Usage: test_wardend WARDEND CASE. Each case is its own ctest test.
 * Every wait is bounded, and daemons die with this process whatever
 * path it leaves by (atexit, and PR_SET_PDEATHSIG for a kill).
 */
/* mkdtemp(), setenv(), prctl(). */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "wd_proto.h"

/* The longest any single wait may take. */
#define WAIT_MS 10000
#define STORE_SIZE 65536
#define SLOT_SIZE 32768
#define MAX_DAEMONS 8

static const char *wardend;
static char dir[64];
static char sock_path[96];
static char storage_path[128];
static char key_path[128];
static char log_path[128];
static char home_path[128];

static pid_t daemons[MAX_DAEMONS];

/* Checks and plumbing. */

/* Counts a check and tells the caller whether to go on. */
static int
need(int ok, const char *file, int line, const char *what)
{
    wt_checks++;
    if (!ok) {
        wt_fail(file, line, what);
    }
    return ok;
}

#define NEED(cond) need((cond) != 0, __FILE__, __LINE__, #cond)

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        continue;
    }
}

static void
in_dir(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static int
read_file(const char *path, void *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");

    *len = 0;
    if (f == NULL) {
        return -1;
    }
    *len = fread(buf, 1, cap, f);
    fclose(f);
    return 0;
}

static int
write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    int rc;

    if (f == NULL) {
        return -1;
    }
    rc = fwrite(buf, 1, len, f) == len ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

static int
exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

static mode_t
mode_of(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 ? st.st_mode : (mode_t)0;
}

/* The daemon's log so far, terminated. */
static const char *
log_text(void)
{
    static char text[65536];
    size_t len;

    read_file(log_path, text, sizeof(text) - 1, &len);
    text[len] = '\0';
    return text;
}

static int
log_has(const char *needle)
{
    return strstr(log_text(), needle) != NULL;
}

/* Counts the lines of the log that hold needle. */
static int
log_count(const char *needle)
{
    const char *p = log_text();
    int n = 0;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

/* Empties the log, for checks on what one run wrote. */
static void
clear_log(void)
{
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd >= 0) {
        close(fd);
    }
}

/* Waits for a line to show up in the log. */
static int
wait_log(const char *needle)
{
    long long end = now_ms() + WAIT_MS;

    while (!log_has(needle)) {
        if (now_ms() > end) {
            return 0;
        }
        sleep_ms(10);
    }
    return 1;
}

/* Daemons. */

static void
forget_daemon(pid_t pid)
{
    int i;

    for (i = 0; i < MAX_DAEMONS; i++) {
        if (daemons[i] == pid) {
            daemons[i] = 0;
        }
    }
}

/*
 * Runs wardend with args (NULL-terminated, after the program name), its
 * stdout and stderr appended to the log.
 */
static pid_t
spawn(const char *const *args)
{
    char *argv[16];
    pid_t parent = getpid();
    pid_t pid;
    int i, fd;

    argv[0] = (char *)wardend;
    for (i = 0; args[i] != NULL && i < 14; i++) {
        argv[i + 1] = (char *)args[i];
    }
    argv[i + 1] = NULL;

    pid = fork();
    if (pid != 0) {
        for (i = 0; pid > 0 && i < MAX_DAEMONS; i++) {
            if (daemons[i] == 0) {
                daemons[i] = pid;
                break;
            }
        }
        return pid;
    }
    /* The daemon must not outlive a test that was killed. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(127);
    }
    fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
        _exit(127);
    }
    close(fd);
    execv(wardend, argv);
    _exit(127);
}

/* Waits for pid to exit; returns its exit code, or -1 (signal, time). */
static int
wait_exit(pid_t pid)
{
    long long end = now_ms() + WAIT_MS;
    int status;
    pid_t r;

    for (;;) {
        r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            forget_daemon(pid);
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (r < 0 || now_ms() > end) {
            return -1;
        }
        sleep_ms(10);
    }
}

static void
kill_daemons(void)
{
    int i;

    for (i = 0; i < MAX_DAEMONS; i++) {
        if (daemons[i] > 0) {
            kill(daemons[i], SIGKILL);
            waitpid(daemons[i], NULL, 0);
            daemons[i] = 0;
        }
    }
}

static int
sock_connect(const char *path)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Waits until the daemon accepts connections on path, or has exited. */
static int
wait_ready(pid_t pid, const char *path)
{
    long long end = now_ms() + WAIT_MS;
    int fd;

    while (now_ms() < end) {
        fd = sock_connect(path);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            forget_daemon(pid);
            return -1;
        }
        sleep_ms(10);
    }
    return -1;
}

/*
 * Starts wardend with args and waits until it serves on the test
 * socket. The connection that finds it ready is its session 1.
 */
static pid_t
start_ready(const char *const *args)
{
    pid_t pid = spawn(args);

    if (pid < 0 || wait_ready(pid, sock_path) != 0) {
        return -1;
    }
    return pid;
}

/* Starts wardend on the test folder. */
static pid_t
start_default(void)
{
    const char *args[] = {"--state-dir", dir, NULL};

    return start_ready(args);
}

static int
stop(pid_t pid, int sig)
{
    if (kill(pid, sig) != 0) {
        return -1;
    }
    return wait_exit(pid);
}

/* Runs wardend to its end, for starts that must be refused. */
static int
run_to_exit(const char *const *args)
{
    pid_t pid = spawn(args);

    return pid < 0 ? -1 : wait_exit(pid);
}

/* Frames. */

static size_t
make_frame(uint8_t *out, uint8_t cmd, uint16_t seq, const void *payload,
           uint16_t len)
{
    struct wd_header h;

    h.version = WD_PROTO_VERSION;
    h.command = cmd;
    h.flags = 0;
    h.status = 0;
    h.seq = seq;
    h.length = len;
    return wd_frame_encode(&h, payload, out, WD_MAX_FRAME);
}

static int
send_bytes(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    ssize_t n;

    while (len > 0) {
        n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads exactly len bytes by the deadline; -1 on end, error or time. */
static int
recv_exact(int fd, uint8_t *buf, size_t len, long long end)
{
    struct pollfd pfd;
    long long left;
    ssize_t n;

    while (len > 0) {
        left = end - now_ms();
        if (left <= 0) {
            return -1;
        }
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, (int)left) <= 0) {
            continue;
        }
        n = recv(fd, buf, len, 0);
        if (n <= 0) {
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Reads one response frame. Fills *h, copies the payload into payload
 * (WD_MAX_PAYLOAD bytes) and returns 0 if it is well formed.
 */
static int
recv_response(int fd, struct wd_header *h, uint8_t *payload)
{
    uint8_t frame[WD_MAX_FRAME];
    const uint8_t *p;
    long long end = now_ms() + WAIT_MS;
    size_t body;

    memset(h, 0, sizeof(*h));
    if (recv_exact(fd, frame, WD_HEADER_LEN, end) != 0) {
        return -1;
    }
    body = wd_get16(frame + 6);
    if (body > WD_MAX_PAYLOAD ||
        recv_exact(fd, frame + WD_HEADER_LEN, body + WD_CRC_LEN, end) != 0) {
        return -1;
    }
    if (wd_frame_decode(frame, WD_HEADER_LEN + body + WD_CRC_LEN, h, &p) !=
            WD_STATUS_OK ||
        !(h->flags & WD_FLAG_RESPONSE)) {
        return -1;
    }
    if (payload != NULL) {
        memcpy(payload, p, body);
    }
    return 0;
}

/* Sends one request and reads its response; returns its status or -1. */
static int
request(int fd, uint8_t cmd, uint16_t seq, const void *payload, uint16_t len,
        uint8_t *resp, size_t *resp_len)
{
    uint8_t frame[WD_MAX_FRAME];
    struct wd_header h;
    size_t n = make_frame(frame, cmd, seq, payload, len);

    if (n == 0 || send_bytes(fd, frame, n) != 0 ||
        recv_response(fd, &h, resp) != 0 || h.seq != seq || h.command != cmd) {
        return -1;
    }
    if (resp_len != NULL) {
        *resp_len = h.length;
    }
    return h.status;
}

static int
get_info(int fd, uint16_t seq)
{
    uint8_t info[WD_MAX_PAYLOAD];
    size_t len = 0;
    int st = request(fd, WD_CMD_GET_INFO, seq, NULL, 0, info, &len);

    if (st == WD_STATUS_OK &&
        (len < WD_INFO_FIXED_LEN ||
         info[WD_INFO_PROTO_VERSION] != WD_PROTO_VERSION)) {
        return -1;
    }
    return st;
}

/* Sends raw bytes and expects one response with status want. */
static int
expect_status(int fd, const void *bytes, size_t len, int want)
{
    struct wd_header h;

    if (send_bytes(fd, bytes, len) != 0 || recv_response(fd, &h, NULL) != 0) {
        return 0;
    }
    return h.status == want;
}

/* 1 if the daemon closes the connection by the deadline. */
static int
wait_closed(int fd)
{
    uint8_t buf[256];
    long long end = now_ms() + WAIT_MS;
    struct pollfd pfd;
    ssize_t n;

    while (now_ms() < end) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            return 1;
        }
        if (n < 0) {
            return 0;
        }
    }
    return 0;
}

/* A new connection that gets GET_INFO answered. */
static int
fresh_client_works(void)
{
    int fd = sock_connect(sock_path);
    int ok = fd >= 0 && get_info(fd, 0) == WD_STATUS_OK;

    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

/* GET_INFO on fd: how long its OK answer took, in ms, or -1. */
static long long
timed_info(int fd, uint16_t seq)
{
    long long start = now_ms();

    if (get_info(fd, seq) != WD_STATUS_OK) {
        return -1;
    }
    return now_ms() - start;
}

/* Sends one ECHO chunk with MORE; returns the response status or -1. */
static int
echo_chunk(int fd, uint16_t seq, const char *text)
{
    uint8_t frame[WD_MAX_FRAME];
    struct wd_header h;
    size_t n =
        make_frame(frame, WD_CMD_ECHO, seq, text, (uint16_t)strlen(text));

    frame[2] = WD_FLAG_MORE;
    wd_put16(frame + n - 2, wd_crc16(frame, n - 2));
    if (send_bytes(fd, frame, n) != 0 || recv_response(fd, &h, NULL) != 0 ||
        h.seq != seq) {
        return -1;
    }
    return h.status;
}

/*
 * Pipelines requests for 1024 random bytes on fd and never reads the
 * answers, until fd has taken nothing for 300 ms: the daemon has
 * stopped reading it. After each batch, other (unless -1) must get
 * GET_INFO answered within a second. Returns 0 once fd is stuck, -1 if
 * it never gets stuck.
 */
static int
fill_unread(int fd, int other, uint16_t *other_seq)
{
    uint8_t batch[64 * (WD_HEADER_LEN + 2 + WD_CRC_LEN)];
    uint8_t count[2];
    long long end = now_ms() + WAIT_MS, stuck = -1, took;
    uint16_t seq = 0;
    size_t len = 0, off = 0;
    ssize_t n;
    int i, flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        return -1;
    }
    wd_put16(count, WD_MAX_PAYLOAD);
    while (now_ms() < end) {
        if (off == len) {
            for (i = 0, len = 0; i < 64; i++) {
                len +=
                    make_frame(batch + len, WD_CMD_GET_RANDOM, seq++, count, 2);
            }
            off = 0;
        }
        /* The rest of a batch goes first: a cut frame would break step. */
        n = send(fd, batch + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            return -1;
        }
        if (n > 0) {
            off += (size_t)n;
            stuck = -1;
            if (off == len && other >= 0) {
                took = timed_info(other, (*other_seq)++);
                if (!NEED(took >= 0 && took < 1000)) {
                    fprintf(stderr, "  GET_INFO took %lld ms\n", took);
                }
            }
            continue;
        }
        if (stuck < 0) {
            stuck = now_ms();
        } else if (now_ms() - stuck >= 300) {
            return 0;
        }
        sleep_ms(20);
    }
    return -1;
}

/* Cases: the bus. */

static void
case_info_random(void)
{
    uint8_t resp[WD_MAX_PAYLOAD], resp2[WD_MAX_PAYLOAD];
    uint8_t want[WD_MAX_PAYLOAD], count[2];
    size_t len = 0, len2 = 0;
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    CHECK(request(fd, WD_CMD_GET_INFO, 0, NULL, 0, resp, &len) == WD_STATUS_OK);
    CHECK(len >= WD_INFO_FIXED_LEN);
    CHECK(resp[WD_INFO_PROTO_VERSION] == WD_PROTO_VERSION);
    CHECK(resp[WD_INFO_LIFECYCLE] == WD_LIFECYCLE_MANUFACTURING);
    CHECK(resp[WD_INFO_HEALTH] == 0);
    CHECK(wd_get32(resp + WD_INFO_STORE_CAP) > 0);
    CHECK(wd_get16(resp + WD_INFO_RECORDS) >= 1);

    wd_put16(count, 32);
    CHECK(request(fd, WD_CMD_GET_RANDOM, 1, count, 2, resp, &len) ==
          WD_STATUS_OK);
    CHECK(len == 32);
    CHECK(request(fd, WD_CMD_GET_RANDOM, 2, count, 2, resp2, &len2) ==
          WD_STATUS_OK);
    CHECK(len2 == 32);
    CHECK(memcmp(resp, resp2, 32) != 0);

    wd_put16(count, WD_MAX_PAYLOAD);
    CHECK(request(fd, WD_CMD_GET_RANDOM, 3, count, 2, resp, &len) ==
          WD_STATUS_OK);
    CHECK(len == WD_MAX_PAYLOAD);

    /* The largest frame there is, both ways. */
    memset(want, 0xa5, sizeof(want));
    CHECK(request(fd, WD_CMD_ECHO, 4, want, WD_MAX_PAYLOAD, resp, &len) ==
          WD_STATUS_OK);
    CHECK(len == WD_MAX_PAYLOAD);
    CHECK_MEM(resp, want, WD_MAX_PAYLOAD);
    close(fd);

    CHECK(wait_log("session 2 closed: 5 requests, 0 errors"));
    CHECK(log_has("session 2 open: pid "));
}

static void
case_bad_checksum(void)
{
    uint8_t frame[WD_MAX_FRAME];
    size_t n;
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    n = make_frame(frame, WD_CMD_GET_INFO, 0, NULL, 0);
    frame[n - 1] ^= 0x01;
    CHECK(expect_status(fd, frame, n, WD_STATUS_BAD_CHECKSUM));
    /* A bad frame is not a request: the sequence has not moved. */
    CHECK(get_info(fd, 0) == WD_STATUS_OK);

    n = make_frame(frame, WD_CMD_ECHO, 1, "abc", 3);
    frame[WD_HEADER_LEN] ^= 0x20;
    CHECK(expect_status(fd, frame, n, WD_STATUS_BAD_CHECKSUM));
    CHECK(get_info(fd, 1) == WD_STATUS_OK);
    close(fd);

    CHECK(wait_log("session 2 closed: 4 requests, 2 errors"));
    CHECK(log_has("session 2: request seq 0 (GET_INFO): frame checksum "
                  "mismatch"));
}

static void
case_bad_flags(void)
{
    uint8_t frame[WD_MAX_FRAME];
    size_t n;
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    /* A response sent as a request, then a flag nobody defined. */
    n = make_frame(frame, WD_CMD_GET_INFO, 0, NULL, 0);
    frame[2] = WD_FLAG_RESPONSE;
    wd_put16(frame + n - 2, wd_crc16(frame, n - 2));
    CHECK(expect_status(fd, frame, n, WD_STATUS_BAD_FLAGS));
    frame[2] = 0x80;
    wd_put16(frame + n - 2, wd_crc16(frame, n - 2));
    CHECK(expect_status(fd, frame, n, WD_STATUS_BAD_FLAGS));
    CHECK(get_info(fd, 0) == WD_STATUS_OK);
    close(fd);
}

static void
case_bad_length(void)
{
    uint8_t frame[WD_HEADER_LEN + 16];
    struct wd_header h;
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    CHECK(get_info(fd, 0) == WD_STATUS_OK);
    memset(frame, 0, sizeof(frame));
    frame[0] = WD_PROTO_VERSION;
    frame[1] = WD_CMD_ECHO;
    wd_put16(frame + 4, 1);
    wd_put16(frame + 6, WD_MAX_PAYLOAD + 1);
    CHECK(send_bytes(fd, frame, sizeof(frame)) == 0);
    CHECK(recv_response(fd, &h, NULL) == 0);
    CHECK(h.status == WD_STATUS_BAD_LENGTH);
    CHECK(h.seq == 1);
    CHECK(wait_closed(fd));
    close(fd);

    CHECK(fresh_client_works());
    CHECK(log_has("payload length over the maximum; closing"));
}

static void
case_bad_version(void)
{
    uint8_t frame[WD_MAX_FRAME];
    size_t n;
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    n = make_frame(frame, WD_CMD_GET_INFO, 0, NULL, 0);
    frame[0] = WD_PROTO_VERSION + 1;
    wd_put16(frame + n - 2, wd_crc16(frame, n - 2));
    CHECK(expect_status(fd, frame, n, WD_STATUS_BAD_VERSION));
    CHECK(wait_closed(fd));
    close(fd);
    CHECK(fresh_client_works());
}

/* Something that is not the protocol at all: answered, then cut off. */
static void
case_garbage(void)
{
    static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    CHECK(expect_status(fd, http, sizeof(http) - 1, WD_STATUS_BAD_VERSION));
    CHECK(wait_closed(fd));
    close(fd);

    /* Garbage thrown in by a peer that does not wait for the answer. */
    if (NEED((fd = sock_connect(sock_path)) >= 0)) {
        CHECK(send_bytes(fd, "\xff\xfe\x00\x01garbage", 11) == 0);
        close(fd);
    }
    CHECK(fresh_client_works());
    CHECK(wait_log("starting 0x47: unsupported protocol version; closing"));
}

static void
case_unknown_command(void)
{
    uint8_t frame[WD_MAX_FRAME];
    size_t n;
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    n = make_frame(frame, 0x7f, 0, NULL, 0);
    CHECK(expect_status(fd, frame, n, WD_STATUS_UNKNOWN_COMMAND));
    n = make_frame(frame, 0xff, 1, "x", 1);
    CHECK(expect_status(fd, frame, n, WD_STATUS_UNKNOWN_COMMAND));
    n = make_frame(frame, 0x00, 2, NULL, 0);
    CHECK(expect_status(fd, frame, n, WD_STATUS_UNKNOWN_COMMAND));
    /* Well-formed requests, so they took their sequence numbers. */
    CHECK(get_info(fd, 3) == WD_STATUS_OK);
    close(fd);
    CHECK(wait_log("session 2 closed: 4 requests, 3 errors"));
    CHECK(log_has("request seq 0 (UNKNOWN): unknown command"));
}

static void
case_bad_sequence(void)
{
    uint8_t frame[WD_MAX_FRAME];
    size_t n;
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    n = make_frame(frame, WD_CMD_GET_INFO, 5, NULL, 0);
    CHECK(expect_status(fd, frame, n, WD_STATUS_BAD_SEQUENCE));
    CHECK(get_info(fd, 0) == WD_STATUS_OK);
    /* A replay of the last request. */
    n = make_frame(frame, WD_CMD_GET_INFO, 0, NULL, 0);
    CHECK(expect_status(fd, frame, n, WD_STATUS_BAD_SEQUENCE));
    CHECK(get_info(fd, 1) == WD_STATUS_OK);
    close(fd);
    CHECK(wait_log("request seq 5 (GET_INFO): request out of sequence"));
}

/*
 * Peers that hang up mid-frame, send garbage, or sit on half a frame do
 * not stop the daemon serving a session that was open all along, nor a
 * new one.
 */
static void
case_broken_peers(void)
{
    uint8_t frame[WD_MAX_FRAME];
    size_t n;
    int held, idle, fd;

    if (!NEED(start_default() > 0) ||
        !NEED((held = sock_connect(sock_path)) >= 0)) {
        return;
    }
    CHECK(get_info(held, 0) == WD_STATUS_OK);
    n = make_frame(frame, WD_CMD_ECHO, 0, "hello", 5);

    if (NEED((fd = sock_connect(sock_path)) >= 0)) {
        CHECK(send_bytes(fd, frame, 5) == 0);
        close(fd);
    }
    CHECK(wait_log("session 3: closed mid-frame after 5 bytes"));

    if (NEED((fd = sock_connect(sock_path)) >= 0)) {
        CHECK(send_bytes(fd, "\x01\x02\x00\x00\x00\x00\xff\xff", 8) == 0);
        close(fd);
    }
    CHECK(wait_log("session 4 closed"));

    /* Half a frame, kept open while others are served. */
    idle = sock_connect(sock_path);
    CHECK(idle >= 0);
    CHECK(idle >= 0 && send_bytes(idle, frame, n - 3) == 0);

    CHECK(get_info(held, 1) == WD_STATUS_OK);
    CHECK(fresh_client_works());
    CHECK(get_info(held, 2) == WD_STATUS_OK);

    /* The idle one can still finish its frame. */
    CHECK(idle >= 0 && send_bytes(idle, frame + n - 3, 3) == 0);
    CHECK(idle >= 0 && recv_response(idle, &(struct wd_header){0}, NULL) == 0);
    close(idle);
    close(held);
}

/* Half a frame and then silence: the session is dropped after 5 s. */
static void
case_stalled_frame(void)
{
    long long start;
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    start = now_ms();
    CHECK(send_bytes(fd, "\x01\x02\x00", 3) == 0);
    CHECK(wait_closed(fd));
    CHECK(now_ms() - start >= 4500);
    close(fd);
    CHECK(wait_log("session 2: frame incomplete after 5 s (3 bytes); "
                   "closing"));
    CHECK(fresh_client_works());
}

/*
 * A session that starts a chunked message holds the companion's one
 * message buffer; left unfinished, it is closed so others get served.
 */
static void
case_held_message(void)
{
    uint8_t frame[WD_MAX_FRAME];
    long long start;
    size_t n;
    int holder, other;

    if (!NEED(start_default() > 0) ||
        !NEED((holder = sock_connect(sock_path)) >= 0) ||
        !NEED((other = sock_connect(sock_path)) >= 0)) {
        return;
    }
    n = make_frame(frame, WD_CMD_ECHO, 0, "first", 5);
    frame[2] = WD_FLAG_MORE;
    wd_put16(frame + n - 2, wd_crc16(frame, n - 2));
    start = now_ms();
    CHECK(expect_status(holder, frame, n, WD_STATUS_OK));
    CHECK(get_info(other, 0) == WD_STATUS_BUSY);

    CHECK(wait_closed(holder));
    CHECK(now_ms() - start >= 4500);
    CHECK(wait_log("session 2: chunked message unfinished after 5 s"));
    CHECK(get_info(other, 1) == WD_STATUS_OK);
    close(holder);
    close(other);
}

/*
 * A session that let go of the buffers while another waited on BUSY
 * must not take them straight back: its next frame waits its turn.
 */
static void
case_hog_yields(void)
{
    uint8_t frame[WD_MAX_FRAME];
    struct wd_header h;
    uint8_t resp[WD_MAX_PAYLOAD];
    size_t n;
    int hog, other;

    if (!NEED(start_default() > 0) ||
        !NEED((hog = sock_connect(sock_path)) >= 0) ||
        !NEED((other = sock_connect(sock_path)) >= 0)) {
        return;
    }
    n = make_frame(frame, WD_CMD_ECHO, 0, "first", 5);
    frame[2] = WD_FLAG_MORE;
    wd_put16(frame + n - 2, wd_crc16(frame, n - 2));
    CHECK(expect_status(hog, frame, n, WD_STATUS_OK));
    CHECK(get_info(other, 0) == WD_STATUS_BUSY);
    n = make_frame(frame, WD_CMD_ECHO, 1, "last", 4);
    CHECK(expect_status(hog, frame, n, WD_STATUS_OK));

    /* The hog starts its next long message at once; the other asks next. */
    n = make_frame(frame, WD_CMD_ECHO, 2, "again", 5);
    frame[2] = WD_FLAG_MORE;
    wd_put16(frame + n - 2, wd_crc16(frame, n - 2));
    CHECK(send_bytes(hog, frame, n) == 0);
    sleep_ms(20);
    CHECK(get_info(other, 1) == WD_STATUS_OK);
    /* Its turn comes after the other's. */
    CHECK(recv_response(hog, &h, resp) == 0);
    CHECK(h.seq == 2 && h.status == WD_STATUS_OK);
    close(hog);
    close(other);
}

/* Frames cut into pieces and frames sent back to back. */
static void
case_split_and_pipelined(void)
{
    uint8_t frames[3 * WD_MAX_FRAME];
    struct wd_header h;
    uint8_t resp[WD_MAX_PAYLOAD];
    size_t n, a, b, i;
    int fd;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    /* One byte at a time. */
    n = make_frame(frames, WD_CMD_ECHO, 0, "split", 5);
    for (i = 0; i < n; i++) {
        CHECK(send_bytes(fd, frames + i, 1) == 0);
        sleep_ms(2);
    }
    CHECK(recv_response(fd, &h, resp) == 0);
    CHECK(h.status == WD_STATUS_OK && h.length == 5);
    CHECK_MEM(resp, "split", 5);

    /* Three in one write: three answers, in order. */
    a = make_frame(frames, WD_CMD_ECHO, 1, "one", 3);
    b = make_frame(frames + a, WD_CMD_GET_INFO, 2, NULL, 0);
    n = make_frame(frames + a + b, WD_CMD_ECHO, 3, "three", 5);
    CHECK(send_bytes(fd, frames, a + b + n) == 0);
    for (i = 1; i <= 3; i++) {
        CHECK(recv_response(fd, &h, resp) == 0);
        CHECK(h.seq == i && h.status == WD_STATUS_OK);
    }
    CHECK_MEM(resp, "three", 5);

    /* A frame and the start of the next, then the rest. */
    a = make_frame(frames, WD_CMD_ECHO, 4, "four", 4);
    b = make_frame(frames + a, WD_CMD_ECHO, 5, "five", 4);
    CHECK(send_bytes(fd, frames, a + 6) == 0);
    CHECK(recv_response(fd, &h, resp) == 0);
    CHECK(h.seq == 4);
    CHECK(send_bytes(fd, frames + a + 6, b - 6) == 0);
    CHECK(recv_response(fd, &h, resp) == 0);
    CHECK(h.seq == 5 && h.length == 4);
    CHECK_MEM(resp, "five", 4);
    close(fd);
}

/*
 * Sixteen sessions at once; a seventeenth takes the slot of the one that
 * has gone longest without a request.
 */
static void
case_session_limit(void)
{
    int fds[16];
    int i, extra;

    if (!NEED(start_default() > 0)) {
        return;
    }
    for (i = 0; i < 16; i++) {
        fds[i] = sock_connect(sock_path);
        CHECK(fds[i] >= 0 && get_info(fds[i], 0) == WD_STATUS_OK);
    }
    /* Session 7 (fds[5]) falls behind all the others. */
    sleep_ms(20);
    for (i = 0; i < 16; i++) {
        if (i != 5) {
            CHECK(fds[i] >= 0 && get_info(fds[i], 1) == WD_STATUS_OK);
        }
    }
    extra = sock_connect(sock_path);
    CHECK(extra >= 0 && get_info(extra, 0) == WD_STATUS_OK);
    CHECK(fds[5] >= 0 && wait_closed(fds[5]));
    CHECK(wait_log("all 16 sessions in use: closing session 7, idle "));
    CHECK(log_has(" s, for a new connection"));
    CHECK(log_has("session 7 closed: 1 requests, 0 errors"));
    for (i = 0; i < 16; i++) {
        if (i != 5) {
            CHECK(fds[i] >= 0 && get_info(fds[i], 2) == WD_STATUS_OK);
        }
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    if (extra >= 0) {
        close(extra);
    }
}

/*
 * A peer that pipelines requests and never reads the answers fills its
 * own socket, not the daemon's time: another session is answered within
 * a second all along, and the reader is dropped once an answer has
 * waited 5 s for it.
 */
static void
case_slow_reader(void)
{
    long long full, took, worst = 0;
    uint16_t seq = 0;
    int slow, other;

    if (!NEED(start_default() > 0) ||
        !NEED((slow = sock_connect(sock_path)) >= 0) ||
        !NEED(wait_log("session 2 open")) ||
        !NEED((other = sock_connect(sock_path)) >= 0)) {
        return;
    }
    CHECK(get_info(other, seq++) == WD_STATUS_OK);
    CHECK(fill_unread(slow, other, &seq) == 0);

    full = now_ms();
    while (now_ms() - full < 6500) {
        took = timed_info(other, seq++);
        CHECK(took >= 0);
        if (took > worst) {
            worst = took;
        }
        sleep_ms(100);
    }
    if (!NEED(worst < 1000)) {
        fprintf(stderr, "  GET_INFO took up to %lld ms\n", worst);
    }
    CHECK(wait_log("session 2: response not read for 5 s; closing"));
    CHECK(wait_closed(slow));
    CHECK(get_info(other, seq++) == WD_STATUS_OK);
    close(slow);
    close(other);
}

/*
 * A session that sends a chunk every second, never finishing its
 * message, holds the companion's buffers 5 s from its first chunk at
 * most: then it is closed and another session gets GET_INFO answered.
 */
static void
case_hold_limit(void)
{
    long long start, next, freed = -1;
    uint16_t hseq = 0, oseq = 0;
    int holder, other, st, holding = 1;

    if (!NEED(start_default() > 0) ||
        !NEED((holder = sock_connect(sock_path)) >= 0) ||
        !NEED(wait_log("session 2 open")) ||
        !NEED((other = sock_connect(sock_path)) >= 0)) {
        return;
    }
    start = now_ms();
    CHECK(echo_chunk(holder, hseq++, "x") == WD_STATUS_OK);
    next = start + 1000;
    while (now_ms() - start < WAIT_MS) {
        if (holding && now_ms() >= next) {
            st = echo_chunk(holder, hseq++, "x");
            /* Around the limit, the chunk may find the session gone. */
            if (now_ms() - start < 4500) {
                CHECK(st == WD_STATUS_OK);
            }
            holding = st == WD_STATUS_OK;
            next += 1000;
        }
        st = get_info(other, oseq++);
        if (st == WD_STATUS_OK) {
            freed = now_ms() - start;
            break;
        }
        CHECK(st == WD_STATUS_BUSY);
        sleep_ms(100);
    }
    if (!NEED(freed >= 4500 && freed < 6500)) {
        fprintf(stderr, "  GET_INFO answered after %lld ms\n", freed);
    }
    CHECK(wait_closed(holder));
    CHECK(wait_log("session 2: chunked message unfinished after 5 s, "
                   "holding the companion's buffer; closing"));
    close(holder);
    close(other);
}

/*
 * A frame whose last bytes came while the daemon was busy elsewhere is
 * answered, not closed as incomplete: the daemon reads before it judges.
 * Busy first with a peer that reads nothing, then stopped outright in
 * the middle of a burst of frames from a third session.
 */
static void
case_late_frame(void)
{
    uint8_t frame[WD_MAX_FRAME], burst[100 * (WD_HEADER_LEN + 1 + WD_CRC_LEN)];
    uint8_t resp[WD_MAX_PAYLOAD];
    struct wd_header h;
    long long start;
    size_t n, len = 0;
    pid_t pid;
    int late, slow, flood, i;

    if (!NEED((pid = start_default()) > 0) ||
        !NEED((late = sock_connect(sock_path)) >= 0) ||
        !NEED((slow = sock_connect(sock_path)) >= 0) ||
        !NEED((flood = sock_connect(sock_path)) >= 0)) {
        return;
    }
    n = make_frame(frame, WD_CMD_ECHO, 0, "late", 4);
    CHECK(send_bytes(late, frame, 5) == 0);
    sleep_ms(200);
    CHECK(fill_unread(slow, -1, NULL) == 0);
    CHECK(send_bytes(late, frame + 5, n - 5) == 0);
    start = now_ms();
    CHECK(recv_response(late, &h, resp) == 0);
    CHECK(h.seq == 0 && h.status == WD_STATUS_OK && h.length == 4);
    CHECK(now_ms() - start < 1000);

    for (i = 0; i < 100; i++) {
        len += make_frame(burst + len, WD_CMD_ECHO, (uint16_t)i, "f", 1);
    }
    n = make_frame(frame, WD_CMD_ECHO, 1, "stopped", 7);
    CHECK(send_bytes(late, frame, 5) == 0);
    sleep_ms(200);
    CHECK(send_bytes(flood, burst, len) == 0);
    CHECK(kill(pid, SIGSTOP) == 0);
    CHECK(send_bytes(late, frame + 5, n - 5) == 0);
    sleep_ms(5500);
    CHECK(kill(pid, SIGCONT) == 0);
    start = now_ms();
    CHECK(recv_response(late, &h, resp) == 0);
    CHECK(h.seq == 1 && h.status == WD_STATUS_OK && h.length == 7);
    CHECK(now_ms() - start < 1000);
    for (i = 0; i < 100; i++) {
        CHECK(recv_response(flood, &h, NULL) == 0 && h.seq == i &&
              h.status == WD_STATUS_OK);
    }
    CHECK(get_info(late, 2) == WD_STATUS_OK);
    CHECK(!log_has("frame incomplete"));
    close(late);
    close(slow);
    close(flood);
}

/*
 * With --idle-timeout 1, a session without a request for a second is
 * closed; one that keeps asking stays.
 */
static void
case_idle_timeout(void)
{
    const char *args[] = {"--state-dir", dir, "--idle-timeout", "1", NULL};
    struct pollfd pfd;
    long long start, closed = -1;
    uint16_t seq = 0;
    uint8_t byte;
    int idle, busy;

    if (!NEED(start_ready(args) > 0) ||
        !NEED((idle = sock_connect(sock_path)) >= 0) ||
        !NEED(wait_log("session 2 open")) ||
        !NEED((busy = sock_connect(sock_path)) >= 0)) {
        return;
    }
    CHECK(get_info(idle, 0) == WD_STATUS_OK);
    start = now_ms();
    while (now_ms() - start < 2500) {
        CHECK(get_info(busy, seq++) == WD_STATUS_OK);
        pfd.fd = idle;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (closed < 0 && poll(&pfd, 1, 0) == 1) {
            CHECK(recv(idle, &byte, 1, 0) == 0);
            closed = now_ms() - start;
        }
        sleep_ms(50);
    }
    if (!NEED(closed >= 900 && closed < 2500)) {
        fprintf(stderr, "  idle session closed after %lld ms\n", closed);
    }
    CHECK(log_has("session 2: no request for 1 s; closing"));
    CHECK(!log_has("session 3: no request"));
    CHECK(get_info(busy, seq++) == WD_STATUS_OK);
    close(idle);
    close(busy);
}

/*
 * A storm of refused requests: the first ten of the session are logged,
 * the rest counted in one line when it closes.
 */
static void
case_error_flood(void)
{
    uint8_t frames[50 * (WD_HEADER_LEN + WD_CRC_LEN)];
    struct wd_header h;
    size_t len = 0;
    int fd, i;
    const char *more, *closed;

    if (!NEED(start_default() > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    for (i = 0; i < 50; i++) {
        len += make_frame(frames + len, 0x7f, (uint16_t)i, NULL, 0);
    }
    CHECK(send_bytes(fd, frames, len) == 0);
    for (i = 0; i < 50; i++) {
        CHECK(recv_response(fd, &h, NULL) == 0 &&
              h.status == WD_STATUS_UNKNOWN_COMMAND);
    }
    close(fd);
    CHECK(wait_log("session 2 closed: 50 requests, 50 errors"));
    CHECK(log_count("session 2: request seq") == 10);
    CHECK(log_has("session 2: request seq 9 (UNKNOWN)"));
    CHECK(!log_has("session 2: request seq 10 "));
    more = strstr(log_text(), "session 2: 40 more errors\n");
    closed = strstr(log_text(), "session 2 closed");
    CHECK(more != NULL && closed != NULL && more < closed);
}

/* Cases: life of the daemon. */

static void
case_sigterm(void)
{
    pid_t pid;
    int fd, idle;

    if (!NEED((pid = start_default()) > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    CHECK(get_info(fd, 0) == WD_STATUS_OK);
    idle = sock_connect(sock_path);
    CHECK(idle >= 0 && send_bytes(idle, "\x01\x02", 2) == 0);
    CHECK(wait_log("session 3 open"));

    CHECK(stop(pid, SIGTERM) == 0);
    CHECK(!exists(sock_path));
    CHECK(log_has("shutting down on SIGTERM"));
    CHECK(log_has("session 2 closed: 1 requests, 0 errors"));
    CHECK(wait_closed(fd));
    close(fd);
    if (idle >= 0) {
        close(idle);
    }

    /* The storage it left opens again, as it was. */
    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    CHECK(fresh_client_works());
    CHECK(stop(pid, SIGINT) == 0);
    CHECK(log_has("shutting down on SIGINT"));
    CHECK(!exists(sock_path));
    /* Made once, at the first start only. */
    CHECK(strstr(strstr(log_text(), "made new storage") + 1,
                 "made new storage") == NULL);
}

/* Files made by a first start under WARDEN_HOME: owner-only. */
static void
case_file_modes(void)
{
    char home[128], sock[160], key[160], storage[160];
    const char *args[] = {NULL};
    pid_t pid;

    /* Only the last folder is made: its parent must be there. */
    in_dir(home, sizeof(home), "home");
    CHECK(mkdir(home, 0755) == 0);
    in_dir(home, sizeof(home), "home/state");
    snprintf(sock, sizeof(sock), "%s/wardend.sock", home);
    snprintf(key, sizeof(key), "%s/device-key", home);
    snprintf(storage, sizeof(storage), "%s/storage.bin", home);
    setenv("WARDEN_HOME", home, 1);
    umask(022);
    pid = spawn(args);
    if (!NEED(pid > 0 && wait_ready(pid, sock) == 0)) {
        return;
    }
    CHECK(S_ISSOCK(mode_of(sock)));
    CHECK((mode_of(sock) & 07777) == 0600);
    CHECK((mode_of(key) & 07777) == 0600);
    CHECK((mode_of(storage) & 07777) == 0600);
    CHECK(S_ISDIR(mode_of(home)));
    CHECK((mode_of(home) & 07777) == 0700);
    CHECK(stop(pid, SIGTERM) == 0);
    unsetenv("WARDEN_HOME");
}

/* Flips a byte in both slots, keeping a copy of what it wrote. */
static int
corrupt_storage(uint8_t *image)
{
    size_t len;

    if (read_file(storage_path, image, STORE_SIZE, &len) != 0 ||
        len != STORE_SIZE) {
        return -1;
    }
    image[40] ^= 0x55;
    image[SLOT_SIZE + 40] ^= 0x55;
    return write_file(storage_path, image, STORE_SIZE);
}

static void
case_corrupt_storage(void)
{
    static uint8_t before[STORE_SIZE], after[STORE_SIZE];
    const char *args[] = {"--state-dir", dir, NULL};
    size_t len;
    pid_t pid;

    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    CHECK(fresh_client_works());
    CHECK(stop(pid, SIGTERM) == 0);
    if (!NEED(corrupt_storage(before) == 0)) {
        return;
    }

    CHECK(run_to_exit(args) == 1);
    CHECK(log_has("storage is corrupted; refusing to start"));
    CHECK(log_has("the file is left as it is; move it away to start a new "
                  "device (its keys and certificates are lost)"));
    CHECK(read_file(storage_path, after, sizeof(after), &len) == 0);
    CHECK(len == STORE_SIZE);
    CHECK(memcmp(before, after, STORE_SIZE) == 0);
    CHECK(!exists(sock_path));
}

/* Storage with another device's key is told apart, and stays. */
static void
case_wrong_key(void)
{
    static uint8_t before[STORE_SIZE], after[STORE_SIZE];
    const char *args[] = {"--state-dir", dir, NULL};
    uint8_t key[32];
    size_t len;
    pid_t pid;

    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    CHECK(stop(pid, SIGTERM) == 0);
    CHECK(read_file(storage_path, before, sizeof(before), &len) == 0);
    CHECK(read_file(key_path, key, sizeof(key), &len) == 0);
    key[0] ^= 1;
    CHECK(write_file(key_path, key, sizeof(key)) == 0);

    CHECK(run_to_exit(args) == 1);
    CHECK(log_has("storage was written under another device key"));
    CHECK(log_has("restore the key file that was used with this storage, "
                  "or move the storage away to start a new device"));
    CHECK(!log_has("storage is corrupted"));
    CHECK(read_file(storage_path, after, sizeof(after), &len) == 0);
    CHECK(memcmp(before, after, STORE_SIZE) == 0);
}

static void
case_key_missing(void)
{
    static uint8_t before[STORE_SIZE], after[STORE_SIZE];
    const char *args[] = {"--state-dir", dir, NULL};
    size_t len;
    pid_t pid;

    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    CHECK(stop(pid, SIGTERM) == 0);
    CHECK(read_file(storage_path, before, sizeof(before), &len) == 0);
    CHECK(unlink(key_path) == 0);

    CHECK(run_to_exit(args) == 1);
    CHECK(log_has("missing but storage"));
    CHECK(log_has("cannot be read without the key it was written with"));
    CHECK(!exists(key_path));
    CHECK(read_file(storage_path, after, sizeof(after), &len) == 0);
    CHECK(memcmp(before, after, STORE_SIZE) == 0);
}

static void
case_key_perms(void)
{
    const char *args[] = {"--state-dir", dir, NULL};
    pid_t pid;

    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    CHECK(stop(pid, SIGTERM) == 0);
    CHECK(chmod(key_path, 0644) == 0);
    CHECK(run_to_exit(args) == 1);
    CHECK(log_has("has mode 0644"));
    CHECK(!exists(sock_path));
}

static void
case_wrong_size_storage(void)
{
    const char *args[] = {"--state-dir", dir, NULL};
    uint8_t junk[1000];
    size_t len;

    memset(junk, 0xff, sizeof(junk));
    CHECK(write_file(storage_path, junk, sizeof(junk)) == 0);
    CHECK(run_to_exit(args) == 1);
    CHECK(log_has("1000 bytes, expected 65536"));
    CHECK(read_file(storage_path, junk, sizeof(junk), &len) == 0);
    CHECK(len == sizeof(junk));
}

/* One socket, one storage: a second daemon on either is refused. */
static void
case_second_daemon(void)
{
    char other_storage[160], other_key[160], other_sock[160];
    const char *same_sock[] = {"--storage", other_storage, "--key-file",
                               other_key,   "--socket",    sock_path,
                               NULL};
    const char *same_storage[] = {"--state-dir", dir, "--socket", other_sock,
                                  NULL};
    pid_t pid;
    int fd;

    in_dir(other_storage, sizeof(other_storage), "other.bin");
    in_dir(other_key, sizeof(other_key), "other.key");
    in_dir(other_sock, sizeof(other_sock), "other.sock");
    if (!NEED((pid = start_default()) > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }

    CHECK(run_to_exit(same_sock) == 1);
    CHECK(log_has("another wardend is serving"));
    /* Refused before it made anything. */
    CHECK(!exists(other_storage));
    CHECK(!exists(other_key));

    CHECK(run_to_exit(same_storage) == 1);
    CHECK(log_has("is in use by another process"));
    CHECK(!exists(other_sock));

    /* The first one never noticed. */
    CHECK(get_info(fd, 0) == WD_STATUS_OK);
    CHECK(exists(sock_path));
    close(fd);
    CHECK(stop(pid, SIGTERM) == 0);
}

/* A socket left by a daemon that was killed is replaced; a file is not. */
static void
case_stale_socket(void)
{
    struct sockaddr_un sa;
    const char *args[] = {"--state-dir", dir, NULL};
    pid_t pid;
    int fd;

    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
    CHECK(fd >= 0 && bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0);
    close(fd);
    CHECK(S_ISSOCK(mode_of(sock_path)));

    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    CHECK(log_has("removed stale socket"));
    CHECK(fresh_client_works());
    /* SIGKILL: what a crash leaves behind. */
    CHECK(kill(pid, SIGKILL) == 0);
    CHECK(wait_exit(pid) == -1);
    CHECK(S_ISSOCK(mode_of(sock_path)));
    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    CHECK(fresh_client_works());
    CHECK(stop(pid, SIGTERM) == 0);

    CHECK(write_file(sock_path, "not a socket", 12) == 0);
    CHECK(run_to_exit(args) == 1);
    CHECK(log_has("exists and is not a socket"));
    CHECK(exists(sock_path));
}

static void
case_command_line(void)
{
    const char *help[] = {"--help", NULL};
    const char *short_help[] = {"-h", NULL};
    const char *bad[] = {"--no-such-option", NULL};
    const char *extra[] = {"--state-dir", dir, "stray", NULL};
    const char *long_sock[] = {
        "--state-dir", dir, "--socket",
        "/tmp/a-socket-path-that-is-far-too-long-for-sun-path-"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        NULL};

    CHECK(run_to_exit(help) == 0);
    CHECK(log_has("usage: wardend"));
    clear_log();
    CHECK(run_to_exit(short_help) == 0);
    CHECK(log_has("usage: wardend"));
    CHECK(log_has("-h, --help"));
    CHECK(log_has("--idle-timeout SECONDS"));
    clear_log();
    CHECK(run_to_exit(bad) == 2);
    CHECK(!log_has("usage:"));
    CHECK(log_has("Try 'wardend --help'."));
    CHECK(run_to_exit(extra) == 2);
    CHECK(log_has("unexpected argument 'stray'"));
    CHECK(run_to_exit(long_sock) == 1);
    CHECK(log_has("is too long"));
}

/* Cases: the command line and start-up. */

/* A mistake gets one line and a pointer to the help, and exit 2. */
static void
case_bad_options(void)
{
    static const struct {
        const char *arg;
        const char *line;
    } bad[] = {
        {"--no-such-option", "unknown option '--no-such-option'"},
        {"--no-such=1", "unknown option '--no-such'"},
        {"-x", "unknown option '-x'"},
        {"--s", "option '--s' is ambiguous"},
        {"--state-dir", "option '--state-dir' needs a value"},
        {"--help=yes", "option '--help' takes no value"},
        {"stray", "unexpected argument 'stray'"},
        {"--idle-timeout=0", "option '--idle-timeout' takes whole seconds "
                             "from 1 to 86400, not '0'"},
        {"--idle-timeout=5s", "option '--idle-timeout' takes whole seconds "
                              "from 1 to 86400, not '5s'"},
    };
    char want[256];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *args[] = {bad[i].arg, NULL};

        clear_log();
        CHECK(run_to_exit(args) == 2);
        snprintf(want, sizeof(want), "wardend: %s\nTry 'wardend --help'.\n",
                 bad[i].line);
        if (!NEED(strcmp(log_text(), want) == 0)) {
            fprintf(stderr, "  for '%s' got:\n%s", bad[i].arg, log_text());
        }
    }
}

/* A hang-up stops the daemon as SIGTERM does, socket removed. */
static void
case_sighup(void)
{
    pid_t pid;
    int fd;

    if (!NEED((pid = start_default()) > 0) ||
        !NEED((fd = sock_connect(sock_path)) >= 0)) {
        return;
    }
    CHECK(get_info(fd, 0) == WD_STATUS_OK);
    CHECK(stop(pid, SIGHUP) == 0);
    CHECK(!exists(sock_path));
    CHECK(log_has("shutting down on SIGHUP"));
    CHECK(log_has("session 2 closed: 1 requests, 0 errors"));
    CHECK(wait_closed(fd));
    close(fd);
}

/*
 * A missing state folder is made at its last part only, owner-only; the
 * default one under $HOME with whatever of ~/.local/state is missing.
 */
static void
case_state_dir(void)
{
    char deep[128], deep_top[128], made[128], sock[256];
    char home[128], local[160], state[192];
    const char *deep_args[] = {"--state-dir", deep, NULL};
    const char *made_args[] = {"--state-dir", made, NULL};
    const char *no_args[] = {NULL};
    pid_t pid;

    in_dir(deep, sizeof(deep), "no/such/state");
    in_dir(deep_top, sizeof(deep_top), "no");
    CHECK(run_to_exit(deep_args) == 1);
    CHECK(log_has("/no/such does not exist; wardend makes only the last "
                  "folder"));
    CHECK(!exists(deep_top));

    /* The last part only, trailing slash and all. */
    in_dir(made, sizeof(made), "made/");
    in_dir(sock, sizeof(sock), "made/wardend.sock");
    pid = spawn(made_args);
    if (NEED(pid > 0 && wait_ready(pid, sock) == 0)) {
        CHECK(S_ISDIR(mode_of(made)));
        CHECK((mode_of(made) & 07777) == 0700);
        CHECK(stop(pid, SIGTERM) == 0);
    }

    /* The default, each folder made 0700. */
    in_dir(home, sizeof(home), "h");
    CHECK(mkdir(home, 0755) == 0);
    snprintf(local, sizeof(local), "%s/.local", home);
    snprintf(state, sizeof(state), "%s/.local/state/warden", home);
    snprintf(sock, sizeof(sock), "%s/wardend.sock", state);
    setenv("HOME", home, 1);
    pid = spawn(no_args);
    if (NEED(pid > 0 && wait_ready(pid, sock) == 0)) {
        CHECK((mode_of(local) & 07777) == 0700);
        CHECK((mode_of(state) & 07777) == 0700);
        CHECK(stop(pid, SIGTERM) == 0);
    }
    CHECK((mode_of(home) & 07777) == 0755);

    /* A home folder that is not there is not made either. */
    in_dir(home, sizeof(home), "gone");
    setenv("HOME", home, 1);
    CHECK(run_to_exit(no_args) == 1);
    CHECK(log_has("home folder"));
    CHECK(!exists(home));
}

/*
 * A start bound to fail makes nothing first: no state folder, storage or
 * key when the socket cannot be served or the storage is in use, and no
 * default state folder for a run whose storage folder is missing.
 */
static void
case_checks_first(void)
{
    char state[128], nowhere[128], far_storage[128], home[128], local[160];
    char ro[128], ro_sock[160];
    const char *bad_sock[] = {"--socket", nowhere, "--state-dir", state, NULL};
    const char *bad_sock_here[] = {"--socket", nowhere, "--state-dir", dir,
                                   NULL};
    const char *long_sock[] = {
        "--state-dir", state, "--socket",
        "/tmp/a-socket-path-that-is-far-too-long-for-sun-path-"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        NULL};
    const char *in_use[] = {"--state-dir", state,    "--storage", storage_path,
                            "--key-file",  key_path, NULL};
    const char *storage_only[] = {"--storage", far_storage, NULL};
    const char *ro_args[] = {"--socket", ro_sock, "--state-dir", state, NULL};
    pid_t pid;

    in_dir(state, sizeof(state), "state");
    in_dir(nowhere, sizeof(nowhere), "nowhere/x.sock");
    CHECK(run_to_exit(bad_sock) == 1);
    CHECK(log_has("/nowhere does not exist"));
    CHECK(!exists(state));

    CHECK(run_to_exit(bad_sock_here) == 1);
    CHECK(!exists(storage_path));
    CHECK(!exists(key_path));

    CHECK(run_to_exit(long_sock) == 1);
    CHECK(log_has("is too long"));
    CHECK(!exists(state));

    /* Storage held by a running daemon is found before the folder. */
    if (NEED((pid = start_default()) > 0)) {
        CHECK(run_to_exit(in_use) == 1);
        CHECK(log_has("is in use by another process"));
        CHECK(!exists(state));
        CHECK(stop(pid, SIGTERM) == 0);
    }

    /* --storage alone: key and socket would go in the default folder. */
    in_dir(home, sizeof(home), "h");
    CHECK(mkdir(home, 0700) == 0);
    snprintf(local, sizeof(local), "%s/.local", home);
    in_dir(far_storage, sizeof(far_storage), "nowhere/storage.bin");
    setenv("HOME", home, 1);
    CHECK(run_to_exit(storage_only) == 1);
    CHECK(log_has("storage.bin: folder"));
    CHECK(!exists(local));

    /* A socket folder it may not write in (root may write anywhere). */
    if (geteuid() != 0) {
        in_dir(ro, sizeof(ro), "ro");
        snprintf(ro_sock, sizeof(ro_sock), "%s/x.sock", ro);
        CHECK(mkdir(ro, 0500) == 0);
        CHECK(run_to_exit(ro_args) == 1);
        CHECK(log_has("cannot write in folder"));
        CHECK(!exists(state));
        CHECK(chmod(ro, 0700) == 0);
    }
}

/*
 * What only the companion can find, storage that is corrupted, fails the
 * start after the state folder was made: the folders it made, still
 * empty, are taken back.
 */
static void
case_undo_state_dir(void)
{
    static uint8_t image[STORE_SIZE];
    char state[128], home[128], local[160];
    const char *named[] = {"--state-dir", state,    "--storage", storage_path,
                           "--key-file",  key_path, NULL};
    const char *by_default[] = {"--storage", storage_path, "--key-file",
                                key_path, NULL};
    pid_t pid;

    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    CHECK(stop(pid, SIGTERM) == 0);
    if (!NEED(corrupt_storage(image) == 0)) {
        return;
    }

    in_dir(state, sizeof(state), "state");
    CHECK(run_to_exit(named) == 1);
    CHECK(log_has("storage is corrupted"));
    CHECK(!exists(state));

    in_dir(home, sizeof(home), "h");
    CHECK(mkdir(home, 0700) == 0);
    snprintf(local, sizeof(local), "%s/.local", home);
    setenv("HOME", home, 1);
    clear_log();
    CHECK(run_to_exit(by_default) == 1);
    CHECK(log_has("storage is corrupted"));
    CHECK(!exists(local));
    CHECK(exists(home));
}

/* Group or others reaching the state: one warning each, no refusal. */
static void
case_perm_warnings(void)
{
    char want[256];
    pid_t pid;

    CHECK(chmod(dir, 0750) == 0);
    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    snprintf(want, sizeof(want),
             "wardend: warning: state folder %s is accessible to group or "
             "others (mode 0750); chmod 700 it\n",
             dir);
    CHECK(log_has(want));
    CHECK(log_count("warning:") == 1);
    CHECK(fresh_client_works());
    CHECK(stop(pid, SIGTERM) == 0);

    CHECK(chmod(dir, 0700) == 0);
    CHECK(chmod(storage_path, 0604) == 0);
    clear_log();
    if (!NEED((pid = start_default()) > 0)) {
        return;
    }
    snprintf(want, sizeof(want),
             "wardend: warning: storage %s is accessible to group or others "
             "(mode 0604); chmod 600 it\n",
             storage_path);
    CHECK(log_has(want));
    CHECK(log_count("warning:") == 1);
    CHECK(fresh_client_works());
    CHECK(stop(pid, SIGTERM) == 0);
}

/* The table ctest reads its test list from: keep one case per line. */
struct test_case {
    const char *name;
    void (*run)(void);
};

static const struct test_case cases[] = {
    {"info_random", case_info_random},
    {"bad_checksum", case_bad_checksum},
    {"bad_flags", case_bad_flags},
    {"bad_length", case_bad_length},
    {"bad_version", case_bad_version},
    {"garbage", case_garbage},
    {"unknown_command", case_unknown_command},
    {"bad_sequence", case_bad_sequence},
    {"broken_peers", case_broken_peers},
    {"stalled_frame", case_stalled_frame},
    {"held_message", case_held_message},
    {"hog_yields", case_hog_yields},
    {"split_and_pipelined", case_split_and_pipelined},
    {"session_limit", case_session_limit},
    {"slow_reader", case_slow_reader},
    {"hold_limit", case_hold_limit},
    {"late_frame", case_late_frame},
    {"idle_timeout", case_idle_timeout},
    {"error_flood", case_error_flood},
    {"sigterm", case_sigterm},
    {"file_modes", case_file_modes},
    {"corrupt_storage", case_corrupt_storage},
    {"wrong_key", case_wrong_key},
    {"key_missing", case_key_missing},
    {"key_perms", case_key_perms},
    {"wrong_size_storage", case_wrong_size_storage},
    {"second_daemon", case_second_daemon},
    {"stale_socket", case_stale_socket},
    {"command_line", case_command_line},
    {"bad_options", case_bad_options},
    {"sighup", case_sighup},
    {"state_dir", case_state_dir},
    {"checks_first", case_checks_first},
    {"undo_state_dir", case_undo_state_dir},
    {"perm_warnings", case_perm_warnings},
};

/* Removes the test folder and everything in it (two levels at most). */
static void
remove_tree(const char *path)
{
    char child[512];
    struct dirent *e;
    DIR *d = opendir(path);

    if (d == NULL) {
        unlink(path);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        if (S_ISDIR(mode_of(child))) {
            remove_tree(child);
        } else {
            unlink(child);
        }
    }
    closedir(d);
    rmdir(path);
}

static void
clean_up(void)
{
    kill_daemons();
    if (dir[0] != '\0') {
        remove_tree(dir);
    }
}

int
main(int argc, char **argv)
{
    const struct test_case *tc = NULL;
    size_t i;
    int status;

    if (argc != 3) {
        fprintf(stderr, "usage: test_wardend WARDEND CASE\n");
        return 2;
    }
    wardend = argv[1];
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(cases[i].name, argv[2]) == 0) {
            tc = &cases[i];
        }
    }
    if (tc == NULL) {
        fprintf(stderr, "test_wardend: no case '%s'\n", argv[2]);
        return 2;
    }

    strcpy(dir, "/tmp/wt-wardend-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    atexit(clean_up);
    in_dir(sock_path, sizeof(sock_path), "wardend.sock");
    in_dir(storage_path, sizeof(storage_path), "storage.bin");
    in_dir(key_path, sizeof(key_path), "device-key");
    in_dir(log_path, sizeof(log_path), "wardend.log");
    unsetenv("WARDEN_HOME");
    /* A case that falls back on the default must not touch the real one. */
    in_dir(home_path, sizeof(home_path), "no-home");
    setenv("HOME", home_path, 1);
    signal(SIGPIPE, SIG_IGN);

    tc->run();

    kill_daemons();
    /* Refused starts exit 1 anyway: a sanitizer report must not hide. */
    CHECK(!log_has("Sanitizer"));
    CHECK(!log_has("runtime error"));
    status = wt_finish(tc->name);
    if (status != 0) {
        fprintf(stderr, "--- wardend log ---\n%s", log_text());
    }
    return status;
}
