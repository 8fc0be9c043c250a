// The HTTP gateway under wrk, against its floor measured in the same run: a
// minimal Boost.Beast server on one thread (as the gateway runs by default)
// that answers every request with a fixed body, keep-alive. GET and PUT of
// 100-byte values over 10,000 keys of 16 bytes, 50 connections, wrk with 2
// threads.
// The service runs with the binary's scheduler (use_service_scheduler).
// Prints requests/s and latency (p50, p99) for each, and `figure` lines
// for scripts/bench.sh. Needs wrk (Debian package; bench.sh installs it).
//   statekeeper_http_bench [--seconds=N] [--connections=N]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/blocking_client.hpp"
#include "actors/http/http_gateway.hpp"
#include "actors/service.hpp"
#include "bench/load_driver.hpp"
#include "messages/register.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr int keys = 10000;
using statekeeper::bench::bench_value;
using statekeeper::bench::key_of;
using statekeeper::bench::value_bytes;

// -- the floor: a Beast server answering a fixed body ---------------------

class floor_session : public std::enable_shared_from_this<floor_session> {
 public:
  explicit floor_session(tcp::socket socket) : stream_(std::move(socket)) {}

  void read() {
    req_ = {};
    http::async_read(stream_, buffer_, req_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec)
                         return;
                       self->respond();
                     });
  }

 private:
  void respond() {
    res_ = {http::status::ok, req_.version()};
    res_.set(http::field::server, "floor");
    if (req_.method() == http::verb::get) {
      res_.set(http::field::content_type, "application/octet-stream");
      res_.body() = bench_value();
    } else {
      res_.set(http::field::content_type, "application/json");
      res_.body() = "{\"version\":1}";
    }
    res_.keep_alive(req_.keep_alive());
    res_.prepare_payload();
    http::async_write(
        stream_, res_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec || !self->res_.keep_alive())
            return;
          self->read();
        });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

class floor_server {
 public:
  floor_server() : acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread{[this] { io_.run(); }};
  }

  ~floor_server() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec)
        return;
      s.set_option(tcp::no_delay{true});
      std::make_shared<floor_session>(std::move(s))->read();
      accept();
    });
  }

  net::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

// -- wrk ----------------------------------------------------------------------

struct wrk_result {
  double rps = 0;
  std::string p50;
  std::string p99;
};

std::string write_script(const std::string& method) {
  char path[] = "/tmp/statekeeper-wrk-XXXXXX.lua";
  int fd = mkstemps(path, 4);
  close(fd);
  std::ofstream out{path};
  out << "math.randomseed(os.time())\n";
  if (method == "PUT")
    out << "local body = string.rep(\"v\", " << value_bytes << ")\n"
        << "request = function()\n"
        << "  return wrk.format(\"PUT\", \"/v1/ns/bench/keys/\" .. "
           "string.format(\"key-%012d\", math.random(0, "
        << keys - 1 << ")), nil, body)\nend\n";
  else
    out << "request = function()\n"
        << "  return wrk.format(\"GET\", \"/v1/ns/bench/keys/\" .. "
           "string.format(\"key-%012d\", math.random(0, "
        << keys - 1 << ")))\nend\n";
  return path;
}

// wrk's latency ("812.00us", "1.52ms", "1.01s") in microseconds.
double micros_of(const std::string& text) {
  auto value = std::atof(text.c_str());
  if (text.find("us") != std::string::npos)
    return value;
  if (text.find("ms") != std::string::npos)
    return value * 1e3;
  if (text.find('s') != std::string::npos)
    return value * 1e6;
  return 0;
}

std::string field_after(const std::string& text, const std::string& label) {
  auto at = text.find(label);
  if (at == std::string::npos)
    return "?";
  at += label.size();
  while (at < text.size() && text[at] == ' ')
    ++at;
  auto end = text.find_first_of(" \n", at);
  return text.substr(at, end - at);
}

