#include "common/tls.h"

#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace minik8s {

absl::StatusOr<std::string> ReadPemFile(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("no PEM file named");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream data;
  data << in.rdbuf();
  std::string pem = data.str();
  if (pem.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " is empty"));
  if (!absl::StrContains(pem, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no PEM block"));
  }
  return pem;
}

namespace {

// The certificate parses, the key parses, and the key is the certificate's:
// a mistake here is reported at start, naming the files, instead of as a
// handshake that fails later on every connection.
absl::Status CheckCertAndKey(const std::string& cert_file, const std::string& cert_pem,
                             const std::string& key_file, const std::string& key_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(cert_file, " holds no PEM certificate"));
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_file, " holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the key in ", key_file, " is not the key of the certificate in ", cert_file));
  }
  return absl::OkStatus();
}

struct CertAndKey {
  std::string cert;
  std::string key;
};

// Both PEM files, checked to be a certificate and its key.
absl::StatusOr<CertAndKey> ReadCertAndKey(const std::string& cert_file,
                                          const std::string& key_file) {
  auto cert = ReadPemFile(cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadPemFile(key_file);
  if (!key.ok()) return key.status();
  if (absl::Status s = CheckCertAndKey(cert_file, *cert, key_file, *key); !s.ok()) return s;
  return CertAndKey{*std::move(cert), *std::move(key)};
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsServerFiles& files) {
  if (files.cert_file.empty() || files.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate file and a key file");
  }
  absl::StatusOr<CertAndKey> pair = ReadCertAndKey(files.cert_file, files.key_file);
  if (!pair.ok()) return pair.status();
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({pair->key, pair->cert});
  if (!files.trusted_ca_file.empty()) {
    auto ca = ReadPemFile(files.trusted_ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
  }
  if (files.client_cert_auth || files.request_client_cert) {
    if (files.trusted_ca_file.empty()) {
      return absl::InvalidArgumentError("client certificate auth needs a trusted CA file");
    }
    options.client_certificate_request =
        files.client_cert_auth ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                               : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  } else {
    options.client_certificate_request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsClientFiles& files) {
  const bool has_cert = !files.cert_file.empty() || !files.cert_pem.empty();
  const bool has_key = !files.key_file.empty() || !files.key_pem.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key and a key its certificate (give both or neither)");
  }
  grpc::SslCredentialsOptions options;
  if (!files.ca_pem.empty()) {
    options.pem_root_certs = files.ca_pem;
  } else if (!files.ca_file.empty()) {
    auto ca = ReadPemFile(files.ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
  }
  if (!files.cert_pem.empty() || !files.key_pem.empty()) {
    // PEM text given inline (the key may still come from a file, or the
    // reverse).
    options.pem_cert_chain = files.cert_pem;
    options.pem_private_key = files.key_pem;
    if (options.pem_cert_chain.empty()) {
      absl::StatusOr<std::string> cert = ReadPemFile(files.cert_file);
      if (!cert.ok()) return cert.status();
      options.pem_cert_chain = *cert;
    }
    if (options.pem_private_key.empty()) {
      absl::StatusOr<std::string> key = ReadPemFile(files.key_file);
      if (!key.ok()) return key.status();
      options.pem_private_key = *key;
    }
  } else if (!files.cert_file.empty()) {
    absl::StatusOr<CertAndKey> pair = ReadCertAndKey(files.cert_file, files.key_file);
    if (!pair.ok()) return pair.status();
    options.pem_cert_chain = pair->cert;
    options.pem_private_key = pair->key;
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentialsOrPlaintext(
    const std::optional<TlsClientFiles>& files) {
  if (!files.has_value()) return grpc::InsecureChannelCredentials();
  return MakeChannelCredentials(*files);
}

int SelectHttp1OrH2Alpn(SSL*, const unsigned char** out, unsigned char* outlen,
                        const unsigned char* in, unsigned int inlen, void*) {
  const unsigned char* h2 = nullptr;
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;  // a malformed list: take what parsed
    const std::string_view name(reinterpret_cast<const char*>(in + i + 1), len);
    if (name == "http/1.1") {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    if (name == "h2") h2 = in + i + 1;
    i += 1 + len;
  }
  if (h2 == nullptr) return SSL_TLSEXT_ERR_NOACK;
  *out = h2;
  *outlen = 2;
  return SSL_TLSEXT_ERR_OK;
}

namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();  // NOLINT(runtime/int): OpenSSL's type
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

}  // namespace

absl::StatusOr<SslCtxPtr> MakeServerSslContext(const TlsServerFiles& files) {
  if (files.cert_file.empty() || files.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate file and a key file");
  }
  if (files.client_cert_auth && files.trusted_ca_file.empty()) {
    return absl::InvalidArgumentError("client certificate auth needs a trusted CA file");
  }
  // Read and matched first, so a wrong file is named plainly.
  absl::StatusOr<CertAndKey> pair = ReadCertAndKey(files.cert_file, files.key_file);
  if (!pair.ok()) return pair.status();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslError()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Writes may be retried with the rest of a buffer that has since moved.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert_file.c_str()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(files.cert_file, ": ", OpenSslError()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(files.key_file, ": ", OpenSslError()));
  }
  if (!files.trusted_ca_file.empty()) {
    if (absl::StatusOr<std::string> ca = ReadPemFile(files.trusted_ca_file); !ca.ok()) {
      return ca.status();
    }
    if (SSL_CTX_load_verify_locations(ctx.get(), files.trusted_ca_file.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(files.trusted_ca_file, ": ", OpenSslError()));
    }
    SSL_CTX_set_verify(ctx.get(),
                       files.client_cert_auth ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                              : SSL_VERIFY_PEER,
                       nullptr);
    // Certificates meant for clients only.
    SSL_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.trusted_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx.get(), names);
    }
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), SelectHttp1OrH2Alpn, nullptr);
  return ctx;
}

