/* Mail provider and security gateway detection from MX host names.
 *
 * The table comes from data/providers.txt, compiled into the program, and
 * optionally from a user file in the same format, one entry per line:
 *
 *   NAME yes|no PATTERN      # yes: the MX is a security gateway
 *
 * PATTERN is a host name in which "*" as the whole first label matches one
 * or more labels, any other "*" matches zero or more characters within one
 * label, and "[1-4]" or "[abc]" matches one character of a set. Matching
 * ignores case and a trailing dot, and the first matching entry wins.
 */
#ifndef LC_PROVIDER_H
#define LC_PROVIDER_H

#include <stdbool.h>

#include "engine/status.h"

/* Maximum length of a provider name, without the terminating NUL. */
#define LC_PROVIDER_NAME_MAX 31

/* Loads the built-in table unless it is loaded already, then, when
 * EXTRA_PATH is not NULL, adds the entries of that file in front of the
 * built-in ones so that they take precedence. Returns LC_ERR_NOTFOUND or
 * LC_ERR_IO when the file cannot be read, LC_ERR_FORMAT for an invalid line
 * (logged with file name and line number, and then no entry of that file is
 * added), LC_ERR_NOMEM when memory runs out. */
enum lc_status lc_provider_load(const char *extra_path);

/* Returns the name of the provider whose pattern matches MX_HOST, or NULL
 * when none does or MX_HOST is not a valid host name. On a match, stores
 * the gateway flag in *gateway unless GATEWAY is NULL. Loads the built-in
 * table on first use. The name stays valid until lc_provider_unload(). */
const char *lc_provider_match(const char *mx_host, bool *gateway);

/* Frees every loaded entry. A later call loads the built-in table again. */
void lc_provider_unload(void);

#endif
