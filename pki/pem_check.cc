#include "pki/pem_check.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "pki/openssl_util.h"

namespace minik8s::pki {
namespace {

constexpr absl::string_view kBegin = "-----BEGIN ";
constexpr absl::string_view kEnd = "-----END ";
constexpr absl::string_view kDashes = "-----";

// The line of `data` starting at `pos` (without its newline) and where the
// next one starts.
absl::string_view LineAt(absl::string_view data, size_t pos, size_t* next) {
  size_t end = data.find('\n', pos);
  if (end == absl::string_view::npos) {
    *next = data.size();
    return data.substr(pos);
  }
  *next = end + 1;
  return data.substr(pos, end - pos);
}

// Where the next BEGIN line starts at or after `from` (at the start of the
// data or of a line), or npos.
size_t FindBegin(absl::string_view data, size_t from) {
  while (from < data.size()) {
    size_t at = data.find(kBegin, from);
    if (at == absl::string_view::npos) return at;
    if (at == 0 || data[at - 1] == '\n') return at;
    from = at + 1;
  }
  return absl::string_view::npos;
}

}  // namespace

std::vector<PemBlock> DecodePemBlocks(absl::string_view data) {
  std::vector<PemBlock> blocks;
  size_t pos = 0;
  while (true) {
    const size_t begin = FindBegin(data, pos);
    if (begin == absl::string_view::npos) break;
    pos = begin + 1;  // a malformed block: go on from the next BEGIN line
    size_t next = 0;
    absl::string_view type_line =
        absl::StripTrailingAsciiWhitespace(LineAt(data, begin + kBegin.size(), &next));
    if (!absl::EndsWith(type_line, kDashes)) continue;
    PemBlock block;
    block.type = std::string(type_line.substr(0, type_line.size() - kDashes.size()));
    // Headers: "Key: Value" lines up to the first line without a colon
    // (a blank line ends them).
    size_t body = next;
    while (body < data.size()) {
      size_t after = 0;
      absl::string_view line = LineAt(data, body, &after);
      if (absl::StartsWith(line, kEnd) || line.find(':') == absl::string_view::npos) break;
      block.has_headers = true;
      body = after;
    }
    const std::string end_marker = absl::StrCat("-----END ", block.type, "-----");
    size_t end = body;
    bool found = false;
    while (end < data.size()) {
      size_t after = 0;
      absl::string_view line = LineAt(data, end, &after);
      if (absl::StartsWith(line, kEnd)) {
        found = absl::StripTrailingAsciiWhitespace(line) == end_marker;
        break;
      }
      end = after;
    }
    if (!found) continue;
    std::string base64;
    for (char c : data.substr(body, end - body)) {
      if (!absl::ascii_isspace(static_cast<unsigned char>(c))) base64.push_back(c);
    }
    if (base64.size() % 4 != 0 || !absl::Base64Unescape(base64, &block.bytes)) continue;
    blocks.push_back(std::move(block));
    LineAt(data, end, &pos);
  }
  return blocks;
}

namespace {

// The first block of `data` parsed as a PKCS#10 request, as Kubernetes'
// ParseCSR.
absl::StatusOr<X509ReqPtr> ParseRequest(absl::string_view data) {
  std::vector<PemBlock> blocks = DecodePemBlocks(data);
  if (blocks.empty() || blocks[0].type != "CERTIFICATE REQUEST") {
    return absl::InvalidArgumentError("PEM block type must be CERTIFICATE REQUEST");
  }
  const std::string& der = blocks[0].bytes;
  ClearOpenSslErrors();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (req == nullptr) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("x509: malformed certificate request");
  }
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return absl::InvalidArgumentError("x509: trailing data");
  }
  return req;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> CertificateRequestOrganizations(absl::string_view data) {
  absl::StatusOr<CertificateRequestInfo> info = DescribeCertificateRequest(data);
  if (!info.ok()) return info.status();
  return std::move(info->organizations);
}

absl::StatusOr<CertificateRequestInfo> DescribeCertificateRequest(absl::string_view data) {
  absl::StatusOr<X509ReqPtr> req = ParseRequest(data);
  if (!req.ok()) return req.status();
  auto text = [](const ASN1_STRING* value) {
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, value);
    if (len < 0 || utf8 == nullptr) return std::string();
    std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
    return out;
  };
  CertificateRequestInfo info;
  const X509_NAME* subject = X509_REQ_get_subject_name(req->get());
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    std::string value = text(X509_NAME_ENTRY_get_data(entry));
    switch (OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry))) {
      case NID_commonName:
        info.common_name = std::move(value);
        break;
      case NID_serialNumber:
        info.serial_number = std::move(value);
        break;
      case NID_organizationName:
        info.organizations.push_back(std::move(value));
        break;
      case NID_organizationalUnitName:
        info.organizational_units.push_back(std::move(value));
        break;
      case NID_countryName:
        info.countries.push_back(std::move(value));
        break;
      case NID_localityName:
        info.localities.push_back(std::move(value));
        break;
      case NID_stateOrProvinceName:
        info.provinces.push_back(std::move(value));
        break;
      case NID_streetAddress:
        info.street_addresses.push_back(std::move(value));
        break;
      case NID_postalCode:
        info.postal_codes.push_back(std::move(value));
        break;
      default:
        break;
    }
  }
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req->get());
  if (exts != nullptr) {
    auto* names =
        static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
      if (name->type == GEN_DNS) {
        info.dns_names.push_back(text(name->d.dNSName));
      } else if (name->type == GEN_EMAIL) {
        info.email_addresses.push_back(text(name->d.rfc822Name));
      } else if (name->type == GEN_URI) {
        info.uris.push_back(text(name->d.uniformResourceIdentifier));
      } else if (name->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* ip = name->d.iPAddress;
        char buf[INET6_ADDRSTRLEN];
        int len = ASN1_STRING_length(ip);
        int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
        if (family >= 0 && inet_ntop(family, ASN1_STRING_get0_data(ip), buf, sizeof(buf))) {
          info.ip_addresses.push_back(buf);
        }
      }
    }
    GENERAL_NAMES_free(names);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  ClearOpenSslErrors();
  return info;
}

