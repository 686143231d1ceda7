/* SMTP probe session: ask one MX about a batch of recipients.
 *
 * A session connects to the first address of the MX that accepts a TCP
 * connection and reads the banner. It sends EHLO (HELO when EHLO gets a
 * 5xx) and upgrades with STARTTLS when the server offers it. Then it sends
 * one MAIL FROM and one RCPT TO per recipient, and ends with QUIT. It never
 * sends DATA. Every reply to a RCPT becomes one observation, reported
 * through the recipient callback as soon as it arrives. Thousands of
 * sessions run on one libuv loop. A session without TLS takes under 6 KB
 * for its struct, one address and 20 recipient slots (test_session_size in
 * tests/unit/test_smtp.c prints the figure).
 *
 * Exactly-once rule: each recipient either gets one recipient callback or
 * is listed as "not asked" in the summary of the done callback, never both
 * and never neither. Recipients are completed in index order, so the ones
 * not asked are always the tail [not_asked_first, recipient count). The
 * scheduler queues them again in a new session, honouring summary.end
 * (back off after LC_SMTP_END_RATE_LIMITED, for example).
 *
 * How each outcome maps to the recipients still waiting:
 *   - 421 anywhere (also one that answers no command, as a server may send
 *     before it closes), or a reply to the banner, EHLO, HELO or MAIL that
 *     classifies as rate limited (for example "554 too many connections"):
 *     not asked, LC_SMTP_END_RATE_LIMITED.
 *   - any other 4xx or 5xx to the banner, HELO, MAIL or RSET, a 4xx to
 *     EHLO, or any error to the EHLO sent after STARTTLS: every recipient
 *     still waiting gets that reply, classified as
 *     LC_RCPT_POLICY_REJECTED for 5xx (the prober was refused, whatever
 *     the text says, because a sender or client rejection says nothing
 *     about the recipient), LC_RCPT_GREYLISTED or LC_RCPT_TEMPORARY for
 *     4xx. End LC_SMTP_END_REJECTED.
 *   - 452 4.5.3 (or another RCPT reply classified as rate limited): that
 *     recipient and the rest are not asked, LC_SMTP_END_TOO_MANY_RCPTS.
 *   - connection closed by the server after the banner (also right after a
 *     5xx RCPT reply): recipients already answered keep their answer, the
 *     rest are not asked, LC_SMTP_END_DROPPED. Closed before or during the
 *     banner: every recipient gets LC_RCPT_DROPPED.
 *   - no reply within the command timeout: LC_RCPT_TIMEOUT for all still
 *     waiting, LC_SMTP_END_TIMEOUT. The timeout runs per reply and is not
 *     extended by partial data, so a server that trickles bytes times out.
 *   - no address accepted a connection (refused, unreachable or connect
 *     timeout on each): LC_RCPT_CONNECTION_FAILED, LC_SMTP_END_CONNECT_FAILED.
 *   - reply that breaks the protocol (malformed, over the line limits of
 *     engine/reply.h, a reply other than 421 that answers no command sent,
 *     or bytes behind the 220 to STARTTLS): LC_RCPT_PROTOCOL_ERROR, end
 *     LC_SMTP_END_PROTOCOL_ERROR.
 *   - TLS handshake or record failure: when the server required TLS (530
 *     to MAIL), LC_RCPT_TLS_FAILED for all; otherwise not asked with
 *     summary.plain_retry set, so the scheduler retries with use_tls off.
 *     Both end with LC_SMTP_END_TLS_FAILED. 530 when STARTTLS is not
 *     offered (or no SSL_CTX is configured) gives LC_RCPT_TLS_FAILED too.
 *   - a recipient with a non-ASCII byte, when the server does not offer
 *     SMTPUTF8: it is not sent; it gets LC_RCPT_REJECTED with code 0, no
 *     enhanced code and the message "SMTPUTF8 not offered by the server".
 *   - lc_smtp_session_cancel(): every recipient still waiting gets a
 *     callback with status LC_ERR_CANCELED and class LC_RCPT_NOT_PROBED,
 *     end LC_SMTP_END_CANCELED.
 */
#ifndef LC_SMTP_H
#define LC_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "engine/reply.h"
#include "engine/status.h"
#include "engine/verdict.h"

/* RCPT commands per connection unless the options set another count: many
 * servers drop a client after about 20 rejected recipients. */
#define LC_SMTP_RCPT_DEFAULT 20
/* Upper bound of lc_smtp_options.rcpt_per_session. */
#define LC_SMTP_RCPT_MAX 1000
/* Maximum length of a recipient or sender address (RFC 5321 4.5.3.1.3 path
 * limit, angle brackets excluded). */
#define LC_SMTP_PATH_MAX 254
/* Maximum length of an MX host name, NUL included. */
#define LC_SMTP_HOST_MAX 256
/* Addresses tried per session. */
#define LC_SMTP_ADDRS_MAX 16

struct lc_smtp_session;

/* Settings of a session. The struct is copied by lc_smtp_session_new(),
 * but the strings and the SSL_CTX are borrowed: they must stay valid until
 * the done callback has returned. Zero values select the defaults. */
struct lc_smtp_options {
  const char *helo_name;       /* EHLO/HELO argument; required */
  const char *mail_from;       /* MAIL FROM path; "" or NULL sends <> */
  uint16_t port;               /* TCP port, default 25 */
  unsigned connect_timeout_ms; /* per address, default 30 s */
  unsigned banner_timeout_ms;  /* default: command_timeout_ms */
  unsigned command_timeout_ms; /* per reply, default 60 s */
  unsigned quit_timeout_ms;    /* wait for 221, default 1 s */
  unsigned rcpt_per_session;   /* RCPTs per connection, default 20 */
  bool use_tls;                /* STARTTLS whenever the server offers it */
  SSL_CTX *ssl_ctx;            /* client context; NULL disables TLS */
  bool trace;                  /* log protocol lines at trace level */
};