wrk_result run_wrk(uint16_t port, const std::string& method, int seconds,
                   int connections) {
  auto script = write_script(method);
  auto command = "wrk -t2 -c" + std::to_string(connections) + " -d" +
                 std::to_string(seconds) + "s --latency -s " + script +
                 " http://127.0.0.1:" + std::to_string(port) + "/ 2>&1";
  std::string out;
  if (auto* pipe = popen(command.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0)
      out.append(buf, n);
    pclose(pipe);
  }
  unlink(script.c_str());
  wrk_result r;
  r.rps = std::atof(field_after(out, "Requests/sec:").c_str());
  auto dist = out.find("Latency Distribution");
  auto percentiles =
      dist == std::string::npos ? std::string{} : out.substr(dist);
  r.p50 = field_after(percentiles, "50%");
  r.p99 = field_after(percentiles, "99%");
  if (out.find("Non-2xx") != std::string::npos ||
      out.find("Socket errors") != std::string::npos)
    std::fprintf(stderr, "wrk reported errors:\n%s\n", out.c_str());
  return r;
}

} // namespace

int main(int argc, char** argv) {
  int seconds = 10;
  int connections = 50;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--seconds=", 0) == 0)
      seconds = std::atoi(arg.c_str() + 10);
    else if (arg.rfind("--connections=", 0) == 0)
      connections = std::atoi(arg.c_str() + 14);
    else {
      std::fprintf(stderr, "usage: %s [--seconds=N] [--connections=N]\n",
                   argv[0]);
      return 2;
    }
  }
  if (system("command -v wrk >/dev/null") != 0) {
    std::fprintf(stderr, "wrk is missing: apt-get install wrk\n");
    return 2;
  }
  std::vector<statekeeper::bench::figure> figures;
  std::printf("HTTP keep-alive, %d connections, wrk -t2, %d s each, "
              "100-byte values over %d keys\n",
              connections, seconds, keys);
  {
    floor_server floor;
    for (auto method : {"GET", "PUT"}) {
      auto r = run_wrk(floor.port(), method, seconds, connections);
      std::printf("  minimal Beast server %-3s %9.0f req/s  p50 %s  p99 %s\n",
                  method, r.rps, r.p50.c_str(), r.p99.c_str());
      figures.push_back({std::string{"http_floor_"} + method, r.rps,
                         {micros_of(r.p50), micros_of(r.p99)}});
    }
  }
  caf::actor_system_config cfg;
  statekeeper::register_types(cfg);
  statekeeper::use_service_scheduler(cfg);

  caf::actor_system sys{cfg};
  auto router = statekeeper::spawn_service(sys);
  if (!router) {
    std::fprintf(stderr, "cannot start: %s\n",
                 sys.render(router.error()).c_str());
    return 1;
  }
  {
    statekeeper::blocking_client client{sys, *router};
    statekeeper::namespace_path ns{"bench"};
    for (int i = 0; i < keys; ++i)
      client.put(ns, key_of(i), bench_value());
  }
  statekeeper::http_options opts;

  auto gateway = statekeeper::http_gateway::start(sys, *router, opts);
  if (!gateway) {
    std::fprintf(stderr, "cannot start HTTP: %s\n",
                 sys.render(gateway.error()).c_str());
    return 1;
  }
  for (auto method : {"GET", "PUT"}) {
    auto r = run_wrk((*gateway)->port(), method, seconds, connections);
    std::printf("  statekeeper gateway  %-3s %9.0f req/s  p50 %s  p99 %s\n",
                method, r.rps, r.p50.c_str(), r.p99.c_str());
    figures.push_back({std::string{"http_"} + method, r.rps,
                       {micros_of(r.p50), micros_of(r.p99)}});
  }
  (*gateway)->stop();
  statekeeper::stop_service(*router);
  sys.await_all_actors_done();
  gateway->reset();
  statekeeper::bench::print_figures(figures);
  return 0;
}
