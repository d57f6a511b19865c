// End to end, against the real minik8s-store and minik8s-apiserver: mkctl
// diff (the diff program's output and exit codes), edit (an editor script
// changing, leaving or breaking the object, conflicts) and replace --force,
// compared with the real kubectl over the apiserver's HTTP API when
// /usr/bin/kubectl exists. Skips when the daemons are not built.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "testing/file_util.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"
#include "tests/kubectl/mkctl_vs_kubectl.h"

namespace minik8s {
namespace {

// A Deployment NAME with `replicas` and `image` (its pull policy written
// out: mkctl's apply and diff replace a changed list whole, where kubectl's
// strategic merge would keep the live defaulted policy).
std::string DeploymentYaml(const std::string& name, int replicas, const std::string& image) {
  return absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: )",
                      name, R"(
spec:
  replicas: )",
                      replicas, R"(
  selector:
    matchLabels: {app: )",
                      name, R"(}
  template:
    metadata:
      labels: {app: )",
                      name, R"(}
    spec:
      containers:
      - name: c
        imagePullPolicy: IfNotPresent
        image: )",
                      image, "\n");
}

class MkctlDiffEditE2E : public MkctlVsKubectlE2E {
 protected:
  void SetUp() override {
    MkctlVsKubectlE2E::SetUp();
    if (IsSkipped()) return;
    real_ = access(kRealKubectl, X_OK) == 0;
  }

  // Runs mkctl in namespace `m` (real = false) or the real kubectl in `k`
  // with `env` (NAME=VALUE) added to the environment; returns the exit code.
  // TMPDIR is the test's own folder, so that the files both leave behind
  // (the edits kept after an error) go with it.
  int Run(bool real, const std::vector<std::string>& env, const std::vector<std::string>& args,
          std::string* out, const std::string& stdin_data = "") {
    std::vector<std::string> argv = {"/usr/bin/env", "TMPDIR=" + tmp_.path()};
    argv.insert(argv.end(), env.begin(), env.end());
    if (real) {
      argv.insert(argv.end(), {kRealKubectl, "--server",
                               absl::StrCat("http://127.0.0.1:", api_port_), "-n", "k"});
      std::vector<std::string> flags = cp_->KubectlCacheFlags();
      argv.insert(argv.end(), flags.begin(), flags.end());
    } else {
      argv.insert(argv.end(), {testing::BinPath("mkctl"), "--server",
                               absl::StrCat("127.0.0.1:", api_port_), "-n", "m"});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, out, absl::Seconds(60), stdin_data);
  }

  // The sides to run: mkctl, and kubectl when installed.
  std::vector<bool> Sides() const {
    return real_ ? std::vector<bool>{false, true} : std::vector<bool>{false};
  }
  static const char* Ns(bool real) { return real ? "k" : "m"; }

  // An executable shell script in `dir`.
  static std::string Script(const testing::TempDir& dir, const std::string& name,
                            const std::string& body) {
    const std::string path = dir.Join(name);
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), 0755);
    return path;
  }

  bool real_ = false;
  testing::TempDir tmp_;
};

// What differs between two runs of the same diff or edit, made comparable:
// the temporary paths and file times, the namespace, uid, creation time and
// resourceVersion.
std::string Normalize(const std::string& text, const std::string& ns) {
  std::string out = text;
  out = std::regex_replace(out, std::regex("/[^ \t\n\"]*/(LIVE|MERGED)-[A-Za-z0-9]+"), "$1");
  out = std::regex_replace(out, std::regex("/[^ \t\n\"]*/(kubectl|mkctl)-edit-[A-Za-z0-9]+"),
                           "EDITFILE");
  out = std::regex_replace(out, std::regex("(\n|^)(---|\\+\\+\\+) ([^\t\n]*)\t[^\n]*"), "$1$2 $3");
  out = std::regex_replace(out, std::regex("\\." + ns + "\\."), ".NS.");
  out = std::regex_replace(out, std::regex("namespace: " + ns + "\n"), "namespace: NS\n");
  out = std::regex_replace(out, std::regex("uid: [^\n]*"), "uid: UID");
  out = std::regex_replace(out, std::regex("creationTimestamp: \"[^\n]*"), "creationTimestamp: T");
  out = std::regex_replace(out, std::regex("resourceVersion: \"[^\n]*"), "resourceVersion: RV");
  return out;
}

