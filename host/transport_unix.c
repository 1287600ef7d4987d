/*
 * The UNIX stream socket transport: how a host reaches wardend. Blocking
 * I/O with a send and receive timeout, so that a companion that stops
 * answering turns into WARDEN_ERR_TIMEOUT instead of a hung caller.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

static int
code_of(int e)
{
    if (e == EAGAIN || e == EWOULDBLOCK) {
        return WARDEN_ERR_TIMEOUT;
    }
    if (e == EPIPE || e == ECONNRESET) {
        return WARDEN_ERR_CLOSED;
    }
    return WARDEN_ERR_IO;
}

static int
unix_send(void *ctx, const uint8_t *buf, size_t len)
{
    int fd = *(int *)ctx;
    ssize_t n;

    while (len > 0) {
        /*
         * MSG_NOSIGNAL: a companion that went away is an error, not a
         * SIGPIPE that kills the caller's process.
         */
        n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return code_of(errno);
        }
        buf += n;
        len -= (size_t)n;
    }
    return WARDEN_ERR_OK;
}

static int
unix_recv(void *ctx, uint8_t *buf, size_t len)
{
    int fd = *(int *)ctx;
    ssize_t n;

    while (len > 0) {
        n = recv(fd, buf, len, 0);
        if (n == 0) {
            return WARDEN_ERR_CLOSED;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return code_of(errno);
        }
        buf += n;
        len -= (size_t)n;
    }
    return WARDEN_ERR_OK;
}

static void
unix_close(void *ctx)
{
    int *fd = ctx;

    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

const struct warden_transport warden_unix_transport = {
    unix_send,
    unix_recv,
    unix_close,
};

static int
set_timeouts(int fd)
{
    struct timeval tv;

    tv.tv_sec = WARDEN_UNIX_TIMEOUT_S;
    tv.tv_usec = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
        return -1;
    }
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int
warden_unix_open(struct warden_dev *dev, const char *address, const char *path)
{
    struct sockaddr_un sun;
    size_t len = strlen(path);
    int fd;
    int e;

    if (len == 0) {
        return warden_dev_fail(dev, WARDEN_ERR_ADDRESS,
                               "bad companion address \"%s\": no socket "
                               "path after \"unix:\"",
                               address);
    }
    if (len >= sizeof(sun.sun_path)) {
        return warden_dev_fail(dev, WARDEN_ERR_ADDRESS,
                               "bad companion address \"%.60s...\": socket "
                               "path of %zu bytes, at most %zu allowed",
                               address, len, sizeof(sun.sun_path) - 1);
    }

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, len + 1);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return warden_dev_fail(dev, WARDEN_ERR_CONNECT,
                               "cannot reach the companion at %s: "
                               "socket: %s",
                               address, strerror(errno));
    }
    if (set_timeouts(fd) != 0) {
        e = errno;
        close(fd);
        return warden_dev_fail(dev, WARDEN_ERR_CONNECT,
                               "cannot reach the companion at %s: "
                               "setting timeouts: %s",
                               address, strerror(e));
    }
    if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) != 0) {
        e = errno;
        close(fd);
        /* These two mean nobody listens there: say what usually fixes it. */
        return warden_dev_fail(
            dev, WARDEN_ERR_CONNECT, "cannot reach the companion at %s: %s%s",
            address, strerror(e),
            e == ENOENT || e == ECONNREFUSED ? " (is wardend running?)" : "");
    }

    dev->fd = fd;
    dev->transport = &warden_unix_transport;
    dev->transport_ctx = &dev->fd;
    return WARDEN_ERR_OK;
}
