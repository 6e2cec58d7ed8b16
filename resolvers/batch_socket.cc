#include "resolvers/batch_socket.h"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace offboard {
namespace {

// The largest UDP payload over IPv4 (65535 − 8 octets of UDP header − 20 of IP header).
constexpr std::size_t kMaxUdpPayload = 65507;
// The kernel takes at most UIO_MAXIOV messages per sendmmsg().
constexpr std::size_t kMaxSendRun = 1024;

// Matches the kept error of socket `fd`.
auto errorOf(int fd) {
  return [fd](const std::pair<int, int>& e) { return e.first == fd; };
}

}  // namespace

DatagramBatch::DatagramBatch(std::size_t slots, std::size_t slotOctets)
    : slots_(std::max<std::size_t>(1, slots)), slotOctets_(std::max<std::size_t>(1, slotOctets)) {}

// --- receiving -------------------------------------------------------------------------------

ssize_t DatagramBatch::handOut(void* buf, std::size_t len, sockaddr* from, socklen_t* fromLen) {
  const std::size_t i = next_++;
  const mmsghdr& m = msgs_[i];
  // recvfrom() semantics: the datagram cut at `len`, the address cut at *fromLen, and
  // *fromLen set to the address's real length.
  const std::size_t n = std::min<std::size_t>(m.msg_len, len);
  if (n > 0) std::memcpy(buf, octets_.data() + i * slotOctets_, n);
  if (from && fromLen) {
    const socklen_t have = m.msg_hdr.msg_namelen;
    const socklen_t copy = std::min(have, *fromLen);
    if (copy == sizeof(sockaddr_in)) {
      std::memcpy(from, &names_[i], sizeof(sockaddr_in));  // the usual case, a fixed-size copy
    } else {
      std::memcpy(from, &names_[i], copy);
    }
    *fromLen = have;
  }
  ++counters_.received;
  return static_cast<ssize_t>(n);
}

