/* The c-ares channel on the libuv loop.
 *
 * c-ares reports each socket it opens or closes through the
 * ARES_OPT_SOCK_STATE_CB callback. Each open socket gets one uv_poll_t
 * that watches the events c-ares asks for and hands them to
 * ares_process_fd(). One uv_timer_t, re-armed from ares_timeout() after
 * every call into c-ares, makes c-ares notice query timeouts.
 *
 * c-ares itself tries each server once per question (ARES_OPT_TRIES 1);
 * the retries with backoff are done by dns_query.c. ARES_FLAG_NOCHECKRESP
 * passes SERVFAIL, REFUSED and NOTIMP answers through to the callback:
 * c-ares 1.18.1 otherwise reports a REFUSED answer as ARES_ECONNREFUSED.
 * ARES_OPT_ROTATE starts each question, retries included, at the next
 * server, so a server that keeps failing does not get every retry.
 * NOTE: queries carry no EDNS option, so every answer over 512 bytes is
 * truncated over UDP and asked again over TCP. c-ares 1.18 sends all TCP
 * questions to a server over one connection, and a connection that breaks
 * fails every question on it. So one name whose answer breaks it (a length
 * word, then a close), or a server that closes after each answer, turns
 * the other TCP lookups into dns_error within their three tries.
 */
#include "engine/dns_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "engine/log.h"
#include "engine/netaddr.h"

/* Bounds of the receive buffer of the c-ares sockets, in bytes. */
#define RECEIVE_BUFFER_PER_QUERY 4096
#define RECEIVE_BUFFER_MIN (256 * 1024)
#define RECEIVE_BUFFER_MAX (8 * 1024 * 1024)
/* Calls into c-ares per socket event while bytes are waiting: two per TCP
 * answer, so up to 32 answers. */
#define DNS_TCP_READS_PER_EVENT 64

struct lc_dns_poll {
  uv_poll_t handle;
  ares_socket_t fd;
  struct lc_dns_resolver *resolver;
  struct lc_dns_poll *next;
};

static void sock_state_cb(void *data, ares_socket_t fd, int readable,
                          int writable);
static void poll_cb(uv_poll_t *handle, int status, int events);
static void poll_close_cb(uv_handle_t *handle);
static void timer_cb(uv_timer_t *handle);
static void timer_close_cb(uv_handle_t *handle);

/* One UDP socket per server receives every answer. A burst of answers to
 * `concurrency` questions overflows the default Linux buffer (212992
 * bytes) from about 256 questions in flight on loopback, and the dropped
 * answers then time out, so the buffer grows with the concurrency. The
 * kernel caps the size at net.core.rmem_max. */
static int receive_buffer_size(const struct lc_dns_resolver *resolver)
{
  size_t size = (size_t)resolver->concurrency * RECEIVE_BUFFER_PER_QUERY;

  if (size < RECEIVE_BUFFER_MIN)
    size = RECEIVE_BUFFER_MIN;
  if (size > RECEIVE_BUFFER_MAX)
    size = RECEIVE_BUFFER_MAX;
  return (int)size;
}

enum lc_status lc_dns_ares_start(struct lc_dns_resolver *resolver,
                                 const char *servers_csv, char *msg,
                                 size_t size)
{
  struct ares_options options;
  int optmask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
                ARES_OPT_FLAGS | ARES_OPT_ROTATE | ARES_OPT_SOCK_RCVBUF;
  int rc;

  memset(&options, 0, sizeof(options));
  options.sock_state_cb = sock_state_cb;
  options.sock_state_cb_data = resolver;
  options.timeout = (int)resolver->timeout_ms;
  options.tries = 1;
  options.flags = ARES_FLAG_NOCHECKRESP;
  options.socket_receive_buffer_size = receive_buffer_size(resolver);
  rc = ares_init_options(&resolver->channel, &options, optmask);
  if (rc != ARES_SUCCESS) {
    snprintf(msg, size, "DNS resolver setup failed: %s", ares_strerror(rc));
    return rc == ARES_ENOMEM ? LC_ERR_NOMEM : LC_ERR_DNS;
  }
  resolver->channel_live = true;
  if (servers_csv[0] != '\0') {
    rc = ares_set_servers_ports_csv(resolver->channel, servers_csv);
    if (rc != ARES_SUCCESS) {
      snprintf(msg, size, "invalid DNS servers \"%s\": %s", servers_csv,
               ares_strerror(rc));
      ares_destroy(resolver->channel);
      resolver->channel_live = false;
      return LC_ERR_INVALID;
    }
  }
  uv_timer_init(resolver->loop, &resolver->ares_timer);
  resolver->ares_timer.data = resolver;
  resolver->open_handles++;
  return LC_OK;
}

/* Convert one c-ares server to a socket address. */
static void server_addr(const struct ares_addr_port_node *node,
                        struct sockaddr_storage *addr)
{
  uint16_t port = node->udp_port > 0 ? (uint16_t)node->udp_port : 53;

  memset(addr, 0, sizeof(*addr));
  if (node->family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)addr;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr = node->addr.addr4;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    memcpy(&sin6->sin6_addr, &node->addr.addr6, sizeof(sin6->sin6_addr));
  }
}

