#include "nexmark/generator.hpp"

#include <array>
#include <cmath>

namespace weir::nexmark {

namespace {

constexpr uint64_t events_per_epoch = 50; // 1 person, 3 auctions, 46 bids
constexpr int64_t first_id = 1000;
constexpr uint64_t auctions_in_flight = 100;
constexpr uint64_t active_persons = 1000;
constexpr uint64_t hot_block = 100; // the hot auction or person moves every 100 ids
constexpr uint64_t channels = 10000;
constexpr size_t bid_bytes = 100; // a bid's average size with its extra padding

const std::array<const char*, 4> hot_channels{"Google", "Facebook", "Baidu", "Apple"};
const std::array<const char*, 10> first_names{"Ann",  "Bo",   "Carla", "Dmitri", "Eve",
                                              "Farid", "Gus", "Hana",  "Ivo",    "Jun"};
const std::array<const char*, 8> last_names{"Smith", "Ito", "Okafor", "Novak", "Silva", "Berg", "Khan", "Moreau"};
const std::array<const char*, 6> states{"AZ", "CA", "ID", "OR", "WA", "WY"};
const std::array<const char*, 8> cities{"Phoenix", "Fresno", "Boise", "Portland",
                                        "Bend",    "Seattle", "Tacoma", "Casper"};

__extension__ using u128 = unsigned __int128;

/// A small counter-based generator (splitmix64): seeded by (seed, n, salt),
/// so every event draws from its own stream whatever was generated before.
class rng {
public:
  rng(uint64_t seed, uint64_t n, uint64_t salt) : s_(mix(seed ^ mix(n * 0x9e3779b97f4a7c15ULL + salt))) {}

