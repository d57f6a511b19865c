// certificates.k8s.io/v1 CertificateSigningRequest validation
// (api/validation/validation_certificates.h) and the PEM checks it makes
// (pki/pem_check.h), with Kubernetes' messages.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/selector/fields.h"
#include "api/validation/validation_certificates.h"
#include "gtest/gtest.h"
#include "pki/csr.h"
#include "pki/issue.h"
#include "pki/key.h"
#include "pki/pem_check.h"

namespace minik8s::validation {
namespace {

using certificates::v1::CertificateSigningRequest;

std::vector<std::string> Strings(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs) out.push_back(e.ToString());
  return out;
}

std::string NodeCsrPem() {
  static const std::string* const kPem = [] {
    auto key = pki::PrivateKey::Generate();
    EXPECT_TRUE(key.ok());
    auto pem = pki::CreateCsr(
        *key, {.common_name = "system:node:node-1", .organizations = {"system:nodes"}});
    EXPECT_TRUE(pem.ok()) << pem.status();
    return new std::string(*pem);
  }();
  return *kPem;
}

std::string CertificatePem() {
  static const std::string* const kPem = [] {
    auto ca = pki::CreateSelfSignedCa();
    EXPECT_TRUE(ca.ok());
    auto pem = ca->cert.ToPem();
    EXPECT_TRUE(pem.ok());
    return new std::string(*pem);
  }();
  return *kPem;
}

// PEM of `type` around `der`, 64 characters a line.
std::string Pem(const std::string& type, const std::string& der) {
  std::string b64 = absl::Base64Escape(der);
  std::string out = absl::StrCat("-----BEGIN ", type, "-----\n");
  for (size_t i = 0; i < b64.size(); i += 64) absl::StrAppend(&out, b64.substr(i, 64), "\n");
  return absl::StrCat(out, "-----END ", type, "-----\n");
}

// What a kubelet's TLS bootstrap sends, with the requester the apiserver
// stamps.
CertificateSigningRequest NodeCsr() {
  CertificateSigningRequest csr;
  csr.mutable_metadata()->set_name("node-csr-abc");
  auto* spec = csr.mutable_spec();
  spec->set_request(NodeCsrPem());
  spec->set_signer_name(kKubeAPIServerClientKubeletSignerName);
  for (const char* u : {"digital signature", "client auth"}) spec->add_usages(u);
  spec->set_username("system:bootstrap:abcdef");
  spec->add_groups("system:bootstrappers");
  return csr;
}

void AddCondition(CertificateSigningRequest* csr, const std::string& type,
                  const std::string& status = "True") {
  auto* c = csr->mutable_status()->add_conditions();
  c->set_type(type);
  c->set_status(status);
  c->set_reason("KubectlApprove");
}

TEST(CsrValidation, AValidRequestPasses) {
  EXPECT_EQ(Strings(ValidateCertificateSigningRequest(NodeCsr())), std::vector<std::string>{});
  // Any subject: Kubernetes checks only that the request parses and is signed.
  auto key = pki::PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  auto pem = pki::CreateCsr(*key, {.common_name = "jane", .dns_names = {"a.example"}});
  ASSERT_TRUE(pem.ok());
  CertificateSigningRequest csr = NodeCsr();
  csr.mutable_spec()->set_request(*pem);
  csr.mutable_spec()->set_expiration_seconds(600);
  EXPECT_EQ(Strings(ValidateCertificateSigningRequest(csr)), std::vector<std::string>{});
}

TEST(CsrValidation, RequestMustBeASignedCertificateRequest) {
  CertificateSigningRequest csr = NodeCsr();
  csr.mutable_spec()->set_request("abc");
  EXPECT_EQ(Strings(ValidateCertificateSigningRequest(csr)),
            std::vector<std::string>{"spec.request: Invalid value: []byte{0x61, 0x62, 0x63}: PEM "
                                     "block type must be CERTIFICATE REQUEST"});
  csr.mutable_spec()->clear_request();
  EXPECT_EQ(Strings(ValidateCertificateSigningRequest(csr)),
            std::vector<std::string>{
                "spec.request: Invalid value: []byte(nil): PEM block type must be CERTIFICATE "
                "REQUEST"});
  // A certificate is not a request.
  csr.mutable_spec()->set_request(CertificatePem());
  FieldErrors errs = ValidateCertificateSigningRequest(csr);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].detail, "PEM block type must be CERTIFICATE REQUEST");

  // A request whose subject was changed after signing: the signature fails.
  std::vector<pki::PemBlock> blocks = pki::DecodePemBlocks(NodeCsrPem());
  ASSERT_EQ(blocks.size(), 1u);
  std::string der = blocks[0].bytes;
  size_t at = der.find("node-1");
  ASSERT_NE(at, std::string::npos);
  der[at + 5] = '2';
  csr.mutable_spec()->set_request(Pem("CERTIFICATE REQUEST", der));
  errs = ValidateCertificateSigningRequest(csr);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "spec.request");
  EXPECT_EQ(errs[0].detail, "x509: ECDSA verification failure");

  // Garbage inside the block.
  csr.mutable_spec()->set_request(Pem("CERTIFICATE REQUEST", "not der"));
  errs = ValidateCertificateSigningRequest(csr);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].detail, "x509: malformed certificate request");
}

