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
 * Host errors: X(name, code, message). 1-31 are the library's own
 * (16-31 those of TLS connections); WARDEN_ERR_COMPANION means the
 * companion answered with an error status, which warden_last_error()
 * returns (codes in docs/protocol.md).
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
    X(NETWORK, 16, "network connection failed")                             \
    X(TLS_STATE, 17, "TLS call out of order")                               \
    X(TLS_CERT, 18, "server certificate rejected")                          \
    X(TLS_REFUSED, 19, "companion refused the server's handshake")          \
    X(TLS_ALERT, 20, "server sent an alert")                                \
    X(TLS_PROTOCOL, 21, "server broke the TLS record or handshake rules")   \
    X(TLS_TRUNCATED, 22, "connection ended without close_notify")           \
    X(WANT_READ, 23, "no data yet: poll the socket for input")              \
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
 * Provisioning (docs/protocol.md, section 5). The numbers below are the
 * protocol's own; host/provision.c checks that they agree.
 *
 * Key pairs are generated inside the companion and never leave it: these
 * calls only ever see public keys. Every call that changes the companion
 * is refused with WARDEN_ERR_COMPANION and status NOT_ALLOWED (0x14) once
 * it is locked, and leaves its storage as it was on any refusal.
 */

/* Key pair slots. */
#define WARDEN_KEY_DEVICE 1      /* signs TLS CertificateVerify */
#define WARDEN_KEY_ATTESTATION 2 /* proves the companion is genuine */

/* Curves, by their TLS NamedGroup numbers. */
#define WARDEN_CURVE_P256 23
#define WARDEN_CURVE_P384 24

/* Certificate kinds. */
#define WARDEN_CERT_DEVICE 1      /* index 0 leaf, 1..3 intermediates */
#define WARDEN_CERT_ATTESTATION 2 /* index 0 only */
#define WARDEN_CERT_ROOT 3        /* index 0..7 */
#define WARDEN_CHAIN_MAX 4        /* certificates in the device chain */
#define WARDEN_ROOTS_MAX 8
#define WARDEN_CERT_MAX 2048 /* bytes of DER the companion keeps per cert */

/* Public keys that authorise things (warden_pubkey_install). */
#define WARDEN_PUBKEY_ADMIN 1
#define WARDEN_PUBKEY_FIRMWARE 2

#define WARDEN_SERIAL_MAX 32
#define WARDEN_SUBJECT_MAX 512 /* bytes of subject Name DER in a CSR */
#define WARDEN_POINT_MAX 97    /* uncompressed P-384 point */
#define WARDEN_NAME_MAX 2048   /* bytes of Name DER in a certificate */

/* A public key read from the companion. */
struct warden_pubkey {
    unsigned curve;                  /* WARDEN_CURVE_* */
    size_t point_len;                /* 65 for P-256, 97 for P-384 */
    uint8_t point[WARDEN_POINT_MAX]; /* uncompressed SEC1: 04 || X || Y */
};

/* What the companion holds. A curve of 0 means no such key. */
struct warden_inventory {
    unsigned device_key;      /* curve */
    unsigned attestation_key; /* curve */
    unsigned device_chain;    /* certificates, 0..WARDEN_CHAIN_MAX */
    int attestation_cert;     /* 1 if installed */
    unsigned roots;           /* bit i set: root slot i in use */
    unsigned admin_key;       /* curve */
    unsigned firmware_key;    /* curve */
    int serial;               /* 1 if set */
};

/* Public key types in struct warden_cert_info. */
#define WARDEN_CERT_KEY_OTHER 0 /* a key the companion does not use */
#define WARDEN_CERT_KEY_EC_P256 1
#define WARDEN_CERT_KEY_EC_P384 2
#define WARDEN_CERT_KEY_RSA 3

/*
 * The companion's reading of an installed certificate. Names are DER
 * (the X.509 Name SEQUENCE, tag and length included).
 */
