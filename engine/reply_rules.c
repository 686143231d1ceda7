/* Classification of SMTP replies into enum lc_rcpt_class.
 *
 * A reply is matched against the rule table below from top to bottom and
 * the first rule whose basic code range, enhanced code and text condition
 * all hold decides. Text conditions name groups of patterns. The reply text
 * is case-folded once (ASCII, Latin-1 and basic Cyrillic letters) and
 * scanned once for every pattern through an index by its first two bytes,
 * so a call costs one pass over at most LC_REPLY_TEXT_MAX bytes and no
 * allocation.
 *
 * The order carries the safety rules of docs/verdicts.md. Policy rules come
 * before every mailbox rule, so a reply that names a blocklist, the sender
 * or the client host is never taken as "mailbox not found". Only 5xx rules
 * give mailbox_not_found or mailbox_disabled.
 *
 * NOTE: only the first line of a reply is classified, because struct
 * lc_reply keeps no other text. Servers that put the cause on a later line
 * get the class of their code alone.
 */
#include "engine/reply.h"

#include <stdint.h>
#include <string.h>

#include "engine/log.h"

/* Groups of text patterns that rules refer to. */
enum text_group {
  TEXT_POLICY,       /* the prober was refused: lists, reputation, PTR */
  TEXT_USER_UNKNOWN, /* the mailbox does not exist */
  TEXT_MS_UNKNOWN,   /* Exchange Online edge block of unknown users */
  TEXT_ADDR_REJECTED,
  TEXT_DISABLED,
  TEXT_FULL,
  TEXT_RATE,      /* too many connections or recipients, rate limits */
  TEXT_RATE_WORD, /* "rate", only trusted with 4.7.0 */
  TEXT_GREYLIST,
  TEXT_INTERNAL_TEMP /* Mimecast 451: a server problem, not a greylist */
};

#define GROUP(g) (1u << (g))

struct text_pattern {
  enum text_group group;
  bool word;        /* must not touch a letter or digit on either side */
  const char *text; /* case-folded UTF-8 */
};

/* Patterns are written case-folded ("ä", not "Ä"). text_index_build()
 * logs and skips any that are not. */
