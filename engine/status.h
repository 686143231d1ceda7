/* The one status type of listclean.
 *
 * Functions that can fail return enum lc_status. Codes from libuv, c-ares,
 * OpenSSL, zstd and libc are translated once, where they are received, and a
 * message with the details is logged or stored there.
 */
#ifndef LC_STATUS_H
#define LC_STATUS_H

enum lc_status {
  LC_OK = 0,
  LC_ERR_NOMEM,    /* allocation failed */
  LC_ERR_INVALID,  /* invalid argument or value */
  LC_ERR_IO,       /* read or write failed */
  LC_ERR_FORMAT,   /* malformed input (CSV, zstd frame, reply, packet) */
  LC_ERR_NOTFOUND, /* file, name or entry not found */
  LC_ERR_TIMEOUT,
  LC_ERR_CLOSED, /* peer closed the connection */
  LC_ERR_TLS,
  LC_ERR_DNS,
  LC_ERR_LIMIT, /* a configured bound was reached */
  LC_ERR_CANCELED,
  LC_ERR_AGAIN, /* no data yet: try again once the source is readable */
  LC_ERR_INTERNAL
};

/* Return a short lower-case description of STATUS. Never NULL. */
const char *lc_strerror(enum lc_status status);

#endif
