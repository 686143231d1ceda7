/* Unit tests of the reply classifier (engine/reply_rules.c).
 *
 * Replies go through the real parser first, so the cases read as a server
 * sends them. Besides the table of known replies, the tests cross every
 * user-unknown text with every 4xx code and with every policy text. This
 * checks the two safety rules: no 4xx is ever a mailbox class, and a policy
 * text is never read as "mailbox not found".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/reply.h"

struct classify_case {
  const char *name;
  const char *reply; /* one or more lines; CRLF added when missing */
  enum lc_rcpt_class expected;
};

static struct classify_case cases[] = {
    /* Accepted. */
    {"250 ok", "250 2.1.5 Ok", LC_RCPT_ACCEPTED},
    {"250 without enhanced", "250 OK", LC_RCPT_ACCEPTED},
    {"251 forward", "251 2.1.5 User not local; will forward", LC_RCPT_ACCEPTED},
    {"252 cannot verify",
     "252 2.1.5 Cannot VRFY user, but will accept message and attempt "
     "delivery",
     LC_RCPT_ACCEPTED},
    {"250 with failure text", "250 2.1.5 user unknown but accepted",
     LC_RCPT_ACCEPTED},

    /* Mailbox not found. */
    {"gmail 5.1.1",
     "550-5.1.1 The email account that you tried to reach does not exist. "
     "Please try\r\n550-5.1.1 double-checking the recipient's email address "
     "for typos or\r\n550 5.1.1 unnecessary spaces. - gsmtp",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"postfix local table",
     "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown in "
     "local recipient table",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"postfix relay table",
     "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown in "
     "relay recipient table",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"relay table without enhanced",
     "550 <a@example.org>: Recipient address rejected: User unknown in relay "
     "recipient table",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"exchange 5.1.10",
     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
     "address lookup",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"5.1.1 without text", "550 5.1.1", LC_RCPT_MAILBOX_NOT_FOUND},
    {"554 with 5.1.1", "554 5.1.1 <a@example.org>: Recipient address rejected",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"552 with 5.1.1", "552 5.1.1 no such user", LC_RCPT_MAILBOX_NOT_FOUND},
    {"5.1.0 address rejected", "550 5.1.0 Address rejected.",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"5.1.0 user unknown", "550 5.1.0 <a@example.org>... User unknown",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"microsoft edge block",
     "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
     "[DB5EUR03FT011.eop-EUR03.prod.protection.outlook.com]",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"mimecast invalid recipient",
     "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"outlook.com mailbox unavailable",
     "550 5.5.0 Requested action not taken: mailbox unavailable "
     "(S2017062302)",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"553 user unknown", "553 sorry, user unknown", LC_RCPT_MAILBOX_NOT_FOUND},
    {"upper case english", "550 NO SUCH USER HERE", LC_RCPT_MAILBOX_NOT_FOUND},
    {"typographic apostrophe", "550 This address doesn\xe2\x80\x99t exist",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"ptr inside a word", "550 5.1.1 user unknown in scriptrunner",
     LC_RCPT_MAILBOX_NOT_FOUND},
    {"rbl inside a word", "550 user unknown, garbled",
     LC_RCPT_MAILBOX_NOT_FOUND},

    /* Mailbox disabled. */
    {"gmail 5.2.1",
     "550 5.2.1 The email account that you tried to reach is disabled.",
     LC_RCPT_MAILBOX_DISABLED},
    {"5.2.1 before user text", "550 5.2.1 mailbox unavailable",
     LC_RCPT_MAILBOX_DISABLED},
    {"account disabled", "550 Account disabled", LC_RCPT_MAILBOX_DISABLED},
    {"account inactive", "550 This account is inactive",
     LC_RCPT_MAILBOX_DISABLED},
    {"mailbox suspended", "550 Mailbox SUSPENDED", LC_RCPT_MAILBOX_DISABLED},
    {"user deactivated", "550 user deactivated", LC_RCPT_MAILBOX_DISABLED},
    {"no longer active", "550 Mailbox is no longer active",
     LC_RCPT_MAILBOX_DISABLED},