// The path a message names as `stored to "PATH"` / `saved to "PATH"`, or
// `replace -f PATH`; "" when none.
std::string NamedFile(const std::string& out) {
  std::smatch m;
  if (std::regex_search(out, m, std::regex("(/[^ \"`\n]*-edit-[A-Za-z0-9]+\\.(yaml|json))"))) {
    return m[1];
  }
  return "";
}

TEST_F(MkctlDiffEditE2E, DiffAsKubectl) {
  testing::TempDir dir;
  const std::string applied = dir.Join("applied.yaml");
  const std::string changed = dir.Join("changed.yaml");
  const std::string fresh = dir.Join("fresh.yaml");
  std::ofstream(applied) << DeploymentYaml("diffweb", 1, "nginx");
  std::ofstream(changed) << DeploymentYaml("diffweb", 3, "nginx:1.27");
  std::ofstream(fresh) << DeploymentYaml("difffresh", 2, "nginx");
  // Made with create: no last-applied annotation, which mkctl's YAML
  // prints as a quoted string, kubectl's as a literal block.
  Setup({"create", "-f", applied});
  std::string out;
  int code = 0;
  std::string mine;
  for (bool real : Sides()) {
    // Nothing to change: exit 0, no output.
    code = Run(real, {}, {"diff", "-f", applied}, &out);
    EXPECT_EQ(code, 0) << real << "\n" << out;
    EXPECT_EQ(out, "") << real;
  }
  // A change: the unified diff of the two YAML files, exit 1.
  std::string normalized[2];
  for (bool real : Sides()) {
    code = Run(real, {}, {"diff", "-f", changed}, &out);
    EXPECT_EQ(code, 1) << real << "\n" << out;
    normalized[real] = Normalize(out, Ns(real));
  }
  EXPECT_TRUE(absl::StrContains(normalized[0],
                                "diff -u -N LIVE/apps.v1.Deployment.NS.diffweb "
                                "MERGED/apps.v1.Deployment.NS.diffweb\n"))
      << normalized[0];
  EXPECT_TRUE(absl::StrContains(normalized[0], "\n-  replicas: 1\n+  replicas: 3\n"))
      << normalized[0];
  EXPECT_TRUE(
      absl::StrContains(normalized[0], "\n-      - image: nginx\n+      - image: nginx:1.27\n"))
      << normalized[0];
  EXPECT_TRUE(absl::StrContains(normalized[0], "\n-  generation: 1\n+  generation: 2\n"))
      << normalized[0];
  if (real_) EXPECT_EQ(normalized[0], normalized[1]);
  // The diff was a dry run: nothing changed.
  EXPECT_EQ(Run(false, {}, {"get", "deploy", "diffweb", "-o", "jsonpath={.spec.replicas}"}, &out),
            0);
  EXPECT_EQ(out, "1");

  // An object that does not exist: the whole of it added, to an empty file.
  for (bool real : Sides()) {
    code = Run(real, {}, {"diff", "-f", fresh}, &out);
    EXPECT_EQ(code, 1) << real << "\n" << out;
    normalized[real] = Normalize(out, Ns(real));
  }
  EXPECT_TRUE(absl::StrContains(normalized[0], "\n+kind: Deployment\n")) << normalized[0];
  if (real_) EXPECT_EQ(normalized[0], normalized[1]);
  EXPECT_NE(Run(false, {}, {"get", "deploy", "difffresh"}, &out), 0) << out;

  // KUBECTL_EXTERNAL_DIFF: its words after the program go after the folders;
  // a program failing (exit > 1) is an error, exit 2.
  for (bool real : Sides()) {
    code = Run(real, {"KUBECTL_EXTERNAL_DIFF=diff -q"}, {"diff", "-f", changed}, &out);
    EXPECT_EQ(code, 1) << real << "\n" << out;
    normalized[real] = Normalize(out, Ns(real));
  }
  EXPECT_EQ(normalized[0],
            "Files LIVE/apps.v1.Deployment.NS.diffweb and MERGED/apps.v1.Deployment.NS.diffweb "
            "differ\n");
  if (real_) EXPECT_EQ(normalized[0], normalized[1]);
  const std::string failing = Script(dir, "failing-diff", "echo \"compared $1 $2\"; exit 3\n");
  for (bool real : Sides()) {
    code = Run(real, {"KUBECTL_EXTERNAL_DIFF=" + failing}, {"diff", "-f", changed}, &out);
    EXPECT_EQ(code, 2) << real << "\n" << out;
    normalized[real] = Normalize(absl::StrReplaceAll(out, {{failing, "FAILING"}}), Ns(real));
  }
  EXPECT_EQ(normalized[0],
            "compared LIVE MERGED\nerror: failed to run \"FAILING\": exit status 3\n");
  if (real_) EXPECT_EQ(normalized[0], normalized[1]);
  for (bool real : Sides()) {
    code = Run(real, {"KUBECTL_EXTERNAL_DIFF=no-such-diff-program"}, {"diff", "-f", changed}, &out);
    EXPECT_EQ(code, 2) << real << "\n" << out;
    if (!real)
      mine = out;
    else
      EXPECT_EQ(mine, out);
  }
  EXPECT_EQ(mine,
            "error: failed to run \"no-such-diff-program\": executable file not found in $PATH\n");
  // Without -f.
  for (bool real : Sides()) {
    code = Run(real, {}, {"diff"}, &out);
    EXPECT_EQ(code, 2) << real << "\n" << out;
    EXPECT_EQ(out, "error: must specify one of -f and -k\n") << real;
  }
  // Arguments are refused (kubectl's message names kubectl).
  EXPECT_EQ(Run(false, {}, {"diff", "web", "-f", changed}, &out), 2) << out;
  EXPECT_EQ(out, "error: Unexpected args: [web]\nSee 'mkctl diff -h' for help and examples\n");
}

