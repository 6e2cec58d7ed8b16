// DatagramBatch (resolvers/batch_socket.h) over real UDP sockets on 127.0.0.1: datagrams come
// out one per call in the order they were sent, with their octets and source address, as
// recvfrom() gives them; one recvmmsg() serves a ring's worth; EAGAIN when the socket is empty;
// an error of the socket is passed through where recvfrom() reports it; partial batches,
// another socket's leftovers and forget() keep every datagram in its place.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "resolvers/batch_socket.h"

using namespace offboard;

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

sockaddr_in loopback(std::uint16_t port = 0) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

Fd boundUdp() {
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  REQUIRE(s.fd >= 0);
  int big = 1 << 20;  // room for every datagram a test queues
  ::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  sockaddr_in a = loopback();
  REQUIRE(::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return s;
}

sockaddr_in nameOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  return a;
}

void connectTo(int fd, const sockaddr_in& to) {
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
}

// Two sockets connected to each other, as c-ares' socket is to its server.
std::pair<Fd, Fd> udpPair() {
  Fd a = boundUdp(), b = boundUdp();
  connectTo(a.fd, nameOf(b.fd));
  connectTo(b.fd, nameOf(a.fd));
  return {std::move(a), std::move(b)};
}

// A socket connected to a loopback port nobody listens on (one just bound and closed): the
// kernel answers a datagram to it with ICMP port unreachable, which the socket reports as
// ECONNREFUSED on its next call.
Fd connectedToClosedPort() {
  int closedPort = 0;
  {
    Fd gone = boundUdp();
    closedPort = ntohs(nameOf(gone.fd).sin_port);
  }
  Fd s = boundUdp();
  connectTo(s.fd, loopback(static_cast<std::uint16_t>(closedPort)));
  return s;
}

void sendText(int fd, const std::string& s) {
  REQUIRE(::send(fd, s.data(), s.size(), 0) == static_cast<ssize_t>(s.size()));
}

std::string datagram(int i) { return "datagram " + std::to_string(i) + std::string(i % 7, '.'); }

struct Got {
  ssize_t n = 0;
  int err = 0;
  std::string text;
  sockaddr_in from{};
  socklen_t fromLen = 0;
};

Got receive(DatagramBatch& b, int fd, std::size_t len = 4097) {
  std::vector<char> buf(len + 1);
  Got g;
  g.fromLen = sizeof g.from;
  errno = 0;
  g.n = b.receive(fd, buf.data(), len, 0, reinterpret_cast<sockaddr*>(&g.from), &g.fromLen);
  g.err = g.n < 0 ? errno : 0;
  if (g.n > 0) g.text.assign(buf.data(), static_cast<std::size_t>(g.n));
  return g;
}

std::vector<int> mustRead(const DatagramBatch& b) {
  std::vector<int> fds;
  b.mustRead(fds);
  return fds;
}

}  // namespace

TEST_CASE("many datagrams come out one per call, in order, from one recvmmsg per ring") {
  auto [client, server] = udpPair();
  const sockaddr_in serverName = nameOf(server.fd);
  for (int i = 0; i < 100; ++i) sendText(server.fd, datagram(i));

  DatagramBatch b(32);
  for (int i = 0; i < 100; ++i) {
    Got g = receive(b, client.fd);
    REQUIRE(g.n == static_cast<ssize_t>(datagram(i).size()));
    CHECK(g.text == datagram(i));
    CHECK(g.fromLen == sizeof(sockaddr_in));
    CHECK(g.from.sin_port == serverName.sin_port);
    CHECK(g.from.sin_addr.s_addr == serverName.sin_addr.s_addr);
  }
  // 32 + 32 + 32 + 4: the last refill was short, so the socket was empty then.
  CHECK(b.counters().recvBatches == 4);
  CHECK(b.counters().received == 100);
  CHECK(b.counters().recvDirect == 0);
  CHECK(b.buffered() == 0);

  Got end = receive(b, client.fd);
  CHECK(end.n == -1);
  CHECK(end.err == EAGAIN);
  CHECK(b.counters().eagainSkipped == 1);
  CHECK(b.counters().recvBatches == 4);  // that EAGAIN cost no system call

  Got again = receive(b, client.fd);  // the next read asks the kernel, which has nothing
  CHECK(again.n == -1);
  CHECK(again.err == EAGAIN);
  CHECK(b.counters().recvBatches == 5);
}

TEST_CASE("an empty socket is EAGAIN at once, and nothing is buffered") {
  auto [client, server] = udpPair();
  DatagramBatch b;
  Got g = receive(b, client.fd);
  CHECK(g.n == -1);
  CHECK(g.err == EAGAIN);
  CHECK(b.counters().recvBatches == 1);
  CHECK(mustRead(b).empty());
  CHECK(b.buffered() == 0);
}

