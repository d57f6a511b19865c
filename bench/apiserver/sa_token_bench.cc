// sa_token_bench: what one ServiceAccount token costs the apiserver with
// each kind of signing key (Google Benchmark; /0 is RS256 with RSA 2048,
// /1 ES256 with P-256), the figure behind the choice
// of a P-256 sa.key for new clusters when the kubelet asks a token for
// every pod. In-process, no daemon:
//
//   BM_IssueToken/0, /1           JwtSigner::Sign: header and claims to
//                                 JSON, base64url, the signature (what a
//                                 TokenRequest costs beyond the request)
//   BM_Sign/0, /1                 the signature of the same bytes alone
//   BM_VerifySignature/0, /1      checking that signature alone
//                                 (pki::PublicKeySet::Check)
//   BM_VerifyToken/0, /1          VerifyJwt: form, header, signature and the
//                                 claims decoded, what the authenticator
//                                 pays for each token it checks
//
// The claims are a bound token's (a pod's). "per_10k_tokens" is the time
// of 10,000 (one per pod of a 10,000-pod cluster). See README.md,
// "sa_token_bench".
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "apiserver/serviceaccount/jwt.h"
#include "benchmark/benchmark.h"
#include "pki/jws.h"
#include "pki/key.h"

namespace minik8s::apiserver::serviceaccount {
namespace {

enum KeyType { kRsa2048 = 0, kP256 = 1 };

pki::PrivateKey NewKey(int type) {
  absl::StatusOr<pki::PrivateKey> key =
      type == kRsa2048 ? pki::PrivateKey::GenerateRsa(2048) : pki::PrivateKey::Generate();
  if (!key.ok()) std::abort();
  return *std::move(key);
}

// One key and signer per type, made once.
struct Fixture {
  explicit Fixture(int type)
      : signer(*JwtSigner::Create(NewKey(type))),
        keys(*pki::PublicKeySet::FromPrivateKey(signer.key())) {}
  JwtSigner signer;
  pki::PublicKeySet keys;
};

const Fixture& For(int type) {
  static const Fixture* fixtures[2] = {new Fixture(kRsa2048), new Fixture(kP256)};
  return *fixtures[type];
}

// A pod's bound token, as the kubelet would ask for it.
v1::JwtClaims PodClaims() {
  v1::JwtClaims claims;
  claims.add_aud("https://kubernetes.default.svc.cluster.local");
  claims.set_iss("https://kubernetes.default.svc.cluster.local");
  claims.set_iat(1800000000);
  claims.set_nbf(1800000000);
  claims.set_exp(1800003607);
  claims.set_jti("0e5c1c4e-5b8a-4b7e-9c39-5b7b4d1f0a11");
  claims.set_sub("system:serviceaccount:default:default");
  auto* k8s = claims.mutable_kubernetes();
  k8s->set_namespace_("default");
  k8s->mutable_serviceaccount()->set_name("default");
  k8s->mutable_serviceaccount()->set_uid("9a4ab4e5-5b1f-4d6c-8f0e-2f5a3c7e1b20");
  k8s->mutable_pod()->set_name("nginx-deployment-6c475bb48c-6z7kt");
  k8s->mutable_pod()->set_uid("3f1d2c8a-7e4b-4a9c-b2d1-6e5f4a3b2c10");
  k8s->mutable_node()->set_name("node-1");
  k8s->mutable_node()->set_uid("5c2b1a9d-8e7f-4c6b-a5d4-3e2f1a0b9c87");
  k8s->set_warnafter(1800000607);
  return claims;
}

void Label(benchmark::State& state) {
  state.SetLabel(state.range(0) == kRsa2048 ? "RS256, RSA 2048" : "ES256, P-256");
  state.counters["per_10k_tokens"] =
      benchmark::Counter(static_cast<double>(state.iterations()) / 10000.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_IssueToken(benchmark::State& state) {
  const JwtSigner& signer = For(static_cast<int>(state.range(0))).signer;
  const v1::JwtClaims claims = PodClaims();
  for (auto _ : state) {
    absl::StatusOr<std::string> token = signer.Sign(claims);
    if (!token.ok()) {
      state.SkipWithError(std::string(token.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(token->data());
  }
  Label(state);
}

void BM_Sign(benchmark::State& state) {
  const JwtSigner& signer = For(static_cast<int>(state.range(0))).signer;
  absl::StatusOr<std::string> token = signer.Sign(PodClaims());
  if (!token.ok()) std::abort();
  const std::string input = token->substr(0, token->rfind('.'));
  for (auto _ : state) {
    absl::StatusOr<std::string> signature = pki::SignJws(signer.key(), signer.algorithm(), input);
    if (!signature.ok()) {
      state.SkipWithError(std::string(signature.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(signature->data());
  }
  Label(state);
}

void BM_VerifySignature(benchmark::State& state) {
  const Fixture& fixture = For(static_cast<int>(state.range(0)));
  absl::StatusOr<std::string> token = fixture.signer.Sign(PodClaims());
  if (!token.ok()) std::abort();
  const size_t dot = token->rfind('.');
  const std::string input = token->substr(0, dot);
  const std::string signature = *pki::Base64UrlDecode(token->substr(dot + 1));
  for (auto _ : state) {
    absl::Status checked =
        fixture.keys.Check(fixture.signer.algorithm(), input, signature, fixture.signer.key_id());
    if (!checked.ok()) {
      state.SkipWithError(std::string(checked.message()).c_str());
      break;
    }
  }
  Label(state);
}

void BM_VerifyToken(benchmark::State& state) {
  const Fixture& fixture = For(static_cast<int>(state.range(0)));
  absl::StatusOr<std::string> token = fixture.signer.Sign(PodClaims());
  if (!token.ok()) std::abort();
  for (auto _ : state) {
    absl::StatusOr<v1::JwtClaims> claims = VerifyJwt(fixture.keys, *token);
    if (!claims.ok()) {
      state.SkipWithError(std::string(claims.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(claims->jti().data());
  }
  Label(state);
}

BENCHMARK(BM_IssueToken)->Arg(kRsa2048)->Arg(kP256)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Sign)->Arg(kRsa2048)->Arg(kP256)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VerifySignature)->Arg(kRsa2048)->Arg(kP256)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VerifyToken)->Arg(kRsa2048)->Arg(kP256)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace minik8s::apiserver::serviceaccount

BENCHMARK_MAIN();
