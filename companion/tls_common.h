/*
 * What the TLS 1.3 handshake authority (tls13_client.c) and the TLS 1.2
 * one (tls12_client.c) share: the checks and the chain validation are
 * the same for both versions, so they exist once. Private to those two
 * files.
 */
#ifndef WC_TLS_COMMON_H
#define WC_TLS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "tls13_client.h"
#include "tls_codec.h"

#define WC_TLS12 0x0303
#define WC_TLS13 0x0304

/* Handshake message types both versions use (RFC 5246 7.4, 8446 4). */
#define WC_HS_HELLO_REQUEST 0
#define WC_HS_CERTIFICATE 11
#define WC_HS_CERTIFICATE_REQUEST 13
#define WC_HS_CERTIFICATE_VERIFY 15
#define WC_HS_FINISHED 20

/* Signature schemes the policy allows for handshake signatures. */
#define WC_SIG_ECDSA_P256_SHA256 0x0403
#define WC_SIG_ECDSA_P384_SHA384 0x0503

/*
 * Ends a session: wipes its secrets, keeps what to send the server and
 * why (for TLS_STATUS). Returns WD_STATUS_TLS_FAILED.
 */
enum wd_status wc_tls_fail(struct wc_tls_session *s, uint8_t alert,
                           uint8_t reason);

/*
 * RFC 7301 3.1: the server's ALPN extension data names one protocol we
 * offered; it is kept for TLS_STATUS. Returns WD_STATUS_OK, or fails
 * the session.
 */
enum wd_status wc_tls_alpn_answer(struct wc_tls_session *s,
                                  struct wc_tls_reader *data);

/*
 * 1 if the session offers a suite of TLS 1.2 (tls12 set) or of TLS 1.3
 * (tls12 0): the host may have narrowed the offer to one version.
 */
int wc_tls_offers(const struct wc_tls_session *s, int tls12);

/* 1 if v is one of the n entries of list. */
int wc_tls_listed(const uint16_t *list, size_t n, unsigned v);

/* 1 the second time an extension type shows up in one message. */
int wc_tls_repeated(uint64_t *seen, unsigned type);

/* Our key share for group, from the ClientHello, or NULL. */
struct wc_ecdhe_key *wc_tls_share_for(struct wc_tls_session *s, unsigned group);

/* The scheme the device key signs with, or 0 if there is no key. */
unsigned wc_tls_device_scheme(const struct wc_companion *c);

/*
 * Validates the server's chain (leaf first, n certificates) against the
 * stored roots for the session's name and keeps the leaf's ECDSA key in
 * s->server_key. Returns WD_STATUS_OK, or fails the session.
 */
enum wd_status wc_tls_check_chain(struct wc_companion *c,
                                  struct wc_tls_session *s,
                                  const struct wc_der_cert *chain, unsigned n);

/*
 * Checks an ECDSA signature by the server's leaf key over msg, with an
 * offered scheme that fits the key (in TLS 1.2, any offered scheme: its
 * code points name only the hash). Returns WD_STATUS_OK, or fails the
 * session (illegal_parameter for the scheme, decrypt_error for the
 * signature).
 */
enum wd_status wc_tls_check_server_signature(struct wc_tls_session *s,
                                             unsigned scheme,
                                             const uint8_t *msg, size_t msg_len,
                                             const uint8_t *sig,
                                             size_t sig_len);

/*
 * TLS 1.2 (tls12_client.c). The ServerHello, once tls13_client.c found
 * no supported_versions in it (RFC 8446 4.2.1: the server speaks 1.2 or
 * older); random, session id, suite and compression are its fields.
 */
enum wd_status wc_tls12_server_hello(struct wc_tls_session *s,
                                     const uint8_t *msg, size_t len,
                                     unsigned version, const uint8_t *random,
                                     const uint8_t *sid, size_t sid_len,
                                     unsigned suite, unsigned compression,
                                     struct wc_tls_reader *exts, uint8_t *out,
                                     size_t *out_len);

/*
 * Every later server handshake message of a TLS 1.2 session, as
 * wc_tls_receive() gets it: type, the whole message and its body.
 */
enum wd_status wc_tls12_receive(struct wc_companion *c,
                                struct wc_tls_session *s, unsigned type,
                                const uint8_t *msg, size_t len,
                                struct wc_tls_reader *body, uint8_t *out,
                                size_t cap, size_t *out_len, uint8_t *flight,
                                size_t flight_cap);

/* 1 if suite is one of the TLS 1.2 suites of the policy. */
int wc_tls12_suite(unsigned suite);

#endif
