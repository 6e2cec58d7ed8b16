// Tests of the policy sources (fetch/policy_fetcher.h). The HTTPS fetcher runs against the fake
// policy hosts of tests/fakes/https_fixture.sh: a test CA, and servers with a good, a wrong-name
// and an expired certificate, each on its own kernel-chosen port on 127.0.0.1, whose answers the
// tests choose by the files they write into the servers' root. The zone-directory source reads a
// directory of its own. Every directory lives under /tmp and goes away with the program.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fetch/policy_fetcher.h"

using namespace offboard;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kFixture = std::string(OFFBOARD_SOURCE_DIR) + "/tests/fakes/https_fixture.sh";
constexpr int kParallelCount = 20;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "offboard-fetch-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void writeFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  REQUIRE(out.good());
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool runs(const std::string& command) {
  const int status = std::system(command.c_str());
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Every policy host the good certificate names: one per behaviour, p0.test… for the
// concurrent ones.
std::string certNames() {
  std::string names;
  for (const char* d : {"good", "redirect", "big", "bigcl", "html", "charset", "upper", "missing",
                        "exact", "over", "slow", "echo", "ipv6", "temp", "notmodified",
                        "choices"}) {
    names += std::string(names.empty() ? "" : " ") + "mta-sts." + d + ".test";
  }
  for (int i = 0; i < kParallelCount; ++i) names += " mta-sts.p" + std::to_string(i) + ".test";
  return names;
}

// The servers, running from construction (after the directory) to destruction (before it),
// however a test ends. They also exit with this process should it die before the destructor.
struct Servers {
  fs::path dir;
  bool started = false;
  explicit Servers(const fs::path& d) : dir(d) {
    started = runs("MTA_STS_NAMES='" + certNames() +
                   "' HTTPS_FIXTURE_OWNER=" + std::to_string(::getpid()) + " bash '" + kFixture +
                   "' start '" + d.string() + "'");
    REQUIRE_MESSAGE(started, "https_fixture.sh start failed (its message is above)");
  }
  Servers(const Servers&) = delete;
  Servers& operator=(const Servers&) = delete;
  ~Servers() {
    if (started) runs("bash '" + kFixture + "' stop '" + dir.string() + "'");
  }
};

class Fixture {
 public:
  Fixture() : servers_(dir_.path) {}

  std::string ca() const { return (dir_.path / "ca.pem").string(); }
  std::uint16_t port(const char* cert) const {
    const int p = std::atoi(readFile(dir_.path / (std::string(cert) + ".port")).c_str());
    REQUIRE(p > 0);
    REQUIRE(p < 65536);
    return static_cast<std::uint16_t>(p);
  }
  // What the servers answer for mta-sts.D: root/mta-sts.D.SUFFIX (suffix "txt", "type", …).
  void serve(const std::string& domain, const std::string& suffix, const std::string& content) {
    writeFile(dir_.path / "root" / ("mta-sts." + domain + "." + suffix), content);
  }

 private:
  TempDir dir_;
  Servers servers_;
};

// Started once, by the first test that needs it, and stopped at exit.
Fixture& fixture() {
  static Fixture f;
  return f;
}

DnsName name(const std::string& text) {
  auto n = DnsName::parse(text);
  REQUIRE(n);
  return *n;
}

PolicyRequest request(const std::string& domain,
                      std::vector<std::string> addresses = {"127.0.0.1"}) {
  return PolicyRequest{name(domain), std::move(addresses)};
}

HttpsOptions options(const char* cert = "good") {
  HttpsOptions o;
  o.caFile = fixture().ca();
  o.port = fixture().port(cert);
  o.timeout = 5000ms;
  return o;
}

PolicyFetch fetchOne(PolicyFetcher& fetcher, PolicyRequest r) {
  auto results = fetcher.fetch({std::move(r)});
  REQUIRE(results.size() == 1);
  return results[0];
}

PolicyFetch fetchOne(HttpsOptions o, PolicyRequest r) {
  auto fetcher = makeHttpsFetcher(std::move(o));
  return fetchOne(*fetcher, std::move(r));
}

std::string url(const std::string& domain, std::uint16_t port) {
  return "https://mta-sts." + domain + ":" + std::to_string(port) + "/.well-known/mta-sts.txt";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Sets (or unsets) an environment variable for a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A loopback port where nothing listens: the kernel picks it, we close it again.
std::uint16_t closedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  REQUIRE(bound);
  return ntohs(a.sin_port);
}

const std::string kPolicy = "version: STSv1\nmode: enforce\nmx: mail.good.test\nmax_age: 86400\n";

}  // namespace

