#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <typeinfo>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace minik8s::metrics {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool ValidMetricName(absl::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsNameStart(c) || IsDigit(c) || c == ':'; });
}

// [a-zA-Z_][a-zA-Z0-9_]*, and not reserved ("__" prefix).
bool ValidLabelName(absl::string_view name) {
  if (name.empty() || !IsNameStart(name[0]) || name.substr(0, 2) == "__") return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsNameStart(c) || IsDigit(c); });
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// The series names a family writes.
std::vector<std::string> SeriesNames(const Family& f) {
  if (f.type() != MetricType::kHistogram) return {f.name()};
  return {f.name(), f.name() + "_bucket", f.name() + "_sum", f.name() + "_count"};
}

bool SameDefinition(const Family& a, const Family& b) {
  if (typeid(a) != typeid(b) || a.help() != b.help() || a.label_names() != b.label_names()) {
    return false;
  }
  const auto* ha = dynamic_cast<const HistogramFamily*>(&a);
  const auto* hb = dynamic_cast<const HistogramFamily*>(&b);
  return ha == nullptr || ha->buckets() == hb->buckets();
}

absl::Status CheckLabelNames(const std::string& metric, const std::vector<std::string>& names,
                             bool histogram) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (!ValidLabelName(names[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", metric, ": invalid label name \"", names[i], "\""));
    }
    if (histogram && names[i] == "le") {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram ", metric, ": the label name \"le\" is reserved"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (names[i] == names[j]) {
        return absl::InvalidArgumentError(
            absl::StrCat("metric ", metric, ": label name \"", names[i], "\" repeated"));
      }
    }
  }
  return absl::OkStatus();
}

// Drops a trailing +Inf and checks the rest.
absl::StatusOr<std::vector<double>> CheckBuckets(const std::string& metric,
                                                 std::vector<double> buckets) {
  if (!buckets.empty() && std::isinf(buckets.back()) && buckets.back() > 0) buckets.pop_back();
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i])) {
      return absl::InvalidArgumentError(absl::StrCat("histogram ", metric, ": bucket bound ",
                                                     FormatValue(buckets[i]),
                                                     " is not a finite number"));
    }
    if (i > 0 && !(buckets[i - 1] < buckets[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram ", metric, ": bucket bounds must increase strictly (",
                       FormatValue(buckets[i - 1]), " then ", FormatValue(buckets[i]), ")"));
    }
  }
  return buckets;
}

void AtomicAdd(std::atomic<double>& a, double v) { a.fetch_add(v, std::memory_order_relaxed); }

void AppendSample(std::string* out, absl::string_view name, const std::string& labels,
                  double value) {
  absl::StrAppend(out, name, labels, " ", FormatValue(value), "\n");
}

template <typename F>
absl::StatusOr<F*> RegisterAs(Registry& registry, std::unique_ptr<F> family) {
  absl::StatusOr<Family*> f = registry.Register(std::move(family));
  if (!f.ok()) return f.status();
  // Register returns a family of the same dynamic type or an error.
  return static_cast<F*>(*f);
}

}  // namespace

// --- Text format ---

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";
  // The shortest digits that read back as v, then Go's 'g' layout: %e when
  // the exponent is below -4 or at least 6 (the precision Go uses for this
  // decision when formatting with the shortest digits), else %f.
  char buf[64];
  const std::to_chars_result r =
      std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  absl::string_view s(buf, r.ptr - buf);
  std::string out;
  if (s[0] == '-') {
    out = "-";
    s.remove_prefix(1);
  }
  const size_t e = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  const int exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  if (exp < -4 || exp >= 6) {
    out.push_back(digits[0]);
    if (digits.size() > 1) absl::StrAppend(&out, ".", digits.substr(1));
    absl::StrAppend(&out, exp < 0 ? "e-" : "e+", std::abs(exp) < 10 ? "0" : "", std::abs(exp));
    return out;
  }
  if (exp < 0) {
    absl::StrAppend(&out, "0.", std::string(-exp - 1, '0'), digits);
    return out;
  }
  const size_t int_digits = exp + 1;
  if (digits.size() <= int_digits) {
    absl::StrAppend(&out, digits, std::string(int_digits - digits.size(), '0'));
  } else {
    absl::StrAppend(&out, digits.substr(0, int_digits), ".", digits.substr(int_digits));
  }
  return out;
}

