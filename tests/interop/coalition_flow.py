#!/usr/bin/python3
"""An independent Python client running the full Coalition flow.

Proves that a client generated from protos/ alone (no C++ SDK) can drive a
Coalition server: stubs are generated at runtime with grpc_tools.protoc into
a temporary directory, then partners are created, a member enrolled, points
accrued and redeemed, idempotency and the double-spend guard exercised, and
the ledger verified.

Needs only the standard library and the Debian packages python3-grpcio and
python3-grpc-tools; run it with the interpreter they are installed for
(/usr/bin/python3 on Debian 12):

  /usr/bin/python3 tests/interop/coalition_flow.py \
      --endpoint 127.0.0.1:50051 --operator-key KEY

Prints one line per step and exits 0 when every step passed, 1 otherwise.
The server must be fresh: partner codes and the card number are fixed.
"""

import argparse
import concurrent.futures
import importlib
import os
import shutil
import sys
import tempfile
import threading
import time

try:
    import grpc
    import grpc_tools
    from grpc_tools import protoc
except ImportError as error:
    print(f"missing Python module ({error}); on Debian install: apt-get install"
          " python3-grpcio python3-grpc-tools python3-pkg-resources", file=sys.stderr)
    sys.exit(1)

PROTOS_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "protos"))
PROTO_FILES = [
    "coalition/v1/types.proto",
    "coalition/v1/partner_service.proto",
    "coalition/v1/admin_service.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
]

CARD = "PY-0001"
RPC_TIMEOUT_SECONDS = 30
RACE_THREADS = 32
RACE_POINTS = 70
RACE_START_BALANCE = 1000
# Loopback only: never route through an HTTP proxy from the environment.
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]


class StepFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise StepFailed(message)


def well_known_protos_dir():
    """The google/protobuf/*.proto files bundled with grpc_tools."""
    try:
        from importlib import resources
        return str(resources.files("grpc_tools") / "_proto")
    except (ImportError, AttributeError):
        return os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")


def generate_stubs(out_dir):
    """Generates *_pb2.py / *_pb2_grpc.py from protos/ and imports them."""
    args = ["grpc_tools.protoc", f"-I{PROTOS_DIR}", f"-I{well_known_protos_dir()}",
            f"--python_out={out_dir}", f"--grpc_python_out={out_dir}"]
    args += PROTO_FILES
    if protoc.main(args) != 0:
        raise StepFailed(f"grpc_tools.protoc failed on {PROTOS_DIR}")
    sys.path.insert(0, out_dir)
    importlib.invalidate_caches()
    names = ["coalition.v1.types_pb2", "coalition.v1.partner_service_pb2",
             "coalition.v1.partner_service_pb2_grpc", "coalition.v1.admin_service_pb2",
             "coalition.v1.admin_service_pb2_grpc", "google.rpc.status_pb2",
             "google.rpc.error_details_pb2"]
    return {name.rsplit(".", 1)[1]: importlib.import_module(name) for name in names}