TEST(CsrValidation, Usages) {
  CertificateSigningRequest csr = NodeCsr();
  csr.mutable_spec()->clear_usages();
  EXPECT_EQ(Strings(ValidateCertificateSigningRequest(csr)),
            std::vector<std::string>{"spec.usages: Required value"});
  csr.mutable_spec()->add_usages("client auth");
  csr.mutable_spec()->add_usages("flying");
  csr.mutable_spec()->add_usages("client auth");
  EXPECT_EQ(
      Strings(ValidateCertificateSigningRequest(csr)),
      (std::vector<std::string>{
          "spec.usages[1]: Unsupported value: \"flying\": supported values: \"any\", \"cert "
          "sign\", \"client auth\", \"code signing\", \"content commitment\", \"crl sign\", "
          "\"data encipherment\", \"decipher only\", \"digital signature\", \"email "
          "protection\", \"encipher only\", \"ipsec end system\", \"ipsec tunnel\", \"ipsec "
          "user\", \"key agreement\", \"key encipherment\", \"microsoft sgc\", \"netscape sgc\", "
          "\"ocsp signing\", \"s/mime\", \"server auth\", \"signing\", \"timestamping\"",
          "spec.usages[2]: Duplicate value: \"client auth\""}));
}

TEST(CsrValidation, SignerName) {
  CertificateSigningRequest csr = NodeCsr();
  auto errors_for = [&](const std::string& signer) {
    csr.mutable_spec()->set_signer_name(signer);
    return Strings(ValidateCertificateSigningRequest(csr));
  };
  EXPECT_EQ(errors_for(""), std::vector<std::string>{"spec.signerName: Required value"});
  EXPECT_EQ(errors_for("example.com"),
            std::vector<std::string>{"spec.signerName: Invalid value: \"example.com\": must be a "
                                     "fully qualified domain and path of the form "
                                     "'example.com/signer-name'"});
  EXPECT_EQ(errors_for("example/signer"),
            std::vector<std::string>{"spec.signerName: Invalid value: \"example\": should be a "
                                     "domain with at least two segments separated by dots"});
  EXPECT_EQ(errors_for("Example.com/signer"),
            std::vector<std::string>{
                "spec.signerName: Invalid value: \"Example.com\": validating label \"Example\": "
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
                "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
                "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"});
  EXPECT_EQ(errors_for("kubernetes.io/legacy-unknown"),
            std::vector<std::string>{"spec.signerName: Invalid value: "
                                     "\"kubernetes.io/legacy-unknown\": the legacy signerName is "
                                     "not allowed via this API version"});
  EXPECT_EQ(errors_for("example.com/my-signer.ns.v1"), std::vector<std::string>{});
}

TEST(CsrValidation, ExpirationSeconds) {
  CertificateSigningRequest csr = NodeCsr();
  csr.mutable_spec()->set_expiration_seconds(599);
  EXPECT_EQ(Strings(ValidateCertificateSigningRequest(csr)),
            std::vector<std::string>{"spec.expirationSeconds: Invalid value: 599: may not specify "
                                     "a duration less than 600 seconds (10 minutes)"});
}