std::string EscapeLabelValue(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// --- Children ---

void Counter::Add(double v) {
  if (!(v >= 0)) return;
  AtomicAdd(value_, v);
}

void Gauge::Add(double v) { AtomicAdd(value_, v); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  const size_t i = std::isnan(v)
                       ? bounds_->size()
                       : std::lower_bound(bounds_->begin(), bounds_->end(), v) - bounds_->begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.cumulative.resize(bounds_->size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// --- Families ---

namespace internal {

size_t LabelsHash::operator()(LabelValues values) const {
  size_t h = values.size();
  for (absl::string_view v : values) h = absl::Hash<std::pair<size_t, absl::string_view>>()({h, v});
  return h;
}

size_t LabelsHash::operator()(const std::vector<std::string>& values) const {
  size_t h = values.size();
  for (absl::string_view v : values) h = absl::Hash<std::pair<size_t, absl::string_view>>()({h, v});
  return h;
}

bool LabelsEq::operator()(LabelValues a, const std::vector<std::string>& b) const {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace internal

std::string Family::FormatLabels(const std::vector<std::string>& values,
                                 absl::string_view extra_name,
                                 absl::string_view extra_value) const {
  if (label_names_.empty() && extra_name.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? "," : "", label_names_[i], "=\"", EscapeLabelValue(values[i]),
                    "\"");
  }
  if (!extra_name.empty()) {
    absl::StrAppend(&out, label_names_.empty() ? "" : ",", extra_name, "=\"",
                    EscapeLabelValue(extra_value), "\"");
  }
  out += "}";
  return out;
}

template <typename Child>
ChildFamily<Child>::ChildFamily(std::string name, std::string help, MetricType type,
                                std::vector<std::string> label_names)
    : Family(std::move(name), std::move(help), type, std::move(label_names)) {}

template <typename Child>
absl::StatusOr<Child*> ChildFamily<Child>::Get(LabelValues values) {
  if (values.size() != label_names().size()) {
    return absl::InvalidArgumentError(absl::StrCat("metric ", name(), " has ", label_names().size(),
                                                   " labels (", absl::StrJoin(label_names(), ","),
                                                   "), got ", values.size(), " values"));
  }
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = children_.find(values);
    if (it != children_.end()) return it->second.get();
  }
  absl::MutexLock lock(&mu_);
  auto it = children_.find(values);
  if (it == children_.end()) {
    it =
        children_.emplace(std::vector<std::string>(values.begin(), values.end()), NewChild()).first;
  }
  return it->second.get();
}

template <typename Child>
Child& ChildFamily<Child>::WithLabelValues(LabelValues values) {
  absl::StatusOr<Child*> child = Get(values);
  if (child.ok()) return **child;
  absl::MutexLock lock(&mu_);
  if (detached_ == nullptr) {
    // Logged once per family: the call site is usually on a hot path.
    spdlog::error("{} (further such calls are not logged)", std::string(child.status().message()));
    detached_ = NewChild();
  }
  return *detached_;
}

template <typename Child>
Child& ChildFamily<Child>::WithLabelValues(const std::vector<std::string>& values) {
  std::vector<absl::string_view> views(values.begin(), values.end());
  return WithLabelValues(LabelValues(views));
}

template <typename Child>
std::vector<std::pair<const std::vector<std::string>*, const Child*>>
ChildFamily<Child>::SortedChildren() const {
  std::vector<std::pair<const std::vector<std::string>*, const Child*>> out;
  {
    absl::ReaderMutexLock lock(&mu_);
    out.reserve(children_.size());
    for (const auto& [labels, child] : children_) out.emplace_back(&labels, child.get());
  }
  // Keys and children never move (node-based map) or go away (never erased),
  // so they may be read after the lock is released.
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  return out;
}

template class ChildFamily<Counter>;
template class ChildFamily<Gauge>;
template class ChildFamily<Histogram>;

CounterFamily::CounterFamily(std::string name, std::string help,
                             std::vector<std::string> label_names)
    : ChildFamily(std::move(name), std::move(help), MetricType::kCounter, std::move(label_names)) {
  if (this->label_names().empty()) WithLabelValues(LabelValues());
}

void CounterFamily::AppendSamples(std::string* out) const {
  for (const auto& [labels, child] : SortedChildren()) {
    AppendSample(out, name(), FormatLabels(*labels), child->Value());
  }
}

GaugeFamily::GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : ChildFamily(std::move(name), std::move(help), MetricType::kGauge, std::move(label_names)) {
  if (this->label_names().empty()) WithLabelValues(LabelValues());
}

void GaugeFamily::AppendSamples(std::string* out) const {
  for (const auto& [labels, child] : SortedChildren()) {
    AppendSample(out, name(), FormatLabels(*labels), child->Value());
  }
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names, std::vector<double> buckets)
    : ChildFamily(std::move(name), std::move(help), MetricType::kHistogram, std::move(label_names)),
      buckets_(std::move(buckets)) {
  if (this->label_names().empty()) WithLabelValues(LabelValues());
}

void HistogramFamily::AppendSamples(std::string* out) const {
  const std::string bucket_name = name() + "_bucket";
  const std::string sum_name = name() + "_sum";
  const std::string count_name = name() + "_count";
  for (const auto& [labels, child] : SortedChildren()) {
    const Histogram::Snapshot s = child->Read();
    for (size_t i = 0; i < buckets_.size(); ++i) {
      AppendSample(out, bucket_name, FormatLabels(*labels, "le", FormatValue(buckets_[i])),
                   static_cast<double>(s.cumulative[i]));
    }
    AppendSample(out, bucket_name, FormatLabels(*labels, "le", "+Inf"),
                 static_cast<double>(s.count));
    const std::string plain = FormatLabels(*labels);
    AppendSample(out, sum_name, plain, s.sum);
    AppendSample(out, count_name, plain, static_cast<double>(s.count));
  }
}

GaugeFuncFamily::GaugeFuncFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names)
    : Family(std::move(name), std::move(help), MetricType::kGauge, std::move(label_names)) {}

GaugeFuncFamily::Registration::~Registration() {
  absl::MutexLock lock(&family_->mu_);
  auto& cbs = family_->callbacks_;
  cbs.erase(std::remove_if(cbs.begin(), cbs.end(), [&](const auto& c) { return c.first == id_; }),
            cbs.end());
}

std::unique_ptr<GaugeFuncFamily::Registration> GaugeFuncFamily::AddCallback(Callback callback) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  callbacks_.emplace_back(id, std::move(callback));
  return std::unique_ptr<Registration>(new Registration(this, id));
}

void GaugeFuncFamily::AppendSamples(std::string* out) const {
  absl::flat_hash_map<std::vector<std::string>, double> values;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, callback] : callbacks_) {
      for (Sample& s : callback()) {
        if (s.label_values.size() != label_names().size()) {
          spdlog::warn("metric {}: a callback reported {} label values for {} labels; left out",
                       name(), s.label_values.size(), label_names().size());
          continue;
        }
        values.try_emplace(std::move(s.label_values), s.value);
      }
    }
  }
  std::vector<std::pair<const std::vector<std::string>*, double>> sorted;
  sorted.reserve(values.size());
  for (const auto& [labels, v] : values) sorted.emplace_back(&labels, v);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (const auto& [labels, v] : sorted) AppendSample(out, name(), FormatLabels(*labels), v);
}

