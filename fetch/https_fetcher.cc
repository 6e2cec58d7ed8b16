// The HTTPS policy source (policy_fetcher.h): RFC 8461 §3.3 fetches of
// https://mta-sts.D/.well-known/mta-sts.txt through libcurl's multi interface, up to
// HttpsOptions::parallel transfers at once. The only code in offboard that calls libcurl.
//
// What it is for: turning each PolicyRequest into the octets served or the one-line reason why
// not. libcurl connects only to the addresses in the request (CURLOPT_RESOLVE, so it has no name
// of its own to look up), speaks HTTPS only, verifies the certificate against mta-sts.D, goes
// through no proxy, follows no redirect, reuses no connection (a reused one may lead to another
// request's address) and sends Cache-Control: no-cache (§3.3: no HTTP caching).
// What it must not do: resolve a name (an empty address list is a failure, not a lookup), judge
// the policy text (checks/mta_sts does), read more than maxBody octets of a body, or let any
// failure through as ok.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "fetch/policy_fetcher.h"

namespace offboard {
namespace {

// libcurl, loaded at the first fetch with dlopen rather than linked: its dependency tree
// (OpenSSL, nghttp2, Kerberos, LDAP, …) cost every offboard process about 4 ms of start-up, and
// most runs never fetch a policy. libcurl.so.4 is Debian's libcurl4 (OpenSSL); the headers are
// those of the same version, so the functions' types are the ones declared there.
struct Curl {
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
  decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;
  decltype(&::curl_multi_info_read) multi_info_read = nullptr;
  decltype(&::curl_multi_init) multi_init = nullptr;
  decltype(&::curl_multi_perform) multi_perform = nullptr;
  decltype(&::curl_multi_poll) multi_poll = nullptr;
  decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
  decltype(&::curl_multi_strerror) multi_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

// Filled once by curlApi(); used only after it succeeded (every call below is made from a
// fetch that loaded it).
Curl gCurl;

// The loaded library, curl_global_init done; nullptr with *error set when it cannot be loaded.
const Curl* curlApi(std::string* error) {
  static Curl& a = gCurl;
  static std::string why;
  static bool ok = false;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = dlerror();
      why = std::string("cannot load libcurl.so.4 (Debian's libcurl4): ") +
            (e ? e : "dlopen failed");
      return;
    }
    bool all = true;
    auto get = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      if (!fn) {
        all = false;
        why = std::string("libcurl.so.4 has no ") + name;
      }
    };
    get(a.easy_cleanup, "curl_easy_cleanup");
    get(a.easy_getinfo, "curl_easy_getinfo");
    get(a.easy_init, "curl_easy_init");
    get(a.easy_setopt, "curl_easy_setopt");
    get(a.easy_strerror, "curl_easy_strerror");
    get(a.global_init, "curl_global_init");
    get(a.multi_add_handle, "curl_multi_add_handle");
    get(a.multi_cleanup, "curl_multi_cleanup");
    get(a.multi_info_read, "curl_multi_info_read");
    get(a.multi_init, "curl_multi_init");
    get(a.multi_perform, "curl_multi_perform");
    get(a.multi_poll, "curl_multi_poll");
    get(a.multi_remove_handle, "curl_multi_remove_handle");
    get(a.multi_strerror, "curl_multi_strerror");
    get(a.slist_append, "curl_slist_append");
    get(a.slist_free_all, "curl_slist_free_all");
    if (!all) return;
    const CURLcode rc = a.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
      why = std::string("curl_global_init failed: ") + a.easy_strerror(rc);
      return;
    }
    ok = true;
  });
  if (!ok) {
    *error = why;
    return nullptr;
  }
  return &a;
}

