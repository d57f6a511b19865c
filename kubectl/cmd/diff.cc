// mkctl diff -f FILE|DIR|-: what `apply -f` would change, as kubectl diff.
// Each object is read live and its apply is sent as a server-side dry run
// (a dry-run create when it does not exist); both versions are written as
// YAML to two temporary folders, LIVE-* and MERGED-*, one file per object
// named GROUP.VERSION.KIND.NAMESPACE.NAME, and compared by
// $KUBECTL_EXTERNAL_DIFF (its extra words kept when they are only letters,
// digits, `-` and `=`, and passed after the folders, as kubectl does) or
// `diff -u -N`. Exit code: 0 no differences, 1 differences, 2 (or the diff
// program's own code above 1) an error.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/errors.h"
#include "client/resource.h"
#include "kubectl/apply/last_applied.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/external_program.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/write_output.h"

namespace minik8s::kubectl {
namespace {

struct DiffOptions {
  std::vector<std::string> filenames;
  bool recursive = false;
  std::vector<std::string> args;
};

// kubectl diff's errors exit 2: 1 means "differences found".
int FailDiff(Context& ctx, const absl::Status& status) {
  ctx.Fail(status);
  return 2;
}

// A fresh folder /tmp/PREFIX-XXXXXX (os.MkdirTemp's layout), removed with
// everything in it when this goes out of scope.
class TempFolder {
 public:
  static absl::StatusOr<std::unique_ptr<TempFolder>> Create(const std::string& prefix) {
    const char* tmpdir = getenv("TMPDIR");
    std::string tmpl = absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp", "/",
                                    prefix, "-XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdir ", tmpl, ": ", strerror(errno)));
    }
    return std::unique_ptr<TempFolder>(new TempFolder(tmpl));
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

  // Writes `content` to the file `name` in the folder.
  absl::Status Write(const std::string& name, const std::string& content) const {
    std::ofstream file(absl::StrCat(path_, "/", name), std::ios::binary | std::ios::trunc);
    file << content;
    file.close();
    if (!file) return absl::InternalError(absl::StrCat("cannot write ", path_, "/", name));
    return absl::OkStatus();
  }

 private:
  explicit TempFolder(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The object as the diff shows it: YAML with apiVersion/kind (minik8s
// keeps no managedFields to hide); "" for an object that does not exist.
std::string DiffYaml(google::protobuf::Message* object) {
  if (object == nullptr) return "";
  (void)api::Scheme::Default().SetTypeMeta(object);
  return api::EncodeYaml(*object);
}

// The diff program and its arguments: $KUBECTL_EXTERNAL_DIFF split on
// spaces (words with other characters than [a-zA-Z0-9-=] dropped, the rest
// after the folders), else `diff -u -N FROM TO`.
std::vector<std::string> DiffCommand(const std::string& from, const std::string& to) {
  const char* env = getenv("KUBECTL_EXTERNAL_DIFF");
  if (env == nullptr || *env == '\0') return {"diff", "-u", "-N", from, to};
  std::vector<std::string> words = absl::StrSplit(env, ' ');
  std::vector<std::string> argv = {words[0], from, to};
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    bool valid = !w.empty();
    for (char c : w) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '=') {
        valid = false;
      }
    }
    if (valid) argv.push_back(w);
  }
  return argv;
}

