#include "tests/pki/pki_test_util.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"

namespace minik8s::pki::test {

std::string VerifyWithOpenSsl(const Certificate& leaf, const Certificate& ca, int purpose) {
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_add_cert(store.get(), ca.get());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
  if (purpose >= 0) X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  if (X509_verify_cert(ctx.get()) == 1) return "";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

int FileMode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

namespace {
std::string Hex(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return "";
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s)));
}
}  // namespace

std::string SubjectKeyId(const Certificate& cert) {
  return Hex(X509_get0_subject_key_id(cert.get()));
}

std::string AuthorityKeyId(const Certificate& cert) {
  return Hex(X509_get0_authority_key_id(cert.get()));
}

}  // namespace minik8s::pki::test