TEST_CASE("a full ring asks the kernel again after its last datagram") {
  auto [client, server] = udpPair();
  for (int i = 0; i < 8; ++i) sendText(server.fd, datagram(i));
  DatagramBatch b(8);
  for (int i = 0; i < 8; ++i) CHECK(receive(b, client.fd).text == datagram(i));
  CHECK(b.counters().recvBatches == 1);
  sendText(server.fd, datagram(8));  // arrived while the ring was handed out
  Got g = receive(b, client.fd);
  CHECK(g.text == datagram(8));
  CHECK(b.counters().recvBatches == 2);
  CHECK(b.counters().eagainSkipped == 0);
}

TEST_CASE("partial batches: what arrives after a short refill waits for the next read") {
  auto [client, server] = udpPair();
  for (int i = 0; i < 5; ++i) sendText(server.fd, datagram(i));
  DatagramBatch b(32);
  CHECK(receive(b, client.fd).text == datagram(0));
  CHECK(b.buffered() == 4);
  CHECK(mustRead(b) == std::vector<int>{client.fd});
  for (int i = 5; i < 8; ++i) sendText(server.fd, datagram(i));
  for (int i = 1; i < 5; ++i) CHECK(receive(b, client.fd).text == datagram(i));
  // The socket was empty at the refill: EAGAIN ends this read (poll() sees the rest).
  CHECK(receive(b, client.fd).err == EAGAIN);
  for (int i = 5; i < 8; ++i) CHECK(receive(b, client.fd).text == datagram(i));
  CHECK(b.counters().recvBatches == 2);
  CHECK(b.counters().received == 8);
}

TEST_CASE("a socket's error is passed through where recvfrom() reports it") {
  // A port nobody listens on: the kernel answers a datagram to it with ICMP port unreachable,
  // which a connected UDP socket reports as ECONNREFUSED on its next call.
  Fd s = connectedToClosedPort();
  sendText(s.fd, "query");
  ::usleep(20000);  // the ICMP error is delivered on loopback at once; leave it time anyway

  DatagramBatch b;
  Got g = receive(b, s.fd);
  CHECK(g.n == -1);
  CHECK(g.err == ECONNREFUSED);
  CHECK(b.buffered() == 0);
  Got next = receive(b, s.fd);  // reported once, as recvfrom() reports it
  CHECK(next.n == -1);
  CHECK(next.err == EAGAIN);
}

TEST_CASE("an error pending before queued datagrams comes first, then the datagrams") {
  Fd peer = boundUdp(), s = boundUdp();
  const sockaddr_in peerName = nameOf(peer.fd);
  connectTo(s.fd, peerName);
  connectTo(peer.fd, nameOf(s.fd));
  for (int i = 0; i < 3; ++i) sendText(peer.fd, datagram(i));
  ::close(peer.fd);
  peer.fd = -1;
  sendText(s.fd, "to a closed port");
  ::usleep(20000);

  DatagramBatch b;
  Got g = receive(b, s.fd);
  CHECK(g.n == -1);
  CHECK(g.err == ECONNREFUSED);
  for (int i = 0; i < 3; ++i) CHECK(receive(b, s.fd).text == datagram(i));
  CHECK(receive(b, s.fd).err == EAGAIN);
}

TEST_CASE("datagrams are cut at the caller's length, as recvfrom() cuts them; 0 octets is 0") {
  auto [client, server] = udpPair();
  sendText(server.fd, std::string(100, 'x') + "tail");
  REQUIRE(::send(server.fd, "", 0, 0) == 0);
  sendText(server.fd, "after");
  DatagramBatch b;
  Got cut = receive(b, client.fd, 10);
  CHECK(cut.n == 10);
  CHECK(cut.text == std::string(10, 'x'));
  Got empty = receive(b, client.fd);
  CHECK(empty.n == 0);
  CHECK(empty.err == 0);
  CHECK(receive(b, client.fd).text == "after");  // the rest of the cut datagram is gone
  CHECK(b.counters().recvBatches == 1);
}

TEST_CASE("the source address is cut at *fromLen and its real length reported; no address works") {
  auto [client, server] = udpPair();
  sendText(server.fd, "one");
  sendText(server.fd, "two");
  DatagramBatch b;
  sockaddr_in from{};
  from.sin_port = 0xffff;
  socklen_t fromLen = 4;  // family and port only
  char buf[64];
  CHECK(b.receive(client.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from),
                  &fromLen) == 3);
  CHECK(fromLen == sizeof(sockaddr_in));
  CHECK(from.sin_family == AF_INET);
  CHECK(from.sin_port == nameOf(server.fd).sin_port);
  CHECK(from.sin_addr.s_addr == 0);  // past the 4 octets asked for: untouched
  CHECK(b.receive(client.fd, buf, sizeof buf, 0, nullptr, nullptr) == 3);
  CHECK(std::string(buf, 3) == "two");
}

