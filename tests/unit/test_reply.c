/* Unit tests of the SMTP reply parser (engine/reply.c).
 *
 * Every case of the table is parsed three ways: in one call, split in two
 * at every byte position, and one byte per call. All three must give the
 * same status, reply and consumed count. Hostile inputs (over-long lines,
 * too many lines, NUL, lone CR, bad codes, invalid UTF-8) are in the table
 * or built by the tests at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/reply.h"

enum {
  EXT_STARTTLS = 1,
  EXT_PIPELINING = 2,
  EXT_SMTPUTF8 = 4,
  EXT_8BITMIME = 8,
  EXT_SIZE = 16
};

struct parse_case {
  const char *name;
  const char *input;
  size_t len; /* 0: strlen(input) */
  enum lc_status status;
  int code;
  const char *enhanced;
  const char *text;
  unsigned lines;
  unsigned ext;    /* EXT_* flags expected */
  size_t consumed; /* 0: the whole input */
};

#define GMAIL_550                                                              \
  "550-5.1.1 The email account that you tried to reach does not exist. "       \
  "Please try\r\n"                                                             \
  "550-5.1.1 double-checking the recipient's email address for typos or\r\n"   \
  "550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUs"  \
  "er a1-20020a17 - gsmtp\r\n"

#define EHLO_REPLY                                                             \
  "250-mx.example.org Hello [127.0.0.1]\r\n"                                   \
  "250-PIPELINING\r\n"                                                         \
  "250-SIZE 35882577\r\n"                                                      \
  "250-8BITMIME\r\n"                                                           \
  "250-STARTTLS\r\n"                                                           \
  "250-ENHANCEDSTATUSCODES\r\n"                                                \
  "250 SMTPUTF8\r\n"