class Flow:
    def __init__(self, endpoint, operator_key, stubs):
        self.endpoint = endpoint
        self.operator_key = operator_key
        self.types = stubs["types_pb2"]
        self.partner_pb = stubs["partner_service_pb2"]
        self.partner_grpc = stubs["partner_service_pb2_grpc"]
        self.admin_pb = stubs["admin_service_pb2"]
        self.admin_grpc = stubs["admin_service_pb2_grpc"]
        self.status_pb = stubs["status_pb2"]
        self.error_details_pb = stubs["error_details_pb2"]
        self.channel = grpc.insecure_channel(endpoint, options=CHANNEL_OPTIONS)
        self.keys = {}
        self.member_id = ""
        self.first_accrue_request = None
        self.first_accrue_response = None

    # --- helpers ---------------------------------------------------------

    @staticmethod
    def metadata(key):
        return [("authorization", f"Bearer {key}")]

    def partner(self, channel=None):
        return self.partner_grpc.PartnerServiceStub(channel or self.channel)

    def admin(self):
        return self.admin_grpc.AdminServiceStub(self.channel)

    def call(self, method, request, key):
        try:
            return method(request, metadata=self.metadata(key), timeout=RPC_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            code, reason = self.decode_error(error)
            raise StepFailed(f"{type(request).__name__} failed: {code.name}/{reason}"
                             f" {error.details()!r}") from None

    def decode_error(self, error):
        """(grpc.StatusCode, ErrorInfo.reason) from a failed call.

        The reason comes from the google.rpc.Status in the
        grpc-status-details-bin trailer, as a packed google.rpc.ErrorInfo.
        """
        reason = ""
        for key, value in error.trailing_metadata() or ():
            if key != "grpc-status-details-bin":
                continue
            status = self.status_pb.Status.FromString(value)
            check(status.code == error.code().value[0],
                  f"status details code {status.code} != call status {error.code().name}")
            for detail in status.details:
                info = self.error_details_pb.ErrorInfo()
                if detail.Unpack(info):
                    check(info.domain == "coalition.v1",
                          f"ErrorInfo.domain is {info.domain!r}, want 'coalition.v1'")
                    reason = info.reason
        return error.code(), reason

    def expect_error(self, method, request, key, want_code, want_reason):
        try:
            response = method(request, metadata=self.metadata(key), timeout=RPC_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            code, reason = self.decode_error(error)
            got = f"{code.name}/{reason or '<no ErrorInfo>'}"
            check(code == want_code and reason == want_reason,
                  f"want {want_code.name}/{want_reason}, got {got} ({error.details()})")
            return
        raise StepFailed(f"want {want_code.name}/{want_reason}, got success: {response}")

    def accrue_request(self, request_id, amount_minor):
        return self.partner_pb.AccrueRequest(
            request_id=request_id, card_number=CARD,
            amount=self.types.Money(currency_code="USD", amount_minor=amount_minor))

    def redeem_request(self, request_id, points):
        return self.partner_pb.RedeemRequest(request_id=request_id, card_number=CARD,
                                             points=points)

    def balance(self, key="pyshop"):
        response = self.call(self.partner().GetMember,
                             self.partner_pb.GetMemberRequest(card_number=CARD), self.keys[key])
        return response.member.balance

    # --- steps -----------------------------------------------------------

    def create_partners(self):
        for code, points, per_amount_minor in (("pyshop", 1, 100), ("pyfuel", 1, 1)):
            request = self.admin_pb.CreatePartnerRequest(
                code=code, display_name=f"{code} stores",
                earn_rate=self.admin_pb.EarnRate(points=points, per_amount_minor=per_amount_minor),
                issuance_price_micros=12_500, redemption_rate_micros=8_000)
            response = self.call(self.admin().CreatePartner, request, self.operator_key)
            check(response.partner.code == code,
                  f"CreatePartner returned code {response.partner.code!r}, want {code!r}")
            check(response.partner.earn_rate.points == points and
                  response.partner.earn_rate.per_amount_minor == per_amount_minor,
                  f"{code} earn rate is {response.partner.earn_rate}")
            check(response.api_key_secret.startswith(f"ck_{code}_"),
                  f"{code} api_key_secret {response.api_key_secret[:12]!r}... lacks ck_{code}_")
            self.keys[code] = response.api_key_secret
        return "created pyshop (1 pt/100) and pyfuel (1 pt/1) with API keys"

    def enroll_member(self):
        request = self.partner_pb.EnrollMemberRequest(request_id=f"py-enroll-{CARD}",
                                                      card_number=CARD)
        enrolled = self.call(self.partner().EnrollMember, request, self.keys["pyshop"]).member
        check(enrolled.member_id, "EnrollMember returned no member_id")
        check(CARD in enrolled.card_numbers, f"enrolled card_numbers {list(enrolled.card_numbers)}")
        self.member_id = enrolled.member_id
        member = self.call(self.partner().GetMember,
                           self.partner_pb.GetMemberRequest(card_number=CARD),
                           self.keys["pyshop"]).member
        check(member.member_id == self.member_id,
              f"GetMember member_id {member.member_id!r} != enrolled {self.member_id!r}")
        check(member.balance == 0 and member.available == 0,
              f"new member balance {member.balance} available {member.available}, want 0")
        return f"enrolled {CARD} at pyshop, balance 0"

    def accrue(self):
        self.first_accrue_request = self.accrue_request("py-accrue-1", 12_345)
        response = self.call(self.partner().Accrue, self.first_accrue_request, self.keys["pyshop"])
        check(response.points_earned == 123, f"points_earned {response.points_earned}, want 123")
        check(response.balance == 123, f"balance {response.balance}, want 123")
        check(response.member_id == self.member_id, f"member_id {response.member_id!r}")
        check(response.transfer_id, "accrual has no transfer_id")
        self.first_accrue_response = response
        return "accrued 12345 minor USD at pyshop: +123, balance 123"

    def redeem(self):
        response = self.call(self.partner().Redeem, self.redeem_request("py-redeem-1", 100),
                             self.keys["pyfuel"])
        check(response.points_redeemed == 100, f"points_redeemed {response.points_redeemed}")
        check(response.balance == 23, f"balance {response.balance}, want 23")
        return "redeemed 100 at pyfuel, balance 23"

    def idempotent_retry(self):
        response = self.call(self.partner().Accrue, self.first_accrue_request, self.keys["pyshop"])
        check(response == self.first_accrue_response,
              f"retry response differs:\n{response}\nfirst was:\n{self.first_accrue_response}")
        balance = self.balance()
        check(balance == 23, f"balance after retry {balance}, want 23 (retry must not post)")
        return "retried accrual py-accrue-1: identical response, balance still 23"

    def request_id_reused(self):
        self.expect_error(self.partner().Accrue, self.accrue_request("py-accrue-1", 99_999),
                          self.keys["pyshop"], grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED")
        balance = self.balance()
        check(balance == 23, f"balance after rejected reuse {balance}, want 23")
        return "reused py-accrue-1 with another amount: ALREADY_EXISTS/REQUEST_ID_REUSED"

    def double_spend_race(self):
        top_up = RACE_START_BALANCE - 23
        response = self.call(self.partner().Accrue, self.accrue_request("py-accrue-2", top_up),
                             self.keys["pyfuel"])
        check(response.balance == RACE_START_BALANCE,
              f"balance before race {response.balance}, want {RACE_START_BALANCE}")

        start = threading.Barrier(RACE_THREADS)

        def redeem(index):
            with grpc.insecure_channel(self.endpoint, options=CHANNEL_OPTIONS) as channel:
                grpc.channel_ready_future(channel).result(timeout=RPC_TIMEOUT_SECONDS)
                stub = self.partner(channel)
                start.wait(timeout=RPC_TIMEOUT_SECONDS)
                try:
                    result = stub.Redeem(self.redeem_request(f"py-race-{index:02d}", RACE_POINTS),
                                         metadata=self.metadata(self.keys["pyfuel"]),
                                         timeout=RPC_TIMEOUT_SECONDS)
                    return ("ok", result.balance)
                except grpc.RpcError as error:
                    code, reason = self.decode_error(error)
                    return (f"{code.name}/{reason}", None)

        with concurrent.futures.ThreadPoolExecutor(max_workers=RACE_THREADS) as pool:
            outcomes = list(pool.map(redeem, range(RACE_THREADS)))

        want_ok = RACE_START_BALANCE // RACE_POINTS
        want_final = RACE_START_BALANCE - want_ok * RACE_POINTS
        succeeded = sorted(balance for outcome, balance in outcomes if outcome == "ok")
        failures = [outcome for outcome, _ in outcomes if outcome != "ok"]
        check(len(succeeded) == want_ok,
              f"{len(succeeded)} of {RACE_THREADS} redemptions succeeded, want {want_ok}")
        unexpected = [f for f in failures if f != "FAILED_PRECONDITION/INSUFFICIENT_POINTS"]
        check(not unexpected, f"unexpected failures: {sorted(set(unexpected))}")
        check(len(failures) == RACE_THREADS - want_ok, f"{len(failures)} failures")
        # Serialised redemptions leave each success a distinct balance.
        want_balances = [want_final + RACE_POINTS * i for i in range(want_ok)]
        check(succeeded == want_balances,
              f"balances after successful redemptions {succeeded}, want {want_balances}")
        balance = self.balance()
        check(balance == want_final, f"final balance {balance}, want {want_final}")
        return (f"{RACE_THREADS} concurrent redemptions of {RACE_POINTS} from {RACE_START_BALANCE}:"
                f" {want_ok} ok, {len(failures)} INSUFFICIENT_POINTS, balance {want_final}")

    def verify_ledger(self):
        response = self.call(self.admin().VerifyLedger, self.admin_pb.VerifyLedgerRequest(),
                             self.operator_key)
        bad = [f"{c.name} ({c.violations}: {list(c.examples)[:1]})"
               for c in response.checks if not c.ok]
        check(not bad, f"failed ledger checks: {bad}")
        check(response.checks, "VerifyLedger returned no checks")
        check(response.ok, "VerifyLedger ok is false")
        return f"VerifyLedger ok, {len(response.checks)} checks passed"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--endpoint", required=True, help="host:port of coalition-server")
    parser.add_argument("--operator-key", required=True, help="the server's operator key")
    args = parser.parse_args()

    began = time.monotonic()
    stub_dir = tempfile.mkdtemp(prefix="coalition-py-stubs-")
    passed = failed = 0
    try:
        try:
            stubs = generate_stubs(stub_dir)
        except (StepFailed, ImportError) as error:
            print(f"FAIL stub generation: {error}")
            return 1
        flow = Flow(args.endpoint, args.operator_key, stubs)
        steps = [
            ("a", flow.create_partners), ("b", flow.enroll_member), ("c", flow.accrue),
            ("d", flow.redeem), ("e", flow.idempotent_retry), ("f", flow.request_id_reused),
            ("g", flow.double_spend_race), ("h", flow.verify_ledger),
        ]
        for label, step in steps:
            step_began = time.monotonic()
            try:
                summary = step()
            except Exception as error:  # pylint: disable=broad-except
                failed += 1
                print(f"FAIL {label}. {step.__name__}: {type(error).__name__}: {error}",
                      flush=True)
                break  # Later steps build on this one's state.
            passed += 1
            print(f"ok   {label}. {summary} ({time.monotonic() - step_began:.2f}s)", flush=True)
        flow.channel.close()
    finally:
        shutil.rmtree(stub_dir, ignore_errors=True)
    print(f"total {time.monotonic() - began:.2f}s", flush=True)
    print(f"python interop: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