void lc_dns_ares_servers_text(struct lc_dns_resolver *resolver)
{
  struct ares_addr_port_node *list = NULL;
  size_t count = 0;
  char *text;

  if (ares_get_servers_ports(resolver->channel, &list) == ARES_SUCCESS) {
    for (struct ares_addr_port_node *n = list; n != NULL; n = n->next)
      count++;
  }
  text = calloc(1, count * (LC_NETADDR_TEXT_MAX + 2) + 32);
  if (text == NULL)
    goto done;
  for (struct ares_addr_port_node *n = list; n != NULL; n = n->next) {
    struct sockaddr_storage addr;
    char one[LC_NETADDR_TEXT_MAX];
    server_addr(n, &addr);
    lc_netaddr_format((const struct sockaddr *)&addr, true, one, sizeof(one));
    if (n != list)
      strcat(text, ", ");
    strcat(text, one);
  }
  if (count == 0)
    strcpy(text, "system resolver");
  free(resolver->servers_text);
  resolver->servers_text = text;
done:
  ares_free_data(list);
}

static struct lc_dns_poll *poll_find(struct lc_dns_resolver *resolver,
                                     ares_socket_t fd)
{
  for (struct lc_dns_poll *p = resolver->polls; p != NULL; p = p->next) {
    if (p->fd == fd)
      return p;
  }
  return NULL;
}

static void poll_close(struct lc_dns_resolver *resolver,
                       struct lc_dns_poll *poll)
{
  struct lc_dns_poll **link = &resolver->polls;

  while (*link != poll)
    link = &(*link)->next;
  *link = poll->next;
  uv_poll_stop(&poll->handle);
  uv_close((uv_handle_t *)&poll->handle, poll_close_cb);
}

static struct lc_dns_poll *poll_open(struct lc_dns_resolver *resolver,
                                     ares_socket_t fd)
{
  struct lc_dns_poll *poll = calloc(1, sizeof(*poll));

  if (poll == NULL)
    return NULL;
  if (uv_poll_init_socket(resolver->loop, &poll->handle, fd) != 0) {
    free(poll);
    return NULL;
  }
  poll->fd = fd;
  poll->resolver = resolver;
  poll->handle.data = poll;
  poll->next = resolver->polls;
  resolver->polls = poll;
  resolver->open_handles++;
  return poll;
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable,
                          int writable)
{
  struct lc_dns_resolver *resolver = data;
  struct lc_dns_poll *poll = poll_find(resolver, fd);
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);

  if (events == 0) {
    if (poll != NULL)
      poll_close(resolver, poll);
    return;
  }
  if (poll == NULL)
    poll = poll_open(resolver, fd);
  if (poll == NULL) {
    /* c-ares then sees no events on this socket and times the query out,
     * which ends it with an error instead of hanging. */
    lc_warn("dns: cannot watch socket %d", (int)fd);
    return;
  }
  uv_poll_start(&poll->handle, events, poll_cb);
}

/* Whether a read on socket FD would return bytes now. */
static bool bytes_waiting(ares_socket_t fd)
{
  int n = 0;

  return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

static void poll_cb(uv_poll_t *handle, int status, int events)
{
  struct lc_dns_poll *poll = handle->data;
  struct lc_dns_resolver *resolver = poll->resolver;
  ares_socket_t fd = poll->fd;
  ares_socket_t read_fd = ARES_SOCKET_BAD;
  ares_socket_t write_fd = ARES_SOCKET_BAD;

  /* On a poll error let c-ares read the socket: the failed read tells it
   * which error to report. */
  if (status < 0 || (events & UV_READABLE))
    read_fd = fd;
  if (events & UV_WRITABLE)
    write_fd = fd;
  /* ares_process_fd may close this socket (and so this poll handle) and
   * start queries, so only RESOLVER is used after it. */
  ares_process_fd(resolver->channel, read_fd, write_fd);
  /* c-ares 1.18 reads one piece of a TCP stream per call (a length word
   * or the answer after it), so answers that arrive back to back would
   * wait one loop pass each. Read on while bytes are waiting and c-ares
   * still watches the socket. */
  for (int i = 0; read_fd != ARES_SOCKET_BAD && i < DNS_TCP_READS_PER_EVENT &&
                  poll_find(resolver, fd) != NULL && bytes_waiting(fd);
       i++)
    ares_process_fd(resolver->channel, fd, ARES_SOCKET_BAD);
  lc_dns_ares_update_timer(resolver);
  lc_dns_table_trim(resolver);
}

static void poll_close_cb(uv_handle_t *handle)
{
  struct lc_dns_poll *poll = handle->data;
  struct lc_dns_resolver *resolver = poll->resolver;

  free(poll);
  lc_dns_handle_closed(resolver);
}

void lc_dns_ares_update_timer(struct lc_dns_resolver *resolver)
{
  struct timeval tv;
  uint64_t ms;

  if (!resolver->channel_live || resolver->closing)
    return;
  if (ares_timeout(resolver->channel, NULL, &tv) == NULL) {
    uv_timer_stop(&resolver->ares_timer);
    return;
  }
  ms = (uint64_t)tv.tv_sec * 1000 + ((uint64_t)tv.tv_usec + 999) / 1000;
  uv_timer_start(&resolver->ares_timer, timer_cb, ms, 0);
}

static void timer_cb(uv_timer_t *handle)
{
  struct lc_dns_resolver *resolver = handle->data;

  ares_process_fd(resolver->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  lc_dns_ares_update_timer(resolver);
  lc_dns_table_trim(resolver);
}

static void timer_close_cb(uv_handle_t *handle)
{
  lc_dns_handle_closed(handle->data);
}

void lc_dns_ares_stop(struct lc_dns_resolver *resolver)
{
  if (!resolver->channel_live)
    return;
  ares_destroy(resolver->channel);
  resolver->channel_live = false;
  /* ares_destroy reports each socket closed through sock_state_cb; close
   * whatever is left in case a socket was never reported. */
  while (resolver->polls != NULL)
    poll_close(resolver, resolver->polls);
  uv_timer_stop(&resolver->ares_timer);
  uv_close((uv_handle_t *)&resolver->ares_timer, timer_close_cb);
}
