// kubectl's JSONPath dialect: parsing, evaluation and printing, with the
// outputs and messages kubectl v1.32 prints for the same templates and
// objects (taken from `kubectl get -o jsonpath=...` against a minik8s
// apiserver).
#include "kubectl/printers/jsonpath.h"

#include "gtest/gtest.h"
#include "kubectl/printers/custom_columns.h"
#include "yaml-cpp/yaml.h"

namespace minik8s::kubectl {
namespace {

using jsonpath::Value;

Value Json(const std::string& text) { return jsonpath::FromNode(YAML::Load(text)); }

const char kPods[] = R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},
 "items":[
  {"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"app":"web","tier":"fe"}},
   "spec":{"containers":[{"name":"c1","image":"nginx"},{"name":"c2","image":"redis"}],
           "priority":0},
   "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}},
  {"apiVersion":"v1","kind":"Pod","metadata":{"name":"b","labels":{"app":"db"}},
   "spec":{"containers":[{"name":"c","image":"postgres"}],"priority":5,"paused":true},
   "status":{"phase":"Pending","ratio":1.5}}
 ]})";

std::string Eval(const std::string& tmpl, const Value& root, bool allow_missing = true) {
  absl::StatusOr<std::string> out = jsonpath::PrintJsonPath(tmpl, root, allow_missing, false);
  if (!out.ok()) return "ERR: " + std::string(out.status().message());
  return *out;
}

TEST(JsonPath, FieldsIndexesAndWildcards) {
  const Value pods = Json(kPods);
  EXPECT_EQ(Eval("{.items[*].metadata.name}", pods), "a b");
  EXPECT_EQ(Eval("{.items[0].metadata.name}", pods), "a");
  EXPECT_EQ(Eval("{.items[-1].metadata.name}{.kind}", pods), "bList");
  EXPECT_EQ(Eval("{.items[0:1].kind}{$.kind}", pods), "PodList");
  EXPECT_EQ(
      Eval("{.items[1].spec.priority} {.items[1].spec.paused} {.items[1].status.ratio}", pods),
      "5 true 1.5");
  EXPECT_EQ(Eval("{.items[*].spec.containers[*].image}", pods), "nginx redis postgres");
  EXPECT_EQ(Eval("{.items[0].spec.containers[::2].name}", pods), "c1");
  EXPECT_EQ(Eval("{.items[0].metadata['name', 'labels']}", pods), R"(a {"app":"web","tier":"fe"})");
  EXPECT_EQ(Eval("{.items[0].metadata.labels['app']}", pods), "web");
  EXPECT_EQ(Eval("{..image}", pods), "nginx redis postgres");
  EXPECT_EQ(Eval("{.items[0].metadata.labels.*}", pods), "web fe");
  // Text outside actions is literal; a stray } is text.
  EXPECT_EQ(Eval("name={.items[0].metadata.name}}", pods), "name=a}");
  EXPECT_EQ(Eval(".metadata.name", pods), ".metadata.name");
  EXPECT_EQ(Eval(R"({"a\"b"}{"\t"}x)", pods), "a\"b\tx");
}

TEST(JsonPath, MapsAndListsPrintAsCompactJsonWithSortedKeys) {
  const Value v = Json(R"({"metadata":{"labels":{"z":"1","a":"<&>"}},"l":[1,"x",{"b":true}]})");
  EXPECT_EQ(Eval("{.metadata.labels}{.l}", v),
            R"({"a":"\u003c\u0026\u003e","z":"1"}[1,"x",{"b":true}])");
  EXPECT_EQ(Eval("{.metadata}", v), R"({"labels":{"a":"\u003c\u0026\u003e","z":"1"}})");
}

