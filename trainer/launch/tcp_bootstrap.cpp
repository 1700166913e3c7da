// tcp_bootstrap.cpp: the rank-0 listener and the peers' connections of tcp_bootstrap.h, with poll() deadlines.
// Wire format (little-endian): a peer sends magic "GOLFBOOT", version, rank, world size and the blob's byte count
// (u32, u32, u32, u64); rank 0 answers a status u32 (0: accepted) and then the blob.
#include "tcp_bootstrap.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace golf::launch {

namespace {

constexpr char kMagic[8] = {'G', 'O', 'L', 'F', 'B', 'O', 'O', 'T'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHelloBytes = 8 + 4 + 4 + 4 + 8;

using Clock = std::chrono::steady_clock;

// Milliseconds left until the deadline (0 when past).
int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? (int)std::min<long long>(left, 1 << 30) : 0;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) close(fd_);
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

// Sends or receives exactly n bytes before the deadline; the error says which and why.
Status transfer(int fd, void* data, size_t n, bool sending, Clock::time_point deadline, const std::string& who) {
  uint8_t* p = (uint8_t*)data;
  for (size_t done = 0; done < n;) {
    pollfd pfd{fd, (short)(sending ? POLLOUT : POLLIN), 0};
    const int ready = poll(&pfd, 1, ms_left(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0)
      return Status(StatusCode::io_error,
                    who + ": timed out " + (sending ? "sending to" : "receiving from") + " the peer");
    const ssize_t k = sending ? send(fd, p + done, n - done, MSG_NOSIGNAL) : recv(fd, p + done, n - done, 0);
    if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (k <= 0)
      return Status(StatusCode::io_error,
                    who + ": connection " + (k == 0 ? "closed by the peer" : std::strerror(errno)));
    done += (size_t)k;
  }
  return Status::Ok();
}

std::string address_of(const LaunchEnv& env) { return env.master_addr + ":" + std::to_string(env.master_port); }

Status serve(const LaunchEnv& env, void* blob, size_t bytes, Clock::time_point deadline) {
  const std::string me = "rank 0 (listening on port " + std::to_string(env.master_port) + ", MASTER_PORT)";
  Fd listener(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  bool v6 = listener.get() >= 0;
  if (!v6) listener = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) return Status(StatusCode::io_error, me + ": socket: " + std::strerror(errno));
  const int one = 1, zero = 0;
  setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (v6) {
    setsockopt(listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);  // IPv4 peers too
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons((uint16_t)env.master_port);
    rc = bind(listener.get(), (sockaddr*)&a, sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons((uint16_t)env.master_port);
    rc = bind(listener.get(), (sockaddr*)&a, sizeof a);
  }
  if (rc != 0 || listen(listener.get(), 128) != 0)
    return Status(StatusCode::io_error, me + ": cannot listen: " + std::strerror(errno) +
                                            " (is another job using MASTER_PORT?)");
  std::vector<Fd> peers((size_t)env.world_size);
  int arrived = 1;
  while (arrived < env.world_size) {
    pollfd pfd{listener.get(), POLLIN, 0};
    const int ready = poll(&pfd, 1, ms_left(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      std::string missing;
      for (int r = 1; r < env.world_size; r++)
        if (peers[(size_t)r].get() < 0) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
      return Status(StatusCode::io_error, me + ": " + std::to_string(env.world_size - arrived) + " of " +
                                              std::to_string(env.world_size - 1) +
                                              " ranks did not arrive before the timeout (missing ranks " + missing +
                                              "); they must reach this host as MASTER_ADDR=" + env.master_addr +
                                              " MASTER_PORT=" + std::to_string(env.master_port));
    }
    Fd conn(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.get() < 0) continue;
    uint8_t hello[kHelloBytes];
    // A stray or slow connection must not end the job: it is dropped and rank 0 keeps waiting.
    if (!transfer(conn.get(), hello, sizeof hello, false, deadline, me).ok()) continue;
    const uint32_t rank = get_u32(hello + 12), world = get_u32(hello + 16);
    const uint64_t n = get_u64(hello + 20);
    uint8_t verdict[4];
    std::string problem;
    if (std::memcmp(hello, kMagic, 8) != 0 || get_u32(hello + 8) != kVersion)
      problem = "not a golf bootstrap peer";
    else if ((int)world != env.world_size || n != bytes)
      problem = "rank " + std::to_string(rank) + " has world size " + std::to_string(world) + " and " +
                std::to_string(n) + " bytes, rank 0 " + std::to_string(env.world_size) + " and " +
                std::to_string(bytes) + ": the ranks belong to different jobs";
    else if (rank == 0 || (int)rank >= env.world_size || peers[rank].get() >= 0)
      problem = "rank " + std::to_string(rank) + " arrived twice or is out of range";
    put_u32(verdict, problem.empty() ? 0 : 1);
    if (!problem.empty()) {
      (void)transfer(conn.get(), verdict, 4, true, deadline, me);
      if (std::memcmp(hello, kMagic, 8) != 0) continue;  // a port scanner, not a rank of a job
      return Status(StatusCode::io_error, me + ": " + problem);
    }
    peers[rank] = std::move(conn);
    arrived++;
  }
  for (int r = 1; r < env.world_size; r++) {
    uint8_t verdict[4];
    put_u32(verdict, 0);
    const std::string who = me + ", sending to rank " + std::to_string(r);
    GOLF_RETURN_IF_ERROR(transfer(peers[(size_t)r].get(), verdict, 4, true, deadline, who));
    GOLF_RETURN_IF_ERROR(transfer(peers[(size_t)r].get(), blob, bytes, true, deadline, who));
  }
  return Status::Ok();
}

Status fetch(const LaunchEnv& env, void* blob, size_t bytes, Clock::time_point deadline) {
  const std::string addr = address_of(env);
  const std::string me = "rank " + std::to_string(env.rank) + " (rank 0 at " + addr + ", MASTER_ADDR:MASTER_PORT)";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string last_error = "no attempt";
  while (true) {
    addrinfo* found = nullptr;
    const int gai = getaddrinfo(env.master_addr.c_str(), std::to_string(env.master_port).c_str(), &hints, &found);
    if (gai != 0) {
      last_error = std::string("cannot resolve MASTER_ADDR: ") + gai_strerror(gai);
    } else {
      for (addrinfo* ai = found; ai; ai = ai->ai_next) {
        Fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (fd.get() < 0) continue;
        if (connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
          last_error = std::strerror(errno);
          continue;
        }
        freeaddrinfo(found);
        found = nullptr;
        uint8_t hello[kHelloBytes];
        std::memcpy(hello, kMagic, 8);
        put_u32(hello + 8, kVersion);
        put_u32(hello + 12, (uint32_t)env.rank);
        put_u32(hello + 16, (uint32_t)env.world_size);
        put_u64(hello + 20, bytes);
        GOLF_RETURN_IF_ERROR(transfer(fd.get(), hello, sizeof hello, true, deadline, me));
        uint8_t verdict[4];
        GOLF_RETURN_IF_ERROR(transfer(fd.get(), verdict, 4, false, deadline, me));
        if (get_u32(verdict) != 0)
          return Status(StatusCode::io_error, me + ": rank 0 refused this rank (another job, or a duplicate rank; "
                                                   "see rank 0's error)");
        return transfer(fd.get(), blob, bytes, false, deadline, me);
      }
      if (found) freeaddrinfo(found);
    }
    if (ms_left(deadline) == 0)
      return Status(StatusCode::io_error, me + ": rank 0 did not answer before the timeout (" + last_error + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, ms_left(deadline))));
  }
}

}  // namespace

Status tcp_broadcast_blob(const LaunchEnv& env, void* blob, size_t bytes, double timeout_seconds) {
  if (env.world_size <= 1) return Status::Ok();
  const auto deadline = Clock::now() + std::chrono::milliseconds((long long)(timeout_seconds * 1000.0));
  return env.rank == 0 ? serve(env, blob, bytes, deadline) : fetch(env, blob, bytes, deadline);
}

}  // namespace golf::launch