TEST_F(MkctlDiffEditE2E, EditChangesTheObject) {
  testing::TempDir dir;
  Setup({"create", "-f", "-"}, DeploymentYaml("editweb", 1, "nginx"));
  const std::string set2 = Script(dir, "set2", "sed -i 's/replicas: 1$/replicas: 2/' \"$1\"\n");
  const std::string noop = Script(dir, "noop", "exit 0\n");
  std::string out;
  for (bool real : Sides()) {
    // No change: cancelled, exit 0.
    EXPECT_EQ(Run(real, {"EDITOR=" + noop}, {"edit", "deployment", "editweb"}, &out), 0) << out;
    EXPECT_EQ(out, "Edit cancelled, no changes made.\n") << real;
    // KUBE_EDITOR comes before EDITOR.
    EXPECT_EQ(
        Run(real, {"KUBE_EDITOR=" + set2, "EDITOR=" + noop}, {"edit", "deploy/editweb"}, &out), 0)
        << out;
    EXPECT_EQ(out, "deployment.apps/editweb edited\n") << real;
  }
  EXPECT_EQ(Both({"get", "deploy", "editweb", "-o", "jsonpath={.spec.replicas}"}, 0), "2");
}

TEST_F(MkctlDiffEditE2E, EditShowsKubectlsHeader) {
  testing::TempDir dir;
  Setup({"create", "-f", "-"}, DeploymentYaml("editheader", 1, "nginx"));
  std::string files[2];
  for (bool real : Sides()) {
    const std::string copy = dir.Join(absl::StrCat("copy-", real));
    const std::string keep = Script(dir, "keep", "cp \"$1\" \"$COPY\"\n");
    std::string out;
    EXPECT_EQ(Run(real, {"EDITOR=" + keep, "COPY=" + copy}, {"edit", "deploy", "editheader"}, &out),
              0)
        << out;
    files[real] = Normalize(testing::ReadFile(copy), Ns(real));
  }
  EXPECT_TRUE(absl::StartsWith(
      files[0],
      "# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
      "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
      "# reopened with the relevant failures.\n#\napiVersion: apps/v1\nkind: Deployment\n"))
      << files[0];
  if (real_) EXPECT_EQ(files[0], files[1]);
}

