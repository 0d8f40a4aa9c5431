package dev.paird.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One connection to a pairing port as a hostile client makes it: JDK TLS from a chosen loopback
 * source address, then whatever bytes the test writes, and reads bounded by a socket timeout, never
 * by sleeping. It knows nothing of the protocol beyond ALPN.
 */
final class RawConnection implements AutoCloseable {
  /** How a read of everything the server sends ended. */
  enum Ending {
    /** The server closed the connection (close_notify or FIN). */
    EOF,
    /** The connection broke (a reset, or TLS torn down without close_notify). */
    BROKEN,
    /** Nothing more arrived and the connection stayed open until the bound. */
    STILL_OPEN
  }

  /**
   * Everything the server sent, how it ended, and when: {@code firstByteNanos} (or -1 if nothing
   * came) and {@code endedNanos}, both on {@link System#nanoTime}.
   */
  record Received(byte[] bytes, Ending ending, long firstByteNanos, long endedNanos) {
    String hex() {
      return Wire.hex(bytes);
    }

    @Override
    public String toString() {
      return "[" + hex() + "] then " + ending;
    }
  }

  private final SSLSocket socket;
  private final long handshakeDoneNanos;

  private RawConnection(SSLSocket socket, long handshakeDoneNanos) {
    this.socket = socket;
    this.handshakeDoneNanos = handshakeDoneNanos;
  }

  /**
   * Connects from {@code source} (port chosen by the kernel) and completes the TLS handshake within
   * {@code bound}. A connection the server refuses before TLS fails here with the IOException
   * SunJSSE reports; a server that never answers fails with {@link SocketTimeoutException}.
   */
  static RawConnection open(
      SSLContext tls, InetAddress source, InetSocketAddress server, Duration bound)
      throws IOException {
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
    try {
      socket.bind(new InetSocketAddress(source, 0));
      socket.connect(server, (int) bound.toMillis());
      socket.setSoTimeout((int) bound.toMillis());
      socket.setSSLParameters(JdkTls.parameters(socket.getSSLParameters()));
      socket.startHandshake();
      long done = System.nanoTime();
      if (!JdkTls.ALPN.equals(socket.getApplicationProtocol())) {
        throw new IOException(
            "the server did not agree to ALPN "
                + JdkTls.ALPN
                + " but to '"
                + socket.getApplicationProtocol()
                + "'");
      }
      return new RawConnection(socket, done);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** When {@link #open} saw the handshake complete, on {@link System#nanoTime}. */
  long handshakeDoneNanos() {
    return handshakeDoneNanos;
  }

  /** Seconds from the end of the handshake to {@code nanos}. */
  double secondsAfterHandshake(long nanos) {
    return (nanos - handshakeDoneNanos) / 1e9;
  }

  /** The connection's streams, for a test that relays its bytes unchanged. */
  InputStream input() throws IOException {
    return socket.getInputStream();
  }

  OutputStream output() throws IOException {
    return socket.getOutputStream();
  }

  void send(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
  }

  /** Exactly {@code count} bytes, or fewer if the connection ended or {@code bound} passed. */
  byte[] read(int count, Duration bound) throws IOException {
    byte[] buffer = new byte[count];
    int filled = 0;
    long end = System.nanoTime() + bound.toNanos();
    InputStream in = socket.getInputStream();
    try {
      while (filled < count) {
        socket.setSoTimeout(remainingMillis(end));
        int n = in.read(buffer, filled, count - filled);
        if (n < 0) {
          break;
        }
        filled += n;
      }
    } catch (SocketTimeoutException e) {
      // fewer bytes than asked: the caller's assertion shows which
    }
    return Arrays.copyOf(buffer, filled);
  }

  /** Everything the server sends until it closes the connection, or until {@code bound}. */
  Received readToEnd(Duration bound) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long firstByte = -1;
    long end = System.nanoTime() + bound.toNanos();
    byte[] buffer = new byte[512];
    Ending ending;
    try {
      InputStream in = socket.getInputStream();
      while (true) {
        socket.setSoTimeout(remainingMillis(end));
        int n = in.read(buffer);
        if (n < 0) {
          ending = Ending.EOF;
          break;
        }
        if (firstByte < 0 && n > 0) {
          firstByte = System.nanoTime();
        }
        bytes.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException e) {
      ending = Ending.STILL_OPEN;
    } catch (IOException e) {
      ending = Ending.BROKEN;
    }
    return new Received(bytes.toByteArray(), ending, firstByte, System.nanoTime());
  }

  private static int remainingMillis(long endNanos) throws SocketTimeoutException {
    long left = Duration.ofNanos(endNanos - System.nanoTime()).toMillis();
    if (left <= 0) {
      throw new SocketTimeoutException("the bound passed");
    }
    return (int) left;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