static struct parse_case parse_cases[] = {
    {"simple CRLF", "250 OK\r\n", 0, LC_OK, 250, "", "OK", 1, 0, 0},
    {"simple bare LF", "250 OK\n", 0, LC_OK, 250, "", "OK", 1, 0, 0},
    {"code without text", "250\r\n", 0, LC_OK, 250, "", "", 1, 0, 0},
    {"code and space only", "354 \r\n", 0, LC_OK, 354, "", "", 1, 0, 0},
    {"gmail multi-line", GMAIL_550, 0, LC_OK, 550, "5.1.1",
     "The email account that you tried to reach does not exist. Please try", 3,
     0, 0},
    {"ehlo keywords", EHLO_REPLY, 0, LC_OK, 250, "",
     "mx.example.org Hello [127.0.0.1]", 7,
     EXT_STARTTLS | EXT_PIPELINING | EXT_SMTPUTF8 | EXT_8BITMIME | EXT_SIZE, 0},
    {"ehlo keywords lower case", "250-x\r\n250-starttls\r\n250 Size 100\r\n", 0,
     LC_OK, 250, "", "x", 3, EXT_STARTTLS | EXT_SIZE, 0},
    {"ehlo keyword on first line", "250 STARTTLS\r\n", 0, LC_OK, 250, "",
     "STARTTLS", 1, 0, 0},
    {"ehlo keyword prefix only", "250-x\r\n250-STARTTLSX\r\n250 SIZE-1\r\n", 0,
     LC_OK, 250, "", "x", 3, 0, 0},
    {"ehlo keyword in 220", "220-x\r\n220 STARTTLS\r\n", 0, LC_OK, 220, "", "x",
     2, 0, 0},
    {"multi-line bare final", "250-a\r\n250\r\n", 0, LC_OK, 250, "", "a", 2, 0,
     0},
    {"mixed line endings", "250-a\n250-b\r\n250 c\n", 0, LC_OK, 250, "", "a", 3,
     0, 0},
    {"pipelined first reply", "250 a\r\n251 b\r\n", 0, LC_OK, 250, "", "a", 1,
     0, 7},
    {"enhanced code", "250 2.1.5 Ok\r\n", 0, LC_OK, 250, "2.1.5", "Ok", 1, 0,
     0},
    {"enhanced code alone", "550 5.1.1\r\n", 0, LC_OK, 550, "5.1.1", "", 1, 0,
     0},
    {"enhanced three digits", "550 5.123.456 x\r\n", 0, LC_OK, 550, "5.123.456",
     "x", 1, 0, 0},
    {"enhanced 5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound\r\n", 0,
     LC_OK, 550, "5.1.10", "RESOLVER.ADR.RecipientNotFound", 1, 0, 0},
    {"enhanced class mismatch", "550 4.1.1 x\r\n", 0, LC_OK, 550, "", "4.1.1 x",
     1, 0, 0},
    {"enhanced class mismatch 4xx", "450 5.7.1 x\r\n", 0, LC_OK, 450, "",
     "5.7.1 x", 1, 0, 0},
    {"enhanced four digits", "550 5.1234.1 x\r\n", 0, LC_OK, 550, "",
     "5.1234.1 x", 1, 0, 0},
    {"enhanced glued to text", "550 5.1.1x\r\n", 0, LC_OK, 550, "", "5.1.1x", 1,
     0, 0},
    {"enhanced missing detail", "550 5.1. x\r\n", 0, LC_OK, 550, "", "5.1. x",
     1, 0, 0},
    {"enhanced empty subject", "550 5..1 x\r\n", 0, LC_OK, 550, "", "5..1 x", 1,
     0, 0},
    {"blanks trimmed", "550  5.1.1 \t text \t \r\n", 0, LC_OK, 550, "5.1.1",
     "text", 1, 0, 0},
    {"enhanced only on first line", "550-x\r\n550 5.1.1 y\r\n", 0, LC_OK, 550,
     "", "x", 2, 0, 0},
    {"control characters", "550 a\tb\x01\x1b[31mc\x7f\r\n", 0, LC_OK, 550, "",
     "a?b??[31mc?", 1, 0, 0},
    {"utf-8 kept",
     "550 Benutzer unbekannt \xc3\xa4 \xe2\x82\xac \xf0\x9f\x93"
     "\xa7\r\n",
     0, LC_OK, 550, "",
     "Benutzer unbekannt \xc3\xa4 \xe2\x82\xac \xf0\x9f\x93\xa7", 1, 0, 0},
    {"utf-8 garbage", "550 \xff\xfe bad \xc3\x28 \x80\xbf end\r\n", 0, LC_OK,
     550, "", "?? bad ?( ?? end", 1, 0, 0},
    {"utf-8 overlong", "550 \xc0\xaf \xe0\x80\xaf \xf0\x80\x80\xaf\r\n", 0,
     LC_OK, 550, "", "?? ??? ????", 1, 0, 0},
    {"utf-8 surrogate", "550 \xed\xa0\x80 \xf4\x90\x80\x80\r\n", 0, LC_OK, 550,
     "", "??? ????", 1, 0, 0},
    {"utf-8 c1 control",
     "550 a\xc2\x85"
     "b\xc2\xa0"
     "c\r\n",
     0, LC_OK, 550, "",
     "a?b\xc2\xa0"
     "c",
     1, 0, 0},
    {"utf-8 truncated sequence", "550 a\xe2\x82\r\n", 0, LC_OK, 550, "", "a??",
     1, 0, 0},