TEST_F(MkctlDiffEditE2E, EditReopensOnInvalidObject) {
  testing::TempDir dir;
  Setup({"create", "-f", "-"}, DeploymentYaml("editbad", 1, "nginx"));
  // First round: an invalid replica count. Second round (the file now
  // says why): keep a copy, change nothing, so the edit gives up.
  const std::string editor = Script(dir, "invalid",
                                    "if grep -q 'was not valid' \"$1\"; then cp \"$1\" \"$COPY\"; "
                                    "exit 0; fi\nsed -i 's/replicas: 1$/replicas: -1/' \"$1\"\n");
  std::string outs[2], files[2];
  for (bool real : Sides()) {
    const std::string copy = dir.Join(absl::StrCat("copy-", real));
    std::string out;
    EXPECT_EQ(Run(real, {"EDITOR=" + editor, "COPY=" + copy}, {"edit", "deploy", "editbad"}, &out),
              1)
        << out;
    const std::string kept = NamedFile(out);
    EXPECT_FALSE(kept.empty()) << out;
    if (!kept.empty()) std::remove(kept.c_str());
    outs[real] = Normalize(out, Ns(real));
    files[real] = Normalize(testing::ReadFile(copy), Ns(real));
  }
  EXPECT_EQ(outs[0],
            "error: deployments.apps \"editbad\" is invalid\n"
            "A copy of your changes has been stored to \"EDITFILE.yaml\"\n"
            "error: Edit cancelled, no valid changes were saved.\n");
  EXPECT_TRUE(absl::StrContains(
      files[0],
      "# reopened with the relevant failures.\n#\n"
      "# deployments.apps \"editbad\" was not valid:\n"
      "# * spec.replicas: Invalid value: -1: must be greater than or equal to 0\n#\n"
      "apiVersion: apps/v1\n"))
      << files[0];
  EXPECT_TRUE(absl::StrContains(files[0], "\n  replicas: -1\n")) << files[0];
  if (real_) {
    EXPECT_EQ(outs[0], outs[1]);
    EXPECT_EQ(files[0], files[1]);
  }
}

TEST_F(MkctlDiffEditE2E, EditReopensOnSyntaxErrorThenSaves) {
  testing::TempDir dir;
  Setup({"create", "-f", "-"}, DeploymentYaml("editsyntax", 1, "nginx"));
  // First round: break the YAML. Second: keep a copy, then write it right.
  const std::string editor =
      Script(dir, "syntax",
             "if grep -q 'syntax error' \"$1\"; then cp \"$1\" \"$COPY\"; "
             "sed -i 's/^  replicas: \\[$/  replicas: 4/' \"$1\"; exit 0; fi\n"
             "sed -i 's/^  replicas: 1$/  replicas: [/' \"$1\"\n");
  const std::string copy = dir.Join("copy");
  std::string out;
  EXPECT_EQ(
      Run(false, {"EDITOR=" + editor, "COPY=" + copy}, {"edit", "deploy", "editsyntax"}, &out), 0)
      << out;
  EXPECT_EQ(out, "deployment.apps/editsyntax edited\n");
  const std::string file = testing::ReadFile(copy);
  EXPECT_TRUE(absl::StrContains(file,
                                "# reopened with the relevant failures.\n#\n"
                                "# The edited file had a syntax error: "))
      << file;
  EXPECT_TRUE(absl::StrContains(file, "\n  replicas: [\n")) << file;
  EXPECT_EQ(MkctlOk({"-n", "m", "get", "deploy", "editsyntax", "-o", "jsonpath={.spec.replicas}"}),
            "4");
}

