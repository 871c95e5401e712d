#!/usr/bin/env python3
"""CPython's own asyncio as an independent peer for coreloop's net tests.

  asyncio_peer.py server tcp HOST | unix PATH   echo server; prints "ready PORT" (or "ready PATH")
  asyncio_peer.py client tcp HOST PORT | unix PATH
                                                talks to a coreloop echo server; prints "ok" or
                                                "fail: why" and exits 0 or 1

The server echoes every line back, answers EOF by writing "bye\\n" and closing (so the client
checks half-close), and exits once its first client is gone. The client sends lines of assorted
sizes (a 200 KiB one included), pipelines a batch, checks every echo, then half-closes and
expects the server's goodbye and EOF. Both give up after 20 s.
"""
import asyncio
import sys


def lines():
    out = [b"hello\n", b"\n", b"x" * 1000 + b"\n", bytes(range(1, 10)) + b"\n"]
    out.append(b"".join(bytes([65 + i % 26]) for i in range(200 * 1024)) + b"\n")
    out += [b"pipelined %d\n" % i for i in range(100)]
    return out


async def serve(kind, where):
    done = asyncio.Event()

    async def on_client(reader, writer):
        try:
            while line := await reader.readline():
                writer.write(line)
                await writer.drain()
            writer.write(b"bye\n")
            await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()
            done.set()

    if kind == "tcp":
        server = await asyncio.start_server(on_client, where, 0, limit=1 << 20)
        print("ready", server.sockets[0].getsockname()[1], flush=True)
    else:
        server = await asyncio.start_unix_server(on_client, where, limit=1 << 20)
        print("ready", where, flush=True)
    async with server:
        await done.wait()


async def client(kind, args):
    if kind == "tcp":
        reader, writer = await asyncio.open_connection(args[0], int(args[1]), limit=1 << 20)
    else:
        reader, writer = await asyncio.open_unix_connection(args[0], limit=1 << 20)
    sent = lines()
    for line in sent[:5]:
        writer.write(line)
        await writer.drain()
        echo = await reader.readline()
        if echo != line:
            return f"echo of a {len(line)}-byte line came back as {len(echo)} bytes"
    for line in sent[5:]:
        writer.write(line)
    await writer.drain()
    for line in sent[5:]:
        echo = await reader.readline()
        if echo != line:
            return f"pipelined echo mismatch: {echo[:40]!r}"
    writer.write_eof()
    rest = await reader.read()
    if rest != b"bye\n":
        return f"after write_eof expected b'bye\\n' then EOF, got {rest[:40]!r}"
    writer.close()
    await writer.wait_closed()
    return None


def main():
    role, kind, *args = sys.argv[1:]
    try:
        if role == "server":
            asyncio.run(asyncio.wait_for(serve(kind, args[0]), 20))
            return 0
        failure = asyncio.run(asyncio.wait_for(client(kind, args), 20))
    except Exception as e:  # any failure is the test's to report
        failure = f"{type(e).__name__}: {e}"
    print("ok" if failure is None else f"fail: {failure}", flush=True)
    return 0 if failure is None else 1


if __name__ == "__main__":
    sys.exit(main())