    {"empty line", "\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"two digits", "25\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"four digits", "2500 x\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"letters", "abc def\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"letter in code", "25a x\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"first digit 1", "199 x\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"first digit 6", "600 x\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"second digit 6", "260 x\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"leading space", " 250 x\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"tab separator", "250\tx\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"code mismatch", "250-a\r\n251 b\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0,
     0, 0},
    {"bad continuation line", "250-a\r\nxyz\r\n", 0, LC_ERR_FORMAT, 0, NULL,
     NULL, 0, 0, 0},
    {"nul byte", "250 o\0k\r\n", 9, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"nul in code", "2\00050 ok\r\n", 9, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"lone CR in text", "250 a\rb\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0,
     0},
    {"CR CR LF", "250 ok\r\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL, 0, 0, 0},
    {"lone CR as line end", "250-a\r250 b\r\n", 0, LC_ERR_FORMAT, 0, NULL, NULL,
     0, 0, 0},
};

#define CASE_COUNT (sizeof(parse_cases) / sizeof(parse_cases[0]))

static size_t case_len(const struct parse_case *c)
{
  return c->len != 0 ? c->len : strlen(c->input);
}

/* Parses INPUT in chunks of at most CHUNK bytes, the first chunk being
 * FIRST bytes long, until a reply completes or an error occurs. */
static enum lc_status parse_chunks(const char *input, size_t len, size_t first,
                                   size_t chunk, struct lc_reply *reply,
                                   bool *complete, size_t *consumed)
{
  struct lc_reply_parser parser;
  size_t pos = 0;
  enum lc_status status = LC_OK;

  lc_reply_parser_init(&parser);
  *complete = false;
  for (unsigned call = 0; status == LC_OK && !*complete; call++) {
    size_t n = call == 0 ? first : chunk;
    size_t used = 0;

    if (n > len - pos)
      n = len - pos;
    status = lc_reply_parse(&parser, input + pos, n, &used, reply, complete);
    assert_true(used <= n);
    if (status == LC_OK && !*complete)
      assert_int_equal(used, n);
    pos += used;
    if (pos == len)
      break;
  }
  *consumed = pos;
  return status;
}

static void check_reply(const struct parse_case *c, enum lc_status status,
                        const struct lc_reply *reply, bool complete,
                        size_t consumed)
{
  assert_int_equal(status, c->status);
  if (c->status != LC_OK)
    return;
  assert_true(complete);
  assert_int_equal(consumed, c->consumed != 0 ? c->consumed : case_len(c));
  assert_int_equal(reply->code, c->code);
  assert_string_equal(reply->enhanced, c->enhanced);
  assert_string_equal(reply->text, c->text);
  assert_int_equal(reply->lines, c->lines);
  assert_int_equal(reply->ext_starttls, (c->ext & EXT_STARTTLS) != 0);
  assert_int_equal(reply->ext_pipelining, (c->ext & EXT_PIPELINING) != 0);
  assert_int_equal(reply->ext_smtputf8, (c->ext & EXT_SMTPUTF8) != 0);
  assert_int_equal(reply->ext_8bitmime, (c->ext & EXT_8BITMIME) != 0);
  assert_int_equal(reply->ext_size, (c->ext & EXT_SIZE) != 0);
}

static void test_parse_case(void **state)
{
  const struct parse_case *c = *state;
  size_t len = case_len(c), consumed;
  struct lc_reply reply;
  bool complete;
  enum lc_status status;

  status = parse_chunks(c->input, len, len, len, &reply, &complete, &consumed);
  check_reply(c, status, &reply, complete, consumed);
  for (size_t split = 0; split <= len; split++) {
    memset(&reply, 0xa5, sizeof(reply));
    status =
        parse_chunks(c->input, len, split, len, &reply, &complete, &consumed);
    check_reply(c, status, &reply, complete, consumed);
  }
  status = parse_chunks(c->input, len, 1, 1, &reply, &complete, &consumed);
  check_reply(c, status, &reply, complete, consumed);
}

static void test_parse_incomplete(void **state)
{
  struct lc_reply_parser parser;
  struct lc_reply reply;
  size_t consumed = 99;
  bool complete = true;

  (void)state;
  lc_reply_parser_init(&parser);
  assert_int_equal(lc_reply_parse(&parser, "", 0, &consumed, &reply, &complete),
                   LC_OK);
  assert_false(complete);
  assert_int_equal(consumed, 0);
  assert_int_equal(lc_reply_parse(&parser, "250-a\r\n250 b", 12, &consumed,
                                  &reply, &complete),
                   LC_OK);
  assert_false(complete);
  assert_int_equal(consumed, 12);
  assert_int_equal(
      lc_reply_parse(&parser, "\r\n", 2, &consumed, &reply, &complete), LC_OK);
  assert_true(complete);
  assert_int_equal(consumed, 2);
  assert_int_equal(reply.lines, 2);
  assert_string_equal(reply.text, "a");
}

static void test_parse_pipelined(void **state)
{
  static const char input[] = "250 a\r\n251 2.1.5 b\r\n";
  struct lc_reply_parser parser;
  struct lc_reply reply;
  size_t consumed;
  bool complete;

  (void)state;
  lc_reply_parser_init(&parser);
  assert_int_equal(lc_reply_parse(&parser, input, sizeof(input) - 1, &consumed,
                                  &reply, &complete),
                   LC_OK);
  assert_true(complete);
  assert_int_equal(consumed, 7);
  assert_int_equal(reply.code, 250);
  assert_int_equal(lc_reply_parse(&parser, input + 7, sizeof(input) - 8,
                                  &consumed, &reply, &complete),
                   LC_OK);
  assert_true(complete);
  assert_int_equal(consumed, sizeof(input) - 8);
  assert_int_equal(reply.code, 251);
  assert_string_equal(reply.enhanced, "2.1.5");
  assert_string_equal(reply.text, "b");
}

/* State of one reply must not leak into the next one. */
static void test_parse_reset_between(void **state)
{
  static const char input[] = EHLO_REPLY "250 OK\r\n";
  size_t first = sizeof(EHLO_REPLY) - 1;
  struct lc_reply_parser parser;
  struct lc_reply reply;
  size_t consumed;
  bool complete;

  (void)state;
  lc_reply_parser_init(&parser);
  assert_int_equal(lc_reply_parse(&parser, input, sizeof(input) - 1, &consumed,
                                  &reply, &complete),
                   LC_OK);
  assert_int_equal(consumed, first);
  assert_true(reply.ext_starttls);
  assert_int_equal(lc_reply_parse(&parser, input + first,
                                  sizeof(input) - 1 - first, &consumed, &reply,
                                  &complete),
                   LC_OK);
  assert_true(complete);
  assert_int_equal(reply.lines, 1);
  assert_false(reply.ext_starttls);
  assert_false(reply.ext_size);
  assert_string_equal(reply.text, "OK");
}

/* Builds "250 " + FILL x's + ENDING. */
static char *line_of(size_t fill, const char *ending, size_t *len)
{
  size_t end_len = strlen(ending);
  char *line = malloc(4 + fill + end_len);

  assert_non_null(line);
  memcpy(line, "250 ", 4);
  memset(line + 4, 'x', fill);
  memcpy(line + 4 + fill, ending, end_len);
  *len = 4 + fill + end_len;
  return line;
}

static enum lc_status parse_whole(const char *input, size_t len,
                                  struct lc_reply *reply)
{
  bool complete;
  size_t consumed;

