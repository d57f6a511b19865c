// batch/v1 Job: defaulting, selector generation and validation
// (api/validation/validation_batch.h), with Kubernetes' messages.
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/validation/defaults.h"
#include "api/validation/validation.h"
#include "api/validation/validation_batch.h"
#include "gtest/gtest.h"

namespace minik8s::validation {
namespace {

using minik8s::batch::v1::Job;

std::vector<std::string> Strings(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs) out.push_back(e.ToString());
  return out;
}

// What `kubectl create job pi --image=perl -- perl -e 1` sends, after the
// apiserver's defaulting and selector generation.
Job CreatedJob() {
  Job job;
  job.mutable_metadata()->set_name("pi");
  job.mutable_metadata()->set_namespace_("default");
  job.mutable_metadata()->set_uid("1234-uid");
  auto* c = job.mutable_spec()->mutable_template_()->mutable_spec()->add_containers();
  c->set_name("pi");
  c->set_image("perl:5.34");
  c->add_command("perl");
  job.mutable_spec()->mutable_template_()->mutable_spec()->set_restart_policy("Never");
  SetDefaults(&job);
  GenerateJobSelector(&job);
  return job;
}

TEST(JobDefaults, AsKubernetes) {
  Job job = CreatedJob();
  const auto& spec = job.spec();
  EXPECT_EQ(spec.completions(), 1);
  EXPECT_EQ(spec.parallelism(), 1);
  EXPECT_EQ(spec.backoff_limit(), 6);
  EXPECT_EQ(spec.completion_mode(), "NonIndexed");
  EXPECT_TRUE(spec.has_suspend());
  EXPECT_FALSE(spec.suspend());
  EXPECT_EQ(spec.pod_replacement_policy(), "TerminatingOrFailed");
  EXPECT_EQ(spec.template_().spec().termination_grace_period_seconds(), 30);
  EXPECT_EQ(spec.template_().spec().containers(0).image_pull_policy(), "IfNotPresent");

  // Parallelism alone leaves completions unset (a work-queue job).
  Job queue;
  queue.mutable_spec()->set_parallelism(3);
  SetDefaults(&queue);
  EXPECT_FALSE(queue.spec().has_completions());
  EXPECT_EQ(queue.spec().parallelism(), 3);
  // Completions alone: parallelism 1.
  Job fixed;
  fixed.mutable_spec()->set_completions(5);
  SetDefaults(&fixed);
  EXPECT_EQ(fixed.spec().completions(), 5);
  EXPECT_EQ(fixed.spec().parallelism(), 1);
}

TEST(JobDefaults, GeneratedSelectorAndTemplateLabels) {
  Job job = CreatedJob();
  EXPECT_TRUE(job.spec().has_manual_selector());
  EXPECT_FALSE(job.spec().manual_selector());
  EXPECT_EQ(api::EncodeJson(job.spec().selector()),
            R"({"matchLabels":{"batch.kubernetes.io/controller-uid":"1234-uid"}})");
  const auto& labels = job.spec().template_().metadata().labels();
  EXPECT_EQ(labels.at("batch.kubernetes.io/controller-uid"), "1234-uid");
  EXPECT_EQ(labels.at("batch.kubernetes.io/job-name"), "pi");
  EXPECT_EQ(labels.at("controller-uid"), "1234-uid");
  EXPECT_EQ(labels.at("job-name"), "pi");
  EXPECT_TRUE(ValidateJob(job).empty()) << ::testing::PrintToString(Strings(ValidateJob(job)));
  EXPECT_EQ(QualifiedKind(job), "Job.batch");
}

TEST(JobDefaults, ManualSelectorIsKept) {
  Job job;
  job.mutable_metadata()->set_name("m");
  job.mutable_metadata()->set_namespace_("default");
  job.mutable_metadata()->set_uid("u");
  job.mutable_spec()->set_manual_selector(true);
  (*job.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "m";
  (*job.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = "m";
  auto* c = job.mutable_spec()->mutable_template_()->mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("busybox");
  job.mutable_spec()->mutable_template_()->mutable_spec()->set_restart_policy("OnFailure");
  SetDefaults(&job);
  GenerateJobSelector(&job);
  EXPECT_EQ(job.spec().template_().metadata().labels().size(), 1u);
  EXPECT_TRUE(ValidateJob(job).empty()) << ::testing::PrintToString(Strings(ValidateJob(job)));
}

TEST(JobValidation, RestartPolicyMustBeNeverOrOnFailure) {
  Job job = CreatedJob();
  job.mutable_spec()->mutable_template_()->mutable_spec()->clear_restart_policy();
  SetDefaults(&job);  // Always, as Kubernetes defaults a pod template
  EXPECT_EQ(Strings(ValidateJob(job)),
            std::vector<std::string>{"spec.template.spec.restartPolicy: Unsupported value: "
                                     "\"Always\": supported values: \"OnFailure\", \"Never\""});
}

TEST(JobValidation, NegativeCountsAndUnsupportedModes) {
  Job job = CreatedJob();
  job.mutable_spec()->set_parallelism(-1);
  job.mutable_spec()->set_completions(-2);
  job.mutable_spec()->set_backoff_limit(-3);
  job.mutable_spec()->set_active_deadline_seconds(-4);
  job.mutable_spec()->set_ttl_seconds_after_finished(-5);
  job.mutable_spec()->set_completion_mode("Sometimes");
  job.mutable_spec()->set_pod_replacement_policy("Never");
  EXPECT_EQ(Strings(ValidateJob(job)),
            (std::vector<std::string>{
                "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
                "spec.completions: Invalid value: -2: must be greater than or equal to 0",
                "spec.activeDeadlineSeconds: Invalid value: -4: must be greater than or equal to 0",
                "spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0",
                "spec.ttlSecondsAfterFinished: Invalid value: -5: must be greater than or equal "
                "to 0",
                "spec.completionMode: Unsupported value: \"Sometimes\": supported values: "
                "\"NonIndexed\"",
                "spec.podReplacementPolicy: Unsupported value: \"Never\": supported values: "
                "\"Failed\", \"TerminatingOrFailed\""}));
}

TEST(JobValidation, SelectorMustBeGeneratedAndMatchTheTemplate) {
  Job job = CreatedJob();
  (*job.mutable_spec()
        ->mutable_selector()
        ->mutable_match_labels())["batch.kubernetes.io/controller-uid"] = "other";
  const std::vector<std::string> errs = Strings(ValidateJob(job));
  ASSERT_EQ(errs.size(), 2u) << ::testing::PrintToString(errs);
  EXPECT_NE(errs[0].find("spec.selector: Invalid value: "), std::string::npos) << errs[0];
  EXPECT_NE(errs[0].find("`selector` not auto-generated"), std::string::npos) << errs[0];
  EXPECT_NE(errs[1].find("spec.template.metadata.labels: Invalid value: "), std::string::npos);
  EXPECT_NE(errs[1].find("`selector` does not match template `labels`"), std::string::npos);

  Job no_selector = CreatedJob();
  no_selector.mutable_spec()->clear_selector();
  EXPECT_EQ(Strings(ValidateJob(no_selector)),
            std::vector<std::string>{"spec.selector: Required value"});
}

TEST(JobValidation, UpdateKeepsSelectorTemplateAndCompletions) {
  Job old = CreatedJob();
  old.mutable_metadata()->set_resource_version("5");
  Job job = old;
  job.mutable_spec()->set_parallelism(4);  // allowed
  job.mutable_spec()->set_suspend(true);   // allowed
  job.mutable_spec()->set_active_deadline_seconds(30);
  EXPECT_TRUE(ValidateJobUpdate(job, old).empty());

  job.mutable_spec()->set_completions(3);
  job.mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image("x");
  EXPECT_EQ(Strings(ValidateJobUpdate(job, old)),
            (std::vector<std::string>{
                "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable",
                "spec.completions: Invalid value: 3: field is immutable"}));
}

}  // namespace
}  // namespace minik8s::validation
