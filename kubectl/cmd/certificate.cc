// mkctl certificate approve|deny NAME...: kubectl's certificate command. For
// each name it reads the CertificateSigningRequest, appends an Approved
// (reason KubectlApprove) or Denied (KubectlDeny) condition and writes it
// through the approval subresource, retrying on a conflict as kubectl does
// (up to 10 times); then prints `certificatesigningrequest.certificates.k8s.io/
// NAME approved`. A request that already has the condition is not written
// again (unless --force) but still reported; one with the opposite condition
// is an error (`certificate signing request "x" is already Denied`). The
// server checks that the caller may approve for the request's signer.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/scheme.h"
#include "api/time.h"
#include "k8s/certificates/v1/certificates.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

using certificates::v1::CertificateSigningRequest;

constexpr char kResource[] = "certificatesigningrequests";

struct CertificateOptions {
  std::vector<std::string> names;
  bool force = false;
};

// What approve and deny differ in.
struct Decision {
  const char* condition;      // Approved / Denied
  const char* must_not_have;  // Denied / Approved
  const char* reason;
  const char* message;
  const char* verb;  // printed: approved / denied
};

constexpr Decision kApprove = {"Approved", "Denied", "KubectlApprove",
                               "This CSR was approved by kubectl certificate approve.", "approved"};
constexpr Decision kDeny = {"Denied", "Approved", "KubectlDeny",
                            "This CSR was denied by kubectl certificate deny.", "denied"};

// Adds the condition unless there; `has` tells whether it was.
absl::Status AddCondition(const Decision& d, CertificateSigningRequest* csr, bool* has) {
  *has = false;
  for (const auto& c : csr->status().conditions()) {
    if (c.type() == d.must_not_have) {
      return absl::FailedPreconditionError(absl::StrCat(
          "certificate signing request \"", csr->metadata().name(), "\" is already ", c.type()));
    }
    if (c.type() == d.condition) *has = true;
  }
  if (*has) return absl::OkStatus();
  auto* c = csr->mutable_status()->add_conditions();
  c->set_type(d.condition);
  c->set_status("True");
  c->set_reason(d.reason);
  c->set_message(d.message);
  *c->mutable_last_update_time() = api::NowTime();
  return absl::OkStatus();
}

absl::Status Modify(client::ApiClient& client, const Decision& d, const std::string& name,
                    bool force) {
  for (int attempt = 0;; ++attempt) {
    CertificateSigningRequest csr;
    if (absl::Status st = client.Get(kResource, "", name, &csr); !st.ok()) return st;
    bool has = false;
    if (absl::Status st = AddCondition(d, &csr, &has); !st.ok()) return st;
    if (has && !force) return absl::OkStatus();
    CertificateSigningRequest out;
    absl::Status st = client.Update(kResource, "", name, "approval", csr, &out);
    if (api::IsConflict(st) && attempt < 10) continue;
    return st;
  }
}

int Run(Context& ctx, const Decision& d, const CertificateOptions& o) {
  if (o.names.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "one or more CSRs must be specified as <name> or -f <filename>"));
  }
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const api::KindInfo* kind = api::Scheme::Default().FindByResource(kResource);
  int exit_code = 0;
  for (const std::string& name : o.names) {
    if (absl::Status st = Modify(**client, d, name, o.force); !st.ok()) {
      ctx.Fail(st);
      exit_code = 1;
      continue;
    }
    ctx.out() << QualifiedName(*kind, name) << " " << d.verb << "\n";
  }
  return exit_code;
}

void AddDecision(CLI::App* parent, const char* name, const char* help, const Decision& d,
                 Context& ctx, int& exit_code) {
  auto o = std::make_shared<CertificateOptions>();
  CLI::App* cmd = parent->add_subcommand(name, help);
  cmd->add_option("name", o->names, "The CertificateSigningRequests (NAME...)");
  cmd->add_flag("--force", o->force,
                absl::StrCat("Update the CSR even if it is already ", d.verb, "."));
  cmd->callback([&ctx, &exit_code, o, &d] { exit_code = Run(ctx, d, *o); });
}

}  // namespace

void AddCertificateCommand(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* cmd =
      app.add_subcommand("certificate", "Modify certificate resources")->require_subcommand(1);
  AddDecision(cmd, "approve", "Approve a certificate signing request", kApprove, ctx, exit_code);
  AddDecision(cmd, "deny", "Deny a certificate signing request", kDeny, ctx, exit_code);
}

}  // namespace minik8s::kubectl
