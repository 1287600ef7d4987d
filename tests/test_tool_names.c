/*
 * The warden tool's distinguished names, both ways: text in OpenSSL's
 * and RFC 4514's forms to DER (checked against DER that `openssl req
 * -subj` makes for the same subject), DER back to RFC 4514 text, round
 * trips, and every refusal the parser promises. Also the text forms
 * status prints: times and fingerprints.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "toolkit.h"

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    unsigned v;

    while (hex[0] != '\0' && hex[1] != '\0' && n < cap) {
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Parses text and checks the DER against want (hex). */
static void
parses_to(const char *text, const char *want_hex)
{
    uint8_t want[1024];
    uint8_t der[1024];
    struct tk_err e;
    size_t want_len = unhex(want_hex, want, sizeof(want));
    size_t len = 0;
    int rc;

    e.msg[0] = '\0';
    rc = tk_name_parse(text, der, sizeof(der), &len, &e);
    CHECK(rc == 0);
    CHECK(len == want_len);
    if (rc != 0 || len != want_len) {
        fprintf(stderr, "  parsing '%s': %s (%zu bytes)\n", text, e.msg, len);
        return;
    }
    CHECK_MEM(der, want, len);
}

/* Parses text, formats the DER and checks the text is want. */
static void
formats_to(const char *text, const char *want)
{
    static char out[TK_NAME_TEXT_MAX];
    uint8_t der[1024];
    uint8_t again[1024];
    struct tk_err e;
    size_t len = 0;
    size_t len2 = 0;

    CHECK(tk_name_parse(text, der, sizeof(der), &len, &e) == 0);
    CHECK(tk_name_format(der, len, out, sizeof(out)) == 0);
    CHECK(strcmp(out, want) == 0);
    if (strcmp(out, want) != 0) {
        fprintf(stderr, "  '%s' shows as '%s', expected '%s'\n", text, out,
                want);
    }
    /* The shown text reads back to the very same DER. */
    CHECK(tk_name_parse(out, again, sizeof(again), &len2, &e) == 0);
    CHECK(len2 == len);
    if (len2 == len) {
        CHECK_MEM(again, der, len);
    }
}

/* Parsing text fails with a message containing want. */
static void
refuses(const char *text, const char *want)
{
    uint8_t der[1024];
    struct tk_err e;
    size_t len = 99;

    e.msg[0] = '\0';
    CHECK(tk_name_parse(text, der, sizeof(der), &len, &e) == -1);
    CHECK(len == 0);
    CHECK(strstr(e.msg, want) != NULL);
    if (strstr(e.msg, want) == NULL) {
        fprintf(stderr, "  '%s': message '%s' lacks '%s'\n", text, e.msg, want);
    }
}

static void
test_openssl_vectors(void)
{
    /* openssl req -subj "/C=CZ/O=Acme Devices/CN=dev-0001" */
    static const char acme[] =
        "3037310b300906035504061302435a31153013060355040a0c0c41636d652044"
        "6576696365733111300f06035504030c086465762d30303031";
    /* .. -subj "/CN=a\/b, c/serialNumber=X1/emailAddress=a@b.c/DC=example
     *          /OU=Unit/L=Brno/ST=Morava" */
    static const char many[] =
        "307c310f300d06035504030c06612f622c2063310b3009060355040513025831"
        "3114301206092a864886f70d01090116056140622e6331173015060a09922689"
        "93f22c64011916076578616d706c65310d300b060355040b0c04556e6974310d"
        "300b06035504070c0442726e6f310f300d06035504080c064d6f72617661";

    parses_to("/C=CZ/O=Acme Devices/CN=dev-0001", acme);
    /* RFC 4514 lists the same RDNs last first. */
    parses_to("CN=dev-0001,O=Acme Devices,C=CZ", acme);
    parses_to("CN=dev-0001, O=Acme Devices, C=CZ", acme);
    parses_to("  cn = dev-0001 ,o=Acme Devices,  countryName=CZ  ", acme);
    parses_to("/C=CZ/organizationName=Acme Devices/commonName=dev-0001", acme);
    parses_to("/CN=a\\/b, c/serialNumber=X1/emailAddress=a@b.c/DC=example"
              "/OU=Unit/L=Brno/ST=Morava",
              many);
    parses_to("ST=Morava,L=Brno,OU=Unit,DC=example,emailAddress=a@b.c,"
              "serialNumber=X1,CN=a/b\\, c",
              many);
}

