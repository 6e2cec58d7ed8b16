#include "resolvers/cares_transport.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

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

#include "resolvers/batch_socket.h"

namespace offboard {
namespace {

using Clock = std::chrono::steady_clock;

// How often c-ares gets a chance to expire timed-out tries when no socket is ready. We drive
// timeouts with this tick rather than ares_timeout(): one fixed cadence for all channels.
constexpr int kTickMs = 25;
constexpr std::size_t kMaxWindow = 30000;  // keeps a channel's 16-bit ID space at most half used
// The adaptive window never shrinks below this (or below maxInFlight when that is smaller).
constexpr std::size_t kMinAdaptiveWindow = 16;
// A burst of answers must fit in a UDP socket until we read it: the kernel caps this at
// net.core.rmem_max, and whatever it grants is more than the 208 KiB default only then.
constexpr int kUdpReceiveBuffer = 4 << 20;

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
    std::vector<std::uint64_t> ids = std::vector<std::uint64_t>(65536 / 64);  // IDs in flight
    std::size_t inFlight = 0;
    std::size_t answered = 0;  // packets received: the server is alive
    bool processed = false;    // c-ares read from it since the last EDNS refresh

    bool hasId(std::uint16_t id) const { return (ids[id >> 6] >> (id & 63)) & 1; }
    void setId(std::uint16_t id, bool on) {
      if (on) ids[id >> 6] |= std::uint64_t{1} << (id & 63);
      else ids[id >> 6] &= ~(std::uint64_t{1} << (id & 63));
    }
  };

  // One server address as the callers spell it: parsed once, with its channels.
  struct Server {
    std::string error;  // non-empty: not an address (every query to it ends NotAvailable)
    ServerEndpoint ep;
    std::vector<Channel*> udp;
    Channel* tcp = nullptr;
    std::size_t next = 0;  // round-robin over `udp`
  };

  struct Query {
    Impl* impl = nullptr;
    std::uint64_t serial = 0;
    Server* server = nullptr;
    Question q;
    bool rd = true;
    bool tcp = false;  // on the TCP-only channel (tcpOnly, or our retry after TC over TCP)
    Callback cb;
    Channel* channel = nullptr;
    std::uint16_t id = 0;
    bool withOpt = false;
  };

  // A FORMERR to a query sent with OPT: whether to ask again without OPT depends on the
  // channel's EDNS flag, which can only be read outside the c-ares callback.
  struct FormErr {
    std::unique_ptr<Query> q;
    WireAnswer answer;
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
  std::size_t maxWindow = 1;
  std::size_t minWindow = 1;
  std::size_t window = 1;
  std::size_t growCredit = 0;        // clean answers since the window last grew
  std::uint64_t recoverSerial = 0;   // losses of queries sent up to here were already acted on
  bool libraryInit = false;
  std::vector<std::unique_ptr<Channel>> channelList;
  std::vector<std::unique_ptr<Server>> serverList;
  std::unordered_map<std::string, Server*> serversByText;   // as callers spell them
  std::unordered_map<std::string, Server*> serversByAddress;  // canonical "IP:PORT"
  std::deque<std::unique_ptr<Query>> queued;
  std::vector<std::unique_ptr<Query>> spare;  // done with, for send to reuse (recycle)
  std::size_t inFlight = 0;  // queries handed to c-ares whose callback has not run
  std::vector<FormErr> formErrs;
  // Answers waiting for their callbacks: `ready` fills while c-ares reads, and deliver() hands
  // them on from `delivering` (the two swap, so their room is reused: a deque would allocate
  // a node per answer, a Ready being larger than its node).
  std::vector<Ready> ready, delivering;
  std::unordered_map<ares_socket_t, SocketInterest> sockets;
  DatagramBatch batch;                 // UDP datagrams read ahead and queries queued to send
  std::vector<unsigned char> udpFds;   // by descriptor: 1 for a UDP socket c-ares opened
  std::vector<pollfd> pollScratch;
  std::vector<int> mustReadScratch;
  std::uint64_t nextSerial = 1;
  TransportStats stats;
  bool expired = false;  // the overall deadline of the current run() has passed
  std::function<void()> waitHook;  // setWaitHook
  std::vector<std::uint8_t> randomPool;
  std::size_t randomUsed = 0;
  // Token bucket (ratePerSecond > 0).
  double tokens = 0;
  double bucketSize = 1;
  Clock::time_point lastRefill{};