struct warden_cert_info {
    int64_t not_before; /* seconds since 1970-01-01T00:00:00Z */
    int64_t not_after;
    uint8_t sha256[32]; /* of the certificate's DER */
    unsigned key_type;  /* WARDEN_CERT_KEY_* */
    unsigned key_bits;
    int is_ca;
    size_t subject_len;
    uint8_t subject[WARDEN_NAME_MAX];
    size_t issuer_len;
    uint8_t issuer[WARDEN_NAME_MAX];
};

/* Lists the keys, certificates and identity the companion holds. */
int warden_inventory(struct warden_dev *dev, struct warden_inventory *inv);

/*
 * Generates a key pair in slot (WARDEN_KEY_*) on curve (WARDEN_CURVE_*)
 * and returns its public key. Replaces the slot's key pair, and drops the
 * certificates that were issued for the old one.
 */
int warden_key_generate(struct warden_dev *dev, unsigned slot, unsigned curve,
                        struct warden_pubkey *pub);

/* Reads the public key of slot; status NOT_FOUND if it has none. */
int warden_key_public(struct warden_dev *dev, unsigned slot,
                      struct warden_pubkey *pub);

/*
 * Has the key pair in slot sign a PKCS#10 request for subject (the DER
 * of an X.509 Name, at most WARDEN_SUBJECT_MAX bytes). The request's DER
 * goes to out (capacity cap), its length to *out_len.
 */
int warden_csr_create(struct warden_dev *dev, unsigned slot,
                      const uint8_t *subject, size_t subject_len, uint8_t *out,
                      size_t cap, size_t *out_len);

/*
 * Installs certificate DER as entry index of kind (WARDEN_CERT_DEVICE
 * or WARDEN_CERT_ATTESTATION). Device index 0 is the leaf: its key must
 * be the device key, and it replaces the whole chain. Index i > 0 must be
 * the issuer of index i - 1 and drops any later entries.
 */
int warden_cert_install(struct warden_dev *dev, unsigned kind, unsigned index,
                        const uint8_t *der, size_t len);

/*
 * Adds a root certificate to the trust store; *slot (may be NULL) gets
 * its slot. A root already there keeps its slot and changes nothing.
 */
int warden_root_add(struct warden_dev *dev, const uint8_t *der, size_t len,
                    unsigned *slot);

/*
 * Installs the administrator's or the firmware-signing public key
 * (target WARDEN_PUBKEY_*), as a DER SubjectPublicKeyInfo of an EC
 * P-256 or P-384 key.
 */
int warden_pubkey_install(struct warden_dev *dev, unsigned target,
                          const uint8_t *spki, size_t len);

/*
 * Sets the serial number: 1 to WARDEN_SERIAL_MAX printable ASCII
 * characters without spaces (0x21-0x7e). Anything else is refused with
 * WARDEN_ERR_ARGUMENT before it is sent.
 */
int warden_serial_set(struct warden_dev *dev, const char *serial);

/*
 * Secure boot (docs/secure-boot.md). Once the companion is operational,
 * its device key signs only for a host whose firmware it measured and
 * whose measurement the firmware-signing key signed; until then TLS
 * still authenticates the server but sends no client certificate.
 *
 * The companion measures the host itself (wardend hashes the connected
 * program's executable and the configuration file it names); the host
 * only supplies the signature that `warden sign-firmware` wrote.
 */
#define WARDEN_MEASUREMENT_LEN 32
#define WARDEN_FIRMWARE_SIG_MAX 104 /* DER ECDSA, P-384 */
#define WARDEN_CONFIG_NAME_MAX 255

/* A firmware signature file: "WSIG", 1, u32 version, u8 length, DER. */
struct warden_firmware_sig {
    uint32_t version; /* the host firmware's, as signed */
    size_t sig_len;
    uint8_t sig[WARDEN_FIRMWARE_SIG_MAX];
};

/*
 * Reads a firmware signature file into sig. Returns WARDEN_ERR_OK or
 * WARDEN_ERR_ARGUMENT with the reason (naming path) in dev's error.
 */
int warden_firmware_sig_read(struct warden_dev *dev, const char *path,
                             struct warden_firmware_sig *sig);

