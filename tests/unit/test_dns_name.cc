#include <doctest/doctest.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "core/dns_name.h"

using offboard::DnsName;

TEST_CASE("names compare label-wise and case-insensitively, trailing dot optional") {
  auto a = DnsName::parse("Contoso.COM");
  auto b = DnsName::parse("contoso.com.");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK(a->toString() == "contoso.com.");
}

TEST_CASE("isPartOf works on label boundaries only") {
  auto zone = *DnsName::parse("mail.protection.outlook.com");
  CHECK(DnsName::parse("contoso-com.mail.protection.outlook.com")->isPartOf(zone));
  CHECK(zone.isPartOf(zone));
  CHECK_FALSE(DnsName::parse("xmail.protection.outlook.com")->isPartOf(zone));
  CHECK_FALSE(DnsName::parse("contoso-com.mail.protection.outlook.com.evil.example")->isPartOf(zone));
  CHECK(DnsName::parse("a.b")->isPartOf(DnsName::root()));
}

TEST_CASE("empty is not root") {
  DnsName empty;
  CHECK(empty.isEmpty());
  CHECK_FALSE(empty.isRoot());
  CHECK(DnsName::root().isRoot());
  CHECK(empty != DnsName::root());
  CHECK(DnsName::parse(".")->isRoot());
  CHECK_FALSE(DnsName::parse(""));
}

TEST_CASE("limits: empty labels, 63-octet labels, 255-octet names") {
  std::string err;
  CHECK_FALSE(DnsName::parse("a..b", &err));
  CHECK(err == "empty label");
  CHECK_FALSE(DnsName::parse(".a"));
  CHECK(DnsName::parse(std::string(63, 'a') + ".example"));
  CHECK_FALSE(DnsName::parse(std::string(64, 'a') + ".example", &err));
  CHECK(err.find("63") != std::string::npos);
  // 4 labels of 63 = 4*64 + 1 = 257 wire octets: too long. 3×63 + 61 → 255: fits.
  std::string l63(63, 'x');
  CHECK_FALSE(DnsName::parse(l63 + "." + l63 + "." + l63 + "." + l63));
  auto fits = DnsName::parse(l63 + "." + l63 + "." + l63 + "." + std::string(61, 'y'));
  REQUIRE(fits);
  CHECK(fits->wireLength() == 255);
  CHECK_FALSE(DnsName::parse(l63 + "." + l63 + "." + l63 + "." + std::string(62, 'y')));
}

TEST_CASE("parse and print are inverses, escapes included") {
  for (const char* text : {"contoso.com.", "a\\.b.example.", "\\000\\255x.example.", "_dmarc.x.",
                           "*.wild.example.", "sp\\032ace.example."}) {
    CAPTURE(text);
    auto n = DnsName::parse(text);
    REQUIRE(n);
    CHECK(n->toString() == text);
    CHECK(*DnsName::parse(n->toString()) == *n);
  }
  CHECK(DnsName::parse("a\\.b.example")->labelCount() == 2);
  CHECK_FALSE(DnsName::parse("bad\\25"));
  CHECK_FALSE(DnsName::parse("bad\\256.x"));
  CHECK_FALSE(DnsName::parse("bad\\"));
}

TEST_CASE("appendTo says whether it wrote an escape, and appends what toString returns") {
  // JSON writers rely on it: true means the text holds no backslash.
  for (const char* text : {"contoso.com.", ".", "_dmarc.x.", "*.wild.example.", "a\\.b.example.",
                           "\\000\\255x.example.", "sp\\032ace.example.", "back\\\\slash.example."}) {
    CAPTURE(text);
    auto n = DnsName::parse(text);
    REQUIRE(n);
    std::string out = "prefix ";
    const bool plain = n->appendTo(out);
    CHECK(out == "prefix " + n->toString());
    CHECK(plain == (out.find('\\') == std::string::npos));
  }
  std::string none;
  CHECK(DnsName().appendTo(none));  // the empty name appends nothing
  CHECK(none.empty());
}

TEST_CASE("control octets are escaped when printed") {
  auto n = DnsName::fromLabels({"\x1b[31mred", "example"});
  REQUIRE(n);
  CHECK(n->toString() == "\\027\\09131mred.example.");
}

