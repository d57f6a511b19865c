// Validation of the certificates.k8s.io group (pkg/apis/certificates/validation).
#include "api/validation/validation_certificates.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "api/validation/names.h"
#include "api/validation/validation.h"
#include "api/validation/validation_internal.h"
#include "pki/pem_check.h"

namespace minik8s::validation {

using minik8s::certificates::v1::CertificateSigningRequest;
using minik8s::certificates::v1::CertificateSigningRequestCondition;

namespace {

// What a write may change, and which data already stored is tolerated
// (Kubernetes' certificateValidationOptions).
struct Options {
  bool allow_setting_approval_conditions = false;
  bool allow_setting_certificate = false;
  bool allow_both_approved_and_denied = false;
  bool allow_legacy_signer_name = false;
  bool allow_duplicate_condition_types = false;
  bool allow_empty_condition_type = false;
  bool allow_arbitrary_certificate = false;
  bool allow_unknown_usages = false;
  bool allow_duplicate_usages = false;
};

bool IsTrueOnlyType(const std::string& type) {
  return type == kCertificateApproved || type == kCertificateDenied || type == kCertificateFailed;
}

bool HasType(const CertificateSigningRequest& csr, const std::string& type) {
  for (const auto& c : csr.status().conditions()) {
    if (c.type() == type) return true;
  }
  return false;
}

bool HasDuplicateConditionTypes(const CertificateSigningRequest& csr) {
  std::set<std::string> seen;
  for (const auto& c : csr.status().conditions()) {
    if (!seen.insert(c.type()).second) return true;
  }
  return false;
}

bool HasUnknownUsage(const CertificateSigningRequest& csr) {
  const auto& valid = ValidKeyUsages();
  for (const std::string& usage : csr.spec().usages()) {
    if (!std::binary_search(valid.begin(), valid.end(), usage)) return true;
  }
  return false;
}

bool HasDuplicateUsage(const CertificateSigningRequest& csr) {
  std::set<std::string> seen;
  for (const std::string& usage : csr.spec().usages()) {
    if (!seen.insert(usage).second) return true;
  }
  return false;
}

// Kubernetes' getValidationOptions: `old` is null on create.
Options OptionsFor(const CertificateSigningRequest& csr, const CertificateSigningRequest* old) {
  Options o;
  if (old == nullptr) return o;
  o.allow_both_approved_and_denied =
      HasType(*old, kCertificateApproved) && HasType(*old, kCertificateDenied);
  o.allow_legacy_signer_name = old->spec().signer_name() == kLegacyUnknownSignerName;
  o.allow_duplicate_condition_types = HasDuplicateConditionTypes(*old);
  o.allow_empty_condition_type = HasType(*old, "");
  o.allow_arbitrary_certificate = csr.status().certificate() == old->status().certificate() ||
                                  !pki::CheckCertificatePem(old->status().certificate()).ok();
  o.allow_duplicate_usages = HasDuplicateUsage(*old);
  o.allow_unknown_usages = HasUnknownUsage(*old);
  return o;
}

FieldErrors ValidateConditions(const FieldPath& path, const CertificateSigningRequest& csr,
                               const Options& opts) {
  static const std::vector<std::string>* const kTrueOnly = new std::vector<std::string>{"True"};
  static const std::vector<std::string>* const kAll =
      new std::vector<std::string>{"False", "True", "Unknown"};
  FieldErrors errs;
  std::set<std::string> seen;
  bool approved = false, denied = false;
  for (int i = 0; i < csr.status().conditions_size(); ++i) {
    const CertificateSigningRequestCondition& c = csr.status().conditions(i);
    const FieldPath at = path.Index(i);
    if (!opts.allow_empty_condition_type && c.type().empty()) {
      errs.push_back(Required(at.Child("type"), ""));
    }
    const std::vector<std::string>& allowed = IsTrueOnlyType(c.type()) ? *kTrueOnly : *kAll;
    if (c.status().empty()) {
      errs.push_back(Required(at.Child("status"), ""));
    } else if (std::find(allowed.begin(), allowed.end(), c.status()) == allowed.end()) {
      errs.push_back(NotSupported(at.Child("status"), c.status(), allowed));
    }
    if (!opts.allow_both_approved_and_denied) {
      if (c.type() == kCertificateApproved) {
        approved = true;
        if (denied) {
          errs.push_back(Invalid(at.Child("type"), c.type(),
                                 "Approved and Denied conditions are mutually exclusive"));
        }
      } else if (c.type() == kCertificateDenied) {
        denied = true;
        if (approved) {
          errs.push_back(Invalid(at.Child("type"), c.type(),
                                 "Approved and Denied conditions are mutually exclusive"));
        }
      }
    }
    if (!opts.allow_duplicate_condition_types && !seen.insert(c.type()).second) {
      errs.push_back(Duplicate(at.Child("type"), c.type()));
    }
  }
  return errs;
}

FieldErrors ValidateCsr(const CertificateSigningRequest& csr, const Options& opts) {
  // Kubernetes does not care what requests are called.
  FieldErrors errs = ValidateObjectMeta(csr.metadata(), /*namespaced=*/false, NameRule::kNone,
                                        FieldPath("metadata"));
  const FieldPath spec("spec");
  const auto& s = csr.spec();
  if (absl::Status request = pki::CheckCertificateRequestPem(s.request()); !request.ok()) {
    errs.push_back(InvalidPrinted(spec.Child("request"), PrintBytes(s.request()),
                                  std::string(request.message())));
  }
  if (s.usages().empty()) errs.push_back(Required(spec.Child("usages"), ""));
  if (!opts.allow_unknown_usages) {
    const auto& valid = ValidKeyUsages();
    for (int i = 0; i < s.usages_size(); ++i) {
      if (!std::binary_search(valid.begin(), valid.end(), s.usages(i))) {
        errs.push_back(NotSupported(spec.Child("usages").Index(i), s.usages(i), valid));
      }
    }
  }
  if (!opts.allow_duplicate_usages) {
    std::set<std::string> seen;
    for (int i = 0; i < s.usages_size(); ++i) {
      if (!seen.insert(s.usages(i)).second) {
        errs.push_back(Duplicate(spec.Child("usages").Index(i), s.usages(i)));
      }
    }
  }
  if (!opts.allow_legacy_signer_name && s.signer_name() == kLegacyUnknownSignerName) {
    errs.push_back(Invalid(spec.Child("signerName"), s.signer_name(),
                           "the legacy signerName is not allowed via this API version"));
  } else {
    internal::Append(&errs, ValidateSignerName(spec.Child("signerName"), s.signer_name()));
  }
  if (s.has_expiration_seconds() && s.expiration_seconds() < 600) {
    errs.push_back(Invalid(spec.Child("expirationSeconds"), s.expiration_seconds(),
                           "may not specify a duration less than 600 seconds (10 minutes)"));
  }
  internal::Append(&errs, ValidateConditions(FieldPath("status").Child("conditions"), csr, opts));
  if (!opts.allow_arbitrary_certificate) {
    if (absl::Status cert = pki::CheckCertificatePem(csr.status().certificate()); !cert.ok()) {
      errs.push_back(InvalidPrinted(FieldPath("status").Child("certificate"),
                                    "\"<certificate data>\"", std::string(cert.message())));
    }
  }
  return errs;
}

std::vector<const CertificateSigningRequestCondition*> ConditionsOf(
    const CertificateSigningRequest& csr, const std::string& type) {
  std::vector<const CertificateSigningRequestCondition*> out;
  for (const auto& c : csr.status().conditions()) {
    if (c.type() == type) out.push_back(&c);
  }
  return out;
}

FieldErrors ValidateCsrUpdate(const CertificateSigningRequest& csr,
                              const CertificateSigningRequest& old, const Options& opts) {
  FieldErrors errs = ValidateCsr(csr, opts);
  const FieldPath conditions = FieldPath("status").Child("conditions");
  for (const char* type : {kCertificateApproved, kCertificateDenied, kCertificateFailed}) {
    if (ConditionsOf(csr, type).size() < ConditionsOf(old, type).size()) {
      errs.push_back(Forbidden(
          conditions, absl::StrFormat("updates may not remove a condition of type \"%s\"", type)));
    }
  }
  if (!opts.allow_setting_approval_conditions) {
    for (const char* type : {kCertificateApproved, kCertificateDenied}) {
      auto before = ConditionsOf(old, type);
      auto after = ConditionsOf(csr, type);
      if (after.size() < before.size()) continue;  // reported above
      if (after.size() > before.size()) {
        errs.push_back(Forbidden(
            conditions, absl::StrFormat("updates may not add a condition of type \"%s\"", type)));
        continue;
      }
      for (size_t i = 0; i < after.size(); ++i) {
        if (after[i]->SerializeAsString() != before[i]->SerializeAsString()) {
          errs.push_back(Forbidden(
              conditions,
              absl::StrFormat("updates may not modify a condition of type \"%s\"", type)));
          break;
        }
      }
    }
  }
  if (csr.status().certificate() != old.status().certificate()) {
    if (!opts.allow_setting_certificate) {
      errs.push_back(Forbidden(FieldPath("status").Child("certificate"),
                               "updates may not set certificate content"));
    } else if (!old.status().certificate().empty()) {
      errs.push_back(Forbidden(FieldPath("status").Child("certificate"),
                               "updates may not modify existing certificate content"));
    }
  }
  internal::Append(&errs,
                   ValidateObjectMetaUpdate(csr.metadata(), old.metadata(), FieldPath("metadata")));
  return errs;
}

}  // namespace

const std::vector<std::string>& ValidKeyUsages() {
  static const std::vector<std::string>* const kUsages = [] {
    auto* usages = new std::vector<std::string>{"signing",
                                                "digital signature",
                                                "content commitment",
                                                "key encipherment",
                                                "key agreement",
                                                "data encipherment",
                                                "cert sign",
                                                "crl sign",
                                                "encipher only",
                                                "decipher only",
                                                "any",
                                                "server auth",
                                                "client auth",
                                                "code signing",
                                                "email protection",
                                                "s/mime",
                                                "ipsec end system",
                                                "ipsec tunnel",
                                                "ipsec user",
                                                "timestamping",
                                                "ocsp signing",
                                                "microsoft sgc",
                                                "netscape sgc"};
    std::sort(usages->begin(), usages->end());
    return usages;
  }();
  return *kUsages;
}

FieldErrors ValidateSignerName(const FieldPath& path, const std::string& signer_name) {
  FieldErrors errs;
  if (signer_name.empty()) {
    errs.push_back(Required(path, ""));
    return errs;
  }
  std::vector<std::string> segments = absl::StrSplit(signer_name, '/');
  if (segments.size() != 2) {
    errs.push_back(Invalid(path, signer_name,
                           "must be a fully qualified domain and path of the form "
                           "'example.com/signer-name'"));
    return errs;
  }
  if (segments[0].size() > kDNS1123SubdomainMaxLength) {
    errs.push_back(TooLong(path, kDNS1123SubdomainMaxLength));
  }
  std::vector<std::string> domain_labels = absl::StrSplit(segments[0], '.');
  for (const std::string& label : domain_labels) {
    std::vector<std::string> label_errs = IsDNS1123Label(label);
    if (label_errs.empty()) continue;
    for (const std::string& e : label_errs) {
      errs.push_back(Invalid(path, segments[0],
                             absl::StrCat("validating label ", QuoteValue(label), ": ", e)));
    }
    break;
  }
  if (domain_labels.size() < 2) {
    errs.push_back(Invalid(path, segments[0],
                           "should be a domain with at least two segments separated by dots"));
  }
  for (const std::string& label : std::vector<std::string>(absl::StrSplit(segments[1], '.'))) {
    std::vector<std::string> label_errs = IsDNS1123Subdomain(label);
    if (label_errs.empty()) continue;
    for (const std::string& e : label_errs) {
      errs.push_back(Invalid(path, segments[1],
                             absl::StrCat("validating label ", QuoteValue(label), ": ", e)));
    }
    break;
  }
  const int max_path = kDNS1123SubdomainMaxLength + kDNS1123LabelMaxLength + 1;
  const int max_signer = kDNS1123SubdomainMaxLength + max_path + 1;
  if (static_cast<int>(signer_name.size()) > max_signer) errs.push_back(TooLong(path, max_signer));
  return errs;
}

std::string PrintBytes(const std::string& bytes) {
  if (bytes.empty()) return "[]byte(nil)";
  std::string out = "[]byte{";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out += ", ";
    absl::StrAppend(&out, absl::StrFormat("0x%x", static_cast<unsigned char>(bytes[i])));
  }
  return out + "}";
}

FieldErrors ValidateCertificateSigningRequest(const CertificateSigningRequest& csr) {
  return ValidateCsr(csr, OptionsFor(csr, nullptr));
}

FieldErrors ValidateCertificateSigningRequestUpdate(const CertificateSigningRequest& csr,
                                                    const CertificateSigningRequest& old) {
  return ValidateCsrUpdate(csr, old, OptionsFor(csr, &old));
}

FieldErrors ValidateCertificateSigningRequestStatusUpdate(const CertificateSigningRequest& csr,
                                                          const CertificateSigningRequest& old) {
  Options opts = OptionsFor(csr, &old);
  opts.allow_setting_certificate = true;
  return ValidateCsrUpdate(csr, old, opts);
}

FieldErrors ValidateCertificateSigningRequestApprovalUpdate(const CertificateSigningRequest& csr,
                                                            const CertificateSigningRequest& old) {
  Options opts = OptionsFor(csr, &old);
  opts.allow_setting_approval_conditions = true;
  return ValidateCsrUpdate(csr, old, opts);
}

}  // namespace minik8s::validation
