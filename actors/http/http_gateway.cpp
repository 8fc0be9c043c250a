#include "actors/http/http_gateway.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/make_actor.hpp>
#include <caf/monitorable_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/http/http_api.hpp"
#include "actors/http/http_bridge.hpp"
#include "actors/http/http_metrics.hpp"
#include "actors/log.hpp"
#include "actors/owner_cache.hpp"
#include "messages/error.hpp"

namespace statekeeper {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

using steady = std::chrono::steady_clock;

namespace {

/// A connection as drain sees it.
struct drainable {
  virtual ~drainable() = default;
  /// Closes the connection if it waits for a request, else lets it close
  /// after its response; called from any thread.
  virtual void drain() = 0;
};

/// Where owners' replies to the network threads arrive: an actor that
/// runs nothing. Its `enqueue` hands each reply, on the thread of the
/// actor that replies, to the handler its request registered (which posts
/// it to the connection). So a request the network thread sends to an
/// owner itself comes back without a turn of any other actor.
class http_replies final : public caf::monitorable_actor {
 public:
  /// Called with the reply (a message holding the result or a caf::error).
  using handler = std::function<void(caf::message&)>;

  http_replies() : caf::monitorable_actor(no_flags()) {}

  /// Registers `h` for the reply to the request with the id it returns.
  uint64_t expect(handler h) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto id = ++next_;
    if (!closed_)
      waiting_.emplace(id, std::move(h));
    return id;
  }

  /// Forgets request `id`; false if its reply came already.
  bool cancel(uint64_t id) {
    std::lock_guard<std::mutex> guard{mtx_};
    return waiting_.erase(id) > 0;
  }

  /// Drops every handler, and every reply from now on.
  void close() {
    std::unordered_map<uint64_t, handler> dropped;
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    dropped.swap(waiting_);
  }

  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) override {
    if (!what || !what->mid.is_response())
      return;
    handler h; // destroyed after the lock is released
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = waiting_.find(what->mid.request_id().integer_value());
    if (i == waiting_.end())
      return;
    h = std::move(i->second);
    waiting_.erase(i);
    // Under the lock, so that once close() returns no handler runs (and
    // none posts to an I/O context about to go). A handler only posts.
    auto msg = what->move_content_to_message();
    h(msg);
  }

 private:
  static caf::actor_config& no_flags() {
    static caf::actor_config cfg;
    return cfg;
  }

  std::mutex mtx_;
  uint64_t next_ = 0;
  bool closed_ = false;
  std::unordered_map<uint64_t, handler> waiting_;
};

/// What the connections share: it lives as long as the last of them.
struct context {
  context(caf::actor_system& sys, router_actor router, http_options opts)
      : sys(sys), router(std::move(router)), opts(std::move(opts)),
        owners(this->router) {
    replies_handle = caf::make_actor<http_replies, caf::strong_actor_ptr>(
        sys.next_actor_id(), sys.node(), &sys);
    replies = static_cast<http_replies*>(
        caf::actor_cast<caf::abstract_actor*>(replies_handle));
  }

  /// The owner of the namespace rendered as `name` if a bridge's call met
  /// it and it still runs; else null.
  caf::strong_actor_ptr find_owner(const std::string& name) {
    std::lock_guard<std::mutex> guard{owners_mtx};
    return caf::actor_cast<caf::strong_actor_ptr>(owners.find(name));
  }

  /// Remembers `replier` as the owner of `name`: it answered a bridge's
  /// call about that namespace, unless it is the router (which answers
  /// when it cannot resolve the namespace).
  void remember_owner(const std::string& name,
                      const caf::strong_actor_ptr& replier) {
    if (!replier || replier == caf::actor_cast<caf::strong_actor_ptr>(router))
      return;
    std::lock_guard<std::mutex> guard{owners_mtx};
    owners.remember(name, caf::actor_cast<namespace_operations>(replier));
  }

  void forget_owner(const std::string& name) {
    std::lock_guard<std::mutex> guard{owners_mtx};
    owners.forget(name);
  }