/*
 * Reports the host firmware's signature; config names the configuration
 * file that is measured with the executable (NULL or "": none; a
 * relative name is taken from the program's working folder). On success
 * the device key is unlocked for this connection to the companion and
 * measurement (may be NULL) gets what the companion measured. A refusal
 * (status BOOT_REFUSED, NOT_MEASURED, NOT_FOUND) locks it.
 */
int warden_boot(struct warden_dev *dev, const struct warden_firmware_sig *sig,
                const char *config,
                uint8_t measurement[WARDEN_MEASUREMENT_LEN]);

/*
 * Attestation: the companion signs a statement with its attestation key.
 * The statement is kept whole (it is what the signature covers) and
 * also read into the fields below; verifying it is the verifier's job
 * (tools/cmd_attest.c does it with the attestation certificate).
 */
#define WARDEN_CHALLENGE_MIN 16
#define WARDEN_CHALLENGE_MAX 64
#define WARDEN_STATEMENT_MAX 160

/* Boot results. */
#define WARDEN_BOOT_NONE 0       /* no boot report on this connection */
#define WARDEN_BOOT_VERIFIED 1   /* device key unlocked */
#define WARDEN_BOOT_REFUSED 2    /* signature did not match */
#define WARDEN_BOOT_UNMEASURED 3 /* the host could not be measured */

struct warden_attestation {
    uint8_t statement[WARDEN_STATEMENT_MAX];
    size_t statement_len;
    uint8_t sig[WARDEN_FIRMWARE_SIG_MAX]; /* DER ECDSA over statement */
    size_t sig_len;
    /* The statement's fields. */
    uint8_t challenge[WARDEN_CHALLENGE_MAX];
    size_t challenge_len;
    char serial[WARDEN_SERIAL_MAX + 1];
    unsigned lifecycle;
    unsigned fw_major, fw_minor, fw_patch; /* the companion's firmware */
    unsigned boot_result;                  /* WARDEN_BOOT_* */
    uint32_t host_version;                 /* when verified */
    uint8_t measurement[WARDEN_MEASUREMENT_LEN];
};

/* Has the companion sign challenge (16 to 64 bytes). */
int warden_attest(struct warden_dev *dev, const uint8_t *challenge,
                  size_t len, struct warden_attestation *out);

/*
 * Parses a statement (as warden_attest() does) into out's fields;
 * verifiers use it on a statement they received. Returns 0, or -1 if it
 * is not a well-formed statement.
 */
int warden_attestation_parse(const uint8_t *statement, size_t len,
                             struct warden_attestation *out);

/*
 * Resets the companion as a power cycle would: every TLS session of
 * every connection ends and every boot report is forgotten (the device
 * key locks). Storage is unchanged.
 */
int warden_reset(struct warden_dev *dev);

/*
 * Ends manufacturing for good. Status INCOMPLETE unless the device and
 * attestation keys and certificates, a root, both public keys and the
 * serial number are in place; warden_inventory() tells which is not.
 */
int warden_lock(struct warden_dev *dev);

/* Describes certificate index of kind (WARDEN_CERT_*). */
int warden_cert_info(struct warden_dev *dev, unsigned kind, unsigned index,
                     struct warden_cert_info *info);

/* Reads certificate index of kind as DER into out (capacity cap). */
int warden_cert_read(struct warden_dev *dev, unsigned kind, unsigned index,
                     uint8_t *out, size_t cap, size_t *out_len);

/*
 * Admin-signed updates (docs/protocol.md, section 10). In the operational
 * state roots, policy, the device key and its certificates, the time
 * floor and decommissioning change only through an update that the
 * administrator's private key signed offline for this device's serial
 * and a counter above the last one accepted (`warden admin` makes them).
 * The host only carries it: it cannot make, change or replay one.
 */
#define WARDEN_ADMIN_POLICY_MAX 8
#define WARDEN_UPDATE_MAX 4096

