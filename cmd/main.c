/* listclean: clean an email list. Entry point. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>

#include "cmd/options.h"
#include "engine/job.h"
#include "engine/log.h"

/* Give closed standard descriptors a /dev/null, so that no file, socket or
 * event loop descriptor is opened as 0, 1 or 2 and then written to as if
 * it were standard output. */
static void main_guard_std_fds(void)
{
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (null >= 0 && null != fd) {
        dup2(null, fd);
        close(null);
      }
    }
  }
}

int main(int argc, char **argv)
{
  struct lc_job_options options;
  enum lc_options_action action;

  main_guard_std_fds();
  lc_job_options_init(&options);
  options.argc = argc;
  options.argv = argv;
  if (lc_options_parse(argc, argv, &options, &action) != LC_OK) {
    if (options.report_path != NULL && action == LC_ACTION_RUN)
      return lc_job_report_failure(&options, LC_EXIT_USAGE,
                                   "invalid command line; see the message "
                                   "on standard error");
    return LC_EXIT_USAGE;
  }
  if (action == LC_ACTION_HELP) {
    lc_options_print_help();
    return LC_EXIT_OK;
  }
  if (action == LC_ACTION_VERSION) {
    printf("listclean %s\n", LC_VERSION);
    return LC_EXIT_OK;
  }
  /* A server that closes its socket while we write must give an error on
   * that socket, not end the process. */
  signal(SIGPIPE, SIG_IGN);
  /* A file size limit (ulimit -f) must make write() fail with EFBIG, an
   * output error with a message, instead of killing the process. */
  signal(SIGXFSZ, SIG_IGN);
  return lc_job_run(&options, NULL);
}
