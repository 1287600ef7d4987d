/*
 * The blocking shell around the TLS engine: a TCP socket, the engine's
 * output written out, the server's bytes fed in. It knows nothing of
 * TLS itself; tls.c does.
 *
 * Each flight goes out in one send() on a socket with TCP_NODELAY
 * (design §3): the engine queues ChangeCipherSpec, Certificate,
 * CertificateVerify and Finished together, and this file sends what is
 * queued as one buffer.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "tls.h"

/* Waits until fd is ready for events; a socket set O_NONBLOCK. */
static void
wait_fd(int fd, short events)
{
    struct pollfd p;

    p.fd = fd;
    p.events = events;
    p.revents = 0;
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
}

static int
would_block(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK;
}

/* Sends all pending output, waiting for the socket if it must. */
static int
flush(struct warden_tls *tls)
{
    struct tls_engine *e = warden_tls_engine(tls);
    const uint8_t *p;
    size_t n;
    ssize_t w;

    while ((p = warden_tls_output(tls, &n)) != NULL) {
        w = send(e->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (would_block(errno)) {
                wait_fd(e->fd, POLLOUT);
                continue;
            }
            /* The output is lost with the socket: drop it. */
            warden_tls_output_done(tls, n);
            return warden_tls_fail(e, WARDEN_ERR_NETWORK, 0,
                                   "cannot send to %s: %s", e->name,
                                   strerror(errno));
        }
        warden_tls_output_done(tls, (size_t)w);
    }
    return WARDEN_ERR_OK;
}

/*
 * After an engine error: what it queued (an alert, RFC 8446 6.2) goes
 * out if the socket takes it, and the error is returned.
 */
static int
failed(struct warden_tls *tls, int rc)
{
    flush(tls);
    return rc;
}

/* The server ended the stream: where that leaves the connection. */
static int
stream_ended(struct tls_engine *e)
{
    if (e->state == TLS_CONNECTED || e->state == TLS_SEND_FLIGHT) {
        /* RFC 8446 6.1: without close_notify the data may be cut short. */
        return warden_tls_fail(e, WARDEN_ERR_TLS_TRUNCATED, 0,
                               "%s closed the connection without "
                               "close_notify: data may be missing",
                               e->name);
    }
    return warden_tls_fail(e, WARDEN_ERR_TLS_TRUNCATED, 0,
                           "%s closed the connection during the handshake, "
                           "without an alert",
                           e->name);
}

/*
 * Gives the engine what it has not taken yet, reading from the socket
 * first when nothing is left. WARDEN_ERR_WANT_READ: the socket is
 * O_NONBLOCK and has nothing.
 */
static int
receive(struct warden_tls *tls)
{
    struct tls_engine *e = warden_tls_engine(tls);
    size_t used;
    ssize_t n;
    int rc;

    if (e->in_off == e->in_len) {
        e->in_off = 0;
        e->in_len = 0;
        do {
            n = recv(e->fd, e->in, sizeof(e->in), 0);
        } while (n < 0 && errno == EINTR);
        if (n < 0 && would_block(errno)) {
            return WARDEN_ERR_WANT_READ;
        }
        if (n < 0) {
            return warden_tls_fail(e, WARDEN_ERR_NETWORK, 0,
                                   "cannot receive from %s: %s", e->name,
                                   strerror(errno));
        }
        if (n == 0) {
            return stream_ended(e);
        }
        e->in_len = (size_t)n;
    }
    rc = warden_tls_feed(tls, e->in + e->in_off, e->in_len - e->in_off, &used);
    e->in_off += used;
    return rc;
}

/* Runs the handshake over e->fd, once the ClientHello is queued. */
static int
handshake(struct warden_tls *tls)
{
    struct tls_engine *e = warden_tls_engine(tls);
    int rc;

    /* Until the client's flight is queued: out, then in. */
    while (!warden_tls_connected(tls)) {
        rc = flush(tls);
        if (rc == WARDEN_ERR_OK) {
            rc = receive(tls);
        }
        if (rc == WARDEN_ERR_WANT_READ) {
            wait_fd(e->fd, POLLIN);
            continue;
        }
        if (rc != WARDEN_ERR_OK) {
            return failed(tls, rc);
        }
    }
    rc = flush(tls);
    return rc != WARDEN_ERR_OK ? failed(tls, rc) : rc;
}

