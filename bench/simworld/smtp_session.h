/* One SMTP server session, shared by smtp.c (connection, reply queue,
 * delays) and smtp_cmd.c (command handlers). */
#ifndef SIM_SMTP_SESSION_H
#define SIM_SMTP_SESSION_H

#include "bench/simworld/conn.h"
#include "bench/simworld/server.h"
#include "bench/simworld/smtp_text.h"

#define SMTP_LINE_MAX 1000        /* RFC 5321 4.5.3.1.4 text line, with CRLF */
#define SMTP_IN_MAX (1024 * 1024) /* pipelined input while a reply waits */
#define SMTP_OUT_MAX 16384

enum smtp_state {
  SMTP_CONNECTED, /* accepted, banner not decided yet */
  SMTP_GREET,     /* banner sent, waiting for EHLO/HELO */
  SMTP_READY,     /* after EHLO, no transaction */
  SMTP_MAIL,      /* after MAIL FROM */
  SMTP_RCPT,      /* after at least one RCPT TO */
  SMTP_REJECTED,  /* 554 banner sent, only QUIT is useful */
  SMTP_SILENT,    /* never answers */
  SMTP_CLOSING
};

struct smtp_session {
  struct sim_conn conn;
  struct sim_server *server;
  struct sim_host *host;
  enum smtp_state state;
  char peer[16]; /* client IPv4 as text */
  bool counted_session;
  bool concurrency_released; /* no longer counted as concurrent */
  bool tls_pending;          /* start TLS once the queued reply is sent */
  bool close_pending;        /* close once the queued reply is sent */
  bool waiting;              /* a delayed reply is queued */
  bool timer_open;
  unsigned open_handles;
  unsigned rcpts; /* RCPT commands in the current transaction */
  uv_timer_t timer;
  size_t in_start, in_len, in_cap; /* unread bytes: in[in_start..in_len) */
  char *in;
  size_t out_len;
  char out[SMTP_OUT_MAX];
};

/* Change the state and trace "old -> new". */
void smtp_set_state(struct smtp_session *session, enum smtp_state state);
/* Queue REPLY; it is sent after the configured delay. With CLOSE the
 * connection closes once it is sent. */
void smtp_send(struct smtp_session *session, const struct sim_reply *reply,
               bool close);
/* Queue a one-line reply. */
void smtp_send_line(struct smtp_session *session, int code, bool close,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Handle one command line (without line ending). */
void smtp_command(struct smtp_session *session, char *line, size_t len);

#endif
