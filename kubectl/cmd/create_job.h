// The Job `create job NAME --image=IMG [-- COMMAND [ARG...]]` builds, as
// kubectl's: one container named after the Job running IMG, the words after
// `--` as its command, restartPolicy Never; selector and labels are left to
// the apiserver (it generates them).
//
// Thread safety: pure functions.
#ifndef MINIK8S_KUBECTL_CMD_CREATE_JOB_H_
#define MINIK8S_KUBECTL_CMD_CREATE_JOB_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/batch/v1/batch.pb.h"

namespace minik8s::kubectl {

inline absl::StatusOr<batch::v1::Job> BuildJob(const std::string& name, const std::string& image,
                                               const std::vector<std::string>& command) {
  if (name.empty()) return absl::InvalidArgumentError("NAME is required");
  if (image.empty())
    return absl::InvalidArgumentError("either --image or --from must be specified");
  batch::v1::Job job;
  job.mutable_metadata()->set_name(name);
  auto* tmpl = job.mutable_spec()->mutable_template_();
  tmpl->mutable_metadata();  // kubectl sends `metadata: {}`
  auto* c = tmpl->mutable_spec()->add_containers();
  c->set_name(name);
  c->set_image(image);
  for (const std::string& word : command) c->add_command(word);
  c->mutable_resources();
  tmpl->mutable_spec()->set_restart_policy("Never");
  return job;
}

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_CREATE_JOB_H_