  ~Impl() {
    destroyChannels();
    if (libraryInit) ares_library_cleanup();
  }

  // ares_destroy runs the callbacks of anything still in flight (EDESTRUCTION); they only move
  // the query to `ready`, which is still alive here and dropped afterwards.
  void destroyChannels() {
    for (auto& c : channelList) {
      if (c->ch) ares_destroy(c->ch);
      c->ch = nullptr;
    }
  }

  bool forgetServers() {
    if (!queued.empty() || inFlight > 0 || !ready.empty() || !formErrs.empty()) return false;
    destroyChannels();
    channelList.clear();
    serverList.clear();
    serversByText.clear();
    serversByAddress.clear();
    sockets.clear();  // ares_destroy closed them (and said so through onSocketState)
    return true;
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

  static void onAnswer(void* arg, int status, int timeouts, unsigned char* abuf, int alen) {
    auto* q = static_cast<Query*>(arg);
    q->impl->complete(std::unique_ptr<Query>(q), status, timeouts, abuf,
                      abuf && alen > 0 ? static_cast<std::size_t>(alen) : 0);
  }

  // --- c-ares' socket calls (ares_set_socket_functions) ---------------------------------------
  // UDP goes through the batch (resolvers/batch_socket.h): c-ares reads a socket one recvfrom()
  // per datagram until EAGAIN and sends one query per send(); the batch gives it the same
  // datagrams from one recvmmsg() per ring, and sends the queries of a loop with one
  // sendmmsg() (waitForIo flushes before every poll), a send error coming back to c-ares as
  // the socket's next read error. With socket functions set, c-ares 1.18.1 configures nothing
  // on its sockets (configure_socket returns early), so what it would set is set here:
  // non-blocking, close-on-exec, the UDP receive buffer, TCP_NODELAY. Each call keeps errno as
  // the system call left it: c-ares decides from it (EAGAIN ends a read, anything else is the
  // server's connection failing).

  static ares_socket_t sockOpen(int domain, int type, int protocol, void* data) {
    auto* m = static_cast<Impl*>(data);
    const int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    int fd = ::socket(domain, kind | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) return ARES_SOCKET_BAD;
    int rc = 0;
    if (kind == SOCK_DGRAM) {
      int size = kUdpReceiveBuffer;
      rc = ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    } else if (kind == SOCK_STREAM) {
      int one = 1;  // one query per segment, sent at once (c-ares sets it on its own sockets)
      rc = ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (rc != 0) {
      const int e = errno;
      ::close(fd);
      errno = e;
      return ARES_SOCKET_BAD;
    }
    if (kind == SOCK_DGRAM) m->setUdp(fd, true);
    return fd;
  }

  static int sockClose(ares_socket_t fd, void* data) {
    auto* m = static_cast<Impl*>(data);
    // The number is free for the next socket once closed: nothing read for this one may reach it.
    m->batch.forget(fd);
    m->setUdp(fd, false);
    return ::close(fd);
  }

  static int sockConnect(ares_socket_t fd, const sockaddr* addr, ares_socklen_t len, void*) {
    return ::connect(fd, addr, len);
  }

  static ares_ssize_t sockRecvFrom(ares_socket_t fd, void* buf, size_t len, int flags,
                                   sockaddr* from, ares_socklen_t* fromLen, void* data) {
    auto* m = static_cast<Impl*>(data);
    if (m->isUdp(fd)) return m->batch.receive(fd, buf, len, flags, from, fromLen);
    return ::recvfrom(fd, buf, len, flags, from, fromLen);  // TCP: a stream, nothing to batch
  }

  // UDP: queued, sent with every other query of this loop by the flush before poll(). TCP:
  // at once (c-ares advances its stream by what was written); MSG_NOSIGNAL makes a server that
  // closed on us EPIPE for c-ares to handle, not SIGPIPE.
  static ares_ssize_t sockSendv(ares_socket_t fd, const iovec* iov, int n, void* data) {
    auto* m = static_cast<Impl*>(data);
    if (m->isUdp(fd)) return m->batch.queue(fd, iov, n);
    msghdr h{};
    h.msg_iov = const_cast<iovec*>(iov);
    h.msg_iovlen = static_cast<std::size_t>(n);
    return ::sendmsg(fd, &h, MSG_NOSIGNAL);
  }

  static constexpr ares_socket_functions kSocketFunctions{&sockOpen, &sockClose, &sockConnect,
                                                          &sockRecvFrom, &sockSendv};

  bool isUdp(int fd) const {
    return fd >= 0 && static_cast<std::size_t>(fd) < udpFds.size() && udpFds[fd];
  }
  void setUdp(int fd, bool on) {
    if (fd < 0) return;
    if (static_cast<std::size_t>(fd) >= udpFds.size()) {
      if (!on) return;
      udpFds.resize(static_cast<std::size_t>(fd) + 1, 0);
    }
    udpFds[fd] = on ? 1 : 0;
  }

  // --- query IDs ------------------------------------------------------------------------------

  std::uint16_t randomId() {
    if (randomUsed + 2 > randomPool.size()) {
      randomPool.assign(4096, 0);
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
      if (!c.hasId(id)) return id;
    }
  }

  // --- servers and channels -------------------------------------------------------------------

  // The server for an address as a caller spells it, parsed once; spellings of one address
  // share one Server (and so its channels).
  Server* serverFor(const std::string& text) {
    auto it = serversByText.find(text);
    if (it != serversByText.end()) return it->second;
    auto s = std::make_unique<Server>();
    auto ep = parseServerEndpoint(text, &s->error);
    Server* found = nullptr;
    if (ep) {
      auto same = serversByAddress.find(ep->canonical);
      if (same != serversByAddress.end()) found = same->second;
    }
    if (!found) {
      if (ep) s->ep = *ep;
      found = s.get();
      serverList.push_back(std::move(s));
      if (ep) serversByAddress.emplace(ep->canonical, found);
    }
    serversByText.emplace(text, found);
    return found;
  }

  Channel* newChannel(const ServerEndpoint& ep, bool tcp) {
    auto c = std::make_unique<Channel>();
    c->impl = this;
    c->ep = ep;
    c->tcp = tcp;
    c->edns = opts.edns;
    initChannel(*c);
    channelList.push_back(std::move(c));
    return channelList.back().get();
  }

  // The channel for the next query to `s`: its TCP channel, or its UDP channels in turn.
  Channel* channelFor(Server& s, bool tcp) {
    if (tcp) {
      if (!s.tcp) s.tcp = newChannel(s.ep, true);
      return s.tcp;
    }
    const std::size_t count = static_cast<std::size_t>(std::clamp(opts.socketsPerServer, 1, 16));
    if (s.udp.size() < count) {
      s.udp.push_back(newChannel(s.ep, false));
      return s.udp.back();
    }
    Channel* c = s.udp[s.next];
    s.next = (s.next + 1) % s.udp.size();
    return c;
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
    if (opts.stayOpen) o.flags |= ARES_FLAG_STAYOPEN;
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
    if (!c.tcp) {
      // Ignored by c-ares once our socket functions are set (sockOpen sets it); kept so that
      // the channel's configuration says what its sockets get.
      o.socket_receive_buffer_size = kUdpReceiveBuffer;
      mask |= ARES_OPT_SOCK_RCVBUF;
    }
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
    ares_set_socket_functions(c.ch, &kSocketFunctions, this);
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
  // and an OPT query on a non-EDNS channel gets no EDNS fallback (reliability §0.6). c-ares
  // changes the flag only while it processes an answer, so the flag is read back
  // (ares_save_options, which copies the whole configuration) after c-ares has read from the
  // channel and before the next send, not before every send.
  void refreshEdns(Channel& c) {
    c.processed = false;
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
    if (q.channel) {
      w.obs.server = q.channel->ep.canonical;
    } else if (q.server && q.server->error.empty()) {
      w.obs.server = q.server->ep.canonical;
    }
    w.obs.outcome = o;
    w.obs.detail = std::move(detail);
    return w;
  }

  // The answer is moved once here and handed to its callback in place (deliver): a WireAnswer
  // is a few hundred octets of vectors and strings, and every move of it costs its destructor too.
  void finish(std::unique_ptr<Query> q, WireAnswer&& w) {
    ready.push_back({std::move(q->cb), std::move(w)});
    recycle(std::move(q));
  }

  // A query done with, kept for the next send (up to the most ever in flight at once): a scan
  // asks hundreds of thousands of questions, and an allocation each, in memory gone cold,
  // showed in the profile.
  void recycle(std::unique_ptr<Query> q) {
    if (spare.size() >= std::max<std::size_t>(maxWindow, 64)) return;
    q->cb = nullptr;
    spare.push_back(std::move(q));
  }

  std::unique_ptr<Query> fresh() {
    if (spare.empty()) return std::make_unique<Query>();
    std::unique_ptr<Query> q = std::move(spare.back());
    spare.pop_back();
    q->channel = nullptr;
    q->id = 0;
    q->withOpt = false;
    q->serial = 0;
    return q;
  }

  std::string deadlineText() const {
    return "overall deadline of " + std::to_string(opts.overallDeadlineMs) + " ms reached";
  }

  // Hands one queued query to c-ares (or ends it when it cannot be sent).
  void start(std::unique_ptr<Query> q) {
    if (!q->server->error.empty()) {
      auto w = failure(*q, Outcome::NotAvailable, q->server->error);
      return finish(std::move(q), std::move(w));
    }
    Channel* c = channelFor(*q->server, q->tcp);
    q->channel = c;
    if (!c->initError.empty()) {
      auto w = failure(*q, Outcome::NotAvailable, c->initError);
      return finish(std::move(q), std::move(w));
    }
    if (c->processed) refreshEdns(*c);
    q->id = uniqueId(*c);
    q->withOpt = opts.edns && c->edns;
    buildQueryInto(wire, q->q, q->id, q->rd, q->withOpt);
    if (wire.empty()) {
      auto w = failure(*q, Outcome::NotAvailable, "no query can be built for an empty name");
      return finish(std::move(q), std::move(w));
    }
    c->setId(q->id, true);
    q->serial = nextSerial++;
    ++c->inFlight;
    ++inFlight;
    stats.peakInFlight = std::max(stats.peakInFlight, inFlight);
    ++stats.sent;
    // Owned by c-ares until onAnswer, which runs exactly once (ENOMEM: synchronously, which
    // only records the outcome).
    Query* raw = q.release();
    ares_send(c->ch, wire.data(), static_cast<int>(wire.size()), &Impl::onAnswer, raw);
  }
  std::vector<std::uint8_t> wire;  // the query being sent (reused: c-ares copies it)

  // Refills the token bucket; true when a query may be sent now.
  bool mayStart(Clock::time_point now) {
    if (opts.ratePerSecond <= 0) return true;
    if (tokens < 1) {
      double secs = std::chrono::duration<double>(now - lastRefill).count();
      tokens = std::min(bucketSize, tokens + secs * opts.ratePerSecond);
      lastRefill = now;
    }
    return tokens >= 1;
  }

  void pump() {
    if (queued.empty() || inFlight >= window) return;
    const auto now = opts.ratePerSecond > 0 ? Clock::now() : Clock::time_point{};
    while (!queued.empty() && inFlight < window) {
      if (expired) {
        auto q = std::move(queued.front());
        queued.pop_front();
        auto w = failure(*q, Outcome::Timeout, deadlineText());
        finish(std::move(q), std::move(w));
        continue;
      }
      if (!mayStart(now)) break;
      if (opts.ratePerSecond > 0) tokens -= 1;
      auto q = std::move(queued.front());
      queued.pop_front();
      start(std::move(q));
    }
  }

  // Milliseconds until the bucket holds a token again (0 when it does or there is no rate).
  int msUntilToken() const {
    if (opts.ratePerSecond <= 0 || tokens >= 1) return 0;
    double ms = (1 - tokens) * 1000.0 / opts.ratePerSecond;
    return static_cast<int>(std::clamp(ms + 1, 1.0, static_cast<double>(kTickMs)));
  }

  // The window follows the losses, as TCP's congestion window does (RFC 5681, counted in
  // queries instead of segments). It starts at maxInFlight. A retry answered by a server that
  // has answered before is a lost packet (on a fast path, a socket buffer that overflowed):
  // the window halves, at most once per round of queries in flight, and then grows back by one
  // per window/8 answers that needed no retry. A server that has never answered is dead, not
  // congested: its timeouts count as clean, so a dead server does not shrink the window.
  void lost(const Query& q) {
    if (!opts.adaptiveWindow || q.serial <= recoverSerial) return;
    recoverSerial = nextSerial;
    window = std::max(minWindow, window / 2);
    growCredit = 0;
    ++stats.windowCuts;
    stats.minWindow = std::min(stats.minWindow, window);
  }

  void clean() {
    if (!opts.adaptiveWindow || window >= maxWindow) return;
    if (++growCredit >= std::max<std::size_t>(1, window / 8)) {
      growCredit = 0;
      ++window;
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

  // One query's end, from inside its c-ares callback: classify the packet (pure) and queue the
  // result; nothing here calls into c-ares.
  void complete(std::unique_ptr<Query> q, int status, int timeouts, const unsigned char* abuf,
                std::size_t alen) {
    Channel* c = q->channel;
    c->setId(q->id, false);
    --c->inFlight;
    --inFlight;
    c->processed = true;
    // c-ares counts every try that timed out, the last one of a query that timed out too.
    const int retried = alen == 0 && status == ARES_ETIMEOUT ? timeouts - 1 : timeouts;
    stats.retries += static_cast<std::size_t>(std::max(0, retried));

    if (alen == 0) {
      if (status == ARES_ETIMEOUT) {
        ++stats.timedOut;
        if (c->answered > 0) lost(*q);  // a live server dropping packets
        else clean();                   // a dead one: not a reason to hold back
      }
      auto w = fromStatus(*q, status);
      return finish(std::move(q), std::move(w));
    }
    ++c->answered;
    ++stats.answered;
    if (timeouts > 0) lost(*q);
    else clean();
    // A packet is classified from its bytes whatever the status says, where it waits for its
    // callback (finish, without a move of the answer).
    Ready& r = ready.emplace_back();
    WireAnswer& w = r.answer;
    classifyResponseInto(w, q->q, q->id, abuf, alen, c->ep.canonical, opts.keepSections);
    if (w.obs.outcome == Outcome::FormErr && q->withOpt && !expired) {
      formErrs.push_back({std::move(q), std::move(w)});
      ready.pop_back();
      return;
    }
    if (w.tc && !q->tcp && !expired) {
      // c-ares already moves a truncated UDP answer to TCP; if a TC answer still arrives,
      // ask once more on a TCP-only channel, and take what that says.
      ready.pop_back();
      q->tcp = true;
      q->channel = nullptr;
      queued.push_front(std::move(q));
      return;
    }
    if (w.tc) w.obs.detail = "truncated (also over TCP)";
    r.cb = std::move(q->cb);
    recycle(std::move(q));
  }

  // FORMERRs to OPT queries, outside any c-ares callback: sent with OPT before c-ares turned
  // EDNS off for this server, so ask again without it.
  void processFormErrs() {
    if (formErrs.empty()) return;
    std::vector<FormErr> batch;
    batch.swap(formErrs);
    for (auto& f : batch) {
      Channel* c = f.q->channel;
      refreshEdns(*c);
      if (!c->edns) {
        f.q->channel = nullptr;
        queued.push_front(std::move(f.q));
      } else {
        finish(std::move(f.q), std::move(f.answer));
      }
    }
  }

  void deliver() {
    // Each answer is handed to its callback in place, in `delivering`, which no callback
    // touches (what one finishes goes to `ready`, for the next turn). When a callback throws,
    // the answers after it go back to the front of `ready`, so none is delivered twice or lost.
    struct Turn {
      Impl& m;
      std::size_t next = 0;
      ~Turn() {
        if (next < m.delivering.size()) {
          m.ready.insert(m.ready.begin(), std::make_move_iterator(m.delivering.begin() + next),
                         std::make_move_iterator(m.delivering.end()));
        }
        m.delivering.clear();
      }
    };
    while (!ready.empty()) {
      delivering.swap(ready);
      Turn turn{*this};
      while (turn.next < delivering.size()) {
        Ready& r = delivering[turn.next++];
        if (r.cb) r.cb(std::move(r.answer));
      }
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
    for (auto& c : channelList) {
      if (c->ch && c->inFlight > 0) ares_cancel(c->ch);
    }
  }

  void waitForIo(int waitMs) {
    // Every query c-ares sent since the last poll goes out now, in one sendmmsg() per socket.
    batch.flush();
    pollScratch.clear();
    for (const auto& [fd, interest] : sockets) {
      short events = 0;
      if (interest.read) events |= POLLIN;
      if (interest.write) events |= POLLOUT;
      pollScratch.push_back({fd, events, 0});
    }
    // A socket whose send buffer was full: wake when it has room, to flush the rest.
    for (int fd : batch.blocked()) {
      auto p = std::find_if(pollScratch.begin(), pollScratch.end(),
                            [fd](const pollfd& x) { return x.fd == fd; });
      if (p != pollScratch.end()) p->events |= POLLOUT;
      else pollScratch.push_back({fd, POLLOUT, 0});
    }
    // Sockets the batch says to read whatever poll() says: datagrams it read that c-ares has
    // not taken yet (out of the kernel's queue, where poll() cannot see them), or a send error
    // to report.
    mustReadScratch.clear();
    batch.mustRead(mustReadScratch);
    const int timeoutMs = mustReadScratch.empty() ? waitMs : 0;
    if (waitHook && timeoutMs > 0) waitHook();  // while the queries just sent are on the wire
    int n = poll(pollScratch.empty() ? nullptr : pollScratch.data(), pollScratch.size(), timeoutMs);
    if (n > 0) processReady();  // else a timeout or EINTR: the caller loops
    for (int fd : mustReadScratch) {
      if (!batch.mustRead(fd)) continue;  // processReady read it
      auto it = sockets.find(fd);
      if (it == sockets.end() || !it->second.read) {
        batch.forget(fd);  // c-ares no longer reads it: nothing may wait for it forever
        continue;
      }
      it->second.channel->processed = true;
      ares_process_fd(it->second.channel->ch, fd, ARES_SOCKET_BAD);
    }
  }

  void processReady() {
    for (const auto& p : pollScratch) {
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
      Channel* c = it->second.channel;
      // Whatever c-ares read may have been a FORMERR that switched the channel's EDNS off
      // (and was re-asked inside c-ares, with no callback of ours): read the flag back before
      // the next send on this channel.
      if (r != ARES_SOCKET_BAD) c->processed = true;
      ares_process_fd(c->ch, r, w);
    }
  }

  // c-ares 1.18.1 expires tries only when it processes a channel: give every busy channel a
  // pass at a fixed cadence. Each pass looks only at c-ares' timeout bucket of the current
  // second, never at every query in flight (ares_timeout() would walk them all).
  void processTimeouts() {
    for (auto& c : channelList) {
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
      processFormErrs();
      deliver();
      const bool canSend = !queued.empty() && inFlight < window;
      if (canSend && msUntilToken() == 0) continue;
      if (queued.empty() && inFlight == 0 && formErrs.empty() && ready.empty()) break;
      auto now = Clock::now();
      if (hasDeadline && !expired && now >= deadline) {
        expire();
        continue;
      }
      int waitMs = kTickMs;
      if (canSend) waitMs = std::min(waitMs, msUntilToken());
      if (hasDeadline && !expired) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        waitMs = static_cast<int>(std::clamp<long long>(left + 1, 0, waitMs));
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
  Impl& m = *impl_;
  m.opts = options;
  m.maxWindow = std::clamp<std::size_t>(options.maxInFlight, 1, kMaxWindow);
  m.minWindow = std::min<std::size_t>(m.maxWindow, kMinAdaptiveWindow);
  m.window = m.maxWindow;
  m.stats.window = m.window;
  m.stats.minWindow = m.maxWindow;
  if (options.ratePerSecond > 0) {
    m.bucketSize = std::max(1.0, options.ratePerSecond * kTickMs / 1000.0);
    m.tokens = 1;  // the first query goes at once, the rest at the rate
    m.lastRefill = Clock::now();
  }
  int rc = ares_library_init(ARES_LIB_INIT_ALL);
  if (rc != ARES_SUCCESS) {
    throw std::runtime_error(std::string("c-ares library init: ") + ares_strerror(rc));
  }
  m.libraryInit = true;
}

CaresTransport::~CaresTransport() = default;

bool CaresTransport::forgetServers() { return impl_->forgetServers(); }

std::size_t CaresTransport::serversKnown() const { return impl_->serverList.size(); }

void CaresTransport::send(const std::string& server, const Question& q, bool rd, Callback cb,
                          bool tcpOnly) {
  auto query = impl_->fresh();
  query->impl = impl_.get();
  query->server = impl_->serverFor(server);
  query->q = q;
  query->rd = rd;
  query->tcp = tcpOnly;
  query->cb = std::move(cb);
  impl_->queued.push_back(std::move(query));
}

void CaresTransport::run() { impl_->run(); }

void CaresTransport::setWaitHook(std::function<void()> hook) { impl_->waitHook = std::move(hook); }

std::size_t CaresTransport::outstanding() const {
  return impl_->queued.size() + impl_->inFlight;
}

std::size_t CaresTransport::queriesSent() const { return impl_->stats.sent; }

const TransportOptions& CaresTransport::options() const { return impl_->opts; }

TransportStats CaresTransport::stats() const {
  TransportStats s = impl_->stats;
  s.window = impl_->window;
  return s;
}

}  // namespace offboard