  return parse_chunks(input, len, len, len, reply, &complete, &consumed);
}

/* A line of LC_REPLY_LINE_MAX octets with its ending passes, one more
 * octet fails, with CRLF and with bare LF. */
static void test_parse_line_limit(void **state)
{
  struct {
    size_t fill;
    const char *ending;
    enum lc_status status;
  } cases[] = {
      {LC_REPLY_LINE_MAX - 6, "\r\n", LC_OK},
      {LC_REPLY_LINE_MAX - 5, "\r\n", LC_ERR_FORMAT},
      {LC_REPLY_LINE_MAX - 5, "\n", LC_OK},
      {LC_REPLY_LINE_MAX - 4, "\n", LC_ERR_FORMAT},
  };
  struct lc_reply reply;

  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t len;
    char *line = line_of(cases[i].fill, cases[i].ending, &len);

    assert_int_equal(parse_whole(line, len, &reply), cases[i].status);
    if (cases[i].status == LC_OK) {
      assert_int_equal(strlen(reply.text), LC_REPLY_TEXT_MAX - 1);
      assert_int_equal(strspn(reply.text, "x"), LC_REPLY_TEXT_MAX - 1);
    }
    free(line);
  }
}

/* One megabyte without a line end, in one call and in 4 KiB calls. */
static void test_parse_megabyte_line(void **state)
{
  size_t len, consumed;
  char *line = line_of(1 << 20, "", &len);
  struct lc_reply reply;
  bool complete;

  (void)state;
  assert_int_equal(parse_whole(line, len, &reply), LC_ERR_FORMAT);
  assert_int_equal(
      parse_chunks(line, len, 4096, 4096, &reply, &complete, &consumed),
      LC_ERR_FORMAT);
  assert_false(complete);
  assert_int_equal(consumed, 4096);
  free(line);
}

/* Builds COUNT lines "250-x" ending with "250 x". */
static char *reply_of_lines(size_t count, size_t *len)
{
  char *reply = malloc(count * 7);

  assert_non_null(reply);
  for (size_t i = 0; i < count; i++)
    memcpy(reply + i * 7, i + 1 < count ? "250-x\r\n" : "250 x\r\n", 7);
  *len = count * 7;
  return reply;
}

static void test_parse_line_count(void **state)
{
  struct {
    size_t lines;
    enum lc_status status;
  } cases[] = {
      {LC_REPLY_LINES_MAX, LC_OK},
      {LC_REPLY_LINES_MAX + 1, LC_ERR_FORMAT},
      {1000, LC_ERR_FORMAT},
  };
  struct lc_reply reply;

  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t len;
    char *input = reply_of_lines(cases[i].lines, &len);

    assert_int_equal(parse_whole(input, len, &reply), cases[i].status);
    if (cases[i].status == LC_OK)
      assert_int_equal(reply.lines, LC_REPLY_LINES_MAX);
    free(input);
  }
}

