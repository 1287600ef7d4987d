/*
 * The UNIX socket transport: address parsing, connection errors with
 * their messages, a whole conversation with a companion served from a
 * child process over a real socket, a peer that hangs up, and one that
 * never answers (the 10 s timeout).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "memplat.h"
#include "warden.h"
#include "wc_companion.h"
#include "wd_proto.h"

static struct wt_memplat plat;
static struct wc_companion companion;
static char dir[64];
static char path[128];
static char address[160];

static int
contains(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

static int
listen_at(const char *p)
{
    struct sockaddr_un sun;
    int fd;

    if (strlen(p) >= sizeof(sun.sun_path)) {
        fprintf(stderr, "test_host_unix: socket path too long\n");
        exit(1);
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, p, strlen(p) + 1);
    unlink(p);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
        listen(fd, 4) != 0) {
        perror("test_host_unix: listen");
        exit(1);
    }
    return fd;
}

static int
read_all(int fd, uint8_t *buf, size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = read(fd, buf, len);
        if (n <= 0) {
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The child: one connection, served frame by frame like wardend. */
static void
serve(int lfd)
{
    uint8_t in[WD_MAX_FRAME];
    uint8_t out[WD_MAX_FRAME];
    struct wc_channel ch;
    enum wd_frame_result res;
    enum wd_status status;
    size_t frame_len;
    size_t n;
    int fd;

    wt_memplat_init(&plat, 5);
    if (wc_companion_init(&companion, &plat.plat) != WC_OK) {
        _exit(3);
    }
    wc_channel_init(&ch);
    fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
        _exit(4);
    }
    for (;;) {
        if (read_all(fd, in, WD_HEADER_LEN) != 0) {
            break;
        }
        res = wd_frame_check(in, WD_HEADER_LEN, &frame_len, &status);
        if (res == WD_FRAME_BROKEN) {
            break;
        }
        frame_len = WD_HEADER_LEN + wd_get16(in + 6) + WD_CRC_LEN;
        if (read_all(fd, in + WD_HEADER_LEN, frame_len - WD_HEADER_LEN) != 0) {
            break;
        }
        n = wc_companion_handle(&companion, &ch, in, frame_len, out);
        /* Two writes, so that the host sees a frame arrive in parts. */
        if (write(fd, out, 3) != 3 ||
            write(fd, out + 3, n - 3) != (ssize_t)(n - 3)) {
            break;
        }
    }
    close(fd);
    _exit(0);
}

static void
test_addresses(void)
{
    struct warden_dev dev;
    struct warden_info info;
    char longaddr[200];

    CHECK(warden_open(&dev, "tcp:127.0.0.1:4433") == WARDEN_ERR_ADDRESS);
    CHECK(contains(warden_error(&dev), "\"tcp:127.0.0.1:4433\""));
    CHECK(contains(warden_error(&dev), "unix:PATH"));
    CHECK(warden_open(&dev, "/run/wardend.sock") == WARDEN_ERR_ADDRESS);
    CHECK(warden_open(&dev, "unix:") == WARDEN_ERR_ADDRESS);
    CHECK(warden_open(&dev, NULL) == WARDEN_ERR_ADDRESS);
    CHECK(warden_open(NULL, "unix:/x") == WARDEN_ERR_ARGUMENT);

    memset(longaddr, 'a', sizeof(longaddr) - 1);
    memcpy(longaddr, "unix:/", 6);
    longaddr[sizeof(longaddr) - 1] = '\0';
    CHECK(warden_open(&dev, longaddr) == WARDEN_ERR_ADDRESS);
    CHECK(contains(warden_error(&dev), "at most 107"));

    CHECK(warden_open(&dev, "unix:/nonexistent-warden-dir/wardend.sock") ==
          WARDEN_ERR_CONNECT);
    CHECK(strcmp(warden_error(&dev),
                 "cannot reach the companion at "
                 "unix:/nonexistent-warden-dir/wardend.sock: No such file "
                 "or directory (is wardend running?)") == 0);
    /* A failed open needs no close, and the device is not open. */
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_NOT_OPEN);
    warden_close(&dev);
}

static void
test_conversation(void)
{
    static uint8_t in[WD_MAX_MESSAGE];
    static uint8_t out[WD_MAX_MESSAGE];
    static uint8_t rnd[5000];
    struct warden_dev dev;
    struct warden_info info;
    size_t len;
    size_t i;
    pid_t pid;
    int lfd;
    int st;

    lfd = listen_at(path);
    pid = fork();
    if (pid == 0) {
        serve(lfd);
    }
    close(lfd);

    CHECK(warden_open(&dev, address) == WARDEN_ERR_OK);
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_OK);
    CHECK(info.lifecycle == WD_LIFECYCLE_MANUFACTURING);
    CHECK(warden_random(&dev, rnd, sizeof(rnd)) == WARDEN_ERR_OK);
    CHECK(memcmp(rnd, rnd + 1024, 1024) != 0);
    for (i = 0; i < sizeof(in); i++) {
        in[i] = (uint8_t)(i ^ (i >> 8));
    }
    CHECK(warden_echo(&dev, in, sizeof(in), out, sizeof(out), &len) ==
          WARDEN_ERR_OK);
    CHECK(len == sizeof(in));
    CHECK_MEM(out, in, sizeof(in));
    warden_close(&dev);

    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The companion accepts, then goes away without a word. */
static void
test_hang_up(void)
{
    struct warden_dev dev;
    struct warden_info info;
    pid_t pid;
    int lfd;
    int fd;
    int st;

    lfd = listen_at(path);
    pid = fork();
    if (pid == 0) {
        fd = accept(lfd, NULL, NULL);
        _exit(fd < 0 ? 1 : 0);
    }
    close(lfd);
    CHECK(warden_open(&dev, address) == WARDEN_ERR_OK);
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_CLOSED);
    CHECK(strcmp(warden_error(&dev),
                 "GET_INFO: companion closed the connection") == 0);
    warden_close(&dev);
}

/* Nobody accepts: the connection sits in the backlog, unanswered. */
static void
test_timeout(void)
{
    struct warden_dev dev;
    struct warden_info info;
    int lfd;

    lfd = listen_at(path);
    CHECK(warden_open(&dev, address) == WARDEN_ERR_OK);
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_TIMEOUT);
    CHECK(strcmp(warden_error(&dev),
                 "GET_INFO: companion did not answer within 10 s") == 0);
    warden_close(&dev);
    close(lfd);
}

int
main(void)
{
    /* A peer that vanishes must not kill us with SIGPIPE either way. */
    signal(SIGPIPE, SIG_DFL);

    snprintf(dir, sizeof(dir), "/tmp/warden-test-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("test_host_unix: mkdtemp");
        return 1;
    }
    snprintf(path, sizeof(path), "%s/wardend.sock", dir);
    snprintf(address, sizeof(address), "unix:%s", path);

    test_addresses();
    test_conversation();
    test_hang_up();
    test_timeout();

    unlink(path);
    rmdir(dir);
    return wt_finish("host_unix");
}