TEST_CASE("parent, prepend, labelsBelow") {
  auto n = *DnsName::parse("selector1._domainkey.contoso.com");
  CHECK(n.parent() == *DnsName::parse("_domainkey.contoso.com"));
  CHECK(DnsName::root().parent().isEmpty());
  CHECK(*DnsName::parse("contoso.com")->prepend("autodiscover") ==
        *DnsName::parse("autodiscover.contoso.com"));
  auto below = n.labelsBelow(*DnsName::parse("contoso.com"));
  REQUIRE(below.size() == 2);
  CHECK(below[0] == "selector1");
}

TEST_CASE("prepending several labels equals parsing the longer name, and keeps the limits") {
  const std::string_view two[] = {"Selector1", "_domainkey"};
  auto n = DnsName::parse("Contoso.COM")->prepend(two);
  REQUIRE(n);
  CHECK(*n == *DnsName::parse("selector1._domainkey.contoso.com"));
  CHECK(n->toString() == "selector1._domainkey.contoso.com.");
  CHECK(n->labelCount() == 4);
  // A label with a dot stays one label (raw, not presentation text).
  const std::string_view dotted[] = {"a.b"};
  auto d = DnsName::root().prepend(dotted);
  REQUIRE(d);
  CHECK(d->labelCount() == 1);
  CHECK(d->toString() == "a\\.b.");
  const std::string_view empty[] = {""};
  CHECK(!DnsName::root().prepend(empty));
  CHECK(!DnsName().prepend(two));
  // 4 labels of 63 octets = 257 octets of wire form: one too many.
  std::string l63(63, 'x');
  const std::string_view big[] = {l63, l63, l63};
  auto three = DnsName::parse(l63)->prepend(big);
  CHECK(!three);
  const std::string_view fits[] = {l63, l63};
  CHECK(DnsName::parse(l63)->prepend(fits));
}

TEST_CASE("fromWire reads the uncompressed wire form and refuses anything else") {
  auto w = [](std::initializer_list<int> octets) {
    std::vector<std::uint8_t> v;
    for (int o : octets) v.push_back(static_cast<std::uint8_t>(o));
    return v;
  };
  auto ok = w({3, 'W', 'w', 'W', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0});
  auto n = DnsName::fromWire(ok);
  REQUIRE(n);
  CHECK(*n == *DnsName::parse("www.example"));
  CHECK(n->toString() == "www.example.");
  CHECK(n->wireLength() == ok.size());
  CHECK(std::string(n->wireLabels()) == std::string("\3www\7example"));
  auto root = DnsName::fromWire(w({0}));
  REQUIRE(root);
  CHECK(root->isRoot());
  std::string err;
  CHECK(!DnsName::fromWire(w({}), &err));
  CHECK(err == "truncated name");
  CHECK(!DnsName::fromWire(w({3, 'w', 'w'}), &err));                   // label cut short
  CHECK(!DnsName::fromWire(w({3, 'w', 'w', 'w'}), &err));              // no root octet
  CHECK(!DnsName::fromWire(w({0xc0, 12}), &err));                      // compression pointer
  CHECK(!DnsName::fromWire(w({1, 'a', 0, 0}), &err));                  // data after the root
  CHECK(err == "data after the root label");
  // 4 labels of 63 octets: 257 octets with the root, over the limit; 3 fit.
  std::vector<std::uint8_t> big;
  for (int k = 0; k < 4; ++k) {
    big.push_back(63);
    big.insert(big.end(), 63, 'x');
  }
  big.push_back(0);
  CHECK(!DnsName::fromWire(big, &err));
  std::vector<std::uint8_t> fits(big.begin() + 64, big.end());
  CHECK(DnsName::fromWire(fits));
}

