/* DNS transport: one UDP socket and one TCP listener on the same loopback
 * address and port. TCP messages carry the two-byte length prefix of
 * RFC 1035 4.2.2; a connection may send several queries. */
#include "bench/simworld/dns.h"
#include "bench/simworld/conn.h"
#include "bench/simworld/log.h"

#include <stdlib.h>
#include <string.h>

#define TCP_BUFFER (2 + SIM_DNS_TCP_MAX)

struct udp_send {
  uv_udp_send_t req;
  uint8_t data[SIM_DNS_UDP_MAX];
};

struct dns_tcp {
  struct sim_conn conn;
  struct sim_server *server;
  size_t len;
  uint8_t buf[TCP_BUFFER];
};

static uv_udp_t udp_handle;
static uv_tcp_t tcp_listener;
static uint8_t udp_in[SIM_DNS_TCP_MAX];
static uint8_t answer_buf[2 + SIM_DNS_TCP_MAX];

static void udp_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init((char *)udp_in, sizeof(udp_in));
}

static void udp_send_cb(uv_udp_send_t *req, int status)
{
  (void)status;
  free(req);
}

static void udp_reply(const struct sockaddr *peer, const uint8_t *data,
                      size_t len)
{
  uv_buf_t buf = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
  int rc = uv_udp_try_send(&udp_handle, &buf, 1, peer);
  if (rc >= 0 || rc != UV_EAGAIN)
    return;
  struct udp_send *send = malloc(sizeof(*send));
  if (send == NULL)
    return;
  memcpy(send->data, data, len);
  buf = uv_buf_init((char *)send->data, (unsigned)len);
  if (uv_udp_send(&send->req, &udp_handle, &buf, 1, peer, udp_send_cb) < 0)
    free(send);
}

static void udp_recv_cb(uv_udp_t *handle, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *peer, unsigned flags)
{
  struct sim_server *server = handle->data;
  (void)flags;
  if (nread <= 0 || peer == NULL)
    return;
  server->dns_stats.udp_queries++;
  size_t len =
      sim_dns_answer(server->world, (const uint8_t *)buf->base, (size_t)nread,
                     answer_buf, sizeof(answer_buf), SIM_DNS_UDP_MAX);
  if (len == 0) {
    server->dns_stats.dropped++;
    return;
  }
  if (answer_buf[2] & 0x02)
    server->dns_stats.truncated++;
  udp_reply(peer, answer_buf, len);
}

/* Answer every complete length-prefixed query in the buffer. */
static void tcp_answer_buffered(struct dns_tcp *tcp)
{
  struct sim_server *server = tcp->server;
  while (tcp->len >= 2 && !tcp->conn.closing) {
    size_t size = (size_t)(tcp->buf[0] << 8 | tcp->buf[1]);
    if (tcp->len < 2 + size)
      break;
    server->dns_stats.tcp_queries++;
    size_t answer =
        sim_dns_answer(server->world, tcp->buf + 2, size, answer_buf + 2,
                       sizeof(answer_buf) - 2, SIM_DNS_TCP_MAX);
    if (answer > 0) {
      answer_buf[0] = (uint8_t)(answer >> 8);
      answer_buf[1] = (uint8_t)(answer & 0xff);
      sim_conn_write(&tcp->conn, (const char *)answer_buf, answer + 2);
    } else {
      server->dns_stats.dropped++;
    }
    memmove(tcp->buf, tcp->buf + 2 + size, tcp->len - 2 - size);
    tcp->len -= 2 + size;
  }
}

/* The buffer holds the largest message, so after answering the complete
 * ones there is always room for more bytes. */
static void tcp_data_cb(struct sim_conn *conn, const char *data, size_t len)
{
  struct dns_tcp *tcp = conn->owner;
  while (len > 0 && !conn->closing) {
    size_t room = sizeof(tcp->buf) - tcp->len;
    size_t take = len < room ? len : room;
    memcpy(tcp->buf + tcp->len, data, take);
    tcp->len += take;
    data += take;
    len -= take;
    tcp_answer_buffered(tcp);
  }
}

static void tcp_close_cb(struct sim_conn *conn)
{
  free(conn->owner);
}

static const struct sim_conn_ops tcp_ops = {tcp_data_cb, tcp_close_cb};

static void tcp_connection_cb(uv_stream_t *listener, int status)
{
  struct sim_server *server = listener->data;
  if (status < 0)
    return;
  struct dns_tcp *tcp = malloc(sizeof(*tcp));
  if (tcp == NULL) {
    sim_log_error("out of memory accepting a DNS TCP connection");
    return;
  }
  tcp->server = server;
  tcp->len = 0;
  sim_conn_accept(listener, &tcp->conn, &tcp_ops, tcp);
}

enum lc_status sim_dns_start(struct sim_server *server)
{
  struct sockaddr_in addr;
  const struct sim_serve_config *config = &server->config;
  int rc = uv_ip4_addr(config->dns_host, config->dns_port, &addr);
  if (rc == 0) {
    uv_udp_init(server->loop, &udp_handle);
    udp_handle.data = server;
    rc = uv_udp_bind(&udp_handle, (const struct sockaddr *)&addr, 0);
  }
  if (rc == 0)
    rc = uv_udp_recv_start(&udp_handle, udp_alloc_cb, udp_recv_cb);
  if (rc == 0) {
    uv_tcp_init(server->loop, &tcp_listener);
    tcp_listener.data = server;
    rc = uv_tcp_bind(&tcp_listener, (const struct sockaddr *)&addr, 0);
  }
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&tcp_listener, 128, tcp_connection_cb);
  if (rc != 0) {
    sim_log_error("cannot serve DNS on %s:%d: %s", config->dns_host,
                  config->dns_port, uv_strerror(rc));
    return LC_ERR_IO;
  }
  return LC_OK;
}
