/* SMTP reply texts of the operators the world imitates.
 *
 * The texts follow what each operator is publicly known to send (Postfix
 * for self-hosted servers, Google, Microsoft, Yahoo, Mimecast, Proofpoint,
 * Barracuda), so listclean's classifier sees realistic wording. */
#ifndef SIM_SMTP_TEXT_H
#define SIM_SMTP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/simworld/profile.h"
#include "bench/simworld/world.h"

#define SIM_REPLY_MAX 2048

/* One reply, possibly of several lines, with its line endings. */
struct sim_reply {
  char text[SIM_REPLY_MAX];
  size_t len;
  bool lf_only; /* end lines in LF instead of CRLF */
  int code;     /* code of the last line added */
};

void sim_reply_init(struct sim_reply *reply, const struct sim_host *host);
/* Add a line "CODE-text" (MORE) or "CODE text" (last line). */
void sim_reply_line(struct sim_reply *reply, int code, bool more,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void sim_reply_banner(struct sim_reply *reply, const struct sim_host *host);
void sim_reply_ehlo(struct sim_reply *reply, const struct sim_host *host,
                    const char *peer, bool offer_starttls);
/* Reply to RCPT TO:<ADDR> for OUTCOME; PEER is the client's address as
 * text, used in blocklist texts. */
void sim_reply_rcpt(struct sim_reply *reply, const struct sim_host *host,
                    enum sim_rcpt_outcome outcome, const char *addr,
                    const char *peer);

#endif
