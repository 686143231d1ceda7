/* HTTPS server for the identity endpoints.
 *
 *   GET  /getuserrealm.srf?login=USER@DOMAIN&json=1
 *   POST /common/GetCredentialType   body {"Username":"USER@DOMAIN"}
 *
 * HTTP/1.1 with keep-alive and Content-Length bodies; chunked bodies are
 * rejected with 411. A request (head and body) may not exceed
 * REQUEST_MAX bytes. TLS 1.2 or newer with the certificate chosen by
 * --https-cert.
 */
#include "bench/simworld/https.h"
#include "bench/simworld/conn.h"
#include "bench/simworld/identity.h"
#include "bench/simworld/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REQUEST_MAX 16384
#define BODY_MAX 8192
#define JSON_MAX 8192
#define LOGIN_MAX 320

struct https_session {
  struct sim_conn conn;
  struct sim_server *server;
  size_t len;
  char buf[REQUEST_MAX + 1];
};

/* A parsed request; strings point into the session buffer. */
struct request {
  char *method;
  char *target;
  char *body;
  size_t body_len;
  bool keep_alive;
};

static uv_tcp_t listener;

static void send_response(struct https_session *session, int status,
                          const char *reason, const char *body, size_t len,
                          bool keep_alive)
{
  char head[512];
  int n = snprintf(head, sizeof(head),
                   "HTTP/1.1 %d %s\r\n"
                   "Content-Type: application/json; charset=utf-8\r\n"
                   "Content-Length: %zu\r\n"
                   "Cache-Control: no-store\r\n"
                   "Connection: %s\r\n\r\n",
                   status, reason, len, keep_alive ? "keep-alive" : "close");
  sim_conn_write(&session->conn, head, (size_t)n);
  sim_conn_write(&session->conn, body, len);
  if (!keep_alive)
    sim_conn_close_after_write(&session->conn);
}

static void send_error(struct https_session *session, int status,
                       const char *reason, bool keep_alive)
{
  char body[128];
  int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", reason);
  session->server->https_stats.errors++;
  send_response(session, status, reason, body, (size_t)n, keep_alive);
}

static int hex_value(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)tolower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Copy the URL-decoded value of query parameter NAME from QUERY into OUT.
 * Returns false when it is missing or too long. */
static bool query_param(const char *query, const char *name, char *out,
                        size_t size)
{
  size_t name_len = strlen(name);
  for (const char *p = query; p != NULL && *p != '\0';) {
    if (strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
      size_t len = 0;
      for (p += name_len + 1; *p != '\0' && *p != '&'; p++) {
        int hi, lo;
        char c = *p;
        if (c == '+')
          c = ' ';
        else if (c == '%' && (hi = hex_value(p[1])) >= 0 &&
                 (lo = hex_value(p[2])) >= 0) {
          c = (char)(hi * 16 + lo);
          p += 2;
        }
        if (len + 1 >= size)
          return false;
        out[len++] = c;
      }
      out[len] = '\0';
      return len > 0;
    }
    p = strchr(p, '&');
    if (p != NULL)
      p++;
  }
  return false;
}

/* Copy the string value of "Username" in the JSON BODY into OUT. Handles
 * the escapes \" and \\; other escapes are copied as they are. */
static bool body_username(const char *body, size_t len, char *out, size_t size)
{
  const char *key = memmem(body, len, "\"Username\"", 10);
  if (key == NULL)
    return false;
  const char *end = body + len;
  const char *p = key + 10;
  while (p < end && (*p == ' ' || *p == ':' || *p == '\t'))
    p++;
  if (p >= end || *p != '"')
    return false;
  size_t used = 0;
  for (p++; p < end && *p != '"'; p++) {
    if (*p == '\\' && p + 1 < end)
      p++;
    if (used + 1 >= size)
      return false;
    out[used++] = *p;
  }
  out[used] = '\0';
  return p < end && used > 0;
}

/* Write the JSON answer of an identity endpoint to JSON. Returns its length,
 * or 0 for a request without a login or username. */
static size_t identity_answer(struct sim_server *server, bool realm,
                              const char *query, const struct request *req,
                              char *json, size_t size)
{
  char value[LOGIN_MAX + 1];
  if (realm) {
    if (query == NULL || !query_param(query, "login", value, sizeof(value)))
      return 0;
    server->https_stats.realm++;
    return sim_identity_realm(server, value, json, size);
  }
  if (!body_username(req->body, req->body_len, value, sizeof(value)))
    return 0;
  server->https_stats.credential++;
  return sim_identity_credential(server, value, json, size);
}

static void route(struct https_session *session, const struct request *req)
{
  char json[JSON_MAX];
  struct sim_server *server = session->server;
  char *query = strchr(req->target, '?');
  if (query != NULL)
    *query++ = '\0';
  server->https_stats.requests++;
  bool realm = strcasecmp(req->target, "/getuserrealm.srf") == 0;
  bool credential = strcasecmp(req->target, "/common/GetCredentialType") == 0;
  if (!realm && !credential) {
    send_error(session, 404, "Not Found", req->keep_alive);
    return;
  }
  if (strcmp(req->method, realm ? "GET" : "POST") != 0) {
    send_error(session, 405, "Method Not Allowed", req->keep_alive);
    return;
  }
  size_t len = identity_answer(server, realm, query, req, json, sizeof(json));
  if (len == 0)
    send_error(session, 400, "Bad Request", req->keep_alive);
  else
    send_response(session, 200, "OK", json, len, req->keep_alive);
}

