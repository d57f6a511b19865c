// mkctl get: tables, -o wide|yaml|json|name, selectors, -A, --sort-by, -w.
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/errors.h"
#include "api/selector/fields.h"
#include "api/selector/labels.h"
#include "client/resource.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/printers/custom_columns.h"
#include "kubectl/printers/jsonpath.h"
#include "kubectl/printers/object_output.h"
#include "kubectl/printers/resource_tables.h"
#include "kubectl/printers/sort.h"
#include "kubectl/printers/watch_table.h"

namespace minik8s::kubectl {
namespace {

struct GetOptions {
  std::vector<std::string> args;
  std::string output;
  std::string selector;
  std::string field_selector;
  std::string sort_by;
  bool watch = false;
  bool all_namespaces = false;
  bool show_labels = false;
  bool no_headers = false;
  std::vector<std::string> label_columns;  // -L, each possibly comma-separated
  std::string template_text;               // --template
  bool allow_missing_template_keys = true;
  OutputFormat format;  // parsed from `output`
};

// -L values split at commas, as a string slice flag.
std::vector<std::string> LabelColumns(const std::vector<std::string>& flags) {
  std::vector<std::string> out;
  for (const std::string& f : flags) {
    for (absl::string_view k : absl::StrSplit(f, ',', absl::SkipEmpty())) out.emplace_back(k);
  }
  return out;
}

// Prints `object` (several: a List) with a jsonpath or custom-columns format.
// Returns the exit code.
int PrintTemplated(Context& ctx, const GetOptions& o,
                   const std::vector<const google::protobuf::Message*>& objects, bool single) {
  std::vector<jsonpath::Value> values;
  for (const auto* m : objects) values.push_back(jsonpath::FromMessage(*m));
  if (o.format.kind == OutputFormat::Kind::kCustomColumns) {
    std::string partial;
    absl::StatusOr<std::string> text =
        PrintCustomColumns(o.format.columns, values, o.no_headers, &partial);
    if (!text.ok()) {
      ctx.out() << partial;
      ctx.out().flush();
      return ctx.Fail(text.status());
    }
    ctx.out() << *text;
    return 0;
  }
  jsonpath::Value root =
      single && values.size() == 1 ? std::move(values[0]) : jsonpath::ListOf(std::move(values));
  absl::StatusOr<std::string> text = jsonpath::PrintJsonPath(
      o.format.jsonpath, root, o.allow_missing_template_keys, o.format.jsonpath_as_json);
  if (!text.ok()) return ctx.Fail(text.status());
  ctx.out() << *text;
  return 0;
}

struct Group {
  const api::KindInfo* kind;
  std::vector<OwnedObject> objects;
};

// One object of `get -w` (from the initial list or an event), each on its
// own as kubectl prints them: YAML documents separated by `---`, JSON
// objects one after the other, names, or a table row from `table`.
// `printed` counts the objects printed so far.
void PrintWatched(Context& ctx, const api::KindInfo& kind, const google::protobuf::Message& object,
                  const GetOptions& o, WatchTable& table, int& printed) {
  if (o.format.kind == OutputFormat::Kind::kJsonPath) {
    absl::StatusOr<std::string> text =
        jsonpath::PrintJsonPath(o.format.jsonpath, jsonpath::FromMessage(object),
                                o.allow_missing_template_keys, o.format.jsonpath_as_json);
    if (!text.ok()) {
      ctx.Fail(text.status());
    } else {
      ctx.out() << *text;
    }
  } else if (o.output == "yaml") {
    if (printed > 0) ctx.out() << "---\n";
    ctx.out() << api::EncodeYaml(object);
  } else if (o.output == "json") {
    ctx.out() << api::EncodeJsonIndented(object) << "\n";
  } else if (o.output == "name") {
    ctx.out() << QualifiedName(kind, client::MetaOf(object).name()) << "\n";
  } else {
    ctx.out() << table.Row(object);
  }
  ++printed;
  ctx.out().flush();
}

// Prints the events of a watch with `field_selector` that starts at
// `resource_version` (the initial list's, or the one object's when it was
// got by name). `printed`: the objects the initial list printed.
int Watch(Context& ctx, client::ApiClient& client, const api::KindInfo& kind, const std::string& ns,
          const GetOptions& o, const std::string& field_selector, WatchTable& table,
          const std::string& resource_version, int printed) {
  client::WatchOptions options;
  options.label_selector = o.selector;
  options.field_selector = field_selector;
  options.resource_version = resource_version.empty() ? "0" : resource_version;
  options.allow_bookmarks = false;
  OwnedObject prototype = kind.New();
  absl::StatusOr<std::unique_ptr<client::WatchStream>> stream =
      client.Watch(kind.resource, NamespaceFor(kind, ns), options, *prototype);
  if (!stream.ok()) return ctx.Fail(stream.status());
  client::WatchEvent event;
  while ((*stream)->Next(&event)) {
    if (event.type == client::WatchEventType::kBookmark) continue;
    if (event.type == client::WatchEventType::kError) return ctx.Fail(event.error);
    OwnedObject copy(event.object->New());
    copy->CopyFrom(*event.object);
    (void)api::Scheme::Default().SetTypeMeta(copy.get());
    PrintWatched(ctx, kind, *copy, o, table, printed);
  }
  absl::Status status = (*stream)->status();
  if (!status.ok()) return ctx.Fail(status);
  return 0;
}

int RunGet(Context& ctx, GetOptions& o) {
  // pflag reads `-o=json` as `json`; CLI11 keeps the '='.
  if (!o.output.empty() && o.output[0] == '=') o.output.erase(0, 1);
  for (std::string& l : o.label_columns) {
    if (!l.empty() && l[0] == '=') l.erase(0, 1);
  }
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(o.output, o.template_text);
  if (!format.ok()) return ctx.Fail(format.status());
  o.format = std::move(*format);
  const bool templated = o.format.kind == OutputFormat::Kind::kJsonPath ||
                         o.format.kind == OutputFormat::Kind::kCustomColumns;
  if (o.watch && o.format.kind == OutputFormat::Kind::kCustomColumns) {
    return ctx.Fail(absl::UnimplementedError("mkctl get -w does not print custom-columns"));
  }
  if (o.args.empty()) {
    ctx.err() << "You must specify the type of resource to get. Use \"mkctl api-resources\" for "
                 "a complete list of supported resources.\n\nerror: Required resource not "
                 "specified.\n";
    return 1;
  }
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(o.args);
  if (!requests.ok()) return ctx.Fail(requests.status());
  if (!o.selector.empty()) {
    absl::StatusOr<api::LabelSelector> s = api::LabelSelector::Parse(o.selector);
    if (!s.ok()) return ctx.Fail(s.status());
  }
  if (!o.field_selector.empty()) {
    absl::StatusOr<api::FieldSelector> s = api::FieldSelector::Parse(o.field_selector);
    if (!s.ok()) return ctx.Fail(s.status());
  }
  bool by_name = false;
  for (const ResourceRequest& r : *requests) by_name = by_name || !r.names.empty();
  if (by_name && !o.selector.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "selectors and the all flag cannot be used when passing resource/name arguments"));
  }
  if (o.watch && requests->size() != 1) {
    return ctx.Fail(absl::InvalidArgumentError("you may only specify a single resource type"));
  }
  if (o.watch && by_name && (*requests)[0].names.size() != 1) {
    return ctx.Fail(absl::InvalidArgumentError(absl::StrCat(
        "watch is only supported on individual resources and resource collections, but ",
        (*requests)[0].names.size(), " resources were found")));
  }
  if (!o.sort_by.empty()) {
    absl::StatusOr<std::vector<std::string>> path = ParseFieldPath(o.sort_by);
    if (!path.ok()) return ctx.Fail(path.status());
  }
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  const std::string ns = o.all_namespaces ? "" : ctx.Namespace();

