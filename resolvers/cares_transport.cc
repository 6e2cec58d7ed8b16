#include "resolvers/cares_transport.h"

#include <arpa/inet.h>
#include <ares.h>
#include <poll.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace offboard {
namespace {

using Clock = std::chrono::steady_clock;

// How often c-ares gets a chance to expire timed-out tries when no socket is ready. We drive
// timeouts with this tick rather than ares_timeout(): one fixed cadence for all channels.
constexpr int kTickMs = 25;
constexpr std::size_t kMaxWindow = 30000;  // keeps a channel's 16-bit ID space at most half used

void setError(std::string* error, std::string message) {
  if (error) *error = std::move(message);
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<ServerEndpoint> parseServerEndpoint(std::string_view text, std::string* error) {
  auto bad = [&](const std::string& why) {
    setError(error, "invalid server address \"" + std::string(text) + "\": " + why);
    return std::nullopt;
  };
  if (text.empty()) return bad("empty");
  std::string_view host = text, port;
  bool bracketed = false;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("unexpected text after ']'");
      port = rest.substr(1);
      if (port.empty()) return bad("empty port");
    }
    bracketed = true;
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) return bad("empty port");
  }
  if (host.find('%') != std::string_view::npos) return bad("zone ids are not supported");

  ServerEndpoint ep;
  std::string hostText(host);
  if (!bracketed && inet_pton(AF_INET, hostText.c_str(), ep.addr.data()) == 1) {
    ep.family = AF_INET;
  } else if (inet_pton(AF_INET6, hostText.c_str(), ep.addr.data()) == 1) {
    ep.family = AF_INET6;
  } else {
    return bad("not an IPv4 or IPv6 address (host names are not accepted)");
  }
  if (!port.empty()) {
    if (!allDigits(port) || port.size() > 5) return bad("port is not a number");
    unsigned long p = std::stoul(std::string(port));
    if (p == 0 || p > 65535) return bad("port out of range 1-65535");
    ep.port = static_cast<std::uint16_t>(p);
  }
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ep.family, ep.addr.data(), buf, sizeof buf);
  ep.canonical = ep.family == AF_INET6 ? "[" + std::string(buf) + "]:" + std::to_string(ep.port)
                                       : std::string(buf) + ":" + std::to_string(ep.port);
  return ep;
}

struct CaresTransport::Impl {
  struct Channel {
    Impl* impl = nullptr;
    ares_channel ch = nullptr;
    ServerEndpoint ep;
    bool tcp = false;
    bool edns = false;      // the channel's ARES_FLAG_EDNS (c-ares clears it after a FORMERR)
    std::string initError;  // non-empty: the channel is unusable
    std::unordered_set<std::uint16_t> ids;  // IDs of this channel's queries in flight
    std::size_t inFlight = 0;
  };

  struct Query {
    Impl* impl = nullptr;
    std::uint64_t serial = 0;
    std::string server;
    Question q;
    bool rd = true;
    bool tcp = false;  // on the TCP-only channel (tcpOnly, or our retry after TC over TCP)
    Callback cb;
    Channel* channel = nullptr;
    std::uint16_t id = 0;
    bool withOpt = false;
  };

  // What a c-ares callback leaves behind: copied, acted on after ares_process_fd returns.
  struct Completion {
    std::uint64_t serial;
    int status;
    std::vector<std::uint8_t> abuf;
  };

  struct Ready {
    Callback cb;
    WireAnswer answer;
  };

  struct SocketInterest {
    Channel* channel;
    bool read;
    bool write;
  };

  TransportOptions opts;
  std::size_t window = 1;
  bool libraryInit = false;
  std::map<std::string, std::unique_ptr<Channel>> channels;  // key: canonical + "/udp" | "/tcp"
  std::deque<std::unique_ptr<Query>> queued;
  std::unordered_map<std::uint64_t, std::unique_ptr<Query>> inFlight;
  std::vector<Completion> completions;
  std::deque<Ready> ready;
  std::unordered_map<ares_socket_t, SocketInterest> sockets;
  std::uint64_t nextSerial = 1;
  std::size_t peak = 0;
  std::size_t sent = 0;
  bool expired = false;  // the overall deadline of the current run() has passed
  std::vector<std::uint8_t> randomPool;
  std::size_t randomUsed = 0;