static const struct text_pattern patterns[] = {
    /* Blocklists and reputation services. "spam" covers spamhaus and
     * spamcop. */
    {TEXT_POLICY, false, "spam"},
    {TEXT_POLICY, true, "brbl"},
    {TEXT_POLICY, false, "barracudacentral"},
    {TEXT_POLICY, false, "sorbs"},
    {TEXT_POLICY, false, "uceprotect"},
    {TEXT_POLICY, true, "rbl"},
    {TEXT_POLICY, false, "dnsbl"},
    {TEXT_POLICY, false, "blocked"},
    {TEXT_POLICY, false, "blacklist"},
    {TEXT_POLICY, false, "blocklist"},
    {TEXT_POLICY, false, "black list"},
    {TEXT_POLICY, false, "block list"},
    {TEXT_POLICY, false, "denylist"},
    {TEXT_POLICY, false, "reputation"},
    {TEXT_POLICY, true, "sbrs"},
    /* Checks of the client host. */
    {TEXT_POLICY, true, "ptr"},
    {TEXT_POLICY, true, "rdns"},
    {TEXT_POLICY, false, "reverse dns"},
    {TEXT_POLICY, false, "reverse hostname"},
    {TEXT_POLICY, false, "reverse lookup"},
    {TEXT_POLICY, false, "client host rejected"},
    {TEXT_POLICY, false, "helo command rejected"},
    {TEXT_POLICY, false, "your ip"},
    {TEXT_POLICY, false, "not authorized"},
    {TEXT_POLICY, false, "not authorised"},
    /* Relay refusals. Plain "relay" would also hit Postfix's "User unknown
     * in relay recipient table", which is about the mailbox. */
    {TEXT_POLICY, false, "relay access denied"},
    {TEXT_POLICY, false, "relaying denied"},
    {TEXT_POLICY, false, "relay denied"},
    {TEXT_POLICY, false, "relay not permitted"},
    {TEXT_POLICY, false, "relaying not permitted"},
    {TEXT_POLICY, false, "unable to relay"},
    {TEXT_POLICY, false, "not permitted to relay"},
    /* Replies about the MAIL FROM address, which Postfix sends at RCPT
     * time. Their "user unknown" is about the prober's sender. */
    {TEXT_POLICY, false, "sender rejected"},
    {TEXT_POLICY, false, "sender address"},
    {TEXT_POLICY, false, "sender domain"},
    {TEXT_POLICY, false, "sender verify"},
    {TEXT_POLICY, false, "sender verification"},
    {TEXT_POLICY, false, "sender unknown"},
    {TEXT_POLICY, false, "unknown sender"},
    {TEXT_POLICY, false, "absender"},
    {TEXT_POLICY, false, "expéditeur"},
    {TEXT_POLICY, false, "expediteur"},
    {TEXT_POLICY, false, "remitente"},
    {TEXT_POLICY, false, "mittente"},
    {TEXT_POLICY, false, "remetente"},
    {TEXT_POLICY, false, "afzender"},
    {TEXT_POLICY, false, "отправител"},
    {TEXT_POLICY, false, "nadawc"},

    /* English. */
    {TEXT_USER_UNKNOWN, false, "no such user"},
    {TEXT_USER_UNKNOWN, false, "user unknown"},
    {TEXT_USER_UNKNOWN, false, "unknown user"},
    {TEXT_USER_UNKNOWN, false, "user not found"},
    {TEXT_USER_UNKNOWN, false, "not exist"},
    {TEXT_USER_UNKNOWN, false, "n't exist"},
    {TEXT_USER_UNKNOWN, false, "n’t exist"},
    {TEXT_USER_UNKNOWN, false, "nonexistent"},
    {TEXT_USER_UNKNOWN, false, "non-existent"},
    {TEXT_USER_UNKNOWN, false, "invalid recipient"},
    {TEXT_USER_UNKNOWN, false, "invalid mailbox"},
    {TEXT_USER_UNKNOWN, false, "recipient not found"},
    {TEXT_USER_UNKNOWN, false, "unknown recipient"},
    {TEXT_USER_UNKNOWN, false, "recipient unknown"},
    {TEXT_USER_UNKNOWN, false, "no such recipient"},
    {TEXT_USER_UNKNOWN, false, "no such mailbox"},
    {TEXT_USER_UNKNOWN, false, "no such address"},
    {TEXT_USER_UNKNOWN, false, "no mailbox"},
    {TEXT_USER_UNKNOWN, false, "mailbox not found"},
    {TEXT_USER_UNKNOWN, false, "address not found"},
    {TEXT_USER_UNKNOWN, false, "mailbox unavailable"},
    /* German, French, Spanish, Italian, Portuguese, Dutch, Russian,
     * Polish. */
    {TEXT_USER_UNKNOWN, false, "unbekannt"},
    {TEXT_USER_UNKNOWN, false, "existiert nicht"},
    {TEXT_USER_UNKNOWN, false, "inconnu"},
    {TEXT_USER_UNKNOWN, false, "n'existe pas"},
    {TEXT_USER_UNKNOWN, false, "n’existe pas"},
    {TEXT_USER_UNKNOWN, false, "no existe"},
    {TEXT_USER_UNKNOWN, false, "desconocido"},
    {TEXT_USER_UNKNOWN, false, "sconosciuto"},
    {TEXT_USER_UNKNOWN, false, "inesistente"},
    {TEXT_USER_UNKNOWN, false, "não existe"},
    {TEXT_USER_UNKNOWN, false, "nao existe"},
    {TEXT_USER_UNKNOWN, false, "desconhecido"},
    {TEXT_USER_UNKNOWN, false, "onbekend"},
    {TEXT_USER_UNKNOWN, false, "bestaat niet"},
    {TEXT_USER_UNKNOWN, false, "не существует"},
    {TEXT_USER_UNKNOWN, false, "неизвестн"},
    {TEXT_USER_UNKNOWN, false, "нет такого"},
    {TEXT_USER_UNKNOWN, false, "nie istnieje"},

    {TEXT_MS_UNKNOWN, false, "recipient address rejected: access denied"},
    {TEXT_ADDR_REJECTED, false, "address rejected"},

    {TEXT_DISABLED, false, "disabled"},
    {TEXT_DISABLED, false, "deactivated"},
    {TEXT_DISABLED, false, "inactive"},
    {TEXT_DISABLED, false, "suspended"},
    {TEXT_DISABLED, false, "no longer active"},

    {TEXT_FULL, false, "mailbox full"},
    {TEXT_FULL, false, "mailbox is full"},
    {TEXT_FULL, false, "full mailbox"},
    {TEXT_FULL, false, "mailbox quota"},
    {TEXT_FULL, false, "over quota"},
    {TEXT_FULL, false, "quota exceeded"},
    {TEXT_FULL, false, "exceeded quota"},
    {TEXT_FULL, false, "exceeds quota"},
    {TEXT_FULL, false, "exceeded storage"},

    {TEXT_RATE, false, "too many"},
    {TEXT_RATE, false, "rate limit"},
    {TEXT_RATE, false, "ratelimit"},
    {TEXT_RATE, false, "rate-limit"},
    {TEXT_RATE, false, "throttl"},
    {TEXT_RATE_WORD, true, "rate"},

    {TEXT_GREYLIST, false, "greylist"},
    {TEXT_GREYLIST, false, "graylist"},
    {TEXT_GREYLIST, false, "grey list"},
    {TEXT_GREYLIST, false, "gray list"},
    {TEXT_GREYLIST, false, "try again later"},
    {TEXT_GREYLIST, false, "try later"},
    {TEXT_GREYLIST, false, "retry later"},

    {TEXT_INTERNAL_TEMP, false, "internal resource temporarily unavailable"},
};

