"""Calls the enclave with Python's grpcio (a gRPC client no one here wrote) over its Unix socket.

    python grpcio-enclave.py STUBS_DIR SOCKET (default-authority|path-authority)

Prints one JSON line: {"leaders": [...], "pool_id": hex} or {"error": CODE, "details": TEXT}.
grpcio sends the socket's path as the HTTP/2 :authority unless grpc.default_authority is set.
"""
import json
import sys

import grpc

stubs, socket, mode = sys.argv[1:4]
sys.path.insert(0, stubs)
from slotforge.enclave.v1 import enclave_pb2 as pb  # noqa: E402
from slotforge.enclave.v1 import enclave_pb2_grpc as rpc  # noqa: E402

options = [("grpc.default_authority", "localhost")] if mode == "default-authority" else []
with grpc.insecure_channel("unix:" + socket, options=options) as channel:
    stub = rpc.EnclaveStub(channel)
    try:
        leaders = list(stub.ListLeaders(pb.ListLeadersRequest(), timeout=10).leaders)
        identity = stub.Identity(pb.IdentityRequest(leader=leaders[0]), timeout=10)
        print(json.dumps({"leaders": leaders, "pool_id": identity.praos.pool_id.hex()}))
    except grpc.RpcError as e:
        print(json.dumps({"error": e.code().name, "details": e.details()}))
