#include "nexmark/baseline.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "nexmark/bid_fields.hpp"
#include "nexmark/daily_stats.hpp"
#include "nexmark/format.hpp"
#include "nexmark/queries.hpp"

namespace weir::nexmark {

namespace {

constexpr int64_t ten_s = 10000;

/// A loop over bids only; the others are skipped.
class bid_loop : public query_loop {
public:
  explicit bid_loop(line_sink& out) : out_(out) {}
  void add(const event& e) final {
    if (const auto* b = std::get_if<bid>(&e)) on_bid(*b);
  }

protected:
  virtual void on_bid(const bid& b) = 0;
  line_sink& out_;
};

class q0_loop final : public bid_loop {
  using bid_loop::bid_loop;
  void on_bid(const bid& b) override { out_.take(join({str(b.auction), str(b.bidder), str(b.price), str(b.date_time)})); }
};

class q1_loop final : public bid_loop {
  using bid_loop::bid_loop;
  void on_bid(const bid& b) override {
    out_.take(join({str(b.auction), str(b.bidder), euros(b.price), str(b.date_time)}));
  }
};

class q2_loop final : public bid_loop {
  using bid_loop::bid_loop;
  void on_bid(const bid& b) override {
    if (b.auction % 123 == 0) out_.take(join({str(b.auction), str(b.price)}));
  }
};

class q10_loop final : public bid_loop {
  using bid_loop::bid_loop;
  void on_bid(const bid& b) override { out_.take(q10_line(b)); }
};

class q14_loop final : public bid_loop {
  using bid_loop::bid_loop;
  void on_bid(const bid& b) override {
    if (auto line = q14_line(b)) out_.take(*line);
  }
};

class q21_loop final : public bid_loop {
  using bid_loop::bid_loop;
  void on_bid(const bid& b) override {
    if (auto line = q21_line(b)) out_.take(*line);
  }
};

class q22_loop final : public bid_loop {
  using bid_loop::bid_loop;
  void on_bid(const bid& b) override { out_.take(q22_line(b)); }
};

/// q13: the side table looked up per bid.
class q13_loop final : public bid_loop {
public:
  q13_loop(line_sink& out, std::shared_ptr<const side_table> side) : bid_loop(out), side_(std::move(side)) {}

private:
  void on_bid(const bid& b) override {
    auto it = side_->find(b.auction % 10000);
    if (it == side_->end()) return;
    for (const auto& value : it->second)
      out_.take(join({str(b.auction), str(b.bidder), str(b.price), str(b.date_time), csv_field(value)}));
  }
  std::shared_ptr<const side_table> side_;
};

/// q20: a hash map per auction id instead of keyed state.
class q20_loop final : public query_loop {
public:
  explicit q20_loop(line_sink& out) : out_(out) {}
  void add(const event& e) override {
    if (const auto* a = std::get_if<auction>(&e)) {
      auto& s = auctions_[a->id];
      if (a->category != 10) {
        s.other_category = true;
        s.pending.clear();
        return;
      }
      s.auction_of = *a;
      s.known = true;
      for (const auto& b : s.pending) out_.take(q20_line(b, *a));
      s.pending.clear();
    } else if (const auto* b = std::get_if<bid>(&e)) {
      auto& s = auctions_[b->auction];
      if (s.known)
        out_.take(q20_line(*b, s.auction_of));
      else if (!s.other_category)
        s.pending.push_back(*b);
    }
  }

private:
  struct state {
    auction auction_of;
    bool known = false;
    bool other_category = false;
    std::vector<bid> pending;
  };
  line_sink& out_;
  std::unordered_map<int64_t, state> auctions_;
};

/// q12: bids per bidder. Its windows are of processing time, so only the
/// per-bidder totals can match the job's: one line per bidder, in one window.
class q12_loop final : public bid_loop {
public:
  using bid_loop::bid_loop;
  void finish() override {
    for (const auto& [bidder, n] : counts_) out_.take(join({str(bidder), str(n), "0", str(ten_s)}));
  }

private:
  void on_bid(const bid& b) override { ++counts_[b.bidder]; }
  std::unordered_map<int64_t, int64_t> counts_;
};

/// q4, q6, q9: open auctions in a hash map, closed in (expires, id) order
/// once event time passes their expiry; `closed` hears each winner.
class winning_loop : public query_loop {
public:
  void add(const event& e) final {
    int64_t t = event_time(e);
    close_before(t);
    if (t != early_time_) early_.clear(); // an auction opening later cannot take them
    early_time_ = t;
    if (const auto* a = std::get_if<auction>(&e)) {
      auto& o = open_[a->id];
      o.a = *a;
      for (const auto& b : early_[a->id]) offer(o, b);
      early_.erase(a->id);
      closing_.emplace(a->expires, a->id);
    } else if (const auto* b = std::get_if<bid>(&e)) {
      auto it = open_.find(b->auction);
      if (it != open_.end()) offer(it->second, *b);
      else early_[b->auction].push_back(*b);
    }
  }
  void finish() final { close_before(INT64_MAX); }

protected:
  virtual void closed(const auction& a, const bid& winner) = 0;

private:
  struct open_auction {
    auction a;
    std::optional<bid> best;
  };
  static void offer(open_auction& o, const bid& b) {
    if (qualifies(b, o.a) && (!o.best || ranks_before(b, *o.best))) o.best = b;
  }
  void close_before(int64_t now) {
    while (!closing_.empty() && closing_.begin()->first < now) {
      auto id = closing_.begin()->second;
      closing_.erase(closing_.begin());
      auto it = open_.find(id);
      if (it->second.best) closed(it->second.a, *it->second.best);
      open_.erase(it);
    }
  }
  std::unordered_map<int64_t, open_auction> open_;
  std::set<std::pair<int64_t, int64_t>> closing_; // (expires, id)
  std::unordered_map<int64_t, std::vector<bid>> early_;
  int64_t early_time_ = INT64_MIN;
};

class q9_loop final : public winning_loop {
public:
  explicit q9_loop(line_sink& out) : out_(out) {}

private:
  void closed(const auction& a, const bid& b) override { out_.take(q9_line(a, b)); }
  line_sink& out_;
};

class q4_loop final : public winning_loop {
public:
  explicit q4_loop(line_sink& out) : out_(out) {}

private:
  void closed(const auction& a, const bid& b) override {
    auto& [sum, count] = categories_[a.category];
    sum = checked_add(sum, b.price, "q4 loop");
    ++count;
    out_.take(join({str(a.category), str(a.id), str(sum / count)}));
  }
  line_sink& out_;
  std::unordered_map<int64_t, std::pair<int64_t, int64_t>> categories_; // sum, count
};

class q6_loop final : public winning_loop {
public:
  explicit q6_loop(line_sink& out) : out_(out) {}

private:
  void closed(const auction& a, const bid& b) override {
    auto& last = sellers_[a.seller];
    last.push_back(b.price);
    if (last.size() > 10) last.pop_front();
    int64_t sum = 0;
    for (auto p : last) sum = checked_add(sum, p, "q6 loop");
    out_.take(join({str(a.seller), str(a.id), str(sum / static_cast<int64_t>(last.size()))}));
  }
  line_sink& out_;
  std::unordered_map<int64_t, std::deque<int64_t>> sellers_;
};

/// q15/q16: one group's day in hash maps.
struct day_group {
  rank_counts bids{};
  std::unordered_map<int64_t, uint8_t> bidders, auctions; // id -> rank mask
  int64_t latest = INT64_MIN;
  void add(const bid& b) {
    int rank = price_rank(b.price);
    count_rank(bids, rank);
    bidders[b.bidder] |= static_cast<uint8_t>(1 << rank);
    auctions[b.auction] |= static_cast<uint8_t>(1 << rank);
    latest = std::max(latest, b.date_time);
  }
  std::string counts() const {
    return daily_counts_fields(bids, distinct_by_rank(bidders), distinct_by_rank(auctions));
  }
};

/// Groups of `G` per UTC day (std::map, so days close in order) and per key
/// `K`; a day is written once event time reaches its end.
template <class K, class G>
class daily_loop : public bid_loop {
public:
  using bid_loop::bid_loop;
  void finish() final { close_before(INT64_MAX); }

protected:
  virtual K key_of(const bid& b) const = 0;
  virtual void add_to(G& group, const bid& b) const = 0;
  virtual std::string line(const K& key, int64_t day, const G& group) const = 0;

private:
  void on_bid(const bid& b) final {
    close_before(b.date_time);
    add_to(days_[day_start(b.date_time)][key_of(b)], b);
  }
  void close_before(int64_t now) {
    while (!days_.empty() && days_.begin()->first + day_ms <= now) {
      for (const auto& [key, group] : days_.begin()->second) out_.take(line(key, days_.begin()->first, group));
      days_.erase(days_.begin());
    }
  }
  std::map<int64_t, std::unordered_map<K, G>> days_;
};

class q15_loop final : public daily_loop<int64_t, day_group> {
  using daily_loop::daily_loop;
  int64_t key_of(const bid&) const override { return 0; }
  void add_to(day_group& g, const bid& b) const override { g.add(b); }
  std::string line(const int64_t&, int64_t day, const day_group& g) const override {
    return utc_day(day) + "," + g.counts();
  }
};

class q16_loop final : public daily_loop<std::string, day_group> {
  using daily_loop::daily_loop;
  std::string key_of(const bid& b) const override { return b.channel; }
  void add_to(day_group& g, const bid& b) const override { g.add(b); }
  std::string line(const std::string& channel, int64_t day, const day_group& g) const override {
    return join({csv_field(channel), utc_day(day), utc_minute(g.latest), g.counts()});
  }
};

class q17_loop final : public daily_loop<int64_t, price_stats> {
  using daily_loop::daily_loop;
  int64_t key_of(const bid& b) const override { return b.auction; }
  void add_to(price_stats& s, const bid& b) const override { s.add(b.price); }
  std::string line(const int64_t& auction, int64_t day, const price_stats& s) const override {
    return join({str(auction), utc_day(day), s.fields()});
  }
};

struct pair_hash {
  size_t operator()(const std::pair<int64_t, int64_t>& p) const noexcept {
    return std::hash<int64_t>{}(p.first * 0x9e3779b97f4a7c15LL ^ p.second);
  }
};

/// q18: the latest bid per (bidder, auction), written at the end.
class q18_loop final : public bid_loop {
public:
  using bid_loop::bid_loop;
  void finish() override {
    for (const auto& [key, b] : last_) out_.take(q18_line(b));
  }

private:
  void on_bid(const bid& b) override {
    auto [it, fresh] = last_.try_emplace({b.bidder, b.auction}, b);
    if (!fresh && later_than(b, it->second)) it->second = b;
  }
  std::unordered_map<std::pair<int64_t, int64_t>, bid, pair_hash> last_;
};

/// q19: the 10 first bids per auction in bid order, written at the end.
class q19_loop final : public bid_loop {
public:
  using bid_loop::bid_loop;
  void finish() override {
    for (const auto& [auction, top] : top_) {
      int64_t rank = 0;
      for (const auto& b : top) out_.take(q19_line(b, ++rank));
    }
  }

private:
  void on_bid(const bid& b) override {
    keep_top(top_[b.auction], b, 10);
  }
  std::unordered_map<int64_t, std::vector<bid>> top_;
};

/// q3: a hash map per seller instead of keyed state.
class q3_loop final : public query_loop {
public:
  explicit q3_loop(line_sink& out) : out_(out) {}
  void add(const event& e) override {
    if (const auto* p = std::get_if<person>(&e)) {
      auto& s = sellers_[p->id];
      if (p->state != "OR" && p->state != "ID" && p->state != "CA") {
        s.not_local = true;
        s.pending.clear();
        return;
      }
      s.seller = *p;
      s.known = true;
      for (auto id : s.pending) out_.take(line(*p, id));
      s.pending.clear();
    } else if (const auto* a = std::get_if<auction>(&e); a != nullptr && a->category == 10) {
      auto& s = sellers_[a->seller];
      if (s.known)
        out_.take(line(s.seller, a->id));
      else if (!s.not_local)
        s.pending.push_back(a->id);
    }
  }

private:
  struct seller {
    person seller;
    bool known = false;
    bool not_local = false;
    std::vector<int64_t> pending;
  };
  static std::string line(const person& p, int64_t auction) {
    return join({csv_field(p.name), csv_field(p.city), csv_field(p.state), str(auction)});
  }
  line_sink& out_;
  std::unordered_map<int64_t, seller> sellers_;
};

/// q5: bid counts per auction for each open sliding window (10 s every 2 s);
/// a window closes once event time reaches its end.
class q5_loop final : public bid_loop {
public:
  using bid_loop::bid_loop;
  void finish() override { close_before(INT64_MAX); }

private:
  void on_bid(const bid& b) override {
    close_before(b.date_time);
    int64_t last = b.date_time - b.date_time % 2000; // the newest window holding it
    for (int64_t start = last; start > b.date_time - ten_s; start -= 2000) ++windows_[start][b.auction];
  }
  void close_before(int64_t now) {
    while (!windows_.empty() && windows_.begin()->first + ten_s <= now) {
      auto& [start, counts] = *windows_.begin();
      int64_t most = 0;
      for (const auto& [a, n] : counts) most = std::max(most, n);
      for (const auto& [a, n] : counts)
        if (n == most) out_.take(join({str(start), str(start + ten_s), str(a), str(most)}));
      windows_.erase(windows_.begin());
    }
  }
  std::map<int64_t, std::unordered_map<int64_t, int64_t>> windows_;
};

/// q7: the highest bids of the current 10 s window.
class q7_loop final : public bid_loop {
public:
  using bid_loop::bid_loop;
  void finish() override { close(); }

private:
  void on_bid(const bid& b) override {
    int64_t start = b.date_time - b.date_time % ten_s;
    if (!top_.empty() && start != start_) close();
    start_ = start;
    if (!top_.empty() && b.price < top_.front().price) return;
    if (!top_.empty() && b.price > top_.front().price) top_.clear();
    top_.push_back(b);
  }
  void close() {
    for (const auto& b : top_)
      out_.take(join({str(start_), str(start_ + ten_s), str(b.auction), str(b.price), str(b.bidder), str(b.date_time)}));
    top_.clear();
  }
  int64_t start_ = 0;
  std::vector<bid> top_;
};

/// q8: persons and sellers of the current 10 s window.
class q8_loop final : public query_loop {
public:
  explicit q8_loop(line_sink& out) : out_(out) {}
  void add(const event& e) override {
    if (std::holds_alternative<bid>(e)) return;
    int64_t t = event_time(e);
    int64_t start = t - t % ten_s;
    if (start != start_) close();
    start_ = start;
    if (const auto* p = std::get_if<person>(&e))
      persons_.push_back({p->id, p->name});
    else
      sellers_.insert(std::get<auction>(e).seller);
  }
  void finish() override { close(); }

private:
  void close() {
    for (const auto& [id, name] : persons_)
      if (sellers_.count(id) != 0) out_.take(join({str(start_), str(id), csv_field(name)}));
    persons_.clear();
    sellers_.clear();
  }
  line_sink& out_;
  int64_t start_ = INT64_MIN;
  std::vector<std::pair<int64_t, std::string>> persons_;
  std::unordered_set<int64_t> sellers_;
};

/// q11: each bidder's open session; a bid after its end starts another.
class q11_loop final : public bid_loop {
public:
  using bid_loop::bid_loop;
  void finish() override {
    for (const auto& [bidder, s] : sessions_) write(bidder, s);
  }

private:
  struct session {
    int64_t start, end, bids;
  };
  void on_bid(const bid& b) override {
    auto [it, fresh] = sessions_.try_emplace(b.bidder, session{b.date_time, b.date_time + ten_s, 1});
    if (fresh) return;
    auto& s = it->second;
    // A bid exactly one gap after the last one starts a new session (Weir
    // merges overlapping sessions, not touching ones).
    if (b.date_time < s.end) {
      s.end = std::max(s.end, b.date_time + ten_s);
      ++s.bids;
    } else {
      write(b.bidder, s);
      s = {b.date_time, b.date_time + ten_s, 1};
    }
  }
  void write(int64_t bidder, const session& s) { out_.take(join({str(bidder), str(s.bids), str(s.start), str(s.end)})); }
  std::unordered_map<int64_t, session> sessions_;
};

} // namespace

std::unique_ptr<query_loop> make_query_loop(const std::string& name, line_sink& out, const query_inputs& inputs) {
  if (name == "q13") return inputs.side ? std::make_unique<q13_loop>(out, inputs.side) : nullptr;
  if (name == "q0") return std::make_unique<q0_loop>(out);
  if (name == "q1") return std::make_unique<q1_loop>(out);
  if (name == "q2") return std::make_unique<q2_loop>(out);
  if (name == "q3") return std::make_unique<q3_loop>(out);
  if (name == "q4") return std::make_unique<q4_loop>(out);
  if (name == "q6") return std::make_unique<q6_loop>(out);
  if (name == "q9") return std::make_unique<q9_loop>(out);
  if (name == "q5") return std::make_unique<q5_loop>(out);
  if (name == "q7") return std::make_unique<q7_loop>(out);
  if (name == "q8") return std::make_unique<q8_loop>(out);
  if (name == "q11") return std::make_unique<q11_loop>(out);
  if (name == "q12") return std::make_unique<q12_loop>(out);
  if (name == "q14") return std::make_unique<q14_loop>(out);
  if (name == "q15") return std::make_unique<q15_loop>(out);
  if (name == "q16") return std::make_unique<q16_loop>(out);
  if (name == "q17") return std::make_unique<q17_loop>(out);
  if (name == "q18") return std::make_unique<q18_loop>(out);
  if (name == "q19") return std::make_unique<q19_loop>(out);
  if (name == "q20") return std::make_unique<q20_loop>(out);
  if (name == "q10") return std::make_unique<q10_loop>(out);
  if (name == "q21") return std::make_unique<q21_loop>(out);
  if (name == "q22") return std::make_unique<q22_loop>(out);
  return nullptr;
}

} // namespace weir::nexmark
