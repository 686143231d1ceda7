/* SMTP reply texts per operator style. */
#include "bench/simworld/smtp_text.h"

#include <stdarg.h>
#include <stdio.h>

void sim_reply_init(struct sim_reply *reply, const struct sim_host *host)
{
  reply->len = 0;
  reply->code = 0;
  reply->text[0] = '\0';
  reply->lf_only = host != NULL && (host->mods & SIM_MOD_LFONLY);
}

void sim_reply_line(struct sim_reply *reply, int code, bool more,
                    const char *fmt, ...)
{
  /* Keep room for the line ending so a long text is cut, not the end. */
  size_t room = sizeof(reply->text) - reply->len;
  if (room < 8)
    return;
  int n = snprintf(reply->text + reply->len, room - 2, "%03d%c", code,
                   more ? '-' : ' ');
  va_list ap;
  va_start(ap, fmt);
  int m =
      vsnprintf(reply->text + reply->len + n, room - 2 - (size_t)n, fmt, ap);
  va_end(ap);
  size_t used = (size_t)n + (size_t)m;
  if (used > room - 3)
    used = room - 3;
  reply->len += used;
  if (!reply->lf_only)
    reply->text[reply->len++] = '\r';
  reply->text[reply->len++] = '\n';
  reply->text[reply->len] = '\0';
  reply->code = code;
}

void sim_reply_banner(struct sim_reply *reply, const struct sim_host *host)
{
  const char *name = host->name;
  if (host->mods & SIM_MOD_MULTILINE) {
    sim_reply_line(reply, 220, true, "%s ESMTP", name);
    sim_reply_line(reply, 220, true,
                   "This system is for authorised use "
                   "only.");
    sim_reply_line(reply, 220, true, "All connections are logged.");
    sim_reply_line(reply, 220, false, "Ready");
    return;
  }
  switch (host->style) {
  case SIM_STYLE_GOOGLE:
    sim_reply_line(reply, 220, false, "mx.google.com ESMTP a1si4 - gsmtp");
    break;
  case SIM_STYLE_MICROSOFT:
    sim_reply_line(reply, 220, false, "%s Microsoft ESMTP MAIL Service ready",
                   name);
    break;
  case SIM_STYLE_YAHOO:
    sim_reply_line(reply, 220, false, "mtaproxy.mail.yahoo.com ESMTP ready");
    break;
  case SIM_STYLE_PROOFPOINT:
    sim_reply_line(reply, 220, false, "%s ESMTP mfa-m0214089", name);
    break;
  default:
    sim_reply_line(reply, 220, false, "%s ESMTP Postfix", name);
  }
}

void sim_reply_ehlo(struct sim_reply *reply, const struct sim_host *host,
                    const char *peer, bool offer_starttls)
{
  static const char *const extra[] = {
      "ETRN",       "DSN",       "VRFY",   "CHUNKING",
      "BINARYMIME", "DELIVERBY", "X-EXPS", "XCLIENT-NOT-OFFERED"};
  sim_reply_line(reply, 250, true, "%s Hello [%s]", host->name, peer);
  sim_reply_line(reply, 250, true, "PIPELINING");
  sim_reply_line(reply, 250, true, "SIZE 52428800");
  if (offer_starttls)
    sim_reply_line(reply, 250, true, "STARTTLS");
  if (host->mods & SIM_MOD_MULTILINE) {
    for (size_t i = 0; i + 1 < sizeof(extra) / sizeof(extra[0]); i++)
      sim_reply_line(reply, 250, true, "%s", extra[i]);
  }
  sim_reply_line(reply, 250, true, "8BITMIME");
  sim_reply_line(reply, 250, true, "ENHANCEDSTATUSCODES");
  sim_reply_line(reply, 250, false, "SMTPUTF8");
}

static void rcpt_accept(struct sim_reply *reply, const struct sim_host *host,
                        const char *addr)
{
  switch (host->style) {
  case SIM_STYLE_GOOGLE:
    sim_reply_line(reply, 250, false, "2.1.5 OK a1si4 - gsmtp");
    break;
  case SIM_STYLE_MICROSOFT:
    sim_reply_line(reply, 250, false, "2.1.5 Recipient OK");
    break;
  case SIM_STYLE_YAHOO:
    sim_reply_line(reply, 250, false, "recipient <%s> ok", addr);
    break;
  case SIM_STYLE_MIMECAST:
    sim_reply_line(reply, 250, false, "Recipient OK");
    break;
  default:
    sim_reply_line(reply, 250, false, "2.1.5 Ok");
  }
}

static void rcpt_unknown(struct sim_reply *reply, const struct sim_host *host,
                         const char *addr)
{
  switch (host->style) {
  case SIM_STYLE_GOOGLE:
    sim_reply_line(reply, 550, true,
                   "5.1.1 The email account that you "
                   "tried to reach does not exist. Please "
                   "try");
    sim_reply_line(reply, 550, true,
                   "5.1.1 double-checking the recipient's "
                   "email address for typos or");
    sim_reply_line(reply, 550, false,
                   "5.1.1 unnecessary spaces. "
                   "https://support.google.com/mail/"
                   "?p=NoSuchUser a1si4 - gsmtp");
    break;
  case SIM_STYLE_MICROSOFT:
    sim_reply_line(reply, 550, false,
                   "5.4.1 Recipient address rejected: "
                   "Access denied. For more information "
                   "see https://aka.ms/EXOSmtpErrors "
                   "[AM0PR01MB1234.eurprd01.prod."
                   "exchangelabs.com]");
    break;
  case SIM_STYLE_MIMECAST:
    sim_reply_line(reply, 550, false,
                   "Invalid Recipient - "
                   "https://community.mimecast.com/docs/"
                   "DOC-1369#550 [a1B2c3D4e5.uk12]");
    break;
  case SIM_STYLE_PROOFPOINT:
    sim_reply_line(reply, 550, false, "5.1.1 User Unknown");
    break;
  case SIM_STYLE_BARRACUDA:
    sim_reply_line(reply, 550, false, "No such user (%s)", addr);
    break;
  default:
    sim_reply_line(reply, 550, false,
                   "5.1.1 <%s>: Recipient address "
                   "rejected: User unknown in virtual "
                   "mailbox table",
                   addr);
  }
}

void sim_reply_rcpt(struct sim_reply *reply, const struct sim_host *host,
                    enum sim_rcpt_outcome outcome, const char *addr,
                    const char *peer)
{
  switch (outcome) {
  case SIM_RCPT_ACCEPT:
    rcpt_accept(reply, host, addr);
    break;
  case SIM_RCPT_UNKNOWN_USER:
    rcpt_unknown(reply, host, addr);
    break;
  case SIM_RCPT_FULL:
    if (host->mods & SIM_MOD_FULL452)
      sim_reply_line(reply, 452, false,
                     "4.2.2 The email account that you "
                     "tried to reach is over quota");
    else
      sim_reply_line(reply, 552, false, "5.2.2 <%s>: Mailbox full", addr);
    break;
  case SIM_RCPT_DISABLED:
    sim_reply_line(reply, 550, false, "5.2.1 <%s>: Account disabled", addr);
    break;
  default:
    sim_reply_line(reply, 550, false,
                   "5.7.1 Service unavailable; client "
                   "host [%s] blocked using Spamhaus; "
                   "https://www.spamhaus.org/query/ip/%s",
                   peer, peer);
  }
}
