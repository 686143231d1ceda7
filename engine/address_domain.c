/* Domain part of an address: host names, A-labels, U-labels and address
 * literals (RFC 5321 section 4.1.2 and 4.1.3, RFC 5890 for IDNA2008).
 *
 * ASCII names are checked without libidn2 unless a label starts with
 * "xn--"; that keeps the common case free of allocations. Names with
 * non-ASCII bytes are converted with idn2_lookup_u8() in non-transitional
 * UTS 46 mode, the mode browsers and mail providers use, so "Straße.de"
 * becomes "xn--strae-oqa.de" rather than "strasse.de".
 */
#include "engine/address.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define LABEL_MAX 63
/* UTF-8 input longer than this cannot map to a 255-octet A-label form:
 * every code point costs at least one Punycode character and at most four
 * UTF-8 bytes. */
#define IDN_INPUT_MAX (4 * LC_ADDR_DOMAIN_MAX)

static bool is_ldh(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static const char *check_label(const char *label, size_t len, bool *has_alabel)
{
  if (len == 0)
    return "consecutive dots in domain";
  if (len > LABEL_MAX)
    return "domain label longer than 63 octets";
  if (label[0] == '-' || label[len - 1] == '-')
    return "domain label starts or ends with a hyphen";
  if (len >= 4 && memcmp(label, "xn--", 4) == 0)
    *has_alabel = true;
  return NULL;
}

static bool all_digits(const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
  }
  return true;
}

/* Check the LDH label rules on a lower-case name. Sets *HAS_ALABEL when a
 * label starts with "xn--". */
static const char *check_labels(const char *s, size_t len, bool *has_alabel)
{
  size_t start = 0, labels = 0;
  const char *reason;

  /* IDNA mapping can leave nothing, e.g. of a lone soft hyphen. */
  if (len == 0)
    return "empty domain";
  if (len > LC_ADDR_DOMAIN_MAX)
    return "domain longer than 255 octets";
  if (s[0] == '.')
    return "domain starts with a dot";
  if (s[len - 1] == '.')
    return "domain ends with a dot";
  for (size_t i = 0; i <= len; i++) {
    if (i < len && s[i] != '.') {
      if (!is_ldh(s[i]))
        return "invalid character in domain";
      continue;
    }
    if ((reason = check_label(s + start, i - start, has_alabel)) != NULL)
      return reason;
    labels++;
    if (i < len)
      start = i + 1;
  }
  if (labels < 2)
    return "domain has a single label";
  if (all_digits(s + start, len - start))
    return "top-level domain is all digits";
  return NULL;
}

/* Convert or validate NAME (NUL-terminated) with libidn2 and copy the
 * A-label form to OUT. */
