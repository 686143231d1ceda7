/* SMTP command handlers: one function per verb, each checking the session
 * state and queueing exactly one reply. DATA is always refused and
 * counted; a prober must never send it. */
#include "bench/simworld/log.h"
#include "bench/simworld/seen.h"
#include "bench/simworld/smtp_session.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ADDR_MAX 320

typedef void (*command_fn)(struct smtp_session *session, const char *arg);

static void reset_transaction(struct smtp_session *session)
{
  session->rcpts = 0;
  if (session->state == SMTP_MAIL || session->state == SMTP_RCPT)
    smtp_set_state(session, SMTP_READY);
}

static void cmd_ehlo(struct smtp_session *session, const char *arg)
{
  struct sim_reply reply;
  if (*arg == '\0') {
    smtp_send_line(session, 501, false, "5.5.4 Syntax: EHLO hostname");
    return;
  }
  if (!session->counted_session) {
    session->counted_session = true;
    session->host->stats.sessions++;
  }
  reset_transaction(session);
  sim_reply_init(&reply, session->host);
  bool offer_tls =
      (session->host->mods & SIM_MOD_STARTTLS) && session->conn.ssl == NULL;
  sim_reply_ehlo(&reply, session->host, session->peer, offer_tls);
  smtp_send(session, &reply, false);
  smtp_set_state(session, SMTP_READY);
}

static void cmd_helo(struct smtp_session *session, const char *arg)
{
  if (*arg == '\0') {
    smtp_send_line(session, 501, false, "5.5.4 Syntax: HELO hostname");
    return;
  }
  if (!session->counted_session) {
    session->counted_session = true;
    session->host->stats.sessions++;
  }
  reset_transaction(session);
  smtp_send_line(session, 250, false, "%s", session->host->name);
  smtp_set_state(session, SMTP_READY);
}

static void cmd_starttls(struct smtp_session *session, const char *arg)
{
  (void)arg;
  if (!(session->host->mods & SIM_MOD_STARTTLS)) {
    smtp_send_line(session, 502, false,
                   "5.5.1 Error: command not "
                   "implemented");
  } else if (session->conn.ssl != NULL) {
    smtp_send_line(session, 554, false, "5.5.1 Error: TLS already active");
  } else if (session->state == SMTP_GREET) {
    smtp_send_line(session, 503, false, "5.5.1 Error: send EHLO first");
  } else {
    smtp_send_line(session, 220, false, "2.0.0 Ready to start TLS");
    session->tls_pending = true;
    session->rcpts = 0;
    smtp_set_state(session, SMTP_GREET);
  }
}

/* Return the text after PREFIX ("FROM:", "TO:") with spaces skipped, or
 * NULL when ARG does not start with it. */
static const char *after_prefix(const char *arg, const char *prefix)
{
  size_t len = strlen(prefix);
  if (strncasecmp(arg, prefix, len) != 0)
    return NULL;
  arg += len;
  while (*arg == ' ')
    arg++;
  return arg;
}

static void cmd_mail(struct smtp_session *session, const char *arg)
{
  const struct sim_host *host = session->host;
  if (session->state == SMTP_GREET) {
    smtp_send_line(session, 503, false, "5.5.1 Error: send HELO/EHLO first");
  } else if (session->state != SMTP_READY) {
    smtp_send_line(session, 503, false, "5.5.1 Error: nested MAIL command");
  } else if (after_prefix(arg, "FROM:") == NULL) {
    smtp_send_line(session, 501, false, "5.5.4 Syntax: MAIL FROM:<address>");
  } else if ((host->mods & SIM_MOD_STARTTLS) && session->conn.ssl == NULL) {
    smtp_send_line(session, 530, false,
                   "5.7.0 Must issue a STARTTLS "
                   "command first");
  } else if (host->base == SIM_BASE_NOPTR) {
    smtp_send_line(session, 550, false,
                   "5.7.25 [%s] The IP address sending this message does "
                   "not have a PTR record setup, or the corresponding "
                   "forward DNS entry does not point to the sending IP.",
                   session->peer);
  } else {
    session->rcpts = 0;
    smtp_send_line(session, 250, false, "2.1.0 Ok");
    smtp_set_state(session, SMTP_MAIL);
  }
}