#define PATTERN_COUNT (sizeof(patterns) / sizeof(patterns[0]))
#define PATTERN_MAX 64

struct reply_rule {
  int code_min, code_max;
  /* NULL for any code. "5.7." matches a prefix, "5.1.1" only itself. */
  const char *enhanced;
  unsigned groups; /* 0, or a set of GROUP() of which one must match */
  enum lc_rcpt_class result;
};

static const struct reply_rule rules[] = {
    /* 250, 251, and 252 "cannot verify, but will attempt delivery": the
     * server took the recipient. The catch-all probe shows whether it
     * takes every recipient. */
    {200, 299, NULL, 0, LC_RCPT_ACCEPTED},

    /* The prober was refused. These rank above every mailbox rule. */
    {500, 599, "5.7.", 0, LC_RCPT_POLICY_REJECTED},
    {500, 599, "5.1.7", 0, LC_RCPT_POLICY_REJECTED}, /* bad sender syntax */
    {500, 599, "5.1.8", 0, LC_RCPT_POLICY_REJECTED}, /* bad sender domain */
    {500, 599, NULL, GROUP(TEXT_POLICY), LC_RCPT_POLICY_REJECTED},

    /* Enhanced codes that name the cause (RFC 3463). */
    {500, 599, "5.1.1", 0, LC_RCPT_MAILBOX_NOT_FOUND},
    /* Exchange Online's RecipientNotFound. RFC 7505 assigns 5.1.10 to a
     * null MX, which stops a domain before any SMTP session. */
    {500, 599, "5.1.10", 0, LC_RCPT_MAILBOX_NOT_FOUND},
    {500, 599, "5.4.1", GROUP(TEXT_MS_UNKNOWN), LC_RCPT_MAILBOX_NOT_FOUND},
    {500, 599, "5.1.0", GROUP(TEXT_ADDR_REJECTED), LC_RCPT_MAILBOX_NOT_FOUND},
    {500, 599, "5.2.1", 0, LC_RCPT_MAILBOX_DISABLED},
    {500, 599, "5.2.2", 0, LC_RCPT_MAILBOX_FULL},
    {552, 552, NULL, 0, LC_RCPT_MAILBOX_FULL},
    /* 554 is "transaction failed" or, as a banner, "no SMTP service here":
     * without one of the codes above it is a refusal of the session. */
    {554, 554, NULL, 0, LC_RCPT_POLICY_REJECTED},

    {500, 599, NULL, GROUP(TEXT_USER_UNKNOWN), LC_RCPT_MAILBOX_NOT_FOUND},
    {500, 599, NULL, GROUP(TEXT_DISABLED), LC_RCPT_MAILBOX_DISABLED},
    {500, 599, NULL, GROUP(TEXT_FULL), LC_RCPT_MAILBOX_FULL},
    {500, 599, NULL, 0, LC_RCPT_REJECTED},

    /* 4xx: never a mailbox verdict, whatever the text says. */
    {421, 421, NULL, 0, LC_RCPT_RATE_LIMITED},
    {400, 499, "4.5.3", 0, LC_RCPT_RATE_LIMITED},
    {400, 499, NULL, GROUP(TEXT_RATE), LC_RCPT_RATE_LIMITED},
    {400, 499, "4.7.0", GROUP(TEXT_RATE_WORD), LC_RCPT_RATE_LIMITED},
    {400, 499, "4.2.2", 0, LC_RCPT_MAILBOX_FULL},
    {400, 499, NULL, GROUP(TEXT_FULL), LC_RCPT_MAILBOX_FULL},
    {450, 451, "4.7.1", 0, LC_RCPT_GREYLISTED},
    {400, 499, NULL, GROUP(TEXT_GREYLIST), LC_RCPT_GREYLISTED},
    {451, 451, NULL, GROUP(TEXT_INTERNAL_TEMP), LC_RCPT_TEMPORARY},
    {400, 499, NULL, 0, LC_RCPT_TEMPORARY},
};

