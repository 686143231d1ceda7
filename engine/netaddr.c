/* IP address classification, parsing and formatting.
 *
 * Classification walks two small prefix tables, one per family, of
 * special-purpose ranges that are not globally routable. An address in
 * none of them is public.
 */
#include "engine/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct v4_range {
  uint32_t prefix; /* host byte order */
  unsigned bits;
  enum lc_netaddr_class cls;
};

struct v6_range {
  uint8_t prefix[16];
  unsigned bits;
  enum lc_netaddr_class cls;
};

#define V4(a, b, c, d)                                                         \
  (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) |      \
   (uint32_t)(d))

static const struct v4_range v4_ranges[] = {
    {V4(0, 0, 0, 0), 8, LC_NETADDR_UNROUTABLE}, /* "this network" */
    {V4(10, 0, 0, 0), 8, LC_NETADDR_PRIVATE},
    {V4(100, 64, 0, 0), 10, LC_NETADDR_PRIVATE}, /* carrier-grade NAT */
    {V4(127, 0, 0, 0), 8, LC_NETADDR_LOOPBACK},
    {V4(169, 254, 0, 0), 16, LC_NETADDR_LINK_LOCAL},
    {V4(172, 16, 0, 0), 12, LC_NETADDR_PRIVATE},
    {V4(192, 0, 2, 0), 24, LC_NETADDR_UNROUTABLE}, /* TEST-NET-1 */
    {V4(192, 168, 0, 0), 16, LC_NETADDR_PRIVATE},
    {V4(198, 18, 0, 0), 15, LC_NETADDR_UNROUTABLE},   /* benchmarking */
    {V4(198, 51, 100, 0), 24, LC_NETADDR_UNROUTABLE}, /* TEST-NET-2 */
    {V4(203, 0, 113, 0), 24, LC_NETADDR_UNROUTABLE},  /* TEST-NET-3 */
    {V4(224, 0, 0, 0), 4, LC_NETADDR_UNROUTABLE},     /* multicast */
    /* Reserved, and contains the limited broadcast 255.255.255.255. */
    {V4(240, 0, 0, 0), 4, LC_NETADDR_UNROUTABLE},
};

static const struct v6_range v6_ranges[] = {
    {{0}, 128, LC_NETADDR_UNROUTABLE}, /* :: */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
     128,
     LC_NETADDR_LOOPBACK},
    {{0xfc}, 7, LC_NETADDR_PRIVATE}, /* unique local */
    {{0xfe, 0x80}, 10, LC_NETADDR_LINK_LOCAL},
    {{0xfe, 0xc0}, 10, LC_NETADDR_PRIVATE}, /* deprecated site-local */
    {{0xff}, 8, LC_NETADDR_UNROUTABLE},     /* multicast */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, LC_NETADDR_UNROUTABLE}, /* documentation */
};

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};

static const char *const class_names[] = {"public", "loopback", "private",
                                          "link-local", "unroutable"};

static enum lc_netaddr_class classify_v4(uint32_t addr)
{
  for (size_t i = 0; i < sizeof(v4_ranges) / sizeof(v4_ranges[0]); i++) {
    uint32_t mask = ~(uint32_t)0 << (32 - v4_ranges[i].bits);
    if ((addr & mask) == v4_ranges[i].prefix)
      return v4_ranges[i].cls;
  }
  return LC_NETADDR_PUBLIC;
}

static bool v6_prefix_match(const uint8_t *addr, const struct v6_range *r)
{
  unsigned full = r->bits / 8;
  unsigned rest = r->bits % 8;

  if (memcmp(addr, r->prefix, full) != 0)
    return false;
  if (rest == 0)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (addr[full] & mask) == (r->prefix[full] & mask);
}

static enum lc_netaddr_class classify_v6(const uint8_t *addr)
{
  if (memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0)
    return classify_v4(V4(addr[12], addr[13], addr[14], addr[15]));
  for (size_t i = 0; i < sizeof(v6_ranges) / sizeof(v6_ranges[0]); i++) {
    if (v6_prefix_match(addr, &v6_ranges[i]))
      return v6_ranges[i].cls;
  }
  return LC_NETADDR_PUBLIC;
}

