// HTTP requests as the gateway's route reads them, after Beast parsed the
// bytes: the input is split at newlines into method, target, the
// Authorization, If-Match, If-None-Match, Last-Event-ID and Statekeeper-TTL
// headers, and the body (the rest). Properties: route never throws; every
// answer it gives at once has a status and, for an error, a JSON body with
// a code and a message that is valid UTF-8; without an accepted token
// nothing but the probes gets past it; a tenant's token never opens a watch
// outside its tenant. Also: base64 decodes what it encodes, and encodes
// back to the text it decoded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include <boost/json.hpp>

#include "actors/http/http_api.hpp"
#include "fuzz/fuzz_check.hpp"
#include "messages/json_codec.hpp"
#include "messages/utf8.hpp"

using namespace statekeeper;

namespace {

std::string take_line(std::string& rest) {
  auto nl = rest.find('\n');
  auto line = rest.substr(0, nl);
  rest = nl == std::string::npos ? std::string{} : rest.substr(nl + 1);
  return line;
}

bool is_error_body(const std::string& body) {
  boost::json::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object())
    return false;
  auto& obj = value.get_object();
  return obj.contains("code") && obj.at("code").is_string() &&
         obj.contains("message") && obj.at("message").is_string();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string rest{reinterpret_cast<const char*>(data), size};
  http_request req;
  req.method = take_line(rest);
  req.target = take_line(rest);
  req.authorization = take_line(rest);
  req.if_match = take_line(rest);
  req.if_none_match = take_line(rest);
  req.last_event_id = take_line(rest);
  req.ttl = take_line(rest);
  req.body = rest;
  static const std::vector<access_token> tokens{{"acme", "s3cret"},
                                                {"*", "admin"}};
  auto routed = route(req, tokens);
  auto path = req.target.substr(0, req.target.find('?'));
  bool probe = path == "/healthz" || path == "/readyz";
  auto auth = req.authorization;
  for (auto& c : auth)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool tenant = auth.find("s3cret") != std::string::npos;
  bool operator_token = auth.find("admin") != std::string::npos;
  if (auto* res = std::get_if<http_response>(&routed)) {
    FUZZ_CHECK(res->status >= 200 && res->status < 600);
    if (res->status >= 400) {
      FUZZ_CHECK(is_error_body(res->body));
      FUZZ_CHECK(is_valid_utf8(res->body));
    } else {
      FUZZ_CHECK(probe);
    }
  } else if (auto* call = std::get_if<http_call>(&routed)) {
    FUZZ_CHECK(call->operation != nullptr && call->run);
    FUZZ_CHECK(probe || tenant || operator_token);
  } else if (auto* watch = std::get_if<http_watch>(&routed)) {
    FUZZ_CHECK(tenant || operator_token);
    if (!operator_token)
      FUZZ_CHECK(watch->ns.tenant == "acme");
  } else {
    FUZZ_CHECK(operator_token);
  }
  auto encoded = json::encode_base64(req.body);
  auto decoded = json::decode_base64(encoded);
  FUZZ_CHECK(decoded && *decoded == req.body);
  if (auto bytes = json::decode_base64(req.body))
    FUZZ_CHECK(json::encode_base64(*bytes) == req.body);
  return 0;
}
