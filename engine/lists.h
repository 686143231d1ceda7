/* Role, disposable, free-mail and popular-domain lists.
 *
 * The lists ship compiled in (data/roles.txt, data/disposable.txt,
 * data/free.txt, data/popular.txt) and load once per run into hash sets.
 * A user can extend each one without a rebuild: files of the same names in
 * a data directory add their entries to the built-in ones.
 *
 * File format: one entry per line. A '#' starts a comment that runs to the
 * end of the line, blank lines are ignored, and case does not matter. Domain
 * entries are normalised like address domains, so U-labels are accepted
 * and stored as A-labels.
 *
 * Domain checks apply to the registrable domain (the public suffix plus
 * one label, from libpsl's built-in list) and to every name between it and
 * the full domain, so "eu.mailinator.com" is disposable because
 * "mailinator.com" is listed. All lookups take a pointer and a length, do
 * not allocate, and are safe to run concurrently on a loaded object.
 */
#ifndef LC_LISTS_H
#define LC_LISTS_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/status.h"

enum lc_list_kind {
  LC_LIST_ROLES,      /* local parts of role accounts: info, sales, ... */
  LC_LIST_DISPOSABLE, /* disposable and temporary mail providers */
  LC_LIST_FREE,       /* free consumer mail providers */
  LC_LIST_POPULAR,    /* targets of typo suggestions, most popular first */
  LC_LIST_KINDS
};

/* Lists a domain is on, from lc_lists_domain_flags(). */
enum lc_listed {
  LC_LISTED_DISPOSABLE = 1u << 0,
  LC_LISTED_FREE = 1u << 1,
  LC_LISTED_POPULAR = 1u << 2
};

struct lc_lists;

/* Load the built-in lists and, when EXTRA_DIR is not NULL, the files
 * EXTRA_DIR/roles.txt, disposable.txt, free.txt and popular.txt where they
 * exist. A missing file is skipped. A directory that cannot be opened, or
 * a file that exists but cannot be read, is an error (LC_ERR_IO), with a
 * message naming the path in ERR (ERR_SIZE bytes). Invalid entries are
 * logged as warnings with file and line and skipped. On LC_OK stores a new
 * object in *OUT for lc_lists_free(). */
enum lc_status lc_lists_new(const char *extra_dir, struct lc_lists **out,
                            char *err, size_t err_size);

/* Free LISTS. Accepts NULL. */
void lc_lists_free(struct lc_lists *lists);

/* Return the name of a list ("roles", ...), which is also the base name of
 * its data file. */
const char *lc_list_name(enum lc_list_kind kind);

/* Return whether the local part LOCAL (LEN bytes, as written; a quoted
 * local part is looked up without its quotes) is a role account. The
 * match ignores case and a "+tag" sub-address: "Info+web" is "info". */
bool lc_lists_is_role(const struct lc_lists *lists, const char *local,
                      size_t len);

/* Return the enum lc_listed bits of the domain lists that contain DOMAIN
 * (LEN bytes, lower case, A-labels, as in struct lc_address) or a parent
 * of it up to its registrable domain. Address literals are never listed.
 * One call costs one walk over the parents, so a caller that needs more
 * than one of these facts should use it. */
unsigned lc_lists_domain_flags(const struct lc_lists *lists, const char *domain,
                               size_t len);

/* Return whether DOMAIN or a parent of it up to its registrable domain is
 * listed as disposable (see lc_lists_domain_flags()). */
bool lc_lists_is_disposable(const struct lc_lists *lists, const char *domain,
                            size_t len);

/* Same as lc_lists_is_disposable() for free mail providers. */
bool lc_lists_is_free(const struct lc_lists *lists, const char *domain,
                      size_t len);

/* Return whether DOMAIN is a known real mail domain: listed as popular,
 * free or disposable (parents up to the registrable domain included).
 * Typo suggestions never change such a domain. */
bool lc_lists_is_known(const struct lc_lists *lists, const char *domain,
                       size_t len);

/* Return the number of entries of one list. */
size_t lc_lists_count(const struct lc_lists *lists, enum lc_list_kind kind);

/* Return entry INDEX (< lc_lists_count()) of one list in file order,
 * built-in entries first, and store its length in *LEN. The text is
 * NUL-terminated and owned by LISTS. */
const char *lc_lists_entry(const struct lc_lists *lists, enum lc_list_kind kind,
                           size_t index, size_t *len);

#endif
