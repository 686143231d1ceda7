/* Address extraction, normalisation and syntax: one TAP line per case.
 *
 * Each table row is a field as a CSV export may hold it and the exact
 * result, reason, normalized address and flags expected. Length limits
 * are built at run time, and a randomised test checks that any bytes are
 * handled and that normalizing is idempotent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/address.h"

#define OK LC_ADDR_OK
#define EMPTY LC_ADDR_EMPTY
#define INVALID LC_ADDR_INVALID
#define LIT LC_ADDR_LITERAL
#define UTF8 LC_ADDR_UTF8_LOCAL
#define QUOTED LC_ADDR_QUOTED_LOCAL
#define IDN LC_ADDR_IDN

struct addr_case {
  const char *name;
  const char *input;
  size_t len; /* 0: strlen(input) */
  enum lc_addr_result result;
  const char *normalized; /* "" unless OK */
  unsigned flags;
  const char *reason;
};

/* Rows with a NUL byte give their length; the rest use strlen(). */
static const struct addr_case cases[] = {
    /* Plain addresses and RFC 3696 section 3 examples */
    {"plain", "john@example.com", 0, OK, "john@example.com", 0, "ok"},
    {"domain lower-cased", "John.Doe@EXAMPLE.COM", 0, OK,
     "John.Doe@example.com", 0, "ok"},
    {"subdomain and ccTLD", "a@mail.example.co.uk", 0, OK,
     "a@mail.example.co.uk", 0, "ok"},
    {"plus tag", "user+tag@example.com", 0, OK, "user+tag@example.com", 0,
     "ok"},
    {"all atext specials", "!#$%&'*+-/=?^_`{|}~@example.com", 0, OK,
     "!#$%&'*+-/=?^_`{|}~@example.com", 0, "ok"},
    {"rfc3696 slash equals", "customer/department=shipping@example.com", 0, OK,
     "customer/department=shipping@example.com", 0, "ok"},
    {"rfc3696 dollar", "$A12345@example.com", 0, OK, "$A12345@example.com", 0,
     "ok"},
    {"rfc3696 bang percent", "!def!xyz%abc@example.com", 0, OK,
     "!def!xyz%abc@example.com", 0, "ok"},
    {"rfc3696 underscore", "_somename@example.com", 0, OK,
     "_somename@example.com", 0, "ok"},
    {"digits local", "1234567890@example.com", 0, OK, "1234567890@example.com",
     0, "ok"},
    {"hyphen in label", "a@my-domain.example", 0, OK, "a@my-domain.example", 0,
     "ok"},
    {"digit labels", "a@1.2.3.com", 0, OK, "a@1.2.3.com", 0, "ok"},
    {"shortest", "a@b.co", 0, OK, "a@b.co", 0, "ok"},
    {"dotted local", "first.middle.last@example.com", 0, OK,
     "first.middle.last@example.com", 0, "ok"},
    {"local case kept", "MiXeD@Example.Org", 0, OK, "MiXeD@example.org", 0,
     "ok"},
    {"double hyphen label", "a@ab--cd.example.com", 0, OK,
     "a@ab--cd.example.com", 0, "ok"},

    /* Dots */
    {"leading dot local", ".john@example.com", 0, INVALID, "", 0,
     "local part starts with a dot"},
    {"trailing dot local", "john.@example.com", 0, INVALID, "", 0,
     "local part ends with a dot"},
    {"double dot local", "jo..hn@example.com", 0, INVALID, "", 0,
     "consecutive dots in local part"},
    {"only dot local", ".@example.com", 0, INVALID, "", 0,
     "local part starts with a dot"},
    {"leading dot domain", "a@.example.com", 0, INVALID, "", 0,
     "domain starts with a dot"},
    {"trailing dot domain", "a@example.com.", 0, INVALID, "", 0,
     "domain ends with a dot"},
    {"double dot domain", "a@example..com", 0, INVALID, "", 0,
     "consecutive dots in domain"},

    /* Quoted local parts */
    {"quoted space", "\"john doe\"@example.com", 0, OK,
     "\"john doe\"@example.com", QUOTED, "ok"},
    {"quoted at sign", "\"a@b\"@example.com", 0, OK, "\"a@b\"@example.com",
     QUOTED, "ok"},
    {"quoted escaped quote", "\"a\\\"b\"@example.com", 0, OK,
     "\"a\\\"b\"@example.com", QUOTED, "ok"},
    {"quoted escaped backslash", "\"a\\\\b\"@example.com", 0, OK,
     "\"a\\\\b\"@example.com", QUOTED, "ok"},
    {"quoted double dot", "\"john..doe\"@example.com", 0, OK,
     "\"john..doe\"@example.com", QUOTED, "ok"},
    {"quoted comma", "\"Abc,def\"@example.com", 0, OK,
     "\"Abc,def\"@example.com", QUOTED, "ok"},
    {"quoted angle", "\"a<b\"@example.com", 0, OK, "\"a<b\"@example.com",
     QUOTED, "ok"},
    {"quoted utf8", "\"jos\xc3\xa9\"@example.com", 0, OK,
     "\"jos\xc3\xa9\"@example.com", QUOTED | UTF8, "ok"},
    {"quoted empty", "\"\"@example.com", 0, INVALID, "", 0,
     "empty quoted local part"},
    {"quoted unterminated", "\"abc@example.com", 0, INVALID, "", 0,
     "unterminated quoted local part"},
    {"quoted then text", "\"abc\"def@example.com", 0, INVALID, "", 0,
     "text after quoted local part"},
    {"quoted then dot atom", "\"abc\".def@example.com", 0, INVALID, "", 0,
     "text after quoted local part"},
    {"quoted tab", "\"a\tb\"@example.com", 0, INVALID, "", 0,
     "invalid character in quoted local part"},
    {"quoted bad escape", "\"a\\\x01\"@example.com", 0, INVALID, "", 0,
     "invalid escape in quoted local part"},
    {"quoted escape at end", "\"ab\\\"@example.com", 0, INVALID, "", 0,
     "unterminated quoted local part"},

    /* Invalid characters and missing parts */
    {"space in local", "john doe@example.com", 0, INVALID, "", 0,
     "invalid character in local part"},
    {"comma in local", "a,b@example.com", 0, INVALID, "", 0,
     "invalid character in local part"},
    {"two at signs", "a@b@example.com", 0, INVALID, "", 0,
     "invalid character in local part"},
    {"comment in local", "john(work)@example.com", 0, INVALID, "", 0,
     "invalid character in local part"},
    {"missing at", "johnexample.com", 0, INVALID, "", 0, "missing '@'"},
    {"empty local", "@example.com", 0, INVALID, "", 0, "empty local part"},
    {"only at", "@", 0, INVALID, "", 0, "empty local part"},
    {"empty domain", "john@", 0, INVALID, "", 0, "empty domain"},
    {"single label", "john@localhost", 0, INVALID, "", 0,
     "domain has a single label"},
    {"numeric tld", "john@example.123", 0, INVALID, "", 0,
     "top-level domain is all digits"},
    {"bare ipv4", "john@192.168.0.1", 0, INVALID, "", 0,
     "top-level domain is all digits"},
    {"underscore in domain", "a@ex_ample.com", 0, INVALID, "", 0,
     "invalid character in domain"},
    {"space in domain", "john@exam ple.com", 0, INVALID, "", 0,
     "invalid character in domain"},
    {"label leading hyphen", "a@-example.com", 0, INVALID, "", 0,
     "domain label starts or ends with a hyphen"},
    {"label trailing hyphen", "a@example-.com", 0, INVALID, "", 0,
     "domain label starts or ends with a hyphen"},

    /* Address literals */
    {"ipv4 literal", "a@[192.0.2.1]", 0, OK, "a@[192.0.2.1]", LIT, "ok"},
    {"ipv6 literal", "a@[IPv6:2001:db8::1]", 0, OK, "a@[IPv6:2001:db8::1]", LIT,
     "ok"},
    {"ipv6 literal case", "a@[ipv6:2001:DB8::1]", 0, OK, "a@[IPv6:2001:db8::1]",
     LIT, "ok"},
    {"ipv6 full form", "a@[IPv6:2001:db8:0:0:0:0:0:1]", 0, OK,
     "a@[IPv6:2001:db8:0:0:0:0:0:1]", LIT, "ok"},
    {"ipv6 with ipv4", "a@[IPv6:::ffff:192.0.2.1]", 0, OK,
     "a@[IPv6:::ffff:192.0.2.1]", LIT, "ok"},
    {"ipv6 compressed one group", "a@[IPv6:1:2:3:4:5:6::7]", 0, INVALID, "", 0,
     "invalid IPv6 address literal"},
    {"ipv6 bad digit", "a@[IPv6:2001:db8::g]", 0, INVALID, "", 0,
     "invalid IPv6 address literal"},
    {"ipv6 without tag", "a@[2001:db8::1]", 0, INVALID, "", 0,
     "unsupported address literal"},
    {"general literal", "a@[x400:c=us]", 0, INVALID, "", 0,
     "unsupported address literal"},
    {"ipv4 octet 256", "a@[192.0.2.256]", 0, INVALID, "", 0,
     "invalid IPv4 address literal"},
    {"ipv4 three parts", "a@[192.0.2]", 0, INVALID, "", 0,
     "invalid IPv4 address literal"},
    {"ipv4 empty part", "a@[192..2.1]", 0, INVALID, "", 0,
     "invalid IPv4 address literal"},
    {"literal unterminated", "a@[192.0.2.1", 0, INVALID, "", 0,
     "unterminated address literal"},
    {"literal bracket only", "a@[", 0, INVALID, "", 0,
     "unterminated address literal"},

    /* International domain names (IDNA2008, UTS 46 non-transitional) */
    {"idn buecher",
     "info@b\xc3\xbc"
     "cher.de",
     0, OK, "info@xn--bcher-kva.de", IDN, "ok"},
    {"idn upper case",
     "x@B\xc3\x9c"
     "CHER.DE",
     0, OK, "x@xn--bcher-kva.de", IDN, "ok"},
    {"idn sharp s kept",
     "x@stra\xc3\x9f"
     "e.de",
     0, OK, "x@xn--strae-oqa.de", IDN, "ok"},
    {"idn ideographic dot",
     "x@b\xc3\xbc"
     "cher\xe3\x80\x82"
     "de",
     0, OK, "x@xn--bcher-kva.de", IDN, "ok"},
    {"idn cyrillic",
     "x@\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
     "\xd1\x80\xd1\x84",
     0, OK, "x@xn--e1afmkfd.xn--p1ai", IDN, "ok"},
    {"idn accent", "x@caf\xc3\xa9.fr", 0, OK, "x@xn--caf-dma.fr", IDN, "ok"},
    {"idn emoji rejected", "x@\xf0\x9f\x92\xa9.la", 0, INVALID, "", 0,
     "invalid international domain name"},
    {"idn latin1 bytes",
     "x@b\xfc"
     "cher.de",
     0, INVALID, "", 0, "invalid UTF-8 in domain"},
    {"idn overlong utf8", "x@\xc0\xae.com", 0, INVALID, "", 0,
     "invalid UTF-8 in domain"},
    {"idn underscore",
     "x@b\xc3\xbc"
     "cher_x.de",
     0, INVALID, "", 0, "invalid character in domain"},
    {"alabel valid", "x@xn--bcher-kva.de", 0, OK, "x@xn--bcher-kva.de", 0,
     "ok"},
    {"alabel upper case", "x@XN--BCHER-KVA.DE", 0, OK, "x@xn--bcher-kva.de", 0,
     "ok"},
    {"alabel tld", "x@xn--e1afmkfd.xn--p1ai", 0, OK, "x@xn--e1afmkfd.xn--p1ai",
     0, "ok"},
    {"alabel bad punycode", "x@xn--zz.de", 0, INVALID, "", 0,
     "invalid A-label in domain"},
    {"alabel empty", "x@xn--.de", 0, INVALID, "", 0,
     "domain label starts or ends with a hyphen"},
    {"alabel disallowed", "x@xn--ls8h.la", 0, INVALID, "", 0,
     "invalid A-label in domain"},

    /* UTF-8 local parts (RFC 6531, valid only with SMTPUTF8) */
    {"eai latin", "jos\xc3\xa9@example.com", 0, OK, "jos\xc3\xa9@example.com",
     UTF8, "ok"},
    {"eai chinese with idn",
     "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad"
     "\x90.\xe5\xb9\xbf\xe5\x91\x8a",
     0, OK, "\xe7\x94\xa8\xe6\x88\xb7@xn--fsqu00a.xn--4rr70v", UTF8 | IDN,
     "ok"},
    {"eai latin1 byte", "jos\xe9@example.com", 0, INVALID, "", 0,
     "invalid UTF-8 in local part"},
    {"eai surrogate", "\xed\xa0\x80@example.com", 0, INVALID, "", 0,
     "invalid UTF-8 in local part"},
    {"eai truncated", "ab\xc3@example.com", 0, INVALID, "", 0,
     "invalid UTF-8 in local part"},
    {"eai nbsp inside", "jo\xc2\xa0hn@example.com", 0, INVALID, "", 0,
     "invalid character in local part"},
    {"eai c1 control", "jo\xc2\x85hn@example.com", 0, INVALID, "", 0,
     "invalid character in local part"},

    /* Garbage bytes */
    {"nul in local", "jo\0hn@example.com", 17, INVALID, "", 0,
     "invalid character in local part"},
    {"nul in domain", "john@exa\0mple.com", 17, INVALID, "", 0,
     "invalid character in domain"},
    {"nul in idn domain", "x@b\xc3\xbc\0cher.de", 13, INVALID, "", 0,
     "invalid character in domain"},
    {"control char", "jo\x01hn@example.com", 0, INVALID, "", 0,
     "invalid character in local part"},
    {"delete char", "a\x7f@example.com", 0, INVALID, "", 0,
     "invalid character in local part"},
    {"binary junk", "\xff\xfe\x00\x01", 4, INVALID, "", 0, "missing '@'"},
    {"html junk", "<b>john@example.com</b>", 0, INVALID, "", 0,
     "text after '>'"},

    /* White space */
    {"empty field", "", 0, EMPTY, "", 0, "empty"},
    {"spaces only", "   ", 0, EMPTY, "", 0, "empty"},
    {"tabs and newlines", "\t\r\n", 0, EMPTY, "", 0, "empty"},
    {"nbsp only", "\xc2\xa0", 0, EMPTY, "", 0, "empty"},
    {"surrounding spaces", "  john@example.com\t", 0, OK, "john@example.com", 0,
     "ok"},
    {"surrounding nbsp", "\xc2\xa0john@example.com\xc2\xa0", 0, OK,
     "john@example.com", 0, "ok"},
    {"byte order mark", "\xef\xbb\xbfjohn@example.com", 0, OK,
     "john@example.com", 0, "ok"},
    {"zero width space", "john@example.com\xe2\x80\x8b", 0, OK,
     "john@example.com", 0, "ok"},
    {"ideographic space", "\xe3\x80\x80john@example.com", 0, OK,
     "john@example.com", 0, "ok"},
    {"crlf at end", "john@example.com\r\n", 0, OK, "john@example.com", 0, "ok"},
    {"trailing latin1 nbsp", "john@example.com\xa0", 0, INVALID, "", 0,
     "invalid UTF-8 in domain"},

    /* mailto: URIs (RFC 6068) */
    {"mailto", "mailto:john@example.com", 0, OK, "john@example.com", 0, "ok"},
    {"mailto upper case", "MAILTO:john@example.com", 0, OK, "john@example.com",
     0, "ok"},
    {"mailto query", "mailto:john@example.com?subject=Hi%20there", 0, OK,
     "john@example.com", 0, "ok"},
    {"mailto escape", "mailto:john%2Bdoe@example.com", 0, OK,
     "john+doe@example.com", 0, "ok"},
    {"mailto utf8 escape", "mailto:x@b%C3%BCcher.de", 0, OK,
     "x@xn--bcher-kva.de", IDN, "ok"},
    {"mailto bad escape", "mailto:john%2@example.com", 0, INVALID, "", 0,
     "invalid percent-encoding in mailto URI"},
    {"mailto cut escape", "mailto:john@example.com%4", 0, INVALID, "", 0,
     "invalid percent-encoding in mailto URI"},
    {"mailto empty", "mailto:", 0, EMPTY, "", 0, "empty"},
    {"mailto in angle", "<mailto:john@example.com>", 0, OK, "john@example.com",
     0, "ok"},

    /* Display names */
    {"angle only", "<john@example.com>", 0, OK, "john@example.com", 0, "ok"},
    {"name and angle", "John Doe <john@example.com>", 0, OK, "john@example.com",
     0, "ok"},
    {"quoted name comma", "\"Doe, John\" <john@example.com>", 0, OK,
     "john@example.com", 0, "ok"},
    {"quoted name angle", "\"A <b>\" <john@example.com>", 0, OK,
     "john@example.com", 0, "ok"},
    {"spaces inside angle", "John < john@example.com >", 0, OK,
     "john@example.com", 0, "ok"},
    {"angle then comment", "<john@example.com> (work)", 0, OK,
     "john@example.com", 0, "ok"},
    {"angle missing close", "John <john@example.com", 0, INVALID, "", 0,
     "missing '>'"},
    {"two mailboxes", "<a@example.com>, <b@example.com>", 0, INVALID, "", 0,
     "text after '>'"},
    {"empty angle", "John <>", 0, EMPTY, "", 0, "empty"},
    {"at in name", "john@old.example <john@example.com>", 0, OK,
     "john@example.com", 0, "ok"},
    {"angle quoted local", "<\"john doe\"@example.com>", 0, OK,
     "\"john doe\"@example.com", QUOTED, "ok"},
    {"angle quoted gt", "<\"a>b\"@example.com>", 0, OK, "\"a>b\"@example.com",
     QUOTED, "ok"},
    {"name and idn",
     "M\xc3\xbcller <m@b\xc3\xbc"
     "cher.de>",
     0, OK, "m@xn--bcher-kva.de", IDN, "ok"},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Check what every result must satisfy, whatever the input. */
static void assert_consistent(const struct lc_address *addr)
{
  assert_non_null(addr->reason);
  assert_int_equal(addr->len, strlen(addr->normalized));
  if (addr->result != LC_ADDR_OK) {
    assert_int_equal(addr->len, 0);
    assert_int_equal(addr->flags, 0);
    return;
  }
  assert_true(addr->len <= LC_ADDR_PATH_MAX);
  assert_true(addr->local_len >= 1 && addr->local_len <= LC_ADDR_LOCAL_MAX);
  assert_ptr_equal(addr->local, addr->normalized);
  assert_int_equal(addr->normalized[addr->local_len], '@');
  assert_ptr_equal(addr->domain, addr->normalized + addr->local_len + 1);
  assert_int_equal(addr->local_len + 1 + addr->domain_len, addr->len);
}

static void run_case(void **state)
{
  const struct addr_case *c = *state;
  size_t len = c->len ? c->len : strlen(c->input);
  struct lc_address addr;

  assert_int_equal(lc_address_parse(c->input, len, &addr), c->result);
  assert_int_equal(addr.result, c->result);
  assert_string_equal(addr.reason, c->reason);
  assert_string_equal(addr.normalized, c->normalized);
  assert_int_equal(addr.flags, c->flags);
  assert_consistent(&addr);
}

/* Parse S (NUL-terminated) and check result, reason and length. */
static void expect(const char *s, enum lc_addr_result result,
                   const char *reason, size_t normalized_len)
{
  struct lc_address addr;

  assert_int_equal(lc_address_parse(s, strlen(s), &addr), result);
  assert_string_equal(addr.reason, reason);
  assert_int_equal(addr.len, normalized_len);
  assert_consistent(&addr);
}

/* Write LEN copies of C to BUF and return the end. */
static char *fill(char *buf, char c, size_t len)
{
  memset(buf, c, len);
  return buf + len;
}

static void local_64_octets(void **state)
{
  char buf[128], *p;

  (void)state;
  p = fill(buf, 'a', 64);
  strcpy(p, "@example.com");
  expect(buf, LC_ADDR_OK, "ok", 64 + 12);
  p = fill(buf, 'a', 65);
  strcpy(p, "@example.com");
  expect(buf, LC_ADDR_INVALID, "local part longer than 64 octets", 0);
}

static void quoted_local_limit(void **state)
{
  char buf[128], *p;

  (void)state;
  buf[0] = '"';
  p = fill(buf + 1, 'a', 62);
  strcpy(p, "\"@example.com");
  expect(buf, LC_ADDR_OK, "ok", 64 + 12);
  p = fill(buf + 1, 'a', 63);
  strcpy(p, "\"@example.com");
  expect(buf, LC_ADDR_INVALID, "local part longer than 64 octets", 0);
}

static void label_63_octets(void **state)
{
  char buf[128], *p;

  (void)state;
  p = fill(buf, 'a', 1);
  *p++ = '@';
  p = fill(p, 'b', 63);
  strcpy(p, ".com");
  expect(buf, LC_ADDR_OK, "ok", 2 + 63 + 4);
  p = fill(buf + 2, 'b', 64);
  strcpy(p, ".com");
  expect(buf, LC_ADDR_INVALID, "domain label longer than 63 octets", 0);
}

/* Build an address of TOTAL octets with a LOCAL_LEN-octet local part and a
 * domain of labels of at most 63 octets that ends in ".com". */
static void build_path(char *buf, size_t local_len, size_t total)
{
  size_t rest = total - local_len - 1 - 4; /* octets before ".com" */
  char *p = fill(buf, 'a', local_len);

  *p++ = '@';
  while (rest > 0) {
    /* Never end on a dot: 64 octets left become 62, a dot and 1. */
    size_t label = rest == 64 ? 62 : (rest > 63 ? 63 : rest);

    p = fill(p, 'b', label);
    rest -= label;
    if (rest > 0) {
      *p++ = '.';
      rest--;
    }
  }
  strcpy(p, ".com");
}

static void path_254_octets(void **state)
{
  char buf[512];

  (void)state;
  build_path(buf, 64, 254);
  assert_int_equal(strlen(buf), 254);
  expect(buf, LC_ADDR_OK, "ok", 254);
  build_path(buf, 64, 255);
  assert_int_equal(strlen(buf), 255);
  expect(buf, LC_ADDR_INVALID, "address longer than 254 octets", 0);
}

static void domain_over_255(void **state)
{
  char buf[512];

  (void)state;
  build_path(buf, 1, 1 + 1 + 256);
  assert_int_equal(strlen(buf), 258);
  expect(buf, LC_ADDR_INVALID, "domain longer than 255 octets", 0);
}

static void idn_too_long(void **state)
{
  char buf[2048], *p = buf;

  (void)state;
  p += sprintf(p, "x@");
  for (int label = 0; label < 6; label++) {
    for (int i = 0; i < 50; i++)
      p += sprintf(p, "\xc3\xbc");
    *p++ = '.';
  }
  strcpy(p, "de");
  expect(buf, LC_ADDR_INVALID, "domain longer than 255 octets", 0);
  p = buf + sprintf(buf, "x@");
  for (int i = 0; i < 70; i++)
    p += sprintf(p, "\xc3\xbc");
  strcpy(p, ".de");
  expect(buf, LC_ADDR_INVALID, "domain label longer than 63 octets", 0);
}

static void huge_fields(void **state)
{
  size_t big = (size_t)1 << 20;
  char *buf = malloc(big);
  struct lc_address addr;

  (void)state;
  assert_non_null(buf);
  memset(buf, ' ', big);
  assert_int_equal(lc_address_parse(buf, big, &addr), LC_ADDR_EMPTY);
  memset(buf, 'a', big);
  memcpy(buf + big - 12, "@example.com", 12);
  assert_int_equal(lc_address_parse(buf, big, &addr), LC_ADDR_INVALID);
  assert_string_equal(addr.reason, "field longer than 4096 bytes");
  memset(buf, 0xff, big);
  assert_int_equal(lc_address_parse(buf, big, &addr), LC_ADDR_INVALID);
  free(buf);
}

static uint32_t next_random(uint32_t *seed)
{
  *seed = *seed * 1103515245u + 12345u;
  return *seed >> 16;
}

/* Write a random field to BUF (48 bytes): a plausible address with a few
 * bytes replaced by ones that matter to the parser. Returns its length. */
static size_t random_field(char *buf, uint32_t *seed)
{
  static const char nasty[] = "aZ09.@\"\\<>[]: \t+-_%\x80\xc3\xbc\xff\0";
  static const char plain[] = "abcxyz019-.";
  size_t len = 0, parts = 2 + next_random(seed) % 3;

  for (size_t part = 0; part < parts; part++) {
    size_t n = 1 + next_random(seed) % 8;

    for (size_t i = 0; i < n; i++)
      buf[len++] = plain[next_random(seed) % (sizeof(plain) - 1)];
    buf[len++] = part == 0 ? '@' : '.';
  }
  len--;
  for (uint32_t edits = next_random(seed) % 3; edits > 0; edits--)
    buf[next_random(seed) % len] =
        nasty[next_random(seed) % (sizeof(nasty) - 1)];
  return len;
}

/* Every result must be consistent, and an OK result must parse again to
 * the same address. */
static void random_fields(void **state)
{
  uint32_t seed = 12345;
  size_t ok = 0, invalid = 0;
  char field[48];

  (void)state;
  for (int round = 0; round < 200000; round++) {
    size_t len = random_field(field, &seed);
    struct lc_address addr, again;

    lc_address_parse(field, len, &addr);
    assert_consistent(&addr);
    if (addr.result != LC_ADDR_OK) {
      invalid++;
      continue;
    }
    ok++;
    assert_int_equal(lc_address_parse(addr.normalized, addr.len, &again),
                     LC_ADDR_OK);
    assert_string_equal(again.normalized, addr.normalized);
    assert_int_equal(again.flags, addr.flags & ~(unsigned)LC_ADDR_IDN);
  }
  /* Both outcomes must be common, or the generator tests little. */
  assert_true(ok > 10000);
  assert_true(invalid > 10000);
}

static void utf8_decode(void **state)
{
  unsigned cp = 0;

  (void)state;
  assert_int_equal(lc_utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp),
                   2);
  assert_int_equal(cp, 0xe9);
  assert_int_equal(
      lc_utf8_decode((const unsigned char *)"\xf0\x9f\x92\xa9", 4, &cp), 4);
  assert_int_equal(cp, 0x1f4a9);
  assert_int_equal(
      lc_utf8_decode((const unsigned char *)"\xe0\x80\x80", 3, &cp), 0);
  assert_int_equal(
      lc_utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
  assert_int_equal(lc_utf8_decode((const unsigned char *)"\xe2\x82", 2, &cp),
                   0);
  assert_int_equal(lc_utf8_decode((const unsigned char *)"a", 1, &cp), 0);
}

static const struct CMUnitTest fixed_tests[] = {
    cmocka_unit_test(local_64_octets), cmocka_unit_test(quoted_local_limit),
    cmocka_unit_test(label_63_octets), cmocka_unit_test(path_254_octets),
    cmocka_unit_test(domain_over_255), cmocka_unit_test(idn_too_long),
    cmocka_unit_test(huge_fields),     cmocka_unit_test(random_fields),
    cmocka_unit_test(utf8_decode),
};

int main(void)
{
  size_t n_fixed = sizeof(fixed_tests) / sizeof(fixed_tests[0]);
  struct CMUnitTest *tests = calloc(N_CASES + n_fixed, sizeof(*tests));
  int failed;

  if (tests == NULL)
    return 1;
  for (size_t i = 0; i < N_CASES; i++) {
    tests[i].name = cases[i].name;
    tests[i].test_func = run_case;
    tests[i].initial_state = (void *)(uintptr_t)&cases[i];
  }
  memcpy(tests + N_CASES, fixed_tests, sizeof(fixed_tests));
  failed =
      _cmocka_run_group_tests("address", tests, N_CASES + n_fixed, NULL, NULL);
  free(tests);
  return failed;
}
