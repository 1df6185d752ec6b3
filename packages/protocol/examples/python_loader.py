#!/usr/bin/env python3
"""A pawpipe loader in Python (pyzmq + numpy), written from packages/protocol/README.md alone.

It feeds the trainer synthetic, learnable batches (class 1 images are bright, class 0 dark):
    python3 python_loader.py tcp://127.0.0.1:5555 --image-size 16 --batch-size 8 --batches 6
To a trainer started with --keys (CURVE), give its public key and this loader's key folder:
    python3 python_loader.py tcp://HOST:5555 --trainer-key keys/trainer/trainer.key --keys keys/py-1
"""
import glob
import os
import argparse
import json
import time

import numpy as np
import zmq

p = argparse.ArgumentParser()
p.add_argument("endpoint")
p.add_argument("--image-size", type=int, default=16)
p.add_argument("--batch-size", type=int, default=8)
p.add_argument("--batches", type=int, default=6)
p.add_argument("--trainer-key", help="the trainer's public NAME.key (ZeroMQ certificate): talk CURVE")
p.add_argument("--keys", help="this loader's key folder (one NAME.key_secret), when the trainer admits only authorized keys")
a = p.parse_args()

classes = ["Cat", "Dog"]
ds = {"classNames": classes, "size": a.batches * a.batch_size, "numBatches": a.batches, "batchSize": a.batch_size,
      "imageSize": [a.image_size, a.image_size], "seed": 1, "validationSplit": 0.2, "labelMode": "binary", "augment": "none"}
hello = {"type": "hello", "loaderId": "py-1", "incarnation": str(time.time()), "window": 4, "dataset": ds}


def make_batch(epoch, index):
    # deterministic per (epoch, index), as the protocol requires of every loader
    rng = np.random.default_rng(epoch * 100003 + index)
    y = (np.arange(a.batch_size) + index) % 2
    x = rng.integers(0, 60, size=(a.batch_size, a.image_size, a.image_size, 3)) + np.where(y, 150, 60)[:, None, None, None]
    return np.ascontiguousarray(x, np.uint8), y.astype("<f4")


ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 1000)
if a.trainer_key:
    # CURVE: the server's public key, and our own pair (a fresh one unless --keys names a folder)
    import zmq.auth
    server_public, _ = zmq.auth.load_certificate(a.trainer_key)
    if a.keys:
        public, secret = zmq.auth.load_certificate(glob.glob(os.path.join(a.keys, "*.key_secret"))[0])
    else:
        public, secret = zmq.curve_keypair()
    s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server_public, public, secret
s.connect(a.endpoint)


def send(header, *frames):
    s.send_multipart([json.dumps({"v": 1, **header}).encode(), *frames])


send(hello)
last_beat = time.time()
sent = 0
while True:
    if time.time() - last_beat >= 1.0:
        send({"type": "heartbeat"})
        last_beat = time.time()
    if not s.poll(200):
        continue
    m = json.loads(s.recv_multipart()[0])
    t = m["type"]
    if t == "reset":
        send(hello)
    elif t == "reject":
        raise SystemExit(f"refused: {m['reason']}")
    elif t == "done":
        print(f"python loader: trainer says {m['reason']} ({m['status']}); sent {sent} batches")
        raise SystemExit(0 if m["status"] == "completed" else 1)
    elif t == "malformed":
        print("python loader: trainer rejected a message:", m["reason"])
    elif t == "assign":
        x, y = make_batch(m["epoch"], m["index"])
        send({"type": "batch", "runId": m["runId"], "epoch": m["epoch"], "index": m["index"], "batchCount": a.batches,
              "shape": list(x.shape), "dtype": "uint8", "labelMode": "binary", "classNames": classes,
              "labelsDtype": "float32", "labelsShape": [len(y)], "skipped": []},
             x.tobytes(), y.tobytes())
        sent += 1
