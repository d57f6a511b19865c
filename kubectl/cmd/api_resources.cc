// mkctl api-resources (from the apiserver's discovery) and mkctl completion.
#include <algorithm>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/scheme.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/printers/table.h"

namespace minik8s::kubectl {
namespace {

int RunApiResources(Context& ctx, const std::string& output, bool no_headers,
                    const std::string& namespaced_filter) {
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  absl::StatusOr<std::vector<apiserver::v1::ApiResource>> resources = (*client)->ListResources();
  if (!resources.ok()) return ctx.Fail(resources.status());
  std::vector<apiserver::v1::ApiResource> sorted = *resources;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    if (a.group() != b.group()) return a.group() < b.group();
    return a.name() < b.name();
  });
  Table table;
  table.headers = {"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"};
  if (output == "wide") table.headers.push_back("VERBS");
  for (const auto& r : sorted) {
    if (r.name().find('/') != std::string::npos) continue;  // subresources
    if (namespaced_filter == "true" && !r.namespaced()) continue;
    if (namespaced_filter == "false" && r.namespaced()) continue;
    if (output == "name") {
      ctx.out() << (r.group().empty() ? r.name() : absl::StrCat(r.name(), ".", r.group())) << "\n";
      continue;
    }
    const std::string api_version =
        r.group().empty() ? r.version() : absl::StrCat(r.group(), "/", r.version());
    std::vector<std::string> row = {r.name(), absl::StrJoin(r.short_names(), ","), api_version,
                                    r.namespaced() ? "true" : "false", r.kind()};
    if (output == "wide") row.push_back(absl::StrCat("[", absl::StrJoin(r.verbs(), " "), "]"));
    table.rows.push_back(std::move(row));
  }
  if (output != "name") ctx.out() << RenderTable(table, no_headers);
  return 0;
}

std::string BashCompletion() {
  std::vector<std::string> resources;
  for (const auto& kind : api::Scheme::Default().kinds()) {
    if (kind->resource.empty()) continue;
    resources.push_back(kind->resource);
    for (const std::string& s : kind->short_names) resources.push_back(s);
  }
  resources.push_back("all");
  const std::string commands =
      "annotate api-resources api-versions apply cluster-info completion config create delete "
      "describe get help label logs patch rollout scale set trace version";
  std::string out =
      "# bash completion for mkctl\n"
      "# Load it with: source <(mkctl completion bash)\n"
      "_mkctl() {\n"
      "  local cur prev cmd\n"
      "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
      "  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  cmd=\"${COMP_WORDS[1]}\"\n"
      "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n";
  absl::StrAppend(&out, "    COMPREPLY=( $(compgen -W \"", commands, "\" -- \"$cur\") )\n");
  out += "    return 0\n  fi\n";
  out +=
      "  case \"$prev\" in\n"
      "    -f|--filename) COMPREPLY=( $(compgen -f -- \"$cur\") ); return 0 ;;\n"
      "    -o|--output) COMPREPLY=( $(compgen -W \"wide yaml json name\" -- \"$cur\") ); return 0 "
      ";;\n"
      "    --cascade) COMPREPLY=( $(compgen -W \"background foreground orphan\" -- \"$cur\") ); "
      "return 0 ;;\n"
      "    -n|--namespace)\n"
      "      COMPREPLY=( $(compgen -W \"$(mkctl get namespaces -o name 2>/dev/null | sed "
      "'s|.*/||')\" -- \"$cur\") )\n"
      "      return 0 ;;\n"
      "  esac\n";
  out += "  case \"$cmd\" in\n";
  absl::StrAppend(&out,
                  "    get|describe|delete|scale|trace|set|label|annotate|patch)\n"
                  "      if [ \"$COMP_CWORD\" -eq 2 ]; then\n"
                  "        COMPREPLY=( $(compgen -W \"",
                  absl::StrJoin(resources, " "),
                  "\" -- \"$cur\") )\n"
                  "      elif [ \"$COMP_CWORD\" -eq 3 ] && [[ \"$prev\" != -* ]]; then\n"
                  "        COMPREPLY=( $(compgen -W \"$(mkctl get \"$prev\" -o name 2>/dev/null | "
                  "sed 's|.*/||')\" -- \"$cur\") )\n"
                  "      fi ;;\n");
  out +=
      "    rollout)\n"
      "      if [ \"$COMP_CWORD\" -eq 2 ]; then\n"
      "        COMPREPLY=( $(compgen -W \"status history undo restart pause resume\" -- \"$cur\") "
      ")\n"
      "      fi ;;\n"
      "    create)\n"
      "      [ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=( $(compgen -W \"deployment\" -- \"$cur\") ) "
      ";;\n"
      "    completion)\n"
      "      [ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=( $(compgen -W \"bash\" -- \"$cur\") ) ;;\n"
      "  esac\n"
      "  return 0\n"
      "}\n"
      "complete -F _mkctl mkctl\n";
  return out;
}

}  // namespace

void AddApiResourcesCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto output = std::make_shared<std::string>();
  auto no_headers = std::make_shared<bool>(false);
  auto namespaced = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("api-resources", "Print the supported API resources on the server");
  cmd->add_option("-o,--output", *output, "Output format. One of: (wide, name).");
  cmd->add_flag("--no-headers", *no_headers,
                "When using the default or custom-column output format, don't print headers "
                "(default print headers).");
  cmd->add_option("--namespaced", *namespaced,
                  "If false, non-namespaced resources will be returned, otherwise returning "
                  "namespaced resources by default.");
  cmd->callback([&ctx, &exit_code, output, no_headers, namespaced] {
    exit_code = RunApiResources(ctx, *output, *no_headers, *namespaced);
  });
}

void AddApiVersionsCommand(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "api-versions",
      "Print the supported API versions on the server, in the form of \"group/version\"");
  cmd->callback([&ctx, &exit_code] {
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    if (!client.ok()) {
      exit_code = ctx.Fail(client.status());
      return;
    }
    absl::StatusOr<std::vector<apiserver::v1::ApiResource>> resources = (*client)->ListResources();
    if (!resources.ok()) {
      exit_code = ctx.Fail(resources.status());
      return;
    }
    std::set<std::string> versions;
    for (const auto& r : *resources) {
      versions.insert(r.group().empty() ? r.version() : absl::StrCat(r.group(), "/", r.version()));
    }
    for (const std::string& v : versions) ctx.out() << v << "\n";
    exit_code = 0;
  });
}

void AddCompletionCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto shell = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("completion",
                                     "Output shell completion code for the specified shell (bash)");
  cmd->add_option("shell", *shell, "The shell: bash")->required();
  cmd->callback([&ctx, &exit_code, shell] {
    if (*shell != "bash") {
      exit_code = ctx.Fail(
          absl::InvalidArgumentError(absl::StrCat("Unsupported shell type \"", *shell, "\".")));
      return;
    }
    ctx.out() << BashCompletion();
    exit_code = 0;
  });
}

}  // namespace minik8s::kubectl
