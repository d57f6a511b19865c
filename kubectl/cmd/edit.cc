// mkctl edit TYPE NAME | TYPE/NAME [-o yaml|json]: the object in an
// editor, as kubectl edit. The object is written (YAML under kubectl's
// comment header, or JSON with -o json) to /tmp/mkctl-edit-*.yaml, the
// editor ($KUBE_EDITOR, else $EDITOR, else vi; a value with spaces is split
// on them, or run by $SHELL -c when it has quotes or backslashes) opened on
// it, and the saved file read back:
//   - unchanged (comments aside): `Edit cancelled, no changes made.`;
//   - nothing but comments and blanks: `Edit cancelled, saved file was empty.`;
//   - it does not parse, or the apiserver finds it Invalid: the file is
//     reopened with the reasons as comments under the header (kubectl's
//     `# The edited file had a syntax error: ...` / `# deployments.apps "web"
//     was not valid:` and a `# * field: message` line each); saving it
//     unchanged gives up with `error: Edit cancelled, no valid changes were
//     saved.`, the file kept;
//   - else the object is PUT whole with the resourceVersion it was read at,
//     so a write by someone else in between is a Conflict (reported with
//     kubectl's `could not be patched` and `replace -f` hint; the file kept).
// kubectl sends a patch computed from the two versions instead of a PUT.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/errors.h"
#include "client/resource.h"
#include "google/protobuf/util/message_differencer.h"
#include "kubectl/apply/manifests.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/external_program.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/cmd/write_output.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

constexpr char kEditHeader[] =
    "# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
    "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
    "# reopened with the relevant failures.\n"
    "#\n";

struct EditOptions {
  std::vector<std::string> args;
  std::string output;
};

// A reason to reopen the file: a head line and `* ` lines under it.
struct EditReason {
  std::string head;
  std::vector<std::string> other;
};

// Continues a multi-line message as comments (kubectl's hashOnLineBreak).
std::string HashOnLineBreak(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && i + 1 < s.size() && s[i + 1] != '#') {
      out += "\n# ";
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Header(const std::vector<EditReason>& reasons) {
  std::string out = kEditHeader;
  for (const EditReason& r : reasons) {
    absl::StrAppend(&out, "# ", HashOnLineBreak(r.head), r.other.empty() ? "\n" : ":\n");
    for (const std::string& o : r.other) absl::StrAppend(&out, "# * ", HashOnLineBreak(o), "\n");
    out += "#\n";
  }
  return out;
}

// `text` without its comment lines (first non-blank character `#`).
std::string StripComments(const std::string& text) {
  std::string out;
  const std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(lines[i]), "#")) continue;
    absl::StrAppend(&out, lines[i], i + 1 < lines.size() ? "\n" : "");
  }
  return out;
}

bool HasLines(const std::string& text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (!trimmed.empty() && trimmed[0] != '#') return true;
  }
  return false;
}