  caf::actor_system& sys;
  router_actor router;
  http_options opts;
  std::optional<ssl::context> tls;
  std::vector<caf::actor> bridges;
  http_metrics metrics;
  std::atomic<uint32_t> connections{0};
  /// Body bytes the requests being read or served may hold, all
  /// connections (at most max-buffered-bytes).
  std::atomic<uint64_t> buffered{0};
  /// Set by drain: connections close once their current response is out.
  std::atomic<bool> draining{false};
  /// The connections open, for drain: each asks its own to close when it
  /// is idle. Under `open_mtx`.
  std::mutex open_mtx;
  std::list<std::weak_ptr<drainable>> open;
  std::atomic<uint32_t> in_flight{0};
  std::atomic<size_t> next_bridge{0};
  /// Owners the network threads send to themselves, under `owners_mtx`.
  std::mutex owners_mtx;
  owner_cache owners;
  caf::strong_actor_ptr replies_handle;
  http_replies* replies;
};

} // namespace

/// The network side: its I/O objects die before it, and with it every
/// connection still waiting in it.
struct http_gateway::impl {
  net::io_context io;
  /// Accepts on a strand of its own, so that drain can close it from
  /// outside the network threads.
  tcp::acceptor acceptor{net::make_strand(io)};
  std::shared_ptr<context> shared;
  std::vector<std::thread> threads;
  bool stopped = false;
};