/* Text is cut at LC_REPLY_TEXT_MAX - 1 bytes, never inside a UTF-8
 * character. */
static void test_parse_text_truncation(void **state)
{
  struct {
    size_t ascii;     /* x's before the two-byte character */
    size_t text_len;  /* expected strlen(text) */
    bool ends_with_e; /* the character is the last one kept */
  } cases[] = {
      {LC_REPLY_TEXT_MAX - 3, LC_REPLY_TEXT_MAX - 1, true},
      {LC_REPLY_TEXT_MAX - 2, LC_REPLY_TEXT_MAX - 2, false},
      {LC_REPLY_TEXT_MAX - 1, LC_REPLY_TEXT_MAX - 1, false},
      {LC_REPLY_TEXT_MAX + 40, LC_REPLY_TEXT_MAX - 1, false},
  };
  struct lc_reply reply;

  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t len;
    char *line = line_of(cases[i].ascii, "\xc3\xa9 tail\r\n", &len);

    assert_int_equal(parse_whole(line, len, &reply), LC_OK);
    assert_int_equal(strlen(reply.text), cases[i].text_len);
    assert_int_equal(
        strncmp(reply.text + cases[i].text_len - 2, "\xc3\xa9", 2) == 0,
        cases[i].ends_with_e);
    free(line);
  }
}

/* Deterministic pseudo-random numbers (a 64-bit LCG), so that a failure
 * repeats on every run. */
static uint32_t next_random(uint64_t *seed)
{
  *seed = *seed * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(*seed >> 33);
}

/* Whether TEXT is valid UTF-8 (RFC 3629) without C0, DEL or C1 controls. */
static bool text_is_clean(const char *text)
{
  const unsigned char *s = (const unsigned char *)text;

  while (*s != 0) {
    size_t n = 4;

    if (*s < 0x80)
      n = 1;
    else if (*s < 0xe0)
      n = 2;
    else if (*s < 0xf0)
      n = 3;

    if (*s < 0x20 || *s == 0x7f || (*s >= 0x80 && *s < 0xc2) || *s > 0xf4)
      return false;
    if (*s == 0xc2 && s[1] < 0xa0)
      return false;
    for (size_t i = 1; i < n; i++) {
      if ((s[i] & 0xc0) != 0x80)
        return false;
    }
    if ((*s == 0xe0 && s[1] < 0xa0) || (*s == 0xed && s[1] > 0x9f) ||
        (*s == 0xf0 && s[1] < 0x90) || (*s == 0xf4 && s[1] > 0x8f))
      return false;
    s += n;
  }
  return true;
}

static void check_invariants(const struct lc_reply *reply)
{
  size_t len = strlen(reply->enhanced);

  assert_in_range(reply->code, 200, 559);
  assert_in_range(reply->lines, 1, LC_REPLY_LINES_MAX);
  assert_true(strlen(reply->text) < LC_REPLY_TEXT_MAX);
  assert_true(text_is_clean(reply->text));
  if (len > 0) {
    assert_in_range(len, 5, 9);
    assert_int_equal(reply->enhanced[0], '0' + reply->code / 100);
  }
}

/* Appends one random reply to INPUT at *LEN: 1 to 5 lines of random text
 * pieces and bytes, with CRLF or LF. About one reply in ten carries a
 * defect (other code, bad separator, NUL or lone CR). */