TEST_CASE("https: a policy is fetched from the address given, with the source named") {
  fixture().serve("good.test", "txt", kPolicy);
  const auto o = options();
  auto fetcher = makeHttpsFetcher(o);
  CHECK(fetcher->describe() == "https");
  const PolicyFetch f = fetchOne(*fetcher, request("good.test."));
  INFO(f.error);
  CHECK(f.ok);
  CHECK(f.body == kPolicy);
  CHECK(f.error.empty());
  CHECK(f.source == url("good.test", o.port) + " (127.0.0.1)");
}

TEST_CASE("https: the request asks for no cache and names offboard, through no proxy") {
  fixture().serve("echo.test", "echo", "");
  // Were the proxy variables obeyed, the request would go to a port where nothing listens.
  const std::string proxy = "http://127.0.0.1:" + std::to_string(closedPort());
  ScopedEnv https("https_proxy", proxy.c_str());
  ScopedEnv httpsUpper("HTTPS_PROXY", proxy.c_str());
  ScopedEnv all("ALL_PROXY", proxy.c_str());
  const PolicyFetch f = fetchOne(options(), request("echo.test"));
  INFO(f.error);
  REQUIRE(f.ok);
  CHECK(contains(f.body, "Cache-Control: no-cache\n"));
  CHECK(contains(f.body, "User-Agent: offboard/" OFFBOARD_VERSION "\n"));
}

TEST_CASE("https: the media type must be text/plain, parameters and case aside") {
  fixture().serve("html.test", "txt", kPolicy);
  fixture().serve("html.test", "type", "text/html");
  fixture().serve("charset.test", "txt", kPolicy);
  fixture().serve("charset.test", "type", "text/plain; charset=utf-8");
  fixture().serve("upper.test", "txt", kPolicy);
  fixture().serve("upper.test", "type", "Text/Plain");
  auto fetcher = makeHttpsFetcher(options());
  const auto r =
      fetcher->fetch({request("html.test"), request("charset.test"), request("upper.test")});
  REQUIRE(r.size() == 3);
  CHECK_FALSE(r[0].ok);
  CHECK(r[0].body.empty());
  CHECK(contains(r[0].error, "text/html"));
  CHECK(r[1].ok);
  CHECK(r[1].body == kPolicy);
  CHECK(r[2].ok);
}

TEST_CASE("https: a redirect is refused, not followed") {
  // The target would serve a valid policy: following it would come back ok.
  const auto o = options();
  fixture().serve("good.test", "txt", kPolicy);
  fixture().serve("redirect.test", "redirect", url("good.test", o.port));
  const PolicyFetch f = fetchOne(o, request("redirect.test"));
  CHECK_FALSE(f.ok);
  CHECK(f.body.empty());
  CHECK(f.error == "redirect (HTTP 301 to " + url("good.test", o.port) +
                       ") refused: RFC 8461 §3.3 forbids following it");
}

TEST_CASE("https: a 3xx is a redirect only when it sends the client elsewhere") {
  // 307 without a Location still means "go elsewhere"; 304 (no conditional request was made)
  // and 300 without a Location do not, and are failures by their status alone.
  const auto o = options();
  fixture().serve("temp.test", "status", "307");
  fixture().serve("notmodified.test", "status", "304");
  fixture().serve("choices.test", "status", "300");
  auto fetcher = makeHttpsFetcher(o);
  const auto r = fetcher->fetch({request("temp.test"), request("notmodified.test"),
                                 request("choices.test")});
  REQUIRE(r.size() == 3);
  for (const auto& f : r) CHECK_FALSE(f.ok);
  CHECK(r[0].error == "redirect (HTTP 307) refused: RFC 8461 §3.3 forbids following it");
  CHECK(r[1].error == "HTTP 304");
  CHECK(r[2].error == "HTTP 300");
}

TEST_CASE("https: a body over the limit is refused without reading it") {
  // Both bodies take the server seconds to send: only an early abort returns at once. Without
  // a Content-Length the abort is the body's, with one it is the header's (the server waits 2 s
  // between the two).
  fixture().serve("big.test", "big", "");
  fixture().serve("bigcl.test", "big", "content-length");
  const auto start = Clock::now();
  auto fetcher = makeHttpsFetcher(options());
  const auto r = fetcher->fetch({request("big.test"), request("bigcl.test")});
  const auto took = Clock::now() - start;
  REQUIRE(r.size() == 2);
  for (const auto& f : r) {
    CHECK_FALSE(f.ok);
    CHECK(f.body.empty());
    CHECK(f.error == "body larger than 65536 octets");
  }
  CHECK(took < 1500ms);
}