    /* Mailbox full. */
    {"552 5.2.2", "552 5.2.2 Mailbox full", LC_RCPT_MAILBOX_FULL},
    {"552 storage",
     "552 Requested mail action aborted: exceeded storage allocation",
     LC_RCPT_MAILBOX_FULL},
    {"550 5.2.2", "550 5.2.2 over quota", LC_RCPT_MAILBOX_FULL},
    {"gmail 452 4.2.2",
     "452-4.2.2 The email account that you tried to reach is over quota.\r\n"
     "452 4.2.2 Please direct the recipient to https://example.org - gsmtp",
     LC_RCPT_MAILBOX_FULL},
    {"450 4.2.2", "450 4.2.2 try again", LC_RCPT_MAILBOX_FULL},
    {"550 mailbox is full", "550 Mailbox is full", LC_RCPT_MAILBOX_FULL},
    {"451 quota exceeded", "451 Quota exceeded", LC_RCPT_MAILBOX_FULL},
    {"full mailbox text", "550 full mailbox", LC_RCPT_MAILBOX_FULL},
    {"mailbox quota text", "550 mailbox quota reached", LC_RCPT_MAILBOX_FULL},
    {"exceeds quota text", "452 message exceeds quota", LC_RCPT_MAILBOX_FULL},
    {"exceeded quota text", "550 user has exceeded quota",
     LC_RCPT_MAILBOX_FULL},

    /* The prober was refused. */
    {"spamhaus 5.7.1",
     "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
     "zen.spamhaus.org",
     LC_RCPT_POLICY_REJECTED},
    {"relay access denied", "554 5.7.1 <a@example.org>: Relay access denied",
     LC_RCPT_POLICY_REJECTED},
    {"microsoft banned ip",
     "550 5.7.606 Access denied, banned sending IP [192.0.2.1]",
     LC_RCPT_POLICY_REJECTED},
    {"5.7.1 beats user unknown",
     "550 5.7.1 <a@example.org>: Recipient address rejected: User unknown",
     LC_RCPT_POLICY_REJECTED},
    {"554 banner", "554 No SMTP service here", LC_RCPT_POLICY_REJECTED},
    {"554 beats user text", "554 delivery error: dd This user doesn't exist",
     LC_RCPT_POLICY_REJECTED},
    {"554 with 5.1.0", "554 5.1.0 no such user", LC_RCPT_POLICY_REJECTED},
    {"5.1.8 sender domain",
     "553 5.1.8 <s@example.net>... Domain of sender address s@example.net "
     "does not exist",
     LC_RCPT_POLICY_REJECTED},
    {"5.1.7 sender syntax", "553 5.1.7 bad sender address syntax",
     LC_RCPT_POLICY_REJECTED},
    {"sender user unknown",
     "550 5.1.0 <s@example.net>: Sender address rejected: User unknown in "
     "local recipient table",
     LC_RCPT_POLICY_REJECTED},
    {"sender rejected with 5.1.1",
     "550 5.1.1 <s@example.net>: Sender rejected: user unknown",
     LC_RCPT_POLICY_REJECTED},
    {"german sender unknown", "550 Absender unbekannt",
     LC_RCPT_POLICY_REJECTED},
    {"french sender unknown",
     "550 Exp\xc3\x89"
     "diteur inconnu",
     LC_RCPT_POLICY_REJECTED},
    {"russian sender unknown",
     "550 \xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xb8\xd1\x82"
     "\xd0\xb5\xd0\xbb\xd1\x8c \xd0\xbd\xd0\xb5\xd0\xb8\xd0\xb7\xd0\xb2\xd0"
     "\xb5\xd1\x81\xd1\x82\xd0\xb5\xd0\xbd",
     LC_RCPT_POLICY_REJECTED},
    {"poor reputation",
     "554 Your access to this mail system has been rejected due to the "
     "sending MTA's poor reputation",
     LC_RCPT_POLICY_REJECTED},
    {"spamcop", "550 Mail from 192.0.2.1 refused: listed at bl.spamcop.net",
     LC_RCPT_POLICY_REJECTED},
    {"barracuda brbl", "550 permanently rejected: BRBL listed",
     LC_RCPT_POLICY_REJECTED},
    {"sbrs", "550 Rejected: SBRS score too low", LC_RCPT_POLICY_REJECTED},
    {"no ptr", "550 No PTR record found for your address",
     LC_RCPT_POLICY_REJECTED},
    {"rdns", "550 rDNS lookup failed", LC_RCPT_POLICY_REJECTED},
    {"reverse dns", "550 Reverse DNS lookup failed for host",
     LC_RCPT_POLICY_REJECTED},
    {"not authorized", "550 Client not authorized to send",
     LC_RCPT_POLICY_REJECTED},
    {"blacklisted", "550 Host is blacklisted", LC_RCPT_POLICY_REJECTED},
    {"blocklisted", "550 Host is blocklisted", LC_RCPT_POLICY_REJECTED},
    {"5.7 without text", "550 5.7.0", LC_RCPT_POLICY_REJECTED},

