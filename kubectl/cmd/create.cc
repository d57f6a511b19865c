// mkctl create -f FILE|-, create namespace NAME, create configmap NAME, create deployment NAME
// --image=IMG [--replicas=N] [--port=P], and create job NAME --image=IMG
// [-- COMMAND [ARG...]].
#include <iostream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "client/resource.h"
#include "k8s/apps/v1/apps.pb.h"
#include "k8s/core/v1/core.pb.h"
#include "kubectl/apply/manifests.h"
#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/create_configmap.h"
#include "kubectl/cmd/create_deployment.h"
#include "kubectl/cmd/create_job.h"
#include "kubectl/cmd/objects.h"
#include "kubectl/cmd/write_output.h"
#include "kubectl/printers/resource_tables.h"

namespace minik8s::kubectl {
namespace {

struct CreateDeploymentOptions {
  std::string name;
  std::vector<std::string> images;
  int replicas = 1;
  int port = -1;
  std::string dry_run = "none";
  std::string output;
};

struct CreateOptions {
  std::vector<std::string> filenames;
  bool recursive = false;
  std::string dry_run = "none";
  std::string output;
};

// `create -f`: every document is created in turn; a failed one (say
// AlreadyExists) is reported after the others were tried, as kubectl does.
int RunCreateFromFiles(Context& ctx, const CreateOptions& o) {
  if (o.filenames.empty()) {
    ctx.err() << "error: must specify one of -f and -k\n";
    return 1;
  }
  if (absl::Status st = CheckDryRun(o.dry_run); !st.ok()) return ctx.Fail(st);
  if (absl::Status st = CheckWriteOutput(o.output); !st.ok()) return ctx.Fail(st);
  absl::StatusOr<std::vector<Manifest>> manifests =
      ReadCommandManifests(ctx, o.filenames, o.recursive);
  if (!manifests.ok()) return ctx.Fail(manifests.status());
  if (manifests->empty()) {
    return ctx.Fail(absl::InvalidArgumentError("no objects passed to create"));
  }
  absl::StatusOr<client::ApiClient*> client = ctx.Client();
  if (!client.ok()) return ctx.Fail(client.status());
  std::vector<absl::Status> errors;
  for (Manifest& m : *manifests) {
    const api::KindInfo& kind = *m.decoded.kind;
    google::protobuf::Message* object = m.decoded.object.get();
    auto* meta = client::MutableMetaOf(object);
    const std::string ns = ManifestNamespace(ctx, m);
    if (kind.namespaced) meta->set_namespace_(ns);
    OwnedObject created = kind.New();
    if (o.dry_run == "client") {
      created->CopyFrom(*object);
    } else {
      absl::Status st =
          (*client)->Create(kind.resource, ns, *object, created.get(), o.dry_run == "server");
      if (!st.ok()) {
        errors.push_back(WithSource(st, "creating", m.source));
        continue;
      }
    }
    const std::string name = client::MetaOf(*created).name();
    PrintWritten(ctx, o.output, QualifiedName(kind, name), "created", o.dry_run, created.get());
  }
  ctx.out().flush();
  for (const absl::Status& st : errors) ctx.Fail(st);
  return errors.empty() ? 0 : 1;
}

struct CreateNamespaceOptions {
  std::vector<std::string> names;
  std::string dry_run = "none";
  std::string output;
};

int RunCreateNamespace(Context& ctx, const CreateNamespaceOptions& o) {
  if (o.names.size() != 1) {
    ctx.err() << "error: exactly one NAME is required, got " << o.names.size()
              << "\nSee 'mkctl create namespace -h' for help and examples\n";
    return 1;
  }
  if (absl::Status st = CheckDryRun(o.dry_run); !st.ok()) return ctx.Fail(st);
  if (absl::Status st = CheckWriteOutput(o.output); !st.ok()) return ctx.Fail(st);
  core::v1::Namespace ns;
  ns.mutable_metadata()->set_name(o.names[0]);
  core::v1::Namespace out = ns;
  if (o.dry_run != "client") {
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    if (!client.ok()) return ctx.Fail(client.status());
    absl::Status st = (*client)->Create("namespaces", "", ns, &out, o.dry_run == "server");
    if (!st.ok()) return ctx.Fail(st);
  }
  PrintWritten(ctx, o.output, absl::StrCat("namespace/", o.names[0]), "created", o.dry_run, &out);
  return 0;
}

struct CreateConfigMapOptions {
  std::string name;
  std::vector<std::string> literals;
  std::vector<std::string> files;
  std::string dry_run = "none";
  std::string output;
};

int RunCreateConfigMap(Context& ctx, const CreateConfigMapOptions& o) {
  if (absl::Status s = CheckDryRun(o.dry_run); !s.ok()) return ctx.Fail(s);
  if (absl::Status s = CheckWriteOutput(o.output); !s.ok()) return ctx.Fail(s);
  absl::StatusOr<core::v1::ConfigMap> cm = BuildConfigMap(o.name, o.literals, o.files);
  if (!cm.ok()) return ctx.Fail(cm.status());
  cm->mutable_metadata()->set_namespace_(ctx.Namespace());
  core::v1::ConfigMap out = *cm;
  if (o.dry_run != "client") {
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    if (!client.ok()) return ctx.Fail(client.status());
    absl::Status st =
        (*client)->Create("configmaps", ctx.Namespace(), *cm, &out, o.dry_run == "server");
    if (!st.ok()) return ctx.Fail(st);
  }
  PrintWritten(ctx, o.output, "configmap/" + o.name, "created", o.dry_run, &out);
  return 0;
}

int RunCreateDeployment(Context& ctx, const CreateDeploymentOptions& o) {
  if (absl::Status s = CheckDryRun(o.dry_run); !s.ok()) return ctx.Fail(s);
  absl::StatusOr<apps::v1::Deployment> d = BuildDeployment(o.name, o.images, o.replicas, o.port);
  if (!d.ok()) return ctx.Fail(d.status());
  d->mutable_metadata()->set_namespace_(ctx.Namespace());
  apps::v1::Deployment out = *d;
  if (o.dry_run != "client") {
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    if (!client.ok()) return ctx.Fail(client.status());
    absl::Status st =
        (*client)->Create("deployments", ctx.Namespace(), *d, &out, o.dry_run == "server");
    if (!st.ok()) return ctx.Fail(st);
  }
  PrintWritten(ctx, o.output, "deployment.apps/" + o.name, "created", o.dry_run, &out);
  return 0;
}

struct CreateJobOptions {
  std::string name;
  std::string image;
  std::string from;
  std::vector<std::string> command;
  std::string dry_run = "none";
  std::string output;
};

int RunCreateJob(Context& ctx, const CreateJobOptions& o) {
  if (absl::Status s = CheckDryRun(o.dry_run); !s.ok()) return ctx.Fail(s);
  if (absl::Status s = CheckWriteOutput(o.output); !s.ok()) return ctx.Fail(s);
  if (!o.from.empty()) {
    return ctx.Fail(absl::InvalidArgumentError(
        absl::StrCat("--from=", o.from, ": minik8s serves no CronJob kind to create a Job from")));
  }
  absl::StatusOr<batch::v1::Job> job = BuildJob(o.name, o.image, o.command);
  if (!job.ok()) return ctx.Fail(job.status());
  job->mutable_metadata()->set_namespace_(ctx.Namespace());
  batch::v1::Job out = *job;
  if (o.dry_run != "client") {
    absl::StatusOr<client::ApiClient*> client = ctx.Client();
    if (!client.ok()) return ctx.Fail(client.status());
    absl::Status st = (*client)->Create("jobs", ctx.Namespace(), *job, &out, o.dry_run == "server");
    if (!st.ok()) return ctx.Fail(st);
  }
  PrintWritten(ctx, o.output, "job.batch/" + o.name, "created", o.dry_run, &out);
  return 0;
}

}  // namespace

void AddCreateCommand(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* create = app.add_subcommand("create", "Create a resource from a file or from stdin");
  create->require_subcommand(0, 1);
  auto files = std::make_shared<CreateOptions>();
  create->add_option("-f,--filename", files->filenames,
                     "Filename, directory, or URL to files to use to create the resource (- for "
                     "stdin)");
  create->add_flag("-R,--recursive", files->recursive,
                   "Process the directory used in -f, --filename recursively");
  create
      ->add_option("--dry-run", files->dry_run,
                   "Must be \"none\", \"server\", or \"client\". If client strategy, only "
                   "print the object that would be sent, without sending it.")
      ->capture_default_str();
  create->add_option("-o,--output", files->output, "Output format: yaml, json or name");
  create->callback([&ctx, &exit_code, create, files] {
    if (create->get_subcommands().empty()) exit_code = RunCreateFromFiles(ctx, *files);
  });

  auto n = std::make_shared<CreateNamespaceOptions>();
  CLI::App* ns_cmd =
      create->add_subcommand("namespace", "Create a namespace with the specified name");
  ns_cmd->alias("ns");
  ns_cmd->add_option("name", n->names, "Name of the namespace");
  ns_cmd
      ->add_option("--dry-run", n->dry_run,
                   "Must be \"none\", \"server\", or \"client\". If client strategy, only "
                   "print the object that would be sent, without sending it.")
      ->capture_default_str();
  ns_cmd->add_option("-o,--output", n->output, "Output format: yaml, json or name");
  ns_cmd->fallthrough(true);
  ns_cmd->callback([&ctx, &exit_code, n] { exit_code = RunCreateNamespace(ctx, *n); });

  auto c = std::make_shared<CreateConfigMapOptions>();
  CLI::App* cm_cmd = create->add_subcommand(
      "configmap", "Create a config map based on a file, directory, or specified literal value");
  cm_cmd->alias("cm");
  cm_cmd->add_option("name", c->name, "Name of the config map")->required();
  cm_cmd->add_option("--from-literal", c->literals,
                     "Specify a key and literal value to insert in configmap (i.e. "
                     "mykey=somevalue); repeatable");
  cm_cmd->add_option("--from-file", c->files,
                     "Key file can be specified using its file path, in which case file basename "
                     "will be used as configmap key, or optionally with a key and file path, in "
                     "which case the given key will be used. Specifying a directory will iterate "
                     "each named file in the directory whose basename is a valid configmap key; "
                     "repeatable");
  cm_cmd
      ->add_option("--dry-run", c->dry_run,
                   "Must be \"none\", \"server\", or \"client\". If client strategy, only "
                   "print the object that would be sent, without sending it.")
      ->capture_default_str();
  cm_cmd->add_option("-o,--output", c->output, "Output format: yaml, json or name");
  cm_cmd->fallthrough(true);
  cm_cmd->callback([&ctx, &exit_code, c] { exit_code = RunCreateConfigMap(ctx, *c); });

  auto o = std::make_shared<CreateDeploymentOptions>();
  CLI::App* cmd =
      create->add_subcommand("deployment", "Create a deployment with the specified name");
  cmd->alias("deploy");
  cmd->add_option("name", o->name, "Name of the deployment")->required();
  cmd->add_option(
         "--image", o->images,
         "Image names to run. A deployment can have multiple images set for multi-container pod.")
      ->required();
  cmd->add_option("-r,--replicas", o->replicas, "Number of replicas to create. Default is 1.")
      ->capture_default_str();
  cmd->add_option("--port", o->port, "The containerPort that this deployment exposes.");
  cmd->add_option("--dry-run", o->dry_run,
                  "Must be \"none\", \"server\", or \"client\". If client strategy, only print "
                  "the object that would be sent, without sending it.")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Output format: yaml, json or name");
  cmd->fallthrough(true);
  cmd->callback([&ctx, &exit_code, o] { exit_code = RunCreateDeployment(ctx, *o); });

  auto j = std::make_shared<CreateJobOptions>();
  CLI::App* job_cmd = create->add_subcommand("job", "Create a job with the specified name");
  job_cmd->add_option("name", j->name, "Name of the job")->required();
  job_cmd->add_option("command", j->command, "After `--`: the container's command and arguments");
  job_cmd->add_option("--image", j->image, "Image name to run.");
  job_cmd->add_option("--from", j->from,
                      "The name of the resource to create a Job from (only cronjob is supported).");
  job_cmd
      ->add_option("--dry-run", j->dry_run,
                   "Must be \"none\", \"server\", or \"client\". If client strategy, only "
                   "print the object that would be sent, without sending it.")
      ->capture_default_str();
  job_cmd->add_option("-o,--output", j->output, "Output format: yaml, json or name");
  job_cmd->fallthrough(true);
  job_cmd->callback([&ctx, &exit_code, j] { exit_code = RunCreateJob(ctx, *j); });
}

}  // namespace minik8s::kubectl