TEST(CsrValidation, Conditions) {
  CertificateSigningRequest csr = NodeCsr();
  AddCondition(&csr, "Approved", "False");
  AddCondition(&csr, "Denied");
  AddCondition(&csr, "Custom", "Maybe");
  AddCondition(&csr, "Denied");
  AddCondition(&csr, "", "");
  EXPECT_EQ(
      Strings(ValidateCertificateSigningRequest(csr)),
      (std::vector<std::string>{
          "status.conditions[0].status: Unsupported value: \"False\": supported values: "
          "\"True\"",
          "status.conditions[1].type: Invalid value: \"Denied\": Approved and Denied conditions "
          "are mutually exclusive",
          "status.conditions[2].status: Unsupported value: \"Maybe\": supported values: "
          "\"False\", \"True\", \"Unknown\"",
          "status.conditions[3].type: Invalid value: \"Denied\": Approved and Denied conditions "
          "are mutually exclusive",
          "status.conditions[3].type: Duplicate value: \"Denied\"",
          "status.conditions[4].type: Required value",
          "status.conditions[4].status: Required value"}));
}

TEST(CsrValidation, Certificate) {
  CertificateSigningRequest csr = NodeCsr();
  auto errors_for = [&](const std::string& cert) {
    csr.mutable_status()->set_certificate(cert);
    return Strings(ValidateCertificateSigningRequest(csr));
  };
  EXPECT_EQ(errors_for("text only"),
            std::vector<std::string>{"status.certificate: Invalid value: \"<certificate data>\": "
                                     "must contain at least one CERTIFICATE PEM block"});
  EXPECT_EQ(errors_for(NodeCsrPem()),
            std::vector<std::string>{"status.certificate: Invalid value: \"<certificate data>\": "
                                     "only CERTIFICATE PEM blocks are allowed, found "
                                     "\"CERTIFICATE REQUEST\""});
  std::string with_headers = CertificatePem();
  with_headers.insert(with_headers.find('\n') + 1, "Proc-Type: 4,ENCRYPTED\n");
  EXPECT_EQ(errors_for(with_headers),
            std::vector<std::string>{"status.certificate: Invalid value: \"<certificate data>\": "
                                     "no PEM block headers are permitted"});
  EXPECT_EQ(errors_for(Pem("CERTIFICATE", "junk")),
            std::vector<std::string>{"status.certificate: Invalid value: \"<certificate data>\": "
                                     "x509: malformed certificate"});
  // Explanatory text around the blocks is allowed; a chain is two blocks.
  EXPECT_EQ(errors_for(absl::StrCat("issued by the test CA\n", CertificatePem(), CertificatePem(),
                                    "end\n")),
            std::vector<std::string>{});
}

TEST(CsrValidationUpdate, ApprovalConditionsOnlyThroughApproval) {
  const CertificateSigningRequest old = NodeCsr();
  CertificateSigningRequest approved = old;
  AddCondition(&approved, "Approved");
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestUpdate(approved, old)),
            std::vector<std::string>{
                "status.conditions: Forbidden: updates may not add a condition of type "
                "\"Approved\""});
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestStatusUpdate(approved, old)),
            std::vector<std::string>{
                "status.conditions: Forbidden: updates may not add a condition of type "
                "\"Approved\""});
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestApprovalUpdate(approved, old)),
            std::vector<std::string>{});

  // Once there, it stays, and only approval may change it.
  CertificateSigningRequest removed = approved;
  removed.mutable_status()->clear_conditions();
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestApprovalUpdate(removed, approved)),
            std::vector<std::string>{
                "status.conditions: Forbidden: updates may not remove a condition of type "
                "\"Approved\""});
  CertificateSigningRequest reworded = approved;
  reworded.mutable_status()->mutable_conditions(0)->set_message("changed");
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestStatusUpdate(reworded, approved)),
            std::vector<std::string>{
                "status.conditions: Forbidden: updates may not modify a condition of type "
                "\"Approved\""});
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestApprovalUpdate(reworded, approved)),
            std::vector<std::string>{});

  // Denying what is approved.
  CertificateSigningRequest both = approved;
  AddCondition(&both, "Denied");
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestApprovalUpdate(both, approved)),
            std::vector<std::string>{"status.conditions[1].type: Invalid value: \"Denied\": "
                                     "Approved and Denied conditions are mutually exclusive"});
}