/* Patterns grouped by a hash of their first two bytes: those in bucket B
 * are order[first[B]] up to order[first[B + 1]] (exclusive). With a few
 * hundred patterns most buckets are empty, so most text positions cost one
 * lookup. */
#define BUCKET_BITS 10
#define BUCKETS (1u << BUCKET_BITS)
static struct {
  bool ready;
  uint8_t len[PATTERN_COUNT];
  uint16_t order[PATTERN_COUNT];
  uint16_t first[BUCKETS + 1];
} text_index;

static void text_index_build(void);
static bool pattern_is_folded(const char *text, size_t len);
static void fold_case(char *dst, const char *src, size_t len);
static unsigned fold_code_point(unsigned cp);
static unsigned text_scan(const char *text, size_t len);
static bool rule_matches(const struct reply_rule *rule,
                         const struct lc_reply *reply);

enum lc_rcpt_class lc_reply_classify(const struct lc_reply *reply)
{
  char folded[LC_REPLY_TEXT_MAX];
  size_t len = strnlen(reply->text, sizeof(reply->text));
  unsigned found = 0;
  bool scanned = false;

  for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
    const struct reply_rule *rule = &rules[i];

    if (!rule_matches(rule, reply))
      continue;
    if (rule->groups != 0 && !scanned) {
      fold_case(folded, reply->text, len);
      found = text_scan(folded, len);
      scanned = true;
    }
    if (rule->groups == 0 || (rule->groups & found) != 0)
      return rule->result;
  }
  /* 1xx, 3xx or a code out of range: no valid answer to RCPT. */
  return LC_RCPT_PROTOCOL_ERROR;
}

static bool rule_matches(const struct reply_rule *rule,
                         const struct lc_reply *reply)
{
  size_t want, have;

  if (reply->code < rule->code_min || reply->code > rule->code_max)
    return false;
  if (rule->enhanced == NULL)
    return true;
  want = strlen(rule->enhanced);
  have = strnlen(reply->enhanced, sizeof(reply->enhanced));
  if (rule->enhanced[want - 1] == '.')
    return have >= want && memcmp(reply->enhanced, rule->enhanced, want) == 0;
  return have == want && memcmp(reply->enhanced, rule->enhanced, want) == 0;
}

static unsigned bucket_of(const unsigned char *s)
{
  /* Fibonacci hashing of the 16-bit bigram, keeping the top bits. */
  return (((uint32_t)s[0] << 8 | s[1]) * 2654435761u) >> (32 - BUCKET_BITS);
}