struct warden_admin_status {
    uint64_t counter;   /* last accepted; the next update needs more */
    int64_t time_floor; /* in effect, seconds since 1970 (UTC) */
    unsigned admin_key; /* curve of the admin key (WARDEN_CURVE_*), 0 none */
    int policy_stored;  /* 0: the whole built-in policy is enabled */
    size_t n_suites;    /* when stored: the suites and groups enabled */
    unsigned suites[WARDEN_ADMIN_POLICY_MAX];
    size_t n_groups;
    unsigned groups[WARDEN_ADMIN_POLICY_MAX];
};

/* Reads the update counter, the time floor and the stored policy. */
int warden_admin_status(struct warden_dev *dev,
                        struct warden_admin_status *st);

/*
 * Hands the companion one signed update (the bytes of an update file,
 * 1 to WARDEN_UPDATE_MAX). What the operation returns (a root slot, or
 * the DER of a CSR after a key rotation) goes to out (capacity cap, may
 * be NULL when cap is 0), its length to *out_len. Refusals come back as
 * WARDEN_ERR_COMPANION with the status: BAD_SIGNATURE, WRONG_DEVICE,
 * REPLAYED, STALE, TIME_BACKWARDS, or one of the operation's own; the
 * companion's storage is then unchanged.
 */
int warden_admin_update(struct warden_dev *dev, const uint8_t *update,
                        size_t len, uint8_t *out, size_t cap,
                        size_t *out_len);

/*
 * Sends one command and collects its whole response, with chunking both
 * ways. The building block of the calls above, for tools and tests.
 */
int warden_call(struct warden_dev *dev, uint8_t command, const void *req,
                size_t req_len, void *resp, size_t resp_cap,
                size_t *resp_len);

/*
 * TLS 1.3 and TLS 1.2 client connections through the companion (design
 * §3). The companion offers both and the server picks; the calls are
 * the same for either, and warden_tls_info() says which was used.
 *
 * The companion writes the ClientHello from its own policy, checks the
 * server's every handshake message, validates the server's certificate
 * chain against its own roots and the server name, answers a
 * CertificateRequest with the device certificate and key, and hands
 * the host only traffic keys. The host moves records. Nothing here can
 * turn server authentication off: a connection that reports success
 * talks to a server whose certificate the companion accepted for the
 * name given.
 *
 * Blocking use, over a socket:
 *
 *   struct warden_tls tls;                  (about 39 KB: not on a
 *                                            small stack)
 *   rc = warden_tls_connect(&tls, &dev, "example.com", "443", NULL);
 *   rc = warden_tls_write(&tls, req, req_len);
 *   rc = warden_tls_read(&tls, buf, sizeof(buf), &got);   got 0: EOF
 *   warden_tls_close(&tls);
 *
 * Every call returns a warden_err; warden_tls_error() says what went
 * wrong in words ("server certificate: expired"). A connection that
 * failed stays failed: every later call returns its first error, and
 * only warden_tls_close() is left. Where a failure calls for it, the
 * alert of RFC 8446 section 6 has been sent to the server.
 *
 * struct warden_dev must stay open while the connection is: the
 * companion keeps the session (at most 4 at once) until
 * warden_tls_close().
 */

/* TLS 1.3 cipher suites (RFC 8446 B.4) and groups (4.2.7) to narrow to. */
#define WARDEN_TLS_AES_128_GCM_SHA256 0x1301
#define WARDEN_TLS_AES_256_GCM_SHA384 0x1302
#define WARDEN_TLS_AES_128_CCM_SHA256 0x1304
/*
 * TLS 1.2 suites (RFC 5289, RFC 7251): ECDHE with ECDSA and AEAD only,
 * with the extended master secret (RFC 7627) and without renegotiation.
 * Narrowing to suites of one version offers only that version.
 */
#define WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 0xc02b
#define WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 0xc02c
#define WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM 0xc0ac
#define WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_CCM 0xc0ad
#define WARDEN_TLS_GROUP_SECP256R1 0x0017
#define WARDEN_TLS_GROUP_SECP384R1 0x0018
#define WARDEN_TLS_GROUP_X25519 0x001d

#define WARDEN_TLS_LIST_MAX 8     /* suites or groups in the options */
#define WARDEN_TLS_RECORD_MAX 16384 /* plaintext bytes per record */

