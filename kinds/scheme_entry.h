// The scheme piece of every kind in kinds.def (kinds/<name>/<name>_scheme.cc,
// compiled into minik8s_api): its names, scope and message types.
// api/scheme.cc registers them in kinds.def's order.
//
// Thread safety: the functions build new values.
#ifndef MINIK8S_KINDS_SCHEME_ENTRY_H_
#define MINIK8S_KINDS_SCHEME_ENTRY_H_

#include <string>
#include <utility>
#include <vector>

#include "api/scheme.h"

namespace minik8s::api {

#define MINIK8S_KIND(Name) KindInfo Name##Scheme();
#include "kinds/kinds.def"
#undef MINIK8S_KIND

// A v1 stored resource with message T and list message L ("<Kind>List").
template <typename T, typename L>
KindInfo ResourceKind(std::string group, std::string kind, std::string resource,
                      std::string singular, std::vector<std::string> short_names, bool namespaced) {
  KindInfo info;
  info.group = std::move(group);
  info.version = "v1";
  info.kind = kind;
  info.list_kind = kind + "List";
  info.resource = std::move(resource);
  info.singular = std::move(singular);
  info.short_names = std::move(short_names);
  info.namespaced = namespaced;
  info.descriptor = T::descriptor();
  info.list_descriptor = L::descriptor();
  return info;
}

}  // namespace minik8s::api

#endif  // MINIK8S_KINDS_SCHEME_ENTRY_H_
