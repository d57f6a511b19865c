// ServiceAccount tokens end to end with the real kubectl: minik8s-apiserver
// over TLS with client certificates, RBAC and kubeadm's sa.key / sa.pub
// (--service-account-signing-key-file, --service-account-key-file), and
// minik8s-controller-manager running the serviceaccount controller with its
// own certificate.
//
// `kubectl create sa robot` and `kubectl create token robot` give a token;
// a kubeconfig holding only that token is the ServiceAccount (`auth whoami`,
// `auth can-i` no, then yes once a RoleBinding grants it); after `kubectl
// delete sa robot` the same token is refused (401). Every new namespace gets
// its "default" ServiceAccount, made again when deleted. The issuer's
// discovery document and key set are served to the accounts, and the key
// set holds the key a token names: a P-256 key (ES256 tokens) for a new
// cluster; for a cluster whose data dir already holds an RSA sa.key (made
// by an earlier build), that key, kept, signing RS256 tokens that still
// authenticate. Skips when the binaries or kubectl are missing.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/clientset.h"
#include "k8s/core/v1/core.pb.h"
#include "k8s/rbac/v1/rbac.pb.h"
#include "pki/cluster_pki.h"
#include "pki/jws.h"
#include "pki/key.h"
#include "pki/pem_file.h"
#include "testing/control_plane.h"
#include "testing/store_backend.h"
#include "testing/subprocess.h"
#include "testing/wait.h"

namespace minik8s::apiserver {
namespace {

using minik8s::testing::BackendKind;
using minik8s::testing::ControlPlane;

constexpr char kPython[] = "/usr/bin/python3";

// Checks a token against a key set as a relying party outside the cluster
// would, with Python's `cryptography` and none of our code: the JWK the
// token's kid names (whose kid must be base64url(SHA-256(DER public key))),
// rebuilt from its numbers, verifies the signature (ES256: R || S, made DER
// here; RS256: PKCS#1 v1.5), and refuses it over other bytes. Prints
// "<alg> <kty> verified" or why not. argv: jwks, token.
constexpr char kVerifyScript[] = R"(
import base64, hashlib, json, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
def b64(s): return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
def num(s): return int.from_bytes(b64(s), 'big')
jwks, token = json.loads(sys.argv[1]), sys.argv[2]
head, claims, sig = token.split('.')
header = json.loads(b64(head))
jwk = [k for k in jwks['keys'] if k['kid'] == header['kid']][0]
assert jwk['alg'] == header['alg'] and jwk['use'] == 'sig', jwk
if jwk['kty'] == 'EC':
  assert jwk['crv'] == 'P-256' and len(b64(jwk['x'])) == 32 and len(b64(jwk['y'])) == 32, jwk
  key = ec.EllipticCurvePublicNumbers(num(jwk['x']), num(jwk['y']), ec.SECP256R1()).public_key()
  raw = b64(sig)
  assert len(raw) == 64, len(raw)
  der = utils.encode_dss_signature(int.from_bytes(raw[:32], 'big'), int.from_bytes(raw[32:], 'big'))
  check = lambda data: key.verify(der, data, ec.ECDSA(hashes.SHA256()))
else:
  key = rsa.RSAPublicNumbers(num(jwk['e']), num(jwk['n'])).public_key()
  check = lambda data: key.verify(b64(sig), data, padding.PKCS1v15(), hashes.SHA256())
spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
assert base64.urlsafe_b64encode(hashlib.sha256(spki).digest()).rstrip(b'=').decode() == jwk['kid']
check((head + '.' + claims).encode())
try:
  check((head + '.' + claims + 'x').encode())
  print('tampered bytes verified')
except InvalidSignature:
  print(header['alg'], jwk['kty'], 'verified')
)";

class ServiceAccountTokenE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ControlPlane::MissingPrerequisite(
            BackendKind::kMinik8sStore, {"minik8s-apiserver", "minik8s-controller-manager"});
        !why.empty()) {
      GTEST_SKIP() << why;
    }
    if (testing::FindOnPath("kubectl").empty()) GTEST_SKIP() << "kubectl is not installed";
    cp_ = std::make_unique<ControlPlane>(
        ControlPlane::Options{.apiserver_flags = {"--authorization-mode=RBAC"},
                              .pki = pki::ClusterPkiOptions{},
                              .service_account_keys = true});
    BeforeStart();
    if (HasFatalFailure()) return;
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
    admin_ = cp_->clientset();
    // The bootstrap policy is in place once the admin sees its last object.
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return admin_->For<rbac::v1::ClusterRoleBinding>()
              .Get("", "system:controller:service-account-controller")
              .ok();
        },
        absl::Seconds(20)));
    ASSERT_TRUE(
        cp_->StartControllerManager({"--leader-elect=false", "--controllers=serviceaccount"}).ok());
  }

  // Runs before the control plane starts (its PKI is made in Start()).
  virtual void BeforeStart() {}

  // kVerifyScript's answer for `token` and `jwks`; "" when this machine's
  // Python has no `cryptography` (the caller skips).
  static std::string VerifyOutsideTheCluster(const std::string& jwks, const std::string& token) {
    std::string out;
    if (testing::RunCommand({kPython, "-c", "import cryptography"}, &out) != 0) return "";
    testing::RunCommand({kPython, "-c", kVerifyScript, jwks, token}, &out, absl::Seconds(60));
    return out;
  }

  // The header of a compact JWT, decoded ("" if it is not one).
  static std::string TokenHeader(const std::string& token) {
    std::vector<std::string> parts = absl::StrSplit(token, '.');
    if (parts.size() != 3) return "";
    return pki::Base64UrlDecode(parts[0]).value_or("");
  }

  // A kubeconfig whose only credential is `token`.
  std::string TokenKubeconfig(const std::string& token) {
    absl::StatusOr<std::string> path = cp_->WriteTokenKubeconfig("token.conf", token);
    EXPECT_TRUE(path.ok()) << path.status();
    return path.value_or("/nonexistent/token.conf");
  }

  int Kubectl(const std::string& kubeconfig, std::vector<std::string> args, std::string* out) {
    return cp_->Kubectl(kubeconfig, args, out);
  }
  int Admin(std::vector<std::string> args, std::string* out) {
    return Kubectl(cp_->admin_kubeconfig(), std::move(args), out);
  }

  std::unique_ptr<ControlPlane> cp_;
  client::Clientset* admin_ = nullptr;
};

