#include "api/selector/labels.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace minik8s::api {
namespace {

using Labels = std::map<std::string, std::string>;

TEST(LabelSelectorParse, ValidRoundTrip) {
  struct Case {
    std::string in;
    std::string out;  // canonical ToString()
  };
  const Case cases[] = {
      {"", ""},
      {"x=a", "x=a"},
      {"x==a", "x==a"},
      {"x!=a", "x!=a"},
      {"x=a,y=b,z=c", "x=a,y=b,z=c"},
      {"z=c,x=a,y=b", "x=a,y=b,z=c"},
      {"x in (b,a)", "x in (a,b)"},
      {"x notin (a)", "x notin (a)"},
      {"x in (a,a,b)", "x in (a,b)"},
      {"x", "x"},
      {"!x", "!x"},
      {" x = a ,  y ", "x=a,y"},
      {"x>1", "x>1"},
      {"x<5", "x<5"},
      {"x=", "x="},
      {"x in ()", "x in ()"},
      {"x in (,a)", "x in (,a)"},
      {"x in (a,)", "x in (,a)"},
      {"x in (in)", "x in (in)"},
      {"x=a,x!=b", "x=a,x!=b"},
      {"example.com/app=web", "example.com/app=web"},
      {"x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"},
  };
  for (const Case& c : cases) {
    auto s = LabelSelector::Parse(c.in);
    ASSERT_TRUE(s.ok()) << c.in << ": " << s.status();
    EXPECT_EQ(s->ToString(), c.out) << c.in;
    // The canonical form parses back to itself.
    auto again = LabelSelector::Parse(s->ToString());
    ASSERT_TRUE(again.ok()) << c.out;
    EXPECT_EQ(again->ToString(), c.out);
  }
}

TEST(LabelSelectorParse, Errors) {
  const std::string kNamePart =
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
      "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
      "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const std::string kValue =
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
      "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
      "'my_value',  or '12345', regex used for validation is "
      "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  struct Case {
    std::string in;
    std::string error;
  };
  const Case cases[] = {
      {"x=a,", "found '', expected: identifier after ','"},
      {",x=a", "found ',', expected: !, identifier, or 'end of string'"},
      {"x=a b", "found 'b', expected: ',' or 'end of string'"},
      {"x in a", "unable to parse requirement: found 'a' expected: '('"},
      {"x in (a", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"},
      {"x ~ a", "unable to parse requirement: found '~', expected: in, notin, =, ==, !=, gt, lt"},
      {"x=(a)", "unable to parse requirement: found '(', expected: identifier"},
      {"!x=a", "found '=', expected: ',' or 'end of string'"},
      {"!", "unable to parse requirement: found '', expected: identifier"},
      {"x>a",
       "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, "
       "the value must be an integer"},
      {"-x=a", "unable to parse requirement: <nil>: Invalid value: \"-x\": " + kNamePart},
      {"x=-a", "unable to parse requirement: values[0][x]: Invalid value: \"-a\": " + kValue},
      {"a/b/c",
       "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name "
       "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
       "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
       "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an "
       "optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"},
  };
  for (const Case& c : cases) {
    auto s = LabelSelector::Parse(c.in);
    ASSERT_FALSE(s.ok()) << c.in << " parsed as " << s->ToString();
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.status().message(), c.error) << c.in;
  }
}

TEST(LabelSelectorMatch, Table) {
  struct Case {
    std::string selector;
    Labels labels;
    bool want;
  };
  const Case cases[] = {
      {"", {}, true},
      {"", {{"x", "y"}}, true},
      {"x=y", {{"x", "y"}}, true},
      {"x=y", {{"x", "z"}}, false},
      {"x=y", {}, false},
      {"x==y", {{"x", "y"}}, true},
      {"x!=y", {{"x", "z"}}, true},
      {"x!=y", {{"x", "y"}}, false},
      {"x!=y", {}, true},
      {"x in (a,b)", {{"x", "b"}}, true},
      {"x in (a,b)", {{"x", "c"}}, false},
      {"x in (a,b)", {}, false},
      {"x notin (a,b)", {{"x", "c"}}, true},
      {"x notin (a,b)", {{"x", "a"}}, false},
      {"x notin (a,b)", {}, true},
      {"x", {{"x", ""}}, true},
      {"x", {{"y", "1"}}, false},
      {"!x", {{"y", "1"}}, true},
      {"!x", {{"x", "1"}}, false},
      {"x=", {{"x", ""}}, true},
      {"x=", {}, false},
      {"x>1", {{"x", "2"}}, true},
      {"x>1", {{"x", "1"}}, false},
      {"x>1", {{"x", "abc"}}, false},
      {"x<1", {{"x", "-3"}}, true},
      {"x<1", {}, false},
      {"app=web,tier!=db", {{"app", "web"}, {"tier", "cache"}}, true},
      {"app=web,tier!=db", {{"app", "web"}, {"tier", "db"}}, false},
  };
  for (const Case& c : cases) {
    auto s = LabelSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok()) << c.selector;
    EXPECT_EQ(s->Matches(c.labels), c.want) << c.selector;
    google::protobuf::Map<std::string, std::string> pm(c.labels.begin(), c.labels.end());
    EXPECT_EQ(s->Matches(pm), c.want) << c.selector;
  }
}