namespace {

std::chrono::nanoseconds to_chrono(caf::timespan x) {
  return std::chrono::nanoseconds{x.count()};
}

/// Hands text to a connection's event stream from any thread: `ack` asks
/// for a `written` message to the watcher once it is on the wire, `end`
/// closes the stream after it.
using sse_sink = std::function<void(std::string text, bool ack, bool end)>;

using written_atom = caf::atom_constant<caf::atom("written")>;

// -- the watcher of an event stream ------------------------------------------

struct stream_watcher_state {
  static inline const char* name = "statekeeper.http_watcher";
  std::optional<owner_cache> owners;
  /// The namespace's owner, once it accepted the watch.
  caf::actor_addr owner;
  /// Where the client stands: the cursor of the last event sent.
  std::optional<watch_cursor> cursor;
  /// Batches on their way to the client, answered once written.
  std::deque<caf::response_promise> unwritten;
};

// Opens the watch and hands its events to the stream. A batch counts as
// pending for the namespace until the client has it, so the service's flow
// control (watch-max-lag, watch-ack-timeout) reaches the socket. The owner
// ends the stream with `dropped` when the service stops (it hears of the
// router's end first); one that stops without doing so gets the stream
// ended in its place. Stops too when the connection is gone.
caf::behavior stream_watcher(caf::stateful_actor<stream_watcher_state>* self,
                             router_actor router, http_watch w,
                             caf::timespan timeout, sse_sink sink) {
  self->state.owners.emplace(router);
  self->monitor(router);
  self->set_down_handler([self, sink](caf::down_msg& msg) {
    auto& st = self->state;
    if (st.owner && msg.source != st.owner)
      return; // the router: the owner drops this watch as it stops
    if (st.cursor) {
      watch_event ev;
      ev.kind = watch_event_kind::dropped;
      ev.incarnation = st.cursor->incarnation;
      ev.revision = st.cursor->revision;
      ev.value = "the namespace's owner stopped";
      sink(sse_event(ev), false, true);
    } else {
      sink(sse_error(make_error(error_code::storage_unavailable,
                                "the service stopped")),
           false, true);
    }
    self->quit();
  });
  auto me = caf::actor_cast<watcher_actor>(self);
  request_owner<uint64_t>(
      self, *self->state.owners, timeout,
      [self](uint64_t) {
        if (auto owner = self->current_sender()) {
          self->state.owner = owner->address();
          self->monitor(owner);
        }
      },
      [self, sink](caf::error& err) {
        sink(sse_error(in_our_terms(std::move(err), "the service")), false,
             true);
        self->quit();
      },
      watch_atom::value, std::move(w.ns), std::move(w.prefixes), w.from, me);
  return {
      [self, sink](event_atom, uint64_t, watch_batch& events) {
        std::string text;
        bool end = false;
        for (auto& ev : events) {
          text += sse_event(ev);
          end = end || ev.kind == watch_event_kind::dropped;
          if (has_cursor(ev))
            self->state.cursor = ev.cursor();
        }
        bool ack = self->current_message_id().is_request();
        if (ack)
          self->state.unwritten.push_back(self->make_response_promise());
        sink(std::move(text), ack, end);
        if (end)
          self->quit();
      },
      [self](written_atom) {
        auto& unwritten = self->state.unwritten;
        if (unwritten.empty())
          return;
        unwritten.front().deliver(caf::unit);
        unwritten.pop_front();
      },
  };
}

// -- one connection ---------------------------------------------------------

/// Writes the bytes of `res` on the wire to `out`: by hand, into one
/// string for one write, where Beast's serializer walked a chain of buffer
/// sequences (a tenth of the network thread's work per request).
void format_response(const http_response& res, bool keep_alive, bool head,
                     std::string& out) {
  out.clear();
  out.reserve(160 + (head || res.head ? 0 : res.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  auto reason = http::obsolete_reason(static_cast<http::status>(res.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: statekeeper\r\n";
  auto field = [&out](std::string_view name, const std::string& value) {
    if (value.empty())
      return;
    out.append(name.data(), name.size());
    out += ": ";
    out += value;
    out += "\r\n";
  };
  field("Content-Type", res.content_type);
  field("ETag", res.etag);
  field("Statekeeper-Expires-At", res.expires_at);
  field("Allow", res.allow);
  if (res.bearer_challenge)
    out += "WWW-Authenticate: Bearer realm=\"statekeeper\"\r\n";
  if (!keep_alive)
    out += "Connection: close\r\n";
  // No body, and so no length, for 1xx, 204 and 304 (RFC 9110, 6.4.1).
  bool bodiless = res.status < 200 || res.status == 204 || res.status == 304;
  if (!bodiless) {
    out += "Content-Length: ";
    out += std::to_string(res.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  if (!head && !res.head && !bodiless)
    out += res.body;
}

template <class Stream>
class connection : public drainable,
                   public std::enable_shared_from_this<connection<Stream>> {
 public:
  connection(std::shared_ptr<context> ctx, Stream stream, caf::actor bridge)
      : ctx_(std::move(ctx)), stream_(std::move(stream)),
        bridge_(std::move(bridge)), watchdog_(stream_.get_executor()) {}

  ~connection() {
    if (watcher_) {
      caf::anon_send_exit(watcher_, caf::exit_reason::user_shutdown);
      ctx_->metrics.stream_closed();
    }
    release_body();
    if (registered_) {
      std::lock_guard<std::mutex> guard{ctx_->open_mtx};
      ctx_->open.erase(*registered_);
    }
    --ctx_->connections;
  }

  void drain() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->keep_alive_ = false;
      if (self->idle_)
        self->close();
    });
  }

  void start() {
    {
      std::lock_guard<std::mutex> guard{ctx_->open_mtx};
      registered_ = ctx_->open.insert(
          ctx_->open.end(), std::weak_ptr<drainable>{this->shared_from_this()});
    }
    // From here on, all of it runs on the connection's strand (as drain's
    // handler does).
    net::dispatch(stream_.get_executor(),
                  [self = this->shared_from_this()] { self->begin(); });
  }

 private:
  void begin() {
    expire_in(ctx_->opts.io_timeout);
    arm_watchdog();
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      wait_for_request();
    } else {
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) {
            if (ec)
              return self->close();
            self->wait_for_request();
          });
    }
  }

  tcp::socket& lowest() { return beast::get_lowest_layer(stream_); }

  // -- deadlines --------------------------------------------------------------
  //
  // One timer per connection keeps its deadline. Moving the deadline later
  // (every read and write does) costs no timer operation: the timer wakes
  // at the deadline or after the shortest timeout, whichever is first, and
  // looks again. A timer per read and per write, as beast::tcp_stream
  // keeps, costs a wait and a cancellation each, and was a fifth of the
  // network thread's work per request.

  /// The connection closes unless what it waits for happens within `d`.
  void expire_in(caf::timespan d) { expire_at(steady::now() + to_chrono(d)); }

  void expire_at(steady::time_point deadline) {
    deadline_ = deadline;
    if (deadline_ < watchdog_.expiry())
      arm_watchdog();
  }

  /// No deadline: the connection waits for the service or the client.
  void expire_never() { expire_at(steady::time_point::max()); }

  void arm_watchdog() {
    auto& o = ctx_->opts;
    auto longest_sleep = to_chrono(std::min(o.idle_timeout, o.io_timeout));
    watchdog_.expires_at(std::min(deadline_, steady::now() + longest_sleep));
    watchdog_.async_wait(
        [self = this->shared_from_this()](beast::error_code ec) {
          if (ec || self->closed_)
            return; // set again, or closing
          if (steady::now() >= self->deadline_)
            return self->direct_ ? self->direct_timed_out() : self->close();
          self->arm_watchdog();
        });
  }

  // A kept-alive connection waits up to idle-timeout for the first byte of
  // its next request; the rest of the request must follow within
  // io-timeout, so a client that trickles bytes is cut off.
  void wait_for_request() {
    if (ctx_->draining)
      return close();
    if (buffer_.size() > 0) {
      read_request();
      return;
    }
    expire_in(ctx_->opts.idle_timeout);
    idle_ = true;
    stream_.async_read_some(
        buffer_.prepare(4096),
        [self = this->shared_from_this()](beast::error_code ec, size_t n) {
          self->idle_ = false;
          if (ec)
            return self->close();
          self->buffer_.commit(n);
          self->read_request();
        });
  }

  // Parses what the buffer already holds: the header, or the body once
  // the header is done (the parser stops after the header). Most requests
  // arrive whole with their first read, and a read through Beast would
  // still complete through the I/O queue, one more turn per stage.
  beast::error_code parse_buffered() {
    beast::error_code ec;
    bool header_done = parser_->is_header_done();
    while (buffer_.size() > 0 && !parser_->is_done()) {
      auto n = parser_->put(buffer_.data(), ec);
      buffer_.consume(n);
      if (ec == http::error::need_more)
        return {};
      if (ec || n == 0 || (!header_done && parser_->is_header_done()))
        return ec;
    }
    return ec;
  }

  // The header first: a request without an accepted token is refused
  // before its body costs memory. A client that waits for "100 Continue"
  // gets it once the header passed.
  void read_request() {
    parser_.emplace();
    parser_->header_limit(ctx_->opts.max_header_bytes);
    parser_->body_limit(ctx_->opts.max_body_bytes);
    expire_in(ctx_->opts.io_timeout);
    auto ec = parse_buffered();
    if (ec)
      return on_request(ec);
    if (parser_->is_header_done())
      return on_header();
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (ec)
            return self->on_request(ec);
          self->on_header();
        });
  }

  void on_header() {
    auto& req = parser_->get();
    head_ = req.method() == http::verb::head;
    auto auth = req.find(http::field::authorization);
    if (auto refusal = refuse_unauthenticated(
            std::string{req.target()},
            auth == req.end() ? std::string{} : std::string{auth->value()},
            ctx_->opts.tokens))
      return refuse(std::move(*refusal));
    if (parser_->is_done())
      return on_request({});
    // The body is read only if it fits what all connections may hold.
    auto length = parser_->content_length();
    if (!reserve_body(length ? *length : ctx_->opts.max_body_bytes))
      return refuse(http_error(
          429, "limit_exceeded",
          "the bodies of the requests being served fill max-buffered-bytes "
          "(" +
              std::to_string(ctx_->opts.max_buffered_bytes) + ")"));
    auto expect = req.find(http::field::expect);
    if (expect != req.end() &&
        beast::iequals(expect->value(), "100-continue")) {
      static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(
          stream_, net::buffer(cont.data(), cont.size()),
          [self = this->shared_from_this()](beast::error_code ec, size_t) {
            if (ec)
              return self->close();
            self->read_body();
          });
      return;
    }
    read_body();
  }

  void read_body() {
    auto ec = parse_buffered();
    if (ec || parser_->is_done())
      return on_request(ec);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) {
          self->on_request(ec);
        });
  }

  void on_request(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return refuse(http_error(413, "limit_exceeded",
                               "the body is larger than max-body-bytes (" +
                                   std::to_string(ctx_->opts.max_body_bytes) +
                                   ")"));
    if (ec == http::error::header_limit)
      return refuse(http_error(431, "limit_exceeded",
                               "the request line and headers are larger than "
                               "max-header-bytes (" +
                                   std::to_string(ctx_->opts.max_header_bytes) +
                                   ")"));
    if (ec &&
        ec.category() ==
            http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message)
      return refuse(http_error(400, "invalid_argument",
                               "malformed HTTP request: " + ec.message()));
    if (ec)
      return close(); // gone, timed out, or cut off mid-request
    auto& req = parser_->get();
    started_ = steady::now();
    keep_alive_ = req.keep_alive();
    http_request r;
    r.method = std::string{req.method_string()};
    r.target = std::string{req.target()};
    auto header = [&](auto field) {
      auto i = req.find(field);
      return i == req.end() ? std::string{} : std::string{i->value()};
    };
    r.authorization = header(http::field::authorization);
    r.if_match = header(http::field::if_match);
    r.if_none_match = header(http::field::if_none_match);
    r.last_event_id = header("Last-Event-ID");
    r.ttl = header("Statekeeper-TTL");
    r.body = std::move(req.body());
    auto routed = route(r, ctx_->opts.tokens);
    std::visit([this](auto& x) { dispatch(std::move(x)); }, routed);
  }

  void dispatch(http_response res) {
    std::string operation = res.status < 400 ? "probe" : "refused";
    respond(std::move(res), operation);
  }

  void dispatch(http_call call) {
    if (ctx_->in_flight.fetch_add(1) >= ctx_->opts.max_in_flight) {
      --ctx_->in_flight;
      return respond(http_error(429, "limit_exceeded",
                                "too many requests in flight "
                                "(statekeeper.http.max-requests-in-flight)"),
                     call.operation);
    }
    if (!call.owner.empty())
      if (auto owner = ctx_->find_owner(call.owner))
        return send_direct(std::move(call), owner);
    via_bridge(std::move(call));
  }

  // The bridge finds the owner (and finds it again when it moved) and
  // keeps the service's deadline. The owner that answers is remembered,
  // for the next call about its namespace to go there directly.
  void via_bridge(http_call call) {
    expire_never();
    auto done = [self = this->shared_from_this(), op = call.operation,
                 owner = std::move(call.owner)](http_response res,
                                                caf::strong_actor_ptr replier) {
      // A failure may come from elsewhere (the directory, when a session
      // with the namespace's node could not be opened).
      if (!owner.empty() && res.status < 500)
        self->ctx_->remember_owner(owner, replier);
      net::post(self->stream_.get_executor(),
                [self, op, res = std::move(res)]() mutable {
                  --self->ctx_->in_flight;
                  self->respond(std::move(res), op);
                });
    };
    caf::anon_send(bridge_, http_job{[run = std::move(call.run),
                                      done](http_bridge_pointer self) {
                     run(self, [self, done](http_response res) {
                       // Not the bridge itself, which answers a call past
                       // its deadline or when the service stops.
                       auto replier = self->current_sender();
                       if (replier.get() == self->ctrl())
                         replier = nullptr;
                       done(std::move(res), std::move(replier));
                     });
                   }});
  }

  // Straight to the owner, with the connection's watchdog keeping the
  // service's deadline; the reply comes back through ctx_->replies.
  void send_direct(http_call call, const caf::strong_actor_ptr& owner) {
    direct_ = std::move(call);
    expire_in(ctx_->opts.service_timeout);
    // Weak: the watchdog keeps the connection while it waits, and a
    // handler dropped by close() must not be the last to hold it.
    std::weak_ptr<connection> weak = this->shared_from_this();
    direct_id_ = ctx_->replies->expect([weak](caf::message& reply) {
      if (auto self = weak.lock())
        net::post(self->stream_.get_executor(),
                  [self, reply = std::move(reply)]() mutable {
                    self->on_direct_reply(reply);
                  });
    });
    // Moved: a fallback runs `call.run`, which has the arguments itself,
    // and the owner then takes the message without copying it.
    owner->enqueue(caf::make_mailbox_element(ctx_->replies_handle,
                                             caf::make_message_id(direct_id_),
                                             {}, std::move(direct_->request)),
                   nullptr);
  }

  void on_direct_reply(caf::message& reply) {
    if (!direct_)
      return;
    auto call = std::move(*direct_);
    direct_.reset();
    if (reply.match_elements<caf::error>()) {
      auto& err = reply.get_as<caf::error>(0);
      if (owner_moved(err) || has_code(err, error_code::not_owner)) {
        // Not handled: retired or stopped, or the namespace is owned by
        // another node now. The bridge finds the owner.
        ctx_->forget_owner(call.owner);
        return via_bridge(std::move(call));
      }
      // Maybe a session with another node whose connection failed: the
      // next call learns the owner anew.
      if (peer_failed(err))
        ctx_->forget_owner(call.owner);
    }
    --ctx_->in_flight;
    respond(call.answer(reply), call.operation);
  }

  // As the bridge answers a call past its deadline: `timeout`, 504.
  void direct_timed_out() {
    if (!ctx_->replies->cancel(direct_id_)) {
      // The reply is on its way to this strand.
      expire_never();
      return arm_watchdog();
    }
    auto call = std::move(*direct_);
    direct_.reset();
    --ctx_->in_flight;
    // It may be a session with a node that is paused: learn anew.
    ctx_->forget_owner(call.owner);
    auto timeout =
        caf::make_message(caf::make_error(caf::sec::request_timeout));
    respond(call.answer(timeout), call.operation);
  }

  void dispatch(http_metrics_request) {
    expire_never();
    auto done = [self = this->shared_from_this()](std::string text) {
      net::post(self->stream_.get_executor(),
                [self, text = std::move(text)]() mutable {
                  http_response res;
                  res.content_type = "text/plain; version=0.0.4";
                  res.body = std::move(text);
                  self->respond(std::move(res), "metrics");
                });
    };
    auto ctx = ctx_;
    caf::anon_send(
        bridge_, http_job{[ctx, done](http_bridge_pointer self) {
          ask_service<service_stats>(
              self,
              [ctx, done](service_stats& s) {
                done(ctx->metrics.render(s, ctx->connections));
              },
              [ctx, done](caf::error&) {
                // The gateway's own figures still help.
                done(ctx->metrics.render(service_stats{}, ctx->connections));
              },
              stats_atom::value);
        }});
  }

  void dispatch(http_watch w) {
    release_body(); // whatever came with it was dropped
    keep_alive_ = false;
    ctx_->metrics.stream_opened();
    std::weak_ptr<connection> weak = this->shared_from_this();
    auto exec = stream_.get_executor();
    sse_sink sink = [weak, exec](std::string text, bool ack, bool end) {
      net::post(exec, [weak, text = std::move(text), ack, end]() mutable {
        if (auto self = weak.lock())
          self->stream(std::move(text), ack, end);
      });
    };
    watcher_ = ctx_->sys.spawn(stream_watcher, ctx_->router, std::move(w),
                               ctx_->opts.service_timeout, std::move(sink));
    watch_for_hangup();
    stream("HTTP/1.1 200 OK\r\n"
           "Server: statekeeper\r\n"
           "Content-Type: text/event-stream\r\n"
           "Cache-Control: no-store\r\n"
           "Connection: close\r\n\r\n",
           false, false);
    ctx_->metrics.record("watch", "ok", steady::now() - started_);
  }

  // An event stream reads on, to see the client hang up (and to stay
  // alive: the pending read holds the connection). What the client sends
  // is dropped; only writes time out.
  void watch_for_hangup() {
    buffer_.consume(buffer_.size());
    if (!writing_)
      expire_never();
    stream_.async_read_some(
        buffer_.prepare(512),
        [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (ec)
            return self->close();
          self->watch_for_hangup();
        });
  }

  // -- writing ---------------------------------------------------------------

  // Answers a request the gateway will not read to its end: the connection
  // closes after the response.
  void refuse(http_response res) {
    keep_alive_ = false;
    lingering_ = true;
    started_ = steady::now();
    respond(std::move(res), "refused");
  }

  void respond(http_response res, const std::string& operation) {
    release_body();
    ctx_->metrics.record(operation, res.outcome, steady::now() - started_);
    if (ctx_->draining)
      keep_alive_ = false;
    format_response(res, keep_alive_, head_, response_);
    expire_in(ctx_->opts.io_timeout);
    net::async_write(
        stream_, net::buffer(response_),
        [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (self->response_.capacity() > 64 * 1024)
            std::string{}.swap(self->response_); // a large body's room
          if (ec || !self->keep_alive_)
            return self->lingering_ ? self->linger() : self->close();
          self->wait_for_request();
        });
  }

  // The event stream: one write at a time, in order.
  void stream(std::string text, bool ack, bool end) {
    if (closed_)
      return;
    pending_.push_back({std::move(text), ack, end});
    if (!writing_)
      write_next();
  }

  void write_next() {
    if (pending_.empty()) {
      writing_ = false;
      expire_never(); // only writes time out
      return;
    }
    writing_ = true;
    auto chunk = std::make_shared<sse_chunk>(std::move(pending_.front()));
    pending_.pop_front();
    expire_in(ctx_->opts.io_timeout);
    net::async_write(
        stream_, net::buffer(chunk->text),
        [self = this->shared_from_this(), chunk](beast::error_code ec, size_t) {
          if (ec || chunk->end)
            return self->close();
          if (chunk->ack)
            caf::anon_send(self->watcher_, written_atom::value);
          self->write_next();
        });
  }

  // After refusing a request the client may still be sending: closing with
  // unread bytes would reset the connection and could destroy the response
  // on its way. So: no more writes, then read and drop what comes for a
  // moment, then close.
  void linger() {
    beast::error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_send, ignored);
    expire_in(std::chrono::seconds{1});
    discard_input();
  }

  void discard_input() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(
        buffer_.prepare(4096),
        [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (ec)
            return self->close();
          self->discard_input();
        });
  }

  // Counts `bytes` of body against max-buffered-bytes until the response
  // (or the end of the connection); false if they do not fit.
  bool reserve_body(uint64_t bytes) {
    auto limit = ctx_->opts.max_buffered_bytes;
    auto held = ctx_->buffered.load();
    do {
      if (bytes > limit || held > limit - bytes)
        return false;
    } while (!ctx_->buffered.compare_exchange_weak(held, held + bytes));
    reserved_ = bytes;
    return true;
  }

  void release_body() {
    ctx_->buffered -= reserved_;
    reserved_ = 0;
  }

  void close() {
    release_body();
    if (closed_)
      return;
    closed_ = true;
    pending_.clear();
    watchdog_.cancel();
    beast::error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
  }

  struct sse_chunk {
    std::string text;
    bool ack;
    bool end;
  };

  std::shared_ptr<context> ctx_;
  Stream stream_;
  caf::actor bridge_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  /// The response being written (kept: its capacity serves the next).
  std::string response_;
  steady::time_point started_;
  bool keep_alive_ = true;
  /// The request is a HEAD: its response has headers only.
  bool head_ = false;
  /// Closing after a refusal: see linger.
  bool lingering_ = false;
  bool closed_ = false;
  /// Waiting for the first byte of a request: drain closes it.
  bool idle_ = false;
  /// Body bytes counted against max-buffered-bytes.
  uint64_t reserved_ = 0;
  /// Its place in the context's list of open connections.
  std::optional<std::list<std::weak_ptr<drainable>>::iterator> registered_;
  caf::actor watcher_;
  /// The call sent to its owner directly, until it is answered.
  std::optional<http_call> direct_;
  uint64_t direct_id_ = 0;
  net::steady_timer watchdog_;
  /// When the connection closes unless it makes progress; see expire_in.
  steady::time_point deadline_ = steady::time_point::max();
  std::deque<sse_chunk> pending_;
  bool writing_ = false;
};

