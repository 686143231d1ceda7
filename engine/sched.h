/* Per-MX scheduler: runs SMTP probe sessions within politeness limits.
 *
 * The domain logic submits one probe per recipient, each with the MX route
 * of its domain. The scheduler queues probes per MX key: the route's group
 * when set, such as "google", else the first address of the MX host in
 * use, so that every name of one server shares its limits. It
 * starts sessions (engine/smtp.h) that ask up to rcpt_per_session
 * recipients each, and reports one final result per probe.
 *
 * Inside a key, sessions take one probe per domain in turn, so a domain
 * with thousands of addresses cannot starve small domains on the same MX,
 * and probes of several domains ride one session. A probe marked `first`
 * (the domain's random catch-all probe) goes ahead of its domain's other
 * probes. A session connects to the host of the probe that leads its
 * batch and takes only probes whose current host has the same name, so in
 * a group key each session still talks to a host of its recipients' own
 * route; the group only shares the limits. Probes queued while a session
 * to their host is still asking join it (lc_smtp_session_add_recipients),
 * so a catch-all probe and its domain's other probes share a session even
 * when they arrive a little apart.
 *
 * Limits: open connections overall and per key, a token bucket for new
 * connections per key and one for RCPT commands per key. uv_timer_t
 * handles wake the scheduler when tokens refill or a backoff ends; nothing
 * polls.
 *
 * Retries (a limit or a transient failure never becomes a mailbox
 * verdict):
 *   - GREYLISTED or TEMPORARY replies: asked again greylist_retry_ms later
 *     while the retry starts within greylist_max_wait_ms of the first
 *     deferral; then that class is final. The retry timer runs up to 1/16
 *     of greylist_retry_ms (at most 1 s) late, so that deferrals made a
 *     few milliseconds apart are retried in one session.
 *   - 421 or a "too many" reply outside RCPT: the key backs off
 *     (backoff_ms, doubled per consecutive backoff up to backoff_max_ms)
 *     and its connection budget halves, then grows by one per backoff_ms.
 *     The recipients not asked go back to the head of their queue.
 *   - 452 4.5.3 after K replies: the key's RCPTs per session drop to K and
 *     the rest are asked in a new session.
 *   - TIMEOUT and DROPPED results, and recipients not asked because the
 *     server dropped the connection or TLS failed: asked again in a new
 *     session; TLS failures with plain_retry switch the key to plain text.
 *   - no address of the host accepted a connection: the failure is kept
 *     for dead_host_ms, counted per set of addresses (so every MX name of
 *     one refusing address shares the count), and every queued probe
 *     using those addresses whose route has a later MX host moves there
 *     at once (a dead primary MX is common). Probes at their last host
 *     stay while the key pauses for backoff_ms, until the addresses
 *     failed in max_attempts sessions (sessions started before the last
 *     counted failure count as the same failure). Then they end with
 *     LC_RCPT_CONNECTION_FAILED.
 * A probe counts one attempt for each session that timed out or dropped
 * its RCPT, and for each session that ended for a rate limit, drop or TLS
 * failure without a reply to any recipient. After max_attempts attempts the
 * last class is final (LC_RCPT_RATE_LIMITED, LC_RCPT_TIMEOUT,
 * LC_RCPT_DROPPED, LC_RCPT_TLS_FAILED).
 *
 * Every submitted probe completes exactly once through its done callback,
 * also on shutdown. Callbacks run from the loop, never from inside
 * lc_sched_submit().
 */
#ifndef LC_SCHED_H
#define LC_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "engine/smtp.h"
#include "engine/status.h"

struct lc_sched;

/* Limits and retry policy. Zero values select the defaults shown. */
struct lc_sched_options {
  struct lc_smtp_options smtp;   /* for every session; strings and SSL_CTX
                                    borrowed until the scheduler is freed.
                                    smtp.rcpt_per_session is ignored. */
  unsigned max_connections;      /* open SMTP connections, 2000 */
  unsigned per_mx_connections;   /* open connections per key, 4 */
  double connects_per_sec;       /* new connections per second per key, 2;
                                    burst per_mx_connections */
  double rcpts_per_min;          /* RCPT commands per minute per key, 300;
                                    burst rcpt_per_session times
                                    per_mx_connections */
  unsigned rcpt_per_session;     /* LC_SMTP_RCPT_DEFAULT, at most
                                    LC_SMTP_RCPT_MAX */
  unsigned greylist_retry_ms;    /* 300000 (5 min) */
  unsigned greylist_max_wait_ms; /* 1800000 (30 min) */
  unsigned max_attempts;         /* 4 */
  unsigned backoff_ms;           /* first backoff, 30000 */
  unsigned backoff_max_ms;       /* maximum backoff, 600000 (10 min) */
  unsigned dead_host_ms;         /* how long connection failures of a
                                    host and the limits learned from a
                                    server are kept, 300000 */
};

