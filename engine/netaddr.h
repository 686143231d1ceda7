/* IP address classification, parsing and formatting.
 *
 * The DNS module uses the class of each MX address to decide whether the
 * prober may connect to it. Public addresses are always usable. Loopback
 * and private ones are usable only when the user allows it, because test
 * worlds run on loopback. Link-local and unroutable ones never are.
 * IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d) are classified by their IPv4 part.
 */
#ifndef LC_NETADDR_H
#define LC_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engine/status.h"

enum lc_netaddr_class {
  LC_NETADDR_PUBLIC,
  LC_NETADDR_LOOPBACK,   /* 127.0.0.0/8, ::1 */
  LC_NETADDR_PRIVATE,    /* RFC 1918, 100.64.0.0/10, fc00::/7 */
  LC_NETADDR_LINK_LOCAL, /* 169.254.0.0/16, fe80::/10 */
  LC_NETADDR_UNROUTABLE  /* unspecified, reserved, multicast, broadcast,
                            documentation ranges, unknown family */
};

/* Longest text lc_netaddr_format() writes: "[" IPv6 "]:" port, NUL. */
#define LC_NETADDR_TEXT_MAX 56

/* Classify the address in SA (AF_INET or AF_INET6; the port is ignored).
 * Any other family is LC_NETADDR_UNROUTABLE. */
enum lc_netaddr_class lc_netaddr_classify(const struct sockaddr *sa);

/* Report whether a connection to an address of class CLS is allowed.
 * Public addresses always are, loopback and private ones only when
 * ALLOW_PRIVATE is true, and link-local and unroutable ones never. */
bool lc_netaddr_usable(enum lc_netaddr_class cls, bool allow_private);

/* Name of a class ("public", "loopback", ...). Never NULL. */
const char *lc_netaddr_class_name(enum lc_netaddr_class cls);

/* Parse an IPv4 or IPv6 literal without port ("192.0.2.1", "::1") into
 * *OUT with port PORT. Returns LC_ERR_INVALID for anything else and
 * leaves *OUT alone then. */
enum lc_status lc_netaddr_parse(const char *text, uint16_t port,
                                struct sockaddr_storage *out);

/* Parse "HOST[:PORT]" where HOST is an IPv4 literal, a bracketed IPv6
 * literal ("[::1]:53") or a bare IPv6 literal without port. DEFAULT_PORT
 * applies when no port is given. Ports must be 1..65535. Returns
 * LC_ERR_INVALID for anything else and leaves *OUT alone then. */
enum lc_status lc_netaddr_parse_hostport(const char *text,
                                         uint16_t default_port,
                                         struct sockaddr_storage *out);

/* Write SA as "1.2.3.4" or "2001:db8::1" (WITH_PORT false), or as
 * "1.2.3.4:53" or "[2001:db8::1]:53" (WITH_PORT true) into BUF of SIZE
 * bytes, truncating if needed. Returns BUF. */
char *lc_netaddr_format(const struct sockaddr *sa, bool with_port, char *buf,
                        size_t size);

#endif