  int exit_code = 0;
  std::vector<Group> groups;
  std::string list_version;
  for (const ResourceRequest& r : *requests) {
    Group group{r.kind, {}};
    if (!r.names.empty()) {
      for (const std::string& name : r.names) {
        absl::StatusOr<OwnedObject> object = GetObject(**client, *r.kind, ns, name);
        if (!object.ok()) {
          if (!api::IsNotFound(object.status())) return ctx.Fail(object.status());
          ctx.Fail(object.status());
          exit_code = 1;
          continue;
        }
        group.objects.push_back(std::move(*object));
      }
    } else {
      client::ListOptions options;
      options.label_selector = o.selector;
      options.field_selector = o.field_selector;
      OwnedObject prototype = r.kind->New();
      absl::StatusOr<client::ObjectList> list =
          (*client)->List(r.kind->resource, NamespaceFor(*r.kind, ns), options, *prototype);
      if (!list.ok()) return ctx.Fail(list.status());
      list_version = list->resource_version;
      for (const client::ObjectPtr& item : list->items) {
        OwnedObject copy(item->New());
        copy->CopyFrom(*item);
        (void)api::Scheme::Default().SetTypeMeta(copy.get());
        group.objects.push_back(std::move(copy));
      }
    }
    groups.push_back(std::move(group));
  }