int RunDiff(Context& ctx, const DiffOptions& o) {
  if (o.filenames.empty()) {
    return FailDiff(ctx, absl::InvalidArgumentError("must specify one of -f and -k"));
  }
  if (!o.args.empty()) {
    return FailDiff(ctx, absl::InvalidArgumentError(
                             absl::StrCat("Unexpected args: [", absl::StrJoin(o.args, " "),
                                          "]\nSee 'mkctl diff -h' for help and examples")));
  }
  absl::StatusOr<std::vector<Manifest>> manifests =
      ReadCommandManifests(ctx, o.filenames, o.recursive);
  if (!manifests.ok()) return FailDiff(ctx, manifests.status());
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return FailDiff(ctx, client.status());
  absl::StatusOr<std::unique_ptr<TempFolder>> live_dir = TempFolder::Create("LIVE");
  if (!live_dir.ok()) return FailDiff(ctx, live_dir.status());
  absl::StatusOr<std::unique_ptr<TempFolder>> merged_dir = TempFolder::Create("MERGED");
  if (!merged_dir.ok()) return FailDiff(ctx, merged_dir.status());

  for (Manifest& m : *manifests) {
    const api::KindInfo& kind = *m.decoded.kind;
    google::protobuf::Message* object = m.decoded.object.get();
    auto* meta = client::MutableMetaOf(object);
    const std::string ns = ManifestNamespace(ctx, m);
    const std::string name = meta->name();
    if (name.empty()) {
      return FailDiff(ctx,
                      absl::InvalidArgumentError(absl::StrCat(
                          "error when retrieving current configuration of:\nResource: \"",
                          kind.GroupResource(), "\", Namespace: \"", ns, "\"\nfrom server for: \"",
                          m.source, "\": resource name may not be empty")));
    }
    // The patch `mkctl apply` would send, but, as kubectl diff, without
    // updating the last-applied annotation.
    OwnedObject live = kind.New();
    OwnedObject merged = kind.New();
    absl::Status got = (*client)->Get(kind.resource, ns, name, live.get());
    if (api::IsNotFound(got)) {
      live.reset();
      absl::Status st = (*client)->Create(kind.resource, ns, *object, merged.get(), true);
      if (!st.ok()) return FailDiff(ctx, st);
    } else if (!got.ok()) {
      return FailDiff(ctx, got);
    } else {
      absl::StatusOr<std::string> patch = ComputeApplyPatch(*object, *live);
      if (!patch.ok()) return FailDiff(ctx, patch.status());
      if (patch->empty()) {
        merged->CopyFrom(*live);
      } else {
        absl::Status st = (*client)->Patch(kind.resource, ns, name, "", *patch, merged.get(), true);
        if (!st.ok()) return FailDiff(ctx, st);
      }
    }
    const std::string file = absl::StrCat(kind.group.empty() ? "" : absl::StrCat(kind.group, "."),
                                          kind.version, ".", kind.kind, ".", ns, ".", name);
    if (absl::Status st = (*live_dir)->Write(file, DiffYaml(live.get())); !st.ok()) {
      return FailDiff(ctx, st);
    }
    if (absl::Status st = (*merged_dir)->Write(file, DiffYaml(merged.get())); !st.ok()) {
      return FailDiff(ctx, st);
    }
  }

  const std::vector<std::string> argv = DiffCommand((*live_dir)->path(), (*merged_dir)->path());
  ctx.out().flush();
  ctx.err().flush();
  absl::StatusOr<int> code = RunProgram(argv, &ctx.out(), &ctx.err());
  if (!code.ok()) {
    return FailDiff(ctx, absl::InternalError(absl::StrCat("failed to run \"", argv[0],
                                                          "\": ", code.status().message())));
  }
  if (*code <= 1) return *code;
  // kubectl reports a failed diff program and exits 2.
  return FailDiff(ctx, absl::InternalError(
                           absl::StrCat("failed to run \"", argv[0], "\": exit status ", *code)));
}

}  // namespace

void AddDiffCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<DiffOptions>();
  CLI::App* cmd =
      app.add_subcommand("diff", "Diff the live version against a would-be applied version");
  cmd->add_option("-f,--filename", o->filenames,
                  "The files that contain the configuration to diff (a file, a folder, or - "
                  "for stdin)");
  cmd->add_flag("-R,--recursive", o->recursive,
                "Process the directory used in -f, --filename recursively");
  cmd->add_option("args", o->args)->group("");  // refused: kubectl diff takes none
  cmd->footer(
      "Output is always YAML. KUBECTL_EXTERNAL_DIFF selects the diff program (default "
      "\"diff -u -N\").\nExit status: 0 no differences, 1 differences found, >1 mkctl or diff "
      "failed with an error.");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunDiff(ctx, *o); });
}

}  // namespace minik8s::kubectl
