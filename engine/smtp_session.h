/* Internal layout of an SMTP probe session, shared by engine/smtp.c
 * (lifecycle, state setter, outcomes), engine/smtp_proto.c (reply handlers
 * and commands) and engine/smtp_io.c (libuv and TLS glue). Nothing outside
 * these three files includes it.
 */
#ifndef LC_SMTP_SESSION_H
#define LC_SMTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "engine/reply.h"
#include "engine/smtp.h"
#include "engine/tls.h"

/* Outgoing bytes waiting for or inside a uv_write. A single command line
 * is at most 512 bytes (RFC 5321 4.5.3.1.4) and always fits next to a
 * pipelined chunk, because pipelined RCPTs use only LC_SMTP_PIPE_MAX. */
#define LC_SMTP_WIRE_MAX 1536
#define LC_SMTP_PIPE_MAX 1024
/* Bytes read from the socket per read callback. */
#define LC_SMTP_READ_MAX 1024

/* Per-recipient flags. */
#define LC_SMTP_RCPT_UTF8 0x01  /* address has a non-ASCII byte */
#define LC_SMTP_RCPT_BATCH 0x02 /* first recipient of a mail transaction */

enum lc_smtp_state {
  LC_SMTP_CONNECT,
  LC_SMTP_BANNER,
  LC_SMTP_EHLO,
  LC_SMTP_HELO,
  LC_SMTP_STARTTLS,
  LC_SMTP_TLS_HANDSHAKE,
  LC_SMTP_EHLO_TLS,
  LC_SMTP_MAIL,
  LC_SMTP_RCPT,
  LC_SMTP_RSET,
  LC_SMTP_QUIT,
  LC_SMTP_DONE
};

struct lc_smtp_session {
  enum lc_smtp_state state; /* changed only by lc_smtp_set_state() */
  uv_loop_t *loop;
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_connect_t connect_req;
  uv_write_t write_req;
  struct lc_smtp_options opts;
  lc_smtp_rcpt_cb rcpt_cb;
  lc_smtp_done_cb done_cb;
  void *user;
  char mx[LC_SMTP_HOST_MAX];

  /* Addresses, copied. */
  struct sockaddr_storage *addrs;
  size_t naddrs;
  size_t addr_index;      /* address being tried or in use */
  bool tcp_open;          /* tcp is initialised and not yet closed for good */
  unsigned handles;       /* libuv handles not yet closed */
  bool connected;         /* a connection was established */
  const char *last_error; /* static text of the last connect failure */
  bool io_failed;         /* a write failed; the timer reports it */

  /* Recipients (borrowed strings) and their flags, in one block. */
  const char **rcpts;
  uint8_t *rcpt_flags;
  size_t nrcpts;
  size_t next_send;   /* next recipient without a RCPT sent */
  size_t next_result; /* next recipient without a result */
  size_t batch_end;   /* end of the current mail transaction */
  size_t inflight;    /* RCPT replies outstanding */
  bool utf8_txn;      /* current MAIL FROM carries SMTPUTF8 */

  /* Extensions the server offered, and its demand for TLS. */
  bool ext_starttls, ext_pipelining, ext_smtputf8;
  bool tls_required; /* MAIL got 530 */

  /* Transport. */
  struct lc_tls *tls; /* set from STARTTLS on */
  bool tls_active;    /* handshake completed */
  struct lc_reply_parser parser;
  unsigned commands_sent; /* command lines sent, plus 1 for the banner */
  unsigned replies_seen;  /* complete replies received */
  unsigned owed;          /* replies due for what was sent before the data
                             being parsed arrived */
  char wire[LC_SMTP_WIRE_MAX];
  size_t wire_len;  /* bytes in wire */
  size_t wire_busy; /* leading bytes handed to uv_write */
  char rbuf[LC_SMTP_READ_MAX];

  /* Outcome, set once by lc_smtp_set_end(). */
  bool end_set;
  enum lc_smtp_end end;
  bool plain_retry;
  int end_code;
  char end_enhanced[16];
  char end_message[LC_REPLY_TEXT_MAX];
};

/* Session core (engine/smtp.c). */
const char *lc_smtp_state_name(enum lc_smtp_state state);
void lc_smtp_set_state(struct lc_smtp_session *s, enum lc_smtp_state state);
void lc_smtp_rearm(struct lc_smtp_session *s);
void lc_smtp_set_end(struct lc_smtp_session *s, enum lc_smtp_end end,
                     const struct lc_reply *reply);
void lc_smtp_report(struct lc_smtp_session *s, size_t index,
                    enum lc_status status, enum lc_rcpt_class cls,
                    const struct lc_reply *reply, const char *message);
void lc_smtp_fail_rest(struct lc_smtp_session *s, enum lc_status status,
                       enum lc_rcpt_class cls, const struct lc_reply *reply,
                       const char *message);
void lc_smtp_finish(struct lc_smtp_session *s);
void lc_smtp_on_handles_closed(struct lc_smtp_session *s);

/* Events from the I/O layer to the reply handlers (engine/smtp_proto.c). */
void lc_smtp_on_connected(struct lc_smtp_session *s);
void lc_smtp_on_connect_failed(struct lc_smtp_session *s, const char *reason);
void lc_smtp_on_input(struct lc_smtp_session *s, const char *data, size_t len);
void lc_smtp_on_handshake_done(struct lc_smtp_session *s);
void lc_smtp_on_tls_failed(struct lc_smtp_session *s);
void lc_smtp_on_closed(struct lc_smtp_session *s);
void lc_smtp_on_timeout(struct lc_smtp_session *s);
void lc_smtp_on_writable(struct lc_smtp_session *s);

/* I/O layer (engine/smtp_io.c). */
enum lc_status lc_smtp_io_init(struct lc_smtp_session *s);
void lc_smtp_io_connect(struct lc_smtp_session *s);
void lc_smtp_io_next_address(struct lc_smtp_session *s);
bool lc_smtp_io_room(const struct lc_smtp_session *s, size_t len);
void lc_smtp_io_send(struct lc_smtp_session *s, const char *line, size_t len);
enum lc_status lc_smtp_io_start_tls(struct lc_smtp_session *s);
void lc_smtp_io_timer(struct lc_smtp_session *s, unsigned ms);
void lc_smtp_io_close(struct lc_smtp_session *s);

#endif