// The editor command, as kubectl builds it; the file goes last (into the
// shell's command line when run through the shell).
std::vector<std::string> EditorCommand() {
  std::string editor;
  for (const char* env : {"KUBE_EDITOR", "EDITOR"}) {
    const char* v = getenv(env);
    if (v != nullptr && *v != '\0') {
      editor = v;
      break;
    }
  }
  if (editor.empty()) editor = "vi";
  if (editor.find(' ') == std::string::npos) return {editor};
  if (editor.find_first_of("\"'\\") == std::string::npos) return absl::StrSplit(editor, ' ');
  const char* shell = getenv("SHELL");
  return {shell != nullptr && *shell != '\0' ? shell : "/bin/bash", "-c", editor};
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// kubectl's note when it gives up with the user's changes still on disk.
void PreservedFile(Context& ctx, const std::string& path) {
  if (!path.empty() && std::filesystem::exists(path)) {
    ctx.err() << "A copy of your changes has been stored to \"" << path << "\"\n";
  }
}

int RunEdit(Context& ctx, const EditOptions& o) {
  if (!o.output.empty() && o.output != "yaml" && o.output != "json") {
    return ctx.Fail(absl::InvalidArgumentError(
        absl::StrCat("unable to match a printer suitable for the output format \"", o.output,
                     "\", allowed formats are: json,yaml")));
  }
  if (o.args.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "You must provide one or more resources by argument or filename."));
  }
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(o.args);
  if (!requests.ok()) return ctx.Fail(requests.status());
  size_t count = 0;
  for (const ResourceRequest& r : *requests) {
    if (r.names.empty()) {
      return ctx.Fail(absl::InvalidArgumentError(
          "mkctl edit needs a NAME (editing every object of a type is not supported)"));
    }
    count += r.names.size();
  }
  if (count != 1) {
    return ctx.Fail(absl::InvalidArgumentError("mkctl edit edits one object at a time"));
  }
  const api::KindInfo& kind = *requests->front().kind;
  const std::string name = requests->front().names.front();
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const std::string ns = NamespaceFor(kind, ctx.Namespace());
  absl::StatusOr<OwnedObject> original = GetObject(**client, kind, ns, name);
  if (!original.ok()) return ctx.Fail(original.status());

  const bool json = o.output == "json";
  const std::string original_text = json ? absl::StrCat(api::EncodeJsonIndented(**original), "\n")
                                         : absl::StrCat(kEditHeader, api::EncodeYaml(**original));
  const std::string resource_string = kind.GroupResource();

  std::vector<EditReason> reasons;
  std::string edited;  // what the user saved last
  std::string file;    // the file of the last round
  bool contains_error = false;
  for (;;) {
    std::string buffer;
    if (!json) buffer = Header(reasons);
    if (!contains_error) {
      buffer = original_text;
    } else {
      buffer += StripComments(edited);
    }
    // Each round gets a fresh file, as kubectl's LaunchTempFile.
    const char* tmpdir = getenv("TMPDIR");
    std::string tmpl = absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp",
                                    "/mkctl-edit-XXXXXX", json ? ".json" : ".yaml");
    const int fd = mkstemps(tmpl.data(), 5);
    if (fd < 0) {
      PreservedFile(ctx, file);
      return ctx.Fail(absl::InternalError(absl::StrCat("cannot create ", tmpl)));
    }
    close(fd);
    if (absl::Status st = WriteText(tmpl, buffer); !st.ok()) return ctx.Fail(st);
    const std::vector<std::string> editor = EditorCommand();
    std::vector<std::string> argv = editor;
    if (argv.size() == 3 && argv[1] == "-c") {
      absl::StrAppend(&argv[2], " ", tmpl);
    } else {
      argv.push_back(tmpl);
    }
    ctx.out().flush();
    ctx.err().flush();
    absl::StatusOr<int> code = RunProgram(argv, nullptr, nullptr);
    if (!code.ok() || *code != 0) {
      PreservedFile(ctx, file);
      std::remove(tmpl.c_str());
      return ctx.Fail(absl::InternalError(absl::StrCat(
          code.ok() ? "there was a problem with the editor \"" : "unable to launch the editor \"",
          absl::StrJoin(editor, " "), "\"")));
    }
    const std::string previous = edited;
    edited = ReadText(tmpl);
    if (contains_error && StripComments(previous) == StripComments(edited)) {
      // This round's file holds the same; kubectl leaves both behind.
      if (!file.empty()) std::remove(file.c_str());
      PreservedFile(ctx, tmpl);
      return ctx.Fail(absl::InvalidArgumentError("Edit cancelled, no valid changes were saved."));
    }
    if (!file.empty()) std::remove(file.c_str());
    file = tmpl;
    if (StripComments(original_text) == StripComments(edited)) {
      std::remove(file.c_str());
      ctx.err() << "Edit cancelled, no changes made.\n";
      return 0;
    }
    if (!HasLines(edited)) {
      std::remove(file.c_str());
      ctx.err() << "Edit cancelled, saved file was empty.\n";
      return 0;
    }
    reasons.clear();
    // Parse the edited file.
    absl::StatusOr<std::vector<Manifest>> parsed =
        DecodeManifests("edited-file", StripComments(edited));
    if (parsed.ok() && parsed->size() != 1) {
      parsed = absl::InvalidArgumentError("the edited file must hold exactly one object");
    }
    if (parsed.ok() && parsed->front().decoded.kind != &kind) {
      parsed = absl::InvalidArgumentError("At least one of apiVersion, kind and name was changed");
    }
    if (!parsed.ok()) {
      contains_error = true;
      reasons.push_back(
          {absl::StrCat("The edited file had a syntax error: ", parsed.status().message()), {}});
      continue;
    }
    contains_error = false;
    google::protobuf::Message* updated = parsed->front().decoded.object.get();
    auto* meta = client::MutableMetaOf(updated);
    if (meta->name() != name) {
      PreservedFile(ctx, file);
      return ctx.Fail(
          absl::InvalidArgumentError("At least one of apiVersion, kind and name was changed"));
    }
    if (kind.namespaced && !meta->namespace_().empty() && meta->namespace_() != ns) {
      PreservedFile(ctx, file);
      return ctx.Fail(absl::InvalidArgumentError(absl::StrCat(
          "the namespace from the provided object \"", meta->namespace_(),
          "\" does not match the namespace \"", ns,
          "\". You must pass '--namespace=", meta->namespace_(), "' to perform this operation.")));
    }
    (void)api::Scheme::Default().SetTypeMeta(updated);
    if (google::protobuf::util::MessageDifferencer::Equals(*updated, **original)) {
      std::remove(file.c_str());
      PrintWritten(ctx, o.output, QualifiedName(kind, name), "skipped", "none", updated);
      return 0;
    }
    OwnedObject out = kind.New();
    absl::Status st = (*client)->Update(kind.resource, ns, name, "", *updated, out.get());
    if (st.ok()) {
      std::remove(file.c_str());
      PrintWritten(ctx, o.output, QualifiedName(kind, name), "edited", "none", out.get());
      return 0;
    }
    if (api::IsInvalid(st)) {
      ctx.err() << "error: " << resource_string << " \"" << name << "\" is invalid\n";
      EditReason reason{absl::StrCat(resource_string, " \"", name, "\" was not valid"), {}};
      if (std::optional<meta::v1::Status> status = api::StatusObject(st);
          status.has_value() && status->has_details()) {
        for (const auto& cause : status->details().causes()) {
          reason.other.push_back(absl::StrCat(cause.field(), ": ", cause.message()));
        }
      }
      reasons.push_back(std::move(reason));
      contains_error = true;
      continue;
    }
    if (api::IsNotFound(st)) {
      ctx.err() << "error: " << resource_string << " \"" << name
                << "\" could not be found on the server\n"
                << "The edits you made on deleted resources have been saved to \"" << file
                << "\"\n";
      return 1;
    }
    ctx.err() << "error: " << resource_string << " \"" << name
              << "\" could not be patched: " << st.message() << "\n"
              << "You can run `mkctl replace -f " << file << "` to try this update again.\n";
    return 1;
  }
}

}  // namespace

void AddEditCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<EditOptions>();
  CLI::App* cmd = app.add_subcommand("edit", "Edit a resource on the server");
  cmd->add_option("args", o->args, "TYPE NAME or TYPE/NAME");
  cmd->add_option("-o,--output", o->output,
                  "Output format: yaml or json (also the format of the file to edit)");
  cmd->footer(
      "The editor is $KUBE_EDITOR, else $EDITOR, else vi. The object is saved with the "
      "resourceVersion it was read at: a change made meanwhile by someone else is a conflict.");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunEdit(ctx, *o); });
}

}  // namespace minik8s::kubectl
