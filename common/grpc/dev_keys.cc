// Development key pair (see dev_keys.h). Never used outside --auth-mode=development.
#include "common/grpc/dev_keys.h"

namespace cak::common {

const char kDevJwtPublicKeyPem[] = R"pem(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1pwtV1vCmiLEUfrV63IR
FrF+FaAPk85uz18QxO5YDlM3Ch2fh46WvqW4+PgrFjTzBGst91jkYncW20FRrFsY
pHySn4lCY6ZjLuC7PdB9BE+OgsAb2QOr7dr8iOKZ5Vg6hIRYUfrKln2FPYQxMvz/
2mYcrpa3Jc7Fv5TCRFBihJ00kxmx+CKiavWXgwlgTaJUGYt3FQ6MllOixV1jG2gA
cbMpEFTWfQEVhSaTHW/OuGEpJuVzlhQOlXAl7PJ/3XTaeKjKBepkvbSfR1+9eT1C
zwq4cj/0XTav0RQUXHaiYYiPSq6lVH03vEHcjMBTqKBvGy20WedlmJUZb1ddok+2
KQIDAQAB
-----END PUBLIC KEY-----
)pem";

}  // namespace cak::common
