#!/usr/bin/env python3
"""Follow a pawpipe trainer's checkpoint events (pyzmq), from packages/protocol/README.md alone:
    python3 python_events.py tcp://127.0.0.1:5556
To a trainer started with --keys (CURVE): its public key, then this reader's key folder (optional):
    python3 python_events.py tcp://HOST:5556 keys/trainer/trainer.key keys/py-events
"""
import glob
import json
import os
import sys

import zmq

sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.LINGER, 0)
if len(sys.argv) > 2:
    import zmq.auth
    server_public, _ = zmq.auth.load_certificate(sys.argv[2])
    if len(sys.argv) > 3:
        public, secret = zmq.auth.load_certificate(glob.glob(os.path.join(sys.argv[3], "*.key_secret"))[0])
    else:
        public, secret = zmq.curve_keypair()
    sub.curve_serverkey, sub.curve_publickey, sub.curve_secretkey = server_public, public, secret
sub.connect(sys.argv[1])
sub.setsockopt(zmq.SUBSCRIBE, b"pawpipe.")
while True:
    topic, body = sub.recv_multipart()
    ev = json.loads(body)
    if ev["type"] == "checkpoint":
        print(f"{topic.decode()} epoch {ev['epoch']}/{ev['epochs']} loss {ev['metrics']['loss']:.4f} dir {ev['dir']}", flush=True)
    else:
        print(f"{topic.decode()} {ev['status']} last {ev['lastCheckpoint']}", flush=True)
        break
