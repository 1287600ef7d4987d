/*
 * What the warden tool's command files share: options, the command
 * table's entry, and the way errors are told. Each command prints its
 * errors as "warden: COMMAND: WHAT: WHY" on stderr and returns the exit
 * status: 0 success, 1 the companion, the bus or a file failed,
 * 2 the command line was wrong.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stdio.h>
#include <stdlib.h>

#include "toolkit.h"
#include "warden.h"

#define EXIT_USAGE 2

/* The options a command accepts, as a mask in struct command. */
#define OPT_BYTES 0x001       /* --hex, --raw */
#define OPT_ATTESTATION 0x002 /* --attestation */
#define OPT_CURVE 0x004       /* --curve NAME */
#define OPT_OUT 0x008         /* --out FILE */
#define OPT_SUBJECT 0x010     /* --subject NAME */
#define OPT_TARGET 0x020      /* --admin, --firmware */
#define OPT_CHECK 0x040       /* --check */
#define OPT_CERT_REF 0x080    /* --index N, --root N */
#define OPT_TLS 0x100         /* --alpn, --suite, --group, --name, --quiet */
#define OPT_ADMIN 0x200       /* --key FILE, --serial S, --counter N */

/* Parsed options; those a command does not take keep their defaults. */
struct tool_opts {
    const char *address;
    int raw;
    int attestation;
    unsigned curve; /* 0: not given */
    const char *out;
    const char *subject;
    unsigned target; /* WARDEN_PUBKEY_*, 0: not given */
    int check;
    int root; /* --root given: index is a root slot */
    int index_given;
    unsigned index;
    const char *alpn;   /* comma-separated ALPN protocols */
    const char *suites; /* comma-separated cipher suite names */
    const char *groups; /* comma-separated group names */
    const char *servername; /* --name: the name to check, not HOST */
    int quiet;
    const char *key;     /* the admin private key file */
    const char *serial;  /* the device an update is for */
    const char *counter; /* its counter, as given */
};

struct command {
    const char *name;
    int (*run)(const struct tool_opts *o, int argc, char **argv);
    void (*help)(FILE *out);
    unsigned options;
    int needs_address;
};

/* "warden: COMMAND: WHAT 'ARG'" and a hint; returns EXIT_USAGE. */
int tool_usage_error(const char *command, const char *what, const char *arg);

/* "warden: COMMAND: MESSAGE"; returns EXIT_FAILURE. */
int tool_fail(const char *command, const char *fmt, ...) TK_PRINTF(2, 3);

/* Opens the companion; on failure says why and returns the exit status. */
int tool_open(struct warden_dev *dev, const char *address);

/*
 * Secure boot for this program: reports the signature file next to its
 * executable (EXE.wsig) with configuration config ("" for none); what
 * came of it, in words, goes to what. Returns 1 if the device key is
 * unlocked for dev.
 */
int tool_secure_boot(struct warden_dev *dev, const char *config, char *what,
                     size_t whatlen);

/* The companion's status behind the last error, 0 for other errors. */
unsigned tool_status(const struct warden_dev *dev);

/*
 * Tells why a library call failed, "warden: COMMAND: WHAT: WHY" (what may
 * be NULL), explaining the companion's refusals in words; returns
 * EXIT_FAILURE.
 */
int tool_report(struct warden_dev *dev, const char *command, const char *what);

/*
 * Writes what is missing for LOCK ("serial number, admin key") into out,
 * from the companion's inventory; "" if nothing is, and "?" if the
 * inventory cannot be read.
 */
void tool_missing(struct warden_dev *dev, char *out, size_t cap);

/* Writes PEM of der to path, or to stdout when path is NULL. */
int tool_write_pem(const char *command, const char *path, const char *label,
                   const uint8_t *der, size_t len);

/* Commands, one function and one help text each. */
int run_status(const struct tool_opts *o, int argc, char **argv);
void usage_status(FILE *out);
int run_keygen(const struct tool_opts *o, int argc, char **argv);
void usage_keygen(FILE *out);
int run_pubkey(const struct tool_opts *o, int argc, char **argv);
void usage_pubkey(FILE *out);
int run_csr(const struct tool_opts *o, int argc, char **argv);
void usage_csr(FILE *out);
int run_install_cert(const struct tool_opts *o, int argc, char **argv);
void usage_install_cert(FILE *out);
int run_add_root(const struct tool_opts *o, int argc, char **argv);
void usage_add_root(FILE *out);
int run_install_key(const struct tool_opts *o, int argc, char **argv);
void usage_install_key(FILE *out);
int run_set_serial(const struct tool_opts *o, int argc, char **argv);
void usage_set_serial(FILE *out);
int run_lock(const struct tool_opts *o, int argc, char **argv);
void usage_lock(FILE *out);
int run_get_cert(const struct tool_opts *o, int argc, char **argv);
void usage_get_cert(FILE *out);
int run_provision(const struct tool_opts *o, int argc, char **argv);
void usage_provision(FILE *out);
int run_connect(const struct tool_opts *o, int argc, char **argv);
void usage_connect(FILE *out);
int run_sign_firmware(const struct tool_opts *o, int argc, char **argv);
void usage_sign_firmware(FILE *out);
int run_attest(const struct tool_opts *o, int argc, char **argv);
void usage_attest(FILE *out);
int run_admin(const struct tool_opts *o, int argc, char **argv);
void usage_admin(FILE *out);

#endif
