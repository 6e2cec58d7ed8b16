// Every field of a classified response as text, so that two classifications are compared whole
// (and printed when they differ): the unit tests and fuzz_wire_readers compare the two readers
// of resolvers/wire.cc with it.
#pragma once

#include <string>

#include "resolvers/wire.h"

namespace offboard::fakes {

inline void describeRecord(std::string& out, const Record& r) {
  out += "  " + r.name.toString() + " " + rrTypeName(r.type) + " ttl=" + std::to_string(r.ttl) +
         " data=[" + r.data + "] target=" + r.target.toString() +
         " numbers=" + std::to_string(r.preference) + "," + std::to_string(r.weight) + "," +
         std::to_string(r.port) + "," + std::to_string(r.keyTag) + "," +
         std::to_string(r.keyFlags) + "," + std::to_string(r.keyProtocol) + "," +
         std::to_string(r.algorithm) + " strings=" + std::to_string(r.strings.size());
  for (const auto& s : r.strings) out += "[" + std::to_string(s.size()) + ":" + s + "]";
  out += " digests=" + std::to_string(r.digests.size());
  for (const auto& d : r.digests) out += "[" + std::to_string(d.type) + ":" + d.octets + "]";
  out += "\n";
}

inline std::string describe(const WireAnswer& w) {
  const Observation& o = w.obs;
  std::string out = std::string(outcomeName(o.outcome)) + " detail=[" + o.detail +
                    "] server=" + o.server + " question=" + o.question.name.toString() + "/" +
                    rrTypeName(o.question.type) + " aa=" + std::to_string(w.aa) +
                    " tc=" + std::to_string(w.tc) + " ra=" + std::to_string(w.ra) +
                    " referral=" + std::to_string(w.referral) + " negative=" +
                    (o.negativeTtl ? std::to_string(*o.negativeTtl) : "none") + "\n";
  for (const auto* list : {&o.answer, &o.chain, &w.authority, &w.additional}) {
    out += "section " + std::to_string(list->size()) + "\n";
    for (const auto& r : *list) describeRecord(out, r);
  }
  return out;
}

}  // namespace offboard::fakes
