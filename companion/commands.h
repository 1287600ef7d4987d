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

/* The lifecycle state in storage; 0 if it cannot be read. */
unsigned wc_lifecycle(const struct wc_companion *c);

#endif