// --- Registry ---

Registry& Registry::Default() {
  static Registry* const registry = new Registry();
  return *registry;
}

absl::StatusOr<Family*> Registry::Register(std::unique_ptr<Family> family) {
  if (family == nullptr) return absl::InvalidArgumentError("no family to register");
  if (!ValidMetricName(family->name())) {
    return absl::InvalidArgumentError(absl::StrCat("invalid metric name \"", family->name(), "\""));
  }
  if (absl::Status s = CheckLabelNames(family->name(), family->label_names(),
                                       family->type() == MetricType::kHistogram);
      !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&mu_);
  auto pos = std::lower_bound(families_.begin(), families_.end(), family->name(),
                              [](const auto& f, const std::string& n) { return f->name() < n; });
  if (pos != families_.end() && (*pos)->name() == family->name()) {
    if (SameDefinition(**pos, *family)) return pos->get();
    return absl::AlreadyExistsError(
        absl::StrCat("metric ", family->name(),
                     " is already registered with another type, help, label names or buckets"));
  }
  const std::vector<std::string> series = SeriesNames(*family);
  for (const std::string& s : series) {
    if (series_names_.contains(s)) {
      return absl::AlreadyExistsError(absl::StrCat("metric ", family->name(), ": the series name ",
                                                   s, " is taken by another metric"));
    }
  }
  series_names_.insert(series.begin(), series.end());
  return families_.insert(pos, std::move(family))->get();
}

