package dev.paird.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback TCP port where nobody listens, for as long as this is open: a socket bound to it that
 * never listens, without SO_REUSEADDR, so that connections to it are refused and no other socket,
 * in this JVM or another, can bind it meanwhile. Probing for a free port and closing the probe
 * instead leaves the number to whoever binds it next.
 */
public final class ClosedPort implements AutoCloseable {
  private final Socket socket;

  private ClosedPort(Socket socket) {
    this.socket = socket;
  }

  public static ClosedPort open() throws IOException {
    Socket socket = new Socket();
    try {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    return new ClosedPort(socket);
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** {@code 127.0.0.1:PORT}, as pairctl takes it. */
  public String address() {
    return socket.getLocalAddress().getHostAddress() + ":" + port();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
