#include "wc_errors.h"

const char *
wc_strerror(int err)
{
    switch (err) {
#define WC_X(name, code, message)                                            \
    case code:                                                               \
        return message;
        WC_ERROR_LIST(WC_X)
#undef WC_X
    }
    return "unknown error";
}