TEST(JsonPath, RangeAndEnd) {
  const Value pods = Json(kPods);
  EXPECT_EQ(Eval(R"({range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end})", pods),
            "a\tRunning\nb\tPending\n");
  EXPECT_EQ(Eval(R"({range .items[*]}[{range .spec.containers[*]}{.name},{end}]{end}done)", pods),
            "[c1,c2,][c,]done");
  // Inside a range $ is the item, as in kubectl.
  EXPECT_EQ(Eval(R"({range .items[*]}{$.metadata.name}{end})", pods), "ab");
  EXPECT_EQ(Eval(R"({range .nothing[*]}x{end}y)", pods), "y");
  EXPECT_EQ(Eval("{end}", pods), "ERR: " +
                                     std::string("error executing jsonpath \"{end}\": Error "
                                                 "executing template: not in range, nothing "
                                                 "to end. Printing more information for "
                                                 "debugging the template:\n\ttemplate "
                                                 "was:\n\t\t{end}\n\tobject given to "
                                                 "jsonpath engine was:\n\t\t") +
                                     jsonpath::GoSyntax(pods) + "\n\n");
}

TEST(JsonPath, Filters) {
  const Value pods = Json(kPods);
  EXPECT_EQ(Eval(R"({.items[?(@.status.phase=="Running")].metadata.name})", pods), "a");
  EXPECT_EQ(Eval(R"({.items[?(@.status.phase!='Running')].metadata.name})", pods), "b");
  EXPECT_EQ(Eval("{.items[?(@.spec.priority>1)].metadata.name}", pods), "b");
  EXPECT_EQ(Eval("{.items[?(@.spec.priority<=0)].metadata.name}", pods), "a");
  EXPECT_EQ(Eval("{.items[?(@.spec.priority>=0)].metadata.name}", pods), "a b");
  EXPECT_EQ(Eval("{.items[?(@.spec.paused)].metadata.name}", pods), "b");
  EXPECT_EQ(Eval("{.items[?(@.spec.paused==true)].metadata.name}", pods), "b");
  EXPECT_EQ(Eval(R"({.items[0].status.conditions[?(@.type=="Ready")].status})", pods), "True");
  const std::string err = Eval(R"({.items[?(@.spec.priority=="5")].metadata.name})", pods);
  EXPECT_EQ(err.substr(0, err.find(": Error")),
            R"(ERR: error executing jsonpath "{.items[?(@.spec.priority==\"5\")].metadata.name}")");
  EXPECT_NE(err.find("Error executing template: incompatible types for comparison. Printing"),
            std::string::npos)
      << err;
}

TEST(JsonPath, MissingKeys) {
  const Value pods = Json(kPods);
  EXPECT_EQ(Eval("{.items[0].nope}x", pods), "x");
  const std::string err = Eval("{.items[0].nope}", pods, /*allow_missing=*/false);
  EXPECT_EQ(err.substr(0, err.find(". Printing")),
            "ERR: error executing jsonpath \"{.items[0].nope}\": Error executing template: nope "
            "is not found");
}

std::string ExecError(const std::string& tmpl, const Value& root) {
  std::string err = Eval(tmpl, root);
  const size_t at = err.find("Error executing template: ");
  if (at == std::string::npos) return err;
  err = err.substr(at + 26);
  return err.substr(0, err.find(". Printing more"));
}

TEST(JsonPath, EvaluationErrorsAsKubectl) {
  const Value pods = Json(kPods);
  EXPECT_EQ(ExecError("{.items[5]}", pods), "array index out of bounds: index 5, length 2");
  EXPECT_EQ(ExecError("{.items[::-1]}", pods), "step must be > 0");
  EXPECT_EQ(ExecError("{.metadata[0]}", pods), "map[string]interface {} is not array or slice");
  EXPECT_EQ(ExecError("{.kind[?(@.a)]}", pods),
            "List is not array or slice and cannot be filtered");
  EXPECT_EQ(ExecError("{.items[?(@.status.phase==Running)]}", pods),
            "unrecognized identifier Running");
}

TEST(JsonPath, ParseErrorsAsKubectl) {
  const Value v = Json("{}");
  EXPECT_EQ(Eval("{.items[*}", v), "ERR: error parsing jsonpath {.items[*}, unterminated array");
  EXPECT_EQ(Eval("{.metadata.name", v),
            "ERR: error parsing jsonpath {.metadata.name, unclosed action");
  EXPECT_EQ(Eval("{.metadata.name,.kind}", v),
            "ERR: error parsing jsonpath {.metadata.name,.kind}, unrecognized character in "
            "action: U+002C ','");
  EXPECT_EQ(Eval(R"({.metadata["name"]})", v),
            R"(ERR: error parsing jsonpath {.metadata["name"]}, invalid array index "name")");
  EXPECT_EQ(Eval("{.a[?(@.x==1}", v),
            "ERR: error parsing jsonpath {.a[?(@.x==1}, unterminated filter");
  EXPECT_EQ(Eval(R"({"abc})", v),
            R"(ERR: error parsing jsonpath {"abc}, unterminated quoted string)");
  EXPECT_EQ(Eval("{....a}", v),
            "ERR: error parsing jsonpath {....a}, invalid multiple recursive descent");
}

TEST(JsonPath, AsJson) {
  const Value pods = Json(kPods);
  absl::StatusOr<std::string> out =
      jsonpath::PrintJsonPath("{.items[*].metadata.name}{.kind}", pods, true, true);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "[\n    \"a\",\n    \"b\"\n]\n[\n    \"List\"\n]\n");
}

