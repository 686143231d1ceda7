/* Descriptor limit handling for the network checks (see limits.h). */
#include "engine/limits.h"

#include <stdio.h>
#include <sys/resource.h>

#include "engine/log.h"

/* The kernel's ceiling for RLIMIT_NOFILE (fs.nr_open), which setrlimit()
 * enforces even when the hard limit is RLIM_INFINITY. */
static uint64_t limits_nr_open(void)
{
  FILE *f = fopen("/proc/sys/fs/nr_open", "r");
  unsigned long long value = 0;

  if (f == NULL)
    return 1048576; /* the Linux default */
  if (fscanf(f, "%llu", &value) != 1 || value == 0)
    value = 1048576;
  fclose(f);
  return value;
}

static uint64_t limits_value(rlim_t value)
{
  return value == RLIM_INFINITY ? UINT64_MAX : (uint64_t)value;
}

uint64_t lc_limits_raise_nofile(void)
{
  struct rlimit limit;
  rlim_t target;

  if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return 1024; /* the usual soft limit, as a cautious guess */
  target = limit.rlim_max;
  if (target == RLIM_INFINITY)
    target = (rlim_t)limits_nr_open();
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    struct rlimit raised = {target, limit.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      lc_debug("limits: open files raised from %llu to %llu",
               (unsigned long long)limit.rlim_cur, (unsigned long long)target);
      limit.rlim_cur = target;
    } else {
      lc_debug("limits: cannot raise open files from %llu to %llu",
               (unsigned long long)limit.rlim_cur, (unsigned long long)target);
    }
  }
  return limits_value(limit.rlim_cur);
}

unsigned lc_limits_fit_connections(unsigned requested, uint64_t soft_limit)
{
  uint64_t room;

  if (soft_limit <= LC_LIMITS_FD_HEADROOM)
    return 1;
  room = soft_limit - LC_LIMITS_FD_HEADROOM;
  return (uint64_t)requested <= room ? requested : (unsigned)room;
}

unsigned lc_limits_smtp_connections(unsigned requested)
{
  unsigned wanted = requested ? requested : LC_LIMITS_SMTP_DEFAULT;
  uint64_t soft = lc_limits_raise_nofile();
  unsigned fitted = lc_limits_fit_connections(wanted, soft);

  if (fitted == wanted)
    return requested;
  unsigned long long needed =
      (unsigned long long)wanted + LC_LIMITS_FD_HEADROOM;
  lc_warn("--max-connections %u needs %llu open files, but the open file "
          "limit is %llu and cannot be raised further; using %u "
          "connections. Raise the limit (ulimit -n %llu, or the hard limit "
          "in /etc/security/limits.conf) to use %u",
          wanted, needed, (unsigned long long)soft, fitted, needed, wanted);
  return fitted;
}