  size_t total = 0;
  for (Group& g : groups) {
    total += g.objects.size();
    if (!o.sort_by.empty()) {
      std::vector<const google::protobuf::Message*> ptrs = Pointers(g.objects);
      absl::Status st = SortObjects(o.sort_by, &ptrs);
      if (!st.ok()) return ctx.Fail(st);
      std::vector<OwnedObject> sorted;
      for (const auto* p : ptrs) {
        for (OwnedObject& owned : g.objects) {
          if (owned.get() == p) sorted.push_back(std::move(owned));
        }
      }
      g.objects = std::move(sorted);
    }
  }

  const bool multi = groups.size() > 1;
  std::vector<size_t> widths;
  const bool single = by_name && requests->size() == 1 && (*requests)[0].names.size() == 1;
  if (templated) {
    std::vector<const google::protobuf::Message*> all;
    for (const Group& g : groups) {
      for (const auto& obj : g.objects) all.push_back(obj.get());
    }
    if (o.watch) {
      int printed = 0;
      WatchTable unused(*groups[0].kind, TableOptions{}, true, {}, [&ctx] { return ctx.Now(); });
      for (const auto* obj : all) PrintWatched(ctx, *groups[0].kind, *obj, o, unused, printed);
    } else if (!(by_name && all.empty())) {
      if (PrintTemplated(ctx, o, all, single) != 0) return 1;
    }
  } else if (o.output == "yaml" || o.output == "json") {
    std::vector<const google::protobuf::Message*> all;
    for (const Group& g : groups) {
      for (const auto& obj : g.objects) all.push_back(obj.get());
    }
    if (o.watch) {
      // Printed one object at a time, as the events are (below).
    } else if (single && all.size() == 1) {
      ctx.out() << (o.output == "yaml" ? api::EncodeYaml(*all[0])
                                       : api::EncodeJsonIndented(*all[0]) + "\n");
    } else if (!(by_name && all.empty())) {
      ctx.out() << (o.output == "yaml" ? YamlList(all) : JsonList(all));
    }
  } else if (o.output == "name") {
    for (const Group& g : groups) {
      for (const auto& obj : g.objects) {
        ctx.out() << QualifiedName(*g.kind, client::MetaOf(*obj).name()) << "\n";
      }
    }
  } else {
    bool first = true;
    for (const Group& g : groups) {
      if (g.objects.empty()) continue;
      TableOptions options;
      options.wide = o.output == "wide";
      options.with_namespace = o.all_namespaces && g.kind->namespaced;
      options.show_labels = o.show_labels;
      options.label_columns = LabelColumns(o.label_columns);
      options.with_kind = multi;
      options.now = ctx.Now();
      Table table = ResourceTable(*g.kind, Pointers(g.objects), options);
      if (!first) ctx.out() << "\n";
      first = false;
      ctx.out() << RenderTable(table, o.no_headers);
      widths = ColumnWidths(table, !o.no_headers);
    }
  }
  // With -w an empty list prints nothing: kubectl goes straight to the
  // watch and prints the first event's row (with the header) when it comes.
  if (total == 0 && !by_name && !o.watch &&
      (o.output.empty() || o.output == "wide" || o.output == "name")) {
    bool any_namespaced = false;
    for (const Group& g : groups) any_namespaced = any_namespaced || g.kind->namespaced;
    if (o.all_namespaces || !any_namespaced) {
      ctx.err() << "No resources found\n";
    } else {
      ctx.err() << "No resources found in " << ns << " namespace.\n";
    }
  }
  ctx.out().flush();
  if (o.watch) {
    const api::KindInfo& kind = *groups[0].kind;
    TableOptions watch_options;
    watch_options.wide = o.output == "wide";
    watch_options.with_namespace = o.all_namespaces && kind.namespaced;
    watch_options.show_labels = o.show_labels;
    watch_options.label_columns = LabelColumns(o.label_columns);
    WatchTable table(kind, watch_options, o.no_headers, widths, [&ctx] { return ctx.Now(); });
    int printed = static_cast<int>(total);
    if (o.output == "yaml" || o.output == "json" || templated) {
      printed = 0;
      for (const auto& obj : groups[0].objects) PrintWatched(ctx, kind, *obj, o, table, printed);
    }
    // One object by name: watch just it (metadata.name), from the version
    // printed, as kubectl does.
    std::string field_selector = o.field_selector;
    std::string version = list_version;
    if (by_name) {
      if (groups[0].objects.empty()) return exit_code;  // NotFound was printed
      const std::string name_selector =
          "metadata.name=" + client::MetaOf(*groups[0].objects[0]).name();
      field_selector =
          field_selector.empty() ? name_selector : absl::StrCat(field_selector, ",", name_selector);
      version = client::MetaOf(*groups[0].objects[0]).resource_version();
    }
    return Watch(ctx, **client, kind, ns, o, field_selector, table, version, printed);
  }
  return exit_code;
}

}  // namespace

