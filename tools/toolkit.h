/*
 * The warden tool's helpers, apart from the commands so that tests can
 * reach them: PEM files, a small strict DER reader, X.509 Names as text,
 * EC public keys as SubjectPublicKeyInfo, the provisioning config file,
 * and the text forms that status prints.
 *
 * These run on the host and may allocate. None of them prints: each
 * failure leaves one message in a struct tk_err, which the tool shows as
 * "warden: COMMAND: MESSAGE".
 */
#ifndef TK_TOOLKIT_H
#define TK_TOOLKIT_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#if defined(__GNUC__)
#define TK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TK_PRINTF(fmt, args)
#endif

#define TK_ERR_MAX 320

/* Why the last helper failed. */
struct tk_err {
    char msg[TK_ERR_MAX];
};

/* Zeroes len bytes at p in a way the compiler keeps (for secrets). */
void tk_wipe(void *p, size_t len);

/* Sets e->msg (e may be NULL) and returns -1. */
int tk_fail(struct tk_err *e, const char *fmt, ...) TK_PRINTF(2, 3);

/* Reads a whole file into malloc'd memory, at most max bytes. */
int tk_read_file(const char *path, size_t max, uint8_t **data, size_t *len,
                 struct tk_err *e);

/* Writes a whole file, replacing it; "-" is standard output. */
int tk_write_file(const char *path, const void *data, size_t len,
                  struct tk_err *e);

/* ---- DER ---------------------------------------------------------- */

/* One element: tag, value, and the whole encoding. */
struct tk_tlv {
    unsigned tag;
    const uint8_t *val;
    size_t len;
    const uint8_t *raw;
    size_t raw_len;
};

/*
 * Reads the element at *p (before end) strictly: one-byte tags, definite
 * minimal lengths, nothing past end. Moves *p past it.
 */
int tk_der_read(const uint8_t **p, const uint8_t *end, struct tk_tlv *t,
                struct tk_err *e);

/* Checks that p is exactly one DER SEQUENCE. */
int tk_der_whole(const uint8_t *p, size_t len, struct tk_err *e);

/*
 * Writes tag and length to out (when not NULL) and returns how many bytes
 * they take.
 */
size_t tk_der_header(uint8_t *out, unsigned tag, size_t len);

/*
 * Checks the outline of an X.509 certificate: a SEQUENCE of a SEQUENCE
 * (tbsCertificate), a SEQUENCE (algorithm) and a BIT STRING. The
 * companion reads the rest; this only catches a wrong file early.
 */
int tk_cert_outline(const uint8_t *der, size_t len, struct tk_err *e);

/* ---- PEM ---------------------------------------------------------- */

#define TK_BLOBS_MAX 16

struct tk_blob {
    uint8_t *data;
    size_t len;
    unsigned line; /* of the BEGIN line; 0 for a DER file */
};

struct tk_blobs {
    struct tk_blob item[TK_BLOBS_MAX];
    size_t count;
};

/*
 * Decodes every block of text labelled label ("CERTIFICATE", "PUBLIC
 * KEY", ...) into out, in file order; blocks with other labels are
 * skipped without being decoded. A text with no PEM block that is one
 * whole DER SEQUENCE is taken as a single DER object. Each object must be
 * one whole DER SEQUENCE. source names the text in messages
 * ("leaf.pem"). On failure out is empty.
 */
int tk_pem_decode(const uint8_t *text, size_t len, const char *label,
                  const char *source, struct tk_blobs *out, struct tk_err *e);

/* tk_pem_decode() on a file, which must exist and be at most 1 MiB. */
int tk_pem_read_file(const char *path, const char *label, struct tk_blobs *out,
                     struct tk_err *e);

/* Frees and wipes what out holds; out is then empty. */
void tk_blobs_free(struct tk_blobs *out);

/*
 * PEM text of der (lines of 64, "\n" endings, NUL-terminated), in
 * malloc'd memory; NULL if memory runs out. *text_len (may be NULL) gets
 * the length without the NUL.
 */
char *tk_pem_encode(const char *label, const uint8_t *der, size_t len,
                    size_t *text_len);

/* ---- X.509 Names as text ------------------------------------------ */

/*
 * Parses a distinguished name, in either form:
 *
 *   /C=CZ/O=Acme Devices/CN=dev-0001    OpenSSL's, in DER order
 *   CN=dev-0001,O=Acme Devices,C=CZ     RFC 4514, last RDN first
 *
 * Attributes: CN, O, OU, C, L, ST, street, serialNumber, title,
 * emailAddress, DC, UID, by short or long name in any case, or a dotted
 * OID (UTF8String value, or "#" and the hex DER of the value). Values are
 * UTF8String, except C, serialNumber (PrintableString), emailAddress and
 * DC (IA5String). "\" escapes one character ("\,", "\/", "\\", "\+",
 * ...) or gives a byte as two hex digits. Spaces around names and values
 * are dropped unless escaped. Each RDN has one attribute: an unescaped
 * "+" is refused. Writes the Name's DER (SEQUENCE included) to der.
 */
int tk_name_parse(const char *text, uint8_t *der, size_t cap, size_t *len,
                  struct tk_err *e);

/*
 * The RFC 4514 text of a Name's DER, NUL-terminated in out. Attributes
 * this file does not know are shown by dotted OID. Returns -1 if the DER
 * is not a Name or the text does not fit (out then reads "?").
 */
int tk_name_format(const uint8_t *der, size_t len, char *out, size_t cap);

/* Enough room for tk_name_format() of any Name a certificate can hold. */
#define TK_NAME_TEXT_MAX (4 * 2048 + 1)

