// Prometheus metrics: counters, gauges, histograms and callback gauges in a
// registry, exposed in the Prometheus text format, version 0.0.4 (what a
// Kubernetes component serves on /metrics).
//
//   metrics::Registry& r = metrics::Registry::Default();
//   metrics::CounterFamily* requests = *metrics::NewCounter(
//       r, "apiserver_request_total", "Requests by verb and code.", {"verb", "code"});
//   requests->WithLabelValues({"GET", "200"}).Inc();
//   std::string body = r.Expose();  // Content-Type: kTextContentType
//
// A family has a name, a help text and label names fixed at creation; its
// children (one per distinct tuple of label values) are created on first use
// and live as long as the registry, so a caller may keep a `Counter&` and
// skip the lookup on later calls. WithLabelValues is a hash lookup under a
// reader lock; Inc/Add/Set/Observe on a child are lock-free atomics.
//
// Registering a name a second time returns the family registered first when
// the type, help, label names (and histogram buckets) are the same, so two
// parts of a program (or two instances of a component in one test process)
// may both ask for it; anything else is AlreadyExists.
//
// Exposition follows client_golang: families sorted by name, children by
// label values, `# HELP` and `# TYPE` before each family, a labelled family
// without children left out, an unlabelled one always present (its single
// child starts at 0), numbers formatted as Go's strconv 'g' with the shortest
// precision ("1", "0.005", "1e+06", "+Inf", "-Inf", "NaN").
//
// Thread safety: everything here may be called from any thread.
#ifndef MINIK8S_COMMON_METRICS_H_
#define MINIK8S_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace minik8s::metrics {

// The Content-Type of Registry::Expose()'s text.
inline constexpr char kTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Label values in the order of the family's label names. Converts from a
// braced list of strings: WithLabelValues({"GET", "pods"}).
using LabelValues = absl::Span<const absl::string_view>;

// --- Children: one time series each (a histogram: one set of series). ---

// A monotonically increasing value.
class Counter {
 public:
  void Inc() { Add(1); }
  // Negative and NaN increments are ignored: a counter never goes down.
  void Add(double v);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v);
  void Inc() { Add(1); }
  void Dec() { Add(-1); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into buckets with upper bounds (inclusive) plus an
// implicit +Inf bucket, with their sum and count.
class Histogram {
 public:
  // `bounds` (strictly increasing, finite) is owned by the family and outlives
  // the child.
  explicit Histogram(const std::vector<double>* bounds);
  // NaN lands in the +Inf bucket (and makes the sum NaN), as client_golang.
  void Observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  // A reader racing with Observe may see an observation in the buckets and
  // the count but not yet in the sum; buckets and count always agree.
  Snapshot Read() const;

 private:
  const std::vector<double>* bounds_;
  // Non-cumulative: counts_[i] for (bounds[i-1], bounds[i]], the last for
  // (bounds.back(), +Inf). Cumulated when read.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// --- Families ---

enum class MetricType { kCounter, kGauge, kHistogram };

namespace internal {

// Hash and equality over label values that let a lookup by string_views find
// a key stored as strings without building one.
struct LabelsHash {
  using is_transparent = void;
  size_t operator()(LabelValues values) const;
  size_t operator()(const std::vector<std::string>& values) const;
};
struct LabelsEq {
  using is_transparent = void;
  bool operator()(LabelValues a, const std::vector<std::string>& b) const;
  bool operator()(const std::vector<std::string>& a, LabelValues b) const { return (*this)(b, a); }
  bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const {
    return a == b;
  }
};

}  // namespace internal

// What every family shares; the registry exposes families through it.
class Family {
 public:
  virtual ~Family() = default;
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends this family's samples (no HELP/TYPE lines), children sorted by
  // label values; appends nothing when there is nothing to expose. Used by
  // Registry::Expose.
  virtual void AppendSamples(std::string* out) const = 0;

 protected:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}

  // Label values as they are exposed: `{a="x",b="y"}` (escaped), with
  // `extra_name="extra_value"` last when given (a histogram's `le`); "" when
  // there are no labels at all.
  std::string FormatLabels(const std::vector<std::string>& values,
                           absl::string_view extra_name = {},
                           absl::string_view extra_value = {}) const;

 private:
  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
};

// A family whose children are created on demand by label values.
template <typename Child>
class ChildFamily : public Family {
 public:
  // The child for these label values (created at 0 on first use); the
  // reference stays valid as long as the registry. A call with the wrong
  // number of values is a programming error: it is logged (the first time)
  // and gets a child that is never exposed, so the caller does not crash.
  Child& WithLabelValues(std::initializer_list<absl::string_view> values) {
    return WithLabelValues(LabelValues(values.begin(), values.size()));
  }
  Child& WithLabelValues(LabelValues values);
  Child& WithLabelValues(const std::vector<std::string>& values);
  // As WithLabelValues, but InvalidArgument for the wrong number of values.
  absl::StatusOr<Child*> Get(LabelValues values);

 protected:
  ChildFamily(std::string name, std::string help, MetricType type,
              std::vector<std::string> label_names);
  virtual std::unique_ptr<Child> NewChild() const = 0;
  // Children sorted by label values; the pointers live as long as the family.
  std::vector<std::pair<const std::vector<std::string>*, const Child*>> SortedChildren() const;

 private:
  mutable absl::Mutex mu_;
  // Node-based: keys and children keep their addresses across rehashes, so
  // SortedChildren may hand out pointers to them.
  absl::node_hash_map<std::vector<std::string>, std::unique_ptr<Child>, internal::LabelsHash,
                      internal::LabelsEq>
      children_ ABSL_GUARDED_BY(mu_);
  // Handed out for calls with the wrong number of label values.
  std::unique_ptr<Child> detached_ ABSL_GUARDED_BY(mu_);
};

class CounterFamily : public ChildFamily<Counter> {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
  void AppendSamples(std::string* out) const override;

 protected:
  std::unique_ptr<Counter> NewChild() const override { return std::make_unique<Counter>(); }
};

class GaugeFamily : public ChildFamily<Gauge> {
 public:
  GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names);
  void AppendSamples(std::string* out) const override;

 protected:
  std::unique_ptr<Gauge> NewChild() const override { return std::make_unique<Gauge>(); }
};

