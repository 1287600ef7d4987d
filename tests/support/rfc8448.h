/* RFC 8448 section 3 test vectors as hex strings; see rfc8448.c. */
#ifndef WT_RFC8448_H
#define WT_RFC8448_H

extern const char R8448_SH_REC[];
extern const char R8448_FLIGHT_REC[];
extern const char R8448_FIN_REC[];
extern const char R8448_TICKET_REC[];
extern const char R8448_CLIENT_APP_REC[];
extern const char R8448_SERVER_APP_REC[];
extern const char R8448_SERVER_ALERT_REC[];
extern const char R8448_CLIENT_ALERT_REC[];
extern const char R8448_EE[];
extern const char R8448_CERT[];
extern const char R8448_CV[];
extern const char R8448_SFIN[];
extern const char R8448_CFIN[];
extern const char R8448_NST[];
extern const char R8448_S_HS_KEY[];
extern const char R8448_S_HS_IV[];
extern const char R8448_C_HS_KEY[];
extern const char R8448_C_HS_IV[];
extern const char R8448_S_AP_KEY[];
extern const char R8448_S_AP_IV[];
extern const char R8448_C_AP_KEY[];
extern const char R8448_C_AP_IV[];

#endif