TEST_F(ServiceAccountTokenE2E, TokenIsTheServiceAccountUntilTheAccountIsDeleted) {
  std::string out;
  ASSERT_EQ(Admin({"create", "sa", "robot"}, &out), 0) << out;
  EXPECT_EQ(out, "serviceaccount/robot created\n");
  ASSERT_EQ(Admin({"get", "sa", "robot"}, &out), 0) << out;
  EXPECT_TRUE(absl::StartsWith(out, "NAME    SECRETS   AGE\nrobot   0         ")) << out;

  ASSERT_EQ(Admin({"create", "token", "robot"}, &out), 0) << out;
  const std::string token(absl::StripTrailingAsciiWhitespace(out));
  ASSERT_EQ(std::vector<std::string>(absl::StrSplit(token, '.')).size(), 3u) << token;
  const std::string as_robot = TokenKubeconfig(token);

  ASSERT_EQ(
      Kubectl(as_robot, {"auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"}, &out), 0)
      << out;
  EXPECT_EQ(out, "system:serviceaccount:default:robot");
  ASSERT_EQ(Kubectl(as_robot, {"auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}"}, &out),
            0)
      << out;
  EXPECT_EQ(
      out, R"(["system:serviceaccounts","system:serviceaccounts:default","system:authenticated"])");

  EXPECT_EQ(Kubectl(as_robot, {"auth", "can-i", "list", "pods"}, &out), 1) << out;
  EXPECT_EQ(out, "no\n");
  EXPECT_EQ(Kubectl(as_robot, {"get", "pods"}, &out), 1) << out;
  EXPECT_EQ(out,
            "Error from server (Forbidden): pods is forbidden: User "
            "\"system:serviceaccount:default:robot\" cannot list resource \"pods\" in API group "
            "\"\" in the namespace \"default\"\n");

  ASSERT_EQ(Admin({"create", "rolebinding", "robot-view", "--clusterrole=view",
                   "--serviceaccount=default:robot"},
                  &out),
            0)
      << out;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Kubectl(as_robot, {"auth", "can-i", "list", "pods"}, &out) == 0;
      },
      absl::Seconds(20)))
      << out;
  EXPECT_EQ(out, "yes\n");
  EXPECT_EQ(Kubectl(as_robot, {"get", "pods"}, &out), 0) << out;
  EXPECT_EQ(out, "No resources found in default namespace.\n");

  ASSERT_EQ(Admin({"delete", "sa", "robot"}, &out), 0) << out;
  EXPECT_EQ(out, "serviceaccount \"robot\" deleted\n");
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Kubectl(as_robot, {"get", "pods"}, &out) == 1;
      },
      absl::Seconds(20)))
      << out;
  EXPECT_EQ(out, "error: You must be logged in to the server (Unauthorized)\n");
  // A new account of the same name does not revive the old token.
  ASSERT_EQ(Admin({"create", "sa", "robot"}, &out), 0) << out;
  EXPECT_EQ(Kubectl(as_robot, {"get", "pods"}, &out), 1) << out;
  EXPECT_EQ(out, "error: You must be logged in to the server (Unauthorized)\n");
}

