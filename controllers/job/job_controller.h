// The Job controller (Kubernetes pkg/controller/job, and the
// ttlafterfinished controller's deletion): runs a Job's pods to completion.
//
// Reconcile pattern: the informer handlers only record expectations and
// enqueue "namespace/name" of the Job (or "pod:namespace/name" of a pod that
// holds the tracking finalizer but whose Job is gone); workers call
// Sync(key), which reads the listers and:
//   1. claims pods (adopts matching orphans, releases owned pods that stopped
//      matching), as the ReplicaSet controller does;
//   2. counts finished pods with the tracking finalizer
//      (batch.kubernetes.io/job-tracking, on every pod it creates) in three
//      steps, as Kubernetes does, so that a pod is counted exactly once even
//      when it is deleted or the controller restarts: its uid goes into
//      status.uncountedTerminatedPods (a status write), its finalizer is
//      removed, then the uids move into status.succeeded / status.failed.
//      A pod counts as failed when its phase is Failed or it is being
//      deleted before it succeeded;
//   3. decides the outcome: failed > backoffLimit (or, with restartPolicy
//      OnFailure, container restarts of the active pods reaching it) sets
//      FailureTarget with reason BackoffLimitExceeded; running longer than
//      activeDeadlineSeconds since startTime sets FailureTarget
//      DeadlineExceeded; succeeded reaching completions (or, without
//      completions, any success and no pod active) sets SuccessCriteriaMet
//      CompletionsReached. Active pods of a failing job are deleted; once no
//      pod is active or terminating the terminal condition follows (Failed
//      or Complete, with completionTime), as Kubernetes 1.32 does;
//   4. otherwise, with expectations satisfied: a suspended job has its
//      active pods deleted and the Suspended condition; a running one gets
//      up to min(parallelism, completions - succeeded) active pods (created
//      in slow-start batches, named <job>-<random>, with a controllerRef),
//      or has the surplus deleted (with podReplacementPolicy Failed,
//      terminating pods hold their place until they stop). After a pod
//      failure, new pods wait backoff_base * 2^(failed-1), at most
//      backoff_max (6 minutes);
//   5. writes status (active, ready, terminating, succeeded, failed,
//      startTime, completionTime, conditions, uncountedTerminatedPods).
// A finished job (Complete or Failed) with ttlSecondsAfterFinished is
// deleted (propagationPolicy Foreground) that many seconds after it
// finished. A Job whose spec.managedBy names another controller is left
// alone. Events: SuccessfulCreate, FailedCreate, SuccessfulDelete,
// FailedDelete, Completed, BackoffLimitExceeded, DeadlineExceeded,
// Suspended, Resumed.
//
// Thread safety: handlers and Sync are safe from any thread; the work queue
// keeps one key on one worker at a time. The listers' informers, the client,
// the recorder and the clock are borrowed and must outlive the controller.
#ifndef MINIK8S_CONTROLLERS_JOB_JOB_CONTROLLER_H_
#define MINIK8S_CONTROLLERS_JOB_JOB_CONTROLLER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/selector/labels.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/lister.h"
#include "client/workqueue.h"
#include "common/clock.h"
#include "controllers/job/job_client.h"
#include "controllers/util/expectations.h"
#include "controllers/util/pod_ranking.h"
#include "controllers/util/worker.h"
#include "k8s/batch/v1/batch.pb.h"
#include "k8s/core/v1/core.pb.h"

namespace minik8s::controllers {

inline constexpr char kJobTrackingFinalizer[] = "batch.kubernetes.io/job-tracking";

struct JobControllerOptions {
  int burst_pods = 500;  // creates/deletes per sync
  // The first delay before a pod replaces a failed one (Kubernetes: 10s).
  absl::Duration backoff_base = absl::Seconds(10);
  absl::Duration backoff_max = absl::Minutes(6);
  common::Clock* clock = nullptr;  // null = real clock
};

// How many pods a running job wants active (Kubernetes' manageJob):
// min(parallelism, completions - succeeded), at least 0; without
// completions, parallelism until a pod succeeded, then `active` (no new
// pods).
int32_t WantActivePods(const minik8s::batch::v1::JobSpec& spec, int32_t succeeded, int32_t active);

// The delay before new pods after `failed` failures: base * 2^(failed-1),
// at most `max`; zero without failures.
absl::Duration JobPodBackoff(int32_t failed, absl::Duration base, absl::Duration max);

// The condition of `type` with status True, or nullptr.
const minik8s::batch::v1::JobCondition* FindJobCondition(const minik8s::batch::v1::Job& job,
                                                         absl::string_view type);
// Complete or Failed is True.
bool IsJobFinished(const minik8s::batch::v1::Job& job);

class JobController {
 public:
  using JobPtr = std::shared_ptr<const minik8s::batch::v1::Job>;