enum lc_netaddr_class lc_netaddr_classify(const struct sockaddr *sa)
{
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
    return classify_v4(ntohl(sin->sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
    return classify_v6(sin6->sin6_addr.s6_addr);
  }
  return LC_NETADDR_UNROUTABLE;
}

bool lc_netaddr_usable(enum lc_netaddr_class cls, bool allow_private)
{
  switch (cls) {
  case LC_NETADDR_PUBLIC:
    return true;
  case LC_NETADDR_LOOPBACK:
  case LC_NETADDR_PRIVATE:
    return allow_private;
  case LC_NETADDR_LINK_LOCAL:
  case LC_NETADDR_UNROUTABLE:
    return false;
  }
  return false;
}

const char *lc_netaddr_class_name(enum lc_netaddr_class cls)
{
  if ((unsigned)cls >= sizeof(class_names) / sizeof(class_names[0]))
    return "unknown";
  return class_names[cls];
}

enum lc_status lc_netaddr_parse(const char *text, uint16_t port,
                                struct sockaddr_storage *out)
{
  struct sockaddr_in sin;
  struct sockaddr_in6 sin6;

  memset(&sin, 0, sizeof(sin));
  memset(&sin6, 0, sizeof(sin6));
  if (inet_pton(AF_INET, text, &sin.sin_addr) == 1) {
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    memset(out, 0, sizeof(*out));
    memcpy(out, &sin, sizeof(sin));
    return LC_OK;
  }
  if (inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1) {
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    memset(out, 0, sizeof(*out));
    memcpy(out, &sin6, sizeof(sin6));
    return LC_OK;
  }
  return LC_ERR_INVALID;
}

/* Parse the decimal port in TEXT (1..65535, digits only). */
static bool parse_port(const char *text, uint16_t *port)
{
  unsigned long value = 0;

  if (*text == '\0' || strlen(text) > 5)
    return false;
  for (const char *p = text; *p != '\0'; p++) {
    if (*p < '0' || *p > '9')
      return false;
    value = value * 10 + (unsigned long)(*p - '0');
  }
  if (value == 0 || value > 65535)
    return false;
  *port = (uint16_t)value;
  return true;
}

/* Split TEXT into HOST (copied to BUF) and the port text after it.
 * Returns false when the brackets or colons do not form HOST[:PORT]. */
static bool split_hostport(const char *text, char *buf, size_t size,
                           const char **port_text)
{
  const char *host = text;
  size_t host_len;

  *port_text = NULL;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (close == NULL || (close[1] != '\0' && close[1] != ':'))
      return false;
    host = text + 1;
    host_len = (size_t)(close - host);
    if (close[1] == ':')
      *port_text = close + 2;
  } else {
    const char *colon = strchr(text, ':');
    host_len = strlen(text);
    /* One colon separates a port; more than one is a bare IPv6 literal. */
    if (colon != NULL && strchr(colon + 1, ':') == NULL) {
      host_len = (size_t)(colon - text);
      *port_text = colon + 1;
    }
  }
  if (host_len == 0 || host_len >= size)
    return false;
  memcpy(buf, host, host_len);
  buf[host_len] = '\0';
  return true;
}

enum lc_status lc_netaddr_parse_hostport(const char *text,
                                         uint16_t default_port,
                                         struct sockaddr_storage *out)
{
  char host[INET6_ADDRSTRLEN + 1];
  const char *port_text;
  uint16_t port = default_port;
  struct sockaddr_storage addr;

  if (!split_hostport(text, host, sizeof(host), &port_text))
    return LC_ERR_INVALID;
  if (port_text != NULL && !parse_port(port_text, &port))
    return LC_ERR_INVALID;
  /* A bracketed host must be IPv6. That an IPv6 host followed by a port
   * is bracketed is already enforced by split_hostport(). */
  if (text[0] == '[' && strchr(host, ':') == NULL)
    return LC_ERR_INVALID;
  if (lc_netaddr_parse(host, port, &addr) != LC_OK)
    return LC_ERR_INVALID;
  *out = addr;
  return LC_OK;
}

char *lc_netaddr_format(const struct sockaddr *sa, bool with_port, char *buf,
                        size_t size)
{
  char host[INET6_ADDRSTRLEN];
  unsigned port = 0;
  bool v6 = false;

  host[0] = '\0';
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
    port = ntohs(sin->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
    port = ntohs(sin6->sin6_port);
    v6 = true;
  } else {
    snprintf(host, sizeof(host), "(family %d)", sa->sa_family);
  }
  if (!with_port)
    snprintf(buf, size, "%s", host);
  else if (v6)
    snprintf(buf, size, "[%s]:%u", host, port);
  else
    snprintf(buf, size, "%s:%u", host, port);
  return buf;
}