/* One MX host and its addresses, in the order to try them (at most
 * LC_SMTP_ADDRS_MAX are used). */
struct lc_sched_host {
  const char *name;
  size_t naddrs;
  const struct sockaddr_storage *addrs;
};

/* One domain's MX route. Owned by the caller; it must outlive every probe
 * that uses it (until their done callbacks return). */
struct lc_sched_route {
  size_t nhosts;
  const struct lc_sched_host *hosts; /* in preference order */
  const char *group; /* shared budget key ("microsoft", "google") or NULL
                        for one key per host address */
};

/* Scheduler bookkeeping inside a probe. Callers leave it alone. */
struct lc_probe_sched {
  struct lc_probe *next; /* link in the list that contains the probe */
  uint64_t ready_ms;     /* earliest retry after a deferral */
  uint64_t deferred_ms;  /* time of the first deferral, 0 when none */
  uint64_t addrs_hash;   /* hash of the current host's addresses */
  uint32_t host;         /* index of the current host in route->hosts */
  uint16_t attempts;
  uint8_t state;
  bool deferred; /* deferred_ms is set */
  bool retry;    /* in a session: ask again in the next session */
};

/* One recipient to probe. The caller owns it and keeps it and its strings
 * valid until the done callback. The scheduler links it into its queues
 * through `sched`. */
struct lc_probe {
  const char *rcpt;   /* address, at most LC_SMTP_PATH_MAX bytes, without
                         control characters, spaces or angle brackets */
  const char *domain; /* fairness unit (compared without case) */
  const struct lc_sched_route *route;
  bool first; /* the domain's catch-all probe: ahead of its domain */
  /* Called exactly once with the final result. RESULT and the strings in
   * it are valid during the call only. result->mx is the host that
   * replied or was tried last (NULL only for a probe cancelled after its
   * last host). The callback may free PROBE and the route once no other
   * probe uses it, and may call lc_sched_submit() and
   * lc_sched_shutdown(). */
  void (*done)(struct lc_probe *probe, const struct lc_smtp_result *result);
  void *user;
  struct lc_probe_sched sched;
};

/* Counters since lc_sched_new(). */
struct lc_sched_stats {
  uint64_t submitted; /* probes accepted by lc_sched_submit() */
  uint64_t completed; /* done callbacks made */
  uint64_t sessions_started;
  uint64_t rcpts_sent;       /* recipients handed to sessions */
  uint64_t requeues;         /* probes queued again for another session */
  uint64_t backoffs;         /* key backoffs after 421 or "too many" */
  uint64_t greylist_retries; /* deferred probes scheduled again */
  uint64_t host_moves;       /* probes moved to their next MX host */
  uint64_t plain_fallbacks;  /* keys switched to plain text after TLS */
  unsigned connections_open;
  unsigned connections_peak;
  unsigned key_connections_peak; /* most open on a single key at once */
  size_t keys_open;              /* keys in memory, idle ones included */
  size_t keys_peak;
};

/* Create a scheduler on LOOP with OPTS (copied; zero fields take the
 * defaults). Stores it in *OUT on LC_OK. On failure writes a message to
 * ERR (SIZE bytes) and returns LC_ERR_INVALID (missing helo_name, a rate
 * below zero), LC_ERR_LIMIT (rcpt_per_session above LC_SMTP_RCPT_MAX) or
 * LC_ERR_NOMEM. */
enum lc_status lc_sched_new(uv_loop_t *loop,
                            const struct lc_sched_options *opts,
                            struct lc_sched **out, char *err, size_t size);

/* Queue PROBE. On LC_OK the scheduler owns the probe's link fields until
 * its done callback, which runs later from the loop. Returns
 * LC_ERR_INVALID for a probe without rcpt, domain, route, hosts or done
 * callback, or with an address that smtp.h would reject. Returns
 * LC_ERR_CANCELED after lc_sched_shutdown(). The done callback is not
 * called for a rejected probe. */
enum lc_status lc_sched_submit(struct lc_sched *sched, struct lc_probe *probe);

/* Cancel everything: every pending probe completes with status
 * LC_ERR_CANCELED and class LC_RCPT_NOT_PROBED, the queued and deferred
 * ones before this returns, those inside sessions as the cancelled
 * sessions report from the loop. Timers are closed, and the scheduler
 * frees itself from the loop once its last handle is closed, so the loop
 * must run on. After this call SCHED may only be passed to
 * lc_sched_submit() from the done callbacks it triggers (which then
 * returns LC_ERR_CANCELED). Safe to call from a done callback; accepts
 * NULL. */
void lc_sched_shutdown(struct lc_sched *sched);

/* Copy the counters into *OUT. */
void lc_sched_get_stats(const struct lc_sched *sched,
                        struct lc_sched_stats *out);

#endif
