#include "app/cli/cli_usage.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

namespace statekeeper::cli {

namespace {

// Two columns; continuation lines of a description stay in the second one.
void append_table(std::string& out, const std::vector<described>& rows) {
  size_t width = 0;
  for (auto& row : rows)
    width = std::max(width, row.first.size());
  for (auto& row : rows) {
    std::string left{"  "};
    left += row.first;
    left.resize(width + 4, ' ');
    out += left;
    for (auto c : row.second) {
      out += c;
      if (c == '\n')
        out.append(width + 4, ' ');
    }
    out += '\n';
  }
}

// "get NS KEY", "put NS KEY [VALUE]", "watch NS [PREFIX...]": the operands
// past the required ones are optional.
std::string synopsis_of(const command_spec& spec) {
  std::string out{spec.name};
  for (size_t i = 0; i < spec.operands.size(); ++i) {
    out += ' ';
    bool optional = i >= spec.required_operands;
    if (optional)
      out += '[';
    out += spec.operands[i];
    if (optional)
      out += ']';
  }
  return out;
}

std::string command_list() {
  std::vector<std::string> names;
  for (auto& spec : commands())
    names.push_back(synopsis_of(spec));
  std::vector<described> rows;
  for (size_t i = 0; i < names.size(); ++i)
    rows.emplace_back(names[i], commands()[i].summary);
  std::string out;
  append_table(out, rows);
  return out;
}

} // namespace

std::string usage_text() {
  std::string text =
      R"(Usage: statekeeper-cli [OPTIONS] COMMAND [ARGS] [COMMAND OPTIONS]

Reads and writes a statekeeper service over the network.

Commands:
@COMMANDS@
Options (before or after COMMAND):
  --host H        service address (default: 127.0.0.1)
  --port P        service port (default: 7411)
  --tls           connect with TLS (implied by --cert, --key and --ca)
  --cert FILE     client certificate (PEM), for services that require one
  --key FILE      private key of --cert (PEM)
  --ca FILE       CA certificate (PEM) that signed the service's certificate
  --token T       access token (default: $STATEKEEPER_TOKEN)
  --timeout D     longest wait to connect and for each reply (default: 5s)
  --json          print results as JSON
  -h, --help      print this help, or a command's help after COMMAND

NS is a namespace: TENANT[/SCOPE...], with '%' written as %25 and '/'
inside a segment as %2F (e.g. acme/agents/a%2Fb). Durations are a whole
number with ms, s, m or h (e.g. 500ms, 5s, 2m, 1h). Put -- before
arguments that start with '-'.

Exit status: 0 success, 1 the key (for exists: the namespace) is absent,
2 error.
Run 'statekeeper-cli COMMAND --help' for a command's arguments and options.
)";
  text.replace(text.find("@COMMANDS@\n"), 11, command_list() + "\n");
  return text;
}

std::string usage_text(command_kind command) {
  auto& usage = spec_of(command);
  std::string out = "Usage: statekeeper-cli ";
  out += usage.synopsis;
  out += "\n\n";
  out += usage.description;
  out += "\n\nArguments:\n";
  append_table(out, usage.arguments);
  if (!usage.options.empty()) {
    out += "\nOptions:\n";
    append_table(out, usage.options);
  }
  out += '\n';
  out += usage.output;
  out += "\nGlobal options (--host, --port, --tls, --cert, --key, --ca, "
         "--token,\n--timeout, --json): see 'statekeeper-cli --help'.\n";
  return out;
}

} // namespace statekeeper::cli
