// Flag and argument errors, and the error messages, through the command
// line entry point; nothing here reaches a server.
#include <sstream>

#include "absl/strings/match.h"
#include "api/errors.h"
#include "gtest/gtest.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/context.h"

namespace minik8s::kubectl {
namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Mk(std::vector<std::string> args) {
  std::ostringstream out, err;
  Context ctx(out, err);
  // A server that is never contacted: every case fails before any call.
  args.insert(args.begin(), {"--server", "unix:///nonexistent/mkctl-unit-test.sock"});
  const int code = RunMkctl(args, ctx);
  return {code, out.str(), err.str()};
}

TEST(Cli, GetArgumentErrors) {
  Result r = Mk({"get"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "You must specify the type of resource to get. Use \"mkctl api-resources\" for a "
            "complete list of supported resources.\n\nerror: Required resource not specified.\n");
  r = Mk({"get", "foo"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: the server doesn't have a resource type \"foo\"\n");
  r = Mk({"get", "pods", "-o", "xml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "error: unable to match a printer suitable for the output format \"xml\", allowed "
            "formats are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,"
            "jsonpath-file,name,wide,yaml\n");
  r = Mk({"get", "pods", "--sort-by", "metadata.name"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(absl::StartsWith(r.err, "error: couldn't parse JSONPath")) << r.err;
  r = Mk({"get", "deploy,rs", "-w"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: you may only specify a single resource type\n");
}

TEST(Cli, SelectorErrors) {
  Result r = Mk({"get", "pods", "-l", "a in (b"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(absl::StartsWith(r.err, "error: ")) << r.err;
  EXPECT_EQ(r.out, "");
  r = Mk({"get", "pods", "--field-selector", "a"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(absl::StartsWith(r.err, "error: ")) << r.err;
  r = Mk({"get", "pods", "x", "-l", "app=web"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "error: selectors and the all flag cannot be used when passing resource/name "
            "arguments\n");
}

TEST(Cli, DeleteFlagErrors) {
  Result r = Mk({"delete", "pods", "x", "--cascade=bogus"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "error: invalid cascade value (bogus). Must be \"background\", \"foreground\", or "
            "\"orphan\"\n");
  r = Mk({"delete"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(absl::StartsWith(r.err, "error: You must provide one or more resources")) << r.err;
  r = Mk({"delete", "pods"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: resource(s) were provided, but no name was specified\n");
  r = Mk({"delete", "pods", "x", "--now", "--grace-period=5"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: --now and --grace-period cannot be specified together\n");
}

TEST(Cli, CascadeValues) {
  EXPECT_EQ(*CascadeToPropagation("background"), "Background");
  EXPECT_EQ(*CascadeToPropagation("foreground"), "Foreground");
  EXPECT_EQ(*CascadeToPropagation("orphan"), "Orphan");
  EXPECT_EQ(*CascadeToPropagation("false"), "Orphan");
  EXPECT_FALSE(CascadeToPropagation("").ok());
}

TEST(Cli, OtherCommandErrors) {
  Result r = Mk({"scale", "deployment/x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: required flag(s) \"replicas\" not set\n");
  r = Mk({"scale", "deployment/x", "--replicas=-1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "error: The --replicas=COUNT flag is required, and COUNT must be greater than or "
            "equal to 0\n");
  r = Mk({"apply"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: must specify one of -f and -k\n");
  r = Mk({"apply", "-f", "/nonexistent/x.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: the path \"/nonexistent/x.yaml\" does not exist\n");
  r = Mk({"rollout", "status", "pods/x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(absl::StartsWith(r.err, "error: no rollout support for pods")) << r.err;
  r = Mk({"frobnicate"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error: unknown command \"frobnicate\" for \"mkctl\"\n");
  r = Mk({"get", "pods", "--no-such-flag"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error: unknown flag: --no-such-flag\nSee 'mkctl get --help' for usage.\n");
  r = Mk({"completion", "zsh"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: Unsupported shell type \"zsh\".\n");
  r = Mk({"trace", "ns/default"});
  EXPECT_EQ(r.code, 1);
}

TEST(Cli, ClientOnlyCommands) {
  Result r = Mk({"version", "--client"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "Client Version: v")) << r.out;
  r = Mk({"completion", "bash"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("complete -F _mkctl mkctl"), std::string::npos);
  EXPECT_NE(r.out.find("deployments"), std::string::npos);
  r = Mk({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("apply"), std::string::npos);
  r = Mk({"get", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--field-selector"), std::string::npos) << r.out;
}

TEST(FormatError, KubernetesMessages) {
  EXPECT_EQ(FormatError(api::NewNotFound("deployments.apps", "x"), "h:1"),
            "Error from server (NotFound): deployments.apps \"x\" not found");
  EXPECT_EQ(
      FormatError(absl::UnavailableError("failed to connect to all addresses"), "127.0.0.1:6443"),
      "The connection to the server 127.0.0.1:6443 was refused - did you specify the right "
      "host or port?");
  EXPECT_EQ(FormatError(absl::InvalidArgumentError("bad"), "h:1"), "error: bad");
  // A frozen server: the client's timeout message, as kubectl prints it.
  EXPECT_EQ(FormatError(absl::DeadlineExceededError(
                            "Unable to connect to the server: timed out after 30s waiting for "
                            "the server at h:1 (Client.Timeout exceeded while awaiting headers)"),
                        "h:1"),
            "Unable to connect to the server: timed out after 30s waiting for the server at h:1 "
            "(Client.Timeout exceeded while awaiting headers)");

  meta::v1::Status status;
  status.set_reason("Invalid");
  status.set_code(422);
  status.set_message(
      "Deployment.apps \"x\" is invalid: spec.replicas: Invalid value: -1: must be greater than or "
      "equal to 0");
  status.mutable_details()->set_kind("Deployment");
  status.mutable_details()->set_name("x");
  auto* cause = status.mutable_details()->add_causes();
  cause->set_field("spec.replicas");
  cause->set_message("Invalid value: -1: must be greater than or equal to 0");
  absl::Status invalid = api::FromStatusObject(status);
  EXPECT_EQ(FormatError(invalid, "h:1"),
            "The Deployment \"x\" is invalid: spec.replicas: Invalid value: -1: must be greater "
            "than or equal to 0");
  auto* cause2 = status.mutable_details()->add_causes();
  cause2->set_field("metadata.name");
  cause2->set_message("Required value");
  EXPECT_EQ(FormatError(api::FromStatusObject(status), "h:1"),
            "The Deployment \"x\" is invalid: \n* spec.replicas: Invalid value: -1: must be "
            "greater than or equal to 0\n* metadata.name: Required value");
}

}  // namespace
}  // namespace minik8s::kubectl