  ~Impl() {
    // ares_destroy runs the callbacks of anything still in flight (EDESTRUCTION); they only
    // append to `completions`, which is still alive here.
    for (auto& [key, c] : channels) {
      if (c->ch) ares_destroy(c->ch);
    }
    if (libraryInit) ares_library_cleanup();
  }

  // --- c-ares callbacks: record, never call back into c-ares --------------------------------

  static void onSocketState(void* data, ares_socket_t fd, int readable, int writable) {
    auto* c = static_cast<Channel*>(data);
    auto& sockets = c->impl->sockets;
    if (!readable && !writable) {
      auto it = sockets.find(fd);
      if (it != sockets.end() && it->second.channel == c) sockets.erase(it);
    } else {
      sockets[fd] = {c, readable != 0, writable != 0};
    }
  }

  static void onAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    auto* q = static_cast<Query*>(arg);
    Completion done{q->serial, status, {}};
    if (abuf && alen > 0) done.abuf.assign(abuf, abuf + alen);
    q->impl->completions.push_back(std::move(done));
  }

  // --- query IDs ------------------------------------------------------------------------------

  std::uint16_t randomId() {
    if (randomUsed + 2 > randomPool.size()) {
      randomPool.assign(512, 0);
      std::size_t got = 0;
      while (got < randomPool.size()) {
        ssize_t n = getrandom(randomPool.data() + got, randomPool.size() - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("getrandom() failed: cannot make query IDs");
        got += static_cast<std::size_t>(n);
      }
      randomUsed = 0;
    }
    auto id = static_cast<std::uint16_t>((randomPool[randomUsed] << 8) | randomPool[randomUsed + 1]);
    randomUsed += 2;
    return id;
  }

  std::uint16_t uniqueId(const Channel& c) {
    for (;;) {
      std::uint16_t id = randomId();
      if (!c.ids.count(id)) return id;
    }
  }

  // --- channels -------------------------------------------------------------------------------

  Channel* channelFor(const ServerEndpoint& ep, bool tcp) {
    std::string key = ep.canonical + (tcp ? "/tcp" : "/udp");
    auto it = channels.find(key);
    if (it != channels.end()) return it->second.get();
    auto c = std::make_unique<Channel>();
    c->impl = this;
    c->ep = ep;
    c->tcp = tcp;
    c->edns = opts.edns;
    initChannel(*c);
    return channels.emplace(key, std::move(c)).first->second.get();
  }

  // Every field whose absence makes c-ares 1.18.1 read resolv.conf, nsswitch.conf, host.conf or
  // the environment's search domains is set (ARES_CONFIG_CHECK then skips all file reads;
  // CVE-2024-25629 is in that reader). Servers are set afterwards with ports, then read back.
  void initChannel(Channel& c) {
    ares_options o{};
    int mask = 0;
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH;
    if (c.tcp) o.flags |= ARES_FLAG_USEVC;
    if (c.edns) o.flags |= ARES_FLAG_EDNS;
    mask |= ARES_OPT_FLAGS;
    o.timeout = std::max(1, opts.timeoutMs);
    mask |= ARES_OPT_TIMEOUTMS;
    o.tries = std::max(1, opts.tries);
    mask |= ARES_OPT_TRIES;
    o.ndots = 1;
    mask |= ARES_OPT_NDOTS;
    o.servers = nullptr;
    o.nservers = 0;
    mask |= ARES_OPT_SERVERS;
    o.domains = nullptr;
    o.ndomains = 0;
    mask |= ARES_OPT_DOMAINS;
    char lookups[] = "b";  // DNS only, never /etc/hosts
    o.lookups = lookups;
    mask |= ARES_OPT_LOOKUPS;
    o.sortlist = nullptr;
    o.nsort = 0;
    mask |= ARES_OPT_SORTLIST;
    o.sock_state_cb = &Impl::onSocketState;
    o.sock_state_cb_data = &c;
    mask |= ARES_OPT_SOCK_STATE_CB;
    mask |= ARES_OPT_NOROTATE;
    if (c.edns) {
      o.ednspsz = kEdnsPayload;
      mask |= ARES_OPT_EDNSPSZ;
    }
    int rc = ares_init_options(&c.ch, &o, mask);
    if (rc != ARES_SUCCESS) {
      c.ch = nullptr;
      c.initError = std::string("c-ares channel: ") + ares_strerror(rc);
      return;
    }
    ares_addr_port_node node{};
    node.next = nullptr;
    node.family = c.ep.family;
    if (c.ep.family == AF_INET) {
      std::memcpy(&node.addr.addr4, c.ep.addr.data(), 4);
    } else {
      std::memcpy(&node.addr.addr6, c.ep.addr.data(), 16);
    }
    node.udp_port = c.ep.port;
    node.tcp_port = c.ep.port;
    rc = ares_set_servers_ports(c.ch, &node);
    if (rc != ARES_SUCCESS) {
      c.initError = std::string("c-ares server setup: ") + ares_strerror(rc);
      return;
    }
    // Read the list back: exactly our server, nothing c-ares added (1.18.1 falls back to
    // 127.0.0.1 when it has none).
    ares_addr_port_node* got = nullptr;
    rc = ares_get_servers_ports(c.ch, &got);
    bool same = rc == ARES_SUCCESS && got && !got->next && got->family == c.ep.family &&
                got->udp_port == c.ep.port && got->tcp_port == c.ep.port &&
                std::memcmp(&got->addr, c.ep.addr.data(), c.ep.family == AF_INET ? 4 : 16) == 0;
    if (got) ares_free_data(got);
    if (!same) c.initError = "c-ares did not keep the server address " + c.ep.canonical;
  }

  // After a FORMERR without OPT to a query with OPT, c-ares switches EDNS off for the whole
  // channel and retries that query without the OPT by itself, silently. Every query must follow
  // the channel's flag: an OPT-less query on an EDNS channel is corrupted by c-ares on FORMERR,
  // and an OPT query on a non-EDNS channel gets no EDNS fallback (reliability §0.6). So the
  // flag is read back (ares_save_options) before each send while it is still on.
  void refreshEdns(Channel& c) {
    if (!c.ch || !c.edns) return;
    ares_options o{};
    int mask = 0;
    if (ares_save_options(c.ch, &o, &mask) == ARES_SUCCESS) {
      c.edns = (o.flags & ARES_FLAG_EDNS) != 0;
      ares_destroy_options(&o);
    }
  }

  // --- the query life cycle -------------------------------------------------------------------

  WireAnswer failure(const Query& q, Outcome o, std::string detail) const {
    WireAnswer w;
    w.obs.question = q.q;
    w.obs.server = q.channel ? q.channel->ep.canonical : q.server;
    w.obs.outcome = o;
    w.obs.detail = std::move(detail);
    return w;
  }

  void finish(std::unique_ptr<Query> q, WireAnswer w) {
    ready.push_back({std::move(q->cb), std::move(w)});
  }

  std::string deadlineText() const {
    return "overall deadline of " + std::to_string(opts.overallDeadlineMs) + " ms reached";
  }

  // Hands one queued query to c-ares (or ends it when it cannot be sent).
  void start(std::unique_ptr<Query> q) {
    std::string err;
    auto ep = parseServerEndpoint(q->server, &err);
    if (!ep) {
      auto w = failure(*q, Outcome::NotAvailable, err);
      return finish(std::move(q), std::move(w));
    }
    Channel* c = channelFor(*ep, q->tcp);
    q->channel = c;
    if (!c->initError.empty()) {
      auto w = failure(*q, Outcome::NotAvailable, c->initError);
      return finish(std::move(q), std::move(w));
    }
    q->id = uniqueId(*c);
    refreshEdns(*c);
    q->withOpt = opts.edns && c->edns;
    auto wire = buildQuery(q->q, q->id, q->rd, q->withOpt);
    if (wire.empty()) {
      auto w = failure(*q, Outcome::NotAvailable, "no query can be built for an empty name");
      return finish(std::move(q), std::move(w));
    }
    c->ids.insert(q->id);
    ++c->inFlight;
    Query* raw = q.get();
    inFlight.emplace(q->serial, std::move(q));
    peak = std::max(peak, inFlight.size());
    ++sent;
    // ares_send may call onAnswer synchronously (e.g. ENOMEM); that only queues a completion.
    ares_send(c->ch, wire.data(), static_cast<int>(wire.size()), &Impl::onAnswer, raw);
  }

  void pump() {
    while (!queued.empty() && inFlight.size() < window) {
      auto q = std::move(queued.front());
      queued.pop_front();
      if (expired) {
        auto w = failure(*q, Outcome::Timeout, deadlineText());
        finish(std::move(q), std::move(w));
        continue;
      }
      start(std::move(q));
    }
  }

  WireAnswer fromStatus(const Query& q, int status) const {
    switch (status) {
      case ARES_ETIMEOUT:
        return failure(q, Outcome::Timeout,
                       "no answer (" + std::to_string(opts.timeoutMs) + " ms, " +
                           std::to_string(opts.tries) + " tries" + (q.tcp ? ", TCP)" : ")"));
      case ARES_ECONNREFUSED:
        return failure(q, Outcome::Unreachable, "connection refused");
      case ARES_ECANCELLED:
      case ARES_EDESTRUCTION:
        return failure(q, Outcome::Timeout, deadlineText());
      case ARES_EBADRESP:
      case ARES_EBADQUERY:
      case ARES_EFORMERR:
        return failure(q, Outcome::Malformed, std::string("c-ares: ") + ares_strerror(status));
      default:
        return failure(q, Outcome::Unreachable, std::string("c-ares: ") + ares_strerror(status));
    }
  }

  void processCompletions() {
    while (!completions.empty()) {
      std::vector<Completion> batch;
      batch.swap(completions);
      for (auto& done : batch) {
        auto it = inFlight.find(done.serial);
        if (it == inFlight.end()) continue;  // cannot happen: one callback per ares_send
        std::unique_ptr<Query> q = std::move(it->second);
        inFlight.erase(it);
        Channel* c = q->channel;
        c->ids.erase(q->id);
        --c->inFlight;

        if (done.abuf.empty()) {
          auto w = fromStatus(*q, done.status);
          finish(std::move(q), std::move(w));
          continue;
        }
        // A packet is classified from its bytes whatever the status says.
        auto w = classifyResponse(q->q, q->id, done.abuf.data(), done.abuf.size(),
                                  c->ep.canonical);
        if (w.obs.outcome == Outcome::FormErr && q->withOpt && !expired) {
          // Sent with OPT before c-ares turned EDNS off for this server: ask again without it.
          refreshEdns(*c);
          if (!c->edns) {
            q->channel = nullptr;
            queued.push_front(std::move(q));
            continue;
          }
        }
        if (w.tc && !q->tcp && !expired) {
          // c-ares already moves a truncated UDP answer to TCP; if a TC answer still arrives,
          // ask once more on a TCP-only channel, and take what that says.
          q->tcp = true;
          q->channel = nullptr;
          queued.push_front(std::move(q));
          continue;
        }
        if (w.tc) w.obs.detail = "truncated (also over TCP)";
        finish(std::move(q), std::move(w));
      }
    }
  }

  void deliver() {
    while (!ready.empty()) {
      Ready r = std::move(ready.front());
      ready.pop_front();
      if (r.cb) r.cb(std::move(r.answer));
    }
  }

  // The overall deadline: end everything queued, and cancel what is in flight. Called from
  // run(), never from a callback, so ares_cancel is safe here.
  void expire() {
    expired = true;
    while (!queued.empty()) {
      auto q = std::move(queued.front());
      queued.pop_front();
      auto w = failure(*q, Outcome::Timeout, deadlineText());
      finish(std::move(q), std::move(w));
    }
    for (auto& [key, c] : channels) {
      if (c->ch && c->inFlight > 0) ares_cancel(c->ch);
    }
  }

  void waitForIo(int waitMs) {
    std::vector<pollfd> fds;
    fds.reserve(sockets.size());
    for (const auto& [fd, interest] : sockets) {
      short events = 0;
      if (interest.read) events |= POLLIN;
      if (interest.write) events |= POLLOUT;
      fds.push_back({fd, events, 0});
    }
    int n = poll(fds.empty() ? nullptr : fds.data(), fds.size(), waitMs);
    if (n <= 0) return;  // timeout or EINTR: the caller loops
    for (const auto& p : fds) {
      if (!p.revents) continue;
      // Look the socket up again: an earlier ares_process_fd may have closed it.
      auto it = sockets.find(p.fd);
      if (it == sockets.end()) continue;
      const bool problem = (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
      ares_socket_t r = (it->second.read && ((p.revents & POLLIN) || problem)) ? p.fd
                                                                               : ARES_SOCKET_BAD;
      ares_socket_t w = (it->second.write && ((p.revents & POLLOUT) || problem))
                            ? p.fd
                            : ARES_SOCKET_BAD;
      if (r == ARES_SOCKET_BAD && w == ARES_SOCKET_BAD) continue;
      ares_process_fd(it->second.channel->ch, r, w);
    }
  }

  void processTimeouts() {
    for (auto& [key, c] : channels) {
      if (c->ch && c->inFlight > 0) ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
  }

  void run() {
    const auto begin = Clock::now();
    const bool hasDeadline = opts.overallDeadlineMs > 0;
    const auto deadline = begin + std::chrono::milliseconds(opts.overallDeadlineMs);
    auto lastTick = begin;
    expired = false;
    for (;;) {
      pump();
      processCompletions();
      deliver();
      if (!queued.empty() && inFlight.size() < window) continue;
      if (queued.empty() && inFlight.empty() && completions.empty() && ready.empty()) break;
      auto now = Clock::now();
      if (hasDeadline && !expired && now >= deadline) {
        expire();
        continue;
      }
      int waitMs = kTickMs;
      if (hasDeadline && !expired) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        waitMs = static_cast<int>(std::clamp<long long>(left + 1, 0, kTickMs));
      }
      waitForIo(waitMs);
      now = Clock::now();
      if (now - lastTick >= std::chrono::milliseconds(kTickMs)) {
        processTimeouts();
        lastTick = now;
      }
    }
    expired = false;
  }
};

CaresTransport::CaresTransport(TransportOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opts = options;
  impl_->window = std::clamp<std::size_t>(options.maxInFlight, 1, kMaxWindow);
  int rc = ares_library_init(ARES_LIB_INIT_ALL);
  if (rc != ARES_SUCCESS) {
    throw std::runtime_error(std::string("c-ares library init: ") + ares_strerror(rc));
  }
  impl_->libraryInit = true;
}

CaresTransport::~CaresTransport() = default;

void CaresTransport::send(const std::string& server, const Question& q, bool rd, Callback cb,
                          bool tcpOnly) {
  auto query = std::make_unique<Impl::Query>();
  query->impl = impl_.get();
  query->serial = impl_->nextSerial++;
  query->server = server;
  query->q = q;
  query->rd = rd;
  query->tcp = tcpOnly;
  query->cb = std::move(cb);
  impl_->queued.push_back(std::move(query));
}

void CaresTransport::run() { impl_->run(); }

std::size_t CaresTransport::outstanding() const {
  return impl_->queued.size() + impl_->inFlight.size();
}

std::size_t CaresTransport::peakInFlight() const { return impl_->peak; }

std::size_t CaresTransport::queriesSent() const { return impl_->sent; }

const TransportOptions& CaresTransport::options() const { return impl_->opts; }

}  // namespace offboard
