// Batched UDP I/O for the c-ares transport: c-ares' one-datagram socket calls, served by one
// recvmmsg() per ring of answers and one sendmmsg() per burst of queries.
//
// What it is for: c-ares 1.18.1 sends each query with its own send() and reads a UDP socket one
// recvfrom() per datagram until EAGAIN (or until its last query ends and it closes the socket).
// Given to c-ares as its arecvfrom and asendv (ares_set_socket_functions, resolvers/
// cares_transport.cc), this keeps those calls' results and turns their system calls into one
// per batch:
//  - receive() has recvfrom()'s contract: the same octets, cut at the caller's length as
//    recvfrom() cuts them; the same source address and address length; the datagrams in the
//    order the kernel queued them; 0 for a datagram of 0 octets; EAGAIN when there is nothing;
//    any other error of the socket passed through with the kernel's errno.
//  - queue() takes a datagram as a successful send() would, and flush() sends what was queued
//    (the transport flushes before every poll()). A send that fails is not lost on c-ares: the
//    error is kept and the socket's next receive() returns it, which c-ares handles as the
//    server's connection failing (it closes the socket and asks every query on it again).
// What it must not do: look inside a datagram (c-ares matches answers to queries, wire.h
// classifies them), block (every call is MSG_DONTWAIT), turn an error into data or into
// silence, keep anything of a socket after forget() (a closed descriptor's number is reused by
// the next socket), or be used for a stream socket (TCP reads and writes go to the kernel as
// c-ares makes them).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace offboard {

class DatagramBatch {
 public:
  // c-ares 1.18.1 reads UDP into a buffer of MAXENDSSZ + 1 octets: a slot that size cuts a
  // datagram exactly where recvfrom() into c-ares' buffer would.
  static constexpr std::size_t kDefaultSlotOctets = 4097;
  static constexpr std::size_t kDefaultSlots = 32;

  // `slots` datagrams per recvmmsg() (at least 1), each up to `slotOctets`. The ring's memory
  // (slots × slotOctets) is taken on the first receive.
  explicit DatagramBatch(std::size_t slots = kDefaultSlots,
                         std::size_t slotOctets = kDefaultSlotOctets);
  DatagramBatch(const DatagramBatch&) = delete;
  DatagramBatch& operator=(const DatagramBatch&) = delete;

  // --- receiving ---------------------------------------------------------------------------

  // recvfrom(fd, buf, len, flags, from, fromLen) for a datagram socket. A send error kept for
  // `fd` comes first (once); then the next datagram buffered for `fd`; otherwise one recvmmsg()
  // refills the ring and the first of its datagrams is returned. When a refill brought fewer
  // datagrams than the ring holds, the socket was empty then, so the call after its last
  // datagram returns EAGAIN without asking the kernel (poll() reports whatever came since).
  // Calls the ring cannot serve exactly go to recvfrom() itself: flags other than
  // MSG_DONTWAIT, a `len` over the slot size, and `fd` while another socket's datagrams are
  // still buffered.
  ssize_t receive(int fd, void* buf, std::size_t len, int flags, sockaddr* from,
                  socklen_t* fromLen);

  // Datagrams in the ring not handed out yet (of one socket at most).
  std::size_t buffered() const { return count_ - next_; }

  // --- sending -----------------------------------------------------------------------------

  // send() of the `iovcnt` buffers at `iov` as one datagram on `fd`, deferred to flush(): the
  // octets are copied and their total returned. A datagram too long for UDP is not queued but
  // sent at once, for the kernel's EMSGSIZE.
  ssize_t queue(int fd, const iovec* iov, int iovcnt);

  // Sends every queued datagram, each socket's in the order queued, one sendmmsg() per socket
  // (per 1024 datagrams). A socket whose send buffer is full (EAGAIN) keeps the rest of its
  // datagrams queued for the next flush (blocked(): poll it for POLLOUT). Any other error drops
  // that socket's queued datagrams and is kept for its next receive().
  void flush();

  std::size_t queued() const { return out_.size(); }
  // Sockets whose datagrams wait for room in their send buffer (EAGAIN at the last flush).
  const std::vector<int>& blocked() const { return blocked_; }

  // --- both --------------------------------------------------------------------------------

  // The socket `fd` is about to be closed: drop its buffered and queued datagrams and any
  // error kept for it.
  void forget(int fd);

  // Appends the sockets that must be read whatever poll() says: one with datagrams left in the
  // ring (c-ares stopped reading before EAGAIN; poll() cannot see datagrams no longer in the
  // kernel), and those with a send error to report.
  void mustRead(std::vector<int>& out) const;
  bool mustRead(int fd) const;

  // What the kernel was asked, for tests and measurements.
  struct Counters {
    std::size_t recvBatches = 0;     // recvmmsg() calls
    std::size_t recvDirect = 0;      // recvfrom() calls (receive() could not use the ring)
    std::size_t received = 0;        // datagrams handed out from the ring
    std::size_t eagainSkipped = 0;   // EAGAINs returned without a system call
    std::size_t sendBatches = 0;     // sendmmsg() calls
    std::size_t sent = 0;            // datagrams the kernel took
    std::size_t sendErrors = 0;      // errors kept for receive()
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Outgoing {
    int fd;
    std::uint32_t offset;  // into outOctets_
    std::uint32_t length;
  };

  ssize_t handOut(void* buf, std::size_t len, sockaddr* from, socklen_t* fromLen);
  void emptyRing();  // no datagram read ahead, of any socket
  int takeError(int fd);
  bool hasError(int fd) const;
  // Sends out_[begin, end) (one socket's run); returns how many the kernel took.
  std::size_t sendRun(std::size_t begin, std::size_t end);

  // The ring of received datagrams.
  std::size_t slots_;
  std::size_t slotOctets_;
  std::vector<unsigned char> octets_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> names_;
  int owner_ = -1;            // the socket the ring's datagrams came from
  std::size_t count_ = 0;     // datagrams in the ring
  std::size_t next_ = 0;      // the next one to hand out
  bool drained_ = false;      // the last refill emptied the socket (fewer than slots_)

  // Datagrams queued to send, and the send errors kept for receive().
  std::vector<unsigned char> outOctets_;
  std::vector<Outgoing> out_;
  std::vector<mmsghdr> outMsgs_;
  std::vector<iovec> outIovs_;
  std::vector<int> blocked_;
  std::vector<std::pair<int, int>> errors_;  // (fd, errno), at most one per socket

  Counters counters_;
};

}  // namespace offboard
