#!/usr/bin/env python3
"""Independent checker of .lct traces: what LMCache's own Python code would accept.

Written from ../../../shared/FORMAT.md, not from kvtrace's TypeScript, so a mistake shared by
kvtrace's writer and reader still shows here. Decodes every frame with msgspec (the encoder
LMCache uses) and checks:

- framing: u32 big-endian length prefixes; a partial last frame is a truncated tail (allowed:
  a killed recorder leaves one) unless --no-truncation; a partial frame elsewhere is an error;
- bytes: every frame re-encodes byte for byte with msgspec from its decoded value (key order,
  smallest int widths, float64 floats, bin vs str: what LMCache's recorder writes);
- header: keys and their order, magic b'LMCT' as bin, format_version 1, schema version, float
  times, sm_config_json as Python's json.dumps(sort_keys=True) and its SHA-256 digest;
- records: keys and order, float times (t_mono >= 0), the storage-manager methods' parameter
  names, every codec's payload (key order, types), canonical torch dtypes, ObjectKey invariants,
  PrefetchHandle.l1_prefix_hit_count == len(l1_found_indices).

With --kvtrace, also what kvtrace's server must write: trace_schema_version 2, the
storage-manager methods' exact parameter lists, known tags only (LMCache's own files may add
arguments and tags, which readers keep).

Usage: check.py [--json] [--kvtrace] [--no-truncation] [--expect-fail] PATH...   (files, or directories of *.lct)
Exit status 0 when every file passes (with --expect-fail: when every file fails).
"""
import hashlib
import json
import os
import struct
import sys

import msgspec

MAGIC = b"LMCT"
HEADER_KEYS = ["type", "magic", "format_version", "level", "trace_schema_version", "t_mono_start", "t_wall_start", "sm_config_json", "sm_config_digest"]
RECORD_KEYS = ["type", "t_mono", "t_wall", "qualname", "args"]
SM_PREFIX = "lmcache.v1.distributed.storage_manager.StorageManager."
SM_PARAMS = {
    "reserve_write": ["keys", "layout_desc", "mode"],
    "finish_write": ["keys"],
    "submit_prefetch_task": ["keys", "layout_desc", "extra_count", "external_request_id", "policy", "attn_desc", "skip_l2", "mode"],
    "read_prefetched_results.__enter__": ["keys"],
    "read_prefetched_results.__exit__": ["keys"],
    "finish_read_prefetched": ["keys", "extra_count"],
}
OBJECT_KEY_FIELDS = ["chunk_hash", "model_name", "kv_rank", "object_group_id", "cache_salt"]
LAYOUT_FIELDS = ["shapes", "dtypes"]
SPEC_FIELDS = ["keys", "layout_desc", "extra_count", "policy", "attn_desc", "mode"]
HANDLE_FIELDS = ["prefetch_request_id", "external_request_id", "l1_prefix_hit_count", "l1_found_indices", "total_requested_keys", "submit_time", "l2_orig_indices"]
ENUMS = {"TrimPolicy": {"PREFIX", "SEGMENTED_PREFIX", "SPARSE"}, "PrefetchMode": {"LOOKUP", "WARM"}}
# str() of torch 2.13's dtype objects: what LMCache's decoder accepts (typed here on purpose, from
# the list, so a typo in kvtrace's list does not hide in both).
TORCH_DTYPES = {
    "torch." + n
    for n in (
        "bfloat16 bits16 bits1x8 bits2x4 bits4x2 bits8 bool complex128 complex32 complex64 float16 float32 "
        "float4_e2m1fn_x2 float64 float8_e4m3fn float8_e4m3fnuz float8_e5m2 float8_e5m2fnuz float8_e8m0fnu "
        "int1 int2 int3 int4 int5 int6 int7 int8 int16 int32 int64 qint32 qint8 quint2x4 quint4x2 quint8 "
        "uint1 uint2 uint3 uint4 uint5 uint6 uint7 uint8 uint16 uint32 uint64"
    ).split()
}
assert len(TORCH_DTYPES) == 46

DECODER = msgspec.msgpack.Decoder()
STRICT = False


class Bad(Exception):
    pass


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def need(cond, where, what):
    if not cond:
        raise Bad(f"{where}: {what}")


def keys_in_order(m, expected, where, optional_tail=0):
    got = list(m.keys())
    ok = any(got == expected[: len(expected) - drop] for drop in range(optional_tail + 1))
    need(ok, where, f"keys {got}, expected {expected} in this order")


