/* Data files compiled into the program: every .txt and .csv in data/.
 *
 * Each file is embedded at build time; lc_data_builtin() finds it by its base
 * name without extension, e.g. "roles" for data/roles.txt. Callers that let
 * the user extend a list read the user's file in addition.
 */
#ifndef LC_DATA_H
#define LC_DATA_H

#include <stddef.h>

/* Return the text of the embedded data file NAME and store its length in
 * *len, or return NULL (and leave *len alone) when there is no such file.
 * The text is static and NUL-terminated. */
const char *lc_data_builtin(const char *name, size_t *len);

#endif
