/*
 * libwarden: the host side of a Warden secure companion.
 *
 * Open a companion by address, ask it things, close it. Every call
 * returns a warden_err; warden_error() gives a message that names what
 * went wrong. The library never prints and never allocates: the caller
 * owns struct warden_dev.
 */
#ifndef WARDEN_H
#define WARDEN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Host errors: X(name, code, message). 1-31 are the library's own;
 * WARDEN_ERR_COMPANION means the companion answered with an error status,
 * which warden_last_error() returns (codes in docs/protocol.md).
 */
#define WARDEN_ERROR_LIST(X)                                                 \
    X(OK, 0, "success")                                                     \
    X(ARGUMENT, 1, "invalid argument")                                      \
    X(ADDRESS, 2, "bad companion address")                                  \
    X(CONNECT, 3, "cannot reach the companion")                             \
    X(IO, 4, "bus read or write failed")                                    \
    X(CLOSED, 5, "companion closed the connection")                         \
    X(TIMEOUT, 6, "companion did not answer in time")                       \
    X(PROTOCOL, 7, "malformed response from the companion")                 \
    X(NOT_OPEN, 8, "companion not open")                                    \
    X(COMPANION, 64, "companion refused the request")

enum warden_err {
#define WARDEN_X(name, code, message) WARDEN_ERR_##name = code,
    WARDEN_ERROR_LIST(WARDEN_X)
#undef WARDEN_X
};

/*
 * A byte stream to a companion. send writes all len bytes; recv reads
 * exactly len bytes. Both return 0, or a warden_err (WARDEN_ERR_IO,
 * WARDEN_ERR_CLOSED, WARDEN_ERR_TIMEOUT). close may be NULL.
 */
struct warden_transport {
    int (*send)(void *ctx, const uint8_t *buf, size_t len);
    int (*recv)(void *ctx, uint8_t *buf, size_t len);
    void (*close)(void *ctx);
};

#define WARDEN_ERRMSG_MAX 192
#define WARDEN_FRAME_MAX (8 + 1024 + 2)

/*
 * An open companion. Fields are private. The built-in transport points
 * into the struct: do not move or copy it while open, and close it before
 * opening it again.
 */
struct warden_dev {
    const struct warden_transport *transport;
    void *transport_ctx;
    int fd; /* the built-in UNIX transport */
    int open;
    int failed; /* the stream lost sync; only close is left */
    uint16_t seq;
    int err;
    unsigned status; /* companion status behind WARDEN_ERR_COMPANION */
    char errmsg[WARDEN_ERRMSG_MAX];
    uint8_t frame[WARDEN_FRAME_MAX];
};

/* What the companion says about itself. */
struct warden_info {
    unsigned protocol_version;
    unsigned fw_major, fw_minor, fw_patch;
    unsigned lifecycle; /* 1 manufacturing, 2 operational, 3 decommissioned */
    int rng_failed;     /* DRBG refuses: entropy failed its health test */
    int storage_failed; /* storage unreadable; lifecycle then reads 0 */
    uint32_t storage_used, storage_capacity;
    unsigned records, records_max;
    size_t serial_len; /* 0: not provisioned */
    char serial[33];   /* NUL-terminated; printable ASCII */
};

/*
 * Opens the companion at address:
 *   unix:PATH   wardend's socket
 * Returns WARDEN_ERR_OK, WARDEN_ERR_ADDRESS or WARDEN_ERR_CONNECT.
 * On failure dev holds the error for warden_error() and needs no close.
 */
int warden_open(struct warden_dev *dev, const char *address);

/* Opens a companion over a caller's transport (tests, serial lines). */
int warden_open_transport(struct warden_dev *dev,
                          const struct warden_transport *transport,
                          void *ctx);

void warden_close(struct warden_dev *dev);

/* The last error's message; "" after a success. Valid until next call. */
const char *warden_error(const struct warden_dev *dev);

/* The last error's code; with WARDEN_ERR_COMPANION also the status. */
int warden_last_error(const struct warden_dev *dev, unsigned *status);

/* Static message for a code. */
const char *warden_strerror(int err);

/* Reads device information. */
int warden_get_info(struct warden_dev *dev, struct warden_info *info);

/* Fills out with len bytes from the companion's DRBG (any len). */
int warden_random(struct warden_dev *dev, void *out, size_t len);

/*
 * Sends in (up to 4096 bytes) and reads back what the companion
 * returns into out (capacity cap, length in *out_len): a bus self-test
 * that exercises chunking both ways.
 */
int warden_echo(struct warden_dev *dev, const void *in, size_t len,
                void *out, size_t cap, size_t *out_len);

/*
 * Sends one command and collects its whole response, with chunking both
 * ways. The building block of the calls above, for tools and tests.
 */
int warden_call(struct warden_dev *dev, uint8_t command, const void *req,
                size_t req_len, void *resp, size_t resp_cap,
                size_t *resp_len);

#endif
