"""Builds and submits, with pycardano (PyPI, a Cardano library no one here wrote), the script
transactions a devnet must carry, against a slotforge node's REST API:

  1. native-script minting of two policies (a signature, and a signature before a slot);
  2. a multi-asset transfer of both tokens to another address;
  3. two Plutus V3 locks with an inline datum, a spend whose script fails (it must be refused,
     with the script's error), then the unlock of the first;
  4. a Plutus V2 script published as a reference script, funds locked at it, and a spend that
     uses the reference input instead of witnessing the script;
  5. a Plutus V3 minting policy.

  python pycardano-scripts.py DEVNET_JSON V3_SCRIPT_HEX V2_SCRIPT_HEX

The V3 script succeeds when its redeemer is 42; the V2 script always succeeds. Prints one JSON
object per step ({"step", "tx", ...}) and ends with {"done": true}; exits non-zero on the first
surprise. Script execution units are given explicitly (the node has no evaluation endpoint), so
pycardano computes the fee and the script integrity hash from the genesis' cost models.
"""

import json
import sys
import time
import urllib.error
import urllib.request
from fractions import Fraction

from pycardano import (
    Address,
    ChainContext,
    ExecutionUnits,
    GenesisParameters,
    InvalidHereAfter,
    MultiAsset,
    Network,
    PaymentSigningKey,
    PlutusV2Script,
    PlutusV3Script,
    ProtocolParameters,
    Redeemer,
    ScriptAll,
    ScriptPubkey,
    TransactionBuilder,
    TransactionInput,
    TransactionOutput,
    UTxO,
    Value,
    plutus_script_hash,
)

UNITS = ExecutionUnits(2_000_000, 800_000_000)


def log(**kw):
    print(json.dumps(kw), flush=True)


def http(url, body=None, content_type=None):
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class SlotforgeContext(ChainContext):
    """pycardano's chain context over a slotforge node: parameters from the devnet's genesis
    files, the UTxO and the tip from the REST API, submission to /api/submit/tx."""

    def __init__(self, devnet):
        self.rest = devnet["nodes"][0]["rest"]
        g = devnet["genesis"]
        shelley = json.load(open(g["shelley"]))
        alonzo = json.load(open(g["alonzo"]))
        conway = json.load(open(g["conway"]))
        pp = shelley["protocolParams"]
        named = lambda values: {f"{i:03}": v for i, v in enumerate(values)}
        prices = alonzo.get("executionPrices", {})
        self._pp = ProtocolParameters(
            min_fee_constant=pp["minFeeB"],
            min_fee_coefficient=pp["minFeeA"],
            max_block_size=pp["maxBlockBodySize"],
            max_tx_size=pp["maxTxSize"],
            max_block_header_size=pp["maxBlockHeaderSize"],
            key_deposit=pp["keyDeposit"],
            pool_deposit=pp["poolDeposit"],
            pool_influence=Fraction(0),
            monetary_expansion=Fraction(0),
            treasury_expansion=Fraction(0),
            decentralization_param=Fraction(0),
            extra_entropy="",
            protocol_major_version=10,
            protocol_minor_version=0,
            min_utxo=0,
            min_pool_cost=pp["minPoolCost"],
            price_mem=Fraction(str(prices.get("prMem", 0.0577))),
            price_step=Fraction(str(prices.get("prSteps", 0.0000721))),
            max_tx_ex_mem=alonzo["maxTxExUnits"]["exUnitsMem"],
            max_tx_ex_steps=alonzo["maxTxExUnits"]["exUnitsSteps"],
            max_block_ex_mem=alonzo["maxBlockExUnits"]["exUnitsMem"],
            max_block_ex_steps=alonzo["maxBlockExUnits"]["exUnitsSteps"],
            max_val_size=alonzo["maxValueSize"],
            collateral_percent=alonzo.get("collateralPercentage", 150),
            max_collateral_inputs=alonzo.get("maxCollateralInputs", 3),
            coins_per_utxo_word=alonzo["lovelacePerUTxOWord"],
            coins_per_utxo_byte=alonzo["lovelacePerUTxOWord"] // 8,
            cost_models={
                "PlutusV1": named(alonzo["costModels"]["PlutusV1"]),
                "PlutusV2": named(alonzo["costModels"]["PlutusV2"]),
                "PlutusV3": named(conway["plutusV3CostModel"]),
            },
            maximum_reference_scripts_size={"bytes": 200 * 1024},
            min_fee_reference_scripts={
                "base": conway["minFeeRefScriptCostPerByte"],
                "range": 25600,
                "multiplier": 1.2,
            },
        )
        self._genesis = GenesisParameters(
            active_slots_coefficient=Fraction(str(shelley["activeSlotsCoeff"])),
            update_quorum=shelley.get("updateQuorum", 1),
            max_lovelace_supply=shelley["maxLovelaceSupply"],
            network_magic=shelley["networkMagic"],
            epoch_length=shelley["epochLength"],
            system_start=0,
            slots_per_kes_period=shelley["slotsPerKESPeriod"],
            slot_length=shelley["slotLength"],
            max_kes_evolutions=shelley["maxKESEvolutions"],
            security_param=shelley["securityParam"],
        )

    @property
    def protocol_param(self):
        return self._pp

    @property
    def genesis_param(self):
        return self._genesis

    @property
    def network(self):
        return Network.TESTNET

    def _tip(self):
        status, body = http(f"{self.rest}/api/v1/tip")
        assert status == 200, body
        return json.loads(body)

    @property
    def epoch(self):
        return self._tip()["epoch"]

    @property
    def last_block_slot(self):
        return self._tip()["slot"] or 0

    def _utxos(self, address):
        status, body = http(f"{self.rest}/api/v1/utxos?address={address}&include_mempool=true&limit=1000")
        assert status == 200, body
        out = []
        for u in json.loads(body)["utxos"]:
            assets = {bytes.fromhex(a["policy"]): {bytes.fromhex(x["name"]): x["quantity"] for x in a["assets"]} for a in u["assets"]}
            amount = Value(u["lovelace"], MultiAsset.from_primitive(assets)) if assets else u["lovelace"]
            out.append(UTxO(TransactionInput.from_primitive([u["tx_id"], u["index"]]), TransactionOutput(Address.from_primitive(address), amount)))
        return out

    def submit_tx_cbor(self, cbor):
        if isinstance(cbor, str):
            cbor = bytes.fromhex(cbor)
        status, body = http(f"{self.rest}/api/submit/tx", cbor, "application/cbor")
        if status != 202:
            raise Refused(status, json.loads(body))
        return json.loads(body)


