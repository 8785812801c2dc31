"""Tests of check.py: LMCache's own fixture files, and files built here with msgspec that break one rule each.

Run: python3 -m unittest discover -s tools/lmcache-check   (needs msgspec 0.22)
"""
import hashlib
import json
import os
import struct
import tempfile
import unittest

import msgspec

import check

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "fixtures", "lmcache")
SM = "lmcache.v1.distributed.storage_manager.StorageManager."


def tagged(tag, v):
    return {"__t__": tag, "v": v}


def key(model="m", group=0, salt=""):
    return tagged("ObjectKey", {"chunk_hash": b"\x01\x02", "model_name": model, "kv_rank": 16777472, "object_group_id": group, "cache_salt": salt})


def layout(*dtypes):
    return tagged("MemoryLayoutDesc", {"shapes": [[2, 4] for _ in dtypes], "dtypes": list(dtypes)})


def handle(found=(0, 1, 3), count=None):
    return tagged(
        "PrefetchHandle",
        {
            "prefetch_request_id": -1,
            "external_request_id": "req-1",
            "l1_prefix_hit_count": len(found) if count is None else count,
            "l1_found_indices": list(found),
            "total_requested_keys": 5,
            "submit_time": 1.5,
            "l2_orig_indices": [],
        },
    )


def header(**over):
    cfg = json.dumps({"eviction_policy": "LRU", "l1_size_gb": 1.0}, sort_keys=True)
    h = {
        "type": "header",
        "magic": b"LMCT",
        "format_version": 1,
        "level": "storage",
        "trace_schema_version": 2,
        "t_mono_start": 10.0,
        "t_wall_start": 1.7e9,
        "sm_config_json": cfg,
        "sm_config_digest": hashlib.sha256(cfg.encode()).hexdigest(),
    }
    h.update(over)
    return h


def record(method, args, t_mono=0.5):
    return {"type": "record", "t_mono": t_mono, "t_wall": 1.7e9 + 0.5, "qualname": SM + method, "args": args}


def good_records():
    return [
        record("reserve_write", {"keys": [key(), key("Qwen/Qwen2.5", 2, "tenant")], "layout_desc": layout("torch.bfloat16", "torch.float8_e4m3fn"), "mode": "new"}),
        record(
            "submit_prefetch_task",
            {
                "keys": [key()],
                "layout_desc": layout("torch.float16"),
                "extra_count": 0,
                "external_request_id": "req-1",
                "policy": tagged("TrimPolicy", "SPARSE"),
                "attn_desc": tagged("AttnWindowDesc", [-1, 4]),
                "skip_l2": False,
                "mode": tagged("PrefetchMode", "LOOKUP"),
            },
        ),
        record("finish_read_prefetched", {"keys": [key()], "extra_count": 1}),
        {"type": "record", "t_mono": 0.7, "t_wall": 1.7e9, "qualname": "x.Other.f", "args": {"h": handle(), "t": tagged("tuple", [1, "a"]), "s": tagged("torch.Size", [1, 2])}},
    ]


def frames(*values):
    out = b""
    for v in values:
        body = v if isinstance(v, bytes) else msgspec.msgpack.encode(v)
        out += struct.pack(">I", len(body)) + body
    return out