namespace {

// PEM certificates from `pem` into `store`; false when it holds none or one
// does not parse.
bool AddPemCertificates(X509_STORE* store, const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio == nullptr) return false;
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    const int ok = X509_STORE_add_cert(store, cert);
    X509_free(cert);
    if (ok != 1) return false;
    ++added;
  }
  ERR_clear_error();  // the end of the text reads as an error
  return added > 0;
}

}  // namespace

absl::StatusOr<SslCtxPtr> MakeClientSslContext(const TlsClientFiles& files) {
  const bool has_cert = !files.cert_file.empty() || !files.cert_pem.empty();
  const bool has_key = !files.key_file.empty() || !files.key_pem.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key and a key its certificate (give both or neither)");
  }
  std::string ca = files.ca_pem;
  std::string ca_name = "the CA data";
  if (ca.empty() && !files.ca_file.empty()) {
    absl::StatusOr<std::string> read = ReadPemFile(files.ca_file);
    if (!read.ok()) return read.status();
    ca = *std::move(read);
    ca_name = files.ca_file;
  }
  std::string cert = files.cert_pem;
  std::string key = files.key_pem;
  if (has_cert) {
    if (cert.empty()) {
      absl::StatusOr<std::string> read = ReadPemFile(files.cert_file);
      if (!read.ok()) return read.status();
      cert = *std::move(read);
    }
    if (key.empty()) {
      absl::StatusOr<std::string> read = ReadPemFile(files.key_file);
      if (!read.ok()) return read.status();
      key = *std::move(read);
    }
    const std::string cert_name = files.cert_pem.empty() ? files.cert_file : "the certificate data";
    const std::string key_name = files.key_pem.empty() ? files.key_file : "the key data";
    if (absl::Status s = CheckCertAndKey(cert_name, cert, key_name, key); !s.ok()) return s;
  }
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslError()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (ca.empty()) {
    SSL_CTX_set_default_verify_paths(ctx.get());
  } else if (!AddPemCertificates(SSL_CTX_get_cert_store(ctx.get()), ca)) {
    return absl::InvalidArgumentError(absl::StrCat(ca_name, ": no CA certificate could be read"));
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (has_cert) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size())), &BIO_free);
    X509* leaf = bio ? PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (leaf == nullptr || SSL_CTX_use_certificate(ctx.get(), leaf) != 1) {
      X509_free(leaf);
      return absl::InvalidArgumentError(absl::StrCat("client certificate: ", OpenSslError()));
    }
    X509_free(leaf);
    // The rest of the chain, if any.
    while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      if (SSL_CTX_add0_chain_cert(ctx.get(), extra) != 1) X509_free(extra);
    }
    ERR_clear_error();
    std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
        BIO_new_mem_buf(key.data(), static_cast<int>(key.size())), &BIO_free);
    EVP_PKEY* pkey =
        key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (pkey == nullptr || SSL_CTX_use_PrivateKey(ctx.get(), pkey) != 1) {
      EVP_PKEY_free(pkey);
      return absl::InvalidArgumentError(absl::StrCat("client key: ", OpenSslError()));
    }
    EVP_PKEY_free(pkey);
  }
  static constexpr unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof(kAlpn));
  return ctx;
}

bool PeerCertificateVerified(const SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  return peer != nullptr && SSL_get_verify_result(ssl) == X509_V_OK;
}

namespace {

std::string NameEntryText(const X509_NAME_ENTRY* entry) {
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  std::string out;
  if (n > 0) out.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

CertificateSubject CertificateSubjectOf(X509* certificate) {
  CertificateSubject subject;
  const X509_NAME* name = X509_get_subject_name(certificate);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;) {
    subject.common_name = NameEntryText(X509_NAME_get_entry(name, i));
  }
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0;) {
    subject.organizations.push_back(NameEntryText(X509_NAME_get_entry(name, i)));
  }
  return subject;
}

std::optional<CertificateSubject> VerifiedPeerSubject(const SSL* ssl) {
  if (!PeerCertificateVerified(ssl)) return std::nullopt;
  return CertificateSubjectOf(SSL_get0_peer_certificate(ssl));
}

}  // namespace minik8s
