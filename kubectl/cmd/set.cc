// mkctl set image TYPE/NAME CONTAINER=IMAGE... (`*=IMAGE` for every container).
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "k8s/apps/v1/apps.pb.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/resource_args.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

struct SetImageOptions {
  std::vector<std::string> args;
};

core::v1::PodSpec* TemplateSpec(google::protobuf::Message* obj) {
  if (auto* d = dynamic_cast<apps::v1::Deployment*>(obj)) {
    return d->mutable_spec()->mutable_template_()->mutable_spec();
  }
  if (auto* rs = dynamic_cast<apps::v1::ReplicaSet*>(obj)) {
    return rs->mutable_spec()->mutable_template_()->mutable_spec();
  }
  if (auto* pod = dynamic_cast<core::v1::Pod*>(obj)) return pod->mutable_spec();
  return nullptr;
}

int RunSetImage(Context& ctx, const SetImageOptions& o) {
  std::vector<std::string> resources;
  std::map<std::string, std::string> images;
  for (const std::string& arg : o.args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      if (!images.empty()) {
        return ctx.Fail(absl::InvalidArgumentError(
            "all resources must be specified before image changes: " + arg));
      }
      resources.push_back(arg);
    } else {
      if (eq == 0 || eq + 1 == arg.size()) {
        return ctx.Fail(absl::InvalidArgumentError("invalid image update: " + arg));
      }
      images[arg.substr(0, eq)] = arg.substr(eq + 1);
    }
  }
  if (resources.empty() || images.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        "one or more resources and at least one container=image pair must be specified"));
  }
  absl::StatusOr<std::vector<ResourceRequest>> requests = ParseResourceArgs(resources);
  if (!requests.ok()) return ctx.Fail(requests.status());
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  int exit_code = 0;
  for (const ResourceRequest& r : *requests) {
    for (const std::string& name : r.names) {
      for (int attempt = 0;; ++attempt) {
        absl::StatusOr<OwnedObject> obj = GetObject(**client, *r.kind, ctx.Namespace(), name);
        if (!obj.ok()) {
          ctx.Fail(obj.status());
          exit_code = 1;
          break;
        }
        core::v1::PodSpec* spec = TemplateSpec(obj->get());
        if (spec == nullptr) {
          ctx.Fail(absl::InvalidArgumentError(
              absl::StrCat("cannot set images of ", r.kind->GroupResource())));
          exit_code = 1;
          break;
        }
        bool changed = false;
        std::string missing;
        for (const auto& [container, image] : images) {
          bool found = false;
          for (auto* containers : {spec->mutable_containers(), spec->mutable_init_containers()}) {
            for (auto& c : *containers) {
              if (container == "*" || c.name() == container) {
                found = true;
                if (c.image() != image) changed = true;
                c.set_image(image);
              }
            }
          }
          if (!found) missing = container;
        }
        if (!missing.empty()) {
          ctx.Fail(absl::NotFoundError(
              absl::StrCat("unable to find container named \"", missing, "\"")));
          exit_code = 1;
          break;
        }
        if (changed) {
          OwnedObject out = r.kind->New();
          absl::Status st =
              (*client)->Update(r.kind->resource, r.kind->namespaced ? ctx.Namespace() : "", name,
                                "", **obj, out.get());
          if (api::IsConflict(st) && attempt < 5) continue;
          if (!st.ok()) {
            ctx.Fail(st);
            exit_code = 1;
            break;
          }
          ctx.out() << QualifiedName(*r.kind, name) << " image updated\n";
        }
        break;
      }
    }
  }
  return exit_code;
}

}  // namespace

void AddSetCommand(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* set = app.add_subcommand("set", "Set specific features on objects");
  set->require_subcommand(1);
  auto o = std::make_shared<SetImageOptions>();
  CLI::App* cmd = set->add_subcommand("image", "Update the image of a pod template");
  cmd->add_option("args", o->args,
                  "TYPE/NAME... CONTAINER_NAME_1=CONTAINER_IMAGE_1 ... (`*` for all containers)")
      ->required();
  cmd->fallthrough(true);
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunSetImage(ctx, *o); });
}

}  // namespace minik8s::kubectl
