#include "rpc/request_key.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "crypto/crypto.h"

namespace coalition::rpc {

domain::RequestKey MakeRequestKey(std::string_view method, const std::string& request_id,
                                  const google::protobuf::Message& request) {
  std::string canonical(method);
  canonical.push_back('\0');
  {
    google::protobuf::io::StringOutputStream stream(&canonical);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return domain::RequestKey{request_id, std::string(method), crypto::Sha256(canonical)};
}

}  // namespace coalition::rpc
