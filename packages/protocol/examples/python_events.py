#!/usr/bin/env python3
"""Follow a pawpipe trainer's checkpoint events (pyzmq), from packages/protocol/README.md alone:
    python3 python_events.py tcp://127.0.0.1:5556
"""
import json
import sys

import zmq

sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.LINGER, 0)
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