TEST_CASE("equalsWire agrees with fromWire(...) == name, case-insensitively") {
  auto w = [](std::initializer_list<int> octets) {
    std::vector<std::uint8_t> v;
    for (int o : octets) v.push_back(static_cast<std::uint8_t>(o));
    return v;
  };
  const DnsName www = *DnsName::parse("www.example");
  CHECK(www.equalsWire(w({3, 'W', 'w', 'W', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0})));
  CHECK(www.equalsWire(w({3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0})));
  CHECK_FALSE(www.equalsWire(w({3, 'w', 'w', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0})));
  CHECK_FALSE(www.equalsWire(w({3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e'})));  // no root
  CHECK_FALSE(www.equalsWire(w({3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0})));
  CHECK_FALSE(www.equalsWire(w({3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 1})));
  CHECK_FALSE(www.equalsWire(w({})));
  // Same octets but for a length octet: "ww.wexample" is another name.
  CHECK_FALSE(www.equalsWire(w({2, 'w', 'w', 8, 'w', 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0})));
  // A label octet 'A' (65) where the name has a length: case folding must not make them match.
  const DnsName a = *DnsName::fromWire(w({1, 'a', 0}));
  CHECK_FALSE(a.equalsWire(w({'A', 'a', 0})));
  CHECK(DnsName::parse(".")->equalsWire(w({0})));
  CHECK_FALSE(www.equalsWire(w({0})));
  CHECK_FALSE(DnsName().equalsWire(w({0})));
}

TEST_CASE("every octet is lower-cased as ASCII, at every offset, and only 'A'..'Z' change") {
  // 21 octets of wire form: two whole words of the eight-at-a-time loop and a tail of five,
  // each octet value at every offset; the name is built from wire form, labels and prepend.
  for (int v = 1; v < 256; ++v) {
    const char c = static_cast<char>(v);
    const char want = (v >= 'A' && v <= 'Z') ? static_cast<char>(v + 32) : c;
    for (std::size_t at = 0; at < 20; ++at) {
      std::string label(20, 'x');
      label[at] = c;
      std::vector<std::uint8_t> wire;
      wire.push_back(20);
      for (char o : label) wire.push_back(static_cast<std::uint8_t>(o));
      wire.push_back(0);
      auto fromWire = DnsName::fromWire(wire);
      auto fromLabels = DnsName::fromLabels({label});
      const std::string_view tail[] = {label};
      auto prepended = DnsName::root().prepend(std::span<const std::string_view>(tail));
      REQUIRE(fromWire);
      REQUIRE(fromLabels);
      REQUIRE(prepended);
      std::string expected = label;
      expected[at] = want;
      CHECK(fromWire->wireLabels().substr(1) == expected);
      CHECK(*fromLabels == *fromWire);
      CHECK(*prepended == *fromWire);
      CHECK(fromWire->equalsWire(wire));
    }
  }
}

TEST_CASE("a name past the 62 octets kept in place behaves as a short one") {
  // 62 octets of wire form fit in the object; 63 and more are kept on the heap.
  for (std::size_t size : {60u, 61u, 62u, 63u, 64u, 120u, 254u}) {
    std::vector<std::string> labels;
    std::size_t left = size;
    while (left > 0) {
      const std::size_t take = std::min<std::size_t>(left - 1, 63);
      REQUIRE(take > 0);
      labels.push_back(std::string(take, static_cast<char>('A' + labels.size() % 26)));
      left -= take + 1;
    }
    auto n = DnsName::fromLabels(labels);
    REQUIRE(n);
    CHECK(n->wireLength() == size + 1);
    DnsName copy = *n;
    CHECK(copy == *n);
    DnsName moved = std::move(copy);
    CHECK(moved == *n);
    DnsName assigned = *DnsName::parse("short.example");
    assigned = moved;
    CHECK(assigned == *n);
    assigned = *DnsName::parse("short.example");  // from the heap back into place
    CHECK(assigned.toString() == "short.example.");
    CHECK(moved.parent().isPartOf(moved.parent()));
    CHECK(n->isPartOf(n->parent()));
    CHECK(DnsName::parse(n->toString()) == *n);
  }
}

TEST_CASE("ordering and hashing follow the labels from the right, case-insensitively") {
  auto P = [](const char* s) { return *DnsName::parse(s); };
  CHECK(P("z.a.example") < P("b.example"));  // a.example sorts before b.example
  CHECK(P("example") < P("a.example"));
  CHECK(!(P("A.Example") < P("a.example")));
  CHECK(offboard::DnsNameHash{}(P("A.Example")) == offboard::DnsNameHash{}(P("a.example")));
  CHECK(P("ab.c") != P("a.bc"));
  CHECK(offboard::DnsNameHash{}(P("ab.c")) != offboard::DnsNameHash{}(P("a.bc")));
  CHECK(!P("mail.protection.outlook.com.evil.example").isPartOf(P("outlook.com")));
  CHECK(!P("xoutlook.com").isPartOf(P("outlook.com")));
  CHECK(P("a.outlook.com").isPartOf(P("Outlook.COM")));
}