void AddGetCommand(CLI::App& app, Context& ctx, int& exit_code) {
  auto o = std::make_shared<GetOptions>();
  CLI::App* cmd = app.add_subcommand("get", "Display one or many resources");
  cmd->add_option("resources", o->args,
                  "TYPE[,TYPE...] [NAME...] or TYPE/NAME... (e.g. pods, deploy,rs, deploy/web)");
  cmd->add_option("-o,--output", o->output,
                  "Output format. One of: (json, yaml, name, wide, jsonpath=TEMPLATE, "
                  "jsonpath-file=FILE, jsonpath-as-json=TEMPLATE, custom-columns=SPEC, "
                  "custom-columns-file=FILE)");
  cmd->add_option("--template", o->template_text,
                  "Template string or path to template file to use when -o=jsonpath, "
                  "-o=jsonpath-file or -o=custom-columns-file");
  cmd->add_flag("--allow-missing-template-keys", o->allow_missing_template_keys,
                "If true, ignore any errors in templates when a field or map key is missing "
                "in the template. Only applies to jsonpath output formats.");
  cmd->add_option("-L,--label-columns", o->label_columns,
                  "Accepts a comma separated list of labels that are going to be presented as "
                  "columns. Names are case-sensitive. You can also use multiple flag options "
                  "like -L label1 -L label2...");
  cmd->add_option("-l,--selector", o->selector,
                  "Selector (label query) to filter on, supports '=', '==', '!=', 'in', "
                  "'notin', 'key' and '!key' (e.g. -l key1=value1,key2=value2)");
  cmd->add_option("--field-selector", o->field_selector,
                  "Selector (field query) to filter on, supports '=', '==', and '!=' (e.g. "
                  "--field-selector key1=value1,key2=value2)");
  cmd->add_option("--sort-by", o->sort_by,
                  "If non-empty, sort list types using this field specification, expressed as "
                  "a JSONPath expression (e.g. '{.metadata.name}')");
  cmd->add_flag("-w,--watch", o->watch,
                "After listing/getting the requested object, watch for changes");
  cmd->add_flag("-A,--all-namespaces", o->all_namespaces,
                "If present, list the requested object(s) across all namespaces");
  cmd->add_flag("--show-labels", o->show_labels,
                "When printing, show all labels as the last column");
  cmd->add_flag("--no-headers", o->no_headers,
                "When using the default or custom-column output format, don't print headers");
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunGet(ctx, *o); });
}

}  // namespace minik8s::kubectl
