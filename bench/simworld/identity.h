/* Identity answers: the JSON bodies of the realm and credential-type
 * endpoints, computed from the world.
 *
 * Realms: none answers NameSpaceType "Unknown" and IfExistsResult 1;
 * managed answers truthfully (0, or 6 for some existing accounts, and 1
 * for unknown ones); managed_all answers 0 or 5 for every name; the
 * federated realms name an Okta or AD FS AuthURL and answer 0 with a
 * FederationRedirectUrl. --throttle-pct percent of the accounts get
 * ThrottleStatus 1 on their first request and a real answer afterwards. */
#ifndef SIM_IDENTITY_H
#define SIM_IDENTITY_H

#include <stddef.h>

#include "bench/simworld/server.h"

/* Write the getuserrealm.srf JSON for LOGIN to BUF. Returns its length. */
size_t sim_identity_realm(struct sim_server *server, const char *login,
                          char *buf, size_t size);
/* Write the GetCredentialType JSON for USERNAME to BUF. Returns its
 * length. */
size_t sim_identity_credential(struct sim_server *server, const char *username,
                               char *buf, size_t size);

#endif
