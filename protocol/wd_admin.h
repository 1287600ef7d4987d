/*
 * Admin-signed updates: the encoding shared by the companion, which
 * checks them, and the warden tool, which makes them offline with the
 * administrator's private key. docs/protocol.md section 10 is the prose
 * version; keep them in step.
 *
 * An update is one byte string, the same in the update file and in the
 * ADMIN_UPDATE request (all integers big-endian):
 *
 *   0      4  magic             "WDU1"
 *   4      u8 signature alg     WD_ADMIN_SIG_*
 *   5      u8 operation         WD_ADMIN_OP_*
 *   6      u8 serial length S   1..WD_SERIAL_MAX
 *   7      S  serial            the one device it is for
 *   7+S    u64 counter          above the device's last accepted one
 *   15+S   u16 payload length P
 *   17+S   P  payload           per operation, below
 *   17+S+P u16 signature length L, 1..WD_ADMIN_SIG_MAX
 *   19+S+P L  signature         DER ECDSA-Sig-Value
 *
 * The signature is over WD_ADMIN_CONTEXT (its 22 bytes and a zero byte)
 * followed by bytes 0 to 17+S+P of the update: everything before the
 * signature length. The context keeps the admin key's signatures on
 * updates apart from anything else it may ever sign; each variable part
 * carries its own length, so no two different updates sign the same
 * bytes. Nothing may follow the signature.
 */
#ifndef WD_ADMIN_H
#define WD_ADMIN_H

#define WD_ADMIN_MAGIC "WDU1"
#define WD_ADMIN_MAGIC_LEN 4
#define WD_ADMIN_CONTEXT "warden admin update v1"
#define WD_ADMIN_CONTEXT_LEN 23 /* with its terminating zero byte */

/* Signature algorithms; the admin key's curve must match. */
#define WD_ADMIN_SIG_ECDSA_P256_SHA256 1
#define WD_ADMIN_SIG_ECDSA_P384_SHA384 2
#define WD_ADMIN_SIG_MAX 104 /* longest DER ECDSA signature (P-384) */

/* Fixed bytes of an update around serial, payload and signature. */
#define WD_ADMIN_FIXED_LEN 19

/*
 * Operations, X(name, code, summary). Payloads:
 *   ROOT_ADD      certificate DER            resp u8 root slot
 *   ROOT_REMOVE   SHA-256 of the root's DER  resp empty
 *   ROOT_REPLACE  SHA-256 of the old root's DER, new certificate DER
 *                                            resp u8 root slot
 *   POLICY_SET    u8 n, n x u16 cipher suites, u8 m, m x u16 groups
 *                                            resp empty
 *   KEY_ROTATE    u8 curve, subject Name DER resp CSR DER
 *   CERT_INSTALL  u8 index, certificate DER  resp empty
 *   TIME_FLOOR    u64 seconds since 1970     resp empty
 *   DECOMMISSION  empty                      resp empty
 */
#define WD_ADMIN_OP_LIST(X)                                                  \
    X(ROOT_ADD, 1, "add a root certificate")                                \
    X(ROOT_REMOVE, 2, "remove a root certificate")                          \
    X(ROOT_REPLACE, 3, "replace a root certificate")                        \
    X(POLICY_SET, 4, "set the TLS policy within the built-in one")          \
    X(KEY_ROTATE, 5, "generate a new device key and return its CSR")        \
    X(CERT_INSTALL, 6, "install a device certificate chain element")        \
    X(TIME_FLOOR, 7, "move the time floor forward")                         \
    X(DECOMMISSION, 8, "wipe the keys and retire the device")

enum wd_admin_op {
#define WD_X(name, code, summary) WD_ADMIN_OP_##name = code,
    WD_ADMIN_OP_LIST(WD_X)
#undef WD_X
};

/* ADMIN_STATUS response layout (big-endian). */
#define WD_ASTAT_COUNTER 0    /* u64: last accepted counter, 0 none yet */
#define WD_ASTAT_TIME_FLOOR 8 /* u64: floor in effect, seconds since 1970 */
#define WD_ASTAT_ADMIN_KEY 16 /* u8: curve of the admin key, 0 none */
#define WD_ASTAT_POLICY 17    /* stored policy as in POLICY_SET; none: */
#define WD_ASTAT_FIXED_LEN 17 /* (nothing follows) the built-in one */

/* Most entries of each POLICY_SET list (the built-in policy's size). */
#define WD_ADMIN_POLICY_MAX 8

#endif
