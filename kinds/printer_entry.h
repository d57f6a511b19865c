// The printer piece of every kind in kinds.def (kinds/<name>/<name>_printer.cc,
// compiled into minik8s_printers): the kind's table columns and row
// function. printers/registry.cc lists them; a kind of another scheme (or
// Binding, Status, ...) prints the NAME/AGE fallback.
//
// Thread safety: the functions build new values.
#ifndef MINIK8S_KINDS_PRINTER_ENTRY_H_
#define MINIK8S_KINDS_PRINTER_ENTRY_H_

#include "printers/builtin_printers.h"
#include "printers/kind_printer.h"

namespace minik8s::printers {

#define MINIK8S_KIND(Name) KindPrinter Name##Printer();
#include "kinds/kinds.def"
#undef MINIK8S_KIND

}  // namespace minik8s::printers

#endif  // MINIK8S_KINDS_PRINTER_ENTRY_H_
