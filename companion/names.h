/*
 * Peer names and certificate names: the host name or IP address the host
 * connects to, SAN matching, and name constraints. See names.c.
 */
#ifndef WC_NAMES_H
#define WC_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* A parsed peer name: an IP address (ip_len 4 or 16) or a DNS name. */
struct wc_peer_name {
    uint8_t ip[16];
    size_t ip_len;
    const uint8_t *dns; /* points into the caller's string */
    size_t dns_len;
};

/*
 * Parses a textual IPv4 address, IPv6 address or DNS host name (LDH
 * labels, no trailing dot). Returns 0 or -1.
 */
int wc_peer_name_parse(struct wc_peer_name *pn, const char *name,
                       size_t len);

/*
 * 1 if a SAN entry names the peer: iPAddress bytes for an address,
 * dNSName (case-insensitive, one left-most "*" label) for a host name.
 * san is the contents of the GeneralNames SEQUENCE.
 */
int wc_san_matches(const uint8_t *san, size_t san_len,
                   const struct wc_peer_name *pn);

/*
 * 1 if every dNSName and iPAddress in san satisfies the NameConstraints
 * (its SEQUENCE contents); 0 if one does not, or the constraints are
 * malformed or use a name form this validator does not implement.
 */
int wc_name_constraints_allow(const uint8_t *nc, size_t nc_len,
                              const uint8_t *san, size_t san_len);

/*
 * The canonical text of an address of len 4 or 16 bytes: dotted decimal
 * (RFC 3986 3.2.2) or RFC 5952 4. Returns its length (no NUL), or 0 if
 * len or cap (at least 40) do not fit.
 */
size_t wc_ip_to_text(const uint8_t *ip, size_t len, char *out, size_t cap);

#endif