    /* Permanent rejections without a stated cause. */
    {"exim unrouteable", "550 Unrouteable address", LC_RCPT_REJECTED},
    {"plain rejected", "550 Rejected", LC_RCPT_REJECTED},
    {"550 without text", "550", LC_RCPT_REJECTED},
    {"500 unrecognized", "500 5.5.1 Command unrecognized", LC_RCPT_REJECTED},
    {"551 user not local", "551 User not local; please try <b@example.org>",
     LC_RCPT_REJECTED},
    {"5.4.1 other text", "550 5.4.1 Access denied", LC_RCPT_REJECTED},
    {"address rejected without 5.1.0", "550 Address rejected",
     LC_RCPT_REJECTED},
    {"address rejected with 5.1.2", "550 5.1.2 Address rejected",
     LC_RCPT_REJECTED},
    {"5.1.6 moved", "550 5.1.6 mailbox has moved", LC_RCPT_REJECTED},

    /* Greylisting. */
    {"450 4.7.1", "450 4.7.1 <a@example.org>: Recipient address rejected",
     LC_RCPT_GREYLISTED},
    {"451 4.7.1 try later", "451 4.7.1 Please try again later",
     LC_RCPT_GREYLISTED},
    {"postgrey",
     "450 4.2.0 <a@example.org>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/example.org.html",
     LC_RCPT_GREYLISTED},
    {"greylisting text", "451 Greylisting in action, please come back later",
     LC_RCPT_GREYLISTED},
    {"graylisted text", "450 Graylisted", LC_RCPT_GREYLISTED},
    {"grey list text", "450 on the grey list", LC_RCPT_GREYLISTED},
    {"try later text", "451 Temporary local problem - please try later",
     LC_RCPT_GREYLISTED},
    {"retry later text", "450 please retry later", LC_RCPT_GREYLISTED},

    /* Rate limits. */
    {"gmail 421",
     "421-4.7.0 Try again later, closing connection. (EHLO)\r\n421 4.7.0 "
     "For more information, go to https://example.org - gsmtp",
     LC_RCPT_RATE_LIMITED},
    {"421 too many connections", "421 Too many concurrent SMTP connections",
     LC_RCPT_RATE_LIMITED},
    {"452 4.5.3", "452 4.5.3 Too many recipients", LC_RCPT_RATE_LIMITED},
    {"452 4.5.3 without text", "452 4.5.3", LC_RCPT_RATE_LIMITED},
    {"452 too many text", "452 Too many recipients received this hour",
     LC_RCPT_RATE_LIMITED},
    {"450 too many connections", "450 Too many connections from your IP",
     LC_RCPT_RATE_LIMITED},
    {"4.7.0 rate limit", "451 4.7.0 Rate limit exceeded", LC_RCPT_RATE_LIMITED},
    {"4.7.0 rate word", "451 4.7.0 rate exceeded", LC_RCPT_RATE_LIMITED},
    {"throttled", "451 Throttled", LC_RCPT_RATE_LIMITED},
    {"ratelimit text", "451 ratelimit", LC_RCPT_RATE_LIMITED},