TEST_CASE("another socket's leftovers stay buffered; that call goes to recvfrom() alone") {
  auto [a, aPeer] = udpPair();
  auto [c, cPeer] = udpPair();
  for (int i = 0; i < 3; ++i) sendText(aPeer.fd, "a" + std::to_string(i));
  sendText(cPeer.fd, "c0");
  DatagramBatch b;
  CHECK(receive(b, a.fd).text == "a0");
  // c-ares stopped reading `a` early: its datagrams are out of the kernel, so only the
  // batch can say it is readable.
  CHECK(mustRead(b) == std::vector<int>{a.fd});
  Got other = receive(b, c.fd);
  CHECK(other.text == "c0");
  CHECK(b.counters().recvDirect == 1);
  CHECK(mustRead(b) == std::vector<int>{a.fd});
  CHECK(receive(b, a.fd).text == "a1");
  CHECK(receive(b, a.fd).text == "a2");
  CHECK(mustRead(b).empty());
}

TEST_CASE("forget() drops a closing socket's datagrams: a reused descriptor never sees them") {
  auto [client, server] = udpPair();
  for (int i = 0; i < 4; ++i) sendText(server.fd, datagram(i));
  DatagramBatch b;
  CHECK(receive(b, client.fd).text == datagram(0));
  CHECK(b.buffered() == 3);
  b.forget(server.fd);  // another socket: nothing changes
  CHECK(b.buffered() == 3);
  b.forget(client.fd);
  CHECK(b.buffered() == 0);
  CHECK(mustRead(b).empty());
  // The descriptor number now stands for whatever socket comes next: its read asks the kernel.
  Got g = receive(b, client.fd);
  CHECK(g.err == EAGAIN);
  CHECK(b.counters().recvBatches == 2);
  CHECK(b.counters().received == 1);
}

TEST_CASE("calls the ring cannot serve exactly go to recvfrom(): other flags, a larger length") {
  auto [client, server] = udpPair();
  sendText(server.fd, "peeked");
  DatagramBatch b(4, 64);
  char buf[128];
  CHECK(b.receive(client.fd, buf, sizeof buf, MSG_PEEK, nullptr, nullptr) == 6);
  CHECK(b.counters().recvDirect == 1);
  CHECK(b.receive(client.fd, buf, sizeof buf, 0, nullptr, nullptr) == 6);  // 128 > 64
  CHECK(b.counters().recvDirect == 2);
  CHECK(b.counters().recvBatches == 0);
  CHECK(std::string(buf, 6) == "peeked");
}

// --- sending -----------------------------------------------------------------------------------

namespace {

std::string recvPlain(int fd) {
  char buf[4097];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  return n < 0 ? std::string("<") + std::strerror(errno) + ">" : std::string(buf, static_cast<std::size_t>(n));
}

ssize_t queueText(DatagramBatch& b, int fd, const std::string& s) {
  // In three pieces, as c-ares' iovecs could be: queue() sends them as one datagram.
  const std::size_t a = s.size() / 3, c = 2 * s.size() / 3;
  iovec iov[3] = {{const_cast<char*>(s.data()), a},
                  {const_cast<char*>(s.data()) + a, c - a},
                  {const_cast<char*>(s.data()) + c, s.size() - c}};
  return b.queue(fd, iov, 3);
}

}  // namespace

TEST_CASE("queued datagrams wait for flush(), then go out in order in one sendmmsg") {
  auto [client, server] = udpPair();
  DatagramBatch b;
  for (int i = 0; i < 100; ++i) {
    CHECK(queueText(b, client.fd, datagram(i)) == static_cast<ssize_t>(datagram(i).size()));
  }
  CHECK(b.queued() == 100);
  CHECK(recvPlain(server.fd) == "<" + std::string(std::strerror(EAGAIN)) + ">");  // nothing sent yet
  b.flush();
  CHECK(b.queued() == 0);
  CHECK(b.counters().sendBatches == 1);
  CHECK(b.counters().sent == 100);
  CHECK(b.blocked().empty());
  for (int i = 0; i < 100; ++i) CHECK(recvPlain(server.fd) == datagram(i));
  CHECK(recvPlain(server.fd) == "<" + std::string(std::strerror(EAGAIN)) + ">");  // each once
  b.flush();  // nothing left: no system call
  CHECK(b.counters().sendBatches == 1);
}

