/* Address extraction, normalisation and syntax check.
 *
 * lc_address_parse() takes the raw bytes of an address field, as they
 * appear in a CSV export, and returns the mailbox in it. The mailbox is
 * checked against the Mailbox rule of RFC 5321 section 4.1.2, with the
 * UTF-8 extensions of RFC 6531 for the local part. Its domain is returned
 * in the form DNS needs: lower case, international names as A-labels
 * (IDNA2008 with the UTS 46 non-transitional mapping, through libidn2).
 *
 * Extraction, in order: trim white space (ASCII, and Unicode spaces such
 * as NBSP, ideographic space, zero-width space and the byte order mark);
 * take the text
 * between the first '<' outside a quoted string and the next '>' when there
 * is one ("Name <addr>", "\"Last, First\" <addr>"); strip a "mailto:"
 * prefix in any case, cut its "?query" and decode its %XX escapes.
 *
 * The parser allocates nothing for ASCII domains, which keeps it fit for
 * millions of rows. Converting or validating an international domain goes
 * through libidn2, which allocates.
 */
#ifndef LC_ADDRESS_H
#define LC_ADDRESS_H

#include <stddef.h>

/* RFC 5321 4.5.3.1: local part, domain, and the path without its angle
 * brackets (256 octets for the reverse-path and forward-path minus 2). */
#define LC_ADDR_LOCAL_MAX 64
#define LC_ADDR_DOMAIN_MAX 255
#define LC_ADDR_PATH_MAX 254
/* Longer fields are rejected before extraction; no mailbox with a display
 * name needs this much. */
#define LC_ADDR_FIELD_MAX 4096

enum lc_addr_result {
  LC_ADDR_OK,
  LC_ADDR_EMPTY,  /* nothing but white space, "mailto:" or "<>" */
  LC_ADDR_INVALID /* text present, but no valid mailbox */
};

enum lc_addr_flag {
  /* The domain is an address literal ([192.0.2.1], [IPv6:2001:db8::1]).
   * Such an address is valid, but it has no MX to look up. */
  LC_ADDR_LITERAL = 1u << 0,
  /* The local part contains UTF-8: only servers that offer SMTPUTF8
   * (RFC 6531) accept it. */
  LC_ADDR_UTF8_LOCAL = 1u << 1,
  /* The local part is a quoted string ("john doe"@example.com). */
  LC_ADDR_QUOTED_LOCAL = 1u << 2,
  /* The domain was written with U-labels and converted to A-labels. */
  LC_ADDR_IDN = 1u << 3
};

struct lc_address {
  enum lc_addr_result result;
  /* Static text: "ok", "empty", or why the address is invalid (for logs
   * and debugging, not a stable interface). Never NULL. */
  const char *reason;
  unsigned flags; /* enum lc_addr_flag bits; 0 unless result is OK */
  /* "local@domain", NUL-terminated: the local part as written, the domain
   * lower case with A-labels. Empty unless result is OK. */
  char normalized[LC_ADDR_PATH_MAX + 1];
  size_t len;
  /* Point into normalized, so they are valid only as long as this struct
   * stays where it is; a copy must set them again. */
  const char *local;
  size_t local_len;
  const char *domain; /* NUL-terminated: it ends the normalized string */
  size_t domain_len;
};

/* Extract, normalise and check the mailbox in the LEN bytes at FIELD, which
 * may be any bytes (not NUL-terminated, not UTF-8, of any length). Fills
 * every member of *ADDR and returns addr->result. Keeps no state between
 * calls, so concurrent calls are safe. */
enum lc_addr_result lc_address_parse(const char *field, size_t len,
                                     struct lc_address *addr);

/* Normalise and check the domain (or address literal) in the LEN bytes at
 * IN: lower-case it, convert U-labels to A-labels and validate A-labels.
 * The label rules of RFC 5321 apply: LDH labels of 1 to 63 octets without
 * a leading or trailing hyphen, at least two labels, and a top-level label
 * that is not all digits. On success writes the result with a NUL to OUT,
 * which must hold LC_ADDR_DOMAIN_MAX + 1 bytes, stores its length in
 * *OUT_LEN, ORs LC_ADDR_LITERAL or LC_ADDR_IDN into *FLAGS and returns
 * NULL. Otherwise returns the static reason and leaves OUT unspecified. */
const char *lc_address_domain(const char *in, size_t len, char *out,
                              size_t *out_len, unsigned *flags);

/* Return the length of a valid UTF-8 sequence of 2 to 4 bytes starting at
 * S (at most LEN bytes available), or 0 when the bytes are not one
 * (overlong forms, surrogates and code points above U+10FFFF included).
 * Stores the code point in *CP on success. */
size_t lc_utf8_decode(const unsigned char *s, size_t len, unsigned *cp);

#endif
