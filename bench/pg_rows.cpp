// How a commit's rows best reach PostgreSQL: upserts of 64 rows per
// transaction, 64-byte and 4 KiB values, sent three ways on one connection
// in the same run:
//  - binary arrays (what the backend sends: backends/postgres/binary_array.hpp)
//    to INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE;
//  - the same statement with hex text arrays (what it sent before);
//  - COPY (text format, libpqxx's stream_to) into a temporary table, then
//    INSERT ... SELECT ... ON CONFLICT DO UPDATE from it.
// synchronous_commit is off, so that the figures are of the rows' path
// (encoding, transfer, parsing, executing), not of the WAL flush every
// variant pays alike. Prints rows per second, the bytes each variant sends
// per row, and the ratios against binary arrays.
// Needs a server: scripts/with-postgres.sh build/statekeeper_pg_rows_bench
// Usage: statekeeper_pg_rows_bench [--transactions=N]   (default 2000)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include <pqxx/pqxx>
#include <pqxx/stream_to>

#include "backends/postgres/binary_array.hpp"
#include "backends/postgres/stored_rows.hpp"
#include "bench/load_driver.hpp"

namespace sk = statekeeper;
using namespace statekeeper::bench;

namespace {

constexpr int rows_per_txn = 64;

const char* upsert_sql =
    "INSERT INTO bench_rows (ns, key, value, version, expires_at)"
    " SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[],"
    "                      $4::bigint[], $5::bigint[])"
    " ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value,"
    " version = EXCLUDED.version, expires_at = EXCLUDED.expires_at";

struct row {
  std::string ns;
  std::string key;
  std::string value;
  int64_t version;
};

std::vector<row> rows_of(int txn, size_t value_size) {
  std::vector<row> rows;
  for (int i = 0; i < rows_per_txn; ++i) {
    auto n = txn * rows_per_txn + i;
    rows.push_back({"bench/ns-" + std::to_string(n % 64), key_of(n),
                    std::string(value_size, static_cast<char>('a' + n % 26)),
                    n});
  }
  return rows;
}

// -- hex text arrays
// ---------------------------------------------------------------

// An array literal: each element quoted, its backslash escaped.
std::string hex_array(const std::vector<row>& rows, std::string row::*column) {
  std::string out = "{";
  for (auto& r : rows)
    out += (out.size() == 1 ? "\"\\" : ",\"\\") + sk::encode_bytea(r.*column) +
           "\"";
  return out + "}";
}

std::string decimal_array(const std::vector<row>& rows) {
  std::string out = "{";
  for (auto& r : rows)
    out += (out.size() == 1 ? "" : ",") + std::to_string(r.version);
  return out + "}";
}

size_t send_text(pqxx::work& tx, const std::vector<row>& rows) {
  auto ns = hex_array(rows, &row::ns);
  auto keys = hex_array(rows, &row::key);
  auto values = hex_array(rows, &row::value);
  auto versions = decimal_array(rows);
  tx.exec_prepared("upsert", ns, keys, values, versions, versions);
  return ns.size() + keys.size() + values.size() + 2 * versions.size();
}

// -- binary arrays
// -----------------------------------------------------------------

size_t send_binary(pqxx::work& tx, const std::vector<row>& rows) {
  sk::bytea_array ns;
  sk::bytea_array keys;
  sk::bytea_array values;
  sk::integer_array versions;
  for (auto& r : rows) {
    ns.add(r.ns);
    keys.add(r.key);
    values.add(r.value);
    versions.add(r.version);
  }
  auto n = ns.param();
  auto k = keys.param();
  auto v = values.param();
  auto x = versions.param();
  tx.exec_prepared("upsert", n, k, v, x, x);
  return n.size() + k.size() + v.size() + 2 * x.size();
}

// -- COPY
// --------------------------------------------------------------------------

size_t send_copy(pqxx::work& tx, const std::vector<row>& rows) {
  size_t bytes = 0;
  {
    pqxx::stream_to stream{tx, "bench_stage"};
    for (auto& r : rows) {
      auto fields =
          std::make_tuple(sk::encode_bytea(r.ns), sk::encode_bytea(r.key),
                          sk::encode_bytea(r.value), r.version, r.version);
      // Each bytea's backslash goes escaped; a separator per field.
      bytes += std::get<0>(fields).size() + std::get<1>(fields).size() +
               std::get<2>(fields).size() + 3 * 2 +
               2 * (std::to_string(r.version).size() + 1);
      stream << fields;
    }
    stream.complete();
  }
  tx.exec_prepared("from_stage");
  tx.exec("TRUNCATE bench_stage");
  return bytes;
}

struct result {
  double rows_per_s = 0;
  double bytes_per_row = 0;
};

using sender = std::function<size_t(pqxx::work&, const std::vector<row>&)>;

result run(pqxx::connection& conn, const sender& send, int transactions,
           size_t value_size) {
  // The rows are made before the clock starts: only sending them counts.
  std::vector<std::vector<row>> batches;
  for (int t = 0; t < transactions; ++t)
    batches.push_back(rows_of(t, value_size));
  size_t bytes = 0;
  auto start = clock_type::now();
  for (auto& rows : batches) {
    pqxx::work tx{conn};
    bytes += send(tx, rows);
    tx.commit();
  }
  auto elapsed = seconds_since(start);
  auto n = static_cast<double>(transactions) * rows_per_txn;
  return {n / elapsed, static_cast<double>(bytes) / n};
}

} // namespace