TEST(JsonPath, GoFormats) {
  const Value v = Json(R"({"s":"q\"\n","i":-3,"b":false,"l":["x",{"k":1}],"e":{}})");
  EXPECT_EQ(jsonpath::GoString(v), "map[b:false e:map[] i:-3 l:[x map[k:1]] s:q\"\n]");
  EXPECT_EQ(jsonpath::GoSyntax(v),
            R"(map[string]interface {}{"b":false, "e":map[string]interface {}{}, "i":-3, )"
            R"("l":[]interface {}{"x", map[string]interface {}{"k":1}}, "s":"q\"\n"})");
  EXPECT_EQ(jsonpath::GoString(Json("1000000.0")), "1e+06");
  EXPECT_EQ(jsonpath::GoString(Json("0.25")), "0.25");
  EXPECT_EQ(jsonpath::ToJson(Json("1000000.0")), "1000000");
  EXPECT_EQ(jsonpath::ToJson(Json("0.0000001")), "1e-7");
}

TEST(CustomColumns, SpecsAndRows) {
  EXPECT_EQ(*RelaxedJsonPath("metadata.name"), "{.metadata.name}");
  EXPECT_EQ(*RelaxedJsonPath("{.metadata.name}"), "{.metadata.name}");
  EXPECT_EQ(*RelaxedJsonPath("{metadata.name}"), "{.metadata.name}");
  EXPECT_EQ(RelaxedJsonPath("{.a").status().message(),
            "unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
            "'{name1.name2}' or '{.name1.name2}'");
  EXPECT_EQ(ParseCustomColumnsSpec("").status().message(),
            "custom-columns format specified but no custom columns given");
  EXPECT_EQ(ParseCustomColumnsSpec("NAME").status().message(),
            "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>");
  const Value pods = Json(kPods);
  absl::StatusOr<std::vector<CustomColumn>> cols = ParseCustomColumnsSpec(
      "NAME:.metadata.name,IMAGES:.spec.containers[*].image,LABELS:.metadata.labels,X:.nope");
  ASSERT_TRUE(cols.ok()) << cols.status();
  absl::StatusOr<std::string> out =
      PrintCustomColumns(*cols, pods.object.at("items").array, false, nullptr);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            "NAME   IMAGES        LABELS                 X\n"
            "a      nginx,redis   map[app:web tier:fe]   <none>\n"
            "b      postgres      map[app:db]            <none>\n");
  absl::StatusOr<std::vector<CustomColumn>> file =
      ParseCustomColumnsTemplate("NAME   PHASE\n.metadata.name   {.status.phase}\n");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(*PrintCustomColumns(*file, pods.object.at("items").array, true, nullptr),
            "a     Running\nb     Pending\n");
  EXPECT_EQ(ParseCustomColumnsTemplate("A B\nx\n").status().message(),
            "number of headers (2) and field specifications (1) don't match");
  std::string partial;
  absl::StatusOr<std::vector<CustomColumn>> bad = ParseCustomColumnsSpec("A:x[");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(PrintCustomColumns(*bad, {}, false, &partial).status().message(), "unterminated array");
  EXPECT_EQ(partial, "A\n");
}

}  // namespace
}  // namespace minik8s::kubectl