static const char *idn_convert(const char *name, char *out, size_t *out_len)
{
  uint8_t *res = NULL;
  size_t len;
  int rc;

  rc = idn2_lookup_u8((const uint8_t *)name, &res,
                      IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  if (rc == IDN2_TOO_BIG_DOMAIN)
    return "domain longer than 255 octets";
  if (rc == IDN2_TOO_BIG_LABEL || rc == IDN2_PUNYCODE_BIG_OUTPUT)
    return "domain label longer than 63 octets";
  if (rc != IDN2_OK)
    return "invalid international domain name";
  len = strlen((const char *)res);
  if (len > LC_ADDR_DOMAIN_MAX) {
    idn2_free(res);
    return "domain longer than 255 octets";
  }
  memcpy(out, res, len + 1);
  *out_len = len;
  idn2_free(res);
  return NULL;
}

/* Copy the LEN bytes at IN to OUT in lower case with a NUL. Returns false
 * at the first non-ASCII byte. */
static bool lower_ascii(const char *in, size_t len, char *out)
{
  for (size_t i = 0; i < len; i++) {
    char c = in[i];

    if ((unsigned char)c >= 0x80)
      return false;
    out[i] = (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
  }
  out[len] = '\0';
  return true;
}

static bool has_non_ascii(const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    if ((unsigned char)s[i] >= 0x80)
      return true;
  }
  return false;
}

/* Check the lower-case ASCII name of LEN bytes in OUT, which becomes the
 * result. */
static const char *domain_ascii(char *out, size_t len, size_t *out_len)
{
  bool has_alabel = false;
  const char *reason;

  *out_len = len;
  if ((reason = check_labels(out, len, &has_alabel)) != NULL)
    return reason;
  if (!has_alabel)
    return NULL;
  /* libidn2 decodes each A-label and applies the IDNA2008 rules to the
   * result, which rejects bad Punycode and disallowed code points. */
  if (idn_convert(out, out, out_len) != NULL)
    return "invalid A-label in domain";
  return check_labels(out, *out_len, &has_alabel);
}

static const char *domain_idn(const char *in, size_t len, char *out,
                              size_t *out_len)
{
  const unsigned char *s = (const unsigned char *)in;
  char name[IDN_INPUT_MAX + 1];
  bool has_alabel = false;
  const char *reason;
  unsigned cp;

  if (len > IDN_INPUT_MAX)
    return "domain longer than 255 octets";
  for (size_t i = 0; i < len; i++) {
    size_t n = 1;

    if (s[i] <= ' ' || s[i] == 0x7f)
      return "invalid character in domain";
    if (s[i] >= 0x80 && (n = lc_utf8_decode(s + i, len - i, &cp)) == 0)
      return "invalid UTF-8 in domain";
    i += n - 1;
  }
  memcpy(name, in, len);
  name[len] = '\0';
  if ((reason = idn_convert(name, out, out_len)) != NULL)
    return reason;
  /* Without the STD3 rules UTS 46 passes characters such as '_' through;
   * the LDH check rejects them. */
  return check_labels(out, *out_len, &has_alabel);
}

/* RFC 5321 IPv4-address-literal: four Snum of 1 to 3 digits, 0 to 255. */
static bool is_ipv4(const char *s, size_t len)
{
  size_t parts = 0, digits = 0;
  unsigned value = 0;

  for (size_t i = 0; i <= len; i++) {
    if (i < len && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (unsigned)(s[i] - '0');
      if (++digits > 3 || value > 255)
        return false;
      continue;
    }
    if ((i < len && s[i] != '.') || digits == 0)
      return false;
    parts++;
    digits = 0;
    value = 0;
  }
  return parts == 4;
}

/* RFC 5321 IPv6-addr. inet_pton() checks the form; RFC 5321 also wants
 * "::" to stand for at least two groups, so at most six groups may be
 * written around it (four when an IPv4 part follows). */
static bool is_ipv6(const char *s, size_t len)
{
  char buf[INET6_ADDRSTRLEN];
  unsigned char addr[16];
  size_t groups = 0;

  /* inet_pton() would stop at an embedded NUL and accept the prefix. */
  if (len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
    return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (inet_pton(AF_INET6, buf, addr) != 1)
    return false;
  if (strstr(buf, "::") == NULL)
    return true;
  for (size_t i = 0; i < len; i++) {
    size_t end = i;

    if (s[i] == ':')
      continue;
    while (end < len && s[end] != ':')
      end++;
    /* A dotted IPv4 part stands for two 16-bit groups. */
    groups += memchr(s + i, '.', end - i) != NULL ? 2 : 1;
    i = end;
  }
  return groups <= 6;
}

static const char *domain_literal(const char *in, size_t len, char *out,
                                  size_t *out_len, unsigned *flags)
{
  const char *body = in + 1;
  size_t n, prefix = 0;

  if (len < 2 || in[len - 1] != ']')
    return "unterminated address literal";
  n = len - 2;
  if (n >= 5 && strncasecmp(body, "IPv6:", 5) == 0) {
    if (!is_ipv6(body + 5, n - 5))
      return "invalid IPv6 address literal";
    prefix = 5;
  } else if (memchr(body, ':', n) != NULL) {
    return "unsupported address literal";
  } else if (!is_ipv4(body, n)) {
    return "invalid IPv4 address literal";
  }
  /* Fits: an IPv6 literal is at most 5 + 45 + 2 octets. */
  memcpy(out, prefix ? "[IPv6:" : "[", prefix + 1);
  for (size_t i = prefix; i < n; i++)
    out[i + 1] =
        (char)((body[i] >= 'A' && body[i] <= 'Z') ? body[i] | 0x20 : body[i]);
  memcpy(out + n + 1, "]", 2);
  *out_len = len;
  *flags |= LC_ADDR_LITERAL;
  return NULL;
}

const char *lc_address_domain(const char *in, size_t len, char *out,
                              size_t *out_len, unsigned *flags)
{
  const char *reason;

  if (len == 0)
    return "empty domain";
  if (in[0] == '[')
    return domain_literal(in, len, out, out_len, flags);
  if (len <= LC_ADDR_DOMAIN_MAX && lower_ascii(in, len, out))
    return domain_ascii(out, len, out_len);
  if (!has_non_ascii(in, len))
    return "domain longer than 255 octets";
  if ((reason = domain_idn(in, len, out, out_len)) == NULL)
    *flags |= LC_ADDR_IDN;
  return reason;
}