static void
test_escapes(void)
{
    /* \, \+ \\ \" \# \= \/ and a byte in hex, in both forms. */
    formats_to("CN=a\\,b", "CN=a\\,b");
    formats_to("/CN=a,b", "CN=a\\,b");
    formats_to("CN=1\\+1", "CN=1\\+1");
    formats_to("/CN=1+1", "CN=1\\+1");
    formats_to("CN=back\\\\slash", "CN=back\\\\slash");
    formats_to("CN=say \\\"hi\\\"", "CN=say \\\"hi\\\"");
    formats_to("CN=\\#1", "CN=\\#1");
    formats_to("CN=a\\=b", "CN=a=b");
    formats_to("/CN=x\\/y", "CN=x/y");
    formats_to("CN=\\41\\42c", "CN=ABc");
    formats_to("CN=semi;colon <x>", "CN=semi\\;colon \\<x\\>");
    /* Spaces kept only when escaped, at either end. */
    formats_to("CN=\\ padded\\ ", "CN=\\ padded\\ ");
    formats_to("CN=  trimmed  ", "CN=trimmed");
    formats_to("/CN=in side", "CN=in side");
}

static void
test_format(void)
{
    formats_to("/C=CZ/O=Acme Devices/CN=dev-0001",
               "CN=dev-0001,O=Acme Devices,C=CZ");
    formats_to("/DC=org/DC=example/UID=jdoe/title=Engineer/street=Main 1",
               "street=Main 1,title=Engineer,UID=jdoe,DC=example,DC=org");
    /* UTF-8 goes through as it is. */
    formats_to("/O=P\xc5\x99\xc3\xadli\xc5\xa1 \xc5\xbelu\xc5\xa5ou\xc4\x8dk"
               "\xc3\xbd k\xc5\xaf\xc5\x88",
               "O=P\xc5\x99\xc3\xadli\xc5\xa1 \xc5\xbelu\xc5\xa5ou\xc4\x8dk"
               "\xc3\xbd k\xc5\xaf\xc5\x88");
    /* Unknown attributes: dotted, a UTF8String as text, others as hex. */
    formats_to("/1.2.3.4=hello/CN=x", "CN=x,1.2.3.4=hello");
    formats_to("/2.999.1=#130141", "2.999.1=#130141");
    formats_to("CN=x,1.3.6.1.4.1.311.60.2.1.3=#1302435A",
               "CN=x,1.3.6.1.4.1.311.60.2.1.3=#1302435A");
}

/* DER made by hand: what other software may put in a certificate. */
static void
test_format_der(void)
{
    static char out[TK_NAME_TEXT_MAX];
    uint8_t der[256];
    size_t len;

    /* A multi-valued RDN: CN=a + O=b in one SET. */
    len = unhex("301a3118300806035504030c0161300c060355040a0c0562202b2063", der,
                sizeof(der));
    CHECK(tk_name_format(der, len, out, sizeof(out)) == 0);
    CHECK(strcmp(out, "CN=a+O=b \\+ c") == 0);

    /* CN as PrintableString and IA5String: shown as text. */
    len = unhex("301a310a30080603550403130161310c300a06035504031603782079", der,
                sizeof(der));
    CHECK(tk_name_format(der, len, out, sizeof(out)) == 0);
    CHECK(strcmp(out, "CN=x y,CN=a") == 0);

    /* A BMPString is not text we can show: hex. */
    len = unhex("300f310d300b060355040a1e0400410042", der, sizeof(der));
    CHECK(tk_name_format(der, len, out, sizeof(out)) == 0);
    CHECK(strcmp(out, "O=#1E0400410042") == 0);
    /* A leading '#' and a control byte are escaped. */
    len = unhex("300f310d300b06035504030c042361092e", der, sizeof(der));
    CHECK(tk_name_format(der, len, out, sizeof(out)) == 0);
    CHECK(strcmp(out, "CN=\\#a\\09.") == 0);

    /* The empty Name. */
    CHECK(tk_name_format((const uint8_t *)"\x30\x00", 2, out, sizeof(out)) ==
          0);
    CHECK(strcmp(out, "") == 0);

    /* Not Names: each gives -1 and "?". */
    len = unhex("3105300306035504", der, sizeof(der)); /* SET outside */
    CHECK(tk_name_format(der, len, out, sizeof(out)) == -1);
    CHECK(strcmp(out, "?") == 0);
    len = unhex("30083106300402000c00", der, sizeof(der)); /* no OID */
    CHECK(tk_name_format(der, len, out, sizeof(out)) == -1);
    len = unhex("3002310", der, sizeof(der)); /* truncated */
    CHECK(tk_name_format(der, len, out, sizeof(out)) == -1);
    len = unhex("30023100", der, sizeof(der)); /* empty RDN */
    CHECK(tk_name_format(der, len, out, sizeof(out)) == -1);
    len = unhex("300d310b300906035504030c02616200", der, sizeof(der));
    CHECK(tk_name_format(der, len, out, sizeof(out)) == -1);   /* trailing */
    len = unhex("300a31083006060280010c00", der, sizeof(der)); /* bad OID */
    CHECK(tk_name_format(der, len, out, sizeof(out)) == -1);

    /* Too small a buffer: -1, never a cut name. */
    len = unhex("3037310b300906035504061302435a31153013060355040a0c0c41636d65"
                "20446576696365733111300f06035504030c086465762d30303031",
                der, sizeof(der));
    CHECK(tk_name_format(der, len, out, 10) == -1);
    CHECK(strcmp(out, "?") == 0);
}