/* Read the header fields of HEAD (NUL-terminated, after the request line)
 * into REQ and *content_length. Returns 0 or an HTTP error status. */
static int parse_fields(char *head, struct request *req, size_t *content_length)
{
  for (char *line = head; line != NULL && *line != '\0';) {
    char *next = strstr(line, "\r\n");
    if (next != NULL) {
      *next = '\0';
      next += 2;
    }
    char *colon = strchr(line, ':');
    if (colon == NULL)
      return 400;
    *colon = '\0';
    char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
      value++;
    if (strcasecmp(line, "Content-Length") == 0) {
      char *end;
      unsigned long n = strtoul(value, &end, 10);
      if (end == value || *end != '\0')
        return 400;
      if (n > BODY_MAX)
        return 413;
      *content_length = n;
    } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
      return 411;
    } else if (strcasecmp(line, "Connection") == 0) {
      req->keep_alive = strcasecmp(value, "close") != 0;
    }
    line = next;
  }
  return 0;
}

/* Parse the request line of HEAD into REQ. Returns 0 or an HTTP error. */
static int parse_request_line(char *head, char **fields, struct request *req)
{
  char *end = strstr(head, "\r\n");
  if (end == NULL)
    return 400;
  *end = '\0';
  *fields = end + 2;
  req->method = strtok_r(head, " ", &end);
  req->target = strtok_r(NULL, " ", &end);
  char *version = strtok_r(NULL, " ", &end);
  if (req->method == NULL || req->target == NULL || version == NULL)
    return 400;
  if (strcmp(version, "HTTP/1.1") == 0)
    req->keep_alive = true;
  else if (strcmp(version, "HTTP/1.0") == 0)
    req->keep_alive = false;
  else
    return 505;
  return 0;
}

static const char *status_reason(int status)
{
  switch (status) {
  case 411:
    return "Length Required";
  case 413:
    return "Payload Too Large";
  case 431:
    return "Request Header Fields Too Large";
  case 505:
    return "HTTP Version Not Supported";
  default:
    return "Bad Request";
  }
}

/* Answer the first request in the buffer. Returns its length, 0 when it is
 * not complete yet, or -1 after an error answer that closes. */
static long answer_one(struct https_session *session)
{
  char head[REQUEST_MAX + 1], *fields;
  const char *end = memmem(session->buf, session->len, "\r\n\r\n", 4);
  if (end == NULL)
    return session->len >= REQUEST_MAX ? -431 : 0;
  size_t head_len = (size_t)(end - session->buf) + 2;
  memcpy(head, session->buf, head_len);
  head[head_len] = '\0';
  struct request req = {0};
  size_t content_length = 0;
  int status = parse_request_line(head, &fields, &req);
  if (status == 0)
    status = parse_fields(fields, &req, &content_length);
  if (status != 0)
    return -status;
  size_t total = head_len + 2 + content_length;
  if (total > REQUEST_MAX)
    return -413;
  if (total > session->len)
    return 0;
  req.body = session->buf + head_len + 2;
  req.body_len = content_length;
  route(session, &req);
  return (long)total;
}

static void data_cb(struct sim_conn *conn, const char *data, size_t len)
{
  struct https_session *session = conn->owner;
  size_t room = REQUEST_MAX - session->len;
  if (len > room) {
    send_error(session, 413, "Payload Too Large", false);
    return;
  }
  memcpy(session->buf + session->len, data, len);
  session->len += len;
  while (!conn->closing && session->len > 0) {
    long used = answer_one(session);
    if (used == 0)
      break;
    if (used < 0) {
      send_error(session, (int)-used, status_reason((int)-used), false);
      break;
    }
    memmove(session->buf, session->buf + used, session->len - (size_t)used);
    session->len -= (size_t)used;
  }
}

static void close_cb(struct sim_conn *conn)
{
  free(conn->owner);
}

static const struct sim_conn_ops https_ops = {data_cb, close_cb};

static void connection_cb(uv_stream_t *server_stream, int status)
{
  struct sim_server *server = server_stream->data;
  if (status < 0)
    return;
  struct https_session *session = malloc(sizeof(*session));
  if (session == NULL) {
    sim_log_error("out of memory accepting an HTTPS connection");
    return;
  }
  session->server = server;
  session->len = 0;
  if (sim_conn_accept(server_stream, &session->conn, &https_ops, session) !=
      LC_OK)
    return;
  server->https_stats.connections++;
  if (sim_conn_start_tls(&session->conn, server->https_tls) != LC_OK)
    sim_conn_close(&session->conn);
}

enum lc_status sim_https_start(struct sim_server *server)
{
  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", server->config.https_port, &addr);
  uv_tcp_init(server->loop, &listener);
  listener.data = server;
  int rc = uv_tcp_bind(&listener, (const struct sockaddr *)&addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&listener, 128, connection_cb);
  if (rc != 0) {
    sim_log_error("cannot serve HTTPS on 127.0.0.1:%d: %s",
                  server->config.https_port, uv_strerror(rc));
    return LC_ERR_IO;
  }
  return LC_OK;
}
