// Namespaces: the rendered form round-trips for hostile segments, malformed
// forms are refused by name, and list_namespaces finds every namespace with
// a live entry at or under a prefix, escaped segments included.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/support/eventually.hpp"
#include "tests/support/fixture.hpp"

using namespace statekeeper;
using namespace statekeeper::test;

TEST_CASE("rendering joins segments with '/'", "[namespace]") {
  CHECK(render(namespace_path{"acme", {"agent-a", "conv-1"}}) ==
        "acme/agent-a/conv-1");
  CHECK(render(namespace_path{"plain-store"}) == "plain-store");
  CHECK(render(namespace_path{"a/b", {"50%"}}) == "a%2Fb/50%25");
}

TEST_CASE("rendering round-trips hostile segments", "[namespace]") {
  std::vector<namespace_path> cases{
      {"acme", {}},
      {"acme", {"a:b", "c::d", ":"}},
      {"a/b", {"/", "//", "x/y/z"}},
      {"%", {"%25", "%2F", "%%2F", "100%"}},
      {"t", {"x%2Fy", "%2f"}},
      {"ünïcødé", {"日本語", "emoji \xF0\x9F\x98\x80"}},
      {"sp ace", {" ", "\t", "a b"}},
      {"acme", {"agent-a", "conv-1"}},
  };
  for (auto& ns : cases) {
    auto rendered = render(ns);
    auto parsed = parse_namespace(rendered);
    INFO(rendered);
    REQUIRE(parsed);
    CHECK(*parsed == ns);
  }
  // Different namespaces never render alike.
  CHECK(render(namespace_path{"a", {"b"}}) != render(namespace_path{"a/b"}));
  CHECK(render(namespace_path{"a", {"b/c"}}) !=
        render(namespace_path{"a", {"b", "c"}}));
}

TEST_CASE("malformed rendered namespaces are refused by name", "[namespace]") {
  for (auto bad : {"", "/", "acme/", "/acme", "acme//x", "a%", "a%2", "a%41",
                   "a%2f", "\xc3\x28"}) {
    auto parsed = parse_namespace(bad);
    INFO(bad);
    REQUIRE_FALSE(parsed);
    CHECK(code(parsed) == error_code::invalid_argument);
    CHECK_THAT(what(parsed), Catch::Contains("malformed rendered namespace"));
  }
  CHECK_THAT(what(parse_namespace("a%41")), Catch::Contains("offset 1"));
  CHECK_THAT(what(parse_namespace("acme//x")),
             Catch::Contains("scope segment 0 is empty"));
}

TEST_CASE("is_within matches whole segments", "[namespace]") {
  namespace_path ns{"acme", {"agent-a", "conv-1"}};
  CHECK(is_within(ns, namespace_path{}));
  CHECK(is_within(ns, namespace_path{"acme"}));
  CHECK(is_within(ns, namespace_path{"acme", {"agent-a"}}));
  CHECK(is_within(ns, ns));
  CHECK_FALSE(is_within(ns, namespace_path{"acm"}));
  CHECK_FALSE(is_within(ns, namespace_path{"acme", {"agent"}}));
  CHECK_FALSE(is_within(namespace_path{"acme"}, ns));
}

TEST_CASE("list_namespaces finds live namespaces under a prefix",
          "[namespace]") {
  service_fixture f;
  namespace_path c1{"acme", {"agent-a", "conv-1"}};
  namespace_path c2{"acme", {"agent-a", "conv:2"}};
  namespace_path b{"acme", {"agent-b"}};
  namespace_path slash{"acme", {"agent/a", "x"}};
  namespace_path other{"globex", {"agent-a"}};
  namespace_path emptied{"acme", {"agent-a", "emptied"}};
  for (auto& ns : {c1, c2, b, slash, other, emptied})
    REQUIRE(f.client.put(ns, "k", "v"));
  REQUIRE(must(f.client.clear(emptied)) == 1);
  // A namespace that was only read holds nothing and is not listed.
  REQUIRE_FALSE(must(f.client.get(namespace_path{"acme", {"read-only"}}, "k")));

  auto agent_a = f.client.list_namespaces(namespace_path{"acme", {"agent-a"}});
  REQUIRE(agent_a);
  CHECK(*agent_a == std::vector<namespace_path>{c1, c2});

  auto acme = f.client.list_namespaces(namespace_path{"acme"});
  REQUIRE(acme);
  CHECK(*acme == std::vector<namespace_path>{c1, c2, b, slash});

  // A segment holding '/' is one segment, not a prefix of "agent".
  auto escaped = f.client.list_namespaces(namespace_path{"acme", {"agent/a"}});
  REQUIRE(escaped);
  CHECK(*escaped == std::vector<namespace_path>{slash});
  CHECK(must(f.client.list_namespaces(namespace_path{"acme", {"agent"}}))
            .empty());

  auto all = f.client.list_namespaces();
  REQUIRE(all);
  CHECK(all->size() == 5);

  auto exact = f.client.list_namespaces(c1);
  CHECK(must(exact) == std::vector<namespace_path>{c1});

  auto bad = f.client.list_namespaces(namespace_path{"", {"x"}});
  CHECK(code(bad) == error_code::invalid_argument);
}

TEST_CASE("in memory, idle namespaces are passivated and written ones keep "
          "their data",
          "[namespace][passivation]") {
  auto opts = test_options();
  opts.sweep_interval = 50ms;
  opts.passivate_after = 150ms;
  service_fixture f{opts};
  namespace_path written{"acme", {"written"}};
  namespace_path expiring{"acme", {"expiring"}};
  auto first = must(f.client.put(written, "k", "v"));
  // Expires after its owner is passivated: while nobody sweeps it.
  REQUIRE(f.client.put(expiring, "k", "v", 1500ms));
  for (int i = 0; i < 20; ++i)
    REQUIRE_FALSE(
        must(f.client.get(namespace_path{"probe", {std::to_string(i)}}, "k")));
  // Every owner goes, the written ones too: the engine keeps their data.
  REQUIRE(eventually(
      [&] { return must(f.client.stats()).active_namespaces == 0; }, 20s));
  CHECK(must(f.client.stats()).passivations >= 22);
  // Listed while inactive, until nothing live is left in them.
  CHECK(eventually([&] {
    return must(f.client.list_namespaces()) ==
           std::vector<namespace_path>{written};
  }));
  CHECK(must(f.client.stats()).active_namespaces == 0);
  // The next request activates it again, with its entries and versions.
  auto found = must(f.client.get(written, "k"));
  REQUIRE(found);
  CHECK(found->value == "v");
  CHECK(found->version == first);
  CHECK(must(f.client.put(written, "k", "w")) > first);
  CHECK_FALSE(must(f.client.get(expiring, "k")));
}

TEST_CASE("in memory, max-active-namespaces bounds written namespaces, which "
          "keep their data",
          "[namespace][passivation]") {
  auto opts = test_options();
  opts.max_active_namespaces = 2;
  service_fixture f{opts};
  std::vector<namespace_path> all;
  for (int i = 0; i < 10; ++i) {
    all.push_back(namespace_path{"acme", {"n" + std::to_string(i)}});
    REQUIRE(f.client.put(all.back(), "k", "v" + std::to_string(i)));
  }
  CHECK(eventually(
      [&] { return must(f.client.stats()).active_namespaces <= 2; }));
  CHECK(must(f.client.list_namespaces()) == all);
  for (int i = 0; i < 10; ++i) {
    auto found = must(f.client.get(all[i], "k"));
    REQUIRE(found);
    CHECK(found->value == "v" + std::to_string(i));
  }
}