TEST_CASE("sockets queued in turn each get their own datagrams, in their order") {
  auto [a, aPeer] = udpPair();
  auto [c, cPeer] = udpPair();
  DatagramBatch b;
  queueText(b, a.fd, "a0");
  queueText(b, c.fd, "c0");
  queueText(b, a.fd, "a1");
  queueText(b, a.fd, "a2");
  queueText(b, c.fd, "c1");
  b.flush();
  CHECK(b.counters().sent == 5);
  CHECK(b.counters().sendBatches == 2);  // a0 a1 a2 | c0 c1
  CHECK(recvPlain(aPeer.fd) == "a0");
  CHECK(recvPlain(aPeer.fd) == "a1");
  CHECK(recvPlain(aPeer.fd) == "a2");
  CHECK(recvPlain(cPeer.fd) == "c0");
  CHECK(recvPlain(cPeer.fd) == "c1");
}

TEST_CASE("a full send buffer keeps the rest queued, in order, for the next flush") {
  // A Unix datagram pair: unlike UDP on loopback, a sender waits (EAGAIN) while its peer's
  // queue is full.
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
  Fd x(sv[0]), y(sv[1]);
  DatagramBatch b;
  const int n = 3000;
  for (int i = 0; i < n; ++i) queueText(b, x.fd, datagram(i));
  b.flush();
  REQUIRE(b.blocked() == std::vector<int>{x.fd});
  const std::size_t first = b.counters().sent;
  CHECK(first > 0);
  CHECK(first < static_cast<std::size_t>(n));
  CHECK(b.queued() == n - first);
  CHECK(b.counters().sendErrors == 0);
  CHECK(mustRead(b).empty());  // waiting for room is not an error
  int next = 0, rounds = 0;
  while (next < n && rounds < 1000) {
    for (std::string s = recvPlain(y.fd); s[0] != '<'; s = recvPlain(y.fd)) {
      REQUIRE(s == datagram(next));
      ++next;
    }
    b.flush();
    ++rounds;
  }
  CHECK(next == n);
  CHECK(b.queued() == 0);
  CHECK(b.blocked().empty());
  CHECK(b.counters().sent == static_cast<std::size_t>(n));
}

TEST_CASE("a send error is kept for the socket's next receive(), before anything else, once") {
  Fd s = connectedToClosedPort();
  sendText(s.fd, "first query");  // answered by ICMP port unreachable: the next call fails
  ::usleep(20000);

  DatagramBatch b;
  for (int i = 0; i < 3; ++i) queueText(b, s.fd, datagram(i));
  b.flush();
  CHECK(b.counters().sendErrors == 1);
  CHECK(b.counters().sent == 0);
  CHECK(b.queued() == 0);  // dropped: c-ares asks those queries again after the error
  CHECK(b.blocked().empty());
  CHECK(mustRead(b) == std::vector<int>{s.fd});
  CHECK(b.mustRead(s.fd));

  // Queued after the error and before c-ares read it: dropped at the next flush too.
  queueText(b, s.fd, "late");
  b.flush();
  CHECK(b.counters().sent == 0);
  CHECK(b.queued() == 0);

  Got g = receive(b, s.fd);
  CHECK(g.n == -1);
  CHECK(g.err == ECONNREFUSED);
  CHECK(mustRead(b).empty());
  CHECK(b.counters().recvBatches == 0);  // the kept error, not the kernel's
  CHECK(receive(b, s.fd).err == EAGAIN);
}

TEST_CASE("forget() drops a socket's queued datagrams and the error kept for it") {
  auto [client, server] = udpPair();
  DatagramBatch b;
  for (int i = 0; i < 3; ++i) queueText(b, client.fd, datagram(i));
  queueText(b, server.fd, "other socket");
  b.forget(client.fd);
  CHECK(b.queued() == 1);
  b.flush();
  CHECK(b.counters().sent == 1);
  CHECK(recvPlain(server.fd) == "<" + std::string(std::strerror(EAGAIN)) + ">");
  CHECK(recvPlain(client.fd) == "other socket");

  Fd s = connectedToClosedPort();
  sendText(s.fd, "x");
  ::usleep(20000);
  queueText(b, s.fd, "y");
  b.flush();
  REQUIRE(b.mustRead(s.fd));
  b.forget(s.fd);
  CHECK(mustRead(b).empty());
  CHECK(receive(b, s.fd).err == EAGAIN);  // a new socket on that number has no error
}

TEST_CASE("a datagram too long for UDP is not queued: the kernel says EMSGSIZE at once") {
  auto [client, server] = udpPair();
  DatagramBatch b;
  std::string big(70000, 'x');
  iovec iov{big.data(), big.size()};
  errno = 0;
  CHECK(b.queue(client.fd, &iov, 1) == -1);
  CHECK(errno == EMSGSIZE);
  CHECK(b.queued() == 0);
}
