"""Resident memory of the release binary while callers hold WatchLinkEvents
streams open, and how many the stream caps admit.

Opens STREAMS idle streams (default 5,000) as one anonymous caller over
CONNECTIONS HTTP/2 connections, then reports how many were admitted, how
many were refused (RESOURCE_EXHAUSTED) and the server's VmRSS before and
after. Needs grpcio (pip install grpcio) and `cargo build --release`.

    python3 benches/stream-probe.py [STREAMS] [CONNECTIONS]
"""
import os
import subprocess
import sys
import tempfile
import threading
import time

import grpc

BIN = os.environ.get("BIN", "target/release/pacer-link")
ADDR = "127.0.0.1:50998"
WATCH = "/court.identity.v1.LinkStatusService/WatchLinkEvents"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_serving(channel):
    health = channel.unary_unary("/grpc.health.v1.Health/Check")
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            health(b"", timeout=1)
            return
        except grpc.RpcError:
            time.sleep(0.1)
    sys.exit("server did not become ready")


def main():
    streams = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    workdir = tempfile.mkdtemp()
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite://{workdir}/db",
        PACER_LINK_LISTEN=ADDR,
        PACER_LINK_WEB_LISTEN="127.0.0.1:0",
    )
    server = subprocess.Popen(
        [BIN, "serve", "--demo"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        # Separate channels: grpcio would otherwise share one connection.
        channels = [
            grpc.insecure_channel(ADDR, options=[("grpc.use_local_subchannel_pool", 1)])
            for _ in range(connections)
        ]
        wait_serving(channels[0])
        time.sleep(3)
        before = rss_kib(server.pid)
        refused = []
        calls = []
        lock = threading.Lock()
        for i in range(streams):
            # An empty WatchLinkEventsRequest: from the start of the history.
            call = channels[i % connections].unary_stream(WATCH)(b"")
            calls.append(call)

        def watch(call):
            try:
                for _ in call:
                    pass
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    with lock:
                        refused.append(error.details())

        threads = [threading.Thread(target=watch, args=(c,), daemon=True) for c in calls]
        for thread in threads:
            thread.start()
        time.sleep(5)
        after = rss_kib(server.pid)
        print(f"streams asked: {streams} over {connections} connections")
        print(f"refused with RESOURCE_EXHAUSTED: {len(refused)}")
        print(f"held open: {streams - len(refused)}")
        print(f"server VmRSS before: {before // 1024} MiB, with the streams: {after // 1024} MiB")
        for call in calls:
            call.cancel()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
