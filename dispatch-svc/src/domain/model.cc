// Small conversions of the domain values (see model.h).
#include "dispatch-svc/src/domain/model.h"

namespace cak::dispatch::domain {

common::MessageChannel ToMessageChannel(Channel c) {
  switch (c) {
    case Channel::kLetter:
      return common::MessageChannel::kLetter;
    case Channel::kCall:
      return common::MessageChannel::kCall;
    case Channel::kContactMoment:
      return common::MessageChannel::kContactMoment;
  }
  return common::MessageChannel::kLetter;
}

const char* ChannelName(Channel c) {
  switch (c) {
    case Channel::kLetter:
      return "LETTER";
    case Channel::kCall:
      return "CALL";
    case Channel::kContactMoment:
      return "CONTACT_MOMENT";
  }
  return "UNKNOWN";
}

bool OutcomeFitsChannel(Outcome o, Channel c) {
  switch (o) {
    case Outcome::kLetterPrinted:
    case Outcome::kLetterReturnedUndeliverable:
      return c == Channel::kLetter;
    case Outcome::kCallReached:
    case Outcome::kCallNotReached:
    case Outcome::kCallWrongNumber:
      return c == Channel::kCall;
    case Outcome::kContactMomentPlaced:
      return c == Channel::kContactMoment;
  }
  return false;
}

}  // namespace cak::dispatch::domain
