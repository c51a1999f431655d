#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "domain/model.h"

namespace coalition::rpc {

// The idempotency identity of a request: its request_id and a SHA-256 over
// the method name and the deterministic serialization of the whole request,
// so any change of payload under the same request_id is detected.
domain::RequestKey MakeRequestKey(std::string_view method, const std::string& request_id,
                                  const google::protobuf::Message& request);

}  // namespace coalition::rpc
