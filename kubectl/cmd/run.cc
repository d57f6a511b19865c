// mkctl run NAME --image=IMG [--port] [--labels] [--env] [--restart]
// [--dry-run] [-o] [--command] -- [args...]: creates a bare Pod, as kubectl.
#include "kubectl/cmd/run.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/scheme.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/write_output.h"

namespace minik8s::kubectl {

absl::StatusOr<std::map<std::string, std::string>> ParseLabelSpec(const std::string& spec) {
  std::map<std::string, std::string> out;
  for (absl::string_view pair : absl::StrSplit(spec, ',')) {
    std::vector<std::string> kv = absl::StrSplit(pair, '=');
    if (kv.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected label spec: ", pair));
    }
    out[kv[0]] = kv[1];
  }
  return out;
}

absl::StatusOr<int> AtoiLikeGo(const std::string& text) {
  const auto syntax = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("strconv.Atoi: parsing \"", text, "\": invalid syntax"));
  };
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  if (i == text.size()) return syntax();
  for (size_t j = i; j < text.size(); ++j) {
    if (text[j] < '0' || text[j] > '9') return syntax();
  }
  errno = 0;
  const long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE || v > INT_MAX || v < INT_MIN) {
    // Go's int is 64 bits; a port beyond int32 is out of range here.
    return absl::InvalidArgumentError(
        absl::StrCat("strconv.Atoi: parsing \"", text, "\": value out of range"));
  }
  return static_cast<int>(v);
}

absl::StatusOr<core::v1::Pod> BuildRunPod(const RunOptions& o) {
  if (o.name.empty()) return absl::InvalidArgumentError("NAME is required for run");
  if (o.restart != "Always" && o.restart != "OnFailure" && o.restart != "Never") {
    return absl::InvalidArgumentError(absl::StrCat("invalid restart policy: ", o.restart));
  }
  core::v1::Pod pod;
  pod.mutable_metadata()->set_name(o.name);
  auto& labels = *pod.mutable_metadata()->mutable_labels();
  if (o.labels.empty()) {
    labels["run"] = o.name;
  } else {
    absl::StatusOr<std::map<std::string, std::string>> parsed = ParseLabelSpec(o.labels);
    if (!parsed.ok()) return parsed.status();
    for (const auto& [k, v] : *parsed) labels[k] = v;
  }
  core::v1::Container* c = pod.mutable_spec()->add_containers();
  c->set_name(o.name);
  c->set_image(o.image);
  for (const std::string& word : o.args) {
    if (o.command) {
      c->add_command(word);
    } else {
      c->add_args(word);
    }
  }
  if (!o.port.empty()) {
    absl::StatusOr<int> port = AtoiLikeGo(o.port);
    if (!port.ok()) return port.status();
    c->add_ports()->set_container_port(*port);
  }
  for (const std::string& e : o.env) {
    const size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid env: ", e));
    }
    core::v1::EnvVar* var = c->add_env();
    var->set_name(e.substr(0, eq));
    var->set_value(e.substr(eq + 1));
  }
  pod.mutable_spec()->set_restart_policy(o.restart);
  pod.mutable_spec()->set_dns_policy("ClusterFirst");
  return pod;
}

namespace {

struct RunCommandOptions {
  RunOptions run;
  std::string dry_run = "none";
  std::string output;
};

int RunRun(Context& ctx, const RunCommandOptions& o) {
  if (absl::Status s = CheckDryRun(o.dry_run); !s.ok()) return ctx.Fail(s);
  if (o.run.name.empty()) {
    ctx.err() << "error: NAME is required for run\nSee 'mkctl run -h' for help and examples\n";
    return 1;
  }
  if (absl::Status s = CheckWriteOutput(o.output); !s.ok()) return ctx.Fail(s);
  absl::StatusOr<core::v1::Pod> pod = BuildRunPod(o.run);
  if (!pod.ok()) {
    if (absl::StartsWith(pod.status().message(), "invalid restart policy")) {
      ctx.err() << "error: " << pod.status().message()
                << "\nSee 'mkctl run -h' for help and examples\n";
      return 1;
    }
    return ctx.Fail(pod.status());
  }
  core::v1::Pod out = *pod;
  if (o.dry_run == "client") {
    // kubectl prints the namespace only when -n named one.
    if (ctx.NamespaceExplicit()) out.mutable_metadata()->set_namespace_(ctx.Namespace());
  } else {
    pod->mutable_metadata()->set_namespace_(ctx.Namespace());
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    if (!client.ok()) return ctx.Fail(client.status());
    absl::Status st = (*client)->Create("pods", ctx.Namespace(), *pod, &out, o.dry_run == "server");
    if (!st.ok()) return ctx.Fail(st);
  }
  PrintWritten(ctx, o.output, "pod/" + out.metadata().name(), "created", o.dry_run, &out);
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<RunCommandOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a particular image on the cluster");
  cmd->add_option("name", o->run.name, "Name of the pod");
  cmd->add_option("args", o->run.args,
                  "After `--`: the container's arguments (its command with --command)");
  cmd->add_option("--image", o->run.image, "The image for the container to run.")->required();
  cmd->add_option("--port", o->run.port, "The port that this container exposes.");
  cmd->add_option("-l,--labels", o->run.labels,
                  "Comma separated labels to apply to the pod. Will override previous values.");
  cmd->add_option("--env", o->run.env, "Environment variables to set in the container.")
      ->allow_extra_args(false);
  cmd->add_option("--restart", o->run.restart,
                  "The restart policy for this Pod. Legal values [Always, OnFailure, Never].")
      ->capture_default_str();
  cmd->add_flag("--command", o->run.command,
                "If true and extra arguments are present, use them as the 'command' field in "
                "the container, rather than the 'args' field which is the default.");
  cmd->add_option("--dry-run", o->dry_run,
                  "Must be \"none\", \"server\", or \"client\". If client strategy, only print "
                  "the object that would be sent, without sending it.")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Output format: yaml, json or name");
  cmd->fallthrough(true);
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunRun(ctx, *o); });
}

}  // namespace minik8s::kubectl