TEST_F(MkctlDiffEditE2E, EditConflictIsReported) {
  testing::TempDir dir;
  MkctlOk({"-n", "m", "create", "-f", "-"}, DeploymentYaml("editconflict", 1, "nginx"));
  // While the editor is open someone else writes the object.
  const std::string editor =
      Script(dir, "conflict",
             absl::StrCat(testing::BinPath("mkctl"), " --server 127.0.0.1:", api_port_,
                          " -n m label deploy editconflict meanwhile=yes >/dev/null\n",
                          "sed -i 's/replicas: 1$/replicas: 5/' \"$1\"\n"));
  std::string out;
  EXPECT_EQ(Run(false, {"EDITOR=" + editor}, {"edit", "deploy", "editconflict"}, &out), 1) << out;
  const std::string kept = NamedFile(out);
  EXPECT_FALSE(kept.empty()) << out;
  EXPECT_TRUE(absl::StrContains(testing::ReadFile(kept), "replicas: 5")) << kept;
  if (!kept.empty()) std::remove(kept.c_str());
  EXPECT_EQ(Normalize(out, "m"),
            "error: deployments.apps \"editconflict\" could not be patched: Operation cannot be "
            "fulfilled on deployments.apps \"editconflict\": the object has been modified; please "
            "apply your changes to the latest version and try again\n"
            "You can run `mkctl replace -f EDITFILE.yaml` to try this update again.\n");
  EXPECT_EQ(
      MkctlOk({"-n", "m", "get", "deploy", "editconflict", "-o", "jsonpath={.spec.replicas}"}),
      "1");
}

TEST_F(MkctlDiffEditE2E, EditOutputAndErrors) {
  testing::TempDir dir;
  Setup({"create", "-f", "-"}, DeploymentYaml("editout", 1, "nginx"));
  const std::string set3 = Script(dir, "set3", "sed -i 's/replicas: 1$/replicas: 3/' \"$1\"\n");
  EXPECT_EQ(Both({"edit", "deploy", "editout", "-o", "name"}, 1),
            "error: unable to match a printer suitable for the output format \"name\", allowed "
            "formats are: json,yaml\n");
  std::string out;
  for (bool real : Sides()) {
    EXPECT_EQ(Run(real, {"EDITOR=" + set3}, {"edit", "deploy", "editout", "-o", "yaml"}, &out), 0)
        << out;
    EXPECT_TRUE(absl::StrContains(out, "\n  replicas: 3\n")) << real << out;
  }
  EXPECT_EQ(Both({"edit", "deploy", "nosuch"}, 1),
            "Error from server (NotFound): deployments.apps \"nosuch\" not found\n");
  // -o json edits JSON, without the header.
  const std::string copy = dir.Join("json");
  const std::string keep = Script(dir, "keep", "cp \"$1\" \"$COPY\"\n");
  EXPECT_EQ(Run(false, {"EDITOR=" + keep, "COPY=" + copy}, {"edit", "deploy/editout", "-o", "json"},
                &out),
            0)
      << out;
  EXPECT_TRUE(absl::StartsWith(testing::ReadFile(copy), "{\n    \"apiVersion\": \"apps/v1\",\n"))
      << testing::ReadFile(copy);
  // An editor that fails.
  EXPECT_EQ(Run(false, {"EDITOR=false"}, {"edit", "deploy", "editout"}, &out), 1) << out;
  EXPECT_EQ(out, "error: there was a problem with the editor \"false\"\n");
  EXPECT_EQ(Run(false, {"EDITOR=no-such-editor"}, {"edit", "deploy", "editout"}, &out), 1) << out;
  EXPECT_EQ(out, "error: unable to launch the editor \"no-such-editor\"\n");
}

