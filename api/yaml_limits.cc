#include "api/yaml_limits.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <sstream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"

namespace minik8s::api {
namespace {

std::string Where(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return "";
  return absl::StrCat("line ", mark.line + 1, ", column ", mark.column + 1, ": ");
}

absl::Status Refuse(const YAML::Mark& mark, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(Where(mark), "yaml: ", what));
}

absl::Status NestsTooDeep(const YAML::Mark& mark, size_t max_depth) {
  return Refuse(mark, absl::StrCat("the document nests deeper than ", max_depth, " levels"));
}

// Pass 1: the deepest `[`/`{` nesting of the raw text, stopping as soon as
// it passes `limit`. Skips comments (`#` at the start or after a blank) and
// quoted scalars, which start where a YAML token may: at the start of a line,
// after `[ ] { } , :` or a quoted scalar, or after `- ?`, a tag, an anchor or
// an alias and a blank (`\` escapes in double quotes, `''` in single ones).
// Closing brackets never take the count below zero.
//
// This is a heuristic, not YAML's grammar: a bracket inside a plain or block
// scalar counts as if it were a flow indicator (so the limit is loose), and a
// quote opening a continuation line of a plain scalar is taken for a quoted
// scalar. Text crafted around those slips past it to yaml-cpp, whose parser
// refuses depth ~500 itself; what yaml-cpp's scanner buffers meanwhile is of
// the order of what a flat single-line JSON document of the same size costs
// (~130-240 bytes an input token), i.e. bounded by max_bytes.
absl::Status PrescanFlowDepth(absl::string_view text, size_t limit, size_t max_depth) {
  size_t depth = 0;
  int line = 0;
  size_t line_start = 0;
  char prev = '\n';        // the last non-blank character on this line
  char word_first = '\n';  // the first character of the word `prev` ends
  bool blank = true;       // a blank (or the line start) since `prev`
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      prev = word_first = '\n';
      blank = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      blank = true;
      continue;
    }
    if (c == '#' && blank) {
      while (i + 1 < n && text[i + 1] != '\n') ++i;
      continue;
    }
    const bool token_start = prev == '\n' ||
                             (prev != '\0' && std::strchr("[]{},:\"'", prev) != nullptr) ||
                             (blank && (prev == '-' || prev == '?' || word_first == '!' ||
                                        word_first == '&' || word_first == '*'));
    if ((c == '"' || c == '\'') && token_start) {
      for (++i; i < n; ++i) {
        if (text[i] == '\n') {
          ++line;
          line_start = i + 1;
        } else if (c == '"' && text[i] == '\\') {
          if (i + 1 < n && text[i + 1] == '\n') {
            ++line;
            line_start = i + 2;
          }
          ++i;
        } else if (text[i] == c) {
          if (c == '\'' && i + 1 < n && text[i + 1] == '\'') {
            ++i;
          } else {
            break;
          }
        }
      }
      prev = word_first = c;
      blank = false;
      continue;
    }
    if (c == '[' || c == '{') {
      if (++depth > limit) {
        YAML::Mark mark = YAML::Mark::null_mark();
        mark.pos = static_cast<int>(i);
        mark.line = line;
        mark.column = static_cast<int>(i - line_start);
        return NestsTooDeep(mark, max_depth);
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    if (blank) word_first = c;
    prev = c;
    blank = false;
  }
  return absl::OkStatus();
}

// Thrown by the measuring handler to stop yaml-cpp's parser; caught in
// Measure and never seen outside this file.
struct LimitHit {
  absl::Status status;
};

// Pass 2: sizes the documents from yaml-cpp's parse events, aliases
// expanded. Every node event is one node; a scalar adds its bytes; an alias
// adds the nodes, bytes and height its anchor had when it ended.
class Measurer : public YAML::EventHandler {
 public:
  explicit Measurer(const YamlLimits& limits) : limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp (0.7) answers a stray `,` after a top-level node (`{"a":1},`,
    // `"x",`, `,`) with an endless run of empty documents that all start
    // where the one before did; a real document always starts after it.
    if (documents_ > 0 && mark.pos <= last_document_pos_) {
      Stop(Refuse(mark, "did not find expected node content"));
    }
    ++documents_;
    last_document_pos_ = mark.pos;
    anchors_.clear();  // anchor ids restart with every document
    open_.clear();
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor, 0); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Leaf(mark, anchor, value.size());
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor == YAML::NullAnchor || anchor > anchors_.size()) return;  // yaml-cpp refuses
    const Anchored& a = anchors_[anchor - 1];
    if (a.open) {
      Stop(Refuse(mark, "an alias refers to the collection that contains it"));
    }
    if (open_.size() + a.height > limits_.max_depth) {
      Stop(Refuse(mark, absl::StrCat("aliases would nest the document deeper than ",
                                     limits_.max_depth, " levels")));
    }
    alias_nodes_ += a.nodes;
    if (alias_nodes_ > limits_.max_alias_expansion) {
      Stop(Refuse(mark, absl::StrCat("aliases would expand the document by more than ",
                                     limits_.max_alias_expansion, " nodes")));
    }
    nodes_ += a.nodes;
    if (nodes_ > limits_.max_nodes) {
      Stop(Refuse(mark, absl::StrCat("aliases would expand the document beyond ", limits_.max_nodes,
                                     " nodes")));
    }
    bytes_ += a.bytes;
    if (bytes_ > limits_.max_bytes) {
      Stop(Refuse(mark, absl::StrCat("aliases would expand the document beyond ", limits_.max_bytes,
                                     " bytes")));
    }
    ChildHeight(a.height);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  // What an anchor names, once its node has ended.
  struct Anchored {
    bool open = true;  // a collection still being read
    uint64_t nodes = 0;
    uint64_t bytes = 0;
    size_t height = 0;  // collections on the deepest path (a scalar: 0)
  };
  struct Frame {
    YAML::anchor_t anchor;
    uint64_t nodes_before;
    uint64_t bytes_before;
    size_t child_height = 0;
  };

