// RAII owners for the OpenSSL 3 objects the PKI library uses, and the one way
// it turns OpenSSL's thread-local error queue into an absl::Status.
//
// Every owner is a std::unique_ptr with a deleter that calls the matching
// OpenSSL *_free function, so an object is freed exactly once on every path.
#ifndef MINIK8S_PKI_OPENSSL_UTIL_H_
#define MINIK8S_PKI_OPENSSL_UTIL_H_

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minik8s::pki {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OpenSslDeleter<X509_REQ, X509_REQ_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslDeleter<X509_NAME, X509_NAME_free>>;
using X509ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_free>>;
using Asn1IntegerPtr =
    std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING, OpenSslDeleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using GeneralNamePtr =
    std::unique_ptr<GENERAL_NAME, OpenSslDeleter<GENERAL_NAME, GENERAL_NAME_free>>;

// Drains this thread's OpenSSL error queue into one line ("error:...; error:...").
// Returns "no OpenSSL error detail" when the queue was empty.
std::string DrainOpenSslErrors();

// A Status with `code` and the message "<what>: <OpenSSL errors>"; drains the queue.
absl::Status OpenSslError(absl::StatusCode code, absl::string_view what);

// Clears the queue (before a call whose failure is reported from its result,
// so that stale entries do not end up in an unrelated message).
void ClearOpenSslErrors();

// A read-only memory BIO over `data` (which must outlive the BIO).
absl::StatusOr<BioPtr> MemoryBioFrom(absl::string_view data);

// Everything written to a memory BIO, as a string.
std::string MemoryBioContents(BIO* bio);

}  // namespace minik8s::pki

#endif  // MINIK8S_PKI_OPENSSL_UTIL_H_