int
warden_tls_connect_socket(struct warden_tls *tls, struct warden_dev *dev,
                          int fd, const char *servername,
                          const struct warden_tls_options *options)
{
    struct tls_engine *e;
    int rc;

    if (tls == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    rc = warden_tls_prepare(e, dev, servername, options);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (fd < 0) {
        return warden_tls_fail(e, WARDEN_ERR_ARGUMENT, 0, "no socket given");
    }
    e->fd = fd;
    rc = warden_tls_open(e);
    return rc != WARDEN_ERR_OK ? rc : handshake(tls);
}

/* Opens a TCP connection to host and port; the socket, or -1. */
static int
tcp_connect(struct tls_engine *e, const char *host, const char *port)
{
    struct addrinfo hints, *list, *ai;
    int fd = -1, err = 0, gai, one = 1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    gai = getaddrinfo(host, port, &hints, &list);
    if (gai != 0) {
        warden_tls_fail(e, WARDEN_ERR_NETWORK, 0,
                        "cannot resolve %s port %s: %s", host, port,
                        gai_strerror(gai));
        return -1;
    }
    for (ai = list; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0) {
        warden_tls_fail(e, WARDEN_ERR_NETWORK, 0,
                        "cannot connect to %s port %s: %s", host, port,
                        strerror(err));
        return -1;
    }

    /* Design §3: a lone small segment must not wait for a delayed ACK. */
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
        err = errno;
        close(fd);
        warden_tls_fail(e, WARDEN_ERR_NETWORK, 0,
                        "cannot set TCP_NODELAY on the connection to %s: %s",
                        host, strerror(err));
        return -1;
    }
    return fd;
}

int
warden_tls_connect(struct warden_tls *tls, struct warden_dev *dev,
                   const char *host, const char *port,
                   const struct warden_tls_options *options)
{
    struct tls_engine *e;
    int fd, rc;

    if (tls == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    rc = warden_tls_prepare(e, dev, host, options);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (port == NULL) {
        return warden_tls_fail(e, WARDEN_ERR_ARGUMENT, 0, "no port given");
    }
    fd = tcp_connect(e, host, port);
    if (fd < 0) {
        return e->err;
    }
    e->fd = fd;
    e->own_fd = 1;
    rc = warden_tls_open(e);
    return rc != WARDEN_ERR_OK ? rc : handshake(tls);
}

int
warden_tls_read(struct warden_tls *tls, void *buf, size_t cap, size_t *got)
{
    struct tls_engine *e;
    int rc;

    if (got != NULL) {
        *got = 0;
    }
    if (tls == NULL || got == NULL || (buf == NULL && cap > 0)) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    for (;;) {
        rc = warden_tls_take(tls, buf, cap, got);
        if (rc != WARDEN_ERR_OK || *got > 0 || cap == 0 ||
            warden_tls_eof(tls)) {
            return rc;
        }
        if (e->fd < 0) {
            return WARDEN_ERR_TLS_STATE;
        }
        /* A KeyUpdate answer, say, goes before the next read. */
        rc = flush(tls);
        if (rc == WARDEN_ERR_OK) {
            rc = receive(tls);
        }
        if (rc == WARDEN_ERR_WANT_READ) {
            return rc;
        }
        if (rc != WARDEN_ERR_OK) {
            return failed(tls, rc);
        }
    }
}

int
warden_tls_write(struct warden_tls *tls, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    struct tls_engine *e;
    size_t off = 0, used;
    int rc;

    if (tls == NULL || (buf == NULL && len > 0)) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    if (e->magic == TLS_MAGIC && e->state != TLS_FAILED && e->fd < 0) {
        return WARDEN_ERR_TLS_STATE;
    }
    while (off < len) {
        rc = warden_tls_send(tls, p + off, len - off, &used);
        if (rc != WARDEN_ERR_OK) {
            return failed(tls, rc);
        }
        off += used;
        if (used == 0 && warden_tls_output(tls, &used) == NULL) {
            /* Nothing sealed and nothing to send: cannot go on. */
            return WARDEN_ERR_TLS_STATE;
        }
        rc = flush(tls);
        if (rc != WARDEN_ERR_OK) {
            return failed(tls, rc);
        }
    }
    return WARDEN_ERR_OK;
}

int
warden_tls_shutdown(struct warden_tls *tls)
{
    struct tls_engine *e;
    int rc;

    if (tls == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    rc = warden_tls_queue_close(e);
    if (e->magic == TLS_MAGIC && e->fd >= 0) {
        /* A failure here is the socket's; the first error stays. */
        int sent = flush(tls);

        if (rc == WARDEN_ERR_OK) {
            rc = sent;
        }
    }
    return rc;
}

int
warden_tls_close(struct warden_tls *tls)
{
    struct tls_engine *e;
    int rc;

    if (tls == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    if (e->magic != TLS_MAGIC) {
        return WARDEN_ERR_OK;
    }
    rc = e->state == TLS_FAILED ? e->err : WARDEN_ERR_OK;

    /* RFC 8446 6.1: close_notify before closing the write side. */
    if (e->state == TLS_CONNECTED && !e->sent_close) {
        warden_tls_shutdown(tls);
    }
    if (e->fd >= 0) {
        flush(tls);
    }
    warden_tls_end(e);
    if (e->own_fd && e->fd >= 0) {
        close(e->fd);
    }
    e->own_fd = 0;
    e->fd = -1;
    /*
     * Nothing to scrub here: the record layer clears the stack and the
     * vector registers after each AES call (record.c, scrub_now), and
     * warden_tls_end() wiped the keys.
     */
    return rc;
}

int
warden_tls_socket(const struct warden_tls *tls)
{
    const struct tls_engine *e;

    if (tls == NULL) {
        return -1;
    }
    e = (const struct tls_engine *)(const void *)tls->priv.bytes;
    return e->magic == TLS_MAGIC ? e->fd : -1;
}