  JobController(client::Lister<minik8s::batch::v1::Job> job_lister,
                client::Lister<minik8s::core::v1::Pod> pod_lister, JobClient* client,
                client::EventRecorder* recorder, JobControllerOptions options = {});
  ~JobController();

  // Adds the handlers to the informers (which must outlive the controller).
  void RegisterHandlers(client::Informer<minik8s::batch::v1::Job>* job_informer,
                        client::Informer<minik8s::core::v1::Pod>* pod_informer);
  // Starts `workers` worker threads; Stop() shuts the queue down and joins.
  void Run(int workers);
  void Stop();

  // One reconcile of Job `key` ("namespace/name"), or of an orphan pod
  // ("pod:namespace/name").
  absl::Status Sync(const std::string& key);

  // Informer handlers.
  void OnJobAdd(const JobPtr& job);
  void OnJobUpdate(const JobPtr& old_job, const JobPtr& cur);
  void OnJobDelete(const JobPtr& job);
  void OnPodAdd(const PodPtr& pod);
  void OnPodUpdate(const PodPtr& old_pod, const PodPtr& cur);
  void OnPodDelete(const PodPtr& pod);

  client::WorkQueue* queue() { return &queue_; }
  ControllerExpectations* expectations() { return &expectations_; }

 private:
  JobPtr ResolveControllerRef(const std::string& ns,
                              const minik8s::meta::v1::OwnerReference& ref) const;
  void Enqueue(const minik8s::batch::v1::Job& job);
  // Enqueues the pod's Job, or the pod itself when it holds the tracking
  // finalizer and has no Job.
  void EnqueueForPod(const minik8s::core::v1::Pod& pod);

  absl::Status SyncJob(const std::string& key);
  absl::Status SyncOrphanPod(const std::string& ns, const std::string& name);

  absl::StatusOr<std::vector<PodPtr>> ClaimPods(const minik8s::batch::v1::Job& job,
                                                const api::LabelSelector& selector,
                                                const std::vector<PodPtr>& pods);
  // Step 2 of the header: records new finished pods in `status`'s
  // uncounted lists (writing status when it added any), removes their
  // finalizers and moves them into the counters of `status`.
  absl::Status TrackFinishedPods(minik8s::batch::v1::Job* job, const std::vector<PodPtr>& pods);
  absl::Status RemoveTrackingFinalizer(const minik8s::core::v1::Pod& pod);
  // The pod's finalizer removal was sent and not yet seen in the cache.
  bool RemovingFinalizer(const minik8s::core::v1::Pod& pod);
  absl::Status CreatePods(const minik8s::batch::v1::Job& job, const std::string& key, int count);
  absl::Status DeletePods(const minik8s::batch::v1::Job& job, const std::string& key,
                          const std::vector<PodPtr>& pods);
  // Remembers `job` as written (written_).
  void RememberWritten(const minik8s::batch::v1::Job& job);
  // Step 5: writes `job`'s status when it differs from `before`.
  absl::Status WriteStatus(const minik8s::batch::v1::Job& job,
                           const minik8s::batch::v1::JobStatus& before);
  // The TTL-after-finished deletion of a finished job.
  absl::Status HandleFinished(const minik8s::batch::v1::Job& job, const std::string& key);
  void Event(const minik8s::batch::v1::Job& job, absl::string_view type, absl::string_view reason,
             absl::string_view message);

  client::Lister<minik8s::batch::v1::Job> job_lister_;
  client::Lister<minik8s::core::v1::Pod> pod_lister_;
  JobClient* const client_;
  client::EventRecorder* const recorder_;
  const JobControllerOptions options_;
  common::Clock* const clock_;
  ControllerExpectations expectations_;
  client::WorkQueue queue_;
  WorkerPool workers_;

  absl::Mutex mu_;
  // Uids of pods whose finalizer removal was sent and not yet seen in the
  // cache: they must not be counted again meanwhile.
  absl::flat_hash_set<std::string> removing_finalizer_ ABSL_GUARDED_BY(mu_);
  // When new pods may be created again after failures, per job key, with
  // the failed count that set it.
  struct Backoff {
    int32_t failed = 0;
    absl::Time not_before;
  };
  absl::flat_hash_map<std::string, Backoff> backoff_ ABSL_GUARDED_BY(mu_);
  // The Job as this controller last wrote it, per job key, until the cache
  // holds that resourceVersion or a later one: a sync never decides from a
  // status older than its own last write (counts it already made). Our
  // resourceVersions are the store's revisions, so they compare as numbers.
  absl::flat_hash_map<std::string, minik8s::batch::v1::Job> written_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minik8s::controllers

#endif  // MINIK8S_CONTROLLERS_JOB_JOB_CONTROLLER_H_