// -- accepting ----------------------------------------------------------------

void serve(const std::shared_ptr<context>& ctx, tcp::socket socket) {
  if (ctx->connections.fetch_add(1) >= ctx->opts.max_connections) {
    --ctx->connections;
    ctx->metrics.connection_refused();
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay{true}, ignored);
  auto bridge = ctx->bridges[ctx->next_bridge++ % ctx->bridges.size()];
  if (ctx->tls) {
    using tls_stream = beast::ssl_stream<tcp::socket>;
    std::make_shared<connection<tls_stream>>(
        ctx, tls_stream{std::move(socket), *ctx->tls}, std::move(bridge))
        ->start();
  } else {
    std::make_shared<connection<tcp::socket>>(ctx, std::move(socket),
                                              std::move(bridge))
        ->start();
  }
}

// Each connection gets a strand of its own on `io` (not one inside the
// acceptor's strand, which would serialise them all).
void accept_next(net::io_context& io, tcp::acceptor& acceptor,
                 std::shared_ptr<context> ctx) {
  acceptor.async_accept(
      net::make_strand(io),
      [&io, &acceptor, ctx](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open())
          return;
        if (!ec) {
          serve(ctx, std::move(socket));
          accept_next(io, acceptor, ctx);
          return;
        }
        // Out of descriptors, say: the connection stays in the backlog,
        // and accepting again at once would spin.
        auto pause = std::make_shared<net::steady_timer>(
            acceptor.get_executor(), std::chrono::milliseconds{100});
        pause->async_wait([&io, &acceptor, ctx, pause](beast::error_code) {
          accept_next(io, acceptor, ctx);
        });
      });
}