TEST(CsrValidationUpdate, CertificateOnlyThroughStatusAndOnce) {
  CertificateSigningRequest old = NodeCsr();
  AddCondition(&old, "Approved");
  CertificateSigningRequest issued = old;
  issued.mutable_status()->set_certificate(CertificatePem());
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestStatusUpdate(issued, old)),
            std::vector<std::string>{});
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestUpdate(issued, old)),
            std::vector<std::string>{
                "status.certificate: Forbidden: updates may not set certificate content"});
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestApprovalUpdate(issued, old)),
            std::vector<std::string>{
                "status.certificate: Forbidden: updates may not set certificate content"});
  CertificateSigningRequest reissued = issued;
  reissued.mutable_status()->set_certificate(CertificatePem() + CertificatePem());
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestStatusUpdate(reissued, issued)),
            std::vector<std::string>{"status.certificate: Forbidden: updates may not modify "
                                     "existing certificate content"});
  // A Failed condition is the signer's to add, through status.
  CertificateSigningRequest failed = old;
  AddCondition(&failed, "Failed");
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestStatusUpdate(failed, old)),
            std::vector<std::string>{});
}

TEST(CsrValidationUpdate, StoredDataKeepsBeingAccepted) {
  // Kubernetes tolerates, on update, problems the stored object already has.
  CertificateSigningRequest old = NodeCsr();
  old.mutable_spec()->add_usages("flying");
  old.mutable_spec()->set_signer_name(kLegacyUnknownSignerName);
  CertificateSigningRequest updated = old;
  (*updated.mutable_metadata()->mutable_labels())["a"] = "b";
  EXPECT_EQ(Strings(ValidateCertificateSigningRequestUpdate(updated, old)),
            std::vector<std::string>{});
}

TEST(CsrJson, RequestIsBase64AndExtraValuesAreArrays) {
  CertificateSigningRequest csr = NodeCsr();
  (*csr.mutable_spec()->mutable_extra())["scopes"].add_items("a");
  (*csr.mutable_spec()->mutable_extra())["scopes"].add_items("b");
  (*csr.mutable_spec()->mutable_extra())["none"];
  const std::string json = api::EncodeJson(csr);
  EXPECT_NE(json.find(absl::StrCat("\"request\":\"", absl::Base64Escape(NodeCsrPem()), "\"")),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"extra\":{\"none\":[],\"scopes\":[\"a\",\"b\"]}"), std::string::npos)
      << json;
  absl::StatusOr<CertificateSigningRequest> back = api::DecodeAs<CertificateSigningRequest>(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->spec().request(), NodeCsrPem());
  EXPECT_EQ(back->spec().extra().at("scopes").items_size(), 2);
  EXPECT_FALSE(
      api::DecodeAs<CertificateSigningRequest>(R"({"spec":{"extra":{"scopes":"not-a-list"}}})")
          .ok());
}

TEST(CsrFields, SignerNameIsSelectable) {
  CertificateSigningRequest csr = NodeCsr();
  absl::StatusOr<api::FieldSelector> selector =
      api::FieldSelector::Parse("spec.signerName=kubernetes.io/kube-apiserver-client-kubelet");
  ASSERT_TRUE(selector.ok()) << selector.status();
  EXPECT_TRUE(api::CheckSupportedFields(csr, *selector).ok());
  EXPECT_TRUE(api::MatchesObject(*selector, csr));
  csr.mutable_spec()->set_signer_name("example.com/other");
  EXPECT_FALSE(api::MatchesObject(*selector, csr));
  EXPECT_EQ(*api::ObjectFieldValue(csr, "metadata.name"), "node-csr-abc");
  EXPECT_EQ(api::ObjectFieldValue(csr, "spec.username").status().message(),
            "field label not supported: spec.username");
}

TEST(PemBlocks, AsGoDecodesThem) {
  std::vector<pki::PemBlock> blocks = pki::DecodePemBlocks(
      "preamble\n-----BEGIN A-----\nYWJj\n-----END A-----\n"
      "-----BEGIN B-----\nnot base64!\n-----END B-----\n"
      "-----BEGIN C-----\nKey: v\n\nZGVm\n-----END C-----\ntrailer");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].type, "A");
  EXPECT_EQ(blocks[0].bytes, "abc");
  EXPECT_FALSE(blocks[0].has_headers);
  EXPECT_EQ(blocks[1].type, "C");
  EXPECT_EQ(blocks[1].bytes, "def");
  EXPECT_TRUE(blocks[1].has_headers);
}

}  // namespace
}  // namespace minik8s::validation
