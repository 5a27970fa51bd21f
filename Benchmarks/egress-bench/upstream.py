"""The egress benchmark's upstream: /small (a short body) and /big?mb=N (N MiB of zeros), HTTP/1.1 with
Connection: close, one thread per connection. Listens on the address and port given."""
import socket
import sys
import threading

CHUNK = b"\0" * (1 << 20)


def serve(conn):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            more = conn.recv(65536)
            if not more:
                return
            data += more
        path = data.split(b" ", 2)[1].decode()
        if path.startswith("/big"):
            mb = int(path.split("mb=", 1)[1]) if "mb=" in path else 64
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (mb << 20))
            for _ in range(mb):
                conn.sendall(CHUNK)
        else:
            body = b"ok\n"
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))


def main():
    address, port = sys.argv[1], int(sys.argv[2])
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(512)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