absl::Status CheckCertificateRequestPem(absl::string_view data) {
  absl::StatusOr<X509ReqPtr> parsed = ParseRequest(data);
  if (!parsed.ok()) return parsed.status();
  X509ReqPtr req = *std::move(parsed);
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("x509: unsupported public key type");
  }
  if (X509_REQ_verify(req.get(), key) == 1) return absl::OkStatus();
  ClearOpenSslErrors();
  // Go's crypto/x509 words the failure by key type.
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
      return absl::InvalidArgumentError("x509: ECDSA verification failure");
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return absl::InvalidArgumentError("crypto/rsa: verification error");
    case EVP_PKEY_ED25519:
      return absl::InvalidArgumentError("x509: Ed25519 verification failure");
    default:
      return absl::InvalidArgumentError("x509: cannot verify signature: algorithm unimplemented");
  }
}

absl::Status CheckCertificatePem(absl::string_view data) {
  if (data.empty()) return absl::OkStatus();
  std::vector<PemBlock> blocks = DecodePemBlocks(data);
  if (blocks.empty()) {
    return absl::InvalidArgumentError("must contain at least one CERTIFICATE PEM block");
  }
  for (const PemBlock& block : blocks) {
    if (block.type != "CERTIFICATE") {
      return absl::InvalidArgumentError(
          absl::StrCat("only CERTIFICATE PEM blocks are allowed, found \"", block.type, "\""));
    }
    if (block.has_headers) {
      return absl::InvalidArgumentError("no PEM block headers are permitted");
    }
    if (block.bytes.empty()) {
      return absl::InvalidArgumentError("found CERTIFICATE PEM block containing 0 certificates");
    }
    // The block may hold several DER certificates back to back.
    const unsigned char* p = reinterpret_cast<const unsigned char*>(block.bytes.data());
    const unsigned char* end = p + block.bytes.size();
    while (p < end) {
      ClearOpenSslErrors();
      X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(end - p)));
      if (cert == nullptr) {
        ClearOpenSslErrors();
        return absl::InvalidArgumentError("x509: malformed certificate");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace minik8s::pki
