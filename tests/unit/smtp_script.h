/* Scripted SMTP server for the session tests.
 *
 * A server runs on its own thread with blocking sockets on 127.0.0.1 and
 * follows a script. A step can expect a command prefix, send reply bytes
 * (after a delay, one byte at a time, or as a flood without a line end),
 * start TLS, stay silent or close. Every line it receives is kept in a
 * transcript, so a test can assert the exact commands the client sent.
 * Every wait has a timeout, so a broken client cannot hang the test: the
 * thread ends within a few seconds in every case.
 */
#ifndef LC_TEST_SMTP_SCRIPT_H
#define LC_TEST_SMTP_SCRIPT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Maximum wait of the server for the client, in milliseconds. */
#define SCRIPT_WAIT_MS 5000

enum script_op {
  OP_END,
  OP_EXPECT,   /* read one line; it must start with text */
  OP_SEND,     /* sleep ms, then send text */
  OP_TRICKLE,  /* send text one byte every ms */
  OP_FLOOD,    /* send ms kilobytes of 'A' without a line end */
  OP_STARTTLS, /* TLS handshake as server; later steps run over TLS */
  OP_SILENT,   /* send nothing until the client closes (at most ms) */
  OP_CLOSE     /* close the connection */
};

struct script_step {
  enum script_op op;
  const char *text;
  unsigned ms;
};

struct script_server {
  const struct script_step *script;
  SSL_CTX *ssl_ctx; /* for OP_STARTTLS */
  int listen_fd;
  uint16_t port;
  pthread_t thread;
  int fd;
  SSL *ssl;
  char in[4096];
  size_t in_len;
  char transcript[8192]; /* received lines, each ended by '\n' */
  size_t transcript_len;
  int mismatches;
  char mismatch[512]; /* first mismatch */
  bool tls_ok;        /* the TLS handshake completed */
  char sni[256];      /* server name the client sent */
};