class Files(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def run_check(self, data, strict=True):
        path = os.path.join(self.dir.name, "t.lct")
        with open(path, "wb") as f:
            f.write(data)
        check.STRICT = strict
        return check.check_file(path)

    def refused(self, data, message):
        r = self.run_check(data)
        self.assertFalse(r["ok"], "accepted a file that breaks a rule")
        self.assertIn(message, r["error"])


class GoodFiles(Files):
    def test_every_codec_of_a_valid_file_passes(self):
        r = self.run_check(frames(header(), *good_records()))
        self.assertTrue(r["ok"], r["error"])
        self.assertEqual(r["records"], 4)

    def test_a_truncated_tail_is_allowed_and_reported(self):
        data = frames(header(), *good_records())
        r = self.run_check(data[:-5])
        self.assertTrue(r["ok"], r["error"])
        self.assertEqual(r["records"], 3)
        self.assertIsNotNone(r["truncated"])

    def test_lmcache_fixtures_agree_with_their_manifest(self):
        with open(os.path.join(FIXTURES, "MANIFEST.json")) as f:
            manifest = json.load(f)
        check.STRICT = False
        for name, m in manifest.items():
            r = check.check_file(os.path.join(FIXTURES, name))
            self.assertEqual(r["ok"], m["ok"] and m["malformed"] == 0, f"{name}: {r['error']}")
            if r["ok"]:
                self.assertEqual(r["records"], m["records"], name)


class BadFiles(Files):
    def test_alias_dtypes(self):
        for alias in ("torch.half", "torch.float", "float16", "not_a_dtype"):
            recs = [record("reserve_write", {"keys": [key()], "layout_desc": layout(alias), "mode": "new"})]
            self.refused(frames(header(), *recs), f"dtype {alias!r} is not a canonical torch dtype name")

    def test_object_key_invariants(self):
        for k, msg in ((key("org@model"), "contains '@'"), (key(group=-1), "object_group_id -1"), (key(salt="team/a"), "cache_salt contains '/'"), (key(salt="s" * 200), "cache_salt is 200 characters"), (key(salt="a\0"), "cache_salt contains '\\x00'")):
            self.refused(frames(header(), record("finish_write", {"keys": [k]})), msg)

    def test_prefetch_handle_count_and_key_order(self):
        bad = {"type": "record", "t_mono": 0.1, "t_wall": 1.0, "qualname": "x.f", "args": {"h": handle(count=2)}}
        self.refused(frames(header(), bad), "l1_prefix_hit_count 2 != len(l1_found_indices) 3")
        h = handle()
        payload = h["v"]
        reordered = {k: payload[k] for k in ["prefetch_request_id", "external_request_id", "l1_found_indices", "total_requested_keys", "submit_time", "l2_orig_indices", "l1_prefix_hit_count"]}
        self.refused(frames(header(), {"type": "record", "t_mono": 0.1, "t_wall": 1.0, "qualname": "x.f", "args": {"h": tagged("PrefetchHandle", reordered)}}), "in this order")

    def test_times_must_be_floats_and_bytes_must_be_msgspecs(self):
        self.refused(frames(header(), record("finish_write", {"keys": []}, t_mono=1)), "t_mono 1 must be a float")
        # A float written as float32 decodes fine but is not what LMCache's encoder writes.
        body = msgspec.msgpack.encode(record("finish_write", {"keys": []}, t_mono=0.5)).replace(b"\xcb\x3f\xe0\x00\x00\x00\x00\x00\x00", b"\xca\x3f\x00\x00\x00")
        self.refused(frames(header(), body), "does not re-encode byte for byte")

    def test_header_rules(self):
        self.refused(frames(header(magic="LMCT")), "magic 'LMCT' must be bin")
        self.refused(frames(header(sm_config_digest="0" * 64)), "not the SHA-256")
        self.refused(frames(header(sm_config_json='{"b": 1, "a": 2}', sm_config_digest=hashlib.sha256(b'{"b": 1, "a": 2}').hexdigest())), "json.dumps(sort_keys=True)")
        self.refused(frames(header(trace_schema_version=1)), "kvtrace writes trace_schema_version 2")

    def test_record_shape_and_params(self):
        self.refused(frames(header(), record("reserve_write", {"keys": [], "mode": "new"})), "reserve_write args ['keys', 'mode']")
        self.refused(frames(header(), {"type": "record", "t_mono": 0.1, "qualname": "x", "args": {}}), "expected ['type', 't_mono', 't_wall', 'qualname', 'args']")
        self.refused(frames(header(), {"type": "record", "t_mono": 0.1, "t_wall": 1.0, "qualname": "x", "args": {"v": tagged("Mystery", 1)}}), "unknown tag")

    def test_invalid_utf8_and_torn_frames(self):
        bad_utf8 = b"\x85\xa4type\xa6record\xa6t_mono\xcb\x00\x00\x00\x00\x00\x00\x00\x00\xa6t_wall\xcb\x00\x00\x00\x00\x00\x00\x00\x00\xa8qualname\xa2\xed\xa0\xa4args\x80"
        self.refused(frames(header(), bad_utf8), "msgspec cannot decode it")
        self.refused(frames(header(), b"\x85\xa4type"), "msgspec cannot decode it")


if __name__ == "__main__":
    unittest.main()
