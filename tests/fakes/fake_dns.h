// A scriptable DNS responder on loopback for tests (UDP and TCP on the same ephemeral port).
//
// What it is for: exercising the real c-ares transport against the misbehaviours the research
// lists (reliability §5): SERVFAIL, REFUSED, silence, TC=1 over UDP with the answer over TCP,
// 0-byte datagrams, wrong-ID spoofs, QR=0, trailing bytes, delayed answers for concurrency, TCP
// framing faults (a wrong length prefix, a message cut short, a connection closed mid-frame). A
// test gives a handler that maps each received query to the messages to send back.
// What it must not do: bind anything but 127.0.0.0/8, or block: replies with a delay are
// scheduled, so one slow answer never holds up the others.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fakes/dns_packet.h"

namespace offboard::fakes {

// What the responder does with one query.
struct Reply {
  std::vector<Bytes> messages;  // UDP datagrams or TCP frames, in order; none = stay silent
  int delayMs = 0;              // wait before sending them
  // TCP only, for framing faults: send the messages' octets as they are, without the 2-octet
  // length prefix (the handler writes its own, right or wrong), and/or close the connection
  // once they are sent (or at once, when there are none).
  bool rawTcp = false;
  bool closeAfter = false;
};

struct Received {
  ParsedQuery query;
  bool tcp = false;
  std::chrono::steady_clock::time_point at;
};

class FakeDns {
 public:
  using Handler = std::function<Reply(const ParsedQuery& q, bool tcp)>;

  // Binds UDP and TCP on `ip` (127.0.0.0/8 only), an ephemeral port shared by both.
  explicit FakeDns(Handler handler, std::string ip = "127.0.0.1")
      : handler_(std::move(handler)), ip_(std::move(ip)) {
    if (ip_.rfind("127.", 0) != 0) throw std::invalid_argument("FakeDns binds loopback only");
    for (int attempt = 0; attempt < 50 && !bindBoth(); ++attempt) {
    }
    if (udp_ < 0) throw std::runtime_error("FakeDns: cannot bind UDP and TCP on one port");
    if (pipe(wake_) != 0) throw std::runtime_error("FakeDns: pipe");
    thread_ = std::thread([this] { loop(); });
  }

  ~FakeDns() {
    stop_ = true;
    char c = 0;
    (void)!write(wake_[1], &c, 1);
    thread_.join();
    for (auto& [id, conn] : conns_) close(conn.fd);
    close(udp_);
    close(listen_);
    close(wake_[0]);
    close(wake_[1]);
  }

  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;

  std::uint16_t port() const { return port_; }
  // "127.0.0.1:PORT", the form the transport accepts.
  std::string address() const { return ip_ + ":" + std::to_string(port_); }

  std::vector<Received> received() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  std::size_t count(bool tcp) const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<std::size_t>(std::count_if(received_.begin(), received_.end(),
                                                   [&](const Received& r) { return r.tcp == tcp; }));
  }
  // How many queries had arrived when the first reply went out (0 if none went out yet).
  std::size_t receivedBeforeFirstReply() const {
    std::lock_guard<std::mutex> lock(mu_);
    return beforeFirstReply_;
  }

 private:
  struct Pending {
    std::chrono::steady_clock::time_point when;
    bool tcp;
    sockaddr_in peer;     // UDP
    std::uint64_t conn;   // TCP
    Bytes bytes;
    bool raw = false;         // TCP: no length prefix
    bool closeAfter = false;  // TCP: close the connection after this one
  };
  struct Conn {
    int fd;
    Bytes buffer;
  };

  bool bindBoth() {
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    inet_pton(AF_INET, ip_.c_str(), &a.sin_addr);
    socklen_t len = sizeof a;
    if (u < 0 || bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      if (u >= 0) close(u);
      return false;
    }
    int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (t < 0 || bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(t, 64) != 0) {
      if (t >= 0) close(t);
      close(u);
      return false;
    }
    fcntl(u, F_SETFL, O_NONBLOCK);
    fcntl(t, F_SETFL, O_NONBLOCK);
    udp_ = u;
    listen_ = t;
    port_ = ntohs(a.sin_port);
    return true;
  }

  void record(const ParsedQuery& q, bool tcp) {
    std::lock_guard<std::mutex> lock(mu_);
    received_.push_back({q, tcp, std::chrono::steady_clock::now()});
  }