/* Copy the address of "TO:<addr>" (or "TO:addr") lower-cased into ADDR and
 * return the position of its '@', or NULL for a malformed address. */
static char *parse_rcpt(const char *arg, char *addr, size_t size)
{
  const char *start = after_prefix(arg, "TO:");
  if (start == NULL)
    return NULL;
  const char *end;
  if (*start == '<') {
    start++;
    end = strchr(start, '>');
  } else {
    end = start + strcspn(start, " ");
  }
  if (end == NULL || end == start || (size_t)(end - start) >= size)
    return NULL;
  size_t len = (size_t)(end - start);
  for (size_t i = 0; i < len; i++)
    addr[i] = (char)tolower((unsigned char)start[i]);
  addr[len] = '\0';
  if (len > 0 && addr[len - 1] == '.')
    addr[len - 1] = '\0';
  char *at = strrchr(addr, '@');
  return at != NULL && at != addr && at[1] != '\0' ? at : NULL;
}

/* Flags in the high bits of a greylist entry. The low bits contain the
 * loop time in ms of the first RCPT of the client and recipient. */
#define GREY_DEFERRED (1ull << 63)
#define GREY_PASSED (1ull << 62)
#define GREY_TIME_MASK (GREY_PASSED - 1)

/* True while the greylisting period of this client and recipient runs.
 * Counts every deferral, and the first RCPT that passes after one. */
static bool greylisted(struct smtp_session *session, const char *addr)
{
  struct sim_server *server = session->server;
  struct sim_host_stats *stats = &session->host->stats;
  uint64_t key = sim_hash(addr, strlen(addr)) ^
                 ((uint64_t)session->host->addr << 32) ^
                 ((uint64_t)session->conn.peer_addr * 0x9E3779B97F4A7C15ull);
  uint64_t now = uv_now(server->loop);
  bool inserted;
  uint64_t *entry = sim_seen_get(server->greylist, key, now, &inserted);
  if (entry == NULL)
    return false;
  if (now - (*entry & GREY_TIME_MASK) <
      (uint64_t)server->config.greylist_s * 1000) {
    *entry |= GREY_DEFERRED;
    stats->greylisted++;
    return true;
  }
  if ((*entry & GREY_DEFERRED) && !(*entry & GREY_PASSED)) {
    *entry |= GREY_PASSED;
    stats->greylist_passed++;
  }
  return false;
}

/* Write one --rcpt-log line: ms since the server was ready, the MX
 * address, the recipient in lower case ("-" when malformed) and the reply
 * code. */
static void log_rcpt(struct smtp_session *session, const char *addr, int code)
{
  struct sim_server *server = session->server;
  uint32_t mx = session->host->addr;
  if (server->rcpt_log == NULL)
    return;
  fprintf(server->rcpt_log, "%llu %u.%u.%u.%u %s %d\n",
          (unsigned long long)(uv_now(server->loop) - server->ready_ms),
          mx >> 24, (mx >> 16) & 255, (mx >> 8) & 255, mx & 255, addr, code);
}

/* Queue the reply of the mailbox ADDR (AT points at its '@') and return
 * its code. */
static int rcpt_reply(struct smtp_session *session, const char *addr, char *at)
{
  const struct sim_world *world = session->server->world;
  struct sim_host *host = session->host;
  int32_t domain = sim_world_find_domain(world, at + 1, strlen(at + 1));
  if (domain < 0) {
    smtp_send_line(session, 554, false, "5.7.1 <%s>: Relay access denied",
                   addr);
    return 554;
  }
  enum sim_mbox_state state =
      sim_world_find_mailbox(world, domain, addr, (size_t)(at - addr));
  enum sim_rcpt_outcome outcome =
      sim_rcpt_outcome((enum sim_base)host->base, state);
  struct sim_reply reply;
  sim_reply_init(&reply, host);
  sim_reply_rcpt(&reply, host, outcome, addr, session->peer);
  bool drop = reply.code >= 500 && (host->mods & SIM_MOD_DISCONNECT);
  smtp_send(session, &reply, drop);
  if (outcome == SIM_RCPT_ACCEPT)
    smtp_set_state(session, SMTP_RCPT);
  return reply.code;
}