/*
 * Connection options; all zero (or a NULL pointer) means the
 * companion's defaults. They can only narrow its policy: a suite or
 * group outside it is refused, never added.
 */
struct warden_tls_options {
    /* ALPN protocols (RFC 7301), comma-separated: "h2,http/1.1". */
    const char *alpn;
    /* Cipher suites to offer, in order (WARDEN_TLS_AES_*, _ECDHE_*). */
    const unsigned *suites;
    size_t n_suites;
    /* Groups to offer key shares for (WARDEN_TLS_GROUP_*). */
    const unsigned *groups;
    size_t n_groups;
    /* Largest plaintext per record written, 1..16384; 0: 16384. */
    size_t record_size;
    /* Seconds since 1970 for certificate validity; 0: the system clock. */
    int64_t now;
};

/* What the companion decided for a connection. */
struct warden_tls_info {
    unsigned version;     /* 0x0304 (TLS 1.3) or 0x0303 (TLS 1.2) */
    unsigned suite;       /* WARDEN_TLS_AES_* or WARDEN_TLS_ECDHE_* */
    unsigned group;       /* WARDEN_TLS_GROUP_* */
    int hello_retry;      /* the server asked for another key share */
    int cert_requested;   /* the server asked for a client certificate */
    int client_cert;      /* the device certificate was sent */
    int key_locked;       /* requested, withheld: firmware not verified */
    unsigned chain_len;   /* certificates the server sent */
    char alpn[256];       /* the protocol selected, "" if none */
};

/*
 * A TLS connection. Caller-owned; fields are private. It points into
 * itself: do not move or copy it while in use.
 */
#define WARDEN_TLS_CTX_SIZE 39936
struct warden_tls {
    union {
        unsigned char bytes[WARDEN_TLS_CTX_SIZE];
        uint64_t align_u64;
        void *align_ptr;
        double align_double;
    } priv;
};

/*
 * Resolves host, connects over TCP to port (a number or a service name),
 * with TCP_NODELAY, and runs the handshake; host is also the name the
 * server's certificate must carry (a DNS name or an IP address
 * literal). options may be NULL. On any failure tls holds the error and
 * needs only warden_tls_close(). Returns WARDEN_ERR_OK, WARDEN_ERR_NETWORK
 * (resolving, connecting, sending, receiving), one of the TLS errors, or
 * a companion error.
 */
int warden_tls_connect(struct warden_tls *tls, struct warden_dev *dev,
                       const char *host, const char *port,
                       const struct warden_tls_options *options);

/*
 * As warden_tls_connect() over fd, a connected blocking stream socket
 * the caller keeps: warden_tls_close() does not close it. servername is
 * the name the server's certificate must carry.
 */
int warden_tls_connect_socket(struct warden_tls *tls, struct warden_dev *dev,
                              int fd, const char *servername,
                              const struct warden_tls_options *options);

/*
 * Reads application data into buf (capacity cap): blocks until some is
 * there. *got 0 with WARDEN_ERR_OK is the end of the server's data
 * (its close_notify); an end of the stream without one is
 * WARDEN_ERR_TLS_TRUNCATED.
 *
 * On a socket set O_NONBLOCK after the handshake it returns
 * WARDEN_ERR_WANT_READ instead of blocking (not an error: poll for
 * input and call again). Writes still wait until the socket takes
 * their records.
 */
int warden_tls_read(struct warden_tls *tls, void *buf, size_t cap,
                    size_t *got);

/* Writes all len bytes as application data records. */
int warden_tls_write(struct warden_tls *tls, const void *buf, size_t len);

/*
 * Ends the connection: sends close_notify if the connection is up,
 * frees the companion's session, wipes every key, and closes the socket
 * that warden_tls_connect() opened. Returns the first error the
 * connection had, or WARDEN_ERR_OK. tls may then be connected again.
 */
int warden_tls_close(struct warden_tls *tls);

