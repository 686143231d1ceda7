/* Work in flight on the network side, for the progress line. */
#ifndef LC_ACTIVITY_H
#define LC_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

struct lc_net;

struct lc_activity {
  size_t dns;           /* DNS queries sent or waiting for a slot */
  uint64_t smtp;        /* SMTP probes submitted and not yet completed */
  unsigned connections; /* open SMTP connections */
  unsigned https;       /* identity requests running */
};

/* Fill ACTIVITY from NET; all zero when NET is NULL (offline checks only,
 * or the checker is closing). */
void lc_activity_get(const struct lc_net *net, struct lc_activity *activity);

#endif