static void
test_refusals(void)
{
    uint8_t der[64];
    struct tk_err e;
    size_t len;
    char big[200];

    refuses("", "empty name");
    refuses("   ", "empty name");
    refuses("/", "empty attribute");
    refuses("/CN=a/", "empty attribute");
    refuses("CN=a,,O=b", "empty attribute");
    refuses("CN=a,", "empty attribute");
    refuses("/CN=", "empty value for CN");
    refuses("CN=  ,O=b", "empty value for CN");
    refuses("/CN", "has no '='");
    refuses("/=x", "no name before");
    refuses("/XX=a", "unknown attribute 'XX'");
    refuses("CN=a,Color=blue", "unknown attribute 'Color'");
    refuses("/1.2=x/9.1=y", "bad OID '9.1'");
    refuses("/1=x", "bad OID");
    refuses("/1.40=x", "bad OID");
    refuses("/1.2.=x", "bad OID");
    refuses("/1.02=x", "bad OID");
    refuses("CN=a+O=b", "multi-valued RDNs are not supported");
    refuses("/CN=a\\", "lone '\\'");
    refuses("/CN=a\\q", "bad escape '\\q'");
    refuses("/C=cz", "two-letter country code");
    refuses("/C=CZE", "two-letter country code");
    refuses("/serialNumber=A_1", "PrintableString");
    refuses("/emailAddress=j\xc3\xa9@x", "must be ASCII");
    refuses("/CN=\\0a", "control character 0x0a");
    refuses("/CN=\xff", "not valid UTF-8");
    refuses("/CN=\xc0\xaf", "not valid UTF-8"); /* overlong '/' */
    refuses("/CN=#zz", "hex digits only");
    refuses("/CN=#123", "even number");
    refuses("/CN=#0c05", "not one DER element");

    /* X.520 bounds, counted in characters, not bytes. */
    memset(big, 'a', sizeof(big));
    memcpy(big, "/CN=", 4);
    big[4 + 65] = '\0';
    refuses(big, "65 characters, at most 64");
    big[4 + 64] = '\0';
    CHECK(tk_name_parse(big, der, sizeof(der), &len, &e) == -1);
    CHECK(strstr(e.msg, "bytes of DER, at most 64") != NULL);
    {
        uint8_t room[512];

        CHECK(tk_name_parse(big, room, sizeof(room), &len, &e) == 0);
    }
}

static void
test_time(void)
{
    char t[TK_TIME_MAX];

    tk_format_time(0, t);
    CHECK(strcmp(t, "1970-01-01T00:00:00Z") == 0);
    tk_format_time(951782400, t); /* a leap day */
    CHECK(strcmp(t, "2000-02-29T00:00:00Z") == 0);
    tk_format_time(1798761599, t);
    CHECK(strcmp(t, "2026-12-31T23:59:59Z") == 0);
    tk_format_time(-1, t);
    CHECK(strcmp(t, "1969-12-31T23:59:59Z") == 0);
    tk_format_time(-2208988800LL, t);
    CHECK(strcmp(t, "1900-01-01T00:00:00Z") == 0);
    tk_format_time(253402300799LL, t); /* GeneralizedTime's last second */
    CHECK(strcmp(t, "9999-12-31T23:59:59Z") == 0);
    tk_format_time(253402300800LL, t);
    CHECK(strcmp(t, "253402300800 seconds") == 0);
}

static void
test_fingerprint(void)
{
    static const uint8_t h[3] = {0x0a, 0xbc, 0xff};
    char out[9];

    tk_format_fingerprint(h, sizeof(h), out);
    CHECK(strcmp(out, "0A:BC:FF") == 0);
}

int
main(void)
{
    test_openssl_vectors();
    test_escapes();
    test_format();
    test_format_der();
    test_refusals();
    test_time();
    test_fingerprint();
    return wt_finish("tool_names");
}
