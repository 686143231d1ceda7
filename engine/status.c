/* Descriptions of the lc_status codes. */
#include "engine/status.h"

const char *lc_strerror(enum lc_status status)
{
  switch (status) {
  case LC_OK:
    return "success";
  case LC_ERR_NOMEM:
    return "out of memory";
  case LC_ERR_INVALID:
    return "invalid value";
  case LC_ERR_IO:
    return "input/output error";
  case LC_ERR_FORMAT:
    return "malformed data";
  case LC_ERR_NOTFOUND:
    return "not found";
  case LC_ERR_TIMEOUT:
    return "timed out";
  case LC_ERR_CLOSED:
    return "connection closed by peer";
  case LC_ERR_TLS:
    return "TLS failure";
  case LC_ERR_DNS:
    return "DNS failure";
  case LC_ERR_LIMIT:
    return "limit reached";
  case LC_ERR_CANCELED:
    return "canceled";
  case LC_ERR_AGAIN:
    return "no data yet";
  case LC_ERR_INTERNAL:
    return "internal error";
  }
  return "unknown error";
}
