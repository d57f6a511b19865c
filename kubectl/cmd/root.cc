// The root command: global flags, every subcommand, CLI11 error handling.
#include <algorithm>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "kubectl/cmd/commands.h"

namespace minik8s::kubectl {
namespace {

size_t Levenshtein(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The deepest subcommand CLI11 parsed, as `mkctl get` / `mkctl rollout status`.
std::string CommandPath(const CLI::App& app) {
  std::string path = "mkctl";
  const CLI::App* at = &app;
  for (;;) {
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : at->get_subcommands({})) {
      if (sub->parsed()) next = sub;
    }
    if (next == nullptr) return path;
    absl::StrAppend(&path, " ", next->get_name());
    at = next;
  }
}

}  // namespace

std::vector<std::string> SuggestCommands(const CLI::App& app, const std::string& typed) {
  // As cobra: within Levenshtein distance 2, or a prefix of the command.
  std::vector<std::string> out;
  for (const CLI::App* sub : app.get_subcommands({})) {
    const std::string& name = sub->get_name();
    if (Levenshtein(typed, name) <= 2 || (!typed.empty() && absl::StartsWith(name, typed))) {
      out.push_back(name);
    }
  }
  return out;
}

void BuildApp(CLI::App& app, Context& ctx, int& exit_code) {
  app.description("mkctl controls the minik8s cluster manager (a kubectl clone).");
  app.name("mkctl");
  app.fallthrough(true);
  app.require_subcommand(1);
  app.add_option("-s,--server", ctx.flags().server,
                 "The address and port of the minik8s API server (else $MINIK8S_SERVER, the "
                 "config file, or 127.0.0.1:6443)");
  app.add_option("-n,--namespace", ctx.flags().namespace_,
                 "If present, the namespace scope for this CLI request");
  app.add_option("--kubeconfig", ctx.flags().kubeconfig,
                 "Path to the kubeconfig file to use for CLI requests (see `mkctl config`)");
  app.add_option("--token", ctx.flags().token,
                 "Bearer token for authentication to the API server (else the kubeconfig "
                 "user's token)");
  app.add_option("--certificate-authority", ctx.flags().certificate_authority,
                 "Path to a cert file for the certificate authority");
  app.add_option("--client-certificate", ctx.flags().client_certificate,
                 "Path to a client certificate file for TLS");
  app.add_option("--client-key", ctx.flags().client_key, "Path to a client key file for TLS");
  app.add_option("--as", ctx.flags().as,
                 "Username to impersonate for the operation. User could be a regular user or a "
                 "service account in a namespace.");
  app.add_option("--as-group", ctx.flags().as_groups,
                 "Group to impersonate for the operation, this flag can be repeated to specify "
                 "multiple groups.")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--as-uid", ctx.flags().as_uid, "UID to impersonate for the operation.");
  app.add_option("--request-timeout", ctx.flags().request_timeout,
                 "The length of time to wait before giving up on a single server request "
                 "(e.g. 1s, 2m); 0 uses the default")
      ->capture_default_str();
  AddGetCommand(app, ctx, exit_code);
  AddApplyCommand(app, ctx, exit_code);
  AddDeleteCommand(app, ctx, exit_code);
  AddScaleCommand(app, ctx, exit_code);
  AddDescribeCommand(app, ctx, exit_code);
  AddRolloutCommand(app, ctx, exit_code);
  AddLogsCommand(app, ctx, exit_code);
  AddPortForwardCommand(app, ctx, exit_code);
  AddCreateCommand(app, ctx, exit_code);
  AddRunCommand(app, ctx, exit_code);
  AddExposeCommand(app, ctx, exit_code);
  AddSetCommand(app, ctx, exit_code);
  AddVersionCommand(app, ctx, exit_code);
  AddClusterInfoCommand(app, ctx, exit_code);
  AddApiResourcesCommand(app, ctx, exit_code);
  AddCompletionCommand(app, ctx, exit_code);
  AddTraceCommand(app, ctx, exit_code);
  AddLabelCommand(app, ctx, exit_code);
  AddAnnotateCommand(app, ctx, exit_code);
  AddPatchCommand(app, ctx, exit_code);
  AddApiVersionsCommand(app, ctx, exit_code);
  AddConfigCommand(app, ctx, exit_code);
  AddWaitCommand(app, ctx, exit_code);
  AddReplaceCommand(app, ctx, exit_code);
  AddDiffCommand(app, ctx, exit_code);
  AddEditCommand(app, ctx, exit_code);
  AddExplainCommand(app, ctx, exit_code);
  AddAuthCommand(app, ctx, exit_code);
  AddCertificateCommand(app, ctx, exit_code);
  app.add_subcommand("help", "Help about any command")->allow_extras();
  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough(true);
}

int RunMkctl(const std::vector<std::string>& args, Context& ctx) {
  CLI::App app;
  int exit_code = 0;
  BuildApp(app, ctx, exit_code);
  if (args.empty()) {
    ctx.out() << app.help();
    return 0;
  }
  // An unknown command word reads as kubectl's message, not CLI11's. The
  // command is the first word that is neither a global flag nor its value.
  std::vector<std::string> effective = args;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-s" || arg == "--server" || arg == "-n" || arg == "--namespace" ||
        arg == "--request-timeout" || arg == "--kubeconfig" || arg == "--token" ||
        arg == "--certificate-authority" || arg == "--client-certificate" ||
        arg == "--client-key" || arg == "--as" || arg == "--as-group" || arg == "--as-uid") {
      ++i;
      continue;
    }
    if (arg.empty() || arg[0] == '-') continue;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->check_name(arg)) known = true;
    }
    if (!known) {
      ctx.err() << "Error: unknown command \"" << arg << "\" for \"mkctl\"\n";
      const std::vector<std::string> suggestions = SuggestCommands(app, arg);
      if (!suggestions.empty()) {
        ctx.err() << "\nDid you mean this?\n";
        for (const std::string& s : suggestions) ctx.err() << "\t" << s << "\n";
        ctx.err() << "\n";
      }
      return 1;
    }
    if (arg == "help") {
      // `help CMD...` is `CMD... --help`; `help` alone the root's help.
      std::vector<std::string> topic(args.begin() + i + 1, args.end());
      if (topic.empty()) {
        ctx.out() << app.help();
        return 0;
      }
      const CLI::App* at = &app;
      for (const std::string& word : topic) {
        const CLI::App* next = nullptr;
        for (const CLI::App* sub : at->get_subcommands({})) {
          if (sub->check_name(word)) next = sub;
        }
        if (next == nullptr) {
          if (at == &app) {
            ctx.out() << "Unknown help topic [`" << word << "`]\n" << app.help();
            return 0;
          }
          break;
        }
        at = next;
      }
      effective.assign(args.begin(), args.begin() + i);
      effective.insert(effective.end(), topic.begin(), topic.end());
      effective.push_back("--help");
    }
    break;
  }
  std::vector<std::string> reversed(effective.rbegin(), effective.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    std::ostringstream out, err;
    app.exit(e, out, err);
    ctx.out() << out.str();
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    std::ostringstream out, err;
    app.exit(e, out, err);
    ctx.out() << out.str();
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      std::ostringstream out, err;
      app.exit(e, out, err);
      ctx.out() << out.str();
      return 0;
    }
    // kubectl's (cobra's) words for flag errors.
    const std::string what = e.what();
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      const size_t colon = what.find(": ");
      if (colon != std::string::npos) {
        for (absl::string_view word : absl::StrSplit(what.substr(colon + 2), ' ')) {
          if (absl::StartsWith(word, "-")) {
            if (absl::StartsWith(word, "--")) {
              ctx.err() << "Error: unknown flag: " << word;
            } else {
              ctx.err() << "Error: unknown shorthand flag: '" << word.substr(1, 1) << "' in "
                        << word;
            }
            ctx.err() << "\nSee '" << CommandPath(app) << " --help' for usage.\n";
            return 1;
          }
        }
      }
    }
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
      const size_t colon = what.find(':');
      std::string flag = colon == std::string::npos ? "" : what.substr(0, colon);
      const size_t comma = flag.rfind(',');
      if (comma != std::string::npos) flag = flag.substr(comma + 1);
      if (absl::StartsWith(flag, "-")) {
        ctx.err() << "Error: flag needs an argument: " << flag << "\nSee '" << CommandPath(app)
                  << " --help' for usage.\n";
        return 1;
      }
    }
    ctx.err() << "error: " << what << "\n";
    return 1;
  }
  return exit_code;
}

}  // namespace minik8s::kubectl