TEST_CASE("https: the limit is maxBody octets exactly") {
  fixture().serve("exact.test", "txt", std::string(100, 'a'));
  fixture().serve("over.test", "txt", std::string(101, 'a'));
  auto o = options();
  o.maxBody = 100;
  auto fetcher = makeHttpsFetcher(o);
  const auto r = fetcher->fetch({request("exact.test"), request("over.test")});
  REQUIRE(r.size() == 2);
  CHECK(r[0].ok);
  CHECK(r[0].body == std::string(100, 'a'));
  CHECK_FALSE(r[1].ok);
  CHECK(r[1].error == "body larger than 100 octets");
}

TEST_CASE("https: a status other than 200 is a failure") {
  const PolicyFetch f = fetchOne(options(), request("missing.test"));
  CHECK_FALSE(f.ok);
  CHECK(f.error == "HTTP 404");
}

TEST_CASE("https: certificates that do not verify") {
  fixture().serve("good.test", "txt", kPolicy);
  SUBCASE("expired") {
    const PolicyFetch f = fetchOne(options("expired"), request("good.test"));
    CHECK_FALSE(f.ok);
    CHECK(contains(f.error, "expired"));
    CHECK_FALSE(contains(f.error, "\n"));
  }
  SUBCASE("for another name") {
    const PolicyFetch f = fetchOne(options("wrongname"), request("good.test"));
    CHECK_FALSE(f.ok);
    CHECK(contains(f.error, "mta-sts.good.test"));
  }
  SUBCASE("from a CA the system does not trust (fail closed)") {
    ScopedEnv env("SSL_CERT_FILE", nullptr);
    auto o = options();
    o.caFile.clear();
    const PolicyFetch f = fetchOne(o, request("good.test"));
    CHECK_FALSE(f.ok);
    CHECK(contains(f.error, "certificate"));
  }
}

TEST_CASE("https: the CA file comes from caFile, else from $SSL_CERT_FILE") {
  fixture().serve("good.test", "txt", kPolicy);
  SUBCASE("$SSL_CERT_FILE when caFile is empty") {
    ScopedEnv env("SSL_CERT_FILE", fixture().ca().c_str());
    auto o = options();
    o.caFile.clear();
    const PolicyFetch f = fetchOne(o, request("good.test"));
    INFO(f.error);
    CHECK(f.ok);
  }
  SUBCASE("caFile before $SSL_CERT_FILE") {
    ScopedEnv env("SSL_CERT_FILE", "/nonexistent/ca.pem");
    const PolicyFetch f = fetchOne(options(), request("good.test"));
    INFO(f.error);
    CHECK(f.ok);
  }
}

TEST_CASE("https: no address is a failure without a transfer") {
  const auto o = options();
  const auto start = Clock::now();
  const PolicyFetch f = fetchOne(o, request("good.test", {}));
  CHECK(Clock::now() - start < 500ms);
  CHECK_FALSE(f.ok);
  CHECK(f.error == "mta-sts.good.test has no address");
  CHECK(f.source == url("good.test", o.port));
}

TEST_CASE("https: addresses: only the ones given, in their order, IPv6 in brackets") {
  fixture().serve("good.test", "txt", kPolicy);
  fixture().serve("ipv6.test", "txt", kPolicy);
  const auto o = options();
  SUBCASE("nothing listens") {
    auto closed = o;
    closed.port = closedPort();
    const PolicyFetch f = fetchOne(closed, request("good.test"));
    CHECK_FALSE(f.ok);
    CHECK(contains(f.error, "connect"));
    CHECK(f.source == url("good.test", closed.port) + " (127.0.0.1)");
  }
  SUBCASE("the first address refuses, the second serves") {
    // The servers listen on 127.0.0.1 only; ::1 must be bracketed for libcurl to take it.
    const PolicyFetch f = fetchOne(o, request("ipv6.test", {"::1", "127.0.0.1"}));
    INFO(f.error);
    CHECK(f.ok);
    CHECK(f.source == url("ipv6.test", o.port) + " (::1)");
  }
  SUBCASE("not an address") {
    const PolicyFetch f = fetchOne(o, request("good.test", {"localhost"}));
    CHECK_FALSE(f.ok);
    CHECK(contains(f.error, "not an IP address"));
  }
  SUBCASE("the same host twice, at different addresses") {
    // 127.0.0.2 is loopback too, where nothing listens: each request gets its own addresses.
    auto fetcher = makeHttpsFetcher(o);
    const auto r = fetcher->fetch({request("good.test", {"127.0.0.2"}), request("good.test"),
                                   request("good.test", {"127.0.0.2"})});
    REQUIRE(r.size() == 3);
    CHECK_FALSE(r[0].ok);
    CHECK(r[1].ok);
    CHECK_FALSE(r[2].ok);
    // And in a later call to the same fetcher.
    CHECK_FALSE(fetchOne(*fetcher, request("good.test", {"127.0.0.2"})).ok);
    CHECK(fetchOne(*fetcher, request("good.test")).ok);
  }
}

