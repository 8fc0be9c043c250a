// The HTTP API apart from the wire: what a request means (route), and the
// response each outcome gets. The network side (http_server.cpp) parses the
// bytes into an http_request and writes the http_response; everything
// between is here, in plain functions that any thread may call, so it is
// tested and fuzzed without sockets. docs/http-api.md is the contract.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/optional.hpp>

#include "actors/access.hpp"
#include "actors/http/http_bridge.hpp"
#include "messages/namespace_path.hpp"
#include "messages/watch.hpp"

namespace statekeeper {

/// What the gateway reads of a request.
struct http_request {
  /// As sent: "GET", "PUT", ...
  std::string method;
  /// The request target in origin form: path and query.
  std::string target;
  std::string authorization;
  std::string if_match;
  std::string if_none_match;
  std::string last_event_id;
  /// Statekeeper-TTL: a duration ("30s").
  std::string ttl;
  std::string body;
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  /// A strong entity tag (the entry's version), quoted; empty: none.
  std::string etag;
  /// Statekeeper-Expires-At, ISO-8601 UTC; empty: none.
  std::string expires_at;
  /// Allow, with 405.
  std::string allow;
  /// 401: asks for a bearer token (WWW-Authenticate).
  bool bearer_challenge = false;
  /// HEAD: the headers of a GET, with the length of its body, no body.
  bool head = false;
  std::string body;
  /// For the metrics: "ok", or the error's code.
  std::string outcome = "ok";
};

/// Called with the response of an http_call, on the bridge.
using http_done = std::function<void(http_response)>;

/// One operation for the service, to run on a bridge.
struct http_call {
  /// The operation's name (get, put, list_keys, ...), for the metrics.
  const char* operation = "";
  std::function<void(http_bridge_pointer, http_done)> run;
  /// For an operation that the namespace's owner handles: the namespace's
  /// rendered name, the request as the owner takes it, and what its reply
  /// (or error) becomes. A network thread that knows the owner sends the
  /// request there itself; otherwise, and when the owner moved, the call
  /// runs on a bridge. Empty `owner`: always on a bridge.
  std::string owner;
  caf::message request;
  std::function<http_response(caf::message&)> answer;
};

/// A watch, served as Server-Sent Events.
struct http_watch {
  namespace_path ns;
  std::vector<std::string> prefixes;
  caf::optional<watch_cursor> from;
};

/// GET /metrics by someone allowed to read them.
struct http_metrics_request {};

/// What a request asks for: an answer known at once (errors, /healthz),
/// an operation, a watch or the metrics.
using http_route =
    std::variant<http_response, http_call, http_watch, http_metrics_request>;

/// Finds what `req` asks for, checking its token against `tokens` (none:
/// open) and every parameter. Never throws.
http_route route(const http_request& req,
                 const std::vector<access_token>& tokens);

/// The refusal (401) of a request whose token opens nothing, decided from
/// its target and Authorization header before its body is read; none if
/// the token is accepted, or not needed (the probes).
std::optional<http_response>
refuse_unauthenticated(const std::string& target,
                       const std::string& authorization,
                       const std::vector<access_token>& tokens);

/// The response to `err`: its status (see docs/http-api.md) and
/// {"code", "message"}.
http_response error_response(const caf::error& err);

/// The response to an HTTP-level problem (malformed request, size limits,
/// no such endpoint): `status`, and {"code", "message"}.
http_response http_error(unsigned status, std::string code,
                         std::string message);

/// Whether a client may resume after `ev`: every event but a snapshot
/// entry (a put with revision 0), so that a reconnect mid-snapshot starts
/// a new one.
inline bool has_cursor(const watch_event& ev) {
  return ev.kind != watch_event_kind::put || ev.revision != 0;
}

/// One watch event as a Server-Sent Event: "id" (its cursor, if it
/// has_cursor),
/// "event" (its kind) and "data" (its JSON, as statekeeper-cli --json).
std::string sse_event(const watch_event& ev);

/// The event that ends a watch the service refused or ended with `err`.
std::string sse_error(const caf::error& err);

} // namespace statekeeper