/* Observation of one recipient. */
struct lc_smtp_result {
  enum lc_status status;           /* LC_OK, or LC_ERR_CANCELED after cancel */
  enum lc_rcpt_class cls;          /* LC_RCPT_NOT_PROBED only when canceled */
  int code;                        /* basic code of the reply, 0 when none */
  char enhanced[16];               /* "5.1.1" or "" */
  char message[LC_REPLY_TEXT_MAX]; /* first line of the reply text */
  const char *mx;                  /* host name that answered (session-owned) */
  const struct sockaddr_storage *addr; /* address used, or NULL */
  bool tls;                            /* the reply came over TLS */
};

/* Why a session ended. */
enum lc_smtp_end {
  LC_SMTP_END_OK,             /* every recipient was asked */
  LC_SMTP_END_REJECTED,       /* banner/EHLO/HELO/MAIL/RSET refused us */
  LC_SMTP_END_RATE_LIMITED,   /* 421 or a "too many" reply outside RCPT */
  LC_SMTP_END_TOO_MANY_RCPTS, /* 452 4.5.3 or similar to a RCPT */
  LC_SMTP_END_DROPPED,        /* the server closed the connection */
  LC_SMTP_END_TIMEOUT,
  LC_SMTP_END_CONNECT_FAILED,
  LC_SMTP_END_TLS_FAILED,
  LC_SMTP_END_PROTOCOL_ERROR,
  LC_SMTP_END_CANCELED,
  LC_SMTP_END_INTERNAL /* out of memory or a libuv/OpenSSL failure */
};

/* What the done callback receives. The pointers are valid during the
 * callback only. */
struct lc_smtp_summary {
  enum lc_smtp_end end;
  size_t not_asked_first; /* first recipient index not asked */
  size_t not_asked_count; /* recipients [first, first + count) */
  size_t recipient_count; /* all recipients of the session */
  bool tls;               /* TLS was active when the session ended */
  bool plain_retry;       /* TLS failed and the server did not require
                             it: a retry without TLS is allowed */
  int code;               /* reply that ended the session, 0 if none */
  char enhanced[16];
  char message[LC_REPLY_TEXT_MAX];
  const char *mx;
  const struct sockaddr_storage *addr; /* last address tried, or NULL */
};

/* Called once per recipient with its INDEX (position in the order the
 * recipients were given, over all lc_smtp_session_add_recipients() calls).
 * The callback may call lc_smtp_session_cancel() on the session. */
typedef void (*lc_smtp_rcpt_cb)(struct lc_smtp_session *session, void *user,
                                size_t index,
                                const struct lc_smtp_result *result);
/* Called once per session, last, after every handle is closed. The session
 * is freed when the callback returns and must not be used in it. */
typedef void (*lc_smtp_done_cb)(struct lc_smtp_session *session, void *user,
                                const struct lc_smtp_summary *summary);

/* Start a session on LOOP to the MX named MX_HOST (used for SNI and
 * logs), trying ADDRS[0..NADDRS) in order (their port is replaced by
 * OPTS->port) until one accepts the connection. RCPTS[0..NRCPTS) are the
 * recipients (borrowed until their callback or the done callback; at most
 * opts->rcpt_per_session, each at most LC_SMTP_PATH_MAX bytes without
 * control characters, spaces or angle brackets). On LC_OK stores the
 * session in *OUT; from then on the callbacks run from the loop, never
 * from inside this call. Returns LC_ERR_INVALID for bad arguments,
 * LC_ERR_LIMIT for too many recipients or addresses, LC_ERR_NOMEM, or
 * LC_ERR_INTERNAL when libuv cannot set up the handles. */
enum lc_status
lc_smtp_session_new(uv_loop_t *loop, const struct lc_smtp_options *opts,
                    const char *mx_host, const struct sockaddr_storage *addrs,
                    size_t naddrs, const char *const *rcpts, size_t nrcpts,
                    lc_smtp_rcpt_cb rcpt_cb, lc_smtp_done_cb done_cb,
                    void *user, struct lc_smtp_session **out);

/* Queue RCPTS[0..NRCPTS) in a running session. While the last mail
 * transaction is still open (MAIL FROM sent, RCPTs unanswered) they join
 * it, unless they need SMTPUTF8 and it was opened without; otherwise, once
 * the current batch is answered, the session sends RSET and a new MAIL
 * FROM, then the new RCPTs. Their indexes continue after the ones already
 * given; the first is stored in *FIRST_INDEX. Returns LC_ERR_LIMIT
 * when the total would pass opts->rcpt_per_session, LC_ERR_CLOSED when the
 * session already ended its work (sent QUIT or failed): use a new session
 * then. The session QUITs as soon as it has nothing left to ask, so
 * recipients can only be added while earlier ones are still in flight. */
enum lc_status lc_smtp_session_add_recipients(struct lc_smtp_session *session,
                                              const char *const *rcpts,
                                              size_t nrcpts,
                                              size_t *first_index);

/* Stop the session: every recipient without an answer gets its callback
 * with status LC_ERR_CANCELED before this returns, then the connection is
 * closed and the done callback runs from the loop. Does nothing when the
 * session is already ending. Safe to call from a recipient callback. */
void lc_smtp_session_cancel(struct lc_smtp_session *session);

/* Text of an end reason ("ok", "rate_limited", ...). Never NULL. */
const char *lc_smtp_end_name(enum lc_smtp_end end);

#endif
