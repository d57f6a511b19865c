// Kubernetes' $(VAR) references (third_party/forked/golang/expansion), as
// the kubelet expands them in env values, command and args:
//
//   - `$(NAME)` is NAME's value when `lookup` knows it, and stays `$(NAME)`
//     as written when it does not;
//   - `$$` is a literal `$` (so `$$(NAME)` is `$(NAME)`, unexpanded);
//   - a `$` before anything else, an unclosed `$(`, and a `$` at the end
//     stay as they are.
//
// Pure; thread-safe.
#ifndef MINIK8S_KUBELET_EXPANSION_H_
#define MINIK8S_KUBELET_EXPANSION_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace minik8s::kubelet {

std::string ExpandReferences(
    std::string_view input,
    const std::function<std::optional<std::string>(std::string_view name)>& lookup);

}  // namespace minik8s::kubelet

#endif  // MINIK8S_KUBELET_EXPANSION_H_
