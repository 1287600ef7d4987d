/*
 * Record ids in the companion's store. Ids are stored on devices in the
 * field: never renumber one, only add.
 */
#ifndef WC_RECORDS_H
#define WC_RECORDS_H

#define WC_REC_LIFECYCLE 0x0001 /* u8, enum wd_lifecycle */
#define WC_REC_SERIAL 0x0002    /* serial number, printable ASCII */

#endif
