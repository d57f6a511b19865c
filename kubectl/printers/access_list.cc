#include "kubectl/printers/access_list.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kubectl/printers/table.h"

namespace minik8s::kubectl {
namespace {

// rbacv1.PolicyRule, as kubectl handles it here.
struct Rule {
  std::vector<std::string> verbs, api_groups, resources, resource_names, non_resource_urls;
};

// Go's %v of a []string.
std::string GoList(const std::vector<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, " "), "]");
}

// The generated PolicyRule.String(), kubectl's sort key.
std::string GoString(const Rule& r) {
  return absl::StrCat("&PolicyRule{Verbs:", GoList(r.verbs), ",APIGroups:", GoList(r.api_groups),
                      ",Resources:", GoList(r.resources),
                      ",ResourceNames:", GoList(r.resource_names),
                      ",NonResourceURLs:", GoList(r.non_resource_urls), ",}");
}

// rbac.BreakdownRule.
void Breakdown(const Rule& rule, std::vector<Rule>* out) {
  for (const std::string& group : rule.api_groups) {
    for (const std::string& resource : rule.resources) {
      for (const std::string& verb : rule.verbs) {
        if (rule.resource_names.empty()) {
          out->push_back({{verb}, {group}, {resource}, {}, {}});
        }
        for (const std::string& name : rule.resource_names) {
          out->push_back({{verb}, {group}, {resource}, {name}, {}});
        }
      }
    }
  }
  for (const std::string& url : rule.non_resource_urls) {
    for (const std::string& verb : rule.verbs) out->push_back({{verb}, {}, {}, {}, {url}});
  }
}

// describe.CombineResourceGroup.
std::string CombineResourceGroup(const std::vector<std::string>& resources,
                                 const std::vector<std::string>& groups) {
  if (resources.empty()) return "";
  const std::string& first = resources[0];
  const size_t slash = first.find('/');
  std::string out = first.substr(0, slash);
  if (!groups.empty() && !groups[0].empty()) absl::StrAppend(&out, ".", groups[0]);
  if (slash != std::string::npos) absl::StrAppend(&out, first.substr(slash));
  return out;
}

}  // namespace

std::string AccessListTable(const authorization::v1::SubjectRulesReviewStatus& status,
                            bool no_headers) {
  std::vector<Rule> broken;
  for (const auto& r : status.resource_rules()) {
    Breakdown({{r.verbs().begin(), r.verbs().end()},
               {r.api_groups().begin(), r.api_groups().end()},
               {r.resources().begin(), r.resources().end()},
               {r.resource_names().begin(), r.resource_names().end()},
               {}},
              &broken);
  }
  for (const auto& r : status.non_resource_rules()) {
    Breakdown({{r.verbs().begin(), r.verbs().end()},
               {},
               {},
               {},
               {r.non_resource_urls().begin(), r.non_resource_urls().end()}},
              &broken);
  }
  // rbac.CompactRules: simple rules (one group, one resource, at most one
  // name, no URLs) of the same group, resource and name become one.
  std::vector<Rule> compacted;
  std::map<std::tuple<std::string, std::string, bool, std::string>, size_t> simple;
  std::vector<Rule> simple_rules;
  for (Rule& rule : broken) {
    const bool is_simple = rule.non_resource_urls.empty() && rule.resource_names.size() <= 1 &&
                           rule.api_groups.size() == 1 && rule.resources.size() == 1;
    if (!is_simple) {
      compacted.push_back(std::move(rule));
      continue;
    }
    const bool named = !rule.resource_names.empty();
    auto key = std::make_tuple(rule.api_groups[0], rule.resources[0], named,
                               named ? rule.resource_names[0] : std::string());
    auto [it, inserted] = simple.emplace(std::move(key), simple_rules.size());
    if (inserted) {
      simple_rules.push_back(std::move(rule));
    } else {
      std::vector<std::string>& verbs = simple_rules[it->second].verbs;
      verbs.insert(verbs.end(), rule.verbs.begin(), rule.verbs.end());
    }
  }
  for (Rule& rule : simple_rules) compacted.push_back(std::move(rule));
  std::vector<std::pair<std::string, const Rule*>> sorted;
  for (const Rule& rule : compacted) sorted.emplace_back(GoString(rule), &rule);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string text;
  if (!no_headers) text = "Resources\tNon-Resource URLs\tResource Names\tVerbs\n";
  for (const auto& [key, rule] : sorted) {
    absl::StrAppend(&text, CombineResourceGroup(rule->resources, rule->api_groups), "\t",
                    GoList(rule->non_resource_urls), "\t", GoList(rule->resource_names), "\t",
                    GoList(rule->verbs), "\n");
  }
  return TabAlign(text, 6, 3);
}

}  // namespace minik8s::kubectl
