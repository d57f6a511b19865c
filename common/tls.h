// TLS credentials for minik8s' gRPC servers and clients, read from PEM files
// named by etcd- and Kubernetes-style flags (--cert-file, --key-file,
// --trusted-ca-file, --client-cert-auth; --etcd-cafile, --etcd-certfile,
// --etcd-keyfile).
//
// A server with client_cert_auth set asks every client for a certificate and
// refuses, during the handshake, one that is missing or not signed by the
// trusted CA (etcd's --client-cert-auth). A client checks the server's
// certificate against its CA and the host it dials: the certificate must
// carry that IP or DNS name as a subject alternative name.
//
// Thread safety: the functions are safe to call from any thread.
#ifndef MINIK8S_COMMON_TLS_H_
#define MINIK8S_COMMON_TLS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace minik8s {

struct TlsServerFiles {
  std::string cert_file;        // PEM certificate (chain) the server presents
  std::string key_file;         // its PEM private key
  std::string trusted_ca_file;  // PEM CA bundle client certificates must chain to
  // Every client must present a certificate that chains to trusted_ca_file.
  bool client_cert_auth = false;
  // Without client_cert_auth: ask for a certificate, and end the handshake
  // when one is sent that does not chain to trusted_ca_file, but let clients
  // without one in (kube-apiserver's --client-ca-file).
  bool request_client_cert = false;
};

struct TlsClientFiles {
  std::string ca_file;    // PEM CA bundle; empty = the system's roots
  std::string cert_file;  // client certificate; empty = none (both or neither)
  std::string key_file;
  // The same as PEM text (a kubeconfig's *-data fields); each, when set,
  // is used instead of its file.
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

// Reads a whole PEM file; the error names the file and what is wrong with it
// (missing, unreadable, empty, not PEM).
absl::StatusOr<std::string> ReadPemFile(const std::string& path);

// Credentials for grpc::ServerBuilder::AddListeningPort. The certificate and
// key are required; client_cert_auth and request_client_cert require
// trusted_ca_file.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsServerFiles& files);

// Credentials for grpc::CreateCustomChannel.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsClientFiles& files);

// MakeChannelCredentials(*files), or plaintext credentials without files.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentialsOrPlaintext(
    const std::optional<TlsClientFiles>& files);

// ALPN for a TLS port that serves HTTP/1.1 and gRPC alike (the apiserver's,
// a daemon's health port): http/1.1 whenever the client offers it (curl and
// kubectl offer h2 too, and are served HTTP/1.1), h2 when it is all the
// client offers (a gRPC client), no ALPN otherwise. An
// SSL_CTX_set_alpn_select_cb callback.
int SelectHttp1OrH2Alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                        const unsigned char* in, unsigned int inlen, void* arg);

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

// An OpenSSL server context (TLS 1.2 and later) presenting files.cert_file
// (a chain) with files.key_file, with SelectHttp1OrH2Alpn. With a
// trusted_ca_file it asks every client for a certificate and refuses one
// that is sent and does not verify; client_cert_auth makes one required.
// Errors name the file that is wrong.
absl::StatusOr<SslCtxPtr> MakeServerSslContext(const TlsServerFiles& files);

// An OpenSSL client context (TLS 1.2 and later) that verifies the server's
// certificate against files' CA (ca_pem, else ca_file, else the system's
// roots) and presents the client certificate when one is given. The host
// to check is set per connection (SSL_set1_host, or the IP in the
// connection's verify parameters). Errors name the file that is wrong.
absl::StatusOr<SslCtxPtr> MakeClientSslContext(const TlsClientFiles& files);

// Whether the peer of a finished handshake presented a certificate that
// verified against the context's trusted CA.
bool PeerCertificateVerified(const SSL* ssl);

// What a certificate's Subject says of its holder: the Common Name and the
// Organizations (Kubernetes' x509 user and groups).
struct CertificateSubject {
  std::string common_name;
  std::vector<std::string> organizations;
  bool operator==(const CertificateSubject&) const = default;
};

// CN and O of `certificate`'s Subject. The last CN wins, as Go's pkix.Name
// keeps the last one it reads; every O in order. The caller has verified
// the certificate.
CertificateSubject CertificateSubjectOf(X509* certificate);

// The Subject of the certificate a finished handshake verified (nullopt:
// the peer sent none, or it did not verify).
std::optional<CertificateSubject> VerifiedPeerSubject(const SSL* ssl);

}  // namespace minik8s

#endif  // MINIK8S_COMMON_TLS_H_
