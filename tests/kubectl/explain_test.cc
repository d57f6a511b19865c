// kubectl explain's plain text from an OpenAPI v3 document
// (kubectl/printers/explain.h): type names, descriptions, required fields,
// field paths, --recursive over a schema that refers to itself.
#include "kubectl/printers/explain.h"

#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {
namespace {

constexpr char kDocument[] = R"({"components":{"schemas":{
  "io.example.v1.Widget":{"type":"object","description":"A widget.",
    "required":["spec"],
    "x-kubernetes-group-version-kind":[{"group":"example.io","kind":"Widget","version":"v1"}],
    "properties":{
      "spec":{"$ref":"#/components/schemas/io.example.v1.WidgetSpec"},
      "apiVersion":{"type":"string","description":"The version."}}},
  "io.example.v1.WidgetSpec":{"type":"object","properties":{
      "size":{"allOf":[{"$ref":"#/components/schemas/io.example.Quantity"}],
              "description":"How big it is, in a sentence long enough to be wrapped at eighty columns as kubectl does."},
      "parts":{"type":"array","items":{"$ref":"#/components/schemas/io.example.v1.WidgetSpec"}},
      "labels":{"type":"object","additionalProperties":{"type":"string"}},
      "created":{"$ref":"#/components/schemas/io.example.Time"},
      "raw":{"type":"object"}}},
  "io.example.Quantity":{"description":"A quantity.","oneOf":[{"type":"string"},{"type":"number"}]},
  "io.example.Time":{"description":"A time.","type":"string","format":"date-time"}}}})";

ExplainOutput ExplainWidget(std::vector<std::string> path, bool recursive = false) {
  return Explain(YAML::Load(kDocument), {"example.io", "v1", "Widget", std::move(path), recursive});
}

TEST(Explain, KindWithDescriptionAndRequiredField) {
  ExplainOutput out = ExplainWidget({});
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_EQ(out.text,
            "GROUP:      example.io\nKIND:       Widget\nVERSION:    v1\n\n"
            "DESCRIPTION:\n    A widget.\n    \nFIELDS:\n"
            "  apiVersion\t<string>\n    The version.\n\n"
            "  spec\t<WidgetSpec> -required-\n    <no description>\n\n\n");
}

TEST(Explain, TypeNamesAndWrappedDescriptions) {
  ExplainOutput out = ExplainWidget({"spec"});
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_EQ(out.text,
            "GROUP:      example.io\nKIND:       Widget\nVERSION:    v1\n\n"
            "FIELD: spec <WidgetSpec>\n\n\nDESCRIPTION:\n    <empty>\nFIELDS:\n"
            "  created\t<string>\n    <no description>\n\n"
            "  labels\t<map[string]string>\n    <no description>\n\n"
            "  parts\t<[]WidgetSpec>\n    <no description>\n\n"
            "  raw\t<Object>\n    <no description>\n\n"
            "  size\t<Quantity>\n"
            "    How big it is, in a sentence long enough to be wrapped at eighty columns as\n"
            "    kubectl does.\n\n\n");
}

TEST(Explain, LeafTakesItsTypesDescription) {
  ExplainOutput out = ExplainWidget({"spec", "parts", "created"});
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_EQ(out.text,
            "GROUP:      example.io\nKIND:       Widget\nVERSION:    v1\n\n"
            "FIELD: created <string>\n\n\nDESCRIPTION:\n    A time.\n    \n\n");
}

TEST(Explain, RecursiveStopsWhereASchemaRefersToItself) {
  ExplainOutput out = ExplainWidget({"spec"}, true);
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_EQ(out.text,
            "GROUP:      example.io\nKIND:       Widget\nVERSION:    v1\n\n"
            "FIELD: spec <WidgetSpec>\n\n\nDESCRIPTION:\n    <empty>\nFIELDS:\n"
            "  created\t<string>\n  labels\t<map[string]string>\n  parts\t<[]WidgetSpec>\n"
            "  raw\t<Object>\n  size\t<Quantity>\n\n");
}

TEST(Explain, MissingFieldAndKind) {
  ExplainOutput out = ExplainWidget({"spec", "nope"});
  EXPECT_EQ(out.status.message(), "field \"nope\" does not exist");
  EXPECT_EQ(out.text, "GROUP:      example.io\nKIND:       Widget\nVERSION:    v1\n\n");
  out = Explain(YAML::Load(kDocument), {"", "v1", "Pod", {}, false});
  EXPECT_EQ(out.status.message(), "couldn't find resource for \"v1, Kind=Pod\"");
}

}  // namespace
}  // namespace minik8s::kubectl