ssize_t DatagramBatch::receive(int fd, void* buf, std::size_t len, int flags, sockaddr* from,
                               socklen_t* fromLen) {
  if (!errors_.empty() && hasError(fd)) {
    errno = takeError(fd);
    return -1;
  }
  if (owner_ == fd) {
    if (next_ < count_) return handOut(buf, len, from, fromLen);
    const bool drained = drained_;
    emptyRing();
    if (drained) {
      ++counters_.eagainSkipped;
      errno = EAGAIN;
      return -1;
    }
  }
  // Datagrams of another socket still wait to be handed out (mustRead), or the call asks for
  // something a refill could not reproduce: the kernel answers this one alone.
  if (next_ < count_ || (flags & ~MSG_DONTWAIT) != 0 || len > slotOctets_) {
    ++counters_.recvDirect;
    return ::recvfrom(fd, buf, len, flags, from, fromLen);
  }
  if (octets_.empty()) {
    octets_.resize(slots_ * slotOctets_);
    msgs_.resize(slots_);
    iovs_.resize(slots_);
    names_.resize(slots_);
    for (std::size_t i = 0; i < slots_; ++i) {
      iovs_[i] = {octets_.data() + i * slotOctets_, 0};
      msgs_[i] = mmsghdr{};
      msgs_[i].msg_hdr.msg_name = &names_[i];
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
  }
  for (std::size_t i = 0; i < slots_; ++i) {
    // Each datagram is cut at the caller's length, as recvfrom() would cut it. The kernel
    // writes each header's address length, flags and datagram length; the rest stays.
    iovs_[i].iov_len = len;
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
  ++counters_.recvBatches;
  int got = ::recvmmsg(fd, msgs_.data(), static_cast<unsigned>(slots_), MSG_DONTWAIT, nullptr);
  if (got < 0) return -1;  // EAGAIN, or the socket's error: errno as recvmmsg() left it
  if (got == 0) {          // no datagram (recvmmsg() reports none as EAGAIN): nothing to read
    errno = EAGAIN;
    return -1;
  }
  owner_ = fd;
  count_ = static_cast<std::size_t>(got);
  next_ = 0;
  // An error after some datagrams is kept by the kernel for the next call (and shows in
  // poll() as POLLERR), so a short batch means the queue was empty.
  drained_ = count_ < slots_;
  return handOut(buf, len, from, fromLen);
}

// --- sending ---------------------------------------------------------------------------------

ssize_t DatagramBatch::queue(int fd, const iovec* iov, int iovcnt) {
  if (iovcnt < 0 || (iovcnt > 0 && !iov)) {
    errno = EINVAL;
    return -1;
  }
  std::size_t total = 0;
  for (int i = 0; i < iovcnt; ++i) total += iov[i].iov_len;
  if (total > kMaxUdpPayload) {
    msghdr h{};
    h.msg_iov = const_cast<iovec*>(iov);
    h.msg_iovlen = static_cast<std::size_t>(iovcnt);
    return ::sendmsg(fd, &h, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  const std::size_t offset = outOctets_.size();
  for (int i = 0; i < iovcnt; ++i) {
    const auto* p = static_cast<const unsigned char*>(iov[i].iov_base);
    outOctets_.insert(outOctets_.end(), p, p + iov[i].iov_len);
  }
  out_.push_back({fd, static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(total)});
  return static_cast<ssize_t>(total);
}

std::size_t DatagramBatch::sendRun(std::size_t begin, std::size_t end) {
  const int fd = out_[begin].fd;
  const std::size_t n = end - begin;
  if (outMsgs_.size() < n) {
    outMsgs_.resize(n);
    outIovs_.resize(n);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const Outgoing& o = out_[begin + i];
    outIovs_[i] = {outOctets_.data() + o.offset, o.length};
    outMsgs_[i] = mmsghdr{};
    outMsgs_[i].msg_hdr.msg_iov = &outIovs_[i];
    outMsgs_[i].msg_hdr.msg_iovlen = 1;
  }
  std::size_t done = 0;
  while (done < n) {
    ++counters_.sendBatches;
    int r = ::sendmmsg(fd, outMsgs_.data() + done, static_cast<unsigned>(n - done),
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r > 0) {
      done += static_cast<std::size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      blocked_.push_back(fd);  // the rest waits for room, in order
      break;
    }
    // The datagram was not sent and the kernel will not say why again: the socket's next
    // receive() does, and c-ares asks every query on this server again.
    errors_.emplace_back(fd, r < 0 ? errno : EIO);
    ++counters_.sendErrors;
    break;
  }
  counters_.sent += done;
  return done;
}

void DatagramBatch::flush() {
  blocked_.clear();
  if (out_.empty()) return;
  // One run per socket: queries to several sockets (several servers, or socketsPerServer)
  // were queued in turn. Stable: each socket's datagrams keep their order.
  auto byFd = [](const Outgoing& a, const Outgoing& b) { return a.fd < b.fd; };
  if (!std::is_sorted(out_.begin(), out_.end(), byFd)) {
    std::stable_sort(out_.begin(), out_.end(), byFd);
  }
  std::size_t kept = 0;  // datagrams of blocked sockets, moved to the front of out_
  std::size_t i = 0;
  while (i < out_.size()) {
    const int fd = out_[i].fd;
    std::size_t end = i + 1;
    while (end < out_.size() && out_[end].fd == fd && end - i < kMaxSendRun) ++end;
    const bool isBlocked = std::find(blocked_.begin(), blocked_.end(), fd) != blocked_.end();
    std::size_t sent = 0;
    if (!isBlocked && !hasError(fd)) sent = sendRun(i, end);
    // A socket with an error kept drops what it still had queued (c-ares sends those queries
    // again on a new socket); a blocked one keeps it.
    if (std::find(blocked_.begin(), blocked_.end(), fd) != blocked_.end()) {
      for (std::size_t k = i + sent; k < end; ++k) out_[kept++] = out_[k];
    }
    i = end;
  }
  out_.resize(kept);
  if (kept == 0) {
    outOctets_.clear();
    return;
  }
  // Rare (a full send buffer): pack the kept datagrams' octets at the front.
  std::vector<unsigned char> packed;
  for (auto& o : out_) {
    const std::size_t at = packed.size();
    packed.insert(packed.end(), outOctets_.begin() + o.offset,
                  outOctets_.begin() + o.offset + o.length);
    o.offset = static_cast<std::uint32_t>(at);
  }
  outOctets_.swap(packed);
}

bool DatagramBatch::hasError(int fd) const {
  return std::any_of(errors_.begin(), errors_.end(), errorOf(fd));
}

int DatagramBatch::takeError(int fd) {
  auto it = std::find_if(errors_.begin(), errors_.end(), errorOf(fd));
  const int err = it->second;
  errors_.erase(it);
  return err;
}

// --- both ------------------------------------------------------------------------------------

void DatagramBatch::emptyRing() {
  owner_ = -1;
  count_ = next_ = 0;
  drained_ = false;
}

void DatagramBatch::forget(int fd) {
  if (owner_ == fd) emptyRing();
  if (!out_.empty()) {
    out_.erase(std::remove_if(out_.begin(), out_.end(), [fd](const Outgoing& o) { return o.fd == fd; }),
               out_.end());
    if (out_.empty()) outOctets_.clear();
  }
  blocked_.erase(std::remove(blocked_.begin(), blocked_.end(), fd), blocked_.end());
  errors_.erase(std::remove_if(errors_.begin(), errors_.end(), errorOf(fd)), errors_.end());
}

bool DatagramBatch::mustRead(int fd) const {
  return (next_ < count_ && owner_ == fd) || hasError(fd);
}

void DatagramBatch::mustRead(std::vector<int>& out) const {
  if (next_ < count_) out.push_back(owner_);
  for (const auto& e : errors_) {
    if (std::find(out.begin(), out.end(), e.first) == out.end()) out.push_back(e.first);
  }
}

}  // namespace offboard