    /* Other deferrals. */
    {"mimecast internal resource",
     "451 Internal resource temporarily unavailable - "
     "https://community.mimecast.com/docs/DOC-1369#451",
     LC_RCPT_TEMPORARY},
    {"450 user unknown",
     "450 4.1.1 <a@example.org>: Recipient address rejected: User unknown in "
     "local recipient table",
     LC_RCPT_TEMPORARY},
    {"451 lookup failure", "451 4.3.0 Temporary lookup failure",
     LC_RCPT_TEMPORARY},
    {"452 system storage", "452 4.3.1 Insufficient system storage",
     LC_RCPT_TEMPORARY},
    {"450 receiving too quickly",
     "450 4.2.1 The user you are trying to contact is receiving mail too "
     "quickly",
     LC_RCPT_TEMPORARY},
    {"rate inside a word", "451 4.7.0 separate issue", LC_RCPT_TEMPORARY},
    {"rate without 4.7.0", "451 4.3.0 rate", LC_RCPT_TEMPORARY},
    {"452 4.7.1", "452 4.7.1 policy", LC_RCPT_TEMPORARY},
    {"4xx blocklist text", "451 blocked using zen.spamhaus.org",
     LC_RCPT_TEMPORARY},
    {"4xx disabled text", "450 account disabled", LC_RCPT_TEMPORARY},

    /* Not a valid reply to RCPT. */
    {"354", "354 Start mail input", LC_RCPT_PROTOCOL_ERROR},
};

/* User-unknown texts, one per pattern, including the non-English ones in
 * both cases. */
static const char *const user_texts[] = {
    "No such user here",
    "User unknown",
    "unknown user",
    "User not found",
    "Address does not exist",
    "address doesn't exist",
    "address doesn\xe2\x80\x99t exist",
    "nonexistent mailbox",
    "non-existent mailbox",
    "Invalid recipient",
    "invalid mailbox",
    "Recipient not found",
    "Unknown recipient",
    "recipient unknown",
    "No such recipient",
    "no such mailbox",
    "No such address",
    "no mailbox here by that name",
    "Mailbox not found",
    "address not found",
    "mailbox unavailable",
    "Benutzer unbekannt",
    "BENUTZER UNBEKANNT",
    "Die Adresse existiert nicht",
    "Utilisateur inconnu",
    "L'adresse n'existe pas",
    "L\xe2\x80\x99"
    "adresse n\xe2\x80\x99"
    "existe pas",
    "La cuenta no existe",
    "Usuario desconocido",
    "Utente sconosciuto",
    "Indirizzo inesistente",
    "Este endere\xc3\xa7o n\xc3\xa3o existe",
    "ESTE ENDERE\xc3\x87O N\xc3\x83O EXISTE",
    "Usu\xc3\xa1rio desconhecido",
    "endereco nao existe",
    "Gebruiker onbekend",
    "Dit adres bestaat niet",
    /* Пользователь не существует */
    "\xd0\x9f\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb7\xd0\xbe\xd0\xb2\xd0\xb0\xd1\x82"
    "\xd0\xb5\xd0\xbb\xd1\x8c \xd0\xbd\xd0\xb5 \xd1\x81\xd1\x83\xd1\x89\xd0"
    "\xb5\xd1\x81\xd1\x82\xd0\xb2\xd1\x83\xd0\xb5\xd1\x82",
    /* НЕ СУЩЕСТВУЕТ */
    "\xd0\x9d\xd0\x95 \xd0\xa1\xd0\xa3\xd0\xa9\xd0\x95\xd0\xa1\xd0\xa2\xd0\x92"
    "\xd0\xa3\xd0\x95\xd0\xa2",
    /* Неизвестный получатель */
    "\xd0\x9d\xd0\xb5\xd0\xb8\xd0\xb7\xd0\xb2\xd0\xb5\xd1\x81\xd1\x82\xd0\xbd"
    "\xd1\x8b\xd0\xb9 \xd0\xbf\xd0\xbe\xd0\xbb\xd1\x83\xd1\x87\xd0\xb0\xd1\x82"
    "\xd0\xb5\xd0\xbb\xd1\x8c",
    /* Нет такого пользователя */
    "\xd0\x9d\xd0\xb5\xd1\x82 \xd1\x82\xd0\xb0\xd0\xba\xd0\xbe\xd0\xb3\xd0\xbe"
    " \xd0\xbf\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb7\xd0\xbe\xd0\xb2\xd0\xb0\xd1\x82"
    "\xd0\xb5\xd0\xbb\xd1\x8f",
    "Adres nie istnieje",
    "ADRES NIE ISTNIEJE",
};