static void random_reply(uint64_t *seed, char *input, size_t *len)
{
  static const char *const codes[] = {"250", "550", "421", "452", "251"};
  static const char *const pieces[] = {
      "5.1.1 ", "4.7.1 ",       "2.1.5 ",   "user unknown ", "x",
      "  ",     "\t",           "\xc3\xa9", "\xe2\x82",      "\xe2\x82\xac",
      "\xff",   "\xed\xa0\x80", "\x1b"};
  const char *code = codes[next_random(seed) % 5];
  unsigned lines = 1 + next_random(seed) % 5;

  for (unsigned line = 0; line < lines; line++) {
    uint32_t defect = next_random(seed) % 40;
    unsigned words = next_random(seed) % 8;

    memcpy(input + *len, defect == 0 ? "299" : code, 3);
    *len += 3;
    if (defect == 1)
      input[(*len)++] = '+';
    else
      input[(*len)++] = line + 1 < lines ? '-' : ' ';
    for (unsigned w = 0; w < words; w++) {
      uint32_t r = next_random(seed);
      const char *piece = pieces[r % (sizeof(pieces) / sizeof(pieces[0]))];

      if (r % 5 == 0) {
        input[(*len)++] = (char)(0x20 + (r >> 8) % 0xe0);
        continue;
      }
      memcpy(input + *len, piece, strlen(piece));
      *len += strlen(piece);
    }
    if (defect == 2)
      input[(*len)++] = '\0';
    if (defect == 3)
      input[(*len)++] = '\r';
    if (next_random(seed) % 2 == 0)
      input[(*len)++] = '\r';
    input[(*len)++] = '\n';
  }
}

/* Random replies fed in random chunks: every completed reply keeps the
 * documented invariants, and the parser never reads or writes out of
 * bounds (checked under ASan). */
static void test_parse_random_input(void **state)
{
  uint64_t seed = 42;
  char input[4096];
  unsigned completed = 0, multi_line = 0, errors = 0;

  (void)state;
  for (int round = 0; round < 5000; round++) {
    struct lc_reply_parser parser;
    size_t len = 0, pos = 0;

    for (int n = 0; n < 4; n++)
      random_reply(&seed, input, &len);
    lc_reply_parser_init(&parser);
    while (pos < len) {
      size_t n = 1 + next_random(&seed) % 64, used = 0;
      struct lc_reply reply;
      bool complete = false;

      if (n > len - pos)
        n = len - pos;
      if (lc_reply_parse(&parser, input + pos, n, &used, &reply, &complete) !=
          LC_OK) {
        errors++;
        break;
      }
      assert_true(used <= n);
      assert_true(complete || used == n);
      if (complete) {
        check_invariants(&reply);
        completed++;
        multi_line += reply.lines > 1;
      }
      pos += used;
    }
  }
  /* The input mix must reach the interesting paths, not only errors. */
  print_message("# %u replies completed, %u of them multi-line, %u errors\n",
                completed, multi_line, errors);
  assert_true(completed > 5000);
  assert_true(multi_line > 3000);
  assert_true(errors > 500);
}

static void test_format_code(void **state)
{
  struct lc_reply reply = {.code = 550, .enhanced = "5.1.1"};
  char buf[16];

  (void)state;
  lc_reply_format_code(&reply, buf, sizeof(buf));
  assert_string_equal(buf, "550 5.1.1");
  lc_reply_format_code(&reply, buf, 4);
  assert_string_equal(buf, "550");
  reply.enhanced[0] = '\0';
  reply.code = 250;
  lc_reply_format_code(&reply, buf, sizeof(buf));
  assert_string_equal(buf, "250");
  buf[0] = 'z';
  lc_reply_format_code(&reply, buf, 0);
  assert_int_equal(buf[0], 'z');
}

int main(void)
{
  static const struct CMUnitTest fixed[] = {
      cmocka_unit_test(test_parse_incomplete),
      cmocka_unit_test(test_parse_pipelined),
      cmocka_unit_test(test_parse_reset_between),
      cmocka_unit_test(test_parse_line_limit),
      cmocka_unit_test(test_parse_megabyte_line),
      cmocka_unit_test(test_parse_line_count),
      cmocka_unit_test(test_parse_text_truncation),
      cmocka_unit_test(test_parse_random_input),
      cmocka_unit_test(test_format_code),
  };
  size_t fixed_count = sizeof(fixed) / sizeof(fixed[0]);
  struct CMUnitTest tests[CASE_COUNT + sizeof(fixed) / sizeof(fixed[0])];
  int failed;

  for (size_t i = 0; i < CASE_COUNT; i++) {
    struct CMUnitTest t = {parse_cases[i].name, test_parse_case, NULL, NULL,
                           &parse_cases[i]};

    tests[i] = t;
  }
  memcpy(tests + CASE_COUNT, fixed, sizeof(fixed));
  failed = _cmocka_run_group_tests("reply", tests, CASE_COUNT + fixed_count,
                                   NULL, NULL);
  return failed == 0 ? 0 : 1;
}