def check_object_key(v, where, schema):
    need(isinstance(v, dict), where, "ObjectKey payload must be a map")
    # Schema 1 files may lack object_group_id and cache_salt (FORMAT.md).
    keys_in_order(v, OBJECT_KEY_FIELDS, where, optional_tail=2 if schema == 1 else 0)
    need(isinstance(v["chunk_hash"], bytes), where, "chunk_hash must be bin")
    need(isinstance(v["model_name"], str), where, "model_name must be str")
    need(is_int(v["kv_rank"]), where, "kv_rank must be int")
    need("@" not in v["model_name"], where, f"model_name {v['model_name']!r} contains '@' (LMCache's ObjectKey refuses it)")
    if "object_group_id" in v:
        need(is_int(v["object_group_id"]) and v["object_group_id"] >= 0, where, f"object_group_id {v['object_group_id']!r} must be an int >= 0")
    if "cache_salt" in v:
        salt = v["cache_salt"]
        need(isinstance(salt, str), where, "cache_salt must be str")
        for c in "@/\\\0":
            need(c not in salt, where, f"cache_salt contains {c!r} (LMCache's ObjectKey refuses it)")
        need(len(salt) <= 128, where, f"cache_salt is {len(salt)} characters (at most 128)")


def check_dtype(d, where):
    need(isinstance(d, str) and d in TORCH_DTYPES, where, f"dtype {d!r} is not a canonical torch dtype name")


def check_int_list(v, where):
    need(isinstance(v, list) and all(is_int(x) for x in v), where, "must be an array of ints")


def check_layout(v, where):
    need(isinstance(v, dict), where, "MemoryLayoutDesc payload must be a map")
    keys_in_order(v, LAYOUT_FIELDS, where)
    need(isinstance(v["shapes"], list) and isinstance(v["dtypes"], list), where, "shapes and dtypes must be arrays")
    need(len(v["shapes"]) == len(v["dtypes"]), where, "one dtype per shape")
    for i, s in enumerate(v["shapes"]):
        check_int_list(s, f"{where}.shapes[{i}]")
    for i, d in enumerate(v["dtypes"]):
        check_dtype(d, f"{where}.dtypes[{i}]")


def check_tagged(tag, p, where, schema):
    w = f"{where}<{tag}>"
    if tag in ("tuple", "set"):
        need(isinstance(p, list), w, "payload must be an array")
        for i, x in enumerate(p):
            check_value(x, f"{w}[{i}]", schema)
    elif tag == "ObjectKey":
        check_object_key(p, w, schema)
    elif tag == "MemoryLayoutDesc":
        check_layout(p, w)
    elif tag == "torch.Size":
        check_int_list(p, w)
    elif tag == "torch.dtype":
        check_dtype(p, w)
    elif tag in ENUMS:
        need(p in ENUMS[tag], w, f"{p!r} is not a member of {sorted(ENUMS[tag])}")
    elif tag == "AttnWindowDesc":
        check_int_list(p, w)
        need(all(x == -1 or x >= 1 for x in p), w, "windows are -1 or >= 1")
    elif tag == "PrefetchRequestSpec":
        need(isinstance(p, dict), w, "payload must be a map")
        keys_in_order(p, SPEC_FIELDS, w)
        for k in SPEC_FIELDS:
            check_value(p[k], f"{w}.{k}", schema)
    elif tag == "PrefetchHandle":
        need(isinstance(p, dict), w, "payload must be a map")
        keys_in_order(p, HANDLE_FIELDS, w)
        for k in ("prefetch_request_id", "l1_prefix_hit_count", "total_requested_keys"):
            need(is_int(p[k]), w, f"{k} must be int")
        need(isinstance(p["external_request_id"], str), w, "external_request_id must be str")
        check_int_list(p["l1_found_indices"], f"{w}.l1_found_indices")
        check_int_list(p["l2_orig_indices"], f"{w}.l2_orig_indices")
        need(isinstance(p["submit_time"], float), w, "submit_time must be float")
        need(p["l1_prefix_hit_count"] == len(p["l1_found_indices"]), w, f"l1_prefix_hit_count {p['l1_prefix_hit_count']} != len(l1_found_indices) {len(p['l1_found_indices'])}")
    elif STRICT:
        raise Bad(f"{w}: unknown tag")


def check_value(v, where, schema):
    if isinstance(v, dict):
        if "__t__" in v:
            keys_in_order(v, ["__t__", "v"], where)
            need(isinstance(v["__t__"], str), where, "__t__ must be str")
            check_tagged(v["__t__"], v["v"], where, schema)
            return
        for k, x in v.items():
            need(isinstance(k, (str, int)), where, "map keys are str or int")
            check_value(x, f"{where}.{k}", schema)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            check_value(x, f"{where}[{i}]", schema)
    else:
        need(v is None or isinstance(v, (bool, int, float, str, bytes)), where, f"unexpected {type(v).__name__}")


def check_header(h, raw):
    need(isinstance(h, dict), "header", "first frame is not a map")
    got = list(h.keys())
    need(got in (HEADER_KEYS, HEADER_KEYS + ["level_meta"]), "header", f"keys {got}, expected {HEADER_KEYS} (+ level_meta) in this order")
    need(h["type"] == "header", "header", "type must be 'header'")
    need(isinstance(h["magic"], bytes) and h["magic"] == MAGIC, "header", f"magic {h['magic']!r} must be bin b'LMCT'")
    need(h["format_version"] == 1, "header", f"format_version {h['format_version']!r} must be 1")
    need(h["trace_schema_version"] in (1, 2), "header", f"trace_schema_version {h['trace_schema_version']!r} not readable")
    need(isinstance(h["level"], str), "header", "level must be str")
    for k in ("t_mono_start", "t_wall_start"):
        need(isinstance(h[k], float), "header", f"{k} must be float")
    cfg, digest = h["sm_config_json"], h["sm_config_digest"]
    need(isinstance(cfg, str) and isinstance(digest, str), "header", "sm_config_json and sm_config_digest must be str")
    if cfg or digest:
        need(digest == hashlib.sha256(cfg.encode("utf-8")).hexdigest(), "header", "sm_config_digest is not the SHA-256 of sm_config_json")
        need(json.dumps(json.loads(cfg), sort_keys=True) == cfg, "header", "sm_config_json is not json.dumps(sort_keys=True) of itself")