// Server-supplied text (a Location) and libcurl's messages end up in reports: one line, no
// control characters.
std::string oneLine(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// The host of the URL must be the very name of the CURLOPT_RESOLVE entry, or libcurl would look
// the URL's host up itself: only letters, digits, '-' and '_' in non-empty labels, which the
// URL parser takes as they are (DnsName::toString escapes every other octet).
bool plainHostName(std::string_view host) {
  if (host.empty() || host.front() == '.' || host.back() == '.') return false;
  for (std::size_t i = 0; i < host.size(); ++i) {
    const auto c = static_cast<unsigned char>(host[i]);
    if (c == '.') {
      if (host[i - 1] == '.') return false;
    } else if (!std::isalnum(c) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

// "text/plain", any case, with or without parameters ("text/plain; charset=utf-8").
bool isTextPlain(const char* contentType) {
  if (!contentType) return false;
  std::string_view type(contentType);
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  constexpr std::string_view kPlain = "text/plain";
  return type.size() == kPlain.size() &&
         std::equal(type.begin(), type.end(), kPlain.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// One request that passed the checks made before any transfer. The easy handle is made only
// when the transfer starts: a scan may ask for thousands of policies.
struct Planned {
  std::size_t index = 0;  // into the requests and the results
  std::string host;       // mta-sts.D
  std::string url;
  std::string resolve;  // the CURLOPT_RESOLVE entry
};

// One request on its way: the easy handle and everything libcurl keeps a pointer to.
struct Transfer {
  std::size_t index = 0;  // into the requests and the results
  std::string host;       // mta-sts.D
  std::size_t maxBody = 0;
  CURL* easy = nullptr;
  CURLM* multi = nullptr;  // set while added to it
  curl_slist* resolve = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  bool tooBig = false;
  char errbuf[CURL_ERROR_SIZE] = {};

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer() {
    if (multi) gCurl.multi_remove_handle(multi, easy);
    if (easy) gCurl.easy_cleanup(easy);
    gCurl.slist_free_all(resolve);
    gCurl.slist_free_all(headers);
  }
};

// Keeps the body of a 200 only, up to maxBody octets: returning short makes libcurl abort the
// transfer (CURLE_WRITE_ERROR), so a large body is never read, let alone held. No exception may
// cross libcurl's C frames.
std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * count;
  long status = 0;
  gCurl.easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return 0;  // judged by its status alone
  if (len > t->maxBody - t->body.size()) {
    t->tooBig = true;
    return 0;
  }
  try {
    t->body.append(data, len);
  } catch (...) {
    return 0;
  }
  return len;
}

class HttpsFetcher final : public PolicyFetcher {
 public:
  // libcurl (and OpenSSL under it) is set up at the first fetch, not here: most runs meet no
  // MTA-STS record, and the set-up costs every process milliseconds and megabytes.
  explicit HttpsFetcher(HttpsOptions options) : options_(std::move(options)) {
    if (options_.caFile.empty()) {  // read once, when the fetcher is made
      const char* env = std::getenv("SSL_CERT_FILE");
      if (env && *env) options_.caFile = env;
    }
    options_.parallel = std::max(options_.parallel, 1);
    // 0 would be no limit at all in libcurl.
    options_.timeout = std::max(options_.timeout, std::chrono::milliseconds{1});
  }
  HttpsFetcher(const HttpsFetcher&) = delete;
  HttpsFetcher& operator=(const HttpsFetcher&) = delete;
  ~HttpsFetcher() override {
    if (multi_) gCurl.multi_cleanup(multi_);
  }

  std::vector<PolicyFetch> fetch(const std::vector<PolicyRequest>& requests) override {
    std::vector<PolicyFetch> out(requests.size());
    if (!multi_ && !requests.empty()) {
      std::string why;
      if (curlApi(&why)) {
        multi_ = gCurl.multi_init();
        if (!multi_) why = "curl_multi_init failed";
      }
      if (!multi_) {
        for (std::size_t i = 0; i < requests.size(); ++i) {
          plan(requests[i], i, out[i]);  // the source, or a failure of the request's own
          if (out[i].error.empty()) out[i].error = "libcurl cannot be initialised: " + why;
        }
        return out;
      }
    }
    std::deque<Planned> pending;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (auto p = plan(requests[i], i, out[i])) pending.push_back(std::move(*p));
    }

    // Two requests for the same host never run at once: the multi handle has one name cache,
    // which each transfer's CURLOPT_RESOLVE overwrites with its own addresses when it starts.
    // libcurl 7.88 reads the entry back at once, but does not promise to; this does not depend
    // on it.
    std::vector<std::unique_ptr<Transfer>> running;
    std::unordered_set<std::string> busyHosts;
    auto startMore = [&] {
      for (auto it = pending.begin();
           it != pending.end() && running.size() < static_cast<std::size_t>(options_.parallel);) {
        if (busyHosts.count(it->host)) {
          ++it;
          continue;
        }
        std::unique_ptr<Transfer> t = open(*it, out[it->index]);
        it = pending.erase(it);
        if (!t) continue;
        const CURLMcode mc = gCurl.multi_add_handle(multi_, t->easy);
        if (mc != CURLM_OK) {
          out[t->index].error = std::string("curl_multi_add_handle: ") + gCurl.multi_strerror(mc);
          continue;
        }
        t->multi = multi_;
        busyHosts.insert(t->host);
        running.push_back(std::move(t));
      }
    };

    startMore();
    while (!running.empty()) {
      int stillRunning = 0;
      CURLMcode mc = gCurl.multi_perform(multi_, &stillRunning);
      bool finished = false;
      int queued = 0;
      while (CURLMsg* msg = gCurl.multi_info_read(multi_, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        auto it = std::find_if(running.begin(), running.end(),
                               [&](const auto& t) { return t->easy == msg->easy_handle; });
        if (it == running.end()) continue;
        conclude(**it, msg->data.result, out[(*it)->index]);
        busyHosts.erase((*it)->host);
        running.erase(it);  // removes the handle from the multi and frees it
        finished = true;
      }
      if (mc == CURLM_OK && !finished) mc = gCurl.multi_poll(multi_, nullptr, 0, 1000, nullptr);
      if (mc != CURLM_OK) {
        // The multi handle itself failed: nothing still to do can be trusted to finish.
        const std::string why = std::string("libcurl: ") + gCurl.multi_strerror(mc);
        for (const auto& t : running) out[t->index].error = why;
        for (const auto& p : pending) out[p.index].error = why;
        return out;
      }
      startMore();
    }
    return out;
  }

  std::string describe() const override { return "https"; }

 private:
  // The URL, the source and the CURLOPT_RESOLVE entry of one request; nullopt (and `result`
  // filled in) when it fails before any transfer.
  std::optional<Planned> plan(const PolicyRequest& request, std::size_t index,
                              PolicyFetch& result) const {
    const std::string host = "mta-sts." + request.domain.toStringNoDot();
    const std::string port = std::to_string(options_.port);
    const std::string url =
        "https://" + host + (options_.port == 443 ? "" : ":" + port) + "/.well-known/mta-sts.txt";
    result.source = url;
    if (request.addresses.empty()) {
      result.error = host + " has no address";
      return std::nullopt;
    }
    result.source += " (" + request.addresses.front() + ")";
    if (!plainHostName(host)) {
      result.error = host + " is not a host name";
      return std::nullopt;
    }

    // CURLOPT_RESOLVE takes "HOST:PORT:ADDR[,ADDR]...", IPv6 addresses in brackets. Anything
    // that is not an address literal is refused here rather than left to libcurl's parser.
    std::string entry = host + ":" + port + ":";
    for (std::size_t i = 0; i < request.addresses.size(); ++i) {
      const std::string& a = request.addresses[i];
      unsigned char buf[16];
      if (i) entry += ',';
      if (inet_pton(AF_INET, a.c_str(), buf) == 1) {
        entry += a;
      } else if (inet_pton(AF_INET6, a.c_str(), buf) == 1) {
        entry += "[" + a + "]";
      } else {
        result.error = "address \"" + oneLine(a) + "\" of " + host + " is not an IP address";
        return std::nullopt;
      }
    }

    return Planned{index, host, url, entry};
  }

  // The easy handle of a planned request, every option set; nullptr (and `result.error`) when
  // libcurl refuses.
  std::unique_ptr<Transfer> open(const Planned& p, PolicyFetch& result) const {
    auto t = std::make_unique<Transfer>();
    t->index = p.index;
    t->host = p.host;
    t->maxBody = options_.maxBody;
    t->easy = gCurl.easy_init();
    t->resolve = gCurl.slist_append(nullptr, p.resolve.c_str());
    t->headers = gCurl.slist_append(nullptr, "Cache-Control: no-cache");
    if (!t->easy || !t->resolve || !t->headers) {
      result.error = "libcurl: out of memory";
      return nullptr;
    }
    CURL* e = t->easy;
    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (rc == CURLE_OK) rc = gCurl.easy_setopt(e, option, value);
    };
    set(CURLOPT_URL, p.url.c_str());
    set(CURLOPT_RESOLVE, t->resolve);
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0 deprecates the bit mask
    set(CURLOPT_PROTOCOLS_STR, "https");
#else
    set(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTPS));
#endif
    set(CURLOPT_FOLLOWLOCATION, 0L);
    set(CURLOPT_NOPROXY, "*");
    set(CURLOPT_FRESH_CONNECT, 1L);
    set(CURLOPT_FORBID_REUSE, 1L);
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.caFile.empty()) {
      // Only these CAs: Debian's libcurl would also trust its default CA directory.
      set(CURLOPT_CAINFO, options_.caFile.c_str());
      set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
    }
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    // libcurl checks a Content-Length against this before the body; onBody checks the rest.
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.maxBody));
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_USERAGENT, "offboard/" OFFBOARD_VERSION);
    set(CURLOPT_HTTPHEADER, t->headers);
    set(CURLOPT_ERRORBUFFER, t->errbuf);
    set(CURLOPT_WRITEFUNCTION, &onBody);
    set(CURLOPT_WRITEDATA, static_cast<void*>(t.get()));
    if (rc != CURLE_OK) {
      result.error = std::string("libcurl: ") + gCurl.easy_strerror(rc);
      return nullptr;
    }
    return t;
  }

  // The judgment of a finished transfer, most telling reason first: a status other than 200
  // (whose body was never read), then the size, then libcurl's own failure, then the media type.
  void conclude(Transfer& t, CURLcode rc, PolicyFetch& result) const {
    long status = 0;
    gCurl.easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    char* location = nullptr;
    if (status >= 300 && status < 400) gCurl.easy_getinfo(t.easy, CURLINFO_REDIRECT_URL, &location);
    // A redirect is a status that sends the client elsewhere (RFC 9110 §15.4): 301, 302, 303,
    // 307, 308, or any 3xx with a Location. 304 Not Modified answers a conditional request
    // (none is made here) and 305/306 are obsolete: those are plain failures, "HTTP 304".
    const bool redirect = location != nullptr || status == 301 || status == 302 ||
                          status == 303 || status == 307 || status == 308;
    if (redirect) {
      result.error = "redirect (HTTP " + std::to_string(status) +
                     (location ? " to " + oneLine(location) : std::string()) +
                     ") refused: RFC 8461 §3.3 forbids following it";
    } else if (status != 0 && status != 200) {
      result.error = "HTTP " + std::to_string(status);
    } else if (t.tooBig || rc == CURLE_FILESIZE_EXCEEDED) {
      result.error = "body larger than " + std::to_string(t.maxBody) + " octets";
    } else if (rc != CURLE_OK) {
      result.error = oneLine(t.errbuf[0] ? t.errbuf : gCurl.easy_strerror(rc));
    } else {
      char* type = nullptr;
      gCurl.easy_getinfo(t.easy, CURLINFO_CONTENT_TYPE, &type);
      if (!isTextPlain(type)) {
        // §3.3: senders SHOULD check that the media type is text/plain.
        result.error = type ? "media type \"" + oneLine(type) + "\" is not text/plain"
                            : std::string("no media type (Content-Type), text/plain expected");
      } else {
        result.ok = true;
        result.body = std::move(t.body);
      }
    }
  }

  HttpsOptions options_;
  CURLM* multi_ = nullptr;
};

}  // namespace

std::unique_ptr<PolicyFetcher> makeHttpsFetcher(HttpsOptions options) {
  return std::make_unique<HttpsFetcher>(std::move(options));
}

}  // namespace offboard