int main(int argc, char** argv) {
  int transactions = 2000;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--transactions=", 15) == 0)
      transactions = std::max(10, std::atoi(argv[i] + 15));
  pqxx::connection conn;
  {
    pqxx::work tx{conn};
    tx.exec("DROP TABLE IF EXISTS bench_rows");
    tx.exec("CREATE TABLE bench_rows (ns bytea, key bytea, value bytea,"
            " version bigint, expires_at bigint, PRIMARY KEY (ns, key))");
    tx.commit();
  }
  conn.prepare("upsert", upsert_sql);
  {
    pqxx::work tx{conn};
    tx.exec("SET synchronous_commit = off");
    tx.exec("CREATE TEMPORARY TABLE bench_stage (ns bytea, key bytea,"
            " value bytea, version bigint, expires_at bigint)");
    tx.commit();
  }
  conn.prepare("from_stage",
               "INSERT INTO bench_rows SELECT * FROM bench_stage"
               " ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value,"
               " version = EXCLUDED.version, expires_at = EXCLUDED.expires_at");
  std::printf("rows to PostgreSQL: upserts of %d rows per transaction, %d "
              "transactions per run, synchronous_commit off\n",
              rows_per_txn, transactions);
  std::vector<figure> figures;
  for (size_t value_size : {size_t{64}, size_t{4096}}) {
    // Warm-up: the table's pages and the statements' plans.
    run(conn, send_binary, transactions / 5, value_size);
    auto binary = run(conn, send_binary, transactions, value_size);
    auto text = run(conn, send_text, transactions, value_size);
    auto copy = run(conn, send_copy, transactions, value_size);
    auto print = [&](const char* how, const result& r) {
      std::printf("  %5zu-byte values, %-22s %9.0f rows/s (%.2fx)  %6.0f "
                  "bytes sent per row\n",
                  value_size, how, r.rows_per_s,
                  r.rows_per_s / binary.rows_per_s, r.bytes_per_row);
    };
    print("binary arrays", binary);
    print("hex text arrays", text);
    print("COPY + INSERT SELECT", copy);
    auto size = std::to_string(value_size);
    figures.push_back({"rows_binary_" + size, binary.rows_per_s, {}});
    figures.push_back({"rows_text_" + size, text.rows_per_s, {}});
    figures.push_back({"rows_copy_" + size, copy.rows_per_s, {}});
  }
  print_figures(figures);
  return 0;
}
