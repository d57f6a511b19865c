// Client certificates of a cluster CA for end-to-end tests: a user the
// cluster's CA vouches for (CN = user, O = groups) without anything granted.
#ifndef MINIK8S_TESTING_CLIENT_CERTIFICATE_H_
#define MINIK8S_TESTING_CLIENT_CERTIFICATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pki/cluster_pki.h"

namespace minik8s::testing {

// Issues a client certificate (pki::ClientSpec: CN=`name`, O=`groups`) with
// a new key, signed by the CA in `ca` (its ca.crt and ca.key), and writes
// them to `dir`/<name>.crt and `dir`/<name>.key. Errors name the file that
// could not be read or written.
absl::StatusOr<pki::CertKeyPaths> IssueClientCertificate(const pki::CertKeyPaths& ca,
                                                         const std::string& dir,
                                                         const std::string& name,
                                                         std::vector<std::string> groups);

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_CLIENT_CERTIFICATE_H_