  uint64_t next() { return mix(s_ += 0x9e3779b97f4a7c15ULL); }
  /// Uniform in [0, k) (k > 0), by a multiply: no modulo bias worth a loop here.
  uint64_t below(uint64_t k) { return static_cast<uint64_t>((static_cast<u128>(next()) * k) >> 64); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1p-53; }

private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t s_;
};

enum salt : uint64_t { event_salt = 1, url_salt = 2 };

void letters(rng& r, size_t n, std::string& out) {
  for (size_t i = 0; i < n; ++i) out += static_cast<char>('a' + r.below(26));
}

std::string word(rng& r, size_t min, size_t max) {
  std::string s;
  letters(r, min + r.below(max - min + 1), s);
  return s;
}

/// round(10^(6u) * 100): log-uniform over 100 ... 10^8.
int64_t price(rng& r) {
  return std::llround(std::pow(10.0, 6.0 * r.unit()) * 100.0);
}

uint64_t epoch_of(uint64_t n) { return n / events_per_epoch; }
uint64_t offset_of(uint64_t n) { return n % events_per_epoch; }

/// The newest person (base 0) existing at event n.
uint64_t last_person(uint64_t n) { return epoch_of(n); }

/// A seller or bidder: 1 in 4 the hot person, else one of the most recent.
int64_t some_person(uint64_t n, rng& r) {
  uint64_t last = last_person(n);
  if (r.below(4) == 0) return first_id + static_cast<int64_t>(last / hot_block * hot_block);
  uint64_t active = std::min(last + 1, active_persons);
  return first_id + static_cast<int64_t>(last + 1 - active + r.below(active));
}

/// A bid's auction: 1 in 2 the hot auction, else one of those in flight.
int64_t some_auction(uint64_t n, rng& r) {
  uint64_t last = epoch_of(n) * 3 + 2; // bids follow the epoch's three auctions
  if (r.below(2) == 0) return first_id + static_cast<int64_t>(last / hot_block * hot_block);
  uint64_t min = last > auctions_in_flight ? last - auctions_in_flight : 0;
  return first_id + static_cast<int64_t>(min + r.below(last - min + 1));
}

std::string channel_url(uint64_t seed, uint64_t channel) {
  rng r(seed, channel, url_salt);
  std::string url = "https://www.nexmark.com/" + word(r, 2, 5) + "/" + word(r, 2, 5) + "/" + word(r, 2, 5)
                    + "/item.htm?query=1";
  bool hot = channel < hot_channels.size();
  if (!hot && r.below(10) != 0) url += "&channel_id=" + std::to_string(r.below(100000));
  return url;
}

} // namespace

event_kind kind_of(uint64_t n) noexcept {
  auto off = offset_of(n);
  return off == 0 ? event_kind::person : off < 4 ? event_kind::auction : event_kind::bid;
}

generator::generator(generator_config config) : config_(config) {
  if (config_.rate == 0) config_.rate = 1;
  urls_.reserve(hot_channels.size() + channels);
  for (uint64_t c = 0; c < hot_channels.size() + channels; ++c) urls_.push_back(channel_url(config_.seed, c));
}

int64_t generator::time_of(uint64_t n) const noexcept {
  // n * 1000 / rate, without overflowing for any n.
  uint64_t r = config_.rate;
  return config_.base_time + static_cast<int64_t>(n / r * 1000 + n % r * 1000 / r);
}

void generator::person_at(uint64_t n, person& p) const {
  rng r(config_.seed, n, event_salt);
  p.id = first_id + static_cast<int64_t>(epoch_of(n));
  p.name.assign(first_names[r.below(first_names.size())]).append(" ").append(last_names[r.below(last_names.size())]);
  p.email_address.clear();
  letters(r, 3 + r.below(6), p.email_address);
  p.email_address += "@example.com";
  p.credit_card.clear();
  for (int group = 0; group < 4; ++group) {
    if (group > 0) p.credit_card += ' ';
    for (int d = 0; d < 4; ++d) p.credit_card += static_cast<char>('0' + r.below(10));
  }
  auto place = r.below(cities.size());
  p.city = cities[place];
  p.state = states[place % states.size()];
  p.date_time = time_of(n);
  p.extra.clear();
  letters(r, r.below(41), p.extra);
}

void generator::auction_at(uint64_t n, auction& a) const {
  rng r(config_.seed, n, event_salt);
  a.id = first_id + static_cast<int64_t>(epoch_of(n) * 3 + offset_of(n) - 1);
  a.item_name = word(r, 4, 10);
  a.description = word(r, 5, 12) + " " + word(r, 3, 9);
  a.initial_bid = price(r);
  a.reserve = a.initial_bid + price(r);
  a.date_time = time_of(n);
  // On average the event time it takes to open 100 more auctions (3 per 50
  // events), drawn in microseconds so fast rates keep their mean; at least 1 ms.
  uint64_t mean_us = auctions_in_flight * events_per_epoch * 1000000 / (3 * config_.rate);
  uint64_t life_ms = (r.below(2 * mean_us + 1) + 500) / 1000;
  a.expires = a.date_time + static_cast<int64_t>(std::max<uint64_t>(1, life_ms));
  a.seller = some_person(n, r);
  a.category = 10 + static_cast<int64_t>(r.below(5));
  a.extra.clear();
  letters(r, r.below(41), a.extra);
}

void generator::bid_at(uint64_t n, bid& b) const {
  rng r(config_.seed, n, event_salt);
  b.auction = some_auction(n, r);
  b.bidder = some_person(n, r);
  b.price = price(r);
  uint64_t channel = r.below(2) == 0 ? r.below(hot_channels.size()) : hot_channels.size() + r.below(channels);
  if (channel < hot_channels.size())
    b.channel = hot_channels[channel];
  else
    b.channel.assign("channel-").append(std::to_string(channel - hot_channels.size()));
  b.url = urls_[channel];
  b.date_time = time_of(n);
  size_t fixed = 4 * sizeof(int64_t) + b.channel.size() + b.url.size();
  size_t pad = fixed < bid_bytes ? bid_bytes - fixed : 0;
  b.extra.clear();
  letters(r, r.below(2 * pad + 1), b.extra);
}

std::array<event, 3> reusable_events() {
  return {person{}, auction{}, bid{}};
}

const event& generator::at(uint64_t n, std::array<event, 3>& reuse) const {
  switch (kind_of(n)) {
    case event_kind::person:
      person_at(n, std::get<person>(reuse[0]));
      return reuse[0];
    case event_kind::auction:
      auction_at(n, std::get<auction>(reuse[1]));
      return reuse[1];
    default:
      bid_at(n, std::get<bid>(reuse[2]));
      return reuse[2];
  }
}

event generator::at(uint64_t n) const {
  switch (kind_of(n)) {
    case event_kind::person: {
      person p;
      person_at(n, p);
      return p;
    }
    case event_kind::auction: {
      auction a;
      auction_at(n, a);
      return a;
    }
    default: {
      bid b;
      bid_at(n, b);
      return b;
    }
  }
}

} // namespace weir::nexmark