  // Replies wait in time order; a reply due no earlier than the last one (every reply without a
  // delay) goes to the back, so a burst of queries costs no re-sorting.
  void schedule(const Reply& r, bool tcp, const sockaddr_in& peer, std::uint64_t conn) {
    auto when = std::chrono::steady_clock::now() + std::chrono::milliseconds(r.delayMs);
    auto place = [&](Pending p) {
      auto at = std::upper_bound(pending_.begin(), pending_.end(), p.when,
                                 [](auto t, const Pending& x) { return t < x.when; });
      pending_.insert(at, std::move(p));
    };
    for (std::size_t i = 0; i < r.messages.size(); ++i) {
      bool last = i + 1 == r.messages.size();
      place({when, tcp, peer, conn, r.messages[i], r.rawTcp, tcp && last && r.closeAfter});
    }
    if (tcp && r.closeAfter && r.messages.empty()) place({when, tcp, peer, conn, Bytes{}, true, true});
  }

  void handle(const std::uint8_t* data, std::size_t len, bool tcp, const sockaddr_in& peer,
              std::uint64_t conn) {
    auto q = parseQuery(data, len);
    if (!q) return;
    record(*q, tcp);
    schedule(handler_(*q, tcp), tcp, peer, conn);
  }

  void sendDue() {
    auto now = std::chrono::steady_clock::now();
    while (!pending_.empty() && pending_.front().when <= now) {
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!replied_) {
          replied_ = true;
          beforeFirstReply_ = received_.size();
        }
      }
      if (!p.tcp) {
        sendto(udp_, p.bytes.data(), p.bytes.size(), 0, reinterpret_cast<sockaddr*>(&p.peer),
               sizeof p.peer);
        continue;
      }
      auto it = conns_.find(p.conn);
      if (it == conns_.end()) continue;
      Bytes frame;
      if (!p.raw) put16(frame, static_cast<unsigned>(p.bytes.size()));
      frame.insert(frame.end(), p.bytes.begin(), p.bytes.end());
      // Small frames on loopback: a blocking-style loop is enough here.
      std::size_t off = 0;
      while (off < frame.size()) {
        ssize_t n = ::send(it->second.fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      if (p.closeAfter) {
        close(it->second.fd);
        conns_.erase(it);
      }
    }
  }

  void readTcp(std::uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    std::uint8_t buf[4096];
    ssize_t n = recv(it->second.fd, buf, sizeof buf, 0);
    if (n <= 0) {
      close(it->second.fd);
      conns_.erase(it);
      return;
    }
    Bytes& b = it->second.buffer;
    b.insert(b.end(), buf, buf + n);
    while (b.size() >= 2) {
      std::size_t len = static_cast<std::size_t>((b[0] << 8) | b[1]);
      if (b.size() < 2 + len) break;
      Bytes msg(b.begin() + 2, b.begin() + 2 + static_cast<std::ptrdiff_t>(len));
      b.erase(b.begin(), b.begin() + 2 + static_cast<std::ptrdiff_t>(len));
      handle(msg.data(), msg.size(), true, sockaddr_in{}, id);
    }
  }

  void loop() {
    std::vector<std::uint8_t> buf(65536);
    while (!stop_) {
      std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {udp_, POLLIN, 0}, {listen_, POLLIN, 0}};
      std::vector<std::uint64_t> ids;
      for (const auto& [id, c] : conns_) {
        fds.push_back({c.fd, POLLIN, 0});
        ids.push_back(id);
      }
      int waitMs = 50;
      if (!pending_.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        pending_.front().when - std::chrono::steady_clock::now())
                        .count();
        waitMs = static_cast<int>(std::clamp<long long>(left, 0, 50));
      }
      poll(fds.data(), fds.size(), waitMs);
      if (stop_) break;
      if (fds[1].revents & POLLIN) {
        // A bounded burst, then the replies due: a server answers while queries keep coming
        // (reading until the socket is empty would hold every reply back while a client's
        // retries keep it full).
        for (int burst = 0; burst < kReadBurst; ++burst) {
          sockaddr_in peer{};
          socklen_t plen = sizeof peer;
          ssize_t n = recvfrom(udp_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer),
                               &plen);
          if (n < 0) break;
          handle(buf.data(), static_cast<std::size_t>(n), false, peer, 0);
        }
      }
      if (fds[2].revents & POLLIN) {
        for (;;) {
          int c = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (c < 0) break;
          conns_[nextConn_++] = Conn{c, {}};
        }
      }
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (fds[3 + i].revents & (POLLIN | POLLHUP | POLLERR)) readTcp(ids[i]);
      }
      sendDue();
    }
  }

  Handler handler_;
  std::string ip_;
  int udp_ = -1;
  int listen_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  // Server-thread state.
  std::map<std::uint64_t, Conn> conns_;
  std::uint64_t nextConn_ = 1;
  std::deque<Pending> pending_;
  static constexpr int kReadBurst = 64;
  // Shared with the test thread.
  mutable std::mutex mu_;
  std::vector<Received> received_;
  bool replied_ = false;
  std::size_t beforeFirstReply_ = 0;
};

}  // namespace offboard::fakes