static inline void script_sleep_ms(unsigned ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

static inline void script_note(struct script_server *srv, const char *what,
                               const char *detail)
{
  if (srv->mismatches++ == 0)
    snprintf(srv->mismatch, sizeof(srv->mismatch), "%.200s: %.300s", what,
             detail);
}

static inline bool script_wait_readable(struct script_server *srv, unsigned ms)
{
  struct pollfd p = {.fd = srv->fd, .events = POLLIN};

  if (srv->ssl != NULL && SSL_pending(srv->ssl) > 0)
    return true;
  return poll(&p, 1, (int)ms) == 1;
}

/* Receive more bytes into srv->in. Returns false on EOF, error or
 * timeout. */
static inline bool script_fill(struct script_server *srv, unsigned ms)
{
  size_t room = sizeof(srv->in) - srv->in_len;
  ssize_t n;

  if (room == 0 || !script_wait_readable(srv, ms))
    return false;
  if (srv->ssl != NULL) {
    int rc = SSL_read(srv->ssl, srv->in + srv->in_len, (int)room);

    n = rc > 0 ? rc : -1;
  } else {
    n = recv(srv->fd, srv->in + srv->in_len, room, 0);
  }
  if (n <= 0)
    return false;
  srv->in_len += (size_t)n;
  return true;
}

/* Read one line (CRLF removed) into LINE. Returns false when none came. */
static inline bool script_read_line(struct script_server *srv, char *line,
                                    size_t size, unsigned ms)
{
  char *lf;
  size_t len;

  while ((lf = memchr(srv->in, '\n', srv->in_len)) == NULL) {
    if (!script_fill(srv, ms))
      return false;
  }
  len = (size_t)(lf - srv->in);
  snprintf(line, size, "%.*s", (int)(len > 0 && lf[-1] == '\r' ? len - 1 : len),
           srv->in);
  srv->in_len -= len + 1;
  memmove(srv->in, lf + 1, srv->in_len);
  if (srv->transcript_len + strlen(line) + 2 < sizeof(srv->transcript)) {
    srv->transcript_len += (size_t)snprintf(
        srv->transcript + srv->transcript_len,
        sizeof(srv->transcript) - srv->transcript_len, "%s\n", line);
  }
  return true;
}

static inline bool script_write(struct script_server *srv, const char *data,
                                size_t len)
{
  while (len > 0) {
    ssize_t n;

    if (srv->ssl != NULL) {
      int rc = SSL_write(srv->ssl, data, (int)len);

      n = rc > 0 ? rc : -1;
    } else {
      n = send(srv->fd, data, len, MSG_NOSIGNAL);
    }
    if (n <= 0)
      return false;
    data += n;
    len -= (size_t)n;
  }
  return true;
}

static inline bool script_flood(struct script_server *srv, unsigned kb)
{
  char block[1024];

  memset(block, 'A', sizeof(block));
  for (unsigned i = 0; i < kb; i++) {
    if (!script_write(srv, block, sizeof(block)))
      return false;
  }
  return true;
}

static inline bool script_starttls(struct script_server *srv)
{
  const char *name;

  srv->ssl = SSL_new(srv->ssl_ctx);
  if (srv->ssl == NULL || SSL_set_fd(srv->ssl, srv->fd) != 1)
    return false;
  if (SSL_accept(srv->ssl) != 1) {
    ERR_clear_error();
    return false;
  }
  srv->tls_ok = true;
  name = SSL_get_servername(srv->ssl, TLSEXT_NAMETYPE_host_name);
  snprintf(srv->sni, sizeof(srv->sni), "%s", name != NULL ? name : "");
  return true;
}

/* Run one step. Returns false when the connection is gone. */
static inline bool script_step_run(struct script_server *srv,
                                   const struct script_step *step)
{
  char line[1100];

  switch (step->op) {
  case OP_EXPECT:
    if (!script_read_line(srv, line, sizeof(line), SCRIPT_WAIT_MS)) {
      script_note(srv, "no command, expected", step->text);
      return false;
    }
    if (strncmp(line, step->text, strlen(step->text)) != 0)
      script_note(srv, step->text, line);
    return true;
  case OP_SEND:
    script_sleep_ms(step->ms);
    return script_write(srv, step->text, strlen(step->text));
  case OP_TRICKLE:
    for (const char *p = step->text; *p != '\0'; p++) {
      if (!script_write(srv, p, 1))
        return false;
      script_sleep_ms(step->ms);
    }
    return true;
  case OP_FLOOD:
    return script_flood(srv, step->ms);
  case OP_STARTTLS:
    if (!script_starttls(srv))
      script_note(srv, "TLS", "handshake failed");
    return srv->tls_ok;
  case OP_SILENT:
    while (script_fill(srv, step->ms))
      srv->in_len = 0;
    return false;
  case OP_CLOSE:
  case OP_END:
    return false;
  }
  return false;
}

static inline void *script_thread(void *arg)
{
  struct script_server *srv = arg;
  struct pollfd p = {.fd = srv->listen_fd, .events = POLLIN};
  const struct script_step *step = srv->script;
  char line[1100];

  if (poll(&p, 1, SCRIPT_WAIT_MS) != 1 ||
      (srv->fd = accept(srv->listen_fd, NULL, NULL)) < 0) {
    script_note(srv, "accept", "no connection");
    return NULL;
  }
  while (step->op != OP_END && step->op != OP_CLOSE &&
         script_step_run(srv, step))
    step++;
  if (step->op == OP_END) {
    /* Keep what the client sends until it closes (QUIT, mostly). */
    while (script_read_line(srv, line, sizeof(line), SCRIPT_WAIT_MS))
      ;
  }
  if (srv->ssl != NULL)
    SSL_free(srv->ssl);
  srv->ssl = NULL;
  close(srv->fd);
  srv->fd = -1;
  return NULL;
}

/* Listen on IP (an IPv4 literal) port PORT (0: any) with BACKLOG. Returns
 * the socket and stores the port, or -1. */
static inline int script_listen(const char *ip, uint16_t *port, int backlog)
{
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(*port)};
  socklen_t len = sizeof(sin);
  int one = 1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  if (fd < 0)
    return -1;
  inet_pton(AF_INET, ip, &sin.sin_addr);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
      listen(fd, backlog) != 0 ||
      getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(sin.sin_port);
  return fd;
}

/* Start SRV on 127.0.0.1 with SCRIPT. Returns false on failure. */
static inline bool script_start(struct script_server *srv,
                                const struct script_step *script,
                                SSL_CTX *ssl_ctx)
{
  memset(srv, 0, sizeof(*srv));
  srv->script = script;
  srv->ssl_ctx = ssl_ctx;
  srv->fd = -1;
  srv->listen_fd = script_listen("127.0.0.1", &srv->port, 4);
  if (srv->listen_fd < 0)
    return false;
  return pthread_create(&srv->thread, NULL, script_thread, srv) == 0;
}

static inline void script_join(struct script_server *srv)
{
  pthread_join(srv->thread, NULL);
  close(srv->listen_fd);
}

/* Server context with a throwaway self-signed certificate for "mx.test". */
static inline SSL_CTX *script_tls_ctx_new(void)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  X509 *cert = X509_new();
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  X509_NAME *name;

  if (key == NULL || cert == NULL || ctx == NULL)
    return NULL;
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)"mx.test", -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (X509_sign(cert, key, EVP_sha256()) == 0 ||
      SSL_CTX_use_certificate(ctx, cert) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key) != 1) {
    SSL_CTX_free(ctx);
    ctx = NULL;
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

#endif
