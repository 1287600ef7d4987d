/*
 * Command handlers, one file per group. Each reads a whole request
 * (chunks already gathered) and writes a whole response of at most
 * WD_MAX_MESSAGE bytes; the dispatcher does the framing.
 */
#ifndef WC_COMMANDS_H
#define WC_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "wc_companion.h"

typedef enum wd_status (*wc_handler)(struct wc_companion *c,
                                     const uint8_t *req, size_t req_len,
                                     uint8_t *resp, size_t *resp_len);

enum wd_status wc_cmd_get_info(struct wc_companion *c, const uint8_t *req,
                               size_t req_len, uint8_t *resp,
                               size_t *resp_len);
enum wd_status wc_cmd_get_random(struct wc_companion *c, const uint8_t *req,
                                 size_t req_len, uint8_t *resp,
                                 size_t *resp_len);
enum wd_status wc_cmd_echo(struct wc_companion *c, const uint8_t *req,
                           size_t req_len, uint8_t *resp, size_t *resp_len);

#define WC_HANDLER(name)                                                     \
    enum wd_status name(struct wc_companion *c, const uint8_t *req,          \
                        size_t req_len, uint8_t *resp, size_t *resp_len)

/* cmd_identity.c */
WC_HANDLER(wc_cmd_inventory);
WC_HANDLER(wc_cmd_key_public);
WC_HANDLER(wc_cmd_cert_info);
WC_HANDLER(wc_cmd_cert_read);

/* cmd_provision.c */
WC_HANDLER(wc_cmd_key_generate);
WC_HANDLER(wc_cmd_csr_create);
WC_HANDLER(wc_cmd_cert_install);
WC_HANDLER(wc_cmd_root_add);
WC_HANDLER(wc_cmd_pubkey_install);
WC_HANDLER(wc_cmd_serial_set);
WC_HANDLER(wc_cmd_lock);

/* cmd_tls.c */
WC_HANDLER(wc_cmd_tls_open);
WC_HANDLER(wc_cmd_tls_receive);
WC_HANDLER(wc_cmd_tls_flight);
WC_HANDLER(wc_cmd_tls_key_update);
WC_HANDLER(wc_cmd_tls_status);
WC_HANDLER(wc_cmd_tls_close);

/* cmd_admin.c */
WC_HANDLER(wc_cmd_admin_status);
WC_HANDLER(wc_cmd_admin_update);

/* cmd_boot.c */
WC_HANDLER(wc_cmd_boot);
WC_HANDLER(wc_cmd_attest);
WC_HANDLER(wc_cmd_reset);

/* Ends the TLS sessions that channel ch opened (NULL: every session). */
void wc_tls_release(struct wc_companion *c, const struct wc_channel *ch);

/* The lifecycle state in storage; 0 if it cannot be read. */
unsigned wc_lifecycle(const struct wc_companion *c);

/* What the companion holds, in the INVENTORY layout. */
void wc_inventory(const struct wc_companion *c, uint8_t inv[WD_INV_LEN]);

/* The record of certificate (kind, index); 0 if there is none such. */
uint16_t wc_cert_record(unsigned kind, unsigned index);

#endif
