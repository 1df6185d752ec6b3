#!/usr/bin/env python3
"""Fetch a pawpipe trainer's checkpoints (pyzmq), from packages/protocol/README.md alone:
    python3 python_fetch.py tcp://127.0.0.1:5557 DEST_DIR
Copies every checkpoint the trainer lists and DEST_DIR lacks into DEST_DIR/save_at_N (model,
weights, meta; no optimizer state), checking each chunk and each file's sha256, renaming a
complete temporary folder into place.
"""
import hashlib
import json
import os
import sys

import zmq

endpoint, dest = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
sock = None
seq = 0


def ask(tries=4, timeout_ms=5000, **header):
    """One request, its reply (header, frames after it); on silence a fresh socket and another try."""
    global sock, seq
    seq += 1
    req = f"py-{seq}"
    for _ in range(tries):
        if sock is None:
            sock = ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(endpoint)
        sock.send(json.dumps({"v": 1, "req": req, **header}).encode())
        while sock.poll(timeout_ms):
            frames = sock.recv_multipart()
            reply = json.loads(frames[0])
            if reply.get("req") != req:
                continue  # the answer to an earlier try
            if reply["type"] == "refused":
                sys.exit(f"{endpoint} refused {header['type']}: {reply['reason']} ({reply['code']})")
            return reply, frames[1:]
        sock.close()
        sock = None
    sys.exit(f"no answer from {endpoint} to {header['type']} after {tries} tries")


def fetch_file(tmp, run, epoch, name, size, sha256, chunk_bytes):
    digest = hashlib.sha256()
    with open(os.path.join(tmp, name), "wb") as f:
        offset = 0
        while offset < size:
            head, (data,) = ask(type="chunk", runId=run, epoch=epoch, file=name, offset=offset,
                                length=min(chunk_bytes, size - offset))
            if head["offset"] != offset or hashlib.sha256(data).hexdigest() != head["sha256"]:
                continue  # damaged: ask for the same chunk again
            f.write(data)
            digest.update(data)
            offset += len(data)
        f.flush()
        os.fsync(f.fileno())
    if digest.hexdigest() != sha256:
        sys.exit(f"save_at_{epoch}/{name}: sha256 mismatch")


listing, _ = ask(type="list")
run = listing["runId"]
os.makedirs(dest, exist_ok=True)
for epoch in listing["epochs"]:
    final = os.path.join(dest, f"save_at_{epoch}")
    if os.path.exists(os.path.join(final, "meta.json")):
        continue
    manifest, _ = ask(type="manifest", runId=run, epoch=epoch, optimizer=False)
    tmp = os.path.join(dest, f".save_at_{epoch}.tmp-fetch-py{os.getpid()}")
    os.makedirs(tmp)
    meta = manifest["files"][0]  # meta.json first: it names every other file's sha256
    fetch_file(tmp, run, epoch, meta["name"], meta["bytes"], meta["sha256"], manifest["chunkBytes"])
    with open(os.path.join(tmp, "meta.json")) as f:
        named = json.load(f).get("files") or {x["name"]: x for x in manifest["files"]}
    for entry in manifest["files"][1:]:
        want = named[entry["name"]]
        fetch_file(tmp, run, epoch, entry["name"], want["bytes"], want["sha256"], manifest["chunkBytes"])
    os.rename(tmp, final)
    print(f"fetched save_at_{epoch} of {run}: {len(manifest['files'])} files", flush=True)