/* ---- EC public keys ------------------------------------------------- */

#define TK_CURVE_P256 23
#define TK_CURVE_P384 24
#define TK_SPKI_MAX 120

/* "p256", "P-256", "prime256v1", "secp256r1" and the P-384 names. */
unsigned tk_curve_parse(const char *name);

/* "P-256", "P-384", or NULL. */
const char *tk_curve_name(unsigned curve);

/* The DER SubjectPublicKeyInfo of an uncompressed point on curve. */
int tk_spki_from_point(unsigned curve, const uint8_t *point, size_t len,
                       uint8_t *out, size_t cap, size_t *out_len,
                       struct tk_err *e);

/*
 * Checks that der is the SubjectPublicKeyInfo of an EC P-256 or P-384
 * key whose point lies on its curve; *curve (may be NULL) gets it.
 */
int tk_spki_check(const uint8_t *der, size_t len, unsigned *curve,
                  struct tk_err *e);

/* ---- text for status ---------------------------------------------- */

#define TK_TIME_MAX 32

/*
 * "2026-12-03T14:00:00Z"; seconds outside years 0000-9999 are shown as
 * a number of seconds.
 */
void tk_format_time(int64_t t, char out[TK_TIME_MAX]);

/*
 * "AB:CD:..." as OpenSSL shows fingerprints; out needs 3 * len bytes
 * (len > 0).
 */
void tk_format_fingerprint(const uint8_t *h, size_t len, char *out);

/* ---- admin-signed updates (protocol/wd_admin.h) ------------------- */

/* The administrator's private key; wipe it with tk_admin_key_wipe(). */
struct tk_admin_key {
    br_ec_private_key sk;
    uint8_t x[BR_EC_KBUF_PRIV_MAX_SIZE];
};

/*
 * Reads an EC P-256 or P-384 private key from a PEM file ("EC PRIVATE
 * KEY" or "PRIVATE KEY", as openssl writes them) or a DER file.
 */
int tk_admin_key_read(const char *path, struct tk_admin_key *k,
                      struct tk_err *e);
void tk_admin_key_wipe(struct tk_admin_key *k);

/*
 * Builds the update for operation op (WD_ADMIN_OP_*) with payload, for
 * the device serial and counter (1 or more), signed with k, into out
 * (capacity cap, at most WD_MAX_MESSAGE are useful).
 */
int tk_update_make(const struct tk_admin_key *k, unsigned op,
                   const char *serial, uint64_t counter,
                   const uint8_t *payload, size_t payload_len, uint8_t *out,
                   size_t cap, size_t *out_len, struct tk_err *e);

/* An update's fields, read back; payload points into the buffer. */
struct tk_update {
    unsigned alg;
    unsigned op;
    char serial[33];
    uint64_t counter;
    const uint8_t *payload;
    size_t payload_len;
    size_t sig_len;
};

/*
 * Reads the layout of an update (source names it in messages). The
 * signature is the companion's to check: the host has no say in it.
 */
int tk_update_parse(const uint8_t *buf, size_t len, const char *source,
                    struct tk_update *u, struct tk_err *e);

/* What operation op does, or NULL for an unknown one. */
const char *tk_update_op_name(unsigned op);

/* ---- the provisioning config file --------------------------------- */

#define TK_CONF_LIST_MAX 16

/* Config keys; struct tk_config's line[] is indexed by them. */
enum tk_conf_key {
    TK_CONF_SERIAL,
    TK_CONF_CURVE,
    TK_CONF_ATTESTATION_CURVE,
    TK_CONF_SUBJECT,
    TK_CONF_ATTESTATION_SUBJECT,
    TK_CONF_SIGN_COMMAND,
    TK_CONF_ATTESTATION_SIGN_COMMAND,
    TK_CONF_OUTPUT_DIR,
    TK_CONF_CHAIN,
    TK_CONF_ROOTS,
    TK_CONF_ADMIN_KEY,
    TK_CONF_FIRMWARE_KEY,
    TK_CONF_LOCK,
    TK_CONF_KEYS
};

/*
 * What `warden provision` reads. Paths are already resolved against the
 * config file's folder. Strings are malloc'd; NULL when not given.
 */
struct tk_config {
    char *path; /* the config file, for messages */
    char *dir;  /* its folder */
    char *serial;
    unsigned curve;             /* device key; P-256 unless given */
    unsigned attestation_curve; /* P-256 unless given */
    char *subject;
    char *attestation_subject;
    char *sign_command;
    char *attestation_sign_command;
    char *output_dir; /* the config's folder unless given */
    char *chain[TK_CONF_LIST_MAX];
    size_t chain_count;
    char *roots[TK_CONF_LIST_MAX];
    size_t roots_count;
    char *admin_key;
    char *firmware_key;
    int lock;                    /* 0 unless "lock = yes" */
    unsigned line[TK_CONF_KEYS]; /* of each key, for messages; 0: absent */
};

/*
 * Parses config text (path names it in messages and gives the folder
 * that relative paths start from): "key = value" lines, blank lines,
 * and comment lines starting with "#". Unknown keys, a key given twice
 * (chain and roots may repeat: one path per line), a line without "=",
 * an empty value and a bad curve or yes/no are refused with the line
 * number. Nothing is checked against the file system here.
 */
int tk_config_parse(const char *text, size_t len, const char *path,
                    struct tk_config *c, struct tk_err *e);

/* Reads and parses the file at path. */
int tk_config_load(const char *path, struct tk_config *c, struct tk_err *e);

void tk_config_free(struct tk_config *c);

/* The config key's name, as written in the file. */
const char *tk_config_key_name(enum tk_conf_key key);

#endif