TEST_F(ServiceAccountTokenE2E, TokenRequestsAreCheckedAndAuthorized) {
  std::string out;
  ASSERT_EQ(Admin({"create", "sa", "robot"}, &out), 0) << out;
  EXPECT_EQ(Admin({"create", "token", "robot", "--duration=5m"}, &out), 1) << out;
  EXPECT_EQ(out,
            "error: failed to create token: TokenRequest.authentication.k8s.io \"robot\" is "
            "invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration "
            "less than 10 minutes\n");
  EXPECT_EQ(Admin({"create", "token", "ghost"}, &out), 1) << out;
  EXPECT_EQ(out, "error: failed to create token: serviceaccounts \"ghost\" not found\n");
  // A token for another audience is not one for this apiserver.
  ASSERT_EQ(
      Admin({"create", "token", "robot", "--audience=vault", "-o", "jsonpath={.status.token}"},
            &out),
      0)
      << out;
  // (kubectl's discovery meets the 401 first here, and says so in its words.)
  EXPECT_EQ(Kubectl(TokenKubeconfig(out), {"get", "pods"}, &out), 1) << out;
  EXPECT_TRUE(absl::StrContains(out, "error: You must be logged in to the server")) << out;
  // Asking for a token is create on serviceaccounts/token: the scheduler may not.
  EXPECT_EQ(Kubectl(cp_->scheduler_kubeconfig(), {"create", "token", "robot"}, &out), 1) << out;
  EXPECT_EQ(out,
            "error: failed to create token: serviceaccounts \"robot\" is forbidden: User "
            "\"system:kube-scheduler\" cannot create resource \"serviceaccounts/token\" in API "
            "group \"\" in the namespace \"default\"\n");
}

TEST_F(ServiceAccountTokenE2E, IssuerDiscoveryServesTheKeysThatSignTheTokens) {
  std::string out;
  ASSERT_EQ(Admin({"get", "--raw", "/.well-known/openid-configuration"}, &out), 0) << out;
  // A new cluster's sa.key is P-256: ES256 tokens.
  EXPECT_EQ(out, absl::StrCat(R"({"issuer":"https://kubernetes.default.svc.cluster.local",)",
                              R"("jwks_uri":"https://127.0.0.1:)", cp_->apiserver_port(),
                              R"(/openid/v1/jwks","response_types_supported":["id_token"],)",
                              R"("subject_types_supported":["public"],)",
                              R"("id_token_signing_alg_values_supported":["ES256"]})"));
  std::string jwks;
  ASSERT_EQ(Admin({"get", "--raw", "/openid/v1/jwks"}, &jwks), 0) << jwks;
  EXPECT_TRUE(absl::StartsWith(jwks, R"({"keys":[{"use":"sig","kty":"EC","kid":")")) << jwks;
  EXPECT_TRUE(absl::StrContains(jwks, R"(","crv":"P-256","alg":"ES256","x":")")) << jwks;
  EXPECT_TRUE(absl::EndsWith(jwks, R"("}]})")) << jwks;

  // A token's header names its key by the id the key set gives it.
  ASSERT_EQ(Admin({"create", "sa", "robot"}, &out), 0) << out;
  std::string token;
  ASSERT_EQ(Admin({"create", "token", "robot"}, &token), 0) << token;
  token = std::string(absl::StripTrailingAsciiWhitespace(token));
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u) << token;
  absl::StatusOr<std::string> header = pki::Base64UrlDecode(parts[0]);
  ASSERT_TRUE(header.ok()) << header.status();
  const size_t kid_at = header->find(R"("kid":")");
  ASSERT_NE(kid_at, std::string::npos) << *header;
  const std::string kid = header->substr(kid_at + 7, header->find('"', kid_at + 7) - kid_at - 7);
  EXPECT_TRUE(absl::StrContains(jwks, absl::StrCat(R"("kid":")", kid, R"(")"))) << jwks;
  EXPECT_TRUE(absl::StartsWith(*header, R"({"alg":"ES256",)")) << *header;
  // A relying party outside the cluster checks it with the key set alone.
  const std::string outside = VerifyOutsideTheCluster(jwks, token);
  if (!outside.empty()) EXPECT_EQ(outside, "ES256 EC verified\n");

  // The accounts may read both (system:service-account-issuer-discovery is
  // bound to system:serviceaccounts); they may not list pods.
  const std::string as_robot = TokenKubeconfig(token);
  EXPECT_EQ(Kubectl(as_robot, {"get", "--raw", "/openid/v1/jwks"}, &out), 0) << out;
  EXPECT_EQ(out, jwks);
  EXPECT_EQ(Kubectl(as_robot, {"get", "--raw", "/.well-known/openid-configuration/"}, &out), 0)
      << out;
  // The scheduler is not an account: no binding lets it.
  EXPECT_EQ(Kubectl(cp_->scheduler_kubeconfig(), {"get", "--raw", "/openid/v1/jwks"}, &out), 1)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "forbidden")) << out;
}