TEST(LabelSelector, EmptyAndNothing) {
  EXPECT_TRUE(LabelSelector().Empty());
  EXPECT_TRUE(LabelSelector().Matches(Labels{{"a", "b"}}));
  LabelSelector nothing = LabelSelector::Nothing();
  EXPECT_FALSE(nothing.Empty());
  EXPECT_TRUE(nothing.IsNothing());
  EXPECT_FALSE(nothing.Matches(Labels{}));
  EXPECT_FALSE(nothing.Matches(Labels{{"a", "b"}}));
  EXPECT_FALSE(LabelSelector::Parse("a")->Empty());

  auto from_null = LabelSelector::FromProtoOrNothing(nullptr);
  ASSERT_TRUE(from_null.ok());
  EXPECT_TRUE(from_null->IsNothing());
  minik8s::meta::v1::LabelSelector empty;
  auto from_empty = LabelSelector::FromProtoOrNothing(&empty);
  ASSERT_TRUE(from_empty.ok());
  EXPECT_TRUE(from_empty->Empty());
}

TEST(LabelSelector, RequiresExactMatch) {
  struct Case {
    std::string selector;
    std::string key;
    bool found;
    std::string value;
  };
  const Case cases[] = {
      {"x=a", "x", true, "a"},        {"x==a", "x", true, "a"}, {"x in (a)", "x", true, "a"},
      {"x in (a,b)", "x", false, ""}, {"x!=a", "x", false, ""}, {"y=a", "x", false, ""},
      {"x", "x", false, ""},
  };
  for (const Case& c : cases) {
    auto s = LabelSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok());
    std::string value;
    EXPECT_EQ(s->RequiresExactMatch(c.key, &value), c.found) << c.selector;
    if (c.found) {
      EXPECT_EQ(value, c.value);
    }
  }
}

minik8s::meta::v1::LabelSelector MakeProto(
    const Labels& match_labels,
    const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>>& exprs) {
  minik8s::meta::v1::LabelSelector p;
  for (const auto& [k, v] : match_labels) (*p.mutable_match_labels())[k] = v;
  for (const auto& [k, op, values] : exprs) {
    auto* e = p.add_match_expressions();
    e->set_key(k);
    e->set_operator_(op);
    for (const auto& v : values) e->add_values(v);
  }
  return p;
}

TEST(LabelSelectorFromProto, Valid) {
  struct Case {
    minik8s::meta::v1::LabelSelector proto;
    std::string want;
  };
  const Case cases[] = {
      {MakeProto({}, {}), ""},
      {MakeProto({{"b", "2"}, {"a", "1"}}, {}), "a=1,b=2"},
      {MakeProto({{"app", "web"}}, {{"tier", "In", {"fe", "be"}}}), "app=web,tier in (be,fe)"},
      {MakeProto({}, {{"x", "NotIn", {"a"}}, {"e", "Exists", {}}, {"d", "DoesNotExist", {}}}),
       "!d,e,x notin (a)"},
  };
  for (const Case& c : cases) {
    auto s = LabelSelector::FromProto(c.proto);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->ToString(), c.want);
  }
  auto s = LabelSelector::FromProto(MakeProto({{"app", "web"}}, {{"tier", "In", {"fe"}}}));
  EXPECT_TRUE(s->Matches(Labels{{"app", "web"}, {"tier", "fe"}}));
  EXPECT_FALSE(s->Matches(Labels{{"app", "web"}, {"tier", "be"}}));
  EXPECT_FALSE(s->Matches(Labels{{"tier", "fe"}}));
}

TEST(LabelSelectorFromProto, Errors) {
  struct Case {
    minik8s::meta::v1::LabelSelector proto;
    std::string error;
  };
  const Case cases[] = {
      {MakeProto({}, {{"x", "Equals", {"a"}}}),
       "\"Equals\" is not a valid label selector operator"},
      {MakeProto({}, {{"x", "In", {}}}),
       "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"},
      {MakeProto({}, {{"x", "Exists", {"a", "b"}}}),
       "values: Invalid value: []string{\"a\", \"b\"}: values set must be empty for exists and "
       "does not exist"},
      {MakeProto({{"a b", "x"}}, {}),
       "key: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' "
       "or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
       "'my.name',  or '123-abc', regex used for validation is "
       "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
  };
  for (const Case& c : cases) {
    auto s = LabelSelector::FromProto(c.proto);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().message(), c.error);
  }
}

TEST(LabelSelector, SelectorFromSet) {
  EXPECT_TRUE(SelectorFromSet(Labels{}).Empty());
  LabelSelector s = SelectorFromSet(Labels{{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(s.ToString(), "a=1,b=2");
  EXPECT_TRUE(s.Matches(Labels{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_FALSE(s.Matches(Labels{{"a", "1"}}));
}

TEST(LabelSelector, AddKeepsKeyOrder) {
  LabelSelector s = *LabelSelector::Parse("c=3,a=1");
  s.Add(*LabelRequirement::Make("b", LabelRequirement::Operator::kNotEquals, {"2"}));
  EXPECT_EQ(s.ToString(), "a=1,b!=2,c=3");
}

}  // namespace
}  // namespace minik8s::api