caf::error cannot(error_code code, std::string what,
                  const beast::error_code& ec) {
  return make_error(code, std::move(what) + ": " + ec.message());
}

} // namespace

http_gateway::http_gateway(std::shared_ptr<impl> pimpl)
    : impl_(std::move(pimpl)) {
  // nop
}

http_gateway::~http_gateway() {
  stop();
}

caf::expected<std::unique_ptr<http_gateway>>
http_gateway::start(caf::actor_system& sys, const router_actor& router,
                    http_options opts) {
  auto ctx = std::make_shared<context>(sys, router, std::move(opts));
  auto& o = ctx->opts;
  beast::error_code ec;
  if (serves_tls(o)) {
    ctx->tls.emplace(ssl::context::tls_server);
    ctx->tls->set_options(ssl::context::default_workarounds |
                          ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx->tls->use_certificate_chain_file(o.certificate, ec);
    if (ec)
      return cannot(error_code::invalid_argument,
                    "statekeeper.http.certificate " + o.certificate, ec);
    ctx->tls->use_private_key_file(o.key, ssl::context::pem, ec);
    if (ec)
      return cannot(error_code::invalid_argument,
                    "statekeeper.http.key " + o.key, ec);
  }
  auto address = net::ip::make_address(o.address, ec);
  if (ec)
    return cannot(error_code::invalid_argument,
                  "statekeeper.http.address " + o.address, ec);
  auto pimpl = std::make_shared<impl>();
  tcp::endpoint endpoint{address, o.port};
  auto& acceptor = pimpl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return cannot(
        error_code::storage_unavailable,
        "cannot listen on " + o.address + ":" + std::to_string(o.port), ec);
  for (uint32_t i = 0; i < o.threads; ++i)
    ctx->bridges.push_back(spawn_http_bridge(sys, router, o.service_timeout));
  pimpl->shared = ctx;
  accept_next(pimpl->io, acceptor, ctx);
  for (uint32_t i = 0; i < o.threads; ++i)
    pimpl->threads.emplace_back([p = pimpl.get()] {
      // A handler that throws (out of memory, say) loses its connection,
      // not the service.
      for (;;) {
        try {
          p->io.run();
          return;
        } catch (const std::exception& ex) {
          log(log_level::error,
              std::string{"HTTP gateway: a connection failed: "} + ex.what());
        }
      }
    });
  return std::unique_ptr<http_gateway>{new http_gateway(std::move(pimpl))};
}

uint16_t http_gateway::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void http_gateway::drain() {
  if (!impl_ || impl_->shared->draining.exchange(true))
    return;
  auto& acceptor = impl_->acceptor;
  net::post(acceptor.get_executor(), [&acceptor] {
    beast::error_code ignored;
    acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<drainable>> open;
  {
    auto& ctx = *impl_->shared;
    std::lock_guard<std::mutex> guard{ctx.open_mtx};
    for (auto& weak : ctx.open)
      if (auto conn = weak.lock())
        open.push_back(std::move(conn));
  }
  for (auto& conn : open)
    conn->drain();
}

void http_gateway::stop() {
  if (!impl_ || impl_->stopped)
    return;
  drain();
  // What is on its way out (last responses, the events that end the
  // streams) gets as long as any write may take: io-timeout.
  auto deadline = steady::now() + to_chrono(impl_->shared->opts.io_timeout);
  while (impl_->shared->connections > 0 && steady::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  impl_->stopped = true;
  impl_->io.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
  // Replies from now on find no connection to go to.
  impl_->shared->replies->close();
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& bridge : impl_->shared->bridges)
    caf::anon_send_exit(bridge, caf::exit_reason::user_shutdown);
}

} // namespace statekeeper