std::string Registry::Expose() const {
  std::vector<const Family*> families;
  {
    absl::ReaderMutexLock lock(&mu_);
    families.reserve(families_.size());
    for (const auto& f : families_) families.push_back(f.get());
  }
  // Families are never removed, so they may be read after the lock is
  // released; collecting outside it keeps slow callbacks from blocking
  // registrations.
  std::string out;
  std::string samples;
  for (const Family* f : families) {
    samples.clear();
    f->AppendSamples(&samples);
    if (samples.empty()) continue;
    if (!f->help().empty())
      absl::StrAppend(&out, "# HELP ", f->name(), " ", EscapeHelp(f->help()), "\n");
    absl::StrAppend(&out, "# TYPE ", f->name(), " ", TypeName(f->type()), "\n", samples);
  }
  return out;
}

absl::StatusOr<CounterFamily*> NewCounter(Registry& registry, std::string name, std::string help,
                                          std::vector<std::string> label_names) {
  return RegisterAs(registry, std::make_unique<CounterFamily>(std::move(name), std::move(help),
                                                              std::move(label_names)));
}

absl::StatusOr<GaugeFamily*> NewGauge(Registry& registry, std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  return RegisterAs(registry, std::make_unique<GaugeFamily>(std::move(name), std::move(help),
                                                            std::move(label_names)));
}

absl::StatusOr<HistogramFamily*> NewHistogram(Registry& registry, std::string name,
                                              std::string help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> buckets) {
  absl::StatusOr<std::vector<double>> checked = CheckBuckets(name, std::move(buckets));
  if (!checked.ok()) return checked.status();
  return RegisterAs(registry,
                    std::make_unique<HistogramFamily>(std::move(name), std::move(help),
                                                      std::move(label_names), *std::move(checked)));
}

absl::StatusOr<GaugeFuncFamily*> NewGaugeFunc(Registry& registry, std::string name,
                                              std::string help,
                                              std::vector<std::string> label_names) {
  return RegisterAs(registry, std::make_unique<GaugeFuncFamily>(std::move(name), std::move(help),
                                                                std::move(label_names)));
}

std::vector<double> DefaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> KubernetesLatencyBuckets() {
  return {0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2,
          3,     4,     5,    6,   8,   10,  15,  20,  30,  45,   60};
}

absl::StatusOr<std::vector<double>> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1 || count > 1000 || !std::isfinite(start) ||
      !std::isfinite(factor)) {
    return absl::InvalidArgumentError(
        absl::StrCat("exponential buckets need start > 0, factor > 1 and 1 <= count <= 1000 (got ",
                     FormatValue(start), ", ", FormatValue(factor), ", ", count, ")"));
  }
  std::vector<double> out;
  out.reserve(count);
  double b = start;
  for (int i = 0; i < count; ++i, b *= factor) {
    if (!std::isfinite(b)) {
      return absl::InvalidArgumentError(absl::StrCat("exponential buckets from ",
                                                     FormatValue(start), " by ",
                                                     FormatValue(factor), " reach +Inf"));
    }
    out.push_back(b);
  }
  return out;
}

}  // namespace minik8s::metrics