TEST_F(ServiceAccountTokenE2E, EveryNamespaceGetsItsDefaultServiceAccount) {
  core::v1::Namespace ns;
  ns.mutable_metadata()->set_name("team-a");
  ASSERT_TRUE(admin_->Namespaces().Create(ns).ok());
  auto accounts = admin_->For<core::v1::ServiceAccount>();
  std::string first_uid;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto got = accounts.Get("team-a", "default");
        if (got.ok()) first_uid = got->metadata().uid();
        return got.ok();
      },
      absl::Seconds(20)));
  // The apiserver's own namespaces too.
  EXPECT_TRUE(testing::WaitFor([&] { return accounts.Get("kube-system", "default").ok(); },
                               absl::Seconds(20)));
  std::string out;
  ASSERT_EQ(Admin({"delete", "sa", "default", "-n", "team-a"}, &out), 0) << out;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto got = accounts.Get("team-a", "default");
        return got.ok() && got->metadata().uid() != first_uid;
      },
      absl::Seconds(20)))
      << "the default ServiceAccount was not made again";
}

// A cluster made by an earlier build: its data dir holds an RSA sa.key.
// The new build keeps it as it is and goes on issuing RS256 tokens that
// authenticate, and publishes that RSA key.
class ServiceAccountTokenFromAnRsaClusterE2E : public ServiceAccountTokenE2E {
 protected:
  void BeforeStart() override {
    const std::string pki_dir = cp_->dir().Join("pki");
    ASSERT_TRUE(pki::EnsurePrivateDirectory(pki_dir).ok());
    absl::StatusOr<pki::PrivateKey> rsa = pki::PrivateKey::GenerateRsa(2048);
    ASSERT_TRUE(rsa.ok()) << rsa.status();
    sa_key_ = pki_dir + "/sa.key";
    ASSERT_TRUE(pki::WritePrivateKeyFile(sa_key_, *rsa).ok());
    sa_key_pem_ = *rsa->ToPem();
    rsa_kid_ = *pki::KeyId(rsa->get());
  }

  std::string sa_key_;
  std::string sa_key_pem_;
  std::string rsa_kid_;
};

TEST_F(ServiceAccountTokenFromAnRsaClusterE2E, ItsRsaKeyStillIssuesAndAcceptsTokens) {
  ASSERT_FALSE(rsa_kid_.empty());
  EXPECT_EQ(pki::ReadSmallFile(sa_key_).value_or(""), sa_key_pem_);  // never rewritten
  std::string out;
  ASSERT_EQ(Admin({"create", "sa", "robot"}, &out), 0) << out;
  ASSERT_EQ(Admin({"create", "token", "robot"}, &out), 0) << out;
  const std::string token(absl::StripTrailingAsciiWhitespace(out));
  EXPECT_EQ(TokenHeader(token), absl::StrCat(R"({"alg":"RS256","kid":")", rsa_kid_, R"("})"));
  ASSERT_EQ(Kubectl(TokenKubeconfig(token),
                    {"auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"}, &out),
            0)
      << out;
  EXPECT_EQ(out, "system:serviceaccount:default:robot");

  ASSERT_EQ(Admin({"get", "--raw", "/openid/v1/jwks"}, &out), 0) << out;
  EXPECT_TRUE(absl::StartsWith(
      out, absl::StrCat(R"({"keys":[{"use":"sig","kty":"RSA","kid":")", rsa_kid_, R"(")")))
      << out;
  const std::string outside = VerifyOutsideTheCluster(out, token);
  if (!outside.empty()) EXPECT_EQ(outside, "RS256 RSA verified\n");
  ASSERT_EQ(Admin({"get", "--raw", "/.well-known/openid-configuration"}, &out), 0) << out;
  EXPECT_TRUE(absl::EndsWith(out, R"("id_token_signing_alg_values_supported":["RS256"]})")) << out;
  EXPECT_EQ(pki::ReadSmallFile(sa_key_).value_or(""), sa_key_pem_);
}

}  // namespace
}  // namespace minik8s::apiserver