static void cmd_rcpt(struct smtp_session *session, const char *arg)
{
  char addr[ADDR_MAX];
  const struct sim_host *host = session->host;
  int code;
  if (session->state != SMTP_MAIL && session->state != SMTP_RCPT) {
    smtp_send_line(session, 503, false, "5.5.1 Error: need MAIL command");
    return;
  }
  session->host->stats.rcpts++;
  char *at = parse_rcpt(arg, addr, sizeof(addr));
  if (at == NULL) {
    code = 501;
    smtp_send_line(session, code, false,
                   "5.1.3 Bad recipient address "
                   "syntax");
  } else if ((host->mods & SIM_MOD_RCPTLIMIT) &&
             session->rcpts >= session->server->config.rcpt_limit) {
    code = 452;
    smtp_send_line(session, code, false, "4.5.3 Error: too many recipients");
  } else if ((host->mods & SIM_MOD_GREYLIST) && greylisted(session, addr)) {
    session->rcpts++;
    code = 450;
    smtp_send_line(session, code, false,
                   "4.7.1 <%s>: Recipient address "
                   "rejected: Greylisted, try again "
                   "later",
                   addr);
  } else {
    session->rcpts++;
    code = rcpt_reply(session, addr, at);
  }
  log_rcpt(session, at != NULL ? addr : "-", code);
}

static void cmd_data(struct smtp_session *session, const char *arg)
{
  (void)arg;
  session->host->stats.data++;
  sim_log_warn("smtp %s: client %s sent DATA", session->host->name,
               session->peer);
  if (session->state == SMTP_RCPT)
    smtp_send_line(session, 554, false,
                   "5.7.0 Error: this server accepts "
                   "no messages");
  else
    smtp_send_line(session, 503, false, "5.5.1 Error: need RCPT command");
}

static void cmd_rset(struct smtp_session *session, const char *arg)
{
  (void)arg;
  reset_transaction(session);
  smtp_send_line(session, 250, false, "2.0.0 Ok");
}

static void cmd_noop(struct smtp_session *session, const char *arg)
{
  (void)arg;
  smtp_send_line(session, 250, false, "2.0.0 Ok");
}

static void cmd_vrfy(struct smtp_session *session, const char *arg)
{
  (void)arg;
  smtp_send_line(session, 252, false, "2.0.0 Cannot VRFY user");
}

static void cmd_help(struct smtp_session *session, const char *arg)
{
  (void)arg;
  smtp_send_line(session, 214, false,
                 "2.0.0 Commands: EHLO HELO MAIL RCPT "
                 "DATA RSET NOOP VRFY QUIT");
}

static void cmd_quit(struct smtp_session *session, const char *arg)
{
  (void)arg;
  smtp_send_line(session, 221, true, "2.0.0 Bye");
}

static const struct {
  const char *verb;
  command_fn fn;
} commands[] = {
    {"EHLO", cmd_ehlo}, {"HELO", cmd_helo}, {"STARTTLS", cmd_starttls},
    {"MAIL", cmd_mail}, {"RCPT", cmd_rcpt}, {"DATA", cmd_data},
    {"RSET", cmd_rset}, {"NOOP", cmd_noop}, {"VRFY", cmd_vrfy},
    {"HELP", cmd_help}, {"QUIT", cmd_quit}};

void smtp_command(struct smtp_session *session, char *line, size_t len)
{
  if (sim_log_enabled(SIM_LOG_TRACE))
    sim_log_trace("smtp %s: <<< %s", session->host->name, line);
  size_t verb_len = strcspn(line, " ");
  const char *arg = line + verb_len;
  while (*arg == ' ')
    arg++;
  command_fn fn = NULL;
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (strlen(commands[i].verb) == verb_len &&
        strncasecmp(line, commands[i].verb, verb_len) == 0)
      fn = commands[i].fn;
  }
  (void)len;
  if (session->state == SMTP_REJECTED && fn != cmd_quit) {
    if (fn == cmd_data)
      session->host->stats.data++;
    smtp_send_line(session, 503, false,
                   "5.5.1 Error: connection rejected, "
                   "send QUIT");
  } else if (fn != NULL) {
    fn(session, arg);
  } else {
    smtp_send_line(session, 502, false,
                   "5.5.2 Error: command not "
                   "recognized");
  }
}