TEST_CASE("https: the whole transfer is bounded by the timeout") {
  fixture().serve("slow.test", "txt", kPolicy);
  fixture().serve("slow.test", "delay", "3000");
  auto o = options();
  o.timeout = 300ms;
  const auto start = Clock::now();
  const PolicyFetch f = fetchOne(o, request("slow.test"));
  CHECK(Clock::now() - start < 2000ms);
  CHECK_FALSE(f.ok);
  CHECK(contains(f.error, "timed out"));
}

namespace {

// p0.test… p19.test, each answering after 400 ms: by index modulo 4, a policy naming the index,
// 404, text/html, a redirect.
std::vector<PolicyRequest> delayedRequests() {
  std::vector<PolicyRequest> requests;
  for (int i = 0; i < kParallelCount; ++i) {
    const std::string d = "p" + std::to_string(i) + ".test";
    fixture().serve(d, "delay", "400");
    if (i % 4 == 0) fixture().serve(d, "txt", "policy " + std::to_string(i) + "\n");
    if (i % 4 == 2) {
      fixture().serve(d, "txt", kPolicy);
      fixture().serve(d, "type", "text/html");
    }
    if (i % 4 == 3) fixture().serve(d, "redirect", "https://example.invalid/");
    requests.push_back(request(d));
  }
  return requests;
}

}  // namespace

TEST_CASE("https: many requests at once, results in request order") {
  const auto o = options();
  const auto requests = delayedRequests();
  auto fetcher = makeHttpsFetcher(o);
  const auto start = Clock::now();
  const auto r = fetcher->fetch(requests);
  CHECK(Clock::now() - start < 2000ms);  // one after the other: 8 s
  REQUIRE(r.size() == requests.size());
  for (int i = 0; i < kParallelCount; ++i) {
    INFO("request " << i << ": " << r[i].error);
    CHECK(r[i].source == url("p" + std::to_string(i) + ".test", o.port) + " (127.0.0.1)");
    CHECK(r[i].ok == (i % 4 == 0));
    if (i % 4 == 0) CHECK(r[i].body == "policy " + std::to_string(i) + "\n");
    if (i % 4 == 1) CHECK(r[i].error == "HTTP 404");
    if (i % 4 == 2) CHECK(contains(r[i].error, "text/html"));
    if (i % 4 == 3) CHECK(contains(r[i].error, "redirect (HTTP 301 to https://example.invalid/)"));
  }
}

TEST_CASE("https: no more than `parallel` transfers at once") {
  auto o = options();
  o.parallel = 2;
  auto requests = delayedRequests();
  requests.resize(6);
  const auto start = Clock::now();
  const auto r = makeHttpsFetcher(o)->fetch(requests);
  CHECK(Clock::now() - start >= 1200ms);  // three rounds of 400 ms
  REQUIRE(r.size() == 6);
  CHECK(r[0].ok);
  CHECK(r[4].ok);
  CHECK(r[5].error == "HTTP 404");
}

TEST_CASE("zone directory: DIR/mta-sts.D.txt, whole, up to the limit") {
  TempDir dir;
  writeFile(dir.path / "mta-sts.contoso.com.txt", kPolicy);
  writeFile(dir.path / "mta-sts.exact.example.txt", std::string(10, 'a'));
  writeFile(dir.path / "mta-sts.over.example.txt", std::string(11, 'a'));
  fs::create_directory(dir.path / "mta-sts.dir.example.txt");
  auto fetcher = makeZoneDirFetcher(dir.path.string(), 10 + kPolicy.size());
  CHECK(fetcher->describe() == "zone files in " + dir.path.string());

  auto small = makeZoneDirFetcher(dir.path.string(), 10);
  const auto r = small->fetch({request("exact.example"), request("over.example"),
                               request("missing.example", {}), request("dir.example")});
  REQUIRE(r.size() == 4);
  CHECK(r[0].ok);
  CHECK(r[0].body == std::string(10, 'a'));
  CHECK(r[0].source == (dir.path / "mta-sts.exact.example.txt").string());
  CHECK_FALSE(r[1].ok);
  CHECK(r[1].body.empty());
  CHECK(r[1].error == "body larger than 10 octets");
  CHECK_FALSE(r[2].ok);
  CHECK(r[2].error == "no such file");
  CHECK(r[2].source == (dir.path / "mta-sts.missing.example.txt").string());
  CHECK_FALSE(r[3].ok);
  CHECK(r[3].error == std::strerror(EISDIR));

  const PolicyFetch f = fetchOne(*fetcher, request("Contoso.COM."));
  CHECK(f.ok);
  CHECK(f.body == kPolicy);
  CHECK(f.source == (dir.path / "mta-sts.contoso.com.txt").string());
}
