// mkctl config view|get-contexts|use-context|current-context: the
// kubeconfig (kubeconfig.h) at --kubeconfig, else $KUBECONFIG's first path,
// else ~/.minik8s/kubeconfig, read and written as kubectl does.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "client/kubeconfig.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/config.h"

namespace minik8s::kubectl {
namespace {

using client::Kubeconfig;
using client::KubeconfigPath;

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string PathFor(Context& ctx) {
  return KubeconfigPath(ctx.flags().kubeconfig, Env("KUBECONFIG"), Env("HOME"));
}

// The kubeconfig at `path`; a missing file is an empty config (as kubectl).
absl::StatusOr<Kubeconfig> Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Kubeconfig::Parse("");
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<Kubeconfig> kc = Kubeconfig::Parse(ss.str());
  if (!kc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error loading config file \"", path, "\": ", kc.status().message()));
  }
  return kc;
}

// Replaces `path` with `text` atomically (temp file and rename), mode 0600.
absl::Status WriteFile(const std::string& path, const std::string& text) {
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("open ", tmp, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      close(fd);
      unlink(tmp.c_str());
      return absl::InternalError(absl::StrCat("write ", tmp, ": ", why));
    }
    done += static_cast<size_t>(n);
  }
  fsync(fd);
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("rename ", tmp, " ", path, ": ", why));
  }
  return absl::OkStatus();
}

}  // namespace

void AddConfigCommand(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* config = app.add_subcommand(
      "config", "Modify kubeconfig files (--kubeconfig, $KUBECONFIG or ~/.minik8s/kubeconfig)");
  config->require_subcommand(1);

  auto minify = std::make_shared<bool>(false);
  auto raw = std::make_shared<bool>(false);
  auto output = std::make_shared<std::string>("yaml");
  CLI::App* view = config->add_subcommand("view", "Display merged kubeconfig settings");
  view->add_flag("--minify", *minify,
                 "Remove all information not used by current-context from the output");
  view->add_flag("--raw", *raw, "Display raw byte data and sensitive data");
  view->add_option("-o,--output", *output, "Output format: yaml")->capture_default_str();
  view->callback([&ctx, &exit_code, minify, raw, output] {
    if (*output != "yaml") {
      exit_code = ctx.Fail(absl::InvalidArgumentError(
          absl::StrCat("unable to match a printer suitable for the output format \"", *output,
                       "\", allowed formats are: yaml")));
      return;
    }
    absl::StatusOr<Kubeconfig> kc = Load(PathFor(ctx));
    if (!kc.ok()) {
      exit_code = ctx.Fail(kc.status());
      return;
    }
    if (*minify && kc->current_context().empty()) {
      exit_code =
          ctx.Fail(absl::InvalidArgumentError("current-context must exist in order to minify"));
      return;
    }
    ctx.out() << kc->View(*minify, /*redact=*/!*raw);
    exit_code = 0;
  });

  auto names = std::make_shared<std::vector<std::string>>();
  auto contexts_output = std::make_shared<std::string>();
  auto no_headers = std::make_shared<bool>(false);
  CLI::App* get_contexts = config->add_subcommand("get-contexts", "Describe one or many contexts");
  get_contexts->add_option("name", *names, "Context names (all when none)");
  get_contexts->add_option("-o,--output", *contexts_output, "Output format. One of: (name).");
  get_contexts->add_flag("--no-headers", *no_headers,
                         "When using the default or custom-column output format, don't print "
                         "headers (default print headers).");
  get_contexts->callback([&ctx, &exit_code, names, contexts_output, no_headers] {
    if (!contexts_output->empty() && *contexts_output != "name") {
      exit_code = ctx.Fail(absl::InvalidArgumentError(
          absl::StrCat("output must be one of '' or 'name': ", *contexts_output)));
      return;
    }
    absl::StatusOr<Kubeconfig> kc = Load(PathFor(ctx));
    if (!kc.ok()) {
      exit_code = ctx.Fail(kc.status());
      return;
    }
    std::string text;
    absl::Status st = GetContextsTable(*kc, *names, *contexts_output == "name", &text);
    if (*no_headers && *contexts_output != "name") {
      const size_t nl = text.find('\n');
      text = nl == std::string::npos ? "" : text.substr(nl + 1);
    }
    ctx.out() << text;
    exit_code = st.ok() ? 0 : ctx.Fail(st);
  });

  auto context_name = std::make_shared<std::string>();
  CLI::App* use =
      config->add_subcommand("use-context", "Set the current-context in a kubeconfig file");
  use->alias("use");
  use->add_option("context", *context_name, "The context name")->required();
  use->callback([&ctx, &exit_code, context_name] {
    const std::string path = PathFor(ctx);
    absl::StatusOr<Kubeconfig> kc = Load(path);
    if (!kc.ok()) {
      exit_code = ctx.Fail(kc.status());
      return;
    }
    if (kc->FindContext(*context_name) == nullptr) {
      exit_code = ctx.Fail(absl::NotFoundError(
          absl::StrCat("no context exists with the name: \"", *context_name, "\"")));
      return;
    }
    kc->SetCurrentContext(*context_name);
    absl::Status st = WriteFile(path, kc->View(false));
    if (!st.ok()) {
      exit_code = ctx.Fail(st);
      return;
    }
    ctx.out() << "Switched to context \"" << *context_name << "\".\n";
    exit_code = 0;
  });

  CLI::App* current = config->add_subcommand("current-context", "Display the current-context");
  current->callback([&ctx, &exit_code] {
    absl::StatusOr<Kubeconfig> kc = Load(PathFor(ctx));
    if (!kc.ok()) {
      exit_code = ctx.Fail(kc.status());
      return;
    }
    if (kc->current_context().empty()) {
      exit_code = ctx.Fail(absl::NotFoundError("current-context is not set"));
      return;
    }
    ctx.out() << kc->current_context() << "\n";
    exit_code = 0;
  });
}

}  // namespace minik8s::kubectl
