@0x961f63e7a5e1e6a1;
# Nexmark events (../shared/nexmark.md) as Cap'n Proto structs: a record type
# operators read in place (weir::capnp_record<weir::nexmark::schema::Event>).
# Times are milliseconds since the epoch; text is UTF-8.

$import "/capnp/c++.capnp".namespace("weir::nexmark::schema");

struct Person {
  id @0 :Int64;
  name @1 :Text;
  emailAddress @2 :Text;
  creditCard @3 :Text;
  city @4 :Text;
  state @5 :Text;
  dateTime @6 :Int64;
  extra @7 :Text;
}

struct Auction {
  id @0 :Int64;
  itemName @1 :Text;
  description @2 :Text;
  initialBid @3 :Int64;
  reserve @4 :Int64;
  dateTime @5 :Int64;
  expires @6 :Int64;
  seller @7 :Int64;
  category @8 :Int64;
  extra @9 :Text;
}

struct Bid {
  auction @0 :Int64;
  bidder @1 :Int64;
  price @2 :Int64;
  channel @3 :Text;
  url @4 :Text;
  dateTime @5 :Int64;
  extra @6 :Text;
}

struct Event {
  union {
    person @0 :Person;
    auction @1 :Auction;
    bid @2 :Bid;
  }
}