class Refused(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def wait_landed(ctx, tx_id, address):
    """Waits until an output of `tx_id` is in the node's UTxO (not the mempool's) at `address`."""
    deadline = time.time() + 120
    while time.time() < deadline:
        status, body = http(f"{ctx.rest}/api/v1/utxos?address={address}&limit=1000")
        if status == 200 and any(u["tx_id"] == tx_id for u in json.loads(body)["utxos"]):
            return
        time.sleep(0.5)
    raise SystemExit(f"transaction {tx_id} did not land at {address} within 120 s")


def submit(ctx, step, tx, landed_at, **extra):
    tx_id = str(tx.id)
    ctx.submit_tx(tx)
    wait_landed(ctx, tx_id, landed_at)
    log(step=step, tx=tx_id, **extra)
    return tx_id


def main():
    devnet = json.load(open(sys.argv[1]))
    v3 = PlutusV3Script(bytes.fromhex(sys.argv[2]))
    v2 = PlutusV2Script(bytes.fromhex(sys.argv[3]))
    ctx = SlotforgeContext(devnet)
    skey = PaymentSigningKey.load(devnet["faucet"]["signing_key"])
    vkh = skey.to_verification_key().hash()
    me = Address(payment_part=vkh, network=Network.TESTNET)
    other_key = PaymentSigningKey.generate()
    other = Address(payment_part=other_key.to_verification_key().hash(), network=Network.TESTNET)

    # 1. Native-script minting of two policies.
    deadline = ctx.last_block_slot + 100_000
    policy_a = ScriptPubkey(vkh)
    policy_b = ScriptAll([ScriptPubkey(vkh), InvalidHereAfter(deadline)])
    mint = MultiAsset.from_primitive({
        policy_a.hash().payload: {b"tokenA": 1000},
        policy_b.hash().payload: {b"tokenB": 5},
    })
    b = TransactionBuilder(ctx)
    b.add_input_address(me)
    b.mint = mint
    b.native_scripts = [policy_a, policy_b]
    b.ttl = deadline
    b.add_output(TransactionOutput(me, Value(5_000_000, mint)))
    tx = b.build_and_sign([skey], change_address=me)
    submit(ctx, "native-mint", tx, str(me), policies=[str(policy_a.hash()), str(policy_b.hash())])

    # 2. A multi-asset transfer.
    send = MultiAsset.from_primitive({
        policy_a.hash().payload: {b"tokenA": 100},
        policy_b.hash().payload: {b"tokenB": 2},
    })
    b = TransactionBuilder(ctx)
    b.add_input_address(me)
    b.add_output(TransactionOutput(other, Value(3_000_000, send)))
    tx = b.build_and_sign([skey], change_address=me)
    ctx.submit_tx(tx)
    # The same again at once: refused, its inputs spent by the pending copy (or by the block
    # that took it, had one come first).
    try:
        ctx.submit_tx(tx)
        raise SystemExit("a resubmitted transaction was accepted")
    except Refused as e:
        log(step="resubmission", status=e.status, refusal=e.body)
    wait_landed(ctx, str(tx.id), str(other))
    log(step="multi-asset-transfer", tx=str(tx.id), to=str(other))

    # 3. Plutus V3: lock with an inline datum, a failing spend, the unlock.
    v3_addr = Address(payment_part=plutus_script_hash(v3), network=Network.TESTNET)
    b = TransactionBuilder(ctx)
    b.add_input_address(me)
    # Two locks: the second stays, for /utxos to show its inline datum.
    b.add_output(TransactionOutput(v3_addr, 10_000_000, datum=7))
    b.add_output(TransactionOutput(v3_addr, 10_000_000, datum=7))
    tx = b.build_and_sign([skey], change_address=me)
    lock = submit(ctx, "v3-lock", tx, str(v3_addr), address=str(v3_addr))
    locked = UTxO(TransactionInput.from_primitive([lock, 0]), TransactionOutput(v3_addr, 10_000_000, datum=7))

    def unlock(redeemer_value):
        b = TransactionBuilder(ctx)
        b.add_script_input(locked, script=v3, redeemer=Redeemer(redeemer_value, UNITS))
        b.add_input_address(me)
        b.add_output(TransactionOutput(me, 5_000_000))
        return b.build_and_sign([skey], change_address=me)

    try:
        ctx.submit_tx(unlock(41))
        raise SystemExit("a spend whose script fails was accepted")
    except Refused as e:
        log(step="v3-failing-spend", status=e.status, refusal=e.body)
    submit(ctx, "v3-unlock", unlock(42), str(me))

    # 4. Plutus V2 through a reference script.
    v2_addr = Address(payment_part=plutus_script_hash(v2), network=Network.TESTNET)
    b = TransactionBuilder(ctx)
    b.add_input_address(me)
    b.add_output(TransactionOutput(me, 30_000_000, script=v2))
    b.add_output(TransactionOutput(v2_addr, 8_000_000, datum=11))
    tx = b.build_and_sign([skey], change_address=me)
    publish = submit(ctx, "v2-reference-script", tx, str(v2_addr), script_hash=str(plutus_script_hash(v2)))
    reference = UTxO(TransactionInput.from_primitive([publish, 0]), TransactionOutput(me, 30_000_000, script=v2))
    v2_locked = UTxO(TransactionInput.from_primitive([publish, 1]), TransactionOutput(v2_addr, 8_000_000, datum=11))
    b = TransactionBuilder(ctx)
    # The script from the reference input: pycardano adds it as a reference input, no witness.
    b.add_script_input(v2_locked, script=reference, redeemer=Redeemer(0, UNITS))
    b.add_input_address(me)
    b.add_output(TransactionOutput(me, 4_000_000))
    tx = b.build_and_sign([skey], change_address=me)
    if tx.transaction_witness_set.plutus_v2_script:
        raise SystemExit("pycardano witnessed the V2 script instead of using the reference input")
    submit(ctx, "v2-reference-spend", tx, str(me))

    # 5. A Plutus V3 minting policy.
    policy = plutus_script_hash(v3)
    minted = MultiAsset.from_primitive({policy.payload: {b"plutusToken": 10}})
    b = TransactionBuilder(ctx)
    b.add_input_address(me)
    b.mint = minted
    b.add_minting_script(v3, Redeemer(42, UNITS))
    b.add_output(TransactionOutput(other, Value(3_000_000, minted)))
    tx = b.build_and_sign([skey], change_address=me)
    submit(ctx, "plutus-mint", tx, str(other), policy=str(policy))
    log(done=True, me=str(me), other=str(other), v3_address=str(v3_addr), v2_address=str(v2_addr))


if __name__ == "__main__":
    main()