  [[noreturn]] static void Stop(absl::Status status) { throw LimitHit{std::move(status)}; }

  void CountNode(const YAML::Mark& mark, size_t bytes) {
    if (++nodes_ > limits_.max_nodes) {
      Stop(Refuse(mark, absl::StrCat("the document has more than ", limits_.max_nodes, " nodes")));
    }
    bytes_ += bytes;
    if (bytes_ > limits_.max_bytes) {
      Stop(Refuse(mark,
                  absl::StrCat("the document decodes to more than ", limits_.max_bytes, " bytes")));
    }
  }

  Anchored* Register(YAML::anchor_t anchor) {
    if (anchor == YAML::NullAnchor) return nullptr;
    // yaml-cpp numbers anchors 1, 2, ... in the order they appear.
    if (anchors_.size() < anchor) anchors_.resize(anchor);
    anchors_[anchor - 1] = Anchored{};
    return &anchors_[anchor - 1];
  }

  void ChildHeight(size_t height) {
    if (!open_.empty()) open_.back().child_height = std::max(open_.back().child_height, height);
  }

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor, size_t bytes) {
    CountNode(mark, bytes);
    if (Anchored* a = Register(anchor)) {
      a->open = false;
      a->nodes = 1;
      a->bytes = bytes;
    }
    ChildHeight(0);
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (open_.size() + 1 > limits_.max_depth) Stop(NestsTooDeep(mark, limits_.max_depth));
    CountNode(mark, 0);
    Register(anchor);
    open_.push_back(Frame{anchor, nodes_ - 1, bytes_});
  }

  void Close() {
    if (open_.empty()) return;
    const Frame frame = open_.back();
    open_.pop_back();
    const size_t height = frame.child_height + 1;
    if (frame.anchor != YAML::NullAnchor && frame.anchor <= anchors_.size()) {
      Anchored& a = anchors_[frame.anchor - 1];
      a.open = false;
      a.nodes = nodes_ - frame.nodes_before;
      a.bytes = bytes_ - frame.bytes_before;
      a.height = height;
    }
    ChildHeight(height);
  }

  const YamlLimits& limits_;
  std::vector<Anchored> anchors_;  // by anchor id - 1, this document's
  std::vector<Frame> open_;        // the collections being read
  uint64_t nodes_ = 0;             // totals over every document so far
  uint64_t bytes_ = 0;
  uint64_t alias_nodes_ = 0;
  uint64_t documents_ = 0;
  int last_document_pos_ = 0;  // where the latest document started
};

absl::Status FromYamlCpp(const YAML::Exception& e) {
  return absl::InvalidArgumentError(
      absl::StrCat(Where(e.mark), "yaml: ", e.msg.empty() ? e.what() : e.msg));
}

// Passes 1 and 2. `first_only` measures the first document, as YAML::Load
// reads it.
absl::Status Measure(absl::string_view text, const YamlLimits& limits, bool first_only) {
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: the input is larger than ", limits.max_bytes, " bytes"));
  }
  absl::Status status =
      PrescanFlowDepth(text, std::max(kPrescanDepth, limits.max_depth), limits.max_depth);
  if (!status.ok()) return status;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    Measurer measurer(limits);
    while (parser.HandleNextDocument(measurer)) {
      if (first_only) break;
    }
  } catch (const LimitHit& hit) {
    return hit.status;
  } catch (const YAML::DeepRecursion& e) {
    // Only when max_depth is above the parser's own guard (~500).
    return Refuse(e.mark, "the document nests deeper than the parser allows");
  } catch (const YAML::Exception& e) {
    return FromYamlCpp(e);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

const YamlLimits& DefaultYamlLimits() {
  static const YamlLimits kDefault{
      /*max_depth=*/256,
      /*max_alias_expansion=*/100000,
      /*max_nodes=*/1000000,
      /*max_bytes=*/16u << 20,
  };
  return kDefault;
}

absl::StatusOr<std::vector<YAML::Node>> LoadAllLimited(absl::string_view text,
                                                       const YamlLimits& limits) {
  absl::Status status = Measure(text, limits, /*first_only=*/false);
  if (!status.ok()) return status;
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return FromYamlCpp(e);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
}

absl::StatusOr<YAML::Node> LoadLimited(absl::string_view text, const YamlLimits& limits) {
  absl::Status status = Measure(text, limits, /*first_only=*/true);
  if (!status.ok()) return status;
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return FromYamlCpp(e);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
}

}  // namespace minik8s::api
