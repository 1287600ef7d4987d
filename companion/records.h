/*
 * Record ids in the companion's store. Ids are stored on devices in the
 * field: never renumber one, only add.
 */
#ifndef WC_RECORDS_H
#define WC_RECORDS_H

#define WC_REC_LIFECYCLE 0x0001 /* u8, enum wd_lifecycle */
#define WC_REC_SERIAL 0x0002    /* serial number, printable ASCII */

/* Key pairs: private u8 curve + scalar (secret); public u8 curve + point. */
#define WC_REC_DEVICE_KEY 0x0010
#define WC_REC_DEVICE_PUB 0x0011
#define WC_REC_ATTEST_KEY 0x0012
#define WC_REC_ATTEST_PUB 0x0013

/* Certificates, DER. */
#define WC_REC_DEVICE_CERT(i) (0x0020 + (i)) /* 0 leaf, 1..3 intermediates */
#define WC_REC_ATTEST_CERT 0x0028
#define WC_REC_ROOT(i) (0x0030 + (i)) /* 0..7 */

/* Public keys that authorise things, DER SubjectPublicKeyInfo. */
#define WC_REC_ADMIN_KEY 0x0040
#define WC_REC_FIRMWARE_KEY 0x0041

/* What admin-signed updates keep (admin.h). */
#define WC_REC_ADMIN_COUNTER 0x0060 /* u64, last accepted update counter */
#define WC_REC_TIME_FLOOR 0x0061    /* u64 seconds since 1970, signed in */
#define WC_REC_POLICY 0x0062        /* POLICY_SET payload (wd_admin.h) */

#endif