/* Policy texts, one per pattern. */
static const char *const policy_texts[] = {
    "blocked using zen.spamhaus.org",
    "listed at bl.spamcop.net",
    "BRBL listed",
    "see b.barracudacentral.org",
    "listed in SORBS",
    "UCEPROTECT level 1",
    "RBL match",
    "DNSBL hit",
    "Blocked",
    "host blacklisted",
    "host blocklisted",
    "on our black list",
    "on our block list",
    "on our denylist",
    "poor reputation",
    "SBRS too low",
    "no PTR",
    "no rDNS",
    "reverse DNS failed",
    "reverse hostname missing",
    "reverse lookup failed",
    "Client host rejected",
    "Helo command rejected",
    "your IP is listed",
    "not authorized",
    "not authorised",
    "Relay access denied",
    "Relaying denied",
    "relay denied",
    "relay not permitted",
    "relaying not permitted",
    "Unable to relay",
    "not permitted to relay",
    "Sender rejected",
    "Sender address rejected",
    "sender domain not found",
    "Sender verify failed",
    "sender verification failed",
    "sender unknown",
    "unknown sender",
    "Absender",
    "exp\xc3\xa9"
    "diteur",
    "EXPEDITEUR",
    "remitente",
    "mittente",
    "remetente",
    "afzender",
    /* ОТПРАВИТЕЛЬ */
    "\xd0\x9e\xd0\xa2\xd0\x9f\xd0\xa0\xd0\x90\xd0\x92\xd0\x98\xd0\xa2\xd0\x95"
    "\xd0\x9b\xd0\xac",
    "nadawca",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Parses REPLY (CRLF added after the last line) and classifies it. */
static enum lc_rcpt_class classify(const char *reply)
{
  char buf[4 * LC_REPLY_LINE_MAX];
  struct lc_reply_parser parser;
  struct lc_reply parsed;
  size_t consumed;
  bool complete;
  int len = snprintf(buf, sizeof(buf), "%s\r\n", reply);

  assert_true(len > 0 && (size_t)len < sizeof(buf));
  lc_reply_parser_init(&parser);
  assert_int_equal(
      lc_reply_parse(&parser, buf, (size_t)len, &consumed, &parsed, &complete),
      LC_OK);
  assert_true(complete);
  return lc_reply_classify(&parsed);
}

static void expect_class(const char *reply, enum lc_rcpt_class expected)
{
  enum lc_rcpt_class got = classify(reply);

  if (got != expected)
    print_error("reply \"%s\": expected %s, got %s\n", reply,
                lc_rcpt_class_name(expected), lc_rcpt_class_name(got));
  assert_int_equal(got, expected);
}

static void test_classify_case(void **state)
{
  const struct classify_case *c = *state;

  expect_class(c->reply, c->expected);
}

static void test_user_texts_5xx(void **state)
{
  char reply[512];

  (void)state;
  for (size_t i = 0; i < COUNT(user_texts); i++) {
    snprintf(reply, sizeof(reply), "550 %s", user_texts[i]);
    expect_class(reply, LC_RCPT_MAILBOX_NOT_FOUND);
    snprintf(reply, sizeof(reply), "550 5.1.0 %s", user_texts[i]);
    expect_class(reply, LC_RCPT_MAILBOX_NOT_FOUND);
    snprintf(reply, sizeof(reply), "553 5.0.0 %s", user_texts[i]);
    expect_class(reply, LC_RCPT_MAILBOX_NOT_FOUND);
  }
}

static void test_policy_texts_5xx(void **state)
{
  char reply[512];

  (void)state;
  for (size_t i = 0; i < COUNT(policy_texts); i++) {
    snprintf(reply, sizeof(reply), "550 %s", policy_texts[i]);
    expect_class(reply, LC_RCPT_POLICY_REJECTED);
  }
}

/* A policy text wins over every user-unknown text and over 5.1.1, and a
 * 5.7.x code wins over every user-unknown text. */
static void test_policy_beats_user_unknown(void **state)
{
  char reply[512];

  (void)state;
  for (size_t u = 0; u < COUNT(user_texts); u++) {
    snprintf(reply, sizeof(reply), "550 5.7.1 %s", user_texts[u]);
    expect_class(reply, LC_RCPT_POLICY_REJECTED);
    for (size_t p = 0; p < COUNT(policy_texts); p++) {
      snprintf(reply, sizeof(reply), "550 %s (%s)", user_texts[u],
               policy_texts[p]);
      expect_class(reply, LC_RCPT_POLICY_REJECTED);
      snprintf(reply, sizeof(reply), "550 5.1.1 %s: %s", policy_texts[p],
               user_texts[u]);
      expect_class(reply, LC_RCPT_POLICY_REJECTED);
    }
  }
}

/* Every 4xx code, with user-unknown, disabled and policy texts and with
 * mailbox enhanced codes, stays a deferral. */
static void test_4xx_never_mailbox_verdict(void **state)
{
  static const char *const enhanced[] = {"",       "4.1.1 ", "4.1.10 ",
                                         "4.2.1 ", "4.1.0 ", "4.7.1 "};
  static const char *const extra[] = {"Account disabled", "inactive",
                                      "Mailbox suspended"};
  char reply[512];

  (void)state;
  /* 400 to 459 are all the 4xx codes that RFC 5321 4.2 allows. */
  for (int code = 400; code <= 459; code++) {
    for (size_t e = 0; e < COUNT(enhanced); e++) {
      for (size_t t = 0;
           t < COUNT(user_texts) + COUNT(extra) + COUNT(policy_texts); t++) {
        const char *text =
            t < COUNT(user_texts) ? user_texts[t]
            : t < COUNT(user_texts) + COUNT(extra)
                ? extra[t - COUNT(user_texts)]
                : policy_texts[t - COUNT(user_texts) - COUNT(extra)];
        enum lc_rcpt_class got;

        snprintf(reply, sizeof(reply), "%d %s%s", code, enhanced[e], text);
        got = classify(reply);
        if (got != LC_RCPT_TEMPORARY && got != LC_RCPT_GREYLISTED &&
            got != LC_RCPT_RATE_LIMITED)
          print_error("reply \"%s\" gave %s\n", reply, lc_rcpt_class_name(got));
        assert_true(got == LC_RCPT_TEMPORARY || got == LC_RCPT_GREYLISTED ||
                    got == LC_RCPT_RATE_LIMITED);
      }
    }
  }
}

/* Replies built by hand need not be terminated, and the classifier must
 * stay within the struct. Codes that the parser never produces give
 * protocol_error. */
static void test_classify_unterminated(void **state)
{
  struct lc_reply reply;

  (void)state;
  memset(&reply, 0, sizeof(reply));
  reply.code = 550;
  memset(reply.text, 'a', sizeof(reply.text));
  memset(reply.enhanced, '5', sizeof(reply.enhanced));
  assert_int_equal(lc_reply_classify(&reply), LC_RCPT_REJECTED);
  memcpy(reply.text + sizeof(reply.text) - 7, "unknown", 7);
  memcpy(reply.text + sizeof(reply.text) - 12, "user ", 5);
  assert_int_equal(lc_reply_classify(&reply), LC_RCPT_MAILBOX_NOT_FOUND);
  reply.code = 0;
  assert_int_equal(lc_reply_classify(&reply), LC_RCPT_PROTOCOL_ERROR);
  reply.code = 999;
  assert_int_equal(lc_reply_classify(&reply), LC_RCPT_PROTOCOL_ERROR);
  reply.code = 199;
  assert_int_equal(lc_reply_classify(&reply), LC_RCPT_PROTOCOL_ERROR);
}

int main(void)
{
  static const struct CMUnitTest fixed[] = {
      cmocka_unit_test(test_user_texts_5xx),
      cmocka_unit_test(test_policy_texts_5xx),
      cmocka_unit_test(test_policy_beats_user_unknown),
      cmocka_unit_test(test_4xx_never_mailbox_verdict),
      cmocka_unit_test(test_classify_unterminated),
  };
  struct CMUnitTest tests[COUNT(cases) + COUNT(fixed)];
  int failed;

  for (size_t i = 0; i < COUNT(cases); i++) {
    struct CMUnitTest t = {cases[i].name, test_classify_case, NULL, NULL,
                           &cases[i]};

    tests[i] = t;
  }
  memcpy(tests + COUNT(cases), fixed, sizeof(fixed));
  failed = _cmocka_run_group_tests("classify", tests,
                                   COUNT(cases) + COUNT(fixed), NULL, NULL);
  return failed == 0 ? 0 : 1;
}