static bool is_word_byte(unsigned char b)
{
  return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b >= 0x80;
}

/* Returns the set of groups with a pattern in TEXT (case-folded). */
static unsigned text_scan(const char *text, size_t len)
{
  const unsigned char *s = (const unsigned char *)text;
  unsigned found = 0;

  if (!text_index.ready)
    text_index_build();
  for (size_t pos = 0; pos + 1 < len; pos++) {
    unsigned bucket = bucket_of(s + pos);

    for (unsigned k = text_index.first[bucket];
         k < text_index.first[bucket + 1]; k++) {
      const struct text_pattern *p = &patterns[text_index.order[k]];
      size_t n = text_index.len[text_index.order[k]];

      if ((found & GROUP(p->group)) != 0 || n > len - pos ||
          memcmp(s + pos, p->text, n) != 0)
        continue;
      if (p->word && ((pos > 0 && is_word_byte(s[pos - 1])) ||
                      (pos + n < len && is_word_byte(s[pos + n]))))
        continue;
      found |= GROUP(p->group);
    }
  }
  return found;
}

/* Sorts the patterns into their buckets (counting sort). A pattern that is
 * not case-folded could never match, so it is logged and left out. */
static void text_index_build(void)
{
  unsigned count[BUCKETS] = {0};
  uint16_t next[BUCKETS];

  for (size_t i = 0; i < PATTERN_COUNT; i++) {
    const char *text = patterns[i].text;
    size_t len = strlen(text);

    if (len < 2 || len >= PATTERN_MAX || !pattern_is_folded(text, len)) {
      lc_error("reply pattern \"%s\" is shorter than 2 bytes, too long or "
               "not lower-case; it is ignored",
               text);
      continue;
    }
    text_index.len[i] = (uint8_t)len;
    count[bucket_of((const unsigned char *)text)]++;
  }
  text_index.first[0] = 0;
  for (unsigned b = 0; b < BUCKETS; b++) {
    text_index.first[b + 1] = (uint16_t)(text_index.first[b] + count[b]);
    next[b] = text_index.first[b];
  }
  for (size_t i = 0; i < PATTERN_COUNT; i++) {
    if (text_index.len[i] > 0)
      text_index
          .order[next[bucket_of((const unsigned char *)patterns[i].text)]++] =
          (uint16_t)i;
  }
  text_index.ready = true;
}

static bool pattern_is_folded(const char *text, size_t len)
{
  char folded[PATTERN_MAX];

  fold_case(folded, text, len);
  return memcmp(folded, text, len) == 0;
}

/* Writes LEN bytes of TEXT to DST with upper-case letters replaced by their
 * lower-case forms. Every mapping keeps the UTF-8 length, so DST has
 * exactly LEN bytes. Bytes that are not valid 2-byte sequences are copied
 * unchanged. */
static void fold_case(char *dst, const char *src, size_t len)
{
  const unsigned char *s = (const unsigned char *)src;

  for (size_t i = 0; i < len; i++) {
    unsigned char b = s[i];

    if (b >= 'A' && b <= 'Z') {
      dst[i] = (char)(b + ('a' - 'A'));
    } else if (b >= 0xc2 && b <= 0xdf && i + 1 < len &&
               (s[i + 1] & 0xc0) == 0x80) {
      unsigned cp = fold_code_point(((b & 0x1fu) << 6) | (s[i + 1] & 0x3fu));

      dst[i] = (char)(0xc0 | (cp >> 6));
      dst[i + 1] = (char)(0x80 | (cp & 0x3f));
      i++;
    } else {
      dst[i] = (char)b;
    }
  }
}

/* Lower-case form of a Latin-1 or basic Cyrillic code point; other code
 * points are returned as they are. These mappings keep the UTF-8 length. */
static unsigned fold_code_point(unsigned cp)
{
  if ((cp >= 0xc0 && cp <= 0xde && cp != 0xd7) || (cp >= 0x410 && cp <= 0x42f))
    return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40f)
    return cp + 0x50;
  return cp;
}