def check_record(r, where, schema):
    need(isinstance(r, dict), where, "record is not a map")
    keys_in_order(r, RECORD_KEYS, where)
    need(r["type"] == "record", where, "type must be 'record'")
    need(isinstance(r["t_mono"], float) and r["t_mono"] >= 0, where, f"t_mono {r['t_mono']!r} must be a float >= 0")
    need(isinstance(r["t_wall"], float), where, "t_wall must be float")
    q = r["qualname"]
    need(isinstance(q, str) and q, where, "qualname must be a non-empty str")
    args = r["args"]
    need(isinstance(args, dict) and all(isinstance(k, str) for k in args), where, "args must be a map of str keys")
    if q.startswith(SM_PREFIX) and STRICT:
        method = q[len(SM_PREFIX):]
        need(method in SM_PARAMS, where, f"unknown storage-manager method {method!r}")
        need(list(args.keys()) == SM_PARAMS[method], where, f"{method} args {list(args.keys())}, expected {SM_PARAMS[method]}")
    for k, v in args.items():
        check_value(v, f"{where} {q.rsplit('.', 1)[-1]}.{k}", schema)
    return q


def check_file(path, allow_truncation=True):
    """Returns a report dict: ok, records, qualnames, truncated, error."""
    with open(path, "rb") as f:
        data = f.read()
    report = {"path": path, "ok": False, "records": 0, "by_method": {}, "truncated": None, "error": None}
    try:
        off = 0
        frames = []
        while off < len(data):
            if off + 4 > len(data):
                report["truncated"] = {"offset": off, "claimed": None, "available": len(data) - off}
                break
            (n,) = struct.unpack_from(">I", data, off)
            if off + 4 + n > len(data):
                report["truncated"] = {"offset": off, "claimed": n, "available": len(data) - off - 4}
                break
            frames.append((off, data[off + 4 : off + 4 + n]))
            off += 4 + n
        need(frames, "file", "no complete header frame" if data else "empty file")
        need(allow_truncation or report["truncated"] is None, "file", f"truncated tail at byte {off}")
        schema = None
        for i, (at, body) in enumerate(frames):
            where = "header" if i == 0 else f"record {i - 1} (byte {at})"
            try:
                value = DECODER.decode(body)
            except (msgspec.DecodeError, UnicodeDecodeError, ValueError) as e:
                raise Bad(f"{where}: msgspec cannot decode it: {e}")
            need(msgspec.msgpack.encode(value) == body, where, "does not re-encode byte for byte with msgspec (key order, int width, float64, bin/str)")
            if i == 0:
                check_header(value, body)
                schema = value["trace_schema_version"]
                need(schema == 2 or not STRICT, "header", f"kvtrace writes trace_schema_version 2, found {schema}")
            else:
                q = check_record(value, where, schema)
                report["by_method"][q] = report["by_method"].get(q, 0) + 1
                report["records"] += 1
        report["ok"] = True
    except Bad as e:
        report["error"] = str(e)
    return report


def files_of(paths):
    out = []
    for p in paths:
        if not os.path.exists(p):
            continue
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                out.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(".lct"))
        else:
            out.append(p)
    return sorted(out)


def main(argv):
    global STRICT
    STRICT = "--kvtrace" in argv
    as_json = "--json" in argv
    expect_fail = "--expect-fail" in argv
    allow_truncation = "--no-truncation" not in argv
    paths = [a for a in argv if not a.startswith("--")]
    files = files_of(paths)
    if not files:
        print(f"lmcache-check: no .lct files under {' '.join(paths) or '(nothing given)'}", file=sys.stderr)
        return 2
    reports = [check_file(f, allow_truncation) for f in files]
    passed = sum(1 for r in reports if r["ok"] != expect_fail)
    failed = len(reports) - passed
    if as_json:
        print(json.dumps({"passed": passed, "failed": failed, "files": reports}))
    else:
        for r in reports:
            good = r["ok"] != expect_fail
            state = ("refused as expected: " + (r["error"] or "")) if expect_fail and good else ("ok" if r["ok"] else "FAIL: " + (r["error"] or ""))
            if not good and expect_fail:
                state = "FAIL: accepted, but it breaks LMCache's rules"
            tail = f", truncated tail at byte {r['truncated']['offset']}" if r["truncated"] and r["ok"] else ""
            print(f"{r['path']}: {state} ({r['records']} records{tail})")
        print(f"lmcache-check: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
