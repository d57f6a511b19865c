// Checks the PKI tests make with OpenSSL directly, independent of the
// library's own verification code.
#ifndef MINIK8S_TESTS_PKI_PKI_TEST_UTIL_H_
#define MINIK8S_TESTS_PKI_PKI_TEST_UTIL_H_

#include <sys/types.h>

#include <string>

#include "pki/certificate.h"

namespace minik8s::pki::test {

// X509_verify_cert of `leaf` against `ca` as the only trusted root, with an
// OpenSSL purpose (X509_PURPOSE_SSL_SERVER, X509_PURPOSE_SSL_CLIENT, or -1
// for none). Returns "" on success, else OpenSSL's reason.
std::string VerifyWithOpenSsl(const Certificate& leaf, const Certificate& ca, int purpose);

// The file's permission bits (st_mode & 07777), or -1 if it cannot be stat'ed.
int FileMode(const std::string& path);

// The whole file ("" if it cannot be read).
std::string ReadAll(const std::string& path);
void WriteAll(const std::string& path, const std::string& contents);

// The keyid of the certificate's subjectKeyIdentifier / authorityKeyIdentifier, as hex.
std::string SubjectKeyId(const Certificate& cert);
std::string AuthorityKeyId(const Certificate& cert);

}  // namespace minik8s::pki::test

#endif  // MINIK8S_TESTS_PKI_PKI_TEST_UTIL_H_