class HistogramFamily : public ChildFamily<Histogram> {
 public:
  // `buckets` must have been checked by CheckBuckets.
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> buckets);
  void AppendSamples(std::string* out) const override;
  // The upper bounds without the implicit +Inf.
  const std::vector<double>& buckets() const { return buckets_; }

 protected:
  std::unique_ptr<Histogram> NewChild() const override {
    return std::make_unique<Histogram>(&buckets_);
  }

 private:
  const std::vector<double> buckets_;
};

// Gauges read at exposition time: each callback returns samples (label
// values + value), e.g. the number of stored objects per resource. Several
// callbacks may feed one family; when two report the same label values, the
// one added first wins, so the exposition never repeats a series.
class GaugeFuncFamily : public Family {
 public:
  struct Sample {
    std::vector<std::string> label_values;
    double value = 0;
  };
  using Callback = std::function<std::vector<Sample>()>;

  // Removes its callback when destroyed; after the destructor returns the
  // callback is not running and never runs again. Must not outlive the
  // family (that is, the registry).
  class Registration {
   public:
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    friend class GaugeFuncFamily;
    Registration(GaugeFuncFamily* family, uint64_t id) : family_(family), id_(id) {}
    GaugeFuncFamily* family_;
    uint64_t id_;
  };

  GaugeFuncFamily(std::string name, std::string help, std::vector<std::string> label_names);

  // Callbacks run during Registry::Expose on the exposing thread, under this
  // family's lock: they must be quick and must not call into this registry
  // (or destroy their own Registration). Samples with the wrong number of
  // label values are logged and left out.
  [[nodiscard]] std::unique_ptr<Registration> AddCallback(Callback callback);

  void AppendSamples(std::string* out) const override;

 private:
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::pair<uint64_t, Callback>> callbacks_ ABSL_GUARDED_BY(mu_);
};

// A set of families, exposed together.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The process-wide registry (never destroyed).
  static Registry& Default();

  // Every family in the text format 0.0.4, sorted by name.
  std::string Expose() const;

  // Adds a family, or returns the equal one already registered under its name
  // (see the file comment). The New* functions below are the usual way in.
  absl::StatusOr<Family*> Register(std::unique_ptr<Family> family);

 private:
  mutable absl::Mutex mu_;
  // Sorted by name; families are never removed.
  std::vector<std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
  // Every series name in use (a histogram takes name_bucket, name_sum and
  // name_count as well), so that a counter "x_count" cannot clash with a
  // histogram "x".
  absl::flat_hash_set<std::string> series_names_ ABSL_GUARDED_BY(mu_);
};

// Creating families. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]* without a leading "__" and without repeats;
// histograms may not use the label "le". InvalidArgument when they do not.
// The family lives as long as the registry.
absl::StatusOr<CounterFamily*> NewCounter(Registry& registry, std::string name, std::string help,
                                          std::vector<std::string> label_names = {});
absl::StatusOr<GaugeFamily*> NewGauge(Registry& registry, std::string name, std::string help,
                                      std::vector<std::string> label_names = {});
// `buckets`: strictly increasing upper bounds, none NaN; a trailing +Inf is
// dropped (it is always there); empty means only +Inf.
absl::StatusOr<HistogramFamily*> NewHistogram(Registry& registry, std::string name,
                                              std::string help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> buckets);
absl::StatusOr<GaugeFuncFamily*> NewGaugeFunc(Registry& registry, std::string name,
                                              std::string help,
                                              std::vector<std::string> label_names = {});

// Bucket helpers.
// Prometheus' default buckets (client_golang DefBuckets): .005 .. 10 seconds.
std::vector<double> DefaultBuckets();
// Kubernetes' request latency buckets (apiserver_request_duration_seconds):
// 5 ms .. 60 s.
std::vector<double> KubernetesLatencyBuckets();
// start, start*factor, ... (`count` bounds); InvalidArgument unless
// start > 0, factor > 1, 1 <= count <= 1000 and every bound is finite.
absl::StatusOr<std::vector<double>> ExponentialBuckets(double start, double factor, int count);

// Text-format helpers, exposed for tests and for other exposition code.
// A number as client_golang writes it (Go strconv 'g', shortest).
std::string FormatValue(double v);
// A label value with \ " and newline escaped.
std::string EscapeLabelValue(absl::string_view v);
// A HELP text with \ and newline escaped.
std::string EscapeHelp(absl::string_view help);

}  // namespace minik8s::metrics

#endif  // MINIK8S_COMMON_METRICS_H_