/*
 * The connection's socket (-1 if none), for poll() loops: set it
 * O_NONBLOCK and call warden_tls_read() until WARDEN_ERR_WANT_READ
 * before polling it. (A readable socket may hold only handshake
 * messages such as session tickets, and decrypted data may wait in the
 * connection while the socket has nothing.)
 */
int warden_tls_socket(const struct warden_tls *tls);

/* The first error's message; "" when there is none. */
const char *warden_tls_error(const struct warden_tls *tls);

/*
 * The first error's code and its detail: the companion status with
 * WARDEN_ERR_COMPANION, the certificate verdict (docs/protocol.md)
 * with WARDEN_ERR_TLS_CERT, the alert received with
 * WARDEN_ERR_TLS_ALERT or sent with WARDEN_ERR_TLS_REFUSED and
 * WARDEN_ERR_TLS_PROTOCOL; 0 otherwise. detail may be NULL.
 */
int warden_tls_last_error(const struct warden_tls *tls, unsigned *detail);

/* Asks the companion what it decided for a connected session. */
int warden_tls_info(struct warden_tls *tls, struct warden_tls_info *info);

/* Names: "TLS_AES_128_GCM_SHA256", "x25519", "handshake_failure"; NULL
 * for numbers not known. */
const char *warden_tls_suite_name(unsigned suite);
const char *warden_tls_group_name(unsigned group);
const char *warden_tls_alert_text(unsigned alert);

/*
 * The sans-I/O core under the calls above, for event loops and RTOSes
 * that move the bytes themselves:
 *
 *   warden_tls_start(&tls, &dev, "example.com", NULL);
 *   loop:
 *     out = warden_tls_output(&tls, &n);   send n bytes, then
 *     warden_tls_output_done(&tls, sent);
 *     warden_tls_feed(&tls, bytes from the server, len, &used);
 *     warden_tls_take(&tls, buf, cap, &got);      application data
 *     warden_tls_send(&tls, data, len, &used);    once connected
 *   warden_tls_shutdown(&tls);   queues close_notify; send the output
 *   warden_tls_close(&tls);
 *
 * The engine takes input only when it can act on it: feed takes
 * nothing while application data waits to be taken, and nothing during
 * the handshake while output waits to be sent. Send what
 * warden_tls_output() gives before feeding more.
 */

/* Starts a connection: the companion's ClientHello is then output. */
int warden_tls_start(struct warden_tls *tls, struct warden_dev *dev,
                     const char *servername,
                     const struct warden_tls_options *options);

/*
 * Gives the engine len bytes received from the server; *used gets how
 * many it took (keep the rest for the next call). Returns WARDEN_ERR_OK
 * or the connection's error; after an error, send the output (it may
 * hold an alert) and close.
 */
int warden_tls_feed(struct warden_tls *tls, const void *in, size_t len,
                    size_t *used);

/* Bytes waiting to be sent to the server (NULL and 0 when none). */
const uint8_t *warden_tls_output(struct warden_tls *tls, size_t *len);

/* Marks n bytes of the output as sent. */
void warden_tls_output_done(struct warden_tls *tls, size_t n);

/*
 * Copies application data received into buf (capacity cap); *got 0
 * when there is none yet. warden_tls_eof() tells the end.
 */
int warden_tls_take(struct warden_tls *tls, void *buf, size_t cap,
                    size_t *got);

/*
 * Seals up to len bytes of application data into output records; *used
 * gets how many (0 while the output is full: send it first).
 * WARDEN_ERR_TLS_STATE before the handshake is done or after shutdown.
 */
int warden_tls_send(struct warden_tls *tls, const void *data, size_t len,
                    size_t *used);

/*
 * Queues close_notify (RFC 8446 6.1), and sends it on a connection made
 * by warden_tls_connect*(): the end of our data. Nothing can be sent
 * after it; the server's data can still be read. During the handshake
 * it sends user_canceled first and fails the connection.
 */
int warden_tls_shutdown(struct warden_tls *tls);

/* 1 once the handshake is done: the server is authenticated. */
int warden_tls_connected(const struct warden_tls *tls);

/* 1 once the server's close_notify came and its data were all taken. */
int warden_tls_eof(const struct warden_tls *tls);

#endif