TEST_F(MkctlDiffEditE2E, ReplaceForceAsKubectl) {
  testing::TempDir dir;
  const std::string path = dir.Join("force.yaml");
  std::ofstream(path) << DeploymentYaml("forced", 2, "nginx:1.27");
  Setup({"create", "-f", "-"}, DeploymentYaml("forced", 1, "nginx"));
  const std::string uid =
      MkctlOk({"-n", "m", "get", "deploy", "forced", "-o", "jsonpath={.metadata.uid}"});
  EXPECT_EQ(Both({"replace", "--force", "-f", path}, 0),
            "deployment.apps \"forced\" deleted\ndeployment.apps/forced replaced\n");
  EXPECT_NE(MkctlOk({"-n", "m", "get", "deploy", "forced", "-o", "jsonpath={.metadata.uid}"}), uid);
  EXPECT_EQ(Both({"get", "deploy", "forced", "-o", "jsonpath={.spec.replicas}"}, 0), "2");
  // An object that does not exist is created.
  std::ofstream(path) << DeploymentYaml("forcednew", 1, "nginx");
  EXPECT_EQ(Both({"replace", "--force", "-f", path}, 0), "deployment.apps/forcednew replaced\n");
  EXPECT_EQ(Both({"replace", "--force", "--dry-run=server", "-f", path}, 1),
            "error: --dry-run can not be used when --force is set\n");
}

// apply, label and patch share create's --dry-run check; apply and label
// its suffixes (kubectl patch prints none).
TEST_F(MkctlDiffEditE2E, DryRunOfApplyLabelAndPatchAsKubectl) {
  testing::TempDir dir;
  Setup({"create", "-f", "-"}, DeploymentYaml("dryweb", 1, "nginx"));
  EXPECT_EQ(Both({"label", "deploy", "dryweb", "a=b", "--dry-run=client"}, 0),
            "deployment.apps/dryweb labeled (dry run)\n");
  EXPECT_EQ(Both({"label", "deploy/dryweb", "a=b", "--dry-run=server"}, 0),
            "deployment.apps/dryweb labeled (server dry run)\n");
  EXPECT_EQ(Both({"label", "deploy", "dryweb", "a=b", "--dry-run=bogus"}, 1),
            "error: Invalid dry-run value (bogus). Must be \"none\", \"server\", or \"client\".\n");
  EXPECT_EQ(
      Both({"patch", "deploy", "dryweb", "-p", R"({"spec":{"replicas":2}})", "--dry-run=server"},
           0),
      "deployment.apps/dryweb patched\n");
  EXPECT_EQ(
      Both({"patch", "deploy", "dryweb", "-p", R"({"spec":{"replicas":2}})", "--dry-run=client"},
           0),
      "deployment.apps/dryweb patched\n");
  EXPECT_EQ(Both({"patch", "deploy", "dryweb", "-p", "{}", "--dry-run=bogus"}, 1),
            "error: Invalid dry-run value (bogus). Must be \"none\", \"server\", or \"client\".\n");
  const std::string path = dir.Join("dryapply.yaml");
  std::ofstream(path) << DeploymentYaml("dryapply", 1, "nginx");
  EXPECT_EQ(Both({"apply", "-f", path, "--dry-run=server"}, 0),
            "deployment.apps/dryapply created (server dry run)\n");
  EXPECT_EQ(Both({"apply", "-f", path, "--dry-run=client"}, 0),
            "deployment.apps/dryapply created (dry run)\n");
  EXPECT_EQ(Both({"apply", "-f", path, "--dry-run=bogus"}, 1),
            "error: Invalid dry-run value (bogus). Must be \"none\", \"server\", or \"client\".\n");
  // Nothing was written.
  EXPECT_EQ(
      Both({"get", "deploy", "dryweb", "-o", "jsonpath={.spec.replicas} {.metadata.labels}"}, 0),
      "1 ");
  std::string out;
  EXPECT_EQ(Run(false, {}, {"get", "deploy", "dryapply"}, &out), 1) << out;
}

}  // namespace
}  // namespace minik8s
